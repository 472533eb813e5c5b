"""Header matching with a confidence, and columns that look like places."""

import pandas as pd
import pytest

from mapping import schema as S
from mapping.ingest.headers import (
    AUTO_THRESHOLD,
    auto_map,
    norm_header,
    place_like_columns,
    place_share,
    suggest_mapping,
)


@pytest.mark.parametrize("header,canonical", [
    ("休闲娱乐区域", "leisure_text"), ("常去地点", "leisure_text"), ("周末去处", "leisure_text"),
    ("生活圈", "leisure_text"), ("购物商圈", "leisure_text"),
    ("居住小区名称", "home_text"), ("家庭住址（小区）", "home_text"), ("现住小区", "home_text"),
    ("工作单位地址", "work_text"), ("公司地址", "work_text"), ("办公地点", "work_text"),
    ("工作地经度", "work_lng"), ("家庭住址纬度", "home_lat"), ("常去商圈经度", "leisure_lng"),
    ("是否成交（Y/N）", "deal"), ("客户状态", "stage"), ("销售状态", "stage"), ("签约日期", "sign_date"),
    ("认购日期", "deal_date"), ("成交金额（单位：万元）", "deal_amount"), ("首次到访日期", "visit_date"),
    ("手机号码(脱敏)", "phone"),
])
def test_headers_land_on_their_column_without_help(header, canonical):
    assert auto_map([header]) == {canonical: header}


@pytest.mark.parametrize("header", ["家庭结构", "家庭年收入", "工作年限", "意向区域", "置业顾问", "备注", "序号", "列7"])
def test_headers_that_are_not_locations_stay_off_the_location_columns(header):
    mapping = auto_map([header])
    assert not set(mapping) & set(S.LOCATION_COLUMNS)  # 意向区域 is intended_text: not a place the visitor is


def test_confidence_and_reason():
    table = suggest_mapping(["到访日期", "休闲娱乐区域", "是否成交（Y/N）", "经度", "备注"]).set_index("header")
    assert table.loc["到访日期", "confidence"] == 1.0
    assert table.loc["休闲娱乐区域", "confidence"] == 0.9 and "休闲" in table.loc["休闲娱乐区域", "reason"]
    assert table.loc["是否成交（Y/N）", "confidence"] == 0.8
    # a bare 经度 does not say which dimension: proposed, not used without the user
    assert table.loc["经度", "canonical"] == "home_lng" and table.loc["经度", "confidence"] < AUTO_THRESHOLD
    assert table.loc["备注", "canonical"] == "" and table.loc["备注", "reason"] == "未识别"
    assert "经度" not in auto_map(["到访日期", "经度"]).values()


def test_one_header_per_column_the_most_confident_wins():
    table = suggest_mapping(["常去地点", "休闲娱乐区域"]).set_index("header")
    assert table.loc["常去地点", "canonical"] == "leisure_text"  # equal confidence: the first header
    assert table.loc["休闲娱乐区域", "canonical"] == ""
    assert "已对应到「常去地点」" in table.loc["休闲娱乐区域", "reason"]
    assert auto_map(["居住地", "居住小区名称"]) == {"home_text": "居住地"}  # exact beats token rule


def test_exact_aliases_are_unchanged():
    mapping = auto_map(["Visitor ID", "Visit Date", "Home Area", "Home Lng", "Home Lat", "Phone", "Deal"])
    assert mapping == {"visitor_id": "Visitor ID", "visit_date": "Visit Date", "home_text": "Home Area",
                       "home_lng": "Home Lng", "home_lat": "Home Lat", "phone": "Phone", "deal": "Deal"}


def test_values_demote_coordinates_that_are_not_numbers_and_propose_places():
    frame = pd.DataFrame({"居住经度": ["浦东", "徐汇"], "去哪": ["正大广场", "五角场"]})
    table = suggest_mapping(frame.columns, frame).set_index("header")
    assert table.loc["居住经度", "confidence"] < AUTO_THRESHOLD
    assert table.loc["去哪", "canonical"] == "home_text" and table.loc["去哪", "confidence"] == 0.6


def test_norm_header():
    assert norm_header("  工作单位（地址） ") == "工作单位地址"
    assert norm_header("成交金额(万元)") == "成交金额"


def test_place_like_columns_finds_unmapped_place_columns():
    frame = pd.DataFrame({
        "来访日期": ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"],
        "居住区域": ["浦东", "徐汇", "金桥", "张江"],
        "平时在哪": ["正大广场", "陆家嘴", "八佰伴", "世纪公园"],
        "客户说明": ["考虑学区", "价格偏高", "再联系", "带家人来"],
        "手机": ["138****5678", "139****1234", "137****0000", "136****1111"],
        "周末去处": ["", "", "", ""],
    })
    mapping = {"visit_date": "来访日期", "home_text": "居住区域"}
    found = place_like_columns(frame, mapping, known_places={"陆家嘴", "八佰伴"})
    by_header = {f["header"]: f for f in found}
    assert set(by_header) == {"平时在哪", "周末去处"}
    assert by_header["周末去处"]["canonical"] == "leisure_text"  # by name, even while empty
    assert by_header["平时在哪"]["canonical"] == "work_text"  # first free location column
    assert by_header["平时在哪"]["examples"] == ["正大广场", "陆家嘴", "八佰伴"]
    assert "75%" in by_header["平时在哪"]["reason"] or "100%" in by_header["平时在哪"]["reason"]


def test_place_share_ignores_numbers_dates_and_masked_phones():
    assert place_share(pd.Series(["2024-03-01", "138****5678", "121.5", "12号"])) == 0.25
