"""mapping.db.operations on SQLite and PostgreSQL: teams, territory sets, costs, ops settings, versions."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from mapping.db.models import Cost, ProjectOps, Team, TerritorySet
from mapping.db.operations import COST_COLUMNS, TEAM_COLUMNS, TERRITORY_COLUMNS, Operations


@pytest.fixture
def ops(store):
    return Operations(store)


def _project(store, name="金桥项目", launch=dt.date(2024, 6, 1)):
    return store.create_project(name, "310000", launch, ["公寓", "洋房"])


def _cost(**given):
    row = {"period_start": "2024-05-06", "period_end": "2024-05-12", "channel": "拓客", "team_id": None,
           "area_id": "", "category": "人工", "amount": 3000.0, "leads": None, "note": ""}
    row.update(given)
    return row


def _count(store, table, project_id):
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(table.project_id == project_id)).scalar()


# ----------------------------------------------------------------------------- teams
def test_teams_round_trip_and_update(store, ops):
    pid = _project(store)
    assert ops.teams(pid).columns.tolist() == TEAM_COLUMNS and ops.teams(pid).empty
    a = ops.save_team(pid, name=" 渠道一组 ", kind="渠道团队", size=6, day_rate=350, base_area="310115",
                      base_lng=121.6, base_lat=31.25, aliases="渠道1组，一组、渠道一组")
    b = ops.save_team(pid, name="链家金桥店", kind="中介公司", cost_model="按成交佣金", commission=np.float64(8000),
                      aliases=["链家", "链家地产"], active=False)
    teams = ops.teams(pid)
    assert teams["id"].tolist() == [a, b]
    first = teams.iloc[0]
    assert (first["name"], first["kind"], first["size"], first["cost_model"]) == ("渠道一组", "渠道团队", 6, "按人天")
    assert (first["day_rate"], first["base_area"], first["base_lng"], first["base_lat"]) == (350.0, "310115", 121.6, 31.25)
    assert first["aliases"] == "渠道1组、一组"  # the name itself and repeats dropped
    assert bool(first["active"]) is True
    assert teams.iloc[1]["commission"] == 8000.0 and teams.iloc[1]["aliases"] == "链家、链家地产"
    assert np.isnan(teams.iloc[1]["base_lng"])
    assert ops.teams(pid, active_only=True)["id"].tolist() == [a]
    # change a team: same id, new values; its own name is no clash
    assert ops.save_team(pid, team_id=a, name="渠道一组", size=8, kind="拓客小组") == a
    assert ops.teams(pid).set_index("id").loc[a, ["size", "kind"]].tolist() == [8, "拓客小组"]


def test_team_names_unique_per_project(store, ops):
    pid, other = _project(store), _project(store, "另一个项目")
    a = ops.save_team(pid, name="渠道一组")
    b = ops.save_team(pid, name="渠道二组")
    assert ops.save_team(other, name="渠道一组") > 0  # another project may use the name
    with pytest.raises(ValueError, match="已有名为「渠道一组」的团队"):
        ops.save_team(pid, name="渠道一组")
    with pytest.raises(ValueError, match="已有名为「渠道一组」的团队"):
        ops.save_team(pid, team_id=b, name="渠道一组")
    with pytest.raises(ValueError, match="没有编号为"):
        ops.save_team(other, team_id=a, name="偷来的")  # a team of another project
    assert ops.teams(pid)["name"].tolist() == ["渠道一组", "渠道二组"]


@pytest.mark.parametrize("given, message", [
    ({"name": ""}, "团队名称不能为空"),
    ({"name": "队" * 65}, "团队名称最多 64 个字"),
    ({"kind": "外包"}, "团队类型应为 渠道团队、拓客小组、中介公司、置业顾问、小蜜蜂 之一"),
    ({"cost_model": "按月"}, "计费方式应为"),
    ({"size": 0}, "人数应为不小于 1 的整数"),
    ({"size": 2.5}, "人数应为不小于 1 的整数"),
    ({"day_rate": -1}, "人天单价不能小于 0"),
    ({"commission": float("inf")}, "成交佣金应为有限的数字"),
    ({"monthly_fee": "很多"}, "月固定费用应为数字"),
    ({"base_lng": 121.5}, "同时填写经度和纬度"),
    ({"base_lng": 31.2, "base_lat": 121.5}, "不是有效的经纬度"),
    ({"base_area": "x" * 121}, "驻点区域最多 120 个字"),
])
def test_team_validation(store, ops, given, message):
    pid = _project(store)
    before = ops.version(pid)
    with pytest.raises(ValueError, match=message):
        ops.save_team(pid, **{"name": "渠道一组", **given})
    assert ops.teams(pid).empty and ops.version(pid) == before


def test_team_of_missing_project(store, ops):
    with pytest.raises(ValueError, match="没有编号为 999 的项目"):
        ops.save_team(999, name="渠道一组")


def test_delete_team_keeps_its_costs_without_team(store, ops):
    pid = _project(store)
    a, b = ops.save_team(pid, name="渠道一组"), ops.save_team(pid, name="渠道二组")
    ops.add_costs(pid, pd.DataFrame([_cost(team_id=a, amount=100), _cost(team_id=b, amount=200)]), "第19周", "张经理")
    ops.delete_team(a)
    assert ops.teams(pid)["name"].tolist() == ["渠道二组"]
    costs = ops.costs(pid)
    assert costs["amount"].tolist() == [100.0, 200.0]
    assert costs["team_id"].isna().tolist() == [True, False]
    assert costs["team"].tolist() == ["", "渠道二组"]
    with pytest.raises(ValueError, match="没有编号为"):
        ops.delete_team(a)


# ------------------------------------------------------------------------- territory sets
PAYLOAD = {"layer_id": "districts", "dimension": "home", "line": "",
           "areas": [{"area_id": "310115", "area_name": "浦东新区", "grade": "A", "score": np.float64(0.8),
                      "team_id": np.int64(1), "tactic": "社区巡展", "per_week": 3, "staff_days": 6.0,
                      "target_visits": 12, "target_high": 4, "target_deals": 1}],
           "bids": [], "note": "第一版"}


def test_territory_versions_approval_and_locking(store, ops):
    pid = _project(store)
    plan = store.save_snapshot(pid, "第12周方案", "districts", "home", {"grades": {}})
    first = ops.save_territory_set(pid, "第12周片区", PAYLOAD, snapshot_id=plan, method="balance",
                                   created_by="渠道经理甲")
    saved = ops.territory_set(first)
    assert (saved["name"], saved["version"], saved["status"], saved["method"]) == ("第12周片区", 1, "draft", "balance")
    assert saved["snapshot_id"] == plan and saved["created_by"] == "渠道经理甲" and saved["project_id"] == pid
    area = saved["payload"]["areas"][0]
    assert area["team_id"] == 1 and area["score"] == 0.8 and saved["payload"]["note"] == "第一版"
    # a draft is only overwritten on purpose
    with pytest.raises(ValueError, match="已有名为「第12周片区」的片区分配草稿（第 1 版）"):
        ops.save_territory_set(pid, "第12周片区", PAYLOAD)
    assert ops.save_territory_set(pid, "第12周片区", {**PAYLOAD, "note": "改过"}, snapshot_id=plan,
                                  replace=True) == first
    assert ops.territory_set(first)["payload"]["note"] == "改过"
    # approved: locked; a save under the name is version 2, a draft
    ops.approve_territory_set(first, "销售总监乙")
    approved = ops.territory_set(first)
    assert approved["status"] == "approved" and approved["approved_by"] == "销售总监乙"
    assert approved["approved_at"] is not None
    with pytest.raises(ValueError, match="已经批准过了"):
        ops.approve_territory_set(first, "销售总监乙")
    with pytest.raises(ValueError, match="已批准的片区分配不能删除"):
        ops.delete_territory_set(first)
    second = ops.save_territory_set(pid, "第12周片区", {**PAYLOAD, "note": "第二版"}, replace=True)
    assert second != first
    assert (ops.territory_set(second)["version"], ops.territory_set(second)["status"]) == (2, "draft")
    assert ops.territory_set(first)["payload"]["note"] == "改过"  # the approved version never changed
    listed = ops.territory_sets(pid)
    assert listed.columns.tolist() == TERRITORY_COLUMNS
    assert listed["id"].tolist() == [second, first]  # newest first
    assert listed["status"].tolist() == ["draft", "approved"]
    assert listed["snapshot_id"].tolist() == [None, plan]
    # the draft can go, the approved one stays
    ops.delete_territory_set(second)
    assert ops.territory_sets(pid)["id"].tolist() == [first]


def test_territory_in_force(store, ops):
    pid = _project(store)
    assert ops.territory_in_force(pid) is None and ops.approved_territory_set(pid) is None
    d1 = ops.save_territory_set(pid, "甲", PAYLOAD)
    d2 = ops.save_territory_set(pid, "乙", PAYLOAD)
    assert ops.territory_in_force(pid)["id"] == d2  # no approved one: the latest draft
    assert ops.approved_territory_set(pid) is None
    ops.approve_territory_set(d1, "总监")
    assert ops.territory_in_force(pid)["id"] == d1  # an approved one wins over a newer draft
    assert ops.approved_territory_set(pid)["id"] == d1
    ops.approve_territory_set(d2, "总监")
    assert ops.territory_in_force(pid)["id"] == d2  # the latest approved


def test_territory_validation(store, ops):
    pid, other = _project(store), _project(store, "别的项目")
    foreign_plan = store.save_snapshot(other, "别人的方案", "districts", "home", {})
    cases = [
        (dict(name="", payload=PAYLOAD), "请给这套片区分配起个名字"),
        (dict(name="甲", payload=PAYLOAD, method="random"), "分配方式应为 manual、balance、auction 之一"),
        (dict(name="甲", payload=[1, 2]), "应为一个字典"),
        (dict(name="甲", payload={"areas": "310115"}), "areas 和 bids 应为列表"),
        (dict(name="甲", payload={"areas": [{"when": object()}]}), "无法保存的值"),
        (dict(name="甲", payload=PAYLOAD, snapshot_id=foreign_plan), "没有编号为 .* 的分级方案"),
    ]
    for given, message in cases:
        with pytest.raises(ValueError, match=message):
            payload = given.pop("payload")
            ops.save_territory_set(pid, given.pop("name"), payload, **given)
    assert ops.territory_sets(pid).empty
    with pytest.raises(ValueError, match="需要写明批准人"):
        ops.approve_territory_set(ops.save_territory_set(pid, "甲", PAYLOAD), " ")
    with pytest.raises(ValueError, match="没有编号为 424242 的片区分配"):
        ops.territory_set(424242)
    with pytest.raises(ValueError, match="没有编号为 424242 的片区分配"):
        ops.approve_territory_set(424242, "总监")


def test_territory_payload_nan_becomes_null(store, ops):
    pid = _project(store)
    sid = ops.save_territory_set(pid, "甲", {"areas": [{"area_id": "a", "score": float("nan"),
                                                        "since": dt.date(2024, 5, 1)}]})
    assert ops.territory_set(sid)["payload"]["areas"] == [{"area_id": "a", "score": None, "since": "2024-05-01"}]


def test_deleting_the_plan_keeps_the_territory_set(store, ops):
    pid = _project(store)
    plan = store.save_snapshot(pid, "方案", "districts", "home", {})
    sid = ops.save_territory_set(pid, "甲", PAYLOAD, snapshot_id=plan)
    store.delete_snapshot(plan)
    assert ops.territory_set(sid)["snapshot_id"] is None


# ---------------------------------------------------------------------------------- costs
def test_costs_round_trip(store, ops):
    pid = _project(store)
    team = ops.save_team(pid, name="渠道一组")
    rows = pd.DataFrame([
        _cost(period_start=dt.date(2024, 5, 13), period_end=pd.Timestamp("2024-05-19"), channel="线上",
              category="媒体", amount="24,000", leads=50, note="朋友圈广告"),
        _cost(team_id=team, area_id="310115", amount=np.int64(1800), leads=np.nan),
    ])
    assert ops.add_costs(pid, rows, "第19-20周", "张经理") == 2
    costs = ops.costs(pid)
    assert costs.columns.tolist() == COST_COLUMNS
    assert costs["period_start"].tolist() == [pd.Timestamp("2024-05-06"), pd.Timestamp("2024-05-13")]  # oldest first
    assert str(costs["period_start"].dtype) == "datetime64[ns]"
    first, second = costs.iloc[0], costs.iloc[1]
    assert (first["team_id"], first["team"], first["area_id"], first["amount"]) == (team, "渠道一组", "310115", 1800.0)
    assert pd.isna(first["leads"]) and first["batch"] == "第19-20周" and first["created_by"] == "张经理"
    assert (second["channel"], second["category"], second["amount"], second["leads"]) == ("线上", "媒体", 24000.0, 50)
    assert pd.isna(second["team_id"]) and second["team"] == "" and second["note"] == "朋友圈广告"
    assert second["period_end"] == pd.Timestamp("2024-05-19")


def test_costs_without_batch_get_one(store, ops):
    pid = _project(store)
    ops.add_costs(pid, pd.DataFrame([_cost()]), "")
    assert ops.costs(pid)["batch"].iloc[0].startswith("录入 ")


def test_cost_validation_names_row_and_column_and_saves_nothing(store, ops):
    pid = _project(store)
    before = ops.version(pid)
    rows = pd.DataFrame([
        _cost(),
        _cost(period_start="2024-05-20", period_end="2024-05-12"),
        _cost(category="差旅"),
        _cost(amount=-5),
        _cost(period_start="下周一"),
        _cost(team_id=999),
        _cost(leads=2.5),
        _cost(amount=float("nan")),
        _cost(channel="渠" * 65),
    ])
    with pytest.raises(ValueError) as err:
        ops.add_costs(pid, rows, "批次")
    message = str(err.value)
    assert "费用未保存" in message
    for expected in ("第 2 行：开始日期 2024-05-20 晚于结束日期 2024-05-12",
                     "第 3 行：费用类别应为 媒体、渠道佣金、人工、物料活动、其他 之一，收到「差旅」",
                     "第 4 行：金额不能小于 0", "第 5 行：开始日期「下周一」不是有效的日期",
                     "第 6 行：这个项目没有编号为 999 的团队", "第 7 行：线索数应为整数",
                     "第 8 行：金额应为数字", "第 9 行：渠道最多 64 个字"):
        assert expected in message
    assert "第 1 行" not in message
    assert ops.costs(pid).empty and ops.version(pid) == before
    with pytest.raises(ValueError, match="费用表缺少列：金额"):
        ops.add_costs(pid, pd.DataFrame([{"period_start": "2024-05-01", "period_end": "2024-05-02",
                                          "category": "媒体"}]), "批次")


def test_cost_of_another_projects_team_is_refused(store, ops):
    pid, other = _project(store), _project(store, "别的项目")
    foreign = ops.save_team(other, name="别人的队")
    with pytest.raises(ValueError, match=f"第 1 行：这个项目没有编号为 {foreign} 的团队"):
        ops.add_costs(pid, pd.DataFrame([_cost(team_id=foreign)]), "批次")


def test_delete_costs_by_batch_and_ids(store, ops):
    pid, other = _project(store), _project(store, "别的项目")
    ops.add_costs(pid, pd.DataFrame([_cost(amount=1), _cost(amount=2)]), "导入 甲.xlsx")
    ops.add_costs(pid, pd.DataFrame([_cost(amount=3)]), "导入 乙.xlsx")
    ops.add_costs(other, pd.DataFrame([_cost(amount=4)]), "导入 甲.xlsx")
    with pytest.raises(ValueError, match="请选择要删除的费用"):
        ops.delete_costs(pid)
    version = ops.version(pid)
    assert ops.delete_costs(pid, batch="没有这个批次") == 0
    assert ops.version(pid) == version  # nothing deleted, nothing changed
    assert ops.delete_costs(pid, batch="导入 甲.xlsx") == 2
    assert ops.version(pid) != version
    assert ops.costs(pid)["amount"].tolist() == [3.0]
    assert ops.costs(other)["amount"].tolist() == [4.0]  # the other project's batch of the same name stays
    other_id = int(ops.costs(other)["id"].iloc[0])
    assert ops.delete_costs(pid, ids=[other_id]) == 0  # ids of another project are not touched
    assert ops.delete_costs(pid, ids=ops.costs(pid)["id"].tolist()) == 1
    assert ops.costs(pid).empty and len(ops.costs(other)) == 1
    assert ops.delete_costs(pid, ids=[]) == 0


# ----------------------------------------------------------------------------- settings
def test_ops_settings_defaults_and_merge(store, ops):
    pid = _project(store, launch=dt.date(2024, 9, 1))
    assert ops.ops_settings(pid) == {"target_cost_per_deal": None, "day_rate": 300.0, "outreach_channels": ["拓客"],
                                     "xuke": {}, "opening_date": None, "silent_weeks": 2, "opening": "2024-09-01"}
    ops.put_ops_settings(pid, {"target_cost_per_deal": "30000", "xuke": {"公寓": {"units": 120, "ratio": 3},
                                                                          "": {"units": 200, "ratio": 2.5}}})
    ops.put_ops_settings(pid, {"opening_date": dt.date(2024, 10, 1), "outreach_channels": ["拓客", " 小蜜蜂 "],
                               "silent_weeks": 3, "opening": "ignored"})
    got = ops.ops_settings(pid)
    assert got["target_cost_per_deal"] == 30000.0  # kept from the first put
    assert got["xuke"] == {"公寓": {"units": 120, "ratio": 3.0}, "": {"units": 200, "ratio": 2.5}}
    assert got["opening_date"] == "2024-10-01" and got["opening"] == "2024-10-01"
    assert got["outreach_channels"] == ["拓客", "小蜜蜂"] and got["silent_weeks"] == 3 and got["day_rate"] == 300.0
    ops.put_ops_settings(pid, {"opening_date": None, "day_rate": None})  # None: back to the default
    got = ops.ops_settings(pid)
    assert got["opening_date"] is None and got["opening"] == "2024-09-01" and got["day_rate"] == 300.0
    no_launch = _project(store, "没开盘日期", launch=None)
    assert ops.ops_settings(no_launch)["opening"] is None


@pytest.mark.parametrize("given, message", [
    ({"target_cost_per_deal": -1}, "目标单套成交费用不能小于 0"),
    ({"day_rate": float("inf")}, "默认人天单价应为有限的数字"),
    ({"day_rate": "三百"}, "默认人天单价应为数字"),
    ({"outreach_channels": "拓客"}, "拓客渠道应为渠道名称的列表"),
    ({"xuke": [1]}, "蓄客目标应为"),
    ({"xuke": {"公寓": {"units": 10.5, "ratio": 2}}}, "业态「公寓」的可售套数应为整数"),
    ({"xuke": {"公寓": {"units": 10, "ratio": -2}}}, "业态「公寓」的蓄客比不能小于 0"),
    ({"opening_date": "2024-13-40"}, "开盘日期「2024-13-40」不是有效的日期"),
    ({"silent_weeks": 0}, "沉默周数应为 1–52 的整数"),
    ({"extra": {1, 2}}, "无法保存的值"),
    ([("day_rate", 1)], "运营设置应为一个字典"),
])
def test_ops_settings_validation(store, ops, given, message):
    pid = _project(store)
    with pytest.raises(ValueError, match=message):
        ops.put_ops_settings(pid, given)
    assert ops.ops_settings(pid)["day_rate"] == 300.0


# ----------------------------------------------------------------------------- versions
def test_every_write_bumps_the_version_of_its_project_only(store, ops):
    pid, other = _project(store), _project(store, "别的项目")
    seen = {ops.version(pid)}
    untouched = ops.version(other)
    data_version = store.data_version(pid)

    def changed():
        now = ops.version(pid)
        assert now not in seen
        seen.add(now)

    team = ops.save_team(pid, name="渠道一组"); changed()
    ops.save_team(pid, team_id=team, name="渠道一组", size=3); changed()
    sid = ops.save_territory_set(pid, "甲", PAYLOAD); changed()
    ops.save_territory_set(pid, "甲", PAYLOAD, replace=True); changed()
    ops.approve_territory_set(sid, "总监"); changed()
    draft = ops.save_territory_set(pid, "乙", PAYLOAD); changed()
    ops.delete_territory_set(draft); changed()
    ops.add_costs(pid, pd.DataFrame([_cost(team_id=team)]), "批次"); changed()
    ops.delete_costs(pid, batch="批次"); changed()
    ops.put_ops_settings(pid, {"silent_weeks": 4}); changed()
    ops.delete_team(team); changed()
    assert ops.version(other) == untouched
    assert store.data_version(pid) == data_version  # operations never change the visitor data's version


def test_deleting_a_project_removes_its_operations(store, ops):
    pid, other = _project(store), _project(store, "别的项目")
    for project in (pid, other):
        team = ops.save_team(project, name="渠道一组")
        ops.save_territory_set(project, "甲", PAYLOAD)
        ops.add_costs(project, pd.DataFrame([_cost(team_id=team)]), "批次")
        ops.put_ops_settings(project, {"silent_weeks": 3})
    store.delete_project(pid)
    for table in (Team, TerritorySet, Cost, ProjectOps):
        assert _count(store, table, pid) == 0
        assert _count(store, table, other) == 1
    assert ops.ops_settings(other)["silent_weeks"] == 3
