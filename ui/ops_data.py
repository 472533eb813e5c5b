"""The operations pages' shared data: the attributed visitor frame and its weekly counts, made once.

:func:`attributed_frame` is :func:`mapping.ops.teams.visitor_frame` + :func:`~mapping.ops.teams.attribute`
for one area unit and dimension, kept process-wide (:mod:`ui.shared`) per (store, project, data
version, ops version, layer, dimension): an import changes the data version, any team, territory,
cost or settings change the ops version, so a stale frame is never read again.  Every session
showing the same project shares it (read-only: callers must not modify it).  :func:`counts` is
:func:`mapping.ops.weekly.week_counts` of it, kept the same way, so changing the week on 周复盘
reads a small table, never the million visitor rows.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mapping import schema as S
from mapping.cache import shared
from mapping.db.operations import Operations
from mapping.ops import teams as T
from mapping.ops import weekly as W
from ui import layers as UL
from ui.context import MapContext
from ui.shared import cached, scope


def operations(ctx: MapContext) -> Operations:
    """The :class:`Operations` of the page's store (a thin wrapper: made per run)."""
    return Operations(ctx.store)


def _key(ctx: MapContext, ops_version: str, layer_id: str, dimension: str, *parts) -> tuple:
    return (*scope(ctx.store, ctx.project.id, ctx.version), "ops", ops_version, layer_id, dimension, *parts)


def unit_of(ctx: MapContext, territory: dict | None) -> tuple[str, str]:
    """(layer id, dimension) a territory set divides; the project's default unit and 居住 without one
    (or when the set's unit is not available to this project)."""
    payload = (territory or {}).get("payload") or {}
    layer_id = str(payload.get("layer_id") or "")
    dimension = str(payload.get("dimension") or "")
    if layer_id not in ctx.layer_ids() and layer_id not in UL.custom_layers():
        layer_id = ""
    if not layer_id:
        ids = ctx.layer_ids(hexagons=False)
        layer_id = ctx.project.area_layer if ctx.project.area_layer in ids else S.LAYER_DISTRICTS
    return layer_id, dimension if dimension in S.DIMENSIONS else S.DIMENSIONS[0]


def unit_warning(territory: dict | None, layer_id: str) -> str | None:
    """What to say when the territory set divides an area unit this page cannot use (:func:`unit_of` fell back)."""
    wanted = str(((territory or {}).get("payload") or {}).get("layer_id") or "")
    if not wanted or wanted == layer_id:
        return None
    try:
        label = UL.layer_label(wanted)
    except KeyError:  # a layer uploaded in another session
        label = "上传的图层"
    return (f"片区方案按区域单元「{label}」划分，这里用不了（上传的图层只在上传它的浏览器会话里有效），"
            f"现在按「{UL.layer_label(layer_id)}」统计：片区对不上，团队的片区到访和沉默片区都不可信。"
            "请在「团队与片区」页重新上传这个图层后再看。")


def attributed_frame(ctx: MapContext, ops: Operations, ops_version: str, layer_id: str,
                     dimension: str) -> pd.DataFrame:
    """One row per visitor with its area, team (or 未归属) and what it did; shared, read-only."""
    def make() -> pd.DataFrame:
        pid = ctx.project.id
        territory = ops.territory_in_force(pid)
        settings = ops.ops_settings(pid)
        frame = T.visitor_frame(ctx.facts, layer_id, dimension, UL.polygon_layer(layer_id, ctx.cities))
        return T.attribute(frame, ops.teams(pid), (territory or {}).get("payload"),
                           settings.get("outreach_channels") or [])

    key = _key(ctx, ops_version, layer_id, dimension, "frame")
    if key in shared():
        return cached(key, make)
    with st.spinner("正在整理客户与团队（每次导入或修改团队、片区后只做一次）…"):
        return cached(key, make)


def counts(ctx: MapContext, ops: Operations, ops_version: str, layer_id: str, dimension: str) -> pd.DataFrame:
    """:func:`mapping.ops.weekly.week_counts` of :func:`attributed_frame`; shared, read-only."""
    return cached(_key(ctx, ops_version, layer_id, dimension, "week_counts"),
                  lambda: W.week_counts(attributed_frame(ctx, ops, ops_version, layer_id, dimension)))


def centroids(ctx: MapContext, layer_id: str, area_ids: list[str]) -> pd.DataFrame:
    """``area_id``, ``lng``, ``lat``: a point inside each area (WGS-84), for distances to competitors."""
    ids = tuple(sorted(a for a in set(area_ids) if a))

    def make() -> pd.DataFrame:
        polygons = UL.area_polygons(layer_id, ctx.cities, list(ids))
        if polygons is None or polygons.empty:
            return pd.DataFrame({"area_id": [], "lng": [], "lat": []})
        polygons = polygons[polygons["area_id"].astype(str).isin(ids)]
        points = polygons.to_crs(4326).geometry.representative_point()
        return pd.DataFrame({"area_id": polygons["area_id"].astype(str).to_numpy(), "lng": points.x.to_numpy(),
                             "lat": points.y.to_numpy()})

    return cached((*scope(ctx.store, ctx.project.id, ctx.version), "ops_centroids", layer_id, tuple(ctx.cities), ids),
                  make)
