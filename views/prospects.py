"""跨项目潜客: earlier projects' visitors who did not buy, living, working or wanting to buy near a new target."""

from __future__ import annotations

import re
from dataclasses import dataclass

import folium
import pandas as pd
import streamlit as st

from mapping import schema as S
from mapping.db.prospects import Prospects
from mapping.geo import boundaries
from mapping.geo.coords import from_wgs84
from mapping.geo.sites import CRS_LABELS
from mapping.maps import choropleth
from mapping.place import gazetteer as G
from mapping.segments import prospects as P
from ui import tables
from ui.auth import download_button, require, visible_project_ids
from ui.common import NO_PROJECTS, city_choices, city_label, get_store, guarded, pick_project, project_caption
from ui.shared import cached, folium_payload, scope, show_map

NEW_SITE, DISTRICTS, PROJECT = "new", "districts", "project"
MODES = {NEW_SITE: "新地块（地图点选或输入坐标）", DISTRICTS: "只选区县（还没有具体位置）", PROJECT: "已有项目"}
SHOWN_ROWS = 1000  # rows of the list drawn on the page; the downloads hold all of them
PENDING = "px_pending_point"  # session state: a clicked point (WGS-84) for the coordinate inputs of the next run
NO_OTHER = ("你能查看的项目只有这一个，没有其他项目的客户可找：选「新地块」可在本项目的未成交客户里找，"
            "或请管理员把你加入集团的其他项目。")
RATE = st.column_config.NumberColumn(format="percent")


@dataclass(frozen=True)
class Search:
    """What one search found: the prospects, the projects searched, their counts and the *k* of the summaries."""

    found: pd.DataFrame
    sources: pd.DataFrame
    searched: pd.DataFrame
    k: int


def plain(text: str) -> str:
    """User text made literal inside Streamlit markdown (captions, info lines)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:])", r"\\\1", str(text))


# ----------------------------------------------------------------------------- the target
def new_site(project) -> P.Target | None:
    """The new site from the coordinate inputs (a map click fills them); None with a message when unreadable."""
    crs = st.selectbox("坐标系", list(CRS_LABELS), format_func=CRS_LABELS.get, key="px_crs",
                       help="从高德/腾讯地图复制的坐标选 GCJ-02，百度选 BD-09，GPS 选 WGS-84；地图点选会自动换算。")
    pending = st.session_state.pop(PENDING, None)
    if pending is not None or "px_lng" not in st.session_state:
        start = pending or project.site or _city_centre(project.city_adcode)
        x, y = from_wgs84([start[0]], [start[1]], crs)
        st.session_state["px_lng"], st.session_state["px_lat"] = round(float(x[0]), 6), round(float(y[0]), 6)
    c1, c2 = st.columns(2)
    lng = c1.number_input("经度", min_value=-180.0, max_value=180.0, format="%.6f", step=0.001, key="px_lng")
    lat = c2.number_input("纬度", min_value=-90.0, max_value=90.0, format="%.6f", step=0.001, key="px_lat")
    try:
        return P.site_target(lng, lat, crs, min_count=project.min_count)
    except ValueError as exc:
        st.error(str(exc))
        return None


def _city_centre(city: str) -> tuple[float, float]:
    layer = boundaries.load_layer(S.LAYER_DISTRICTS, display=True, city=city)
    minx, miny, maxx, maxy = layer.total_bounds
    return (minx + maxx) / 2, (miny + maxy) / 2


def districts_only(project) -> P.Target:
    """A new site known only by its districts: the city here, the districts below."""
    choices = city_choices(project.city_adcode)
    city = st.selectbox("城市", choices, format_func=city_label, key="px_city", index=choices.index(project.city_adcode))
    return P.Target(name=f"{city_label(city)}所选区县", city=city, min_count=project.min_count)


def existing_project(store, mine: pd.DataFrame, current) -> P.Target:
    ids = [int(i) for i in mine.loc[~mine["archived"], "id"]] or [int(current.id)]
    names = dict(zip(mine["id"].astype(int), mine["name"].astype(str)))
    if st.session_state.get("px_project") not in ids:
        st.session_state["px_project"] = int(current.id) if int(current.id) in ids else ids[0]
    chosen = st.selectbox("目标项目", ids, format_func=lambda i: names.get(i, str(i)), key="px_project")
    target = P.project_target(store.project(chosen))
    if target.site is None:
        st.caption("这个项目还没有设置项目位置（到「项目设置」填写），只能按区县匹配。")
    return target


def click_map(target: P.Target, radius_km: float) -> None:
    """The target city's districts; a click moves the new site there (next run)."""
    payload = cached(("prospects_outline", target.city), lambda: folium_payload(choropleth.outline_map(
        boundaries.load_layer(S.LAYER_DISTRICTS, display=True, city=target.city))))
    group = folium.FeatureGroup(name="目标")
    if target.site is not None:
        folium.Marker([target.lat, target.lng], tooltip="目标位置").add_to(group)
        if radius_km > 0:
            folium.Circle([target.lat, target.lng], radius=radius_km * 1000, color="#1c7ed6", fill=False,
                          weight=2).add_to(group)
    state = show_map(payload, key="px_map", height=420, returned_objects=["last_clicked"], feature_group=group)
    click = (state or {}).get("last_clicked")
    if click and click != st.session_state.get("px_click_done"):
        st.session_state["px_click_done"] = click
        st.session_state[PENDING] = (float(click["lng"]), float(click["lat"]))
        st.rerun()


