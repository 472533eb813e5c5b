"""The 拓客计划 of a run as a workbook and a printable map, on three hand-built areas.

甲 has 40 visitors (公寓), 乙 20 (别墅), 丙 3 (公寓): with a minimum sample of 5,
丙 is 样本不足 and its count must not reach the file.
"""

from __future__ import annotations

import datetime as dt
import io

import geopandas as gpd
import pandas as pd
import pytest
from openpyxl import load_workbook
from shapely.geometry import box

from mapping import schema as S
from mapping.analysis import battle as B
from mapping.analysis import grading as G
from mapping.analysis.facts import Facts, Filters
from mapping.export.plan import battle_plan_workbook, graded_lines, plan_meta, print_areas, printable_map
from mapping.maps import printmap
from mapping.project import Project

LAYER_ID = "test:three"
K = 5
NOW = dt.datetime(2026, 1, 2, 3, 4)
PROJECT = Project(7, "测试项目", S.SHANGHAI, product_lines=("公寓", "别墅"))
# (area, centre lng, lat, visitors, product line, deals)
AREAS = [("a1", "甲", 121.60, 31.20, 40, "公寓", 4), ("a2", "乙", 121.62, 31.20, 20, "别墅", 1),
         ("a3", "丙", 121.64, 31.20, 3, "公寓", 0)]


def _layer() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"area_id": [a[0] for a in AREAS], "area_name": [a[1] for a in AREAS],
                             "adcode": ["310115"] * len(AREAS)},
                            geometry=[box(x - 0.005, y - 0.005, x + 0.005, y + 0.005) for _, _, x, y, *_ in AREAS],
                            crs="EPSG:4326")


