"""The topology gate on the committed sample and on faults injected into real micro-grids.

Each fault is made in one grid of the sample (14 micro-grids of 馨园社区第3网格) by editing
exact vertices, so the test knows where the problem is and how big: it must come back as
exactly one problem of the expected kind, with the expected codes, located there.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from dataclasses import dataclass

import numpy as np
import pytest
import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import InvalidInput
from geo.topology import (
    AREA_RESOLUTION_M2,
    Problem,
    Unit,
    apply_repairs,
    check_layout,
    suggest_repairs,
)
from geo.topology.coverage import area_m2, length_m

GRID = "15062100101003"
PAIRS = [
    ("banner", "township"),
    ("township", "village"),
    ("village", "grid"),
    ("grid", "micro_grid"),
]
Point = tuple[float, float]


@dataclass
class Layout:
    parent: BaseGeometry
    units: list[Unit]

    def index(self, code: str) -> int:
        return next(i for i, u in enumerate(self.units) if u.code == code)

    def with_geometry(self, i: int, geometry: BaseGeometry) -> list[Unit]:
        units = list(self.units)
        units[i] = Unit(units[i].code, units[i].name, geometry)
        return units


def units_of(frame) -> list[Unit]:
    return [Unit(c, n, g) for c, n, g in zip(frame.code, frame.name, frame.geometry, strict=True)]


@pytest.fixture(scope="module")
def grid(sample_areas) -> Layout:
    grids = sample_areas["grid"]
    parent = grids[grids.code == GRID].geometry.iloc[0]
    micro = sample_areas["micro_grid"]
    return Layout(parent, units_of(micro[micro.parent_code == GRID]))


# --- building faults ----------------------------------------------------------------------


def ring(geometry: BaseGeometry) -> list[Point]:
    (polygon,) = shapely.get_parts(geometry)
    return [(float(x), float(y)) for x, y in shapely.get_coordinates(polygon.exterior)]


def segments(geometry: BaseGeometry) -> set[tuple[Point, Point]]:
    points = ring(geometry)
    return set(itertools.pairwise(points))


def metres(p: Point, q: Point) -> float:
    return math.hypot((q[0] - p[0]) * 85_300, (q[1] - p[1]) * 111_000)


def longest_shared_edge(layout: Layout) -> tuple[int, int, Point, Point]:
    """(i, j, P, Q): a segment P->Q of unit i's ring that unit j runs as Q->P."""
    found = []
    for i, a in enumerate(layout.units):
        for j, b in enumerate(layout.units):
            for p, q in segments(a.geometry) & {(q, p) for p, q in segments(b.geometry)}:
                found.append((metres(p, q), i, j, p, q))
    _, i, j, p, q = max(found)
    return i, j, p, q


def longest_outer_edge(layout: Layout) -> tuple[int, Point, Point]:
    """(i, P, Q): a segment of unit i's ring that lies on the parent's boundary."""
    outer = set()
    for polygon in shapely.get_parts(layout.parent):
        points = [tuple(map(float, xy)) for xy in shapely.get_coordinates(polygon.exterior)]
        outer |= set(itertools.pairwise(points))
    found = [
        (metres(p, q), i, p, q)
        for i, u in enumerate(layout.units)
        for p, q in segments(u.geometry) & outer
    ]
    _, i, p, q = max(found)
    return i, p, q


def beside(p: Point, q: Point, t: float, left_m: float) -> Point:
    """The point at fraction ``t`` from P to Q, moved ``left_m`` metres to the left of P->Q.

    Exterior rings run counter-clockwise, so left is into the unit whose ring runs P->Q.
    """
    dx, dy = q[0] - p[0], q[1] - p[1]
    nx, ny = -dy, dx
    scale = math.hypot(nx * 85_300, ny * 111_000)
    return (p[0] + t * dx + nx / scale * left_m, p[1] + t * dy + ny / scale * left_m)


def insert(geometry: BaseGeometry, p: Point, q: Point, points: list[Point]) -> BaseGeometry:
    """The polygon with ``points`` inserted between its consecutive vertices P and Q."""
    old = ring(geometry)
    k = next(k for k in range(len(old) - 1) if old[k] == p and old[k + 1] == q)
    return shapely.MultiPolygon([shapely.Polygon([*old[: k + 1], *points, *old[k + 1 :]])])


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [p.reason for p in problems]
    return problems[0]


