"""AppTest of 跨项目潜客 (views/prospects.py) on the hand-built group of tests/test_prospects.py.

Every project has k = 2 and 老项目甲 has its site at the module's target (121.600, 31.200), so the
page opens on a new site there (GCJ-02 inputs, converted back), 浦东新区 chosen, 5 km:
A01 A02 A04 A05 A07 (老项目甲), B01 (老项目乙), C01 (天府) — see tests/test_prospects.py.
"""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from mapping.access import audit
from mapping.db.models import Visitor
from mapping.db.store import Store
from mapping.geo.coords import wgs84_to_gcj02
from tests.conftest import sign_in
from tests.shown_tables import read
from tests.test_pages import _eager_downloads
from tests.test_prospects import PUDONG, SITE, build_group

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 180
ALL = {"A01", "A02", "A04", "A05", "A07", "B01", "C01"}


@pytest.fixture
def group(app_database, monkeypatch):
    """The group in the app's database, without the samples; {name: id}."""
    monkeypatch.setenv("TUOKE_SAMPLE", "0")
    store = Store()
    try:
        store.migrate()
        ids = build_group(store)
        for pid in ids.values():
            store.update_project(pid, min_count=2)
        store.set_sites(ids["老项目甲"], SITE, [])
        return ids
    finally:
        store.engine.dispose()


def open_page(pid: int, role: str = "admin", project_ids=None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    sign_in(at, role, project_ids=project_ids if role != "admin" else None)
    at.query_params["project"] = str(pid)
    at.session_state["project_id"] = pid
    at.run()
    at.switch_page("views/prospects.py")
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [str(i.value) for i in at.info]
                     + [w.value for w in at.warning] + [e.value for e in at.error])


def table_with(at: AppTest, *columns: str) -> pd.DataFrame:
    return read(next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns)))


def listed(at: AppTest) -> set[str]:
    return set(table_with(at, "客户编号", "客户键")["客户编号"])


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_a_new_site_lists_the_non_buyers_near_it(group, monkeypatch):
    made = _eager_downloads(monkeypatch)
    at = open_page(group["老项目甲"])
    assert at.radio(key="px_mode").value == "new" and at.selectbox(key="px_crs").value == "GCJ02"
    x, y = wgs84_to_gcj02(*SITE)
    assert at.number_input(key="px_lng").value == pytest.approx(float(x), abs=1e-6)
    assert at.multiselect(key="px_districts").value == [PUDONG]
    assert not at.error, [e.value for e in at.error]
    assert (metric(at, "查找的项目"), metric(at, "其中未成交客户"), metric(at, "潜客")) == ("3", "9", "7")
    assert listed(at) == ALL
    people = table_with(at, "客户编号", "客户键").set_index("客户编号")
    assert people.loc["A01", "客户键"] == "ph:a0100000" and people.loc["A07", "匹配依据"] == "居住、工作"
    assert people.loc["A04", "距离（公里）"] == pytest.approx(0.49, abs=0.02)
    per = table_with(at, "来源项目", "潜客数").set_index("来源项目")
    assert per.loc["老项目甲", "潜客数"] == 5 and pd.isna(per.loc["天府", "潜客数"])  # 1 < k = 2
    shown = "\n".join(str(d.value.to_dict()) for d in at.dataframe)
    assert "138****" not in shown and "张*" not in shown
    csv = made["px_dl_csv"].decode("utf-8-sig").splitlines()
    assert len(csv) == 1 + len(ALL) and csv[0].startswith("来源项目,客户编号,客户键")
    book = openpyxl.load_workbook(io.BytesIO(made["px_dl_xlsx"]))
    assert book.sheetnames[:2] == ["说明", "潜客名单"] and book["潜客名单"].max_row == 1 + len(ALL)
    store = Store()
    exports = audit.entries(store, action="export")
    store.engine.dispose()
    assert len(exports) >= 2 and set(exports["rows"].dropna().astype(int)) == {len(ALL)}


