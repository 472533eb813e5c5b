"""周复盘: the Monday meeting's review of one week against the territory set in force.

Four questions, one table each:

- **团队达成** (:func:`team_table`): per team, the weekly targets of its areas (summed from the
  territory payload, whose targets are per week) against this week's visits, high-intention visits and
  deals, and the same cumulatively since the territory set took effect (approved, else created: weeks ×
  weekly targets); 达成率 and a status (达标 / 落后 / 无片区).  Visitors no team can claim are a last
  「未归属」 row: counted, never dropped.
- **新战场** (:func:`new_battlefields`): areas producing in the last :data:`RECENT_WEEKS` weeks (at least
  *k* visitors, or any deal) that no team's territory covers.
- **沉默片区** (:func:`silent_areas`): assigned areas without a visitor for ``silent_weeks`` weeks or more.
- **好不好** (:func:`competitors_near`): competitor sites within ``radius_km`` of producing areas' centres.
- **对不对** (:func:`assignment_share`, :func:`grade_mix`): how much of the week's traffic comes from
  assigned areas, and the grade mix of the producing areas.

Every count honours the minimum count *k*: a row whose visitors number 1 to *k* − 1 has its counts
(and the rates made from them) withheld — blank, with a note — like every other page.

All functions read the small table of :func:`week_counts` (visitors, high-intention visitors and deals
per area × team × week), made once from the attributed visitor frame
(:func:`mapping.ops.teams.attribute`), so changing the week costs milliseconds at a million visitors.
Visitors count in the week of their (first) visit, deals in the week of their deal date (the visit
week when a deal has no date).

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"area_id": ["a", "a", "b"], "area_name": ["金桥", "金桥", "张江"],
...     "team_id": pd.array([1, 1, None], dtype="Int64"), "high": [True, False, False], "deal": [False, False, True],
...     "visit_date": pd.to_datetime(["2024-03-04", "2024-03-05", "2024-03-06"]), "deal_date": pd.to_datetime([None, None, "2024-03-12"])})
>>> week_counts(frame)[["area_id", "team_id", "week", "visits", "high", "deals"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
[['a', 1, Timestamp('2024-03-04 00:00:00'), 2, 1, 0], ['b', -1, Timestamp('2024-03-04 00:00:00'), 1, 0, 0],
 ['b', -1, Timestamp('2024-03-11 00:00:00'), 0, 0, 1]]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mapping.geo.coords import haversine_m

RECENT_WEEKS = 2  # "producing" looks at the week reviewed and the one before
DEFAULT_RADIUS_KM = 3.0
DEFAULT_SILENT_WEEKS = 2
NO_TEAM = -1  # team key of unattributed visitors in week_counts
UNATTRIBUTED = "未归属"
UNGRADED = "未分级"
MEASURES = (("visits", "到访"), ("high", "高意向"), ("deals", "成交"))
TARGET_KEYS = {"visits": "target_visits", "high": "target_high", "deals": "target_deals"}
STATUS_MET, STATUS_BEHIND, STATUS_NO_AREAS, STATUS_NO_TARGET = "达标", "落后", "无片区", "未设目标"
COUNT_COLUMNS = ["area_id", "area_name", "team_id", "week", "visits", "high", "deals"]


# ----------------------------------------------------------------------------- weeks
def monday(day) -> dt.date:
    """The Monday of ``day``'s week.

    >>> monday(dt.date(2024, 3, 10))
    datetime.date(2024, 3, 4)
    """
    day = pd.Timestamp(day).date()
    return day - dt.timedelta(days=day.weekday())


def _ts(day) -> pd.Timestamp:
    return pd.Timestamp(monday(day))


def review_weeks(counts: pd.DataFrame) -> list[dt.date]:
    """The weeks one can review, newest first: every Monday from the first visit week to the last complete
    week (a week is complete when the data reach its Sunday; the data's last week counts only then).

    >>> c = pd.DataFrame({"week": pd.to_datetime(["2024-03-04", "2024-03-18"]), "visits": [1, 1], "last_day":
    ...     pd.to_datetime(["2024-03-06", "2024-03-20"])})
    >>> review_weeks(c)
    [datetime.date(2024, 3, 11), datetime.date(2024, 3, 4)]
    """
    visited = counts[counts["visits"] > 0] if len(counts) else counts
    if visited.empty:
        return []
    first = visited["week"].min().date()
    last_day = (visited["last_day"].max() if "last_day" in visited else visited["week"].max() + pd.Timedelta(days=6))
    last = monday(last_day.date() + dt.timedelta(days=1)) - dt.timedelta(days=7)  # a Sunday completes its week
    if last < first:
        return [first]  # not one complete week yet: the first (partial) week is all there is
    return [last - dt.timedelta(days=7 * i) for i in range((last - first).days // 7 + 1)]


# ----------------------------------------------------------------------------- counts per area × team × week
def week_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Visitors, high-intention visitors and deals per area × team × week of a visitor frame.

    ``frame``: :func:`mapping.ops.teams.visitor_frame` rows (``area_id``, ``area_name``, ``high``,
    ``deal``, ``visit_date``, ``deal_date``; ``week`` used when present), attributed
    (``team_id``; without it every visitor is unattributed).  Columns :data:`COUNT_COLUMNS` plus
    ``last_day`` (the group's last visit date); ``team_id`` is :data:`NO_TEAM` for unattributed visitors
    and ``area_id`` "" for visitors placed in no area.  Visitors without a visit date are not in any week
    (their number is in ``attrs["undated"]``).
    """
    visit = pd.to_datetime(frame["visit_date"]).dt.normalize()
    week = (pd.to_datetime(frame["week"]) if "week" in frame
            else visit - pd.to_timedelta(visit.dt.day_of_week, unit="D"))
    team = (frame["team_id"].astype("Int64").fillna(NO_TEAM).astype("int64") if "team_id" in frame
            else pd.Series(NO_TEAM, index=frame.index, dtype="int64"))
    area = frame["area_id"].fillna("").astype(str)
    dated = visit.notna().to_numpy()
    visits = pd.DataFrame({"area_id": area, "team_id": team, "week": week, "high": frame["high"].astype(bool),
                           "day": visit})[dated]
    by_visit = visits.groupby(["area_id", "team_id", "week"], sort=False).agg(
        visits=("high", "size"), high=("high", "sum"), last_day=("day", "max"))
    deal = frame["deal"].astype(bool).to_numpy()
    deal_day = pd.to_datetime(frame["deal_date"]).dt.normalize() if "deal_date" in frame else visit
    deal_day = deal_day.where(deal_day.notna(), visit)
    deal_week = deal_day - pd.to_timedelta(deal_day.dt.day_of_week, unit="D")
    deals = pd.DataFrame({"area_id": area, "team_id": team, "week": deal_week})[deal & deal_week.notna().to_numpy()]
    by_deal = deals.groupby(["area_id", "team_id", "week"], sort=False).size().rename("deals")
    out = by_visit.join(by_deal, how="outer").reset_index()
    out["visits"] = out["visits"].fillna(0).astype("int64")
    out["high"] = out["high"].fillna(0).astype("int64")
    out["deals"] = out["deals"].fillna(0).astype("int64")
    names = (frame.loc[area != "", ["area_id", "area_name"]].drop_duplicates("area_id")
             .set_index("area_id")["area_name"] if "area_name" in frame else pd.Series(dtype=object))
    out["area_name"] = out["area_id"].map(names).fillna(out["area_id"]).astype(object)
    out = out.sort_values(["area_id", "team_id", "week"], kind="stable").reset_index(drop=True)
    out = out[[*COUNT_COLUMNS, "last_day"]]
    out.attrs["undated"] = int((~dated).sum())
    return out


def _window(counts: pd.DataFrame, week: dt.date, weeks: int) -> pd.DataFrame:
    """Rows of the ``weeks`` weeks ending with ``week`` (inclusive)."""
    end = _ts(week)
    start = end - pd.Timedelta(days=7 * (weeks - 1))
    return counts[(counts["week"] >= start) & (counts["week"] <= end)]


def _withheld(visits: pd.Series, k: int) -> pd.Series:
    """Rows whose counts are withheld: 1 to k − 1 visitors."""
    return (visits > 0) & (visits < max(int(k), 1))


def _note_small(k: int) -> str:
    return f"少于 {max(int(k), 1)} 人，不显示人数"


# ----------------------------------------------------------------------------- the territory
@dataclass(frozen=True)
class Plan:
    """A territory set read once: its areas (area_id, area_name, grade, team_id Int64, the weekly targets),
    who holds what, the grades, and the Monday it took effect.  Every function here accepts one in place
    of the territory set dict (:func:`review` reads the set once for all of them)."""

    areas: pd.DataFrame
    held: dict  # area_id -> team id
    grades: dict  # area_id -> grade
    start: dt.date | None


def plan_of(territory: Mapping | Plan | None) -> Plan:
    """:class:`Plan` of a territory set dict (:meth:`~mapping.db.operations.Operations.territory_set`), of a bare
    payload, or None (no areas)."""
    if isinstance(territory, Plan):
        return territory
    payload = (territory or {}).get("payload", territory) or {}
    rows = pd.DataFrame(list(payload.get("areas") or []))
    out = pd.DataFrame({"area_id": rows["area_id"].astype(str) if "area_id" in rows else pd.Series(dtype=object)})
    out["area_name"] = rows["area_name"].fillna("").astype(str) if "area_name" in rows else ""
    out["grade"] = rows["grade"].fillna("").astype(str) if "grade" in rows else ""
    out["team_id"] = (pd.to_numeric(rows["team_id"], errors="coerce").astype("Int64") if "team_id" in rows
                      else pd.Series(pd.NA, index=out.index, dtype="Int64"))
    for key in TARGET_KEYS.values():
        out[key] = pd.to_numeric(rows[key], errors="coerce").fillna(0).astype(float) if key in rows else 0.0
    out = out.drop_duplicates("area_id").reset_index(drop=True)
    held = out[out["team_id"].notna()]
    return Plan(areas=out, held=dict(zip(held["area_id"], held["team_id"].astype(int))),
                grades=dict(zip(out["area_id"], out["grade"])), start=effective_from(territory))


def assigned_areas(territory: Mapping | Plan | None) -> dict[str, int]:
    """area_id → team id of the areas a team holds (the payload or the territory set dict).

    >>> assigned_areas({"payload": {"areas": [{"area_id": "a", "team_id": 2}, {"area_id": "b", "team_id": None}]}})
    {'a': 2}
    """
    return dict(plan_of(territory).held)


def effective_from(territory: Mapping | Plan | None) -> dt.date | None:
    """The Monday of the week the territory set took effect: the payload's ``effective_from`` (执行起始日,
    ISO date) when given, else approved_at when approved, else created_at.

    >>> effective_from({"payload": {"effective_from": "2024-03-06"}, "status": "approved",
    ...                 "approved_at": dt.datetime(2026, 12, 6)})
    datetime.date(2024, 3, 4)
    >>> effective_from({"payload": {}, "status": "draft", "created_at": dt.datetime(2026, 12, 6, 9)})
    datetime.date(2026, 11, 30)
    """
    if isinstance(territory, Plan):
        return territory.start
    if not territory:
        return None
    given = (territory.get("payload", territory) or {}).get("effective_from")
    if given:
        try:
            return monday(pd.Timestamp(dt.date.fromisoformat(str(given)[:10])))
        except ValueError:
            pass  # a hand-edited payload with a bad date: fall back to the approval
    when = territory.get("approved_at") if territory.get("status") == "approved" else None
    when = when if when is not None and not pd.isna(when) else territory.get("created_at")
    if when is None or pd.isna(when):
        return None
    return monday(pd.Timestamp(when))


# ----------------------------------------------------------------------------- 团队达成
def team_table(counts: pd.DataFrame, territory: Mapping | Plan | None, teams: pd.DataFrame, week: dt.date,
               min_count: int = 1) -> pd.DataFrame:
    """Per team: weekly targets vs this week's and the cumulative actuals, 达成率 and status.

    Parameters
    ----------
    counts : DataFrame
        :func:`week_counts`.
    territory : dict or None
        The territory set in force (:meth:`mapping.db.operations.Operations.territory_in_force`: its
        ``payload``, ``status``, ``approved_at``, ``created_at``).
    teams : DataFrame
        :meth:`~mapping.db.operations.Operations.teams` (``id``, ``name``, ``kind``, ``active``): active
        teams, and inactive ones that hold areas or brought visitors, in this order; then 「未归属」.
    week : date
        The week reviewed (any day of it).
    min_count : int
        *k*: this week's (and the cumulative) counts of a team with 1 to k − 1 visitors are withheld.

    Returns
    -------
    DataFrame
        团队, 类型, 片区数, for 到访/高意向/成交: 本周目标…, 本周…, …达成率, then 累计周数 and 累计目标…,
        累计…, 累计…达成率, 状态, 备注.  Status from this week: 达标 when every measure with a target
        reaches it, else 落后; 无片区 for a team holding no area; 未设目标 when its areas' targets are 0.
    """
    week = monday(week)
    plan = plan_of(territory)
    held = plan.areas[plan.areas["team_id"].notna()]
    keys = list(TARGET_KEYS.values())
    targets = held.groupby(held["team_id"].astype(int))[keys].sum().to_dict("index")
    n_areas = held.groupby(held["team_id"].astype(int)).size().to_dict()
    start = plan.start
    n_weeks = (week - start).days // 7 + 1 if start is not None and week >= start else 0
    measures = [key for key, _ in MEASURES]
    this = _window(counts, week, 1).groupby("team_id")[measures].sum().to_dict("index")
    since = (counts[(counts["week"] >= pd.Timestamp(start)) & (counts["week"] <= _ts(week))]
             .groupby("team_id")[measures].sum().to_dict("index") if n_weeks else {})
    k = max(int(min_count), 1)
    none = dict.fromkeys(measures, 0)
    rows = []
    for team in _team_rows(teams, set(n_areas) | set(this) | set(since)):
        tid = team["id"]
        row = {"团队": team["name"], "类型": team["kind"], "片区数": int(n_areas.get(tid, 0))}
        goal = targets.get(tid, dict.fromkeys(keys, 0.0))
        now, total = this.get(tid, none), since.get(tid, none)
        hide_now, hide_total = 0 < now["visits"] < k, 0 < total["visits"] < k
        for key, label in MEASURES:
            target = float(goal[TARGET_KEYS[key]]) if tid != NO_TEAM else np.nan
            row[f"本周目标{label}"] = target
            row[f"本周{label}"] = np.nan if hide_now else int(now[key])
            row[f"{label}达成率"] = np.nan if hide_now else _rate(now[key], target)
        row["累计周数"] = n_weeks
        for key, label in MEASURES:
            target = float(goal[TARGET_KEYS[key]]) * n_weeks if tid != NO_TEAM and n_weeks else np.nan
            row[f"累计目标{label}"] = target
            row[f"累计{label}"] = np.nan if hide_total or not n_weeks else int(total[key])
            row[f"累计{label}达成率"] = np.nan if hide_total or not n_weeks else _rate(total[key], target)
        row["状态"] = _status(tid, row["片区数"], goal, now)
        notes = []
        if hide_now:
            notes.append("本周" + _note_small(k))
        if hide_total and n_weeks:
            notes.append("累计" + _note_small(k))
        if tid == NO_TEAM:
            notes.append("未能归属到团队的到访：导入没有团队名称，或不是拓客渠道，或所在片区没有分给团队")
        elif not n_weeks and start is not None:
            notes.append(f"片区方案自 {start:%Y-%m-%d} 那一周起执行，此前不计累计")
        row["备注"] = "；".join(notes)
        rows.append(row)
    return pd.DataFrame(rows, columns=_team_columns())


def _team_columns() -> list[str]:
    cols = ["团队", "类型", "片区数"]
    for _, label in MEASURES:
        cols += [f"本周目标{label}", f"本周{label}", f"{label}达成率"]
    cols.append("累计周数")
    for _, label in MEASURES:
        cols += [f"累计目标{label}", f"累计{label}", f"累计{label}达成率"]
    return [*cols, "状态", "备注"]


def _team_rows(teams: pd.DataFrame, involved: set[int]) -> list[dict]:
    """Active teams and the inactive ones involved, in the order of ``teams``; then the unattributed."""
    out = []
    if teams is not None and len(teams):
        active = teams["active"].astype(bool) if "active" in teams else pd.Series(True, index=teams.index)
        kinds = teams["kind"] if "kind" in teams else pd.Series("", index=teams.index)
        for tid, name, kind, on in zip(teams["id"].astype(int), teams["name"].astype(str), kinds, active):
            if on or tid in involved:
                out.append({"id": int(tid), "name": name + ("" if on else "（已停用）"), "kind": str(kind or "")})
    known = {t["id"] for t in out}
    for tid in sorted(involved - known - {NO_TEAM}):  # a team deleted since: still counted
        out.append({"id": int(tid), "name": f"团队 {tid}（已删除）", "kind": ""})
    out.append({"id": NO_TEAM, "name": UNATTRIBUTED, "kind": ""})
    return out


def _rate(actual, target) -> float:
    return float(actual) / target if target and target > 0 else np.nan


def _status(team_id: int, n_areas: int, goal: Mapping, now: Mapping) -> str:
    if team_id == NO_TEAM:
        return "—"
    if n_areas == 0:
        return STATUS_NO_AREAS
    checked = [(now[key], goal[TARGET_KEYS[key]]) for key, _ in MEASURES if goal[TARGET_KEYS[key]] > 0]
    if not checked:
        return STATUS_NO_TARGET
    return STATUS_MET if all(actual >= target for actual, target in checked) else STATUS_BEHIND


def area_actuals(counts: pd.DataFrame, week: dt.date, min_count: int = 1) -> pd.DataFrame:
    """This week's visits, high-intention visits and deals per area and team (``area_id``, ``team_id``
    (Int64, <NA> unattributed), ``visits``, ``high``, ``deals``), for the team sheets; areas with 1 to
    k − 1 visitors this week are left out (their counts are withheld) and counted in ``attrs["withheld"]``."""
    rows = _window(counts, week, 1)
    rows = rows[rows["area_id"] != ""]
    per_area = rows.groupby("area_id")["visits"].transform("sum")
    small = _withheld(per_area, min_count)
    out = rows[~small].groupby(["area_id", "team_id"], as_index=False)[["visits", "high", "deals"]].sum()
    out["team_id"] = pd.array(out["team_id"].where(out["team_id"] != NO_TEAM), dtype="Int64")
    out.attrs["withheld"] = int(rows.loc[small, "area_id"].nunique())
    return out


# ----------------------------------------------------------------------------- areas producing
def producing(counts: pd.DataFrame, week: dt.date, min_count: int = 1, weeks: int = RECENT_WEEKS) -> pd.DataFrame:
    """Areas producing in the ``weeks`` weeks ending with ``week``: at least *k* visitors, or any deal.

    One row per area (``area_id``, ``area_name``, ``visits``, ``high``, ``deals``, ``withheld``: 1 to k − 1
    visitors, so its counts must not be shown), most visitors first."""
    rows = _window(counts, week, weeks)
    rows = rows[rows["area_id"] != ""]
    per = rows.groupby(["area_id", "area_name"], as_index=False)[["visits", "high", "deals"]].sum()
    per = per[(per["visits"] >= max(int(min_count), 1)) | (per["deals"] > 0)].copy()
    per["withheld"] = _withheld(per["visits"], min_count)
    return per.sort_values(["withheld", "visits", "area_name"], ascending=[True, False, True]).reset_index(drop=True)


def new_battlefields(counts: pd.DataFrame, territory: Mapping | Plan | None, week: dt.date, min_count: int = 1,
                     weeks: int = RECENT_WEEKS, *, produced: pd.DataFrame | None = None) -> pd.DataFrame:
    """新战场: producing areas (:func:`producing`) that no team holds in the territory set.

    Columns: 片区, 等级 (the plan's, 未分级 when the area is not in it), 近N周到访, 近N周高意向, 近N周成交,
    说明 (why it is listed; counts blank for areas under *k*).  ``produced``: :func:`producing` of the same
    week, when already at hand."""
    plan = plan_of(territory)
    per = producing(counts, week, min_count, weeks) if produced is None else produced
    per = per[~per["area_id"].isin(list(plan.held))]
    return _area_rows(per, weeks, min_count, grades=plan.grades)


def _area_rows(per: pd.DataFrame, weeks: int, k: int, grades: Mapping[str, str] | None = None) -> pd.DataFrame:
    label = f"近{weeks}周"
    out = pd.DataFrame({"片区": per["area_name"].astype(str).to_numpy()})
    if grades is not None:
        out["等级"] = [grades.get(a) or UNGRADED for a in per["area_id"]]
    hide = per["withheld"].to_numpy()
    for key, name in MEASURES:
        out[f"{label}{name}"] = np.where(hide, np.nan, per[key].to_numpy(dtype=float))
    reason = np.where(per["visits"].to_numpy() >= max(int(k), 1), f"{label}到访不少于 {max(int(k), 1)} 人", "有成交")
    out["说明"] = np.where(hide, reason + "；" + _note_small(k), reason)
    return out


def silent_areas(counts: pd.DataFrame, territory: Mapping | Plan | None, teams: pd.DataFrame | None, week: dt.date,
                 silent_weeks: int = DEFAULT_SILENT_WEEKS) -> pd.DataFrame:
    """沉默片区: areas a team holds with no visitor for ``silent_weeks`` weeks or more up to ``week``.

    The silent weeks are counted back from ``week`` to the area's last visit week (for an area never
    visited: to the first week of the data).  Columns: 片区, 团队, 等级, 连续无到访周数, 最后到访周
    (the Monday, or 「从未有到访」); the longest silence first."""
    if silent_weeks < 1:
        raise ValueError(f"沉默周数应为至少 1 的整数，收到 {silent_weeks}。")
    end = _ts(week)
    areas = plan_of(territory).areas
    held = areas[areas["team_id"].notna()]
    names = dict(zip(teams["id"].astype(int), teams["name"].astype(str))) if teams is not None and len(teams) else {}
    seen = counts[(counts["visits"] > 0) & (counts["week"] <= end)]
    first = seen["week"].min() if len(seen) else end
    last = seen[seen["area_id"].isin(held["area_id"])].groupby("area_id")["week"].max()
    rows = []
    for area in held.itertuples():
        when = last.get(area.area_id)
        quiet = (end - when).days // 7 if when is not None else (end - first).days // 7 + 1
        if quiet >= silent_weeks:
            rows.append({"片区": area.area_name or area.area_id, "团队": names.get(int(area.team_id), f"团队 {area.team_id}"),
                         "等级": area.grade or UNGRADED, "连续无到访周数": int(quiet),
                         "最后到访周": f"{when:%Y-%m-%d}" if when is not None else "从未有到访"})
    out = pd.DataFrame(rows, columns=["片区", "团队", "等级", "连续无到访周数", "最后到访周"])
    return out.sort_values(["连续无到访周数", "片区"], ascending=[False, True], kind="stable").reset_index(drop=True)


# ----------------------------------------------------------------------------- 好不好
def competitors_near(counts: pd.DataFrame, centroids: pd.DataFrame | None, competitors: Iterable[Mapping],
                     week: dt.date, min_count: int = 1, radius_km: float = DEFAULT_RADIUS_KM,
                     weeks: int = RECENT_WEEKS, territory: Mapping | Plan | None = None,
                     teams: pd.DataFrame | None = None, *, produced: pd.DataFrame | None = None) -> pd.DataFrame:
    """Competitor sites within ``radius_km`` of a producing area's centre (:func:`producing`).

    ``centroids``: ``area_id``, ``lng``, ``lat`` (WGS-84) of the layer's areas; ``competitors``: the
    project's ``{name, lng, lat}``.  Columns: 片区, 归属 (the team of ``teams`` holding it in ``territory``,
    or 未分配), 近N周到访
    (blank under *k*), 竞品, 距离（公里）; nearest first.  Competitors without coordinates are left out
    and named in ``attrs["skipped"]``; the names are user text (escape them in HTML)."""
    if radius_km <= 0:
        raise ValueError(f"距离应大于 0 公里，收到 {radius_km}。")
    sites, skipped = [], []
    for site in competitors or []:
        lng, lat = pd.to_numeric(pd.Series([site.get("lng"), site.get("lat")]), errors="coerce")
        if pd.isna(lng) or pd.isna(lat):
            skipped.append(str(site.get("name") or "（未命名）"))
        else:
            sites.append((str(site.get("name") or "（未命名）"), float(lng), float(lat)))
    columns = ["片区", "归属", f"近{weeks}周到访", "竞品", "距离（公里）"]
    per = producing(counts, week, min_count, weeks) if produced is None else produced
    if not sites or per.empty or centroids is None or centroids.empty:
        out = pd.DataFrame(columns=columns)
        out.attrs["skipped"] = skipped
        return out
    per = per.merge(centroids[["area_id", "lng", "lat"]], on="area_id", how="inner")
    held = plan_of(territory).held
    names = dict(zip(teams["id"].astype(int), teams["name"].astype(str))) if teams is not None and len(teams) else {}
    rows = []
    for name, lng, lat in sites:
        dist = haversine_m(per["lng"].to_numpy(), per["lat"].to_numpy(), lng, lat) / 1000
        for i in np.flatnonzero(dist <= radius_km):
            area = per.iloc[i]
            owner = held.get(area["area_id"])
            rows.append({"片区": area["area_name"],
                         "归属": "未分配" if owner is None else names.get(owner, f"团队 {owner}"),
                         f"近{weeks}周到访": np.nan if area["withheld"] else float(area["visits"]),
                         "竞品": name, "距离（公里）": round(float(dist[i]), 1)})
    out = pd.DataFrame(rows, columns=columns)
    out = out.sort_values(["距离（公里）", "片区", "竞品"], kind="stable").reset_index(drop=True)
    out.attrs["skipped"] = skipped
    return out


# ----------------------------------------------------------------------------- 对不对
def assignment_share(counts: pd.DataFrame, territory: Mapping | Plan | None, week: dt.date, min_count: int = 1,
                     weeks: int = 1) -> pd.DataFrame:
    """Where the week's visitors came from: areas a team holds, other areas, or no area at all.

    Columns: 来源, 到访, 占比 (of every visitor of the ``weeks`` weeks ending with ``week``); a row with 1
    to k − 1 visitors has both withheld."""
    rows = _window(counts, week, weeks)
    per_area = rows.groupby("area_id")["visits"].sum()  # few rows: one per area
    held = per_area.index.isin(list(plan_of(territory).held))
    nowhere = per_area.index == ""
    order = ["已分配片区", "未分配片区", "位置未落到片区"]
    visits = pd.Series([int(per_area[held & ~nowhere].sum()), int(per_area[~held & ~nowhere].sum()),
                        int(per_area[nowhere].sum())], index=order)
    total = visits.sum()
    hide = _withheld(visits, min_count)
    return pd.DataFrame({"来源": order, "到访": visits.where(~hide).astype(float).to_numpy(),
                         "占比": (visits / total if total else visits * np.nan).where(~hide).to_numpy(),
                         "说明": np.where(hide, _note_small(min_count), "")})


def grade_mix(counts: pd.DataFrame, territory: Mapping | Plan | None, week: dt.date, min_count: int = 1,
              weeks: int = RECENT_WEEKS, *, produced: pd.DataFrame | None = None) -> pd.DataFrame:
    """The grade mix of the producing areas (:func:`producing`): per grade of the plan (未分级 when an area
    is not in it), 产出片区数, 到访, 到访占比; a grade whose areas bring 1 to k − 1 visitors is withheld."""
    per = producing(counts, week, min_count, weeks) if produced is None else produced
    grades = plan_of(territory).grades
    per = per.assign(grade=[grades.get(a) or UNGRADED for a in per["area_id"]])
    mix = per.groupby("grade").agg(areas=("area_id", "size"), visits=("visits", "sum"))
    order = sorted(mix.index, key=lambda g: (g == UNGRADED, g))
    mix = mix.reindex(order)
    total = mix["visits"].sum()
    hide = _withheld(mix["visits"], min_count)
    return pd.DataFrame({"等级": order, "产出片区数": mix["areas"].astype(int).to_numpy(),
                         f"近{weeks}周到访": mix["visits"].where(~hide).astype(float).to_numpy(),
                         "到访占比": (mix["visits"] / total if total else mix["visits"] * np.nan).where(~hide).to_numpy()})


# ----------------------------------------------------------------------------- the whole review
@dataclass(frozen=True)
class Review:
    """The week's review: every table of the module docstring, ready to show and export."""

    week: dt.date
    teams: pd.DataFrame
    new_battlefields: pd.DataFrame
    silent: pd.DataFrame
    competitors: pd.DataFrame
    share: pd.DataFrame
    grade_mix: pd.DataFrame
    actuals: pd.DataFrame  # per area × team this week, for the team sheets


def review(counts: pd.DataFrame, territory: Mapping | None, teams: pd.DataFrame, week: dt.date, *,
           min_count: int = 1, silent_weeks: int = DEFAULT_SILENT_WEEKS, centroids: pd.DataFrame | None = None,
           competitors: Iterable[Mapping] = (), radius_km: float = DEFAULT_RADIUS_KM,
           weeks: int = RECENT_WEEKS) -> Review:
    """Every table of the week ``week`` (any day of it) from :func:`week_counts` (the territory set read
    once, the producing areas found once)."""
    week = monday(week)
    plan = plan_of(territory)
    made = producing(counts, week, min_count, weeks)
    return Review(week=week, teams=team_table(counts, plan, teams, week, min_count),
                  new_battlefields=new_battlefields(counts, plan, week, min_count, weeks, produced=made),
                  silent=silent_areas(counts, plan, teams, week, silent_weeks),
                  competitors=competitors_near(counts, centroids, competitors, week, min_count, radius_km, weeks,
                                               plan, teams, produced=made),
                  share=assignment_share(counts, plan, week, min_count),
                  grade_mix=grade_mix(counts, plan, week, min_count, weeks, produced=made),
                  actuals=area_actuals(counts, week, min_count))
