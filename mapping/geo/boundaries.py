"""Shanghai district and Pudong 板块 boundaries, and point-in-polygon assignment.

The boundary files live in ``data/boundaries/`` (built by
``data/boundaries/build_boundaries.py``; WGS-84, EPSG:4326).  Every layer comes back
with the same columns — ``area_id``, ``area_name``, ``adcode``, ``geometry`` — so pages
and aggregation code never need to know which layer they were given.

Examples
--------
>>> layer = load_layer("districts")
>>> assign_points([121.4953], [31.2418], layer).tolist()
['310115']
"""

from __future__ import annotations

from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike

from mapping.paths import BOUNDARIES, GAZETTEER
from mapping.schema import LAYER_BANKUAI, LAYER_DISTRICTS, LAYER_DISTRICTS_BANKUAI, LAYER_LABELS, PUDONG

DATA_DIR = BOUNDARIES
CHINA_DIR = BOUNDARIES / "china"
MUNICIPALITIES = ("110000", "120000", "310000", "500000")
# The national locate() grid (built by build_national.py): cell values are indexes into
# the county list stored with it, or one of these.
LOCATE_GRID_FILE = "locate_grid.parquet"
GRID_OUTSIDE = -1
GRID_MIXED = -2
AREA_COLUMNS = ("area_id", "area_name", "adcode", "geometry")
LAYER_IDS = (LAYER_DISTRICTS, LAYER_BANKUAI, LAYER_DISTRICTS_BANKUAI)

_FILES = {
    (LAYER_DISTRICTS, False): "shanghai_districts.geojson",
    (LAYER_DISTRICTS, True): "shanghai_districts_display.geojson",
    (LAYER_BANKUAI, False): "pudong_bankuai.geojson",
    (LAYER_BANKUAI, True): "pudong_bankuai_display.geojson",
}


@lru_cache(maxsize=None)
def _read(filename: str) -> gpd.GeoDataFrame:
    path = DATA_DIR / filename
    if not path.exists():
        raise FileNotFoundError(
            f"边界文件缺失：{path}。请在项目根目录运行 "
            "`python data/boundaries/build_boundaries.py` 重新生成。"
        )
    gdf = gpd.read_file(path)
    gdf = gdf.set_crs(4326, allow_override=True)
    for col in gdf.columns:
        if col != "geometry":
            gdf[col] = gdf[col].astype(str)
    return gdf


def districts(display: bool = False) -> gpd.GeoDataFrame:
    """The 16 Shanghai districts.

    Parameters
    ----------
    display : bool, default False
        True for the coverage-simplified copy meant for drawing; False for the full
        resolution used to assign points.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, columns ``adcode``, ``name``, ``short_name``, ``geometry``, one row
        per district in adcode order.  A fresh copy on every call.
    """
    gdf = _read(_FILES[(LAYER_DISTRICTS, bool(display))])
    return gdf[["adcode", "name", "short_name", "geometry"]].copy()


def _bankuai(display: bool) -> gpd.GeoDataFrame:
    gdf = _read(_FILES[(LAYER_BANKUAI, bool(display))])
    return gpd.GeoDataFrame(
        {"area_id": gdf["bankuai_id"], "area_name": gdf["name"], "adcode": gdf["adcode"]},
        geometry=gdf.geometry.values, crs=gdf.crs,
    )


def _district_areas(display: bool) -> gpd.GeoDataFrame:
    gdf = districts(display)
    return gpd.GeoDataFrame(
        {"area_id": gdf["adcode"], "area_name": gdf["name"], "adcode": gdf["adcode"]},
        geometry=gdf.geometry.values, crs=gdf.crs,
    )


