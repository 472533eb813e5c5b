"""项目设置: a project's name, city, launch date, sales stages and what counts as 成交, product lines,
sites, default grading unit, minimum count and value maps; archive or delete it.

Every change goes through one Store method (validated, one transaction); a change that
alters counts bumps the project's settings version, so every cached view refreshes.
After a change the page reruns and says what it did (:func:`ui.common.notice`).
"""

import streamlit as st

from mapping import schema as S
from mapping.db.store import Store
from mapping.geo import sites
from mapping.ingest import values
from mapping.project import Project
from ui import layers as UL
from ui import trail
from ui.auth import allowed, refusal, require, visible_project_ids
from ui.common import (
    city_choices,
    city_label,
    data_changed,
    get_store,
    guarded,
    notice,
    pick_project,
    project_caption,
    project_visitors,
    relocate_with_progress,
    select_project,
    show_notice,
)

SHOW_ARCHIVED = "ps_show_archived"
NO_STAGE = "（无状态）"
VALUE_COLUMNS = {"label": "字段", "raw": "原值", "target": "对应为", "delete": "删除"}
# value-map fields whose targets come from a fixed list (channels are free text)
CLOSED_FIELDS = (values.STAGE_FIELD, values.LINE_FIELD, values.INTENTION_FIELD)


def _done(message: str, store: Store, project_id: int, action: str = "project_settings") -> None:
    """After a change: note it in the audit log (``action``, the message as detail), say so on the next
    run, and rerun so every widget shows the stored settings."""
    trail.record(store, action, project_id=project_id, detail=message)
    notice(message)
    st.rerun()


def basics(store: Store, project: Project) -> None:
    """Name, city, launch date, default grading unit and minimum count k."""
    pid = project.id
    layers = UL.builtin_ids(project.city_adcode)
    cities = city_choices(project.city_adcode)
    with st.form(f"ps_basics_{pid}"):
        st.subheader("基本信息")
        c1, c2 = st.columns(2)
        name = c1.text_input("项目名称", value=project.name, key=f"ps_name_{pid}")
        city = c2.selectbox("城市", cities, index=cities.index(project.city_adcode), format_func=city_label,
                            key=f"ps_city_{pid}", help="改城市后，全部客户位置会按新城市重新识别（导入的原始数据不变）")
        launch = c1.date_input("开盘日", value=project.launch_date, key=f"ps_launch_{pid}",
                               help="分开蓄水期与开盘后：开盘前后对比、拓客作战地图的时段都以它为界")
        no_launch = c2.checkbox("还没有开盘日期", value=project.launch_date is None, key=f"ps_no_launch_{pid}")
        layer = c1.selectbox("默认分级单元", layers, format_func=S.LAYER_LABELS.get, key=f"ps_layer_{pid}",
                             index=layers.index(project.area_layer) if project.area_layer in layers else 0)
        low, high = Store.MIN_COUNT_LIMITS
        k = c2.number_input("最少人数 k", min_value=low, max_value=high, value=project.min_count, step=1,
                            key=f"ps_min_count_{pid}",
                            help="到访人数少于 k 的区域记为「样本不足」：不分级，地图、表格和导出都不显示其人数")
        if not st.form_submit_button("保存基本信息"):
            return
    if not no_launch and launch is None:
        st.error("请选择开盘日，或勾选「还没有开盘日期」。")
        return
    if layer not in UL.builtin_ids(city):  # the Pudong 板块 are Shanghai's
        layer = S.LAYER_DISTRICTS
    try:
        store.update_project(pid, name=name, city_adcode=city, launch_date=None if no_launch else launch,
                             area_layer=layer, min_count=int(k))
    except ValueError as exc:
        st.error(str(exc))
        return
    message = "已保存基本信息。"
    if city != project.city_adcode:
        message += f" 城市改为{city_label(city)}，已重新识别 {relocate_with_progress(store, pid):,} 位客户的位置。"
    _done(message, store, project.id)


def stage_counts(visitors) -> str:
    """「来访 3,000 · 认购 120 · （无状态） 50」: how many visitors are at each stage."""
    counts = visitors["stage"].fillna("").replace("", NO_STAGE).value_counts()
    return " · ".join(f"{stage} {n:,}" for stage, n in counts.items())


