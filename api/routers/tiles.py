"""GET /tiles/{layer}/{z}/{x}/{y}.pbf: Mapbox Vector Tiles of the areas and incident counts.

A tile holds only what lies inside the caller's scope, so it is cached privately.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api.auth import Reader
from api.deps import ConnDep, GenerationDep
from api.schemas import Error
from cases.models import CLOSED_STATUSES
from geo import tiles

router = APIRouter(tags=["tiles"])


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
def tile(
    principal: Reader,
    conn: ConnDep,
    generation: GenerationDep,
    layer: Annotated[str, Path(description=f"One of {tiles.LAYER_CHOICES}.")],
    z: Annotated[int, Path(description=f"Zoom, 0–{tiles.MAX_ZOOM}.")],
    x: Annotated[int, Path(description="Column, 0–2^z-1.")],
    y: Annotated[int, Path(description="Row, 0–2^z-1 (XYZ, north first).")],
    category: Annotated[
        str | None, Query(description="incidents only: 2- or 4-digit category.")
    ] = None,
    since: Annotated[
        datetime | None, Query(description="incidents only: reported_at ≥ this, with offset.")
    ] = None,
) -> Response:
    kind = tiles.parse_layer(layer)
    closed = frozenset(s.value for s in CLOSED_STATUSES)
    where = tiles.IncidentTileFilter(closed, category, since)
    data = tiles.tile(
        conn, kind, z, x, y, generation=generation, scope=principal.scope, incidents=where
    )
    # what a tile holds depends on who asks: no shared cache may keep it
    headers = {"Cache-Control": f"private, max-age={kind.max_age}", "Vary": "Authorization, Cookie"}
    if not data:
        return Response(status_code=204, headers=headers)
    return Response(data, media_type=tiles.MEDIA_TYPE, headers=headers)
