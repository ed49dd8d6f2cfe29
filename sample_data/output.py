"""Writing the sample set: RFC 7946 GeoJSON, one feature per line, and UTF-8 CSV.

Output is byte-stable: fixed key order, fixed number formatting, ``\\n`` line ends.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO

import numpy as np
import shapely

from sample_data.areas import Level

__all__ = ["feature_collection", "format_coord", "open_csv", "read_csv", "write_csv", "write_level"]


def format_coord(value: float) -> str:
    """A coordinate with at most 7 decimals and no trailing zeros.

    Examples
    --------
    >>> format_coord(110.04), format_coord(40.1234567), format_coord(110.0)
    ('110.04', '40.1234567', '110')
    """
    text = f"{value:.7f}".rstrip("0")
    return text[:-1] if text.endswith(".") else text


def _ring(coords: np.ndarray) -> str:
    return "[" + ",".join(f"[{format_coord(x)},{format_coord(y)}]" for x, y in coords) + "]"


def _multipolygon(geom: shapely.Geometry) -> str:
    """MultiPolygon coordinates text, exterior rings counter-clockwise, holes clockwise."""
    oriented = shapely.orient_polygons(geom, exterior_cw=False)
    polygons = []
    for part in shapely.get_parts(oriented):
        rings = [part.exterior, *part.interiors]
        polygons.append("[" + ",".join(_ring(np.asarray(r.coords)) for r in rings) + "]")
    return "[" + ",".join(polygons) + "]"


def feature_collection(features: Iterable[tuple[dict[str, object], shapely.Geometry]]) -> str:
    """GeoJSON text of a FeatureCollection, every geometry written as a MultiPolygon.

    Examples
    --------
    >>> text = feature_collection([({"code": "1"}, shapely.box(0, 0, 1, 1))])
    >>> json.loads(text)["features"][0]["geometry"]["coordinates"][0][0][:2]
    [[1, 0], [1, 1]]
    """
    lines = []
    for properties, geom in features:
        props = json.dumps(properties, ensure_ascii=False, separators=(",", ":"))
        lines.append(
            '{"type":"Feature","properties":' + props
            + ',"geometry":{"type":"MultiPolygon","coordinates":' + _multipolygon(geom) + "}}"
        )  # fmt: skip
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def write_level(path: Path, level: Level, parent_codes: Sequence[str] | None) -> None:
    """Write one area level; ``parent_codes`` indexes the level above (``None``: banner)."""
    features = []
    for i, code in enumerate(level.codes):
        properties: dict[str, object] = {
            "code": code,
            "name": level.names[i],
            "level": level.name,
            "parent_code": None if parent_codes is None else parent_codes[level.parent[i]],
            "population": int(level.population[i]),
        }
        if level.kind is not None:
            properties["kind"] = level.kind[i]
        features.append((properties, level.geoms[i]))
    path.write_text(feature_collection(features), encoding="utf-8")


def write_csv(path: Path, fields: Sequence[str], rows: Iterable[dict[str, str]]) -> None:
    """Write rows as UTF-8 CSV with a header and ``\\n`` line ends; a ``.csv.gz`` path is
    gzip-compressed, byte-stable too (no time stamp, the stored file name without ``.gz``)."""
    with path.open("wb") as raw:
        binary = (
            gzip.GzipFile(filename=path.stem, mode="wb", fileobj=raw, mtime=0)
            if path.suffix == ".gz"
            else raw
        )
        with io.TextIOWrapper(binary, encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(fields), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)


def open_csv(path: Path) -> IO[str]:
    """A sample CSV opened for reading as text, ``.csv.gz`` decompressed on the fly."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a sample CSV (plain or ``.csv.gz``) as dicts.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_csv(Path(d) / "t.csv.gz", ("a", "b"), [{"a": "1", "b": "甲"}])
    ...     gzip.decompress((Path(d) / "t.csv.gz").read_bytes()), read_csv(Path(d) / "t.csv.gz")
    (b'a,b\\n1,\\xe7\\x94\\xb2\\n', [{'a': '1', 'b': '甲'}])
    """
    with open_csv(path) as f:
        return list(csv.DictReader(f))
