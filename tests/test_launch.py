"""开盘前后对比: shares, shared bins, change, transitions, new battlefields, over time, maps, exports."""

import datetime as dt
import io

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from maphtml import features, first_vertex, unescape
from shapely.geometry import box

from mapping import schema as S
from mapping.analysis import grading as G
from mapping.analysis import launch as L
from mapping.analysis.facts import Facts
from mapping.bootstrap import SAMPLE_PROJECT, load_sample
from mapping.db.store import Store
from mapping.export.workbook import plan_workbook
from mapping.geo import boundaries, hexgrid
from mapping.maps import launch_maps as LM
from mapping.maps import printmap
from mapping.maps.offline import find_external_assets, standalone_html

LAUNCH = dt.date(2024, 5, 1)
TOY = "toy"
D = dt.date


# ----------------------------------------------------------------------------- a hand-made project
def _row(visitor, adcode, visit, *, dim=S.HOME, line="公寓", intention="C", deal=False, deal_date=None,
         deal_line=""):
    return {"visitor_id": visitor, "dimension": dim, "adcode": adcode, "lng": None, "lat": None,
            "method": "district_name", "town_code": "", "outside": False, "product_line": line,
            "intention": intention, "channel": "拓客", "visit_date": visit, "deal": deal,
            "deal_date": deal_date, "deal_product_line": deal_line}


@pytest.fixture(scope="module")
def toy():
    """Three areas X, Y, Z; launch 2024-05-01.

    Before launch (home): X 6 visitors, Y 4, Z none.  Deals on or after launch: X 2
    (a third X deal is before launch), Y 1 dated, Y 1 undated visiting after launch,
    Z 3 (visitors who came after launch).  One unplaced visitor (adcode W).
    """
    rows = []
    v = 0
    for i in range(6):  # X, before launch
        v += 1
        deal_date = D(2024, 5, 10) if i < 2 else (D(2024, 4, 20) if i == 2 else None)
        rows.append(_row(v, "X", D(2024, 4, 1 + i), intention="A" if i < 3 else "C", deal=deal_date is not None,
                         deal_date=deal_date))
        rows.append(_row(v, "Y", D(2024, 4, 1 + i), dim=S.WORK))  # work elsewhere: never counted for home
    for i in range(4):  # Y, before launch; one deal after launch, bought 公寓 though wanting 洋房
        v += 1
        rows.append(_row(v, "Y", D(2024, 3, 10 + i), line="洋房", deal=i == 0,
                         deal_date=D(2024, 5, 2) if i == 0 else None, deal_line="公寓" if i == 0 else ""))
    v += 1  # Y, visits after launch and buys: no deal date, counts on the visit date
    rows.append(_row(v, "Y", D(2024, 5, 3), deal=True))
    for i in range(3):  # Z: only after launch, all buy
        v += 1
        rows.append(_row(v, "Z", D(2024, 5, 5), deal=True, deal_date=D(2024, 5, 6)))
    v += 1
    rows.append(_row(v, "W", D(2024, 4, 2)))  # not in the layer
    layer = gpd.GeoDataFrame({"area_id": ["X", "Y", "Z"], "area_name": ["甲区", "乙区", "丙区"]},
                             geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)], crs=4326)
    return Facts.build(pd.DataFrame(rows)), layer


def _counts(toy, side, line=None, dim=S.HOME):
    facts, layer = toy
    return L.side_counts(facts, TOY, dim, line, side, layer).set_index("area_id")


def test_shares_of_each_side_by_hand(toy):
    a_side, b_side = L.launch_sides(LAUNCH)
    a, b = _counts(toy, a_side), _counts(toy, b_side)
    assert a["count"].to_dict() == {"X": 6, "Y": 4, "Z": 0}
    assert a["share"].to_dict() == {"X": 0.6, "Y": 0.4, "Z": 0.0}
    assert a.attrs["unplaced"] == 1  # the W visitor: counted nowhere, not in the total
    # X: 2 deals after launch (the 04-20 one is before); Y: the dated 05-02 deal + the undated one visiting 05-03
    assert b["count"].to_dict() == {"X": 2, "Y": 2, "Z": 3}
    assert b["share"].round(4).to_dict() == {"X": 0.2857, "Y": 0.2857, "Z": 0.4286}
    assert b["share"].sum() == pytest.approx(1.0)


