"""The fake sample visitors: deterministic, well-formed, and carrying the worked case."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from mapping.geo.coords import haversine_m, normalise_crs, to_wgs84

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"

EXPECTED_HEADERS = [
    "客户编号", "姓名", "手机", "到访日期", "意向业态", "意向等级", "到访渠道",
    "居住区域", "居住经度", "居住纬度", "工作区域", "工作经度", "工作纬度",
    "生活区域", "生活经度", "生活纬度", "坐标系", "是否成交", "成交日期", "成交业态",
    "成交金额(万元)", "年龄段", "行业", "收入", "家庭结构", "置业目的",
    "意向面积", "意向总价", "意向区域", "身份证号",  # issue 15 (tests/test_sample_segments.py)
]
DEAL_VALUES = {"是": True, "已成交": True, "Y": True, "1": True,
               "否": False, "未成交": False, "N": False, "0": False}
DIMS = {"home": ("居住区域", "居住经度", "居住纬度"),
        "work": ("工作区域", "工作经度", "工作纬度"),
        "leisure": ("生活区域", "生活经度", "生活纬度")}


def _load_generator():
    spec = importlib.util.spec_from_file_location("sample_generate", SAMPLES / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


@pytest.fixture(scope="module")
def truth() -> pd.DataFrame:
    return gen.generate(with_truth=True)


@pytest.fixture(scope="module")
def frame(truth: pd.DataFrame) -> pd.DataFrame:
    return truth.loc[:, EXPECTED_HEADERS]


@pytest.fixture(scope="module")
def deal(frame: pd.DataFrame) -> np.ndarray:
    return frame["是否成交"].map(DEAL_VALUES).to_numpy(bool)


# --- shape and determinism ---------------------------------------------------------------
def test_headers_and_row_count(frame):
    assert list(gen.generate(rows=10).columns) == EXPECTED_HEADERS
    assert len(frame) == 5000
    assert frame["客户编号"].is_unique
    assert frame["客户编号"].iloc[0] == "JQW-000001"
    assert frame["客户编号"].str.fullmatch(r"JQW-\d{6}").all()


def test_same_seed_same_frame_other_seed_differs():
    a = gen.generate(rows=500, seed=3, with_truth=True)
    b = gen.generate(rows=500, seed=3, with_truth=True)
    pd.testing.assert_frame_equal(a, b)
    c = gen.generate(rows=500, seed=4)
    assert not a["姓名"].equals(c["姓名"])


def test_truth_columns_only_on_request():
    plain = gen.generate(rows=50)
    with_truth = gen.generate(rows=50, with_truth=True)
    assert not any(c.startswith("_") for c in plain.columns)
    assert list(with_truth.columns[:30]) == EXPECTED_HEADERS
    assert all(c.startswith("_") for c in with_truth.columns[30:])
    assert {"_true_home_bankuai", "_true_work_area", "_true_leisure_district", "_true_crs"} <= set(with_truth)
    pd.testing.assert_frame_equal(plain, with_truth.loc[:, EXPECTED_HEADERS])


@pytest.mark.parametrize("rows", [0, -5, 2.5, "100"])
def test_generate_rejects_bad_rows_argument(rows):
    with pytest.raises(ValueError, match="'rows' must be an int"):
        gen.generate(rows=rows)


# --- values -------------------------------------------------------------------------------
def test_people_are_fake_but_well_formed(frame):
    assert frame["手机"].str.fullmatch(r"1[3-9]\d{9}").all()
    assert frame["姓名"].str.fullmatch(r"[\u4e00-\u9fff]{2,3}").all()


def test_visit_dates_before_launch_denser_with_launch_spike(truth, frame):
    dates = pd.to_datetime(frame["到访日期"], format="%Y-%m-%d")
    assert dates.min() >= pd.Timestamp("2024-01-01") and dates.max() <= pd.Timestamp("2024-06-30")
    per_month = dates.dt.month.value_counts()
    assert per_month[[1, 2, 3, 4]].mean() > per_month[[5, 6]].mean()
    assert dates.value_counts().idxmax() in pd.date_range("2024-04-29", "2024-05-03")


def test_product_lines_and_grades(frame):
    share = frame["意向业态"].value_counts(normalize=True)
    expected = {"公寓": 0.40, "洋房": 0.30, "别墅": 0.15, "商铺": 0.15}
    for line, p in expected.items():
        assert abs(share[line] - p) < 0.04, (line, share[line])
    assert set(frame["意向等级"]) == {"A", "B", "C", "D"}
    assert {"自然到访", "拓客", "中介", "老带新", "线上", "广告"} <= set(frame["到访渠道"])


def test_deal_rate_and_labels(truth, frame, deal):
    assert frame["是否成交"].isin(list(DEAL_VALUES)).all()
    np.testing.assert_array_equal(deal, truth["_true_deal"].to_numpy(bool))
    assert 0.06 <= deal.mean() <= 0.10
    assert frame["是否成交"].isin(["是", "否"]).mean() > 0.75
    assert {"已成交", "未成交", "Y", "N", "1", "0"} <= set(frame["是否成交"])


def test_deal_fields_consistent(frame, deal):
    deals, others = frame[deal], frame[~deal]
    assert others[["成交日期", "成交业态", "成交金额(万元)"]].isna().all().all()
    assert deals[["成交日期", "成交业态", "成交金额(万元)"]].notna().all().all()
    visit = pd.to_datetime(deals["到访日期"])
    closed = pd.to_datetime(deals["成交日期"])
    assert (closed >= visit).all()
    assert (closed >= pd.Timestamp("2024-05-01")).mean() > 0.85
    assert (deals["成交业态"] == deals["意向业态"]).mean() > 0.7
    ranges = {"公寓": (200, 450), "洋房": (500, 900), "别墅": (1200, 3000), "商铺": (300, 1000)}
    for line, (lo, hi) in ranges.items():
        amounts = deals.loc[deals["成交业态"] == line, "成交金额(万元)"]
        assert len(amounts) and amounts.between(lo, hi).all(), line


def test_profile_values(frame, truth):
    allowed = {
        "年龄段": {"25岁以下", "25-34岁", "35-44岁", "45-54岁", "55岁以上"},
        "行业": {"金融", "IT互联网", "制造业", "贸易物流", "教育医疗", "公务员", "自由职业", "其他"},
        "家庭结构": {"单身", "二人世界", "三口之家", "三代同堂"},
        "置业目的": {"自住", "改善", "投资", "办公经营"},
    }
    for col, values in allowed.items():
        assert set(frame[col].dropna()) == values, col
    assert frame["收入"].notna().mean() > 0.95
    port = truth["_true_work_area"].isin(["外高桥", "金桥"])
    trade_or_factory = frame["行业"].isin(["贸易物流", "制造业"])
    assert trade_or_factory[port].mean() > 0.5 > trade_or_factory[~port].mean()


# --- locations ----------------------------------------------------------------------------
def test_every_crs_label_the_generator_writes_is_understood():
    for canonical, labels in gen.CRS_LABELS.items():
        for label, _ in labels:
            assert normalise_crs(label) == canonical, label


def test_coordinates_are_in_the_rows_crs(truth, frame):
    crs = frame["坐标系"].map(normalise_crs)
    assert crs.notna().all()
    assert (crs == truth["_true_crs"]).all()
    assert frame["坐标系"].isin(["WGS84", "GCJ02", "BD09"]).mean() > 0.75
    shares = crs.value_counts(normalize=True)
    assert abs(shares["WGS84"] - 0.40) < 0.04 and abs(shares["GCJ02"] - 0.45) < 0.04
    for dim, (_, lng_col, lat_col) in DIMS.items():
        m = frame[lng_col].notna().to_numpy()
        lng, lat = to_wgs84(frame.loc[m, lng_col], frame.loc[m, lat_col], crs[m].to_numpy(dtype=object))
        err = haversine_m(lng, lat, truth.loc[m, f"_true_{dim}_lng"], truth.loc[m, f"_true_{dim}_lat"])
        assert err.max() < 1.0, dim  # 6 decimals ≈ 0.1 m
        assert ((lng > 120.85) & (lng < 122.2) & (lat > 30.65) & (lat < 31.9)).all(), dim


def test_realistic_mix_of_location_forms(truth, frame):
    for dim, (text_col, lng_col, _) in DIMS.items():
        has_point = frame[lng_col].notna()
        answered = has_point | frame[text_col].notna()
        assert 0.4 <= has_point[answered].mean() <= 0.6, dim
        kinds = truth[f"_{dim}_kind"]
        assert frame.loc[kinds == "coord", text_col].isna().all()
        assert frame.loc[kinds == "coord+name", text_col].notna().all()
    texts = pd.concat([frame[c] for c, _, _ in DIMS.values()]).dropna()
    for needle in ["浦东新区", "金桥镇", "张江镇", "花木街道", "碧云国际社区", "陆家嘴", "五角场", "世纪公园",
                   "南汇区", "闸北区", "卢湾区", "崇明县", "不详", "无", "-", "123", "苏州"]:
        assert (texts == needle).any(), needle
    assert texts.str.contains("\u3000").any()
    assert texts.str.contains("[區東橋鎮張陸]").any()
    assert texts.str.match(r"上海市浦东新区\w+路\d+[号弄]").any()
    assert texts.str.contains("昆山").any()
    assert frame["工作区域"].isna().sum() > frame["居住区域"].isna().sum()


# --- the worked case ----------------------------------------------------------------------
def test_jinqiao_most_home_visits_but_converts_poorly_and_buys_apartments(truth, frame, deal):
    home = truth["_true_home_area"]
    counts = home.value_counts()
    assert counts.idxmax() == "金桥"
    assert 0.14 <= counts["金桥"] / len(frame) <= 0.18
    assert counts["金桥"] > 1.8 * counts.iloc[1]
    jq = (home == "金桥").to_numpy()
    assert deal[jq].mean() < 0.6 * deal.mean()
    assert (frame.loc[jq & deal, "成交业态"] == "公寓").mean() >= 0.8
    better = home.isin(["张江", "唐镇", "川沙", "花木", "联洋"]).to_numpy()
    assert deal[better].mean() > deal.mean()
    assert frame.loc[better & deal, "成交业态"].isin(["洋房", "别墅"]).mean() > 0.4
    assert (truth.loc[jq, "_true_home_bankuai"] == "金桥").all()


def test_waigaoqiao_and_jinqiao_top_work_locations(truth):
    answered = truth["_work_kind"] != "empty"
    work = truth.loc[answered, "_true_work_area"]
    assert set(work.value_counts().index[:2]) == {"外高桥", "金桥"}
    assert 0.35 <= work.isin(["外高桥", "金桥"]).mean() <= 0.45


def test_leisure_concentrates_in_lujiazui_and_jinqiao(truth):
    top = truth["_true_leisure_area"].value_counts().index[:4]
    assert {"陆家嘴", "金桥"} <= set(top)


# --- files on disk ------------------------------------------------------------------------
def test_files_on_disk_are_what_the_generator_writes(frame, truth):
    assert (SAMPLES / "visitors_sample_utf8bom.csv").read_bytes() == gen.csv_bytes(frame, "utf-8-sig")
    assert (SAMPLES / "visitors_sample_gb18030.csv").read_bytes() == gen.csv_bytes(frame, "gb18030")
    bad = gen.bad_rows_frame()
    assert (SAMPLES / "visitors_bad_rows.csv").read_bytes() == gen.csv_bytes(bad, "utf-8-sig")
    readme = gen.readme_text(gen.worked_case_stats(truth), gen.DEFAULT_SEED, gen.DEFAULT_ROWS, bad)
    assert (SAMPLES / "README.md").read_text(encoding="utf-8") == readme
    assert (SAMPLES / "visitors_sample_utf8bom.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_three_files_read_back_equal(frame):
    # only empty cells are missing: junk answers such as "N/A" must survive as text
    text = {c: str for c in ("手机", "意向面积", "意向总价", "意向区域", "身份证号")}
    opts = {"dtype": text, "keep_default_na": False, "na_values": [""]}
    utf8 = pd.read_csv(SAMPLES / "visitors_sample_utf8bom.csv", encoding="utf-8-sig", **opts)
    gb = pd.read_csv(SAMPLES / "visitors_sample_gb18030.csv", encoding="gb18030", **opts)
    xlsx = pd.read_excel(SAMPLES / "visitors_sample.xlsx", sheet_name="到访客户", engine="openpyxl", **opts)
    for col in ("到访日期", "成交日期"):
        assert pd.api.types.is_datetime64_any_dtype(xlsx[col]), col
        xlsx[col] = xlsx[col].dt.strftime("%Y-%m-%d")
    assert list(utf8.columns) == list(gb.columns) == list(xlsx.columns) == EXPECTED_HEADERS
    pd.testing.assert_frame_equal(utf8, gb)
    pd.testing.assert_frame_equal(utf8, xlsx, check_dtype=False)
    pd.testing.assert_frame_equal(utf8, frame, check_dtype=False)


def test_xlsx_one_sheet_one_header_row_and_stable_bytes(frame):
    wb = load_workbook(SAMPLES / "visitors_sample.xlsx", read_only=True)
    assert wb.sheetnames == ["到访客户"]
    first_two = list(wb["到访客户"].iter_rows(min_row=1, max_row=2, values_only=True))
    wb.close()
    assert list(first_two[0]) == EXPECTED_HEADERS
    assert first_two[1][0] == "JQW-000001"
    small = frame.head(20)
    assert gen.xlsx_bytes(small) == gen.xlsx_bytes(small)


def test_bad_rows_file_holds_each_documented_problem():
    bad = pd.read_csv(SAMPLES / "visitors_bad_rows.csv", encoding="utf-8-sig", dtype=str,
                      keep_default_na=False)
    assert list(bad.columns) == EXPECTED_HEADERS
    assert 25 <= len(bad) <= 35
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    for vid, _, _ in gen.BAD_ROWS:
        if vid:
            assert vid in set(bad["客户编号"]) and vid in readme, vid
    assert {"下周二", "2024-13-45", "2024/3/5", "2024年3月5日", "45356", "2024.3.5"} <= set(bad["到访日期"])
    assert "火星2" in set(bad["坐标系"]) and "城堡" in set(bad["意向业态"]) and "也许" in set(bad["是否成交"])
    assert (bad["居住经度"] == "31.25013").any() and (bad["工作经度"] == "500").any()
    assert (bad["客户编号"] == "JQW-900026").sum() == 2
    dup = bad[bad["客户编号"] == "JQW-900026"]
    assert dup["到访日期"].nunique() == 2
    assert (bad == "").all(axis=1).sum() == 1
    numbers = gen.bad_rows_line_numbers(gen.bad_rows_frame())
    for (vid, _, _), line in zip(gen.BAD_ROWS, numbers):
        assert re.search(rf"\| {line} \| {re.escape(vid or '(empty)')} \|", readme), vid
