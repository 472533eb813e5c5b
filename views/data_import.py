"""Import page: upload a visitor export → columns → unknown values → report → commit (undoable)."""

import datetime as dt

import pandas as pd
import streamlit as st

from mapping import importer
from mapping import schema as S
from mapping.export.safe import safe_csv
from mapping.ingest import values as V
from mapping.ingest.headers import AUTO_THRESHOLD, place_like_columns, suggest_mapping
from mapping.ingest.privacy import mask_frame
from mapping.ingest.tables import (
    CSV_SUFFIXES,
    EXCEL_SUFFIXES,
    IngestError,
    best_sheet,
    file_digest,
    list_sheets,
    read_table,
    rejected_rows,
    validate,
)
from mapping.place.geocode import geocoder_from_env
from ui import trail
from ui.auth import allowed, download_button, join_project, refusal, require
from ui.common import (
    NO_PROJECTS,
    city_choices,
    city_hint,
    city_label,
    data_changed,
    get_store,
    guarded,
    pick_project,
    prepare_views,
    project_caption,
    select_project,
)
from ui.imports import imports_panel

NOT_USED = "（不导入）"


def new_project_form(store) -> None:
    """The sidebar's 新建项目 form; a new project becomes the current one and the form says so.

    Only for roles that may create projects; a creator who is not 管理员 becomes a member of it.
    """
    if not allowed("create_project"):
        return
    with st.sidebar.expander("新建项目", expanded=store.projects().empty):
        with st.form("new_project"):
            name = st.text_input("项目名称", key="new_project_name")
            city = st.selectbox("城市", city_choices(), format_func=city_label, key="new_project_city",
                                help="可输入城市名搜索。不确定？先选最可能的城市：导入客户后，如果多数客户在另一个城市，"
                                     "首页会提示并可一键改过来")
            launch = st.date_input("开盘日期", value=dt.date.today(), key="new_project_launch")
            no_launch = st.checkbox("还没有开盘日期", key="new_project_no_launch",
                                    help="开盘后可在「项目设置」补上；开盘前后对比页会请你选一个分界日")
            lines = st.multiselect("业态", S.PRODUCT_LINES, default=["公寓", "洋房"], key="new_project_lines",
                                   placeholder="选择业态")
            extra = st.text_input("其他业态（可选，多个用逗号分隔）", key="new_project_more_lines",
                                  placeholder="例如：叠墅，酒店")
            submitted = st.form_submit_button("创建项目")
        if not submitted:
            return
        if not allowed("create_project"):
            st.error(refusal("create_project"))
            return
        try:
            more = extra.replace("，", ",").replace("、", ",").split(",")
            pid = store.create_project(name, city, None if no_launch else launch, [*lines, *more])
        except ValueError as exc:
            st.error(str(exc))
            return
        join_project(store, pid)
        trail.record(store, "project_create", project_id=pid, detail=f"「{store.project(pid).name}」")
        select_project(pid)
        st.success(f"已创建项目「{store.project(pid).name}」，并已选为当前项目。")


def mapping_editor(table) -> dict[str, str]:
    """The column mapping: sure matches preselected, the rest suggested with their confidence."""
    headers = list(table.frame.columns)
    suggested = suggest_mapping(headers, table.frame)
    sure = suggested[(suggested["canonical"] != "") & (suggested["confidence"] >= AUTO_THRESHOLD)]
    guessed = dict(zip(sure["canonical"], sure["header"]))
    options = [NOT_USED, *headers]
    with st.expander(f"列对应：已自动识别 {len(guessed)} 列，可逐项修改", expanded=len(guessed) < 4):
        cols = st.columns(3)
        mapping = {}
        for i, canonical in enumerate(S.CANONICAL_COLUMNS):
            default = guessed.get(canonical, NOT_USED)
            choice = cols[i % 3].selectbox(S.COLUMN_LABELS[canonical], options, index=options.index(default),
                                           key=f"map_{canonical}")
            if choice != NOT_USED:
                mapping[canonical] = choice
        unsure = suggested[(suggested["canonical"] != "") & (suggested["confidence"] < AUTO_THRESHOLD)]
        if len(unsure):
            st.caption("不太确定、没有自动采用的对应（可在上面手动选择）：" + "；".join(
                f"「{r.header}」→ {S.COLUMN_LABELS.get(r.canonical, r.canonical)}（{r.confidence:.0%}，{r.reason}）"
                for r in unsure.itertuples()))
    place_columns_hint(table, mapping)
    return mapping


def place_columns_hint(table, mapping: dict[str, str]) -> None:
    """Columns that look like places but are not mapped: shown before commit, one click to use them."""
    for c in place_like_columns(table, mapping):
        examples = "、".join(str(x) for x in c["examples"])
        with st.container(border=True):
            st.warning(f"「{c['header']}」这一列看起来是地点（例如：{examples}），但还没有对应，导入后这一列不会上地图。"
                       f"建议对应到「{c['label']}」。")
            st.button(f"把「{c['header']}」对应到「{c['label']}」", key=f"use_place_{c['header']}",
                      on_click=_use_column, args=(c["canonical"], c["header"]))


