"""OGC API - Tiles Part 1, mounted at ``/ogc`` beside OGC API - Features: the tiling scheme,
the dataset tileset (the combined area tile) and each collection's tileset. The documents are
:mod:`geo.ogc_tiles`; the tiles are served by :mod:`api.routers.tiles`.

The tile matrix sets are public (a fixed definition); tilesets hold the caller's scope's
bounds and need a signed-in caller, as the collections do. Included before the OGC router,
whose ``/{path:path}`` catch-all would answer 404 for these paths.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from sqlalchemy import Connection

from api.auth import Reader, public
from api.deps import ConnDep, GenerationDep
from api.ogc import CollectionDep, OGCRoute, UrlsDep, errors_doc, json_only, json_response
from api.tilesets import TileMatrixSets, TileSet, TileSets
from geo import ogc_tiles, tilejson
from geo.scope import Scope
from geo.tiles import Layer

router = APIRouter(
    tags=["OGC API - Tiles"],
    route_class=OGCRoute,
    dependencies=[Depends(json_only)],
    responses=errors_doc(400, 500),
)

TmsId = Annotated[
    str, Path(alias="tileMatrixSetId", description=f"Only {ogc_tiles.TMS_ID} is offered.")
]


def _service(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _params(request: Request) -> dict[str, str]:
    """The generation the caller asked for, passed on to the tiles' URL template."""
    return {k: v for k, v in request.query_params.items() if k in ("generation", "at")}


@router.get("/tileMatrixSets", response_model=TileMatrixSets, summary="切片矩阵集列表")
@public
def tile_matrix_sets(urls: UrlsDep) -> Response:
    return json_response(ogc_tiles.tile_matrix_sets(urls.base))


@router.get(
    "/tileMatrixSets/{tileMatrixSetId}", responses=errors_doc(404), summary="切片矩阵集定义"
)
@public
def tile_matrix_set(tms_id: TmsId) -> Response:
    """The OGC TMS 2.0 definition of WebMercatorQuad."""
    ogc_tiles.check_tile_matrix_set(tms_id)
    return json_response(ogc_tiles.tile_matrix_set())


@router.get("/tiles", response_model=TileSets, summary="矢量切片集：组合区域切片")
def dataset_tilesets(request: Request, principal: Reader, urls: UrlsDep) -> Response:
    href = f"{urls.base}/tiles"
    return json_response(
        ogc_tiles.tilesets(urls.base, href, _service(request), None, _params(request))
    )


@router.get(
    "/tiles/{tileMatrixSetId}",
    response_model=TileSet,
    responses=errors_doc(404),
    summary="切片集：组合区域切片（范围为本人管辖范围）",
)
def dataset_tileset(
    request: Request,
    tms_id: TmsId,
    principal: Reader,
    conn: ConnDep,
    generation: GenerationDep,
    urls: UrlsDep,
) -> Response:
    href = f"{urls.base}/tiles"
    return _tileset(request, tms_id, principal.scope, conn, generation, href, None)


@router.get(
    "/collections/{collectionId}/tiles",
    response_model=TileSets,
    responses=errors_doc(404),
    summary="一个集合的矢量切片集",
)
def collection_tilesets(
    request: Request, collection: CollectionDep, principal: Reader, urls: UrlsDep
) -> Response:
    href = f"{urls.base}/collections/{collection.value}/tiles"
    layer = ogc_tiles.tileset_layer(collection)
    return json_response(
        ogc_tiles.tilesets(urls.base, href, _service(request), layer, _params(request))
    )


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}",
    response_model=TileSet,
    responses=errors_doc(404),
    summary="一个集合的切片集（范围为本人管辖范围）",
)
def collection_tileset(
    request: Request,
    collection: CollectionDep,
    tms_id: TmsId,
    principal: Reader,
    conn: ConnDep,
    generation: GenerationDep,
    urls: UrlsDep,
) -> Response:
    href = f"{urls.base}/collections/{collection.value}/tiles"
    layer = ogc_tiles.tileset_layer(collection)
    return _tileset(request, tms_id, principal.scope, conn, generation, href, layer)


def _tileset(
    request: Request,
    tms_id: str,
    scope: Scope,
    conn: Connection,
    generation: int,
    href: str,
    layer: Layer | None,
) -> Response:
    """The tileset of ``layer`` (``None``: the combined area tile) at ``href``/``tms_id``."""
    ogc_tiles.check_tile_matrix_set(tms_id)
    extents = tilejson.scope_bounds(conn, generation, scope)
    bounds = tilejson.layer_bounds(extents, layer)
    ogc = str(request.url_for("ogc_landing")).rstrip("/")
    document = ogc_tiles.tileset(ogc, href, _service(request), layer, _params(request), bounds)
    return json_response(document)
