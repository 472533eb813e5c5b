"""mapping.segments.band_tables: visitors and deals per band × product line, unread values; counted by hand.

Seven visitors, k = 2, default 面积段 (90/120/144/180) and 总价段 (200/300/500/800/1000 万):

| visitor | line | deal | 意向面积 | band        | 意向总价  | band        |
|---------|------|------|----------|-------------|-----------|-------------|
| 1       | 公寓 | yes  | 85㎡     | 90㎡以下     | 300万     | 200–300万    |
| 2       | 公寓 | no   | 80平     | 90㎡以下     | 3000000   | 200–300万    |
| 3       | 公寓 | yes  | 130      | 120–144㎡   | 1.2亿     | 1000万以上   |
| 4       | 洋房 | no   | 120-140  | 120–144㎡   | 45000     | 未填/无法识别 (a 单价) |
| 5       | 洋房 | yes  | 三房     | 未填/无法识别 |           | 未填/无法识别 |
| 6       | ""   | no   | 三房     | 未填/无法识别 |           | 未填/无法识别 |
| 7       | 洋房 | no   | 约一百平 | 未填/无法识别 | 500万     | 300–500万    |
"""

from __future__ import annotations

import pandas as pd
import pytest

from mapping.segments import band_tables as BT
from mapping.segments.bands import AREA_BANDS, PRICE_BANDS, UNREAD, bands_from_text

VISITORS = pd.DataFrame({"visitor_id": range(1, 8), "line": ["公寓"] * 3 + ["洋房", "洋房", "", "洋房"],
                         "deal": [True, False, True, False, True, False, False],
                         "bought": ["公寓", "", "公寓", "", "洋房", "", ""]})
COLUMNS = pd.DataFrame({"visitor_id": range(7, 0, -1),  # any order
                        "area_want": ["约一百平", "三房", "三房", "120-140", "130", "80平", "85㎡"],
                        "price_want": ["500万", "", "", "45000", "1.2亿", "3000000", "300万"]})


def _cells(table: pd.DataFrame) -> dict:
    return {(r["段"], r["业态"]): (None if pd.isna(r["到访"]) else int(r["到访"]),
                                   None if pd.isna(r["成交"]) else int(r["成交"])) for r in table.to_dict("records")}


def test_area_bands_by_line_by_hand():
    table = BT.band_distribution(VISITORS, COLUMNS, AREA_BANDS, 2, ["洋房", "公寓"])
    assert table.columns.tolist() == BT.COLUMNS
    assert _cells(table) == {
        ("90㎡以下", "公寓"): (2, 1), ("90㎡以下", "全部业态"): (2, 1),
        ("120–144㎡", "洋房"): (None, None), ("120–144㎡", "公寓"): (None, None), ("120–144㎡", "全部业态"): (2, 1),
        (UNREAD, "洋房"): (2, 1), (UNREAD, BT.NO_LINE): (None, None), (UNREAD, "全部业态"): (3, 1),
    }
    # bands in band order, the lines in the order given, 未填业态 then 全部业态 last
    assert table["段"].tolist()[:2] == ["90㎡以下", "90㎡以下"] and table["段"].iloc[-1] == UNREAD
    assert table[table["段"] == "120–144㎡"]["业态"].tolist() == ["洋房", "公寓", "全部业态"]
    assert table["样本不足"].tolist().count(True) == 3
    assert table.loc[table["业态"] == "全部业态", "成交率"].tolist() == pytest.approx([0.5, 0.5, 1 / 3])


def test_price_bands_and_a_project_table():
    table = BT.band_distribution(VISITORS, COLUMNS, PRICE_BANDS, 1)
    totals = {r["段"]: int(r["到访"]) for r in table.to_dict("records") if r["业态"] == "全部业态"}
    assert totals == {"200–300万": 2, "300–500万": 1, "1000万以上": 1, UNREAD: 3}
    mine = bands_from_text("area", "100, 150")
    totals = {r["段"]: int(r["到访"]) for r in BT.band_distribution(VISITORS, COLUMNS, mine, 1).to_dict("records")
              if r["业态"] == "全部业态"}
    assert totals == {"100㎡以下": 2, "100–150㎡": 2, UNREAD: 3}


def test_no_such_column_is_all_unread():
    table = BT.band_distribution(VISITORS, COLUMNS[["visitor_id"]], AREA_BANDS, 1)
    assert set(table["段"]) == {UNREAD}


def test_unread_summary_by_hand():
    unread = BT.unread_summary(COLUMNS["area_want"], "area")
    assert (unread.empty, unread.unread) == (0, 3)
    assert unread.top[["原值", "次数"]].values.tolist() == [["三房", 2], ["约一百平", 1]]
    assert "户型" in unread.top["原因"].iloc[0] and unread.top["怎么办"].iloc[0]
    assert unread.note("意向面积") == "3 位客户的意向面积无法识别，0 位未填；都算在「未填/无法识别」段里，没有丢掉。"
    prices = BT.unread_summary(COLUMNS["price_want"], "price")
    assert (prices.empty, prices.unread) == (2, 1) and "单价" in prices.top["原因"].iloc[0]
    assert BT.unread_summary(["90㎡"], "area").note("意向面积") == "所有客户的意向面积都读懂了。"
    with pytest.raises(ValueError, match="'kind'"):
        BT.unread_summary(["90"], "rooms")


@pytest.mark.parametrize("text", ["90, 120, 144, 180", "100, 150", "60"])
def test_cut_text_round_trips(text):
    bands = bands_from_text("area", text)
    assert BT.cut_text(bands) == text and bands_from_text("area", BT.cut_text(bands)) == bands
