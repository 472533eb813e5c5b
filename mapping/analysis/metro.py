"""The metropolitan scope of a project: its city and the neighbouring cities that send it visitors.

A 昆山 project (city 苏州 320500) lives on Shanghai buyers; a 燕郊 project (廊坊 131000)
on Beijing's.  Their maps would be half empty if they drew only the project's city, so
the district layer of a project covers its own city **plus every neighbouring city
(sharing a border, :func:`mapping.geo.boundaries.neighbours`) whose districts hold at
least** ``min_count`` **located visitor locations** and at least :data:`MIN_SHARE` of
the project's located ones: enough to be graded rather than withheld, and more than a
stray few.  Farther cities stay "outside the city" (counted and shown, not mapped).

>>> counts = {"310115": 900, "320583": 120, "320505": 4, "110105": 40}
>>> scope("310000", counts, min_count=5, neighbours=("320500", "330400"))
('310000', '320500')
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from mapping.geo import boundaries

MIN_SHARE = 0.02  # a neighbouring city must hold this share of the located locations to be drawn
PROPOSE_SHARE = 0.5  # another city holding this share of the located locations is proposed as the project's
OWN_SHARE = 0.1  # ... while the project's own city holds less than this (a 燕郊 project's buyers are mostly Beijing's)
PROPOSE_MIN = 20  # ... once there are at least this many located locations


def scope(city: str, counts: Mapping[str, int], min_count: int,
          neighbours: Iterable[str] | None = None) -> tuple[str, ...]:
    """The project's city first, then the neighbouring cities that send visitors, most first.

    Parameters
    ----------
    city : str
        The project's city (6-digit adcode: 310000 for Shanghai, 320500 for 苏州).
    counts : mapping of str to int
        Located visitor locations per county-level adcode (every dimension together).
    min_count : int
        The project's minimum count *k*: a city below it is not drawn.
    neighbours : iterable of str, optional
        The cities bordering ``city``; by default from the national boundary layer.

    Returns
    -------
    tuple of str
        City adcodes, ``city`` first; ties between neighbours go by adcode.
    """
    near = set(boundaries.neighbours(city) if neighbours is None else neighbours)
    total = sum(int(n) for n in counts.values())
    per_city: Counter[str] = Counter()
    for adcode, n in counts.items():
        other = _city_of(adcode)
        if other in near:
            per_city[other] += int(n)
    sending = [c for c, n in per_city.items() if n >= max(1, min_count) and n >= MIN_SHARE * total]
    return (city, *sorted(sending, key=lambda c: (-per_city[c], c)))


def _city_of(adcode: str) -> str:
    try:
        return boundaries.city_of(adcode)
    except (KeyError, ValueError):
        return ""


def proposed_city(city: str, counts: Mapping[str, int]) -> tuple[str, float] | None:
    """The city most located locations are in, with its share, when it is not ``city``, holds at
    least :data:`PROPOSE_SHARE` of them and ``city`` itself holds less than :data:`OWN_SHARE`: the
    project was probably created in the wrong city.  (A project near a border can live on the next
    city's buyers — 燕郊 on Beijing's — and still have its own visitors: that is no mistake.)

    >>> proposed_city("310000", {"510104": 60, "510107": 35, "310115": 5})
    ('510100', 0.95)
    >>> proposed_city("131000", {"110105": 70, "131082": 30}) is None
    True
    """
    per_city: Counter[str] = Counter()
    for adcode, n in counts.items():
        per_city[_city_of(adcode)] += int(n)
    per_city.pop("", None)
    total = sum(per_city.values())
    if total < PROPOSE_MIN:
        return None
    best, n = min(per_city.items(), key=lambda item: (-item[1], item[0]))
    share = n / total
    wrong = best != city and share >= PROPOSE_SHARE and per_city.get(city, 0) < OWN_SHARE * total
    return (best, round(share, 4)) if wrong else None
