"""Our text resolver next to cpca on the same rows: 200,000 visitor rows holding 20,000 distinct
place strings (Shanghai, ``bench_resolve.unique_strings``), cold and warm, in one run.

Usage:
    .venv/bin/python bench/bench_resolve_vs_cpca.py [--rows 200000] [--unique 20000] [--repeats 3]
                                                    [--before REV] [--markdown]

Each measurement runs in a **fresh Python process** (``sys.executable``), which first imports
numpy and pandas (untimed: both resolvers need them) and then times:

* ``import``: importing the resolver — ``mapping.place.resolve`` (which imports the whole
  ``mapping`` package: geopandas, SQLAlchemy, alembic…, as the app does anyway) or ``cpca``;
* ``cold``: the first call on the rows — ours builds the gazetteer index and the pinyin table
  here, cpca loads its dictionaries here;
* ``warm``: the same call again in the same process;
* ours only, ``warm, memo cleared``: again after emptying the memo of match patterns
  (``Gazetteer.memo``), i.e. the index is built but no string pattern is remembered.

Ours runs twice: as shipped (the gazetteer index read from its cache under ``var/cache/``,
written by an untimed process first) and with ``TUOKE_GAZETTEER_CACHE=0`` (the index built
from the tables in the timed first call, as on the very first start after the tables change).

``resolve_texts`` resolves each distinct string once and spreads the answers back;
``cpca.transform`` parses every row.  Wall time (``perf_counter``) and CPU time of the process
(``process_time``) are both printed: the machine is shared, and CPU time moves less when other
work runs.  With ``--repeats N`` the processes run N times, alternating, and the median of each
figure is shown.  ``--before REV`` also runs our resolver as it was at git revision REV
(``git archive REV mapping data`` into a temporary directory).  Ratio = ours / cpca (below 1:
we are faster).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_rows(n_rows: int, n_unique: int, seed: int = 1) -> list[str]:
    """``n_rows`` rows holding exactly ``n_unique`` distinct strings: each once, the rest drawn Zipf-like."""
    import numpy as np

    sys.path.insert(0, str(ROOT / "bench"))
    from bench_resolve import unique_strings

    strings = unique_strings(n_unique)
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, len(strings) + 1) ** 0.8  # a few strings are very common
    extra = rng.choice(len(strings), n_rows - len(strings), p=weights / weights.sum())
    order = rng.permutation(np.concatenate([np.arange(len(strings)), extra]))
    return np.asarray(strings, dtype=object)[order].tolist()


# --------------------------------------------------------------------------- child process
def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> dict[str, float]:
    wall, cpu = _clock()
    return {"wall": wall - start[0], "cpu": cpu - start[1]}


def child(which: str, rows_file: str, source: str) -> dict:
    import numpy  # noqa: F401  - both resolvers need them; not part of either's cost
    import pandas as pd

    with open(rows_file, "rb") as f:
        rows = pickle.load(f)
    out: dict = {}
    if which == "cpca":
        start = _clock()
        import cpca
        out["import"] = _since(start)
        call = cpca.transform
        placed = lambda r: float(r["adcode"].notna().mean())  # noqa: E731
    else:
        sys.path.insert(0, source)
        start = _clock()
        from mapping.place import gazetteer
        from mapping.place.resolve import resolve_texts
        out["import"] = _since(start)
        call = resolve_texts
        placed = lambda r: float((r["adcode"] != "").mean())  # noqa: E731
    start = _clock()
    result = call(rows)
    out["cold"] = _since(start)
    out["placed"] = placed(result)
    start = _clock()
    again = call(rows)
    out["warm"] = _since(start)
    if which != "cpca":
        pd.testing.assert_frame_equal(result, again)
        memo = getattr(gazetteer.index("310000"), "memo", None)
        if memo is not None:  # the code at --before may have no memo
            memo.clear()
            start = _clock()
            call(rows)
            out["warm, memo cleared"] = _since(start)
    out["rows"], out["unique"] = len(rows), len(set(rows))
    return out


# --------------------------------------------------------------------------- parent
def run_child(which: str, rows_file: str, source: str, timeout: float, env: dict[str, str] | None = None) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", which, "--rows-file", rows_file, "--source", source],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT, env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        raise RuntimeError(f"{which} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def checkout(rev: str, into: Path) -> str:
    archive = subprocess.run(["git", "archive", rev, "mapping", "data"], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return str(into)


def median(runs: list[dict], stage: str, clock: str) -> float | None:
    values = [r[stage][clock] for r in runs if stage in r]
    return statistics.median(values) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--unique", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--before", help="also time our resolver as it was at this git revision")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--child", choices=["ours", "cpca"], help=argparse.SUPPRESS)
    parser.add_argument("--rows-file", help=argparse.SUPPRESS)
    parser.add_argument("--source", default=str(ROOT), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.rows_file, args.source)))
        return

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        rows_file = str(Path(tmp) / "rows.pkl")
        rows = build_rows(args.rows, args.unique)
        with open(rows_file, "wb") as f:
            pickle.dump(rows, f)
        # name -> (which, source tree, environment)
        contenders = {"拓客图": ("ours", str(ROOT), {}),
                      "拓客图, index built (no disk cache)": ("ours", str(ROOT), {"TUOKE_GAZETTEER_CACHE": "0"})}
        if args.before:
            before = Path(tmp) / "before"
            before.mkdir()
            contenders[f"拓客图 at {args.before}"] = ("ours", checkout(args.before, before), {})
        contenders["cpca"] = ("cpca", str(ROOT), {})
        print("priming the index cache on disk (untimed)", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-c", "from mapping.place import gazetteer; gazetteer.index('310000')"],
                       cwd=ROOT, check=True)
        runs: dict[str, list[dict]] = {name: [] for name in contenders}
        for i in range(args.repeats):
            for name, (which, source, env) in contenders.items():
                print(f"run {i + 1}/{args.repeats}: {name}", file=sys.stderr, flush=True)
                runs[name].append(run_child(which, rows_file, source, args.timeout, env))
        print_table(runs, args, time.perf_counter() - started)


def print_table(runs: dict[str, list[dict]], args, total: float) -> None:
    first = runs["cpca"][0]
    stages = [("import", "import"), ("cold", "cold (first call)"), ("cold+import", "cold incl. import"),
              ("warm", "warm (second call)"), ("warm, memo cleared", "warm, memo cleared")]

    def figure(name: str, stage: str, clock: str) -> float | None:
        if stage == "cold+import":
            a, b = median(runs[name], "import", clock), median(runs[name], "cold", clock)
            return None if a is None or b is None else a + b
        return median(runs[name], stage, clock)

    lines = []
    header = ["resolver", "stage", "wall s", "CPU s", "ratio to cpca (wall)", "ratio to cpca (CPU)"]
    for name in runs:
        for stage, label in stages:
            wall, cpu = figure(name, stage, "wall"), figure(name, stage, "cpu")
            if wall is None:
                continue
            ref_stage = "warm" if stage == "warm, memo cleared" else stage
            ref_w, ref_c = figure("cpca", ref_stage, "wall"), figure("cpca", ref_stage, "cpu")
            ratio = ["", ""] if name == "cpca" else [f"{wall / ref_w:.2f}", f"{cpu / ref_c:.2f}"]
            lines.append([name, label, f"{wall:.3f}", f"{cpu:.3f}", *ratio])
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|---|---|--:|--:|--:|--:|")
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        widths = [max(len(str(x)) for x in col) for col in zip(header, *lines)]
        for line in [header, *lines]:
            print("  ".join(str(x).ljust(w) for x, w in zip(line, widths)))
    placed = ", ".join(f"{name} {runs[name][0]['placed']:.1%}" for name in runs)
    print(f"\n{first['rows']:,} rows, {first['unique']:,} distinct strings; median of {args.repeats} fresh "
          f"process(es) per resolver; rows given an adcode (cpca: any level): {placed}")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    print(f"{time.strftime('%Y-%m-%d %H:%M')}  {os.cpu_count()} CPUs  python {sys.version.split()[0]}  "
          f"load {os.getloadavg()[0]:.1f}  total {total:.0f} s  commit {commit.strip()}")


if __name__ == "__main__":
    main()
