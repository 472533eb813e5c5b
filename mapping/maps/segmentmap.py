"""Maps of the 客群细分 page: the work map by industry (areas and parks) and the hometown (籍贯) map.

Both follow the app's map rules: *k* applied before anything is drawn (a withheld area grey with
"<k" in its tooltip, a withheld park or hometown not drawn at all), every text a user or a file
could have typed HTML-escaped (:func:`mapping.maps.overlays.html_text`) before it reaches a
tooltip, one feature per area (the payload does not grow with the number of visitors), polygons
shifted to GCJ-02 only for the Gaode basemap.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from mapping.analysis.breaks import class_breaks
from mapping.maps.choropleth import visitor_choropleth
from mapping.maps.legend import Legend, legend_html, range_rows
from mapping.maps.overlays import _display_xy, html_text, to_display
from mapping.maps.palette import ORANGES, ZERO_FILL, colour_of, ramp
from mapping.maps.render import DEFAULT_BASEMAP, make_map

__all__ = ["PARK_COLOUR", "origin_map", "work_map"]

PARK_COLOUR = "#1c7ed6"  # park circles: blue over the orange areas
CHINA_CENTRE = (35.0, 105.0)
ORIGIN_TOOLTIP = {"name_html": "籍贯", "province_html": "所属省份", "visits_text": "到访", "deals_text": "成交",
                  "conversion_text": "成交率"}


def _park_tooltip(name: str, visits: int, deals: int, conversion: float) -> str:
    return (f"<b>{html_text(name)}</b><br>园区内到访 {visits:,} · 成交 {deals:,} · 成交率 {conversion:.1%}")


def work_map(layer: gpd.GeoDataFrame, areas: pd.DataFrame, in_parks: pd.DataFrame, *, min_count: int,
             title: str = "", basemap: str = DEFAULT_BASEMAP, sites: list[dict] = (),
             borders: gpd.GeoDataFrame | None = None) -> folium.Map:
    """Work areas shaded by work visitors (:func:`mapping.maps.choropleth.visitor_choropleth`, with its *k*
    rule) and a blue circle per park with at least ``min_count`` visitors, sized by them.

    ``areas`` and ``in_parks`` come from :func:`mapping.segments.work.map_counts`.  Park names are escaped.

    >>> from shapely.geometry import box
    >>> layer = gpd.GeoDataFrame({"area_id": ["A"]}, geometry=[box(121.5, 31.2, 121.7, 31.3)], crs=4326)
    >>> areas = pd.DataFrame({"area_id": ["A"], "area_name": ["金桥"], "visits": [9], "high_intention": [3],
    ...                       "deals": [2], "conversion": [2 / 9]})
    >>> parks = pd.DataFrame({"name": ["<b>园</b>"], "lng": [121.6], "lat": [31.25], "visits": [6], "deals": [1],
    ...                       "conversion": [1 / 6]})
    >>> html = work_map(layer, areas, parks, min_count=5).get_root().render()
    >>> "&lt;b&gt;园&lt;/b&gt;" in html, "<b>园</b>" in html
    (True, False)
    """
    m = visitor_choropleth(layer, areas, basemap, title, "visits", min_count, sites=sites, borders=borders)
    shown = in_parks[in_parks["visits"] >= max(min_count, 1)]
    if len(shown):
        group = folium.FeatureGroup(name="园区", overlay=True, control=True, show=True).add_to(m)
        x, y = _display_xy(shown["lng"], shown["lat"], basemap)
        biggest = float(shown["visits"].max())
        for (_, row), lng, lat in zip(shown.iterrows(), x, y):
            folium.CircleMarker(
                location=[float(lat), float(lng)], radius=float(6 + 14 * np.sqrt(row["visits"] / biggest)),
                color=PARK_COLOUR, weight=2, fill=True, fill_color=PARK_COLOUR, fill_opacity=0.35,
                tooltip=folium.Tooltip(_park_tooltip(str(row["name"]), int(row["visits"]), int(row["deals"]),
                                                     float(row["conversion"])), sticky=True),
            ).add_to(group)
    return m


def origin_map(table: pd.DataFrame, polygons: gpd.GeoDataFrame, *, level: str, min_count: int, title: str = "",
               value: str = "到访", basemap: str = DEFAULT_BASEMAP,
               outlines: gpd.GeoDataFrame | None = None) -> folium.Map:
    """Places of origin shaded by visitors (or ``value="成交"``), for the whole of China.

    ``table`` is :attr:`mapping.segments.origin.Origins.table` (places with at least *k* visitors only:
    withheld places are not in it and are not drawn).  ``polygons``: the level's layer
    (:func:`mapping.segments.origin.polygons`); places of ``table`` without a polygon (historic codes) are
    left off.  At city level only the listed cities are drawn, over ``outlines`` (the provinces) so the
    map stays light (370 city outlines weigh 1.4 MB).  Every name in a tooltip is escaped.

    >>> from shapely.geometry import box
    >>> polys = gpd.GeoDataFrame({"adcode": ["320000", "330000"], "name": ["江苏省", "浙江省"]},
    ...                          geometry=[box(117, 31, 121, 35), box(118, 27, 122, 31)], crs=4326)
    >>> table = pd.DataFrame({"代码": ["320000"], "籍贯": ["<i>JS</i>"], "所属省份": [""], "到访": [12], "成交": [1],
    ...                       "成交率": [1 / 12], "占比": [1.0], "在地图上": [True]})
    >>> html = origin_map(table, polys, level="province", min_count=5).get_root().render()
    >>> "lt;i" in html, "<i>JS" in html  # escaped (the GeoJSON writes & as \\u0026)
    (True, False)
    """
    data = polygons[["adcode", "geometry"]].merge(table, left_on="adcode", right_on="代码", how="inner")
    values = data[value].astype(float).to_numpy() if len(data) else np.zeros(0)
    breaks = class_breaks(values)
    colours = ramp(ORANGES, len(breaks))
    m = make_map(center=CHINA_CENTRE, zoom=4, basemap=basemap)
    if level == "province":
        background = polygons[~polygons["adcode"].isin(data["adcode"])][["adcode", "name", "geometry"]]
    else:
        background = outlines[["adcode", "name", "geometry"]] if outlines is not None else None
    if background is not None and len(background):
        back = to_display(background.assign(name_html=[html_text(str(n)) for n in background["name"]]), basemap)
        folium.GeoJson(
            back[["name_html", "geometry"]].to_json(drop_id=True), name="省界",
            style_function=lambda f: {"fillColor": ZERO_FILL, "color": "#999999", "weight": 0.6,
                                      "fillOpacity": 0.35 if level == "province" else 0.15},
            tooltip=folium.GeoJsonTooltip(fields=["name_html"], aliases=["地区"]) if level == "province" else None,
        ).add_to(m)
    if len(data):
        shown = data.assign(
            fill=colour_of(values, breaks, colours, zero=ZERO_FILL),
            name_html=[html_text(str(n)) for n in data["籍贯"]],
            province_html=[html_text(str(n)) for n in data["所属省份"]],
            visits_text=[f"{int(v):,}" for v in data["到访"]], deals_text=[f"{int(v):,}" for v in data["成交"]],
            conversion_text=[f"{c:.1%}" for c in data["成交率"]])
        fields = {k: v for k, v in ORIGIN_TOOLTIP.items() if level == "city" or k != "province_html"}
        shown = to_display(shown[["fill", *fields, "geometry"]], basemap)
        folium.GeoJson(
            shown.to_json(drop_id=True), name="籍贯",
            style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#555555", "weight": 0.7,
                                      "fillOpacity": 0.8},
            highlight_function=lambda f: {"weight": 2.5, "color": "#222222"},
            tooltip=folium.GeoJsonTooltip(fields=list(fields), aliases=list(fields.values()), sticky=True),
        ).add_to(m)
        minx, miny, maxx, maxy = shown.total_bounds
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    rows = [*range_rows(breaks, colours, low=max(min_count, 1) if value == "到访" else 1),
            (ZERO_FILL, f"未列出（无到访或少于 {min_count} 人）")]
    Legend(legend_html(title, rows, subtitle=f"{value}人数（按{'省' if level == 'province' else '市'}）")).add_to(m)
    return m
