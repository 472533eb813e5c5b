"""The sample projects' operations (mapping/sample_ops.py): made once at the first start, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import doctest

import pandas as pd
import pytest

from mapping import bootstrap
from mapping import sample_ops as SO
from mapping.analysis import grading as G
from mapping.analysis.facts import Facts
from mapping.db.operations import Operations
from mapping.geo import boundaries
from mapping.ops import pipeline as P
from mapping.ops import teams as OT

SH, CD = bootstrap.SAMPLE_PROJECT["name"], bootstrap.CHENGDU_SAMPLE_PROJECT["name"]


@pytest.fixture
def quiet_admin(monkeypatch):
    monkeypatch.setenv("TUOKE_ADMIN_PASSWORD", "Env-Seed-Pass-1")
    monkeypatch.delenv("TUOKE_SAMPLE", raising=False)


def _ids(store) -> dict[str, int]:
    return dict(zip(store.projects()["name"], store.projects()["id"].astype(int)))


def test_doctests():
    assert doctest.testmod(SO).failed == 0


def test_names_are_the_bootstrap_samples():
    assert sorted(SO.SAMPLE_TEAMS) == sorted([SH, CD])


def test_first_start_gives_both_samples_their_operations_once(store, quiet_admin):
    bootstrap.ensure_ready(store)
    ops = Operations(store)
    ids = _ids(store)
    for name in (SH, CD):
        pid = ids[name]
        teams = ops.teams(pid)
        assert teams["name"].tolist() == [t["name"] for t in SO.SAMPLE_TEAMS[name]]
        assert (teams["base_area"] != "").all()
        plan = store.approved_plan(pid)
        assert plan["name"] == SO.PLAN_NAME and plan["approved_by"] == SO.SAMPLE_USER
        territory = ops.territory_in_force(pid)
        assert territory["status"] == "approved" and territory["snapshot_id"] == plan["id"]
        assert territory["name"] == SO.TERRITORY_NAME and territory["method"] == "balance"
        areas = pd.DataFrame(territory["payload"]["areas"])
        assert set(areas["area_id"]) == {r["area_id"] for r in plan["payload"]["grades"][""]
                                           if r["grade"] != G.NO_VISITS}  # the areas 团队与片区 lists
        owners = set(areas["team_id"].dropna().astype(int))
        agency = set(teams.loc[teams["kind"] == "中介公司", "id"])
        assert owners == set(teams["id"]) - agency  # every area team works some areas; the agency none
        a_areas = areas[areas["grade"] == "A"]
        assert a_areas["team_id"].notna().all() and (a_areas["tactic"] != "").all()
        # weekly targets a little above the area's 拓客 pace of the 8 weeks before the territory took effect
        # (the plan's 40 new leads a week for A count every visitor; a team is credited its 拓客 ones)
        assert ((a_areas["target_visits"] > 0) & (a_areas["target_visits"] < 40)).all()
        assert (areas.loc[areas["target_visits"] > 1, "target_high"] >= 1).all()
        costs = ops.costs(pid)
        media = costs[(costs["category"] == "媒体") & (costs["channel"] == "广告")]
        assert media[["amount", "leads"]].values.tolist() == [[240000.0, 50]]
        assert set(costs["category"]) == {"媒体", "渠道佣金", "人工", "物料活动"}
        assert set(costs.loc[costs["category"] == "渠道佣金", "team_id"]) == agency
        settings = ops.ops_settings(pid)
        assert settings["xuke"] == SO.SAMPLE_SETTINGS[name]["xuke"]
    counts = (len(ops.costs(ids[SH])), len(ops.territory_sets(ids[SH])), len(store.snapshots(ids[SH])))
    bootstrap.ensure_ready(store)  # the second start: nothing added
    assert (len(ops.costs(ids[SH])), len(ops.territory_sets(ids[SH])), len(store.snapshots(ids[SH]))) == counts
    assert len(ops.teams(ids[SH])) == 4


def test_shanghai_costs_and_xuke_by_hand(store, quiet_admin):
    pid = bootstrap.load_sample(store)
    assert SO.ensure_sample_operations(store, (SH,)) == [pid]
    costs = Operations(store).costs(pid)
    labour = costs[costs["category"] == "人工"].groupby("team")["amount"].sum()
    # six months of 6 × 22 × 300, 5 × 22 × 300 and 10 × 12 × 150
    assert labour.to_dict() == {"金桥拓客一组": 237600.0, "张江拓客二组": 198000.0, "小蜜蜂兼职队": 108000.0}
    march = costs[(pd.to_datetime(costs["period_start"]) == "2024-03-01") & (costs["category"] == "媒体")]
    assert march["amount"].sum() == 300000.0  # 24万 广告 + 6万 线上
    assert costs.loc[costs["category"] == "渠道佣金", "amount"].sum() == 2_040_000.0  # 68 deals × 3万

    project = store.project(pid)
    layer = boundaries.load_layer(project.area_layer, city=project.city_adcode)
    frame = OT.visitor_frame(Facts.from_columns(store.fact_columns(pid), project.city_adcode),
                             project.area_layer, "home", layer)
    settings = Operations(store).ops_settings(pid)
    opening = dt.date.fromisoformat(settings["opening"])
    assert opening > frame["visit_date"].max().date()  # the next batch opens after the sample's data
    short = {line for line, x in settings["xuke"].items()
             if P.pipeline(frame, line, units=x["units"], ratio=x["ratio"], opening=opening).projected
             < P.target_of(x["units"], x["ratio"])}
    assert short == {"公寓", "商铺"}


def test_tuoke_sample_0_adds_no_operations(store, quiet_admin, monkeypatch):
    bootstrap.load_sample(store)
    monkeypatch.setenv("TUOKE_SAMPLE", "0")
    bootstrap.ensure_ready(store)
    assert Operations(store).teams(_ids(store)[SH]).empty
    assert store.setting(SO.SAMPLE_OPS_SETTING.format(name=SH)) is None


def test_a_project_with_its_own_teams_is_left_alone(store, quiet_admin):
    pid = bootstrap.load_sample(store)
    ops = Operations(store)
    ops.save_team(pid, name="我们自己的团队")
    assert SO.ensure_sample_operations(store, (SH,)) == []
    assert ops.teams(pid)["name"].tolist() == ["我们自己的团队"]
    assert store.setting(SO.SAMPLE_OPS_SETTING.format(name=SH)) == "skipped"
    assert ops.costs(pid).empty and store.snapshots(pid).empty


def test_a_deleted_sample_is_skipped(store, quiet_admin):
    assert SO.ensure_sample_operations(store, (SH,)) == []
    assert store.setting(SO.SAMPLE_OPS_SETTING.format(name=SH)) == "skipped"


def test_a_failure_removes_what_was_written_and_the_next_start_retries(store, quiet_admin, monkeypatch):
    pid = bootstrap.load_sample(store)
    ops = Operations(store)

    def broken(*args, **kwargs):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(SO, "_add_costs", broken)
    with pytest.raises(RuntimeError, match="磁盘已满"):
        SO.ensure_sample_operations(store, (SH,))
    assert ops.teams(pid).empty and ops.territory_sets(pid).empty
    assert store.setting(SO.SAMPLE_OPS_SETTING.format(name=SH)) is None
    bootstrap.ensure_ready(store)  # ensure_ready logs such a failure instead of stopping the app
    monkeypatch.undo()
    monkeypatch.setenv("TUOKE_ADMIN_PASSWORD", "Env-Seed-Pass-1")
    assert SO.ensure_sample_operations(store, (SH,)) == [pid]
    assert len(ops.teams(pid)) == 4 and ops.territory_in_force(pid)["status"] == "approved"
    assert len(store.snapshots(pid)) == 1  # the plan approved by the failed try is used, not made again


def test_the_weekly_review_of_the_sample_has_content(store, quiet_admin):
    from mapping.ops import weekly as W

    pid = bootstrap.load_sample(store)
    SO.ensure_sample_operations(store, (SH,))
    ops = Operations(store)
    project = store.project(pid)
    layer = boundaries.load_layer(project.area_layer, city=project.city_adcode)
    frame = OT.visitor_frame(Facts.from_columns(store.fact_columns(pid), project.city_adcode),
                             project.area_layer, "home", layer)
    territory = ops.territory_in_force(pid)
    teams = ops.teams(pid)
    attributed = OT.attribute(frame, teams, territory["payload"], ops.ops_settings(pid)["outreach_channels"])
    # rule 2 only (the sample file has no team column): every 拓客 visitor in an assigned area has its team
    tuoke = attributed[attributed["channel"] == "拓客"]
    assigned = tuoke["area_id"].isin(OT.territory_owners(territory["payload"]).keys())
    assert tuoke.loc[assigned, "team_id"].notna().all() and assigned.mean() > 0.5  # 74 %: the rest live far or unplaced
    counts = W.week_counts(attributed)
    review = W.review(counts, territory, teams, dt.date(2024, 4, 22), min_count=project.min_count)
    table = review.teams.set_index("团队")
    workers = [t["name"] for t in SO.SAMPLE_TEAMS[SH] if t["kind"] in SO.AREA_KINDS]
    assert (table.loc[workers, "本周到访"] > 0).all()
    assert (table.loc[workers, "本周目标到访"] > 0).all()
    assert table.loc["链家（中介）", "状态"] == W.STATUS_NO_AREAS
    # the territory set took effect 8 weeks before the data end (not at its approval in the present): the
    # cumulative columns count from then
    assert W.effective_from(territory) == W.monday(Facts.from_columns(store.fact_columns(pid)).date_range()[1]
                                                  - dt.timedelta(weeks=SO.EFFECTIVE_WEEKS))
    last = W.review(counts, territory, teams, W.effective_from(territory) + dt.timedelta(weeks=4),
                    min_count=project.min_count).teams.set_index("团队")
    assert (last.loc[workers, "累计周数"] == 5).all() and (last.loc[workers, "累计到访"] > 0).all()
    assert (table.loc[workers, "累计周数"] == 0).all()  # 2024-04-22 is before it took effect
