"""The hostile corpus through the whole import (SQLite and PostgreSQL), the new separators and
legacy-.xls checks, and no clear phone number or name in any log record, even when the
database refuses a write."""

from __future__ import annotations

import importlib.util
import inspect
import logging
import re
import sys
import traceback
import warnings
from pathlib import Path

import pandas as pd
import pytest

from mapping.ingest.tables import IngestError, auto_map, read_table, validate

if "hostile_corpus" not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        "hostile_corpus", Path(__file__).parent / "data" / "hostile" / "make_corpus.py")
    sys.modules["hostile_corpus"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules["hostile_corpus"])
corpus_mod = sys.modules["hostile_corpus"]
CORPUS = corpus_mod.corpus()
_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def pii_key(monkeypatch):
    monkeypatch.setenv("TUOKE_PII_KEY", "ab" * 32)  # no key file written beside the test database


def pii_arguments(store=None) -> dict:
    """What ``validate`` takes for hashing personal data: ``secret`` (key and salt) or, before the
    key moved out of the database, ``salt``."""
    if "secret" in inspect.signature(validate).parameters:
        if store is not None:
            return {"secret": store.pii_secret()}
        from mapping.ingest.keys import PiiSecret

        return {"secret": PiiSecret(bytes(32), "s")}
    return {"salt": store.salt() if store is not None else "s"}


def outcome(name: str, data: bytes, store=None) -> tuple[str, object]:
    try:
        table = read_table(data, name)
        result = validate(table, auto_map(table.frame.columns), **pii_arguments(store))
    except IngestError as exc:
        return "refused", str(exc)
    return "imported", result


def test_corpus_covers_the_hostile_kinds():
    names = set(CORPUS)
    assert len(names) >= 40
    for needed in ("sparse_bomb_XFD1048576.xlsx", "declared_900k_rows.xlsx", "xls_sparse_bomb_IV65536.xls",
                   "xls_dense_blanks_20000x256.xls", "corrupt_zip.xlsx", "malformed_sheet_xml.xlsx", "cr_only.csv",
                   "nul_bytes.csv", "big5.csv", "utf16le_bom.csv", "cell_100kb.csv", "formulas.xlsx",
                   "header_row_15.xlsx", "duplicated_headers.csv", "second_phone_column.csv", "zip_bomb_entry.xlsx",
                   "xlsx_bytes_named.csv", "csv_named.xlsx", "empty.csv", "only_headers.csv", "binary.csv",
                   "html_export.xls", "fullwidth_comma.csv", "xls_truncated.xls"):
        assert needed in names, needed


@pytest.mark.parametrize("name,delimiter", [
    ("fullwidth_comma.csv", "，"), ("fullwidth_semicolon.csv", "；"), ("enumeration_comma.txt", "、"),
    ("comma_with_fullwidth_in_values.csv", ","), ("tsv_gbk_named.xls", "\t"),
])
def test_full_width_separators(name, delimiter):
    table = read_table(CORPUS[name], name)
    assert table.delimiter == delimiter
    assert {"客户编号", "手机", "到访日期", "渠道"} <= set(table.frame.columns)
    if name.startswith("comma_with"):  # 「、」 and 「，」 inside a value stay in it
        assert table.frame["备注"].tolist() == ["公寓、洋房，周末再来"] * 2


def test_xls_bomb_message_names_sheet_and_range():
    _, message = outcome("xls_hidden_far_cell.xls", CORPUS["xls_hidden_far_cell.xls"])
    assert "客户" in message and "IV65536" in message and "删除" in message


@pytest.mark.parametrize("name,words", [
    ("xls_truncated.xls", "已损坏"), ("nonsense.xls", "已损坏"), ("xls_broken_sheet_offset.xls", "已损坏"),
    ("xls_encrypted.xls", "密码"), ("random_bytes.xls", "不是 Excel 格式"), ("corrupt_zip.xlsx", "已损坏"),
])
def test_broken_excel_is_refused_in_chinese(name, words):
    kind, message = outcome(name, CORPUS[name])
    assert kind == "refused" and words in message and "*" not in message, message


@pytest.mark.parametrize("name", ["html_export.xls", "crm_html_export.xls", "html_meta_first_gbk.xls",
                                  "html_utf16.xls", "spreadsheetml_2003.xls", "html_renamed.xlsx"])
