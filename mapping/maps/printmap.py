"""A printable static map of graded areas (PNG or A4-landscape PDF), drawn with matplotlib.

No basemap tiles and no network: the areas are drawn in a local transverse
Mercator projection centred on the data (true shapes and a true scale bar), with
a title, a subtitle, a legend panel beside the map (never on top of it), a north
arrow, a scale bar and a footer.  matplotlib is imported lazily and only through
``matplotlib.figure.Figure`` (never pyplot), so rendering opens no window, keeps
no global figure state and is safe in Streamlit's threads.

Chinese text needs a CJK font; :func:`cjk_font_name` looks for one (Noto Sans CJK,
Source Han, WenQuanYi, SimHei, Microsoft YaHei …) and raises
:class:`PrintFontError` with instructions when there is none.

Labels: every area is labelled when there are at most :data:`MAX_LABELS` areas;
with more, only the areas filled with the first two legend colours (the top two
grades, A and B) are labelled, the largest first, at most :data:`MAX_LABELS`.

>>> A4_LANDSCAPE
(11.69, 8.27)
>>> _nice_length(23_000)
20000
>>> _text_width("A 级")
4
"""

from __future__ import annotations

import io
import math
import unicodedata
from datetime import date

import geopandas as gpd
import numpy as np
import pyproj
import shapely

__all__ = ["A4_LANDSCAPE", "A4_PORTRAIT", "MAX_LABELS", "PROJECT_COLOUR", "COMPETITOR_COLOUR", "PrintFontError",
           "cjk_font_available", "cjk_font_name", "draw_map", "matplotlib_rc", "new_page", "pdf_metadata",
           "render_map", "save_page"]

A4_LANDSCAPE = (11.69, 8.27)  # inches
A4_PORTRAIT = (8.27, 11.69)
MAX_LABELS = 60
PROJECT_COLOUR = "#D9480F"
COMPETITOR_COLOUR = "#495057"
EDGE_COLOUR = "#6b6b6b"
HATCH_COLOUR = "#8a8a8a"
MUTED = "#555555"

# Families with Simplified-Chinese glyphs, best first.  Other CJK families still
# cover the common hanzi and serve as a last resort.
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "思源黑体",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "文泉驿正黑", "Microsoft YaHei", "微软雅黑",
    "SimHei", "黑体", "PingFang SC", "Hiragino Sans GB", "Heiti SC", "STHeiti", "Sarasa Gothic SC",
    "Droid Sans Fallback", "Noto Serif CJK SC", "Noto Sans CJK TC", "Noto Sans CJK JP",
    "Source Han Sans", "AR PL UMing CN", "AR PL UKai CN", "SimSun", "宋体",
)
_FILE_HINTS = ("notosanscjk", "notosanssc", "sourcehansans", "wqy", "wenquanyi", "msyh", "simhei",
               "pingfang", "droidsansfallback", "notoserifcjk", "uming", "ukai", "simsun")
_PROBE = "拓客图区域得分样本不足"

_font_name: str | None = None


class PrintFontError(RuntimeError):
    """No font able to draw Chinese is installed."""


def _font_has_glyphs(fname: str, index: int = 0) -> bool:
    from matplotlib import ft2font

    try:
        font = ft2font.FT2Font(fname, face_index=index) if index else ft2font.FT2Font(fname)
    except Exception:  # unreadable or unsupported font file: not usable
        return False
    return all(font.get_char_index(ord(ch)) for ch in _PROBE)


def _search_installed() -> str | None:
    from matplotlib import font_manager

    entries = font_manager.fontManager.ttflist
    by_name: dict[str, list] = {}
    for entry in entries:
        by_name.setdefault(entry.name.lower(), []).append(entry)
    for family in CJK_FAMILIES:
        for entry in by_name.get(family.lower(), ()):
            if _font_has_glyphs(entry.fname, getattr(entry, "index", 0)):
                return entry.name
    return None


