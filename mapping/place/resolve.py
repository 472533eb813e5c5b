"""Resolution of visitor locations onto the county-level districts of China.

Coordinates are converted to WGS-84 and located in the national county polygons
(:func:`mapping.geo.boundaries.locate`); text goes through the text chain of
:mod:`mapping.place.textmatch` (districts, towns, landmarks, aliases…) and, when
configured, an online geocoder.  What neither places is returned as *unresolved*
(level ``none``) so pages can count and show it.

Both public functions return one row per input, in input order, with the columns
in :data:`RESULT_COLUMNS`.
"""

from __future__ import annotations

import gc
import logging
from contextlib import contextmanager
from operator import attrgetter

import numpy as np
import pandas as pd

from mapping import schema as S
from mapping.geo import boundaries
from mapping.geo.coords import to_wgs84
from mapping.place import gazetteer as G
from mapping.place import geocode as GC
from mapping.place import textmatch as T
from mapping.place.placetext import normalise
from mapping.place.textmatch import resolve_one

log = logging.getLogger(__name__)

RESULT_COLUMNS = ["adcode", "district", "town_code", "lng", "lat", "level", "method", "confidence", "candidates",
                  "outside"]

METHOD_POINT = "point"
METHOD_POINT_OUTSIDE = "point_outside"
METHOD_DISTRICT_NAME = T.M_DISTRICT
METHOD_UNRESOLVED = T.M_UNRESOLVED
METHOD_EMPTY = "empty"
METHOD_LABELS = {
    METHOD_POINT: "坐标落区",
    METHOD_POINT_OUTSIDE: "坐标在本市以外",
    METHOD_DISTRICT_NAME: "区县名",
    T.M_HISTORIC: "旧区县名",
    T.M_TOWN: "街镇名",
    T.M_LANDMARK: "商圈/地标",
    T.M_ALIAS: "人工指定",
    T.M_TYPO: "错别字纠正",
    T.M_PINYIN: "同音纠正",
    T.M_FUZZY: "模糊匹配",
    T.M_CITY: "只到城市",
    T.M_PROVINCE: "只到省份",
    T.M_AMBIGUOUS: "有歧义（多个区）",
    T.M_CONFLICT: "区名与地点矛盾",
    T.M_JUNK: "无效内容",
    METHOD_UNRESOLVED: "未能识别",
    METHOD_EMPTY: "未填写",
    GC.method_of("amap"): "高德地理编码",
    GC.method_of("baidu"): "百度地理编码",
}
CONF_POINT = 1.0  # a coordinate inside a district (of any city): no text to interpret, the polygon decides
GEOCODER_ERROR = "geocoder_error"  # key of DataFrame.attrs when online geocoding failed
# Strings a person should look at on the review page.
REVIEW_METHODS = (METHOD_UNRESOLVED, T.M_AMBIGUOUS, T.M_CONFLICT, T.M_FUZZY)


def _empty_result(n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "adcode": [""] * n, "district": [""] * n, "town_code": [""] * n,
        "lng": np.full(n, np.nan), "lat": np.full(n, np.nan),
        "level": [S.LEVEL_NONE] * n, "method": [METHOD_UNRESOLVED] * n,
        "confidence": np.zeros(n), "candidates": [""] * n, "outside": np.zeros(n, dtype=bool),
    })


