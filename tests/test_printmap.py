"""The printable static map: PNG/PDF bytes, Chinese font handling, labels."""

from __future__ import annotations

import doctest
import io
import re
import subprocess
import sys
import warnings

import geopandas as gpd
import pytest
import shapely

from mapping.geo.boundaries import districts
from mapping.maps import printmap

needs_font = pytest.mark.skipif(
    not printmap.cjk_font_available(),
    reason="没有中文字体（CJK font）：安装 fonts-noto-cjk（scripts/system-deps）后才能测试打印版地图")

GRADE_COLOURS = {"A": "#b30000", "B": "#e34a33", "C": "#fc8d59", "D": "#fdcc8a", "样本不足": "#d9d9d9"}
GRADES = ["A", "A", "B", "B", "C", "C", "A", "B", "C", "D", "A", "样本不足", "D", "D", "C", "样本不足"]
LEGEND = [
    ("#b30000", "A 级 · 得分 120–310 · 4 个区域"),
    ("#e34a33", "B 级 · 得分 60–119 · 3 个区域"),
    ("#fc8d59", "C 级 · 得分 20–59 · 4 个区域"),
    ("#fdcc8a", "D 级 · 得分 0–19 · 3 个区域"),
    ("#d9d9d9", "样本不足 · 少于 30 位到访 · 2 个区域"),
]
SITES = [
    {"name": "金桥湾示范项目", "lng": 121.60, "lat": 31.27, "kind": "project"},
    {"name": "竞品·滨江壹号", "lng": 121.52, "lat": 31.23, "kind": "competitor"},
    {"name": "坐标缺失", "lng": None, "lat": None, "kind": "competitor"},
]
TITLE = "金桥湾示范项目 · 拓客地图（居住）"
SUBTITLE = "数据截至 2026-11-23 · 居住维度 · 分级方法：自然断点"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def areas() -> gpd.GeoDataFrame:
    gdf = districts(display=True).rename(columns={"name": "area_name"})
    gdf["fill"] = [GRADE_COLOURS[g] for g in GRADES]
    gdf["hatch"] = [g == "样本不足" for g in GRADES]
    return gdf


def _pdf_title(pdf: bytes) -> str:
    """The document title from the PDF's Info dictionary (a literal string, maybe UTF-16BE)."""
    start = pdf.index(b"/Title (") + len(b"/Title (")
    out, depth, i = bytearray(), 0, start
    escapes = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}
    while True:
        c = pdf[i]
        if c == ord("\\"):
            nxt = pdf[i + 1]
            if nxt in escapes:
                out += escapes[nxt]
                i += 2
            elif ord("0") <= nxt <= ord("7"):
                m = re.match(rb"[0-7]{1,3}", pdf[i + 1:i + 4])
                out.append(int(m.group(), 8))
                i += 1 + len(m.group())
            else:
                out.append(nxt)
                i += 2
            continue
        if c == ord("("):
            depth += 1
        elif c == ord(")"):
            if depth == 0:
                break
            depth -= 1
        out.append(c)
        i += 1
    raw = bytes(out)
    return raw[2:].decode("utf-16-be") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1")


@needs_font
@pytest.mark.filterwarnings("error")
def test_png_decodes_to_a4_landscape(areas):
    from matplotlib import image

    png = printmap.render_map(areas, TITLE, LEGEND, subtitle=SUBTITLE, sites=SITES, fmt="png", dpi=100)
    assert png.startswith(PNG_SIGNATURE)
    pixels = image.imread(io.BytesIO(png), format="png")
    height, width = pixels.shape[:2]
    assert (width, height) == (1169, 827)  # A4 landscape at 100 dpi
    assert pixels[..., :3].std() > 0.05  # not a blank page


@needs_font
def test_png_has_no_missing_glyph_warnings(areas):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        printmap.render_map(areas, TITLE, LEGEND, subtitle=SUBTITLE, sites=SITES, dpi=60)
    messages = [str(w.message) for w in caught]
    assert not [m for m in messages if "Glyph" in m or "missing from font" in m], messages
    assert not messages, messages


