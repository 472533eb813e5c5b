import numpy as np
import pytest

from mapping.geo import coords


def _grid(n=2000, seed=1):
    rng = np.random.default_rng(seed)
    return rng.uniform(73.7, 134.9, n), rng.uniform(18.2, 53.4, n)


def test_gcj02_round_trip_within_5cm():
    lng, lat = _grid()
    g_lng, g_lat = coords.wgs84_to_gcj02(lng, lat)
    back_lng, back_lat = coords.gcj02_to_wgs84(g_lng, g_lat)
    assert coords.haversine_m(lng, lat, back_lng, back_lat).max() < 0.05


def test_bd09_round_trip_within_5cm():
    lng, lat = _grid(seed=2)
    b_lng, b_lat = coords.wgs84_to_bd09(lng, lat)
    back_lng, back_lat = coords.bd09_to_wgs84(b_lng, b_lat)
    assert coords.haversine_m(lng, lat, back_lng, back_lat).max() < 0.05


def test_known_shanghai_offset():
    # Oriental Pearl Tower: WGS-84 (121.4953, 31.2418); Amap (GCJ-02) shows it at about (121.4997, 31.2398)
    g_lng, g_lat = coords.wgs84_to_gcj02(121.4953, 31.2418)
    assert abs(g_lng - 121.4997) < 0.0002 and abs(g_lat - 31.2398) < 0.0002
    # the offset is several hundred metres, which is why mixing systems misplaces visitors
    assert 300 < coords.haversine_m(121.4953, 31.2418, g_lng, g_lat) < 700


def test_outside_china_is_unchanged():
    lng, lat = coords.wgs84_to_gcj02([2.35, -74.0], [48.85, 40.7])
    np.testing.assert_allclose(lng, [2.35, -74.0])
    np.testing.assert_allclose(lat, [48.85, 40.7])


def test_swapped_detection():
    result = coords.looks_swapped([31.23, 121.47, 500.0], [121.47, 31.23, 31.0])
    assert result.tolist() == [True, False, False]


@pytest.mark.parametrize("label,expected", [
    ("高德", "GCJ02"), ("gcj-02", "GCJ02"), ("GCJ02", "GCJ02"), ("百度", "BD09"), ("bd09ll", "BD09"),
    ("WGS-84", "WGS84"), ("gps", "WGS84"), ("", None), ("火星2", None), (None, None),
])
def test_normalise_crs(label, expected):
    assert coords.normalise_crs(label) == expected


def test_to_wgs84_per_point_crs():
    w = (121.5, 31.2)
    g = coords.wgs84_to_gcj02(*w)
    b = coords.wgs84_to_bd09(*w)
    lng, lat = coords.to_wgs84([w[0], float(g[0]), float(b[0])], [w[1], float(g[1]), float(b[1])],
                               ["WGS84", "GCJ02", "BD09"])
    assert coords.haversine_m(lng, lat, w[0], w[1]).max() < 0.05


def test_to_wgs84_rejects_unknown_crs():
    with pytest.raises(ValueError, match="'crs' must be one of"):
        coords.to_wgs84([121.5], [31.2], "EPSG:3857")