def test_deals_count_on_deal_date_else_visit_date(toy):
    facts, _ = toy
    before = L.side_counts(facts, TOY, S.HOME, None, L.Side("deals", None, D(2024, 4, 30)))
    assert before.set_index("area_id")["count"].to_dict() == {"X": 1, "Y": 0, "Z": 0}
    only_undated = L.period_counts(facts, TOY, S.HOME, None, D(2024, 5, 3), D(2024, 5, 3), "deals")
    assert only_undated.set_index("area_id")["count"].to_dict() == {"X": 0, "Y": 1, "Z": 0}


def test_product_line_visits_by_wanted_line_deals_by_bought_line(toy):
    a_side, b_side = L.launch_sides(LAUNCH)
    assert _counts(toy, a_side, "洋房")["count"].to_dict() == {"X": 0, "Y": 4, "Z": 0}
    assert _counts(toy, b_side, "洋房")["count"].to_dict() == {"X": 0, "Y": 0, "Z": 0}  # bought 公寓
    assert _counts(toy, b_side, "公寓")["count"].to_dict() == {"X": 2, "Y": 2, "Z": 3}
    assert _counts(toy, a_side, "没有这个业态")["count"].sum() == 0


def test_high_intention_and_dimension(toy):
    high = _counts(toy, L.Side("high_intention", None, D(2024, 4, 30)))
    assert high["count"].to_dict() == {"X": 3, "Y": 0, "Z": 0}
    work = _counts(toy, L.Side("visits"), dim=S.WORK)
    assert work["count"].to_dict() == {"X": 0, "Y": 6, "Z": 0}
    with pytest.raises(G.GradingError, match="晚于"):
        L.Side("visits", D(2024, 5, 2), D(2024, 5, 1))


def test_difference_in_percentage_points_and_new_battlefields(toy):
    a_side, b_side = L.launch_sides(LAUNCH)
    a, b = _counts(toy, a_side).reset_index(), _counts(toy, b_side).reset_index()
    diff = L.difference(a, b).set_index("area_id")
    assert diff["change_pp"].round(2).to_dict() == {"X": -31.43, "Y": -11.43, "Z": 42.86}
    assert diff.loc["Z", "count_a"] == 0 and diff.loc["Z", "count_b"] == 3
    new = L.new_battlefields(a, b)
    assert new.to_dict("records") == [{"area_id": "Z", "count_b": 3}]


def test_compare_withholds_small_counts(toy):
    a_side, b_side = L.launch_sides(LAUNCH)
    a, b = _counts(toy, a_side).reset_index(), _counts(toy, b_side).reset_index()
    comp = L.compare(a, b, toy[1][["area_id", "area_name"]], k=5)
    t = comp.table.set_index("area_id")
    assert t.loc["X", "grade_a"] in G.GRADES and t.loc["Y", "grade_a"] == G.INSUFFICIENT  # 4 < 5
    assert set(t["grade_b"]) == {G.INSUFFICIENT}  # 2, 2 and 3 deals
    assert not t["change_shown"].any()
    assert t.loc["Z", "new"] and t.loc["Z", "area_name"] == "丙区"
    public = L.public_table(comp, "前", "后").set_index("区域")
    assert public.loc["甲区", "前 人数"] == 6 and np.isnan(public.loc["甲区", "后 人数"])
    assert np.isnan(public.loc["乙区", "前 占比(%)"]) and np.isnan(public["占比变化(百分点)"]).all()
    assert public.loc["丙区", "前 等级"] == "0 人" and public.loc["丙区", "新战场"] == "是"
    low = L.compare(a, b, None, k=1)
    assert low.table["change_shown"].all()


# ----------------------------------------------------------------------------- bins and grades
def _frame(counts: dict) -> pd.DataFrame:
    return L.with_shares(pd.DataFrame({"area_id": list(counts), "count": list(counts.values())}))


