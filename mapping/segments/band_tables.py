"""面积段 / 总价段 tables of the 客群细分 page: visitors and deals per band × product line, and what could not be read.

The bands are the project's (:func:`mapping.segments.axis.project_bands`); each visitor's stored
意向面积 / 意向总价 text is placed with :func:`mapping.segments.bands.assign` (every series of a
map uses the same table).  A band × line cell with fewer than *k* visitors is withheld (到访, 成交,
成交率 blank, 样本不足).  :func:`unread_summary` counts the values no band could take and lists the
most common ones with the reason and what to do (:func:`mapping.segments.bands.report`).

>>> import pandas as pd
>>> from mapping.segments.bands import AREA_BANDS
>>> visitors = pd.DataFrame({"visitor_id": [1, 2, 3], "line": ["公寓"] * 3, "deal": [True, False, False],
...                          "bought": ["公寓", "", ""]})
>>> columns = pd.DataFrame({"visitor_id": [1, 2, 3], "area_want": ["85㎡", "80平", "三房"]})
>>> t = band_distribution(visitors, columns, AREA_BANDS, min_count=2)
>>> t[["段", "业态", "到访", "成交", "样本不足"]].astype(object).to_numpy().tolist()  # doctest: +NORMALIZE_WHITESPACE
[['90㎡以下', '公寓', 2, 1, False], ['90㎡以下', '全部业态', 2, 1, False],
 ['未填/无法识别', '公寓', <NA>, <NA>, True], ['未填/无法识别', '全部业态', <NA>, <NA>, True]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mapping.segments import bands as SB

__all__ = ["COLUMNS", "KINDS", "Unread", "aligned", "band_distribution", "cut_text", "unread_summary"]

KINDS = {"area": ("area_want", "意向面积", "面积段"), "price": ("price_want", "意向总价", "总价段")}
"""kind → (stored column, the import column's label, the band's label)."""

COLUMNS = ["段", "业态", "到访", "成交", "成交率", "样本不足"]
NO_LINE = "未填业态"


def cut_text(bands: SB.Bands) -> str:
    """The cut points of a band table as a user types them (0 and ∞ left out): what the editor shows.

    >>> cut_text(SB.AREA_BANDS)
    '90, 120, 144, 180'
    >>> SB.bands_from_text("area", cut_text(SB.AREA_BANDS)) == SB.AREA_BANDS
    True
    """
    return ", ".join(f"{e:g}" for e in bands.edges if 0 < e < np.inf)


def band_distribution(visitors: pd.DataFrame, columns: pd.DataFrame, bands: SB.Bands, min_count: int,
                      lines: list[str] | None = None) -> pd.DataFrame:
    """Visitors and deals per band × intended product line (long format, :data:`COLUMNS`).

    Parameters
    ----------
    visitors : pandas.DataFrame
        :func:`mapping.segments.origin.visitor_frame` (visitor_id, line, deal, bought).
    columns : pandas.DataFrame
        visitor_id and the band's stored column (``area_want`` or ``price_want``), e.g.
        ``Store.segment_columns``; a missing column reads as all empty.
    bands : Bands
        The project's table for this kind.
    min_count : int
        *k*: a cell with fewer visitors has 到访/成交/成交率 blank and 样本不足 True.
    lines : list of str, optional
        Product lines in the order wanted (the project's); others follow, sorted.

    Returns
    -------
    pandas.DataFrame
        One row per band (in band order, 「未填/无法识别」 last) × line with visitors, then a 合计 row per
        band (业态 「全部业态」).  A cell with no visitor at all is left out.
    """
    column = KINDS[bands.kind][0]
    texts = aligned(visitors["visitor_id"].to_numpy(), columns, column)
    categories = [*(str(c) for c in texts.categories), ""]  # the last: no value
    band_of = SB.assign(categories, bands).cat.codes.to_numpy()  # one parse per distinct text
    band = pd.Categorical.from_codes(band_of[np.where(texts.codes < 0, len(categories) - 1, texts.codes)],
                                     categories=bands.categories)
    line = visitors["line"].astype(str).replace("", NO_LINE)
    frame = pd.DataFrame({"band": band, "line": pd.Categorical(line), "deal": visitors["deal"].to_numpy(dtype=bool)})
    order = [*(lines or []), *sorted(set(frame["line"].cat.categories) - set(lines or []) - {NO_LINE}), NO_LINE]
    counts = frame.groupby(["band", "line"], observed=True).agg(visits=("deal", "size"), deals=("deal", "sum"))
    totals = frame.groupby("band", observed=True).agg(visits=("deal", "size"), deals=("deal", "sum"))
    k = max(int(min_count), 1)
    rows = []
    for label in bands.categories:
        for line in [*order, "全部业态"]:
            if line == "全部业态":
                found = label in totals.index
                visits, deals = (totals.loc[label, "visits"], totals.loc[label, "deals"]) if found else (0, 0)
            else:
                found = (label, line) in counts.index
                visits, deals = (counts.loc[(label, line), "visits"], counts.loc[(label, line), "deals"]) if found \
                    else (0, 0)
            if not found or visits == 0:
                continue
            small = visits < k
            rows.append((label, line, np.nan if small else int(visits), np.nan if small else int(deals),
                         np.nan if small else deals / visits, bool(small)))
    out = pd.DataFrame(rows, columns=COLUMNS)
    for col in ("到访", "成交"):
        out[col] = out[col].astype("Int64")
    return out


def aligned(visitor_ids: np.ndarray, columns: pd.DataFrame, column: str) -> pd.Categorical:
    """``columns[column]`` (one row per visitor_id, any order) for each of ``visitor_ids``, as a categorical;
    missing (a visitor not in ``columns``, or no such column) → code -1.

    >>> aligned(np.array([3, 1, 9]), pd.DataFrame({"visitor_id": [1, 3], "c": ["a", "b"]}), "c").tolist()
    ['b', 'a', nan]
    """
    ids = np.asarray(visitor_ids, dtype=np.int64)
    if column not in columns or columns.empty:
        return pd.Categorical.from_codes(np.full(len(ids), -1), categories=pd.Index([], dtype=object))
    values = pd.Categorical(columns[column])
    source = columns["visitor_id"].to_numpy(dtype=np.int64)
    order = np.argsort(source, kind="stable")
    pos = np.minimum(np.searchsorted(source[order], ids), len(source) - 1)
    found = source[order][pos] == ids
    codes = np.where(found, values.codes[order[pos]], -1)
    return pd.Categorical.from_codes(codes, categories=values.categories)


@dataclass(frozen=True)
class Unread:
    """What no band could take: empty cells, values that could not be read, and the most common of those."""

    empty: int
    unread: int
    top: pd.DataFrame  # 原值, 次数, 原因, 怎么办 — most frequent first

    def note(self, label: str) -> str:
        if not self.empty and not self.unread:
            return f"所有客户的{label}都读懂了。"
        return (f"{self.unread:,} 位客户的{label}无法识别，{self.empty:,} 位未填；"
                "都算在「未填/无法识别」段里，没有丢掉。")


def unread_summary(values, kind: str, top: int = 10) -> Unread:
    """Count the empty and the unreadable values of one kind and list the ``top`` most common unreadable ones.

    >>> u = unread_summary(["90㎡", "三房", "三房", "", None, "约一百平"], "area")
    >>> (u.empty, u.unread), u.top[["原值", "次数"]].to_numpy().tolist()
    ((2, 3), [['三房', 2], ['约一百平', 1]])
    """
    if kind not in KINDS:
        raise ValueError(f"'kind' 应为 'area' 或 'price'，收到 {kind!r}")
    report = SB.report(values, kind)
    blank = report["原值"].astype(str).str.strip() == ""
    bad = report[~blank]
    table = (bad.groupby("原值", sort=False).agg(次数=("行号", "size"), 原因=("原因", "first"), 怎么办=("怎么办", "first"))
             .reset_index().sort_values(["次数", "原值"], ascending=[False, True], kind="stable").head(top)
             .reset_index(drop=True))
    return Unread(empty=int(blank.sum()), unread=int(len(bad)), top=table[["原值", "次数", "原因", "怎么办"]])
