"""The national county layer: per-city layers, adjacency, locate() anywhere in China,
functional zones, and Shanghai left as it was."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
import shapely

from mapping.geo import boundaries
from mapping.geo.coords import gcj02_to_wgs84
from mapping.paths import BOUNDARIES, GAZETTEER
from mapping.schema import LAYER_BANKUAI, LAYER_DISTRICTS, LAYER_DISTRICTS_BANKUAI

CITIES = ["510100", "440300", "110000", "320500"]
CHINA = BOUNDARIES / "china"

# WGS-84 points (GPS / OpenStreetMap), each well inside its county (> 150 m from a border).
KNOWN_POINTS = [
    ("天府广场", 104.0633, 30.6597, "510105"),     # 青羊区
    ("深圳市民中心", 114.0596, 22.5431, "440304"),  # 福田区
    ("东方明珠", 121.4953, 31.2418, "310115"),     # 浦东新区
    ("天安门", 116.3975, 39.9087, "110101"),       # 东城区
    ("黄鹤楼", 114.3022, 30.5446, "420106"),       # 武昌区
    ("大雁塔", 108.9594, 34.2183, "610113"),       # 雁塔区
    ("布达拉宫", 91.1172, 29.6578, "540102"),      # 城关区 (拉萨)
    ("哈尔滨中央大街", 126.6167, 45.7745, "230102"),  # 道里区
]
OUTSIDE = [
    ("东海", 125.0, 30.0),
    ("太平洋", 160.0, 30.0),
    ("乌兰巴托", 106.92, 47.92),
    ("首尔", 126.98, 37.57),
    ("河内", 105.85, 21.03),
]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.read_csv(GAZETTEER / "districts_cn.csv", dtype=str, keep_default_na=False)


def expected_adcodes(table: pd.DataFrame, city: str) -> set[str]:
    """County codes of ``city`` per districts_cn.csv, minus units listed without a polygon."""
    gaps = set(pd.read_csv(CHINA / "coverage_gaps.csv", dtype=str)["adcode"])
    rows = table[(table["level"] == "district") & (table["nbs_only"] == "false")]
    in_city = rows["province_adcode"] == city if city.endswith("0000") else rows["city_adcode"] == city
    return set(rows.loc[in_city, "adcode"]) - gaps


@pytest.mark.parametrize("display", [False, True])
@pytest.mark.parametrize("city", CITIES)
def test_city_layer_has_every_district_once(table, city, display):
    layer = boundaries.load_layer(LAYER_DISTRICTS, display=display, city=city)
    assert layer.crs.to_epsg() == 4326
    assert list(layer.columns) == list(boundaries.AREA_COLUMNS)
    assert set(layer["adcode"]) == expected_adcodes(table, city)
    assert layer["area_id"].is_unique and (layer["area_id"] == layer["adcode"]).all()
    names = dict(zip(table["adcode"], table["name"]))
    assert layer["area_name"].tolist() == [names[c] for c in layer["adcode"]]
    assert layer["adcode"].tolist() == sorted(layer["adcode"])
    assert set(layer.geom_type) <= {"Polygon", "MultiPolygon"}
    assert layer.is_valid.all() and not layer.is_empty.any()


@pytest.mark.parametrize("display", [False, True])
@pytest.mark.parametrize("city", CITIES)
def test_city_layer_has_no_overlaps(city, display):
    geoms = np.asarray(boundaries.load_layer(LAYER_DISTRICTS, display=display, city=city).geometry)
    total = shapely.area(geoms).sum()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = left < right
    assert pairs.any()  # neighbours do touch
    overlap = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]]))
    assert overlap.max() < 1e-9 * total
    assert shapely.coverage_is_valid(geoms)


def test_display_copy_is_smaller_and_close():
    full = boundaries.load_layer(LAYER_DISTRICTS, city="510100")
    display = boundaries.load_layer(LAYER_DISTRICTS, display=True, city="510100")
    assert shapely.get_num_coordinates(display.geometry).sum() < 0.5 * shapely.get_num_coordinates(full.geometry).sum()
    ratio = shapely.area(np.asarray(display.geometry)) / shapely.area(np.asarray(full.geometry))
    assert np.all(np.abs(ratio - 1) < 0.03)


@pytest.mark.parametrize(("label", "lng", "lat", "adcode"), KNOWN_POINTS[:2])
def test_known_points_in_city_layers_are_wgs84(label, lng, lat, adcode):
    layer = boundaries.load_layer(LAYER_DISTRICTS, city=adcode[:4] + "00")
    assert boundaries.assign_points([lng], [lat], layer).tolist() == [adcode], label


def test_gcj02_coordinates_are_not_wgs84():
    # 天府广场 as Amap lists it (GCJ-02) lies ~300 m off; converted, it is in 青羊区.
    gcj = (104.0657, 30.6574)
    layer = boundaries.load_layer(LAYER_DISTRICTS, city="510100")
    wgs = gcj02_to_wgs84(*gcj)
    assert boundaries.assign_points([wgs[0]], [wgs[1]], layer).tolist() == ["510105"]
    assert boundaries.assign_points([gcj[0]], [gcj[1]], layer).tolist() == ["510104"]


def test_returned_layers_are_copies():
    layer = boundaries.load_layer(LAYER_DISTRICTS, city="440300")
    layer.loc[0, "area_name"] = "changed"
    layer.geometry.values[1] = None
    again = boundaries.load_layer(LAYER_DISTRICTS, city="440300")
    assert again["area_name"].iloc[0] == "罗湖区"
    assert again.geometry.iloc[1] is not None


def test_warm_load_is_fast():
    boundaries.load_layer(LAYER_DISTRICTS, city="500000")
    start = time.perf_counter()
    boundaries.load_layer(LAYER_DISTRICTS, city="500000")
    assert time.perf_counter() - start < 0.3


@pytest.mark.parametrize("layer_id", [LAYER_BANKUAI, LAYER_DISTRICTS_BANKUAI])
def test_bankuai_only_for_shanghai(layer_id):
    with pytest.raises(ValueError, match="只有上海"):
        boundaries.load_layer(layer_id, city="510100")


@pytest.mark.parametrize("city", ["510000", "999900", "310100", "abc"])
def test_unknown_city_is_refused(city):
    with pytest.raises(ValueError, match="未知的城市代码"):
        boundaries.load_layer(LAYER_DISTRICTS, city=city)


def test_unknown_layer_is_refused():
    with pytest.raises(ValueError, match="未知的边界图层"):
        boundaries.load_layer("towns", city="510100")


# --- Shanghai unchanged ------------------------------------------------------------------
@pytest.mark.parametrize("display", [False, True])
def test_shanghai_keeps_its_own_files(display):
    by_city = boundaries.load_layer(LAYER_DISTRICTS, display=display, city="310000")
    default = boundaries.load_layer(LAYER_DISTRICTS, display=display)
    assert by_city.equals(default)
    own = boundaries.districts(display)
    assert by_city["adcode"].tolist() == own["adcode"].tolist()
    assert all(a.equals_exact(b, 0) for a, b in zip(by_city.geometry, own.geometry))
    bankuai = boundaries.load_layer(LAYER_DISTRICTS_BANKUAI, display=display, city="310000")
    assert len(bankuai) == 15 + 23


def test_national_shanghai_matches_the_shanghai_file():
    national = boundaries.city_districts("310000").set_index("adcode")
    own = boundaries.districts().set_index("adcode")
    assert set(national.index) == set(own.index)
    for code, geom in own.geometry.items():
        assert abs(national.geometry[code].area / geom.area - 1) < 0.002, code


# --- several cities ------------------------------------------------------------------------
def test_city_districts_of_several_cities():
    metro = boundaries.city_districts(["310000", "320500", "310000"], display=True)
    assert list(metro.columns) == ["area_id", "area_name", "adcode", "city_adcode", "geometry"]
    assert metro["city_adcode"].tolist() == ["310000"] * 16 + ["320500"] * 9
    assert metro["adcode"].is_unique
    assert shapely.coverage_is_valid(np.asarray(metro.geometry))  # borders match across cities


def test_city_outline_dissolves_each_city():
    outline = boundaries.city_outline(["320500", "310000"])
    assert list(outline.columns) == ["city_adcode", "city_name", "geometry"]
    assert outline["city_name"].tolist() == ["苏州市", "上海市"]
    districts = boundaries.city_districts(["320500", "310000"], display=True)
    for row in outline.itertuples():
        parts = districts[districts["city_adcode"] == row.city_adcode]
        assert row.geometry.area == pytest.approx(shapely.area(np.asarray(parts.geometry)).sum(), rel=1e-6)
        assert row.geometry.is_valid
    # the two outlines share the 昆山|嘉定/青浦 border
    assert outline.geometry.iloc[0].intersection(outline.geometry.iloc[1]).length > 0.5


# --- cities and neighbours -----------------------------------------------------------------
def test_neighbours_sanity():
    assert {"320500", "330400", "320600"} <= set(boundaries.neighbours("310000"))
    assert set(boundaries.neighbours("110000")) == {"131000", "120000", "130600", "130700", "130800"}
    assert boundaries.neighbours("310000") == tuple(sorted(boundaries.neighbours("310000")))
    assert "310000" in boundaries.neighbours("320500")
    assert "510100" not in boundaries.neighbours("440300")
    assert boundaries.neighbours("460300") == ()  # 三沙: islands only


def test_neighbours_are_symmetric_project_cities():
    pairs = pd.read_csv(CHINA / "city_neighbours.csv", dtype=str)
    forward = set(zip(pairs["city_adcode"], pairs["neighbour_adcode"]))
    assert forward == {(b, a) for a, b in forward}
    assert set(pairs["city_adcode"]) <= set(boundaries.city_names())
    assert not (pairs["city_adcode"] == pairs["neighbour_adcode"]).any()


def test_neighbours_refuse_unknown_city():
    with pytest.raises(ValueError, match="未知的城市代码"):
        boundaries.neighbours("310100")


@pytest.mark.parametrize(("adcode", "city"), [
    ("310115", "310000"), ("310100", "310000"), ("500235", "500000"), ("110101", "110000"),
    ("320583", "320500"), ("320576", "320500"), ("510105", "510100"), ("441900", "441900"),
    ("429004", "429004"), ("419001", "419001"), ("659001", "659001"), ("810000", "810000"),
    ("999999", ""), ("320000", ""),
])
def test_city_of(adcode, city):
    assert boundaries.city_of(adcode) == city


def test_city_names():
    names = boundaries.city_names()
    assert names["310000"] == "上海市" and names["510100"] == "成都市" and names["429004"] == "仙桃市"
    assert "310100" not in names and "429000" not in names
    assert boundaries.city_name("320500") == "苏州市"


# --- locate --------------------------------------------------------------------------------
def test_locate_known_points_in_several_provinces():
    _, lng, lat, want = zip(*KNOWN_POINTS)
    assert boundaries.locate(lng, lat).tolist() == list(want)


def test_locate_hong_kong_macau_as_single_units():
    got = boundaries.locate([114.158, 113.543], [22.282, 22.187]).tolist()  # 中环, 澳门半岛
    assert got == ["810000", "820000"]
    assert [boundaries.city_of(c) for c in got] == got


def test_locate_outside_china_and_nan():
    _, lng, lat = zip(*OUTSIDE)
    got = boundaries.locate([*lng, np.nan, 121.5], [*lat, 31.2, np.nan])
    assert got.tolist() == [""] * (len(OUTSIDE) + 2)
    assert got.dtype == object


def test_locate_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="differ in length"):
        boundaries.locate([121.5, 121.6], [31.2])


def test_locate_matches_exact_point_in_polygon():
    """The grid shortcut gives the same answer as testing every polygon."""
    rng = np.random.default_rng(12)
    cities = ["310000", "320500", "330400", "320600", "320200", "330500"]
    layer = boundaries.city_districts(cities)
    x0, y0, x1, y1 = layer.total_bounds
    lng, lat = rng.uniform(x0, x1, 20_000), rng.uniform(y0, y1, 20_000)
    exact = boundaries.assign_points(lng, lat, layer)
    got = boundaries.locate(lng, lat)
    known = exact != ""
    assert known.sum() > 10_000
    assert (got[known] == exact[known]).all()
    # points of the box in none of these cities are in some other county or at sea
    others = set(got[~known]) - {""}
    assert all(boundaries.city_of(c) not in cities for c in others)


def test_locate_reaches_every_unit():
    """A representative point of every county of the layer locates to that county."""
    national = boundaries.city_districts(sorted(set(boundaries.city_names()) - {"659011", "659012"}))
    points = shapely.point_on_surface(np.asarray(national.geometry))
    got = boundaries.locate(shapely.get_x(points), shapely.get_y(points))
    assert (got == national["adcode"].to_numpy()).all()


# --- functional zones -----------------------------------------------------------------------
def test_every_functional_zone_has_a_host(table):
    zones = pd.read_csv(CHINA / "functional_zones.csv", dtype=str, keep_default_na=False)
    nbs = table[table["nbs_only"] == "true"]
    assert set(zones["zone_adcode"]) == set(nbs["adcode"])
    assert (zones["method"] != "").all()
    for row in zones.itertuples():
        assert boundaries.host_district(row.zone_adcode) == row.host_adcode
        city = boundaries.city_of(row.zone_adcode)
        layer = boundaries.load_layer(LAYER_DISTRICTS, city=boundaries.city_of(row.host_adcode))
        assert row.host_adcode in set(layer["adcode"]), row.zone_name
        if row.zone_adcode not in ("540171", "232762"):  # exclaves, see the README
            assert boundaries.city_of(row.host_adcode) == city, row.zone_name


def test_host_district():
    assert boundaries.host_district("320576") in boundaries.load_layer(LAYER_DISTRICTS, city="320500")["adcode"].values
    assert boundaries.host_district("410173") in {"410122", "410184"}  # 航空港区: 中牟/新郑
    assert boundaries.host_district("232761") == "232761"  # 加格达奇区: its own polygon
    assert boundaries.host_district("310115") == "310115"
    assert boundaries.host_district("441900") == "441900"
    with pytest.raises(ValueError, match="未知的区县或功能区代码"):
        boundaries.host_district("320500")


def test_coverage_gaps_are_explained(table):
    gaps = pd.read_csv(CHINA / "coverage_gaps.csv", dtype=str, keep_default_na=False)
    assert set(gaps["adcode"]) == {"460323", "659011", "659012"}
    assert (gaps["reason"] != "").all()
    nbs_false = table[(table["level"] == "district") & (table["nbs_only"] == "false")]
    national = set(boundaries._national().adcodes)
    assert set(nbs_false["adcode"]) - national == set(gaps["adcode"])
