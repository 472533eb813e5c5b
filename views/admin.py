"""用户与审计 (管理员 only): the users, creating one, changing one, and the audit log.

A new user's one-time password (and one made by 重置密码) is shown once, on the run right
after the change, in a code block to hand over privately; it is never stored or shown
again.  Every change is written to the audit log (``user_create`` / ``user_change``) under
the signed-in admin's name, never with a password in it.  An admin cannot change their own
role, deactivate or delete themselves here (another admin can), and the installation keeps
at least one active 管理员 (:class:`mapping.access.accounts.Accounts` refuses otherwise).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from mapping.access import audit
from mapping.access.accounts import Account, Accounts
from mapping.access.roles import ROLE_HELP, ROLES, role_label
from mapping.export.safe import safe_csv
from ui.auth import download_button, require
from ui.common import get_store, guarded, notice, show_notice

SECRET = "admin_one_time"  # session state: (user name, one-time password) to show once on the next run
PICK = "admin_pick_user"
ALL = "（全部）"
HAND_OVER = ("请把这个一次性密码**当面或通过私密渠道**交给「{name}」，不要发在群里。它只显示这一次；"
             "对方首次登录后须设置自己的密码。")
AUDIT_COLUMNS = {"at": "时间", "username": "用户", "操作": "操作", "project": "项目", "detail": "详情",
                 "rows": "行数", "result": "结果"}


def role_option(role: str) -> str:
    """「渠道经理 — 导入数据、复核位置、起草方案」."""
    return f"{role_label(role)} — {ROLE_HELP.get(role, '')}"


def project_names(store) -> dict[int, str]:
    """Every project's name by id (archived ones marked)."""
    projects = store.projects()
    return {int(i): name + ("（已归档）" if gone else "")
            for i, name, gone in zip(projects["id"], projects["name"], projects["archived"])}


def status(row) -> str:
    """启用 / 停用 / 锁定至 06-01 10:30 / 待改密码."""
    if not row["active"]:
        return "停用"
    locked = row["locked_until"]
    if pd.notna(locked) and locked > dt.datetime.now():
        return f"锁定至 {locked:%m-%d %H:%M}"
    return "启用（待改密码）" if row["must_change_password"] else "启用"


def users_view(users: pd.DataFrame, projects: dict[int, str]) -> pd.DataFrame:
    """The users table as shown: Chinese headers, role and project names, no hashes or counters."""
    def members(row) -> str:
        if row["role"] == "admin":
            return "全部项目"
        return "、".join(projects.get(p, f"#{p}") for p in row["project_ids"]) or "（无）"

    return pd.DataFrame({
        "用户名": users["username"], "显示名": users["display_name"], "角色": users["role"].map(role_label),
        "邮箱": users["email"], "状态": [status(r) for _, r in users.iterrows()],
        "项目": [members(r) for _, r in users.iterrows()],
        "最近登录": users["last_login"], "创建时间": users["created_at"],
    })


def show_secret() -> None:
    """The one-time password the last change made, once."""
    secret = st.session_state.pop(SECRET, None)
    if secret:
        name, password = secret
        st.success(f"「{name}」的一次性密码：")
        st.code(password, language=None)
        st.markdown(HAND_OVER.format(name=name))


def done(message: str, secret: tuple[str, str] | None = None) -> None:
    """After a change: the message (and a one-time password) on the next run, which shows the stored state."""
    if secret:
        st.session_state[SECRET] = secret
    notice(message)
    st.rerun()


# ------------------------------------------------------------------------------------ create
def create_user(store, actor: Account, form: dict) -> tuple[str, str | None]:
    """Create the user described by ``form`` and audit it; (its name, its one-time password)."""
    accounts = Accounts(store)
    _, one_time = accounts.create_user(form["username"], form["role"], None, display_name=form["display_name"],
                                       email=form["email"], project_ids=form["project_ids"])
    name = form["username"].strip()
    audit.record(store, actor.username, "user_create",
                 detail=f"{name}（{role_label(form['role'])}）项目 {sorted(form['project_ids']) or '无'}"
                        + ("，邮箱已设置" if form["email"].strip() else ""))
    return name, one_time


