"""mapping.maps.offline: maps must load no JS/CSS from the internet (fast, no browser)."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings

import branca
import folium
import pandas as pd
import pytest
from folium import plugins
from folium.elements import JSCSSMixin

from mapping.maps.offline import (
    CDN_MAP,
    DEFAULT_BASE_URL,
    VENDOR_DIR,
    ExternalAssetError,
    find_external_assets,
    local_asset_url,
    standalone_html,
    use_local_assets,
    vendor_file,
)
from mapping.maps.render import make_map

POLY = {
    "type": "FeatureCollection",
    "features": [{
        "type": "Feature", "id": "a", "properties": {"name": "测试"},
        "geometry": {"type": "Polygon", "coordinates": [[[121.40, 31.18], [121.52, 31.18],
                     [121.52, 31.28], [121.40, 31.28], [121.40, 31.18]]]},
    }],
}
TAG_URL = re.compile(r"<(?:script|link)\b[^>]*?\b(?:src|href)\s*=\s*[\"']([^\"']+)", re.I)


def full_map(basemap: str = "osm") -> folium.Map:
    m = make_map(basemap=basemap)
    folium.GeoJson(POLY, tooltip="区域").add_to(m)
    cluster = plugins.MarkerCluster().add_to(m)
    folium.Marker([31.2, 121.45]).add_to(cluster)
    folium.Marker([31.21, 121.46], icon=folium.Icon(icon="home", prefix="fa")).add_to(cluster)
    folium.Marker([31.22, 121.47], icon=folium.Icon()).add_to(m)  # glyphicon
    plugins.HeatMap([[31.2, 121.45, 1.0]]).add_to(m)
    plugins.Fullscreen().add_to(m)
    plugins.Draw().add_to(m)
    folium.Choropleth(POLY, data=pd.DataFrame({"k": ["a"], "v": [3]}), columns=["k", "v"],
                      key_on="feature.id").add_to(m)
    branca.colormap.LinearColormap(["#ffffff", "#ff0000"], vmin=0, vmax=9, caption="客户数").add_to(m)
    return use_local_assets(m)


def tag_urls(html: str) -> list[str]:
    return TAG_URL.findall(html)


def test_no_external_script_or_link_urls():
    html = full_map().get_root().render()
    urls = tag_urls(html)
    assert urls, "expected local script/link tags"
    assert [u for u in urls if re.match(r"(https?:)?//", u)] == []
    assert find_external_assets(html) == []
    # tiles are the only outside URL left, and they live in JS, not in tags
    assert "tile.openstreetmap.org" in html


def test_every_rewritten_file_exists():
    html = full_map().get_root().render()
    for url in tag_urls(html):
        assert url.startswith(DEFAULT_BASE_URL + "/"), url
        path = vendor_file(url)
        assert path is not None and path.is_file(), url
    needed = {"leaflet.js", "leaflet.markercluster.js", "leaflet_heat.min.js",
              "Control.FullScreen.js", "leaflet.draw.js", "d3.min.js", "all.min.css",
              "bootstrap-glyphicons.css", "leaflet.awesome-markers.css"}
    assert needed <= {u.rsplit("/", 1)[1] for u in tag_urls(html)}


def test_cdn_map_targets_and_css_references_exist():
    for url, rel in CDN_MAP.items():
        assert (VENDOR_DIR / rel).is_file(), (url, rel)
    for css in VENDOR_DIR.rglob("*.css"):
        for _, ref in re.findall(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)", css.read_text("utf-8")):
            if ref.startswith(("data:", "#")):
                continue
            assert not re.match(r"(https?:)?//", ref), (css, ref)
            target = css.parent / ref.split("?")[0].split("#")[0]
            assert target.is_file(), (css, ref)
    assert (VENDOR_DIR / "README.md").is_file()


@pytest.mark.parametrize("cls", [folium.Map, plugins.MarkerCluster, plugins.HeatMap,
                                 plugins.DualMap, plugins.Fullscreen, plugins.Draw])
def test_every_default_url_of_used_classes_is_known(cls):
    for _, url in list(cls.default_js) + list(cls.default_css):
        assert local_asset_url(url).startswith(DEFAULT_BASE_URL + "/")


def test_class_level_lists_untouched():
    before = list(folium.Map.default_js)
    full_map()
    assert folium.Map.default_js == before
    assert folium.Map.default_js[0][1].startswith("https://")


def test_unknown_cdn_is_refused():
    with pytest.raises(ExternalAssetError):
        local_asset_url("https://unpkg.com/some-plugin/plugin.js")
    m = make_map()
    plugins.MiniMap().add_to(m)  # not vendored
    with pytest.raises(ExternalAssetError, match="MiniMap"):
        use_local_assets(m)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        use_local_assets(m, strict=False)
    assert any("MiniMap" in str(w.message) for w in caught)


def test_element_added_after_call_is_checked_at_render():
    m = make_map()

    class Widget(JSCSSMixin):
        default_js = [("w", "https://cdn.example.com/widget.js")]

    m.add_child(Widget())
    with pytest.raises(ExternalAssetError):
        m.get_root().render()
    # ...while known plugins added late are localised
    m2 = make_map()
    plugins.Fullscreen().add_to(m2)
    assert find_external_assets(m2.get_root().render()) == []


def test_dualmap():
    m = plugins.DualMap(location=(31.23, 121.47), tiles=None)
    folium.GeoJson(POLY).add_to(m)
    use_local_assets(m)
    html = m.get_root().render()
    assert find_external_assets(html) == []
    assert f"{DEFAULT_BASE_URL}/leaflet-sync/L.Map.Sync.js" in html


def test_custom_base_url_and_idempotence():
    m = make_map(asset_base_url="/tuoke/app/static/vendor")
    use_local_assets(m, "/tuoke/app/static/vendor")
    html = m.get_root().render()
    assert all(u.startswith("/tuoke/app/static/vendor/") for u in tag_urls(html))
    assert html.count("L.Icon.Default.imagePath =") == 1
    assert '"/tuoke/app/static/vendor/leaflet/images/"' in html


def test_standalone_html_inlines_everything():
    html = standalone_html(full_map(basemap="none"))
    assert tag_urls(html) == []  # no <script src> / <link href> at all
    assert find_external_assets(html) == []
    assert "/* leaflet/leaflet.js */" in html and "leafletjs.com" in html  # Leaflet's own code
    assert "L.Icon.Default.imagePath=''" in html  # default marker images as data: URIs
    assert "data:image/png;base64," in html
    assert "data:font/woff2;base64," in html
    # only the (skipped, imagePath is already set) icon-path guard mentions the server path
    assert re.findall(r"/app/static[^\"']*", html) == ["/app/static/vendor/leaflet/images/"]
    # legend script must come after the map is created
    assert html.index("L.map(") < html.index(".legend.addTo(")
    assert len(html) < 2_500_000
    small = standalone_html(make_map(), inline_fonts=False)
    assert "data:font/woff2" not in small and len(small) < len(html)


def test_st_folium_gets_only_local_links(monkeypatch):
    sf = pytest.importorskip("streamlit_folium")
    captured: dict = {}
    monkeypatch.setattr(sf, "_component_func", lambda **kw: captured.update(kw) or kw["default"])
    sf.st_folium(full_map(), key="t", returned_objects=[])
    links = captured["js_links"] + captured["css_links"]
    assert links and all(u.startswith(DEFAULT_BASE_URL + "/") for u in links), links
    assert all(vendor_file(u).is_file() for u in links)
    assert f"{DEFAULT_BASE_URL}/d3/d3.min.js" in captured["js_links"]  # legend works
    assert "L.Icon.Default.imagePath" in captured["script"]


def test_mapping_does_not_import_streamlit():
    code = "import sys, mapping.maps.offline, mapping.maps.render; assert 'streamlit' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=VENDOR_DIR.parent.parent)
