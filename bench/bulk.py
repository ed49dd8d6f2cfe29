"""P2 bulk assignment and P3 import: set-wise work against geopandas and raw ``COPY``.

P2: :func:`geo.assign_bulk.place_many` on the synthetic points ÷ ``geopandas.sjoin`` of the
same points (built from the same arrays) with the micro-grids (read beforehand, untimed).
P3: :func:`cases.imports.importer.import_incidents` of the synthetic CSV (read, checked, placed,
routed, numbered and written with its trail, committed) ÷ a raw ``COPY`` of exactly the rows it
wrote (incidents and trail entries, copied out afterwards) into tables made ``LIKE`` them with
their indexes, their partitions and their foreign keys: the import must persist into tables
whose foreign keys PostgreSQL checks row by row (about three quarters of a raw ``COPY``'s
time), so a baseline without them would time less work than any import into the schema can
do; and each row routed to its year's partition, each trail row's key checked against a
partitioned table. The raw ``COPY`` without foreign keys is reported beside it. The import
is also how each scale's incidents get into its database.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import psycopg
from sqlalchemy import Engine, text

from bench.common import Result
from bench.context import Context
from cases.imports.importer import ImportReport, import_incidents
from geo.areas import current_generation
from geo.assign_bulk import Method, place_many

SOURCE = "synthetic"


def load(engine: Engine, csv: Path) -> tuple[ImportReport, float]:
    """Import ``csv`` through the service's importer; the report and the seconds it took."""
    started = time.perf_counter()
    report = import_incidents(engine, csv, source=SOURCE)
    seconds = time.perf_counter() - started
    if report.refused:
        raise RuntimeError(f"the importer refused synthetic rows: {report.refused[:3]}")
    with engine.connect() as conn:
        conn.execute(text("ANALYZE incident"))
        conn.execute(text("ANALYZE incident_event"))
        conn.commit()
    return report, seconds


def raw_copy(ctx: Context, *, foreign_keys: bool = True) -> float:
    """Seconds to COPY the imported incidents and their trail into indexed look-alike tables
    (partitioned as the real ones: :func:`_look_alike`), with the real tables' foreign keys
    (the trail's to the incident look-alike) or without."""
    tables = {
        "incident": f"SELECT * FROM incident WHERE source = '{SOURCE}'",
        "incident_event": (
            "SELECT e.* FROM incident_event e JOIN incident i ON i.id = e.incident_id "
            f"WHERE i.source = '{SOURCE}'"
        ),
    }
    buffers: dict[str, bytes] = {}
    with ctx.raw() as conn:
        for table in reversed(tables):
            conn.execute(f"DROP TABLE IF EXISTS raw_{table}")
        for table, select in tables.items():
            out = io.BytesIO()
            with conn.cursor().copy(f"COPY ({select}) TO STDOUT (FORMAT BINARY)") as copy:
                for chunk in copy:
                    out.write(chunk)
            buffers[table] = out.getvalue()
            _look_alike(conn, table)
            if foreign_keys:
                _copy_foreign_keys(conn, table)
        started = time.perf_counter()
        with conn.transaction():
            for table, data in buffers.items():
                with conn.cursor().copy(f"COPY raw_{table} FROM STDIN (FORMAT BINARY)") as copy:
                    copy.write(data)
        seconds = time.perf_counter() - started
        for table in reversed(tables):
            conn.execute(f"DROP TABLE raw_{table}")
    return seconds


def _look_alike(conn: psycopg.Connection, table: str) -> None:
    """``raw_<table>``: ``table``'s columns, defaults and indexes, partitioned as it is (one
    ``raw_<partition>`` for each of its partitions, same bounds), so that the baseline routes
    each row to its partition and checks the trail's foreign key against a partitioned table
    as the import must."""
    row = conn.execute("SELECT pg_get_partkeydef(%s::regclass)", (table,)).fetchone()
    key = row[0] if row else None
    partitioned = f" PARTITION BY {key}" if key else ""
    conn.execute(f"CREATE TABLE raw_{table} (LIKE {table} INCLUDING ALL){partitioned}")
    if not key:
        return
    partitions = conn.execute(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
        (table,),
    ).fetchall()
    for name, bound in partitions:
        conn.execute(f"CREATE TABLE raw_{name} PARTITION OF raw_{table} {bound}")


