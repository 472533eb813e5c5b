"""H3 hexagon grid: points to cells, cells to an area layer (h3 4.x).

A hexagon layer has the same columns as :func:`mapping.geo.boundaries.load_layer`
(``area_id``, ``area_name``, ``adcode``, ``geometry``, EPSG:4326), so hexagons can
be the grading unit of a choropleth just like districts or 板块.  Cell ids are
H3 strings such as ``"8831aa5063fffff"``; everything is WGS-84 (lng, lat), while
h3 itself takes (lat, lng).

Examples
--------
>>> layer_id(8), parse_layer_id("h3:8"), parse_layer_id("districts")
('h3:8', 8, None)
>>> cells = cells_for_points(np.array([121.4737, np.nan]), np.array([31.2304, 31.2]), 8)
>>> cells.tolist()
['88309959d1fffff', '']
>>> layer = hex_layer(cells)
>>> list(layer.columns), len(layer)
(['area_id', 'area_name', 'adcode', 'geometry'], 1)
>>> layer.area_name[0], bool(layer.geometry[0].contains(shapely.Point(121.4737, 31.2304)))
('六边形 959d1f', True)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike

__all__ = [
    "RESOLUTIONS",
    "cells_for_points",
    "cells_in_polygons",
    "cell_label",
    "hex_layer",
    "layer_id",
    "parse_layer_id",
]

#: offered resolutions: 7 ≈ 5.2 km², 8 ≈ 0.74 km², 9 ≈ 0.11 km² per cell
RESOLUTIONS = (7, 8, 9)
_PREFIX = "h3:"
_LAYER_ID = re.compile(r"^h3:(\d{1,2})$")


def layer_id(res: int) -> str:
    """The layer id for hexagons of resolution ``res``, e.g. ``"h3:8"``."""
    res = int(res)
    if not 0 <= res <= 15:
        raise ValueError(f"H3 分辨率必须在 0–15 之间，收到 {res}")
    return f"{_PREFIX}{res}"


def parse_layer_id(s: object) -> int | None:
    """The resolution in a layer id such as ``"h3:8"``; ``None`` for any other layer id."""
    match = _LAYER_ID.match(str(s).strip()) if s is not None else None
    if not match:
        return None
    res = int(match.group(1))
    return res if res <= 15 else None


def cells_for_points(lng: ArrayLike, lat: ArrayLike, res: int) -> np.ndarray:
    """The H3 cell of each WGS-84 point ("" where lng/lat is NaN or out of range).

    Identical (lng, lat) pairs are looked up once: visitors resolved to the same
    landmark share one call to ``h3.latlng_to_cell``, so millions of points with
    a few thousand distinct locations take well under a second.

    Returns an object array of ``str``, one per point (the strings of equal
    cells are shared, which keeps a few million results small in memory).
    """
    lng = np.asarray(lng, dtype=float).ravel()
    lat = np.asarray(lat, dtype=float).ravel()
    if lng.shape != lat.shape:
        raise ValueError(f"lng 与 lat 长度不一致：{lng.size} ≠ {lat.size}")
    res = int(res)
    out = np.full(lng.size, "", dtype=object)
    valid = np.isfinite(lng) & np.isfinite(lat) & (np.abs(lat) <= 90) & (np.abs(lng) <= 180)
    if not valid.any():
        return out
    # one complex number per pair: hashing two float64 at once (exact equality)
    codes, uniques = pd.factorize(lng[valid] + 1j * lat[valid])
    uniques = np.asarray(uniques)
    to_cell = h3.latlng_to_cell
    cells = np.array(
        [to_cell(y, x, res) for x, y in zip(uniques.real.tolist(), uniques.imag.tolist())],
        dtype=object,
    )
    out[valid] = cells[codes]
    return out


def cell_label(cell: str) -> str:
    """A short Chinese label for a cell: ``"六边形 "`` + the last 6 significant hex digits.

    The trailing ``f`` digits of an H3 id are padding for the unused finer
    resolutions, so they are skipped: ``88309959d1fffff`` → ``六边形 959d1f``
    (the last significant digit may itself contain padding bits).
    """
    res = h3.get_resolution(cell)
    significant = -(-(19 + 3 * res) // 4)  # header (19 bits) + 3 bits per level, in hex digits
    return f"六边形 {cell[:significant][-6:]}"


def hex_layer(cell_ids: Iterable[str]) -> gpd.GeoDataFrame:
    """One hexagon per distinct cell id ("" and None skipped), as an area layer.

    Columns ``area_id`` (the cell id), ``area_name`` (:func:`cell_label`, made
    unique within the layer), ``adcode`` ("") and ``geometry`` (WGS-84 lng/lat
    Polygon), EPSG:4326; rows in order of first appearance.
    """
    cells = list(dict.fromkeys(c for c in cell_ids if isinstance(c, str) and c))
    bad = [c for c in cells if not h3.is_valid_cell(c)]
    if bad:
        raise ValueError(f"无效的 H3 单元编号：{', '.join(map(repr, bad[:5]))}")
    geoms = np.empty(len(cells), dtype=object)
    rings: dict[int, list[int]] = {}
    bounds = [h3.cell_to_boundary(c) for c in cells]
    for i, b in enumerate(bounds):
        rings.setdefault(len(b), []).append(i)
    for n, idx in rings.items():  # 6 vertices (hexagons), 5 (pentagons, none in China)
        latlng = np.array([bounds[i] for i in idx], dtype=float).reshape(len(idx), n, 2)
        ring = np.concatenate([latlng[:, :, ::-1], latlng[:, :1, ::-1]], axis=1)  # (lng, lat), closed
        geoms[idx] = shapely.polygons(ring)
    names = pd.Series([cell_label(c) for c in cells], dtype=object)
    dup = names.duplicated(keep=False).to_numpy()
    if dup.any():  # two cells sharing the short suffix: show their full ids
        names[dup] = ["六边形 " + c for c, d in zip(cells, dup) if d]
    return gpd.GeoDataFrame(
        {"area_id": pd.Series(cells, dtype=object), "area_name": names,
         "adcode": pd.Series([""] * len(cells), dtype=object)},
        geometry=gpd.GeoSeries(geoms, crs=4326).values, crs=4326,
    )


def cells_in_polygons(polygons: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry, res: int) -> list[str]:
    """The cells whose centres lie inside any of ``polygons`` (WGS-84), sorted, no duplicates.

    E.g. ``hex_layer(cells_in_polygons(boundaries.districts(), 8))`` covers Shanghai.
    """
    if isinstance(polygons, (gpd.GeoDataFrame, gpd.GeoSeries)):
        geoms = list(polygons.to_crs(4326).geometry) if polygons.crs else list(polygons.geometry)
    else:
        geoms = [polygons]
    cells: set[str] = set()
    for geom in geoms:
        if geom is None or geom.is_empty:
            continue
        cells.update(h3.geo_to_cells(geom, int(res)))
    return sorted(cells)
