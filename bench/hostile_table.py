"""The hostile-file corpus as a markdown table: file, size, outcome, the message shown (or the
rows imported) and the time to read and validate it.

Usage (from the project root)::

    .venv/bin/python bench/hostile_table.py [--sqlite] [--pg ADMIN_URL]

Each file of ``tests/data/hostile/make_corpus.py`` goes through ``read_table`` + ``auto_map`` +
``validate``, as the import page does.  With ``--sqlite`` (and/or ``--pg``) an imported file is also
written with ``importer.import_records`` into a fresh database, and the table says whether the
database holds exactly the import's visitors (and nothing for a refused file).  ``--pg`` takes a
server's admin URL (postgresql+psycopg://postgres@127.0.0.1:5432/postgres): a scratch database
is created there and dropped at the end.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mapping.ingest.tables import IngestError, auto_map, read_table, validate  # noqa: E402


def _corpus() -> dict[str, bytes]:
    spec = importlib.util.spec_from_file_location("hostile_corpus", ROOT / "tests" / "data" / "hostile" / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.corpus()


def _secret(store=None):
    if store is not None:
        return store.pii_secret()
    from mapping.ingest.keys import PiiSecret

    return PiiSecret(bytes(32), "bench")


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.1f} KB" if n >= 1024 else f"{n} B"


def _cell(text: str, limit: int = 110) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "…"


def _store(url: str):
    from mapping.db.store import Store

    store = Store(url)
    store.migrate()
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", action="store_true", help="also import into a fresh SQLite database")
    parser.add_argument("--pg", metavar="ADMIN_URL", help="also import into a scratch database on this PostgreSQL server")
    args = parser.parse_args()

    import os

    os.environ.setdefault("TUOKE_PII_KEY", "ab" * 32)  # a scratch key: nothing here is kept
    stores = {}
    tmp = tempfile.TemporaryDirectory()
    if args.sqlite:
        stores["SQLite"] = _store(f"sqlite:///{Path(tmp.name) / 'hostile.sqlite3'}")
    scratch = None
    if args.pg:
        from sqlalchemy import create_engine, text

        scratch = f"tuoke_hostile_{os.getpid()}"
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{scratch}"'))
        stores["PostgreSQL"] = _store(args.pg.rsplit("/", 1)[0] + "/" + scratch)
    projects = {k: s.create_project(f"恶意文件 {time.time():.0f}", "310000", None, ["公寓", "洋房"])
                for k, s in stores.items()}

    corpus = _corpus()
    header = "| 文件 | 大小 | 结果 | 提示 / 导入 | 读取+校验 |" + "".join(f" {k} |" for k in stores)
    print(header)
    print("|" + "---|" * (5 + len(stores)))
    counts = {"导入": 0, "拒绝": 0}
    for name in sorted(corpus):
        data = corpus[name]
        started = time.perf_counter()
        try:
            table = read_table(data, name)
            result = validate(table, auto_map(table.frame.columns), secret=_secret())
            kind = "导入"
            c = result.counts
            what = f"{len(result.records)} 行（通过 {c['accepted']}、修正 {c['fixed']}、拒绝 {c['rejected']}）"
        except IngestError as exc:
            kind, what, result = "拒绝", str(exc), None
        ms = (time.perf_counter() - started) * 1000
        counts[kind] += 1
        db_cells = []
        for key, store in stores.items():
            pid = projects[key]
            before = len(store.visitors(pid)), len(store.imports(pid))
            if result is None:
                after = len(store.visitors(pid)), len(store.imports(pid))
                db_cells.append("未写入" if after == before else "**写入了！**")
                continue
            from mapping import importer

            again = validate(table, auto_map(table.frame.columns), secret=_secret(store))
            summary = importer.import_records(store, pid, again, name, "0" * 64)
            ok = (len(store.visitors(pid)) == before[0] + summary.inserted
                  and len(store.imports(pid)) == before[1] + 1)
            db_cells.append(f"新增 {summary.inserted}" if ok else "**不一致！**")
        print(f"| {name} | {_size(len(data))} | {kind} | {_cell(what)} | {ms:,.1f} ms |"
              + "".join(f" {c} |" for c in db_cells))
    print(f"\n{len(corpus)} 个文件：导入 {counts['导入']} 个，拒绝 {counts['拒绝']} 个（都有中文提示）。")
    for store in stores.values():
        store.engine.dispose()
    if scratch:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}"'))
        admin.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
