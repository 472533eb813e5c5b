"""Count visitors and deals per area of any polygon layer, and say where every location went.

A location with a point falls into whichever polygon contains it; a location
known only to district level counts where the layer has that whole district as
one area.  Where the layer splits a district into finer areas (浦东新区 into its
板块), a location of that district that no area takes (known only to district
level, or a point in no 板块) goes to the district's **remainder area**
``"<adcode>:rest"``, named 「浦东新区（板块未明）」: a row of the tables with no
geometry, never a silent drop.  :class:`Coverage` counts every given location
once (on an area, in a remainder, off the layer, outside the city, unresolved),
and :func:`reconcile` sets those figures beside the home page's "resolved" share.

>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> layer = gpd.GeoDataFrame({"area_id": ["PD01", "310104"], "area_name": ["陆家嘴", "徐汇区"],
...                           "adcode": ["310115", "310104"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)])
>>> sorted(split_districts(layer))
['310115']
>>> locations = pd.DataFrame({"lng": [0.5, None, None], "lat": [0.5, None, None],
...                           "adcode": ["310115", "310115", "310104"], "outside": [False] * 3})
>>> remainder(locations, layer).tolist()
['', '310115:rest', '']
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from mapping import schema as S
from mapping.geo import boundaries
from mapping.place.resolve import METHOD_EMPTY

REMAINDER_SUFFIX = ":rest"  # area_id of a district's remainder area: "310115:rest"
REMAINDER_NAME = "（板块未明）"  # its name follows the district's: 浦东新区（板块未明）
COUNT_COLUMNS = ["visits", "high_intention", "deals"]


@dataclass
class Coverage:
    """Where the given locations of one dimension went: each is counted once in
    ``placed``, ``unresolved``, ``outside`` or ``coarse`` (so they add up to ``given``),
    and ``coarse`` splits into ``remainder`` and :attr:`off_layer`.

    ``resolved`` (a district code found, the home page's figure) counts across them.
    """

    given: int
    resolved: int
    placed: int  # on an area of the layer
    unresolved: int  # given, no district found
    outside: int  # outside the project's city (and on no area)
    coarse: int  # resolved in the city but on no area of the layer: remainder + off_layer
    remainder: int = 0  # of coarse: in a district the layer splits, counted in its 「…（板块未明）」 row

    @property
    def resolved_share(self) -> float:
        return self.resolved / self.given if self.given else 0.0

    @property
    def off_layer(self) -> int:
        """Resolved in the city, but in a district the layer does not cover."""
        return self.coarse - self.remainder


def place(locations: pd.DataFrame, layer: gpd.GeoDataFrame) -> pd.Series:
    """area_id of each location row in ``layer`` ("" where it cannot be placed)."""
    area = pd.Series("", index=locations.index, dtype=object)
    has_point = locations["lng"].notna() & locations["lat"].notna() & (locations["adcode"] != "")
    if has_point.any():
        pts = locations[has_point]
        area[has_point] = boundaries.assign_points(pts["lng"].to_numpy(), pts["lat"].to_numpy(), layer)
    whole = set(layer["area_id"])
    district_only = ~has_point & locations["adcode"].isin(whole)
    area[district_only] = locations.loc[district_only, "adcode"]
    return area


def place_index(lng: np.ndarray, lat: np.ndarray, adcode, outside: np.ndarray,
                layer: gpd.GeoDataFrame) -> tuple[list[str], np.ndarray, np.ndarray]:
    """What :func:`place` and :func:`remainder` say of location rows, on codes: (area ids of ``layer``,
    int32 index into them per row, -1 where unplaced; whether the row is in a remainder area).

    ``adcode`` is an array or a categorical column ("" or missing: unresolved).  No area id string is
    made per row: at a million locations pandas' string conversions cost more than the placing.

    >>> from shapely.geometry import box
    >>> layer = gpd.GeoDataFrame({"area_id": ["PD01", "310104"], "adcode": ["310115", "310104"]},
    ...                          geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)])
    >>> ids, index, rest = place_index(np.array([0.5, np.nan, np.nan]), np.array([0.5, np.nan, np.nan]),
    ...                                np.array(["310115", "310115", "310104"], dtype=object), np.zeros(3, bool), layer)
    >>> index.tolist(), rest.tolist()
    ([0, -1, 1], [False, True, False])
    """
    ids = layer["area_id"].astype(str).tolist()
    codes, districts = pd.factorize(adcode)
    named = np.array([isinstance(d, str) and d != "" for d in districts] + [False])
    index = np.full(len(codes), -1, dtype=np.int32)
    has_point = ~(np.isnan(lng) | np.isnan(lat)) & named[codes]
    if has_point.any():
        index[has_point] = boundaries.assign_index(lng[has_point], lat[has_point], layer)
    first = {}
    for i, area in enumerate(ids):
        first.setdefault(area, i)  # the first area of an id, as a lookup by id finds it
    if has_point.any() and len(first) != len(ids):  # repeated ids: a point takes the first area of its id
        index[has_point] = np.array([first[a] for a in ids] + [-1], dtype=np.int32)[index[has_point]]
    # a location known only to its district: on the area that is that district, if the layer has one
    area_of = np.array([first.get(str(d), -1) for d in districts] + [-1], dtype=np.int32)
    index[~has_point] = area_of[codes[~has_point]]
    split = split_districts(layer)
    in_split = np.array([str(d) in split for d in districts] + [False])
    rest = (index < 0) & in_split[codes] & ~np.asarray(outside, dtype=bool)
    return ids, index, rest


def split_districts(layer: gpd.GeoDataFrame) -> set[str]:
    """District adcodes that ``layer`` splits into finer areas: named in its ``adcode``
    column, but not an area of their own (浦东新区 in a 板块 layer)."""
    if "adcode" not in layer.columns:
        return set()
    codes = {str(a) for a in layer["adcode"] if isinstance(a, str) and len(a) == 6 and a.isdigit()}
    return codes - set(layer["area_id"].astype(str))


def remainder(locations: pd.DataFrame, layer: gpd.GeoDataFrame, placed: pd.Series | None = None) -> pd.Series:
    """The remainder area ``"<adcode>:rest"`` of each location row no area of ``layer`` takes
    although its district is one the layer splits (:func:`split_districts`); "" otherwise.

    ``placed`` is :func:`place` of the same rows when already known (saves a second pass).
    """
    out = pd.Series("", index=locations.index, dtype=object)
    split = split_districts(layer)
    if not split:
        return out
    unplaced = (place(locations, layer) if placed is None else placed) == ""
    inside = unplaced & locations["adcode"].isin(split) & ~locations["outside"].astype(bool)
    out[inside] = locations.loc[inside, "adcode"] + REMAINDER_SUFFIX
    return out


def remainder_name(area_id: str) -> str:
    """「浦东新区（板块未明）」 for ``"310115:rest"``."""
    adcode = area_id.removesuffix(REMAINDER_SUFFIX)
    return boundaries.district_names().get(adcode, adcode) + REMAINDER_NAME


def filter_locations(locations: pd.DataFrame, dimension: str, product_line: str | None = None) -> pd.DataFrame:
    """Rows of one dimension, optionally of one intended product line."""
    if dimension not in S.DIMENSIONS:
        raise ValueError(f"'dimension' must be one of {S.DIMENSIONS}, got {dimension!r}")
    out = locations[locations["dimension"] == dimension]
    if product_line:
        out = out[out["product_line"] == product_line]
    return out


def coverage(locations: pd.DataFrame, placed: pd.Series, rest: pd.Series | None = None) -> Coverage:
    """:class:`Coverage` of location rows, given their area (:func:`place`) and remainder
    area (:func:`remainder`; none when omitted)."""
    rest = pd.Series("", index=locations.index) if rest is None else rest
    return coverage_of(given=(locations["method"] != METHOD_EMPTY).to_numpy(),
                       resolved=(locations["adcode"] != "").to_numpy(),
                       outside=locations["outside"].astype(bool).to_numpy(),
                       placed=(placed != "").to_numpy(), rest=(rest != "").to_numpy())


def coverage_of(*, given: np.ndarray, resolved: np.ndarray, outside: np.ndarray, placed: np.ndarray,
                rest: np.ndarray) -> Coverage:
    """:class:`Coverage` from one boolean per location row (the one definition of its figures)."""
    off = ~placed
    return Coverage(
        given=int(given.sum()), resolved=int(resolved.sum()), placed=int(placed.sum()),
        unresolved=int((given & ~resolved & ~outside & off).sum()), outside=int((outside & off).sum()),
        coarse=int((resolved & ~outside & off).sum()), remainder=int((rest & off).sum()),
    )


def coverages(locations: pd.DataFrame, layer: gpd.GeoDataFrame) -> dict[str, Coverage]:
    """:class:`Coverage` of every dimension on ``layer``, over all locations (no filter):
    what :func:`reconcile` sets beside :func:`headline`."""
    out = {}
    for dim in S.DIMENSIONS:
        rows = filter_locations(locations, dim)
        placed = place(rows, layer)
        out[dim] = coverage(rows, placed, remainder(rows, layer, placed))
    return out


def area_counts(locations: pd.DataFrame, layer: gpd.GeoDataFrame, dimension: str,
                product_line: str | None = None, *, with_remainder: bool = False) -> tuple[pd.DataFrame, Coverage]:
    """Visitors, high-intention visitors, deals and conversion per area.

    Returns every area of ``layer`` (zeros included, most visitors first) and the
    coverage figures.  With ``with_remainder`` the remainder areas that hold any
    location follow, one row each (area_id ``"310115:rest"``, area_name
    「浦东新区（板块未明）」, no polygon in ``layer``); column ``remainder`` says which rows they are.
    """
    rows = filter_locations(locations, dimension, product_line)
    placed = place(rows, layer)
    rest = remainder(rows, layer, placed)
    frame = pd.DataFrame({
        "area_id": placed.to_numpy(),
        "rest_id": rest.to_numpy(),
        "visits": 1,
        "high_intention": rows["intention"].isin(S.HIGH_INTENTION).to_numpy().astype(int),
        "deals": rows["deal"].astype(bool).to_numpy().astype(int),
    })
    sums = frame[frame["area_id"] != ""].groupby("area_id")[COUNT_COLUMNS].sum()
    out = layer[["area_id", "area_name", "adcode"]].merge(sums, left_on="area_id", right_index=True, how="left")
    out[COUNT_COLUMNS] = out[COUNT_COLUMNS].fillna(0).astype(int)
    out = out.sort_values(["visits", "area_name"], ascending=[False, True]).assign(remainder=False)
    if with_remainder:
        out = pd.concat([out, _remainder_rows(frame)], ignore_index=True)
    out["conversion"] = np.where(out["visits"] > 0, out["deals"] / out["visits"].where(out["visits"] > 0, 1), 0.0)
    return out.reset_index(drop=True), coverage(rows, placed, rest)


def _remainder_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per remainder area in use, most visitors first."""
    sums = frame[frame["rest_id"] != ""].groupby("rest_id")[COUNT_COLUMNS].sum().astype(int)
    sums = sums.rename_axis("area_id").reset_index().sort_values(["visits", "area_id"], ascending=[False, True])
    return sums.assign(area_name=sums["area_id"].map(remainder_name),
                       adcode=sums["area_id"].str.removesuffix(REMAINDER_SUFFIX), remainder=True)


