"""到访成交对比: where visits turn into deals and where they do not."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from mapping import schema as S
from mapping.analysis import battle as B
from mapping.analysis import conversion as C
from mapping.analysis import grading as G
from mapping.analysis.facts import Filters, area_stats, deals_by_line, period_range
from mapping.export.workbook import plan_workbook
from mapping.maps import dealmap, render
from mapping.maps.offline import standalone_html
from ui import layers as U
from ui.common import get_store, guarded
from ui.context import map_context

COLUMNS = {"area_name": "区域", "quadrant": "象限", "visits": "到访", "deals": "成交", "raw": "原始成交率",
           "rate": "收缩后成交率", "low": "区间下限(90%)", "high": "区间上限(90%)", "top_line": "成交最多的业态",
           "top_share": "该业态占成交", "advice": "建议"}


def controls(project: dict) -> tuple[str, str, str, str, tuple, int]:
    lines = [B.ALL_LINES, *project.product_lines]
    if st.session_state.get("vd_line") not in lines:
        st.session_state["vd_line"] = B.ALL_LINES
    line = st.segmented_control("业态", lines, format_func=B.line_label, key="vd_line", required=True)
    c1, c2, c3, c4, c5 = st.columns([2, 2, 2, 2, 1])
    dimension = c1.selectbox("维度", S.DIMENSIONS, format_func=S.DIMENSION_LABELS.get, key="vd_dimension",
                             help="不只看居住地：工作地、生活娱乐地同样可以对比")
    ids = U.layer_ids(hexagons=False)
    if st.session_state.get("vd_layer") not in ids:
        st.session_state["vd_layer"] = project.area_layer if project.area_layer in ids else S.LAYER_DISTRICTS
    layer_id = c2.selectbox("区域单元", ids, format_func=U.layer_label, key="vd_layer")
    periods = {"all": "全部时间", "pre": "开盘前到访", "post": "开盘后到访"} if project.launch_date else {
        "all": "全部时间"}
    period = c3.selectbox("到访时间", list(periods), format_func=periods.get, key="vd_period")
    basemap = c4.selectbox("底图", list(render.BASEMAPS), format_func=render.basemap_labels().get, key="vd_basemap")
    k = int(c5.number_input("最少样本", 1, 100, G.DEFAULT_MIN_COUNT, key="vd_min_count",
                            help="到访少于此数的区域不显示人数、不参与判断"))
    bounds = period_range(period, project.launch_date, None)
    return line, dimension, layer_id, basemap, bounds, k


def reading(facts, layer_id, line, dimension, bounds, k) -> pd.DataFrame:
    layer = U.polygon_layer(layer_id)
    filters = Filters(product_line=line or None, start=bounds[0], end=bounds[1])
    stats = area_stats(facts, layer_id, filters, layer)
    names = U.names_of(layer_id, stats["area_id"].tolist())
    counts = stats[["area_id"]].assign(visits=stats[f"visits_{dimension}"], deals=stats[f"deals_{dimension}"])
    counts = counts.merge(names, on="area_id", how="left")
    counts = counts[counts["visits"] > 0]
    mix = C.deal_mix(deals_by_line(facts, layer_id, dimension, filters, layer))
    return C.table(counts, mix, k)


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


def main() -> None:
    store = get_store()
    st.title("到访成交对比")
    st.caption("哪里的到访变成了成交，哪里没有。成交率按项目平均做了小样本收缩：2 组到访 1 组成交的区域不会排到最前。")
    ctx = map_context(store)
    if ctx is None:
        return
    project, facts = ctx.project, ctx.facts
    line, dimension, layer_id, basemap, bounds, k = controls(project)
    table = reading(facts, layer_id, line, dimension, bounds, k)
    if table.empty:
        st.info("当前条件下没有落到地图上的客户。换一个维度、业态或时间试试。")
        return
    selected = st.session_state.get("vd_area")
    title = f"{project.name} · {B.line_label(line)} · {S.DIMENSION_LABELS[dimension]}"
    lines = [*project.product_lines, *[c.removeprefix("deals_") for c in table.columns
                                        if c.startswith("deals_") and c != "deals_total"
                                        and c.removeprefix("deals_") not in project.product_lines]]
    polygons = U.area_polygons(layer_id, table["area_id"].tolist(), display=True)
    left, right = st.columns([3, 2], gap="medium")
    with right:
        st.markdown("**四象限**（点选一个区域，地图上同时高亮）")
        event = st.altair_chart(quadrant_chart(table, selected), on_select="rerun", key="vd_quadrant",
                                width="stretch")
        st.caption(f"横线：项目平均成交率 {table.attrs['average']:.1%}；竖线：到访中位数 "
                   f"{table.attrs['visit_split']:,.0f} 人。" + "；".join(f"{q}＝{h}" for q, h in C.QUADRANT_HELP.items()))
    with left:
        m = dealmap.visits_deals_map(polygons, table, lines, basemap=basemap, title=title, min_count=k,
                                     selected=selected)
        state = st_folium(m, height=560, use_container_width=True, returned_objects=["last_active_drawing"],
                          key=f"vd_map_{layer_id}_{basemap}")
    area = pick_area(state, event)
    if area != selected:
        st.rerun()  # redraw the map and the chart with the new highlight
    small = int((table["quadrant"] == "样本不足").sum())
    st.caption(f"收缩强度：相当于每个区域先加上 {table.attrs['prior_strength']:,.0f} 组按项目平均成交的虚拟到访。"
               + (f"{small} 个区域到访少于 {k} 人，不显示人数、不作判断。" if small else ""))
    if area is not None and (table["area_id"] == area).any():
        row = table[table["area_id"] == area].iloc[0]
        if row["quadrant"] == "样本不足":
            st.info(f"**{row['area_name']}**：到访少于 {k} 人，不作判断。")
        else:
            st.success(f"**{row['area_name']}** · {row['quadrant']}：到访 {int(row['visits']):,}，成交 "
                       f"{int(row['deals']):,}，成交率 {row['raw']:.1%}（收缩后 {row['rate']:.1%}，90% 区间 "
                       f"{row['low']:.1%}–{row['high']:.1%}）。{row['advice']}。")
    st.markdown("#### 建议")
    shown = table.copy()
    hidden = shown["quadrant"] == "样本不足"
    for col in ("visits", "deals", "top_share"):
        shown[col] = shown[col].astype(float).where(~hidden)
    shown["top_line"] = shown["top_line"].where(~hidden, "")
    st.dataframe(shown[list(COLUMNS)].rename(columns=COLUMNS), hide_index=True, height=380, column_config={
        c: st.column_config.NumberColumn(format="percent") for c in
        ("原始成交率", "收缩后成交率", "区间下限(90%)", "区间上限(90%)", "该业态占成交")})
    st.markdown("#### 各区域成交业态构成")
    mix_cols = [c for c in table.columns if c.startswith("share_")]
    mix = table[(~hidden) & (table["deals_total"] > 0)].set_index("area_name")[mix_cols]
    mix.columns = [c.removeprefix("share_") for c in mix_cols]
    if mix.empty:
        st.caption("当前条件下没有成交。")
    else:
        top = mix.loc[table[(~hidden) & (table["deals_total"] > 0)].nlargest(15, "visits")["area_name"]]
        long = top.reset_index().melt("area_name", var_name="业态", value_name="占比")
        chart = alt.Chart(long).mark_bar().encode(
            y=alt.Y("area_name:N", title="区域（到访最多的 15 个）", sort=list(top.index)),
            x=alt.X("占比:Q", stack="normalize", axis=alt.Axis(format="%"), title="成交中各业态占比"),
            color=alt.Color("业态:N", scale=alt.Scale(domain=list(top.columns),
                                                    range=[dealmap.line_colour(x, lines) for x in top.columns])),
            tooltip=["area_name", "业态", alt.Tooltip("占比:Q", format=".0%")])
        st.altair_chart(chart, width="stretch")
    stem = f"{project.name}_到访成交对比_{dt.date.today():%Y%m%d}"
    c1, c2 = st.columns(2)
    c1.download_button("对比表（Excel）", data=lambda: plan_workbook(
        {f"{B.line_label(line)}·{S.DIMENSION_LABELS[dimension]}": shown[list(COLUMNS)].rename(columns=COLUMNS)},
        {"项目": project.name, "业态": B.line_label(line), "维度": S.DIMENSION_LABELS[dimension],
         "区域单元": U.layer_label(layer_id), "项目平均成交率": f"{table.attrs['average']:.2%}",
         "最少样本数": str(k), "生成时间": dt.datetime.now().strftime("%Y-%m-%d %H:%M")}, title="到访成交对比"),
        file_name=f"{stem}.xlsx", icon=":material/table:", key="vd_dl_xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    c2.download_button("离线地图（HTML）", data=lambda: standalone_html(dealmap.visits_deals_map(
        polygons, table, lines, basemap=basemap, title=title, min_count=k)), file_name=f"{stem}.html",
        mime="text/html", icon=":material/map:", key="vd_dl_html")


guarded(main)
