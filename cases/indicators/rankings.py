"""Quarterly rankings (每季晒一晒, WORKFLOW.md §4.2): :func:`ranking` computes one, live or
as published; :func:`publish` freezes it.

A row's score is the composite indicator score (:data:`registry.COMPOSITE`, over the rates
with enough sample, re-weighted to 100), for a department combined with the townships'
scores of it (:mod:`cases.indicators.scores`; weights ``department_weights`` of the
evaluation rules), less the supervision cards' points; every input is in ``inputs``. Rows
with no score are listed last, unranked. A published ranking is the exact JSON bytes served
at publication, stored once (``ranking_snapshot``, append-only): later corrections of cases
change the live figures, never a published ranking. Publishing queues a ``ranking`` live event
(:mod:`cases.live`), sent when the caller commits, so open dashboards redraw their bars.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from cases import live
from cases.indicators import compute
from cases.indicators.errors import AlreadyDone
from cases.indicators.periods import Window, parse_quarter, previous_quarter
from cases.indicators.registry import CARD_POINTS, COMPOSITE, INDICATORS
from cases.indicators.sql import query
from geo.areas import current_generation
from geo.errors import InvalidInput
from geo.scope import WHOLE_BANNER

KINDS = ("township", "department", "village")
TOP = 3


def within_of(kind: str, township: str | None) -> str:
    """The ranking's ``within``: the township for villages, '' otherwise."""
    if kind not in KINDS:
        raise InvalidInput("kind", f"expected one of {', '.join(KINDS)}, got {kind!r}")
    if kind == "village":
        if township is None or len(township) != 9 or not township.isdigit():
            raise InvalidInput("township", "a village ranking needs the township's 9-digit code")
        return township
    if township is not None:
        raise InvalidInput("township", f"only a village ranking takes a township, not {kind}")
    return ""


def rules_of(conn: Connection) -> dict[str, Any]:
    """The evaluation rules (weights, grades, department_weights) as stored."""
    return {r.key: r.value for r in conn.execute(query("evaluation_rules"))}


def indicator_score(found: Mapping[str, int], min_sample: int) -> dict[str, Any]:
    """The composite score (0–100, None when no rate has enough sample) and its parts."""
    rules = compute.Rules(min_sample=min_sample, sees_cases=True)
    parts: dict[str, Any] = {}
    weighted = total = 0.0
    for name, (weight, inverse) in COMPOSITE.items():
        one = compute.figure(INDICATORS[name], found, rules)
        value = one["value"]
        part = None if value is None else (1 - value if inverse else value)
        parts[name] = {
            **{k: one[k] for k in ("numerator", "denominator", "value")},
            "weight": weight,
        }
        parts[name]["insufficient"] = one["insufficient"]
        if part is not None:
            weighted += weight * part
            total += weight
    score = None if total == 0 else round(100 * weighted / total, 2)
    return {"score": score, "parts": parts}


def _cards(found: Mapping[str, int]) -> dict[str, int]:
    counts = {name: found.get(INDICATORS[name].numerator, 0) for name in CARD_POINTS}
    return {**counts, "points": sum(CARD_POINTS[n] * c for n, c in counts.items())}


def _units(conn: Connection, kind: str, within: str) -> list[tuple[str, str]]:
    if kind == "department":
        return [(r.code, r.name) for r in conn.execute(query("departments_all"))]
    level = "township" if kind == "township" else "village"
    rows = conn.execute(
        query("indicator_areas"),
        {
            "g": current_generation(conn),
            "level": level,
            "parent": within or None,
            "codes": None,
            "xmin": None,
            "ymin": None,
            "xmax": None,
            "ymax": None,
            **WHOLE_BANNER.params(),
        },
    )
    return [(r.code, r.name) for r in rows]


def _township_scores(conn: Connection, window: Window) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    rows = conn.execute(query("township_scores"), {"start": window.start, "end": window.end})
    for r in rows:
        one = out.setdefault(r.department_code, {"count": 0, "total": 0.0, "by_township": []})
        one["count"] += r.n
        one["total"] += float(r.mean) * r.n
        one["by_township"].append(
            {"code": r.township_code, "name": r.township_name, "count": r.n, "mean": float(r.mean)}
        )
    for one in out.values():
        one["mean"] = round(one.pop("total") / one["count"], 2)
    return out


def _score(
    found: Mapping[str, int],
    townships: dict[str, Any] | None,
    weights: Mapping[str, float],
    min_sample: int,
) -> tuple[float | None, dict[str, Any]]:
    composite = indicator_score(found, min_sample)
    cards = _cards(found)
    inputs: dict[str, Any] = {
        "indicator_score": composite["score"],
        "indicators": composite["parts"],
        "cards": cards,
    }
    score = composite["score"]
    if townships is not None:
        inputs["township_scores"] = townships
        inputs["weights"] = dict(weights)
        mean = townships["mean"]
        score = (
            mean
            if score is None
            else weights["township_scores"] * mean + weights["indicators"] * score
        )
    if score is not None:
        score = round(max(0.0, score - cards["points"]), 2)
    return score, inputs


