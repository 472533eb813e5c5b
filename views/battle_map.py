"""拓客作战地图: areas graded A/B/C/D per product line (or per value of a customer segment, combined with
the product line: ui/battle_segments.py), the plan and its exports."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import astuple, replace

import pandas as pd
import streamlit as st
from folium.plugins import Draw

from mapping import schema as S
from mapping.analysis import battle as B
from mapping.analysis import grading as G
from mapping.analysis.aggregate import Coverage
from mapping.analysis.facts import coverage, top_places, visitors_in
from mapping.export import plan as P
from mapping.geo import hexgrid, layers, sites
from mapping.maps import battlemap as BM
from mapping.maps import printmap, render
from mapping.maps.offline import standalone_html
from mapping.maps.overlays import project_sites
from ui import battle_controls as BC
from ui import battle_segments as BS
from ui import layers as U
from ui import plans as UP
from ui import trail
from ui.auth import allowed, download_button, refusal, require
from ui.common import get_store, guarded
from ui.context import MapContext, map_context
from ui.shared import cached, folium_payload, frame_digest, show_map

MAP_HEIGHT = 720  # the page's main object: most of a laptop screen
LAYER_CHOICES = {"hex": "H3 六边形（有坐标的位置）", "heat": "热力图", "points": "客户聚集点",
                 "sites": "项目与竞品", "opportunity": "机会战场（对照已存计划）", "draw": "手绘区域"}
PROFILE = {S.AGE_BAND: "年龄段", S.INDUSTRY: "行业", S.INCOME_BAND: "收入", S.FAMILY: "家庭结构", S.PURPOSE: "置业目的"}


# ----------------------------------------------------------------------------- settings
def choose_line(ctx: MapContext) -> str:
    """The product line: one battle map per line (directly above the map)."""
    lines = [B.ALL_LINES, *[x for x in ctx.project.product_lines if x]]
    if st.session_state.get("bm_line") not in lines:
        st.session_state["bm_line"] = B.ALL_LINES
    return st.segmented_control("业态（每个业态一张作战地图）", lines, format_func=B.line_label, key="bm_line",
                                required=True)


def choose_view(ctx: MapContext) -> MapContext:
    """Dimension, area unit and basemap (in the side panel), added to the context."""
    dimension = st.selectbox("维度", G.DIMENSION_CHOICES, format_func=G.DIMENSION_LABELS.get, key="bm_dimension")
    ids = ctx.layer_ids()
    U.default_layer("bm_layer", ctx.project.area_layer, ids)
    layer_id = st.selectbox("分级单元", ids, format_func=U.layer_label, key="bm_layer")
    basemap = st.selectbox("底图", list(render.BASEMAPS), format_func=render.basemap_labels().get, key="bm_basemap")
    return ctx.with_(dimension=dimension, layer_id=layer_id, basemap=basemap)


def current_run(ctx: MapContext, settings: B.Settings) -> B.Run:
    """The run for these settings: fitted on first use (under the filters then in force).

    The session remembers which run it uses; the fitting itself is shared by every session
    (one per data version, unit, settings and filters: :mod:`ui.shared`)."""
    runs = st.session_state.setdefault("bm_runs", {})
    if st.session_state.pop("bm_refit", False) or BS.run_key(ctx, settings) not in runs:
        for run in (BS.axis_runs(ctx, settings) if ctx.axis else shared_runs(ctx, settings)):
            runs[BS.run_key(ctx, run.settings)] = run
    return runs[BS.run_key(ctx, settings)]


def shared_runs(ctx: MapContext, settings: B.Settings) -> list[B.Run]:
    """Runs of every dimension for ``settings`` under the context's filters (one count of the rows, so
    switching dimension needs no refit), fitted once per process for every session asking."""
    variants = [replace(settings, dimension=d) for d in G.DIMENSION_CHOICES]
    lines = tuple(ctx.project.product_lines)
    return cached(ctx.key("runs", repr(variants[0]), repr(replace(ctx.filters, product_line=None)), lines),
                  lambda: B.fit_runs(ctx.facts, ctx.layer_id, variants, ctx.filters, list(lines), ctx.layer()))


def titles(ctx: MapContext) -> tuple[str, str]:
    """Title and subtitle of the map, on screen and in the exports."""
    title = f"{ctx.project.name} · {ctx.series_label()} 拓客作战地图"
    subtitle = (f"{G.DIMENSION_LABELS[ctx.dimension]} · {G.SCHEME_LABELS[ctx.run.settings.scheme]} · "
                f"{BS.base_filters(ctx).describe()}{BS.subtitle_series(ctx)}")
    return title, subtitle


def visited(table: pd.DataFrame) -> list[str]:
    """Ids of the areas with visitors under the filters (the ones drawn)."""
    return table.loc[table["visits"] > 0, "area_id"].tolist()


# ----------------------------------------------------------------------------- map
def build_map(ctx: MapContext, table: pd.DataFrame, shown: list[str], plan: pd.DataFrame | None):
    title, subtitle = titles(ctx)
    hex_id = hexgrid.layer_id(BM.OVERLAY_HEX_RESOLUTION)
    m, notes = BM.battle_map(ctx.facts, ctx.run, table, ctx.polygons(visited(table)), ctx.filters, layers=shown,
                             basemap=ctx.basemap, title=title, subtitle=subtitle, plan_grades=plan,
                             sites=project_sites(ctx.project), borders=ctx.city_borders(),
                             hexagons=lambda cells: U.area_polygons(hex_id, ctx.cities, cells))
    if "draw" in shown:
        Draw(export=False, position="topleft", draw_options={
            "polyline": False, "circle": False, "marker": False, "circlemarker": False,
            "polygon": {"allowIntersection": False}, "rectangle": {}}).add_to(m)
    return m, notes


def map_panel(ctx: MapContext, table: pd.DataFrame, shown: list[str], plan: pd.DataFrame | None) -> dict | None:
    """The map, what it leaves out, the refit button and the opportunity areas; returns the map's state."""
    payload, notes = shared_map(ctx, table, shown, plan)
    returned = ["last_active_drawing", "all_drawings"] if "draw" in shown else ["last_active_drawing"]
    state = show_map(payload, height=MAP_HEIGHT, use_container_width=True, returned_objects=returned,
                     key=f"bm_map_{ctx.layer_id}_{ctx.basemap}")
    if "draw" in shown:
        save_drawing(state, ctx.basemap)
    st.caption(coverage_caption(ctx, notes))
    if st.button("按当前筛选重新拟合分级区间", key="bm_refit_btn", icon=":material/refresh:"):
        st.session_state["bm_refit"] = True
        st.rerun()
    if "opportunity" in shown and plan is not None:
        opportunities_view(table, plan)
    return state


