"""Plan approval on the battle map (AppTest): a 渠道经理 saves a draft and cannot approve it; a 销售总监
approves it; the page then says which approved version it follows; saving under the approved name
makes version 2; every save, approval and deletion leaves one audit entry with the user's name."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mapping.access import audit
from mapping.db.store import Store
from tests.conftest import sign_in

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 180


@pytest.fixture(autouse=True)
def _fresh(sample_app_database):
    """Each test on its own SQLite file with empty Streamlit caches."""


def _battle(role: str, username: str) -> AppTest:
    """The battle map signed in as ``username`` (``role``, a member of the sample project)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    sign_in(at)  # an admin first: the first run loads the sample project
    at.run()
    sign_in(at, role, username=username, project_ids=[1])
    at.switch_page("views/battle_map.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def _buttons(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def _save(at: AppTest, name: str) -> None:
    at.text_input(key="bm_snap_name").set_value(name)
    at.button[_buttons(at).index("保存当前分级为计划")].click().run()
    assert not at.exception, at.exception


def _audit(action: str):
    store = Store()
    try:
        return audit.entries(store, action=action)
    finally:
        store.engine.dispose()


def test_a_channel_manager_drafts_and_a_director_approves():
    at = _battle("channel", "wang_channel")
    # the sample comes with its approved 示例拓客计划 (mapping.sample_ops): that one is in force until another is
    assert any(c.startswith("按已批准方案「示例拓客计划」第 1 版") for c in _captions(at))
    _save(at, "第一周计划")
    assert any("已保存计划「第一周计划」第 1 版（草稿）" in s.value for s in at.success), [e.value for e in at.error]
    pick = at.selectbox(key="bm_snap_pick")
    assert "第一周计划 · 第 1 版 · 草稿" in pick.format_func(pick.value)
    assert "批准" not in _buttons(at)  # a 渠道经理 may draft, not approve
    saved = _audit("plan_save")
    assert len(saved) == 1 and saved.iloc[0]["username"] == "wang_channel" and saved.iloc[0]["project_id"] == 1

    at = _battle("director", "zhang_director")
    plans = Store().snapshots(1)  # the approved sample plan is picked first: pick the draft
    at.selectbox(key="bm_snap_pick").set_value(int(plans.loc[plans["name"] == "第一周计划", "id"].iloc[0])).run()
    at.button(key="bm_snap_approve").click().run()
    assert not at.exception, at.exception
    assert any("已批准：第一周计划 · 第 1 版 · 已批准（zhang_director " in s.value for s in at.success)
    assert any(c.startswith("按已批准方案「第一周计划」第 1 版（zhang_director ") for c in _captions(at))
    approved = _audit("plan_approve")
    assert len(approved) == 1 and approved.iloc[0]["username"] == "zhang_director"
    assert "bm_snap_delete" not in [b.key for b in at.button]  # an approved version cannot be deleted
    assert "bm_snap_approve" not in [b.key for b in at.button]

    _save(at, "第一周计划")  # the approved version is locked: this is version 2, a draft
    assert any("第 1 版已批准、已锁定" in s.value and "第 2 版（草稿）" in s.value for s in at.success)
    pick = at.selectbox(key="bm_snap_pick")
    assert pick.format_func(pick.value).startswith("第一周计划 · 第 2 版 · 草稿")
    assert any(c.startswith("按已批准方案「第一周计划」第 1 版") for c in _captions(at))  # still version 1 in force
    at.button(key="bm_snap_delete").click().run()
    assert any("已删除草稿：第一周计划 · 第 2 版" in s.value for s in at.success)
    deleted = _audit("plan_delete")
    assert len(deleted) == 1 and deleted.iloc[0]["username"] == "zhang_director"
    assert len(_audit("plan_save")) == 2 and len(_audit("plan_approve")) == 1


def test_a_viewer_sees_plans_but_cannot_save_approve_or_delete():
    at = _battle("channel", "wang_channel")
    _save(at, "草稿计划")
    at = _battle("viewer", "zhao_viewer")
    assert "你的角色只能查看已存计划，不能保存新的计划。" in _captions(at)
    keys = [b.key for b in at.button]
    assert "bm_snap_approve" not in keys and "bm_snap_delete" not in keys
    assert at.selectbox(key="bm_snap_pick").value is not None


def test_the_launch_page_compares_two_versions_of_one_plan():
    import datetime as dt
    from dataclasses import replace

    from mapping import schema as S
    from mapping.analysis import battle as B
    from mapping.analysis import grading as G
    from mapping.analysis.facts import Facts, Filters
    from mapping.geo import boundaries

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    sign_in(at)
    at.run()
    store = Store()
    project = store.project(1)
    facts = Facts.build(store.locations(1))
    layer = boundaries.load_layer(S.LAYER_DISTRICTS_BANKUAI)
    ids = []
    for flt in (Filters(end=project.launch_date - dt.timedelta(days=1)), Filters(start=project.launch_date)):
        run = B.fit_run(facts, S.LAYER_DISTRICTS_BANKUAI, B.Settings(), flt, project.product_lines, layer)
        tables = {line: B.graded(facts, run, layer[["area_id", "area_name"]], replace(flt, product_line=line or None),
                                 layer) for line in [B.ALL_LINES, *project.product_lines]}
        ids.append(store.save_snapshot(1, "周计划", S.LAYER_DISTRICTS_BANKUAI, S.HOME,
                                       B.snapshot_payload(run, tables, G.DEFAULT_TARGETS), created_by="wang_channel"))
        if len(ids) == 1:
            store.approve_snapshot(ids[0], "zhang_director")
    store.engine.dispose()
    assert ids[0] != ids[1]
    at.switch_page("views/launch_compare.py")
    at.session_state["lc_mode"] = "plans"
    at.run()
    assert not at.exception, at.exception
    a, b = at.selectbox(key="lc_plan_a"), at.selectbox(key="lc_plan_b")
    assert (a.value, b.value) == (ids[0], ids[1])
    assert a.format_func(a.value).startswith("周计划 · 第 1 版 · 已批准（zhang_director ")
    assert b.format_func(b.value).startswith("周计划 · 第 2 版 · 草稿")
    shown = [m.value for m in at.markdown] + [c.value for c in at.caption] + [str(c) for d in at.dataframe
                                                                            for c in d.value.columns]
    assert any("周计划 · 第 2 版" in text for text in shown), shown  # the two versions are told apart
