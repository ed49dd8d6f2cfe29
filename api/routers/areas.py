from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.auth import Reader
from api.deps import ConnDep, GenerationDep
from api.geojson import feature_collection, feature_response
from api.schemas import Error, Feature, FeatureCollection
from cases.registry.counts import area_with_counts
from geo.areas import MAX_PAGE, list_areas, parse_level
from geo.points import parse_bbox

router = APIRouter(tags=["areas"])


@router.get(
    "/areas",
    response_model=FeatureCollection,
    responses={422: {"model": Error}, 404: {"model": Error}},
    summary="区域列表（RFC 7946 GeoJSON，分页；仅本人辖区）",
)
def areas(
    request: Request,
    principal: Reader,
    conn: ConnDep,
    generation: GenerationDep,
    level: Annotated[
        str | None, Query(description="banner, township, village, grid, micro_grid")
    ] = None,
    parent: Annotated[str | None, Query(description="Code of the parent area.")] = None,
    bbox: Annotated[
        str | None, Query(description="minlon,minlat,maxlon,maxlat in `datum`.")
    ] = None,
    datum: Annotated[str | None, Query(description="Datum of `bbox` (required with it).")] = None,
    simplify: Annotated[float, Query(description="Simplification tolerance in metres.")] = 0.0,
    limit: Annotated[int, Query(description=f"Page size, at most {MAX_PAGE}.")] = 100,
    after: Annotated[str | None, Query(description="Last code of the previous page.")] = None,
) -> Response:
    page = list_areas(
        conn,
        generation=generation,
        scope=principal.scope,
        level=parse_level(level),
        parent=parent,
        bbox=parse_bbox(bbox, datum) if bbox is not None else None,
        simplify_m=simplify,
        limit=limit,
        after=after,
    )
    return feature_collection(request, page)


@router.get(
    "/areas/{code}",
    response_model=Feature,
    responses={404: {"model": Error}},
    summary="单个区域：上级链、下级数量、责任人、户数和人口",
)
def area(code: str, principal: Reader, conn: ConnDep, generation: GenerationDep) -> Response:
    return feature_response(area_with_counts(conn, code, generation, scope=principal.scope))
