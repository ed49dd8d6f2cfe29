"""Loading the sample registry (``sample_data/houses.csv.gz`` … ``organisations.csv``, written
by :mod:`sample_data.registry`; the big files gzip-compressed) with ``COPY``, in the caller's
transaction.

Houses, facilities and organisations are placed by :mod:`cases.registry.places` in the
current generation; a point outside every micro-grid fails the load. Persons' birth date and
sex come from their ID number, the ID hash from :func:`cases.registry.idnumber.id_hash`.
"""

from __future__ import annotations

import csv
import gzip
import logging
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, text

from cases.registry import idnumber
from cases.registry.places import micro_grids
from cases.registry.sql import query
from geo.areas import current_generation

log = logging.getLogger(__name__)

#: The date the sample's tags are recorded from.
SAMPLE_TAGS_SINCE = "2026-01-01"


def _rows(path: Path) -> list[dict[str, str]]:
    """The rows of a sample CSV, plain or ``.csv.gz``."""
    opened = gzip.open if path.suffix == ".gz" else open
    with opened(path, "rt", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def copy_rows(conn: Connection, table: str, columns: str, rows: Iterable[Sequence[Any]]) -> None:
    """(Re)create the temp table ``table (columns)`` and fill it with ``rows`` by ``COPY``.
    ``table`` and ``columns`` are trusted text, never user input."""
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS pg_temp.{table}")
    conn.exec_driver_sql(f"CREATE TEMP TABLE {table} ({columns}) ON COMMIT DROP")
    names = ", ".join(c.split()[0] for c in columns.split(","))
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _placed(conn: Connection, rows: list[dict[str, str]], what: str) -> list[int]:
    lon = np.array([float(r["lon"]) if r["lon"] else np.nan for r in rows])
    lat = np.array([float(r["lat"]) if r["lat"] else np.nan for r in rows])
    has = ~np.isnan(lon)
    ids = np.zeros(len(rows), dtype=np.int64)
    ids[has] = micro_grids(conn, lon[has], lat[has], current_generation(conn))
    outside = [rows[i]["code"] for i in np.flatnonzero(has & (ids == 0))]
    if outside:
        raise ValueError(f"sample {what} outside every micro-grid: {outside[:5]}")
    return ids.tolist()


def _bool(value: str) -> bool | None:
    return {"true": True, "false": False}.get(value)


def copy_into(conn: Connection, table: str, columns: str, rows: Iterable[Sequence[Any]]) -> None:
    """``COPY`` ``rows`` straight into ``table (columns)``; trusted names, never user input."""
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load_registry(conn: Connection, folder: Path, *, key: str) -> dict[str, int]:
    """Load the sample registry CSVs of ``folder``; the counts written.

    Ids are given here (after any rows already stored), so that each household's head (its
    first person in the file) and each house's owner (the head of its first household) are
    written with the rows, and every table is filled by one ``COPY`` with no update after."""
    started = time.perf_counter()
    houses = _rows(folder / "houses.csv.gz")
    micro = _placed(conn, houses, "houses")
    names: dict[int, str] = dict(
        conn.execute(query("area_names"), {"ids": sorted(set(micro))}).all()
    )
    households = _rows(folder / "households.csv.gz")
    persons = _rows(folder / "persons.csv.gz")
    highest = conn.execute(query("max_ids")).one()._mapping
    first = {table: int(n) + 1 for table, n in highest.items()}
    house_id = {h["code"]: first["house"] + i for i, h in enumerate(houses)}
    household_id = {h["code"]: first["household"] + i for i, h in enumerate(households)}
    head: dict[int, int] = {}
    person_of: dict[int, dict[str, str]] = {}
    for i, p in enumerate(persons):
        hid = household_id[p["household_code"]]
        head.setdefault(hid, first["person"] + i)
        person_of[first["person"] + i] = p
    owner: dict[int, dict[str, str]] = {}
    for h in households:
        owner.setdefault(house_id[h["house_code"]], person_of[head[household_id[h["code"]]]])
    numbers: Counter[int] = Counter()
    rows = []
    for h, m in zip(houses, micro, strict=True):
        numbers[m] += 1
        o = owner.get(house_id[h["code"]], {})
        rows.append((
            house_id[h["code"]], h["code"], f"{names[m]}{numbers[m]}号",
            f"SRID=4490;POINT({h['lon']} {h['lat']})", m, h["use"], h["structure"],
            _bool(h["rented"]), o.get("name"), o.get("id_number"), o.get("phone") or None,
        ))  # fmt: skip
    copy_into(conn, "house", "id, code, name, geom, micro_grid_id, use, structure, rented, "
              "owner_name, owner_id_number, owner_phone", rows)  # fmt: skip
    copy_into(
        conn, "household", "id, code, house_id, head_person_id",
        ((household_id[h["code"]], h["code"], house_id[h["house_code"]],
          head.get(household_id[h["code"]])) for h in households),
    )  # fmt: skip
    copy_into(
        conn,
        "person",
        "id, household_id, name, id_number, id_hash, birth_date, sex, ethnicity, phone, "
        "residence_type, party_member",
        (
            (
                pid, household_id[p["household_code"]], p["name"], p["id_number"],
                idnumber.id_hash(p["id_number"], key), idnumber.birth_date(p["id_number"]),
                idnumber.sex(p["id_number"]), p["ethnicity"], p["phone"] or None,
                p["residence_type"], _bool(p["party_member"]),
            )
            for pid, p in person_of.items()
        ),
    )  # fmt: skip
    copy_into(
        conn, "person_tag", "person_id, tag, since",
        ((pid, tag, SAMPLE_TAGS_SINCE) for pid, p in person_of.items()
         for tag in filter(None, p["tags"].split(";"))),
    )  # fmt: skip
    conn.execute(query("advance_ids"))
    _load_facilities(conn, folder)
    _load_organisations(conn, folder)
    conn.execute(text("ANALYZE house; ANALYZE household; ANALYZE person; ANALYZE person_tag"))
    counts = {
        table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
        for table in ("house", "household", "person", "person_tag", "facility", "organisation")
    }
    log.info("registry loaded in %.1f s: %s", time.perf_counter() - started, counts)
    return counts


def _load_facilities(conn: Connection, folder: Path) -> None:
    rows = _rows(folder / "facilities.csv")
    ids = _placed(conn, rows, "facilities")
    copy_rows(
        conn,
        "registry_facility_in",
        "code text, kind text, owner_unit text, state text, lon float8, lat float8, "
        "micro_grid_id bigint",
        (
            (r["code"], r["kind"], r["owner_unit"], r["state"], r["lon"], r["lat"], m)
            for r, m in zip(rows, ids, strict=True)
        ),
    )
    conn.execute(
        text(
            "INSERT INTO facility (code, kind, owner_unit, state, geom, micro_grid_id) "
            "SELECT code, kind, owner_unit, state, ST_SetSRID(ST_MakePoint(lon, lat), 4490), "
            "micro_grid_id FROM registry_facility_in ORDER BY code"
        )
    )


def _load_organisations(conn: Connection, folder: Path) -> None:
    rows = _rows(folder / "organisations.csv")
    ids = _placed(conn, rows, "organisations")
    copy_rows(
        conn,
        "registry_organisation_in",
        "code text, name text, address text, kind text, key_unit boolean, party_members int, "
        "legal_person text, contact_phone text, lon float8, lat float8, micro_grid_id bigint",
        (
            (
                r["code"], r["name"], r["address"], r["kind"], _bool(r["key_unit"]),
                r["party_members"] or None, r["legal_person"], r["contact_phone"],
                r["lon"] or None, r["lat"] or None, m or None,
            )
            for r, m in zip(rows, ids, strict=True)
        ),
    )  # fmt: skip
    conn.execute(query("sample_organisations"))
