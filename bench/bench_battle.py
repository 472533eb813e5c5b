"""Benchmark of the 拓客作战地图 (views/battle_map.py): first load, re-render per change, payloads.

Usage (from the project root)::

    .venv/bin/python bench/bench_battle.py [--rows 1000000] [--markdown]          # function level
    .venv/bin/python bench/bench_battle.py --rows 5000,100000,1000000
    .venv/bin/python bench/bench_battle.py --apptest [--rows 1000000] [--markdown]  # the real page
    .venv/bin/python bench/bench_battle.py --apptest --rows 1000000 --first-only \
        --db /tmp/tuoke_bench_home_1000000.sqlite3        # first run only, on bench_home.py's database

Targets (issue): with 1,000,000 visitors, after the first load a change of product line,
dimension or filter re-renders the page in at most 0.5 s; the district-layer map payload
stays under 1 MB and does not grow with the number of visitors; the H3 layer at
resolution 8 for the whole city stays under 5 MB.

**Function level** (default).  Each visitor count N runs in its own fresh process.  The
locations frame :meth:`mapping.db.store.Store.locations` would return is built without a
database: visitors from ``data/samples/generate.py``, CSV bytes → ``read_table`` →
``auto_map`` → ``validate`` → ``importer.prepare`` → ``resolve_records`` (the calls
``importer.import_records`` makes), joined with the visitor fields the way the SQL join does.
Above ``--base`` visitors (default 100,000) that pipeline takes minutes, so the base is
built once and *tiled*: copy i gets new visitor ids, every visitor's visit and deal dates
move by the same random −10…+10 days, and coordinates given as points move by ~100 m
(σ 0.001°); landmark / town / district results keep their place.  The table says which.
Then, timed: ``Facts.build``; the first ``Facts.areas`` of the districts + 板块 layer and
of ``h3:8``; the first page (``fit_run`` + everything below); and, median of ``--repeats``
(5), the work one rerun of the page does after each change, replicated from
``views/battle_map.main`` without Streamlit:

- *fit*: ``battle.fit_run`` when the page's run cache misses (a dimension change: the run
  key holds the settings);
- *graded*: ``battle.graded`` on the page's layer;
- *map*: ``mapping.maps.battlemap.battle_map``, the call the page makes (default: 项目与竞品 sites; "all overlays": H3 hexagons at resolution 8,
  heat, clusters, sites) + the layer control;
- *render*: ``m.get_root().render()`` (the standalone HTML), then what ``st_folium``
  does on top (``m.render()``, header, html, ``generate_leaflet_string``);
- *rest*: the other per-rerun work of ``main``: ``date_range``, ``coverage`` per
  dimension, ``public_table``, the export's printable frame.

Payloads: bytes of the standalone HTML and of what ``st_folium`` sends (script + header +
html), for the districts + 板块 and the districts layer (default overlays), at N and at
5,000 visitors (its own process, ``--payload-ref``); and for H3 resolution 8 over the
whole city: as the grading unit (every cell with visitors, ``graded_choropleth``), as the
hexagon overlay (``overlays.add_hexagons``), and every cell of Shanghai
(``hexgrid.cells_in_polygons(boundaries.districts(), 8)``) both ways.

**--apptest**: the real page.  N visitors (default 1,000,000) are generated and imported
in chunks of ``--chunk`` (100,000) through ``read_table`` → ``validate`` →
``importer.import_records`` into a temporary SQLite file, into a project of our own
(``Store.migrate`` + ``create_project``, so the sample is not seeded), until N or
``--import-budget`` seconds (480) are used up: the table says how many.  Then, in a fresh
process, ``AppTest.from_file("app.py")`` with ``TUOKE_DB_PATH`` on that file,
``switch_page("views/battle_map.py")``: the first run is timed, then reruns after each
widget change (median of 3; the change back between repeats is not timed).

Time is wall time (``time.perf_counter``).  The machine is shared (2 cores): expect
±10–20 % between runs.  Memory: peak RSS of the process (``VmHWM``, reset before each
stage where Linux allows, else ``ru_maxrss``) — see bench_foundation.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _p in (str(ROOT), str(ROOT / "bench")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import bench_foundation as BF  # noqa: E402  (Memory, generator loader, table helpers)

SEED = 20240101
SALT = "bench-salt"  # with a fixed key (bytes(32)): the hashing secret, PiiSecret
RESULT_MARK = "@@BENCH@@ "
TARGET_RERUN_S = 0.5
TARGET_DISTRICT_MB = 1.0
TARGET_H3_MB = 5.0
ALL_OVERLAYS = ("hex", "heat", "points", "sites")
DEFAULT_OVERLAYS = ("sites", "opportunity")  # the page's default pills (no plan saved: no opportunity layer)


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _mb(n_bytes: int) -> str:
    return f"{n_bytes / 1024 / 1024:,.2f} MB"


class Rows:
    """Result rows of one process: wall times (median of repeats), peak RSS, note."""

    def __init__(self, group: str) -> None:
        self.group = group
        self.rows: list[dict] = []
        self.memory = BF.Memory()

    def add(self, stage: str, times: list[float] | None, note: str = "", peak: float | None = None,
            flag: str = "") -> None:
        row = {"group": self.group, "stage": stage, "n": len(times or []), "median": None, "min": None,
               "max": None, "peak_mb": peak, "note": note, "flag": flag}
        if times:
            row.update(median=statistics.median(times), min=min(times), max=max(times))
        self.rows.append(row)

    def once(self, stage: str, fn, note=""):
        """Run ``fn`` once; the row's note may be a function of its value."""
        _progress(f"{self.group}: {stage} …")
        self.memory.start()
        t0 = time.perf_counter()
        value = fn()
        seconds = time.perf_counter() - t0
        self.add(stage, [seconds], note(value) if callable(note) else note, self.memory.peak_mb())
        _progress(f"{self.group}: {stage} {seconds:.2f} s")
        return value


