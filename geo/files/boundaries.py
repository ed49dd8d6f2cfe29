"""Boundary files: an uploaded layout (GeoJSON, GeoPackage or zipped Shapefile) as units.

:func:`read_boundary_file` turns one polygon layer into :class:`~geo.topology.Unit` values for
the topology gate, in the storage CRS (CGCS2000 lon/lat), and says what it read: the format,
the layer, the declared CRS and whether it was transformed, the columns used and the
encoding. The format is told by the content: the SQLite header (GeoPackage), a zip archive
(a Shapefile's parts), or ``{`` (GeoJSON). It reads; it does not judge the geometry, which
is the gate's job (an empty or non-polygon geometry becomes a unit the gate reports).

Rules:

* **Columns**: ``code_column`` (default ``code``) must exist, case-insensitively; every
  feature needs a code (integers become their digits). ``name_column`` (default ``name``)
  must exist unless it is ``None``; a missing name is ``""``.
* **CRS**: EPSG:4490 (CGCS2000) and EPSG:4326 (WGS 84, treated as equal, as everywhere in
  Wangge) are taken as they are; any other declared CRS is transformed to EPSG:4490 with
  pyproj (``always_xy=True``); a layer without a CRS (a Shapefile without ``.prj``) is
  refused, as are coordinates outside longitude/latitude ranges after the transformation.
* **Text encoding**: GeoJSON and GeoPackage are UTF-8 by their specifications. A Shapefile's
  ``.dbf`` is in whatever its ``.cpg`` names; without a ``.cpg`` the caller must say
  (``encoding="GBK"`` for files from most Chinese desktop GIS, or ``encoding="UTF-8"``),
  since guessing gives plausible wrong names. Text that cannot be converted, or that reads
  like another encoding's bytes (mojibake), refuses the file instead of storing wrong names.

Every refusal is an :class:`~geo.errors.InvalidFile` naming the field (``file``,
``encoding``, ``code_column``, ``name_column``, ``layer``) and the problem.
"""

from __future__ import annotations

import codecs
import re
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from geo.errors import InvalidFile, InvalidInput
from geo.models import STORAGE_SRID
from geo.shapes import check_vertices
from geo.topology import Unit

__all__ = ["ACCEPTED_EPSG", "BoundaryFile", "read_boundary_file"]

#: CRSs taken without transformation (WGS 84 is treated as equal to CGCS2000).
ACCEPTED_EPSG = (4490, 4326)
_SQLITE_MAGIC = b"SQLite format 3\x00"
_ZIP_MAGIC = b"PK\x03\x04"
_PASS_ENCODING = "pass encoding='GBK' (files from most Chinese desktop GIS) or encoding='UTF-8'"
_CJK = re.compile(r"[\u3400-\u9fff]")
_SAVE_UTF8 = "GeoJSON and GeoPackage text must be UTF-8: save the file as UTF-8"
_GDAL_RECODE = "couldn't be converted correctly"


@dataclass(frozen=True)
class BoundaryFile:
    """What :func:`read_boundary_file` read, and how.

    ``crs`` is the CRS the file declared (``EPSG:3857``, or its WKT when it has no EPSG code);
    ``transformed`` says whether the coordinates were transformed to EPSG:4490; ``columns``
    are all the layer's attribute columns; ``encoding`` is the text encoding used for a
    Shapefile's ``.dbf`` (``None`` for UTF-8 formats).
    """

    units: list[Unit]
    format: str
    layer: str
    crs: str
    transformed: bool
    code_column: str
    name_column: str | None
    columns: tuple[str, ...]
    encoding: str | None


