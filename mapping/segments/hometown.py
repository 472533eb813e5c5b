"""Hometown (籍贯) from a Chinese ID number's first six digits: province and prefecture codes.

An ID number starts with the 6-digit address code of the place where it was first issued
(for most people born since the mid-1980s, where they were born). :func:`derive` turns each
ID number into that code's province (省级) and prefecture-level city (地级) — codes and
names — using the national code table *with* historic codes (``data/idcodes``): an ID issued
in 1990 in 万县市 starts 512201 (四川省 万县地区), a code abolished in 1992.

Privacy (PIPL 个人信息保护法 §6 最小必要): an ID number is sensitive personal information and
the hometown segment needs only the place. So :func:`derive` returns only the codes, names
and a status — never the ID number, its birth date, sex or any part beyond the place — and
keeps nothing between calls: no cache holds an ID number, no message quotes one. Callers
should derive at ingest and drop the ID column right away, and only when the user has asked
for hometown. The birth year is read transiently to pick a reused code's name at that time.

Checks: 18-digit numbers must carry the right check digit (GB 11643, ISO 7064 MOD 11-2);
15-digit numbers (the 1984–1999 format, no check digit) are accepted. Work is done once per
distinct (address code, year), so a million rows cost a few thousand look-ups.

>>> derive(["110101199003070011", "110101199003070018", "12345"])[["province", "city", "status"]].to_numpy().tolist()
[['北京市', '北京市', '有效'], ['', '', '无法识别'], ['', '', '无法识别']]
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Iterable

import numpy as np
import pandas as pd

from mapping.paths import ROOT

__all__ = ["COLUMNS", "HISTORIC", "UNREAD", "VALID", "check_digit", "derive"]

VALID = "有效"
HISTORIC = "历史代码"
UNREAD = "无法识别"
COLUMNS = ["province_code", "province", "city_code", "city", "status", "reason"]

CODES_CSV = ROOT / "data" / "idcodes" / "address_codes.csv"
_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_CHECK = "10X98765432"
_MUNICIPALITIES = {"11", "12", "31", "50"}  # 北京 天津 上海 重庆: the city is the province
_FIRST_ISSUE = 1984  # resident ID numbers were first issued in 1984: a code was given no earlier


def check_digit(first17: str) -> str:
    """The 18th character of an ID number from its first 17 digits (GB 11643-1999).

    >>> check_digit("11010519491231002")  # the standard's own example, 11010519491231002X
    'X'
    """
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"'first17' 应为 17 位数字，收到 {len(first17)} 个字符")
    return _CHECK[int(np.dot(_WEIGHTS, [int(c) for c in first17])) % 11]


# ---------------------------------------------------------------- code table

@lru_cache(maxsize=1)
def _table() -> dict:
    """code → list of (name, start, end, current); start/end as ints (open = ∓inf)."""
    frame = pd.read_csv(CODES_CSV, dtype=str, keep_default_na=False)
    out: dict = {}
    for code, name, start, end, current in zip(frame["code"], frame["name"], frame["start_year"],
                                               frame["end_year"], frame["current"]):
        out.setdefault(code, []).append((name, float(start) if start else -np.inf,
                                         float(end) if end else np.inf, current == "1"))
    return out


def _name(code: str, year: int) -> str:
    """The code's name in force in ``year``, else its latest name; '' when the code is unknown."""
    periods = _table().get(code, [])
    if not periods:
        return ""
    at = [p for p in periods if p[1] <= year <= p[2]]
    return max(at or periods, key=lambda p: p[2])[0]


def _place(prefix: str, year: int) -> tuple:
    periods = _table().get(prefix)
    province_code = prefix[:2] + "0000"
    province = _name(province_code, year)
    if not periods or not province:
        return ("", "", "", "", UNREAD, "地区码不在代码表中（可能填错了前六位）")
    status = VALID if any(p[3] for p in periods) else HISTORIC
    if prefix[:2] in _MUNICIPALITIES:
        city_code, city = prefix[:2] + "0100", province
    elif prefix[2:4] == "90":  # 省直辖县级行政单位 (仙桃市, 济源市…): the county stands for the city
        city_code, city = prefix, _name(prefix, year)
    elif prefix[2:] == "0000":
        city_code, city = "", ""
    else:
        city_code = prefix[:4] + "00"
        city = _name(city_code, year)
        city_code = city_code if city else ""
    return (province_code, province, city_code, city, status, "")


# ---------------------------------------------------------------- many IDs

