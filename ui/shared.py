"""What sessions share: the process-wide cache (:mod:`mapping.cache`) seen from the pages.

- :func:`scope` is the first part of every key: the store (a new store — another database,
  a test's fresh one — never reads another's entries) plus the project and its data version.
- :func:`folium_payload` / :func:`show_map` split ``streamlit_folium.st_folium`` in two: the
  rendering of a folium map into the component's HTML and script (the costly part, done once
  per key and shared) and the sending of it to this session's browser (done per session).
  st_folium itself renders the map on every call and mutates the map while doing so, so a
  shared folium object could not be handed to it from several sessions at once.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable, Hashable

import branca
import folium
import folium.plugins
import pandas as pd
import streamlit as st
import streamlit_folium as SF

from mapping.cache import shared

_TOKEN_LOCK = threading.Lock()


def scope(store, project_id: int, version: str) -> tuple:
    """(store token, project id, data version): the start of every key of project data."""
    token = store.__dict__.get("_tuoke_cache_scope")
    if token is None:
        with _TOKEN_LOCK:
            token = store.__dict__.setdefault("_tuoke_cache_scope", uuid.uuid4().hex)
    return token, int(project_id), str(version)


def cached(key: Hashable, compute: Callable):
    """``compute()`` once per ``key`` in this process (see :class:`mapping.cache.SharedCache`)."""
    return shared().get(key, compute)


def frame_digest(frame: pd.DataFrame | None) -> str:
    """A short digest of a small frame's content (for keys); "" for None."""
    if frame is None:
        return ""
    hashed = pd.util.hash_pandas_object(frame.astype(str), index=True).to_numpy()
    return hashlib.sha1(hashed.tobytes() + "|".join(map(str, frame.columns)).encode()).hexdigest()[:16]


def folium_payload(fig: folium.Map | folium.plugins.DualMap) -> dict:
    """What st_folium sends for ``fig`` (streamlit-folium 0.27), computed once: the session-independent
    arguments of its component.  Mirrors ``st_folium`` without layer control or debug (a feature group
    is added per session by :func:`show_map`), and leaves out the scripts the map does not use
    (:func:`used_scripts`)."""
    if isinstance(fig, folium.plugins.DualMap):
        fig.render()
    else:
        fig.get_root().render()
    fig.render()
    html = SF._get_html(fig)
    header = SF._get_header(fig)
    leaflet = SF._get_map_string(fig)
    try:
        south_west, north_east = fig.get_bounds()
    except AttributeError:
        south_west, north_east = [None, None], [None, None]
    bounds = {"_southWest": {"lat": south_west[0], "lng": south_west[1]},
              "_northEast": {"lat": north_east[0], "lng": north_east[1]}}

    def walk(element):
        if isinstance(element, branca.colormap.ColorMap):
            yield element
        if isinstance(element, folium.plugins.DualMap):
            yield from walk(element.m1)
            yield from walk(element.m2)
        if isinstance(element, folium.elements.JSCSSMixin):
            yield element
        for child in getattr(element, "_children", {}).values():
            yield from walk(child)

    css, js = [], []
    for element in walk(fig):
        if isinstance(element, branca.colormap.ColorMap):
            js[:0] = ["https://d3js.org/d3.v4.min.js", "https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js"]
        css.extend(href for _, href in getattr(element, "default_css", []))
        js.extend(src for _, src in getattr(element, "default_js", []))
    return {"script": leaflet, "header": header, "html": html, "id": SF.get_full_id(fig), "bounds": bounds,
            "zoom": fig.options.get("zoom") if hasattr(fig, "options") else {},
            "css_links": used_styles(list(dict.fromkeys(css)), leaflet + html),
            "js_links": used_scripts(list(dict.fromkeys(js)), leaflet + html)}


#: Scripts every folium.Map declares that a map only needs when its code names them: the map's
#: iframe loads its scripts one after the other, so each unused one delays the drawing (≈0.1 s each on
#: this machine; jQuery and Bootstrap's bundle are 170 KB).  Stylesheets are kept: they load together
#: and Bootstrap's sets the legends' and tooltips' fonts.
OPTIONAL_SCRIPTS = {"jquery": ("jQuery", "$("), "bootstrap.bundle": ("bootstrap",),
                    "awesome-markers": ("AwesomeMarkers",)}


