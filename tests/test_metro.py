"""A project's city and its metropolitan scope: which neighbouring cities a map draws, the city proposed
from the data, and moving a project to another city (every location resolved again)."""

import io

import pandas as pd
import pytest

from mapping import importer
from mapping.analysis import metro
from mapping.ingest.tables import auto_map, read_table, validate

HEADERS = ["客户编号", "到访日期", "意向业态", "居住区域", "工作区域", "居住经度", "居住纬度", "坐标系"]


def test_scope_adds_neighbours_that_send_enough_visitors_most_first():
    counts = {"320583": 400, "310114": 150, "310115": 60, "330402": 3, "110105": 90}
    # 上海 (310114 嘉定, 310115 浦东) sends 210, 嘉兴 only 3 (< k); 北京 is not a neighbour of 苏州
    assert metro.scope("320500", counts, min_count=5, neighbours=("310000", "330400")) == ("320500", "310000")
    assert metro.scope("320500", counts, min_count=5, neighbours=()) == ("320500",)


def test_scope_leaves_out_a_neighbour_below_the_share():
    counts = {"310115": 10_000, "320583": 100}  # 1 % of the located ones: a stray few, not a market
    assert metro.scope("310000", counts, min_count=5) == ("310000",)
    assert metro.scope("310000", {**counts, "320583": 400}, min_count=5) == ("310000", "320500")


def test_scope_of_a_beijing_project_uses_real_adjacency():
    # 燕郊 is in 三河市 (廊坊 131000), which borders Beijing
    assert metro.scope("110000", {"110105": 500, "131082": 300}, min_count=5) == ("110000", "131000")
    assert metro.scope("131000", {"131082": 200, "110105": 500, "110112": 300}, min_count=5) == ("131000", "110000")


@pytest.mark.parametrize("city, counts, expected", [
    ("310000", {"510104": 60, "510107": 35, "310115": 5}, ("510100", 0.95)),
    ("131000", {"110105": 70, "131082": 30}, None),  # 燕郊: mostly Beijing buyers, but a local market too
    ("510100", {"510104": 60, "310115": 40}, None),  # already right
    ("310000", {"510104": 40, "310115": 35, "440106": 25}, None),  # no city holds half
    ("310000", {"510104": 15}, None),  # too few to say
])
def test_proposed_city(city, counts, expected):
    assert metro.proposed_city(city, counts) == expected


def _result(rows, secret):
    buf = io.StringIO()
    pd.DataFrame(rows, columns=HEADERS).to_csv(buf, index=False)
    table = read_table(buf.getvalue().encode("utf-8-sig"), "v.csv")
    return validate(table, auto_map(table.frame.columns), secret=secret)


CHENGDU_ROWS = [
    [f"C{i}", "2024-03-05", "公寓", home, work, lng, lat, crs]
    for i, (home, work, lng, lat, crs) in enumerate([
        ("四川省成都市武侯区", "锦江区", "", "", ""),
        ("成都市锦江区", "成都市高新区", "", "", ""),
        ("成都市青羊区", "金牛区", "", "", ""),
        ("", "成华区", "104.0632", "30.6598", "WGS84"),  # 天府广场 (WGS-84), a coordinate
        ("成都市郫都区", "武侯区", "", "", ""),
    ] * 6)
]


def test_moving_a_project_to_its_real_city_resolves_every_location_again(store):
    pid = store.create_project("建错城市的项目", "310000", None, ["公寓"])
    importer.import_records(store, pid, _result(CHENGDU_ROWS, store.pii_secret()), "v.csv", "0" * 64)
    before = store.data_version(pid)
    counts = store.adcode_counts(pid)
    assert metro.proposed_city("310000", counts) == ("510100", 1.0)
    locations = store.locations(pid)
    assert locations.loc[locations["adcode"] != "", "outside"].all()  # in a Shanghai project, all are outside

    store.update_project(pid, city_adcode="510100")
    done = importer.relocate(store, pid, chunk_rows=7)  # several chunks
    assert done == len(CHENGDU_ROWS)
    assert store.data_version(pid) != before
    after = store.locations(pid)
    assert len(after) == len(locations)  # every dimension of every visitor, nothing lost or doubled
    placed = after[after["adcode"] != ""]
    assert not placed["outside"].any()
    assert set(placed["adcode"].str[:4]) == {"5101"}
    assert metro.proposed_city("510100", store.adcode_counts(pid)) is None
    # the coordinate of 天府广场 is in 青羊区
    point = after[(after["dimension"] == "home") & after["lng"].notna()]
    assert set(point["adcode"]) == {"510105"}
