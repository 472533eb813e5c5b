"""The battle map's 筛选 and 分级设置 sections, drawn only while they are open (issue 13: a first visit's
browser time is mostly React drawing Streamlit's elements, one per widget).

A widget that is not drawn in a run loses its state, so each control's value is kept in the session
apart from its widget (:func:`kept`, under :data:`KEPT`): a closed section reads the kept values, an
open one starts its widgets from them and keeps what they return.  The map, the exports and saved plans
get the same :class:`Filters` and :class:`Settings` whether the sections are open or closed.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from mapping.analysis import battle as B
from mapping.analysis import grading as G
from mapping.analysis.facts import PERIODS, Filters, period_range
from mapping.segments.axis import SEGMENTS
from ui import battle_segments as BS
from ui.context import MapContext

KEPT = "bm_kept"  # widget key → value, kept while the widget is not drawn
FILTERS_OPEN, SETTINGS_OPEN = "bm_filters_open", "bm_settings_open"  # the sections' open state
FILTERS_LABEL = "筛选：时间、渠道、意向等级、客群细分"
SETTINGS_LABEL = "分级设置：得分权重、分级方法、最少样本数"
WEIGHTS = {"bm_w_visits": ("到访 权重", 100.0, 1.0, 0.5), "bm_w_high": ("高意向(A/B) 权重", 100.0, 2.0, 0.5),
           "bm_w_deals": ("成交 权重", 100.0, 5.0, 0.5)}
DIMENSION_WEIGHTS = {"bm_w_home": ("居住 维度权重", 10.0, 0.5, 0.1), "bm_w_work": ("工作 维度权重", 10.0, 0.3, 0.1),
                     "bm_w_leisure": ("生活娱乐 维度权重", 10.0, 0.2, 0.1)}
THRESHOLDS = {"bm_t_a": ("A 级最低得分", 300.0), "bm_t_b": ("B 级最低得分", 150.0), "bm_t_c": ("C 级最低得分", 50.0)}
DEFAULT_SCHEME = list(G.SCHEME_LABELS)[1]


def kept(key: str, default=None):
    """The value last given by widget ``key`` (``default`` before it was ever drawn)."""
    return st.session_state.get(KEPT, {}).get(key, default)


def keep(key: str, value) -> None:
    st.session_state.setdefault(KEPT, {})[key] = value


def drawn(widget: Callable, label: str, *args, key: str, default, **kwargs):
    """``widget(label, *args, key=key, **kwargs)`` starting from the kept value (when it was not drawn in the
    last run, its own state is gone); what it returns is kept.  The widget's start value comes only from the
    session state (no ``value``/``index``/``default`` argument: Streamlit warns when both are given)."""
    if key not in st.session_state:
        st.session_state[key] = kept(key, default)
    value = widget(label, *args, key=key, **kwargs)
    keep(key, value)
    return value


def section(label: str, key: str):
    """A collapsed section whose content runs only while it is open: the expander, or None when closed."""
    box = st.expander(label, key=key, on_change="rerun")
    return box if box.open else None


# ----------------------------------------------------------------------------- 筛选
def choose_filters(ctx: MapContext) -> Filters:
    """Visit dates, channels, intentions and one customer segment (one under the other: they sit beside the
    map); the product line is the context's."""
    span = ctx.facts.date_range()
    periods = list(PERIODS) if ctx.project.launch_date else [p for p in PERIODS if p not in ("pre", "post")]
    dates = kept("bm_dates", span)
    if span and not (isinstance(dates, (tuple, list)) and all(span[0] <= d <= span[1] for d in dates)):
        dates = span  # the data's dates changed since (an import, an undo)
    if kept("bm_period") not in periods:
        keep("bm_period", periods[0])
    keep("bm_dates", dates)
    for key, options in (("bm_channels", ctx.facts.channels), ("bm_intentions", ctx.facts.intentions)):
        keep(key, [v for v in kept(key, []) if v in options])
    box = section(FILTERS_LABEL, FILTERS_OPEN)
    if box is None:
        period, picked, channels, intentions = (kept(k) for k in ("bm_period", "bm_dates", "bm_channels",
                                                                  "bm_intentions"))
        segments = kept_segments(ctx)
    else:
        with box:
            period = drawn(st.radio, "到访时间", periods, key="bm_period", default=periods[0],
                           format_func=PERIODS.get, horizontal=True)
            picked = None
            if period == "custom" and span:
                picked = drawn(st.date_input, "起止日期", key="bm_dates", default=span, min_value=span[0],
                               max_value=span[1])
            channels = drawn(st.multiselect, "到访渠道（不选为全部）", ctx.facts.channels, key="bm_channels", default=[],
                             placeholder="全部渠道")
            intentions = drawn(st.multiselect, "意向等级", ctx.facts.intentions, key="bm_intentions", default=[],
                               placeholder="全部")
            segments = drawn_segments(ctx)
    custom = None
    if period == "custom" and span and isinstance(picked, (tuple, list)) and len(picked) == 2:
        custom = (picked[0], picked[1])
    start, end = period_range(period, ctx.project.launch_date, span, custom)
    return Filters(product_line=ctx.line or None, start=start, end=end, channels=tuple(channels),
                   intentions=tuple(intentions), segments=segments)


