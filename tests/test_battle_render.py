"""The graded battle map rendered to HTML: legend, colours per grade, privacy, GCJ-02 only for Gaode."""

import re
from html import escape

import numpy as np
import pandas as pd
import pytest
from maphtml import features as _features

from mapping import schema as S
from mapping.analysis import grading as G
from mapping.geo import boundaries
from mapping.maps import choropleth


@pytest.fixture(scope="module")
def graded():
    layer = boundaries.load_layer(S.LAYER_DISTRICTS)
    n = len(layer)
    visits = np.array([3, 0] + [10 * (i + 1) for i in range(n - 2)])
    stats = pd.DataFrame({"area_id": layer["area_id"]})
    for d in S.DIMENSIONS:
        stats[f"visits_{d}"] = visits if d == S.HOME else 0
        stats[f"high_intention_{d}"] = visits // 2 if d == S.HOME else 0
        stats[f"deals_{d}"] = visits // 10 if d == S.HOME else 0
    scores = G.score_table(stats, S.HOME, G.Weights())
    bins = G.fit(G.graded_scores(scores, 5), "quantiles")
    table = G.grade_table(scores, bins, 5).merge(layer[["area_id", "area_name"]], on="area_id")
    return layer, table, bins


def _render(layer, table, bins, basemap="none", highlight=None):
    m = choropleth.graded_choropleth(boundaries.load_layer(S.LAYER_DISTRICTS, display=True), table,
                                     G.legend(table, bins), basemap=basemap, title="测试项目 · 公寓 拓客作战地图",
                                     subtitle="居住 · 分位数", min_count=5, highlight=highlight)
    html = m.get_root().render()
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda g: chr(int(g.group(1), 16)), html)  # JSON-escaped Chinese


def test_legend_shows_each_grade_range_and_count(graded):
    layer, table, bins = graded
    html = _render(layer, table, bins)
    assert "tuoke-legend" in html and "测试项目 · 公寓 拓客作战地图" in html
    for row in G.legend(table, bins):
        assert escape(row["label"]) in html
    assert "样本不足 · 1 个区域" in html and "无到访 · 1 个区域" in html


def test_each_area_is_filled_with_its_grade_colour(graded):
    layer, table, bins = graded
    features = _features(_render(layer, table, bins))
    assert len(features) == len(layer)
    by_id = {f["properties"]["area_id"]: f["properties"] for f in features}
    for r in table.itertuples():
        assert by_id[r.area_id]["fill"] == G.GRADE_COLOURS[r.grade]
        assert by_id[r.area_id]["grade"] == r.grade


def test_small_areas_never_carry_their_count(graded):
    layer, table, bins = graded
    features = _features(_render(layer, table, bins))
    small = next(f["properties"] for f in features if f["properties"]["grade"] == G.INSUFFICIENT)
    assert small["visits_text"] == "<5" and small["deals_text"] == "<5" and small["score_text"] == "—"
    assert "3" not in small["visits_text"]


def test_gcj02_shift_only_with_gaode(graded):
    layer, table, bins = graded

    def first_point(html):
        f = _features(html)[0]["geometry"]
        ring = f["coordinates"][0] if f["type"] == "Polygon" else f["coordinates"][0][0]
        return np.array(ring[0])

    plain, osm, gaode = (first_point(_render(layer, table, bins, b)) for b in ("none", "osm", "gaode"))
    assert np.allclose(plain, osm)
    shift = gaode - plain
    assert 0.002 < abs(shift[0]) < 0.01 and 0.001 < abs(shift[1]) < 0.01  # a few hundred metres


def test_opportunity_areas_get_their_own_outlined_layer(graded):
    layer, table, bins = graded
    target = table.loc[table["grade"] == "C", "area_id"].iloc[0]
    html = _render(layer, table, bins, highlight={target})
    assert "机会战场" in html and "dashArray" in html
    assert "机会战场" not in _render(layer, table, bins)


def test_payload_depends_on_areas_not_visitors(graded):
    layer, table, bins = graded
    many = table.assign(visits=table["visits"] * 1000, deals=table["deals"] * 1000)
    small, big = _render(layer, table, bins), _render(layer, many, bins)
    assert abs(len(big) - len(small)) < 2_000
    assert len(small.encode()) < 1_000_000
