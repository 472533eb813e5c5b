"""Home page: pick a project, see its headline figures, go to the pages."""

import altair as alt
import streamlit as st

from mapping import schema as S
from mapping.analysis import aggregate
from ui import layers as U
from mapping.access.roles import can_open
from ui.auth import allowed, require
from ui.context import area_scope
from ui.common import (
    NO_PROJECTS,
    city_hint,
    city_label,
    get_store,
    guarded,
    location_groups,
    no_visible_project,
    pick_project,
    project_caption,
)
from ui.i18n import TOOLTIP_DATE, chinese, date_axis
from ui.imports import imports_panel


# The figures are counted by the database (GROUP BY), never from every location row in pandas:
# the first run at 200,000 visitors no longer waits for the whole project to be read (issue 13).
# The locations are read once (ui.common.location_groups, shared by every session per data version):
# the shares of the summary, the city check and the map-unit coverage are all summed from them.
# ``version`` (Store.data_version) is the cache key; an import or a correction clears them.
@st.cache_data(show_spinner=False, max_entries=8)
def summary(_store, project_id: int, version: str) -> dict:
    return _store.summary(project_id, groups=location_groups(_store, project_id))


@st.cache_data(show_spinner=False, max_entries=8)
def weekly(_store, project_id: int, version: str):
    return aggregate.weekly_from_days(_store.weekly(project_id))


@st.cache_data(show_spinner=False, max_entries=8)
def map_unit_coverage(_store, project_id: int, version: str, layer_id: str, cities: tuple[str, ...]) -> dict | None:
    """Coverage per dimension on the map unit (None without locations): the grouped locations,
    each distinct place put on the layer once."""
    groups = location_groups(_store, project_id)
    if groups.empty:
        return None
    return aggregate.grouped_coverages(groups, layer_id, U.polygon_layer(layer_id, cities))


def weekly_chart(weekly):
    """Weekly visits and deals, dated in Chinese (「01月07日」)."""
    long = weekly.melt("周", var_name="口径", value_name="人数")
    chart = alt.Chart(long).mark_line().encode(
        x=alt.X("周:T", title=None, axis=date_axis("W")), y=alt.Y("人数:Q", title=None),
        color=alt.Color("口径:N", title=None, scale=alt.Scale(domain=["到访", "成交"], range=["#D9480F", "#1C7ED6"])),
        tooltip=[alt.Tooltip("周:T", title="周", format=TOOLTIP_DATE), "口径:N", "人数:Q"]).properties(height=220)
    return chinese(chart)


def reconcile_view(store, project, figures: dict) -> None:
    """识别率 beside what reaches the project's default map unit, with where the difference goes."""
    layer_id = project.area_layer if project.area_layer in U.builtin_ids(project.city_adcode) else S.LAYER_DISTRICTS
    version = store.data_version(project.id)
    covered = map_unit_coverage(store, project.id, version, layer_id, area_scope(store, project, version))
    if covered is None:
        return
    table = aggregate.reconcile(figures, covered)
    differs = bool((table["resolved"] != table["placed"]).any())
    with st.expander(f"识别到区县的位置与落到地图（{U.layer_label(layer_id)}）的位置" + ("：有差异，看原因" if differs else "")):
        st.dataframe(table.rename(columns=aggregate.RECONCILE_COLUMNS)[list(aggregate.RECONCILE_COLUMNS.values())],
                     hide_index=True)
        st.caption("首页的识别率按区县计；地图按所选区域单元计。只识别到区县的位置在板块地图上记入「（板块未明）」，"
                   "不会被丢掉；本市以外的位置不上本市地图。")


def links(items) -> None:
    """Page links, three to a row, to the pages the role may open."""
    role = require("view").role
    shown = [(f, label, icon) for f, path, label, icon in items if can_open(role, path)]
    for start in range(0, len(shown), 3):
        for col, (f, label, icon) in zip(st.columns(3), shown[start:start + 3]):
            col.page_link(f, label=label, icon=icon)


def main() -> None:
    require("view")
    store = get_store()
    st.title("拓客图 · 客户地图")
    st.caption("把到访客户的居住、工作、生活娱乐区域变成看得懂、用得上的拓客地图。")
    project = pick_project(store)
    if project is None:
        if no_visible_project(store):
            st.info(NO_PROJECTS)
            return
        st.info("没有可用的项目。请到「导入数据」页新建项目并上传到访客户表；已归档的项目可在「项目设置」恢复。")
        if allowed("import"):
            st.page_link("views/data_import.py", label="去导入数据", icon=":material/upload_file:")
        return
    project_caption(project)
    version = store.data_version(project.id)
    figures = summary(store, project.id, version)  # reads the locations once; the city check sums the same
    city_hint(store, project)
    launch = project.launch_date
    st.subheader(project.name)
    st.write(f"城市：{city_label(project.city_adcode)}　开盘日期：{launch or '未设置'}　"
             f"业态：{'、'.join(project.product_lines) or '未设置'}　成交口径：{project.deal_stage}及之后")
    if allowed("settings"):
        st.page_link("views/project_settings.py", label="项目设置：名称、开盘日、业态、成交口径、竞品位置",
                     icon=":material/settings:")
    cols = st.columns(3)
    cols[0].metric("到访客户", f"{figures['visitors']:,}")
    cols[1].metric("成交客户", f"{figures['deals']:,}")
    cols[2].metric("到访成交率", f"{figures['conversion']:.1%}")
    st.markdown("**位置识别率**（已落到区县的位置 / 填写了的位置）")
    cols = st.columns(3)
    for col, dim in zip(cols, S.DIMENSIONS):
        share = figures["resolved"][dim]
        col.metric(S.DIMENSION_LABELS[dim], f"{share['share']:.0%}",
                   help=f"已识别 {share['resolved']:,} / 填写 {share['given']:,}；"
                        f"未识别 {share['given'] - share['resolved']:,} 条")
    reconcile_view(store, project, figures)
    unresolved = sum(v["given"] - v["resolved"] for v in figures["resolved"].values())
    if unresolved:
        st.info(f"有 {unresolved:,} 条位置没有落到区县（无效内容、有歧义或未能识别），不会被算进任何区域。")
    if unresolved and allowed("review"):
        st.page_link("views/review.py", label="去「位置复核」逐个指定", icon=":material/fact_check:")
    if figures["visitors"]:
        st.markdown("**每周到访与成交**" + (f"（{launch} 开盘）" if launch else ""))
        st.altair_chart(weekly_chart(weekly(store, project.id, version)), width="stretch")
    with st.expander("导入记录与撤销" if allowed("import") else "导入记录"):
        imports_panel(store, project, can_undo=allowed("import"))
    st.divider()
    st.markdown("**每周一：**")
    links([
        ("views/battle_map.py", "battle", "拓客作战地图：各业态 A/B/C/D 分级、拓客计划", ":material/flag:"),
        ("views/visits_deals.py", "conversion", "到访成交对比：哪里到访多却成交少", ":material/compare_arrows:"),
        ("views/launch_compare.py", "launch", "开盘前后对比：蓄水期地图 vs 成交地图", ":material/event:"),
        ("views/data_import.py", "import", "导入数据：上传到访客户表（CSV / Excel）", ":material/upload_file:"),
        ("views/customer_map.py", "map", "客户地图：各区域到访热度", ":material/map:"),
        ("views/review.py", "review", "位置复核：处理没能识别的地名", ":material/fact_check:"),
    ])


guarded(main)
