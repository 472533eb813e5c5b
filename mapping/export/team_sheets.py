"""The 周复盘 as files for the Monday meeting: one Excel workbook, and a printable A4 per team.

:func:`weekly_workbook` writes the week's review as one workbook
(:func:`mapping.export.workbook.plan_workbook`, so every text cell is formula-safe,
:mod:`mapping.export.safe`): a first sheet 说明 (project, week, the territory set and the
plan it divides, when it was made), 团队达成, one sheet per team (its areas with grade,
tactic, frequency, staff days, the weekly targets and this week's actuals), 新战场,
沉默片区, 竞品, and optional funnel tables.

:func:`team_sheet_pdf` draws one team's A4 page: its territory on the map (its areas
coloured by grade, other teams' areas light grey, unassigned ones white, the project site
as a star; drawn by :func:`mapping.maps.printmap.draw_map`), the team's name, kind,
size and base, the plan version, and the list of its areas with targets and tactics.
:func:`all_team_sheets_pdf` puts every team's page in one PDF.

Targets in a territory payload are per week (see ``mapping.db.operations``).

>>> areas = [{"area_id": "a", "area_name": "金桥", "grade": "A", "score": 9.0, "team_id": 1, "tactic": "定点派单",
...           "per_week": 3, "staff_days": 6, "target_visits": 12, "target_high": 4, "target_deals": 1},
...          {"area_id": "b", "area_name": "张江", "grade": "B", "score": 5.0, "team_id": 2, "tactic": "企业拓客",
...           "per_week": 2, "staff_days": 4, "target_visits": 8, "target_high": 2, "target_deals": 0}]
>>> team_areas(areas, 1)["片区"].tolist()
['金桥', '合计']
>>> week_label(dt.date(2026, 11, 30))
'2026 年第 49 周（11-30 至 12-06）'
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mapping.analysis import grading as G
from mapping.export.workbook import plan_workbook, unique_titles
from mapping.maps import printmap

__all__ = ["COLUMN_LABELS", "FIXED_SHEETS", "all_team_sheets_pdf", "sheet_areas", "team_areas", "team_sheet_pdf",
           "territory_meta", "week_label", "weekly_workbook"]

TIME_FORMAT = "%Y-%m-%d %H:%M"
UNASSIGNED_SHEET = "未分配片区"
FIXED_SHEETS = ("团队达成", "新战场", "沉默片区", "竞品")
TOTAL = "合计"
# English column names of the ops tables → the headers people read
COLUMN_LABELS = {
    "team": "团队", "team_name": "团队", "kind": "类型", "size": "人数", "base_area": "驻地片区",
    "area_id": "片区编号", "area_name": "片区", "grade": "等级", "score": "得分", "tactic": "打法",
    "per_week": "每周次数", "staff_days": "每周人天", "target_visits": "周到访目标",
    "target_high": "周高意向目标", "target_deals": "周成交目标", "visits": "本周到访", "high": "本周高意向",
    "deals": "本周成交", "visit_rate": "到访达成率", "high_rate": "高意向达成率", "deal_rate": "成交达成率",
}
_TARGETS = ("target_visits", "target_high", "target_deals")
_ACTUALS = ("visits", "high", "deals")
_AREA_COLUMNS = ("area_id", "area_name", "grade", "score", "tactic", "per_week", "staff_days", *_TARGETS)


# ----------------------------------------------------------------------------- shared
def week_label(week: dt.date) -> str:
    """「2026 年第 49 周（11-30 至 12-06）」 of the week starting on ``week`` (a Monday; another day
    is taken back to its Monday)."""
    monday = pd.Timestamp(week).normalize() - pd.Timedelta(days=pd.Timestamp(week).weekday())
    year, number, _ = monday.isocalendar()
    return f"{year} 年第 {number} 周（{monday:%m-%d} 至 {monday + pd.Timedelta(days=6):%m-%d}）"


def territory_meta(territory: Mapping | None) -> dict[str, str]:
    """片区方案, 片区方案状态, 批准 of a territory set (:meth:`Operations.territory_set` dict), for 说明.

    >>> territory_meta({"name": "12月", "version": 2, "status": "approved", "approved_by": "admin",
    ...                 "approved_at": dt.datetime(2026, 12, 1, 9, 0)})["片区方案状态"]
    '已批准（admin 2026-12-01 09:00）'
    >>> territory_meta(None)["片区方案"]
    '尚无片区方案'
    """
    if not territory:
        return {"片区方案": "尚无片区方案", "片区方案状态": "—"}
    status = territory.get("status") or "draft"
    if status == "approved":
        when = territory.get("approved_at")
        stamp = f" {pd.Timestamp(when):{TIME_FORMAT}}" if when is not None and not pd.isna(when) else ""
        state = f"已批准（{territory.get('approved_by') or '—'}{stamp}）"
    else:
        state = "草稿（未经批准，供讨论）"
    version = territory.get("version")
    name = str(territory.get("name") or "")
    return {"片区方案": name + (f" · 第 {int(version)} 版" if version else ""), "片区方案状态": state}


def sheet_areas(areas) -> pd.DataFrame:
    """The ``areas`` of a territory payload (list of dicts or DataFrame) as a frame with every area column,
    ``team_id`` as nullable integers, numbers as numbers; a missing column is filled (0 or "")."""
    frame = pd.DataFrame(list(areas) if not isinstance(areas, pd.DataFrame) else areas).copy()
    for col in ("area_id", "area_name", "grade", "tactic"):
        frame[col] = frame[col].fillna("").astype(str) if col in frame else ""
    for col in ("per_week", "staff_days", *_TARGETS):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").fillna(0) if col in frame else 0
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce") if "score" in frame else np.nan
    frame["team_id"] = (pd.to_numeric(frame["team_id"], errors="coerce").astype("Int64") if "team_id" in frame
                        else pd.Series(pd.NA, index=frame.index, dtype="Int64"))
    return frame


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """Best grade first, then the highest score, then the name."""
    key = pd.to_numeric(frame["grade"].map(G.GRADE_ORDER), errors="coerce").fillna(0)
    return (frame.assign(_g=-key, _s=-frame["score"].fillna(-np.inf))
            .sort_values(["_g", "_s", "area_name"], kind="stable").drop(columns=["_g", "_s"]))


def _with_actuals(frame: pd.DataFrame, actuals: pd.DataFrame | None, team_id) -> pd.DataFrame:
    if actuals is None:
        return frame
    act = actuals
    if "team_id" in act.columns and team_id is not None:
        act = act[pd.to_numeric(act["team_id"], errors="coerce") == team_id]
    act = act.groupby(act["area_id"].astype(str))[[c for c in _ACTUALS if c in act.columns]].sum()
    out = frame.merge(act, left_on="area_id", right_index=True, how="left")
    for col in _ACTUALS:  # an area missing from the actuals had no visitor, or fewer than k: left blank
        out[col] = (pd.to_numeric(out[col], errors="coerce") if col in out else pd.Series(np.nan, index=out.index)
                    ).round().astype("Int64")
    return out


def team_areas(areas, team_id, actuals: pd.DataFrame | None = None) -> pd.DataFrame:
    """One team's areas as its sheet shows them: Chinese headers, best grade first, a 合计 row last.

    Parameters
    ----------
    areas : list of dict or pandas.DataFrame
        The ``areas`` of a territory payload (all teams).
    team_id : int or None
        The team; None gives the unassigned areas.
    actuals : pandas.DataFrame, optional
        This week's counts per area: ``area_id``, ``visits``, ``high``, ``deals`` and optionally
        ``team_id`` (then only the team's own rows count).  Adds 本周到访/本周高意向/本周成交 and
        their 达成率 (actual ÷ target; empty when the target is 0).  An area not in ``actuals`` is
        left blank: no visitor this week, or fewer than the minimum count *k* (withheld, as
        :func:`mapping.ops.weekly.area_actuals` does); the 合计 row sums the areas shown.
    """
    frame = sheet_areas(areas)
    mine = frame[frame["team_id"].isna()] if team_id is None else frame[frame["team_id"] == int(team_id)]
    table = _with_actuals(_ordered(mine)[list(_AREA_COLUMNS)], actuals, team_id)
    total = {c: table[c].sum() for c in table.columns if c in ("per_week", "staff_days", *_TARGETS, *_ACTUALS)}
    table = pd.concat([table, pd.DataFrame([{"area_name": TOTAL, **total}])], ignore_index=True)
    if actuals is not None:
        for actual, target, rate in zip(_ACTUALS, _TARGETS, ("visit_rate", "high_rate", "deal_rate")):
            table[rate] = (table[actual].astype(float) / table[target].where(table[target] > 0)).astype(float)
    return table.rename(columns=COLUMN_LABELS)


def _labelled(table: pd.DataFrame | None) -> pd.DataFrame:
    if table is None:
        return pd.DataFrame({"说明": ["本周没有此项"]})
    out = table.rename(columns=COLUMN_LABELS)
    return out if len(out) else pd.DataFrame({"说明": ["本周没有此项"]})


# ----------------------------------------------------------------------------- Excel
def weekly_workbook(project: str, week: dt.date, team_table: pd.DataFrame, new_battlefields: pd.DataFrame | None,
                    silent: pd.DataFrame | None, competitors: pd.DataFrame | None, territory: Mapping | None,
                    teams: pd.DataFrame, *, actuals: pd.DataFrame | None = None,
                    funnels: Mapping[str, pd.DataFrame] | None = None, meta: Mapping[str, str] | None = None,
                    now: dt.datetime | None = None) -> bytes:
    """The 周复盘 workbook as .xlsx bytes.

    Parameters
    ----------
    project : str
        Project name.
    week : datetime.date
        The Monday of the week reviewed.
    team_table : pandas.DataFrame
        Target vs actual per team (written as the sheet 团队达成; English column names of
        :data:`COLUMN_LABELS` are translated, others kept).
    new_battlefields, silent, competitors : pandas.DataFrame or None
        Areas producing outside any territory, assigned areas silent for weeks, competitor
        sites near producing areas: the sheets 新战场, 沉默片区, 竞品 (None or empty: a
        sheet saying there is none this week).
    territory : dict or None
        The territory set in force (:meth:`mapping.db.operations.Operations.territory_set`:
        name, version, status, approved_by, approved_at, payload).  Its payload's areas make
        one sheet per team and a sheet 未分配片区 when some areas have no team.
    teams : pandas.DataFrame
        :meth:`Operations.teams` (id, name, …): one sheet per row, in this order.
    actuals : pandas.DataFrame, optional
        This week's counts per area (see :func:`team_areas`).
    funnels : dict of str to DataFrame, optional
        Extra sheets (e.g. 费效·按渠道), written after the others.
    meta : dict, optional
        More 说明 rows (e.g. 分级方案, 维度), written after project, week and territory.
    now : datetime, optional
        The 生成时间 (default: now).

    Returns
    -------
    bytes
        The .xlsx file; every text cell is formula-safe.
    """
    if teams is None or "name" not in teams.columns or "id" not in teams.columns:
        raise ValueError("参数 teams 应为 Operations.teams 的表（含 id、name 列）")
    payload = (territory or {}).get("payload") or {}
    areas = payload.get("areas") or []
    names = [str(n) for n in teams["name"]]
    team_titles = unique_titles(names, taken=("说明", *FIXED_SHEETS, UNASSIGNED_SHEET))
    sheets: dict[str, pd.DataFrame] = {"团队达成": _labelled(team_table)}
    for title, team_id in zip(team_titles, teams["id"]):
        sheets[title] = team_areas(areas, int(team_id), actuals) if areas else _labelled(None)
    if areas and sheet_areas(areas)["team_id"].isna().any():
        sheets[UNASSIGNED_SHEET] = team_areas(areas, None, actuals)
    sheets.update({"新战场": _labelled(new_battlefields), "沉默片区": _labelled(silent), "竞品": _labelled(competitors)})
    for name, table in (funnels or {}).items():
        sheets[unique_titles([name], taken=sheets)[0]] = _labelled(table)
    info = {"项目": project, "周次": week_label(week), **territory_meta(territory),
            "团队": "、".join(names) or "尚无团队", **(meta or {}),
            "生成时间": (now or dt.datetime.now()).strftime(TIME_FORMAT)}
    notes = ["片区的到访、高意向、成交目标均为每周目标；合计行为该团队全部片区之和。",
             "达成率 = 本周实际 ÷ 每周目标；目标为 0 时留空。",
             "本周实际为空的片区：本周没有到访，或人数少于最少样本数（按隐私规则不显示）；合计只含显示的片区。",
             "团队工作表按等级（A 最高）和得分排序；等级颜色与地图一致。"]
    return plan_workbook(sheets, info, title=f"周复盘 · {week_label(week)}", notes=notes)


# ----------------------------------------------------------------------------- A4 per team
OTHER_FILL = "#dedede"
FREE_FILL = "#ffffff"
PAGE = printmap.A4_PORTRAIT
MARGIN = 0.45
MAP_BOX = (MARGIN, 5.55, PAGE[0] - 2 * MARGIN - 2.15 - 0.15, 4.7)  # left, bottom, width, height (inches)
LEGEND_BOX = (PAGE[0] - MARGIN - 2.15, 5.55, 2.15, 4.7)
TABLE_TOP, TABLE_BOTTOM = 5.05, 0.65
# (header, payload/actual column, width in inches, align)
_TABLE = (("片区", "area_name", 1.6, "left"), ("等级", "grade", 0.45, "center"), ("打法", "tactic", 1.3, "left"),
          ("次/周", "per_week", 0.5, "right"), ("人天/周", "staff_days", 0.6, "right"),
          ("到访目标", "target_visits", 0.68, "right"), ("高意向目标", "target_high", 0.8, "right"),
          ("成交目标", "target_deals", 0.68, "right"))
_ACTUAL_TABLE = (("本周到访", "visits", 0.68, "right"),)


def _map_areas(polygons: gpd.GeoDataFrame, frame: pd.DataFrame, team_id: int) -> gpd.GeoDataFrame:
    """The polygons around the team's areas (its own filled by grade, others grey, unassigned white); the
    others are cut at a frame of half the territory's extent (at least 0.03°) around it."""
    if "area_id" not in polygons.columns:
        raise ValueError("参数 polygons 缺少 area_id 列")
    shapes = polygons[["area_id", "geometry"]].copy()
    shapes["area_id"] = shapes["area_id"].astype(str)
    shapes = shapes.set_crs(4326) if shapes.crs is None else shapes.to_crs(4326)
    joined = shapes.merge(frame[["area_id", "area_name", "grade", "team_id"]], on="area_id", how="left")
    mine = (joined["team_id"] == team_id).fillna(False).to_numpy(bool)
    joined["fill"] = np.where(mine, joined["grade"].map(G.GRADE_COLOURS).fillna(G.GRADE_COLOURS["D"]),
                              np.where(joined["team_id"].notna(), OTHER_FILL, FREE_FILL))
    joined["label"] = np.where(mine, joined["area_name"].fillna(""), "")
    if mine.any():  # the team's areas and their surroundings, cut at a frame around them (not the whole city)
        x0, y0, x1, y1 = joined.loc[mine].total_bounds
        pad = max(0.5 * max(x1 - x0, y1 - y0), 0.03)
        frame_box = shapely.box(x0 - pad, y0 - pad, x1 + pad, y1 + pad)
        joined = joined[joined.intersects(frame_box)].copy()
        others = ~(joined["team_id"] == team_id).fillna(False).to_numpy(bool)
        joined.loc[others, "geometry"] = joined.geometry[others].intersection(frame_box)
    return joined


def _legend(frame: pd.DataFrame, team_id: int) -> list[tuple[str, str]]:
    mine = frame[frame["team_id"] == team_id]
    counts = mine["grade"].value_counts()
    rows = [(G.GRADE_COLOURS[g], f"本队 {g} 级片区 · {int(counts[g])} 个") for g in (*G.GRADES, *G.UNGRADED)
            if counts.get(g, 0)]
    rows += [(OTHER_FILL, "其他团队的片区"), (FREE_FILL, "未分配的片区")]
    return rows


def _team_line(team: Mapping, names: Mapping[str, str]) -> str:
    base = str(team.get("base_area") or "")
    where = names.get(base, base) if base else "未设驻地"
    size = team.get("size")
    size_text = f"{int(size)} 人" if size is not None and not pd.isna(size) else "人数未填"
    return " · ".join(x for x in (str(team.get("kind") or ""), size_text, f"驻地 {where}") if x)


def _fit(text: str, width_in: float, size: float) -> str:
    """``text`` cut with … so that it fits ``width_in`` at ``size`` points (a CJK character ≈ 1 em)."""
    limit = width_in * 72 / size * 2  # in half-em units, as printmap._text_width counts
    if printmap._text_width(text) <= limit:
        return text
    out = ""
    for ch in text:
        if printmap._text_width(out + ch) + 2 > limit:
            break
        out += ch
    return out + "…"


def _cell_text(value, column: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if column in ("per_week", "staff_days", *_TARGETS, *_ACTUALS) and isinstance(value, (int, float, np.number)):
        return f"{float(value):g}"
    return str(value)


def _draw_table(fig, rows: pd.DataFrame, columns: tuple, totals: dict, top: float, bottom: float) -> None:
    """The area list between ``top`` and ``bottom`` (inches); rows that do not fit are counted in a last line."""
    from matplotlib.lines import Line2D

    w_in, h_in = fig.get_size_inches()
    size, line_h = 7.5, 0.2
    capacity = int((top - bottom) / line_h) - 2  # header and 合计
    shown = rows if len(rows) <= capacity else rows.iloc[: max(capacity - 1, 0)]
    x = MARGIN
    lefts = []
    for _, _, width, _ in columns:
        lefts.append(x)
        x += width

    def put(y: float, values: list[str], weight: str = "normal", colour: str = "#1f1f1f") -> None:
        for (header, col, width, align), left, text in zip(columns, lefts, values):
            at = {"left": left + 0.04, "center": left + width / 2, "right": left + width - 0.06}[align]
            fig.text(at / w_in, y / h_in, _fit(text, width - 0.1, size), ha=align, va="center", fontsize=size,
                     fontweight=weight, color=colour, parse_math=False)

    y = top - line_h / 2
    put(y, [h for h, _, _, _ in columns], "bold")
    fig.add_artist(Line2D([MARGIN / w_in, x / w_in], [(y - line_h / 2) / h_in] * 2, color="#888888", linewidth=0.8))
    for row in shown.itertuples(index=False):
        y -= line_h
        put(y, [_cell_text(getattr(row, col), col) for _, col, _, _ in columns])
        fig.add_artist(Line2D([MARGIN / w_in, x / w_in], [(y - line_h / 2) / h_in] * 2, color="#e3e3e3",
                              linewidth=0.5))
    if len(shown) < len(rows):
        y -= line_h
        fig.text((MARGIN + 0.04) / w_in, y / h_in, f"……另有 {len(rows) - len(shown)} 个片区未列出（见周复盘 Excel 的本队工作表）",
                 ha="left", va="center", fontsize=size, color="#b30000", parse_math=False)
    if not len(rows):
        y -= line_h
        fig.text((MARGIN + 0.04) / w_in, y / h_in, "本队尚未分到片区", ha="left", va="center", fontsize=size,
                 color="#b30000", parse_math=False)
    y -= line_h
    put(y, [TOTAL, "", "", *[_cell_text(totals.get(col), col) for _, col, _, _ in columns[3:]]], "bold")


def _draw_team_page(fig, team: Mapping, frame: pd.DataFrame, polygons: gpd.GeoDataFrame, *, project: str,
                    plan: str, sites: list[dict] | None, actuals: pd.DataFrame | None) -> str:
    """Draw one team's page on ``fig``; returns its title."""
    from matplotlib.lines import Line2D

    team_id = int(team["id"])
    w_in, h_in = fig.get_size_inches()
    title = f"{team.get('name', '')} · 拓客作战单"
    names = dict(zip(frame["area_id"], frame["area_name"]))
    fig.text(MARGIN / w_in, 1 - 0.4 / h_in, title, ha="left", va="top", fontsize=16, fontweight="bold",
             color="#1f1f1f", parse_math=False)
    fig.text(MARGIN / w_in, 1 - 0.78 / h_in, " · ".join(x for x in (project, _team_line(team, names)) if x), ha="left", va="top",
             fontsize=9.5, color=printmap.MUTED, parse_math=False)
    fig.text(MARGIN / w_in, 1 - 1.0 / h_in, _fit(plan, PAGE[0] - 2 * MARGIN, 8.5), ha="left", va="top",
             fontsize=8.5, color=printmap.MUTED, parse_math=False)
    fig.add_artist(Line2D([MARGIN / w_in, 1 - MARGIN / w_in], [1 - 1.28 / h_in] * 2, color="#c8c8c8",
                          linewidth=0.8))

    mine = _with_actuals(_ordered(frame[frame["team_id"] == team_id]), actuals, team_id)
    shapes = _map_areas(polygons, frame, team_id)
    if len(shapes):
        printmap.draw_map(fig, shapes, _legend(frame, team_id), map_box=MAP_BOX, legend_box=LEGEND_BOX,
                          label_column="label", sites=sites)
    else:
        fig.text(0.5, (MAP_BOX[1] + MAP_BOX[3] / 2) / h_in, "没有可绘制的片区边界", ha="center", fontsize=11,
                 color="#b30000")
    weekly = "、".join(f"{lbl} {mine[c].sum():g}" for c, lbl in zip(_TARGETS, ("到访", "高意向", "成交")))
    fig.text(MARGIN / w_in, (TABLE_TOP + 0.22) / h_in,
             f"本队 {len(mine)} 个片区 · 每周目标：{weekly} · 每周 {mine['staff_days'].sum():g} 人天",
             ha="left", va="center", fontsize=9.5, fontweight="bold", color="#1f1f1f", parse_math=False)
    columns = _TABLE + (_ACTUAL_TABLE if actuals is not None else ())
    totals = {c: mine[c].sum() for _, c, _, _ in columns[3:] if c in mine}
    _draw_table(fig, mine, columns, totals, TABLE_TOP, TABLE_BOTTOM)
    fig.text(MARGIN / w_in, 0.3 / h_in, f"拓客图 · 生成于 {dt.date.today():%Y-%m-%d} · 目标均为每周目标",
             ha="left", va="bottom", fontsize=7.5, color="#7a7a7a")
    fig.text(1 - MARGIN / w_in, 0.3 / h_in, "坐标 WGS-84 · 区域边界仅供参考", ha="right", va="bottom", fontsize=7.5,
             color="#7a7a7a")
    return title


def _team_dict(team) -> dict:
    if isinstance(team, pd.Series):
        return team.to_dict()
    if isinstance(team, Mapping):
        return dict(team)
    raise TypeError(f"参数 team 应为一行团队（dict 或 pandas.Series），收到 {type(team).__name__}")


def team_sheet_pdf(team, areas, polygons: gpd.GeoDataFrame, *, project: str = "", plan: str = "",
                   sites: list[dict] | None = None, actuals: pd.DataFrame | None = None, fmt: str = "pdf",
                   dpi: int = 150) -> bytes:
    """One team's printable A4 (portrait) page, as PDF or PNG bytes.

    Parameters
    ----------
    team : dict or pandas.Series
        A row of :meth:`Operations.teams` (id, name, kind, size, base_area …).
    areas : list of dict or pandas.DataFrame
        The ``areas`` of the territory payload, all teams (the others are drawn grey).
        Each area's tactic, frequency, staff days and weekly targets are listed.
    polygons : geopandas.GeoDataFrame
        ``area_id`` and geometry of the payload's layer (WGS-84).
    project : str
        Project name, printed under the title.
    plan : str
        Which plan and territory version this is (e.g. 「片区方案 12月 · 第 2 版 · 已批准」).
    sites : list of dict, optional
        The project site and competitors, as for :func:`mapping.maps.printmap.render_map`.
    actuals : pandas.DataFrame, optional
        This week's counts per area (see :func:`team_areas`): adds a column 本周到访.
    fmt : {"pdf", "png"}
        One A4 PDF page, or a PNG of A4 proportions at ``dpi``.

    Raises
    ------
    PrintFontError
        No CJK font installed.
    ValueError
        Unknown ``fmt``.
    """
    fmt = str(fmt).lower()
    if fmt not in ("png", "pdf"):
        raise ValueError(f"不支持的格式 {fmt!r}；可选 png 或 pdf")
    row = _team_dict(team)
    frame = sheet_areas(areas)
    fig = printmap.new_page(PAGE, dpi)
    with printmap.matplotlib_rc():
        title = _draw_team_page(fig, row, frame, polygons, project=project, plan=plan, sites=sites, actuals=actuals)
        return printmap.save_page(fig, fmt, title, plan, dpi)


def all_team_sheets_pdf(teams: pd.DataFrame | Iterable, areas, polygons: gpd.GeoDataFrame, *, project: str = "",
                        plan: str = "", sites: list[dict] | None = None,
                        actuals: pd.DataFrame | None = None) -> bytes:
    """Every team's page (:func:`team_sheet_pdf`) in one PDF, one A4 page per team, in the order of ``teams``.

    Raises
    ------
    ValueError
        No team.
    """
    from matplotlib.backends.backend_pdf import PdfPages

    rows = [_team_dict(r) for _, r in teams.iterrows()] if isinstance(teams, pd.DataFrame) else \
        [_team_dict(r) for r in teams]
    if not rows:
        raise ValueError("没有团队：请先在「团队与片区」添加团队")
    frame = sheet_areas(areas)
    buf = io.BytesIO()
    with printmap.matplotlib_rc():
        with PdfPages(buf, metadata=printmap.pdf_metadata(f"{project} · 团队作战单", plan)) as pdf:
            for row in rows:
                fig = printmap.new_page(PAGE)
                _draw_team_page(fig, row, frame, polygons, project=project, plan=plan, sites=sites,
                                actuals=actuals)
                pdf.savefig(fig)
    return buf.getvalue()
