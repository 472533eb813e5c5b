"""mapping.segments.hometown: 籍贯 from ID numbers' address codes, historic codes included, no ID kept."""

import pandas as pd
import pytest

from mapping.segments.hometown import COLUMNS, HISTORIC, UNREAD, VALID, check_digit, derive

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def make_id(first17: str) -> str:
    """An 18-digit number with its check digit, computed here independently of the module."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS))
    return first17 + "10X98765432"[total % 11]


def wrong_check(first17: str) -> str:
    good = make_id(first17)[-1]
    return first17 + ("0" if good != "0" else "1")


def test_check_digit_matches_the_standards_example():
    assert check_digit("11010519491231002") == "X"
    assert make_id("11010519491231002") == "11010519491231002X"


@pytest.mark.parametrize("first17", ["31011519850101123", "51220119900101001", "42900419950101123"])
def test_check_digit_agrees_with_the_hand_computation(first17):
    assert first17 + check_digit(first17) == make_id(first17)


def test_hand_checked_table():
    values = [
        make_id("31011519850101123"),      # 上海 浦东新区, current
        make_id("51220119900101001"),      # 四川 万县市 (1982–1991): now 重庆 万州
        make_id("51020219800101123"),      # 四川 重庆市 渝中区 before 1997
        make_id("42900419950101123"),      # 湖北 仙桃市: 省直辖县级, the county is the city
        "310225850101123",                 # 15-digit: 上海 南汇县 (abolished 2001), born 1985
        make_id("32010219900101001"),      # 江苏 南京 玄武区
    ]
    got = derive(values)
    assert list(got.columns) == COLUMNS
    assert got.astype(str).to_numpy().tolist() == [
        ["310000", "上海市", "310100", "上海市", VALID, ""],
        ["510000", "四川省", "512200", "万县地区", HISTORIC, ""],
        ["510000", "四川省", "510200", "重庆市", HISTORIC, ""],
        ["420000", "湖北省", "429004", "仙桃市", VALID, ""],
        ["310000", "上海市", "310100", "上海市", HISTORIC, ""],
        ["320000", "江苏省", "320100", "南京市", VALID, ""],
    ]


def test_code_named_as_it_was_when_issued_not_before_1984():
    # 512200 was 绵阳地区 until 1981 and 万县地区 1982–1991; an ID number was issued no earlier than 1984,
    # so someone born in 1970 with 5122xx got it from 万县.
    got = derive([make_id("51220119700101001")])
    assert got["city"].tolist() == ["万县地区"]


@pytest.mark.parametrize("value, reason", [
    ("", "未填"),
    (None, "未填"),
    ("31011519850101", "位数不对：14 位"),
    ("3101151985010112345", "位数不对：19 位"),
    ("31011519850101A23X", "含非数字字符"),
    (1.1010119900307e17, "含非数字字符"),   # a number Excel stored as float: "1.1010119900307e+17"
    (wrong_check("31011519850101123"), "校验位不对"),
    (make_id("99010119900101001"), "地区码不在代码表中"),
])
def test_unreadable_numbers_say_why(value, reason):
    got = derive([value]).iloc[0]
    assert got["status"] == UNREAD
    assert reason in got["reason"]
    assert (got[["province_code", "province", "city_code", "city"]] == "").all()


def test_lower_case_x_and_full_width_digits_are_accepted():
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in make_id("31011519850101123"))
    got = derive(["11010519491231002x", full_width])
    assert got["province"].tolist() == ["北京市", "上海市"]
    assert got["status"].tolist() == [VALID, VALID]


def test_the_id_number_is_never_returned():
    ids = [make_id("31011519850101123"), "310225850101123", wrong_check("31011519850101123")]
    got = derive(pd.Series(ids, name="身份证号"))
    cells = got.astype(str).to_numpy().ravel().tolist()
    for number in ids:
        assert not any(number in c or number[6:14] in c for c in cells)
    assert "身份证号" not in got.columns
    assert not any("19850101" in c or "850101" in c for c in cells)  # no birth date either


def test_order_and_length_are_kept_and_each_code_is_looked_up_once(monkeypatch):
    import mapping.segments.hometown as hometown
    calls = []
    real = hometown._place
    monkeypatch.setattr(hometown, "_place", lambda prefix, year: calls.append(prefix) or real(prefix, year))
    values = [make_id("31011519850101123"), "", make_id("42900419950101123")] * 500
    got = derive(values)
    assert len(got) == 1500
    assert got["city"].tolist()[:3] == ["上海市", "", "仙桃市"]
    assert sorted(calls) == ["310115", "429004"]


def test_empty_input():
    got = derive([])
    assert list(got.columns) == COLUMNS and len(got) == 0
