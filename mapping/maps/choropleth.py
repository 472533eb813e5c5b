"""Areas shaded by a count (visitors, deals…), with tooltips and a legend.

Input is a polygon layer (WGS-84) and per-area counts from
:func:`mapping.analysis.aggregate.area_counts`; output is a folium map built on
:func:`mapping.maps.render.make_map`.  For the Gaode basemap the polygons are shifted
to GCJ-02 for display only.
"""

from __future__ import annotations

from html import escape

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from folium.map import Layer
from folium.template import Template

from mapping.analysis.breaks import class_breaks
from mapping.maps.labels import add_area_labels
from mapping.maps.legend import Legend, legend_html, range_rows
from mapping.maps.overlays import add_city_borders, add_sites, to_display
from mapping.maps.palette import ORANGES, ZERO_FILL, colour_of, ramp
from mapping.maps.render import DEFAULT_BASEMAP, make_map

TOOLTIP_FIELDS = {"area_name": "区域", "visits": "到访", "high_intention": "高意向(A/B)", "deals": "成交",
                  "conversion_text": "成交率"}
VALUE_LABELS = {"visits": "到访人数", "deals": "成交人数", "high_intention": "高意向人数"}
HIDDEN_FILL = "#d9d9d9"  # 样本不足 areas: the graded map's grey
OPPORTUNITY_COLOUR = "#1c7ed6"  # dashed outline of 机会战场, blue against the orange-red grades


class SubsetOutline(Layer):
    """Outlines of some areas of a ``folium.GeoJson`` already on the map (``source``, features with an
    ``area_id``), made in the browser from that layer's features, with the area's name as a tooltip.

    The geometry travels once: the battle map's 机会战场 outlines used to be a second GeoJSON repeating
    the polygons of their areas (117 KB of a 282 KB map with 31 opportunity areas at 200,000 visitors,
    sent to and parsed by every browser).  Names are the source's ``area_name`` (HTML-escaped by
    :func:`features_json`).
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson(null, {style: function () { return {{ this.style|tojson }}; }});
        (function (ids) {
            {{ this.source.get_name() }}.eachLayer(function (layer) {
                var f = layer.feature;
                if (f && f.properties && ids.indexOf(f.properties.area_id) >= 0) {
                    {{ this.get_name() }}.addData({type: "Feature", properties: {area_name: f.properties.area_name},
                                                   geometry: f.geometry});
                }
            });
        })({{ this.ids|tojson }});
        {{ this.get_name() }}.bindTooltip(function (layer) {
            return "<b>" + {{ this.tooltip|tojson }} + "</b> " + layer.feature.properties.area_name;
        }, {sticky: true});
        {% endmacro %}
    """)

    def __init__(self, source: folium.GeoJson, ids, *, name: str, tooltip: str, style: dict):
        super().__init__(name=name, overlay=True)
        self._name = "SubsetOutline"
        self.source, self.ids, self.tooltip, self.style = source, [str(i) for i in ids], tooltip, style


def features_json(frame: gpd.GeoDataFrame) -> str:
    """``frame`` as GeoJSON for ``folium.GeoJson``, its ``area_name`` HTML-escaped.

    folium's GeoJsonTooltip writes property values into the page as HTML, and area
    names come from uploaded layers: a name such as ``<img src=x onerror=...>``
    would otherwise run in the map's frame.  Only the names are escaped: the
    other texts are the app's own, and ids must come back unchanged from a click.
    """
    if "area_name" in frame.columns:
        frame = frame.assign(area_name=[escape(str(n)) if isinstance(n, str) else n for n in frame["area_name"]])
    return frame.to_json(drop_id=True)


