"""Benchmark of a bulk import against the plain floor (pandas read_csv + to_sql).

Usage (from the project root)::

    .venv/bin/python bench/bench_import.py [--sizes 200000] [--pg] [--markdown]

For each N the CSV of N generated visitors (``data/samples/generate.py``, UTF-8 with BOM,
as ``bench_foundation``) is written once to a temporary file; that is not timed.  Then
each of these runs in its own fresh Python process, so one's memory never shows in
another's:

* **floor**: ``pd.read_csv`` of the file + ``DataFrame.to_sql`` into a fresh SQLite file
  (every column as read, no validation, no resolution, no index);
* **SQLite**: our import end to end as the app does it, into a fresh SQLite file:
  ``read_table`` + ``auto_map`` (read), ``validate`` (validate), then
  ``importer.import_records`` with the offline resolver (no geocoder), split into
  resolve (``resolve_records``) and write (everything else: diff, hashes, the database);
  then a re-import of the same file (unchanged) and an import where 1 % of the rows
  changed (their 渠道);
* **PostgreSQL** (``--pg``): the same into a fresh database (created with AUTOCOMMIT,
  dropped afterwards, as ``bench_foundation``).

Time is wall time (``time.perf_counter``).  Memory is the peak RSS of the process during
the stage (``bench_foundation.Memory``: Linux ``clear_refs`` reset + ``VmHWM``); the
import process's peak over its whole life is printed as its own row.  Module imports and
boundary files are warmed up first (untimed, as in the running app after its first page).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import bench_foundation as BF  # noqa: E402

RESULT_MARK = "@@BENCH@@ "
DERIVE_HOMETOWN = os.environ.get("TUOKE_BENCH_HOMETOWN") == "1"  # --derive-hometown, passed to the children
KEY = "bench-salt"


# ----------------------------------------------------------------------------- stage timers
class StageTimer:
    """Wall time spent inside named functions, summed (monkeypatched wrappers, restored after)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._undo: list[tuple[object, str, object]] = []

    def wrap(self, owner, name: str, label: str) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - t0

        self._undo.append((owner, name, original))
        setattr(owner, name, timed)

    def restore(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()


def _validate(table, mapping, product_lines):
    """``validate`` with the hashing secret as the installed version takes it (a salt string, or
    a :class:`mapping.ingest.keys.PiiSecret` of a fixed bench key and salt)."""
    from mapping.ingest.tables import validate

    name = list(inspect.signature(validate).parameters)[2]
    if name == "salt":
        secret = KEY
    else:
        from mapping.ingest.keys import PiiSecret

        secret = PiiSecret(b"b" * 32, KEY)
    return validate(table, mapping, product_lines=product_lines, **{name: secret})


# ----------------------------------------------------------------------------- children
def run_floor(csv_path: str, n: int) -> list[dict]:
    import pandas as pd
    from sqlalchemy import create_engine

    group = f"N={n:,}"
    rows: list[dict] = []

    def floor():
        with tempfile.TemporaryDirectory(prefix="tuoke_floor_") as tmp:
            engine = create_engine(f"sqlite:///{Path(tmp) / 'floor.sqlite3'}")
            frame = pd.read_csv(csv_path)
            frame.to_sql("visitors", engine, index=False)
            engine.dispose()
            return len(frame)

    BF.measure(rows, group, "floor: pd.read_csv + to_sql (SQLite)", floor, lambda k: f"{k:,} rows")
    return rows


def run_import(csv_path: str, n: int, db: str) -> list[dict]:
    from mapping import importer
    from mapping.bootstrap import SAMPLE_PROJECT
    from mapping.db import store as store_mod
    from mapping.db.store import Store
    from mapping.ingest.tables import auto_map, file_digest, read_table

    group = f"N={n:,}"
    label = "SQLite" if db == "sqlite" else "PostgreSQL"
    rows: list[dict] = []
    data = Path(csv_path).read_bytes()
    digest = file_digest(data)
    filename = Path(csv_path).name
    lifted = _lift_limits(n, len(data))
    if lifted:
        rows.append({"group": group, "stage": f"{'SQLite' if db == 'sqlite' else 'PostgreSQL'}: upload limits lifted "
                     "for the bench", "seconds": None, "peak_mb": None, "delta_mb": None, "note": lifted})
    BF.measure(rows, group, f"{label}: warm-up (first use, not part of the import)", BF.warm_up)

    def body(url: str) -> None:
        store = Store(url)
        store.migrate()
        pid = store.create_project(**{**SAMPLE_PROJECT, "name": "bench"})
        lines = tuple(SAMPLE_PROJECT["product_lines"])
        stages: dict[str, float] = {}
        ticks: list[tuple[float, object]] = []

        def progress(*args):
            ticks.append((time.perf_counter(), args))

        def run():
            timer = StageTimer()
            timer.wrap(importer, "resolve_records", "resolve")
            if db != "sqlite":  # the write: Arrow tables built in the caller's thread; CSV + COPY in the writer's
                if hasattr(store_mod, "_copy_table"):
                    timer.wrap(store_mod, "_copy_table", "copy")
                    timer.wrap(store_mod._NewRows, "build", "arrow")
                else:  # before the writer thread (1fc1aa4): Arrow arrays inside _copy
                    timer.wrap(store_mod, "_copy", "copy")
                    timer.wrap(store_mod, "_arrow", "arrow")
                timer.wrap(store_mod.pa_csv, "write_csv", "csv")
                timer.wrap(store_mod, "_new_ids", "ids")
            t0 = time.perf_counter()
            table = read_table(data, filename)
            mapping = auto_map(table.frame.columns)
            t1 = time.perf_counter()
            result = _validate(table, mapping, lines)
            t2 = time.perf_counter()
            try:
                summary = importer.import_records(store, pid, result, filename, digest, progress=progress)
            finally:
                timer.restore()
            t3 = time.perf_counter()
            resolve = timer.seconds.get("resolve", 0.0)
            stages.update(read=t1 - t0, validate=t2 - t1, resolve=resolve, write=t3 - t2 - resolve,
                          import_records=t3 - t2, **{k: timer.seconds.get(k, 0.0) for k in ("copy", "arrow", "csv", "ids")})
            return result, summary

        def split(v) -> str:
            head = f"read {stages['read']:.1f} + validate {stages['validate']:.1f} + "
            if db == "sqlite":
                head += f"resolve {stages['resolve']:.1f} + write {stages['write']:.1f} s"
            else:  # importer resolves the next chunk in a worker thread while PostgreSQL writes this one
                head += (f"import_records {stages['import_records']:.1f} s (three threads overlapping: resolve "
                         f"{stages['resolve']:.1f} s; Arrow tables {stages['arrow']:.1f} s; COPY "
                         f"{stages['copy']:.1f} s = CSV {stages['csv']:.1f} + sending and the server "
                         f"{stages['copy'] - stages['csv']:.1f} s, new ids {stages['ids']:.1f} s)")
            return f"{head}; {_summary(v[1])}; {len(ticks)} progress calls"

        result, summary = BF.measure(rows, group, f"{label}: import (read + validate + resolve + write)", run, split)
        rows[-1]["stages"] = dict(stages)
        BF.measure(rows, group, f"{label}: re-import, unchanged (import_records only)",
                   lambda: importer.import_records(store, pid, result, filename, digest), _summary)
        changed = _change_one_percent(result)
        BF.measure(rows, group, f"{label}: import with 1 % of rows changed (import_records only)",
                   lambda: importer.import_records(store, pid, changed, filename, digest), _summary)
        store.engine.dispose()

    return _in_fresh_database(db, body, rows, group, label)


def run_batches(csv_path: str, n: int, db: str) -> list[dict]:
    """The import batch by batch (``scripts/import_visitors.py``: ``stream.open_batches`` +
    ``importer.import_batches``, read, validate, resolve and write interleaved), then the same file again
    (unchanged) and with 1 % of its rows changed, each batch by batch."""
    from mapping import importer
    from mapping.bootstrap import SAMPLE_PROJECT
    from mapping.db.store import Store
    from mapping.ingest.stream import BATCH_ROWS, open_batches
    from mapping.ingest.tables import auto_map

    group = f"N={n:,}"
    label = ("SQLite" if db == "sqlite" else "PostgreSQL") + " batch by batch"
    rows: list[dict] = []
    BF.measure(rows, group, f"{label}: warm-up (first use, not part of the import)", BF.warm_up)
    changed_path = _changed_path(csv_path)  # written by the parent process (not timed, not in this one's memory)

    def body(url: str) -> None:
        store = Store(url)
        store.migrate()
        pid = store.create_project(**{**SAMPLE_PROJECT, "name": "bench"})
        lines = tuple(SAMPLE_PROJECT["product_lines"])
        ticks: list[float] = []

        def one(path):
            batches = open_batches(path, rows=BATCH_ROWS, check_size=False)
            done = importer.import_batches(store, pid, batches, auto_map(batches.columns), Path(path).name, "x",
                                           product_lines=lines, derive_hometown=DERIVE_HOMETOWN,
                                           progress=lambda *_: ticks.append(time.perf_counter()))
            return batches, done.summary

        def note(v) -> str:
            how = "streamed" if v[0].streamed else "read whole, sliced"
            hometown = "; 籍贯 derived from the ID numbers" if DERIVE_HOMETOWN else ""
            return f"{how}, batches of {BATCH_ROWS:,}{hometown}; {_summary(v[1])}; {len(ticks)} progress calls"

        BF.measure(rows, group, f"{label}: import (read + validate + resolve + write, interleaved)",
                   lambda: one(csv_path), note)
        BF.measure(rows, group, f"{label}: re-import, unchanged (whole command)", lambda: one(csv_path), note)
        BF.measure(rows, group, f"{label}: import with 1 % of rows changed (whole command)",
                   lambda: one(str(changed_path)), note)
        store.engine.dispose()

    return _in_fresh_database(db, body, rows, group, label)


def _in_fresh_database(db: str, body, rows: list[dict], group: str, label: str) -> list[dict]:
    """``body(url)`` on a fresh SQLite file or PostgreSQL database, then the process's peak RSS row."""
    if db == "sqlite":
        with tempfile.TemporaryDirectory(prefix="tuoke_bench_") as tmp:
            body(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
    else:
        with BF.pg_database() as url:
            body(url)
    rows.append({"group": group, "stage": f"{label}: peak RSS of the process (max over its stages)",
                 "seconds": None, "peak_mb": max(r["peak_mb"] for r in rows if r["peak_mb"] is not None), "delta_mb": None,
                 "note": ""})
    return rows


def _changed_path(csv_path) -> Path:
    return Path(csv_path).with_name(Path(csv_path).stem + "_changed.csv")


def write_changed(csv_path: Path) -> None:
    """The same file with the 渠道 of every 100th row changed (the batch import's "1 % changed" row)."""
    import pandas as pd

    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    frame.loc[frame.index[::100], "到访渠道"] = frame.loc[frame.index[::100], "到访渠道"] + "（改）"
    frame.to_csv(_changed_path(csv_path), index=False, encoding="utf-8-sig")


def _lift_limits(n: int, size: int) -> str:
    """Raise the per-file limits (50 MB, 500,000 rows by default) when N needs it, so one file of N
    visitors goes through as one import; "" when nothing was changed.  The page itself refuses such
    a file and asks for it in parts (each part one import)."""
    from mapping.ingest import limits as L
    from mapping.ingest import tables as T

    size_mb = size / 1024 / 1024
    if size_mb <= T.MAX_FILE_MB and n <= L.MAX_ROWS:
        return ""
    T.MAX_FILE_MB = max(T.MAX_FILE_MB, size_mb + 1)
    L.MAX_ROWS = max(L.MAX_ROWS, n + 100)
    L.MAX_CELLS = max(L.MAX_CELLS, (n + 100) * 100)
    return f"{size_mb:.0f} MB, {n:,} rows in one file (the page takes ≤ 50 MB, ≤ 500,000 rows per file)"


def _change_one_percent(result):
    """The same ingest result with the 渠道 of every 100th record changed."""
    import dataclasses

    from mapping import schema as S

    records = result.records.copy()
    picked = records.index[::100]
    records.loc[picked, S.CHANNEL] = records.loc[picked, S.CHANNEL].astype(str) + "（改）"
    return dataclasses.replace(result, records=records)


def _summary(summary) -> str:
    return f"+{summary.inserted:,} new, {summary.updated:,} upd, {summary.unchanged:,} same"


def run_child(spec: str) -> None:
    BF.MEMORY = BF.Memory()
    kind, n, csv_path = spec.split(":", 2)
    if kind == "floor":
        rows = run_floor(csv_path, int(n))
    elif kind.endswith("-batches"):
        rows = run_batches(csv_path, int(n), kind.split("-")[0])
    else:
        rows = run_import(csv_path, int(n), kind)
    print(RESULT_MARK + json.dumps({"rows": rows, "per_stage_peak": BF.MEMORY.resettable}), flush=True)


def spawn(spec: str, timeout: float) -> list[dict]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", spec]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return [{"group": spec, "stage": f"TIMED OUT after {timeout:.0f} s", "seconds": None, "peak_mb": None,
                 "delta_mb": None, "note": ""}]
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])["rows"]
    return [{"group": spec, "stage": f"FAILED (exit {proc.returncode})", "seconds": None, "peak_mb": None,
             "delta_mb": None, "note": ""}]


