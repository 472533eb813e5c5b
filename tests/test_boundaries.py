"""District and Pudong 板块 boundaries: content, CRS, topology and point assignment."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import shapely

from mapping.geo import boundaries
from mapping.geo.coords import gcj02_to_wgs84, wgs84_to_gcj02
from mapping.schema import LAYER_BANKUAI, LAYER_DISTRICTS, LAYER_DISTRICTS_BANKUAI, PUDONG

EXPECTED = {
    "310101": "黄浦区", "310104": "徐汇区", "310105": "长宁区", "310106": "静安区",
    "310107": "普陀区", "310109": "虹口区", "310110": "杨浦区", "310112": "闵行区",
    "310113": "宝山区", "310114": "嘉定区", "310115": "浦东新区", "310116": "金山区",
    "310117": "松江区", "310118": "青浦区", "310120": "奉贤区", "310151": "崇明区",
}

# Landmarks in WGS-84 (GPS / OpenStreetMap / Wikipedia coordinates).
LANDMARKS = [
    ("东方明珠", 121.4953, 31.2418, "310115"),
    ("人民广场", 121.4700, 31.2310, "310101"),
    ("徐家汇", 121.4365, 31.1955, "310104"),
    ("静安寺", 121.4450, 31.2230, "310106"),
    ("五角场", 121.5140, 31.3000, "310110"),
    ("崇明", 121.4000, 31.6200, "310151"),
]


def _overlap_and_gap(geoms) -> tuple[float, float, float]:
    """(largest pairwise overlap, |union - sum|, total area) of a list of polygons."""
    geoms = list(geoms)
    total = sum(g.area for g in geoms)
    overlap = max(a.intersection(b).area for a, b in itertools.combinations(geoms, 2)
                  if a.intersects(b))
    return overlap, abs(shapely.union_all(geoms).area - total), total


@pytest.mark.parametrize("display", [False, True])
def test_sixteen_districts_with_names(display):
    gdf = boundaries.districts(display)
    assert gdf.crs.to_epsg() == 4326
    assert list(gdf.columns) == ["adcode", "name", "short_name", "geometry"]
    assert dict(zip(gdf["adcode"], gdf["name"])) == EXPECTED
    assert set(gdf.geom_type) <= {"Polygon", "MultiPolygon"}
    assert gdf.is_valid.all()
    assert gdf.loc[gdf["adcode"] == PUDONG, "short_name"].item() == "浦东"
    assert gdf.loc[gdf["adcode"] == "310101", "short_name"].item() == "黄浦"


def test_returned_frames_are_copies():
    gdf = boundaries.districts()
    gdf.loc[0, "name"] = "changed"
    gdf.geometry.values[2] = None
    assert boundaries.districts()["name"].iloc[0] == "黄浦区"
    assert boundaries.districts().geometry.iloc[2] is not None


def test_name_lookups():
    assert boundaries.district_names() == EXPECTED
    index = boundaries.district_name_index()
    assert index["浦东新区"] == index["浦东"] == "310115"
    assert index["黄浦区"] == index["黄浦"] == "310101"
    assert len(index) == 32


@pytest.mark.parametrize("name,lng,lat,adcode", LANDMARKS)
def test_landmarks_fall_in_their_district(name, lng, lat, adcode):
    for layer in (boundaries.load_layer(LAYER_DISTRICTS), boundaries.load_layer(LAYER_DISTRICTS, True)):
        assert boundaries.assign_points([lng], [lat], layer)[0] == adcode, name


def test_huangpu_river_border_is_in_wgs84():
    """The Bund/Lujiazui stretch of the Huangpu is the 黄浦|浦东 border.

    The river there is ~400 m wide between the Bund promenade (~121.487 E) and the
    Lujiazui bank (~121.491 E) at 31.240 N (WGS-84); the GCJ-02 shift in Shanghai
    is ~450 m east (+0.0045° lng, -0.0020° lat).  Had the Amap data been left in
    GCJ-02 the border would run ~450 m east of the river centre, i.e. *on the
    Pudong bank*, and a point on the Lujiazui riverside (121.4920, 31.2400) would be
    in 黄浦区; had it been shifted twice, the Peace Hotel on the Bund
    (121.4858, 31.2403, WGS-84) would be in 浦东新区.  Both points therefore pin
    the data to WGS-84 to within a couple of hundred metres.
    """
    layer = boundaries.load_layer(LAYER_DISTRICTS)
    lujiazui_bank = (121.4920, 31.2400)
    peace_hotel = (121.4858, 31.2403)
    assign = lambda p: boundaries.assign_points([p[0]], [p[1]], layer)[0]  # noqa: E731
    assert assign(lujiazui_bank) == "310115"
    assert assign(peace_hotel) == "310101"
    # The same points seen through a GCJ-02 dataset (data = WGS + offset, i.e. the
    # point moved by -offset) or a doubly-converted one land on the wrong side:
    # this proves the two assertions above are sensitive to the CRS.
    assert assign(tuple(float(v) for v in gcj02_to_wgs84(*lujiazui_bank))) == "310101"
    assert assign(tuple(float(v) for v in wgs84_to_gcj02(*peace_hotel))) == "310115"


def test_display_districts_have_no_gaps_or_overlaps():
    full = boundaries.districts(False)
    display = boundaries.districts(True)
    overlap, gap, total = _overlap_and_gap(display.geometry)
    assert overlap < 1e-9 * total
    assert gap < 1e-9 * total
    assert shapely.coverage_is_valid(np.asarray(display.geometry.values))
    # Simplification keeps every district's area within 1 %.
    assert np.allclose(shapely.area(display.geometry.values), shapely.area(full.geometry.values),
                       rtol=0.01)
    # and opens no holes between neighbours that the full resolution does not have.
    holes = lambda g: sum(len(p.interiors) for p in shapely.get_parts(shapely.union_all(g)))  # noqa: E731
    assert holes(display.geometry) <= holes(full.geometry)


@pytest.mark.parametrize("display", [False, True])
def test_bankuai_cover_pudong(display):
    cells = boundaries.load_layer(LAYER_BANKUAI, display)
    pudong = boundaries.districts(display).set_index("adcode").geometry[PUDONG]
    assert len(cells) >= 15
    assert cells["area_id"].is_unique and cells["area_name"].is_unique
    assert (cells["area_name"].str.len() > 0).all()
    assert (cells["adcode"] == PUDONG).all()
    assert set(cells.geom_type) <= {"Polygon", "MultiPolygon"}
    overlap, gap, total = _overlap_and_gap(cells.geometry)
    assert overlap < 1e-9 * total and gap < 1e-9 * total
    assert abs(total - pudong.area) < 1e-9 * pudong.area
    assert pudong.symmetric_difference(shapely.union_all(cells.geometry.values)).area < 1e-9 * total


@pytest.mark.parametrize("display", [False, True])
def test_combined_layer_tiles_shanghai(display):
    layer = boundaries.load_layer(LAYER_DISTRICTS_BANKUAI, display)
    assert list(layer.columns) == ["area_id", "area_name", "adcode", "geometry"]
    assert PUDONG not in set(layer["area_id"])
    assert len(layer) == 15 + len(boundaries.load_layer(LAYER_BANKUAI))
    city = shapely.union_all(boundaries.districts(display).geometry.values).area
    overlap, gap, total = _overlap_and_gap(layer.geometry)
    assert overlap < 1e-9 * total and gap < 1e-9 * total
    assert abs(total - city) < 1e-9 * city


def test_load_layer_columns_and_unknown_id():
    layer = boundaries.load_layer(LAYER_DISTRICTS)
    assert list(layer.columns) == ["area_id", "area_name", "adcode", "geometry"]
    assert (layer["area_id"] == layer["adcode"]).all()
    with pytest.raises(ValueError, match="districts_bankuai"):
        boundaries.load_layer("nope")


def test_assign_points_known_and_outside():
    # 东方明珠, 人民广场, 张江, Beijing, East China Sea, NaN, (0, 0)
    lng = [121.4953, 121.4700, 121.6050, 116.3975, 122.3, np.nan, 0.0]
    lat = [31.2418, 31.2310, 31.2010, 39.9087, 31.0, np.nan, 0.0]
    got = boundaries.assign_points(lng, lat, LAYER_DISTRICTS_BANKUAI)
    assert got.dtype == object
    assert got.tolist() == ["PD01", "310101", "PD08", "", "", "", ""]
    assert boundaries.assign_points(lng[:3], lat[:3], LAYER_DISTRICTS).tolist() == [
        "310115", "310101", "310115"]


def test_assign_points_border_is_counted_once():
    layer = boundaries.load_layer(LAYER_DISTRICTS)
    # a vertex shared by 黄浦区 and 浦东新区 lies on both polygons' boundaries
    huangpu, pudong = layer.geometry.iloc[0], layer.set_index("area_id").geometry[PUDONG]
    shared = shapely.get_coordinates(huangpu.boundary.intersection(pudong.boundary))[0]
    got = boundaries.assign_points([shared[0]] * 2, [shared[1]] * 2, layer)
    assert got.tolist() == ["310101", "310101"]  # first polygon in layer order wins


def test_assign_points_is_fast():
    import time

    rng = np.random.default_rng(0)
    lng = rng.normal(121.48, 0.1, 200_000)
    lat = rng.normal(31.23, 0.08, 200_000)
    layer = boundaries.load_layer(LAYER_DISTRICTS_BANKUAI)
    start = time.perf_counter()
    got = boundaries.assign_points(lng, lat, layer)
    assert time.perf_counter() - start < 2.0
    assert (got != "").mean() > 0.9
