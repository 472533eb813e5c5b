"""The grading plans of the battle map: save a draft, pick one to compare with, approve, delete, export.

A saved plan is a draft until a 销售总监 (or 管理员) approves it; an approved version is
locked: saving under its name makes the next version, and it cannot be deleted
(:meth:`mapping.db.store.Store.save_snapshot`, :meth:`~mapping.db.store.Store.approve_snapshot`).
Saving needs the role's ``draft_plan``, approving ``approve_plan``
(:func:`mapping.access.roles.can`, asked when a button is shown and again when it is
clicked).  Every save, approval and deletion goes to the audit log (:mod:`ui.trail`).
This module only calls the store and shows; the labels come from
:func:`mapping.analysis.battle.plan_label`.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from mapping.analysis import battle as B
from mapping.analysis import grading as G
from mapping.export import plan as P
from ui import auth, trail
from ui.context import MapContext
from ui.layers import layer_label

NOTICE = "bm_plan_notice"  # session state: what the last plan action did, shown after the rerun
PICK = "bm_snap_pick"


def in_force(ctx: MapContext) -> dict | None:
    """Under the page title: which approved plan version the team follows (or that there is none)."""
    plan = ctx.store.approved_plan(ctx.project.id)
    st.caption(B.plan_in_force(plan))
    return plan


def plans_panel(ctx: MapContext, current: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame | None:
    """Save the run as a named plan; pick a saved plan of the same unit to compare with (the approved
    one first), approve or delete it.  Returns the picked plan's grades for ``ctx.line`` (None: none)."""
    st.markdown("#### 拓客计划（方案）")
    if NOTICE in st.session_state:
        st.success(st.session_state.pop(NOTICE))
    c1, c2 = st.columns([3, 2])
    save_form(ctx, c1, targets)
    all_plans = ctx.store.snapshots(ctx.project.id)
    usable = all_plans[all_plans["layer_id"] == ctx.run.layer_id]
    approved = all_plans[all_plans["status"] == "approved"].sort_values("approved_at", ascending=False)
    if len(approved) and approved["layer_id"].iloc[0] != ctx.run.layer_id:
        c2.caption(f"已批准的方案按「{layer_label(approved['layer_id'].iloc[0])}」分级：切换到这个分级单元才能对照它。")
    if usable.empty:
        c2.caption("还没有同一分级单元的已存计划。保存一次后，可以在这里对比升降级、找出机会战场。")
        plans_list(all_plans)
        return None
    labels = {int(r["id"]): f"{B.plan_label(r)} · {G.DIMENSION_LABELS.get(r['dimension'], r['dimension'])}"
              for r in usable.to_dict("records")}
    ids = list(labels)
    if st.session_state.get(PICK) not in ids:  # first visit or the pick was deleted: the approved plan first
        mine = approved[approved["layer_id"] == ctx.run.layer_id]
        st.session_state[PICK] = int(mine["id"].iloc[0]) if len(mine) else ids[0]
    chosen = c2.selectbox("对照的已存计划", ids, format_func=labels.get, key=PICK)
    snap = ctx.store.snapshot(chosen)
    c2.caption(authorship(snap))
    actions(ctx, c2, snap)
    plans_list(all_plans)
    plan = B.snapshot_grades(snap["payload"], ctx.line)
    if plan is None:
        c2.caption(f"这个计划里没有「{ctx.line_label()}」的地图。")
        return None
    moves_view(c2, G.compare(plan, current))
    return plan


def authorship(snap: dict) -> str:
    """「李四 12-05 09:01 起草；已批准并锁定：修改后保存会成为第 3 版」 or 「…；草稿，待销售总监批准」."""
    who = snap.get("created_by") or "—"
    made = f"{who} {pd.Timestamp(snap['created_at']):%m-%d %H:%M} 起草"
    if snap.get("status") == "approved":
        return (f"{made}；已批准并锁定（{snap.get('approved_by') or '—'} "
                f"{pd.Timestamp(snap['approved_at']):%Y-%m-%d %H:%M}）：同名再保存会成为第 {int(snap['version']) + 1} 版")
    return f"{made}；草稿，待销售总监批准"


def save_form(ctx: MapContext, column, targets: pd.DataFrame) -> None:
    """Save the run (every product line's grades) and the KPI targets under a name (the form in ``column``)."""
    if not auth.allowed("draft_plan"):
        column.caption("你的角色只能查看已存计划，不能保存新的计划。")
        return
    with column.form("bm_save", clear_on_submit=False, border=False):
        name = st.text_input("计划名称", value=f"{dt.date.today():%Y-%m-%d} 拓客计划", key="bm_snap_name")
        overwrite = st.checkbox("覆盖同名草稿", key="bm_snap_overwrite",
                                help="只覆盖草稿；已批准的版本不会被覆盖，同名保存会成为新的版本")
        saved = st.form_submit_button("保存当前分级为计划", icon=":material/save:")
    if saved:
        save(ctx, name, overwrite, targets)


