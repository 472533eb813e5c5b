"""Sign-in and roles through the app (AppTest): the sign-in form, each role on each page and
each download, projects a member may see, sessions that end.

One database for the module (the sample project loads once); each test signs its own user in.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from mapping.access import audit
from mapping.access.accounts import Accounts
from mapping.access.roles import ACTIONS, PAGE_ACTIONS, ROLES, can, can_open
from mapping.bootstrap import ensure_ready
from mapping.db.models import UserSession
from mapping.db.store import Store
from tests.conftest import TEST_PASSWORD, sign_in

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120
PAGE_FILES = {
    "home": "views/home.py", "import": "views/data_import.py", "settings": "views/project_settings.py",
    "battle": "views/battle_map.py", "conversion": "views/visits_deals.py", "launch": "views/launch_compare.py",
    "map": "views/customer_map.py", "review": "views/review.py",
    "prospects": "views/prospects.py", "segments": "views/segments.py",
}
DOWNLOADS = {"battle": "bm_dl_xlsx", "conversion": "vd_dl_xlsx", "map": "dl_map", "launch": "lc_dl_xlsx",
             "prospects": "px_dl_csv", "segments": "sg_dl_xlsx"}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """The app's database for the module: the sample project (1) and 「别人的项目」, with empty caches."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TUOKE_DB_PATH", str(tmp_path_factory.mktemp("roles") / "app.sqlite3"))
        mp.setenv("TUOKE_ADMIN_PASSWORD", TEST_PASSWORD)
        mp.delenv("DATABASE_URL", raising=False)
        mp.chdir(ROOT)
        st.cache_resource.clear()
        st.cache_data.clear()
        store = Store()
        ensure_ready(store)
        other = store.create_project("别人的项目", "310000", dt.date(2024, 6, 1), ["公寓"])
        yield store, other
        store.engine.dispose()
        st.cache_resource.clear()
        st.cache_data.clear()


def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)


def _signed_in(role: str, projects=(1,), **kwargs) -> AppTest:
    at = _app()
    sign_in(at, role, project_ids=None if role == "admin" else list(projects), **kwargs)
    return at.run()


def _sign_in_form_shown(at: AppTest) -> bool:
    return bool(at.title) and at.title[0].value == "拓客图 · 登录" and not at.metric


def _submit(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="sign_in_user").input(username)
    at.text_input(key="sign_in_password").input(password)
    return next(b for b in at.button if b.label == "登录").click().run()


# ----------------------------------------------------------------------------- signing in
def test_without_a_session_the_sign_in_form_shows_and_nothing_else(db):
    at = _app().run()
    assert not at.exception, at.exception
    assert _sign_in_form_shown(at)
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    assert at.text_input(key="sign_in_password").proto.type == at.text_input(key="sign_in_password").proto.PASSWORD
    assert not at.sidebar.selectbox and not at.dataframe
    assert not any(b.label == "使用企业账号登录" for b in at.button)  # no [auth] in secrets: no SSO


def test_a_wrong_password_shows_the_error_and_no_page(db):
    store, _ = db
    Accounts(store).create_user("wrong.pw", "planner", TEST_PASSWORD, project_ids=[1])
    at = _submit(_app().run(), "wrong.pw", "not-the-password-1")
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["用户名或密码不对"]
    assert _sign_in_form_shown(at) and "auth_token" not in at.session_state
    assert audit.entries(store, username="wrong.pw", action="sign_in_failed").shape[0] == 1


