"""Time Store.segment_columns at a million visitors, and what the issue-15 columns add to validate.

Usage (on the shared 2-core machine, never overlapping other benchmarks)::

    flock /tmp/bench.lock .venv/bin/python bench/bench_segment_columns.py [--rows 1000000] [--pg URL]

The visitors are written by one INSERT … SELECT in the database (a recursive CTE on SQLite,
generate_series on PostgreSQL) with a few hundred distinct values per segment column, as
questionnaires give.  validate is timed on 200,000 generated CSV rows without and with
意向面积 / 预算 / 意向区域 / 身份证号 (derive_hometown on).  Prints the best of three runs.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mapping.db.store import Store  # noqa: E402
from mapping.ingest.headers import auto_map  # noqa: E402
from mapping.ingest.keys import PiiSecret  # noqa: E402
from mapping.ingest.tables import read_table, validate  # noqa: E402
from mapping.segments.hometown import check_digit  # noqa: E402

COLUMNS = ("age_band", "industry", "income_band", "family", "purpose", "area_want", "price_want", "hometown",
           "intended_text")


def _best(fn, *args, **kw) -> tuple[float, object]:
    times, out = [], None
    for _ in range(3):
        t = time.perf_counter()
        out = fn(*args, **kw)
        times.append(time.perf_counter() - t)
    return min(times), out


def _fill(store: Store, pid: int, rows: int) -> None:
    values = {"age_band": "'年龄' || (n % 6)", "industry": "'行业' || (n % 40)", "income_band": "'收入' || (n % 5)",
              "family": "'家庭' || (n % 4)", "purpose": "'目的' || (n % 3)", "area_want": "(60 + n % 300) || '㎡'",
              "price_want": "(100 + n % 700) || '万'", "hometown": "CAST(110000 + (n % 300) * 100 AS TEXT)",
              "intended_text": "'板块' || (n % 200)"}
    cols = ", ".join(values)
    exprs = ", ".join(values.values())
    common = ("project_id, visitor_key, row_hash, visitor_code, visit_date, product_line, intention, channel, "
              "coord_system, home_text, work_text, leisure_text, deal, deal_product_line, phone_masked, phone_hash, "
              "name_masked, name_hash, stage, team")
    base = (f"{pid}, 'k' || n, '', '', DATE '2024-03-01', '公寓', 'A', '', '', '', '', '', FALSE, '', '', '', '', "
            f"'', '来访', ''")
    if store.dialect == "sqlite":
        base = base.replace("DATE '2024-03-01'", "'2024-03-01'").replace("FALSE", "0")
        sql = (f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {rows}) "
               f"INSERT INTO visitors ({common}, {cols}) SELECT {base}, {exprs} FROM s")
    else:
        sql = (f"INSERT INTO visitors ({common}, {cols}) SELECT {base}, {exprs} "
               f"FROM generate_series(1, {rows}) AS s(n)").replace("%", "%%")  # psycopg's placeholders
    with store.engine.begin() as conn:
        conn.exec_driver_sql(sql)


def bench_store(url: str, rows: int, label: str) -> None:
    store = Store(url)
    store.migrate()
    pid = store.create_project(f"bench {time.time()}", "310000", None, ["公寓"])
    t = time.perf_counter()
    _fill(store, pid, rows)
    print(f"{label}: wrote {rows:,} visitors in {time.perf_counter() - t:.1f} s")
    best, frame = _best(store.segment_columns, pid)
    assert len(frame) == rows and list(frame.columns[1:]) == list(COLUMNS)
    print(f"{label}: segment_columns {rows:,} visitors: {best:.2f} s "
          f"({frame.memory_usage(deep=True).sum() / 1e6:.0f} MB)")
    store.delete_project(pid)
    store.engine.dispose()


def _csv(rows: int, wants: bool) -> bytes:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"客户编号": [f"C{i}" for i in range(rows)], "到访日期": "2024-03-01",
                          "居住区域": rng.choice(["浦东新区", "徐汇区", "闵行区"], rows)})
    if wants:
        frame["意向面积"] = rng.choice([f"{a}-{a + 20}" for a in range(60, 300)] + ["三房"], rows)
        frame["预算"] = rng.choice([f"{p}万" for p in range(100, 800)] + ["45000"], rows)
        frame["意向区域"] = rng.choice([f"板块{i}" for i in range(200)], rows)
        prefixes = ["310115", "320505", "512201", "429004", "440305"]
        firsts = [f"{prefixes[i % 5]}{1960 + i % 40}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}" for i in range(rows)]
        frame["身份证号"] = [f + check_digit(f) for f in firsts]
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue().encode()


def bench_validate(rows: int) -> None:
    secret = PiiSecret(bytes(32), "s")
    for wants in (False, True):
        table = read_table(_csv(rows, wants), "v.csv")
        mapping = auto_map(table.frame.columns)
        best, _ = _best(validate, table, mapping, secret=secret, derive_hometown=wants)
        print(f"validate {rows:,} rows {'with' if wants else 'without'} the issue-15 columns: {best:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pg", default="", help="a PostgreSQL URL to time too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bench_store(f"sqlite:///{folder}/bench.sqlite3", args.rows, "SQLite")
    if args.pg:
        bench_store(args.pg, args.rows, "PostgreSQL")
    bench_validate(200_000)
