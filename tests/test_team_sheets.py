"""The 周复盘 workbook and the A4 team sheets (mapping/export/team_sheets.py)."""

from __future__ import annotations

import datetime as dt
import doctest
import io
import re

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import box

from mapping.export import team_sheets as T
from mapping.maps import printmap

needs_font = pytest.mark.skipif(not printmap.cjk_font_available(),
                                reason="没有中文字体：安装 fonts-noto-cjk 后才能测试打印版")
EVIL = '=HYPERLINK("http://x","点我")'
WEEK = dt.date(2026, 11, 30)
# 3 × 3 squares; area i belongs to team 1 when i % 3 == 0, team 2 when i % 3 == 1, none otherwise
GRADES = "ABCDABCDA"


@pytest.fixture()
def polygons() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"area_id": [f"a{i}" for i in range(9)]},
                            geometry=[box(121.5 + 0.02 * (i % 3), 31.2 + 0.02 * (i // 3),
                                          121.52 + 0.02 * (i % 3), 31.22 + 0.02 * (i // 3)) for i in range(9)],
                            crs=4326)


@pytest.fixture()
def areas() -> list[dict]:
    return [{"area_id": f"a{i}", "area_name": f"片区{i}", "grade": GRADES[i], "score": float(20 - i),
             "team_id": {0: 1, 1: 2}.get(i % 3), "tactic": "定点派单" if i % 2 else "社区巡展", "per_week": 2,
             "staff_days": 3.5, "target_visits": 10 + i, "target_high": 3, "target_deals": 1} for i in range(9)]


@pytest.fixture()
def teams() -> pd.DataFrame:
    return pd.DataFrame({"id": [1, 2], "name": ["金桥拓客一组", EVIL], "kind": ["拓客小组", "渠道团队"],
                         "size": [6, 4], "base_area": ["a0", ""]})


ACTUALS = pd.DataFrame({"area_id": ["a0", "a3", "a3", "a1"], "team_id": [1, 1, 2, 2],
                        "visits": [5, 2, 7, 4], "high": [1, 0, 3, 2], "deals": [0, 1, 0, 0]})


def _workbook(areas, teams, **kw) -> openpyxl.Workbook:
    territory = {"name": "12月片区", "version": 2, "status": "approved", "approved_by": "admin",
                 "approved_at": dt.datetime(2026, 12, 1, 9, 30), "payload": {"areas": areas}}
    team_table = pd.DataFrame({"team": teams["name"], "target_visits": [46, 37], "visits": [7, 4]})
    data = T.weekly_workbook("金桥湾", WEEK, team_table, pd.DataFrame({"area_name": ["川沙"], "visits": [9]}),
                             pd.DataFrame(), None, territory, teams, actuals=ACTUALS,
                             now=dt.datetime(2026, 12, 7, 8, 0), **kw)
    return openpyxl.load_workbook(io.BytesIO(data))


def _rows(ws) -> list[tuple]:
    return list(ws.iter_rows(values_only=True))


def test_doctests():
    assert doctest.testmod(T).failed == 0


def test_workbook_sheets_and_info(areas, teams):
    wb = _workbook(areas, teams, meta={"分级方案": "第12周 · 第 1 版 · 已批准"})
    assert wb.sheetnames[:3] == ["说明", "团队达成", "金桥拓客一组"]
    assert wb.sheetnames[4:] == ["未分配片区", "新战场", "沉默片区", "竞品"]
    info = {r[0]: r[1] for r in _rows(wb["说明"]) if r[0]}
    assert info["项目"] == "金桥湾"
    assert info["周次"] == "2026 年第 49 周（11-30 至 12-06）"
    assert info["片区方案"] == "12月片区 · 第 2 版"
    assert info["片区方案状态"] == "已批准（admin 2026-12-01 09:30）"
    assert info["分级方案"] == "第12周 · 第 1 版 · 已批准"
    assert info["生成时间"] == "2026-12-07 08:00"
    assert _rows(wb["新战场"]) == [("片区", "本周到访"), ("川沙", 9)]
    assert _rows(wb["沉默片区"]) == [("说明",), ("本周没有此项",)]  # empty and None: said, not a blank sheet
    assert _rows(wb["竞品"]) == [("说明",), ("本周没有此项",)]


def test_team_rows_targets_and_actuals(areas, teams):
    ws = _workbook(areas, teams)["金桥拓客一组"]
    rows = _rows(ws)
    header = rows[0]
    assert header[:10] == ("片区编号", "片区", "等级", "得分", "打法", "每周次数", "每周人天", "周到访目标",
                           "周高意向目标", "周成交目标")
    got = [dict(zip(header, r)) for r in rows[1:]]
    # team 1 has a0 (A), a3 (D), a6 (C): best grade first, then 合计
    assert [r["片区"] for r in got] == ["片区0", "片区6", "片区3", "合计"]
    a3 = got[2]
    assert (a3["打法"], a3["周到访目标"], a3["本周到访"], a3["本周成交"]) == ("定点派单", 13, 2, 1)  # team 2's 7 not counted
    assert a3["到访达成率"] == pytest.approx(2 / 13)
    a6 = got[1]  # no row in the actuals: no visitor, or fewer than k (withheld): blank, never a made-up 0
    assert (a6["本周到访"], a6["到访达成率"]) == (None, None)
    total = got[-1]
    assert (total["每周人天"], total["周到访目标"], total["本周到访"], total["本周高意向"]) == (10.5, 39, 7, 1)
    assert ws.cell(row=2, column=3).fill.start_color.rgb.endswith("B30000")  # A coloured like the map


def test_unassigned_sorted_by_grade(areas, teams):
    rows = _rows(_workbook(areas, teams)["未分配片区"])
    assert [(r[1], r[2]) for r in rows[1:-1]] == [("片区8", "A"), ("片区5", "B"), ("片区2", "C")]


def test_formula_like_team_name_is_text(areas, teams):
    wb = _workbook(areas, teams)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(c.data_type == "s" for c in cells)
    assert not any(c.value.startswith("=") for c in cells)
    team_col = [r[0] for r in _rows(wb["团队达成"])]
    assert team_col == ["团队", "金桥拓客一组", "'" + EVIL]
    assert len(wb.sheetnames) == 8  # the team still has its own sheet (name made valid for Excel)


def test_no_territory_yet(teams):
    data = T.weekly_workbook("金桥湾", WEEK, pd.DataFrame(), None, None, None, None, teams)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    info = {r[0]: r[1] for r in _rows(wb["说明"]) if r[0]}
    assert info["片区方案"] == "尚无片区方案"
    assert _rows(wb["金桥拓客一组"]) == [("说明",), ("本周没有此项",)]
    assert "未分配片区" not in wb.sheetnames


def test_bad_teams_argument():
    with pytest.raises(ValueError, match="teams"):
        T.weekly_workbook("x", WEEK, pd.DataFrame(), None, None, None, None, pd.DataFrame({"名称": ["a"]}))


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


@needs_font
def test_team_pdf_one_page(areas, polygons, teams):
    pdf = T.team_sheet_pdf(teams.iloc[0], areas, polygons, project="金桥湾", plan="12月片区 · 第 2 版")
    assert pdf.startswith(b"%PDF") and _pages(pdf) == 1


@needs_font
def test_all_team_sheets_one_page_per_team(areas, polygons, teams):
    three = pd.concat([teams, pd.DataFrame({"id": [3], "name": ["小蜜蜂兼职队"], "kind": ["小蜜蜂"],
                                            "size": [10], "base_area": [""]})], ignore_index=True)
    pdf = T.all_team_sheets_pdf(three, areas, polygons, project="金桥湾", plan="草稿", actuals=ACTUALS,
                                sites=[{"name": "金桥湾", "lng": 121.53, "lat": 31.23, "kind": "project"}])
    assert _pages(pdf) == 3  # team 3 has no area: its page says so, still one page
    with pytest.raises(ValueError, match="没有团队"):
        T.all_team_sheets_pdf(teams.iloc[:0], areas, polygons)


@needs_font
def test_team_png_is_a4(areas, polygons, teams):
    from PIL import Image

    png = T.team_sheet_pdf(teams.iloc[1].to_dict(), areas, polygons, fmt="png", dpi=100)
    width, height = Image.open(io.BytesIO(png)).size
    assert height / width == pytest.approx(297 / 210, rel=0.01)
    with pytest.raises(ValueError, match="svg"):
        T.team_sheet_pdf(teams.iloc[0], areas, polygons, fmt="svg")


def test_fit_cuts_with_ellipsis():
    assert T._fit("一二三四五六七八九十", 0.5, 8) == "一二三…"  # 0.5 in at 8 pt: 4.5 CJK characters
    assert T._fit("短", 1.0, 8) == "短"


def test_map_keeps_the_neighbourhood(areas, polygons):
    frame = T.sheet_areas(areas)
    shapes = T._map_areas(polygons, frame, 1)
    mine = shapes[shapes["team_id"] == 1]
    assert set(mine["area_id"]) == {"a0", "a3", "a6"}
    assert set(mine["fill"]) == {"#b30000", "#fdcc8a", "#fc8d59"}  # A, D, C
    assert set(shapes.loc[shapes["team_id"] == 2, "fill"]) == {T.OTHER_FILL}
    assert set(shapes.loc[shapes["team_id"].isna(), "fill"]) == {T.FREE_FILL}
    assert shapes.loc[shapes["team_id"] != 1, "label"].eq("").all()
