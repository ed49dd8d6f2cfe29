"""GET /tiles/{layer}/{z}/{x}/{y}.pbf: Mapbox Vector Tiles of the areas and incident counts;
GET /tiles/areas/{z}/{x}/{y}.pbf: every area level drawn at the zoom in one tile;
GET /tiles/{layer}.json and /tiles/areas.json: their TileJSON 3.0.0 (:mod:`geo.tilejson`).

A tile holds only what lies inside the caller's scope, so it is cached privately.

Area tiles are kept by :mod:`geo.tiles` per generation and scope, so a tile already built is
answered on the event loop without a database connection or a thread: the current generation
is taken as known for :data:`CURRENT_TTL` seconds (clients may keep an area tile for an hour
anyway). Everything that reads the database runs in the thread pool.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine

from api.auth import Reader
from api.deps import AtQuery, ConnDep, GenerationDep, GenerationQuery, PrivacyKDep
from api.replica import read_engine, replica_read
from api.schemas import Error
from api.tilesets import TileJSON, document_response
from cases.models import CLOSED_STATUSES
from geo import tilejson, tiles
from geo.areas import current_generation, resolve_generation

router = APIRouter(tags=["tiles"])

#: Seconds the current generation is reused without asking the database.
CURRENT_TTL = 1.0
_current: dict[str, tuple[float, int]] = {}
_current_lock = threading.Lock()


def _generation(engine: Engine, generation: int | None, at: datetime | None) -> int:
    """As :data:`api.deps.GenerationDep`, with the current generation remembered briefly."""
    if generation is not None or at is not None:
        with engine.connect() as conn:
            return resolve_generation(conn, generation, at=at)
    url = engine.url.render_as_string(hide_password=True)
    with engine.connect() as conn:
        g = current_generation(conn)
    with _current_lock:
        _current[url] = (time.monotonic() + CURRENT_TTL, g)
    return g


def _known_current(engine: Engine) -> int | None:
    """The current generation if it was read less than :data:`CURRENT_TTL` seconds ago."""
    with _current_lock:
        known = _current.get(engine.url.render_as_string(hide_password=True))
    return known[1] if known is not None and known[0] > time.monotonic() else None


def _build(engine: Engine, kind: tiles.Layer, z: int, x: int, y: int, **kwargs: Any) -> bytes:
    with engine.connect() as conn:
        return tiles.tile(conn, kind, z, x, y, **kwargs)


def _build_areas(engine: Engine, z: int, x: int, y: int, **kwargs: Any) -> bytes:
    with engine.connect() as conn:
        return tiles.areas_tile(conn, z, x, y, **kwargs)


def _answer(data: bytes, max_age: int) -> Response:
    # what a tile holds depends on who asks: no shared cache may keep it
    headers = {"Cache-Control": f"private, max-age={max_age}", "Vary": "Authorization, Cookie"}
    if not data:
        return Response(status_code=204, headers=headers)
    return Response(data, media_type=tiles.MEDIA_TYPE, headers=headers)


#: The query a TileJSON passes on to its tiles (``category`` and ``since``: incidents only).
_PASSED = {"generation", "at", "category", "since"}
_INCIDENTS_ONLY = {"category", "since"}
CategoryQuery = Annotated[str | None, Query(description="incidents only: 2- or 4-digit category.")]
SinceQuery = Annotated[
    datetime | None, Query(description="incidents only: reported_at ≥ this, with offset.")
]


def _document(request: Request, layer: tiles.Layer | None, extents: tilejson.Extents) -> Response:
    passed = _PASSED if layer is tiles.Layer.INCIDENTS else _PASSED - _INCIDENTS_ONLY
    params = {k: v for k, v in request.query_params.items() if k in passed}
    base = str(request.base_url).rstrip("/")
    bounds = tilejson.layer_bounds(extents, layer)
    return document_response(tilejson.tilejson(base, layer, bounds, params))


@router.get(
    "/tiles/areas.json",
    response_model=TileJSON,
    responses={404: {"model": Error}, 422: {"model": Error}},
    summary="TileJSON 3.0.0：组合区域切片（范围为本人管辖范围）",
)
@replica_read
def areas_tilejson(
    request: Request, principal: Reader, conn: ConnDep, generation: GenerationDep
) -> Response:
    """The combined area tile's URL template, zooms, scope bounds and layers."""
    extents = tilejson.scope_bounds(conn, generation, principal.scope)
    return _document(request, None, extents)


