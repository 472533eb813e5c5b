"""拓客作战地图: a grading run over product lines, its graded tables, plan and snapshot.

Ties :mod:`mapping.analysis.facts` (fast counts), :mod:`mapping.analysis.grading` (scores and bins)
and the area layers together, so pages only pick settings and show results.

A :class:`Run` is fitted once (:func:`fit_run`) for every product line of the
project plus 全部业态, on the filters in force at that moment.  Afterwards
:func:`graded` applies the run's bins to whatever the filters now select, so the
grades move only when the counts do.  A run plus its grades and KPI targets is a
*plan*: :func:`snapshot_payload` makes the JSON the store saves, and
:func:`snapshot_grades` reads a saved plan back for comparison.  A saved plan is a
draft until approved; :func:`plan_label` and :func:`plan_in_force` say which version it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd

from mapping import schema as S
from mapping.analysis import grading as G
from mapping.analysis.facts import Facts, Filters, area_stats, area_stats_by_line, segment_grids, top_places

ALL_LINES = ""  # product-line key of the all-lines map
ALL_LINES_LABEL = "全部业态"


def line_label(line: str) -> str:
    return line or ALL_LINES_LABEL


@dataclass(frozen=True)
class Settings:
    """What a grading run is fitted with."""

    dimension: str = S.HOME
    weights: G.Weights = field(default_factory=G.Weights)
    scheme: str = "fisher_jenks"
    manual: tuple[float, float, float] | None = None
    min_count: int = G.DEFAULT_MIN_COUNT

    def __post_init__(self):
        if self.dimension not in G.DIMENSION_CHOICES:
            raise ValueError(f"unknown dimension {self.dimension!r}")
        if int(self.min_count) < 1:
            raise G.GradingError("最少样本数至少为 1。")

    def to_dict(self) -> dict:
        return {"dimension": self.dimension, "weights": self.weights.to_dict(), "scheme": self.scheme,
                "manual": list(self.manual) if self.manual else None, "min_count": int(self.min_count)}

    @classmethod
    def from_dict(cls, data: dict) -> Settings:
        return cls(data["dimension"], G.Weights.from_dict(data["weights"]), data["scheme"],
                   tuple(data["manual"]) if data.get("manual") else None, int(data["min_count"]))

    def describe(self) -> str:
        return (f"{G.DIMENSION_LABELS[self.dimension]} · {G.SCHEME_LABELS[self.scheme]} · "
                f"{self.weights.describe(self.dimension)} · 少于 {self.min_count} 人不分级")


@dataclass(frozen=True)
class Run:
    """Bins fitted once per product line ("" = all lines) for one layer and settings.

    With a segment ``axis`` (a :data:`mapping.segments.axis.SEGMENTS` key; :func:`fit_axis_runs`) the
    maps are one per value of that segment under one product line: ``bins`` then holds that line's
    bins, fitted once on the pooled scores of every area × value cell, so every map of the series
    is graded on the same scale.
    """

    layer_id: str
    settings: Settings
    filters: Filters  # the filters the bins were fitted under (product_line unset, but an axis run's line kept)
    bins: dict[str, G.Bins]
    fitted_at: str
    axis: str = ""  # "" = one map per product line; else the segment key of the series

    def bins_for(self, line: str) -> G.Bins:
        found = self.bins.get(line or ALL_LINES) or self.bins.get(ALL_LINES)
        if found is None:  # an axis run knows the line it was fitted for only
            raise KeyError(f"这次分级只拟合了业态「{'、'.join(line_label(x) for x in self.bins)}」，"
                           f"没有「{line_label(line)}」：请重新分级")
        return found


def scores(facts: Facts, layer_id: str, settings: Settings, filters: Filters,
           layer: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    return G.score_table(area_stats(facts, layer_id, filters, layer), settings.dimension, settings.weights)


def fit_run(facts: Facts, layer_id: str, settings: Settings, filters: Filters, lines: list[str],
            layer: gpd.GeoDataFrame | None = None) -> Run:
    """Fit bins for all lines and each product line under the current filters."""
    return fit_runs(facts, layer_id, [settings], filters, lines, layer)[0]


def fit_runs(facts: Facts, layer_id: str, settings: list[Settings], filters: Filters, lines: list[str],
             layer: gpd.GeoDataFrame | None = None) -> list[Run]:
    """:func:`fit_run` for several settings (e.g. every dimension) from one count of the rows."""
    base = replace(filters, product_line=None)
    by_line = area_stats_by_line(facts, layer_id, base, layer)  # one pass over the rows for every line
    empty = by_line[ALL_LINES].assign(**{c: 0 for c in by_line[ALL_LINES].columns if c != "area_id"})
    fitted_at = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    runs = []
    for s in settings:
        bins = {}
        for line in [ALL_LINES, *lines]:
            table = G.score_table(by_line.get(line, empty), s.dimension, s.weights)
            bins[line] = G.fit(G.graded_scores(table, s.min_count), s.scheme, s.manual)
        runs.append(Run(layer_id, s, base, bins, fitted_at))
    return runs


def fit_axis_runs(facts: Facts, layer_id: str, settings: list[Settings], filters: Filters, axis: str,
                  layer: gpd.GeoDataFrame | None = None) -> list[Run]:
    """Runs for a series of maps, one per value of the segment ``axis``, under the product line in force.

    The counts of every area × value cell come from one pass (:func:`segment_grids`); the
    bins of each settings are fitted once on the scores of all cells with at least ``min_count``
    visitors (each cell is graded, or withheld, on its own count), and kept under the line's key.
    A filter on ``axis`` itself is ignored (the series takes every value); ``facts`` need a
    Segments (:meth:`mapping.analysis.facts.Facts.with_segments`).
    """
    base = filters.with_segment(axis)
    values, ids, grids = segment_grids(facts, layer_id, axis, base, layer)
    cells = pd.DataFrame({"area_id": np.tile(np.asarray(ids, dtype=object), len(values)),
                          **{col: grid.ravel() for col, grid in grids.items()}})  # one row per area × value
    fitted_at = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    line = filters.product_line or ALL_LINES
    runs = []
    for s in settings:
        pooled = G.graded_scores(G.score_table(cells, s.dimension, s.weights), s.min_count)
        runs.append(Run(layer_id, s, base, {line: G.fit(pooled, s.scheme, s.manual)}, fitted_at, axis=axis))
    return runs


def axis_filters(filters: Filters, run: Run, value: str) -> Filters:
    """The filters of one map of an axis run: ``filters`` with the axis segment set to ``value``."""
    return filters.with_segment(run.axis, (value,)) if run.axis else filters


def graded(facts: Facts, run: Run, names: pd.DataFrame, filters: Filters,
           layer: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """The run's bins applied to the counts ``filters`` select, one row per area.

    ``names``: area_id → area_name (the layer's, or the H3 cells').
    """
    table = scores(facts, run.layer_id, run.settings, filters, layer)
    out = G.grade_table(table, run.bins_for(filters.product_line or ""), run.settings.min_count)
    out = out.merge(names[["area_id", "area_name"]], on="area_id", how="left")
    out["area_name"] = out["area_name"].fillna(out["area_id"])
    out["focus"] = G.focus_dimensions(out)
    return out.sort_values(["rank", "visits", "area_name"], ascending=[True, False, True],
                           na_position="last").reset_index(drop=True)


FOCUS_DIMENSION = {v: k for k, v in S.DIMENSION_LABELS.items()}


def plan_table(table: pd.DataFrame, facts: Facts, run: Run, filters: Filters, targets: pd.DataFrame,
               places: int = 3) -> pd.DataFrame:
    """The outreach plan for one product line, Chinese headers, ready for Excel.

    Only graded areas get targets and focus; 样本不足 areas are listed without any
    count (privacy), areas without visitors are left out.
    """
    rows = []
    by_grade = targets.set_index("等级")
    k = run.settings.min_count
    for r in table[table["grade"] != G.NO_VISITS].itertuples(index=False):
        suppressed = r.grade == G.INSUFFICIENT
        row = {"等级": r.grade, "区域": r.area_name, "排名": None if suppressed else int(r.rank),
               "得分": None if suppressed else float(r.score),
               "到访": None if suppressed else int(r.visits),
               "高意向(A/B)": None if suppressed else int(r.high_intention),
               "成交": None if suppressed else int(r.deals),
               "成交率": None if suppressed else float(r.conversion)}
        for col in targets.columns[1:]:
            row[col] = None if suppressed else float(by_grade.loc[r.grade, col])
        if suppressed:
            row["建议主攻维度"], row["重点地点"] = "", f"少于 {k} 人，不分级、不列人数"
        else:
            row["建议主攻维度"] = r.focus
            dim = FOCUS_DIMENSION.get(r.focus)
            top = top_places(facts, run.layer_id, r.area_id, dim, filters, limit=places, min_count=k)
            row["重点地点"] = "、".join(top["place"])
        rows.append(row)
    columns = ["等级", "区域", "排名", "得分", "到访", "高意向(A/B)", "成交", "成交率", *targets.columns[1:],
               "建议主攻维度", "重点地点"]
    return pd.DataFrame(rows, columns=columns)


def public_table(table: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """A graded table with the counts of 样本不足 areas withheld (blank, with a note), for display."""
    out = table.copy()
    hidden = out["grade"] == G.INSUFFICIENT
    for col in ("visits", "high_intention", "deals", "score", "conversion"):
        out[col] = out[col].astype(float).where(~hidden)
    out["note"] = np.where(hidden, f"少于 {min_count} 人，不显示人数", "")
    return out


# ------------------------------------------------------------------- snapshots
def snapshot_payload(run: Run, tables: dict[str, pd.DataFrame], targets: pd.DataFrame, note: str = "") -> dict:
    """JSON for :meth:`mapping.db.store.Store.save_snapshot` (grades and scores, no counts of
    suppressed areas)."""
    f = run.filters
    return {
        "version": 1,
        "fitted_at": run.fitted_at,
        "layer_id": run.layer_id,
        "settings": run.settings.to_dict(),
        "filters": {"start": f.start.isoformat() if f.start else None, "end": f.end.isoformat() if f.end else None,
                    "channels": list(f.channels), "intentions": list(f.intentions),
                    # a record of the customer-segment filter the grades were made under (not re-applied:
                    # pages reading a plan may have no segments attached)
                    **({"segments": [[k, list(v)] for k, v in f.segments]} if f.segments else {})},
        "bins": {line: b.to_dict() for line, b in run.bins.items()},
        "grades": {line: [{"area_id": r.area_id, "area_name": r.area_name, "grade": r.grade,
                           "score": None if r.grade in G.UNGRADED else float(r.score),
                           "rank": None if pd.isna(r.rank) else int(r.rank)}
                          for r in t.itertuples(index=False)] for line, t in tables.items()},
        "targets": targets.to_dict("records"),
        "note": note,
    }


def run_from_payload(payload: dict) -> Run:
    f = payload.get("filters", {})
    filters = Filters(start=dt.date.fromisoformat(f["start"]) if f.get("start") else None,
                      end=dt.date.fromisoformat(f["end"]) if f.get("end") else None,
                      channels=tuple(f.get("channels", ())), intentions=tuple(f.get("intentions", ())))
    return Run(payload["layer_id"], Settings.from_dict(payload["settings"]), filters,
               {line: G.Bins.from_dict(b) for line, b in payload["bins"].items()}, payload["fitted_at"])


def snapshot_grades(payload: dict, line: str) -> pd.DataFrame | None:
    """A saved plan's grades for one product line (area_id, area_name, grade, score), or None."""
    rows = payload.get("grades", {}).get(line or ALL_LINES)
    if rows is None:
        return None
    return pd.DataFrame(rows, columns=["area_id", "area_name", "grade", "score", "rank"])


