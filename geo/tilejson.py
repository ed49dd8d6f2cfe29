"""TileJSON 3.0.0 documents of the vector tiles (:mod:`geo.tiles`), so a client (MapLibre,
QGIS, GDAL) learns the URL template, the zooms and the layers instead of having them typed in.

One document per layer (``/tiles/{layer}.json``) and one for the combined area tile
(``/tiles/areas.json``). What a document says is what the service serves:

- ``tiles``: the absolute URL template of the tiles, with the query the caller gave the
  document (``generation`` or ``at``; ``category`` and ``since`` for the incident counts), so
  a document asked for one generation describes that generation's tiles;
- ``minzoom``/``maxzoom``: 0 to :data:`geo.tiles.MAX_ZOOM`, the zooms a tile is answered at;
  in the combined document each level's ``vector_layers`` entry starts at the zoom it is drawn
  from (:data:`geo.tiles.AREA_ZOOMS`);
- ``bounds``: the lon/lat box of the caller's scope, the areas the tiles can hold
  (``ogc_extents.sql``, the OGC collections' extents); a scope holding nothing gets the world;
- ``vector_layers``: the layers and fields the tile SQL writes, described in Chinese.

Nothing in a document depends on more than the caller's scope and the generation, and it
holds no personal data: names of areas only.

Examples
--------
>>> doc = tilejson("http://h", Layer.GRID, (110.0, 40.0, 110.5, 40.4), {"generation": "2"})
>>> doc["tiles"], doc["minzoom"], doc["maxzoom"], doc["center"]
(['http://h/tiles/grid/{z}/{x}/{y}.pbf?generation=2'], 0, 22, [110.25, 40.2, 9])
>>> [(v["id"], v["minzoom"]) for v in tilejson("http://h", None, WORLD, {})["vector_layers"]]
[('micro_grid', 13), ('grid', 11), ('village', 9), ('township', 0)]
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection

from geo.scope import Scope
from geo.sql import query
from geo.tiles import AREA_ZOOMS, MAX_ZOOM, Layer, area_layers

TILEJSON = "3.0.0"
Bounds = tuple[float, float, float, float]
#: Each level's box, by level name (:func:`scope_bounds`).
Extents = dict[str, Bounds]
#: The whole Web Mercator square, for a scope that holds no area.
WORLD: Bounds = (-180.0, -85.0511287798066, 180.0, 85.0511287798066)
ATTRIBUTION = "网格 Wangge 区划与网格化治理数据"

_AREA_FIELDS = {
    "code": "区划代码（统计用区划代码，逐级加长）",
    "name": "名称",
    "level": "层级：township 苏木镇、village 嘎查村社区、grid 网格、micro_grid 微网格",
    "parent_code": "上级区划代码",
}
#: The fields each layer's tiles carry (the columns of tile_areas.sql, tile_incidents.sql and
#: tile_coverage.sql), with what each means.
FIELDS: dict[Layer, dict[str, str]] = {
    Layer.TOWNSHIP: _AREA_FIELDS,
    Layer.VILLAGE: _AREA_FIELDS,
    Layer.GRID: _AREA_FIELDS,
    Layer.MICRO_GRID: _AREA_FIELDS,
    Layer.INCIDENTS: {
        "code": "微网格代码",
        "open_count": "未办结事件数（少于隐私阈值 k 时不给出）",
        "total_count": "事件总数（少于 k 的微网格不出现）",
    },
    Layer.COVERAGE: {
        "code": "微网格代码",
        "households": "户数",
        "visited": "走访周期内已走访户数",
        "overdue": "超期未走访户数",
        "members": "网格成员数",
        "uncovered": "未覆盖：1 为无成员或14天无联系，否则 0",
        "days_since_contact": "距最近一次联系的天数（无联系为 -1）",
    },
}
TITLES: dict[Layer, str] = {
    Layer.TOWNSHIP: "苏木镇（乡镇街道）边界",
    Layer.VILLAGE: "嘎查村社区边界",
    Layer.GRID: "网格边界",
    Layer.MICRO_GRID: "微网格边界",
    Layer.INCIDENTS: "事件数（按微网格）",
    Layer.COVERAGE: "走访覆盖（按微网格）",
}
#: The layers of counts come from the micro-grids.
_LEVEL_OF = {Layer.INCIDENTS: Layer.MICRO_GRID, Layer.COVERAGE: Layer.MICRO_GRID}


def scope_bounds(conn: Connection, generation: int, scope: Scope) -> Extents:
    """The lon/lat box of each level's live areas in ``generation`` inside ``scope``."""
    rows = conn.execute(query("ogc_extents"), {"g": generation, **scope.params()})
    return {r.level: (r.xmin, r.ymin, r.xmax, r.ymax) for r in rows}


