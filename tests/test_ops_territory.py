"""Territories: potential, balancing, balance index, auction and checks on small hand-checked grids."""

import numpy as np
import pandas as pd
import pytest

from mapping.ops import territory as T


def line_of_areas(n: int, grades=None, scores=None) -> pd.DataFrame:
    """``n`` areas a0…a(n-1) in a row along latitude 31°, 0.01° (≈ 0.95 km) apart."""
    return pd.DataFrame({"area_id": [f"a{i}" for i in range(n)], "grade": grades or ["A"] * n,
                         "score": scores or [10.0] * n, "lng": [121.0 + 0.01 * i for i in range(n)],
                         "lat": [31.0] * n})


def two_teams(size1=1, size2=1, base1=(121.0, 31.0), base2=(121.05, 31.0)) -> pd.DataFrame:
    return pd.DataFrame({"id": [1, 2], "name": ["东队", "西队"], "size": [size1, size2],
                         "base_lng": [base1[0], base2[0]], "base_lat": [base1[1], base2[1]]})


def owners(result: pd.DataFrame) -> dict:
    return {a: (None if pd.isna(t) else int(t)) for a, t in zip(result["area_id"], result["team_id"])}


def test_potential_is_score_times_grade_weight():
    areas = pd.DataFrame({"grade": ["A", "B", "C", "D", "样本不足", "无到访", "A"],
                          "score": [10, 10, 10, 10, 10, 0, None]})
    assert T.potential(areas).tolist() == [40.0, 30.0, 20.0, 10.0, 0.0, 0.0, 0.0]


def test_two_equal_teams_split_six_areas_at_the_middle():
    # a0..a5 all A with score 10 (potential 40 each); bases at a0 and a5: 120 each, 3 areas each
    result = T.balance(line_of_areas(6), two_teams())
    assert owners(result) == {"a0": 1, "a1": 1, "a2": 1, "a3": 2, "a4": 2, "a5": 2}


def test_a_team_twice_the_size_gets_twice_the_potential():
    # targets 160 and 80: 东队 takes a0..a3 nearest first, 西队 a4 and a5
    result = T.balance(line_of_areas(6), two_teams(size1=2, size2=1))
    assert owners(result) == {"a0": 1, "a1": 1, "a2": 1, "a3": 1, "a4": 2, "a5": 2}
    index = T.balance_index(result, line_of_areas(6), two_teams(size1=2, size2=1)).set_index("team_id")
    assert index.loc[1, "potential"] == 160.0 and index.loc[2, "potential"] == 80.0
    assert index["index"].tolist() == [100.0, 100.0]
    assert index.loc[1, "target_share"] == pytest.approx(2 / 3)


def test_potential_not_count_is_balanced():
    areas = line_of_areas(6, grades=["A", "C", "C", "D", "D", "D"], scores=[30.0, 10, 10, 20, 20, 20])
    # potentials: 120, 20, 20, 20, 20, 20 = 220; targets 110 each
    result = T.balance(areas, two_teams())
    # 东队 takes a0 (120 ≥ 110 after); everything else goes to 西队 (100)
    assert owners(result) == {"a0": 1, "a1": 2, "a2": 2, "a3": 2, "a4": 2, "a5": 2}


def test_an_area_equally_far_from_both_goes_to_the_lower_team_id():
    areas = line_of_areas(3)
    teams = two_teams(base1=(121.0, 31.0), base2=(121.02, 31.0))  # a1 is exactly half way
    assert owners(T.balance(areas, teams)) == {"a0": 1, "a1": 1, "a2": 2}
    # the same with the teams given in the other order: the ids decide, not the row order
    assert owners(T.balance(areas, teams.iloc[::-1])) == {"a0": 1, "a1": 1, "a2": 2}


def test_a_locked_area_stays_and_counts_toward_its_team():
    # a5 locked to 东队 (40): 东队 then takes a0, a1 (120); 西队 a4, a3, a2 (120)
    result = T.balance(line_of_areas(6), two_teams(), locked={"a5": 1})
    assert owners(result) == {"a0": 1, "a1": 1, "a2": 2, "a3": 2, "a4": 2, "a5": 1}


