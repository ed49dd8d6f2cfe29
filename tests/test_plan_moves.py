"""Moving children between parents of a draft (POST /plans/{id}/move), on the session database.

Expected values come from shapely on the geometries the service reports and from the incident
and member tables directly, never from the code under test: which micro-grids touch the
neighbouring grid, which open incidents and party members lie in the micro-grids that move.
"""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import shape
from sqlalchemy import text

from api.plan_schemas import Impact, MoveResult, Workload
from cases.models import CLOSED_STATUSES

VILLAGE = "150621001001"


@pytest.fixture
def plan(client):
    response = client.post("/api/v1/plans", json={"scope_code": VILLAGE, "description": "移交"})
    assert response.status_code == 201, response.text
    plan_id = response.json()["id"]
    yield plan_id
    client.delete(f"/api/v1/plans/{plan_id}")


def _areas(client, plan_id, level):
    body = client.get(f"/api/v1/plans/{plan_id}/areas", params={"level": level}).json()
    return {f["id"]: f for f in body["features"]}


def _three_beside(micro, a, b):
    """Three micro-grids of grid ``a`` next to grid ``b``: those sharing an edge with it
    first, then their neighbours inside ``a``, lowest refs first; None if ``a`` would be left
    with fewer than two."""
    mine = {r: shape(f["geometry"]) for r, f in micro.items() if f["properties"]["parent_ref"] == a}
    theirs = shapely.union_all(
        [shape(f["geometry"]) for f in micro.values() if f["properties"]["parent_ref"] == b]
    )
    if len(mine) < 5:
        return None
    chosen = [r for r in sorted(mine) if mine[r].intersection(theirs).length > 0][:3]
    while chosen and len(chosen) < 3:
        taken = shapely.union_all([mine[r] for r in chosen])
        more = [r for r in sorted(mine) if r not in chosen and mine[r].intersection(taken).length]
        if not more:
            return None
        chosen.append(more[0])
    return chosen if len(chosen) == 3 else None


def _pair(client, engine, plan_id):
    """Two grids of the draft sharing an edge, and three micro-grids of the first beside the
    second holding open incidents and party members' homes (so that something changes hands)."""
    grids = {r: shape(f["geometry"]) for r, f in _areas(client, plan_id, "grid").items()}
    micro = _areas(client, plan_id, "micro_grid")
    for a in sorted(grids):
        for b in sorted(grids):
            if a == b or grids[a].intersection(grids[b]).length == 0:
                continue
            chosen = _three_beside(micro, a, b)
            if chosen and all(_held(engine, micro, chosen)):
                return a, b, chosen, micro
    raise AssertionError("no two neighbouring grids in the sample village")


def _held(engine, micro, refs):
    """Open incidents and party members' homes inside the micro-grids ``refs``."""
    union = shapely.union_all([shape(micro[r]["geometry"]) for r in refs])
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT (SELECT count(*) FROM incident WHERE status <> ALL(:closed) "
                "AND ST_Contains(ST_GeomFromText(:wkt, 4490), geom)), "
                "(SELECT count(*) FROM member WHERE kind = 'party_member' "
                "AND ST_Contains(ST_GeomFromText(:wkt, 4490), home))"
            ),
            {"closed": [s.value for s in CLOSED_STATUSES], "wkt": union.wkt},
        ).one()


def _shared_vertices(one, other):
    """The vertices of ``one`` lying on the boundary of ``other``, as a set of tuples."""
    edge = other.boundary
    return {
        tuple(xy) for xy in shapely.get_coordinates(one) if edge.distance(shapely.Point(xy)) < 1e-12
    }


