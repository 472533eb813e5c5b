"""Real-browser test of 团队与片区 (AppTest cannot drive st_folium): a click on an unassigned area of the
territory map gives it to the chosen team, and the territory saved afterwards has it."""

from __future__ import annotations

import pytest

from mapping import sample_ops
from mapping.analysis.facts import Facts
from mapping.db.operations import Operations
from mapping.db.store import Store
from mapping.geo import boundaries
from tests.test_browser import _APP_DB, browser, page, running_sample_app, wait_idle  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, sample_template):
    """The app on a copy of the sample database (its first start is tested in tests/test_browser.py)."""
    with running_sample_app(tmp_path_factory, sample_template) as url:
        yield url

# a point inside an SVG path, in the coordinates of its frame's viewport
INSIDE_JS = """(el) => {
  const b = el.getBBox(), p = el.ownerSVGElement.createSVGPoint(), m = el.getScreenCTM();
  for (let i = 1; i < 24; i++) for (let j = 1; j < 24; j++) {
    p.x = b.x + b.width * i / 24; p.y = b.y + b.height * j / 24;
    if (el.isPointInFill(p)) { const q = p.matrixTransform(m); return [q.x, q.y]; }
  }
  return null;
}"""


def _app_store(url: str) -> Store:
    return Store(f"sqlite:///{_APP_DB[url]}")


def _plan_and_team(store: Store) -> int:
    """An approved plan and an active area team on the sample project (made here when the sample has
    none); the id of the first active team (what the page offers first)."""
    project = store.project(1)
    facts = Facts.from_columns(store.fact_columns(1), project.city_adcode)
    sample_ops.approved_plan(store, project, boundaries.load_layer(project.area_layer, city=project.city_adcode), facts)
    ops = Operations(store)
    if ops.teams(1, active_only=True).empty:
        ops.save_team(1, name="浏览器测试队", kind="拓客小组", size=3)
    return int(ops.teams(1, active_only=True)["id"].iloc[0])


def _assigned(areas: list[dict]) -> set[str]:
    return {a["area_id"] for a in areas if a.get("team_id") is not None}


def test_a_click_on_the_map_assigns_an_area_and_the_saved_set_has_it(page, app_url):  # noqa: F811
    page.goto(app_url)  # the first start seeds the sample project
    page.get_by_role("button", name="退出登录").wait_for(timeout=120_000)
    store = _app_store(app_url)
    try:
        team = _plan_and_team(store)
        page.goto(app_url + "/teams")
        page.get_by_text("片区分配").first.wait_for(timeout=120_000)
        wait_idle(page)
        frame = page.frame_locator("iframe[title='streamlit_folium.st_folium']").first
        white = frame.locator("path.leaflet-interactive[fill='#ffffff']")
        white.first.wait_for(timeout=60_000)
        before = white.count()
        assert before > 0  # the plan has areas no team works yet
        iframe = page.locator("iframe[title='streamlit_folium.st_folium']").first
        iframe.scroll_into_view_if_needed()
        x, y = white.first.evaluate(INSIDE_JS)  # a point inside the polygon (its box centre may be outside)
        box = iframe.bounding_box()
        page.mouse.click(box["x"] + x, box["y"] + y)  # the first team is the one offered
        page.get_by_text("分配方式：手动").first.wait_for(timeout=60_000)
        wait_idle(page)
        frame = page.frame_locator("iframe[title='streamlit_folium.st_folium']").first
        frame.locator("path.leaflet-interactive").first.wait_for(timeout=60_000)
        assert frame.locator("path.leaflet-interactive[fill='#ffffff']").count() == before - 1

        page.get_by_label("片区方案名称").fill("浏览器片区")
        page.get_by_role("button", name="保存片区方案").click()
        page.get_by_text("已保存片区方案「浏览器片区 · 第 1 版」").wait_for(timeout=60_000)
        ops = Operations(store)
        sets = ops.territory_sets(1)
        saved = ops.territory_set(int(sets.loc[sets["name"] == "浏览器片区", "id"].iloc[0]))
        assert saved["status"] == "draft" and saved["method"] == "manual"
        in_force = ops.approved_territory_set(1)
        earlier = _assigned(in_force["payload"]["areas"]) if in_force else set()
        now = _assigned(saved["payload"]["areas"])
        new = now - earlier
        assert len(new) == 1
        assert next(a for a in saved["payload"]["areas"] if a["area_id"] in new)["team_id"] == team
    finally:
        store.engine.dispose()


def test_the_weekly_review_exports_the_workbook_and_the_team_sheets(page, app_url):  # noqa: F811
    """周复盘 in the browser: the Excel workbook (团队达成 and one sheet per team) and the A4 作战单 PDF
    (one page per team) download, made on click."""
    import io
    import re

    import openpyxl

    page.goto(app_url)
    page.get_by_role("button", name="退出登录").wait_for(timeout=120_000)
    store = _app_store(app_url)
    try:
        ops = Operations(store)
        territory = ops.territory_in_force(1)
        assert territory is not None  # the sample (or the test above) has one
        held = {a["team_id"] for a in territory["payload"]["areas"] if a.get("team_id") is not None}
        names = ops.teams(1).set_index("id")["name"]
        page.goto(app_url + "/weekly")
        page.get_by_text("团队达成").first.wait_for(timeout=120_000)
        wait_idle(page)
        button = page.get_by_role("button", name="下载周复盘（Excel）")
        button.scroll_into_view_if_needed()
        with page.expect_download(timeout=120_000) as got:
            button.click()
        book = openpyxl.load_workbook(io.BytesIO(open(got.value.path(), "rb").read()))
        assert got.value.suggested_filename.endswith(".xlsx")
        assert {"说明", "团队达成"} <= set(book.sheetnames)
        assert {str(names[t])[:31] for t in held} <= {s[:31] for s in book.sheetnames}
        team_rows = [r[0] for r in book["团队达成"].iter_rows(min_row=2, values_only=True)]
        assert {str(names[t]) for t in held} <= set(team_rows)

        wait_idle(page)  # before every click (wait_idle): a click during the rerun after the first download was lost
        button = page.get_by_role("button", name="下载各团队 A4 作战单（PDF，每队一页）")
        with page.expect_download(timeout=120_000) as got:
            button.click()
        pdf = open(got.value.path(), "rb").read()
        assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) >= len(held) > 0
    finally:
        store.engine.dispose()