# ----------------------------------------------------------------------------- table
def format_table(rows: list[dict], markdown: bool) -> str:
    floors = {r["group"]: r["seconds"] for r in rows if r["stage"].startswith("floor") and r["seconds"]}
    head = ["group", "stage", "wall s", "× floor", "peak RSS MB", "note"]
    body = []
    for r in rows:
        floor = floors.get(r["group"])
        timed = r["seconds"] is not None and "warm-up" not in r["stage"]
        ratio = f"{r['seconds'] / floor:.1f}" if floor and timed else ""
        body.append([r["group"], r["stage"], BF._fmt(r["seconds"], ".2f"), ratio, BF._fmt(r["peak_mb"], ".0f"),
                      r["note"]])
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|---|---|--:|--:|--:|---|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in body]
        return "\n".join(lines)
    widths = [max(BF._width(x) for x in col) for col in zip(head, *body)]

    def line(cells):
        return "  ".join(BF._pad(c, w, i in (2, 3, 4)) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join([line(head), line(["-" * w for w in widths])] + [line(r) for r in body])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="200000", help="visitor counts, comma separated (default 200000)")
    parser.add_argument("--pg", action="store_true", help="also import into a fresh PostgreSQL database")
    parser.add_argument("--no-sqlite", action="store_true", help="skip our SQLite import (floor and --pg only)")
    parser.add_argument("--batches", action="store_true",
                        help="import batch by batch as scripts/import_visitors.py does (stream.open_batches + "
                             "importer.import_batches) instead of the page's read_table + validate + import_records")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per process (default 1800)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--derive-hometown", action="store_true",
                        help="with --batches: also derive 籍贯 from the ID numbers (the page path's rows never do)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        run_child(args.child)
        return 0
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if args.derive_hometown:
        os.environ["TUOKE_BENCH_HOMETOWN"] = "1"  # the children read it
    revision = BF.code_revision()
    started = time.perf_counter()
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="tuoke_bench_csv_") as tmp:
        for n in sizes:
            csv_path = Path(tmp) / f"visitors_{n}.csv"
            BF._progress(f"generating {n:,} visitors (not timed) …")
            t0 = time.perf_counter()
            csv_path.write_bytes(BF.csv_for(n))
            rows.append({"group": f"N={n:,}", "stage": "(CSV generated, not timed)", "seconds": None,
                         "peak_mb": None, "delta_mb": None,
                         "note": f"{csv_path.stat().st_size / 1024 / 1024:.1f} MB, {time.perf_counter() - t0:.0f} s"})
            kinds = ["floor"] + ([] if args.no_sqlite else ["sqlite"]) + (["pg"] if args.pg else [])
            if args.batches:  # the command-line import, batch by batch, instead of the page's
                write_changed(csv_path)
                kinds = ["floor"] + ([] if args.no_sqlite else ["sqlite-batches"]) + (["pg-batches"] if args.pg else [])
            for kind in kinds:
                rows += spawn(f"{kind}:{n}:{csv_path}", args.timeout)
    print(format_table(rows, args.markdown))
    print()
    print(f"{time.strftime('%Y-%m-%d %H:%M')}  {os.cpu_count()} CPUs  python {sys.version.split()[0]}  "
          f"total {time.perf_counter() - started:.0f} s  {revision}")
    print("× floor = the import's wall time over the floor's, same N, same run.  peak RSS = peak resident "
          "memory of the process during the stage.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
