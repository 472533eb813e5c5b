"""客群细分: where to find customers at work (行业 × 园区/区域), where they come from (籍贯), what they want (面积段/总价段)."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from mapping.analysis import battle as B
from mapping.maps import render, segmentmap
from mapping.maps.offline import standalone_html
from mapping.maps.overlays import project_sites
from mapping.segments import band_tables as BT
from mapping.segments import origin as O
from mapping.segments import work as W
from mapping.segments.axis import project_bands
from mapping.segments.bands import BandError
from ui import layers as U
from ui import segment_views as V
from ui.auth import allowed, download_button, require
from ui.common import get_store, guarded, notice
from ui.context import MapContext, map_context
from ui.shared import cached, folium_payload, frame_digest, show_map
from ui.tables import dataframe

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAP_HEIGHT = 560
ALL_INDUSTRIES = "全部行业"
PERCENT = {"成交率": st.column_config.NumberColumn(format="percent"),
           "占比": st.column_config.NumberColumn(format="percent")}


def _line_picker(ctx: MapContext, key: str) -> str:
    lines = [B.ALL_LINES, *ctx.project.product_lines]
    if st.session_state.get(key) not in lines:
        st.session_state[key] = B.ALL_LINES
    return st.segmented_control("业态", lines, format_func=B.line_label, key=key, required=True,
                                help="选了业态：到访＝意向或成交为该业态的客户，成交＝买了该业态的客户")


def _stem(ctx: MapContext, what: str) -> str:
    return f"{ctx.project.name}_{what}_{dt.date.today():%Y%m%d}"


# ----------------------------------------------------------------------------- 工作地·行业拓客清单
def work_tab(ctx: MapContext) -> None:
    st.caption("按工作地找客户：哪些园区、哪些区域、哪些行业的人来了、买了。工作地在产业园/保税区/CBD 地标 "
               f"{W.PARK_RADIUS_M / 1000:g} 公里内（同一区县）的算作该园区，其余按区域单元。")
    line = _line_picker(ctx, "sg_line")
    c1, c2, c3 = st.columns([2, 2, 2])
    ids = ctx.layer_ids(hexagons=False)
    U.default_layer("sg_layer", ctx.project.area_layer, ids)
    layer_id = c1.selectbox("区域单元", ids, format_func=U.layer_label, key="sg_layer")
    ctx = ctx.with_(layer_id=layer_id, line=line, min_count=ctx.project.min_count)
    rows = V.work_rows(ctx, line)
    if rows.empty:
        st.info("当前条件下没有填了工作地的客户。换一个业态试试，或在导入时对应好「工作区域」列。")
        return
    present = {str(v) for v in rows["industry"].unique()}  # by codes: rows hold categoricals
    industries = sorted(present - {W.NO_INDUSTRY}) + ([W.NO_INDUSTRY] if W.NO_INDUSTRY in present else [])
    if st.session_state.get("sg_industry") not in [ALL_INDUSTRIES, *industries]:  # gone with another line
        st.session_state["sg_industry"] = ALL_INDUSTRIES
    industry = c2.selectbox("地图上的行业", [ALL_INDUSTRIES, *industries], key="sg_industry")
    basemap = c3.selectbox("底图", list(render.BASEMAPS), format_func=render.basemap_labels().get, key="sg_basemap")
    k = ctx.min_count
    names = ctx.area_names()
    targeting = cached(ctx.key("sg_targeting", line, k, repr(ctx.filters), frame_digest(names)),
                       lambda: W.targeting_list(rows, names, k))
    share = line or ("公寓" if "公寓" in ctx.project.product_lines else None)  # whose share of the deals to show
    st.markdown("#### 企业拓客清单（地点 × 行业）")
    if targeting.table.empty:
        st.info(f"没有哪个地点×行业组合的到访达到 {k} 人（最少样本），清单为空。")
    else:
        dataframe(W.with_line_share(targeting.table, share), column_config={**PERCENT, f"{share}占成交": PERCENT["占比"]},
                  hide_index=True, height=420, key="sg_list")
    st.caption(f"工作地平均成交率 {targeting.average:.1%}。" + targeting.note(k))
    with st.expander("建议动作怎么来的"):
        for name, text in W.ACTION_HELP.items():
            st.markdown(f"- **{name}**：{text}")
    areas = cached(ctx.key("sg_area_industries", line, k, repr(ctx.filters), frame_digest(names)),
                   lambda: W.area_industries(rows, names, k))
    st.markdown("#### 各区域的到访行业与成交行业")
    dataframe(areas, column_config=PERCENT, hide_index=True, key="sg_areas")
    st.caption(f"只列出工作地到访至少 {k} 人的区域；行业只在该区域到访至少 {k} 人时列名。")
    _work_map(ctx, rows, names, None if industry == ALL_INDUSTRIES else industry, basemap)
    download_button("拓客清单（Excel）", rows=len(targeting.table), key="sg_dl_xlsx", mime=XLSX,
                    icon=":material/table:", file_name=f"{_stem(ctx, '工作地行业拓客清单')}.xlsx",
                    data=lambda: W.targeting_workbook(targeting, areas, project=ctx.project.name,
                                                      line=B.line_label(line), layer=ctx.layer_label(), min_count=k,
                                                      share_line=share))


def _work_map(ctx: MapContext, rows: pd.DataFrame, names: pd.DataFrame, industry: str | None, basemap: str) -> None:
    title = f"{ctx.project.name} · 工作地 · {B.line_label(ctx.line)} · {industry or ALL_INDUSTRIES}"
    parks = W.parks(ctx.project.city_adcode)

    def build():
        areas, in_parks = W.map_counts(rows, names, parks, industry)
        polygons = ctx.polygons(areas.loc[areas["visits"] > 0, "area_id"].tolist() or areas["area_id"].tolist())
        return segmentmap.work_map(polygons, areas, in_parks, min_count=ctx.min_count, title=title, basemap=basemap,
                                   sites=project_sites(ctx.project), borders=ctx.city_borders())

    st.markdown(f"#### 工作地地图：{industry or ALL_INDUSTRIES}")
    payload = cached(ctx.key("sg_work_map", ctx.line, industry, basemap, ctx.min_count, repr(ctx.filters)),
                     lambda: folium_payload(build()))
    show_map(payload, height=MAP_HEIGHT, returned_objects=[], key=f"sg_work_map_{ctx.layer_id}_{basemap}")
    st.caption(f"区域按工作地到访人数着色（少于 {ctx.min_count} 人为灰色、不显示人数）；蓝圈为到访至少 "
               f"{ctx.min_count} 人的园区，大小按人数。")
    download_button("工作地地图（HTML）", key="sg_dl_work_html", mime="text/html", icon=":material/map:",
                    file_name=f"{_stem(ctx, '工作地地图')}.html", data=lambda: standalone_html(build()))


# ----------------------------------------------------------------------------- 籍贯地图
def origin_tab(ctx: MapContext) -> None:
    columns = V.segment_frame(ctx)
    if not O.has_hometown(columns):
        st.info("这个项目还没有籍贯数据。" + O.HOMETOWN_HOWTO)
        return
    line = _line_picker(ctx, "sg_origin_line")
    c1, c2, c3 = st.columns(3)
    level = c1.radio("按", list(O.LEVELS), format_func=lambda v: "省" if v == "province" else "市（地级）",
                     horizontal=True, key="sg_origin_level")
    value = c2.radio("地图显示", ["到访", "成交"], horizontal=True, key="sg_origin_value")
    basemap = c3.selectbox("底图", list(render.BASEMAPS), format_func=render.basemap_labels().get,
                           key="sg_origin_basemap")
    k = ctx.project.min_count
    origins = cached(ctx.key("sg_origin", line, level, k),
                     lambda: O.origin_table(V.visitors(ctx), columns, level, k, product_line=line or None))
    title = f"{ctx.project.name} · 籍贯（{O.LEVELS[level]}） · {B.line_label(line)}"

    def build():
        outlines = O.polygons("province") if level == "city" else None
        return segmentmap.origin_map(origins.table, O.polygons(level), level=level, min_count=k, title=title,
                                     value=value, basemap=basemap, outlines=outlines)

    if origins.table.empty:
        st.info(f"没有哪个地区的到访达到 {k} 人（最少样本），不显示地图。")
    else:
        payload = cached(ctx.key("sg_origin_map", line, level, value, basemap, k), lambda: folium_payload(build()))
        show_map(payload, height=MAP_HEIGHT, returned_objects=[], key=f"sg_origin_map_{level}_{basemap}")
        dataframe(origins.table.drop(columns=["所属省份", "在地图上"]) if level == "province" else origins.table,
                  column_config=PERCENT, hide_index=True, key="sg_origin_table")
    st.caption(origins.note(k) + "籍贯只保存到城市，身份证号本身不保存。在「作战地图」的「每张地图按」里，"
               "籍贯（省）/籍贯（市）也可以作为细分，一张地图一个籍贯。")
    c1, c2 = st.columns(2)
    stem = _stem(ctx, f"籍贯_{O.LEVELS[level]}")
    download_button("籍贯表（Excel）", container=c1, rows=len(origins.table), key="sg_origin_dl", mime=XLSX,
                    icon=":material/table:", file_name=f"{stem}.xlsx",
                    data=lambda: O.origin_workbook(origins, project=ctx.project.name, line=B.line_label(line),
                                                   min_count=k))
    if not origins.table.empty:
        download_button("籍贯地图（HTML）", container=c2, key="sg_origin_dl_html", mime="text/html",
                        icon=":material/map:", file_name=f"{stem}.html", data=lambda: standalone_html(build()))


# ----------------------------------------------------------------------------- 面积段/总价段
def _saved_texts(ctx: MapContext) -> dict[str, str]:
    """The cut points the editor starts from: the saved ones, else the defaults'."""
    try:
        bands = project_bands(ctx.project)
    except BandError:
        bands = project_bands(type("P", (), {"segment_bands": ""})())
    return {kind: BT.cut_text(table) for kind, table in bands.items()}