# ============================================================================ locations
def _canonical(n: int, seed: int):
    """Generated visitors → CSV → read_table/auto_map/validate → the records import_records writes."""
    from mapping.bootstrap import SAMPLE_PROJECT
    from mapping.importer import prepare
    from mapping.ingest.keys import PiiSecret
    from mapping.ingest.tables import auto_map, read_table, validate

    gen = BF.load_generator()
    data = gen.csv_bytes(gen.generate(rows=n, seed=seed), "utf-8-sig")
    table = read_table(data, f"visitors_{n}.csv")
    result = validate(table, auto_map(table.frame.columns), secret=PiiSecret(bytes(32), SALT),
                      product_lines=tuple(SAMPLE_PROJECT["product_lines"]))
    return prepare(result.records)


def generated_locations(n: int, seed: int = SEED):
    """The frame ``Store.locations`` returns for ``n`` generated visitors, without a database."""
    import pandas as pd

    from mapping import schema as S
    from mapping.place.resolve import resolve_records

    records = _canonical(n, seed)
    loc = resolve_records(records, S.SHANGHAI)  # import: aliases {} on a new DB, no geocoder configured
    row = loc["row"].to_numpy()
    visitor = records.iloc[row].reset_index(drop=True)

    def dates(col):
        return pd.Series([d if isinstance(d, dt.date) else None for d in visitor[col]], dtype=object)

    return pd.DataFrame({
        "visitor_id": row + 1,
        "dimension": loc["dimension"].to_numpy(),
        "adcode": loc["adcode"].to_numpy(), "lng": pd.to_numeric(loc["lng"]).to_numpy(),
        "lat": pd.to_numeric(loc["lat"]).to_numpy(), "level": loc["level"].to_numpy(),
        "method": loc["method"].to_numpy(), "confidence": pd.to_numeric(loc["confidence"]).to_numpy(),
        "town_code": loc["town_code"].fillna("").astype(str).to_numpy(),
        "outside": loc["outside"].astype(bool).to_numpy(),
        "candidates": loc["candidates"].fillna("").astype(str).to_numpy(),
        "product_line": visitor[S.PRODUCT_LINE].to_numpy(), "intention": visitor[S.INTENTION].to_numpy(),
        "channel": visitor[S.CHANNEL].to_numpy(), "visit_date": dates(S.VISIT_DATE),
        "deal": visitor[S.DEAL].astype(bool).to_numpy(), "deal_date": dates(S.DEAL_DATE),
        "deal_product_line": visitor[S.DEAL_PRODUCT_LINE].to_numpy(),
    })


