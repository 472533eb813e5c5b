"""团队与片区: the project's teams, who works which area of the plan in force, 竞拍, tactics, and whom each team brought.

The page reads widgets, calls :mod:`mapping.ops` (teams, territory, tactics) and
:class:`mapping.db.operations.Operations`, and shows.  The territory being edited lives in the
session (:data:`STATE`) until it is saved as a versioned territory set; editors get a new key
(a revision) whenever an action (map click, 自动均衡, 定标, 载入) replaces the table, so their
pending edits never apply twice.  Without ``edit_ops`` the page shows the same tables read-only,
without editors or buttons.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from mapping import schema as S
from mapping.analysis import battle as B
from mapping.analysis import grading as G
from mapping.db.operations import Operations
from mapping.maps import render
from mapping.maps.overlays import project_sites
from mapping.maps.territorymap import area_at, territory_map
from mapping.ops import tactics as TC
from mapping.ops import teams as TM
from mapping.ops import territory as T
from ui import layers as UL
from ui import tables
from ui import trail
from ui.auth import allowed, refusal, require
from ui.common import get_store, guarded, notice
from ui.context import MapContext, map_context
from ui.ops_data import attributed_frame
from ui.shared import cached, folium_payload, frame_digest, show_map

STATE = "tm_state"  # session: the territory being edited (see module doc)
NO_TEAM = "（未分配）"
METHOD_LABELS = {"manual": "手动", "balance": "自动均衡", "auction": "竞拍"}
TEAM_EDITOR = {"name": "名称", "kind": "类型", "size": "人数", "cost_model": "计费方式", "day_rate": "人天单价",
               "commission": "每成交佣金", "monthly_fee": "月固定费", "base": "驻地区域", "aliases": "别名",
               "active": "启用"}
AREA_EDITOR = {"area_name": "区域", "grade": "等级", "potential": "潜力", "visits": "到访", "team": "团队",
               "tactic": "打法", "per_week": "每周次数", "staff_days": "每周人天", "target_visits": "周目标到访",
               "target_high": "周目标高意向", "target_deals": "周目标成交", "reason": "建议理由"}
BID_EDITOR = {"team": "团队", "area": "区域", "target_visits": "承诺周到访", "target_deals": "承诺周成交",
              "by": "出价人", "at": "出价时间"}


# ----------------------------------------------------------------------------- the plan in force
def plan_in_force(ctx: MapContext) -> dict | None:
    """The approved plan, else the latest draft (saying which), else None (with a hint)."""
    plan = ctx.store.approved_plan(ctx.project.id)
    if plan is not None:
        st.caption(B.plan_in_force(plan) + "：片区按它划分")
        return plan
    plans = ctx.store.snapshots(ctx.project.id)
    if plans.empty:
        st.info("还没有保存过拓客计划。请先到「拓客作战地图」分级并保存计划，再来这里划分片区；团队可以先建。")
        return None
    plan = ctx.store.snapshot(int(plans["id"].iloc[0]))
    st.caption(f"{B.NO_APPROVED_PLAN}；片区按最新草稿「{B.plan_name(plan)}」划分，方案批准后请核对一次。")
    return plan


def plan_unit(ctx: MapContext, plan: dict | None) -> str:
    """The plan's area unit when this project can use it, else the project's default unit."""
    layer_id = str((plan or {}).get("layer_id") or "")
    if layer_id in ctx.layer_ids() or layer_id in UL.custom_layers():
        return layer_id
    if plan is not None:
        st.warning(f"计划按「{UL.layer_label(layer_id)}」分级，这个单元现在不可用（自己上传的图层只在上传时的会话里）："
                   "请在「拓客作战地图」重新上传该图层，或按现有单元另存计划。")
    ids = ctx.layer_ids(hexagons=False)
    return ctx.project.area_layer if ctx.project.area_layer in ids else S.LAYER_DISTRICTS


def plan_areas(ctx: MapContext, plan: dict, line: str) -> pd.DataFrame:
    """The plan's graded areas of one line (无到访 left out): area_id, area_name, grade, score."""
    grades = B.snapshot_grades(plan["payload"], line)
    if grades is None:
        return pd.DataFrame(columns=["area_id", "area_name", "grade", "score"])
    return grades[grades["grade"] != G.NO_VISITS].reset_index(drop=True)