@router.get(
    "/tiles/{layer}.json",
    response_model=TileJSON,
    responses={404: {"model": Error}, 422: {"model": Error}},
    summary="TileJSON 3.0.0：一个切片图层（范围为本人管辖范围）",
)
@replica_read
def layer_tilejson(
    request: Request,
    principal: Reader,
    conn: ConnDep,
    generation: GenerationDep,
    layer: Annotated[str, Path(description=f"One of {tiles.LAYER_CHOICES}.")],
    category: CategoryQuery = None,
    since: SinceQuery = None,
) -> Response:
    """A layer's URL template (with the filters given), zooms, scope bounds and fields."""
    kind = tiles.parse_layer(layer)
    tiles.IncidentTileFilter(frozenset(), category, since).check()
    return _document(request, kind, tilejson.scope_bounds(conn, generation, principal.scope))


@router.get(
    "/tiles/areas/{z}/{x}/{y}.pbf",
    response_class=Response,
    responses={
        200: {"content": {tiles.MEDIA_TYPE: {}}, "description": "The tile, one layer per level."},
        204: {"description": "Nothing in this tile."},
        422: {"model": Error},
    },
    summary="组合矢量切片：苏木镇、嘎查村社区（9级起）、网格（11级起）、微网格（13级起）",
)
@replica_read
async def areas_tile(
    request: Request,
    principal: Reader,
    z: Annotated[int, Path(description=f"Zoom, 0–{tiles.MAX_ZOOM}.")],
    x: Annotated[int, Path(description="Column, 0–2^z-1.")],
    y: Annotated[int, Path(description="Row, 0–2^z-1 (XYZ, north first).")],
    generation: GenerationQuery = None,
    at: AtQuery = None,
) -> Response:
    """Source layers ``township``, ``village``, ``grid``, ``micro_grid``, each from its zoom."""
    tiles.check_tile(z, x, y)
    engine = read_engine(request)  # the same database for the generation and the tile
    g = _known_current(engine) if generation is None and at is None else None
    if g is None:
        g = await run_in_threadpool(_generation, engine, generation, at)
    data = tiles.kept_areas(engine, z, x, y, generation=g, scope=principal.scope)
    if data is None:
        data = await run_in_threadpool(
            _build_areas, engine, z, x, y, generation=g, scope=principal.scope
        )
    return _answer(data, tiles.Layer.TOWNSHIP.max_age)


@router.get(
    "/tiles/{layer}/{z}/{x}/{y}.pbf",
    response_class=Response,
    responses={
        200: {"content": {tiles.MEDIA_TYPE: {}}, "description": "The tile."},
        204: {"description": "Nothing in this tile."},
        404: {"model": Error},
        422: {"model": Error},
    },
    summary="矢量切片：苏木镇、嘎查村社区、网格、微网格边界，按微网格的事件数",
)
@replica_read
async def tile(
    request: Request,
    principal: Reader,
    k: PrivacyKDep,
    layer: Annotated[str, Path(description=f"One of {tiles.LAYER_CHOICES}.")],
    z: Annotated[int, Path(description=f"Zoom, 0–{tiles.MAX_ZOOM}.")],
    x: Annotated[int, Path(description="Column, 0–2^z-1.")],
    y: Annotated[int, Path(description="Row, 0–2^z-1 (XYZ, north first).")],
    category: CategoryQuery = None,
    since: SinceQuery = None,
    generation: GenerationQuery = None,
    at: AtQuery = None,
) -> Response:
    kind = tiles.parse_layer(layer)
    tiles.check_tile(z, x, y)
    engine = read_engine(request)  # the same database for the generation and the tile
    g = _known_current(engine) if generation is None and at is None else None
    if g is None:  # the database is only asked in the thread pool, as a sync handler would
        g = await run_in_threadpool(_generation, engine, generation, at)
    data = tiles.kept(engine, kind, z, x, y, generation=g, scope=principal.scope)
    if data is None:
        where = tiles.IncidentTileFilter(
            frozenset(s.value for s in CLOSED_STATUSES), category, since
        )
        data = await run_in_threadpool(
            _build, engine, kind, z, x, y, generation=g, scope=principal.scope, incidents=where, k=k
        )
    return _answer(data, kind.max_age)
