"""Normalise place strings as visitors type them, before any lookup.

Full-width → half-width (NFKC), traditional → simplified (OpenCC), no spaces,
no brackets, no filler words (住在, 附近, 一带…), and a table of common typos
that is applied only as a second try (see :func:`typo_variant`).

Examples
--------
>>> normalise("住在 徐家匯（港汇）附近")
'徐家汇港汇'
>>> normalise("浦东　新区")
'浦东新区'
>>> normalise("Pudong New Area")
'pudongnewarea'
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import lru_cache

import opencc

from mapping.paths import GAZETTEER

_T2S = opencc.OpenCC("t2s")
_PREFIXES = ("目前住在", "现住在", "现居住在", "现居住于", "现居于", "现住", "住在", "家住", "居住在", "居住于", "工作在",
             "上班在", "在", "位于", "常去", "一般在", "平时在")
_SUFFIXES = ("附近的", "附近", "周边", "周围", "一带", "那边", "这边", "旁边", "区域内", "左右", "那里", "这里")
_DROP = re.compile(r"[\s（）()\[\]【】{}<>《》「」『』\"'“”‘’、，,。.;；:：!！?？~～·•_\-—/\\|*#]+")


def normalise(text: object) -> str:
    """The canonical form of a place string ("" for empty input)."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    value = unicodedata.normalize("NFKC", str(text)).lower()
    value = _T2S.convert(value)
    value = _DROP.sub("", value)
    if not value.startswith(_PREFIXES) and not value.endswith(_SUFFIXES):
        return value  # no filler word starts or ends it: the loop below would change nothing
    changed = True
    while changed and value:
        changed = False
        for prefix in _PREFIXES:
            if value.startswith(prefix) and len(value) > len(prefix) + 1:
                value, changed = value[len(prefix):], True
        for suffix in _SUFFIXES:
            if value.endswith(suffix) and len(value) > len(suffix) + 1:
                value, changed = value[: -len(suffix)], True
    return value


@lru_cache(maxsize=1)
def _typos() -> tuple[tuple[str, str, str], ...]:
    with open(GAZETTEER / "typos.csv", encoding="utf-8") as f:
        rows = [(r["wrong"], r["right"], r["city"]) for r in csv.DictReader(f)]
    return tuple(sorted(rows, key=lambda r: -len(r[0])))


def typo_variant(text: str, city: str) -> str:
    """``text`` with the common typos of ``city`` (or of any city) corrected."""
    for wrong, right, typo_city in _typos():
        if wrong in text and typo_city in ("", city):
            text = text.replace(wrong, right)
    return text


_JUNK = re.compile(
    r"^(不详|不知道|不清楚|未知|无|没有|暂无|保密|不方便|不便透露|其他|其它|外地|外省|外省市|本地|市区|"
    r"郊区|附近|周边|随便|都可以|都行|未填|未填写|待定|空|null|none|na|n/a|unknown|test|测试|"
    r"\d+|[a-z]+|[\W_]+)$",
    re.IGNORECASE,
)


def is_junk(text: str) -> bool:
    """True for answers that name no place (不详, 无, 外地, digits, letters…)."""
    return bool(_JUNK.match(text))


_LATIN = re.compile(r"^[a-z0-9]+$")
_LATIN_NOISE = ("shanghaishi", "shanghai", "newarea", "newdistrict", "district", "xinqu", "area", "qu", "city")


def latin_key(text: str) -> str:
    """"pudongnewarea" → "pudong": a Latin-letter place name without its generic words ("" if not Latin)."""
    if not _LATIN.match(text):
        return ""
    key = text
    for noise in _LATIN_NOISE:
        if key.startswith(noise) and len(key) > len(noise) + 2:
            key = key[len(noise):]
        if key.endswith(noise) and len(key) > len(noise) + 2:
            key = key[: -len(noise)]
    return key
