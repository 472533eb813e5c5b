"""Real-browser test of 费用与费效: a cost typed into the editor (24万 in 金额, 广告 chosen in 渠道) is saved,
a cost file with one bad row is uploaded (the row is named, the others imported), a warning names the
channel over the target, and the batch is undone.  Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import time

import pytest

from mapping.db.operations import Operations
from mapping.db.store import Store
from tests.test_browser import (  # noqa: F401  (browser is a fixture)
    _APP_DB,
    ARTIFACTS,
    _context,
    browser,
    running_sample_app,
    sign_in,
    wait_idle,
)

pytestmark = pytest.mark.browser

CSV = ("期间,渠道,团队,类别,金额,来电\n"
       "2024-03,广告,,广告,24万,50\n"
       "2024-03-04~2024-03-10,拓客,不存在队,物料,\"12,000\",\n"
       "2024-03,拓客,,人工,9000元,\n")


@pytest.fixture(scope="module")
def costs_app(tmp_path_factory, sample_template):
    """The app on its own copy of the sample database (its first start is tested in tests/test_browser.py):
    (url, database file)."""
    with running_sample_app(tmp_path_factory, sample_template, "costs.sqlite3") as url:
        yield url, _APP_DB[url]


def _alerts(pg) -> list[str]:
    return pg.locator("[data-testid=stAlert]").all_inner_texts()


def _type_in(pg, editor, column: int, text: str) -> None:
    """Type ``text`` into the first row's cell of ``column`` (0 = 开始日期): click the first cell, move with the
    arrow keys (the grid is a canvas), type, Enter; read back from the grid's accessible table (a cell is
    ``#glide-cell-<column + 1>-<row>``) and try again when the keys went elsewhere."""
    cell = editor.locator(f"#glide-cell-{column + 1}-0")
    for _ in range(5):
        wait_idle(pg)  # a rerun (e.g. the sample's operations landing) redraws the grid under the keys
        editor.scroll_into_view_if_needed()
        box = editor.bounding_box()
        pg.mouse.click(box["x"] + 60, box["y"] + 35 + 17)
        time.sleep(0.4)
        for _ in range(column):
            pg.keyboard.press("ArrowRight")
        pg.keyboard.press("Enter")
        time.sleep(0.4)
        pg.keyboard.type(text)
        pg.keyboard.press("Enter")
        time.sleep(0.4)
        if cell.inner_text().strip() == text:
            return
        pg.keyboard.press("Escape")
    raise AssertionError(f"could not type {text!r} into column {column}: the cell shows {cell.inner_text()!r}")


def test_costs_typed_uploaded_warned_and_undone(browser, costs_app, tmp_path):  # noqa: F811
    url, db = costs_app
    ARTIFACTS.mkdir(exist_ok=True)
    pg = _context(browser).new_page()
    sign_in(pg, url)
    pg.goto(url + "/costs")
    pg.get_by_text("费效：投入").wait_for(timeout=120_000)
    wait_idle(pg)
    ops = Operations(Store(f"sqlite:///{db}"))  # the sample's own costs may land meanwhile: count by batch

    editor = pg.locator("[data-testid=stDataFrame]:visible").last  # the 录入费用 tab is open
    _type_in(pg, editor, 6, "24万")  # 金额
    _type_in(pg, editor, 2, "广告")  # 渠道 (a choice list: typing picks it)
    pg.get_by_role("button", name="保存录入的费用").click()
    pg.get_by_text("已保存 1 笔费用").wait_for(timeout=60_000)
    wait_idle(pg)
    typed = ops.costs(1)
    typed = typed[typed["batch"].str.startswith("手工录入 ")]
    assert typed[["channel", "amount"]].values.tolist() == [["广告", 240_000.0]]

    pg.get_by_role("tab", name="导入费用表").click()
    path = tmp_path / "费用.csv"
    path.write_text(CSV, encoding="utf-8")
    pg.locator("input[type=file]").last.set_input_files(str(path))
    pg.get_by_text("1 行不能导入").wait_for(timeout=60_000)
    wait_idle(pg)
    assert any("第 3 行「团队」" in a and "不存在队" in a for a in _alerts(pg))
    pg.get_by_role("button", name="导入 2 行费用").click()
    pg.get_by_text("已导入 2 笔费用").wait_for(timeout=60_000)
    wait_idle(pg)
    assert ops.costs(1)["batch"].str.startswith("导入 费用.csv ").sum() == 2

    pg.get_by_role("spinbutton", name="目标每成交成本（元，0 表示不设）").fill("1000")
    pg.keyboard.press("Tab")
    wait_idle(pg)
    pg.get_by_role("button", name="保存目标").click()
    pg.get_by_text("已保存目标每成交成本").wait_for(timeout=60_000)
    wait_idle(pg)
    assert any("渠道「" in a and "高于目标 1,000 元" in a for a in _alerts(pg)), _alerts(pg)
    pg.screenshot(path=str(ARTIFACTS / "costs.png"), full_page=True)

    pg.get_by_role("tab", name="已录入的费用").click()
    wait_idle(pg)
    batch = ops.costs(1).query("batch.str.startswith('导入 费用.csv')")["batch"].iloc[0]
    pg.locator("[data-testid=stSelectbox]").filter(has_text="撤销一个批次").click()
    pg.keyboard.type("导入 费用.csv")  # the list filters as one types: the one import batch is left
    pg.get_by_role("option", name=batch).click()
    wait_idle(pg)
    pg.locator(".st-key-co_undo button").click(timeout=60_000)
    pg.get_by_text(f"已撤销批次「{batch}」，删除 2 笔费用").wait_for(timeout=60_000)
    wait_idle(pg)
    assert not ops.costs(1)["batch"].eq(batch).any() and ops.costs(1)["batch"].str.startswith("手工录入 ").sum() == 1