def test_same_bins_give_the_same_grade_and_colour_to_the_same_share():
    a = _frame({"p": 100, "q": 60, "r": 20, "s": 20})
    b = _frame({"p": 30, "q": 200, "r": 30, "s": 40})  # r has 10 % on both sides
    comp = L.compare(a, b, None, k=5)
    t = comp.table.set_index("area_id")
    assert t.loc["r", "share_a"] == t.loc["r", "share_b"] == 0.1
    assert t.loc["r", "grade_a"] == t.loc["r", "grade_b"]
    left, right = LM.share_side(comp, "a", "A"), LM.share_side(comp, "b", "B")
    fill_a = dict(zip(left.data["area_id"], left.data["fill"]))
    fill_b = dict(zip(right.data["area_id"], right.data["fill"]))
    assert fill_a["r"] == fill_b["r"]
    # one fit for both sides: every share, wherever it comes from, lands in the same class
    pooled = np.r_[comp.table["share_a"], comp.table["share_b"]]
    assert (comp.bins.grade(pooled) == L.same_bins(a["share"], b["share"]).grade(pooled)).all()
    grade_of = dict(zip(np.r_[comp.table["share_a"], comp.table["share_b"]],
                        np.r_[comp.table["grade_a"], comp.table["grade_b"]]))
    for share, grade in zip(comp.table["share_b"], comp.table["grade_b"]):
        assert grade_of[share] == grade
    # and the legends list the same classes
    assert [lbl.split(" · 占比 ")[1].split(" · ")[0] for _, lbl in left.legend[:len(comp.bins.grades)]] == \
           [lbl.split(" · 占比 ")[1].split(" · ")[0] for _, lbl in right.legend[:len(comp.bins.grades)]]


def test_share_ranges_in_percent():
    bins = L.same_bins([0.5, 0.3, 0.1, 0.05], [0.02, 0.01])
    ranges = L.share_ranges(bins)
    assert ranges["A"].startswith("> ") and ranges["A"].endswith("%")
    assert ranges[bins.grades[-1]].startswith("≤ ")


def test_change_bins_are_symmetric_and_keep_every_area_in_its_class():
    changes = [0.1, -0.2, 0.15, 2.0, -2.4, 6.0, -7.5]
    t1, t2 = L.change_bins(changes)
    assert 0 < t1 < t2
    classes = L.change_class(changes, (t1, t2))
    assert classes.tolist() == [2, 2, 2, 3, 1, 4, 0]
    assert (L.change_class(np.negative(changes), (t1, t2)) == 4 - classes).all()  # mirror image
    assert L.change_bins([]) == (0.5, 1.0)
    assert L.change_labels((1.0, 4.0))[2] == "基本持平（±1 个百分点以内）"


def test_transitions_table_and_matrix_by_hand():
    a = pd.DataFrame({"area_id": ["x", "y", "z", "u", "v"], "area_name": list("甲乙丙丁戊"),
                      "grade": ["A", "D", "B", G.INSUFFICIENT, "C"]})
    b = pd.DataFrame({"area_id": ["x", "y", "z", "u", "v", "w"], "area_name": list("甲乙丙丁戊己"),
                      "grade": ["C", "B", "B", "A", L.NONE, "D"]})
    table, matrix = L.transitions(a, b)
    moves = table.set_index("area_id")
    assert moves.loc["x", "move"] == "A→C" and moves.loc["x", "change"] == "降级" and moves.loc["x", "steps"] == -2
    assert moves.loc["y", "move"] == "D→B" and moves.loc["y", "change"] == "升级"
    assert moves.loc["z", "change"] == "不变"
    assert moves.loc["u", "grade_a"] == G.INSUFFICIENT and moves.loc["u", "change"] == "新进入"
    assert moves.loc["v", "move"] == "C→未分级" and moves.loc["v", "change"] == "退出"
    assert moves.loc["w", "grade_a"] == "—" and moves.loc["w", "area_name"] == "己"
    assert list(matrix.index) == list(matrix.columns) == ["A", "B", "C", "D", "未分级"]
    assert matrix.loc["A", "C"] == 1 and matrix.loc["D", "B"] == 1 and matrix.loc["B", "B"] == 1
    assert matrix.loc["未分级", "A"] == 1 and matrix.loc["C", "未分级"] == 1 and matrix.loc["未分级", "D"] == 1
    assert matrix.values.sum() == len(table) == 6
    assert abs(table["steps"]).is_monotonic_decreasing


