"""District boundaries of every city of China, Pudong 板块, and point-in-polygon assignment.

The boundary files live in ``data/boundaries/`` (WGS-84, EPSG:4326): Shanghai's
districts and 板块 (built by ``data/boundaries/build_boundaries.py``) and the national
county layer in ``china/`` (built by ``data/boundaries/build_national.py``: one
GeoParquet per province, city adjacency, functional zones, the :func:`locate` grid).
Every layer comes back with the same columns — ``area_id``, ``area_name``, ``adcode``,
``geometry`` — so pages and aggregation code never need to know which layer they were
given.  Cities are project-city codes (:func:`city_of`): 310000 for Shanghai, 510100
for 成都.

Examples
--------
>>> layer = load_layer("districts")
>>> assign_points([121.4953], [31.2418], layer).tolist()
['310115']
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache, lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import shapely
from numpy.typing import ArrayLike

from mapping.paths import BOUNDARIES, GAZETTEER
from mapping.schema import (
    LAYER_BANKUAI,
    LAYER_DISTRICTS,
    LAYER_DISTRICTS_BANKUAI,
    LAYER_LABELS,
    PUDONG,
)

DATA_DIR = BOUNDARIES
CHINA_DIR = BOUNDARIES / "china"
SHANGHAI = "310000"
MUNICIPALITIES = ("110000", "120000", SHANGHAI, "500000")
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


@cache
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


def layer_ids(city: str = SHANGHAI) -> tuple[str, ...]:
    """The bundled layers of a project city, the finest first: districts everywhere, and for Shanghai
    (310000) also the Pudong 板块 ("districts_bankuai": the other districts plus Pudong's 板块, then
    "districts", then "pudong_bankuai").

    >>> layer_ids("510100"), layer_ids("310000")[0]
    (('districts',), 'districts_bankuai')
    """
    if city == SHANGHAI:
        return (LAYER_DISTRICTS_BANKUAI, LAYER_DISTRICTS, LAYER_BANKUAI)
    return (LAYER_DISTRICTS,)


def load_layer(layer_id: str, display: bool = False, city: str = SHANGHAI) -> gpd.GeoDataFrame:
    """A boundary layer of a project city with the uniform area columns.

    Parameters
    ----------
    layer_id : str
        ``mapping.schema.LAYER_DISTRICTS`` ("districts", any city), or for Shanghai
        (310000) only ``LAYER_BANKUAI`` ("pudong_bankuai") and
        ``LAYER_DISTRICTS_BANKUAI`` ("districts_bankuai": the 15 other districts plus
        Pudong replaced by its 板块).
    display : bool, default False
        True for the simplified drawing copy, False for full resolution.
    city : str, default "310000"
        The project city (see :func:`city_of`): the province code of a municipality,
        else the prefecture code (510100 成都).  Shanghai keeps its own files
        (``shanghai_districts*.geojson``); other cities come from the national layer.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, columns ``area_id``, ``area_name``, ``adcode`` (district adcode) and
        ``geometry``, districts in adcode order; a fresh copy on every call.

    Raises
    ------
    ValueError
        If ``layer_id`` is not a known layer, ``city`` is not a project city, or a
        Pudong 板块 layer is asked for another city.

    Examples
    --------
    >>> load_layer("districts", city="510100")["area_name"].iloc[0]
    '锦江区'
    """
    city = _check_city(city)
    if layer_id not in LAYER_IDS:
        allowed = ", ".join(f"{k!r} ({LAYER_LABELS[k]})" for k in LAYER_IDS)
        raise ValueError(f"未知的边界图层 {layer_id!r}；可选：{allowed}")
    if city != SHANGHAI:
        if layer_id not in layer_ids(city):
            raise ValueError(
                f"“{LAYER_LABELS[layer_id]}”图层只有上海（310000）有，{city_name(city)}（{city}）"
                f"没有；请用 {LAYER_DISTRICTS!r}（{LAYER_LABELS[LAYER_DISTRICTS]}）图层"
            )
        return _areas(_city_frame(city, bool(display)))
    if layer_id == LAYER_DISTRICTS:
        return _district_areas(display)
    if layer_id == LAYER_BANKUAI:
        return _bankuai(display)
    areas = _district_areas(display)
    others = areas[areas["adcode"] != PUDONG]
    out = pd.concat([others, _bankuai(display)], ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=areas.crs)


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
    ids = layer[id_column].astype(str).to_numpy(dtype=object)
    hit = assign_index(x, y, layer)
    out = np.full(x.size, "", dtype=object)
    out[hit >= 0] = ids[hit[hit >= 0]]
    return out


def assign_index(lng: ArrayLike, lat: ArrayLike, layer: gpd.GeoDataFrame) -> np.ndarray:
    """The row (position) in ``layer`` of the area containing each point, -1 where none does:
    :func:`assign_points` without building an id per point (a caller that counts by area
    needs no strings).  A point on a shared border goes to the first row.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> layer = gpd.GeoDataFrame({"area_id": ["a", "b"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326)
    >>> assign_index([0.5, 1.0, 1.5, 3.0], [0.5, 0.5, 0.5, 0.5], layer).tolist()
    [0, 0, 1, -1]
    """
    x = np.asarray(lng, dtype="float64").ravel()
    y = np.asarray(lat, dtype="float64").ravel()
    if x.shape != y.shape:
        raise ValueError(f"lng and lat differ in length ({x.size} vs {y.size})")
    if layer.crs is not None and not layer.crs.equals("EPSG:4326"):
        layer = layer.to_crs(4326)
    geoms = np.asarray(layer.geometry.values, dtype=object)
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
    return hit


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
def _cities() -> tuple[dict[str, str], dict[str, str], frozenset[str]]:
    """(adcode → project city for every county, city and province code; city → name;
    the county-level units, i.e. non-NBS-only counties, cities without counties
    (东莞…) and provinces without cities (香港…))."""
    table = pd.read_csv(GAZETTEER / "districts_cn.csv", dtype=str, keep_default_na=False)
    names = dict(zip(table["adcode"], table["name"]))
    with_cities = set(table.loc[table["level"] == "city", "province_adcode"])
    counties = table[(table["level"] == "district") & (table["nbs_only"] == "false")]
    with_counties = set(counties["city_adcode"])
    bare = table[(table["level"] == "city") & ~table["adcode"].isin(with_counties)]
    lone = table[(table["level"] == "province") & ~table["adcode"].isin(with_cities)]
    units = frozenset(counties["adcode"]) | frozenset(bare["adcode"]) | frozenset(lone["adcode"])
    city_of_code: dict[str, str] = {}
    for row in table.itertuples():
        if row.level == "district":
            city_of_code[row.adcode] = project_city(row.adcode, row.city_adcode, row.province_adcode)
        elif row.level == "city" and not row.adcode.endswith("9000"):
            city_of_code[row.adcode] = project_city(row.adcode, row.adcode, row.province_adcode)
        elif row.level == "province" and (row.adcode in MUNICIPALITIES or row.adcode not in with_cities):
            # a municipality, or a province without cities (台湾, 香港, 澳门): one unit
            city_of_code[row.adcode] = row.adcode
    return city_of_code, {c: names[c] for c in sorted(set(city_of_code.values()))}, units


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


def city_short_name(city: str) -> str:
    """The name people use for a project city: 上海市 → 上海, 苏州市 → 苏州 (an 自治州 keeps its name).

    >>> city_short_name("320500"), city_short_name("222400")
    ('苏州', '延边朝鲜族自治州')
    """
    name = city_name(city)
    return name.removesuffix("市") if len(name) > 2 and name.endswith("市") else name


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


# --- the national county layer -----------------------------------------------------------
def _check_city(city: str) -> str:
    city = str(city)
    city_name(city)
    return city


@cache
def _read_province(province: str, display: bool) -> gpd.GeoDataFrame:
    """County polygons of one province (cached; callers copy)."""
    path = CHINA_DIR / ("display" if display else "") / f"{province}.parquet"
    if not path.exists():
        raise FileNotFoundError(
            f"边界文件缺失：{path}。请在项目根目录运行 `python data/boundaries/build_national.py` 重新生成。"
        )
    return gpd.read_parquet(path).set_crs(4326, allow_override=True)


@cache
def _city_frame(city: str, display: bool) -> gpd.GeoDataFrame:
    """The counties of a project city from its province file (cached; callers copy).

    A city without any polygon (新星市, 白杨市: see ``china/coverage_gaps.csv``) gives
    an empty frame.
    """
    province = _read_province(city[:2] + "0000", display)
    return province[province["city_adcode"] == city].reset_index(drop=True)


def _areas(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"area_id": frame["adcode"].to_numpy(copy=True), "area_name": frame["name"].to_numpy(copy=True),
         "adcode": frame["adcode"].to_numpy(copy=True)},
        geometry=frame.geometry.values.copy(), crs=4326,
    )


def _city_list(cities: str | Iterable[str]) -> list[str]:
    cities = [cities] if isinstance(cities, str) else list(cities)
    return [_check_city(c) for c in dict.fromkeys(str(c) for c in cities)]


def city_districts(cities: str | Iterable[str], display: bool = False) -> gpd.GeoDataFrame:
    """The districts of several project cities at once, from the national layer.

    Parameters
    ----------
    cities : str or iterable of str
        Project-city codes (a metropolitan view: the project city and its
        :func:`neighbours`); duplicates are dropped, order is kept.
    display : bool, default False
        True for the display copy.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, columns ``area_id``, ``area_name``, ``adcode``, ``city_adcode``,
        ``geometry``; cities in the given order, districts in adcode order.  All cities
        (Shanghai too) come from the national layer, whose borders match across cities.

    Examples
    --------
    >>> city_districts(["310000", "320500"]).groupby("city_adcode").size().to_dict()
    {'310000': 16, '320500': 9}
    """
    parts = []
    for city in _city_list(cities):
        areas = _areas(_city_frame(city, bool(display)))
        areas.insert(3, "city_adcode", city)
        parts.append(areas)
    if not parts:
        raise ValueError("cities 为空：请至少给一个城市代码，如 ['310000', '320500']")
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=4326)


@cache
def _outline(city: str, display: bool) -> shapely.Geometry:
    geoms = np.asarray(_city_frame(city, display).geometry.values, dtype=object)
    return shapely.coverage_union_all(geoms) if geoms.size else shapely.MultiPolygon()


def city_outline(cities: str | Iterable[str], display: bool = True) -> gpd.GeoDataFrame:
    """One dissolved (Multi)Polygon per project city, for drawing city borders.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, columns ``city_adcode``, ``city_name``, ``geometry``, in the given order.

    Examples
    --------
    >>> city_outline(["310000", "320500"])["city_name"].tolist()
    ['上海市', '苏州市']
    """
    codes = _city_list(cities)
    return gpd.GeoDataFrame(
        {"city_adcode": codes, "city_name": [city_name(c) for c in codes]},
        geometry=[_outline(c, bool(display)) for c in codes], crs=4326,
    )


class _National:
    """Every county polygon of China (full resolution) plus the locate() grid."""

    def __init__(self) -> None:
        frames = [_read_province(p.stem, False) for p in sorted(CHINA_DIR.glob("[0-9]*.parquet"))]
        national = pd.concat(frames, ignore_index=True)
        table = pq.read_table(CHINA_DIR / LOCATE_GRID_FILE)
        meta = json.loads(table.schema.metadata[b"locate_grid"])
        order = {code: i for i, code in enumerate(national["adcode"])}
        if set(order) != set(meta["adcodes"]):
            raise ValueError(f"{LOCATE_GRID_FILE} does not match the province files; rebuild them together")
        self.adcodes = np.array(meta["adcodes"], dtype=object)
        self.geoms = np.asarray(national.geometry.values, dtype=object)[[order[c] for c in meta["adcodes"]]]
        self.tree = shapely.STRtree(self.geoms)
        starts = table["start"].to_numpy()
        nrow, ncol = meta["shape"]
        lengths = np.diff(np.append(starts, nrow * ncol))
        self.grid = np.repeat(table["value"].to_numpy().astype(np.int16), lengths).reshape(nrow, ncol)
        self.cell, self.west, self.south = meta["cell"], meta["west"], meta["south"]


@lru_cache(maxsize=1)
def _national() -> _National:
    return _National()


def locate(lng: ArrayLike, lat: ArrayLike) -> np.ndarray:
    """The county adcode of WGS-84 points anywhere in China ("" outside, NaN → "").

    Parameters
    ----------
    lng, lat : array_like
        WGS-84 longitudes and latitudes, same length.

    Returns
    -------
    numpy.ndarray
        Object array of 6-digit county adcodes (functional zones resolve to their host
        county; 香港 810000, 澳门 820000 and 台湾 710000 are single units).

    Notes
    -----
    A precomputed ~2 km grid (``china/locate_grid.parquet``) answers the points in
    cells wholly inside one county; only points in cells crossed by a border (about a
    tenth of the land) are tested exactly against the full-resolution polygons
    (bounding-box candidates, then ``shapely.contains_xy``).  About 0.3–0.5 s for a
    million points once loaded; the first call reads every province file and the grid
    (~1.8 s; ``bench/bench_boundaries.py``).  A point on a shared border goes
    to the county with the lowest adcode.

    Examples
    --------
    >>> locate([104.0633, 114.0596, 160.0], [30.6597, 22.5431, 30.0]).tolist()
    ['510105', '440304', '']
    """
    x = np.asarray(lng, dtype="float64").ravel()
    y = np.asarray(lat, dtype="float64").ravel()
    if x.shape != y.shape:
        raise ValueError(f"lng and lat differ in length ({x.size} vs {y.size})")
    nat = _national()
    out = np.full(x.size, "", dtype=object)
    col = np.floor((x - nat.west) / nat.cell)
    row = np.floor((y - nat.south) / nat.cell)
    nrow, ncol = nat.grid.shape
    on_grid = np.flatnonzero((col >= 0) & (col < ncol) & (row >= 0) & (row < nrow))  # NaN is False
    value = nat.grid[row[on_grid].astype(np.intp), col[on_grid].astype(np.intp)]
    pure = value >= 0
    out[on_grid[pure]] = nat.adcodes[value[pure]]
    mixed = on_grid[value == GRID_MIXED]
    if mixed.size:
        out[mixed] = _exact(nat, x[mixed], y[mixed])
    return out


def _exact(nat: _National, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Exact point-in-polygon for points near borders: bounding-box candidates, then
    ``contains_xy`` per county in adcode order (first hit wins)."""
    points, polys = nat.tree.query(shapely.points(x, y))
    order = np.lexsort((points, polys))
    points, polys = points[order], polys[order]
    hit = np.full(x.size, -1, dtype=np.int64)
    bounds = np.flatnonzero(np.diff(polys)) + 1
    for start, stop in zip(np.r_[0, bounds], np.r_[bounds, polys.size]):
        cand = points[start:stop]
        cand = cand[hit[cand] < 0]
        if cand.size == 0:
            continue
        geom = nat.geoms[polys[start]]
        shapely.prepare(geom)
        inside = cand[shapely.contains_xy(geom, x[cand], y[cand])]
        hit[inside] = polys[start]
    out = np.full(x.size, "", dtype=object)
    out[hit >= 0] = nat.adcodes[hit[hit >= 0]]
    return out


@lru_cache(maxsize=1)
def _zone_hosts() -> dict[str, str]:
    zones = pd.read_csv(CHINA_DIR / "functional_zones.csv", dtype=str, keep_default_na=False)
    return dict(zip(zones["zone_adcode"], zones["host_adcode"]))


def zone_hosts() -> dict[str, str]:
    """Every functional zone with a host polygon other than its own: ``{"320576": "320506", ...}``."""
    return {zone: host for zone, host in _zone_hosts().items() if zone != host}


def host_district(zone_adcode: str) -> str:
    """The county polygon hosting a functional zone (``nbs_only`` unit of ``districts_cn.csv``).

    Functional zones (经济技术开发区, 高新区, 管理区…) have no polygon of their own
    (except 加格达奇区 and 大柴旦, which are their own host); the mapping and how each
    row was made are in ``china/functional_zones.csv``.  A county code is its own host.

    Examples
    --------
    >>> host_district("320576"), host_district("310115")
    ('320506', '310115')

    Raises
    ------
    ValueError
        If ``zone_adcode`` is neither a functional zone nor a county-level code.
    """
    code = str(zone_adcode)
    hosts = _zone_hosts()
    if code in hosts:
        return hosts[code]
    if code in _cities()[2]:
        return code
    raise ValueError(f"未知的区县或功能区代码 {code!r}：应为 districts_cn.csv 中的 6 位区县代码，如 320576（苏州工业园区）")
