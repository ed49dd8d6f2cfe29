"""P11 (sweep): the supervision sweep over the county's cases ÷ the raw scan it wraps.

The synthetic incidents carry no closed-loop clock of their own, so the measure gives every one
its handling deadline as its step's deadline and starts the handling clock of the dispatched
and in-progress ones at their report (one ``UPDATE``, untimed). Reported 2024–2025, every open
one is long overdue: the first sweep (:func:`cases.loop.supervision.run`) issues all their
notices at once, the worst case (the first minute after the feature is switched on); the second
finds nothing new, which is what the service pays every minute. Each is timed, and the second
÷ the baseline: one raw ``SELECT count(*)`` over the same watched deadlines (the scan that any
sweep must make), in the same run.

Standalone (it changes the cases, so in a full run it goes last, with P9)::

    python -m bench.supervision [--quick | --smoke]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from sqlalchemy import create_engine, text

from bench import bulk, data
from bench.common import VAR, Result, artefacts
from bench.context import SIZES, Context
from cases.loop import supervision

PREPARE = """
UPDATE incident
SET step_due_at = deadline_at,
    handling_started_at = CASE WHEN status IN ('dispatched', 'in_progress') THEN reported_at END
WHERE status NOT IN ('void', 'closed', 'evaluated')
"""
RAW_SCAN = """
SELECT count(*) FROM incident
WHERE status IN ('reported', 'accepted', 'filed', 'returned', 'dispatched', 'in_progress',
                 'rework', 'reopened', 'handled')
  AND (step_due_at <= %(until)s OR deadline_at <= %(until)s)
"""


def measure(ctx: Context, repeat: int = 3) -> list[Result]:
    engine = ctx.engine
    with engine.begin() as conn:
        conn.execute(text(PREPARE))
        conn.execute(text("ANALYZE incident"))
    now = datetime.now(UTC)
    with ctx.raw() as raw:
        raw.execute(RAW_SCAN, {"until": now}).fetchone()  # warm the cache as the sweeps will be
        started = time.perf_counter()
        for _ in range(repeat):
            watched = raw.execute(RAW_SCAN, {"until": now}).fetchone()[0]  # type: ignore[index]
        scan = (time.perf_counter() - started) / repeat
    started = time.perf_counter()
    first = supervision.run(engine, now) or {}
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(repeat):
        again = supervision.run(engine, now)
        assert again is not None and not again, f"a second sweep issued {again}"
    steady = (time.perf_counter() - started) / repeat
    issued = sum(first.values())
    kinds = ", ".join(f"{k} {v:,}" for k, v in sorted(first.items()))
    return [
        Result(
            "P11",
            f"supervision sweep over {ctx.incidents:,} cases, nothing new ÷ raw scan",
            ctx.scale,
            {"sweep": f"{steady:.3f} s", "raw scan": f"{scan:.3f} s"},
            steady / scan,
            ("", float("nan")),
            note=f"{watched:,} watched open cases; the first sweep issued {issued:,} notices "
            f"({kinds}) in {first_s:.1f} s",
            extra={"first sweep": f"{first_s:.1f} s", "steady sweep": f"{steady:.3f} s"},
        )
    ]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.supervision", description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_const", dest="mode", const="quick")
    mode.add_argument("--smoke", action="store_const", dest="mode", const="smoke")
    parser.add_argument("--keep", action="store_true", help="keep bench_supervision afterwards")
    args = parser.parse_args()
    sizes = SIZES[args.mode or "full"]
    with data.cluster(VAR) as where:
        name = "bench_supervision"
        url = data.fresh_database(where, name)
        xs, ys, outline = data.micro_grids(url)
        frame = data.incident_table(sizes.incidents, (xs, ys), outline, data.minor_categories(url))
        csv = data.write_csv(frame, artefacts("data") / f"incidents-banner-{sizes.incidents}.csv")
        engine = create_engine(url)
        report, seconds = bulk.load(engine, csv)
        engine.dispose()
        print(f"imported {report.accepted:,} incidents in {seconds:.1f} s", flush=True)
        ctx = Context("banner", url, sizes, None, None, report.accepted + 5740, 6300)  # type: ignore[arg-type]
        for r in measure(ctx):
            print(r.id, r.title, r.raw, f"{r.ratio:.2f}×", r.note, r.extra, flush=True)
        ctx.close()
        if not args.keep:
            data.drop_database(where, name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
