"""Territories: dividing a plan's graded areas among teams, by balancing or by auction, and checking the result.

*Potential* of an area = its score × the weight of its grade (A 4, B 3, C 2, D 1; 样本不足 and 无到访
0): what a team can expect to harvest there.  :func:`balance` gives every team about the same
potential per person, in compact territories near its base; :func:`balance_index` is the table
business-analyst territory tools show (100 = exactly its fair share).  :func:`award` settles a 竞拍:
each area goes to the strongest commitment.  :func:`check` flags what a territory set must not have.

Everything here is deterministic: the same input gives the same territories, ties broken by ids.

>>> areas = pd.DataFrame({"area_id": ["a1", "a2", "a3", "a4"], "grade": ["A", "A", "A", "A"],
...     "score": [10.0] * 4, "lng": [121.00, 121.01, 121.02, 121.03], "lat": [31.0] * 4})
>>> teams = pd.DataFrame({"id": [1, 2], "size": [1, 1], "base_lng": [121.00, 121.03], "base_lat": [31.0, 31.0]})
>>> balance(areas, teams)["team_id"].tolist()
[1, 1, 2, 2]
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

GRADE_WEIGHTS = {"A": 4.0, "B": 3.0, "C": 2.0, "D": 1.0}
EARTH_KM = 6371.0088
KEY_GRADES = ("A", "B")
BALANCE_TOLERANCE = 0.05  # compaction swaps may leave a team this share of its target off balance  # an area of these grades left without a team is flagged

FLAG_OVERLAP = "重复分配"
FLAG_UNASSIGNED = "A/B 级未分配"
FLAG_IDLE_TEAM = "团队没有片区"
FLAG_UNKNOWN_TEAM = "团队不存在"


# ------------------------------------------------------------------- potential
def potential(areas: pd.DataFrame) -> pd.Series:
    """Score × grade weight (:data:`GRADE_WEIGHTS`) per row; 0 for ungraded areas or a missing score.

    >>> potential(pd.DataFrame({"grade": ["A", "C", "样本不足", "B"], "score": [10, 5, 3, None]})).tolist()
    [40.0, 10.0, 0.0, 0.0]
    """
    score = pd.to_numeric(areas["score"], errors="coerce").fillna(0.0).clip(lower=0.0)
    weight = areas["grade"].map(GRADE_WEIGHTS).fillna(0.0)
    return (score * weight).astype(float)


def haversine_km(lng1, lat1, lng2, lat2) -> np.ndarray:
    """Great-circle distance in km (numpy broadcasting; NaN where a coordinate is missing).

    >>> round(float(haversine_km(121.0, 31.0, 121.0, 32.0)), 1)
    111.2
    """
    lng1, lat1, lng2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (lng1, lat1, lng2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


# ------------------------------------------------------------------- balancing
def balance(areas: pd.DataFrame, teams: pd.DataFrame, locked: dict[str, int] | None = None,
            max_rounds: int | None = None) -> pd.DataFrame:
    """Divide the areas among the teams: about equal potential per person, compact, near each base.

    Parameters
    ----------
    areas : DataFrame
        ``area_id``, ``grade``, ``score`` and ``lng`` / ``lat`` (the area's centroid, WGS-84; NaN when
        unknown: such an area is placed by balance alone).
    teams : DataFrame
        ``id``, ``size`` (people, > 0) and ``base_lng`` / ``base_lat`` (NaN: no base).
    locked : dict
        area_id → team id: areas the user has fixed; they stay and count toward their team's share.
    max_rounds : int
        Upper bound on improvement steps (default: 4 × the number of areas).

    Returns
    -------
    DataFrame ``area_id``, ``team_id`` (Int64), one row per area in input order; areas with zero
    potential (and not locked) get <NA>.

    Notes
    -----
    1. *Seeds*: a team with a base starts there; a team without one starts at the highest-potential
       area not locked and not yet a seed (ties by area id), teams taken in id order.
    2. *Greedy*: every (area, team) pair in order of distance from the team's seed (ties by area id,
       then team id); a team takes an area while that brings its potential no further from its
       target than it is (``load + p / 2 ≤ target``); the target is the total potential × the team's
       share of the people.  Areas left over go where they unbalance least.
    3. *Improvement*: single moves, then pairwise swaps, that lower Σ (load − target)² / target,
       the best first; a team only takes an area within its current reach (no farther from its seed
       than its farthest area) or nearer to it than to its current team, so territories stay compact.
       When balance cannot improve, swaps that shorten the potential-weighted distance to the seeds
       without leaving a team more than :data:`BALANCE_TOLERANCE` off its target (or further off than
       it was).  At most ``max_rounds`` steps.
    """
    locked = dict(locked or {})
    table, team_ids, sizes, base = _checked(areas, teams, locked)
    pot = potential(table).to_numpy()
    owner = np.full(len(table), -1, dtype=np.int64)  # position in team_ids
    position = {t: i for i, t in enumerate(team_ids)}
    ids = table["area_id"].to_numpy(dtype=object)
    for i, area in enumerate(ids):
        if area in locked:
            owner[i] = position[int(locked[area])]
    free = (owner < 0) & (pot > 0)
    if free.any():
        lng, lat = table["lng"].to_numpy(dtype=float), table["lat"].to_numpy(dtype=float)
        seeds = _seeds(base, pot, free, lng, lat, ids)
        # in whole metres: distances that differ by floating-point noise are a tie, broken by ids
        dist = np.round(haversine_km(lng[:, None], lat[:, None], seeds[None, :, 0], seeds[None, :, 1]), 3)
        counted = owner >= 0
        target = (pot[free].sum() + pot[counted].sum()) * sizes / sizes.sum()
        owner = _greedy(owner, free, pot, dist, target, ids)
        owner = _improve(owner, free, pot, dist, target, max_rounds or 4 * len(table))
    out = pd.DataFrame({"area_id": ids.astype(str)})
    out["team_id"] = pd.arrays.IntegerArray(np.where(owner >= 0, team_ids[np.maximum(owner, 0)], 0), owner < 0)
    return out


def _checked(areas: pd.DataFrame, teams: pd.DataFrame, locked: dict[str, int]):
    """Validated inputs: (areas table, team ids, sizes, base lng/lat per team), teams sorted by id."""
    missing = [c for c in ("area_id", "grade", "score", "lng", "lat") if c not in areas.columns]
    if missing:
        raise ValueError(f"片区表缺少列：{'、'.join(missing)}（需要 area_id、grade、score、lng、lat）。")
    if not len(teams):
        raise ValueError("还没有团队：请先在团队表里添加至少一个团队，再自动均衡。")
    table = areas.reset_index(drop=True).copy()
    table["area_id"] = table["area_id"].astype(str)
    dup = table["area_id"][table["area_id"].duplicated()]
    if len(dup):
        raise ValueError(f"片区表里区域「{dup.iloc[0]}」出现了不止一次：每个区域只能有一行。")
    rows = teams.sort_values("id").reset_index(drop=True)
    sizes = pd.to_numeric(rows["size"], errors="coerce").to_numpy(dtype=float)
    bad = ~(sizes > 0)
    if bad.any():
        name = rows["name"].iloc[int(np.argmax(bad))] if "name" in rows else rows["id"].iloc[int(np.argmax(bad))]
        raise ValueError(f"团队「{name}」的人数必须大于 0（现在是 {rows['size'].iloc[int(np.argmax(bad))]}），请在团队表里改正。")
    team_ids = rows["id"].astype("int64").to_numpy()
    known = set(team_ids.tolist())
    for area, team in locked.items():
        if str(area) not in set(table["area_id"]):
            raise ValueError(f"锁定的区域「{area}」不在片区表里：请取消锁定或换成方案里的区域。")
        if team is None or int(team) not in known:
            raise ValueError(f"区域「{area}」锁定给了不存在的团队（编号 {team}）：请改选一个团队。")
    base = np.column_stack([pd.to_numeric(rows.get("base_lng"), errors="coerce").to_numpy(dtype=float),
                            pd.to_numeric(rows.get("base_lat"), errors="coerce").to_numpy(dtype=float)]) \
        if "base_lng" in rows and "base_lat" in rows else np.full((len(rows), 2), np.nan)
    return table, team_ids, sizes, base


def _seeds(base: np.ndarray, pot: np.ndarray, free: np.ndarray, lng: np.ndarray, lat: np.ndarray,
           ids: np.ndarray) -> np.ndarray:
    """(lng, lat) each team starts from: its base, else the next highest-potential free area with a centroid."""
    seeds = base.copy()
    located = free & np.isfinite(lng) & np.isfinite(lat)
    order = sorted(np.flatnonzero(located), key=lambda i: (-pot[i], ids[i]))
    taken = 0
    for t in range(len(seeds)):
        if np.isfinite(seeds[t]).all():
            continue
        if taken < len(order):
            seeds[t] = (lng[order[taken]], lat[order[taken]])
            taken += 1
    return seeds


def _greedy(owner: np.ndarray, free: np.ndarray, pot: np.ndarray, dist: np.ndarray, target: np.ndarray,
            ids: np.ndarray) -> np.ndarray:
    owner = owner.copy()
    load = np.bincount(owner[owner >= 0], weights=pot[owner >= 0], minlength=len(target))
    rank = np.argsort(np.argsort(ids.astype(str), kind="stable"), kind="stable")  # area id order
    areas, teams = np.nonzero(np.broadcast_to(free[:, None], dist.shape))
    d = dist[areas, teams]
    d = np.where(np.isnan(d), np.inf, d)
    for k in np.lexsort((teams, rank[areas], d)):
        a, t = areas[k], teams[k]
        if owner[a] < 0 and load[t] + pot[a] / 2 <= target[t]:
            owner[a], load[t] = t, load[t] + pot[a]
    for a in sorted(np.flatnonzero(free & (owner < 0)), key=lambda i: (-pot[i], rank[i])):  # left over
        cost = ((load + pot[a] - target) ** 2 - (load - target) ** 2) / target
        near = np.where(np.isnan(dist[a]), np.inf, dist[a])
        t = int(np.lexsort((np.arange(len(target)), near, np.round(cost, 9)))[0])
        owner[a], load[t] = t, load[t] + pot[a]
    return owner


def _improve(owner: np.ndarray, free: np.ndarray, pot: np.ndarray, dist: np.ndarray, target: np.ndarray,
             max_rounds: int) -> np.ndarray:
    """Moves and swaps of movable areas that lower the imbalance while keeping territories compact, then
    swaps that make them more compact within the balance tolerance (each phase ends when no step helps)."""
    owner = owner.copy()
    n_teams = len(target)
    movable = np.flatnonzero(free)
    d = np.where(np.isnan(dist), 0.0, dist)  # an area without a centroid fits anywhere
    scale = max(float(target.sum()), 1e-12)
    rounds = 0
    for phase in ("balance", "compact"):
        while rounds < max_rounds:
            rounds += 1
            load = np.bincount(owner[owner >= 0], weights=pot[owner >= 0], minlength=n_teams)
            if phase == "compact":
                if not _best_compaction(owner, movable, pot, d, target, load):
                    break
                continue
            reach = np.zeros(n_teams)
            mine = owner >= 0
            np.maximum.at(reach, owner[mine], d[mine, owner[mine]])
            if not _best_move(owner, movable, pot, d, target, load, reach, scale) and \
                    not _best_swap(owner, movable, pot, d, target, load, reach, scale):
                break
    return owner


def _fits(d: np.ndarray, areas: np.ndarray, to: np.ndarray, frm: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """Whether team ``to`` may take ``areas`` from ``frm`` and stay compact."""
    there = d[areas, to]
    return (there <= reach[to] + 1e-9) | (there < d[areas, frm])


def _best_move(owner, movable, pot, d, target, load, reach, scale) -> bool:
    if not len(movable):
        return False
    n_teams = len(target)
    a = np.repeat(movable, n_teams)
    r = np.tile(np.arange(n_teams), len(movable))
    s = owner[a]
    p = pot[a]
    gain = (((load[s] - target[s]) ** 2 - (load[s] - p - target[s]) ** 2) / target[s]
            + ((load[r] - target[r]) ** 2 - (load[r] + p - target[r]) ** 2) / target[r]) / scale
    ok = (r != s) & (gain > 1e-9) & _fits(d, a, r, s, reach)
    if not ok.any():
        return False
    k = np.flatnonzero(ok)
    best = k[np.lexsort((r[k], a[k], d[a[k], r[k]], -np.round(gain[k], 9)))[0]]
    owner[a[best]] = r[best]
    return True


def _best_swap(owner, movable, pot, d, target, load, reach, scale) -> bool:
    if len(movable) < 2:
        return False
    a, b = np.meshgrid(movable, movable, indexing="ij")
    a, b = a.ravel(), b.ravel()
    s, r = owner[a], owner[b]
    keep = (s < r)  # each unordered pair of different teams once
    a, b, s, r = a[keep], b[keep], s[keep], r[keep]
    if not len(a):
        return False
    delta = pot[a] - pot[b]  # s gives a, takes b
    gain = (((load[s] - target[s]) ** 2 - (load[s] - delta - target[s]) ** 2) / target[s]
            + ((load[r] - target[r]) ** 2 - (load[r] + delta - target[r]) ** 2) / target[r]) / scale
    ok = (gain > 1e-9) & _fits(d, a, r, s, reach) & _fits(d, b, s, r, reach)
    if not ok.any():
        return False
    k = np.flatnonzero(ok)
    best = k[np.lexsort((b[k], a[k], -np.round(gain[k], 9)))[0]]
    owner[a[best]], owner[b[best]] = r[best], s[best]
    return True


def _best_compaction(owner, movable, pot, d, target, load) -> bool:
    """The swaps of two areas between teams that most shorten the potential-weighted distance to the seeds,
    leaving neither team further than :data:`BALANCE_TOLERANCE` of its target beyond where it was: the best
    swap, then the best of two other teams, and so on (swaps of disjoint teams do not change each other's
    balance)."""
    if len(movable) < 2:
        return False
    # a swap only shortens if one of its areas is nearer to another team's seed than to its own
    mine = d[movable, owner[movable]]
    astray = movable[mine > d[movable].min(axis=1) + 1e-9]
    a, b = np.repeat(astray, len(movable)), np.tile(movable, len(astray))
    s, r = owner[a], owner[b]
    keep = s != r
    a, b, s, r = a[keep], b[keep], s[keep], r[keep]
    if not len(a):
        return False
    shorter = pot[a] * (d[a, s] - d[a, r]) + pot[b] * (d[b, r] - d[b, s])
    delta = pot[a] - pot[b]
    band_s = np.maximum(np.abs(load[s] - target[s]), BALANCE_TOLERANCE * target[s])
    band_r = np.maximum(np.abs(load[r] - target[r]), BALANCE_TOLERANCE * target[r])
    ok = ((shorter > 1e-6 * (pot[a] + pot[b])) & (np.abs(load[s] - delta - target[s]) <= band_s + 1e-9)
          & (np.abs(load[r] + delta - target[r]) <= band_r + 1e-9))
    if not ok.any():
        return False
    k = np.flatnonzero(ok)
    busy: set[int] = set()
    for best in k[np.lexsort((b[k], a[k], -np.round(shorter[k], 9)))]:  # the best swaps of disjoint team pairs
        if s[best] in busy or r[best] in busy:
            continue
        owner[a[best]], owner[b[best]] = r[best], s[best]
        busy.update((int(s[best]), int(r[best])))
    return True


# ------------------------------------------------------------------- balance index
def balance_index(assignment: pd.DataFrame, areas: pd.DataFrame, teams: pd.DataFrame) -> pd.DataFrame:
    """Per team: ``potential``, ``share`` (of the assigned potential), ``target_share`` (its share of the
    people), ``index`` = share / target share × 100 (100 = exactly balanced), ``areas`` (count) and
    ``mean_km`` (potential-weighted mean distance of its areas to its base; to the potential-weighted
    centre of its areas when it has no base; NaN without located areas).

    >>> areas = pd.DataFrame({"area_id": ["a", "b", "c"], "grade": ["A", "B", "B"], "score": [10.0, 10.0, 10.0],
    ...                       "lng": [121.0, 121.0, 121.0], "lat": [31.0, 31.0, 31.0]})
    >>> teams = pd.DataFrame({"id": [1, 2], "name": ["甲", "乙"], "size": [1, 1]})
    >>> out = balance_index(pd.DataFrame({"area_id": ["a", "b", "c"], "team_id": [1, 2, 2]}), areas, teams)
    >>> out["potential"].tolist(), out["index"].tolist(), out["areas"].tolist()
    ([40.0, 60.0], [80.0, 120.0], [1, 2])
    """
    table = areas.assign(area_id=areas["area_id"].astype(str), potential=potential(areas).to_numpy())
    owners = assignment.assign(area_id=assignment["area_id"].astype(str))[["area_id", "team_id"]]
    table = table.merge(owners.dropna(subset=["team_id"]), on="area_id", how="left")
    rows = teams.sort_values("id").reset_index(drop=True)
    sizes = pd.to_numeric(rows["size"], errors="coerce").fillna(0.0).clip(lower=0.0)
    total = float(table.loc[table["team_id"].notna(), "potential"].sum())
    out = []
    for i, team in rows.iterrows():
        mine = table[table["team_id"] == team["id"]]
        pot = float(mine["potential"].sum())
        share = pot / total if total > 0 else 0.0
        target = float(sizes.iloc[i] / sizes.sum()) if sizes.sum() > 0 else 0.0
        out.append({"team_id": int(team["id"]), "team": str(team.get("name", team["id"])), "potential": pot,
                    "share": share, "target_share": target,
                    "index": share / target * 100 if target > 0 else float("nan"),
                    "areas": int(len(mine)), "mean_km": _mean_km(mine, team)})
    columns = ["team_id", "team", "potential", "share", "target_share", "index", "areas", "mean_km"]
    return pd.DataFrame(out, columns=columns)


def _mean_km(mine: pd.DataFrame, team: pd.Series) -> float:
    located = mine[np.isfinite(mine["lng"].astype(float)) & np.isfinite(mine["lat"].astype(float))]
    if located.empty:
        return float("nan")
    weights = located["potential"].to_numpy(dtype=float)
    weights = weights if weights.sum() > 0 else np.ones(len(located))
    lng, lat = team.get("base_lng"), team.get("base_lat")
    if lng is None or lat is None or pd.isna(lng) or pd.isna(lat):
        lng = float(np.average(located["lng"], weights=weights))
        lat = float(np.average(located["lat"], weights=weights))
    km = haversine_km(located["lng"], located["lat"], lng, lat)
    return float(np.average(km, weights=weights))


# ------------------------------------------------------------------- auction
BID_COLUMNS = ("team_id", "area_id", "target_visits", "target_deals", "at")


def award(bids: pd.DataFrame) -> pd.DataFrame:
    """Award each area bid on to the strongest commitment; the winning bid becomes the area's targets.

    The strongest commitment is the bid with the most ``target_deals`` (weekly deals promised), then
    the most ``target_visits``, then the earliest ``at``, then the lowest ``team_id``.  A team that bid
    on one area several times is held to its latest bid.  Returns ``area_id``, ``team_id``,
    ``target_visits``, ``target_deals``, ``runner_up`` (the second strongest team, <NA> when alone),
    ``bidders``, one row per area by area id.

    >>> bids = pd.DataFrame({"team_id": [1, 2, 2], "area_id": ["金桥", "金桥", "张江"],
    ...     "target_visits": [30, 20, 10], "target_deals": [2, 2, 1],
    ...     "at": ["2026-12-01T09:00", "2026-12-01T10:00", "2026-12-01T10:00"]})
    >>> award(bids)[["area_id", "team_id", "target_visits", "runner_up"]].values.tolist()
    [['张江', 2, 10, <NA>], ['金桥', 1, 30, 2]]
    """
    table = _checked_bids(bids)
    columns = ["area_id", "team_id", "target_visits", "target_deals", "runner_up", "bidders"]
    if table.empty:
        return pd.DataFrame({c: pd.Series(dtype="Int64" if c in ("team_id", "runner_up") else object)
                             for c in columns})
    table = (table.sort_values(["area_id", "team_id", "at", "row"], na_position="first")
             .drop_duplicates(["area_id", "team_id"], keep="last"))  # a team's latest bid stands
    table = table.assign(late=table["at"].isna())
    ranked = table.sort_values(["area_id", "target_deals", "target_visits", "late", "at", "team_id"],
                               ascending=[True, False, False, True, True, True])
    first = ranked.groupby("area_id", sort=True).nth(0).set_index("area_id")
    second = ranked.groupby("area_id", sort=True).nth(1).set_index("area_id")["team_id"]
    out = first[["team_id", "target_visits", "target_deals"]].copy()
    out["runner_up"] = second.reindex(out.index)
    out["bidders"] = ranked.groupby("area_id")["team_id"].size().reindex(out.index)
    out = out.sort_index().reset_index()
    out["team_id"] = out["team_id"].astype("Int64")
    out["runner_up"] = out["runner_up"].astype("Int64")
    for col in ("target_visits", "target_deals", "bidders"):
        out[col] = out[col].astype(int)
    return out[columns]


def _checked_bids(bids: pd.DataFrame) -> pd.DataFrame:
    """Bids with whole non-negative targets, a team and an area; an error names the row and column."""
    missing = [c for c in BID_COLUMNS if c != "at" and c not in bids.columns]
    if missing:
        raise ValueError(f"竞拍表缺少列：{'、'.join(missing)}。")
    table = bids.reset_index(drop=True).copy()
    table["row"] = np.arange(len(table))
    table["area_id"] = table["area_id"].fillna("").astype(str).str.strip()
    labels = {"team_id": "团队", "area_id": "区域", "target_visits": "承诺周到访", "target_deals": "承诺周成交"}
    for i, r in table.iterrows():
        if r["team_id"] is None or pd.isna(r["team_id"]):
            raise ValueError(f"竞拍表第 {i + 1} 行没有选「{labels['team_id']}」：请选一个团队或删掉这一行。")
        if not r["area_id"]:
            raise ValueError(f"竞拍表第 {i + 1} 行没有选「{labels['area_id']}」：请选一个区域或删掉这一行。")
        for col in ("target_visits", "target_deals"):
            value = pd.to_numeric(pd.Series([r[col]]), errors="coerce").iloc[0]
            if pd.isna(value) or value < 0 or value != math.floor(value):
                raise ValueError(f"竞拍表第 {i + 1} 行的「{labels[col]}」应是不小于 0 的整数，现在是「{r[col]}」。")
    for col in ("target_visits", "target_deals"):
        table[col] = pd.to_numeric(table[col]).astype(int)
    table["team_id"] = pd.to_numeric(table["team_id"]).astype("int64")
    at = table["at"] if "at" in table else pd.Series(None, index=table.index)
    table["at"] = pd.to_datetime(at, errors="coerce", format="mixed")
    return table


# ------------------------------------------------------------------- checks
FLAG_COLUMNS = ("kind", "area_id", "area_name", "team_id", "message")


def check(payload_areas, grades, teams: pd.DataFrame | None = None) -> pd.DataFrame:
    """What a territory set must not have: areas assigned twice (:data:`FLAG_OVERLAP`), A/B areas of the
    plan without a team (:data:`FLAG_UNASSIGNED`), areas given to a team that does not exist
    (:data:`FLAG_UNKNOWN_TEAM`) and, with ``teams``, active teams without any area (:data:`FLAG_IDLE_TEAM`).

    ``payload_areas``: the payload's ``areas`` (list of dicts or a frame with ``area_id``, ``team_id``,
    optionally ``area_name``).  ``grades``: the plan's grades, a frame ``area_id``, ``grade`` (and
    ``area_name``) or a dict area_id → grade.  Returns a frame :data:`FLAG_COLUMNS`, empty when all is well.

    >>> check([{"area_id": "a", "team_id": 1}, {"area_id": "a", "team_id": 2}], {"a": "A", "b": "B", "c": "C"}
    ...       )[["kind", "area_id"]].values.tolist()
    [['重复分配', 'a'], ['A/B 级未分配', 'b']]
    """
    rows = pd.DataFrame(list(payload_areas)) if not isinstance(payload_areas, pd.DataFrame) else payload_areas.copy()
    for col in ("area_id", "team_id", "area_name"):
        if col not in rows:
            rows[col] = None
    rows["area_id"] = rows["area_id"].astype(str)
    grades = (pd.DataFrame({"area_id": list(grades), "grade": list(grades.values())}) if isinstance(grades, dict)
              else grades.copy())
    grades["area_id"] = grades["area_id"].astype(str)
    names = {**dict(zip(grades["area_id"], grades.get("area_name", grades["area_id"]).fillna(""))),
             **{a: n for a, n in zip(rows["area_id"], rows["area_name"]) if isinstance(n, str) and n}}
    team_names = dict(zip(teams["id"].astype(int), teams["name"].astype(str))) if teams is not None else {}
    assigned = rows[rows["team_id"].notna()]
    flags = []
    for area, group in assigned.groupby("area_id", sort=True):
        owners = sorted({int(t) for t in group["team_id"]})
        if len(group) > 1:
            who = "、".join(team_names.get(t, f"团队 {t}") for t in owners)
            flags.append((FLAG_OVERLAP, area, names.get(area, area), owners[0],
                          f"区域「{names.get(area) or area}」分配了 {len(group)} 次（{who}）：只保留一个团队。"))
    if teams is not None:
        for area, team in zip(assigned["area_id"], assigned["team_id"]):
            if int(team) not in team_names:
                flags.append((FLAG_UNKNOWN_TEAM, area, names.get(area, area), int(team),
                              f"区域「{names.get(area) or area}」分给的团队（编号 {int(team)}）已不存在：请重新分配。"))
    owned = set(assigned["area_id"])
    key = grades[grades["grade"].isin(KEY_GRADES) & ~grades["area_id"].isin(owned)]
    for area, grade in sorted(zip(key["area_id"], key["grade"]), key=lambda x: (x[1], x[0])):
        flags.append((FLAG_UNASSIGNED, area, names.get(area, area), None,
                      f"{grade} 级区域「{names.get(area) or area}」还没有分给任何团队。"))
    if teams is not None:
        active = teams[teams["active"].fillna(True).astype(bool)] if "active" in teams else teams
        busy = {int(t) for t in assigned["team_id"]}
        for tid, name in sorted(zip(active["id"].astype(int), active["name"].astype(str))):
            if tid not in busy:
                flags.append((FLAG_IDLE_TEAM, "", "", tid, f"团队「{name}」还没有分到任何区域。"))
    out = pd.DataFrame(flags, columns=list(FLAG_COLUMNS))
    out["team_id"] = out["team_id"].astype("Int64")
    return out


# ------------------------------------------------------------------- the working table of a territory set
AREA_FIELDS = ("area_id", "area_name", "grade", "score", "team_id", "tactic", "per_week", "staff_days",
               "target_visits", "target_high", "target_deals")  # one area of a territory payload
EQUAL_AREA_CRS = "EPSG:6933"  # WGS 84 / EASE-Grid 2.0: areas in m² anywhere


def area_facts(grades: pd.DataFrame, shapes, visits: pd.Series | None = None,
               site: tuple[float, float] | None = None) -> pd.DataFrame:
    """What balancing and tactics need per area of a plan: ``grades`` (``area_id``, ``area_name``,
    ``grade``, ``score``) plus ``lng`` / ``lat`` (a point inside the area, WGS-84), ``km2``, ``visits``
    (``visits``: visitors per area id; 0 when missing), ``density`` (visitors per km²) and
    ``distance_km`` (to ``site``; NaN without one).  ``shapes``: the areas' polygons (GeoDataFrame with
    ``area_id``); areas without a polygon get NaN coordinates.
    """
    out = grades.assign(area_id=grades["area_id"].astype(str)).reset_index(drop=True)
    if shapes is not None and len(shapes):
        geo = shapes.set_crs(4326) if shapes.crs is None else shapes.to_crs(4326)
        points = geo.geometry.representative_point()
        where = pd.DataFrame({"area_id": geo["area_id"].astype(str).to_numpy(), "lng": points.x.to_numpy(),
                              "lat": points.y.to_numpy(), "km2": geo.to_crs(EQUAL_AREA_CRS).area.to_numpy() / 1e6})
        out = out.merge(where.drop_duplicates("area_id"), on="area_id", how="left")
    else:
        out = out.assign(lng=np.nan, lat=np.nan, km2=np.nan)
    counts = visits if visits is not None else pd.Series(dtype=float)
    out["visits"] = out["area_id"].map(counts).fillna(0).astype(int)
    out["density"] = out["visits"] / out["km2"].where(out["km2"] > 0)
    out["distance_km"] = haversine_km(out["lng"], out["lat"], site[0], site[1]) if site else np.nan
    return out


def areas_frame(rows: list[dict] | None) -> pd.DataFrame:
    """A payload's ``areas`` as a frame with every :data:`AREA_FIELDS` column (``team_id`` Int64).

    >>> areas_frame([{"area_id": "a", "grade": "A", "team_id": 2}])[["area_id", "team_id", "per_week"]].values.tolist()
    [['a', 2, 0]]
    """
    frame = pd.DataFrame(list(rows or []))
    defaults = {"area_id": "", "area_name": "", "grade": "", "score": np.nan, "team_id": None, "tactic": "",
                "per_week": 0, "staff_days": 0.0, "target_visits": 0, "target_high": 0, "target_deals": 0}
    for col, value in defaults.items():
        if col not in frame:
            frame[col] = value
    frame = frame[list(AREA_FIELDS)].copy()
    frame["area_id"] = frame["area_id"].astype(str)
    frame["area_name"] = frame["area_name"].fillna("").astype(str)
    frame["tactic"] = frame["tactic"].fillna("").astype(str)
    frame["team_id"] = pd.to_numeric(frame["team_id"], errors="coerce").astype("Int64")
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce").astype(float)
    for col in ("per_week", "target_visits", "target_high", "target_deals"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").fillna(0).astype(int)
    frame["staff_days"] = pd.to_numeric(frame["staff_days"], errors="coerce").fillna(0.0).astype(float)
    return frame


def payload_areas(frame: pd.DataFrame) -> list[dict]:
    """The rows of an :func:`areas_frame` as a payload's ``areas`` (plain JSON values; an error names the
    area and the column when a number is negative).

    >>> payload_areas(areas_frame([{"area_id": "a", "grade": "B", "score": 3.5, "team_id": None}]))[0]["team_id"] is None
    True
    """
    rows = []
    labels = {"per_week": "每周次数", "staff_days": "每周人天", "target_visits": "周目标到访",
              "target_high": "周目标高意向", "target_deals": "周目标成交"}
    for r in areas_frame(frame.to_dict("records")).to_dict("records"):
        for col, label in labels.items():
            if r[col] < 0:
                raise ValueError(f"区域「{r['area_name'] or r['area_id']}」的「{label}」不能为负数（现在是 {r[col]}）。")
        rows.append({"area_id": r["area_id"], "area_name": r["area_name"], "grade": str(r["grade"]),
                     "score": None if pd.isna(r["score"]) else float(r["score"]),
                     "team_id": None if pd.isna(r["team_id"]) else int(r["team_id"]),
                     "tactic": r["tactic"], "per_week": int(r["per_week"]), "staff_days": float(r["staff_days"]),
                     "target_visits": int(r["target_visits"]), "target_high": int(r["target_high"]),
                     "target_deals": int(r["target_deals"])})
    return rows


def start_table(grades: pd.DataFrame, defaults: pd.DataFrame, saved: list[dict] | None = None
                ) -> tuple[pd.DataFrame, list[str]]:
    """The working table of a territory set on a plan: one row per area of ``grades`` (``area_id``,
    ``area_name``, ``grade``, ``score``) with the suggested tactic and targets of ``defaults`` (by
    ``area_id``), then what the ``saved`` payload areas say for the same areas (team, tactic, frequency,
    staff days, targets).  Returns the table (:data:`AREA_FIELDS`) and the ids of saved areas that are
    not in the plan (left out: the plan no longer grades them), so the page can say so.

    >>> grades = pd.DataFrame({"area_id": ["a", "b"], "area_name": ["金桥", "张江"], "grade": ["A", "B"],
    ...                        "score": [9.0, 5.0]})
    >>> defaults = pd.DataFrame({"area_id": ["a", "b"], "tactic": ["社区巡展", "圈层活动"], "per_week": [4, 3]})
    >>> table, gone = start_table(grades, defaults, [{"area_id": "b", "team_id": 3, "tactic": "商圈快闪"},
    ...                                              {"area_id": "z", "team_id": 1}])
    >>> table[["area_id", "team_id", "tactic", "per_week"]].values.tolist(), gone
    ([['a', <NA>, '社区巡展', 4], ['b', 3, '商圈快闪', 3]], ['z'])
    """
    base = grades[["area_id", "area_name", "grade", "score"]].assign(area_id=grades["area_id"].astype(str))
    extra = defaults.assign(area_id=defaults["area_id"].astype(str)).drop(
        columns=[c for c in ("area_name", "grade", "score", "team_id") if c in defaults], errors="ignore")
    table = areas_frame(base.merge(extra, on="area_id", how="left").to_dict("records"))
    saved_rows = areas_frame(saved)
    known = set(table["area_id"])
    gone = [a for a in saved_rows["area_id"] if a not in known]
    saved_rows = saved_rows[saved_rows["area_id"].isin(known)].drop_duplicates("area_id")
    if len(saved_rows):
        given = [c for c in AREA_FIELDS if c not in ("area_name", "grade", "score") and
                 any(c in r for r in (saved or []))]
        table = table.set_index("area_id")
        update = saved_rows.set_index("area_id")[[c for c in given if c != "area_id"]]
        for col in update.columns:
            table.loc[update.index, col] = update[col]
        table = areas_frame(table.reset_index().to_dict("records"))
    return table, gone


def apply_award(table: pd.DataFrame, awarded: pd.DataFrame) -> pd.DataFrame:
    """The working table with each awarded area given to its winner and the winning bid as its weekly
    visit and deal targets (:func:`award`); other areas unchanged.

    >>> t = areas_frame([{"area_id": "a", "team_id": 1, "target_visits": 5}, {"area_id": "b"}])
    >>> won = pd.DataFrame({"area_id": ["b"], "team_id": [2], "target_visits": [30], "target_deals": [2]})
    >>> apply_award(t, won)[["area_id", "team_id", "target_visits", "target_deals"]].values.tolist()
    [['a', 1, 5, 0], ['b', 2, 30, 2]]
    """
    out = areas_frame(table.to_dict("records")).set_index("area_id")
    won = awarded.assign(area_id=awarded["area_id"].astype(str)).set_index("area_id")
    won = won[won.index.isin(out.index)]
    out.loc[won.index, "team_id"] = won["team_id"].astype("Int64")
    out.loc[won.index, "target_visits"] = won["target_visits"].astype(int)
    out.loc[won.index, "target_deals"] = won["target_deals"].astype(int)
    return areas_frame(out.reset_index().to_dict("records"))
