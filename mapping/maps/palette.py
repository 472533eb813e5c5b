"""Colour ramps of the maps, and the one way a value becomes a class and a class a colour.

Classes follow :func:`mapping.analysis.breaks.class_breaks`: ``breaks`` are
ascending upper bounds, class ``i`` holds the values in ``(breaks[i-1], breaks[i]]``
(upper-inclusive, like mapclassify).  A map takes :func:`ramp` colours, one per
class, and :func:`colour_of` fills each area; values of 0 or less get the pale
``zero`` colour instead, so "nobody" never looks like "a few".

Grade colours (A/B/C/D, 样本不足) and the change classes of the launch page are
not ramps of counts: they live with their classes in
:mod:`mapping.analysis.grading` and :mod:`mapping.analysis.launch`.

>>> breaks = [10.0, 50.0, 200.0]
>>> classify([0, 10, 11, 200], breaks).tolist()
[0, 0, 1, 2]
>>> colour_of([0, 10, 11, 200], breaks, ramp(ORANGES, len(breaks)), zero=ZERO_FILL).tolist()
['#eeeeee', '#fdd0a2', '#fdae6b', '#f16913']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

# ColorBrewer sequential ramps, five classes, lightest first (the palest step of
# each nine-class ramp is left out: it reads as "nobody", which is ZERO_FILL's job).
ORANGES = ("#fdd0a2", "#fdae6b", "#f16913", "#d94801", "#8c2d04")  # counts: visitor map, over-time maps
PURPLES = ("#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f")  # drawn over the orange-red grades (H3 hexagons)
BLUES = ("#d0d1e6", "#a6bddb", "#74a9cf", "#2b8cbe", "#045a8d")  # visits under the orange/green deal pies
ZERO_FILL = "#eeeeee"  # areas with no one (or withheld): a neutral grey, not the lightest class


def classify(values: ArrayLike, breaks: Sequence[float]) -> np.ndarray:
    """Class index of each value for the upper bounds ``breaks``.

    Parameters
    ----------
    values : array-like of float
        One value per area.
    breaks : sequence of float
        Ascending upper bounds of the classes, e.g. from
        :func:`mapping.analysis.breaks.class_breaks`.

    Returns
    -------
    numpy.ndarray of int
        ``0`` for values up to ``breaks[0]`` (inclusive), ``i`` for values in
        ``(breaks[i-1], breaks[i]]``, ``len(breaks)`` above the last bound (and
        for NaN).

    Examples
    --------
    >>> classify([1, 5, 5.5, 9, 12], [5, 9]).tolist()
    [0, 0, 1, 1, 2]
    """
    return np.searchsorted(np.asarray(breaks, dtype=float), np.asarray(values, dtype=float), side="left")


def ramp(palette: Sequence[str], n: int) -> list[str]:
    """The first ``n`` colours of ``palette``: at least one, at most all of them.

    Fewer classes take the lighter colours, so a colour keeps its meaning
    ("few") whatever the number of classes.

    >>> ramp(ORANGES, 2), len(ramp(ORANGES, 9)), ramp(ORANGES, 0)
    (['#fdd0a2', '#fdae6b'], 5, ['#fdd0a2'])
    """
    return list(palette[: max(int(n), 1)])


def colour_of(values: ArrayLike, breaks: Sequence[float], colours: Sequence[str], *,
              zero: str | None = None) -> np.ndarray:
    """The colour of each value: ``colours[class]`` (:func:`classify`).

    Parameters
    ----------
    values : array-like of float
        One value per area.
    breaks : sequence of float
        Ascending upper bounds of the classes.
    colours : sequence of str
        One colour per class, lightest first (e.g. :func:`ramp`); classes past
        the last colour take the last colour.
    zero : str, optional
        Colour of values of 0 or less; without it they fall in the first class.

    Returns
    -------
    numpy.ndarray of str (object dtype)
        One colour per value.

    Examples
    --------
    >>> colour_of([0, 3, 40], [5, 50], ["#aaa", "#555"], zero="#eee").tolist()
    ['#eee', '#aaa', '#555']
    >>> colour_of([70], [5, 50], ["#aaa", "#555"]).tolist()  # above the last bound: the last colour
    ['#555']
    """
    if len(colours) == 0:
        raise ValueError("'colours' must hold at least one colour, got an empty sequence")
    v = np.asarray(values, dtype=float)
    classes = np.minimum(classify(v, breaks), len(colours) - 1)
    out = np.asarray(colours, dtype=object)[classes]
    if zero is not None:
        out = np.where(v <= 0, zero, out).astype(object)
    return out