def test_areas_without_potential_stay_unassigned_unless_locked():
    areas = line_of_areas(4, grades=["A", "样本不足", "A", "无到访"], scores=[10.0, 3.0, 10.0, 0.0])
    result = T.balance(areas, two_teams(base2=(121.02, 31.0)), locked={"a3": 2})
    assert owners(result) == {"a0": 1, "a1": None, "a2": 2, "a3": 2}
    assert result["team_id"].dtype == "Int64"


def test_teams_without_a_base_start_at_the_highest_potential_areas():
    areas = line_of_areas(4, scores=[10.0, 5.0, 5.0, 10.0])  # potentials 40, 20, 20, 40
    teams = pd.DataFrame({"id": [1, 2], "name": ["甲", "乙"], "size": [1, 1],
                          "base_lng": [np.nan, np.nan], "base_lat": [np.nan, np.nan]})
    # seeds: 甲 at a0 (40, first by id of the tie with a3), 乙 at a3; each takes its neighbour
    assert owners(T.balance(areas, teams)) == {"a0": 1, "a1": 1, "a2": 2, "a3": 2}


def test_balancing_is_deterministic_and_balanced_on_a_random_grid():
    rng = np.random.default_rng(7)
    n = 120
    areas = pd.DataFrame({"area_id": [f"z{i:03d}" for i in range(n)], "grade": rng.choice(list("ABCD"), n),
                          "score": rng.gamma(2.0, 40.0, n), "lng": 121 + rng.random(n) * 0.5,
                          "lat": 31 + rng.random(n) * 0.4})
    teams = pd.DataFrame({"id": [3, 5, 9], "name": ["a", "b", "c"], "size": [2, 1, 1],
                          "base_lng": [121.1, 121.4, np.nan], "base_lat": [31.1, 31.3, np.nan]})
    first = T.balance(areas, teams)
    again = T.balance(areas.sample(frac=1.0, random_state=1), teams)
    assert owners(first) == owners(again)
    index = T.balance_index(first, areas, teams)
    assert index["index"].between(100 * (1 - T.BALANCE_TOLERANCE) - 1e-6, 100 * (1 + T.BALANCE_TOLERANCE) + 1e-6).all()
    assert index["areas"].sum() == n


def test_an_area_without_a_centroid_is_still_assigned():
    areas = line_of_areas(4)
    areas.loc[3, ["lng", "lat"]] = np.nan
    result = T.balance(areas, two_teams(base2=(121.02, 31.0)))
    assert result["team_id"].notna().all()


@pytest.mark.parametrize("teams, locked, message", [
    (pd.DataFrame(columns=["id", "name", "size"]), {}, "还没有团队"),
    (pd.DataFrame({"id": [1], "name": ["甲"], "size": [0]}), {}, "团队「甲」的人数必须大于 0"),
    (pd.DataFrame({"id": [1], "name": ["甲"], "size": [1]}), {"a9": 1}, "锁定的区域「a9」不在片区表里"),
    (pd.DataFrame({"id": [1], "name": ["甲"], "size": [1]}), {"a0": 4}, "不存在的团队"),
])
def test_bad_balance_input_says_what_to_fix(teams, locked, message):
    with pytest.raises(ValueError, match=message):
        T.balance(line_of_areas(3), teams, locked)


def test_balance_index_without_a_base_measures_from_the_territory_centre():
    areas = line_of_areas(3)
    teams = pd.DataFrame({"id": [1], "name": ["甲"], "size": [1], "base_lng": [np.nan], "base_lat": [np.nan]})
    index = T.balance_index(pd.DataFrame({"area_id": ["a0", "a1", "a2"], "team_id": [1, 1, 1]}), areas, teams)
    one_step = float(T.haversine_km(121.0, 31.0, 121.01, 31.0))
    assert index["mean_km"].iloc[0] == pytest.approx(2 * one_step / 3, rel=1e-3)  # 1, 0, 1 steps from a1
    assert index["index"].iloc[0] == 100.0


# ------------------------------------------------------------------- auction
def bids(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["team_id", "area_id", "target_visits", "target_deals", "at"])


