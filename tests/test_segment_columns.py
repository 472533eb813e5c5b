"""Issue 15 storage: the segment columns of visitors (意向面积, 意向总价, 意向区域, 籍贯), the row hash that
leaves out trailing empty optional fields, a project's 面积段/总价段 and Store.segment_columns, on SQLite
and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import inspect, select

from mapping import importer
from mapping import schema as S
from mapping.db.models import Visitor
from mapping.db.store import TRAILING_FIELDS, VISITOR_FIELDS
from mapping.ingest.headers import auto_map
from mapping.ingest.tables import read_table, validate
from mapping.segments.bands import bands_from_text

HEADERS = ["客户编号", "到访日期", "居住区域", "年龄段", "行业", "置业顾问"]
ROWS = [
    ["S1", "2024-03-05", "浦东新区", "30-39岁", "金融", "王晓丽"],
    ["S2", "2024-03-06", "徐汇区", "", "IT", ""],
    ["S3", "2024-03-07", "闵行区", "40-49岁", "", ""],
]
# what the segment columns of S1..S3 hold once ingest fills them (set here directly: storage only)
SEGMENTS = {S.AREA_WANT: ["120-140", "", "三房"], S.PRICE_WANT: ["300万", "", ""],
            S.INTENDED_AREA: ["金桥", "", ""], S.HOMETOWN: ["320500", "", ""]}


def _result(store, rows=ROWS, headers=HEADERS, segments=None):
    buf = io.StringIO()
    pd.DataFrame(rows, columns=headers).to_csv(buf, index=False)
    table = read_table(buf.getvalue().encode("utf-8-sig"), "v.csv")
    result = validate(table, auto_map(table.frame.columns), secret=store.pii_secret())
    if segments is not None:
        records = result.records.copy()
        for col, values in segments.items():
            records[col] = values
        result = dataclasses.replace(result, records=records)
    return result


def _project(store, name="细分项目"):
    return store.create_project(name, "310000", dt.date(2024, 5, 1), ["公寓", "洋房"])


def _stored(store, pid) -> dict[str, tuple]:
    cols = [Visitor.visitor_code, *(getattr(Visitor, c) for c in S.SEGMENT_FIELDS)]
    with store.engine.connect() as conn:
        return {row[0]: tuple(row[1:]) for row in conn.execute(select(*cols).where(Visitor.project_id == pid))}


def test_schema_names_the_new_columns():
    assert (S.AREA_WANT, S.PRICE_WANT, S.INTENDED_AREA, S.ID_NUMBER, S.HOMETOWN) == (
        "area_want", "price_want", "intended_text", "id_number", "hometown")
    assert [S.COLUMN_LABELS[c] for c in (S.AREA_WANT, S.PRICE_WANT, S.INTENDED_AREA, S.ID_NUMBER, S.HOMETOWN)] == [
        "意向面积", "意向总价", "意向区域", "身份证号", "籍贯"]
    assert TRAILING_FIELDS == ("team", "area_want", "price_want", "intended_text", "hometown")
    assert VISITOR_FIELDS[-5:] == TRAILING_FIELDS
    assert S.ID_NUMBER not in VISITOR_FIELDS and S.ID_NUMBER not in Visitor.__table__.c  # never stored
    assert S.HOMETOWN not in S.CANONICAL_COLUMNS  # derived, not a file column


@pytest.mark.parametrize(("header", "canonical"), [
    ("意向面积", "area_want"), ("需求面积", "area_want"), ("面积段", "area_want"), ("意向户型面积", "area_want"),
    ("购房面积", "area_want"), ("意向面积（㎡）", "area_want"), ("AreaWant", "area_want"),
    ("意向总价", "price_want"), ("预算", "price_want"), ("购房预算", "price_want"), ("心理价位", "price_want"),
    ("意向总价（万元）", "price_want"), ("Budget", "price_want"), ("总价段", "price_want"),
    ("意向区域", "intended_text"), ("意向板块", "intended_text"), ("购房意向区域", "intended_text"),
    ("身份证号", "id_number"), ("身份证", "id_number"), ("证件号码", "id_number"), ("ID Card", "id_number"),
])
def test_segment_headers(header, canonical):
    assert auto_map(["到访日期", header]) == {"visit_date": "到访日期", canonical: header}


def test_a_bare_total_price_stays_the_deal_amount():
    assert auto_map(["到访日期", "总价", "预算"]) == {"visit_date": "到访日期", "deal_amount": "总价",
                                                      "price_want": "预算"}


def test_migration_adds_the_columns_with_empty_defaults(store):
    columns = {c["name"]: c for c in inspect(store.engine).get_columns("visitors")}
    for name, length in (("area_want", 32), ("price_want", 32), ("intended_text", 100), ("hometown", 6)):
        assert columns[name]["type"].length == length and not columns[name]["nullable"]
    assert "id_number" not in columns
    assert "segment_bands" in {c["name"] for c in inspect(store.engine).get_columns("projects")}
    pid = _project(store)
    assert store.project(pid).segment_bands == ""


def test_rows_without_segment_values_hash_as_before_the_columns(store):
    """A file imported before team and the segment columns existed re-imports as "unchanged"; a row with
    only a team hashes as in the team's time."""
    records = importer.prepare(_result(store).records)
    base = VISITOR_FIELDS[:VISITOR_FIELDS.index("team")]

    def md5(fields, i):
        return hashlib.md5("\x1f".join(importer._texts(records[c])[i] for c in fields).encode()).hexdigest()

    assert records["row_hash"].tolist() == [md5((*base, "team"), 0), md5(base, 1), md5(base, 2)]
    assert records["row_hash"].tolist() == importer._row_hashes_reference(records)
    # a segment value after empty ones keeps the empty ones before it (positions stay fixed)
    records = importer.prepare(_result(store, segments={S.AREA_WANT: ["", "", ""], S.PRICE_WANT: ["", "", ""],
                                                        S.INTENDED_AREA: ["", "", ""],
                                                        S.HOMETOWN: ["", "310100", ""]}).records)
    assert records["row_hash"].tolist() == importer._row_hashes_reference(records)
    assert records["row_hash"][1] == md5((*base, *TRAILING_FIELDS), 1)
    assert records["row_hash"][2] == md5(base, 2)


