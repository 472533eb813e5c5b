"""Exact Fisher-Jenks natural breaks, fast: dynamic programming over the *distinct* values.

mapclassify's ``FisherJenks`` is exact but runs in pure Python without numba
(8–17 s for 2,000 H3 scores).  Counts and scores repeat a lot, so the same
optimum is found over the distinct values weighted by how often they occur,
with the within-class sums of squares from prefix sums and one vectorised
minimum per class: a fraction of a second.  Same result as mapclassify
(upper bounds of the classes, the last one being the maximum).
:func:`class_breaks` is what maps shade counts with: Fisher-Jenks classes of the
positive values only.

>>> fisher_jenks([1, 1, 2, 2, 9, 10, 10, 30], 3)
[2.0, 10.0, 30.0]
"""

from __future__ import annotations

import mapclassify
import numpy as np

MAX_DISTINCT = 2500  # beyond this many distinct values: mapclassify's sampled variant


def fisher_jenks(values, k: int) -> list[float]:
    """Upper bounds of ``k`` classes minimising the within-class sum of squared deviations."""
    y = np.asarray(values, dtype=float)
    y = y[np.isfinite(y)]
    u, w = np.unique(y, return_counts=True)
    m = u.size
    if m == 0:
        return []
    k = int(min(k, m))
    if k <= 1:
        return [float(u[-1])]
    if m > MAX_DISTINCT:
        return [float(b) for b in mapclassify.FisherJenksSampled(y, k=k).bins]
    w = w.astype(float)
    cw = np.concatenate([[0.0], np.cumsum(w)])
    c1 = np.concatenate([[0.0], np.cumsum(w * u)])
    c2 = np.concatenate([[0.0], np.cumsum(w * u * u)])
    i = np.arange(m)[:, None]  # class starts at distinct value i …
    j = np.arange(m)[None, :]  # … and ends at j (inclusive)
    with np.errstate(divide="ignore", invalid="ignore"):
        n = cw[j + 1] - cw[i]
        s = c1[j + 1] - c1[i]
        ssd = np.where(j >= i, (c2[j + 1] - c2[i]) - s * s / n, np.inf)
    cost = ssd[0].copy()  # one class covering 0..j
    back = np.zeros((k, m), dtype=int)
    for c in range(1, k):
        # cost of c+1 classes over 0..j = min over the last class start i ≥ 1 of cost[i-1] + ssd[i, j]
        total = cost[:-1, None] + ssd[1:, :]
        best = np.argmin(total, axis=0)
        cost = total[best, np.arange(m)]
        back[c] = best + 1
    bounds, end = [], m - 1
    for c in range(k - 1, 0, -1):
        start = back[c, end]
        bounds.append(float(u[end]))
        end = start - 1
    bounds.append(float(u[end]))
    return sorted(bounds)


def class_breaks(values, k: int = 5) -> list[float]:
    """Upper bounds of up to ``k`` Fisher-Jenks classes of the positive values.

    Zeros (and negatives) are left out: a map shows them apart ("0 人"), so they
    must not pull the lowest class down.  Fewer classes than ``k`` when there are
    fewer distinct positive values.

    Parameters
    ----------
    values : array-like of float
        Counts or scores, one per area.
    k : int, default 5
        Most classes wanted.

    Returns
    -------
    list of float
        Ascending upper bounds, the last one the largest value; ``[]`` when no
        value is positive, one bound when all positive values are equal.

    Examples
    --------
    >>> class_breaks([0, 0, 1, 1, 2, 9, 10, 30], k=3)
    [2.0, 10.0, 30.0]
    >>> class_breaks([0, 4, 4]), class_breaks([0, 0])
    ([4.0], [])
    """
    positive = np.asarray(values, dtype=float)
    positive = positive[positive > 0]
    if positive.size == 0:
        return []
    k = int(min(k, np.unique(positive).size))
    if k < 2:
        return [float(positive.max())]
    return fisher_jenks(positive, k)
