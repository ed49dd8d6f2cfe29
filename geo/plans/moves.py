"""Move children between parents of a draft: micro-grids between grids, grids between villages.

Grids and villages are unions of their children, so the natural way to redraw a grid is to
hand some of its micro-grids to a neighbour. :func:`move_children` does that in the caller's
transaction: the children take the new parent, and every parent whose set of areas changed
(the old parents, the new one, and their ancestors up to the first one they share) becomes
the union of its children (``ST_Union`` keeps the children's vertices, so two parents rebuilt
this way share their common edge vertex for vertex and the topology check stays clean).

What can go wrong is refused before anything is written: a ref that is not in the draft, a
``to`` that is not one level above the children, a parent that would be left with no
children (422, naming ``refs`` or ``to``); a missing version (428) or one someone has moved
past (412), exactly as for every other edit (:mod:`geo.plans.edits`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row

from geo.errors import InvalidInput
from geo.models import AreaLevel
from geo.plans.drafts import touch
from geo.plans.edits import lock_draft
from geo.plans.errors import VersionConflict, VersionRequired
from geo.plans.sql import query
from geo.scope import Scope

#: At most this many areas move in one request (a lasso over a whole township is a mistake).
MOST_REFS = 500


@dataclass(frozen=True)
class Moved:
    """What a move did: the refs that changed parent (with their new versions), the parents
    rebuilt as unions (with theirs) and the plan's new version."""

    moved: dict[str, int]
    parents: dict[str, int]
    plan_version: int

    def to_json(self) -> dict[str, Any]:
        return {
            "moved": sorted(self.moved),
            "versions": self.moved,
            "parents": self.parents,
            "plan_version": self.plan_version,
        }


def move_children(
    conn: Connection,
    plan_id: int,
    refs: Sequence[str],
    to: str,
    versions: Mapping[str, int] | None,
    *,
    scope: Scope,
) -> Moved:
    """Put the draft areas ``refs`` under the draft area ``to`` and rebuild the parents.

    ``versions`` gives the version of every area in ``refs`` as the client read it; a ref
    already under ``to`` is checked and left where it is. The parents rebuilt are those whose
    areas changed: the old parents and ``to``, then their ancestors below the first one they
    have in common (whose areas stay the same), deepest first.
    """
    if not refs or len(set(refs)) != len(refs) or len(refs) > MOST_REFS:
        raise InvalidInput("refs", f"name 1 to {MOST_REFS} different areas to move")
    lock_draft(conn, plan_id, scope=scope)
    rows = {
        r.ref: r for r in conn.execute(query("move_rows"), {"plan": plan_id, "refs": [*refs, to]})
    }
    missing = [r for r in refs if r not in rows]
    if missing:
        raise InvalidInput("refs", f"plan {plan_id} has no area {', '.join(missing)}")
    if to not in rows:
        raise InvalidInput("to", f"plan {plan_id} has no area {to}")
    children = [rows[r] for r in refs]
    level = _one_level(children)
    target = rows[to]
    if AreaLevel(target.level).depth != level.depth - 1:
        raise InvalidInput(
            "to",
            f"{to} is a {target.level}; {level.value} areas move under a "
            f"{list(AreaLevel)[level.depth - 1].value}",
        )
    _check_versions(children, versions)
    leaving = [r for r in children if r.parent_ref != to]
    if not leaving:
        raise InvalidInput("refs", f"{', '.join(refs)} already lie under {to}")
    _refuse_emptied(conn, plan_id, leaving)
    moved = conn.execute(
        query("move_children"), {"plan": plan_id, "refs": [r.ref for r in leaving], "to": to}
    )
    new_versions = {r.ref: int(r.version) for r in moved}
    parents: dict[str, int] = {}
    for parent in _rebuilt(conn, plan_id, {r.parent_ref for r in leaving}, to):
        found = conn.execute(query("union_of_children"), {"plan": plan_id, "ref": parent})
        parents[parent] = int(found.scalar_one())
    return Moved(new_versions, parents, touch(conn, plan_id))


def _one_level(children: list[Row[Any]]) -> AreaLevel:
    levels = sorted({r.level for r in children})
    if len(levels) > 1:
        found = ", ".join(f"{r.ref} ({r.level})" for r in children)
        raise InvalidInput("refs", f"only areas of one level move together: {found}")
    level = AreaLevel(levels[0])
    if level.depth <= AreaLevel.TOWNSHIP.depth:
        raise InvalidInput("refs", f"a {level.value} does not move between parents")
    return level


def _check_versions(children: list[Row[Any]], versions: Mapping[str, int] | None) -> None:
    given = versions or {}
    missing = [r.ref for r in children if r.ref not in given]
    if missing:
        raise VersionRequired(
            "versions", f"give the version of every area you move; missing {', '.join(missing)}"
        )
    for row in children:
        if row.version != given[row.ref]:
            raise VersionConflict(
                f"{row.ref} is at version {row.version}, not {given[row.ref]}: it was saved "
                "meanwhile; reload it and move it again",
                ref=row.ref,
                version=row.version,
            )


def _refuse_emptied(conn: Connection, plan_id: int, leaving: list[Row[Any]]) -> None:
    old = sorted({r.parent_ref for r in leaving})
    left: dict[str, int] = dict(
        conn.execute(
            query("children_left"),
            {"plan": plan_id, "parents": old, "refs": [r.ref for r in leaving]},
        ).all()
    )
    emptied = [p for p in old if not left.get(p)]
    if emptied:
        raise InvalidInput(
            "refs",
            f"moving them would leave {', '.join(emptied)} with no areas: keep at least one "
            "there, or merge it into a neighbour",
        )


def _rebuilt(conn: Connection, plan_id: int, old: set[str], to: str) -> list[str]:
    """The parents whose areas change, deepest first: ``old`` and ``to`` and their ancestors
    that are not ancestors of all of them (the scope is never rebuilt; it is not a draft area)."""
    up = {
        r.ref: (r.parent_ref, AreaLevel(r.level))
        for r in conn.execute(query("parents"), {"plan": plan_id})
    }

    def chain(ref: str) -> list[str]:
        found = []
        while ref in up:
            found.append(ref)
            ref = up[ref][0]
        return found

    chains = [chain(ref) for ref in sorted(old | {to})]
    shared = set.intersection(*(set(c) for c in chains))
    changed = {ref for c in chains for ref in c if ref not in shared}
    return sorted(changed, key=lambda ref: (-up[ref][1].depth, ref))
