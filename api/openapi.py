"""The OpenAPI document made true to the answers the service gives.

FastAPI documents what it sees in a route's signature: the success model as
``application/json`` and a 422 in its own validation format. The service answers otherwise in
ways that hold for whole families of operations, so they are written down here once rather
than on each route:

- every native error is the :class:`api.schemas.Error` body (``api/errors.py``), 422s included;
  Open311 and OGC API answer errors in their own formats and never with 422 (a bad parameter
  is their 400);
- an operation that needs credentials can answer 401 and 403 (a role without the permission,
  or a cross-site use of the page session); one with path parameters 404; one with a body
  413 (``api/limits.py``); every one 503 while the database is unavailable or busy;
- a GeoJSON object (a model whose ``type`` is ``Feature`` or ``FeatureCollection``) is
  served as ``application/geo+json``;
- a map page (``text/html``) sends the signed-out to ``/login`` (303) and answers 403 and 404
  as a page.

What a route declares itself (``responses=``) is kept; these rules only add what is missing.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from api.auth import operations
from api.geojson import GEOJSON
from api.schemas import Error

#: Path prefixes of the protocols with their own error formats.
OWN_FORMATS = ("/open311/", "/ogc")
ERROR_REF = {"$ref": "#/components/schemas/Error"}
_FASTAPI_422 = "#/components/schemas/HTTPValidationError"
_DESCRIPTIONS = {
    400: "Bad request",
    401: "No credentials, or credentials expired, forged or revoked",
    403: "The caller's role may not do this",
    404: "No such object (or one outside the caller's scope)",
    413: "The request body is too large",
    422: "A field is wrong: errors names it",
    503: "The database is unavailable or the service busy: try again",
}


def document_answers(app: FastAPI) -> None:
    """Rewrite the document as the module docstring says, once, when it is first asked for."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, definition in (
            Error.model_json_schema(ref_template="#/components/schemas/{model}")
            .pop("$defs", {})
            .items()
        ):
            components.setdefault(name, definition)
        components["Error"] = Error.model_json_schema(ref_template="#/components/schemas/{model}")
        components["Error"].pop("$defs", None)
        for method, path, _route in operations(app):
            operation = schema["paths"].get(path, {}).get(method.lower())
            if operation is not None:
                _declare(operation, components, own_format=path.startswith(OWN_FORMATS))
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _declare(operation: dict[str, Any], components: dict[str, Any], *, own_format: bool) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for answer in responses.values():
        _geojson_as_such(answer, components)
    statuses = [503]
    if operation.get("security"):
        statuses += [401, 403]
    if any(p.get("in") == "path" for p in operation.get("parameters", [])):
        statuses.append(404)
    if "requestBody" in operation:
        statuses.append(413)
    if own_format:
        responses.pop("422", None)
        error = responses.get("400", {}).get("content")
    else:
        error = {"application/json": {"schema": ERROR_REF}}
        for answer in responses.values():
            content = answer.get("content", {}).get("application/json", {})
            if content.get("schema", {}).get("$ref") == _FASTAPI_422:
                content["schema"] = ERROR_REF
                answer["description"] = _DESCRIPTIONS[422]
    if "text/html" in responses.get("200", {}).get("content", {}):
        _declare_page(responses)
    for added in statuses:
        responses.setdefault(str(added), {"description": _DESCRIPTIONS[added]})
    for status, answer in responses.items():
        if status[0] in "45" and error is not None and not answer.get("content"):
            answer["content"] = error


def _declare_page(responses: dict[str, Any]) -> None:
    """A map page sends the signed-out to ``/login`` and says 403 and 404 as a page (or, from
    the checks shared with the API, as the error body)."""
    responses["303"] = {
        "description": "Not signed in: to the sign-in page",
        "headers": {"Location": {"schema": {"type": "string"}}},
    }
    for status in (403, 404):
        responses[str(status)] = {
            "description": _DESCRIPTIONS[status],
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "application/json": {"schema": ERROR_REF},
            },
        }


def _geojson_as_such(answer: dict[str, Any], components: dict[str, Any]) -> None:
    """Move a GeoJSON object's schema from ``application/json`` to ``application/geo+json``."""
    content = answer.get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    if GEOJSON not in content and _is_geojson(schema, components):
        content[GEOJSON] = content.pop("application/json")


def _is_geojson(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    """Whether ``schema`` is an object whose ``type`` is always Feature or FeatureCollection."""
    name = schema.get("$ref", "").rsplit("/", 1)[-1]
    kind = components.get(name, {}).get("properties", {}).get("type", {})
    values = [kind["const"]] if "const" in kind else kind.get("enum", [])
    return bool(values) and set(values) <= {"Feature", "FeatureCollection"}