def test_new_battlefields_from_saved_grades():
    a = pd.DataFrame({"area_id": ["x", "y"], "grade": ["A", G.NO_VISITS]})
    b = pd.DataFrame({"area_id": ["x", "y", "z", "q"], "grade": ["B", "C", "D", G.INSUFFICIENT]})
    assert L.new_battlefields(a, b)["area_id"].tolist() == ["y", "z"]


# ----------------------------------------------------------------------------- over time
def test_timeline_by_week_and_month(toy):
    facts, layer = toy
    months = L.timeline(facts, TOY, S.HOME, None, "M", layer)
    assert sorted(months["period"].unique()) == [D(2024, 3, 1), D(2024, 4, 1), D(2024, 5, 1)]
    got = months.set_index(["period", "area_id"])
    assert got.loc[(D(2024, 4, 1), "X"), "visits"] == 6 and got.loc[(D(2024, 4, 1), "X"), "deals"] == 1
    assert got.loc[(D(2024, 5, 1), "X"), "deals"] == 2 and got.loc[(D(2024, 5, 1), "Y"), "deals"] == 2
    assert got.loc[(D(2024, 3, 1), "Y"), "visits"] == 4 and got.loc[(D(2024, 3, 1), "Z"), "visits"] == 0
    assert months["visits"].sum() == 6 + 4 + 1 + 3 and months["deals"].sum() == 3 + 2 + 3
    weeks = L.timeline(facts, TOY, S.HOME, None, "W", layer)
    starts = sorted(weeks["period"].unique())
    assert all(p.weekday() == 0 for p in starts)  # Mondays
    assert all((b - a).days == 7 for a, b in zip(starts, starts[1:]))  # no gaps, even for empty weeks
    assert starts[0] == D(2024, 3, 4) and starts[-1] == D(2024, 5, 6)
    assert weeks["visits"].sum() == months["visits"].sum() and weeks["deals"].sum() == months["deals"].sum()
    assert len(weeks) == len(starts) * 3  # every area with anyone, in every week
    assert L.period_end(D(2024, 2, 1), "M") == D(2024, 2, 29)


def test_timeline_bins_are_fixed_across_periods_and_small_counts_blank():
    tl = pd.DataFrame({"period": [D(2024, 1, 1)] * 3 + [D(2024, 2, 1)] * 3, "area_id": list("abc") * 2,
                       "visits": [3, 10, 40, 6, 80, 20], "deals": [0, 1, 2, 5, 6, 0]})
    breaks = L.timeline_breaks(tl, "visits", k=5, classes=3)
    assert breaks[-1] == 80 and len(breaks) == 3
    jan = tl[tl["period"] == D(2024, 1, 1)].assign(area_name=list("甲乙丙"), count=lambda d: d["visits"])
    feb = tl[tl["period"] == D(2024, 2, 1)].assign(area_name=list("甲乙丙"), count=lambda d: d["visits"])
    s_jan, s_feb = LM.count_side(jan, breaks, 5, "1 月"), LM.count_side(feb, breaks, 5, "2 月")
    classes = [(c, lbl.split(" · ")[0]) for c, lbl in s_jan.legend[:3]]
    assert [(c, lbl.split(" · ")[0]) for c, lbl in s_feb.legend[:3]] == classes  # the same classes every period
    assert classes[0][1] == "41 – 80 人"
    assert s_feb.data.set_index("area_id").loc["b", "fill"] == classes[0][0]
    assert s_jan.data.set_index("area_id").loc["a", "count_text"] == "<5"
    assert s_jan.data.set_index("area_id").loc["a", "fill"] == LM.GREY
    wide = L.series(tl, ["b", "c"], "deals", k=5)
    assert np.isnan(wide.loc[D(2024, 1, 1), "b"]) and wide.loc[D(2024, 2, 1), "b"] == 6
    assert L.top_areas(tl, 2) == ["b", "c"]
    assert L.totals(tl).loc[D(2024, 2, 1), "visits"] == 106


