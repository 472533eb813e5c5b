"""Serve folium's JS/CSS from our own copies instead of public CDNs.

folium (and branca, and every folium plugin) points ``<script>``/``<link>`` tags
at jsdelivr, cdnjs, code.jquery.com, netdna ... which corporate intranets in
China often cannot reach; one unreachable script and the whole map stays blank.
The files are vendored under ``static/vendor/`` (see its README and
``scripts/vendor_assets.py``) and this module rewrites a map to use them:

>>> import folium
>>> m = use_local_assets(folium.Map(tiles=None))
>>> find_external_assets(m.get_root().render())
[]

* :func:`use_local_assets` rewrites every element's ``default_js``/``default_css``
  (what both folium and streamlit-folium read) to ``/app/static/vendor/...``,
  which Streamlit serves when ``[server] enableStaticServing = true``.
  An external URL that is not in :data:`CDN_MAP` raises
  :class:`ExternalAssetError`, so a new plugin cannot quietly bring a CDN back.
* :func:`standalone_html` returns one self-contained HTML file (all JS/CSS
  inlined, images and the main fonts as ``data:`` URIs) that opens offline.

Only basemap tiles still come from outside; the "none" basemap needs nothing.
This module must not import streamlit.
"""

from __future__ import annotations

import base64
import re
import warnings
from pathlib import Path
from typing import Iterator

from branca.colormap import ColorMap
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement
from folium import Map
from folium.elements import JSCSSMixin
from jinja2 import Template

from mapping.paths import VENDOR

__all__ = [
    "CDN_MAP",
    "DEFAULT_BASE_URL",
    "VENDOR_DIR",
    "ExternalAssetError",
    "find_external_assets",
    "is_external",
    "local_asset_url",
    "standalone_html",
    "use_local_assets",
    "vendor_file",
]

VENDOR_DIR = VENDOR
#: where Streamlit serves ``static/vendor`` (``./static`` -> ``/app/static``).
#: Behind ``server.baseUrlPath = "x"`` pass ``base_url="/x/app/static/vendor"``.
DEFAULT_BASE_URL = "/app/static/vendor"

_D3_V3 = "https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js"
_FOLIUM_GH = "https://cdn.jsdelivr.net/gh/python-visualization/folium"

#: Every CDN URL we know -> file under static/vendor/.  Keep in step with
#: scripts/vendor_assets.py (its ``--check`` verifies every target exists).
CDN_MAP: dict[str, str] = {
    # folium.Map (folium.folium._default_js / _default_css)
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": "leaflet/leaflet.js",
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": "leaflet/leaflet.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/jquery/3.7.1/jquery.min.js": "jquery/jquery.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js":
        "bootstrap/js/bootstrap.bundle.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css":
        "bootstrap/css/bootstrap.min.css",
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css":
        "bootstrap-glyphicons/css/bootstrap-glyphicons.css",
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css":
        "fontawesome-free/css/all.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js":
        "leaflet-awesome-markers/leaflet.awesome-markers.js",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css":
        "leaflet-awesome-markers/leaflet.awesome-markers.css",
    f"{_FOLIUM_GH}/folium/templates/leaflet.awesome.rotate.min.css":
        "folium/leaflet.awesome.rotate.css",
    # plugins.MarkerCluster
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/leaflet.markercluster.js":
        "leaflet-markercluster/leaflet.markercluster.js",
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.css":
        "leaflet-markercluster/MarkerCluster.css",
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.Default.css":
        "leaflet-markercluster/MarkerCluster.Default.css",
    # plugins.HeatMap
    f"{_FOLIUM_GH}@main/folium/templates/leaflet_heat.min.js": "folium/leaflet_heat.min.js",
    f"{_FOLIUM_GH}/folium/templates/leaflet_heat.min.js": "folium/leaflet_heat.min.js",
    # plugins.DualMap
    "https://cdn.jsdelivr.net/gh/jieter/Leaflet.Sync/L.Map.Sync.min.js": "leaflet-sync/L.Map.Sync.js",
    # plugins.Fullscreen
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js":
        "leaflet-fullscreen/Control.FullScreen.js",
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css":
        "leaflet-fullscreen/Control.FullScreen.css",
    # plugins.Draw
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.draw/1.0.2/leaflet.draw.js":
        "leaflet-draw/leaflet.draw.js",
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.draw/1.0.2/leaflet.draw.css":
        "leaflet-draw/leaflet.draw.css",
    # branca ColorMap (colour-scale legends, folium.Choropleth)
    _D3_V3: "d3/d3.min.js",
}

