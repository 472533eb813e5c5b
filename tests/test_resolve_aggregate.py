import json

import numpy as np
import pandas as pd
import pytest

from mapping.analysis import aggregate
from mapping.geo import boundaries, coords
from mapping.maps import choropleth, palette
from mapping.place.resolve import resolve_points, resolve_records, resolve_texts


def test_resolve_points_in_each_crs():
    w_lng, w_lat = 121.4953, 31.2418  # Oriental Pearl Tower, Pudong
    g = coords.wgs84_to_gcj02(w_lng, w_lat)
    b = coords.wgs84_to_bd09(w_lng, w_lat)
    out = resolve_points([w_lng, float(g[0]), float(b[0]), np.nan, 2.35],
                         [w_lat, float(g[1]), float(b[1]), np.nan, 48.85],
                         ["WGS84", "GCJ02", "BD09", "WGS84", "WGS84"])
    assert out["adcode"].tolist() == ["310115", "310115", "310115", "", ""]
    assert out["method"].tolist() == ["point", "point", "point", "empty", "point_outside"]
    assert np.allclose(out["lng"][:3].astype(float), w_lng, atol=1e-6)


@pytest.mark.parametrize("text,adcode", [
    ("浦东新区", "310115"), ("浦东", "310115"), ("上海市徐汇区", "310104"), ("　徐汇　", "310104"),
    ("不详", ""), ("金桥", "310115"), ("", ""), ("火星基地", ""),
])
def test_resolve_texts_district_names(text, adcode):
    assert resolve_texts([text])["adcode"].iloc[0] == adcode


def test_unresolved_text_is_counted_not_dropped():
    out = resolve_texts(["火星基地", "浦东", "火星基地", "不详"])
    assert len(out) == 4
    assert out["method"].tolist() == ["unresolved", "district_name", "unresolved", "junk"]


def _locations():
    records = pd.DataFrame({
        "home_text": ["", "浦东", "不详", "徐汇区"],
        "home_lng": [121.60, np.nan, np.nan, np.nan], "home_lat": [31.266, np.nan, np.nan, np.nan],
        "work_text": [""] * 4, "work_lng": [np.nan] * 4, "work_lat": [np.nan] * 4,
        "leisure_text": [""] * 4, "leisure_lng": [np.nan] * 4, "leisure_lat": [np.nan] * 4,
        "coord_system": ["WGS84", "", "", ""],
    })
    loc = resolve_records(records)
    loc["product_line"] = ["公寓", "洋房", "公寓", "别墅"] * 3
    loc["intention"] = ["A", "C", "B", "D"] * 3
    loc["deal"] = [True, False, False, True] * 3
    loc["lng"] = pd.to_numeric(loc["lng"])
    loc["lat"] = pd.to_numeric(loc["lat"])
    return loc


def test_area_counts_districts_and_bankuai():
    loc = _locations()
    counts, cov = aggregate.area_counts(loc, boundaries.load_layer("districts"), "home")
    by_id = counts.set_index("area_id")
    assert by_id.loc["310115", "visits"] == 2 and by_id.loc["310104", "visits"] == 1
    assert (cov.given, cov.resolved, cov.unresolved, cov.coarse) == (4, 3, 1, 0)  # 不详 is given but junk
    counts, cov = aggregate.area_counts(loc, boundaries.load_layer("districts_bankuai"), "home")
    by_name = counts.set_index("area_name")
    assert by_name.loc["金桥", "visits"] == 1 and by_name.loc["金桥", "deals"] == 1
    assert cov.coarse == 1  # "浦东" only: cannot be placed in a 板块
    assert counts["visits"].sum() == cov.placed == 2


def test_area_counts_filters_product_line():
    counts, _ = aggregate.area_counts(_locations(), boundaries.load_layer("districts"), "home", "别墅")
    assert counts["visits"].sum() == 1


def test_area_counts_rejects_unknown_dimension():
    with pytest.raises(ValueError, match="'dimension' must be one of"):
        aggregate.area_counts(_locations(), boundaries.load_layer("districts"), "travel")


def _counts(layer, scale=1):
    rng = np.random.default_rng(0)
    visits = rng.integers(0, 200, len(layer)) * scale
    return layer[["area_id", "area_name", "adcode"]].assign(
        visits=visits, high_intention=visits // 2, deals=visits // 10, conversion=0.1)


def test_choropleth_html_has_legend_tooltip_and_grades():
    layer = boundaries.load_layer("districts", display=True)
    html = choropleth.visitor_choropleth(layer, _counts(layer), title="测试标题").get_root().render()
    def js(text):  # the legend HTML is embedded as a JSON string
        return json.dumps(text)[1:-1]

    assert js("测试标题") in html and js("到访人数") in html
    assert "tuoke-legend" in html
    for colour in palette.ORANGES:
        assert colour in html
    assert 'let fields = ["area_name", "visits", "high_intention", "deals", "conversion_text"];' in html
    assert "let aliases = " + json.dumps(["区域", "到访", "高意向(A/B)", "成交", "成交率"]) in html


def test_choropleth_payload_does_not_grow_with_visitors():
    layer = boundaries.load_layer("districts", display=True)
    small = len(choropleth.visitor_choropleth(layer, _counts(layer, 1)).get_root().render())
    large = len(choropleth.visitor_choropleth(layer, _counts(layer, 1000)).get_root().render())
    assert abs(large - small) < 2_000
    assert large < 1_000_000


def test_gcj02_shift_only_for_gaode():
    layer = boundaries.load_layer("districts", display=True)
    wgs = choropleth.to_display(layer, "osm")
    gcj = choropleth.to_display(layer, "gaode")
    assert wgs.geometry.iloc[0].equals(layer.geometry.iloc[0])
    shift = np.array(gcj.geometry.iloc[0].exterior.coords if gcj.geometry.iloc[0].geom_type == "Polygon"
                     else gcj.geometry.iloc[0].geoms[0].exterior.coords)[0]
    orig = np.array(layer.geometry.iloc[0].exterior.coords if layer.geometry.iloc[0].geom_type == "Polygon"
                    else layer.geometry.iloc[0].geoms[0].exterior.coords)[0]
    metres = coords.haversine_m(orig[0], orig[1], shift[0], shift[1])
    assert 300 < metres < 700



def test_weekly_counts_visits_by_visit_week_and_deals_by_deal_week():
    import datetime as dt
    visitors = pd.DataFrame({
        "visit_date": [dt.date(2024, 4, 1), dt.date(2024, 4, 2), dt.date(2024, 4, 9)],
        "deal": [True, False, True],
        "deal_date": [dt.date(2024, 5, 6), None, None],
    })
    weekly = aggregate.weekly(visitors).set_index("周")
    assert weekly.loc[pd.Timestamp("2024-04-01"), "到访"] == 2
    assert weekly.loc[pd.Timestamp("2024-04-08"), "成交"] == 1   # no deal date: counted in its visit week
    assert weekly.loc[pd.Timestamp("2024-05-06"), "成交"] == 1
    assert weekly["到访"].sum() == 3 and weekly["成交"].sum() == 2


def test_outline_map_names_areas_and_shifts_only_for_gaode():
    layer = boundaries.load_layer("districts", display=True)
    html = choropleth.outline_map(layer).get_root().render()
    assert "let aliases = " + json.dumps(["区域"]) in html and "\"area_name\"" in html
    assert "autonavi" in choropleth.outline_map(layer, "gaode").get_root().render()
