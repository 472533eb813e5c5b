"""Maps people can read, checked on rendered HTML: area names (escaped, decluttered in the browser),
the foldable legend out of the way, site markers on every map, and a map that behaves on a scrolling page."""

from __future__ import annotations

import json
import re

import folium
import geopandas as gpd
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
    assert list(points["text"])[0] == "金桥"  # the largest area
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
def test_legend_is_foldable_and_bottom_right_by_default():
    m = folium.Map(tiles=None)
    LG.Legend(LG.legend_html("到访", [("#fdd0a2", "1 – 3")])).add_to(m)
    html = unescape(m.get_root().render())
    assert 'L.control({position: "bottomright"})' in html
    assert f"L.DomUtil.create('button', '{LG.TOGGLE_CLASS}', div)" in html
    assert "收起" in html and "展开图例" in html and LG.COLLAPSED_CLASS in html
    assert "map.fire('tuoke:layout')" in html  # hidden area names may come back
    assert f".{LG.COLLAPSED_CLASS}>:not(.{LG.TOGGLE_CLASS}){{display:none}}" in html


def test_legend_position_is_checked():
    assert 'position: "topright"' in folium.Map(tiles=None).add_child(
        LG.Legend("x", position="topright")).get_root().render()
    with pytest.raises(ValueError, match="'position' should be one of .*got 'middle'"):
        LG.Legend("x", position="middle")


# --------------------------------------------------------------------------- behaviour on a page
def test_every_map_focuses_without_scrolling_and_leaves_the_wheel_to_the_page():
    html = unescape(make_map().get_root().render())
    assert "preventScroll: true" in html  # the first click selects (see render.InPage)
    assert "map.scrollWheelZoom.disable()" in html and "点一下地图，再用滚轮缩放" in html


def test_sites_project_name_is_escaped_beside_its_mark():
    from mapping.maps.overlays import add_sites

    m = make_map()
    add_sites(m, [{"name": HOSTILE, "lng": 121.5, "lat": 31.2, "kind": "project"}], "none")
    html = m.get_root().render()
    assert "<img src=x" not in html
    icon = json.loads('"' + re.search(r'"html": "((?:[^"\\]|\\.)*)"', html).group(1) + '"')
    assert "tuoke-site-label" in icon and "&lt;img src=x" in icon
