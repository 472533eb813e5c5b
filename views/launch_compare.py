"""开盘前后对比: the reservoir-period customer map against the post-launch deal map."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import altair as alt
import geopandas as gpd
import pandas as pd
import streamlit as st

from mapping import schema as S
from mapping.analysis import battle as B
from mapping.analysis import grading as G
from mapping.analysis import launch as L
from mapping.analysis import launch_tables as LT
from mapping.analysis.plan_compare import PlanComparison, compare_plans
from mapping.export import comparisons as X
from mapping.geo import hexgrid
from mapping.maps import launch_maps as LM
from mapping.maps import printmap, render
from mapping.maps.offline import standalone_html
from mapping.maps.overlays import project_sites
from mapping.project import Project
from ui import layers as U
from ui.auth import download_button, require
from ui.common import get_store, guarded
from ui.context import MapContext, map_context
from ui.i18n import TOOLTIP_DATE, chinese, date_axis
from ui.shared import cached, folium_payload, frame_digest, show_map

MODES = {"launch": "开盘前到访 vs 开盘后成交", "periods": "任选两个时段", "plans": "两个已存计划", "time": "按周/月看变化"}
VIEWS = {"dual": "两图对比", "change": "占比变化图", "moves": "等级迁移"}
SCHEMES = {"fisher_jenks": G.SCHEME_LABELS["fisher_jenks"], "quantiles": G.SCHEME_LABELS["quantiles"]}
MAP_HEIGHT = 600
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Maps:
    """What a comparison draws and exports: the areas' polygons and the left, right and change maps."""

    polygons: gpd.GeoDataFrame
    left: LM.MapSide
    right: LM.MapSide
    change: LM.MapSide


# ----------------------------------------------------------------------------- settings
def choose_view(ctx: MapContext, mode: str) -> tuple[MapContext, str]:
    """The context with the user's line, dimension, area unit, basemap and minimum count; and the scheme."""
    project = ctx.project
    plans = mode == "plans"
    lines = [B.ALL_LINES, *[x for x in project.product_lines if x]]
    if st.session_state.get("lc_line") not in lines:
        st.session_state["lc_line"] = B.ALL_LINES
    line = st.segmented_control("业态", lines, format_func=B.line_label, key="lc_line", required=True)
    c1, c2, c3, c4, c5 = st.columns([2, 3, 3, 3, 2])
    fixed = "两个已存计划按保存时的维度和分级单元对比" if plans else None
    dimension = c1.selectbox("维度", S.DIMENSIONS, format_func=S.DIMENSION_LABELS.get, key="lc_dimension",
                             disabled=plans, help=fixed)
    ids = ctx.layer_ids()
    U.default_layer("lc_layer", project.area_layer, ids)
    layer_id = c2.selectbox("分级单元", ids, format_func=U.layer_label, key="lc_layer", disabled=plans, help=fixed)
    basemap = c3.selectbox("底图", list(render.BASEMAPS), format_func=render.basemap_labels().get, key="lc_basemap")
    scheme = c4.selectbox("分级方法", list(SCHEMES), format_func=SCHEMES.get, key="lc_scheme",
                          disabled=mode in ("plans", "time"),
                          help="两侧的占比合并后拟合一次 A/B/C/D 区间，两张图用同一套区间")
    if st.session_state.get("lc_min_count", project.min_count) < project.min_count:  # the project's k was raised since
        st.session_state["lc_min_count"] = project.min_count
    k = int(c5.number_input("最少样本数", project.min_count, 100, project.min_count, key="lc_min_count", disabled=plans,
                            help=f"少于此数的区域不显示人数和占比，也不分级（项目设置的下限是 {project.min_count}）"))
    return ctx.with_(line=line, dimension=dimension, layer_id=layer_id, basemap=basemap, min_count=k), scheme


def choose_look() -> str:
    return st.segmented_control("查看", list(VIEWS), format_func=VIEWS.get, key="lc_view", required=True,
                                default="dual")


