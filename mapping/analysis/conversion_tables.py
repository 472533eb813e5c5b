"""The 到访成交对比 reading of a project: per-area visits, deals and deal mix joined into
:func:`mapping.analysis.conversion.table`, and the forms the page shows and exports.

Areas under the minimum count are 样本不足: their visits, deals and deal mix are
withheld in every public form (:func:`public_reading`, :func:`mix_of_top_areas`).

>>> t = pd.DataFrame({"area_id": ["a"], "deals_total": [3], "deals_公寓": [2], "deals_商铺": [1]})
>>> deal_lines(t, ["公寓", "洋房"])
['公寓', '洋房', '商铺']
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd

from mapping.analysis import conversion as C
from mapping.analysis.facts import Facts, Filters, area_stats, deals_by_line

__all__ = ["COLUMNS", "PERCENT_COLUMNS", "area_reading", "deal_lines", "mix_of_top_areas", "public_reading"]

INSUFFICIENT = "样本不足"
COLUMNS = {"area_name": "区域", "quadrant": "象限", "visits": "到访", "deals": "成交", "raw": "原始成交率",
           "rate": "收缩后成交率", "low": "区间下限(90%)", "high": "区间上限(90%)", "top_line": "成交最多的业态",
           "top_share": "该业态占成交", "advice": "建议"}
PERCENT_COLUMNS = ("原始成交率", "收缩后成交率", "区间下限(90%)", "区间上限(90%)", "该业态占成交")
WITHHELD = ("visits", "deals", "top_share")  # blank for 样本不足 areas (top_line becomes "")


def area_reading(facts: Facts, layer_key: str, dimension: str, filters: Filters, min_count: int, *,
                 layer: gpd.GeoDataFrame | None = None, names: pd.DataFrame | None = None) -> pd.DataFrame:
    """Visits against deals per area of a layer, for one dimension.

    Parameters
    ----------
    facts : Facts
        The project's facts.
    layer_key : str
        The area unit's id (the key of ``facts.areas``).
    dimension : str
        居住 / 工作 / 生活娱乐 as a key of :data:`mapping.schema.DIMENSIONS`.
    filters : Filters
        Product line and visit dates to count.
    min_count : int
        Areas with fewer visits are 样本不足 (no figures, no judgement).
    layer : geopandas.GeoDataFrame, optional
        The area polygons, needed the first time a polygon layer is used.
    names : pandas.DataFrame, optional
        ``area_id``, ``area_name``; areas without a name show their id.

    Returns
    -------
    pandas.DataFrame
        :func:`mapping.analysis.conversion.table` of the areas with any visit
        (empty when there is none), with ``attrs`` average, visit_split, prior_strength.
        Without any deal the deal mix is empty (``deals_total`` 0, no ``deals_<line>`` columns).
    """
    stats = area_stats(facts, layer_key, filters, layer)
    counts = stats[["area_id"]].assign(visits=stats[f"visits_{dimension}"], deals=stats[f"deals_{dimension}"])
    if names is not None:
        counts = counts.merge(names[["area_id", "area_name"]], on="area_id", how="left")
        counts["area_name"] = counts["area_name"].fillna(counts["area_id"])
    else:
        counts["area_name"] = counts["area_id"]
    counts = counts[counts["visits"] > 0]
    return C.table(counts, _deal_mix(deals_by_line(facts, layer_key, dimension, filters, layer)), min_count)


def _deal_mix(lines: pd.DataFrame) -> pd.DataFrame:
    """:func:`mapping.analysis.conversion.deal_mix`, also when nobody bought anything (no line columns)."""
    if len(lines.columns):
        return C.deal_mix(lines)
    return pd.DataFrame({"deals_total": 0, "top_line": "", "top_share": 0.0}, index=lines.index)


def deal_lines(table: pd.DataFrame, product_lines: Sequence[str]) -> list[str]:
    """The product lines of the map's pies: the project's lines, then any other line bought."""
    bought = [c.removeprefix("deals_") for c in table.columns if c.startswith("deals_") and c != "deals_total"]
    return [*product_lines, *[x for x in bought if x not in product_lines]]


def public_reading(table: pd.DataFrame) -> pd.DataFrame:
    """The reading with Chinese headers (:data:`COLUMNS`) as shown and exported:
    visits, deals and the top line's share blank, and the top line empty, for 样本不足 areas.

    Examples
    --------
    >>> t = pd.DataFrame({"area_name": ["金桥", "张江"], "quadrant": ["主力", "样本不足"], "visits": [80, 3],
    ...                   "deals": [9, 1], "raw": [0.11, None], "rate": [0.1, None], "low": [0.06, None],
    ...                   "high": [0.15, None], "top_line": ["公寓", "公寓"], "top_share": [0.8, 1.0],
    ...                   "advice": ["主力：保持投入", "少于 5 人，不作判断"]})
    >>> public_reading(t)[["区域", "到访", "成交", "成交最多的业态"]].values.tolist()
    [['金桥', 80.0, 9.0, '公寓'], ['张江', nan, nan, '']]
    """
    hidden = table["quadrant"] == INSUFFICIENT
    shown = table[list(COLUMNS)].copy()
    for col in WITHHELD:
        shown[col] = shown[col].astype(float).where(~hidden)
    shown["top_line"] = shown["top_line"].where(~hidden, "")
    return shown.rename(columns=COLUMNS)


def mix_of_top_areas(table: pd.DataFrame, n: int = 15) -> pd.DataFrame:
    """Share of each product line in the deals of the ``n`` areas with the most visits.

    Only areas with enough visits and any deal; index ``area_name`` (most visits
    first), one column per line bought.  Empty when no such area.
    """
    rows = table[(table["quadrant"] != INSUFFICIENT) & (table["deals_total"] > 0)]
    share_cols = [c for c in table.columns if c.startswith("share_")]
    mix = rows.set_index("area_name")[share_cols]
    mix.columns = [c.removeprefix("share_") for c in share_cols]
    if mix.empty:
        return mix
    return mix.loc[rows.nlargest(n, "visits")["area_name"]]
