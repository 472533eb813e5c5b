"""Sign-in, the signed-in account, and what its role may do on each page and download.

:func:`sign_in_gate` runs in ``app.py`` before the navigation on every run: the session's
token (``st.session_state["auth_token"]``) or the browser's cookie ``tuoke_session`` (so a
reload or a new tab stays signed in) must name a live session
(:meth:`mapping.access.accounts.Accounts.session_user`: 12 h at most, 2 h idle, the user
still active), else the sign-in form is shown and the run stops.  The cookie holds only
the random session token, never the password; it is set from the browser
(``st.html`` with ``unsafe_allow_javascript``: the app's own page, not an iframe).

Every page begins with :func:`require` (the action that opens it, from
:data:`mapping.access.roles.PAGE_ACTIONS`); buttons that change things ask :func:`allowed`
before they are shown and again when clicked; every download goes through
:func:`download_button`, which shows it only to roles that may export and writes an
``export`` entry to the audit log when the file is made.

Optional SSO: with an ``[auth]`` section in ``.streamlit/secrets.toml`` the sign-in page
also offers 「使用企业账号登录」 (``st.login()``); the e-mail the identity provider returns
must belong to a user (an admin sets it in 用户与审计): nobody is created automatically.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping

import streamlit as st

from mapping.access import audit
from mapping.access.accounts import Account, Accounts, SignInError
from mapping.access.roles import ACTIONS, can, role_label

log = logging.getLogger("tuoke")

TOKEN = "auth_token"  # session state: this browser tab's session token
ACCOUNT = "auth_account"  # session state: the account signed in for the current run (set by the gate)
RUN = "auth_run"  # session state: an id of the current run (for 「只读角色不能导出」 once per page)
COOKIE = "tuoke_session"  # the browser cookie that keeps a reload or a new tab signed in
COOKIE_JOB = "auth_cookie_job"  # session state: "set" or "clear" the cookie on the next run
SIGNED_OUT = "auth_signed_out"  # session state: the token just signed out (the old cookie may still carry it)
EXPIRED = "auth_expired"  # session state: the last session ended on its own (say so on the sign-in form)
NO_EXPORT_NOTED = "auth_no_export_noted"  # session state: the run in which 「只读角色不能导出」 was shown
FOOTER_DRAWN = "auth_footer_run"  # session state: the run in which the sidebar footer was drawn
COOKIE_MAX_AGE = 12 * 3600  # seconds; the server ends the session at 12 h anyway (SESSION_TTL)
NO_EXPORT = "只读角色不能导出"


# ----------------------------------------------------------------------------- who is signed in
def current_account() -> Account | None:
    """The account the gate let in for this run (None before the gate or when nobody is signed in)."""
    account = st.session_state.get(ACCOUNT)
    return account if isinstance(account, Account) else None


def allowed(action: str) -> bool:
    """Whether the signed-in account's role may do ``action`` (False when nobody is signed in)."""
    account = current_account()
    return account is not None and can(account.role, action)


def signed_in(store) -> Account | None:
    """The account of this browser: the session's token, else the cookie's (a reload, a new tab); else None.

    Asked on every run, so an expired session or a deactivated user is signed out at once.
    """
    accounts = Accounts(store)
    token = st.session_state.get(TOKEN)
    if token:
        account = accounts.session_user(token)
        if account is not None:
            return account
        st.session_state.pop(TOKEN, None)
        st.session_state[EXPIRED] = True
        st.session_state[COOKIE_JOB] = "clear"
    cookie = _cookie_token()
    if cookie and cookie != st.session_state.get(SIGNED_OUT) and cookie != token:
        account = accounts.session_user(cookie)
        if account is not None:
            st.session_state[TOKEN] = cookie
            return account
    return None


def _cookie_token() -> str | None:
    try:
        return st.context.cookies.get(COOKIE) or None
    except Exception:  # no browser request behind this run (tests, bare mode)
        return None


