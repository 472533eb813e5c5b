"""The customer map withholds counts under k: tooltip, legend and the offline HTML (rendered, no browser)."""

import geopandas as gpd
import pandas as pd
import pytest
from maphtml import features, unescape
from shapely.geometry import box

from mapping.maps import choropleth
from mapping.maps.offline import standalone_html


def _layer() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"area_id": ["a", "b", "c", "d"], "area_name": ["甲区", "乙区", "丙区", "丁区"],
                             "adcode": ""},
                            geometry=[box(121.4 + i / 10, 31.1, 121.5 + i / 10, 31.2) for i in range(4)], crs=4326)


def _counts() -> pd.DataFrame:
    return pd.DataFrame({"area_id": ["a", "b", "c", "d"], "area_name": ["甲区", "乙区", "丙区", "丁区"],
                         "visits": [1234, 3, 57, 0], "high_intention": [600, 2, 21, 0],
                         "deals": [98, 1, 13, 0], "conversion": [98 / 1234, 1 / 3, 13 / 57, 0.0]})


def _props(html: str) -> dict[str, dict]:
    return {f["properties"]["area_id"]: f["properties"] for f in features(html) if "visits" in f["properties"]}


def test_an_area_under_k_shows_no_count_in_the_tooltip():
    html = choropleth.visitor_choropleth(_layer(), _counts(), min_count=5).get_root().render()
    props = _props(html)
    assert (props["b"]["visits"], props["b"]["high_intention"], props["b"]["deals"]) == ("<5", "<5", "<5")
    assert props["b"]["conversion_text"] == "—" and props["b"]["fill"] == choropleth.HIDDEN_FILL
    assert props["c"]["visits"] == 57 and props["c"]["deals"] == 13 and props["c"]["conversion_text"] == "22.8%"
    assert props["d"]["visits"] == 0  # no visitor: nothing to withhold
    assert "33.3%" not in html  # 乙区's conversion (1 of 3) is nowhere on the page


def test_the_legend_names_the_withheld_areas_and_starts_its_classes_at_k():
    html = unescape(choropleth.visitor_choropleth(_layer(), _counts(), title="测试", min_count=5)
                    .get_root().render())
    assert "样本不足（少于 5 人，不显示人数）" in html
    assert "1 – " not in html  # no class from 1: areas under 5 are not in any class


def test_the_offline_html_download_withholds_the_same_counts():
    page = standalone_html(choropleth.visitor_choropleth(_layer(), _counts(), min_count=5))
    props = _props(page)
    assert props["b"]["visits"] == "<5" and props["a"]["visits"] == 1234
    assert '"visits": 3' not in page and '"deals": 1,' not in page


@pytest.mark.parametrize("k", [1, 0])
def test_without_a_minimum_every_count_is_shown(k):
    props = _props(choropleth.visitor_choropleth(_layer(), _counts(), min_count=k).get_root().render())
    assert props["b"]["visits"] == 3 and props["b"]["conversion_text"] == "33.3%"


def test_all_areas_under_k_still_draw():
    counts = _counts().assign(visits=[2, 3, 1, 0], high_intention=0, deals=0, conversion=0.0)
    html = choropleth.visitor_choropleth(_layer(), counts, min_count=5).get_root().render()
    assert {p["visits"] for p in _props(html).values()} == {"<5", 0}
