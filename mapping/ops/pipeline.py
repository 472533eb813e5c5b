"""蓄客目标（够不够）: the pool of high-intention customers per product line against its target.

A sales office sets, per product line, the units to sell (可售套数) and a 蓄客比 (high-intention
customers needed per unit, typically 2–3): the target is ``ceil(units × ratio)`` high-intention
(A/B) visitors by the opening date (the ops settings' ``opening_date``, else the project's launch
date).  :func:`pipeline` counts the pool week by week from the first visit week, takes the
**pace** as the mean of the last :data:`PACE_WEEKS` full weeks, projects it to the opening and
says in words whether it is enough (够/不够) and by how much.  :func:`gap_closers` ranks the
teams, areas and channels that add the most high-intention visitors per week at today's
conversion (and, where costs are known, at the lowest cost per high-intention visitor).

Everything reads the visitor frame of :func:`mapping.ops.teams.visitor_frame` (one row per
visitor: ``visitor_id, area_id, area_name, channel, line, high, visit_date, week`` …, and after
:func:`mapping.ops.teams.attribute` ``team_id, team``).  "Today" is the data's last visit date
(``as_of``), so a project whose data stop in the past is judged where its data stop.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"visitor_id": [1, 2, 3], "line": ["洋房"] * 3, "high": [True, True, False],
...     "visit_date": pd.to_datetime(["2024-03-04", "2024-03-12", "2024-03-13"])})
>>> p = pipeline(frame, "洋房", units=10, ratio=2.0, opening=dt.date(2024, 4, 1), as_of=dt.date(2024, 3, 17))
>>> p.target, p.current, p.pace, p.weeks_left
(20, 2, 1.0, 2.0)
>>> p.text
'洋房：还差 18 组高意向，按目前每周 1 组的速度开盘时仍差 16 组，需要每周 9 组才够'
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

PACE_WEEKS = 4  # the pace is the mean of the last 4 full weeks
DEFAULT_RATIO = 2.5  # 蓄客比 offered when none is set (typical 2–3)
KINDS = ("团队", "片区", "渠道")  # what gap_closers ranks
UNATTRIBUTED = "未归属"  # mapping.ops.teams' name for visitors of no team (not a lever: left out of the closers)


def line_label(line: str) -> str:
    """「全部业态」 for the whole project (``""``), else the line itself."""
    return line or "全部业态"


# ----------------------------------------------------------------------------- settings
def opening_date(settings: Mapping, launch_date: dt.date | None) -> dt.date | None:
    """The opening date: the ops settings' ``opening_date`` (YYYY-MM-DD), else the project's launch date.

    >>> opening_date({"opening_date": "2024-05-01"}, None), opening_date({}, dt.date(2024, 6, 1))
    (datetime.date(2024, 5, 1), datetime.date(2024, 6, 1))
    """
    raw = settings.get("opening_date")
    if raw:
        try:
            return dt.date.fromisoformat(str(raw)[:10])
        except ValueError as exc:
            raise ValueError(f"蓄客设置的开盘日期「{raw}」不是 YYYY-MM-DD 格式的日期，请在「蓄客目标」页重新填写。") from exc
    return launch_date


def target_of(units: float, ratio: float) -> int:
    """High-intention customers needed: ``ceil(units × ratio)`` (a half customer is a whole one).

    >>> target_of(101, 2.5), target_of(0, 3)
    (253, 0)
    """
    if units < 0 or ratio < 0:
        raise ValueError(f"可售套数（{units}）和蓄客比（{ratio}）都不能是负数。")
    return int(math.ceil(round(float(units) * float(ratio), 9)))


def targets(settings: Mapping, lines: Iterable[str]) -> pd.DataFrame:
    """Units, 蓄客比 and target per line from the ops settings' ``xuke`` (lines without settings: 0 units).

    >>> targets({"xuke": {"洋房": {"units": 100, "ratio": 2.5}}}, ["洋房", "公寓"]).values.tolist()
    [['洋房', 100, 2.5, 250], ['公寓', 0, 2.5, 0]]
    """
    xuke = settings.get("xuke") or {}
    rows = []
    for line in lines:
        entry = xuke.get(line) or {}
        units = int(entry.get("units") or 0)
        ratio = float(entry.get("ratio") if entry.get("ratio") is not None else DEFAULT_RATIO)
        rows.append({"line": line, "units": units, "ratio": ratio, "target": target_of(units, ratio)})
    return pd.DataFrame(rows, columns=["line", "units", "ratio", "target"])


def with_xuke(settings: Mapping, line: str, units: int, ratio: float) -> dict:
    """A copy of the ops settings with one line's 可售套数 and 蓄客比 set (checked).

    >>> with_xuke({"xuke": {}}, "洋房", 120, 2.5)["xuke"]
    {'洋房': {'units': 120, 'ratio': 2.5}}
    """
    target_of(units, ratio)  # raises on negatives
    out = dict(settings)
    out["xuke"] = {**(settings.get("xuke") or {}), line: {"units": int(units), "ratio": float(ratio)}}
    return out


# ----------------------------------------------------------------------------- weeks
def monday(day) -> dt.date:
    """The Monday of ``day``'s week.

    >>> monday(dt.date(2024, 3, 17)), monday(dt.date(2024, 3, 18))
    (datetime.date(2024, 3, 11), datetime.date(2024, 3, 18))
    """
    day = pd.Timestamp(day).date()
    return day - dt.timedelta(days=day.weekday())


def last_full_week(as_of: dt.date) -> dt.date:
    """The Monday of the last week that ended on or before ``as_of`` (a Sunday ends its own week).

    >>> last_full_week(dt.date(2024, 3, 17)), last_full_week(dt.date(2024, 3, 16))
    (datetime.date(2024, 3, 11), datetime.date(2024, 3, 4))
    """
    return monday(as_of + dt.timedelta(days=1)) - dt.timedelta(days=7)


def data_end(frame: pd.DataFrame) -> dt.date | None:
    """The last visit date in the frame (None when it has none)."""
    dates = frame["visit_date"].dropna() if "visit_date" in frame else pd.Series([], dtype="datetime64[ns]")
    return dates.max().date() if len(dates) else None


def _line_rows(frame: pd.DataFrame, lines: Iterable[str] | str | None) -> pd.DataFrame:
    """Rows of the given product lines (``""``, None or empty: every line)."""
    if isinstance(lines, str):
        lines = [lines]
    wanted = [x for x in (lines or []) if x]
    return frame[frame["line"].isin(wanted)] if wanted else frame


def _visit_days(frame: pd.DataFrame) -> pd.Series:
    """Visit dates as datetime64 (compare with ``< day + 1`` for "on or before day": a time of day may be set)."""
    return pd.to_datetime(frame["visit_date"])


# ----------------------------------------------------------------------------- the pool of one line
@dataclass(frozen=True)
class Pipeline:
    """The 蓄客 state of one product line (``""`` = the whole project)."""

    line: str
    units: int
    ratio: float
    target: int
    opening: dt.date | None
    as_of: dt.date | None  # the data's last visit date ("today")
    current: int  # high-intention visitors so far (before the opening)
    pace: float | None  # per week: mean of the last full weeks (None: not one full week yet)
    pace_weeks: int  # how many full weeks the pace is the mean of
    weeks_left: float  # whole days after as_of and before the opening, in weeks
    projected: float  # current + pace × weeks_left
    weekly: pd.DataFrame  # week, new_high, accumulated, projected, target

    @property
    def remaining(self) -> int:
        """Still missing today: target − current (0 when reached)."""
        return max(self.target - self.current, 0)

    @property
    def gap(self) -> float:
        """Target − projected at the opening (negative: a surplus)."""
        return self.target - self.projected

    @property
    def needed_per_week(self) -> float | None:
        """High-intention visitors per week needed from now to reach the target (None: no weeks left)."""
        if self.weeks_left <= 0:
            return None
        return self.remaining / self.weeks_left

    @property
    def enough(self) -> bool:
        """够: the projection reaches the target."""
        return self.projected >= self.target

    @property
    def status(self) -> str:
        return "够" if self.enough else "不够"

    @property
    def text(self) -> str:
        """The status in words, e.g. 「洋房：还差 120 组高意向，按目前每周 35 组的速度开盘前可补足」."""
        name = line_label(self.line)
        if self.target <= 0:
            return f"{name}：还没有设置蓄客目标（可售套数 × 蓄客比）。"
        if self.opening is None:
            return f"{name}：已有 {self.current:,} 组高意向，目标 {self.target:,} 组；请先设置开盘日期才能判断够不够。"
        if self.as_of is None:
            return f"{name}：还没有到访数据，目标 {self.target:,} 组高意向。"
        if self.weeks_left <= 0:
            verdict = "已达标" if self.current >= self.target else f"差 {self.target - self.current:,} 组"
            return f"{name}：已到开盘日，开盘前累计 {self.current:,} 组高意向，目标 {self.target:,} 组，{verdict}。"
        if self.current >= self.target:
            return f"{name}：已有 {self.current:,} 组高意向，达到目标 {self.target:,} 组。"
        head = f"{name}：还差 {self.remaining:,} 组高意向，"
        if self.pace is None:
            return head + f"数据还不到一整周，暂时算不出速度；距开盘 {self.weeks_left:.1f} 周，需要每周 {_up(self.needed_per_week)} 组"
        speed = f"按目前每周 {_fmt(self.pace)} 组的速度"
        if self.enough:
            return head + speed + "开盘前可补足"
        return head + speed + f"开盘时仍差 {_up(self.gap)} 组，需要每周 {_up(self.needed_per_week)} 组才够"


def _fmt(value: float) -> str:
    """35 → "35", 3.25 → "3.2"."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _up(value: float | None) -> str:
    """Customers are whole: round a shortfall up."""
    return f"{math.ceil(round(value, 9)):,}" if value is not None else "—"


