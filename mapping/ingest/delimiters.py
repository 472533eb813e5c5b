"""Which character separates the columns of a text export.

``csv.Sniffer`` guesses from how regularly a character repeats; Chinese systems also
export with the full-width comma 「，」 or semicolon 「；」 (an input method left on), and
now and then with the enumeration comma 「、」 — which just as often sits *inside* a value
(公寓、洋房).  So the header decides: a full-width separator, or 「、」, is used only when
it splits a header line into at least ``MIN_HEADER_HITS`` recognised columns and into more
than the sniffed separator does.

Examples
--------
>>> choose_delimiter("客户编号，姓名，手机，到访日期\\nC1，张三，13812345678，2024-03-05")
'，'
>>> choose_delimiter("客户编号,姓名,意向业态,到访日期\\nC1,张三,公寓、洋房,2024-03-05")
','
>>> choose_delimiter("客户编号、姓名、手机、到访日期\\nC1、张三、13812345678、2024-03-05")
'、'
"""

from __future__ import annotations

import csv
import io

from mapping.ingest.headers import auto_map

SNIFFED = ",;\t|，；"
CANDIDATES = (",", ";", "\t", "|", "，", "；", "、")
MIN_HEADER_HITS = 3
HEADER_LINES = 20


def _header_hits(lines: list[str], delimiter: str) -> int:
    """Most recognised columns any of the first lines splits into with ``delimiter``."""
    best = 0
    for line in lines[:HEADER_LINES]:
        if line.count(delimiter) < MIN_HEADER_HITS - 1:
            continue
        try:
            cells = next(csv.reader(io.StringIO(line), delimiter=delimiter), [])
        except csv.Error:
            continue
        best = max(best, len(auto_map([c.strip() for c in cells])))
    return best


def choose_delimiter(sample: str) -> str:
    """The column separator of ``sample`` (the first lines of the text, newlines normalised)."""
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=SNIFFED).delimiter
    except csv.Error:
        sniffed = ","
    lines = sample.split("\n")
    hits = {d: _header_hits(lines, d) for d in CANDIDATES}
    best = max(CANDIDATES, key=lambda d: hits[d])  # first wins a tie: ASCII before full-width
    if hits[best] >= MIN_HEADER_HITS and hits[best] > hits.get(sniffed, 0):
        return best
    return sniffed
