"""Heat responses kept per counts (geo.heat.BODIES): reused while the counts are the same,
built again as soon as an incident changes them."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import text

from geo import heat, hotspots
from geo.heat_body import Bodies
from geo.scope import Scope

DALAD = Scope(area_prefix="150621")


def test_a_body_is_kept_for_its_basis_and_key_within_the_budget():
    bodies = Bodies(budget=400)
    basis, other = object(), object()
    built: list[str] = []

    def build(name: str, size: int) -> Callable[[], bytes]:
        def make() -> bytes:
            built.append(name)
            return name.encode() * size

        return make

    assert bodies.get(basis, "a", build("a", 50)) == b"a" * 50
    assert bodies.get(basis, "a", build("again", 1)) == b"a" * 50
    assert bodies.get(other, "a", build("b", 60)) == b"b" * 60  # another basis, same key
    assert bodies.get(basis, "big", build("c", 101)) == b"c" * 101  # over a quarter: not kept
    assert bodies.get(basis, "big", build("d", 101)) == b"d" * 101
    for name in "efgh":  # 4 × 100 bytes push out the least recently used
        bodies.get(basis, name, build(name, 100))
    assert bodies.get(basis, "a", build("a2", 1)) == b"a2"
    assert built == ["a", "b", "c", "d", "e", "f", "g", "h", "a2"]


def test_areas_and_hotspots_follow_a_changed_incident_at_once(conn):
    where = heat.HeatFilter("01")
    before = heat.areas(conn, where, generation=1, scope=DALAD)
    assert heat.areas(conn, where, generation=1, scope=DALAD) is before  # kept
    spots = hotspots.hotspots(conn, where, generation=1, scope=DALAD)
    assert hotspots.hotspots(conn, where, generation=1, scope=DALAD) is spots
    moved = conn.execute(
        text(
            "UPDATE incident SET category_code = '0101' WHERE id = ("
            " SELECT i.id FROM incident i JOIN area a ON a.id = i.micro_grid_id"
            " WHERE i.category_code NOT LIKE '01%' AND a.code LIKE '150621%'"
            " ORDER BY i.id LIMIT 1) RETURNING (SELECT code FROM area WHERE id = micro_grid_id)"
        )
    ).scalar_one()
    after = json.loads(heat.areas(conn, where, generation=1, scope=DALAD))
    old = json.loads(before)
    assert after["total"] == old["total"] + 1
    count = {f["id"]: f["properties"]["count"] for f in after["features"]}
    was = {f["id"]: f["properties"]["count"] for f in old["features"]}
    assert {c for c in count if count[c] != was[c]} == {moved}
    assert count[moved] == was[moved] + 1
    again = json.loads(hotspots.hotspots(conn, where, generation=1, scope=DALAD))
    assert again["total"] == json.loads(spots)["total"] + 1