def test_the_most_deals_promised_wins_then_visits_then_the_earliest_then_the_lower_id():
    table = bids((1, "金桥", 40, 2, "2026-12-01 09:00"), (2, "金桥", 20, 3, "2026-12-01 10:00"),   # deals
                 (1, "张江", 30, 2, "2026-12-01 09:00"), (2, "张江", 35, 2, "2026-12-01 10:00"),   # visits
                 (1, "川沙", 30, 2, "2026-12-01 11:00"), (2, "川沙", 30, 2, "2026-12-01 10:00"),   # earlier
                 (3, "唐镇", 30, 2, "2026-12-01 10:00"), (2, "唐镇", 30, 2, "2026-12-01 10:00"))   # lower id
    out = T.award(table).set_index("area_id")
    assert out.loc["金桥", "team_id"] == 2 and out.loc["金桥", "runner_up"] == 1
    assert out.loc["张江", "team_id"] == 2 and out.loc["张江", "target_visits"] == 35
    assert out.loc["川沙", "team_id"] == 2
    assert out.loc["唐镇", "team_id"] == 2 and out.loc["唐镇", "runner_up"] == 3
    assert out.loc["金桥", ["target_visits", "target_deals"]].tolist() == [20, 3]
    assert out["bidders"].tolist() == [2, 2, 2, 2]
    assert list(out.index) == sorted(out.index)


def test_a_team_is_held_to_its_latest_bid_and_a_lone_bid_has_no_runner_up():
    table = bids((1, "金桥", 40, 5, "2026-12-01 09:00"), (1, "金桥", 10, 1, "2026-12-02 09:00"),
                 (2, "金桥", 20, 2, "2026-12-01 10:00"), (2, "张江", 5, 0, None))
    out = T.award(table).set_index("area_id")
    assert out.loc["金桥", "team_id"] == 2 and out.loc["金桥", "runner_up"] == 1  # team 1 lowered its bid
    assert out.loc["张江", "team_id"] == 2 and pd.isna(out.loc["张江", "runner_up"])


def test_no_bids_award_nothing():
    out = T.award(bids())
    assert out.empty and list(out.columns) == ["area_id", "team_id", "target_visits", "target_deals", "runner_up",
                                               "bidders"]


@pytest.mark.parametrize("row, message", [
    ((1, "金桥", -1, 1, None), "第 1 行的「承诺周到访」应是不小于 0 的整数"),
    ((1, "金桥", 10, 1.5, None), "第 1 行的「承诺周成交」"),
    ((None, "金桥", 10, 1, None), "第 1 行没有选「团队」"),
    ((1, "", 10, 1, None), "第 1 行没有选「区域」"),
])
def test_bad_bids_name_row_and_column(row, message):
    with pytest.raises(ValueError, match=message):
        T.award(bids(row))


# ------------------------------------------------------------------- checks
def test_check_flags_overlaps_unassigned_key_areas_and_idle_teams():
    teams = pd.DataFrame({"id": [1, 2, 3], "name": ["东队", "西队", "南队"], "active": [True, True, False]})
    grades = pd.DataFrame({"area_id": ["a", "b", "c", "d"], "area_name": ["金桥", "张江", "川沙", "唐镇"],
                           "grade": ["A", "B", "B", "C"]})
    payload = [{"area_id": "a", "team_id": 1}, {"area_id": "a", "team_id": 1}, {"area_id": "c", "team_id": 1},
               {"area_id": "d", "team_id": None}]
    flags = T.check(payload, grades, teams)
    assert flags[["kind", "area_id"]].values.tolist() == [
        [T.FLAG_OVERLAP, "a"], [T.FLAG_UNASSIGNED, "b"], [T.FLAG_IDLE_TEAM, ""]]
    assert "张江" in flags["message"].iloc[1] and "西队" in flags["message"].iloc[2]  # 南队 is inactive


def test_check_of_a_clean_set_is_empty_and_unknown_teams_are_flagged():
    grades = {"a": "A", "b": "D"}
    teams = pd.DataFrame({"id": [1], "name": ["东队"]})
    assert T.check([{"area_id": "a", "team_id": 1}], grades, teams).empty
    flags = T.check([{"area_id": "a", "team_id": 1}, {"area_id": "b", "team_id": 7}], grades, teams)
    assert flags["kind"].tolist() == [T.FLAG_UNKNOWN_TEAM]
