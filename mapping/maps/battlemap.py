"""The 拓客作战地图 itself: graded areas plus the optional overlays, one folium map.

Pages and the benchmark build the map through :func:`battle_map`, so what is
measured is what users get.  Everything here reads the cached
:class:`mapping.analysis.facts.Facts` arrays; nothing is per visitor in the payload.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from mapping import schema as S
from mapping.analysis import grading as G
from mapping.analysis.battle import Run
from mapping.analysis.breaks import class_breaks
from mapping.analysis.facts import Facts, Filters, area_stats
from mapping.geo import hexgrid
from mapping.maps import choropleth, overlays
from mapping.maps.palette import PURPLES, colour_of

OVERLAY_HEX_RESOLUTION = 8


def battle_map(facts: Facts, run: Run, table: pd.DataFrame, polygons: gpd.GeoDataFrame, filters: Filters, *,
               layers: Collection[str] = (), basemap: str = "none", title: str = "", subtitle: str = "",
               plan_grades: pd.DataFrame | None = None, sites: list[dict] = (),
               hexagons: Callable[[list[str]], gpd.GeoDataFrame] = hexgrid.hex_layer,
               borders: gpd.GeoDataFrame | None = None,
               ) -> tuple[folium.Map, list[str]]:
    """The graded map of ``table`` (:func:`mapping.analysis.battle.graded`) on display ``polygons``, with
    the chosen ``layers`` ("hex", "heat", "points", "sites", "opportunity") and a layer control.

    Returns the map and notes for the page (what was withheld, and why).  ``hexagons``
    turns cell ids into polygons (a page passes a cached one).  ``borders`` (city outlines,
    :func:`mapping.geo.boundaries.city_outline`) are drawn when the map spans several cities.
    """
    layers = set(layers)
    k = run.settings.min_count
    opportunity = set()
    if "opportunity" in layers and plan_grades is not None:
        opportunity = set(G.opportunities(table, plan_grades)["area_id"])
    busy = bool({"hex", "heat"} & layers)  # fade the grades so the overlay reads
    m = choropleth.graded_choropleth(polygons, table, G.legend(table, run.bins_for(filters.product_line or "")),
                                     basemap=basemap, title=title, subtitle=subtitle, min_count=k,
                                     highlight=opportunity, fill_opacity=0.35 if busy else 0.78,
                                     labels=hexgrid.parse_layer_id(run.layer_id) is None)  # no names on cells
    overlays.add_city_borders(m, borders, basemap)
    notes = []
    dims = run.settings.weights.of_dimension(run.settings.dimension)
    if "hex" in layers and hexgrid.parse_layer_id(run.layer_id) is None:
        _add_hexagons(m, facts, filters, dims, k, basemap, hexagons)
        notes.append(f"六边形只统计有坐标或地标点的位置，少于 {k} 人的六边形不画。")
    if "heat" in layers or "points" in layers:
        rows = facts.mask(filters) & np.isin(facts.dim, [S.DIMENSIONS.index(d) for d in dims]) & ~np.isnan(facts.lng)
        labels = np.where(facts.label >= 0, np.asarray(facts.labels + [""], dtype=object)[facts.label], "")
        points = overlays.aggregate_points(facts.lng[rows], facts.lat[rows], labels[rows],
                                           precision=2)  # ~1 km cells: enough people per point to show
        if "heat" in layers:
            overlays.add_heat(m, points[points["count"] >= k], basemap, min_count=k)
        if "points" in layers:
            _, hidden, people = overlays.add_clusters(m, points, basemap, k=k)
            if hidden:
                notes.append(f"聚集点：{hidden:,} 个地点各不足 {k} 人（共 {people:,} 人），为保护隐私不单独显示。")
    if "sites" in layers:
        overlays.add_sites(m, sites, basemap)
    folium.LayerControl(collapsed=True, position="topleft").add_to(m)  # under the zoom buttons; legend top right
    return m, notes


def _add_hexagons(m, facts, filters, dims, k, basemap, hexagons) -> None:
    """Visits per H3 cell (cells under ``k`` left out), in a palette that contrasts with the grades."""
    stats = area_stats(facts, hexgrid.layer_id(OVERLAY_HEX_RESOLUTION), filters)
    cells = stats.assign(visits=sum(stats[f"visits_{d}"] for d in dims))
    cells = cells[cells["visits"] >= k]
    if cells.empty:
        return
    hexes = hexagons(cells["area_id"].tolist()).merge(cells[["area_id", "visits"]], on="area_id")
    breaks = class_breaks(hexes["visits"].to_numpy())
    fills = pd.Series(colour_of(hexes["visits"], breaks, PURPLES), index=hexes["area_id"])  # contrasts with grades
    overlays.add_hexagons(m, hexes, fills, {"area_name": "六边形", "visits": "到访"}, basemap,
                          name=f"H3 六边形（{OVERLAY_HEX_RESOLUTION} 级）")
