"""Read back a table a page showed through :func:`ui.tables.dataframe`: 「—」 → NaN, number text → numbers."""

from __future__ import annotations

import pandas as pd

from ui.tables import EMPTY


def read(df: pd.DataFrame) -> pd.DataFrame:
    """The shown frame with its gap columns numeric again (a column that is not all numbers stays text).

    >>> read(pd.DataFrame({"a": ["12", "—"], "b": ["3.08%", "—"], "c": ["甲", ""]})).to_dict("list")
    {'a': [12.0, nan], 'b': ['3.08%', '—'], 'c': ['甲', '']}
    """
    out = df.copy()
    for col in out.columns:
        values = out[col]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            text = values.astype(object)
            numbers = pd.to_numeric(text.where(text != EMPTY).astype(str).str.replace(",", ""), errors="coerce")
            if (text == EMPTY).any() and numbers.notna().sum() == (text != EMPTY).sum():
                out[col] = numbers
    return out
