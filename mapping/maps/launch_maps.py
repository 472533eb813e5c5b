"""Maps of the launch comparison: two synced maps side by side, the change map, printable copies.

Every map here is built from a :class:`MapSide`: per-area fill colours, tooltip
texts and legend rows made by the ``*_side`` functions from the tables of
:mod:`mapping.analysis.launch`.  :func:`dual_map` puts two sides on a
``folium.plugins.DualMap`` (pan and zoom stay in step; streamlit-folium's
``st_folium`` draws it as two maps), :func:`single_map` puts one side on a plain
map, :func:`printable` prepares a side for :func:`mapping.maps.printmap.render_map`.

Polygons come in WGS-84 and are shifted to GCJ-02 for the Gaode basemap only.
One feature per area, a few short text properties each: the payload grows with
the number of areas, never with the number of visitors.  Counts under ``k`` are
written "<k" and their share "—"; such areas are grey (样本不足).

>>> side = MapSide(pd.DataFrame({"area_id": ["x"], "fill": ["#b30000"], "area_name": ["金桥"]}),
...                {"area_name": "区域"}, "标题", "", [("#b30000", "A 级")])
>>> "A 级" in legend_html(side)
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element
from folium.plugins import DualMap

from mapping.analysis import grading as G
from mapping.analysis import launch as L
from mapping.maps import legend as LG
from mapping.maps.choropleth import features_json, to_display
from mapping.maps.labels import add_area_labels
from mapping.maps.offline import use_local_assets
from mapping.maps.overlays import add_sites
from mapping.maps.palette import ORANGES, colour_of, ramp
from mapping.maps.render import BASEMAPS, DEFAULT_BASEMAP, NO_TILES_BACKGROUND, InPage, make_map

GREY = G.GRADE_COLOURS[G.INSUFFICIENT]
NOBODY = G.GRADE_COLOURS[G.NO_VISITS]


@dataclass
class MapSide:
    """What one map shows: ``data`` (area_id, fill, tooltip columns; optional ``priority``: which
    names to write first, larger first, one value for withheld areas), tooltip fields → labels,
    legend title, subtitle and rows (colour, label)."""

    data: pd.DataFrame
    tooltip: dict[str, str]
    title: str
    subtitle: str
    legend: list[tuple[str, str]]
    hatch: set[str] = field(default_factory=set)  # area ids drawn hatched on paper (withheld)
    focus: set[str] = field(default_factory=set)  # area ids the map opens on (all coloured areas when empty)


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def _pp(change: float) -> str:
    return f"{change:+.1f} 个百分点"


# ----------------------------------------------------------------------------- sides
def share_side(comparison: L.Comparison, which: str, title: str, subtitle: str = "",
               measure: str = "人数") -> MapSide:
    """Side ``"a"`` or ``"b"`` of a comparison, coloured by grade of share with the shared bins."""
    t = comparison.table
    k = comparison.k
    count, share, grade = t[f"count_{which}"], t[f"share_{which}"], t[f"grade_{which}"]
    hidden = L.withheld(count, k)
    data = pd.DataFrame({
        "area_id": t["area_id"], "area_name": t["area_name"],
        "fill": [G.GRADE_COLOURS.get(g, NOBODY) if g != L.NONE else NOBODY for g in grade],
        "count_text": [f"<{k}" if h else f"{int(c):,}" for c, h in zip(count, hidden)],
        "share_text": ["—" if h else _pct(s) for s, h in zip(share, hidden)],
        "grade": [f"{g} 级" if g in G.GRADES else ("0 人" if g == L.NONE else g) for g in grade],
        "change_text": [_pp(c) if ok else "—" for c, ok in zip(t["change_pp"], t["change_shown"])],
        "priority": np.where(hidden, -1.0, share.fillna(-1)),
    })
    ranges = L.share_ranges(comparison.bins)
    counts = grade.value_counts()
    legend = [(G.GRADE_COLOURS[g], f"{g} 级 · 占比 {ranges[g]} · {int(counts.get(g, 0))} 个区域")
              for g in comparison.bins.grades]
    if counts.get(G.INSUFFICIENT, 0):
        legend.append((GREY, f"少于 {k} 人（不显示人数） · {int(counts[G.INSUFFICIENT])} 个区域"))
    legend.append((NOBODY, "0 人"))
    tooltip = {"area_name": "区域", "count_text": measure, "share_text": "占比", "grade": "等级",
               "change_text": "占比变化（右图−左图）"}
    focus = set(t.loc[t["grade_a"].isin(G.GRADES[:3]) | t["grade_b"].isin(G.GRADES[:3]), "area_id"])
    return MapSide(data, tooltip, title, subtitle, legend, set(t.loc[hidden, "area_id"]), focus)


def change_side(comparison: L.Comparison, bins: tuple[float, float], title: str, subtitle: str = "",
                labels: tuple[str, str] = ("左图", "右图")) -> MapSide:
    """The change of share per area (B − A, percentage points) in five symmetric classes."""
    t = comparison.table
    k = comparison.k
    shown = t["change_shown"].to_numpy()
    classes = L.change_class(t["change_pp"], bins)
    data = pd.DataFrame({
        "area_id": t["area_id"], "area_name": t["area_name"],
        "fill": [L.CHANGE_COLOURS[c] if ok else GREY for c, ok in zip(classes, shown)],
        "a_text": ["—" if h else _pct(s) for s, h in zip(t["share_a"], L.withheld(t["count_a"], k))],
        "b_text": ["—" if h else _pct(s) for s, h in zip(t["share_b"], L.withheld(t["count_b"], k))],
        "change_text": [_pp(c) if ok else f"—（有一侧少于 {k} 人）" for c, ok in zip(t["change_pp"], shown)],
        "new_text": np.where(t["new"], "是", ""),
        "priority": np.where(shown, t["change_pp"].abs().fillna(-1), -1.0),
    })
    counts = pd.Series(classes[shown]).value_counts()
    legend = [(colour, f"{label} · {int(counts.get(i, 0))} 个区域")
              for i, (colour, label) in enumerate(zip(L.CHANGE_COLOURS, L.change_labels(bins)))][::-1]
    if (~shown).any():
        legend.append((GREY, f"有一侧少于 {k} 人（不显示） · {int((~shown).sum())} 个区域"))
    tooltip = {"area_name": "区域", "a_text": f"{labels[0]}占比", "b_text": f"{labels[1]}占比",
               "change_text": "占比变化", "new_text": "新战场"}
    focus = set(t.loc[t["grade_a"].isin(G.GRADES[:3]) | t["grade_b"].isin(G.GRADES[:3]), "area_id"])
    return MapSide(data, tooltip, title, subtitle, legend, set(t.loc[~shown, "area_id"]), focus)


def plan_side(grades: pd.DataFrame, bins: G.Bins | None, title: str, subtitle: str = "") -> MapSide:
    """A saved plan's grades (area_id, area_name, grade, score, rank) in the battle-map colours."""
    g = grades["grade"].fillna(G.NO_VISITS)
    data = pd.DataFrame({
        "area_id": grades["area_id"], "area_name": grades["area_name"].fillna(grades["area_id"]),
        "fill": g.map(G.GRADE_COLOURS).fillna(NOBODY),
        "grade": [f"{x} 级" if x in G.GRADES else x for x in g],
        "score_text": ["—" if pd.isna(s) else f"{s:,.1f}" for s in grades["score"]],
        "rank_text": ["—" if pd.isna(r) else f"第 {int(r)} 名" for r in grades["rank"]],
        "priority": np.where(g.isin(G.GRADES), grades["score"].fillna(-1), -1.0),
    })
    ranges = bins.ranges() if bins is not None else {}
    counts = g.value_counts()
    grades_shown = bins.grades if bins is not None else G.GRADES
    legend = [(G.GRADE_COLOURS[x], f"{x} 级" + (f" · 得分 {ranges[x]}" if x in ranges else "")
               + f" · {int(counts.get(x, 0))} 个区域") for x in grades_shown]
    for x in G.UNGRADED:
        if counts.get(x, 0):
            legend.append((G.GRADE_COLOURS[x], f"{x} · {int(counts[x])} 个区域"))
    tooltip = {"area_name": "区域", "grade": "等级", "rank_text": "排名", "score_text": "得分"}
    return MapSide(data, tooltip, title, subtitle, legend, set(grades.loc[g == G.INSUFFICIENT, "area_id"]),
                   set(grades.loc[g.isin(G.GRADES[:3]), "area_id"]))


