"""Prospects across projects (跨项目潜客): earlier projects' visitors who did not buy, near a new target.

A developer's group keeps several projects in one database.  For a new project (or a new site
on the map) the visitors of the earlier projects who did **not** buy and whose home, work or
intended area (意向区域) lies in the target's district (or a chosen set of districts) or within
*x* km of its site are the first people to call.  This module finds them and summarises them:

- :class:`Target` — the site (WGS-84) and district to search around: :func:`project_target` for
  one of the user's projects, :func:`site_target` for a point typed or clicked in any of the
  Chinese coordinate systems.
- :func:`source_projects` — the projects searched: those the user may view (the membership rules
  of :mod:`mapping.access`; ``None`` = all, 管理员), never the target project itself.
- :func:`find` — one row per matching visitor (:data:`RESULT_COLUMNS`): which dimensions matched,
  the district and the distance.  The database filters by district code and a box around the
  site (:class:`mapping.db.prospects.Prospects`); the exact great-circle distance is numpy's.
  Intended-area texts are resolved once per distinct text and city by the same resolver and
  cache the imports use (:func:`place_resolver`).
- :func:`by_project`, :func:`by_match`, :func:`by_distance`, :func:`by_segment` — summary counts;
  every count below *k* (the target project's ``min_count``) is withheld (NaN) with a note.
- :func:`customer_table`, :func:`export_csv`, :func:`export_workbook` — the list a CRM acts on:
  customer keys only (project, 客户编号, a short visitor-key prefix), never a phone number, a
  name (not even masked) or an ID number; text written through the formula-safe writers.

Examples
--------
>>> t = site_target(121.6000, 31.2000, "WGS84")
>>> t.adcode, t.city, t.district
('310115', '310000', '浦东新区')
>>> site_target(31.2, 121.6, "WGS84")
Traceback (most recent call last):
...
ValueError: 经纬度（31.2, 121.6）看起来填反了：经度在前（中国约 73–135），纬度在后（约 18–54）。
>>> distance_band(2.4), distance_band(float("nan"))
('1–3 公里', '无坐标（按区县匹配）')
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mapping import schema as S
from mapping.export.safe import safe_csv
from mapping.export.workbook import plan_workbook
from mapping.geo import boundaries
from mapping.geo.coords import haversine_m, looks_swapped, to_wgs84
from mapping.place import gazetteer as G
from mapping.segments import bands
from mapping.segments.axis import hometown_names

__all__ = ["DIMENSION_LABELS", "DISTANCE_BANDS", "INTENDED", "MATCH_ORDER", "RESULT_COLUMNS", "SEGMENT_LABELS",
           "Criteria", "Target", "by_distance", "by_match", "by_project", "by_segment", "customer_table",
           "distance_band", "key_prefix", "export_csv", "export_workbook", "find", "place_resolver", "project_target",
           "site_target", "source_projects"]

INTENDED = "intended"  # the third way to match: the visitor's 意向区域 text, resolved
MATCH_ORDER = (S.HOME, S.WORK, INTENDED)
DIMENSION_LABELS = {S.HOME: "居住", S.WORK: "工作", INTENDED: "意向区域"}
KEY_PREFIX = 8  # characters of visitor_key shown: enough for a CRM to match, not the whole key
DEFAULT_RADIUS_KM = 5.0
MAX_RADIUS_KM = 100.0
KM_PER_DEGREE_LAT = 110.574  # the shortest a degree of latitude gets: the box always holds the circle
DISTANCE_BANDS = ((1.0, "0–1 公里"), (3.0, "1–3 公里"), (5.0, "3–5 公里"), (10.0, "5–10 公里"),
                  (math.inf, "10 公里以上"))
NO_DISTANCE = "无坐标（按区县匹配）"
# the segments a summary can be split by (visitor columns), in menu order
SEGMENT_LABELS = {S.PRODUCT_LINE: "意向业态", S.INTENTION: "意向等级", S.AGE_BAND: "年龄段", S.INDUSTRY: "行业",
                  S.INCOME_BAND: "收入", S.FAMILY: "家庭结构", S.PURPOSE: "置业目的", S.CHANNEL: "到访渠道",
                  "area_band": "面积段", "price_band": "总价段", "hometown_province": "籍贯（省）"}
# the segments read from a stored column through bands or the code table (the default bands: the source projects'
# own may differ, and a group's list is read across them)
_BANDED = {"area_band": (S.AREA_WANT, bands.AREA_BANDS), "price_band": (S.PRICE_WANT, bands.PRICE_BANDS)}
UNFILLED = "未填"
UNREAD_INTENDED = "intended_unread"  # attrs key of find's result: non-buyers whose 意向区域 could not be placed
RESULT_COLUMNS = ["visitor_id", "project_id", "visitor_code", "visitor_key", "visit_date", "product_line",
                  "intention", "channel", "age_band", "industry", "income_band", "family", "purpose", "stage",
                  S.AREA_WANT, S.PRICE_WANT, S.HOMETOWN, "matched", "matched_by", "adcode", "district", "distance_km"]
CUSTOMER_COLUMNS = ["来源项目", "客户编号", "客户键", "匹配依据", "区县", "距离（公里）", "意向等级", "意向业态",
                    "最近到访日期"]
COUNT = "潜客数"
NOTE = "备注"


# ----------------------------------------------------------------------------- the target
@dataclass(frozen=True)
class Target:
    """What to search around: a site (WGS-84, may be unknown for a project without one), its district and city.

    ``project_id`` is the target project's id (its visitors are not searched), None for a new site;
    ``min_count`` is the *k* of the summaries.
    """

    name: str
    city: str
    lng: float | None = None
    lat: float | None = None
    adcode: str = ""
    project_id: int | None = None
    min_count: int = 5

    @property
    def site(self) -> tuple[float, float] | None:
        return None if self.lng is None or self.lat is None else (self.lng, self.lat)

    @property
    def district(self) -> str:
        return G.admin_names().get(self.adcode, self.adcode)


def _number(value, label: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{label}「{value}」不是数字，请填写十进制度数，例如 121.6。") from None
    if not math.isfinite(number):
        raise ValueError(f"{label}「{value}」不是有效的数字，请填写十进制度数，例如 121.6。")
    return number


def site_target(lng, lat, crs: str = S.WGS84, *, name: str = "新地块", min_count: int = 5) -> Target:
    """A new site from coordinates in ``crs`` (WGS84, GCJ02 or BD09), converted to WGS-84, with its district.

    Raises
    ------
    ValueError
        In Chinese: not numbers, swapped, outside China's districts, or an unknown ``crs``.
    """
    x, y = _number(lng, "经度"), _number(lat, "纬度")
    if bool(looks_swapped(x, y)):
        raise ValueError(f"经纬度（{x:g}, {y:g}）看起来填反了：经度在前（中国约 73–135），纬度在后（约 18–54）。")
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        raise ValueError(f"经纬度（{x:g}, {y:g}）超出范围：经度应在 -180–180，纬度应在 -90–90。")
    if crs not in S.CRS_NAMES:
        raise ValueError(f"坐标系应为 {'、'.join(S.CRS_NAMES)} 之一，收到「{crs}」。")
    xs, ys = to_wgs84(np.array([x]), np.array([y]), crs)
    w_lng, w_lat = float(xs[0]), float(ys[0])
    adcode = str(boundaries.locate([w_lng], [w_lat])[0])
    if not adcode:
        raise ValueError(f"位置（经度 {x:g}，纬度 {y:g}）不在中国的区县范围内：请检查坐标和坐标系，或在地图上点选。")
    city = boundaries.city_of(adcode) or adcode[:4] + "00"
    return Target(name=name, city=city, lng=w_lng, lat=w_lat, adcode=adcode, min_count=int(min_count))


def project_target(project) -> Target:
    """One of the user's projects as the target: its site (if set) and that site's district."""
    adcode = ""
    if project.site is not None:
        adcode = str(boundaries.locate([project.site[0]], [project.site[1]])[0])
    return Target(name=project.name, city=project.city_adcode, lng=project.site_lng, lat=project.site_lat,
                  adcode=adcode, project_id=int(project.id), min_count=int(project.min_count))


def source_projects(projects: pd.DataFrame, visible: set[int] | None, target: Target) -> pd.DataFrame:
    """The projects to search: those in ``visible`` (None: every project, 管理员), archived ones included
    (earlier projects are often archived), the target project left out.

    >>> table = pd.DataFrame({"id": [1, 2, 3], "name": ["甲", "乙", "丙"], "city_adcode": ["310000"] * 3})
    >>> source_projects(table, {1, 3}, Target("甲", "310000", project_id=1))["name"].tolist()
    ['丙']
    """
    out = projects
    if visible is not None:
        out = out[out["id"].astype(int).isin({int(v) for v in visible})]
    if target.project_id is not None:
        out = out[out["id"].astype(int) != int(target.project_id)]
    return out.reset_index(drop=True)


# ----------------------------------------------------------------------------- criteria
@dataclass(frozen=True)
class Criteria:
    """How a location matches: its district is one of ``districts``, or it lies within ``radius_km`` of
    the site (0: distance not used).  ``dimensions`` are the ways a visitor may match, of :data:`MATCH_ORDER`."""

    districts: tuple[str, ...] = ()
    radius_km: float = DEFAULT_RADIUS_KM
    dimensions: tuple[str, ...] = field(default=MATCH_ORDER)

    def checked(self, target: Target) -> "Criteria":
        """These criteria cleaned for ``target``; ValueError (Chinese) when nothing could match."""
        radius = _number(self.radius_km, "距离")
        if radius < 0 or radius > MAX_RADIUS_KM:
            raise ValueError(f"距离应在 0–{MAX_RADIUS_KM:g} 公里之间，收到 {radius:g}。")
        unknown = [d for d in self.dimensions if d not in MATCH_ORDER]
        if unknown:
            raise ValueError(f"匹配依据应为 {'、'.join(DIMENSION_LABELS.values())}，收到「{'、'.join(map(str, unknown))}」。")
        if not self.dimensions:
            raise ValueError("请至少选一种匹配依据（居住、工作或意向区域）。")
        districts = tuple(dict.fromkeys(str(d) for d in self.districts if str(d)))
        if target.site is None:
            radius = 0.0
        if not districts and radius <= 0:
            raise ValueError("请选择至少一个区县，或给出目标位置和距离（公里）：没有区县也没有距离，无法匹配客户。")
        return Criteria(districts=districts, radius_km=radius, dimensions=tuple(d for d in MATCH_ORDER
                                                                                if d in self.dimensions))

    def describe(self, target: Target) -> str:
        """「浦东新区、徐汇区，或目标 5 公里内 · 居住、工作、意向区域」."""
        names = G.admin_names()
        parts = ["、".join(names.get(d, d) for d in self.districts)] if self.districts else []
        if self.radius_km > 0 and target.site is not None:
            parts.append(f"目标 {self.radius_km:g} 公里内")
        return "，或".join(parts) + " · " + "、".join(DIMENSION_LABELS[d] for d in self.dimensions)


def search_box(site: tuple[float, float], radius_km: float) -> tuple[float, float, float, float]:
    """(min_lng, min_lat, max_lng, max_lat) holding every point within ``radius_km`` of ``site``.

    >>> [round(v, 3) for v in search_box((121.6, 31.2), 11.0574)]
    [121.483, 31.1, 121.717, 31.3]
    """
    lng, lat = site
    d_lat = radius_km / KM_PER_DEGREE_LAT
    top = min(89.0, abs(lat) + d_lat)
    d_lng = min(180.0, radius_km / (KM_PER_DEGREE_LAT * math.cos(math.radians(top))))
    return lng - d_lng, lat - d_lat, lng + d_lng, lat + d_lat


# ----------------------------------------------------------------------------- resolving intended areas
Resolver = Callable[[list[str], str], pd.DataFrame]


def place_resolver(store) -> Resolver:
    """``resolve(texts, city)`` with the resolver, aliases and database cache the imports use
    (:class:`mapping.importer.PlaceCache`, per gazetteer version): each distinct text once."""
    from mapping.importer import PlaceCache
    from mapping.place.resolve import resolve_texts

    cache = PlaceCache(store)
    aliases: dict[str, dict] = {}

    def resolve(texts: list[str], city: str) -> pd.DataFrame:
        if city not in aliases:
            aliases[city] = store.aliases(city)
        return resolve_texts(texts, city, aliases=aliases[city], cache=cache)

    return resolve


def _resolved_intended(texts: pd.DataFrame, cities: dict[int, str], resolve: Resolver,
                       fallback: str = "") -> pd.DataFrame:
    """``texts`` (project_id, text, visitors) with adcode, lng, lat, level: resolved in each project's city,
    and a text that city cannot place (「张江」 in a 成都 project) once more in ``fallback`` (the target's city)."""
    columns = ["project_id", "text", "visitors", "adcode", "lng", "lat", "level", "candidates"]
    parts = []
    frame = texts.assign(city=texts["project_id"].map(cities).fillna(""))
    for city, group in frame.groupby("city", sort=True):
        lookup = _lookup(group["text"].drop_duplicates().tolist(), city, resolve) if city else None
        if lookup is None:
            continue
        missing = lookup["adcode"] == ""
        if fallback and fallback != city and missing.any():
            again = _lookup(lookup.loc[missing, "text"].tolist(), fallback, resolve)
            lookup = pd.concat([lookup[~missing], again], ignore_index=True)
        parts.append(group.merge(lookup, on="text", how="left"))
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


def _lookup(unique: list[str], city: str, resolve: Resolver) -> pd.DataFrame:
    found = resolve(unique, city).reset_index(drop=True)
    return pd.DataFrame({"text": unique, "adcode": found["adcode"].fillna("").astype(str).to_numpy(),
                         "lng": pd.to_numeric(found["lng"]).to_numpy(dtype=float),
                         "lat": pd.to_numeric(found["lat"]).to_numpy(dtype=float),
                         "level": found["level"].astype(str).to_numpy(),
                         "candidates": found["candidates"].fillna("").astype(str).to_numpy()})


# ----------------------------------------------------------------------------- finding
def _distance_km(target: Target, lng: np.ndarray, lat: np.ndarray) -> np.ndarray:
    if target.site is None or not len(lng):
        return np.full(len(lng), np.nan)
    return haversine_m(lng, lat, np.full(len(lng), target.lng), np.full(len(lat), target.lat)) / 1000.0


def _matches(frame: pd.DataFrame, target: Target, criteria: Criteria) -> pd.DataFrame:
    """The rows of ``frame`` (adcode, lng, lat per location) that match, with ``distance_km``."""
    distance = _distance_km(target, frame["lng"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float))
    in_district = frame["adcode"].astype(str).isin(criteria.districts).to_numpy()
    near = (distance <= criteria.radius_km) if criteria.radius_km > 0 else np.zeros(len(frame), dtype=bool)
    keep = in_district | (near & ~np.isnan(distance))
    return frame.assign(distance_km=distance)[keep]


def find(queries, target: Target, criteria: Criteria, sources: pd.DataFrame, resolve: Resolver) -> pd.DataFrame:
    """The non-buyers of ``sources`` whose home, work or intended area matches ``criteria`` around ``target``.

    Parameters
    ----------
    queries : mapping.db.prospects.Prospects
        The database queries (``located``, ``intended_texts``, ``intended``).
    target : Target
    criteria : Criteria
        Checked with :meth:`Criteria.checked` first (ValueError in Chinese when nothing could match).
    sources : pandas.DataFrame
        :func:`source_projects` (columns ``id``, ``city_adcode``).
    resolve : callable
        ``resolve(texts, city)`` → the resolver's result columns (``adcode``, ``lng``, ``lat``, ``level``)
        per text, e.g. :func:`place_resolver`.

    Returns
    -------
    pandas.DataFrame
        One row per visitor (:data:`RESULT_COLUMNS`), nearest first (no distance last): ``matched``
        the matching dimensions as "home|work|intended" (in :data:`MATCH_ORDER`), ``matched_by``
        their Chinese labels, ``adcode``/``district`` of the first matching one, ``distance_km``
        the shortest distance of a matching location with coordinates (NaN: none).
        ``attrs["intended_unread"]``: how many non-buyers gave a 意向区域 that no resolver could
        place (「不详」, 「看房中」): counted, not matched.  An intended area spanning several
        districts (the resolver's candidates, 「天府新区」) matches a chosen district among them.
    """
    criteria = criteria.checked(target)
    ids = [int(i) for i in sources["id"]]
    box = search_box(target.site, criteria.radius_km) if criteria.radius_km > 0 else None
    parts, unread = [], 0
    located_dims = [d for d in criteria.dimensions if d != INTENDED]
    if ids and located_dims:
        located = queries.located(ids, criteria.districts, box, dimensions=located_dims)
        parts.append(_matches(located, target, criteria))
    if ids and INTENDED in criteria.dimensions:
        intended, unread = _intended_matches(queries, target, criteria, sources, resolve)
        parts.append(intended)
    parts = [p for p in parts if len(p)]
    if parts:
        out = _per_visitor(pd.concat(parts, ignore_index=True))
    else:
        out = pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in RESULT_COLUMNS})
    out.attrs[UNREAD_INTENDED] = unread
    return out


