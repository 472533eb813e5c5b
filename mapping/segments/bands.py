"""Read 意向面积 / 意向总价 / 预算 values leniently and place them into a project's bands.

Questionnaires hold these values as free text: "120-140", "90㎡", "约100平", "100以上",
"300万", "总价300万左右", "1.2亿", "3000000". This module turns each distinct text into a
numeric range ``(lo, hi)`` — square metres for area, 万元 for price — and then into a
band label (面积段 / 总价段) the project defines. Nothing is dropped: a value that cannot be
read gets the band 「未填/无法识别」 and a line in :func:`report` saying why and what to do.

Reading is fit-then-apply like a classifier: the :class:`Bands` table (edges and labels)
is fixed once per project, and every series of a segmented map uses the same table.

Work is done once per *distinct* text (``pandas.factorize``), so a million rows with a
thousand distinct strings cost a thousand parses.

>>> parse_area("120~140㎡")
(120.0, 140.0)
>>> parse_price("1.2亿")
(12000.0, 12000.0)
>>> assign(["90㎡", "300平以上", "三房", None], AREA_BANDS).tolist()
['90㎡以下', '180㎡以上', '未填/无法识别', '未填/无法识别']
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd

__all__ = [
    "AREA_BANDS", "PRICE_BANDS", "UNREAD", "BandError", "Bands", "ReadError", "assign", "bands_from_text",
    "parse_area", "parse_price", "read", "report",
]

UNREAD = "未填/无法识别"
"""The band of every value that is empty or could not be read."""

REPORT_COLUMNS = ["行号", "原值", "原因", "怎么办"]

_INF = math.inf
_NUMERALS = set("零〇一二三四五六七八九十百千两")
_LAYOUT = re.compile(r"[房室厅居]|户型")
_HEDGES = re.compile(r"总价|总额|预算|意向|面积|建面|大约|约|左右|上下|差不多|附近|大概")
_UP = re.compile(r"(?:及以上|以上|起|\+|或以上)$|^(?:>=|>|≥|大于|超过|不低于)")
_DOWN = re.compile(r"(?:及以下|以下|以内|之内|内)$|^(?:<=|<|≤|小于|不超过|不到|低于)")
_SPLIT = re.compile(r"\s*(?:-|~|至|到|—|–|－|/)\s*")
_NUMBER = r"(\d+(?:\.\d+)?)"
_AREA_PART = re.compile(_NUMBER + r"\s*(?:m2|平方米|平方|平米|平|方|sqm|m)?")
_PRICE_PART = re.compile(_NUMBER + r"\s*(万元|万|w|亿元|亿|元)?")
_PRICE_SCALE = {"万元": 1.0, "万": 1.0, "w": 1.0, "亿元": 10000.0, "亿": 10000.0, "元": 1e-4}
_AREA_MAX = 5000.0
_UNIT_PRICE = (10000.0, 100000.0)  # a bare number in between is a price per ㎡ in 元, not a total


class ReadError(ValueError):
    """A value could not be read; ``str(error)`` is the reason in Chinese."""

    def __init__(self, reason: str, action: str):
        super().__init__(reason)
        self.reason = reason
        self.action = action


class BandError(ValueError):
    """A band table is malformed (edges not increasing, labels missing or repeated)."""


# ---------------------------------------------------------------- one value

def _normalise(text: str) -> str:
    """Full-width to half-width (NFKC turns ㎡ into m2), lower case, no spaces or commas."""
    out = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\s,，:]", "", out.replace("m²", "m2"))


def _direction(text: str) -> tuple[str, str]:
    """Strip hedges and 以上/以下 marks; return the remaining text and 'up', 'down' or ''."""
    text = _HEDGES.sub("", text)
    if _UP.search(text):
        return _UP.sub("", text), "up"
    if _DOWN.search(text):
        return _DOWN.sub("", text), "down"
    return text, ""


def _refuse_common(raw: object, text: str, what: str) -> None:
    if not text:
        raise ReadError("未填", f"如有{what}，请补填")
    if any(ch in _NUMERALS for ch in text):
        raise ReadError(f"「{raw}」用的是汉字数字", "请改成阿拉伯数字，如 120 或 300万")


def _parts(text: str, pattern: re.Pattern, raw: object, example: str) -> list[re.Match]:
    pieces = _SPLIT.split(text)
    matches = [pattern.fullmatch(p) for p in pieces]
    if not 1 <= len(pieces) <= 2 or any(m is None for m in matches):
        raise ReadError(f"看不懂「{raw}」", f"请写成数字或数字范围，如 {example}")
    return matches


def _bounds(lo: float, hi: float, direction: str, raw: object) -> tuple[float, float]:
    if direction == "up":
        return lo, _INF
    if direction == "down":
        return 0.0, hi
    if lo > hi:
        raise ReadError(f"「{raw}」的范围前大后小", "请把小的数写在前面，如 120-140")
    return lo, hi


def _area_one(raw: object) -> tuple[float, float]:
    text = "" if raw is None or (isinstance(raw, float) and math.isnan(raw)) else _normalise(str(raw))
    if _LAYOUT.search(text):
        raise ReadError(f"「{raw}」是户型（几房），不是面积", "请填面积，如 90㎡；户型请放到户型列")
    text, direction = _direction(text)
    _refuse_common(raw, text, "意向面积")
    parts = _parts(text, _AREA_PART, raw, "90㎡ 或 120-140")
    values = [float(m.group(1)) for m in parts]
    if direction and len(values) != 1:
        raise ReadError(f"「{raw}」既是范围又写了以上/以下", "请只写一种，如 120-140 或 100以上")
    if values[0] <= 0 or values[-1] > _AREA_MAX:
        raise ReadError(f"「{raw}」不像住宅面积（应在 0 到 {_AREA_MAX:g}㎡ 之间）", "请核对单位是否是平方米")
    return _bounds(values[0], values[-1], direction, raw)


def _price_one(raw: object) -> tuple[float, float]:
    text = "" if raw is None or (isinstance(raw, float) and math.isnan(raw)) else _normalise(str(raw))
    text, direction = _direction(text)
    _refuse_common(raw, text, "意向总价")
    parts = _parts(text, _PRICE_PART, raw, "300万 或 300-400万")
    units = [m.group(2) for m in parts]
    last_unit = units[-1]
    values = []
    for m, unit in zip(parts, units):
        number = float(m.group(1))
        unit = unit or last_unit
        if unit is None and _UNIT_PRICE[0] < number < _UNIT_PRICE[1]:
            raise ReadError(f"「{raw}」像是单价（元/㎡），不是总价", "请填总价，如 300万；单价请乘以面积")
        if unit is None:  # a bare number: 元 when it is large, else 万元
            values.append(number / 10000.0 if number > 10000 else number)
        else:
            values.append(number * _PRICE_SCALE[unit])
    if direction and len(values) != 1:
        raise ReadError(f"「{raw}」既是范围又写了以上/以下", "请只写一种，如 300-400万 或 300万以上")
    if values[0] <= 0:
        raise ReadError(f"「{raw}」总价为 0", "请填意向总价，如 300万")
    return _bounds(values[0], values[-1], direction, raw)


def parse_area(value: object) -> tuple[float, float]:
    """Read one 意向面积 value into ``(lo, hi)`` square metres.

    Raises :class:`ReadError` (reason in Chinese, ``.action`` says what to do) when the
    value is empty, uses Chinese numerals, is a layout ("3房") or cannot be read.

    >>> parse_area("120-140")
    (120.0, 140.0)
    >>> parse_area("约100平")
    (100.0, 100.0)
    >>> parse_area("100+")
    (100.0, inf)
    >>> parse_area("80以下")
    (0.0, 80.0)
    >>> parse_area("3房")
    Traceback (most recent call last):
    ...
    mapping.segments.bands.ReadError: 「3房」是户型（几房），不是面积
    """
    return _area_one(value)


def parse_price(value: object) -> tuple[float, float]:
    """Read one 意向总价 / 预算 value into ``(lo, hi)`` 万元.

    A bare number of 100000 or more is taken as 元 (3000000 → 300万); up to 10000, as 万元;
    in between (e.g. 45000) it looks like a price per ㎡ and is refused.
    In a range, a side without a unit takes the other side's ("300-400万").

    >>> parse_price("300万")
    (300.0, 300.0)
    >>> parse_price("总价300万左右")
    (300.0, 300.0)
    >>> parse_price("3000000")
    (300.0, 300.0)
    >>> parse_price("300-400w")
    (300.0, 400.0)
    """
    return _price_one(value)


# ---------------------------------------------------------------- bands

@dataclass(frozen=True)
class Bands:
    """A band table: ``edges`` (increasing, may end in inf) and one label per interval.

    Intervals are right-closed, ``(edges[i], edges[i+1]]``, so 90㎡ falls in 「90㎡以下」 and
    144㎡ in 「120–144㎡」, as housing policy counts them. ``kind`` is ``"area"`` or ``"price"``
    and picks the reader. Without labels, they are made from the edges and ``unit``.

    >>> Bands("area", (0, 90, 120, float("inf"))).labels
    ('90㎡以下', '90–120㎡', '120㎡以上')
    """

    kind: str
    edges: tuple
    labels: tuple = ()
    unit: str = ""

    def __post_init__(self):
        _check_bands(self)
        unit = self.unit or {"area": "㎡", "price": "万"}[self.kind]
        object.__setattr__(self, "unit", unit)
        object.__setattr__(self, "edges", tuple(float(e) for e in self.edges))
        if not self.labels:
            object.__setattr__(self, "labels", _default_labels(self.edges, unit))
        if len(self.labels) != len(self.edges) - 1:
            raise BandError(f"'labels' 应有 {len(self.edges) - 1} 个（每个区间一个），收到 {len(self.labels)} 个")
        if len(set(self.labels)) != len(self.labels) or UNREAD in self.labels:
            raise BandError(f"'labels' 不能重复，也不能用「{UNREAD}」：{list(self.labels)}")

    @property
    def categories(self) -> list[str]:
        """Every label in order, then 「未填/无法识别」: the same bins for every series."""
        return [*self.labels, UNREAD]


def _check_bands(bands: Bands) -> None:
    if bands.kind not in ("area", "price"):
        raise BandError(f"'kind' 应为 'area' 或 'price'，收到 {bands.kind!r}")
    edges = np.asarray(bands.edges, dtype=float)
    if edges.size < 2 or np.isnan(edges).any() or edges[0] < 0 or not (np.diff(edges) > 0).all():
        raise BandError(f"'edges' 应至少两个、从 0 或正数开始、严格递增，收到 {list(bands.edges)}")


def _fmt(x: float) -> str:
    return f"{x:g}"


def _default_labels(edges: tuple, unit: str) -> tuple:
    labels = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        if lo == 0:
            labels.append(f"{_fmt(hi)}{unit}以下")
        elif math.isinf(hi):
            labels.append(f"{_fmt(lo)}{unit}以上")
        else:
            labels.append(f"{_fmt(lo)}–{_fmt(hi)}{unit}")
    return tuple(labels)


def bands_from_text(kind: str, text: str) -> Bands:
    """A band table from the cut points a user types, e.g. "90, 120, 144" (0 and ∞ are added).

    >>> bands_from_text("area", "90，120、144").labels
    ('90㎡以下', '90–120㎡', '120–144㎡', '144㎡以上')
    >>> bands_from_text("price", "300 500").edges
    (0.0, 300.0, 500.0, inf)
    """
    pieces = [p for p in re.split(r"[\s,，、;；/]+", unicodedata.normalize("NFKC", str(text)).strip()) if p]
    try:
        cuts = [float(p) for p in pieces]
    except ValueError:
        raise BandError(f"分段点应为数字，用逗号隔开（如 90, 120, 144），收到「{text}」") from None
    if not cuts or any(c <= 0 for c in cuts) or any(b <= a for a, b in zip(cuts, cuts[1:])):
        raise BandError(f"分段点应为从小到大的正数（如 90, 120, 144），收到「{text}」")
    return Bands(kind, (0.0, *cuts, _INF))


AREA_BANDS = Bands("area", (0, 90, 120, 144, 180, _INF))
"""Default 面积段: 90㎡以下, 90–120㎡, 120–144㎡, 144–180㎡, 180㎡以上."""

PRICE_BANDS = Bands("price", (0, 200, 300, 500, 800, 1000, _INF))
"""Default 总价段 in 万元: 200万以下, 200–300万, 300–500万, 500–800万, 800–1000万, 1000万以上."""


# ---------------------------------------------------------------- many values

_READERS = {"area": _area_one, "price": _price_one}


def read(values: Iterable, kind: str) -> pd.DataFrame:
    """Read many values at once: one row per value with ``lo``, ``hi``, ``原因``, ``怎么办``.

    ``原因`` is empty for values that were read. Each distinct value is parsed once.

    >>> read(["90㎡", "90㎡", "三房"], "area")[["lo", "hi"]].to_numpy().tolist()
    [[90.0, 90.0], [90.0, 90.0], [nan, nan]]
    """
    if kind not in _READERS:
        raise ValueError(f"'kind' 应为 'area' 或 'price'，收到 {kind!r}")
    series = _as_series(values)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    table = _read_uniques(list(uniques), _READERS[kind])
    missing = ("未填", f"如有{'意向面积' if kind == 'area' else '意向总价'}，请补填")
    table.loc[len(table)] = [np.nan, np.nan, *missing]  # code -1: empty cells
    return table.iloc[codes].reset_index(drop=True)


def _as_series(values: Iterable) -> pd.Series:
    if isinstance(values, pd.Series):
        values = values.to_numpy()
    elif not isinstance(values, (np.ndarray, list, tuple)):
        values = list(values)
    return pd.Series(values, dtype=object)


def _read_uniques(uniques: list, reader) -> pd.DataFrame:
    rows = []
    for value in uniques:
        try:
            rows.append((*reader(value), "", ""))
        except ReadError as err:
            rows.append((np.nan, np.nan, err.reason, err.action))
    return pd.DataFrame(rows, columns=["lo", "hi", "原因", "怎么办"]).astype(
        {"lo": float, "hi": float, "原因": object, "怎么办": object})


def _keys(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The number a range is placed by: its midpoint; an open top (x以上) just above lo."""
    with np.errstate(invalid="ignore"):
        mid = (lo + hi) / 2.0
    return np.where(np.isinf(hi), np.nextafter(lo, _INF), mid)


