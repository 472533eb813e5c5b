"""Extra map layers: heat map, clustered customer points, project/competitor sites, hexagons.

Each ``add_*`` function adds one ``folium.FeatureGroup`` with a Chinese name to a
map made by :func:`mapping.maps.render.make_map`, so a ``folium.LayerControl`` can
switch it on and off.  Input is WGS-84; for the Gaode basemap coordinates are
shifted to GCJ-02 for display only (``basemap`` says which).

Privacy: customers are never drawn one marker per person.  Points are first
aggregated to a ~100 m grid (:func:`aggregate_points`); the cluster layer draws
only grid points with at least ``k`` people and reports what it withheld.

>>> import numpy as np
>>> from mapping.maps.render import make_map
>>> pts = aggregate_points(np.array([121.5001, 121.5002, 121.6]), np.array([31.2, 31.2, 31.3]))
>>> pts.to_dict("records")
[{'lng': 121.5, 'lat': 31.2, 'count': 2, 'label': ''}, {'lng': 121.6, 'lat': 31.3, 'count': 1, 'label': ''}]
>>> m = make_map(basemap="none")
>>> add_clusters(m, pts, "none", k=2)
(1, 1, 1)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from html import escape

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium import plugins
from jinja2 import Template
from numpy.typing import ArrayLike

from mapping.geo.coords import wgs84_to_gcj02
from mapping.maps.offline import use_local_assets
from mapping.maps.palette import ZERO_FILL
from mapping.maps.render import display_crs
from mapping.schema import GCJ02

__all__ = [
    "COMPETITOR_COLOUR",
    "DEFAULT_K",
    "PROJECT_COLOUR",
    "add_clusters",
    "add_heat",
    "add_hexagons",
    "add_sites",
    "aggregate_points",
    "project_sites",
]

DEFAULT_K = 5  # smallest number of people a drawn point may stand for
PROJECT_COLOUR = "#D9480F"
COMPETITOR_COLOUR = "#495057"
POINT_COLOUR = "#D9480F"
NO_FILL = ZERO_FILL  # hexagons with no colour given: the grey of empty areas
COORD_DECIMALS = 5  # ~1 m: plenty for display, keeps the HTML small


# --------------------------------------------------------------------------- helpers


def _display_xy(lng: ArrayLike, lat: ArrayLike, basemap: str) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 -> the basemap's CRS (GCJ-02 for Gaode), rounded to COORD_DECIMALS."""
    lng = np.asarray(lng, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if display_crs(basemap) == GCJ02:
        lng, lat = wgs84_to_gcj02(lng, lat)
    return np.round(lng, COORD_DECIMALS), np.round(lat, COORD_DECIMALS)


def to_display(gdf: gpd.GeoDataFrame, basemap: str) -> gpd.GeoDataFrame:
    """Shift WGS-84 geometries to the basemap's CRS (GCJ-02 for Gaode); a copy either way."""
    out = gdf.copy()
    if display_crs(basemap) == GCJ02:
        out["geometry"] = shapely.transform(
            out.geometry.values, lambda xy: np.round(np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])), 6))
    return out


def _localise(m: folium.Map) -> None:
    """Re-point the new plugin's JS/CSS at static/vendor, keeping the map's base URL."""
    opts = getattr(m.get_root(), "_offline_assets", None)
    if opts:
        use_local_assets(m, opts[0], strict=opts[1])
    else:
        use_local_assets(m)


def html_text(text: str) -> str:
    """``text`` as HTML, also safe inside the JS template literal folium wraps tooltips in.

    >>> html_text("a<b>`${x}`")
    'a&lt;b&gt;&#96;&#36;{x}&#96;'
    """
    return escape(text).replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


_html_text = html_text


def _group(m: folium.Map, name: str) -> folium.FeatureGroup:
    return folium.FeatureGroup(name=name, overlay=True, control=True, show=True).add_to(m)


# --------------------------------------------------------------------------- points


