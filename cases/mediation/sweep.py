"""The ladder's reminders, issued by the one supervision sweep
(:func:`cases.loop.supervision.sweep` calls :func:`sweep_mediation`), each once.

- ``attempt_late``: the rung's next attempt is past its deadline (the previous attempt, or the
  intake, plus the rung's limit in working days): the dispute should move up (§5.3);
- ``ladder_late``: the whole ladder is past its 30 days;
- ``confirmation_due``: judicial confirmation of an agreement is still pending 7 days before
  its 30-day window closes (and after);
- ``follow_up_due``: no follow-up call :data:`FOLLOW_UP_DAYS` days after the agreement took
  effect.

Each reminder is a row of ``mediation_notice`` keyed by (file, kind, deadline) written with
``ON CONFLICT DO NOTHING``, an entry of the case's trail (kind ``mediation``, action
``mediation_reminder``, ``data={"kind", "due_at"}``) and a live ``changed`` event, all in the
sweep's transaction (which holds the sweep's advisory lock).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection

from cases import live
from cases.loop import calendar
from cases.loop.calendar import CHINA
from cases.mediation import ladder
from cases.mediation.sql import query

#: The follow-up call is due this many days after the agreement takes effect.
FOLLOW_UP_DAYS = 15
#: The confirmation reminder comes this many days before its window closes.
CONFIRMATION_WARNING_DAYS = 7
LABELS = {
    "attempt_late": "本级调解已超期，请调解或上提",
    "ladder_late": "调解已超过30日总时限",
    "confirmation_due": "调解协议司法确认期限将至",
    "follow_up_due": "请回访调解协议履行情况",
}


def _midnight(day: Any) -> datetime:
    return datetime.combine(day, time(0), CHINA)


def due_notices(
    row: Any, limits: dict[str, ladder.Limit], cal: calendar.Calendar
) -> list[tuple[str, datetime]]:
    """The (kind, deadline) reminders a file of ``sweep_files.sql`` may be owed."""
    out = []
    if row.outcome is None:
        limit = limits[ladder.rung_of(row.level)]
        start = row.last_held_at or _midnight(row.intake_on)
        out.append(("attempt_late", cal.add(start, limit.amount, limit.unit)))
        overall = limits["ladder"]
        out.append(
            ("ladder_late", _midnight(row.intake_on) + timedelta(days=float(overall.amount)))
        )
    if row.effective_on is not None:
        if row.confirmation == "pending":
            due = _midnight(row.confirmation_due)
            out.append(("confirmation_due", due - timedelta(days=CONFIRMATION_WARNING_DAYS)))
        if not row.followed_up:
            out.append(
                ("follow_up_due", _midnight(row.effective_on) + timedelta(days=FOLLOW_UP_DAYS))
            )
    return out


def sweep_mediation(conn: Connection, now: datetime) -> Counter[str]:
    """Issue the ladder's reminders due at ``now``; how many of each kind (``mediation_*``)."""
    limits = ladder.limits(conn)
    cal = calendar.load(conn)
    issued: Counter[str] = Counter()
    noticed: dict[int, tuple[int, int]] = {}
    for row in conn.execute(query("sweep_files")).all():
        for kind, due in due_notices(row, limits, cal):
            if due > now:
                continue
            new = conn.execute(
                query("notice_insert"),
                {"file_id": row.file_id, "kind": kind, "due_at": due, "now": now},
            ).first()
            if new is None:
                continue
            conn.execute(
                query("trail_entry"),
                {
                    "incident_id": row.incident_id,
                    "at": now,
                    "actor": "system",
                    "action": "mediation_reminder",
                    "reason": LABELS[kind],
                    "data": json.dumps({"kind": kind, "due_at": due.isoformat()}),
                },
            )
            issued[f"mediation_{kind}"] += 1
            noticed[row.incident_id] = (row.queue_area_id, row.department_id)
    ids = sorted(noticed)
    live.notify_changed(conn, ids, [noticed[i][0] for i in ids], [noticed[i][1] for i in ids])
    return issued
