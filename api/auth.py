"""Who is calling, and what they may do: every route is closed unless it says otherwise.

``authenticate`` runs before every route of the app (an app-wide dependency). A route opens
itself with :func:`public` (health, sign-in, documentation) or marks itself a :func:`page`
(signed-out visitors are sent to the sign-in page instead of getting a 401). Every other route
needs one of:

- ``Authorization: Bearer <access token>`` (from ``POST /api/v1/auth/login``);
- ``X-API-Key: wg_…`` (machine clients; Open311 clients may send ``api_key`` instead);
- the ``wangge_session`` cookie set by the sign-in page (for the map pages and their scripts).

Routes then ask for a permission with :func:`require` and filter by ``principal.scope``.
A :func:`civic` route (the Open311 listings) is also open to callers without a credential
when the ``open311_public`` setting is on.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import Engine

from access import tokens as token_store
from access.accounts import (
    PERMISSIONS,
    ROLE_LABELS,
    AccountRow,
    Permission,
    Role,
    account_for_api_key,
    account_row,
)
from access.audit import Actor
from api import tokens
from geo.errors import Forbidden, NotAuthenticated, WanggeError
from geo.scope import Scope
from geo.settings import Settings

SESSION_COOKIE = "wangge_session"
API_KEY_HEADER = "X-API-Key"
_ACCESS = "__wangge_access__"

F = TypeVar("F", bound=Callable[..., Any])


def public(endpoint: F) -> F:
    """Open a route to everyone (no personal data, no writes)."""
    setattr(endpoint, _ACCESS, "public")
    return endpoint


def civic(endpoint: F) -> F:
    """Open a reading route to callers without a credential when the service's
    ``open311_public`` setting says so (Open311 listings for civic apps); otherwise it is
    closed as any route. A caller who presents a credential is signed in as usual."""
    setattr(endpoint, _ACCESS, "civic")
    return endpoint


def page(endpoint: F) -> F:
    """An HTML page: a signed-out visitor is redirected to the sign-in page."""
    setattr(endpoint, _ACCESS, "page")
    return endpoint


def access_of(endpoint: Callable[..., Any] | None) -> str:
    return getattr(endpoint, _ACCESS, "private")


class LoginRequired(WanggeError):
    """A page was asked for without a session; the answer is a redirect to ``/login``."""

    def __init__(self, next_url: str) -> None:
        super().__init__("sign in first")
        self.next_url = next_url

    @property
    def location(self) -> str:
        return f"/login?next={quote(self.next_url, safe='/')}"


@dataclass(frozen=True)
class Principal:
    """The signed-in account behind a request."""

    account_id: int
    username: str
    display_name: str
    role: Role
    scope: Scope
    member_id: int | None
    via: str  # bearer, api_key or cookie
    client: str | None
    claims: dict[str, Any] | None = None  # the token's, when a token was used

    @property
    def permissions(self) -> frozenset[Permission]:
        return PERMISSIONS[self.role]

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def actor(self) -> Actor:
        return Actor(self.username, self.role.value, self.client)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]


def account_for_token(
    engine: Engine, settings: Settings, token: str, kinds: tuple[tokens.Kind, ...]
) -> tuple[AccountRow, dict[str, Any]]:
    """The active account a valid, unrevoked token speaks for, and the token's claims."""
    claims = tokens.decode(settings, token, kinds)
    account = tokens.recall(claims["jti"])
    if account is None:
        checked_at = time.monotonic()
        with engine.connect() as conn:
            row = token_store.account_for_token(conn, int(claims["sub"]), claims["jti"])
        if row is None or row.revoked:
            raise NotAuthenticated("the token has been revoked; sign in again")
        account = account_row(row._mapping)
        _check(account, claims)
        tokens.remember(claims["jti"], account.id, account, checked_at=checked_at)
    else:
        _check(account, claims)
    return account, claims


def _known_token(
    settings: Settings, token: str, kinds: tuple[tokens.Kind, ...]
) -> tuple[AccountRow, dict[str, Any]] | None:
    """:func:`account_for_token` without the database, when the token was checked moments
    ago (see :func:`api.tokens.recall`); None when it must be checked."""
    claims = tokens.decode(settings, token, kinds)
    account = tokens.recall(claims["jti"])
    if account is None:
        return None
    _check(account, claims)
    return account, claims


async def _account_of(
    engine: Engine, settings: Settings, token: str, kinds: tuple[tokens.Kind, ...]
) -> tuple[AccountRow, dict[str, Any]]:
    """:func:`account_for_token`, off the event loop only when the database must be asked."""
    known = _known_token(settings, token, kinds)
    if known is not None:
        return known
    return await run_in_threadpool(account_for_token, engine, settings, token, kinds)


def _check(account: AccountRow, claims: dict[str, Any]) -> None:
    if not account.active:
        raise NotAuthenticated("the account is disabled")
    if claims["iat"] < account.tokens_valid_after.timestamp():
        raise NotAuthenticated("the token has been revoked; sign in again")