def create_form(store, actor: Account, projects: dict[int, str]) -> None:
    with st.expander("新建用户", icon=":material/person_add:"):
        with st.form("admin_create", clear_on_submit=False):
            c1, c2 = st.columns(2)
            username = c1.text_input("用户名", key="admin_new_username",
                                     help="登录时输入；2–64 个字符：字母、数字、汉字和 . _ - @")
            display_name = c2.text_input("显示名", key="admin_new_display", help="页面上显示的姓名，例如 李娜")
            role = c1.selectbox("角色", list(ROLES), index=list(ROLES).index("viewer"), format_func=role_option,
                                key="admin_new_role")
            email = c2.text_input("邮箱（企业账号登录用，可不填）", key="admin_new_email",
                                  help="配置了企业账号登录（SSO）时，用这个邮箱登录的人就是这个用户")
            chosen = st.multiselect("可查看的项目（管理员可查看全部项目，无需选择）", list(projects),
                                    format_func=projects.get, key="admin_new_projects")
            submitted = st.form_submit_button("创建用户", type="primary")
        st.caption("创建后会生成一次性密码，只显示一次；对方首次登录后须设置自己的密码。")
    if not submitted:
        return
    try:
        name, one_time = create_user(store, actor, {"username": username, "display_name": display_name,
                                                    "role": role, "email": email, "project_ids": chosen})
    except ValueError as exc:
        st.error(str(exc))
        return
    for key in ("admin_new_username", "admin_new_display", "admin_new_email", "admin_new_projects"):
        st.session_state.pop(key, None)
    done(f"已创建用户「{name}」（{role_label(role)}）。", (name, one_time))


# ------------------------------------------------------------------------------------ change
def change(store, actor: Account, user: Account, what: str, value=None) -> str:
    """Apply one change to ``user`` and audit it; the message for the page.  ValueError (Chinese) when refused.

    ``what``: role, projects, profile (value: (display name, email)), active, unlock, reset (the message is
    the one-time password's owner; the password itself is returned by :func:`reset`), delete.
    """
    accounts = Accounts(store)
    own = user.id == actor.id
    if own and what in ("role", "active", "delete") and not (what == "active" and value):
        raise ValueError("不能修改、停用或删除自己的账号；请让另一位管理员来做。")
    if what == "role":
        accounts.set_role(user.id, value)
        detail, message = f"{user.username}：角色 {role_label(user.role)} → {role_label(value)}", \
            f"「{user.username}」的角色已改为 {role_label(value)}。"
    elif what == "projects":
        accounts.set_projects(user.id, value)
        detail, message = f"{user.username}：项目 → {sorted(value) or '无'}", f"「{user.username}」的项目已更新。"
    elif what == "profile":
        display_name, email = value
        accounts.update_profile(user.id, display_name=display_name, email=email)
        detail, message = f"{user.username}：显示名/邮箱已修改", f"「{user.username}」的显示名和邮箱已保存。"
    elif what == "active":
        accounts.set_active(user.id, bool(value))
        word = "启用" if value else "停用"
        detail, message = f"{user.username}：{word}", f"已{word}「{user.username}」" + ("" if value else "，其登录已失效") + "。"
    elif what == "unlock":
        accounts.unlock(user.id)
        detail, message = f"{user.username}：解除锁定", f"已解除「{user.username}」的锁定。"
    elif what == "delete":
        accounts.delete_user(user.id)
        detail, message = f"删除用户 {user.username}", f"已删除用户「{user.username}」（审计日志保留其记录）。"
    else:
        raise ValueError(f"unknown change {what!r}")
    audit.record(store, actor.username, "user_change", detail=detail)
    return message


