"""费用与费效: enter or import marketing costs, undo a batch, and see cost per visit / high intention / deal
by channel, team and area with the 费效比 rank and a warning above the project's target."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import altair as alt
import pandas as pd
import streamlit as st

from mapping import schema as S
from mapping.analysis.facts import PERIODS, period_range
from mapping.db.operations import Operations
from mapping.export.safe import safe_csv
from mapping.export.workbook import plan_workbook
from mapping.ingest.tables import IngestError, file_digest
from mapping.ops import costs as C
from ui import layers as U
from ui import ops_data as OD
from ui import tables as UT
from ui import trail
from ui.auth import allowed, download_button, require
from ui.common import get_store, guarded
from ui.context import MapContext, map_context
from ui.shared import cached

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ERRORS_SHOWN = 8


# ----------------------------------------------------------------------------- data the page reads
def attributed(ctx: MapContext, ops: Operations) -> pd.DataFrame:
    """The visitor frame with each visitor's team for the page's area unit and dimension (shared with
    the other operations pages: :func:`ui.ops_data.attributed_frame`)."""
    return OD.attributed_frame(ctx, ops, ops.version(ctx.project.id), ctx.layer_id, ctx.dimension)


def controls(ctx: MapContext, ops: Operations) -> tuple[MapContext, tuple]:
    """The area unit and dimension (for the area view; by default those of the territory set in force),
    the minimum count and the period."""
    project = ctx.project
    unit, dim = OD.unit_of(ctx, ops.territory_in_force(project.id))
    c1, c2, c3, c4 = st.columns([2, 2, 2, 1])
    ids = ctx.layer_ids(hexagons=False)
    U.default_layer("co_layer", unit if unit in ids else project.area_layer, ids)
    layer_id = c1.selectbox("区域单元", ids, format_func=U.layer_label, key="co_layer")
    dimension = c2.selectbox("区域按", S.DIMENSIONS, index=S.DIMENSIONS.index(dim), format_func=S.DIMENSION_LABELS.get,
                             key="co_dimension", help="按区域看费效时，客户按这个维度的位置落到区域")
    periods = {k: v for k, v in PERIODS.items() if k not in ("pre", "post") or project.launch_date}
    period = c3.selectbox("时间", list(periods), format_func=periods.get, key="co_period",
                          help="费用按落在这段时间里的天数折算；到访按到访日期，成交按成交日期")
    if st.session_state.get("co_min_count", project.min_count) < project.min_count:
        st.session_state["co_min_count"] = project.min_count
    k = int(c4.number_input("最少样本", project.min_count, 100, project.min_count, key="co_min_count",
                            help=f"到访少于此数的分组不显示人数和成本（项目设置的下限是 {project.min_count}）"))
    custom = None
    if period == "custom":
        span = ctx.facts.date_range() or (dt.date.today() - dt.timedelta(days=27), dt.date.today())
        picked = st.date_input("起止日期", value=span, key="co_custom")
        custom = tuple(picked) if isinstance(picked, (tuple, list)) and len(picked) == 2 else span
    bounds = period_range(period, project.launch_date, ctx.facts.date_range(), custom)
    return ctx.with_(layer_id=layer_id, dimension=dimension, min_count=k), bounds


# ----------------------------------------------------------------------------- entering costs
def save(ctx: MapContext, ops: Operations, rows: pd.DataFrame, batch: str) -> int | None:
    """Add the rows as one batch; None (with the store's reason shown) when it refuses them."""
    try:
        return ops.add_costs(ctx.project.id, rows, batch=batch, created_by=trail.username())
    except ValueError as exc:
        st.error(str(exc))
        return None


def _editor_frame() -> pd.DataFrame:
    today = dt.date.today()
    first = today.replace(day=1)
    return pd.DataFrame({"开始日期": [first], "结束日期": [today], "渠道": [""], "团队": [""], "区域": [""],
                         "类别": ["媒体"], "金额": [""], "来电/留资": pd.array([None], dtype="Int64"), "备注": [""]})


def entry_form(ctx: MapContext, ops: Operations, teams: pd.DataFrame, channels: list[str]) -> None:
    """A table to type costs in (amounts as 24万 / 1.2w / 3,500元), saved as one batch 「手工录入 <time>」."""
    st.subheader("录入费用")
    st.caption("每行一笔费用。金额可写 240000、24万、1.2w、3,500元；团队、区域可留空（留空的计入「未分配」）。"
               f"区域按上面选的区域单元（{ctx.layer_label()}）识别。")
    n = st.session_state.setdefault("co_entry_n", 0)
    names = ctx.area_names()
    edited = st.data_editor(_editor_frame(), num_rows="dynamic", hide_index=True, key=f"co_entry_{n}",
                            column_config={
                                "开始日期": st.column_config.DateColumn(required=True),
                                "结束日期": st.column_config.DateColumn(),
                                "渠道": st.column_config.SelectboxColumn(options=channels),
                                "团队": st.column_config.SelectboxColumn(options=[""] + teams["name"].tolist()),
                                "区域": st.column_config.SelectboxColumn(options=[""] + names["area_name"].tolist()),
                                "类别": st.column_config.SelectboxColumn(options=list(S.COST_CATEGORIES),
                                                                       required=True),
                                "金额": st.column_config.TextColumn(help=C.AMOUNT_HELP),
                                "来电/留资": st.column_config.NumberColumn(min_value=0, step=1),
                                "备注": st.column_config.TextColumn(max_chars=200)})
    if not st.button("保存录入的费用", key="co_entry_save", icon=":material/save:"):
        return
    read = C.read_entries(pd.DataFrame(edited), teams, areas=names, channels=channels)
    refused = read.report[read.report["处理"] == C.REJECT]
    if len(refused):
        st.error("没有保存，请改正这些行后再点保存：\n" + "\n".join(
            f"- 第 {r['行号']} 行「{r['列']}」：{r['原因']}" for _, r in refused.head(MAX_ERRORS_SHOWN).iterrows()))
        return
    if read.rows.empty:
        st.warning("表里没有填金额的费用，没有保存。")
        return
    batch = f"手工录入 {dt.datetime.now():%Y-%m-%d %H:%M:%S}"
    added = save(ctx, ops, read.rows, batch)
    if added is None:
        return
    trail.record(ctx.store, "cost_add", project_id=ctx.project.id, detail=batch, rows=added)
    st.session_state["co_entry_n"] = n + 1  # a fresh, empty editor
    st.session_state["co_notice"] = f"已保存 {added} 笔费用（批次「{batch}」）。"
    st.rerun()


# ----------------------------------------------------------------------------- importing a file
def import_form(ctx: MapContext, ops: Operations, teams: pd.DataFrame, channels: list[str]) -> None:
    """Upload an Excel/CSV cost file: the report (row, column, what to do), the refused rows to download,
    and an import of the good rows as one batch."""
    st.subheader("导入费用表")
    st.caption(f"表里的「区域」按上面选的区域单元（{ctx.layer_label()}）识别；「团队」写团队名称或别名。")
    download_button("下载费用模板", data=lambda: C.cost_template(teams), file_name=C.TEMPLATE_NAME, mime=XLSX,
                    key="co_template", icon=":material/download:")
    upload = st.file_uploader("费用表（Excel 或 CSV）", type=["xlsx", "xls", "xlsm", "csv", "txt"], key="co_upload")
    if upload is None:
        return
    this_year = dt.date.today().year
    years = [None, this_year - 1, this_year, this_year + 1]
    year = st.selectbox("没写年份的期间（如「第12周」「3月」）按哪一年", years, key="co_year",
                        format_func=lambda y: "不指定（文件里只有一个年份时按那一年，否则拒绝这些行）" if y is None else f"{y} 年")
    data = upload.getvalue()
    digest = file_digest(data)
    try:
        read = C.read_costs(data, upload.name, teams, areas=ctx.area_names(), channels=channels, year=year)
    except IngestError as exc:
        st.error(str(exc))
        return
    refused = read.report[read.report["处理"] == C.REJECT]
    c1, c2, c3 = st.columns(3)
    c1.metric("可导入", f"{len(read.rows):,} 行")
    c2.metric("已拒绝", f"{len(read.rejected):,} 行")
    c3.metric("金额合计（可导入）", f"{read.rows['amount'].sum():,.0f} 元")
    if len(refused):
        lines = [f"- 第 {r['行号']} 行「{r['列']}」：{r['原因']}" for _, r in refused.head(MAX_ERRORS_SHOWN).iterrows()]
        more = f"\n- ……另有 {len(refused) - MAX_ERRORS_SHOWN} 处，见下表" if len(refused) > MAX_ERRORS_SHOWN else ""
        st.error(f"{len(read.rejected)} 行不能导入（其余行照常导入）：\n" + "\n".join(lines) + more)
        download_button("下载被拒绝的行（CSV，改好后可再导入）", data=safe_csv(read.rejected),
                        file_name=f"被拒绝的费用行_{upload.name.rsplit('.', 1)[0]}.csv", mime="text/csv",
                        key="co_rejected", rows=len(read.rejected), icon=":material/download:")
    if len(read.report):
        with st.expander(f"逐行报告（{len(read.report)} 条）", expanded=bool(len(refused))):
            UT.dataframe(read.report, hide_index=True, width="stretch")
    if st.session_state.get("co_imported") == digest:
        st.info("这个文件已经导入。要重新导入，请先在下方「导入批次」里撤销那一批。")
        return
    if read.rows.empty:
        st.warning("没有可以导入的行。请按上面的提示改好后再上传。")
        return
    if st.button(f"导入 {len(read.rows):,} 行费用", key="co_import", type="primary", icon=":material/upload:"):
        batch = f"导入 {upload.name} {dt.datetime.now():%Y-%m-%d %H:%M:%S}"[:120]
        added = save(ctx, ops, read.rows, batch)
        if added is None:
            return
        trail.record(ctx.store, "cost_import", project_id=ctx.project.id, detail=batch, rows=added)
        st.session_state["co_imported"] = digest
        st.session_state["co_notice"] = f"已导入 {added} 笔费用（批次「{batch}」）；{len(read.rejected)} 行被拒绝，没有导入。"
        st.rerun()


# ----------------------------------------------------------------------------- the list and its batches
def cost_list(ctx: MapContext, ops: Operations, costs: pd.DataFrame, can_edit: bool) -> None:
    st.subheader(f"已录入的费用（{len(costs):,} 笔）")
    if costs.empty:
        st.caption("还没有费用。" + ("在上面录入或导入。" if can_edit else ""))
        return
    names = dict(zip(ctx.area_names()["area_id"], ctx.area_names()["area_name"]))
    shown = pd.DataFrame({
        "开始日期": costs["period_start"].dt.date, "结束日期": costs["period_end"].dt.date, "渠道": costs["channel"],
        "团队": costs["team"], "区域": costs["area_id"].map(lambda a: names.get(a, a)), "类别": costs["category"],
        "金额(元)": costs["amount"], "来电/留资": costs["leads"], "备注": costs["note"], "批次": costs["batch"]})
    UT.dataframe(shown, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(shown)),
                 column_config={"金额(元)": st.column_config.NumberColumn(format="localized")})
    batches = (costs.groupby("batch", sort=False)
               .agg(行数=("id", "size"), 金额合计=("amount", "sum"), 最早=("period_start", "min"),
                    最晚=("period_end", "max"), 录入人=("created_by", "first"), newest=("id", "max"))
               .sort_values("newest", ascending=False).drop(columns="newest").reset_index())  # newest first
    st.markdown("**导入批次**")
    UT.dataframe(batches.assign(最早=batches["最早"].dt.date, 最晚=batches["最晚"].dt.date).rename(
        columns={"batch": "批次", "金额合计": "金额合计(元)"}), hide_index=True, width="stretch",
        column_config={"金额合计(元)": st.column_config.NumberColumn(format="localized")})
    if not can_edit:
        return
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    pick = c1.selectbox("撤销一个批次（整批删除）", batches["batch"].tolist(), key="co_undo_pick")
    if c2.button("撤销", key="co_undo", icon=":material/undo:"):
        gone = ops.delete_costs(ctx.project.id, batch=pick)
        trail.record(ctx.store, "cost_delete", project_id=ctx.project.id, detail=pick, rows=gone)
        st.session_state.pop("co_imported", None)
        st.session_state["co_notice"] = f"已撤销批次「{pick}」，删除 {gone} 笔费用。"
        st.rerun()