def test_web_page_and_xml_saved_as_xls_say_save_as_xlsx(name):
    kind, message = outcome(name, CORPUS[name])
    assert kind == "refused" and "另存为" in message and ".xlsx" in message, message


def test_xls_from_excel_reads_like_before():
    kind, result = outcome("good.xls", CORPUS["good.xls"])
    assert kind == "imported" and result.records["visitor_id"].tolist() == ["C1", "C2"]


def test_every_file_imports_or_is_refused_and_nothing_partial_is_written(store, pii_key):
    """The whole corpus through the import pipeline into the database (SQLite and PostgreSQL):
    an imported file writes its visitors and one import row; a refused one writes nothing."""
    import mapping.importer as importer

    pid = store.create_project("恶意文件", "310000", None, ["公寓", "洋房"])
    imported = 0
    for name in sorted(CORPUS):
        before = len(store.visitors(pid)), len(store.imports(pid))
        kind, result = outcome(name, CORPUS[name], store)
        if kind == "refused":
            assert _CJK.search(result), (name, result)
            assert (len(store.visitors(pid)), len(store.imports(pid))) == before, name
            continue
        summary = importer.import_records(store, pid, result, name, "0" * 64)
        assert len(store.imports(pid)) == before[1] + 1, name
        assert len(store.visitors(pid)) == before[0] + summary.inserted, name
        imported += 1
    assert imported >= 20


# ------------------------------------------------------------------ personal data never in logs
PHONES = ["13812345678", "13987654321", "15011112222"]
NAMES = ["欧阳娜娜", "诸葛孔明", "司马相如"]


def _pii_file() -> bytes:
    rows = [["客户编号", "姓名", "手机", "备用电话", "到访日期", "居住区域", "渠道", "备注"]]
    for i, (name, phone) in enumerate(zip(NAMES, PHONES)):
        rows.append([f"K{i}", name, phone, PHONES[(i + 1) % 3], "2024-03-05", "浦东新区", "自然到访", f"{name}说周末再来"])
    return "\n".join(",".join(r) for r in rows).encode()


def _log_text(records, caught) -> str:
    parts = []
    for r in records:
        parts.append(r.getMessage())
        if r.exc_info:
            parts.append("".join(traceback.format_exception(*r.exc_info)))
    parts += [str(w.message) for w in caught]
    return "\n".join(parts)


def test_no_clear_phone_or_name_in_any_log_record(store, pii_key, caplog):
    """Import a file with phones and names with every logger at DEBUG (SQLAlchemy's SQL and
    parameters included), then make the database refuse a write (a unique key) and log it the way
    the pages do (``ui.common.guarded``: the traceback at ERROR): no clear phone or name anywhere."""
    import mapping.importer as importer
    from mapping.db.store import VISITOR_FIELDS

    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool", "alembic", "tuoke", "mapping"):
        caplog.set_level(logging.DEBUG, logger=name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pid = store.create_project("日志项目", "310000", None, ["公寓"])
        kind, result = outcome("visitors.csv", _pii_file(), store)
        assert kind == "imported", result
        importer.import_records(store, pid, result, "visitors.csv", "0" * 64)
        # the same visitors again, written directly: the unique key (project, visitor_key) refuses them
        records = importer.prepare(result.records)
        for col in VISITOR_FIELDS:
            if col not in records:
                records[col] = None
        batch = dict(filename="again.csv", file_sha256="0" * 64, rows_total=3, accepted=3, fixed=0, rejected=0,
                     unchanged=0)
        with pytest.raises(Exception) as failure:
            store.write_import(pid, batch, records, records.iloc[:0], pd.DataFrame(
                columns=["visitor_key", "dimension", "method", "adcode", "lng", "lat", "precision", "text"]))
        logging.getLogger("tuoke").error("page error\n%s", "".join(
            traceback.format_exception(failure.type, failure.value, failure.tb)))
        logging.getLogger("tuoke").error("import failed", exc_info=(failure.type, failure.value, failure.tb))
    text = _log_text(caplog.records, caught)
    assert "page error" in text and len(caplog.records) > 10  # the capture did see the SQL and the failure
    for secret in PHONES + NAMES:
        assert secret not in text, f"{secret} in the log"
    assert not re.search(r"1[3-9]\d{9}", text), "a clear mobile number in the log"
