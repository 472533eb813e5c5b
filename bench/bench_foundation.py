"""Benchmark of the foundation: ingest → import → aggregate → map, point resolution, upload guard.

Usage (from the project root)::

    .venv/bin/python bench/bench_foundation.py [--sizes 5000,100000] [--points 1000000] [--pg]

Every group of stages (one visitor count N, the point benchmark, the upload guard) runs in
its own fresh Python process, so one group's memory never shows up in another's.

Time is wall time (``time.perf_counter``) of the whole stage, measured once.

Memory is the *peak resident set size of the process during the stage*: before each stage
the Linux peak counter is reset (``echo 5 > /proc/self/clear_refs``) and afterwards read
back (``VmHWM`` in ``/proc/self/status``).  The "Δ" column is that peak minus the RSS at
the start of the stage, i.e. roughly what the stage itself needed on top of what was
already held.  Where the reset is not possible (not Linux), the figures fall back to
``resource.getrusage(RUSAGE_SELF).ru_maxrss``, which is the process peak so far (then
monotonic within a group), and the table says so.

Untimed set-up in each process: generating the visitor frame and its CSV bytes.  Then a
"warm-up (first use)" row times importing the mapping modules, reading the boundary files
and resolving one place text (everything ``lru_cache``-d for the life of the process, as
in the running app after its first page), so that the stages after it time work, not
first-use costs.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SEED = 20240101
SALT = "bench-salt"  # with a fixed key (bytes(32)): the hashing secret, PiiSecret
RESULT_MARK = "@@BENCH@@ "
SHANGHAI_BBOX = (121.0, 30.7, 122.0, 31.9)  # min lng, min lat, max lng, max lat
GUARD_MB = 51


# ----------------------------------------------------------------------------- memory
class Memory:
    """Per-stage peak RSS via /proc/self/clear_refs, else ru_maxrss (process peak so far)."""

    def __init__(self) -> None:
        self.resettable = self._try_reset()

    @staticmethod
    def _try_reset() -> bool:
        try:
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")
            return True
        except OSError:
            return False

    @staticmethod
    def _status_kb(key: str) -> int | None:
        try:
            with open("/proc/self/status") as fh:
                for line in fh:
                    if line.startswith(key + ":"):
                        return int(line.split()[1])
        except OSError:
            pass
        return None

    def rss_mb(self) -> float:
        kb = self._status_kb("VmRSS")
        return (kb if kb is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024

    def start(self) -> float:
        if self.resettable:
            self._try_reset()
        return self.rss_mb()

    def peak_mb(self) -> float:
        kb = self._status_kb("VmHWM") if self.resettable else None
        return (kb if kb is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


MEMORY: Memory | None = None


def measure(rows: list[dict], group: str, stage: str, fn: Callable[[], object],
            note: Callable[[object], str] | str = "") -> object:
    """Run ``fn`` once, append a result row (time, peak RSS) and return ``fn``'s value."""
    assert MEMORY is not None
    _progress(f"{group}: {stage} …")
    start_rss = MEMORY.start()
    t0 = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - t0
    peak = MEMORY.peak_mb()
    rows.append({
        "group": group, "stage": stage, "seconds": seconds, "peak_mb": peak,
        "delta_mb": max(peak - start_rss, 0.0),
        "note": note(value) if callable(note) else note,
    })
    _progress(f"{group}: {stage} {seconds:.2f} s")
    return value


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- set-up
def load_generator():
    """data/samples/generate.py as a module (data/ is not a package)."""
    spec = importlib.util.spec_from_file_location("sample_gen", ROOT / "data" / "samples" / "generate.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    return gen


def csv_for(n: int) -> bytes:
    """UTF-8-with-BOM CSV bytes of ``n`` generated visitors (as Excel's "CSV UTF-8")."""
    gen = load_generator()
    return gen.csv_bytes(gen.generate(rows=n, seed=SEED), "utf-8-sig")


def warm_up() -> None:
    """Import the modules and read every boundary file once (cached for the life of the
    process, as in the running app), so the stages time work, not first-use costs."""
    from mapping import importer  # noqa: F401  (imported to warm up)
    from mapping import schema as S
    from mapping.analysis import aggregate  # noqa: F401
    from mapping.db import store  # noqa: F401
    from mapping.geo import boundaries
    from mapping.ingest import tables  # noqa: F401
    from mapping.maps import choropleth  # noqa: F401
    from mapping.place import resolve

    for layer_id in boundaries.LAYER_IDS:
        boundaries.load_layer(layer_id)
        boundaries.load_layer(layer_id, display=True)
    boundaries.district_names()
    boundaries.assign_points([121.5], [31.2], S.LAYER_DISTRICTS)
    resolve.resolve_texts(["浦东新区金桥镇"], S.SHANGHAI)  # loads whatever the text resolver needs


@contextlib.contextmanager
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database ``tuoke_bench_<random>``, dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"tuoke_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# ----------------------------------------------------------------------------- stages
def stage_ingest(data: bytes, filename: str):
    """read_table + auto_map + validate."""
    from mapping.bootstrap import SAMPLE_PROJECT
    from mapping.ingest.keys import PiiSecret
    from mapping.ingest.tables import auto_map, read_table, validate

    table = read_table(data, filename)
    mapping = auto_map(table.frame.columns)
    return validate(table, mapping, secret=PiiSecret(bytes(32), SALT),
                    product_lines=tuple(SAMPLE_PROJECT["product_lines"]))


def stage_import(url: str, result, filename: str, digest: str):
    """Store(url).migrate() + create_project + import_records.  Returns (store, pid, summary, sub-times)."""
    from mapping import importer
    from mapping.bootstrap import SAMPLE_PROJECT
    from mapping.db.store import Store

    t0 = time.perf_counter()
    store = Store(url)
    store.migrate()
    t1 = time.perf_counter()
    pid = store.create_project(**SAMPLE_PROJECT)
    summary = importer.import_records(store, pid, result, filename, digest)
    return store, pid, summary, t1 - t0


def stage_reimport(store, pid: int, result, filename: str, digest: str):
    """import_records of the same result again (every visitor unchanged)."""
    from mapping import importer

    return importer.import_records(store, pid, result, filename, digest)


def stage_aggregate(store, pid: int):
    """store.locations + area_counts on the districts + Pudong 板块 layer, home dimension."""
    from mapping import schema as S
    from mapping.analysis import aggregate
    from mapping.geo import boundaries

    locations = store.locations(pid)
    counts, coverage = aggregate.area_counts(locations, boundaries.load_layer(S.LAYER_DISTRICTS_BANKUAI), "home")
    return locations, counts, coverage


def stage_map(counts) -> str:
    """visitor_choropleth on the display layer, rendered to one HTML document."""
    from mapping import schema as S
    from mapping.geo import boundaries
    from mapping.maps import choropleth

    m = choropleth.visitor_choropleth(boundaries.load_layer(S.LAYER_DISTRICTS_BANKUAI, display=True), counts)
    return m.get_root().render()


def _summary_note(summary) -> str:
    return f"+{summary.inserted} new, {summary.updated} upd, {summary.unchanged} same"


# ----------------------------------------------------------------------------- groups
def run_size(n: int, pg: bool) -> list[dict]:
    """All visitor stages for one N, in one process."""
    from mapping.ingest.tables import file_digest

    group = f"N={n:,}"
    rows: list[dict] = []
    data = csv_for(n)
    digest = file_digest(data)
    filename = f"visitors_{n}.csv"
    rows.append({"group": group, "stage": "(CSV built, not timed)", "seconds": None, "peak_mb": None,
                 "delta_mb": None, "note": f"{len(data) / 1024 / 1024:.1f} MB"})
    measure(rows, group, "warm-up (first use)", warm_up)

    result = measure(rows, group, "ingest", lambda: stage_ingest(data, filename),
                     lambda r: f"{len(r.records):,} records, {len(r.report):,} report lines")
    with tempfile.TemporaryDirectory(prefix="tuoke_bench_") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        store, pid, _summary, _migrate_s = measure(
            rows, group, "import SQLite", lambda: stage_import(url, result, filename, digest),
            lambda v: f"{_summary_note(v[2])}; migrate {v[3]:.2f} s")
        measure(rows, group, "re-import, unchanged", lambda: stage_reimport(store, pid, result, filename, digest),
                _summary_note)
        _locations, counts, _coverage = measure(
            rows, group, "aggregate", lambda: stage_aggregate(store, pid),
            lambda v: f"{len(v[0]):,} locations, home placed {v[2].placed:,}/{v[2].given:,}")
        measure(rows, group, "map payload", lambda: stage_map(counts),
                lambda h: f"{len(h.encode()) / 1024:,.0f} KB HTML")
        store.engine.dispose()
    if pg:
        with pg_database() as pg_url:
            store, pid, _summary, _migrate_s = measure(
                rows, group, "import PostgreSQL", lambda: stage_import(pg_url, result, filename, digest),
                lambda v: f"{_summary_note(v[2])}; migrate {v[3]:.2f} s")
            measure(rows, group, "re-import PostgreSQL, unchanged",
                    lambda: stage_reimport(store, pid, result, filename, digest), _summary_note)
            store.engine.dispose()
    return rows


def random_points(n: int, seed: int = SEED):
    import numpy as np

    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = SHANGHAI_BBOX
    return rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)