def tiled_locations(n: int, base, seed: int = SEED):
    """``base`` (locations of B visitors) repeated to ``n`` visitors: new ids, dates moved by
    −10…+10 days per visitor, point coordinates moved by ~100 m; the last copy is cut short."""
    import numpy as np
    import pandas as pd

    from mapping.place.resolve import METHOD_POINT

    rng = np.random.default_rng(seed + 1)
    b = int(base["visitor_id"].max())
    copies = -(-n // b)
    parts = []
    visit = pd.to_datetime(base["visit_date"])
    deal = pd.to_datetime(base["deal_date"])
    point = (base["method"] == METHOD_POINT).to_numpy()
    vid0 = base["visitor_id"].to_numpy()
    for i in range(copies):
        keep = vid0 <= min(b, n - i * b)
        part = base[keep].copy()
        vid = vid0[keep]
        if i:
            shift = pd.to_timedelta(rng.integers(-10, 11, b + 1)[vid], unit="D")
            part["visit_date"] = pd.Series((visit[keep] + shift).dt.date.to_numpy(), dtype=object)
            moved = deal[keep] + shift
            part["deal_date"] = pd.Series([d.date() if pd.notna(d) else None for d in moved], dtype=object)
            jitter = point[keep]
            m = int(jitter.sum())
            part.loc[jitter, "lng"] = part.loc[jitter, "lng"].to_numpy() + rng.normal(0, 0.001, m)
            part.loc[jitter, "lat"] = part.loc[jitter, "lat"].to_numpy() + rng.normal(0, 0.001, m)
            part["visitor_id"] = vid + i * b
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def build_locations(n: int, base_n: int):
    """(locations, how) for ``n`` visitors; generated through the import path, or tiled from ``base_n``."""
    if n <= base_n:
        return generated_locations(n), f"generated + resolved ({n:,} visitors)"
    base = generated_locations(base_n)
    out = tiled_locations(n, base)
    return out, f"{base_n:,} generated + resolved, tiled ×{-(-n // base_n)} (new ids, dates ±10 d, points ~100 m)"


# ============================================================================ the page, without Streamlit
class Page:
    """What views/battle_map.main computes on a rerun, minus the Streamlit calls."""

    def __init__(self, facts, project: dict, basemap: str = "none") -> None:
        self.facts, self.project, self.basemap = facts, project, basemap
        self.runs: dict = {}  # st.session_state["bm_runs"]

    # ---- ui/battle.py equivalents (no st.cache_data around the hexagons: a miss every time)
    @staticmethod
    def polygon_layer(layer_id: str, display: bool = False):
        from mapping.geo import boundaries, hexgrid

        return None if hexgrid.parse_layer_id(layer_id) is not None else boundaries.load_layer(layer_id, display)

    def area_polygons(self, layer_id: str, area_ids: list[str], display: bool = False):
        from mapping.geo import hexgrid

        if hexgrid.parse_layer_id(layer_id) is not None:
            return hexgrid.hex_layer(sorted(area_ids))
        return self.polygon_layer(layer_id, display)

    def names_of(self, layer_id: str, ids: list[str]):
        import pandas as pd

        from mapping.geo import hexgrid

        layer = self.polygon_layer(layer_id)
        if layer is None:
            return pd.DataFrame({"area_id": ids, "area_name": [hexgrid.cell_label(c) for c in ids]})
        return layer[["area_id", "area_name"]]

    def sites(self) -> list[dict]:
        from mapping.maps.overlays import project_sites

        return project_sites(self.project)

    # ---- one rerun
    def settings(self, dimension: str):
        from mapping.analysis import battle as B

        return B.Settings(dimension, scheme="fisher_jenks")  # the page's defaults (scheme radio index 1)

    def run_for(self, layer_id: str, settings, filters):
        from mapping.analysis import battle as B
        from mapping.analysis import grading as G

        key = (layer_id, repr(settings))
        if key not in self.runs:  # as the page: every dimension fitted at once
            variants = [replace(settings, dimension=d) for d in G.DIMENSION_CHOICES]
            for run in B.fit_runs(self.facts, layer_id, variants, filters, self.project.product_lines,
                                  self.polygon_layer(layer_id)):
                self.runs[(layer_id, repr(run.settings))] = run
        return self.runs[key]

    def rerun(self, layer_id: str, line: str, dimension: str, filters, shown=DEFAULT_OVERLAYS) -> dict:
        """One rerun; returns the time of each part, the map and its payload sizes."""
        from mapping.analysis import battle as B
        from mapping.analysis import grading as G
        from mapping.analysis.facts import coverage

        t = {}
        c0 = time.perf_counter()
        facts = self.facts
        facts.date_range()
        filters = replace(filters, product_line=line or None)
        settings = self.settings(dimension)
        c1 = time.perf_counter()
        run = self.run_for(layer_id, settings, filters)
        c2 = time.perf_counter()
        layer = self.polygon_layer(layer_id)
        ids = facts.areas(layer_id, layer)[0]
        table = B.graded(facts, run, self.names_of(layer_id, ids), filters, layer)
        c3 = time.perf_counter()
        m = self.build_map(run, table, layer_id, filters, shown)
        c4 = time.perf_counter()
        html_doc = m.get_root().render()
        c5 = time.perf_counter()
        payload = st_folium_payload(m)
        c6 = time.perf_counter()
        dims = list(settings.weights.of_dimension(dimension))
        [coverage(facts, layer_id, d, filters) for d in dims]
        B.public_table(table[table["grade"] != G.NO_VISITS], settings.min_count)
        polygons = self.area_polygons(layer_id, table.loc[table["visits"] > 0, "area_id"].tolist())
        printable = polygons[["area_id", "geometry"]].merge(table[["area_id", "area_name", "grade"]], on="area_id")
        printable["fill"] = printable["grade"].map(G.GRADE_COLOURS)
        G.legend(table, run.bins_for(filters.product_line or ""))
        c7 = time.perf_counter()
        t["fit"] = c2 - c1
        t["graded"] = c3 - c2
        t["map"] = c4 - c3
        t["render"] = c5 - c4
        t["st_folium"] = c6 - c5
        t["rest"] = (c1 - c0) + (c7 - c6)
        t["total"] = c7 - c0
        return {"t": t, "html_bytes": len(html_doc.encode()), "payload_bytes": payload, "table": table, "m": m}

    def build_map(self, run, table, layer_id, filters, shown):
        """views/battle_map.build_map: the same mapping.maps.battlemap.battle_map call (no saved plan:
        no opportunity layer; hexagons rebuilt each time, the page caches them)."""
        from mapping.maps import battlemap as BM

        polygons = self.area_polygons(layer_id, table.loc[table["visits"] > 0, "area_id"].tolist(), display=True)
        m, _ = BM.battle_map(self.facts, run, table, polygons, filters, layers=shown, basemap=self.basemap,
                             title="bench", subtitle="bench", sites=self.sites())
        return m


def st_folium_payload(m) -> int:
    """What streamlit_folium.st_folium does to a map before sending it (``render=True``);
    returns the bytes of script + header + html it sends.  (It renders the root first:
    that is timed separately as *render*.)"""
    import streamlit_folium as SF

    m.render()
    html = SF._get_html(m)
    header = SF._get_header(m)
    leaflet = SF._get_map_string(m)
    return len(html.encode()) + len(header.encode()) + len(leaflet.encode())


# ============================================================================ function-level group
def project_spec():
    from mapping.bootstrap import sample_project

    return sample_project()


def changes(facts, project):
    """(label, layer, line, dimension, Filters, overlays, reset) per measured change.  ``reset``
    returns the page to a state from which the change is a real change (not timed)."""
    from mapping import schema as S
    from mapping.analysis.facts import Filters

    lines = project.product_lines
    channels = facts.channels
    span = facts.date_range()
    launch = project.launch_date
    base = Filters()
    post = Filters(start=launch, end=None)
    recent = Filters(start=span[1] - dt.timedelta(days=27), end=span[1])
    L = S.LAYER_DISTRICTS_BANKUAI
    return [
        # label, layer, [(line, dimension, filters) per repeat, cycling], overlays, refit
        ("product line change", L, [(lines[0], "home", base), (lines[2], "home", base)], DEFAULT_OVERLAYS, False),
        ("new grading run (settings changed; all dimensions fitted)", L, [("", "composite", base)], DEFAULT_OVERLAYS, True),
        ("dimension change, run already fitted", L, [("", "composite", base), ("", "home", base)],
         DEFAULT_OVERLAYS, False),
        ("filter change: channel", L, [("", "home", Filters(channels=(channels[0],))),
                                       ("", "home", Filters(channels=(channels[1],)))], DEFAULT_OVERLAYS, False),
        ("filter change: period", L, [("", "home", post), ("", "home", recent)], DEFAULT_OVERLAYS, False),
        ("product line change, all overlays", L, [(lines[0], "home", base), (lines[2], "home", base)],
         ALL_OVERLAYS, False),
        ("filter change: channel, all overlays", L, [("", "home", Filters(channels=(channels[0],))),
                                                    ("", "home", Filters(channels=(channels[1],)))],
         ALL_OVERLAYS, False),
        ("product line change, unit h3:8", "h3:8", [(lines[0], "home", base), (lines[2], "home", base)],
         DEFAULT_OVERLAYS, False),
        ("new grading run (settings changed), unit h3:8", "h3:8", [("", "composite", base)],
         DEFAULT_OVERLAYS, True),
    ]


PARTS = ("fit", "graded", "map", "render", "st_folium", "rest")


def run_functions(n: int, base_n: int, repeats: int, basemap: str, full: bool) -> list[dict]:
    """Everything for one N in this process (see the module docstring)."""
    import pandas as pd

    from mapping import schema as S
    from mapping.analysis import battle as B
    from mapping.analysis import grading as G
    from mapping.analysis.facts import Facts, Filters
    from mapping.geo import boundaries, hexgrid
    from mapping.maps import choropleth, overlays, palette

    R = Rows(f"N={n:,}")
    t0 = time.perf_counter()
    _progress(f"{R.group}: building locations …")
    locations, how = build_locations(n, base_n)
    R.add("(locations built, not timed)", None, f"{len(locations):,} rows; {how}; "
          f"{time.perf_counter() - t0:.0f} s")
    R.once("warm-up (first use)", BF.warm_up)
    project = project_spec()
    held = [locations]  # dropped once the facts are built (the page keeps only the facts)
    del locations
    facts = R.once("Facts.build", lambda: Facts.build(held.pop(), S.SHANGHAI), lambda f: f"{len(f):,} rows")
    L = S.LAYER_DISTRICTS_BANKUAI
    R.once("first areas(): districts + 板块", lambda: facts.areas(L, boundaries.load_layer(L)),
           lambda v: f"{(v[1] >= 0).mean():.1%} of rows placed, {len(v[0])} areas")
    R.once("first areas(): h3:8", lambda: facts.areas("h3:8"),
           lambda v: f"{len(v[0]):,} cells, {(v[1] >= 0).mean():.1%} of rows in a cell")
    page = Page(facts, project, basemap)
    first = R.once("first page (fit_run + rerun)", lambda: page.rerun(L, "", "home", Filters()),
                   lambda v: f"fit {v['t']['fit']:.2f} s; {_mb(v['html_bytes'])} HTML")

    sizes: dict[str, int] = {"districts_bankuai_html": first["html_bytes"],
                             "districts_bankuai_payload": first["payload_bytes"]}
    R.once("first use of unit h3:8 (fit_run + rerun)", lambda: page.rerun("h3:8", "", "home", Filters()),
           lambda v: f"fit {v['t']['fit']:.2f} s; {len(facts.areas('h3:8')[0]):,} cells")
    for label, layer_id, states, shown, refit in changes(facts, project):
        _progress(f"{R.group}: {label} …")
        parts: dict[str, list[float]] = {p: [] for p in (*PARTS, "total")}
        R.memory.start()
        if not refit:  # every state once, untimed: runs fitted, the first timed rerun is a change
            for line, dim, filters in states[1:] + states[:1]:
                page.rerun(layer_id, line, dim, filters, shown)
        # an H3 refit takes minutes at 1M (Fisher-Jenks without numba): once
        for i in range(1 if refit and layer_id.startswith("h3:") else repeats):
            line, dim, filters = states[(i + 1) % len(states)] if not refit else states[0]
            if refit:  # as on the page: a new dimension is a new run key, fitted on first use
                page.runs = {k: v for k, v in page.runs.items() if k[0] != layer_id}
                page.rerun(layer_id, "", "home", Filters(), shown)
            out = page.rerun(layer_id, line, dim, filters, shown)
            for p, v in out["t"].items():
                parts[p].append(v)
        total = parts["total"]
        med = {p: statistics.median(v) for p, v in parts.items()}
        note = " + ".join(f"{p} {med[p]:.3f}" for p in PARTS if med[p] >= 0.0005)
        note += f"; {_mb(out['html_bytes'])} HTML, {_mb(out['payload_bytes'])} st_folium"
        R.add(f"rerun: {label}", total, note, R.memory.peak_mb(),
              flag="" if statistics.median(total) <= TARGET_RERUN_S else "over 0.5 s")

    # ------------------------------------------------------------------ payloads
    def payload(layer_id: str, shown=DEFAULT_OVERLAYS) -> tuple[int, int]:
        out = page.rerun(layer_id, "", "home", Filters(), shown)
        return out["html_bytes"], out["payload_bytes"]

    for layer_id in (L, S.LAYER_DISTRICTS):
        html, sent = payload(layer_id)
        sizes[f"{layer_id}_html"], sizes[f"{layer_id}_payload"] = html, sent
        R.add(f"payload: {layer_id} layer map", None, f"{_mb(html)} HTML, {_mb(sent)} st_folium",
              flag="" if max(html, sent) < TARGET_DISTRICT_MB * 1024 * 1024 else "over 1 MB")
    html, sent = payload(L, ALL_OVERLAYS)
    sizes["districts_bankuai_all_overlays_html"] = html
    R.add(f"payload: {L} + all overlays", None, f"{_mb(html)} HTML, {_mb(sent)} st_folium")
    html, sent = payload("h3:8")
    sizes["h3_8_unit_html"] = html
    n_cells = len(facts.areas("h3:8")[0])
    R.add("payload: h3:8 as grading unit (cells with visitors)", None,
          f"{n_cells:,} cells; {_mb(html)} HTML, {_mb(sent)} st_folium",
          flag="" if max(html, sent) < TARGET_H3_MB * 1024 * 1024 else "over 5 MB")

    def hex_overlay_map(cells: list[str]) -> int:
        from mapping.maps.render import make_map

        m = make_map(basemap=basemap)
        hexes = hexgrid.hex_layer(cells).assign(visits=1)
        fills = pd.Series(palette.ORANGES[1], index=hexes["area_id"])
        overlays.add_hexagons(m, hexes, fills, {"area_name": "六边形", "visits": "到访"}, basemap)
        return len(m.get_root().render().encode())

    if full:
        ids = facts.areas("h3:8")[0]
        with_visitors = R.once("payload: h3:8 overlay, every cell with visitors", lambda: hex_overlay_map(ids),
                               lambda b: f"{len(ids):,} cells; {_mb(b)} HTML")
        sizes["h3_8_overlay_html"] = with_visitors
        city = hexgrid.cells_in_polygons(boundaries.districts(), 8)
        b = R.once("payload: h3:8 overlay, all cells of Shanghai", lambda: hex_overlay_map(city),
                   lambda b: f"{len(city):,} cells; {_mb(b)} HTML")
        sizes["h3_8_city_overlay_html"] = b

        def city_choropleth() -> tuple[int, int]:
            run = page.run_for("h3:8", page.settings("home"), Filters())
            table = B.graded(facts, run, page.names_of("h3:8", ids), Filters())
            extra = pd.DataFrame({"area_id": [c for c in city if c not in set(table["area_id"])]})
            extra = extra.assign(visits=0, high_intention=0, deals=0, score=0.0, support=0, conversion=0.0,
                                 grade=G.NO_VISITS, rank=pd.NA, suppressed=False, focus="",
                                 area_name=[hexgrid.cell_label(c) for c in extra["area_id"]])
            full_table = pd.concat([table, extra], ignore_index=True)
            layer = hexgrid.hex_layer(city)
            m = choropleth.graded_choropleth(layer, full_table, G.legend(full_table, run.bins_for("")))
            return len(m.get_root().render().encode()), st_folium_payload(m)

        html, sent = R.once("payload: h3:8 graded unit, all cells of Shanghai", city_choropleth,
                            lambda v: f"{len(city):,} cells; {_mb(v[0])} HTML, {_mb(v[1])} st_folium")
        sizes["h3_8_city_unit_html"] = html
        R.rows[-1]["flag"] = "" if max(html, sent) < TARGET_H3_MB * 1024 * 1024 else "over 5 MB"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    R.add("peak RSS of the process (ru_maxrss)", None, f"{peak:,.0f} MB")
    for row in R.rows:
        row["sizes"] = sizes
    return R.rows


def run_payload_ref(n: int, base_n: int, basemap: str) -> list[dict]:
    """Only the district-layer payloads at a small N (reference for "does not grow")."""
    from mapping import schema as S
    from mapping.analysis.facts import Facts, Filters

    R = Rows(f"N={n:,}")
    locations, how = build_locations(n, base_n)
    BF.warm_up()
    facts = Facts.build(locations, S.SHANGHAI)
    page = Page(facts, project_spec(), basemap)
    sizes = {}
    for layer_id in (S.LAYER_DISTRICTS_BANKUAI, S.LAYER_DISTRICTS):
        out = page.rerun(layer_id, "", "home", Filters())
        sizes[f"{layer_id}_html"], sizes[f"{layer_id}_payload"] = out["html_bytes"], out["payload_bytes"]
        R.add(f"payload: {layer_id} layer map", None,
              f"{_mb(out['html_bytes'])} HTML, {_mb(out['payload_bytes'])} st_folium ({how})")
    for row in R.rows:
        row["sizes"] = sizes
    return R.rows


# ============================================================================ --apptest
def import_db(path: str, n: int, chunk: int, budget: float) -> list[dict]:
    """Generate ``n`` visitors and import them chunk by chunk (read_table → validate →
    importer.import_records) into a new SQLite file, until done or ``budget`` seconds are used."""
    from mapping import importer
    from mapping.bootstrap import SAMPLE_COMPETITORS, SAMPLE_PROJECT
    from mapping.db.store import Store
    from mapping.ingest.tables import auto_map, file_digest, read_table, validate

    R = Rows(f"import N={n:,}")
    gen = BF.load_generator()
    frame = R.once("generate visitors (not part of the import)", lambda: gen.generate(rows=n, seed=SEED),
                   lambda f: f"{len(f):,} rows")
    store = Store(f"sqlite:///{path}")
    store.migrate()
    pid = store.create_project(**SAMPLE_PROJECT)
    store.set_sites(pid, SAMPLE_PROJECT["site"], SAMPLE_COMPETITORS)
    lines = tuple(SAMPLE_PROJECT["product_lines"])
    done, started, times = 0, time.perf_counter(), []
    ingest_s = import_s = 0.0
    while done < n and time.perf_counter() - started < budget:
        part = frame.iloc[done:done + chunk]
        t0 = time.perf_counter()
        data = gen.csv_bytes(part, "utf-8-sig")
        table = read_table(data, f"visitors_{done}.csv")
        result = validate(table, auto_map(table.frame.columns), secret=store.pii_secret(), product_lines=lines)
        t1 = time.perf_counter()
        summary = importer.import_records(store, pid, result, f"visitors_{done}.csv", file_digest(data))
        t2 = time.perf_counter()
        ingest_s += t1 - t0
        import_s += t2 - t1
        times.append(t2 - t1)
        done += len(part)
        _progress(f"imported {done:,} / {n:,} ({summary.inserted:,} new) in {time.perf_counter() - started:.0f} s")
    cut = "" if done >= n else f"; STOPPED at the {budget:.0f} s budget"
    R.add(f"import {done:,} visitors in chunks of {chunk:,}", [ingest_s + import_s],
          f"CSV+ingest {ingest_s:.0f} s, import_records {import_s:.0f} s "
          f"({import_s / max(done, 1) * 1e6:.0f} µs/visitor){cut}", R.memory.peak_mb())
    store.engine.dispose()
    for row in R.rows:
        row["imported"] = done
    return R.rows


def run_apptest(path: str, imported: int, repeats: int, timeout: float, first_only: bool = False) -> list[dict]:
    """The real page under AppTest on the imported database (signed in as an admin, the way
    ``tests/conftest.sign_in`` does); ``first_only``: stop after the first and second run."""
    os.environ["TUOKE_DB_PATH"] = path
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("TUOKE_PII_KEY_FILE", str(Path(path).with_suffix(".key")))
    os.chdir(ROOT)
    from streamlit.testing.v1 import AppTest

    from tests.conftest import sign_in

    R = Rows(f"AppTest N={imported:,}")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    sign_in(at)
    R.once("app start (home page)", at.run)
    at.switch_page("views/battle_map.py")

    def check(stage: str) -> None:
        if at.exception:
            raise RuntimeError(f"{stage}: {at.exception[0].value}")
        errors = [e.value for e in at.error]
        if errors:
            raise RuntimeError(f"{stage}: {errors}")

    R.once("first run of 拓客作战地图 (read locations, Facts, areas, fit)", at.run,
           lambda _: f"project picker: {at.selectbox(key='project_picker').value}")
    check("first run")
    R.once("second run, nothing changed", at.run)
    if first_only:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        R.add("peak RSS of the process (ru_maxrss)", None, f"{peak:,.0f} MB")
        return R.rows

    def line(value):
        try:
            at.segmented_control(key="bm_line").set_value(value)
        except Exception:  # noqa: BLE001 - older testing APIs: drive the state directly
            at.session_state["bm_line"] = value

    def timed(label: str, change, reset, note: str = "") -> None:
        times = []
        _progress(f"{R.group}: {label} …")
        R.memory.start()
        for _ in range(repeats):
            reset()
            at.run()
            check(label + " (reset)")
            change()
            t0 = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - t0)
            check(label)
        R.add(f"rerun: {label}", times, note, R.memory.peak_mb(),
              flag="" if statistics.median(times) <= TARGET_RERUN_S else "over 0.5 s")
        _progress(f"{R.group}: {label} {statistics.median(times):.2f} s")

    def dim(value):
        return lambda: at.selectbox(key="bm_dimension").set_value(value)

    def channels(value):
        return lambda: at.multiselect(key="bm_channels").set_value(value)

    def clear_runs():
        at.session_state["bm_runs"] = {}

    at.session_state["bm_filters_open"] = True  # the 筛选 section's widgets are drawn only while it is open
    at.run()
    check("筛选 opened")
    options = at.multiselect(key="bm_channels").options
    timed("bm_line → 公寓", lambda: line("公寓"), lambda: line(""))
    timed("bm_line → 别墅", lambda: line("别墅"), lambda: line("公寓"))
    timed("bm_dimension home → composite (first time: refit)", dim("composite"),
          lambda: (dim("home")(), clear_runs()), "session's run cache emptied before each repeat")
    timed("bm_dimension home → composite (run cached)", dim("composite"), dim("home"))
    timed(f"bm_channels → [{options[0]}]", channels([options[0]]), channels([]))
    timed(f"bm_channels → [{options[0]}, {options[1]}]", channels(options[:2]), channels([options[0]]))
    at.selectbox(key="bm_dimension").set_value("home")
    at.multiselect(key="bm_channels").set_value([])
    at.pills(key="bm_layers").set_value(list(ALL_OVERLAYS))
    R.once("switch on all overlays (hex, heat, points, sites)", at.run)
    check("overlays")
    timed("bm_line → 公寓, all overlays", lambda: line("公寓"), lambda: line(""))
    timed(f"bm_channels → [{options[0]}], all overlays", channels([options[0]]), channels([]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    R.add("peak RSS of the process (ru_maxrss)", None, f"{peak:,.0f} MB")
    return R.rows


# ============================================================================ driver
def run_child(spec: dict) -> None:
    kind = spec["kind"]
    if kind == "functions":
        rows = run_functions(spec["n"], spec["base"], spec["repeats"], spec["basemap"], True)
    elif kind == "payload_ref":
        rows = run_payload_ref(spec["n"], spec["base"], spec["basemap"])
    elif kind == "import":
        rows = import_db(spec["path"], spec["n"], spec["chunk"], spec["budget"])
    elif kind == "apptest":
        rows = run_apptest(spec["path"], spec["imported"], spec["repeats"], spec["timeout"],
                           spec.get("first_only", False))
    else:
        raise SystemExit(f"unknown child {kind!r}")
    print(RESULT_MARK + json.dumps({"rows": rows}, default=str), flush=True)


def spawn(spec: dict, timeout: float) -> list[dict]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)]
    label = spec.get("n", spec.get("imported", ""))
    try:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return [{"group": f"{spec['kind']} {label}", "stage": f"TIMED OUT after {timeout:.0f} s", "n": 0}]
    for out in reversed(proc.stdout.splitlines()):
        if out.startswith(RESULT_MARK):
            return json.loads(out[len(RESULT_MARK):])["rows"]
    return [{"group": f"{spec['kind']} {label}", "stage": f"FAILED (exit {proc.returncode})", "n": 0}]