def _api_key(engine: Engine, key: str) -> AccountRow:
    with engine.connect() as conn:
        account = account_for_api_key(conn, key)
    if account is None:
        raise NotAuthenticated("the API key is not valid or has been revoked")
    return account


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _presented_api_key(request: Request) -> str | None:
    key = request.headers.get(API_KEY_HEADER)
    if key or not request.url.path.startswith("/open311/"):
        return key
    # Open311 (GeoReport v2) clients send api_key as a parameter, in the form for POST
    key = request.query_params.get("api_key")
    content_type = request.headers.get("content-type", "")
    if not key and request.method == "POST" and "form" in content_type:
        value = (await request.form()).get("api_key")
        key = value if isinstance(value, str) else None
    return key


def same_origin(request: Request) -> bool:
    """Whether a write came from this site's own pages: the Origin (or Referer) names the
    scheme and host the request was sent to; ``http://`` pages may not write to ``https://``."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True  # browsers send Origin on every cross-site write; tools send neither
    sent_from = urlsplit(origin)
    sent_to = (request.url.scheme, request.headers.get("host", request.url.netloc))
    return (sent_from.scheme, sent_from.netloc) == sent_to


async def authenticate(request: Request) -> Principal | None:
    """The app-wide check. Public routes pass through with no principal."""
    access = access_of(request.scope.get("endpoint"))
    if access == "public":
        return None
    engine: Engine = request.app.state.engine
    settings: Settings = request.app.state.settings
    authorization = request.headers.get("authorization", "")
    api_key = await _presented_api_key(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    claims: dict[str, Any] | None = None
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("Authorization must be 'Bearer <access token>'")
        account, claims = await _account_of(engine, settings, token.strip(), ("access",))
        via = "bearer"
    elif api_key:
        account, via = await run_in_threadpool(_api_key, engine, api_key), "api_key"
    elif cookie:
        try:
            account, claims = await _account_of(engine, settings, cookie, ("session",))
        except NotAuthenticated:
            if access == "page":
                raise LoginRequired(_path_and_query(request)) from None
            raise
        via = "cookie"
        if request.method not in ("GET", "HEAD", "OPTIONS") and not same_origin(request):
            raise Forbidden("a cross-site request cannot use the page session")
    elif access == "page":
        raise LoginRequired(_path_and_query(request))
    elif access == "civic" and settings.open311_public:
        return None  # the route scopes and rate-limits the anonymous caller itself
    else:
        raise NotAuthenticated(
            "sign in: send 'Authorization: Bearer <access token>' or an X-API-Key"
        )
    principal = Principal(
        account_id=account.id,
        username=account.username,
        display_name=account.display_name,
        role=account.role,
        scope=account.scope,
        member_id=account.member_id,
        via=via,
        client=_client(request),
        claims=claims,
    )
    request.state.principal = principal
    return principal


def _path_and_query(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def current_principal(
    principal: Annotated[Principal | None, Depends(authenticate)],
) -> Principal:
    if principal is None:  # a public route asked who is calling: a programming error
        raise RuntimeError("a public route cannot ask for the principal")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require(permission: Permission) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting callers whose role has ``permission`` (403 otherwise)."""

    async def check(principal: PrincipalDep) -> Principal:
        if not principal.can(permission):
            raise Forbidden(
                f"{principal.role_label} ({principal.role.value}) may not {permission.value}"
            )
        return principal

    check.__name__ = f"require_{permission.value}"
    check.__wangge_permission__ = permission  # type: ignore[attr-defined]
    return check


async def scope_of(principal: PrincipalDep) -> Scope:
    return principal.scope


ScopeDep = Annotated[Scope, Depends(scope_of)]
Reader = Annotated[Principal, Depends(require(Permission.READ))]
Reporter = Annotated[Principal, Depends(require(Permission.REPORT))]
Importer = Annotated[Principal, Depends(require(Permission.IMPORT))]
RoutingEditor = Annotated[Principal, Depends(require(Permission.ROUTING))]
Planner = Annotated[Principal, Depends(require(Permission.PLAN))]
Publisher = Annotated[Principal, Depends(require(Permission.PUBLISH))]
Revealer = Annotated[Principal, Depends(require(Permission.REVEAL))]
AccountsAdmin = Annotated[Principal, Depends(require(Permission.ACCOUNTS))]


SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "apiKey": {"type": "apiKey", "in": "header", "name": API_KEY_HEADER},
    "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE},
}


def operations(app: FastAPI) -> Iterator[tuple[str, str, APIRoute]]:
    """(method, full path, route) of every API operation, included routers flattened."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and context.path_format is not None:
            for method in sorted((context.methods or set()) - {"HEAD"}):
                yield method, context.path_format, route


def document_security(app: FastAPI) -> None:
    """Say in the OpenAPI document which operations need credentials (all but the public)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
        everyone: list[dict[str, list[str]]] = [{name: []} for name in SECURITY_SCHEMES]
        for method, path, route in operations(app):
            operation = schema["paths"].get(path, {}).get(method.lower())
            if operation is not None:
                public_route = access_of(route.endpoint) == "public"
                operation["security"] = [] if public_route else everyone
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
