"""mapping.geo.hexgrid: H3 cells for points, and hexagons as an area layer."""

from __future__ import annotations

import subprocess
import sys
import time

import h3
import numpy as np
import pytest
import shapely

from mapping.geo import hexgrid
from mapping.geo.boundaries import AREA_COLUMNS, assign_points, districts, load_layer
from mapping.geo.hexgrid import RESOLUTIONS, cells_for_points, cells_in_polygons, hex_layer, layer_id, parse_layer_id

BUND = (121.4906, 31.2397)  # 外滩, WGS-84


def naive(lng, lat, res):
    return [h3.latlng_to_cell(y, x, res) if np.isfinite(x) and np.isfinite(y) else ""
            for x, y in zip(lng, lat)]


def test_layer_ids():
    assert RESOLUTIONS == (7, 8, 9)
    assert [layer_id(r) for r in RESOLUTIONS] == ["h3:7", "h3:8", "h3:9"]
    for r in RESOLUTIONS:
        assert parse_layer_id(layer_id(r)) == r
    for other in ("districts", "pudong_bankuai", "h3:", "h3:x", "h3:16", "H3 8", "", None):
        assert parse_layer_id(other) is None, other
    with pytest.raises(ValueError):
        layer_id(16)


@pytest.mark.parametrize("res", RESOLUTIONS)
def test_point_lands_in_its_hexagon(res):
    cells = cells_for_points(np.array([BUND[0]]), np.array([BUND[1]]), res)
    assert cells.tolist() == [h3.latlng_to_cell(BUND[1], BUND[0], res)]  # h3 takes (lat, lng)
    layer = hex_layer(cells)
    poly = layer.geometry.iloc[0]
    assert poly.contains(shapely.Point(BUND))
    # lng/lat order: x is longitude
    minx, miny, maxx, maxy = poly.bounds
    assert 121 < minx < maxx < 122 and 31 < miny < maxy < 32


def test_nan_and_out_of_range_give_empty_string():
    lng = np.array([np.nan, BUND[0], np.inf, 200.0, BUND[0]])
    lat = np.array([31.2, np.nan, 31.2, 31.2, BUND[1]])
    cells = cells_for_points(lng, lat, 8)
    assert cells.tolist()[:4] == ["", "", "", ""]
    assert cells[4] != ""
    assert cells_for_points(np.array([]), np.array([]), 8).tolist() == []
    assert cells_for_points(np.array([np.nan]), np.array([np.nan]), 8).tolist() == [""]
    with pytest.raises(ValueError):
        cells_for_points(np.array([1.0, 2.0]), np.array([1.0]), 8)


def test_res8_area_about_0_7_km2():
    cell = cells_for_points([BUND[0]], [BUND[1]], 8)[0]
    km2 = h3.cell_area(cell, unit="km^2")
    assert 0.4 < km2 < 0.9  # global average 0.737 km², ~0.56 at Shanghai's latitude
    projected = hex_layer([cell]).to_crs(32651).area.iloc[0] / 1e6  # UTM 51N
    assert projected == pytest.approx(km2, rel=0.02)
    sizes = {r: h3.cell_area(h3.latlng_to_cell(BUND[1], BUND[0], r), unit="km^2") for r in RESOLUTIONS}
    assert sizes[7] > 5 * sizes[8] > 25 * sizes[9]


@pytest.mark.parametrize("res", RESOLUTIONS)
def test_dedupe_matches_naive_loop(res):
    rng = np.random.default_rng(res)
    ulng = np.round(rng.uniform(121.2, 121.9, 300), 6)
    ulat = np.round(rng.uniform(30.9, 31.5, 300), 6)
    idx = rng.integers(0, 300, 5000)
    lng, lat = ulng[idx].copy(), ulat[idx].copy()
    lng[::37] = np.nan
    lat[::53] = np.nan
    lng[1::41] += 1e-9  # nearly equal pairs must not be merged
    got = cells_for_points(lng, lat, res)
    assert got.tolist() == naive(lng, lat, res)
    assert all(isinstance(c, str) for c in got)


def test_three_million_points_are_fast():
    rng = np.random.default_rng(0)
    ulng, ulat = rng.uniform(121.2, 121.9, 20_000), rng.uniform(30.9, 31.5, 20_000)
    idx = rng.integers(0, 20_000, 3_000_000)
    lng, lat = ulng[idx], ulat[idx]
    start = time.perf_counter()
    cells = cells_for_points(lng, lat, 8)
    elapsed = time.perf_counter() - start
    assert len(cells) == 3_000_000
    sample = rng.integers(0, 3_000_000, 200)
    assert cells[sample].tolist() == naive(lng[sample], lat[sample], 8)
    assert elapsed < 10, f"{elapsed:.1f} s for 3,000,000 points"


def test_hex_layer_is_an_area_layer():
    rng = np.random.default_rng(3)
    lng, lat = rng.uniform(121.3, 121.6, 400), rng.uniform(31.1, 31.3, 400)
    cells = cells_for_points(lng, lat, 8)
    layer = hex_layer([*cells, "", None, cells[0]])
    districts_layer = load_layer("districts")
    assert tuple(layer.columns) == AREA_COLUMNS == tuple(districts_layer.columns)
    assert layer.crs.to_epsg() == 4326
    assert layer["area_id"].is_unique and set(layer["area_id"]) == set(cells)
    assert layer["area_id"].tolist() == list(dict.fromkeys(cells))  # first-appearance order
    assert (layer["adcode"] == "").all()
    assert layer["area_name"].is_unique
    assert all(n.startswith("六边形 ") and len(n) <= 12 for n in layer["area_name"])
    assert layer.geometry.is_valid.all()
    assert (shapely.get_num_coordinates(layer.geometry.values) == 7).all()  # closed hexagon rings
    # grading works like any layer: points assigned to the hexagons get their own cell
    assigned = assign_points(lng, lat, layer)
    assert assigned.tolist() == cells.tolist()


def test_hex_layer_empty_and_invalid():
    empty = hex_layer([])
    assert len(empty) == 0 and tuple(empty.columns) == AREA_COLUMNS
    with pytest.raises(ValueError, match="无效的 H3"):
        hex_layer(["not-a-cell"])


def test_label_uses_significant_digits():
    cell = h3.latlng_to_cell(BUND[1], BUND[0], 8)
    label = hexgrid.cell_label(cell)
    assert label.startswith("六边形 ") and not label.endswith("fffff")
    neighbours = h3.grid_disk(cell, 3)
    assert len({hexgrid.cell_label(c) for c in neighbours}) == len(neighbours)


def test_cells_covering_shanghai():
    d = districts()
    cells = cells_in_polygons(d, 7)
    assert 1_500 < len(cells) < 3_000
    layer = hex_layer(cells)
    centres = shapely.points([h3.cell_to_latlng(c)[::-1] for c in cells])
    assert shapely.union_all(d.geometry.values).buffer(1e-9).contains(centres).all()
    assert len(cells_in_polygons(d.geometry.iloc[0], 7)) < len(cells)
    assert len(layer) == len(cells)




def test_no_streamlit_import():
    code = "import sys, mapping.geo.hexgrid, mapping.maps.overlays; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
