"""Areas of one level and generation as files for desktop GIS: GeoPackage, Shapefile, GeoJSON.

The frame is read from PostGIS (``ST_AsBinary``) and written by pyogrio (GDAL):

``gpkg``     one layer named after the level, EPSG:4490.
``shp``      a zip of ``<level>.shp .shx .dbf .prj .cpg``, EPSG:4490, attributes in UTF-8 (the
             ``.cpg`` says so, and QGIS and ArcGIS read the Chinese names from it); field names
             fit the DBF's ten characters.
``geojson``  RFC 7946 (GDAL's ``RFC7946=YES``): longitude, latitude, counter-clockwise
             exteriors, seven decimals, no ``crs`` member. CGCS2000 coordinates are written as
             they are: CGCS2000 and WGS 84 differ by well under a metre (see :mod:`geo.datum`).

Every format carries the same fields, in this order: :data:`FIELDS`.

Examples
--------
>>> ExportFormat("shp").filename(AreaLevel.MICRO_GRID, 3)
'wangge-micro_grid-g3.zip'
>>> ExportFormat.GPKG.media_type
'application/geopackage+sqlite3'
"""

from __future__ import annotations

import enum
import shutil
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely
from sqlalchemy import Connection

from geo.errors import InvalidInput
from geo.models import STORAGE_SRID, AreaLevel
from geo.scope import WHOLE_BANNER, Scope
from geo.sql import query

#: Attribute fields of every export: all at most ten characters, for the Shapefile's DBF.
FIELDS = ("code", "name", "level", "kind", "parent", "population")
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class ExportFormat(enum.StrEnum):
    GPKG = "gpkg"
    GEOJSON = "geojson"
    SHP = "shp"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]

    @property
    def suffix(self) -> str:
        """The file's suffix: a Shapefile travels as a zip of its parts."""
        return ".zip" if self is ExportFormat.SHP else f".{self.value}"

    def filename(self, level: AreaLevel, generation: int) -> str:
        return f"wangge-{level.value}-g{generation}{self.suffix}"


FORMATS = ", ".join(f.value for f in ExportFormat)


def parse_format(value: str) -> ExportFormat:
    """The format called ``value``, or :class:`InvalidInput` listing the formats."""
    try:
        return ExportFormat(value)
    except ValueError:
        raise InvalidInput(
            "format", f"unknown format {value!r}; expected one of {FORMATS}"
        ) from None


_MEDIA_TYPES = {
    ExportFormat.GPKG: "application/geopackage+sqlite3",
    ExportFormat.GEOJSON: "application/geo+json",
    ExportFormat.SHP: "application/zip",
}


def areas_frame(
    conn: Connection, level: AreaLevel, generation: int, *, scope: Scope
) -> gpd.GeoDataFrame:
    """The live areas of ``level`` in ``generation`` inside ``scope``, in code order, in
    EPSG:4490."""
    rows = conn.execute(
        query("export_areas"), {"level": level.value, "g": generation, **scope.params()}
    ).all()
    columns = {field: [getattr(r, field) for r in rows] for field in FIELDS}
    frame = gpd.GeoDataFrame(
        columns,
        geometry=shapely.from_wkb([bytes(r.wkb) for r in rows]),
        crs=f"EPSG:{STORAGE_SRID}",
    )
    frame["population"] = frame["population"].astype("Int64")
    return frame


def write(frame: gpd.GeoDataFrame, fmt: ExportFormat, out: Path, layer: str) -> None:
    """Write ``frame`` to ``out`` as ``fmt`` (a Shapefile as a zip of its parts)."""
    if fmt is ExportFormat.GPKG:
        pyogrio.write_dataframe(frame, out, layer=layer, driver="GPKG", promote_to_multi=True)
    elif fmt is ExportFormat.GEOJSON:
        # RFC 7946 means WGS 84 lon/lat; CGCS2000 is taken as equal, so say CRS84 and let
        # GDAL orient the rings and round, without a datum transformation. The code is also
        # each feature's "id" (GDAL moves the ID_FIELD out of the properties, hence a copy).
        pyogrio.write_dataframe(
            frame.assign(id=frame["code"]).set_crs("OGC:CRS84", allow_override=True),
            out,
            driver="GeoJSON",
            layer_options={"RFC7946": "YES", "WRITE_NAME": "NO", "ID_FIELD": "id"},
            promote_to_multi=True,
        )
    else:
        _write_shapefile_zip(frame, out, layer)


def _write_shapefile_zip(frame: gpd.GeoDataFrame, out: Path, layer: str) -> None:
    with tempfile.TemporaryDirectory(prefix="wangge-shp-") as tmp:
        shp = Path(tmp) / f"{layer}.shp"
        pyogrio.write_dataframe(
            frame, shp, driver="ESRI Shapefile", encoding="UTF-8", promote_to_multi=True
        )
        with zipfile.ZipFile(out, "w") as archive:
            for suffix in SHAPEFILE_PARTS:
                # a fixed date: the same areas give the same zip (the DBF holds the day)
                entry = zipfile.ZipInfo(f"{layer}{suffix}", date_time=_ZIP_DATE)
                entry.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(entry, shp.with_suffix(suffix).read_bytes())


def export_areas(
    conn: Connection,
    *,
    level: AreaLevel,
    fmt: ExportFormat,
    generation: int,
    out: Path,
    scope: Scope = WHOLE_BANNER,
) -> int:
    """Write the live areas of ``level`` in ``generation`` inside ``scope`` to ``out``; return
    how many. The whole banner by default, for the command line.

    The file is written beside ``out`` and moved into place, so ``out`` is never half-written.
    """
    if not out.parent.is_dir():
        raise InvalidInput("out", f"{out.parent} is not a folder")
    if fmt is ExportFormat.SHP and out.suffix.lower() != ".zip":
        raise InvalidInput(
            "out", f"a Shapefile is written as a zip of its parts: name it {out.stem}.zip"
        )
    frame = areas_frame(conn, level, generation, scope=scope)
    partial = out.with_name(f".{out.stem}.partial{out.suffix}")  # GDAL wants the suffix
    try:
        write(frame, fmt, partial, layer=level.value)
        shutil.move(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return len(frame)
