"""The visitor frame and the attribution of visitors to teams, on hand-built facts."""

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from mapping.analysis.facts import Facts
from mapping.ops import teams as TM

LAYER_ID = "test:two_districts"


def facts_of(visitors: list[dict]) -> Facts:
    """Facts from visitor dicts: ``id``, ``home`` / ``work`` (adcode or None: no location row of that
    dimension), ``channel``, ``intention``, ``visit``, ``deal_date``, ``team`` and ``stage``."""
    rows = []
    for v in visitors:
        for dim in ("home", "work"):
            if v.get(dim) is None:
                continue
            rows.append({"visitor_id": v["id"], "dimension": dim, "adcode": v[dim], "lng": None, "lat": None,
                         "method": "district_name", "town_code": "", "outside": False, "product_line": "公寓",
                         "intention": v.get("intention", "C"), "channel": v.get("channel", "拓客"),
                         "visit_date": v["visit"], "deal": v.get("deal_date") is not None,
                         "deal_date": v.get("deal_date"), "deal_product_line": ""})
    facts = Facts.build(pd.DataFrame(rows))
    # the team text and stage of each row's visitor, as codes (as Store.fact_columns gives them)
    by_id = {v["id"]: v for v in visitors}
    for name, key in (("team", "team"), ("stage", "stage")):
        codes, vocabulary = pd.factorize(pd.Series([by_id[int(i)].get(key, "") for i in facts.visitor]), sort=True)
        setattr(facts, name, codes.astype(np.int16))
        setattr(facts, f"{name}s_all", [str(x) for x in vocabulary])
    return facts


LAYER = gpd.GeoDataFrame({"area_id": ["310115", "310104"], "area_name": ["浦东新区", "徐汇区"]},
                         geometry=[box(121.5, 31.0, 121.9, 31.4), box(121.4, 31.1, 121.45, 31.2)], crs=4326)

VISITORS = [
    {"id": 11, "home": "310115", "work": "310104", "channel": "拓客", "intention": "A", "visit": dt.date(2026, 11, 4),
     "team": "先锋队", "stage": "签约", "deal_date": dt.date(2026, 11, 20)},
    {"id": 12, "home": "310104", "work": None, "channel": "拓客", "intention": "C", "visit": dt.date(2026, 11, 9),
     "team": ""},
    {"id": 13, "home": "320500", "work": "310115", "channel": "自然到访", "intention": "B",
     "visit": dt.date(2026, 11, 10), "team": "老王"},
]


@pytest.fixture(scope="module")
def facts():
    return facts_of(VISITORS)


def test_one_row_per_visitor_with_the_area_of_the_chosen_dimension(facts):
    home = TM.visitor_frame(facts, LAYER_ID, "home", LAYER)
    assert list(home.columns) == list(TM.FRAME_COLUMNS)
    assert home["visitor_id"].tolist() == [11, 12, 13]
    assert home["area_id"].tolist() == ["310115", "310104", ""]  # 320500 is not an area of the layer
    assert home["area_name"].tolist() == ["浦东新区", "徐汇区", ""]
    work = TM.visitor_frame(facts, LAYER_ID, "work")  # the layer is placed once and kept
    assert work["area_id"].tolist() == ["310104", "", "310115"]  # visitor 12 gave no work place


def test_visitor_fields_dates_and_week(facts):
    frame = TM.visitor_frame(facts, LAYER_ID, "home", LAYER)
    assert frame["team_text"].tolist() == ["先锋队", "", "老王"]
    assert frame["channel"].tolist() == ["拓客", "拓客", "自然到访"]
    assert frame["high"].tolist() == [True, False, True]
    assert frame["deal"].tolist() == [True, False, False]
    assert frame["signed"].tolist() == [True, False, False]
    assert frame["visit_date"].dt.date.tolist() == [dt.date(2026, 11, 4), dt.date(2026, 11, 9), dt.date(2026, 11, 10)]
    # 2026-11-04 is a Wednesday, 11-09 a Monday, 11-10 a Tuesday
    assert frame["week"].dt.date.tolist() == [dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 9)]
    assert frame["deal_date"].iloc[0] == pd.Timestamp("2026-11-20") and frame["deal_date"].iloc[1:].isna().all()
    assert frame["visit_date"].dtype == "datetime64[ns]" and frame["week"].dtype == "datetime64[ns]"


