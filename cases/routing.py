"""The routing matrix: which department handles a category, with per-township overrides.

Every change is audited (``routing.update``, ``routing.delete``) with the department codes
before and after, in the transaction of the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from access import audit
from access.audit import Actor
from geo.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class CategoryRow:
    code: str
    name: str
    parent_code: str | None
    department_id: int | None
    time_limit_hours: int | None
    sensitive: bool


def categories(conn: Connection) -> list[CategoryRow]:
    rows = conn.execute(
        text(
            "SELECT code, name, parent_code, department_id, time_limit_hours, sensitive "
            "FROM category ORDER BY code"
        )
    )
    return [CategoryRow(*r) for r in rows]


def minor_category(conn: Connection, code: str | None, field: str = "category") -> CategoryRow:
    """The four-digit category ``code``; anything else is refused with the valid codes listed."""
    row = conn.execute(
        text(
            "SELECT code, name, parent_code, department_id, time_limit_hours, sensitive "
            "FROM category WHERE code = :code AND parent_code IS NOT NULL"
        ),
        {"code": code},
    ).one_or_none()
    if row is not None:
        return CategoryRow(*row)
    listing = ", ".join(f"{c.code} {c.name}" for c in categories(conn) if c.parent_code)
    raise InvalidInput(field, f"unknown category {code!r}; valid codes: {listing}")


def matrix(conn: Connection) -> list[dict[str, Any]]:
    """Every minor category with its default department and the townships' overrides."""
    rows = conn.execute(
        text(
            """
            SELECT c.code, c.name, c.parent_code, c.time_limit_hours, c.sensitive,
                   d.code AS department_code, d.name AS department_name,
                   coalesce(json_agg(json_build_object(
                       'township_code', o.township_code,
                       'department_code', od.code, 'department_name', od.name)
                       ORDER BY o.township_code) FILTER (WHERE o.township_code IS NOT NULL),
                       '[]') AS overrides
            FROM category c
            LEFT JOIN department d ON d.id = c.department_id
            LEFT JOIN routing_override o ON o.category_code = c.code
            LEFT JOIN department od ON od.id = o.department_id
            WHERE c.parent_code IS NOT NULL
            GROUP BY c.code, d.code, d.name
            ORDER BY c.code
            """
        )
    )
    return [
        {
            "category_code": r.code,
            "category_name": r.name,
            "major_code": r.parent_code,
            "time_limit_hours": r.time_limit_hours,
            "sensitive": r.sensitive,
            "department": {"code": r.department_code, "name": r.department_name},
            "overrides": r.overrides,
        }
        for r in rows
    ]


def _department_id(conn: Connection, code: str) -> int:
    found = conn.execute(
        text("SELECT id FROM department WHERE code = :code"), {"code": code}
    ).scalar_one_or_none()
    if found is None:
        raise InvalidInput("department_code", f"unknown department {code!r}")
    return int(found)


def _routed_to(conn: Connection, category_code: str, township_code: str | None) -> str | None:
    """The department code of the default (``township_code`` None) or of an override."""
    if township_code is None:
        sql = "SELECT d.code FROM category c JOIN department d ON d.id = c.department_id "
        sql += "WHERE c.code = :c"
    else:
        sql = "SELECT d.code FROM routing_override o JOIN department d ON d.id = o.department_id "
        sql += "WHERE o.category_code = :c AND o.township_code = :t"
    found = conn.execute(text(sql), {"c": category_code, "t": township_code}).scalar_one_or_none()
    return None if found is None else str(found)


def _record(
    conn: Connection,
    actor: Actor,
    action: str,
    category_code: str,
    township_code: str | None,
    before: str | None,
    after: str | None,
) -> None:
    where = {"category_code": category_code, "township_code": township_code}
    audit.record(
        conn,
        actor,
        action,
        "routing",
        category_code if township_code is None else f"{category_code}/{township_code}",
        before=None if before is None else where | {"department_code": before},
        after=None if after is None else where | {"department_code": after},
    )


def set_default(
    conn: Connection, category_code: str, department_code: str, *, actor: Actor
) -> None:
    """Route ``category_code`` to ``department_code`` wherever no override applies."""
    minor_category(conn, category_code, "category_code")
    department_id = _department_id(conn, department_code)
    before = _routed_to(conn, category_code, None)
    conn.execute(
        text("UPDATE category SET department_id = :d WHERE code = :c"),
        {"d": department_id, "c": category_code},
    )
    _record(conn, actor, "routing.update", category_code, None, before, department_code)


def set_override(
    conn: Connection,
    category_code: str,
    township_code: str,
    department_code: str,
    *,
    actor: Actor,
) -> None:
    """Route ``category_code`` in one township to ``department_code``."""
    minor_category(conn, category_code, "category_code")
    township = conn.execute(
        text(
            "SELECT 1 FROM area WHERE code = :t AND level = 'township' AND generation_high IS NULL"
        ),
        {"t": township_code},
    ).scalar_one_or_none()
    if township is None:
        raise InvalidInput("township_code", f"{township_code!r} is not a current township")
    department_id = _department_id(conn, department_code)
    before = _routed_to(conn, category_code, township_code)
    conn.execute(
        text(
            "INSERT INTO routing_override (category_code, township_code, department_id) "
            "VALUES (:c, :t, :d) ON CONFLICT (category_code, township_code) "
            "DO UPDATE SET department_id = excluded.department_id, updated_at = now()"
        ),
        {"c": category_code, "t": township_code, "d": department_id},
    )
    _record(conn, actor, "routing.update", category_code, township_code, before, department_code)


def remove_override(
    conn: Connection, category_code: str, township_code: str, *, actor: Actor
) -> None:
    """Remove the override: the township follows the category's default again."""
    before = _routed_to(conn, category_code, township_code)
    removed = conn.execute(
        text("DELETE FROM routing_override WHERE category_code = :c AND township_code = :t"),
        {"c": category_code, "t": township_code},
    ).rowcount
    if not removed:
        raise NotFound(f"no override for category {category_code} in {township_code}")
    _record(conn, actor, "routing.delete", category_code, township_code, before, None)