def target_form(ctx: MapContext, ops: Operations, settings: dict, can_edit: bool) -> float | None:
    """The project's target cost per deal (ops settings); editable with edit_ops."""
    target = settings.get("target_cost_per_deal")
    if not can_edit:
        st.caption(f"目标每成交成本：{target:,.0f} 元" if target else "目标每成交成本：未设置")
        return target
    if st.session_state.get("co_target_stored") != target:  # saved elsewhere since: show the stored target
        st.session_state["co_target_stored"] = target
        st.session_state["co_target"] = float(target or 0)
    c1, c2, _ = st.columns([2, 1, 3], vertical_alignment="bottom")
    value = c1.number_input("目标每成交成本（元，0 表示不设）", min_value=0.0, step=1000.0, format="%.0f",
                            key="co_target", help="每成交成本高于它的渠道、团队、区域会被标出预警")
    if c2.button("保存目标", key="co_target_save"):
        ops.put_ops_settings(ctx.project.id, {**settings, "target_cost_per_deal": float(value) or None})
        trail.record(ctx.store, "ops_settings", project_id=ctx.project.id, detail=f"目标每成交成本 {value:,.0f} 元")
        st.session_state["co_notice"] = "已保存目标每成交成本。" if value else "已取消目标每成交成本。"
        st.rerun()
    return target


