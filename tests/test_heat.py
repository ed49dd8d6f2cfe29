"""GET /api/v1/heat/areas, /heat/bins and /heat/hotspots against independent computations.

Expected counts come from ``sample_data/incidents.csv`` placed with shapely on the sample's
micro-grid file, not from the database. The window 2023-2024 holds only the sample history
(tests that commit incidents use the present or a scratch year).
"""

from __future__ import annotations

from collections import Counter

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import pytest
import shapely
from esda.getisord import G_Local
from esda.significance import calculate_significance
from fastapi.testclient import TestClient
from libpysal.graph import Graph
from sqlalchemy import text

from api.schemas import HeatAreas, HeatBins, Hotspots
from geo import hotspots
from geo.datum import to_storage
from geo.scope import Scope

from .conftest import SAMPLE

WINDOW = {"from": "2023-01-01T00:00:00+08:00", "to": "2025-01-01T00:00:00+08:00"}
#: Hot spots (any confidence) of the disputes of 2023-2024, and those without one of their own.
HOT_SPOTS, HOT_WITHOUT_DISPUTES = 427, 190
#: The sample's five dispute villages (sample_data/README.md, "Dispute hotspots").
DISPUTE_VILLAGES = ["150621001015", "150621001033", "150621002003", "150621004007", "150621008004"]


@pytest.fixture(scope="module")
def client(client, auth, privacy_scan):
    """The session's app, signed in as Dalad's command centre: the expected figures are Dalad's
    (the admin sees the second place, Haibowan, and its incidents as well)."""
    dalad = TestClient(client.app, raise_server_exceptions=False, headers=auth("command"))
    dalad.event_hooks = {"request": [], "response": [privacy_scan.response]}
    return dalad


@pytest.fixture(scope="session")
def gi_warm() -> None:
    """numba compiles esda's kernels once per session (the app also warms in the background)."""
    hotspots.warm_up()


@pytest.fixture(scope="session")
def sample_points(sample_areas) -> gpd.GeoDataFrame:
    """The CSV's incidents in CGCS2000 with the micro-grid each falls in (lowest code on edges)."""
    frame = pd.read_csv(SAMPLE / "incidents.csv", dtype={"category": str})
    lon = np.empty(len(frame))
    lat = np.empty(len(frame))
    for datum, rows in frame.groupby("datum").groups.items():
        x, y = to_storage(
            frame.loc[rows, "lon"].to_numpy(), frame.loc[rows, "lat"].to_numpy(), datum
        )
        lon[frame.index.get_indexer(rows)] = x
        lat[frame.index.get_indexer(rows)] = y
    points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=4490)
    micro = sample_areas["micro_grid"]
    hit_point, hit_area = micro.sindex.query(points.geometry, predicate="intersects")
    codes = pd.Series(micro["code"].to_numpy()[hit_area], index=hit_point).groupby(level=0).min()
    points["micro_grid"] = codes.reindex(range(len(points))).to_numpy()
    return points


