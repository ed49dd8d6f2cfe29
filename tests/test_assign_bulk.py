"""Set-wise placement: the STRtree and PostGIS implementations against each other and ``place``.

The test points are built from the committed sample files: random points over and around the
banner, vertices shared by two or three micro-grids, midpoints of shared edges that are exactly
on the edge in floating point, and points just outside and far outside the banner.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
import shapely

from geo.areas import current_generation
from geo.assign import Assignment, place
from geo.assign_bulk import Method, place_many, place_postgis, place_strtree

LIMIT_M = 500.0


@pytest.fixture(scope="module")
def micro(sample_areas):
    return sample_areas["micro_grid"].sort_values("code").reset_index(drop=True)


def _exact_midpoint(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float] | None:
    """The midpoint of a-b if it is exactly representable (then it is exactly on the edge)."""
    mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
    exact = all(
        Fraction(m) == (Fraction(p) + Fraction(q)) / 2 for m, p, q in zip(mid, a, b, strict=True)
    )
    return mid if exact else None


@pytest.fixture(scope="module")
def test_points(micro, sample_areas) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """About 2,000 points of every kind, and how many of each kind were made."""
    rng = np.random.default_rng(7)
    geoms = micro.geometry.values
    banner = sample_areas["banner"].geometry.iloc[0]
    west, south, east, north = banner.bounds
    kinds: dict[str, list[tuple[float, float]]] = {}
    kinds["random"] = list(
        zip(
            rng.uniform(west - 0.05, east + 0.05, 1200),
            rng.uniform(south - 0.05, north + 0.05, 1200),
            strict=True,
        )
    )
    vertex_count = Counter(xy for g in geoms for xy in set(map(tuple, shapely.get_coordinates(g))))
    shared = sorted(xy for xy, n in vertex_count.items() if n >= 2)
    kinds["shared_vertex"] = [shared[i] for i in rng.choice(len(shared), 300, replace=False)]
    edges = Counter(
        tuple(sorted((tuple(c[i]), tuple(c[i + 1]))))
        for g in geoms
        for c in [shapely.get_coordinates(g)]
        for i in range(len(c) - 1)
    )
    midpoints = [
        m for (a, b), n in sorted(edges.items()) if n == 2 and (m := _exact_midpoint(a, b))
    ]
    kinds["shared_edge"] = [midpoints[i] for i in rng.choice(len(midpoints), 200, replace=False)]
    for name, band, n in (
        ("just_outside", (0.0005, 0.004), 200),
        ("far_outside", (0.01, 0.2), 100),
    ):
        ring = banner.buffer(band[1]).difference(banner.buffer(band[0]))
        box = ring.bounds
        found: list[tuple[float, float]] = []
        while len(found) < n:
            x, y = rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3])
            if ring.contains(shapely.Point(x, y)):
                found.append((x, y))
        kinds[name] = found
    xy = np.array([p for pts in kinds.values() for p in pts])
    return xy[:, 0], xy[:, 1], {k: len(v) for k, v in kinds.items()}


def test_strtree_and_postgis_agree_on_2000_points(conn, test_points):
    x, y, made = test_points
    assert len(x) == 2000 and made["shared_edge"] == 200
    g = current_generation(conn)
    a = place_strtree(conn, x, y, g, LIMIT_M)
    b = place_postgis(conn, x, y, g, LIMIT_M)
    assert a.mismatches(b).tolist() == []
    kinds = Counter(a[i].assignment for i in range(len(a)))
    assert set(kinds) == set(Assignment)
    assert kinds[Assignment.BOUNDARY_TIE] >= 500  # every shared vertex and edge midpoint
    assert a.tied.sum() == kinds[Assignment.BOUNDARY_TIE]
    by_name = place_many(conn, x[:50], y[:50], g, LIMIT_M, method=Method.POSTGIS)
    assert by_name.mismatches(place_strtree(conn, x[:50], y[:50], g, LIMIT_M)).size == 0


def test_shared_points_go_to_the_lowest_code_as_shapely_sees_it(conn, micro, test_points):
    x, y, made = test_points
    start = made["random"]
    stop = start + made["shared_vertex"] + made["shared_edge"]
    placed = place_strtree(conn, x[start:stop], y[start:stop], current_generation(conn), LIMIT_M)
    tree = shapely.STRtree(micro.geometry.values)
    points = shapely.points(x[start:stop], y[start:stop])
    hits, targets = tree.query(points, predicate="intersects")
    lowest = {}
    for point, target in zip(hits, targets, strict=True):
        lowest[point] = min(lowest.get(point, target), target)
    ids = dict(
        conn.exec_driver_sql(
            "SELECT code, id FROM area WHERE level = 'micro_grid' AND generation_high IS NULL"
        ).all()
    )
    assert len(lowest) == stop - start
    for i in range(stop - start):
        assert placed[i].assignment is Assignment.BOUNDARY_TIE
        assert placed[i].micro_grid_id == ids[micro["code"].iloc[lowest[i]]]


def test_bulk_placement_follows_place_point_by_point(conn, test_points):
    x, y, _ = test_points
    g = current_generation(conn)
    sample = np.linspace(0, len(x) - 1, 160).astype(int)
    placed = place_many(conn, x[sample], y[sample], g, LIMIT_M)
    for k, i in enumerate(sample):
        one = place(conn, float(x[i]), float(y[i]), g, LIMIT_M)
        has_micro = one.area_id("micro_grid") is not None
        expected = (
            one.assignment,
            one.queue_area_id,
            one.area_id("micro_grid"),
            one.area_id("grid") if has_micro else None,
            one.area_id("village") if has_micro else None,
            one.area_id("township"),
            one.distance_m,
        )
        got = placed[k]
        assert expected == (
            got.assignment,
            got.queue_area_id,
            got.micro_grid_id,
            got.grid_id,
            got.village_id,
            got.township_id,
            got.distance_m,
        ), (x[i], y[i])


def test_empty_input_places_nothing(conn):
    assert len(place_many(conn, [], [], current_generation(conn), LIMIT_M)) == 0


def test_coordinates_must_be_finite(conn):
    with pytest.raises(ValueError, match="finite"):
        place_many(conn, [np.nan], [40.0], current_generation(conn), LIMIT_M)