def band_editor(ctx: MapContext) -> None:
    """The project's 面积段/总价段: a form for roles that may change settings, the labels for others."""
    texts = _saved_texts(ctx)
    if not allowed("settings"):
        st.caption(f"面积段分段点：{texts['area']}（㎡）；总价段分段点：{texts['price']}（万元）。"
                   "只有能修改项目设置的角色可以改分段。")
        return
    with st.form("sg_bands_form"):
        st.markdown("**本项目的分段**（填分段点，用逗号隔开；0 和「以上」会自动加上）")
        c1, c2 = st.columns(2)
        area = c1.text_input("面积段分段点（㎡）", texts["area"], key="sg_band_area", help="如 90, 120, 144, 180")
        price = c2.text_input("总价段分段点（万元）", texts["price"], key="sg_band_price",
                              help="如 200, 300, 500, 800, 1000")
        saved = st.form_submit_button("保存分段", key="sg_band_save")
    if saved:
        try:
            ctx.store.set_segment_bands(ctx.project.id, area, price)
        except ValueError as exc:
            st.error(f"分段没有保存：{exc}")
            return
        notice("分段已保存：本页、作战地图的面积段/总价段都按新的分段重新统计。")
        st.rerun()


def bands_tab(ctx: MapContext) -> None:
    band_editor(ctx)
    kind = st.radio("看", list(BT.KINDS), format_func=lambda v: BT.KINDS[v][2], horizontal=True, key="sg_band_kind")
    column, label, band_label = BT.KINDS[kind]
    try:
        bands = project_bands(ctx.project)[kind]
    except BandError as exc:
        st.error(f"{exc}")
        return
    columns = V.segment_frame(ctx)
    k = ctx.project.min_count
    table = cached(ctx.key("sg_bands", kind, ctx.project.segment_bands, k),
                   lambda: BT.band_distribution(V.visitors(ctx), columns, bands, k, list(ctx.project.product_lines)))
    st.markdown(f"#### {band_label} × 业态（按意向业态）")
    _band_chart(table, bands.categories)
    dataframe(table.drop(columns="样本不足"), column_config=PERCENT, hide_index=True, key="sg_band_table")
    small = int(table["样本不足"].sum())
    if small:
        st.caption(f"{small} 个{band_label}×业态格子到访少于 {k} 人，不显示人数。")
    values = columns[column] if column in columns else pd.Series([], dtype=object)
    unread = cached(ctx.key("sg_unread", kind), lambda: BT.unread_summary(values.astype(str).to_numpy(), kind))
    st.markdown(f"#### 读不懂的{label}")
    st.caption(unread.note(label))
    if not unread.top.empty:
        dataframe(unread.top, hide_index=True, key="sg_unread_table")
        st.caption("只列出最常见的 10 个；改好源文件后重新导入即可。")


