"""Customer map: areas shaded by visitor count, per dimension and product line."""

from dataclasses import astuple, dataclass

import streamlit as st

from mapping import schema as S
from mapping.analysis import aggregate
from mapping.maps import choropleth, render
from mapping.maps.offline import standalone_html
from mapping.maps.overlays import project_sites
from mapping.place.resolve import METHOD_LABELS
from ui import layers as U
from ui.auth import download_button, require
from ui.common import get_store, guarded, pick_project, project_caption, project_locations
from ui.context import area_scope
from ui.shared import cached, folium_payload, scope, show_map


@st.cache_data(show_spinner=False, max_entries=32)
def counts_for(_store, project_id, version, unit: tuple[str, tuple[str, ...]], dimension, product_line):
    """Counts per area of ``unit`` (layer id, area scope) for one dimension and line."""
    locations = project_locations(_store, project_id, version)
    layer_id, cities = unit
    return aggregate.area_counts(locations, U.polygon_layer(layer_id, cities), dimension, product_line or None,
                                 with_remainder=True)


@dataclass(frozen=True)
class View:
    """What the user chose to see: the area unit and its scope (the project's city and the neighbouring
    cities that send visitors), dimension, product line ("" = all), basemap, and the map's title."""

    layer_id: str
    cities: tuple[str, ...]
    dimension: str
    product_line: str
    basemap: str
    title: str


def build_map(counts, view: View, project):
    """A fresh folium map (rendering mutates it, so a map object is never reused).  The project's
    site and competitors are on it, and the city borders when the map spans several cities."""
    return choropleth.visitor_choropleth(U.polygon_layer(view.layer_id, view.cities, display=True), counts,
                                         basemap=view.basemap, title=view.title, min_count=project.min_count,
                                         sites=project_sites(project), borders=U.city_borders(view.cities))


def shared_map(store, version, counts, view: View, project) -> dict:
    """What st_folium sends for the map, rendered once per process for every session showing the same map:
    same data version, view, k and sites."""
    # the view's values, not the view: each run of this page script defines its own View class
    key = (*scope(store, project.id, version), "customer_map", *astuple(view), project.min_count,
           repr(project_sites(project)))
    return cached(key, lambda: folium_payload(build_map(counts, view, project)))


def coverage_caption(cov, dimension, min_count) -> str:
    """Where every given location of the dimension went, and what the map withholds."""
    rest = (f"只识别到区县、计入表格末尾「…（板块未明）」行 {cov.remainder:,} 条（地图上不画）；"
            if cov.remainder else "")
    off = f"所在区县不在本图层范围 {cov.off_layer:,} 条；" if cov.off_layer else ""
    return (f"{S.DIMENSION_LABELS[dimension]}位置：填写 {cov.given:,} 条，落到地图上 {cov.placed:,} 条；{rest}{off}"
            f"未识别 {cov.unresolved:,} 条，在本市以外 {cov.outside:,} 条，这些不计入任何区域。"
            f"少于 {min_count} 人的区域为样本不足（灰色），不显示人数。")


def main() -> None:
    require("view")
    store = get_store()
    st.title("客户地图")
    project = pick_project(store)
    if project is None:
        return
    project_caption(project)
    c1, c2, c3, c4 = st.columns(4)
    layer_ids = U.layer_ids(project.city_adcode, hexagons=False)
    U.default_layer("layer", project.area_layer, layer_ids)
    layer_id = c1.selectbox("区域单元", layer_ids, format_func=U.layer_label, key="layer")
    dimension = c2.selectbox("维度", S.DIMENSIONS, format_func=S.DIMENSION_LABELS.get, key="dimension")
    lines = ["", *project.product_lines]
    product_line = c3.selectbox("业态", lines, format_func=lambda v: v or "全部业态", key="product_line")
    basemap = c4.selectbox("底图", list(render.BASEMAPS), format_func=render.basemap_labels().get,
                           key="basemap")
    version = store.data_version(project.id)
    cities = area_scope(store, project, version)
    counts, cov = counts_for(store, project.id, version, (layer_id, cities), dimension, product_line)
    k = project.min_count
    title = f"{project.name} · {S.DIMENSION_LABELS[dimension]} · {product_line or '全部业态'}"
    view = View(layer_id, tuple(cities), dimension, product_line, basemap, title)
    payload = shared_map(store, version, counts, view, project)
    show_map(payload, height=560, use_container_width=True, returned_objects=[], key="visitor_map")
    st.caption(coverage_caption(cov, dimension, k))
    st.dataframe(aggregate.public_counts(counts, k), hide_index=True, column_config={
        "成交率": st.column_config.NumberColumn(format="percent")}, height=320)
    download_button("下载离线地图（HTML，断网可打开）",
                    data=lambda: standalone_html(build_map(counts, view, project)),
                    file_name=f"{title}.html", mime="text/html", key="dl_map")
    with st.expander("识别方式统计"):
        locs = project_locations(store, project.id, version)
        rows = locs[locs["dimension"] == dimension]
        by_method = rows["method"].map(lambda m: METHOD_LABELS.get(m, m)).value_counts()
        st.dataframe(by_method.rename_axis("识别方式").reset_index(name="条数"), hide_index=True)
    U.layer_upload(target_key="layer")


guarded(main)
