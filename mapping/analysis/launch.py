"""开盘前后对比: where the reservoir-period visitors came from against where the buyers came from.

Two *sides* are compared area by area.  A side is a period and a measure
(到访 / 高意向 / 成交) counted straight from the cached :class:`mapping.analysis.facts.Facts`
arrays with one ``np.bincount`` (:func:`period_counts`), or a saved plan's grades.
The default is the planner's question: visitors before the launch date against
deals after it (:func:`launch_sides`).

* A visit counts on its visit date.  A deal counts on its deal date (成交日期),
  or on its visit date when the deal has no date; under a product line a deal
  counts by the line bought (成交业态, else the line the visitor wanted).
* Counts become each side's **share of its own total** (the areas of the layer
  only; unplaced locations are left out of both), so 3,700 reservoir visitors
  and 390 deals can be laid side by side.
* Both sides are graded A/B/C/D with **one** set of bins fitted on the pooled
  shares (:func:`same_bins`): a colour and a grade mean the same on both maps.
* The change of an area is in percentage points (:func:`difference`), shown with
  symmetric diverging classes (:func:`change_bins`); grade moves are a table and
  a 5 × 5 matrix (:func:`transitions`); areas that produce in B but had nobody
  in A are 新战场 (:func:`new_battlefields`).
* Counts from 1 to ``k - 1`` (default :data:`mapping.analysis.grading.DEFAULT_MIN_COUNT`)
  are withheld wherever shown, and so are their shares and changes.

>>> a = with_shares(pd.DataFrame({"area_id": ["x", "y", "z"], "count": [30, 10, 0]}))
>>> b = with_shares(pd.DataFrame({"area_id": ["x", "y", "z"], "count": [5, 10, 5]}))
>>> a["share"].tolist(), b["share"].tolist()
([0.75, 0.25, 0.0], [0.25, 0.5, 0.25])
>>> difference(a, b)["change_pp"].round(1).tolist()
[-50.0, 25.0, 25.0]
>>> new_battlefields(a, b)["area_id"].tolist()
['z']
>>> period_start_days(np.array([0, 3, 4]), "W").tolist()   # 1970-01-01 is a Thursday
[-3, -3, 4]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from mapping import schema as S
from mapping.analysis import grading as G
from mapping.analysis.breaks import class_breaks, fisher_jenks
from mapping.analysis.facts import Facts, day_date, day_number

MEASURE_LABELS = {"visits": "到访", "high_intention": "高意向", "deals": "成交"}
NONE = "无"  # nobody on this side
UNGRADED = "未分级"  # 样本不足, nobody, or not in a saved plan
MATRIX_ORDER = (*G.GRADES, UNGRADED)
FREQS = {"M": "按月", "W": "按周"}
CHANGE_COLOURS = ("#2166ac", "#92c5de", "#f7f7f7", "#f4a582", "#b2182b")  # big loss … big gain
PLAN_STEPS = (0.5, 1.5)  # change classes of grade steps: 0 → 持平, ±1 → one grade, beyond → two or more


# ----------------------------------------------------------------------------- sides
@dataclass(frozen=True)
class Side:
    """One side of the comparison: a measure over an inclusive date range (None = open)."""

    measure: str = "visits"
    start: dt.date | None = None
    end: dt.date | None = None
    name: str = ""  # e.g. 开盘前到访; made from the dates when empty

    def __post_init__(self):
        if self.measure not in MEASURE_LABELS:
            raise ValueError(f"unknown measure {self.measure!r}")
        if self.start and self.end and self.start > self.end:
            raise G.GradingError(f"时段的开始日期 {self.start} 晚于结束日期 {self.end}，请重新选择。")

    @property
    def label(self) -> str:
        return self.name or f"{self.dates()} {MEASURE_LABELS[self.measure]}"

    def dates(self) -> str:
        if not self.start and not self.end:
            return "全部时间"
        if not self.start:
            return f"{self.end:%Y-%m-%d} 及以前"
        if not self.end:
            return f"{self.start:%Y-%m-%d} 及以后"
        return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}"


def launch_sides(launch: dt.date) -> tuple[Side, Side]:
    """The default comparison: visits before ``launch`` against deals on or after it.

    >>> a, b = launch_sides(dt.date(2024, 5, 1))
    >>> a.label, a.end, b.label, b.start
    ('蓄水期到访', datetime.date(2024, 4, 30), '开盘后成交', datetime.date(2024, 5, 1))
    """
    return (Side("visits", None, launch - dt.timedelta(days=1), "蓄水期到访"),
            Side("deals", launch, None, "开盘后成交"))


def deal_days(facts: Facts) -> np.ndarray:
    """Day number each row's deal counts on: its deal date, else its visit date."""
    return np.where(facts.deal_day > 0, facts.deal_day, facts.day)


