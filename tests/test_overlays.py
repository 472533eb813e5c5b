"""mapping.maps.overlays: heat map, clusters, site badges and hexagons on a make_map map."""

from __future__ import annotations

import json
import re

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from mapping.geo import hexgrid
from mapping.geo.boundaries import districts
from mapping.geo.coords import wgs84_to_gcj02
from mapping.maps.offline import DEFAULT_BASE_URL, find_external_assets, standalone_html
from mapping.maps.overlays import (
    COMPETITOR_COLOUR,
    PROJECT_COLOUR,
    add_clusters,
    add_heat,
    add_hexagons,
    add_sites,
    aggregate_points,
)
from mapping.maps.render import make_map

PT = (121.5012345, 31.2456789)  # WGS-84 (lng, lat)
SITES = [
    {"name": "金桥湾示范项目", "lng": 121.60, "lat": 31.27, "kind": "project"},
    {"name": "竞品<b>甲</b>", "lng": 121.55, "lat": 31.22, "kind": "competitor"},
    {"name": "没有坐标", "lng": None, "lat": None, "kind": "competitor"},
]
HEX_TOOLTIP = {"area_name": "区域", "visits": "到访", "high_intention": "高意向(A/B)", "deals": "成交",
               "conversion_text": "成交率"}


def payload_bytes(m: folium.Map) -> int:
    return len(m.get_root().render().encode())


def render(m: folium.Map) -> str:
    return m.get_root().render()


def gcj(lng: float, lat: float) -> tuple[float, float]:
    x, y = wgs84_to_gcj02(np.array([lng]), np.array([lat]))
    return round(float(x[0]), 5), round(float(y[0]), 5)


def cluster_rows(html: str) -> list[list]:
    return json.loads(re.search(r"var data = (\[.*?\]);\n", html, re.S).group(1))


def heat_rows(html: str) -> list[list]:
    return json.loads(re.search(r"L\.heatLayer\(\s*(\[.*?\]),\s*\{", html, re.S).group(1))


def hex_payload(html: str) -> dict:
    return json.loads(re.search(r'\}\)\((\{"ids":.*?\})\);\n', html, re.S).group(1))


def decode_ring(r: list[int]) -> np.ndarray:
    xy = np.cumsum(np.array(r, dtype=np.int64).reshape(-1, 2), axis=0) / 1e5
    return np.vstack([xy, xy[:1]])


