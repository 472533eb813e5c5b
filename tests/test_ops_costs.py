"""mapping.ops.costs: amounts and periods as people type them, a cost file with bad rows (row numbers as
in the file), the template, costs implied by a team's pay model, and the funnel by channel, team and area
with hand-checked costs per result, ranks, the minimum count and the warning."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from mapping.ingest.tables import IngestError
from mapping.ops import costs as C

D = dt.date
TEAMS = pd.DataFrame({"id": [1, 2], "name": ["金桥一组", "张江二组"], "aliases": ["一组、金桥组", ""],
                      "kind": ["拓客小组", "中介公司"], "cost_model": ["按人天", "按成交佣金"],
                      "day_rate": [400.0, 0.0], "commission": [0.0, 5000.0], "monthly_fee": [0.0, 0.0],
                      "active": [True, True]})


# ----------------------------------------------------------------------------- amounts
@pytest.mark.parametrize("text, expected", [
    ("24万", 240_000.0), ("24 万元", 240_000.0), ("¥12,000", 12_000.0), ("￥12，000", 12_000.0),
    ("1.2w", 12_000.0), ("1.2W", 12_000.0), ("3,500元", 3_500.0), ("5k", 5_000.0), ("2千", 2_000.0),
    ("240000", 240_000.0), ("1,234,567.5", 1_234_567.5), ("０", 0.0), ("８８００", 8_800.0), ("300块", 300.0),
])
def test_amounts_people_type(text, expected):
    assert C.parse_amount(text) == expected


def test_a_bare_number_in_a_column_headed_in_wan_is_wan():
    assert C.parse_amount("24", unit=10_000) == 240_000.0
    assert C.parse_amount("24万", unit=10_000) == 240_000.0  # its own unit wins
    assert C.parse_amount("3000元", unit=10_000) == 3_000.0


@pytest.mark.parametrize("text, reason", [
    ("一万", "汉字数字"), ("二十四万", "汉字数字"), ("", "金额为空"), ("3-5万", "范围"), ("-500", "负数"),
    ("约5万", "无法识别"), ("1,2", "千分位"), ("5万美元", "无法识别"), ("abc", "无法识别"),
])
def test_amounts_refused_with_a_reason(text, reason):
    with pytest.raises(ValueError, match=reason):
        C.parse_amount(text)


# ----------------------------------------------------------------------------- periods
@pytest.mark.parametrize("text, year, expected", [
    ("2024-03", None, (D(2024, 3, 1), D(2024, 3, 31))),
    ("2024年3月", None, (D(2024, 3, 1), D(2024, 3, 31))),
    ("2024/02", None, (D(2024, 2, 1), D(2024, 2, 29))),  # a leap year
    ("202403", None, (D(2024, 3, 1), D(2024, 3, 31))),
    ("2024-03-04~2024-03-10", None, (D(2024, 3, 4), D(2024, 3, 10))),
    ("2024-03-04 至 2024-03-10", None, (D(2024, 3, 4), D(2024, 3, 10))),
    ("2024/3/4-2024/3/10", None, (D(2024, 3, 4), D(2024, 3, 10))),
    ("2024-03-04-2024-03-10", None, (D(2024, 3, 4), D(2024, 3, 10))),
    ("2024-03-04～03-10", None, (D(2024, 3, 4), D(2024, 3, 10))),  # the end takes the start's year
    ("第12周", 2024, (D(2024, 3, 18), D(2024, 3, 24))),
    ("2024年第12周", None, (D(2024, 3, 18), D(2024, 3, 24))),
    ("2024-W01", None, (D(2024, 1, 1), D(2024, 1, 7))),
    ("2025年第1周", None, (D(2024, 12, 30), D(2025, 1, 5))),  # ISO week 1 of 2025 starts in 2024
    ("3月", 2024, (D(2024, 3, 1), D(2024, 3, 31))),
    ("2024Q2", None, (D(2024, 4, 1), D(2024, 6, 30))),
    ("2024年第一季度", None, (D(2024, 1, 1), D(2024, 3, 31))),
    ("2024-03-05", None, (D(2024, 3, 5), D(2024, 3, 5))),
    ("2024年3月5日", None, (D(2024, 3, 5), D(2024, 3, 5))),
    ("45356", None, (D(2024, 3, 5), D(2024, 3, 5))),  # an Excel day number
])
def test_periods_people_type(text, year, expected):
    assert C.parse_period(text, year) == expected


def test_a_day_in_a_month_or_week_column_is_its_month_or_week():
    assert C.parse_period("2024-03-01", hint="month") == (D(2024, 3, 1), D(2024, 3, 31))
    assert C.parse_period("2024-03-06", hint="week") == (D(2024, 3, 4), D(2024, 3, 10))


@pytest.mark.parametrize("text, year, reason", [
    ("第12周", None, "没有年份"), ("3月", None, "没有年份"), ("2024-13", None, "月份 13 不存在"),
    ("2024年第60周", None, "没有这一周"), ("2024-03-10~2024-03-04", None, "早于开始日期"),
    ("上个月", None, "无法识别"), ("", None, "期间为空"),
])
def test_periods_refused_with_a_reason(text, year, reason):
    with pytest.raises(ValueError, match=reason):
        C.parse_period(text, year)


def test_categories_and_their_synonyms():
    assert [C.category_of(t)[0] for t in ("广告", "投放", "线上", "佣金", "分销", "人工", "工资", "人天", "物料",
                                          "活动", "布展", "快闪", "媒体", "", "差旅")] == [
        "媒体", "媒体", "媒体", "渠道佣金", "渠道佣金", "人工", "人工", "人工", "物料活动", "物料活动", "物料活动",
        "物料活动", "媒体", "其他", "其他"]


def test_headers_of_a_cost_file():
    assert C.match_cost_headers(["日期", "渠道", "经纪公司", "板块", "科目", "花费", "咨询量", "说明"]) == {
        "period": "日期", "channel": "渠道", "team": "经纪公司", "area": "板块", "category": "科目",
        "amount": "花费", "leads": "咨询量", "note": "说明"}
    assert C.match_cost_headers(["周", "投入", "线索"]) == {"period": "周", "amount": "投入", "leads": "线索"}
    assert C.match_cost_headers(["渠道费用", "区域"]) == {"amount": "渠道费用", "area": "区域"}


# ----------------------------------------------------------------------------- a file with bad rows
CSV = """2024年3月渠道费用表,,,,,,
期间,渠道,团队,类别,金额,来电,备注
2024-03,广告,,广告,24万,50,朋友圈定投
2024-03-04~2024-03-10,拓客,一组,物料,"12,000",,联系人 13812345678
第11周,拓客,不存在队,人工,9000,,
2024-03,中介,,佣金,一万,,
2024-13,线上,,投放,5000,,
第12周,拓客,金桥一组,人天,"3,500元",三个,
2024-03,拓客,王五13812345678,人工,100,,
合计,,,,"26.5万",,
"""  # row 9 names a team with a phone number in it: refused, the number masked in the report


def test_a_csv_with_a_title_line_and_bad_rows():
    rows, report = C.read_costs(CSV.encode("utf-8"), "费用.csv", TEAMS)
    assert rows["row_number"].tolist() == [3, 4, 8]  # rows as Excel shows them: the title is row 1, the header 2
    assert rows["amount"].tolist() == [240_000.0, 12_000.0, 3_500.0]
    assert rows["category"].tolist() == ["媒体", "物料活动", "人工"]
    assert rows["team_id"].tolist()[1:] == [1, 1] and pd.isna(rows["team_id"].iloc[0])
    assert rows["team"].tolist() == ["", "金桥一组", "金桥一组"]
    assert rows["leads"].tolist()[0] == 50 and pd.isna(rows["leads"].iloc[2])
    assert (rows["period_start"].tolist(), rows["period_end"].tolist()) == (
        [D(2024, 3, 1), D(2024, 3, 4), D(2024, 3, 18)], [D(2024, 3, 31), D(2024, 3, 10), D(2024, 3, 24)])
    assert rows["note"].iloc[1] == "联系人 *******5678"  # a phone number in a 备注 is masked

    refused = report[report["处理"] == "拒绝"]
    assert refused[["行号", "列"]].values.tolist() == [[5, "团队"], [6, "金额"], [7, "期间"], [9, "团队"]]
    assert refused.iloc[3]["原值"] == "王五*******5678" and "13812345678" not in refused.iloc[3]["原因"]
    team = refused.iloc[0]["原因"]
    assert "不存在队" in team and "金桥一组、张江二组" in team and "团队与片区" in team
    assert "汉字数字" in refused.iloc[1]["原因"] and "月份 13 不存在" in refused.iloc[2]["原因"]
    fixed = report[report["处理"] == "已修正"]
    assert fixed[["行号", "列", "原值"]].values.tolist() == [[8, "来电", "三个"]]  # the row imports, leads blank
    assert report[report["行号"] == 10]["问题"].tolist() == ["合计行"]  # 合计 is noted, skipped

    read = C.read_costs(CSV.encode("utf-8"), "费用.csv", TEAMS)
    assert read.rejected["原行号"].tolist() == [5, 6, 7, 9]
    assert "13812345678" not in read.rejected.to_csv()
    assert read.rejected.columns[:2].tolist() == ["原行号", "拒绝原因"]
    assert len(rows) + len(read.rejected) == 7  # every data row is imported or refused: nothing lost


def test_a_week_without_a_year_in_a_file_naming_two_years_is_refused():
    text = "期间,渠道,金额\n2023-12,广告,1000\n2024-01,广告,1000\n第3周,广告,1000\n"
    rows, report = C.read_costs(text.encode(), "a.csv", TEAMS)
    assert len(rows) == 2
    assert report[report["处理"] == "拒绝"][["行号", "列"]].values.tolist() == [[4, "期间"]]
    assert "没有年份" in report.iloc[-1]["原因"]
    rows, _ = C.read_costs(text.encode(), "a.csv", TEAMS, year=2024)  # the page's year for such rows
    assert rows["period_start"].tolist()[-1] == D(2024, 1, 15)


def test_an_excel_file_with_real_dates_a_month_column_and_amounts_in_wan():
    wb = Workbook()
    ws = wb.active
    ws.title = "说明"
    ws.append(["这一页是说明"])
    data = wb.create_sheet("费用明细")
    data.append(["月份", "渠道", "区域", "费用类别", "投放金额（万元）"])
    data.append([dt.datetime(2024, 3, 1), "广告", "金桥", "媒体", 24])
    data.append([dt.datetime(2024, 4, 1), "拓客", "火星", "快闪", 1.5])
    data.append([])  # a blank row: the next one is row 5 in Excel, and the report says so
    data.append([dt.datetime(2024, 4, 1), "拓客", "张江", "快闪", "8000元"])
    data.append([dt.datetime(2024, 4, 1), "拓客", "张江", "快闪", "三千"])
    buf = io.BytesIO()
    wb.save(buf)
    areas = pd.DataFrame({"area_id": ["310115001", "310115002"], "area_name": ["金桥镇", "张江镇"]})
    read = C.read_costs(buf.getvalue(), "费用.xlsx", TEAMS, areas=areas)
    assert read.sheet == "费用明细"
    assert read.rows["amount"].tolist() == [240_000.0, 8_000.0]
    assert read.rows["area_id"].tolist() == ["310115001", "310115002"]  # 金桥 is 金桥镇: noted
    assert read.rows["period_end"].tolist() == [D(2024, 3, 31), D(2024, 4, 30)]
    refused = read.report[read.report["处理"] == "拒绝"]
    assert refused[["行号", "列"]].values.tolist() == [[3, "区域"], [6, "投放金额（万元）"]]  # the file's header
    assert read.rejected["原行号"].tolist() == [3, 6]
    assert "火星" in refused.iloc[0]["原因"] and "金桥镇" in refused.iloc[0]["原因"]


def test_a_channel_spelled_otherwise_is_unified_and_an_unknown_one_is_kept_and_noted():
    text = "期间,渠道,金额\n2024-03,线上,1000\n2024-03,抖音直播,2000\n"
    rows, report = C.read_costs(text.encode(), "a.csv", TEAMS, channels=["线上", "拓客", "自然到访"])
    assert rows["channel"].tolist() == ["线上", "抖音直播"]
    assert report[["行号", "问题", "处理"]].values.tolist() == [[3, "渠道无到访", "提示"]]


def test_start_and_end_columns_and_values_too_long_for_the_store():
    text = ("开始日期,结束日期,渠道,金额\n2024-03-04,2024-03-10,拓客,100\n2024-03-04,,拓客,100\n"
            "2024-03-04,下周,拓客,100\n2024-03-04,2024-03-10," + "很长的渠道名" * 11 + ",100\n")
    rows, report = C.read_costs(text.encode(), "a.csv", TEAMS)
    assert (rows["period_start"].tolist(), rows["period_end"].tolist()) == (
        [D(2024, 3, 4), D(2024, 3, 4)], [D(2024, 3, 10), D(2024, 3, 4)])  # a start alone is that day
    assert report[["行号", "列", "处理"]].values.tolist() == [[4, "结束日期", "拒绝"], [5, "渠道", "拒绝"]]
    assert "最多 64 个字" in report.iloc[1]["原因"]


def test_a_file_without_an_amount_or_a_period_column_is_refused_whole():
    with pytest.raises(IngestError, match="没有金额列"):
        C.read_costs("期间,渠道\n2024-03,广告\n".encode(), "a.csv", TEAMS)
    with pytest.raises(IngestError, match="没有期间列"):
        C.read_costs("渠道,金额\n广告,100\n".encode(), "a.csv", TEAMS)
    with pytest.raises(IngestError, match="是空的"):
        C.read_costs(b"", "a.csv", TEAMS)


def test_the_template_reads_back_without_a_problem(tmp_path):
    path = tmp_path / C.TEMPLATE_NAME
    path.write_bytes(C.cost_template(TEAMS))
    read = C.read_costs(path, teams=TEAMS)
    assert read.sheet == "费用"
    assert read.rejected.empty and (read.report["处理"] != "拒绝").all()
    assert read.rows["amount"].tolist() == [240_000.0, 12_000.0, 9_000.0]
    assert read.rows["period_start"].tolist() == [D(2024, 3, 1), D(2024, 3, 4), D(2024, 3, 11)]
    assert read.rows["team"].tolist() == ["", "金桥一组", "金桥一组"]
    assert C.read_costs(C.cost_template(), C.TEMPLATE_NAME, TEAMS).rejected.empty  # no team yet: none named


# ----------------------------------------------------------------------------- the funnel
def _frame() -> pd.DataFrame:
    """15 广告 visitors in area a (6 high, 3 deals, 2 signed), 4 拓客 of team 1 in a (1 deal), 6 拓客 of
    team 2 in b (3 high, no deal), 5 自然到访 placed nowhere (1 deal); all in March 2024."""
    def block(n, channel, team_id, team, area, name, high, deal, signed):
        return pd.DataFrame({"channel": [channel] * n, "team_id": [team_id] * n, "team": [team] * n,
                             "area_id": [area] * n, "area_name": [name] * n,
                             "high": [i < high for i in range(n)], "deal": [i < deal for i in range(n)],
                             "signed": [i < signed for i in range(n)],
                             "visit_date": pd.to_datetime(["2024-03-05"] * n),
                             "deal_date": pd.to_datetime(["2024-03-20" if i < deal else None for i in range(n)])})
    frame = pd.concat([block(15, "广告", None, "未归属", "a", "金桥", 6, 3, 2),
                       block(4, "拓客", 1, "金桥一组", "a", "金桥", 2, 1, 1),
                       block(6, "拓客", 2, "张江二组", "b", "张江", 3, 0, 0),
                       block(5, "自然到访", None, "未归属", "", "", 1, 1, 0)], ignore_index=True)
    frame["team_id"] = frame["team_id"].astype("Int64")
    return frame


def _costs() -> pd.DataFrame:
    return pd.DataFrame({
        "period_start": [D(2024, 3, 1)] * 4, "period_end": [D(2024, 3, 31)] * 4,
        "channel": ["广告", "拓客", "拓客", ""], "team_id": pd.array([None, 1, 2, None], dtype="Int64"),
        "team": ["", "金桥一组", "张江二组", ""], "area_id": ["", "a", "b", ""],
        "category": ["媒体", "人工", "人工", "其他"], "amount": [240_000.0, 30_000.0, 20_000.0, 5_000.0],
        "leads": pd.array([50, None, None, None], dtype="Int64"), "note": [""] * 4})


def _rows(table: pd.DataFrame) -> dict:
    return {r["名称"]: r for _, r in table.iterrows()}


def test_the_classic_funnel_24_wan_50_calls_15_visits_3_deals():
    table = C.funnel(_costs().iloc[:1], _frame().iloc[:15], by="channel")
    row = table.iloc[0]
    assert (row["投入(元)"], row["线索"], row["到访"], row["高意向"], row["认购"], row["签约"]) == (
        240_000, 50, 15, 6, 3, 2)
    assert (row["每到访成本"], row["每高意向成本"], row["每成交成本"]) == (16_000, 40_000, 80_000)


def test_funnel_by_channel_ranks_the_cheapest_deal_first_and_warns_above_target():
    table = C.funnel(_costs(), _frame(), by="channel", target=60_000)
    assert table["名称"].tolist() == ["拓客", "广告", "自然到访", "未分配"]
    r = _rows(table)
    assert (r["拓客"]["投入(元)"], r["拓客"]["到访"], r["拓客"]["认购"], r["拓客"]["每到访成本"],
            r["拓客"]["每成交成本"]) == (50_000, 10, 1, 5_000, 50_000)
    assert [r[n]["费效比排名"] for n in ("拓客", "广告")] == [1, 2]
    assert pd.isna(r["自然到访"]["费效比排名"]) and r["自然到访"]["说明"] == "未录入费用，不排名"
    assert np.isnan(r["自然到访"]["每到访成本"]) and r["自然到访"]["到访"] == 5
    assert (r["未分配"]["投入(元)"], r["未分配"]["到访"]) == (5_000, 0)
    assert pd.isna(r["未分配"]["线索"]) and r["广告"]["线索"] == 50
    assert r["广告"]["预警"] == "每成交成本 80,000 元，高于目标 60,000 元" and r["拓客"]["预警"] == ""
    assert C.warnings_of(table) == ["「广告」：每成交成本 80,000 元，高于目标 60,000 元"]


def test_funnel_by_team_puts_costs_and_visitors_without_a_team_in_unallocated():
    table = C.funnel(_costs(), _frame(), by="team", target=60_000)
    assert table["名称"].tolist() == ["金桥一组", "张江二组", "未分配"]
    r = _rows(table)
    assert (r["金桥一组"]["投入(元)"], r["金桥一组"]["到访"], r["金桥一组"]["每成交成本"]) == (30_000, 4, 30_000)
    assert r["张江二组"]["费效比排名"] == 2 and r["张江二组"]["说明"] == "有投入、无成交，排在最后"
    assert np.isnan(r["张江二组"]["每成交成本"]) and r["张江二组"]["每高意向成本"] == 6_666.67
    assert r["张江二组"]["预警"] == ""  # 20,000 spent without a deal is still under the 60,000 target
    assert (r["未分配"]["投入(元)"], r["未分配"]["到访"], r["未分配"]["认购"]) == (245_000, 20, 4)
    assert pd.isna(r["未分配"]["费效比排名"])
    assert C.funnel(_costs(), _frame(), by="team", target=15_000).loc[1, "预警"] == \
        "已投入 20,000 元仍无成交，超过目标每成交成本 15,000 元"


def test_funnel_by_area():
    table = C.funnel(_costs(), _frame(), by="area")
    assert table["名称"].tolist() == ["金桥", "张江", "未分配"]
    r = _rows(table)
    assert (r["金桥"]["投入(元)"], r["金桥"]["到访"], r["金桥"]["认购"], r["金桥"]["每成交成本"]) == (
        30_000, 19, 4, 7_500)
    assert (r["未分配"]["投入(元)"], r["未分配"]["到访"]) == (245_000, 5)


def test_groups_under_the_minimum_count_show_no_counts_and_no_rank():
    table = C.funnel(_costs(), _frame(), by="team", min_count=5)
    r = _rows(table)
    assert r["金桥一组"]["说明"] == "到访少于 5 人，不显示人数和成本"
    assert all(pd.isna(r["金桥一组"][c]) for c in ("到访", "高意向", "认购", "签约", "每到访成本", "每成交成本"))
    assert pd.isna(r["金桥一组"]["费效比排名"]) and r["金桥一组"]["投入(元)"] == 30_000
    assert r["张江二组"]["费效比排名"] == 1 and r["张江二组"]["到访"] == 6


def test_a_period_takes_the_share_of_a_cost_inside_it_and_deals_by_deal_date():
    week = (D(2024, 3, 4), D(2024, 3, 10))
    r = _rows(C.funnel(_costs(), _frame(), by="channel", period=week))
    assert r["广告"]["投入(元)"] == 54_193.55  # 240,000 × 7 / 31
    assert r["广告"]["线索"] == pytest.approx(50 * 7 / 31)
    assert (r["广告"]["到访"], r["广告"]["认购"]) == (15, 0)  # the deals are dated 2024-03-20
    later = _rows(C.funnel(_costs(), _frame(), by="channel", period=(D(2024, 3, 18), D(2024, 3, 24))))
    assert (later["广告"]["到访"], later["广告"]["认购"]) == (0, 3)
    may = C.funnel(_costs(), _frame(), by="channel", period=(D(2024, 5, 1), D(2024, 5, 31)))
    assert may["投入(元)"].sum() == 0 and may["到访"].sum() == 0


def test_typed_rows_with_only_the_preset_dates_and_category_are_blank():
    typed = pd.DataFrame({"开始日期": [D(2024, 3, 1)] * 3, "结束日期": [D(2024, 3, 31)] * 3,
                          "渠道": ["", "拓客", None], "团队": [None, "一组", None], "类别": ["媒体", "人工", "媒体"],
                          "金额": ["", "9000", None], "来电/留资": pd.array([None, None, None], dtype="Int64")})
    read = C.read_entries(typed.set_axis([7, 3, 9]), TEAMS)  # an editor's index: rows are still 1, 2, 3
    assert read.rows[["team_id", "amount", "row_number"]].values.tolist() == [[1, 9_000.0, 2]] and read.report.empty
    typed.loc[2, "渠道"] = "广告"  # something typed, no amount: refused by its row
    read = C.read_entries(typed, TEAMS)
    assert read.report[["行号", "列", "处理"]].values.tolist() == [[3, "金额", "拒绝"]]


def test_funnel_refuses_an_unknown_axis():
    with pytest.raises(ValueError, match="'by' should be one of channel, team, area"):
        C.funnel(_costs(), _frame(), by="city")


# ----------------------------------------------------------------------------- costs a pay model implies
def test_staff_days_commission_and_monthly_fee_per_week():
    teams = pd.concat([TEAMS, pd.DataFrame({"id": [3], "name": ["链家门店"], "aliases": [""], "kind": ["中介公司"],
                                            "cost_model": ["固定费用"], "day_rate": [0.0], "commission": [0.0],
                                            "monthly_fee": [5_200.0], "active": [True]})], ignore_index=True)
    territory = {"areas": [{"area_id": "a", "team_id": 1, "staff_days": 5}, {"area_id": "b", "team_id": 2,
                                                                            "staff_days": 3}]}
    frame = _frame()
    weeks = [D(2024, 3, 18), D(2024, 3, 20)]  # the same week twice: one Monday
    est = C.staff_costs(teams, territory, weeks, frame=frame, default_day_rate=300)
    got = est[["team", "area_id", "category", "amount", "channel"]].values.tolist()
    assert got == [["金桥一组", "a", "人工", 2_000.0, "拓客"],  # 5 days × 400
                   ["链家门店", "", "其他", 1_200.0, "拓客"]]  # 5,200 × 12 / 52; team 2 had no deal that week
    assert (est["period_start"].tolist(), est["period_end"].tolist()) == ([D(2024, 3, 18)] * 2, [D(2024, 3, 24)] * 2)
    frame.loc[frame["team_id"].eq(2).fillna(False).to_numpy() & (frame.index % 2 == 1), "deal"] = True
    frame.loc[frame["team_id"].eq(2).fillna(False).to_numpy(), "deal_date"] = pd.Timestamp("2024-03-19")
    est = C.staff_costs(teams, territory, [D(2024, 3, 18)], frame=frame)
    commission = est[est["category"] == "渠道佣金"]
    assert commission[["team", "area_id", "amount"]].values.tolist() == [["张江二组", "b", 15_000.0]]  # 3 × 5,000


def test_a_team_without_a_day_rate_takes_the_projects():
    teams = TEAMS.assign(day_rate=[0.0, 0.0])
    est = C.staff_costs(teams, {"areas": [{"area_id": "a", "team_id": 1, "staff_days": 2}]}, [D(2024, 3, 4)],
                        default_day_rate=350)
    assert est["amount"].tolist() == [700.0] and est["batch"].tolist() == [C.ESTIMATE_BATCH]


def test_entered_costs_replace_the_estimate_of_the_same_team_category_and_week():
    est = C.staff_costs(TEAMS, {"areas": [{"area_id": "a", "team_id": 1, "staff_days": 5}]},
                        [D(2024, 3, 4), D(2024, 4, 1)])
    merged = C.merge_estimates(_costs(), est)
    assert merged["amount"].tolist() == [240_000.0, 30_000.0, 20_000.0, 5_000.0, 2_000.0]  # April kept
    assert merged["period_start"].tolist()[-1] == D(2024, 4, 1)


# ----------------------------------------------------------------------------- through the store (SQLite, PostgreSQL)
def test_a_read_file_is_stored_read_back_and_measured(store):
    from mapping.db.operations import Operations

    ops = Operations(store)
    project = store.create_project("金桥项目", "310000", D(2024, 6, 1), ["公寓", "洋房"])
    pid = project.id if hasattr(project, "id") else int(project)
    one = ops.save_team(pid, name="金桥一组", aliases="一组、金桥组")
    read = C.read_costs(CSV.encode("utf-8"), "费用.csv", ops.teams(pid))
    assert ops.add_costs(pid, read.rows, batch="导入 费用.csv", created_by="wang") == 3
    costs = ops.costs(pid)
    assert costs["amount"].tolist() == [240_000.0, 12_000.0, 3_500.0]
    assert costs["team_id"].tolist()[1:] == [one, one] and costs["team"].tolist()[1:] == ["金桥一组", "金桥一组"]
    frame = _frame().assign(team_id=pd.array([None] * 25 + [one] * 5, dtype="Int64"))
    table = C.funnel(costs, frame, by="channel")
    assert table.set_index("名称").loc["广告", ["投入(元)", "每到访成本", "每成交成本"]].tolist() == [
        240_000, 16_000, 80_000]
    assert ops.delete_costs(pid, batch="导入 费用.csv") == 3 and ops.costs(pid).empty
