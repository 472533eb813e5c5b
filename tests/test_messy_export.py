"""A team's own messy 来访明细 export goes in without help: rows kept, location columns found, deals by stage."""

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from mapping.ingest.keys import PiiSecret
from mapping.ingest.tables import (
    auto_map,
    place_like_columns,
    read_table,
    summarise,
    validate,
)

SECRET = PiiSecret(bytes(32), "s")  # a fixed test key and salt

_spec = importlib.util.spec_from_file_location("messy_export", Path(__file__).parent / "data" / "messy_export.py")
messy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(messy)

N = 300


@pytest.fixture(scope="module")
def table():
    return read_table(messy.workbook_bytes(N), "来访明细.xlsx")


@pytest.fixture(scope="module")
def mapping(table):
    return auto_map(table.frame.columns)


def _result(table, mapping, deal_stage="认购"):
    return validate(table, mapping, secret=SECRET, product_lines=messy.PRODUCT_LINES, deal_stage=deal_stage)


def _status_of(table, records) -> pd.Series:
    """The 客户状态 each record had in the file."""
    positions = records["row_number"] - table.header_row - 1
    return table.frame["客户状态"].loc[positions].astype(str).str.strip().reset_index(drop=True)


def test_header_found_below_the_merged_title(table):
    assert table.header_row == 3
    assert len(table.frame) == N + 1  # the data and the 合计 row


def test_all_three_location_columns_are_mapped_by_auto_map_alone(mapping, table):
    assert mapping["home_text"] == "居住小区名称"
    assert mapping["work_text"] == "工作单位地址"
    assert mapping["leisure_text"] == "休闲娱乐区域"
    assert (mapping["stage"], mapping["deal_date"], mapping["sign_date"]) == ("客户状态", "认购日期", "签约日期")
    assert place_like_columns(table, mapping) == []  # nothing place-like left unmapped


def test_at_least_99_percent_of_data_rows_are_kept(table, mapping):
    result = _result(table, mapping)
    assert len(result.records) >= 0.99 * N
    assert result.counts["rejected"] == 1  # only the visit date 待定
    rejected = result.report[result.report["处理"] == "拒绝"]
    assert rejected["原值"].tolist() == ["待定"]
    assert result.total_rows == [table.header_row + N + 1]  # the 合计 row is skipped, not rejected
    assert result.records["visit_date"].notna().all()


def test_every_subscription_and_contract_is_a_deal_at_its_stage(table, mapping):
    records = _result(table, mapping).records
    status = _status_of(table, records)
    expected_stage = status.map({"来访": "来访", "复访": "来访", "": "来访", "认筹": "认筹", "认购": "认购",
                                 "定金": "认购", "签约": "签约", "网签": "签约", "草签": "签约", "退房": "退房"})
    assert records["stage"].tolist() == expected_stage.tolist()
    assert records["deal"].tolist() == status.isin(messy.DEAL_STATUSES).tolist()
    deals = records[records["deal"]]
    assert deals["stage_date"].notna().all() and deals["deal_date"].notna().all()


def test_with_deal_stage_sign_only_signed_rows_count(table, mapping):
    records = _result(table, mapping, deal_stage="签约").records
    status = _status_of(table, records)
    assert records["deal"].tolist() == status.isin(messy.SIGNED_STATUSES).tolist()
    assert records["deal"].sum() > 0


def test_product_names_land_on_the_projects_lines(table, mapping):
    records = _result(table, mapping).records
    positions = records["row_number"] - table.header_row - 1
    raw = table.frame["意向产品"].loc[positions].astype(str).reset_index(drop=True)
    pairs = set(zip(raw, records["product_line"]))
    assert pairs == {("平层", "公寓"), ("叠拼", "洋房"), ("小高层", "高层"), ("别墅", "别墅"), ("公寓", "公寓"),
                     ("洋房", "洋房"), ("", "")}


def test_unknown_values_are_listed_for_the_user_not_rejected(table, mapping):
    unknown = _result(table, mapping).unknown.set_index(["field", "raw"])
    assert unknown.loc[("channel", "朋友介绍"), "suggestion"] == "老带新"
    assert unknown.loc[("channel", "路过"), "suggestion"] == "自然到访"
    assert unknown.loc[("intention", "高意向"), "suggestion"] == "A"
    assert ("channel", "售楼处看到") not in unknown.index
    assert not {"stage", "product_line"} & set(unknown.index.get_level_values("field"))


def test_masked_phones_and_amounts(table, mapping):
    records = _result(table, mapping).records
    given = records["phone_masked"] != ""
    assert records.loc[given, "phone_masked"].str.fullmatch(r"\*{7}\d{4}").all()
    assert records["visitor_key"].is_unique
    assert records.loc[records["deal"], "deal_amount"].notna().all()  # 356.5万 read as 356.5


def test_summary_puts_the_rejection_first(table, mapping):
    summary = summarise(_result(table, mapping).report)
    assert summary.iloc[0][["原因", "类别", "行数"]].tolist() == ["到访日期无法识别", "拒绝", 1]
    assert set(summary["类别"]) <= {"拒绝", "已修正", "提示"}
    assert "合计行" in set(summary["原因"])


def test_validating_again_with_the_users_choices_is_clean(table, mapping):
    first = _result(table, mapping)
    choices = {field: dict(zip(group["key"], group["suggestion"])) for field, group in first.unknown.groupby("field")}
    again = validate(table, mapping, secret=SECRET, product_lines=messy.PRODUCT_LINES, value_maps=choices)
    assert again.unknown.empty
    assert set(again.records["channel"]) <= {"自然到访", "拓客", "中介", "老带新", "线上", "广告", "电话邀约", "其他",
                                             "售楼处看到", ""}
    assert (again.records["intention"] != "").sum() > (first.records["intention"] != "").sum()