def criteria_inputs(target: P.Target) -> P.Criteria:
    districts = G.districts_of(target.city)
    if target.adcode and target.adcode not in districts:
        districts = {target.adcode: target.district, **districts}
    if st.session_state.get("px_districts_for") != (target.city, target.adcode):  # a new target: its own district
        st.session_state["px_districts_for"] = (target.city, target.adcode)
        kept = [d for d in st.session_state.get("px_districts", []) if d in districts]  # switching to 只选区县
        st.session_state["px_districts"] = [target.adcode] if target.adcode else kept
    c1, c2, c3 = st.columns([3, 1, 2])
    chosen = c1.multiselect("区县（客户位置在这些区县即匹配）", list(districts), format_func=districts.get,
                            key="px_districts", placeholder="选择区县")
    radius = c2.number_input("或距目标（公里）", min_value=0.0, max_value=P.MAX_RADIUS_KM, value=P.DEFAULT_RADIUS_KM,
                             step=0.5, key="px_radius", help="0 表示不按距离，只按区县", disabled=target.site is None)
    dims = c3.multiselect("匹配依据", list(P.MATCH_ORDER), default=list(P.MATCH_ORDER), key="px_dims",
                          format_func=P.DIMENSION_LABELS.get)
    return P.Criteria(districts=tuple(chosen), radius_km=float(radius), dimensions=tuple(dims))


# ----------------------------------------------------------------------------- results
def summaries(found: pd.DataFrame, sources: pd.DataFrame, searched: pd.DataFrame, k: int) -> None:
    st.subheader("汇总")
    st.caption(f"少于 {k} 人的数不显示（保护个人信息）。一位客户可能同时按几种依据匹配。")
    by_project, by_match, by_distance, by_segment = st.tabs(["按来源项目", "按匹配依据", "按距离", "按客群细分"])
    tables.dataframe(container=by_project, df=P.by_project(found, sources, k, searched), hide_index=True)
    tables.dataframe(container=by_match, df=P.by_match(found, k), hide_index=True, column_config={"占比": RATE})
    tables.dataframe(container=by_distance, df=P.by_distance(found, k), hide_index=True,
                     column_config={"占比": RATE})
    segment = by_segment.selectbox("细分维度", list(P.SEGMENT_LABELS), format_func=P.SEGMENT_LABELS.get,
                                   key="px_segment")
    tables.dataframe(container=by_segment, df=P.by_segment(found, segment, sources, k), hide_index=True)


def customer_list(found: pd.DataFrame, sources: pd.DataFrame) -> None:
    st.subheader("潜客名单")
    st.caption("只有客户编号和客户键，不含手机、姓名和证件号：请在 CRM 里按客户编号找到客户再跟进。"
               "客户键只给没有客户编号的客户（ph: 手机号的加密摘要、row: 整行的加密摘要，前 8 位），不能还原出手机号。")
    table = P.customer_table(found.head(SHOWN_ROWS), sources)
    tables.dataframe(df=table, hide_index=True)
    if len(found) > SHOWN_ROWS:
        st.caption(f"页面只列最近的 {SHOWN_ROWS:,} 位，共 {len(found):,} 位：下载可得全部。")


