"""The sample projects' operations: teams, an approved plan, territories, tactics, costs and 蓄客 targets.

So that a new user opening 团队与片区, 费用与费效, 蓄客目标 or 周复盘 on a sample project sees
meaningful content at once, :func:`ensure_sample_operations` gives each sample project (once,
on the first start that finds it, marked in ``app_settings`` like the 成都 sample):

1. a plan: the approved one if the sample has one; else the project's grading (居住, the
   default settings) saved as 「示例拓客计划」 and approved by ``admin``, the way the battle map
   page saves (:func:`mapping.analysis.battle.snapshot_payload`);
2. teams (:data:`SAMPLE_TEAMS`): two 拓客小组 and a 小蜜蜂 team with bases near the site, and
   an agency (中介公司, paid per deal);
3. a territory set 「示例片区方案」 approved by ``admin``: the graded areas within
   :data:`REACH_KM` of the site balanced among the teams that work areas
   (:func:`mapping.ops.territory.balance`; the agency works the whole city and gets none),
   with the suggested tactic, frequency, staff days and weekly targets per area
   (:func:`mapping.ops.tactics.suggest`);
4. costs (:data:`SAMPLE_COSTS`): a 媒体 campaign of 24 万 in one month with 50 leads, online
   media, 渠道佣金 of the agency, 人工 of the teams, one 物料活动;
5. ops settings: 蓄客 targets per product line, an opening date for the next batch
   (二期开盘) after the sample's last visit, a target cost per deal.

A project that already has teams is left alone (its users have started their own).

>>> sorted(SAMPLE_TEAMS) == sorted(SAMPLE_COSTS) == sorted(SAMPLE_SETTINGS)
True
"""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd

from mapping import schema as S
from mapping.analysis import battle as B
from mapping.analysis import grading as G
from mapping.analysis.facts import Facts, Filters
from mapping.db.operations import Operations
from mapping.db.store import Store
from mapping.export.plan import graded_lines
from mapping.geo import boundaries
from mapping.ops import tactics, territory
from mapping.ops.teams import AREA_KINDS, visitor_frame

__all__ = ["REACH_KM", "approved_plan", "SAMPLE_COSTS", "SAMPLE_OPS_SETTING", "SAMPLE_SETTINGS", "SAMPLE_TEAMS", "SAMPLE_USER",
           "PLAN_NAME", "TERRITORY_NAME", "ensure_sample_operations", "seed_operations"]

log = logging.getLogger("tuoke")

SAMPLE_USER = "admin"
PLAN_NAME = "示例拓客计划"
TERRITORY_NAME = "示例片区方案"
COST_BATCH = "示例费用"
REACH_KM = 30.0  # areas farther from the site are left to 线上定投 and the agency (not balanced)
EFFECTIVE_WEEKS = 8  # the sample territory set took effect this many weeks before the data end
# app_settings key per sample project: its operations were added (or skipped) once; never again
SAMPLE_OPS_SETTING = "sample_operations:{name}"

SHANGHAI, CHENGDU = "金桥湾示范项目（示例）", "天府示范项目（成都）"
SAMPLE_TEAMS: dict[str, list[dict]] = {
    SHANGHAI: [
        dict(name="金桥拓客一组", kind="拓客小组", size=6, cost_model="按人天", day_rate=300.0,
             base_lng=121.600, base_lat=31.265, aliases="金桥一组、拓客一组"),
        dict(name="张江拓客二组", kind="拓客小组", size=5, cost_model="按人天", day_rate=300.0,
             base_lng=121.590, base_lat=31.205, aliases="张江二组、拓客二组"),
        dict(name="链家（中介）", kind="中介公司", size=12, cost_model="按成交佣金", commission=30000.0,
             base_lng=121.545, base_lat=31.225, aliases="链家、链家地产、链家金桥店"),
        dict(name="小蜜蜂兼职队", kind="小蜜蜂", size=10, cost_model="按人天", day_rate=150.0,
             base_lng=121.655, base_lat=31.240, aliases="小蜜蜂、兼职队"),
    ],
    CHENGDU: [
        dict(name="华阳拓客一组", kind="拓客小组", size=6, cost_model="按人天", day_rate=260.0,
             base_lng=104.050, base_lat=30.498, aliases="华阳一组、拓客一组"),
        dict(name="高新拓客二组", kind="拓客小组", size=5, cost_model="按人天", day_rate=260.0,
             base_lng=104.062, base_lat=30.582, aliases="高新二组、拓客二组"),
        dict(name="贝壳（中介）", kind="中介公司", size=10, cost_model="按成交佣金", commission=20000.0,
             base_lng=104.040, base_lat=30.640, aliases="贝壳、贝壳找房"),
        dict(name="小蜜蜂兼职队", kind="小蜜蜂", size=8, cost_model="按人天", day_rate=130.0,
             base_lng=104.068, base_lat=30.445, aliases="小蜜蜂、兼职队"),
    ],
}


