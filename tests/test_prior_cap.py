"""The shrinkage prior is capped so a small project keeps its spread (到访成交对比)."""

import numpy as np
import pandas as pd
import pytest

from mapping.analysis import conversion as C

# A 665-visitor project, 8 areas, conversion 20–60 % by area.  The big areas sit near the
# average and the spread is in the smaller ones, so the marginal likelihood alone fits a
# strong prior (~68 pseudo-visits) that puts every area near 38 %.
VISITS = np.array([250, 180, 100, 60, 40, 20, 13, 2])
DEALS = np.array([95, 65, 42, 15, 22, 4, 8, 1])  # the last area: 2 visits, 1 deal


def test_the_case_is_what_it_claims():
    assert VISITS.sum() == 665 and len(VISITS) == 8
    raw = DEALS / VISITS
    assert raw[:-1].min() == pytest.approx(0.2) and raw[:-1].max() == pytest.approx(8 / 13)
    average = DEALS.sum() / VISITS.sum()
    uncapped = C.shrink(VISITS, DEALS, prior_strength=C.fit_prior_strength(VISITS, DEALS, average))
    assert uncapped["rate"].std(ddof=0) < 0.35 * uncapped["raw"].std(ddof=0)  # flattened without the cap


def test_small_high_conversion_project_keeps_its_spread():
    t = C.shrink(VISITS, DEALS)
    assert t.attrs["prior_strength"] == t.attrs["prior_cap"] == pytest.approx(0.25 * np.median(VISITS))
    assert t.attrs["prior_fitted"] > t.attrs["prior_cap"]
    assert t["rate"].std(ddof=0) >= 0.5 * t["raw"].std(ddof=0)
    assert t["rate"].max() - t["rate"].min() > 0.2  # not one cloud around the average


def test_two_visits_one_deal_still_does_not_top_the_list():
    t = C.shrink(VISITS, DEALS)
    assert t["raw"].iloc[-1] == 0.5
    assert t["rate"].idxmax() != len(VISITS) - 1
    assert t["rate"].iloc[-1] < t["rate"].iloc[4]  # 40 visits at 55 % stays above it


def test_shrinkage_still_pulls_toward_the_average():
    t = C.shrink(VISITS, DEALS)
    average = t.attrs["average"]
    assert ((t["rate"] - average).abs() <= (t["raw"] - average).abs() + 1e-12).all()


def test_the_cap_never_raises_a_weaker_fitted_prior():
    visits, deals = [100] * 10 + [100] * 10, [2] * 10 + [30] * 10  # areas truly differ: weak fitted prior
    t = C.shrink(visits, deals)
    assert t.attrs["prior_fitted"] < t.attrs["prior_cap"]
    assert t.attrs["prior_strength"] == t.attrs["prior_fitted"]


def test_an_explicit_prior_strength_is_used_as_given():
    t = C.shrink(VISITS, DEALS, prior_strength=500)
    assert t.attrs["prior_strength"] == 500 and t.attrs["prior_cap"] is None


@pytest.mark.parametrize("visits,cap", [([0, 20, 60, 100], 15.0), ([2, 2, 2], 1.0), ([], 1.0), ([0, 0], 1.0)])
def test_prior_cap_is_a_quarter_of_the_median_area(visits, cap):
    assert C.prior_cap(visits) == cap


def test_table_reports_the_cap_and_spreads_the_quadrant_chart():
    counts = pd.DataFrame({"area_id": list("abcdefgh"), "area_name": list("ABCDEFGH"),
                           "visits": VISITS, "deals": DEALS})
    mix = pd.DataFrame({"deals_total": DEALS, "top_line": "公寓", "top_share": 1.0}, index=list("abcdefgh"))
    t = C.table(counts, mix, min_count=5)
    assert t.attrs["prior_strength"] == pytest.approx(t.attrs["prior_cap"])
    assert set(t["quadrant"]) == {"主力", "高访低成", "潜力", "低效", "样本不足"}
    assert t["rate"].max() - t["rate"].min() > 0.2  # the chart's y axis is not one band around 38 %
    assert t.set_index("area_id").loc["h", "quadrant"] == "样本不足"  # 2 visits: below k, withheld
