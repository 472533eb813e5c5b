"""Helpers for tests that read rendered folium HTML."""

import json
import re


def unescape(html: str) -> str:
    """folium writes JSON with Chinese as \\uXXXX escapes: turn them back into characters."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda g: chr(int(g.group(1), 16)), html)


def features(html: str) -> list[dict]:
    """Features of every GeoJSON collection embedded in the page, in order."""
    decoder, out = json.JSONDecoder(), []
    for match in re.finditer(r'\{"(?:bbox|features)": ', html):
        data, _ = decoder.raw_decode(html, match.start())
        out += data.get("features", [])
    return out


def first_vertex(feature: dict) -> tuple[float, float]:
    geom = feature["geometry"]
    ring = geom["coordinates"][0] if geom["type"] == "Polygon" else geom["coordinates"][0][0]
    return float(ring[0][0]), float(ring[0][1])