def read_boundary_file(
    path: Path,
    *,
    code_column: str = "code",
    name_column: str | None = "name",
    encoding: str | None = None,
    layer: str | None = None,
) -> BoundaryFile:
    """Read the polygon layer of an uploaded boundary file (rules in the module docstring).

    Parameters
    ----------
    path
        The uploaded file: ``.geojson``, ``.gpkg`` or a ``.zip`` holding one Shapefile
        (``.shp``, ``.shx``, ``.dbf``, ``.prj`` and, ideally, ``.cpg``), possibly in a folder.
    code_column, name_column
        Attribute columns holding each area's code and name (``name_column=None``: no names).
    encoding
        A Shapefile's text encoding when it has no ``.cpg`` (or to override a wrong one).
    layer
        Which layer (GeoPackage) or Shapefile (its name without ``.shp``) when there are
        several.

    Raises
    ------
    InvalidFile
        When the file cannot be read as a layout: format, layers, columns, CRS or encoding.
    """
    if encoding is not None:
        encoding = _check_encoding(encoding)
    try:
        with path.open("rb") as file:
            head = file.read(1024)
    except OSError as exc:
        raise InvalidFile("file", f"cannot be read: {exc.strerror}") from None
    if not head.strip():
        raise InvalidFile("file", "is empty")
    if head.startswith(_ZIP_MAGIC):
        source, layer, encoding = _shapefile(path, layer, encoding)
        kind = "shapefile"
    elif head.startswith(_SQLITE_MAGIC) or head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        kind = "gpkg" if head.startswith(_SQLITE_MAGIC) else "geojson"
        if encoding not in (None, "UTF-8"):
            raise InvalidInput("encoding", f"applies to Shapefiles only; {kind} text is UTF-8")
        source, layer = str(path), _polygon_layer(path, layer, kind)
    else:
        raise InvalidFile(
            "file",
            "is not a GeoJSON file, a GeoPackage or a zip holding a Shapefile "
            "(zip the .shp with its .shx, .dbf, .prj and .cpg)",
        )
    return _read_layer(source, kind, layer, code_column, name_column, encoding)


def _check_encoding(encoding: str) -> str:
    """The codec's canonical name in capitals (``GBK``, ``UTF-8``, ``ISO8859-1``).

    That spelling is one both Python and GDAL's iconv know: GDAL reads ``latin-1`` as no
    conversion at all.
    """
    try:
        return codecs.lookup(encoding).name.upper()
    except LookupError:
        raise InvalidInput("encoding", f"unknown encoding {encoding!r}; {_PASS_ENCODING}") from None


# --- finding the layer ---------------------------------------------------------------------


