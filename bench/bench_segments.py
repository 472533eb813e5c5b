"""Time mapping.segments at a million rows: band assignment and hometown derivation.

Usage (on the shared 2-core machine, never overlapping other benchmarks)::

    flock /tmp/bench.lock .venv/bin/python bench/bench_segments.py [--rows 1000000]

Band assignment gets ~1,000 distinct area strings and ~1,000 distinct price strings repeated
over the rows (questionnaire values repeat); hometown gets all-distinct synthetic ID numbers
(made here with the right check digit) over 7 address codes, two of them historic.
Prints the best of three runs for each.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mapping.segments.bands import AREA_BANDS, PRICE_BANDS, assign, report  # noqa: E402
from mapping.segments.hometown import check_digit, derive  # noqa: E402


def _best(fn, *args) -> float:
    times = []
    for _ in range(3):
        t = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t)
    return min(times)


def main(rows: int) -> None:
    rng = np.random.default_rng(0)
    areas = np.array([f"{a}-{a + 20}㎡" for a in range(50, 550)] + [f"约{a}平" for a in range(50, 550)], dtype=object)
    prices = np.array([f"{p}万" for p in range(100, 600)] + [f"{p}-{p + 50}w" for p in range(100, 600)], dtype=object)
    area_values = areas[rng.integers(0, len(areas), rows)]
    price_values = prices[rng.integers(0, len(prices), rows)]
    print(f"assign area  {rows:,} rows: {_best(assign, area_values, AREA_BANDS):.3f} s")
    print(f"assign price {rows:,} rows: {_best(assign, price_values, PRICE_BANDS):.3f} s")
    print(f"report area  {rows:,} rows: {_best(report, area_values, 'area'):.3f} s")
    prefixes = ["310115", "110101", "512201", "429004", "510202", "320102", "440305"]
    firsts = [f"{prefixes[i % 7]}{1960 + i % 50}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}" for i in range(rows)]
    ids = [f + check_digit(f) for f in firsts]
    print(f"hometown     {rows:,} rows: {_best(derive, ids):.3f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    main(parser.parse_args().rows)