def test_facts_without_team_or_stage_give_empty_text():
    plain = facts_of(VISITORS)
    for name in ("team", "teams_all", "stage", "stages_all"):
        setattr(plain, name, None)
    frame = TM.visitor_frame(plain, LAYER_ID, "home", LAYER)
    assert frame["team_text"].tolist() == ["", "", ""] and not frame["signed"].any()


TEAMS = pd.DataFrame({"id": [5, 2], "name": ["先锋一队", " 浦东组 "], "aliases": ["先锋队、XF", ""],
                      "active": [True, False]})


def test_attribution_rules_in_order(facts):
    frame = TM.visitor_frame(facts, LAYER_ID, "home", LAYER)
    territory = {"areas": [{"area_id": "310104", "team_id": 2}, {"area_id": "310115", "team_id": 2}]}
    out = TM.attribute(frame, TEAMS, territory, ["拓客"])
    # 11: the alias 先锋队 wins over the territory; 12: 拓客 in 徐汇 → 浦东组 (inactive teams keep their
    # areas); 13: 老王 is no team and 自然到访 is no outreach channel
    assert out["team_id"].tolist() == [5, 2, pd.NA]
    assert out["team"].tolist() == ["先锋一队", " 浦东组 ", TM.UNATTRIBUTED]
    assert out["source"].tolist() == [TM.SOURCE_IMPORT, TM.SOURCE_TERRITORY, ""]
    assert out["team_id"].dtype == "Int64"
    assert len(out) == len(frame)  # nothing dropped


def test_names_match_trimmed_and_case_folded():
    frame = pd.DataFrame({"visitor_id": [1, 2, 3], "area_id": ["", "", ""], "channel": ["拓客"] * 3,
                          "team_text": [" xf ", "浦东组", "Xf队"], "high": [False] * 3, "deal": [False] * 3})
    out = TM.attribute(frame, TEAMS, None, ["拓客"])
    assert out["team_id"].tolist() == [5, 2, pd.NA]


def test_a_name_two_teams_share_goes_to_the_lower_id():
    teams = pd.DataFrame({"id": [9, 4], "name": ["甲队", "乙队"], "aliases": ["老王", "老王"]})
    frame = pd.DataFrame({"visitor_id": [1], "area_id": [""], "channel": [""], "team_text": ["老王"],
                          "high": [False], "deal": [False]})
    assert TM.attribute(frame, teams, None, [])["team_id"].tolist() == [4]


def test_summary_counts_per_team_and_the_unattributed_row(facts):
    frame = TM.visitor_frame(facts, LAYER_ID, "home", LAYER)
    teams = pd.concat([TEAMS, pd.DataFrame({"id": [8], "name": ["空闲队"], "aliases": [""], "active": [True]})])
    out = TM.attribute(frame, teams, {"areas": [{"area_id": "310104", "team_id": 2}]}, ["拓客"])
    summary = TM.team_summary(out, teams)
    assert summary["team"].tolist() == [" 浦东组 ", "先锋一队", "空闲队", TM.UNATTRIBUTED]
    assert summary[["visitors", "high", "deals"]].values.tolist() == [[1, 0, 0], [1, 1, 1], [0, 0, 0], [1, 1, 0]]
    assert summary["by_import"].tolist() == [0, 1, 0, 0] and summary["by_territory"].tolist() == [1, 0, 0, 0]
    assert summary["visitors"].sum() == len(frame)


def test_reasons_for_the_unattributed(facts):
    frame = TM.visitor_frame(facts, LAYER_ID, "home", LAYER)
    out = TM.attribute(frame, TEAMS.iloc[:1], None, ["拓客"])
    reasons = TM.unattributed_reasons(out, ["拓客"]).set_index("kind")
    # 12: 拓客 in 徐汇 but no territory; 13: 老王 is an unknown team text
    assert reasons["visitors"].to_dict() == {"unknown_text": 1, "no_area": 0, "unassigned_area": 1,
                                             "other_channel": 0}
    assert reasons.loc["unknown_text", "examples"] == "老王"
