"""Every native error answer carries ``code``, which follows from its status alone."""

from __future__ import annotations

import pytest

from api.errors import CODES, code_for
from api.schemas import Error


def test_every_status_of_the_contract_has_its_code():
    assert CODES == {
        400: "bad_request",
        401: "unauthenticated",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        406: "not_acceptable",
        409: "conflict",
        412: "version_mismatch",
        413: "too_large",
        415: "unsupported_media_type",
        422: "invalid",
        428: "version_required",
        429: "rate_limited",
        500: "internal",
        503: "unavailable",
    }
    assert (code_for(418), code_for(502)) == ("bad_request", "internal")


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("GET", "/api/v1/no-such-thing", {}, 404, "not_found"),
        ("DELETE", "/api/v1/health", {}, 405, "method_not_allowed"),
        ("GET", "/api/v1/locate", {"params": {"lon": "east", "lat": 40.4}}, 422, "invalid"),
        ("GET", "/api/v1/incidents/XX-NOT-A-CODE", {}, 404, "not_found"),
        ("POST", "/api/v1/incidents", {"content": b"x" * (1024 * 1024 + 1)}, 413, "too_large"),
    ],
)
def test_an_error_answer_names_its_code(client, method, path, kwargs, status, code):
    response = client.request(method, path, **kwargs)
    assert response.status_code == status
    body = response.json()
    assert Error.model_validate(body).code == code
    assert list(body)[:3] == ["detail", "code", "errors"]


def test_unauthenticated_and_forbidden_have_their_codes(anon, client, auth):
    assert anon.get("/api/v1/areas").json()["code"] == "unauthenticated"
    forbidden = client.get("/api/v1/audit", headers=auth("grid_worker"))
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "forbidden")


def test_the_document_declares_the_error_body_not_fastapis(client):
    document = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    native = [
        (f"{method.upper()} {path}", status, answer)
        for path, item in document["paths"].items()
        if not path.startswith(("/open311/", "/ogc"))
        for method, operation in item.items()
        for status, answer in operation["responses"].items()
        if status.startswith(("4", "5"))
    ]
    assert len(native) > 250  # the walk found the operations
    wrong = [
        (label, status)
        for label, status, answer in native
        if answer.get("content", {}).get("application/json", {}).get("schema")
        != {"$ref": "#/components/schemas/Error"}
    ]
    assert wrong == []
    plan_area = document["paths"]["/api/v1/plans/{plan_id}/areas/{ref}"]["put"]["responses"]
    assert sorted(plan_area) == [
        "200",
        "401",
        "403",
        "404",
        "409",
        "412",
        "413",
        "422",
        "428",
        "503",
    ]
    assert list(plan_area["200"]["content"]) == ["application/geo+json"]


def test_options_and_405_name_every_method_of_the_path(anon):
    options = anon.options("/api/v1/plans/1/areas/new-1")
    assert (options.status_code, options.headers["allow"]) == (204, "DELETE, GET, OPTIONS, PUT")
    patch = anon.patch("/api/v1/plans/1/areas/new-1")
    assert (patch.status_code, patch.headers["allow"]) == (405, "DELETE, GET, OPTIONS, PUT")
    assert patch.json()["code"] == "method_not_allowed"
    assert anon.options("/open311/v2/requests.json").headers["allow"] == "GET, OPTIONS, POST"
