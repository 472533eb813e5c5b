"""AppTest of 周复盘 (views/weekly.py) on a small project whose figures are worked out by hand.

The project (上海, districts, 居住, k = 2) has three weeks of 洋房 visitors, W1 = 2024-03-04 … W3 ending on
Sunday 2024-03-24:

- 浦东新区, 到访渠道 拓客, intention A: 2 in W1, 3 in W2, 4 in W3 (one of them buys on 2024-03-20);
- 徐汇区, 拓客, C: 2 in W1 only;
- 闵行区, 自然到访, C: 3 in W2 (one buys on 2024-03-13), 2 in W3.

Territory (approved, dated 2024-03-01): 甲队 holds 浦东新区 (3 visits / 2 high / 1 deal a week), 乙队 holds
徐汇区 (2 / 1 / 0); 闵行区 is in the plan (C) but unassigned; 丙队 holds nothing.  拓客 visitors of an
assigned area belong to its team (the default outreach channel).
"""

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from mapping import importer
from mapping.db.models import TerritorySet
from mapping.db.operations import Operations
from mapping.db.store import Store
from mapping.geo import boundaries
from mapping.ingest.tables import auto_map, read_table, validate
from tests.conftest import sign_in
from tests.test_pages import _eager_downloads
from tests.shown_tables import read

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 180
W1, W2, W3 = dt.date(2024, 3, 4), dt.date(2024, 3, 11), dt.date(2024, 3, 18)
HEADERS = ["客户编号", "到访日期", "意向业态", "意向等级", "到访渠道", "居住区域", "是否成交", "成交日期"]
PUDONG, XUHUI, MINHANG = "310115", "310104", "310112"


def _rows() -> list[list]:
    rows = []

    def add(day, n, district, channel, grade, deal_on=None):
        for i in range(n):
            deal = deal_on is not None and i == 0
            rows.append([f"V{len(rows) + 1:03d}", day.isoformat(), "洋房", grade, channel, district,
                         "是" if deal else "否", deal_on.isoformat() if deal else ""])

    add(W1, 2, "浦东新区", "拓客", "A")
    add(W2, 3, "浦东新区", "拓客", "A")
    add(W3, 3, "浦东新区", "拓客", "A", deal_on=dt.date(2024, 3, 20))
    add(W3 + dt.timedelta(days=6), 1, "浦东新区", "拓客", "A")  # Sunday: W3 is complete
    add(W1, 2, "徐汇区", "拓客", "C")
    add(W2 + dt.timedelta(days=1), 3, "闵行区", "自然到访", "C", deal_on=dt.date(2024, 3, 13))
    add(W3, 2, "闵行区", "自然到访", "C")
    return rows


def make_project(territory: bool = True, competitors: list[dict] | None = None, layer_id: str = "districts") -> int:
    """The module docstring's project in the app's database (TUOKE_DB_PATH); its id."""
    store = Store()
    try:
        store.migrate()
        pid = store.create_project("周复盘测试项目", "310000", dt.date(2024, 6, 3), ["洋房"])
        store.update_project(pid, min_count=2)
        if competitors:
            store.set_sites(pid, None, competitors)
        buf = io.StringIO()
        pd.DataFrame(_rows(), columns=HEADERS).to_csv(buf, index=False)
        table = read_table(buf.getvalue().encode("utf-8-sig"), "visitors.csv")
        importer.import_records(store, pid, validate(table, auto_map(table.frame.columns), secret=store.pii_secret()),
                                "visitors.csv", "0" * 64)
        if territory:
            ops = Operations(store)
            jia = ops.save_team(pid, name="甲队", kind="拓客小组", size=3)
            yi = ops.save_team(pid, name="乙队", kind="渠道团队", size=2)
            ops.save_team(pid, name="丙队", kind="中介公司")

            def area(area_id, name, grade, team, visits, high, deals):
                return {"area_id": area_id, "area_name": name, "grade": grade, "score": 1.0, "team_id": team,
                        "tactic": "社区巡展", "per_week": 2, "staff_days": 4, "target_visits": visits,
                        "target_high": high, "target_deals": deals}

            payload = {"layer_id": layer_id, "dimension": "home", "line": "", "bids": [], "note": "",
                       "areas": [area(PUDONG, "浦东新区", "A", jia, 3, 2, 1), area(XUHUI, "徐汇区", "B", yi, 2, 1, 0),
                                 area(MINHANG, "闵行区", "C", None, 0, 0, 0)]}
            set_id = ops.save_territory_set(pid, "三月片区", payload, created_by="test_admin")
            ops.approve_territory_set(set_id, "总监")
            with store.engine.begin() as conn:  # approved before the data's weeks (the app stamps "now")
                conn.execute(update(TerritorySet).where(TerritorySet.id == set_id)
                             .values(approved_at=dt.datetime(2024, 3, 1, 9), created_at=dt.datetime(2024, 2, 28, 9)))
        return pid
    finally:
        store.engine.dispose()


