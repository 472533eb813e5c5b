"""Compact, cached location facts and fast filtered counts per area.

Pages must re-render in well under a second at a million visitors.  Reading and
joining rows on each change is far too slow, so a project's locations are loaded
once per data version into :class:`Facts`: one row per visitor × dimension with
small integer codes (dimension, product line, channel, intention), visit and deal
days and each row's place label.  Assigning rows to the areas of a layer (point in
polygon or H3 cell) is done once per layer and kept (:meth:`Facts.areas`).  After
that, every filter combination is a boolean mask and a few ``np.bincount`` calls
over the area codes (:func:`area_stats`): milliseconds, never a pass over rows
in Python and never a database query.

>>> import pandas as pd, datetime as dt
>>> rows = pd.DataFrame({"visitor_id": [1, 1, 2], "dimension": ["home", "work", "home"],
...     "adcode": ["310115", "310115", "310104"], "lng": [None, None, None], "lat": [None, None, None],
...     "method": ["district_name"] * 3, "town_code": ["", "", ""], "outside": [False] * 3,
...     "product_line": ["公寓", "公寓", "洋房"], "intention": ["A", "A", "C"], "channel": ["拓客"] * 3,
...     "visit_date": [dt.date(2024, 3, 1)] * 3, "deal": [True, True, False],
...     "deal_date": [dt.date(2024, 5, 2), dt.date(2024, 5, 2), None], "deal_product_line": ["公寓", "公寓", ""]})
>>> f = Facts.build(rows)
>>> len(f), f.lines
(3, ['公寓', '洋房'])
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from mapping import schema as S
from mapping.analysis import aggregate
from mapping.geo import hexgrid
from mapping.place import gazetteer
from mapping.place.resolve import METHOD_EMPTY
from mapping.segments.axis import SEGMENTS

EPOCH = dt.date(1970, 1, 1)
MEASURES = ("visits", "high_intention", "deals")
NEAR_LANDMARK_M = 1500  # a coordinate this close to a landmark is labelled "<landmark>附近"


def day_number(value: dt.date | None) -> int:
    return (value - EPOCH).days if value else 0


def day_date(number: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(number))


@dataclass(frozen=True)
class Filters:
    """What the user narrowed the data to.  ``None``/empty means "all"."""

    product_line: str | None = None
    start: dt.date | None = None  # visit date, inclusive
    end: dt.date | None = None  # visit date, inclusive
    channels: tuple[str, ...] = ()
    intentions: tuple[str, ...] = ()
    deal_lines_only: bool = False  # with a product line: count deals only of that line
    # customer segments (mapping.segments.axis keys): (key, values) pairs; a row passes when its value is
    # one of the values.  Needs Facts with a Segments attached (:meth:`Facts.with_segments`)
    segments: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def describe(self) -> str:
        parts = [self.product_line or "全部业态"]
        if self.start or self.end:
            parts.append(f"{self.start or '最早'} 至 {self.end or '最新'}")
        if self.channels:
            parts.append("渠道：" + "、".join(self.channels))
        if self.intentions:
            parts.append("意向：" + "、".join(self.intentions))
        for key, values in self.segments:
            parts.append(f"{SEGMENTS.get(key, key)}：" + "、".join(values))
        return " · ".join(parts)

    def segment(self, key: str) -> tuple[str, ...]:
        """The values the filter keeps of one segment (empty: that segment is not filtered).

        >>> Filters(segments=(("area_band", ("90㎡以下",)),)).segment("area_band")
        ('90㎡以下',)
        """
        return next((values for k, values in self.segments if k == key), ())

    def with_segment(self, key: str, values: tuple[str, ...] | list[str] = ()) -> Filters:
        """These filters with one segment set to ``values`` (replacing it; empty removes it).

        >>> Filters(segments=(("industry", ("金融",)),)).with_segment("area_band", ["90㎡以下"]).describe()
        '全部业态 · 行业：金融 · 面积段：90㎡以下'
        """
        kept = tuple((k, v) for k, v in self.segments if k != key)
        return replace(self, segments=kept + (((key, tuple(values)),) if values else ()))


PERIODS = {"all": "全部时间", "pre": "蓄水期（开盘前）", "post": "开盘后", "recent": "最近 4 周", "custom": "自定义"}


def period_range(period: str, launch: dt.date | None, span: tuple[dt.date, dt.date] | None = None,
                 custom: tuple[dt.date, dt.date] | None = None) -> tuple[dt.date | None, dt.date | None]:
    """Visit-date bounds (inclusive; None = open) of a period choice in :data:`PERIODS`.

    Examples
    --------
    >>> period_range("pre", dt.date(2024, 5, 1))
    (None, datetime.date(2024, 4, 30))
    >>> period_range("recent", None, (dt.date(2024, 1, 1), dt.date(2024, 3, 31)))
    (datetime.date(2024, 3, 4), datetime.date(2024, 3, 31))
    """
    if period == "pre" and launch:
        return None, launch - dt.timedelta(days=1)
    if period == "post" and launch:
        return launch, None
    if period == "recent" and span:
        return span[1] - dt.timedelta(days=27), span[1]
    if period == "custom" and custom:
        return custom
    return None, None


def _codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """(integer code per row, vocabulary): int16 while the vocabulary fits (product lines,
    intentions, usually channels), int32 beyond 32,767 distinct values so codes never wrap."""
    cat = pd.Categorical(values.fillna("").astype(str))
    dtype = np.int16 if len(cat.categories) <= np.iinfo(np.int16).max else np.int32
    return cat.codes.astype(dtype), [str(c) for c in cat.categories]


def _category_codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """:func:`_codes` of a categorical column: its categories sorted (as ``pd.Categorical`` of the
    plain values sorts them), unused ones dropped, so the vocabulary is the same.  Counted with one
    ``bincount`` over the codes (pandas' ``remove_unused_categories`` sorts them all: 1 s at 3M rows).

    >>> codes, vocabulary = _category_codes(pd.Series(pd.Categorical(["b", "a", "b"], categories=["c", "b", "a"])))
    >>> codes.tolist(), vocabulary
    ([1, 0, 1], ['a', 'b'])
    """
    cat = pd.Categorical(values)
    old = cat.codes.astype(np.int64)
    names = [str(c) for c in cat.categories]
    used = np.flatnonzero(np.bincount(old[old >= 0], minlength=len(names)))
    vocabulary = sorted(names[i] for i in used)
    rank = {name: k for k, name in enumerate(vocabulary)}
    new_code = np.full(len(names) + 1, -1, dtype=np.int64)  # the last one: a missing value (code -1) stays -1
    new_code[used] = [rank[names[i]] for i in used]
    dtype = np.int16 if len(vocabulary) <= np.iinfo(np.int16).max else np.int32
    return new_code[old].astype(dtype), vocabulary


def _category_values(values: pd.Series) -> np.ndarray:
    """The values of a categorical column as an object array of str (decoded once per category)."""
    cat = pd.Categorical(values)
    return np.asarray([str(c) for c in cat.categories], dtype=object)[cat.codes] if len(cat) else \
        np.zeros(0, dtype=object)


@dataclass
class Facts:
    """One project's locations as code arrays (see module doc)."""

    visitor: np.ndarray  # int64 visitor ids
    dim: np.ndarray  # int8 index into S.DIMENSIONS
    line: np.ndarray
    lines_all: list[str]  # categories of ``line`` (may include "")
    channel: np.ndarray
    channels_all: list[str]
    intention: np.ndarray
    intentions_all: list[str]
    day: np.ndarray  # int32 visit day number
    deal: np.ndarray  # bool
    deal_day: np.ndarray  # int32 (0 without a deal date)
    deal_line: np.ndarray
    deal_lines_all: list[str]
    high: np.ndarray  # bool: intention A/B
    lng: np.ndarray
    lat: np.ndarray
    adcode: np.ndarray  # object
    town_code: np.ndarray  # object
    given: np.ndarray  # bool: a location was filled in
    resolved: np.ndarray  # bool: resolved to a district
    outside: np.ndarray  # bool: outside the project's city
    # the visitor's 拓客人员/团队 text and sales stage (来访/认筹/认购/签约/退房 or ""): codes into the sorted
    # vocabularies, like channel; None (no such column given) becomes all "" in __post_init__
    team: np.ndarray | None = None
    teams_all: list[str] | None = None
    stage: np.ndarray | None = None
    stages_all: list[str] | None = None
    city: str = S.SHANGHAI  # the project's city: whose landmarks name the places (:attr:`label`)
    # place labels are worked out on first use (:attr:`label`): most first runs never show one
    _place_labels: tuple[np.ndarray, list[str]] | None = field(default=None, repr=False)
    _areas: dict[str, tuple[list[str], np.ndarray]] = field(default_factory=dict, repr=False)
    _rest: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # per layer: row in a remainder area
    # Facts are shared by every session (ui.common.project_facts): sessions asking for the same new
    # layer at once wait for one assignment instead of each placing every row themselves
    _areas_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _labels_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    # customer segments of these rows (mapping.segments.axis.Segments), for Filters.segments; attached to
    # a shallow copy by :meth:`with_segments`, whose place labels are its base's (worked out once)
    segments: object | None = field(default=None, repr=False, compare=False)
    _base: Facts | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("team", "stage"):
            if getattr(self, name) is None or getattr(self, f"{name}s_all") is None:
                setattr(self, name, np.zeros(len(self.dim), dtype=np.int16))
                setattr(self, f"{name}s_all", [""])

    def __len__(self) -> int:
        return len(self.dim)

    @property
    def rows(self) -> pd.DataFrame:
        """The columns :func:`aggregate.place` / :func:`aggregate.remainder` read, one row per location
        (``method`` only tells given from empty).  Built when asked: placing uses the arrays."""
        return pd.DataFrame({"lng": self.lng, "lat": self.lat, "adcode": self.adcode,
                             "method": np.where(self.given, "", METHOD_EMPTY).astype(object),
                             "outside": self.outside})

    @property
    def label(self) -> np.ndarray:
        """int32 index into :attr:`labels` per row (-1 none): :func:`place_labels`, computed once on first use."""
        return self._labelled()[0]

    @property
    def labels(self) -> list[str]:
        """The distinct place labels (landmarks, towns, "<landmark>附近"), sorted."""
        return self._labelled()[1]

    def with_segments(self, segments) -> Facts:
        """A shallow copy of these facts that :meth:`mask` can filter by customer segment.

        The copy shares every array and the area assignments (:meth:`areas`) with these facts;
        ``segments`` (:class:`mapping.segments.axis.Segments`) must be built on these rows.
        """
        if len(segments) != len(self):
            raise ValueError(f"'segments' 有 {len(segments)} 行，这份 Facts 有 {len(self)} 行："
                             "请用同一数据版本的 Facts 重新生成 Segments")
        return replace(self, segments=segments, _base=self._base or self)

    def _labelled(self) -> tuple[np.ndarray, list[str]]:
        if self._base is not None:
            return self._base._labelled()
        # a k-d tree over every distinct point (1.6 s at a million visitors): only pages that show places pay
        if self._place_labels is None:
            with self._labels_lock:
                if self._place_labels is None:
                    self._place_labels = place_labels(pd.DataFrame({"town_code": self.town_code}),
                                                      self.lng, self.lat, self.city)
        return self._place_labels

    # ---------------------------------------------------------------- building
    @classmethod
    def build(cls, locations: pd.DataFrame, city: str = S.SHANGHAI) -> Facts:
        """From :meth:`mapping.db.store.Store.locations` rows."""
        loc = locations.reset_index(drop=True)
        dim_index = {d: i for i, d in enumerate(S.DIMENSIONS)}
        line, lines_all = _codes(loc["product_line"])
        channel, channels_all = _codes(loc["channel"])
        intention, intentions_all = _codes(loc["intention"])
        deal_line, deal_lines_all = _codes(loc.get("deal_product_line", pd.Series("", index=loc.index)))
        team, teams_all = _codes(loc.get("team", pd.Series("", index=loc.index)))
        stage, stages_all = _codes(loc.get("stage", pd.Series("", index=loc.index)))
        visit = pd.to_datetime(loc["visit_date"], errors="coerce")
        deal_date = pd.to_datetime(loc.get("deal_date", pd.Series(None, index=loc.index)), errors="coerce")
        epoch = pd.Timestamp(EPOCH)
        lng = pd.to_numeric(loc["lng"], errors="coerce").to_numpy(dtype=float)
        lat = pd.to_numeric(loc["lat"], errors="coerce").to_numpy(dtype=float)
        rows = pd.DataFrame({
            "lng": lng, "lat": lat, "adcode": loc["adcode"].fillna("").astype(str).to_numpy(),
            "method": loc["method"].fillna("").astype(str).to_numpy(),
            "outside": loc["outside"].fillna(False).astype(bool).to_numpy(),
        })
        return cls(
            visitor=loc["visitor_id"].to_numpy(dtype=np.int64),
            dim=loc["dimension"].map(dim_index).fillna(-1).to_numpy(dtype=np.int8),
            line=line, lines_all=lines_all, channel=channel, channels_all=channels_all,
            intention=intention, intentions_all=intentions_all,
            day=((visit - epoch).dt.days.fillna(0)).to_numpy(dtype=np.int32),
            deal=loc["deal"].fillna(False).astype(bool).to_numpy(),
            deal_day=((deal_date - epoch).dt.days.fillna(0)).to_numpy(dtype=np.int32),
            deal_line=deal_line, deal_lines_all=deal_lines_all,
            high=loc["intention"].isin(S.HIGH_INTENTION).to_numpy(),
            lng=lng, lat=lat, adcode=rows["adcode"].to_numpy(),
            town_code=loc["town_code"].fillna("").astype(str).to_numpy(),
            given=(rows["method"] != METHOD_EMPTY).to_numpy(), resolved=(rows["adcode"] != "").to_numpy(),
            outside=rows["outside"].to_numpy(), city=city,
            team=team, teams_all=teams_all, stage=stage, stages_all=stages_all,
        )

    @classmethod
    def from_columns(cls, columns: pd.DataFrame, city: str = S.SHANGHAI) -> Facts:
        """From :meth:`mapping.db.store.Store.fact_columns` (compact typed columns, one row per location):
        the same facts as :meth:`build` of :meth:`~mapping.db.store.Store.locations`, without reading
        every location row as Python objects."""
        cols = columns.reset_index(drop=True)
        line, lines_all = _category_codes(cols["product_line"])
        channel, channels_all = _category_codes(cols["channel"])
        intention, intentions_all = _category_codes(cols["intention"])
        deal_line, deal_lines_all = _category_codes(cols["deal_product_line"])
        team, teams_all = _category_codes(cols["team"]) if "team" in cols else (None, None)
        stage, stages_all = _category_codes(cols["stage"]) if "stage" in cols else (None, None)
        lng = cols["lng"].to_numpy(dtype=float)
        lat = cols["lat"].to_numpy(dtype=float)
        adcode = _category_values(cols["adcode"])
        town_code = _category_values(cols["town_code"])
        given = cols["given"].to_numpy(dtype=bool)
        outside = cols["outside"].to_numpy(dtype=bool)
        high = np.isin(np.asarray(intentions_all, dtype=object), list(S.HIGH_INTENTION))
        return cls(
            visitor=cols["visitor_id"].to_numpy(dtype=np.int64),
            dim=np.where(cols["dim"].to_numpy() < len(S.DIMENSIONS), cols["dim"].to_numpy(), -1).astype(np.int8),
            line=line, lines_all=lines_all, channel=channel, channels_all=channels_all,
            intention=intention, intentions_all=intentions_all,
            day=cols["day"].to_numpy(dtype=np.int32), deal=cols["deal"].to_numpy(dtype=bool),
            deal_day=cols["deal_day"].to_numpy(dtype=np.int32),
            deal_line=deal_line, deal_lines_all=deal_lines_all,
            high=high[intention] if len(intention) else np.zeros(0, dtype=bool),
            lng=lng, lat=lat, adcode=adcode, town_code=town_code,
            given=given, resolved=adcode != "", outside=outside, city=city,
            team=team, teams_all=teams_all, stage=stage, stages_all=stages_all,
        )

    # ---------------------------------------------------------------- vocabulary
    @property
    def lines(self) -> list[str]:
        return [v for v in self.lines_all if v]

    @property
    def channels(self) -> list[str]:
        return [v for v in self.channels_all if v]

    @property
    def intentions(self) -> list[str]:
        return [v for v in self.intentions_all if v]

    def date_range(self) -> tuple[dt.date, dt.date] | None:
        days = self.day[self.day > 0]
        if days.size == 0:
            return None
        return day_date(days.min()), day_date(days.max())

    # ---------------------------------------------------------------- areas
    def areas(self, layer_key: str, layer: gpd.GeoDataFrame | None = None) -> tuple[list[str], np.ndarray]:
        """(area ids, int32 area index per row, -1 where unplaced) for a layer, computed once.

        ``layer_key`` identifies the layer; an ``h3:<res>`` key needs no layer (cells
        come from the points themselves).  Rows of a district the layer splits that
        no area takes are in its remainder area (:func:`mapping.analysis.aggregate.remainder`;
        for hexagons, every in-city row with no point) and counted by :func:`coverage`.
        """
        if layer_key in self._areas:
            return self._areas[layer_key]
        with self._areas_lock:
            if layer_key not in self._areas:
                self._assign(layer_key, layer)
        return self._areas[layer_key]

    def _assign(self, layer_key: str, layer: gpd.GeoDataFrame | None) -> None:
        """Place every row in the layer's areas (once per layer, under the lock)."""
        res = hexgrid.parse_layer_id(layer_key)
        if res is not None:
            index, ids = _factorize_nonempty(hexgrid.cells_for_points(self.lng, self.lat, res))
            rest = (index < 0) & self.resolved & ~self.outside
        else:
            if layer is None:
                raise ValueError(f"layer {layer_key!r} is not cached: pass the layer")
            ids, index, rest = self._place_on(layer)
        self._rest[layer_key] = rest  # before _areas: a reader that sees the layer finds its rest
        self._areas[layer_key] = (ids, index)

    def _place_on(self, layer: gpd.GeoDataFrame) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(area ids, area index per row, row in a remainder area): :func:`aggregate.place_index` of the rows."""
        return aggregate.place_index(self.lng, self.lat, self.adcode, self.outside, layer)

    # ---------------------------------------------------------------- filtering
    def mask(self, filters: Filters) -> np.ndarray:
        keep = np.ones(len(self), dtype=bool)
        if filters.product_line:
            keep &= self.line == self._code(self.lines_all, filters.product_line)
        if filters.start:
            keep &= self.day >= day_number(filters.start)
        if filters.end:
            keep &= self.day <= day_number(filters.end)
        if filters.channels:
            keep &= np.isin(self.channel, [self._code(self.channels_all, c) for c in filters.channels])
        if filters.intentions:
            keep &= np.isin(self.intention, [self._code(self.intentions_all, c) for c in filters.intentions])
        for key, values in filters.segments:
            codes, vocabulary = self.segment_codes(key)
            keep &= np.isin(codes, [self._code(vocabulary, v) for v in values])
        return keep

    def segment_codes(self, key: str) -> tuple[np.ndarray, list[str]]:
        """(int32 code per row, -1 none; vocabulary) of a customer segment (:meth:`with_segments` first)."""
        if self.segments is None:
            raise ValueError(f"按客群细分（{SEGMENTS.get(key, key)}）筛选需要先附上 Segments：facts.with_segments(...)")
        return self.segments.codes(key)

    @staticmethod
    def _code(vocabulary: list[str], value: str) -> int:
        return vocabulary.index(value) if value in vocabulary else -2  # -2 matches nothing


def area_stats(facts: Facts, layer_key: str, filters: Filters = Filters(),
               layer: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Visits, high-intention visits and deals per area and dimension.

    One row per area of the layer (zeros included), columns ``area_id`` and
    ``<measure>_<dimension>`` for each measure in :data:`MEASURES`.
    """
    ids, index = facts.areas(layer_key, layer)
    keep = facts.mask(filters) & (index >= 0)
    deals = facts.deal
    if filters.product_line and filters.deal_lines_only:
        deals = deals & (facts.deal_line == facts._code(facts.deal_lines_all, filters.product_line))
    out = {"area_id": ids}
    n = len(ids)
    for d, dim in enumerate(S.DIMENSIONS):
        rows = keep & (facts.dim == d)
        where = index[rows]
        out[f"visits_{dim}"] = np.bincount(where, minlength=n)
        out[f"high_intention_{dim}"] = np.bincount(where, weights=facts.high[rows], minlength=n).astype(int)
        out[f"deals_{dim}"] = np.bincount(where, weights=deals[rows], minlength=n).astype(int)
    return pd.DataFrame(out)


def area_stats_by_line(facts: Facts, layer_key: str, filters: Filters = Filters(),
                       layer: gpd.GeoDataFrame | None = None) -> dict[str, pd.DataFrame]:
    """:func:`area_stats` for all lines ("") and each intended product line, in one pass.

    ``filters.product_line`` is ignored (every line is counted).
    """
    ids, index = facts.areas(layer_key, layer)
    keep = facts.mask(replace(filters, product_line=None)) & (index >= 0)
    n, n_lines = len(ids), len(facts.lines_all)
    tables = {line: {"area_id": ids} for line in ["", *facts.lines]}
    for d, dim in enumerate(S.DIMENSIONS):
        rows = keep & (facts.dim == d)
        key = facts.line[rows].astype(np.int64) * n + index[rows]
        size = n_lines * n
        counts = {
            "visits": np.bincount(key, minlength=size).reshape(n_lines, n),
            "high_intention": np.bincount(key, weights=facts.high[rows], minlength=size).reshape(n_lines, n),
            "deals": np.bincount(key, weights=facts.deal[rows], minlength=size).reshape(n_lines, n),
        }
        for measure, grid in counts.items():
            tables[""][f"{measure}_{dim}"] = grid.sum(axis=0).astype(int)
            for code, line in enumerate(facts.lines_all):
                if line:
                    tables[line][f"{measure}_{dim}"] = grid[code].astype(int)
    return {line: pd.DataFrame(t) for line, t in tables.items()}


def area_stats_by_segment(facts: Facts, layer_key: str, key: str, filters: Filters = Filters(),
                          layer: gpd.GeoDataFrame | None = None) -> dict[str, pd.DataFrame]:
    """:func:`area_stats` for each value of one customer segment (the series of a map axis), in one
    ``bincount`` per dimension and measure over (value × area) cells.

    Keyed by value in the segment's order (:meth:`mapping.segments.axis.Segments.codes`); rows without
    a value are in no table.  ``filters`` apply (the product line included), except a filter on
    ``key`` itself: the axis takes every value.  ``facts`` need a Segments (:meth:`Facts.with_segments`).
    """
    values, ids, grids = segment_grids(facts, layer_key, key, filters, layer)
    return {value: pd.DataFrame({"area_id": ids, **{col: grid[code] for col, grid in grids.items()}})
            for code, value in enumerate(values)}


def segment_grids(facts: Facts, layer_key: str, key: str, filters: Filters = Filters(),
                  layer: gpd.GeoDataFrame | None = None) -> tuple[list[str], list[str], dict[str, np.ndarray]]:
    """The counts of :func:`area_stats_by_segment` as arrays: (values, area ids, ``<measure>_<dimension>``
    → int array of shape (values, areas)).  Stacked (``grid.ravel()``), every area × value cell is a row."""
    codes, values = facts.segment_codes(key)
    ids, index = facts.areas(layer_key, layer)
    keep = facts.mask(filters.with_segment(key)) & (index >= 0) & (codes >= 0)
    deals = facts.deal
    if filters.product_line and filters.deal_lines_only:
        deals = deals & (facts.deal_line == facts._code(facts.deal_lines_all, filters.product_line))
    n, n_values = len(ids), len(values)
    size = n_values * n
    grids = {}
    for d, dim in enumerate(S.DIMENSIONS):
        rows = keep & (facts.dim == d)
        cell = codes[rows].astype(np.int64) * n + index[rows]
        grids[f"visits_{dim}"] = np.bincount(cell, minlength=size)
        grids[f"high_intention_{dim}"] = np.bincount(cell, weights=facts.high[rows], minlength=size)
        grids[f"deals_{dim}"] = np.bincount(cell, weights=deals[rows], minlength=size)
    return values, ids, {col: flat.astype(int).reshape(n_values, n) for col, flat in grids.items()}


def deals_by_line(facts: Facts, layer_key: str, dimension: str | None, filters: Filters = Filters(),
                  layer: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Deals per area (rows, all areas of the layer) and bought product line (columns).

    The bought line is the deal's 成交业态, else the visitor's intended line.
    """
    ids, index = facts.areas(layer_key, layer)
    rows = facts.mask(filters) & (index >= 0) & facts.deal
    if dimension:
        rows &= facts.dim == S.DIMENSIONS.index(dimension)
    bought = np.asarray(facts.deal_lines_all, dtype=object)[facts.deal_line[rows]]
    intended = np.asarray(facts.lines_all, dtype=object)[facts.line[rows]]
    bought = np.where(bought == "", intended, bought)
    bought = np.where(bought == "", "未填写", bought)
    frame = pd.DataFrame({"area": index[rows], "line": bought})
    table = pd.crosstab(frame["area"], frame["line"]) if len(frame) else pd.DataFrame(index=pd.Index([], name="area"))
    table = table.reindex(range(len(ids)), fill_value=0)
    table.index = pd.Index(ids, name="area_id")
    table.columns.name = None
    return table


def coverage(facts: Facts, layer_key: str, dimension: str, filters: Filters = Filters()) -> aggregate.Coverage:
    """Given / placed / unresolved / outside / coarse (remainder) counts for one dimension under
    ``filters`` (the same figures as :func:`mapping.analysis.aggregate.coverage`, from the cached flags)."""
    _, index = facts.areas(layer_key)
    rows = facts.mask(filters) & (facts.dim == S.DIMENSIONS.index(dimension))
    return aggregate.coverage_of(given=facts.given[rows], resolved=facts.resolved[rows],
                                 outside=facts.outside[rows], placed=index[rows] >= 0,
                                 rest=facts._rest[layer_key][rows])


def top_places(facts: Facts, layer_key: str, area_id: str, dimension: str | None, filters: Filters = Filters(),
               limit: int = 5, min_count: int = 1) -> pd.DataFrame:
    """The most frequent place labels (landmarks, towns, "<landmark>附近") inside one area."""
    ids, index = facts.areas(layer_key)
    if area_id not in ids:
        return pd.DataFrame({"place": [], "visits": [], "deals": []})
    rows = facts.mask(filters) & (index == ids.index(area_id)) & (facts.label >= 0)
    if dimension:
        rows &= facts.dim == S.DIMENSIONS.index(dimension)
    counts = np.bincount(facts.label[rows], minlength=len(facts.labels))
    deals = np.bincount(facts.label[rows], weights=facts.deal[rows], minlength=len(facts.labels)).astype(int)
    table = pd.DataFrame({"place": facts.labels, "visits": counts, "deals": deals})
    table = table[table["visits"] >= max(min_count, 1)]
    return table.sort_values(["visits", "place"], ascending=[False, True]).head(limit).reset_index(drop=True)


def visitors_in(facts: Facts, layer_key: str, area_id: str, dimension: str | None,
                filters: Filters = Filters()) -> np.ndarray:
    """Ids of the visitors with a location (of ``dimension``, or any) in one area."""
    ids, index = facts.areas(layer_key)
    if area_id not in ids:
        return np.array([], dtype=np.int64)
    rows = facts.mask(filters) & (index == ids.index(area_id))
    if dimension:
        rows &= facts.dim == S.DIMENSIONS.index(dimension)
    return np.unique(facts.visitor[rows])


# ------------------------------------------------------------------- place labels
def place_labels(loc: pd.DataFrame, lng: np.ndarray, lat: np.ndarray, city: str) -> tuple[np.ndarray, list[str]]:
    """A readable place for each location: the landmark it resolved to, "<landmark>附近" for a
    coordinate near one, or the town for a town-level match.  -1 where there is none."""
    n = len(loc)
    names = np.full(n, "", dtype=object)
    landmarks = gazetteer.landmark_table(city)
    has_point = ~(np.isnan(lng) | np.isnan(lat))
    if has_point.any() and len(landmarks):
        # ~1 m grid, one int64 key per point: shared points (landmarks) are looked up once
        key = (np.rint(lng[has_point] * 1e5).astype(np.int64) << 32) + np.rint(lat[has_point] * 1e5).astype(np.int64)
        codes, uniq = pd.factorize(key)
        inverse = codes
        pts = np.column_stack([(uniq >> 32) / 1e5, (uniq & 0xFFFFFFFF) / 1e5])
        # nearest landmark by a k-d tree in local metres (equirectangular: fine within a city)
        lm = landmarks[["lng", "lat"]].to_numpy(dtype=float)
        scale = np.array([111_320.0 * np.cos(np.radians(np.nanmean(lm[:, 1]))), 110_574.0])
        dist, best = cKDTree(lm * scale).query(pts * scale, distance_upper_bound=NEAR_LANDMARK_M)
        found = np.isfinite(dist)
        lm_names = landmarks["name"].to_numpy(dtype=object)
        label_of = np.full(len(uniq), "", dtype=object)
        exact = found & (dist < 1.0)
        label_of[exact] = lm_names[best[exact]]
        near = found & ~exact
        label_of[near] = lm_names[best[near]] + "附近"
        names[has_point] = label_of[inverse]
    towns = loc["town_code"].fillna("").astype(str).to_numpy()
    town_only = (names == "") & (towns != "")
    if town_only.any():
        table = gazetteer.town_names()
        names[town_only] = pd.Series(towns[town_only]).map(table).fillna("").to_numpy()
    return _factorize_nonempty(names)


def _factorize_nonempty(values) -> tuple[np.ndarray, list[str]]:
    """(int32 code per value, sorted distinct values) with "" coded -1 and left out."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), sort=True)
    uniques = list(uniques)
    codes = codes.astype(np.int32)
    if "" in uniques:
        empty = uniques.index("")
        codes = np.where(codes == empty, -1, codes - (codes > empty)).astype(np.int32)
        uniques.remove("")
    return codes, uniques
