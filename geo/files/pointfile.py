"""Point records from CSV, GeoJSON and GeoPackage files, each with the line it came from.

The format is told by the content, not the file name: a GeoPackage starts with the SQLite
header, GeoJSON with ``{``; anything else is read as CSV. Every record keeps where it came from,
so a report can point at it:

* **CSV** (UTF-8, a BOM is allowed): ``line`` is the physical line in the file where the record
  starts, the header being line 1 (a quoted value spanning lines moves the following records
  down). Column names are matched case-insensitively; blank lines are not records.
* **GeoJSON**: a FeatureCollection of Point features; ``line`` is the feature's index, from 1.
  Coordinates are lon/lat as RFC 7946 requires. The datum comes from a ``datum`` property;
  only when a feature has no such property does it default to ``wgs84`` (RFC 7946 files are
  WGS-84), or to what a legacy ``crs`` member names (EPSG:4326/CRS84 → wgs84, EPSG:4490 →
  cgcs2000; any other refuses the file). A ``datum`` property that is present but null or
  empty is kept as missing: the importer refuses that row.
* **GeoPackage** (read with pyogrio): the one point layer; ``line`` is the feature's position
  in the layer, from 1. The datum comes from a ``datum`` column if the layer has one, else
  from the layer CRS: EPSG:4326 → wgs84, EPSG:4490 → cgcs2000. A layer in any other CRS, or
  with neither a CRS nor a ``datum`` column, refuses the file.

A file that cannot be read as a whole raises :class:`~geo.errors.InvalidFile`; a record with
a problem of its own (a CSV row with the wrong number of values, a feature that is not a point)
carries it in :attr:`Record.problem`, so no record is lost.

Examples
--------
>>> sniff(b"SQLite format 3\\x00..."), sniff(b'  {"type": "FeatureCollection"}'), sniff(b"lon,lat")
('gpkg', 'geojson', 'csv')
"""

from __future__ import annotations

import csv
import io
import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
from pyproj import CRS
from pyproj.exceptions import CRSError

from geo.datum import Datum
from geo.errors import InvalidFile

__all__ = ["CRS_DATUMS", "PointFile", "Record", "read_points", "sniff"]

#: The layer CRSs a file may declare instead of a ``datum`` column or property.
CRS_DATUMS = {4326: Datum.WGS84, 4490: Datum.CGCS2000}
_SQLITE_MAGIC = b"SQLite format 3\x00"
_COORDINATES = ("lon", "lat", "datum")


@dataclass(frozen=True)
class Record:
    """One row or feature: its values by lower-case name, and where it came from.

    ``values`` holds ``lon``, ``lat`` and ``datum`` (from the geometry and the CRS for
    GeoJSON and GeoPackage) and every other column or property as read (text from CSV).
    ``problem`` is ``(field, reason)`` when the record could not be read whole.
    """

    line: int
    values: dict[str, Any]
    problem: tuple[str, str] | None = None


@dataclass(frozen=True)
class PointFile:
    format: str
    columns: tuple[str, ...]
    records: list[Record]


def sniff(data: bytes) -> str:
    """``gpkg``, ``geojson`` or ``csv``, from the first bytes of a file."""
    if data.startswith(_SQLITE_MAGIC):
        return "gpkg"
    head = data[:1024].removeprefix(b"\xef\xbb\xbf").lstrip()
    return "geojson" if head.startswith(b"{") else "csv"


