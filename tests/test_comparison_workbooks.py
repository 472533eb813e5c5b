"""The comparison workbooks (开盘前后对比, 计划对比, 到访成交对比): sheets, headers, 说明, withheld counts.

Every case is hand-built: a few areas with counts on both sides of k = 5.
"""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from mapping.analysis import conversion as C
from mapping.analysis import grading as G
from mapping.analysis import launch as L
from mapping.analysis.conversion_tables import COLUMNS
from mapping.analysis.plan_compare import compare_plans
from mapping.export import comparisons as X

K = 5
WHEN = dt.datetime(2026, 3, 2, 14, 5)
NAMES = pd.DataFrame({"area_id": ["x", "y", "z", "w"], "area_name": ["金桥", "张江", "唐镇", "川沙"]})
SIDES = L.launch_sides(dt.date(2024, 5, 1))


def _open(data: bytes):
    assert data[:2] == b"PK"  # a zip: an .xlsx file
    return load_workbook(io.BytesIO(data))


def _rows(ws) -> list[tuple]:
    return list(ws.values)


def _info(wb) -> dict:
    """The 说明 sheet's rows (项, 内容) as a dict."""
    rows = _rows(wb["说明"])
    assert rows[0][0] and rows[2][:2] == ("项", "内容")
    return {r[0]: r[1] for r in rows[3:] if r and r[0] and len(r) > 1 and r[1] is not None}


# ----------------------------------------------------------------------------- 开盘前后对比
@pytest.fixture
def comp() -> L.Comparison:
    # 唐镇 has 3 on the left (withheld), 张江 2 on the right (withheld), 川沙 nobody on the left (新战场)
    a = L.with_shares(pd.DataFrame({"area_id": ["x", "y", "z", "w"], "count": [40, 20, 3, 0]}))
    b = L.with_shares(pd.DataFrame({"area_id": ["x", "y", "z", "w"], "count": [10, 2, 12, 6]}))
    return L.compare(a, b, NAMES, K)


@pytest.fixture
def timeline() -> pd.DataFrame:
    months = [dt.date(2024, 4, 1)] * 2 + [dt.date(2024, 5, 1)] * 2
    return pd.DataFrame({"period": months, "area_id": ["x", "y"] * 2, "visits": [30, 4, 10, 6], "deals": [0, 0, 8, 2]})


def _launch(comp, timeline=None) -> bytes:
    return X.launch_workbook(comp, SIDES, project="金桥湾", mode="开盘前到访 vs 开盘后成交",
                             settings="全部业态 · 居住 · 区县", timeline=timeline,
                             names=NAMES if timeline is not None else None, generated=WHEN)


def test_launch_workbook_sheets_and_header(comp, timeline):
    wb = _open(_launch(comp))
    assert wb.sheetnames == ["说明", "区域对比", "等级迁移", "迁移矩阵", "新战场"]
    assert _rows(wb["区域对比"])[0] == (
        "区域", "蓄水期到访 人数", "蓄水期到访 占比(%)", "蓄水期到访 等级", "开盘后成交 人数", "开盘后成交 占比(%)",
        "开盘后成交 等级", "占比变化(百分点)", "新战场")
    assert _rows(wb["等级迁移"])[0] == ("区域", "蓄水期到访 等级", "开盘后成交 等级", "变化", "升降级数")
    assert [r[0] for r in _rows(wb["迁移矩阵"])] == ["蓄水期到访 等级", "A", "B", "C", "D", "未分级"]
    assert [r[0] for r in _rows(wb["新战场"])[1:]] == ["川沙"]
    with_months = _open(_launch(comp, timeline))
    assert with_months.sheetnames[-1] == "按月变化"
    assert _rows(with_months["按月变化"])[0] == ("时段", "区域", "到访", "成交")


def test_launch_workbook_info_says_how_it_was_made(comp):
    info = _info(_open(_launch(comp)))
    assert info["项目"] == "金桥湾" and info["对比方式"] == "开盘前到访 vs 开盘后成交"
    assert info["左图"] == "蓄水期到访（2024-04-30 及以前）" and info["右图"] == "开盘后成交（2024-05-01 及以后）"
    assert info["业态 · 维度 · 分级单元"] == "全部业态 · 居住 · 区县"
    assert info["分级方法"] == G.SCHEME_LABELS["fisher_jenks"]
    assert info["分级区间（占比）"].startswith("A 级 ") and "%" in info["分级区间（占比）"]
    assert info["最少样本数"] == "5" and "少于 5 人" in info["说明"]
    assert info["生成时间"] == "2026-03-02 14:05"


def test_launch_info_rows_in_order(comp):
    info = X.launch_info(comp, SIDES, project="p", mode="m", settings="s", generated=WHEN)
    assert list(info) == ["项目", "对比方式", "左图", "右图", "业态 · 维度 · 分级单元", "分级方法", "分级区间（占比）",
                          "最少样本数", "说明", "生成时间"]
    ranges = L.share_ranges(comp.bins)
    assert info["分级区间（占比）"] == "；".join(f"{g} 级 {ranges[g]}" for g in comp.bins.grades)


