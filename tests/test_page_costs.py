"""费用与费效 page (AppTest): typing a cost, uploading a file with one bad row (the error names the row,
the other rows are saved), undoing a batch, a warning naming the channel over the target cost per deal,
and a viewer who can read but not change anything."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from mapping.analysis.facts import PERIODS
from mapping.db.operations import Operations
from mapping.db.store import Store
from tests.conftest import sign_in
from tests.test_pages import _eager_downloads

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 180
PAGE = "views/costs.py"


@pytest.fixture(autouse=True)
def _fresh(sample_app_database):
    """Each test on its own SQLite file with empty Streamlit caches."""


def _page(role: str = "admin", username: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    sign_in(at)  # an admin first: the first run loads the sample project
    at.run()
    if role != "admin":
        sign_in(at, role, username=username or f"u_{role}", project_ids=[1])
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


def _ops() -> tuple[Store, Operations]:
    store = Store()
    return store, Operations(store)


def _texts(at: AppTest, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def test_typing_a_cost_saves_it_as_one_batch(monkeypatch):
    at = _page()
    typed = pd.DataFrame({"开始日期": [dt.date(2024, 3, 1)], "结束日期": [dt.date(2024, 3, 31)], "渠道": ["广告"],
                          "团队": [""], "区域": [""], "类别": ["投放"], "金额": ["24万"],
                          "来电/留资": pd.array([50], dtype="Int64"), "备注": ["朋友圈定投"]})
    original = st.data_editor

    def edited(data, *args, **kwargs):  # AppTest cannot type into a data_editor: the user's rows come back here
        result = original(data, *args, **kwargs)
        return typed.copy() if str(kwargs.get("key", "")).startswith("co_entry_") else result

    monkeypatch.setattr(st, "data_editor", edited)
    store, ops = _ops()
    before = len(ops.costs(1))  # the sample project may come with costs of its own
    at.button(key="co_entry_save").click().run()
    assert not at.exception, at.exception
    assert any("已保存 1 笔费用" in s for s in _texts(at, "success")), _texts(at, "error")
    costs = ops.costs(1)
    typed_in = costs[costs["batch"].str.startswith("手工录入 ")]
    assert len(costs) == before + 1 and len(typed_in) == 1
    assert typed_in[["channel", "category", "amount", "leads"]].values.tolist() == [["广告", "媒体", 240_000.0, 50]]
    assert typed_in["created_by"].iloc[0] != ""

    typed.loc[0, "金额"] = "一万"  # refused with the row and what to do; nothing saved
    at.button(key="co_entry_save").click().run()
    assert any("第 1 行「金额」" in e and "汉字数字" in e for e in _texts(at, "error"))
    assert len(ops.costs(1)) == before + 1


CSV = ("期间,渠道,团队,类别,金额,来电\n"
       "2024-03,广告,,广告,24万,50\n"
       "2024-03-04~2024-03-10,拓客,不存在队,物料,\"12,000\",\n"
       "2024-03,拓客,,人工,9000元,\n")


def _upload(at: AppTest) -> None:
    at.file_uploader(key="co_upload").set_value(("费用.csv", CSV.encode("utf-8"), "text/csv")).run()
    assert not at.exception, at.exception


def test_an_upload_with_one_bad_row_saves_the_others_and_a_batch_can_be_undone():
    at = _page()
    store, ops = _ops()
    before = len(ops.costs(1))  # the sample project may come with costs of its own
    _upload(at)
    errors = _texts(at, "error")
    assert any("1 行不能导入" in e and "第 3 行「团队」" in e and "不存在队" in e for e in errors), errors
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["可导入"] == "2 行" and metrics["已拒绝"] == "1 行"
    at.button(key="co_import").click().run()
    assert not at.exception, at.exception
    assert any("已导入 2 笔费用" in s and "1 行被拒绝" in s for s in _texts(at, "success"))
    costs = ops.costs(1)
    imported = costs[costs["batch"].str.startswith("导入 费用.csv ")]
    assert len(costs) == before + 2 and sorted(imported["amount"].tolist()) == [9_000.0, 240_000.0]
    batch = imported["batch"].iloc[0]
    assert imported["batch"].nunique() == 1
    assert "co_import" not in [b.key for b in at.button]  # the same file is not imported twice

    at.selectbox(key="co_undo_pick").set_value(batch)
    at.button(key="co_undo").click().run()
    assert not at.exception, at.exception
    assert any(f"已撤销批次「{batch}」，删除 2 笔费用" in s for s in _texts(at, "success"))
    assert len(ops.costs(1)) == before and not ops.costs(1)["batch"].eq(batch).any()


def test_a_channel_over_the_target_cost_per_deal_is_warned_by_name():
    at = _page()
    store, ops = _ops()
    ops.add_costs(1, pd.DataFrame({"period_start": [dt.date(2000, 1, 1)], "period_end": [dt.date(2100, 12, 31)],
                                   "channel": ["拓客"], "team_id": [None], "area_id": [""], "category": ["媒体"],
                                   "amount": [1e9], "leads": [None], "note": [""]}), batch="测试")
    ops.put_ops_settings(1, {**ops.ops_settings(1), "target_cost_per_deal": 50_000.0})
    at.run()
    assert not at.exception, at.exception
    warnings = _texts(at, "warning")
    assert any(w.startswith("渠道「拓客」：每成交成本 ") and "高于目标 50,000 元" in w for w in warnings), warnings
    table = next(d.value for d in at.dataframe if {"渠道", "预警"} <= set(d.value.columns))
    row = table[table["渠道"] == "拓客"].iloc[0]
    assert row["投入(元)"] >= 1e9 and row["预警"].startswith("每成交成本")  # with the sample's own 拓客 costs
    assert at.number_input(key="co_target").value == 50_000.0

    at.number_input(key="co_target").set_value(0.0)  # no target: no warning
    at.button(key="co_target_save").click().run()
    assert not at.exception, at.exception
    assert ops.ops_settings(1)["target_cost_per_deal"] is None
    assert not any("高于目标" in w for w in _texts(at, "warning"))
    at.number_input(key="co_target").set_value(2e9)  # above every channel's cost per deal
    at.button(key="co_target_save").click().run()
    assert ops.ops_settings(1)["target_cost_per_deal"] == 2e9 and not _texts(at, "warning")


def test_a_viewer_reads_but_cannot_enter_import_undo_or_export():
    _page()  # the sample project exists from here on
    store, ops = _ops()
    ops.add_costs(1, pd.DataFrame({"period_start": [dt.date(2024, 3, 1)], "period_end": [dt.date(2024, 3, 31)],
                                   "channel": ["拓客"], "team_id": [None], "area_id": [""], "category": ["媒体"],
                                   "amount": [10_000.0], "leads": [None], "note": [""]}), batch="测试批次")
    at = _page("viewer", "li_viewer")
    keys = [b.key for b in at.button]
    assert not {"co_entry_save", "co_import", "co_undo", "co_target_save"} & set(keys)
    assert not at.file_uploader and "co_target" not in [n.key for n in at.number_input]
    assert any("只读" in i for i in _texts(at, "info"))
    assert "只读角色不能导出" in "\n".join(c.value for c in at.caption)
    assert any("测试批次" in str(d.value.to_dict()) for d in at.dataframe)  # the costs are shown


def test_every_period_unit_and_dimension_renders_and_the_export_is_formula_safe(monkeypatch):
    import io

    from openpyxl import load_workbook

    made = _eager_downloads(monkeypatch)
    at = _page()
    store, ops = _ops()
    ops.add_costs(1, pd.DataFrame({"period_start": [dt.date(2024, 3, 1)], "period_end": [dt.date(2024, 3, 31)],
                                   "channel": ['=HYPERLINK("http://x","点我")'], "team_id": [None], "area_id": [""],
                                   "category": ["媒体"], "amount": [5_000.0], "leads": [None], "note": [""]}),
                  batch="公式")
    at.run()
    for period in PERIODS:
        at.selectbox(key="co_period").set_value(period).run()
        assert not at.exception, (period, at.exception)
    for layer in ("districts", at.session_state["co_layer"]):
        at.selectbox(key="co_layer").set_value(layer).run()
        assert not at.exception, (layer, at.exception)
    for dimension in ("work", "leisure", "home"):
        at.selectbox(key="co_dimension").set_value(dimension).run()
        assert not at.exception, (dimension, at.exception)
    at.toggle(key="co_estimate").set_value(False).run()
    assert not at.exception, at.exception
    at.selectbox(key="co_period").set_value("all").run()
    book = load_workbook(io.BytesIO(made["co_dl_xlsx"]))
    assert book.sheetnames == ["说明", "按渠道", "按团队", "按区域"]
    channels = [row[0] for row in book["按渠道"].iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(\"http://x\",\"点我\")" in channels and not any(str(c).startswith("=") for c in channels)
    assert _template_reads_back(made["co_template"])


def _template_reads_back(data: bytes) -> bool:
    """The template the page offers reads back as costs without a refused row."""
    from mapping.ops import costs as C

    store, ops = _ops()
    return C.read_costs(data, C.TEMPLATE_NAME, ops.teams(1)).rejected.empty
