"""mapping.segments.work on a small hand-built project whose figures are worked out by hand.

Layer (k = 2): two boxes in 浦东, JQ 「金桥」 (121.58–121.66 E, 31.24–31.29 N) and WGQ 「外高桥」
(121.58–121.66 E, 31.31–31.37 N).  Work locations (every visitor also has a home row, which never counts):

| visitor | work location                         | industry | intended | deal (bought) | intention |
|---------|---------------------------------------|----------|----------|---------------|-----------|
| 1, 2    | 金桥出口加工区's point                 | 制造业   | 公寓     | yes (公寓)     | A         |
| 3       | same                                  | 制造业   | 公寓     | no            | A         |
| 4       | same                                  | 制造业   | 公寓     | no            | C         |
| 5       | (121.64, 31.28): in JQ, 2.4 km off    | 金融     | 公寓     | yes (洋房)     | B         |
| 6       | (121.641, 31.281)                     | 金融     | 洋房     | no            | C         |
| 7       | (121.642, 31.282)                     | 金融     | 公寓     | no            | C         |
| 8       | 50 m from 外高桥保税区's point, in WGQ  | 贸易物流 | 公寓     | no            | C         |
| 9       | none given                            | 金融     | 公寓     | no            | C         |
| 10      | 浦东新区 only (no point): on no area   | 金融     | 公寓     | no            | C         |
| 11      | (121.505, 31.245): 陆家嘴, 0.9 km from 北外滩 (虹口) across the river: no park | 金融 | 公寓 | no | C |

Placed work visitors: 1–8 (8), deals 1, 2, 5 → project average 3/8.  Cells: 金桥出口加工区 × 制造业 (4 visits,
3 high, 2 deals, 50 % ≥ 37.5 % → 园区 action), JQ × 金融 (3, 1, 1, 33 % < average, 3 < 3k → 观察),
外高桥保税区 × 贸易物流 (1 < k: withheld).  Unplaced: 10 and 11.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from maphtml import features

from mapping.analysis.facts import Facts, Filters
from mapping.segments import work as W

K = 2
PARK_JQ = (121.615, 31.26)
WORK = {
    1: PARK_JQ, 2: PARK_JQ, 3: PARK_JQ, 4: PARK_JQ, 5: (121.64, 31.28), 6: (121.641, 31.281), 7: (121.642, 31.282),
    8: (121.6055, 31.3383), 9: None, 10: "district", 11: (121.505, 31.245),
}
INDUSTRY = {1: "制造业", 2: "制造业", 3: "制造业", 4: "制造业", 5: "金融", 6: "金融", 7: "金融", 8: "贸易物流",
            9: "金融", 10: "金融", 11: "金融"}
LINE = {v: "洋房" if v == 6 else "公寓" for v in WORK}
BOUGHT = {1: "公寓", 2: "公寓", 5: "洋房"}
INTENTION = {1: "A", 2: "A", 3: "A", 4: "C", 5: "B"}
LAYER = gpd.GeoDataFrame({"area_id": ["JQ", "WGQ"], "area_name": ["金桥", "外高桥"], "adcode": ["310115"] * 2},
                         geometry=[box(121.58, 31.24, 121.66, 31.29), box(121.58, 31.31, 121.66, 31.37)], crs=4326)
NAMES = LAYER[["area_id", "area_name"]]


def _facts() -> tuple[Facts, tuple[np.ndarray, list[str]]]:
    rows = []
    for v, where in WORK.items():
        common = {"visitor_id": v, "product_line": LINE[v], "intention": INTENTION.get(v, "C"), "channel": "拓客",
                  "visit_date": dt.date(2024, 3, 1), "deal": v in BOUGHT, "town_code": "", "outside": False,
                  "deal_date": dt.date(2024, 4, 1) if v in BOUGHT else None, "deal_product_line": BOUGHT.get(v, "")}
        rows.append({**common, "dimension": "home", "adcode": "310115", "lng": 121.6, "lat": 31.25,
                     "method": "coordinates"})
        if where is None:
            rows.append({**common, "dimension": "work", "adcode": "", "lng": None, "lat": None, "method": "empty"})
        elif where == "district":
            rows.append({**common, "dimension": "work", "adcode": "310115", "lng": None, "lat": None,
                         "method": "district_name"})
        else:
            rows.append({**common, "dimension": "work", "adcode": "310115", "lng": where[0], "lat": where[1],
                         "method": "coordinates"})
    facts = Facts.build(pd.DataFrame(rows))
    vocabulary = sorted(set(INDUSTRY.values()))
    codes = np.array([vocabulary.index(INDUSTRY[v]) for v in facts.visitor], dtype=np.int32)
    return facts, (codes, vocabulary)


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    facts, industry = _facts()
    return W.work_rows(facts, "test_layer", industry, layer=LAYER)


def test_parks_of_the_city_are_the_gazetteer_parks():
    parks = W.parks("310000")
    assert {"金桥出口加工区", "外高桥保税区", "张江高科技园区", "北外滩"} <= set(parks["name"])
    assert set(parks["type"]) <= set(W.PARK_TYPES)
    assert "陆家嘴" not in set(parks["name"])  # a 板块, not a park
    assert "北京CBD" in set(W.parks("110000")["name"])  # other cities: data/gazetteer/landmarks/<city>.csv


def test_work_rows_one_per_visitor_who_gave_a_work_location(rows):
    assert len(rows) == 10  # visitor 9 gave none; home rows never count
    assert rows["park"].tolist() == ["金桥出口加工区"] * 4 + [""] * 3 + ["外高桥保税区", "", ""]
    assert rows["area_id"].tolist() == ["JQ"] * 7 + ["WGQ", "", ""]
    assert rows["deal"].tolist() == [True, True] + [False] * 2 + [True] + [False] * 5
    assert rows["bought"].tolist() == ["公寓", "公寓", "", "", "洋房", "", "", "", "", ""]
    assert rows["high"].tolist() == [True, True, True, False, True] + [False] * 5


def test_a_park_across_a_district_border_does_not_take_the_point():
    table = W.parks("310000")
    lng, lat = np.array([121.505]), np.array([31.245])
    assert table["name"][W.park_index(lng, lat, table)[0]] == "北外滩"  # the nearest within 1.5 km…
    assert W.park_index(lng, lat, table, adcode=np.array(["310115"], dtype=object)).tolist() == [-1]  # …in 虹口


def test_targeting_list_by_hand(rows):
    t = W.targeting_list(rows, NAMES, K)
    assert t.average == pytest.approx(3 / 8)
    assert t.table.columns.tolist() == W.LIST_COLUMNS
    assert t.table.drop(columns="成交率").to_dict("records") == [
        {"排名": 1, "类型": "园区", "地点": "金桥出口加工区", "所在区域": "金桥", "行业": "制造业", "到访": 4, "高意向": 3,
         "成交": 2, "成交业态": "公寓 100%", "建议动作": "企业团购 · 午间快闪 · 园区展点"},
        {"排名": 2, "类型": "区域", "地点": "金桥", "所在区域": "金桥", "行业": "金融", "到访": 3, "高意向": 1,
         "成交": 1, "成交业态": "洋房 100%", "建议动作": "观察"},
    ]
    assert t.table["成交率"].tolist() == pytest.approx([0.5, 1 / 3])
    assert (t.withheld_cells, t.withheld_visits, t.unplaced) == (1, 1, 2)
    assert t.note(K) == ("1 个地点×行业组合到访少于 2 人，未列出（合计也少于最少样本）；2 位客户填了工作地但没有落到区域单元上"
                         "（无法识别、只识别到区县或在范围外），不在清单里。")


def test_product_line_keeps_who_intended_or_bought_it_and_counts_its_deals_only():
    facts, industry = _facts()
    rows = W.work_rows(facts, "test_layer", industry, layer=LAYER, product_line="公寓")
    assert len(rows) == 9  # visitor 6 wanted 洋房 and bought nothing
    t = W.targeting_list(rows, NAMES, K)
    assert t.average == pytest.approx(2 / 7)  # 5 bought 洋房: not a 公寓 deal
    jq = t.table[t.table["地点"] == "金桥"].iloc[0]
    assert (jq["到访"], jq["成交"], jq["建议动作"]) == (2, 0, "观察")
    rows = W.work_rows(facts, "test_layer", industry, layer=LAYER, product_line="洋房")
    assert sorted(rows["deal"].tolist()) == [False, True]  # 5 (bought 洋房) and 6 (wanted it)


def test_filters_narrow_the_rows():
    facts, industry = _facts()
    rows = W.work_rows(facts, "test_layer", industry, Filters(intentions=("A", "B")), layer=LAYER)
    assert rows["high"].all() and len(rows) == 4


def test_industry_codes_must_match_the_facts():
    facts, (codes, vocabulary) = _facts()
    with pytest.raises(ValueError, match="行数"):
        W.work_rows(facts, "test_layer", (codes[:-1], vocabulary), layer=LAYER)


@pytest.mark.parametrize("kind, visits, deals, conversion, expected", [
    (W.PARK, 10, 2, 0.2, "企业团购 · 午间快闪 · 园区展点"),
    (W.AREA, 10, 2, 0.2, "企业拓客 · 团购洽谈"),
    (W.PARK, 10, 0, 0.0, "观察"),           # no deal: not a conversion cell, 10 < 3k = 15
    (W.AREA, 15, 1, 0.05, "企业拓客（人多，先提意向）"),  # below the average but dense
    (W.AREA, 8, 1, 0.1, "观察"),
])
def test_action(kind, visits, deals, conversion, expected):
    assert W.action(kind, visits, deals, conversion, average=0.1 + 1e-9 if conversion < 0.2 else 0.1, k=5) == expected


def test_area_industries_by_hand(rows):
    table = W.area_industries(rows, NAMES, K)
    assert table.to_dict("records") == [
        {"区域": "金桥", "到访": 7, "成交": 3, "成交率": pytest.approx(3 / 7), "园区内到访": 4,
         "到访行业（前三）": "制造业 4人、金融 3人", "成交行业（前三）": "制造业 2人、金融 1人"},
    ]  # 外高桥 has 1 visitor < k: not listed


def test_map_counts_and_the_map(rows):
    from mapping.maps.segmentmap import work_map

    areas, in_parks = W.map_counts(rows, NAMES, W.parks("310000"))
    assert areas[["area_id", "visits", "high_intention", "deals"]].to_numpy().tolist() == [
        ["JQ", 7, 4, 3], ["WGQ", 1, 0, 0]]
    assert in_parks[["name", "visits", "deals"]].to_numpy().tolist() == [["外高桥保税区", 1, 0], ["金桥出口加工区", 4, 2]]
    areas_fin, parks_fin = W.map_counts(rows, NAMES, W.parks("310000"), industry="金融")
    assert areas_fin["visits"].tolist() == [3, 0] and parks_fin.empty
    html = work_map(LAYER, areas, in_parks, min_count=K, title="工作地").get_root().render()
    assert "园区内到访 4 · 成交 2 · 成交率 50.0%" in html
    assert "园区内到访 1" not in html  # 外高桥保税区: fewer than k, not drawn
    props = {f["properties"]["area_id"]: f["properties"] for f in features(html) if "area_id" in f["properties"]}
    assert (props["JQ"]["visits"], props["WGQ"]["visits"]) == (7, "<2")  # 外高桥 area: its count withheld


def test_line_share():
    table = pd.DataFrame({"成交业态": ["公寓 60%、洋房 40%", "洋房 100%", ""]})
    assert W.line_share(table, "公寓").tolist() == [0.6, 0.0, 0.0]


def test_hostile_industry_names_are_text_in_the_workbook_and_escaped_on_the_map(rows):
    import io

    import openpyxl

    from mapping.maps.segmentmap import work_map

    hostile = rows.assign(industry=rows["industry"].astype(object).replace("制造业", "=HYPERLINK(\"http://x\",\"点我\")"))
    t = W.targeting_list(hostile, NAMES, K)
    book = openpyxl.load_workbook(io.BytesIO(W.targeting_workbook(
        t, W.area_industries(hostile, NAMES, K), project="测试", line="全部业态", layer="测试单元", min_count=K)))
    assert book.sheetnames == ["说明", "拓客清单", "区域行业"]
    cell = book["拓客清单"]["E2"]
    assert book["拓客清单"]["E1"].value == "行业" and cell.data_type == "s" and not str(cell.value).startswith("=")
    parks = W.parks("310000").assign(name=lambda f: f["name"].replace("金桥出口加工区", "<script>alert(1)</script>"))
    areas, in_parks = W.map_counts(hostile.assign(park=hostile["park"].astype(object).replace("金桥出口加工区",
                                                                               "<script>alert(1)</script>")),
                                   NAMES, parks)
    html = work_map(LAYER, areas, in_parks, min_count=K).get_root().render()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
