"""Segment codes: which customer segment each location row belongs to, for filters and map series.

A battle map can be split by a segment (面积段, 年龄段, 行业, 籍贯…) as it is by product line:
one map per value of the *axis*.  :class:`Segments` holds, for one project's data version, an
int32 code per row of its :class:`~mapping.analysis.facts.Facts` for every segment in
:data:`SEGMENTS`, so that a filter or a series is a boolean mask and a ``bincount`` — never a
pass over rows in Python.

Codes are worked out once per *distinct* value (a few hundred texts, not a million rows) and
carried to the rows by visitor id with ``numpy.searchsorted``:

- 面积段 / 总价段 (``area_band`` / ``price_band``): the visitor's 意向面积 / 意向总价 text placed
  into the project's bands (:func:`mapping.segments.bands.assign`); empty or unreadable values
  are the band 「未填/无法识别」, listed last.
- 年龄段: a plain age (35, "35岁", "35周岁") falls into 25岁以下 … 55岁及以上; a band the file
  gave ("25-34岁") is kept (spelled the standard way when it is one of ours).
- 行业, 收入, 家庭结构, 置业目的: the text as imported.
- 意向等级, 到访渠道: the codes :class:`~mapping.analysis.facts.Facts` already has.
- 籍贯（省）/ 籍贯（市）: the stored 6-digit hometown code as a name (江苏省 / 苏州市), from the
  national code table of :mod:`mapping.segments.hometown`; ordered by code (the national order).

Code -1 means "no value" (未填); vocabularies hold only values some visitor has.

>>> import pandas as pd
>>> from mapping.analysis.facts import Facts
>>> rows = pd.DataFrame({"visitor_id": [1, 1, 2], "dimension": ["home", "work", "home"],
...     "adcode": ["310115"] * 3, "lng": [None] * 3, "lat": [None] * 3, "method": ["district_name"] * 3,
...     "town_code": [""] * 3, "outside": [False] * 3, "product_line": ["公寓"] * 3, "intention": ["A", "A", "C"],
...     "channel": ["拓客"] * 3, "visit_date": [None] * 3, "deal": [False] * 3})
>>> columns = pd.DataFrame({"visitor_id": [2, 1], "age_band": ["41岁", "25-34岁"], "area_want": ["90㎡", ""]})
>>> seg = Segments.build(Facts.build(rows), columns, {})
>>> seg.codes("age_band")[0].tolist(), seg.codes("age_band")[1]
([0, 0, 1], ['25-34岁', '35-44岁'])
>>> seg.codes("area_band")[1]
['90㎡以下', '未填/无法识别']
>>> seg.available()
['area_band', 'age_band', 'intention', 'channel']
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mapping.segments import bands as SB
from mapping.segments import hometown

__all__ = ["AGE_BANDS", "SEGMENTS", "Segments", "age_band", "hometown_names", "project_bands", "segment_label"]

SEGMENTS: dict[str, str] = {
    "area_band": "面积段", "price_band": "总价段", "age_band": "年龄段", "industry": "行业",
    "income_band": "收入", "family": "家庭结构", "purpose": "置业目的", "intention": "意向等级",
    "channel": "到访渠道", "hometown_province": "籍贯（省）", "hometown_city": "籍贯（市）",
}
"""Segment key → its Chinese label, in menu order."""

AGE_BANDS = ("25岁以下", "25-34岁", "35-44岁", "45-54岁", "55岁及以上")
_AGE_CUTS = np.array([25, 35, 45, 55])
_AGE = re.compile(r"(\d{1,3})(?:\.\d+)?(?:岁|周岁)?")
_AGE_RANGE = re.compile(r"(\d{1,3})(?:岁)?[-~～至到—–](\d{1,3})(?:岁|周岁)?")
_AGE_EDGE = re.compile(r"(\d{1,3})(?:岁|周岁)?(以下|及以下|以上|及以上|\+)")
_AGE_MAX = 120

# the columns of Store.segment_columns each key reads
_TEXT_KEYS = {"industry": "industry", "income_band": "income_band", "family": "family", "purpose": "purpose"}
_BAND_KEYS = {"area_band": ("area", "area_want"), "price_band": ("price", "price_want")}
_FACT_KEYS = {"intention": ("intention", "intentions_all"), "channel": ("channel", "channels_all")}
_HOMETOWN_KEYS = ("hometown_province", "hometown_city")
_MUNICIPALITIES = {"11", "12", "31", "50"}  # 北京 天津 上海 重庆: the city is the province
_ROW_CACHE = 6  # row-code arrays kept per Segments (12 MB each at 3M rows)


def segment_label(key: str) -> str:
    """The Chinese label of a segment key; a clear error for an unknown key.

    >>> segment_label("area_band")
    '面积段'
    """
    if key not in SEGMENTS:
        raise KeyError(f"未知的客群细分 {key!r}，可选：{'、'.join(SEGMENTS)}")
    return SEGMENTS[key]


# ---------------------------------------------------------------- one value
def age_band(value: object) -> str:
    """The age band of one 年龄/年龄段 value: a plain age falls into :data:`AGE_BANDS`; one of our
    bands written another way is spelled ours; anything else is kept as given ("" for empty).

    >>> [age_band(v) for v in (35, "35岁", "24周岁", "55", "55岁以上", "25~34岁", "中年", None, 150)]
    ['35-44岁', '35-44岁', '25岁以下', '55岁及以上', '55岁及以上', '25-34岁', '中年', '', '150']
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    raw = str(value).strip()
    text = re.sub(r"\s", "", unicodedata.normalize("NFKC", raw))
    if (m := _AGE.fullmatch(text)) and 0 < int(m.group(1)) <= _AGE_MAX:
        return AGE_BANDS[int(np.searchsorted(_AGE_CUTS, int(m.group(1)), side="right"))]
    if (m := _AGE_RANGE.fullmatch(text)):
        lo, hi = int(m.group(1)), int(m.group(2))
        bounds = {(25, 34): 1, (35, 44): 2, (45, 54): 3}
        return AGE_BANDS[bounds[(lo, hi)]] if (lo, hi) in bounds else raw
    if (m := _AGE_EDGE.fullmatch(text)):
        age, side = int(m.group(1)), m.group(2)
        if age == 25 and side.endswith("以下"):
            return AGE_BANDS[0]
        if age == 55 and not side.endswith("以下"):
            return AGE_BANDS[-1]
    return raw


