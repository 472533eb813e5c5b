"""周复盘 (mapping.ops.weekly): a three-week frame and a territory whose figures are worked out by hand.

Territory (approved in W1): 甲队 holds 金桥 (A; 3/2/1 visits/high/deals a week) and 张江 (B; 2/1/0);
乙队 holds 外高桥 (A; 4/2/1), 川沙 (B; 1/0/0) and 三林 (D; 0/0/0); 陆家嘴 (C) is in the plan but
unassigned; 丙队 holds nothing.  k = 2.
"""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from mapping.ops import weekly as R

W1, W2, W3 = dt.date(2024, 3, 4), dt.date(2024, 3, 11), dt.date(2024, 3, 18)
K = 2

TEAMS = pd.DataFrame({"id": [1, 2, 3], "name": ["甲队", "乙队", "丙队"], "kind": ["渠道团队", "拓客小组", "中介公司"],
                      "active": [True, True, True]})


def _area(area_id, name, grade, team, visits, high, deals):
    return {"area_id": area_id, "area_name": name, "grade": grade, "score": 1.0, "team_id": team, "tactic": "",
            "per_week": 1, "staff_days": 1, "target_visits": visits, "target_high": high, "target_deals": deals}


TERRITORY = {"name": "三月", "version": 1, "status": "approved", "created_at": dt.datetime(2024, 3, 1, 9),
             "approved_at": dt.datetime(2024, 3, 6, 10), "approved_by": "总监",
             "payload": {"layer_id": "x", "dimension": "home", "line": "", "bids": [], "note": "", "areas": [
                 _area("a1", "金桥", "A", 1, 3, 2, 1), _area("a2", "张江", "B", 1, 2, 1, 0),
                 _area("a3", "外高桥", "A", 2, 4, 2, 1), _area("a5", "川沙", "B", 2, 1, 0, 0),
                 _area("a7", "三林", "D", 2, 0, 0, 0), _area("a4", "陆家嘴", "C", None, 0, 0, 0)]}}

NAMES = {"a1": "金桥", "a2": "张江", "a3": "外高桥", "a4": "陆家嘴", "a5": "川沙", "a6": "世纪公园", "": ""}


def _frame(last_day_offset: int = 2) -> pd.DataFrame:
    rows = []

    def add(week, area, team, n=1, high=0, deals=0, deal_week=None, offset=0):
        for i in range(n):
            deal = i < deals
            rows.append({"visitor_id": len(rows) + 1, "area_id": area, "area_name": NAMES[area],
                         "team_id": team, "high": i < high, "deal": deal,
                         "visit_date": pd.Timestamp(week + dt.timedelta(days=offset)),
                         "deal_date": pd.Timestamp(deal_week or week) + pd.Timedelta(days=1) if deal else pd.NaT})

    add(W1, "a1", 1, n=3, high=2, deals=1)
    add(W1, "a3", 2, n=2)
    add(W1, "a5", 2)
    add(W2, "a1", 1, n=2, high=1)
    add(W2, "a2", 1, n=2, high=1, deals=1, deal_week=W3)  # the deal is signed in W3
    add(W2, "a3", 2, high=1)
    add(W2, "a4", None, n=3, deals=1)
    add(W2, "a6", None, deals=1)
    add(W2, "", None, n=2)
    add(W3, "a1", 1, offset=last_day_offset)
    frame = pd.DataFrame(rows)
    frame["team_id"] = frame["team_id"].astype("Int64")
    return frame


@pytest.fixture
def counts():
    return R.week_counts(_frame())


def _row(table, team):
    return table.set_index("团队").loc[team]


def test_team_targets_and_actuals_this_week_and_since_approval(counts):
    table = R.team_table(counts, TERRITORY, TEAMS, W2, K)
    assert table["团队"].tolist() == ["甲队", "乙队", "丙队", "未归属"]
    jia = _row(table, "甲队")
    assert (jia["片区数"], jia["本周目标到访"], jia["本周目标高意向"], jia["本周目标成交"]) == (2, 5, 3, 1)
    assert (jia["本周到访"], jia["本周高意向"], jia["本周成交"]) == (4, 2, 0)  # 张江's deal is W3's
    assert jia["到访达成率"] == pytest.approx(0.8) and jia["高意向达成率"] == pytest.approx(2 / 3)
    assert jia["成交达成率"] == 0
    assert jia["累计周数"] == 2  # approved in W1: W1 and W2
    assert (jia["累计目标到访"], jia["累计目标高意向"], jia["累计目标成交"]) == (10, 6, 2)
    assert (jia["累计到访"], jia["累计高意向"], jia["累计成交"]) == (7, 4, 1)
    assert jia["累计到访达成率"] == pytest.approx(0.7) and jia["累计成交达成率"] == pytest.approx(0.5)
    assert jia["状态"] == "落后"