def split_date(project: Project, span: tuple[dt.date, dt.date] | None) -> dt.date | None:
    """The launch date, or a date the user picks when the project has none."""
    if project.launch_date:
        return project.launch_date
    st.info("这个项目没有设置开盘日期。请选一个分界日期：之前到访的算蓄水期，之后的成交算开盘后。")
    default = span[0] + (span[1] - span[0]) / 2 if span else dt.date.today()
    return st.date_input("分界日期（开盘日）", value=default, key="lc_split")


def choose_sides(ctx: MapContext, mode: str) -> tuple[L.Side, L.Side] | None:
    project, span = ctx.project, ctx.facts.date_range()
    if mode == "launch":
        split = split_date(project, span)
        if split is None:
            return None
        a, b = L.launch_sides(split)
        if not project.launch_date:
            a, b = L.Side("visits", a.start, a.end, "分界日前到访"), L.Side("deals", b.start, b.end, "分界日后成交")
        return a, b
    first, last = span or (dt.date.today(), dt.date.today())
    split = project.launch_date or first + (last - first) / 2
    defaults = {"a": ((first, max(first, split - dt.timedelta(days=1))), "visits"),
                "b": ((min(split, last), last), "deals")}
    sides = []
    for col, key, title in zip(st.columns(2), ("a", "b"), ("左图", "右图")):
        with col:
            picked = st.date_input(f"{title}：时段", value=defaults[key][0], min_value=first, max_value=last,
                                   key=f"lc_{key}_dates")
            measure = st.radio(f"{title}：口径", list(L.MEASURE_LABELS), format_func=L.MEASURE_LABELS.get,
                               index=list(L.MEASURE_LABELS).index(defaults[key][1]), horizontal=True,
                               key=f"lc_{key}_measure")
        if not isinstance(picked, (tuple, list)) or len(picked) != 2:
            st.info(f"请选完{title}的开始和结束日期。")
            return None
        sides.append(L.Side(measure, picked[0], picked[1], f"{title[0]} {picked[0]:%m-%d}–{picked[1]:%m-%d} "
                                                           f"{L.MEASURE_LABELS[measure]}"))
    st.caption("成交按成交日期计入时段（没有成交日期的按到访日期）；选定业态时，成交按成交业态计。")
    return sides[0], sides[1]


def settings_text(ctx: MapContext, dimension: bool = True) -> str:
    """业态 · 维度 · 分级单元 (without the dimension for saved plans)."""
    parts = [ctx.line_label(), S.DIMENSION_LABELS[ctx.dimension]] if dimension else [ctx.line_label()]
    return " · ".join([*parts, ctx.layer_label()])


# ----------------------------------------------------------------------------- shared pieces
def dual(ctx: MapContext, polygons: gpd.GeoDataFrame, left: LM.MapSide, right: LM.MapSide):
    """The two synced maps on the chosen basemap, with the project's sites."""
    return LM.dual_map(polygons, left, right, ctx.basemap, sites=project_sites(ctx.project))


def single(ctx: MapContext, polygons: gpd.GeoDataFrame, side: LM.MapSide):
    """One map (the change map) on the chosen basemap, with the project's sites."""
    return LM.single_map(polygons, side, ctx.basemap, sites=project_sites(ctx.project))


def side_digest(side: LM.MapSide) -> tuple:
    """Everything a map side draws, as a key."""
    return (frame_digest(side.data), repr(side.tooltip), side.title, side.subtitle, repr(side.legend),
            tuple(sorted(side.hatch)), tuple(sorted(side.focus)))


def map_view(ctx: MapContext, polygons: gpd.GeoDataFrame, sides: tuple[LM.MapSide, ...], key: str) -> None:
    """The dual map (two sides) or the single map (one side), rendered once per process for every session
    showing the same map (data version, unit, areas, sides, basemap, sites); each session only sends it."""
    cache_key = ctx.key("lc_map", ctx.basemap, repr(project_sites(ctx.project)), tuple(polygons["area_id"]),
                        *map(side_digest, sides))

    def render() -> dict:
        return folium_payload(dual(ctx, polygons, *sides) if len(sides) == 2 else single(ctx, polygons, sides[0]))

    show_map(cached(cache_key, render), height=MAP_HEIGHT, use_container_width=True, returned_objects=[], key=key)