def aggregate_points(
    lng: ArrayLike, lat: ArrayLike, labels: ArrayLike | None = None, precision: int = 3
) -> pd.DataFrame:
    """People per grid point: coordinates rounded to ``precision`` decimals (3 ≈ 100 m).

    Returns a DataFrame with columns ``lng``, ``lat`` (WGS-84, rounded), ``count``
    and ``label`` (the most common non-empty label of the point's people, ties
    broken alphabetically; "" when ``labels`` is None or all empty), sorted by
    count, largest first.  Points with NaN coordinates are left out.
    """
    lng = np.asarray(lng, dtype=float).ravel()
    lat = np.asarray(lat, dtype=float).ravel()
    if lng.shape != lat.shape:
        raise ValueError(f"lng 与 lat 长度不一致：{lng.size} ≠ {lat.size}")
    valid = np.isfinite(lng) & np.isfinite(lat)
    df = pd.DataFrame({"lng": np.round(lng[valid], precision), "lat": np.round(lat[valid], precision)})
    keys = ["lng", "lat"]
    out = df.groupby(keys, sort=False).size().rename("count").reset_index()
    out["label"] = ""
    if labels is not None and len(df):
        lab = pd.Series(np.asarray(labels, dtype=object).ravel())
        if len(lab) != len(lng):
            raise ValueError(f"labels 长度 {len(lab)} 与坐标数 {len(lng)} 不一致")
        lab = lab[valid].fillna("").astype(str).str.strip().to_numpy()
        df["label"] = lab
        named = df[df["label"] != ""]
        if len(named):
            top = (named.groupby([*keys, "label"], sort=False).size().rename("n").reset_index()
                   .sort_values(["n", "label"], ascending=[False, True], kind="stable")
                   .drop_duplicates(keys))
            out = out.drop(columns="label").merge(top[[*keys, "label"]], on=keys, how="left")
            out["label"] = out["label"].fillna("")
    out["count"] = out["count"].astype(int)
    out = out.sort_values(["count", "lat", "lng"], ascending=[False, True, True], kind="stable")
    return out.reset_index(drop=True)[["lng", "lat", "count", "label"]]


class _HeatClickThrough(MacroElement):
    """Let the mouse reach the layers under the heat map (hexagon / area tooltips).

    Leaflet.heat draws on a full-size canvas in the overlay pane that would
    otherwise swallow every hover and click.
    """

    _template = Template(
        "{% macro header(this, kwargs) %}"
        "<style>.leaflet-heatmap-layer { pointer-events: none; }</style>"
        "{% endmacro %}"
    )

    def __init__(self):
        super().__init__()
        self._name = "HeatClickThrough"


def add_heat(
    m: folium.Map, points_df: pd.DataFrame, basemap: str, name: str = "热力图", *,
    radius: int = 18, blur: int = 15, min_count: int = 1,
) -> folium.FeatureGroup:
    """A heat map of ``points_df`` (from :func:`aggregate_points`), weighted by ``count``.

    Points with fewer than ``min_count`` people are left out.  With the default
    1 every person counts; zoomed in far, a lone grid point then shows as its
    own small spot (on its ~100 m grid point, never the exact address): pass
    ``min_count=k`` where that is too much.  The Leaflet.heat
    script is served from static/vendor (``folium/leaflet_heat.min.js``).
    """
    df = points_df[points_df["count"] >= min_count]
    x, y = _display_xy(df["lng"].to_numpy(), df["lat"].to_numpy(), basemap)
    data = np.column_stack([y, x, df["count"].to_numpy(dtype=float)]).tolist()
    group = _group(m, name)
    plugins.HeatMap(data, radius=radius, blur=blur, min_opacity=0.3, max_zoom=13,
                    control=False).add_to(group)
    if not any(isinstance(c, _HeatClickThrough) for c in m._children.values()):
        m.add_child(_HeatClickThrough())
    _localise(m)
    return group


_CLUSTER_CALLBACK = """function (row) {
    var n = row[2];
    var marker = L.circleMarker(new L.LatLng(row[0], row[1]), {
        radius: Math.min(16, 5 + 4 * Math.log(n) / Math.LN10), count: n,
        color: "#ffffff", weight: 1.5, fillColor: "%s", fillOpacity: 0.85
    });
    marker.bindTooltip((row[3] ? row[3] + " " : "") + n + " 人");
    return marker;
}""" % POINT_COLOUR