def open_page(page: str, pid: int, role: str = "admin") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    sign_in(at, role, project_ids=None if role == "admin" else [pid])
    at.query_params["project"] = str(pid)
    at.session_state["project_id"] = pid
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [str(i.value) for i in at.info]
                     + [s.value for s in at.success] + [w.value for w in at.warning] + [e.value for e in at.error])


def table_with(at: AppTest, *columns: str) -> pd.DataFrame:
    return read(next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns)))


def _representative_point(area_id: str) -> tuple[float, float]:
    layer = boundaries.load_layer("districts", city="310000")
    point = layer[layer["area_id"] == area_id].geometry.representative_point().iloc[0]
    return point.x, point.y


def test_weekly_table_against_the_territory_in_force(app_env, monkeypatch):
    made = _eager_downloads(monkeypatch)
    lng, lat = _representative_point(PUDONG)
    pid = make_project(competitors=[{"name": "对手<b>壹号</b>", "lng": lng, "lat": lat}])
    at = open_page("views/weekly.py", pid)
    assert at.selectbox(key="wk_week").value == W3  # the last complete week
    teams = table_with(at, "团队", "本周到访").set_index("团队")
    assert teams.index.tolist() == ["甲队", "乙队", "丙队", "未归属"]
    jia = teams.loc["甲队"]
    assert (jia["本周目标到访"], jia["本周到访"], jia["本周高意向"], jia["本周成交"]) == (3, 4, 4, 1)
    assert jia["状态"] == "达标"
    totals = table_with(at, "团队", "累计到访").set_index("团队")
    jia = totals.loc["甲队"]
    assert jia["累计周数"] == 4  # approved in the week of 2024-02-26: 02-26, W1, W2, W3
    assert (jia["累计目标到访"], jia["累计到访"], jia["累计高意向"], jia["累计成交"]) == (12, 9, 9, 1)
    assert (teams.loc["乙队", "本周到访"], teams.loc["乙队", "状态"], totals.loc["乙队", "累计到访"]) == (0, "落后", 2)
    assert teams.loc["丙队", "状态"] == "无片区"
    assert (teams.loc["未归属", "本周到访"], teams.loc["未归属", "本周成交"]) == (2, 0)  # 闵行区 in W3
    battle = table_with(at, "片区", "近2周到访")
    assert battle.values.tolist()[0][:5] == ["闵行区", "C", 5, 0, 1]
    silent = table_with(at, "连续无到访周数")
    assert silent.values.tolist() == [["徐汇区", "乙队", "B", 2, "2024-03-04"]]
    near = table_with(at, "竞品", "距离（公里）")
    assert near.values.tolist() == [["浦东新区", "甲队", 7.0, "对手<b>壹号</b>", 0.0]]
    share = table_with(at, "来源", "占比")
    assert share["到访"].tolist() == [4, 2, 0]
    assert "本周 **67%** 的到访来自已分配给团队的片区" in texts(at)
    assert made["wk_team_pdf"][:4] == b"%PDF" and made["wk_one_pdf"][:4] == b"%PDF"
    book = openpyxl.load_workbook(io.BytesIO(made["wk_workbook"]))
    assert {"团队达成", "甲队", "乙队", "新战场", "沉默片区", "竞品"} <= set(book.sheetnames)
    sheet = book["团队达成"]
    header = [c.value for c in sheet[1]]
    first = dict(zip(header, [c.value for c in sheet[2]]))
    assert (first["团队"], first["本周到访"], first["状态"]) == ("甲队", 4, "达标")