# ----------------------------------------------------------------------------- the funnel
def with_estimates(costs: pd.DataFrame, teams: pd.DataFrame, ops: Operations, ctx: MapContext, frame: pd.DataFrame,
                   settings: dict) -> pd.DataFrame:
    """The entered costs plus what the teams' pay models imply for the weeks with visitors, where no
    entered cost of that team and category covers the week."""
    territory = ops.territory_in_force(ctx.project.id)
    weeks = frame["week"].dropna().unique()
    outreach = (settings.get("outreach_channels") or ["拓客"])[0]
    estimates = C.staff_costs(teams, (territory or {}).get("payload"), weeks, frame=frame,
                              default_day_rate=float(settings.get("day_rate") or 300), channel=outreach)
    return C.merge_estimates(costs, estimates)


def cost_chart(table: pd.DataFrame, by: str, target: float | None):
    data = table[table["每成交成本"].notna()]
    if data.empty:
        return None
    label = C.AXES[by]
    bars = alt.Chart(data).mark_bar().encode(
        y=alt.Y("名称:N", title=label, sort=data["名称"].tolist(), axis=alt.Axis(labelOverlap=False, labelLimit=160)),
        x=alt.X("每成交成本:Q", title="每成交成本（元）"),
        color=alt.condition(alt.datum["预警"] != "", alt.value("#c0392b"), alt.value("#2e86c1")),
        tooltip=[alt.Tooltip("名称:N", title=label), alt.Tooltip("投入(元):Q", format=",.0f"),
                 alt.Tooltip("到访:Q", format=","), alt.Tooltip("认购:Q", format=","),
                 alt.Tooltip("每到访成本:Q", format=",.0f"), alt.Tooltip("每成交成本:Q", format=",.0f"),
                 alt.Tooltip("费效比排名:Q")])
    chart = bars
    if target:
        chart = bars + alt.Chart(pd.DataFrame({"目标": [target]})).mark_rule(strokeDash=[4, 4]).encode(
            x=alt.X("目标:Q", title="每成交成本（元）"))  # the same title: one axis title, not two joined
    # a band per group (a fixed height squeezed the bars of a layered chart into its first 40 pixels)
    return chart.properties(height=alt.Step(28), title="每成交成本（红色：高于目标；虚线：目标）")