def test_the_right_password_shows_the_home_page_and_the_footer(db):
    store, _ = db
    Accounts(store).create_user("zhang.san", "channel", TEST_PASSWORD, display_name="张三", project_ids=[1])
    at = _submit(_app().run(), "zhang.san", TEST_PASSWORD)
    assert not at.exception, at.exception
    assert at.title[0].value.startswith("拓客图 · 客户地图")
    assert {m.label: m.value for m in at.metric}["到访客户"] == "5,000"
    assert "张三 · 渠道经理" in [c.value for c in at.sidebar.caption]
    token = at.session_state["auth_token"]
    assert Accounts(store).session_user(token).username == "zhang.san"
    assert "Jinqiao" not in token  # the token is a random session token, never the password
    # 退出登录: back to the form, the session ended, the audit log says so
    at.button(key="auth_sign_out").click().run()
    assert _sign_in_form_shown(at)
    assert Accounts(store).session_user(token) is None
    assert audit.entries(store, username="zhang.san", action="sign_out").shape[0] == 1


def test_a_one_time_password_must_be_changed_first(db):
    store, _ = db
    _, one_time = Accounts(store).create_user("new.user", "viewer", project_ids=[1])
    at = _submit(_app().run(), "new.user", one_time)
    assert at.title[0].value == "设置新密码" and not at.metric
    at.text_input(key="new_password_1").input("Pudong-Gold-77")
    at.text_input(key="new_password_2").input("Pudong-Gold-78")
    next(b for b in at.button if b.label == "保存新密码").click().run()
    assert [e.value for e in at.error] == ["两次输入的密码不一致。"]
    at.text_input(key="new_password_1").input("Pudong-Gold-77")
    at.text_input(key="new_password_2").input("Pudong-Gold-77")
    next(b for b in at.button if b.label == "保存新密码").click().run()
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.metric}["到访客户"] == "5,000"
    assert Accounts(store).authenticate("new.user", "Pudong-Gold-77").must_change_password is False


def test_an_expired_or_deactivated_session_goes_back_to_sign_in(db):
    store, _ = db
    accounts = Accounts(store)
    at = _signed_in("planner", username="expiring")
    assert at.metric and not at.exception
    with store.engine.begin() as conn:  # the session ran out
        conn.execute(update(UserSession).values(expires_at=dt.datetime.now() - dt.timedelta(minutes=1)))
    at.run()
    assert _sign_in_form_shown(at)
    assert any("登录已过期" in i.value for i in at.info)

    at = _signed_in("planner", username="leaving")
    assert at.metric
    accounts.set_active(accounts.by_username("leaving").id, False)
    at.run()
    assert _sign_in_form_shown(at)


# ----------------------------------------------------------------------------- each role, each page
def _menu(monkeypatch) -> list:
    """Patch st.navigation to note the url paths the menu shows (the visible pages) on each run."""
    shown, original = [], st.navigation

    def noting(pages, *args, **kwargs):
        if kwargs.get("position") != "hidden":
            listed = [p for section in pages.values() for p in section] if isinstance(pages, dict) else pages
            shown[:] = [p.url_path or "home" for p in listed if p.visibility == "visible"]  # the default is ""
        return original(pages, *args, **kwargs)

    monkeypatch.setattr(st, "navigation", noting)
    return shown


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_sees_its_pages_and_downloads_and_is_refused_the_others(db, role, monkeypatch):
    menu = _menu(monkeypatch)
    at = _signed_in(role, username=f"matrix_{role}")
    assert not at.exception, at.exception
    assert set(menu) == {p for p in PAGE_ACTIONS if can_open(role, p)}
    for page, file in PAGE_FILES.items():
        at.switch_page(file).run()
        assert not at.exception, (role, page, at.exception)
        if not can_open(role, page):
            assert [w.value for w in at.warning] == [
                f"你的角色（{ROLES[role]}）不能{ACTIONS[PAGE_ACTIONS[page]]}。需要时请联系管理员。"], (role, page)
            assert not at.title and not at.metric and not at.dataframe and not at.get("download_button")
            continue
        assert at.title and not at.error, (role, page, [e.value for e in at.error])
        if page in DOWNLOADS:
            keys = [b.proto.id for b in at.get("download_button")]
            if can(role, "export"):
                assert any(DOWNLOADS[page] in k for k in keys), (role, page, keys)
            else:
                assert not keys, (role, page, keys)
                assert [c.value for c in at.caption].count("只读角色不能导出") == 1
    if can_open(role, "import"):  # the import report's two downloads
        at.switch_page(PAGE_FILES["import"]).run()
        data = (ROOT / "data" / "samples" / "visitors_bad_rows.csv").read_bytes()
        at.file_uploader(key="upload").set_value(("bad.csv", data, "text/csv")).run()
        keys = [b.proto.id for b in at.get("download_button")]
        assert any("dl_report" in k for k in keys) and any("dl_rejected" in k for k in keys), keys
        # only roles that may create projects get the 新建项目 form
        assert any(f.key == "new_project_name" for f in at.sidebar.text_input) == can(role, "create_project")