@needs_font
@pytest.mark.filterwarnings("error")
def test_pdf_is_one_a4_page_with_the_title(areas):
    pdf = printmap.render_map(areas, TITLE, LEGEND, subtitle=SUBTITLE, sites=SITES, fmt="pdf")
    assert pdf.startswith(b"%PDF")
    assert _pdf_title(pdf) == TITLE
    assert re.search(rb"/MediaBox \[ 0 0 841\.\d+ 595\.\d+ \]", pdf)
    assert len(re.findall(rb"/Type /Page\b", pdf)) == 1


@needs_font
@pytest.mark.filterwarnings("error")
def test_minimal_inputs(areas):
    """No hatch column, no CRS, no labels, no sites, no subtitle, no legend, fill given upper case."""
    bare = gpd.GeoDataFrame({"area_name": areas["area_name"], "fill": "#FC8D59"}, geometry=areas.geometry.values)
    png = printmap.render_map(bare, "只有标题", [], label_column=None, dpi=40)
    assert png.startswith(PNG_SIGNATURE)


@needs_font
@pytest.mark.filterwarnings("error")
def test_names_are_literal_text_not_mathtext(areas):
    odd = areas.copy()
    odd["area_name"] = ["$x_1$ 区", "50% 区", "a\\b", "{}", "^_^"] + list(odd["area_name"][5:])
    png = printmap.render_map(odd, "标题 $100$", LEGEND, subtitle="副标题 $", dpi=40)
    assert png.startswith(PNG_SIGNATURE)


@needs_font
def test_rendering_leaves_no_pyplot_and_no_rc_changes(areas):
    code = (
        "import sys, matplotlib; from mapping.maps import printmap; from mapping.geo.boundaries import districts;"
        "d = districts(display=True).rename(columns={'name': 'area_name'}); d['fill'] = '#fc8d59';"
        "before = dict(matplotlib.rcParams.copy());"  # copy(): reading 'backend' directly imports pyplot
        "printmap.render_map(d, '标题', [('#fc8d59', 'C 级')], dpi=30);"
        "print('matplotlib.pyplot' in sys.modules, dict(matplotlib.rcParams.copy()) == before)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_bad_format_and_missing_fill(areas):
    with pytest.raises(ValueError, match="png 或 pdf"):
        printmap.render_map(areas, "t", LEGEND, fmt="svg")
    with pytest.raises(ValueError, match="fill"):
        printmap.render_map(areas.drop(columns=["fill"]), "t", LEGEND)


@needs_font
def test_empty_layer_is_refused(areas):
    with pytest.raises(ValueError, match="没有可绘制的区域"):
        printmap.render_map(areas.iloc[:0], "t", LEGEND)


def test_missing_font_raises_a_chinese_message(monkeypatch, areas):
    monkeypatch.setattr(printmap, "_font_name", None)
    monkeypatch.setattr(printmap, "_find_cjk_font", lambda: None)
    assert printmap.cjk_font_available() is False
    with pytest.raises(printmap.PrintFontError, match="fonts-noto-cjk") as err:
        printmap.render_map(areas, TITLE, LEGEND)
    assert isinstance(err.value, RuntimeError)
    assert "中文字体" in str(err.value)


def test_label_selection_with_many_areas():
    cells = [shapely.box(121 + i * 0.05, 31 + j * 0.05, 121.05 + i * 0.05, 31.05 + j * 0.05)
             for i in range(10) for j in range(8)]
    fills = ["#b30000" if k < 5 else "#e34a33" if k < 9 else "#fdcc8a" for k in range(len(cells))]
    gdf = gpd.GeoDataFrame({"area_name": [f"格{k}" for k in range(len(cells))], "fill": fills},
                           geometry=cells, crs=4326)
    legend = [("#B30000", "A"), ("#e34a33", "B"), ("#fdcc8a", "D")]
    assert len(printmap._labelled(gdf, "area_name", legend)) == 9  # 80 areas: only A and B
    assert len(printmap._labelled(gdf.iloc[:60], "area_name", legend)) == 60  # up to 60: all
    unnamed = gdf.iloc[:10].assign(area_name=[None, "", " "] + [f"格{k}" for k in range(7)])
    assert len(printmap._labelled(unnamed, "area_name", legend)) == 7


def test_helpers_and_doctests():
    assert printmap._nice_length(950) == 500
    assert printmap._nice_length(180_000) == 100_000
    assert printmap._length_label(500) == "500 米"
    assert printmap._length_label(20_000) == "20 公里"
    assert doctest.testmod(printmap, optionflags=doctest.ELLIPSIS).failed == 0
