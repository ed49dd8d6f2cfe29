"""The benchmark databases and the synthetic county's incidents, deterministic from a seed.

One embedded PostGIS cluster under ``var/bench/pg`` holds:

``wangge``
    The sample set as ``wangge run`` loads it (6,300 micro-grids, 5,740 incidents): the
    template every run copies, so a run never sees what an earlier one wrote.
``bench_banner``
    A fresh copy per run; the synthetic incidents go in through the importer (that is P3).
``bench_province``
    A fresh copy with nine translated copies of the banner's areas added (×10 micro-grids,
    new codes ``1599NN…``), and its incidents spread over all ten copies.

The incidents (:func:`incident_table`): 70 % in :data:`HOTSPOTS` Gaussian clusters around
micro-grid centroids picked with the seed, 30 % uniform over the banner's box; categories,
statuses and times drawn with the same generator.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import shapely
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.app import prepare_database
from bench.common import VAR, libpq_url
from geo.embedded import EmbeddedPostgres
from geo.settings import Settings

SEED = 20260107
HOTSPOTS = 8
HOTSPOT_SHARE = 0.70
#: Gaussian spread of a hotspot, in degrees (about 400 m north-south).
HOTSPOT_SIGMA = 0.004
#: Province layout: copies of the banner in COLUMNS columns, offset by STEP degrees.
COPIES = 10
COLUMNS = 5
STEP = (1.8, 0.8)
#: Statuses of the synthetic incidents and their shares (about 60 % still open).
STATUSES = {
    "reported": 0.20,
    "dispatched": 0.15,
    "in_progress": 0.15,
    "handled": 0.10,
    "closed": 0.25,
    "evaluated": 0.15,
}
TEMPLATE = "wangge"


@dataclass(frozen=True)
class Cluster:
    """The bench cluster: its server URL for any database name."""

    url: str
    #: The embedded server (None when ``url`` is someone else's): a standby copies it.
    embedded: EmbeddedPostgres | None = None

    def database(self, name: str) -> str:
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)


@contextlib.contextmanager
def cluster(root: Path = VAR) -> Iterator[Cluster]:
    """Start (or attach to) the bench cluster, with the sample set in the template database."""
    database = prepare_database(Settings(data_dir=root, database_url=None))
    database.engine.dispose()
    try:
        yield Cluster(database.url, database.embedded)
    finally:
        database.close()


def fresh_database(where: Cluster, name: str) -> str:
    """``name`` as a new copy of the template; returns its URL."""
    with psycopg.connect(libpq_url(where.url), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    return where.database(name)


def drop_database(where: Cluster, name: str) -> None:
    with psycopg.connect(libpq_url(where.url), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def add_province(url: str) -> int:
    """Add nine translated copies of the banner and every area inside it (new ids and codes,
    each copy's banner under the banner's own parent); returns micro-grids.

    Only the banner is copied: a copy of the province or city level, or of the sample's
    second place (Haibowan, with the banner's code suffixes), would reuse a copy's codes for
    other shapes, which the area code registry refuses.
    """
    engine = create_engine(url)
    with engine.begin() as conn:
        offset = conn.execute(text("SELECT max(id) + 1 FROM area")).scalar_one()
        for k in range(1, COPIES):
            dx, dy = _shift(k)
            conn.execute(
                text(
                    "INSERT INTO area (id, code, name, level, kind, population, parent_id, "
                    "generation_low, generation_high, geom) "
                    "SELECT id + :o, :prefix || substr(code, 7), name || ' ' || :k, level, kind, "
                    "population, CASE WHEN code = '150621' THEN parent_id ELSE parent_id + :o END, "
                    "generation_low, generation_high, ST_Translate(geom, :dx, :dy) FROM area "
                    "WHERE id < :base AND code LIKE '150621%'"
                ),
                {"o": k * offset, "prefix": f"1599{k:02d}", "k": k, "dx": dx, "dy": dy,
                 "base": offset},
            )  # fmt: skip
        conn.execute(text("SELECT setval(pg_get_serial_sequence('area', 'id'), max(id)) FROM area"))
        conn.execute(text("ANALYZE area"))
        micro = conn.execute(text("SELECT count(*) FROM area WHERE level = 'micro_grid'"))
        count = int(micro.scalar_one())
    engine.dispose()
    return count


def _shift(k: int) -> tuple[float, float]:
    return (k % COLUMNS) * STEP[0], (k // COLUMNS) * STEP[1]


def micro_grids(url: str) -> tuple[np.ndarray, np.ndarray, shapely.Geometry]:
    """Centroids (x, y) of the banner's micro-grids in code order, and the banner's outline."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT ST_X(ST_PointOnSurface(geom)) AS x, ST_Y(ST_PointOnSurface(geom)) AS y "
                "FROM area WHERE level = 'micro_grid' AND code LIKE '150621%' ORDER BY code"
            )
        ).all()
        outline = conn.execute(
            text("SELECT ST_AsBinary(geom) FROM area WHERE level = 'banner' AND code = '150621'")
        ).scalar_one()
    engine.dispose()
    xs = np.array([r.x for r in rows])
    ys = np.array([r.y for r in rows])
    return xs, ys, shapely.from_wkb(bytes(outline))


