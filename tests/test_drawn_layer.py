"""Polygons drawn on the map become an area layer in WGS-84 (converted back from GCJ-02 on Gaode)."""

import numpy as np
import pytest

from mapping import schema as S
from mapping.geo.coords import wgs84_to_gcj02
from mapping.geo.layers import LayerError, drawn_layer

SQUARE = [[121.5, 31.2], [121.6, 31.2], [121.6, 31.3], [121.5, 31.3], [121.5, 31.2]]


def feature(ring):
    return {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def test_drawn_polygons_become_named_areas():
    layer = drawn_layer([feature(SQUARE), {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}}],
                        S.WGS84)
    assert layer["area_name"].tolist() == ["手绘区域 1"]
    assert layer.crs.to_epsg() == 4326
    assert np.allclose(layer.geometry.iloc[0].bounds, (121.5, 31.2, 121.6, 31.3))


def test_drawn_on_gaode_is_converted_back_to_wgs84():
    lng, lat = wgs84_to_gcj02(np.array([p[0] for p in SQUARE]), np.array([p[1] for p in SQUARE]))
    shifted = [[float(x), float(y)] for x, y in zip(lng, lat)]
    layer = drawn_layer([feature(shifted)], S.GCJ02)
    assert np.allclose(layer.geometry.iloc[0].bounds, (121.5, 31.2, 121.6, 31.3), atol=1e-6)


def test_nothing_drawn_is_a_clear_error():
    with pytest.raises(LayerError, match="还没有画区域"):
        drawn_layer([], S.WGS84)