def hometown_names(codes) -> pd.DataFrame:
    """Province and city names of stored 6-digit hometown codes (one row per code, in order).

    A municipality's city is the municipality (310000 and 310100 → 上海市 / 上海市); a code the
    table does not know is named 「未知地区（code）」 so it is visible, not dropped; "" stays "".

    >>> hometown_names(["320500", "310000", "512200", ""]).to_numpy().tolist()
    [['320000', '江苏省', '320500', '苏州市'], ['310000', '上海市', '310000', '上海市'], \
['510000', '四川省', '512200', '万县地区'], ['', '', '', '']]
    """
    rows = [_hometown_one(str(c).strip() if c is not None else "") for c in codes]
    return pd.DataFrame(rows, columns=["province_code", "province", "city_code", "city"])


def _code_name(code: str) -> str:
    periods = hometown._table().get(code, [])
    return max(periods, key=lambda p: p[2])[0] if periods else ""  # the latest name


def _hometown_one(code: str) -> tuple[str, str, str, str]:
    if not code:
        return "", "", "", ""
    if len(code) != 6 or not code.isdigit():
        return "", f"未知地区（{code}）", code, f"未知地区（{code}）"
    province_code = code[:2] + "0000"
    province = _code_name(province_code) or f"未知地区（{province_code}）"
    if code[:2] in _MUNICIPALITIES:
        return province_code, province, province_code, province
    if code.endswith("0000"):  # only the province is known
        return province_code, province, "", ""
    return province_code, province, code, _code_name(code) or f"未知地区（{code}）"


def project_bands(project) -> dict[str, SB.Bands]:
    """The project's 面积段 / 总价段 tables from ``project.segment_bands`` (JSON of the cut points as the
    user typed them, ``{"area": "90,120,144", "price": "200,300,500"}``); defaults where empty.

    Raises :class:`mapping.segments.bands.BandError` (in Chinese) when the saved text is malformed.

    >>> from types import SimpleNamespace
    >>> project_bands(SimpleNamespace(segment_bands='{"area": "100, 150"}'))["area"].labels
    ('100㎡以下', '100–150㎡', '150㎡以上')
    >>> project_bands(SimpleNamespace(segment_bands=""))["price"] == SB.PRICE_BANDS
    True
    """
    text = getattr(project, "segment_bands", "") or ""
    try:
        saved = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        raise SB.BandError(f"项目的面积段/总价段设置无法读取（{text[:60]!r}），请在「客群细分」页重新保存分段") from None
    if not isinstance(saved, dict):
        raise SB.BandError(f"项目的面积段/总价段设置应为 {{'area': …, 'price': …}}，收到 {text[:60]!r}")
    defaults = {"area": SB.AREA_BANDS, "price": SB.PRICE_BANDS}
    return {kind: SB.bands_from_text(kind, saved[kind]) if str(saved.get(kind) or "").strip() else default
            for kind, default in defaults.items()}