# ----------------------------------------------------------------------------- the gate
def sign_in_gate(store, pages: list | dict | None = None) -> Account:
    """The signed-in account; otherwise the sign-in page (or 设置新密码) and the run stops.

    ``pages`` (the app's ``st.Page`` list or sections) are registered, hidden and not run, while the form
    shows, so a link to a page (``/map?project=2``) keeps its address and opens after sign-in.
    """
    st.session_state[RUN] = uuid.uuid4().hex
    st.session_state.pop(ACCOUNT, None)
    account = signed_in(store) or _sso_account(store)
    _cookie_job()
    if account is None:
        _keep_address(pages)
        _sign_in_page(store)
        st.stop()
    st.session_state[ACCOUNT] = account
    st.session_state.pop(EXPIRED, None)
    if account.must_change_password:
        _keep_address(pages)
        _new_password_page(store, account)
        st.stop()
    return account


def _keep_address(pages: list | dict | None) -> None:
    if pages:
        st.navigation(pages, position="hidden")  # registered, not run: the address stays as it was


def _sign_in_page(store) -> None:
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        _sign_in_form(store)


def _sign_in_form(store) -> None:
    st.title("拓客图 · 登录")
    if st.session_state.pop(EXPIRED, False):
        st.info("登录已过期或账号已被停用，请重新登录。")
    elif Accounts(store).first_start():
        st.info("首次使用：管理员账号是 **admin**，密码是启动时设置的 `TUOKE_ADMIN_PASSWORD`；没有设置时，"
                "一次性密码已打印在运行 `scripts/run` 的终端（服务器日志）里，登录后须改成自己的密码。")
    with st.form("sign_in"):
        username = st.text_input("用户名", key="sign_in_user")
        password = st.text_input("密码", type="password", key="sign_in_password")
        submitted = st.form_submit_button("登录", type="primary")
    if submitted:
        try:
            account = Accounts(store).authenticate(username, password)
        except SignInError as exc:
            st.error(str(exc))
        else:
            _start(store, account)
            st.rerun()
    if _sso_configured():
        st.divider()
        if st.button("使用企业账号登录", key="sign_in_sso", icon=":material/badge:"):
            _sso_login()
    st.caption("忘记密码或没有账号？请联系管理员。")


def _start(store, account: Account) -> None:
    """After a successful sign-in: a new session, its token in this tab and (next run) in the cookie."""
    token = Accounts(store).start_session(account.id)
    st.session_state[TOKEN] = token
    st.session_state[COOKIE_JOB] = "set"
    st.session_state.pop(SIGNED_OUT, None)
    st.session_state.pop("sign_in_password", None)


def _cookie_job() -> None:
    """Set or clear the session cookie in the browser (from the app's own page, so it is the app origin's cookie)."""
    job = st.session_state.pop(COOKIE_JOB, None)
    if job is None:
        return
    token = st.session_state.get(TOKEN) if job == "set" else None
    if job == "set" and not token:
        return
    value, age = (token, COOKIE_MAX_AGE) if token else ("", 0)
    script = (f"document.cookie = {json.dumps(f'{COOKIE}={value}; Path=/; SameSite=Strict; Max-Age={age}')}"
              " + (location.protocol === 'https:' ? '; Secure' : '');")
    with st.sidebar:
        st.html(f"<script>{script}</script>", unsafe_allow_javascript=True, width="content")


def _new_password_page(store, account: Account) -> None:
    """First sign-in or after a reset: the user sets their own password before anything else."""
    st.title("设置新密码")
    st.caption(f"{account.label}：首次登录或密码被重置后，请先设置自己的密码（至少 10 个字符，不能只有数字，"
               "不能包含用户名）。")
    with st.form("new_password"):
        first = st.text_input("新密码", type="password", key="new_password_1")
        second = st.text_input("再次输入新密码", type="password", key="new_password_2")
        submitted = st.form_submit_button("保存新密码", type="primary")
    if submitted:
        if _change_password(store, account, first, second):
            st.rerun()
    st.button("退出登录", key="auth_sign_out_new_password", on_click=_sign_out, args=(store,))


