"""A visit that opens a case (走访发现问题，当场立案): the contact and the case in ONE transaction.

The visit is checked first (:func:`cases.routines.visits.check`: the member, the households of
their area, the time, the position), then the case goes through the ordinary report intake
(:func:`cases.intake.submit`, in this transaction: placed, routed, on its desk, audited, the
Idempotency-Key claimed), then the contact is written with the new case's code among its
``incident_codes``. A refusal anywhere (an unknown category, a household outside the area, a
visit in the future) rolls all of it back: no case without its visit, no visit that says it
opened a case that was refused.

The case lies where the visit was (the phone's position) or, without one (a call), at the
first household's house. A retry with the same key after a lost answer replays the case and
answers the contact that carries it, never a second contact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine

from access.audit import Actor
from cases.intake import Report, submit
from cases.routines.sql import query
from cases.routines.visits import Checked, Member, Visit, check, contacts, write
from cases.routing import minor_category

#: Where a case opened from a visit comes from (``incident.source``).
SOURCE = "visit"


class Reporter(Member, Protocol):
    """Who records and reports (``api.auth.Principal`` is one)."""

    @property
    def actor(self) -> Actor: ...
    @property
    def account_id(self) -> int: ...


@dataclass(frozen=True)
class Case:
    """The case to open: a minor category and what was found."""

    category: str
    description: str
    urgent: bool = False


def record_with_case(
    engine: Engine,
    who: Reporter,
    visit: Visit,
    case: Case,
    *,
    idempotency_key: str | None,
    nearest_limit_m: float,
    admit: Callable[[], None] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Record ``visit`` and open ``case`` from it, all or nothing; the contact as
    :func:`cases.routines.visits.contacts` answers it, with ``case``: the new case's code,
    status and whether this was a replay."""
    with engine.connect() as conn, conn.begin():
        checked = check(conn, who, visit, now)
        minor_category(conn, case.category, field="case.category")
        outcome = submit(
            engine, _report(checked, case), idempotency_key=idempotency_key,
            nearest_limit_m=nearest_limit_m, actor=who.actor, owner=who.account_id,
            source=SOURCE, admit=admit, scope=who.scope, within=conn,
        )  # fmt: skip
        code = outcome.body["code"]
        contact_id = None
        if outcome.replayed:
            contact_id = conn.execute(
                query("contact_of_case"), {"member_id": checked.member_id, "code": code}
            ).scalar_one_or_none()
        if contact_id is None:
            contact_id = write(conn, who, checked, opened=code)
        contact = contacts(conn, who.scope, contact_id=contact_id)[0]
    opened = {"code": code, "status": outcome.body["status"], "replayed": outcome.replayed}
    return contact | {"case": opened}


def _report(checked: Checked, case: Case) -> Report:
    """The case as intake takes it, at the visit's position or the first household's house."""
    if checked.lon is not None:
        lon, lat = checked.lon, checked.lat
    else:
        lon, lat = checked.households[0]["lon"], checked.households[0]["lat"]
    return Report(
        lon=lon, lat=lat, datum="cgcs2000", category=case.category,
        description=case.description, occurred_at=checked.visit.at, urgent=case.urgent,
    )  # fmt: skip