# ---------------------------------------------------------------- per distinct value
def _labels_of(key: str, categories: list[str], bands: dict[str, SB.Bands]) -> tuple[list[str], list[str]]:
    """(label per category, vocabulary order) of one segment; label "" = no value."""
    if key in _BAND_KEYS:
        kind = _BAND_KEYS[key][0]
        table = bands.get(kind) or {"area": SB.AREA_BANDS, "price": SB.PRICE_BANDS}[kind]
        labels = SB.assign(categories, table).astype(str).tolist() if categories else []
        return labels, table.categories
    if key == "age_band":
        labels = [age_band(c) for c in categories]
        return labels, list(AGE_BANDS)
    if key in _HOMETOWN_KEYS:
        names = hometown_names(categories)
        part = "province" if key == "hometown_province" else "city"
        order = names.sort_values(f"{part}_code")[part].tolist()
        return names[part].tolist(), list(dict.fromkeys(order))
    return [str(c).strip() for c in categories], []


def _visitor_codes(key: str, column: pd.Series | None, n: int, bands: dict[str, SB.Bands]) \
        -> tuple[np.ndarray, list[str], bool]:
    """(int32 code per visitor, vocabulary, any non-empty raw value) of one segment."""
    if column is None:
        if key in _BAND_KEYS:  # no such column: everyone is 未填
            return np.zeros(n, dtype=np.int32), [SB.UNREAD], False
        return np.full(n, -1, dtype=np.int32), [], False
    cat = pd.Categorical(column)
    old = cat.codes.astype(np.int64)
    categories = [str(c) for c in cat.categories]
    used = np.bincount(old[old >= 0], minlength=len(categories)) > 0
    filled = bool(any(u and c.strip() for u, c in zip(used, categories)))
    if key in _BAND_KEYS:  # an empty cell is the band 未填/无法识别 too
        categories.append("")
        old = np.where(old < 0, len(categories) - 1, old)
        used = np.append(used, (old == len(categories) - 1).any())
    labels, order = _labels_of(key, categories, bands)
    present = {lab for lab, u in zip(labels, used) if u and lab}
    vocabulary = [v for v in order if v in present]
    vocabulary += sorted(present.difference(vocabulary))  # values outside the known order, sorted
    rank = {v: i for i, v in enumerate(vocabulary)}
    per_category = np.array([rank.get(lab, -1) for lab in labels] + [-1], dtype=np.int32)  # last: missing
    return per_category[old], vocabulary, filled