def _change_password(store, account: Account, first: str, second: str) -> bool:
    if first != second:
        st.error("两次输入的密码不一致。")
        return False
    try:
        Accounts(store).set_password(account.id, first, must_change=False)
    except ValueError as exc:
        st.error(str(exc))
        return False
    audit.record(store, account.username, "password_change")
    return True


# ----------------------------------------------------------------------------- SSO (optional)
def _sso_section() -> Mapping | None:
    """The ``[auth]`` section of ``.streamlit/secrets.toml``, or None (no secrets file at all included)."""
    try:
        if "auth" not in st.secrets:
            return None
        section = st.secrets["auth"]
        return section if isinstance(section, Mapping) else None
    except Exception:  # no secrets file, or one that does not parse: no SSO
        return None


def _sso_configured() -> bool:
    return _sso_section() is not None


def _sso_login() -> None:
    section = _sso_section() or {}
    providers = [name for name, value in section.items() if isinstance(value, Mapping)]
    st.login(None if "client_id" in section or not providers else providers[0])


def _sso_email() -> str | None:
    try:
        if not st.user.is_logged_in:
            return None
        return str(st.user.get("email") or "") or None
    except Exception:
        return None


def _sso_account(store) -> Account | None:
    """With SSO configured and the identity provider signed in: the user with that e-mail (a new session for it)."""
    if not _sso_configured():
        return None
    if st.session_state.pop(SIGNED_OUT + "_sso", False):
        try:
            st.logout()
        except Exception:
            log.warning("st.logout failed", exc_info=True)
        return None
    email = _sso_email()
    if not email:
        return None
    account = Accounts(store).by_email(email)
    if account is None or not account.active:
        st.title("拓客图 · 登录")
        if account is None:
            st.warning(f"企业账号 {email} 还没有对应的拓客图用户。请联系管理员，在「用户与审计」里把这个邮箱加到你的用户上。")
        else:
            st.warning(f"企业账号 {email} 对应的用户已停用，请联系管理员。")
        audit.record(store, email, "sign_in_failed", detail="企业账号登录：" + ("邮箱没有对应用户" if account is None
                                                                         else "账号已停用"), ok=False)
        if st.button("换一个账号登录", key="sign_in_sso_other"):
            st.logout()
        st.stop()
    audit.record(store, account.username, "sign_in", detail="企业账号登录")
    _start(store, account)
    return account


# ----------------------------------------------------------------------------- sidebar footer
def sidebar_footer(store, account: Account) -> None:
    """「张三 · 渠道经理」, 退出登录 and 修改密码 at the foot of the sidebar (once per run)."""
    run = st.session_state.get(RUN)
    if st.session_state.get(FOOTER_DRAWN) == run:
        return
    st.session_state[FOOTER_DRAWN] = run
    with st.sidebar:
        st.divider()
        st.caption(f"{account.display_name or account.username} · {role_label(account.role)}")
        st.button("退出登录", key="auth_sign_out", icon=":material/logout:", on_click=_sign_out, args=(store,))
        # the form is drawn only while its section is open: four elements fewer on every page's first load
        section = st.expander("修改密码", key="auth_pw_open", on_change="rerun")
        if not section.open:
            return
        with section:
            with st.form("auth_change_password", clear_on_submit=True):
                current = st.text_input("当前密码", type="password", key="auth_pw_current")
                first = st.text_input("新密码", type="password", key="auth_pw_new")
                second = st.text_input("再次输入新密码", type="password", key="auth_pw_repeat")
                submitted = st.form_submit_button("保存新密码")
            if submitted:
                _sidebar_password(store, account, current, first, second)


def _sidebar_password(store, account: Account, current: str, first: str, second: str) -> None:
    try:
        Accounts(store).authenticate(account.username, current)
    except SignInError:
        st.error("当前密码不对。")
        return
    if _change_password(store, account, first, second):
        st.success("密码已修改。")