def read_points(path: Path, *, required: Sequence[str] = _COORDINATES) -> PointFile:
    """Read ``path`` into numbered records (the rules are in the module docstring).

    ``required`` names the columns a CSV header or GeoPackage layer must have (lon, lat and
    datum come from the geometry in GeoJSON and GeoPackage); GeoJSON properties are checked
    per feature by the caller.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidFile("file", f"cannot be read: {exc.strerror}") from None
    if not data.strip():
        raise InvalidFile("file", "is empty")
    kind = sniff(data)
    if kind == "gpkg":
        return _read_gpkg(path, required)
    text = _decode(data)
    if kind == "geojson":
        return _read_geojson(text)
    return _read_csv(text, required)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidFile(
            "file", f"is not UTF-8: line {line} has bytes that are not (save it as UTF-8)"
        ) from None


# --- CSV -----------------------------------------------------------------------------------


def _read_csv(text: str, required: Sequence[str]) -> PointFile:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise InvalidFile("file", "has no CSV header line") from None
    columns = tuple(name.strip().lower() for name in header)
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise InvalidFile("file", f"the header repeats the column(s) {', '.join(duplicated)}")
    missing = [c for c in required if c not in columns]
    if missing:
        raise InvalidFile(
            "file",
            f"the CSV header lacks the required column(s) {', '.join(missing)} "
            f"(found: {', '.join(columns) or 'nothing'})",
        )
    records: list[Record] = []
    ended = reader.line_num
    while True:
        start = ended + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InvalidFile("file", f"line {start}: {exc}") from None
        ended = reader.line_num
        if not row:
            continue  # a blank line is not a record
        values = dict(zip(columns, row, strict=False))
        problem = None
        if len(row) != len(columns):
            problem = ("row", f"has {len(row)} values but the header has {len(columns)} columns")
        records.append(Record(start, values, problem))
    return PointFile("csv", columns, records)


# --- GeoJSON -------------------------------------------------------------------------------


def _read_geojson(text: str) -> PointFile:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidFile(
            "file", f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "Feature":
        features = [doc]
    elif kind == "FeatureCollection" and isinstance(doc.get("features"), list):
        features = doc["features"]
    else:
        raise InvalidFile("file", "GeoJSON must be a FeatureCollection of Point features")
    default = _geojson_datum(doc.get("crs"))
    records = []
    columns: dict[str, None] = {}
    for line, feature in enumerate(features, start=1):
        record = _feature_record(line, feature, default)
        columns.update(dict.fromkeys(record.values))
        records.append(record)
    return PointFile("geojson", tuple(columns), records)


def _geojson_datum(crs: Any) -> str:
    """The datum a legacy ``crs`` member declares; RFC 7946 (no member) means WGS-84."""
    if crs is None:
        return Datum.WGS84.value
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if isinstance(name, str) and name.upper().endswith("CRS84"):
        return Datum.WGS84.value
    return _crs_datum(name, what="the GeoJSON crs member").value


def _feature_record(line: int, feature: Any, default_datum: str) -> Record:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return Record(line, {}, ("feature", "is not a GeoJSON Feature object"))
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        return Record(line, {}, ("properties", "must be a JSON object"))
    values = {str(k).lower(): v for k, v in properties.items()}
    values.setdefault("datum", default_datum)
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        got = "no geometry" if geometry is None else f"a {kind or 'malformed'} geometry"
        return Record(line, values, ("geometry", f"must be a Point, got {got}"))
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) < 2:
        return Record(line, values, ("geometry", "a Point needs [lon, lat] coordinates"))
    values["lon"], values["lat"] = coordinates[0], coordinates[1]
    return Record(line, values)


# --- GeoPackage ----------------------------------------------------------------------------


def _crs_datum(name: str | None, *, what: str) -> Datum:
    try:
        epsg = CRS.from_user_input(name).to_epsg() if name else None
    except CRSError:
        epsg = None
    if epsg not in CRS_DATUMS:
        accepted = ", ".join(f"EPSG:{code} ({d.value})" for code, d in CRS_DATUMS.items())
        raise InvalidFile(
            "file",
            f"{what} is {name or 'unknown'}; only {accepted} can be imported: reproject the "
            "layer to one of them, or give lon/lat with a datum column",
        )
    return CRS_DATUMS[epsg]


def _read_gpkg(path: Path, required: Sequence[str]) -> PointFile:
    try:
        layers = pyogrio.list_layers(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InvalidFile("file", f"cannot be read as a GeoPackage: {exc}") from None
    points = [str(name) for name, kind in layers if str(kind).startswith("Point")]
    if len(points) != 1:
        found = ", ".join(f"{name} ({kind})" for name, kind in layers) or "none"
        raise InvalidFile(
            "file", f"needs exactly one point layer, found {len(points)} (layers: {found})"
        )
    info = pyogrio.read_info(path, layer=points[0])
    columns = tuple(str(f).lower() for f in info["fields"])
    missing = [c for c in required if c not in columns and c not in _COORDINATES]
    if missing:
        raise InvalidFile(
            "file", f"layer {points[0]} lacks the required column(s) {', '.join(missing)}"
        )
    crs = info.get("crs")
    layer_datum = None
    if crs is not None or "datum" not in columns:
        layer_datum = _crs_datum(crs, what=f"the CRS of layer {points[0]}").value
    with warnings.catch_warnings():  # GDAL parses offsets other than Z, and says so
        warnings.filterwarnings("ignore", "Non-conformant content", RuntimeWarning)
        frame = pyogrio.read_dataframe(path, layer=points[0], datetime_as_string=True)
    frame.columns = [str(c).lower() for c in frame.columns]
    records = []
    names = [c for c in frame.columns if c != "geometry"]
    for line, (row, geom) in enumerate(
        zip(frame[names].itertuples(index=False), frame.geometry, strict=True), start=1
    ):
        values = {name: _cell(value) for name, value in zip(names, row, strict=True)}
        if "datum" not in columns:
            values["datum"] = layer_datum
        if geom is None or geom.is_empty or geom.geom_type != "Point":
            got = "no geometry" if geom is None or geom.is_empty else geom.geom_type
            records.append(Record(line, values, ("geometry", f"must be a Point, got {got}")))
            continue
        values["lon"], values["lat"] = float(geom.x), float(geom.y)
        records.append(Record(line, values))
    return PointFile("gpkg", columns, records)


def _cell(value: Any) -> Any:
    """A GeoPackage cell with pandas' missing markers turned into ``None``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return None if value is pd.NA or value is pd.NaT else value