def side_rows(facts: Facts, dimension: str, product_line: str | None, start: dt.date | None,
              end: dt.date | None, measure: str) -> np.ndarray:
    """Boolean mask of the rows a side counts (see the module doc for the rules)."""
    if measure not in MEASURE_LABELS:
        raise ValueError(f"unknown measure {measure!r}")
    keep = facts.dim == S.DIMENSIONS.index(dimension)
    line = facts._code(facts.lines_all, product_line) if product_line else None
    if measure == "deals":
        days = deal_days(facts)
        keep &= facts.deal
        if product_line:
            bought = facts._code(facts.deal_lines_all, product_line)
            unset = facts._code(facts.deal_lines_all, "")
            keep &= (facts.deal_line == bought) | ((facts.deal_line == unset) & (facts.line == line))
    else:
        days = facts.day
        if measure == "high_intention":
            keep &= facts.high
        if product_line:
            keep &= facts.line == line
    if start or end:
        keep &= days > 0
    if start:
        keep &= days >= day_number(start)
    if end:
        keep &= days <= day_number(end)
    return keep


def with_shares(counts: pd.DataFrame) -> pd.DataFrame:
    """Add ``share`` (count / the side's total, 0–1) to a frame with ``count``."""
    out = counts.copy()
    total = float(out["count"].sum())
    out["share"] = out["count"] / total if total > 0 else 0.0
    return out


