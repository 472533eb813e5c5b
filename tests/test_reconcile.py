"""Remainder areas and the reconciliation of the home page's figures with a map unit,
on tiny hand-built polygons."""

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from mapping import schema as S
from mapping.analysis import aggregate
from mapping.analysis.facts import Facts, Filters, area_stats, coverage

PUDONG, XUHUI, MINHANG, KUNSHAN = "310115", "310104", "310112", "320583"


def _layer() -> gpd.GeoDataFrame:
    """Two Pudong 板块 (a gap between them) and Xuhui whole; Minhang not in the layer."""
    return gpd.GeoDataFrame(
        {"area_id": ["PD01", "PD02", XUHUI], "area_name": ["陆家嘴", "金桥", "徐汇区"],
         "adcode": [PUDONG, PUDONG, XUHUI]},
        geometry=[box(121.50, 31.20, 121.55, 31.25), box(121.60, 31.20, 121.65, 31.25),
                  box(121.40, 31.15, 121.45, 31.20)], crs=4326)


# (what, lng, lat, adcode, method, outside): one home location each
ROWS = [
    ("point in 陆家嘴", 121.52, 31.22, PUDONG, "point", False),
    ("浦东 by name", None, None, PUDONG, "district_name", False),
    ("浦东 point in the gap", 121.57, 31.22, PUDONG, "point", False),
    ("徐汇 by name", None, None, XUHUI, "district_name", False),
    ("闵行 by name", None, None, MINHANG, "district_name", False),
    ("昆山花桥", None, None, KUNSHAN, "district_name", True),
    ("火星基地", None, None, "", "unresolved", False),
    ("不详", None, None, "", "junk", False),
    ("(empty)", None, None, "", "empty", False),
]


def _locations() -> pd.DataFrame:
    n = len(ROWS)
    return pd.DataFrame({
        "visitor_id": range(1, n + 1), "dimension": S.HOME,
        "lng": [r[1] for r in ROWS], "lat": [r[2] for r in ROWS], "adcode": [r[3] for r in ROWS],
        "method": [r[4] for r in ROWS], "outside": [r[5] for r in ROWS], "town_code": "",
        "product_line": "公寓", "intention": ["A", "C"] * 4 + ["A"], "channel": "拓客",
        "visit_date": dt.date(2024, 3, 1), "deal": [True, False, True] * 3, "deal_date": None,
        "deal_product_line": "",
    }).astype({"lng": float, "lat": float})


def test_split_districts_are_the_ones_the_layer_cuts():
    assert aggregate.split_districts(_layer()) == {PUDONG}
    whole = _layer()[_layer()["area_id"] == XUHUI]
    assert aggregate.split_districts(whole) == set()
    no_adcode = _layer().drop(columns="adcode")
    assert aggregate.split_districts(no_adcode) == set()


def test_remainder_takes_district_level_and_gap_locations_of_a_split_district():
    loc = _locations()
    rest = aggregate.remainder(loc, _layer())
    assert rest.tolist() == ["", f"{PUDONG}:rest", f"{PUDONG}:rest", "", "", "", "", "", ""]
    assert aggregate.remainder_name(f"{PUDONG}:rest") == "浦东新区（板块未明）"


def test_every_given_location_is_counted_once():
    counts, cov = aggregate.area_counts(_locations(), _layer(), S.HOME)
    assert (cov.given, cov.resolved, cov.placed) == (8, 6, 2)
    assert (cov.remainder, cov.off_layer, cov.outside, cov.unresolved) == (2, 1, 1, 2)
    assert cov.placed + cov.remainder + cov.off_layer + cov.outside + cov.unresolved == cov.given
    assert counts["visits"].sum() == cov.placed and "remainder" in counts
    assert not counts["remainder"].any()  # without with_remainder: the layer's areas only