# ----------------------------------------------------------------------------- the sample project
LAYER = S.LAYER_DISTRICTS_BANKUAI


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('launch') / 'db.sqlite3'}")
    store.migrate()
    pid = load_sample(store)
    locations = store.locations(pid)
    layer = boundaries.load_layer(LAYER)
    return locations, Facts.build(locations), layer


def _compare(sample, line=None, dim=S.HOME, k=5):
    _, facts, layer = sample
    a_side, b_side = L.launch_sides(SAMPLE_PROJECT["launch_date"])
    a = L.side_counts(facts, LAYER, dim, line, a_side, layer)
    b = L.side_counts(facts, LAYER, dim, line, b_side, layer)
    return L.compare(a, b, layer[["area_id", "area_name"]], k)


def test_bincount_counts_match_a_row_by_row_count(sample):
    locations, facts, layer = sample
    from mapping.analysis import aggregate

    home = locations[locations["dimension"] == S.HOME].copy()
    home["area"] = aggregate.place(home, layer).to_numpy()
    visit = pd.to_datetime(home["visit_date"]).dt.date
    deal_day = pd.to_datetime(home["deal_date"]).dt.date.where(home["deal_date"].notna(), visit)
    launch = SAMPLE_PROJECT["launch_date"]
    expected_a = home[(visit < launch) & (home["area"] != "")].groupby("area").size()
    bought = home["deal_product_line"].fillna("").where(home["deal_product_line"].fillna("") != "",
                                                        home["product_line"])
    villas = home[home["deal"].astype(bool) & (deal_day >= launch) & (bought == "别墅") & (home["area"] != "")]
    a_side, b_side = L.launch_sides(launch)
    a = L.side_counts(facts, LAYER, S.HOME, None, a_side, layer).set_index("area_id")["count"]
    b = L.side_counts(facts, LAYER, S.HOME, "别墅", b_side, layer).set_index("area_id")["count"]
    assert a[a > 0].to_dict() == expected_a.to_dict()
    assert b[b > 0].to_dict() == villas.groupby("area").size().to_dict()


def test_jinqiao_produced_visits_but_not_villa_deals(sample):
    """The worked case: 金桥 leads the reservoir period, yet its deals lag, and no villa buyer lives there."""
    comp = _compare(sample)
    t = comp.table.set_index("area_name")
    assert t.loc["金桥", "grade_a"] == "A" and t["share_a"].idxmax() == "金桥"
    assert t.loc["金桥", "change_pp"] < -5 and t.loc["金桥", "grade_b"] != "A"
    villas = _compare(sample, "别墅").table.set_index("area_name")
    assert villas.loc["金桥", "count_b"] == 0 and villas.loc["金桥", "grade_b"] == L.NONE
    moves = _compare(sample, "别墅").moves.set_index("area_name")
    assert moves.loc["金桥", "move"] == "A→未分级" and moves.loc["金桥", "change"] == "退出"


def test_every_line_and_dimension_compares(sample):
    for line in (None, "公寓", "洋房", "别墅", "商铺"):
        for dim in S.DIMENSIONS:
            comp = _compare(sample, line, dim)
            assert comp.matrix.values.sum() == len(comp.moves)
            assert set(comp.table["grade_a"]) <= {*G.GRADES, G.INSUFFICIENT, L.NONE}


# ----------------------------------------------------------------------------- the maps
def _sides(comp):
    return (LM.share_side(comp, "a", "蓄水期到访", "2024-04-30 及以前 · 全部业态 · 居住", "蓄水期到访人数"),
            LM.share_side(comp, "b", "开盘后成交", "2024-05-01 及以后 · 全部业态 · 居住", "开盘后成交人数"))


@pytest.fixture(scope="module")
def rendered(sample):
    comp = _compare(sample)
    left, right = _sides(comp)
    polygons = boundaries.load_layer(LAYER, display=True)
    html = {b: LM.dual_map(polygons, left, right, b).get_root().render() for b in ("none", "osm", "gaode")}
    return comp, left, right, polygons, html


