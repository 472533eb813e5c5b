"""Chinese for the texts Streamlit writes itself, and for the dates on charts.

Streamlit has no locale setting: its own widget texts (the file uploader's
"Upload" button and "200MB per file • CSV…", "Drag and drop a file here" while a
file is dragged over it, "Press Enter to apply" under a text box) are English.
:func:`apply`, called once per run right after ``st.set_page_config`` in
``app.py``, hides those text nodes with a few CSS rules and writes Chinese in
their place (``::before``/``::after`` content): no script, nothing loaded from
outside, and the widgets keep working as before.  The selectors follow the DOM
of Streamlit 1.67 (``data-testid`` attributes); a Streamlit upgrade that
renames them only brings the English back, it breaks nothing.

Charts: Vega-Lite writes dates in English by default ("Jan 07").  Use
:func:`date_axis` (``%m月%d日`` per day or week, ``%Y年%m月`` per month) and
:data:`TOOLTIP_DATE` on every time axis, and :func:`chinese` on a whole chart so
that any date Vega formats by itself comes out in Chinese too.
"""

from __future__ import annotations

import altair as alt
import streamlit as st

__all__ = ["DATE_FORMATS", "TOOLTIP_DATE", "ZH_TIME_LOCALE", "apply", "chinese", "date_axis", "page_css"]

#: axis label format of a time axis per period length (pandas frequency letters)
DATE_FORMATS = {"D": "%m月%d日", "W": "%m月%d日", "M": "%Y年%m月", "Q": "%Y年%m月", "Y": "%Y年"}
TOOLTIP_DATE = "%Y年%m月%d日"
#: d3-time-format locale for Vega-Lite's ``config.locale.time`` (dates Vega formats without a format of ours)
ZH_TIME_LOCALE = {
    "dateTime": "%x %A %X", "date": "%Y年%-m月%-d日", "time": "%H:%M:%S", "periods": ["上午", "下午"],
    "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
    "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
    "months": ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
    "shortMonths": [f"{i}月" for i in range(1, 13)],
}
#: what a file uploader accepts, in words, by one extension of its ``accept`` list
UPLOAD_KINDS = {".csv": "CSV、TXT、TSV、Excel（xlsx / xls）", ".geojson": "GeoJSON、Shapefile（zip）、GeoPackage、KML"}

_UPLOADER = '[data-testid="stFileUploaderDropzone"]'
_INSTRUCTIONS = '[data-testid="stFileUploaderDropzoneInstructions"] span'
_INPUT_HINT = '[data-testid="InputInstructions"] > span:first-child'


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ") + '"'


def page_css(max_upload_mb: int) -> str:
    """The CSS that puts Chinese in place of Streamlit's own English texts.

    >>> css = page_css(50)
    >>> "将文件拖到这里" in css and "单个文件不超过 50MB" in css and "浏览文件" in css
    True
    """
    limit = f"单个文件不超过 {int(max_upload_mb)}MB"
    rules = [
        # the uploader's instructions: "200MB per file • CSV, …" -> two Chinese lines
        f"{_INSTRUCTIONS}{{font-size:0 !important;line-height:1.4}}",
        (f"{_INSTRUCTIONS}::before{{content:{_css_string('将文件拖到这里，或点「浏览文件」')};display:block;"
         "font-size:0.875rem}"),
        f"{_INSTRUCTIONS}::after{{content:{_css_string(limit)};display:block;font-size:0.75rem}}",
        # the button "Upload"
        f'{_UPLOADER} button [data-testid="stMarkdownContainer"] p{{font-size:0 !important}}',
        f'{_UPLOADER} button [data-testid="stMarkdownContainer"] p::after{{content:"浏览文件";font-size:0.875rem}}',
        # shown while a file is dragged over the box: "Drag and drop a file here"
        f"{_UPLOADER} > div:not([data-testid]) > span{{font-size:0 !important}}",
        f'{_UPLOADER} > div:not([data-testid]) > span::after{{content:"松开鼠标即可上传";font-size:0.875rem}}',
        # "Press Enter to apply" / "… to submit form" / "Press Ctrl+Enter to apply"
        f"{_INPUT_HINT}{{font-size:0}}",
        f'{_INPUT_HINT}::after{{content:"按回车键确认";font-size:0.75rem}}',
        f'[data-testid="stForm"] {_INPUT_HINT}::after{{content:"按回车键提交"}}',
        f'[data-testid="stTextArea"] {_INPUT_HINT}::after{{content:"按 Ctrl+回车键确认"}}',
    ]
    for extension, kinds in UPLOAD_KINDS.items():  # what the box accepts, read from its hidden <input accept>
        rules.append(f'{_UPLOADER} input[accept*="{extension}"] ~ [data-testid="stFileUploaderDropzoneInstructions"] '
                     f"span::after{{content:{_css_string(f'{limit} · {kinds}')}}}")
    return "\n".join(rules)


def apply() -> None:
    """Put the Chinese texts on the page (a ``<style>`` element only: it takes no room)."""
    st.html(f"<style>{page_css(st.get_option('server.maxUploadSize'))}</style>")


def date_axis(freq: str = "W", **kwargs) -> alt.Axis:
    """A time axis labelled in Chinese (``%m月%d日``, or ``%Y年%m月`` for months); ``kwargs`` go to ``alt.Axis``."""
    return alt.Axis(format=DATE_FORMATS.get(freq, DATE_FORMATS["D"]), labelAngle=0, **kwargs)


def chinese(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """``chart`` with a Chinese time locale, for any date Vega formats by itself (call it last:
    a configured chart cannot be layered any more)."""
    return chart.configure(locale=alt.Locale(time=ZH_TIME_LOCALE))
