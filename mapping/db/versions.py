"""Versioned drafts, shared by plans (grading snapshots) and territory sets.

A name's first save is version 1, a draft.  While a name's latest version is a draft,
saving again overwrites it only when asked (``replace``); once approved, a version is
locked and saving under its name makes the next version, a draft again.
"""

from __future__ import annotations

from sqlalchemy import insert, select, update

DRAFT, APPROVED = "draft", "approved"  # the status column of a versioned table


def save_version(conn, table, project_id: int, name: str, values: dict, *, replace: bool, what: str) -> int:
    """Write ``values`` as ``name``'s draft in ``table`` (a model with id, project_id, name, version, status)
    inside the transaction ``conn``; the id of the version written.  ``what`` names the kind in the message
    (「方案」, 「片区分配」) when a draft exists and ``replace`` is False (ValueError).  A concurrent save of the
    same name and version raises the database's IntegrityError (the caller says to save again)."""
    latest = conn.execute(
        select(table.id, table.version, table.status)
        .where(table.project_id == project_id, table.name == name)
        .order_by(table.version.desc()).limit(1)).first()
    if latest is not None and latest.status != APPROVED:
        if not replace:
            raise ValueError(f"已有名为「{name}」的{what}草稿（第 {latest.version} 版）。"
                             "换一个名字，或勾选“覆盖同名草稿”。")
        conn.execute(update(table).where(table.id == latest.id, table.status == DRAFT).values(**values))
        return int(latest.id)
    version = 1 if latest is None else int(latest.version) + 1
    return conn.execute(insert(table).values(project_id=project_id, name=name, version=version, status=DRAFT,
                                             **values).returning(table.id)).scalar_one()