def test_an_old_import_stays_unchanged_and_segment_values_are_stored(store):
    pid = _project(store)
    first = importer.import_records(store, pid, _result(store), "v.csv", "sha1")
    assert (first.inserted, first.updated, first.unchanged) == (3, 0, 0)
    assert set(_stored(store, pid).values()) == {("", "", "", "")}
    again = importer.import_records(store, pid, _result(store), "v.csv", "sha1")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    # the same visitors with segment values: S1 and S3 change, S2 (all empty) does not
    filled = importer.import_records(store, pid, _result(store, segments=SEGMENTS), "v2.csv", "sha2")
    assert (filled.inserted, filled.updated, filled.unchanged) == (0, 2, 1)
    assert _stored(store, pid) == {"S1": ("120-140", "300万", "金桥", "320500"), "S2": ("", "", "", ""),
                                   "S3": ("三房", "", "", "")}
    assert importer.import_records(store, pid, _result(store, segments=SEGMENTS), "v2.csv", "sha2").unchanged == 3
    importer.undo_import(store, filled.import_id)  # undo puts the empty values back
    assert set(_stored(store, pid).values()) == {("", "", "", "")}


def test_segment_columns_one_row_per_visitor(store):
    pid = _project(store)
    other = _project(store, "另一个项目")
    importer.import_records(store, pid, _result(store, segments=SEGMENTS), "v.csv", "sha1")
    importer.import_records(store, other, _result(store, rows=[["X1", "2024-03-05", "浦东", "", "", ""]]),
                            "o.csv", "sha3")
    frame = store.segment_columns(pid)
    assert list(frame.columns) == ["visitor_id", "age_band", "industry", "income_band", "family", "purpose",
                                   "area_want", "price_want", "hometown", "intended_text"]
    assert frame["visitor_id"].dtype == np.int64
    assert all(isinstance(frame[c].dtype, pd.CategoricalDtype) for c in frame.columns[1:])
    with store.engine.connect() as conn:
        ids = dict(conn.execute(select(Visitor.visitor_code, Visitor.id).where(Visitor.project_id == pid)).all())
    assert frame["visitor_id"].tolist() == sorted(ids.values())
    by_code = frame.set_index(frame["visitor_id"].map({v: k for k, v in ids.items()}))
    table = by_code.drop(columns="visitor_id").astype(str).sort_index()
    assert table.to_dict("index") == {
        "S1": {"age_band": "30-39岁", "industry": "金融", "income_band": "", "family": "", "purpose": "",
               "area_want": "120-140", "price_want": "300万", "hometown": "320500", "intended_text": "金桥"},
        "S2": {"age_band": "", "industry": "IT", "income_band": "", "family": "", "purpose": "",
               "area_want": "", "price_want": "", "hometown": "", "intended_text": ""},
        "S3": {"age_band": "40-49岁", "industry": "", "income_band": "", "family": "", "purpose": "",
               "area_want": "三房", "price_want": "", "hometown": "", "intended_text": ""},
    }
    assert len(store.segment_columns(other)) == 1
    assert store.hometown_count(pid) == 1 and store.hometown_count(other) == 0  # S1 only; per project