def test_launch_workbook_leaves_counts_under_k_blank(comp, timeline):
    wb = _open(_launch(comp, timeline))
    rows = _rows(wb["区域对比"])
    header, by_area = rows[0], {r[0]: r for r in rows[1:]}
    a_count, a_share = header.index("蓄水期到访 人数"), header.index("蓄水期到访 占比(%)")
    b_count, change = header.index("开盘后成交 人数"), header.index("占比变化(百分点)")
    assert by_area["唐镇"][a_count] is None and by_area["唐镇"][a_share] is None  # 3 < 5
    assert by_area["唐镇"][change] is None
    assert by_area["张江"][b_count] is None and by_area["张江"][change] is None  # 2 < 5
    assert by_area["金桥"][a_count] == 40 and by_area["金桥"][b_count] == 10
    assert by_area["川沙"][a_count] == 0  # nobody is not withheld
    months = {(r[0], r[1]): r[2:] for r in _rows(wb["按月变化"])[1:]}
    assert months[("2024-04", "张江")] == (None, 0)  # 4 visits withheld
    assert months[("2024-05", "张江")] == (6, None)  # 2 deals withheld
    assert months[("2024-05", "金桥")] == (10, 8)


@pytest.mark.parametrize("sides", [(), (SIDES[0],), ("蓄水期到访", "开盘后成交")])
def test_launch_workbook_wants_two_sides(comp, sides):
    with pytest.raises(TypeError, match="'sides' should be two"):
        X.launch_workbook(comp, sides, project="p", mode="m", settings="s")


# ----------------------------------------------------------------------------- 计划对比
def _snap(name: str, grades: dict[str, str], layer: str = "districts") -> dict:
    rows = [[area, NAMES.set_index("area_id").loc[area, "area_name"], g, 1.0, i + 1]
            for i, (area, g) in enumerate(grades.items())]
    return {"name": name, "layer_id": layer, "dimension": "home", "payload": {"grades": {"": rows}}}


def test_plans_workbook_sheets_header_and_info():
    plans = compare_plans(_snap("开盘前计划", {"x": "A", "y": "D", "z": "样本不足"}),
                          _snap("开盘后计划", {"x": "C", "y": "B", "w": "A"}), "")
    wb = _open(X.plans_workbook(plans, project="金桥湾", settings="全部业态 · 区县", generated=WHEN))
    assert wb.sheetnames == ["说明", "等级迁移", "迁移矩阵"]
    moves = _rows(wb["等级迁移"])
    assert moves[0] == ("区域", "开盘前计划 等级", "开盘后计划 等级", "变化", "升降级数")
    assert {r[0]: r[3] for r in moves[1:]} == {"川沙": "新进入", "张江": "升级", "金桥": "降级"}
    matrix = _rows(wb["迁移矩阵"])
    assert matrix[0] == ("开盘前计划 等级", "开盘后计划 A", "开盘后计划 B", "开盘后计划 C", "开盘后计划 D",
                         "开盘后计划 未分级")
    info = _info(wb)
    assert info == {"项目": "金桥湾", "左图": "开盘前计划", "右图": "开盘后计划", "业态 · 分级单元": "全部业态 · 区县",
                    "生成时间": "2026-03-02 14:05", "工作表": "等级迁移、迁移矩阵"}


# ----------------------------------------------------------------------------- 到访成交对比
@pytest.fixture
def reading() -> pd.DataFrame:
    counts = pd.DataFrame({"area_id": ["x", "y", "z", "w"], "area_name": ["金桥", "张江", "唐镇", "川沙"],
                           "visits": [600, 100, 40, 3], "deals": [15, 20, 8, 2]})
    mix = C.deal_mix(pd.DataFrame({"公寓": [14, 5, 4, 2], "洋房": [1, 15, 4, 0]}, index=["x", "y", "z", "w"]))
    return C.table(counts, mix, K)


def _conversion(reading) -> bytes:
    return X.conversion_workbook(reading, project="金桥湾", line="全部业态", dimension="居住", layer="区县",
                                 min_count=K, generated=WHEN)


def test_conversion_workbook_sheet_header_and_info(reading):
    wb = _open(_conversion(reading))
    assert wb.sheetnames == ["说明", "全部业态·居住"]
    assert _rows(wb["全部业态·居住"])[0] == tuple(COLUMNS.values())
    info = _info(wb)
    assert info["项目"] == "金桥湾" and info["业态"] == "全部业态" and info["维度"] == "居住"
    assert info["区域单元"] == "区县" and info["最少样本数"] == "5"
    assert info["项目平均成交率"] == f"{45 / 743:.2%}"
    assert info["生成时间"] == "2026-03-02 14:05"


def test_conversion_workbook_withholds_small_areas(reading):
    rows = _rows(_open(_conversion(reading))["全部业态·居住"])
    header, by_area = rows[0], {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    small = by_area["川沙"]  # 3 visits < 5
    assert small["象限"] == "样本不足" and small["建议"] == "少于 5 人，不作判断"
    for column in ("到访", "成交", "原始成交率", "收缩后成交率", "该业态占成交"):
        assert small[column] is None, column
    assert not small["成交最多的业态"]
    assert by_area["金桥"]["到访"] == 600 and by_area["金桥"]["成交最多的业态"] == "公寓"
    assert header.index("区域") == 0 and len(by_area) == 4


def test_conversion_info_needs_the_reading_attrs(reading):
    bare = reading.copy()
    bare.attrs.clear()
    with pytest.raises(ValueError, match="attrs\\['average'\\]"):
        X.conversion_info(bare, project="p", line="l", dimension="d", layer="u", min_count=K)