def run_points(n: int) -> list[dict]:
    """resolve_points on random GCJ-02 points, and its parts; assign_points on Pudong 板块."""
    from mapping import schema as S
    from mapping.geo import boundaries
    from mapping.geo.coords import to_wgs84
    from mapping.place.resolve import resolve_points

    group = f"points={n:,}"
    rows: list[dict] = []
    lng, lat = random_points(n)
    measure(rows, group, "warm-up (first use)", warm_up)
    districts = boundaries.load_layer(S.LAYER_DISTRICTS)
    bankuai = boundaries.load_layer(S.LAYER_BANKUAI)

    measure(rows, group, "resolve_points GCJ02 → districts", lambda: resolve_points(lng, lat, "GCJ02"),
            lambda r: f"{(r['adcode'] != '').mean():.1%} inside Shanghai")
    w_lng, w_lat = measure(rows, group, "  part: to_wgs84 only", lambda: to_wgs84(lng, lat, "GCJ02"))
    measure(rows, group, "  part: assign_points districts", lambda: boundaries.assign_points(w_lng, w_lat, districts),
            lambda a: f"{(a != '').mean():.1%} in a district")
    measure(rows, group, "assign_points Pudong 板块", lambda: boundaries.assign_points(w_lng, w_lat, bankuai),
            lambda a: f"{(a != '').mean():.1%} in a 板块 ({len(bankuai)} polygons)")
    return rows


