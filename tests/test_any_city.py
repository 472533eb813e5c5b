"""Every map page and export for projects outside Shanghai: 成都, 深圳, and a 昆山 project (苏州) that lives
on Shanghai buyers and so draws a metropolitan map across the city border.

Each project gets visitors made from its own district polygons (names as text, points inside the
polygons), a launch date with visits before and after it, and deals, then every page is opened on it.
"""

import datetime as dt
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from mapping import importer
from mapping.db.store import Store
from mapping.geo import boundaries
from mapping.ingest.tables import auto_map, read_table, validate
from tests.conftest import sign_in
from tests.test_pages import _eager_downloads, _text

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120
LAUNCH = dt.date(2024, 5, 1)
HEADERS = ["客户编号", "到访日期", "意向业态", "居住区域", "工作区域", "居住经度", "居住纬度", "坐标系", "是否成交",
           "成交业态"]


def _rows(districts: pd.DataFrame, prefix: str, per_district: int, seed: int, city_text: str = "") -> list[list]:
    """Visitors of ``districts``: home as the district's name (every third as a point inside it), work in
    the next district; earlier districts get more visitors, and the first converts worst."""
    rng = np.random.default_rng(seed)
    rows = []
    names = districts["area_name"].tolist()
    points = districts.geometry.representative_point()
    for d, (name, point) in enumerate(zip(names, points)):
        for i in range(max(6, per_district - 3 * d)):
            n = len(rows)
            day = LAUNCH + dt.timedelta(days=int(rng.integers(-60, 60)))
            deal = rng.random() < (0.05 if d == 0 else 0.3)
            as_point = i % 3 == 0
            rows.append([f"{prefix}{n}", day.isoformat(), "公寓" if i % 2 else "洋房",
                         "" if as_point else city_text + name, city_text + names[(d + 1) % len(names)],
                         f"{point.x:.6f}" if as_point else "", f"{point.y:.6f}" if as_point else "",
                         "WGS84" if as_point else "", "是" if deal else "否", "公寓" if deal else ""])
    return rows


def _import(store: Store, pid: int, rows: list[list]) -> None:
    buf = io.StringIO()
    pd.DataFrame(rows, columns=HEADERS).to_csv(buf, index=False)
    table = read_table(buf.getvalue().encode("utf-8-sig"), "visitors.csv")
    result = validate(table, auto_map(table.frame.columns), secret=store.pii_secret())
    importer.import_records(store, pid, result, "visitors.csv", "0" * 64)


def _districts(city: str) -> pd.DataFrame:
    return boundaries.load_layer("districts", city=city).sort_values("area_id").reset_index(drop=True)


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    """One database with the projects (made once for the module; each test opens the app on it)."""
    db = tmp_path_factory.mktemp("cities") / "app.sqlite3"
    store = Store(f"sqlite:///{db}")
    store.migrate()
    made = {}
    for city, name in (("510100", "成都测试项目"), ("440300", "深圳测试项目")):
        pid = store.create_project(name, city, LAUNCH, ["公寓", "洋房"])
        _import(store, pid, _rows(_districts(city).head(8), city[:2], 40, int(city[:2])))
        made[city] = pid
    # 昆山 (苏州 320500): most buyers from 昆山 itself, many from Shanghai's 嘉定/青浦/松江 next door
    pid = store.create_project("昆山测试项目", "320500", LAUNCH, ["公寓", "洋房"])
    suzhou = _districts("320500")
    shanghai = _districts("310000")
    rows = _rows(suzhou[suzhou["area_id"] == "320583"], "KS", 60, 1)
    rows += _rows(shanghai[shanghai["area_id"].isin(["310114", "310118", "310117"])], "SH", 30, 2, city_text="上海")
    _import(store, pid, rows)
    made["320500"] = pid
    store.engine.dispose()
    return db, made