def assign(values: Iterable, bands: Bands) -> pd.Series:
    """The band label of each value (a Categorical over ``bands.categories``).

    A range is placed by its midpoint ("120-140" → 130 → 「120–144㎡」); "x以上" by x itself
    (so "180以上" is 「180㎡以上」); anything unread is 「未填/无法识别」.

    >>> assign(["120-140", "100以上", "3000000", ""], AREA_BANDS).tolist()
    ['120–144㎡', '90–120㎡', '未填/无法识别', '未填/无法识别']
    >>> assign(["300万", "300-400万", "1.2亿"], PRICE_BANDS).tolist()
    ['200–300万', '300–500万', '1000万以上']
    """
    if not isinstance(bands, Bands):
        raise TypeError(f"'bands' 应为 Bands，收到 {type(bands).__name__}")
    table = read(values, bands.kind)
    keys = _keys(table["lo"].to_numpy(), table["hi"].to_numpy())
    edges = np.asarray(bands.edges)
    index = np.searchsorted(edges, keys, side="left") - 1
    inside = ~np.isnan(keys) & (index >= 0) & (index < len(bands.labels))
    codes = np.where(inside, index, len(bands.labels))
    return pd.Series(pd.Categorical.from_codes(codes, categories=bands.categories), name=bands.kind)


def report(values: Iterable, kind: str, *, first_row: int = 1) -> pd.DataFrame:
    """What could not be read: 行号, 原值, 原因, 怎么办 (行号 counts from ``first_row``; empty 原值 is "").

    >>> report(["90㎡", "三房", None], "area")[["行号", "原值", "原因"]].to_numpy().tolist()
    [[2, '三房', '「三房」是户型（几房），不是面积'], [3, '', '未填']]
    """
    series = _as_series(values)
    table = read(series, kind)
    bad = table["原因"] != ""
    out = pd.DataFrame({"行号": np.flatnonzero(bad.to_numpy()) + first_row, "原值": series[bad.to_numpy()].fillna("").to_numpy(),
                        "原因": table.loc[bad, "原因"].to_numpy(), "怎么办": table.loc[bad, "怎么办"].to_numpy()})
    return out[REPORT_COLUMNS].reset_index(drop=True)
