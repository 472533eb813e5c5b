"""Segment codes per Facts row (mapping.segments.axis): hand-checked on a small project."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from mapping.analysis.facts import Facts
from mapping.segments import axis as AX
from mapping.segments import bands as SB

D = dt.date(2024, 3, 1)


def facts_of(visitors: list[tuple]) -> Facts:
    """One home row per visitor (id, intention, channel); visitor 3 has a work row too."""
    rows = []
    for vid, intention, channel in visitors:
        dims = ["home", "work"] if vid == 3 else ["home"]
        for d in dims:
            rows.append({"visitor_id": vid, "dimension": d, "adcode": "310115", "lng": None, "lat": None,
                         "method": "district_name", "town_code": "", "outside": False, "product_line": "公寓",
                         "intention": intention, "channel": channel, "visit_date": D, "deal": False})
    return Facts.build(pd.DataFrame(rows))


def columns_of(data: dict) -> pd.DataFrame:
    """Like Store.segment_columns: visitor_id int64, the rest categorical."""
    out = pd.DataFrame({"visitor_id": np.asarray(data.pop("visitor_id"), dtype=np.int64)})
    for name, values in data.items():
        out[name] = pd.Categorical(values)
    return out


@pytest.fixture
def small():
    # rows: v1, v2, v3 (home), v3 (work), v4; the segment columns list visitors in another order
    facts = facts_of([(1, "A", "拓客"), (2, "C", "自然到访"), (3, "", "拓客"), (4, "B", "")])
    columns = columns_of({
        "visitor_id": [4, 3, 2, 1],
        "age_band": ["35岁", "25-34岁", "", "61"],
        "industry": ["金融", "IT互联网", "金融", ""],
        "area_want": ["90㎡", "三房", "", "120-140"],
        "price_want": ["", "", "", ""],
        "hometown": ["320500", "310000", "", "320100"],
    })
    return facts, columns


def test_codes_follow_visitors_to_their_rows(small):
    facts, columns = small
    seg = AX.Segments.build(facts, columns, {"area": SB.AREA_BANDS, "price": SB.PRICE_BANDS})
    codes, vocab = seg.codes("industry")
    assert vocab == ["IT互联网", "金融"]
    # v1 "", v2 金融, v3 IT互联网 (two rows), v4 金融
    assert codes.tolist() == [-1, 1, 0, 0, 1]
    assert codes.dtype == np.int32

    codes, vocab = seg.codes("age_band")
    assert vocab == ["25-34岁", "35-44岁", "55岁及以上"]
    assert codes.tolist() == [2, -1, 0, 0, 1]


def test_bands_in_band_order_with_unread_last(small):
    facts, columns = small
    seg = AX.Segments.build(facts, columns, {"area": SB.AREA_BANDS, "price": SB.PRICE_BANDS})
    codes, vocab = seg.codes("area_band")
    # v1 120-140 → 130 → 120–144㎡; v2 empty and v3 三房 → 未填/无法识别; v4 90㎡ → 90㎡以下
    assert vocab == ["90㎡以下", "120–144㎡", SB.UNREAD]
    assert codes.tolist() == [1, 2, 2, 2, 0]
    # price: every value empty → all 未填/无法识别, and the segment is not offered
    codes, vocab = seg.codes("price_band")
    assert vocab == [SB.UNREAD] and codes.tolist() == [0] * 5


def test_project_bands_change_the_band(small):
    facts, columns = small
    bands = AX.project_bands(type("P", (), {"segment_bands": '{"area": "100, 130"}'})())
    seg = AX.Segments.build(facts, columns, bands)
    codes, vocab = seg.codes("area_band")
    # 120-140 is placed by its midpoint 130, in (100, 130]; 90㎡ in 100㎡以下; 130㎡以上 has nobody
    assert vocab == ["100㎡以下", "100–130㎡", SB.UNREAD]
    assert codes.tolist() == [1, 2, 2, 2, 0]


def test_hometown_names_by_code(small):
    facts, columns = small
    seg = AX.Segments.build(facts, columns, {})
    codes, vocab = seg.codes("hometown_province")
    assert vocab == ["上海市", "江苏省"]  # national code order: 31 before 32
    assert codes.tolist() == [1, -1, 0, 0, 1]
    codes, vocab = seg.codes("hometown_city")
    assert vocab == ["上海市", "南京市", "苏州市"]
    assert codes.tolist() == [1, -1, 0, 0, 2]


def test_intention_and_channel_from_facts(small):
    facts, columns = small
    seg = AX.Segments.build(facts, columns, {})
    codes, vocab = seg.codes("intention")
    assert vocab == ["A", "B", "C"]
    assert codes.tolist() == [0, 2, -1, -1, 1]
    codes, vocab = seg.codes("channel")
    assert vocab == ["拓客", "自然到访"]
    assert codes.tolist() == [0, 1, 0, 0, -1]


def test_available_lists_filled_segments_in_menu_order(small):
    facts, columns = small
    seg = AX.Segments.build(facts, columns, {})
    assert seg.available() == ["area_band", "age_band", "industry", "intention", "channel",
                               "hometown_province", "hometown_city"]


def test_missing_columns_and_unlisted_visitors():
    facts = facts_of([(1, "A", "拓客"), (2, "A", "拓客")])
    seg = AX.Segments.build(facts, columns_of({"visitor_id": [2], "industry": ["金融"]}), {})
    assert seg.codes("industry")[0].tolist() == [-1, 0]  # visitor 1 not in the columns: no value
    assert seg.codes("family") == (seg.codes("family")[0], [])
    assert seg.codes("family")[0].tolist() == [-1, -1]
    assert "family" not in seg.available() and "area_band" not in seg.available()
    with pytest.raises(KeyError, match="未知的客群细分"):
        seg.codes("shoe_size")
    with pytest.raises(ValueError, match="visitor_id"):
        AX.Segments.build(facts, pd.DataFrame({"id": [1]}), {})


@pytest.mark.parametrize("value, band", [
    (24, "25岁以下"), ("25", "25-34岁"), ("34岁", "25-34岁"), ("35周岁", "35-44岁"), (44.0, "35-44岁"),
    ("45", "45-54岁"), ("54 岁", "45-54岁"), ("55", "55岁及以上"), ("８０", "55岁及以上"),
    ("55岁以上", "55岁及以上"), ("25岁以下", "25岁以下"), ("35~44岁", "35-44岁"),
    ("18-24岁", "18-24岁"), ("青年", "青年"), ("", ""), (None, ""), (0, "0"), (200, "200"),
])
def test_age_band(value, band):
    assert AX.age_band(value) == band


def test_project_bands_refuses_bad_text():
    with pytest.raises(SB.BandError, match="无法读取"):
        AX.project_bands(type("P", (), {"segment_bands": "{oops"})())
    with pytest.raises(SB.BandError, match="从小到大"):
        AX.project_bands(type("P", (), {"segment_bands": '{"price": "500, 300"}'})())


def test_row_index_with_sparse_ids():
    ids = np.array([10_000_000_000, 5, 70], dtype=np.int64)  # far apart: the binary search path
    rows = np.array([5, 70, 6, 10_000_000_000, 5], dtype=np.int64)
    assert AX._row_index(ids, rows).tolist() == [1, 2, 3, 0, 1]
    assert AX._row_index(ids[:0], rows).tolist() == [0] * 5