# cluster bubbles show the people they stand for (sum of options.count), not the marker count
_CLUSTER_ICON = """function (cluster) {
    var n = 0, children = cluster.getAllChildMarkers();
    for (var i = 0; i < children.length; i++) { n += children[i].options.count || 0; }
    var size = n < 100 ? "small" : (n < 1000 ? "medium" : "large");
    var text = n < 10000 ? String(n) : (n / 10000).toFixed(1) + "万";
    return L.divIcon({html: "<div><span>" + text + "</span></div>",
                      className: "marker-cluster marker-cluster-" + size,
                      iconSize: new L.Point(40, 40)});
}"""


def add_clusters(
    m: folium.Map, points_df: pd.DataFrame, basemap: str, k: int = DEFAULT_K, name: str = "客户聚集点",
) -> tuple[int, int, int]:
    """Clustered circle markers, one per grid point of ``points_df`` with ``count >= k``.

    Grid points with fewer than ``k`` people are not drawn at all.  A cluster
    bubble shows the number of people it holds; a point's tooltip is
    ``"{label} {count} 人"``.  Returns ``(drawn_points, hidden_points, hidden_people)``.
    """
    k = max(int(k), 1)
    counts = points_df["count"].to_numpy(dtype=int)
    shown = counts >= k
    df = points_df[shown]
    x, y = _display_xy(df["lng"].to_numpy(), df["lat"].to_numpy(), basemap)
    labels = (df["label"].fillna("").astype(str) if "label" in df.columns
              else pd.Series([""] * len(df), index=df.index))
    data = [[float(la), float(ln), int(c), escape(lb)]
            for la, ln, c, lb in zip(y, x, df["count"].to_numpy(dtype=int), labels)]
    group = _group(m, name)
    # FastMarkerCluster: the rows travel as one JSON array and the callback makes
    # an L.circleMarker per row, far smaller than one folium element per point
    plugins.FastMarkerCluster(data, callback=_CLUSTER_CALLBACK, icon_create_function=_CLUSTER_ICON,
                              control=False, showCoverageOnHover=False,
                              maxClusterRadius=60).add_to(group)
    _localise(m)
    return int(shown.sum()), int((~shown).sum()), int(counts[~shown].sum())


# --------------------------------------------------------------------------- sites


SITE_MARK_CLASS = "tuoke-site-mark tuoke-keep-clear"  # area names keep clear (mapping.maps.labels.KEEP_CLEAR)
SITE_LABEL_CLASS = "tuoke-site-label tuoke-keep-clear"


def _badge(name: str, project: bool) -> str:
    """A small mark on the site, and (project only) its name beside it, small and offset.

    The name sits up and to the right of the mark (left of it near the map's right
    edge), at most 8 characters wide (the rest on hover), and lets clicks through
    (``pointer-events:none``), so it hides little and blocks nothing of the area
    under the site; competitors show their name on hover only (the marker's tooltip).
    """
    colour = PROJECT_COLOUR if project else COMPETITOR_COLOUR
    kind = "project" if project else "competitor"
    if project:
        mark = (f'<span class="{SITE_MARK_CLASS}" style="position:absolute;left:0;top:0;'
                f'transform:translate(-50%,-50%);width:18px;height:18px;border-radius:9px;background:{colour};'
                'border:2px solid #fff;box-shadow:0 1px 4px rgba(0,0,0,.5);color:#fff;'
                'font:700 12px/18px sans-serif;text-align:center">★</span>')
        label = (f'<span class="{SITE_LABEL_CLASS}" style="position:absolute;left:12px;top:-21px;'
                 'white-space:nowrap;overflow:hidden;text-overflow:ellipsis;max-width:8em;pointer-events:none;'
                 f'padding:0 4px;border-radius:3px;background:rgba(255,255,255,.82);color:{colour};'
                 f'font:700 11px/1.5 sans-serif;box-shadow:0 0 2px rgba(0,0,0,.25)">{_html_text(name)}</span>')
    else:
        mark = (f'<span class="{SITE_MARK_CLASS}" style="position:absolute;left:0;top:0;'
                f'transform:translate(-50%,-50%);width:10px;height:10px;border-radius:6px;background:{colour};'
                'border:2px solid #fff;box-shadow:0 1px 3px rgba(0,0,0,.5)"></span>')
        label = ""
    return f'<div class="tuoke-site tuoke-site-{kind}" style="position:absolute;left:0;top:0">{mark}{label}</div>'