def shared_map(ctx: MapContext, table: pd.DataFrame, shown: list[str], plan: pd.DataFrame | None):
    """(what st_folium sends, notes) of the map, rendered once per process for every session showing the
    same map: same data version, unit, run (dimension), filters (line), basemap, overlays, plan and sites."""
    title, subtitle = titles(ctx)
    key = ctx.key("map", repr(ctx.run), repr(ctx.filters), ctx.basemap, tuple(sorted(shown)), title, subtitle,
                  frame_digest(plan), repr(project_sites(ctx.project)), frame_digest(table))

    def render() -> tuple[dict, list[str]]:
        m, notes = build_map(ctx, table, shown, plan)
        return folium_payload(m), notes

    return cached(key, render)


def coverage_caption(ctx: MapContext, notes: list[str]) -> str:
    """Where the locations went (summed over the run's dimensions), plus the map's ``notes``."""
    dims = ctx.run.settings.weights.of_dimension(ctx.dimension)
    parts = [coverage(ctx.facts, ctx.layer_id, d, ctx.filters) for d in dims]
    cov = Coverage(*(sum(values) for values in zip(*map(astuple, parts))))
    return (f"分级区间拟合于 {ctx.run.fitted_at}（{ctx.run.filters.describe()}），筛选变化不改变区间。"
            f"已落图 {cov.placed:,} 条位置；未落图 {cov.given - cov.placed:,} 条"
            f"（未识别 {cov.unresolved:,}、本市以外 {cov.outside:,}、"
            f"只到区县无法落到更细区域 {cov.coarse:,}），不计入任何区域。" + "".join(notes))


def opportunities_view(table: pd.DataFrame, plan: pd.DataFrame) -> None:
    """How many opportunity areas (outlined on the map); their table only while its section is open (a table is
    one of the costlier things a browser draws on a first load)."""
    opp = G.opportunities(table, plan)
    if len(opp):
        st.markdown(f"**机会战场**：{len(opp)} 个区域现在有足够客户，但对照计划里没有评为 A/B 级（地图上蓝色虚线）")
        section = st.expander("机会战场列表", key="bm_opp_open", on_change="rerun")
        if not section.open:
            return
        section.dataframe(opp[["area_name", "grade", "plan_grade", "visits", "score"]].rename(columns={
            "area_name": "区域", "grade": "现在等级", "plan_grade": "计划等级", "visits": "到访",
            "score": "得分"}), hide_index=True, height=min(240, 38 + 35 * len(opp)))


