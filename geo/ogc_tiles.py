"""OGC API - Tiles Part 1 documents of the vector tiles, under ``/ogc``.

The tiles themselves are the service's XYZ Mapbox Vector Tiles (:mod:`geo.tiles`); these
documents describe them the way OGC API - Tiles does, for clients that speak it (QGIS, GDAL's
OGCAPI driver):

- ``/tileMatrixSets`` and ``/tileMatrixSets/WebMercatorQuad``: the one tiling scheme, the
  OGC TMS 2.0 ``WebMercatorQuad`` definition as the ``morecantile`` package ships it (XYZ
  rows from the north are its tile rows);
- ``/tiles`` and ``/tiles/WebMercatorQuad``: the dataset tileset, the combined area tile
  (``/tiles/areas/…``), one layer per level from the zoom it is drawn at;
- ``/collections/{id}/tiles[/WebMercatorQuad]``: each collection's tileset, the tile layer
  of its level (the incident counts' and coverage collections: the ``incidents`` and
  ``coverage`` layers).

A tileset's ``tileMatrixSetLimits`` are the rows and columns of the tiles that intersect the
caller's scope's bounds (:func:`geo.tilejson.layer_bounds`) at each zoom the service answers,
0 to :data:`geo.tiles.MAX_ZOOM`; its ``item`` link is the tiles' URL template with
``{tileMatrix}``, ``{tileRow}`` and ``{tileCol}``.

Examples
--------
>>> limits((110.03, 40.39, 110.05, 40.41), 12, 12)  # doctest: +NORMALIZE_WHITESPACE
[{'tileMatrix': '12', 'minTileRow': 1544, 'maxTileRow': 1544,
  'minTileCol': 3299, 'maxTileCol': 3300}]
>>> tileset_layer(CollectionId.INCIDENT_COUNTS).value
'incidents'
"""

from __future__ import annotations

from functools import cache
from typing import Any

import morecantile

from geo.errors import NotFound
from geo.ogc import JSON, OGC_REL, CollectionId
from geo.tilejson import FIELDS, TITLES, Bounds, tile_url
from geo.tiles import AREA_ZOOMS, MAX_ZOOM, MEDIA_TYPE, Layer, area_layers, tile_range

TMS_ID = "WebMercatorQuad"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_COLLECTION_LAYERS = {
    CollectionId.TOWNSHIPS: Layer.TOWNSHIP,
    CollectionId.VILLAGES: Layer.VILLAGE,
    CollectionId.GRIDS: Layer.GRID,
    CollectionId.MICRO_GRIDS: Layer.MICRO_GRID,
    CollectionId.INCIDENT_COUNTS: Layer.INCIDENTS,
    CollectionId.COVERAGE: Layer.COVERAGE,
}
#: Fields holding counts (integers in a tile); every other field is text.
_COUNTS = {"open_count", "total_count", *FIELDS[Layer.COVERAGE]} - {"code"}


def tileset_layer(collection: CollectionId) -> Layer:
    """The tile layer holding a collection's features."""
    return _COLLECTION_LAYERS[collection]


@cache
def tile_matrix_set() -> dict[str, Any]:
    """The OGC TMS 2.0 ``WebMercatorQuad`` definition (from ``morecantile``)."""
    tms = morecantile.tms.get(TMS_ID)
    return tms.model_dump(exclude_none=True, mode="json")


def check_tile_matrix_set(tms_id: str) -> None:
    """Refuse any tiling scheme but ``WebMercatorQuad``, naming the one there is."""
    if tms_id != TMS_ID:
        raise NotFound(f"no tile matrix set {tms_id!r}; the one offered is {TMS_ID}")


def tile_matrix_sets(base: str) -> dict[str, Any]:
    tms = tile_matrix_set()
    href = f"{base}/tileMatrixSets/{TMS_ID}"
    link = {"href": href, "rel": f"{OGC_REL}/tiling-scheme", "type": JSON, "title": tms["title"]}
    return {
        "tileMatrixSets": [
            {"id": TMS_ID, "title": tms["title"], "uri": tms["uri"], "links": [link]}
        ]
    }


