"""Escalation (上报) by level: one level up at a time, or further through a skip rule.

WORKFLOW.md §1 rule 1: escalation goes up one level at a time, except through a configured
skip rule (category × urgency → target level, with a copy list: the ``escalation_rule``
table, edited by administrators through the API, every change audited). §5.1: a dispute
(category 01) may also skip up at once when its risk is red or a party is a unit the lower
level cannot bind (``skip_reason``). :func:`target` checks an ``escalate`` request and says
where the case goes and what its trail entry records.

Examples
--------
>>> above("micro_grid"), above("township"), above("banner")
(('grid', 'village', 'township', 'banner'), ('banner',), ())
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from access import audit
from access.audit import Actor
from cases.loop.sql import query
from cases.loop.table import LEVELS, SKIP_REASONS, next_level
from geo.db import Reads, Statement
from geo.errors import InvalidInput, NotFound

#: The most units one rule copies to.
MAX_COPY_TO = 20


@dataclass(frozen=True)
class Rule:
    """A skip rule as stored: cases of ``category_code`` ('*': any; a major class covers its
    categories) and urgency escalate straight up to ``target_level``, copied to ``copy_to``
    (department codes, 抄告)."""

    category_code: str
    urgent: bool
    target_level: str
    copy_to: tuple[str, ...] = ()


def above(level: str) -> tuple[str, ...]:
    """The levels above ``level``, lowest first."""
    return LEVELS[LEVELS.index(level) + 1 :]


def reach(level: str, target_level: str) -> tuple[str, ...]:
    """The levels a skip rule to ``target_level`` lets a case held at ``level`` go up to.

    >>> reach("micro_grid", "village"), reach("township", "village")
    (('grid', 'village'), ())
    """
    return tuple(x for x in above(level) if LEVELS.index(x) <= LEVELS.index(target_level))


def rule_for(conn: Connection, category_code: str, urgent: bool) -> Rule | None:
    """The skip rule for a case (the category's own, its major class's, or any), if any."""
    row = conn.execute(*rule_statement(category_code, urgent)).one_or_none()
    return rule_of(row, urgent)


def rule_statement(category_code: str, urgent: bool) -> Statement:
    """The statement :func:`rule_for` reads, and its parameters."""
    return query("escalation_rule_for"), {"category": category_code, "urgent": urgent}


def rule_of(row: Any, urgent: bool) -> Rule | None:
    """The rule of a row of :func:`rule_statement`, or None for no row."""
    if row is None:
        return None
    return Rule(row.category_code, urgent, row.target_level, tuple(row.copy_to))


def target(row: Any, body: dict[str, Any]) -> Reads[dict[str, Any]]:
    """Where an ``escalate`` of the case ``row`` (``level``, ``category_code``, ``urgent``)
    goes: the trail entry's data, ``level`` from → to, and for a skip ``skip`` (the rule's
    category or the dispute's reason) and the rule's ``copy_to``. Without ``level`` the case
    goes one up; further only by a skip rule or a dispute's ``skip_reason`` (422 naming
    ``level`` otherwise, ``skip_reason`` for a wrong reason)."""
    one_up = next_level(row.level)
    reason = body.get("skip_reason")
    dispute = row.category_code.startswith("01")
    if reason is not None and (reason not in SKIP_REASONS or not dispute):
        raise InvalidInput(
            "skip_reason",
            f"must be one of {', '.join(SKIP_REASONS)}, and only for a dispute (category 01)",
        )
    wanted = body.get("level")
    if wanted is not None and wanted not in above(row.level):
        raise InvalidInput(
            "level", f"a case held at {row.level} goes up to one of {', '.join(above(row.level))}"
        )
    to = wanted or one_up
    data: dict[str, Any] = {"level": {"from": row.level, "to": to}}
    if reason is not None:
        data["skip"] = {"reason": reason}
    if to == one_up:
        return data
    [rules] = yield (rule_statement(row.category_code, row.urgent),)
    rule = rule_of(rules[0] if rules else None, row.urgent)
    if reason is None and (rule is None or to not in reach(row.level, rule.target_level)):
        raise InvalidInput(
            "level",
            f"a case held at {row.level} goes up to {one_up} only: no skip rule of its "
            f"category and urgency reaches {to}",
        )
    if reason is None and rule is not None:
        data["skip"] = {"rule": rule.category_code}
        if rule.copy_to:
            data["copy_to"] = list(rule.copy_to)
    return data


def rules(conn: Connection) -> list[dict[str, Any]]:
    """Every skip rule, '*' first."""
    return [_view(r) for r in conn.execute(query("escalation_rules_all"))]


def _view(row: Any) -> dict[str, Any]:
    return {
        "category_code": row.category_code,
        "urgent": row.urgent,
        "target_level": row.target_level,
        "copy_to": list(row.copy_to),
    }


def _check(conn: Connection, rule: Rule) -> None:
    """Refuse a rule that could not be one, naming the field (nothing is written)."""
    if (
        rule.category_code != "*"
        and not conn.execute(query("category_exists"), {"code": rule.category_code}).scalar_one()
    ):
        raise InvalidInput(
            "category", f"unknown category {rule.category_code!r} ('*': any)", where="path"
        )
    if rule.target_level not in above(LEVELS[0]):
        raise InvalidInput(
            "target_level", f"must be one of {', '.join(above(LEVELS[0]))}", where="body"
        )
    if len(rule.copy_to) > MAX_COPY_TO or len(set(rule.copy_to)) != len(rule.copy_to):
        raise InvalidInput(
            "copy_to", f"at most {MAX_COPY_TO} department codes, each once", where="body"
        )
    known = set(conn.execute(query("departments_known"), {"codes": list(rule.copy_to)}).scalars())
    missing = [c for c in rule.copy_to if c not in known]
    if missing:
        raise InvalidInput("copy_to", f"no department {missing[0]!r}", where="body")


def set_rule(conn: Connection, rule: Rule, *, actor: Actor) -> dict[str, Any]:
    """Set one skip rule (category × urgency), audited; the rule as stored."""
    _check(conn, rule)
    key = {"category": rule.category_code, "urgent": rule.urgent}
    before = conn.execute(query("escalation_rule_one"), key).one_or_none()
    conn.execute(
        query("escalation_rule_put"),
        key | {"target_level": rule.target_level, "copy_to": json.dumps(list(rule.copy_to))},
    )
    after = _view(conn.execute(query("escalation_rule_one"), key).one())
    audit.record(
        conn,
        actor,
        "escalation_rule.update",
        "escalation_rule",
        _key(rule.category_code, rule.urgent),
        before=None if before is None else _view(before),
        after=after,
    )
    return after


def delete_rule(conn: Connection, category_code: str, urgent: bool, *, actor: Actor) -> None:
    """Remove one skip rule, audited; 404 when there is none."""
    row = conn.execute(
        query("escalation_rule_delete"), {"category": category_code, "urgent": urgent}
    ).one_or_none()
    if row is None:
        raise NotFound(f"no escalation rule for {_key(category_code, urgent)}")
    audit.record(
        conn,
        actor,
        "escalation_rule.delete",
        "escalation_rule",
        _key(category_code, urgent),
        before=_view(row),
        after=None,
    )


def _key(category_code: str, urgent: bool) -> str:
    return f"{category_code}/{'urgent' if urgent else 'normal'}"
