"""mapping.segments.bands: lenient reading of 意向面积/意向总价 and placing into bands (hand-checked tables)."""

import math

import numpy as np
import pandas as pd
import pytest

from mapping.segments.bands import (
    AREA_BANDS, PRICE_BANDS, UNREAD, BandError, Bands, ReadError, assign, bands_from_text, parse_area, parse_price, read,
    report,
)

INF = math.inf


@pytest.mark.parametrize("text, expected", [
    ("120-140", (120.0, 140.0)),
    ("90㎡", (90.0, 90.0)),
    ("90平", (90.0, 90.0)),
    ("90平米", (90.0, 90.0)),
    ("90 平方米", (90.0, 90.0)),
    ("90m²", (90.0, 90.0)),
    ("约100平", (100.0, 100.0)),
    ("100平左右", (100.0, 100.0)),
    ("100以上", (100.0, INF)),
    ("100+", (100.0, INF)),
    ("≥144", (144.0, INF)),
    ("80以下", (0.0, 80.0)),
    ("120~140㎡", (120.0, 140.0)),
    ("１２０－１４０", (120.0, 140.0)),   # full-width digits and hyphen
    ("120至140", (120.0, 140.0)),
    ("89.5", (89.5, 89.5)),
    (120, (120.0, 120.0)),               # a number cell from Excel
])
def test_parse_area_reads(text, expected):
    assert parse_area(text) == expected


@pytest.mark.parametrize("text, reason", [
    ("一百二十平", "汉字数字"),
    ("三房", "户型"),
    ("3房", "户型"),
    ("两室一厅", "户型"),
    ("140-120", "前大后小"),
    ("大平层", "看不懂"),
    ("0", "不像住宅面积"),
    ("12000", "不像住宅面积"),
    ("120-140以上", "既是范围又写了以上"),
    ("", "未填"),
])
def test_parse_area_refuses_with_reason(text, reason):
    with pytest.raises(ReadError, match=reason) as info:
        parse_area(text)
    assert info.value.action  # every refusal says what to do


@pytest.mark.parametrize("text, expected", [
    ("300万", (300.0, 300.0)),
    ("300-400万", (300.0, 400.0)),
    ("3000000", (300.0, 300.0)),        # bare number above 10000 is 元
    ("3,000,000元", (300.0, 300.0)),
    ("300", (300.0, 300.0)),            # bare small number is 万元
    ("10000", (10000.0, 10000.0)),      # up to 10000: 万元 (1亿)
    ("100000", (10.0, 10.0)),           # from 100000: 元
    ("1.2亿", (12000.0, 12000.0)),
    ("1-1.5亿", (10000.0, 15000.0)),    # left side takes the right side's unit
    ("300万-1亿", (300.0, 10000.0)),
    ("总价300万左右", (300.0, 300.0)),
    ("预算：300万", (300.0, 300.0)),
    ("300w", (300.0, 300.0)),
    ("300W", (300.0, 300.0)),
    ("300万以上", (300.0, INF)),
    ("500万以内", (0.0, 500.0)),
])
def test_parse_price_reads(text, expected):
    assert parse_price(text) == expected


@pytest.mark.parametrize("text, reason", [
    ("三百万", "汉字数字"),
    ("看情况", "看不懂"),
    ("400-300万", "前大后小"),
    ("0", "总价为 0"),
    ("45000", "像是单价"),               # 元/㎡, not a total
    (None, "未填"),
])
def test_parse_price_refuses_with_reason(text, reason):
    with pytest.raises(ReadError, match=reason):
        parse_price(text)


def test_default_band_labels():
    assert AREA_BANDS.labels == ("90㎡以下", "90–120㎡", "120–144㎡", "144–180㎡", "180㎡以上")
    assert PRICE_BANDS.labels == ("200万以下", "200–300万", "300–500万", "500–800万", "800–1000万", "1000万以上")
    assert AREA_BANDS.categories[-1] == UNREAD


def test_assign_area_hand_checked():
    values = ["90㎡", "90.5", "120-140", "130-170", "144", "180以上", "100以上", "80以下", "200-400", "三房", None]
    # 90 is in 90㎡以下 (right-closed); 120-140 → 130; 130-170 → 150; 144 → 120–144; 180以上 → just above 180;
    # 100以上 → just above 100; 80以下 → 40; 200-400 → 300
    expected = ["90㎡以下", "90–120㎡", "120–144㎡", "144–180㎡", "120–144㎡", "180㎡以上", "90–120㎡", "90㎡以下",
                "180㎡以上", UNREAD, UNREAD]
    got = assign(values, AREA_BANDS)
    assert got.tolist() == expected
    assert list(got.cat.categories) == AREA_BANDS.categories


