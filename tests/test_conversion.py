"""Visits against deals: shrinkage, quadrants, deal mix and advice (hand-computed cases)."""

import numpy as np
import pandas as pd
import pytest

from mapping.analysis import conversion as C
from mapping.maps import dealmap


def test_shrinkage_by_hand():
    # prior Beta(m*p0, m*(1-p0)) with m = 20, p0 = 0.1: a = 2, b = 18
    t = C.shrink([2, 100, 0], [1, 20, 0], prior_strength=20, average=0.1)
    assert t["rate"].tolist() == pytest.approx([(1 + 2) / (2 + 20), (20 + 2) / (100 + 20), 2 / 20])
    assert t["raw"].iloc[0] == 0.5 and np.isnan(t["raw"].iloc[2])
    assert (t["low"] < t["rate"]).all() and (t["rate"] < t["high"]).all()
    width = t["high"] - t["low"]
    assert width.iloc[0] > width.iloc[1]  # fewer visits: wider interval


def test_two_visits_one_deal_does_not_top_the_list():
    visits = [2, 400, 300, 250, 50]
    deals = [1, 60, 30, 10, 4]
    t = C.shrink(visits, deals)
    assert t["raw"].idxmax() == 0
    assert t["rate"].idxmax() == 1
    assert t.attrs["average"] == pytest.approx(sum(deals) / sum(visits))


def test_prior_strength_is_large_when_areas_do_not_differ_and_small_when_they_do():
    same = C.fit_prior_strength([100] * 20, [10] * 20, 0.1)
    differ = C.fit_prior_strength([100] * 10 + [100] * 10, [2] * 10 + [30] * 10, 0.16)
    assert same > 1000 and differ < 100


def test_quadrants_by_hand():
    q = C.quadrants([10, 10, 100, 100], [0.2, 0.05, 0.2, 0.05], average=0.1, visit_split=50)
    assert q.tolist() == ["潜力", "低效", "主力", "高访低成"]


def test_deal_mix_and_advice():
    lines = pd.DataFrame({"公寓": [9, 1, 0], "洋房": [1, 1, 0]}, index=["jq", "zj", "none"])
    mix = C.deal_mix(lines)
    assert mix.loc["jq", "top_line"] == "公寓" and mix.loc["jq", "top_share"] == pytest.approx(0.9)
    assert mix.loc["none", "top_line"] == "" and mix.loc["none", "deals_total"] == 0
    assert mix.loc["zj", "share_洋房"] == 0.5
    assert C.advice("高访低成", "公寓", 0.9, 10) == "高访低成：仅推公寓"
    assert C.advice("高访低成", "公寓", 0.5, 10) == "高访低成：查转化原因，调整推介产品"
    assert C.advice("潜力", "", 0, 0) == "潜力：加大拓客"
    assert C.advice("低效", "公寓", 1.0, 3) == "低效：减少投入"


def test_table_withholds_small_areas_and_orders_by_quadrant():
    counts = pd.DataFrame({"area_id": ["a", "b", "c", "d", "e"], "area_name": list("ABCDE"),
                           "visits": [600, 100, 40, 30, 3], "deals": [15, 20, 8, 1, 2]})
    mix = C.deal_mix(pd.DataFrame({"公寓": [14, 5, 4, 1, 2], "洋房": [1, 15, 4, 0, 0]}, index=list("abcde")))
    t = C.table(counts, mix, min_count=5).set_index("area_id")
    assert t.loc["e", "quadrant"] == "样本不足" and np.isnan(t.loc["e", "rate"])
    assert t.loc["e", "advice"] == "少于 5 人，不作判断"
    assert t.loc["a", "quadrant"] == "高访低成" and t.loc["a", "advice"] == "高访低成：仅推公寓"
    assert t.loc["b", "quadrant"] == "主力"
    assert t.attrs["average"] == pytest.approx(46 / 773)
    order = C.table(counts, mix, 5)["quadrant"].tolist()
    assert order.index("主力") < order.index("高访低成") and order[-1] == "样本不足"