def plan_change_side(moves: pd.DataFrame, title: str, subtitle: str = "",
                     labels: tuple[str, str] = ("计划一", "计划二")) -> MapSide:
    """Grade steps between two saved plans (a :func:`mapping.analysis.launch.transitions` table)."""
    classes = L.change_class(moves["steps"], L.PLAN_STEPS)
    data = pd.DataFrame({
        "area_id": moves["area_id"], "area_name": moves["area_name"],
        "fill": [L.CHANGE_COLOURS[c] for c in classes],
        "a_text": moves["grade_a"], "b_text": moves["grade_b"], "change_text": moves["change"],
        "priority": moves["steps"].abs().fillna(0),
    })
    counts = pd.Series(classes).value_counts()
    legend = [(colour, f"{label} · {int(counts.get(i, 0))} 个区域")
              for i, (colour, label) in enumerate(zip(L.CHANGE_COLOURS, L.PLAN_CHANGE_LABELS))][::-1]
    tooltip = {"area_name": "区域", "a_text": f"{labels[0]}等级", "b_text": f"{labels[1]}等级",
               "change_text": "变化"}
    return MapSide(data, tooltip, title, subtitle, legend,
                   focus=set(moves.loc[moves["grade_a"].isin(G.GRADES[:3]) | moves["grade_b"].isin(G.GRADES[:3]),
                                       "area_id"]))


