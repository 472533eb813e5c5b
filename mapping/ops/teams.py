"""Teams and which visitors they brought: the visitor frame and the attribution rules.

:func:`visitor_frame` turns the cached :class:`~mapping.analysis.facts.Facts` (one row per visitor ×
dimension, as codes) into one row per visitor: the area its location of one dimension falls in, its
channel, the raw team text of the import (拓客人员/渠道团队/经纪公司/置业顾问), product line,
intention, deal and the Monday of its visit week.  :func:`attribute` gives every visitor a team, in
this order:

1. the import's team text equals a team's name or one of its aliases (trimmed, case-folded) → that
   team (source 「导入列」);
2. the visitor came by an outreach channel (the project's ``outreach_channels``, e.g. 拓客) and its
   area is assigned to a team in the territory set → that team (source 「片区规则」);
3. otherwise unattributed (「未归属」): counted and shown, never dropped; :func:`unattributed_reasons`
   says why.

>>> import numpy as np, pandas as pd
>>> frame = pd.DataFrame({"visitor_id": [1, 2, 3], "area_id": ["a", "b", "b"], "channel": ["拓客", "拓客", "自然到访"],
...     "team_text": ["先锋队", "", ""], "high": [True, False, False], "deal": [False, True, False]})
>>> teams = pd.DataFrame({"id": [7, 8], "name": ["先锋一队", "浦东组"], "aliases": ["先锋队", ""]})
>>> out = attribute(frame, teams, {"areas": [{"area_id": "b", "team_id": 8}]}, ["拓客"])
>>> out[["visitor_id", "team", "source"]].values.tolist()
[[1, '先锋一队', '导入列'], [2, '浦东组', '片区规则'], [3, '未归属', '']]
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa

from mapping import schema as S
from mapping.analysis.facts import Facts
from mapping.geo import hexgrid

TEAM_KINDS = S.TEAM_KINDS  # the kinds and cost models a team may have (kept in the schema)
COST_MODELS = S.COST_MODELS
AREA_KINDS = ("渠道团队", "拓客小组", "小蜜蜂")  # kinds that work a territory (中介公司 and 置业顾问 do not, by default)
UNATTRIBUTED = "未归属"
SOURCE_IMPORT = "导入列"
SOURCE_TERRITORY = "片区规则"
ALIAS_SEPARATORS = re.compile(r"[、,，;；/|]+")

FRAME_COLUMNS = ("visitor_id", "area_id", "area_name", "channel", "team_text", "line", "intention", "high",
                 "deal", "signed", "visit_date", "deal_date", "week")


# ------------------------------------------------------------------- the visitor frame
def visitor_frame(facts: Facts, layer_id: str, dimension: str, layer: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """One row per visitor: its area (of ``dimension`` in layer ``layer_id``) and what it did.

    Columns (:data:`FRAME_COLUMNS`): ``visitor_id`` int64, ``area_id`` / ``area_name`` ("" when that
    dimension is not placed in an area of the layer), ``channel``, ``team_text`` (the raw team text of
    the import; "" when none), ``line`` (intended product line), ``intention``, ``high`` (A/B), ``deal``,
    ``signed`` (stage 签约), ``visit_date``, ``deal_date`` (NaT without one) and ``week`` (the Monday of
    the visit week).  ``layer`` is needed the first time a polygon layer is used with these facts
    (:meth:`~mapping.analysis.facts.Facts.areas`); area names come from its ``area_name`` column (H3
    cells get a readable label).
    """
    if dimension not in S.DIMENSIONS:
        raise ValueError(f"'dimension' must be one of {S.DIMENSIONS}, got {dimension!r}")
    ids, index = facts.areas(layer_id, layer)
    visitors, first = np.unique(facts.visitor, return_index=True)
    area = _area_of(facts, visitors, index, S.DIMENSIONS.index(dimension))
    area_ids, names = [*ids, ""], [*_area_names(ids, layer_id, layer), ""]
    day = facts.day[first].astype("int64")
    deal_day = facts.deal_day[first].astype("int64")
    out = pd.DataFrame({
        "visitor_id": visitors.astype(np.int64),
        "area_id": _text(area_ids, area), "area_name": _text(names, area),
        "channel": _decode(facts.channel, facts.channels_all, first),
        "team_text": _decode(getattr(facts, "team", None), getattr(facts, "teams_all", None), first),
        "line": _decode(facts.line, facts.lines_all, first),
        "intention": _decode(facts.intention, facts.intentions_all, first),
        "high": facts.high[first].astype(bool), "deal": facts.deal[first].astype(bool),
        "signed": np.asarray(_decode(getattr(facts, "stage", None), getattr(facts, "stages_all", None), first)
                             == S.STAGE_SIGN, dtype=bool),
        "visit_date": _dates(day), "deal_date": _dates(deal_day),
        "week": _dates(day - (day + 3) % 7, day > 0),  # 1970-01-01 was a Thursday (weekday 3)
    })
    return out


def _area_of(facts: Facts, visitors: np.ndarray, index: np.ndarray, dim: int) -> np.ndarray:
    """Per visitor (of the sorted ``visitors``): the position of its area of dimension ``dim`` among the
    layer's ids, -1 where it has none (which picks the trailing "" of the id and name arrays)."""
    rows = facts.dim == dim
    at = np.full(len(visitors), -1, dtype=np.int64)
    at[np.searchsorted(visitors, facts.visitor[rows])] = index[rows]  # one location per visitor and dimension
    return at


