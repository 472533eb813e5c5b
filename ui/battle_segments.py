"""The battle map's customer-segment controls: the series axis 「每张地图按」, its value, the segment
filter, and the runs and exports of a segment series (issue 15).

The page stays as it was for 业态: one map per product line.  With a segment axis (面积段, 行业,
籍贯…) it shows one map per value of that segment, combined with the product line chosen above,
all graded on one set of bins (:func:`mapping.analysis.battle.fit_axis_runs`).
"""

from __future__ import annotations

import re
from dataclasses import replace

import streamlit as st

from mapping.analysis import battle as B
from mapping.analysis import grading as G
from mapping.analysis.facts import Filters
from mapping.export import plan as P
from mapping.segments.axis import SEGMENTS, segment_label
from ui.context import MapContext
from ui.segments_data import segmented_facts
from ui.shared import cached

LINE_AXIS = ""  # 「每张地图按」业态
NO_SEGMENT = ""


def with_segments(ctx: MapContext) -> MapContext:
    """The context with the project's segments attached to its facts (shared by every session)."""
    return ctx.with_(facts=segmented_facts(ctx.store, ctx.project, ctx.facts, ctx.version))


def available(ctx: MapContext) -> list[str]:
    segments = ctx.segments()
    return segments.available() if segments is not None else []


def axis_label(axis: str) -> str:
    return "业态" if axis == LINE_AXIS else segment_label(axis)


def choose_axis(ctx: MapContext) -> str:
    """「每张地图按」: 业态 (default) or any segment the project's data fill."""
    options = [LINE_AXIS, *available(ctx)]
    if st.session_state.get("bm_axis") not in options:
        st.session_state["bm_axis"] = LINE_AXIS
    return st.selectbox("每张地图按", options, format_func=axis_label, key="bm_axis",
                        help="默认每个业态一张作战地图；也可以按面积段、总价段、年龄段、行业、籍贯等客群细分，"
                             "每个取值一张地图（与上面选的业态组合），各张地图用同一套分级区间，可以互相比较。")


def choose_axis_value(ctx: MapContext, axis: str) -> str:
    """The map of the series shown: one value of the axis segment (a segmented control)."""
    values = ctx.segments().values(axis)
    if st.session_state.get("bm_axis_value") not in values:
        st.session_state["bm_axis_value"] = values[0]
    return st.segmented_control(f"{segment_label(axis)}（每个{segment_label(axis)}一张作战地图）", values,
                                key="bm_axis_value", required=True)


def segment_filter(ctx: MapContext, axis: str, prefix: str = "bm") -> tuple[tuple[str, tuple[str, ...]], ...]:
    """One segment and its values to keep (inside the page's 筛选 section); the axis is not offered.  ``prefix``:
    the page's widget keys (``bm`` the battle map, ``vd`` 到访成交对比)."""
    keys = [k for k in available(ctx) if k != axis]
    if not keys:
        st.caption("客群细分筛选：这个项目的数据里没有（其他）可用的细分字段。")
        return ()
    if st.session_state.get(f"{prefix}_seg_key") not in [NO_SEGMENT, *keys]:
        st.session_state[f"{prefix}_seg_key"] = NO_SEGMENT
    key = st.selectbox("客群细分", [NO_SEGMENT, *keys], key=f"{prefix}_seg_key",
                       format_func=lambda k: "不按客群细分筛选" if k == NO_SEGMENT else SEGMENTS[k])
    if key == NO_SEGMENT:
        return ()
    values = ctx.segments().values(key)
    kept = [v for v in st.session_state.get(f"{prefix}_seg_values", []) if v in values]
    st.session_state[f"{prefix}_seg_values"] = kept
    chosen = st.multiselect(f"{SEGMENTS[key]}（不选为全部）", values, key=f"{prefix}_seg_values", placeholder="全部")
    return ((key, tuple(chosen)),) if chosen else ()


def axis_runs(ctx: MapContext, settings: B.Settings) -> list[B.Run]:
    """Runs of every dimension for a segment series under the context's filters (the line in force, no
    axis value), fitted once per process for every session asking."""
    variants = [replace(settings, dimension=d) for d in G.DIMENSION_CHOICES]
    return cached(ctx.key("axis_runs", ctx.axis, repr(variants[0]), repr(ctx.filters)),
                  lambda: B.fit_axis_runs(ctx.facts, ctx.layer_id, variants, ctx.filters, ctx.axis, ctx.layer()))


def run_key(ctx: MapContext, settings: B.Settings) -> tuple:
    """The session's key of the run in use: the series (axis and line, for a segment axis) and settings."""
    series = (ctx.axis, ctx.line) if ctx.axis else ()
    return ctx.project.id, ctx.version, ctx.layer_id, repr(settings), *series


def base_filters(ctx: MapContext) -> Filters:
    """The filters without the axis value (what the series was fitted under and what exports describe)."""
    return ctx.filters.with_segment(ctx.axis) if ctx.axis else ctx.filters


def subtitle_series(ctx: MapContext) -> str:
    """The subtitle's note on the series: 「按面积段分图（6 张，同一套分级区间）」, or "" for 业态."""
    if not ctx.axis:
        return ""
    return f" · 按{segment_label(ctx.axis)}分图（{len(ctx.segments().values(ctx.axis))} 张，同一套分级区间）"


def plan_note(ctx: MapContext) -> None:
    """Under a segment axis the saved plans (per 业态) are not compared: say so."""
    st.caption(f"计划（保存、批准、对照、机会战场）按业态保存：现在每张地图按{segment_label(ctx.axis)}，"
               "切回「每张地图按：业态」即可保存或对照计划。")


def file_stem(ctx: MapContext, today: str) -> str:
    """A download's file name without extension, naming the series; characters a file name cannot hold
    (and spaces) become _.

    >>> import re
    >>> re.sub(_UNSAFE, "_", "90/120㎡ <a>")
    '90_120㎡__a_'
    """
    series = f"_{segment_label(ctx.axis)}{ctx.axis_value}" if ctx.axis else ""
    return re.sub(_UNSAFE, "_", f"{ctx.project.name}_拓客作战地图{series}_{today}")[:120]


_UNSAFE = r'[\\/:*?"<>|\s\x00-\x1f]'


def axis_workbook(ctx: MapContext, targets) -> bytes:
    """The Excel plan of the series: one sheet per value of the axis (:func:`P.axis_plan_workbook`)."""
    return P.axis_plan_workbook(ctx.facts, ctx.run, ctx.area_names(), base_filters(ctx), targets,
                                ctx.segments().values(ctx.axis), project=ctx.project,
                                layer_label=ctx.layer_label(), layer=ctx.layer())