def visitor_choropleth(layer: gpd.GeoDataFrame, counts: pd.DataFrame, basemap: str = DEFAULT_BASEMAP,
                       title: str = "", value: str = "visits", min_count: int = 1, *,
                       sites: list[dict] = (), borders: gpd.GeoDataFrame | None = None) -> folium.Map:
    """Areas of ``layer`` shaded by ``value`` (from :func:`mapping.analysis.aggregate.area_counts`).

    Areas with at least one but fewer than ``min_count`` visitors are 样本不足: grey,
    their counts written "<k" in the tooltip (never the number) and left out of the
    class breaks.  The payload depends on the number of polygons only: one feature
    per area with its counts as properties, never a feature per visitor.  The areas
    with most visitors carry their names (:mod:`mapping.maps.labels`); ``sites``
    (:func:`mapping.maps.overlays.project_sites`) are marked, and ``borders`` (city outlines) drawn.
    """
    data = layer[["area_id", "geometry"]].merge(
        counts[["area_id", "area_name", "visits", "high_intention", "deals", "conversion"]],
        on="area_id", how="left")
    data[["visits", "high_intention", "deals"]] = data[["visits", "high_intention", "deals"]].fillna(0).astype(int)
    data["conversion_text"] = (data["conversion"].fillna(0) * 100).round(1).astype(str) + "%"
    hidden = ((data["visits"] > 0) & (data["visits"] < min_count)).to_numpy()
    priority = np.where(hidden, -1, data["visits"])  # withheld areas: one rank, their counts untold
    breaks = class_breaks(data.loc[~hidden, value].to_numpy())
    colours = ramp(ORANGES, len(breaks))
    data["fill"] = np.where(hidden, HIDDEN_FILL, colour_of(data[value], breaks, colours, zero=ZERO_FILL))
    if hidden.any():
        for col in ("visits", "high_intention", "deals"):
            data[col] = [f"<{min_count}" if h else int(v) for v, h in zip(data[col], hidden)]
        data.loc[hidden, "conversion_text"] = "—"
    data = to_display(data.drop(columns=["conversion"]), basemap)
    minx, miny, maxx, maxy = data.total_bounds
    m = make_map(center=((miny + maxy) / 2, (minx + maxx) / 2), zoom=10, basemap=basemap)
    folium.GeoJson(
        features_json(data),
        name="区域",
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#555555", "weight": 0.8,
                                  "fillOpacity": 0.75},
        highlight_function=lambda f: {"weight": 2.5, "color": "#222222"},
        tooltip=folium.GeoJsonTooltip(fields=list(TOOLTIP_FIELDS), aliases=list(TOOLTIP_FIELDS.values()),
                                      localize=True, sticky=True),
    ).add_to(m)
    add_area_labels(m, data, priority)
    add_city_borders(m, borders, basemap)
    add_sites(m, sites, basemap)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    rows = [(ZERO_FILL, "0"), *range_rows(breaks, colours, low=max(min_count, 1) if value == "visits" else 1)]
    if hidden.any():
        rows.append((HIDDEN_FILL, f"样本不足（少于 {min_count} 人，不显示人数）"))
    Legend(legend_html(title, rows, subtitle=VALUE_LABELS.get(value, value))).add_to(m)
    return m


def outline_map(layer: gpd.GeoDataFrame, basemap: str = DEFAULT_BASEMAP) -> folium.Map:
    """Area outlines with their names as tooltips, for picking a place by clicking."""
    data = to_display(layer[["area_name", "geometry"]], basemap)
    minx, miny, maxx, maxy = data.total_bounds
    m = make_map(center=((miny + maxy) / 2, (minx + maxx) / 2), zoom=10, basemap=basemap)
    folium.GeoJson(
        features_json(data), name="区域",
        style_function=lambda f: {"fillColor": "#fdd0a2", "color": "#8c2d04", "weight": 0.8, "fillOpacity": 0.25},
        tooltip=folium.GeoJsonTooltip(fields=["area_name"], aliases=["区域"]),
    ).add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


GRADED_TOOLTIP = {"area_name": "区域", "grade": "等级", "rank_text": "排名", "score_text": "得分",
                  "visits_text": "到访", "high_text": "高意向(A/B)", "deals_text": "成交", "conversion_text": "成交率"}


