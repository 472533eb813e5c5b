"""A saved alias can be undone: the store forgets it and the affected locations are resolved again."""

import datetime as dt
import io

import pandas as pd
import pytest

from mapping import corrections, importer
from mapping.ingest.tables import auto_map, read_table, validate

HEADERS = ["客户编号", "姓名", "手机", "到访日期", "意向业态", "居住区域", "是否成交"]
ROWS = [
    ["A1", "张三丰", "13812345678", "2024-03-05", "公寓", "火星基地", "否"],
    ["A2", "李四", "13912345678", "2024-03-06", "洋房", "火星基地", "是"],
    ["A3", "王五", "13700001111", "2024-03-07", "公寓", "徐汇区", "否"],
]


def _import(store) -> int:
    pid = store.create_project("撤销测试", "310000", dt.date(2024, 5, 1), ["公寓", "洋房"])
    buf = io.StringIO()
    pd.DataFrame(ROWS, columns=HEADERS).to_csv(buf, index=False)
    table = read_table(buf.getvalue().encode("utf-8-sig"), "v.csv")
    importer.import_records(store, pid, validate(table, auto_map(table.frame.columns), secret=store.pii_secret()),
                            "v.csv", "sha")
    return pid


def _home(store, pid) -> pd.DataFrame:
    locs = store.locations(pid)
    return locs[locs["dimension"] == "home"]


def test_remove_alias_restores_the_review_queue(store):
    pid = _import(store)
    assert corrections.save_alias(store, "310000", "火星基地", "310115", label="金桥") == 2
    assert (_home(store, pid)["method"] == "alias").sum() == 2
    assert corrections.alias_table(store, "310000")["text"].tolist() == ["火星基地"]

    assert corrections.remove_alias(store, "310000", "火星基地") == 2
    home = _home(store, pid)
    assert (home["method"] == "alias").sum() == 0
    assert (home["adcode"] == "310115").sum() == 0 and (home["adcode"] == "310104").sum() == 1
    assert "火星基地" in corrections.review_queue(store, pid)["text"].tolist()
    assert corrections.alias_table(store, "310000").empty


def test_remove_alias_matches_the_normalised_text(store):
    _import(store)
    corrections.save_alias(store, "310000", "火星基地", "310115")
    assert corrections.remove_alias(store, "310000", "　火星基地 ") == 2


@pytest.mark.parametrize("text,message", [("火星基地", "没有找到「火星基地」的对应关系"), ("  ", "地名为空")])
def test_remove_alias_refuses_in_chinese(store, text, message):
    with pytest.raises(ValueError, match=message):
        corrections.remove_alias(store, "310000", text)


def test_delete_alias_is_per_city(store):
    store.put_alias("310000", "火星基地", "310115")
    store.put_alias("320500", "火星基地", "320583")
    assert store.delete_alias("310000", "火星基地") == 1
    assert store.aliases("310000") == {} and "火星基地" in store.aliases("320500")
    assert store.delete_alias("310000", "火星基地") == 0


def test_alias_table_columns_and_labels(store):
    store.put_alias("310000", "乙地", "310104")
    store.put_alias("310000", "甲地", "310115", 121.6, 31.26, "金桥")
    table = corrections.alias_table(store, "310000")
    assert list(table.columns) == corrections.ALIAS_COLUMNS
    assert set(table["text"]) == {"甲地", "乙地"}
    assert table.set_index("text").loc["甲地", "label"] == "金桥"