def _intended_matches(queries, target: Target, criteria: Criteria, sources: pd.DataFrame,
                      resolve: Resolver) -> tuple[pd.DataFrame, int]:
    """(matching rows, how many non-buyers' 意向区域 no resolver could place)."""
    ids = [int(i) for i in sources["id"]]
    texts = queries.intended_texts(ids)
    if texts.empty:
        return texts.iloc[0:0], 0
    cities = dict(zip(sources["id"].astype(int), sources["city_adcode"].astype(str)))
    resolved = _resolved_intended(texts, cities, resolve, fallback=target.city)
    placed = resolved["adcode"].fillna("") != ""
    unread = int(resolved.loc[~placed & (resolved["candidates"].fillna("") == ""), "visitors"].sum())
    places = pd.concat([_matches(resolved[placed], target, criteria),
                        _spanning(resolved[~placed], criteria)], ignore_index=True)
    if places.empty:
        return places.iloc[0:0], unread
    wanted = {int(p): g["text"].tolist() for p, g in places.groupby("project_id")}
    visitors = queries.intended(wanted)
    where = places[["project_id", "text", "adcode", "lng", "lat", "level", "distance_km"]]
    out = visitors.merge(where, left_on=["project_id", "intended_text"], right_on=["project_id", "text"], how="inner")
    return out.drop(columns=["text"]).assign(dimension=INTENDED), unread


