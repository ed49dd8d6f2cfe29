"""Publish a draft plan as a new boundary generation, in one transaction.

The rules (MapIt's generations, with codes that never change their meaning):

* Refused, with nothing written, when the topology gate finds a problem
  (:class:`~geo.plans.errors.TopologyRefused`, the problems located) or when a generation was
  published after the plan's base (:class:`~geo.plans.errors.StaleBase`, naming each one:
  by whom, when, which areas).
* A new generation, active now or at ``effective_at``. Unchanged areas keep their rows;
  the base's other areas under the scope retire (``generation_high`` = the base); changed and
  new areas get rows with codes never used before under their parent's code
  (:func:`geo.plans.apply.allocate_codes`). Populations of new rows are estimated from the
  retired areas of their level, in proportion to the overlap.
* When the generation is active: members of retired areas move (party members by home, the
  others to the successor of their area: the one overlapping it most), then
  :func:`cases.redraw.reassign.reassign_open` re-places the open incidents of the retired areas.
  A scheduled generation moves them once its time has come (:func:`activate_due`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, text

from cases.redraw.impact import member_moves
from cases.redraw.reassign import reassign_open
from cases.redraw.sql import query
from cases.registry.redraw import grid_size_warnings, rehome
from geo.areas import CHINA_TIME
from geo.errors import InvalidInput
from geo.plans.apply import allocate_codes, changes_since, estimate_population, insert_rows, retire
from geo.plans.check import check_plan
from geo.plans.drafts import PlanRow, get_plan
from geo.plans.errors import StaleBase, TopologyRefused
from geo.plans.models import PlanStatus
from geo.scope import WHOLE_BANNER, Scope

log = logging.getLogger(__name__)

#: How far ahead a publication may be scheduled: a redraw is planned for the coming year, and a
#: date further off is a slip of the year (2062 for 2026).
MOST_AHEAD = timedelta(days=366)
#: pg_advisory_xact_lock key serialising publications ("WGPUBLSH" as an integer).
PUBLISH_LOCK = 0x5747_5055_424C_5348 & 0x7FFF_FFFF_FFFF_FFFF


def _refuse_if_stale(conn: Connection, plan: PlanRow, scope: Scope) -> None:
    changes = changes_since(conn, plan.base_generation, scope=scope)
    if not changes:
        return
    said = "; ".join(
        f"generation {c['generation']} by {c['published_by'] or 'an import or another area'} at "
        f"{c['published_at']} ({len(c['retired'])} areas retired, {len(c['added'])} added"
        + (f", scope {c['scope']}" if c["scope"] else "")
        + ")"
        for c in changes
    )
    raise StaleBase(
        f"plan {plan.id} was drawn on generation {plan.base_generation}, and since then: {said}. "
        "Start a new plan from the current layout.",
        base_generation=plan.base_generation,
        changes=changes,
    )


def _refuse_if_unchanged(conn: Connection, plan: PlanRow) -> None:
    changes = conn.execute(
        query("plan_changes"),
        {"plan": plan.id},
    ).scalar_one()
    if not changes:
        raise InvalidInput(
            "plan", f"changes nothing in generation {plan.base_generation}: edit it first"
        )


def _when(conn: Connection, effective_at: datetime | None) -> datetime | None:
    if effective_at is None:
        return None
    if effective_at.tzinfo is None:  # as everywhere: no offset means China time
        effective_at = effective_at.replace(tzinfo=CHINA_TIME)
    now = conn.execute(text("SELECT now()")).scalar_one()
    if effective_at < now:
        raise InvalidInput("effective_at", f"{effective_at.isoformat()} is in the past")
    if effective_at > now + MOST_AHEAD:
        raise InvalidInput(
            "effective_at",
            f"{effective_at.isoformat()} is more than {MOST_AHEAD.days} days ahead; "
            "schedule a redraw within the coming year",
        )
    return effective_at


def _refuse_if_tangled(conn: Connection, plan: PlanRow) -> None:
    problems = check_plan(conn, plan.id, scope=WHOLE_BANNER)  # the plan was found in scope
    if problems["features"]:
        raise TopologyRefused(
            f"plan {plan.id} has {problems['count']} topology problem(s); the first: "
            f"{problems['features'][0]['properties']['reason']}",
            problems=problems,
        )


def publish(
    conn: Connection,
    plan_id: int,
    *,
    published_by: str,
    limit_m: float,
    effective_at: datetime | None = None,
    scope: Scope = WHOLE_BANNER,
) -> dict[str, Any]:
    """Publish ``plan_id`` in the caller's transaction (see the module doc); returns the report.

    ``scope`` is the publisher's: a plan outside it is NotFound, and a refusal for a stale base
    names only what changed inside it (the default, the whole banner, is for scripts).
    """
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PUBLISH_LOCK})
    plan = get_plan(conn, plan_id, scope=scope, lock=True)
    plan.require_draft()
    effective_at = _when(conn, effective_at)
    _refuse_if_stale(conn, plan, scope)
    _refuse_if_unchanged(conn, plan)
    _refuse_if_tangled(conn, plan)
    warnings = grid_size_warnings(conn, plan_id)
    generation = conn.execute(
        text(
            "INSERT INTO generation (description, activated_at) "
            "VALUES (:d, coalesce(CAST(:at AS timestamptz), now())) RETURNING id"
        ),
        {"d": _description(conn, plan_id), "at": effective_at},
    ).scalar_one()
    codes = allocate_codes(conn, plan)
    insert_rows(conn, plan, generation, codes)
    retired = retire(conn, plan)
    estimate_population(conn, generation, [i for i, _ in retired])
    scheduled = effective_at is not None
    conn.execute(
        text(
            "UPDATE plan SET status = :status, generation_id = :g, published_at = now(), "
            "published_by = :by, updated_at = now() WHERE id = :id"
        ),
        {
            "status": (PlanStatus.SCHEDULED if scheduled else PlanStatus.PUBLISHED).value,
            "g": generation,
            "by": published_by,
            "id": plan_id,
        },
    )
    report: dict[str, Any] = {
        "plan": plan_id,
        "generation": generation,
        "base_generation": plan.base_generation,
        "effective_at": effective_at.isoformat() if effective_at else None,
        "status": "scheduled" if scheduled else "published",
        "codes": codes,
        "retired": [code for _, code in retired],
        "members": [],
        "incidents": [],
        "registry": None,
        "warnings": warnings,
    }
    if not scheduled:
        report.update(_move(conn, plan_id, generation, [i for i, _ in retired], limit_m))
    _save_report(conn, plan_id, report)
    return report


def _description(conn: Connection, plan_id: int) -> str:
    row = conn.execute(
        text("SELECT description, scope_code FROM plan WHERE id = :id"), {"id": plan_id}
    ).one()
    return str(row.description or f"规划方案 {plan_id}（{row.scope_code}）")


def _save_report(conn: Connection, plan_id: int, report: dict[str, Any]) -> None:
    conn.execute(
        text("UPDATE plan SET report = CAST(:r AS jsonb) WHERE id = :id"),
        {"r": _json(report), "id": plan_id},
    )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _move(
    conn: Connection, plan_id: int, generation: int, retired: list[int], limit_m: float
) -> dict[str, Any]:
    """Move the members and then the open incidents of the retired areas (members first, so
    re-placed incidents find the grid worker of their new grid)."""
    actor = conn.execute(
        text("SELECT coalesce(published_by, 'system') FROM plan WHERE id = :id"), {"id": plan_id}
    ).scalar_one()
    members = member_moves(conn, plan_id)
    if members:
        conn.execute(
            text("UPDATE member SET area_id = :to WHERE id = :id"),
            [{"id": m.id, "to": m.to_area_id} for m in members],
        )
    registry = rehome(conn, retired, generation)
    moves = reassign_open(
        conn,
        retired,
        generation,
        limit_m=limit_m,
        actor=actor,
        reason=f"边界调整：规划方案 {plan_id}",
    )
    ids = [m.from_area_id for m in moves] + [m.to_area_id for m in moves]
    ids += [m.to_area_id for m in members if m.to_area_id is not None]
    codes: dict[int, str] = {
        r.id: r.code
        for r in conn.execute(text("SELECT id, code FROM area WHERE id = ANY(:ids)"), {"ids": ids})
    }
    return {
        "registry": registry,
        "members": [{**m.view(), "to": codes.get(m.to_area_id or 0)} for m in members],
        "incidents": [
            {**asdict(m), "from": codes[m.from_area_id], "to": codes[m.to_area_id]} for m in moves
        ],
    }


def activate_due(engine: Engine, *, limit_m: float) -> list[int]:
    """Move people and incidents for scheduled plans whose generation is now current.

    Each plan in its own transaction; a plan another worker is activating is skipped.
    """
    done = []
    with engine.connect() as conn:
        due = conn.execute(
            text(
                "SELECT p.id FROM plan p JOIN generation g ON g.id = p.generation_id "
                "WHERE p.status = 'scheduled' AND g.activated_at <= now() ORDER BY g.id"
            )
        ).scalars()
        plan_ids = list(due)
    for plan_id in plan_ids:
        with engine.begin() as conn:
            row = conn.execute(
                text(
                    "SELECT generation_id, base_generation, report FROM plan "
                    "WHERE id = :id AND status = 'scheduled' FOR UPDATE SKIP LOCKED"
                ),
                {"id": plan_id},
            ).one_or_none()
            if row is None:
                continue
            retired = conn.execute(
                text(
                    "SELECT a.id FROM area a WHERE a.generation_high = :base AND a.code = ANY("
                    "CAST(:codes AS text[]))"
                ),
                {"base": row.base_generation, "codes": row.report["retired"]},
            ).scalars()
            report = dict(row.report)
            report.update(_move(conn, plan_id, row.generation_id, list(retired), limit_m))
            report["status"] = "published"
            conn.execute(
                text("UPDATE plan SET status = 'published', updated_at = now() WHERE id = :id"),
                {"id": plan_id},
            )
            _save_report(conn, plan_id, report)
            log.info(
                "plan %d: generation %d is current; people and cases moved",
                plan_id,
                row.generation_id,
            )
            done.append(plan_id)
    return done
