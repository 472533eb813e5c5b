"""Shared, cached readings behind the 客群细分 page (views/segments.py).

Every result is kept once per process for every session (:func:`ui.shared.cached`), keyed by the
project's data version, so a rerun that only switches a tab or a control costs a dictionary look-up:
the visitors' segment columns (also on disk: :func:`mapping.snapshots.frame`, the snapshot
``ui.segments_data`` writes), one row per visitor of the facts, the work rows per (area unit,
line, filters) and the maps' payloads.
"""

from __future__ import annotations

import pandas as pd

from mapping import snapshots
from mapping.segments import origin as O
from mapping.segments import work as W
from ui.context import MapContext
from ui.shared import cached, scope
from ui.segments_data import project_segments


def segment_frame(ctx: MapContext) -> pd.DataFrame:
    """:meth:`mapping.db.store.Store.segment_columns` of the context's project at its data version."""
    store, pid = ctx.store, ctx.project.id
    return cached((*scope(store, pid, ctx.version), "segment_columns"),
                  lambda: snapshots.frame(store, pid, ctx.version, "segment_columns",
                                          lambda: store.segment_columns(pid)))


def visitors(ctx: MapContext) -> pd.DataFrame:
    """:func:`mapping.segments.origin.visitor_frame` of the context's facts (one row per visitor)."""
    return cached((*scope(ctx.store, ctx.project.id, ctx.version), "segment_visitors"),
                  lambda: O.visitor_frame(ctx.facts))


def work_rows(ctx: MapContext, line: str) -> pd.DataFrame:
    """:func:`mapping.segments.work.work_rows` under the context's unit and filters and ``line``."""
    def build() -> pd.DataFrame:
        segments = project_segments(ctx.store, ctx.project, ctx.facts, ctx.version)
        return W.work_rows(ctx.facts, ctx.layer_id, segments.codes("industry"), ctx.filters, ctx.layer(),
                           product_line=line or None)

    return cached(ctx.key("segment_work_rows", ctx.project.segment_bands, line, repr(ctx.filters)), build)
