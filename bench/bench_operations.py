"""The operations pages (issue 14) at scale: attribution, the weekly review, balancing and the funnel, N visitors.

Usage
-----
    flock /tmp/bench.lock .venv/bin/python bench/bench_operations.py --rows 1000000 --markdown

The database (SQLite, the sample project's settings, ``--rows`` visitors from
``data/samples/generate.py``, built by ``bench/load_sessions.build_database`` as
``bench/bench_home.py`` does) is built once and kept at ``--db`` (default
``/tmp/tuoke_bench_ops_<rows>.sqlite3``); building it is not timed.  Apart from the schema upgrade
(migration 0007 on an older database) nothing is written to it: the teams, the territory and the
costs of the bench are made in memory.

What is timed, in one process (the page caches the attributed frame per data and ops version, so a
rerun starts from it):

- *visitor frame* (first run): :func:`mapping.ops.teams.visitor_frame` of the 板块 layer, home;
- *attribution* (first run): :func:`mapping.ops.teams.attribute` with 8 teams (aliases matching the
  generated channel texts never match: rule 2, channel 拓客 + territory, does the work) and the
  territory of the 板块 areas balanced among them; then :func:`mapping.ops.weekly.week_counts`, the
  small per area × team × week table the review reads;
- *weekly review, per rerun*: :func:`mapping.ops.weekly.review` for a different week each rerun
  (median and slowest of ``--repeats`` weeks);
- *balancing*: :func:`mapping.ops.territory.balance` among 8 teams of the 38 板块 areas, and of the
  400 H3 cells (resolution 8) with the most visitors, graded by visits (A top 10 %, B next 20 %, C next
  30 %, D the rest);
- *funnel by channel / team / area*: :func:`mapping.ops.costs.funnel` of 3 months of costs on the
  attributed frame.

Beside each, the *plain baseline*: a pandas ``groupby`` of the same frame giving the same counts
(visits, high-intention, deals per team × week, per channel / team / area), i.e. the least any
implementation has to do.  Times are medians of ``--repeats`` runs unless said "first run".
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

N_TEAMS = 8
N_CELLS = 400


def _median(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def _once(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _teams(site: tuple[float, float]):
    import numpy as np
    import pandas as pd

    angles = np.arange(N_TEAMS) * 2 * np.pi / N_TEAMS
    return pd.DataFrame({
        "id": np.arange(1, N_TEAMS + 1), "name": [f"拓客{i}组" for i in range(1, N_TEAMS + 1)],
        "kind": "拓客小组", "size": [4 + i % 3 for i in range(N_TEAMS)], "cost_model": "按人天",
        "day_rate": 300.0, "commission": 0.0, "monthly_fee": 0.0, "base_area": "",
        "base_lng": site[0] + 0.08 * np.cos(angles), "base_lat": site[1] + 0.06 * np.sin(angles),
        "aliases": [f"拓客{i}队" for i in range(1, N_TEAMS + 1)], "active": True})


def _grades(visits):
    """A top 10 %, B next 20 %, C next 30 %, D the rest, by visits (rank order, ties by position)."""
    import numpy as np

    order = np.argsort(-np.asarray(visits), kind="stable")
    grades = np.empty(len(order), dtype=object)
    cuts = np.cumsum([0.1, 0.2, 0.3]) * len(order)
    for rank, i in enumerate(order):
        grades[i] = "A" if rank < cuts[0] else "B" if rank < cuts[1] else "C" if rank < cuts[2] else "D"
    return grades


def _territory(areas, teams, layer_id: str):
    from mapping.ops import territory

    owners = territory.balance(areas, teams).set_index("area_id")["team_id"]
    return {"layer_id": layer_id, "dimension": "home", "line": "", "bids": [], "note": "bench",
            "areas": [{"area_id": a, "area_name": a, "grade": g, "score": float(s),
                       "team_id": None if owners.isna()[a] else int(owners[a]), "tactic": "社区巡展",
                       "per_week": 3, "staff_days": 9.0, "target_visits": 40, "target_high": 12, "target_deals": 2}
                      for a, g, s in zip(areas["area_id"], areas["grade"], areas["score"])]}


def _costs(teams, frame):
    import datetime as dt

    import pandas as pd

    rows = []
    for month in (3, 4, 5):
        start = dt.date(2024, month, 1)
        end = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
        rows.append(dict(period_start=start, period_end=end, channel="广告", team_id=None, team="", area_id="",
                         category="媒体", amount=240000.0, leads=50, note=""))
        for tid, name in zip(teams["id"], teams["name"]):
            rows.append(dict(period_start=start, period_end=end, channel="拓客", team_id=int(tid), team=name,
                             area_id="", category="人工", amount=39600.0, leads=None, note=""))
        top = frame["area_id"].value_counts().index[:5]
        for area in top:
            rows.append(dict(period_start=start, period_end=end, channel="拓客", team_id=None, team="",
                             area_id=str(area), category="物料活动", amount=10000.0, leads=None, note=""))
    out = pd.DataFrame(rows)
    out.insert(0, "id", range(1, len(out) + 1))
    out["batch"], out["created_by"] = "bench", "bench"
    out["team_id"] = out["team_id"].astype("Int64")
    out["leads"] = out["leads"].astype("Int64")
    return out


def measure(db: str, repeats: int) -> list[tuple[str, str, str, str, str]]:
    import numpy as np
    import pandas as pd

    from mapping.analysis.facts import Facts
    from mapping.db.store import Store
    from mapping.geo import boundaries, hexgrid
    from mapping.ops import costs as C
    from mapping.ops import teams as OT
    from mapping.ops import territory
    from mapping.ops import weekly as W

    store = Store(f"sqlite:///{db}")
    store.migrate()
    pid = int(store.projects()["id"].iloc[0])
    project = store.project(pid)
    layer_id = project.area_layer
    layer = boundaries.load_layer(layer_id, city=project.city_adcode)
    rows = []

    t_facts, facts = _once(lambda: Facts.from_columns(store.fact_columns(pid), project.city_adcode))
    t_frame, frame = _once(lambda: OT.visitor_frame(facts, layer_id, "home", layer))
    n = len(frame)
    rows.append(("read facts + visitor frame (first run)", f"{t_facts:.2f} + {t_frame:.2f}", "—", "—",
                 f"{n:,} visitors"))

    # the territory of the 板块 areas, balanced among 8 teams
    teams = _teams(project.site)
    per_area = frame[frame["area_id"] != ""].groupby("area_id").agg(visits=("high", "size"))
    points = layer.set_index("area_id").geometry.representative_point()
    areas = pd.DataFrame({"area_id": per_area.index, "score": per_area["visits"].to_numpy(dtype=float),
                          "grade": _grades(per_area["visits"].to_numpy()),
                          "lng": per_area.index.map(points.x), "lat": per_area.index.map(points.y)})
    t_small, payload = _median(lambda: _territory(areas, teams, layer_id), 3)
    rows.append((f"balancing the {len(areas)} 板块 areas × {N_TEAMS} teams", "—", f"{t_small:.2f}", "—",
                 "the sample project's own area unit"))
    outreach = ["拓客"]

    t_attr, attributed = _once(lambda: OT.attribute(frame, teams, payload, outreach))
    owners = {a["area_id"]: a["team_id"] for a in payload["areas"] if a["team_id"] is not None}
    base_attr, _ = _median(lambda: frame["area_id"].map(owners).where(frame["channel"].isin(outreach)), repeats)
    share = attributed["team_id"].notna().mean()
    t_counts, counts = _once(lambda: W.week_counts(attributed))
    base_counts, _ = _median(lambda: attributed.groupby(["area_id", "team_id", "week"], dropna=False).agg(
        visits=("high", "size"), high=("high", "sum"), deals=("deal", "sum")), repeats)
    rows.append(("attribution (first run)", f"{t_attr:.2f}", "—", f"{base_attr:.2f} (map of area → team)",
                 f"{share:.1%} attributed; {len(payload['areas'])} areas, {N_TEAMS} teams"))
    rows.append(("week_counts (first run, cached with the frame)", f"{t_counts:.2f}", "—", f"{base_counts:.2f}",
                 f"{len(counts):,} rows (area × team × week)"))

    weeks = W.review_weeks(counts)[:repeats]  # the newest weeks (newest first)
    centroids = pd.DataFrame({"area_id": list(points.index), "lng": points.x.to_numpy(), "lat": points.y.to_numpy()})
    times = []
    for week in weeks:
        start = time.perf_counter()
        W.review(counts, payload, teams, week, min_count=project.min_count, centroids=centroids,
                 competitors=list(project.competitors))
        times.append(time.perf_counter() - start)
    week_ts = pd.to_datetime(attributed["week"])

    def baseline_week(week):
        rows_ = attributed[week_ts == pd.Timestamp(week)]
        return rows_.groupby("team_id", dropna=False).agg(visits=("high", "size"), high=("high", "sum"),
                                                          deals=("deal", "sum"))

    base_times = []
    for week in weeks:
        start = time.perf_counter()
        baseline_week(week)
        base_times.append(time.perf_counter() - start)
    rows.append(("weekly review, per rerun (another week)",
                 "—", f"{statistics.median(times):.3f} (slowest {max(times):.3f})",
                 f"{statistics.median(base_times):.3f} (filter the week + groupby team)",
                 f"{len(weeks)} weeks, {min(weeks)} … {max(weeks)}"))

    # balancing 400 H3 cells among 8 teams
    cells = OT.visitor_frame(facts, hexgrid.layer_id(8), "home")
    top = cells[cells["area_id"] != ""]["area_id"].value_counts().iloc[:N_CELLS]
    import h3

    centres = np.asarray([h3.cell_to_latlng(c) for c in top.index])
    cell_areas = pd.DataFrame({"area_id": top.index.astype(str), "score": top.to_numpy(dtype=float),
                               "grade": _grades(top.to_numpy()), "lng": centres[:, 1], "lat": centres[:, 0]})
    t_bal, _ = _median(lambda: territory.balance(cell_areas, teams), max(1, min(repeats, 3)))
    rows.append((f"balancing {len(cell_areas)} areas × {N_TEAMS} teams", "—", f"{t_bal:.2f}", "—",
                 "H3 res 8 cells with most visitors; graded by visits"))

    costs = _costs(teams, attributed)
    for axis, col in (("channel", "channel"), ("team", "team_id"), ("area", "area_id")):
        t_f, _ = _median(lambda: C.funnel(costs, attributed, by=axis, target=40000.0,
                                          min_count=project.min_count), repeats)
        b_f, _ = _median(lambda: attributed.groupby(col, dropna=False).agg(
            visits=("high", "size"), high=("high", "sum"), deals=("deal", "sum"), signed=("signed", "sum")), repeats)
        rows.append((f"funnel by {axis}", "—", f"{t_f:.3f}", f"{b_f:.3f}", f"{len(costs)} cost rows"))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", default="")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    db = args.db or f"/tmp/tuoke_bench_ops_{args.rows}.sqlite3"
    os.environ.setdefault("TUOKE_PII_KEY_FILE", str(Path(db).with_suffix(".key")))
    if not Path(db).exists():
        from load_sessions import build_database

        from mapping.ingest import limits as L
        from mapping.ingest import tables as T

        T.MAX_FILE_MB, L.MAX_ROWS, L.MAX_CELLS = 10_000, args.rows + 100, (args.rows + 100) * 100
        print(f"building {db} with {args.rows:,} visitors (not timed) …", file=sys.stderr, flush=True)
        start = time.perf_counter()
        build_database(args.rows, Path(db))
        import sqlite3

        with sqlite3.connect(db) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        print(f"built in {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    rows = measure(db, args.repeats)
    if args.markdown:
        print(f"| N = {args.rows:,} | first run s | per rerun s | plain pandas baseline s | note |\n|---|---:|---:|---:|---|")
        for r in rows:
            print("| " + " | ".join(r) + " |")
    else:
        for r in rows:
            print(f"{r[0]:48s} first {r[1]:>14s}  rerun {r[2]:>24s}  baseline {r[3]:>34s}  {r[4]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
