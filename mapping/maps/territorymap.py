r"""The territory map: a plan's graded areas coloured by the team that works them.

One feature per area (the payload never grows with visitors); the fill colour says the team
(:func:`team_colours`, stable per team id), its strength the grade (A strongest), white areas have
no team yet.  Every text in a tooltip (area and team names come from users and uploaded layers) is
HTML-escaped.  :func:`area_at` finds the area under a click on this map (in the basemap's CRS).

>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> shapes = gpd.GeoDataFrame({"area_id": ["a"], "area_name": ["<b>金桥</b>"]}, geometry=[box(121.5, 31.2, 121.6, 31.3)],
...                           crs=4326)
>>> table = pd.DataFrame({"area_id": ["a"], "grade": ["A"], "team_id": [1], "tactic": ["社区巡展"], "target_visits": [40]})
>>> html = territory_map(shapes, table, pd.DataFrame({"id": [1], "name": ["<i>先锋</i>"]})).get_root().render()
>>> "<i>" in html, "\\u0026lt;i\\u0026gt;" in html  # escaped (and JSON-encoded) in tooltip and legend
(False, True)
>>> area_at(shapes, 121.55, 31.25), area_at(shapes, 120.0, 31.25)
('a', None)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mapping.geo.coords import gcj02_to_wgs84
from mapping.maps.legend import Legend, legend_html
from mapping.maps.overlays import add_sites, to_display
from mapping.maps.render import DEFAULT_BASEMAP, display_crs, make_map
from mapping.schema import GCJ02

# qualitative colours that stay apart from each other (Tableau 10), for up to ten teams; then they repeat
TEAM_PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
                "#9c755f", "#bab0ac")
NO_TEAM_FILL = "#ffffff"
GRADE_OPACITY = {"A": 0.85, "B": 0.68, "C": 0.5, "D": 0.34}
UNGRADED_OPACITY = 0.15
TOOLTIP = {"area_name": "区域", "grade": "等级", "team": "团队", "tactic": "打法", "targets": "周目标"}
NO_TEAM = "未分配"


def team_colours(team_ids: Iterable[int]) -> dict[int, str]:
    """Team id → colour, by the order of the ids (so a team keeps its colour while others are added after it).

    >>> team_colours([7, 3])
    {3: '#4e79a7', 7: '#f28e2b'}
    """
    return {t: TEAM_PALETTE[i % len(TEAM_PALETTE)] for i, t in enumerate(sorted({int(t) for t in team_ids}))}


def territory_map(polygons: gpd.GeoDataFrame, table: pd.DataFrame, teams: pd.DataFrame, *,
                  basemap: str = DEFAULT_BASEMAP, title: str = "", subtitle: str = "",
                  sites: Iterable[Mapping] = ()) -> folium.Map:
    """Areas of ``polygons`` (WGS-84, ``area_id``, ``area_name``) that are in ``table`` (``area_id``,
    ``grade``, ``team_id``, optionally ``tactic``, ``target_visits``), filled with their team's colour.

    ``teams``: ``id``, ``name`` (a team id not in it is shown as 「已删除的团队」).  ``sites``: the project
    and its competitors (:func:`mapping.maps.overlays.project_sites`).
    """
    names = dict(zip(teams["id"].astype(int), teams["name"].astype(str))) if len(teams) else {}
    colours = team_colours(names)
    data = polygons[["area_id", "area_name", "geometry"]].assign(area_id=polygons["area_id"].astype(str))
    rows = table.assign(area_id=table["area_id"].astype(str)).drop(columns=["area_name"], errors="ignore")
    data = data.merge(rows, on="area_id", how="inner")
    team = pd.to_numeric(data["team_id"], errors="coerce")
    data["fill"] = [NO_TEAM_FILL if pd.isna(t) else colours.get(int(t), "#555555") for t in team]
    data["opacity"] = data["grade"].map(GRADE_OPACITY).fillna(UNGRADED_OPACITY)
    data["team"] = [escape(NO_TEAM if pd.isna(t) else names.get(int(t), f"已删除的团队（编号 {int(t)}）")) for t in team]
    data["tactic"] = [escape(str(x)) if isinstance(x, str) and x else "—" for x in data.get("tactic", "")]
    visits = data["target_visits"] if "target_visits" in data else pd.Series(0, index=data.index)
    data["targets"] = [f"到访 {int(v)} 人" if pd.notna(v) and v else "—" for v in visits]
    data["grade"] = [escape(str(g)) for g in data["grade"]]
    data["area_name"] = [escape(str(n)) for n in data["area_name"]]  # escaped here: GeoJson writes them as HTML
    data = to_display(data[["area_id", "geometry", "fill", "opacity", *TOOLTIP]], basemap)
    data["geometry"] = shapely.set_precision(data.geometry.values, 1e-5)
    m = _base(data, basemap)
    if len(data):
        folium.GeoJson(
            data.to_json(drop_id=True), name="片区",
            style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#444444", "weight": 0.8,
                                      "fillOpacity": f["properties"]["opacity"]},
            highlight_function=lambda f: {"weight": 3, "color": "#111111"},
            tooltip=folium.GeoJsonTooltip(fields=list(TOOLTIP), aliases=list(TOOLTIP.values()), sticky=True),
        ).add_to(m)
    add_sites(m, list(sites), basemap)
    used = sorted({int(t) for t in team.dropna()})
    legend = [(colours.get(t, "#555555"), names.get(t, f"已删除的团队（编号 {t}）")) for t in used]
    legend.append((NO_TEAM_FILL, NO_TEAM))
    Legend(legend_html(title, legend, subtitle=subtitle, footer="颜色深浅 = 等级（A 最深）")).add_to(m)
    return m


def _base(data: gpd.GeoDataFrame, basemap: str) -> folium.Map:
    if not len(data):
        return make_map(basemap=basemap)
    minx, miny, maxx, maxy = data.total_bounds
    m = make_map(center=((miny + maxy) / 2, (minx + maxx) / 2), zoom=10, basemap=basemap)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def area_at(polygons: gpd.GeoDataFrame, lng: float, lat: float, basemap: str = DEFAULT_BASEMAP) -> str | None:
    """The id of the area of ``polygons`` (WGS-84) under a click at (``lng``, ``lat``) on a map with
    ``basemap`` (a click on the Gaode basemap is in GCJ-02 and is shifted back); None outside every area."""
    if display_crs(basemap) == GCJ02:
        x, y = gcj02_to_wgs84(np.array([lng]), np.array([lat]))
        lng, lat = float(x[0]), float(y[0])
    hit = polygons[polygons.geometry.contains(shapely.Point(float(lng), float(lat)))]
    return None if hit.empty else str(hit["area_id"].iloc[0])