def stage_chart(table: pd.DataFrame, by: str, top: int = 8):
    """到访 → 高意向 → 认购 → 签约 of the groups with the largest spend (withheld groups left out)."""
    data = table[(table["key"] != "") & table["到访"].notna()]
    data = data.sort_values(["投入(元)", "到访"], ascending=False).head(top)
    if data.empty:
        return None
    stages = ["到访", "高意向", "认购", "签约"]
    long = data.melt(id_vars=["名称"], value_vars=stages, var_name="阶段", value_name="人数")
    return alt.Chart(long).mark_bar().encode(
        x=alt.X("阶段:N", sort=stages, title=None), xOffset=alt.XOffset("名称:N", sort=data["名称"].tolist()),
        y=alt.Y("人数:Q", title="人数"), color=alt.Color("名称:N", title=C.AXES[by], sort=data["名称"].tolist()),
        tooltip=[alt.Tooltip("名称:N", title=C.AXES[by]), "阶段:N", alt.Tooltip("人数:Q", format=",")],
    ).properties(height=280, title=f"漏斗（投入最多的 {len(data)} 个{C.AXES[by]}）")


def funnel_view(table: pd.DataFrame, by: str, target: float | None) -> None:
    for line in C.warnings_of(table):
        st.warning(f"{C.AXES[by]}{line}", icon=":material/warning:")
    shown = C.table_for_export(table, by)
    money = {c: st.column_config.NumberColumn(format="localized") for c in
             ("投入(元)", "每到访成本", "每高意向成本", "每成交成本")}
    shown[list(money)] = shown[list(money)].round(0)  # whole 元 on screen; the export keeps the fen
    UT.dataframe(shown, hide_index=True, width="stretch", column_config={
        **money, "线索": st.column_config.NumberColumn(format="%.0f")})
    left, right = st.columns(2)
    chart = cost_chart(table, by, target)
    if chart is not None:
        left.altair_chart(chart, width="stretch")
    stages = stage_chart(table, by)
    if stages is not None:
        right.altair_chart(stages, width="stretch")


