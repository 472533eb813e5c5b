"""Visits against deals: shrunk conversion rates, the four-quadrant reading, deal mix, advice.

Raw conversion is noisy where visits are few: an area with 2 visits and 1 deal
"converts" 50 %.  :func:`shrink` pulls each area's rate toward the project
average with an empirical-Bayes beta-binomial prior (its strength fitted to the
areas by maximum marginal likelihood, then capped by :func:`prior_cap`) and gives
a 90 % credible interval, so small areas neither top nor bottom the list on luck.

The cap keeps a small project readable: with a few hundred visitors the fitted
strength can run to thousands of pseudo-visits (the spread between areas looks
like noise), which puts every area at the average and the quadrant chart in one
cloud.  Capped at a quarter of the median area's visits, an area of median size
keeps at least 80 % of the weight on its own rate, while an area of 2 visits
still keeps little.

>>> t = shrink([2, 100], [1, 20], prior_strength=20, average=0.1)
>>> [round(x, 3) for x in t["rate"]]
[0.136, 0.183]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special, stats

QUADRANTS = ("主力", "高访低成", "潜力", "低效")
QUADRANT_HELP = {
    "主力": "到访多、成交率高：保持投入",
    "高访低成": "到访多、成交率低：查原因，调整推介产品",
    "潜力": "到访少、成交率高：加大拓客",
    "低效": "到访少、成交率低：减少投入",
}
QUADRANT_COLOURS = {"主力": "#b30000", "高访低成": "#f08c00", "潜力": "#1c7ed6", "低效": "#868e96"}
DOMINANT_SHARE = 0.7  # a line with this share of an area's deals is "its" product
PRIOR_CAP_SHARE = 0.25  # prior strength at most this share of the median area's visits (see prior_cap)


def fit_prior_strength(visits, deals, average: float) -> float:
    """Beta prior strength m (pseudo-visits) by maximum marginal likelihood over a grid."""
    v = np.asarray(visits, dtype=float)
    d = np.asarray(deals, dtype=float)
    keep = v > 0
    v, d = v[keep], d[keep]
    if v.size < 2 or not 0 < average < 1:
        return 10.0
    grid = np.logspace(0, 4, 121)
    a0, b0 = grid[:, None] * average, grid[:, None] * (1 - average)
    loglik = (special.betaln(d + a0, v - d + b0) - special.betaln(a0, b0)).sum(axis=1)
    return float(grid[int(np.argmax(loglik))])


def prior_cap(visits) -> float:
    """The largest prior strength :func:`shrink` fits: :data:`PRIOR_CAP_SHARE` × the median
    visits of the areas with any visit, at least 1.

    With strength m an area of n visits puts n / (n + m) of the weight on its own
    rate, so an area of median size keeps at least 1 / (1 + 0.25) = 80 %.

    Examples
    --------
    >>> prior_cap([0, 20, 60, 100]), prior_cap([2]), prior_cap([])
    (15.0, 1.0, 1.0)
    """
    v = np.asarray(visits, dtype=float)
    v = v[v > 0]
    return max(PRIOR_CAP_SHARE * float(np.median(v)), 1.0) if v.size else 1.0


def shrink(visits, deals, prior_strength: float | None = None, average: float | None = None,
           level: float = 0.9) -> pd.DataFrame:
    """Shrunk conversion per area: ``raw``, ``rate`` (posterior mean), ``low``/``high`` (interval).

    ``average`` defaults to total deals / total visits.  ``prior_strength`` defaults to
    the fitted one (:func:`fit_prior_strength`) capped by :func:`prior_cap`: at most a
    quarter of the median area's visits, so a small project's areas keep their spread.
    ``attrs`` hold ``average``, ``prior_strength`` (used), ``prior_fitted`` and ``prior_cap``.
    """
    v = np.asarray(visits, dtype=float)
    d = np.minimum(np.asarray(deals, dtype=float), v)
    if average is None:
        average = float(d.sum() / v.sum()) if v.sum() else 0.0
    fitted = cap = None
    if prior_strength is None:
        fitted, cap = fit_prior_strength(v, d, average), prior_cap(v)
        prior_strength = min(fitted, cap)
    m = float(prior_strength)
    p0 = min(max(average, 1e-6), 1 - 1e-6)
    a, b = d + m * p0, v - d + m * (1 - p0)
    tail = (1 - level) / 2
    out = pd.DataFrame({
        "raw": np.where(v > 0, d / np.where(v > 0, v, 1), np.nan),
        "rate": a / (a + b),
        "low": stats.beta.ppf(tail, a, b),
        "high": stats.beta.ppf(1 - tail, a, b),
    })
    out.attrs.update(average=average, prior_strength=m, prior_fitted=fitted, prior_cap=cap)
    return out


def quadrants(visits, rate, average: float, visit_split: float | None = None) -> np.ndarray:
    """主力 / 高访低成 / 潜力 / 低效 from visits (split at ``visit_split``, default the
    median) and shrunk rate (split at the project average)."""
    v = np.asarray(visits, dtype=float)
    r = np.asarray(rate, dtype=float)
    split = float(np.median(v)) if visit_split is None else float(visit_split)
    many, good = v > split, r >= average
    return np.select([many & good, many & ~good, ~many & good], ["主力", "高访低成", "潜力"], "低效").astype(object)


def deal_mix(deal_lines: pd.DataFrame) -> pd.DataFrame:
    """Per area: deals by product line, their shares, and the dominant line.

    ``deal_lines``: area_id × product line counts (columns are lines).  With no deals at all
    (no line columns) every area has 0 deals and no dominant line.

    Examples
    --------
    >>> import pandas as pd
    >>> deal_mix(pd.DataFrame(index=pd.Index(["a"], name="area_id")))[["deals_total", "top_line"]].values.tolist()
    [[0, '']]
    """
    counts = deal_lines.fillna(0).astype(int)
    total = counts.sum(axis=1).astype(int)
    shares = counts.div(total.where(total > 0, 1), axis=0)
    top = (shares.idxmax(axis=1) if len(shares.columns) else pd.Series("", index=shares.index)).where(total > 0, "")
    out = pd.DataFrame({"deals_total": total, "top_line": top,
                        "top_share": shares.max(axis=1).where(total > 0, 0.0)}, index=counts.index)
    return pd.concat([out, counts.add_prefix("deals_"), shares.add_prefix("share_")], axis=1)


def advice(quadrant: str, top_line: str, top_share: float, deals: int) -> str:
    """One line of advice per area, in the words the sales team uses."""
    focused = bool(top_line) and deals > 0 and top_share >= DOMINANT_SHARE
    if quadrant == "高访低成":
        return f"高访低成：仅推{top_line}" if focused else "高访低成：查转化原因，调整推介产品"
    if quadrant == "主力":
        return f"主力：保持投入，主推{top_line}" if focused else "主力：保持投入"
    if quadrant == "潜力":
        return f"潜力：加大拓客，主推{top_line}" if focused else "潜力：加大拓客"
    return "低效：减少投入"


def table(counts: pd.DataFrame, mix: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """The per-area reading: visits, deals, raw and shrunk conversion with interval,
    quadrant, deal mix and advice.  Areas with fewer than ``min_count`` visits are
    marked 样本不足 and get no figures (counts withheld, not used to fit the prior).

    ``counts``: area_id, area_name, visits, deals.
    """
    out = counts.merge(mix, left_on="area_id", right_index=True, how="left")
    enough = out["visits"] >= max(int(min_count), 1)
    average = float(out["deals"].sum() / out["visits"].sum()) if out["visits"].sum() else 0.0
    shrunk = shrink(out.loc[enough, "visits"], out.loc[enough, "deals"], average=average)
    for col in ("raw", "rate", "low", "high"):
        out[col] = np.nan
        out.loc[enough, col] = shrunk[col].to_numpy()
    out["quadrant"] = "样本不足"
    split = float(np.median(out.loc[enough, "visits"])) if enough.any() else 0.0
    if enough.any():
        out.loc[enough, "quadrant"] = quadrants(out.loc[enough, "visits"], out.loc[enough, "rate"], average, split)
    out["advice"] = [advice(q, t if isinstance(t, str) else "", s if s == s else 0.0, int(d or 0))
                     if q != "样本不足" else f"少于 {min_count} 人，不作判断"
                     for q, t, s, d in zip(out["quadrant"], out["top_line"], out["top_share"], out["deals_total"])]
    out.attrs.update(average=average, visit_split=split, prior_strength=shrunk.attrs.get("prior_strength"),
                     prior_fitted=shrunk.attrs.get("prior_fitted"), prior_cap=shrunk.attrs.get("prior_cap"))
    order = {q: i for i, q in enumerate(QUADRANTS)}
    out["_order"] = out["quadrant"].map(order).fillna(len(order))
    return out.sort_values(["_order", "visits"], ascending=[True, False]).drop(columns="_order").reset_index(drop=True)
