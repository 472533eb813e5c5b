"""The map legend: one HTML box (title, subtitle, colour rows) in a Leaflet control.

Every folium map of the app builds its legend here: :func:`range_rows` writes
the rows of count classes, :func:`legend_html` the box, :class:`Legend` puts it
on the map (top right by default, clear of the zoom and layer buttons and the scale bar;
CSS class ``tuoke-legend``) with a small button that folds it away when it hides
an area and brings it back.  Every text that reaches the HTML (titles, area or
product-line names) is escaped here, so callers pass plain text.

>>> rows = [("#eeeeee", "0")] + range_rows([3.0, 10.0], ["#fdd0a2", "#fdae6b"])
>>> rows
[('#eeeeee', '0'), ('#fdd0a2', '1 – 3'), ('#fdae6b', '4 – 10')]
>>> html = legend_html("到访 <全部>", rows)
>>> "到访 &lt;全部&gt;" in html and "4 – 10" in html
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from html import escape

import numpy as np
from branca.element import MacroElement
from jinja2 import Template
from numpy.typing import ArrayLike

CSS_CLASS = "tuoke-legend"  # the class of the legend's div (browser tests find legends by it)
SWATCH_KINDS = ("fill", "outline", "dot")
POSITIONS = ("topleft", "topright", "bottomleft", "bottomright")
DEFAULT_POSITION = "topright"  # zoom and layer buttons are top left, the scale bar bottom left
FOLDABLE_CLASS = "tuoke-foldable"  # added by the script (the legend's own class is named once per legend)
TOGGLE_CLASS = "tuoke-fold-toggle"
COLLAPSED_CLASS = "tuoke-folded"
_CSS = (  # the fold button, and a folded box that shows only it
    f".{FOLDABLE_CLASS}{{position:relative}}"
    f".{FOLDABLE_CLASS}>div:first-child>div:first-child{{padding-right:38px}}"  # the title clears the button
    f".{TOGGLE_CLASS}{{position:absolute;top:3px;right:3px;z-index:1;border:1px solid #ccc;border-radius:4px;"
    "background:#fff;color:#444;font:12px/16px sans-serif;padding:0 5px;cursor:pointer;opacity:.85}"
    f".{TOGGLE_CLASS}:hover{{opacity:1;border-color:#888}}"
    f".{COLLAPSED_CLASS}>:not(.{TOGGLE_CLASS}){{display:none}}"
    f".{COLLAPSED_CLASS} .{TOGGLE_CLASS}{{position:static;display:block;padding:3px 8px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.3);opacity:1}"
)
# JS run inside the control's onAdd (``div`` the box, ``map`` the map): the fold button
_TOGGLE_JS = (
    "  if (!document.getElementById('tuoke-fold-css')) {"
    "    var css = document.createElement('style'); css.id = 'tuoke-fold-css';"
    f"    css.textContent = {json.dumps(_CSS)}; document.head.appendChild(css); }}"
    f"  L.DomUtil.addClass(div, '{FOLDABLE_CLASS}');"
    f"  var btn = L.DomUtil.create('button', '{TOGGLE_CLASS}', div);"
    "  btn.type = 'button';"
    "  function show(open) {"
    f"    L.DomUtil[open ? 'removeClass' : 'addClass'](div, '{COLLAPSED_CLASS}');"
    "    btn.textContent = open ? '收起' : '图例';"
    "    btn.title = open ? '收起图例（露出下面的区域）' : '展开图例';"
    "    btn.setAttribute('aria-expanded', open ? 'true' : 'false'); }"
    "  show(true);"
    "  L.DomEvent.on(btn, 'click', function (e) {"
    "    L.DomEvent.stop(e);"
    f"    show(L.DomUtil.hasClass(div, '{COLLAPSED_CLASS}'));"
    "    map.fire('tuoke:layout'); });"
)
_BOX = {  # normal: one map on the page; compact: two maps side by side
    False: "background:rgba(255,255,255,.94);padding:8px 10px;border-radius:6px;font:12px/1.6 sans-serif;"
           "box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:300px",
    True: "background:rgba(255,255,255,.92);padding:5px 8px;border-radius:6px;font:11px/1.45 sans-serif;"
          "box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:250px",
}


class Legend(MacroElement):
    """A Leaflet control holding ready-made HTML (e.g. from :func:`legend_html`), foldable.

    A button in the box's top-right corner (``tuoke-legend-toggle``) folds the box
    down to the word 「图例」 and opens it again; the map is told
    (``tuoke:layout`` event) so area names hidden under the box can come back.
    Plain JS and CSS, nothing loaded from anywhere.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});"
        "{{ this.get_name() }}.onAdd = function (map) {"
        f"  var div = L.DomUtil.create('div', '{CSS_CLASS}');"
        "  div.innerHTML = {{ this.html|tojson }};"
        + _TOGGLE_JS +
        "  L.DomEvent.disableClickPropagation(div);"
        "  L.DomEvent.disableScrollPropagation(div);"
        "  return div; };"
        "{{ this.get_name() }}.addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )

    def __init__(self, html: str, position: str = DEFAULT_POSITION):
        super().__init__()
        if position not in POSITIONS:
            raise ValueError(f"'position' should be one of {POSITIONS}, got {position!r}")
        self._name = "Legend"
        self.html, self.position = html, position