def _spanning(resolved: pd.DataFrame, criteria: Criteria) -> pd.DataFrame:
    """Intended areas that span several districts (「天府新区」: the resolver's candidates) match a chosen
    district among them; no point, so no distance.

    >>> rows = pd.DataFrame({"text": ["天府新区", "不详"], "adcode": ["", ""], "candidates": ["510116|510107", ""]})
    >>> _spanning(rows, Criteria(districts=("510107",)))[["text", "adcode"]].values.tolist()
    [['天府新区', '510107']]
    """
    if not criteria.districts or resolved.empty:
        return resolved.iloc[0:0].assign(distance_km=pd.Series(dtype=float))
    chosen = set(criteria.districts)
    pick = resolved["candidates"].fillna("").map(lambda c: next((d for d in c.split("|") if d in chosen), ""))
    hit = (pick != "").to_numpy()
    return resolved[hit].assign(adcode=pick[hit].to_numpy(), lng=np.nan, lat=np.nan, distance_km=np.nan)


def _dtype(column: str):
    return {"visitor_id": "int64", "project_id": "int64", "distance_km": float}.get(column, object)


def _per_visitor(long: pd.DataFrame) -> pd.DataFrame:
    """One row per visitor from one row per matching location (vectorised: a visitor's dimensions as bits)."""
    order = long["dimension"].map({d: i for i, d in enumerate(MATCH_ORDER)}).to_numpy(dtype="int64")
    long = long.assign(_order=order, _bit=np.left_shift(1, order)).sort_values(["visitor_id", "_order"],
                                                                                 kind="stable")
    grouped = long.groupby("visitor_id", sort=False)
    bits = grouped["_bit"].sum()
    distance = grouped["distance_km"].min()
    out = long.drop_duplicates("visitor_id").set_index("visitor_id")
    out = out.drop(columns=["dimension", "lng", "lat", "level", "_order", "_bit", "distance_km", "intended_text"],
                   errors="ignore")
    combos = {b: [d for i, d in enumerate(MATCH_ORDER) if b >> i & 1] for b in range(1, 2 ** len(MATCH_ORDER))}
    out["matched"] = bits.map({b: "|".join(d) for b, d in combos.items()})
    out["matched_by"] = bits.map({b: "、".join(DIMENSION_LABELS[x] for x in d) for b, d in combos.items()})
    names = G.admin_names()
    codes = out["adcode"].astype(str)
    out["district"] = codes.map({c: names.get(c, c) for c in codes.unique()})
    out["distance_km"] = distance
    out = out.reset_index()[RESULT_COLUMNS]
    return out.sort_values(["distance_km", "project_id", "visitor_code", "visitor_id"], na_position="last",
                           kind="stable", ignore_index=True)