def _shapefile(path: Path, layer: str | None, encoding: str | None) -> tuple[str, str, str]:
    """The GDAL path of the one Shapefile in a zip, its name, and the encoding to read it."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if not n.startswith("__MACOSX/")]
            by_lower = {n.lower(): n for n in names}
            shps = [n for n in names if n.lower().endswith(".shp")]
            if layer is not None:
                shps = [n for n in shps if Path(n).stem == layer]
            if len(shps) != 1:
                found = ", ".join(Path(n).stem for n in shps) or "none"
                what = f"a Shapefile named {layer!r}" if layer else "exactly one .shp"
                raise InvalidFile(
                    "layer" if layer else "file", f"the zip must hold {what}; found: {found}"
                )
            shp = shps[0]
            stem = shp[: -len(".shp")]
            missing = [ext for ext in (".shx", ".dbf") if (stem + ext).lower() not in by_lower]
            if missing:
                raise InvalidFile(
                    "file", f"the Shapefile {Path(shp).name} lacks its {' and '.join(missing)}"
                )
            if (stem + ".prj").lower() not in by_lower:
                raise InvalidFile(
                    "file",
                    f"the Shapefile {Path(shp).name} has no .prj, so its coordinate system is "
                    "unknown: add the .prj (CGCS2000, EPSG:4490, preferred)",
                )
            cpg = by_lower.get((stem + ".cpg").lower())
            declared = archive.read(cpg).decode("ascii", "replace").strip() if cpg else None
    except zipfile.BadZipFile:
        raise InvalidFile("file", "is not a readable zip archive") from None
    if encoding is None:
        if not declared:
            raise InvalidFile(
                "encoding",
                f"the Shapefile {Path(shp).name} has no .cpg saying how its text is encoded: "
                f"{_PASS_ENCODING}",
            )
        encoding = _cpg_encoding(declared)
    return f"/vsizip/{path}/{shp}", Path(shp).stem, encoding


def _cpg_encoding(declared: str) -> str:
    """A Python codec for what a ``.cpg`` says (``UTF-8``, ``GBK``, ``936``, ``CP936`` ...)."""
    name = f"cp{declared}" if declared.isdigit() else declared
    try:
        return codecs.lookup(name).name.upper()
    except LookupError:
        raise InvalidFile(
            "encoding", f"the .cpg names an unknown encoding {declared!r}: {_PASS_ENCODING}"
        ) from None


def _polygon_layer(path: Path, layer: str | None, kind: str) -> str:
    try:
        layers = pyogrio.list_layers(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InvalidFile("file", f"cannot be read as {kind}: {exc}") from None
    names = [str(name) for name, _ in layers]
    if layer is not None:
        if layer not in names:
            raise InvalidFile("layer", f"no layer {layer!r}; the layers are: {', '.join(names)}")
        return layer
    if len(names) == 1:
        return names[0]  # whatever its features are, the gate will say
    polygons = [str(name) for name, geom in layers if "polygon" in str(geom).lower()]
    if len(polygons) != 1:
        found = ", ".join(f"{name} ({geom})" for name, geom in layers) or "none"
        raise InvalidFile(
            "layer", f"name the layer to read: {len(polygons)} polygon layers (layers: {found})"
        )
    return polygons[0]


# --- reading it ----------------------------------------------------------------------------


def _read_layer(
    source: str,
    kind: str,
    layer: str,
    code_column: str,
    name_column: str | None,
    encoding: str | None,
) -> BoundaryFile:
    hint = _PASS_ENCODING if kind == "shapefile" else _SAVE_UTF8
    with _gdal_errors(encoding, hint):
        info = pyogrio.read_info(source, layer=layer, encoding=encoding)
    columns = tuple(str(f) for f in info["fields"])
    code = _column(columns, code_column, "code_column", layer)
    name = _column(columns, name_column, "name_column", layer) if name_column else None
    crs = info.get("crs")
    if not crs:
        raise InvalidFile(
            "file",
            f"layer {layer} declares no coordinate system: save it with one "
            "(CGCS2000, EPSG:4490, preferred)",
        )
    wanted = [c for c in (code, name) if c is not None]
    with _gdal_errors(encoding, hint):
        frame = pyogrio.read_dataframe(source, layer=layer, columns=wanted, encoding=encoding)
    if len(frame) == 0:
        raise InvalidFile("file", f"layer {layer} has no features")
    codes = [_code(value, i, code_column) for i, value in enumerate(frame[code], start=1)]
    for row, (area_code, geom) in enumerate(zip(codes, frame.geometry.values, strict=True), 1):
        if geom is not None:
            check_vertices(geom, f"feature {row} ({area_code})")
    geoms, transformed = _to_storage(np.asarray(frame.geometry.values, dtype=object), crs)
    names = [_text(v) for v in frame[name]] if name else [""] * len(codes)
    _refuse_mojibake(codes, names, code_column, name_column, encoding, hint)
    units = [Unit(c, n, g) for c, n, g in zip(codes, names, geoms, strict=True)]
    used = encoding if kind == "shapefile" else None
    return BoundaryFile(units, kind, layer, crs, transformed, code, name, columns, used)


@contextmanager
def _gdal_errors(encoding: str | None, hint: str) -> Iterator[None]:
    """Turn GDAL's errors and failed text conversions into :class:`InvalidFile`."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        except UnicodeDecodeError as exc:
            raise InvalidFile(
                "encoding",
                f"the text is not {encoding or 'UTF-8'} ({exc.reason}): {hint}",
            ) from None
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            raise InvalidFile("file", f"cannot be read: {exc}") from None
        except (pyogrio.errors.FieldError, pyogrio.errors.GeometryError) as exc:
            raise InvalidFile("file", f"has a feature that cannot be read: {exc}") from None
    for warning in caught:
        if _GDAL_RECODE in str(warning.message):
            raise InvalidFile(
                "encoding",
                f"some text could not be converted from {encoding}: the file is in another "
                f"encoding; {hint}",
            )