def test_three_micro_grids_move_to_the_neighbouring_grid(client, engine, plan):
    a, b, moving, micro = _pair(client, engine, plan)
    url = f"/api/v1/plans/{plan}"
    versions = {r: micro[r]["properties"]["version"] for r in moving}
    response = client.post(f"{url}/move", json={"refs": moving, "to": b, "versions": versions})
    assert response.status_code == 200, response.text
    result = MoveResult.model_validate(response.json())
    assert result.moved == sorted(moving) and result.versions == dict.fromkeys(moving, 2)
    assert result.parents == {a: 2, b: 2} and result.plan_version == 2
    assert response.headers["etag"] == '"2"'

    after = _areas(client, plan, "micro_grid")
    assert {r for r, f in after.items() if f["properties"]["parent_ref"] == b} >= set(moving)
    grids = {r: shape(f["geometry"]) for r, f in _areas(client, plan, "grid").items()}
    for grid in (a, b):  # each parent is the union of its children now
        children = [shape(f["geometry"]) for f in after.values()
                    if f["properties"]["parent_ref"] == grid]  # fmt: skip
        assert grids[grid].symmetric_difference(shapely.union_all(children)).area < 1e-14
    common = grids[a].intersection(grids[b])
    assert common.length > 0
    assert _shared_vertices(grids[a], grids[b]) == _shared_vertices(grids[b], grids[a])
    assert client.get(f"{url}/check").json()["features"] == []

    impact = Impact.model_validate(client.get(f"{url}/impact").json())
    assert set(impact.areas["retired"]) >= {a, b, *moving}
    moved_union = shapely.union_all([shape(micro[r]["geometry"]) for r in moving])
    closed = [s.value for s in CLOSED_STATUSES]
    with engine.connect() as conn:
        incidents = conn.execute(
            text(
                "SELECT i.code, ST_X(i.geom) AS x, ST_Y(i.geom) AS y FROM incident i "
                "JOIN area g ON g.id = i.grid_id WHERE g.code IN (:a, :b) "
                "AND i.status <> ALL(:closed)"
            ),
            {"a": a, "b": b, "closed": closed},
        ).all()
        homes = conn.execute(
            text(
                "SELECT m.id, ST_X(m.home) AS x, ST_Y(m.home) AS y FROM member m "
                "JOIN area r ON r.id = m.area_id WHERE m.kind = 'party_member' "
                "AND left(r.code, 14) IN (:a, :b) AND r.level = 'micro_grid'"
            ),
            {"a": a, "b": b},
        ).all()
    inside = {i.code for i in incidents if moved_union.contains(shapely.Point(i.x, i.y))}
    assert inside, "the micro-grids that move should hold open incidents"
    listed = {i["code"]: i for i in impact.incidents}
    assert {i.code for i in incidents} <= set(listed)
    hands = {c for c, i in listed.items() if i["from_grid"] != i["to_grid"]}
    assert hands == inside
    assert {listed[c]["from_grid"] for c in hands} == {a}
    assert {listed[c]["to_grid"] for c in hands} == {b}

    homes_in = {m.id for m in homes if moved_union.contains(shapely.Point(m.x, m.y))}
    assert homes_in, "the micro-grids that move should hold party members' homes"
    members = {m["id"]: m for m in impact.members}
    assert {m.id for m in homes} <= set(members)
    assert {i for i, m in members.items() if m["from_grid"] != m["to_grid"]} == homes_in
    workers = [m for m in members.values() if m["kind"] == "grid_worker"]
    assert workers and all(m["to"] == m["from"] for m in workers)  # each stays with its grid


def test_a_move_that_cannot_be_is_refused_naming_the_field(client, engine, plan):
    a, b, moving, micro = _pair(client, engine, plan)
    url = f"/api/v1/plans/{plan}"
    versions = {r: 1 for r in micro}
    all_of_a = [r for r, f in micro.items() if f["properties"]["parent_ref"] == a]
    cases = [
        ({"refs": ["nope"], "to": b, "versions": versions}, 422, "refs"),
        ({"refs": moving, "to": "nope", "versions": versions}, 422, "to"),
        ({"refs": moving, "to": moving[0], "versions": versions}, 422, "to"),
        ({"refs": moving, "to": VILLAGE + "9", "versions": versions}, 422, "to"),
        ({"refs": [moving[0], b], "to": b, "versions": versions}, 422, "refs"),
        ({"refs": all_of_a, "to": b, "versions": versions}, 422, "refs"),
        ({"refs": [moving[0], moving[0]], "to": b, "versions": versions}, 422, "refs"),
        ({"refs": moving, "to": b}, 428, "versions"),
        ({"refs": moving, "to": b, "versions": {**versions, moving[1]: 7}}, 412, None),
    ]
    with engine.connect() as conn:
        before = conn.execute(
            text("SELECT ref, parent_ref, version FROM plan_area WHERE plan_id = :p ORDER BY ref"),
            {"p": plan},
        ).all()
    for body, status, field in cases:
        response = client.post(f"{url}/move", json=body)
        assert response.status_code == status, (body, response.text)
        if field:
            assert [e["field"] for e in response.json()["errors"]] == [field], response.text
    stale = client.post(f"{url}/move", json=cases[-1][0]).json()
    assert stale["ref"] == moving[1] and stale["version"] == 1
    with engine.connect() as conn:
        after = conn.execute(
            text("SELECT ref, parent_ref, version FROM plan_area WHERE plan_id = :p ORDER BY ref"),
            {"p": plan},
        ).all()
    assert after == before
    assert client.get(url).json()["version"] == 1


