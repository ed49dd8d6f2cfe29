"""P9 publish a new generation and re-assign the open incidents ÷ a raw ``UPDATE`` join.

Timed, in one transaction as the service does it: a plan over the grid holding the most open
incidents merges two of its touching micro-grids and is published
(:func:`cases.redraw.publish.publish`, which re-places the merged micro-grids' open incidents), and
then every open incident of the county is re-placed on the new generation
(:func:`cases.redraw.reassign.reassign_open` over all townships). The baseline, measured first in a
transaction that is rolled back, is one ``UPDATE … FROM`` that joins every open incident to
the micro-grid covering it (with its grid, village and township).
"""

from __future__ import annotations

import time

from sqlalchemy import text

from bench.common import Result
from bench.context import Context
from cases.models import CLOSED_STATUSES
from cases.redraw.publish import publish
from cases.redraw.reassign import reassign_open
from geo.plans.drafts import create_plan
from geo.plans.edits import merge_areas

CLOSED = sorted(s.value for s in CLOSED_STATUSES)
RAW_UPDATE = """
UPDATE incident i
SET generation_id = %(g)s, micro_grid_id = m.id, grid_id = g.id, village_id = v.id,
    township_id = t.id, queue_area_id = m.id
FROM area m
JOIN area g ON g.id = m.parent_id
JOIN area v ON v.id = g.parent_id
JOIN area t ON t.id = v.parent_id
WHERE m.level = 'micro_grid'
  AND m.generation_low <= %(g)s AND (m.generation_high IS NULL OR m.generation_high >= %(g)s)
  AND ST_Intersects(m.geom, i.geom)
  AND i.status <> ALL(%(closed)s)
"""


def _raw(ctx: Context) -> tuple[float, int]:
    with ctx.raw(autocommit=False) as conn:
        g = conn.execute("SELECT max(id) FROM generation").fetchone()
        assert g is not None
        started = time.perf_counter()
        cur = conn.execute(RAW_UPDATE, {"g": g[0], "closed": CLOSED})
        seconds = time.perf_counter() - started
        conn.rollback()
    return seconds, cur.rowcount


def _plan(ctx: Context) -> int:
    """A draft over the busiest grid with two touching micro-grids merged."""
    with ctx.engine.begin() as conn:
        grid = conn.execute(
            text(
                "SELECT a.code FROM incident i JOIN area a ON a.id = i.grid_id "
                "WHERE i.status <> ALL(:closed) AND a.generation_high IS NULL "
                "GROUP BY a.code ORDER BY count(*) DESC, a.code LIMIT 1"
            ),
            {"closed": CLOSED},
        ).scalar_one()
        plan = create_plan(conn, grid, "基准测试：合并两个微网格", "bench")
        pair = conn.execute(
            text(
                "SELECT a.ref AS a, a.version AS va, b.ref AS b, b.version AS vb "
                "FROM plan_area a JOIN plan_area b ON b.plan_id = a.plan_id AND a.ref < b.ref "
                "AND a.level = b.level AND a.parent_ref = b.parent_ref "
                "AND ST_Relate(a.geom, b.geom, '****1****') "
                "WHERE a.plan_id = :p AND a.level = 'micro_grid' ORDER BY a.ref, b.ref LIMIT 1"
            ),
            {"p": plan},
        ).one()
        merge_areas(conn, plan, [pair.a, pair.b], {pair.a: pair.va, pair.b: pair.vb})
    return plan


def measure(ctx: Context) -> list[Result]:
    raw, rows = _raw(ctx)
    plan = _plan(ctx)
    with ctx.engine.begin() as conn:
        townships = list(
            conn.execute(
                text("SELECT id FROM area WHERE level = 'township' AND generation_high IS NULL")
            ).scalars()
        )
        started = time.perf_counter()
        report = publish(conn, plan, published_by="bench", limit_m=500.0)
        published = time.perf_counter() - started
        moves = reassign_open(conn, townships, report["generation"], limit_m=500.0, actor="bench")
        seconds = time.perf_counter() - started
        open_now = conn.execute(
            text("SELECT count(*) FROM incident WHERE status <> ALL(:c) AND generation_id = :g"),
            {"c": CLOSED, "g": report["generation"]},
        ).scalar_one()
    return [
        Result(
            "P9",
            "publish a generation and re-assign every open incident ÷ raw UPDATE join",
            ctx.scale,
            {
                "publish + reassign": f"{seconds:.1f} s (publish alone {published:.1f} s)",
                "raw UPDATE join": f"{raw:.1f} s",
            },
            seconds / raw,
            ("<=", 2.0),
            note=f"{open_now:,} open incidents on the new generation ({rows:,} updated by the "
            f"raw join); {len(report['incidents'])} moved by the merge, {len(moves)} changed "
            "desk in the sweep",
        )
    ]