def _area_names(ids: list[str], layer_id: str, layer: gpd.GeoDataFrame | None) -> list[str]:
    if layer is None or "area_name" not in getattr(layer, "columns", ()):
        if hexgrid.parse_layer_id(layer_id) is not None:
            return [hexgrid.cell_label(c) for c in ids]
        return list(ids)
    lookup = dict(zip(layer["area_id"].astype(str), layer["area_name"].fillna("").astype(str)))
    return [lookup.get(a) or a for a in ids]


def _decode(codes: np.ndarray | None, vocabulary: list[str] | None, rows: np.ndarray):
    """The text of each row's code ("" everywhere when the facts have no such column)."""
    if codes is None or vocabulary is None:
        return _text([""], np.zeros(len(rows), dtype=np.int64))
    return _text([*vocabulary, ""], codes[rows])


def _text(vocabulary: list[str], codes: np.ndarray):
    """``vocabulary[codes]`` (-1 = the last entry) as pandas' string column, taken in Arrow (strings are
    made once per distinct value, not once per visitor: a million rows in ~20 ms instead of ~200 ms)."""
    at = np.where(codes < 0, len(vocabulary) - 1, codes).astype(np.int64)
    try:
        return pd.array(pa.array(vocabulary, type=pa.large_string()).take(pa.array(at)), dtype="str")
    except (TypeError, ValueError):  # a pandas whose str dtype is not Arrow-backed
        return np.asarray(vocabulary, dtype=object)[at]


def _dates(days: np.ndarray, known: np.ndarray | None = None) -> np.ndarray:
    """Day numbers since 1970-01-01 as datetime64[ns]; NaT where ``known`` is False (default: day 0 = none)."""
    out = np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[ns]")
    out[~(days > 0 if known is None else known)] = np.datetime64("NaT")
    return out