# --- the committed sample -----------------------------------------------------------------


@pytest.mark.parametrize(("upper", "lower"), PAIRS)
def test_every_level_of_the_sample_passes_the_gate_with_no_gap_tolerated(
    sample_areas, upper, lower
):
    children = sample_areas[lower]
    checked = 0
    for code, parent in zip(sample_areas[upper].code, sample_areas[upper].geometry, strict=True):
        units = units_of(children[children.parent_code == code])
        assert check_layout(units, parent, gap_tolerance_m2=0.0) == [], code
        checked += len(units)
    assert checked == len(children)


def test_a_whole_township_of_micro_grids_passes(sample_areas):
    township = sample_areas["township"].iloc[0]
    micro = sample_areas["micro_grid"]
    units = units_of(micro[micro.code.str.startswith(township.code)])
    assert len(units) == 2254
    assert check_layout(units, township.geometry) == []
    assert suggest_repairs(units, township.geometry) == []


def test_the_clean_grid_passes_and_needs_no_repair(grid):
    assert len(grid.units) == 14
    assert check_layout(grid.units, grid.parent) == []
    assert check_layout(grid.units, None) == []
    assert suggest_repairs(grid.units, grid.parent) == []


# --- one fault, one problem ---------------------------------------------------------------


def test_an_overlap_is_located_and_measured(grid):
    i, j, p, q = longest_shared_edge(grid)
    r = beside(p, q, 0.5, -5.0)  # 5 m into the neighbour
    problem = only(
        check_layout(grid.with_geometry(i, insert(grid.units[i].geometry, p, q, [r])), grid.parent)
    )
    assert problem.kind == "overlap"
    assert problem.codes == tuple(sorted((grid.units[i].code, grid.units[j].code)))
    triangle = shapely.Polygon([p, r, q])
    assert shapely.symmetric_difference(problem.geometry, triangle).area < 1e-6 * triangle.area
    assert problem.area_m2 == pytest.approx(float(area_m2(triangle)), rel=1e-6)
    assert problem.area_m2 == pytest.approx(0.5 * metres(p, q) * 5.0, rel=0.01)
    assert "重叠" in problem.reason and "overlap" in problem.reason


def test_a_polygon_inside_a_sibling_is_an_overlap_that_overlaps_alone_would_miss(grid):
    host = grid.units[3]
    centre = host.geometry.representative_point()
    square = shapely.box(centre.x - 1e-4, centre.y - 1e-4, centre.x + 1e-4, centre.y + 1e-4)
    inside = Unit("1506210010100399", "新划微网格", shapely.MultiPolygon([square]))
    assert not host.geometry.overlaps(square)  # the predicate PostGIS ST_Overlaps mirrors
    problem = only(check_layout([*grid.units, inside], grid.parent))
    assert (problem.kind, problem.codes) == ("overlap", (host.code, inside.code))
    assert shapely.equals(problem.geometry, square)
    assert problem.area_m2 == pytest.approx(float(area_m2(square)), rel=1e-9)
    assert "整个位于" in problem.reason and "lies inside" in problem.reason


def test_a_shared_boundary_moved_by_one_centimetre_leaves_a_located_gap(grid):
    i, j, p, q = longest_shared_edge(grid)
    x, y = beside(p, q, 0.1, 0.01), beside(p, q, 0.9, 0.01)  # 1 cm into unit i
    units = grid.with_geometry(i, insert(grid.units[i].geometry, p, q, [x, y]))
    problem = only(check_layout(units, grid.parent))
    assert problem.kind == "gap"
    assert problem.codes == tuple(sorted((grid.units[i].code, grid.units[j].code)))
    sliver = shapely.Polygon([p, x, y, q])
    assert shapely.symmetric_difference(problem.geometry, sliver).area < 1e-3 * sliver.area
    assert problem.area_m2 == pytest.approx(0.01 * 0.9 * metres(p, q), rel=0.01)  # ~2 m²
    assert problem.area_m2 > 1.0


def test_a_tolerated_narrow_gap_still_breaks_the_shared_edge(grid):
    i, j, p, q = longest_shared_edge(grid)
    x, y = beside(p, q, 0.1, 0.01), beside(p, q, 0.9, 0.01)
    units = grid.with_geometry(i, insert(grid.units[i].geometry, p, q, [x, y]))
    problem = only(check_layout(units, grid.parent, gap_tolerance_m2=10.0))
    assert problem.kind == "edge_mismatch"
    assert problem.codes == tuple(sorted((grid.units[i].code, grid.units[j].code)))
    assert shapely.hausdorff_distance(problem.geometry, shapely.LineString([p, x, y, q])) < 1e-6


