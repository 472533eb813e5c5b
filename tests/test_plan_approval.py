"""Plan approval: a saved grading plan is a draft until a 销售总监 approves it; an approved
version is locked (a change is saved as the next version, it cannot be deleted), and the
project's plan in force is its most recently approved version.  On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from mapping import schema as S
from mapping.analysis import battle as B
from mapping.analysis import grading as G
from mapping.analysis.facts import Facts, Filters
from mapping.analysis.plan_compare import compare_plans
from mapping.export.plan import battle_plan_workbook, plan_meta

PAYLOAD = {"grades": {"": [{"area_id": "310115", "area_name": "浦东新区", "grade": "A", "score": 9.0, "rank": 1}]},
           "bins": {}}


@pytest.fixture
def project(store):
    return store, store.create_project("审批测试", S.SHANGHAI, None, ["公寓"])


def _save(store, pid, name="第12周", dimension=S.HOME, **kw):
    return store.save_snapshot(pid, name, S.LAYER_DISTRICTS, dimension, PAYLOAD, **kw)


def test_a_new_name_is_version_one_draft(project):
    store, pid = project
    sid = _save(store, pid, created_by="channel1")
    row = store.snapshots(pid).iloc[0]
    assert (row["id"], row["name"], row["version"], row["status"]) == (sid, "第12周", 1, "draft")
    assert row["created_by"] == "channel1" and row["approved_by"] == "" and row["approved_at"] is None
    assert store.approved_plan(pid) is None


def test_a_draft_is_overwritten_only_when_asked(project):
    store, pid = project
    sid = _save(store, pid)
    with pytest.raises(ValueError, match="已有名为「第12周」的方案草稿"):
        _save(store, pid)
    assert _save(store, pid, dimension=S.WORK, created_by="channel2", replace=True) == sid
    snaps = store.snapshots(pid)
    assert len(snaps) == 1 and snaps.iloc[0]["dimension"] == S.WORK and snaps.iloc[0]["created_by"] == "channel2"


def test_approving_locks_the_version_and_a_change_makes_the_next(project):
    store, pid = project
    v1 = _save(store, pid, created_by="channel1")
    store.approve_snapshot(v1, "director1")
    saved = store.snapshot(v1)
    assert saved["status"] == "approved" and saved["approved_by"] == "director1"
    assert abs(saved["approved_at"] - dt.datetime.now()) < dt.timedelta(minutes=1)
    with pytest.raises(ValueError, match="已经批准"):
        store.approve_snapshot(v1, "director2")
    assert store.snapshot(v1)["approved_by"] == "director1"
    # saving under the approved name never overwrites it, asked or not: version 2, a draft
    v2 = _save(store, pid, dimension=S.WORK, replace=True)
    assert v2 != v1 and store.snapshot(v2)["version"] == 2 and store.snapshot(v2)["status"] == "draft"
    assert store.snapshot(v1)["dimension"] == S.HOME and store.snapshot(v1)["status"] == "approved"
    assert _save(store, pid, replace=True) == v2  # the new draft is overwritten as drafts are
    with pytest.raises(ValueError, match="已批准的方案不能删除"):
        store.delete_snapshot(v1)
    store.delete_snapshot(v2)  # drafts can go
    snaps = store.snapshots(pid)
    assert snaps["id"].tolist() == [v1]


def test_the_plan_in_force_is_the_latest_approved(project):
    store, pid = project
    first = _save(store, pid, "开盘前")
    other = _save(store, pid, "开盘后")
    store.approve_snapshot(first, "director1")
    assert store.approved_plan(pid)["id"] == first
    draft = _save(store, pid, "开盘前")  # version 2, a draft: the approved version 1 is still in force
    assert store.approved_plan(pid)["id"] == first
    store.approve_snapshot(other, "director2")
    plan = store.approved_plan(pid)
    assert plan["id"] == other and plan["payload"] == PAYLOAD and plan["approved_by"] == "director2"
    store.approve_snapshot(draft, "director1")
    plan = store.approved_plan(pid)
    assert (plan["name"], plan["version"]) == ("开盘前", 2)
    assert B.plan_in_force(plan).startswith("按已批准方案「开盘前」第 2 版（director1 ")


def test_approval_needs_a_name_and_an_existing_draft(project):
    store, pid = project
    sid = _save(store, pid)
    with pytest.raises(ValueError, match="批准人"):
        store.approve_snapshot(sid, "  ")
    with pytest.raises(KeyError):
        store.approve_snapshot(sid + 999, "director1")
    assert store.snapshot(sid)["status"] == "draft"


def test_plans_are_per_project(project):
    store, pid = project
    other = store.create_project("另一个项目", S.SHANGHAI, None, ["公寓"])
    store.approve_snapshot(_save(store, pid), "director1")
    assert _save(store, other) and store.snapshot(_save(store, other, "别的")).get("version") == 1
    assert store.approved_plan(other) is None
    assert store.snapshots(other)["version"].tolist() == [1, 1]


def test_labels_of_versions():
    row = pd.Series({"name": "第12周", "version": 3, "status": "approved", "approved_by": "张三",
                     "approved_at": pd.Timestamp("2026-12-06 10:20:31")})
    assert B.plan_label(row) == "第12周 · 第 3 版 · 已批准（张三 2026-12-06 10:20 批准）"
    assert B.plan_label({**row, "status": "draft"}) == "第12周 · 第 3 版 · 草稿"
    assert B.plan_in_force(row.to_dict()) == "按已批准方案「第12周」第 3 版（张三 12-06 批准）"
    assert B.plan_in_force(None) == "尚无已批准的方案：当前分级为草稿，供讨论"


def test_two_versions_of_one_plan_are_told_apart_when_compared():
    snap = {"name": "第12周", "layer_id": S.LAYER_DISTRICTS, "dimension": S.HOME, "payload": PAYLOAD}
    plans = compare_plans({**snap, "version": 1}, {**snap, "version": 2}, "")
    assert (plans.a_name, plans.b_name) == ("第12周 · 第 1 版", "第12周 · 第 2 版")


def _run():
    from tests.test_plan_workbook import K, LAYER_ID, PROJECT, _layer, _locations
    layer, facts = _layer(), Facts.build(_locations())
    settings = B.Settings(S.HOME, G.Weights(), "manual", (30.0, 15.0, 5.0), K)
    return facts, B.fit_run(facts, LAYER_ID, settings, Filters(), list(PROJECT.product_lines), layer), layer, PROJECT


def test_the_workbook_of_a_saved_plan_says_its_version_and_approver():
    run = B.Run("districts", B.Settings(), Filters(), {}, "2026-12-05 09:00")
    plan = {"name": "第12周", "version": 2, "status": "approved", "created_by": "channel1",
            "created_at": dt.datetime(2026, 12, 5, 9, 1), "approved_by": "张三",
            "approved_at": dt.datetime(2026, 12, 6, 10, 20)}
    meta = plan_meta("项目", "区县", run, Filters(), plan=plan)
    assert meta["方案"] == "第12周" and meta["版本"] == "第 2 版" and meta["方案状态"].startswith("已批准")
    assert meta["批准"] == "张三 2026-12-06 10:20" and meta["起草"] == "channel1 2026-12-05 09:01"
    draft = plan_meta("项目", "区县", run, Filters(), plan={**plan, "status": "draft", "approved_by": "",
                                                           "approved_at": None})
    assert draft["方案状态"].startswith("草稿") and draft["批准"] == "—"
    assert plan_meta("项目", "区县", run, Filters())["方案状态"].startswith("未保存的当前分级")


def test_battle_plan_workbook_carries_the_plan(store):
    facts, run, layer, project = _run()
    pid = store.create_project("导出测试", S.SHANGHAI, None, list(project.product_lines))
    tables = {line: B.graded(facts, run, layer, Filters(product_line=line or None), layer) for line in run.bins}
    sid = store.save_snapshot(pid, "导出方案", run.layer_id, S.HOME, B.snapshot_payload(run, tables, G.DEFAULT_TARGETS),
                              created_by="channel1")
    store.approve_snapshot(sid, "director1")
    saved = store.snapshot(sid)
    data = battle_plan_workbook(facts, B.run_from_payload(saved["payload"]), layer[["area_id", "area_name"]],
                                Filters(), B.targets_from_payload(saved["payload"]), project=project,
                                layer_label="测试区域", layer=layer, plan=saved)
    info = {r[0]: r[1] for r in load_workbook(io.BytesIO(data))["说明"].values if r and r[0]}
    assert info["方案"] == "导出方案" and info["版本"] == "第 1 版"
    assert info["方案状态"].startswith("已批准") and info["批准"].startswith("director1 ")
