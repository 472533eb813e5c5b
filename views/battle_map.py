"""拓客作战地图: areas graded A/B/C/D per product line, the plan and its exports."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st
from folium.plugins import Draw
from streamlit_folium import st_folium

from mapping import schema as S
from mapping.analysis import battle as B
from mapping.analysis import grading as G
from mapping.analysis.facts import PERIODS, Filters, coverage, period_range, top_places, visitors_in
from mapping.export.workbook import plan_workbook
from mapping.geo import hexgrid, layers
from mapping.geo.coords import from_wgs84, to_wgs84
from mapping.maps import battlemap as BM
from mapping.maps import printmap, render
from mapping.maps.offline import standalone_html
from ui import layers as U
from ui.common import get_store, guarded, project_visitors
from ui.context import map_context

LAYER_CHOICES = {"hex": "H3 六边形（有坐标的位置）", "heat": "热力图", "points": "客户聚集点",
                 "sites": "项目与竞品", "opportunity": "机会战场（对照已存计划）", "draw": "手绘区域"}
PROFILE = {S.AGE_BAND: "年龄段", S.INDUSTRY: "行业", S.INCOME_BAND: "收入", S.FAMILY: "家庭结构", S.PURPOSE: "置业目的"}


# ----------------------------------------------------------------------------- settings
def choose_view(project: dict, facts) -> tuple[str, str, str, str]:
    lines = [B.ALL_LINES, *[x for x in project.product_lines if x]]
    if st.session_state.get("bm_line") not in lines:
        st.session_state["bm_line"] = B.ALL_LINES
    line = st.segmented_control("业态（每个业态一张作战地图）", lines, format_func=B.line_label, key="bm_line",
                                required=True)
    c2, c3, c4 = st.columns(3)
    dimension = c2.selectbox("维度", G.DIMENSION_CHOICES, format_func=G.DIMENSION_LABELS.get, key="bm_dimension")
    ids = U.layer_ids()
    if st.session_state.get("bm_layer") not in ids:
        st.session_state["bm_layer"] = project.area_layer if project.area_layer in ids else S.LAYER_DISTRICTS
    layer_id = c3.selectbox("分级单元", ids, format_func=U.layer_label, key="bm_layer")
    basemap = c4.selectbox("底图", list(render.BASEMAPS), format_func=render.basemap_labels().get, key="bm_basemap")
    return line, dimension, layer_id, basemap


def choose_filters(project: dict, facts) -> Filters:
    span = facts.date_range()
    with st.expander("筛选：时间、渠道、意向等级", expanded=False):
        c1, c2, c3 = st.columns([2, 2, 1])
        periods = list(PERIODS) if project.launch_date else [p for p in PERIODS if p not in ("pre", "post")]
        period = c1.radio("到访时间", periods, format_func=PERIODS.get, horizontal=True, key="bm_period")
        custom = None
        if period == "custom" and span:
            picked = c1.date_input("起止日期", value=span, min_value=span[0], max_value=span[1], key="bm_dates")
            if isinstance(picked, (tuple, list)) and len(picked) == 2:
                custom = (picked[0], picked[1])
        channels = c2.multiselect("到访渠道（不选为全部）", facts.channels, key="bm_channels")
        intentions = c3.multiselect("意向等级", facts.intentions, key="bm_intentions")
    start, end = period_range(period, project.launch_date, span, custom)
    return Filters(start=start, end=end, channels=tuple(channels), intentions=tuple(intentions))


def choose_settings(dimension: str) -> B.Settings:
    with st.expander("分级设置：得分权重、分级方法、最少样本数", expanded=False):
        c1, c2, c3 = st.columns(3)
        w_visits = c1.number_input("到访 权重", 0.0, 100.0, 1.0, 0.5, key="bm_w_visits")
        w_high = c2.number_input("高意向(A/B) 权重", 0.0, 100.0, 2.0, 0.5, key="bm_w_high")
        w_deals = c3.number_input("成交 权重", 0.0, 100.0, 5.0, 0.5, key="bm_w_deals")
        if dimension == G.COMPOSITE:
            d1, d2, d3 = st.columns(3)
            w_home = d1.number_input("居住 维度权重", 0.0, 10.0, 0.5, 0.1, key="bm_w_home")
            w_work = d2.number_input("工作 维度权重", 0.0, 10.0, 0.3, 0.1, key="bm_w_work")
            w_leisure = d3.number_input("生活娱乐 维度权重", 0.0, 10.0, 0.2, 0.1, key="bm_w_leisure")
        else:
            w_home, w_work, w_leisure = 0.5, 0.3, 0.2
        s1, s2 = st.columns([2, 1])
        scheme = s1.radio("分级方法", list(G.SCHEME_LABELS), format_func=G.SCHEME_LABELS.get, horizontal=True,
                          key="bm_scheme", index=1)
        min_count = s2.number_input("最少样本数（少于此数显示为“样本不足”）", 1, 100, G.DEFAULT_MIN_COUNT, 1,
                                    key="bm_min_count")
        manual = None
        if scheme == "manual":
            m1, m2, m3 = st.columns(3)
            manual = (m1.number_input("A 级最低得分", 0.0, value=300.0, key="bm_t_a"),
                      m2.number_input("B 级最低得分", 0.0, value=150.0, key="bm_t_b"),
                      m3.number_input("C 级最低得分", 0.0, value=50.0, key="bm_t_c"))
        st.caption("得分 = 到访×权重 + 高意向×权重 + 成交×权重（综合维度再按三个维度的权重相加）。"
                   "分级区间在一次“分级”时拟合，之后改变筛选只改变人数，不会改变区间；"
                   "改了这里的设置会重新分级。")
    weights = G.Weights(w_visits, w_high, w_deals, w_home, w_work, w_leisure)
    return B.Settings(dimension, weights, scheme, manual, int(min_count))


def current_run(facts, project, layer_id, settings, filters, version) -> B.Run:
    """The run for these settings: fitted on first use (under the filters then in force)."""
    def key(s: B.Settings) -> tuple:
        return project.id, version, layer_id, repr(s)

    runs = st.session_state.setdefault("bm_runs", {})
    if st.session_state.pop("bm_refit", False) or key(settings) not in runs:
        # fit every dimension at once (one count of the rows), so switching dimension needs no refit
        variants = [replace(settings, dimension=d) for d in G.DIMENSION_CHOICES]
        for run in B.fit_runs(facts, layer_id, variants, filters, project.product_lines,
                              U.polygon_layer(layer_id)):
            runs[key(run.settings)] = run
    return runs[key(settings)]


# ----------------------------------------------------------------------------- map
def build_map(project, facts, run, table, layer_id, basemap, filters, shown, title, subtitle, plan_grades):
    polygons = U.area_polygons(layer_id, table.loc[table["visits"] > 0, "area_id"].tolist(), display=True)
    hex_id = hexgrid.layer_id(BM.OVERLAY_HEX_RESOLUTION)
    m, notes = BM.battle_map(facts, run, table, polygons, filters, layers=shown, basemap=basemap, title=title,
                             subtitle=subtitle, plan_grades=plan_grades, sites=BM.project_sites(project),
                             hexagons=lambda cells: U.area_polygons(hex_id, cells))
    if "draw" in shown:
        Draw(export=False, position="topleft", draw_options={
            "polyline": False, "circle": False, "marker": False, "circlemarker": False,
            "polygon": {"allowIntersection": False}, "rectangle": {}}).add_to(m)
    return m, notes


def clicked_area(state: dict | None, basemap: str) -> str | None:
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
        U.use_layer(f"drawn:{n}", f"手绘区域（{len(area)} 个）#{n}", area, "bm_layer")
        st.rerun()


# ----------------------------------------------------------------------------- panels
def detail_panel(store, project, facts, run, table, layer_id, area_id, filters, version) -> None:
    row = table[table["area_id"] == area_id]
    if row.empty:
        st.info("点击地图上的区域，这里显示它的重点地点和客户画像。")
        return
    r = row.iloc[0]
    k = run.settings.min_count
    st.markdown(f"#### {r['area_name']} · {r['grade']}" + ("" if r["grade"] in G.UNGRADED else " 级"))
    if r["grade"] == G.INSUFFICIENT:
        st.warning(f"这个区域的客户少于 {k} 人：不分级，也不显示人数和画像（保护个人信息，也避免小样本误判）。")
        return
    if r["grade"] == G.NO_VISITS:
        st.caption("当前筛选下没有来自这个区域的客户。")
        return
    graded_count = int(table["grade"].isin(G.GRADES).sum())
    c1, c2, c3 = st.columns(3)
    c1.metric("到访", f"{int(r['visits']):,}")
    c2.metric("成交", f"{int(r['deals']):,}")
    c3.metric("成交率", f"{r['conversion']:.1%}")
    st.caption(f"得分 {r['score']:,.1f}，在 {graded_count} 个已分级区域中排第 {int(r['rank'])} 名。")
    if r["focus"]:
        st.caption(f"建议主攻维度：**{r['focus']}**（对得分贡献最大的维度）")
    dims = run.settings.weights.of_dimension(run.settings.dimension)
    dim = next(iter(dims)) if len(dims) == 1 else None
    places = top_places(facts, layer_id, area_id, dim, filters, limit=50, min_count=1)
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
    ids = visitors_in(facts, layer_id, area_id, dim, filters)
    visitors = project_visitors(store, project.id, version)
    tabs = st.tabs(list(PROFILE.values()))
    for tab, column in zip(tabs, PROFILE):
        table_p = B.profile(visitors, ids, column, k)
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
    key = f"bm_targets_{project_id}"
    with st.expander("各等级 KPI 目标（随计划保存，写进拓客计划表）"):
        edited = st.data_editor(G.DEFAULT_TARGETS, hide_index=True, disabled=["等级"], key=f"{key}_editor",
                                num_rows="fixed")
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


def snapshots_panel(store, project, run, tables_for, targets, line, current) -> pd.DataFrame | None:
    """Save the run as a named plan; pick a saved plan to compare with. Returns its grades."""
    snaps = store.snapshots(project.id)
    st.markdown("#### 计划快照")
    c1, c2 = st.columns([3, 2])
    with c1.form("bm_save", clear_on_submit=False, border=False):
        name = st.text_input("快照名称", value=f"{dt.date.today():%Y-%m-%d} 拓客计划", key="bm_snap_name")
        overwrite = st.checkbox("覆盖同名快照", key="bm_snap_overwrite")
        saved = st.form_submit_button("保存当前分级为计划", icon=":material/save:")
    if saved:
        try:
            payload = B.snapshot_payload(run, tables_for(), targets)
            store.save_snapshot(project.id, name, run.layer_id, run.settings.dimension, payload, replace=overwrite)
            st.success(f"已保存计划「{name.strip()}」：{len(run.bins)} 张作战地图（全部业态和各业态）及 KPI 目标。")
            snaps = store.snapshots(project.id)
        except ValueError as exc:
            st.error(str(exc))
    usable = snaps[snaps["layer_id"] == run.layer_id]
    if usable.empty:
        c2.caption("还没有同一分级单元的已存计划。保存一次后，可以在这里对比升降级、找出机会战场。")
        return None
    labels = {int(r.id): f"{r.name}（{r.created_at:%m-%d %H:%M}，{G.DIMENSION_LABELS.get(r.dimension, r.dimension)}）"
              for r in usable.itertuples()}
    chosen = c2.selectbox("对照的已存计划", list(labels), format_func=labels.get, key="bm_snap_pick")
    snap = store.snapshot(chosen)
    plan = B.snapshot_grades(snap["payload"], line)
    if plan is None:
        c2.caption(f"这个计划里没有「{B.line_label(line)}」的地图。")
        return None
    moves = G.compare(plan, current)
    moved = moves[moves["change"] != "不变"]
    c2.caption(f"与计划相比：升级 {int((moves['change'] == '升级').sum())} 个，降级 "
               f"{int((moves['change'] == '降级').sum())} 个，新进入 {int((moves['change'] == '新进入').sum())} 个，"
               f"退出 {int((moves['change'] == '退出').sum())} 个区域。")
    if len(moved):
        st.dataframe(moved[["area_name", "before", "after", "change"]].rename(columns={
            "area_name": "区域", "before": "计划等级", "after": "现在等级", "change": "变化"}),
            hide_index=True, height=min(300, 38 + 35 * len(moved)))
    if c2.button("删除这个计划", key="bm_snap_delete", icon=":material/delete:"):
        store.delete_snapshot(chosen)
        st.rerun()
    return plan


def sites_editor(store, project) -> None:
    with st.expander("项目与竞品位置"):
        st.caption("坐标可从高德/腾讯地图（GCJ-02）、百度地图（BD-09）或 GPS（WGS-84）复制，选对坐标系即可。")
        crs = st.radio("坐标系", [S.GCJ02, S.WGS84, S.BD09], horizontal=True, key="bm_sites_crs",
                       format_func={S.GCJ02: "GCJ-02（高德/腾讯）", S.WGS84: "WGS-84（GPS）", S.BD09: "BD-09（百度）"}.get)
        def shown(lng, lat):
            x, y = from_wgs84(np.array([lng], dtype=float), np.array([lat], dtype=float), crs)
            return round(float(x[0]), 6), round(float(y[0]), 6)

        rows = []
        if project.site is not None:
            rows.append({"名称": "本项目", "经度": shown(project.site_lng, project.site_lat)[0],
                         "纬度": shown(project.site_lng, project.site_lat)[1]})
        for c in project.competitors:
            lng, lat = shown(c["lng"], c["lat"])
            rows.append({"名称": c["name"], "经度": lng, "纬度": lat})
        frame = pd.DataFrame(rows, columns=["名称", "经度", "纬度"])
        edited = st.data_editor(frame, num_rows="dynamic", hide_index=True, key=f"bm_sites_{crs}")
        if st.button("保存位置", key="bm_sites_save"):
            edited = edited.dropna(how="all")
            try:
                lng = pd.to_numeric(edited["经度"], errors="coerce").to_numpy(dtype=float)
                lat = pd.to_numeric(edited["纬度"], errors="coerce").to_numpy(dtype=float)
                wl, wa = to_wgs84(lng, lat, crs)
                site, competitors = None, []
                for name, x, y, ox in zip(edited["名称"].fillna(""), wl, wa, lng):
                    if str(name).strip() == "本项目":
                        if np.isnan(x):
                            raise ValueError("「本项目」的经纬度不是数字，请填写经度和纬度。")
                        site = (float(x), float(y))
                    else:
                        competitors.append({"name": str(name), "lng": None if np.isnan(ox) else x,
                                            "lat": None if np.isnan(ox) else y})
                store.set_sites(project.id, site, competitors)
                st.success("已保存。")
                st.rerun()
            except ValueError as exc:
                st.error(str(exc))


# ----------------------------------------------------------------------------- exports
def exports(store, project, facts, run, filters, table, targets, map_factory, title, subtitle, layer_id) -> None:
    st.markdown("#### 带走")
    c1, c2, c3, c4 = st.columns(4)

    def workbook() -> bytes:
        plans = {}
        for line in [B.ALL_LINES, *project.product_lines]:
            f = replace(filters, product_line=line or None)
            t = B.graded(facts, run, U.names_of(layer_id, facts.areas(layer_id, U.polygon_layer(layer_id))[0]), f,
                         U.polygon_layer(layer_id))
            plans[B.line_label(line)] = B.plan_table(t, facts, run, f, targets)
        meta = {"项目": project.name, "分级单元": U.layer_label(layer_id),
                "维度": G.DIMENSION_LABELS[run.settings.dimension], "分级方法": G.SCHEME_LABELS[run.settings.scheme],
                "得分权重": run.settings.weights.describe(run.settings.dimension),
                "最少样本数": str(run.settings.min_count), "筛选": filters.describe(),
                "分级区间拟合于": run.fitted_at, "生成时间": dt.datetime.now().strftime("%Y-%m-%d %H:%M")}
        return plan_workbook(plans, meta)

    stem = f"{project.name}_拓客作战地图_{dt.date.today():%Y%m%d}"
    c1.download_button("拓客计划（Excel，每个业态一页）", data=workbook, file_name=f"{stem}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/table:", key="bm_dl_xlsx")
    c2.download_button("离线地图（HTML）", data=lambda: standalone_html(map_factory()), file_name=f"{stem}.html",
                       mime="text/html", icon=":material/map:", key="bm_dl_html")
    if not printmap.cjk_font_available():
        c3.caption("本机缺少中文字体，无法生成图片/PDF。请安装 fonts-noto-cjk（scripts/system-deps）。")
        return
    polygons = U.area_polygons(layer_id, table.loc[table["visits"] > 0, "area_id"].tolist())
    printable = polygons[["area_id", "geometry"]].merge(table[["area_id", "area_name", "grade"]], on="area_id")
    printable["fill"] = printable["grade"].map(G.GRADE_COLOURS)
    printable["hatch"] = printable["grade"] == G.INSUFFICIENT
    legend = [(r["colour"], r["label"]) for r in G.legend(table, run.bins_for(filters.product_line or ""))]
    label_col = None if hexgrid.parse_layer_id(layer_id) is not None else "area_name"

    def image(fmt: str):
        return lambda: printmap.render_map(printable, title, legend, subtitle=subtitle, label_column=label_col,
                                           sites=BM.project_sites(project), fmt=fmt)

    c3.download_button("打印用图片（PNG）", data=image("png"), file_name=f"{stem}.png", mime="image/png",
                       icon=":material/image:", key="bm_dl_png")
    c4.download_button("打印用 PDF（A4 横向）", data=image("pdf"), file_name=f"{stem}.pdf", mime="application/pdf",
                       icon=":material/picture_as_pdf:", key="bm_dl_pdf")


# ----------------------------------------------------------------------------- page
def main() -> None:
    store = get_store()
    st.title("拓客作战地图")
    ctx = map_context(store)
    if ctx is None:
        return
    project, version, facts = ctx.project, ctx.version, ctx.facts
    line, dimension, layer_id, basemap = choose_view(project, facts)
    left, right = st.columns(2)
    with left:
        filters = replace(choose_filters(project, facts), product_line=line or None)
    with right:
        settings = choose_settings(dimension)
    shown = st.pills("图层", list(LAYER_CHOICES), format_func=LAYER_CHOICES.get, selection_mode="multi",
                     default=["sites", "opportunity"], key="bm_layers") or []
    run = current_run(facts, project, layer_id, settings, filters, version)
    ids = facts.areas(layer_id, U.polygon_layer(layer_id))[0]
    names = U.names_of(layer_id, ids)
    table = B.graded(facts, run, names, filters, U.polygon_layer(layer_id))
    title = f"{project.name} · {B.line_label(line)} 拓客作战地图"
    subtitle = f"{G.DIMENSION_LABELS[dimension]} · {G.SCHEME_LABELS[settings.scheme]} · {filters.describe()}"
    map_col, side = st.columns([3, 2], gap="medium")
    with side:
        def tables_for() -> dict:
            return {line_: B.graded(facts, run, names, replace(filters, product_line=line_ or None),
                                    U.polygon_layer(layer_id)) for line_ in [B.ALL_LINES, *project.product_lines]}

        plan = snapshots_panel(store, project, run, tables_for, current_targets(project.id), line, table)
    with map_col:
        m, notes = build_map(project, facts, run, table, layer_id, basemap, filters, shown, title, subtitle, plan)
        returned = ["last_active_drawing", "all_drawings"] if "draw" in shown else ["last_active_drawing"]
        state = st_folium(m, height=600, use_container_width=True, returned_objects=returned,
                          key=f"bm_map_{layer_id}_{basemap}")
        if "draw" in shown:
            save_drawing(state, basemap)
        dims = list(settings.weights.of_dimension(dimension))
        cov = [coverage(facts, layer_id, d, filters) for d in dims]
        unplaced = sum(c.given - c.placed for c in cov)
        st.caption(f"分级区间拟合于 {run.fitted_at}（{run.filters.describe()}），筛选变化不改变区间。"
                   f"已落图 {sum(c.placed for c in cov):,} 条位置；未落图 {unplaced:,} 条"
                   f"（未识别 {sum(c.unresolved for c in cov):,}、本市以外 {sum(c.outside for c in cov):,}、"
                   f"只到区县无法落到更细区域 {sum(c.coarse for c in cov):,}），不计入任何区域。"
                   + "".join(notes))
        if st.button("按当前筛选重新拟合分级区间", key="bm_refit_btn", icon=":material/refresh:"):
            st.session_state["bm_refit"] = True
            st.rerun()
        if "opportunity" in shown and plan is not None:
            opp = G.opportunities(table, plan)
            if len(opp):
                st.markdown(f"**机会战场**：{len(opp)} 个区域现在有足够客户，但对照计划里没有评为 A/B 级")
                st.dataframe(opp[["area_name", "grade", "plan_grade", "visits", "score"]].rename(columns={
                    "area_name": "区域", "grade": "现在等级", "plan_grade": "计划等级", "visits": "到访",
                    "score": "得分"}), hide_index=True, height=min(240, 38 + 35 * len(opp)))
    area_id = clicked_area(state, basemap) or st.session_state.get("bm_area")
    st.session_state["bm_area"] = area_id
    with side:
        st.markdown("#### 区域详情")
        detail_panel(store, project, facts, run, table, layer_id, area_id, filters, version)
    st.markdown("#### 分级结果")
    grade_table_view(table, settings.min_count)
    targets = targets_editor(project.id)

    def map_factory():
        return build_map(project, facts, run, table, layer_id, basemap, filters, shown, title, subtitle, plan)[0]

    exports(store, project, facts, run, filters, table, targets, map_factory, title, subtitle, layer_id)
    sites_editor(store, project)
    U.layer_upload(target_key="bm_layer")


guarded(main)