def test_segment_columns_of_an_empty_project(store):
    frame = store.segment_columns(_project(store))
    assert frame.empty and frame["visitor_id"].dtype == np.int64 and len(frame.columns) == 10


def test_segment_bands_are_saved_checked_and_change_the_data_version(store):
    pid = _project(store)
    before = store.data_version(pid)
    store.set_segment_bands(pid, "0, 90，120、144", "300 500 800")
    saved = json.loads(store.project(pid).segment_bands)
    assert saved == {"area": "90,120,144", "price": "300,500,800"}  # a typed leading 0 is dropped
    assert bands_from_text("area", saved["area"]).labels == ("90㎡以下", "90–120㎡", "120–144㎡", "144㎡以上")
    after = store.data_version(pid)
    assert after != before
    store.set_segment_bands(pid, "90,120,144", "300,500,800")  # the same bands: nothing changes
    assert store.data_version(pid) == after
    with pytest.raises(ValueError, match="面积段"):
        store.set_segment_bands(pid, "120, 90", "")
    with pytest.raises(ValueError, match="总价段"):
        store.set_segment_bands(pid, "", "三百")
    assert json.loads(store.project(pid).segment_bands)["area"] == "90,120,144"  # a refused change saves nothing
    store.set_segment_bands(pid, "", "")  # back to the defaults
    assert store.project(pid).segment_bands == "" and store.data_version(pid) != after
    store.set_segment_bands(pid, "", "250")
    assert json.loads(store.project(pid).segment_bands) == {"area": "", "price": "250"}


def test_segment_columns_read_any_text(store):
    """A text with the separator SQLite's read joins by, CSV quotes, a comma or a line break reads back as stored."""
    from sqlalchemy import update

    pid = _project(store)
    importer.import_records(store, pid, _result(store, segments=SEGMENTS), "v.csv", "sha1")
    odd = 'a,"b"\nc\x1fd'
    with store.engine.begin() as conn:
        conn.execute(update(Visitor).where(Visitor.visitor_code == "S2").values(industry=odd, intended_text="é,\r\n"))
    frame = store.segment_columns(pid)
    assert frame["industry"].tolist() == ["金融", odd, ""]
    assert frame["intended_text"].tolist() == ["金桥", "é,\r\n", ""]
    assert list(frame["industry"].cat.categories) == sorted(["金融", odd, ""])
