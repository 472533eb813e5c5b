"""Area layers of the map pages: built-in (districts, 板块), the user's own (uploaded or drawn) and H3.

Their ids, labels, polygons (bundled layers read once per process, hexagons
cached) and area names.  The user's own layers live in the session
(``st.session_state["custom_layers"]``): a layer is the user's working
material, not project data.
"""

from __future__ import annotations

import contextvars
import hashlib
from collections.abc import Callable

import geopandas as gpd
import pandas as pd
import streamlit as st

from mapping import schema as S
from mapping.geo import boundaries, hexgrid, layers

HEX_LAYERS = [hexgrid.layer_id(r) for r in hexgrid.RESOLUTIONS]
HEX_LABELS = {7: "约 5 平方公里", 8: "约 0.7 平方公里", 9: "约 0.1 平方公里"}
CRS_CHOICES = {"": "文件自带坐标系", "WGS84": "WGS-84（GPS / OpenStreetMap）", "GCJ02": "GCJ-02（高德 / 腾讯）"}


_PINNED: contextvars.ContextVar[dict | None] = contextvars.ContextVar("tuoke_custom_layers", default=None)


def custom_layers() -> dict:
    """``{key: {"name", "layer"}}`` of this session's own layers (WGS-84 area layers)."""
    pinned = _PINNED.get()
    if pinned is not None:
        return pinned
    return st.session_state.setdefault("custom_layers", {})


def pinned(make: Callable) -> Callable:
    """``make`` that sees this session's own layers when it runs.  A deferred download's callable runs
    on a server thread outside the script run, where the session state (and so an uploaded or drawn
    layer) is not visible: without this the battle map's offline HTML of an uploaded layer failed."""
    mine = custom_layers()

    def run():
        token = _PINNED.set(mine)
        try:
            return make()
        finally:
            _PINNED.reset(token)

    return run


def builtin_ids(city: str) -> list[str]:
    """The bundled area units of a project in ``city`` (:func:`mapping.geo.boundaries.layer_ids`):
    districts everywhere, the Pudong 板块 in Shanghai."""
    return list(boundaries.layer_ids(city))


def layer_ids(city: str, hexagons: bool = True) -> list[str]:
    """Every area unit a page can offer a project in ``city``; H3 only where ``hexagons`` (pages that
    need polygons say no)."""
    return builtin_ids(city) + list(custom_layers()) + (HEX_LAYERS if hexagons else [])


def layer_label(layer_id: str) -> str:
    if layer_id in custom_layers():
        return f"自定义：{custom_layers()[layer_id]['name']}"
    res = hexgrid.parse_layer_id(layer_id)
    if res is not None:
        return f"H3 六边形 {res} 级（{HEX_LABELS[res]}）"
    return S.LAYER_LABELS[layer_id]


def default_layer(key: str, project_layer: str, ids: list[str]) -> None:
    """Point the widget ``key`` at the project's default unit when its value is not offered."""
    if st.session_state.get(key) not in ids:
        st.session_state[key] = project_layer if project_layer in ids else S.LAYER_DISTRICTS


def polygon_layer(layer_id: str, cities: tuple[str, ...], display: bool = False) -> gpd.GeoDataFrame | None:
    """The layer's polygons (None for H3: hexagons are made from the cells in use).

    ``cities`` is the project's area scope (:func:`mapping.analysis.metro.scope`: its city first, then
    the neighbouring cities that send visitors): a bundled layer covers the first city and gets the
    districts of the others added, so a 昆山 project's map shows the Shanghai districts its buyers
    come from.  The user's own layers are used as they are."""
    if hexgrid.parse_layer_id(layer_id) is not None:
        return None
    if layer_id in custom_layers():
        return custom_layers()[layer_id]["layer"]
    return _builtin_layer(layer_id, tuple(cities), display)


