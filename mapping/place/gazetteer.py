"""Place-name tables loaded into one lookup index.

Sources (see ``data/gazetteer/README.md`` and ``LANDMARKS.md``):

* ``districts_cn.csv`` — every province, city and county-level unit of China;
* ``towns_cn.csv`` — every town and street (乡镇/街道, 9-digit codes);
* ``historic_names.csv`` — former districts and counties (闸北 → 静安…);
* ``shanghai_landmarks.csv`` — business areas, CBDs, malls, stations,
  universities, parks… with a representative WGS-84 point.

:func:`index` returns a :class:`Gazetteer` whose ``names`` dict maps every
lookup key (full name, short name, alias) to the entries it may mean.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from mapping.paths import GAZETTEER
from mapping.place.placetext import normalise

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

    def add(self, key: str, entry: Entry) -> None:
        key = normalise(key)
        if len(key) < 2:
            return
        bucket = self.names.setdefault(key, [])
        if entry not in bucket:
            bucket.append(entry)
            self.max_key = max(self.max_key, len(key))

    def towns_of(self, adcode: str) -> dict[str, Entry]:
        """Town entries of one district by every key (for outside-city addresses)."""
        return self._towns_by_district.get(adcode, {})

    _towns_by_district: dict[str, dict[str, Entry]] = field(default_factory=dict)


def city_prefix(city: str) -> str:
    """Adcode prefix shared by a city's districts: "3101" for 310100, "31" for the municipality 310000."""
    return city[:4] if city[2:4] != "00" else city[:2]


def districts_of(city: str) -> dict[str, str]:
    """{adcode: name} of the districts of ``city``."""
    return {k: v for k, v in index(city).district_names.items() if k.startswith(city_prefix(city))}


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(GAZETTEER / name, dtype=str, keep_default_na=False)


@lru_cache(maxsize=4)
def index(city: str = "310000") -> Gazetteer:
    """The lookup index for a project in ``city`` (a 6-digit city or province adcode).

    Nationwide: provinces, cities, districts and historic names.  Towns and
    landmarks of ``city`` are indexed by full and short name; towns elsewhere only
    through :meth:`Gazetteer.towns_of`, so a two-character town name in another
    province cannot hijack a local string.
    """
    gaz = Gazetteer()
    prefix = city_prefix(city)
    _add_admin(gaz)
    _add_historic(gaz)
    _add_towns(gaz, (prefix, *NEIGHBOURS.get(city, ())))
    _add_landmarks(gaz, prefix)
    return gaz


def _add_admin(gaz: Gazetteer) -> None:
    for r in _read("districts_cn.csv").itertuples(index=False):
        kind = r.level
        adcode = r.adcode if kind == DISTRICT else ""
        city_code = r.city_adcode if kind != PROVINCE else ""
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
    for r in _read("historic_names.csv").itertuples(index=False):
        adcode = r.new_adcode
        entry = Entry(HISTORIC, r.new_name, adcode, adcode[:4] + "00", adcode[:2] + "0000")
        gaz.add(r.old_name, entry)
        for suffix in ("区", "县", "市"):
            short = r.old_name[: -len(suffix)]
            current = [e for e in gaz.names.get(short, []) if e.kind != HISTORIC]
            if r.old_name.endswith(suffix) and len(short) >= 2 and not current:  # not 上海县 → "上海"
                gaz.add(short, Entry(HISTORIC, r.new_name, adcode, adcode[:4] + "00", adcode[:2] + "0000",
                                     short=True))


# Cities whose towns people near ``city`` name without saying the city (花桥, 嘉善…).
NEIGHBOURS = {"310000": ("3205", "3304", "3206")}


def _add_towns(gaz: Gazetteer, prefixes: tuple[str, ...]) -> None:
    for r in _read("towns_cn.csv").itertuples(index=False):
        entry = Entry(TOWN, r.name, r.adcode, r.city_adcode, r.province_adcode, town_code=r.town_code)
        keys = {r.name, r.short_name, r.name.removesuffix("办事处")}
        by_key = gaz._towns_by_district.setdefault(r.adcode, {})
        for key in keys:
            if key:
                by_key[normalise(key)] = entry
        if r.town_code.startswith(prefixes):
            for key in keys:
                if key:
                    gaz.add(key, entry if key != r.short_name else
                            Entry(TOWN, r.name, r.adcode, r.city_adcode, r.province_adcode,
                                  town_code=r.town_code, short=True))


def _add_landmarks(gaz: Gazetteer, prefix: str) -> None:
    path = GAZETTEER / "shanghai_landmarks.csv"
    if not path.exists():
        return
    for r in _read(path.name).itertuples(index=False):
        if not r.adcode.startswith(prefix):
            continue
        ambiguous = tuple(a for a in r.ambiguous_adcodes.split("|") if a and a != r.adcode)
        entry = Entry(LANDMARK, r.name, r.adcode, r.adcode[:4] + "00", r.adcode[:2] + "0000",
                      lng=float(r.lng), lat=float(r.lat), ambiguous=ambiguous)
        gaz.add(r.name, entry)
        for alias in r.aliases.split("|"):
            if alias:
                gaz.add(alias, entry)


RESOLVER_VERSION = "1"  # bump when the matching rules change, so cached results are redone


@lru_cache(maxsize=1)
def version() -> str:
    """Identifies the gazetteer data and resolver rules (the cache key of resolved strings)."""
    digest = hashlib.sha256(RESOLVER_VERSION.encode())
    for path in sorted(GAZETTEER.glob("*.csv")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def landmark_table(city: str = "310000") -> pd.DataFrame:
    """Landmarks of ``city`` (name, type, adcode, district, lng, lat) for pickers."""
    table = _read("shanghai_landmarks.csv")
    table = table[table["adcode"].str.startswith(city_prefix(city))]
    table = table.assign(lng=table["lng"].astype(float), lat=table["lat"].astype(float))
    return table[["name", "type", "adcode", "district", "lng", "lat"]].reset_index(drop=True)


@lru_cache(maxsize=1)
def town_names() -> dict[str, str]:
    """``{9-digit town code: town name}`` for every town in the gazetteer."""
    table = _read("towns_cn.csv")
    return dict(zip(table["town_code"], table["name"]))