def clicked_area(state: dict | None) -> str | None:
    """The area id of the clicked feature, if the click was on a graded area."""
    if not state:
        return None
    feature = state.get("last_active_drawing") or {}
    props = feature.get("properties") or {}
    if props.get("grade"):
        return props.get("area_id")
    return None


def save_drawing(state: dict | None, basemap: str) -> None:
    drawings = (state or {}).get("all_drawings") or []
    st.caption(f"用地图左上角的多边形或矩形工具画出你的拓客区域（已画 {len(drawings)} 个），"
               "再把它们存为分级单元。")
    if st.button("把画的区域存为分级单元", key="bm_save_drawing", disabled=not drawings,
                 icon=":material/draw:"):
        area = layers.drawn_layer(drawings, render.display_crs(basemap))
        n = len(U.custom_layers()) + 1
        # keyed by content: the project's facts and the shared caches are keyed by unit id, across sessions
        digest = hashlib.sha256(b"".join(area.geometry.to_wkb())).hexdigest()[:12]
        U.use_layer(f"drawn:{digest}", f"手绘区域（{len(area)} 个）#{n}", area, "bm_layer")
        st.rerun()


# ----------------------------------------------------------------------------- panels
def detail_panel(ctx: MapContext, table: pd.DataFrame, area_id: str | None):
    """The chosen area's figures and key places; returns its visitors' ids for the profile (None: no profile)."""
    row = table[table["area_id"] == area_id]
    if row.empty:
        st.info("点击地图上的区域，这里显示它的重点地点和客户画像。")
        return None
    r = row.iloc[0]
    k = ctx.run.settings.min_count
    st.markdown(f"#### {r['area_name']} · {r['grade']}" + ("" if r["grade"] in G.UNGRADED else " 级"))
    if r["grade"] == G.INSUFFICIENT:
        st.warning(f"这个区域的客户少于 {k} 人：不分级，也不显示人数和画像（保护个人信息，也避免小样本误判）。")
        return None
    if r["grade"] == G.NO_VISITS:
        st.caption("当前筛选下没有来自这个区域的客户。")
        return None
    graded_count = int(table["grade"].isin(G.GRADES).sum())
    c1, c2 = st.columns(2)  # two a row: the panel is narrow beside the map
    c1.metric("到访", f"{int(r['visits']):,}")
    c2.metric("成交", f"{int(r['deals']):,}")
    c1.metric("成交率", f"{r['conversion']:.1%}")
    c2.metric("排名", f"{int(r['rank'])} / {graded_count}")
    st.caption(f"得分 {r['score']:,.1f}，在 {graded_count} 个已分级区域中排第 {int(r['rank'])} 名。")
    if r["focus"]:
        st.caption(f"建议主攻维度：**{r['focus']}**（对得分贡献最大的维度）")
    dims = ctx.run.settings.weights.of_dimension(ctx.run.settings.dimension)
    dim = next(iter(dims)) if len(dims) == 1 else None
    places_view(ctx, area_id, dim)
    return visitors_in(ctx.facts, ctx.layer_id, area_id, dim, ctx.filters)


def places_view(ctx: MapContext, area_id: str, dim: str | None) -> None:
    """The area's key places with at least k visitors (the rest only counted)."""
    k = ctx.run.settings.min_count
    places = top_places(ctx.facts, ctx.layer_id, area_id, dim, ctx.filters, limit=50, min_count=1)
    small = places[places["visits"] < k]
    places = places[places["visits"] >= k].head(8)
    st.markdown("**区域内的重点地点**（小区、写字楼、商圈，按人数）")
    if places.empty:
        st.caption(f"没有达到 {k} 人的具体地点（位置多只识别到区县或街镇）。")
    else:
        st.dataframe(places.rename(columns={"place": "地点", "visits": "到访", "deals": "成交"}),
                     hide_index=True, height=min(320, 38 + 35 * len(places)))
    if len(small):
        st.caption(f"另有 {len(small)} 个地点各不足 {k} 人，不逐一列出。")


