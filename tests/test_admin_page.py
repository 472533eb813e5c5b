"""用户与审计 (views/admin.py) through the app: create, change, reset, delete users; the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mapping.access import audit
from mapping.access.accounts import Accounts
from mapping.db.store import Store
from tests.conftest import TEST_PASSWORD, sign_in

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120


@pytest.fixture(autouse=True)
def _fresh(sample_app_database):
    yield


def _admin_page(role: str = "admin") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    sign_in(at, role)
    at.run()
    at.switch_page("views/admin.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _store() -> Store:
    store = Store()
    store.migrate()
    return store


def _button(at: AppTest, key: str):
    return next(b for b in at.button if b.key == key)


def test_only_admins_open_the_page():
    at = _admin_page("director")
    assert not [t for t in at.title if t.value == "用户与审计"]
    assert any("不能管理用户" in w.value for w in at.warning)


def test_create_a_user_shows_the_one_time_password_once():
    at = _admin_page()
    assert at.title[0].value == "用户与审计"
    at.text_input(key="admin_new_username").input("li.na")
    at.text_input(key="admin_new_display").input("李娜")
    at.selectbox(key="admin_new_role").set_value("channel")
    at.multiselect(key="admin_new_projects").set_value([1])
    next(b for b in at.button if b.label == "创建用户").click()
    at.run()
    assert not at.exception, at.exception
    assert len(at.code) == 1
    one_time = at.code[0].value
    assert any("私密渠道" in m.value for m in at.markdown)
    store = _store()
    account = Accounts(store).authenticate("li.na", one_time)
    assert account.role == "channel" and account.must_change_password
    assert Accounts(store).project_ids(account) == {1}
    entry = audit.entries(store, action="user_create").iloc[0]
    assert entry["username"] == "test_admin" and "li.na" in entry["detail"] and one_time not in entry["detail"]
    at.run()  # shown once
    assert len(at.code) == 0


def test_change_reset_and_delete_a_user():
    store = _store()
    accounts = Accounts(store)
    uid, _ = accounts.create_user("wang", "channel", TEST_PASSWORD)
    at = _admin_page()
    at.selectbox(key="admin_pick_user").set_value(uid)
    at.run()
    at.selectbox(key=f"admin_role_{uid}").set_value("planner")
    next(b for b in at.button if b.label == "保存修改").click()
    at.run()
    assert not at.exception, at.exception
    assert accounts.account(uid).role == "planner"

    token = accounts.start_session(uid)
    _button(at, f"admin_deactivate_{uid}").click()
    at.run()
    assert not accounts.account(uid).active and accounts.session_user(token) is None
    _button(at, f"admin_activate_{uid}").click()
    at.run()
    assert accounts.account(uid).active

    _button(at, f"admin_reset_{uid}").click()
    at.run()
    one_time = at.code[0].value
    assert accounts.authenticate("wang", one_time).must_change_password

    at.text_input(key=f"admin_delete_name_{uid}").input("wang")
    at.run()
    _button(at, f"admin_delete_{uid}").click()
    at.run()
    assert not at.exception, at.exception
    assert accounts.by_username("wang") is None
    changes = audit.entries(store, action="user_change")
    assert len(changes) == 5 and not changes["detail"].str.contains(one_time, regex=False).any()


def test_an_admin_cannot_deactivate_themselves():
    at = _admin_page()
    me = Accounts(_store()).by_username("test_admin")
    at.selectbox(key="admin_pick_user").set_value(me.id)
    at.run()
    assert _button(at, f"admin_deactivate_{me.id}").disabled
    assert at.selectbox(key=f"admin_role_{me.id}").disabled


def test_audit_log_filters_and_safe_download():
    store = _store()
    audit.record(store, "wang", "export", project_id=1, detail="=HYPERLINK(\"http://x\")", rows=3)
    at = _admin_page()
    at.selectbox(key="admin_audit_action").set_value("export")
    at.run()
    assert not at.exception, at.exception
    table = at.dataframe[-1].value
    assert table["操作"].tolist() == ["导出下载"] and table["用户"].tolist() == ["wang"]
    assert at.get("download_button"), "the CSV download is offered"
