"""蓄客目标 (mapping.ops.pipeline): a tiny three-week frame whose figures are worked out by hand."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from mapping.ops import pipeline as P

W1, W2, W3 = dt.date(2024, 3, 4), dt.date(2024, 3, 11), dt.date(2024, 3, 18)  # Mondays
SUNDAY = dt.date(2024, 3, 24)  # the end of W3: three full weeks
OPENING = dt.date(2024, 4, 15)  # a Monday: 21 whole days (3 weeks) after SUNDAY and before it


def _frame() -> pd.DataFrame:
    """洋房 high-intention visitors: 2 in W1, 3 in W2, 4 in W3 (9); C-grade and 公寓 visitors around them."""
    rows = []

    def add(day, line, high, team="甲队", area=("a1", "金桥"), channel="拓客"):
        rows.append({"visitor_id": len(rows) + 1, "line": line, "high": high, "intention": "A" if high else "C",
                     "visit_date": pd.Timestamp(day), "team": team, "area_id": area[0], "area_name": area[1],
                     "channel": channel})

    for day in (W1, W1 + dt.timedelta(days=6)):  # 2 in W1 (Monday and Sunday)
        add(day, "洋房", True)
    for i in range(3):  # 3 in W2, by 乙队 in 张江 through 中介
        add(W2 + dt.timedelta(days=i), "洋房", True, team="乙队", area=("a2", "张江"), channel="中介")
    for i in range(4):  # 4 in W3
        add(W3 + dt.timedelta(days=i), "洋房", True)
    add(W2, "洋房", False)  # not high: never counted
    add(W3, "洋房", False, team="未归属", area=("", ""), channel="自然到访")
    add(W1, "公寓", True, area=("a3", "外高桥"))  # another line
    frame = pd.DataFrame(rows)
    frame["week"] = frame["visit_date"] - pd.to_timedelta(frame["visit_date"].dt.day_of_week, unit="D")
    return frame


def test_pool_pace_projection_and_gap_by_hand():
    p = P.pipeline(_frame(), "洋房", units=10, ratio=2.5, opening=OPENING, as_of=SUNDAY)
    assert p.target == 25  # 10 × 2.5
    assert p.current == 9  # 2 + 3 + 4
    assert p.pace == 3.0 and p.pace_weeks == 3  # younger than 4 full weeks: the mean of 3
    assert p.weeks_left == 3.0  # 25.3 … 14.4: 21 days
    assert p.projected == 18.0  # 9 + 3 × 3
    assert p.gap == 7.0 and p.remaining == 16
    assert p.needed_per_week == pytest.approx(16 / 3)
    assert p.status == "不够" and not p.enough
    assert p.text == "洋房：还差 16 组高意向，按目前每周 3 组的速度开盘时仍差 7 组，需要每周 6 组才够"


def test_enough_when_the_projection_reaches_the_target():
    p = P.pipeline(_frame(), "洋房", units=10, ratio=1.5, opening=OPENING, as_of=SUNDAY)
    assert (p.target, p.projected, p.status) == (15, 18.0, "够")
    assert p.text == "洋房：还差 6 组高意向，按目前每周 3 组的速度开盘前可补足"


def test_weekly_rows_actual_then_projection_to_the_opening_week():
    weekly = P.pipeline(_frame(), "洋房", units=10, ratio=2.5, opening=OPENING, as_of=SUNDAY).weekly
    assert [d.date() for d in weekly["week"]] == [W1 + dt.timedelta(days=7 * i) for i in range(6)]
    assert weekly["new_high"].tolist()[:3] == [2, 3, 4]
    assert weekly["accumulated"].tolist()[:3] == [2, 5, 9]
    assert weekly["accumulated"].iloc[3:].isna().all()
    assert np.isnan(weekly["projected"].iloc[0]) and np.isnan(weekly["projected"].iloc[1])
    assert weekly["projected"].iloc[2:].tolist() == [9, 12, 15, 18]  # today's pool, then +3 a week
    assert (weekly["target"] == 25).all()


def test_whole_project_counts_every_line_and_as_of_defaults_to_the_last_visit():
    p = P.pipeline(_frame(), "", units=4, ratio=2, opening=OPENING)
    assert p.as_of == dt.date(2024, 3, 21)  # W3's last visit (a Thursday): W3 is not full
    assert p.current == 10  # 9 洋房 + 1 公寓
    assert (p.pace, p.pace_weeks) == (3.0, 2)  # W1 (2 + 1 公寓) and W2 (3)
    assert p.text.startswith("全部业态：")


def test_pace_is_the_mean_of_the_last_four_full_weeks():
    days = [W1] * 10 + [W2] + [W3] * 2 + [W3 + dt.timedelta(days=7)] * 3 + [W3 + dt.timedelta(days=14)] * 4
    frame = pd.DataFrame({"line": "洋房", "high": True, "visit_date": pd.to_datetime(days)})
    p = P.pipeline(frame, "洋房", units=100, ratio=2, opening=dt.date(2024, 6, 3), as_of=dt.date(2024, 4, 7))
    assert p.pace == 2.5 and p.pace_weeks == 4  # (1 + 2 + 3 + 4) / 4; W1's 10 is older


def test_partial_week_counts_in_the_pool_but_not_in_the_pace():
    p = P.pipeline(_frame(), "洋房", units=10, ratio=2.5, opening=OPENING, as_of=dt.date(2024, 3, 19))
    assert p.current == 7  # W1 2 + W2 3 + W3's Monday and Tuesday
    assert p.pace == 2.5  # W1 and W2 only
    assert p.weeks_left == 26 / 7


def test_after_the_opening_only_visitors_before_it_count():
    p = P.pipeline(_frame(), "洋房", units=2, ratio=2, opening=W3, as_of=SUNDAY)
    assert p.current == 5 and p.weeks_left == 0
    assert p.text == "洋房：已到开盘日，开盘前累计 5 组高意向，目标 4 组，已达标。"


def test_no_target_and_no_opening_are_said():
    assert "还没有设置蓄客目标" in P.pipeline(_frame(), "洋房", units=0, ratio=2, opening=OPENING).text
    assert "请先设置开盘日期" in P.pipeline(_frame(), "洋房", units=5, ratio=2, opening=None).text


def test_settings_targets_and_opening():
    settings = P.with_xuke({"xuke": {"公寓": {"units": 50, "ratio": 3}}}, "洋房", 101, 2.5)
    table = P.targets(settings, ["洋房", "公寓", "别墅"])
    assert table.values.tolist() == [["洋房", 101, 2.5, 253], ["公寓", 50, 3.0, 150], ["别墅", 0, 2.5, 0]]
    assert P.opening_date({"opening_date": None}, dt.date(2024, 5, 1)) == dt.date(2024, 5, 1)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        P.opening_date({"opening_date": "下周一"}, None)
    with pytest.raises(ValueError, match="不能是负数"):
        P.with_xuke({}, "洋房", -1, 2)


def test_summary_row_in_words():
    states = P.pipelines(_frame(), P.with_xuke({"opening_date": "2024-04-15"}, "洋房", 10, 2.5), ["洋房"], None,
                         as_of=SUNDAY)
    row = P.summary(states).iloc[0]
    assert (row["目标高意向"], row["已有高意向"], row["缺口"], row["每周需要"], row["够不够"]) == (25, 9, 7, 6, "不够")


def test_gap_closers_rank_teams_areas_channels_by_hand():
    # the last 2 full weeks (W2, W3) of 洋房: 乙队/张江/中介 3 high, 甲队/金桥/拓客 4 high (+1 not high in W2)
    costs = {("渠道", "拓客"): 500.0, ("团队", "乙队"): 300.0}
    t = P.gap_closers(_frame(), costs, ["洋房"], weeks=2, gap=7, as_of=SUNDAY)
    assert t.columns.tolist() == P.CLOSER_COLUMNS
    shown = t[["类型", "名称", "近几周到访", "每周可增加高意向", "每高意向成本", "补足缺口需要的周数"]]
    got = shown.astype(object).where(shown.notna(), None).values.tolist()
    nan = None  # no cost known
    assert got == [["渠道", "拓客", 5, 2.0, 500.0, 4],  # 4 high / 2 weeks; 7 / 2 → 4 weeks
                   ["团队", "甲队", 5, 2.0, nan, 4],
                   ["片区", "金桥", 5, 2.0, nan, 4],
                   ["团队", "乙队", 3, 1.5, 300.0, 5],  # 7 / 1.5 → 4.67 → 5
                   ["片区", "张江", 3, 1.5, nan, 5],
                   ["渠道", "中介", 3, 1.5, nan, 5]]
    assert t["排名"].tolist() == [1, 2, 3, 4, 5, 6]
    assert t.loc[0, "高意向率"] == 4 / 5
    assert "未归属" not in t["名称"].tolist() and "自然到访" not in t["名称"].tolist()  # no high: not a closer


def test_gap_closers_withhold_small_areas_and_take_a_cost_frame():
    costs = pd.DataFrame({"类型": ["片区"], "名称": ["张江"], "每高意向成本": [120.0]})
    t = P.gap_closers(_frame(), costs, "洋房", weeks=2, gap=None, as_of=SUNDAY, min_count=4)
    assert "张江" not in t["名称"].tolist()  # 3 visitors < k = 4
    assert t.attrs["withheld"] == 1
    assert t["补足缺口需要的周数"].isna().all()  # no gap given
    with pytest.raises(ValueError, match="每高意向成本"):
        P.gap_closers(_frame(), pd.DataFrame({"名称": ["x"]}), weeks=2, as_of=SUNDAY)


def test_gap_closers_on_nothing():
    empty = _frame().iloc[0:0]
    assert P.gap_closers(empty, None, weeks=2).empty


def test_costs_per_high_from_cost_entries_over_the_window():
    # W2–W3 (14 days); a 拓客 cost of 1,400 元 over W1–W3 (21 days) counts 2/3 = 933.33 in the window,
    # 拓客 brought 4 high-intention visitors in it (甲队's W3 four): 233.33 元 each
    costs = pd.DataFrame({"period_start": [W1], "period_end": [SUNDAY], "channel": ["拓客"], "team_id": [None],
                          "team": [""], "area_id": [""], "category": ["媒体"], "amount": [1400.0], "leads": [None],
                          "note": [""]})
    frame = _frame().assign(deal=False, signed=False, deal_date=pd.NaT,
                            team_id=lambda f: pd.array([1 if t == "甲队" else 2 if t == "乙队" else None
                                                        for t in f["team"]], dtype="Int64"))
    period = P.closer_window(SUNDAY, 2)
    assert period == (W2, SUNDAY)
    found = P.costs_per_high(costs, frame, period)
    assert found == {("渠道", "拓客"): pytest.approx(1400 * 14 / 21 / 4, abs=0.01)}  # costs rounds to the fen
    t = P.gap_closers(frame, found, "洋房", weeks=2, gap=7, as_of=SUNDAY)
    assert t.loc[t["名称"] == "拓客", "每高意向成本"].iloc[0] == pytest.approx(233.33, abs=0.01)
    assert P.costs_per_high(None, frame, period) == {}