def _column(columns: tuple[str, ...], wanted: str, field: str, layer: str) -> str:
    if wanted in columns:
        return wanted
    same = [c for c in columns if c.lower() == wanted.lower()]
    if len(same) == 1:
        return same[0]
    raise InvalidFile(
        field, f"layer {layer} has no column {wanted!r}; its columns are: {', '.join(columns)}"
    )


def _to_storage(geoms: np.ndarray, crs: str) -> tuple[np.ndarray, bool]:
    """Geometries in EPSG:4490 (2-D), and whether they had to be transformed."""
    try:
        source = CRS.from_user_input(crs)
    except CRSError as exc:
        raise InvalidFile(
            "file", f"declares a coordinate system pyproj cannot read: {exc}"
        ) from None
    geoms = shapely.force_2d(geoms)
    transformed = source.to_epsg() not in ACCEPTED_EPSG
    if transformed:
        to_storage = Transformer.from_crs(source, STORAGE_SRID, always_xy=True)
        geoms = shapely.transform(geoms, to_storage.transform, interleaved=False)
    xy = shapely.get_coordinates(geoms)
    if len(xy) and not (
        np.isfinite(xy).all() and (np.abs(xy[:, 0]) <= 180).all() and (np.abs(xy[:, 1]) <= 90).all()
    ):
        raise InvalidFile(
            "file",
            f"coordinates fall outside longitude/latitude ranges in EPSG:{STORAGE_SRID}: is the "
            f"declared coordinate system ({_crs_name(source)}) the one the data is in?",
        )
    return geoms, transformed


def _crs_name(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def _code(value: Any, line: int, field: str) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = _text(value)
    if not text:
        raise InvalidFile(field, f"feature {line} has no code")
    return text


def _text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def _refuse_mojibake(
    codes: list[str],
    names: list[str],
    code_column: str,
    name_column: str | None,
    encoding: str | None,
    hint: str,
) -> None:
    """Refuse text that is another encoding's bytes read wrongly (mojibake)."""
    for column, values in ((code_column, codes), (name_column, names)):
        suspicious = [(i, v) for i, v in enumerate(values, start=1) if _reads_wrong(v, encoding)]
        non_ascii = sum(not v.isascii() for v in values)
        if suspicious and (
            any("\ufffd" in v for _, v in suspicious) or 2 * len(suspicious) >= non_ascii
        ):
            line, value = suspicious[0]
            raise InvalidFile(
                "encoding",
                f"column {column}, feature {line}: {value!r} looks like text in another "
                f"encoding read as {encoding or 'UTF-8'}; {hint}",
            )


def _reads_wrong(value: str, encoding: str | None) -> bool:
    """Whether a value reads like bytes decoded with the wrong codec.

    Examples
    --------
    >>> _reads_wrong("树林召镇", "GBK"), _reads_wrong("鏍戞灄鍙晣骞冲師绀惧尯", "GB18030")
    (False, True)
    >>> _reads_wrong("Ê÷ÁÖÕÙÕò", "latin-1"), _reads_wrong("Café", "latin-1")
    (True, False)
    """
    if value.isascii():
        return False
    if "\ufffd" in value:
        return True
    codecs_tried = ["latin-1", "cp1252"]
    if encoding and codecs.lookup(encoding).name in ("gbk", "gb18030", "gb2312"):
        codecs_tried.append(encoding)
    for codec in codecs_tried:
        try:
            raw = value.encode(codec)
        except UnicodeEncodeError:
            continue
        for original in ("utf-8", "gbk"):
            if original == codecs.lookup(codec).name:
                continue
            try:
                text = raw.decode(original)
            except UnicodeDecodeError:
                continue
            if _CJK.search(text):
                return True
    return False