def downloads(search: Search, target: P.Target, criteria: P.Criteria, project_id: int) -> None:
    found, sources, searched, k = search.found, search.sources, search.searched, search.k
    segment = st.session_state.get("px_segment", S.PRODUCT_LINE)
    stem = f"跨项目潜客 {target.name}"
    c1, c2 = st.columns(2)
    download_button("下载潜客名单（CSV）", data=lambda: P.export_csv(found, sources), file_name=f"{stem}.csv",
                    container=c1, rows=len(found), project_id=project_id, mime="text/csv", key="px_dl_csv")
    download_button("下载潜客名单和汇总（Excel）",
                    data=lambda: P.export_workbook(found, target, criteria, sources, k, segment, searched),
                    file_name=f"{stem}.xlsx", container=c2, rows=len(found), project_id=project_id,
                    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="px_dl_xlsx")


def source_k(store, target: P.Target, sources: pd.DataFrame) -> int:
    """*k* of the summaries: the target project's; for a new site the strictest of the projects searched."""
    if target.project_id is not None:
        return target.min_count
    return max([target.min_count, *(store.project(int(i)).min_count for i in sources["id"])])


# ----------------------------------------------------------------------------- page
def main() -> None:
    require("view")
    store = get_store()
    st.title("跨项目潜客")
    st.caption("新项目或新地块开盘前，先找集团其他项目里没有成交、但住在、工作在或想买在附近的客户（退房不算成交）。"
               "只查你有权查看的项目。")
    current = pick_project(store)
    if current is None:
        return
    project_caption(current)
    projects = store.projects()
    visible = visible_project_ids(store)
    mine = projects if visible is None else projects[projects["id"].isin(visible)]
    if mine.empty:
        st.info(NO_PROJECTS)
        return
    mode = st.radio("目标", list(MODES), format_func=MODES.get, key="px_mode", horizontal=True)
    if mode == NEW_SITE:
        target = new_site(current)
    elif mode == DISTRICTS:
        target = districts_only(current)
    else:
        target = existing_project(store, mine, current)
    if target is None:
        return
    if target.adcode:
        st.caption(f"目标：{plain(target.name)}　所在区县：{plain(target.district)}（{city_label(target.city)}）")
    criteria = criteria_inputs(target)
    if mode == NEW_SITE:  # not in a collapsed expander: Leaflet cannot fit a map it drew at zero size
        st.caption("点击地图上的位置，新地块就移到那里（蓝圈是距离范围）。")
        click_map(target, criteria.radius_km)
    sources = P.source_projects(mine, visible, target)
    if sources.empty:
        st.info(NO_OTHER)
        return
    try:
        checked = criteria.checked(target)
    except ValueError as exc:
        st.warning(str(exc))
        return
    k = source_k(store, target, sources)
    versions = tuple(store.data_version(int(i)) for i in sources["id"])
    key = (scope(store, current.id, "")[0], "prospects", versions, repr(target), repr(checked))
    queries = Prospects(store)
    found = cached((*key, "found"), lambda: P.find(queries, target, checked, sources, P.place_resolver(store)))
    searched = cached((*key, "searched"), lambda: queries.counts(sources["id"]))
    c1, c2, c3 = st.columns(3)
    c1.metric("查找的项目", f"{len(sources):,}")
    c2.metric("其中未成交客户", f"{int(searched['not_bought'].sum()):,}")
    c3.metric("潜客", f"{len(found):,}")
    st.caption(f"匹配条件：{plain(checked.describe(target))}")
    unread = found.attrs.get(P.UNREAD_INTENDED, 0)
    if unread:
        st.caption(f"另有 {unread:,} 位未成交客户填的意向区域无法识别（如「不详」「看房中」），没有参与意向区域匹配。")
    if found.empty:
        st.info("没有符合条件的未成交客户：可以加选区县、放大距离，或多选几种匹配依据。")
        return
    summaries(found, sources, searched, k)
    customer_list(found, sources)
    downloads(Search(found, sources, searched, k), target, checked, target.project_id or int(current.id))


guarded(main)
