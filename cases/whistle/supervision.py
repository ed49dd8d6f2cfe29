"""The whistle's part of the supervision sweep: every overdue step noticed once.

:func:`sweep_whistles` runs inside :func:`cases.loop.supervision.sweep` (one call, under its
lock and in its transaction). A step is overdue when its deadline passed on an open whistle
and the department has not done it: ``acknowledge`` (10 minutes), ``respond`` (a resident's
problem: one working day, answered by the acknowledgement) and ``arrive`` (no check-in on
site). Each notice is a ``whistle_notice`` row keyed by (whistle, department, step), written
with ``ON CONFLICT DO NOTHING``, so a second sweep finds nothing new; each whistle noticed gets
one live ``whistle`` event (``overdue``) with the departments concerned.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import Connection

from cases import live
from cases.whistle import read
from cases.whistle.sql import query


def sweep_whistles(conn: Connection, now: datetime) -> Counter[str]:
    """Notice every step overdue at ``now``; how many of each kind (``whistle_acknowledge``,
    ``whistle_respond``, ``whistle_arrive``)."""
    rows = conn.execute(query("whistle_sweep"), {"now": now}).all()
    late: dict[int, list[str]] = {}
    for r in rows:
        late.setdefault(r.whistle_id, []).append(r.department)
    live.notify(
        conn,
        [
            live.whistle("overdue", read.whistle(conn, w, now=now), overdue=sorted(set(d)))
            for w, d in late.items()
        ],
    )
    return Counter(f"whistle_{r.kind}" for r in rows)
