"""Place-name tables loaded into one lookup index.

Sources (see ``data/gazetteer/README.md`` and ``LANDMARKS.md``):

* ``districts_cn.csv`` — every province, city and county-level unit of China;
* ``towns_cn.csv`` — every town and street (乡镇/街道, 9-digit codes);
* ``historic_names.csv`` — former districts and counties (闸北 → 静安…);
* ``shanghai_landmarks.csv`` and ``landmarks/<city_adcode>.csv`` — business areas,
  CBDs, malls, stations, universities, parks… of one city each, with a
  representative WGS-84 point.

A project's index holds the towns and landmarks of its city and of the cities
whose polygons touch it (:func:`neighbour_cities`), so 花桥 in a Shanghai project and
安亭 or 虹桥火车站 in a Suzhou one are found.

:func:`index` returns a :class:`Gazetteer` whose ``names`` dict maps every
lookup key (full name, short name, alias) to the entries it may mean.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import marshal
import os
import sys
import tempfile
from collections import namedtuple
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path

import opencc
import pandas as pd

from mapping.paths import BOUNDARIES, GAZETTEER, VAR
from mapping.place import placetext
from mapping.place.placetext import normalise

log = logging.getLogger(__name__)

PROVINCE, CITY, DISTRICT, TOWN, LANDMARK, HISTORIC = "province", "city", "district", "town", "landmark", "historic"
# More specific kinds win when two matches are equally long.
KIND_RANK = {LANDMARK: 5, TOWN: 4, HISTORIC: 3, DISTRICT: 3, CITY: 2, PROVINCE: 1}


@dataclass(frozen=True)
class Entry:
    """One thing a name may refer to."""

    kind: str
    name: str  # canonical full name
    adcode: str  # district adcode ("" for province/city entries)
    city_adcode: str
    province_adcode: str
    town_code: str = ""
    lng: float | None = None
    lat: float | None = None
    ambiguous: tuple[str, ...] = ()  # other districts the name is shared with
    short: bool = False  # matched by its short form (less certain)


@dataclass
class Gazetteer:
    names: dict[str, list[Entry]] = field(default_factory=dict)
    district_names: dict[str, str] = field(default_factory=dict)  # adcode -> full name
    city_names: dict[str, str] = field(default_factory=dict)
    max_key: int = 2
    neighbours: tuple[str, ...] = ()  # project-city codes of the cities that border this one
    # The city's own stations and airports by the word a visitor uses for any of them (火车站, 机场).
    by_type: dict[str, list[Entry]] = field(default_factory=dict)

    def is_neighbour(self, code: str) -> bool:
        """True when the district, city or province ``code`` lies in a neighbouring city."""
        return bool(code) and any(code.startswith(city_prefix(n)) for n in self.neighbours)

    def add(self, key: str, entry: Entry) -> None:
        key = normalise(key)
        if len(key) < 2:
            return
        bucket = self.names.setdefault(key, [])
        if entry not in bucket:
            bucket.append(entry)
            self.max_key = max(self.max_key, len(key))
            self._trie = None
            self.memo.clear()

    def trie(self) -> dict:
        """The keys as a character trie: ``{char: [children, entries or None]}``, entries where a key ends.

        Lets a scan stop reading at the first character no key continues with.
        """
        if self._trie is None:
            root: dict = {}
            for key, entries in self.names.items():
                node = root
                for char in key[:-1]:
                    node = node.setdefault(char, [{}, None])[0]
                node.setdefault(key[-1], [{}, None])[1] = entries
            self._trie = root
        return self._trie

    def towns_of(self, adcode: str) -> dict[str, Entry]:
        """Town entries of one district by every key (for outside-city addresses).

        Built on first use per district: most districts of China are never asked for,
        and normalising all 41,000 town names up front was most of the index build.
        """
        towns = self._towns_by_district.get(adcode)
        if towns is None:
            towns = {}
            if self._town_rows is None:
                self._town_rows = _town_rows()
            for name, short_name, city_code, province_code, town_code in self._town_rows.get(adcode, ()):
                entry = Entry(TOWN, name, adcode, city_code, province_code, town_code=town_code)
                for key in {name, short_name, name.removesuffix("办事处")}:
                    if key:
                        towns[normalise(key)] = entry
            self._towns_by_district[adcode] = towns
        return towns

    _towns_by_district: dict[str, dict[str, Entry]] = field(default_factory=dict)
    # adcode -> (name, short_name, city_adcode, province_adcode, town_code) of its towns, in file order;
    # read on the first towns_of call
    _town_rows: dict[str, list[tuple[str, str, str, str, str]]] | None = None
    _trie: dict | None = None
    memo: dict = field(default_factory=dict)  # textmatch's answers by matched names (see textmatch._scan)


def city_prefix(city: str) -> str:
    """Adcode prefix shared by a city's districts: "3101" for 310100, "31" for the municipality 310000."""
    return city[:4] if city[2:4] != "00" else city[:2]


