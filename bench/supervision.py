"""P11 sweep: the supervision sweep over the bench's incidents, seconds per sweep.

The runner calls :func:`prepare` right after importing the synthetic incidents and before
anything is timed or served: the synthetic cases carry no closed-loop clock beyond the accept
deadline the importer gives those imported as ``reported``, so every open one without a step
deadline gets its handling deadline as its step's deadline, the dispatched and in-progress ones
a handling clock started at their report (one ``UPDATE``), and then one sweep
(:func:`cases.loop.supervision.run`) issues every notice they are due at once: the first
minute after the feature is switched on (~100,000 cards at the quick scale). Left to the
service's own background sweep, that first pass would land in whichever measure runs then (it
disturbed P8's stream timing). :func:`measure` then times the sweep as the service pays it
every minute: nothing new to issue, the whole watched set scanned. No ratio goal: the row
reports seconds per sweep, with the first sweep and a raw scan of the watched deadlines beside
it.

Standalone::

    python -m bench.supervision [--quick | --smoke]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, create_engine, text

from bench import bulk, data
from bench.common import VAR, Result, artefacts
from bench.context import SIZES, Context
from cases.loop import supervision

PREPARE = """
UPDATE incident
SET step_due_at = coalesce(step_due_at, deadline_at),
    handling_started_at = CASE WHEN status IN ('dispatched', 'in_progress') THEN reported_at END
WHERE status NOT IN ('void', 'closed', 'evaluated')
"""
RAW_SCAN = """
SELECT count(*) FROM incident
WHERE status IN ('reported', 'accepted', 'filed', 'returned', 'dispatched', 'in_progress',
                 'rework', 'reopened', 'handled')
  AND (step_due_at <= %(until)s OR deadline_at <= %(until)s)
"""


@dataclass(frozen=True)
class FirstSweep:
    """What :func:`prepare`'s sweep did: when it swept, how long it took, what it issued."""

    now: datetime
    seconds: float
    issued: dict[str, int]


def prepare(engine: Engine) -> FirstSweep:
    """Give the synthetic cases their clocks and run the first sweep (untimed by the bench's
    measures; its own time is reported in the P11 sweep row)."""
    with engine.begin() as conn:
        conn.execute(text(PREPARE))
        conn.execute(text("ANALYZE incident"))
    now = datetime.now(UTC)
    started = time.perf_counter()
    issued = supervision.run(engine, now) or {}
    return FirstSweep(now, time.perf_counter() - started, dict(issued))


def measure(ctx: Context, first: FirstSweep, repeat: int = 3) -> list[Result]:
    """Seconds per sweep with nothing new to issue, ``repeat`` times."""
    with ctx.raw() as raw:
        raw.execute(RAW_SCAN, {"until": first.now}).fetchone()  # warm as the sweeps will be
        started = time.perf_counter()
        for _ in range(repeat):
            watched = raw.execute(RAW_SCAN, {"until": first.now}).fetchone()[0]  # type: ignore[index]
        scan = (time.perf_counter() - started) / repeat
    started = time.perf_counter()
    for _ in range(repeat):
        again = supervision.run(ctx.engine, first.now)
        assert again is not None and not again, f"a second sweep issued {again}"
    steady = (time.perf_counter() - started) / repeat
    kinds = ", ".join(f"{k} {v:,}" for k, v in sorted(first.issued.items()))
    return [
        Result(
            "P11 sweep",
            f"supervision sweep over {ctx.incidents:,} incidents, nothing new (s per sweep)",
            ctx.scale,
            {"sweep": f"{steady:.3f} s", "raw scan of the watched deadlines": f"{scan:.3f} s"},
            steady,
            ("", float("nan")),
            unit="s",
            note=f"{watched:,} watched open cases; the first sweep (run before any timing) "
            f"issued {sum(first.issued.values()):,} notices ({kinds}) in {first.seconds:.1f} s",
            extra={"first sweep": f"{first.seconds:.1f} s", "steady sweep": f"{steady:.3f} s"},
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
        print(f"imported {report.accepted:,} incidents in {seconds:.1f} s", flush=True)
        first = prepare(engine)
        engine.dispose()
        ctx = Context("banner", url, sizes, None, None, report.accepted + 5740, 6300)  # type: ignore[arg-type]
        for r in measure(ctx, first):
            print(r.id, r.title, r.raw, f"{r.ratio:.3f} s", r.note, flush=True)
        ctx.close()
        if not args.keep:
            data.drop_database(where, name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