# ----------------------------------------------------------------------------- summaries (k rule)
def _withheld(counts: pd.Series, k: int) -> tuple[pd.Series, pd.Series]:
    """Counts with those below ``k`` as NaN, and the note of each withheld one."""
    counts = counts.astype("int64")
    low = (counts > 0) & (counts < k)
    shown = counts.astype(float).where(~low)
    note = pd.Series(np.where(low, f"少于 {k} 人，不显示", ""), index=counts.index, dtype=object)
    return shown, note


def by_project(found: pd.DataFrame, sources: pd.DataFrame, k: int, searched: pd.DataFrame | None = None
               ) -> pd.DataFrame:
    """Per source project: 潜客数 and how many matched by 居住/工作/意向区域 (a visitor may match by several),
    with ``searched`` (:meth:`Prospects.counts`) its 未成交客户; every count below ``k`` withheld.

    >>> found = pd.DataFrame({"project_id": [1, 1, 1, 2], "matched": ["home", "home|work", "intended", "home"]})
    >>> table = by_project(found, pd.DataFrame({"id": [1, 2], "name": ["甲", "乙"]}), k=2)
    >>> table.values.tolist()
    [['甲', 3.0, 2.0, nan, nan, '少于 2 人的数不显示'], ['乙', nan, nan, 0.0, 0.0, '少于 2 人的数不显示']]
    """
    names = dict(zip(sources["id"].astype(int), sources["name"].astype(str)))
    rows = []
    for pid in names:
        mine = found[found["project_id"].astype(int) == pid]
        row = {"来源项目": names[pid]}
        if searched is not None:
            hit = searched[searched["project_id"].astype(int) == pid]["not_bought"]
            row["未成交客户"] = int(hit.iloc[0]) if len(hit) else 0
        row[COUNT] = len(mine)
        for dim in MATCH_ORDER:
            row[f"{DIMENSION_LABELS[dim]}匹配"] = int(mine["matched"].str.split("|").map(lambda m: dim in m).sum())
        rows.append(row)
    table = pd.DataFrame(rows, columns=["来源项目", *(["未成交客户"] if searched is not None else []), COUNT,
                                        *(f"{DIMENSION_LABELS[d]}匹配" for d in MATCH_ORDER)])
    any_low = np.zeros(len(table), dtype=bool)
    for col in table.columns[1:]:
        table[col], note = _withheld(table[col], k)
        any_low |= (note != "").to_numpy()
    table[NOTE] = np.where(any_low, f"少于 {k} 人的数不显示", "")
    return table


