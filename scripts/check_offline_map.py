#!/usr/bin/env python3
"""Prove the map renders with NO outside network (exploratory; needs Chromium).

1. Writes a throwaway Streamlit app under /tmp that draws a ``make_map`` map
   (GeoJson polygon, plain + awesome markers in a MarkerCluster, HeatMap,
   Fullscreen, Draw, a colour-scale legend) with ``st_folium``, with
   ``static/`` symlinked next to it and the repo's ``.streamlit/config.toml``.
2. Starts ``streamlit run`` on a free port.
3. Opens it in headless Debian Chromium via Playwright with every request that
   is not to 127.0.0.1/localhost aborted, and checks, inside st_folium's
   component iframe, that the polygon (``path.leaflet-interactive``), the marker
   images and the legend appear and no local file failed to load.
4. Does the same for ``standalone_html`` opened from a file:// URL.

Screenshots: /tmp/offline_map.png and /tmp/offline_standalone.png.

    .venv/bin/python scripts/check_offline_map.py [--basemap none|osm|light|gaode]

Exit code 0 when every check passed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}

APP = '''
import sys
sys.path.insert(0, {root!r})
import branca
import folium
import streamlit as st
from folium import plugins
from streamlit_folium import st_folium

from mapping.maps.render import make_map
from mapping.maps.offline import use_local_assets

st.set_page_config(page_title="offline check", layout="wide")
st.write("离线地图检查")
m = make_map(center=(31.23, 121.47), zoom=11, basemap={basemap!r})
folium.GeoJson(
    {{"type": "Feature", "properties": {{"name": "测试区域"}},
     "geometry": {{"type": "Polygon", "coordinates": [[[121.40, 31.18], [121.52, 31.18],
                  [121.52, 31.28], [121.40, 31.28], [121.40, 31.18]]]}}}},
    style_function=lambda f: {{"fillColor": "#e8590c", "color": "#a33", "weight": 2}},
    tooltip="测试区域",
).add_to(m)
cluster = plugins.MarkerCluster().add_to(m)
folium.Marker([31.20, 121.45], tooltip="默认图标").add_to(cluster)
folium.Marker([31.26, 121.49], icon=folium.Icon(icon="home", prefix="fa", color="red")).add_to(m)
plugins.HeatMap([[31.22, 121.47, 1.0], [31.23, 121.48, 0.5]]).add_to(m)
plugins.Fullscreen().add_to(m)
plugins.Draw().add_to(m)
branca.colormap.LinearColormap(["#fff5eb", "#7f2704"], vmin=0, vmax=100, caption="客户数").add_to(m)
use_local_assets(m)
st_folium(m, height=520, width=900, key="offline", returned_objects=[])
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def is_local(url: str) -> bool:
    p = urlparse(url)
    if p.scheme in ("data", "blob", "about", "file", "chrome-error"):
        return True
    return p.hostname in LOCAL_HOSTS


class Net:
    """Aborts non-local requests and records what happened."""

    def __init__(self):
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.bad_status: list[str] = []
        self.console: list[str] = []

    def route(self, route):
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def attach(self, context, page):
        context.route("**/*", self.route)
        page.on("requestfailed", lambda r: is_local(r.url) and self.failed.append(r.url))
        page.on("response", lambda r: r.status >= 400 and self.bad_status.append(f"{r.status} {r.url}"))
        # network failures are tracked above (blocked tiles also log "Failed to load resource")
        page.on("console", lambda msg: msg.type == "error"
                and not msg.text.startswith("Failed to load resource")
                and self.console.append(msg.text))
        page.on("pageerror", lambda exc: self.console.append(f"pageerror: {exc}"))


def check_map_frame(frame, results: dict, prefix: str) -> None:
    """Checks inside the document that holds the Leaflet map."""
    frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=30_000)
    results[f"{prefix}: polygon path"] = frame.locator("path.leaflet-interactive").count() >= 1
    results[f"{prefix}: leaflet control/scale"] = frame.locator(".leaflet-control-scale").count() == 1
    results[f"{prefix}: draw toolbar"] = frame.locator(".leaflet-draw-toolbar").count() >= 1
    results[f"{prefix}: legend (d3 colour scale svg)"] = frame.locator("div.legend svg, svg#legend").count() >= 1
    # images: awesome-marker sprite (CSS background) + default Leaflet icon inside the cluster
    frame.locator(".awesome-marker").first.wait_for(state="attached", timeout=10_000)
    results[f"{prefix}: awesome marker"] = frame.locator(".awesome-marker").count() >= 1
    results[f"{prefix}: awesome marker sprite loaded"] = frame.evaluate(
        """async () => {
            const el = document.querySelector('.awesome-marker');
            const bg = getComputedStyle(el).backgroundImage;
            const url = (bg.match(/url\\(["']?(.*?)["']?\\)/) || [])[1];
            if (!url) return false;
            const img = new Image(); img.src = url;
            try { await img.decode(); } catch (e) { return false; }
            return img.naturalWidth > 0;
        }"""
    )
    frame.locator("img.leaflet-marker-icon").first.wait_for(state="attached", timeout=10_000)
    results[f"{prefix}: default Leaflet marker image loaded"] = frame.evaluate(
        """async () => {
            const imgs = [...document.querySelectorAll('img.leaflet-marker-icon')];
            await Promise.all(imgs.map(i => i.decode().catch(() => null)));
            return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0);
        }"""
    )
    results[f"{prefix}: fontawesome glyph font loaded"] = frame.evaluate(
        """async () => { await document.fonts.ready;
            return document.fonts.check('900 16px "Font Awesome 6 Free"'); }"""
    )


def run_streamlit_check(basemap: str, results: dict, net: Net, pw) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="tuoke_offline_"))
    (tmp / "app.py").write_text(APP.format(root=str(ROOT), basemap=basemap), encoding="utf-8")
    os.symlink(ROOT / "static", tmp / "static")
    (tmp / ".streamlit").mkdir()
    shutil.copyfile(ROOT / ".streamlit" / "config.toml", tmp / ".streamlit" / "config.toml")
    port = free_port()
    log = open(tmp / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1"],
        cwd=tmp, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{base}/_stcore/health", timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("streamlit did not start; see " + str(tmp / "streamlit.log"))
        with urllib.request.urlopen(f"{base}/app/static/vendor/leaflet/leaflet.js") as r:
            results["static serving: leaflet.js content-type is JS"] = "javascript" in r.headers["Content-Type"]

        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1100, "height": 800})
        page = context.new_page()
        net.attach(context, page)
        page.goto(base, wait_until="domcontentloaded")
        frame_el = page.wait_for_selector('iframe[title*="st_folium"]', state="attached",
                                          timeout=60_000)
        frame = frame_el.content_frame()
        results["component iframe same origin"] = urlparse(frame.url).netloc == f"127.0.0.1:{port}"
        check_map_frame(frame, results, "streamlit")
        # also through frame_locator, as a user-facing locator would
        fl = page.frame_locator('iframe[title*="st_folium"]')
        results["streamlit: frame_locator sees polygon"] = fl.locator("path.leaflet-interactive").count() >= 1
        page.wait_for_timeout(1500)
        page.screenshot(path="/tmp/offline_map.png", full_page=True)
        browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def run_standalone_check(basemap: str, results: dict, net: Net, pw) -> None:
    import branca
    import folium
    from folium import plugins

    from mapping.maps.offline import standalone_html
    from mapping.maps.render import make_map

    m = make_map(zoom=11, basemap=basemap)
    folium.GeoJson({"type": "Polygon", "coordinates": [[[121.40, 31.18], [121.52, 31.18],
                   [121.52, 31.28], [121.40, 31.28], [121.40, 31.18]]]}).add_to(m)
    cluster = plugins.MarkerCluster().add_to(m)
    folium.Marker([31.20, 121.45]).add_to(cluster)
    folium.Marker([31.26, 121.49], icon=folium.Icon(icon="home", prefix="fa", color="red")).add_to(m)
    folium.Marker([31.21, 121.40]).add_to(m)
    plugins.Draw().add_to(m)
    branca.colormap.LinearColormap(["#fff5eb", "#7f2704"], vmin=0, vmax=100, caption="客户数").add_to(m)
    path = Path("/tmp/offline_standalone.html")
    path.write_text(standalone_html(m), encoding="utf-8")
    results["standalone: size KiB"] = round(path.stat().st_size / 1024)

    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    context = browser.new_context(viewport={"width": 1000, "height": 700})
    page = context.new_page()
    net.attach(context, page)
    page.goto(path.as_uri())
    check_map_frame(page.main_frame, results, "standalone")
    page.wait_for_timeout(500)
    page.screenshot(path="/tmp/offline_standalone.png")
    browser.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--basemap", default="none")
    ap.add_argument("--skip-standalone", action="store_true")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    results: dict = {}
    nets = {"streamlit": Net(), "standalone": Net()}
    with sync_playwright() as pw:
        run_streamlit_check(args.basemap, results, nets["streamlit"], pw)
        if not args.skip_standalone:
            run_standalone_check(args.basemap, results, nets["standalone"], pw)

    from mapping.maps.render import BASEMAPS

    tile_host = urlparse((BASEMAPS[args.basemap].tiles or "").replace("{s}", "a")).hostname or ""
    tile_root = ".".join(tile_host.split(".")[-2:]) if tile_host else None
    for name, net in nets.items():
        non_tile = [u for u in net.blocked if not (tile_root and tile_root in urlparse(u).hostname)]
        results[f"{name}: blocked non-tile requests (should be none)"] = non_tile or "none"
        results[f"{name}: blocked tile requests"] = len(net.blocked) - len(non_tile)
        results[f"{name}: failed local requests"] = net.failed or "none"
        results[f"{name}: HTTP errors"] = net.bad_status or "none"
        results[f"{name}: JS errors"] = net.console or "none"

    ok = True
    for key, value in results.items():
        good = value is True or value == "none" or (isinstance(value, int) and not isinstance(value, bool))
        ok &= good
        print(f"{'OK ' if good else 'BAD'} {key}: {value}")
    print("screenshots: /tmp/offline_map.png" + ("" if args.skip_standalone else ", /tmp/offline_standalone.png"))
    print("PASSED" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