def _locations() -> pd.DataFrame:
    rows, visitor = [], 0
    for _, _, x, y, n, line, deals in AREAS:
        for i in range(n):
            visitor += 1
            rows.append({"visitor_id": visitor, "dimension": S.HOME, "adcode": "310115",
                         "lng": x + (i % 5) * 0.0005, "lat": y + (i // 5) * 0.0005, "method": "point",
                         "town_code": "", "outside": False, "product_line": line,
                         "intention": "A" if i % 4 == 0 else "C", "channel": "自然到访",
                         "visit_date": dt.date(2024, 5, 1) + dt.timedelta(days=i), "deal": i < deals,
                         "deal_date": dt.date(2024, 6, 1) if i < deals else None, "deal_product_line": ""})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def case():
    layer = _layer()
    facts = Facts.build(_locations())
    settings = B.Settings(S.HOME, G.Weights(), "manual", (30.0, 15.0, 5.0), K)
    run = B.fit_run(facts, LAYER_ID, settings, Filters(), list(PROJECT.product_lines), layer)
    return facts, run, layer


def _book(case, filters: Filters = Filters(), targets: pd.DataFrame = G.DEFAULT_TARGETS):
    facts, run, layer = case
    data = battle_plan_workbook(facts, run, layer[["area_id", "area_name"]], filters, targets, project=PROJECT,
                                layer_label="三个测试区域", layer=layer, now=NOW)
    return load_workbook(io.BytesIO(data))


def _sheet(book, title: str) -> pd.DataFrame:
    rows = list(book[title].values)
    return pd.DataFrame(rows[1:], columns=rows[0])


def _info(book) -> dict:
    return {row[0]: row[1] for row in book["说明"].values if row and row[0]}


def test_one_sheet_per_product_line_after_the_info_sheet(case):
    book = _book(case)
    assert book.sheetnames == ["说明", "全部业态", "公寓", "别墅"]
    assert _sheet(book, "全部业态")["区域"].tolist() == ["甲", "乙", "丙"]
    assert _sheet(book, "公寓")["区域"].tolist() == ["甲", "丙"]
    assert _sheet(book, "别墅")["区域"].tolist() == ["乙"]  # areas without visitors of the line are left out


def test_the_info_sheet_says_what_the_plan_was_made_from(case):
    info = _info(_book(case, Filters(product_line="别墅", intentions=("A",))))
    assert info["项目"] == "测试项目" and info["分级单元"] == "三个测试区域"
    assert info["维度"] == G.DIMENSION_LABELS[S.HOME] and info["分级方法"] == G.SCHEME_LABELS["manual"]
    assert info["最少样本数"] == "5" and info["生成时间"] == "2026-01-02 03:04"
    assert info["分级区间拟合于"] == case[1].fitted_at
    assert "意向：A" in info["筛选"]
    assert info["工作表"] == "全部业态、公寓、别墅"


def test_areas_under_k_visitors_show_no_counts(case):
    book = _book(case)
    for title in ("全部业态", "公寓"):
        header, *rows = book[title].values
        small = dict(zip(header, next(r for r in rows if r[header.index("区域")] == "丙")))
        assert small["等级"] == G.INSUFFICIENT
        for column in ("排名", "得分", "到访", "高意向(A/B)", "成交", "成交率", *G.DEFAULT_TARGETS.columns[1:]):
            assert small[column] is None, (title, column)  # an empty cell, not 0 nor 3
        assert small["重点地点"] == f"少于 {K} 人，不分级、不列人数"


def test_graded_areas_show_counts_grades_and_targets(case):
    targets = G.DEFAULT_TARGETS.assign(**{G.DEFAULT_TARGETS.columns[1]: [41, 22, 13, 4]})
    sheet = _sheet(_book(case, targets=targets), "全部业态").set_index("区域")
    assert sheet.loc["甲", "等级"] == "A" and sheet.loc["甲", "到访"] == 40 and sheet.loc["甲", "成交"] == 4
    assert sheet.loc["甲", "排名"] == 1 and sheet.loc["乙", "排名"] == 2
    assert sheet.loc["甲", targets.columns[1]] == 41
    assert sheet.loc[sheet.index[1], targets.columns[1]] == dict(zip(targets["等级"], targets.iloc[:, 1]))[
        sheet.loc[sheet.index[1], "等级"]]


def test_every_sheet_uses_the_filters_but_its_own_product_line(case):
    only_a = _book(case, Filters(product_line="别墅", intentions=("A",)))
    sheet = _sheet(only_a, "全部业态").set_index("区域")
    assert sheet.loc["甲", "到访"] == 10  # every fourth visitor is intention A
    assert _sheet(only_a, "公寓")["区域"].tolist() == ["甲", "丙"]  # not narrowed to the page's 别墅


def test_graded_lines_keys_and_counts(case):
    facts, run, layer = case
    tables = graded_lines(facts, run, layer, Filters(product_line="公寓"), PROJECT.lines_with_all(), layer)
    assert list(tables) == ["", "公寓", "别墅"]
    visits = {line: dict(zip(t["area_name"], t["visits"])) for line, t in tables.items()}
    assert visits[""] == {"甲": 40, "乙": 20, "丙": 3}
    assert visits["别墅"] == {"甲": 0, "乙": 20, "丙": 0}


def test_plan_meta_defaults_to_now(case):
    meta = plan_meta("项目", "区县", case[1], Filters())
    assert dt.datetime.strptime(meta["生成时间"], "%Y-%m-%d %H:%M") <= dt.datetime.now()
    assert meta["筛选"] == "全部业态"


def test_print_areas_join_grades_and_hatch_small_areas(case):
    facts, run, layer = case
    table = B.graded(facts, run, layer, Filters(), layer)
    areas = print_areas(layer, table).set_index("area_name")
    assert areas.loc["甲", "fill"] == G.GRADE_COLOURS["A"]
    assert bool(areas.loc["丙", "hatch"]) and not bool(areas.loc["甲", "hatch"])
    assert isinstance(areas, gpd.GeoDataFrame) and areas.crs == layer.crs


@pytest.mark.skipif(not printmap.cjk_font_available(), reason="no CJK font (scripts/system-deps)")
def test_printable_map_is_a_png_and_a_pdf(case):
    facts, run, layer = case
    table = B.graded(facts, run, layer, Filters(), layer)
    png = printable_map(layer, table, run, "", title="测试项目 · 全部业态 拓客作战地图")
    assert png.startswith(b"\x89PNG")
    pdf = printable_map(layer, table, run, "", title="测试", fmt="pdf", sites=[
        {"name": "测试项目（本项目）", "lng": 121.61, "lat": 31.21, "kind": "project"}])
    assert pdf.startswith(b"%PDF")