def points(
    n: int, centroids: tuple[np.ndarray, np.ndarray], outline: shapely.Geometry, seed: int = SEED
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points: 70 % around :data:`HOTSPOTS` centres, the rest uniform in the banner."""
    rng = np.random.default_rng(seed)
    cx, cy = centroids
    centres = rng.choice(len(cx), HOTSPOTS, replace=False)
    hot = round(n * HOTSPOT_SHARE)
    which = rng.integers(0, HOTSPOTS, hot)
    hx = cx[centres][which] + rng.normal(0, HOTSPOT_SIGMA * 1.3, hot)
    hy = cy[centres][which] + rng.normal(0, HOTSPOT_SIGMA, hot)
    west, south, east, north = outline.bounds
    shapely.prepare(outline)
    ux: list[np.ndarray] = []
    uy: list[np.ndarray] = []
    need = n - hot
    while sum(len(u) for u in ux) < need:
        x = rng.uniform(west, east, need + 16)
        y = rng.uniform(south, north, need + 16)
        keep = shapely.contains_xy(outline, x, y)
        ux.append(x[keep])
        uy.append(y[keep])
    x = np.concatenate([hx, np.concatenate(ux)[:need]])
    y = np.concatenate([hy, np.concatenate(uy)[:need]])
    order = rng.permutation(n)
    return x[order], y[order]


def incident_table(
    n: int,
    centroids: tuple[np.ndarray, np.ndarray],
    outline: shapely.Geometry,
    categories: list[str],
    *,
    copies: int = 1,
    seed: int = SEED,
) -> pd.DataFrame:
    """``n`` synthetic incidents as the importer's CSV columns (CGCS2000 coordinates).

    With ``copies`` > 1 the county's points are spread over the province's translated copies.
    """
    x, y = points(n, centroids, outline, seed)
    rng = np.random.default_rng(seed + 1)
    if copies > 1:
        k = rng.integers(0, copies, n)
        x = x + (k % COLUMNS) * STEP[0]
        y = y + (k // COLUMNS) * STEP[1]
    start = np.datetime64("2024-01-01T00:00:00")
    reported = start + rng.integers(0, 700 * 86400, n).astype("timedelta64[s]")
    occurred = reported - rng.integers(600, 86400, n).astype("timedelta64[s]")
    names = list(STATUSES)
    status = np.array(names)[rng.choice(len(names), n, p=list(STATUSES.values()))]
    status_at = reported + rng.integers(3600, 20 * 86400, n).astype("timedelta64[s]")
    fmt = "%Y-%m-%dT%H:%M:%S+08:00"
    frame = pd.DataFrame(
        {
            "lon": np.round(x, 7),
            "lat": np.round(y, 7),
            "datum": "cgcs2000",
            "category": np.array(categories)[rng.integers(0, len(categories), n)],
            "description": "基准测试事件",
            "occurred_at": pd.to_datetime(occurred).strftime(fmt),
            "reported_at": pd.to_datetime(reported).strftime(fmt),
            "status": status,
            "status_at": pd.to_datetime(status_at).strftime(fmt),
            "reporter_name": "测试",
            "reporter_phone": "13800000000",
        }
    )
    frame.loc[frame.status == "reported", "status_at"] = ""
    return frame


def minor_categories(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        codes = conn.execute(
            text("SELECT code FROM category WHERE parent_code IS NOT NULL ORDER BY code")
        ).scalars()
        found = list(codes)
    engine.dispose()
    return found


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path
