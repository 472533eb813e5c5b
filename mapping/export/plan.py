"""The 拓客计划 of a grading run as files a team takes away: the Excel workbook and the printable map.

A :class:`mapping.analysis.battle.Run` grades every product line of a project.
:func:`battle_plan_workbook` grades each line under the page's filters, turns
each into a plan table (:func:`mapping.analysis.battle.plan_table`: KPI targets,
focus, key places; counts of areas under the minimum sample withheld) and writes
them with the settings on a first sheet 说明
(:func:`mapping.export.workbook.plan_workbook`).  :func:`printable_map` draws the
graded areas of one line for printing (:func:`mapping.maps.printmap.render_map`).

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> polygons = gpd.GeoDataFrame({"area_id": ["a", "b"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)])
>>> table = pd.DataFrame({"area_id": ["a", "b"], "area_name": ["甲", "乙"], "grade": ["A", "样本不足"]})
>>> areas = print_areas(polygons, table)
>>> areas[["area_name", "hatch"]].to_dict("records")
[{'area_name': '甲', 'hatch': False}, {'area_name': '乙', 'hatch': True}]
>>> areas["fill"].tolist() == [G.GRADE_COLOURS["A"], G.GRADE_COLOURS["样本不足"]]
True
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import geopandas as gpd
import pandas as pd

from mapping.analysis import battle as B
from mapping.analysis import grading as G
from mapping.analysis.facts import Facts, Filters
from mapping.export.workbook import plan_workbook
from mapping.geo import hexgrid
from mapping.maps import printmap
from mapping.project import Project
from mapping.segments.axis import segment_label

__all__ = ["axis_plan_workbook", "battle_plan_workbook", "graded_lines", "graded_values", "plan_meta", "print_areas",
           "printable_map", "saved_plan_meta"]


def graded_lines(facts: Facts, run: B.Run, names: pd.DataFrame, filters: Filters, lines: list[str],
                 layer: gpd.GeoDataFrame | None = None) -> dict[str, pd.DataFrame]:
    """:func:`mapping.analysis.battle.graded` for each of ``lines`` ("" = all lines) under ``filters``.

    ``filters.product_line`` is replaced by each line in turn; the result is keyed
    by line, in the order of ``lines`` (e.g. :meth:`mapping.project.Project.lines_with_all`).
    """
    return {line: B.graded(facts, run, names, _for_line(filters, line), layer) for line in lines}


def plan_meta(project_name: str, layer_label: str, run: B.Run, filters: Filters,
              now: dt.datetime | None = None, plan: dict | None = None) -> dict[str, str]:
    """The rows of the workbook's 说明 sheet: what the plan was made from, and when.

    ``plan``: the saved plan exported (a :meth:`mapping.db.store.Store.snapshot` dict), whose
    name, version, status, author and approval head the sheet; None for the page's current
    grading (then 方案状态 says it is not a saved plan).
    """
    s = run.settings
    head = {"方案状态": "未保存的当前分级（草稿，供讨论）"} if plan is None else saved_plan_meta(plan)
    return {"项目": project_name, **head, "分级单元": layer_label, "维度": G.DIMENSION_LABELS[s.dimension],
            "分级方法": G.SCHEME_LABELS[s.scheme], "得分权重": s.weights.describe(s.dimension),
            "最少样本数": str(s.min_count), "筛选": filters.describe(), "分级区间拟合于": run.fitted_at,
            "生成时间": (now or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")}


def saved_plan_meta(plan: dict) -> dict[str, str]:
    """方案, 版本, 方案状态, 起草, 批准 of a saved plan (the 说明 rows that say which version this is).

    >>> saved_plan_meta({"name": "第12周", "version": 2, "status": "approved", "created_by": "李四",
    ...                  "created_at": dt.datetime(2026, 12, 5, 9, 0), "approved_by": "张三",
    ...                  "approved_at": dt.datetime(2026, 12, 6, 10, 20)})["批准"]
    '张三 2026-12-06 10:20'
    """
    status = plan.get("status") or "draft"
    approved = status == "approved"
    when = plan.get("approved_at")
    created = plan.get("created_at")
    return {"方案": str(plan.get("name", "")), "版本": f"第 {int(plan.get('version') or 1)} 版",
            "方案状态": B.STATUS_LABELS.get(status, status) + ("（已锁定，修改会另存为新版本）" if approved
                                                            else "（未经批准，供讨论）"),
            "起草": " ".join(x for x in (str(plan.get("created_by") or "—"),
                                        f"{created:%Y-%m-%d %H:%M}" if created else "") if x),
            "批准": (f"{plan.get('approved_by') or '—'} {when:%Y-%m-%d %H:%M}" if approved and when else "—"),
            "人数": "分级区间和 KPI 目标取自方案；各区域人数按导出时的数据计算"}


def battle_plan_workbook(facts: Facts, run: B.Run, names: pd.DataFrame, filters: Filters, targets: pd.DataFrame,
                         *, project: Project, layer_label: str, layer: gpd.GeoDataFrame | None = None,
                         now: dt.datetime | None = None, plan: dict | None = None) -> bytes:
    """The 拓客计划 workbook of a run: 说明, then one sheet per product line (全部业态 first).

    Parameters
    ----------
    facts : Facts
        The project's cached counts.
    run : Run
        The grading run (bins per product line, settings).
    names : pandas.DataFrame
        ``area_id`` → ``area_name`` of the run's area unit.
    filters : Filters
        Dates, channels and intentions in force; the product line is set per sheet.
    targets : pandas.DataFrame
        KPI targets per grade (column 等级 first), as :data:`mapping.analysis.grading.DEFAULT_TARGETS`.
    project : Project
        Gives the name and the product lines.
    layer_label : str
        The area unit as the user knows it (e.g. 区县 + 板块).
    layer : geopandas.GeoDataFrame, optional
        The unit's polygons; None for H3 cells.
    now : datetime, optional
        The 生成时间 written on 说明 (default: now).
    plan : dict, optional
        The saved plan being exported (:meth:`mapping.db.store.Store.snapshot`): its name,
        version, status and approver are written on 说明.  ``run`` and ``targets`` are then
        the plan's (:func:`mapping.analysis.battle.run_from_payload`).

    Returns
    -------
    bytes
        The .xlsx file.  Areas under the run's minimum sample are listed as 样本不足
        without any count.
    """
    tables = graded_lines(facts, run, names, filters, project.lines_with_all(), layer)
    sheets = {B.line_label(line): B.plan_table(table, facts, run, _for_line(filters, line), targets)
              for line, table in tables.items()}
    return plan_workbook(sheets, plan_meta(project.name, layer_label, run, filters, now, plan))


def graded_values(facts: Facts, run: B.Run, names: pd.DataFrame, filters: Filters, values: list[str],
                  layer: gpd.GeoDataFrame | None = None) -> dict[str, pd.DataFrame]:
    """:func:`mapping.analysis.battle.graded` for each value of an axis run's segment (``run.axis``),
    under ``filters`` (the product line in force), keyed by value: the series of maps on one scale."""
    return {value: B.graded(facts, run, names, B.axis_filters(filters, run, value), layer) for value in values}


def axis_plan_workbook(facts: Facts, run: B.Run, names: pd.DataFrame, filters: Filters, targets: pd.DataFrame,
                       values: list[str], *, project: Project, layer_label: str,
                       layer: gpd.GeoDataFrame | None = None, now: dt.datetime | None = None) -> bytes:
    """The 拓客计划 workbook of a segment axis run: 说明, then one sheet per value of the segment.

    Like :func:`battle_plan_workbook`, for the series of one product line split by ``run.axis``
    (:func:`mapping.analysis.battle.fit_axis_runs`): each sheet starts with a column named after the
    segment (e.g. 面积段) holding its value; 说明 names the segment and the product line.  Cells
    under the run's minimum sample are listed as 样本不足 without any count.

    Parameters
    ----------
    values : list of str
        The segment's values, one sheet each, in this order (:meth:`mapping.segments.axis.Segments.codes`).
    filters : Filters
        The filters in force without the axis value (the product line included).

    Other parameters are those of :func:`battle_plan_workbook`.
    """
    if not run.axis:
        raise ValueError("'run' 不是按客群细分分图的分级（run.axis 为空）：请用 battle_plan_workbook")
    label = segment_label(run.axis)
    base = filters.with_segment(run.axis)
    sheets = {}
    for value, table in graded_values(facts, run, names, base, values, layer).items():
        plan = B.plan_table(table, facts, run, B.axis_filters(base, run, value), targets)
        plan.insert(0, label, value)
        sheets[value] = plan
    meta = plan_meta(project.name, layer_label, run, base, now)
    meta = {"项目": meta.pop("项目"), "业态": B.line_label(base.product_line or ""),
            "每张地图按": f"{label}（{len(values)} 张，同一套分级区间）", **meta}
    return plan_workbook(sheets, meta, notes=_axis_notes(label, run.settings.min_count))


def _axis_notes(label: str, k: int) -> list[str]:
    return [f"每个{label}一页：各页用同一套分级区间（在所有 区域 × {label} 上一起拟合），等级可以互相比较。",
            f"某个区域在某个{label}下少于 {k} 人时显示为“样本不足”，不列人数（保护个人信息，也避免小样本误判）。",
            "等级颜色与地图一致：A 深红、B 红、C 橙、D 浅橙、样本不足 灰色。"]


def print_areas(polygons: gpd.GeoDataFrame, table: pd.DataFrame) -> gpd.GeoDataFrame:
    """The graded areas ready for :func:`mapping.maps.printmap.render_map`.

    ``polygons`` (area_id, geometry) joined with the grades of ``table``
    (area_id, area_name, grade), with the grade's ``fill`` colour and ``hatch``
    for 样本不足 areas.  Areas missing from either side are left out.
    """
    out = polygons[["area_id", "geometry"]].merge(table[["area_id", "area_name", "grade"]], on="area_id")
    out["fill"] = out["grade"].map(G.GRADE_COLOURS)
    out["hatch"] = out["grade"] == G.INSUFFICIENT
    return out


def printable_map(polygons: gpd.GeoDataFrame, table: pd.DataFrame, run: B.Run, line: str, *, title: str,
                  subtitle: str = "", sites: list[dict] | None = None, fmt: str = "png") -> bytes:
    """The graded map of one product line (``table`` from :func:`mapping.analysis.battle.graded`)
    as an A4 PNG or PDF, with the line's legend; areas are named except on H3 hexagons."""
    legend = [(row["colour"], row["label"]) for row in G.legend(table, run.bins_for(line))]
    labels = None if hexgrid.parse_layer_id(run.layer_id) is not None else "area_name"
    return printmap.render_map(print_areas(polygons, table), title, legend, subtitle=subtitle, label_column=labels,
                               sites=sites, fmt=fmt)


def _for_line(filters: Filters, line: str) -> Filters:
    return replace(filters, product_line=line or None)