def _fmt(value, spec: str) -> str:
    return "" if value is None else format(value, spec)


def format_table(rows: list[dict], markdown: bool = False) -> str:
    head = ["group", "stage", "median s", "min s", "max s", "runs", "peak RSS MB", "target", "note"]
    body = [[r["group"], r["stage"], _fmt(r.get("median"), ".3f"), _fmt(r.get("min"), ".3f"),
             _fmt(r.get("max"), ".3f"), str(r.get("n") or ""), _fmt(r.get("peak_mb"), ".0f"),
             r.get("flag") or "", r.get("note", "")] for r in rows]
    if markdown:
        lines = ["| " + " | ".join(head) + " |",
                 "|" + "|".join(["---", "---", "--:", "--:", "--:", "--:", "--:", "---", "---"]) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in body]
        return "\n".join(lines)
    widths = [max(BF._width(x) for x in col) for col in zip(head, *body)]
    right = {2, 3, 4, 5, 6}

    def line(cells):
        return "  ".join(BF._pad(c, w, i in right) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join([line(head), line(["-" * w for w in widths])] + [line(r) for r in body])


def growth_lines(rows: list[dict]) -> list[str]:
    """District-layer payload at the smallest vs the largest N (must not grow)."""
    by_n = {}
    for r in rows:
        if r.get("sizes") and r["group"].startswith("N="):
            by_n[int(r["group"][2:].replace(",", ""))] = r["sizes"]
    if len(by_n) < 2:
        return []
    lo, hi = min(by_n), max(by_n)
    out = []
    for key in ("districts_bankuai_html", "districts_bankuai_payload", "districts_html", "districts_payload"):
        if key in by_n[lo] and key in by_n[hi]:
            a, b = by_n[lo][key], by_n[hi][key]
            out.append(f"{key}: {a:,} bytes at N={lo:,} → {b:,} bytes at N={hi:,} ({(b - a) / a:+.1%})")
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", default="1000000", help="visitor counts, comma separated (default 1000000)")
    p.add_argument("--apptest", action="store_true", help="import into SQLite and time the real page (AppTest)")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.add_argument("--repeats", type=int, default=None, help="repeats per change (default 5; --apptest 3)")
    p.add_argument("--base", type=int, default=100_000,
                   help="above this many visitors the generated+resolved base is tiled (default 100000)")
    p.add_argument("--payload-ref", type=int, default=5000,
                   help="small N whose district payload is compared with the others (0: skip; default 5000)")
    p.add_argument("--basemap", default="none", help="basemap of the maps (default none, the page's default)")
    p.add_argument("--chunk", type=int, default=100_000, help="--apptest: visitors per import (default 100000)")
    p.add_argument("--import-budget", type=float, default=480,
                   help="--apptest: stop importing after this many seconds (default 480)")
    p.add_argument("--db", default="",
                   help="--apptest: an existing SQLite database to open instead of importing one (e.g. "
                        "bench_home.py's /tmp/tuoke_bench_home_1000000.sqlite3; its visitor count is --rows)")
    p.add_argument("--first-only", action="store_true",
                   help="--apptest: time only the page's first run (empty caches) and a second run")
    p.add_argument("--timeout", type=float, default=1800, help="seconds allowed per process (default 1800)")
    p.add_argument("--child", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        run_child(json.loads(args.child))
        return 0
    sizes = [int(s.replace("_", "")) for s in args.rows.split(",") if s.strip()]
    revision = BF.code_revision()
    started = time.perf_counter()
    rows: list[dict] = []
    if args.apptest and args.db:
        rows += spawn({"kind": "apptest", "path": args.db, "imported": sizes[-1], "repeats": args.repeats or 3,
                       "timeout": args.timeout, "first_only": args.first_only}, args.timeout)
    elif args.apptest:
        repeats = args.repeats or 3
        with tempfile.TemporaryDirectory(prefix="tuoke_bench_battle_") as tmp:
            path = str(Path(tmp) / "battle.sqlite3")
            n = sizes[-1]
            rows += spawn({"kind": "import", "path": path, "n": n, "chunk": args.chunk,
                           "budget": args.import_budget}, args.timeout)
            imported = rows[-1].get("imported", 0)
            if imported:
                rows += spawn({"kind": "apptest", "path": path, "imported": imported, "repeats": repeats,
                               "timeout": args.timeout, "first_only": args.first_only}, args.timeout)
    else:
        repeats = args.repeats or 5
        if args.payload_ref and args.payload_ref not in sizes:
            rows += spawn({"kind": "payload_ref", "n": args.payload_ref, "base": args.base,
                           "basemap": args.basemap}, args.timeout)
        for n in sizes:
            rows += spawn({"kind": "functions", "n": n, "base": args.base, "repeats": repeats,
                           "basemap": args.basemap}, args.timeout)
    print(format_table(rows, markdown=args.markdown))
    print()
    for line in growth_lines(rows):
        print(line)
    print(f"{time.strftime('%Y-%m-%d %H:%M')}  {os.cpu_count()} CPUs  python {sys.version.split()[0]}  "
          f"total {time.perf_counter() - started:.0f} s  {revision}")
    print(f"Wall times: median (min, max) of the runs shown; target: a rerun ≤ {TARGET_RERUN_S} s, district "
          f"map < {TARGET_DISTRICT_MB:g} MB, H3 res 8 city map < {TARGET_H3_MB:g} MB.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
