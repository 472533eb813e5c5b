"""Benchmark of 到访成交对比 (views/visits_deals.py) and 开盘前后对比 (views/launch_compare.py): re-render per change.

Usage (from the project root)::

    .venv/bin/python bench/bench_compare.py [--rows 1000000] [--markdown] [--profile]

Target (issue): with 1,000,000 visitors, after the first load a change re-renders the page
in at most 0.5 s; the launch-compare dual map payload stays under 2 MB.

The locations frame is built with ``bench_battle.build_locations`` (100,000 generated
visitors through the import path, resolved, tiled to N: see bench_battle.py), then
``Facts.build`` once and the first ``Facts.areas`` of the districts + 板块 layer (warmed,
not part of a rerun).  Project: ``mapping.bootstrap.SAMPLE_PROJECT`` (launch 2024-05-01).

Timed, median of ``--repeats`` (5): the work one rerun of each page does after a change,
replicated from the views without Streamlit (before each timed rerun the page is put back
in the state the change starts from; not timed).  Bundled layers are read once, as the
page's ``st.cache_resource`` does.  Not timed: the store / facts lookup
(``ui.battle.project_with_facts``), the Altair charts and tables, st_folium itself.

- 到访成交对比: *reading* = ``views/visits_deals.reading`` (``area_stats`` +
  ``deals_by_line`` + ``conversion.deal_mix`` + ``conversion.table``); *map* =
  ``dealmap.visits_deals_map``; *render* = ``m.get_root().render()``.
- 开盘前后对比, mode 开盘前到访 vs 开盘后成交, view 两图对比: *compare* = the calls of
  ``views/launch_compare.counted_views`` (``launch_sides``, 2 × ``side_counts``,
  ``compare``, 2 × ``share_side``, ``change_bins``, ``change_side``, ``public_table``);
  *map* = ``launch_maps.dual_map``; *render* = ``dm.get_root().render()``.  Payloads: the
  dual map's HTML and the difference map's (``launch_maps.single_map`` of the change side).

``--profile`` prints the top cumulative cProfile entries of one rerun per change to stderr.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _p in (str(ROOT), str(ROOT / "bench")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import bench_battle as BB  # noqa: E402  (locations frame, Rows, table helpers)
import bench_foundation as BF  # noqa: E402

TARGET_RERUN_S = BB.TARGET_RERUN_S
TARGET_DUAL_MB = 2.0
_LAYERS: dict = {}


def layer(layer_id: str, display: bool = False):
    """ui.battle.polygon_layer for a bundled layer (st.cache_resource: read once per process)."""
    from mapping.geo import boundaries

    key = (layer_id, display)
    if key not in _LAYERS:
        _LAYERS[key] = boundaries.load_layer(layer_id, display=display)
    return _LAYERS[key]


# ============================================================================ 到访成交对比
def vd_rerun(facts, project, layer_id: str, line: str, dimension: str, period: str, k: int,
             basemap: str = "none") -> dict:
    from mapping import schema as S
    from mapping.analysis import battle as B
    from mapping.analysis import conversion as C
    from mapping.analysis.facts import Filters, area_stats, deals_by_line, period_range
    from mapping.maps import dealmap

    c0 = time.perf_counter()
    bounds = period_range(period, project.launch_date)
    poly = layer(layer_id)
    filters = Filters(product_line=line or None, start=bounds[0], end=bounds[1])
    stats = area_stats(facts, layer_id, filters, poly)
    names = poly[["area_id", "area_name"]]
    counts = stats[["area_id"]].assign(visits=stats[f"visits_{dimension}"], deals=stats[f"deals_{dimension}"])
    counts = counts.merge(names, on="area_id", how="left")
    counts = counts[counts["visits"] > 0]
    mix = C.deal_mix(deals_by_line(facts, layer_id, dimension, filters, poly))
    table = C.table(counts, mix, k)
    c1 = time.perf_counter()
    title = f"{project.name} · {B.line_label(line)} · {S.DIMENSION_LABELS[dimension]}"
    lines = [*project.product_lines, *[c.removeprefix("deals_") for c in table.columns
                                        if c.startswith("deals_") and c != "deals_total"
                                        and c.removeprefix("deals_") not in project.product_lines]]
    polygons = layer(layer_id, display=True)
    m = dealmap.visits_deals_map(polygons, table, lines, basemap=basemap, title=title, min_count=k, selected=None)
    c2 = time.perf_counter()
    html = m.get_root().render()
    c3 = time.perf_counter()
    return {"t": {"reading": c1 - c0, "map": c2 - c1, "render": c3 - c2, "total": c3 - c0},
            "html_bytes": len(html.encode()), "areas": len(table)}


# ============================================================================ 开盘前后对比
def lc_rerun(facts, project, layer_id: str, line: str, dimension: str, k: int, scheme: str = "fisher_jenks",
             basemap: str = "none", change_map: bool = False) -> dict:
    from mapping import schema as S
    from mapping.analysis import battle as B
    from mapping.analysis import launch as L
    from mapping.maps import launch_maps as LM

    c0 = time.perf_counter()
    facts.date_range()  # choose_sides(project, facts.date_range(), mode)
    a_side, b_side = L.launch_sides(project.launch_date)
    poly = layer(layer_id)
    a = L.side_counts(facts, layer_id, dimension, line or None, a_side, poly)
    b = L.side_counts(facts, layer_id, dimension, line or None, b_side, poly)
    names = poly[["area_id", "area_name"]]
    facts.areas(layer_id, poly)
    comp = L.compare(a, b, names, k, scheme)
    label = {S.LAYER_DISTRICTS_BANKUAI: "区县 + 板块"}.get(layer_id, layer_id)
    context = f"{B.line_label(line)} · {S.DIMENSION_LABELS[dimension]} · {label}"
    brief = f"{B.line_label(line)} · {S.DIMENSION_LABELS[dimension]}"
    left = LM.share_side(comp, "a", a_side.label, f"{a_side.dates()} · {brief}", f"{a_side.label}人数")
    right = LM.share_side(comp, "b", b_side.label, f"{b_side.dates()} · {brief}", f"{b_side.label}人数")
    polygons = layer(layer_id, display=True)
    cbins = L.change_bins(comp.shown["change_pp"])
    change = LM.change_side(comp, cbins, f"占比变化：{b_side.label} − {a_side.label}", context,
                            (a_side.label, b_side.label))
    L.public_table(comp, a_side.label, b_side.label)
    c1 = time.perf_counter()
    dm = LM.dual_map(polygons, left, right, basemap)
    c2 = time.perf_counter()
    html = dm.get_root().render()
    c3 = time.perf_counter()
    out = {"t": {"compare": c1 - c0, "map": c2 - c1, "render": c3 - c2, "total": c3 - c0},
           "html_bytes": len(html.encode()), "areas": len(comp.table)}
    if change_map:
        cm = LM.single_map(polygons, change, basemap)
        out["change_bytes"] = len(cm.get_root().render().encode())
    return out


# ============================================================================ driver
def profile_top(fn, limit: int = 14) -> str:
    pr = cProfile.Profile()
    pr.enable()
    fn()
    pr.disable()
    s = io.StringIO()
    pstats.Stats(pr, stream=s).sort_stats("cumulative").print_stats(limit)
    return s.getvalue()


def run(n: int, base_n: int, repeats: int, profile: bool) -> list[dict]:
    from mapping import schema as S
    from mapping.analysis import grading as G
    from mapping.analysis.facts import Facts
    from mapping.bootstrap import sample_project
    from mapping.geo import boundaries

    R = BB.Rows(f"N={n:,}")
    t0 = time.perf_counter()
    BB._progress(f"{R.group}: building locations …")
    locations, how = BB.build_locations(n, base_n)
    R.add("(locations built, not timed)", None, f"{len(locations):,} rows; {how}; {time.perf_counter() - t0:.0f} s")
    R.once("warm-up (first use)", BF.warm_up)
    project = sample_project()
    held = [locations]
    del locations
    facts = R.once("Facts.build", lambda: Facts.build(held.pop(), S.SHANGHAI), lambda f: f"{len(f):,} rows")
    LID = S.LAYER_DISTRICTS_BANKUAI
    R.once("first areas(): districts + 板块 (warm-up, not a rerun)", lambda: facts.areas(LID, boundaries.load_layer(LID)),
           lambda v: f"{(v[1] >= 0).mean():.1%} of rows placed, {len(v[0])} areas")
    k = G.DEFAULT_MIN_COUNT
    line1 = project.product_lines[0]  # 公寓

    vd = lambda line, dim, period: (lambda: vd_rerun(facts, project, LID, line, dim, period, k))  # noqa: E731
    lc = lambda line, dim, **kw: (lambda: lc_rerun(facts, project, LID, line, dim, k, **kw))  # noqa: E731
    R.once("到访成交对比: first view (全部业态, home, all time)", vd("", "home", "all"),
           lambda v: f"{v['t']['total']:.2f} s; {v['areas']} areas; {BB._mb(v['html_bytes'])} HTML")
    R.once("开盘前后对比: first view (全部业态, home)", lc("", "home"),
           lambda v: f"{v['t']['total']:.2f} s; {v['areas']} areas; {BB._mb(v['html_bytes'])} HTML")

    cases = [
        ("到访成交对比", "product line 全部业态 → 公寓", vd("", "home", "all"), vd(line1, "home", "all"),
         ("reading", "map", "render")),
        ("到访成交对比", "dimension home → work", vd("", "home", "all"), vd("", "work", "all"),
         ("reading", "map", "render")),
        ("到访成交对比", "period 全部时间 → 开盘前到访", vd("", "home", "all"), vd("", "home", "pre"),
         ("reading", "map", "render")),
        ("到访成交对比", "period 开盘前到访 → 开盘后到访", vd("", "home", "pre"), vd("", "home", "post"),
         ("reading", "map", "render")),
        ("开盘前后对比", "product line 全部业态 → 公寓", lc("", "home"), lc(line1, "home"),
         ("compare", "map", "render")),
        ("开盘前后对比", "dimension home → work", lc("", "home"), lc("", "work"), ("compare", "map", "render")),
    ]
    profiles = []
    for page, label, reset, change, parts in cases:
        BB._progress(f"{R.group}: {page} {label} …")
        times: dict[str, list[float]] = {p: [] for p in (*parts, "total")}
        R.memory.start()
        for _ in range(repeats):
            reset()
            out = change()
            for p in times:
                times[p].append(out["t"][p])
        med = {p: statistics.median(v) for p, v in times.items()}
        note = " + ".join(f"{p} {med[p]:.3f}" for p in parts) + f"; {BB._mb(out['html_bytes'])} HTML"
        R.add(f"{page} rerun: {label}", times["total"], note, R.memory.peak_mb(),
              flag="" if med["total"] <= TARGET_RERUN_S else "over 0.5 s")
        if profile:
            reset()
            profiles.append(f"==== {page} rerun: {label}\n" + profile_top(change))

    out = lc_rerun(facts, project, LID, "", "home", k, change_map=True)
    R.add("开盘前后对比 payload: dual map (全部业态, home)", None,
          f"{out['html_bytes']:,} bytes ({BB._mb(out['html_bytes'])}) HTML",
          flag="" if out["html_bytes"] < TARGET_DUAL_MB * 1024 * 1024 else "over 2 MB")
    R.add("开盘前后对比 payload: difference map (占比变化图)", None,
          f"{out['change_bytes']:,} bytes ({BB._mb(out['change_bytes'])}) HTML")
    out = vd_rerun(facts, project, LID, "", "home", "all", k)
    R.add("到访成交对比 payload: map (全部业态, home)", None,
          f"{out['html_bytes']:,} bytes ({BB._mb(out['html_bytes'])}) HTML")
    for text in profiles:
        print(text, file=sys.stderr)
    return R.rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000, help="visitors (default 1000000)")
    p.add_argument("--base", type=int, default=100_000, help="generated+resolved base, tiled above (default 100000)")
    p.add_argument("--repeats", type=int, default=5, help="repeats per change (default 5)")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.add_argument("--profile", action="store_true", help="cProfile one rerun per change (stderr)")
    args = p.parse_args(argv)
    started = time.perf_counter()
    rows = run(args.rows, args.base, args.repeats, args.profile)
    print(BB.format_table(rows, markdown=args.markdown))
    print()
    print(f"{time.strftime('%Y-%m-%d %H:%M')}  {os.cpu_count()} CPUs  python {sys.version.split()[0]}  "
          f"total {time.perf_counter() - started:.0f} s  {BF.code_revision()}")
    print(f"Wall times: median (min, max) of the runs shown; target: a rerun ≤ {TARGET_RERUN_S} s, "
          f"dual map < {TARGET_DUAL_MB:g} MB.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