def swatch(colour: str, kind: str = "fill") -> str:
    """A small colour sample: a filled box, a dashed ``outline`` box, or a round ``dot``.

    >>> "background:#b30000" in swatch("#b30000"), "dashed #1c7ed6" in swatch("#1c7ed6", "outline")
    (True, True)
    """
    if kind == "fill":
        return (f'<span style="display:inline-block;width:14px;height:10px;margin-right:6px;'
                f'border:1px solid #999;vertical-align:middle;background:{escape(colour)}"></span>')
    if kind == "outline":
        return (f'<span style="display:inline-block;width:14px;height:10px;margin-right:6px;'
                f'border:2px dashed {escape(colour)};vertical-align:middle"></span>')
    if kind == "dot":
        return (f'<span style="display:inline-block;width:10px;height:10px;border-radius:5px;'
                f'background:{escape(colour)};margin-right:3px;vertical-align:middle"></span>')
    raise ValueError(f"'kind' should be one of {SWATCH_KINDS}, got {kind!r}")


def range_rows(breaks: Sequence[float], colours: Sequence[str], *, low: float = 1, unit: str = "",
               values: ArrayLike | None = None) -> list[tuple[str, str]]:
    """One legend row per class of whole-number counts, lowest class first.

    Parameters
    ----------
    breaks : sequence of float
        Ascending upper bounds of the classes
        (:func:`mapping.analysis.breaks.class_breaks`).
    colours : sequence of str
        Colour of each class; rows stop at the shorter of ``breaks`` and ``colours``.
    low : float, default 1
        Lowest count of the first class; each next class starts one above the
        previous bound.
    unit : str, default ""
        Written after the numbers, e.g. ``" 人"``.
    values : array-like, optional
        The counts shown on the map: each row then ends with how many fall in
        its class (``" · 3 个区域"``).

    Returns
    -------
    list of (colour, label)
        ``"low – upper"``, or just ``"upper"`` for a class of one number.

    Examples
    --------
    >>> range_rows([4, 5, 20], ["#a", "#b", "#c"], low=3, unit=" 人", values=[3, 5, 7, 20])
    [('#a', '3 – 4 人 · 1 个区域'), ('#b', '5 人 · 1 个区域'), ('#c', '6 – 20 人 · 2 个区域')]
    """
    v = None if values is None else np.asarray(values, dtype=float)
    rows = []
    for upper, colour in zip(breaks, colours):
        label = f"{low:,.0f} – {upper:,.0f}{unit}" if upper > low else f"{upper:,.0f}{unit}"
        if v is not None:
            label += f" · {int(((v >= low) & (v <= upper)).sum())} 个区域"
        rows.append((colour, label))
        low = int(upper) + 1
    return rows


def legend_html(title: str, rows: Iterable[tuple[str, ...]], *, subtitle: str = "", footer: str = "",
                keys: Iterable[tuple[str, str]] = (), compact: bool = False) -> str:
    """The legend box, as HTML for :class:`Legend`.

    Parameters
    ----------
    title, subtitle : str
        Plain text on top (the subtitle, e.g. what the colours measure, only when given).
    rows : iterable of (colour, label) or (colour, label, kind)
        One line each: a :func:`swatch` (``kind`` "fill" unless given) and the label.
    footer : str
        Plain text under the rows, e.g. what the pies mean.
    keys : iterable of (colour, label)
        Round colour keys written on one line under the footer (e.g. product lines).
    compact : bool, default False
        Smaller type and box, for two maps side by side.

    Returns
    -------
    str
        HTML with every text escaped.
    """
    lines = "".join(f"<div>{swatch(colour, *kind)}{escape(label)}</div>" for colour, label, *kind in rows)
    head = f'<div style="font-weight:600;margin-bottom:2px">{escape(title)}</div>'
    if subtitle:
        head += f'<div style="color:#555;margin-bottom:3px">{escape(subtitle)}</div>'
    tail = f'<div style="color:#555;margin-top:4px">{escape(footer)}</div>' if footer else ""
    keys = "".join(f'<span style="display:inline-block;margin-right:8px">{swatch(colour, "dot")}{escape(label)}</span>'
                   for colour, label in keys)
    if keys:
        tail += f"<div>{keys}</div>"
    return f'<div style="{_BOX[bool(compact)]}">{head}{lines}{tail}</div>'