def _find_cjk_font() -> str | None:
    """Name of an installed CJK font family known to matplotlib, or None.

    matplotlib caches its font list; a font installed after the cache was built
    is picked up by scanning the system font folders once more.
    """
    name = _search_installed()
    if name is not None:
        return name
    from matplotlib import font_manager

    added = False
    for path in font_manager.findSystemFonts():
        if any(h in path.lower().replace("-", "").replace("_", "") for h in _FILE_HINTS):
            try:
                font_manager.fontManager.addfont(path)
                added = True
            except Exception:  # a broken font file must not stop the search
                continue
    return _search_installed() if added else None


def cjk_font_name() -> str:
    """The font family used for Chinese text.

    Raises
    ------
    PrintFontError
        When no CJK font is installed (the message, in Chinese, says how to install one).
    """
    global _font_name
    if _font_name is None:
        found = _find_cjk_font()
        if found is None:
            raise PrintFontError(
                "未找到可显示中文的字体，无法生成打印版地图。请在服务器上安装中文字体："
                "sudo apt-get install fonts-noto-cjk（Debian/Ubuntu），然后重启应用。")
        _font_name = found  # only a success is remembered: an install is seen on the next try
    return _font_name


def cjk_font_available() -> bool:
    """True when a font able to draw Chinese is installed."""
    try:
        cjk_font_name()
    except PrintFontError:
        return False
    return True


# --- small helpers -------------------------------------------------------------------------------

