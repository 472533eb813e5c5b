"""Where to find customers at work: industries per work area and a ranked enterprise targeting list.

The Pudong case found its lever in the **work** map by **industry**: instead of covering half of
Shanghai, the developer targeted enterprises in 外高桥 and 金桥, from the few industries its
apartment buyers came from.  This module reads the work (工作) locations of a project's
:class:`~mapping.analysis.facts.Facts` with each visitor's 行业 (``Segments.codes("industry")``)
and answers, per place × industry: how many came, how many are high-intention (A/B), how many
bought, the conversion, what they bought (the product-line mix, e.g. the 公寓 share) and what to
do there (:func:`action`).

**Place.**  A work location within :data:`PARK_RADIUS_M` of an industrial park, bonded zone or CBD
of the project's city gazetteer (landmark types :data:`PARK_TYPES`: 金桥出口加工区, 外高桥保税区,
张江高科技园区 …) is grouped by that park — the nearest one — whatever smaller landmark (a mall,
a metro station inside the park) it was labelled with; every other placed location by the area of
the project's layer it falls in.  Parks are recognised by geometry, not by text, so "金桥开发区
12号楼", "上汽通用(金桥)" and a coordinate read off a map all land in the same park.  A location
known only to its district (no point) can never be placed in a park.

**Privacy.**  A place × industry cell with fewer than *k* work visitors (``min_count``) is withheld:
it is not listed, and :class:`Targeting` counts the withheld cells and visitors for a line under
the table.  Industries named for an area (:func:`area_industries`) are only those with at least *k*
visitors in it.

>>> import numpy as np, pandas as pd
>>> rows = pd.DataFrame({"area_id": ["A"] * 6 + ["B"] * 2, "park": ["金桥出口加工区"] * 4 + [""] * 4,
...     "industry": ["IT互联网"] * 4 + ["金融"] * 4, "deal": [True, True, False, False, False, False, True, False],
...     "high": [True] * 8, "bought": ["公寓", "公寓", "", "", "", "", "洋房", ""]})
>>> names = pd.DataFrame({"area_id": ["A", "B"], "area_name": ["金桥", "张江"]})
>>> t = targeting_list(rows, names, min_count=2)
>>> t.table[["类型", "地点", "行业", "到访", "成交", "建议动作"]].to_numpy().tolist()[0]
['园区', '金桥出口加工区', 'IT互联网', 4, 2, '企业团购 · 午间快闪 · 园区展点']
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from mapping import schema as S
from mapping.place import gazetteer

__all__ = ["ACTIONS", "PARK_RADIUS_M", "PARK_TYPES", "Targeting", "action", "area_industries", "line_share",
           "map_counts", "park_index", "parks", "targeting_list", "targeting_workbook", "with_line_share",
           "work_rows"]

PARK_TYPES = ("产业园", "保税区", "CBD")
"""Landmark types (``data/gazetteer/*landmarks*.csv`` column ``type``) whose enterprises can be approached
as one: industrial parks, bonded zones, central business districts."""

PARK_RADIUS_M = 1500
"""A work location this close to a park's point is in that park (the nearest one).  The gazetteer has a point
per park, not its outline; 1.5 km is the radius the app already calls 「附近」 (``NEAR_LANDMARK_M``), about the
half-width of 外高桥保税区 (10 km²) and well inside 金桥出口加工区 (27 km²)."""

PARK, AREA = "园区", "区域"
NO_INDUSTRY = "未填行业"
DENSE_FACTOR = 3  # a cell with at least 3 × k visitors is dense enough for enterprise outreach on its own

ACTIONS = {
    "park_convert": "企业团购 · 午间快闪 · 园区展点",
    "area_convert": "企业拓客 · 团购洽谈",
    "dense": "企业拓客（人多，先提意向）",
    "watch": "观察",
}
"""Suggested actions (see :func:`action`)."""

ACTION_HELP = {
    ACTIONS["park_convert"]: "园区内、成交率不低于平均且有成交：找园区管委会和这些行业的企业谈团购，午间去园区快闪、设展点",
    ACTIONS["area_convert"]: "区域内、成交率不低于平均且有成交：列出区域里这个行业的企业，逐家拓客、谈团购",
    ACTIONS["dense"]: f"到访多（至少 {DENSE_FACTOR} 倍最少样本）但成交率低于平均：人在这里，先拓客提高意向",
    ACTIONS["watch"]: "到访不多、成交率不高：先观察，不单独投入",
}

LIST_COLUMNS = ["排名", "类型", "地点", "所在区域", "行业", "到访", "高意向", "成交", "成交率", "成交业态", "建议动作"]


# ------------------------------------------------------------------------------- parks
@lru_cache(maxsize=16)
def parks(city: str) -> pd.DataFrame:
    """The parks of ``city``'s gazetteer: name, type, adcode (district), lng, lat (WGS-84); empty when it has none.

    >>> "外高桥保税区" in set(parks("310000")["name"])
    True
    """
    table = gazetteer.landmark_table(city)
    out = table[table["type"].isin(PARK_TYPES)][["name", "type", "adcode", "lng", "lat"]]
    return out.sort_values("name", kind="stable").reset_index(drop=True)


def park_index(lng: np.ndarray, lat: np.ndarray, park_table: pd.DataFrame,
               radius_m: float = PARK_RADIUS_M, adcode: np.ndarray | None = None) -> np.ndarray:
    """int32 index into ``park_table`` of the nearest park within ``radius_m`` of each point; -1 for none
    (and for a missing coordinate).  With ``adcode`` (the district of each point) and an ``adcode`` column in
    ``park_table``, a point is only in a park of its own district (北外滩 does not reach across the river
    into 陆家嘴).

    >>> table = pd.DataFrame({"name": ["甲园", "乙园"], "lng": [121.60, 121.70], "lat": [31.25, 31.25],
    ...                       "adcode": ["310115", "310109"]})
    >>> park_index(np.array([121.601, 121.65, np.nan]), np.array([31.25, 31.25, np.nan]), table).tolist()
    [0, -1, -1]
    >>> park_index(np.array([121.601, 121.701]), np.array([31.25, 31.25]), table,
    ...            adcode=np.array(["310115", "310115"], dtype=object)).tolist()
    [0, -1]
    """
    lng = np.asarray(lng, dtype=float)
    lat = np.asarray(lat, dtype=float)
    out = np.full(len(lng), -1, dtype=np.int32)
    has = ~(np.isnan(lng) | np.isnan(lat))
    if not has.any() or park_table.empty:
        return out
    points = park_table[["lng", "lat"]].to_numpy(dtype=float)
    # local metres (equirectangular, fine within a city), as Facts labels places
    scale = np.array([111_320.0 * np.cos(np.radians(np.nanmean(points[:, 1]))), 110_574.0])
    dist, best = cKDTree(points * scale).query(np.column_stack([lng[has], lat[has]]) * scale,
                                               distance_upper_bound=radius_m)
    found = np.where(np.isfinite(dist), best, -1)
    if adcode is not None and "adcode" in park_table:
        park_adcode = np.append(park_table["adcode"].to_numpy(dtype=object), "")
        own = np.asarray(adcode, dtype=object)[has]
        found = np.where((own == "") | (park_adcode[found] == own), found, -1)
    out[has] = found
    return out


# ------------------------------------------------------------------------------- rows
def work_rows(facts, layer_key: str, industry: tuple[np.ndarray, list[str]], filters=None, layer=None,
              product_line: str | None = None) -> pd.DataFrame:
    """The work locations of ``facts`` under ``filters``: one row per visitor who gave a work location.

    Parameters
    ----------
    facts : Facts
        The project's facts.
    layer_key, layer :
        The area unit (as :meth:`Facts.areas` takes them).
    industry : (numpy.ndarray, list of str)
        ``Segments.codes("industry")``: an int code per Facts row (-1 = 未填), and the vocabulary.
    filters : Filters, optional
        Date, channel, intention filters (its ``product_line`` is ignored: use ``product_line``).
    product_line : str, optional
        Keep the visitors who intended *or* bought this line; a deal counts only when this line was bought
        (成交业态, else the intended line).

    Returns
    -------
    pandas.DataFrame
        ``area_id`` ("" when the location is on no area of the layer), ``park`` ("" outside parks),
        ``industry`` (「未填行业」 when empty), ``deal``, ``high`` (bool) and ``bought`` (the line bought, ""
        without a deal); the text columns are categoricals (a million rows hold no string each).
    """
    from dataclasses import replace

    from mapping.analysis.facts import Filters

    codes, vocabulary = industry
    if len(codes) != len(facts):
        raise ValueError(f"'industry' 的行数（{len(codes)}）应与 facts 的行数（{len(facts)}）相同：请用同一数据版本的 Segments")
    ids, index = facts.areas(layer_key, layer)
    keep = facts.mask(replace(filters or Filters(), product_line=None)) & (facts.dim == S.DIMENSIONS.index(S.WORK))
    keep &= facts.given  # visitors who gave no work location are not work visitors
    where = np.flatnonzero(keep)
    intended = np.asarray(facts.lines_all, dtype=object)[facts.line[where]]
    bought = np.asarray(facts.deal_lines_all, dtype=object)[facts.deal_line[where]]
    deal = facts.deal[where]
    bought = np.where(deal, np.where(bought == "", intended, bought), "")
    if product_line:
        chosen = (intended == product_line) | (bought == product_line)
        where, intended, bought, deal = where[chosen], intended[chosen], bought[chosen], deal[chosen]
        deal = deal & (bought == product_line)
    table = parks(facts.city)
    park = park_index(facts.lng[where], facts.lat[where], table, adcode=facts.adcode[where])
    return pd.DataFrame({
        "area_id": _categorical(index[where], ids, ""),
        "park": _categorical(park, table["name"].tolist(), ""),
        "industry": _categorical(codes[where], vocabulary, NO_INDUSTRY),
        "deal": deal.astype(bool),
        "high": facts.high[where].astype(bool),
        "bought": pd.Categorical(bought.astype(object)),
    })


def _categorical(codes: np.ndarray, names: list[str], missing: str) -> pd.Categorical:
    """``names[code]`` per code (-1: ``missing``) as a categorical, without a string per row; names may repeat.

    >>> _categorical(np.array([1, -1, 0, 2]), ["b", "a", "b"], "").tolist()
    ['a', '', 'b', 'b']
    """
    labels = np.append(np.asarray([str(n) for n in names], dtype=object), missing)
    categories, inverse = np.unique(labels, return_inverse=True)
    position = np.where(np.asarray(codes) < 0, len(names), codes)
    return pd.Categorical.from_codes(inverse[position].astype(np.int32), categories=categories)


# ------------------------------------------------------------------------------- the list
@dataclass(frozen=True)
class Targeting:
    """The ranked list (:data:`LIST_COLUMNS`) and what was withheld or could not be placed."""

    table: pd.DataFrame
    average: float  # the project's conversion over every placed work visitor in view
    withheld_cells: int  # place × industry cells below k: not listed
    withheld_visits: int
    unplaced: int  # work locations on no area and in no park

    def note(self, k: int) -> str:
        """The line under the table about what is not listed."""
        parts = []
        if self.withheld_cells:
            parts.append(f"{self.withheld_cells} 个地点×行业组合到访少于 {k} 人，未列出"
                         + (f"（合计 {self.withheld_visits} 人）" if self.withheld_visits >= k else "（合计也少于最少样本）"))
        if self.unplaced:
            parts.append(f"{self.unplaced} 位客户填了工作地但没有落到区域单元上（无法识别、只识别到区县或在范围外），不在清单里")
        return "；".join(parts) + ("。" if parts else "")


def action(kind: str, visits: int, deals: int, conversion: float, average: float, k: int) -> str:
    """The suggested action of one listed cell (:data:`ACTIONS`, explained in :data:`ACTION_HELP`).

    >>> action(PARK, 20, 3, 0.15, 0.05, 5), action(AREA, 20, 3, 0.15, 0.05, 5)
    ('企业团购 · 午间快闪 · 园区展点', '企业拓客 · 团购洽谈')
    >>> action(AREA, 15, 0, 0.0, 0.05, 5), action(AREA, 6, 0, 0.0, 0.05, 5)
    ('企业拓客（人多，先提意向）', '观察')
    """
    if deals > 0 and conversion >= average:
        return ACTIONS["park_convert"] if kind == PARK else ACTIONS["area_convert"]
    if visits >= DENSE_FACTOR * k:
        return ACTIONS["dense"]
    return ACTIONS["watch"]


_KEYS = ["area_id", "park", "industry"]


def _counted(rows: pd.DataFrame, keys: list[str], **measures) -> pd.DataFrame:
    """Grouped counts of ``rows`` by ``keys`` (categoricals: only the combinations present) as plain text keys,
    with ``kind`` (园区/区域) and ``place`` (the park, else the area id) added."""
    out = rows.groupby(keys, observed=True, sort=False).agg(**measures).reset_index()
    for key in keys:
        out[key] = out[key].astype(str)
    in_park = out["park"] != ""
    return out.assign(kind=np.where(in_park, PARK, AREA), place=np.where(in_park, out["park"], out["area_id"]))


def _mixes(placed: pd.DataFrame) -> dict[tuple, str]:
    """(kind, place, industry) → what its visitors bought, e.g. 「公寓 75%、洋房 25%」 (most first, then by name)."""
    bought = placed[placed["bought"] != ""]
    if bought.empty:
        return {}
    counts = _counted(bought, [*_KEYS, "bought"], n=("deal", "size"))
    counts = counts.groupby(["kind", "place", "industry", "bought"], sort=False)["n"].sum().reset_index()
    counts["total"] = counts.groupby(["kind", "place", "industry"])["n"].transform("sum")
    counts = counts.sort_values(["kind", "place", "industry", "n", "bought"], ascending=[True, True, True, False, True],
                                kind="stable")
    counts["text"] = counts["bought"] + " " + (counts["n"] / counts["total"]).map("{:.0%}".format)
    joined = counts.groupby(["kind", "place", "industry"], sort=False)["text"].agg("、".join)
    return joined.to_dict()


def _home_areas(base: pd.DataFrame) -> dict[tuple, str]:
    """(kind, place) → the area most of its rows fall in (ties: the smallest id); places without one are left out."""
    placed = base[base["area_id"] != ""]
    counts = placed.groupby(["kind", "place", "area_id"], sort=False)["visits"].sum().rename("n").reset_index()
    counts = counts.sort_values(["n", "area_id"], ascending=[False, True], kind="stable").drop_duplicates(["kind", "place"])
    return {(kd, p): a for kd, p, a in zip(counts["kind"], counts["place"], counts["area_id"])}


def targeting_list(rows: pd.DataFrame, names: pd.DataFrame, min_count: int) -> Targeting:
    """The enterprise targeting list: place (park, else area) × industry, ranked.

    Ranked by deals, then high-intention visitors, then visits (most first); only cells with at least
    ``min_count`` visitors.  ``names`` maps ``area_id`` to ``area_name``.  For a park, 所在区域 is the
    area most of its visitors' work locations fall in.  成交业态 is what the cell's visitors bought (every
    line, also under a product-line filter: who came for 公寓 and bought 洋房 shows as 洋房).
    """
    k = max(int(min_count), 1)
    placed = rows[(rows["park"] != "") | (rows["area_id"] != "")]
    unplaced = len(rows) - len(placed)
    average = float(placed["deal"].sum() / len(placed)) if len(placed) else 0.0
    name_of = dict(zip(names["area_id"].astype(str), names["area_name"].astype(str)))
    # one pass over the rows by codes (area × park × industry); the rest works on those few thousand counts
    base = _counted(placed, _KEYS, visits=("deal", "size"), high=("high", "sum"), deals=("deal", "sum"))
    cells = base.groupby(["kind", "place", "industry"], sort=True)[["visits", "high", "deals"]].sum().reset_index()
    big = cells["visits"] >= k
    withheld = cells[~big]
    cells = cells[big].copy()
    mixes = _mixes(placed)
    home_area = _home_areas(base)
    cells["conversion"] = cells["deals"] / cells["visits"]
    cells["mix"] = [mixes.get((kd, p, i), "") for kd, p, i in zip(cells["kind"], cells["place"], cells["industry"])]
    cells["area"] = [name_of.get(home_area.get((kd, p), ""), "") if kd == PARK else name_of.get(p, p)
                     for kd, p in zip(cells["kind"], cells["place"])]
    cells["label"] = [p if kd == PARK else name_of.get(p, p) for kd, p in zip(cells["kind"], cells["place"])]
    cells["action"] = [action(kd, v, d, c, average, k) for kd, v, d, c in
                       zip(cells["kind"], cells["visits"], cells["deals"], cells["conversion"])]
    cells = cells.sort_values(["deals", "high", "visits", "label", "industry"],
                              ascending=[False, False, False, True, True], kind="stable").reset_index(drop=True)
    table = pd.DataFrame({
        "排名": np.arange(1, len(cells) + 1), "类型": cells["kind"], "地点": cells["label"], "所在区域": cells["area"],
        "行业": cells["industry"], "到访": cells["visits"].astype(int), "高意向": cells["high"].astype(int),
        "成交": cells["deals"].astype(int), "成交率": cells["conversion"].astype(float), "成交业态": cells["mix"],
        "建议动作": cells["action"],
    }, columns=LIST_COLUMNS)
    return Targeting(table, average, int(len(withheld)), int(withheld["visits"].sum()), int(unplaced))


def line_share(table: pd.DataFrame, line: str) -> pd.Series:
    """The share of ``line`` in each row's 成交业态 text (0 without deals of it), e.g. the 公寓 share.

    >>> line_share(pd.DataFrame({"成交业态": ["公寓 75%、洋房 25%", "", "洋房 100%"]}), "公寓").tolist()
    [0.75, 0.0, 0.0]
    """
    def one(text: str) -> float:
        for part in str(text).split("、"):
            name, _, pct = part.rpartition(" ")
            if name == line and pct.endswith("%"):
                return float(pct[:-1]) / 100.0
        return 0.0
    return table["成交业态"].map(one).astype(float)


def with_line_share(table: pd.DataFrame, line: str | None) -> pd.DataFrame:
    """``table`` (:data:`LIST_COLUMNS`) with 「<line>占成交」 after 成交业态: the share of ``line`` in what each
    cell's visitors bought (e.g. the 公寓 share); unchanged without a line.

    >>> t = pd.DataFrame({"成交业态": ["公寓 75%、洋房 25%", ""], "建议动作": ["观察", "观察"]})
    >>> with_line_share(t, "公寓").columns.tolist(), with_line_share(t, "公寓")["公寓占成交"].tolist()
    (['成交业态', '公寓占成交', '建议动作'], [0.75, 0.0])
    """
    if not line:
        return table
    out = table.copy()
    out.insert(out.columns.get_loc("成交业态") + 1, f"{line}占成交", line_share(table, line))
    return out


# ------------------------------------------------------------------------------- per area
AREA_COLUMNS = ["区域", "到访", "成交", "成交率", "园区内到访", "到访行业（前三）", "成交行业（前三）"]


def _top(cells: pd.DataFrame, measure: str, top: int) -> dict[str, str]:
    """area_id → 「金融 3人、IT互联网 2人」: the ``top`` industries by ``measure`` (most first, then by name)."""
    if cells.empty:
        return {}
    ranked = cells.sort_values(["area_id", measure, "industry"], ascending=[True, False, True], kind="stable")
    ranked = ranked.groupby("area_id", sort=False).head(top)
    text = ranked["industry"] + " " + ranked[measure].astype(int).astype(str) + "人"
    return text.groupby(ranked["area_id"], sort=False).agg("、".join).to_dict()


def area_industries(rows: pd.DataFrame, names: pd.DataFrame, min_count: int, top: int = 3) -> pd.DataFrame:
    """Per area of the layer with at least ``min_count`` work visitors: visits, deals, conversion, how many
    work in a park, and the industries of its visitors and of its buyers (top ``top``, each named only with
    at least ``min_count`` visitors in the area; a buyer industry also needs ``min_count`` visitors).

    >>> rows = pd.DataFrame({"area_id": ["A"] * 5, "park": [""] * 5, "industry": ["金融"] * 3 + ["IT互联网"] * 2,
    ...     "deal": [True, False, False, True, False], "high": [False] * 5, "bought": ["公寓", "", "", "公寓", ""]})
    >>> list(area_industries(rows, pd.DataFrame({"area_id": ["A"], "area_name": ["金桥"]}), 3).to_dict("records")[0].values())
    ['金桥', 5, 2, 0.4, 0, '金融 3人', '金融 1人']
    """
    k = max(int(min_count), 1)
    placed = rows[rows["area_id"] != ""].assign(in_park=lambda f: f["park"] != "")
    totals = placed.groupby("area_id", observed=True).agg(visits=("deal", "size"), deals=("deal", "sum"),
                                                          in_park=("in_park", "sum"))
    totals.index = totals.index.astype(str)
    totals = totals[totals["visits"] >= k]
    cells = placed.groupby(["area_id", "industry"], observed=True).agg(visits=("deal", "size"),
                                                                       deals=("deal", "sum")).reset_index()
    cells = cells.astype({"area_id": str, "industry": str})
    named = cells[(cells["industry"] != NO_INDUSTRY) & (cells["visits"] >= k) & cells["area_id"].isin(totals.index)]
    visitors_top = _top(named, "visits", top)
    buyers_top = _top(named[named["deals"] > 0], "deals", top)
    name_of = dict(zip(names["area_id"].astype(str), names["area_name"].astype(str)))
    table = pd.DataFrame({
        "区域": [name_of.get(a, a) for a in totals.index], "到访": totals["visits"].astype(int).to_numpy(),
        "成交": totals["deals"].astype(int).to_numpy(), "成交率": (totals["deals"] / totals["visits"]).to_numpy(dtype=float),
        "园区内到访": totals["in_park"].astype(int).to_numpy(),
        "到访行业（前三）": [visitors_top.get(a, "") for a in totals.index],
        "成交行业（前三）": [buyers_top.get(a, "") for a in totals.index],
    }, columns=AREA_COLUMNS)
    return table.sort_values(["到访", "区域"], ascending=[False, True], kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------------------- for the map
def map_counts(rows: pd.DataFrame, names: pd.DataFrame, park_table: pd.DataFrame,
               industry: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the work map draws, for one industry (or all): per area of the layer (``area_id``, ``area_name``,
    ``visits``, ``high_intention``, ``deals``, ``conversion``; every area of ``names``, zeros included; the
    *k* rule is the map's) and per park with visitors (``name``, ``lng``, ``lat``, ``visits``, ``deals``,
    ``conversion``).  A visitor in a park counts for the park and for the area the location lies in.

    >>> rows = pd.DataFrame({"area_id": ["A", "A", "B"], "park": ["甲园", "", ""], "industry": ["金融", "IT互联网", "金融"],
    ...                      "deal": [True, False, False], "high": [True, False, False], "bought": ["公寓", "", ""]})
    >>> names = pd.DataFrame({"area_id": ["A", "B", "C"], "area_name": ["金桥", "张江", "花木"]})
    >>> parks_ = pd.DataFrame({"name": ["甲园"], "lng": [121.6], "lat": [31.25]})
    >>> areas, in_parks = map_counts(rows, names, parks_, "金融")
    >>> areas["visits"].tolist(), in_parks[["name", "visits", "deals"]].to_numpy().tolist()
    ([1, 1, 0], [['甲园', 1, 1]])
    """
    if industry:
        rows = rows[rows["industry"] == industry]
    by_area = rows[rows["area_id"] != ""].groupby("area_id", observed=True).agg(
        visits=("deal", "size"), high_intention=("high", "sum"), deals=("deal", "sum"))
    by_area.index = by_area.index.astype(str)
    areas = names[["area_id", "area_name"]].astype({"area_id": str}).merge(
        by_area, left_on="area_id", right_index=True, how="left").fillna({"visits": 0, "high_intention": 0, "deals": 0})
    areas = areas.astype({"visits": int, "high_intention": int, "deals": int})
    areas["conversion"] = np.where(areas["visits"] > 0, areas["deals"] / areas["visits"].clip(lower=1), 0.0)
    by_park = rows[rows["park"] != ""].groupby("park", observed=True).agg(visits=("deal", "size"), deals=("deal", "sum"))
    by_park.index = by_park.index.astype(str)
    in_parks = park_table[["name", "lng", "lat"]].merge(by_park, left_on="name", right_index=True, how="inner")
    in_parks = in_parks.astype({"visits": int, "deals": int}).reset_index(drop=True)
    in_parks["conversion"] = in_parks["deals"] / in_parks["visits"]
    return areas.reset_index(drop=True), in_parks


# ------------------------------------------------------------------------------- export
def targeting_workbook(targeting: Targeting, areas: pd.DataFrame, *, project: str, line: str, layer: str,
                       min_count: int, share_line: str | None = None, generated=None) -> bytes:
    """The 工作地·行业拓客清单 workbook: 说明, then 拓客清单 (:func:`targeting_list`) and 区域行业
    (:func:`area_industries`), through the formula-safe writer (:func:`mapping.export.workbook.plan_workbook`):
    place and industry names come from user files, so a text such as ``=HYPERLINK(…)`` is written as text.

    Returns the .xlsx bytes; withheld cells are not in it (the 说明 sheet says how many).  With ``share_line``
    the list carries 「<line>占成交」 (:func:`with_line_share`).
    """
    import datetime as dt

    from mapping.export.workbook import plan_workbook

    meta = {"项目": project, "业态": line, "维度": "工作地", "区域单元": layer,
            "园区识别": f"工作地在产业园/保税区/CBD 地标 {PARK_RADIUS_M / 1000:g} 公里内（同一区县）即算该园区",
            "工作地平均成交率": f"{targeting.average:.2%}", "最少样本数": str(min_count),
            "生成时间": (generated or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")}
    notes = [targeting.note(min_count) or "没有未列出的组合。",
             *(f"{name}：{text}" for name, text in ACTION_HELP.items()),
             "成交业态：这些客户买了什么（成交业态为空时按意向业态）；选了业态时，也列出来看该业态却买了别的业态的。"]
    return plan_workbook({"拓客清单": with_line_share(targeting.table, share_line), "区域行业": areas}, meta,
                         title="工作地·行业拓客清单", notes=notes)