def used_scripts(js_links: list[str], code: str) -> list[str]:
    """``js_links`` without the :data:`OPTIONAL_SCRIPTS` that ``code`` (the map's script and HTML) never names."""
    unused = {name for name, marks in OPTIONAL_SCRIPTS.items() if not any(mark in code for mark in marks)}
    return [src for src in js_links if not any(name in src.rsplit("/", 1)[-1] for name in unused)]


#: Stylesheets every folium.Map declares that only style icons: Font Awesome (≈100 KB), Bootstrap's glyphicons
#: and awesome-markers (with folium's rotate rules, ≈40 KB).  The map's iframe parses every stylesheet it is given
#: before it is drawn; these are left out when the map's code names none of their classes (our marks are
#: DivIcons with their own HTML).  Bootstrap's own stylesheet stays: it sets the legends' and tooltips' fonts.
OPTIONAL_STYLES = {"fontawesome": ("fa-", "fa ", "AwesomeMarkers"), "glyphicons": ("glyphicon", "AwesomeMarkers"),
                   "awesome-markers": ("AwesomeMarkers", "awesome-marker"),
                   "awesome.rotate": ("AwesomeMarkers", "awesome-marker")}


def used_styles(css_links: list[str], code: str) -> list[str]:
    """``css_links`` without the :data:`OPTIONAL_STYLES` that ``code`` (the map's script and HTML) never names."""
    unused = {name for name, marks in OPTIONAL_STYLES.items() if not any(mark in code for mark in marks)}
    return [href for href in css_links if not any(name in href for name in unused)]


def feature_group_js(groups: folium.FeatureGroup | list[folium.FeatureGroup] | None) -> str | None:
    """The script st_folium's ``feature_group_to_add`` sends: layers drawn on top of a map without
    remounting it.  It names the map ``map_div``, so it is made against a throwaway map."""
    if groups is None:
        return None
    groups = [groups] if isinstance(groups, folium.FeatureGroup) else list(groups)
    host = folium.Map(tiles=None)
    return "".join(SF._get_feature_group_string(group, map=host, idx=i) for i, group in enumerate(groups))


def show_map(payload: dict, *, key: str, height: int, returned_objects: list[str],
             use_container_width: bool = True, width: int | None = 500,
             feature_group: folium.FeatureGroup | list[folium.FeatureGroup] | None = None) -> dict:
    """Send a :func:`folium_payload` to this session's browser, with this session's ``feature_group``
    (st_folium's ``feature_group_to_add``) on top; returns what st_folium returns."""
    defaults = {"last_clicked": None, "last_object_clicked": None, "last_object_clicked_count": None,
                "last_object_clicked_tooltip": None, "last_object_clicked_popup": None, "all_drawings": None,
                "last_active_drawing": None, "bounds": payload["bounds"], "zoom": payload["zoom"],
                "last_circle_radius": None, "last_circle_polygon": None, "selected_layers": None,
                "selected_tags": None, "last_geocoder_result": None}
    defaults = {k: v for k, v in defaults.items() if k in returned_objects}
    hashes = payload.setdefault("hashes", {})  # per widget key; a regex over the whole script, so kept
    hash_key = hashes.get(key) or hashes.setdefault(key, SF.generate_js_hash(payload["script"], key, False))

    def on_change():
        st.session_state[key] = st.session_state.get(hash_key, {})

    return SF._component_func(
        script=payload["script"], header=payload["header"], html=payload["html"], id=payload["id"], key=hash_key,
        height=height, width=None if use_container_width else width, returned_objects=returned_objects,
        default=defaults, zoom=None, center=None, feature_group=feature_group_js(feature_group), return_on_hover=False, layer_control=None,
        pixelated=False, css_links=payload["css_links"], js_links=payload["js_links"], on_change=on_change,
        wrap_longitude=False)
