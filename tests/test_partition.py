"""Every level partitions its parent exactly, proven in PostGIS on the loaded sample."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
import shapely.geometry
from sqlalchemy import text

from geo.datum import gcj02_to_wgs84

OUTLINE = (
    Path(__file__).resolve().parents[1]
    / "sample_data"
    / "sources"
    / "150621_dalad_outline_gcj02.geojson"
)

PAIRS = [
    ("banner", "township"),
    ("township", "village"),
    ("village", "grid"),
    ("grid", "micro_grid"),
]


def test_every_geometry_is_a_valid_cgcs2000_multipolygon(conn):
    row = conn.execute(
        text(
            "SELECT count(*) AS n, count(*) FILTER (WHERE NOT ST_IsValid(geom)) AS invalid, "
            "count(DISTINCT ST_SRID(geom)) AS srids, min(ST_SRID(geom)) AS srid, "
            "count(*) FILTER (WHERE GeometryType(geom) <> 'MULTIPOLYGON') AS not_multi FROM area"
        )
    ).one()
    assert row.n > 6000
    assert (row.invalid, row.srids, row.srid, row.not_multi) == (0, 1, 4490, 0)


@pytest.mark.parametrize(("parent", "child"), PAIRS)
def test_children_sit_under_a_parent_of_the_level_above_with_its_code_prefix(conn, parent, child):
    bad = conn.execute(
        text(
            "SELECT count(*) FROM area c LEFT JOIN area p ON p.id = c.parent_id "
            "WHERE c.level = :child AND (p.id IS NULL OR p.level <> :parent "
            "OR left(c.code, length(p.code)) <> p.code)"
        ),
        {"parent": parent, "child": child},
    ).scalar_one()
    assert bad == 0


@pytest.mark.parametrize(("parent", "child"), PAIRS)
def test_every_child_is_covered_by_its_parent(conn, parent, child):
    uncovered = conn.execute(
        text(
            "SELECT count(*) FROM area c JOIN area p ON p.id = c.parent_id "
            "WHERE c.level = :child AND NOT ST_CoveredBy(c.geom, p.geom)"
        ),
        {"child": child},
    ).scalar_one()
    assert uncovered == 0


@pytest.mark.parametrize(("parent", "child"), PAIRS)
def test_no_two_siblings_overlap_or_contain_each_other(conn, parent, child):
    # ST_Overlaps misses containment; the interior-interior DE-9IM pattern catches both.
    overlapping = conn.execute(
        text(
            "SELECT count(*) FROM area a JOIN area b "
            "ON a.parent_id = b.parent_id AND a.id < b.id AND a.geom && b.geom "
            "WHERE a.level = :child AND ST_Relate(a.geom, b.geom, '2********')"
        ),
        {"child": child},
    ).scalar_one()
    assert overlapping == 0


@pytest.mark.parametrize(("parent", "child"), PAIRS)
def test_children_fill_their_parent_without_gaps(conn, parent, child):
    rows = conn.execute(
        text(
            """
            SELECT p.code,
                   ST_Area(ST_Difference(p.geom, u.geom)::geography) AS gap_m2,
                   ST_Area(ST_Difference(u.geom, p.geom)::geography) AS excess_m2,
                   ST_Area(p.geom::geography) AS parent_m2,
                   u.child_m2
            FROM area p
            JOIN LATERAL (
                SELECT ST_Union(c.geom) AS geom, sum(ST_Area(c.geom::geography)) AS child_m2
                FROM area c WHERE c.parent_id = p.id
            ) u ON true
            WHERE p.level = :parent
            """
        ),
        {"parent": parent},
    ).all()
    assert rows, f"no {parent} areas"
    for row in rows:
        assert row.gap_m2 == pytest.approx(0, abs=1e-3), row.code
        assert row.excess_m2 == pytest.approx(0, abs=1e-3), row.code
        # the sum of children equals the parent: no gap and no double counting
        assert row.child_m2 == pytest.approx(row.parent_m2, rel=1e-9), row.code


def test_the_banner_is_the_real_outline_converted_from_gcj02(conn, sample_areas):
    geometry = json.loads(OUTLINE.read_text(encoding="utf-8"))["features"][0]["geometry"]
    outline = shapely.geometry.shape(geometry)
    converted = shapely.transform(outline, lambda xy: np.column_stack(gcj02_to_wgs84(*xy.T)))
    banner = sample_areas["banner"].geometry.iloc[0]
    # the same shape up to the generator's precision grid and validity repair
    assert banner.symmetric_difference(converted).area / converted.area < 1e-4
    area_km2 = conn.execute(
        text(  # Dalad's (Haibowan's outline: tests/test_places.py)
            "SELECT ST_Area(geom::geography) / 1e6 FROM area "
            "WHERE level = 'banner' AND code = '150621'"
        )
    ).scalar_one()
    assert area_km2 == pytest.approx(8192, rel=0.05)