def _month(year: int, month: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, month, 1)
    return start, (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()


def _costs(year: int, months: list[int], media_month: int, teams: list[str], agency: str,
           commission_months: dict[int, float], media_amount: float) -> list[dict]:
    """The cost rows of a sample (team given by name, turned into ids when saved)."""
    rows = []
    start, end = _month(year, media_month)
    rows.append(dict(period_start=start, period_end=end, channel="广告", team=None, category="媒体",
                     amount=media_amount, leads=50, note="户外大牌 + 朋友圈广告（示例）"))
    for m in months:
        start, end = _month(year, m)
        rows.append(dict(period_start=start, period_end=end, channel="线上", team=None, category="媒体",
                         amount=60000.0, leads=120, note="线上平台投放（示例）"))
        for name, size, days, rate in teams:
            rows.append(dict(period_start=start, period_end=end, channel="拓客", team=name, category="人工",
                             amount=float(size * days * rate), leads=None,
                             note=f"{size} 人 × {days} 天 × {rate:g} 元（示例）"))
    for m, amount in commission_months.items():
        start, end = _month(year, m)
        rows.append(dict(period_start=start, period_end=end, channel="中介", team=agency, category="渠道佣金",
                         amount=amount, leads=None, note="按成交结算的佣金（示例）"))
    start, end = _month(year, months[len(months) // 2])
    rows.append(dict(period_start=start, period_end=end, channel="拓客", team=None, category="物料活动",
                     amount=50000.0, leads=None, note="社区巡展物料与暖场活动（示例）"))
    return rows


SAMPLE_COSTS: dict[str, list[dict]] = {
    SHANGHAI: _costs(2024, [1, 2, 3, 4, 5, 6], 3,
                     [("金桥拓客一组", 6, 22, 300), ("张江拓客二组", 5, 22, 300), ("小蜜蜂兼职队", 10, 12, 150)],
                     "链家（中介）", {4: 540000.0, 5: 900000.0, 6: 600000.0}, 240000.0),
    CHENGDU: _costs(2024, [7, 8, 9, 10, 11, 12], 10,
                    [("华阳拓客一组", 6, 22, 260), ("高新拓客二组", 5, 22, 260), ("小蜜蜂兼职队", 8, 12, 130)],
                    "贝壳（中介）", {10: 300000.0, 11: 500000.0, 12: 400000.0}, 240000.0),
}
# 蓄客: units × 蓄客比 per product line; the next batch opens after the sample's last visit.  At the
# sample's pace 公寓 and 商铺 fall short by the opening, the other two lines are enough.
SAMPLE_SETTINGS: dict[str, dict] = {
    SHANGHAI: {"target_cost_per_deal": 40000.0, "opening_date": "2024-08-31", "outreach_channels": ["拓客"],
               "xuke": {"公寓": {"units": 360, "ratio": 3.0}, "洋房": {"units": 230, "ratio": 3.0},
                        "别墅": {"units": 60, "ratio": 5.0}, "商铺": {"units": 120, "ratio": 3.0}}},
    CHENGDU: {"target_cost_per_deal": 35000.0, "opening_date": "2025-02-28", "outreach_channels": ["拓客"],
              "xuke": {"公寓": {"units": 240, "ratio": 3.0}, "洋房": {"units": 190, "ratio": 3.0},
                       "叠拼": {"units": 50, "ratio": 5.0}, "商铺": {"units": 80, "ratio": 3.0}}},
}


# ----------------------------------------------------------------------------- once per sample
def ensure_sample_operations(store: Store, names: tuple[str, ...] = (SHANGHAI, CHENGDU)) -> list[int]:
    """Give each sample project of ``names`` its operations once; returns the ids of the projects done now.

    The first process to claim a sample's marker (``SAMPLE_OPS_SETTING``) does the work, so two
    instances starting together do not both do it; a sample that is not there, or whose project
    already has teams, is marked skipped.  When the work fails the marker is forgotten (the next
    start tries again) and what was written is removed; the error is raised.  One query per
    sample when done before.
    """
    done = []
    for name in names:
        key = SAMPLE_OPS_SETTING.format(name=name)
        if store.setting(key) is not None:
            continue
        projects = store.projects()
        found = projects.loc[projects["name"] == name, "id"]
        ops = Operations(store)
        wanted = len(found) == 1 and ops.teams(int(found.iloc[0])).empty
        if not store.claim_setting(key, "added" if wanted else "skipped") or not wanted:
            continue
        project_id = int(found.iloc[0])
        try:
            seed_operations(store, project_id, name)
        except Exception:
            _undo(ops, project_id)
            store.forget_setting(key)
            raise
        done.append(project_id)
    return done


def _undo(ops: Operations, project_id: int) -> None:
    """Remove what a failed seeding wrote (teams, draft territory sets, the cost batch)."""
    ops.delete_costs(project_id, batch=COST_BATCH)
    for row in ops.territory_sets(project_id).itertuples():
        if row.status != "approved":
            ops.delete_territory_set(int(row.id))
    for team_id in ops.teams(project_id)["id"]:
        ops.delete_team(int(team_id))


# ----------------------------------------------------------------------------- the seeding
def seed_operations(store: Store, project_id: int, sample: str) -> dict:
    """Write the operations of sample ``sample`` (a key of :data:`SAMPLE_TEAMS`) into project ``project_id``.

    Returns what was made: ``plan_id``, ``team_ids``, ``territory_id``, ``costs`` (rows added).
    """
    if sample not in SAMPLE_TEAMS:
        raise ValueError(f"没有名为「{sample}」的示例项目；可选：{'、'.join(SAMPLE_TEAMS)}")
    ops = Operations(store)
    project = store.project(project_id)
    layer = boundaries.load_layer(project.area_layer, city=project.city_adcode)
    facts = Facts.from_columns(store.fact_columns(project.id), project.city_adcode)
    plan_id, payload = approved_plan(store, project, layer, facts)
    team_ids = _teams(ops, project_id, SAMPLE_TEAMS[sample], layer)
    territory_id = _territory(ops, project, layer, facts, plan_id, payload)
    added = _add_costs(ops, project_id, SAMPLE_COSTS[sample])
    ops.put_ops_settings(project_id, SAMPLE_SETTINGS[sample])
    ops.approve_territory_set(territory_id, SAMPLE_USER)  # last: a failure before leaves a draft to remove
    return {"plan_id": plan_id, "team_ids": team_ids, "territory_id": territory_id, "costs": added}


def approved_plan(store: Store, project, layer, facts: Facts) -> tuple[int, dict]:
    """The project's approved plan on its area unit (made from the default grading, saved and approved now
    when it has none, as the battle map saves one): its id and payload."""
    plan = store.approved_plan(project.id)
    if plan is not None and plan.get("layer_id") == project.area_layer:
        return int(plan["id"]), plan["payload"]
    names = layer[["area_id", "area_name"]]
    run = B.fit_run(facts, project.area_layer, B.Settings(), Filters(), list(project.product_lines), layer)
    tables = graded_lines(facts, run, names, Filters(), project.lines_with_all(), layer)
    payload = B.snapshot_payload(run, tables, G.DEFAULT_TARGETS.copy(), note="示例项目自动生成的拓客计划")
    plan_id = store.save_snapshot(project.id, PLAN_NAME, run.layer_id, run.settings.dimension, payload,
                                  created_by=SAMPLE_USER)
    store.approve_snapshot(plan_id, SAMPLE_USER)
    return plan_id, payload


def _base_area(points: pd.DataFrame, layer, lng: float, lat: float) -> str:
    """The area the base lies in (else the nearest area's point)."""
    import shapely

    shapes = layer.set_crs(4326) if layer.crs is None else layer.to_crs(4326)
    inside = shapes[shapes.geometry.contains(shapely.Point(lng, lat))]
    if len(inside):
        return str(inside["area_id"].iloc[0])
    return str(points["area_id"].iloc[int(np.argmin(territory.haversine_km(points["lng"], points["lat"], lng, lat)))])


def _teams(ops: Operations, project_id: int, teams: list[dict], layer) -> list[int]:
    points = territory.area_facts(layer[["area_id"]], layer)
    return [ops.save_team(project_id, base_area=_base_area(points, layer, t["base_lng"], t["base_lat"]), **t)
            for t in teams]


def _territory(ops: Operations, project, layer, facts: Facts, plan_id: int, payload: dict) -> int:
    """Balance the plan's graded areas near the site among the area teams, add tactics and weekly targets
    (:mod:`mapping.ops.tactics`) and save it as a draft; its id."""
    dimension = payload["settings"]["dimension"]
    dimension = dimension if dimension in S.DIMENSIONS else S.HOME
    frame = visitor_frame(facts, project.area_layer, dimension, layer)
    grades = B.snapshot_grades(payload, "")
    grades = grades[grades["grade"] != G.NO_VISITS]  # as 团队与片区 lists a plan's areas: those with visitors
    areas = territory.area_facts(grades, layer, frame["area_id"].value_counts(), project.site)
    areas["dimension"] = dimension
    teams = ops.teams(project.id)
    workers = teams[teams["kind"].isin(AREA_KINDS)]
    near = areas[(areas["distance_km"] <= REACH_KM) & areas["grade"].isin(G.GRADES)]
    owners = territory.balance(near, workers).set_index("area_id")["team_id"]
    areas["team_id"] = areas["area_id"].map(owners)
    plan = tactics.suggest(areas).set_index("area_id")
    high_share, conversion = tactics.project_rates(frame)
    goals = tactics.default_targets(areas, B.targets_from_payload(payload), high_share, conversion).set_index("area_id")
    span = facts.date_range()  # the sample's visits are from the past: the territory took effect 8 weeks before they end
    start = span[1] - dt.timedelta(weeks=EFFECTIVE_WEEKS) if span else None
    goals = _reachable(goals, frame, start, high_share, conversion)
    rows = []
    for r in areas.itertuples(index=False):
        team, how, goal = r.team_id, plan.loc[r.area_id], goals.loc[r.area_id]
        rows.append({"area_id": str(r.area_id), "area_name": str(r.area_name), "grade": str(r.grade),
                     "score": None if pd.isna(r.score) else float(r.score),
                     "team_id": None if pd.isna(team) else int(team),
                     "tactic": str(how["tactic"]), "per_week": int(how["per_week"]),
                     "staff_days": float(how["staff_days"]), "target_visits": int(goal["target_visits"]),
                     "target_high": int(goal["target_high"]), "target_deals": int(goal["target_deals"])})
    body = {"layer_id": project.area_layer, "dimension": dimension, "line": "", "areas": rows, "bids": [],
            "effective_from": start.isoformat() if start else None,
            "note": f"示例：离项目 {REACH_KM:g} 公里内的已分级片区按潜力均衡分给各拓客团队；中介公司不分片区"}
    return ops.save_territory_set(project.id, TERRITORY_NAME, body, snapshot_id=plan_id, method="balance",
                                  created_by=SAMPLE_USER)


def _reachable(goals: pd.DataFrame, frame: pd.DataFrame, start: dt.date | None, high_share: float,
               conversion: float) -> pd.DataFrame:
    """The sample's weekly visit targets: what its 拓客 visitors brought per area per week over the weeks the
    territory ran (the plan's KPI table counts every visitor of an area; a team is credited only its outreach
    channel's), so its 周复盘 shows teams on target in some weeks and behind in others, not always behind."""
    if start is None:
        return goals
    ran = frame[(frame["channel"] == "拓客") & (frame["visit_date"] >= pd.Timestamp(start))]
    pace = ran["area_id"].value_counts() / EFFECTIVE_WEEKS
    out = goals.copy()
    out["target_visits"] = np.round(out.index.to_series().map(pace).fillna(0).to_numpy()).astype(int)
    out["target_high"] = np.round(out["target_visits"] * high_share).astype(int)
    out["target_deals"] = np.round(out["target_visits"] * conversion).astype(int)
    return out


def _add_costs(ops: Operations, project_id: int, rows: list[dict]) -> int:
    ids = dict(zip(ops.teams(project_id)["name"], ops.teams(project_id)["id"].astype(int)))
    frame = pd.DataFrame(rows)
    frame["team_id"] = frame.pop("team").map(ids).astype("Int64")
    frame["area_id"] = ""
    frame["leads"] = frame["leads"].astype("Int64")
    return ops.add_costs(project_id, frame, batch=COST_BATCH, created_by=SAMPLE_USER)