def profile_tabs(ctx: MapContext, ids) -> None:
    """The profile of the visitors ``ids`` against the project's, one tab per field."""
    visitors = ctx.visitors()
    tabs = st.tabs(list(PROFILE.values()))
    for tab, column in zip(tabs, PROFILE):
        table_p = B.profile(visitors, ids, column, ctx.run.settings.min_count)
        if table_p.empty:
            tab.caption("人数不足，不显示画像。")
            continue
        tab.dataframe(table_p, hide_index=True, column_config={
            "区域占比": st.column_config.ProgressColumn(format="percent", min_value=0.0, max_value=1.0),
            "项目平均": st.column_config.NumberColumn(format="percent"),
            "差异(百分点)": st.column_config.NumberColumn(format="%+.1f")})


def current_targets(project_id: int) -> pd.DataFrame:
    """The KPI targets per grade last accepted from the editor (defaults at first)."""
    return st.session_state.setdefault(f"bm_targets_{project_id}", G.DEFAULT_TARGETS.copy())


def targets_editor(project_id: int) -> pd.DataFrame:
    """The KPI targets: the editor is drawn only while its section is open (a table editor is one of the
    costlier things a browser draws on this page); it starts from the targets last accepted."""
    key = f"bm_targets_{project_id}"
    section = st.expander("各等级 KPI 目标（随计划保存，写进拓客计划表）", key="bm_targets_open", on_change="rerun")
    if section.open:
        with section:
            edited = st.data_editor(current_targets(project_id), hide_index=True, disabled=["等级"],
                                    key=f"{key}_editor", num_rows="fixed")
            try:
                st.session_state[key] = G.check_targets(edited)
            except G.GradingError as exc:
                st.error(str(exc) + " 这次修改没有采用，仍按上一次的目标。")
    return current_targets(project_id)


GRADE_TABLE = {"grade": "等级", "area_name": "区域", "rank": "排名", "score": "得分", "visits": "到访",
               "high_intention": "高意向(A/B)", "deals": "成交", "conversion": "成交率", "focus": "主攻维度", "note": "说明"}


def grade_table_view(table: pd.DataFrame, min_count: int) -> None:
    shown = B.public_table(table[table["grade"] != G.NO_VISITS], min_count)[list(GRADE_TABLE)]
    st.dataframe(shown.rename(columns=GRADE_TABLE), hide_index=True, height=360,
                 column_config={"成交率": st.column_config.NumberColumn(format="percent"),
                                "得分": st.column_config.NumberColumn(format="%.1f")})


def sites_editor(ctx: MapContext) -> None:
    """The site and competitors' table, drawn only while its section is open."""
    if not allowed("settings"):
        return
    section = st.expander("项目与竞品位置", key="bm_sites_open", on_change="rerun")
    if not section.open:
        return
    with section:
        st.caption("坐标可从高德/腾讯地图（GCJ-02）、百度地图（BD-09）或 GPS（WGS-84）复制，选对坐标系即可。")
        crs = st.radio("坐标系", list(sites.CRS_LABELS), horizontal=True, key="bm_sites_crs",
                       format_func=sites.CRS_LABELS.get)
        edited = st.data_editor(sites.sites_table(ctx.project, crs), num_rows="dynamic", hide_index=True,
                                key=f"bm_sites_{crs}")
        if st.button("保存位置", key="bm_sites_save"):
            if not allowed("settings"):
                st.error(refusal("settings"))
                return
            try:
                ctx.store.set_sites(ctx.project.id, *sites.parse_sites(edited, crs))
            except ValueError as exc:
                st.error(str(exc))
                return
            trail.record(ctx.store, "project_settings", project_id=ctx.project.id, detail="已保存项目与竞品位置（作战地图）")
            st.success("已保存。")
            st.rerun()