def matrix_view(matrix: pd.DataFrame, a_label: str, b_label: str) -> None:
    st.markdown(f"**等级迁移矩阵**：行是{a_label}的等级，列是{b_label}的等级，格子里是区域数。"
                "灰色对角线上等级不变，左下方（红）升级，右上方（蓝）降级；未分级 = 少于最少样本数或 0 人。")
    shown = matrix.copy()
    shown.index = [f"{a_label} {g}" for g in shown.index]
    shown.columns = [f"→ {g}" for g in shown.columns]
    st.dataframe(shown.style.apply(lambda _: LT.matrix_styles(matrix).to_numpy(), axis=None),
                 height=38 + 35 * len(shown))


def new_view(new: pd.DataFrame, names: pd.DataFrame, k: int, a_label: str, b_label: str) -> pd.DataFrame:
    st.markdown(f"**新战场**：{b_label}有人、{a_label}一个人也没有的区域——地图没有标出的机会。")
    table = LT.new_table(new, names, k, b_label)
    if new.empty:
        st.caption("没有新战场：右侧有人的区域，左侧都有人。")
    else:
        st.dataframe(table, hide_index=True, height=min(320, 38 + 35 * len(table)))
    return table


def moves_view(moves: pd.DataFrame, a_label: str, b_label: str, note: str = "") -> None:
    moved = moves[moves["change"] != "不变"]
    st.markdown(f"**等级有变化的区域**（{len(moved)} 个{note}）")
    st.dataframe(L.public_moves(moved, a_label, b_label), hide_index=True,
                 height=min(480, 38 + 35 * max(len(moved), 1)))


def downloads(ctx: MapContext, maps: Maps, stem: str, workbook, keys: tuple[str, str]) -> None:
    """Excel (``workbook`` made on demand), the offline dual map and the three PNGs."""
    c1, c2, c3, c4, c5 = st.columns(5)
    download_button("Excel 对比表", container=c1, data=workbook, file_name=f"{stem}.xlsx", icon=":material/table:",
                    mime=XLSX, key=keys[0])
    download_button("HTML 离线双图", container=c2, data=lambda: standalone_html(
        dual(ctx, maps.polygons, maps.left, maps.right)),
        file_name=f"{stem}_双图.html", mime="text/html", icon=":material/map:", key=keys[1])
    png_buttons([c3, c4, c5], maps, stem, labels=hexgrid.parse_layer_id(ctx.layer_id) is None)


def png_buttons(columns, maps: Maps, stem: str, labels: bool = True) -> None:
    if not printmap.cjk_font_available():
        columns[0].caption("本机缺少中文字体，无法生成图片。请安装 fonts-noto-cjk（scripts/system-deps）。")
        return
    sides = [maps.left, maps.right, maps.change]
    for col, side, name, key in zip(columns, sides, ["左图", "右图", "变化图"], ("left", "right", "change")):
        download_button(f"PNG {name}", container=col, data=lambda side=side: printmap.render_map(
            LM.printable(maps.polygons, side), side.title, side.legend, subtitle=side.subtitle,
            label_column="area_name" if labels else None),
            file_name=f"{stem}_{name}.png", mime="image/png", icon=":material/image:", key=f"lc_dl_png_{key}")


# ----------------------------------------------------------------------------- two counted sides
def headline(comp: L.Comparison, sides: tuple[L.Side, L.Side], a: pd.DataFrame, b: pd.DataFrame) -> None:
    a_side, b_side = sides
    c1, c2, c3, c4, c5 = st.columns(5)
    c1.metric(a_side.label, f"{int(a['count'].sum()):,} 人")
    c2.metric(b_side.label, f"{int(b['count'].sum()):,} 人")
    up, down = LT.gain_and_loss(comp)
    if up is not None:
        c3.metric("占比增加最多", up["area_name"], f"{up['change_pp']:+.1f} 个百分点")
    if down is not None:
        c4.metric("占比减少最多", down["area_name"], f"{down['change_pp']:+.1f} 个百分点")
    c5.metric("新战场", f"{len(comp.new)} 个区域")
    st.caption(f"占比 = 区域人数 ÷ 这一侧落到地图上的总人数（未落图的位置不计：左 {a.attrs.get('unplaced', 0):,}、"
               f"右 {b.attrs.get('unplaced', 0):,} 条）。两张图用同一套分级区间（{SCHEMES[comp.bins.scheme]}，"
               f"两侧占比合并后拟合一次），同一颜色在两张图上代表同一占比区间。少于 {comp.k} 人的区域不显示人数、"
               "占比，也不分级。")