def _counted(values: pd.Series, label: str, k: int, order: Iterable[str] | None = None) -> pd.DataFrame:
    counts = values.value_counts(sort=False)
    if order is not None:
        counts = counts.reindex([o for o in order if o in counts.index])
    else:
        counts = counts.sort_values(ascending=False, kind="stable")
    shown, note = _withheld(counts, k)
    total = int(counts.sum())
    share = (counts / total).where(shown.notna()) if total else counts.astype(float)
    return pd.DataFrame({label: counts.index.astype(str), COUNT: shown.to_numpy(), "占比": share.to_numpy(),
                         NOTE: note.to_numpy()})


def by_match(found: pd.DataFrame, k: int) -> pd.DataFrame:
    """How many visitors matched by each combination of dimensions (居住 / 居住、工作 / 意向区域 …); below ``k`` withheld."""
    labels = ["、".join(DIMENSION_LABELS[d] for d in combo)
              for n in range(1, len(MATCH_ORDER) + 1) for combo in _combinations(MATCH_ORDER, n)]
    return _counted(found["matched_by"], "匹配依据", k, order=labels)


def _combinations(items: tuple, n: int) -> list[tuple]:
    from itertools import combinations

    return list(combinations(items, n))


def distance_band(km: float) -> str:
    """The band a distance (km) falls in; NaN (no coordinates: matched by district) has its own."""
    if km is None or (isinstance(km, float) and math.isnan(km)):
        return NO_DISTANCE
    for limit, label in DISTANCE_BANDS:
        if km <= limit:
            return label
    return DISTANCE_BANDS[-1][1]