_EXTERNAL = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)


def _normalise(url: str) -> str:
    return _EXTERNAL.sub("", url).strip()


_LOOKUP = {_normalise(u): rel for u, rel in CDN_MAP.items()}


class ExternalAssetError(ValueError):
    """A map needs a JS/CSS file from a CDN that we have not vendored."""


def is_external(url: str) -> bool:
    """True for ``http://``, ``https://`` and protocol-relative ``//`` URLs."""
    return bool(_EXTERNAL.match(url or ""))


def local_asset_url(url: str, base_url: str = DEFAULT_BASE_URL, *, owner: object = None) -> str:
    """Local URL for a known CDN ``url``; non-external URLs come back unchanged.

    Raises :class:`ExternalAssetError` for an external URL missing from :data:`CDN_MAP`.
    """
    if not is_external(url):
        return url
    rel = _LOOKUP.get(_normalise(url))
    if rel is None:
        who = f" (needed by {type(owner).__name__})" if owner is not None else ""
        raise ExternalAssetError(
            f"no local copy of {url}{who}: vendor it (scripts/vendor_assets.py) "
            "and add it to mapping.maps.offline.CDN_MAP"
        )
    return f"{base_url.rstrip('/')}/{rel}"


def vendor_file(url: str, base_url: str = DEFAULT_BASE_URL) -> Path | None:
    """The file under static/vendor/ that a local asset URL points to, else None."""
    prefix = base_url.rstrip("/") + "/"
    if not url.startswith(prefix):
        return None
    rel = url[len(prefix):].split("?")[0].split("#")[0]
    path = (VENDOR_DIR / rel).resolve()
    return path if path.is_relative_to(VENDOR_DIR) else None


_TAG_URL = re.compile(
    r"<script\b[^>]*?\bsrc\s*=\s*[\"']([^\"']+)[\"']|<link\b[^>]*?\bhref\s*=\s*[\"']([^\"']+)[\"']",
    re.IGNORECASE,
)


def find_external_assets(html: str) -> list[str]:
    """External ``<script src>`` / ``<link href>`` URLs in rendered HTML (tiles are not tags)."""
    urls = (a or b for a, b in _TAG_URL.findall(html))
    return list(dict.fromkeys(u for u in urls if is_external(u)))


# --------------------------------------------------------------------------- rewriting


def _iter_elements(root: Element) -> Iterator[Element]:
    seen: set[int] = set()
    stack = [root]
    while stack:
        el = stack.pop()
        if id(el) in seen:
            continue
        seen.add(id(el))
        yield el
        stack.extend(getattr(el, "_children", {}).values())
        for attr in ("m1", "m2"):  # plugins.DualMap keeps its two maps as attributes
            sub = getattr(el, attr, None)
            if isinstance(sub, Element):
                stack.append(sub)


class _OfflineColorMap(JSCSSMixin):
    """Renders exactly like the branca ColorMap it stands in for, with local d3.

    streamlit-folium adds two hard-coded CDN copies of d3 for every
    ``branca.colormap.ColorMap`` it finds, and a failed script load stops the
    map from loading at all.  This stand-in has the colour map's state and
    template but is not a ColorMap, and declares d3 through ``default_js``.
    """

    def __init__(self, colormap: ColorMap, d3_url: str):
        super().__init__()
        self.__dict__.update(colormap.__dict__)
        self._children = dict(colormap._children)
        self._template = colormap._template
        self.default_js = [("d3", d3_url)]
        self.default_css = []
        self.colormap = colormap

    def __call__(self, x: float) -> str:
        return self.colormap(x)


def _swap_colormap(cmap: ColorMap, base_url: str) -> None:
    parent = cmap._parent
    if parent is None:
        return
    # ColorMap.render() computes color_domain/color_range/tick_labels: reuse it,
    # then undo its output so the legend script is emitted (after the map's
    # own script) by the stand-in at the real render.
    type(cmap).render(cmap)
    figure = cmap.get_root()
    for part in ("header", "html", "script"):
        getattr(figure, part, Element())._children.pop(cmap.get_name(), None)
    proxy = _OfflineColorMap(cmap, local_asset_url(_D3_V3, base_url))
    for key, child in list(parent._children.items()):
        if child is cmap:
            parent._children[key] = proxy
    for key, value in list(vars(parent).items()):  # e.g. Choropleth.color_scale
        if value is cmap:
            setattr(parent, key, proxy)


