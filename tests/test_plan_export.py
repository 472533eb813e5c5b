"""The 拓客计划 workbook: sheets, headers, values, formats, colours, sheet-name rules."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from mapping.export import workbook
from mapping.export.workbook import plan_workbook, sheet_title, unique_titles

COLUMNS = ["等级", "区域", "得分", "排名", "到访", "高意向", "成交", "成交率", "每周新增线索目标",
           "每月拓客活动目标", "建议主攻维度", "重点地点"]
META = {"项目": "金桥湾示范项目", "维度": "居住", "分级方法": "自然断点", "权重": "到访 1 · 高意向 2 · 成交 5",
        "最少样本数": "30", "生成时间": "2026-11-23 10:00", "快照": "#12"}


def _plan() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ["A", "浦东新区", 310.5, 1, 1200, 300, 45, 0.0375, 40, 6, "居住", ["金桥", "张江", "陆家嘴"]],
            ["B", "杨浦区", 119.25, 2, 400, 90, 10, 0.025, 15, 3, "工作", "五角场"],
            ["C", "虹口区", 40.0, 3, 120, 20, 2, 0.0166666, 5, 1, "生活娱乐", None],
            ["D", "崇明区", 3.0, 4, 31, 2, 0, 0.0, 1, 0, "居住", ""],
            ["样本不足", "金山区", np.nan, None, None, None, None, np.nan, None, None, "", None],
        ],
        columns=COLUMNS,
    )


@pytest.fixture(scope="module")
def book():
    plans = {"全部业态": _plan(), "公寓": _plan().iloc[:2], "商铺/办公 [新]": _plan().iloc[:1]}
    return load_workbook(io.BytesIO(plan_workbook(plans, META)))


def test_sheet_order_and_names(book):
    assert book.sheetnames == ["说明", "全部业态", "公寓", "商铺_办公 _新_"]


def test_info_sheet_lists_meta_and_the_withheld_note(book):
    ws = book["说明"]
    rows = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r and r[0]}
    for key, value in META.items():
        assert rows[key] == value
    assert rows["工作表"] == "全部业态、公寓、商铺_办公 _新_"
    text = "\n".join(str(v) for r in ws.iter_rows(values_only=True) for v in r if v)
    assert "样本不足" in text and "不予显示" in text and "（30）" in text


def test_headers_values_and_formats(book):
    ws = book["全部业态"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS
    assert len(rows) == 6
    assert rows[1][:8] == ("A", "浦东新区", 310.5, 1, 1200, 300, 45, 0.0375)
    assert rows[1][11] == "金桥、张江、陆家嘴"
    assert rows[3][11] is None and rows[4][11] is None  # None and "" both empty
    assert rows[5] == ("样本不足", "金山区") + (None,) * 8 + (None, None)
    rate = COLUMNS.index("成交率") + 1
    assert ws.cell(row=2, column=rate).number_format == "0.0%"
    assert ws.cell(row=4, column=rate).number_format == "0.0%"
    assert ws.cell(row=2, column=COLUMNS.index("得分") + 1).number_format == "#,##0.0"
    assert ws.cell(row=2, column=COLUMNS.index("到访") + 1).number_format == "#,##0"


def test_header_style_freeze_filter_and_widths(book):
    ws = book["全部业态"]
    header = ws["A1"]
    assert header.font.b and header.fill.fill_type == "solid"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:L6"
    widths = {c: ws.column_dimensions[c].width for c in "ABL"}
    assert widths["B"] >= 10  # 浦东新区: 4 CJK characters = 8 units + padding
    assert widths["L"] >= len("金桥、张江、陆家嘴") * 2
    assert ws.column_dimensions["I"].width >= 16  # 每周新增线索目标: 8 CJK characters


@pytest.mark.parametrize("row, fill, colour", [(2, "B30000", "FFFFFF"), (3, "E34A33", "FFFFFF"),
                                               (4, "FC8D59", "000000"), (5, "FDCC8A", "000000"),
                                               (6, "D9D9D9", "000000")])
def test_grade_colours(book, row, fill, colour):
    cell = book["全部业态"].cell(row=row, column=1)
    assert cell.fill.fgColor.rgb.endswith(fill)
    assert cell.font.color.rgb.endswith(colour)


def test_grade_spellings():
    assert [workbook._grade_key(v) for v in ("a", "A 级", " B级", "样本不足（12）", "E", 3, None)] == \
        ["A", "A", "B", "样本不足", None, None, None]


def test_empty_plan_still_has_headers():
    data = plan_workbook({"别墅": pd.DataFrame(columns=COLUMNS)}, {"项目": "p"})
    ws = load_workbook(io.BytesIO(data))["别墅"]
    assert [c.value for c in ws[1]] == COLUMNS
    assert ws.max_row == 1
    assert ws.auto_filter.ref == "A1:L1"
    assert ws.freeze_panes == "A2"


def test_no_plans_gives_only_the_info_sheet():
    wb = load_workbook(io.BytesIO(plan_workbook({}, META)))
    assert wb.sheetnames == ["说明"]


def test_forbidden_characters_and_length():
    assert sheet_title("a[b]c:d*e?f/g\\h") == "a_b_c_d_e_f_g_h"
    assert sheet_title("'引号'") == "引号"
    assert sheet_title("   ") == "业态"
    assert sheet_title("History") == "History_"
    assert len(sheet_title("很长的业态名称" * 10)) == 31


def test_duplicate_names_made_unique():
    names = ["公寓/A", "公寓:A", "公寓?a", "说明", "x" * 40, "x" * 35]
    titles = unique_titles(names, taken=["说明"])
    assert titles == ["公寓_A", "公寓_A (2)", "公寓_a (3)", "说明 (2)", "x" * 31, "x" * 27 + " (2)"]
    assert all(len(t) <= 31 for t in titles)
    plans = {n: _plan().iloc[:1] for n in names}
    wb = load_workbook(io.BytesIO(plan_workbook(plans, META)))
    assert wb.sheetnames == ["说明"] + titles
    assert wb["说明 (2)"]["B2"].value == "浦东新区"
