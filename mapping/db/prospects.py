"""The queries behind 跨项目潜客 (prospects across projects): earlier projects' visitors who did not buy.

``Prospects(store)`` reads the ``visitors`` and ``locations`` tables of several projects at once
(SQLAlchemy core on the store's engine).  Every query keeps to visitors who did not buy
(``visitors.deal`` false: a visitor whose purchase was 退房 never counts as a deal) and reads
customer keys and segment columns only: never a phone number or name, masked or hashed.

The database does the filtering: locations by district code (``locations.adcode``, indexed) or
inside a longitude/latitude box around a site; the exact distance is left to the caller (numpy).
Intended areas (意向区域, ``visitors.intended_text``) are free text: :meth:`Prospects.intended_texts`
lists the distinct texts for a resolver, :meth:`Prospects.intended` reads the visitors of the
texts that matched.

Examples
--------
>>> from mapping.db.store import Store
>>> store = Store("sqlite://"); store.migrate()
>>> pid = store.create_project("示例", "310000", None, ["公寓"])
>>> Prospects(store).located([pid], {"310115"}, None).shape[0]
0
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import and_, case, false, func, or_, select

from mapping import schema as S
from mapping.db.models import Location, Visitor

__all__ = ["CHUNK", "MATCH_DIMENSIONS", "VISITOR_COLUMNS", "Prospects"]

CHUNK = 900  # values per IN (…) list: SQLite allows 999 parameters in older builds
MATCH_DIMENSIONS = (S.HOME, S.WORK)  # the located dimensions a prospect may match by (leisure is not where one buys)
# what a prospect row carries: keys and segments, never personal data
VISITOR_COLUMNS = ("visitor_id", "project_id", "visitor_code", "visitor_key", "visit_date", "product_line",
                   "intention", "channel", "age_band", "industry", "income_band", "family", "purpose", "stage",
                   "intended_text", "area_want", "price_want", "hometown")
LOCATION_COLUMNS = ("dimension", "adcode", "lng", "lat", "level")


def _visitor_fields():
    return [Visitor.id.label("visitor_id"), *(getattr(Visitor, c) for c in VISITOR_COLUMNS[1:])]


def _chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _frame(rows, columns) -> pd.DataFrame:
    """Rows of a query as a frame, built column by column (pandas probing each SQLAlchemy row costs
    seconds at 100,000 rows)."""
    names = list(columns)
    values = list(zip(*rows)) if rows else [()] * len(names)
    out = pd.DataFrame({name: pd.Series(list(col), dtype=object) for name, col in zip(names, values)},
                       columns=names)
    for col in out.columns:
        if col in ("visitor_id", "project_id", "visitors", "not_bought"):
            out[col] = pd.to_numeric(out[col]).astype("int64")
        elif col in ("lng", "lat"):
            out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
        elif col == "deal":
            out[col] = out[col].astype(bool)
    return out


class Prospects:
    """Non-buying visitors of several projects, found by district, box or intended-area text."""

    def __init__(self, store):
        self.store = store
        self.engine = store.engine

    def located(self, project_ids: Iterable[int], adcodes: Iterable[str],
                box: tuple[float, float, float, float] | None,
                dimensions: Iterable[str] = MATCH_DIMENSIONS) -> pd.DataFrame:
        """Home/work locations of non-buyers of ``project_ids`` in one of ``adcodes`` or inside ``box``.

        Parameters
        ----------
        project_ids : iterable of int
            The source projects.
        adcodes : iterable of str
            6-digit district codes; a location there matches whatever its coordinates.
        box : (min_lng, min_lat, max_lng, max_lat) or None
            WGS-84; a location with coordinates inside it is returned too (the caller keeps
            those within the exact distance).
        dimensions : iterable of str
            Which location dimensions to read (default home and work).

        Returns
        -------
        pandas.DataFrame
            One row per matching location: :data:`VISITOR_COLUMNS` then ``dimension``, ``adcode``,
            ``lng``, ``lat``, ``level``; a visitor appears once per dimension that matched (no order).
        """
        projects = sorted({int(p) for p in project_ids})
        codes = sorted({str(c) for c in adcodes if str(c)})
        dims = [d for d in dimensions if d in S.DIMENSIONS]
        columns = (*VISITOR_COLUMNS, *LOCATION_COLUMNS)
        if not projects or not dims or (not codes and box is None):
            return _frame([], columns)
        where = []
        if codes:
            # coalesce(): not through ix_locations_adcode.  Without statistics (a fresh import, before
            # autovacuum's ANALYZE) PostgreSQL otherwise ANDs that whole index's bitmap into every
            # visitor's look-up (minutes at 200,000 visitors); the visitor-by-visitor primary key
            # look-up costs the same whatever the statistics.
            adcode = func.coalesce(Location.adcode, "")
            where.append(adcode.in_(codes) if len(codes) <= CHUNK else
                         or_(*(adcode.in_(part) for part in _chunks(codes))))
        if box is not None:
            min_lng, min_lat, max_lng, max_lat = (float(v) for v in box)
            where.append(and_(Location.lng.between(min_lng, max_lng), Location.lat.between(min_lat, max_lat)))
        query = (select(*_visitor_fields(), *(getattr(Location, c) for c in LOCATION_COLUMNS))
                 .join(Location, Location.visitor_id == Visitor.id)
                 .where(Visitor.project_id.in_(projects), Visitor.deal.is_(false()),
                        Location.dimension.in_(dims), or_(*where)))
        with self.engine.connect() as conn:
            return _frame(conn.execute(query).all(), columns)

    def intended_texts(self, project_ids: Iterable[int]) -> pd.DataFrame:
        """The distinct 意向区域 texts of non-buyers per project: ``project_id``, ``text``, ``visitors``."""
        projects = sorted({int(p) for p in project_ids})
        columns = ("project_id", "text", "visitors")
        if not projects:
            return _frame([], columns)
        query = (select(Visitor.project_id, Visitor.intended_text, func.count())
                 .where(Visitor.project_id.in_(projects), Visitor.deal.is_(false()), Visitor.intended_text != "")
                 .group_by(Visitor.project_id, Visitor.intended_text)
                 .order_by(Visitor.project_id, Visitor.intended_text))
        with self.engine.connect() as conn:
            return _frame(conn.execute(query).all(), columns)

    def intended(self, wanted: dict[int, Iterable[str]]) -> pd.DataFrame:
        """Non-buyers whose 意向区域 is one of the texts ``wanted`` lists for their project.

        ``wanted`` maps a project id to the exact stored texts (as :meth:`intended_texts` gave
        them) that matched; returns :data:`VISITOR_COLUMNS`, one row per visitor.
        """
        frames = []
        with self.engine.connect() as conn:
            for project_id, texts in sorted(wanted.items()):
                texts = sorted({str(t) for t in texts if str(t)})
                for part in _chunks(texts):
                    query = (select(*_visitor_fields())
                             .where(Visitor.project_id == int(project_id), Visitor.deal.is_(false()),
                                    Visitor.intended_text.in_(part)))
                    frames.append(_frame(conn.execute(query).all(), VISITOR_COLUMNS))
        if not frames:
            return _frame([], VISITOR_COLUMNS)
        return pd.concat(frames, ignore_index=True).sort_values("visitor_id", ignore_index=True)

    def counts(self, project_ids: Iterable[int]) -> pd.DataFrame:
        """Visitors and non-buyers per project: ``project_id``, ``visitors``, ``not_bought`` (what was searched)."""
        projects = sorted({int(p) for p in project_ids})
        columns = ("project_id", "visitors", "not_bought")
        if not projects:
            return _frame([], columns)
        query = (select(Visitor.project_id, func.count(),
                        func.sum(case((Visitor.deal.is_(false()), 1), else_=0)))
                 .where(Visitor.project_id.in_(projects)).group_by(Visitor.project_id).order_by(Visitor.project_id))
        with self.engine.connect() as conn:
            return _frame(conn.execute(query).all(), columns)