def test_an_extra_vertex_on_one_side_of_a_shared_edge_is_an_edge_mismatch(grid):
    i, j, p, q = longest_shared_edge(grid)
    middle = ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)
    units = grid.with_geometry(i, insert(grid.units[i].geometry, p, q, [middle]))
    problem = only(check_layout(units, grid.parent))
    assert problem.kind == "edge_mismatch"
    assert problem.codes == tuple(sorted((grid.units[i].code, grid.units[j].code)))
    assert problem.area_m2 is None
    assert shapely.hausdorff_distance(problem.geometry, shapely.LineString([p, q])) < 1e-9
    assert f"{length_m(shapely.LineString([p, q])):,.2f} m" in problem.reason


def test_a_shared_vertex_moved_two_millimetres_breaks_the_edges_that_meet_there(grid):
    i, _, p, q = longest_shared_edge(grid)
    moved = beside(p, q, 1.0, 0.002)  # Q, 2 mm into unit i
    units = grid.with_geometry(
        i,
        shapely.MultiPolygon(
            [shapely.Polygon([moved if v == q else v for v in ring(grid.units[i].geometry)])]
        ),
    )
    problems = check_layout(units, grid.parent)
    code = grid.units[i].code
    at_q = {u.code for u in grid.units if q in ring(u.geometry)} - {code}
    on_parent = q in [tuple(map(float, xy)) for xy in shapely.get_coordinates(grid.parent)]
    assert {p.kind for p in problems} == {"edge_mismatch"}
    assert {p.codes for p in problems} == {tuple(sorted((code, c))) for c in at_q} | (
        {(code,)} if on_parent else set()
    )
    for problem in problems:
        assert problem.geometry.distance(shapely.Point(q)) < 1e-9


def test_a_bow_tie_is_invalid_where_it_crosses(grid):
    i = 5
    polygon = shapely.get_parts(grid.units[i].geometry)[0]
    c = polygon.representative_point()
    d = 2e-5
    bow_tie = shapely.Polygon(
        [(c.x - d, c.y - d), (c.x + d, c.y + d), (c.x + d, c.y - d), (c.x - d, c.y + d)]
    )
    units = grid.with_geometry(i, shapely.MultiPolygon([polygon, bow_tie]))
    problem = only(check_layout(units, grid.parent))
    assert (problem.kind, problem.codes) == ("invalid", (grid.units[i].code,))
    assert problem.geometry.distance(c) < 1e-9  # the crossing point
    assert "Self-intersection" in problem.reason and "自相交" in problem.reason


def test_a_ring_drawn_in_the_wrong_order_is_invalid_and_checked_as_repaired(grid):
    i = 5
    points = ring(grid.units[i].geometry)[:-1]
    points[1], points[2] = points[2], points[1]
    units = grid.with_geometry(i, shapely.MultiPolygon([shapely.Polygon(points)]))
    problems = check_layout(units, grid.parent)
    assert problems[0].kind == "invalid"
    crossing = shapely.LineString([points[0], points[1]]).intersection(
        shapely.LineString([points[2], points[3]])
    )
    assert problems[0].geometry.distance(crossing) < 1e-9
    # what make_valid(structure) leaves uncovered is reported too, next to the same unit
    assert {p.kind for p in problems[1:]} == {"gap"}
    assert all(grid.units[i].code in p.codes for p in problems[1:])


def test_a_duplicate_code_names_both_areas(grid):
    units = list(grid.units)
    units[4] = Unit(units[3].code, units[4].name, units[4].geometry)
    problem = only(check_layout(units, grid.parent))
    assert (problem.kind, problem.codes) == ("duplicate_code", (units[3].code,))
    assert units[3].name in problem.reason and units[4].name in problem.reason
    assert len(shapely.get_parts(problem.geometry)) == 2


