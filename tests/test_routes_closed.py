"""Every route is closed unless it says otherwise, and the audit trail cannot be rewritten.

The app is walked route by route, so a route added tomorrow is checked without anyone
remembering to add it here.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from access import audit
from api.app import create_app
from api.auth import access_of, operations
from geo.settings import Settings

#: The only routes anyone may call signed out: nothing personal, nothing written.
PUBLIC = {
    ("GET", "/api/v1/health"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/docs"),
    ("GET", "/redoc"),
    ("GET", "/favicon.ico"),
    ("GET", "/open311/v2/discovery.json"),
    ("GET", "/open311/v2/services.json"),
    ("GET", "/open311/v2/services/{service_code}.json"),
    ("GET", "/ogc"),
    ("GET", "/ogc/"),
    ("GET", "/ogc/conformance"),
    ("GET", "/ogc/tileMatrixSets"),
    ("GET", "/ogc/tileMatrixSets/{tileMatrixSetId}"),
}

#: Writes that need a signed-in caller but no particular permission.
ANY_SIGNED_IN_WRITE = {("POST", "/api/v1/auth/logout")}


APP = create_app(Settings(database_url="postgresql+psycopg://unused/unused"))
#: (method, path, route); the catch-alls answering 404 for unknown paths are left out.
ROUTES = [(m, p, r) for m, p, r in operations(APP) if "{path:path}" not in r.path]


def test_public_routes_are_exactly_the_listed_ones():
    public = {(m, p) for m, p, r in ROUTES if access_of(r.endpoint) == "public"}
    assert public == PUBLIC


def test_pages_are_the_map_pages():
    pages = {p for _, p, r in ROUTES if access_of(r.endpoint) == "page"}
    assert pages == {
        "/maps/", "/maps/command", "/maps/dashboard", "/maps/heat", "/maps/field", "/maps/plan",
        "/maps/mediation",
        "/maps/cobuild",
    }  # fmt: skip


def _concrete(path):
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.mark.parametrize(
    ("method", "path"),
    [(m, p) for m, p, r in ROUTES if access_of(r.endpoint) in ("private", "civic")],
)
def test_every_other_route_answers_401_signed_out(anon, method, path):
    answer = anon.request(method, _concrete(path), json={})
    assert answer.status_code == 401, answer.text
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="wangge"'


@pytest.mark.parametrize("path", ["/maps/", "/maps/command", "/maps/heat", "/maps/plan"])
def test_pages_send_signed_out_visitors_to_the_sign_in_page(anon, path):
    answer = anon.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/login?next={path}"


def _permissions(route):
    found = set()
    stack = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop()
        permission = getattr(dependency.call, "__wangge_permission__", None)
        if permission is not None:
            found.add(permission.value)
        stack.extend(dependency.dependencies)
    return found


def test_every_write_asks_for_a_permission():
    unguarded = [
        (method, path)
        for method, path, route in ROUTES
        if method != "GET"
        and access_of(route.endpoint) == "private"
        and (method, path) not in ANY_SIGNED_IN_WRITE
        and not _permissions(route)
    ]
    assert unguarded == []


def test_the_audit_log_refuses_update_delete_and_truncate(engine):
    with engine.begin() as conn:
        audit.record(conn, audit.SYSTEM, "test.append", "test", 1, after={"n": 1})
    for statement in (
        "UPDATE audit_log SET actor = 'someone-else'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ):
        with (
            pytest.raises(DBAPIError, match="audit_log is append-only") as refused,
            engine.begin() as conn,
        ):
            conn.execute(text(statement))
        assert refused.value.orig.sqlstate == "42501"  # insufficient_privilege
    with engine.connect() as conn:
        kept = conn.execute(
            text("SELECT actor FROM audit_log WHERE action = 'test.append'")
        ).scalar_one()
    assert kept == "system"


def test_the_service_role_may_only_append_to_the_audit_log_and_trails(client):
    service = client.app.state.engine  # what the running service connects with
    assert service.url.username == "wangge_service"
    for statement in (
        "UPDATE audit_log SET actor = 'someone-else'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "UPDATE incident_event SET actor = 'someone-else'",
        "DELETE FROM incident_event",
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
        "SET session_replication_role = replica",
    ):
        with pytest.raises(DBAPIError) as refused, service.begin() as conn:
            conn.execute(text(statement))
        assert refused.value.orig.sqlstate == "42501", statement  # insufficient_privilege
    with service.begin() as conn:
        audit.record(conn, audit.SYSTEM, "test.service_append", "test", 2)
        assert (
            conn.execute(
                text("SELECT count(*) FROM audit_log WHERE action = 'test.service_append'")
            ).scalar_one()
            == 1
        )
