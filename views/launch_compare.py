"""开盘前后对比: the reservoir-period customer map against the post-launch deal map."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from mapping import schema as S
from mapping.analysis import battle as B
from mapping.analysis import grading as G
from mapping.analysis import launch as L
from mapping.export.workbook import plan_workbook
from mapping.geo import hexgrid
from mapping.maps import launch_maps as LM
from mapping.maps import printmap, render
from mapping.maps.offline import standalone_html
from ui import layers as U
from ui.common import get_store, guarded
from ui.context import map_context

MODES = {"launch": "开盘前到访 vs 开盘后成交", "periods": "任选两个时段", "plans": "两个已存计划", "time": "按周/月看变化"}
VIEWS = {"dual": "两图对比", "change": "占比变化图", "moves": "等级迁移"}
SCHEMES = {"fisher_jenks": G.SCHEME_LABELS["fisher_jenks"], "quantiles": G.SCHEME_LABELS["quantiles"]}
MAP_HEIGHT = 560


# ----------------------------------------------------------------------------- settings
def choose_view(project: dict, mode: str) -> tuple[str, str, str, str, int, str]:
    plans = mode == "plans"
    lines = [B.ALL_LINES, *[x for x in project.product_lines if x]]
    if st.session_state.get("lc_line") not in lines:
        st.session_state["lc_line"] = B.ALL_LINES
    line = st.segmented_control("业态", lines, format_func=B.line_label, key="lc_line", required=True)
    c1, c2, c3, c4, c5 = st.columns([2, 3, 3, 3, 2])
    fixed = "两个已存计划按保存时的维度和分级单元对比" if plans else None
    dimension = c1.selectbox("维度", S.DIMENSIONS, format_func=S.DIMENSION_LABELS.get, key="lc_dimension",
                             disabled=plans, help=fixed)
    ids = U.layer_ids()
    if st.session_state.get("lc_layer") not in ids:
        st.session_state["lc_layer"] = project.area_layer if project.area_layer in ids else S.LAYER_DISTRICTS
    layer_id = c2.selectbox("分级单元", ids, format_func=U.layer_label, key="lc_layer", disabled=plans, help=fixed)
    basemap = c3.selectbox("底图", list(render.BASEMAPS), format_func=render.basemap_labels().get, key="lc_basemap")
    scheme = c4.selectbox("分级方法", list(SCHEMES), format_func=SCHEMES.get, key="lc_scheme",
                          disabled=mode in ("plans", "time"),
                          help="两侧的占比合并后拟合一次 A/B/C/D 区间，两张图用同一套区间")
    k = int(c5.number_input("最少样本数", 1, 100, G.DEFAULT_MIN_COUNT, key="lc_min_count", disabled=plans,
                            help="少于此数的区域不显示人数和占比，也不分级"))
    return line, dimension, layer_id, basemap, k, scheme


def split_date(project: dict, span: tuple[dt.date, dt.date] | None) -> dt.date | None:
    """The launch date, or a date the user picks when the project has none."""
    if project.launch_date:
        return project.launch_date
    st.info("这个项目没有设置开盘日期。请选一个分界日期：之前到访的算蓄水期，之后的成交算开盘后。")
    default = span[0] + (span[1] - span[0]) / 2 if span else dt.date.today()
    return st.date_input("分界日期（开盘日）", value=default, key="lc_split")


def choose_sides(project: dict, span, mode: str) -> tuple[L.Side, L.Side] | None:
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


# ----------------------------------------------------------------------------- shared pieces
def polygons_for(layer_id: str, area_ids: list[str]):
    return U.area_polygons(layer_id, area_ids, display=True)


def show_dual(dm, key: str) -> None:
    st_folium(dm, height=MAP_HEIGHT, use_container_width=True, returned_objects=[], key=key)


def _matrix_colours(matrix: pd.DataFrame) -> pd.DataFrame:
    """Cell styles: diagonal grey, upgrades (below it) red, downgrades (above it) blue, where any area."""
    order = {g: i for i, g in enumerate(L.MATRIX_ORDER)}
    styles = pd.DataFrame("", index=matrix.index, columns=matrix.columns)
    for r, row_grade in enumerate(L.MATRIX_ORDER):
        for c, col_grade in enumerate(L.MATRIX_ORDER):
            if matrix.iat[r, c] <= 0:
                continue
            a, b = order[row_grade], order[col_grade]
            colour = "#eeeeee" if a == b else ("#fbd5cc" if b < a else "#cfe2f3")
            styles.iat[r, c] = f"background-color: {colour}"
    return styles


def matrix_view(matrix: pd.DataFrame, a_label: str, b_label: str) -> None:
    st.markdown(f"**等级迁移矩阵**：行是{a_label}的等级，列是{b_label}的等级，格子里是区域数。"
                "灰色对角线上等级不变，左下方（红）升级，右上方（蓝）降级；未分级 = 少于最少样本数或 0 人。")
    shown = matrix.copy()
    shown.index = [f"{a_label} {g}" for g in shown.index]
    shown.columns = [f"→ {g}" for g in shown.columns]
    st.dataframe(shown.style.apply(lambda _: _matrix_colours(matrix).to_numpy(), axis=None),
                 height=38 + 35 * len(shown))


def new_view(new: pd.DataFrame, names: pd.DataFrame, k: int, a_label: str, b_label: str) -> pd.DataFrame:
    st.markdown(f"**新战场**：{b_label}有人、{a_label}一个人也没有的区域——地图没有标出的机会。")
    if new.empty:
        st.caption("没有新战场：右侧有人的区域，左侧都有人。")
        return pd.DataFrame(columns=["区域", f"{b_label} 人数"])
    out = new.merge(names, on="area_id", how="left")
    if "count_b" in out:
        table = pd.DataFrame({"区域": out["area_name"].fillna(out["area_id"]),
                              f"{b_label} 人数": [f"<{k}" if 0 < c < k else f"{int(c):,}" for c in out["count_b"]]})
    else:
        table = pd.DataFrame({"区域": out["area_name"].fillna(out["area_id"]), f"{b_label} 等级": out["grade_b"]})
    st.dataframe(table, hide_index=True, height=min(320, 38 + 35 * len(table)))
    return table


# ----------------------------------------------------------------------------- two counted sides
def headline(comp: L.Comparison, a_side: L.Side, b_side: L.Side, a: pd.DataFrame, b: pd.DataFrame) -> None:
    c1, c2, c3, c4, c5 = st.columns(5)
    c1.metric(a_side.label, f"{int(a['count'].sum()):,} 人")
    c2.metric(b_side.label, f"{int(b['count'].sum()):,} 人")
    shown = comp.shown
    if len(shown):
        up, down = shown.loc[shown["change_pp"].idxmax()], shown.loc[shown["change_pp"].idxmin()]
        if up["change_pp"] > 0:
            c3.metric("占比增加最多", up["area_name"], f"{up['change_pp']:+.1f} 个百分点")
        if down["change_pp"] < 0:
            c4.metric("占比减少最多", down["area_name"], f"{down['change_pp']:+.1f} 个百分点")
    c5.metric("新战场", f"{len(comp.new)} 个区域")
    st.caption(f"占比 = 区域人数 ÷ 这一侧落到地图上的总人数（未落图的位置不计：左 {a.attrs.get('unplaced', 0):,}、"
               f"右 {b.attrs.get('unplaced', 0):,} 条）。两张图用同一套分级区间（{SCHEMES[comp.bins.scheme]}，"
               f"两侧占比合并后拟合一次），同一颜色在两张图上代表同一占比区间。少于 {comp.k} 人的区域不显示人数、"
               "占比，也不分级。")


def counted_views(project, facts, layer_id, line, dimension, basemap, k, scheme, sides) -> None:
    a_side, b_side = sides
    layer = U.polygon_layer(layer_id)
    a = L.side_counts(facts, layer_id, dimension, line or None, a_side, layer)
    b = L.side_counts(facts, layer_id, dimension, line or None, b_side, layer)
    names = U.names_of(layer_id, facts.areas(layer_id, layer)[0])
    if a["count"].sum() == 0 or b["count"].sum() == 0:
        empty = a_side.label if a["count"].sum() == 0 else b_side.label
        st.info(f"「{empty}」在当前业态和维度下没有落到地图上的客户，无法对比。换一个业态、维度或时段试试。")
        return
    comp = L.compare(a, b, names, k, scheme)
    headline(comp, a_side, b_side, a, b)
    view = choose_look()
    context = f"{B.line_label(line)} · {S.DIMENSION_LABELS[dimension]} · {U.layer_label(layer_id)}"
    brief = f"{B.line_label(line)} · {S.DIMENSION_LABELS[dimension]}"
    left = LM.share_side(comp, "a", a_side.label, f"{a_side.dates()} · {brief}", f"{a_side.label}人数")
    right = LM.share_side(comp, "b", b_side.label, f"{b_side.dates()} · {brief}", f"{b_side.label}人数")
    polygons = polygons_for(layer_id, comp.table["area_id"].tolist())
    cbins = L.change_bins(comp.shown["change_pp"])
    change = LM.change_side(comp, cbins, f"占比变化：{b_side.label} − {a_side.label}", context,
                            (a_side.label, b_side.label))
    table = L.public_table(comp, a_side.label, b_side.label)

    if view == "dual":
        st.caption("左右两图同步移动和缩放；鼠标停在区域上看人数、占比、等级和变化。")
        show_dual(LM.dual_map(polygons, left, right, basemap), key=f"lc_dual_{layer_id}_{basemap}")
        c1, c2 = st.columns([3, 2], gap="medium")
        with c1:
            st.markdown(f"**占比变化最大的区域**（两侧都不少于 {k} 人）")
            moved = comp.shown.reindex(comp.shown["change_pp"].abs().sort_values(ascending=False).index).head(10)
            st.dataframe(pd.DataFrame({
                "区域": moved["area_name"], f"{a_side.label}占比": moved["share_a"] * 100,
                f"{b_side.label}占比": moved["share_b"] * 100, "变化(百分点)": moved["change_pp"],
                "等级": moved["grade_a"].map(L.grade_text) + " → " + moved["grade_b"].map(L.grade_text)}),
                hide_index=True,
                height=min(400, 38 + 35 * len(moved)), column_config={
                    f"{a_side.label}占比": st.column_config.NumberColumn(format="%.1f%%"),
                    f"{b_side.label}占比": st.column_config.NumberColumn(format="%.1f%%"),
                    "变化(百分点)": st.column_config.NumberColumn(format="%+.1f")})
        with c2:
            new_view(comp.new, names, k, a_side.label, b_side.label)
    elif view == "change":
        st.caption(f"红色：{b_side.label}里的占比比{a_side.label}高；蓝色：低。分级以 0 为中心对称"
                   f"（±{cbins[0]:g} 个百分点以内算持平）。灰色区域有一侧少于 {k} 人，不比较。")
        st_folium(LM.single_map(polygons, change, basemap), height=MAP_HEIGHT, use_container_width=True,
                  returned_objects=[], key=f"lc_change_{layer_id}_{basemap}")
        first = ["区域", "占比变化(百分点)", "新战场"]
        order = table["占比变化(百分点)"].abs().sort_values(ascending=False, na_position="last").index
        st.dataframe(table.loc[order, first + [c for c in table.columns if c not in first]], hide_index=True,
                     height=400, column_config={"占比变化(百分点)": st.column_config.NumberColumn(format="%+.2f")})
    elif view == "moves":
        c1, c2 = st.columns([1, 1], gap="medium")
        with c1:
            matrix_view(comp.matrix, a_side.label, b_side.label)
            new_view(comp.new, names, k, a_side.label, b_side.label)
        with c2:
            moved = comp.moves[comp.moves["change"] != "不变"]
            st.markdown(f"**等级有变化的区域**（{len(moved)} 个；同一套分级区间，等级直接可比）")
            st.dataframe(L.public_moves(moved, a_side.label, b_side.label), hide_index=True,
                         height=min(480, 38 + 35 * max(len(moved), 1)))
    exports(project, comp, a_side, b_side, polygons, left, right, change, basemap, context,
            {"对比方式": MODES[st.session_state.get("lc_mode", "launch")], "左图": f"{a_side.label}（{a_side.dates()}）",
             "右图": f"{b_side.label}（{b_side.dates()}）"}, facts, layer_id, line, dimension, k)


def exports(project, comp, a_side, b_side, polygons, left, right, change, basemap, context, meta,
            facts, layer_id, line, dimension, k) -> None:
    st.markdown("#### 带走")
    stem = f"{project.name}_开盘前后对比_{dt.date.today():%Y%m%d}"

    def workbook() -> bytes:
        tl = L.timeline(facts, layer_id, dimension, line or None, "M", U.polygon_layer(layer_id))
        sheets = L.workbook_sheets(comp, a_side.label, b_side.label, tl,
                                   U.names_of(layer_id, facts.areas(layer_id)[0]))
        ranges = L.share_ranges(comp.bins)
        info = {"项目": project.name, **meta, "业态 · 维度 · 分级单元": context,
                "分级方法": SCHEMES[comp.bins.scheme],
                "分级区间（占比）": "；".join(f"{g} 级 {ranges[g]}" for g in comp.bins.grades),
                "最少样本数": str(k), "说明": f"少于 {k} 人的人数和占比留空；占比变化为右图减左图的百分点",
                "生成时间": dt.datetime.now().strftime("%Y-%m-%d %H:%M")}
        return plan_workbook(sheets, info, title="开盘前后对比")

    c1, c2, c3, c4, c5 = st.columns(5)
    c1.download_button("Excel 对比表", data=workbook, file_name=f"{stem}.xlsx", icon=":material/table:",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="lc_dl_xlsx")
    c2.download_button("HTML 离线双图", data=lambda: standalone_html(LM.dual_map(polygons, left, right, basemap)),
                       file_name=f"{stem}_双图.html", mime="text/html", icon=":material/map:", key="lc_dl_html")
    png_buttons([c3, c4, c5], polygons, [left, right, change], ["左图", "右图", "变化图"], stem,
                labels=hexgrid.parse_layer_id(layer_id) is None)


def png_buttons(columns, polygons, sides, names, stem, labels: bool = True) -> None:
    if not printmap.cjk_font_available():
        columns[0].caption("本机缺少中文字体，无法生成图片。请安装 fonts-noto-cjk（scripts/system-deps）。")
        return
    for col, side, name, key in zip(columns, sides, names, ("left", "right", "change")):
        col.download_button(f"PNG {name}", data=lambda side=side: printmap.render_map(
            LM.printable(polygons, side), side.title, side.legend, subtitle=side.subtitle,
            label_column="area_name" if labels else None),
            file_name=f"{stem}_{name}.png", mime="image/png", icon=":material/image:", key=f"lc_dl_png_{key}")


# ----------------------------------------------------------------------------- two saved plans
def saved_plan(store, snapshot_id: int, saved_at) -> dict:
    """A saved plan with its payload, read from the database once per save."""
    cache = st.session_state.setdefault("lc_plan_cache", {})
    key = (snapshot_id, str(saved_at))
    if key not in cache:
        cache[key] = store.snapshot(snapshot_id)
    return cache[key]


def plan_views(store, project, line, basemap) -> None:
    snaps = store.snapshots(project.id)
    if len(snaps) < 2:
        have = "还没有已存的计划" if snaps.empty else "只有 1 个已存计划"
        st.info(f"{have}。对比两个计划需要至少两个：请到「拓客作战地图」页，在开盘前和开盘后各「保存当前分级为计划」，"
                "再回到这里。")
        return
    labels = {int(r.id): f"{r.name}（{r.created_at:%Y-%m-%d %H:%M}）" for r in snaps.itertuples()}
    ids = list(labels)
    c1, c2 = st.columns(2)
    a_id = c1.selectbox("左图：较早的计划", ids, index=1, format_func=labels.get, key="lc_plan_a")
    b_id = c2.selectbox("右图：较晚的计划", ids, index=0, format_func=labels.get, key="lc_plan_b")
    if a_id == b_id:
        st.info("左右选了同一个计划。请选两个不同的计划。")
        return
    saved = dict(zip(snaps["id"].astype(int), snaps["created_at"]))
    snap_a, snap_b = saved_plan(store, a_id, saved[a_id]), saved_plan(store, b_id, saved[b_id])
    if snap_a["layer_id"] != snap_b["layer_id"]:
        st.warning(f"两个计划的分级单元不同（{U.layer_label(snap_a['layer_id'])} / {U.layer_label(snap_b['layer_id'])}"
                   "），不能逐区对比。请选同一分级单元的两个计划。")
        return
    layer_id = snap_a["layer_id"]
    if layer_id not in U.layer_ids():
        st.warning("这两个计划用的是上传或手绘的分级单元，本次会话里没有这个图层，无法画图。请先在「拓客作战地图」页重新上传它。")
        return
    grades_a, grades_b = B.snapshot_grades(snap_a["payload"], line), B.snapshot_grades(snap_b["payload"], line)
    if grades_a is None or grades_b is None:
        st.info(f"有一个计划里没有「{B.line_label(line)}」的地图。换一个业态试试。")
        return
    a_name, b_name = snap_a["name"], snap_b["name"]
    bins_a = G.Bins.from_dict(snap_a["payload"]["bins"][line]) if line in snap_a["payload"].get("bins", {}) else None
    bins_b = G.Bins.from_dict(snap_b["payload"]["bins"][line]) if line in snap_b["payload"].get("bins", {}) else None
    dims = {G.DIMENSION_LABELS.get(s["dimension"], s["dimension"]) for s in (snap_a, snap_b)}
    st.caption(f"按计划保存时的分级对比：{U.layer_label(layer_id)}，维度 {'、'.join(sorted(dims))}。"
               "两个计划各自拟合分级区间，颜色代表各自的等级。")
    moves, matrix = L.transitions(grades_a, grades_b)
    new = L.new_battlefields(grades_a, grades_b)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("升级", f"{int((moves['change'] == '升级').sum())} 个区域")
    c2.metric("降级", f"{int((moves['change'] == '降级').sum())} 个区域")
    c3.metric("新进入 / 退出", f"{int((moves['change'] == '新进入').sum())} / {int((moves['change'] == '退出').sum())}")
    c4.metric("新战场", f"{len(new)} 个区域")
    view = choose_look()
    context = f"{B.line_label(line)} · {U.layer_label(layer_id)}"
    left = LM.plan_side(grades_a, bins_a, a_name, context)
    right = LM.plan_side(grades_b, bins_b, b_name, context)
    change = LM.plan_change_side(moves, f"等级变化：{b_name} 对比 {a_name}", context, (a_name, b_name))
    polygons = polygons_for(layer_id, sorted(set(grades_a["area_id"]) | set(grades_b["area_id"])))
    names = pd.concat([grades_a, grades_b])[["area_id", "area_name"]].drop_duplicates("area_id")
    if view == "dual":
        show_dual(LM.dual_map(polygons, left, right, basemap), key=f"lc_plans_{layer_id}_{basemap}")
    elif view == "change":
        st_folium(LM.single_map(polygons, change, basemap), height=MAP_HEIGHT, use_container_width=True,
                  returned_objects=[], key=f"lc_plans_change_{layer_id}_{basemap}")
    if view in ("dual", "change", "moves"):
        c1, c2 = st.columns(2, gap="medium")
        with c1:
            matrix_view(matrix, a_name, b_name)
            new_view(new, names, 0, a_name, b_name)
        with c2:
            moved = moves[moves["change"] != "不变"]
            st.markdown(f"**等级有变化的区域**（{len(moved)} 个）")
            st.dataframe(L.public_moves(moved, a_name, b_name), hide_index=True,
                         height=min(480, 38 + 35 * max(len(moved), 1)))
    st.markdown("#### 带走")
    stem = f"{project.name}_计划对比_{dt.date.today():%Y%m%d}"
    c1, c2, c3, c4, c5 = st.columns(5)
    c1.download_button("Excel 对比表", data=lambda: plan_workbook(
        {"等级迁移": L.public_moves(moves, a_name, b_name),
         "迁移矩阵": L.public_matrix(matrix, a_name, b_name)},
        {"项目": project.name, "左图": a_name, "右图": b_name, "业态 · 分级单元": context,
         "生成时间": dt.datetime.now().strftime("%Y-%m-%d %H:%M")}, title="计划对比"),
        file_name=f"{stem}.xlsx", icon=":material/table:", key="lc_dl_plans_xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    c2.download_button("HTML 离线双图", data=lambda: standalone_html(LM.dual_map(polygons, left, right, basemap)),
                       file_name=f"{stem}_双图.html", mime="text/html", icon=":material/map:", key="lc_dl_plans_html")
    png_buttons([c3, c4, c5], polygons, [left, right, change], ["左图", "右图", "变化图"], stem,
                labels=hexgrid.parse_layer_id(layer_id) is None)


# ----------------------------------------------------------------------------- over time
def time_view(project, facts, layer_id, line, dimension, basemap, k) -> None:
    c1, c2 = st.columns([1, 4])
    freq = c1.radio("时间粒度", list(L.FREQS), format_func=L.FREQS.get, horizontal=True, key="lc_freq")
    layer = U.polygon_layer(layer_id)
    tl = L.timeline(facts, layer_id, dimension, line or None, freq, layer)
    if tl.empty:
        st.info("当前业态和维度下没有带日期的客户。")
        return
    names = U.names_of(layer_id, facts.areas(layer_id, layer)[0])
    periods = sorted(tl["period"].unique())
    launch = project.launch_date
    key = f"lc_period_{freq}"
    if st.session_state.get(key) not in periods:
        opening = [p for p in periods if launch and p <= launch <= L.period_end(p, freq)]
        st.session_state[key] = opening[0] if opening else periods[-1]
    with c2:
        period = st.select_slider("时段", periods, format_func=lambda p: L.period_label(p, freq), key=key,
                                  help="拖动看每个时段各区域的到访和成交；颜色区间对所有时段固定，不同时段可直接比较")
    v_breaks, d_breaks = L.timeline_breaks(tl, "visits", k), L.timeline_breaks(tl, "deals", k)
    now = tl[tl["period"] == period].merge(names, on="area_id", how="left")
    now["area_name"] = now["area_name"].fillna(now["area_id"])
    label = L.period_label(period, freq)
    phase = ""
    if launch:
        end = L.period_end(period, freq)
        phase = "（蓄水期）" if end < launch else ("（开盘后）" if period >= launch else "（含开盘日）")
    context = f"{B.line_label(line)} · {S.DIMENSION_LABELS[dimension]}"
    focus = set(L.top_areas(tl, 12))  # the same view for every period
    left = LM.count_side(now.assign(count=now["visits"]), v_breaks, k, f"{label}{phase} 到访", context, "到访人数",
                         focus)
    right = LM.count_side(now.assign(count=now["deals"]), d_breaks, k, f"{label}{phase} 成交", context, "成交人数",
                          focus)
    polygons = polygons_for(layer_id, sorted(tl["area_id"].unique()))
    show_dual(LM.dual_map(polygons, left, right, basemap), key=f"lc_time_{layer_id}_{basemap}")
    st.caption(f"本时段到访 {int(now['visits'].sum()):,} 人、成交 {int(now['deals'].sum()):,} 人。"
               f"到访、成交各自的颜色区间按全部时段一次拟合；少于 {k} 人的区域为灰色，不显示人数。")
    tops = L.top_areas(tl, 5)
    lookup = dict(zip(names["area_id"], names["area_name"]))
    visits = tl.groupby("area_id")["visits"].sum()
    options = ["__top__", *visits[visits >= k].sort_values(ascending=False, kind="stable").index[:200]]
    if st.session_state.get("lc_area") not in options:
        st.session_state["lc_area"] = "__top__"
    area = st.selectbox("曲线：看哪个区域", options, key="lc_area",
                        format_func=lambda a: "到访最多的 5 个区域" if a == "__top__" else lookup.get(a, a))
    rule = None
    if launch and periods[0] <= launch <= periods[-1] + dt.timedelta(days=31):
        rule = alt.Chart(pd.DataFrame({"period": [pd.Timestamp(launch)], "label": ["开盘"]})).mark_rule(
            strokeDash=[4, 4], color="#888888").encode(x="period:T")
    if area == "__top__":
        c1, c2 = st.columns(2)
        for col, measure in zip((c1, c2), ("visits", "deals")):
            wide = L.series(tl, tops, measure, k).rename(columns=lookup)
            col.altair_chart(line_chart(wide, f"{L.MEASURE_LABELS[measure]}人数（{L.FREQS[freq]}）", "区域", rule),
                             width="stretch")
    else:
        wide = pd.concat([L.series(tl, [area], m, k).iloc[:, 0].rename(L.MEASURE_LABELS[m])
                          for m in ("visits", "deals")], axis=1)
        st.altair_chart(line_chart(wide, f"{lookup.get(area, area)}：到访与成交（{L.FREQS[freq]}）", "口径", rule),
                        width="stretch")
    st.caption(f"曲线上少于 {k} 人的时段不画点（保护个人信息）；虚线为开盘日。")


def line_chart(wide: pd.DataFrame, title: str, legend: str, rule=None):
    long = wide.rename_axis("period").reset_index().melt("period", var_name=legend, value_name="人数")
    long["period"] = pd.to_datetime(long["period"])
    chart = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("period:T", title=None, axis=alt.Axis(format="%m-%d")),
        y=alt.Y("人数:Q", title="人数"), color=alt.Color(f"{legend}:N", title=legend),
        tooltip=[alt.Tooltip("period:T", title="时段", format="%Y-%m-%d"), f"{legend}:N", "人数:Q"],
    ).properties(title=title, height=260)
    return chart + rule if rule is not None else chart


# ----------------------------------------------------------------------------- page
def main() -> None:
    store = get_store()
    st.title("开盘前后对比")
    st.caption("蓄水期的客户地图对不对？把开盘前的到访分布和开盘后的成交分布放在一起看：哪些区域成交跟上了，"
               "哪些只来看不买，哪里冒出了新战场。")
    ctx = map_context(store)
    if ctx is None:
        return
    project, _, facts = ctx.project, ctx.version, ctx.facts
    mode = st.segmented_control("对比什么", list(MODES), format_func=MODES.get, key="lc_mode", required=True,
                                default="launch")
    line, dimension, layer_id, basemap, k, scheme = choose_view(project, mode)
    if mode == "time":
        time_view(project, facts, layer_id, line, dimension, basemap, k)
    elif mode == "plans":
        plan_views(store, project, line, basemap)
    else:
        sides = choose_sides(project, facts.date_range(), mode)
        if sides is not None:
            counted_views(project, facts, layer_id, line, dimension, basemap, k, scheme, sides)


def choose_look() -> str:
    return st.segmented_control("查看", list(VIEWS), format_func=VIEWS.get, key="lc_view", required=True,
                                default="dual")


guarded(main)
