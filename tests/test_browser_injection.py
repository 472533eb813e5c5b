"""Hostile names in a real browser: a project, channels, competitor sites and an uploaded layer's
area names carrying HTML/JavaScript are shown as text on the battle map, the visits/deals page
and the customer map (tooltips and popups opened), in the page and in the map iframes, and in
the battle map's offline HTML opened from disk; no dialog ever opens.

The app runs on its own SQLite file seeded through the store before it starts (the sign-in
and page helpers are those of ``tests/test_browser.py``).
"""

from __future__ import annotations

import json
import os
import time

import pytest

from tests.test_browser import (  # noqa: F401  (browser is a fixture)
    ADMIN_PASSWORD,
    CHROMIUM,
    ROOT,
    _context,
    _shot,
    _wait_for_map,
    browser,
    running_app,
    sign_in,
    wait_idle,
)

pytestmark = pytest.mark.browser

H1 = "<img src=x onerror=alert(1)>"
H2 = '"><script>alert(2)</script>'
H3 = "${alert(3)}"
H4 = "javascript:alert(4)"
HOSTILE = (H1, H2, H3, H4)
PROJECT = f"{H1}{H3}项目"
PII_KEY = "cd" * 32

# four rectangles over Pudong (WGS-84), one per hostile name
BOXES = [(121.50, 31.15, 121.60, 31.22), (121.60, 31.15, 121.70, 31.22),
         (121.50, 31.22, 121.60, 31.29), (121.60, 31.22, 121.70, 31.29)]


def _layer_geojson() -> bytes:
    features = []
    for i, ((x0, y0, x1, y1), name) in enumerate(zip(BOXES, HOSTILE)):
        ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
        features.append({"type": "Feature", "properties": {"name": f"{name}板块{i + 1}"},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()


def _visitors_csv() -> bytes:
    header = "客户编号,姓名,手机,到访日期,意向业态,到访渠道,居住经度,居住纬度,坐标系,是否成交,成交日期"
    rows = [header]
    for i in range(120):
        x0, y0, x1, y1 = BOXES[i % 4]
        lng, lat = x0 + (x1 - x0) * ((i * 7 % 10) + 0.5) / 10, y0 + (y1 - y0) * ((i * 3 % 10) + 0.5) / 10
        channel = HOSTILE[i % 4].replace('"', '""')
        deal = i % 5 == 0
        rows.append(f'V{i},客户{i},1380000{i:04d},2024-03-{i % 28 + 1:02d},公寓,"{channel}渠道",{lng:.5f},{lat:.5f},'
                    f'WGS84,{"是" if deal else "否"},{f"2024-04-{i % 28 + 1:02d}" if deal else ""}')
    return ("\n".join(rows) + "\n").encode()


def _seed(db_path) -> int:
    from mapping import importer
    from mapping.db.store import Store
    from mapping.ingest.tables import auto_map, read_table, validate

    store = Store(f"sqlite:///{db_path}")
    store.migrate()
    pid = store.create_project(PROJECT, "310000", None, ["公寓"], site=(121.60, 31.22))
    store.set_sites(pid, (121.60, 31.22), [{"name": f"{h}竞品{i}", "lng": 121.52 + 0.05 * i, "lat": 31.17 + 0.03 * i}
                                           for i, h in enumerate(HOSTILE)])
    table = read_table(_visitors_csv(), "visitors.csv")
    result = validate(table, auto_map(table.frame.columns), secret=store.pii_secret())
    assert len(result.records) == 120, result.report
    importer.import_records(store, pid, result, "visitors.csv", "0" * 64)
    store.engine.dispose()
    return pid


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium is not installed (scripts/system-deps installs it)")
    db = tmp_path_factory.mktemp("db") / "xss.sqlite3"
    mp = pytest.MonkeyPatch()
    mp.setenv("TUOKE_PII_KEY", PII_KEY)
    try:
        pid = _seed(db)
    finally:
        mp.undo()
    with running_app(db, tmp_path_factory.mktemp("log"), TUOKE_PII_KEY=PII_KEY) as url:
        yield url, pid


@pytest.fixture
def watched(browser):  # noqa: F811
    """A signed-out page whose every dialog (alert/confirm/prompt, in any frame) is recorded and
    dismissed; only local and file:// requests leave it."""
    context = _context(browser)
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
        ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "file:", "about:")) else route.abort())
    pg = context.new_page()
    pg.dialogs = []

    def on_dialog(dialog):
        pg.dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    yield pg
    context.close()


def _open_tooltips_and_popups(pg, frame, paths, limit: int = 12) -> str:
    """Hover and click up to ``limit`` areas and the site markers; the text of every tooltip and popup seen."""
    seen = []
    tips = frame.locator(".leaflet-tooltip, .leaflet-popup-content")
    for i in range(min(paths.count(), limit)):
        paths.nth(i).dispatch_event("mouseover")
        seen += tips.all_inner_texts()
        paths.nth(i).dispatch_event("mouseout")
    markers = frame.locator(".leaflet-marker-icon")
    for i in range(min(markers.count(), 8)):
        markers.nth(i).dispatch_event("mouseover")
        markers.nth(i).dispatch_event("click")
        seen += tips.all_inner_texts()
    return "\n".join(seen)


