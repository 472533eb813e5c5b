"""What the 开盘前后对比 page shows around a :class:`mapping.analysis.launch.Comparison`.

Small tables with Chinese headers (the biggest changes, the area table ordered
by change, the new battlefields), the cell colours of the grade-move matrix,
and the choices of the over-time view (the period it opens on, the phase of a
period, the areas offered for a curve).  Tables in, tables out; nothing drawn.

>>> m = pd.DataFrame([[1, 2], [3, 0]], index=["A", "B"], columns=["A", "B"])
>>> matrix_styles(m, order=("A", "B")).values.tolist()
[['background-color: #eeeeee', 'background-color: #cfe2f3'], ['background-color: #fbd5cc', '']]
>>> phase(dt.date(2024, 4, 1), "M", dt.date(2024, 5, 1)), phase(dt.date(2024, 5, 1), "M", dt.date(2024, 5, 10))
('（蓄水期）', '（含开盘日）')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from mapping.analysis import launch as L

__all__ = ["DOWNGRADE_COLOUR", "SAME_COLOUR", "UPGRADE_COLOUR", "biggest_changes", "by_change", "curve_areas",
           "gain_and_loss", "launch_in_view", "matrix_styles", "new_table", "opening_period", "period_slice",
           "phase"]

SAME_COLOUR = "#eeeeee"  # grade kept (the diagonal)
UPGRADE_COLOUR = "#fbd5cc"  # below the diagonal
DOWNGRADE_COLOUR = "#cfe2f3"  # above the diagonal
CHANGE_FIRST = ["区域", "占比变化(百分点)", "新战场"]
CURVE_AREAS = 200  # at most this many areas offered for a curve


# ----------------------------------------------------------------------------- two counted sides
def matrix_styles(matrix: pd.DataFrame, order: Sequence[str] = L.MATRIX_ORDER) -> pd.DataFrame:
    """CSS per cell of a grade-move matrix: diagonal grey, upgrades (below it) red,
    downgrades (above it) blue; cells without any area stay plain.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Number of areas per (grade before, grade after), rows and columns in ``order``
        (as :func:`mapping.analysis.launch.transitions` returns it).
    order : sequence of str
        The grades, best first.

    Returns
    -------
    pandas.DataFrame
        Same shape and labels as ``matrix``, ``"background-color: #…"`` or ``""`` per cell.
    """
    styles = pd.DataFrame("", index=matrix.index, columns=matrix.columns)
    for r in range(len(order)):
        for c in range(len(order)):
            if matrix.iat[r, c] <= 0:
                continue
            colour = SAME_COLOUR if r == c else (UPGRADE_COLOUR if c < r else DOWNGRADE_COLOUR)
            styles.iat[r, c] = f"background-color: {colour}"
    return styles


def gain_and_loss(comp: L.Comparison) -> tuple[pd.Series | None, pd.Series | None]:
    """The rows (of ``comp.shown``) whose share grew most and fell most, each None when
    no shown area grew (or fell)."""
    shown = comp.shown
    if shown.empty:
        return None, None
    up, down = shown.loc[shown["change_pp"].idxmax()], shown.loc[shown["change_pp"].idxmin()]
    return (up if up["change_pp"] > 0 else None), (down if down["change_pp"] < 0 else None)


def biggest_changes(comp: L.Comparison, a_label: str, b_label: str, n: int = 10) -> pd.DataFrame:
    """The ``n`` shown areas whose share changed most (either way), with Chinese headers.

    Columns 区域, ``{a_label}占比``, ``{b_label}占比`` (percent, 0–100), 变化(百分点),
    等级 (e.g. "A → C").  Only areas with at least ``k`` people on both sides.
    """
    shown = comp.shown
    moved = shown.reindex(shown["change_pp"].abs().sort_values(ascending=False).index).head(n)
    return pd.DataFrame({
        "区域": moved["area_name"], f"{a_label}占比": moved["share_a"] * 100,
        f"{b_label}占比": moved["share_b"] * 100, "变化(百分点)": moved["change_pp"],
        "等级": moved["grade_a"].map(L.grade_text) + " → " + moved["grade_b"].map(L.grade_text)})


def by_change(table: pd.DataFrame) -> pd.DataFrame:
    """A :func:`mapping.analysis.launch.public_table`, biggest change first (withheld last),
    with 区域, 占比变化(百分点), 新战场 as the first columns."""
    order = table["占比变化(百分点)"].abs().sort_values(ascending=False, na_position="last").index
    return table.loc[order, CHANGE_FIRST + [c for c in table.columns if c not in CHANGE_FIRST]]


def new_table(new: pd.DataFrame, names: pd.DataFrame, k: int, b_label: str) -> pd.DataFrame:
    """新战场 with Chinese headers: 区域 and ``{b_label} 人数`` ("<k" when withheld) or,
    for saved plans, ``{b_label} 等级``.

    Parameters
    ----------
    new : pandas.DataFrame
        :func:`mapping.analysis.launch.new_battlefields`: ``area_id`` and ``count_b`` or ``grade_b``.
    names : pandas.DataFrame
        ``area_id``, ``area_name``; areas without a name show their id.
    k : int
        Minimum count: counts from 1 to ``k - 1`` are written "<k".
    b_label : str
        Name of the right side.

    Examples
    --------
    >>> new = pd.DataFrame({"area_id": ["x", "y"], "count_b": [12, 3]})
    >>> new_table(new, pd.DataFrame({"area_id": ["x"], "area_name": ["金桥"]}), 5, "开盘后成交").values.tolist()
    [['金桥', '12'], ['y', '<5']]
    """
    if new.empty:
        return pd.DataFrame(columns=["区域", f"{b_label} 人数"])
    out = new.merge(names, on="area_id", how="left")
    area = out["area_name"].fillna(out["area_id"]) if "area_name" in out else out["area_id"]
    if "count_b" in out:
        counts = [f"<{k}" if 0 < c < k else f"{int(c):,}" for c in out["count_b"]]
        return pd.DataFrame({"区域": area, f"{b_label} 人数": counts})
    return pd.DataFrame({"区域": area, f"{b_label} 等级": out["grade_b"]})


# ----------------------------------------------------------------------------- over time
def opening_period(periods: Sequence[dt.date], launch: dt.date | None, freq: str) -> dt.date:
    """The period the over-time view opens on: the one holding the launch date, else the last.

    >>> opening_period([dt.date(2024, 4, 1), dt.date(2024, 5, 1), dt.date(2024, 6, 1)], dt.date(2024, 5, 9), "M")
    datetime.date(2024, 5, 1)
    """
    if not periods:
        raise ValueError("'periods' is empty: a timeline with at least one period is needed")
    opening = [p for p in periods if launch and p <= launch <= L.period_end(p, freq)]
    return opening[0] if opening else periods[-1]


def phase(period: dt.date, freq: str, launch: dt.date | None) -> str:
    """（蓄水期）, （开盘后） or （含开盘日） of the period starting on ``period``; "" without a launch date."""
    if not launch:
        return ""
    if L.period_end(period, freq) < launch:
        return "（蓄水期）"
    return "（开盘后）" if period >= launch else "（含开盘日）"


def period_slice(tl: pd.DataFrame, period: dt.date, names: pd.DataFrame) -> pd.DataFrame:
    """The rows of one period of a :func:`mapping.analysis.launch.timeline` with ``area_name``
    (the area id where the name is unknown)."""
    now = tl[tl["period"] == period].merge(names, on="area_id", how="left")
    now["area_name"] = now["area_name"].fillna(now["area_id"])
    return now


def curve_areas(tl: pd.DataFrame, k: int, limit: int = CURVE_AREAS) -> list[str]:
    """Areas offered for a curve: at least ``k`` visits over the timeline, most visits first,
    at most ``limit``."""
    visits = tl.groupby("area_id")["visits"].sum()
    return list(visits[visits >= k].sort_values(ascending=False, kind="stable").index[:limit])


def launch_in_view(periods: Sequence[dt.date], launch: dt.date | None) -> bool:
    """Whether the launch date falls on the time axis (first period to a month after the last)."""
    return bool(launch) and bool(len(periods)) and periods[0] <= launch <= periods[-1] + dt.timedelta(days=31)