def count_side(counts: pd.DataFrame, breaks: list[float], k: int, title: str, subtitle: str = "",
               measure: str = "人数", focus: set[str] | None = None) -> MapSide:
    """Counts of one period (area_id, area_name, count) on classes fixed across periods (``breaks``:
    upper bounds, e.g. :func:`mapping.analysis.launch.timeline_breaks`).  Pass the same ``focus`` for
    every period so the map does not jump when the period changes."""
    c = counts["count"].to_numpy()
    hidden = L.withheld(c, k)
    colours = ramp(ORANGES, len(breaks))
    data = pd.DataFrame({
        "area_id": counts["area_id"], "area_name": counts["area_name"],
        "fill": np.where(hidden, GREY, colour_of(c, breaks, colours, zero=NOBODY)),
        "count_text": [f"<{k}" if h else f"{int(v):,}" for v, h in zip(c, hidden)],
        "priority": np.where(hidden, -1.0, c),
    })
    legend = LG.range_rows(breaks, colours, low=k, unit=" 人", values=c)[::-1]
    if hidden.any():
        legend.append((GREY, f"少于 {k} 人 · {int(hidden.sum())} 个区域"))
    legend.append((NOBODY, "0 人"))
    return MapSide(data, {"area_name": "区域", "count_text": measure}, title, subtitle, legend,
                   set(counts.loc[hidden, "area_id"]), set(focus or ()))


# ----------------------------------------------------------------------------- maps
def legend_html(side: MapSide) -> str:
    """The side's legend box, compact (two maps share the page)."""
    return LG.legend_html(side.title, side.legend, subtitle=side.subtitle, compact=True)


def _joined(polygons: gpd.GeoDataFrame, side: MapSide) -> gpd.GeoDataFrame:
    """Every polygon with the side's columns; areas the side does not list are pale "nobody"."""
    cols = ["area_id", "geometry"] + (["area_name"] if "area_name" in polygons else [])
    extra = side.data.drop(columns=[c for c in ("area_name",) if c in polygons and c in side.data])
    data = polygons[cols].merge(extra, on="area_id", how="left")
    listed = data["fill"].notna()
    data["fill"] = data["fill"].fillna(NOBODY)
    if "area_name" in side.data and "area_name" in polygons:
        names = dict(zip(side.data["area_id"], side.data["area_name"]))
        data["area_name"] = [names.get(i, n) for i, n in zip(data["area_id"], data["area_name"])]
    for col in side.tooltip:
        if col not in data:
            data[col] = ""
        data[col] = data[col].where(listed, "0" if col == "count_text" else "—")
    data["area_name"] = data["area_name"].fillna(data["area_id"]) if "area_name" in data else data["area_id"]
    data["priority"] = data["priority"].fillna(-1.0) if "priority" in data else -1.0
    return data


def _features(polygons: gpd.GeoDataFrame, side: MapSide, basemap: str) -> gpd.GeoDataFrame:
    data = _joined(polygons, side)
    data = to_display(data[["area_id", "geometry", "fill", "priority", *side.tooltip]], basemap)
    data["geometry"] = shapely.set_precision(data.geometry.values, 1e-5)
    return data