def _download(pg, label: str, target) -> None:
    """Click a deferred download button and save the file it makes: the app makes it on the click and
    the page fetches it from the server's /media/ URL (read here through the page's own request
    context, whether chromium saves it as a download or not).  A click lost in a rerun is repeated."""
    media = []
    pg.on("request", lambda r: media.append(r.url) if "/media/" in r.url else None)
    wait_idle(pg)
    button = pg.get_by_role("button", name=label)
    button.scroll_into_view_if_needed()
    for _ in range(2):
        button.click()
        deadline = time.time() + 45
        while time.time() < deadline and not media:
            pg.wait_for_timeout(250)
        if media:
            break
        wait_idle(pg)
    assert media, "the download never asked the server for its file"
    response = pg.request.get(media[-1])
    assert response.ok, response.status
    target.write_bytes(response.body())


def _text_everywhere(pg) -> str:
    parts = [pg.locator("body").inner_text()]
    for frame in pg.frames[1:]:
        try:
            parts.append(frame.locator("body").inner_text(timeout=5_000))
        except Exception:  # a frame that navigated away while read
            pass
    return "\n".join(parts)


def test_hostile_names_stay_text_and_no_dialog_opens(watched, hostile_app, tmp_path):
    url, pid = hostile_app
    pg = watched
    sign_in(pg, url)

    # battle map: upload a layer whose area names are hostile, use it, open tooltips and popups
    pg.goto(f"{url}/battle?project={pid}")
    pg.get_by_text("拓客作战地图").first.wait_for(timeout=90_000)
    _wait_for_map(pg, 4)
    wait_idle(pg)
    layer = tmp_path / "板块.geojson"
    layer.write_bytes(_layer_geojson())
    pg.get_by_text("使用自己的区域图层").first.click()
    pg.locator("input[type=file]").last.set_input_files(str(layer))
    use = pg.get_by_role("button", name="使用这个图层（4 个区域）")
    use.wait_for(timeout=60_000)
    wait_idle(pg)
    use.click()
    frame, paths = _wait_for_map(pg, 4)
    deadline = time.time() + 60
    while time.time() < deadline and "板块1" not in _text_everywhere(pg):
        time.sleep(0.5)
    wait_idle(pg)
    seen = _open_tooltips_and_popups(pg, frame, paths)
    paths.first.dispatch_event("click")  # the area detail panel, with the area's name
    wait_idle(pg)
    battle_text = _text_everywhere(pg) + "\n" + seen
    _shot(pg, "xss_battle")
    assert any(f"{h}板块" in battle_text for h in HOSTILE), battle_text[:2000]
    assert H1 in battle_text and "竞品" in battle_text

    # the offline HTML of this map, opened from disk
    offline = tmp_path / "offline.html"
    _download(pg, "离线地图（HTML）", offline)
    html = offline.read_text(encoding="utf-8")
    assert "<img src=x onerror" not in html and "<script>alert(2)" not in html

    # visits / deals and the customer map: project and channel names, area tooltips
    for path, title in (("conversion", "到访成交对比"), ("map", "客户地图")):
        pg.goto(f"{url}/{path}?project={pid}")
        pg.get_by_text(title).first.wait_for(timeout=90_000)
        frame, paths = _wait_for_map(pg, 1)
        wait_idle(pg)
        seen = _open_tooltips_and_popups(pg, frame, paths, limit=6)
        _shot(pg, f"xss_{path}")
        text = _text_everywhere(pg) + "\n" + seen
        assert H1 in text, (path, text[:2000])  # the project name, as text

    file_page = pg.context.new_page()
    file_page.on("dialog", lambda d: (pg.dialogs.append("offline: " + d.message), d.dismiss()))
    file_page.goto(offline.as_uri())
    file_page.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=30_000)
    offline_paths = file_page.locator("path.leaflet-interactive")
    seen = _open_tooltips_and_popups(file_page, file_page, offline_paths)
    time.sleep(1)
    assert any(f"{h}板块" in seen for h in HOSTILE), seen[:2000]
    assert pg.dialogs == [], pg.dialogs

    # the control: a dialog opened from inside a map's frame is heard (so the check above can fail)
    map_frame = next(f for f in pg.frames if "streamlit_folium" in f.url)
    map_frame.evaluate("() => { setTimeout(() => alert('control'), 0); }")
    deadline = time.time() + 10
    while time.time() < deadline and not pg.dialogs:
        pg.wait_for_timeout(200)
    assert pg.dialogs == ["control"], pg.dialogs
