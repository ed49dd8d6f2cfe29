"""GET /api/v1/areas/export and ``wangge areas export``: files desktop GIS opens as they are.

Expected areas come from the committed sample files (``sample_areas``), not the database.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pyogrio
import pytest
import shapely
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli

LEVELS = ("township", "micro_grid")


@pytest.fixture(scope="module")
def dalad(client, auth, privacy_scan):
    """The session's app, signed in as Dalad's command centre, whose exports are Dalad's files
    (the admin's hold the second place, Haibowan, as well)."""
    signed_in = TestClient(client.app, raise_server_exceptions=False, headers=auth("command"))
    signed_in.event_hooks = {"request": [], "response": [privacy_scan.response]}
    return signed_in


def _download(client, level: str, fmt: str, tmp_path: Path) -> Path:
    response = client.get("/api/v1/areas/export", params={"level": level, "format": fmt})
    assert response.status_code == 200, response.text
    suffix = ".zip" if fmt == "shp" else f".{fmt}"
    name = f"wangge-{level}-g1{suffix}"
    assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
    path = tmp_path / name
    path.write_bytes(response.content)
    return path


def _same_areas(frame, expected) -> None:
    """Codes, names and parents exactly; outlines to well under a millimetre."""
    frame = frame.set_index("code").sort_index()
    expected = expected.set_index("code").sort_index()
    assert frame.index.tolist() == expected.index.tolist()
    assert frame["name"].tolist() == expected["name"].tolist()
    apart = shapely.symmetric_difference(frame.geometry.values, expected.geometry.values)
    assert shapely.area(apart).max() < 1e-12


@pytest.mark.parametrize("level", LEVELS)
def test_geopackage_reopens_with_every_area_in_cgcs2000(dalad, sample_areas, tmp_path, level):
    path = _download(dalad, level, "gpkg", tmp_path)
    info = pyogrio.read_info(path)
    assert info["layer_name"] == level and info["crs"] == "EPSG:4490"
    assert info["features"] == len(sample_areas[level]) and info["geometry_type"] == "MultiPolygon"
    assert list(info["fields"]) == ["code", "name", "level", "kind", "parent", "population"]
    frame = pyogrio.read_dataframe(path)
    assert shapely.is_valid(frame.geometry.values).all()
    _same_areas(frame, sample_areas[level])


@pytest.mark.parametrize("level", LEVELS)
def test_shapefile_zip_keeps_the_chinese_names(dalad, sample_areas, tmp_path, level):
    path = _download(dalad, level, "shp", tmp_path)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == sorted(
            f"{level}{suffix}" for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg")
        )
        assert archive.read(f"{level}.cpg").decode().strip() == "UTF-8"
    source = f"/vsizip/{path}/{level}.shp"
    info = pyogrio.read_info(source)
    assert info["crs"] == "EPSG:4490" and info["features"] == len(sample_areas[level])
    assert all(len(name) <= 10 for name in info["fields"])
    assert {"code", "name", "level", "parent"} <= set(info["fields"])
    frame = pyogrio.read_dataframe(source)
    assert shapely.is_valid(frame.geometry.values).all()
    _same_areas(frame, sample_areas[level])
    expected = sample_areas[level].set_index("code")["parent_code"]
    parents = frame.set_index("code")["parent"]
    assert parents.tolist() == expected.loc[parents.index].tolist()


def test_geojson_is_rfc_7946(dalad, sample_areas, tmp_path):
    path = _download(dalad, "township", "geojson", tmp_path)
    body = json.loads(path.read_text(encoding="utf-8"))
    assert body["type"] == "FeatureCollection" and "crs" not in body
    assert [f["id"] for f in body["features"]] == sorted(sample_areas["township"]["code"])
    for feature in body["features"]:
        assert feature["id"] == feature["properties"]["code"]
        for polygon in feature["geometry"]["coordinates"]:
            assert shapely.LinearRing(polygon[0]).is_ccw, feature["id"]
            assert not any(shapely.LinearRing(hole).is_ccw for hole in polygon[1:])
            for lon, lat in polygon[0]:
                assert 108 < lon < 111 and 39 < lat < 41
                assert round(lon, 7) == lon and round(lat, 7) == lat
    frame = pyogrio.read_dataframe(path)
    _same_areas(frame, sample_areas["township"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"level": "township", "format": "xlsx"}, "format"),
        ({"level": "county", "format": "gpkg"}, "level"),
        ({"format": "gpkg"}, "level"),
        ({"level": "township", "format": "gpkg", "generation": 99}, "generation"),
    ],
)
def test_bad_export_parameters_name_the_field(client, params, field):
    response = client.get("/api/v1/areas/export", params=params)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_an_area_code_is_still_an_area(client):
    assert client.get("/api/v1/areas/150621001").json()["id"] == "150621001"


def test_cli_writes_the_files_the_api_serves(client, database, tmp_path, monkeypatch):
    monkeypatch.setenv("WANGGE_DATABASE_URL", database.url)
    runner = CliRunner()
    for fmt in ("shp", "geojson", "gpkg"):
        served = _download(client, "village", fmt, tmp_path)
        written = tmp_path / f"cli-{served.name}"
        result = runner.invoke(
            cli, ["areas", "export", "--level", "village", "--format", fmt, str(written)]
        )
        assert result.exit_code == 0, result.output
        assert result.output.strip().splitlines()[-1] == (
            # everything: Dalad's 157 and Haibowan's 22 (the admin's export holds both)
            f"179 village areas of generation 1 written to {written}"
        )
        if fmt == "gpkg":  # a GeoPackage records when it was written: compare the contents
            a, b = (pyogrio.read_dataframe(p) for p in (served, written))
            assert a.equals(b) and a.crs == b.crs
        else:
            assert written.read_bytes() == served.read_bytes()
    with zipfile.ZipFile(io.BytesIO((tmp_path / "cli-wangge-village-g1.zip").read_bytes())) as z:
        assert z.read("village.cpg") == b"UTF-8"