def period_counts(facts: Facts, layer_key: str, dimension: str, product_line: str | None,
                  start: dt.date | None, end: dt.date | None, measure: str,
                  layer: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """``area_id``, ``count``, ``share`` for every area of the layer (zeros included).

    ``attrs["unplaced"]`` holds the rows the side counts that fall in no area.
    """
    ids, index = facts.areas(layer_key, layer)
    rows = side_rows(facts, dimension, product_line, start, end, measure)
    placed = rows & (index >= 0)
    out = with_shares(pd.DataFrame({"area_id": ids, "count": np.bincount(index[placed], minlength=len(ids))}))
    out.attrs["unplaced"] = int((rows & (index < 0)).sum())
    return out


def side_counts(facts: Facts, layer_key: str, dimension: str, product_line: str | None, side: Side,
                layer: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    return period_counts(facts, layer_key, dimension, product_line, side.start, side.end, side.measure, layer)


# ----------------------------------------------------------------------------- bins and grades
def withheld(counts, k: int = G.DEFAULT_MIN_COUNT) -> np.ndarray:
    """True where a count must not be shown: 1 to k-1 people."""
    c = np.asarray(counts)
    return (c > 0) & (c < max(int(k), 1))


def shown_shares(counts: pd.DataFrame, k: int = G.DEFAULT_MIN_COUNT) -> np.ndarray:
    """Shares of the areas with at least ``k`` people (the ones a fit may see)."""
    return counts.loc[counts["count"] >= max(int(k), 1), "share"].to_numpy(dtype=float)


def same_bins(a_shares, b_shares, scheme: str = "fisher_jenks") -> G.Bins:
    """One set of A/B/C/D bins fitted on the pooled shares of both sides.

    Applied to either side, the same share always gets the same grade (and colour).

    >>> bins = same_bins([0.5, 0.3, 0.1], [0.05, 0.02, 0.3])
    >>> bins.grade([0.3]).tolist() == bins.grade([0.3]).tolist()
    True
    >>> list(bins.grade([0.5, 0.3, 0.1, 0.02]))
    ['A', 'B', 'C', 'D']
    """
    pooled = np.concatenate([np.asarray(a_shares, dtype=float), np.asarray(b_shares, dtype=float)])
    return G.fit(pooled, scheme)


def grade_shares(counts: pd.DataFrame, bins: G.Bins, k: int = G.DEFAULT_MIN_COUNT) -> np.ndarray:
    """Grade per area: A–D by share when at least ``k`` people, else 样本不足 or 无."""
    count = counts["count"].to_numpy()
    out = np.where(count <= 0, NONE, G.INSUFFICIENT).astype(object)
    enough = count >= max(int(k), 1)
    if enough.any():
        out[enough] = bins.grade(counts["share"].to_numpy(dtype=float)[enough])
    return out


def share_ranges(bins: G.Bins) -> dict[str, str]:
    """Share range of each grade in percent, e.g. ``{"A": "> 8.5%", "B": "3.2% – 8.5%", …}``.

    >>> share_ranges(G.Bins("fisher_jenks", (0.01, 0.05)))
    {'A': '> 5.0%', 'B': '1.0% – 5.0%', 'C': '≤ 1.0%'}
    """
    return bins.ranges(lambda share: f"{share * 100:.1f}%")


# ----------------------------------------------------------------------------- comparing
def difference(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """``area_id``, ``count_a``, ``share_a``, ``count_b``, ``share_b``, ``change_pp`` (B − A, points)."""
    merged = a[["area_id", "count", "share"]].merge(b[["area_id", "count", "share"]], on="area_id",
                                                    how="outer", suffixes=("_a", "_b"))
    for col in ("count_a", "count_b"):
        merged[col] = merged[col].fillna(0).astype(int)
    for col in ("share_a", "share_b"):
        merged[col] = merged[col].fillna(0.0).astype(float)
    merged["change_pp"] = (merged["share_b"] - merged["share_a"]) * 100
    return merged[["area_id", "count_a", "share_a", "count_b", "share_b", "change_pp"]]


def _class(grade) -> str:
    return grade if grade in G.GRADES else UNGRADED


def transitions(grades_a: pd.DataFrame, grades_b: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Grade moves between two gradings (each: ``area_id``, ``grade``, optionally ``area_name``).

    Returns ``(table, matrix)``.  ``table``: area_id, area_name, grade_a, grade_b (as
    given, "—" when absent), move (e.g. "D→B"; 样本不足, nobody and absent are all
    未分级 there and in the matrix), change
    (升级 / 降级 / 不变 / 新进入 / 退出) and steps (+2 = two grades up), biggest
    moves first, areas ungraded on both sides left out.  ``matrix``: the number of
    areas per (A grade, B grade), rows and columns A, B, C, D, 未分级.

    >>> a = pd.DataFrame({"area_id": ["x", "y", "z"], "grade": ["A", "D", "样本不足"]})
    >>> b = pd.DataFrame({"area_id": ["x", "y", "w"], "grade": ["C", "B", "A"]})
    >>> table, matrix = transitions(a, b)
    >>> table[["area_id", "grade_a", "move", "change", "steps"]].values.tolist()
    [['w', '—', '未分级→A', '新进入', 4], ['y', 'D', 'D→B', '升级', 2], ['x', 'A', 'A→C', '降级', -2]]
    >>> int(matrix.loc["A", "C"]), int(matrix.loc["D", "B"]), int(matrix.loc["未分级", "A"]), int(matrix.values.sum())
    (1, 1, 1, 3)
    """
    moves = G.compare(grades_a, grades_b)  # area names, change (升级/降级/…) and steps, as everywhere else
    ga = moves["before"].map(_class)
    gb = moves["after"].map(_class)
    table = pd.DataFrame({"area_id": moves["area_id"], "area_name": moves["area_name"],
                          "grade_a": moves["before"], "grade_b": moves["after"],
                          "move": ga + "→" + gb, "change": moves["change"], "steps": moves["steps"]})
    keep = ((ga != UNGRADED) | (gb != UNGRADED)).to_numpy()
    table, ga, gb = table[keep], ga[keep], gb[keep]
    table = table.assign(_o=-table["steps"].abs(), _b=gb).sort_values(["_o", "_b", "area_name"]).drop(
        columns=["_o", "_b"])
    matrix = pd.crosstab(pd.Categorical(ga, MATRIX_ORDER), pd.Categorical(gb, MATRIX_ORDER), dropna=False)
    matrix.index, matrix.columns = list(MATRIX_ORDER), list(MATRIX_ORDER)
    return table.reset_index(drop=True), matrix


def new_battlefields(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Areas producing in B with nobody in A: ``area_id``, ``count_b`` (most first).

    With grades instead of counts (two saved plans): graded A–D in B while A had
    no visitors there (无到访 / 无) or did not list the area.
    """
    if "count" in a and "count" in b:
        merged = b[["area_id", "count"]].merge(a[["area_id", "count"]], on="area_id", how="left",
                                               suffixes=("_b", "_a"))
        hit = (merged["count_b"] > 0) & (merged["count_a"].fillna(0) <= 0)
        out = merged.loc[hit, ["area_id", "count_b"]]
        return out.sort_values(["count_b", "area_id"], ascending=[False, True]).reset_index(drop=True)
    merged = b[["area_id", "grade"]].merge(a[["area_id", "grade"]], on="area_id", how="left", suffixes=("_b", "_a"))
    hit = merged["grade_b"].isin(G.GRADES) & merged["grade_a"].fillna(NONE).isin([NONE, G.NO_VISITS])
    out = merged.loc[hit, ["area_id", "grade_b"]]
    return out.sort_values(["grade_b", "area_id"]).reset_index(drop=True)


@dataclass
class Comparison:
    """Everything the page shows for two counted sides."""

    table: pd.DataFrame  # one row per area with anyone on either side
    bins: G.Bins
    moves: pd.DataFrame
    matrix: pd.DataFrame
    new: pd.DataFrame
    k: int

    @property
    def shown(self) -> pd.DataFrame:
        """Areas whose change can be shown (neither side withheld)."""
        return self.table[self.table["change_shown"]]


def compare(a: pd.DataFrame, b: pd.DataFrame, names: pd.DataFrame | None = None,
            k: int = G.DEFAULT_MIN_COUNT, scheme: str = "fisher_jenks") -> Comparison:
    """Shares, shared bins, grades, change, moves and new battlefields of two counted sides.

    ``table`` columns: area_id, area_name, count_a, share_a, grade_a, count_b, share_b,
    grade_b, change_pp, change_shown (False when either side is withheld), new.
    """
    k = max(int(k), 1)
    bins = same_bins(shown_shares(a, k), shown_shares(b, k), scheme)
    table = difference(a, b)
    table["grade_a"] = grade_shares(table.rename(columns={"count_a": "count", "share_a": "share"}), bins, k)
    table["grade_b"] = grade_shares(table.rename(columns={"count_b": "count", "share_b": "share"}), bins, k)
    table = table[(table["count_a"] > 0) | (table["count_b"] > 0)]
    if names is not None:
        table = table.merge(names[["area_id", "area_name"]], on="area_id", how="left")
    if "area_name" not in table:
        table["area_name"] = table["area_id"]
    table["area_name"] = table["area_name"].fillna(table["area_id"])
    table["change_shown"] = ~(withheld(table["count_a"], k) | withheld(table["count_b"], k))
    new = new_battlefields(a, b)
    table["new"] = table["area_id"].isin(new["area_id"])
    table = table.sort_values(["share_b", "share_a"], ascending=False).reset_index(drop=True)
    moves, matrix = transitions(table[["area_id", "area_name"]].assign(grade=table["grade_a"]),
                                table[["area_id", "area_name"]].assign(grade=table["grade_b"]))
    return Comparison(table, bins, moves, matrix, new, k)


# ----------------------------------------------------------------------------- change classes
def _between(lo: float, hi: float) -> float:
    """A short number t with lo ≤ t < hi (or lo when nothing shorter fits)."""
    for digits in (0, 1, 2):
        t = round((lo + hi) / 2, digits)
        if lo <= t < hi:
            return float(t)
    return float(lo)


def change_bins(changes) -> tuple[float, float]:
    """Thresholds (t1, t2), symmetric around 0, of the five change classes.

    |change| ≤ t1 is 基本持平, t1 < |change| ≤ t2 a gain or a loss, beyond t2 a big
    one.  Fitted by Fisher-Jenks on the absolute changes (three classes), then
    moved to a short number between two neighbouring values, so every area keeps
    its class.

    >>> change_bins([0.1, -0.2, 0.15, 2.0, -2.4, 6.0, -7.5])
    (1.0, 4.0)
    """
    values = np.abs(np.asarray(changes, dtype=float))
    values = np.unique(values[np.isfinite(values) & (values > 0)])
    if values.size == 0:
        return 0.5, 1.0
    if values.size < 3:
        t1 = _between(0.0, float(values[0])) if values.size == 2 else float(values[0])
        return t1, float(values[-1]) if values.size == 2 else t1 * 2
    cuts = fisher_jenks(values, 3)
    t = []
    for cut in cuts[:2]:
        above = values[values > cut]
        t.append(_between(float(cut), float(above[0])) if above.size else float(cut))
    return (t[0], t[1]) if t[1] > t[0] else (t[0], t[0] * 2)


def change_class(changes, bins: tuple[float, float]) -> np.ndarray:
    """0 (big loss) … 2 (基本持平) … 4 (big gain) per change.

    >>> change_class([-5, -1.5, 0.3, 1.5, 5], (1.0, 4.0)).tolist()
    [0, 1, 2, 3, 4]
    """
    c = np.asarray(changes, dtype=float)
    t1, t2 = bins
    mag = np.where(np.abs(c) <= t1, 0, np.where(np.abs(c) <= t2, 1, 2))
    return (2 + np.sign(c) * mag).astype(int)


def change_labels(bins: tuple[float, float], unit: str = "个百分点") -> list[str]:
    """Legend labels of the five change classes, big loss first."""
    t1, t2 = bins
    return [f"减少超过 {t2:g} {unit}", f"减少 {t1:g} – {t2:g} {unit}", f"基本持平（±{t1:g} {unit}以内）",
            f"增加 {t1:g} – {t2:g} {unit}", f"增加超过 {t2:g} {unit}"]


PLAN_CHANGE_LABELS = ["降 2 级及以上", "降 1 级", "等级不变", "升 1 级", "升 2 级及以上"]


# ----------------------------------------------------------------------------- over time
def period_start_days(days: np.ndarray, freq: str) -> np.ndarray:
    """Day number of the start of each day's week (Monday) or month."""
    days = np.asarray(days, dtype=np.int64)
    if freq == "W":
        return days - (days + 3) % 7
    if freq == "M":
        return days.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    raise ValueError(f"unknown freq {freq!r}")


def period_label(start: dt.date, freq: str) -> str:
    """``2024-03`` for a month, ``2024-03-04 起`` for a week."""
    return f"{start:%Y-%m}" if freq == "M" else f"{start:%Y-%m-%d} 起"


def period_end(start: dt.date, freq: str) -> dt.date:
    """Last day of the week or month that begins on ``start``.

    >>> period_end(dt.date(2024, 2, 1), "M"), period_end(dt.date(2024, 4, 29), "W")
    (datetime.date(2024, 2, 29), datetime.date(2024, 5, 5))
    """
    if freq == "W":
        return start + dt.timedelta(days=6)
    following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def timeline(facts: Facts, layer_key: str, dimension: str, product_line: str | None, freq: str = "M",
             layer: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Visits and deals per period (week or month) and area: ``period`` (its first day),
    ``area_id``, ``visits``, ``deals``.

    Every period from the first to the last dated row, for every area with anyone
    in any period (zeros included), so a period's slice covers the same areas.
    """
    ids, index = facts.areas(layer_key, layer)
    n = len(ids)
    v = side_rows(facts, dimension, product_line, None, None, "visits") & (index >= 0) & (facts.day > 0)
    ddays = deal_days(facts)
    d = side_rows(facts, dimension, product_line, None, None, "deals") & (index >= 0) & (ddays > 0)
    pv, pd_ = period_start_days(facts.day[v], freq), period_start_days(ddays[d], freq)
    columns = ["period", "area_id", "visits", "deals"]
    if pv.size + pd_.size == 0:
        return pd.DataFrame(columns=columns)
    first, last = int(min(np.min(pv, initial=10**9), np.min(pd_, initial=10**9))), int(max(
        np.max(pv, initial=-10**9), np.max(pd_, initial=-10**9)))
    if freq == "W":
        starts = np.arange(first, last + 1, 7, dtype=np.int64)
    else:
        months = np.arange(np.datetime64(day_date(first), "M"), np.datetime64(day_date(last), "M") + 1)
        starts = months.astype("datetime64[D]").astype(np.int64)
    p = len(starts)
    visits = np.bincount(np.searchsorted(starts, pv) * n + index[v], minlength=p * n).reshape(p, n)
    deals = np.bincount(np.searchsorted(starts, pd_) * n + index[d], minlength=p * n).reshape(p, n)
    active = np.flatnonzero((visits.sum(axis=0) + deals.sum(axis=0)) > 0)
    periods = [day_date(s) for s in starts]
    return pd.DataFrame({
        "period": np.repeat(np.array(periods, dtype=object), len(active)),
        "area_id": np.tile(np.asarray(ids, dtype=object)[active], p),
        "visits": visits[:, active].ravel(),
        "deals": deals[:, active].ravel(),
    }, columns=columns)


def timeline_breaks(tl: pd.DataFrame, measure: str, k: int = G.DEFAULT_MIN_COUNT, classes: int = 5) -> list[float]:
    """Upper bounds of up to ``classes`` Fisher-Jenks classes of ``measure`` over **all** periods
    (counts of at least ``k`` only), so a colour means the same number in every period."""
    values = tl[measure].to_numpy(dtype=float)
    return class_breaks(values[values >= max(int(k), 1)], k=classes)


def top_areas(tl: pd.DataFrame, n: int = 5, by: str = "visits") -> list[str]:
    """The ``n`` areas with the most ``by`` over the whole timeline."""
    totals = tl.groupby("area_id")[by].sum()
    totals = totals[totals > 0]
    return totals.sort_values(ascending=False, kind="stable").head(n).index.tolist()


def series(tl: pd.DataFrame, area_ids: list[str], measure: str, k: int = G.DEFAULT_MIN_COUNT) -> pd.DataFrame:
    """Wide table: one row per period, one column per area, counts under ``k`` blanked (NaN)."""
    sub = tl[tl["area_id"].isin(area_ids)]
    wide = sub.pivot_table(index="period", columns="area_id", values=measure, aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=[a for a in area_ids if a in wide.columns])
    return wide.astype(float).mask(withheld(wide.to_numpy(), k))


def totals(tl: pd.DataFrame) -> pd.DataFrame:
    """Visits and deals per period over all areas (the project-level curve)."""
    return tl.groupby("period")[["visits", "deals"]].sum()


# ----------------------------------------------------------------------------- tables to show and export
def grade_text(grade: str) -> str:
    return "0 人" if grade == NONE else grade


def public_table(comp: Comparison, a_label: str, b_label: str) -> pd.DataFrame:
    """The area table with Chinese headers; counts, shares and changes under ``k`` left blank."""
    t = comp.table
    ha, hb = withheld(t["count_a"], comp.k), withheld(t["count_b"], comp.k)
    return pd.DataFrame({
        "区域": t["area_name"],
        f"{a_label} 人数": t["count_a"].astype(float).where(~ha),
        f"{a_label} 占比(%)": (t["share_a"] * 100).round(2).where(~ha),
        f"{a_label} 等级": t["grade_a"].map(grade_text),
        f"{b_label} 人数": t["count_b"].astype(float).where(~hb),
        f"{b_label} 占比(%)": (t["share_b"] * 100).round(2).where(~hb),
        f"{b_label} 等级": t["grade_b"].map(grade_text),
        "占比变化(百分点)": t["change_pp"].round(2).where(t["change_shown"]),
        "新战场": t["new"].map({True: "是", False: ""}),
    })


def public_moves(moves: pd.DataFrame, a_label: str, b_label: str) -> pd.DataFrame:
    """A :func:`transitions` table with Chinese headers."""
    return pd.DataFrame({"区域": moves["area_name"], f"{a_label} 等级": moves["grade_a"].map(grade_text),
                         f"{b_label} 等级": moves["grade_b"].map(grade_text), "变化": moves["change"],
                         "升降级数": moves["steps"]})


def public_matrix(matrix: pd.DataFrame, a_label: str, b_label: str) -> pd.DataFrame:
    """The transition matrix as a sheet: first column the A grade, then one column per B grade."""
    out = matrix.copy()
    out.columns = [f"{b_label} {g}" for g in out.columns]
    return out.rename_axis(f"{a_label} 等级").reset_index()


def public_timeline(tl: pd.DataFrame, names: pd.DataFrame, k: int, freq: str = "M") -> pd.DataFrame:
    """Visits and deals per period and area (areas with anyone), counts under ``k`` left blank."""
    tl = tl[(tl["visits"] > 0) | (tl["deals"] > 0)].merge(names[["area_id", "area_name"]], on="area_id", how="left")
    return pd.DataFrame({
        "时段": [period_label(p, freq) for p in tl["period"]], "区域": tl["area_name"].fillna(tl["area_id"]),
        "到访": tl["visits"].astype(float).where(~withheld(tl["visits"], k)),
        "成交": tl["deals"].astype(float).where(~withheld(tl["deals"], k))})


def workbook_sheets(comp: Comparison, a_label: str, b_label: str, tl: pd.DataFrame | None = None,
                    names: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Sheets for :func:`mapping.export.workbook.plan_workbook`: 区域对比, 等级迁移, 迁移矩阵, 新战场, 按月变化."""
    table = public_table(comp, a_label, b_label)
    sheets = {"区域对比": table,
              "等级迁移": public_moves(comp.moves, a_label, b_label),
              "迁移矩阵": public_matrix(comp.matrix, a_label, b_label),
              "新战场": table.loc[table["新战场"] == "是", ["区域", f"{b_label} 人数", f"{b_label} 等级"]]}
    if tl is not None and names is not None:
        sheets["按月变化"] = public_timeline(tl, names, comp.k, "M")
    return sheets