def test_pie_is_an_inline_svg_with_one_slice_per_line():
    svg = dealmap.pie_svg({"公寓": 3, "洋房": 1}, ["公寓", "洋房"], 30)
    assert svg.startswith("<svg") and svg.count("<path") == 2
    assert dealmap.LINE_COLOURS["公寓"] in svg and dealmap.LINE_COLOURS["洋房"] in svg
    assert dealmap.pie_svg({"公寓": 3}, ["公寓"], 30).count("<circle") == 2
    assert dealmap.pie_svg({}, [], 30) == ""


# ------------------------------------------------------------------ on the sample project, rendered
@pytest.fixture(scope="module")
def sample_table(tmp_path_factory):
    from mapping import schema as S
    from mapping.analysis.facts import Facts, Filters, area_stats, deals_by_line
    from mapping.bootstrap import load_sample
    from mapping.db.store import Store
    from mapping.geo import boundaries

    store = Store(f"sqlite:///{tmp_path_factory.mktemp('conv') / 'db.sqlite3'}")
    store.migrate()
    pid = load_sample(store)
    facts = Facts.build(store.locations(pid))
    layer = boundaries.load_layer(S.LAYER_DISTRICTS_BANKUAI)
    out = {}
    for dim in S.DIMENSIONS:
        stats = area_stats(facts, S.LAYER_DISTRICTS_BANKUAI, Filters(), layer)
        counts = layer[["area_id", "area_name"]].assign(visits=stats[f"visits_{dim}"].to_numpy(),
                                                        deals=stats[f"deals_{dim}"].to_numpy())
        counts = counts[counts["visits"] > 0]
        mix = C.deal_mix(deals_by_line(facts, S.LAYER_DISTRICTS_BANKUAI, dim, Filters(), layer))
        out[dim] = C.table(counts, mix, 5)
    return layer, out


def test_worked_case_jinqiao_many_visits_few_deals_only_apartments(sample_table):
    _, tables = sample_table
    home = tables["home"].set_index("area_name")
    assert home["visits"].idxmax() == "金桥"
    assert home.loc["金桥", "quadrant"] == "高访低成"
    assert home.loc["金桥", "top_line"] == "公寓" and home.loc["金桥", "top_share"] >= 0.8
    assert home.loc["金桥", "advice"] == "高访低成：仅推公寓"
    work = tables["work"].set_index("area_name")
    assert {"金桥", "外高桥"} <= set(work.nlargest(3, "visits").index)  # work areas: where to visit enterprises


def _page(html):
    from maphtml import unescape

    return unescape(html)


def test_map_shows_pies_and_withholds_small_areas(sample_table):
    from mapping import schema as S
    from mapping.geo import boundaries

    layer, tables = sample_table
    table = tables["home"]
    display = boundaries.load_layer(S.LAYER_DISTRICTS_BANKUAI, display=True)
    html = _page(dealmap.visits_deals_map(display, table, ["公寓", "洋房", "别墅", "商铺"], title="测试",
                                          min_count=5).get_root().render())
    pies = html.count("tuoke-pie")
    with_deals = int(((table["quadrant"] != "样本不足") & (table["deals_total"] > 0)).sum())
    assert pies == with_deals
    assert "高访低成：仅推公寓" in html and "饼图：成交" in html
    small = table[table["quadrant"] == "样本不足"]
    if len(small):
        assert '"visits_text": "<5"' in html
    assert len(html.encode()) < 1_000_000


def test_map_gcj_shift_only_on_gaode_and_selected_outline(sample_table):
    from maphtml import features, first_vertex

    from mapping import schema as S
    from mapping.geo import boundaries

    _, tables = sample_table
    display = boundaries.load_layer(S.LAYER_DISTRICTS_BANKUAI, display=True)
    table = tables["home"]
    jinqiao = table.loc[table["area_name"] == "金桥", "area_id"].iloc[0]
    html = {b: dealmap.visits_deals_map(display, table, ["公寓"], basemap=b, selected=jinqiao).get_root().render()
            for b in ("none", "osm", "gaode")}
    selected = [f for f in features(html["none"]) if set(f["properties"]) == {"area_id"}]
    assert [f["properties"]["area_id"] for f in selected] == [jinqiao]  # the outline of the picked area
    plain, osm, gaode = (np.array(first_vertex(features(html[b])[0])) for b in ("none", "osm", "gaode"))
    assert np.allclose(plain, osm)
    assert 0.002 < abs(gaode[0] - plain[0]) < 0.01 and 0.001 < abs(gaode[1] - plain[1]) < 0.01