def by_distance(found: pd.DataFrame, k: int) -> pd.DataFrame:
    """Visitors per distance band (nearest matching location); below ``k`` withheld."""
    bands = found["distance_km"].astype(float).map(distance_band)
    return _counted(bands, "距离", k, order=[label for _, label in DISTANCE_BANDS] + [NO_DISTANCE])


def by_segment(found: pd.DataFrame, key: str, sources: pd.DataFrame, k: int) -> pd.DataFrame:
    """Visitors per value of a segment (:data:`SEGMENT_LABELS`) and source project, with 合计; each cell
    below ``k`` withheld (NaN).  Empty values are 「未填」, last."""
    if key not in SEGMENT_LABELS:
        raise ValueError(f"细分维度应为 {'、'.join(SEGMENT_LABELS)} 之一，收到「{key}」。")
    label = SEGMENT_LABELS[key]
    values, rank = _segment_values(found, key)
    names = dict(zip(sources["id"].astype(int), sources["name"].astype(str)))
    project = found["project_id"].astype(int).map(names).fillna("")
    table = pd.crosstab(values, project) if len(found) else pd.DataFrame(index=pd.Index([], name=key))
    table = table.reindex(columns=[n for n in names.values() if n in table.columns])
    table["合计"] = table.sum(axis=1)
    order = sorted(table.index, key=lambda v: (v in (UNFILLED, bands.UNREAD), rank.get(v, 0),
                                               -int(table.loc[v, "合计"]), v))
    table = table.loc[order]
    out = pd.DataFrame({label: table.index.astype(str)})
    any_low = np.zeros(len(table), dtype=bool)
    for col in table.columns:
        shown, note = _withheld(table[col], k)
        out[col] = shown.to_numpy()
        any_low |= (note != "").to_numpy()
    out[NOTE] = np.where(any_low, f"少于 {k} 人的数不显示", "")
    return out


