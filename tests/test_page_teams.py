"""团队与片区 page (AppTest): adding teams, 自动均衡, a 竞拍 awarded and turned into targets, saving a
territory set, a 销售总监 approving it, a 渠道经理 who may edit but not approve, and a viewer who only reads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from mapping import sample_ops
from mapping.analysis import battle as B
from mapping.analysis import grading as G
from mapping.analysis.facts import Facts
from mapping.db.operations import Operations
from mapping.db.store import Store
from mapping.geo import boundaries
from mapping.ops import territory as T
from tests.conftest import sign_in

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 180
PAGE = "views/teams.py"
STATE = "tm_state"


@pytest.fixture(autouse=True)
def _fresh(sample_app_database):
    """Each test on its own SQLite file with empty Streamlit caches."""


def _ensure_plan() -> dict:
    """The sample project's approved plan (made and approved here when the sample has none)."""
    store = Store()
    try:
        project = store.project(1)
        facts = Facts.from_columns(store.fact_columns(1), project.city_adcode)
        layer = boundaries.load_layer(project.area_layer, city=project.city_adcode)
        return store.snapshot(sample_ops.approved_plan(store, project, layer, facts)[0])
    finally:
        store.engine.dispose()


def _page(role: str = "admin", username: str | None = None) -> tuple[AppTest, dict]:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    sign_in(at)  # an admin first: the first run loads the sample project
    at.run()
    plan = _ensure_plan()
    if role != "admin":
        sign_in(at, role, username=username or f"u_{role}", project_ids=[1])
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at, plan


def _ops() -> Operations:
    return Operations(Store())