def _band_chart(table: pd.DataFrame, order: list[str]) -> None:
    data = table[(table["业态"] != "全部业态") & ~table["样本不足"]].astype({"到访": float})
    if data.empty:
        st.caption("没有哪个分段×业态的到访达到最少样本。")
        return
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("段:N", sort=order, title=None), x=alt.X("到访:Q", title="到访人数"),
        color=alt.Color("业态:N"), tooltip=["段", "业态", "到访", "成交", alt.Tooltip("成交率:Q", format=".1%")])
    st.altair_chart(chart, width="stretch")


# ----------------------------------------------------------------------------- page
VIEWS = {"work": "工作地·行业拓客清单", "origin": "籍贯地图", "bands": "面积段/总价段"}


def main() -> None:
    require("view")
    store = get_store()
    st.title("客群细分")
    st.caption("同一个项目的客户可以再细分：按工作地的行业和园区找企业拓客，按籍贯看客户从哪里来，按意向面积、总价看要什么。")
    ctx = map_context(store)
    if ctx is None:
        return
    # one view at a time (not st.tabs): only the chosen one is computed, and a map drawn in a hidden tab
    # gets no size, so Leaflet fitted it to the whole world
    if st.session_state.get("sg_view") not in VIEWS:
        st.session_state["sg_view"] = "work"
    view = st.segmented_control("看什么", list(VIEWS), format_func=VIEWS.get, key="sg_view", required=True,
                                label_visibility="collapsed")
    {"work": work_tab, "origin": origin_tab, "bands": bands_tab}[view](ctx)


guarded(main)
