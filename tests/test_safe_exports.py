"""Formula (CSV) injection: no export turns user text into a formula; numbers stay numbers."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from mapping.export.safe import is_risky, neutralise, safe_csv
from mapping.export.workbook import plan_workbook

PROJECT = '=HYPERLINK("http://x","点我")'
RISKY = ["+1+1", "@SUM(A1)", "-2+3", "  =1+1", "\t=1+1", "\r=1+1", PROJECT]


def _table() -> pd.DataFrame:
    return pd.DataFrame({
        "等级": ["A", "B", "C", "D", "样本不足", "A", "B"],
        "区域": RISKY,
        "到访": [-5, 3, 2, 1, 0, 7, 8],
        "成交率": [-0.5, 0.1, 0.2, 0.0, None, 0.3, 0.4],
        "重点地点": [["=A1", "张江"], "金桥", None, "", "-", "-1", "+8613800000000"],
        "=列名": ["x"] * 7,
    })


@pytest.fixture(scope="module")
def book():
    meta = {"项目": PROJECT, "图层": "+1+1", "筛选": "@SUM(A1)", "=键": "-2+3", "最少样本数": "30"}
    data = plan_workbook({"=业态": _table(), "+全部": _table().iloc[:2]}, meta, title="=标题")
    return load_workbook(io.BytesIO(data))


def test_no_cell_is_a_formula(book):
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert cells
    assert all(c.data_type != "f" for c in cells)
    for c in cells:
        if isinstance(c.value, str):
            assert c.data_type == "s"
            assert not is_risky(c.value), (c.coordinate, c.value)


def test_text_is_kept_with_the_prefix(book):
    sheet = book.worksheets[1]
    header = [c.value for c in sheet[1]]
    assert header[-1] == "'=列名"
    areas = [sheet.cell(row=i, column=2).value for i in range(2, 9)]
    # XML reads a stored carriage return back as a line feed
    assert areas == ["'" + v.replace("\r", "\n") for v in RISKY]
    assert sheet.cell(row=2, column=5).value == "'=A1、张江"
    # "-" alone and numeric text are not formulas
    assert [sheet.cell(row=i, column=5).value for i in (6, 7, 8)] == ["'-", "-1", "+8613800000000"]


def test_numbers_stay_numbers(book):
    sheet = book.worksheets[1]
    assert sheet.cell(row=2, column=3).value == -5
    assert sheet.cell(row=2, column=3).data_type == "n"
    assert sheet.cell(row=2, column=4).value == -0.5
    assert sheet.cell(row=2, column=4).number_format == "0.0%"


def test_info_sheet_is_neutralised(book):
    info = book["说明"]
    assert info["A1"].value == "'=标题"
    rows = {r[0]: r[1] for r in info.iter_rows(min_row=4, max_col=2, values_only=True) if r[0]}
    assert rows["项目"] == "'" + PROJECT
    assert rows["图层"] == "'+1+1"
    assert rows["筛选"] == "'@SUM(A1)"
    assert rows["'=键"] == "'-2+3"
    assert rows["工作表"] == "'=业态、+全部"
    assert rows["最少样本数"] == "30"


def test_sheet_titles_are_not_cells_but_kept(book):
    assert book.sheetnames == ["说明", "=业态", "+全部"]


def test_csv_prefixes_every_risky_field():
    frame = _table().drop(columns=["重点地点"])
    frame["原始"] = ["=cmd|' /C calc'!A0", "ok", "-5", "-2+3", "@x", " +A1", "正常"]
    text = safe_csv(frame).decode("utf-8")
    assert text.startswith("\ufeff")
    back = pd.read_csv(io.StringIO(text.lstrip("\ufeff")), dtype=str, keep_default_na=False)
    for column in ["区域", "原始"]:
        for value in back[column]:
            assert not is_risky(value), value
    assert back["区域"].tolist() == ["'" + v for v in RISKY]
    assert back["原始"].tolist() == ["'=cmd|' /C calc'!A0", "ok", "-5", "'-2+3", "'@x", "' +A1", "正常"]
    assert back.columns[-2] == "'=列名"
    assert back["到访"].tolist()[0] == "-5"  # a negative number is written as a number


def test_csv_keeps_missing_values_and_categories():
    frame = pd.DataFrame({"a": pd.Categorical(["=x", "y"]), "b": [None, "=z"], "c": pd.array(["-1", "=q"], dtype="string")})
    lines = safe_csv(frame).decode("utf-8-sig").splitlines()
    assert lines == ["a,b,c", "'=x,,-1", "y,'=z,'=q"]


@pytest.mark.parametrize("value", [3, -5, -0.5, 1.0, None, True])
def test_non_text_is_untouched(value):
    assert neutralise(value) is value