def _text_width(text: str) -> int:
    """Display width: East-Asian wide and full-width characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


_NO_LINE_START = set("）)]】」』》〉，,。.、：:；;！!？?%％·")


def _tokens(text: str) -> list[str]:
    """Break points: after every CJK character and around spaces; Latin words and numbers stay whole.

    Closing punctuation sticks to the token before it (never starts a line).
    """
    tokens: list[str] = []
    word = ""
    for ch in text:
        if unicodedata.east_asian_width(ch) in "WF" or ch == " ":
            if word:
                tokens.append(word)
                word = ""
            if ch in _NO_LINE_START and tokens:
                tokens[-1] += ch
            else:
                tokens.append(ch)
        else:
            word += ch
    if word:
        tokens.append(word)
    return tokens


def _greedy(tokens: list[str], fits, joiner: str = "") -> list[str]:
    lines: list[str] = []
    line = ""
    for token in tokens:
        trial = f"{line}{joiner}{token}" if line else token.lstrip()
        if line and not fits(trial.rstrip()):
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line = trial
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _wrap(text: str, fits) -> str:
    r"""Wrap ``text`` so that every line satisfies ``fits(line)``.

    Breaks at " · " separators first (the separator is dropped at a break), then
    inside a part that is still too long, between CJK characters or at spaces.

    >>> _wrap("A 级 · 得分 120–310 · 3 个区域", lambda s: _text_width(s) <= 20)
    'A 级 · 得分 120–310\n3 个区域'
    >>> _wrap("样本不足（少于 30 位到访）", lambda s: _text_width(s) <= 24)
    '样本不足（少于 30 位到\n访）'
    """
    if fits(text):
        return text
    lines: list[str] = []
    for part in _greedy(text.split(" · "), fits, joiner=" · "):
        lines.extend([part] if fits(part) else _greedy(_tokens(part), fits))
    return "\n".join(lines)


def _nice_length(target_m: float) -> int:
    """The largest 1-2-5 length (metres, at least 100) not above ``target_m``."""
    best = 100
    for exp in range(2, 8):
        for m in (1, 2, 5):
            if m * 10 ** exp <= target_m:
                best = m * 10 ** exp
    return best


def _length_label(metres: float) -> str:
    return f"{metres / 1000:g} 公里" if metres >= 1000 else f"{metres:g} 米"


def _local_crs(lon0: float, lat0: float) -> pyproj.CRS:
    return pyproj.CRS.from_proj4(
        f"+proj=tmerc +lat_0={lat0:.6f} +lon_0={lon0:.6f} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs")


def _paths(geoms):
    """matplotlib Paths for (multi)polygons, holes included."""
    from matplotlib.path import Path

    out = []
    for geom in geoms:
        verts, codes = [], []
        for part in shapely.get_parts(geom):
            if part.geom_type != "Polygon" or part.is_empty:
                continue
            for ring in [part.exterior, *part.interiors]:
                xy = np.asarray(ring.coords)[:, :2]
                if len(xy) < 4:
                    continue
                verts.append(xy)
                codes.append(np.r_[Path.MOVETO, np.full(len(xy) - 2, Path.LINETO), Path.CLOSEPOLY])
        if verts:
            out.append(Path(np.concatenate(verts), np.concatenate(codes).astype(np.uint8)))
        else:
            out.append(Path(np.zeros((1, 2))))
    return out


def _valid_sites(sites: list[dict] | None) -> list[dict]:
    out = []
    for site in sites or []:
        try:
            lng, lat = float(site.get("lng")), float(site.get("lat"))
        except (TypeError, ValueError):
            continue
        if math.isfinite(lng) and math.isfinite(lat):
            out.append({"name": str(site.get("name") or ""), "lng": lng, "lat": lat,
                        "kind": "project" if site.get("kind") == "project" else "competitor"})
    return out


# --- the map -------------------------------------------------------------------------------------

W_IN, H_IN = A4_LANDSCAPE
MARGIN_IN = 0.45
LEGEND_W_IN = 2.75
MAP_BOX = (MARGIN_IN, 0.6, W_IN - 2 * MARGIN_IN - LEGEND_W_IN - 0.3, H_IN - 0.6 - 1.25)  # left, bottom, w, h
LEGEND_BOX = (W_IN - MARGIN_IN - LEGEND_W_IN, 0.6, LEGEND_W_IN, MAP_BOX[3])

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in map units (metres)


class _Measure:
    """Text sizes in points, independent of the output backend."""

    def __init__(self, font: str):
        from matplotlib.textpath import TextToPath

        self.family = [font, "DejaVu Sans"]
        self._t2p = TextToPath()
        self._cache: dict[tuple[str, float, str], float] = {}

    def width(self, text: str, size: float, weight: str = "normal") -> float:
        key = (text, size, weight)
        if key not in self._cache:
            from matplotlib.font_manager import FontProperties

            prop = FontProperties(family=self.family, size=size, weight=weight)
            self._cache[key] = max(self._t2p.get_text_width_height_descent(line, prop, ismath=False)[0]
                                   for line in text.split("\n"))
        return self._cache[key]


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def render_map(areas: gpd.GeoDataFrame, title: str, legend: list[tuple[str, str]], *, subtitle: str = "",
               label_column: str | None = "area_name", sites: list[dict] | None = None, fmt: str = "png",
               dpi: int = 150) -> bytes:
    """A printable A4-landscape map of graded areas, as PNG or PDF bytes.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Polygons in WGS-84 (EPSG:4326; a layer without CRS is taken as WGS-84) with a
        ``fill`` column (hex colour per area), an ``area_name`` column and optionally
        ``hatch`` (bool: draw hatched, for 样本不足 areas).
    title, subtitle : str
        Printed at the top; ``title`` is also the document title in the file metadata.
    legend : list of (colour, label)
        Legend rows, highest grade first, e.g. ``("#b30000", "A 级 · 得分 120–310 · 3 个区域")``.
        Rows whose colour is only used by hatched areas get a hatched swatch.
    label_column : str or None
        Column holding the area labels; None for no labels.  All areas are labelled
        when there are at most :data:`MAX_LABELS`, otherwise only those filled with
        the first two legend colours (A/B), largest first, at most :data:`MAX_LABELS`.
        A label that does not fit at its area is moved next to it (with a leader
        line when it leaves the area); one that fits nowhere without overlapping
        another label, a site, the north arrow or the scale bar is left out.
    sites : list of dict, optional
        ``{"name", "lng", "lat", "kind"}`` with kind ``"project"`` (an orange star) or
        ``"competitor"`` (a dark-grey triangle), each drawn with its name.  Sites with
        missing coordinates are skipped.
    fmt : {"png", "pdf"}
        PNG: A4 landscape at ``dpi`` (150 dpi gives 1754 × 1240 pixels).  PDF: one A4
        landscape page, vector, fonts embedded, ``title`` as the document title.
    dpi : int
        Resolution of the PNG.

    Returns
    -------
    bytes
        The file contents.

    Raises
    ------
    PrintFontError
        No CJK font installed.
    ValueError
        Unknown ``fmt``, no ``fill`` column or no area to draw.
    """
    fmt = fmt.lower()
    if fmt not in ("png", "pdf"):
        raise ValueError(f"不支持的格式 {fmt!r}；可选 png 或 pdf")
    fig = new_page(A4_LANDSCAPE, dpi)
    with matplotlib_rc():
        draw_map(fig, areas, legend, map_box=MAP_BOX, legend_box=LEGEND_BOX, label_column=label_column,
                 sites=sites)
        _draw_header_footer(fig, title, subtitle)
        return save_page(fig, fmt, title, subtitle, dpi)


def matplotlib_rc():
    """The matplotlib settings every printed page is drawn under (the CJK font first), as a context manager.

    Raises :class:`PrintFontError` when no CJK font is installed.
    """
    import matplotlib

    font = cjk_font_name()
    return matplotlib.rc_context({"font.family": [font, "DejaVu Sans"], "font.size": 9, "axes.unicode_minus": False,
                                  "hatch.color": "edge", "hatch.linewidth": 0.6, "pdf.fonttype": 3,
                                  "svg.fonttype": "path"})


def new_page(size: tuple[float, float] = A4_LANDSCAPE, dpi: int = 150):
    """A blank white ``matplotlib.figure.Figure`` of ``size`` inches (no pyplot, no window)."""
    from matplotlib.figure import Figure

    return Figure(figsize=size, dpi=dpi, facecolor="white")


def save_page(fig, fmt: str, title: str, subtitle: str = "", dpi: int = 150) -> bytes:
    """``fig`` as PNG or one-page PDF bytes, ``title`` (and ``subtitle``) in the file metadata."""
    buf = io.BytesIO()
    if fmt == "pdf":
        fig.savefig(buf, format="pdf", metadata=pdf_metadata(title, subtitle))
    else:
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Title": title, "Software": "拓客图"})
    return buf.getvalue()


def pdf_metadata(title: str, subtitle: str = "") -> dict[str, str]:
    """The PDF document information of a printed page."""
    meta = {"Title": title, "Subject": subtitle, "Creator": "拓客图", "Author": "拓客图"}
    return {k: v for k, v in meta.items() if v}


def draw_map(fig, areas: gpd.GeoDataFrame, legend: list[tuple[str, str]], *, map_box: tuple = MAP_BOX,
             legend_box: tuple | None = LEGEND_BOX, label_column: str | None = "area_name",
             sites: list[dict] | None = None) -> None:
    """Draw the areas (fills, hatches, labels, sites, north arrow, scale bar) and the legend panel on ``fig``.

    The drawing part of :func:`render_map`, for pages that put a map beside other content
    (e.g. a team's sheet).  ``map_box`` and ``legend_box`` are (left, bottom, width, height)
    in inches from the figure's lower-left corner; ``legend_box`` None draws no legend.
    Call it inside :func:`matplotlib_rc`.  ``areas``, ``legend``, ``label_column`` and
    ``sites`` are as for :func:`render_map`.

    Raises
    ------
    ValueError
        No ``fill`` column or no area to draw.
    """
    if "fill" not in areas.columns:
        raise ValueError("区域图层缺少 fill 列（每个区域的填充颜色）")
    data = areas[~(areas.geometry.isna() | areas.geometry.is_empty)].copy()
    if len(data) == 0:
        raise ValueError("没有可绘制的区域")
    data = data.set_crs(4326) if data.crs is None else data.to_crs(4326)
    points = _valid_sites(sites)

    minx, miny, maxx, maxy = data.total_bounds
    crs = _local_crs((minx + maxx) / 2, (miny + maxy) / 2)
    data = data.to_crs(crs)
    if points:
        to_local = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
        xs, ys = to_local.transform([p["lng"] for p in points], [p["lat"] for p in points])
        for p, x, y in zip(points, xs, ys):
            p["x"], p["y"] = float(x), float(y)

    w_in, h_in = fig.get_size_inches()
    measure = _Measure(cjk_font_name())
    ax = fig.add_axes([map_box[0] / w_in, map_box[1] / h_in, map_box[2] / w_in, map_box[3] / h_in])
    per_pt = _draw_areas(ax, data, points, map_box)
    obstacles = _draw_north_and_scale(ax, data, per_pt)
    obstacles += _draw_sites(ax, points, per_pt, measure)
    if label_column and label_column in data.columns:
        _draw_labels(ax, data, label_column, legend, per_pt, measure, obstacles)
    if legend_box is not None:
        lax = fig.add_axes([legend_box[0] / w_in, legend_box[1] / h_in, legend_box[2] / w_in,
                            legend_box[3] / h_in])
        _draw_legend(lax, legend, data, points, measure, legend_box)


def _draw_areas(ax, data: gpd.GeoDataFrame, points: list[dict], map_box: tuple = MAP_BOX) -> float:
    """Fill and outline the areas; returns map metres per typographic point."""
    from matplotlib.collections import PathCollection

    x0, y0, x1, y1 = data.total_bounds
    if points:
        px, py = [p["x"] for p in points], [p["y"] for p in points]
        x0, y0, x1, y1 = min(x0, *px), min(y0, *py), max(x1, *px), max(y1, *py)
    pad = 0.04 * max(x1 - x0, y1 - y0, 1000.0)
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    want = map_box[2] / map_box[3]  # width / height of the axes: widen or heighten the extent to match
    if (x1 - x0) / (y1 - y0) < want:
        grow = (y1 - y0) * want - (x1 - x0)
        x0, x1 = x0 - grow / 2, x1 + grow / 2
    else:
        grow = (x1 - x0) / want - (y1 - y0)
        y0, y1 = y0 - grow / 2, y1 + grow / 2
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor("#9a9a9a")
        spine.set_linewidth(0.8)

    paths = _paths(data.geometry.values)
    fills = [c if isinstance(c, str) and c.strip() else "#eeeeee" for c in data["fill"]]
    ax.add_collection(PathCollection(paths, facecolors=fills, edgecolors=EDGE_COLOUR, linewidths=0.45,
                                     zorder=1), autolim=False)
    if "hatch" in data.columns:
        hatched = [p for p, h in zip(paths, data["hatch"].fillna(False).astype(bool)) if h]
        if hatched:
            ax.add_collection(PathCollection(hatched, facecolors="none", edgecolors=HATCH_COLOUR,
                                             linewidths=0.0, hatch="////", zorder=2), autolim=False)
    return (x1 - x0) / (map_box[2] * 72)


def _corner_cost(data: gpd.GeoDataFrame, box: Box) -> float:
    return float(shapely.area(shapely.intersection(data.geometry.values, shapely.box(*box))).sum())


def _draw_north_and_scale(ax, data: gpd.GeoDataFrame, per_pt: float) -> list[Box]:
    """North arrow in the emptier top corner, scale bar in the emptier bottom corner; their boxes."""
    from matplotlib.patches import Polygon, Rectangle

    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    margin = 16 * per_pt

    # north arrow: a half-filled arrowhead with "N" above it
    aw, ah = 24 * per_pt, 66 * per_pt
    corners = {side: (x, ymax - margin - ah, x + aw, ymax - margin)
               for side, x in (("left", xmin + margin), ("right", xmax - margin - aw))}
    arrow = min(corners.values(), key=lambda b: _corner_cost(data, b))
    cx, top, base = (arrow[0] + arrow[2]) / 2, arrow[3] - 20 * per_pt, arrow[1]
    notch, half = base + 10 * per_pt, aw / 2
    ax.add_patch(Polygon([(cx, top), (cx - half, base), (cx, notch)], closed=True, facecolor="#222222",
                         edgecolor="#222222", linewidth=0.8, zorder=10))
    ax.add_patch(Polygon([(cx, top), (cx + half, base), (cx, notch)], closed=True, facecolor="white",
                         edgecolor="#222222", linewidth=0.8, zorder=10))
    ax.text(cx, top + 3 * per_pt, "N", ha="center", va="bottom", fontsize=12, fontweight="bold",
            color="#222222", zorder=10, family="DejaVu Sans")

    # scale bar: two segments (black, white) in true metres thanks to the local projection
    length = _nice_length((xmax - xmin) * 0.2)
    bar_h, label_h = 5.5 * per_pt, 16 * per_pt
    starts = {side: (x, ymin + margin, x + length, ymin + margin + bar_h + label_h)
              for side, x in (("left", xmin + margin), ("right", xmax - margin - length))}
    bar = min(starts.values(), key=lambda b: _corner_cost(data, b))
    sx, sy = bar[0], bar[1]
    ax.add_patch(Rectangle((sx - 8 * per_pt, sy - 6 * per_pt), length + 16 * per_pt, bar_h + label_h + 10 * per_pt,
                           facecolor="white", edgecolor="none", alpha=0.85, zorder=9))
    for i, colour in enumerate(("#222222", "white")):
        ax.add_patch(Rectangle((sx + i * length / 2, sy), length / 2, bar_h, facecolor=colour,
                               edgecolor="#222222", linewidth=0.8, zorder=10))
    for frac, text in ((0, "0"), (0.5, f"{length / 2 / (1000 if length >= 1000 else 1):g}"),
                       (1, _length_label(length))):
        ax.text(sx + frac * length, sy + bar_h + 3.5 * per_pt, text, ha="center", va="bottom", fontsize=7.5,
                color="#222222", zorder=10)
    pad = 4 * per_pt
    return [(arrow[0] - pad, arrow[1] - pad, arrow[2] + pad, arrow[3] + pad),
            (bar[0] - 3 * pad, bar[1] - pad, bar[2] + 6 * pad, bar[3] + pad)]


def _draw_sites(ax, points: list[dict], per_pt: float, measure: _Measure) -> list[Box]:
    """Project stars and competitor triangles with their names; the boxes they cover."""
    from matplotlib import patheffects

    halo = [patheffects.withStroke(linewidth=2.6, foreground="white", alpha=0.95)]
    boxes: list[Box] = []
    for p in sorted(points, key=lambda p: p["kind"] == "project"):  # the project on top
        project = p["kind"] == "project"
        marker_pt = 17 if project else 8.5
        ax.plot([p["x"]], [p["y"]], linestyle="none", marker="*" if project else "^", markersize=marker_pt,
                markerfacecolor=PROJECT_COLOUR if project else COMPETITOR_COLOUR, markeredgecolor="white",
                markeredgewidth=0.9 if project else 0.7, zorder=8 if project else 7)
        r = marker_pt / 2 * per_pt
        boxes.append((p["x"] - r, p["y"] - r, p["x"] + r, p["y"] + r))
        if p["name"]:
            size, weight = (9.0, "bold") if project else (7.5, "normal")
            offset = (8 if project else 6) * per_pt
            ax.annotate(p["name"], (p["x"], p["y"]), xytext=(8 if project else 6, 0), textcoords="offset points",
                        ha="left", va="center", fontsize=size, fontweight=weight,
                        color=PROJECT_COLOUR if project else "#343a40", path_effects=halo,
                        zorder=9, annotation_clip=True, parse_math=False)
            w, h = measure.width(p["name"], size, weight) * per_pt, size * 1.25 * per_pt
            boxes.append((p["x"] + offset, p["y"] - h / 2, p["x"] + offset + w, p["y"] + h / 2))
    return boxes


_DIRECTIONS = ((0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1))


def _labelled(data: gpd.GeoDataFrame, column: str, legend: list[tuple[str, str]]) -> gpd.GeoDataFrame:
    """The areas that get a label: all named ones up to :data:`MAX_LABELS`; beyond that only the
    areas filled with the first two legend colours (A/B), the largest :data:`MAX_LABELS` of them."""
    names = data[column]
    keep = names.notna() & (names.astype(str).str.strip() != "")
    if keep.sum() > MAX_LABELS:
        top = {str(c).lower() for c, _ in legend[:2]}
        keep &= data["fill"].astype(str).str.lower().isin(top)
    chosen = data[keep]
    if len(chosen) > MAX_LABELS:
        chosen = chosen.loc[chosen.geometry.area.sort_values(ascending=False, kind="stable").index[:MAX_LABELS]]
    return chosen


def _draw_labels(ax, data: gpd.GeoDataFrame, column: str, legend: list[tuple[str, str]], per_pt: float,
                 measure: _Measure, obstacles: list[Box]) -> None:
    """Area names, smallest area first, each at the first free spot near its area."""
    from matplotlib import patheffects

    chosen = _labelled(data, column, legend)
    n = len(chosen)
    size = 8.5 if n <= 20 else 7.5 if n <= 40 else 6.5
    halo = [patheffects.withStroke(linewidth=2.4, foreground="white", alpha=0.9)]
    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    placed = list(obstacles)
    order = chosen.geometry.area.sort_values(kind="stable").index
    for idx in order:
        name = str(chosen.at[idx, column]).strip()
        geom = chosen.at[idx, "geometry"]
        anchor = geom.representative_point()
        for fs in (size, size - 1.0):
            w, h = (measure.width(name, fs) + 3) * per_pt, fs * 1.3 * per_pt
            spot = None
            for step in range(0, 5):
                for dx, dy in ((0, 0),) if step == 0 else _DIRECTIONS:
                    cx = anchor.x + dx * step * 0.55 * w
                    cy = anchor.y + dy * step * 1.05 * h
                    box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
                    if box[0] < xmin or box[2] > xmax or box[1] < ymin or box[3] > ymax:
                        continue
                    if not any(_overlaps(box, other) for other in placed):
                        spot = (cx, cy, box)
                        break
                if spot:
                    break
            if spot:
                break
        if spot is None:
            continue  # no free place: better left out than printed over another name
        cx, cy, box = spot
        placed.append(box)
        if (cx, cy) != (anchor.x, anchor.y) and not geom.contains(shapely.Point(cx, cy)):
            ex = min(max(anchor.x, box[0]), box[2])
            ey = min(max(anchor.y, box[1]), box[3])
            ax.plot([anchor.x, ex], [anchor.y, ey], color="#444444", linewidth=0.6, zorder=4,
                    solid_capstyle="round")
            ax.plot([anchor.x], [anchor.y], marker="o", markersize=2.2, color="#444444", zorder=4)
        ax.text(cx, cy, name, ha="center", va="center", fontsize=fs, color="#1f1f1f", path_effects=halo,
                zorder=5, clip_on=True, parse_math=False)


def _draw_header_footer(fig, title: str, subtitle: str) -> None:
    from matplotlib.lines import Line2D

    left, right = MARGIN_IN / W_IN, 1 - MARGIN_IN / W_IN
    fig.text(left, 1 - 0.42 / H_IN, title, ha="left", va="top", fontsize=18, fontweight="bold",
             color="#1f1f1f", parse_math=False)
    if subtitle:
        fig.text(left, 1 - 0.86 / H_IN, subtitle, ha="left", va="top", fontsize=10, color=MUTED, parse_math=False)
    fig.add_artist(Line2D([left, right], [1 - 1.12 / H_IN] * 2, color="#c8c8c8", linewidth=0.8))
    fig.text(left, 0.3 / H_IN, f"拓客图 · 生成于 {date.today():%Y-%m-%d}", ha="left", va="bottom", fontsize=8,
             color="#7a7a7a")
    fig.text(right, 0.3 / H_IN, "坐标 WGS-84 · 横轴墨卡托投影 · 区域边界仅供参考", ha="right", va="bottom",
             fontsize=8, color="#7a7a7a")


def _draw_legend(lax, legend: list[tuple[str, str]], data: gpd.GeoDataFrame, points: list[dict],
                 measure: _Measure, legend_box: tuple = LEGEND_BOX) -> None:
    """Legend panel beside the map; its axes is in inches (x right, y up from the panel's bottom)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyBboxPatch, Rectangle

    w, h = legend_box[2], legend_box[3]
    lax.set_xlim(0, w)
    lax.set_ylim(0, h)
    lax.set_axis_off()

    hatched_fills: set[str] = set()
    if "hatch" in data.columns:
        flags = data["hatch"].fillna(False).astype(bool)
        hatched_fills = set(data.loc[flags, "fill"].astype(str).str.lower())
        hatched_fills -= set(data.loc[~flags, "fill"].astype(str).str.lower())  # used both ways: plain swatch
    rows = [(str(c), str(t), "hatch" if str(c).lower() in hatched_fills else "fill") for c, t in legend]
    if hatched_fills and not any(kind == "hatch" for _, _, kind in rows):
        rows.append(("#d9d9d9", "斜线：样本不足", "hatch"))
    kinds = {p["kind"] for p in points}
    if "project" in kinds:
        rows.append((PROJECT_COLOUR, "本项目", "project"))
    if "competitor" in kinds:
        rows.append((COMPETITOR_COLOUR, "竞品项目", "competitor"))

    pad, sw_w, sw_h, gap = 0.16, 0.34, 0.2, 0.14
    text_x = pad + sw_w + 0.12
    size = 9.0
    if rows:  # shrink the text when the rows would not fit the panel
        for size in (9.0, 8.5, 8.0, 7.5, 7.0):
            fits = lambda s, size=size: measure.width(s, size) <= (w - text_x - pad) * 72  # noqa: E731
            wrapped = [_wrap(t, fits) for _, t, _ in rows]
            line_h = size * 1.4 / 72
            need = 0.5 + sum(max((t.count("\n") + 1) * line_h, sw_h) + gap for t in wrapped)
            if need <= h - 2 * pad:
                break
    else:
        wrapped, line_h = [], size * 1.4 / 72

    title_h = 0.42
    y = h - pad - title_h
    items = []
    for (colour, _, kind), text in zip(rows, wrapped):
        block = max((text.count("\n") + 1) * line_h, sw_h)
        items.append((colour, text, kind, y, block))
        y -= block + gap
    bottom = y + gap - pad
    lax.add_patch(FancyBboxPatch((0.01, bottom), w - 0.02, h - 0.01 - bottom,
                                 boxstyle="round,pad=0,rounding_size=0.06", facecolor="#fbfbfb",
                                 edgecolor="#c8c8c8", linewidth=0.8))
    lax.text(pad, h - pad, "图例", ha="left", va="top", fontsize=11, fontweight="bold", color="#1f1f1f")
    for colour, text, kind, top, block in items:
        mid = top - block / 2
        if kind in ("fill", "hatch"):
            lax.add_patch(Rectangle((pad, mid - sw_h / 2), sw_w, sw_h, facecolor=colour, edgecolor=EDGE_COLOUR,
                                    linewidth=0.6))
            if kind == "hatch":
                lax.add_patch(Rectangle((pad, mid - sw_h / 2), sw_w, sw_h, facecolor="none",
                                        edgecolor=HATCH_COLOUR, linewidth=0.0, hatch="////"))
        else:
            project = kind == "project"
            lax.add_line(Line2D([pad + sw_w / 2], [mid], linestyle="none", marker="*" if project else "^",
                                markersize=15 if project else 8.5, markerfacecolor=colour, markeredgecolor="white",
                                markeredgewidth=0.8))
        lax.text(text_x, mid, text, ha="left", va="center", fontsize=size, color="#1f1f1f", linespacing=1.4,
                 parse_math=False)
