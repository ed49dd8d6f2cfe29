"""Load a boundary set and its people into an empty database as generation 1.

The files are those of ``sample_data/``: one RFC 7946 GeoJSON per level under ``areas/``
(coordinates in CGCS2000 lon/lat, which RFC 7946's WGS-84 equals within a metre),
``departments.csv`` and ``members.csv``. Further county-level units (places) sit in folders of
the same layout under ``places/`` (``places/150302/``, Haibowan) and join the same generation;
``regions.csv`` names the provinces and cities above them (:mod:`geo.places`). Everything is
written in one transaction: a failure leaves the database as empty as it was.
"""

from __future__ import annotations

import csv
import logging
import time
from pathlib import Path
from typing import Any

import pyogrio
import shapely
from sqlalchemy import Connection, Engine, text

from geo.models import STORAGE_SRID, AreaLevel
from geo.sql import query

log = logging.getLogger(__name__)

DEFAULT_SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_data"


def load_sample(engine: Engine, sample_dir: Path | None = None) -> int:
    """Load the sample areas and people as a new, active generation; return its id."""
    with engine.begin() as conn:
        return load_areas_and_people(conn, sample_dir or DEFAULT_SAMPLE_DIR)


def place_folders(folder: Path) -> list[Path]:
    """``folder`` itself and the further places under its ``places/``, in code order."""
    places = folder / "places"
    return [folder, *(sorted(p for p in places.iterdir() if p.is_dir()) if places.is_dir() else [])]


def load_areas_and_people(conn: Connection, folder: Path) -> int:
    """Load ``folder``'s regions, areas, departments and members (its own and those of every
    place under ``places/``) in the caller's transaction."""
    started = time.perf_counter()
    generation = conn.execute(
        text("INSERT INTO generation (description, activated_at) VALUES (:d, now()) RETURNING id"),
        {"d": f"样例数据：达拉特旗网格（{folder.name}）"},
    ).scalar_one()
    if (folder / "regions.csv").exists():
        _load_regions(conn, folder / "regions.csv")
    places = place_folders(folder)
    for place in places:
        for level in AreaLevel:
            path = place / "areas" / f"{level.value}.geojson"
            count = _load_level(conn, path, level, generation)
            log.info("loaded %d %s areas of %s", count, level.value, place.name)
    for place in places:
        _load_departments(conn, place / "departments.csv")
    for place in places:
        _load_members(conn, place / "members.csv")
    conn.execute(text("ANALYZE area; ANALYZE member; ANALYZE department"))
    log.info("areas and people loaded in %.1f s", time.perf_counter() - started)
    return int(generation)


def _load_level(conn: Connection, path: Path, level: AreaLevel, generation: int) -> int:
    frame = pyogrio.read_dataframe(path)
    wrong = frame.loc[frame["level"] != level.value, "code"].tolist()
    if wrong:
        raise ValueError(f"{path}: features {wrong[:5]} are not at level {level.value}")
    rows: list[dict[str, Any]] = []
    for record, geom in zip(frame.to_dict("records"), frame.geometry, strict=True):
        rows.append(
            {
                "code": str(record["code"]),
                "name": record["name"],
                "level": level.value,
                "kind": _optional(record.get("kind")),
                "population": _optional_int(record.get("population")),
                "parent_code": _optional(record.get("parent_code")),
                "generation": generation,
                "wkb": shapely.to_wkb(geom),
                "srid": STORAGE_SRID,
            }
        )
    if rows:
        conn.execute(query("load_area"), rows)
    orphans = conn.execute(
        text(
            "SELECT count(*) FROM area WHERE level = :level AND generation_low = :g "
            "AND parent_id IS NULL AND level <> 'banner'"
        ),
        {"level": level.value, "g": generation},
    ).scalar_one()
    if orphans:
        raise ValueError(f"{path}: {orphans} areas name a parent_code that does not exist")
    return len(rows)


def _load_regions(conn: Connection, path: Path) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        rows = [{**r, "parent_code": r["parent_code"] or None} for r in csv.DictReader(f)]
    conn.execute(
        text(
            "INSERT INTO region (code, name, level, parent_code) "
            "VALUES (:code, :name, :level, :parent_code)"
        ),
        sorted(rows, key=lambda r: len(r["code"])),
    )


def _load_departments(conn: Connection, path: Path) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    conn.execute(text("INSERT INTO department (code, name) VALUES (:code, :name)"), rows)


def _load_members(conn: Connection, path: Path) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        rows = [
            {
                "id": int(r["id"]),
                "kind": r["kind"],
                "name": r["name"],
                "phone": r["phone"] or None,
                "title": r.get("title") or None,
                "home_lon": float(r["home_lon"]),
                "home_lat": float(r["home_lat"]),
                "area_code": r["area_code"],
                "department_code": r.get("department_code") or None,
                "srid": STORAGE_SRID,
            }
            for r in csv.DictReader(f)
        ]
    conn.execute(query("load_member"), rows)


def _optional(value: Any) -> str | None:
    if value is None or value != value:  # NaN from pandas
        return None
    return str(value)


def _optional_int(value: Any) -> int | None:
    text_value = _optional(value)
    return None if text_value is None else int(float(text_value))