def run_guard() -> list[dict]:
    """read_table must refuse a file over the limit before parsing it."""
    from mapping.ingest.tables import MAX_FILE_MB, IngestError, read_table

    group = f"{GUARD_MB} MB CSV"
    rows: list[dict] = []
    header, _, body = csv_for(5000).partition(b"\n")
    target = GUARD_MB * 1024 * 1024
    full = header + b"\n" + body * (target // len(body) + 2)
    data = full[: full.index(b"\n", target) + 1]  # just over the target, whole lines, final newline
    del full
    warm_up()

    def refuse() -> str:
        try:
            read_table(data, "big.csv")
        except IngestError as exc:
            return f"refused: {str(exc)[:28]}…"
        return "NOT refused"

    measure(rows, group, f"read_table refuses (limit {MAX_FILE_MB:.0f} MB)", refuse, lambda s: s)
    return rows


# ----------------------------------------------------------------------------- driver
def run_child(spec: str) -> None:
    global MEMORY
    MEMORY = Memory()
    kind, _, arg = spec.partition(":")
    if kind == "size":
        n, _, pg = arg.partition(":")
        rows = run_size(int(n), pg == "pg")
    elif kind == "points":
        rows = run_points(int(arg))
    elif kind == "guard":
        rows = run_guard()
    else:
        raise SystemExit(f"unknown child spec {spec!r}")
    print(RESULT_MARK + json.dumps({"rows": rows, "per_stage_peak": MEMORY.resettable}), flush=True)


def spawn(spec: str, timeout: float) -> tuple[list[dict], bool]:
    """Run one group in a fresh interpreter; its progress goes to our stderr."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", spec]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return [{"group": spec, "stage": f"TIMED OUT after {timeout:.0f} s", "seconds": None, "peak_mb": None,
                 "delta_mb": None, "note": ""}], True
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            payload = json.loads(line[len(RESULT_MARK):])
            return payload["rows"], payload["per_stage_peak"]
    return [{"group": spec, "stage": f"FAILED (exit {proc.returncode})", "seconds": None, "peak_mb": None,
             "delta_mb": None, "note": ""}], True


def code_revision() -> str:
    """Short commit of the checkout, and whether mapping/ differs from it (read-only git calls)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "mapping"], cwd=ROOT, capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown revision"
    return f"commit {head or '?'}" + (" + uncommitted changes in mapping/" if dirty else "")


