"""Real-browser test of the segment maps (issue 15), where AppTest cannot see what Leaflet draws: the
籍贯 map of 客群细分 is drawn at its size and fitted to China (drawn in a hidden tab it once got no size
and Leaflet fitted it to the whole world), and the battle map split by 行业 draws the chosen value's map."""

from __future__ import annotations

import pytest

from tests.test_browser import browser, page, running_sample_app, wait_idle  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, sample_template):
    """The app on a copy of the sample database (its first start is tested in tests/test_browser.py)."""
    with running_sample_app(tmp_path_factory, sample_template) as url:
        yield url

FOLIUM = "iframe[title='streamlit_folium.st_folium']"
# the box around every drawn polygon, in the frame's pixels
DRAWN_JS = """(els) => {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const el of els) { const b = el.getBoundingClientRect();
    if (!b.width) continue; x0 = Math.min(x0, b.left); y0 = Math.min(y0, b.top);
    x1 = Math.max(x1, b.right); y1 = Math.max(y1, b.bottom); }
  return [x1 - x0, y1 - y0];
}"""


def _signed_in(page, app_url) -> None:  # noqa: F811
    page.goto(app_url)  # the first start seeds the sample projects
    page.get_by_role("button", name="退出登录").wait_for(timeout=120_000)


def test_the_hometown_map_is_drawn_at_its_size_over_china(page, app_url):  # noqa: F811
    _signed_in(page, app_url)
    page.goto(app_url + "/segments?project=1")
    page.get_by_text("企业拓客清单").first.wait_for(timeout=120_000)
    wait_idle(page)
    page.get_by_text("籍贯地图", exact=True).click()
    page.get_by_text("地图显示").first.wait_for(timeout=60_000)
    wait_idle(page)
    frame = page.frame_locator(FOLIUM).first
    paths = frame.locator("path.leaflet-interactive")
    paths.first.wait_for(timeout=60_000)
    assert paths.count() >= 30  # the provinces (those under k drawn blank)
    width, height = paths.evaluate_all(DRAWN_JS)
    frame_box = page.locator(FOLIUM).first.bounding_box()
    # China fills the map (fitted to the whole world it was a few dozen pixels wide)
    assert width > 0.5 * frame_box["width"] or height > 0.5 * frame_box["height"], (width, height, frame_box)
    assert page.get_by_role("cell", name="上海市", exact=True).count() or page.get_by_text("上海市").count()


def test_the_battle_map_by_industry_shows_one_value_at_a_time(page, app_url):  # noqa: F811
    _signed_in(page, app_url)
    page.goto(app_url + "/battle?project=1")
    page.get_by_text("业态（每个业态一张作战地图）").wait_for(timeout=120_000)
    wait_idle(page)
    page.get_by_role("combobox", name="每张地图按").click()
    page.get_by_role("option", name="行业").click()
    page.get_by_text("行业（每个行业一张作战地图）").wait_for(timeout=60_000)
    wait_idle(page)
    frame = page.frame_locator(FOLIUM).first
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=60_000)
    legend = frame.get_by_text("行业", exact=False).first
    legend.wait_for(timeout=30_000)
    first_title = frame.locator("text=拓客作战地图").first.inner_text()
    page.locator("[data-testid=stButtonGroup]").get_by_text("制造业", exact=True).first.click()
    wait_idle(page)
    frame = page.frame_locator(FOLIUM).first
    frame.get_by_text("制造业").first.wait_for(timeout=60_000)  # the title names the value shown
    assert frame.locator("text=拓客作战地图").first.inner_text() != first_title
