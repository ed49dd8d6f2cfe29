"""Open311 GeoReport v2 (JSON only), mounted at ``/open311/v2``; the mapping is in
:mod:`cases.open311`.

Resources end in ``.json`` as in the spec; the same resource with ``.xml`` answers 406, a
known resource with another method 405, and any other path under the prefix 404, all in the
spec's error format. Discovery and services are public; posting needs an API key or a token
that may report, reading needs a credential and is limited to the caller's scope. The 401 and
403 of the app-wide sign-in check are raised inside these routes, so they too leave in the
spec's format.

With ``WANGGE_OPEN311_PUBLIC=true`` the two reading routes are also open to callers without a
credential (civic apps, :func:`api.auth.civic`): they see the requests of the place
``open311_public_area`` names (default all), masked exactly as staff see them (the same
:func:`cases.open311.list_requests`), and each client address may read
``open311_public_rate`` times (429 with ``Retry-After`` past it).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from access.accounts import Permission
from api.auth import Principal, Reporter, authenticate, civic, public, require
from api.deps import ConnDep, EngineDep, IntakeGateDep, SettingsDep
from api.open311 import (
    Discovery,
    GeoReportRoute,
    Service,
    ServiceDefinition,
    ServiceRequest,
    ServiceRequestCreated,
    errors_doc,
)
from cases import open311
from geo.errors import InvalidInput
from geo.scope import Scope
from geo.settings import Settings

router = APIRouter(tags=["open311"], route_class=GeoReportRoute, responses=errors_doc(400, 500))

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def request_fields(request: Request) -> dict[str, str]:
    """The posted fields, form-encoded as the spec says or as a JSON object."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            data = await request.json()
        except ValueError:
            raise InvalidInput("body", "is not valid JSON") from None
        if not isinstance(data, dict):
            raise InvalidInput("body", "must be a JSON object of the request's fields")
        return open311.form_fields(data.items())
    if content_type not in FORM_TYPES:
        raise InvalidInput(
            "Content-Type", "send application/x-www-form-urlencoded (the spec's form) or JSON"
        )
    form = await request.form()
    return open311.form_fields(form.multi_items())


FieldsDep = Annotated[dict[str, str], Depends(request_fields)]


async def listing_scope(
    request: Request, principal: Annotated[Principal | None, Depends(authenticate)]
) -> Scope:
    """What a listing may show: the caller's scope, or for an anonymous caller (only let in
    when ``open311_public`` is on) the public place, each client address rate-limited."""
    if principal is not None:
        return (await require(Permission.READ)(principal)).scope
    settings: Settings = request.app.state.settings
    client = request.client.host if request.client else "unknown"
    hit = request.app.state.limiter.hit  # a database round trip with a shared store
    await run_in_threadpool(hit, settings.open311_public_rate, "Open311 read", "client", client)
    return Scope(area_prefix=settings.open311_public_area)


ListingScope = Annotated[Scope, Depends(listing_scope)]


@router.get("/discovery.json", response_model=Discovery, summary="服务发现（Open311 discovery）")
@public
def discovery(request: Request) -> dict[str, Any]:
    return open311.discovery(str(request.url.replace(query="")).removesuffix("/discovery.json"))


@router.get("/services.json", response_model=list[Service], summary="服务列表：每个事件小类")
@public
def services(conn: ConnDep) -> list[dict[str, Any]]:
    return open311.services(conn)


@router.get(
    "/services/{service_code}.json",
    response_model=ServiceDefinition,
    responses=errors_doc(404),
    summary="服务定义",
)
@public
def service_definition(service_code: str, conn: ConnDep) -> dict[str, Any]:
    return open311.service_definition(conn, service_code)


@router.post(
    "/requests.json",
    status_code=201,
    response_model=list[ServiceRequestCreated],
    responses=errors_doc(401, 403, 409, 429),
    summary="上报诉求：表单（或 JSON），lat/long 为 WGS-84；需要 API key",
)
def post_request(
    fields: FieldsDep,
    engine: EngineDep,
    settings: SettingsDep,
    response: Response,
    principal: Reporter,
    admit: IntakeGateDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> list[dict[str, Any]]:
    created = open311.post_request(
        engine,
        fields,
        idempotency_key=idempotency_key,
        nearest_limit_m=settings.nearest_limit_m,
        actor=principal.actor,
        owner=principal.account_id,
        admit=admit,
    )
    if created.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return created.body


@router.get(
    "/requests.json",
    response_model=list[ServiceRequest],
    responses=errors_doc(401, 429),
    summary="诉求列表（本人管辖范围内；开放时匿名可读公开地区）",
)
@civic
def list_requests(
    conn: ConnDep,
    scope: ListingScope,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    return open311.list_requests(
        conn,
        scope=scope,
        service_request_id=service_request_id,
        service_code=service_code,
        start_date=start_date,
        end_date=end_date,
        status=status,
    )


@router.get(
    "/requests/{service_request_id}.json",
    response_model=list[ServiceRequest],
    responses=errors_doc(401, 404, 429),
    summary="单个诉求（本人管辖范围内；开放时匿名可读公开地区）",
)
@civic
def get_request(
    service_request_id: str, conn: ConnDep, scope: ListingScope
) -> list[dict[str, Any]]:
    return open311.get_request(conn, service_request_id, scope=scope)


@router.api_route(
    "/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False
)
@public
def elsewhere(path: str, request: Request) -> None:
    """XML is refused as such, a known resource with the wrong method is 405, the rest 404."""
    if path.endswith(".xml"):
        json_path = path.removesuffix(".xml") + ".json"
        raise HTTPException(406, f"format: only JSON is supported; request {json_path} instead")
    allowed = sorted(
        method
        for route in router.routes
        if isinstance(route, APIRoute) and route.name != "elsewhere"
        if route.path_regex.match(f"/{path}")
        for method in route.methods or ()
    )
    if allowed:
        allow = ", ".join(allowed)
        raise HTTPException(405, f"{request.method} /{path}: use {allow}", {"Allow": allow})
    raise HTTPException(404, f"{request.method} /{path}: no such Open311 resource")
