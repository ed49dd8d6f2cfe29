"""Incidents: report one, list them, read one with its trail, reveal its reporter.

Reads are filtered by the caller's scope in the query layer (:mod:`cases.incidents`): an
incident outside it answers 404 exactly as a missing one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from api.auth import Reader, Reporter, Revealer
from api.deps import ConnDep, EngineDep, IntakeGateDep, SettingsDep
from api.etag import etag
from api.replica import replica_read
from api.reveal import RevealIn, RevealOut, reveal
from api.schemas import Error, Incident, IncidentIn, IncidentPage
from api.xlsx import AS_XLSX, INCIDENT_COLUMNS, workbook_response
from cases import incidents as reads
from cases.intake import Report, submit
from cases.loop import actions
from cases.mediation.privacy import redacted
from geo.areas import resolve_generation
from geo.errors import NotFound
from geo.geojson import GEOJSON, dumps
from geo.points import parse_bbox

router = APIRouter(tags=["incidents"])


@router.post(
    "/incidents",
    status_code=201,
    response_model=Incident,
    responses={
        400: {"model": Error},
        409: {"model": Error},
        413: {"model": Error},
        422: {"model": Error},
        429: {"model": Error},
    },
    summary="上报事件（一键上传）：定位到微网格，分派责任人和部门",
)
def create_incident(
    body: IncidentIn,
    engine: EngineDep,
    settings: SettingsDep,
    principal: Reporter,
    admit: IntakeGateDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    """Keys are the caller's own; a replayed retry is not counted against the intake rate."""
    report = Report(
        lon=body.lon,
        lat=body.lat,
        datum=body.datum,
        category=body.category,
        description=body.description,
        occurred_at=body.occurred_at,
        reporter_name=body.reporter.name if body.reporter else None,
        reporter_phone=body.reporter.phone if body.reporter else None,
        reporter_id_number=body.reporter.id_number if body.reporter else None,
        media=[m.model_dump() for m in body.media],
        urgent=body.urgent,
    )
    outcome = submit(
        engine,
        report,
        idempotency_key=idempotency_key,
        nearest_limit_m=settings.nearest_limit_m,
        actor=principal.actor,
        owner=principal.account_id,
        admit=admit,
        scope=principal.scope,
    )
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)


def _filter(
    bbox: str | None,
    datum: str | None,
    area: str | None,
    status: str | None,
    category: str | None,
    reported_from: datetime | None,
    reported_to: datetime | None,
    member: int | None,
    department: str | None,
    due: str | None = None,
    card: str | None = None,
) -> reads.IncidentFilter:
    return reads.IncidentFilter(
        bbox=parse_bbox(bbox, datum) if bbox is not None else None,
        area=area,
        statuses=tuple(s for s in (status or "").split(",") if s),
        category=category,
        reported_from=reported_from,
        reported_to=reported_to,
        member_id=member,
        department=department,
        due=due,
        card=card,
    )


def _page(request: Request, page: reads.IncidentPage, fmt: str) -> Response:
    if fmt == "xlsx":  # one page, as the JSON answer holds it
        return workbook_response(page.items, INCIDENT_COLUMNS, "事件列表")
    links = [{"rel": "self", "href": str(request.url)}]
    if page.next_cursor:
        links.append(
            {"rel": "next", "href": str(request.url.include_query_params(cursor=page.next_cursor))}
        )
    if fmt == "geojson":
        features = [
            {
                "type": "Feature",
                "id": item["code"],
                "geometry": {
                    "type": "Point",
                    "coordinates": [
                        item["location"]["cgcs2000"]["lon"],
                        item["location"]["cgcs2000"]["lat"],
                    ],
                },
                "properties": item,
            }
            for item in page.items
        ]
        body = {
            "type": "FeatureCollection",
            "features": features,
            "links": links,
            "next_cursor": page.next_cursor,
        }
        return Response(dumps(body), media_type=GEOJSON)
    body = {"items": page.items, "next_cursor": page.next_cursor, "links": links}
    return Response(dumps(body), media_type="application/json")


Format = Annotated[
    str, Query(pattern="^(json|geojson|xlsx)$", description="json, geojson or xlsx (Excel)")
]


#: With ``format=geojson`` a page is a FeatureCollection of points, served as GeoJSON.
AS_GEOJSON: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            GEOJSON: {
                "schema": {
                    "type": "object",
                    "required": ["type", "features", "links", "next_cursor"],
                    "properties": {
                        "type": {"const": "FeatureCollection"},
                        "features": {"type": "array", "items": {"type": "object"}},
                        "links": {"type": "array", "items": {"type": "object"}},
                        "next_cursor": {"type": ["string", "null"]},
                    },
                }
            },
            **AS_XLSX,
        }
    }
}