def funnels(ctx: MapContext, costs: pd.DataFrame, frame: pd.DataFrame, bounds: tuple, target: float | None,
            ) -> dict[str, pd.DataFrame]:
    names = ctx.area_names()
    costs = costs.assign(area_name=costs["area_id"].map(dict(zip(names["area_id"], names["area_name"])))
                         .fillna(costs["area_id"]))
    period = None if bounds == (None, None) else bounds
    return {by: C.funnel(costs, frame, by=by, period=period, target=target, min_count=ctx.min_count)
            for by in C.AXES}


def downloads(ctx: MapContext, tables: dict[str, pd.DataFrame], bounds: tuple, target: float | None) -> None:
    stem = f"{ctx.project.name}_费用与费效_{dt.date.today():%Y%m%d}"
    meta = {"项目": ctx.project.name, "时间": f"{bounds[0] or '最早'} 至 {bounds[1] or '最新'}",
            "区域单元": ctx.layer_label(), "区域按": S.DIMENSION_LABELS[ctx.dimension],
            "目标每成交成本": f"{target:,.0f} 元" if target else "未设置", "最少样本数": str(ctx.min_count),
            "说明": "费效比排名：每成交成本从低到高；有投入无成交的排在最后；「未分配」是没有指定渠道/团队/区域的费用和客户",
            "生成时间": f"{dt.datetime.now():%Y-%m-%d %H:%M}"}
    sheets = {f"按{C.AXES[by]}": C.table_for_export(t, by) for by, t in tables.items()}
    download_button("费效表（Excel）", data=lambda: plan_workbook(sheets, meta, title="费用与费效"),
                    file_name=f"{stem}.xlsx", mime=XLSX, key="co_dl_xlsx", rows=sum(map(len, sheets.values())),
                    icon=":material/table:")