class _SiteNamesInside(MacroElement):
    """Keep the project's name inside the map: near the right edge it goes to the left of its mark."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function (map) {
    function place() {
        var box = map.getContainer().getBoundingClientRect(), moved = false;
        map.getContainer().querySelectorAll(".tuoke-site-label").forEach(function (el) {
            var left = el.style.right === "auto" || !el.style.right;
            el.style.left = "12px"; el.style.right = "auto";
            var flip = el.getBoundingClientRect().right > box.right - 2;
            if (flip) { el.style.left = "auto"; el.style.right = "12px"; }
            moved = moved || (flip === left);
        });
        if (moved) { map.fire("tuoke:layout"); }  // area names make room again
    }
    map.on("zoomend moveend resize", place);
    map.whenReady(function () { setTimeout(place, 0); });
    if (window.ResizeObserver) { new ResizeObserver(place).observe(map.getContainer()); }
})({{ this._parent.get_name() }});
{% endmacro %}
""")

    def __init__(self):
        super().__init__()
        self._name = "SiteNamesInside"


def project_sites(project) -> list[dict]:
    """The project's own site (if set) and its competitors, as :func:`add_sites` takes them.

    ``project``: a :class:`mapping.project.Project` (its ``name``, ``site``,
    ``site_lng``/``site_lat`` and ``competitors``).
    """
    sites = []
    if project.site is not None:
        sites.append({"name": f"{project.name}（本项目）", "lng": project.site_lng, "lat": project.site_lat,
                      "kind": "project"})
    sites += [{**c, "kind": "competitor"} for c in project.competitors]
    return sites


def add_sites(
    m: folium.Map, sites: Iterable[Mapping], basemap: str, name: str = "项目与竞品",
) -> folium.FeatureGroup:
    """Marks for the project (orange ★ with its name beside it) and its competitors (dark grey dots).

    ``sites``: dicts with ``name``, ``lng``, ``lat`` (WGS-84) and ``kind``
    ("project" or "competitor"); sites without coordinates are skipped.  Every
    name is also the marker's tooltip.  The marks are HTML (``folium.DivIcon``):
    no image is loaded from anywhere.  :func:`project_sites` makes ``sites`` from
    a project.
    """
    rows = [s for s in sites
            if s.get("lng") is not None and s.get("lat") is not None
            and np.isfinite(float(s["lng"])) and np.isfinite(float(s["lat"]))]
    group = _group(m, name)
    if not rows:
        return group
    x, y = _display_xy([float(s["lng"]) for s in rows], [float(s["lat"]) for s in rows], basemap)
    if not any(isinstance(c, _SiteNamesInside) for c in m._children.values()):
        m.add_child(_SiteNamesInside())
    for s, ln, la in zip(rows, x, y):
        kind = str(s.get("kind", "competitor"))
        if kind not in ("project", "competitor"):
            raise ValueError(f"未知的地点类型 {kind!r}：应为 'project'（本项目）或 'competitor'（竞品）")
        project = kind == "project"
        label = str(s.get("name") or ("本项目" if project else "竞品"))
        folium.Marker(
            [float(la), float(ln)],
            icon=folium.DivIcon(html=_badge(label, project), icon_size=(0, 0), icon_anchor=(0, 0),
                                class_name="tuoke-site-icon"),
            tooltip=_html_text(label),
            z_index_offset=1000 if project else 0,
        ).add_to(group)
    return group


# --------------------------------------------------------------------------- city borders

CITY_BORDER_COLOUR = "#343a40"  # dark grey, heavier than the district outlines


