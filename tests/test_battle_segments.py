"""AppTest of the battle map's segment controls: 「每张地图按」, the axis value, the segment filter,
exports that carry the segment, and cells under k withheld (issue 15)."""

import io
import re

import pandas as pd
import pytest
from openpyxl import load_workbook

from mapping.analysis import grading as G
from tests.test_pages import _battle, _eager_downloads, _text


@pytest.fixture(autouse=True)
def _fresh(sample_app_database):
    """Every test starts on its own SQLite file with empty Streamlit caches (as tests/test_pages.py)."""


def _table(at) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "等级" in d.value.columns and "区域" in d.value.columns)


def _fitted(at) -> str:
    return next(c.value for c in at.caption if "分级区间拟合于" in c.value).split("。")[0]


def test_axis_switch_lists_available_segments_and_draws_one_map_per_value():
    at = _battle()
    axis = at.selectbox(key="bm_axis")  # widgets are looked up again after each run
    assert axis.value == ""  # 业态 by default
    assert axis.options[0] == "业态"  # options as shown
    assert {"年龄段", "行业", "收入", "家庭结构", "置业目的", "意向等级", "到访渠道"} <= set(axis.options)
    before = _table(at)
    at.selectbox(key="bm_axis").set_value("industry").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    values = at.segmented_control(key="bm_axis_value")
    assert values.value == values.options[0] and "金融" in values.options
    assert at.segmented_control(key="bm_line").value == ""  # the product line stays, combined
    assert "按业态保存" in _text(at)  # the plan panel is only for 业态
    table = _table(at)
    shown = table["到访"].dropna().sum()
    assert 0 < shown < before["到访"].dropna().sum()  # one industry's visitors only
    at.segmented_control(key="bm_line").set_value("公寓").run()
    assert not at.exception
    assert _table(at)["到访"].dropna().sum() < shown
    at.selectbox(key="bm_axis").set_value("").run()
    assert not at.exception and "bm_axis_value" not in [s.key for s in at.segmented_control]


def test_value_switch_keeps_the_bins_of_the_series():
    at = _battle()
    at.selectbox(key="bm_axis").set_value("age_band").run()
    values = at.segmented_control(key="bm_axis_value").options
    assert values[:2] == ["25岁以下", "25-34岁"]  # age bands in their order
    fitted = _fitted(at)
    first = _table(at)
    at.segmented_control(key="bm_axis_value").set_value(values[1]).run()
    assert not at.exception
    assert _fitted(at) == fitted  # same run: the series shares its bins
    second = _table(at)
    assert not first[["区域", "到访"]].equals(second[["区域", "到访"]])
    caption = next(c.value for c in at.caption if "分级区间拟合于" in c.value)
    assert "年龄段" not in caption.split("）")[0]  # fitted over every value, not one


def test_segment_filter_narrows_the_counts():
    at = _battle()
    total = _table(at)["到访"].dropna().sum()
    at.session_state["bm_filters_open"] = True  # its widgets are drawn only while the section is open
    at.run()
    at.selectbox(key="bm_seg_key").set_value("industry").run()
    assert not at.exception
    at.multiselect(key="bm_seg_values").set_value(["金融"]).run()
    assert not at.exception and not at.error
    narrowed = _table(at)["到访"].dropna().sum()
    assert 0 < narrowed < total
    at.button(key="bm_refit_btn").click().run()
    at.run()
    assert "行业：金融" in next(c.value for c in at.caption if "分级区间拟合于" in c.value)
    # the axis is not offered as a filter at the same time
    at.selectbox(key="bm_axis").set_value("industry").run()
    assert not at.exception
    assert "行业" not in at.selectbox(key="bm_seg_key").options and "年龄段" in at.selectbox(key="bm_seg_key").options
    assert at.selectbox(key="bm_seg_key").value == ""


def test_cells_under_k_are_withheld_on_a_segment_map():
    at = _battle()
    at.selectbox(key="bm_axis").set_value("industry").run()
    values = at.segmented_control(key="bm_axis_value").options
    withheld = 0
    for value in values:
        at.segmented_control(key="bm_axis_value").set_value(value).run()
        assert not at.exception
        table = _table(at)
        small = table[table["等级"] == G.INSUFFICIENT]
        assert small[["到访", "成交", "成交率", "得分"]].isna().all().all()
        withheld += len(small)
        graded = table[table["等级"].isin(G.GRADES)]
        assert (graded["到访"] >= 5).all()
    assert withheld > 0


def test_exports_carry_the_segment_and_its_value(monkeypatch):
    made = _eager_downloads(monkeypatch)
    at = _battle()
    at.selectbox(key="bm_axis").set_value("age_band").run()
    value = at.segmented_control(key="bm_axis_value").options[1]
    at.segmented_control(key="bm_axis_value").set_value(value).run()
    assert not at.exception
    book = load_workbook(io.BytesIO(made["bm_dl_xlsx"]))
    values = at.segmented_control(key="bm_axis_value").options
    assert book.sheetnames == ["说明", *values]
    info = {r[0]: r[1] for r in book["说明"].iter_rows(values_only=True) if r and r[0]}
    assert info["每张地图按"].startswith("年龄段") and info["业态"] == "全部业态"
    sheet = book[value]
    header = [c.value for c in sheet[1]]
    assert header[0] == "年龄段" and {r[0] for r in sheet.iter_rows(min_row=2, values_only=True)} == {value}
    rows = pd.DataFrame(list(sheet.iter_rows(min_row=2, values_only=True)), columns=header)
    assert rows.loc[rows["等级"] == G.INSUFFICIENT, "到访"].isna().all()
    html = made["bm_dl_html"]
    html = html.decode() if isinstance(html, bytes) else html
    html = re.sub(r"\\u([0-9a-fA-F]{4})", lambda g: chr(int(g.group(1), 16)), html)  # JSON-escaped Chinese
    assert f"全部业态 · 年龄段 {value} 拓客作战地图" in html and "按年龄段分图" in html


def test_band_and_hometown_axes_follow_the_project_bands_and_code_table():
    at = _battle()
    at.selectbox(key="bm_axis").set_value("area_band").run()
    assert not at.exception and not at.error
    values = at.segmented_control(key="bm_axis_value").options
    assert values[0] == "90㎡以下" and values[-1] == "未填/无法识别"  # band order, unread last
    at.segmented_control(key="bm_axis_value").set_value(values[-1]).run()
    assert not at.exception
    at.selectbox(key="bm_axis").set_value("hometown_province").run()
    assert not at.exception and not at.error
    provinces = at.segmented_control(key="bm_axis_value").options
    assert all(p.endswith(("省", "市", "自治区", "特别行政区")) or "未知地区" in p for p in provinces)
    assert _table(at)["到访"].dropna().ge(5).all()  # graded cells only show counts of k or more


def test_the_project_band_setting_changes_the_series():
    from mapping.db.store import Store

    at = _battle()
    at.selectbox(key="bm_axis").set_value("area_band").run()
    store = Store()
    try:
        store.set_segment_bands(int(at.session_state["project_id"]), "100, 150", "")
    finally:
        store.engine.dispose()
    at.run()
    assert not at.exception and not at.error
    assert at.segmented_control(key="bm_axis_value").options[:3] == ["100㎡以下", "100–150㎡", "150㎡以上"]
