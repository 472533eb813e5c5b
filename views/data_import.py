"""Import page: upload a visitor export, check the column mapping, read the report, commit."""

import datetime as dt

import streamlit as st

from mapping import importer
from mapping import schema as S
from mapping.ingest.privacy import mask_name, mask_phone
from mapping.ingest.tables import (
    CSV_SUFFIXES,
    EXCEL_SUFFIXES,
    IngestError,
    auto_map,
    best_sheet,
    file_digest,
    list_sheets,
    read_table,
    rejected_rows,
    validate,
)
from mapping.place.geocode import geocoder_from_env
from ui.common import CITIES, city_label, data_changed, get_store, guarded, pick_project, select_project

NOT_USED = "（不导入）"


def new_project_form(store) -> None:
    """The sidebar's 新建项目 form; a new project becomes the current one and the form says so."""
    with st.sidebar.expander("新建项目", expanded=store.projects().empty):
        with st.form("new_project"):
            name = st.text_input("项目名称", key="new_project_name")
            city = st.selectbox("城市", list(CITIES), format_func=city_label, key="new_project_city")
            launch = st.date_input("开盘日期", value=dt.date.today(), key="new_project_launch")
            no_launch = st.checkbox("还没有开盘日期", key="new_project_no_launch",
                                    help="开盘后可在「项目设置」补上；开盘前后对比页会请你选一个分界日")
            lines = st.multiselect("业态", S.PRODUCT_LINES, default=["公寓", "洋房"], key="new_project_lines")
            extra = st.text_input("其他业态（可选，多个用逗号分隔）", key="new_project_more_lines",
                                  placeholder="例如：叠墅，酒店")
            submitted = st.form_submit_button("创建项目")
        if not submitted:
            return
        try:
            more = extra.replace("，", ",").replace("、", ",").split(",")
            pid = store.create_project(name, city, None if no_launch else launch, [*lines, *more])
        except ValueError as exc:
            st.error(str(exc))
            return
        select_project(pid)
        st.success(f"已创建项目「{store.project(pid).name}」，并已选为当前项目。")


def mapping_editor(headers: list[str]) -> dict[str, str]:
    guessed = auto_map(headers)
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
    return mapping


def masked_preview(table, mapping):
    preview = table.frame.head(5).copy()
    for col, masker in ((S.PHONE, mask_phone), (S.NAME, mask_name)):
        if mapping.get(col):
            preview[mapping[col]] = preview[mapping[col]].map(masker)
    return preview


def main() -> None:
    store = get_store()
    st.title("导入到访客户")
    new_project_form(store)
    project = pick_project(store)
    if project is None:
        st.info("请先在左侧「新建项目」。")
        return
    st.caption(f"导入到项目：**{project.name}**。支持 CSV（UTF-8 / GB18030，逗号、分号或制表符分隔）"
               "和 Excel（.xlsx / .xls）。手机号和姓名在导入时即脱敏，数据库里不保存明文。"
               "同一文件重复导入不会产生重复客户，修改过的行会更新原客户。")
    upload = st.file_uploader("选择文件", type=[s.lstrip(".") for s in CSV_SUFFIXES + EXCEL_SUFFIXES],
                              key="upload")
    if upload is None:
        return
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
    mapping = mapping_editor(list(table.frame.columns))
    st.dataframe(masked_preview(table, mapping), hide_index=True)
    default_crs = st.selectbox("坐标没有注明坐标系时按", S.CRS_NAMES, index=1, key="default_crs",
                               help="高德、腾讯、微信为 GCJ02；百度为 BD09；GPS、OpenStreetMap 为 WGS84")
    try:
        result = validate(table, mapping, salt=store.salt(), default_crs=default_crs,
                          product_lines=tuple(project.product_lines) or S.PRODUCT_LINES)
    except IngestError as exc:
        st.error(str(exc))
        return
    counts = result.counts
    st.subheader("校验报告")
    cols = st.columns(4)
    cols[0].metric("通过", f"{counts['accepted']:,}")
    cols[1].metric("已修正", f"{counts['fixed']:,}")
    cols[2].metric("已拒绝", f"{counts['rejected']:,}")
    cols[3].metric("空行（跳过）", f"{len(result.empty_rows):,}")
    if not result.report.empty:
        st.dataframe(result.report, hide_index=True, height=260)
        c1, c2 = st.columns(2)
        c1.download_button("下载校验报告（CSV）", result.report.to_csv(index=False).encode("utf-8-sig"),
                           file_name="校验报告.csv", mime="text/csv", key="dl_report")
        if counts["rejected"]:
            bad = rejected_rows(table, result, mapping)
            c2.download_button(f"下载被拒绝的 {counts['rejected']} 行（改好后可再次导入）",
                               bad.to_csv(index=False).encode("utf-8-sig"), file_name="被拒绝的行.csv",
                               mime="text/csv", key="dl_rejected")
    else:
        st.success("所有行都通过了校验。")
    n = len(result.records)
    if n == 0:
        st.warning("没有可以导入的行。请按校验报告修改文件后重新上传。")
        return
    if st.button(f"确认导入 {n:,} 行", type="primary", key="commit"):
        bar = st.progress(0.0, text="开始导入…")
        summary = importer.import_records(store, project.id, result, upload.name, file_digest(data), geocoder_from_env(),
                                       progress=lambda f, m: bar.progress(f, text=m))
        data_changed()
        st.success(summary.message())
        st.page_link("views/customer_map.py", label="查看客户地图", icon=":material/map:")


guarded(main)