# ----------------------------------------------------------------------------- exports
def exports(ctx: MapContext, table: pd.DataFrame, targets: pd.DataFrame, map_factory) -> None:
    st.markdown("#### 带走")
    c1, c2, c3, c4 = st.columns(4)

    def workbook() -> bytes:
        if ctx.axis:
            return BS.axis_workbook(ctx, targets)
        return P.battle_plan_workbook(ctx.facts, ctx.run, ctx.area_names(), ctx.filters, targets,
                                      project=ctx.project, layer_label=ctx.layer_label(), layer=ctx.layer())

    stem = BS.file_stem(ctx, f"{dt.date.today():%Y%m%d}")
    download_button(f"拓客计划（Excel，每个{BS.axis_label(ctx.axis)}一页）", container=c1, data=workbook,
                    file_name=f"{stem}.xlsx",
                    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    icon=":material/table:", key="bm_dl_xlsx")
    download_button("离线地图（HTML）", container=c2, data=lambda: standalone_html(map_factory()),
                    file_name=f"{stem}.html", mime="text/html", icon=":material/map:", key="bm_dl_html")
    if not allowed("export"):
        return
    if not printmap.cjk_font_available():
        c3.caption("本机缺少中文字体，无法生成图片/PDF。请安装 fonts-noto-cjk（scripts/system-deps）。")
        return
    polygons = ctx.polygons(visited(table), display=False)
    title, subtitle = titles(ctx)

    def image(fmt: str):
        return lambda: P.printable_map(polygons, table, ctx.run, ctx.line, title=title, subtitle=subtitle,
                                       sites=project_sites(ctx.project), fmt=fmt)

    download_button("打印用图片（PNG）", container=c3, data=image("png"), file_name=f"{stem}.png", mime="image/png",
                    icon=":material/image:", key="bm_dl_png")
    download_button("打印用 PDF（A4 横向）", container=c4, data=image("pdf"), file_name=f"{stem}.pdf",
                    mime="application/pdf", icon=":material/picture_as_pdf:", key="bm_dl_pdf")


# ----------------------------------------------------------------------------- page
def page_layout(wide: bool):
    """Where the map, the controls and the area detail go: the map large, the rest around it.

    Beside the map (default): map | controls above the area detail.  「全宽地图」: the map across
    the page, controls and area detail side by side under it.
    """
    if wide:
        map_area = st.container()
        controls, detail = st.columns([2, 3], gap="medium")
        return map_area, controls, detail
    map_area, side = st.columns([5, 2], gap="medium")
    return map_area, side.container(), side.container()


def main() -> None:
    require("view")
    store = get_store()
    st.title("拓客作战地图")
    ctx = map_context(store)
    if ctx is None:
        return
    UP.in_force(ctx)  # which approved plan version the team follows
    ctx = BS.with_segments(ctx)
    top, axis_col, toggle = st.columns([5, 2, 1], vertical_alignment="bottom")
    with top:
        ctx = ctx.with_(line=choose_line(ctx))
    with axis_col:
        ctx = ctx.with_(axis=BS.choose_axis(ctx))
    wide = toggle.toggle("全宽地图", key="bm_wide", help="地图占满页面宽度，设置和区域详情移到地图下方")
    if ctx.axis:
        ctx = ctx.with_(axis_value=BS.choose_axis_value(ctx, ctx.axis))
    shown = st.pills("图层", list(LAYER_CHOICES), format_func=LAYER_CHOICES.get, selection_mode="multi",
                     default=["sites", "opportunity"], key="bm_layers") or []
    map_area, controls, detail = page_layout(wide)
    with controls:
        ctx = choose_view(ctx)
        ctx = ctx.with_(filters=BC.choose_filters(ctx))  # both sections drawn only while open
        settings = BC.choose_settings(ctx.dimension, ctx.project.min_count)
    ctx = ctx.with_(min_count=settings.min_count, run=current_run(ctx, settings))
    ctx = ctx.with_(filters=B.axis_filters(ctx.filters, ctx.run, ctx.axis_value))  # this map of the series
    table = ctx.graded()
    with st.container():  # under the map, but read first: the opportunity layer compares with the plan
        if ctx.axis:
            BS.plan_note(ctx)
            plan = None
        else:
            plan = UP.plans_panel(ctx, table, current_targets(ctx.project.id))
    with map_area:
        state = map_panel(ctx, table, shown, plan)
    area_id = clicked_area(state) or st.session_state.get("bm_area")
    st.session_state["bm_area"] = area_id
    with detail:
        st.markdown("#### 区域详情")
        ids = detail_panel(ctx, table, area_id)
    if ids is not None:
        with detail if wide else map_area:  # the profile's tables need width: under the map when the panel is narrow
            st.markdown("**客户画像**（区域与项目平均对比）")
            profile_tabs(ctx, ids)
    st.markdown("#### 分级结果")
    grade_table_view(table, ctx.min_count)
    targets = targets_editor(ctx.project.id)
    exports(ctx, table, targets, lambda: build_map(ctx, table, shown, plan)[0])
    sites_editor(ctx)
    U.layer_upload(target_key="bm_layer")


guarded(main)
