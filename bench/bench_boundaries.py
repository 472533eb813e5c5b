"""The national boundary layer: loading 12 cities' district layers, and locate() on 1,000,000 points.

Usage
-----
    .venv/bin/python bench/bench_boundaries.py
    .venv/bin/python bench/bench_boundaries.py --points 200000 --repeat 3

Rows:

- per city, *cold*: the district layer (full resolution, then display) right after clearing
  the module's caches (province file read + city filter + copy); *warm*: the same call
  again (median of ``--repeat`` calls: the cached frame copied);
- ``locate`` on ``--points`` random points inside China (uniform over the land, drawn
  by rejection against the display layer; building them is not timed): *cold* is the
  first call of the process (reads every province file and the grid), *warm* the median
  of ``--repeat`` further calls;
- ``locate`` on the same number of points spread over the 12 cities (uniform in each
  city's bounding box, so many fall near district borders), warm.

Wall time is ``time.perf_counter``; one process, the machine is shared (2 cores), so
expect ±20 % between runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mapping.geo import boundaries
from mapping.schema import LAYER_DISTRICTS

CITIES = ("110000", "310000", "440100", "440300", "510100", "500000",
          "330100", "420100", "320100", "320500", "610100", "120000")
CACHES = ("_read", "_read_province", "_city_frame", "_outline", "_national")


def clear_caches() -> None:
    for name in CACHES:
        getattr(boundaries, name).cache_clear()


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def warm(fn, repeat: int, *args, **kwargs) -> float:
    return statistics.median(timed(fn, *args, **kwargs)[0] for _ in range(repeat))


def points_in_china(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniform over the land of the national layer (rejection sampling)."""
    layer = boundaries.city_districts(list(boundaries.city_names()), display=True)
    land = shapely.coverage_union_all(np.asarray(layer.geometry))
    shapely.prepare(land)
    x0, y0, x1, y1 = land.bounds
    rng = np.random.default_rng(seed)
    xs, ys, have = [], [], 0
    while have < n:
        x, y = rng.uniform(x0, x1, 4 * n), rng.uniform(y0, y1, 4 * n)
        keep = shapely.contains_xy(land, x, y)
        xs.append(x[keep])
        ys.append(y[keep])
        have += int(keep.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def points_in_cities(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    boxes = [boundaries.load_layer(LAYER_DISTRICTS, city=c).total_bounds for c in CITIES]
    per = np.diff(np.linspace(0, n, len(boxes) + 1).astype(int))
    x = np.concatenate([rng.uniform(b[0], b[2], k) for b, k in zip(boxes, per)])
    y = np.concatenate([rng.uniform(b[1], b[3], k) for b, k in zip(boxes, per)])
    return x, y


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    rows = ["| what | districts | vertices (full) | cold full s | warm full ms | cold display s | warm display ms |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for city in CITIES:
        clear_caches()
        cold_full, layer = timed(boundaries.load_layer, LAYER_DISTRICTS, city=city)
        warm_full = warm(boundaries.load_layer, args.repeat, LAYER_DISTRICTS, city=city)
        clear_caches()
        cold_display, _ = timed(boundaries.load_layer, LAYER_DISTRICTS, display=True, city=city)
        warm_display = warm(boundaries.load_layer, args.repeat, LAYER_DISTRICTS, display=True, city=city)
        vertices = int(shapely.get_num_coordinates(np.asarray(layer.geometry)).sum())
        rows.append(f"| {boundaries.city_name(city)} {city} | {len(layer)} | {vertices:,} | {cold_full:.3f} | "
                    f"{warm_full * 1000:.1f} | {cold_display:.3f} | {warm_display * 1000:.1f} |")
    print("\n".join(rows))

    lng, lat = points_in_china(args.points, args.seed)
    clear_caches()
    cold, found = timed(boundaries.locate, lng, lat)
    hot = warm(boundaries.locate, args.repeat, lng, lat)
    nat = boundaries._national()
    col = np.floor((lng - nat.west) / nat.cell).astype(int)
    row = np.floor((lat - nat.south) / nat.cell).astype(int)
    mixed = (nat.grid[row, col] == boundaries.GRID_MIXED).mean()
    cx, cy = points_in_cities(args.points, args.seed + 1)
    city_hot = warm(boundaries.locate, args.repeat, cx, cy)
    col = np.floor((cx - nat.west) / nat.cell).astype(int)
    row = np.floor((cy - nat.south) / nat.cell).astype(int)
    city_mixed = (nat.grid[row, col] == boundaries.GRID_MIXED).mean()
    print()
    print("| locate | points | in a county | exact-tested | cold s | warm s |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| uniform over China's land | {args.points:,} | {(found != '').mean():.1%} | {mixed:.1%} | "
          f"{cold:.2f} | {hot:.2f} |")
    print(f"| uniform in the 12 cities' boxes | {args.points:,} | "
          f"{(boundaries.locate(cx, cy) != '').mean():.1%} | {city_mixed:.1%} | | {city_hot:.2f} |")


if __name__ == "__main__":
    main()