def test_small_counts_are_withheld_and_status_still_said(counts):
    yi = _row(R.team_table(counts, TERRITORY, TEAMS, W2, K), "乙队")
    assert yi["片区数"] == 3 and yi["本周目标到访"] == 5
    assert np.isnan(yi["本周到访"]) and np.isnan(yi["本周高意向"]) and np.isnan(yi["到访达成率"])  # 1 visitor < k
    assert (yi["累计到访"], yi["累计高意向"], yi["累计成交"]) == (4, 1, 0)  # 3 + 1: shown
    assert "本周少于 2 人，不显示人数" in yi["备注"]
    assert yi["状态"] == "落后"


def test_team_without_areas_and_the_unattributed_row(counts):
    table = R.team_table(counts, TERRITORY, TEAMS, W2, K)
    bing = _row(table, "丙队")
    assert (bing["片区数"], bing["本周到访"], bing["状态"]) == (0, 0, "无片区")
    rest = _row(table, "未归属")
    assert (rest["本周到访"], rest["本周高意向"], rest["本周成交"]) == (6, 0, 2)  # 陆家嘴 3 + 世纪公园 1 + no area 2
    assert np.isnan(rest["本周目标到访"]) and rest["状态"] == "—"
    assert "未能归属" in rest["备注"]


def test_met_targets_and_weeks_before_the_territory():
    frame = _frame()
    extra = pd.DataFrame({"visitor_id": [100, 101], "area_id": ["a1", "a1"], "area_name": ["金桥"] * 2,
                          "team_id": pd.array([1, 1], dtype="Int64"), "high": [True, True], "deal": [True, False],
                          "visit_date": pd.Timestamp(W2), "deal_date": [pd.Timestamp(W2), pd.NaT]})
    counts = R.week_counts(pd.concat([frame, extra], ignore_index=True))
    assert _row(R.team_table(counts, TERRITORY, TEAMS, W2, K), "甲队")["状态"] == "达标"  # 6/5, 4/3, 1/1
    later = {**TERRITORY, "approved_at": dt.datetime(2024, 3, 13)}  # in W2: W1 is before it
    jia = _row(R.team_table(counts, later, TEAMS, W1, K), "甲队")
    assert jia["累计周数"] == 0 and np.isnan(jia["累计到访"])
    assert "2024-03-11" in jia["备注"]
    draft = {**TERRITORY, "status": "draft", "approved_at": None}  # a draft counts from its creation (W5 of Feb)
    assert _row(R.team_table(counts, draft, TEAMS, W2, K), "甲队")["累计周数"] == 3


def test_new_battlefields_outside_every_territory(counts):
    table = R.new_battlefields(counts, TERRITORY, W2, K)
    assert table["片区"].tolist() == ["陆家嘴", "世纪公园"]
    lj, sj = table.iloc[0], table.iloc[1]
    assert (lj["等级"], lj["近2周到访"], lj["近2周高意向"], lj["近2周成交"]) == ("C", 3, 0, 1)
    assert lj["说明"] == "近2周到访不少于 2 人"
    assert sj["等级"] == "未分级" and np.isnan(sj["近2周到访"]) and np.isnan(sj["近2周成交"])
    assert sj["说明"] == "有成交；少于 2 人，不显示人数"
    assert R.new_battlefields(counts, TERRITORY, W3, K)["片区"].tolist() == ["陆家嘴", "世纪公园"]  # W2 + W3
    nothing = R.new_battlefields(counts, None, W2, K)  # no territory: every producing area is outside
    assert set(nothing["片区"]) == {"金桥", "张江", "外高桥", "陆家嘴", "世纪公园"}


def test_silent_areas(counts):
    w2 = R.silent_areas(counts, TERRITORY, TEAMS, W2, 2)
    assert w2.values.tolist() == [["三林", "乙队", "D", 2, "从未有到访"]]
    w3 = R.silent_areas(counts, TERRITORY, TEAMS, W3, 2)
    assert w3.values.tolist() == [["三林", "乙队", "D", 3, "从未有到访"], ["川沙", "乙队", "B", 2, "2024-03-04"]]
    assert R.silent_areas(counts, TERRITORY, TEAMS, W3, 1)["片区"].tolist() == ["三林", "川沙", "外高桥", "张江"]
    with pytest.raises(ValueError, match="沉默周数"):
        R.silent_areas(counts, TERRITORY, TEAMS, W3, 0)