def points(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lng = np.concatenate([np.full(n, 121.5), rng.uniform(121.3, 121.7, n)])
    lat = np.concatenate([np.full(n, 31.23), rng.uniform(31.1, 31.35, n)])
    return aggregate_points(lng, lat)


# --------------------------------------------------------------------------- aggregate_points


def test_aggregate_points_rounds_and_counts():
    lng = np.array([121.50049, 121.4996, 121.5004, 121.61, np.nan, 121.7])
    lat = np.array([31.20001, 31.2004, 31.19951, 31.3, 31.3, np.nan])
    labels = ["浦东", "徐汇", "徐汇", None, "x", "y"]
    df = aggregate_points(lng, lat, labels)
    assert list(df.columns) == ["lng", "lat", "count", "label"]
    assert df.to_dict("records") == [
        {"lng": 121.5, "lat": 31.2, "count": 3, "label": "徐汇"},
        {"lng": 121.61, "lat": 31.3, "count": 1, "label": ""},
    ]
    plain = aggregate_points(lng, lat)
    assert plain["label"].tolist() == ["", ""] and plain["count"].tolist() == [3, 1]
    coarse = aggregate_points(lng, lat, precision=1)
    assert coarse.to_dict("records") == [
        {"lng": 121.5, "lat": 31.2, "count": 3, "label": ""},
        {"lng": 121.6, "lat": 31.3, "count": 1, "label": ""},
    ]
    tie = aggregate_points([1.0, 1.0], [2.0, 2.0], ["乙", "甲"])
    assert tie["label"].tolist() == [min("乙", "甲")]  # ties: alphabetical
    assert aggregate_points([], []).empty
    with pytest.raises(ValueError):
        aggregate_points([1.0], [2.0], ["a", "b"])


def test_aggregate_points_many():
    rng = np.random.default_rng(1)
    lng, lat = rng.uniform(121.3, 121.7, 200_000), rng.uniform(31.1, 31.35, 200_000)
    df = aggregate_points(lng, lat, rng.choice(["居住", "工作"], lng.size))
    assert df["count"].sum() == lng.size
    assert not df.duplicated(["lng", "lat"]).any()
    assert df["count"].is_monotonic_decreasing


# --------------------------------------------------------------------------- clusters


def test_clusters_hide_small_counts():
    pts = pd.DataFrame({"lng": [121.5, 121.6, 121.7, 121.45], "lat": [31.2, 31.3, 31.25, 31.1],
                        "count": [12, 4, 5, 1], "label": ["张江", "小点", "", "个人"]})
    m = make_map(basemap="none")
    assert add_clusters(m, pts, "none", k=5) == (2, 2, 5)
    html = render(m)
    rows = cluster_rows(html)
    assert sorted(r[2] for r in rows) == [5, 12]
    assert [31.2, 121.5, 12, "张江"] in rows and [31.25, 121.7, 5, ""] in rows
    assert "121.6" not in html and "121.45" not in html and "小点" not in html and "个人" not in html
    assert "L.circleMarker(" in html and "count: n" in html
    assert "L.marker(" not in html and "AwesomeMarkers" not in html  # no image marker per point
    # cluster bubbles sum the people, not the markers
    assert "options.count" in html and "getAllChildMarkers" in html
    assert '" 人"' in html
    assert find_external_assets(html) == []
    assert f"{DEFAULT_BASE_URL}/leaflet-markercluster/leaflet.markercluster.js" in html


def test_clusters_default_k_and_layer_name():
    m = make_map(basemap="none")
    pts = points()
    drawn, hidden, people = add_clusters(m, pts, "none")
    assert drawn == int((pts["count"] >= 5).sum()) and drawn >= 1
    assert hidden + drawn == len(pts) and people == int(pts.loc[pts["count"] < 5, "count"].sum())
    groups = [c for c in m._children.values() if isinstance(c, folium.FeatureGroup)]
    assert [g.layer_name for g in groups] == ["客户聚集点"]


def test_cluster_labels_are_escaped():
    m = make_map(basemap="none")
    pts = pd.DataFrame({"lng": [121.5], "lat": [31.2], "count": [9], "label": ['<img src=x onerror="a()">']})
    add_clusters(m, pts, "none")
    html = render(m)
    assert "<img src=x" not in html
    assert cluster_rows(html)[0][3] == "&lt;img src=x onerror=&quot;a()&quot;&gt;"


# --------------------------------------------------------------------------- coordinates


@pytest.mark.parametrize("basemap", ["none", "osm", "light", "gaode"])
def test_gcj_shift_only_for_gaode(basemap):
    pts = pd.DataFrame({"lng": [PT[0]], "lat": [PT[1]], "count": [7], "label": [""]})
    m = make_map(basemap=basemap)
    add_clusters(m, pts, basemap)
    add_heat(m, pts, basemap)
    add_sites(m, [{"name": "本项目", "lng": PT[0], "lat": PT[1], "kind": "project"}], basemap)
    layer = hexgrid.hex_layer(hexgrid.cells_for_points([PT[0]], [PT[1]], 9))
    add_hexagons(m, layer, pd.Series(dtype=str), {"area_name": "区域"}, basemap)
    html = render(m)
    wgs = (round(PT[0], 5), round(PT[1], 5))
    shifted = gcj(*PT) if basemap == "gaode" else wgs
    assert shifted != gcj(*PT) or basemap == "gaode"
    expected = [shifted[1], shifted[0]]
    assert cluster_rows(html)[0][:2] == expected
    assert heat_rows(html)[0][:2] == expected
    assert f"[{shifted[1]}, {shifted[0]}]" in html  # the site marker
    other = gcj(*PT) if basemap != "gaode" else wgs
    assert f"{other[1]}, {other[0]}" not in html and str(other[0]) not in html
    ring = decode_ring(hex_payload(html)["geom"][0][0][0])
    original = np.asarray(layer.geometry.iloc[0].exterior.coords)
    if basemap == "gaode":
        x, y = wgs84_to_gcj02(original[:, 0], original[:, 1])
        original = np.column_stack([x, y])
    assert np.allclose(ring, np.round(original, 5), atol=1e-9)


# --------------------------------------------------------------------------- heat


def test_heat_layer_uses_vendored_script():
    m = make_map(basemap="osm")
    group = add_heat(m, points(), "osm")
    assert group.layer_name == "热力图"
    html = render(m)
    assert "L.heatLayer(" in html
    assert f'<script src="{DEFAULT_BASE_URL}/folium/leaflet_heat.min.js"></script>' in html
    assert "cdn.jsdelivr" not in html and "python-visualization" not in html
    assert find_external_assets(html) == []
    rows = heat_rows(html)
    assert max(r[2] for r in rows) == 400  # count is the weight
    assert all(len(str(v).split(".")[-1]) <= 5 for r in rows for v in r[:2])
    assert '"radius": 18' in html
    # the heat canvas lets hovers through to hexagons/areas below, once per map
    add_heat(m, points(seed=2), "osm", name="热力图2")
    assert render(m).count(".leaflet-heatmap-layer { pointer-events: none; }") == 1
    page = standalone_html(m)
    assert "/* folium/leaflet_heat.min.js */" in page and find_external_assets(page) == []


def test_heat_min_count_and_custom_base_url():
    m = make_map(basemap="none", asset_base_url="/x/app/static/vendor")
    pts = pd.DataFrame({"lng": [121.5, 121.6], "lat": [31.2, 31.3], "count": [9, 2], "label": ["", ""]})
    add_heat(m, pts, "none", name="热力", min_count=5)
    html = render(m)
    assert heat_rows(html) == [[31.2, 121.5, 9.0]]
    assert '<script src="/x/app/static/vendor/folium/leaflet_heat.min.js"></script>' in html


# --------------------------------------------------------------------------- sites


def _icons(html: str) -> list[str]:
    """The html of every DivIcon, decoded from its JSON."""
    return [json.loads(f'"{h}"') for h in re.findall(r'"html": "((?:[^"\\]|\\.)*)"', html)]


def test_site_badges():
    m = make_map(basemap="none")
    group = add_sites(m, SITES, "none")
    assert group.layer_name == "项目与竞品"
    html = render(m)
    assert html.count("L.divIcon(") == 2 and html.count("L.marker(") == 2
    project, competitor = _icons(html)
    assert "★" in project and "金桥湾示范项目" in project  # the project: a star and its name beside it
    assert PROJECT_COLOUR in project and COMPETITOR_COLOUR in competitor
    assert "tuoke-site-project" in project and "tuoke-site-competitor" in competitor
    # the name is small, offset from the mark and lets clicks through to the area under it
    label = re.search(r'<span class="tuoke-site-label[^"]*" style="([^"]*)"', project).group(1)
    assert "pointer-events:none" in label and "left:12px" in label and "11px" in label
    assert "tuoke-site-label" not in competitor and "甲" not in competitor  # competitors: name on hover
    assert "<b>" not in html and "竞品&lt;b&gt;甲&lt;/b&gt;" in html  # the tooltip, escaped
    assert "没有坐标" not in html
    assert "<img" not in html and ".png" not in html.split("leaflet/images/")[-1]
    assert "[31.27, 121.6]" in html and "[31.22, 121.55]" in html
    with pytest.raises(ValueError, match="未知的地点类型"):
        add_sites(make_map(), [{"name": "x", "lng": 121.5, "lat": 31.2, "kind": "shop"}], "none")


def test_site_names_cannot_break_the_tooltip_script():
    m = make_map(basemap="none")
    add_sites(m, [{"name": "a`${alert(1)}\\u", "lng": 121.5, "lat": 31.2, "kind": "competitor"}], "none")
    html = render(m)
    assert "${alert" not in html and "a`" not in html and "\\u\n" not in html


# --------------------------------------------------------------------------- hexagons


def shanghai_hexagons(res: int = 8) -> gpd.GeoDataFrame:
    layer = hexgrid.hex_layer(hexgrid.cells_in_polygons(districts(), res))
    rng = np.random.default_rng(res)
    layer["visits"] = rng.integers(0, 500, len(layer))
    layer["high_intention"] = layer["visits"] // 3
    layer["deals"] = layer["visits"] // 12
    layer["conversion_text"] = (layer["deals"] / layer["visits"].clip(lower=1) * 100).round(1).astype(str) + "%"
    return layer


def test_hexagons_tooltip_fills_and_layer():
    layer = shanghai_hexagons(7)
    fills = pd.Series(np.where(layer["visits"] > 250, "#f16913", "#fdd0a2"), index=layer["area_id"]).iloc[:-3]
    m = make_map(basemap="none")
    group = add_hexagons(m, layer, fills, HEX_TOOLTIP, "none")
    assert group.layer_name == "六边形网格"
    html = render(m)
    data = hex_payload(html)
    assert data["ids"] == layer["area_id"].tolist()
    assert set(data["props"]) == set(HEX_TOOLTIP)
    assert data["props"]["visits"] == layer["visits"].tolist()
    colours = [data["palette"][i] for i in data["fill"]]
    assert colours[:-3] == fills.tolist() and colours[-3:] == ["#eeeeee"] * 3
    assert "bindTooltip" in html and "高意向(A/B)" in html and "成交率" in html
    assert "L.geoJson(" in html and "adcode" not in json.dumps(data)
    assert find_external_assets(html) == []


def test_hexagons_multipolygon_and_missing_values():
    a = shapely.box(121.40, 31.20, 121.41, 31.21)
    b = shapely.Polygon(shapely.box(121.50, 31.20, 121.52, 31.22).exterior.coords,
                        [shapely.box(121.505, 31.205, 121.51, 31.21).exterior.coords])
    gdf = gpd.GeoDataFrame({"area_id": ["m", "p"], "area_name": ["多块", "有洞"], "visits": [np.nan, 3]},
                           geometry=[shapely.MultiPolygon([a, shapely.box(121.42, 31.2, 121.43, 31.21)]), b],
                           crs=4326)
    m = make_map(basemap="none")
    add_hexagons(m, gdf, pd.Series({"p": "#f16913"}), {"area_name": "区域", "visits": "到访"}, "none")
    data = hex_payload(render(m))
    assert data["props"]["visits"] == [None, 3.0]
    assert len(data["geom"][0]) == 2 and len(data["geom"][1]) == 1  # two polygons; one
    assert len(data["geom"][1][0]) == 2  # ... with a hole
    assert np.allclose(decode_ring(data["geom"][1][0][1]), np.asarray(b.interiors[0].coords))
    with pytest.raises(ValueError, match="缺少列"):
        add_hexagons(make_map(), gdf, pd.Series(dtype=str), {"deals": "成交"}, "none")


def test_whole_shanghai_res8_payload_under_5mb():
    layer = shanghai_hexagons(8)
    assert len(layer) > 8_000
    palette = np.array(["#fff5eb", "#fdd0a2", "#fdae6b", "#f16913", "#d94801"])
    fills = pd.Series(palette[layer["visits"].to_numpy() // 100], index=layer["area_id"])
    for basemap in ("none", "gaode"):
        m = make_map(basemap=basemap)
        add_hexagons(m, layer, fills, HEX_TOOLTIP, basemap)
        folium.LayerControl().add_to(m)
        size = payload_bytes(m)
        assert size < 5_000_000, f"{basemap}: {size / 1e6:.1f} MB for {len(layer)} cells"


def test_all_layers_together_with_layer_control():
    m = make_map(basemap="gaode")
    pts = points()
    add_heat(m, pts, "gaode")
    add_clusters(m, pts, "gaode")
    add_sites(m, SITES, "gaode")
    add_hexagons(m, shanghai_hexagons(7), pd.Series(dtype=str), {"area_name": "区域"}, "gaode")
    folium.LayerControl().add_to(m)
    names = [c.layer_name for c in m._children.values() if isinstance(c, folium.FeatureGroup)]
    assert names == ["热力图", "客户聚集点", "项目与竞品", "六边形网格"]
    html = render(m)
    assert find_external_assets(html) == []
    for name in names:
        assert json.dumps(name) in html  # LayerControl entry (JSON-escaped)
    page = standalone_html(m)
    assert find_external_assets(page) == []


def test_st_folium_gets_local_heat_and_cluster_scripts(monkeypatch):
    sf = pytest.importorskip("streamlit_folium")
    captured: dict = {}
    monkeypatch.setattr(sf, "_component_func", lambda **kw: captured.update(kw) or kw["default"])
    m = make_map(basemap="none")
    pts = points()
    add_heat(m, pts, "none")
    add_clusters(m, pts, "none")
    add_hexagons(m, shanghai_hexagons(7), pd.Series(dtype=str), {"area_name": "区域"}, "none")
    sf.st_folium(m, key="overlays", returned_objects=[])
    links = captured["js_links"] + captured["css_links"]
    assert all(u.startswith(DEFAULT_BASE_URL + "/") for u in links), links
    assert f"{DEFAULT_BASE_URL}/folium/leaflet_heat.min.js" in captured["js_links"]
    assert f"{DEFAULT_BASE_URL}/leaflet-markercluster/leaflet.markercluster.js" in captured["js_links"]
    assert "pointer-events: none" in captured["header"]
    assert "L.heatLayer(" in captured["script"] and '({"ids":' in captured["script"]