PUBLIC_COLUMNS = {"area_name": "区域", "visits": "到访", "high_intention": "高意向(A/B)", "deals": "成交",
                  "conversion": "成交率", "note": "备注"}
REMAINDER_NOTE = "只识别到区县、没有更细的位置：计入此行，地图上不画"


def public_counts(counts: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """:func:`area_counts` as shown and exported, with Chinese headers (:data:`PUBLIC_COLUMNS`):
    areas with at least one but fewer than ``min_count`` visitors keep their name, their
    counts and conversion are blank and 备注 says why; remainder rows say what they are.

    Examples
    --------
    >>> t = pd.DataFrame({"area_name": ["金桥", "张江"], "visits": [80, 3], "high_intention": [40, 1],
    ...                   "deals": [9, 1], "conversion": [9 / 80, 1 / 3]})
    >>> public_counts(t, 5)[["区域", "到访", "成交", "备注"]].values.tolist()
    [['金桥', 80.0, 9.0, ''], ['张江', nan, nan, '少于 5 人，不显示人数']]
    """
    k = max(int(min_count), 1)
    hidden = (counts["visits"] > 0) & (counts["visits"] < k)
    out = counts[[c for c in PUBLIC_COLUMNS if c != "note"]].copy()
    for col in (*COUNT_COLUMNS, "conversion"):
        out[col] = out[col].astype(float).where(~hidden)
    rest = counts["remainder"].astype(bool) if "remainder" in counts else pd.Series(False, index=counts.index)
    out["note"] = np.where(hidden, f"少于 {k} 人，不显示人数", np.where(rest, REMAINDER_NOTE, ""))
    return out.rename(columns=PUBLIC_COLUMNS)


RECONCILE_COLUMNS = {"label": "维度", "given": "填写", "resolved": "已识别到区县（首页）",
                     "placed": "落到本图区域", "remainder": "只到区县（板块未明）", "off_layer": "不在本图层范围",
                     "outside": "本市以外", "unresolved": "未识别", "note": "说明"}


def reconcile(headline_figures: dict, coverage_by_dim: dict[str, Coverage]) -> pd.DataFrame:
    """The home page's resolved figures beside what reaches one map unit, per dimension.

    Parameters
    ----------
    headline_figures : dict
        :func:`headline` output (its ``"resolved"`` entry is read).
    coverage_by_dim : dict of str to Coverage
        :func:`coverages` of the same locations on the map unit (or
        :func:`mapping.analysis.facts.coverage` per dimension with no filter).

    Returns
    -------
    pandas.DataFrame
        One row per dimension: ``dimension``, ``label`` and the counts ``given``,
        ``resolved`` (the home page's figure), ``placed``, ``remainder``, ``off_layer``,
        ``outside``, ``unresolved`` (placed + remainder + off_layer + outside +
        unresolved = given), ``resolved_share``, ``placed_share`` and ``note``: in
        Chinese, where the resolved locations went when not all are on an area.
        :data:`RECONCILE_COLUMNS` gives the Chinese headers.

    Raises
    ------
    ValueError
        If a coverage does not count the same locations as ``headline_figures``.

    Examples
    --------
    >>> figures = {"resolved": {"home": {"given": 10, "resolved": 8, "share": 0.8}}}
    >>> cov = {"home": Coverage(given=10, resolved=8, placed=5, unresolved=2, outside=0, coarse=3, remainder=3)}
    >>> t = reconcile(figures, cov)
    >>> t[["given", "resolved", "placed", "remainder", "unresolved"]].values.tolist()
    [[10, 8, 5, 3, 2]]
    >>> t["note"].iloc[0]
    '首页已识别 8 条，其中 3 条只识别到区县、计入「…（板块未明）」行（有数无图）'
    """
    rows = []
    for dim in S.DIMENSIONS:
        if dim not in headline_figures["resolved"] or dim not in coverage_by_dim:
            continue
        home, cov = headline_figures["resolved"][dim], coverage_by_dim[dim]
        _check_same_rows(dim, home, cov)
        rows.append({"dimension": dim, "label": S.DIMENSION_LABELS[dim], "given": cov.given,
                     "resolved": cov.resolved, "placed": cov.placed, "remainder": cov.remainder,
                     "off_layer": cov.off_layer, "outside": cov.outside, "unresolved": cov.unresolved,
                     "resolved_share": cov.resolved_share, "placed_share": cov.placed / cov.given if cov.given else 0.0,
                     "note": _reconcile_note(cov)})
    return pd.DataFrame(rows, columns=["dimension", "label", "given", "resolved", "placed", "remainder", "off_layer",
                                       "outside", "unresolved", "resolved_share", "placed_share", "note"])


def _check_same_rows(dim: str, home: dict, cov: Coverage) -> None:
    if (home["given"], home["resolved"]) != (cov.given, cov.resolved):
        raise ValueError(
            f"coverage of {dim!r} counts other locations than the headline figures: given/resolved "
            f"{cov.given}/{cov.resolved} against {home['given']}/{home['resolved']}; "
            "compute both from the same locations with no filter")


def _reconcile_note(cov: Coverage) -> str:
    """Where the resolved locations that are on no area went, in words."""
    outside_resolved = max(cov.resolved - cov.placed - cov.coarse, 0)
    parts = []
    if cov.remainder:
        parts.append(f"{cov.remainder:,} 条只识别到区县、计入「…（板块未明）」行（有数无图）")
    if cov.off_layer:
        parts.append(f"{cov.off_layer:,} 条所在区县不在本图层范围内")
    if outside_resolved:
        parts.append(f"{outside_resolved:,} 条在本市以外")
    if not parts:
        return "一致：识别到的位置都落到了本图的区域上"
    return f"首页已识别 {cov.resolved:,} 条，其中 " + "；".join(parts)


def headline(visitors: pd.DataFrame, locations: pd.DataFrame) -> dict:
    """Figures for the home page: visitors, deals, conversion, resolved share per dimension."""
    n = len(visitors)
    deals = int(visitors["deal"].astype(bool).sum()) if n else 0
    shares = {}
    for dim in S.DIMENSIONS:
        rows = locations[locations["dimension"] == dim]
        given = int((rows["method"] != METHOD_EMPTY).sum())
        resolved = int((rows["adcode"] != "").sum())
        shares[dim] = {"given": given, "resolved": resolved, "share": resolved / given if given else 0.0}
    return {"visitors": n, "deals": deals, "conversion": deals / n if n else 0.0, "resolved": shares}


def weekly(visitors: pd.DataFrame) -> pd.DataFrame:
    """Visits (by visit date) and deals (by deal date, else visit date) per week."""
    visit_week = pd.to_datetime(visitors["visit_date"]).dt.to_period("W").dt.start_time
    deal_dates = pd.to_datetime(visitors["deal_date"]).fillna(pd.to_datetime(visitors["visit_date"]))
    deal_week = deal_dates[visitors["deal"].astype(bool)].dt.to_period("W").dt.start_time
    out = pd.DataFrame({"到访": visit_week.value_counts(), "成交": deal_week.value_counts()}).fillna(0).astype(int)
    out = out.sort_index().rename_axis("周").reset_index()
    return out


def weekly_from_days(days: pd.DataFrame) -> pd.DataFrame:
    """:func:`weekly` from counts per day (``day``, ``visits``, ``deals``:
    :meth:`mapping.db.store.Store.weekly`): the same table, without the visitor rows."""
    if days.empty:
        return pd.DataFrame({"周": pd.Series([], dtype="datetime64[ns]"), "到访": pd.Series([], dtype=int),
                             "成交": pd.Series([], dtype=int)})
    week = pd.to_datetime(days["day"]).dt.to_period("W").dt.start_time
    sums = pd.DataFrame({"到访": days["visits"].to_numpy(), "成交": days["deals"].to_numpy()},
                        index=week).groupby(level=0).sum()
    kept = (sums["到访"] > 0) | (sums["成交"] > 0)
    return sums[kept].astype(int).sort_index().rename_axis("周").reset_index()


def _plain_text(values: pd.Series) -> np.ndarray:
    """``values`` as an object array of ``str`` ("" for missing), without a round trip through
    pandas' Arrow strings (≈ 0.9 s for the 1.3M groups of 1M visitors): a categorical column (what
    :meth:`~mapping.db.store.Store.location_groups` gives) takes its few categories by code."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        labels = np.array([str(c) for c in values.cat.categories] + [""], dtype=object)
        return labels[values.cat.codes.to_numpy()]  # code -1 (missing) is the last label, ""
    return values.fillna("").astype(str).to_numpy(dtype=object)


def grouped_coverages(groups: pd.DataFrame, layer_key: str, layer: gpd.GeoDataFrame | None) -> dict[str, Coverage]:
    """:class:`Coverage` of every dimension on a map unit from grouped locations
    (:meth:`mapping.db.store.Store.location_groups`: one row per distinct dimension, adcode,
    given, outside, lng, lat with its count ``n``): the figures
    :func:`mapping.analysis.facts.coverage` gives with no filter, each group placed once.
    ``layer`` is None for an H3 key (``h3:<res>``): a location with a point is on a cell."""
    from mapping.geo import hexgrid

    lng = pd.to_numeric(groups["lng"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(groups["lat"], errors="coerce").to_numpy(dtype=float)
    codes, districts = pd.factorize(groups["adcode"])  # a categorical column: by its codes
    resolved = np.array([isinstance(d, str) and d != "" for d in districts] + [False])[codes]
    outside = groups["outside"].fillna(False).astype(bool).to_numpy()
    res = hexgrid.parse_layer_id(layer_key)
    if res is not None:
        placed = hexgrid.cells_for_points(lng, lat, res) != ""
        rest = ~placed & resolved & ~outside
    else:
        if layer is None:
            raise ValueError(f"layer {layer_key!r}: pass the layer")
        _, index, rest = place_index(lng, lat, groups["adcode"], outside, layer)
        placed = index >= 0
    given = groups["given"].fillna(False).astype(bool).to_numpy()
    n = groups["n"].to_numpy(dtype=np.int64)
    dims = _plain_text(groups["dimension"])
    out = {}
    for dim in S.DIMENSIONS:
        sel = dims == dim
        k = n[sel]
        out[dim] = coverage_of(given=np.repeat(given[sel], k), resolved=np.repeat(resolved[sel], k),
                               outside=np.repeat(outside[sel], k), placed=np.repeat(placed[sel], k),
                               rest=np.repeat(rest[sel], k))
    return out
