"""The command page as HTML (``command_page(...)`` rendered): its layers, its config and the
status families, before any browser runs it (tests/test_browser_command.py does that)."""

from __future__ import annotations

import json
import re

from cases.models import IncidentStatus
from geo.settings import Settings
from maps.command import command_page
from maps.pages import STATUS_FAMILIES, Viewer, status_config


def _config(html: str) -> dict:
    found = re.search(r"wanggeCommand\((map_\w+), (\{.*\})\);", html)
    assert found, "the page calls wanggeCommand(map, config)"
    return json.loads(found.group(2))


def test_command_page_layers_and_config(conn):
    html = command_page(conn, Settings(), Viewer("旗指挥中心值班员", "指挥中心"))
    config = _config(html)
    # the area outlines from one combined tile; counts and clusters, all added by the script
    assert html.count("L.vectorGrid.protobuf(") == 2
    # no tile template in the page: the script reads each layer's TileJSON
    assert ".pbf" not in html and "minZoom" not in html
    assert [spec["tilejson"] for spec in config["areaTiles"]] == ["/tiles/areas.json"]
    assert config["counts"]["tilejson"] == "/tiles/incidents.json"
    assert config["coverageTileJSON"] == "/tiles/coverage.json"
    assert [list(spec["styles"]) for spec in config["areaTiles"]] == [
        ["township", "village", "grid", "micro_grid"]
    ]
    assert config["areaTiles"][0]["styles"]["township"] == []  # the GeoJSON layer draws them
    assert "L.markerClusterGroup(" in html and config["cluster"] in html
    assert '"disableClusteringAtZoom": 16' in html
    assert "/static/vendor/markercluster/leaflet.markercluster.js" in html
    for asset in ("command.js", "command-live.js", "command.css"):
        assert f"/static/wangge/{asset}" in html
    assert html.count("L.control.scale({imperial: false})") == 1  # the shared metric one
    assert config["markerZoom"] == 12 and config["pageSize"] == 500
    assert config["markersFirst"] is True


def test_the_page_as_it_was_for_the_timing_comparison(conn):
    html = command_page(
        conn, Settings(), Viewer("值班员", "指挥中心"), combined_tiles=False, markers_first=False
    )
    config = _config(html)
    assert "/tiles/areas" not in html
    assert [spec["tilejson"] for spec in config["areaTiles"]] == [
        "/tiles/village.json",
        "/tiles/grid.json",
        "/tiles/micro_grid.json",
    ]
    assert [list(spec["styles"]) for spec in config["areaTiles"]] == [
        ["village"],
        ["grid"],
        ["micro_grid"],
    ]
    assert config["markersFirst"] is False


def test_thirteen_statuses_in_five_families():
    families = status_config()["families"]
    assert [f["label"] for f in families] == [
        "新上报",
        "已派遣/部门处理",
        "处置中",
        "待核查",
        "已办结",
    ]
    members = [s for f in families for s in f["statuses"]]
    assert sorted(members) == sorted(s.value for s in IncidentStatus)  # each exactly once
    assert len({f["colour"] for f in families}) == len(STATUS_FAMILIES) == 5
    colours = status_config()["colours"]
    assert colours["in_progress"] == colours["rework"] != colours["handled"]
    assert status_config()["open"] == [s.value for s in IncidentStatus if s.is_open]