def test_area_counts_with_remainder_adds_a_row_without_geometry():
    counts, cov = aggregate.area_counts(_locations(), _layer(), S.HOME, with_remainder=True)
    assert counts["area_id"].tolist()[-1] == f"{PUDONG}:rest"
    rest = counts.set_index("area_id").loc[f"{PUDONG}:rest"]
    assert rest["area_name"] == "浦东新区（板块未明）" and rest["remainder"]
    assert (rest["visits"], rest["deals"], rest["adcode"]) == (2, 1, PUDONG)
    assert rest["conversion"] == 0.5
    assert counts["visits"].sum() == cov.placed + cov.remainder
    assert f"{PUDONG}:rest" not in set(_layer()["area_id"])  # a table row, no polygon


def test_a_layer_that_splits_nothing_has_no_remainder():
    layer = _layer()[_layer()["area_id"] == XUHUI]
    counts, cov = aggregate.area_counts(_locations(), layer, S.HOME, with_remainder=True)
    assert cov.remainder == 0 and not counts["remainder"].any()
    assert cov.off_layer == 4  # 陆家嘴 point, 浦东 by name, gap point, 闵行


def test_facts_coverage_equals_the_row_by_row_one():
    loc = _locations()
    facts = Facts.build(loc)
    facts.areas("tiny", _layer())  # assigned once, as the pages do
    fast = coverage(facts, "tiny", S.HOME)
    _, slow = aggregate.area_counts(loc, _layer(), S.HOME)
    assert fast == slow
    stats = area_stats(facts, "tiny", Filters()).set_index("area_id")
    assert stats["visits_home"].to_dict() == {"PD01": 1, "PD02": 0, XUHUI: 1}  # areas unchanged


def test_facts_on_hexagons_count_district_level_locations_as_remainder():
    facts = Facts.build(_locations())
    cov = coverage(facts, "h3:8", S.HOME)
    assert cov.placed == 2  # the two Pudong points get cells
    assert cov.remainder == 3 and cov.off_layer == 0  # 浦东, 徐汇 and 闵行 by name: hexagons split every district
    assert cov.placed + cov.coarse + cov.outside + cov.unresolved == cov.given


def test_reconcile_sets_home_figures_beside_the_map():
    loc = _locations()
    visitors = pd.DataFrame({"deal": loc["deal"]})
    figures = aggregate.headline(visitors, loc)
    table = aggregate.reconcile(figures, aggregate.coverages(loc, _layer())).set_index("dimension")
    home = table.loc[S.HOME]
    assert home["resolved"] == figures["resolved"][S.HOME]["resolved"] == 6
    assert (home["placed"], home["remainder"], home["off_layer"], home["outside"], home["unresolved"]) == (2, 2, 1, 1, 2)
    assert home["note"] == ("首页已识别 6 条，其中 2 条只识别到区县、计入「…（板块未明）」行（有数无图）；"
                            "1 条所在区县不在本图层范围内；1 条在本市以外")
    assert home["placed_share"] == pytest.approx(2 / 8) and home["resolved_share"] == pytest.approx(6 / 8)
    assert table.loc[S.WORK, "given"] == 0 and table.loc[S.WORK, "note"].startswith("一致")
    assert set(aggregate.RECONCILE_COLUMNS) <= set(table.reset_index().columns)


def test_reconcile_refuses_figures_of_other_rows():
    loc = _locations()
    figures = aggregate.headline(pd.DataFrame({"deal": loc["deal"]}), loc)
    filtered = aggregate.coverages(loc.iloc[:4], _layer())
    with pytest.raises(ValueError, match="counts other locations than the headline figures"):
        aggregate.reconcile(figures, filtered)


def test_public_counts_withhold_small_areas_and_name_the_remainder():
    counts, _ = aggregate.area_counts(_locations(), _layer(), S.HOME, with_remainder=True)
    table = aggregate.public_counts(counts, 2).set_index("区域")
    assert np.isnan(table.loc["陆家嘴", "到访"]) and np.isnan(table.loc["陆家嘴", "成交率"])
    assert table.loc["陆家嘴", "备注"] == "少于 2 人，不显示人数"
    assert table.loc["金桥", "到访"] == 0 and table.loc["金桥", "备注"] == ""  # no visitor: nothing to hide
    assert table.loc["浦东新区（板块未明）", "到访"] == 2
    assert "只识别到区县" in table.loc["浦东新区（板块未明）", "备注"]
    assert list(table.reset_index().columns) == list(aggregate.PUBLIC_COLUMNS.values())