def add_city_borders(m: folium.Map, outlines: gpd.GeoDataFrame | None, basemap: str,
                     name: str = "城市边界") -> folium.FeatureGroup | None:
    """Heavy dashed outlines of the cities a metropolitan map spans (``city_name``, ``geometry``; WGS-84).

    Drawn over the areas without fill and without catching clicks, so an area under a border
    still opens.  None (nothing drawn) for no outlines.
    """
    if outlines is None or outlines.empty:
        return None
    frame = to_display(outlines[["city_name", "geometry"]], basemap)
    frame["city_name"] = [_html_text(str(n)) for n in frame["city_name"]]
    group = _group(m, name)
    folium.GeoJson(
        frame.to_json(drop_id=True), name=name, interactive=False,
        style_function=lambda _f: {"color": CITY_BORDER_COLOUR, "weight": 3, "dashArray": "8 5", "fill": False,
                                   "opacity": 0.9},
    ).add_to(group)
    return group


# --------------------------------------------------------------------------- hexagons


def _js_json(obj: object) -> str:
    """Compact JSON that is safe inside a <script> element."""

    def default(o: object) -> object:
        if isinstance(o, np.generic):
            return o.item()
        return str(o)

    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=default)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _encode_ring(coords: np.ndarray) -> list[int]:
    """A closed ring as integer 1e-5 degrees: first vertex, then deltas; closing vertex dropped."""
    xy = np.rint(np.asarray(coords, dtype=float)[:-1, :2] * 10**COORD_DECIMALS).astype(np.int64)
    return np.vstack([xy[:1], np.diff(xy, axis=0)]).ravel().tolist()


def _encode_geometry(geom) -> list[list[list[int]]]:
    """Polygon / MultiPolygon -> [polygon: [ring: [x0, y0, dx1, dy1, ...], ...], ...]."""
    if not isinstance(geom, (shapely.Polygon, shapely.MultiPolygon)):
        raise ValueError(f"六边形图层只能包含面（Polygon/MultiPolygon），收到 {geom.geom_type}")
    polys = geom.geoms if isinstance(geom, shapely.MultiPolygon) else [geom]
    return [[_encode_ring(r.coords) for r in (p.exterior, *p.interiors)] for p in polys if not p.is_empty]