def _focus(frames: list[gpd.GeoDataFrame], focus: set[str]) -> list[list[float]]:
    """Bounds, as folium wants them, of the ``focus`` areas, else of the coloured (not pale) areas."""
    parts = [f[f["area_id"].isin(focus)] if focus else f[f["fill"] != NOBODY] for f in frames]
    parts = [p for p in parts if len(p)] or [f for f in frames if len(f)]
    bounds = np.array([p.total_bounds for p in parts])
    minx, miny = bounds[:, 0].min(), bounds[:, 1].min()
    maxx, maxy = bounds[:, 2].max(), bounds[:, 3].max()
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def _add_areas(m: folium.Map, data: gpd.GeoDataFrame, side: MapSide, priority: np.ndarray | None = None,
               sites: list[dict] = (), basemap: str = DEFAULT_BASEMAP) -> None:
    """The side's areas, their names (by ``priority``, else the side's own), the sites and the legend."""
    folium.GeoJson(
        features_json(data.drop(columns="priority")), name="区域",
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#555555", "weight": 0.8,
                                  "fillOpacity": 0.8},
        highlight_function=lambda f: {"weight": 3, "color": "#111111"},
        tooltip=folium.GeoJsonTooltip(fields=list(side.tooltip), aliases=list(side.tooltip.values()), sticky=True),
    ).add_to(m)
    if "area_name" in data:
        add_area_labels(m, data, data["priority"] if priority is None else priority)
    add_sites(m, sites, basemap)
    LG.Legend(legend_html(side)).add_to(m)


def _tiles(m: folium.Map, basemap: str) -> None:
    bm = BASEMAPS[basemap]
    m.options["max_zoom"] = bm.max_zoom if bm.tiles else 19
    if bm.tiles:
        folium.TileLayer(tiles=bm.tiles, attr=bm.attr, name=bm.label, subdomains=bm.subdomains,
                         max_zoom=bm.max_zoom, control=False).add_to(m)


def dual_map(polygons: gpd.GeoDataFrame, left: MapSide, right: MapSide,
             basemap: str = DEFAULT_BASEMAP, *, sites: list[dict] = ()) -> DualMap:
    """Two maps side by side with pan and zoom in step, each with its own legend.

    ``polygons``: the layer (WGS-84; area_id, geometry), e.g. the simplified display copy.
    Both maps name the same areas (those first on either side) and mark the ``sites``
    (:func:`mapping.maps.overlays.project_sites`).
    """
    if basemap not in BASEMAPS:
        raise ValueError(f"unknown basemap {basemap!r}")
    a, b = _features(polygons, left, basemap), _features(polygons, right, basemap)
    bounds = _focus([a, b], left.focus | right.focus)
    centre = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
    dm = DualMap(location=centre, layout="horizontal", tiles=None, zoom_start=10, control_scale=True)
    priority = np.maximum(a["priority"].to_numpy(dtype=float), b["priority"].to_numpy(dtype=float))
    for m, data, side in ((dm.m1, a, left), (dm.m2, b, right)):
        _tiles(m, basemap)
        _add_areas(m, data, side, priority, sites, basemap)
        InPage().add_to(m)
    background = "" if BASEMAPS[basemap].tiles else f"background: {NO_TILES_BACKGROUND};"
    dm.get_root().header.add_child(Element(  # a thin frame around each map, so the two read apart
        f"<style>body .leaflet-container {{ {background} outline: 1px solid #bdbdbd; outline-offset: -1px; }}"
        "</style>"), name="tuoke_dual_style")
    dm.fit_bounds(bounds)
    return use_local_assets(dm)


def single_map(polygons: gpd.GeoDataFrame, side: MapSide, basemap: str = DEFAULT_BASEMAP, *,
               sites: list[dict] = ()) -> folium.Map:
    """One side on an ordinary map (the change map), with the ``sites`` marked."""
    data = _features(polygons, side, basemap)
    bounds = _focus([data], side.focus)
    m = make_map(center=((bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2), zoom=10,
                 basemap=basemap)
    _add_areas(m, data, side, sites=sites, basemap=basemap)
    m.fit_bounds(bounds)
    return m


def printable(polygons: gpd.GeoDataFrame, side: MapSide) -> gpd.GeoDataFrame:
    """``area_name``, ``fill``, ``hatch``, geometry (WGS-84) for :func:`mapping.maps.printmap.render_map`."""
    data = _joined(polygons, side)[["area_id", "area_name", "fill", "geometry"]]
    data["hatch"] = data["area_id"].isin(side.hatch)
    return gpd.GeoDataFrame(data, geometry="geometry", crs=polygons.crs or 4326)
