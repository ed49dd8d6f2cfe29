"""OGC API - Features (Parts 1 Core, 2 CRS, 3 Filtering), mounted at ``/ogc``, for QGIS and GDAL.

JSON only. The domain is :mod:`geo.ogc`; parameters, responses and the error format are in
:mod:`api.ogc`. Collections describe the current generation; ``next`` links pin the
generation a walk started in. Every resource takes ``generation`` (default the current one).
The landing page and the conformance classes are public; collections and features need a
signed-in caller and hold only what lies inside the caller's scope.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from api.auth import Reader, public
from api.deps import ConnDep, GenerationDep
from api.ogc import (
    Collection,
    CollectionDep,
    Collections,
    Conformance,
    CrsDep,
    Feature,
    FeatureCollection,
    ItemsQueryDep,
    LandingPage,
    OGCRoute,
    UrlsDep,
    errors_doc,
    feature_response,
    items_response,
    json_only,
    json_response,
    not_found,
    schema_type,
)
from api.ogc_edit import can_plan
from api.replica import replica_read
from cases.models import CLOSED_STATUSES
from geo import geojson, ogc
from geo.ogc_edit import plan_collections

router = APIRouter(
    tags=["OGC API - Features"],
    route_class=OGCRoute,
    dependencies=[Depends(json_only)],
    responses=errors_doc(400, 500),
)

#: Statuses that no longer count as open in ``incident_counts``.
CLOSED = frozenset(status.value for status in CLOSED_STATUSES)


@router.get("", name="ogc_landing", response_model=LandingPage, summary="OGC API 着陆页")
@public
def landing(urls: UrlsDep) -> Response:
    return json_response(ogc.landing_page(urls.base, openapi_url=urls.openapi, docs_url=urls.docs))


@router.get("/", include_in_schema=False)
@public
def landing_slash(urls: UrlsDep) -> Response:
    return landing(urls)


@router.get("/conformance", response_model=Conformance, summary="符合的标准类")
@public
def conformance() -> Response:
    return json_response(ogc.conformance())


@router.get("/collections", response_model=Collections, summary="要素集合")
def collections(
    principal: Reader, conn: ConnDep, generation: GenerationDep, urls: UrlsDep
) -> Response:
    document = ogc.collections(conn, urls.base, generation, scope=principal.scope)
    if can_plan(principal):  # the drafts' collections (OGC API Part 4, api/routers/ogc_edit.py)
        document["collections"] += plan_collections(conn, urls.base, scope=principal.scope)
    return json_response(document)


@router.get(
    "/collections/{collectionId}",
    response_model=Collection,
    responses=errors_doc(404),
    summary="一个要素集合",
)
@replica_read
def collection(
    collection: CollectionDep,
    principal: Reader,
    conn: ConnDep,
    generation: GenerationDep,
    urls: UrlsDep,
) -> Response:
    return json_response(
        ogc.collection(conn, urls.base, collection, generation, scope=principal.scope)
    )


@router.get(
    "/collections/{collectionId}/items",
    response_model=FeatureCollection,
    responses={200: {"content": {ogc.GEOJSON: {}}}, **errors_doc(404)},
    summary="要素（GeoJSON，分页）",
)
@replica_read
def items(
    request: Request,
    collection: CollectionDep,
    q: ItemsQueryDep,
    principal: Reader,
    conn: ConnDep,
    urls: UrlsDep,
) -> Response:
    page = ogc.items(conn, collection, q, scope=principal.scope, closed=CLOSED)
    return items_response(request, urls.base, collection, q, page)


@router.get(
    "/collections/{collectionId}/items/{featureId}",
    response_model=Feature,
    responses={200: {"content": {ogc.GEOJSON: {}}}, **errors_doc(404)},
    summary="一个要素",
)
@replica_read
def item(
    request: Request,
    collection: CollectionDep,
    feature_id: Annotated[str, Path(alias="featureId", description="The area's code.")],
    crs: CrsDep,
    generation: GenerationDep,
    principal: Reader,
    conn: ConnDep,
    urls: UrlsDep,
) -> Response:
    feature = ogc.item(
        conn,
        collection,
        feature_id,
        generation=generation,
        scope=principal.scope,
        crs=crs,
        closed=CLOSED,
    )
    return feature_response(request, urls.base, collection, feature, crs)


@router.get(
    "/collections/{collectionId}/queryables",
    responses={200: {"content": {ogc.SCHEMA: {}}}, **errors_doc(404)},
    summary="可过滤的属性（JSON Schema）",
)
@replica_read
def queryables(
    request: Request, collection: CollectionDep, principal: Reader, conn: ConnDep, urls: UrlsDep
) -> Response:
    document = ogc.queryables_document(conn, urls.base, collection)
    return Response(geojson.dumps(document), media_type=schema_type(request))


@router.get("/{path:path}", include_in_schema=False)
@public
def elsewhere(path: str) -> None:
    raise not_found(path)
