"""蓄客目标: is the pool of high-intention customers enough for the opening (够不够), per product line?"""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from mapping.ops import pipeline as P
from ui import ops_data as OD
from ui import trail
from ui import tables
from ui.auth import allowed, refusal, require
from ui.common import get_store, guarded, notice
from ui.context import MapContext, map_context
from ui.i18n import TOOLTIP_DATE, chinese, date_axis
from ui.shared import cached, scope

SERIES = {"accumulated": "已蓄高意向（累计）", "projected": "按目前速度预计", "target": "蓄客目标"}
SERIES_COLOURS = {"已蓄高意向（累计）": "#D9480F", "按目前速度预计": "#F08C00", "蓄客目标": "#1C7ED6"}


# ----------------------------------------------------------------------------- targets
def target_form(ctx: MapContext, ops, settings: dict, lines: list[str]) -> None:
    """可售套数 and 蓄客比 per line and the opening date; saved in the ops settings (edit_ops)."""
    editable = allowed("edit_ops")
    pid = ctx.project.id  # in the widget keys: another project's inputs never show (or save) here
    table = P.targets(settings, lines)
    launch = ctx.project.launch_date
    opening = P.opening_date(settings, launch)
    unset = bool((table["target"] <= 0).all())
    with st.expander("设置蓄客目标：可售套数、蓄客比、开盘日期", expanded=unset), st.form("pl_targets"):
        st.markdown("开盘前每个业态需要的高意向（A/B）客户组数 = 可售套数 × 蓄客比")
        chosen = {}
        for row in table.itertuples():
            c1, c2, c3 = st.columns([1.2, 2, 2])
            c1.markdown(f"**{P.line_label(row.line)}**")
            units = c2.number_input("可售套数", min_value=0, max_value=100_000, step=1, value=int(row.units),
                                    key=f"pl_units_{pid}_{row.line}", disabled=not editable)
            ratio = c3.number_input("蓄客比（每套需要几组高意向）", min_value=0.0, max_value=50.0, step=0.1,
                                    value=float(row.ratio), key=f"pl_ratio_{pid}_{row.line}", disabled=not editable,
                                    help="常见 2–3：每卖一套需要 2–3 组高意向客户或认筹")
            chosen[row.line] = (int(units), float(ratio))
        picked = st.date_input("开盘日期", value=opening, key=f"pl_opening_{pid}", disabled=not editable,
                               help=f"默认用项目设置里的开盘日（{launch or '未设置'}）；这里改的只用于蓄客目标")
        saved = st.form_submit_button("保存蓄客目标", disabled=not editable, key="pl_save")
    if not editable:
        st.caption(refusal("edit_ops") + "（可以查看目标和进度）")
    if saved:
        save_targets(ctx, ops, settings, chosen, picked)


def save_targets(ctx: MapContext, ops, settings: dict, chosen: dict[str, tuple[int, float]], picked) -> None:
    require("edit_ops")  # checked again on the click
    new = dict(settings)
    for line, (units, ratio) in chosen.items():
        new = P.with_xuke(new, line, units, ratio)
    launch = ctx.project.launch_date
    opening = picked if isinstance(picked, dt.date) else None
    try:
        ops.put_ops_settings(ctx.project.id, {"xuke": new["xuke"],
                                              "opening_date": None if opening in (None, launch) else opening.isoformat()})
    except ValueError as exc:
        st.error(f"蓄客目标没有保存：{exc}")
        return
    detail = "；".join(f"{P.line_label(line)} {u} 套 × {r:g}" for line, (u, r) in chosen.items())
    trail.record(ctx.store, "ops_settings", project_id=ctx.project.id,
                 detail=f"蓄客目标：{detail}；开盘日期 {opening or '未设置'}")
    notice("已保存蓄客目标。")
    st.rerun()


# ----------------------------------------------------------------------------- status
def states(ctx: MapContext, frame: pd.DataFrame, settings: dict, lines: list[str], key: tuple) -> list[P.Pipeline]:
    return cached((*key, "pipelines", tuple(lines)),
                  lambda: P.pipelines(frame, settings, lines, ctx.project.launch_date))


def show_status(pipes: list[P.Pipeline]) -> None:
    for p in pipes:
        if p.target <= 0 or p.opening is None or p.as_of is None:
            st.info(p.text)
        elif p.enough:
            st.success(p.text)
        else:
            st.warning(p.text)
    table = P.summary(pipes)
    tables.dataframe(table.drop(columns=["说明"]), hide_index=True, column_config={
        "蓄客比": st.column_config.NumberColumn(format="%.1f"),
        "每周速度": st.column_config.NumberColumn(format="%.1f", help="最近 4 个整周平均每周新增的高意向客户"),
        "距开盘周数": st.column_config.NumberColumn(format="%.1f"),
        "缺口": st.column_config.NumberColumn(help="按目前速度到开盘时还差的组数（0 = 够）"),
        "每周需要": st.column_config.NumberColumn(help="从现在到开盘每周需要新增多少组才能达到目标")})
    first = next((p for p in pipes if p.as_of is not None), None)
    if first is not None:
        st.caption(f"按数据的最后一天（{first.as_of:%Y-%m-%d}）计算：高意向 = 意向等级 A/B；每位客户只在首次到访那一周计入；"
                   f"速度 = 最近 {P.PACE_WEEKS} 个整周的平均（数据不足 {P.PACE_WEEKS} 周时用已有的整周）。")


