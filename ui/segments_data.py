"""A project's customer segments (:class:`mapping.segments.axis.Segments`), shared by every session.

Built once per data version (an import, an undo or a change of the project's 面积段/总价段 bands
gives a new version) from :meth:`mapping.db.store.Store.segment_columns`, whose frame is also kept
on disk (:func:`mapping.snapshots.frame`) so a restarted server does not read every visitor again.
"""

from __future__ import annotations

from types import SimpleNamespace

import streamlit as st

from mapping import snapshots
from mapping.analysis.facts import Facts
from mapping.db.store import Store
from mapping.project import Project
from mapping.segments.axis import Segments, project_bands
from mapping.segments.bands import BandError
from ui.shared import scope


def project_segments(store: Store, project: Project, facts: Facts, version: str) -> Segments:
    """The segment codes of ``facts`` (the project's facts at ``version``), built once for every session.

    A malformed saved band setting falls back to the default bands with a warning on the page."""
    try:
        project_bands(project)
    except BandError as exc:
        st.warning(f"{exc}。本页暂按默认的面积段/总价段分段。")
    token = scope(store, project.id, version)[0]  # another database never reads this one's entry
    return _segments(store, project.id, version, token, project.segment_bands, project.city_adcode, facts)


def segmented_facts(store: Store, project: Project, facts: Facts, version: str) -> Facts:
    """``facts`` with the project's segments attached (:meth:`Facts.with_segments`), shared like them."""
    segments = project_segments(store, project, facts, version)
    token = scope(store, project.id, version)[0]
    return _attached(project.id, version, token, project.segment_bands, project.city_adcode, facts, segments)


@st.cache_resource(show_spinner="正在整理客户细分（每次导入后只做一次）…", max_entries=4)
def _segments(_store: Store, project_id: int, version: str, token: str, bands_text: str, city: str,
              _facts: Facts) -> Segments:
    columns = snapshots.frame(_store, project_id, version, "segment_columns",
                              lambda: _store.segment_columns(project_id))
    try:
        bands = project_bands(SimpleNamespace(segment_bands=bands_text))
    except BandError:
        bands = {}  # the defaults; project_segments warned
    return Segments.build(_facts, columns, bands)


@st.cache_resource(max_entries=4, show_spinner=False)
def _attached(project_id: int, version: str, token: str, bands_text: str, city: str, _facts: Facts,
              _segments: Segments) -> Facts:
    return _facts.with_segments(_segments)