def test_competitors_near_producing_areas(counts):
    centroids = pd.DataFrame({"area_id": ["a1", "a2", "a3", "a4", "a6"], "lng": [121.60, 121.80, 121.58, 121.50, 121.55],
                              "lat": [31.25, 31.10, 31.35, 31.24, 31.22]})
    sites = [{"name": "竞品甲", "lng": 121.60, "lat": 31.26}, {"name": "竞品乙", "lng": 121.55, "lat": 31.24},
             {"name": "竞品丙", "lng": None, "lat": None}]
    table = R.competitors_near(counts, centroids, sites, W2, K, 3.0, territory=TERRITORY, teams=TEAMS)
    got = table.astype(object).where(table.notna(), None).values.tolist()
    # 0.01° of latitude is 1.11 km; every other pair is more than 3 km apart
    assert got == [["金桥", "甲队", 5.0, "竞品甲", 1.1], ["世纪公园", "未分配", None, "竞品乙", 2.2]]
    assert table.attrs["skipped"] == ["竞品丙"]
    assert R.competitors_near(counts, centroids, sites, W2, K, 1.5, territory=TERRITORY)["竞品"].tolist() == ["竞品甲"]
    with pytest.raises(ValueError, match="公里"):
        R.competitors_near(counts, centroids, sites, W2, K, 0)


def test_share_of_visits_from_assigned_areas(counts):
    share = R.assignment_share(counts, TERRITORY, W2, K)
    assert share["来源"].tolist() == ["已分配片区", "未分配片区", "位置未落到片区"]
    assert share["到访"].tolist() == [5, 4, 2]  # 金桥 2 + 张江 2 + 外高桥 1; 陆家嘴 3 + 世纪公园 1
    assert share["占比"].tolist() == pytest.approx([5 / 11, 4 / 11, 2 / 11])
    tiny = R.assignment_share(counts, TERRITORY, W3, K)  # W3: one visitor in 金桥
    assert np.isnan(tiny.loc[0, "到访"]) and tiny.loc[0, "说明"] == "少于 2 人，不显示人数"


def test_grade_mix_of_producing_areas(counts):
    mix = R.grade_mix(counts, TERRITORY, W2, K)
    assert mix["等级"].tolist() == ["A", "B", "C", "未分级"]
    assert mix["产出片区数"].tolist() == [2, 1, 1, 1]  # 金桥 + 外高桥; 张江; 陆家嘴; 世纪公园 (a deal)
    assert mix["近2周到访"].tolist()[:3] == [8, 2, 3] and np.isnan(mix["近2周到访"].iloc[3])
    assert mix["到访占比"].tolist()[:3] == pytest.approx([8 / 14, 2 / 14, 3 / 14])


def test_area_actuals_for_the_team_sheets(counts):
    actuals = R.area_actuals(counts, W2, K)
    got = actuals.astype(object).where(actuals.notna(), None).values.tolist()
    assert got == [["a1", 1, 2, 1, 0], ["a2", 1, 2, 1, 0], ["a4", None, 3, 0, 1]]
    assert actuals.attrs["withheld"] == 2  # 外高桥 and 世纪公园: 1 visitor each


def test_review_weeks_end_with_the_last_complete_week():
    assert R.review_weeks(R.week_counts(_frame(last_day_offset=2))) == [W2, W1]  # data end on W3's Wednesday
    assert R.review_weeks(R.week_counts(_frame(last_day_offset=6))) == [W3, W2, W1]  # … on W3's Sunday


def test_review_puts_it_all_together(counts):
    review = R.review(counts, TERRITORY, TEAMS, W2 + dt.timedelta(days=3), min_count=K)
    assert review.week == W2
    assert len(review.teams) == 4 and len(review.new_battlefields) == 2 and len(review.silent) == 1
    assert review.competitors.empty  # no centroids given
    gone = R.review(counts, None, TEAMS.iloc[0:0], W2, min_count=K)  # teams deleted since: still counted
    assert gone.teams["团队"].tolist() == ["团队 1（已删除）", "团队 2（已删除）", "未归属"]
    assert (gone.teams["状态"].tolist(), gone.silent.empty) == (["无片区", "无片区", "—"], True)


def test_deal_without_date_counts_in_its_visit_week():
    frame = pd.DataFrame({"area_id": ["a1"], "area_name": ["金桥"], "high": [False], "deal": [True],
                          "visit_date": [pd.Timestamp(W2)], "deal_date": [pd.NaT]})
    counts = R.week_counts(frame)
    assert counts[["week", "visits", "deals"]].values.tolist() == [[pd.Timestamp(W2), 1, 1]]
    assert counts["team_id"].tolist() == [R.NO_TEAM]