def kept_segments(ctx: MapContext) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The segment filter from the kept values (the section closed): what :func:`BS.segment_filter` returns."""
    keys = [k for k in BS.available(ctx) if k != ctx.axis]
    key = kept("bm_seg_key", BS.NO_SEGMENT)
    if key not in keys:
        keep("bm_seg_key", BS.NO_SEGMENT)
        keep("bm_seg_values", [])
        return ()
    values = ctx.segments().values(key)
    chosen = [v for v in kept("bm_seg_values", []) if v in values]
    keep("bm_seg_values", chosen)
    return ((key, tuple(chosen)),) if chosen else ()


def drawn_segments(ctx: MapContext) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """:func:`BS.segment_filter` (its widgets) starting from the kept values; the values it leaves are kept."""
    for key, default in (("bm_seg_key", BS.NO_SEGMENT), ("bm_seg_values", [])):
        if key not in st.session_state:
            st.session_state[key] = kept(key, default)
    segments = BS.segment_filter(ctx, ctx.axis)
    key = st.session_state.get("bm_seg_key", BS.NO_SEGMENT)
    keep("bm_seg_key", key if key in SEGMENTS else BS.NO_SEGMENT)
    keep("bm_seg_values", list(st.session_state.get("bm_seg_values", [])) if key in SEGMENTS else [])
    return segments


# ----------------------------------------------------------------------------- 分级设置
def choose_settings(dimension: str, min_k: int) -> B.Settings:
    """Score weights, grading scheme (manual thresholds) and the smallest sample shown."""
    if kept("bm_min_count", min_k) < min_k:  # the project's k was raised since
        keep("bm_min_count", min_k)
        if "bm_min_count" in st.session_state:
            st.session_state["bm_min_count"] = min_k
    box = section(SETTINGS_LABEL, SETTINGS_OPEN)
    if box is None:
        return settings_of(dimension, min_k, {k: kept(k, v[2]) for k, v in {**WEIGHTS, **DIMENSION_WEIGHTS}.items()},
                           kept("bm_scheme", DEFAULT_SCHEME), {k: kept(k, v[1]) for k, v in THRESHOLDS.items()},
                           kept("bm_min_count", min_k))
    with box:
        weights = {key: drawn(st.number_input, label, 0.0, top, key=key, default=value, step=step)
                   for key, (label, top, value, step) in WEIGHTS.items()}
        if dimension == G.COMPOSITE:
            weights |= {key: drawn(st.number_input, label, 0.0, top, key=key, default=value, step=step)
                        for key, (label, top, value, step) in DIMENSION_WEIGHTS.items()}
        scheme = drawn(st.radio, "分级方法", list(G.SCHEME_LABELS), key="bm_scheme", default=DEFAULT_SCHEME,
                       format_func=G.SCHEME_LABELS.get, horizontal=True)
        min_count = drawn(st.number_input, "最少样本数（少于此数显示为“样本不足”）", min_k, 100, step=1,
                          key="bm_min_count", default=min_k, help=f"项目设置的下限是 {min_k}：可以调高，不能调低")
        thresholds = {}
        if scheme == "manual":
            thresholds = {key: drawn(st.number_input, label, 0.0, key=key, default=value)
                          for key, (label, value) in THRESHOLDS.items()}
        st.caption("得分 = 到访×权重 + 高意向×权重 + 成交×权重（综合维度再按三个维度的权重相加）。"
                   "分级区间在一次“分级”时拟合，之后改变筛选只改变人数，不会改变区间；"
                   "改了这里的设置会重新分级。")
    return settings_of(dimension, min_k, weights, scheme, thresholds, min_count)


def settings_of(dimension: str, min_k: int, weights: dict, scheme: str, thresholds: dict, min_count) -> B.Settings:
    """The :class:`B.Settings` of these values: the dimension weights only count for the composite dimension
    (the defaults otherwise), the thresholds only for the manual scheme."""
    if dimension != G.COMPOSITE:
        weights = {**weights, **{key: value for key, (_l, _t, value, _s) in DIMENSION_WEIGHTS.items()}}
    manual = tuple(thresholds[key] for key in THRESHOLDS) if scheme == "manual" else None
    return B.Settings(dimension, G.Weights(*(weights[key] for key in (*WEIGHTS, *DIMENSION_WEIGHTS))), scheme,
                      manual, max(int(min_count), min_k))
