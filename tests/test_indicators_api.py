"""The indicators API (issue #15) on the sample: shapes the dashboard relies on, bad input,
scopes and k. The figures themselves are checked in tests/test_indicators.py."""

from __future__ import annotations

import pytest

from api.indicator_schemas import CategoryCount, IndicatorName, Indicators, Trend
from cases.indicators.registry import INDICATORS
from tests.helpers import counts

URL = "/api/v1/indicators"


def test_the_names_with_labels_and_formulas(client) -> None:
    body = client.get(f"{URL}/names").json()
    names = [IndicatorName.model_validate(n) for n in body]
    assert [n.name for n in names] == list(INDICATORS)
    by_name = {n.name: n for n in names}
    assert (by_name["satisfaction_rate"].label, by_name["satisfaction_rate"].unit) == (
        "满意率",
        "rate",
    )
    assert by_name["reported"].unit == "count"
    assert by_name["on_time_handling_rate"].formula == "按期处置数 ÷ 应处置数"


#: Dalad's figures: read as its command centre (the admin's hold Haibowan's history too).
def test_the_figures_of_a_year(client, auth) -> None:
    answer = client.get(
        URL,
        params={"period": "2024", "names": "reported,satisfaction_rate"},
        headers=auth("command"),
    )
    body = Indicators.model_validate(answer.json())
    assert body.period.model_dump() == {
        "start": "2024-01-01",
        "end": "2024-12-31",
        "label": "2024年",
    }
    assert body.area is None and body.department is None
    reported, satisfaction = body.indicators
    assert reported.value == reported.numerator == 3021 and reported.denominator is None
    assert (satisfaction.numerator, satisfaction.denominator) == (1631, 1673)
    assert satisfaction.value == 1631 / 1673


def test_an_area_and_a_department(client) -> None:
    body = client.get(
        URL,
        params={"period": "2024-Q3", "area": "150621001", "department": "D02", "names": "filed"},
    ).json()
    assert body["area"] == {"code": "150621001", "name": "树林召镇"}
    assert body["department"] == {"code": "D02", "name": "达拉特旗司法局"}
    assert body["indicators"][0]["numerator"] > 0


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"period": "2024-09-30/2024-09-01"}, 422, "period"),
        ({"period": "2024-13"}, 422, "period"),
        ({"period": "last week"}, 422, "period"),
        ({"names": "satisfaction_rate,happiness"}, 422, "names"),
        ({"area": "15062x"}, 422, "area"),
        ({"area": "150621999"}, 404, None),
        ({"department": "D99"}, 404, None),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field(client, engine, params, status, field) -> None:
    before = counts(engine)
    answer = client.get(URL, params=params)
    assert answer.status_code == status, answer.text
    if field:
        assert [e["field"] for e in answer.json()["errors"]] == [field]
    if "happiness" in params.get("names", ""):
        assert (
            "satisfaction_rate" in answer.json()["detail"]
            and "in_grid_rate" in answer.json()["detail"]
        )
    assert counts(engine) == before


def test_a_township_sees_its_own_area_only(client, auth) -> None:
    own = client.get(URL, params={"period": "2024", "names": "reported"}, headers=auth("township"))
    asked = client.get(URL, params={"period": "2024", "names": "reported", "area": "150621001"})
    assert own.json()["indicators"] == asked.json()["indicators"]
    other = client.get(
        URL, params={"period": "2024", "area": "150621002"}, headers=auth("township")
    )
    assert other.status_code == 404
    cases = client.get(
        f"{URL}/cases", params={"name": "reported", "period": "2024-03", "limit": 500},
        headers=auth("township"),
    )  # fmt: skip
    assert cases.status_code == 200 and cases.json()["items"]
    assert all(
        i["assignment"]["queue_area"]["code"].startswith("150621001") for i in cases.json()["items"]
    )


