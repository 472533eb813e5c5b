"""The audit log: who did what, when, in which project, on how many rows.

Append-only: :func:`record` adds a row, :func:`entries` reads them; the database itself
refuses UPDATE and DELETE on ``audit_log`` (triggers, migration 0005), so not even the
app can rewrite history.  Nothing here ever holds a visitor's phone number or name:
callers pass file names, counts and ids.

Examples
--------
>>> from mapping.db.store import Store
>>> store = Store("sqlite://"); store.migrate()
>>> record(store, "admin", "export", project_id=1, detail="拓客计划.xlsx", rows=120)
>>> record(store, "admin", "sign_in")
>>> entries(store)[["username", "action", "操作", "rows"]].to_dict("records")[0]
{'username': 'admin', 'action': 'sign_in', '操作': '登录', 'rows': None}
>>> len(entries(store, action="export")), len(entries(store, username="nobody")), usernames(store)
(1, 0, ['admin'])
>>> record(store, "admin", "format_disk")
Traceback (most recent call last):
...
ValueError: unknown audit action 'format_disk'
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, insert, select

from mapping.db.models import AuditEntry

__all__ = ["ACTION_LABELS", "COLUMNS", "MAX_DETAIL", "entries", "label", "record", "usernames", "write"]

ACTION_LABELS: dict[str, str] = {
    "sign_in": "登录",
    "sign_in_failed": "登录失败",
    "sign_out": "退出登录",
    "import": "导入",
    "undo": "撤销导入",
    "alias_save": "保存地名别名",
    "alias_remove": "删除地名别名",
    "plan_save": "保存方案",
    "plan_approve": "审批方案",
    "plan_delete": "删除方案",
    "team_save": "保存团队",
    "team_delete": "删除团队",
    "territory_save": "保存片区方案",
    "territory_approve": "批准片区方案",
    "territory_delete": "删除片区方案",
    "export": "导出下载",
    "project_create": "新建项目",
    "project_settings": "修改项目设置",
    "project_archive": "归档项目",
    "project_delete": "删除项目",
    "user_create": "新建用户",
    "user_change": "修改用户",
    "password_change": "修改密码",
    "cost_add": "录入费用",
    "cost_import": "导入费用",
    "cost_delete": "撤销费用",
    "ops_settings": "修改运营设置",
}
MAX_DETAIL = 2000
COLUMNS = ["id", "at", "username", "action", "操作", "project_id", "detail", "rows", "ok"]


def label(action: str) -> str:
    """The Chinese name of an action (the code itself when unknown)."""
    return ACTION_LABELS.get(action, action)


def write(conn: Connection, username: str, action: str, *, project_id: int | None = None, detail: str = "",
          rows: int | None = None, ok: bool = True, at: dt.datetime | None = None) -> None:
    """Append one entry inside the caller's transaction (so the entry and the change it records commit together)."""
    if action not in ACTION_LABELS:
        raise ValueError(f"unknown audit action {action!r}")
    conn.execute(insert(AuditEntry).values(
        at=at or dt.datetime.now(), username=str(username or "")[:64], action=action,
        project_id=None if project_id is None else int(project_id), detail=str(detail or "")[:MAX_DETAIL],
        rows=None if rows is None else int(rows), ok=bool(ok)))


def record(store, username: str, action: str, *, project_id: int | None = None, detail: str = "",
           rows: int | None = None, ok: bool = True, at: dt.datetime | None = None) -> None:
    """Append one entry to the audit log (``detail`` cut to :data:`MAX_DETAIL` characters)."""
    with store.engine.begin() as conn:
        write(conn, username, action, project_id=project_id, detail=detail, rows=rows, ok=ok, at=at)


def entries(store, *, since: dt.datetime | dt.date | None = None, until: dt.datetime | dt.date | None = None,
            username: str | None = None, action: str | None = None, project_id: int | None = None,
            limit: int = 2000) -> pd.DataFrame:
    """Audit entries, newest first, with the Chinese name of each action in 操作.

    ``since``/``until`` bound ``at`` (a date ``until`` includes that whole day).
    """
    query = select(AuditEntry.id, AuditEntry.at, AuditEntry.username, AuditEntry.action, AuditEntry.project_id,
                   AuditEntry.detail, AuditEntry.rows, AuditEntry.ok)
    if since is not None:
        query = query.where(AuditEntry.at >= _moment(since))
    if until is not None:
        end = _moment(until)
        if not isinstance(until, dt.datetime):
            query = query.where(AuditEntry.at < end + dt.timedelta(days=1))
        else:
            query = query.where(AuditEntry.at <= end)
    if username:
        query = query.where(AuditEntry.username == username)
    if action:
        query = query.where(AuditEntry.action == action)
    if project_id is not None:
        query = query.where(AuditEntry.project_id == int(project_id))
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(int(limit))
    with store.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows], columns=[c for c in COLUMNS if c != "操作"])
    frame.insert(4, "操作", frame["action"].map(label).astype(object))
    for column in ("project_id", "rows"):  # whole numbers or None, not floats with NaN
        frame[column] = pd.Series([r[column] for r in rows], index=frame.index, dtype=object)
    frame["ok"] = frame["ok"].astype(bool)
    return frame


def usernames(store) -> list[str]:
    """Every user name in the log, sorted (deleted users and names typed at a failed sign-in included)."""
    with store.engine.connect() as conn:
        return sorted(n for n in conn.execute(select(AuditEntry.username).distinct()).scalars() if n)


def _moment(value: dt.datetime | dt.date) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