@router.get(
    "/incidents",
    response_model=IncidentPage,
    responses={**AS_GEOJSON, 422: {"model": Error}},
    summary="事件列表：按范围、区域、状态、类别、时间、责任人、部门筛选",
)
@replica_read
def list_incidents(
    request: Request,
    conn: ConnDep,
    principal: Reader,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    datum: Annotated[str | None, Query(description="Datum of bbox.")] = None,
    area: Annotated[str | None, Query(description="Area code at any level.")] = None,
    status: Annotated[str | None, Query(description="Comma-separated statuses.")] = None,
    category: Annotated[str | None, Query(description="2-digit major or 4-digit minor.")] = None,
    reported_from: Annotated[datetime | None, Query(alias="from")] = None,
    reported_to: Annotated[datetime | None, Query(alias="to")] = None,
    member: int | None = None,
    department: Annotated[str | None, Query(description="Department code, e.g. D02.")] = None,
    due: Annotated[
        str | None, Query(description="soon (due within 48 h) or overdue: the current step.")
    ] = None,
    card: Annotated[str | None, Query(description="Supervision card: yellow or red.")] = None,
    limit: Annotated[int, Query(description="Page size, at most 500.")] = 100,
    cursor: str | None = None,
    format: Format = "json",
    generation: Annotated[
        int | None,
        Query(ge=1, description="With area: the area's boundary in this generation; not with at."),
    ] = None,
    at: Annotated[
        datetime | None,
        Query(description="With area: the generation current at this time; not with generation."),
    ] = None,
) -> Response:
    where = _filter(
        bbox,
        datum,
        area,
        status,
        category,
        reported_from,
        reported_to,
        member,
        department,
        due,
        card,
    )
    if generation is not None or at is not None:
        where = replace(where, generation=resolve_generation(conn, generation, at=at))
    page = reads.list_incidents(conn, where, scope=principal.scope, limit=limit, cursor=cursor)
    page.items[:] = [redacted(item, principal) for item in page.items]
    return _page(request, page, format)


@router.get(
    "/incidents/{code}",
    response_model=Incident,
    responses={404: {"model": Error}},
    summary="单个事件及其全部流转记录",
)
def get_incident(code: str, conn: ConnDep, principal: Reader) -> Response:
    """With the actions the caller may take now, the deadlines and ``ETag: "<version>"``;
    reporters also read what they filed outside their scope, cut to what they may see."""
    try:
        incident = actions.view_for(conn, principal, code)
    except NotFound:
        filed = reads.get_incident(conn, code, scope=principal.scope, filed_by=principal.username)
        return Response(dumps(filed), media_type="application/json")
    headers = etag(incident["version"])
    incident = redacted(incident, principal)
    return Response(dumps(incident), media_type="application/json", headers=headers)


@router.post(
    "/incidents/{code}/reveal",
    response_model=RevealOut,
    responses={403: {"model": Error}, 404: {"model": Error}, 429: {"model": Error}},
    summary="查看上报人完整姓名、电话、身份证号（需权限和理由，留痕，限频）",
)
def reveal_reporter(
    code: str, body: RevealIn, request: Request, engine: EngineDep, principal: Revealer
) -> RevealOut:
    with engine.begin() as conn:
        fields = reads.reporter(conn, code, scope=principal.scope)
        return reveal(request, conn, principal, "incident", code, fields, body.reason)


@router.get(
    "/members/{member_id}/incidents",
    response_model=IncidentPage,
    responses={**AS_GEOJSON, 404: {"model": Error}},
    summary="我的事件：成员负责的事件",
)
def member_incidents(
    request: Request,
    member_id: int,
    conn: ConnDep,
    principal: Reader,
    status: Annotated[str | None, Query(description="Comma-separated statuses.")] = None,
    limit: int = 100,
    cursor: str | None = None,
    format: Format = "json",
) -> Response:
    reads.member_exists(conn, member_id, scope=principal.scope)
    where = reads.IncidentFilter(
        member_id=member_id, statuses=tuple(s for s in (status or "").split(",") if s)
    )
    page = reads.list_incidents(conn, where, scope=principal.scope, limit=limit, cursor=cursor)
    page.items[:] = [redacted(item, principal) for item in page.items]
    return _page(request, page, format)