def chart(p: P.Pipeline):
    """Accumulated pool, the projection at today's pace and the target, week by week."""
    long = p.weekly.melt("week", value_vars=list(SERIES), var_name="series", value_name="组数").dropna()
    long["口径"] = long["series"].map(SERIES)
    domain = list(SERIES_COLOURS)
    lines = alt.Chart(long).mark_line(point=alt.OverlayMarkDef(size=20)).encode(
        x=alt.X("week:T", title=None, axis=date_axis("W")), y=alt.Y("组数:Q", title="高意向客户（组）"),
        color=alt.Color("口径:N", title=None, scale=alt.Scale(domain=domain, range=list(SERIES_COLOURS.values()))),
        strokeDash=alt.StrokeDash("口径:N", title=None, scale=alt.Scale(domain=domain, range=[[1, 0], [6, 4], [2, 2]])),
        tooltip=[alt.Tooltip("week:T", title="周", format=TOOLTIP_DATE), "口径:N",
                 alt.Tooltip("组数:Q", format=",.0f")]).properties(height=300, title=f"{P.line_label(p.line)}：蓄客进度")
    return chinese(lines)


# ----------------------------------------------------------------------------- gap closers
def closers(ctx: MapContext, ops, frame: pd.DataFrame, p: P.Pipeline, key: tuple) -> None:
    st.subheader("谁能最快补上缺口")
    if p.as_of is None:
        st.info("还没有到访数据。")
        return
    weeks = P.PACE_WEEKS
    period = P.closer_window(p.as_of, weeks)

    def make():
        # the same for every line (costs are not split by line): once per data and ops version
        per_high = cached((*key, "costs_per_high", period), lambda: P.costs_per_high(
            ops.costs(ctx.project.id), frame, period, ctx.project.min_count))
        gap = max(p.gap, 0.0) if p.target > 0 and p.opening else None
        return P.gap_closers(frame, per_high, p.line, weeks, gap=gap, as_of=p.as_of, min_count=ctx.project.min_count)

    table = cached((*key, "closers", p.line, weeks), make)
    st.caption(f"按最近 {weeks} 个整周（{period[0]:%m-%d} 至 {period[1]:%m-%d}）{P.line_label(p.line)}的到访：每个团队、片区、渠道"
               "每周带来多少组高意向（按目前的高意向率），有费用记录的算出每组高意向的成本；"
               "「补足缺口需要的周数」= 开盘时的缺口 ÷ 它每周的高意向，即再加一份同样的投入要多久补上。")
    if table.empty:
        st.info("最近几周没有带来高意向客户的团队、片区或渠道。")
    else:
        tables.dataframe(table, hide_index=True, column_config={
            "高意向率": st.column_config.NumberColumn(format="percent"),
            "每周可增加高意向": st.column_config.NumberColumn(format="%.1f"),
            "每高意向成本": st.column_config.NumberColumn(format="¥%,.0f", help="来自「费用与费效」录入的费用；空白 = 没有费用记录"),
        })
    withheld = table.attrs.get("withheld", 0)
    if withheld:
        st.caption(f"另有 {withheld} 个片区近 {weeks} 周到访少于 {ctx.project.min_count} 人，不列出（保护个人信息）。")


# ----------------------------------------------------------------------------- page
def main() -> None:
    require("view")
    store = get_store()
    st.title("蓄客目标")
    st.caption("够不够：每个业态开盘前要蓄多少组高意向客户，现在有多少，按目前的速度开盘时能不能达到，"
               "差的话哪些团队、片区、渠道补得最快。")
    ctx = map_context(store)
    if ctx is None:
        return
    ops = OD.operations(ctx)
    pid = ctx.project.id
    settings = ops.ops_settings(pid)
    lines = list(ctx.project.product_lines) or [""]
    target_form(ctx, ops, settings, lines)
    ops_version = ops.version(pid)
    territory = ops.territory_in_force(pid)
    layer_id, dimension = OD.unit_of(ctx, territory)
    moved = OD.unit_warning(territory, layer_id)
    if moved:
        st.warning(moved)
    frame = OD.attributed_frame(ctx, ops, ops_version, layer_id, dimension)
    key = (*scope(store, pid, ctx.version), "pipeline", ops_version, layer_id, dimension)
    pipes = states(ctx, frame, settings, lines, key)
    st.subheader("够不够")
    show_status(pipes)
    if len(lines) > 1:
        if st.session_state.get("pl_line") not in lines:
            st.session_state["pl_line"] = lines[0]
        line = st.segmented_control("看哪个业态", lines, format_func=P.line_label, key="pl_line", required=True)
    else:
        line = lines[0]
    p = next(x for x in pipes if x.line == line)
    if len(p.weekly):
        st.altair_chart(chart(p), width="stretch")
        st.caption("实线：每周累计的高意向客户；虚线：按最近几周的平均速度推到开盘；点线：蓄客目标。")
    closers(ctx, ops, frame, p, key)


guarded(main)