def load_layer(layer_id: str, display: bool = False) -> gpd.GeoDataFrame:
    """A boundary layer with the uniform area columns.

    Parameters
    ----------
    layer_id : str
        One of ``mapping.schema.LAYER_DISTRICTS`` ("districts"), ``LAYER_BANKUAI``
        ("pudong_bankuai") or ``LAYER_DISTRICTS_BANKUAI`` ("districts_bankuai": the 15
        other districts plus Pudong replaced by its 板块).
    display : bool, default False
        True for the simplified drawing copy, False for full resolution.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, columns ``area_id``, ``area_name``, ``adcode`` (district adcode) and
        ``geometry``; a fresh copy on every call.

    Raises
    ------
    ValueError
        If ``layer_id`` is not a known layer.
    """
    if layer_id == LAYER_DISTRICTS:
        return _district_areas(display)
    if layer_id == LAYER_BANKUAI:
        return _bankuai(display)
    if layer_id == LAYER_DISTRICTS_BANKUAI:
        areas = _district_areas(display)
        others = areas[areas["adcode"] != PUDONG]
        out = pd.concat([others, _bankuai(display)], ignore_index=True)
        return gpd.GeoDataFrame(out, geometry="geometry", crs=areas.crs)
    allowed = ", ".join(f"{k!r} ({LAYER_LABELS[k]})" for k in LAYER_IDS)
    raise ValueError(f"未知的边界图层 {layer_id!r}；可选：{allowed}")


def district_names() -> dict[str, str]:
    """adcode → full district name, e.g. ``{"310115": "浦东新区", ...}``."""
    gdf = _read(_FILES[(LAYER_DISTRICTS, False)])
    return dict(zip(gdf["adcode"], gdf["name"]))


def district_name_index() -> dict[str, str]:
    """Full and short district names → adcode (浦东新区 → 310115, 浦东 → 310115)."""
    gdf = _read(_FILES[(LAYER_DISTRICTS, False)])
    index = dict(zip(gdf["short_name"], gdf["adcode"]))
    index.update(zip(gdf["name"], gdf["adcode"]))
    return index