def test_a_child_sticking_out_of_its_parent_is_not_covered(grid):
    i, p, q = longest_outer_edge(grid)
    r = beside(p, q, 0.5, -5.0)  # 5 m outside
    units = grid.with_geometry(i, insert(grid.units[i].geometry, p, q, [r]))
    problem = only(check_layout(units, grid.parent))
    assert (problem.kind, problem.codes) == ("not_covered", (grid.units[i].code,))
    triangle = shapely.Polygon([p, r, q])
    assert shapely.symmetric_difference(problem.geometry, triangle).area < 1e-6 * triangle.area
    assert problem.area_m2 == pytest.approx(float(area_m2(triangle)), rel=1e-6)


def test_an_extra_vertex_on_the_parent_boundary_is_an_edge_mismatch_with_the_parent(grid):
    i, p, q = longest_outer_edge(grid)
    middle = ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)
    units = grid.with_geometry(i, insert(grid.units[i].geometry, p, q, [middle]))
    problem = only(check_layout(units, grid.parent))
    assert (problem.kind, problem.codes) == ("edge_mismatch", (grid.units[i].code,))
    assert "上级边界" in problem.reason and "parent" in problem.reason
    assert shapely.hausdorff_distance(problem.geometry, shapely.LineString([p, q])) < 1e-9


def test_areas_below_a_square_centimetre_are_not_overlaps(grid):
    i, _, p, q = longest_shared_edge(grid)
    r = beside(p, q, 0.5, -1e-7)  # a 0.1 µm bulge: 1e-5 m²
    problem = only(
        check_layout(grid.with_geometry(i, insert(grid.units[i].geometry, p, q, [r])), grid.parent)
    )
    assert problem.kind == "edge_mismatch"
    assert AREA_RESOLUTION_M2 == 1e-4


def test_non_polygons_and_empty_geometries(grid):
    line = Unit("1506210010100398", "线", shapely.LineString([(110.03, 40.40), (110.04, 40.41)]))
    empty = Unit("1506210010100399", "空", shapely.MultiPolygon())
    problems = check_layout([*grid.units, line, empty], grid.parent)
    assert [(p.kind, p.codes) for p in problems] == [
        ("wrong_type", (line.code,)),
        ("empty", (empty.code,)),
    ]
    assert problems[0].geometry == line.geometry
    assert problems[1].geometry is None


def test_problems_are_sorted_the_same_whatever_the_input_order(grid):
    i, _, p, q = longest_shared_edge(grid)
    units = grid.with_geometry(i, insert(grid.units[i].geometry, p, q, [beside(p, q, 0.5, -5.0)]))
    units[4] = Unit(units[3].code, units[4].name, units[4].geometry)
    units.append(Unit("1506210010100399", "空", shapely.Polygon()))
    problems = check_layout(units, grid.parent)
    assert [p.kind for p in problems] == ["empty", "duplicate_code", "overlap"]
    shuffled = list(units)
    random.Random(150621).shuffle(shuffled)
    assert check_layout(shuffled, grid.parent) == problems


def test_a_problem_is_an_rfc7946_feature(grid):
    i, _, p, q = longest_shared_edge(grid)
    r = beside(p, q, 0.5, -5.0)
    problem = only(
        check_layout(grid.with_geometry(i, insert(grid.units[i].geometry, p, q, [r])), grid.parent)
    )
    feature = json.loads(json.dumps(problem.to_feature(), ensure_ascii=False))
    assert feature["type"] == "Feature"
    assert feature["properties"] == {
        "kind": "overlap",
        "reason": problem.reason,
        "codes": list(problem.codes),
        "area_m2": problem.area_m2,
    }
    exterior = shapely.geometry.shape(feature["geometry"]).exterior
    assert exterior.is_ccw


def test_a_parent_that_is_not_a_valid_polygon_is_refused(grid):
    bow_tie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    with pytest.raises(InvalidInput, match="parent: is not a valid geometry: Self-intersection"):
        check_layout(grid.units, bow_tie)
    with pytest.raises(InvalidInput, match="parent: must be a non-empty"):
        check_layout(grid.units, shapely.Point(0, 0))


# --- repairs ------------------------------------------------------------------------------


