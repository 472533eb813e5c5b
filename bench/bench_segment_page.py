"""Time the 客群细分 page's readings at a million visitors (synthetic, in memory, no database).

Usage (on the shared 2-core machine, never overlapping other benchmarks)::

    flock /tmp/bench.lock .venv/bin/python bench/bench_segment_page.py [--visitors 1000000]

Facts of ``visitors`` × 3 dimensions in Shanghai (work points spread over 浦东, a third of them
near the parks of the gazetteer), 8 industries, 4 lines, 8 % deals; hometown codes over 300 cities;
意向面积 texts from 1,000 distinct strings.  Times (best of three): the work rows (one row per visitor
with a work location, parks by k-d tree), the targeting list, the area industries, the map counts, the
visitor frame, the hometown table by city, the band distribution and the unread summary.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mapping import schema as S  # noqa: E402
from mapping.analysis.facts import Facts  # noqa: E402
from mapping.geo import boundaries  # noqa: E402
from mapping.segments import band_tables as BT  # noqa: E402
from mapping.segments import origin as O  # noqa: E402
from mapping.segments import work as W  # noqa: E402
from mapping.segments.bands import AREA_BANDS  # noqa: E402

INDUSTRIES = ["金融", "IT互联网", "制造业", "贸易物流", "教育医疗", "公务员", "自由职业", "其他"]
LINES = ["", "公寓", "洋房", "别墅", "商铺"]


def _best(fn, *args, **kwargs) -> tuple[float, object]:
    times, out = [], None
    for _ in range(3):
        t = time.perf_counter()
        out = fn(*args, **kwargs)
        times.append(time.perf_counter() - t)
    return min(times), out


def facts_of(n: int, rng: np.random.Generator) -> Facts:
    rows = 3 * n
    visitor = np.repeat(np.arange(n, dtype=np.int64), 3)
    dim = np.tile(np.arange(3, dtype=np.int8), n)
    parks = W.parks(S.SHANGHAI)
    near = rng.random(rows) < 0.33
    pick = rng.integers(0, len(parks), rows)
    lng = np.where(near, parks["lng"].to_numpy()[pick] + rng.normal(0, 0.006, rows), rng.uniform(121.45, 121.8, rows))
    lat = np.where(near, parks["lat"].to_numpy()[pick] + rng.normal(0, 0.006, rows), rng.uniform(31.05, 31.35, rows))
    adcode = boundaries.locate(lng, lat).astype(object)
    line = np.repeat(rng.integers(1, 5, n).astype(np.int16), 3)
    deal = np.repeat(rng.random(n) < 0.08, 3)
    intention = np.repeat(rng.integers(0, 4, n).astype(np.int16), 3)
    return Facts(visitor=visitor, dim=dim, line=line, lines_all=LINES, channel=np.zeros(rows, np.int16),
                 channels_all=["拓客"], intention=intention, intentions_all=["A", "B", "C", "D"],
                 day=np.full(rows, 19800, np.int32), deal=deal, deal_day=np.where(deal, 19850, 0).astype(np.int32),
                 deal_line=np.where(deal, line, 0).astype(np.int16), deal_lines_all=LINES, high=intention < 2,
                 lng=lng, lat=lat, adcode=adcode, town_code=np.full(rows, "", dtype=object),
                 given=np.ones(rows, bool), resolved=adcode != "", outside=adcode == "", city=S.SHANGHAI)


def main(n: int) -> None:
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    facts = facts_of(n, rng)
    print(f"synthetic facts: {len(facts):,} rows ({time.perf_counter() - t:.1f} s)")
    layer = boundaries.load_layer(S.LAYER_DISTRICTS_BANKUAI, city=S.SHANGHAI)
    t = time.perf_counter()
    facts.areas(S.LAYER_DISTRICTS_BANKUAI, layer)
    print(f"areas placed once (as the battle map does): {time.perf_counter() - t:.2f} s")
    industry = (np.repeat(rng.integers(-1, len(INDUSTRIES), n).astype(np.int32), 3), INDUSTRIES)
    names = layer[["area_id", "area_name"]]
    took, rows = _best(W.work_rows, facts, S.LAYER_DISTRICTS_BANKUAI, industry, layer=layer)
    print(f"work_rows: {took:.2f} s ({len(rows):,} work visitors, {int((rows['park'] != '').sum()):,} in parks)")
    took, _ = _best(W.work_rows, facts, S.LAYER_DISTRICTS_BANKUAI, industry, layer=layer, product_line="公寓")
    print(f"work_rows (公寓): {took:.2f} s")
    took, targeting = _best(W.targeting_list, rows, names, 5)
    print(f"targeting_list: {took:.2f} s ({len(targeting.table):,} cells listed)")
    took, _ = _best(W.area_industries, rows, names, 5)
    print(f"area_industries: {took:.2f} s")
    took, _ = _best(W.map_counts, rows, names, W.parks(S.SHANGHAI), "制造业")
    print(f"map_counts: {took:.2f} s")
    took, visitors = _best(O.visitor_frame, facts)
    print(f"visitor_frame: {took:.2f} s")
    cities = pd.read_parquet(O.POLYGON_FILES["city"], columns=["adcode"])["adcode"].to_numpy()[:300]
    hometown = pd.DataFrame({"visitor_id": np.arange(n), "hometown": pd.Categorical(
        np.where(rng.random(n) < 0.3, "", cities[rng.integers(0, len(cities), n)]))})
    took, _ = _best(O.origin_table, visitors, hometown, "city", 5)
    print(f"origin_table (city): {took:.2f} s")
    texts = np.array([f"{a}-{a + 20}㎡" for a in range(50, 550)] + [f"约{a}平" for a in range(50, 549)] + ["三房"],
                     dtype=object)
    columns = pd.DataFrame({"visitor_id": np.arange(n), "area_want": pd.Categorical(texts[rng.integers(0, 1000, n)])})
    took, _ = _best(BT.band_distribution, visitors, columns, AREA_BANDS, 5, ["公寓", "洋房", "别墅", "商铺"])
    print(f"band_distribution: {took:.2f} s")
    took, _ = _best(BT.unread_summary, columns["area_want"].astype(str).to_numpy(), "area")
    print(f"unread_summary: {took:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=1_000_000)
    main(parser.parse_args().visitors)
