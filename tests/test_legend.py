"""The one legend helper of the folium maps: rows, escaping, the Leaflet control."""

import json
import re

import folium
import pytest

from mapping.maps import legend as LG


def test_range_rows_start_one_above_the_previous_bound():
    assert LG.range_rows([3, 10, 40], ["#a", "#b", "#c"]) == [("#a", "1 – 3"), ("#b", "4 – 10"), ("#c", "11 – 40")]


def test_range_rows_of_one_number_unit_and_area_counts():
    rows = LG.range_rows([5, 9], ["#a", "#b"], low=5, unit=" 人", values=[0, 2, 5, 5, 6, 9])
    assert rows == [("#a", "5 人 · 2 个区域"), ("#b", "6 – 9 人 · 2 个区域")]


def test_range_rows_stop_at_the_shorter_of_breaks_and_colours():
    assert len(LG.range_rows([1, 2, 3], ["#a"])) == 1
    assert LG.range_rows([], ["#a"]) == []


def test_legend_escapes_every_text():
    html = LG.legend_html("<b>标题</b>", [("#a", "A & B"), ("#b", "<i>x</i>", "outline")], subtitle="s<1>",
                          footer="f>", keys=[("#c", "别墅<script>")])
    assert "<b>" not in html and "<i>" not in html and "<script>" not in html
    for text in ("&lt;b&gt;标题&lt;/b&gt;", "A &amp; B", "&lt;i&gt;x&lt;/i&gt;", "s&lt;1&gt;", "f&gt;",
                 "别墅&lt;script&gt;"):
        assert text in html


def test_subtitle_footer_and_keys_only_when_given():
    bare = LG.legend_html("t", [("#a", "x")])
    assert bare.count("<div") == 3  # box, title, one row
    assert "dashed #a" in LG.legend_html("t", [("#a", "x", "outline")])
    assert "border-radius:5px;background:#c" in LG.legend_html("t", [], keys=[("#c", "公寓")])


def test_compact_box_is_smaller():
    assert "font:11px" in LG.legend_html("t", [], compact=True) and "font:12px" in LG.legend_html("t", [])


def test_unknown_swatch_kind():
    with pytest.raises(ValueError, match="'kind' should be one of .*got 'star'"):
        LG.swatch("#a", "star")


def test_legend_control_on_a_map():
    m = folium.Map(tiles=None)
    LG.Legend(LG.legend_html("到访", [("#fdd0a2", "1 – 3")])).add_to(m)
    html = m.get_root().render()
    assert f"L.DomUtil.create('div', '{LG.CSS_CLASS}')" in html
    inner = re.search(r'div\.innerHTML = (".*?");', html).group(1)
    assert json.loads(inner) == LG.legend_html("到访", [("#fdd0a2", "1 – 3")])
    assert ".addTo(" + m.get_name() + ")" in html
