"""What the comparison pages show, computed without Streamlit: launch_tables, plan_compare, conversion_tables."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from mapping import schema as S
from mapping.analysis import conversion as C
from mapping.analysis import conversion_tables as CT
from mapping.analysis import grading as G
from mapping.analysis import launch as L
from mapping.analysis import launch_tables as LT
from mapping.analysis.facts import Facts, Filters
from mapping.analysis.plan_compare import compare_plans, plan_bins

K = 5
APRIL = dt.date(2024, 4, 1)
D = dt.date
NAMES = pd.DataFrame({"area_id": ["x", "y", "z", "w"], "area_name": ["金桥", "张江", "唐镇", "川沙"]})


@pytest.fixture
def comp() -> L.Comparison:
    a = L.with_shares(pd.DataFrame({"area_id": ["x", "y", "z", "w"], "count": [40, 20, 3, 0]}))
    b = L.with_shares(pd.DataFrame({"area_id": ["x", "y", "z", "w"], "count": [10, 30, 12, 6]}))
    return L.compare(a, b, NAMES, K)


# ----------------------------------------------------------------------------- launch_tables
def test_matrix_styles_diagonal_grey_upgrades_red_downgrades_blue():
    order = L.MATRIX_ORDER
    matrix = pd.DataFrame(np.zeros((5, 5), dtype=int), index=list(order), columns=list(order))
    matrix.loc["A", "A"] = 2  # kept
    matrix.loc["D", "B"] = 1  # up
    matrix.loc["A", "C"] = 3  # down
    matrix.loc["未分级", "A"] = 1  # entered: up
    styles = LT.matrix_styles(matrix)
    assert styles.shape == matrix.shape and list(styles.index) == list(order)
    assert styles.loc["A", "A"] == f"background-color: {LT.SAME_COLOUR}"
    assert styles.loc["D", "B"] == styles.loc["未分级", "A"] == f"background-color: {LT.UPGRADE_COLOUR}"
    assert styles.loc["A", "C"] == f"background-color: {LT.DOWNGRADE_COLOUR}"
    assert (styles.to_numpy() != "").sum() == 4  # empty cells stay plain, even on the diagonal


def test_gain_and_loss_and_biggest_changes_skip_withheld_areas(comp):
    up, down = LT.gain_and_loss(comp)
    assert up["area_name"] == "张江" and down["area_name"] == "金桥"
    moved = LT.biggest_changes(comp, "前", "后")
    assert list(moved.columns) == ["区域", "前占比", "后占比", "变化(百分点)", "等级"]
    assert set(moved["区域"]) == {"金桥", "张江", "川沙"}  # 唐镇 (3 on the left) is withheld; nobody (0) is not
    assert moved["变化(百分点)"].abs().is_monotonic_decreasing
    assert moved.set_index("区域").loc["金桥", "前占比"] == pytest.approx(40 / 63 * 100)
    assert LT.biggest_changes(comp, "前", "后", n=1)["区域"].tolist() == [moved["区域"].iloc[0]]


def test_gain_and_loss_none_when_nothing_shown():
    a = L.with_shares(pd.DataFrame({"area_id": ["x"], "count": [3]}))
    comp = L.compare(a, a, NAMES, K)
    assert LT.gain_and_loss(comp) == (None, None)


def test_by_change_puts_change_first_and_withheld_last(comp):
    table = LT.by_change(L.public_table(comp, "前", "后"))
    assert list(table.columns[:3]) == ["区域", "占比变化(百分点)", "新战场"]
    changes = table["占比变化(百分点)"]
    assert changes.isna().tolist() == [False, False, False, True]  # 唐镇 (3 on the left) withheld: last
    assert changes.dropna().abs().is_monotonic_decreasing


def test_new_table_counts_grades_and_empty():
    assert LT.new_table(pd.DataFrame({"area_id": ["w", "q"], "count_b": [6, 2]}), NAMES, K, "后").values.tolist() == [
        ["川沙", "6"], ["q", "<5"]]
    grades = LT.new_table(pd.DataFrame({"area_id": ["w"], "grade_b": ["B"]}), NAMES, 0, "后")
    assert grades.columns.tolist() == ["区域", "后 等级"] and grades.values.tolist() == [["川沙", "B"]]
    empty = LT.new_table(pd.DataFrame(columns=["area_id", "count_b"]), NAMES, K, "后")
    assert empty.empty and empty.columns.tolist() == ["区域", "后 人数"]


@pytest.mark.parametrize("launch, freq, expected", [
    (D(2024, 5, 9), "M", D(2024, 5, 1)),
    (D(2024, 4, 30), "W", D(2024, 4, 29)),
    (None, "M", D(2024, 6, 1)),
    (D(2025, 1, 1), "M", D(2024, 6, 1)),
])
def test_opening_period(launch, freq, expected):
    periods = {"M": [D(2024, 4, 1), D(2024, 5, 1), D(2024, 6, 1)],
               "W": [D(2024, 4, 22), D(2024, 4, 29), D(2024, 5, 6)]}[freq]
    assert LT.opening_period(periods, launch, freq) == expected


def test_opening_period_needs_periods():
    with pytest.raises(ValueError, match="'periods' is empty"):
        LT.opening_period([], D(2024, 5, 1), "M")


@pytest.mark.parametrize("period, expected", [
    (D(2024, 4, 1), "（蓄水期）"), (D(2024, 5, 1), "（含开盘日）"), (D(2024, 6, 1), "（开盘后）")])
def test_phase_of_a_month(period, expected):
    assert LT.phase(period, "M", D(2024, 5, 10)) == expected
    assert LT.phase(period, "M", None) == ""


def test_period_slice_curve_areas_and_launch_on_the_axis():
    tl = pd.DataFrame({"period": [D(2024, 4, 1)] * 3 + [D(2024, 5, 1)] * 3, "area_id": ["x", "y", "q"] * 2,
                       "visits": [10, 2, 1, 20, 2, 1], "deals": [0, 0, 0, 3, 1, 0]})
    now = LT.period_slice(tl, D(2024, 5, 1), NAMES)
    assert now["area_name"].tolist() == ["金桥", "张江", "q"] and now["visits"].tolist() == [20, 2, 1]
    assert LT.curve_areas(tl, K) == ["x"]  # 张江 has 4 visits in all: under k
    assert LT.curve_areas(tl, 1) == ["x", "y", "q"] and LT.curve_areas(tl, 1, limit=2) == ["x", "y"]
    periods = [D(2024, 4, 1), D(2024, 5, 1)]
    assert LT.launch_in_view(periods, D(2024, 5, 20)) and LT.launch_in_view(periods, D(2024, 6, 1))
    assert not LT.launch_in_view(periods, D(2024, 3, 1)) and not LT.launch_in_view(periods, None)
    assert not LT.launch_in_view([], D(2024, 5, 1))


# ----------------------------------------------------------------------------- plan_compare
def _snap(name: str, grades: dict[str, str], layer: str = "districts", bins: dict | None = None) -> dict:
    names = NAMES.set_index("area_id")["area_name"]
    rows = [[area, names.get(area, area), g, 1.0, i + 1] for i, (area, g) in enumerate(grades.items())]
    payload = {"grades": {"": rows, "公寓": rows}}
    if bins is not None:
        payload["bins"] = bins
    return {"name": name, "layer_id": layer, "dimension": "home", "payload": payload}


def test_compare_plans_counts_moves_and_new_battlefields():
    bins = {"": G.Bins("fisher_jenks", (1.0, 2.0, 3.0)).to_dict()}
    plans = compare_plans(_snap("前", {"x": "A", "y": "D", "z": "C"}, bins=bins),
                          _snap("后", {"x": "C", "y": "B", "z": "C", "w": "A"}), "")
    assert (plans.a_name, plans.b_name, plans.layer_id, plans.dimensions) == ("前", "后", "districts", ("居住",))
    assert (plans.count("升级"), plans.count("降级"), plans.count("新进入"), plans.count("退出")) == (1, 1, 1, 0)
    assert plans.count("不变") == 1
    assert plans.new["area_id"].tolist() == ["w"]
    assert plans.area_ids == ["w", "x", "y", "z"]
    assert dict(zip(plans.names["area_id"], plans.names["area_name"]))["w"] == "川沙"
    assert plans.bins_a == G.Bins("fisher_jenks", (1.0, 2.0, 3.0)) and plans.bins_b is None
    assert int(plans.matrix.values.sum()) == 4


def test_compare_plans_without_the_line_or_on_different_units():
    a, b = _snap("前", {"x": "A"}), _snap("后", {"x": "B"})
    assert compare_plans(a, b, "别墅") is None
    assert compare_plans(a, b, "公寓") is not None
    with pytest.raises(ValueError, match="different area units: 'districts' and 'h3:8'"):
        compare_plans(a, _snap("后", {"x": "B"}, layer="h3:8"), "")


def test_plan_bins():
    assert plan_bins({}, "") is None
    assert plan_bins({"bins": {"公寓": G.Bins("quantiles", (0.1, 0.2)).to_dict()}}, "公寓").cuts == (0.1, 0.2)


# ----------------------------------------------------------------------------- conversion_tables
def _row(visitor, area, *, deal=False, line="公寓", deal_line="", visit=APRIL, dim=S.HOME):
    return {"visitor_id": visitor, "dimension": dim, "adcode": area, "lng": None, "lat": None,
            "method": "district_name", "town_code": "", "outside": False, "product_line": line,
            "intention": "C", "channel": "拓客", "visit_date": visit, "deal": deal,
            "deal_date": None, "deal_product_line": deal_line}


@pytest.fixture(scope="module")
def toy():
    """Three areas: X 10 visitors (4 deals: 3 公寓, 1 商铺), Y 6 (1 deal, visiting in May), Z 2 (1 deal)."""
    rows, v = [], 0
    for i in range(10):
        v += 1
        rows.append(_row(v, "X", deal=i < 4, deal_line="商铺" if i == 3 else ""))
        rows.append(_row(v, "Y", dim=S.WORK))  # another dimension: never counted for home
    for i in range(6):
        v += 1
        rows.append(_row(v, "Y", deal=i == 0, line="洋房", visit=D(2024, 5, 2)))
    for i in range(2):
        v += 1
        rows.append(_row(v, "Z", deal=i == 0))
    layer = gpd.GeoDataFrame({"area_id": ["X", "Y", "Z"], "area_name": ["甲区", "乙区", "丙区"]},
                             geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)], crs=4326)
    return Facts.build(pd.DataFrame(rows)), layer


def test_area_reading_joins_counts_names_and_deal_mix(toy):
    facts, layer = toy
    table = CT.area_reading(facts, "toy_reading", S.HOME, Filters(), K, layer=layer,
                            names=layer[["area_id", "area_name"]]).set_index("area_id")
    assert table["visits"].to_dict() == {"X": 10, "Y": 6, "Z": 2}
    assert table["deals"].to_dict() == {"X": 4, "Y": 1, "Z": 1}
    assert table.loc["X", "area_name"] == "甲区" and table.loc["X", "top_line"] == "公寓"
    assert table.loc["X", "deals_商铺"] == 1 and table.loc["X", "top_share"] == pytest.approx(0.75)
    assert table.loc["Z", "quadrant"] == "样本不足"
    assert table.attrs["average"] == pytest.approx(6 / 18)
    later = CT.area_reading(facts, "toy_reading", S.HOME, Filters(start=D(2024, 5, 1)), K, layer=layer)
    assert later["area_id"].tolist() == ["Y"] and later["area_name"].tolist() == ["Y"]  # no names: the id
    assert CT.area_reading(facts, "toy_reading", S.HOME, Filters(product_line="别墅"), K, layer=layer).empty


def test_area_reading_without_any_deal(toy):
    """Visitors but no buyer (where X's visitors work): an empty deal mix, no crash."""
    facts, layer = toy
    table = CT.area_reading(facts, "toy_reading", S.WORK, Filters(), K, layer=layer)
    assert table["area_id"].tolist() == ["Y"] and table["deals"].tolist() == [0]
    assert table["deals_total"].tolist() == [0] and table["top_line"].tolist() == [""]
    assert CT.deal_lines(table, ["公寓"]) == ["公寓"] and CT.mix_of_top_areas(table).empty
    assert CT.public_reading(table)["成交最多的业态"].tolist() == [""]


def test_deal_lines_project_lines_first_then_others():
    table = pd.DataFrame(columns=["area_id", "deals", "deals_total", "deals_公寓", "deals_商铺", "share_公寓"])
    assert CT.deal_lines(table, ["公寓", "洋房"]) == ["公寓", "洋房", "商铺"]
    assert CT.deal_lines(table, []) == ["公寓", "商铺"]


@pytest.fixture
def reading() -> pd.DataFrame:
    counts = pd.DataFrame({"area_id": list("abcde"), "area_name": ["金桥", "张江", "唐镇", "川沙", "周浦"],
                           "visits": [600, 100, 40, 3, 30], "deals": [15, 20, 8, 2, 0]})
    mix = C.deal_mix(pd.DataFrame({"公寓": [14, 5, 4, 2, 0], "洋房": [1, 15, 4, 0, 0]}, index=list("abcde")))
    return C.table(counts, mix, K)


def test_public_reading_withholds_small_areas(reading):
    shown = CT.public_reading(reading)
    assert list(shown.columns) == list(CT.COLUMNS.values())
    assert set(CT.PERCENT_COLUMNS) <= set(shown.columns)
    small = shown.set_index("区域").loc["川沙"]
    assert small["象限"] == "样本不足"
    assert np.isnan(small["到访"]) and np.isnan(small["成交"]) and np.isnan(small["该业态占成交"])
    assert small["成交最多的业态"] == ""
    assert shown.set_index("区域").loc["金桥", "到访"] == 600
    assert reading.set_index("area_name").loc["川沙", "visits"] == 3  # the reading itself is untouched


def test_mix_of_top_areas_leaves_out_small_and_dealless_areas(reading):
    mix = CT.mix_of_top_areas(reading)
    assert list(mix.index) == ["金桥", "张江", "唐镇"]  # most visits first; 川沙 small, 周浦 no deal
    assert list(mix.columns) == ["公寓", "洋房"]
    assert mix.loc["张江", "洋房"] == pytest.approx(0.75)
    assert list(CT.mix_of_top_areas(reading, n=2).index) == ["金桥", "张江"]
    none = reading.assign(deals_total=0)
    assert CT.mix_of_top_areas(none).empty
