"""Time 跨项目潜客 (mapping.segments.prospects.find) with 200,000 visitors in the source projects.

Usage (on the shared 2-core machine, never overlapping other benchmarks)::

    flock /tmp/bench.lock .venv/bin/python bench/bench_prospects.py [--visitors 200000] [--url postgresql+psycopg://…]

Two 上海 source projects share the visitors; each has a home and a work point spread over the
city's box (so about one in six lands in 浦东新区), 70 % did not buy, and one in three gives a
意向区域 from ~300 distinct texts (district, town and landmark names, some junk).  Written
straight to the tables (no import).  Times ``find`` for a new site near 张江 (121.60, 31.20):
district only, 5 km only, both, and both again (the resolved texts now in the database cache),
best of three, with the number of prospects found.  Without ``--url`` a SQLite file in a
temporary folder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mapping.db.models import Location, Visitor  # noqa: E402
from mapping.db.prospects import Prospects  # noqa: E402
from mapping.db.store import Store  # noqa: E402
from mapping.geo import boundaries  # noqa: E402
from mapping.place import gazetteer as G  # noqa: E402
from mapping.segments import prospects as P  # noqa: E402

BOX = (121.20, 30.90, 121.90, 31.45)  # most of 上海's built-up area
SITE = (121.60, 31.20)
CHUNK = 20_000


def _texts(rng) -> np.ndarray:
    names = list(G.districts_of("310000").values())
    marks = G.landmark_table("310000")["name"].astype(str).tolist()
    picked = list(rng.choice(marks, size=min(250, len(marks)), replace=False)) if marks else []
    return np.array([*names, *picked, "不详", "无", "看房中", "浦东或者闵行"], dtype=object)


def build(store: Store, visitors: int, seed: int = 0) -> list[int]:
    rng = np.random.default_rng(seed)
    texts = _texts(rng)
    ids = [store.create_project(f"源项目{i + 1}", "310000", None, ["公寓", "洋房"]) for i in range(2)]
    lng = rng.uniform(BOX[0], BOX[2], (visitors, 2))
    lat = rng.uniform(BOX[1], BOX[3], (visitors, 2))
    codes = boundaries.locate(lng.ravel(), lat.ravel()).reshape(visitors, 2)
    deal = rng.random(visitors) < 0.3
    intended = np.where(rng.random(visitors) < 1 / 3, texts[rng.integers(0, len(texts), visitors)], "")
    project = np.array(ids)[rng.integers(0, 2, visitors)]
    day = dt.date(2024, 1, 1)
    for start in range(0, visitors, CHUNK):
        stop = min(visitors, start + CHUNK)
        rows = [dict(project_id=int(project[i]), visitor_key=f"k{i:012d}", row_hash="x", visitor_code=f"V{i:07d}",
                     visit_date=day + dt.timedelta(days=int(i % 300)), product_line="公寓", intention="ABCD"[i % 4],
                     channel="拓客", deal=bool(deal[i]), stage="认购" if deal[i] else "来访",
                     intended_text=str(intended[i]))
                for i in range(start, stop)]
        with store.engine.begin() as conn:
            conn.execute(insert(Visitor), rows)
            first = conn.execute(select(Visitor.id).where(Visitor.visitor_key == f"k{start:012d}")).scalar_one()
            locs = [dict(visitor_id=first + (i - start), dimension=dim, adcode=str(codes[i, j]),
                         lng=float(lng[i, j]), lat=float(lat[i, j]), level="poi", method="point", confidence=1.0)
                    for i in range(start, stop) for j, dim in enumerate(("home", "work"))]
            conn.execute(insert(Location), locs)
    return ids


def _best(fn) -> tuple[float, int]:
    times, n = [], 0
    for _ in range(3):
        t = time.perf_counter()
        n = len(fn())
        times.append(time.perf_counter() - t)
    return min(times), n


def main(visitors: int, url: str | None) -> None:
    folder = tempfile.TemporaryDirectory()
    store = Store(url or f"sqlite:///{Path(folder.name) / 'bench.sqlite3'}")
    store.migrate()
    t = time.perf_counter()
    build(store, visitors)
    print(f"{store.dialect}: wrote {visitors:,} visitors, {2 * visitors:,} locations in {time.perf_counter() - t:.1f} s")
    target = P.site_target(*SITE, "WGS84")
    sources = P.source_projects(store.projects(), None, target)
    queries = Prospects(store)
    resolve = P.place_resolver(store)
    t = time.perf_counter()
    n = len(P.find(queries, target, P.Criteria(districts=(target.adcode,), radius_km=5), sources, resolve))
    print(f"first find (intended texts resolved, cached in the database): {time.perf_counter() - t:.2f} s, {n:,} found")
    for label, criteria in (("district only", P.Criteria(districts=(target.adcode,), radius_km=0)),
                            ("5 km only", P.Criteria(districts=(), radius_km=5)),
                            ("district or 5 km", P.Criteria(districts=(target.adcode,), radius_km=5)),
                            ("district or 5 km, fresh resolver", None)):
        if criteria is None:
            seconds, n = _best(lambda: P.find(queries, target, P.Criteria(districts=(target.adcode,), radius_km=5),
                                              sources, P.place_resolver(store)))
        else:
            seconds, n = _best(lambda: P.find(queries, target, criteria, sources, resolve))
        print(f"find, {label:<34} {seconds:.2f} s, {n:,} prospects")
    store.engine.dispose()
    if url:
        print("(the bench projects stay in that database: drop it when done)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visitors", type=int, default=200_000)
    parser.add_argument("--url", default=None, help="a database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    main(args.visitors, args.url)
