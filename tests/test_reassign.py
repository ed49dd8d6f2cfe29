"""Re-assignment moves exactly the open incidents inside a changed area, in one transaction."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
import shapely
from sqlalchemy import text

from cases.redraw.reassign import reassign_open


def _post(client, x, y):
    payload = {"lon": float(x), "lat": float(y), "datum": "cgcs2000", "category": "0101"}
    response = client.post(
        "/api/v1/incidents", json=payload, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert response.status_code == 201, response.text
    return response.json()["code"]


def _inside(polygon, n, seed):
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = polygon.bounds
    xy = rng.uniform((minx, miny), (maxx, maxy), size=(n * 60, 2))
    return xy[shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])][:n]


@pytest.fixture(scope="module")
def neighbours(sample_areas):
    """Two micro-grids of one grid sharing an edge, and a third one far away."""
    micro = sample_areas["micro_grid"].set_index("code").sort_index()
    for code_a, geom_a in micro.geometry.items():
        if not code_a.startswith("150621004"):
            continue
        siblings = micro[micro.index.str.startswith(code_a[:14]) & (micro.index > code_a)]
        for code_b, geom_b in siblings.geometry.items():
            if geom_a.intersection(geom_b).length > 0:
                return code_a, geom_a, code_b, geom_b, micro.index[10], micro.geometry.iloc[10]
    raise AssertionError("no neighbours found")


def test_reassignment_moves_exactly_the_incidents_in_the_changed_areas(client, conn, neighbours):
    code_a, geom_a, code_b, geom_b, _, geom_c = neighbours
    in_a = [_post(client, x, y) for x, y in _inside(geom_a, 3, 1)]
    points_b = _inside(geom_b, 8, 2)
    in_b = [_post(client, x, y) for x, y in points_b]
    in_c = [_post(client, x, y) for x, y in _inside(geom_c, 2, 3)]
    closed = in_b[0]
    conn.execute(text("UPDATE incident SET status = 'closed' WHERE code = :c"), {"c": closed})

    # The redraw: the western half of B joins A. A and B retire; A2 and B2 replace them.
    minx, miny, maxx, maxy = geom_b.bounds
    west = shapely.box(minx - 1, miny - 1, (minx + maxx) / 2, maxy + 1)
    new_a = shapely.union(geom_a, shapely.intersection(geom_b, west))
    new_b = shapely.difference(geom_b, west)
    generation = conn.execute(
        text(
            "INSERT INTO generation (description, activated_at) "
            "VALUES ('测试调整', now()) RETURNING id"
        )
    ).scalar_one()
    ids = dict(
        conn.execute(
            text("SELECT code, id FROM area WHERE code IN (:a, :b) AND generation_high IS NULL"),
            {"a": code_a, "b": code_b},
        ).all()
    )
    conn.execute(
        text(
            "UPDATE area SET generation_high = (SELECT max(id) FROM generation WHERE id < :g) "
            "WHERE id IN (:a, :b)"
        ),
        {"g": generation, "a": ids[code_a], "b": ids[code_b]},
    )
    new_codes = {"a2": code_a[:14] + "98", "b2": code_a[:14] + "99"}
    for key, geom in (("a2", new_a), ("b2", new_b)):
        conn.execute(
            text(
                "INSERT INTO area (code, name, level, parent_id, generation_low, geom) "
                "SELECT :code, :name, 'micro_grid', parent_id, :g, "
                "ST_Multi(ST_GeomFromText(:wkt, 4490)) FROM area WHERE id = :a"
            ),
            {
                "code": new_codes[key],
                "name": key,
                "g": generation,
                "wkt": geom.wkt,
                "a": ids[code_a],
            },
        )
    before = dict(conn.execute(text("SELECT code, queue_area_id FROM incident")).all())

    moves = reassign_open(conn, [ids[code_a], ids[code_b]], generation, limit_m=500)

    expected = {}
    for code, (x, y) in zip(in_b, points_b, strict=True):
        expected[code] = new_codes["a2"] if new_a.covers(shapely.Point(x, y)) else new_codes["b2"]
    for code in in_a:
        expected[code] = new_codes["a2"]
    del expected[closed]
    assert {m.code for m in moves} == set(expected)
    assert any(v == new_codes["a2"] for k, v in expected.items() if k in in_b)  # B's west moved
    now = dict(
        conn.execute(
            text("SELECT i.code, a.code FROM incident i JOIN area a ON a.id = i.queue_area_id")
        ).all()
    )
    for code, area in expected.items():
        assert now[code] == area, code
    after = dict(conn.execute(text("SELECT code, queue_area_id FROM incident")).all())
    untouched = set(before) - set(expected)
    assert {c: after[c] for c in untouched} == {c: before[c] for c in untouched}
    assert closed in untouched and all(c in untouched for c in in_c)
    trail = conn.execute(
        text(
            "SELECT i.code, e.kind, ta.code AS to_area, e.data ->> 'generation' AS g "
            "FROM incident_event e JOIN incident i ON i.id = e.incident_id "
            "JOIN area ta ON ta.id = e.to_area_id WHERE e.kind = 'reassigned'"
        )
    ).all()
    assert {(r.code, r.to_area, int(r.g)) for r in trail} == {
        (code, area, generation) for code, area in expected.items()
    }