def pipeline(frame: pd.DataFrame, line: str, *, units: int, ratio: float, opening: dt.date | None,
             as_of: dt.date | None = None, pace_weeks: int = PACE_WEEKS) -> Pipeline:
    """The 蓄客 state of ``line`` (``""``: every line): target, the weekly pool, pace, projection.

    Parameters
    ----------
    frame : DataFrame
        The visitor frame (columns ``line``, ``high``, ``visit_date``); one row per visitor.
    line : str
        The product line (visitors' intended line), ``""`` for the whole project.
    units, ratio : int, float
        可售套数 and 蓄客比: the target is :func:`target_of` ``(units, ratio)``.
    opening : date or None
        The opening date (:func:`opening_date`); visitors on or after it are not counted.
    as_of : date, optional
        "Today": the data's last visit date when not given.
    pace_weeks : int
        The pace is the mean of this many last full weeks (fewer when the data are younger).

    Returns
    -------
    Pipeline
        With ``weekly``: one row per week from the first visit week to the opening week
        (``new_high``, ``accumulated`` up to ``as_of``'s week; ``projected`` from the last full
        week on; ``target`` on every row).
    """
    as_of = as_of or data_end(frame)
    rows = _line_rows(frame, line)
    days = _visit_days(rows)
    keep = rows["high"].astype(bool).to_numpy() & days.notna().to_numpy()
    if opening is not None:
        keep &= (days < pd.Timestamp(opening)).to_numpy()
    if as_of is not None:
        keep &= (days < pd.Timestamp(as_of) + pd.Timedelta(days=1)).to_numpy()
    kept = days[keep]
    mondays = (pd.to_datetime(rows["week"])[keep] if "week" in rows  # the frame's own Monday column
               else kept.dt.normalize() - pd.to_timedelta(kept.dt.day_of_week, unit="D"))
    per_week = mondays.value_counts().sort_index()
    per_week.index = [w.date() for w in per_week.index]  # few: one per week
    current = int(keep.sum())
    pace, used = _pace(per_week, as_of, pace_weeks)
    weeks_left = _weeks_left(as_of, opening)
    projected = current + (pace or 0.0) * weeks_left
    target = target_of(units, ratio)
    weekly = _weekly(per_week, as_of, opening, pace, target)
    return Pipeline(line=line, units=int(units), ratio=float(ratio), target=target, opening=opening, as_of=as_of,
                    current=current, pace=pace, pace_weeks=used, weeks_left=weeks_left, projected=projected,
                    weekly=weekly)