def test_an_export_is_written_to_the_audit_log_when_the_file_is_made(db, monkeypatch):
    from tests.test_pages import _eager_downloads

    store, _ = db
    made = _eager_downloads(monkeypatch)
    at = _signed_in("planner", username="exporter")
    at.switch_page(PAGE_FILES["conversion"]).run()
    assert not at.exception, at.exception
    assert made.get("vd_dl_xlsx", b"")[:2] == b"PK"
    exports = audit.entries(store, username="exporter", action="export")
    assert len(exports) == len(made) >= 2
    row = exports[exports["detail"].str.endswith(".xlsx")].iloc[0]
    assert row["project_id"] == 1 and row["rows"] and "到访成交对比" in row["detail"]


# ----------------------------------------------------------------------------- projects a member sees
def test_a_member_sees_only_their_projects_and_a_link_to_another_is_refused(db):
    store, other = db
    at = _signed_in("channel", projects=(1,), username="member_one")
    assert at.sidebar.selectbox(key="project_picker").options == ["金桥湾示范项目（示例）"]
    at = _app()
    sign_in(at, "channel", username="member_one", project_ids=[1])
    at.query_params["project"] = str(other)
    at.run()
    assert not at.exception
    assert at.sidebar.selectbox(key="project_picker").value == 1
    assert any(f"编号 {other}" in w.value and "不存在" in w.value for w in at.sidebar.warning)
    assert "别人的项目" not in "\n".join(m.value for m in [*at.markdown, *at.caption])
    # the admin sees all three (the two samples and the other one)
    at = _signed_in("admin", username="admin2")
    assert len(at.sidebar.selectbox(key="project_picker").options) == 3


def test_a_member_of_no_project_is_told_to_ask_the_admin(db):
    at = _signed_in("viewer", projects=(), username="nobody_s_member")
    assert not at.exception
    assert any(i.value == "你还没有可查看的项目，请联系管理员把你加入项目。" for i in at.info)
    assert not at.metric


def test_a_director_who_creates_a_project_becomes_its_member(db):
    store, _ = db
    at = _signed_in("director", username="director_new")
    at.switch_page(PAGE_FILES["import"]).run()
    at.sidebar.text_input(key="new_project_name").input("总监的新项目")
    next(b for b in at.sidebar.button if b.label == "创建项目").click().run()
    assert not at.exception, at.exception
    accounts = Accounts(store)
    pid = int(at.query_params["project"])
    assert pid in accounts.project_ids(accounts.by_username("director_new"))
    assert "总监的新项目" in [store.project(p).name for p in accounts.project_ids(accounts.by_username("director_new"))]


def test_a_setting_that_stops_the_start_is_a_message_not_a_traceback(tmp_path, monkeypatch):
    """A weak TUOKE_ADMIN_PASSWORD on a fresh database: the page says why, in Chinese."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("TUOKE_DB_PATH", str(tmp_path / "weak.sqlite3"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("TUOKE_ADMIN_PASSWORD", "123")
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
        assert not at.exception
        assert at.error and at.error[0].value.startswith("拓客图无法启动：")
    finally:
        st.cache_resource.clear()
