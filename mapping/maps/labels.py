"""Area names written on the interactive maps, decluttered in the browser.

:func:`label_points` finds, for each area, the point where its name reads best
(the centre of the largest circle inside the area, GEOS' maximum inscribed
circle) and the room there (that circle's radius); :func:`add_area_labels` puts
the names on a map in a layer of their own, 「区域名称」, which a layer control
can switch off.

In the browser a small script (no file loaded from anywhere) shows the names in
order of ``priority`` and leaves a name out when, at the current zoom, it would
overlap a name already shown, a site marker, a pie, the legend or the map's
edge (also a little below or above its place), or is much wider than its area.  So the opening view names the larger and
higher-ranked areas only, and zooming in names more.  The names sit in their
own pane above the areas and below markers, and let every click and hover
through to the area under them.

Area names come from uploaded layers: they are escaped here.

>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> areas = gpd.GeoDataFrame({"area_name": ["大块", "<b>小</b>"]},
...                          geometry=[box(0, 0, 4, 2), box(5, 0, 6, 1)], crs=4326)
>>> label_points(areas, priority=[1, 2])[["text", "lng", "lat", "radius", "row"]].to_dict("records")
[{'text': '&lt;b&gt;小&lt;/b&gt;', 'lng': 5.5, 'lat': 0.5, 'radius': 0.5, 'row': 1}, {'text': '大块', 'lng': 1.0, 'lat': 1.0, 'radius': 1.0, 'row': 0}]
"""

from __future__ import annotations

import json
from html import escape

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template
from numpy.typing import ArrayLike

__all__ = ["CSS_CLASS", "KEEP_CLEAR", "LAYER_NAME", "AreaLabels", "add_area_labels", "anchors", "label_points"]

CSS_CLASS = "tuoke-area-label"
LAYER_NAME = "区域名称"
PANE = "tuokeLabels"  # above the areas (overlay pane, z 400), below markers (600) and tooltips (650)
MAX_SHOWN = 40  # never more names than this at once, whatever the zoom
OVERFLOW = 1.8  # a name may be this many times as wide as the largest circle inside its area
STEP = 18  # pixels a name moves down or up when its own place is taken (a site, a pie, another name)
KEEP_CLEAR = "tuoke-keep-clear"  # the class of what names must not cover: site marks and names, pies
AVOID = f".{KEEP_CLEAR}, .leaflet-control"  # ... and the controls (legend, zoom, layers, scale)
DECIMALS = 5
_CSS = (
    f".{CSS_CLASS}{{pointer-events:none}}"
    f".{CSS_CLASS} span{{position:absolute;left:0;top:0;white-space:nowrap;font:600 12px/1.25 sans-serif;"
    "color:#1f1f1f;letter-spacing:.5px;text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff,0 0 4px #fff}"
)


