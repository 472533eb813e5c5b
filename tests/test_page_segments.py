"""AppTest of 客群细分 (views/segments.py) on a small project whose figures are worked out by hand, and on the sample.

The project (上海, area unit 区县, k = 2, lines 公寓/洋房); every visitor lives in 浦东新区:

| visitor | work location                        | 行业     | 意向 | deal (bought) | 意向等级 | hometown | 意向面积 | 意向总价 |
|---------|--------------------------------------|----------|------|---------------|----------|----------|----------|----------|
| V01     | 金桥出口加工区's point (WGS-84)       | 制造业   | 公寓 | yes (公寓)    | A        | 320506   | 85㎡     | 300万    |
| V02     | same                                 | 制造业   | 公寓 | yes (公寓)    | A        | 320506   | 80平     | 280万    |
| V03     | same                                 | 制造业   | 公寓 | no            | A        | 320506   | 三房     |          |
| V04     | same                                 | 制造业   | 公寓 | no            | C        | 320102   | 三房     |          |
| V05     | (121.55, 31.22): 浦东, far from parks | 金融     | 洋房 | yes (洋房)    | B        | 320102   | 130      |          |
| V06     | same                                 | 金融     | 洋房 | no            | C        | 310101   |          |          |
| V07     | same                                 | 金融     | 洋房 | no            | C        |          |          |          |
| V08     | 徐汇区 (text only)                    | IT互联网 | 公寓 | no            | C        |          |          |          |
| V09     | none                                 | 金融     | 公寓 | no            | C        |          |          |          |

Hometowns and the 意向 texts are written into the database directly (the import's opt-in is tested with the
import); the rest is imported from a CSV.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from mapping import importer
from mapping.db.models import Visitor
from mapping.maps import render
from mapping.db.store import Store
from mapping.ingest.tables import auto_map, read_table, validate
from tests.conftest import sign_in
from tests.shown_tables import read
from tests.test_pages import _eager_downloads

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 240
PAGE = "views/segments.py"
HEADERS = ["客户编号", "到访日期", "意向业态", "意向等级", "到访渠道", "居住区域", "工作区域", "工作经度", "工作纬度",
           "坐标系", "行业", "是否成交", "成交日期", "成交业态"]
PARK = ("", 121.615, 31.26)
FAR = ("", 121.55, 31.22)
ROWS = [  # code, line, grade, work, industry, bought
    ("V01", "公寓", "A", PARK, "制造业", "公寓"), ("V02", "公寓", "A", PARK, "制造业", "公寓"),
    ("V03", "公寓", "A", PARK, "制造业", ""), ("V04", "公寓", "C", PARK, "制造业", ""),
    ("V05", "洋房", "B", FAR, "金融", "洋房"), ("V06", "洋房", "C", FAR, "金融", ""), ("V07", "洋房", "C", FAR, "金融", ""),
    ("V08", "公寓", "C", ("徐汇区", "", ""), "IT互联网", ""), ("V09", "公寓", "C", ("", "", ""), "金融", ""),
]
EXTRA = {  # code: (hometown, 意向面积, 意向总价)
    "V01": ("320506", "85㎡", "300万"), "V02": ("320506", "80平", "280万"), "V03": ("320506", "三房", ""),
    "V04": ("320102", "三房", ""), "V05": ("320102", "130", ""), "V06": ("310101", "", ""),
}


def make_project(hometown: bool = True) -> int:
    store = Store()
    try:
        store.migrate()
        pid = store.create_project("客群测试项目", "310000", dt.date(2024, 6, 1), ["公寓", "洋房"])
        store.update_project(pid, min_count=2, area_layer="districts")
        rows = [[code, "2024-03-01", line, grade, "拓客", "浦东新区", text, lng, lat, "WGS84" if lng else "", industry,
                 "是" if bought else "否", "2024-04-01" if bought else "", bought]
                for code, line, grade, (text, lng, lat), industry, bought in ROWS]
        buf = io.StringIO()
        pd.DataFrame(rows, columns=HEADERS).to_csv(buf, index=False)
        table = read_table(buf.getvalue().encode("utf-8-sig"), "visitors.csv")
        importer.import_records(store, pid, validate(table, auto_map(table.frame.columns), secret=store.pii_secret()),
                                "visitors.csv", "0" * 64)
        with store.engine.begin() as conn:
            for code, (home, area, price) in EXTRA.items():
                conn.execute(update(Visitor).where(Visitor.project_id == pid, Visitor.visitor_code == code).values(
                    hometown=home if hometown else "", area_want=area, price_want=price))
        return pid
    finally:
        store.engine.dispose()


def open_page(pid: int, role: str = "admin", view: str = "work") -> AppTest:
    """The page on ``view`` (work, origin or bands: one is shown at a time)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    sign_in(at, role, project_ids=None if role == "admin" else [pid])
    at.query_params["project"] = str(pid)
    at.session_state["project_id"] = pid
    at.session_state["sg_view"] = view
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [str(i.value) for i in at.info]
                     + [s.value for s in at.success] + [w.value for w in at.warning] + [e.value for e in at.error])


