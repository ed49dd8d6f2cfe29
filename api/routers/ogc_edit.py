"""OGC API - Features Part 4 on plan drafts, mounted at ``/ogc`` before the read-only routes.

``/ogc/collections/plan-{id}-{level}``: a plan's draft areas of one level, read as any
collection and written with POST (a new area), PUT (its boundary and name), PATCH (a JSON
merge patch of either) and DELETE, each through the planner API's own edit functions and
audited as they are (:func:`api.routers.plans.audited_edit`). The ETag of a feature is its
draft area's version; a write names it with ``If-Match`` (or ``version`` among the
properties, which is what QGIS sends back with PUT).

``OPTIONS`` advertises POST on the items and PUT on a feature. It leaves out PATCH and
DELETE, which are served: QGIS sends PATCH when it is advertised, with the geometry alone
and no If-Match, and DELETE with neither, so those would fail with 428; with PUT it sends
the whole feature, whose ``version`` property is the one it read (see
``tests/test_ogc_edit.py``, which replays QGIS's requests).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request, Response
from sqlalchemy import Engine

from api.auth import Principal, Reader
from api.deps import ConnDep, EngineDep
from api.etag import IfMatch, expected_version
from api.ogc import (
    Collection,
    CrsDep,
    Feature,
    FeatureCollection,
    UrlsDep,
    errors_doc,
    json_response,
)
from api.ogc_edit import (
    ContentCrsDep,
    DraftQueryDep,
    EditRoute,
    PlanCollectionDep,
    feature_body,
    feature_doc,
    feature_response,
    patch_body,
)
from api.routers.plans import audited_edit
from geo import geojson, ogc, ogc_edit
from geo.ogc_edit import ITEMS_METHODS, READ_METHODS
from geo.plans.models import PlanStatus

router = APIRouter(
    tags=["OGC API - Features Part 4 (plan drafts)"],
    route_class=EditRoute,
    responses=errors_doc(400, 404),
)

PLAN_ITEMS = "/collections/plan-{planLevel}/items"
PLAN_ITEM = PLAN_ITEMS + "/{featureId}"
FeatureId = Annotated[str, Path(alias="featureId", description="The draft area's ref.")]
BodyDep = Annotated[Any, Body()]
_WRITE_ERRORS = errors_doc(405, 409, 412, 415, 428)


@router.get("/collections/plan-{planLevel}", response_model=Collection, summary="规划方案集合")
def plan_collection(
    pc: PlanCollectionDep, principal: Reader, conn: ConnDep, urls: UrlsDep
) -> Response:
    return json_response(ogc_edit.plan_collection(conn, urls.base, pc, scope=principal.scope))


@router.get(
    PLAN_ITEMS,
    response_model=FeatureCollection,
    responses={200: {"content": {geojson.GEOJSON: {}}}},
    summary="方案草稿的区域（GeoJSON，分页）",
)
def plan_items(
    request: Request, pc: PlanCollectionDep, q: DraftQueryDep, principal: Reader, conn: ConnDep
) -> Response:
    page = ogc_edit.items(conn, pc, q, scope=principal.scope)
    links = [{"href": str(request.url), "rel": "self", "type": geojson.GEOJSON}]
    if page.next_after is not None:
        href = request.url.include_query_params(after=page.next_after)
        links.append({"href": str(href), "rel": "next", "type": geojson.GEOJSON})
    body = geojson.collection(
        page.features,
        numberMatched=page.number_matched,
        numberReturned=len(page.features),
        timeStamp=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        links=links,
    )
    headers = {"Content-Crs": f"<{q.crs.value}>"}
    return Response(body, media_type=geojson.GEOJSON, headers=headers)


@router.get(PLAN_ITEM, response_model=Feature, summary="方案草稿的一个区域（ETag：版本）")
def plan_item(
    pc: PlanCollectionDep, ref: FeatureId, crs: CrsDep, principal: Reader, conn: ConnDep
) -> Response:
    feature, version = ogc_edit.item(conn, pc, ref, scope=principal.scope, crs=crs)
    return feature_response(feature, version, crs)


@router.options(PLAN_ITEMS, status_code=204, summary="可用的方法（Allow）")
def items_options(pc: PlanCollectionDep, principal: Reader, conn: ConnDep) -> Response:
    plan = ogc_edit.open_collection(conn, pc, scope=principal.scope)
    methods = ITEMS_METHODS if plan.status is PlanStatus.DRAFT else READ_METHODS
    return Response(status_code=204, headers={"Allow": ", ".join(methods)})


@router.options(PLAN_ITEM, status_code=204, summary="可用的方法（Allow）")
def item_options(
    pc: PlanCollectionDep, ref: FeatureId, principal: Reader, conn: ConnDep
) -> Response:
    plan = ogc_edit.open_collection(conn, pc, scope=principal.scope)
    methods = ("GET", "OPTIONS", "PUT") if plan.status is PlanStatus.DRAFT else READ_METHODS
    return Response(status_code=204, headers={"Allow": ", ".join(methods)})


@router.post(
    PLAN_ITEMS,
    status_code=201,
    response_model=Feature,
    responses=_WRITE_ERRORS,
    dependencies=[Depends(feature_body)],
    openapi_extra=feature_doc("A new draft area: geometry, name and parent_ref (kind)."),
    summary="画一个新区域",
)
def create_item(
    body: BodyDep,
    pc: PlanCollectionDep,
    crs: ContentCrsDep,
    principal: Reader,
    engine: EngineDep,
    urls: UrlsDep,
) -> Response:
    feature = ogc_edit.read_feature(body, pc, crs)
    with audited_edit(engine, principal, pc.plan_id, "plan.area.add") as conn:
        ref = ogc_edit.create(conn, pc, feature, scope=principal.scope)
        text, version = ogc_edit.item(conn, pc, ref, scope=principal.scope, crs=crs)
    location = f"{urls.base}/collections/{pc.id}/items/{ref}"
    return feature_response(text, version, crs, 201, Location=location)


def _replace(
    body: Any,
    pc: ogc_edit.PlanCollection,
    ref: str,
    crs: ogc.Crs,
    principal: Principal,
    engine: Engine,
    if_match: str | None,
    *,
    patch: bool,
) -> Response:
    """PUT and PATCH: the feature (or merge patch) read, then the planner's replace."""
    feature = ogc_edit.read_feature(body, pc, crs, patch=patch, ref=ref)
    version = expected_version(if_match, feature.version)
    with audited_edit(engine, principal, pc.plan_id, "plan.area.update") as conn:
        ogc_edit.replace(conn, pc, ref, feature, version, scope=principal.scope)
        text, new_version = ogc_edit.item(conn, pc, ref, scope=principal.scope, crs=crs)
    return feature_response(text, new_version, crs)