def _filed(conn, micro_codes):
    """An independent count: what the registry, the incidents and the members file under the
    live micro-grids ``micro_codes`` (not where their points fall)."""
    closed = [s.value for s in CLOSED_STATUSES]
    row = conn.execute(
        text(
            "WITH m AS (SELECT id FROM area WHERE code = ANY(:codes) "
            "AND generation_high IS NULL) "
            "SELECT (SELECT count(*) FROM household hh JOIN house h ON h.id = hh.house_id "
            "        WHERE h.micro_grid_id IN (SELECT id FROM m)) AS households, "
            "(SELECT count(*) FROM person pe JOIN household hh ON hh.id = pe.household_id "
            " JOIN house h ON h.id = hh.house_id WHERE h.micro_grid_id IN (SELECT id FROM m)) "
            "  AS population, "
            "(SELECT count(*) FROM incident WHERE micro_grid_id IN (SELECT id FROM m) "
            " AND status <> ALL(:closed)) AS open_cases, "
            "(SELECT count(*) FROM incident WHERE micro_grid_id IN (SELECT id FROM m) "
            " AND reported_at > now() - interval '365 days') AS cases_year, "
            "(SELECT count(*) FROM member WHERE area_id IN (SELECT id FROM m) "
            " AND kind = 'party_member') AS party"
        ),
        {"codes": micro_codes, "closed": closed},
    ).one()
    return dict(row._mapping)


def test_the_workload_follows_a_move(client, engine, plan):
    a, b, moving, micro = _pair(client, engine, plan)
    url = f"/api/v1/plans/{plan}"
    versions = dict.fromkeys(moving, 1)
    assert client.post(
        f"{url}/move", json={"refs": moving, "to": b, "versions": versions}
    ).is_success
    response = client.get(f"{url}/workload")
    assert response.status_code == 200, response.text
    body = Workload.model_validate(response.json())
    assert body.norms == {"urban": [300, 500], "rural": 300}
    grids = {g.ref: g for g in body.grids}
    assert set(grids) == {f["properties"]["parent_ref"] for f in micro.values()}
    after = _areas(client, plan, "micro_grid")
    with engine.connect() as conn:
        kinds = dict(conn.execute(text("SELECT code, kind FROM area WHERE code = :v"),
                                  {"v": VILLAGE}).all())  # fmt: skip
        staff = dict(
            conn.execute(
                text(
                    "SELECT a.code, count(m.id) FROM area a LEFT JOIN member m ON m.area_id = a.id "
                    "AND m.kind <> 'party_member' WHERE a.code = ANY(:g) "
                    "AND a.generation_high IS NULL GROUP BY a.code"
                ),
                {"g": list(grids)},
            ).all()
        )
        for ref, grid in grids.items():
            now = [r for r, f in after.items() if f["properties"]["parent_ref"] == ref]
            was = [r for r in micro if r[:14] == ref]
            for side, codes in (("after", now), ("before", was)):
                filed = _filed(conn, codes)
                figures = grid if side == "after" else grid.before
                assert figures is not None
                got = figures.model_dump(include={"households", "population", "open_cases",
                                                  "cases_year", "members"})  # fmt: skip
                expected = {k: filed[k] for k in ("households", "population", "open_cases",
                                                  "cases_year")}  # fmt: skip
                expected["members"] = filed["party"] + staff[ref]
                assert got == expected, (ref, side)
            kind = "urban" if kinds[VILLAGE] == "community" else "rural"
            low, high = (300, 500) if kind == "urban" else (150, 450)
            assert grid.kind == kind
            n = grid.households
            assert grid.flag == ("too_small" if n < low else "too_large" if n > high else None)
    with engine.connect() as conn:
        moved = _filed(conn, moving)
    assert moved["households"] > 0 and grids[a].before and grids[b].before
    assert grids[b].households - grids[b].before.households == moved["households"]
    assert grids[a].before.households - grids[a].households == moved["households"]
