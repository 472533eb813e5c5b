"""What changes data leaves exactly one audit entry under the signed-in user's name (AppTest):
an import (and its 操作人), an undo, an alias saved and removed, a project created, its settings
changed, archived and deleted.  Plan save/approve/delete: tests/test_plan_approval_page.py."""

import datetime as dt
import importlib.util
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mapping.access import audit
from mapping.db.store import Store
from tests.conftest import sign_in
from ui.trail import scrub

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 180
_spec = importlib.util.spec_from_file_location("messy_export", ROOT / "tests" / "data" / "messy_export.py")
messy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(messy)


@pytest.fixture(autouse=True)
def _fresh(sample_app_database):
    """Each test on its own SQLite file with empty Streamlit caches."""


def _app(role: str, username: str, page: str, project_id: int = 1) -> AppTest:
    """``page`` signed in as ``username`` (``role``, a member of ``project_id``)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    sign_in(at)  # an admin first: the first run loads the sample project
    at.run()
    sign_in(at, role, username=username, project_ids=None if role == "admin" else [project_id])
    at.query_params["project"] = str(project_id)
    at.session_state["project_id"] = project_id
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def _entries(action: str):
    store = Store()
    try:
        return audit.entries(store, action=action)
    finally:
        store.engine.dispose()


def _one(action: str, username: str, project_id: int | None = None):
    rows = _entries(action)
    assert len(rows) == 1, rows
    row = rows.iloc[0]
    assert row["username"] == username and row["action"] == action and bool(row["ok"])
    if project_id is not None:
        assert row["project_id"] == project_id
    return row


def test_an_import_and_its_undo_each_leave_one_entry_and_the_import_its_operator():
    store = Store()
    store.migrate()
    pid = store.create_project("审计项目", "310000", dt.date(2024, 6, 1), list(messy.PRODUCT_LINES))
    at = _app("channel", "wang_channel", "views/data_import.py", pid)
    data = messy.workbook_bytes(60, seed=5)
    at.file_uploader(key="upload").set_value(("来访明细 13812345678.xlsx", data, "application/vnd.ms-excel")).run()
    at.button(key="commit").click().run()
    assert not at.exception, at.exception
    imports = store.imports(pid)
    assert imports["created_by"].tolist() == ["wang_channel"]
    row = _one("import", "wang_channel", pid)
    batch = imports.iloc[0]
    assert row["rows"] == batch["inserted"] + batch["updated"] > 0
    assert "13812345678" not in row["detail"] and "*******5678.xlsx" in row["detail"]  # no phone number in the log
    shown = next(d.value for d in at.dataframe if "操作人" in d.value.columns)
    assert shown["操作人"].tolist() == ["wang_channel"]

    import_id = int(batch["id"])
    at.button(key=f"undo_{import_id}").click().run()
    at.button(key=f"undo_confirm_{import_id}").click().run()
    assert not at.exception, at.exception
    undo = _one("undo", "wang_channel", pid)
    assert f"导入 #{import_id}" in undo["detail"] and undo["rows"] == batch["inserted"] + batch["updated"]
    assert len(_entries("import")) == 1


def test_an_alias_saved_and_removed_each_leave_one_entry():
    at = _app("channel", "li_review", "views/review.py")
    pick = at.selectbox(key="review_pick")
    text = pick.format_func(pick.value).rsplit("（", 1)[0]  # 「text（n 人 · method）」
    at.selectbox(key="review_district").set_value("310115").run()
    at.button(key="review_save").click().run()
    assert not at.exception, at.exception
    row = _one("alias_save", "li_review", 1)
    assert row["detail"].startswith(f"「{text}」→ 浦东新区") and "310115" in row["detail"]
    key = next(b.key for b in at.button if (b.key or "").startswith("review_undo_"))
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    assert _one("alias_remove", "li_review", 1)["detail"].startswith("「")
    assert len(_entries("alias_save")) == 1


def test_a_project_created_changed_archived_and_deleted_each_leave_one_entry():
    at = _app("admin", "chen_admin", "views/data_import.py")
    at.sidebar.text_input(key="new_project_name").set_value("审计新项目")
    at.sidebar.button[[b.label for b in at.sidebar.button].index("创建项目")].click().run()
    assert not at.exception, at.exception
    store = Store()
    pid = int(store.projects().set_index("name").loc["审计新项目", "id"])
    assert _one("project_create", "chen_admin", pid)["detail"] == "「审计新项目」"

    at.switch_page("views/project_settings.py")
    at.run()
    at.number_input(key=f"ps_min_count_{pid}").set_value(7)
    at.button[[b.label for b in at.button].index("保存基本信息")].click().run()
    assert not at.exception, at.exception
    assert store.project(pid).min_count == 7
    assert _one("project_settings", "chen_admin", pid)["detail"] == "已保存基本信息。"

    at.button(key=f"ps_archive_{pid}").click().run()
    assert not at.exception, at.exception
    assert _one("project_archive", "chen_admin", pid)["detail"].startswith("已归档项目「审计新项目」")

    at.sidebar.checkbox(key="ps_show_archived").check().run()
    at.query_params["project"] = str(pid)
    at.session_state["project_id"] = pid
    at.run()
    at.text_input(key=f"ps_delete_name_{pid}").set_value("审计新项目").run()
    at.button(key="ps_delete").click().run()
    assert not at.exception, at.exception
    assert pid not in set(store.projects()["id"])
    assert _one("project_delete", "chen_admin", pid)["detail"].startswith("已删除项目「审计新项目」")
    assert len(_entries("project_settings")) == 1 and len(_entries("project_create")) == 1


def test_phone_numbers_never_reach_a_detail():
    assert scrub("「张江 139 1234 5678」") == "「张江 *******5678」"
    assert scrub("2026年第12周_20261206.xlsx") == "2026年第12周_20261206.xlsx"