def test_each_control(group):
    at = open_page(group["老项目甲"])
    at.multiselect(key="px_dims").set_value(["intended"]).run()
    assert listed(at) == {"A04", "C01"}
    at.multiselect(key="px_dims").set_value(["home", "work", "intended"]).run()
    at.multiselect(key="px_districts").set_value([]).run()
    assert listed(at) == {"A01", "A04", "A07", "B01", "C01"}  # 5 km only
    at.number_input(key="px_radius").set_value(0.0).run()
    assert "请选择至少一个区县" in texts(at)
    at.multiselect(key="px_districts").set_value([PUDONG, "310104"]).run()
    assert listed(at) == ALL | {"A06"}  # 徐汇 too: A06 lives there
    assert table_with(at, "客户编号", "客户键").set_index("客户编号").loc["A02", "匹配依据"] == "居住、工作"
    at.selectbox(key="px_segment").set_value("industry").run()
    assert table_with(at, "行业", "合计")["行业"].tolist()[:2] == ["金融", "互联网"]
    at.selectbox(key="px_segment").set_value("area_band").run()
    assert not at.exception and table_with(at, "面积段", "合计")["面积段"].tolist()[-1] == "未填/无法识别"
    # typing coordinates (WGS-84) far away in 徐汇: the districts follow the new target
    at.selectbox(key="px_crs").set_value("WGS84").run()
    at.number_input(key="px_lng").set_value(121.44).run()
    at.number_input(key="px_lat").set_value(31.19).run()
    assert at.multiselect(key="px_districts").value == ["310104"]
    assert "徐汇区" in texts(at)
    # a click on the map (what the map sends, as st_folium hands it over) moves the site back to 张江
    at.session_state["px_pending_point"] = SITE
    at.run()
    assert at.number_input(key="px_lng").value == pytest.approx(SITE[0], abs=1e-6)
    assert at.multiselect(key="px_districts").value == [PUDONG]
    at.number_input(key="px_lng").set_value(2.35).run()
    at.number_input(key="px_lat").set_value(48.85).run()  # Paris
    assert any("不在中国的区县范围内" in e.value for e in at.error) and not at.get("download_button")
    assert not at.exception


def test_an_existing_project_as_target(group):
    at = open_page(group["老项目甲"])
    at.radio(key="px_mode").set_value("project").run()
    assert at.selectbox(key="px_project").value == group["老项目甲"]
    assert listed(at) == {"B01", "C01"}  # its own visitors are not its prospects
    at.selectbox(key="px_project").set_value(group["老项目乙"]).run()
    assert "还没有设置项目位置" in texts(at)
    at.multiselect(key="px_districts").set_value([PUDONG]).run()
    assert listed(at) == {"A01", "A02", "A04", "A05", "A07", "C01"}


def test_a_member_searches_only_their_projects(group, monkeypatch):
    made = _eager_downloads(monkeypatch)
    mine = [group["老项目甲"], group["天府"]]
    at = open_page(group["老项目甲"], role="planner", project_ids=mine)
    assert listed(at) == ALL - {"B01"}
    assert "老项目乙" not in made["px_dl_csv"].decode("utf-8-sig")
    at.radio(key="px_mode").set_value("project").run()
    assert at.selectbox(key="px_project").options == ["老项目甲", "天府"]


def test_one_project_only_says_so_in_one_line(group):
    at = open_page(group["老项目甲"], role="channel", project_ids=[group["老项目甲"]])
    assert listed(at) == {"A01", "A02", "A04", "A05", "A07"}  # a new site: its own non-buyers
    at.radio(key="px_mode").set_value("project").run()
    assert [i.value for i in at.info] == ["你能查看的项目只有这一个，没有其他项目的客户可找：选「新地块」可在本项目的未成交客户里找，"
                                          "或请管理员把你加入集团的其他项目。"]


def test_viewer_sees_the_list_but_no_downloads(group):
    store = Store()
    with store.engine.begin() as conn:  # A06 (never a prospect) gives an intended area no resolver reads
        conn.execute(update(Visitor).where(Visitor.visitor_code == "A06").values(intended_text="不详"))
    store.engine.dispose()
    at = open_page(group["老项目甲"], role="viewer", project_ids=list(group.values()))
    assert listed(at) == ALL
    assert "另有 1 位未成交客户填的意向区域无法识别" in texts(at)
    assert not at.get("download_button") and "只读角色不能导出" in texts(at)