def limits(bounds: Bounds, minzoom: int = 0, maxzoom: int = MAX_ZOOM) -> list[dict[str, Any]]:
    """The tile rows and columns inside ``bounds`` at each zoom from ``minzoom`` to ``maxzoom``."""
    found = []
    for z in range(minzoom, maxzoom + 1):
        x0, y0, x1, y1 = tile_range(bounds, z)
        found.append(
            {
                "tileMatrix": str(z),
                "minTileRow": y0,
                "maxTileRow": y1,
                "minTileCol": x0,
                "maxTileCol": x1,
            }
        )
    return found


def _schema(layer: Layer) -> dict[str, Any]:
    properties = {
        name: {"type": "integer" if name in _COUNTS else "string", "description": text}
        for name, text in FIELDS[layer].items()
    }
    return {"type": "object", "properties": properties}


def _layers(layer: Layer | None) -> list[dict[str, Any]]:
    levels = (
        [(lv, AREA_ZOOMS[lv]) for lv in area_layers(MAX_ZOOM)] if layer is None else [(layer, 0)]
    )
    return [
        {
            "id": level.value,
            "title": TITLES[level],
            "description": TITLES[level],
            "dataType": "vector",
            "geometryDimension": 2,
            "minTileMatrix": str(low),
            "maxTileMatrix": str(MAX_ZOOM),
            "propertiesSchema": _schema(level),
        }
        for level, low in levels
    ]


def _title(layer: Layer | None) -> str:
    return "区域边界（组合切片）" if layer is None else TITLES[layer]


def _item(service: str, layer: Layer | None, params: dict[str, str]) -> dict[str, Any]:
    template = tile_url(service, layer, params)
    for xyz, ogc in (("{z}", "{tileMatrix}"), ("{x}", "{tileCol}"), ("{y}", "{tileRow}")):
        template = template.replace(xyz, ogc)
    return {
        "href": template,
        "rel": "item",
        "type": MEDIA_TYPE,
        "templated": True,
        "title": "矢量切片",
    }


def _summary(
    ogc: str, href: str, service: str, layer: Layer | None, params: dict[str, str]
) -> dict[str, Any]:
    tms = tile_matrix_set()
    return {
        "title": f"网格 Wangge：{_title(layer)}",
        "dataType": "vector",
        "crs": tms["crs"],
        "tileMatrixSetURI": tms["uri"],
        "links": [
            {"href": href, "rel": "self", "type": JSON, "title": "本切片集"},
            {
                "href": f"{ogc}/tileMatrixSets/{TMS_ID}",
                "rel": f"{OGC_REL}/tiling-scheme",
                "type": JSON,
                "title": TMS_ID,
            },
            _item(service, layer, params),
        ],
    }


def tilesets(
    ogc: str, base: str, service: str, layer: Layer | None, params: dict[str, str]
) -> dict[str, Any]:
    """The tilesets list at ``base`` (``{ogc}/tiles`` or a collection's ``…/tiles``): the one
    WebMercatorQuad tileset of ``layer`` (``None``: the combined area tile), whose tiles are
    under ``service``, asked for with the query ``params`` (``generation`` or ``at``)."""
    return {
        "links": [{"href": base, "rel": "self", "type": JSON, "title": "切片集列表"}],
        "tilesets": [_summary(ogc, f"{base}/{TMS_ID}", service, layer, params)],
    }


def tileset(
    ogc: str,
    base: str,
    service: str,
    layer: Layer | None,
    params: dict[str, str],
    bounds: Bounds,
) -> dict[str, Any]:
    """The WebMercatorQuad tileset at ``base/WebMercatorQuad`` with its limits inside ``bounds``."""
    west, south, east, north = bounds
    return _summary(ogc, f"{base}/{TMS_ID}", service, layer, params) | {
        "tileMatrixSetLimits": limits(bounds),
        "boundingBox": {"lowerLeft": [west, south], "upperRight": [east, north], "crs": CRS84},
        "layers": _layers(layer),
    }