def _texts(at: AppTest, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def _graded(plan: dict) -> pd.DataFrame:
    grades = B.snapshot_grades(plan["payload"], "")
    return grades[grades["grade"].isin(G.GRADES)].sort_values("score", ascending=False).reset_index(drop=True)


def _patch_editor(monkeypatch, prefix: str, make) -> None:
    """AppTest cannot type into a data_editor: the editor whose key starts with ``prefix`` returns
    ``make(data)`` instead."""
    original = st.data_editor

    def edited(data, *args, **kwargs):
        result = original(data, *args, **kwargs)
        return make(data) if str(kwargs.get("key", "")).startswith(prefix) else result

    monkeypatch.setattr(st, "data_editor", edited)


def _add_two_teams(at: AppTest, monkeypatch, plan: dict) -> dict[str, int]:
    graded = _graded(plan)
    bases = [graded["area_name"].iloc[0], graded["area_name"].iloc[-1]]  # the best area and a weak one

    def with_two_more(data: pd.DataFrame) -> pd.DataFrame:
        new = pd.DataFrame({"name": ["测试甲队", "测试乙队", "测试中介"], "kind": ["拓客小组", "渠道团队", "中介公司"],
                            "size": [3, 2, 5], "cost_model": ["按人天", "按人天", "按成交佣金"],
                            "day_rate": [300.0, 280.0, 0.0], "commission": [0.0, 0.0, 8000.0],
                            "monthly_fee": [0.0, 0.0, 0.0], "base": [*bases, None], "aliases": ["甲队、A队", "", ""],
                            "active": [True, True, True]})
        return pd.concat([data, new], ignore_index=True)  # added rows come back without an id

    # a team whose base is a precise spot in the best area: saving the table unchanged keeps that spot
    spot = _ops().save_team(1, name="测试驻点队", kind="小蜜蜂", base_area=str(graded["area_id"].iloc[0]),
                            base_lng=121.6012, base_lat=31.2345, active=False)
    at.run()
    _patch_editor(monkeypatch, "tm_teams_", with_two_more)
    at.button(key="tm_teams_save").click().run()
    assert not at.exception, at.exception
    assert any("已保存" in s and "个团队" in s for s in _texts(at, "success")), _texts(at, "error")
    teams = _ops().teams(1)
    ids = dict(zip(teams["name"], teams["id"].astype(int)))
    mine = teams.set_index("name").loc[["测试甲队", "测试乙队"]]
    assert mine["size"].tolist() == [3, 2] and mine["aliases"].tolist() == ["甲队、A队", ""]
    assert mine["base_area"].tolist() == graded.set_index("area_name").loc[bases, "area_id"].tolist()
    assert mine["base_lng"].notna().all() and mine["base_lat"].notna().all()
    assert teams.set_index("id").loc[spot, ["base_lng", "base_lat"]].tolist() == [121.6012, 31.2345]
    return ids


def test_teams_balance_auction_save_and_approve(monkeypatch):
    at, plan = _page()
    ids = _add_two_teams(at, monkeypatch, plan)

    # 自动均衡: every area with potential goes to an active team, each of ours gets some
    at.button(key="tm_balance").click().run()
    assert not at.exception, at.exception
    state = at.session_state[STATE]
    areas = state["areas"]
    assert state["method"] == "balance"
    has_potential = T.potential(areas) > 0
    assert areas.loc[has_potential, "team_id"].notna().all()
    assert {ids["测试甲队"], ids["测试乙队"]} <= set(areas["team_id"].dropna().astype(int))
    assert ids["测试中介"] not in set(areas["team_id"].dropna().astype(int))  # agencies take no territory by default
    index = next(d.value for d in at.dataframe if "均衡指数" in d.value.columns)
    assert set(index["团队"]) >= {"测试甲队", "测试乙队"} and index["均衡指数"].between(50, 150).all()

    # 竞拍: both bid 2 deals on the best area, 乙 promises more visits and wins; its bid becomes the target
    best = _graded(plan).iloc[0]
    bids = pd.DataFrame({"team": ["测试甲队", "测试乙队"], "area": [best["area_name"]] * 2,
                         "target_visits": [30, 45], "target_deals": [2, 2], "by": ["", ""], "at": ["", ""]})
    _patch_editor(monkeypatch, "tm_bids_", lambda data: bids.copy())
    at.run()
    at.button(key="tm_award").click().run()
    assert not at.exception, at.exception
    state = at.session_state[STATE]
    row = state["areas"].set_index("area_id").loc[str(best["area_id"])]
    assert (int(row["team_id"]), int(row["target_visits"]), int(row["target_deals"])) == (ids["测试乙队"], 45, 2)
    assert state["method"] == "auction"
    award = next(d.value for d in at.dataframe if "中标团队" in d.value.columns)
    assert award[["区域", "中标团队", "次优团队"]].values.tolist() == [[best["area_name"], "测试乙队", "测试甲队"]]

    # 保存片区方案: a draft, version 1, with the bids and the award's targets
    at.text_input(key="tm_save_name").set_value("测试片区")
    at.date_input(key="tm_save_start").set_value(dt.date(2024, 3, 6))  # 执行起始日: 周复盘 counts from its Monday
    next(b for b in at.button if b.label == "保存片区方案").click().run()
    assert not at.exception, at.exception
    sets = _ops().territory_sets(1)
    saved = sets[sets["name"] == "测试片区"]
    assert saved[["version", "status", "method"]].values.tolist() == [[1, "draft", "auction"]]
    body = _ops().territory_set(int(saved["id"].iloc[0]))["payload"]
    assert body["layer_id"] == plan["layer_id"] and len(body["bids"]) == 2
    assert body["effective_from"] == "2024-03-06"
    assert all(b["by"] == "test_admin" and b["at"] for b in body["bids"])
    won = next(a for a in body["areas"] if a["area_id"] == str(best["area_id"]))
    assert (won["team_id"], won["target_visits"], won["target_deals"]) == (ids["测试乙队"], 45, 2)

    # a 渠道经理 may edit but not approve
    at, _ = _page("channel", "wang_channel")
    at.selectbox(key="tm_pick").set_value(int(saved["id"].iloc[0])).run()
    keys = [b.key for b in at.button]
    assert "tm_balance" in keys and "tm_approve" not in keys

    # the 销售总监 approves it
    at, _ = _page("director", "zhang_director")
    at.selectbox(key="tm_pick").set_value(int(saved["id"].iloc[0])).run()
    at.button(key="tm_approve").click().run()
    assert not at.exception, at.exception
    done = _ops().territory_set(int(saved["id"].iloc[0]))
    assert done["status"] == "approved" and done["approved_by"] == "zhang_director"
    assert any("已批准：测试片区 · 第 1 版 · 已批准（zhang_director " in s for s in _texts(at, "success"))
    assert "tm_approve" not in [b.key for b in at.button] and "tm_delete" not in [b.key for b in at.button]


def test_a_click_on_the_map_assigns_the_area_and_balancing_keeps_other_teams_areas(monkeypatch):
    at, plan = _page()
    ids = _add_two_teams(at, monkeypatch, plan)
    best = _graded(plan).iloc[0]
    shapes = boundaries.load_layer(plan["layer_id"], city=Store().project(1).city_adcode)
    point = shapes.loc[shapes["area_id"].astype(str) == str(best["area_id"])].geometry.representative_point().iloc[0]
    import ui.shared  # the page imports show_map from here on every run: it gets the click below

    click = {"last_object_clicked": {"lng": point.x, "lat": point.y}}
    monkeypatch.setattr(ui.shared, "show_map", lambda *a, **k: click)
    at.selectbox(key="tm_assign").set_value(ids["测试甲队"]).run()
    assert not at.exception, at.exception
    row = at.session_state[STATE]["areas"].set_index("area_id").loc[str(best["area_id"])]
    assert int(row["team_id"]) == ids["测试甲队"] and at.session_state[STATE]["method"] == "manual"

    # the same area clicked for the agency (a new click), then 自动均衡 among the area teams: it stays the agency's
    click["last_object_clicked"] = {"lng": point.x + 1e-6, "lat": point.y}
    at.selectbox(key="tm_assign").set_value(ids["测试中介"]).run()
    at.button(key="tm_balance").click().run()
    assert not at.exception, at.exception
    areas = at.session_state[STATE]["areas"]
    assert at.session_state[STATE]["method"] == "balance"
    assert areas.loc[areas["team_id"] == ids["测试中介"], "area_id"].tolist() == [str(best["area_id"])]


def test_a_viewer_reads_but_cannot_change_anything(monkeypatch):
    calls = []
    original = st.data_editor
    monkeypatch.setattr(st, "data_editor", lambda *a, **k: calls.append(k.get("key")) or original(*a, **k))
    at, plan = _page("viewer", "li_viewer")
    keys = [b.key for b in at.button]
    labels = [b.label for b in at.button]
    for key in ("tm_teams_save", "tm_balance", "tm_award", "tm_approve", "tm_delete", "tm_reset_tactics"):
        assert key not in keys
    assert "保存片区方案" not in labels and "tm_assign" not in [s.key for s in at.selectbox]
    assert not [c for c in calls if str(c).startswith("tm_")]  # no editor at all
    assert "你的角色只能查看片区方案。" in _texts(at, "caption")
    # the territory table is there, and areas under k show no count
    table = next(d.value for d in at.dataframe if "潜力" in d.value.columns)
    hidden = table["等级"] == G.INSUFFICIENT
    assert table.loc[hidden, "到访"].isna().all()
    assert (table.loc[table["到访"].notna(), "到访"] >= Store().project(1).min_count).all()