def counted_maps(ctx: MapContext, comp: L.Comparison, sides: tuple[L.Side, L.Side],
                 cbins: tuple[float, float]) -> Maps:
    a_side, b_side = sides
    brief = f"{ctx.line_label()} · {S.DIMENSION_LABELS[ctx.dimension]}"
    return Maps(ctx.polygons(comp.table["area_id"].tolist()),
                LM.share_side(comp, "a", a_side.label, f"{a_side.dates()} · {brief}", f"{a_side.label}人数"),
                LM.share_side(comp, "b", b_side.label, f"{b_side.dates()} · {brief}", f"{b_side.label}人数"),
                LM.change_side(comp, cbins, f"占比变化：{b_side.label} − {a_side.label}", settings_text(ctx),
                               (a_side.label, b_side.label)))


def counted_views(ctx: MapContext, sides: tuple[L.Side, L.Side], scheme: str, mode: str) -> None:
    a_side, b_side = sides
    layer, line = ctx.layer(), ctx.line or None
    a = L.side_counts(ctx.facts, ctx.layer_id, ctx.dimension, line, a_side, layer)
    b = L.side_counts(ctx.facts, ctx.layer_id, ctx.dimension, line, b_side, layer)
    names = ctx.area_names()
    if a["count"].sum() == 0 or b["count"].sum() == 0:
        empty = a_side.label if a["count"].sum() == 0 else b_side.label
        st.info(f"「{empty}」在当前业态和维度下没有落到地图上的客户，无法对比。换一个业态、维度或时段试试。")
        return
    comp = L.compare(a, b, names, ctx.min_count, scheme)
    headline(comp, sides, a, b)
    view = choose_look()
    cbins = L.change_bins(comp.shown["change_pp"])
    maps = counted_maps(ctx, comp, sides, cbins)
    if view == "dual":
        dual_view(ctx, comp, sides, maps, names)
    elif view == "change":
        change_view(ctx, comp, sides, maps, cbins)
    elif view == "moves":
        c1, c2 = st.columns([1, 1], gap="medium")
        with c1:
            matrix_view(comp.matrix, a_side.label, b_side.label)
            new_view(comp.new, names, ctx.min_count, a_side.label, b_side.label)
        with c2:
            moves_view(comp.moves, a_side.label, b_side.label, "；同一套分级区间，等级直接可比")
    exports(ctx, comp, sides, maps, mode)


def dual_view(ctx: MapContext, comp: L.Comparison, sides: tuple[L.Side, L.Side], maps: Maps,
              names: pd.DataFrame) -> None:
    a_side, b_side = sides
    st.caption("左右两图同步移动和缩放；鼠标停在区域上看人数、占比、等级和变化。")
    map_view(ctx, maps.polygons, (maps.left, maps.right), key=f"lc_dual_{ctx.layer_id}_{ctx.basemap}")
    c1, c2 = st.columns([3, 2], gap="medium")
    with c1:
        st.markdown(f"**占比变化最大的区域**（两侧都不少于 {ctx.min_count} 人）")
        moved = LT.biggest_changes(comp, a_side.label, b_side.label)
        st.dataframe(moved, hide_index=True, height=min(400, 38 + 35 * len(moved)), column_config={
            f"{a_side.label}占比": st.column_config.NumberColumn(format="%.1f%%"),
            f"{b_side.label}占比": st.column_config.NumberColumn(format="%.1f%%"),
            "变化(百分点)": st.column_config.NumberColumn(format="%+.1f")})
    with c2:
        new_view(comp.new, names, ctx.min_count, a_side.label, b_side.label)


