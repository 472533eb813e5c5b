"""Base map construction: basemaps (tiles + their CRS) and ``make_map``.

Everything here takes and returns WGS-84.  The Gaode basemap draws its tiles in
GCJ-02, so overlays shown on it must be shifted first; ``display_crs(basemap)``
says which CRS the overlays must be in.

>>> m = make_map(basemap="none")          # polygons only, works fully offline
>>> display_crs("gaode")
'GCJ02'
"""

from __future__ import annotations

from dataclasses import dataclass

import folium
from branca.element import MacroElement
from jinja2 import Template

from mapping.maps.offline import DEFAULT_BASE_URL, use_local_assets
from mapping.schema import GCJ02, WGS84

__all__ = ["BASEMAPS", "DEFAULT_BASEMAP", "Basemap", "InPage", "basemap_labels", "display_crs", "make_map"]


@dataclass(frozen=True)
class Basemap:
    id: str
    label: str  # shown to users
    tiles: str | None  # XYZ URL template; None = no tiles
    attr: str
    crs: str  # CRS the tiles are drawn in (WGS84 / GCJ02)
    subdomains: str = "abc"
    max_zoom: int = 18


BASEMAPS: dict[str, Basemap] = {
    b.id: b
    for b in (
        Basemap("none", "无底图（仅区域，离线可用）", None, "", WGS84),
        Basemap(
            "osm", "OpenStreetMap 街道图",
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
            WGS84, max_zoom=19,
        ),
        Basemap(
            "light", "浅色底图（CartoDB Positron）",
            "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
            '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors '
            '&copy; <a href="https://carto.com/attributions">CARTO</a>',
            WGS84, subdomains="abcd", max_zoom=20,
        ),
        Basemap(
            "gaode", "高德地图（道路）",
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
            "&x={x}&y={y}&z={z}",
            "&copy; 高德地图", GCJ02, subdomains="1234", max_zoom=18,
        ),
    )
}
DEFAULT_BASEMAP = "none"
NO_TILES_BACKGROUND = "#f4f3ef"  # plain light paper colour behind polygons


def _basemap(basemap: str) -> Basemap:
    try:
        return BASEMAPS[basemap]
    except KeyError:
        raise ValueError(f"unknown basemap {basemap!r}; choose from {list(BASEMAPS)}") from None


def basemap_labels() -> dict[str, str]:
    """``{id: Chinese label}``, e.g. for ``st.selectbox(format_func=labels.get)``."""
    return {k: b.label for k, b in BASEMAPS.items()}


def display_crs(basemap: str) -> str:
    """CRS that overlays must be in to line up with ``basemap``'s tiles (WGS84 / GCJ02)."""
    return _basemap(basemap).crs


class _Background(MacroElement):
    """Sets the map container's background colour (shown where there are no tiles)."""

    _template = Template(
        "{% macro header(this, kwargs) %}"
        "<style>#{{ this._parent.get_name() }} { background: {{ this.color }}; }</style>"
        "{% endmacro %}"
        "{% macro script(this, kwargs) %}{% endmacro %}"
    )

    def __init__(self, color: str):
        super().__init__()
        self._name = "Background"
        self.color = color


class InPage(MacroElement):
    """How a map behaves on a page that scrolls (every map of the app sits in one).

    * **The first click selects.**  Leaflet focuses the map on mousedown; a plain
      ``focus()`` scrolls the page to show the whole map, so when the map was
      partly below the fold the page moved under the pointer between mousedown
      and mouseup and the click landed on no area (the browser sends it to the
      SVG group instead: the first click "only scrolled").  Inside the map's
      document ``focus()`` does not scroll.
    * **The wheel scrolls the page** until the map is clicked (then it zooms the
      map, until the pointer leaves it); a short hint says so.  A map as tall as
      the screen would otherwise trap the reader.  A map opened on its own (the
      offline HTML file) zooms with the wheel at once.
    """

    _template = Template("""
{% macro script(this, kwargs) %}
(function (map) {
    if (!window.__tuokeFocusNoScroll) {
        window.__tuokeFocusNoScroll = true;
        [window.HTMLElement, window.SVGElement].forEach(function (C) {
            if (!C) { return; }
            var focus = C.prototype.focus;
            C.prototype.focus = function (options) {
                return focus.call(this, Object.assign({preventScroll: true}, options || {}));
            };
        });
    }
    if (window.self === window.top) { return; }  // a map file opened on its own: no page to scroll
    map.scrollWheelZoom.disable();
    var box = map.getContainer(), hint = null, timer = null;
    box.addEventListener("mousedown", function () {
        map.scrollWheelZoom.enable();
        if (hint) { hint.style.opacity = 0; }
    });
    box.addEventListener("mouseleave", function () { map.scrollWheelZoom.disable(); });
    box.addEventListener("wheel", function () {
        if (map.scrollWheelZoom.enabled()) { return; }
        if (!hint) {
            hint = L.DomUtil.create("div", "tuoke-wheel-hint", box);
            hint.textContent = {{ this.hint|tojson }};
            hint.style.cssText = "position:absolute;left:50%;top:50%;transform:translate(-50%,-50%);z-index:1000;"
                + "padding:6px 12px;border-radius:6px;background:rgba(0,0,0,.6);color:#fff;"
                + "font:13px/1.4 sans-serif;pointer-events:none;transition:opacity .3s;opacity:0";
        }
        hint.style.opacity = 1;
        clearTimeout(timer);
        timer = setTimeout(function () { hint.style.opacity = 0; }, 1200);
    }, {passive: true});
})({{ this._parent.get_name() }});
{% endmacro %}
""")

    def __init__(self, hint: str = "点一下地图，再用滚轮缩放"):
        super().__init__()
        self._name = "InPage"
        self.hint = hint


def make_map(
    center: tuple[float, float] = (31.23, 121.47),
    zoom: int = 10,
    basemap: str = DEFAULT_BASEMAP,
    *,
    asset_base_url: str = DEFAULT_BASE_URL,
) -> folium.Map:
    """A folium map (WGS-84 ``center`` as (lat, lng)) with the chosen basemap and a scale bar.

    Its JS/CSS come from ``static/vendor`` (see :mod:`mapping.maps.offline`); only the
    tiles, if any, come from outside.  ``basemap="none"`` has no tiles at all.  It
    behaves on a scrolling page (:class:`InPage`).
    """
    bm = _basemap(basemap)
    m = folium.Map(
        location=[float(center[0]), float(center[1])],
        zoom_start=zoom,
        tiles=None,
        control_scale=True,
    )
    # on the map itself too: MarkerCluster needs a map maxZoom even without tiles
    m.options["max_zoom"] = bm.max_zoom if bm.tiles else 19
    if bm.tiles:
        folium.TileLayer(
            tiles=bm.tiles, attr=bm.attr, name=bm.label, subdomains=bm.subdomains,
            max_zoom=bm.max_zoom, control=False,
        ).add_to(m)
    else:
        _Background(NO_TILES_BACKGROUND).add_to(m)
    InPage().add_to(m)
    return use_local_assets(m, asset_base_url)
