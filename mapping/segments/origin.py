"""Where visitors come from: visitors and deals by province or prefecture of origin (籍贯).

The hometown is the 6-digit code stored at import (``visitors.hometown``, derived from the ID
number's first six digits only when the import ticked the opt-in; see
:mod:`mapping.segments.hometown`).  :func:`origin_table` counts visitors, deals and the conversion
per province (``level="province"``) or prefecture (``level="city"``), one visitor once, under a
product-line filter, with the *k* rule: a place with fewer than ``min_count`` visitors is withheld
— not listed and not drawn (a hometown is personal: even its name with a blank count would say that
someone from there came); :class:`Origins` counts what was withheld.

Codes are normalised the way the boundary layers key them (``data/boundaries/china/
provinces_display.parquet`` / ``cities_display.parquet``): a province is ``code[:2] + "0000"``;
a municipality (北京/天津/上海/重庆) is one city under its province code (310100 → 310000); a
historic code (512200 万县地区, abolished 1992) keeps its code and name and is counted in the table,
but has no polygon (:attr:`Origins.off_map` counts such visitors).

>>> import pandas as pd
>>> visitors = pd.DataFrame({"visitor_id": [1, 2, 3, 4], "line": ["公寓"] * 4, "deal": [True, False, False, False],
...                          "bought": ["公寓", "", "", ""]})
>>> hometown = pd.DataFrame({"visitor_id": [1, 2, 3, 4], "hometown": ["320500", "320500", "320100", ""]})
>>> o = origin_table(visitors, hometown, "province", min_count=2)
>>> o.table[["籍贯", "到访", "成交"]].to_numpy().tolist(), o.unknown
([['江苏省', 3, 1]], 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from mapping.paths import ROOT

__all__ = ["ID_CODES", "LEVELS", "Origins", "has_hometown", "normalise", "origin_table", "origin_workbook", "polygons", "visitor_frame"]

LEVELS = {"province": "省", "city": "市"}
POLYGON_FILES = {"province": ROOT / "data" / "boundaries" / "china" / "provinces_display.parquet",
                 "city": ROOT / "data" / "boundaries" / "china" / "cities_display.parquet"}
_MUNICIPALITIES = {"11", "12", "31", "50"}  # 北京 天津 上海 重庆: the city is the province
TABLE_COLUMNS = ["代码", "籍贯", "所属省份", "到访", "成交", "成交率", "占比", "在地图上"]
HOMETOWN_HOWTO = ("籍贯只在导入时勾选了「从身份证号推导籍贯（只保存到城市，身份证号本身不保存）」才会推导："
                  "到「导入数据」页重新上传含身份证号列的文件，把身份证号列对应好，勾选该项后导入。"
                  "不勾选时身份证号列不会被读取（个人信息保护法：最小必要）。")


def normalise(codes, level: str) -> np.ndarray:
    """Stored hometown codes as the map's keys at ``level`` ("" stays "").

    >>> normalise(["320506", "310100", "429004", "512200", ""], "city").tolist()
    ['320500', '310000', '429004', '512200', '']
    >>> normalise(["320506", "310100", ""], "province").tolist()
    ['320000', '310000', '']
    """
    if level not in LEVELS:
        raise ValueError(f"'level' 应为 'province' 或 'city'，收到 {level!r}")
    out = []
    for code in codes:
        code = "" if code is None else str(code).strip()
        if len(code) != 6 or not code.isdigit():
            out.append("")
        elif level == "province" or code[:2] in _MUNICIPALITIES:
            out.append(code[:2] + "0000")
        elif code[2:4] == "90" or code[4:] == "00":  # 省直辖县 (仙桃市 429004) stands for its own city
            out.append(code)
        else:
            out.append(code[:4] + "00")
    return np.asarray(out, dtype=object)


ID_CODES = {"710000": "830000"}
"""Boundary code → the code ID numbers use for the same place: 台湾 is 710000 in the administrative division
table but 830000 in the ID numbers of its residents' residence permits (香港 810000 and 澳门 820000 agree)."""


@lru_cache(maxsize=2)
def polygons(level: str):
    """The bundled polygons of ``level`` (GeoDataFrame: adcode, name, …, geometry; WGS-84), keyed by the codes
    hometowns use (:data:`ID_CODES`).

    >>> sorted(set(polygons("province")["adcode"]) - set(polygons("city")["adcode"]))[:3]
    ['130000', '140000', '150000']
    """
    import geopandas as gpd

    if level not in LEVELS:
        raise ValueError(f"'level' 应为 'province' 或 'city'，收到 {level!r}")
    frame = gpd.read_parquet(POLYGON_FILES[level]).set_crs(4326, allow_override=True)
    return frame.assign(adcode=frame["adcode"].astype(str).replace(ID_CODES))


def _names(codes: list[str], level: str) -> dict[str, tuple[str, str]]:
    """code → (name, province name), from the national code table (historic codes included); at city level a
    municipality is its own city (上海市, 上海市) and a code known only to its province is named by it."""
    from mapping.segments.axis import hometown_names

    table = hometown_names(codes)
    if level == "province":
        return {code: (row.province, "") for code, row in zip(codes, table.itertuples(index=False))}
    return {code: (row.city or row.province, row.province) for code, row in zip(codes, table.itertuples(index=False))}