def targets_from_payload(payload: dict) -> pd.DataFrame:
    rows = payload.get("targets")
    return pd.DataFrame(rows) if rows else G.DEFAULT_TARGETS.copy()


# ------------------------------------------------------------------- plan approval
STATUS_LABELS = {"draft": "草稿", "approved": "已批准"}
NO_APPROVED_PLAN = "尚无已批准的方案：当前分级为草稿，供讨论"


def plan_name(plan) -> str:
    """「名称 · 第 n 版」 of a saved plan (a :meth:`~mapping.db.store.Store.snapshot` dict or a
    :meth:`~mapping.db.store.Store.snapshots` row); the bare name when it has no version.

    >>> plan_name({"name": "第12周", "version": 2}), plan_name({"name": "旧计划"})
    ('第12周 · 第 2 版', '旧计划')
    """
    version = _get(plan, "version")
    return str(_get(plan, "name")) + ("" if version is None or pd.isna(version) else f" · 第 {int(version)} 版")


def plan_label(plan) -> str:
    """「名称 · 第 n 版 · 草稿」 or 「… · 已批准（张三 2026-12-06 10:20 批准）」.

    >>> plan_label({"name": "第12周", "version": 1, "status": "draft"})
    '第12周 · 第 1 版 · 草稿'
    >>> plan_label({"name": "第12周", "version": 2, "status": "approved", "approved_by": "张三",
    ...             "approved_at": dt.datetime(2026, 12, 6, 10, 20)})
    '第12周 · 第 2 版 · 已批准（张三 2026-12-06 10:20 批准）'
    """
    status = _get(plan, "status") or "draft"
    text = f"{plan_name(plan)} · {STATUS_LABELS.get(status, status)}"
    if status == "approved":
        text += f"（{_approval(plan, '%Y-%m-%d %H:%M')}）"
    return text