def resolve_points(lng, lat, crs="WGS84", city: str | None = None) -> pd.DataFrame:
    """Resolve coordinates (one CRS name, or one per point) onto the county-level districts of China.

    With ``city`` (a project's 6-digit city code), a point in another city keeps its
    district but is ``outside`` (method ``point_outside``), as a place named in text
    is; without one, only a point outside China is outside.  A point outside China
    has no district.

    Examples
    --------
    >>> resolve_points([121.4953], [31.2418], "WGS84")["adcode"].tolist()
    ['310115']
    >>> resolve_points([104.0813, 120.9581], [30.6556, 31.3850], city="310000")[["adcode", "outside"]].values.tolist()
    [['510104', True], ['320583', True]]
    """
    lng = np.asarray(lng, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    n = len(lng)
    valid = ~(np.isnan(lng) | np.isnan(lat))
    adcode = np.full(n, "", dtype=object)
    w_lng, w_lat = np.full(n, np.nan), np.full(n, np.nan)
    if valid.any():
        point_crs = crs if isinstance(crs, str) else np.asarray(crs, dtype=object)[valid]
        w_lng[valid], w_lat[valid] = to_wgs84(lng[valid], lat[valid], point_crs)
        adcode[valid] = boundaries.locate(w_lng[valid], w_lat[valid])
    codes = pd.Series(adcode, dtype=object)
    found = (codes != "").to_numpy()
    inside = found & codes.str.startswith(G.city_prefix(city)).to_numpy() if city else found
    return pd.DataFrame({
        "adcode": adcode,
        "district": codes.map(G.admin_names()).fillna("").to_numpy(),
        "town_code": np.full(n, "", dtype=object),
        "lng": w_lng, "lat": w_lat,
        "level": np.where(found, S.LEVEL_POI, S.LEVEL_NONE).astype(object),
        "method": np.where(inside, METHOD_POINT, np.where(valid, METHOD_POINT_OUTSIDE, METHOD_EMPTY)).astype(object),
        "confidence": np.where(found, CONF_POINT, 0.0),
        "candidates": np.full(n, "", dtype=object),
        "outside": valid & ~inside,
    })


def resolve_texts(texts, city: str = S.SHANGHAI, aliases: dict[str, dict] | None = None,
                  cache: "ResultCache | None" = None, geocoder: "GC.Geocoder | None" = None) -> pd.DataFrame:
    """Resolve place strings onto districts of ``city``.

    Works on unique strings: the raw strings are factorised first, each unique one
    is normalised and resolved once (or taken from ``cache``), and the results are
    spread back over the input.  ``aliases`` maps a normalised string to a user's
    saved correction ({"adcode", "lng", "lat", "label"}) and wins over everything.

    With a ``geocoder`` (see :mod:`mapping.place.geocode`), strings left unresolved or
    fuzzy are sent to it last; if it fails, they stay as they are and the message
    is in ``result.attrs["geocoder_error"]``.

    Examples
    --------
    >>> resolve_texts(["浦东", "不详", "闸北区"])[["adcode", "level", "method"]].values.tolist()
    [['310115', 'district', 'district_name'], ['', 'none', 'junk'], ['310106', 'district', 'historic']]
    """
    raw = pd.Series(list(texts), dtype=object)
    if raw.empty:
        return _empty_result(0)
    return _resolve_texts(raw, city, aliases, cache, geocoder)


@contextmanager
def _collector_paused():
    """Pause the cyclic garbage collector while strings are resolved offline.

    The text chain allocates many short-lived objects but makes no reference cycles,
    so reference counting frees them all; meanwhile the collector's full passes over
    everything the app holds (pandas, geopandas, SQLAlchemy…) cost ~0.15 s per 20,000
    strings.  Not held over the result cache or the online geocoder.  The collector is
    switched back on only if it was on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _resolve_texts(raw: pd.Series, city: str, aliases, cache, geocoder) -> pd.DataFrame:
    codes, uniques = pd.factorize(raw)
    uniques = list(uniques)
    if (codes < 0).any():
        uniques.append("")  # missing values have code -1: they index this last entry, "" like an empty cell
    positions: dict[str, int] = {}  # normalised text -> its position among the texts resolved
    norm_codes = np.fromiter((positions.setdefault(normalise(u), len(positions)) for u in uniques),
                             dtype=np.intp, count=len(uniques))
    resolved = _resolve_unique(list(positions), city, aliases or {}, cache, geocoder)
    out = resolved.iloc[norm_codes[codes]].reset_index(drop=True)
    if GEOCODER_ERROR in resolved.attrs:
        out.attrs[GEOCODER_ERROR] = resolved.attrs[GEOCODER_ERROR]
    return out


class ResultCache:
    """Interface of a store for resolved strings (see :class:`mapping.db.store.Store`)."""

    def get_results(self, city: str, texts: list[str]) -> dict[str, dict]:  # pragma: no cover - interface
        raise NotImplementedError

    def put_results(self, city: str, results: dict[str, dict]) -> None:  # pragma: no cover - interface
        raise NotImplementedError


_result_values = attrgetter(*RESULT_COLUMNS)


def _resolve_unique(texts: list[str], city: str, aliases: dict[str, dict],
                    cache: ResultCache | None, geocoder: "GC.Geocoder | None" = None) -> pd.DataFrame:
    cached = cache.get_results(city, [t for t in texts if t and t not in aliases]) if cache else {}
    rows, fresh = [], {}
    with _collector_paused():
        for text in texts:
            if text in cached and text not in aliases:
                rows.append(cached[text])
                continue
            row = dict(zip(RESULT_COLUMNS, _result_values(resolve_one(text, city, aliases))))
            rows.append(row)
            if text and text not in aliases:
                fresh[text] = row
    error = _geocode(texts, rows, fresh, city, aliases, geocoder) if geocoder is not None else ""
    if cache and fresh:
        cache.put_results(city, fresh)
    out = _hosted(pd.DataFrame(rows, columns=RESULT_COLUMNS))
    out["lng"] = pd.to_numeric(out["lng"])
    out["lat"] = pd.to_numeric(out["lat"])
    out["confidence"] = out["confidence"].astype(float)
    out["outside"] = out["outside"].astype(bool)
    if error:
        out.attrs[GEOCODER_ERROR] = error
    return out


def _hosted(out: pd.DataFrame) -> pd.DataFrame:
    """A functional zone that no polygon draws (苏州工业园区 320576, named by its streets 娄葑, 斜塘…)
    goes to the county polygon that hosts it (吴中区 320506), so it lands on the map: its district
    reads 「吴中区（苏州工业园区）」 (:func:`mapping.geo.boundaries.zone_hosts`)."""
    hosts = boundaries.zone_hosts()
    zoned = out["adcode"].isin(hosts.keys()).to_numpy()
    if zoned.any():
        names = G.admin_names()
        zones = out.loc[zoned, "adcode"]
        out.loc[zoned, "district"] = [f"{names.get(hosts[z], hosts[z])}（{names.get(z, z)}）" for z in zones]
        out.loc[zoned, "adcode"] = zones.map(hosts).to_numpy()
    return out


def _geocode(texts: list[str], rows: list[dict], fresh: dict[str, dict], city: str, aliases: dict[str, dict],
             geocoder: "GC.Geocoder") -> str:
    """Last step: send what the offline chain could not place to ``geocoder`` (rows updated in place)."""
    todo = {t: r for t, r in zip(texts, rows) if t and t not in aliases and GC.wants_geocoding(t, r, geocoder)}
    if not todo:
        return ""
    answered, error = GC.geocode_rows(geocoder, todo, city)
    for i, text in enumerate(texts):
        if text in answered:
            rows[i] = fresh[text] = answered[text]
    if error:
        log.warning("online geocoding (%s) failed, %d of %d strings left unresolved: %s",
                    geocoder.name, len(todo) - len(answered), len(todo), error)
    return error


def resolve_records(records: pd.DataFrame, city: str = S.SHANGHAI, aliases: dict[str, dict] | None = None,
                    cache: ResultCache | None = None, geocoder: "GC.Geocoder | None" = None) -> pd.DataFrame:
    """Resolve home, work and leisure of canonical records.

    Coordinates win over text when both are given.  Returns a long frame with
    ``row`` (position in ``records``), ``dimension`` and the result columns.  An
    online ``geocoder`` is used until its first error (``attrs["geocoder_error"]``).
    """
    parts = []
    error = ""
    for dim in S.DIMENSIONS:
        lng = pd.to_numeric(records[S.lng_col(dim)], errors="coerce").to_numpy()
        lat = pd.to_numeric(records[S.lat_col(dim)], errors="coerce").to_numpy()
        crs = records[S.COORD_SYSTEM].where(records[S.COORD_SYSTEM] != "", S.WGS84).to_numpy()
        has_point = ~(np.isnan(lng) | np.isnan(lat))
        texts = records[S.text_col(dim)]
        if geocoder is not None and has_point.any():
            texts = texts.where(~has_point, "")  # their coordinates win: no need to pay for geocoding
        result = resolve_texts(texts.tolist(), city, aliases=aliases, cache=cache,
                               geocoder=None if error else geocoder)
        error = error or result.attrs.get(GEOCODER_ERROR, "")
        if has_point.any():
            by_point = resolve_points(lng[has_point], lat[has_point], crs[has_point], city=city)
            rows = np.flatnonzero(has_point)
            for col in RESULT_COLUMNS:
                result.loc[rows, col] = by_point[col].to_numpy()
        result.insert(0, "dimension", dim)
        result.insert(0, "row", np.arange(len(records)))
        parts.append(result)
    out = pd.concat(parts, ignore_index=True)
    if error:
        out.attrs[GEOCODER_ERROR] = error
    return out