def fixable(grid: Layout) -> dict[str, list[Unit]]:
    i, _, p, q = longest_shared_edge(grid)
    k, po, qo = longest_outer_edge(grid)
    a, b = grid.units[i].geometry, grid.units[k].geometry
    polygon = shapely.get_parts(grid.units[5].geometry)[0]
    c, d = polygon.representative_point(), 2e-5
    bow_tie = shapely.Polygon(
        [(c.x - d, c.y - d), (c.x + d, c.y + d), (c.x + d, c.y - d), (c.x - d, c.y + d)]
    )
    return {
        "extra vertex": grid.with_geometry(i, insert(a, p, q, [beside(p, q, 0.5, 0.0)])),
        "1 cm gap": grid.with_geometry(
            i, insert(a, p, q, [beside(p, q, 0.1, 0.01), beside(p, q, 0.9, 0.01)])
        ),
        "1 cm overlap": grid.with_geometry(i, insert(a, p, q, [beside(p, q, 0.5, -0.01)])),
        "moved vertex": grid.with_geometry(
            i,
            shapely.MultiPolygon(
                [shapely.Polygon([beside(p, q, 1.0, 0.002) if v == q else v for v in ring(a)])]
            ),
        ),
        "1 cm outside": grid.with_geometry(k, insert(b, po, qo, [beside(po, qo, 0.5, -0.01)])),
        "3 cm inside": grid.with_geometry(k, insert(b, po, qo, [beside(po, qo, 0.5, 0.03)])),
        "vertex on parent edge": grid.with_geometry(
            k, insert(b, po, qo, [beside(po, qo, 0.5, 0.0)])
        ),
        "bow tie": grid.with_geometry(5, shapely.MultiPolygon([polygon, bow_tie])),
    }


@pytest.mark.parametrize(
    "fault",
    [
        "extra vertex",
        "1 cm gap",
        "1 cm overlap",
        "moved vertex",
        "1 cm outside",
        "3 cm inside",
        "vertex on parent edge",
        "bow tie",
    ],
)
def test_repairs_fix_what_needs_no_judgement_and_the_gate_then_passes(grid, fault):
    units = fixable(grid)[fault]
    assert check_layout(units, grid.parent) != []
    repairs = suggest_repairs(units, grid.parent)
    assert repairs
    for repair in repairs:
        assert repair.action == ("make_valid" if fault == "bow tie" else "snap")
        assert repair.note
        assert repair.to_feature()["properties"]["code"] == repair.code
        if repair.action == "snap":  # edges moved by at most the 0.5 m tolerance
            assert shapely.hausdorff_distance(repair.before, repair.after) < 0.5 / 85_000
    assert check_layout(apply_repairs(units, repairs), grid.parent) == []


def test_repairs_leave_wide_faults_to_the_planner(grid):
    i, _, p, q = longest_shared_edge(grid)
    k, po, qo = longest_outer_edge(grid)
    host = grid.units[3].geometry.representative_point()
    square = shapely.box(host.x - 1e-4, host.y - 1e-4, host.x + 1e-4, host.y + 1e-4)
    duplicate = list(grid.units)
    duplicate[4] = Unit(duplicate[3].code, duplicate[4].name, duplicate[4].geometry)
    for units in (
        grid.with_geometry(i, insert(grid.units[i].geometry, p, q, [beside(p, q, 0.5, -5.0)])),
        grid.with_geometry(k, insert(grid.units[k].geometry, po, qo, [beside(po, qo, 0.5, -5.0)])),
        [*grid.units, Unit("1506210010100399", "新划", shapely.MultiPolygon([square]))],
        duplicate,
    ):
        assert suggest_repairs(units, grid.parent) == []


def test_an_outdated_repair_is_refused(grid):
    units = fixable(grid)["1 cm gap"]
    repairs = suggest_repairs(units, grid.parent)
    (code,) = {r.code for r in repairs}
    changed = [
        Unit(u.code, u.name, shapely.affinity.translate(u.geometry, 1e-6)) if u.code == code else u
        for u in units
    ]
    with pytest.raises(InvalidInput, match=f"repairs: the snap repair of {code} was suggested"):
        apply_repairs(changed, repairs)


def test_a_repaired_ring_drawn_in_the_wrong_order_is_valid_but_still_refused(grid):
    points = ring(grid.units[5].geometry)[:-1]
    points[1], points[2] = points[2], points[1]
    units = grid.with_geometry(5, shapely.MultiPolygon([shapely.Polygon(points)]))
    repairs = suggest_repairs(units, grid.parent)
    assert [r.action for r in repairs] == ["make_valid"]
    after = check_layout(apply_repairs(units, repairs), grid.parent)
    assert after and {p.kind for p in after} == {"gap"}  # the planner redraws the corner
    assert np.all([shapely.is_valid(u.geometry) for u in apply_repairs(units, repairs)])
