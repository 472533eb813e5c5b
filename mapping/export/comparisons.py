"""The comparison workbooks (开盘前后对比, 计划对比, 到访成交对比) as Excel files.

Each is a :func:`mapping.export.workbook.plan_workbook`: a first sheet 说明 with
the settings the comparison was made with, then its tables with Chinese headers.
Counts under the minimum count are left blank in every sheet.

>>> a = L.with_shares(pd.DataFrame({"area_id": ["x", "y", "z"], "count": [40, 20, 9]}))
>>> b = L.with_shares(pd.DataFrame({"area_id": ["x", "y", "z"], "count": [10, 3, 12]}))
>>> about = launch_info(L.compare(a, b, k=5), L.launch_sides(dt.date(2024, 5, 1)), project="金桥湾",
...                     mode="开盘前到访 vs 开盘后成交", settings="全部业态 · 居住 · 区县",
...                     generated=dt.datetime(2026, 1, 2, 9, 30))
>>> about["最少样本数"], about["生成时间"], about["左图"]
('5', '2026-01-02 09:30', '蓄水期到访（2024-04-30 及以前）')
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from mapping.analysis import grading as G
from mapping.analysis import launch as L
from mapping.analysis.conversion_tables import public_reading
from mapping.analysis.plan_compare import PlanComparison
from mapping.export.workbook import plan_workbook

__all__ = ["conversion_info", "conversion_workbook", "launch_info", "launch_workbook", "plans_info",
           "plans_workbook"]

TIME_FORMAT = "%Y-%m-%d %H:%M"


def _stamp(generated: dt.datetime | None) -> str:
    return (generated or dt.datetime.now()).strftime(TIME_FORMAT)


def _two_sides(sides: tuple[L.Side, L.Side]) -> tuple[L.Side, L.Side]:
    if len(sides) != 2 or not all(isinstance(s, L.Side) for s in sides):
        raise TypeError(f"'sides' should be two mapping.analysis.launch.Side (left, right), got {sides!r}")
    return sides[0], sides[1]


# ----------------------------------------------------------------------------- 开盘前后对比
def launch_info(comp: L.Comparison, sides: tuple[L.Side, L.Side], *, project: str, mode: str, settings: str,
                generated: dt.datetime | None = None) -> dict[str, str]:
    """The 说明 rows of a launch comparison: 项目, 对比方式, 左图, 右图, 业态 · 维度 · 分级单元,
    分级方法, 分级区间（占比）, 最少样本数, 说明, 生成时间 (in that order).

    Parameters
    ----------
    comp : Comparison
        The comparison of the two sides (its bins and minimum count are written).
    sides : tuple of Side
        Left and right side.
    project : str
        Project name.
    mode : str
        What is compared, as the user chose it (e.g. 开盘前到访 vs 开盘后成交).
    settings : str
        Product line, dimension and area unit, e.g. "全部业态 · 居住 · 区县".
    generated : datetime.datetime, optional
        Time of the export; now when not given.
    """
    a_side, b_side = _two_sides(sides)
    ranges = L.share_ranges(comp.bins)
    return {"项目": project, "对比方式": mode,
            "左图": f"{a_side.label}（{a_side.dates()}）", "右图": f"{b_side.label}（{b_side.dates()}）",
            "业态 · 维度 · 分级单元": settings,
            "分级方法": G.SCHEME_LABELS.get(comp.bins.scheme, comp.bins.scheme),
            "分级区间（占比）": "；".join(f"{g} 级 {ranges[g]}" for g in comp.bins.grades),
            "最少样本数": str(comp.k), "说明": f"少于 {comp.k} 人的人数和占比留空；占比变化为右图减左图的百分点",
            "生成时间": _stamp(generated)}


def launch_workbook(comp: L.Comparison, sides: tuple[L.Side, L.Side], *, project: str, mode: str, settings: str,
                    timeline: pd.DataFrame | None = None, names: pd.DataFrame | None = None,
                    generated: dt.datetime | None = None) -> bytes:
    """The 开盘前后对比 workbook: 说明, 区域对比, 等级迁移, 迁移矩阵, 新战场 and, with a
    monthly ``timeline`` and area ``names``, 按月变化.

    Parameters
    ----------
    comp, sides, project, mode, settings, generated
        As for :func:`launch_info`.
    timeline : pandas.DataFrame, optional
        :func:`mapping.analysis.launch.timeline` by month.
    names : pandas.DataFrame, optional
        ``area_id``, ``area_name`` of the timeline's areas.

    Returns
    -------
    bytes
        The .xlsx file; counts, shares and changes of areas under ``comp.k`` are blank.
    """
    a_side, b_side = _two_sides(sides)
    sheets = L.workbook_sheets(comp, a_side.label, b_side.label, timeline, names)
    info = launch_info(comp, sides, project=project, mode=mode, settings=settings, generated=generated)
    return plan_workbook(sheets, info, title="开盘前后对比")


# ----------------------------------------------------------------------------- 计划对比
def plans_info(plans: PlanComparison, *, project: str, settings: str,
               generated: dt.datetime | None = None) -> dict[str, str]:
    """The 说明 rows of a comparison of two saved plans: 项目, 左图, 右图, 业态 · 分级单元, 生成时间."""
    return {"项目": project, "左图": plans.a_name, "右图": plans.b_name, "业态 · 分级单元": settings,
            "生成时间": _stamp(generated)}


def plans_workbook(plans: PlanComparison, *, project: str, settings: str,
                   generated: dt.datetime | None = None) -> bytes:
    """The 计划对比 workbook: 说明, 等级迁移 (every area graded in either plan) and 迁移矩阵.

    Parameters
    ----------
    plans : PlanComparison
        The two plans compared (:func:`mapping.analysis.plan_compare.compare_plans`).
    project : str
        Project name.
    settings : str
        Product line and area unit, e.g. "全部业态 · 区县 + 浦东板块".
    generated : datetime.datetime, optional
        Time of the export; now when not given.
    """
    sheets = {"等级迁移": L.public_moves(plans.moves, plans.a_name, plans.b_name),
              "迁移矩阵": L.public_matrix(plans.matrix, plans.a_name, plans.b_name)}
    return plan_workbook(sheets, plans_info(plans, project=project, settings=settings, generated=generated),
                         title="计划对比")


# ----------------------------------------------------------------------------- 到访成交对比
def conversion_info(table: pd.DataFrame, *, project: str, line: str, dimension: str, layer: str, min_count: int,
                    generated: dt.datetime | None = None) -> dict[str, str]:
    """The 说明 rows of a visits-against-deals reading: 项目, 业态, 维度, 区域单元,
    项目平均成交率, 最少样本数, 生成时间 (``line``, ``dimension``, ``layer`` as labels)."""
    if "average" not in table.attrs:
        raise ValueError("'table' has no attrs['average']: pass the table of "
                         "mapping.analysis.conversion.table (or conversion_tables.area_reading)")
    return {"项目": project, "业态": line, "维度": dimension, "区域单元": layer,
            "项目平均成交率": f"{table.attrs['average']:.2%}", "最少样本数": str(min_count),
            "生成时间": _stamp(generated)}


def conversion_workbook(table: pd.DataFrame, *, project: str, line: str, dimension: str, layer: str,
                        min_count: int, generated: dt.datetime | None = None) -> bytes:
    """The 到访成交对比 workbook: 说明 and one sheet ``{line}·{dimension}`` of the reading.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`mapping.analysis.conversion.table` (with its ``attrs``).
    project : str
        Project name.
    line, dimension, layer : str
        Labels of the product line (e.g. 全部业态), dimension (居住) and area unit.
    min_count : int
        The minimum count the table was made with.
    generated : datetime.datetime, optional
        Time of the export; now when not given.

    Returns
    -------
    bytes
        The .xlsx file; visits, deals and the top line of 样本不足 areas are blank.
    """
    info = conversion_info(table, project=project, line=line, dimension=dimension, layer=layer,
                           min_count=min_count, generated=generated)
    return plan_workbook({f"{line}·{dimension}": public_reading(table)}, info, title="到访成交对比")