def table_with(at: AppTest, *columns: str) -> pd.DataFrame:
    return read(next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns)))


# ----------------------------------------------------------------------------- 工作地·行业拓客清单
def test_targeting_list_by_hand_and_its_workbook(app_env, monkeypatch):
    made = _eager_downloads(monkeypatch)
    at = open_page(make_project())
    table = table_with(at, "排名", "建议动作")
    assert table["公寓占成交"].tolist() == [1.0, 0.0]  # the project sells 公寓: its share of what each cell bought
    assert table.drop(columns=["成交率", "公寓占成交"]).to_dict("records") == [
        {"排名": 1, "类型": "园区", "地点": "金桥出口加工区", "所在区域": "浦东新区", "行业": "制造业", "到访": 4,
         "高意向": 3, "成交": 2, "成交业态": "公寓 100%", "建议动作": "企业团购 · 午间快闪 · 园区展点"},
        {"排名": 2, "类型": "区域", "地点": "浦东新区", "所在区域": "浦东新区", "行业": "金融", "到访": 3, "高意向": 1,
         "成交": 1, "成交业态": "洋房 100%", "建议动作": "观察"},
    ]
    assert "工作地平均成交率 37.5%" in texts(at)
    assert "1 个地点×行业组合到访少于 2 人，未列出" in texts(at)  # 徐汇区 × IT互联网
    areas = table_with(at, "区域", "到访行业（前三）")
    assert areas[["区域", "到访", "成交", "园区内到访", "到访行业（前三）", "成交行业（前三）"]].values.tolist() == [
        ["浦东新区", 7, 3, 4, "制造业 4人、金融 3人", "制造业 2人、金融 1人"]]
    book = openpyxl.load_workbook(io.BytesIO(made["sg_dl_xlsx"]))
    assert book.sheetnames == ["说明", "拓客清单", "区域行业"]
    sheet = book["拓客清单"]
    header = [c.value for c in sheet[1]]
    first = dict(zip(header, [c.value for c in sheet[2]]))
    assert (first["地点"], first["行业"], first["到访"], first["成交"], first["成交率"], first["公寓占成交"]) == (
        "金桥出口加工区", "制造业", 4, 2, 0.5, 1.0)
    assert sheet.max_row == 3  # the withheld cell is not exported
    assert made["sg_dl_work_html"].startswith("<!DOCTYPE html>")


def test_product_line_industry_and_unit_controls(app_env):
    at = open_page(make_project())
    at.segmented_control(key="sg_line").set_value("公寓").run()
    assert not at.exception, at.exception
    table = table_with(at, "排名", "建议动作")
    assert table[["地点", "行业", "到访", "成交", "公寓占成交"]].values.tolist() == [["金桥出口加工区", "制造业", 4, 2, 1.0]]
    assert "工作地平均成交率 40.0%" in texts(at)  # V01–V04 and V08: 2 of 5
    at.selectbox(key="sg_industry").set_value("制造业").run()
    assert not at.exception and "工作地地图：制造业" in texts(at)
    assert at.selectbox(key="sg_industry").options == ["全部行业", "IT互联网", "制造业"]  # 公寓 visitors' industries
    at.segmented_control(key="sg_line").set_value("洋房").run()  # no 制造业 among 洋房 visitors
    assert not at.exception and at.selectbox(key="sg_industry").value == "全部行业"
    at.segmented_control(key="sg_line").set_value("公寓").run()
    at.selectbox(key="sg_basemap").set_value(list(render.BASEMAPS)[-1]).run()
    assert not at.exception
    at.selectbox(key="sg_layer").set_value("districts_bankuai").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    park = table_with(at, "排名", "建议动作").iloc[0]
    assert (park["地点"], park["所在区域"]) == ("金桥出口加工区", "金桥")  # the 板块, no longer the district


# ----------------------------------------------------------------------------- 籍贯地图
def test_hometown_table_by_province_and_city(app_env, monkeypatch):
    made = _eager_downloads(monkeypatch)
    at = open_page(make_project(), view="origin")
    assert not [t for t in at.dataframe if "排名" in t.value.columns]  # one view at a time
    table = table_with(at, "籍贯", "占比")
    assert table[["代码", "籍贯", "到访", "成交"]].values.tolist() == [["320000", "江苏省", 5, 3]]
    assert "6 位客户有籍贯（共 9 位，3 位未推导或无法识别）；1 个地区到访少于 2 人，未列出、地图上不显示" in texts(at)
    book = openpyxl.load_workbook(io.BytesIO(made["sg_origin_dl"]))
    assert book.sheetnames == ["说明", "籍贯（省）"]
    at.radio(key="sg_origin_level").set_value("city").run()
    assert not at.exception, at.exception
    table = table_with(at, "籍贯", "所属省份")
    assert table[["籍贯", "所属省份", "到访", "成交"]].values.tolist() == [["苏州市", "江苏省", 3, 2],
                                                                          ["南京市", "江苏省", 2, 1]]
    at.radio(key="sg_origin_value").set_value("成交").run()
    assert not at.exception
    at.selectbox(key="sg_origin_basemap").set_value(list(render.BASEMAPS)[-1]).run()
    assert not at.exception
    assert made["sg_origin_dl_html"].startswith("<!DOCTYPE html>")
    at.segmented_control(key="sg_origin_line").set_value("洋房").run()
    assert not at.exception  # V05 (南京) and V06 (上海): 1 each < k
    assert "没有哪个地区的到访达到 2 人" in texts(at)


