"""The project's own site and its competitors as an editable table, in the coordinate system the user copies from.

Sites are stored in WGS-84 (:class:`mapping.project.Project`).  Users copy
coordinates from 高德/腾讯 (GCJ-02), 百度 (BD-09) or a GPS (WGS-84), so the
editor shows them in the system they pick: :func:`sites_table` converts out of
WGS-84 for display, :func:`parse_sites` converts an edited table back.

Examples
--------
>>> p = Project(1, "示例", "310000", site_lng=121.6, site_lat=31.2,
...             competitors=({"name": "竞品一", "lng": 121.5, "lat": 31.3},))
>>> table = sites_table(p, "GCJ02")
>>> table["名称"].tolist()
['本项目', '竞品一']
>>> site, competitors = parse_sites(table, "GCJ02")
>>> round(site[0], 5), round(site[1], 5), competitors[0]["name"]
(121.6, 31.2, '竞品一')
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mapping.geo.coords import from_wgs84, to_wgs84
from mapping.project import Project
from mapping.schema import BD09, GCJ02, WGS84

__all__ = ["COLUMNS", "CRS_LABELS", "OWN_SITE", "parse_sites", "sites_table"]

OWN_SITE = "本项目"  # the name of the row holding the project's own site
NAME, LNG, LAT = "名称", "经度", "纬度"
COLUMNS = [NAME, LNG, LAT]
# the coordinate systems offered in the editor, in the order shown
CRS_LABELS = {GCJ02: "GCJ-02（高德/腾讯）", WGS84: "WGS-84（GPS）", BD09: "BD-09（百度）"}
DECIMALS = 6  # ~0.1 m: what the map apps show


def sites_table(project: Project, crs: str) -> pd.DataFrame:
    """The project's site (row 「本项目」, first, when set) and its competitors, in ``crs``.

    Parameters
    ----------
    project : Project
        Its ``site`` and ``competitors`` are in WGS-84.
    crs : {"GCJ02", "WGS84", "BD09"}
        The coordinate system to show the coordinates in.

    Returns
    -------
    pandas.DataFrame
        Columns 名称, 经度, 纬度, coordinates rounded to 6 decimals; a competitor
        without coordinates has NaN.
    """
    names = ([OWN_SITE] if project.site is not None else []) + [c["name"] for c in project.competitors]
    points = ([project.site] if project.site is not None else []) + [(c["lng"], c["lat"])
                                                                     for c in project.competitors]
    lng = np.array([np.nan if p[0] is None else p[0] for p in points], dtype=float)
    lat = np.array([np.nan if p[1] is None else p[1] for p in points], dtype=float)
    x, y = from_wgs84(lng, lat, crs)
    return pd.DataFrame({NAME: names, LNG: np.round(x, DECIMALS), LAT: np.round(y, DECIMALS)}, columns=COLUMNS)


def parse_sites(table: pd.DataFrame, crs: str) -> tuple[tuple[float, float] | None, list[dict]]:
    """The site and competitors of an edited :func:`sites_table`, back in WGS-84.

    Blank rows are ignored.  The row named 「本项目」 is the project's site (the
    last one wins); every other row is a competitor ``{"name", "lng", "lat"}``,
    with ``None`` coordinates where they are not numbers (the store refuses
    those with the competitor's name).

    Parameters
    ----------
    table : pandas.DataFrame
        Columns 名称, 经度, 纬度 (numbers or text, as the editor returns them).
    crs : {"GCJ02", "WGS84", "BD09"}
        The coordinate system the numbers were typed in.

    Returns
    -------
    site : (float, float) or None
        The project's (lng, lat), or None when there is no 「本项目」 row.
    competitors : list of dict

    Raises
    ------
    ValueError
        When 「本项目」 has no numeric longitude and latitude; when ``table`` lacks
        one of the columns; when ``crs`` is unknown.
    """
    rows = _non_blank(_checked(table))
    lng = pd.to_numeric(rows[LNG], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(rows[LAT], errors="coerce").to_numpy(dtype=float)
    wgs_lng, wgs_lat = to_wgs84(lng, lat, crs)
    site, competitors = None, []
    for name, x, y in zip(rows[NAME].fillna("").astype(str).str.strip(), wgs_lng, wgs_lat):
        missing = bool(np.isnan(x) or np.isnan(y))
        if name == OWN_SITE:
            if missing:
                raise ValueError(f"「{OWN_SITE}」的经纬度不是数字，请填写经度和纬度。")
            site = (float(x), float(y))
        else:
            competitors.append({"name": name, "lng": None if missing else float(x),
                                "lat": None if missing else float(y)})
    return site, competitors


def _checked(table: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"'table' needs the columns {COLUMNS}, got {list(table.columns)} (missing {missing})")
    return table


def _non_blank(table: pd.DataFrame) -> pd.DataFrame:
    """Rows with a name or a coordinate (an empty string counts as blank)."""
    filled = table[COLUMNS].apply(lambda col: col.notna() & (col.astype(str).str.strip() != ""))
    return table[filled.any(axis=1)]
