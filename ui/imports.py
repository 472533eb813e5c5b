"""A project's imports, each with 撤销: say what undoing it will do, then do it on confirmation.

Importing into the wrong project is a two-click fix: 撤销, then 确认撤销.  The
undo itself (:func:`mapping.importer.undo_import`) is one transaction and also
undoes the later imports that built on the one chosen; the confirmation lists them.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mapping import importer
from mapping.db.store import Store
from mapping.project import Project
from ui import trail
from ui.auth import allowed, refusal
from ui.common import data_changed

COLUMNS = {"imported_at": "时间", "filename": "文件", "created_by": "操作人", "rows_total": "行数",
           "inserted": "新增", "updated": "更新", "unchanged": "未变", "rejected": "拒绝"}
NOBODY = "—"  # imports made before sign-in record no operator
PENDING = "undo_pending"  # the import whose 撤销 was clicked, waiting for 确认撤销
DONE = "undo_done"  # what the last undo did, shown after the rerun


def imports_panel(store: Store, project: Project, can_undo: bool = True) -> None:
    """The project's imports (newest first) as a table, and 撤销 for each (when ``can_undo``: the role may import)."""
    if DONE in st.session_state:
        st.success(st.session_state.pop(DONE))
    imports = store.imports(project.id)
    if imports.empty:
        st.caption("这个项目还没有导入记录。")
        return
    st.dataframe(import_table(imports), hide_index=True)
    if not can_undo:
        return
    st.caption("撤销一次导入：项目回到这次导入之前的样子（它新增的客户删除，它更新的客户恢复原样）。"
               "之后的导入如果改动过同一批客户，会一起撤销，确认前会列出。")
    for row in imports.itertuples(index=False):
        import_row(store, row)


def import_table(imports: pd.DataFrame) -> pd.DataFrame:
    """The imports table with Chinese headers, the time to the minute and 「—」 for no operator."""
    table = imports[list(COLUMNS)].copy()
    table["imported_at"] = pd.to_datetime(table["imported_at"]).dt.strftime("%Y-%m-%d %H:%M")
    table["created_by"] = table["created_by"].fillna("").replace("", NOBODY)
    return table.rename(columns=COLUMNS)


def import_row(store: Store, row) -> None:
    """One import in a line with its 撤销 button; its confirmation below it once clicked."""
    import_id = int(row.id)
    c1, c2 = st.columns([6, 1], vertical_alignment="center")
    c1.markdown(f"{pd.Timestamp(row.imported_at):%Y-%m-%d %H:%M} · 「{row.filename}」 · "
                f"新增 {row.inserted:,} 位，更新 {row.updated:,} 位")
    if c2.button("撤销", key=f"undo_{import_id}"):
        st.session_state[PENDING] = import_id
    if st.session_state.get(PENDING) == import_id:
        confirm(store, import_id)


def confirm(store: Store, import_id: int) -> None:
    """Say what undoing ``import_id`` will do and offer 确认撤销 / 取消 (or say why it cannot be undone)."""
    try:
        plan = importer.undo_plan(store, import_id)
    except ValueError as exc:
        st.session_state.pop(PENDING, None)
        st.error(str(exc))
        return
    if not plan.can_undo:
        st.session_state.pop(PENDING, None)
        st.error(plan.message())
        return
    st.warning(plan.message())
    c1, c2 = st.columns(2)
    if c1.button("确认撤销", key=f"undo_confirm_{import_id}", type="primary"):
        undo(store, import_id)
    if c2.button("取消", key=f"undo_cancel_{import_id}"):
        st.session_state.pop(PENDING, None)
        st.rerun()


def undo(store: Store, import_id: int) -> None:
    if not allowed("import"):
        st.error(refusal("import"))
        return
    try:
        plan = store.undo_plan(import_id)
        summary = importer.undo_import(store, import_id)
    except ValueError as exc:
        st.error(str(exc))
        return
    trail.record(store, "undo", project_id=plan["project_id"], rows=summary.removed + summary.restored,
                 detail="、".join(f"「{b['filename']}」（导入 #{b['id']}）" for b in plan["batches"])
                        + f"：删除 {summary.removed} 位客户，恢复 {summary.restored} 位")
    st.session_state.pop(PENDING, None)
    data_changed()
    st.session_state[DONE] = summary.message()
    st.rerun()
