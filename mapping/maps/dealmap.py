"""The visits-against-deals map: visits as a choropleth, each area's deals as a pie over it.

The pie's size follows the number of deals (area ∝ count), its slices the
product lines bought.  Pies are small inline SVG icons: nothing is loaded from
outside and the payload grows with the number of areas, not of visitors.
Areas under the minimum count show neither their visits nor their deals.
"""

from __future__ import annotations

from html import escape

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from mapping.analysis.breaks import class_breaks
from mapping.geo.coords import wgs84_to_gcj02
from mapping.maps import choropleth as CH
from mapping.maps.legend import Legend, legend_html, range_rows
from mapping.maps.palette import BLUES, ZERO_FILL, colour_of, ramp
from mapping.maps.render import DEFAULT_BASEMAP, display_crs, make_map
from mapping.schema import GCJ02

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


def visits_deals_map(layer: gpd.GeoDataFrame, table: pd.DataFrame, lines: list[str], *,
                     basemap: str = DEFAULT_BASEMAP, title: str = "", min_count: int = 5,
                     selected: str | None = None) -> folium.Map:
    """Visits choropleth with deal pies; ``table`` is :func:`mapping.analysis.conversion.table` output
    (with ``deals_<line>`` columns).  ``selected`` gets a thick outline."""
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
        shown.to_json(drop_id=True), name="到访",
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#666666", "weight": 0.7,
                                  "fillOpacity": 0.8},
        highlight_function=lambda f: {"weight": 3, "color": "#111111"},
        tooltip=folium.GeoJsonTooltip(fields=list(TOOLTIP), aliases=list(TOOLTIP.values()), sticky=True),
    ).add_to(m)
    if selected is not None and (shown["area_id"] == selected).any():
        folium.GeoJson(
            shown.loc[shown["area_id"] == selected, ["area_id", "geometry"]].to_json(drop_id=True), name="选中区域",
            style_function=lambda f: {"fill": False, "color": "#1c7ed6", "weight": 4},
        ).add_to(m)
    _pies(m, data[enough & (data["deals_total"].fillna(0) > 0)], lines, basemap)
    _legend(m, breaks, palette, lines, title, min_count)
    return m


def _pies(m: folium.Map, data: pd.DataFrame, lines: list[str], basemap: str) -> None:
    if data.empty:
        return
    group = folium.FeatureGroup(name="成交（按业态）").add_to(m)
    points = data.geometry.representative_point()
    x, y = points.x.to_numpy(), points.y.to_numpy()
    if display_crs(basemap) == GCJ02:
        x, y = wgs84_to_gcj02(x, y)
    biggest = float(data["deals_total"].max())
    cols = [c for c in data.columns if c.startswith("deals_") and c != "deals_total" and c != "deals_text"]
    for (_, row), lng, lat in zip(data.iterrows(), x, y):
        counts = {c.removeprefix("deals_"): int(row[c]) for c in cols if row[c] and row[c] > 0}
        diameter = 12 + 34 * np.sqrt(row["deals_total"] / biggest)
        tip = f"{row['area_name']} 成交 {int(row['deals_total'])}：" + "、".join(
            f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
        folium.Marker(
            [float(lat), float(lng)],
            icon=folium.DivIcon(html=pie_svg(counts, lines, diameter), icon_size=(diameter, diameter),
                                icon_anchor=(diameter / 2, diameter / 2), class_name="tuoke-pie"),
            tooltip=escape(tip),
        ).add_to(group)


def _legend(m, breaks, palette, lines, title, min_count) -> None:
    rows = [(ZERO_FILL, f"0 或不足 {min_count} 人"), *range_rows(breaks, palette)]
    Legend(legend_html(title, rows, subtitle="底色：到访人数", footer="饼图：成交（大小=成交数，颜色=业态）",
                       keys=[(line_colour(x, lines), x) for x in lines])).add_to(m)