def test_dual_map_has_two_synced_maps_with_a_legend_each(rendered):
    comp, left, right, polygons, html = rendered
    page = unescape(html["none"])
    assert page.count("L.map(") == 2 and ".sync(" in page
    assert "/app/static/vendor/leaflet-sync/L.Map.Sync.js" in page and find_external_assets(page) == []
    assert page.count("tuoke-legend") == 2
    for side in (left, right):
        for _, label in side.legend:
            assert label.replace(">", "&gt;").replace("<", "&lt;") in page
    ranges = L.share_ranges(comp.bins)
    for grade in comp.bins.grades:
        assert page.count(f"{grade} 级 · 占比 {ranges[grade]}".replace(">", "&gt;")) == 2  # one per map


def test_both_maps_colour_each_grade_alike_and_withhold_small_counts(rendered):
    comp, left, right, polygons, html = rendered
    feats = features(unescape(html["none"]))
    n = len(polygons)
    assert len(feats) == 2 * n
    maps = [{f["properties"]["area_id"]: f["properties"] for f in feats[:n]},
            {f["properties"]["area_id"]: f["properties"] for f in feats[n:]}]
    colour_of = {}
    for props in maps:
        for p in props.values():
            if p["grade"].endswith(" 级"):
                colour_of.setdefault(p["grade"], set()).add(p["fill"])
    assert all(len(c) == 1 for c in colour_of.values())  # a grade has one colour on both maps
    assert {g: c.pop() for g, c in colour_of.items()} == {f"{g} 级": G.GRADE_COLOURS[g] for g in
                                                          {x.split()[0] for x in colour_of}}
    t = comp.table.set_index("area_id")
    small = t[L.withheld(t["count_b"], comp.k)].index
    assert len(small) > 0
    for area in small:
        props = maps[1][area]
        assert props["count_text"] == "<5" and props["share_text"] == "—" and props["change_text"] == "—"
        assert props["fill"] == LM.GREY and str(t.loc[area, "count_b"]) not in props["count_text"]
    jinqiao = next(p for p in maps[0].values() if p["area_name"] == "金桥")
    assert jinqiao["grade"] == "A 级" and jinqiao["count_text"] == f"{int(t.loc['PD07', 'count_a']):,}"
    assert jinqiao["change_text"].startswith("-") and jinqiao["change_text"].endswith("个百分点")


def test_gcj02_shift_only_with_gaode(rendered):
    *_, html = rendered
    plain, osm, gaode = (np.array(first_vertex(features(html[b])[0])) for b in ("none", "osm", "gaode"))
    assert np.allclose(plain, osm)
    shift = gaode - plain
    assert 0.002 < abs(shift[0]) < 0.01 and 0.001 < abs(shift[1]) < 0.01
    right_plain, right_gaode = (np.array(first_vertex(features(html[b])[-1])) for b in ("none", "gaode"))
    assert 0.002 < abs((right_gaode - right_plain)[0]) < 0.01  # the right map too
    assert "autonavi" in html["gaode"] and "autonavi" not in html["none"]


def test_dual_map_payload_under_two_megabytes(rendered):
    *_, html = rendered
    for page in html.values():
        assert len(page.encode()) < 2_000_000


def test_dual_map_payload_under_two_megabytes_through_st_folium(rendered):
    """What streamlit-folium sends to the browser: the script of both maps plus the header."""
    from streamlit_folium import _get_header, _get_map_string

    comp, left, right, polygons, _ = rendered
    dm = LM.dual_map(polygons, left, right, "gaode")
    dm.render()
    header, script = _get_header(dm), _get_map_string(dm)
    assert "map_div2" in script and "map_div.sync(map_div2)" in script.replace(" ", "")
    assert len(header.encode()) + len(script.encode()) < 2_000_000


def test_h3_dual_map_stays_small(sample):
    _, facts, _ = sample
    a_side, b_side = L.launch_sides(SAMPLE_PROJECT["launch_date"])
    layer_id = hexgrid.layer_id(8)
    a, b = (L.side_counts(facts, layer_id, S.HOME, None, s) for s in (a_side, b_side))
    comp = L.compare(a, b, None, 5)
    cells = hexgrid.hex_layer(tuple(sorted(comp.table["area_id"])))
    html = LM.dual_map(cells, *_sides(comp)).get_root().render()
    assert len(comp.table) > 300 and len(html.encode()) < 2_000_000