def _copy_foreign_keys(conn: psycopg.Connection, table: str) -> None:
    """Give ``raw_<table>`` the foreign keys of ``table`` (the trail's to ``raw_incident``)."""
    found = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f' AND conparentid = 0",  # not a
        # partition's copy (a foreign key to incident has one for each partition of incident)
        (table,),
    ).fetchall()
    for name, definition in found:
        definition = definition.replace("REFERENCES incident(", "REFERENCES raw_incident(")
        conn.execute(f"ALTER TABLE raw_{table} ADD CONSTRAINT raw_{name} {definition}")


def import_result(ctx: Context, report: ImportReport, seconds: float) -> list[Result]:
    raw = raw_copy(ctx)
    raw_without_fks = raw_copy(ctx, foreign_keys=False)
    with ctx.raw() as conn:
        row = conn.execute(
            "SELECT count(*) FROM incident_event e JOIN incident i ON i.id = e.incident_id "
            "WHERE i.source = %s",
            (SOURCE,),
        ).fetchone()
    events = int(row[0]) if row else 0
    return [
        Result(
            "P3",
            "import with assignment, persisted ÷ raw COPY of the same rows",
            ctx.scale,
            {
                "import": f"{seconds:.1f} s ({report.accepted / seconds:,.0f} rows/s)",
                "raw COPY": f"{raw:.1f} s",
                "raw COPY without foreign keys": f"{raw_without_fks:.1f} s "
                f"(import ÷ it {seconds / raw_without_fks:.2f}×)",
            },
            seconds / raw,
            ("<=", 2.0),
            note=f"{report.accepted:,} incidents and {events:,} trail entries",
        )
    ]


def assign(ctx: Context, x: np.ndarray, y: np.ndarray) -> list[Result]:
    with ctx.engine.connect() as conn:
        g = current_generation(conn)
        micro = gpd.read_postgis(
            text(
                "SELECT id, code, geom FROM area WHERE level = 'micro_grid' AND generation_low "
                "<= :g AND (generation_high IS NULL OR generation_high >= :g) ORDER BY code"
            ),
            conn,
            geom_col="geom",
            params={"g": g},
        )
        place_many(conn, x[:5000], y[:5000], g, 500.0)  # warm plans and caches
        started = time.perf_counter()
        placed = place_many(conn, x, y, g, 500.0)
        ours = time.perf_counter() - started
        k = min(len(x), 100_000)
        started = time.perf_counter()
        place_many(conn, x[:k], y[:k], g, 500.0, method=Method.POSTGIS)
        postgis = time.perf_counter() - started
        conn.rollback()
    gpd.sjoin(gpd.GeoDataFrame(geometry=gpd.points_from_xy(x[:5000], y[:5000], crs=micro.crs)),
              micro, predicate="intersects")  # fmt: skip
    started = time.perf_counter()
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y, crs=micro.crs))
    joined = gpd.sjoin(pts, micro, how="left", predicate="intersects")
    sjoin = time.perf_counter() - started
    covered = int((placed.how <= 1).sum())
    return [
        Result(
            "P2",
            f"bulk assignment of {len(x):,} points ÷ geopandas.sjoin",
            ctx.scale,
            {
                "place_many (strtree)": f"{ours:.2f} s",
                "geopandas.sjoin": f"{sjoin:.2f} s",
                f"postgis method, {k:,} points": f"{postgis:.2f} s",
            },
            ours / sjoin,
            ("<=", 1.0),
            note=f"{len(micro):,} micro-grids; {covered:,} points covered, "
            f"{len(joined):,} sjoin rows",
        )
    ]
