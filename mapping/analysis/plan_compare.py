"""Two saved plans (拓客计划 snapshots) compared area by area, as each was graded when saved.

A snapshot is the dict :meth:`mapping.db.store.Store.snapshot` returns: ``name``
(and ``version``: a plan is named 「名称 · 第 n 版」), ``layer_id``, ``dimension`` and ``payload`` (grades and bins per product line, see
:func:`mapping.analysis.battle.snapshot_payload`).  Each plan keeps its own bins,
so a colour means its own plan's grade; the moves between the grades are
counted as everywhere else (:func:`mapping.analysis.launch.transitions`).

>>> def snap(name, grades):
...     rows = [[a, a.upper(), g, 1.0, 1] for a, g in grades.items()]
...     return {"name": name, "layer_id": "districts", "dimension": "home", "payload": {"grades": {"": rows}}}
>>> plans = compare_plans(snap("前", {"x": "A", "y": "D"}), snap("后", {"x": "C", "y": "B", "z": "A"}), "")
>>> plans.count("升级"), plans.count("降级"), plans.count("新进入"), plans.area_ids
(1, 1, 1, ['x', 'y', 'z'])
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from mapping.analysis import battle as B
from mapping.analysis import grading as G
from mapping.analysis import launch as L

__all__ = ["PlanComparison", "compare_plans", "plan_bins"]


@dataclass(frozen=True)
class PlanComparison:
    """Two saved plans' grades for one product line and the moves between them."""

    a_name: str
    b_name: str
    layer_id: str
    dimensions: tuple[str, ...]  # Chinese labels of both plans' dimensions, sorted, no repeats
    grades_a: pd.DataFrame  # area_id, area_name, grade, score, rank
    grades_b: pd.DataFrame
    bins_a: G.Bins | None  # None when the plan kept no bins for the line
    bins_b: G.Bins | None
    moves: pd.DataFrame  # see mapping.analysis.launch.transitions
    matrix: pd.DataFrame
    new: pd.DataFrame  # see mapping.analysis.launch.new_battlefields

    def count(self, change: str) -> int:
        """Number of areas whose ``change`` is 升级, 降级, 新进入, 退出 or 不变."""
        return int((self.moves["change"] == change).sum())

    @property
    def area_ids(self) -> list[str]:
        """Every area graded in either plan, sorted."""
        return sorted(set(self.grades_a["area_id"]) | set(self.grades_b["area_id"]))

    @property
    def names(self) -> pd.DataFrame:
        """``area_id``, ``area_name`` of every area in either plan (the first plan's name wins)."""
        both = pd.concat([self.grades_a, self.grades_b])
        return both[["area_id", "area_name"]].drop_duplicates("area_id")


def plan_bins(payload: dict, line: str) -> G.Bins | None:
    """The bins a plan was graded with for ``line`` ("" = all lines), or None when it kept none."""
    saved = payload.get("bins", {})
    return G.Bins.from_dict(saved[line]) if line in saved else None


def compare_plans(snap_a: dict, snap_b: dict, line: str) -> PlanComparison | None:
    """The grade moves from plan ``snap_a`` to plan ``snap_b`` for one product line.

    Parameters
    ----------
    snap_a, snap_b : dict
        Saved plans (``name``, ``layer_id``, ``dimension``, ``payload``) on the same area unit.
    line : str
        Product line; "" for all lines.

    Returns
    -------
    PlanComparison or None
        None when either plan has no map for ``line``.

    Raises
    ------
    ValueError
        When the plans were graded on different area units (no area-by-area comparison).
    """
    if snap_a["layer_id"] != snap_b["layer_id"]:
        raise ValueError(f"plans on different area units: {snap_a['layer_id']!r} and {snap_b['layer_id']!r}; "
                         "compare two plans of the same unit")
    grades_a, grades_b = B.snapshot_grades(snap_a["payload"], line), B.snapshot_grades(snap_b["payload"], line)
    if grades_a is None or grades_b is None:
        return None
    moves, matrix = L.transitions(grades_a, grades_b)
    dims = {G.DIMENSION_LABELS.get(s["dimension"], s["dimension"]) for s in (snap_a, snap_b)}
    return PlanComparison(B.plan_name(snap_a), B.plan_name(snap_b), snap_a["layer_id"], tuple(sorted(dims)), grades_a,
                          grades_b, plan_bins(snap_a["payload"], line), plan_bins(snap_b["payload"], line), moves,
                          matrix, L.new_battlefields(grades_a, grades_b))