# ------------------------------------------------------------------- attribution
def attribute(frame: pd.DataFrame, teams: pd.DataFrame, territory: dict | None,
              outreach_channels: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """``frame`` (:func:`visitor_frame`) plus ``team_id`` (Int64, <NA> = unattributed), ``team`` (name or
    「未归属」) and ``source`` (「导入列」, 「片区规则」 or "") by the rules of the module docstring.

    ``teams``: :meth:`mapping.db.operations.Operations.teams` (``id``, ``name``, ``aliases``); inactive
    teams still take their own visitors by name.  ``territory``: a territory payload (its ``areas``
    with ``area_id`` and ``team_id``) or None.  A name or alias two teams share goes to the team with
    the lower id.
    """
    out = frame.copy()
    team_ids = np.full(len(out), -1, dtype=np.int64)
    source = np.full(len(out), "", dtype=object)
    by_text = _name_lookup(teams)
    if by_text and len(out):
        codes, texts = pd.factorize(out["team_text"].fillna("").astype(str))
        per_text = np.asarray([by_text.get(_norm(t), -1) for t in texts] + [-1], dtype=np.int64)
        team_ids = per_text[codes]
        source[team_ids >= 0] = SOURCE_IMPORT
    owners = territory_owners(territory, teams)
    if owners and len(out):
        todo = (team_ids < 0) & out["channel"].isin(list(outreach_channels)).to_numpy()
        codes, areas = pd.factorize(out["area_id"])  # per distinct area, not per visitor
        owner = np.asarray([owners.get(str(a), -1) for a in areas] + [-1], dtype=np.int64)[codes]
        take = todo & (owner >= 0)
        team_ids[take] = owner[take]
        source[take] = SOURCE_TERRITORY
    names = dict(zip(teams["id"].astype(int), teams["name"].astype(str))) if len(teams) else {}
    at, distinct = pd.factorize(team_ids)  # hashing, no sort of a million ids
    out["team_id"] = pd.arrays.IntegerArray(np.where(team_ids >= 0, team_ids, 0), team_ids < 0)
    out["team"] = _text([names.get(int(t), UNATTRIBUTED) for t in distinct] + [UNATTRIBUTED], at)
    kinds = ["", SOURCE_IMPORT, SOURCE_TERRITORY]
    out["source"] = _text(kinds, np.select([source == SOURCE_IMPORT, source == SOURCE_TERRITORY], [1, 2], 0))
    return out


def territory_owners(territory: dict | None, teams: pd.DataFrame | None = None) -> dict[str, int]:
    """area_id → team id of a territory payload's assigned areas (teams not in ``teams`` left out).

    >>> territory_owners({"areas": [{"area_id": "a", "team_id": 3}, {"area_id": "b", "team_id": None}]})
    {'a': 3}
    """
    known = None if teams is None else set(teams["id"].astype(int))
    owners = {}
    for row in (territory or {}).get("areas", []) or []:
        team = row.get("team_id")
        if team is None or pd.isna(team) or (known is not None and int(team) not in known):
            continue
        owners.setdefault(str(row.get("area_id", "")), int(team))  # an area listed twice: the first owner
    return owners


def _norm(text: str) -> str:
    return str(text).strip().casefold()


def _name_lookup(teams: pd.DataFrame) -> dict[str, int]:
    """Normalised name or alias → team id (the lower id where two teams share one)."""
    lookup: dict[str, int] = {}
    if teams is None or not len(teams):
        return lookup
    rows = teams.sort_values("id")
    for tid, name, aliases in zip(rows["id"], rows["name"].fillna(""),
                                  rows.get("aliases", pd.Series("", index=rows.index)).fillna("")):
        for text in [name, *ALIAS_SEPARATORS.split(str(aliases))]:
            key = _norm(text)
            if key:
                lookup.setdefault(key, int(tid))
    return lookup


# ------------------------------------------------------------------- summaries
def team_summary(frame: pd.DataFrame, teams: pd.DataFrame | None = None) -> pd.DataFrame:
    """Visitors, high-intention visitors and deals per team of an :func:`attribute`-d frame, one row per
    team (every team of ``teams`` when given, zeros included, by id) and a last 「未归属」 row.

    Columns: ``team_id`` (Int64, <NA> for the unattributed row), ``team``, ``visitors``, ``high``,
    ``deals``, ``by_import``, ``by_territory`` (how many came by each rule).

    >>> f = pd.DataFrame({"team_id": pd.array([1, 1, None], dtype="Int64"), "team": ["甲", "甲", "未归属"],
    ...     "high": [True, False, True], "deal": [False, True, False], "source": ["导入列", "片区规则", ""]})
    >>> team_summary(f)[["team", "visitors", "high", "deals"]].values.tolist()
    [['甲', 2, 1, 1], ['未归属', 1, 1, 0]]
    """
    known = frame["team_id"].notna().to_numpy()
    ids = frame["team_id"].to_numpy(dtype="int64", na_value=-1)
    measures = {"visitors": np.ones(len(frame), dtype=np.int64), "high": frame["high"].to_numpy(dtype=bool),
                "deals": frame["deal"].to_numpy(dtype=bool),
                "by_import": (frame["source"] == SOURCE_IMPORT).to_numpy(dtype=bool),
                "by_territory": (frame["source"] == SOURCE_TERRITORY).to_numpy(dtype=bool)}
    names = {} if teams is None else dict(zip(teams["id"].astype("int64"), teams["name"].astype(str)))
    present, at = np.unique(ids[known], return_inverse=True)
    if len(present):  # a team no longer in ``teams``: the name the frame gave it
        first = np.flatnonzero(known)[np.unique(at, return_index=True)[1]]
        for t, name in zip(present, frame["team"].iloc[first]):
            names.setdefault(int(t), str(name))
    order = sorted(set(int(t) for t in present) | set(names))
    slot = {t: i for i, t in enumerate(order)}
    where = np.asarray([slot[int(t)] for t in present], dtype=np.int64)[at.ravel()] if len(present) else \
        np.zeros(0, dtype=np.int64)
    out = pd.DataFrame({"team_id": pd.array(order + [None], dtype="Int64"),
                        "team": [names[t] for t in order] + [UNATTRIBUTED]})
    for col, values in measures.items():
        counts = np.bincount(where, weights=values[known].astype(float), minlength=len(order)).astype(int)
        out[col] = np.append(counts, int(values[~known].sum()) if col in ("visitors", "high", "deals") else 0)
    return out


REASONS = {
    "unknown_text": "导入的团队名称不在团队表中（可在团队表的「别名」里补上）",
    "no_area": "拓客渠道，但这个维度的位置没有落到任何区域",
    "unassigned_area": "拓客渠道，所在区域没有分给任何团队",
    "other_channel": "未填团队，且不是拓客渠道（自然到访、中介、老带新等）",
}


def unattributed_reasons(frame: pd.DataFrame, outreach_channels: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """Why visitors are 「未归属」: one row per reason (:data:`REASONS`) with ``visitors`` and a few
    ``examples`` (the most frequent unknown team texts; never a visitor's own data).

    >>> f = pd.DataFrame({"team_id": pd.array([None, None, None], dtype="Int64"),
    ...     "team_text": ["老王队", "", ""], "channel": ["拓客", "拓客", "自然到访"], "area_id": ["a", "", "a"]})
    >>> unattributed_reasons(f, ["拓客"])[["reason", "visitors"]].values.tolist()[:3]
    [['导入的团队名称不在团队表中（可在团队表的「别名」里补上）', 1], ['拓客渠道，但这个维度的位置没有落到任何区域', 1], \
['拓客渠道，所在区域没有分给任何团队', 0]]
    """
    rest = frame[frame["team_id"].isna()]
    text = rest["team_text"].fillna("").astype(str).str.strip()
    outreach = rest["channel"].isin(list(outreach_channels))
    unknown = text != ""
    kinds = {
        "unknown_text": unknown,
        "no_area": ~unknown & outreach & (rest["area_id"] == ""),
        "unassigned_area": ~unknown & outreach & (rest["area_id"] != ""),
        "other_channel": ~unknown & ~outreach,
    }
    examples = "、".join(text[unknown].value_counts().head(5).index)
    return pd.DataFrame({"kind": list(kinds), "reason": [REASONS[k] for k in kinds],
                         "visitors": [int(m.sum()) for m in kinds.values()],
                         "examples": [examples if k == "unknown_text" else "" for k in kinds]})
