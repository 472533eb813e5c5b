"""Area layers the user brings (uploaded files, polygons drawn on the map), shared by the map pages.

They live in the session (``st.session_state["custom_layers"]``): a layer is the
user's working material, not project data.
"""

from __future__ import annotations

import hashlib

import geopandas as gpd
import numpy as np
import shapely
import streamlit as st

from mapping import schema as S
from mapping.geo import layers
from mapping.geo.coords import gcj02_to_wgs84

CRS_CHOICES = {"": "文件自带坐标系", "WGS84": "WGS-84（GPS / OpenStreetMap）", "GCJ02": "GCJ-02（高德 / 腾讯）"}


def custom_layers() -> dict:
    """``{key: {"name", "layer"}}`` of this session's own layers (WGS-84 area layers)."""
    return st.session_state.setdefault("custom_layers", {})


def layer_upload(target_key: str) -> None:
    """Let the user bring their own area layer (their company's 板块, say); selecting it
    sets ``st.session_state[target_key]``."""
    with st.expander("使用自己的区域图层（GeoJSON、Shapefile 压缩包、GeoPackage、KML）"):
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


def drawn_layer(drawings: list[dict], basemap_crs: str) -> gpd.GeoDataFrame:
    """Polygons drawn on the map (GeoJSON features from st_folium) as a WGS-84 area layer.

    On the Gaode basemap the map is in GCJ-02, so what was drawn is converted back.
    """
    shapes = [shapely.geometry.shape(f["geometry"]) for f in drawings
              if (f.get("geometry") or {}).get("type") in ("Polygon", "MultiPolygon")]
    if not shapes:
        raise layers.LayerError("地图上还没有画区域。用地图左侧的多边形或矩形工具画出区域，再保存。")
    geoms = np.array(shapes, dtype=object)
    if basemap_crs == S.GCJ02:
        geoms = shapely.transform(geoms, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1])))
    gdf = gpd.GeoDataFrame({"名称": [f"手绘区域 {i}" for i in range(1, len(shapes) + 1)]},
                           geometry=list(geoms), crs=4326)
    return layers.as_area_layer(gdf, "名称")