def districts_of(city: str) -> dict[str, str]:
    """{adcode: name} of the districts of ``city``."""
    return {k: v for k, v in index(city).district_names.items() if k.startswith(city_prefix(city))}


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(GAZETTEER / name, dtype=str, keep_default_na=False)


def _records(name: str) -> list:
    """The rows of a table as named tuples of ``str``, as :func:`_read` would give them, without pandas."""
    with open(GAZETTEER / name, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        row = namedtuple("Row", next(reader))
        return list(map(row._make, reader))


@lru_cache(maxsize=4)
def index(city: str = "310000") -> Gazetteer:
    """The lookup index for a project in ``city`` (a 6-digit city or province adcode).

    Nationwide: provinces, cities, districts and historic names.  Towns and
    landmarks of ``city`` are indexed by full and short name; towns elsewhere only
    through :meth:`Gazetteer.towns_of`, so a two-character town name in another
    province cannot hijack a local string.
    """
    key = _cache_key(city)
    gaz = _load_cached(city, key)
    if gaz is None:
        gaz = build(city)
        _save_cached(city, key, gaz)
    return gaz


def build(city: str = "310000") -> Gazetteer:
    """Build the index of :func:`index` from the tables (no cache)."""
    neighbours = neighbour_cities(city)
    gaz = Gazetteer(neighbours=neighbours)
    _add_admin(gaz)
    _add_historic(gaz)
    _add_towns(gaz, tuple(city_prefix(c) for c in (city, *neighbours)))
    common = _common_landmark_names() if neighbours else frozenset()
    for each in (city, *neighbours):
        _add_landmarks(gaz, each, own=each == city, skip=frozenset() if each == city else common)
    _add_landmarks_without_city_name(gaz, city)
    return gaz


def neighbour_cities(city: str) -> tuple[str, ...]:
    """Project-city codes of the cities sharing a border with ``city`` (from the national polygons)."""
    # Imported here (geopandas): only when an index is built, not when it is read from disk.
    from mapping.geo import boundaries

    project = boundaries.city_of(city)  # 310100 → 310000; "" for a code that is no city
    return boundaries.neighbours(project) if project else ()


# The built index is kept on disk (``var/cache/``), keyed by the tables, this module and the
# normaliser, so a fresh process reads it instead of normalising ~8,500 names again.  It is
# stored with ``marshal`` (plain strings, numbers, tuples): reading it runs no code.
CACHE_DIR = VAR / "cache"
_ENTRY_FIELDS = [f.name for f in fields(Entry)]


def _cache_key(city: str) -> str:
    # version() covers every table the index is built from, the landmark files and the city adjacency included.
    digest = hashlib.sha256(f"{version()} {city} {sys.version_info[:2]} {marshal.version}".encode())
    for module in (__file__, placetext.__file__):
        digest.update(Path(module).read_bytes())
    digest.update(opencc.__version__.encode() if hasattr(opencc, "__version__") else b"")
    return digest.hexdigest()[:20]


def _cache_path(city: str, key: str) -> Path:
    return CACHE_DIR / f"gazetteer-{city}-{key}.marshal"


def _load_cached(city: str, key: str) -> Gazetteer | None:
    if os.environ.get("TUOKE_GAZETTEER_CACHE", "1") == "0":
        return None
    try:
        data = marshal.loads(_cache_path(city, key).read_bytes())
        entries = [Entry(*values) for values in data["entries"]]
        gaz = Gazetteer(names={k: [entries[i] for i in ids] for k, ids in data["names"].items()},
                        district_names=data["district_names"], city_names=data["city_names"],
                        max_key=data["max_key"], neighbours=tuple(data["neighbours"]),
                        by_type={t: [entries[i] for i in ids] for t, ids in data["by_type"].items()})
    except (OSError, EOFError, ValueError, TypeError, KeyError, IndexError):
        return None  # no cache yet, or unreadable: build
    return gaz


def _save_cached(city: str, key: str, gaz: Gazetteer) -> None:
    if os.environ.get("TUOKE_GAZETTEER_CACHE", "1") == "0":
        return
    ids: dict[Entry, int] = {}
    names = {k: [ids.setdefault(e, len(ids)) for e in bucket] for k, bucket in gaz.names.items()}
    by_type = {t: [ids.setdefault(e, len(ids)) for e in bucket] for t, bucket in gaz.by_type.items()}
    data = {"entries": [tuple(getattr(e, f) for f in _ENTRY_FIELDS) for e in ids], "names": names,
            "district_names": gaz.district_names, "city_names": gaz.city_names, "max_key": gaz.max_key,
            "neighbours": gaz.neighbours, "by_type": by_type}
    path = _cache_path(city, key)
    try:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=CACHE_DIR, prefix=path.name, delete=False) as f:
            f.write(marshal.dumps(data))
        os.replace(f.name, path)  # atomic: a process reading at the same time sees the old file or the new one
        for old in CACHE_DIR.glob(f"gazetteer-{city}-*.marshal"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass  # read-only checkout: build every time


def _add_admin(gaz: Gazetteer) -> None:
    for r in _records("districts_cn.csv"):
        kind = r.level
        adcode = r.adcode if kind == DISTRICT else ""
        city_code = r.city_adcode if kind != PROVINCE else ""
        if kind == CITY and r.name == r.province_name:
            city_code = r.province_adcode  # 北京市, 重庆市 (two city rows): the municipality, a project city
        entry = Entry(kind, r.name, adcode, city_code, r.province_adcode)
        if kind == DISTRICT:
            gaz.district_names[r.adcode] = r.name
        elif kind == CITY:
            gaz.city_names[r.adcode] = r.name
        gaz.add(r.name, entry)
        if r.short_name and r.short_name != r.name:
            gaz.add(r.short_name, Entry(kind, r.name, adcode, city_code, r.province_adcode, short=True))
    gaz.city_names.update({k: v for k, v in gaz.district_names.items() if k.endswith("00")})


def _add_historic(gaz: Gazetteer) -> None:
    for r in _records("historic_names.csv"):
        adcode = r.new_adcode
        entry = Entry(HISTORIC, r.new_name, adcode, adcode[:4] + "00", adcode[:2] + "0000")
        gaz.add(r.old_name, entry)
        for suffix in ("区", "县", "市"):
            short = r.old_name[: -len(suffix)]
            current = [e for e in gaz.names.get(short, []) if e.kind != HISTORIC]
            if r.old_name.endswith(suffix) and len(short) >= 2 and not current:  # not 上海县 → "上海"
                gaz.add(short, Entry(HISTORIC, r.new_name, adcode, adcode[:4] + "00", adcode[:2] + "0000",
                                     short=True))


# Short town names that are common words, not names: 火车站 (火车站街道), 广场, 新城, 花园, 开发区… A
# visitor writing 火车站附近, 光谷广场 or 万科城市花园 means no town; the full name (火车站街道) still finds it.
GENERIC_SHORT = frozenset({
    "火车站", "火车南站", "车站", "新站", "南站", "北站", "东站", "西站", "机场", "码头", "港口", "铁路",
    "广场", "新城", "新区", "新村", "花园", "公园", "山庄", "商城", "市场", "学府", "学院", "中心",
    "开发区", "经济开发区", "经济技术开发区", "高新区", "高新技术开发区", "高新技术产业开发区", "工业园区", "工业区",
    "农场", "林场", "矿区", "电厂", "城关", "城区", "城厢", "城中", "城东", "城西", "城南", "城北", "市区",
})


def _add_towns(gaz: Gazetteer, prefixes: tuple[str, ...]) -> None:
    rows = _town_table()
    for town_code, name, short_name, adcode, city_code, province_code in rows:
        if town_code.startswith(prefixes):
            entry = Entry(TOWN, name, adcode, city_code, province_code, town_code=town_code)
            keys = {name, short_name, name.removesuffix("办事处")} - GENERIC_SHORT
            for key in keys:
                if key:
                    gaz.add(key, entry if key != short_name else
                            Entry(TOWN, name, adcode, city_code, province_code, town_code=town_code, short=True))


def _town_table() -> list[list[str]]:
    """towns_cn.csv as plain lists (41,000 rows: no named tuple per row)."""
    with open(GAZETTEER / "towns_cn.csv", encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        if next(reader) != ["town_code", "name", "short_name", "adcode", "city_adcode", "province_adcode"]:
            raise ValueError("towns_cn.csv: unexpected columns")
        return list(reader)


def _town_rows() -> dict[str, list[tuple[str, str, str, str, str]]]:
    """Every town of China by district, in file order (see :meth:`Gazetteer.towns_of`)."""
    by_district: dict[str, list[tuple[str, str, str, str, str]]] = {}
    for town_code, name, short_name, adcode, city_code, province_code in _town_table():
        by_district.setdefault(adcode, []).append((name, short_name, city_code, province_code, town_code))
    return by_district


LANDMARKS = GAZETTEER / "landmarks"  # <city_adcode>.csv, one file per project city
SHANGHAI_LANDMARKS = GAZETTEER / "shanghai_landmarks.csv"


def landmark_file(city: str) -> Path | None:
    """The landmark table of the project city ``city``, or None when it has none.

    Shanghai keeps its own ``shanghai_landmarks.csv``; every other city has
    ``landmarks/<city>.csv`` (same columns).
    """
    path = SHANGHAI_LANDMARKS if city == "310000" else LANDMARKS / f"{city}.csv"
    return path if path.exists() else None


def _landmark_rows(city: str) -> list:
    """The usable rows of ``city``'s landmark file.  A file without the needed columns, or a row
    whose point is not a number, is left out with a warning: the other places still resolve."""
    path = landmark_file(city)
    if path is None:
        return []
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None or not set(LANDMARK_COLUMNS) <= set(header):
            log.warning("%s skipped: its columns should include %s, got %s", path, ", ".join(LANDMARK_COLUMNS), header)
            return []
        row = namedtuple("Row", header)
        rows = [row._make(values) for values in reader if len(values) == len(header)]
    good = [r for r in rows if _is_point(r.lng, r.lat) and r.name]
    if len(good) < len(rows):
        log.warning("%s: %d rows skipped (no name, or lng/lat not numbers)", path, len(rows) - len(good))
    return good


def _is_point(lng: str, lat: str) -> bool:
    try:
        float(lng), float(lat)
    except ValueError:
        return False
    return True


LANDMARK_COLUMNS = ("name", "aliases", "type", "adcode", "district", "lng", "lat", "ambiguous_adcodes")


# A landmark type, and the words visitors write for "one of those" (火车站附近, 机场).
TYPE_WORDS = {"火车站": ("火车站", "高铁站", "动车站", "车站"), "机场": ("机场", "飞机场", "航站楼")}


def _add_landmarks(gaz: Gazetteer, city: str, own: bool = True, skip: frozenset[str] = frozenset()) -> None:
    """The landmarks of ``city``'s file; its rows keep their own adcode (the neighbour flag follows from it).

    The stations and airports of the project's own city (``own``) are also kept by type.  A
    neighbour's landmark is not found by a common word (城南, 新城) nor by a name other cities'
    landmarks have too (``skip``: 万象城, 中山公园), which means a local place or none here."""
    for r in _landmark_rows(city):
        ambiguous = tuple(a for a in r.ambiguous_adcodes.split("|") if a and a != r.adcode)
        entry = Entry(LANDMARK, r.name, r.adcode, r.adcode[:4] + "00", r.adcode[:2] + "0000",
                      lng=float(r.lng), lat=float(r.lat), ambiguous=ambiguous)
        if own and r.type in TYPE_WORDS:
            for word in TYPE_WORDS[r.type]:
                gaz.by_type.setdefault(word, []).append(entry)
        for key in (r.name, *r.aliases.split("|")):
            if key and (own or (normalise(key) not in GENERIC_SHORT and normalise(key) not in skip)):
                gaz.add(key, entry)


def _common_landmark_names() -> frozenset[str]:
    """Landmark names and aliases found in the files of two cities or more (欢乐谷, 万象城, 中山公园…)."""
    owners: dict[str, set[str]] = {}
    for path in [SHANGHAI_LANDMARKS, *sorted(LANDMARKS.glob("*.csv"))]:
        city = "310000" if path == SHANGHAI_LANDMARKS else path.stem
        for r in _landmark_rows(city):
            for key in (r.name, *r.aliases.split("|")):
                if key:
                    owners.setdefault(normalise(key), set()).add(city)
    return frozenset(k for k, cities in owners.items() if len(cities) > 1)


def _add_landmarks_without_city_name(gaz: Gazetteer, city: str) -> None:
    """The city's own landmarks named after it, by the rest of their name too: a visitor in a Suzhou
    project writes 高铁新城 for 苏州高铁新城, 博物馆 for 苏州博物馆.  As a short name (less sure, and not
    taken when the string names another city), only where the rest says something (three characters
    or more, not a common word) and no other place has that name."""
    stem = next((r.short_name for r in _records("districts_cn.csv") if r.adcode == city), "")
    if not stem:
        return
    for r in _landmark_rows(city):
        rest = normalise(r.name.removeprefix(stem))
        if r.name.startswith(stem) and len(rest) >= 3 and rest not in GENERIC_SHORT and rest not in gaz.names:
            entry = next(e for e in gaz.names[normalise(r.name)] if e.kind == LANDMARK and e.name == r.name)
            gaz.add(rest, Entry(**{**{f: getattr(entry, f) for f in _ENTRY_FIELDS}, "short": True}))


RESOLVER_VERSION = "2"  # bump when the matching rules change, so cached results are redone


@lru_cache(maxsize=1)
def version() -> str:
    """Identifies the gazetteer data and resolver rules (the cache key of resolved strings).

    Covers every table an index is built from: the admin and town tables, every city's
    landmark file, the city adjacency that decides which neighbours' towns are read, and
    the hosts of functional zones.
    """
    digest = hashlib.sha256(RESOLVER_VERSION.encode())
    for path in [*sorted(GAZETTEER.glob("*.csv")), *sorted(LANDMARKS.glob("*.csv")), NEIGHBOURS_TABLE, ZONES_TABLE]:
        if path.exists():
            digest.update(f"{path.parent.name}/{path.name}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# Read by mapping.geo.boundaries (neighbours, host_district); they change what strings resolve to.
NEIGHBOURS_TABLE = BOUNDARIES / "china" / "city_neighbours.csv"
ZONES_TABLE = BOUNDARIES / "china" / "functional_zones.csv"


def landmark_table(city: str = "310000") -> pd.DataFrame:
    """Landmarks of ``city`` (name, type, adcode, district, lng, lat) for pickers; empty when it has none."""
    prefix = city_prefix(city)
    rows = [r for r in _landmark_rows(city) if r.adcode.startswith(prefix)]
    return pd.DataFrame({
        "name": pd.Series([r.name for r in rows], dtype=object),
        "type": pd.Series([r.type for r in rows], dtype=object),
        "adcode": pd.Series([r.adcode for r in rows], dtype=object),
        "district": pd.Series([r.district for r in rows], dtype=object),
        "lng": pd.Series([float(r.lng) for r in rows], dtype=float),
        "lat": pd.Series([float(r.lat) for r in rows], dtype=float),
    })


@lru_cache(maxsize=1)
def admin_names() -> dict[str, str]:
    """``{adcode: name}`` of every province, city and county-level unit of China (浦东新区, 东莞市, 香港特别行政区)."""
    return {r.adcode: r.name for r in _records("districts_cn.csv")}


@lru_cache(maxsize=1)
def town_names() -> dict[str, str]:
    """``{9-digit town code: town name}`` for every town in the gazetteer."""
    table = _read("towns_cn.csv")
    return dict(zip(table["town_code"], table["name"]))