def _disputes(points: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    reported = pd.to_datetime(points["reported_at"], format="ISO8601", utc=True)
    inside = (reported >= pd.Timestamp(WINDOW["from"])) & (reported < pd.Timestamp(WINDOW["to"]))
    return points[points["category"].str.startswith("01") & inside]


def _props(body: dict) -> dict[str, dict]:
    return {f["id"]: f["properties"] for f in body["features"]}


@pytest.fixture(scope="module")
def areas_body(client) -> dict:
    response = client.get("/api/v1/heat/areas", params={**WINDOW, "category": "01"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    return response.json()


@pytest.fixture(scope="module")
def hotspots_body(client, gi_warm) -> dict:
    response = client.get("/api/v1/heat/hotspots", params={**WINDOW, "simplify": 30})
    assert response.status_code == 200, response.text
    return response.json()


def test_counts_per_micro_grid_equal_shapely_placement(areas_body, sample_points, sample_areas):
    HeatAreas.model_validate(areas_body)
    disputes = _disputes(sample_points)
    assert len(disputes) == 1798 and disputes["micro_grid"].notna().all()
    expected = Counter(disputes["micro_grid"])
    served = _props(areas_body)
    assert sorted(served) == sorted(sample_areas["micro_grid"]["code"])
    assert {code: p["count"] for code, p in served.items() if p["count"]} == dict(expected)
    assert areas_body["total"] == 1798


def test_rates_are_per_thousand_residents(areas_body, sample_areas):
    population = sample_areas["micro_grid"].set_index("code")["population"]
    for code, props in _props(areas_body).items():
        assert props["population"] == population[code]
        assert props["rate"] == props["count"] * 1000 / population[code]


def test_breaks_are_fisher_jenks_of_the_positive_counts(areas_body):
    counts = np.array([p["count"] for p in _props(areas_body).values()], dtype=float)
    rates = np.array([p["rate"] for p in _props(areas_body).values()])
    assert areas_body["breaks"] == list(mapclassify.FisherJenks(counts[counts > 0], k=5).bins)
    assert areas_body["breaks"] == [1, 3, 5, 8, 13]
    assert areas_body["rate_breaks"] == list(mapclassify.FisherJenks(rates[rates > 0], k=5).bins)
    assert areas_body["classification"]["method"].startswith("Fisher-Jenks")


def test_geometry_is_rfc7946_and_simplified_on_request(client):
    params = {**WINDOW, "simplify": 50}
    body = client.get("/api/v1/heat/areas", params=params).json()
    exact = client.get("/api/v1/heat/areas", params=WINDOW).json()
    assert "crs" not in body
    for feature in body["features"][:200]:
        shape = shapely.geometry.shape(feature["geometry"])
        assert shape.is_valid and all(p.exterior.is_ccw for p in shapely.get_parts(shape))
    vertices = sum(
        shapely.get_num_coordinates(shapely.geometry.shape(f["geometry"])) for f in body["features"]
    )
    exact_vertices = sum(
        shapely.get_num_coordinates(shapely.geometry.shape(f["geometry"]))
        for f in exact["features"]
    )
    assert vertices < exact_vertices


def test_hexagon_bins_add_up_and_hold_their_points(client, sample_points):
    response = client.get("/api/v1/heat/bins", params={**WINDOW, "size": 2000})
    assert response.status_code == 200, response.text
    body = response.json()
    HeatBins.model_validate(body)
    counts = [f["properties"]["count"] for f in body["features"]]
    assert sum(counts) == body["total"] == 1798 and min(counts) >= 1
    hexagons = gpd.GeoSeries(
        [shapely.geometry.shape(f["geometry"]) for f in body["features"]], crs=4490
    )
    assert all(len(h.exterior.coords) == 7 and h.exterior.is_ccw for h in hexagons)
    # a hexagon of edge 2 km covers 3√3/2 · 2² ≈ 10.39 km²
    areas_km2 = hexagons.to_crs(4508).area / 1e6
    assert np.allclose(areas_km2, 3 * np.sqrt(3) / 2 * 4, rtol=1e-3)
    points = _disputes(sample_points).geometry
    hit_point, hit_bin = hexagons.sindex.query(points, predicate="intersects")
    assert len(set(hit_point)) == len(points)
    if len(hit_point) == len(points):  # no point on a hexagon edge: counts must match bin by bin
        assert np.bincount(hit_bin, minlength=len(counts)).tolist() == counts


def test_bins_only_where_incidents_are(client):
    body = client.get(
        "/api/v1/heat/bins", params={"from": "2010-01-01T00:00:00Z", "to": "2011-01-01T00:00:00Z"}
    ).json()
    assert body["features"] == [] and body["total"] == 0 and body["breaks"] == []


def test_gi_star_equals_a_direct_esda_call(hotspots_body, areas_body, sample_areas, engine):
    Hotspots.model_validate(hotspots_body)
    served = _props(hotspots_body)
    codes = sorted(served)
    y = np.array([served[c]["count"] for c in codes], dtype=np.float64)
    assert dict(zip(codes, y, strict=True)) == {
        c: p["count"] for c, p in _props(areas_body).items()
    }
    micro = sample_areas["micro_grid"].set_index("code").loc[codes]
    weights = Graph.build_contiguity(micro.geometry, rook=False)
    with engine.connect() as conn:
        dalad = Scope(area_prefix="150621")  # the command centre's, as the body was read
        assert hotspots.contiguity(conn, 1, codes, scope=dalad).graph == weights
    gi = G_Local(
        y,
        weights,
        transform="B",
        star=True,
        permutations=999,
        seed=150621,
        n_jobs=1,
        keep_simulations=True,
    )
    z = np.array([served[c]["gi_z"] for c in codes])
    p = np.array([served[c]["p_sim"] for c in codes])
    assert np.array_equal(z, gi.Zs)
    greater = calculate_significance(gi.Gs, gi.rGs, alternative="greater")
    lesser = calculate_significance(gi.Gs, gi.rGs, alternative="lesser")
    assert np.array_equal(p, np.where(gi.Zs > 0, greater, lesser))
    hot = np.array([served[c]["class"].startswith("hot") for c in codes])
    # where a micro-grid is hot, this is esda's own p_sim (which esda keeps as float32)
    assert hot.any() and np.array_equal(p[hot].astype(np.float32), gi.p_sim[hot])


def test_neighbour_counts_are_the_cases_of_the_queen_neighbours(hotspots_body, sample_areas):
    served = _props(hotspots_body)
    micro = sample_areas["micro_grid"]
    codes = micro["code"].to_numpy()
    own, other = micro.sindex.query(micro.geometry, predicate="intersects")  # an edge or a corner
    expected = dict.fromkeys(served, 0)
    for i, j in zip(own, other, strict=True):
        if i != j:
            expected[codes[i]] += served[codes[j]]["count"]
    assert {code: p["neighbour_count"] for code, p in served.items()} == expected
    # a hot spot is a micro-grid in a high-value neighbourhood: many have no dispute of their own
    hot = [p for p in served.values() if p["class"].startswith("hot")]
    assert (len(hot), sum(p["count"] == 0 for p in hot)) == (HOT_SPOTS, HOT_WITHOUT_DISPUTES)
    assert all(p["neighbour_count"] > 0 for p in hot if p["count"] == 0)


def test_classes_follow_z_and_p(hotspots_body):
    levels = {"99": 0.01, "95": 0.05, "90": 0.10}
    for props in _props(hotspots_body).values():
        kind, _, level = props["class"].partition("_")
        if kind == "hot":
            assert props["gi_z"] > 0 and props["p_sim"] <= levels[level]
            assert props["label"] == f"热点 {level}%置信"
        elif kind == "cold":
            assert props["gi_z"] < 0 and props["p_sim"] <= levels[level]
            assert props["label"] == f"冷点 {level}%置信"
        else:
            assert props["label"] == "不显著"
    tally = Counter(p["label"] for p in _props(hotspots_body).values())
    assert hotspots_body["classes"] == {
        label: tally.get(label, 0) for label in hotspots_body["classes"]
    }
    assert hotspots_body["method"]["permutations"] == 999


def test_the_five_dispute_villages_are_99_percent_hotspots(hotspots_body):
    hot99 = {code for code, p in _props(hotspots_body).items() if p["class"] == "hot_99"}
    for village in DISPUTE_VILLAGES:
        assert any(code.startswith(village) for code in hot99), village
    in_villages = sum(code[:12] in DISPUTE_VILLAGES for code in hot99)
    assert in_villages > len(hot99) / 2


def test_gi_star_is_reproducible(client, hotspots_body):
    again = client.get("/api/v1/heat/hotspots", params={**WINDOW, "simplify": 30}).json()
    assert again == hotspots_body


def test_no_incidents_means_nothing_significant(client, gi_warm):
    params = {"from": "2010-01-01T00:00:00Z", "to": "2011-01-01T00:00:00Z"}
    body = client.get("/api/v1/heat/hotspots", params={**params, "simplify": 500}).json()
    assert body["total"] == 0
    assert body["classes"]["不显著"] == len(body["features"]) == 6300
    assert all(f["properties"]["gi_z"] is None for f in body["features"])
    areas = client.get("/api/v1/heat/areas", params={**params, "simplify": 500}).json()
    assert areas["total"] == 0 and areas["breaks"] == []


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("areas", {"category": "1"}, "category"),
        ("areas", {"category": "09"}, "category"),
        ("areas", {"category": "01x"}, "category"),
        ("areas", {"from": "2024-01-01T00:00:00"}, "from"),
        ("areas", {"to": "2024-13-01T00:00:00Z"}, "to"),
        ("areas", {"from": "2024-02-01T00:00:00Z", "to": "2024-01-01T00:00:00Z"}, "from"),
        ("areas", {"status": "closed,finished"}, "status"),
        ("areas", {"simplify": "-1"}, "simplify"),
        ("areas", {"generation": "999"}, "generation"),
        ("hotspots", {"status": "bogus"}, "status"),
        ("hotspots", {"simplify": "20000"}, "simplify"),
        ("bins", {"size": "10"}, "size"),
        ("bins", {"size": "50000"}, "size"),
        ("bins", {"size": "big"}, "size"),
        ("bins", {"category": "0"}, "category"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(client, path, params, field):
    response = client.get(f"/api/v1/heat/{path}", params=params)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_status_filter_counts_only_those_statuses(client, engine):
    params = {**WINDOW, "category": "01", "status": "in_progress,hung", "simplify": 500}
    body = client.get("/api/v1/heat/areas", params=params).json()
    with engine.connect() as conn:
        expected = conn.execute(
            text(
                "SELECT count(*) FROM incident WHERE category_code LIKE '01%' "
                "AND status IN ('in_progress', 'hung') "
                "AND reported_at >= :f AND reported_at < :t"
            ),
            {"f": WINDOW["from"], "t": WINDOW["to"]},
        ).scalar_one()
    assert body["total"] == expected > 0
    assert body["filter"]["status"] == ["in_progress", "hung"]
