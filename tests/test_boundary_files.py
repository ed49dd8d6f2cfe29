"""Reading uploaded boundary files: formats, Chinese names in UTF-8 and GBK, CRSs, refusals.

Fixtures are the 14 micro-grids of one sample grid, written with pyogrio into ``tmp_path``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from pyproj import Transformer

from geo.errors import InvalidFile, InvalidInput
from geo.files.boundaries import read_boundary_file
from geo.topology import apply_repairs, check_layout, suggest_repairs
from geo.topology.coverage import same_vertices

GRID = "15062100101003"
SHAPEFILE_PARTS = ("shp", "shx", "dbf", "prj", "cpg")


@pytest.fixture(scope="module")
def micro(sample_areas) -> gpd.GeoDataFrame:
    frame = sample_areas["micro_grid"]
    frame = frame[frame.parent_code == GRID][["code", "name", "geometry"]].reset_index(drop=True)
    # names a GBK round trip must keep: a rare character, a middle dot and a Mongolian name
    frame.loc[0, "name"] = "乌兰·额尔敦嘎查丨第1微网格"
    return frame.set_crs("EPSG:4490", allow_override=True)


@pytest.fixture(scope="module")
def parent(sample_areas):
    grids = sample_areas["grid"]
    return grids[grids.code == GRID].geometry.iloc[0]


def shapefile_zip(
    frame: gpd.GeoDataFrame, folder: Path, *, encoding: str, parts=SHAPEFILE_PARTS, name="grid"
) -> Path:
    """``frame`` as a Shapefile in ``encoding``, zipped with the given parts (in a folder)."""
    folder.mkdir(exist_ok=True)
    pyogrio.write_dataframe(frame, folder / f"{name}.shp", encoding=encoding)
    archive = folder / f"{name}.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for ext in parts:
            if (folder / f"{name}.{ext}").exists():
                z.write(folder / f"{name}.{ext}", f"边界/{name}.{ext}")
    return archive


def assert_same_layout(read, frame: gpd.GeoDataFrame) -> None:
    assert [u.code for u in read.units] == list(frame.code)
    assert [u.name for u in read.units] == list(frame.name)  # exactly, character for character
    for unit, geometry in zip(read.units, frame.geometry, strict=True):
        assert same_vertices(unit.geometry, geometry)  # a Shapefile has no 1-part MultiPolygon


# --- round trips --------------------------------------------------------------------------


def test_geojson_round_trip(micro, parent, tmp_path):
    path = tmp_path / "grid.geojson"
    pyogrio.write_dataframe(micro, path, driver="GeoJSON")
    read = read_boundary_file(path)
    assert (read.format, read.transformed, read.encoding) == ("geojson", False, None)
    assert (read.code_column, read.name_column, read.columns) == ("code", "name", ("code", "name"))
    assert_same_layout(read, micro)
    assert check_layout(read.units, parent) == []


def test_geopackage_round_trip(micro, parent, tmp_path):
    path = tmp_path / "grid.gpkg"
    pyogrio.write_dataframe(micro, path, layer="微网格")
    read = read_boundary_file(path)
    assert (read.format, read.layer, read.crs, read.transformed) == (
        "gpkg",
        "微网格",
        "EPSG:4490",
        False,
    )
    assert_same_layout(read, micro)
    assert check_layout(read.units, parent) == []


def test_zipped_shapefile_in_utf8_with_cpg(micro, parent, tmp_path):
    read = read_boundary_file(shapefile_zip(micro, tmp_path / "utf8", encoding="UTF-8"))
    assert (read.format, read.layer, read.encoding) == ("shapefile", "grid", "UTF-8")
    assert_same_layout(read, micro)
    assert check_layout(read.units, parent) == []


def test_zipped_shapefile_in_gbk_without_cpg_needs_and_honours_the_encoding(micro, tmp_path):
    archive = shapefile_zip(
        micro, tmp_path / "gbk", encoding="GBK", parts=("shp", "shx", "dbf", "prj")
    )
    assert "乌兰·额尔敦嘎查丨第1微网格".encode("gbk")  # every name has a GBK form
    read = read_boundary_file(archive, encoding="GBK")
    assert read.encoding == "GBK"
    assert_same_layout(read, micro)
    assert read_boundary_file(archive, encoding="cp936").encoding == "GBK"


def test_a_shapefile_without_cpg_and_no_encoding_is_refused(micro, tmp_path):
    archive = shapefile_zip(
        micro, tmp_path / "gbk", encoding="GBK", parts=("shp", "shx", "dbf", "prj")
    )
    with pytest.raises(InvalidFile) as caught:
        read_boundary_file(archive)
    assert caught.value.field == "encoding"
    assert "grid.shp has no .cpg" in caught.value.problem
    assert "encoding='GBK'" in caught.value.problem and "encoding='UTF-8'" in caught.value.problem


def test_gbk_read_as_utf8_is_refused_not_garbled(micro, tmp_path):
    archive = shapefile_zip(
        micro, tmp_path / "gbk", encoding="GBK", parts=("shp", "shx", "dbf", "prj")
    )
    with pytest.raises(InvalidFile) as caught:
        read_boundary_file(archive, encoding="UTF-8")
    assert caught.value.field == "encoding"
    assert "not UTF-8" in caught.value.problem and "encoding='GBK'" in caught.value.problem


def test_utf8_read_as_gbk_is_refused_not_garbled(micro, tmp_path):
    archive = shapefile_zip(micro, tmp_path / "utf8", encoding="UTF-8")
    with pytest.raises(InvalidFile, match="encoding: some text could not be converted from GBK"):
        read_boundary_file(archive, encoding="GBK")


@pytest.mark.parametrize("codec", ["latin-1", "cp1252"])
def test_text_read_with_a_western_codepage_is_refused_as_mojibake(micro, tmp_path, codec):
    archive = shapefile_zip(
        micro, tmp_path / "gbk", encoding="GBK", parts=("shp", "shx", "dbf", "prj")
    )
    with pytest.raises(InvalidFile) as caught:
        read_boundary_file(archive, encoding=codec)
    assert caught.value.field == "encoding"
    assert "looks like text in another encoding" in caught.value.problem


def test_a_wrong_cpg_can_be_overridden(micro, tmp_path):
    folder = tmp_path / "wrong"
    archive = shapefile_zip(micro, folder, encoding="GBK")
    (folder / "grid.cpg").write_text("UTF-8")  # but the .dbf is GBK
    archive = tmp_path / "wrong.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for ext in SHAPEFILE_PARTS:
            z.write(folder / f"grid.{ext}", f"grid.{ext}")
    with pytest.raises(InvalidFile, match="encoding: the text is not UTF-8"):
        read_boundary_file(archive)
    assert_same_layout(read_boundary_file(archive, encoding="GBK"), micro)


# --- coordinate systems -------------------------------------------------------------------


def test_web_mercator_is_transformed_to_cgcs2000(micro, parent, tmp_path):
    to_mercator = Transformer.from_crs("EPSG:4490", "EPSG:3857", always_xy=True)
    mercator = micro.copy()
    mercator["geometry"] = shapely.transform(
        np.asarray(micro.geometry.values), to_mercator.transform, interleaved=False
    )
    mercator = mercator.set_crs("EPSG:3857", allow_override=True)
    path = tmp_path / "mercator.gpkg"
    pyogrio.write_dataframe(mercator, path)
    read = read_boundary_file(path)
    assert (read.crs, read.transformed) == ("EPSG:3857", True)
    for unit, geometry in zip(read.units, micro.geometry, strict=True):
        back = shapely.get_coordinates(unit.geometry)
        assert np.abs(back - shapely.get_coordinates(geometry)).max() < 1e-9  # ~0.1 mm
    # shared edges stay identical on both sides (each vertex is transformed the same way) ...
    assert check_layout(read.units, None) == []
    # ... but no longer carry the stored parent's exact vertices: sub-millimetre mismatches
    # that the snap repair removes
    problems = check_layout(read.units, parent)
    assert {(p.kind, len(p.codes)) for p in problems} == {("edge_mismatch", 1)}
    repaired = apply_repairs(read.units, suggest_repairs(read.units, parent))
    assert check_layout(repaired, parent) == []


def test_wgs84_is_taken_as_it_is(micro, tmp_path):
    path = tmp_path / "wgs84.gpkg"
    pyogrio.write_dataframe(micro.set_crs("EPSG:4326", allow_override=True), path)
    read = read_boundary_file(path)
    assert (read.crs, read.transformed) == ("EPSG:4326", False)
    assert_same_layout(read, micro)


def test_a_shapefile_without_prj_is_refused(micro, tmp_path):
    archive = shapefile_zip(
        micro, tmp_path / "noprj", encoding="UTF-8", parts=("shp", "shx", "dbf", "cpg")
    )
    with pytest.raises(InvalidFile, match=r"file: the Shapefile grid.shp has no \.prj"):
        read_boundary_file(archive)


def test_a_geopackage_without_crs_is_refused(micro, tmp_path):
    path = tmp_path / "nocrs.gpkg"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        pyogrio.write_dataframe(micro.set_crs(None, allow_override=True), path)
    with pytest.raises(InvalidFile, match="file: layer nocrs declares no coordinate system"):
        read_boundary_file(path)


def test_projected_coordinates_declared_as_lon_lat_are_refused(micro, tmp_path):
    to_mercator = Transformer.from_crs("EPSG:4490", "EPSG:3857", always_xy=True)
    wrong = micro.copy()
    wrong["geometry"] = shapely.transform(
        np.asarray(micro.geometry.values), to_mercator.transform, interleaved=False
    )
    path = tmp_path / "wrong.gpkg"
    pyogrio.write_dataframe(wrong, path)  # metres, but labelled EPSG:4490
    with pytest.raises(InvalidFile, match=r"outside longitude/latitude ranges .* \(EPSG:4490\)"):
        read_boundary_file(path)


# --- columns, layers and files ------------------------------------------------------------


def test_code_and_name_columns_are_configurable_and_numbers_become_codes(micro, tmp_path):
    renamed = micro.rename(columns={"code": "BM", "name": "MC"})
    renamed["BM"] = renamed["BM"].astype("int64")
    path = tmp_path / "renamed.gpkg"
    pyogrio.write_dataframe(renamed, path)
    read = read_boundary_file(path, code_column="bm", name_column="mc")
    assert (read.code_column, read.name_column) == ("BM", "MC")
    assert_same_layout(read, micro)
    assert read_boundary_file(path, code_column="BM", name_column=None).units[0].name == ""


def test_a_missing_column_names_the_columns_there_are(micro, tmp_path):
    path = tmp_path / "grid.gpkg"
    pyogrio.write_dataframe(micro, path)
    with pytest.raises(
        InvalidFile, match="code_column: layer grid has no column 'BM'; its columns are: code, name"
    ):
        read_boundary_file(path, code_column="BM")
    with pytest.raises(InvalidFile, match="name_column: layer grid has no column 'MC'"):
        read_boundary_file(path, name_column="MC")


def test_a_feature_without_a_code_is_refused(micro, tmp_path):
    broken = micro.copy()
    broken.loc[2, "code"] = None
    path = tmp_path / "grid.gpkg"
    pyogrio.write_dataframe(broken, path)
    with pytest.raises(InvalidFile, match="code: feature 3 has no code"):
        read_boundary_file(path)


def test_several_layers_need_a_name(micro, tmp_path):
    path = tmp_path / "two.gpkg"
    pyogrio.write_dataframe(micro, path, layer="现状")
    pyogrio.write_dataframe(micro, path, layer="草案", append=True)
    with pytest.raises(InvalidFile, match=r"layer: name the layer to read: 2 polygon layers"):
        read_boundary_file(path)
    assert read_boundary_file(path, layer="草案").layer == "草案"
    with pytest.raises(InvalidFile, match="layer: no layer '规划'; the layers are: 现状, 草案"):
        read_boundary_file(path, layer="规划")


def test_a_zip_with_two_shapefiles_needs_a_layer(micro, tmp_path):
    a = shapefile_zip(micro, tmp_path / "a", encoding="UTF-8", name="old")
    b = shapefile_zip(micro, tmp_path / "b", encoding="UTF-8", name="new")
    both = tmp_path / "both.zip"
    with zipfile.ZipFile(both, "w") as out:
        for archive in (a, b):
            with zipfile.ZipFile(archive) as z:
                for item in z.namelist():
                    out.writestr(item, z.read(item))
    with pytest.raises(
        InvalidFile, match=r"file: the zip must hold exactly one \.shp; found: old, new"
    ):
        read_boundary_file(both)
    assert read_boundary_file(both, layer="new").layer == "new"


def test_a_shapefile_without_dbf_is_refused(micro, tmp_path):
    archive = shapefile_zip(
        micro, tmp_path / "nodbf", encoding="UTF-8", parts=("shp", "shx", "prj")
    )
    with pytest.raises(InvalidFile, match=r"file: the Shapefile grid\.shp lacks its \.dbf"):
        read_boundary_file(archive)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file: is empty"),
        (b"code,name\n1,a\n", "file: is not a GeoJSON file, a GeoPackage or a zip"),
        (b"PK\x03\x04 not really a zip", "file: is not a readable zip archive"),
        (b'{"type": "FeatureCollection", "features": [', "file: cannot be read"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(tmp_path, content, message):
    path = tmp_path / "upload"
    path.write_bytes(content)
    with pytest.raises(InvalidFile, match=message):
        read_boundary_file(path)


def test_an_unknown_encoding_and_an_encoding_for_utf8_formats_are_refused(micro, tmp_path):
    path = tmp_path / "grid.geojson"
    pyogrio.write_dataframe(micro, path, driver="GeoJSON")
    with pytest.raises(InvalidInput, match="encoding: unknown encoding 'GB-what'"):
        read_boundary_file(path, encoding="GB-what")
    with pytest.raises(InvalidInput, match="encoding: applies to Shapefiles only"):
        read_boundary_file(path, encoding="GBK")
    assert read_boundary_file(path, encoding="utf8").encoding is None


def test_a_geojson_that_is_not_utf8_is_refused(tmp_path):
    feature = '{"type": "Feature", "properties": {"code": "01", "name": "树林召镇"}, '
    feature += '"geometry": {"type": "Polygon", "coordinates": [[[110, 40], [110.01, 40], '
    feature += "[110.01, 40.01], [110, 40]]]}}"
    path = tmp_path / "gbk.geojson"
    path.write_bytes(('{"type": "FeatureCollection", "features": [' + feature + "]}").encode("gbk"))
    with pytest.raises(
        InvalidFile, match=r"encoding: the text is not UTF-8 .* save the file as UTF-8"
    ):
        read_boundary_file(path)


def test_features_that_are_not_polygons_are_read_for_the_gate_to_refuse(micro, parent, tmp_path):
    mixed = micro.copy()
    mixed.loc[1, "geometry"] = mixed.geometry.iloc[1].boundary
    path = tmp_path / "mixed.geojson"
    pyogrio.write_dataframe(mixed, path, driver="GeoJSON")
    read = read_boundary_file(path)
    assert read.units[1].geometry.geom_type == "MultiLineString"
    problems = check_layout(read.units, parent)
    assert ("wrong_type", (micro.code.iloc[1],)) in [(p.kind, p.codes) for p in problems]
