"""Cached inputs of the battle-map page: facts per data version, layers and area names."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import streamlit as st

from mapping import schema as S
from mapping.analysis.facts import Facts, Filters
from mapping.db.store import Store
from mapping.geo import boundaries, hexgrid
from ui.common import pick_project, project_facts
from ui.layers import custom_layers

BUILT_IN = [S.LAYER_DISTRICTS_BANKUAI, S.LAYER_DISTRICTS, S.LAYER_BANKUAI]
HEX_LAYERS = [hexgrid.layer_id(r) for r in hexgrid.RESOLUTIONS]
HEX_LABELS = {7: "约 5 平方公里", 8: "约 0.7 平方公里", 9: "约 0.1 平方公里"}


def layer_ids() -> list[str]:
    return BUILT_IN + list(custom_layers()) + HEX_LAYERS


def layer_label(layer_id: str) -> str:
    if layer_id in custom_layers():
        return f"自定义：{custom_layers()[layer_id]['name']}"
    res = hexgrid.parse_layer_id(layer_id)
    if res is not None:
        return f"H3 六边形 {res} 级（{HEX_LABELS[res]}）"
    return S.LAYER_LABELS[layer_id]


def polygon_layer(layer_id: str, display: bool = False) -> gpd.GeoDataFrame | None:
    """The layer's polygons (None for H3: hexagons are made from the cells in use)."""
    if hexgrid.parse_layer_id(layer_id) is not None:
        return None
    if layer_id in custom_layers():
        return custom_layers()[layer_id]["layer"]
    return _builtin_layer(layer_id, display)


@st.cache_resource(show_spinner=False, max_entries=12)
def _builtin_layer(layer_id: str, display: bool) -> gpd.GeoDataFrame:
    """Bundled layers are read once per process (callers only read them)."""
    return boundaries.load_layer(layer_id, display=display)


def area_polygons(layer_id: str, area_ids: list[str], display: bool = False) -> gpd.GeoDataFrame:
    """Polygons (area_id, area_name, adcode, geometry) of the given areas of a layer."""
    res = hexgrid.parse_layer_id(layer_id)
    if res is not None:
        return _hexagons(tuple(sorted(area_ids)))
    layer = polygon_layer(layer_id, display=display)
    return layer


@st.cache_data(show_spinner=False, max_entries=16)
def _hexagons(cells: tuple[str, ...]) -> gpd.GeoDataFrame:
    return hexgrid.hex_layer(cells)


PERIODS = {"all": "全部时间", "pre": "蓄水期（开盘前）", "post": "开盘后", "recent": "最近 4 周", "custom": "自定义"}


def period_range(period: str, launch: dt.date | None, span: tuple[dt.date, dt.date] | None,
                 custom: tuple[dt.date, dt.date] | None = None) -> tuple[dt.date | None, dt.date | None]:
    """Visit-date bounds of a period choice."""
    if period == "pre" and launch:
        return None, launch - dt.timedelta(days=1)
    if period == "post" and launch:
        return launch, None
    if period == "recent" and span:
        return span[1] - dt.timedelta(days=27), span[1]
    if period == "custom" and custom:
        return custom
    return None, None


def names_of(layer_id: str, ids: list[str]) -> pd.DataFrame:
    layer = polygon_layer(layer_id)
    if layer is None:
        return pd.DataFrame({"area_id": ids, "area_name": [hexgrid.cell_label(c) for c in ids]})
    return layer[["area_id", "area_name"]]


def filters_key(f: Filters) -> tuple:
    return (f.start, f.end, f.channels, f.intentions)


def project_with_facts(store: Store) -> tuple[dict, str, Facts] | None:
    """The sidebar's project, its data version and facts; None (with a hint) when there is nothing to map."""
    project = pick_project(store)
    if project is None:
        return None
    version = store.data_version(project.id)
    facts = project_facts(store, project.id, version, project.city_adcode)
    if len(facts) == 0:
        st.info("这个项目还没有到访客户。请先到「导入数据」页导入。")
        return None
    return project, version, facts
