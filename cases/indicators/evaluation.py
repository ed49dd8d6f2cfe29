"""The annual evaluation (年终评一评, WORKFLOW.md §4.3): the mean of the four quarter scores
× the ``quarters`` weight + the year-end review × the ``review`` weight, graded by the
``grades`` thresholds; weights and grades are data (``evaluation_rule``). A quarter's score is
its published ranking's when published, the live one otherwise. Without a year-end review a
unit has no total and no grade yet (``complete`` false).

Examples
--------
>>> grade(96.0, [{"grade": "优秀", "min": 95}, {"grade": "良好", "min": 90}])
'优秀'
>>> grade(89.99, [{"grade": "优秀", "min": 95}, {"grade": "良好", "min": 90}]) is None
True
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from access import audit
from cases.indicators.periods import YEARS
from cases.indicators.rankings import KINDS, ranking, rules_of, within_of
from cases.indicators.scores import checked_score
from cases.indicators.sql import query
from geo.errors import InvalidInput


def grade(score: float, grades: Sequence[dict[str, Any]]) -> str | None:
    """The first grade (highest threshold first) whose minimum ``score`` reaches."""
    for g in sorted(grades, key=lambda g: -g["min"]):
        if score >= g["min"]:
            return str(g["grade"])
    return None


def _year(year: Any) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or year not in YEARS:
        raise InvalidInput("year", f"must be a year from {YEARS[0]} to {YEARS[-1]}")
    return year


def evaluation(
    conn: Connection, year: int, kind: str, township: str | None = None, *, min_sample: int = 5
) -> dict[str, Any]:
    """Every unit's four quarter scores, their mean, its review, total and grade."""
    _year(year)
    within_of(kind, township)
    rules = rules_of(conn)
    weights, grades = rules["weights"], rules["grades"]
    quarters: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    for q in range(1, 5):
        found = ranking(conn, f"{year}-Q{q}", kind, township, min_sample=min_sample)
        body = json.loads(found) if isinstance(found, bytes) else found
        quarters.append({r["code"]: r["score"] for r in body["rows"]})
        names.update({r["code"]: r["name"] for r in body["rows"]})
    reviews = {
        r.code: float(r.score)
        for r in conn.execute(query("year_end_reviews"), {"year": year, "kind": kind})
    }
    rows: list[dict[str, Any]] = []
    for code, name in names.items():
        scores = [q.get(code) for q in quarters]
        known = [s for s in scores if s is not None]
        mean = round(sum(known) / len(known), 2) if known else None
        review = reviews.get(code)
        total = None
        if mean is not None and review is not None:
            total = round(weights["quarters"] * mean + weights["review"] * review, 2)
        rows.append(
            {
                "rank": None,
                "code": code,
                "name": name,
                "quarters": scores,
                "quarter_mean": mean,
                "review": review,
                "score": total,
                "grade": None if total is None else grade(total, grades),
                "complete": total is not None,
            }
        )
    ranked = sorted(
        (r for r in rows if r["score"] is not None), key=lambda r: (-r["score"], r["code"])
    )
    for place, row in enumerate(ranked, 1):
        row["rank"] = place
    rest = sorted((r for r in rows if r["score"] is None), key=lambda r: r["code"])
    return {"year": year, "kind": kind, "weights": weights, "grades": grades, "rows": ranked + rest}


def put_review(
    conn: Connection, actor: audit.Actor, year: Any, kind: Any, code: Any, score: Any
) -> dict[str, Any]:
    """Record one unit's year-end review score (0–100)."""
    the_year = _year(year)
    if kind not in KINDS:
        raise InvalidInput("kind", f"expected one of {', '.join(KINDS)}")
    if not isinstance(code, str) or not code.isalnum() or len(code) > 19:
        raise InvalidInput("code", "must be a township, village or department code")
    value: Decimal = checked_score(score)
    conn.execute(
        query("year_end_review_put"),
        {"year": the_year, "kind": kind, "code": code, "score": value, "by": actor.username},
    )
    answer = {"year": the_year, "kind": kind, "code": code, "score": float(value)}
    audit.record(
        conn, actor, "year_end_review.put", "evaluation", f"{the_year}/{kind}/{code}", after=answer
    )
    return answer