def anchors(geoms: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre (lng, lat) and radius of the largest circle inside each polygon, rounded to 5 decimals.

    Where a name, a pie or any mark of an area reads best: well inside the area, in
    its largest part, never outside a C-shaped area as a centroid can be.
    """
    circles = shapely.maximum_inscribed_circle(shapely.make_valid(np.asarray(geoms)))
    centre = shapely.get_point(circles, 0)
    return (np.round(shapely.get_x(centre), DECIMALS), np.round(shapely.get_y(centre), DECIMALS),
            np.round(shapely.length(circles), DECIMALS))


def label_points(areas: gpd.GeoDataFrame, priority: ArrayLike | None = None, *,
                 name_column: str = "area_name") -> pd.DataFrame:
    """One label per named, non-empty area, most important first.

    Parameters
    ----------
    areas : GeoDataFrame
        Polygons in the CRS they are drawn in (lng/lat degrees), with ``name_column``.
    priority : array-like, optional
        Larger first (e.g. visits, score).  Ties, and every area when ``None``,
        go by room: the larger area first.  Pass one constant for areas whose
        counts are withheld, so their order says nothing about their counts.
    name_column : str
        The column holding the names.

    Returns
    -------
    DataFrame
        ``text`` (the name, HTML-escaped), ``lng``, ``lat`` (where it is written,
        rounded to 5 decimals), ``radius`` (degrees: the room around that point),
        ``priority`` and ``row`` (the area's position in ``areas``); sorted by
        priority, then radius, both descending.
    """
    if name_column not in areas.columns:
        raise ValueError(f"'areas' should have a {name_column!r} column, got {list(areas.columns)}")
    prio = np.zeros(len(areas)) if priority is None else np.asarray(priority, dtype=float).ravel()
    if len(prio) != len(areas):
        raise ValueError(f"'priority' should have one value per area ({len(areas)}), got {len(prio)}")
    names = areas[name_column].astype(object)
    geoms = np.asarray(areas.geometry.values)
    keep = (names.notna() & (names.astype(str).str.strip() != "")).to_numpy().copy()
    keep &= ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    rows = np.flatnonzero(keep)
    geoms, names, prio = geoms[keep], names[keep].astype(str).str.strip(), np.nan_to_num(prio[keep], nan=-1.0)
    if not len(geoms):
        return pd.DataFrame(columns=["text", "lng", "lat", "radius", "priority", "row"])
    lng, lat, radius = anchors(geoms)
    out = pd.DataFrame({"text": [escape(n) for n in names], "lng": lng, "lat": lat, "radius": radius,
                        "priority": prio, "row": rows})
    return out.sort_values(["priority", "radius"], ascending=False, kind="stable").reset_index(drop=True)


def _js_json(obj: object) -> str:
    """JSON that is safe inside a <script> element."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


class AreaLabels(MacroElement):
    """The names of :func:`label_points`, added to their parent layer and laid out on every move."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function (map, group, D) {
    if (!document.getElementById("tuoke-label-css")) {
        var css = document.createElement("style"); css.id = "tuoke-label-css";
        css.textContent = D.css; document.head.appendChild(css);
    }
    if (!map.getPane(D.pane)) {
        var pane = map.createPane(D.pane); pane.style.zIndex = 450; pane.style.pointerEvents = "none";
    }
    var items = D.rows.map(function (r) {
        var html = '<span style="transform:translate(-50%, calc(-50% + ' + (r[4] || 0) + 'px))">' + r[3] + "</span>";
        var m = L.marker([r[0], r[1]], {pane: D.pane, interactive: false, keyboard: false,
            icon: L.divIcon({className: D.cls, html: html, iconSize: null})});
        m.addTo(group);
        return {m: m, lat: r[0], lng: r[1], r: r[2], dy: r[4] || 0};
    });
    function clash(a, b) { return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom; }
    function layout() {
        var box = map.getContainer().getBoundingClientRect(), taken = [], shown = 0;
        if (!map.hasLayer(group) || !box.width || !box.height) { return; }  // not drawn yet: a resize follows
        map.getContainer().querySelectorAll(D.avoid).forEach(function (el) {
            var b = el.getBoundingClientRect();
            if (b.width && b.height) { taken.push(b); }
        });
        items.forEach(function (it) {
            var el = it.m.getElement();
            if (!el) { return; }
            el.style.visibility = "hidden";
            if (shown >= D.max) { return; }
            var c = map.latLngToContainerPoint([it.lat, it.lng]);
            var room = 2 * Math.abs(map.latLngToContainerPoint([it.lat, it.lng + it.r]).x - c.x);
            var span = el.firstChild, b = span.getBoundingClientRect();
            if (b.width > D.overflow * room) { return; }
            // where the name may go: its own place first, then a little below, above, left or right
            // (a shifted name must stay inside the area's largest circle)
            var w = b.width / 2 + 6, places = it.dy ? [[0, it.dy], [0, -it.dy], [0, it.dy + D.step]]
                : [[0, 0], [0, D.step], [0, -D.step], [-w, 0], [w, 0]];
            for (var k = 0; k < places.length; k++) {
                var dx = places[k][0], dy = places[k][1];
                if (k > 0 && Math.sqrt(dx * dx + dy * dy) > room / 2 + 6) { continue; }
                span.style.transform = "translate(calc(-50% + " + dx + "px), calc(-50% + " + dy + "px))";
                b = span.getBoundingClientRect();
                var p = {left: b.left - 3, right: b.right + 3, top: b.top - 1, bottom: b.bottom + 1};
                if (p.left < box.left || p.right > box.right || p.top < box.top || p.bottom > box.bottom) { continue; }
                var free = true;
                for (var i = 0; i < taken.length && free; i++) { free = !clash(p, taken[i]); }
                if (!free) { continue; }
                taken.push(p);
                el.style.visibility = "";
                shown += 1;
                return;
            }
        });
    }
    map.on("zoomend moveend resize overlayadd tuoke:layout", layout);
    map.whenReady(function () { setTimeout(layout, 0); });
    if (window.ResizeObserver) {  // the frame may get its size after the map is made (two maps side by side)
        new ResizeObserver(function () { layout(); }).observe(map.getContainer());
    }
})({{ this.map_name }}, {{ this._parent.get_name() }}, {{ this.payload }});
{% endmacro %}
""")

    def __init__(self, points: pd.DataFrame, map_name: str, *, offsets: ArrayLike | None = None,
                 max_shown: int = MAX_SHOWN):
        super().__init__()
        self._name = "AreaLabels"
        dy = np.zeros(len(points)) if offsets is None else np.asarray(offsets, dtype=float)
        rows = [[float(la), float(ln), float(r), str(t), round(float(d), 1)]
                for la, ln, r, t, d in zip(points["lat"], points["lng"], points["radius"], points["text"], dy)]
        self.map_name = map_name
        self.payload = _js_json({"rows": rows, "css": _CSS, "cls": CSS_CLASS, "pane": PANE, "avoid": AVOID,
                                 "max": int(max_shown), "overflow": OVERFLOW, "step": STEP})


def add_area_labels(m: folium.Map, areas: gpd.GeoDataFrame, priority: ArrayLike | None = None, *,
                    name_column: str = "area_name", offsets: ArrayLike | None = None,
                    max_shown: int = MAX_SHOWN) -> folium.FeatureGroup:
    """Write the names of ``areas`` (polygons as drawn, i.e. after any GCJ-02 shift) on ``m``.

    ``priority`` as for :func:`label_points`; ``offsets`` (one per area, pixels)
    moves a name down, e.g. to sit under a pie.  Returns the layer 「区域名称」.
    """
    points = label_points(areas, priority, name_column=name_column)
    group = folium.FeatureGroup(name=LAYER_NAME, overlay=True, control=True, show=True).add_to(m)
    shift = np.zeros(len(areas)) if offsets is None else np.nan_to_num(np.asarray(offsets, dtype=float).ravel())
    if len(shift) != len(areas):
        raise ValueError(f"'offsets' should have one value per area ({len(areas)}), got {len(shift)}")
    dy = shift[points["row"].to_numpy(dtype=int)]
    AreaLabels(points, m.get_name(), offsets=dy, max_shown=max_shown).add_to(group)
    return group
