"""拓客图 logic, importable and testable without Streamlit.

Public API (see each module for details)::

    from mapping import read_table, auto_map, validate      # ingest
    from mapping import resolve_texts, resolve_points        # resolution
    from mapping import Store                                # database
    from mapping import load_layer, read_layer, area_counts  # layers and aggregation
"""

from mapping.analysis.aggregate import area_counts, headline
from mapping.db.store import Store
from mapping.geo.boundaries import assign_points, load_layer
from mapping.geo.coords import gcj02_to_wgs84, to_wgs84, wgs84_to_gcj02
from mapping.geo.layers import LayerError, read_layer
from mapping.ingest.tables import IngestError, auto_map, read_table, validate
from mapping.place.resolve import resolve_points, resolve_records, resolve_texts

__all__ = [
    "IngestError", "LayerError", "Store", "area_counts", "assign_points", "auto_map", "gcj02_to_wgs84",
    "headline", "load_layer", "read_layer", "read_table", "resolve_points", "resolve_records",
    "resolve_texts", "to_wgs84", "validate", "wgs84_to_gcj02",
]
