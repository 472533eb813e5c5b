"""到访成交对比: where visits turn into deals and where they do not."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import altair as alt
import folium
import geopandas as gpd
import pandas as pd
import streamlit as st

from mapping import schema as S
from mapping.analysis import battle as B
from mapping.analysis import conversion as C
from mapping.analysis import conversion_tables as CT
from mapping.analysis.facts import Filters, period_range
from mapping.export.comparisons import conversion_workbook
from mapping.maps import dealmap, render
from mapping.maps.offline import standalone_html
from mapping.maps.overlays import project_sites
from ui import battle_segments as BS
from ui import layers as U
from ui.auth import download_button, require
from ui.common import get_store, guarded
from ui.context import MapContext, map_context
from ui.shared import cached, folium_payload, frame_digest, show_map

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAP_HEIGHT = 620


@dataclass(frozen=True)
class Reading:
    """The page's reading under the chosen settings: the per-area table, the product lines
    of its deals (the pies' slices), the areas' polygons and the map title."""

    table: pd.DataFrame
    lines: list[str]
    polygons: gpd.GeoDataFrame
    title: str

    def map(self, ctx: MapContext, selected: str | None = None) -> folium.Map:
        return dealmap.visits_deals_map(self.polygons, self.table, self.lines, basemap=ctx.basemap,
                                        title=self.title, min_count=ctx.min_count, selected=selected,
                                        sites=project_sites(ctx.project), borders=ctx.city_borders())


def controls(ctx: MapContext) -> MapContext:
    """The context with the user's line, dimension, area unit, visit period, basemap and minimum count."""
    project = ctx.project
    lines = [B.ALL_LINES, *project.product_lines]
    if st.session_state.get("vd_line") not in lines:
        st.session_state["vd_line"] = B.ALL_LINES
    line = st.segmented_control("业态", lines, format_func=B.line_label, key="vd_line", required=True)
    c1, c2, c3, c4, c5 = st.columns([2, 2, 2, 2, 1])
    dimension = c1.selectbox("维度", S.DIMENSIONS, format_func=S.DIMENSION_LABELS.get, key="vd_dimension",
                             help="不只看居住地：工作地、生活娱乐地同样可以对比")
    ids = ctx.layer_ids(hexagons=False)
    U.default_layer("vd_layer", project.area_layer, ids)
    layer_id = c2.selectbox("区域单元", ids, format_func=U.layer_label, key="vd_layer")
    periods = {"all": "全部时间", "pre": "开盘前到访", "post": "开盘后到访"} if project.launch_date else {
        "all": "全部时间"}
    period = c3.selectbox("到访时间", list(periods), format_func=periods.get, key="vd_period")
    basemap = c4.selectbox("底图", list(render.BASEMAPS), format_func=render.basemap_labels().get, key="vd_basemap")
    if st.session_state.get("vd_min_count", project.min_count) < project.min_count:  # the project's k was raised since
        st.session_state["vd_min_count"] = project.min_count
    k = int(c5.number_input("最少样本", project.min_count, 100, project.min_count, key="vd_min_count",
                            help=f"到访少于此数的区域不显示人数、不参与判断（项目设置的下限是 {project.min_count}）"))
    start, end = period_range(period, project.launch_date, None)
    ctx = BS.with_segments(ctx)  # customer segments as a filter, as on the battle map
    with st.expander("客群细分筛选（面积段、总价段、行业、籍贯…）", expanded=bool(st.session_state.get("vd_seg_values"))):
        segments = BS.segment_filter(ctx, "", prefix="vd")
    return ctx.with_(line=line, dimension=dimension, layer_id=layer_id, basemap=basemap, min_count=k,
                     filters=Filters(product_line=line or None, start=start, end=end, segments=segments))


def reading(ctx: MapContext) -> Reading | None:
    """The per-area reading of the context's settings; None when no visitor falls on the map."""
    table = CT.area_reading(ctx.facts, ctx.layer_id, ctx.dimension, ctx.filters, ctx.min_count,
                            layer=ctx.layer(), names=ctx.area_names())
    if table.empty:
        return None
    title = f"{ctx.project.name} · {ctx.line_label()} · {S.DIMENSION_LABELS[ctx.dimension]}"
    return Reading(table, CT.deal_lines(table, ctx.project.product_lines),
                   ctx.polygons(table["area_id"].tolist()), title)


def shared_map(ctx: MapContext, r: Reading) -> dict:
    """What st_folium sends for the reading's map, rendered once per process for every session showing the
    same map: same data version, unit, dimension, filters (line, period), k, basemap, title and sites.  The
    chosen area's outline is each session's own (:func:`chart_and_map`)."""
    key = ctx.key("vd_map", ctx.dimension, repr(ctx.filters), ctx.min_count, ctx.basemap, r.title, tuple(r.lines),
                  repr(project_sites(ctx.project)), frame_digest(r.table))
    return cached(key, lambda: folium_payload(r.map(ctx)))


def quadrant_chart(table: pd.DataFrame, selected: str | None):
    data = table[table["quadrant"] != "样本不足"].copy()
    data["selected"] = data["area_id"] == selected
    data["成交率"] = data["rate"]
    base = alt.Chart(data)
    pick = alt.selection_point(fields=["area_id"], name="pick", on="click")
    colour = alt.Color("quadrant:N", title="象限", scale=alt.Scale(domain=list(C.QUADRANTS),
                                                               range=[C.QUADRANT_COLOURS[q] for q in C.QUADRANTS]))
    x = alt.X("visits:Q", title="到访人数（对数刻度）", scale=alt.Scale(type="log"))
    bars = base.mark_rule(opacity=0.35).encode(x=x, y=alt.Y("low:Q", axis=alt.Axis(format="%")), y2="high:Q",
                                               color=colour)
    points = base.mark_circle(opacity=0.9, stroke="#111111").encode(
        x=x, y=alt.Y("rate:Q", title="成交率（收缩后，竖线为 90% 区间）", axis=alt.Axis(format="%")), color=colour,
        size=alt.condition(alt.datum.selected, alt.value(420), alt.value(110)),
        strokeWidth=alt.condition(alt.datum.selected, alt.value(2.5), alt.value(0)),
        tooltip=[alt.Tooltip("area_name:N", title="区域"), alt.Tooltip("quadrant:N", title="象限"),
                 alt.Tooltip("visits:Q", title="到访", format=","), alt.Tooltip("deals:Q", title="成交"),
                 alt.Tooltip("raw:Q", title="原始成交率", format=".1%"),
                 alt.Tooltip("rate:Q", title="收缩后", format=".1%"), alt.Tooltip("advice:N", title="建议")],
    ).add_params(pick)
    labels = base.transform_filter(alt.datum.visits >= float(data["visits"].quantile(0.6)) if len(data) else True
                                   ).mark_text(dx=8, align="left", fontSize=11).encode(
        x=x, y="rate:Q", text="area_name:N")
    rules = alt.Chart(pd.DataFrame({"rate": [table.attrs["average"]]})).mark_rule(strokeDash=[4, 4]).encode(
        y="rate:Q")
    vrule = alt.Chart(pd.DataFrame({"visits": [max(table.attrs["visit_split"], 1)]})).mark_rule(
        strokeDash=[4, 4]).encode(x="visits:Q")
    return (bars + points + labels + rules + vrule).properties(height=460)


def pick_area(map_state: dict | None, chart_event) -> str | None:
    """The area chosen last, on the map or in the chart (each widget keeps its own last choice)."""
    clicked = ((map_state or {}).get("last_active_drawing") or {}).get("properties", {}).get("area_id")
    chosen = None
    if chart_event is not None:
        rows = (chart_event.get("selection") or {}).get("pick") or []
        chosen = rows[0].get("area_id") if rows else None
    last = st.session_state.setdefault("vd_seen", {"map": None, "chart": None})
    area = st.session_state.get("vd_area")
    if clicked != last["map"]:
        area = clicked or area
    if chosen != last["chart"]:
        area = chosen or area
    st.session_state["vd_seen"] = {"map": clicked, "chart": chosen}
    st.session_state["vd_area"] = area
    return area


def chart_and_map(ctx: MapContext, r: Reading, selected: str | None) -> str | None:
    """The quadrant chart beside the map; the area chosen last on either."""
    table = r.table
    left, right = st.columns([3, 2], gap="medium")
    with right:
        st.markdown("**四象限**（点选一个区域，地图上同时高亮）")
        event = st.altair_chart(quadrant_chart(table, selected), on_select="rerun", key="vd_quadrant",
                                width="stretch")
        st.caption(f"横线：项目平均成交率 {table.attrs['average']:.1%}；竖线：到访中位数 "
                   f"{table.attrs['visit_split']:,.0f} 人。" + "；".join(f"{q}＝{h}" for q, h in C.QUADRANT_HELP.items()))
    with left:  # the chosen area's outline travels apart, so a pick does not redraw (remount) the map
        state = show_map(shared_map(ctx, r), height=MAP_HEIGHT, use_container_width=True,
                         feature_group=dealmap.selection_layer(r.polygons, selected, ctx.basemap),
                         returned_objects=["last_active_drawing"], key=f"vd_map_{ctx.layer_id}_{ctx.basemap}")
    return pick_area(state, event)


def area_note(table: pd.DataFrame, area: str | None, k: int) -> None:
    """What the reading says about the chosen area."""
    if area is None or not (table["area_id"] == area).any():
        return
    row = table[table["area_id"] == area].iloc[0]
    if row["quadrant"] == "样本不足":
        st.info(f"**{row['area_name']}**：到访少于 {k} 人，不作判断。")
    else:
        st.success(f"**{row['area_name']}** · {row['quadrant']}：到访 {int(row['visits']):,}，成交 "
                   f"{int(row['deals']):,}，成交率 {row['raw']:.1%}（收缩后 {row['rate']:.1%}，90% 区间 "
                   f"{row['low']:.1%}–{row['high']:.1%}）。{row['advice']}。")


def mix_chart(table: pd.DataFrame, lines: list[str]) -> None:
    st.markdown("#### 各区域成交业态构成")
    top = CT.mix_of_top_areas(table, 15)
    if top.empty:
        st.caption("当前条件下没有成交。")
        return
    long = top.reset_index().melt("area_name", var_name="业态", value_name="占比")
    chart = alt.Chart(long).mark_bar().encode(
        y=alt.Y("area_name:N", title="区域（到访最多的 15 个）", sort=list(top.index)),
        x=alt.X("占比:Q", stack="normalize", axis=alt.Axis(format="%"), title="成交中各业态占比"),
        color=alt.Color("业态:N", scale=alt.Scale(domain=list(top.columns),
                                                range=[dealmap.line_colour(x, lines) for x in top.columns])),
        tooltip=["area_name", "业态", alt.Tooltip("占比:Q", format=".0%")])
    st.altair_chart(chart, width="stretch")


def downloads(ctx: MapContext, r: Reading) -> None:
    stem = f"{ctx.project.name}_到访成交对比_{dt.date.today():%Y%m%d}"
    c1, c2 = st.columns(2)
    download_button("对比表（Excel）", container=c1, rows=len(r.table), data=lambda: conversion_workbook(
        r.table, project=ctx.project.name, line=ctx.line_label(), dimension=S.DIMENSION_LABELS[ctx.dimension],
        layer=ctx.layer_label(), min_count=ctx.min_count), file_name=f"{stem}.xlsx", icon=":material/table:",
        key="vd_dl_xlsx", mime=XLSX)
    download_button("离线地图（HTML）", container=c2, data=lambda: standalone_html(r.map(ctx)),
                    file_name=f"{stem}.html", mime="text/html", icon=":material/map:", key="vd_dl_html")


def main() -> None:
    require("view")
    store = get_store()
    st.title("到访成交对比")
    st.caption("哪里的到访变成了成交，哪里没有。成交率按项目平均做了小样本收缩：2 组到访 1 组成交的区域不会排到最前。")
    ctx = map_context(store)
    if ctx is None:
        return
    ctx = controls(ctx)
    r = reading(ctx)
    if r is None:
        st.info("当前条件下没有落到地图上的客户。换一个维度、业态或时间试试。")
        return
    table, k = r.table, ctx.min_count
    selected = st.session_state.get("vd_area")
    area = chart_and_map(ctx, r, selected)
    if area != selected:
        st.rerun()  # redraw the map and the chart with the new highlight
    small = int((table["quadrant"] == "样本不足").sum())
    st.caption(f"收缩强度：相当于每个区域先加上 {table.attrs['prior_strength']:,.0f} 组按项目平均成交的虚拟到访。"
               + (f"{small} 个区域到访少于 {k} 人，不显示人数、不作判断。" if small else ""))
    area_note(table, area, k)
    st.markdown("#### 建议")
    st.dataframe(CT.public_reading(table), hide_index=True, height=380, column_config={
        c: st.column_config.NumberColumn(format="percent") for c in CT.PERCENT_COLUMNS})
    mix_chart(table, r.lines)
    downloads(ctx, r)


guarded(main)
