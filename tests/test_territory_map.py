"""The territory map rendered to HTML: team colours, unassigned areas, escaped names, clicks on the Gaode basemap."""

import json
import re

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from mapping.geo.coords import wgs84_to_gcj02
from mapping.maps import territorymap as TMAP

SHAPES = gpd.GeoDataFrame({"area_id": ["a", "b", "c"], "area_name": ["金桥", "张江", "<img src=x onerror=alert(1)>"]},
                          geometry=[box(121.50, 31.20, 121.55, 31.25), box(121.55, 31.20, 121.60, 31.25),
                                    box(121.60, 31.20, 121.65, 31.25)], crs=4326)
TABLE = pd.DataFrame({"area_id": ["a", "b", "c"], "grade": ["A", "C", "B"],
                      "team_id": pd.array([7, 3, None], dtype="Int64"), "tactic": ["社区巡展", "定点派单", ""],
                      "target_visits": [40, 10, 0]})
TEAMS = pd.DataFrame({"id": [3, 7], "name": ["浦东组", "<script>x</script>队"]})


def features(html: str) -> list[dict]:
    """The properties of the territory layer's features, from the rendered page."""
    found = re.search(r'"features": (\[.*?\]), "type": "FeatureCollection"', html)
    return [f["properties"] for f in json.loads(found.group(1))]


def test_areas_take_their_team_colour_and_unassigned_ones_are_white():
    html = TMAP.territory_map(SHAPES, TABLE, TEAMS).get_root().render()
    props = {p["area_id"]: p for p in features(html)}
    colours = TMAP.team_colours([3, 7])  # by id: 3 first
    assert props["a"]["fill"] == colours[7] == TMAP.TEAM_PALETTE[1]
    assert props["b"]["fill"] == colours[3] == TMAP.TEAM_PALETTE[0]
    assert props["c"]["fill"] == TMAP.NO_TEAM_FILL and props["c"]["team"] == TMAP.NO_TEAM
    assert props["a"]["opacity"] > props["c"]["opacity"] > props["b"]["opacity"]  # A, then B, then C
    assert props["a"]["targets"] == "到访 40 人" and props["c"]["tactic"] == "—"


def test_user_text_is_escaped_in_tooltips_and_legend():
    html = TMAP.territory_map(SHAPES, TABLE, TEAMS).get_root().render()
    props = {p["area_id"]: p for p in features(html)}
    assert props["a"]["team"] == "&lt;script&gt;x&lt;/script&gt;队"
    assert props["c"]["area_name"] == "&lt;img src=x onerror=alert(1)&gt;"
    assert "<script>x</script>" not in html and "<img src=x" not in html


def test_a_deleted_team_is_named_as_such():
    html = TMAP.territory_map(SHAPES, TABLE.assign(team_id=pd.array([9, 3, None], dtype="Int64")), TEAMS
                              ).get_root().render()
    assert {p["area_id"]: p["team"] for p in features(html)}["a"] == "已删除的团队（编号 9）"


def test_a_click_finds_its_area_also_on_the_gaode_basemap():
    assert TMAP.area_at(SHAPES, 121.52, 31.22) == "a"
    assert TMAP.area_at(SHAPES, 121.70, 31.22) is None
    # a point just inside 张江's east edge: the Gaode map draws it ~450 m east (GCJ-02), where it is clicked
    lng, lat = wgs84_to_gcj02(121.5995, 31.22)
    assert TMAP.area_at(SHAPES, float(lng), float(lat), basemap="gaode") == "b"
    assert TMAP.area_at(SHAPES, float(lng), float(lat)) == "c"  # the same click read as WGS-84 is in the next area