@dataclass(frozen=True)
class Books:
    """What the page read once: the project's operations store, teams, ops settings and costs."""

    ops: Operations
    teams: pd.DataFrame
    settings: dict
    costs: pd.DataFrame


def reading(ctx: MapContext, books: Books, bounds: tuple, target: float | None, estimate: bool) -> dict | None:
    """The funnel tables by channel, team and area and the count of visitors without a team; None without
    any cost.  Made once per data version, ops version, unit, dimension, k, period, target and estimate
    choice for every session (read-only)."""
    ops, teams, costs = books.ops, books.teams, books.costs

    def make() -> dict | None:
        frame = attributed(ctx, ops)
        used = with_estimates(costs, teams, ops, ctx, frame, books.settings) if estimate and len(teams) else costs
        if used.empty:
            return None
        return {"tables": funnels(ctx, used, frame, bounds, target),
                "unattributed": int(frame["team_id"].isna().sum())}

    key = ctx.key("co_funnels", ops.version(ctx.project.id), ctx.dimension, ctx.min_count, tuple(bounds), target,
                  estimate)
    return cached(key, make)


def results(ctx: MapContext, books: Books, bounds: tuple, target: float | None) -> None:
    st.subheader("费效：投入 → 线索 → 到访 → 高意向 → 认购 → 签约")
    estimate = st.toggle("没有录入人工/佣金的团队，按团队的费用方式估算（人天 × 日薪、佣金 × 成交、月费）",
                         value=True, key="co_estimate")
    read = reading(ctx, books, bounds, target, estimate)
    if read is None:
        st.info("还没有费用，算不出费效。请先录入或导入费用，或在「团队与片区」页填写团队的费用方式。")
        return
    tables = read["tables"]
    st.caption(f"「未分配」一行：没有指定渠道/团队/区域的费用，以及没有归属到团队或没有落到区域的客户"
               f"（当前 {read['unattributed']:,} 位客户未归属团队）；它不参与排名。")
    for tab, by in zip(st.tabs([f"按{C.AXES[b]}" for b in C.AXES], key="co_axis"), C.AXES):
        with tab:
            funnel_view(tables[by], by, target)
    downloads(ctx, tables, bounds, target)


# ----------------------------------------------------------------------------- the page
def main() -> None:
    require("view")
    store = get_store()
    st.title("费用与费效")
    st.caption("录入或导入各渠道、团队、区域的营销费用，看每到访、每高意向、每成交成本（费效比）。"
               "例：广告 24万 → 来电 50 → 到访 15 → 成交 3，每到访 16,000 元，每成交 80,000 元。")
    ctx = map_context(store)
    if ctx is None:
        return
    notice = st.session_state.pop("co_notice", None)
    if notice:
        st.success(notice)
    ops = Operations(store)
    pid = ctx.project.id
    teams, settings, costs = ops.teams(pid), ops.ops_settings(pid), ops.costs(pid)
    can_edit = allowed("edit_ops")
    ctx, bounds = controls(ctx, ops)
    channels = list(dict.fromkeys([*ctx.facts.channels, *S.CHANNELS]))
    target = target_form(ctx, ops, settings, can_edit)
    results(ctx, Books(ops, teams, settings, costs), bounds, target)
    st.divider()
    if not can_edit:
        st.info("只读：你的角色可以查看费用和费效，不能录入、导入或撤销费用。")
        cost_list(ctx, ops, costs, can_edit)
        return
    enter, upload, listed = st.tabs(["录入费用", "导入费用表", "已录入的费用与撤销"], key="co_tabs")  # kept over reruns
    with enter:
        entry_form(ctx, ops, teams, channels)
    with upload:
        import_form(ctx, ops, teams, channels)
    with listed:
        cost_list(ctx, ops, costs, can_edit)


guarded(main)