def test_no_hometown_says_how_to_get_it(app_env):
    at = open_page(make_project(hometown=False), view="origin")
    assert "这个项目还没有籍贯数据" in texts(at) and "勾选" in texts(at)
    assert "sg_origin_level" not in [r.key for r in at.radio]


# ----------------------------------------------------------------------------- 面积段/总价段
def test_band_distribution_unread_values_and_the_editor(app_env):
    pid = make_project()
    at = open_page(pid, view="bands")
    table = table_with(at, "段", "业态")
    rows = {(r["段"], r["业态"]): (r["到访"], r["成交"]) for r in table.to_dict("records")}
    assert rows[("90㎡以下", "公寓")] == (2, 2) and rows[("90㎡以下", "全部业态")] == (2, 2)
    assert pd.isna(rows[("120–144㎡", "洋房")][0])  # V05 alone: withheld
    assert rows[("未填/无法识别", "公寓")] == (4, 0) and rows[("未填/无法识别", "洋房")] == (2, 0)
    assert "2 位客户的意向面积无法识别，4 位未填" in texts(at)
    unread = table_with(at, "原值", "次数")
    assert unread[["原值", "次数"]].values.tolist() == [["三房", 2]]
    at.radio(key="sg_band_kind").set_value("price").run()
    rows = {(r["段"], r["业态"]): r["到访"] for r in table_with(at, "段", "业态").to_dict("records")}
    assert rows[("200–300万", "公寓")] == 2  # 300万 and 280万
    # a bad edit is refused in Chinese and nothing is saved
    at.text_input(key="sg_band_area").set_value("150, 100")
    at.button(key="sg_band_save").click().run()
    assert any("分段没有保存" in e.value and "从小到大" in e.value for e in at.error)
    assert Store().project(pid).segment_bands == ""
    at.text_input(key="sg_band_area").set_value("100, 150")
    at.text_input(key="sg_band_price").set_value("250")
    at.button(key="sg_band_save").click().run()
    assert not at.exception and "分段已保存" in texts(at)
    assert Store().project(pid).segment_bands == '{"area": "100,150", "price": "250"}'
    rows = {(r["段"], r["业态"]): r["到访"] for r in table_with(at, "段", "业态").to_dict("records")}
    assert rows[("250万以上", "公寓")] == 2  # the price view in the new bands: 300万 and 280万
    at.radio(key="sg_band_kind").set_value("area").run()
    rows = {(r["段"], r["业态"]): r["到访"] for r in table_with(at, "段", "业态").to_dict("records")}
    assert rows[("100㎡以下", "公寓")] == 2 and ("90㎡以下", "公寓") not in rows


def test_a_viewer_reads_the_bands_but_cannot_edit_or_export(app_env):
    at = open_page(make_project(), role="viewer", view="bands")
    assert "sg_band_area" not in [t.key for t in at.text_input]
    assert "面积段分段点：90, 120, 144, 180（㎡）" in texts(at)
    at.segmented_control(key="sg_view").set_value("work").run()
    assert not at.exception and table_with(at, "排名", "建议动作").shape[0] == 2
    assert not at.get("download_button") and "只读角色不能导出" in texts(at)


# ----------------------------------------------------------------------------- the sample
def test_the_sample_shows_where_apartment_buyers_work(sample_app_database):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    sign_in(at, "admin")
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    at.segmented_control(key="sg_line").set_value("公寓").run()
    table = table_with(at, "排名", "建议动作")
    top = table.head(6)
    assert set(top["所在区域"]) <= {"金桥", "外高桥", "张江", "陆家嘴"}
    assert {"金桥", "外高桥"} <= set(top["所在区域"])
    assert (top["类型"] == "园区").any()  # 外高桥保税区/港区 or 张江 parks among the first
    assert set(top["行业"]) <= {"制造业", "贸易物流", "IT互联网", "金融", "其他"}
    assert (table["成交业态"].head(6).str.startswith("公寓")).all()
    at.segmented_control(key="sg_view").set_value("origin").run()
    origins = table_with(at, "籍贯", "占比")  # the sample was imported with the hometown opt-in
    assert len(origins) >= 5 and origins["籍贯"].iloc[0] == "上海市" and (origins["到访"] >= 5).all()
    assert "所属省份" not in origins.columns
    assert "位客户有籍贯（共 5,000 位" in texts(at)
    at.segmented_control(key="sg_view").set_value("bands").run()
    unread = table_with(at, "原值", "次数")
    assert len(unread) >= 1 and (unread["次数"] > 0).all() and unread["原因"].str.len().gt(0).all()