def _sign_out(store) -> None:
    """退出登录 (a callback: runs before the next run, which then shows the sign-in form)."""
    token = st.session_state.pop(TOKEN, None)
    account = current_account()
    Accounts(store).end_session(token)
    if account is not None:
        audit.record(store, account.username, "sign_out")
    st.session_state.pop(ACCOUNT, None)
    st.session_state[SIGNED_OUT] = token
    st.session_state[COOKIE_JOB] = "clear"
    if _sso_email():
        st.session_state[SIGNED_OUT + "_sso"] = True


# ----------------------------------------------------------------------------- pages and projects
def refusal(action: str, account: Account | None = None) -> str:
    """「你的角色（只读）不能导入和撤销导入。需要时请联系管理员。」"""
    account = account or current_account()
    role = role_label(account.role) if account else "未登录"
    return f"你的角色（{role}）不能{ACTIONS[action]}。需要时请联系管理员。"


def require(action: str, project=None) -> Account:
    """The signed-in account, if its role may do ``action`` (and see ``project``); else the refusal and stop."""
    account = current_account()
    if account is None:  # a page run without app.py's gate (should not happen): sign in first
        from ui.common import get_store

        account = sign_in_gate(get_store())
    if not can(account.role, action):
        st.warning(refusal(action, account))
        _footer_then_stop(account)
    if project is not None:
        from ui.common import get_store

        store = get_store()
        visible = Accounts(store).project_ids(account)
        project_id = int(getattr(project, "id", project))
        if visible is not None and project_id not in visible:
            st.warning("你不是这个项目的成员，不能查看。需要时请联系管理员把你加入项目。")
            _footer_then_stop(account)
    return account


def _footer_then_stop(account: Account) -> None:
    from ui.common import get_store

    sidebar_footer(get_store(), account)
    st.stop()


def visible_project_ids(store) -> set[int] | None:
    """The projects the signed-in account may see (None: all of them)."""
    account = current_account()
    if account is None:
        return set()
    return Accounts(store).project_ids(account)


def join_project(store, project_id: int) -> None:
    """A project the signed-in (non-admin) user created: make them a member, so they see it."""
    account = current_account()
    if account is None:
        return
    accounts = Accounts(store)
    mine = accounts.project_ids(account)
    if mine is not None and int(project_id) not in mine:
        accounts.set_projects(account.id, mine | {int(project_id)})


# ----------------------------------------------------------------------------- downloads
def download_button(label: str, data, file_name: str | None = None, *, container=None, rows: int | None = None,
                    project_id: int | None = None, **kwargs):
    """``st.download_button`` (or ``container.download_button``) for roles that may export, audited.

    ``data`` may be bytes/str or a callable made on click (deferred): the ``export`` audit
    entry (who, project, file name, ``rows`` when given) is written when the file is made
    (inside the callable) or, for ready data, when the button is clicked.  Roles that may not
    export see 「只读角色不能导出」 once per page instead of the buttons.
    """
    target = container if container is not None else st
    account = current_account()
    if account is None or not can(account.role, "export"):
        run = st.session_state.get(RUN)
        if st.session_state.get(NO_EXPORT_NOTED) != run:
            st.session_state[NO_EXPORT_NOTED] = run
            target.caption(NO_EXPORT)
        return False
    from ui.common import CURRENT, get_store

    store = get_store()
    username = account.username
    project_id = project_id if project_id is not None else st.session_state.get(CURRENT)
    name = str(file_name or label)

    def note() -> None:
        try:
            audit.record(store, username, "export", project_id=project_id, detail=name, rows=rows)
        except Exception:  # the audit log must not cost the user the file; the server log says why
            log.error("export audit failed for %s", name, exc_info=True)

    if callable(data):
        from ui.layers import pinned

        make: Callable = pinned(data)  # it runs outside the script run: keep the session's own layers in view

        def made():
            payload = make()
            note()
            return payload

        return target.download_button(label, made, file_name=file_name, **kwargs)
    user_click = kwargs.pop("on_click", None)

    def clicked(*args, **kw):
        note()
        if callable(user_click):
            user_click(*args, **kw)

    return target.download_button(label, data, file_name=file_name, on_click=clicked, **kwargs)
