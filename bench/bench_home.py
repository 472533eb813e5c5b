"""The home page at scale: its first run (AppTest) and the queries behind it, N generated visitors.

Usage
-----
    .venv/bin/python bench/bench_home.py --rows 200000
    .venv/bin/python bench/bench_home.py --rows 1000000 --markdown

The database (SQLite, the sample project's settings, ``--rows`` visitors from
``data/samples/generate.py``, imported with ``importer.import_records``; built by
``bench/load_sessions.build_database``) is built once and kept at ``--db`` (default
``/tmp/tuoke_bench_home_<rows>.sqlite3``), so later runs reuse it; building it is not timed.

Each row runs in its own fresh Python process (so caches are cold and the peak RSS is that
row's):

- *page first run*: ``AppTest.from_file("app.py")`` signed in as an admin (the pattern of
  ``tests/conftest.sign_in``), then the first ``at.run()`` of the home page — what a user
  waits for when opening 拓客图 after a restart or an import;
- *page first run, modules imported* (``--modes page_warm``): the same after importing the
  modules a running server has loaded already (altair, geopandas, ``mapping.analysis.facts``,
  ``ui.common``, ``ui.layers``, ``ui.imports``), so it times the page's own work;
- *queries, pandas (before)*: what the home page did before issue 13: ``store.visitors`` +
  ``store.locations`` into pandas, ``aggregate.headline`` + ``aggregate.weekly``, and
  ``Facts.build`` + the map-unit coverage (``reconcile`` expander);
- *queries, SQL (after)*: what the home page reads now: ``Store.location_groups`` (one pass over
  the locations) with ``Store.summary(groups=)``, ``Store.adcode_counts_of`` and the same coverage
  summed from it, plus ``Store.weekly``; on a checkout without ``location_groups`` the separate
  ``Store.summary`` + ``Store.adcode_counts`` + ``Store.coverage_groups`` + ``Store.weekly``.

Wall time is `time.perf_counter`, CPU time `time.process_time` (all threads of the process: on a
machine shared with other work it moves less than wall time).  Peak RSS is the process's
``ru_maxrss`` at the end (the whole process, imports included).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_page(db: str, warm: bool = False) -> dict:
    os.environ["TUOKE_DB_PATH"] = db
    os.environ.pop("DATABASE_URL", None)
    os.chdir(ROOT)
    from streamlit.testing.v1 import AppTest

    from tests.conftest import sign_in

    if warm:  # what a running server has imported already: the first run then measures the page's own work
        import altair  # noqa: F401
        import geopandas  # noqa: F401

        import mapping.analysis.facts  # noqa: F401
        import ui.common
        import ui.imports
        import ui.layers  # noqa: F401
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    sign_in(at)
    start, cpu = time.perf_counter(), time.process_time()
    at.run()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if at.exception:
        raise SystemExit(f"home page failed: {at.exception}")
    metrics = {m.label: m.value for m in at.metric}
    start = time.perf_counter()
    at.run()
    rerun = time.perf_counter() - start
    return {"seconds": seconds, "cpu": cpu, "rerun": rerun, "note": f"到访客户 {metrics.get('到访客户')}; rerun {rerun:.2f} s"}


def _layer(project):
    from mapping.geo import hexgrid
    from mapping.geo.boundaries import load_layer

    return None if hexgrid.parse_layer_id(project.area_layer) is not None else load_layer(project.area_layer)


def measure_pandas(db: str) -> dict:
    from mapping import schema as S
    from mapping.analysis import aggregate
    from mapping.analysis.facts import Facts, coverage
    from mapping.db.store import Store

    store = Store(f"sqlite:///{db}")
    pid = int(store.projects()["id"].iloc[0])
    project = store.project(pid)
    layer = _layer(project)
    start, cpu = time.perf_counter(), time.process_time()
    visitors, locations = store.visitors(pid), store.locations(pid)
    figures = aggregate.headline(visitors, locations)
    aggregate.weekly(visitors)
    facts = Facts.build(locations, project.city_adcode)
    facts.areas(project.area_layer, layer)
    cov = {d: coverage(facts, project.area_layer, d) for d in S.DIMENSIONS}
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "note": f"{len(locations):,} location rows read; home placed {cov['home'].placed:,}",
            "visitors": figures["visitors"]}


def measure_sql(db: str) -> dict:
    from mapping import schema as S
    from mapping.analysis import aggregate
    from mapping.db.store import Store

    store = Store(f"sqlite:///{db}")
    if not hasattr(store, "summary"):
        return {"seconds": float("nan"), "cpu": float("nan"), "note": "no Store.summary in this checkout"}
    pid = int(store.projects()["id"].iloc[0])
    project = store.project(pid)
    layer = _layer(project)
    start, cpu = time.perf_counter(), time.process_time()
    if hasattr(store, "location_groups"):  # one pass over the locations, everything summed from it
        groups = store.location_groups(pid)
        figures = store.summary(pid, groups=groups)
        counts = store.adcode_counts_of(groups)
        how = "one pass"
    else:  # before: summary, the city check's counts and the coverage groups each scan the locations
        figures = store.summary(pid)
        counts = store.adcode_counts(pid) if hasattr(store, "adcode_counts") else {}
        groups = store.coverage_groups(pid)  # an older checkout: location_groups was named so
        how = "separate queries"
    aggregate.weekly_from_days(store.weekly(pid))
    cov = aggregate.grouped_coverages(groups, project.area_layer, layer)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu,
            "note": f"{how}: {len(groups):,} grouped rows read; home placed {cov['home'].placed:,}; "
                    f"{len(counts)} counties",
            "visitors": figures["visitors"], "dims": len(S.DIMENSIONS)}


MODES = {"page": measure_page, "page_warm": lambda db: measure_page(db, warm=True), "pandas": measure_pandas,
         "sql": measure_sql}
LABELS = {"page": "home page first run (AppTest)",
          "page_warm": "home page first run, modules imported", "pandas": "queries, pandas (before)",
          "sql": "queries, SQL GROUP BY (after)"}


def run_child(mode: str, db: str) -> None:
    out = MODES[mode](db)
    out["peak_mb"] = _peak_mb()
    print("RESULT " + json.dumps(out), flush=True)


def spawn(mode: str, db: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", mode, "--db", db], cwd=ROOT,
                          capture_output=True, text=True, timeout=3600, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
    return {"seconds": float("nan"), "cpu": float("nan"), "peak_mb": float("nan"), "note": f"failed (exit {proc.returncode})"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--db", default="")
    parser.add_argument("--modes", default="page,pandas,sql")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--child", default="")
    args = parser.parse_args(argv)
    db = args.db or f"/tmp/tuoke_bench_home_{args.rows}.sqlite3"
    os.environ.setdefault("TUOKE_PII_KEY_FILE", str(Path(db).with_suffix(".key")))  # the key it was built with
    if args.child:
        run_child(args.child, db)
        return 0
    if not Path(db).exists():
        from load_sessions import build_database

        from mapping.ingest import limits as L
        from mapping.ingest import tables as T

        # one file of N visitors as one import (the page takes ≤ 50 MB, ≤ 500,000 rows per file)
        T.MAX_FILE_MB, L.MAX_ROWS, L.MAX_CELLS = 10_000, args.rows + 100, (args.rows + 100) * 100

        print(f"building {db} with {args.rows:,} visitors (not timed) …", file=sys.stderr, flush=True)
        start = time.perf_counter()
        build_database(args.rows, Path(db))
        import sqlite3

        with sqlite3.connect(db) as conn:  # fold the import's write-ahead log into the file, as a running app's would be
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        print(f"built in {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    rows = []
    for mode in args.modes.split(","):
        print(f"{mode} …", file=sys.stderr, flush=True)
        rows.append((LABELS[mode], spawn(mode, db)))
    if args.markdown:
        print(f"| N = {args.rows:,} | wall s | CPU s | peak RSS MB | note |\n|---|---:|---:|---:|---|")
        for label, r in rows:
            print(f"| {label} | {r['seconds']:.2f} | {r['cpu']:.2f} | {r['peak_mb']:.0f} | {r.get('note', '')} |")
    else:
        for label, r in rows:
            print(f"{label:40s} {r['seconds']:8.2f} s wall {r['cpu']:8.2f} s CPU {r['peak_mb']:8.0f} MB  "
                  f"{r.get('note', '')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