def change_view(ctx: MapContext, comp: L.Comparison, sides: tuple[L.Side, L.Side], maps: Maps,
                cbins: tuple[float, float]) -> None:
    a_side, b_side = sides
    st.caption(f"红色：{b_side.label}里的占比比{a_side.label}高；蓝色：低。分级以 0 为中心对称"
               f"（±{cbins[0]:g} 个百分点以内算持平）。灰色区域有一侧少于 {ctx.min_count} 人，不比较。")
    map_view(ctx, maps.polygons, (maps.change,), key=f"lc_change_{ctx.layer_id}_{ctx.basemap}")
    st.dataframe(LT.by_change(L.public_table(comp, a_side.label, b_side.label)), hide_index=True, height=400,
                 column_config={"占比变化(百分点)": st.column_config.NumberColumn(format="%+.2f")})


def exports(ctx: MapContext, comp: L.Comparison, sides: tuple[L.Side, L.Side], maps: Maps, mode: str) -> None:
    st.markdown("#### 带走")

    def workbook() -> bytes:
        tl = L.timeline(ctx.facts, ctx.layer_id, ctx.dimension, ctx.line or None, "M", ctx.layer())
        return X.launch_workbook(comp, sides, project=ctx.project.name, mode=MODES[mode], settings=settings_text(ctx),
                                 timeline=tl, names=ctx.area_names())

    downloads(ctx, maps, f"{ctx.project.name}_开盘前后对比_{dt.date.today():%Y%m%d}", workbook,
              ("lc_dl_xlsx", "lc_dl_html"))


# ----------------------------------------------------------------------------- two saved plans
def saved_plan(store, snapshot_id: int, saved_at) -> dict:
    """A saved plan with its payload, read from the database once per save."""
    cache = st.session_state.setdefault("lc_plan_cache", {})
    key = (snapshot_id, str(saved_at))
    if key not in cache:
        cache[key] = store.snapshot(snapshot_id)
    return cache[key]


def pick_plans(ctx: MapContext) -> tuple[dict, dict] | None:
    """The two saved plans the user picks (left earlier, right later), or None with a hint."""
    snaps = ctx.store.snapshots(ctx.project.id)
    if len(snaps) < 2:
        have = "还没有已存的计划" if snaps.empty else "只有 1 个已存计划"
        st.info(f"{have}。对比两个计划需要至少两个：请到「拓客作战地图」页，在开盘前和开盘后各「保存当前分级为计划」，"
                "再回到这里。")
        return None
    labels = {int(r["id"]): f"{B.plan_label(r)}（{r['created_at']:%Y-%m-%d %H:%M} 保存）"
              for r in snaps.to_dict("records")}
    ids = list(labels)
    c1, c2 = st.columns(2)
    a_id = c1.selectbox("左图：较早的计划", ids, index=1, format_func=labels.get, key="lc_plan_a")
    b_id = c2.selectbox("右图：较晚的计划", ids, index=0, format_func=labels.get, key="lc_plan_b")
    if a_id == b_id:
        st.info("左右选了同一个计划。请选两个不同的计划。")
        return None
    saved = dict(zip(snaps["id"].astype(int), snaps["created_at"]))
    snap_a, snap_b = saved_plan(ctx.store, a_id, saved[a_id]), saved_plan(ctx.store, b_id, saved[b_id])
    if snap_a["layer_id"] != snap_b["layer_id"]:
        st.warning(f"两个计划的分级单元不同（{U.layer_label(snap_a['layer_id'])} / {U.layer_label(snap_b['layer_id'])}"
                   "），不能逐区对比。请选同一分级单元的两个计划。")
        return None
    if snap_a["layer_id"] not in ctx.layer_ids():
        st.warning("这两个计划用的是上传或手绘的分级单元，本次会话里没有这个图层，无法画图。请先在「拓客作战地图」页重新上传它。")
        return None
    return snap_a, snap_b