def assign_points(
    lng: ArrayLike, lat: ArrayLike, layer: gpd.GeoDataFrame | str, id_column: str = "area_id"
) -> np.ndarray:
    """The id of the area containing each point ("" where none does).

    Parameters
    ----------
    lng, lat : array_like
        WGS-84 coordinates, same length; NaN gives "".
    layer : geopandas.GeoDataFrame or str
        An area layer in EPSG:4326 (use the full-resolution one, ``display=False``),
        or a layer id for :func:`load_layer`.
    id_column : str, default "area_id"
        Column of ``layer`` whose values are returned.

    Returns
    -------
    numpy.ndarray
        Object array of ids, one per point.  A point on a shared border goes to the
        polygon that comes first in ``layer`` (deterministic, never counted twice).

    Notes
    -----
    Vectorised with prepared geometries and a bounding-box pre-filter per polygon:
    about half a second for a million points against the district layer.
    """
    if isinstance(layer, str):
        layer = load_layer(layer)
    if id_column not in layer.columns:
        raise ValueError(
            f"layer has no column {id_column!r} (columns: {list(layer.columns)}); "
            "pass a layer from load_layer()/as_area_layer() or set id_column"
        )
    if layer.crs is not None and not layer.crs.equals("EPSG:4326"):
        layer = layer.to_crs(4326)
    x = np.asarray(lng, dtype="float64").ravel()
    y = np.asarray(lat, dtype="float64").ravel()
    if x.shape != y.shape:
        raise ValueError(f"lng and lat differ in length ({x.size} vs {y.size})")
    geoms = np.asarray(layer.geometry.values, dtype=object)
    ids = layer[id_column].astype(str).to_numpy(dtype=object)
    shapely.prepare(geoms)
    hit = np.full(x.size, -1, dtype=np.int64)
    open_ = np.isfinite(x) & np.isfinite(y)
    for i, (geom, (x0, y0, x1, y1)) in enumerate(zip(geoms, shapely.bounds(geoms))):
        if geom is None or geom.is_empty:
            continue
        cand = np.flatnonzero(open_ & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
        if cand.size == 0:
            continue
        inside = cand[shapely.intersects_xy(geom, x[cand], y[cand])]
        hit[inside] = i
        open_[inside] = False
    out = np.full(x.size, "", dtype=object)
    out[hit >= 0] = ids[hit[hit >= 0]]
    return out


# --- project cities ----------------------------------------------------------------------
def project_city(adcode: str, city_adcode: str, province_adcode: str) -> str:
    """The project-city code of a county row of ``districts_cn.csv``.

    Municipalities → the province code (310000); 省直辖县级 units (city code
    ``xx9000``: 济源, 仙桃, 五指山, 石河子…) → their own code, each being a city of
    its own; otherwise the prefecture code (510100).

    Examples
    --------
    >>> project_city("310115", "310100", "310000"), project_city("429004", "429000", "420000")
    ('310000', '429004')
    """
    if province_adcode in MUNICIPALITIES:
        return province_adcode
    if city_adcode.endswith("9000"):
        return adcode
    return city_adcode


@lru_cache(maxsize=1)
def _cities() -> tuple[dict[str, str], dict[str, str]]:
    """(adcode → project city for every county, city and province code; city → name)."""
    table = pd.read_csv(GAZETTEER / "districts_cn.csv", dtype=str, keep_default_na=False)
    names = dict(zip(table["adcode"], table["name"]))
    with_cities = set(table.loc[table["level"] == "city", "province_adcode"])
    city_of_code: dict[str, str] = {}
    for row in table.itertuples():
        if row.level == "district":
            city_of_code[row.adcode] = project_city(row.adcode, row.city_adcode, row.province_adcode)
        elif row.level == "city" and not row.adcode.endswith("9000"):
            city_of_code[row.adcode] = project_city(row.adcode, row.adcode, row.province_adcode)
        elif row.adcode in MUNICIPALITIES or row.adcode not in with_cities:
            # a municipality, or a province without cities (台湾, 香港, 澳门): one unit
            city_of_code[row.adcode] = row.adcode
    return city_of_code, {c: names[c] for c in sorted(set(city_of_code.values()))}


def city_of(adcode: str) -> str:
    """The project city of a county, city or municipality adcode ("" if unknown).

    Examples
    --------
    >>> city_of("310115"), city_of("320583"), city_of("500235"), city_of("999999")
    ('310000', '320500', '500000', '')
    """
    return _cities()[0].get(str(adcode), "")


def city_names() -> dict[str, str]:
    """Project city code → name, e.g. ``{"110000": "北京市", "320500": "苏州市", ...}``."""
    return dict(_cities()[1])


def city_name(city: str) -> str:
    """The name of a project city (``"320500"`` → ``"苏州市"``).

    Raises
    ------
    ValueError
        If ``city`` is not a project-city code (see :func:`city_of`).
    """
    names = _cities()[1]
    if city not in names:
        raise ValueError(f"未知的城市代码 {city!r}：应为 6 位城市代码，如 310000（上海）、510100（成都）")
    return names[city]


@lru_cache(maxsize=1)
def _neighbour_table() -> dict[str, tuple[str, ...]]:
    path = CHINA_DIR / "city_neighbours.csv"
    if not path.exists():
        raise FileNotFoundError(
            f"边界文件缺失：{path}。请在项目根目录运行 `python data/boundaries/build_national.py` 重新生成。"
        )
    pairs = pd.read_csv(path, dtype=str, keep_default_na=False)
    grouped = pairs.groupby("city_adcode")["neighbour_adcode"]
    return {city: tuple(sorted(group)) for city, group in grouped}


def neighbours(city: str) -> tuple[str, ...]:
    """Project cities sharing a border with ``city``, sorted (from ``china/city_neighbours.csv``).

    Adjacency of the cities' county polygons within ~100 m (see
    ``data/boundaries/README.md``).  A city without land neighbours gives ``()``.

    Examples
    --------
    >>> neighbours("310000")
    ('320500', '320600', '330400', '330900')

    Raises
    ------
    ValueError
        If ``city`` is not a project-city code.
    """
    city_name(city)
    return _neighbour_table().get(city, ())