def test_an_earlier_week_and_k_withholding(app_env):
    pid = make_project()
    at = open_page("views/weekly.py", pid)
    at.selectbox(key="wk_week").set_value(W1).run()
    assert not at.exception, at.exception
    teams = table_with(at, "团队", "本周到访").set_index("团队")
    assert (teams.loc["甲队", "本周到访"], teams.loc["乙队", "本周到访"]) == (2, 2)
    assert table_with(at, "团队", "累计到访").set_index("团队").loc["甲队", "累计周数"] == 2
    assert "本周 **100%** 的到访来自已分配给团队的片区" in texts(at)
    store = Store()
    store.update_project(pid, min_count=3)
    store.engine.dispose()
    at.run()
    teams = table_with(at, "团队", "本周到访").set_index("团队")
    assert pd.isna(teams.loc["甲队", "本周到访"]) and "本周少于 3 人，不显示人数" in teams.loc["甲队", "备注"]


def test_no_territory_gives_a_clear_hint(app_env):
    pid = make_project(territory=False)
    at = open_page("views/weekly.py", pid)
    assert "还没有片区分配" in texts(at) and "团队与片区" in texts(at)
    teams = table_with(at, "团队", "本周到访")
    assert teams["团队"].tolist() == ["未归属"]  # every visitor counted, none dropped
    assert teams["本周到访"].tolist() == [6]  # W3: 浦东 4 + 闵行 2
    battle = table_with(at, "片区", "近2周到访")
    assert set(battle["片区"]) == {"浦东新区", "闵行区"}


def test_viewer_sees_the_review_but_no_downloads(app_env):
    pid = make_project()
    at = open_page("views/weekly.py", pid, role="viewer")
    assert "只读角色不能导出" in texts(at)
    assert table_with(at, "团队", "本周到访")["团队"].tolist()[0] == "甲队"


def test_a_territory_on_a_layer_this_session_does_not_have_is_said(app_env):
    pid = make_project(layer_id="custom:0123456789abcdef")  # uploaded in another browser session
    at = open_page("views/weekly.py", pid)
    assert any("这里用不了" in w.value and "上传的图层" in w.value for w in at.warning)
    assert table_with(at, "团队", "本周到访")["团队"].tolist() == ["甲队", "乙队", "丙队", "未归属"]


def test_a_week_before_the_territory_took_effect_is_said(app_env):
    pid = make_project()
    store = Store()
    with store.engine.begin() as conn:  # approved in W3 instead
        conn.execute(update(TerritorySet).where(TerritorySet.project_id == pid)
                     .values(approved_at=dt.datetime(2024, 3, 20, 9)))
    store.engine.dispose()
    at = open_page("views/weekly.py", pid)
    assert table_with(at, "团队", "累计到访").set_index("团队").loc["甲队", "累计周数"] == 1
    at.selectbox(key="wk_week").set_value(W2).run()
    assert "所选这一周早于片区方案生效的那一周（2024-03-18）" in texts(at)
    jia = table_with(at, "团队", "累计到访").set_index("团队").loc["甲队"]
    assert jia["累计周数"] == 0 and pd.isna(jia["累计到访"])
