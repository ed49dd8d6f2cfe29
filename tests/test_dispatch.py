"""Dispatch: one incident at a time (intake) and set-wise (import, re-assignment) pick the same
desk; above all the same grid worker when a grid has several."""

from __future__ import annotations

import numpy as np
from sqlalchemy import text

from cases.dispatch import desk_for, desks_for
from geo.areas import current_generation
from geo.assign import place
from geo.assign_bulk import place_many
from geo.people import responsible

GRID = "15062100400102"  # a grid of the sample with micro-grids and one grid worker
LIMIT_M = 500.0


def _new_worker(conn, grid_id: int, name: str) -> int:
    return conn.execute(
        text(
            "INSERT INTO member (id, kind, name, phone, title, area_id) "
            "SELECT max(id) + 1, 'grid_worker', :n, '13900000000', '专职网格员', :a FROM member "
            "RETURNING id"
        ),
        {"n": name, "a": grid_id},
    ).scalar_one()


def test_a_grid_with_several_workers_gets_the_same_one_both_ways(conn):
    grid_id, other_id = conn.execute(
        text(
            "SELECT (SELECT id FROM area WHERE code = :g AND generation_high IS NULL), "
            "(SELECT id FROM area WHERE code = :o AND generation_high IS NULL)"
        ),
        {"g": GRID, "o": "15062100400101"},
    ).one()
    # the grid's own worker leaves; two join it, the first of them is the one on duty
    conn.execute(
        text("UPDATE member SET area_id = :o WHERE area_id = :g AND kind = 'grid_worker'"),
        {"g": grid_id, "o": other_id},
    )
    first, second = _new_worker(conn, grid_id, "甲"), _new_worker(conn, grid_id, "乙")
    assert first < second
    points = conn.execute(
        text(
            "SELECT m.id, ST_X(p) AS x, ST_Y(p) AS y FROM area m, "
            "LATERAL ST_PointOnSurface(m.geom) p "
            "WHERE m.parent_id = :g AND m.generation_high IS NULL ORDER BY m.code"
        ),
        {"g": grid_id},
    ).all()
    assert len(points) >= 2
    generation = current_generation(conn)
    one_by_one = [
        desk_for(conn, place(conn, p.x, p.y, generation, LIMIT_M), "0101") for p in points
    ]
    assert [d.member_id for d in one_by_one] == [first] * len(points)
    placed = place_many(conn, [p.x for p in points], [p.y for p in points], generation, LIMIT_M)
    set_wise = desks_for(conn, ["0101"] * len(points), placed)
    assert set_wise.member_id.tolist() == [first] * len(points)
    assert set_wise.department_id.tolist() == [d.department_id for d in one_by_one]
    # the people shown for the place (locate, an incident's responsible) name the same worker
    shown = responsible(conn, points[0].id, grid_id)["grid_worker"]
    assert shown["id"] == first


def test_a_queue_incident_has_no_grid_worker_either_way(conn):
    generation = current_generation(conn)
    x, y = 112.0, 42.0  # beyond the banner: its queue, no township
    single = desk_for(conn, place(conn, x, y, generation, LIMIT_M), "0101")
    placed = place_many(conn, [x], [y], generation, LIMIT_M)
    assert placed.micro_grid_id.tolist() == [0]
    assert single.member_id is None
    assert desks_for(conn, ["0101"], placed).member_id.tolist() == [0]
    assert np.array_equal(desks_for(conn, ["0101"], placed).department_id, [single.department_id])
