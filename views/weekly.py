"""周复盘: the Monday meeting — each team against its targets, new battlefields, silent areas, competitors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from mapping import schema as S
from mapping.export import team_sheets as TS
from mapping.maps.overlays import project_sites
from mapping.ops import teams as T
from mapping.ops import weekly as W
from ui import layers as UL
from ui import ops_data as OD
from ui import tables
from ui.auth import download_button, require
from ui.common import get_store, guarded
from ui.context import MapContext, map_context
from ui.shared import cached, scope

TEAMS_PAGE = "views/teams.py"
NO_TERRITORY = ("还没有片区分配，周复盘没有目标可对照。请先到「团队与片区」页添加团队、把片区分给各团队"
                "（再请销售总监批准）；下面先列出各片区的产出、未归属的到访和竞品。")
RATE = st.column_config.NumberColumn(format="percent")


def territory_caption(territory: dict | None, layer_id: str, dimension: str, k: int) -> None:
    meta = TS.territory_meta(territory)
    st.caption(f"片区方案：{meta['片区方案']}（{meta['片区方案状态']}）　区域单元：{UL.layer_label(layer_id)}　"
               f"按{S.DIMENSION_LABELS[dimension]}位置　少于 {k} 人的数字不显示（保护个人信息）")


def teams_link() -> None:
    if (Path(__file__).resolve().parent.parent / TEAMS_PAGE).exists():
        st.page_link(TEAMS_PAGE, label="去「团队与片区」分配片区", icon=":material/groups:")


# ----------------------------------------------------------------------------- sections
def team_section(ctx: MapContext, review: W.Review, frame_key: tuple, outreach: list[str], get_frame,
                 territory: dict | None = None) -> None:
    st.subheader("① 团队达成：目标 vs 实际")
    st.caption("每周目标 = 团队所有片区的周目标之和；累计从片区方案的执行起始日（未填则从批准，草稿从创建）那一周算起，累计目标 = 周数 × 每周目标。"
               "状态按本周：每项有目标的都达到为「达标」。客户按首次到访那一周计，成交按成交日期那一周计。")
    table = review.teams
    config = {c: RATE for c in table.columns if c.endswith("达成率")}
    week_cols = [c for c in table.columns if not c.startswith("累计")]
    total_cols = ["团队", "类型", "片区数", *[c for c in table.columns if c.startswith("累计")], "备注"]
    start = W.effective_from(territory)
    if start is not None and review.week < start:
        st.caption(f"所选这一周早于片区方案生效的那一周（{start:%Y-%m-%d}）：本周对照的是现在的片区和目标，累计为空。")
    this_week, so_far = st.tabs(["本周", "累计（自片区方案生效）"])
    tables.dataframe(container=this_week, df=table[week_cols], hide_index=True, column_config=config)
    tables.dataframe(container=so_far, df=table[total_cols], hide_index=True, column_config=config)
    behind = review.teams.loc[review.teams["状态"] == W.STATUS_BEHIND, "团队"].tolist()
    if behind:
        st.markdown("本周落后：" + "、".join(behind) + "。例会上问一问：片区去了没有、打法对不对、人手够不够。")
    rest = review.teams[review.teams["团队"] == W.UNATTRIBUTED]
    if len(rest) and (rest["本周到访"].fillna(1) > 0).any():
        with st.expander("为什么有客户「未归属」"):
            reasons = cached((*frame_key, "unattributed_reasons", tuple(outreach)),
                             lambda: T.unattributed_reasons(get_frame(), outreach))
            shown = reasons[reasons["visitors"] > 0][["reason", "visitors", "examples"]]
            tables.dataframe(shown.rename(columns={"reason": "原因", "visitors": "客户数（全部时间）", "examples": "导入的名称举例"}),
                         hide_index=True)
            st.caption("在「团队与片区」给团队补上别名、把片区分给团队，或在导入表里填上拓客人员/团队，这些客户就能归属。")


def battlefield_section(review: W.Review, k: int) -> None:
    st.subheader("② 新战场：片区方案之外在产出的片区")
    st.caption(f"最近 {W.RECENT_WEEKS} 周有不少于 {k} 人到访、或有成交，却没有分给任何团队：考虑派人去看看，下一版片区方案里分出去。")
    if review.new_battlefields.empty:
        st.info("没有：最近两周的产出都在各团队的片区里。")
    else:
        tables.dataframe(review.new_battlefields, hide_index=True)


def silent_section(review: W.Review, silent_weeks: int) -> None:
    st.subheader("③ 沉默片区：分了团队却没有到访")
    st.caption(f"连续 {silent_weeks} 周或更久没有一位到访的已分配片区：问问负责的团队是否去了，打法、时间和地点对不对，"
               "还是这个片区该换人或收回。")
    if review.silent.empty:
        st.info(f"没有：每个已分配片区在最近 {silent_weeks} 周内都有到访。")
    else:
        tables.dataframe(review.silent, hide_index=True)


def competitor_section(ctx: MapContext, review: W.Review, radius: float) -> None:
    st.subheader("④ 好不好：产出片区附近的竞品")
    if not ctx.project.competitors:
        st.info("项目设置里还没有竞品位置。到「项目设置」填上竞品的名称和位置，这里就会列出产出片区附近的竞品。")
        return
    st.caption(f"最近 {W.RECENT_WEEKS} 周的产出片区，片区中心 {radius:g} 公里内的竞品：这些片区的客户也在看竞品，"
               "拓客要突出我们的优势，留意竞品的活动和价格。")
    skipped = review.competitors.attrs.get("skipped") or []
    if review.competitors.empty:
        st.info(f"产出片区 {radius:g} 公里内没有已登记的竞品。")
    else:
        tables.dataframe(review.competitors, hide_index=True)
    if skipped:
        st.caption("没有坐标、没有计入的竞品：" + "、".join(skipped) + "（到「项目设置」补上位置）。")


def direction_section(review: W.Review) -> None:
    st.subheader("⑤ 对不对：客户从哪里来")
    share = review.share
    assigned = share.loc[share["来源"] == "已分配片区", "占比"]
    if len(assigned) and pd.notna(assigned.iloc[0]):
        st.markdown(f"本周 **{assigned.iloc[0]:.0%}** 的到访来自已分配给团队的片区；比例低说明客户在片区方案之外，"
                    "片区或渠道可能要调整。")
    c1, c2 = st.columns(2)
    tables.dataframe(container=c1, df=share, hide_index=True, column_config={"占比": RATE})
    tables.dataframe(container=c2, df=review.grade_mix, hide_index=True, column_config={"到访占比": RATE})
    c2.caption(f"最近 {W.RECENT_WEEKS} 周产出片区按方案等级：A/B 片区产出多，说明分级对；「未分级」多，说明客户在方案之外。")


def exports(ctx: MapContext, review: W.Review, territory: dict | None, teams: pd.DataFrame, layer_id: str,
            dimension: str) -> None:
    st.subheader("导出")
    active = teams[teams["active"].astype(bool)] if "active" in teams else teams
    meta = {"区域单元": UL.layer_label(layer_id), "维度": S.DIMENSION_LABELS[dimension],
            "最少人数": str(ctx.project.min_count)}
    label = TS.week_label(review.week)
    c1, c2 = st.columns(2)
    download_button("下载周复盘（Excel）", data=lambda: TS.weekly_workbook(
        ctx.project.name, review.week, review.teams, review.new_battlefields, review.silent, review.competitors,
        territory, active, actuals=review.actuals, meta=meta),
        file_name=f"{ctx.project.name} 周复盘 {review.week:%Y-%m-%d}.xlsx", container=c1, rows=len(review.teams),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="wk_workbook")
    areas = ((territory or {}).get("payload") or {}).get("areas") or []
    if not areas or active.empty:
        c2.caption("有了团队和片区分配，这里可以下载每个团队一页的 A4 作战单（PDF）。")
        return
    plan = f"{TS.territory_meta(territory)['片区方案']} · {TS.territory_meta(territory)['片区方案状态']} · {label}"
    ids = [str(a.get("area_id", "")) for a in areas]

    def polygons():
        return UL.area_polygons(layer_id, ctx.cities, ids, display=True)

    def sheets() -> bytes:
        return TS.all_team_sheets_pdf(active, areas, polygons(), project=ctx.project.name, plan=plan,
                                      sites=project_sites(ctx.project), actuals=review.actuals)

    download_button("下载各团队 A4 作战单（PDF，每队一页）", data=sheets,
                    file_name=f"{ctx.project.name} 团队作战单 {review.week:%Y-%m-%d}.pdf", container=c2,
                    rows=len(active), mime="application/pdf", key="wk_team_pdf")
    names = dict(zip(active["id"].astype(int), active["name"].astype(str)))
    one = c2.selectbox("单个团队", list(names), format_func=names.get, key="wk_one_team")
    team = active[active["id"].astype(int) == one].iloc[0]

    def sheet() -> bytes:
        return TS.team_sheet_pdf(team, areas, polygons(), project=ctx.project.name, plan=plan,
                                 sites=project_sites(ctx.project), actuals=review.actuals)

    download_button(f"下载「{names[one]}」的 A4 作战单（PDF）", data=sheet,
                    file_name=f"{ctx.project.name} {names[one]} 作战单 {review.week:%Y-%m-%d}.pdf", container=c2,
                    rows=1, mime="application/pdf", key="wk_one_pdf")


# ----------------------------------------------------------------------------- page
def main() -> None:
    require("view")
    store = get_store()
    st.title("周复盘")
    st.caption("每周一例会用：各团队本周和累计的目标达成，片区方案之外冒出来的新战场，分了却没动静的沉默片区，"
               "产出片区附近的竞品，以及客户是不是来自我们分好的片区。")
    ctx = map_context(store)
    if ctx is None:
        return
    ops = OD.operations(ctx)
    pid = ctx.project.id
    k = ctx.project.min_count
    territory = ops.territory_in_force(pid)
    teams = ops.teams(pid)
    settings = ops.ops_settings(pid)
    ops_version = ops.version(pid)
    layer_id, dimension = OD.unit_of(ctx, territory)
    moved = OD.unit_warning(territory, layer_id)
    if moved:
        st.warning(moved)
    if territory is None:
        st.info(NO_TERRITORY)
        teams_link()
    territory_caption(territory, layer_id, dimension, k)
    counts = OD.counts(ctx, ops, ops_version, layer_id, dimension)
    weeks = W.review_weeks(counts)
    if not weeks:
        st.info("还没有带到访日期的客户，无法按周复盘。")
        return
    c1, c2 = st.columns([2, 1])
    if st.session_state.get("wk_week") not in weeks:  # another project's or an older data version's week
        st.session_state["wk_week"] = weeks[0]
    week = c1.selectbox("复盘哪一周", weeks, format_func=TS.week_label, key="wk_week",
                        help="默认是数据里最近一个完整的周（周一到周日）")
    radius = c2.number_input("竞品距离（公里）", min_value=0.5, max_value=20.0, value=W.DEFAULT_RADIUS_KM, step=0.5,
                             key="wk_radius")
    silent_weeks = int(settings.get("silent_weeks") or W.DEFAULT_SILENT_WEEKS)
    competitors = [dict(c) for c in ctx.project.competitors]
    key = (*scope(store, pid, ctx.version), "weekly", ops_version, layer_id, dimension)

    def make() -> W.Review:
        where = OD.centroids(ctx, layer_id, counts["area_id"].unique().tolist()) if competitors else None
        return W.review(counts, territory, teams, week, min_count=k, silent_weeks=silent_weeks, centroids=where,
                        competitors=competitors, radius_km=float(radius))

    review = cached((*key, "review", week, float(radius), silent_weeks, k, repr(competitors)), make)
    undated = counts.attrs.get("undated", 0)
    if undated:
        st.caption(f"另有 {undated:,} 位客户没有到访日期，不计入任何一周。")
    outreach = list(settings.get("outreach_channels") or [])
    team_section(ctx, review, key, outreach, lambda: OD.attributed_frame(ctx, ops, ops_version, layer_id, dimension),
                 territory)
    battlefield_section(review, k)
    silent_section(review, silent_weeks)
    competitor_section(ctx, review, float(radius))
    direction_section(review)
    exports(ctx, review, territory, teams, layer_id, dimension)


guarded(main)
