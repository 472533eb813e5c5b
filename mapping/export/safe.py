"""Formula neutralisation for every spreadsheet and CSV export (CSV/formula injection).

Project names, area and layer names, channels, filter descriptions and the rows
of an uploaded file are user text.  A spreadsheet program opening an export would
run such text as a formula if it begins with ``=`` (also ``+``, ``-``, ``@``, and a
tab or carriage return, which some programs skip before looking for a formula),
e.g. ``=HYPERLINK("http://x","点我")``.

The rule (OWASP "CSV injection"), the same for .xlsx and .csv:

* a **text** value whose first character after any leading spaces is one of
  ``= + - @``, a tab or a carriage return gets a single quote ``'`` in front
  (the text is otherwise kept as it was, spaces included);
* text that is a plain decimal number (``-5``, ``+3.5``, ``-1e3``) is not a
  formula and is left alone, so negative amounts read back as numbers;
* numbers, dates, booleans and empty cells are never touched: a negative number
  stays a number.

In .xlsx the neutralised text is also written as a string cell (``data_type``
``'s'``), never a formula.

>>> neutralise('=HYPERLINK("http://x","点我")')
'\\'=HYPERLINK("http://x","点我")'
>>> neutralise("  +1+1"), neutralise("-2+3"), neutralise("@SUM(A1)")
("'  +1+1", "'-2+3", "'@SUM(A1)")
>>> neutralise("-5"), neutralise(-5), neutralise("浦东新区")
('-5', -5, '浦东新区')
>>> safe_csv(pd.DataFrame({"名称": ["=1+1", "张江"], "数": [-5, 2]})).decode("utf-8-sig").splitlines()
['名称,数', "'=1+1,-5", '张江,2']
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["PREFIX", "TRIGGERS", "is_risky", "neutralise", "safe_csv", "safe_frame"]

PREFIX = "'"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def is_risky(text: str) -> bool:
    """Whether a spreadsheet program could read ``text`` as a formula (see the module rule)."""
    head = text.lstrip(" ")
    if not head.startswith(TRIGGERS):
        return False
    return _NUMBER.fullmatch(head.strip(" ")) is None


def neutralise(value):
    """``value`` with a ``'`` in front if it is risky text; anything else unchanged."""
    if isinstance(value, str) and is_risky(value):
        return PREFIX + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with risky text (cells and column names) neutralised; numbers untouched."""
    out = frame.copy()
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if column.dtype == object or isinstance(column.dtype, (pd.StringDtype, pd.CategoricalDtype)):
            out.isetitem(i, column.astype(object).map(neutralise))
    out.columns = [neutralise(c) for c in out.columns]
    return out


def safe_csv(frame: pd.DataFrame) -> bytes:
    """``frame`` as CSV bytes (UTF-8 with BOM, so Excel reads the Chinese), formulas neutralised, no index.

    Rows end in CRLF (RFC 4180), which also makes the writer quote a field holding
    a lone carriage return instead of letting it split the row.
    """
    return safe_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