def reset(store, actor: Account, user: Account) -> str:
    """A new one-time password for ``user`` (their sessions end), audited without the password."""
    password = Accounts(store).reset_password(user.id)
    audit.record(store, actor.username, "user_change", detail=f"{user.username}：重置密码（一次性密码，登录后须修改）")
    return password


def apply(store, actor: Account, user: Account, what: str, value=None) -> None:
    """Run :func:`change` from a button: the message on the next run, or the refusal now."""
    try:
        if what == "reset":
            done(f"已重置「{user.username}」的密码，其登录已失效。", (user.username, reset(store, actor, user)))
        else:
            done(change(store, actor, user, what, value))
    except ValueError as exc:
        st.error(str(exc))


def manage_user(store, actor: Account, users: pd.DataFrame, projects: dict[int, str]) -> None:
    """Pick a user; change their role, projects, name and e-mail; (de)activate, unlock, reset, delete."""
    st.subheader("管理用户")
    ids = [int(i) for i in users["id"]]
    labels = {int(r.id): f"{r.username}" + (f"（{r.display_name}）" if r.display_name else "")
              + ("　已停用" if not r.active else "") for r in users.itertuples()}
    if st.session_state.get(PICK) not in ids:
        st.session_state.pop(PICK, None)
    user_id = st.selectbox("选择用户", ids, format_func=labels.get, key=PICK)
    row = users.set_index("id").loc[user_id]
    user = Accounts(store).account(user_id)
    own = user.id == actor.id
    st.caption(f"状态：{status(row)}　·　最近登录：{row['last_login']:%Y-%m-%d %H:%M}" if pd.notna(row["last_login"])
               else f"状态：{status(row)}　·　还没有登录过")
    with st.form(f"admin_edit_{user_id}"):
        c1, c2 = st.columns(2)
        role = c1.selectbox("角色", list(ROLES), index=list(ROLES).index(user.role), format_func=role_option,
                            disabled=own, help="不能修改自己的角色" if own else None, key=f"admin_role_{user_id}")
        chosen = c2.multiselect("可查看的项目", list(projects), default=[p for p in row["project_ids"] if p in projects],
                                format_func=projects.get, key=f"admin_projects_{user_id}",
                                help="管理员可查看全部项目，这里的选择只在改为其他角色后生效")
        display_name = c1.text_input("显示名", value=user.display_name, key=f"admin_display_{user_id}")
        email = c2.text_input("邮箱（企业账号登录用）", value=user.email, key=f"admin_email_{user_id}")
        saved = st.form_submit_button("保存修改", type="primary")
    if saved:
        save_edits(store, actor, user, row, {"role": role, "projects": chosen, "profile": (display_name, email)})
    actions(store, actor, user, row)


def save_edits(store, actor: Account, user: Account, row, wanted: dict) -> None:
    """Apply what the edit form changed (each change audited on its own)."""
    messages = []
    try:
        if wanted["role"] != user.role:
            messages.append(change(store, actor, user, "role", wanted["role"]))
        if sorted(wanted["projects"]) != sorted(row["project_ids"]):
            messages.append(change(store, actor, user, "projects", wanted["projects"]))
        if wanted["profile"] != (user.display_name, user.email):
            messages.append(change(store, actor, user, "profile", wanted["profile"]))
    except ValueError as exc:
        st.error(str(exc))
        return
    if messages:
        done(" ".join(messages))
    st.info("没有改动。")


