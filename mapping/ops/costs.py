"""Marketing costs and cost per result (费效比): reading a cost file, the costs a team's pay model
implies, and the funnel 投入 → 线索 → 到访 → 高意向 → 认购 → 签约 per channel, team or area.

The flow a page follows::

    read = read_costs(data, "费用.xlsx", ops.teams(pid), areas=names, channels=facts.channels)
    ops.add_costs(pid, read.rows, batch="导入 费用.xlsx", created_by=user)   # good rows
    read.report, read.rejected                                               # every bad row, with its row number
    table = funnel(ops.costs(pid), frame, by="channel", target=settings["target_cost_per_deal"])

A cost file is read like a visitor file (:func:`mapping.ingest.tables.read_table`: the same size
limits, encodings and Excel/CSV handling); its headers are matched in the style of
:mod:`mapping.ingest.headers` against the cost aliases of :data:`COST_HEADERS`.  Every row that
cannot be imported is in the report with its spreadsheet row number, the column and what to do;
every other row imports.

The domain's classic funnel: an ad of 24万 brings 50 calls, 15 visits and 3 deals —
16,000 元 per visit and 80,000 元 per deal.

>>> costs = pd.DataFrame({"period_start": [dt.date(2024, 3, 1)], "period_end": [dt.date(2024, 3, 31)],
...     "channel": ["广告"], "team_id": [None], "area_id": [""], "category": ["媒体"],
...     "amount": [parse_amount("24万")], "leads": [50]})
>>> frame = pd.DataFrame({"channel": ["广告"] * 15, "high": [True] * 6 + [False] * 9,
...     "deal": [True] * 3 + [False] * 12, "signed": [True] * 2 + [False] * 13})
>>> row = funnel(costs, frame, by="channel").iloc[0]
>>> [float(row[c]) for c in ("投入(元)", "线索", "到访", "认购", "每到访成本", "每成交成本")]
[240000.0, 50.0, 15.0, 3.0, 16000.0, 80000.0]
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mapping import schema as S
from mapping.export.workbook import plan_workbook
from mapping.ingest import tables as T
from mapping.ingest import values as V
from mapping.ingest.headers import norm_header
from mapping.ingest.privacy import mask_frame, mask_phones_in
from mapping.ingest.report import REPORT_COLUMNS

__all__ = [
    "AXES", "COST_COLUMNS", "COST_HEADERS", "CostRead", "ENTRY_COLUMNS", "ESTIMATE_BATCH", "FUNNEL_COLUMNS", "UNALLOCATED",
    "category_of", "cost_template", "funnel", "match_cost_headers", "merge_estimates", "parse_amount",
    "parse_period", "read_costs", "read_entries", "staff_costs", "table_for_export", "warnings_of",
]

# the columns a cost row has (Operations.add_costs / Operations.costs; team_id links a team, team is its name)
COST_COLUMNS = ["period_start", "period_end", "channel", "team_id", "team", "area_id", "category", "amount", "leads",
                "note"]
REJECT, FIXED, NOTE = "拒绝", "已修正", "提示"  # 处理 of a report line: not imported / a value changed / nothing lost

# --------------------------------------------------------------------------- headers
# canonical → header spellings (matched after norm_header: full-width, traditional, case, brackets, a unit)
COST_HEADERS: dict[str, tuple[str, ...]] = {
    "period": ("期间", "费用期间", "所属期间", "月份", "月", "周", "周次", "日期", "费用日期", "时间", "起止日期",
               "period", "month", "week", "date"),
    "start": ("开始日期", "起始日期", "开始时间", "开始", "起", "start", "from"),
    "end": ("结束日期", "截止日期", "结束时间", "结束", "止", "end", "to"),
    "year": ("年份", "年度", "年", "year"),
    "channel": ("渠道", "费用渠道", "投放渠道", "到访渠道", "渠道名称", "channel"),
    "team": ("团队", "渠道团队", "经纪公司", "中介公司", "拓客团队", "拓客小组", "团队名称", "team"),
    "area": ("区域", "片区", "板块", "区域名称", "area"),
    "category": ("费用类别", "费用科目", "费用类型", "科目", "类别", "类型", "category"),
    "amount": ("金额", "费用", "花费", "投入", "费用金额", "投入金额", "投放金额", "amount", "cost", "spend"),
    "leads": ("来电", "留资", "线索", "咨询量", "来电量", "留资量", "线索量", "来电留资", "leads", "calls"),
    "note": ("备注", "说明", "note", "remark"),
}
HEADER_LABELS = {"period": "期间", "start": "开始日期", "end": "结束日期", "year": "年份", "channel": "渠道",
                 "team": "团队", "area": "区域", "category": "类别", "amount": "金额", "leads": "来电/留资",
                 "note": "备注"}
_COST_ALIAS = {norm_header(a): c for c, aliases in COST_HEADERS.items() for a in aliases}
_MONTH_HEADERS = {norm_header(a) for a in ("月份", "月", "month")}
_WEEK_HEADERS = {norm_header(a) for a in ("周", "周次", "week")}
HEADER_SEARCH_ROWS = 20


def _header_match(header: object) -> tuple[str, float] | None:
    """(canonical, score) of one header: an exact alias 1.0; else the longest alias of 2+ characters it
    contains (of equally long ones the one it ends with: 渠道费用 is an amount), 0.5 + length/100."""
    key = norm_header(header)
    if not key:
        return None
    if key in _COST_ALIAS:
        return _COST_ALIAS[key], 1.0
    inside = [a for a in _COST_ALIAS if len(a) >= 2 and a in key]
    if not inside:
        return None
    best = max(inside, key=lambda a: (len(a), key.endswith(a)))
    return _COST_ALIAS[best], 0.5 + len(best) / 100


def match_cost_headers(headers) -> dict[str, str]:
    """{canonical: header} for a cost file's headers; each canonical column goes to its best header.

    >>> match_cost_headers(["月份", "投放渠道", "渠道团队", "费用类别", "投放金额（万元）", "来电/留资", "备注"])
    {'period': '月份', 'channel': '投放渠道', 'team': '渠道团队', 'category': '费用类别', 'amount': '投放金额（万元）', 'leads': '来电/留资', 'note': '备注'}
    >>> match_cost_headers(["开始日期", "结束日期", "片区", "花费"])
    {'start': '开始日期', 'end': '结束日期', 'area': '片区', 'amount': '花费'}
    """
    best: dict[str, tuple[float, int, str]] = {}
    for i, header in enumerate(headers):
        found = _header_match(header)
        if found and (found[0] not in best or found[1] > best[found[0]][0]):
            best[found[0]] = (found[1], i, str(header))
    return {c: h for c, (_, _, h) in sorted(best.items(), key=lambda kv: kv[1][1])}


# --------------------------------------------------------------------------- amounts
_CN_DIGITS = re.compile(r"[零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟]")
_AMOUNT = re.compile(r"^(?:¥|rmb|cny)?([+-]?(?:\d[\d,]*(?:\.\d+)?|\.\d+))(万元|万|w|千元|千|k|元|块|rmb|cny)?$")
_UNITS = {"万元": 10_000, "万": 10_000, "w": 10_000, "千元": 1_000, "千": 1_000, "k": 1_000}
AMOUNT_HELP = "请只写一个数字，可带单位 万/w/千/k/元，如 240000、24万、1.2w、3,500元"


def parse_amount(text: object, unit: float = 1.0) -> float:
    """An amount in 元 as people type it: digits with thousands commas, ¥, and 万/w/千/k/元.

    ``unit`` multiplies a bare number (a column headed 金额（万元） holds 24 for 24万).

    Raises
    ------
    ValueError
        With a Chinese reason saying what to write instead.

    Examples
    --------
    >>> [parse_amount(t) for t in ("24万", "¥12,000", "1.2w", "3,500元", "5k", "240000", "2.5万元", "0")]
    [240000.0, 12000.0, 12000.0, 3500.0, 5000.0, 240000.0, 25000.0, 0.0]
    >>> parse_amount("24", unit=10_000)
    240000.0
    >>> parse_amount("一万")
    Traceback (most recent call last):
    ...
    ValueError: 金额「一万」是汉字数字：请写成阿拉伯数字，如 10000 或 1万
    """
    raw = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text)
    clean = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw)).lower().replace("，", ",")
    if not clean:
        raise ValueError("金额为空：请填写这笔费用的金额（元），如 24万 或 240000")
    m = _AMOUNT.match(clean)
    if m is None:
        if _CN_DIGITS.search(clean) and not re.search(r"\d", clean):
            raise ValueError(f"金额「{raw}」是汉字数字：请写成阿拉伯数字，如 10000 或 1万")
        if re.search(r"\d\s*[-~～至到]\s*\d", clean):
            raise ValueError(f"金额「{raw}」是一个范围：请只写实际花费的一个数")
        raise ValueError(f"金额「{raw}」无法识别：{AMOUNT_HELP}")
    number, suffix = m.group(1), m.group(2)
    if "," in number and not re.fullmatch(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", number):
        raise ValueError(f"金额「{raw}」的千分位逗号位置不对：请写成 12,000 或 12000")
    value = float(number.replace(",", "")) * (_UNITS.get(suffix, 1) if suffix else unit)
    if value < 0:
        raise ValueError(f"金额「{raw}」是负数：费用不能为负；要冲减一笔费用，请撤销那次导入后重新导入")
    return round(value, 2)


# --------------------------------------------------------------------------- periods
_RANGE_SPLIT = re.compile(r"\s*(?:~|～|至|到|—|–|－|\s-\s)\s*")
_DAY_TEXT = r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
_DASH_RANGE = re.compile(rf"^({_DAY_TEXT})\s*-\s*({_DAY_TEXT})$")
_WEEK = re.compile(r"^(?:(\d{4})\s*(?:年|-)?\s*)?(?:第\s*(\d{1,2})\s*周|w(\d{1,2}))$")
_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:份)?$|^(\d{4})(\d{2})$")
_BARE_MONTH = re.compile(r"^(\d{1,2})\s*月份?$")
_QUARTER = re.compile(r"^(\d{4})\s*年?\s*(?:第?\s*([1-4一二三四])\s*季度|q([1-4]))$")
_BARE_DAY = re.compile(r"^(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?$")
_SHORT_DAY = re.compile(r"^(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?$")
PERIOD_HELP = "请写成 2024-03（一个月）、2024-03-04~2024-03-10（起止日期）、2024年第12周 或 2024-03-05（一天）"
_CN_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4}


def _one_day(text: str, year: int | None) -> dt.date | None:
    dates, _ = T.parse_dates(pd.Series([text], dtype=object))
    if dates.iloc[0] is not None:
        return dates.iloc[0]
    m = _SHORT_DAY.match(text)
    if m and year:
        try:
            return dt.date(year, int(m.group(1)), int(m.group(2)))
        except ValueError:
            return None
    return None


def _month(year: int, month: int) -> tuple[dt.date, dt.date]:
    if not 1 <= month <= 12:
        raise ValueError(f"月份 {month} 不存在：{PERIOD_HELP}")
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _no_year(raw: str) -> ValueError:
    return ValueError(f"期间「{raw}」没有年份：请写成带年份的形式（如 2024年第12周、2024-03），或在表里加一列「年份」")


def parse_period(text: object, year: int | None = None, hint: str = "") -> tuple[dt.date, dt.date]:
    """(first day, last day) of a period as people type it.

    A month (2024-03, 2024年3月, 202403), a range (2024-03-04~2024-03-10, … 至 …), a week
    (2024年第12周, 2024-W12: ISO weeks, Monday to Sunday), a quarter (2024Q1) or one day
    (2024-03-05: that day).  A week or month without a year (第12周, 3月) takes ``year``, else it
    is refused.  ``hint`` "month" or "week" (the column was headed 月份 / 周) turns one day
    into its month or week: Excel stores a cell shown as 2024-03 as the day 2024-03-01.

    Raises
    ------
    ValueError
        With a Chinese reason saying how to write it.

    Examples
    --------
    >>> parse_period("2024-03"), parse_period("2024年3月")
    ((datetime.date(2024, 3, 1), datetime.date(2024, 3, 31)), (datetime.date(2024, 3, 1), datetime.date(2024, 3, 31)))
    >>> parse_period("2024-03-04~2024-03-10")
    (datetime.date(2024, 3, 4), datetime.date(2024, 3, 10))
    >>> parse_period("第12周", year=2024), parse_period("2024-03-05")
    ((datetime.date(2024, 3, 18), datetime.date(2024, 3, 24)), (datetime.date(2024, 3, 5), datetime.date(2024, 3, 5)))
    >>> parse_period("第12周")
    Traceback (most recent call last):
    ...
    ValueError: 期间「第12周」没有年份：请写成带年份的形式（如 2024年第12周、2024-03），或在表里加一列「年份」
    """
    raw = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text).strip()
    clean = unicodedata.normalize("NFKC", raw).strip().lower()
    if not clean:
        raise ValueError(f"期间为空：{PERIOD_HELP}")
    dash = _DASH_RANGE.match(clean)
    parts = list(dash.groups()) if dash else _RANGE_SPLIT.split(clean)
    if len(parts) == 2 and all(parts):
        return _range(raw, parts, year)
    m = _WEEK.match(clean)
    if m:
        y = int(m.group(1)) if m.group(1) else year
        if y is None:
            raise _no_year(raw)
        try:
            monday = dt.date.fromisocalendar(y, int(m.group(2) or m.group(3)), 1)
        except ValueError:
            raise ValueError(f"期间「{raw}」：{y} 年没有这一周（ISO 周为 1–52 或 53）") from None
        return monday, monday + dt.timedelta(days=6)
    m = _MONTH.match(clean)
    if m:
        return _month(int(m.group(1) or m.group(3)), int(m.group(2) or m.group(4)))
    m = _BARE_MONTH.match(clean)
    if m:
        if year is None:
            raise _no_year(raw)
        return _month(year, int(m.group(1)))
    m = _QUARTER.match(clean)
    if m:
        q = int(m.group(3)) if m.group(3) else _CN_QUARTER.get(m.group(2)) or int(m.group(2))
        first = dt.date(int(m.group(1)), 3 * q - 2, 1)
        return first, _month(first.year, 3 * q)[1]
    day = _one_day(clean, year)
    if day is None:
        if _BARE_DAY.match(clean) and year is None:
            raise _no_year(raw)
        raise ValueError(f"期间「{raw}」无法识别：{PERIOD_HELP}")
    if hint == "month" and day.day == 1:
        return _month(day.year, day.month)
    if hint == "week":
        monday = day - dt.timedelta(days=day.weekday())
        return monday, monday + dt.timedelta(days=6)
    return day, day


def _range(raw: str, parts: list[str], year: int | None) -> tuple[dt.date, dt.date]:
    start = _one_day(parts[0], year)
    end = _one_day(parts[1], start.year if start else year)
    if start is None or end is None:
        raise ValueError(f"期间「{raw}」的起止日期无法识别：{PERIOD_HELP}")
    if end < start:
        raise ValueError(f"期间「{raw}」的结束日期早于开始日期：请检查起止顺序")
    return start, end


# --------------------------------------------------------------------------- categories
CATEGORY_SYNONYMS: dict[str, str] = {
    "广告": "媒体", "投放": "媒体", "线上": "媒体", "线上投放": "媒体", "媒介": "媒体", "推广": "媒体",
    "佣金": "渠道佣金", "分销": "渠道佣金", "中介佣金": "渠道佣金", "中介费": "渠道佣金", "带看费": "渠道佣金",
    "人工": "人工", "工资": "人工", "人天": "人工", "人员": "人工", "兼职": "人工", "小蜜蜂": "人工",
    "物料": "物料活动", "活动": "物料活动", "布展": "物料活动", "快闪": "物料活动", "巡展": "物料活动",
    "其它": "其他", "杂费": "其他",
}


def category_of(text: object) -> tuple[str, str]:
    """(category, how) of a typed category: how is "" (as typed), "synonym", "empty" or "unknown"
    (the last two fall back to 其他).

    >>> category_of("广告"), category_of("布展费"), category_of("媒体"), category_of("差旅")
    (('媒体', 'synonym'), ('物料活动', 'synonym'), ('媒体', ''), ('其他', 'unknown'))
    """
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", "" if text is None else str(text)))
    if not key:
        return "其他", "empty"
    if key in S.COST_CATEGORIES:
        return key, ""
    if key in CATEGORY_SYNONYMS:
        return CATEGORY_SYNONYMS[key], "synonym"
    for name in S.COST_CATEGORIES:
        if name in key:
            return name, "synonym"
    inside = [s for s in CATEGORY_SYNONYMS if s in key]
    if inside:
        return CATEGORY_SYNONYMS[max(inside, key=len)], "synonym"
    return "其他", "unknown"


# --------------------------------------------------------------------------- reading a file
@dataclass
class CostRead:
    """A cost file read: ``rows`` (the good rows, :data:`COST_COLUMNS` + row_number), ``report`` (one line
    per problem: 行号, 列, 原值, 问题, 处理, 原因) and ``rejected`` (the refused rows as in the file, with
    原行号 and 拒绝原因, personal data masked).  Unpacks as ``rows, report``."""

    rows: pd.DataFrame
    report: pd.DataFrame
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)
    mapping: dict[str, str] = field(default_factory=dict)
    sheet: str | None = None

    def __iter__(self):
        return iter((self.rows, self.report))


def _key(text: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", "" if text is None else str(text))).casefold()


class _Lookup:
    """Names (and aliases) → value, trimmed and case-folded; an alias two teams share is ambiguous."""

    def __init__(self):
        self.index: dict[str, object] = {}
        self.ambiguous: set[str] = set()

    def add(self, name: object, value) -> None:
        k = _key(name)
        if not k:
            return
        if k in self.index and self.index[k] != value:
            self.ambiguous.add(k)
        self.index.setdefault(k, value)


def _team_lookup(teams: pd.DataFrame | None) -> tuple[_Lookup, list[str]]:
    look, names = _Lookup(), []
    if teams is None or teams.empty:
        return look, names
    for row in teams.itertuples(index=False):
        look.add(row.name, (int(row.id), str(row.name)))
        names.append(str(row.name))
    for row in teams.itertuples(index=False):
        for alias in re.split(r"[、,，;；/]", str(getattr(row, "aliases", "") or "")):
            if _key(alias) not in look.index:
                look.add(alias, (int(row.id), str(row.name)))
    return look, names


def _area_lookup(areas: pd.DataFrame | None) -> _Lookup | None:
    if areas is None:
        return None
    look = _Lookup()
    for row in areas.itertuples(index=False):
        look.add(row.area_name, (str(row.area_id), str(row.area_name)))
    for row in areas.itertuples(index=False):
        if _key(row.area_id) not in look.index:
            look.add(row.area_id, (str(row.area_id), str(row.area_name)))
    return look


def _cell(value: object) -> str:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.date().isoformat() if value == value.replace(hour=0, minute=0, second=0, microsecond=0) \
            else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _promote(table: T.Table) -> tuple[pd.DataFrame, list[int]]:
    """The table with the row holding the most cost headers as its header (read_table's own choice
    counts visitor headers; a cost sheet with a title line above its header needs this), and the
    file row of each data row."""
    frame = table.frame
    best, hits = None, len(match_cost_headers(frame.columns))
    for i in range(min(HEADER_SEARCH_ROWS, len(frame))):
        n = len(match_cost_headers([_cell(v) for v in frame.iloc[i]]))
        if n > hits:
            best, hits = i, n
    if best is None:
        return frame, [table.row_number(p) for p in range(len(frame))]
    headers, seen = [], {}
    for j, v in enumerate(frame.iloc[best]):
        h = _cell(v) or f"列{j + 1}"
        seen[h] = seen.get(h, 0) + 1
        headers.append(h if seen[h] == 1 else f"{h}_{seen[h]}")
    body = frame.iloc[best + 1:].reset_index(drop=True)
    body.columns = headers
    return body, [table.row_number(p) for p in range(best + 1, len(frame))]


def _table(data: bytes, filename: str, sheet: str | None) -> tuple[pd.DataFrame, list[int], str | None]:
    """The cost sheet's cells (the sheet with the most cost headers unless ``sheet`` is given) and the
    file row of each."""
    if sheet is None and Path(filename).suffix.lower() in T.EXCEL_SUFFIXES:
        try:
            names = T.list_sheets(data, filename)
        except T.IngestError:
            names = []  # a CSV under an Excel name, or a broken file: read_table words it
        best, best_hits = None, -1
        for name in names if len(names) > 1 else []:
            try:
                frame, _ = _promote(T.read_table(data, filename, sheet=name))
            except T.IngestError:
                continue
            hits = len(match_cost_headers(frame.columns))
            if hits > best_hits:
                best, best_hits = name, hits
        sheet = best
    table = T.read_table(data, filename, sheet=sheet)
    frame, numbers = _promote(table)
    return frame, numbers, table.sheet


class _Rows:
    """The report lines of one file, and which rows were refused."""

    def __init__(self, numbers: list[int], mapping: dict[str, str]):
        self.numbers, self.mapping, self.lines, self.refused = numbers, mapping, [], {}

    def row(self, pos: int) -> int:
        """The row number (as in the file, or 1 = a typed table's first row) of data row ``pos``."""
        return self.numbers[pos]

    def add(self, pos: int, col: str, value: str, kind: str, action: str, reason: str) -> None:
        header = self.mapping.get(col, HEADER_LABELS.get(col, col))
        reason = mask_phones_in(reason)  # a phone number typed into a team or area cell is quoted masked
        self.lines.append((self.row(pos), header, mask_phones_in(value), kind, action, reason))
        if action == REJECT:
            self.refused.setdefault(pos, []).append(reason)

    def report(self) -> pd.DataFrame:
        return pd.DataFrame(self.lines, columns=REPORT_COLUMNS).sort_values("行号", kind="stable").reset_index(
            drop=True)


def _file_bytes(source, filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, (str, Path)):
        path = Path(source)
        return path.read_bytes(), filename or path.name
    if not isinstance(source, (bytes, bytearray)):
        raise TypeError(f"'source' should be the file's bytes or its path, got {type(source).__name__}")
    if not filename:
        raise ValueError("'filename' is needed with bytes (its suffix says CSV or Excel)")
    return bytes(source), filename


def read_costs(source, filename: str | None = None, teams: pd.DataFrame | None = None, *,
               areas: pd.DataFrame | None = None, channels=None, year: int | None = None,
               sheet: str | None = None) -> CostRead:
    """Read a cost file (.xlsx/.xls/.csv) into cost rows and a row-by-row report.

    Parameters
    ----------
    source : bytes or path
        The file.
    filename : str
        Its name (the suffix says CSV or Excel); taken from a path when not given.
    teams : pandas.DataFrame
        :meth:`Operations.teams`: a 团队 cell must be one of their names or aliases.
    areas : pandas.DataFrame, optional
        (area_id, area_name) of the project's area unit: a 区域 cell must name one of them.
        Without it the text is kept as the area's id.
    channels : list of str, optional
        The channels the visitors came by: a 渠道 spelled otherwise (线上投放 for 线上) is unified
        as in the visitor import; one no visitor has is kept and noted.
    year : int, optional
        The year of a week or month written without one (第12周); else the file's one year, else refused.
    sheet : str, optional
        An Excel sheet; by default the one with the most cost headers.

    Returns
    -------
    CostRead
        ``rows, report = read_costs(...)``; also ``.rejected`` (the refused rows to fix and import again).

    Raises
    ------
    mapping.ingest.tables.IngestError
        A problem with the whole file (empty, too large, unreadable, no 金额 or no period column).
    """
    data, filename = _file_bytes(source, filename)
    frame, numbers, used_sheet = _table(data, filename, sheet)
    mapping = match_cost_headers(frame.columns)
    _check_columns(mapping, list(frame.columns))
    cells = pd.DataFrame({c: frame[h].map(_cell) for c, h in mapping.items()}, index=frame.index)
    rows = _Rows(numbers, mapping)
    good = _parse_rows(cells, rows, mapping, teams, areas, channels, year)
    rejected = _rejected(frame, rows)
    return CostRead(good, rows.report(), rejected, mapping, used_sheet)


ENTRY_COLUMNS = ["开始日期", "结束日期", "渠道", "团队", "区域", "类别", "金额", "来电/留资", "备注"]


def read_entries(table: pd.DataFrame, teams: pd.DataFrame | None = None, *, areas: pd.DataFrame | None = None,
                 channels=None) -> CostRead:
    """Costs typed into a table (:data:`ENTRY_COLUMNS`, e.g. a page's editor) read like a file: the same
    amounts (24万), periods, teams, areas and categories; 行号 is the table's row (1 = the first).
    Rows with nothing typed but dates and a category (an editor's preset row) are skipped.

    >>> typed = pd.DataFrame({"开始日期": [dt.date(2024, 3, 1), None], "结束日期": [dt.date(2024, 3, 31), None],
    ...     "渠道": ["广告", None], "金额": ["24万", None], "类别": ["投放", None]})
    >>> read = read_entries(typed)
    >>> read.rows[["channel", "category", "amount"]].values.tolist(), len(read.report)
    ([['广告', '媒体', 240000.0]], 1)
    """
    mapping = match_cost_headers(table.columns)
    table = table.reset_index(drop=True)  # an editor's added rows come with their own index
    cells = pd.DataFrame({c: table[h].map(_cell) for c, h in mapping.items()}, index=table.index)
    for col in ("amount", "start"):
        if col not in cells:
            cells[col] = ""
    typed = [c for c in ("amount", "channel", "team", "area", "leads", "note") if c in cells]
    cells = cells[cells[typed].ne("").any(axis=1)]  # a row with only its preset dates and category is blank
    rows = _Rows(list(range(1, len(table) + 1)), mapping)
    good = _parse_rows(cells, rows, mapping, teams, areas, channels, None)
    return CostRead(good, rows.report(), pd.DataFrame(), mapping)


def _check_columns(mapping: dict[str, str], headers: list[str]) -> None:
    shown = "、".join(headers[:30])
    if "amount" not in mapping:
        raise T.IngestError(f"文件里没有金额列（金额/费用/花费/投入）。文件的列有：{shown}。"
                            "请把金额那一列的表头改成「金额」后再上传，或下载费用模板照着填。")
    if not ({"period", "start"} & set(mapping)):
        raise T.IngestError(f"文件里没有期间列（期间/月份/周/日期，或开始日期、结束日期）。文件的列有：{shown}。"
                            "请加一列「期间」（如 2024-03 或 2024-03-04~2024-03-10）后再上传。")


def _context_year(cells: pd.DataFrame, year: int | None) -> int | None:
    """The year a week or month without one takes: the argument, else the one year the file names."""
    if year is not None:
        return year
    text = " ".join(cells.get("period", pd.Series(dtype=str)).tolist() + cells.get("start", pd.Series(dtype=str)).tolist())
    years = {int(y) for y in re.findall(r"(?<!\d)(20\d{2}|19\d{2})(?!\d)", text)}
    return years.pop() if len(years) == 1 else None


def _parse_rows(cells, rows: _Rows, mapping, teams, areas, channels, year) -> pd.DataFrame:
    team_look, team_names = _team_lookup(teams)
    area_look = _area_lookup(areas)
    year = _context_year(cells, year)
    hint = ("month" if norm_header(mapping.get("period", "")) in _MONTH_HEADERS else
            "week" if norm_header(mapping.get("period", "")) in _WEEK_HEADERS else "")
    unit = 10_000 if "万" in mapping.get("amount", "") else 1.0
    channel_of = _channel_map(cells.get("channel"), channels)
    out = []
    for pos, cell in cells.iterrows():
        if not any(cell.values) or _total_row(cell):
            if any(cell.values):
                rows.add(pos, "amount", cell.get("amount", ""), "合计行", NOTE, "表尾的合计/小计行，已跳过，不计入费用")
            continue
        out.append(_one_row(pos, cell, rows, team_look, team_names, area_look, channel_of, year, hint, unit))
    good = pd.DataFrame([r for r in out if r is not None], columns=COST_COLUMNS + ["row_number"])
    good["team_id"] = good["team_id"].astype("Int64")
    good["leads"] = good["leads"].astype("Int64")
    good["amount"] = good["amount"].astype(float)
    return good


def _total_row(cell: pd.Series) -> bool:
    texts = [v for k, v in cell.items() if k not in ("amount", "leads")]
    return any(re.fullmatch(r"(?:合计|小计|总计|总和|total)[:：]?", _key(v)) for v in texts)


def _channel_map(values: pd.Series | None, channels) -> dict[str, tuple[str, str]]:
    """typed channel → (channel, how): how "" as typed, "unified" (a spelling of a visitors' channel),
    "unknown" (no visitor came by it)."""
    if values is None or channels is None:
        return {}
    known = list(dict.fromkeys([*channels]))
    uniq = pd.Series(sorted({v for v in values if v}), dtype=object)
    if uniq.empty:
        return {}
    resolved = V.resolve(uniq, V.CHANNEL_FIELD, known)
    out = {}
    for raw, value in zip(uniq, resolved.value):
        if value is not None:
            out[raw] = (value, "" if value == raw else "unified")
        else:
            out[raw] = (raw, "unknown")
    return out


def _one_row(pos, cell, rows: _Rows, team_look, team_names, area_look, channel_of, year, hint, unit):
    """One row as a cost, or None (refused; the reasons are in the report)."""
    get = lambda c: cell.get(c, "")  # noqa: E731
    row_year = year
    if get("year"):
        m = re.search(r"(19|20)\d{2}", get("year"))
        row_year = int(m.group(0)) if m else year
    start = end = None
    col = "start" if get("start") else "period"
    try:
        start, end = parse_period(get(col), row_year, hint="" if col == "start" else hint)
        if col == "start" and get("end"):
            col = "end"
            end = parse_period(get("end"), start.year)[1]
            if end < start:
                raise ValueError(f"结束日期「{get('end')}」早于开始日期「{get('start')}」：请检查起止顺序")
    except ValueError as exc:
        rows.add(pos, col, get(col), "期间无法识别", REJECT, str(exc))
    amount = None
    try:
        amount = parse_amount(get("amount"), unit)
    except ValueError as exc:
        rows.add(pos, "amount", get("amount"), "金额无法识别", REJECT, str(exc))
    team_id, team = _team(pos, get("team"), rows, team_look, team_names)
    area_id = _area(pos, get("area"), rows, area_look)
    channel = _channel(pos, get("channel"), rows, channel_of)
    category = _category(pos, get("category"), rows)
    leads = _leads(pos, get("leads"), rows)
    if pos in rows.refused:
        return None
    if not (channel or team or area_id):
        rows.add(pos, "channel", "", "未指定归属", NOTE,
                 "这笔费用没有渠道、团队或区域，会计入「未分配」；要算进某个渠道的费效，请补上渠道")
    return [start, end, channel, team_id, team, area_id, category, amount, leads,
            mask_phones_in(get("note"))[:200], rows.row(pos)]


def _team(pos, text, rows: _Rows, look: _Lookup, names: list[str]):
    if not text:
        return None, ""
    k = _key(text)
    if k in look.ambiguous:
        rows.add(pos, "team", text, "团队不明确", REJECT,
                 f"「{text}」同时是几个团队的名称或别名：请写团队的全名（{'、'.join(names[:20])}）")
        return None, ""
    if k in look.index:
        return look.index[k]
    have = f"现有团队：{'、'.join(names[:20])}" if names else "项目里还没有团队"
    rows.add(pos, "team", text, "团队不存在", REJECT,
             f"团队「{text}」不在团队列表里（{have}）。请改成其中之一，或先在「团队与片区」页添加这个团队（或把它加为别名）")
    return None, ""


def _area(pos, text, rows: _Rows, look: _Lookup | None) -> str:
    if not text or look is None:
        return "" if _too_long(pos, "area", text, 120, rows) else text
    k = _key(text)
    if k in look.index and k not in look.ambiguous:
        return look.index[k][0]
    starts = {v for name, v in look.index.items() if len(k) >= 2 and name.startswith(k)}
    if len(starts) == 1:
        area_id, name = starts.pop()
        rows.add(pos, "area", text, "区域简称", NOTE, f"「{text}」按区域「{name}」计")
        return area_id
    names = sorted({v[1] for v in look.index.values()})
    rows.add(pos, "area", text, "区域不存在", REJECT,
             f"区域「{text}」不是当前区域单元里的区域（如 {'、'.join(names[:12])}）。请改成区域的名称，或留空")
    return ""


def _too_long(pos, col: str, text: str, limit: int, rows: _Rows) -> bool:
    if len(text) <= limit:
        return False
    rows.add(pos, col, text, "内容过长", REJECT, f"{HEADER_LABELS[col]}最多 {limit} 个字，这里有 {len(text)} 个字：请改短")
    return True


def _channel(pos, text, rows: _Rows, channel_of: dict) -> str:
    if _too_long(pos, "channel", text, 64, rows):
        return ""
    if not text or text not in channel_of:
        return text
    channel, how = channel_of[text]
    if how == "unified":
        rows.add(pos, "channel", text, "渠道写法统一", NOTE, f"「{text}」按到访渠道「{channel}」计")
    elif how == "unknown":
        rows.add(pos, "channel", text, "渠道无到访", NOTE,
                 f"到访客户里没有渠道「{text}」：费用照常导入，但算不出它的每到访成本；如是某个渠道的别称，请改成那个渠道")
    return channel


def _category(pos, text, rows: _Rows) -> str:
    category, how = category_of(text)
    if how == "synonym":
        rows.add(pos, "category", text, "类别同义词", NOTE, f"「{text}」按「{category}」计")
    elif how == "unknown":
        rows.add(pos, "category", text, "类别未识别", FIXED,
                 f"不认识的类别「{text}」，按「其他」计；如应归入 {'/'.join(S.COST_CATEGORIES[:4])}，请改写后重新导入")
    return category


def _leads(pos, text, rows: _Rows):
    if not text:
        return None
    try:
        value = float(re.sub(r"[,，\s]|[个条次组人]$", "", unicodedata.normalize("NFKC", text)))
        if value < 0 or not value.is_integer():
            raise ValueError
        return int(value)
    except ValueError:
        rows.add(pos, "leads", text, "来电/留资无法识别", FIXED, "来电/留资应是不小于 0 的整数，已留空；费用照常导入")
        return None


def _rejected(frame: pd.DataFrame, rows: _Rows) -> pd.DataFrame:
    positions = sorted(rows.refused)
    out = mask_frame(frame.loc[positions].map(_cell) if positions else frame.iloc[:0])
    out.insert(0, "原行号", [rows.row(p) for p in positions])
    out.insert(1, "拒绝原因", ["；".join(rows.refused[p]) for p in positions])
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- template
TEMPLATE_NAME = "费用模板.xlsx"


def cost_template(teams: pd.DataFrame | None = None) -> bytes:
    """费用模板.xlsx: a 费用 sheet with the headers :func:`read_costs` reads and three example rows
    (their team is the first of ``teams``, so the template imports as it is), a 类别 sheet with the
    synonyms each category accepts, and a 说明 sheet first.

    >>> teams = pd.DataFrame({"id": [1], "name": ["金桥拓客一组"]})
    >>> rows, report = read_costs(cost_template(teams), TEMPLATE_NAME, teams)
    >>> rows["amount"].tolist(), rows["team"].tolist()
    ([240000.0, 12000.0, 9000.0], ['', '金桥拓客一组', '金桥拓客一组'])
    """
    team = str(teams["name"].iloc[0]) if teams is not None and len(teams) else ""
    example = pd.DataFrame({
        "期间": ["2024-03", "2024-03-04~2024-03-10", "2024年第11周"],
        "渠道": ["广告", "拓客", "拓客"],
        "团队": ["", team, team],
        "区域": ["", "", ""],
        "类别": ["媒体", "物料活动", "人工"],
        "金额": ["24万", "12,000", "9000元"],
        "来电/留资": [50, None, None],
        "备注": ["朋友圈定投", "社区巡展物料", "3 人 × 5 天 × 600 元"],
    })
    kinds = pd.DataFrame({"类别": list(S.COST_CATEGORIES), "也可以写": [
        "、".join(s for s, c in CATEGORY_SYNONYMS.items() if c == cat and s != cat) for cat in S.COST_CATEGORIES]})
    meta = {
        "用途": "按渠道、团队、区域和期间录入营销费用，用来算每到访、每高意向、每成交成本（费效比）",
        "期间": PERIOD_HELP,
        "金额": AMOUNT_HELP + "；表头写「金额（万元）」时，纯数字按万元计",
        "团队": "写「团队与片区」页里团队的名称或别名；留空表示不属于某个团队",
        "区域": "写当前区域单元里的区域名称（如 金桥、张江）；留空表示不限区域",
        "渠道": "写到访数据里的渠道（如 广告、拓客、中介）；留空计入「未分配」",
        "撤销": "每次导入是一个批次，导入错了可以在页面上整批撤销",
    }
    return plan_workbook({"费用": example, "类别": kinds}, meta, title="费用导入模板")


# --------------------------------------------------------------------------- costs a team's pay implies
ESTIMATE_BATCH = "估算（团队费用方式）"


def _team_channel(frame: pd.DataFrame | None, team_id: int, default: str) -> str:
    if frame is None or frame.empty or "team_id" not in frame:
        return default
    mine = frame.loc[frame["team_id"].eq(team_id).fillna(False).to_numpy(dtype=bool), "channel"]
    mine = mine[mine.astype(str) != ""]
    return str(mine.mode().iloc[0]) if len(mine) else default


def staff_costs(teams: pd.DataFrame, territory: dict | None, weeks, *, frame: pd.DataFrame | None = None,
                default_day_rate: float = 300.0, channel: str = "拓客") -> pd.DataFrame:
    """The costs each team's pay model implies, per team per week, so cost per result works before
    anyone types a cost.

    * 按人天: the staff days per week of each area the territory gives the team × its day rate
      (``default_day_rate``, the project's, when the team has none): one 人工 row per team, area, week.
    * 按成交佣金: its commission × the deals of its visitors (``frame``, attributed) dated that week:
      one 渠道佣金 row per team, area, week.
    * 固定费用: its monthly fee × 12 / 52 per week: one 其他 row per team and week.

    Parameters
    ----------
    teams : pandas.DataFrame
        :meth:`Operations.teams` (id, name, cost_model, day_rate, commission, monthly_fee, active).
    territory : dict or None
        A territory payload (areas with team_id and staff_days per week).
    weeks : iterable of dates
        The Mondays to cost.
    frame : pandas.DataFrame, optional
        The attributed visitor frame (team_id, area_id, channel, deal, deal_date, week); needed for
        commissions, and gives each team its main channel.
    channel : str
        The channel of a team none of whose visitors is known (the outreach channel).

    Returns
    -------
    pandas.DataFrame
        :data:`COST_COLUMNS` + batch (:data:`ESTIMATE_BATCH`).

    Examples
    --------
    >>> teams = pd.DataFrame({"id": [1], "name": ["一组"], "cost_model": ["按人天"], "day_rate": [400.0],
    ...                       "commission": [0.0], "monthly_fee": [0.0], "active": [True]})
    >>> payload = {"areas": [{"area_id": "a", "team_id": 1, "staff_days": 5}, {"area_id": "b", "team_id": 1,
    ...                                                                       "staff_days": 2.5}]}
    >>> staff_costs(teams, payload, [dt.date(2024, 3, 4)])[["area_id", "category", "amount"]].to_dict("list")
    {'area_id': ['a', 'b'], 'category': ['人工', '人工'], 'amount': [2000.0, 1000.0]}
    """
    mondays = sorted({pd.Timestamp(w).normalize() - pd.Timedelta(days=pd.Timestamp(w).weekday()) for w in weeks})
    areas = (territory or {}).get("areas") or []
    out = []
    for team in teams.itertuples(index=False):
        if not bool(getattr(team, "active", True)):
            continue
        tid, ch = int(team.id), _team_channel(frame, int(team.id), channel)
        if team.cost_model == "按人天":
            rate = float(team.day_rate or 0) or float(default_day_rate)
            for a in areas:
                days = float(a.get("staff_days") or 0)
                if a.get("team_id") == tid and days > 0:
                    out += [_estimate(w, ch, team, str(a["area_id"]), "人工", days * rate,
                                      f"估算：每周 {days:g} 人天 × {rate:,.0f} 元") for w in mondays]
        elif team.cost_model == "按成交佣金" and frame is not None and float(team.commission or 0) > 0:
            out += _commissions(frame, team, ch, mondays)
        elif team.cost_model == "固定费用" and float(team.monthly_fee or 0) > 0:
            fee = float(team.monthly_fee) * 12 / 52
            out += [_estimate(w, ch, team, "", "其他", fee, f"估算：月费 {float(team.monthly_fee):,.0f} 元按周折算")
                    for w in mondays]
    table = pd.DataFrame(out, columns=COST_COLUMNS)
    table["team_id"] = table["team_id"].astype("Int64")
    table["leads"] = table["leads"].astype("Int64")
    table["amount"] = table["amount"].astype(float).round(2)
    table["batch"] = ESTIMATE_BATCH
    return table


def _estimate(monday: pd.Timestamp, channel: str, team, area_id: str, category: str, amount: float, note: str):
    return [monday.date(), (monday + pd.Timedelta(days=6)).date(), channel, int(team.id), str(team.name), area_id,
            category, amount, None, note]


def _commissions(frame: pd.DataFrame, team, channel: str, mondays: list[pd.Timestamp]) -> list:
    mine = frame[frame["team_id"].eq(int(team.id)).fillna(False).to_numpy(dtype=bool) & frame["deal"].astype(bool)]
    when = pd.to_datetime(mine["deal_date"]).fillna(pd.to_datetime(mine["visit_date"])) if "deal_date" in mine \
        else pd.to_datetime(mine["visit_date"])
    week = when - pd.to_timedelta(when.dt.day_of_week, unit="D")
    counts = mine.assign(_week=week.dt.normalize()).groupby(["_week", "area_id"]).size()
    rate = float(team.commission)
    return [_estimate(w, channel, team, str(area), "渠道佣金", n * rate, f"估算：{n} 套成交 × 佣金 {rate:,.0f} 元")
            for (w, area), n in counts.items() if w in set(mondays)]


def merge_estimates(costs: pd.DataFrame, estimates: pd.DataFrame) -> pd.DataFrame:
    """The entered costs plus the estimates that no entered cost covers: an estimate for a team,
    category and week gives way to any entered cost of that team and category overlapping the week.

    >>> entered = pd.DataFrame({"period_start": [dt.date(2024, 3, 1)], "period_end": [dt.date(2024, 3, 31)],
    ...     "channel": ["拓客"], "team_id": [1], "team": ["一组"], "area_id": [""], "category": ["人工"],
    ...     "amount": [9000.0], "leads": [None], "note": [""]})
    >>> est = pd.DataFrame({"period_start": [dt.date(2024, 3, 4), dt.date(2024, 4, 1)],
    ...     "period_end": [dt.date(2024, 3, 10), dt.date(2024, 4, 7)], "channel": ["拓客"] * 2, "team_id": [1, 1],
    ...     "team": ["一组"] * 2, "area_id": ["a", "a"], "category": ["人工"] * 2, "amount": [2000.0, 2000.0],
    ...     "leads": [None, None], "note": ["", ""]})
    >>> merge_estimates(entered, est)["amount"].tolist()
    [9000.0, 2000.0]
    """
    if estimates is None or estimates.empty:
        return costs
    if costs is None or costs.empty:
        return estimates.reset_index(drop=True)
    c_start, c_end = _dates(costs["period_start"]), _dates(costs["period_end"])
    e_start, e_end = _dates(estimates["period_start"]), _dates(estimates["period_end"])
    keep = []
    for i in range(len(estimates)):
        same = (costs["team_id"].astype("Int64").eq(estimates["team_id"].iloc[i]).fillna(False).to_numpy(dtype=bool)
                & (costs["category"].to_numpy() == estimates["category"].iloc[i]))
        overlap = same & (c_start <= e_end[i]) & (c_end >= e_start[i])
        keep.append(not overlap.any())
    return pd.concat([costs, estimates[np.array(keep, dtype=bool)]], ignore_index=True)


# --------------------------------------------------------------------------- the funnel
AXES = {"channel": "渠道", "team": "团队", "area": "区域"}
UNALLOCATED = "未分配"
FUNNEL_COLUMNS = ["key", "名称", "投入(元)", "线索", "到访", "高意向", "认购", "签约", "每到访成本", "每高意向成本",
                  "每成交成本", "费效比排名", "说明", "预警"]
COUNT_COLUMNS = ["线索", "到访", "高意向", "认购", "签约"]
PER_COLUMNS = {"每到访成本": "到访", "每高意向成本": "高意向", "每成交成本": "认购"}


def _dates(values) -> np.ndarray:
    return pd.to_datetime(pd.Series(values).astype(object), errors="coerce").to_numpy(dtype="datetime64[D]")


_OPEN = (dt.date(1900, 1, 1), dt.date(2199, 12, 31))


def _bounds(period: tuple) -> tuple[dt.date, dt.date]:
    """A period's (first, last) day; None at either end is open."""
    return (period[0] if period[0] is not None else _OPEN[0]), (period[1] if period[1] is not None else _OPEN[1])


def _cost_share(costs: pd.DataFrame, period: tuple | None) -> np.ndarray:
    """The part of each cost inside ``period``, by days (a March cost counts 7/31 in one March week)."""
    if period is None:
        return np.ones(len(costs))
    start, end = _dates(costs["period_start"]), _dates(costs["period_end"])
    p0, p1 = (np.datetime64(pd.Timestamp(d).date(), "D") for d in _bounds(period))
    days = (end - start).astype(int) + 1
    inside = (np.minimum(end, p1) - np.maximum(start, p0)).astype(int) + 1
    return np.clip(inside, 0, None) / np.maximum(days, 1)


def _cost_keys(costs: pd.DataFrame, by: str) -> tuple[pd.Series, dict]:
    """Each cost's group key on the axis ("" = unallocated) and names seen for keys."""
    if by == "team":
        ids = costs["team_id"].astype("Int64")
        keys = ids.astype(object).where(ids.notna(), "").map(lambda v: "" if v == "" else str(int(v)))
        names = dict(zip(keys, costs.get("team", keys).astype(str)))
        return keys, names
    col = "channel" if by == "channel" else "area_id"
    keys = costs[col].fillna("").astype(str).str.strip()
    names = dict(zip(keys, costs["area_name"].astype(str))) if by == "area" and "area_name" in costs else {}
    return keys, names


_FRAME_KEY = {"channel": "channel", "team": "team_id", "area": "area_id"}
_FRAME_NAME = {"team": "team", "area": "area_name"}


def _frame_counts(frame: pd.DataFrame, by: str, flags: dict[str, np.ndarray]) -> tuple[pd.DataFrame, dict]:
    """Per group key ("" = nothing on the axis) the count of each flag, and the group's name; one
    factorize and a bincount per flag (a million visitors in well under a second)."""
    codes, uniques = pd.factorize(frame[_FRAME_KEY[by]], use_na_sentinel=True)
    slot = np.where(codes < 0, len(uniques), codes)
    keys = [("" if pd.isna(u) or u == "" else str(int(u)) if by == "team" else str(u)) for u in uniques] + [""]
    counts = pd.DataFrame({name: np.bincount(slot[mask], minlength=len(keys)) for name, mask in flags.items()})
    counts["key"] = keys
    counts = counts.groupby("key", sort=False).sum()
    names: dict = {}
    if by in _FRAME_NAME and _FRAME_NAME[by] in frame:
        first = np.full(len(keys), -1, dtype=np.int64)
        first[slot[::-1]] = np.arange(len(slot) - 1, -1, -1)  # the first row of each group
        present = np.flatnonzero(first >= 0)
        labels = frame[_FRAME_NAME[by]].iloc[first[present]].tolist()
        names = {keys[p]: str(n) for p, n in zip(present, labels) if keys[p]}
    return counts, names


def _in_period(frame: pd.DataFrame, period: tuple | None) -> tuple[np.ndarray, np.ndarray]:
    """(visited in the period, dealt in the period): deals by their deal date (the visit date when none)."""
    n = len(frame)
    if period is None:
        return np.ones(n, bool), np.ones(n, bool)
    p0, p1 = (pd.Timestamp(d) for d in _bounds(period))
    p1 += pd.Timedelta(days=1)
    visit = pd.to_datetime(frame["visit_date"])
    deal = pd.to_datetime(frame["deal_date"]).fillna(visit) if "deal_date" in frame else visit
    return ((visit >= p0) & (visit < p1)).to_numpy(bool), ((deal >= p0) & (deal < p1)).to_numpy(bool)


def funnel(costs: pd.DataFrame, frame: pd.DataFrame, by: str = "channel", period: tuple | None = None, *,
           target: float | None = None, min_count: int = 0) -> pd.DataFrame:
    """Spend → leads → visits → high intention → 认购 → 签约 per channel, team or area, with cost per
    result, the 费效比 rank and a warning where cost per deal is above the target.

    A cost counts where it says: by channel the cost's channel, by team its team, by area its area.
    A cost with nothing on the axis (a media cost with no team, on the team view) goes to the row
    「未分配」, together with the visitors with nothing on it (visitors no team is credited with,
    visitors whose place is in no area): the row shows what nobody is accountable for yet, and is
    not ranked.  With ``period`` (first day, last day) a cost counts by the share of its days inside
    it, visits by visit date and deals by deal date; None at either end of ``period`` leaves it open.

    Parameters
    ----------
    costs : pandas.DataFrame
        Cost rows (:data:`COST_COLUMNS`; :meth:`Operations.costs`, perhaps with :func:`staff_costs`).
    frame : pandas.DataFrame
        The visitor frame (:func:`mapping.ops.teams.attribute` for the team axis): channel / team_id,
        team / area_id, area_name; high, deal, signed; visit_date, deal_date (with ``period``).
    by : {"channel", "team", "area"}
    target : float, optional
        The project's target cost per deal (元): rows above it get a 预警.
    min_count : int
        The minimum count k: a group with fewer visitors shows no counts and no cost per result.

    Returns
    -------
    pandas.DataFrame
        :data:`FUNNEL_COLUMNS`; ranked rows first (cheapest cost per deal first, then groups with a
        cost and no deal), then groups without cost, 「未分配」 last.  Counts and costs per result are
        NaN where not known or withheld; 说明 says why.
    """
    if by not in AXES:
        raise ValueError(f"'by' should be one of {', '.join(AXES)}, got {by!r}")
    costs = costs if costs is not None else pd.DataFrame(columns=COST_COLUMNS)
    table = _group_totals(costs, frame, by, period)
    return _assess(table, by, target, min_count)


def _group_totals(costs: pd.DataFrame, frame: pd.DataFrame, by: str, period: tuple | None) -> pd.DataFrame:
    share = _cost_share(costs, period) if len(costs) else np.zeros(0)
    ckeys, cnames = _cost_keys(costs, by) if len(costs) else (pd.Series(dtype=str), {})
    amount = pd.Series(costs["amount"].astype(float).to_numpy() * share if len(costs) else [], index=ckeys.index)
    leads_raw = pd.to_numeric(costs["leads"], errors="coerce") if len(costs) and "leads" in costs else \
        pd.Series(np.nan, index=ckeys.index)
    leads = pd.Series(leads_raw.to_numpy(dtype=float) * share if len(costs) else [], index=ckeys.index)
    spend = amount.groupby(ckeys.to_numpy()).sum()
    lead_sum = leads.groupby(ckeys.to_numpy()).sum(min_count=1)
    visited, dealt = _in_period(frame, period) if len(frame) else (np.zeros(0, bool), np.zeros(0, bool))
    flags = {"到访": visited, "高意向": visited & frame["high"].to_numpy(bool) if len(frame) else visited,
             "认购": dealt & frame["deal"].to_numpy(bool) if len(frame) else dealt,
             "签约": dealt & frame["signed"].to_numpy(bool) if len(frame) else dealt}
    counts, fnames = _frame_counts(frame, by, flags)
    counts = counts[counts["到访"].gt(0) | counts["认购"].gt(0)]
    keys = list(dict.fromkeys([*spend.index, *counts.index]))
    names = {**cnames, **fnames}
    out = pd.DataFrame({"key": keys})
    out["名称"] = [UNALLOCATED if k == "" else names.get(k, k) or k for k in keys]
    out["投入(元)"] = spend.reindex(keys, fill_value=0.0).to_numpy(dtype=float)
    out["线索"] = lead_sum.reindex(keys).to_numpy(dtype=float)
    for c in ("到访", "高意向", "认购", "签约"):
        out[c] = counts[c].reindex(keys, fill_value=0).to_numpy(dtype=float)
    return out


def _assess(table: pd.DataFrame, by: str, target: float | None, k: int) -> pd.DataFrame:
    unallocated = table["key"].eq("")
    hidden = table["到访"].lt(k) & ~unallocated & table["到访"].gt(0) if k else pd.Series(False, index=table.index)
    hidden |= table["到访"].eq(0) & table["认购"].gt(0) & (k > 0)
    for col, base in PER_COLUMNS.items():
        table[col] = np.where(table["投入(元)"].gt(0) & table[base].gt(0), table["投入(元)"] / table[base].where(
            table[base].gt(0), 1), np.nan)
    table[list(PER_COLUMNS)] = table[list(PER_COLUMNS)].round(2)
    table["投入(元)"] = table["投入(元)"].round(2)
    table.loc[hidden, COUNT_COLUMNS[1:] + list(PER_COLUMNS)] = np.nan
    notes = pd.Series("", index=table.index, dtype=object)
    paid = table["投入(元)"].gt(0) & ~hidden & ~unallocated
    with_deal = paid & table["认购"].gt(0)
    without = paid & table["认购"].eq(0)
    order = pd.concat([
        table[with_deal].sort_values(["每成交成本", "认购", "名称"], ascending=[True, False, True]),
        table[without].sort_values(["投入(元)", "名称"]),
    ])
    table["费效比排名"] = pd.Series(pd.NA, index=table.index, dtype="Int64")
    table.loc[order.index, "费效比排名"] = np.arange(1, len(order) + 1)
    notes[without] = "有投入、无成交，排在最后"
    notes[~table["投入(元)"].gt(0) & ~unallocated] = "未录入费用，不排名"
    notes[hidden] = f"到访少于 {k} 人，不显示人数和成本"
    notes[unallocated] = f"没有指定{AXES[by]}的费用和客户，不排名"
    table["说明"] = notes
    table["预警"] = _warnings(table, target, with_deal, without)
    rest = table.drop(order.index)
    rest = pd.concat([rest[~rest["key"].eq("")].sort_values(["投入(元)", "到访"], ascending=False),
                      rest[rest["key"].eq("")]])
    return pd.concat([table.loc[order.index], rest])[FUNNEL_COLUMNS].reset_index(drop=True)


def _warnings(table: pd.DataFrame, target: float | None, with_deal: pd.Series, without: pd.Series) -> pd.Series:
    out = pd.Series("", index=table.index, dtype=object)
    if not target or target <= 0:
        return out
    over = with_deal & table["每成交成本"].gt(target)
    out[over] = [f"每成交成本 {v:,.0f} 元，高于目标 {target:,.0f} 元" for v in table.loc[over, "每成交成本"]]
    spent = without & table["投入(元)"].gt(target)
    out[spent] = [f"已投入 {v:,.0f} 元仍无成交，超过目标每成交成本 {target:,.0f} 元" for v in table.loc[spent, "投入(元)"]]
    return out


def warnings_of(table: pd.DataFrame) -> list[str]:
    """One sentence per warned row of a :func:`funnel` table, naming the group.

    >>> warnings_of(pd.DataFrame({"名称": ["广告", "拓客"], "预警": ["每成交成本 80,000 元，高于目标 50,000 元", ""]}))
    ['「广告」：每成交成本 80,000 元，高于目标 50,000 元']
    """
    warned = table[table["预警"].astype(str) != ""]
    return [f"「{n}」：{w}" for n, w in zip(warned["名称"], warned["预警"])]


def funnel_stages(row: pd.Series) -> pd.DataFrame:
    """One funnel row as stages (阶段, 人数) for a chart: 线索 (when given), 到访, 高意向, 认购, 签约.

    >>> funnel_stages(pd.Series({"线索": 50.0, "到访": 15.0, "高意向": 6.0, "认购": 3.0, "签约": 2.0}))["人数"].tolist()
    [50.0, 15.0, 6.0, 3.0, 2.0]
    """
    stages = [c for c in COUNT_COLUMNS if c != "线索" or pd.notna(row.get("线索"))]
    return pd.DataFrame({"阶段": stages, "人数": [row.get(c) for c in stages]})


def axis_label(by: str) -> str:
    return AXES[by]


def table_for_export(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """A funnel table as shown and exported: the group column named by its axis, no key."""
    return table.drop(columns=["key"]).rename(columns={"名称": AXES[by]})