def _localise_links(links, base_url: str, strict: bool, owner: object) -> list[tuple[str, str]]:
    out = []
    for name, url in links:
        try:
            url = local_asset_url(url, base_url, owner=owner)
        except ExternalAssetError as exc:
            if strict:
                raise
            warnings.warn(str(exc), stacklevel=4)
        out.append((name, url))
    return out


def _localise_tree(root: Element, base_url: str, strict: bool) -> None:
    for el in list(_iter_elements(root)):
        if isinstance(el, ColorMap):
            _swap_colormap(el, base_url)
    for el in list(_iter_elements(root)):
        if isinstance(el, Map):
            _set_icon_path(el, base_url)
        if isinstance(el, JSCSSMixin):
            # instance attributes: never mutate the class-level lists
            el.default_js = _localise_links(el.default_js, base_url, strict, el)
            el.default_css = _localise_links(el.default_css, base_url, strict, el)
    _localise_header(root, base_url, strict)


def _localise_header(root: Element, base_url: str, strict: bool) -> None:
    """Links some elements put straight into the page header (e.g. ColorMap's d3)."""
    header = getattr(root, "header", None)
    if header is None:
        return
    for child in header._children.values():
        if isinstance(child, (JavascriptLink, CssLink)):
            (name, child.url), = _localise_links([("", child.url)], base_url, strict, child)


