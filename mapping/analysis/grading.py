"""Heat grading of areas into A/B/C/D: scores, fitted bins, suppression, snapshots.

A *score* per area weighs visits, high-intention visits and deals, per dimension
(居住 / 工作 / 生活娱乐) or all three together (综合).  A grading *run* fits its
bins once (:func:`fit`, via mapclassify) on the areas with enough visitors; the
bins are then applied to any later counts (:meth:`Bins.grade`), so narrowing a
filter changes counts, never the thresholds.  Areas with fewer than ``min_count``
visitors are 样本不足: not graded, excluded from the fit, and their counts are
withheld from maps and exports.

>>> bins = fit([1, 2, 3, 10, 20, 30, 100, 200], "quantiles")
>>> list(bins.grade([250, 25, 5, 0.5]))
['A', 'B', 'C', 'D']
>>> Bins("manual", (10.0, 50.0, 100.0), lower_inclusive=True).grade([100, 99.9]).tolist()
['A', 'B']
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import mapclassify
import numpy as np
import pandas as pd

from mapping import schema as S
from mapping.analysis.breaks import fisher_jenks

GRADES = ("A", "B", "C", "D")
INSUFFICIENT = "样本不足"
NO_VISITS = "无到访"
UNGRADED = (INSUFFICIENT, NO_VISITS)
GRADE_COLOURS = {"A": "#b30000", "B": "#e34a33", "C": "#fc8d59", "D": "#fdcc8a",
                 INSUFFICIENT: "#d9d9d9", NO_VISITS: "#f7f7f7"}
GRADE_ORDER = {"A": 4, "B": 3, "C": 2, "D": 1, INSUFFICIENT: 0, NO_VISITS: 0, "": 0}
DEFAULT_MIN_COUNT = 5

COMPOSITE = "composite"
DIMENSION_CHOICES = (*S.DIMENSIONS, COMPOSITE)
DIMENSION_LABELS = {**S.DIMENSION_LABELS, COMPOSITE: "综合（三个维度加权）"}
MEASURE_LABELS = {"visits": "到访", "high_intention": "高意向(A/B)", "deals": "成交"}


class GradingError(ValueError):
    """A grading setting the user must change (message in Chinese)."""


Cuts = Callable[[np.ndarray, int], Sequence[float]]


@dataclass(frozen=True)
class Scheme:
    """A way of fitting grade bins: its label for pickers and how it finds cut points.

    ``cuts(values, k)`` receives the finite scores (at least two distinct values)
    and the number of classes wanted (one per grade of :data:`GRADES`, fewer when
    there are fewer distinct scores), and returns ascending cut points between
    classes.  :func:`fit` keeps the cuts below the highest score, the top
    ``len(GRADES) - 1`` of them, so a scheme that finds more classes (head/tail
    breaks) grades its head.  ``cuts=None``: the user types the thresholds
    (``manual`` in :func:`fit`).
    """

    label: str
    cuts: Cuts | None = None


def _quantile_cuts(values: np.ndarray, k: int) -> Sequence[float]:
    return mapclassify.Quantiles(values, k=k).bins[:-1]  # the last bound is the maximum


def _fisher_jenks_cuts(values: np.ndarray, k: int) -> Sequence[float]:
    return fisher_jenks(values, k)[:-1]  # exact, and fast without numba


def _head_tail_cuts(values: np.ndarray, k: int) -> Sequence[float]:
    return mapclassify.HeadTailBreaks(values).bins[:-1]  # as many classes as the tail allows


SCHEMES: dict[str, Scheme] = {
    "quantiles": Scheme("分位数（各级区域数相近）", _quantile_cuts),
    "fisher_jenks": Scheme("自然断点（Fisher-Jenks）", _fisher_jenks_cuts),
    "head_tail": Scheme("头尾断点（长尾分布时突出头部）", _head_tail_cuts),
    "manual": Scheme("手动阈值"),
}
SCHEME_LABELS = {name: scheme.label for name, scheme in SCHEMES.items()}  # name → label, for pickers


@dataclass(frozen=True)
class Weights:
    """Score weights: per measure, and per dimension for the 综合 score."""

    visits: float = 1.0
    high_intention: float = 2.0
    deals: float = 5.0
    home: float = 0.5
    work: float = 0.3
    leisure: float = 0.2

    def __post_init__(self):
        values = asdict(self)
        if any(not np.isfinite(v) or v < 0 for v in values.values()):
            raise GradingError("权重不能为负数。")
        if self.visits + self.high_intention + self.deals <= 0:
            raise GradingError("到访、高意向、成交的权重不能全为 0。")
        if self.home + self.work + self.leisure <= 0:
            raise GradingError("居住、工作、生活娱乐三个维度的权重不能全为 0。")

    def of_dimension(self, dimension: str) -> dict[str, float]:
        if dimension == COMPOSITE:
            return {d: getattr(self, d) for d in S.DIMENSIONS}
        if dimension not in S.DIMENSIONS:
            raise ValueError(f"unknown dimension {dimension!r}")
        return {dimension: 1.0}

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Weights:
        return cls(**{k: float(v) for k, v in data.items() if k in cls.__dataclass_fields__})

    def describe(self, dimension: str) -> str:
        text = f"到访×{self.visits:g} + 高意向×{self.high_intention:g} + 成交×{self.deals:g}"
        if dimension == COMPOSITE:
            text += f"；居住×{self.home:g}、工作×{self.work:g}、生活娱乐×{self.leisure:g}"
        return text


def score_table(stats: pd.DataFrame, dimension: str, weights: Weights) -> pd.DataFrame:
    """Per area: visits, high-intention visits, deals (summed over the dimension's
    weighted dimensions), ``score``, ``support`` (visitors behind the figures, the
    largest single-dimension count, used for suppression) and each dimension's share
    of the score (``part_<dim>``)."""
    out = pd.DataFrame({"area_id": stats["area_id"]})
    dims = weights.of_dimension(dimension)
    score = np.zeros(len(stats))
    support = np.zeros(len(stats), dtype=int)
    for measure in ("visits", "high_intention", "deals"):
        out[measure] = sum(stats[f"{measure}_{d}"].to_numpy() for d in dims)
    for d, w in dims.items():
        part = w * (weights.visits * stats[f"visits_{d}"].to_numpy()
                    + weights.high_intention * stats[f"high_intention_{d}"].to_numpy()
                    + weights.deals * stats[f"deals_{d}"].to_numpy())
        out[f"part_{d}"] = part
        score = score + part
        support = np.maximum(support, stats[f"visits_{d}"].to_numpy())
    out["score"] = np.round(score, 2)
    out["support"] = support
    out["conversion"] = np.where(out["visits"] > 0, out["deals"] / out["visits"].clip(lower=1), 0.0)
    return out


@dataclass(frozen=True)
class Bins:
    """Fitted class boundaries.  ``cuts`` ascending; a score above the last cut is the
    top grade.  mapclassify bins are upper-inclusive (score ≤ cut stays below);
    manual thresholds are lower-inclusive (score ≥ threshold reaches the grade)."""

    scheme: str
    cuts: tuple[float, ...]
    lower_inclusive: bool = False

    @property
    def grades(self) -> tuple[str, ...]:
        """Grades from the top, one per class (fewer than four when the data allow fewer)."""
        return GRADES[: len(self.cuts) + 1]

    def grade(self, scores) -> np.ndarray:
        scores = np.asarray(scores, dtype=float)
        side = "right" if self.lower_inclusive else "left"
        below = len(self.cuts) - np.searchsorted(np.asarray(self.cuts, dtype=float), scores, side=side)
        return np.asarray(self.grades, dtype=object)[below]

    def ranges(self, fmt=lambda v: f"{v:,.4g}") -> dict[str, str]:
        """Range of each grade in words, e.g. ``{"A": "> 120", "B": "60 – 120", …}``;
        ``fmt`` writes one bound (e.g. as a percentage)."""
        out = {}
        cuts = list(self.cuts)
        ge, gt = ("≥", "<") if self.lower_inclusive else (">", "≤")
        for i, grade in enumerate(self.grades):
            upper = cuts[len(cuts) - i] if i > 0 else None
            lower = cuts[len(cuts) - i - 1] if i < len(cuts) else None
            if lower is None and upper is None:
                out[grade] = "全部"
            elif upper is None:
                out[grade] = f"{ge} {fmt(lower)}"
            elif lower is None:
                out[grade] = f"{gt} {fmt(upper)}"
            else:
                out[grade] = f"{fmt(lower)} – {fmt(upper)}"
        return out

    def to_dict(self) -> dict:
        return {"scheme": self.scheme, "cuts": list(self.cuts), "lower_inclusive": self.lower_inclusive}

    @classmethod
    def from_dict(cls, data: dict) -> Bins:
        return cls(data["scheme"], tuple(float(c) for c in data["cuts"]), bool(data.get("lower_inclusive")))


def fit(scores, scheme: str, manual: tuple[float, float, float] | None = None) -> Bins:
    """Fit A/B/C/D bins to the scores of the areas that are graded.

    Parameters
    ----------
    scores : array-like of float
        Scores of the graded areas (:func:`graded_scores`); NaN and infinities are ignored.
    scheme : str
        A name in :data:`SCHEMES` ("quantiles", "fisher_jenks", "head_tail", "manual").
    manual : tuple of three floats, optional
        For "manual" only: the lowest score of A, B and C (descending).

    Returns
    -------
    Bins
        Fewer than four grades (from the top) when the scores allow fewer.

    Raises
    ------
    GradingError
        Unknown scheme, or manual thresholds missing or not A > B > C ≥ 0.

    Examples
    --------
    >>> fit([1, 2, 3, 10, 20, 30, 100, 200], "fisher_jenks").cuts
    (10.0, 30.0, 100.0)
    >>> fit([], "manual", (100, 50, 10)).cuts
    (10.0, 50.0, 100.0)
    """
    found = SCHEMES.get(scheme)
    if found is None:
        raise GradingError(f"未知的分级方法：{scheme}")
    if found.cuts is None:
        return _manual_bins(scheme, manual)
    y = np.asarray(scores, dtype=float)
    y = y[np.isfinite(y)]
    distinct = np.unique(y)
    if distinct.size <= 1:
        return Bins(scheme, ())
    k = int(min(len(GRADES), distinct.size))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mapclassify warns on ties / missing numba: handled below
        cuts = found.cuts(y, k)
    top = y.max()  # a cut at the maximum would leave the top grade empty
    cuts = sorted({float(c) for c in cuts if c < top})
    return Bins(scheme, tuple(cuts[-(len(GRADES) - 1):]))


def _manual_bins(scheme: str, manual: tuple[float, float, float] | None) -> Bins:
    """Bins from the lowest score of A, B and C as the user typed them (lower-inclusive)."""
    if manual is None or len(manual) != 3:
        raise GradingError("手动分级需要填写 A、B、C 三个等级的最低得分。")
    a, b, c = (float(v) for v in manual)
    if not (a > b > c >= 0):
        raise GradingError(f"手动阈值必须满足 A > B > C ≥ 0，现在是 A={a:g}、B={b:g}、C={c:g}。")
    return Bins(scheme, (c, b, a), lower_inclusive=True)


def grade_table(scores: pd.DataFrame, bins: Bins, min_count: int = DEFAULT_MIN_COUNT) -> pd.DataFrame:
    """Add ``grade`` and ``rank`` (1 = highest score among graded areas) to a score table."""
    out = scores.copy()
    graded = out["support"] >= max(int(min_count), 1)
    out["grade"] = np.where(out["support"] <= 0, NO_VISITS, INSUFFICIENT).astype(object)
    if graded.any():
        out.loc[graded, "grade"] = bins.grade(out.loc[graded, "score"])
    out["rank"] = out["score"].where(graded).rank(ascending=False, method="min").astype("Int64")
    out["suppressed"] = ~graded & (out["support"] > 0)
    return out


def graded_scores(scores: pd.DataFrame, min_count: int = DEFAULT_MIN_COUNT) -> np.ndarray:
    """Scores of the areas a fit should see (enough visitors)."""
    return scores.loc[scores["support"] >= max(int(min_count), 1), "score"].to_numpy()


def legend(graded: pd.DataFrame, bins: Bins) -> list[dict]:
    """One row per grade with its colour, score range and number of areas (plus ungraded rows)."""
    ranges = bins.ranges()
    counts = graded["grade"].value_counts()
    rows = [{"grade": g, "colour": GRADE_COLOURS[g], "range": ranges[g], "areas": int(counts.get(g, 0)),
             "label": f"{g} 级 · 得分 {ranges[g]} · {int(counts.get(g, 0))} 个区域"} for g in bins.grades]
    for g in UNGRADED:
        if counts.get(g, 0):
            rows.append({"grade": g, "colour": GRADE_COLOURS[g], "range": "", "areas": int(counts[g]),
                         "label": f"{g} · {int(counts[g])} 个区域"})
    return rows


def focus_dimension(row: pd.Series) -> str:
    """The dimension that contributes most to an area's score (its suggested outreach focus)."""
    parts = {d: row.get(f"part_{d}", 0.0) for d in S.DIMENSIONS if f"part_{d}" in row}
    if not parts or max(parts.values()) <= 0:
        return ""
    return S.DIMENSION_LABELS[max(parts, key=parts.get)]