def _segment_values(found: pd.DataFrame, key: str) -> tuple[pd.Series, dict[str, int]]:
    """(the value of segment ``key`` per prospect, the rank of values listed in their own order: bands by size,
    others by count).  面积段/总价段 are the default bands of the stored wishes (unread and empty:
    「未填/无法识别」), 籍贯（省） the province of the stored hometown code.

    >>> rows = pd.DataFrame({"area_want": ["130", "", "80平"], "hometown": ["320500", "", "310000"]})
    >>> _segment_values(rows, "area_band")[0].tolist()
    ['120–144㎡', '未填/无法识别', '90㎡以下']
    >>> _segment_values(rows, "hometown_province")[0].tolist()
    ['江苏省', '未填', '上海市']
    """
    if key in _BANDED:
        column, scheme = _BANDED[key]
        values = bands.assign(found[column].fillna("").astype(str), scheme).astype(str)
        return pd.Series(values.to_numpy(), index=found.index), {v: i for i, v in enumerate(scheme.categories)}
    if key == "hometown_province":
        codes = found[S.HOMETOWN].fillna("").astype(str)
        names = hometown_names(codes.unique())
        province = dict(zip(codes.unique(), names["province"]))
        return codes.map(province).replace("", UNFILLED), {}
    return found[key].fillna("").astype(str).str.strip().replace("", UNFILLED), {}