def graded_choropleth(layer: gpd.GeoDataFrame, table: pd.DataFrame, legend_rows: list[dict], *,
                      basemap: str = DEFAULT_BASEMAP, title: str = "", subtitle: str = "",
                      min_count: int = 5, highlight: set[str] | None = None,
                      m: folium.Map | None = None, fill_opacity: float = 0.78, labels: bool = True) -> folium.Map:
    """Areas of ``layer`` coloured by grade (A/B/C/D, 样本不足, 无到访).

    ``table`` is :func:`mapping.analysis.battle.graded` output; counts of 样本不足 areas are
    written as "<k", never the number.  ``highlight`` area ids (opportunity areas)
    get a dashed blue outline in their own layer.  With ``labels`` the best-scored
    areas carry their names (:mod:`mapping.maps.labels`).  One feature per area: the
    payload does not grow with the number of visitors.
    """
    from mapping.analysis.grading import GRADE_COLOURS, GRADES, INSUFFICIENT, NO_VISITS

    data = layer[["area_id", "geometry"]].merge(table, on="area_id", how="inner")
    hidden = data["grade"] == INSUFFICIENT
    none = data["grade"] == NO_VISITS

    def text(values, fmt):
        return [f"<{min_count}" if h else ("0" if n else fmt(v)) for v, h, n in zip(values, hidden, none)]

    data["rank_text"] = ["—" if pd.isna(r) else f"第 {int(r)} 名" for r in data["rank"]]
    data["score_text"] = ["—" if (h or n) else f"{s:,.1f}" for s, h, n in zip(data["score"], hidden, none)]
    data["visits_text"] = text(data["visits"], lambda v: f"{int(v):,}")
    data["high_text"] = text(data["high_intention"], lambda v: f"{int(v):,}")
    data["deals_text"] = text(data["deals"], lambda v: f"{int(v):,}")
    data["conversion_text"] = ["—" if (h or n) else f"{c * 100:.1f}%"
                               for c, h, n in zip(data["conversion"], hidden, none)]
    data["fill"] = data["grade"].map(GRADE_COLOURS).fillna(ZERO_FILL)
    priority = np.where(hidden | none, -1, data["score"].fillna(-1))  # ungraded areas: one rank, counts untold
    keep = ["area_id", "geometry", "fill", *GRADED_TOOLTIP]
    data = to_display(data[keep], basemap)
    data["geometry"] = shapely.set_precision(data.geometry.values, 1e-5)
    if m is None:
        # open on the A–C areas (where the teams go), else on every graded area, else on all
        best, graded = data[data["grade"].isin(GRADES[:3])], data[~data["grade"].isin([INSUFFICIENT, NO_VISITS])]
        minx, miny, maxx, maxy = next(f for f in (best, graded, data) if len(f)).total_bounds
        m = make_map(center=((miny + maxy) / 2, (minx + maxx) / 2), zoom=10, basemap=basemap)
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    areas = folium.GeoJson(
        features_json(data), name="分级区域",
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#555555", "weight": 0.8,
                                  "fillOpacity": fill_opacity},
        highlight_function=lambda f: {"weight": 3, "color": "#111111"},
        tooltip=folium.GeoJsonTooltip(fields=list(GRADED_TOOLTIP), aliases=list(GRADED_TOOLTIP.values()),
                                      sticky=True),
    )
    areas.add_to(m)
    if labels:
        add_area_labels(m, data, priority)
    if highlight:
        chosen = sorted(set(data["area_id"]) & set(highlight))
        if chosen:
            SubsetOutline(areas, chosen, name="机会战场", tooltip="机会战场",
                          style={"fill": False, "color": OPPORTUNITY_COLOUR, "weight": 3, "dashArray": "6 4"}).add_to(m)
    rows = [(r["colour"], r["label"]) for r in legend_rows]
    if highlight:
        rows.append((OPPORTUNITY_COLOUR, "机会战场", "outline"))
    Legend(legend_html(title, rows, subtitle=subtitle)).add_to(m)
    return m