@st.cache_resource(show_spinner=False, max_entries=24)
def _builtin_layer(layer_id: str, cities: tuple[str, ...], display: bool) -> gpd.GeoDataFrame:
    """Bundled layers are read once per process (callers only read them)."""
    own = boundaries.load_layer(layer_id, display=display, city=cities[0])
    if len(cities) == 1:
        return own
    others = boundaries.city_districts(cities[1:], display=display)
    # 嘉定区（上海）: another city's districts say whose they are (several cities have a 鼓楼区)
    short = {c: boundaries.city_short_name(c) for c in cities[1:]}
    others["area_name"] = others["area_name"] + "（" + others["city_adcode"].map(short) + "）"
    others = others[list(boundaries.AREA_COLUMNS)]
    return gpd.GeoDataFrame(pd.concat([own, others], ignore_index=True), geometry="geometry", crs=own.crs)


def city_borders(cities: tuple[str, ...]) -> gpd.GeoDataFrame | None:
    """The outlines of the scope's cities when it spans more than one (drawn over the areas), else None."""
    return _city_borders(tuple(cities)) if len(cities) > 1 else None


@st.cache_resource(show_spinner=False, max_entries=8)
def _city_borders(cities: tuple[str, ...]) -> gpd.GeoDataFrame:
    return boundaries.city_outline(cities, display=True)


def area_polygons(layer_id: str, cities: tuple[str, ...], area_ids: list[str],
                  display: bool = False) -> gpd.GeoDataFrame:
    """Polygons (area_id, area_name, adcode, geometry) of a layer; for H3, of the given cells."""
    if hexgrid.parse_layer_id(layer_id) is not None:
        return _hexagons(tuple(sorted(area_ids)))
    return polygon_layer(layer_id, cities, display=display)


@st.cache_data(show_spinner=False, max_entries=16)
def _hexagons(cells: tuple[str, ...]) -> gpd.GeoDataFrame:
    return hexgrid.hex_layer(cells)


def names_of(layer_id: str, cities: tuple[str, ...], ids: list[str]) -> pd.DataFrame:
    """(area_id, area_name) of a layer's areas (H3 cells get a readable label)."""
    layer = polygon_layer(layer_id, cities)
    if layer is None:
        return pd.DataFrame({"area_id": ids, "area_name": [hexgrid.cell_label(c) for c in ids]})
    return layer[["area_id", "area_name"]]


def layer_upload(target_key: str) -> None:
    """Let the user bring their own area layer (their company's 板块, say); selecting it
    sets ``st.session_state[target_key]``.  The uploader is drawn only while its section is open (its open state
    under ``<target_key>_upload_open``): two widgets fewer on a map page's first load."""
    section = st.expander("使用自己的区域图层（GeoJSON、Shapefile 压缩包、GeoPackage、KML）",
                          key=f"{target_key}_upload_open", on_change="rerun")
    if not section.open:
        return
    with section:
        upload = st.file_uploader("图层文件", type=["geojson", "json", "zip", "gpkg", "kml", "kmz"],
                                  key=f"{target_key}_upload")
        crs = st.radio("坐标系", list(CRS_CHOICES), format_func=CRS_CHOICES.get, horizontal=True,
                       key=f"{target_key}_crs", help="文件没有坐标系信息时必须选择；从高德地图描的图层选 GCJ-02")
        if upload is None:
            return
        data = upload.getvalue()
        gdf = layers.read_layer(data, upload.name, assume_crs=crs or None)
        columns = layers.candidate_name_columns(gdf)
        if not columns:
            st.error("图层里没有可以当作区域名称的文字列。请在 GIS 软件里加一列名称后再上传。")
            return
        name_col = st.selectbox("区域名称列", columns, key=f"{target_key}_name_col")
        area = layers.as_area_layer(gdf, name_col)
        key = "custom:" + hashlib.sha256(data + name_col.encode() + crs.encode()).hexdigest()[:12]
        st.button(f"使用这个图层（{len(area)} 个区域）", key=f"{target_key}_use", on_click=use_layer,
                  args=(key, upload.name, area, target_key))


def use_layer(key: str, name: str, area: gpd.GeoDataFrame, target_key: str) -> None:
    custom_layers()[key] = {"name": name, "layer": area}
    st.session_state[target_key] = key