def _previous_ranks(conn: Connection, window: Window, kind: str, within: str) -> dict[str, int]:
    before = previous_quarter(window)
    body = conn.execute(
        query("snapshot_get"), {"quarter": before.text, "kind": kind, "within": within}
    ).scalar_one_or_none()
    if body is None:
        return {}
    return {r["code"]: r["rank"] for r in json.loads(body)["rows"] if r["rank"] is not None}


def ranking(
    conn: Connection,
    quarter: str,
    kind: str,
    township: str | None = None,
    *,
    min_sample: int = 5,
    now: datetime | None = None,
) -> dict[str, Any] | bytes:
    """The ranking of ``quarter``: the frozen bytes when published, else computed live."""
    window = parse_quarter(quarter)
    within = within_of(kind, township)
    frozen = conn.execute(
        query("snapshot_get"), {"quarter": window.text, "kind": kind, "within": within}
    ).scalar_one_or_none()
    if frozen is not None:
        return bytes(frozen)
    return compute_ranking(conn, window, kind, within, min_sample=min_sample, now=now)


def compute_ranking(
    conn: Connection,
    window: Window,
    kind: str,
    within: str,
    *,
    min_sample: int = 5,
    now: datetime | None = None,
    published: bool = False,
) -> dict[str, Any]:
    """The ranking of one quarter computed from the trail and the scores now."""
    if kind == "village":
        compute.named_area(conn, within, WHOLE_BANNER, "township")
    group_by, key_len = (
        ("department", 0) if kind == "department" else ("area", 9 if kind == "township" else 12)
    )
    area = within or None
    found = compute.counts(
        conn, window, compute.View(WHOLE_BANNER, area), group_by=group_by, key_len=key_len, now=now
    )
    townships = _township_scores(conn, window) if kind == "department" else {}
    weights = rules_of(conn)["department_weights"]
    rows: list[dict[str, Any]] = []
    for code, name in _units(conn, kind, within):
        score, inputs = _score(
            found.get(code, {}),
            townships.get(code, None) if kind == "department" else None,
            weights,
            min_sample,
        )
        where = (
            compute.View(WHOLE_BANNER, None, code)
            if kind == "department"
            else compute.View(WHOLE_BANNER, code)
        )
        top_categories = compute.categories(conn, window, where, TOP, compute.Rules())
        rows.append(
            {
                "rank": None,
                "code": code,
                "name": name,
                "score": score,
                "change": None,
                "inputs": inputs,
                "top_categories": top_categories,
            }
        )
    ranked = sorted(
        (r for r in rows if r["score"] is not None), key=lambda r: (-r["score"], r["code"])
    )
    for place, row in enumerate(ranked, 1):
        row["rank"] = place
    previous = _previous_ranks(conn, window, kind, within)
    for row in ranked:
        before = previous.get(row["code"])
        row["change"] = None if before is None else before - row["rank"]
    rows = ranked + sorted((r for r in rows if r["score"] is None), key=lambda r: r["code"])
    return {
        "quarter": window.text,
        "kind": kind,
        "published": published,
        "rows": rows,
        "top": ranked[:TOP],
        "bottom": ranked[-TOP:] if len(ranked) > TOP else ranked[:],
    }


def frozen_bytes(body: Mapping[str, Any]) -> bytes:
    """The bytes a ranking is served and stored as."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def publish(
    conn: Connection,
    quarter: str,
    kind: str,
    township: str | None,
    by: str,
    *,
    min_sample: int = 5,
    now: datetime | None = None,
) -> bytes:
    """Freeze the ranking of an ended quarter; :class:`AlreadyDone` when it already was."""
    window = parse_quarter(quarter, "quarter")
    within = within_of(kind, township)
    at = now or datetime.now(UTC)
    if window.end > at:
        raise InvalidInput(
            "quarter", f"{window.text} has not ended yet; publish it after {window.end.date()}"
        )
    body = frozen_bytes(
        compute_ranking(conn, window, kind, within, min_sample=min_sample, now=at, published=True)
    )
    stored = conn.execute(
        query("snapshot_insert"),
        {"quarter": window.text, "kind": kind, "within": within, "body": body, "by": by},
    ).scalar_one_or_none()
    if stored is None:
        raise AlreadyDone(f"the {kind} ranking of {window.text} is published already")
    live.notify(conn, [live.published(window.text, kind, within or None)])  # sent on commit
    return body