def focus_dimensions(table: pd.DataFrame) -> np.ndarray:
    """:func:`focus_dimension` for every row at once."""
    dims = [d for d in S.DIMENSIONS if f"part_{d}" in table]
    if not dims or table.empty:
        return np.full(len(table), "", dtype=object)
    parts = table[[f"part_{d}" for d in dims]].to_numpy(dtype=float)
    labels = np.array([S.DIMENSION_LABELS[d] for d in dims], dtype=object)[parts.argmax(axis=1)]
    return np.where(parts.max(axis=1) > 0, labels, "").astype(object)


def compare(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Which areas moved between two gradings (each: area_id, area_name, grade, score).

    Returns area_id, area_name, before, after, change (升级/降级/不变/新进入/退出) and
    steps (+2 = two grades up), sorted with the biggest moves first.
    """
    columns = ["area_id", "area_name", "grade", "score"]  # area_name and score may be missing
    merged = before.reindex(columns=columns).merge(after.reindex(columns=columns), on="area_id", how="outer",
                                                   suffixes=("_before", "_after"))
    names = merged["area_name_after"].astype(object).fillna(merged["area_name_before"].astype(object))
    merged["area_name"] = names.fillna(merged["area_id"].astype(object))
    b = merged["grade_before"].fillna("").map(GRADE_ORDER).fillna(0).astype(int)
    a = merged["grade_after"].fillna("").map(GRADE_ORDER).fillna(0).astype(int)
    steps = a - b
    change = np.select(
        [(b == 0) & (a > 0), (b > 0) & (a == 0), steps > 0, steps < 0],
        ["新进入", "退出", "升级", "降级"], default="不变")
    out = pd.DataFrame({
        "area_id": merged["area_id"], "area_name": merged["area_name"],
        "before": merged["grade_before"].fillna("—"), "after": merged["grade_after"].fillna("—"),
        "score_before": merged["score_before"], "score_after": merged["score_after"],
        "change": change, "steps": steps,
    })
    out["_order"] = out["steps"].abs()
    out = out.sort_values(["_order", "after", "area_name"], ascending=[False, True, True]).drop(columns="_order")
    return out.reset_index(drop=True)


def opportunities(current: pd.DataFrame, plan: pd.DataFrame | None) -> pd.DataFrame:
    """Areas producing enough visitors now that the saved plan did not grade A or B, or left out.

    ``current``: graded table (area_id, area_name, grade, visits, score); ``plan``:
    the saved grading (area_id, grade).  Without a plan there is nothing to compare.
    """
    if plan is None or current.empty:
        return current.iloc[0:0].assign(plan_grade=pd.Series(dtype=object))
    plan_grade = current["area_id"].map(dict(zip(plan["area_id"], plan["grade"])))
    producing = current["grade"].isin(GRADES)
    missed = ~plan_grade.isin(["A", "B"])
    out = current[producing & missed].assign(plan_grade=plan_grade[producing & missed].fillna("未列入"))
    return out.sort_values("score", ascending=False).reset_index(drop=True)


DEFAULT_TARGETS = pd.DataFrame({
    "等级": list(GRADES),
    "每周新增线索": [40, 20, 10, 3],
    "每月拓客活动": [8, 4, 2, 0],
    "驻点人员": [6, 3, 1, 0],
})


def check_targets(targets: pd.DataFrame) -> pd.DataFrame:
    """Validate an edited KPI table: one row per grade, non-negative whole numbers."""
    if list(targets["等级"]) != list(GRADES):
        raise GradingError("目标表必须是 A、B、C、D 四行，等级列不要修改。")
    out = targets.copy()
    for col in out.columns[1:]:
        values = pd.to_numeric(out[col], errors="coerce")
        bad = values.isna() | (values < 0)
        if bad.any():
            grade = out.loc[bad, "等级"].iloc[0]
            raise GradingError(f"目标表 {grade} 级的「{col}」必须是不小于 0 的数字。")
        out[col] = values
    return out
