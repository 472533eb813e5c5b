"""Time mapping.segments at a million rows: band assignment, hometown derivation, and the battle map
split by a segment (``--axis``).

Usage (on the shared 2-core machine, never overlapping other benchmarks)::

    flock /tmp/bench.lock .venv/bin/python bench/bench_segments.py [--rows 1000000]
    flock /tmp/bench.lock .venv/bin/python bench/bench_segments.py --axis [--rows 1000000] [--base 20000]

**--axis** (issue 15: switching the segment axis at 1M visitors ≤ 0.5 s per rerun).  The locations of
``--rows`` visitors are built as bench_battle.py builds them (``--base`` generated through the import
path, then tiled), with a synthetic :meth:`Store.segment_columns` frame (9 columns, ~500 distinct
意向面积 and 意向总价 texts, ~340 hometown codes).  Timed: the first :meth:`Segments.build`; then one
rerun of the page (bench_battle's ``Page.rerun``: run, graded table, map, render, st_folium payload,
coverage and the rest) on the districts + 板块 unit after (a) a change of the axis value, bins already
fitted (median of 5), (b) a change to a new axis whose bins are not fitted yet (fit_axis_runs for every
dimension + the rest; each axis once).  Baseline, in the same process: a plain pandas ``groupby`` of
the same counts (visits, high intention, deals per area × dimension for one value; per value × area ×
dimension for a new axis) on a frame of the rows prepared beforehand.

Measured 2026-12-07 (``--axis --rows 1000000 --base 20000``, shared 2-core machine): first
Segments.build 0.13 s; rerun after a new 面积段 value 0.28 s median (0.26–0.39; graded 0.07, the rest
map/render/payload as for a product-line change), pandas groupby of that value's counts 0.03 s; rerun
after a new axis, bins not fitted: 行业 0.36 s, 年龄段 0.39 s, 总价段 0.45 s, 籍贯（市） 324 values
0.47 s, 家庭结构 0.44 s (fit of all four dimensions 0.09–0.19 s of it), pandas groupby of every
value's counts 0.11–0.38 s; 行业 under the product line 公寓 0.40 s.  Target ≤ 0.5 s: met.

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


# ============================================================================ --axis
AXES = ("industry", "age_band", "price_band", "hometown_city", "family")  # each switched to once, unfitted


def segment_columns(visitor_ids: np.ndarray, seed: int = 0):
    """A synthetic Store.segment_columns frame: one row per visitor, categorical columns."""
    import pandas as pd

    from mapping.segments import hometown

    rng = np.random.default_rng(seed)
    n = len(visitor_ids)
    codes = sorted(c for c in hometown._table() if c.endswith("00") and not c.endswith("0000"))[:340]

    def pick(values, blank=0.1):
        values = np.asarray(list(values) + [""], dtype=object)
        p = np.full(len(values), (1 - blank) / (len(values) - 1))
        p[-1] = blank
        return pd.Categorical(values[rng.choice(len(values), n, p=p)])

    return pd.DataFrame({
        "visitor_id": visitor_ids.astype(np.int64),
        "age_band": pick(["25-34岁", "35-44岁", "45-54岁", "55岁以上", "25岁以下", *map(str, range(22, 70))]),
        "industry": pick(["金融", "IT互联网", "制造业", "贸易物流", "教育医疗", "公务员", "自由职业", "其他"]),
        "income_band": pick(["20万以下", "20-50万", "50-100万", "100-200万", "200万以上"]),
        "family": pick(["单身", "二人世界", "三口之家", "三代同堂"]),
        "purpose": pick(["自住", "改善", "投资", "办公经营"]),
        "area_want": pick([f"{a}-{a + 20}㎡" for a in range(50, 300)] + [f"约{a}平" for a in range(50, 300)] + ["三房"]),
        "price_want": pick([f"{p}万" for p in range(100, 1300, 5)] + [f"{p}-{p + 50}w" for p in range(100, 1300, 5)]),
        "hometown": pick(codes, blank=0.6),
        "intended_text": pick(["浦东", "金桥", "张江", "外高桥"], blank=0.7),
    })


def axis_bench(rows: int, base: int, repeats: int = 5) -> None:
    import statistics
    from dataclasses import replace

    import pandas as pd

    import bench_battle as BB
    from mapping import schema as S
    from mapping.analysis import battle as B
    from mapping.analysis import grading as G
    from mapping.analysis.facts import Facts, Filters
    from mapping.geo import boundaries
    from mapping.segments.axis import SEGMENTS, Segments

    t0 = time.perf_counter()
    locations, how = BB.build_locations(rows, base)
    facts = Facts.build(locations, S.SHANGHAI)
    del locations
    L = S.LAYER_DISTRICTS_BANKUAI
    layer = boundaries.load_layer(L)
    facts.areas(L, layer)
    BB.BF.warm_up()
    columns = segment_columns(np.unique(facts.visitor))
    print(f"setup (not timed): {len(facts):,} location rows of {len(columns):,} visitors; {how}; "
          f"{time.perf_counter() - t0:.0f} s")

    t = time.perf_counter()
    segments = Segments.build(facts, columns, {})
    print(f"Segments.build (first)            {time.perf_counter() - t:.3f} s  "
          f"({len(segments.available())} segments available)")
    facts = facts.with_segments(segments)

    class AxisPage(BB.Page):
        """bench_battle's page with a segment axis: runs from fit_axis_runs, fitted under the filters
        without the axis value (as views/battle_map.current_run with ui.battle_segments)."""

        axis = ""

        def run_for(self, layer_id, settings, filters):
            key = (layer_id, repr(settings), self.axis, filters.product_line)
            if key not in self.runs:
                variants = [replace(settings, dimension=d) for d in G.DIMENSION_CHOICES]
                for run in B.fit_axis_runs(self.facts, layer_id, variants, filters.with_segment(self.axis),
                                           self.axis, self.polygon_layer(layer_id)):
                    self.runs[(layer_id, repr(run.settings), self.axis, filters.product_line)] = run
            return self.runs[key]

    page = AxisPage(facts, BB.project_spec())
    page.axis = "area_band"
    values = segments.values("area_band")
    page.rerun(L, "", "home", Filters().with_segment("area_band", (values[0],)))  # first page: fitted, not timed

    def parts(out) -> str:
        return " + ".join(f"{k} {v:.3f}" for k, v in out["t"].items() if k != "total" and v >= 0.0005)

    totals, last = [], None
    for i in range(repeats):
        value = values[(i + 1) % len(values)]
        last = page.rerun(L, "", "home", Filters().with_segment("area_band", (value,)))
        totals.append(last["t"]["total"])
    print(f"rerun: new value of 面积段 (bins fitted)   median {statistics.median(totals):.3f} s "
          f"(min {min(totals):.3f}, max {max(totals):.3f}); {parts(last)}")

    # baseline: the same counts by a plain pandas groupby of the rows
    ids, index = facts.areas(L)
    frame = pd.DataFrame({"area": index, "dim": facts.dim, "high": facts.high, "deal": facts.deal})
    code_cols = {key: facts.segment_codes(key)[0] for key in ("area_band", *AXES)}

    def groupby_value(key: str, value_code: int) -> pd.DataFrame:
        rows = frame[(code_cols[key] == value_code) & (frame["area"].to_numpy() >= 0)]
        return rows.groupby(["area", "dim"]).agg(visits=("high", "size"), high=("high", "sum"), deals=("deal", "sum"))

    def groupby_axis(key: str) -> pd.DataFrame:
        rows = frame.assign(value=code_cols[key])
        rows = rows[(rows["value"].to_numpy() >= 0) & (rows["area"].to_numpy() >= 0)]
        return rows.groupby(["value", "area", "dim"]).agg(visits=("high", "size"), high=("high", "sum"),
                                                          deals=("deal", "sum"))

    base_value = []
    for i in range(repeats):
        t = time.perf_counter()
        groupby_value("area_band", (i + 1) % len(values))
        base_value.append(time.perf_counter() - t)
    print(f"baseline: pandas groupby, one value     median {statistics.median(base_value):.3f} s")

    for key in AXES:
        page.axis = key
        first = segments.values(key)[0]
        out = page.rerun(L, "", "home", Filters().with_segment(key, (first,)))
        t = time.perf_counter()
        groupby_axis(key)
        grouped = time.perf_counter() - t
        print(f"rerun: new axis {SEGMENTS[key]:<8} (bins not fitted) {out['t']['total']:.3f} s; {parts(out)}; "
              f"{len(segments.values(key))} values; baseline groupby of every value {grouped:.3f} s")
    line = BB.project_spec().product_lines[0]
    page.axis = "industry"
    out = page.rerun(L, line, "home", Filters().with_segment("industry", ("金融",)))
    print(f"rerun: 行业 with product line {line} (bins not fitted) {out['t']['total']:.3f} s; {parts(out)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--axis", action="store_true", help="the battle map split by a segment (see above)")
    parser.add_argument("--base", type=int, default=20_000, help="--axis: visitors generated before tiling")
    args = parser.parse_args()
    if args.axis:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        axis_bench(args.rows, args.base)
    else:
        main(args.rows)
