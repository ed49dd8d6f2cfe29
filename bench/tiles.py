"""Vector tiles per second: micro-grid and incident-count tiles over the banner, by zoom.

    .venv/bin/python bench/tiles.py                 # zooms 10, 12, 13, 14
    .venv/bin/python bench/tiles.py --zooms 13 --baseline 50

Uses the same start-up as ``wangge run`` (``WANGGE_DATABASE_URL`` or the embedded PostGIS under
``WANGGE_DATA_DIR``). Every tile of the zoom that meets the banner's outline is rendered once
with :func:`geo.tiles.tile` on one connection, one after another (one core), after a warm-up
pass over a few tiles. The baseline, measured in the same run on a sample of the same tiles, is
the query without the ``&&`` prefilter on storage coordinates: every micro-grid transformed to
Web Mercator and tested against the envelope, so no index can help. Prints tiles per second,
the mean tile size and the speed-up over the baseline. Nothing is written.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import shapely
from sqlalchemy import Connection, text

from api.app import prepare_database
from cases.models import CLOSED_STATUSES
from geo.areas import current_generation
from geo.settings import Settings
from geo.tiles import (
    BUFFER,
    EXTENT,
    IncidentTileFilter,
    Layer,
    tile,
    tile_bounds,
    tiles_covering,
)

#: The same layer without the storage-side prefilter (what the index saves us).
NO_INDEX = text(
    """
    WITH bounds AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env),
    features AS (
        SELECT ST_AsMVTGeom(ST_Transform(a.geom, 3857), b.env, :extent, :buffer, true) AS geom,
               a.code, a.name, a.level, p.code AS parent_code
        FROM area a CROSS JOIN bounds b LEFT JOIN area p ON p.id = a.parent_id
        WHERE a.level = 'micro_grid'
          AND a.generation_low <= :g AND (a.generation_high IS NULL OR a.generation_high >= :g)
          AND ST_Intersects(ST_Transform(a.geom, 3857), b.env)
    )
    SELECT ST_AsMVT(features.*, 'micro_grid', :extent, 'geom') FROM features
    WHERE geom IS NOT NULL
    """
)


def banner_tiles(conn: Connection, z: int) -> list[tuple[int, int, int]]:
    """The tiles of zoom ``z`` that meet the banner's outline."""
    wkb = conn.execute(
        text("SELECT ST_AsBinary(geom) FROM area WHERE level = 'banner' AND code = '150621'")
    ).scalar_one()
    outline = shapely.from_wkb(bytes(wkb))
    shapely.prepare(outline)
    covering = tiles_covering(outline.bounds, z)
    return [t for t in covering if outline.intersects(shapely.box(*tile_bounds(*t)))]


def rate(render, tiles: list[tuple[int, int, int]]) -> tuple[float, float]:
    """Tiles per second and mean KiB over ``tiles`` (after warming on the first few)."""
    for t in tiles[:5]:
        render(*t)
    sizes = []
    started = time.perf_counter()
    for t in tiles:
        sizes.append(len(render(*t)))
    seconds = time.perf_counter() - started
    return len(tiles) / seconds, statistics.fmean(sizes) / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zooms", type=int, nargs="+", default=[10, 12, 13, 14])
    parser.add_argument("--baseline", type=int, default=30, help="tiles per zoom for the baseline")
    parser.add_argument("--seed", type=int, default=150621)
    args = parser.parse_args(argv)
    database = prepare_database(Settings())
    rng = random.Random(args.seed)
    closed = frozenset(s.value for s in CLOSED_STATUSES)
    try:
        with database.engine.connect() as conn:
            g = current_generation(conn)

            def areas(z: int, x: int, y: int) -> bytes:
                return tile(conn, Layer.MICRO_GRID, z, x, y, generation=g)

            def counts(z: int, x: int, y: int) -> bytes:
                where = IncidentTileFilter(closed)
                return tile(conn, Layer.INCIDENTS, z, x, y, generation=g, incidents=where)

            def no_index(z: int, x: int, y: int) -> bytes:
                params = {"z": z, "x": x, "y": y, "g": g, "extent": EXTENT, "buffer": BUFFER}
                return bytes(conn.execute(NO_INDEX, params).scalar_one() or b"")

            print(
                f"{'zoom':>4} {'tiles':>6} {'micro_grid/s':>13} {'KiB':>6} "
                f"{'incidents/s':>12} {'KiB':>6} {'no index/s':>11} {'speed-up':>9}"
            )
            for z in args.zooms:
                tiles = banner_tiles(conn, z)
                fast, kib = rate(areas, tiles)
                per_s, counts_kib = rate(counts, tiles)
                sample = rng.sample(tiles, min(args.baseline, len(tiles)))
                slow, _ = rate(no_index, sample)
                print(
                    f"{z:>4} {len(tiles):>6} {fast:>13,.0f} {kib:>6.1f} {per_s:>12,.0f} "
                    f"{counts_kib:>6.1f} {slow:>11,.1f} {fast / slow:>8.0f}x"
                )
            conn.rollback()
    finally:
        database.close()


if __name__ == "__main__":
    main()
