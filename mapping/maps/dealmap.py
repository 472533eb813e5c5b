"""The visits-against-deals map: visits as a choropleth, each area's deals as a pie over it.

The pie's size follows the number of deals (area ∝ count), its slices the
product lines bought.  Pies are small inline SVG icons: nothing is loaded from
outside and the payload grows with the number of areas, not of visitors.
Areas under the minimum count show neither their visits nor their deals.  The
busiest areas carry their names, under their pie; the project's sites are marked.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from mapping.analysis.breaks import class_breaks
from mapping.maps import choropleth as CH
from mapping.maps.labels import KEEP_CLEAR, add_area_labels, anchors
from mapping.maps.legend import Legend, legend_html, range_rows
from mapping.maps.overlays import add_city_borders, add_sites, html_text
from mapping.maps.palette import BLUES, ZERO_FILL, colour_of, ramp
from mapping.maps.render import DEFAULT_BASEMAP, make_map

LINE_COLOURS = {"公寓": "#1c7ed6", "洋房": "#37b24d", "别墅": "#ae3ec9", "商铺": "#f59f00", "高层": "#0ca678",
                "办公": "#495057", "车位": "#868e96", "未填写": "#ced4da"}
EXTRA_COLOURS = ["#e64980", "#7048e8", "#66a80f", "#d9480f"]


def line_colour(line: str, lines: list[str]) -> str:
    if line in LINE_COLOURS:
        return LINE_COLOURS[line]
    others = [x for x in lines if x not in LINE_COLOURS]
    return EXTRA_COLOURS[others.index(line) % len(EXTRA_COLOURS)] if line in others else "#adb5bd"


def pie_svg(counts: dict[str, int], lines: list[str], diameter: float) -> str:
    """An SVG pie of ``counts`` (line → deals), ``diameter`` pixels wide."""
    total = sum(counts.values())
    r = diameter / 2
    if total <= 0:
        return ""
    parts, angle = [], -np.pi / 2
    items = [(k, v) for k, v in counts.items() if v > 0]
    if len(items) == 1:
        parts.append(f'<circle cx="{r:.1f}" cy="{r:.1f}" r="{r - 1:.1f}" fill="{line_colour(items[0][0], lines)}"/>')
    else:
        for line, v in items:
            sweep = 2 * np.pi * v / total
            x1, y1 = r + (r - 1) * np.cos(angle), r + (r - 1) * np.sin(angle)
            x2, y2 = r + (r - 1) * np.cos(angle + sweep), r + (r - 1) * np.sin(angle + sweep)
            large = 1 if sweep > np.pi else 0
            parts.append(f'<path d="M{r:.1f},{r:.1f} L{x1:.1f},{y1:.1f} A{r - 1:.1f},{r - 1:.1f} 0 {large} 1 '
                         f'{x2:.1f},{y2:.1f} Z" fill="{line_colour(line, lines)}"/>')
            angle += sweep
    parts.append(f'<circle cx="{r:.1f}" cy="{r:.1f}" r="{r - 1:.1f}" fill="none" stroke="#fff" stroke-width="1.5"/>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{diameter:.0f}" height="{diameter:.0f}" '
            f'style="filter:drop-shadow(0 1px 2px rgba(0,0,0,.4))">{"".join(parts)}</svg>')


TOOLTIP = {"area_name": "区域", "visits_text": "到访", "deals_text": "成交", "raw_text": "成交率（原始）",
           "rate_text": "成交率（收缩后）", "interval_text": "90% 区间", "quadrant": "象限", "advice": "建议"}


SELECTED_COLOUR = "#1c7ed6"


def visits_deals_map(layer: gpd.GeoDataFrame, table: pd.DataFrame, lines: list[str], *,
                     basemap: str = DEFAULT_BASEMAP, title: str = "", min_count: int = 5,
                     selected: str | None = None, sites: list[dict] = (),
                     borders: gpd.GeoDataFrame | None = None) -> folium.Map:
    """Visits choropleth with deal pies; ``table`` is :func:`mapping.analysis.conversion.table` output
    (with ``deals_<line>`` columns).  ``selected`` gets a thick outline (a page that lets users pick
    areas passes :func:`selection_layer` to ``st_folium`` instead, so a pick does not redraw the map).
    ``sites``: :func:`mapping.maps.overlays.project_sites`; ``borders``: city outlines of a metropolitan map."""
    data = layer[["area_id", "geometry"]].merge(table, on="area_id", how="inner")
    enough = data["quadrant"] != "样本不足"
    breaks = class_breaks(data.loc[enough, "visits"].to_numpy())
    palette = ramp(BLUES, len(breaks))
    data["fill"] = np.where(enough, colour_of(data["visits"], breaks, palette, zero=ZERO_FILL), ZERO_FILL)
    hidden = f"<{min_count}"
    data["visits_text"] = [f"{int(v):,}" if ok else hidden for v, ok in zip(data["visits"], enough)]
    data["deals_text"] = [f"{int(d):,}" if ok else "—" for d, ok in zip(data["deals"], enough)]
    data["raw_text"] = [f"{x:.1%}" if ok else "—" for x, ok in zip(data["raw"], enough)]
    data["rate_text"] = [f"{x:.1%}" if ok else "—" for x, ok in zip(data["rate"], enough)]
    data["interval_text"] = [f"{lo:.1%} – {hi:.1%}" if ok else "—"
                             for lo, hi, ok in zip(data["low"], data["high"], enough)]
    shown = CH.to_display(data[["area_id", "geometry", "fill", *TOOLTIP]], basemap)
    busy = enough & (data["visits"] >= data.loc[enough, "visits"].median() if enough.any() else False)
    graded = shown[busy.to_numpy()]  # zoom to where most visitors come from
    minx, miny, maxx, maxy = (graded if len(graded) else shown).total_bounds
    m = make_map(center=((miny + maxy) / 2, (minx + maxx) / 2), zoom=10, basemap=basemap)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    folium.GeoJson(
        CH.features_json(shown), name="到访",
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#666666", "weight": 0.7,
                                  "fillOpacity": 0.8},
        highlight_function=lambda f: {"weight": 3, "color": "#111111"},
        tooltip=folium.GeoJsonTooltip(fields=list(TOOLTIP), aliases=list(TOOLTIP.values()), sticky=True),
    ).add_to(m)
    outline = selection_layer(layer, selected, basemap)
    if outline is not None:
        outline.add_to(m)
    pies = (enough & (data["deals_total"].fillna(0) > 0)).to_numpy()
    diameter = np.where(pies, _diameter(data["deals_total"].fillna(0), data.loc[pies, "deals_total"].max()), 0.0)
    lng, lat, _ = anchors(shown.geometry.values)
    add_area_labels(m, shown, np.where(enough, data["visits"], -1),  # withheld areas: one rank, counts untold
                    offsets=np.where(pies, diameter / 2 + 10, 0))  # under the pie
    _pies(m, data[pies].assign(lng=lng[pies], lat=lat[pies], diameter=diameter[pies]), lines)
    add_city_borders(m, borders, basemap)
    add_sites(m, sites, basemap)
    _legend(m, breaks, palette, lines, title, min_count)
    return m


def selection_layer(layer: gpd.GeoDataFrame, area_id: str | None,
                    basemap: str = DEFAULT_BASEMAP) -> folium.FeatureGroup | None:
    """The chosen area's thick outline in a layer of its own 「选中区域」 (None when nothing is chosen).

    For ``st_folium(m, feature_group_to_add=...)``: the map itself stays the same
    when the choice changes, so streamlit-folium does not remount it (no flash,
    the user's zoom and pan are kept).
    """
    chosen = layer.loc[layer["area_id"] == area_id, ["area_id", "geometry"]] if area_id is not None else layer.iloc[:0]
    if chosen.empty:
        return None
    group = folium.FeatureGroup(name="选中区域", control=False)
    folium.GeoJson(
        CH.features_json(CH.to_display(chosen, basemap)), name="选中区域",
        style_function=lambda f: {"fill": False, "color": SELECTED_COLOUR, "weight": 4},
    ).add_to(group)
    return group


def _diameter(deals: pd.Series, biggest: float) -> np.ndarray:
    """Pie diameters in pixels: area proportional to the deals, 12 px for one, 46 px for the most."""
    biggest = float(biggest) if biggest and biggest > 0 else 1.0
    return 12 + 34 * np.sqrt(deals.to_numpy(dtype=float) / biggest)


def _pies(m: folium.Map, data: pd.DataFrame, lines: list[str]) -> None:
    """One pie per row of ``data`` at its (display) ``lng``/``lat``, ``diameter`` pixels wide."""
    if data.empty:
        return
    group = folium.FeatureGroup(name="成交（按业态）").add_to(m)
    cols = [c for c in data.columns if c.startswith("deals_") and c != "deals_total" and c != "deals_text"]
    for _, row in data.iterrows():
        counts = {c.removeprefix("deals_"): int(row[c]) for c in cols if row[c] and row[c] > 0}
        diameter = float(row["diameter"])
        tip = f"{row['area_name']} 成交 {int(row['deals_total'])}：" + "、".join(
            f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
        folium.Marker(
            [float(row["lat"]), float(row["lng"])],
            icon=folium.DivIcon(html=pie_svg(counts, lines, diameter), icon_size=(diameter, diameter),
                                icon_anchor=(diameter / 2, diameter / 2), class_name=f"tuoke-pie {KEEP_CLEAR}"),
            tooltip=html_text(tip),
        ).add_to(group)


def _legend(m, breaks, palette, lines, title, min_count) -> None:
    """Compact: the map shares its row with the quadrant chart."""
    rows = [(ZERO_FILL, f"0 或不足 {min_count} 人"), *range_rows(breaks, palette)]
    Legend(legend_html(title, rows, subtitle="底色：到访人数", footer="饼图：成交（大小=成交数，颜色=业态）",
                       keys=[(line_colour(x, lines), x) for x in lines], compact=True)).add_to(m)