def _clean(values: Iterable) -> list[str]:
    """Each value as upper-case half-width text ('' for empty); NFKC only where needed."""
    if isinstance(values, (pd.Series, pd.Index)):
        values = values.to_numpy(dtype=object)
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append("")
            continue
        t = str(v)
        if not t.isascii():
            t = unicodedata.normalize("NFKC", t)
        out.append(t.strip().upper())
    return out


def _digits(texts: list[str], rows: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``width`` ASCII characters as a uint8 matrix, and which rows are ASCII at all."""
    ascii_rows = np.array([texts[i].isascii() for i in rows], dtype=bool)
    rows = rows[ascii_rows]
    matrix = np.frombuffer("".join(texts[i] for i in rows).encode("ascii"), dtype=np.uint8).reshape(-1, width)
    return rows, matrix


_NON_DIGIT = "含非数字字符（若被 Excel 存成了数字，请把这一列设成文本后重新导出）"


def _digit_like(text: str) -> bool:
    """Only ASCII digits, with an optional final X."""
    body = text[:-1] if text.endswith("X") else text
    return text.isascii() and (body.isdigit() or body == "")


def _number(digits: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Columns ``start:stop`` of a digit matrix read as one decimal number per row."""
    out = np.zeros(len(digits), dtype=np.int64)
    for j in range(start, stop):
        out = out * 10 + digits[:, j]
    return out


def _checks(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per row: a reason ('' when the number passes) and ``int(address code) * 10000 + birth year``."""
    n = len(texts)
    reason = np.full(n, _NON_DIGIT, dtype=object)
    key = np.zeros(n, dtype=np.int64)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    reason[lengths == 0] = "未填"
    wrong = (lengths != 0) & (lengths != 18) & (lengths != 15)
    reason[wrong] = [f"位数不对：{k} 位，应为 18 位（或老的 15 位）" for k in lengths[wrong]]
    excel = wrong & np.array([not _digit_like(t) for t in texts], dtype=bool)
    reason[excel] = _NON_DIGIT
    for width in (18, 15):
        rows, m = _digits(texts, np.flatnonzero(lengths == width), width)
        body = m[:, :17] if width == 18 else m
        numeric = ((body >= 48) & (body <= 57)).all(axis=1)
        if width == 18:
            last = m[:, 17]
            numeric &= ((last >= 48) & (last <= 57)) | (last == ord("X"))
        rows, m = rows[numeric], m[numeric] - np.uint8(48)  # digits 0-9 ('X' becomes 40)
        address = _number(m, 0, 6)
        if width == 18:
            total = np.zeros(len(rows), dtype=np.int64)
            for j, w in enumerate(_WEIGHTS):
                total += m[:, j].astype(np.int64) * w
            expected = np.frombuffer(_CHECK.encode(), dtype=np.uint8)[total % 11]
            good = expected == (m[:, 17] + np.uint8(48))
            reason[rows[~good]] = "校验位不对（第 18 位与前 17 位不符），请核对号码"
            rows, address, year = rows[good], address[good], _number(m[good], 6, 10)
        else:
            year = 1900 + _number(m, 6, 8)
        reason[rows] = ""
        key[rows] = address * 10000 + np.maximum(year, _FIRST_ISSUE)
    return reason, key


def derive(values: Iterable) -> pd.DataFrame:
    """Hometown codes of many ID numbers: one row per value, in order, columns :data:`COLUMNS`.

    ``status`` is 有效 (a code in force), 历史代码 (a code since abolished: its province and
    city are those of its time) or 无法识别 (empty, wrong length, wrong check digit, unknown
    code); ``reason`` says why for 无法识别 and is '' otherwise. No column holds the ID number.
    Columns are categorical (few distinct values), so a million rows stay small.

    >>> derive(["512201199001010017"]).iloc[0].tolist()  # 万县市, 1990: now 重庆市万州区
    ['510000', '四川省', '512200', '万县地区', '历史代码', '']
    """
    reason, key = _checks(_clean(values))
    bad = reason != ""
    why, why_uniques = pd.factorize(reason[bad])
    key[bad] = -1 - why  # one key per distinct reason
    codes, uniques = pd.factorize(key)
    rows = [_place(f"{k // 10000:06d}", int(k % 10000)) if k >= 0 else ("", "", "", "", UNREAD, why_uniques[-1 - k])
            for k in uniques]
    return pd.DataFrame({name: _column([r[i] for r in rows], codes) for i, name in enumerate(COLUMNS)})


def _column(per_key: list, codes: np.ndarray) -> pd.Categorical:
    categories, inverse = np.unique(np.array(per_key, dtype=object).astype(str), return_inverse=True)
    return pd.Categorical.from_codes(inverse[codes] if len(codes) else codes, categories=categories)