def plan_views(ctx: MapContext) -> None:
    snaps = pick_plans(ctx)
    if snaps is None:
        return
    plans = compare_plans(*snaps, ctx.line)
    if plans is None:
        st.info(f"有一个计划里没有「{ctx.line_label()}」的地图。换一个业态试试。")
        return
    ctx = ctx.with_(layer_id=plans.layer_id)
    a_name, b_name = plans.a_name, plans.b_name
    st.caption(f"按计划保存时的分级对比：{ctx.layer_label()}，维度 {'、'.join(plans.dimensions)}。"
               "两个计划各自拟合分级区间，颜色代表各自的等级。")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("升级", f"{plans.count('升级')} 个区域")
    c2.metric("降级", f"{plans.count('降级')} 个区域")
    c3.metric("新进入 / 退出", f"{plans.count('新进入')} / {plans.count('退出')}")
    c4.metric("新战场", f"{len(plans.new)} 个区域")
    view = choose_look()
    about = settings_text(ctx, dimension=False)
    maps = Maps(ctx.polygons(plans.area_ids), LM.plan_side(plans.grades_a, plans.bins_a, a_name, about),
                LM.plan_side(plans.grades_b, plans.bins_b, b_name, about),
                LM.plan_change_side(plans.moves, f"等级变化：{b_name} 对比 {a_name}", about, (a_name, b_name)))
    if view == "dual":
        map_view(ctx, maps.polygons, (maps.left, maps.right), key=f"lc_plans_{ctx.layer_id}_{ctx.basemap}")
    elif view == "change":
        map_view(ctx, maps.polygons, (maps.change,), key=f"lc_plans_change_{ctx.layer_id}_{ctx.basemap}")
    if view in ("dual", "change", "moves"):
        c1, c2 = st.columns(2, gap="medium")
        with c1:
            matrix_view(plans.matrix, a_name, b_name)
            new_view(plans.new, plans.names, 0, a_name, b_name)
        with c2:
            moves_view(plans.moves, a_name, b_name)
    plan_exports(ctx, plans, maps)


def plan_exports(ctx: MapContext, plans: PlanComparison, maps: Maps) -> None:
    st.markdown("#### 带走")
    downloads(ctx, maps, f"{ctx.project.name}_计划对比_{dt.date.today():%Y%m%d}",
              lambda: X.plans_workbook(plans, project=ctx.project.name, settings=settings_text(ctx, dimension=False)),
              ("lc_dl_plans_xlsx", "lc_dl_plans_html"))


# ----------------------------------------------------------------------------- over time
def time_view(ctx: MapContext) -> None:
    c1, c2 = st.columns([1, 4])
    freq = c1.radio("时间粒度", list(L.FREQS), format_func=L.FREQS.get, horizontal=True, key="lc_freq")
    tl = L.timeline(ctx.facts, ctx.layer_id, ctx.dimension, ctx.line or None, freq, ctx.layer())
    if tl.empty:
        st.info("当前业态和维度下没有带日期的客户。")
        return
    names = ctx.area_names()
    periods = sorted(tl["period"].unique())
    key = f"lc_period_{freq}"
    if st.session_state.get(key) not in periods:
        st.session_state[key] = LT.opening_period(periods, ctx.project.launch_date, freq)
    with c2:
        period = st.select_slider("时段", periods, format_func=lambda p: L.period_label(p, freq), key=key,
                                  help="拖动看每个时段各区域的到访和成交；颜色区间对所有时段固定，不同时段可直接比较")
    period_maps(ctx, tl, period, names, freq)
    curves(ctx, tl, names, freq)


def period_maps(ctx: MapContext, tl: pd.DataFrame, period: dt.date, names: pd.DataFrame, freq: str) -> None:
    """Visits and deals of one period side by side, coloured by classes fitted on every period."""
    k, now = ctx.min_count, LT.period_slice(tl, period, names)
    v_breaks, d_breaks = L.timeline_breaks(tl, "visits", k), L.timeline_breaks(tl, "deals", k)
    label = L.period_label(period, freq) + LT.phase(period, freq, ctx.project.launch_date)
    brief = f"{ctx.line_label()} · {S.DIMENSION_LABELS[ctx.dimension]}"
    focus = set(L.top_areas(tl, 12))  # the same view for every period
    left = LM.count_side(now.assign(count=now["visits"]), v_breaks, k, f"{label} 到访", brief, "到访人数", focus)
    right = LM.count_side(now.assign(count=now["deals"]), d_breaks, k, f"{label} 成交", brief, "成交人数", focus)
    polygons = ctx.polygons(sorted(tl["area_id"].unique()))
    map_view(ctx, polygons, (left, right), key=f"lc_time_{ctx.layer_id}_{ctx.basemap}")
    st.caption(f"本时段到访 {int(now['visits'].sum()):,} 人、成交 {int(now['deals'].sum()):,} 人。"
               f"到访、成交各自的颜色区间按全部时段一次拟合；少于 {k} 人的区域为灰色，不显示人数。")