def _app(monkeypatch, projects, city: str, page: str) -> AppTest:
    import streamlit as st

    db, made = projects
    monkeypatch.setenv("TUOKE_DB_PATH", str(db))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("TUOKE_SAMPLE", "0")
    monkeypatch.chdir(ROOT)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    sign_in(at)
    at.query_params["project"] = str(made[city])
    at.session_state["project_id"] = made[city]
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def _table_with(at: AppTest, *columns: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


CITY_DISTRICTS = {"510100": {"锦江区", "青羊区"}, "440300": {"罗湖区", "福田区"}}


@pytest.mark.parametrize("city", ["510100", "440300"])
def test_battle_map_grades_the_districts_of_the_project_city(monkeypatch, projects, city):
    made = _eager_downloads(monkeypatch)
    at = _app(monkeypatch, projects, city, "views/battle_map.py")
    table = _table_with(at, "区域", "等级")
    assert CITY_DISTRICTS[city] <= set(table["区域"])
    assert set(table["等级"]) & {"A", "B"}
    assert not any("上海" in str(n) or "浦东" in str(n) for n in table["区域"])
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(made["bm_dl_xlsx"]))
    cells = {str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value}
    assert CITY_DISTRICTS[city] <= cells
    assert made["bm_dl_html"].lstrip().lower().startswith("<!doctype html")
    from mapping.maps import printmap

    if printmap.cjk_font_available():  # the printable A4 map of the city
        assert made["bm_dl_png"][:8] == b"\x89PNG\r\n\x1a\n" and made["bm_dl_pdf"][:5] == b"%PDF-"
    for layer in ("h3:8",):
        at.selectbox(key="bm_layer").set_value(layer).run()
        assert not at.exception and not at.error, [e.value for e in at.error]
    assert "districts_bankuai" not in at.selectbox(key="bm_layer").options  # the Pudong 板块 are Shanghai's


def test_kunshan_project_draws_the_shanghai_districts_its_buyers_come_from(monkeypatch, projects):
    made = _eager_downloads(monkeypatch)
    at = _app(monkeypatch, projects, "320500", "views/battle_map.py")
    table = _table_with(at, "区域", "等级")
    names = set(table["区域"])
    assert "昆山市" in names
    assert {"嘉定区（上海）", "青浦区（上海）"} <= names  # graded across the city border, and say whose they are
    assert not at.error
    html = made["bm_dl_html"]
    from mapping.maps.overlays import CITY_BORDER_COLOUR

    assert CITY_BORDER_COLOUR in html  # the offline map draws the city border…
    name = "嘉定区（上海）"  # …and the other city's districts by their names (raw or JSON-escaped)
    assert name in html or json.dumps(name)[1:-1] in html


@pytest.mark.parametrize("city", ["510100", "440300", "320500"])
def test_visits_deals_and_customer_map_work_for_the_city(monkeypatch, projects, city):
    at = _app(monkeypatch, projects, city, "views/visits_deals.py")
    table = _table_with(at, "区域", "象限")
    assert len(table) >= 2
    at.switch_page("views/customer_map.py").run()
    assert not at.exception, at.exception
    counts = _table_with(at, "区域", "到访")
    expected = CITY_DISTRICTS.get(city, {"昆山市", "嘉定区（上海）"})
    assert expected <= set(counts["区域"])
    assert "在本市以外" in _text(at)


@pytest.mark.parametrize("city", ["510100", "320500"])
def test_launch_compare_home_and_review_work_for_the_city(monkeypatch, projects, city):
    at = _app(monkeypatch, projects, city, "views/launch_compare.py")
    assert not at.error, [e.value for e in at.error]
    at.switch_page("views/home.py").run()
    assert not at.exception, at.exception
    assert not any("项目城市是" in w.value for w in at.warning)  # the data is where the project is
    at.switch_page("views/review.py").run()
    assert not at.exception, at.exception


