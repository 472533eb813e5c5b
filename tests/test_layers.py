"""User polygon layers: formats, repair, CRS rules and naming."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from mapping.geo.coords import gcj02_to_wgs84
from mapping.geo.layers import (
    SUPPORTED_EXTENSIONS,
    LayerError,
    as_area_layer,
    candidate_name_columns,
    read_layer,
)

SQUARE_A = shapely.box(121.50, 31.20, 121.51, 31.21)
SQUARE_B = shapely.box(121.52, 31.20, 121.53, 31.21)
# A bow-tie: the ring crosses itself at (121.61, 31.21).
BOWTIE = shapely.Polygon([(121.60, 31.20), (121.62, 31.22), (121.62, 31.20), (121.60, 31.22)])


def _layer(geoms=(SQUARE_A, SQUARE_B), crs=4326, **columns) -> gpd.GeoDataFrame:
    data = {"备注": ["第一块", "第二块"], "名称": ["甲板块", "乙板块"], "code": [1, 2]}
    data.update(columns)
    return gpd.GeoDataFrame({k: v[: len(geoms)] for k, v in data.items()},
                            geometry=list(geoms), crs=crs)


def _zip_shapefile(gdf: gpd.GeoDataFrame, tmp_path: Path, keep=(".shp", ".shx", ".dbf", ".prj", ".cpg"),
                   encoding: str = "utf-8") -> Path:
    folder = tmp_path / "shp"
    folder.mkdir(exist_ok=True)
    gdf.to_file(folder / "板块.shp", encoding=encoding)
    out = tmp_path / "板块.zip"
    with zipfile.ZipFile(out, "w") as zf:
        for f in folder.iterdir():
            if f.suffix.lower() in keep:
                zf.write(f, f"layer/{f.name}")  # in a sub-folder, as zipped folders are
    return out


def _write(gdf: gpd.GeoDataFrame, tmp_path: Path, ext: str) -> Path:
    if ext == ".zip":
        return _zip_shapefile(gdf, tmp_path)
    path = tmp_path / f"layer{ext}"
    driver = {".geojson": "GeoJSON", ".gpkg": "GPKG", ".kml": "KML"}[ext]
    gdf.to_file(path, driver=driver)
    return path


@pytest.mark.parametrize("ext", [".geojson", ".zip", ".gpkg", ".kml"])
@pytest.mark.parametrize("as_bytes", [True, False])
def test_formats_round_trip(tmp_path, ext, as_bytes):
    path = _write(_layer(), tmp_path, ext)
    data = path.read_bytes() if as_bytes else path
    gdf = read_layer(data, path.name)
    assert gdf.crs.to_epsg() == 4326
    assert len(gdf) == 2
    assert list(gdf["名称"]) == ["甲板块", "乙板块"]
    assert gdf.geometry.iloc[0].normalize().equals_exact(SQUARE_A.normalize(), 1e-9)
    assert candidate_name_columns(gdf)[0] == "名称"


def test_gbk_shapefile_without_cpg(tmp_path):
    path = _zip_shapefile(_layer(), tmp_path, keep=(".shp", ".shx", ".dbf", ".prj"), encoding="gbk")
    assert list(read_layer(path.read_bytes(), path.name)["名称"]) == ["甲板块", "乙板块"]


def test_bowtie_is_repaired(tmp_path):
    path = tmp_path / "bowtie.geojson"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _layer([SQUARE_A, BOWTIE]).to_file(path)
    gdf = read_layer(path.read_bytes(), path.name)
    assert gdf.is_valid.all()
    repaired = gdf.geometry.iloc[1]
    assert repaired.geom_type == "MultiPolygon" and len(repaired.geoms) == 2
    assert repaired.area == pytest.approx(2 * 0.5 * 0.02 * 0.01)


def test_non_polygons_dropped_and_layer_without_polygons_refused(tmp_path):
    point, line = shapely.Point(121.5, 31.2), shapely.LineString([(121.5, 31.2), (121.6, 31.3)])
    path = tmp_path / "mixed.geojson"
    _layer([point, SQUARE_B]).to_file(path)
    gdf = read_layer(path)
    assert list(gdf["名称"]) == ["乙板块"]
    path = tmp_path / "lines.geojson"
    _layer([point, line]).to_file(path)
    with pytest.raises(LayerError, match="没有面"):
        read_layer(path)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_layer_without_crs_is_refused_unless_assumed(tmp_path):
    path = _zip_shapefile(_layer(crs=None), tmp_path)
    data = path.read_bytes()
    with pytest.raises(LayerError, match="没有坐标系信息.*WGS-84 还是 GCJ-02"):
        read_layer(data, path.name)
    wgs = read_layer(data, path.name, assume_crs="WGS84")
    assert wgs.crs.to_epsg() == 4326
    assert wgs.geometry.iloc[0].normalize().equals_exact(SQUARE_A.normalize(), 1e-9)
    gcj = read_layer(data, path.name, assume_crs="GCJ02")
    expected = shapely.transform(SQUARE_A, lambda xy: np.column_stack(gcj02_to_wgs84(*xy.T)))
    assert gcj.geometry.iloc[0].normalize().equals_exact(expected.normalize(), 1e-9)
    x0, y0, _, _ = gcj.geometry.iloc[0].bounds
    # the GCJ-02 → WGS-84 shift in Shanghai is roughly 450 m west and 200 m north
    assert 121.50 - x0 == pytest.approx(0.0045, abs=0.0008)
    assert y0 - 31.20 == pytest.approx(0.0020, abs=0.0008)


def test_gcj02_assumption_overrides_a_plain_lnglat_file(tmp_path):
    path = tmp_path / "amap.geojson"
    _layer().to_file(path)
    gdf = read_layer(path, assume_crs="高德")
    assert gdf.geometry.iloc[0].bounds[0] < 121.4965


def test_projected_crs_is_reprojected(tmp_path):
    path = tmp_path / "utm.gpkg"
    _layer().to_crs(32651).to_file(path)
    gdf = read_layer(path, assume_crs="GCJ02")  # a projected CRS is always honoured
    assert gdf.crs.to_epsg() == 4326
    assert np.allclose(gdf.geometry.iloc[0].bounds, SQUARE_A.bounds, atol=1e-6)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_projected_coordinates_without_crs_are_refused(tmp_path):
    path = _zip_shapefile(_layer().to_crs(32651).set_crs(None, allow_override=True), tmp_path)
    with pytest.raises(LayerError, match="不是经纬度"):
        read_layer(path.read_bytes(), path.name, assume_crs="WGS84")


def test_unsupported_extension_and_bad_inputs(tmp_path):
    with pytest.raises(LayerError, match="不支持的文件类型") as err:
        read_layer(b"x", "areas.csv")
    for ext in SUPPORTED_EXTENSIONS:
        assert ext in str(err.value)
    with pytest.raises(LayerError, match=r"\.zip"):
        read_layer(b"x", "areas.shp")
    with pytest.raises(LayerError, match="无法读取"):
        read_layer(b"not json", "areas.geojson")
    with pytest.raises(LayerError, match="压缩包"):
        read_layer(b"not a zip", "areas.zip")
    with pytest.raises(LayerError, match="无法识别的坐标系"):
        read_layer(b"{}", "a.geojson", assume_crs="EPSG:3857")


def test_zip_without_dbf_is_refused(tmp_path):
    path = _zip_shapefile(_layer(), tmp_path, keep=(".shp", ".shx", ".prj"))
    with pytest.raises(LayerError, match=r"缺少 \.dbf"):
        read_layer(path.read_bytes(), path.name)


def test_candidate_name_columns_order():
    gdf = _layer(板块=["陆家嘴", "张江"], description=["a", "b"], empty=["", None])
    gdf["Name"] = ["x", "y"]
    cols = candidate_name_columns(gdf)
    assert cols[:3] == ["Name", "名称", "板块"]
    assert cols[-1] == "description"
    assert "empty" not in cols and "code" not in cols and "geometry" not in cols


def test_as_area_layer_columns():
    gdf = _layer(adcode=["310115", "310115"])
    areas = as_area_layer(gdf, "名称")
    assert list(areas.columns) == ["area_id", "area_name", "adcode", "geometry"]
    assert list(areas["area_id"]) == list(areas["area_name"]) == ["甲板块", "乙板块"]
    assert list(areas["adcode"]) == ["310115", "310115"]
    assert areas.crs.to_epsg() == 4326
    with_ids = as_area_layer(_layer(), "名称", id_column="code")
    assert list(with_ids["area_id"]) == ["1", "2"]
    assert list(with_ids["adcode"]) == ["", ""]


def test_as_area_layer_refuses_bad_names():
    with pytest.raises(LayerError, match="重复：甲板块.*第 1、2 个"):
        as_area_layer(_layer(名称=["甲板块", "甲板块"]), "名称")
    with pytest.raises(LayerError, match="空值.*第 2 个"):
        as_area_layer(_layer(名称=["甲板块", " "]), "名称")
    with pytest.raises(LayerError, match="没有列 'nope'"):
        as_area_layer(_layer(), "nope")