def test_assign_price_hand_checked():
    values = ["150万", "200万", "250-350万", "3000000", "1.2亿", "800万以上", "300万以内", "三百万", ""]
    # 250-350 → 300 → 200–300万 (right-closed); 300万以内 → (0, 300) → 150 → 200万以下
    expected = ["200万以下", "200万以下", "200–300万", "200–300万", "1000万以上", "800–1000万", "200万以下", UNREAD, UNREAD]
    assert assign(values, PRICE_BANDS).tolist() == expected


def test_custom_bands_same_bins_for_every_series():
    bands = Bands("area", (0, 60, 100, INF), labels=("小户", "中户", "大户"))
    a = assign(["50", "80"], bands)
    b = assign(["150"], bands)
    assert list(a.cat.categories) == list(b.cat.categories) == ["小户", "中户", "大户", UNREAD]
    assert a.tolist() == ["小户", "中户"] and b.tolist() == ["大户"]


@pytest.mark.parametrize("kwargs, match", [
    (dict(kind="area", edges=(0, 120, 90)), "严格递增"),
    (dict(kind="area", edges=(90,)), "至少两个"),
    (dict(kind="area", edges=(-1, 90)), "从 0 或正数开始"),
    (dict(kind="size", edges=(0, 90)), "'kind'"),
    (dict(kind="area", edges=(0, 90, INF), labels=("a",)), "应有 2 个"),
    (dict(kind="area", edges=(0, 90, INF), labels=("a", "a")), "不能重复"),
    (dict(kind="area", edges=(0, 90, INF), labels=("a", UNREAD)), "不能重复"),
])
def test_bad_bands_are_refused(kwargs, match):
    with pytest.raises(BandError, match=match):
        Bands(**kwargs)


def test_assign_wants_bands():
    with pytest.raises(TypeError, match="'bands' 应为 Bands"):
        assign(["90"], (0, 90))


def test_report_lists_every_unread_row_and_nothing_is_dropped():
    values = pd.Series(["90㎡", "三房", None, "120-140", "一百平", "abc", np.nan])
    rep = report(values, "area")
    assert list(rep.columns) == ["行号", "原值", "原因", "怎么办"]
    assert rep["行号"].tolist() == [2, 3, 5, 6, 7]
    assert rep["原值"].tolist() == ["三房", "", "一百平", "abc", ""]
    assert rep["原因"].tolist() == ["「三房」是户型（几房），不是面积", "未填", "「一百平」用的是汉字数字", "看不懂「abc」", "未填"]
    assert (rep["怎么办"] != "").all()
    labels = assign(values, AREA_BANDS)
    assert len(labels) == len(values)
    assert (labels == UNREAD).sum() == len(rep)


def test_report_row_numbers_can_start_elsewhere():
    assert report(["x"], "price", first_row=2)["行号"].tolist() == [2]


def test_read_parses_each_distinct_value_once(monkeypatch):
    import mapping.segments.bands as bands_module
    calls = []
    real = bands_module._area_one

    def counting(value):
        calls.append(value)
        return real(value)

    monkeypatch.setitem(bands_module._READERS, "area", counting)
    values = ["90㎡", "120-140", "三房"] * 1000 + [None] * 5
    table = read(values, "area")
    assert sorted(map(str, calls)) == sorted(["90㎡", "120-140", "三房"])
    assert len(table) == 3005
    assert table["lo"].iloc[:3].tolist()[:2] == [90.0, 120.0] and math.isnan(table["lo"].iloc[2])
    assert table["原因"].iloc[3000:].tolist() == ["未填"] * 5


def test_bands_from_typed_cut_points():
    bands = bands_from_text("price", "２００，300、500")
    assert bands.edges == (0.0, 200.0, 300.0, 500.0, INF)
    assert bands.labels == ("200万以下", "200–300万", "300–500万", "500万以上")
    assert assign(["250万", "600万"], bands).tolist() == ["200–300万", "500万以上"]


@pytest.mark.parametrize("text, match", [("", "从小到大的正数"), ("120, 90", "从小到大的正数"), ("0, 90", "从小到大的正数"),
                                         ("90, 一百二", "应为数字")])
def test_bad_cut_points_are_refused(text, match):
    with pytest.raises(BandError, match=match):
        bands_from_text("area", text)