def test_small_counts_are_hidden_from_a_role_without_the_cases(client, auth) -> None:
    """The planner reads aggregates but not the cases: a village's count of 1 or 2 is hidden
    from it, on the map and in the figures; the command centre sees it."""
    params = {"name": "reported", "period": "2024-03", "level": "village", "within": "150621001"}
    clear = client.get(f"{URL}/by-area", params=params, headers=auth("command")).json()
    masked = client.get(f"{URL}/by-area", params=params, headers=auth("planner")).json()
    small = {
        f["properties"]["code"] for f in clear["features"] if 0 < f["properties"]["numerator"] < 3
    }
    assert small, "the sample has villages with one or two reports in a month"
    for feature in masked["features"]:
        properties = feature["properties"]
        assert properties["suppressed"] is (properties["code"] in small)
        if properties["suppressed"]:
            assert properties["numerator"] is properties["value"] is None
    village = sorted(small)[0]
    one = {"period": "2024-03", "names": "reported", "area": village}
    hidden = client.get(URL, params=one, headers=auth("planner")).json()["indicators"][0]
    seen = client.get(URL, params=one, headers=auth("command")).json()["indicators"][0]
    assert (hidden["suppressed"], hidden["value"]) == (True, None)
    assert seen["suppressed"] is False and 0 < seen["value"] < 3


def test_the_cases_behind_a_figure(client) -> None:
    figure = client.get(URL, params={"period": "2024-11", "names": "overdue_open"}).json()
    n = figure["indicators"][0]["numerator"]
    page = client.get(f"{URL}/cases", params={"name": "overdue_open", "period": "2024-11"})
    assert page.status_code == 200 and len(page.json()["items"]) == n
    assert {"code", "status", "category", "location"} <= set(page.json()["items"][0])
    count = client.get(f"{URL}/cases", params={"name": "reported", "part": "denominator"})
    assert count.status_code == 422 and count.json()["errors"][0]["field"] == "part"


def test_a_map_by_township(client) -> None:
    answer = client.get(
        f"{URL}/by-area",
        # Dalad's townships (the admin's map holds Haibowan's five too)
        params={
            "name": "satisfaction_rate", "period": "2024", "level": "township", "within": "150621"
        },
    )  # fmt: skip
    assert answer.headers["content-type"].startswith("application/geo+json")
    body = answer.json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 8
    first = body["features"][0]
    assert first["geometry"]["type"] in ("Polygon", "MultiPolygon")
    ring = first["geometry"]["coordinates"]
    while isinstance(ring[0][0], list):
        ring = ring[0]
    lon, lat = ring[0][:2]
    assert 109 < lon < 111 and 39 < lat < 41
    assert set(first["properties"]) == {
        "code", "name", "numerator", "denominator", "value", "insufficient", "suppressed"
    }  # fmt: skip
    total = sum(f["properties"]["denominator"] for f in body["features"])
    assert total == 1673
    villages = client.get(
        f"{URL}/by-area",
        params={"name": "reported", "period": "2024", "level": "village", "within": "150621001"},
    ).json()
    assert villages["features"] and all(
        f["properties"]["code"].startswith("150621001") for f in villages["features"]
    )


def test_a_trend_against_last_year(client, auth) -> None:
    dalad = auth("command")
    body = Trend.model_validate(
        client.get(f"{URL}/trend", params={"name": "reported", "year": 2024}, headers=dalad).json()
    )
    assert body.months[0] == "2024-01" and len(body.this_year) == len(body.last_year) == 12
    march = client.get(URL, params={"period": "2023-03", "names": "reported"}, headers=dalad).json()
    assert body.last_year[2] == march["indicators"][0]["value"]
    assert sum(v or 0 for v in body.this_year) == 3021


def test_the_most_frequent_categories(client, auth) -> None:
    params = {"period": "2024", "top": 3}
    body = [
        CategoryCount.model_validate(c)
        for c in client.get(f"{URL}/categories", params=params, headers=auth("command")).json()
    ]
    assert [c.name for c in body] == ["矛盾纠纷", "民生诉求", "环境卫生"]
    assert body[0].count >= body[1].count >= body[2].count