def _fmt(value, spec: str) -> str:
    return "" if value is None else format(value, spec)


def format_table(rows: list[dict], markdown: bool = False) -> str:
    head = ["group", "stage", "wall s", "peak RSS MB", "Δ MB", "note"]
    body = [[r["group"], r["stage"], _fmt(r["seconds"], ".3f"), _fmt(r["peak_mb"], ".0f"),
             _fmt(r["delta_mb"], ".0f"), r["note"]] for r in rows]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---", "---", "--:", "--:", "--:", "---"]) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in body]
        return "\n".join(lines)
    widths = [max(_width(x) for x in col) for col in zip(head, *body)]
    right = {2, 3, 4}

    def line(cells):
        return "  ".join(_pad(c, w, i in right) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join([line(head), line(["-" * w for w in widths])] + [line(r) for r in body])


def _width(text: str) -> int:
    """Terminal width: CJK characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - _width(text))
    return fill + text if right else text + fill


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="5000,100000", help="visitor counts, comma separated (default 5000,100000)")
    parser.add_argument("--points", type=int, default=1_000_000, help="random points to resolve (default 1000000)")
    parser.add_argument("--pg", action="store_true", help="also import into a fresh PostgreSQL database")
    parser.add_argument("--timeout", type=float, default=900, help="seconds allowed per group (default 900)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        run_child(args.child)
        return 0
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    specs = [f"size:{n}:{'pg' if args.pg else ''}" for n in sizes]
    if args.points > 0:
        specs.append(f"points:{args.points}")
    specs.append("guard")
    rows: list[dict] = []
    per_stage = True
    revision = code_revision()
    started = time.perf_counter()
    for spec in specs:
        group_rows, resettable = spawn(spec, args.timeout)
        rows += group_rows
        per_stage &= resettable
    print(format_table(rows, markdown=args.markdown))
    print()
    now = code_revision()
    print(f"{time.strftime('%Y-%m-%d %H:%M')}  {os.cpu_count()} CPUs  python {sys.version.split()[0]}  "
          f"total {time.perf_counter() - started:.0f} s  {revision}"
          + ("" if now == revision else f" (changed during the run, now {now})"))
    print("Whole-stage wall times, one run each, on whatever else the machine is doing.")
    print("peak RSS = peak resident memory of the process during the stage"
          + ("" if per_stage else " (ru_maxrss: process peak so far, per-stage reset unavailable)")
          + "; Δ = that peak minus RSS at the stage start.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
