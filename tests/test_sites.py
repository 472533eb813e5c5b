"""The site editor's table: WGS-84 shown in the user's coordinate system and parsed back."""

import numpy as np
import pandas as pd
import pytest

from mapping.geo.coords import from_wgs84
from mapping.geo.sites import COLUMNS, parse_sites, sites_table
from mapping.project import Project
from mapping.schema import BD09, CRS_NAMES, GCJ02, WGS84

SITE = (121.5981, 31.2412)
RIVALS = ({"name": "竞品甲", "lng": 121.5552, "lat": 31.2698}, {"name": "竞品乙", "lng": 121.6347, "lat": 31.2159})


def _project(**changes) -> Project:
    values = {"site_lng": SITE[0], "site_lat": SITE[1], "competitors": RIVALS, **changes}
    return Project(1, "测试项目", "310000", **values)


@pytest.mark.parametrize("crs", CRS_NAMES)
def test_round_trip_in_each_crs(crs):
    table = sites_table(_project(), crs)
    assert list(table.columns) == COLUMNS
    assert table["名称"].tolist() == ["本项目", "竞品甲", "竞品乙"]
    site, competitors = parse_sites(table, crs)
    assert site == pytest.approx(SITE, abs=1e-5)
    assert [c["name"] for c in competitors] == ["竞品甲", "竞品乙"]
    for got, expected in zip(competitors, RIVALS):
        assert (got["lng"], got["lat"]) == pytest.approx((expected["lng"], expected["lat"]), abs=1e-5)


@pytest.mark.parametrize("crs", [GCJ02, BD09])
def test_the_table_shows_the_chosen_crs(crs):
    table = sites_table(_project(), crs)
    x, y = from_wgs84(SITE[0], SITE[1], crs)
    assert (table.loc[0, "经度"], table.loc[0, "纬度"]) == pytest.approx((float(x), float(y)), abs=1e-6)
    assert abs(table.loc[0, "经度"] - SITE[0]) > 1e-3  # not the WGS-84 numbers


def test_a_project_without_sites_gives_an_empty_table():
    table = sites_table(_project(site_lng=None, site_lat=None, competitors=()), WGS84)
    assert table.empty and list(table.columns) == COLUMNS
    assert parse_sites(table, WGS84) == (None, [])


def test_a_competitor_without_coordinates_is_shown_blank_and_kept_without():
    project = _project(competitors=({"name": "竞品丙", "lng": None, "lat": None},))
    table = sites_table(project, GCJ02)
    assert np.isnan(table.loc[1, "经度"]) and np.isnan(table.loc[1, "纬度"])
    _, competitors = parse_sites(table, GCJ02)
    assert competitors == [{"name": "竞品丙", "lng": None, "lat": None}]


def test_blank_rows_are_ignored():
    table = pd.DataFrame([["本项目", "121.5981", "31.2412"], [None, None, None], ["", np.nan, ""],
                          ["  ", None, None], ["竞品甲", 121.5552, 31.2698]], columns=COLUMNS)
    site, competitors = parse_sites(table, WGS84)
    assert site == pytest.approx(SITE)
    assert competitors == [{"name": "竞品甲", "lng": 121.5552, "lat": 31.2698}]


@pytest.mark.parametrize("lng, lat", [("东经121度", "31.2"), ("121.6", None), (None, None), ("", "31.2")])
def test_a_site_that_is_not_a_number_is_refused(lng, lat):
    table = pd.DataFrame([["本项目", lng, lat]], columns=COLUMNS)
    with pytest.raises(ValueError, match="「本项目」的经纬度不是数字，请填写经度和纬度。"):
        parse_sites(table, GCJ02)


def test_a_competitor_with_half_its_coordinates_has_none():
    table = pd.DataFrame([["竞品甲", 121.5, None]], columns=COLUMNS)
    _, competitors = parse_sites(table, WGS84)
    assert competitors == [{"name": "竞品甲", "lng": None, "lat": None}]


def test_names_are_trimmed_and_the_last_site_row_wins():
    table = pd.DataFrame([[" 本项目 ", 121.0, 31.0], ["本项目", 121.5981, 31.2412], [" 竞品甲 ", 121.5, 31.3]],
                         columns=COLUMNS)
    site, competitors = parse_sites(table, WGS84)
    assert site == pytest.approx(SITE) and competitors[0]["name"] == "竞品甲"


@pytest.mark.parametrize("table, crs, message", [
    (pd.DataFrame({"名称": ["本项目"], "经度": [121.6]}), WGS84, "'table' needs the columns"),
    (pd.DataFrame([["本项目", 121.6, 31.2]], columns=COLUMNS), "EPSG:3857", "'crs' must be one of"),
])
def test_bad_arguments_are_named(table, crs, message):
    with pytest.raises(ValueError, match=message):
        parse_sites(table, crs)
