"""The context a map page works in: one frozen record built once in ``main`` and passed down.

A page reads as: get the context → call ``mapping`` → show.  The context holds
the store, the project and its data version, the project's facts (cached per
data version, shared by every session), and what the user chose (area unit,
product line, dimension, basemap, filters, grading run).  Choices are added with
:meth:`MapContext.with_` as the page's widgets are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import geopandas as gpd
import pandas as pd
import streamlit as st

from mapping import schema as S
from mapping.analysis import metro
from mapping.analysis.battle import Run, graded, line_label
from mapping.analysis.facts import Facts, Filters
from mapping.analysis.grading import DEFAULT_MIN_COUNT
from mapping.db.store import Store
from mapping.export.plan import graded_lines
from mapping.project import Project
from mapping.segments.axis import Segments, segment_label
from ui import layers as UL
from ui.common import adcode_counts, pick_project, project_caption, project_facts, project_visitors
from ui.shared import cached, scope


@dataclass(frozen=True)
class MapContext:
    store: Store
    project: Project
    version: str  # Store.data_version: the key of every cache of project data
    facts: Facts
    cities: tuple[str, ...] = (S.SHANGHAI,)  # the area scope: the project's city, then neighbours sending visitors
    layer_id: str = S.LAYER_DISTRICTS
    line: str = ""  # product line; "" = all lines
    dimension: str = S.DIMENSIONS[0]
    basemap: str = "none"
    filters: Filters = field(default_factory=Filters)
    min_count: int = DEFAULT_MIN_COUNT
    run: Run | None = None
    # the battle map's series: "" = one map per product line; else a segment key (mapping.segments.axis),
    # one map per value, combined with the product line; ``axis_value`` is the map shown
    axis: str = ""
    axis_value: str = ""

    def with_(self, **changes) -> MapContext:
        return replace(self, **changes)

    def layer(self, display: bool = False) -> gpd.GeoDataFrame | None:
        """The area unit's polygons (None for H3)."""
        return UL.polygon_layer(self.layer_id, self.cities, display=display)

    def polygons(self, area_ids: list[str], display: bool = True) -> gpd.GeoDataFrame:
        """Display polygons of the given areas (for H3, hexagons of those cells)."""
        return UL.area_polygons(self.layer_id, self.cities, area_ids, display=display)

    def area_names(self) -> pd.DataFrame:
        """(area_id, area_name) of every area the project's locations fall in."""
        return UL.names_of(self.layer_id, self.cities, self.facts.areas(self.layer_id, self.layer())[0])

    def layer_label(self) -> str:
        return UL.layer_label(self.layer_id)

    def layer_ids(self, hexagons: bool = True) -> list[str]:
        """The area units this project can use (:func:`ui.layers.layer_ids`)."""
        return UL.layer_ids(self.project.city_adcode, hexagons=hexagons)

    def city_borders(self) -> gpd.GeoDataFrame | None:
        """Outlines of the scope's cities when the map spans several (None otherwise)."""
        return UL.city_borders(self.cities)

    def line_label(self) -> str:
        return line_label(self.line)

    def series_label(self) -> str:
        """Which map of the series this is: 「公寓」, or with a segment axis 「公寓 · 面积段 90㎡以下」."""
        if not self.axis:
            return self.line_label()
        return f"{self.line_label()} · {segment_label(self.axis)} {self.axis_value}"

    def segments(self) -> Segments | None:
        """The project's segments when the facts carry them (:func:`ui.segments_data.segmented_facts`)."""
        return self.facts.segments

    def key(self, *parts) -> tuple:
        """A process-wide cache key (:mod:`ui.shared`): store, project, data version, area unit, ``parts``."""
        return (*scope(self.store, self.project.id, self.version), self.layer_id, *parts)

    def graded(self) -> pd.DataFrame:
        """The run's grades of every area under the chosen filters (product line included).

        Computed once per (data version, unit, run, filters) for every session; a copy (a row per area)."""
        table = cached(self.key("graded", repr(self.run), repr(self.filters)),
                       lambda: graded(self.facts, self.run, self.area_names(), self.filters, self.layer()))
        return table.copy()

    def graded_lines(self) -> dict[str, pd.DataFrame]:
        """:meth:`graded` for 全部业态 ("") and each product line, keyed by line (shared like it)."""
        lines = self.project.lines_with_all()
        tables = cached(self.key("graded_lines", repr(self.run), repr(self.filters), tuple(lines)),
                        lambda: graded_lines(self.facts, self.run, self.area_names(), self.filters, lines,
                                             self.layer()))
        return {line: table.copy() for line, table in tables.items()}

    def visitors(self) -> pd.DataFrame:
        """The project's visitors (masked personal data only), cached per data version."""
        return project_visitors(self.store, self.project.id, self.version)


def map_context(store: Store) -> MapContext | None:
    """The sidebar's project with its facts; None (with a hint) when there is nothing to map."""
    project = pick_project(store)
    if project is None:
        return None
    project_caption(project)
    version = store.data_version(project.id)
    facts = project_facts(store, project.id, version, project.city_adcode)
    if len(facts) == 0:
        st.info("这个项目还没有到访客户。请先到「导入数据」页导入。")
        return None
    return MapContext(store, project, version, facts, cities=area_scope(store, project, version))


def area_scope(store: Store, project: Project, version: str) -> tuple[str, ...]:
    """The project's city and the neighbouring cities that send it visitors (:func:`metro.scope`),
    worked out once per data version for every session."""
    return cached((*scope(store, project.id, version), "area_scope"),
                  lambda: metro.scope(project.city_adcode, adcode_counts(store, project.id), project.min_count))