def area_table(ctx: MapContext, grades: pd.DataFrame, frame: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """:func:`mapping.ops.territory.area_facts` of the plan's areas (centroid, km², visitors of ``frame``
    per area, density, distance), computed once per data version, unit, dimension and plan areas for
    every session."""
    def make() -> pd.DataFrame:
        shapes = ctx.polygons(grades["area_id"].astype(str).tolist(), display=False)
        return T.area_facts(grades, shapes, frame["area_id"].value_counts(), ctx.project.site)

    key = ctx.key("tm_area_facts", dimension, frame_digest(grades), repr(ctx.project.site), len(frame))
    return cached(key, make).copy()


# ----------------------------------------------------------------------------- teams
def base_areas(ctx: MapContext) -> pd.DataFrame:
    """The areas a team's base may be in (every area of the unit; for hexagons, those with visitors),
    with a point inside each: area_id, area_name, lng, lat."""
    grades = ctx.area_names().assign(grade="", score=np.nan)
    if grades.empty:
        return pd.DataFrame(columns=["area_id", "area_name", "lng", "lat"])
    return area_table(ctx, grades, pd.DataFrame({"area_id": []}), "")


def teams_section(ctx: MapContext, ops: Operations, teams: pd.DataFrame, facts: pd.DataFrame, edit: bool) -> None:
    st.markdown("#### 团队")
    names = dict(zip(facts["area_id"], facts["area_name"]))
    shown = teams.assign(base=[names.get(a, a) for a in teams["base_area"]])
    shown = shown[["id", *TEAM_EDITOR]].reset_index(drop=True)  # the id column is kept, not shown
    if not edit:
        if shown.empty:
            st.caption("这个项目还没有团队。")
        else:
            tables.dataframe(shown.drop(columns="id").rename(columns=TEAM_EDITOR), hide_index=True)
        return
    st.caption("渠道团队、拓客小组、中介公司、置业顾问、小蜜蜂都在这里建。驻地区域是团队出发的地方（自动均衡时就近分片区）；"
               "别名是导入文件「拓客人员/渠道团队」列里这个团队的其他写法，用顿号分隔。删除一行即删除团队（其费用保留、不再属于任何团队）。")
    edited = st.data_editor(
        shown, key=f"tm_teams_{ops.version(ctx.project.id)}", num_rows="dynamic", hide_index=True,
        column_order=list(TEAM_EDITOR), column_config={
            "name": st.column_config.TextColumn("名称", required=True, max_chars=64),
            "kind": st.column_config.SelectboxColumn("类型", options=list(S.TEAM_KINDS), required=True,
                                                     default=S.TEAM_KINDS[0]),
            "size": st.column_config.NumberColumn("人数", min_value=1, step=1, default=1, required=True),
            "cost_model": st.column_config.SelectboxColumn("计费方式", options=list(S.COST_MODELS), required=True,
                                                           default=S.COST_MODELS[0]),
            "day_rate": st.column_config.NumberColumn("人天单价（元）", min_value=0.0, default=0.0),
            "commission": st.column_config.NumberColumn("每成交佣金（元）", min_value=0.0, default=0.0),
            "monthly_fee": st.column_config.NumberColumn("月固定费（元）", min_value=0.0, default=0.0),
            "base": st.column_config.SelectboxColumn("驻地区域", options=sorted(set(names.values()))),
            "aliases": st.column_config.TextColumn("别名"),
            "active": st.column_config.CheckboxColumn("启用", default=True),
        })
    if st.button("保存团队", key="tm_teams_save", icon=":material/save:"):
        save_teams(ctx, ops, teams, edited, facts)


def save_teams(ctx: MapContext, ops: Operations, before: pd.DataFrame, edited: pd.DataFrame,
               facts: pd.DataFrame) -> None:
    """Add, change and delete teams as edited; an error names the row and stops before the next row."""
    if not allowed("edit_ops"):
        st.error(refusal("edit_ops"))
        return
    by_name = {n: (a, lng, lat) for a, n, lng, lat in zip(facts["area_id"], facts["area_name"], facts["lng"],
                                                        facts["lat"])}
    names = dict(zip(facts["area_id"], facts["area_name"]))
    # a base left as it was keeps its own point (a team's base may be a precise spot, not the area's centre)
    kept = {int(r["id"]): (names.get(r["base_area"], r["base_area"]), (r["base_area"], r["base_lng"], r["base_lat"]))
            for r in before.to_dict("records")}
    done, pid = [], ctx.project.id
    rows = edited.reset_index(drop=True)
    gone = set(before["id"].astype(int)) - {int(i) for i in rows["id"].dropna()}
    for n, row in enumerate(rows.to_dict("records"), start=1):
        team_id = None if pd.isna(row.get("id")) else int(row["id"])
        shown, old = kept.get(team_id, (None, None))
        area, lng, lat = old if row.get("base") == shown and old is not None else \
            by_name.get(row.get("base") or "", ("", None, None))
        try:
            ops.save_team(pid, team_id=team_id, name=row.get("name") or "", kind=row.get("kind") or S.TEAM_KINDS[0],
                          size=row.get("size") if pd.notna(row.get("size")) else 1,
                          cost_model=row.get("cost_model") or S.COST_MODELS[0],
                          day_rate=_number(row.get("day_rate")), commission=_number(row.get("commission")),
                          monthly_fee=_number(row.get("monthly_fee")), base_area=area,
                          base_lng=None if lng is None or pd.isna(lng) else float(lng),
                          base_lat=None if lat is None or pd.isna(lat) else float(lat),
                          aliases=row.get("aliases") or "", active=bool(row.get("active", True)))
            done.append(str(row.get("name")))
        except ValueError as exc:
            st.error(f"团队表第 {n} 行：{exc}" + (f"（前面 {len(done)} 行已保存）" if done else ""))
            return
    for team_id in sorted(gone):
        ops.delete_team(team_id)
    trail.record(ctx.store, "team_save", project_id=pid, rows=len(done),
                 detail=f"团队：{'、'.join(done)}" + (f"；删除 {len(gone)} 个" if gone else ""))
    notice(f"已保存 {len(done)} 个团队" + (f"，删除 {len(gone)} 个" if gone else "") + "。")
    st.rerun()


def _number(value) -> float:
    return 0.0 if value is None or pd.isna(value) else float(value)


# ----------------------------------------------------------------------------- the working territory
@dataclass(frozen=True)
class Scope:
    """What the territory section works on, read once per run and passed down (one value, not ten)."""

    ctx: MapContext  # its layer_id is the plan's unit
    ops: Operations
    plan: dict  # the plan in force (a Store.snapshot dict)
    line: str  # product line ("" = all)
    dimension: str  # whose locations place a visitor in an area
    grades: pd.DataFrame  # the plan's areas of the line: area_id, area_name, grade, score
    facts: pd.DataFrame  # :func:`area_table` of them
    frame: pd.DataFrame  # the attributed visitors (shared, read-only)
    teams: pd.DataFrame  # Operations.teams
    edit: bool  # the role may edit (edit_ops)

    @property
    def key(self) -> tuple:
        return self.ctx.project.id, int(self.plan["id"]), self.line, self.dimension


def working(sc: Scope) -> dict:
    """The session's territory for this plan, line and dimension, started from the set in force when it
    divides the same plan unit and line, else from the suggestions alone."""
    state = st.session_state.get(STATE)
    if state is None or state["key"] != sc.key:
        current = sc.ops.territory_in_force(sc.ctx.project.id)
        body = (current or {}).get("payload") or {}
        fits = body.get("layer_id") == sc.plan["layer_id"] and (body.get("line") or "") == sc.line
        state = new_state(sc, current if fits else None)
        st.session_state[STATE] = state
    return state


def new_state(sc: Scope, source: dict | None, rev: int = 0) -> dict:
    body = (source or {}).get("payload") or {}
    table, gone = T.start_table(sc.facts, suggestions(sc), body.get("areas"))
    bids = pd.DataFrame(body.get("bids") or [], columns=["team_id", "area_id", "target_visits", "target_deals",
                                                         "by", "at"])
    return {"key": sc.key, "rev": rev + 1, "areas": table, "bids": bids, "gone": gone,
            "method": (source or {}).get("method") or "manual", "source": source, "award": None}


def suggestions(sc: Scope) -> pd.DataFrame:
    """Suggested tactic, frequency, staff days and weekly targets per area (:mod:`mapping.ops.tactics`)."""
    how = TC.suggest(sc.facts.assign(dimension=sc.dimension))
    high_share, conversion = TC.project_rates(sc.frame)
    goals = TC.default_targets(sc.facts, B.targets_from_payload(sc.plan["payload"]), high_share, conversion)
    return how.merge(goals, on="area_id", how="left")


def team_labels(teams: pd.DataFrame, table: pd.DataFrame) -> dict[int, str]:
    """Team id → the name shown (a team deleted since keeps a visible label)."""
    labels = dict(zip(teams["id"].astype(int), teams["name"].astype(str)))
    for t in table["team_id"].dropna().astype(int):
        labels.setdefault(int(t), f"已删除的团队（编号 {int(t)}）")
    return labels


def areas_editor(sc: Scope, state: dict, labels: dict[int, str], reasons: dict[str, str]) -> pd.DataFrame:
    """The territory table (team, tactic, frequency, staff days, weekly targets); returns it as edited.
    Areas with fewer than k visitors (or 样本不足 in the plan) show no count."""
    table, k, edit = state["areas"], sc.ctx.project.min_count, sc.edit
    info = sc.facts.set_index("area_id")
    hidden = (table["grade"] == G.INSUFFICIENT).to_numpy() | (info.loc[table["area_id"], "visits"] < k).to_numpy()
    shown = pd.DataFrame({
        "area_name": table["area_name"], "grade": table["grade"], "potential": T.potential(table).round(1),
        "visits": np.where(hidden, np.nan, info.loc[table["area_id"], "visits"].to_numpy(dtype=float)),
        "team": [None if pd.isna(t) else labels.get(int(t)) for t in table["team_id"]],
        "tactic": table["tactic"].replace("", None), "per_week": table["per_week"],
        "staff_days": table["staff_days"], "target_visits": table["target_visits"],
        "target_high": table["target_high"], "target_deals": table["target_deals"],
        "reason": [reasons.get(a, "") for a in table["area_id"]],
    }).reset_index(drop=True)  # rows in the order of ``table``
    if not edit:
        tables.dataframe(shown.rename(columns=AREA_EDITOR), hide_index=True, height=min(520, 38 + 35 * len(shown)),
                     column_config={"到访": st.column_config.NumberColumn(help=f"少于 {k} 人的区域不显示人数",
                                                                         format="%d")})
        return table
    config = {c: st.column_config.Column(label) for c, label in AREA_EDITOR.items()}
    config["visits"] = st.column_config.NumberColumn("到访", help=f"少于 {k} 人的区域不显示人数", format="%d")
    config.update({
        "team": st.column_config.SelectboxColumn("团队", options=list(labels.values())),
        "tactic": st.column_config.SelectboxColumn("打法", options=list(TC.TACTICS)),
        "per_week": st.column_config.NumberColumn("每周次数", min_value=0, step=1),
        "staff_days": st.column_config.NumberColumn("每周人天", min_value=0.0, step=0.5),
        "target_visits": st.column_config.NumberColumn("周目标到访", min_value=0, step=1),
        "target_high": st.column_config.NumberColumn("周目标高意向", min_value=0, step=1),
        "target_deals": st.column_config.NumberColumn("周目标成交", min_value=0, step=1),
    })
    edited = st.data_editor(shown, key=f"tm_areas_{state['rev']}", hide_index=True, num_rows="fixed",
                            column_config=config, height=min(520, 38 + 35 * len(shown)),
                            disabled=["area_name", "grade", "potential", "visits", "reason"])
    ids = {v: k_ for k_, v in labels.items()}
    out = table.copy()
    out["team_id"] = pd.array([ids.get(t) if isinstance(t, str) else None for t in edited["team"]], dtype="Int64")
    out["tactic"] = edited["tactic"].fillna("").astype(str).to_numpy()
    for col in ("per_week", "target_visits", "target_high", "target_deals"):
        out[col] = pd.to_numeric(edited[col], errors="coerce").fillna(0).astype(int).to_numpy()
    out["staff_days"] = pd.to_numeric(edited["staff_days"], errors="coerce").fillna(0.0).to_numpy()
    return out


def replace_areas(state: dict, table: pd.DataFrame, method: str | None = None, **extra) -> None:
    """Make ``table`` the territory being edited (a new editor revision) and rerun."""
    state.update(areas=T.areas_frame(table.to_dict("records")), rev=state["rev"] + 1, **extra)
    if method:
        state["method"] = method
    st.rerun()


# ----------------------------------------------------------------------------- map
def map_panel(sc: Scope, state: dict, table: pd.DataFrame, labels: dict[int, str]) -> None:
    ctx, teams, edit = sc.ctx, sc.teams, sc.edit
    ids = table["area_id"].tolist()
    left, right = st.columns(2)
    basemap = left.selectbox("底图", list(render.BASEMAPS), format_func=render.basemap_labels().get, key="tm_basemap")
    polygons = ctx.polygons(ids)
    named = pd.DataFrame({"id": list(labels), "name": list(labels.values())})
    title = f"{ctx.project.name} · 片区分配"

    def make() -> dict:
        return folium_payload(territory_map(polygons, table, named, basemap=basemap, title=title,
                                            subtitle="颜色 = 团队", sites=project_sites(ctx.project)))

    payload = cached(ctx.key("tm_map", basemap, title, frame_digest(table), frame_digest(named),
                             repr(project_sites(ctx.project))), make)
    if edit:
        options = [*[int(t) for t in teams.loc[teams["active"], "id"]], 0]
        team = right.selectbox("点击地图上的区域，分给", options, key="tm_assign",
                               format_func=lambda t: labels.get(t, NO_TEAM) if t else "取消分配（设为未分配）")
    state_map = show_map(payload, key="tm_map", height=560, returned_objects=["last_object_clicked"])
    if edit:
        clicked(state, table, polygons, state_map, basemap, team)


def clicked(state: dict, table: pd.DataFrame, polygons, state_map: dict | None, basemap: str, team: int) -> None:
    """A new click on an area gives it to the chosen team (once per click)."""
    point = (state_map or {}).get("last_object_clicked")
    if not point or point == state.get("click"):
        return
    state["click"] = point
    area = area_at(polygons, float(point["lng"]), float(point["lat"]), basemap)
    if area is None:
        return
    out = table.copy()
    out.loc[out["area_id"] == area, "team_id"] = team or None
    replace_areas(state, out, "manual")


# ----------------------------------------------------------------------------- balance, auction, checks
def balance_panel(sc: Scope, state: dict, table: pd.DataFrame) -> None:
    teams, facts, edit = sc.teams, sc.facts, sc.edit
    active = teams[teams["active"]]
    usual = active[active["kind"].isin(TM.AREA_KINDS)]
    names_of = dict(zip(active["id"].astype(int), active["name"]))
    chosen = st.multiselect("参与均衡的团队", list(names_of), format_func=names_of.get, disabled=not edit,
                            default=[int(t) for t in (usual if len(usual) else active)["id"]],
                            key="tm_balance_teams_" + "_".join(map(str, names_of)),  # new teams: the default again
                            help="默认是启用的渠道团队、拓客小组和小蜜蜂（中介公司、置业顾问通常不分片区）；"
                                 "不参与的团队已有的片区保持不变")
    active = active[active["id"].isin(chosen)]
    if edit:
        mine = table["team_id"].isin(chosen).fillna(False).to_numpy(dtype=bool)
        assigned = table.loc[mine, "area_id"]
        names = dict(zip(table["area_id"], table["area_name"]))
        locked = st.multiselect("自动均衡时保持不变的区域（已分配的）", assigned.tolist(), format_func=names.get,
                                key=f"tm_locked_{state['rev']}")
        if st.button("自动均衡", key="tm_balance", icon=":material/balance:",
                     help="按潜力（得分×等级权重）把区域分给启用的团队：每人潜力大致相等，片区紧凑、靠近驻地"):
            if not allowed("edit_ops"):
                st.error(refusal("edit_ops"))
                return
            if active.empty:
                st.error("请先在「参与均衡的团队」里选至少一个团队，再自动均衡。")
                return
            kept = table["team_id"].notna().to_numpy() & ~mine  # areas of teams left out of the balancing
            try:
                result = T.balance(facts[~facts["area_id"].isin(table.loc[kept, "area_id"])], active,
                                   {a: int(t) for a, t in zip(table["area_id"], table["team_id"]) if a in set(locked)})
            except ValueError as exc:
                st.error(str(exc))
                return
            owners = dict(zip(result["area_id"], result["team_id"]))
            out = table.assign(team_id=pd.array([t if k else owners.get(a) for a, t, k in
                                                 zip(table["area_id"], table["team_id"], kept)], dtype="Int64"))
            replace_areas(state, out, "balance")
    owners = set(table["team_id"].dropna().astype(int))
    shown = T.balance_index(table[["area_id", "team_id"]], facts,
                            teams[teams["id"].isin(set(active["id"]) | owners)])
    if len(shown):
        st.markdown("**均衡指数**（100 = 正好是按人数应得的潜力份额）")
        tables.dataframe(shown.drop(columns=["team_id"]).rename(columns={
            "team": "团队", "potential": "潜力", "share": "占比", "target_share": "应得占比", "index": "均衡指数",
            "areas": "片区数", "mean_km": "到驻地平均距离(公里)"}), hide_index=True, column_config={
            "占比": st.column_config.NumberColumn(format="percent"),
            "应得占比": st.column_config.NumberColumn(format="percent"),
            "均衡指数": st.column_config.NumberColumn(format="%.0f"), "潜力": st.column_config.NumberColumn(format="%.0f"),
            "到驻地平均距离(公里)": st.column_config.NumberColumn(format="%.1f")})


def auction_panel(sc: Scope, state: dict, table: pd.DataFrame, labels: dict[int, str]) -> None:
    teams, edit = sc.teams, sc.edit
    st.caption("各团队对区域出价：承诺每周带来多少到访、多少成交。定标时每个区域给承诺成交最多的团队（相同时看到访，"
               "再相同时先出价者、编号小者），中标的承诺就是该区域的周目标。")
    names = dict(zip(table["area_id"], table["area_name"]))
    area_of = {name: a for a, name in names.items()}
    bids = state["bids"]
    shown = pd.DataFrame({
        "team": [labels.get(int(t)) if pd.notna(t) else None for t in bids["team_id"]],
        "area": [names.get(str(a), str(a)) for a in bids["area_id"]],
        "target_visits": pd.to_numeric(bids["target_visits"], errors="coerce"),
        "target_deals": pd.to_numeric(bids["target_deals"], errors="coerce"),
        "by": bids["by"].fillna("").astype(str), "at": bids["at"].fillna("").astype(str)})
    if not edit:
        if shown.empty:
            st.caption("还没有出价。")
        else:
            tables.dataframe(shown.rename(columns=BID_EDITOR), hide_index=True)
        show_award(state, labels, names)
        return
    edited = st.data_editor(shown, key=f"tm_bids_{state['rev']}", num_rows="dynamic", hide_index=True,
                            disabled=["by", "at"], column_config={
                                "team": st.column_config.SelectboxColumn("团队", options=[labels[t] for t in labels
                                                                                        if t in set(teams["id"])]),
                                "area": st.column_config.SelectboxColumn("区域", options=list(area_of)),
                                "target_visits": st.column_config.NumberColumn("承诺周到访", min_value=0, step=1),
                                "target_deals": st.column_config.NumberColumn("承诺周成交", min_value=0, step=1),
                                "by": st.column_config.TextColumn("出价人"), "at": st.column_config.TextColumn("出价时间")})
    current = bid_rows(edited, labels, area_of)
    state["current_bids"] = current
    if st.button("定标", key="tm_award", icon=":material/gavel:", type="primary"):
        if not allowed("edit_ops"):
            st.error(refusal("edit_ops"))
            return
        try:
            won = T.award(current)
        except ValueError as exc:
            st.error(str(exc))
            return
        replace_areas(state, T.apply_award(table, won), "auction", bids=current, award=won)
    show_award(state, labels, names)


def bid_rows(edited: pd.DataFrame, labels: dict[int, str], area_of: dict[str, str]) -> pd.DataFrame:
    """The bids as edited (team and area ids); a new row gets its bidder and time now."""
    ids = {v: k for k, v in labels.items()}
    now = dt.datetime.now().isoformat(timespec="seconds")
    rows = edited.dropna(how="all", subset=["team", "area", "target_visits", "target_deals"])
    return pd.DataFrame({
        "team_id": [ids.get(t) for t in rows["team"]], "area_id": [area_of.get(a, "") for a in rows["area"]],
        "target_visits": rows["target_visits"].to_numpy(), "target_deals": rows["target_deals"].to_numpy(),
        "by": [b or trail.username() for b in rows["by"].fillna("")],
        "at": [a or now for a in rows["at"].fillna("")]})


def show_award(state: dict, labels: dict[int, str], names: dict[str, str]) -> None:
    won = state.get("award")
    if won is None or won.empty:
        return
    st.markdown(f"**定标结果**：{len(won)} 个区域")
    tables.dataframe(pd.DataFrame({
        "区域": [names.get(a, a) for a in won["area_id"]], "中标团队": [labels.get(int(t)) for t in won["team_id"]],
        "周目标到访": won["target_visits"], "周目标成交": won["target_deals"], "出价团队数": won["bidders"],
        "次优团队": [labels.get(int(t)) if pd.notna(t) else "—" for t in won["runner_up"]]}), hide_index=True)


def flags_panel(table: pd.DataFrame, grades: pd.DataFrame, teams: pd.DataFrame) -> None:
    flags = T.check(T.payload_areas(table), grades, teams)
    if flags.empty:
        st.success("没有重复分配，A/B 级区域都已分配，每个启用的团队都有片区。")
        return
    counts = flags["kind"].value_counts()
    st.warning("；".join(f"{kind} {n} 处" for kind, n in counts.items()) + "。")
    tables.dataframe(flags[["kind", "message"]].rename(columns={"kind": "问题", "message": "说明"}), hide_index=True,
                 height=min(320, 38 + 35 * len(flags)))


# ----------------------------------------------------------------------------- saved sets
def save_form(sc: Scope, state: dict, table: pd.DataFrame) -> None:
    ctx, ops, plan, line, dimension = sc.ctx, sc.ops, sc.plan, sc.line, sc.dimension
    with st.form("tm_save", border=False):
        name = st.text_input("片区方案名称", value=f"{dt.date.today():%Y-%m-%d} 片区方案", key="tm_save_name")
        note = st.text_input("备注（可选）", key="tm_save_note")
        start = st.date_input("执行起始日", value=_effective_default(state), key="tm_save_start", format="YYYY/MM/DD",
                              help="周复盘的累计目标和累计实际从这一天所在的周算起（默认今天）")
        overwrite = st.checkbox("覆盖同名草稿", key="tm_save_overwrite",
                                help="只覆盖草稿；已批准的版本不会被覆盖，同名保存会成为新的版本")
        saved = st.form_submit_button("保存片区方案", icon=":material/save:")
    if not saved:
        return
    if not allowed("edit_ops"):
        st.error(refusal("edit_ops"))
        return
    bids = state.get("current_bids", state["bids"])
    try:
        payload = {"layer_id": plan["layer_id"], "dimension": dimension, "line": line,
                   "areas": T.payload_areas(table), "bids": plain_bids(bids), "note": note,
                   "effective_from": start.isoformat() if start else None}
        set_id = ops.save_territory_set(ctx.project.id, name, payload, snapshot_id=int(plan["id"]),
                                        method=state["method"], created_by=trail.username(), replace=overwrite)
    except ValueError as exc:
        st.error(str(exc))
        return
    saved_set = ops.territory_set(set_id)
    trail.record(ctx.store, "territory_save", project_id=ctx.project.id, rows=len(table),
                 detail=f"{B.plan_label(saved_set)}（{METHOD_LABELS.get(state['method'])}）")
    state.update(source=saved_set, bids=bids)
    st.session_state["tm_pick"] = int(set_id)
    notice(f"已保存片区方案「{B.plan_name(saved_set)}」（草稿，待销售总监批准）。")
    st.rerun()


def _effective_default(state: dict) -> dt.date:
    """The 执行起始日 offered: the loaded set's own, else today."""
    given = ((state.get("source") or {}).get("payload") or {}).get("effective_from")
    try:
        return dt.date.fromisoformat(str(given)[:10]) if given else dt.date.today()
    except ValueError:
        return dt.date.today()


def plain_bids(bids: pd.DataFrame) -> list[dict]:
    rows = []
    for r in bids.to_dict("records"):
        if r.get("team_id") is None or pd.isna(r.get("team_id")) or not r.get("area_id"):
            continue
        rows.append({"team_id": int(r["team_id"]), "area_id": str(r["area_id"]),
                     "target_visits": int(_number(r.get("target_visits"))),
                     "target_deals": int(_number(r.get("target_deals"))),
                     "by": str(r.get("by") or ""), "at": str(r.get("at") or "")})
    return rows


def sets_panel(sc: Scope, state: dict) -> None:
    """Saved territory sets, newest first: load one into the editor, approve or delete a draft."""
    ctx, ops, plan = sc.ctx, sc.ops, sc.plan
    sets = ops.territory_sets(ctx.project.id)
    if sets.empty:
        st.caption("还没有保存过片区方案。")
        return
    labels = {int(r["id"]): f"{B.plan_label(r)} · {METHOD_LABELS.get(r['method'], r['method'])}"
              for r in sets.to_dict("records")}
    if st.session_state.get("tm_pick") not in labels:
        st.session_state["tm_pick"] = next(iter(labels))
    chosen = st.selectbox("已存片区方案", list(labels), format_func=labels.get, key="tm_pick")
    picked = ops.territory_set(chosen)
    draft = picked["status"] != "approved"
    c1, c2, c3 = st.columns(3)
    if c1.button("载入", key="tm_load", icon=":material/upload:", help="把这一版载入上面的表格和地图，可在其上修改后另存"):
        body = picked["payload"]
        if body.get("layer_id") != plan["layer_id"]:
            st.error(f"这一版按「{UL.layer_label(body.get('layer_id', ''))}」划分，与当前计划的分级单元不同，不能载入。")
            return
        st.session_state[STATE] = new_state(sc, picked, rev=state["rev"])
        st.rerun()
    if draft and allowed("approve_ops") and c2.button("批准", key="tm_approve", type="primary",
                                                      icon=":material/verified:"):
        approve(ctx, ops, picked)
    if draft and allowed("edit_ops") and c3.button("删除", key="tm_delete", icon=":material/delete:",
                                                   help="只能删除草稿；已批准的版本保留"):
        try:
            ops.delete_territory_set(int(picked["id"]))
        except ValueError as exc:
            st.error(str(exc))
            return
        trail.record(ctx.store, "territory_delete", project_id=ctx.project.id, detail=B.plan_label(picked))
        st.session_state.pop("tm_pick", None)
        notice(f"已删除草稿：{B.plan_name(picked)}。")
        st.rerun()


def approve(ctx: MapContext, ops: Operations, picked: dict) -> None:
    if not allowed("approve_ops"):
        st.error(refusal("approve_ops"))
        return
    try:
        ops.approve_territory_set(int(picked["id"]), trail.username())
    except ValueError as exc:
        st.error(str(exc))
        return
    done = ops.territory_set(int(picked["id"]))
    trail.record(ctx.store, "territory_approve", project_id=ctx.project.id, detail=B.plan_label(done))
    notice(f"已批准：{B.plan_label(done)}。各团队按这一版执行，客户归属也按它计算。")
    st.rerun()


# ----------------------------------------------------------------------------- attribution
def attribution_panel(sc: Scope) -> None:
    """How many visitors each team brought under the set in force, how many nobody, and why."""
    ctx, ops, frame, teams = sc.ctx, sc.ops, sc.frame, sc.teams
    layer_id, dimension = ctx.layer_id, sc.dimension
    current = ops.territory_in_force(ctx.project.id)
    channels = ops.ops_settings(ctx.project.id).get("outreach_channels") or []
    st.caption("归属规则：① 导入文件「拓客人员/渠道团队」列的名称（或别名）对上团队；② 否则，"
               f"到访渠道是{'、'.join(channels) or '（未设置拓客渠道）'}且所在区域已分给团队；③ 其余为「未归属」。"
               + (f"片区按「{B.plan_label(current)}」。" if current else "还没有片区方案，只按导入列归属。"))
    summary, reasons = cached(ctx.key("tm_attribution", ops.version(ctx.project.id), layer_id, dimension,
                                      tuple(channels)),
                              lambda: (TM.team_summary(frame, teams), TM.unattributed_reasons(frame, channels)))
    tables.dataframe(summary.drop(columns=["team_id"]).rename(columns={
        "team": "团队", "visitors": "到访", "high": "高意向(A/B)", "deals": "成交", "by_import": "按导入列",
        "by_territory": "按片区规则"}), hide_index=True)
    reasons = reasons[reasons["visitors"] > 0]
    if len(reasons):
        st.markdown(f"**未归属的 {int(reasons['visitors'].sum()):,} 位客户，原因**")
        tables.dataframe(reasons[["reason", "visitors", "examples"]].rename(columns={
            "reason": "原因", "visitors": "人数", "examples": "常见的未识别团队名"}), hide_index=True)


# ----------------------------------------------------------------------------- page
def choose_line_and_dimension(plan: dict) -> tuple[str, str]:
    lines = list(plan["payload"].get("grades", {}).keys()) or [B.ALL_LINES]
    c1, c2 = st.columns(2)
    line = c1.selectbox("业态", lines, format_func=B.line_label, key="tm_line")
    planned = plan["payload"].get("settings", {}).get("dimension")
    default = planned if planned in S.DIMENSIONS else S.HOME
    if st.session_state.get("tm_dimension") not in S.DIMENSIONS:
        st.session_state["tm_dimension"] = default
    dimension = c2.selectbox("按哪个维度的位置归属客户、计算密度", list(S.DIMENSIONS),
                             format_func=S.DIMENSION_LABELS.get, key="tm_dimension")
    return line, dimension


def territory_section(ctx: MapContext, ops: Operations, plan: dict, teams: pd.DataFrame, edit: bool) -> None:
    st.markdown("#### 片区分配")
    line, dimension = choose_line_and_dimension(plan)
    frame = attributed_frame(ctx, ops, ops.version(ctx.project.id), ctx.layer_id, dimension)
    grades = plan_areas(ctx, plan, line)
    if grades.empty:
        st.info("这个计划里这个业态没有分级区域。")
        return
    sc = Scope(ctx, ops, plan, line, dimension, grades, area_table(ctx, grades, frame, dimension), frame, teams,
               edit)
    state = working(sc)
    suggested = suggestions(sc)
    source = state.get("source")
    st.caption(("从「" + B.plan_label(source) + "」载入" if source else "新的片区分配（按建议的打法与目标）")
               + f"；分配方式：{METHOD_LABELS.get(state['method'], state['method'])}。"
               + (f" 已存方案里有 {len(state['gone'])} 个区域不在当前计划中，没有载入。" if state["gone"] else ""))
    labels = team_labels(teams, state["areas"])
    map_area = st.container()
    tabs = st.tabs(["片区与打法", "自动均衡", "竞拍", "检查", "客户归属"])
    with tabs[0]:
        table = areas_editor(sc, state, labels, dict(zip(suggested["area_id"], suggested["reason"])))
        if edit and st.button("按建议重置打法与目标", key="tm_reset_tactics"):
            fresh = T.start_table(sc.facts, suggested)[0]
            replace_areas(state, fresh.assign(team_id=table["team_id"].to_numpy()))
    with tabs[1]:
        balance_panel(sc, state, table)
    with tabs[2]:
        auction_panel(sc, state, table, labels)
    with tabs[3]:
        flags_panel(table, grades, teams)
    with tabs[4]:
        attribution_panel(sc)
    with map_area:
        map_panel(sc, state, table, labels)
    st.markdown("#### 片区方案（版本）")
    c1, c2 = st.columns([3, 2])
    with c1:
        if edit:
            save_form(sc, state, table)
        else:
            st.caption("你的角色只能查看片区方案。")
    with c2:
        sets_panel(sc, state)


def main() -> None:
    require("view")
    store = get_store()
    st.title("团队与片区")
    ctx = map_context(store)
    if ctx is None:
        return
    ops = Operations(store)
    edit = allowed("edit_ops")
    plan = plan_in_force(ctx)
    ctx = ctx.with_(layer_id=plan_unit(ctx, plan))
    teams = ops.teams(ctx.project.id)
    teams_section(ctx, ops, teams, base_areas(ctx), edit)
    if plan is None:
        return
    territory_section(ctx, ops, plan, teams, edit)


guarded(main)