def save(ctx: MapContext, name: str, overwrite: bool, targets: pd.DataFrame) -> None:
    if not auth.allowed("draft_plan"):
        st.error(auth.refusal("draft_plan"))
        return
    try:
        payload = B.snapshot_payload(ctx.run, ctx.graded_lines(), targets)
        sid = ctx.store.save_snapshot(ctx.project.id, name, ctx.run.layer_id, ctx.run.settings.dimension, payload,
                                      created_by=trail.username(), replace=overwrite)
    except ValueError as exc:
        st.error(str(exc))
        return
    snap = ctx.store.snapshot(sid)
    version = int(snap["version"])
    trail.record(ctx.store, "plan_save", project_id=ctx.project.id, detail=B.plan_label(snap))
    said = (f"已保存计划「{snap['name']}」第 {version} 版（草稿）：{len(ctx.run.bins)} 张作战地图"
            "（全部业态和各业态）及 KPI 目标。")
    if version > 1 and _previous_approved(ctx, snap):
        said = (f"「{snap['name']}」第 {version - 1} 版已批准、已锁定，没有改动它：这次另存为第 {version} 版（草稿），"
                "待批准。")
    st.session_state[NOTICE] = said
    st.session_state[PICK] = int(sid)
    st.rerun()


def _previous_approved(ctx: MapContext, snap: dict) -> bool:
    plans = ctx.store.snapshots(ctx.project.id)
    before = plans[(plans["name"] == snap["name"]) & (plans["version"] == int(snap["version"]) - 1)]
    return bool(len(before)) and before["status"].iloc[0] == "approved"


def actions(ctx: MapContext, column, snap: dict) -> None:
    """批准 (for roles that may approve), 删除 (drafts, for roles that may draft) and 导出 of the picked plan."""
    draft = snap.get("status") != "approved"
    b1, b2, b3 = column.columns(3)
    if draft and auth.allowed("approve_plan"):
        if b1.button("批准", key="bm_snap_approve", type="primary", icon=":material/verified:",
                     help="批准后这一版锁定：不能修改或删除，同名再保存会成为新的版本"):
            approve(ctx, snap)
    if draft and auth.allowed("draft_plan"):
        if b2.button("删除", key="bm_snap_delete", icon=":material/delete:", help="只能删除草稿"):
            remove(ctx, snap)
    auth.download_button("导出", lambda: plan_workbook(ctx, snap), container=b3, project_id=ctx.project.id,
                         file_name=f"{ctx.project.name}_{B.plan_name(snap)}.xlsx".replace(" · ", "_"),
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         icon=":material/table:", key="bm_snap_export",
                         help="这个计划的拓客计划表（Excel），说明页写明版本、状态和批准人")


def approve(ctx: MapContext, snap: dict) -> None:
    if not auth.allowed("approve_plan"):
        st.error(auth.refusal("approve_plan"))
        return
    try:
        ctx.store.approve_snapshot(int(snap["id"]), trail.username())
    except (ValueError, KeyError) as exc:
        st.error(str(exc).strip("'\""))
        return
    done = ctx.store.snapshot(int(snap["id"]))
    trail.record(ctx.store, "plan_approve", project_id=ctx.project.id, detail=B.plan_label(done))
    st.session_state[NOTICE] = f"已批准：{B.plan_label(done)}。这一版已锁定，作战地图按它执行。"
    st.rerun()


def remove(ctx: MapContext, snap: dict) -> None:
    if not auth.allowed("draft_plan"):
        st.error(auth.refusal("draft_plan"))
        return
    try:
        ctx.store.delete_snapshot(int(snap["id"]))
    except ValueError as exc:
        st.error(str(exc))
        return
    trail.record(ctx.store, "plan_delete", project_id=ctx.project.id, detail=B.plan_label(snap))
    st.session_state.pop(PICK, None)
    st.session_state[NOTICE] = f"已删除草稿：{B.plan_name(snap)}。"
    st.rerun()


def plan_workbook(ctx: MapContext, snap: dict) -> bytes:
    """The 拓客计划 workbook of a saved plan: its bins, filters and targets; 说明 says which version it is."""
    run, targets = B.run_from_payload(snap["payload"]), B.targets_from_payload(snap["payload"])
    return P.battle_plan_workbook(ctx.facts, run, ctx.area_names(), run.filters, targets, project=ctx.project,
                                  layer_label=ctx.layer_label(), layer=ctx.layer(), plan=snap)


def plans_list(plans: pd.DataFrame) -> None:
    """Every saved plan of the project, newest first: 名称 · 第 n 版 · 草稿/已批准（张三 … 批准）."""
    if plans.empty:
        return
    section = st.expander(f"全部已存计划（{len(plans)}）", key="bm_plans_open", on_change="rerun")
    if not section.open:  # the table only while open: one table fewer for the browser on the map's first load
        return
    with section:
        table = pd.DataFrame({
            "计划": [B.plan_label(r) for r in plans.to_dict("records")],
            "起草": [f"{r['created_by'] or '—'} {pd.Timestamp(r['created_at']):%Y-%m-%d %H:%M}"
                   for r in plans.to_dict("records")],
            "分级单元": [layer_label(x) for x in plans["layer_id"]],
            "维度": [G.DIMENSION_LABELS.get(x, x) for x in plans["dimension"]],
        })
        st.dataframe(table, hide_index=True, height=min(320, 38 + 35 * len(table)))


def moves_view(column, moves: pd.DataFrame) -> None:
    """How the grades moved since the plan: counts in ``column``, the moved areas below."""
    changes = moves["change"].value_counts()
    column.caption(f"与计划相比：升级 {int(changes.get('升级', 0))} 个，降级 "
                   f"{int(changes.get('降级', 0))} 个，新进入 {int(changes.get('新进入', 0))} 个，"
                   f"退出 {int(changes.get('退出', 0))} 个区域。")
    moved = moves[moves["change"] != "不变"]
    if len(moved):
        st.dataframe(moved[["area_name", "before", "after", "change"]].rename(columns={
            "area_name": "区域", "before": "计划等级", "after": "现在等级", "change": "变化"}),
            hide_index=True, height=min(300, 38 + 35 * len(moved)))
