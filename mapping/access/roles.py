"""Roles and what each may do: one table that every page and every download asks.

A page or button asks :func:`can` with an action; :data:`PAGE_ACTIONS` says which action
opens each page (by its ``url_path``).  管理员 sees every project; the others see the
projects they are members of.

Examples
--------
>>> can("planner", "export"), can("viewer", "export")
(True, False)
>>> can("channel", "draft_plan"), can("channel", "approve_plan")
(True, False)
>>> ROLES["director"]
'销售总监'
>>> [p for p in PAGE_ACTIONS if can_open("viewer", p)]
['home', 'battle', 'conversion', 'launch', 'map', 'teams', 'costs', 'pipeline', 'weekly', 'segments', 'prospects']
>>> can("channel", "edit_ops"), can("channel", "approve_ops"), can("director", "approve_ops")
(True, False, True)
>>> can("nobody", "view")
False
"""

from __future__ import annotations

ROLES: dict[str, str] = {
    "admin": "管理员",
    "director": "销售总监",
    "channel": "渠道经理",
    "planner": "策划",
    "viewer": "只读",
}

ROLE_HELP: dict[str, str] = {
    "admin": "管理用户和全部项目",
    "director": "审批拓客方案，管理自己参与的项目",
    "channel": "导入数据、复核位置、起草方案",
    "planner": "查看、对比、导出",
    "viewer": "只能查看",
}

ACTIONS: dict[str, str] = {
    "view": "查看地图和统计",
    "export": "导出（Excel、CSV、HTML、PNG/PDF）",
    "import": "导入和撤销导入",
    "review": "复核位置、保存地名别名",
    "settings": "修改项目设置",
    "create_project": "新建项目",
    "delete_project": "删除项目",
    "draft_plan": "保存方案草稿",
    "approve_plan": "审批方案",
    "edit_ops": "编辑团队、片区、竞拍、费用和蓄客目标",
    "approve_ops": "审批片区分配",
    "manage_users": "管理用户",
    "audit": "查看审计日志",
    "all_projects": "查看全部项目",
}

_ALL = set(ACTIONS)
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(_ALL),
    "director": frozenset({"view", "export", "import", "review", "settings", "create_project", "draft_plan",
                           "approve_plan", "edit_ops", "approve_ops"}),
    "channel": frozenset({"view", "export", "import", "review", "draft_plan", "edit_ops"}),
    "planner": frozenset({"view", "export"}),
    "viewer": frozenset({"view"}),
}

# url_path of each page → the action that opens it
PAGE_ACTIONS: dict[str, str] = {
    "home": "view",
    "import": "import",
    "settings": "settings",
    "battle": "view",
    "conversion": "view",
    "launch": "view",
    "map": "view",
    "review": "review",
    "teams": "view",
    "costs": "view",
    "pipeline": "view",
    "weekly": "view",
    "segments": "view",
    "prospects": "view",  # lists only projects the account may view; the export asks for "export"
    "admin": "manage_users",
}


def can(role: str | None, action: str) -> bool:
    """Whether ``role`` may do ``action`` (an unknown role or action may do nothing)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; one of {sorted(ACTIONS)}")
    return action in PERMISSIONS.get(role or "", frozenset())


def can_open(role: str | None, page: str) -> bool:
    """Whether ``role`` may open the page whose ``url_path`` is ``page``."""
    return can(role, PAGE_ACTIONS[page])


def role_label(role: str) -> str:
    """The Chinese name of a role (the code itself when unknown)."""
    return ROLES.get(role, role)