def actions(store, actor: Account, user: Account, row) -> None:
    own = user.id == actor.id
    c1, c2, c3 = st.columns(3)
    if user.active:
        if c1.button("停用", key=f"admin_deactivate_{user.id}", disabled=own, icon=":material/block:",
                     help="停用后无法登录，已登录的会话立即失效"):
            apply(store, actor, user, "active", False)
    elif c1.button("启用", key=f"admin_activate_{user.id}", icon=":material/check_circle:"):
        apply(store, actor, user, "active", True)
    locked = pd.notna(row["locked_until"]) and row["locked_until"] > dt.datetime.now()
    if c2.button("解除锁定", key=f"admin_unlock_{user.id}", disabled=not locked, icon=":material/lock_open:",
                 help="连续输错密码被锁定时可提前解除"):
        apply(store, actor, user, "unlock")
    if c3.button("重置密码", key=f"admin_reset_{user.id}", icon=":material/key:",
                 help="生成新的一次性密码（只显示一次），对方须登录后修改；其已登录的会话失效"):
        apply(store, actor, user, "reset")
    with st.expander("删除用户"):
        if own:
            st.caption("不能删除自己的账号。")
            return
        st.caption("删除后无法恢复（审计日志保留其操作记录）。只想暂时禁止登录时请用「停用」。")
        typed = st.text_input(f"输入用户名「{user.username}」确认删除", key=f"admin_delete_name_{user.id}")
        if st.button("删除用户", key=f"admin_delete_{user.id}", type="primary", icon=":material/delete:",
                     disabled=typed.strip() != user.username):
            apply(store, actor, user, "delete")


# ------------------------------------------------------------------------------------- audit
def audit_view(log: pd.DataFrame, projects: dict[int, str]) -> pd.DataFrame:
    """The audit entries as shown and downloaded: Chinese headers, project names, 成功/失败."""
    shown = log.assign(
        project=log["project_id"].map(lambda p: "" if p is None or pd.isna(p) else projects.get(int(p), f"#{int(p)}（已删除）")),
        result=log["ok"].map({True: "成功", False: "失败"}))
    return shown[list(AUDIT_COLUMNS)].rename(columns=AUDIT_COLUMNS)


def audit_section(store, users: pd.DataFrame, projects: dict[int, str]) -> None:
    st.subheader("审计日志")
    st.caption("只增不改：谁在什么时候做了什么（登录、导入、撤销、导出、审批、用户和项目的变更）。不记录密码和客户个人信息。")
    today = dt.date.today()
    c1, c2, c3, c4 = st.columns(4)
    period = c1.date_input("时间范围", value=(today - dt.timedelta(days=30), today), max_value=today,
                           key="admin_audit_period")
    who = c2.selectbox("用户", [ALL, *sorted({*users["username"], *audit.usernames(store)})], key="admin_audit_user")
    action = c3.selectbox("操作", [ALL, *audit.ACTION_LABELS], format_func=lambda a: audit.label(a) if a != ALL else a,
                          key="admin_audit_action")
    project = c4.selectbox("项目", [ALL, *projects], format_func=lambda p: projects.get(p, p), key="admin_audit_project")
    since, until = (period[0], period[-1]) if isinstance(period, (tuple, list)) and period else (None, None)
    log = audit.entries(store, since=since, until=until, username=None if who == ALL else who,
                        action=None if action == ALL else action, project_id=None if project == ALL else project)
    if log.empty:
        st.info("所选范围内没有记录。")
        return
    table = audit_view(log, projects)
    note = f"（只显示最新的 {len(log):,} 条，请缩小范围）" if len(log) >= 2000 else ""
    st.write(f"共 **{len(log):,}** 条{note}")
    st.dataframe(table, hide_index=True, height=360,
                 column_config={"时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")})
    download_button("下载 CSV", safe_csv(table), file_name=f"审计日志_{today:%Y%m%d}.csv", mime="text/csv",
                    rows=len(table), key="admin_audit_csv", icon=":material/download:")


def main() -> None:
    account = require("manage_users")
    store = get_store()
    st.title("用户与审计")
    show_notice()
    show_secret()
    projects = project_names(store)
    users = Accounts(store).users()
    st.dataframe(users_view(users, projects), hide_index=True,
                 column_config={"最近登录": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                                "创建时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
    with st.expander("角色说明"):
        st.markdown("\n".join(f"- **{label}**：{ROLE_HELP[role]}" for role, label in ROLES.items()))
    create_form(store, account, projects)
    manage_user(store, account, users, projects)
    st.divider()
    audit_section(store, users, projects)


guarded(main)
