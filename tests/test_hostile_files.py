"""Hostile files: every one is imported or refused with a Chinese IngestError, never another exception;
spreadsheet bombs are refused from the metadata before any cell is read."""

import importlib.util
import re
import sys
import time
from pathlib import Path

import pytest

from mapping.ingest import limits as L
from mapping.ingest.keys import PiiSecret
from mapping.ingest.tables import IngestError, auto_map, read_table, validate

SECRET = PiiSecret(bytes(32), "s")  # a fixed test key and salt

_spec = importlib.util.spec_from_file_location("hostile_corpus", Path(__file__).parent / "data" / "hostile" / "make_corpus.py")
corpus_mod = importlib.util.module_from_spec(_spec)
sys.modules["hostile_corpus"] = corpus_mod
_spec.loader.exec_module(corpus_mod)
CORPUS = corpus_mod.corpus()
_CJK = re.compile(r"[\u4e00-\u9fff]")


def outcome(name: str, data: bytes) -> tuple[str, object]:
    """("imported", result) or ("refused", message): what the import page would show."""
    try:
        table = read_table(data, name)
        result = validate(table, auto_map(table.frame.columns), secret=SECRET)
    except IngestError as exc:
        return "refused", str(exc)
    return "imported", result


def test_corpus_is_big_enough():
    assert len(CORPUS) >= 40


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_hostile_file_is_imported_or_refused_in_chinese(name, tmp_path):
    path = tmp_path / name
    path.write_bytes(CORPUS[name])  # the corpus lives in a temp dir, as uploads do
    kind, what = outcome(name, path.read_bytes())
    if kind == "refused":
        assert _CJK.search(what), what
    else:
        records = what.records
        for col, (_, limit) in L.FIELD_LIMITS.items():
            if col in records.columns and col not in ("name", "phone"):
                assert records[col].fillna("").astype(str).str.len().max() <= limit if len(records) else True
        text = records.select_dtypes(include=["object", "string"]).astype(str)
        assert not text.apply(lambda s: s.str.contains("\x00", regex=False)).any().any()


@pytest.mark.parametrize("name", corpus_mod.BOMBS)
def test_bombs_are_refused(name):
    started = time.perf_counter()
    kind, message = outcome(name, CORPUS[name])
    elapsed = time.perf_counter() - started
    assert kind == "refused"
    assert "上限" in message or "压缩" in message
    assert elapsed < (1.0 if len(CORPUS[name]) > 1_000_000 else 0.2), elapsed  # from metadata, not by reading cells


def test_declared_size_named_in_message():
    _, message = outcome("sparse_bomb_XFD1048576.xlsx", CORPUS["sparse_bomb_XFD1048576.xlsx"])
    assert "客户" in message and "XFD1048576" in message and "删除" in message


@pytest.mark.parametrize("name,expected", [
    ("cr_only.csv", 2), ("mixed_line_endings.csv", 2), ("utf16le_nobom.csv", 2), ("utf16be_nobom.csv", 2),
    ("utf16le_bom.csv", 2), ("utf16be_bom.csv", 2), ("gb18030.csv", 2),
    ("header_row_15.csv", 2), ("header_row_15.xlsx", 2), ("semicolon.csv", 2), ("tab.tsv", 2), ("pipe.txt", 2),
    ("total_row.csv", 2), ("nul_bytes.csv", 1),
    ("fullwidth_comma.csv", 2), ("fullwidth_semicolon.csv", 2), ("enumeration_comma.txt", 2),
    ("comma_with_fullwidth_in_values.csv", 2), ("good.xls", 2), ("tsv_gbk_named.xls", 2), ("csv_named.xlsx", 2),
])
def test_readable_files_import_their_rows(name, expected):
    kind, result = outcome(name, CORPUS[name])
    assert kind == "imported", result
    assert len(result.records) == expected


def test_big5_is_decoded_as_big5():
    table = read_table(CORPUS["big5.csv"], "big5.csv")
    assert table.encoding == "big5"
    assert "臺北市信義區" in table.frame.to_string()


def test_long_values_are_cut_or_rejected_with_a_report_line():
    _, result = outcome("very_long_values.csv", CORPUS["very_long_values.csv"])
    report = result.report
    assert len(result.records) == 1  # the row with a 152-character 客户编号 is rejected
    assert (report["处理"] == "拒绝").any() and report["问题"].str.contains("客户编号过长").any()
    assert report["处理"].eq("已截断").sum() >= 2


def test_control_characters_are_stripped_with_a_report_line():
    _, result = outcome("control_chars.csv", CORPUS["control_chars.csv"])
    assert result.records["channel"].tolist() == ["自然到访"]
    assert result.records["home_text"].tolist() == ["浦东"]
    assert (result.report["问题"] == "含控制字符").sum() == 3


def test_field_limits_match_the_database_columns():
    from mapping.db.models import Visitor

    columns = Visitor.__table__.columns
    for canonical, (column, limit) in L.FIELD_LIMITS.items():
        assert columns[column].type.length == limit, (canonical, column)


def test_stray_nul_bytes_are_stripped_with_a_report_line():
    _, result = outcome("nul_bytes.csv", CORPUS["nul_bytes.csv"])
    assert result.records["channel"].tolist() == ["自然到访"]
    assert (result.report["问题"] == "含控制字符").any()


def test_excel_content_named_csv_is_read_as_the_workbook_it_is():
    kind, result = outcome("xlsx_bytes_named.csv", CORPUS["xlsx_bytes_named.csv"])
    assert kind == "imported", result
    assert result.records["visitor_id"].tolist() == [row[0] for row in corpus_mod.ROWS]  # C1, C2


def test_big5_export_with_traditional_headers_imports():
    """A Big5 file from a Hong Kong or Taiwan system names its columns in traditional characters (到訪日期)."""
    kind, result = outcome("big5.csv", CORPUS["big5.csv"])
    assert kind == "imported", result
    assert len(result.records) >= 1