def stages(store: Store, project: Project) -> None:
    """The sales stages this office uses, and from which stage on a visitor counts as 成交."""
    pid = project.id
    st.subheader("销售阶段与成交口径")
    visitors = project_visitors(store, pid, store.data_version(pid))
    if len(visitors) and "stage" in visitors:
        st.caption(f"客户状态分布：{stage_counts(visitors)}。没有状态的客户沿用导入时的「是否成交」。")
    c1, c2 = st.columns(2)
    with c1.form(f"ps_stages_form_{pid}"):
        used = st.multiselect("本案场使用的销售阶段", Store.SALES_STAGES, default=list(project.stages), placeholder="选择销售阶段",
                              key=f"ps_stages_{pid}")
        if st.form_submit_button("保存销售阶段"):
            try:
                store.update_project(pid, stages=used)
            except ValueError as exc:
                st.error(str(exc))
            else:
                _done(f"已保存销售阶段：{'、'.join(s for s in Store.SALES_STAGES if s in used)}。", store, project.id)
    with c2.form(f"ps_deal_form_{pid}"):
        deal = st.radio("算作成交的阶段（及之后）", Store.DEAL_STAGES, horizontal=True, key=f"ps_deal_{pid}",
                        index=Store.DEAL_STAGES.index(project.deal_stage) if project.deal_stage in Store.DEAL_STAGES
                        else 0, help=f"「{Store.CANCELLED_STAGE}」的客户永远不算成交")
        if st.form_submit_button("保存成交口径并重新计算"):
            try:
                changed = store.set_deal_stage(pid, deal)
            except ValueError as exc:
                st.error(str(exc))
            else:
                _done(f"成交口径改为「{deal}」及之后：{changed:,} 位客户的成交状态随之改变，所有页面已按新口径统计。", store, project.id)


def add_lines(store: Store, project: Project) -> None:
    with st.form(f"ps_add_lines_{project.id}"):
        offered = [line for line in S.PRODUCT_LINES if line not in project.product_lines]
        picked = st.multiselect("添加业态", offered, key=f"ps_add_pick_{project.id}", placeholder="选择要添加的业态")
        typed = st.text_input("或填写新业态（多个用逗号分隔）", key=f"ps_add_text_{project.id}")
        if not st.form_submit_button("添加"):
            return
    added = [*picked, *typed.replace("，", ",").replace("、", ",").split(",")]
    if not any(line.strip() for line in added):
        st.error("请选择或填写要添加的业态。")
        return
    try:
        store.update_project(project.id, product_lines=[*project.product_lines, *added])
    except ValueError as exc:
        st.error(str(exc))
        return
    _done("已添加业态：" + "、".join(line.strip() for line in added if line.strip()) + "。", store, project.id)


def rename_line(store: Store, project: Project) -> None:
    with st.form(f"ps_rename_{project.id}"):
        old = st.selectbox("要改名的业态", project.product_lines, key=f"ps_rename_old_{project.id}")
        new = st.text_input("新名称", key=f"ps_rename_new_{project.id}")
        if not st.form_submit_button("改名"):
            return
    try:
        changed = store.rename_product_line(project.id, old, new)
    except ValueError as exc:
        st.error(str(exc))
        return
    _done(f"已把业态「{old}」改名为「{new.strip()}」：{changed:,} 位客户的意向或成交业态随之更新。", store, project.id)


def retire_lines(store: Store, project: Project) -> None:
    with st.form(f"ps_retire_{project.id}"):
        gone = st.multiselect("停用的业态", project.product_lines, key=f"ps_retire_pick_{project.id}", placeholder="选择要停用的业态",
                              help="停用后新的地图不再单独画这个业态；客户数据保留，「全部业态」照常统计")
        if not st.form_submit_button("停用"):
            return
    if not gone:
        st.error("请选择要停用的业态。")
        return
    try:
        store.update_project(project.id, product_lines=[x for x in project.product_lines if x not in gone])
    except ValueError as exc:
        st.error(str(exc))
        return
    _done(f"已停用业态：{'、'.join(gone)}。这些客户的数据仍保留，在「全部业态」中照常统计。", store, project.id)


def product_lines(store: Store, project: Project) -> None:
    """Add, rename and retire product lines: one map each."""
    st.subheader("业态")
    st.write("现有业态：" + ("、".join(project.product_lines) or "（未设置：地图只有「全部业态」）"))
    c1, c2, c3 = st.columns(3)
    with c1:
        add_lines(store, project)
    if project.product_lines:
        with c2:
            rename_line(store, project)
        with c3:
            retire_lines(store, project)


def site_editor(store: Store, project: Project) -> None:
    """The project's own site (row 「本项目」) and its competitors, in the coordinate system they were copied in."""
    st.subheader("项目与竞品位置")
    crs = st.radio("坐标系", list(sites.CRS_LABELS), horizontal=True, format_func=sites.CRS_LABELS.get,
                   key=f"ps_sites_crs_{project.id}", help="从高德/腾讯地图复制的坐标选 GCJ-02，从百度复制的选 BD-09")
    st.caption(f"名称为「{sites.OWN_SITE}」的一行是本项目，其余每行一个竞品；可增删行。保存时换算为 WGS-84。")
    edited = st.data_editor(sites.sites_table(project, crs), num_rows="dynamic", hide_index=True,
                            key=f"ps_sites_{crs}_{project.id}")
    if st.button("保存位置", key=f"ps_sites_save_{project.id}"):
        try:
            store.set_sites(project.id, *sites.parse_sites(edited, crs))
        except ValueError as exc:
            st.error(str(exc))
            return
        _done("已保存项目与竞品位置。", store, project.id)