def layer_bounds(extents: Extents, layer: Layer | None) -> Bounds:
    """The box a layer's tiles can hold anything in (``None``: the combined area tile).

    Examples
    --------
    >>> extents = {"township": (1.0, 2.0, 3.0, 4.0), "grid": (0.5, 2.5, 2.0, 4.5)}
    >>> layer_bounds(extents, None), layer_bounds(extents, Layer.INCIDENTS) == WORLD
    ((0.5, 2.0, 3.0, 4.5), True)
    """
    levels = list(AREA_ZOOMS) if layer is None else [_LEVEL_OF.get(layer, layer)]
    boxes = [extents[level.value] for level in levels if level.value in extents]
    if not boxes:
        return WORLD
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def center_zoom(bounds: Bounds) -> int:
    """The largest zoom at which the box is at most one tile wide and one tile high.

    Examples
    --------
    >>> center_zoom((109.3, 39.7, 110.9, 40.6)), center_zoom(WORLD)
    (7, 0)
    """
    west, south, east, north = bounds
    width = (east - west) / 360.0
    height = (_mercator_y(north) - _mercator_y(south)) / (2 * math.pi)
    span = max(width, height, 2.0**-MAX_ZOOM)
    return max(0, min(MAX_ZOOM, math.floor(-math.log2(span))))


def _mercator_y(lat: float) -> float:
    return math.asinh(math.tan(math.radians(lat)))


def tile_url(base: str, layer: Layer | None, params: dict[str, str]) -> str:
    """The URL template of a layer's tiles (``None``: the combined area tile)."""
    name = "areas" if layer is None else layer.value
    url = f"{base}/tiles/{name}/{{z}}/{{x}}/{{y}}.pbf"
    return f"{url}?{urlencode(params)}" if params else url


def tilejson(
    base: str, layer: Layer | None, bounds: Bounds, params: dict[str, str]
) -> dict[str, Any]:
    """The TileJSON 3.0.0 document of ``layer`` (``None``: the combined area tile) whose tiles
    are under ``base`` with the query ``params`` and hold what lies in ``bounds``."""
    west, south, east, north = bounds
    if layer is None:
        levels = [(lv, AREA_ZOOMS[lv]) for lv in reversed(area_layers(MAX_ZOOM))]
        name, description = (
            "区域边界（组合切片）",
            (
                "苏木镇、嘎查村社区（9级起）、网格（11级起）、微网格（13级起）边界，"
                "每个切片位置一个请求，每个层级一个图层"
            ),
        )
    else:
        levels = [(layer, 0)]
        name, description = TITLES[layer], f"矢量切片图层 {layer.value}：{TITLES[layer]}"
    return {
        "tilejson": TILEJSON,
        "name": f"网格 Wangge：{name}",
        "description": description,
        "version": "1.0.0",
        "attribution": ATTRIBUTION,
        "scheme": "xyz",
        "tiles": [tile_url(base, layer, params)],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": [west, south, east, north],
        "center": [round((west + east) / 2, 6), round((south + north) / 2, 6), center_zoom(bounds)],
        "vector_layers": [
            {
                "id": level.value,
                "description": TITLES[level],
                "minzoom": low,
                "maxzoom": MAX_ZOOM,
                "fields": FIELDS[level],
            }
            for level, low in levels
        ],
    }
