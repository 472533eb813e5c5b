"""The audit trail of what the signed-in user changes: one call where a page changes data.

:func:`record` writes an entry (:func:`mapping.access.audit.record`) under the signed-in
account's user name (:func:`ui.auth.current_account`).  The change it records has already
happened when it is called, so a failure to write the entry never undoes it or hides its
result: the server log says why and the user sees a warning.  Callers pass file names,
place strings, counts and ids, never a visitor's phone number or name; digits that could be
a phone number are masked all the same (:func:`scrub`).
"""

from __future__ import annotations

import logging
import re

import streamlit as st

from mapping.access import audit
from ui.auth import current_account

log = logging.getLogger("tuoke")
# a mobile number (11 digits from 13x–19x) or a landline with its area code, maybe spaced or dashed
_PHONE = re.compile(r"(?<!\d)(?:1[3-9]\d(?:[ -]?\d){8}|0\d{2,3}[ -]?\d{7,8})(?!\d)")


def scrub(text: str) -> str:
    """``text`` with phone numbers masked but their last 4 digits (a phone number typed into a file
    name or a place string never reaches the log); dates and other numbers stay.

    >>> scrub("张江 138-1234-5678 客户.xlsx"), scrub("20261206_第12周.csv"), scrub("021-62345678")
    ('张江 *******5678 客户.xlsx', '20261206_第12周.csv', '*******5678')
    """
    def mask(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match[0])
        return "*" * (len(digits) - 4) + digits[-4:]

    return _PHONE.sub(mask, str(text or ""))


def username() -> str:
    """The signed-in user's name ("" when nobody is signed in)."""
    account = current_account()
    return account.username if account is not None else ""


def record(store, action: str, *, project_id: int | None = None, detail: str = "", rows: int | None = None,
           ok: bool = True) -> None:
    """Append ``action`` by the signed-in user to the audit log (a warning, not an error, when that fails)."""
    try:
        audit.record(store, username(), action, project_id=project_id, detail=scrub(detail), rows=rows, ok=ok)
    except Exception:
        log.error("audit entry %s failed", action, exc_info=True)
        st.warning("操作已完成，但没有写进审计日志。请告诉管理员。")
