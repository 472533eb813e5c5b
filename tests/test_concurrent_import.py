"""Two imports into one SQLite file at once queue (busy timeout, WAL) instead of failing "database is locked"."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
import threading
import time

import pandas as pd
from sqlalchemy import text

from mapping import importer
from mapping.db.store import Store
from mapping.ingest.tables import auto_map, read_table, validate

HEADERS = ["客户编号", "姓名", "手机", "到访日期", "意向业态", "居住区域", "居住经度", "居住纬度", "坐标系", "是否成交"]


def _result(prefix: str, n: int, secret):
    rows = [[f"{prefix}{i}", "张三", f"138{i:08d}" if prefix == "A" else f"139{i:08d}", "2024-03-05", "公寓",
             "浦东新区", "121.4953", "31.2418", "WGS84", "否"] for i in range(n)]
    buf = io.StringIO()
    pd.DataFrame(rows, columns=HEADERS).to_csv(buf, index=False)
    table = read_table(buf.getvalue().encode("utf-8-sig"), f"{prefix}.csv")
    return validate(table, auto_map(table.frame.columns), secret=secret)


def _setup(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    store = Store(url)
    store.migrate()
    pid = store.create_project("并发项目", "310000", dt.date(2024, 5, 1), ["公寓"])
    return url, store, pid


def _run(jobs):
    errors, results = [], []
    start = threading.Barrier(len(jobs))

    def work(job):
        try:
            start.wait()
            results.append(job())
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results, errors


def _visitors(store, pid):
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT COUNT(*) FROM visitors WHERE project_id = :p"), {"p": pid}).scalar_one()


def test_sqlite_connections_wait_and_use_wal(tmp_path):
    _url, store, _pid = _setup(tmp_path)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 30000
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"


def test_two_imports_at_once_both_succeed(tmp_path):
    url, store, pid = _setup(tmp_path)
    secret = store.pii_secret()
    files = {"A": _result("A", 300, secret), "B": _result("B", 300, secret)}
    # two sessions of the app: each its own Store (engine, connection pool) on the same file
    jobs = [lambda p=p, r=r: importer.import_records(Store(url), pid, r, f"{p}.csv", f"sha-{p}")
            for p, r in files.items()]
    results, errors = _run(jobs)
    assert errors == []
    assert sorted(r.inserted for r in results) == [300, 300]
    assert _visitors(store, pid) == 600
    assert len(store.imports(pid)) == 2


def test_import_waits_for_a_long_write(tmp_path):
    """Another writer holds the lock longer than sqlite3's default 5 s wait: the import queues behind it."""
    url, store, pid = _setup(tmp_path)
    result = _result("A", 20, store.pii_secret())
    holder = sqlite3.connect(str(tmp_path / "shared.sqlite3"), isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE projects SET name = name")
    released = threading.Timer(6.0, holder.execute, args=("COMMIT",))
    released.start()
    began = time.monotonic()
    try:
        summary = importer.import_records(Store(url), pid, result, "A.csv", "sha-A")
    finally:
        released.join()
        holder.close()
    assert summary.inserted == 20
    assert time.monotonic() - began >= 5.5
    assert _visitors(store, pid) == 20