def curves(ctx: MapContext, tl: pd.DataFrame, names: pd.DataFrame, freq: str) -> None:
    """Visits and deals over time: of the five busiest areas, or of one area the user picks."""
    k, launch = ctx.min_count, ctx.project.launch_date
    lookup = dict(zip(names["area_id"], names["area_name"]))
    options = ["__top__", *LT.curve_areas(tl, k)]
    if st.session_state.get("lc_area") not in options:
        st.session_state["lc_area"] = "__top__"
    area = st.selectbox("曲线：看哪个区域", options, key="lc_area",
                        format_func=lambda a: "到访最多的 5 个区域" if a == "__top__" else lookup.get(a, a))
    rule = None
    if LT.launch_in_view(sorted(tl["period"].unique()), launch):
        rule = alt.Chart(pd.DataFrame({"period": [pd.Timestamp(launch)], "label": ["开盘"]})).mark_rule(
            strokeDash=[4, 4], color="#888888").encode(x="period:T")
    if area == "__top__":
        tops = L.top_areas(tl, 5)
        for col, measure in zip(st.columns(2), ("visits", "deals")):
            wide = L.series(tl, tops, measure, k).rename(columns=lookup)
            col.altair_chart(line_chart(wide, f"{L.MEASURE_LABELS[measure]}人数（{L.FREQS[freq]}）", "区域", rule,
                                        freq), width="stretch")
    else:
        wide = pd.concat([L.series(tl, [area], m, k).iloc[:, 0].rename(L.MEASURE_LABELS[m])
                          for m in ("visits", "deals")], axis=1)
        st.altair_chart(line_chart(wide, f"{lookup.get(area, area)}：到访与成交（{L.FREQS[freq]}）", "口径", rule,
                                   freq), width="stretch")
    st.caption(f"曲线上少于 {k} 人的时段不画点（保护个人信息）；虚线为开盘日。")


def line_chart(wide: pd.DataFrame, title: str, legend: str, rule=None, freq: str = "W"):
    """Counts per period as lines, dates in Chinese (「01月07日」 per week, 「2024年01月」 per month)."""
    long = wide.rename_axis("period").reset_index().melt("period", var_name=legend, value_name="人数")
    long["period"] = pd.to_datetime(long["period"])
    chart = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("period:T", title=None, axis=date_axis(freq)),
        y=alt.Y("人数:Q", title="人数"), color=alt.Color(f"{legend}:N", title=legend),
        tooltip=[alt.Tooltip("period:T", title="时段", format=TOOLTIP_DATE), f"{legend}:N", "人数:Q"],
    ).properties(title=title, height=260)
    return chinese(chart + rule if rule is not None else chart)


# ----------------------------------------------------------------------------- page
def main() -> None:
    require("view")
    store = get_store()
    st.title("开盘前后对比")
    st.caption("蓄水期的客户地图对不对？把开盘前的到访分布和开盘后的成交分布放在一起看：哪些区域成交跟上了，"
               "哪些只来看不买，哪里冒出了新战场。")
    ctx = map_context(store)
    if ctx is None:
        return
    mode = st.segmented_control("对比什么", list(MODES), format_func=MODES.get, key="lc_mode", required=True,
                                default="launch")
    ctx, scheme = choose_view(ctx, mode)
    if mode == "time":
        time_view(ctx)
    elif mode == "plans":
        plan_views(ctx)
    else:
        sides = choose_sides(ctx, mode)
        if sides is not None:
            counted_views(ctx, sides, scheme, mode)


guarded(main)
