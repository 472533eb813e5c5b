"""The outreach plan workbook (拓客计划) as an Excel file.

One sheet per product line after a first sheet 说明 with the settings the plan was
made with.  Every table sheet has a bold, filled, frozen header row with an
autofilter, column widths fitted to the content (a CJK character counts double),
percentages for columns whose name contains 率, and the 等级 cells coloured like
the map (A dark red … D pale orange, 样本不足 grey).

All text is user text (project, area, layer and channel names, filter
descriptions), so every text cell on every sheet, 说明 included, goes through
:func:`mapping.export.safe.neutralise`: text that a spreadsheet program would run
as a formula (first character after spaces ``= + - @``, tab or carriage return)
gets a ``'`` in front and is written as a string cell; numbers stay numbers.

>>> sheet_title("公寓/洋房 [2026]")
'公寓_洋房 _2026_'
>>> unique_titles(["全部业态", "说明", "A" * 40, "a" * 40], taken=["说明"])
['全部业态', '说明 (2)', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'aaaaaaaaaaaaaaaaaaaaaaaaaaa (2)']
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from mapping.export.safe import neutralise

__all__ = ["GRADE_STYLES", "INFO_SHEET", "plan_workbook", "sheet_title", "unique_titles"]

INFO_SHEET = "说明"
GRADE_COLUMN = "等级"
INSUFFICIENT = "样本不足"
# grade → (fill, font colour)
GRADE_STYLES: dict[str, tuple[str, str]] = {
    "A": ("B30000", "FFFFFF"),
    "B": ("E34A33", "FFFFFF"),
    "C": ("FC8D59", "000000"),
    "D": ("FDCC8A", "000000"),
    INSUFFICIENT: ("D9D9D9", "000000"),
}
HEADER_FILL = PatternFill("solid", start_color="FDE3CF", end_color="FDE3CF")
HEADER_FONT = Font(bold=True)
PERCENT_FORMAT = "0.0%"
INTEGER_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.0"
MAX_WIDTH = 60
MIN_WIDTH = 6
_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_RESERVED = {"history"}  # Excel keeps this name for itself


def sheet_title(name: str) -> str:
    """``name`` made acceptable as an Excel sheet name (no []:*?/\\, at most 31 characters).

    Forbidden characters become "_"; leading/trailing apostrophes and spaces are
    dropped; an empty result becomes 业态.
    """
    title = _FORBIDDEN.sub("_", str(name)).strip().strip("'").strip()
    if not title or title.lower() in _RESERVED:
        title = f"{title}_" if title else "业态"
    return title[:31]


def unique_titles(names: Iterable[str], taken: Iterable[str] = ()) -> list[str]:
    """Sanitised sheet names, made unique (Excel compares them case-insensitively) with " (2)", " (3)" …

    ``taken`` are names already in the workbook (compared the same way).
    """
    used = {t.lower() for t in taken}
    out = []
    for name in names:
        base = sheet_title(name)
        title, n = base, 1
        while title.lower() in used:
            n += 1
            suffix = f" ({n})"
            title = base[: 31 - len(suffix)].rstrip() + suffix
        used.add(title.lower())
        out.append(title)
    return out


def _display_width(text: str) -> int:
    """Width in Excel character units: East-Asian wide and full-width characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell_value(value):
    """A safe value openpyxl can write: NaN/NA → empty, numpy scalars → Python, lists → 、-joined text,
    text that would run as a formula neutralised (see :mod:`mapping.export.safe`)."""
    return neutralise(_plain_value(value))


def _plain_value(value):
    if value is None:
        return None
    if isinstance(value, (list, tuple, set, np.ndarray)):
        items = [str(v) for v in value if v is not None and not (isinstance(v, float) and math.isnan(v))]
        return "、".join(items) if items else None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, (bool, int, float, str, datetime, date)):
        return value
    return str(value)


def _grade_key(value) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.startswith(INSUFFICIENT):
        return INSUFFICIENT
    text = text.upper().removesuffix("级").strip()
    return text if text in GRADE_STYLES else None


def _number_format(column: str, values: list) -> str | None:
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if "率" in column:
        return PERCENT_FORMAT
    if not numbers:
        return None
    if all(float(v).is_integer() for v in numbers):
        return INTEGER_FORMAT
    return DECIMAL_FORMAT


def _shown_width(value, fmt: str | None) -> int:
    if value is None:
        return 0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if fmt == PERCENT_FORMAT:
            return len(f"{value * 100:.1f}%")
        if fmt == INTEGER_FORMAT:
            return len(f"{value:,.0f}")
        if fmt == DECIMAL_FORMAT:
            return len(f"{value:,.1f}")
        return len(str(value))
    if isinstance(value, datetime):
        return 19
    if isinstance(value, date):
        return 10
    return max((_display_width(line) for line in str(value).splitlines()), default=0)


