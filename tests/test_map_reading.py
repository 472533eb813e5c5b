"""Maps people can read, checked on rendered HTML: area names (escaped, decluttered in the browser),
the foldable legend out of the way, site markers on every map, and a map that behaves on a scrolling page."""

from __future__ import annotations

import json
import re

import folium
import geopandas as gpd
import pandas as pd
import pytest
from maphtml import unescape
from shapely.geometry import MultiPolygon, box

from mapping.maps import labels as LB
from mapping.maps import legend as LG
from mapping.maps.render import make_map

HOSTILE = '<img src=x onerror="alert(1)">'


def _areas() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"area_id": ["a", "b", "c", "d"], "area_name": ["金桥", HOSTILE, "张江", ""]},
        geometry=[box(121.55, 31.20, 121.75, 31.30), box(121.40, 31.10, 121.45, 31.15),
                  MultiPolygon([box(121.50, 31.00, 121.52, 31.02), box(121.60, 31.00, 121.70, 31.08)]),
                  box(121.3, 31.3, 121.4, 31.4)],
        crs=4326)


def _label_rows(html: str) -> list[list]:
    """The rows of every AreaLabels payload in the page: [lat, lng, radius, html, dy]."""
    rows = []
    for match in re.finditer(r'\}\)\((map_\w+|map_div2?), (feature_group_\w+), (\{"rows":.*?\})\);', html):
        rows += json.loads(match.group(3))["rows"]
    return rows


# --------------------------------------------------------------------------- labels
def test_label_points_sit_inside_the_largest_part_and_come_most_important_first():
    points = LB.label_points(_areas(), priority=[10, 50, 30, 99])
    assert list(points["text"]) == ["&lt;img src=x onerror=&quot;alert(1)&quot;&gt;", "张江", "金桥"]  # "" dropped
    zhangjiang = points.set_index("text").loc["张江"]
    assert 121.60 < zhangjiang["lng"] < 121.70 and 31.00 < zhangjiang["lat"] < 31.08  # the larger part
    assert zhangjiang["radius"] == pytest.approx(0.04, abs=1e-3)


def test_label_points_order_by_room_when_no_priority():
    points = LB.label_points(_areas())
    assert points["text"].iloc[0] == "金桥"  # the largest area
    assert list(points["row"]) == [0, 2, 1]


@pytest.mark.parametrize("bad, message", [
    ({"priority": [1, 2]}, "'priority' should have one value per area \\(4\\), got 2"),
    ({"name_column": "name"}, "'areas' should have a 'name' column"),
])
def test_label_points_refuse_bad_input(bad, message):
    with pytest.raises(ValueError, match=message):
        LB.label_points(_areas(), **bad)


def test_labels_on_a_map_are_escaped_and_let_clicks_through():
    m = make_map()
    group = LB.add_area_labels(m, _areas(), priority=[1, 2, 3, 4], offsets=[0, 0, 12, 0])
    assert group.layer_name == "区域名称"
    html = m.get_root().render()
    assert "<img src=x" not in html and "onerror=\"alert" not in html
    rows = _label_rows(html)
    assert [r[3] for r in rows] == ["张江", "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;", "金桥"]
    assert [r[4] for r in rows] == [12.0, 0.0, 0.0]  # the offset follows its area
    script = unescape(html)
    assert "pointer-events:none" in script and 'pane.style.pointerEvents = "none"' in script
    assert "interactive: false" in script
    # decluttered in the browser: overlap, room, edge and the most shown at once
    assert "clash(p, taken[i])" in script and "D.overflow * room" in script and '"max":40' in script
    assert "new ResizeObserver(" in script  # laid out again once the frame has its size


def test_label_payload_is_safe_inside_a_script():
    m = make_map()
    names = _areas().assign(area_name=["</script><script>alert(1)</script>", "a\u2028b", "x", "y"])
    LB.add_area_labels(m, names)
    html = m.get_root().render()
    assert "</script><script>alert" not in html and "\u2028" not in html


def test_labels_of_an_empty_layer():
    m = make_map()
    LB.add_area_labels(m, _areas().iloc[[3]])
    assert _label_rows(m.get_root().render()) == []


# --------------------------------------------------------------------------- legend
def test_legend_is_foldable_and_top_right_by_default():
    m = folium.Map(tiles=None)
    LG.Legend(LG.legend_html("到访", [("#fdd0a2", "1 – 3")])).add_to(m)
    html = unescape(m.get_root().render())
    assert 'L.control({position: "topright"})' in html
    assert f"L.DomUtil.create('button', '{LG.TOGGLE_CLASS}', div)" in html
    assert "收起" in html and "展开图例" in html and LG.COLLAPSED_CLASS in html
    assert "map.fire('tuoke:layout')" in html  # hidden area names may come back
    assert f".{LG.COLLAPSED_CLASS}>:not(.{LG.TOGGLE_CLASS}){{display:none}}" in html


def test_legend_position_is_checked():
    assert 'position: "bottomright"' in folium.Map(tiles=None).add_child(
        LG.Legend("x", position="bottomright")).get_root().render()
    with pytest.raises(ValueError, match="'position' should be one of .*got 'middle'"):
        LG.Legend("x", position="middle")


# --------------------------------------------------------------------------- behaviour on a page
def test_every_map_focuses_without_scrolling_and_leaves_the_wheel_to_the_page():
    html = unescape(make_map().get_root().render())
    assert "preventScroll: true" in html  # the first click selects (see render.InPage)
    assert "map.scrollWheelZoom.disable()" in html and "点一下地图，再用滚轮缩放" in html
    assert "if (window.self === window.top) { return; }" in html  # the offline file zooms with the wheel


