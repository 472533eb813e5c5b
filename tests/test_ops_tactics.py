"""Tactics per area (远交近攻, method by dimension, frequency by grade) and default weekly targets."""

import numpy as np
import pandas as pd
import pytest

from mapping.analysis import grading as G
from mapping.ops import tactics as TC


def areas(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["area_id", "grade", "dimension", "visits", "density", "distance_km"])


def by_area(table: pd.DataFrame) -> dict:
    return {r["area_id"]: (r["tactic"], r["per_week"], r["staff_days"]) for r in table.to_dict("records")}


def test_near_dense_areas_get_fixed_work_by_dimension():
    # the median density of the graded areas is (2 + 10) / 2 = 6: 6 and up is dense
    table = TC.suggest(areas(("home", "A", "home", 200, 40.0, 3.0), ("work", "B", "work", 90, 20.0, 8.0),
                             ("mall", "B", "leisure", 60, 10.0, 15.0), ("thin", "C", "home", 20, 1.0, 5.0),
                             ("thinA", "A", "work", 80, 2.0, 12.0), ("d", "D", "home", 9, 0.5, 2.0)))
    assert by_area(table) == {
        "home": ("社区巡展", 5, 15.0),   # A 4/week + 1 near, crew 3
        "work": ("企业拓客/午间快闪", 4, 8.0),  # B 3 + 1 near, crew 2
        "mall": ("商圈快闪", 3, 9.0),   # B, 15 km: neither near nor far
        "thin": ("定点派单", 3, 6.0),   # C sparse: 2 + 1 near, crew 2
        "thinA": ("圈层活动", 4, 8.0),  # A but scattered: the circle, not the street
        "d": ("线上定投", 1, 0.0),     # D: light touch only
    }


def test_far_areas_get_popups_when_dense_and_online_ads_when_thin():
    table = TC.suggest(areas(("far_work", "A", "work", 150, 50.0, 40.0), ("far_home", "A", "home", 100, 30.0, 30.0),
                             ("far_thin", "B", "home", 30, 1.0, 60.0), ("mid", "B", "home", 40, 5.0, 20.0)))
    assert by_area(table) == {
        "far_work": ("企业拓客/午间快闪", 3, 6.0),  # A 4 − 1 far
        "far_home": ("商圈快闪", 3, 9.0),
        "far_thin": ("线上定投", 1, 0.0),
        "mid": ("圈层活动", 3, 6.0),  # below the median density (5 + 30) / 2: scattered B
    }


def test_unknown_distance_and_density_and_ungraded_areas():
    table = TC.suggest(areas(("x", "B", "home", 40, np.nan, np.nan), ("y", "B", "home", 40, 8.0, np.nan),
                             ("s", G.INSUFFICIENT, "home", 3, 1.0, 2.0)))
    got = by_area(table)
    assert got["x"] == ("圈层活动", 3, 6.0)  # unknown density: not dense; unknown distance: no adjustment
    assert got["y"] == ("社区巡展", 3, 9.0)  # the only known density is the median
    assert got["s"] == ("", 0, 0.0)
    reasons = dict(zip(table["area_id"], table["reason"]))
    assert "距离未知" in reasons["x"] and "密度未知" in reasons["x"]
    assert reasons["y"].startswith("B 级居住区域") and reasons["y"].endswith("。")
    assert "不分级" in reasons["s"]


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="distance_km"):
        TC.suggest(pd.DataFrame({"area_id": ["a"], "grade": ["A"], "dimension": ["home"], "density": [1.0]}))


def test_default_targets_follow_the_plans_kpi_table():
    plan = G.DEFAULT_TARGETS.assign(每周新增线索=[50, 20, 8, 2])
    out = TC.default_targets(pd.DataFrame({"area_id": ["a", "b", "c", "d"], "grade": ["A", "B", "D", "无到访"]}),
                             plan, high_share=0.3, conversion=0.05)
    # A: 50 → 15 high, 2.5 → 3 deals; B: 20 → 6, 1; D: 2 → 0.6 → 1, 0.1 → 0
    assert out.values.tolist() == [["a", 50, 15, 3], ["b", 20, 6, 1], ["c", 2, 1, 0], ["d", 0, 0, 0]]
    with pytest.raises(ValueError, match="每周新增线索"):
        TC.default_targets(pd.DataFrame({"area_id": ["a"], "grade": ["A"]}), pd.DataFrame({"等级": ["A"]}))
