"""The audit trail of what the signed-in user changes: one call where a page changes data.

:func:`record` writes an entry (:func:`mapping.access.audit.record`) under the signed-in
account's user name (:func:`ui.auth.current_account`).  The change it records has already
happened when it is called, so a failure to write the entry never undoes it or hides its
result: the server log says why and the user sees a warning.  Callers pass file names,
place strings, counts and ids, never a visitor's phone number or name.
"""

from __future__ import annotations

import logging

import streamlit as st

from mapping.access import audit
from ui.auth import current_account

log = logging.getLogger("tuoke")


def username() -> str:
    """The signed-in user's name ("" when nobody is signed in)."""
    account = current_account()
    return account.username if account is not None else ""


def record(store, action: str, *, project_id: int | None = None, detail: str = "", rows: int | None = None,
           ok: bool = True) -> None:
    """Append ``action`` by the signed-in user to the audit log (a warning, not an error, when that fails)."""
    try:
        audit.record(store, username(), action, project_id=project_id, detail=detail, rows=rows, ok=ok)
    except Exception:
        log.error("audit entry %s failed", action, exc_info=True)
        st.warning("操作已完成，但没有写进审计日志。请告诉管理员。")
