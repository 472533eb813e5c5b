"""Tactics per area: which outreach method, how often, how many staff days, and the weekly targets.

远交近攻: deep, fixed work near the project (定点深耕: 社区巡展 / 布展, 企业拓客), a light touch far away
(快闪 where customers are dense, 线上定投 where they are thin).  The method follows the area's
dimension (home → 社区巡展, work → 企业拓客/午间快闪, leisure → 商圈快闪); high-grade areas whose
customers are scattered get 圈层活动 (reach the circle, not the street); D areas only 线上定投.  The
frequency and staff days grow with the grade.  :func:`suggest` returns one row per area with the reason
in one Chinese sentence; the page lets the user edit it.

*Dense* means at least the median density (visitors per km²) of the graded areas in the table, so the
rule adapts to any city and area unit; *near* is within :data:`NEAR_KM` of the project, *far* beyond
:data:`FAR_KM`; an unknown distance counts as neither.

>>> areas = pd.DataFrame({"area_id": ["a", "b"], "grade": ["A", "D"], "dimension": ["home", "work"],
...     "visits": [120, 8], "density": [30.0, 2.0], "distance_km": [4.0, 30.0]})
>>> suggest(areas)[["area_id", "tactic", "per_week", "staff_days"]].values.tolist()
[['a', '社区巡展', 5, 15.0], ['b', '线上定投', 1, 0.0]]
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mapping import schema as S
from mapping.analysis import grading as G

FLYERS, COMMUNITY, ENTERPRISE, POPUP, CIRCLE, ONLINE = "定点派单", "社区巡展", "企业拓客/午间快闪", "商圈快闪", "圈层活动", "线上定投"
TACTICS = (FLYERS, COMMUNITY, ENTERPRISE, POPUP, CIRCLE, ONLINE)
NEAR_KM = 10.0
FAR_KM = 25.0
BASE_PER_WEEK = {"A": 4, "B": 3, "C": 2, "D": 1}  # outings per week before distance adjusts them
CREW = {FLYERS: 2, COMMUNITY: 3, ENTERPRISE: 2, POPUP: 3, CIRCLE: 2, ONLINE: 0}  # people per outing
BY_DIMENSION = {S.HOME: COMMUNITY, S.WORK: ENTERPRISE, S.LEISURE: POPUP}
SUGGEST_COLUMNS = ("area_id", "tactic", "per_week", "staff_days", "reason")


def suggest(areas: pd.DataFrame) -> pd.DataFrame:
    """One suggested tactic per area.

    Parameters
    ----------
    areas : DataFrame
        ``area_id``, ``grade`` (A–D, or 样本不足 / 无到访: no tactic), ``dimension`` (home/work/leisure;
        anything else counts as home), ``visits``, ``density`` (visitors per km², NaN unknown) and
        ``distance_km`` (to the project site, NaN unknown).

    Returns
    -------
    DataFrame :data:`SUGGEST_COLUMNS`: ``tactic`` (one of :data:`TACTICS`, "" for ungraded areas),
    ``per_week`` (outings or ad flights per week), ``staff_days`` (per week) and ``reason``.
    """
    missing = [c for c in ("area_id", "grade", "dimension", "density", "distance_km") if c not in areas.columns]
    if missing:
        raise ValueError(f"片区表缺少列：{'、'.join(missing)}。")
    graded = areas["grade"].isin(G.GRADES)
    density = pd.to_numeric(areas["density"], errors="coerce")
    cut = float(density[graded].median()) if density[graded].notna().any() else math.inf
    km = pd.to_numeric(areas["distance_km"], errors="coerce")
    rows = [_one(r, cut) for r in areas.assign(density=density, distance_km=km).to_dict("records")]
    return pd.DataFrame(rows, columns=list(SUGGEST_COLUMNS))


def _one(area: dict, dense_from: float) -> dict:
    grade, dim = area["grade"], area["dimension"] if area["dimension"] in S.DIMENSIONS else S.HOME
    if grade not in G.GRADES:
        return {"area_id": area["area_id"], "tactic": "", "per_week": 0, "staff_days": 0.0,
                "reason": f"{grade}：不分级，暂不安排拓客。"}
    km = area["distance_km"]
    near, far = bool(km <= NEAR_KM), bool(km > FAR_KM)  # NaN: neither
    dense = bool(area["density"] >= dense_from)  # NaN: not dense
    if grade == "D":
        tactic, why = ONLINE, "D 级只做轻触达"
    elif far:
        tactic, why = ((ENTERPRISE if dim == S.WORK else POPUP), "远交：客户密集处快闪") if dense else \
            (ONLINE, "远交：客户稀疏，线上定投")
    elif not dense:
        tactic, why = (CIRCLE, "客户分散但质量高，做圈层") if grade in ("A", "B") else (FLYERS, "客户分散，定点派单")
    else:
        tactic, why = BY_DIMENSION[dim], ("近攻：定点深耕" if near else "客户密集")
    per_week = 1 if tactic == ONLINE else max(1, BASE_PER_WEEK[grade] + (1 if near else 0) - (1 if far else 0))
    staff = float(per_week * CREW[tactic])
    where = "距离未知" if pd.isna(km) else f"距项目 {km:.1f} 公里"
    density = "密度未知" if pd.isna(area["density"]) else f"{area['density']:.1f} 人/平方公里"
    reason = (f"{grade} 级{S.DIMENSION_LABELS[dim]}区域，{where}，{density}：{why}，{tactic}每周 {per_week} 次"
              + (f"，约 {staff:g} 人天。" if staff else "，不派驻人员。"))
    return {"area_id": area["area_id"], "tactic": tactic, "per_week": int(per_week), "staff_days": staff,
            "reason": reason}


# ------------------------------------------------------------------- targets
TARGET_COLUMNS = ("area_id", "target_visits", "target_high", "target_deals")


def default_targets(areas: pd.DataFrame, targets: pd.DataFrame | None = None, high_share: float = 0.0,
                    conversion: float = 0.0) -> pd.DataFrame:
    """Weekly targets per area from the plan's KPI table (:data:`mapping.analysis.grading.DEFAULT_TARGETS`
    when None): ``target_visits`` = its 每周新增线索 for the area's grade; ``target_high`` and
    ``target_deals`` = that × the project's high-intention share and conversion, rounded half up.
    Ungraded areas get 0.

    >>> default_targets(pd.DataFrame({"area_id": ["a", "b", "c"], "grade": ["A", "C", "样本不足"]}),
    ...                 high_share=0.25, conversion=0.05).values.tolist()
    [['a', 40, 10, 2], ['b', 10, 3, 1], ['c', 0, 0, 0]]
    """
    table = G.DEFAULT_TARGETS if targets is None else targets
    if "每周新增线索" not in table.columns or "等级" not in table.columns:
        raise ValueError("KPI 目标表需要「等级」和「每周新增线索」两列。")
    weekly = dict(zip(table["等级"], pd.to_numeric(table["每周新增线索"], errors="coerce").fillna(0)))
    visits = areas["grade"].map(weekly).fillna(0).to_numpy(dtype=float)
    out = pd.DataFrame({"area_id": areas["area_id"].to_numpy()})
    out["target_visits"] = _half_up(visits)
    out["target_high"] = _half_up(visits * max(0.0, float(high_share)))
    out["target_deals"] = _half_up(visits * max(0.0, float(conversion)))
    return out


def _half_up(values: np.ndarray) -> np.ndarray:
    return np.floor(np.asarray(values, dtype=float) + 0.5 + 1e-9).astype(int)


def project_rates(frame: pd.DataFrame) -> tuple[float, float]:
    """(high-intention share, conversion) of a visitor frame (:func:`mapping.ops.teams.visitor_frame`);
    (0, 0) without visitors.

    >>> project_rates(pd.DataFrame({"high": [True, False, False, True], "deal": [True, False, False, False]}))
    (0.5, 0.25)
    """
    if not len(frame):
        return 0.0, 0.0
    return float(frame["high"].mean()), float(frame["deal"].mean())