def test_sites_project_name_is_escaped_beside_its_mark():
    from mapping.maps.overlays import add_sites

    m = make_map()
    add_sites(m, [{"name": HOSTILE, "lng": 121.5, "lat": 31.2, "kind": "project"}], "none")
    html = m.get_root().render()
    assert "<img src=x" not in html
    icon = json.loads('"' + re.search(r'"html": "((?:[^"\\]|\\.)*)"', html).group(1) + '"')
    assert "tuoke-site-label" in icon and "&lt;img src=x" in icon


# --------------------------------------------------------------------------- every map: names, sites, escaped tooltips
SITES = [{"name": "金桥湾（本项目）", "lng": 121.62, "lat": 31.26, "kind": "project"},
         {"name": "竞品甲", "lng": 121.56, "lat": 31.22, "kind": "competitor"}]


def _counts(areas: gpd.GeoDataFrame) -> pd.DataFrame:
    return pd.DataFrame({"area_id": areas["area_id"], "area_name": areas["area_name"],
                         "visits": [120, 40, 3, 0], "high_intention": [60, 20, 1, 0], "deals": [9, 4, 0, 0],
                         "conversion": [0.075, 0.1, 0.0, 0.0]})


def _conversion_table(areas: gpd.GeoDataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "area_id": areas["area_id"], "area_name": areas["area_name"], "visits": [120, 40, 3, 0],
        "deals": [9, 4, 0, 0], "raw": [0.075, 0.1, 0, 0], "rate": [0.07, 0.09, 0.08, 0.08],
        "low": [0.05, 0.05, 0.0, 0.0], "high": [0.1, 0.14, 0.3, 0.3],
        "quadrant": ["主力", "潜力", "样本不足", "样本不足"], "advice": ["", "", "", ""],
        "deals_total": [9, 4, 0, 0], "deals_公寓": [6, 4, 0, 0], "deals_洋房": [3, 0, 0, 0]})


def _check_names_and_sites(html: str, *, maps: int = 1) -> None:
    rows = _label_rows(html)
    assert len(rows) == 3 * maps  # every named area, on every map (the browser decides which show)
    assert "<img src=x" not in html  # neither in the names nor in the tooltips' properties
    assert html.count('"tuoke-site tuoke-site-project"') == maps  # the project's mark (JSON-escaped in the icon)
    assert "金桥湾（本项目）" in unescape(html)


def test_visitor_map_names_areas_marks_sites_and_escapes_names():
    from mapping.maps import choropleth

    areas = _areas()
    m = choropleth.visitor_choropleth(areas, _counts(areas), min_count=5, sites=SITES)
    html = m.get_root().render()
    _check_names_and_sites(html.replace('\\"', '"'))
    rows = _label_rows(html)
    assert rows[0][3] == "金桥" and rows[-1][3].startswith("张江")  # by visits; 张江 (3 < k) last, rank untold
    assert "&lt;img src=x" in unescape(html)  # the tooltip's copy of the name, escaped


def test_visits_deals_map_names_areas_under_their_pies_and_marks_sites():
    from mapping.maps import dealmap

    areas = _areas()
    m = dealmap.visits_deals_map(areas, _conversion_table(areas), ["公寓", "洋房"], min_count=5, sites=SITES)
    html = m.get_root().render()
    _check_names_and_sites(html.replace('\\"', '"'))
    rows = {r[3]: r for r in _label_rows(html)}
    assert rows["金桥"][4] == pytest.approx(46 / 2 + 10)  # under the biggest pie (46 px)
    assert rows["张江"][4] == 0  # no pie: withheld
    assert html.count("tuoke-pie") == 2


def test_visits_deals_selection_is_a_layer_of_its_own():
    from maphtml import features

    from mapping.maps import dealmap

    areas = _areas()
    assert dealmap.selection_layer(areas, None) is None and dealmap.selection_layer(areas, "zz") is None
    group = dealmap.selection_layer(areas, "b")
    m = make_map()
    group.add_to(m)
    outline = features(m.get_root().render())
    assert [f["properties"] for f in outline] == [{"area_id": "b"}]


def test_launch_maps_name_the_same_areas_on_both_sides_and_mark_sites():
    from mapping.maps import launch_maps as LM

    areas = _areas()
    left = LM.count_side(_counts(areas).assign(count=[120, 40, 3, 0]), [50, 200], 5, "左", "")
    right = LM.count_side(_counts(areas).assign(count=[2, 90, 30, 0]), [50, 200], 5, "右", "")
    html = LM.dual_map(areas, left, right, sites=SITES).get_root().render()
    _check_names_and_sites(html.replace('\\"', '"'), maps=2)
    rows = _label_rows(html)
    assert [r[3] for r in rows[:3]] == [r[3] for r in rows[3:]]  # the same order on both maps
    assert rows[0][3] == "金桥"  # 120 on the left beats 90 on the right
    assert html.count("preventScroll: true") == 2  # both maps behave on the page
    single = LM.single_map(areas, left, sites=SITES).get_root().render()
    _check_names_and_sites(single.replace('\\"', '"'))


def test_battle_map_names_graded_areas_first_and_not_h3_cells():
    from mapping.maps import choropleth

    areas = _areas()
    table = _counts(areas).assign(grade=["A", "B", "样本不足", "无到访"], rank=[1, 2, None, None],
                                  score=[300.0, 100.0, 5.0, 0.0])
    legend = [{"colour": "#b30000", "label": "A 级"}]
    html = choropleth.graded_choropleth(areas, table, legend, min_count=5).get_root().render()
    assert [r[3] for r in _label_rows(html)][:2] == ["金桥", "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"]
    assert "<img src=x" not in html
    bare = choropleth.graded_choropleth(areas, table, legend, min_count=5, labels=False).get_root().render()
    assert _label_rows(bare) == []