class _PolygonLayer(MacroElement):
    """Many polygons as one compact payload, rebuilt into an ``L.geoJson`` in the browser.

    Plain GeoJSON repeats ``"type": "Feature"``, the property names and 7 full
    coordinate pairs for every hexagon: over 5 MB (folium.GeoJson: more) for
    the 14,000 cells covering Shanghai at resolution 8.  Here the
    properties travel as columns, colours as a palette index and rings as
    integer deltas (1e-5 degrees, i.e. coordinates rounded to 5 decimals):
    ~110 bytes a cell.  Drawn on a canvas renderer; sticky tooltip with the
    chosen fields; hover outline.
    """

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.geoJson(null, {
    renderer: L.canvas({padding: 0.5}),
    style: function (f) {
        return {fillColor: f.properties.fill, fillOpacity: {{ this.fill_opacity|tojson }},
                color: {{ this.line_colour|tojson }}, weight: {{ this.line_weight|tojson }}, opacity: 0.9};
    },
    onEachFeature: function (f, layer) {
        layer.on({
            mouseover: function (e) { e.target.setStyle({weight: 2, color: "#222222"}); },
            mouseout: function (e) { {{ this.get_name() }}.resetStyle(e.target); }
        });
    }
});
(function (D) {
    function ring(r) {
        var x = r[0], y = r[1], out = [[x / 1e5, y / 1e5]];
        for (var j = 2; j < r.length; j += 2) { x += r[j]; y += r[j + 1]; out.push([x / 1e5, y / 1e5]); }
        out.push(out[0]);
        return out;
    }
    var features = [];
    for (var i = 0; i < D.ids.length; i++) {
        var polys = D.geom[i].map(function (p) { return p.map(ring); });
        var props = {};
        for (var k in D.props) { props[k] = D.props[k][i]; }
        props.fill = D.palette[D.fill[i]];
        features.push({type: "Feature", id: D.ids[i], properties: props,
            geometry: polys.length === 1 ? {type: "Polygon", coordinates: polys[0]}
                                         : {type: "MultiPolygon", coordinates: polys}});
    }
    {{ this.get_name() }}.addData({type: "FeatureCollection", features: features});
})({{ this.payload }});
{%- if this.fields %}
(function (F) {
    function esc(s) {
        return String(s).replace(/[&<>"']/g, function (c) {
            return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
        });
    }
    {{ this.get_name() }}.bindTooltip(function (layer) {
        var p = layer.feature.properties, rows = "";
        for (var i = 0; i < F.length; i++) {
            var v = p[F[i][0]];
            v = (v === null || v === undefined) ? "—" : (typeof v === "number" ? v.toLocaleString("zh-CN") : v);
            rows += '<tr><th style="text-align:left;padding-right:8px">' + esc(F[i][1]) + "</th>"
                  + "<td>" + esc(v) + "</td></tr>";
        }
        return "<table>" + rows + "</table>";
    }, {sticky: true});
})({{ this.fields_json }});
{%- endif %}
{{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{% endmacro %}
""")

    def __init__(self, payload: dict, fields: list[tuple[str, str]], *, fill_opacity: float = 0.75,
                 line_colour: str = "#ffffff", line_weight: float = 0.5):
        super().__init__()
        self._name = "PolygonLayer"
        self.payload = _js_json(payload)
        self.fields = fields
        self.fields_json = _js_json([list(f) for f in fields])
        self.fill_opacity, self.line_colour, self.line_weight = fill_opacity, line_colour, line_weight


def add_hexagons(
    m: folium.Map, hex_gdf: gpd.GeoDataFrame, fills: pd.Series, tooltip_fields: Mapping[str, str],
    basemap: str, name: str = "六边形网格",
) -> folium.FeatureGroup:
    """Hexagons (e.g. :func:`mapping.geo.hexgrid.hex_layer`) filled by ``fills`` (area_id -> colour).

    ``tooltip_fields``: ``{column of hex_gdf: Chinese alias}``; only these columns
    travel to the browser (plus ``area_id``, as each feature's id).  Cells
    missing from ``fills`` are light grey.  Coordinates are rounded to 5 decimals
    (~1 m) and sent compactly (see :class:`_PolygonLayer`): the 14,000 cells
    covering Shanghai at resolution 8 make a map of under 2 MB.  Polygons and
    MultiPolygons (e.g. hexagons clipped to a boundary) both work.
    """
    fields = list(tooltip_fields)
    missing = [f for f in [*fields, "area_id"] if f not in hex_gdf.columns]
    if missing:
        raise ValueError(f"六边形图层缺少列：{', '.join(missing)}")
    gdf = hex_gdf
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs(4326)
    keep = ~(gdf.geometry.isna() | gdf.geometry.is_empty).to_numpy()
    gdf = gdf[keep]

    def shift(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(_display_xy(xy[:, 0], xy[:, 1], basemap))

    geoms = shapely.transform(np.asarray(gdf.geometry.values), shift)
    ids = gdf["area_id"].astype(str)
    lookup = pd.Series(fills).astype(object)
    lookup.index = lookup.index.astype(str)
    colours = ids.map(lookup)
    colours = colours.where(colours.notna(), NO_FILL).astype(str)
    palette, fill_idx = np.unique(colours.to_numpy(dtype=str), return_inverse=True)
    props = {}
    for f in fields:
        col = gdf[f]
        props[f] = [None if v is None or (isinstance(v, float) and not np.isfinite(v)) or v is pd.NA
                    or v is pd.NaT else v for v in col.astype(object).tolist()]
    payload = {
        "ids": ids.tolist(), "palette": palette.tolist(), "fill": fill_idx.ravel().tolist(),
        "props": props, "geom": [_encode_geometry(g) for g in geoms],
    }
    group = _group(m, name)
    _PolygonLayer(payload, [(f, str(a)) for f, a in tooltip_fields.items()]).add_to(group)
    return group
