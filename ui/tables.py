"""Tables on a page: ``st.dataframe`` where an empty cell reads 「—」, not Streamlit's 「None」.

Streamlit draws every missing value as the word *None* (a pandas Styler's ``na_rep`` does
not reach its grid), which a sales office reads as an error.  :func:`dataframe` shows a
numeric column that has gaps (a count withheld under the minimum sample, a cost per deal
without deals) as right-aligned text: the numbers formatted as the column's
``column_config`` says (``"percent"``, ``"localized"``, a printf format such as
``"%.1f%%"``), the gaps as 「—」.  Text columns show their gaps as empty cells.  Columns
without gaps are left to Streamlit (they keep numeric sorting).
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

EMPTY = "—"


def cell_text(value, fmt: str | None = None) -> str:
    """One number as the page shows it: ``fmt`` a column_config number format, or None for plain.

    >>> cell_text(None), cell_text(float("nan")), cell_text(5016.0), cell_text(616.973), cell_text(0.0308, "percent")
    ('—', '—', '5016', '616.97', '3.08%')
    >>> cell_text(1234567.0, "localized"), cell_text(0.25, "%.1f%%"), cell_text(12.5, "%d 人")
    ('1,234,567', '0.2%', '12 人')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return EMPTY
    v = float(value)
    if fmt == "percent":
        return f"{v * 100:.2f}".rstrip("0").rstrip(".") + "%"
    if fmt in ("localized", "accounting"):
        return f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}"
    if fmt and "%" in fmt:
        try:
            return fmt % (int(v) if "%d" in fmt or "%i" in fmt else v)
        except (TypeError, ValueError):
            pass
    return f"{int(v)}" if v.is_integer() else f"{v:.2f}".rstrip("0").rstrip(".")


def shown(df: pd.DataFrame, column_config: dict | None = None) -> tuple[pd.DataFrame, dict]:
    """(the frame to show, its column_config) with the gaps of numeric columns as 「—」 (see module doc).

    >>> out, cfg = shown(pd.DataFrame({"团队": ["甲", None], "到访": [12, None], "全": [1, 2]}))
    >>> out.to_dict("list")
    {'团队': ['甲', ''], '到访': ['12', '—'], '全': [1, 2]}
    >>> cfg["到访"]["alignment"]
    'right'
    """
    config = dict(column_config or {})
    out = df.copy()
    for col in out.columns:
        values = out[col]
        if not values.isna().any():
            continue
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
            continue
        if pd.api.types.is_numeric_dtype(values):
            given = config.get(col) or {}
            given = given if isinstance(given, dict) else {"label": str(given)}
            fmt = (given.get("type_config") or {}).get("format")
            out[col] = [cell_text(v, fmt) for v in values]
            config[col] = st.column_config.TextColumn(given.get("label"), help=given.get("help"),
                                                      width=given.get("width"), alignment="right")
        else:
            out[col] = values.astype(object).where(values.notna(), "")
    return out, config


def dataframe(df: pd.DataFrame, *, column_config: dict | None = None, container=None, **kwargs):
    """``st.dataframe(df, …)`` (or ``container.dataframe``: a column, a tab) with :func:`shown`'s empty
    cells; takes every other argument of st.dataframe."""
    out, config = shown(df, column_config)
    return (container or st).dataframe(out, column_config=config or None, **kwargs)