def visitor_frame(facts) -> pd.DataFrame:
    """One row per visitor of ``facts``: visitor_id, line (intended), deal, bought (成交业态, else the intended
    line; "" without a deal).  Every location row of a visitor carries the same visitor fields."""
    ids, first = np.unique(facts.visitor, return_index=True)
    line = np.asarray(facts.lines_all, dtype=object)[facts.line[first]]
    bought = np.asarray(facts.deal_lines_all, dtype=object)[facts.deal_line[first]]
    deal = facts.deal[first].astype(bool)
    return pd.DataFrame({"visitor_id": ids.astype(np.int64), "line": line, "deal": deal,
                         "bought": np.where(deal, np.where(bought == "", line, bought), "")})


def has_hometown(hometown: pd.DataFrame) -> bool:
    """Whether any visitor has a hometown code (the import ticked the opt-in and some numbers were read)."""
    if "hometown" not in hometown or hometown.empty:
        return False
    return bool((hometown["hometown"].astype(str).str.strip() != "").any())


@dataclass(frozen=True)
class Origins:
    """:func:`origin_table`'s result: the table (:data:`TABLE_COLUMNS`) and what it leaves out."""

    table: pd.DataFrame
    level: str
    visitors: int  # visitors in view (the product line chosen)
    unknown: int  # of them without a hometown
    withheld_places: int  # places with fewer than k visitors: counts blank, not on the map
    withheld_visitors: int
    off_map: int  # visitors of shown places without a polygon (historic codes)

    def note(self, k: int) -> str:
        """The line under the table."""
        known = self.visitors - self.unknown
        parts = [f"{known:,} 位客户有籍贯（共 {self.visitors:,} 位，{self.unknown:,} 位未推导或无法识别）"]
        if self.withheld_places:
            parts.append(f"{self.withheld_places} 个地区到访少于 {k} 人，未列出、地图上不显示"
                         + (f"（合计 {self.withheld_visitors} 人）" if self.withheld_visitors >= k else ""))
        if self.off_map:
            parts.append(f"{self.off_map} 位客户的籍贯是已撤销的历史地区（或只知道省），只在表中列出、地图上没有")
        return "；".join(parts) + "。"


def origin_table(visitors: pd.DataFrame, hometown: pd.DataFrame, level: str, min_count: int,
                 product_line: str | None = None) -> Origins:
    """Visitors, deals and conversion per place of origin.

    Parameters
    ----------
    visitors : pandas.DataFrame
        :func:`visitor_frame`: visitor_id, line, deal, bought.
    hometown : pandas.DataFrame
        visitor_id and hometown (the stored 6-digit code, "" when not derived): e.g.
        ``Store.segment_columns(project_id)[["visitor_id", "hometown"]]``.
    level : {"province", "city"}
    min_count : int
        The project's *k*: a place with fewer visitors is withheld.
    product_line : str, optional
        Keep visitors who intended or bought this line; a deal counts only when this line was bought.

    Returns
    -------
    Origins
        ``table``: one row per place with at least ``min_count`` visitors, most first; 占比 is the share of the
        visitors with a hometown (withheld ones included).
    """
    k = max(int(min_count), 1)
    from mapping.segments.band_tables import aligned

    deal = visitors["deal"].to_numpy(dtype=bool)
    ids = visitors["visitor_id"].to_numpy(dtype=np.int64)
    if product_line:
        line, bought = visitors["line"].to_numpy(dtype=object), visitors["bought"].to_numpy(dtype=object)
        chosen = (line == product_line) | (bought == product_line)
        ids, deal = ids[chosen], deal[chosen] & (bought[chosen] == product_line)
    home = aligned(ids, hometown, "hometown")  # codes per visitor; the work is done per distinct code
    keys, key_of = np.unique(np.append(normalise(list(home.categories), level), ""), return_inverse=True)
    per = key_of[np.where(home.codes < 0, len(home.categories), home.codes)]
    known = keys[per] != ""
    n = np.bincount(per[known], minlength=len(keys))
    d = np.bincount(per[known], weights=deal[known], minlength=len(keys)).astype(int)
    present = (n > 0) & (keys != "")
    counts = pd.DataFrame({"size": n[present], "sum": d[present]}, index=pd.Index(keys[present].astype(str),
                                                                                     name="code"))
    names = _names(list(counts.index), level)
    drawable = set(polygons(level)["adcode"].astype(str))
    total = int(known.sum())
    big = counts[counts["size"] >= k]
    rows = []
    for code, (n, d) in big.iterrows():
        name, province = names.get(code, (code, ""))
        rows.append((code, name, province if level == "city" else "", int(n), int(d), d / n, n / total,
                     code in drawable))
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    table = table.sort_values(["到访", "代码"], ascending=[False, True], kind="stable").reset_index(drop=True)
    off_map = int(table.loc[~table["在地图上"].astype(bool), "到访"].sum())
    small = counts["size"] < k
    return Origins(table, level, visitors=len(ids), unknown=int((~known).sum()),
                   withheld_places=int(small.sum()), withheld_visitors=int(counts["size"][small].sum()),
                   off_map=off_map)


def origin_workbook(origins: Origins, *, project: str, line: str, min_count: int, generated=None) -> bytes:
    """The 籍贯 workbook: 说明 and one sheet of :attr:`Origins.table`, through the formula-safe writer."""
    import datetime as dt

    from mapping.export.workbook import plan_workbook

    meta = {"项目": project, "业态": line, "按": f"籍贯（{LEVELS[origins.level]}）", "最少样本数": str(min_count),
            "生成时间": (generated or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")}
    notes = [origins.note(min_count), "籍贯由导入时勾选的身份证号前六位推导，只保存到城市，身份证号本身不保存。"]
    table = origins.table.drop(columns="所属省份") if origins.level == "province" else origins.table
    return plan_workbook({f"籍贯（{LEVELS[origins.level]}）": table}, meta, title="籍贯分布", notes=notes)