def test_hostile_names_stay_text(group, monkeypatch):
    made = _eager_downloads(monkeypatch)
    store = Store()
    store.update_project(group["老项目乙"], name="=HYPERLINK(\"http://x\",\"点我\")<b>乙</b>")
    store.engine.dispose()
    at = open_page(group["老项目甲"])
    assert "'=HYPERLINK" in made["px_dl_csv"].decode("utf-8-sig")
    assert not at.exception and listed(at) == ALL
    store = Store()
    store.update_project(group["老项目甲"], name="**粗体**[链接](http://x)")
    store.engine.dispose()
    at.radio(key="px_mode").set_value("project").run()
    line = next(c.value for c in at.caption if c.value.startswith("目标："))
    assert line.startswith("目标：\\*\\*粗体\\*\\*\\[链接\\]\\(http")  # literal in markdown, no link


def test_the_sample_a_new_site_near_zhangjiang_pulls_jinqiaowan_non_buyers(sample_app_database, monkeypatch):
    """The two samples (金桥湾 in 上海, 天府 in 成都): a new site near 张江 lists 金桥湾's non-buyers who live or
    work in 浦东新区 or within 3 km, checked against the stored locations; 成都 gives nobody."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    sign_in(at, "admin")
    at.run()
    at.switch_page("views/prospects.py").run()
    assert not at.exception, at.exception
    x, y = wgs84_to_gcj02(*SITE)  # typed as copied from 高德 (GCJ-02)
    at.number_input(key="px_lng").set_value(round(float(x), 6)).run()
    at.number_input(key="px_lat").set_value(round(float(y), 6)).run()
    at.number_input(key="px_radius").set_value(3.0).run()
    at.multiselect(key="px_dims").set_value(["home", "work"]).run()
    assert at.multiselect(key="px_districts").value == [PUDONG]
    store = Store()
    try:
        projects = store.projects().set_index("name")
        jqw = int(projects.loc["金桥湾示范项目（示例）", "id"])
        locations = store.locations(jqw)
        codes = store.visitors(jqw).set_index("id")["visitor_code"]
    finally:
        store.engine.dispose()
    from mapping.geo.coords import haversine_m

    near = haversine_m(locations["lng"], locations["lat"], SITE[0], SITE[1]) <= 3000
    hit = locations[~locations["deal"].astype(bool) & locations["dimension"].isin(["home", "work"])
                    & ((locations["adcode"] == PUDONG) | near)]
    expected = set(codes.loc[hit["visitor_id"].unique()])
    shown = table_with(at, "客户编号", "客户键")
    assert set(shown["来源项目"]) == {"金桥湾示范项目（示例）"}
    assert metric(at, "潜客") == f"{len(expected):,}" and len(expected) > 100
    assert set(shown["客户编号"]) <= expected and len(shown) == min(len(expected), 1000)
    per = table_with(at, "来源项目", "潜客数").set_index("来源项目")
    assert per.loc["天府示范项目（成都）", "潜客数"] == 0


def test_districts_only_without_a_site(group):
    at = open_page(group["老项目甲"])
    at.radio(key="px_mode").set_value("districts").run()
    assert at.selectbox(key="px_city").value == "310000"
    assert at.multiselect(key="px_districts").value == [PUDONG]  # kept from the new site's district
    assert at.number_input(key="px_radius").disabled
    assert listed(at) == ALL
    at.multiselect(key="px_districts").set_value(["310112"]).run()  # 闵行: A04 lives there
    assert listed(at) == {"A04"}
    at.selectbox(key="px_city").set_value("510100").run()
    assert at.multiselect(key="px_districts").value == [] and "请选择至少一个区县" in texts(at)
    at.multiselect(key="px_districts").set_value(["510104"]).run()  # 锦江区: the 成都 project's C01, C02 live there
    assert listed(at) == {"C01", "C02"}