def plan_in_force(plan: dict | None) -> str:
    """The battle map's line under its title: which approved version the team follows.

    >>> plan_in_force({"name": "第12周", "version": 2, "status": "approved", "approved_by": "张三",
    ...                "approved_at": dt.datetime(2026, 12, 6, 10, 20)})
    '按已批准方案「第12周」第 2 版（张三 12-06 批准）'
    >>> plan_in_force(None) == NO_APPROVED_PLAN
    True
    """
    if plan is None:
        return NO_APPROVED_PLAN
    return f"按已批准方案「{_get(plan, 'name')}」第 {int(_get(plan, 'version') or 1)} 版（{_approval(plan, '%m-%d')}）"


def _approval(plan, fmt: str) -> str:
    who, when = _get(plan, "approved_by") or "—", _get(plan, "approved_at")
    if when is None or pd.isna(when):
        return f"{who} 批准"
    return f"{who} {pd.Timestamp(when).strftime(fmt)} 批准"


def _get(plan, key: str):
    return plan.get(key) if hasattr(plan, "get") else getattr(plan, key, None)


def profile(visitors: pd.DataFrame, ids: np.ndarray, column: str, min_count: int) -> pd.DataFrame:
    """Share of each value of a profile column among ``ids`` against the whole project."""
    everyone = visitors[column].fillna("").replace("", "未填写")
    inside = everyone[visitors["id"].isin(ids)]
    out = pd.DataFrame({"区域占比": inside.value_counts(normalize=True), "项目平均": everyone.value_counts(normalize=True)})
    out = out.fillna(0.0)
    out["差异(百分点)"] = (out["区域占比"] - out["项目平均"]) * 100
    out = out.sort_values("区域占比", ascending=False).rename_axis("分组").reset_index()
    if len(inside) < min_count:
        return out.iloc[0:0]
    return out