def _pace(per_week: pd.Series, as_of: dt.date | None, n: int) -> tuple[float | None, int]:
    """(mean of the last ``n`` full weeks since the first visit week, how many weeks that was)."""
    if as_of is None or per_week.empty:
        return None, 0
    last = last_full_week(as_of)
    first = min(per_week.index)
    if last < first:
        return None, 0
    start = max(first, last - dt.timedelta(days=7 * (n - 1)))
    count = (last - start).days // 7 + 1
    total = int(per_week[(per_week.index >= start) & (per_week.index <= last)].sum())
    return total / count, count


def _weeks_left(as_of: dt.date | None, opening: dt.date | None) -> float:
    """Whole days after ``as_of`` and before ``opening``, in weeks (0 when none)."""
    if as_of is None or opening is None:
        return 0.0
    return max((opening - as_of).days - 1, 0) / 7


def _weekly(per_week: pd.Series, as_of, opening, pace, target) -> pd.DataFrame:
    """One row per week: new and accumulated high-intention visitors (actual), the projection, the target."""
    columns = ["week", "new_high", "accumulated", "projected", "target"]
    if per_week.empty and as_of is None:
        return pd.DataFrame(columns=columns)
    first = min(per_week.index) if len(per_week) else monday(as_of)
    now = monday(as_of) if as_of else first
    end = monday(opening - dt.timedelta(days=1)) if opening else now
    end = max(end, now)
    weeks = [first + dt.timedelta(days=7 * i) for i in range((end - first).days // 7 + 1)]
    new = per_week.reindex(weeks, fill_value=0).astype(int)
    actual = new.cumsum()
    out = pd.DataFrame({"week": pd.to_datetime(weeks), "new_high": new.to_numpy(),
                        "accumulated": actual.to_numpy().astype(float), "projected": np.nan,
                        "target": float(target)})
    future = np.array([w > now for w in weeks])
    out.loc[future, ["new_high", "accumulated"]] = np.nan
    if pace is not None and as_of is not None:
        current = float(actual[now]) if now in actual.index else 0.0
        # the projection starts at today's pool and reaches each later week's end (the opening for the last)
        ends = [min(w + dt.timedelta(days=6), opening - dt.timedelta(days=1)) if opening else w + dt.timedelta(days=6)
                for w in weeks]
        ahead = np.array([max((e - as_of).days, 0) / 7 for e in ends])
        out.loc[~future & (out["week"].dt.date == now).to_numpy(), "projected"] = current
        out.loc[future, "projected"] = current + pace * ahead[future]
    return out


def pipelines(frame: pd.DataFrame, settings: Mapping, lines: Iterable[str], launch_date: dt.date | None,
              as_of: dt.date | None = None) -> list[Pipeline]:
    """:func:`pipeline` for each line with the ops settings' targets and opening date."""
    opening = opening_date(settings, launch_date)
    table = targets(settings, lines)
    return [pipeline(frame, row.line, units=row.units, ratio=row.ratio, opening=opening, as_of=as_of)
            for row in table.itertuples()]


def summary(states: Iterable[Pipeline]) -> pd.DataFrame:
    """One row per line for the page and the export (Chinese headers)."""
    rows = [{"业态": line_label(p.line), "可售套数": p.units, "蓄客比": p.ratio, "目标高意向": p.target,
             "已有高意向": p.current, "每周速度": None if p.pace is None else round(p.pace, 1),
             "距开盘周数": round(p.weeks_left, 1), "开盘时预计": round(p.projected),
             "缺口": max(math.ceil(round(p.gap, 9)), 0),
             "每周需要": None if p.needed_per_week is None else math.ceil(round(p.needed_per_week, 9)),
             "够不够": p.status if p.target > 0 else "未设目标", "说明": p.text} for p in states]
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- who closes the gap
CLOSER_COLUMNS = ["排名", "类型", "名称", "近几周到访", "高意向率", "每周可增加高意向", "每高意向成本", "补足缺口需要的周数"]


def gap_closers(frame: pd.DataFrame, costs_per_high: Mapping[tuple[str, str], float] | pd.DataFrame | None = None,
                lines: Iterable[str] | str | None = None, weeks: int = PACE_WEEKS, *, gap: float | None = None,
                as_of: dt.date | None = None, min_count: int = 1) -> pd.DataFrame:
    """Which teams, areas and channels add the most high-intention visitors per week, ranked.

    Over the last ``weeks`` full weeks (as in :func:`pipeline`), each team (``team`` column, when
    the frame is attributed; 未归属 left out: it is no lever), area (``area_name`` of rows with an
    ``area_id``) and channel gets: its visits, its high-intention share (today's conversion), the
    high-intention visitors it adds per week (high ÷ weeks), the cost per high-intention visitor
    where ``costs_per_high`` knows it (``{(类型, 名称): 元}`` or a frame with 类型, 名称, 每高意向成本)
    and the weeks of its output that would close ``gap``.  Rows adding none are left out; areas with
    fewer than ``min_count`` visitors are withheld (their number is in ``attrs["withheld"]``).
    Ranked by high-intention per week (most first), then cost (cheapest first), then 团队/片区/渠道, then name.

    Examples
    --------
    >>> f = pd.DataFrame({"line": ["洋房"] * 4, "high": [True, True, True, False], "channel": ["拓客", "拓客", "中介", "中介"],
    ...     "area_id": ["a", "a", "b", ""], "area_name": ["金桥", "金桥", "张江", ""],
    ...     "visit_date": pd.to_datetime(["2024-03-04", "2024-03-05", "2024-03-06", "2024-03-07"])})
    >>> t = gap_closers(f, {("渠道", "中介"): 800.0}, "洋房", weeks=1, gap=3, as_of=dt.date(2024, 3, 10))
    >>> t[["类型", "名称", "每周可增加高意向", "每高意向成本", "补足缺口需要的周数"]].values.tolist()
    [['片区', '金桥', 2.0, nan, 2], ['渠道', '拓客', 2.0, nan, 2], ['渠道', '中介', 1.0, 800.0, 3], ['片区', '张江', 1.0, nan, 3]]
    """
    if weeks < 1:
        raise ValueError(f"weeks 应是至少 1 的整数，收到 {weeks}。")
    rows = _line_rows(frame, lines)
    as_of = as_of or data_end(frame)
    if as_of is None or rows.empty:
        return _empty_closers()
    start, end = closer_window(as_of, weeks)
    last = end - dt.timedelta(days=6)
    days = _visit_days(rows)
    window = rows[((days >= pd.Timestamp(start)) & (days < pd.Timestamp(last + dt.timedelta(days=7)))).to_numpy()]
    parts, withheld = [], 0
    for kind, column, keep in _closer_groups(window):
        if column is None:
            continue
        grouped = window[keep].groupby(column, sort=True)["high"].agg(["size", "sum"])
        grouped = grouped.rename(columns={"size": "visits", "sum": "high"})
        if kind == "片区":
            small = grouped["visits"] < max(int(min_count), 1)
            withheld += int(small.sum())
            grouped = grouped[~small]
        grouped = grouped[grouped["high"] > 0]
        parts.append(pd.DataFrame({"类型": kind, "名称": grouped.index.astype(str), "近几周到访": grouped["visits"].to_numpy(),
                                   "high": grouped["high"].to_numpy()}))
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["类型", "名称", "近几周到访", "high"])
    if table.empty:
        out = _empty_closers()
        out.attrs["withheld"] = withheld
        return out
    table["高意向率"] = table["high"] / table["近几周到访"]
    table["每周可增加高意向"] = table["high"] / weeks
    costs = _cost_lookup(costs_per_high)
    table["每高意向成本"] = [costs.get((k, n), np.nan) for k, n in zip(table["类型"], table["名称"])]
    table["每高意向成本"] = table["每高意向成本"].astype(float)
    if gap is not None and gap > 0:
        table["补足缺口需要的周数"] = np.ceil(np.round(gap / table["每周可增加高意向"], 9)).astype("Int64")
    else:
        table["补足缺口需要的周数"] = pd.Series(0 if gap is not None else pd.NA, index=table.index, dtype="Int64")
    table = table.assign(_kind=table["类型"].map(KINDS.index), _cost=table["每高意向成本"].fillna(np.inf))
    table = table.sort_values(["每周可增加高意向", "_cost", "_kind", "名称"], ascending=[False, True, True, True],
                              kind="stable")
    table["排名"] = np.arange(1, len(table) + 1)
    out = table[CLOSER_COLUMNS].reset_index(drop=True)
    out.attrs["withheld"] = withheld
    out.attrs["weeks"] = weeks
    out.attrs["start"], out.attrs["end"] = start.isoformat(), end.isoformat()
    return out


def closer_window(as_of: dt.date, weeks: int = PACE_WEEKS) -> tuple[dt.date, dt.date]:
    """(first day, last day) of the ``weeks`` full weeks :func:`gap_closers` looks at.

    >>> closer_window(dt.date(2024, 3, 20), 2)
    (datetime.date(2024, 3, 4), datetime.date(2024, 3, 17))
    """
    last = last_full_week(as_of)
    return last - dt.timedelta(days=7 * (weeks - 1)), last + dt.timedelta(days=6)


def costs_per_high(costs: pd.DataFrame | None, frame: pd.DataFrame, period: tuple[dt.date, dt.date],
                   min_count: int = 0) -> dict[tuple[str, str], float]:
    """``{(类型, 名称): 元}`` per high-intention visitor in ``period`` for teams, areas and channels, from the
    cost entries (:func:`mapping.ops.costs.funnel`: a cost counts by the share of its days inside the
    period).  Costs are not split by product line, so this is the cost per high-intention visitor of any
    line.  Only groups with a cost and high-intention visitors (and not withheld under *k*) are in it."""
    from mapping.ops import costs as C

    if costs is None or costs.empty or frame.empty:
        return {}
    out: dict[tuple[str, str], float] = {}
    axes = [("channel", "渠道"), ("area", "片区")] + ([("team", "团队")] if "team_id" in frame else [])
    for axis, kind in axes:
        table = C.funnel(costs, frame, by=axis, period=period, min_count=min_count)
        table = table[(table["key"] != "") & table["每高意向成本"].notna()]
        out.update({(kind, str(name)): float(cost) for name, cost in zip(table["名称"], table["每高意向成本"])})
    return out


def _closer_groups(window: pd.DataFrame):
    """(kind, column, row mask) of each ranked dimension present in the frame."""
    everyone = np.ones(len(window), dtype=bool)
    if "team" in window:
        yield "团队", "team", (window["team"].astype(str) != UNATTRIBUTED).to_numpy() & window["team"].notna().to_numpy()
    else:
        yield "团队", None, everyone
    if "area_id" in window:
        yield "片区", "area_name", (window["area_id"].astype(str) != "").to_numpy()
    if "channel" in window:
        yield "渠道", "channel", (window["channel"].astype(str) != "").to_numpy()


def _cost_lookup(costs) -> dict[tuple[str, str], float]:
    if costs is None:
        return {}
    if isinstance(costs, pd.DataFrame):
        need = {"类型", "名称", "每高意向成本"}
        if not need <= set(costs.columns):
            raise ValueError(f"costs_per_high 应有列 {sorted(need)}，收到 {list(costs.columns)}。")
        return {(str(k), str(n)): float(c) for k, n, c in zip(costs["类型"], costs["名称"], costs["每高意向成本"])
                if pd.notna(c)}
    return {(str(k), str(n)): float(c) for (k, n), c in dict(costs).items() if c is not None and pd.notna(c)}


def _empty_closers() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object if c in ("类型", "名称") else float) for c in CLOSER_COLUMNS})
