"""Undo an import: every import keeps the previous version of each visitor it touches."""

import datetime as dt
import io

import pandas as pd
from sqlalchemy import text

from mapping import importer
from mapping.ingest.tables import auto_map, read_table, validate

HEADERS = ["客户编号", "姓名", "手机", "到访日期", "意向业态", "居住区域", "居住经度", "居住纬度", "坐标系",
           "是否成交", "成交金额"]

FILE_A = [
    ["A1", "张三丰", "13812345678", "2024-03-05", "公寓", "", "121.49531234567891", "31.241812345678901", "WGS84",
     "是", "3012345.67"],
    ["A2", "李四", "13912345678", "2024-03-06", "洋房", "徐汇区", "", "", "", "否", ""],
    ["A3", "王五", "13700001111", "2024-03-07", "别墅", "不详", "", "", "", "否", ""],
    ["", "赵六", "13700002222", "2024-03-08", "公寓", "浦东", "", "", "", "否", ""],
]
# B: A1 moves (a point to a district), A2 buys, the visitor without an id changes line; two new visitors
FILE_B = [
    ["A1", "张三丰", "13812345678", "2024-03-05", "公寓", "浦东新区", "", "", "", "是", "3012345.67"],
    ["A2", "李四", "13912345678", "2024-03-06", "洋房", "徐汇区", "", "", "", "是", "0.1"],
    ["A3", "王五", "13700001111", "2024-03-07", "别墅", "不详", "", "", "", "否", ""],
    ["", "赵六", "13700002222", "2024-03-08", "洋房", "浦东", "", "", "", "否", ""],
    ["B1", "周九", "13700004444", "2024-03-10", "公寓", "金桥", "121.6012345678901", "31.2698765432109",
     "WGS84", "否", ""],
    ["B2", "吴十", "13700005555", "2024-03-11", "洋房", "闵行区", "", "", "", "否", ""],
]


def _result(rows, salt):
    buf = io.StringIO()
    pd.DataFrame(rows, columns=HEADERS).to_csv(buf, index=False)
    table = read_table(buf.getvalue().encode("utf-8-sig"), "v.csv")
    return validate(table, auto_map(table.frame.columns), salt=salt)


def _import(store, pid, rows, name):
    return importer.import_records(store, pid, _result(rows, store.salt()), name, name)


def _project(store, name="测试项目"):
    return store.create_project(name, "310000", dt.date(2024, 5, 1), ["公寓", "洋房", "别墅"])


def _state(store, pid):
    """Everything the pages read of a project, in a stable order."""
    visitors = store.visitors(pid).sort_values("id").reset_index(drop=True)
    locations = store.locations(pid).sort_values(["visitor_id", "dimension"]).reset_index(drop=True)
    return visitors, locations


def _assert_same(left, right):
    for a, b in zip(left, right):
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def _counts(store):
    with store.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                for t in ("visitors", "locations", "imports", "visitor_versions")}


def test_import_keeps_a_version_of_every_visitor_it_touches(store):
    pid = _project(store)
    a = _import(store, pid, FILE_A, "a.csv")
    b = _import(store, pid, FILE_B, "b.csv")
    assert (b.inserted, b.updated, b.unchanged) == (2, 3, 1)
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT import_id, previous IS NULL FROM visitor_versions")).all()
    assert sorted((i, bool(n)) for i, n in rows) == sorted([(a.import_id, True)] * 4
                                                           + [(b.import_id, True)] * 2 + [(b.import_id, False)] * 3)
    assert store.imports(pid)["created_by"].tolist() == ["", ""]