class _LeafletIconPath(MacroElement):
    """Tell Leaflet where its default marker images are.

    Leaflet finds them by probing leaflet.css; st_folium adds the CSS *after*
    running the scripts, so the probe can run before the CSS applies and falls
    back to a broken ``.../leafletmarker-icon.png``.  An explicit path avoids it
    (left alone if something, e.g. :func:`standalone_html`, already set one).
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "if (typeof L.Icon.Default.imagePath !== 'string') "
        "{ L.Icon.Default.imagePath = {{ this.path|tojson }}; }"
        "{% endmacro %}"
    )

    def __init__(self, path: str):
        super().__init__()
        self._name = "LeafletIconPath"
        self.path = path


def _set_icon_path(m: Map, base_url: str) -> None:
    path = f"{base_url.rstrip('/')}/leaflet/images/"
    for child in m._children.values():
        if isinstance(child, _LeafletIconPath):
            child.path = path
            return
    m.add_child(_LeafletIconPath(path), index=0)


class _OfflineFigure(Figure):
    """A Figure that re-applies :func:`use_local_assets` each time it renders.

    So elements added after the call (and links added during rendering, such as
    ColorMap's d3) are localised too, and unknown CDNs still raise.
    """

    def render(self, **kwargs) -> str:
        opts = self.__dict__.get("_offline_assets")
        if opts:
            _localise_tree(self, *opts)
        for child in list(self._children.values()):
            child.render(**kwargs)
        if opts:
            _localise_header(self, *opts)
        return self._template.render(this=self, kwargs=kwargs)


def use_local_assets(m, base_url: str = DEFAULT_BASE_URL, *, strict: bool = True):
    """Point every JS/CSS link of map ``m`` (and all its children/plugins) at static/vendor.

    Works for ``folium.Map`` and ``folium.plugins.DualMap``; returns ``m``.  Call it
    after adding layers/plugins (``make_map`` already calls it; calling again is
    cheap and idempotent).  The map's Figure keeps re-applying it at each render,
    so later additions are covered for ``st_folium(m)`` and ``standalone_html(m)``.

    An external URL with no local copy raises :class:`ExternalAssetError`
    (``strict=False``: warn and leave it).
    """
    root = m.get_root()
    opts = (base_url, strict)
    _localise_tree(root, *opts)
    if type(root) is Figure:
        root.__class__ = _OfflineFigure
    root._offline_assets = opts
    return m


# --------------------------------------------------------------------------- standalone

_MIME = {
    ".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg", ".svg": "image/svg+xml",
    ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf", ".eot": "application/vnd.ms-fontobject",
}
_FONT_EXT = {".woff2", ".woff", ".ttf", ".eot", ".otf"}
_CSS_URL = re.compile(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)")
_SCRIPT_TAG = re.compile(r"<script\b[^>]*?\bsrc\s*=\s*[\"']([^\"']+)[\"'][^>]*>\s*</script\s*>", re.I)
_LINK_TAG = re.compile(r"<link\b[^>]*?\bhref\s*=\s*[\"']([^\"']+)[\"'][^>]*?/?>", re.I)


def _data_uri(path: Path) -> str:
    mime = _MIME.get(path.suffix.lower(), "application/octet-stream")
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _inline_css(css_path: Path, inline_fonts: bool, fonts_done: set[Path]) -> str:
    css = css_path.read_text(encoding="utf-8")

    def repl(match: re.Match) -> str:
        ref = match.group(2).strip()
        if ref.startswith(("data:", "#")) or is_external(ref):
            return match.group(0)
        path = (css_path.parent / ref.split("?")[0].split("#")[0]).resolve()
        is_font = path.suffix.lower() in _FONT_EXT or path.parent.name in {"fonts", "webfonts"}
        if is_font:
            # woff2 is read by every current browser; one copy of each file is
            # enough (Font Awesome's v4/v5 alias families point at the same files)
            if not inline_fonts or path.suffix.lower() != ".woff2" or path in fonts_done:
                return "url(data:,)"
            fonts_done.add(path)
        if not path.is_file():
            return "url(data:,)"
        return f'url("{_data_uri(path)}")'

    return _CSS_URL.sub(repl, css).replace("</style", "<\\/style")


def _leaflet_icon_fix() -> str:
    """Leaflet finds marker-icon.png via leaflet.css; with data: URIs that fails, so set them."""
    img = VENDOR_DIR / "leaflet" / "images"
    return (
        "<script>L.Icon.Default.imagePath='';L.Icon.Default.mergeOptions({"
        f"iconUrl:'{_data_uri(img / 'marker-icon.png')}',"
        f"iconRetinaUrl:'{_data_uri(img / 'marker-icon-2x.png')}',"
        f"shadowUrl:'{_data_uri(img / 'marker-shadow.png')}'}});</script>"
    )


def standalone_html(m, *, inline_fonts: bool = True) -> str:
    """The whole map as one HTML document with every JS/CSS file inlined.

    Opens from disk with no network except basemap tiles (none for the "none"
    basemap).  Images referenced by CSS (marker icons, draw toolbar...) become
    ``data:`` URIs; fonts are inlined as woff2 only (``inline_fonts=False`` drops
    them: icon glyphs then show as blanks, everything else works).  About
    1.3-1.5 MB (Leaflet, jQuery, Bootstrap, Font Awesome...) plus the map's own data.
    """
    root = m.get_root()
    opts = getattr(root, "_offline_assets", None)
    if opts is None:
        use_local_assets(m)
        opts = root._offline_assets
    base_url = opts[0]
    html = root.render()
    fonts_done: set[Path] = set()

    def local(url: str) -> Path:
        path = vendor_file(url, base_url)
        if path is None or not path.is_file():
            if is_external(url):
                raise ExternalAssetError(f"external asset left in map: {url}")
            raise FileNotFoundError(f"asset {url} is not a file under {VENDOR_DIR}")
        return path

    def script(match: re.Match) -> str:
        path = local(match.group(1))
        code = path.read_text(encoding="utf-8").replace("</script", "<\\/script")
        tag = f"<script>/* {path.relative_to(VENDOR_DIR)} */\n{code}\n</script>"
        if path == VENDOR_DIR / "leaflet" / "leaflet.js":
            tag += _leaflet_icon_fix()
        return tag

    def link(match: re.Match) -> str:
        tag = match.group(0)
        if not re.search(r"rel\s*=\s*[\"']?stylesheet", tag, re.I):
            if is_external(match.group(1)):
                raise ExternalAssetError(f"external link left in map: {match.group(1)}")
            return tag
        path = local(match.group(1))
        css = _inline_css(path, inline_fonts, fonts_done)
        return f"<style>/* {path.relative_to(VENDOR_DIR)} */\n{css}\n</style>"

    html = _SCRIPT_TAG.sub(script, html)
    html = _LINK_TAG.sub(link, html)
    left = find_external_assets(html)
    if left:
        raise ExternalAssetError(f"external assets left in standalone HTML: {left}")
    return html