# ----------------------------------------------------------------------------- the list and its exports
def key_prefix(key: str) -> str:
    """The short form of a stored visitor key the list shows: its kind and the first :data:`KEY_PREFIX`
    characters of its keyed digest (``ph:`` phone, ``row:`` row); "" for a key that is the 客户编号
    itself (``id:``), already in its own column.

    >>> key_prefix("ph:3f9a1c07e2b84d55aa"), key_prefix("row:0123456789abcdef"), key_prefix("id:JQW-000271")
    ('ph:3f9a1c07', 'row:01234567', '')
    """
    kind, _, digest = str(key).partition(":")
    if not digest:
        return str(key)[:KEY_PREFIX]
    return "" if kind == "id" else f"{kind}:{digest[:KEY_PREFIX]}"


def customer_table(found: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """The list a CRM acts on (:data:`CUSTOMER_COLUMNS`): customer keys only, never personal data."""
    names = dict(zip(sources["id"].astype(int), sources["name"].astype(str)))
    dates = pd.to_datetime(found["visit_date"], errors="coerce")
    return pd.DataFrame({
        "来源项目": found["project_id"].astype(int).map(names).fillna("").to_numpy(),
        "客户编号": found["visitor_code"].fillna("").astype(str).to_numpy(),
        "客户键": found["visitor_key"].fillna("").astype(str).map(key_prefix).to_numpy(),
        "匹配依据": found["matched_by"].astype(str).to_numpy(),
        "区县": found["district"].astype(str).to_numpy(),
        "距离（公里）": found["distance_km"].astype(float).round(2).to_numpy(),
        "意向等级": found["intention"].fillna("").astype(str).to_numpy(),
        "意向业态": found["product_line"].fillna("").astype(str).to_numpy(),
        "最近到访日期": dates.dt.strftime("%Y-%m-%d").fillna("").to_numpy(),
    }, columns=CUSTOMER_COLUMNS)


def export_csv(found: pd.DataFrame, sources: pd.DataFrame) -> bytes:
    """:func:`customer_table` as CSV (UTF-8 with BOM, formulas neutralised)."""
    return safe_csv(customer_table(found, sources))


def info(target: Target, criteria: Criteria, sources: pd.DataFrame, found: pd.DataFrame, k: int,
         generated: dt.datetime | None = None) -> dict[str, str]:
    """The 说明 rows of an export: target, criteria, searched projects, k, time."""
    where = (f"经度 {target.lng:.6f}，纬度 {target.lat:.6f}（WGS-84）" if target.site is not None else "未设置")
    return {"目标": target.name, "目标位置": where, "目标所在区县": target.district or "未知",
            "匹配条件": criteria.describe(target), "来源项目": "、".join(sources["name"].astype(str)) or "无",
            "潜客数": f"{len(found):,}", "最少样本数": str(k),
            "生成时间": (generated or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")}


def export_workbook(found: pd.DataFrame, target: Target, criteria: Criteria, sources: pd.DataFrame, k: int,
                    segment: str = S.PRODUCT_LINE, searched: pd.DataFrame | None = None,
                    generated: dt.datetime | None = None) -> bytes:
    """The 跨项目潜客 workbook: 说明, 潜客名单 (:func:`customer_table`), and the summaries (k rule applied)."""
    sheets = {"潜客名单": customer_table(found, sources), "按来源项目": by_project(found, sources, k, searched),
              "按匹配依据": by_match(found, k), "按距离": by_distance(found, k),
              f"按{SEGMENT_LABELS[segment]}": by_segment(found, segment, sources, k)}
    notes = ["名单只有客户编号和客户键，不含手机、姓名和证件号；请在 CRM 里按客户编号找到客户。"
             "客户键只给没有客户编号的客户（加密摘要的前 8 位，不能还原出手机号）。",
             f"汇总表中少于 {k} 人的数不显示（保护个人信息）。",
             "只列未成交的客户（退房不算成交）。距离是客户的居住/工作/意向区域位置中离目标最近的一个。"]
    return plan_workbook(sheets, info(target, criteria, sources, found, k, generated), title="跨项目潜客",
                         notes=notes)
