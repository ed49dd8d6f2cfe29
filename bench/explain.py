"""Print the query plans (``EXPLAIN (COSTS OFF)``) of heat, tiles and OGC counts.

Run it before and after a change to the SQL text to show the plans did not move::

    python -m bench.explain [data-dir] > plans.txt

The sample database is prepared in ``data-dir`` (default ``var/explain``; created and loaded
on first use, ~1 min). Each statement is captured as the domain function really sends it
(text and bound parameters, after the query loader filled its fragments) and then explained
with the same parameters, for the whole banner and for a township and department scope, in
the current generation and the first one (where redrawn micro-grids leave "orphans").
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from psycopg import sql
from sqlalchemy import Connection, event
from sqlalchemy.exc import DBAPIError

from cases.models import CLOSED_STATUSES
from geo import heat, ogc, tiles
from geo.areas import current_generation
from geo.scope import WHOLE_BANNER, Scope

REPO = Path(__file__).resolve().parents[1]

SCOPES = {
    "whole": WHOLE_BANNER,
    "township+D02": Scope(area_prefix="150621001", department="D02"),
}

#: The zoom of the tiles explained: the one holding the demo township's centre.
ZOOM = 14


#: PostgreSQL types of parameter values, for statements that do not type them all.
_TYPES = {int: "integer", float: "double precision", str: "text", bool: "boolean"}


@contextmanager
def captured(conn: Connection) -> Iterator[list[tuple[str, Any]]]:
    """Every statement ``conn`` sends meanwhile, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(conn, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(conn, "before_cursor_execute", record)


def plan_of(conn: Connection, run: Callable[[], object], marker: str) -> str:
    """The plans of the statement containing ``marker`` that ``run`` sends: the custom plan
    for its parameters, then the generic plan a prepared statement falls back to."""
    with captured(conn) as seen:
        run()
    statement, parameters = next((s, p) for s, p in seen if marker in s)
    custom = conn.exec_driver_sql("EXPLAIN (COSTS OFF) " + statement, parameters).all()
    names = sorted(set(re.findall(r"%\((\w+)\)s", statement)))  # $n independent of order
    numbered = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m[1]) + 1}", statement)
    body = numbered.replace("%%", "%")
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("PREPARE explained AS " + body)
    except DBAPIError:  # a parameter PostgreSQL cannot type alone: type it by its value
        hints = ", ".join(_TYPES.get(type(parameters[n]), "unknown") for n in names)
        conn.exec_driver_sql(f"PREPARE explained ({hints}) AS " + body)
    conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
    types = conn.exec_driver_sql(
        "SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = 'explained'"
    ).scalar_one()
    raw = conn.connection.driver_connection
    arguments = ", ".join(
        f"CAST({sql.Literal(parameters[n]).as_string(raw)} AS {t})"
        for n, t in zip(names, types, strict=True)
    )
    generic = conn.exec_driver_sql(f"EXPLAIN (COSTS OFF) EXECUTE explained({arguments})").all()
    conn.exec_driver_sql("RESET plan_cache_mode")
    conn.exec_driver_sql("DEALLOCATE explained")
    return "\n".join(
        ["custom plan:", *(r[0] for r in custom), "", "generic plan:", *(r[0] for r in generic)]
    )


def demo_tile(conn: Connection) -> tuple[int, int, int]:
    lon, lat = conn.exec_driver_sql(
        "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) AS c FROM area"
        " WHERE code = '150621001' ORDER BY generation_low DESC LIMIT 1) t"
    ).one()
    return (ZOOM, *tiles._tile_of(lon, lat, ZOOM))


def cases(
    g: int, scope: Scope, tile: tuple[int, int, int]
) -> dict[str, tuple[Callable[[Connection], object], str]]:
    closed = frozenset(str(s) for s in CLOSED_STATUSES)
    where = heat.HeatFilter(category="01")
    z, x, y = tile
    page = ogc.ItemsQuery(generation=g, limit=10)
    return {
        "heat counts": (
            lambda c: heat.counts_and_outlines(c, where, generation=g, scope=scope),
            "orphan_counts AS MATERIALIZED",
        ),
        "heat bins": (lambda c: heat.bins(c, where, scope=scope), "ST_HexagonGrid"),
        "incidents tile": (
            lambda c: tiles.tile(
                c,
                tiles.Layer.INCIDENTS,
                z,
                x,
                y,
                generation=g,
                scope=scope,
                incidents=tiles.IncidentTileFilter(closed=closed),
            ),
            "'incidents'",
        ),
        "area tile (micro_grid)": (
            lambda c: tiles._area_tile(
                c,
                tiles.Layer.MICRO_GRID,
                {"z": z, "x": x, "y": y, "g": g, "extent": tiles.EXTENT, "buffer": tiles.BUFFER}
                | scope.params(),
            ),
            "parent_code",
        ),
        "OGC incident counts": (
            lambda c: ogc.items(
                c, ogc.CollectionId.INCIDENT_COUNTS, page, scope=scope, closed=closed
            ),
            "per_major",
        ),
    }


def main(data_dir: Path) -> None:
    from api.app import prepare_database
    from geo.settings import Settings

    database = prepare_database(Settings(data_dir=data_dir, database_url=None))
    try:
        with database.engine.connect() as conn:
            current = current_generation(conn)
            tile = demo_tile(conn)
            print(f"# tile {tile}, generations 1 and {current}\n")
            for g in sorted({1, current}):
                for scope_name, scope in SCOPES.items():
                    for name, (run, marker) in cases(g, scope, tile).items():
                        print(f"## {name}, generation {g}, scope {scope_name}\n")
                        print(plan_of(conn, lambda run=run: run(conn), marker))
                        print()
            conn.rollback()
    finally:
        database.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "var" / "explain")