def test_a_project_created_in_the_wrong_city_is_told_and_moved_in_one_click(sample_app_database):
    """Created in 上海 by mistake, with 成都 visitors: the home page says so; the button changes the city,
    every location is resolved again, and the warning goes."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    sign_in(at)
    at.run()  # creates the database (with the sample projects)
    store = Store()
    pid = store.create_project("建错城市的项目", "310000", LAUNCH, ["公寓", "洋房"])
    _import(store, pid, _rows(_districts("510100").head(6), "W", 20, 7, city_text="成都"))
    assert store.locations(pid).query("adcode != ''")["outside"].all()
    at.query_params["project"] = str(pid)
    at.session_state["project_id"] = pid
    at.run()
    assert not at.exception, at.exception
    hint = [w.value for w in at.warning if "项目城市是上海" in w.value]
    assert hint and "在成都" in hint[0]
    at.button(key=f"city_hint_{pid}").click().run()
    assert not at.exception, at.exception
    assert store.project(pid).city_adcode == "510100"
    placed = store.locations(pid).query("adcode != ''")
    assert not placed["outside"].any() and set(placed["adcode"].str[:4]) == {"5101"}
    assert not any("项目城市是" in w.value for w in at.warning)
    assert any("项目城市已改为成都" in s.value for s in at.success)


def test_the_operations_pages_work_for_the_city(monkeypatch, projects):
    """团队与片区, 费用与费效, 蓄客目标 and 周复盘 on the 成都 project: two teams based in its districts, an approved
    plan and territory set balanced between them (as the samples get theirs), a cost; every page opens and
    shows the city's areas and the teams."""
    from mapping import sample_ops as SO
    from mapping.analysis.facts import Facts
    from mapping.db.operations import Operations

    db, made = projects
    pid = made["510100"]
    store = Store(f"sqlite:///{db}")
    project = store.project(pid)
    layer = boundaries.load_layer(project.area_layer, city=project.city_adcode)
    points = _districts("510100").head(8).geometry.representative_point()
    store.set_sites(pid, (points.iloc[0].x, points.iloc[0].y), [])
    project = store.project(pid)
    facts = Facts.from_columns(store.fact_columns(pid), project.city_adcode)
    plan_id, payload = SO.approved_plan(store, project, layer, facts)
    ops = Operations(store)
    ops.save_team(pid, name="锦江拓客组", kind="拓客小组", size=4, base_lng=points.iloc[0].x, base_lat=points.iloc[0].y)
    ops.save_team(pid, name="青羊拓客组", kind="拓客小组", size=4, base_lng=points.iloc[3].x, base_lat=points.iloc[3].y)
    territory = SO._territory(ops, project, layer, facts, plan_id, payload)
    ops.approve_territory_set(territory, "test_admin")
    held = {a["team_id"] for a in ops.territory_set(territory)["payload"]["areas"] if a.get("team_id") is not None}
    assert len(held) == 2  # both teams got areas of 成都
    ops.add_costs(pid, pd.DataFrame([{"period_start": dt.date(2024, 4, 1), "period_end": dt.date(2024, 4, 30),
                                      "channel": "广告", "category": "媒体", "amount": 50000.0, "leads": 20}]),
                  batch="测试费用")
    ops.put_ops_settings(pid, {"xuke": {"公寓": {"units": 40, "ratio": 3.0}}})
    store.engine.dispose()

    at = _app(monkeypatch, projects, "510100", "views/teams.py")
    areas = at.session_state["tm_state"]["areas"]  # the territory being edited: the approved set, loaded
    assert set(areas["area_name"]) & CITY_DISTRICTS["510100"]
    assert set(areas["team_id"].dropna().astype(int)) == held
    assert "没有重复分配，A/B 级区域都已分配，每个启用的团队都有片区" in _text(at)
    at.switch_page("views/weekly.py").run()
    assert not at.exception, at.exception
    assert {"锦江拓客组", "青羊拓客组", "未归属"} <= set(_table_with(at, "团队", "本周到访")["团队"])
    at.switch_page("views/costs.py").run()
    assert not at.exception, at.exception
    assert "广告" in set(_table_with(at, "渠道", "投入(元)")["渠道"])
    at.switch_page("views/pipeline.py").run()
    assert not at.exception, at.exception
    assert "公寓" in _text(at)
