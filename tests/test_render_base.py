"""mapping.maps.render: basemaps, make_map, display_crs."""

from __future__ import annotations

import folium
import pytest

from mapping.maps.offline import find_external_assets
from mapping.maps.render import BASEMAPS, basemap_labels, display_crs, make_map
from mapping.schema import GCJ02, WGS84

TILE_HOSTS = {
    "osm": "tile.openstreetmap.org",
    "light": "basemaps.cartocdn.com/light_all",
    "gaode": "is.autonavi.com/appmaptile",
}


def test_basemap_ids_and_labels():
    assert list(BASEMAPS) == ["none", "osm", "light", "gaode"]
    labels = basemap_labels()
    assert "无底图" in labels["none"] and "高德" in labels["gaode"]
    assert BASEMAPS["gaode"].subdomains == "1234"
    assert BASEMAPS["gaode"].attr == "&copy; 高德地图"
    assert BASEMAPS["none"].tiles is None


@pytest.mark.parametrize("basemap", list(BASEMAPS))
def test_each_basemap_renders(basemap):
    m = make_map(center=(31.23, 121.47), zoom=10, basemap=basemap)
    assert isinstance(m, folium.Map)
    html = m.get_root().render()
    assert find_external_assets(html) == []
    assert "L.control.scale()" in html
    assert "[31.23, 121.47]" in html
    assert '"maxZoom"' in html
    for other, host in TILE_HOSTS.items():
        assert (host in html) == (other == basemap), (basemap, host)
    if basemap == "none":
        assert "L.tileLayer" not in html
        assert f"#{m.get_name()} {{ background:" in html
    else:
        assert "L.tileLayer" in html


def test_gaode_tile_url():
    html = make_map(basemap="gaode").get_root().render()
    assert "webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn" in html
    assert '"1234"' in html.replace("'", '"')


def test_display_crs():
    assert display_crs("none") == WGS84
    assert display_crs("osm") == WGS84
    assert display_crs("light") == WGS84
    assert display_crs("gaode") == GCJ02
    assert {b.crs for b in BASEMAPS.values()} <= {WGS84, GCJ02}


def test_unknown_basemap():
    with pytest.raises(ValueError, match="unknown basemap"):
        make_map(basemap="baidu")
    with pytest.raises(ValueError):
        display_crs("satellite")
