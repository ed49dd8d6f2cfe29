"""The supervision sweep: warnings, 催办 and yellow and red cards, each issued once.

WORKFLOW.md §1 rules 2 and 3: a warning 48 hours before a deadline, 催办 (``urge``) one
working day after it, 通报 (``notice``, a published notice) five working days after it, a
yellow card ``yellow_after`` and a red card ``red_after`` working days
after it (the step's time-limit row; defaults: accepting 2 / 5, handling 5 / 10). The deadlines
watched, and which limit gets which notice, are in ``sql/supervision_sweep.sql``.

Why a notice cannot be issued twice, nor lost:

- its state is in the database, not in the process: ``supervision_notice`` keyed by (case,
  kind, deadline), written with ``ON CONFLICT DO NOTHING`` in the transaction that writes its
  trail entry, bumps the case's version and raises its card; a restart loses nothing and a
  deadline that moves (a delay, a resumed hang) is a new deadline with notices of its own;
- one sweep runs at a time across all workers: ``pg_try_advisory_xact_lock`` (a worker that
  does not get the lock skips its turn), and even two sweeps at once would collide on the key;
- the working calendar enters as one cut-off per distinct card limit (:meth:`Calendar.back`),
  so the whole sweep is one statement however many cases there are.

Each notice is a trail entry (``kind='supervision'``, ``action='card'``, ``data={"card",
"due_at"}``) and each case noticed a ``changed`` live event, sent when the sweep commits.
:func:`run` is what the service's background task calls every :data:`EVERY_S` seconds.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection, Engine

from cases import live
from cases.cobuild.loans import sweep_loans
from cases.loop import calendar
from cases.loop.sql import query
from cases.mediation.sweep import sweep_mediation
from cases.routines.cadence import sweep_routines
from cases.whistle.supervision import sweep_whistles

#: How often the service sweeps.
EVERY_S = 60.0
#: How long before a deadline the warning comes.
WARNING_BEFORE = timedelta(hours=48)
#: 催办 comes this many working days after a deadline.
URGE_AFTER_DAYS = Decimal(1)
#: 通报 comes this many working days after a deadline.
NOTICE_AFTER_DAYS = Decimal(5)
#: The advisory lock key of the sweep ("WGSV" + 13, the issue).
LOCK_KEY = 0x5747_5356_0013


def sweep(conn: Connection, now: datetime | None = None) -> Counter[str] | None:
    """Issue every notice due at ``now`` (default: the clock) inside the caller's transaction;
    how many of each kind, or None when another sweep holds the lock."""
    if not conn.execute(query("supervision_lock"), {"key": LOCK_KEY}).scalar_one():
        return None
    conn.execute(query("supervision_plan"))
    now = now or datetime.now(UTC)
    cal = calendar.load(conn)
    days = [Decimal(d) for d in conn.execute(query("card_days")).scalars()]
    rows = conn.execute(
        query("supervision_sweep"),
        {
            "now": now,
            "warn_until": now + WARNING_BEFORE,
            "urge_before": cal.back(now, URGE_AFTER_DAYS, "work_days"),
            "notice_before": cal.back(now, NOTICE_AFTER_DAYS, "work_days"),
            "days": days,
            "cutoffs": [cal.back(now, d, "work_days") for d in days],
        },
    ).all()
    desks = {r.incident_id: (r.queue_area_id, r.department_id) for r in rows}
    ids = sorted(desks)
    live.notify_changed(conn, ids, [desks[i][0] for i in ids], [desks[i][1] for i in ids])
    return (
        Counter(r.kind for r in rows)
        + sweep_mediation(conn, now)
        + sweep_whistles(conn, now)
        + sweep_routines(conn, now)
        + sweep_loans(conn, now)
    )


def run(engine: Engine, now: datetime | None = None) -> Counter[str] | None:
    """One sweep in its own transaction (see :func:`sweep`)."""
    with engine.begin() as conn:
        return sweep(conn, now)