def _write_table(ws: Worksheet, table: pd.DataFrame) -> None:
    columns = [str(c) for c in table.columns]
    ws.append([neutralise(c) for c in columns])
    rows = [[_cell_value(v) for v in row] for row in table.itertuples(index=False, name=None)]
    for row in rows:
        ws.append(row)
    n_rows = len(rows)

    for j, column in enumerate(columns, start=1):
        letter = get_column_letter(j)
        values = [row[j - 1] for row in rows]
        fmt = _number_format(column, values)
        header = ws.cell(row=1, column=j)
        header.font = HEADER_FONT
        header.fill = HEADER_FILL
        header.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        # the header also holds the autofilter button: two more units
        width = max([_display_width(column) + 2] + [_shown_width(v, fmt) for v in values]) + 2
        wrap = width > MAX_WIDTH
        for i in range(2, n_rows + 2):
            cell = ws.cell(row=i, column=j)
            if fmt and isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                cell.number_format = fmt
            if wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            if str(column).endswith(GRADE_COLUMN):  # 等级, 蓄水期到访 等级, …
                key = _grade_key(cell.value)
                if key is not None:
                    fill, colour = GRADE_STYLES[key]
                    cell.fill = PatternFill("solid", start_color=fill, end_color=fill)
                    cell.font = Font(bold=key != INSUFFICIENT, color=colour)
                    cell.alignment = Alignment(horizontal="center")
        ws.column_dimensions[letter].width = min(max(width, MIN_WIDTH), MAX_WIDTH)

    if columns:
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{n_rows + 1}"
        ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _write_info(ws: Worksheet, meta: dict[str, str], sheet_names: list[str], title: str,
                notes: list[str] | None = None) -> None:
    ws.append([neutralise(str(title))])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([])
    ws.append(["项", "内容"])
    for cell in ws[3]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    for key, value in meta.items():
        ws.append([neutralise(str(key)), _cell_value(value)])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    if sheet_names:
        ws.append(["工作表", neutralise("、".join(sheet_names))])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    minimum = meta.get("最少样本数")
    threshold = f"（{minimum}）" if minimum not in (None, "") else ""
    notes = notes if notes is not None else [
        f"到访样本少于最少样本数{threshold}的区域标为「{INSUFFICIENT}」，其到访、高意向、成交等数量与成交率不予显示。",
        "等级颜色与地图一致：A 深红、B 红、C 橙、D 浅橙、样本不足 灰色。",
        "每张业态工作表的表头可筛选、排序；打印时每页重复表头。",
    ]
    ws.append([])
    ws.append(["注意"])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    for note in notes:
        ws.append([None, neutralise(note)])
        ws.cell(row=ws.max_row, column=2).alignment = Alignment(wrap_text=True, vertical="top")
    key_width = max([_display_width(str(k)) for k in meta] + [_display_width("工作表"), 4]) + 2
    value_width = max([_shown_width(_cell_value(v), None) for v in meta.values()] + [40]) + 2
    ws.column_dimensions["A"].width = min(key_width, MAX_WIDTH)
    ws.column_dimensions["B"].width = min(value_width, 80)
    for row in ws.iter_rows(min_row=4, max_row=ws.max_row, min_col=2, max_col=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")


def _text_only(wb: Workbook) -> None:
    """Last guard: no cell of any sheet is a formula; every text cell is a string cell, neutralised."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.value = neutralise(cell.value)  # re-binding turns a formula back into text
                    cell.data_type = "s"


def plan_workbook(plans: dict[str, pd.DataFrame], meta: dict[str, str], title: str = "拓客计划",
                  notes: list[str] | None = None) -> bytes:
    """The 拓客计划 workbook (or any titled set of tables) as .xlsx bytes.

    Parameters
    ----------
    plans : dict of str to pandas.DataFrame
        Product line name (e.g. "公寓", "全部业态") → its plan table, already with
        Chinese column headers (等级, 区域, 得分, 排名, 到访, 高意向, 成交, 成交率,
        每周新增线索目标, 每月拓客活动目标, 建议主攻维度, 重点地点 …).  Rates are
        fractions (0.125 shows as 12.5%); list values are joined with 、; missing
        values (NaN/None, e.g. counts withheld for 样本不足) stay empty.  The index
        is not written.
    meta : dict of str to str
        Rows of the first sheet 说明, in order (项目, 维度, 分级方法, 权重, 最少样本数,
        生成时间, 快照 …).
    title : str
        The heading of 说明.
    notes : list of str, optional
        The 注意 lines of 说明; by default those of the 拓客计划 (样本不足, grade colours, filters).

    Returns
    -------
    bytes
        The workbook: 说明 first, then one sheet per product line in the order of
        ``plans``, names sanitised for Excel and made unique (see :func:`unique_titles`).
    """
    wb = Workbook()
    info = wb.active
    info.title = INFO_SHEET
    titles = unique_titles(plans, taken=[INFO_SHEET])
    _write_info(info, meta, titles, title, notes)
    for sheet, table in zip(titles, plans.values()):
        _write_table(wb.create_sheet(sheet), table)
    _text_only(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
