"""Resolution at scale: 1,000,000 visitor rows holding 20,000 unique place strings, and
1,000,000 coordinate points converted from GCJ-02 and joined to districts.

Usage: .venv/bin/python bench/bench_resolve.py [--rows 1000000] [--unique 20000] [--points 1000000]

Prints wall times per stage and the process's peak RSS (ru_maxrss).  The gazetteer
index is built once per process (about 2 s) and reported on its own line.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mapping.geo.coords import wgs84_to_gcj02  # noqa: E402
from mapping.place import gazetteer  # noqa: E402
from mapping.place.resolve import resolve_points, resolve_texts  # noqa: E402

ROADS = ["金桥路", "张杨路", "世纪大道", "浦东南路", "南京西路", "淮海中路", "漕溪北路", "四平路", "中山北路",
         "沪闵路", "共和新路", "长寿路", "延安西路", "曹杨路", "川沙路", "龙阳路", "锦绣路", "碧云路"]


def unique_strings(n: int, seed: int = 7) -> list[str]:
    """Realistic place strings: the labelled set, the sample texts, towns, landmarks, then addresses."""
    rng = np.random.default_rng(seed)
    base = pd.read_csv(ROOT / "tests" / "data" / "place_accuracy.csv", dtype=str, keep_default_na=False)["text"]
    sample = pd.read_csv(ROOT / "data" / "samples" / "sample_place_texts.csv", dtype=str,
                         keep_default_na=False).iloc[:, 0]
    towns = pd.read_csv(ROOT / "data" / "gazetteer" / "towns_cn.csv", dtype=str, keep_default_na=False)
    sh_towns = towns[towns["adcode"].str.startswith("3101")]
    landmarks = pd.read_csv(ROOT / "data" / "gazetteer" / "shanghai_landmarks.csv", dtype=str,
                            keep_default_na=False)["name"]
    districts = ["浦东新区", "徐汇区", "静安区", "黄浦区", "长宁区", "杨浦区", "闵行区", "宝山区", "普陀区"]
    strings = list(dict.fromkeys([*base, *sample, *sh_towns["name"], *landmarks]))
    seen = set(strings)
    while len(strings) < n:
        d, r = districts[rng.integers(len(districts))], ROADS[rng.integers(len(ROADS))]
        text = f"上海市{d}{r}{rng.integers(1, 3000)}号"
        if text not in seen:  # the same list as de-duplicating after every append, without the quadratic cost
            seen.add(text)
            strings.append(text)
    return strings[:n]


def timed(label: str, func, *args):
    start = time.perf_counter()
    result = func(*args)
    print(f"{label:<58} {time.perf_counter() - start:8.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--unique", type=int, default=20_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    strings = unique_strings(args.unique)
    weights = 1.0 / np.arange(1, len(strings) + 1) ** 0.8  # a few strings are very common
    rows = list(np.asarray(strings, dtype=object)[rng.choice(len(strings), args.rows, p=weights / weights.sum())])
    print(f"{args.rows:,} rows, {len(set(rows)):,} unique strings; {args.points:,} points")
    timed("build gazetteer index (once per process)", gazetteer.index, "310000")
    result = timed(f"resolve_texts: {args.rows:,} rows, cold", resolve_texts, rows)
    placed = (result["adcode"] != "").mean()
    print(f"{'  share given a district':<58} {placed:8.1%}")
    timed(f"resolve_texts: {args.rows:,} rows, again (same process)", resolve_texts, rows)
    lng = rng.uniform(121.0, 122.0, args.points)
    lat = rng.uniform(30.7, 31.9, args.points)
    g_lng, g_lat = wgs84_to_gcj02(lng, lat)
    timed(f"resolve_points: {args.points:,} GCJ-02 points → WGS-84 → districts", resolve_points, g_lng, g_lat, "GCJ02")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak RSS':<58} {peak:8.0f} MB")


if __name__ == "__main__":
    main()