def _use_column(canonical: str, header: str) -> None:
    st.session_state[f"map_{canonical}"] = header


HOMETOWN_LABEL = "从身份证号推导籍贯（只保存到城市，身份证号本身不保存）"
HOMETOWN_CAPTION = ("个人信息保护法：最小必要。身份证号是敏感个人信息，只在需要籍贯分析时勾选：勾选后只用号码前六位推导出"
                    "籍贯城市并保存城市，号码本身不保存、不显示、不导出；不勾选则这一列完全不读取，客户的籍贯为空。")


def hometown_choice(store, project, mapping: dict[str, str]) -> bool:
    """The 籍贯 opt-in, shown only when a 身份证号 column is mapped; off unless the user ticks it, or unless an
    earlier import into this project ticked it (its visitors have a 籍贯): then on, said, so re-importing an
    updated export does not quietly clear what was derived."""
    if not mapping.get(S.ID_NUMBER):
        return False
    earlier = store.hometown_count(project.id)
    ticked = st.checkbox(HOMETOWN_LABEL, value=earlier > 0, key="derive_hometown")
    st.caption(HOMETOWN_CAPTION)
    if earlier:
        st.caption(f"本项目已有 {earlier:,} 位客户的籍贯（以前的导入勾选过），所以默认勾选；取消勾选会清空这个文件里"
                   "客户的籍贯。")
    return ticked


def value_label(field: str, value: str, raw: str) -> str:
    if value == "":
        return "留空（不计入等级）" if field == V.INTENTION_FIELD else "未填/不计成交"
    if field == V.CHANNEL_FIELD and value == raw:
        return f"保持原样「{raw}」"
    return value


def value_mapping_step(unknown: pd.DataFrame, project) -> dict[str, dict[str, str]]:
    """值映射: each unknown category value with its rows and a choice; returns {field: {key: target}}."""
    if unknown.empty:
        return {}
    st.subheader("值映射")
    st.caption(f"文件里有 {len(unknown)} 个系统不认识的取值（共 {int(unknown['rows'].sum()):,} 行）。这些行都会保留，"
               "已按最接近的含义预选，请逐个确认。选择会保存到本项目，以后导入自动沿用，也可在「项目设置」里修改。")
    chosen: dict[str, dict[str, str]] = {}
    for r in unknown.itertuples():
        options = list(r.choices)
        if r.field == V.CHANNEL_FIELD and r.raw not in options:
            options = [r.raw, *options]
        if r.field == V.STAGE_FIELD and "" not in options:
            options = [*options, ""]
        default = r.suggestion if r.suggestion in options else (
            V.OTHER_LINE if r.field == V.LINE_FIELD and V.OTHER_LINE in options else options[0])
        c1, c2 = st.columns([3, 2])
        c1.markdown(f"**{r.字段}**：「{r.raw}」· {r.rows:,} 行（第 {r.example_rows} 行等）"
                    + (f" · 建议「{value_label(r.field, r.suggestion, r.raw)}」" if r.suggestion else " · 没有把握的建议"))
        target = c2.selectbox(f"{r.字段}「{r.raw}」记为", options, index=options.index(default),
                              format_func=lambda v, f=r.field, raw=r.raw: value_label(f, v, raw),
                              key=f"vm_{r.field}_{r.key}", label_visibility="collapsed")
        chosen.setdefault(r.field, {})[r.key] = target
    return chosen


