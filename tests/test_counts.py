"""The sample's people and departments, as loaded into PostGIS: Dalad's (the second place,
Haibowan, loaded beside it, has its own figures in tests/test_places.py), so every query is
held to codes under 150621 and departments D01 … D39."""

from __future__ import annotations

from sqlalchemy import text

TOWNSHIPS = {
    "树林召镇",
    "白泥井镇",
    "中和西镇",
    "吉格斯太镇",
    "王爱召镇",
    "昭君镇",
    "恩格贝镇",
    "展旦召苏木",
}


def _scalar(conn, sql, **params):
    return conn.execute(text(sql), params).scalar_one()


def test_eight_real_townships(conn):
    names = (
        conn.execute(text("SELECT name FROM area WHERE level = 'township' AND code LIKE '150621%'"))
        .scalars()
        .all()
    )
    assert sorted(names) == sorted(TOWNSHIPS)


def test_one_banner_named_dalad(conn):
    rows = conn.execute(
        text("SELECT code, name FROM area WHERE level = 'banner' AND code LIKE '1506%'")
    ).all()
    assert [(r.code, r.name) for r in rows] == [("150621", "达拉特旗")]


def test_thirty_nine_departments(conn):
    assert _scalar(conn, "SELECT count(*) FROM department WHERE code LIKE 'D%'") == 39


def test_261_instructors_each_on_a_grid_with_a_department(conn):
    row = conn.execute(
        text(
            "SELECT count(*) AS n, count(*) FILTER (WHERE a.level = 'grid') AS on_grid, "
            "count(m.department_id) AS with_department "
            "FROM member m JOIN area a ON a.id = m.area_id "
            "WHERE m.kind = 'instructor' AND a.code LIKE '150621%'"
        )
    ).one()
    assert (row.n, row.on_grid, row.with_department) == (261, 261, 261)


def test_6296_party_members_each_in_the_micro_grid_around_their_home(conn):
    row = conn.execute(
        text(
            "SELECT count(*) AS n, count(*) FILTER (WHERE a.level = 'micro_grid') AS on_micro, "
            "count(*) FILTER (WHERE ST_Covers(a.geom, m.home)) AS home_inside "
            "FROM member m JOIN area a ON a.id = m.area_id "
            "WHERE m.kind = 'party_member' AND a.code LIKE '150621%'"
        )
    ).one()
    assert (row.n, row.on_micro, row.home_inside) == (6296, 6296, 6296)


def test_exactly_one_grid_worker_per_grid(conn):
    row = conn.execute(
        text(
            "SELECT count(*) AS grids, count(*) FILTER (WHERE w.n = 1) AS with_one "
            "FROM area g LEFT JOIN LATERAL (SELECT count(*) AS n FROM member m "
            "WHERE m.area_id = g.id AND m.kind = 'grid_worker') w ON true "
            "WHERE g.level = 'grid'"
        )
    ).one()
    assert row.grids > 300
    assert row.with_one == row.grids
    assert _scalar(conn, "SELECT count(*) FROM member WHERE kind = 'grid_worker'") == row.grids


def test_leaders_are_assigned_to_grids(conn):
    row = conn.execute(
        text(
            "SELECT count(*) AS n, count(*) FILTER (WHERE a.level = 'grid') AS on_grid "
            "FROM member m JOIN area a ON a.id = m.area_id WHERE m.kind = 'leader'"
        )
    ).one()
    assert row.n > 0 and row.on_grid == row.n


def test_micro_grid_count_and_density(conn):
    n = _scalar(
        conn, "SELECT count(*) FROM area WHERE level = 'micro_grid' AND code LIKE '150621%'"
    )
    assert 6000 <= n <= 6500
    # small and dense in the urban seat, large in the sparse south
    seat, rest = conn.execute(
        text(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ST_Area(m.geom::geography)) "
            "FILTER (WHERE t.name = '树林召镇'), "
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY ST_Area(m.geom::geography)) "
            "FILTER (WHERE t.name <> '树林召镇') "
            "FROM area m JOIN area t ON t.level = 'township' AND left(m.code, 9) = t.code "
            "WHERE m.level = 'micro_grid' AND m.code LIKE '150621%'"
        )
    ).one()
    assert seat < rest
