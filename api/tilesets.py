"""The documents describing the vector tiles, as response models: TileJSON 3.0.0
(:mod:`geo.tilejson`) and OGC API - Tiles tilesets (:mod:`geo.ogc_tiles`).

A document holds the caller's scope's bounds, so like the tiles it may be cached privately
only (:func:`document_response`).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import Response
from pydantic import Field

from api.ogc import Link
from api.schemas import Strict
from geo import geojson

TILEJSON_TYPE = "application/json"
#: Seconds a client may keep a document: it changes with a new generation.
MAX_AGE = 60


class VectorLayer(Strict):
    id: str
    description: str
    minzoom: int
    maxzoom: int
    fields: dict[str, str]


class TileJSON(Strict):
    tilejson: Literal["3.0.0"]
    name: str
    description: str
    version: str
    attribution: str
    scheme: Literal["xyz"]
    tiles: list[str] = Field(min_length=1)
    minzoom: int = Field(ge=0, le=30)
    maxzoom: int = Field(ge=0, le=30)
    bounds: list[float] = Field(min_length=4, max_length=4)
    center: list[float] = Field(min_length=3, max_length=3)
    vector_layers: list[VectorLayer]


class TileMatrixSetLimit(Strict):
    tileMatrix: str
    minTileRow: int
    maxTileRow: int
    minTileCol: int
    maxTileCol: int


class BoundingBox(Strict):
    lowerLeft: list[float]
    upperRight: list[float]
    crs: str


class GeospatialData(Strict):
    id: str
    title: str
    description: str
    dataType: Literal["vector"]
    geometryDimension: int
    minTileMatrix: str
    maxTileMatrix: str
    propertiesSchema: dict[str, Any]


class TileLink(Link):
    templated: bool | None = None


class TileSetItem(Strict):
    title: str
    dataType: Literal["vector"]
    crs: str
    tileMatrixSetURI: str
    links: list[TileLink]


class TileSet(TileSetItem):
    tileMatrixSetLimits: list[TileMatrixSetLimit]
    boundingBox: BoundingBox
    layers: list[GeospatialData]


class TileSets(Strict):
    links: list[Link]
    tilesets: list[TileSetItem]


class TileMatrixSetRef(Strict):
    id: str
    title: str
    uri: str
    links: list[Link]


class TileMatrixSets(Strict):
    tileMatrixSets: list[TileMatrixSetRef]


def document_response(document: dict[str, Any], media_type: str = TILEJSON_TYPE) -> Response:
    """A document that depends on who asks: no shared cache may keep it."""
    headers = {"Cache-Control": f"private, max-age={MAX_AGE}", "Vary": "Authorization, Cookie"}
    return Response(geojson.dumps(document), media_type=media_type, headers=headers)