@router.put(
    PLAN_ITEM,
    response_model=Feature,
    responses=_WRITE_ERRORS,
    dependencies=[Depends(feature_body)],
    openapi_extra=feature_doc("The area's whole feature: its new boundary and name."),
    summary="替换一个区域（边界和名称）",
)
def replace_item(
    body: BodyDep,
    pc: PlanCollectionDep,
    ref: FeatureId,
    crs: ContentCrsDep,
    principal: Reader,
    engine: EngineDep,
    if_match: IfMatch = None,
) -> Response:
    return _replace(body, pc, ref, crs, principal, engine, if_match, patch=False)


@router.patch(
    PLAN_ITEM,
    response_model=Feature,
    responses=_WRITE_ERRORS,
    dependencies=[Depends(patch_body)],
    openapi_extra=feature_doc("A JSON merge patch: geometry and/or properties.name.", patch=True),
    summary="修改一个区域（JSON merge patch）",
)
def update_item(
    body: BodyDep,
    pc: PlanCollectionDep,
    ref: FeatureId,
    crs: ContentCrsDep,
    principal: Reader,
    engine: EngineDep,
    if_match: IfMatch = None,
) -> Response:
    return _replace(body, pc, ref, crs, principal, engine, if_match, patch=True)


@router.delete(PLAN_ITEM, status_code=204, responses=_WRITE_ERRORS, summary="删除一个区域")
def delete_item(
    pc: PlanCollectionDep,
    ref: FeatureId,
    principal: Reader,
    engine: EngineDep,
    if_match: IfMatch = None,
) -> Response:
    version = expected_version(if_match, None)
    with audited_edit(engine, principal, pc.plan_id, "plan.area.delete") as conn:
        ogc_edit.delete(conn, pc, ref, version, scope=principal.scope)
    return Response(status_code=204)