# ---------------------------------------------------------------- Segments
@dataclass
class Segments:
    """Segment codes aligned with the rows of one :class:`~mapping.analysis.facts.Facts` (module doc).

    Build with :meth:`build`; read with :meth:`codes`.  Shared by every session of a data version
    (like the Facts), so row codes are computed on first use under a lock and a few are kept.
    """

    row_visitor: np.ndarray  # int32 per Facts row: index into the visitor codes (-1: visitor not listed)
    visitor_codes: dict[str, np.ndarray]  # key -> int32 code per visitor of the segment columns
    vocabularies: dict[str, list[str]]
    filled: dict[str, bool]  # key -> some visitor has a non-empty raw value
    fact_codes: dict[str, np.ndarray] = field(default_factory=dict)  # intention/channel: row codes as they are
    _rows: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.row_visitor)

    @classmethod
    def build(cls, facts, columns: pd.DataFrame, bands: dict[str, SB.Bands]) -> Segments:
        """Codes of every segment for the rows of ``facts``.

        Parameters
        ----------
        facts : Facts
            The project's facts (one row per visitor × dimension).
        columns : pandas.DataFrame
            :meth:`mapping.db.store.Store.segment_columns`: one row per visitor, ``visitor_id`` then
            the segment columns (any may be missing: its segment is then empty).
        bands : dict
            :func:`project_bands` of the project (``{"area": Bands, "price": Bands}``; missing = defaults).
        """
        if "visitor_id" not in columns:
            raise ValueError(f"'columns' 应含 visitor_id 列（Store.segment_columns），收到 {list(columns.columns)}")
        row_visitor = _row_index(columns["visitor_id"].to_numpy(dtype=np.int64), facts.visitor)
        n = len(columns)
        visitor_codes, vocabularies, filled = {}, {}, {}
        sources = {**{k: c for k, c in _TEXT_KEYS.items()}, "age_band": "age_band",
                   **{k: c for k, (_, c) in _BAND_KEYS.items()}, **{k: "hometown" for k in _HOMETOWN_KEYS}}
        for key, column in sources.items():
            col = columns[column] if column in columns else None
            visitor_codes[key], vocabularies[key], filled[key] = _visitor_codes(key, col, n, bands)
        fact_codes = {}
        for key, (codes_name, vocab_name) in _FACT_KEYS.items():
            fact_codes[key], vocabularies[key] = _fact_codes(getattr(facts, codes_name), getattr(facts, vocab_name))
            filled[key] = bool(vocabularies[key])
        return cls(row_visitor, visitor_codes, vocabularies, filled, fact_codes)

    def codes(self, key: str) -> tuple[np.ndarray, list[str]]:
        """(int32 code per Facts row, -1 = no value; the vocabulary in display order) of one segment.

        Do not modify the array: it is shared.
        """
        segment_label(key)
        if key in self.fact_codes:
            return self.fact_codes[key], self.vocabularies[key]
        with self._lock:
            rows = self._rows.get(key)
            if rows is None:
                per_visitor = np.append(self.visitor_codes[key], np.int32(-1))  # the last: visitor not listed
                rows = per_visitor[self.row_visitor]
                self._rows[key] = rows
                while len(self._rows) > _ROW_CACHE:
                    self._rows.popitem(last=False)
            else:
                self._rows.move_to_end(key)
        return rows, self.vocabularies[key]

    def values(self, key: str) -> list[str]:
        """The vocabulary of one segment (the values a map series or a filter can take)."""
        segment_label(key)
        return list(self.vocabularies[key])

    def available(self) -> list[str]:
        """Segment keys with at least one non-empty value, in :data:`SEGMENTS` order."""
        return [key for key in SEGMENTS if self.filled.get(key) and self.vocabularies.get(key)]


def _row_index(visitor_ids: np.ndarray, row_ids: np.ndarray) -> np.ndarray:
    """Per row of ``row_ids``: the position of its id in ``visitor_ids``, else len(visitor_ids).

    Database ids of one project are nearly contiguous: a look-up table over their span (one gather,
    ~20 ms at 3M rows) when it is not much larger than the list, else a binary search.

    >>> _row_index(np.array([7, 3, 5]), np.array([3, 3, 9, 7])).tolist()
    [1, 1, 3, 0]
    """
    n = len(visitor_ids)
    if n == 0 or len(row_ids) == 0:
        return np.full(len(row_ids), n, dtype=np.int32)
    low, high = int(visitor_ids.min()), int(visitor_ids.max())
    if high - low < 8 * n + 1_000_000:
        table = np.full(high - low + 2, n, dtype=np.int32)  # the last slot: ids outside the span
        table[visitor_ids - low] = np.arange(n, dtype=np.int32)
        inside = (row_ids >= low) & (row_ids <= high)
        return table[np.where(inside, row_ids - low, high - low + 1)]
    order = np.argsort(visitor_ids, kind="stable")
    ordered = visitor_ids[order]
    pos = np.minimum(np.searchsorted(ordered, row_ids), n - 1)
    return np.where(ordered[pos] == row_ids, order[pos], n).astype(np.int32)


def _fact_codes(codes: np.ndarray, vocabulary: list[str]) -> tuple[np.ndarray, list[str]]:
    """Facts codes with "" turned into -1 and left out of the (sorted) vocabulary."""
    names = list(vocabulary)
    new = np.arange(len(names) + 1, dtype=np.int32) - 1  # index len(names): a code -1 stays -1
    if "" in names:
        empty = names.index("")
        new[:len(names)] = np.arange(len(names)) - (np.arange(len(names)) > empty)
        new[empty] = -1
        names.remove("")
    out = new[np.where(codes < 0, len(vocabulary), codes)].astype(np.int32)
    return out, names
