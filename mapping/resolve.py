"""First resolution of visitor locations onto districts.

Coordinates are converted to WGS-84 and joined to the district polygons; text
that is exactly a district name (浦东新区 or its short form 浦东) is matched.
Everything else is returned as *unresolved* (level ``none``) so pages can count
and show it; the full text resolver (towns, landmarks, aliases…) builds on this.

Both public functions return one row per input, in input order, with the columns
in :data:`RESULT_COLUMNS`.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from . import boundaries
from . import schema as S
from .coords import to_wgs84

RESULT_COLUMNS = ["adcode", "district", "town_code", "lng", "lat", "level", "method", "confidence", "candidates"]

METHOD_POINT = "point"
METHOD_POINT_OUTSIDE = "point_outside"
METHOD_DISTRICT_NAME = "district_name"
METHOD_UNRESOLVED = "unresolved"
METHOD_EMPTY = "empty"
METHOD_LABELS = {
    METHOD_POINT: "坐标落区",
    METHOD_POINT_OUTSIDE: "坐标在本市以外",
    METHOD_DISTRICT_NAME: "区名匹配",
    METHOD_UNRESOLVED: "未能识别",
    METHOD_EMPTY: "未填写",
}


def normalise_text(text: object) -> str:
    """NFKC (full-width → half-width), no spaces, no surrounding punctuation."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    value = unicodedata.normalize("NFKC", str(text))
    value = re.sub(r"\s+", "", value)
    return value.strip("。.,，;；、-—_")


def _empty_result(n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "adcode": [""] * n, "district": [""] * n, "town_code": [""] * n,
        "lng": np.full(n, np.nan), "lat": np.full(n, np.nan),
        "level": [S.LEVEL_NONE] * n, "method": [METHOD_UNRESOLVED] * n,
        "confidence": np.zeros(n), "candidates": [""] * n,
    })


def resolve_points(lng, lat, crs="WGS84") -> pd.DataFrame:
    """Resolve coordinates (one CRS name, or one per point) onto districts.

    Examples
    --------
    >>> resolve_points([121.4953], [31.2418], "WGS84")["adcode"].tolist()
    ['310115']
    """
    lng = np.asarray(lng, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    out = _empty_result(len(lng))
    valid = ~(np.isnan(lng) | np.isnan(lat))
    out.loc[~valid, "method"] = METHOD_EMPTY
    if not valid.any():
        return out
    crs_arr = np.full(len(lng), crs, dtype=object) if isinstance(crs, str) else np.asarray(crs, dtype=object)
    w_lng, w_lat = to_wgs84(lng[valid], lat[valid], crs_arr[valid])
    layer = boundaries.load_layer(S.LAYER_DISTRICTS)
    adcodes = boundaries.assign_points(w_lng, w_lat, layer)
    names = boundaries.district_names()
    idx = np.flatnonzero(valid)
    inside = adcodes != ""
    out.loc[idx, "lng"] = w_lng
    out.loc[idx, "lat"] = w_lat
    out.loc[idx, "adcode"] = adcodes
    out.loc[idx, "district"] = [names.get(a, "") for a in adcodes]
    out.loc[idx, "level"] = np.where(inside, S.LEVEL_POI, S.LEVEL_NONE)
    out.loc[idx, "method"] = np.where(inside, METHOD_POINT, METHOD_POINT_OUTSIDE)
    out.loc[idx, "confidence"] = np.where(inside, 1.0, 0.0)
    return out


def resolve_texts(texts, city: str = S.SHANGHAI) -> pd.DataFrame:
    """Resolve place strings onto districts of ``city``; works on unique strings.

    Examples
    --------
    >>> resolve_texts(["浦东", "不详"])[["adcode", "level"]].values.tolist()
    [['310115', 'district'], ['', 'none']]
    """
    texts = pd.Series(list(texts), dtype=object)
    codes, uniques = pd.factorize(texts.map(normalise_text))
    resolved = _resolve_unique(list(uniques), city)
    if len(texts) == 0:
        return _empty_result(0)
    return resolved.iloc[codes].reset_index(drop=True)


def _resolve_unique(texts: list[str], city: str) -> pd.DataFrame:
    out = _empty_result(len(texts))
    if city != S.SHANGHAI:
        return out
    index = boundaries.district_name_index()
    names = boundaries.district_names()
    for i, text in enumerate(texts):
        if not text:
            out.at[i, "method"] = METHOD_EMPTY
            continue
        key = text.removeprefix("上海市").removeprefix("上海")
        adcode = index.get(key)
        if adcode:
            out.at[i, "adcode"] = adcode
            out.at[i, "district"] = names[adcode]
            out.at[i, "level"] = S.LEVEL_DISTRICT
            out.at[i, "method"] = METHOD_DISTRICT_NAME
            out.at[i, "confidence"] = 1.0
    return out


def resolve_records(records: pd.DataFrame, city: str = S.SHANGHAI) -> pd.DataFrame:
    """Resolve home, work and leisure of canonical records.

    Coordinates win over text when both are given.  Returns a long frame with
    ``row`` (position in ``records``), ``dimension`` and the result columns.
    """
    parts = []
    for dim in S.DIMENSIONS:
        lng = pd.to_numeric(records[S.lng_col(dim)], errors="coerce").to_numpy()
        lat = pd.to_numeric(records[S.lat_col(dim)], errors="coerce").to_numpy()
        crs = records[S.COORD_SYSTEM].where(records[S.COORD_SYSTEM] != "", S.WGS84).to_numpy()
        has_point = ~(np.isnan(lng) | np.isnan(lat))
        result = resolve_texts(records[S.text_col(dim)].tolist(), city)
        if has_point.any():
            by_point = resolve_points(lng[has_point], lat[has_point], crs[has_point])
            rows = np.flatnonzero(has_point)
            for col in RESULT_COLUMNS:
                result.loc[rows, col] = by_point[col].to_numpy()
        result.insert(0, "dimension", dim)
        result.insert(0, "row", np.arange(len(records)))
        parts.append(result)
    return pd.concat(parts, ignore_index=True)