def value_maps(store: Store, project: Project) -> None:
    """What the project's files mean by their category values (saved when an import asked): change or forget."""
    st.subheader("取值对应")
    rows = store.value_map_rows(project.id)
    if rows.empty:
        st.caption("还没有保存的取值对应。导入时确认的对应（例如「叠墅」→「洋房」）会出现在这里。")
        return
    st.caption("导入时确认过的取值对应，以后的导入照此处理。可以修改「对应为」，或勾选「删除」后保存。")
    table = rows.assign(label=rows["field"].map(lambda f: values.VALUE_FIELD_LABELS.get(f, f)), delete=False)
    edited = st.data_editor(table[["field", *VALUE_COLUMNS]], hide_index=True, key=f"ps_values_{project.id}",
                            disabled=["label", "raw"],
                            column_config={"field": None, **VALUE_COLUMNS})
    if not st.button("保存取值对应", key=f"ps_values_save_{project.id}"):
        return
    gone = edited[edited["delete"].astype(bool)]
    kept = edited[~edited["delete"].astype(bool)]
    changed = kept[kept["target"].fillna("") != rows.loc[kept.index, "target"]]
    refused = [f"「{raw}」→「{target}」（{values.VALUE_FIELD_LABELS.get(field, field)}可选："
               f"{'、'.join(x or '空' for x in values.choices(field, project.product_lines))}）"
               for field, raw, target in zip(changed["field"], changed["raw"], changed["target"].fillna(""))
               if field in CLOSED_FIELDS and target not in values.choices(field, project.product_lines)]
    if refused:
        st.error("这些对应值不在可选范围内，没有保存：" + "；".join(refused))
        return
    try:
        for field, group in changed.groupby("field"):
            store.put_value_maps(project.id, field, dict(zip(group["raw"], group["target"].fillna(""))))
        for field, raw in zip(gone["field"], gone["raw"]):
            store.delete_value_map(project.id, field, raw)
    except ValueError as exc:
        st.error(str(exc))
        return
    _done(f"已保存取值对应：修改 {len(changed)} 条，删除 {len(gone)} 条。", store, project.id)


def _another_project(store: Store, project_id: int) -> int | None:
    """The first project that is neither ``project_id`` nor archived (None when there is none)."""
    others = store.projects()
    others = others[(others["id"] != project_id) & ~others["archived"]]
    visible = visible_project_ids(store)
    if visible is not None:
        others = others[others["id"].isin(visible)]
    return int(others["id"].iloc[0]) if len(others) else None


def archive(store: Store, project: Project) -> None:
    if not allowed("settings"):
        return
    if project.archived:
        st.info("这个项目已归档：它不出现在各页的项目列表里，数据都保留。")
        if st.button("取消归档", key=f"ps_unarchive_{project.id}"):
            store.archive_project(project.id, archived=False)
            _done(f"已取消归档「{project.name}」：它重新出现在各页的项目列表里。", store, project.id, "project_archive")
        return
    st.caption("归档后项目不再出现在各页的项目列表里，数据都保留；勾选左侧「显示已归档项目」可在本页恢复。")
    if st.button("归档项目", key=f"ps_archive_{project.id}"):
        store.archive_project(project.id)
        if not st.session_state.get(SHOW_ARCHIVED):
            select_project(_another_project(store, project.id))
        _done(f"已归档项目「{project.name}」，数据保留。", store, project.id, "project_archive")


def delete(store: Store, project: Project) -> None:
    if not allowed("delete_project"):
        st.caption("只有管理员可以删除项目；不再使用的项目可以归档。")
        return
    st.caption("删除会永久删除这个项目的全部到访客户、位置、导入记录、已存计划和取值对应，无法恢复。")
    typed = st.text_input(f"请输入项目名称「{project.name}」以确认删除", key=f"ps_delete_name_{project.id}")
    if typed and typed != project.name:
        st.caption("名称不一致：请逐字输入项目名称。")
    if st.button("永久删除项目", type="primary", disabled=typed != project.name, key="ps_delete"):
        if not allowed("delete_project"):
            st.error(refusal("delete_project"))
            return
        store.delete_project(project.id)
        select_project(_another_project(store, project.id))
        data_changed()
        _done(f"已删除项目「{project.name}」及其全部数据。", store, project.id, "project_delete")


def main() -> None:
    require("settings")
    store = get_store()
    st.title("项目设置")
    project = pick_project(store, include_archived=bool(st.session_state.get(SHOW_ARCHIVED)))
    st.sidebar.checkbox("显示已归档项目", key=SHOW_ARCHIVED, help="勾选后项目列表里也有已归档的项目，可选中后取消归档")
    if project is None:
        show_notice()
        st.info("没有可设置的项目。请到「导入数据」页新建项目；已归档的项目勾选左侧「显示已归档项目」即可看到。")
        return
    project_caption(project)
    basics(store, project)
    st.divider()
    stages(store, project)
    st.divider()
    product_lines(store, project)
    st.divider()
    site_editor(store, project)
    st.divider()
    value_maps(store, project)
    st.divider()
    st.subheader("归档与删除")
    c1, c2 = st.columns(2)
    with c1:
        archive(store, project)
    with c2:
        delete(store, project)


guarded(main)