def test_change_map_diverges_around_zero(rendered):
    comp, _, _, polygons, _ = rendered
    bins = L.change_bins(comp.shown["change_pp"])
    side = LM.change_side(comp, bins, "占比变化", "", ("蓄水期到访", "开盘后成交"))
    page = unescape(LM.single_map(polygons, side, "none").get_root().render())
    props = {f["properties"]["area_name"]: f["properties"] for f in features(page)}
    assert props["金桥"]["fill"] in L.CHANGE_COLOURS[:2]  # lost share: blue
    gainer = comp.shown.loc[comp.shown["change_pp"].idxmax(), "area_name"]
    assert props[gainer]["fill"] in L.CHANGE_COLOURS[3:]  # gained: red
    assert "基本持平" in page and "蓄水期到访占比" in page
    hidden = comp.table.loc[~comp.table["change_shown"], "area_name"]
    assert all(props[a]["fill"] == LM.GREY and props[a]["change_text"].startswith("—") for a in hidden)


def test_standalone_html_of_the_dual_map_needs_no_network(rendered):
    comp, left, right, polygons, _ = rendered
    page = standalone_html(LM.dual_map(polygons, left, right, "none"))
    assert find_external_assets(page) == [] and "leaflet-sync/L.Map.Sync.js" in page and ".sync(" in page


def test_plan_sides_colour_saved_grades(sample):
    comp = _compare(sample)
    grades = comp.table[["area_id", "area_name"]].assign(grade=comp.table["grade_a"].replace(L.NONE, G.NO_VISITS),
                                                         score=1.0, rank=1)
    side = LM.plan_side(grades, comp.bins, "开盘前计划")
    assert (side.data["fill"] == grades["grade"].map(G.GRADE_COLOURS).to_numpy()).all()
    moves, _ = L.transitions(grades, grades.assign(grade="A"))
    change = LM.plan_change_side(moves, "等级变化")
    assert set(change.data["fill"]) <= set(L.CHANGE_COLOURS)


# ----------------------------------------------------------------------------- exports
def test_workbook_has_every_comparison_sheet_with_small_counts_blank(sample):
    from openpyxl import load_workbook

    _, facts, layer = sample
    comp = _compare(sample, "别墅")
    tl = L.timeline(facts, LAYER, S.HOME, "别墅", "M", layer)
    sheets = L.workbook_sheets(comp, "蓄水期到访", "开盘后成交", tl, layer[["area_id", "area_name"]])
    assert list(sheets) == ["区域对比", "等级迁移", "迁移矩阵", "新战场", "按月变化"]
    wb = load_workbook(io.BytesIO(plan_workbook(sheets, {"项目": "测试"})))
    assert wb.sheetnames == ["说明", *sheets]
    rows = list(wb["区域对比"].values)
    header = rows[0]
    assert header[:3] == ("区域", "蓄水期到访 人数", "蓄水期到访 占比(%)")
    count_b = header.index("开盘后成交 人数")
    assert all(r[count_b] is None or r[count_b] == 0 or r[count_b] >= 5 for r in rows[1:])
    assert any(r[count_b] is None for r in rows[1:])  # withheld, not written
    matrix = list(wb["迁移矩阵"].values)
    assert matrix[0][0] == "蓄水期到访 等级" and [r[0] for r in matrix[1:]] == ["A", "B", "C", "D", "未分级"]
    months = list(wb["按月变化"].values)
    assert months[0] == ("时段", "区域", "到访", "成交")
    assert all(v is None or v == 0 or v >= 5 for r in months[1:] for v in r[2:])


@pytest.mark.skipif(not printmap.cjk_font_available(), reason="no CJK font installed")
def test_each_side_prints_as_png(rendered):
    comp, left, right, polygons, _ = rendered
    for side in (left, right):
        png = printmap.render_map(LM.printable(polygons, side), side.title, side.legend, subtitle=side.subtitle)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
    printable = LM.printable(polygons, right)
    assert printable["hatch"].sum() == L.withheld(comp.table["count_b"], comp.k).sum()