def merged_maps(saved: dict[str, dict[str, str]], chosen: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    return {f: {**saved.get(f, {}), **chosen.get(f, {})} for f in {*saved, *chosen}}


def report_view(table, result, mapping) -> None:
    counts = result.counts
    st.subheader("校验报告")
    cols = st.columns(4)
    cols[0].metric("通过", f"{counts['accepted']:,}")
    cols[1].metric("已修正", f"{counts['fixed']:,}")
    cols[2].metric("已拒绝", f"{counts['rejected']:,}")
    skipped = len(result.empty_rows) + len(getattr(result, "total_rows", []) or [])
    cols[3].metric("空行、合计行（跳过）", f"{skipped:,}")
    if result.report.empty:
        st.success("所有行都通过了校验。")
        return
    st.markdown("**按原因汇总**（先看被拒绝的行：改好后可以只导入这些行）")
    st.dataframe(result.summary(), hide_index=True)
    with st.expander(f"逐行明细（{len(result.report):,} 条）"):
        st.dataframe(result.report, hide_index=True, height=260)
    c1, c2 = st.columns(2)
    download_button("下载校验报告（CSV）", lambda: safe_csv(result.report), container=c1, rows=len(result.report),
                    file_name="校验报告.csv", mime="text/csv", key="dl_report")
    if counts["rejected"]:
        download_button(f"下载被拒绝的 {counts['rejected']} 行（改好后可再次导入）",
                        lambda: safe_csv(rejected_rows(table, result, mapping)), container=c2,
                        rows=counts["rejected"], file_name="被拒绝的行.csv", mime="text/csv", key="dl_rejected")


def masked_preview(table, mapping):
    """The first rows with every phone or name column masked, mapped or not (备用电话, 联系人姓名 …)."""
    return mask_frame(table.frame.head(5), mapping)


def read_upload(upload):
    """The uploaded file as a Table (the sheet the user picks, the most likely one preselected)."""
    data = upload.getvalue()
    sheet = None
    if upload.name.lower().endswith(EXCEL_SUFFIXES):
        sheets = list_sheets(data, upload.name)
        if len(sheets) > 1:
            best = best_sheet(data, upload.name)
            sheet = st.selectbox("工作表", sheets, index=sheets.index(best) if best in sheets else 0, key="sheet",
                                 help="已自动选中最像到访客户表的工作表")
    table = read_table(data, upload.name, sheet=sheet)
    where = f"工作表「{table.sheet}」" if table.sheet else f"编码 {table.encoding}"
    st.write(f"读到 **{len(table.frame):,}** 行、{len(table.frame.columns)} 列（{where}，表头在第 {table.header_row} 行）。")
    return data, table


def commit_step(store, project, upload, result, chosen) -> None:
    n = len(result.records)
    if n == 0:
        st.warning("没有可以导入的行。请按校验报告修改文件后重新上传。")
        return
    if st.button(f"确认导入 {n:,} 行到「{project.name}」", type="primary", key="commit"):
        if not allowed("import"):
            st.error(refusal("import"))
            return
        for field, choices in chosen.items():
            store.put_value_maps(project.id, field, choices)
        bar = st.progress(0.0, text="开始导入…")
        summary = importer.import_records(store, project.id, result, upload.name, file_digest(upload.getvalue()),
                                          geocoder_from_env(), progress=lambda f, m: bar.progress(f, text=m),
                                          created_by=trail.username())
        trail.record(store, "import", project_id=project.id, rows=summary.inserted + summary.updated,
                     detail=f"「{upload.name}」（导入 #{summary.import_id}）：新增 {summary.inserted}，更新 {summary.updated}，"
                            f"未变 {summary.unchanged}，拒绝 {summary.rejected}")
        data_changed()
        if summary.inserted or summary.updated:
            prepare_views(store, project)
        st.success(summary.message() + " 导错了项目或文件？在下面的「导入记录」里点「撤销」即可恢复。")
        st.page_link("views/customer_map.py", label="查看客户地图", icon=":material/map:")
        city_hint(store, project, offer=False)


def main() -> None:
    require("import")
    store = get_store()
    st.title("导入到访客户")
    new_project_form(store)
    project = pick_project(store)
    if project is None:
        st.info("请先在左侧「新建项目」。" if allowed("create_project") else NO_PROJECTS)
        return
    project_caption(project)
    st.caption(f"导入到项目：**{project.name}**。支持 CSV（UTF-8 / GB18030，逗号、分号或制表符分隔）"
               "和 Excel（.xlsx / .xls）。手机号和姓名在导入时即脱敏，数据库里不保存明文；身份证号不保存。"
               "同一文件重复导入不会产生重复客户，修改过的行会更新原客户。")
    upload = st.file_uploader("选择文件", type=[s.lstrip(".") for s in CSV_SUFFIXES + EXCEL_SUFFIXES],
                              key="upload")
    if upload is not None:
        import_file(store, project, upload)
    st.divider()
    st.subheader("导入记录")
    imports_panel(store, project)


def import_file(store, project, upload) -> None:
    _, table = read_upload(upload)
    mapping = mapping_editor(table)
    st.dataframe(masked_preview(table, mapping), hide_index=True)
    default_crs = st.selectbox("坐标没有注明坐标系时按", S.CRS_NAMES, index=1, key="default_crs",
                               help="高德、腾讯、微信为 GCJ02；百度为 BD09；GPS、OpenStreetMap 为 WGS84")
    derive_hometown = hometown_choice(store, project, mapping)
    lines = tuple(project.product_lines) or S.PRODUCT_LINES
    saved = store.value_maps(project.id)
    try:
        first = validate(table, mapping, secret=store.pii_secret(), default_crs=default_crs, product_lines=lines,
                         value_maps=saved, deal_stage=project.deal_stage, derive_hometown=derive_hometown)
    except IngestError as exc:
        st.error(str(exc))
        return
    chosen = value_mapping_step(first.unknown, project)
    result = first if not chosen else validate(table, mapping, secret=store.pii_secret(), default_crs=default_crs,
                                                product_lines=lines, value_maps=merged_maps(saved, chosen),
                                                deal_stage=project.deal_stage, derive_hometown=derive_hometown)
    report_view(table, result, mapping)
    commit_step(store, project, upload, result, chosen)


guarded(main)
