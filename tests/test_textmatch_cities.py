"""The text resolver for a project in any city: its landmarks, its neighbours' towns and
landmarks (from polygon adjacency), exact landmarks before towns of a similar name, and
coordinates anywhere in China."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from mapping import schema as S
from mapping.geo import boundaries, coords
from mapping.place import accuracy
from mapping.place import gazetteer as G
from mapping.place import geocode as GC
from mapping.place import textmatch as T
from mapping.place.placetext import normalise
from mapping.place.resolve import (
    METHOD_POINT,
    METHOD_POINT_OUTSIDE,
    resolve_points,
    resolve_records,
    resolve_texts,
)

LANDMARK_HEADER = ["name", "aliases", "type", "adcode", "district", "bankuai", "lng", "lat", "ambiguous_adcodes",
                   "source", "confidence"]


def _clear_caches() -> None:
    G.index.cache_clear()
    G.version.cache_clear()
    T._local_keys.cache_clear()


@pytest.fixture
def landmarks(tmp_path, monkeypatch):
    """A landmarks folder of its own: ``write(city, rows)`` writes ``<city>.csv`` there.

    Each row is (name, aliases, adcode, lng, lat, ambiguous_adcodes).  The index is built
    afresh (no disk cache) and the in-memory caches are emptied before and after.
    """
    monkeypatch.setattr(G, "LANDMARKS", tmp_path)
    monkeypatch.setenv("TUOKE_GAZETTEER_CACHE", "0")
    names = G.index("310000").district_names
    _clear_caches()

    def write(city: str, rows: list[tuple[str, str, str, float, float, str]]) -> None:
        with open(tmp_path / f"{city}.csv", "w", encoding="utf-8", newline="") as f:
            out = csv.writer(f)
            out.writerow(LANDMARK_HEADER)
            for name, aliases, adcode, lng, lat, ambiguous in rows:
                out.writerow([name, aliases, "商圈", adcode, names[adcode], "", f"{lng:.5f}", f"{lat:.5f}", ambiguous,
                              "test row written by the test itself", "high"])
        _clear_caches()

    yield write
    _clear_caches()


def _one(text: str, city: str) -> dict:
    return resolve_texts([text], city=city).iloc[0].to_dict()


# --------------------------------------------------------------------------- neighbours from adjacency
def test_hand_kept_neighbours_are_gone():
    assert not hasattr(G, "NEIGHBOURS")
    for city in ("310000", "320500", "110000", "440100"):
        assert G.index(city).neighbours == boundaries.neighbours(city)
        assert G.index(city).neighbours  # every one of these cities has land neighbours


@pytest.mark.parametrize("city,text,adcode,town_code", [
    ("320500", "安亭", "310114", "310114103"),  # a 昆山 buyer working in Shanghai's 嘉定
    ("110000", "燕郊", "131082", "131082109"),  # 三河市 (廊坊), just east of Beijing
    ("310000", "花桥", "320583", "320583104"),
    ("310000", "洋山", "330922", "330922102"),  # 舟山: found by adjacency, not in the old hand-kept list
    ("440300", "凤岗", "441900", "441900117"),  # 东莞, a city without districts
    ("440100", "桂城", "440605", "440605011"),  # 佛山 南海区
    ("420100", "葛店", "420703", "420703101"),  # 鄂州 华容区
])
def test_neighbouring_city_towns_resolve_for_any_project(city, text, adcode, town_code):
    row = _one(text, city)
    assert (row["adcode"], row["town_code"], row["outside"]) == (adcode, town_code, True)
    assert row["level"] in ("town", "poi")  # 安亭 is also a Shanghai landmark: its point, the town's code
    assert T.resolve_one(normalise(text), city).neighbour


def test_towns_of_far_cities_stay_out_of_the_index():
    """Only the city and its neighbours are read: 安亭 means nothing bare in a Chengdu project."""
    assert _one("安亭", "510100")["adcode"] == ""
    assert "安亭" not in G.index("510100").names


def test_a_name_shared_by_two_neighbours_is_ambiguous_with_both():
    # 许村镇 in 海宁 (嘉兴) and in 歙县 (黄山): both border Hangzhou.
    row = _one("许村", "330100")
    assert (row["adcode"], row["method"]) == ("", T.M_AMBIGUOUS)
    assert set(row["candidates"].split("|")) == {"330481", "341021"}


def test_neighbour_flag_only_for_neighbours():
    near = T.resolve_one("江苏昆山花桥", "310000")
    far = T.resolve_one("黑龙江双鸭山宝山区", "310000")
    assert near.outside and near.neighbour
    assert far.outside and not far.neighbour


# --------------------------------------------------------------------------- landmarks of every city
def test_shanghai_landmarks_resolve_as_a_neighbour_for_a_suzhou_project():
    row = _one("虹桥火车站", "320500")
    assert (row["adcode"], row["method"], row["level"], row["outside"]) == ("310112", T.M_LANDMARK, "poi", True)
    assert T.resolve_one("虹桥火车站", "320500").neighbour
    assert _one("虹桥火车站", "510100")["adcode"] == ""  # Chengdu does not border Shanghai


def test_a_city_landmark_file_is_read(landmarks):
    assert _one("远洋太古里", "510100")["adcode"] == ""
    landmarks("510100", [("远洋太古里", "太古里", "510104", 104.0830, 30.6540, "")])
    for text in ("远洋太古里", "太古里", "成都市太古里"):
        row = _one(text, "510100")
        assert (row["adcode"], row["method"], row["level"], row["outside"]) == ("510104", T.M_LANDMARK, "poi", False)
        assert row["lng"] == pytest.approx(104.0830)
    table = G.landmark_table("510100")  # the review page's picker
    assert table.to_dict("records") == [{"name": "远洋太古里", "type": "商圈", "adcode": "510104", "district": "锦江区",
                                         "lng": 104.083, "lat": 30.654}]


def test_neighbour_landmark_file_is_read(landmarks):
    landmarks("320500", [("观前街", "观前", "320508", 120.6270, 31.3110, "")])
    row = _one("观前街", "310000")
    assert (row["adcode"], row["method"], row["outside"]) == ("320508", T.M_LANDMARK, True)
    assert T.resolve_one("观前街", "310000").neighbour
    assert _one("观前街", "110000")["adcode"] == ""  # Beijing does not border Suzhou


def test_a_city_without_a_file_has_no_landmarks(landmarks):
    assert G.landmark_file("510100") is None and G.landmark_table("510100").empty
    assert not [e for entries in G.index("510100").names.values() for e in entries
                if e.kind == G.LANDMARK and e.adcode.startswith("51")]


def test_landmark_shared_by_districts_is_ambiguous_with_candidates(landmarks):
    landmarks("110000", [("万达广场", "", "110105", 116.4740, 39.9080, "110106|110115")])
    row = _one("万达广场", "110000")
    assert (row["adcode"], row["method"]) == ("", T.M_AMBIGUOUS)
    assert set(row["candidates"].split("|")) == {"110105", "110106", "110115"}
    named = _one("丰台区万达广场", "110000")  # a named district says which
    assert (named["adcode"], named["method"]) == ("110106", T.M_LANDMARK)


def test_cache_key_changes_when_any_landmark_file_changes(landmarks):
    before = G._cache_key("310000")
    landmarks("610100", [("钟楼", "", "610102", 108.9470, 34.2610, "")])  # not even a neighbour of Shanghai
    added = G._cache_key("310000")
    landmarks("610100", [("钟楼", "西安钟楼", "610102", 108.9470, 34.2610, "")])
    assert len({before, added, G._cache_key("310000")}) == 3


# --------------------------------------------------------------------------- exact landmark first
def test_exact_landmark_beats_a_town_of_a_similar_name(landmarks):
    # 珠江街道 (南沙) has the short name 珠江; 珠江新城 is Guangzhou's CBD in 天河.
    landmarks("440100", [("珠江新城", "珠江新城CBD", "440106", 113.3245, 23.1195, "")])
    for text in ("珠江新城", "天河区珠江新城", "广州珠江新城", "珠江新城cbd", "珠江新城花城大道18号"):
        row = _one(text, "440100")
        assert (row["adcode"], row["method"]) == ("440106", T.M_LANDMARK), text
    assert _one("珠江街道", "440100")["adcode"] == "440115"  # the town itself still resolves


# --------------------------------------------------------------------------- addresses in other cities
@pytest.mark.parametrize("text", ["武侯区天府大道北段1700号", "武侯区天府三街", "成都市武侯区天府二街138号"])
def test_a_road_named_after_a_town_is_not_the_town(landmarks, text):
    """天府大道 and 天府三街 are roads: not 天府街道 of another district (no landmark file here)."""
    assert T._is_road(normalise(text), normalise(text).index("天府") + 2)
    row = _one(text, "510100")
    assert (row["adcode"], row["method"]) == ("510107", T.M_DISTRICT)


@pytest.mark.parametrize("text,end,road", [
    ("北京东路", 2, True), ("天府大道", 2, True), ("中关村大街", 3, True), ("长江二路", 2, True), ("中山北一路", 2, True),
    ("二环路", 1, True), ("北京五道口", 2, False), ("松江九亭", 2, False), ("浦东金桥", 2, False), ("天府", 2, False),
    ("奉贤南桥路", 2, False), ("崇明八一路", 2, False), ("建国门外大街", 3, True),
])
def test_is_road(text, end, road):
    assert T._is_road(text, end) is road


def test_a_province_followed_by_one_of_its_places_is_the_province():
    # 河北 is also 河北镇 in Beijing's 房山; 燕郊 is in Hebei.
    row = _one("河北燕郊", "110000")
    assert (row["adcode"], row["outside"]) == ("131082", True)
    assert _one("河北镇", "110000")["adcode"] == "110111"  # the town by its full name is still the town


@pytest.mark.parametrize("city,text,candidates", [
    ("440300", "大朗", {"441900", "440309"}),  # 大朗镇 of 东莞, or 龙华's 大浪 typed by ear
    ("310000", "辛庄", {"320581", "310112"}),  # 辛庄镇 of 常熟, or 闵行's 莘庄 typed by ear
])
def test_neighbour_town_or_local_homophone_is_asked(city, text, candidates):
    row = _one(text, city)
    assert (row["adcode"], row["method"]) == ("", T.M_AMBIGUOUS)
    assert set(row["candidates"].split("|")) == candidates


@pytest.mark.parametrize("city,text,code", [("110000", "天津", "120100"), ("510100", "重庆", "500100"),
                                           ("330100", "上海", "310100"), ("440100", "深圳", "440300")])
def test_another_city_alone_gets_its_city_code(city, text, code):
    """A city named alone gets its city row; 重庆 (two city rows, 500100 and 500200) is one place, not two."""
    row = _one(text, city)
    assert (row["adcode"], row["level"], row["method"], row["outside"]) == (code, "city", T.M_CITY, True)


def test_a_short_name_outside_the_named_city_is_not_taken(landmarks):
    # 北站 is Shanghai's 北站街道 by its short name; 苏州北站 is a station in Suzhou.
    row = _one("苏州北站", "320500")
    assert row["adcode"] == "" and row["level"] == "city"
    assert _one("上海北站街道", "320500")["adcode"] == "310106"  # the town written out, in its own city
    landmarks("320500", [("苏州北站", "", "320507", 120.6420, 31.4190, "")])
    assert _one("苏州北站", "320500")["adcode"] == "320507"  # once the station is known, it is the station


def test_a_bare_short_name_is_the_district_not_a_town(landmarks):
    # 白云 is 白云区, and also the short name of 越秀's 白云街道.
    assert _one("白云", "440100")["adcode"] == "440111"
    assert _one("白云街道", "440100")["adcode"] == "440104"


def test_a_landmark_used_as_a_road_name_is_the_road(landmarks):
    # 天目山路 runs through 西湖区; 天目山 itself is in 临安.
    landmarks("330100", [("天目山", "", "330112", 119.4400, 30.3500, "")])
    assert _one("天目山", "330100")["adcode"] == "330112"
    row = _one("杭州市西湖区天目山路", "330100")
    assert (row["adcode"], row["method"]) == ("330106", T.M_DISTRICT)


def test_a_name_emptied_by_the_road_rule_still_covers_its_characters():
    # 陆家嘴 before 环路 is the road's name; 陆家 (陆家镇 of 昆山) inside it is no place of its own.
    gaz = G.index("310000")
    assert [normalise("上海市浦东新区陆家嘴环路1000号")[i:j] for i, j, _ in T._matches("上海市浦东新区陆家嘴环路1000号", gaz)] \
        == ["上海市", "浦东新区"]
    assert _one("上海市浦东新区陆家嘴环路1000号", "310000")["adcode"] == "310115"


def test_a_full_district_name_before_a_ring_road_is_the_district():
    assert _one("金牛区一环路北三段", "510100")["adcode"] == "510106"


@pytest.mark.parametrize("text,adcode", [
    ("浦东金桥路", "310115"),  # the road name 浦东金桥 is made of 浦东 and 金桥: 浦东 still counts
    ("奉贤南桥路", "310120"),  # 南桥 is the road's name, 奉贤 the district (南 + 桥 is no road after 奉贤)
    ("崇明八一路", "310151"),  # 八一路 is a road's own name: 崇明 is the district
])
def test_the_district_before_a_road_named_after_a_place(text, adcode):
    row = _one(text, "310000")
    assert (row["adcode"], row["method"]) == (adcode, T.M_DISTRICT)


def test_a_neighbours_landmark_is_not_found_by_a_common_word(landmarks):
    landmarks("320500", [("城南", "城南街道", "320506", 120.6300, 31.2700, "")])
    assert _one("城南", "320500")["adcode"] == "320506"  # in its own city, it is the place
    assert _one("城南新苑", "310000")["adcode"] == ""  # in a Shanghai project, 城南 is only a word


@pytest.mark.parametrize("city,text,code", [("440100", "中山", "442000"), ("510100", "资阳", "512000")])
def test_a_neighbouring_city_beats_a_far_district_of_the_same_short_name(city, text, code):
    # 中山区 (大连) and 资阳区 (益阳) are far away; 中山市 and 资阳市 border the project's city.
    row = _one(text, city)
    assert (row["adcode"], row["outside"]) == (code, True)


def test_other_places_in_the_string_pick_the_district_of_an_ambiguous_landmark(landmarks):
    landmarks("440100", [("华南理工大学", "华工", "440106", 113.3440, 23.1530, "440113"),
                         ("新塘", "新塘镇", "440118", 113.6100, 23.1300, "440106")])
    assert _one("华南理工大学", "440100")["method"] == T.M_AMBIGUOUS
    row = _one("华南理工大学五山校区", "440100")  # 五山街道 is in 天河
    assert (row["adcode"], row["method"]) == ("440106", T.M_LANDMARK)
    assert _one("新塘镇", "440100")["adcode"] == "440118"  # the full name of 增城's town, not 天河's 新塘街道


def test_a_former_district_gives_way_to_the_place_it_names():
    # 江干区 was merged into 上城区 in 2021, but its east (下沙) went to the new 钱塘区.
    assert _one("江干区", "330100")["adcode"] == "330102"
    assert _one("江干下沙", "330100")["adcode"] == "330114"
    assert _one("上城区下沙", "330100")["method"] == T.M_CONFLICT  # a current district still has to agree


def test_a_town_full_name_outlives_a_redrawn_district():
    # 临平街道 was in 余杭区 until 临平区 was made of it in 2021.
    row = _one("余杭区临平街道", "330100")
    assert (row["adcode"], row["method"]) == ("330113", T.M_TOWN)
    assert row["confidence"] < T.CONF_FULL_NAME
    assert _one("昆山市安亭镇", "320500")["method"] == T.M_CONFLICT  # nor a district of another city


@pytest.mark.parametrize("city,text", [("420100", "火车站附近"), ("420100", "光谷广场"), ("420100", "新城"),
                                       ("110000", "万科城市花园")])
def test_generic_words_are_no_town(landmarks, city, text):
    """火车站街道, 广场街道 (孝感), 花园乡 (张家口) exist; 火车站, 广场 or 花园 in a name is no town."""
    row = _one(text, city)
    assert row["method"] != T.M_TOWN and row["adcode"] == ""


# --------------------------------------------------------------------------- coordinates anywhere in China
POINTS = {  # WGS-84
    "成都 春熙路": (104.0813, 30.6556, "510104", "锦江区"),
    "成都 武侯祠": (104.0477, 30.6464, "510107", "武侯区"),
    "深圳 市民中心": (114.0596, 22.5431, "440304", "福田区"),
    "北京 天安门": (116.3975, 39.9087, "110101", "东城区"),
    "广州 广州塔": (113.3245, 23.1064, "440105", "海珠区"),
}


def test_points_anywhere_in_china_get_their_district():
    lng, lat, codes, names = zip(*POINTS.values())
    out = resolve_points(lng, lat)
    assert out["adcode"].tolist() == list(codes)
    assert out["district"].tolist() == list(names)  # national names, not only Shanghai's
    assert (out["method"] == METHOD_POINT).all() and (out["level"] == "poi").all() and not out["outside"].any()


def test_a_gcj02_point_in_chengdu():
    w_lng, w_lat, code, _ = POINTS["成都 春熙路"]
    g_lng, g_lat = coords.wgs84_to_gcj02(w_lng, w_lat)
    out = resolve_points([float(g_lng)], [float(g_lat)], "GCJ02", city="510100").iloc[0]
    assert (out["adcode"], out["method"], out["outside"]) == (code, METHOD_POINT, False)
    assert out["lng"] == pytest.approx(w_lng, abs=1e-5)


def test_outside_means_outside_the_project_city():
    lng, lat, codes, _ = zip(*POINTS.values())
    out = resolve_points([*lng, 140.0], [*lat, 30.0], city="510100")  # the last one is at sea
    assert out["adcode"].tolist() == [*codes, ""]
    assert out["outside"].tolist() == [False, False, True, True, True, True]
    assert out["method"].tolist() == [METHOD_POINT] * 2 + [METHOD_POINT_OUTSIDE] * 4
    assert out["district"].iloc[2] == "福田区" and out["level"].iloc[2] == "poi"  # outside, but where is known
    assert out["level"].iloc[5] == "none"


def test_resolve_records_places_points_of_a_shenzhen_project():
    n = 2
    records = pd.DataFrame({S.COORD_SYSTEM: ["WGS84", "WGS84"]})
    for dim in S.DIMENSIONS:
        records[S.text_col(dim)] = ["", "福田区"] if dim == S.DIMENSIONS[0] else [""] * n
        records[S.lng_col(dim)] = [114.0596, np.nan] if dim == S.DIMENSIONS[0] else [116.3975, np.nan]
        records[S.lat_col(dim)] = [22.5431, np.nan] if dim == S.DIMENSIONS[0] else [39.9087, np.nan]
    out = resolve_records(records, city="440300")
    home = out[out["dimension"] == S.DIMENSIONS[0]].set_index("row")
    assert home["adcode"].tolist() == ["440304", "440304"]
    assert home["method"].tolist() == [METHOD_POINT, T.M_DISTRICT] and not home["outside"].any()
    work = out[out["dimension"] == S.DIMENSIONS[1]].set_index("row")
    assert (work.loc[0, "adcode"], work.loc[0, "outside"], work.loc[0, "method"]) == ("110101", True,
                                                                                      METHOD_POINT_OUTSIDE)


def test_geocoder_points_get_any_district_of_china():
    assert GC._district_of_point(104.0477, 30.6464) == ("510107", "武侯区")
    assert GC._district_of_point(140.0, 30.0) == ("", "")


def test_a_functional_zone_agrees_with_places_in_its_host_county(landmarks):
    # 苏州工业园区 (320576) has no polygon of its own: its host county is 吴中区 (320506).
    assert boundaries.host_district("320576") == "320506"
    landmarks("320500", [("星湖街", "", "320506", 120.7330, 31.2960, "")])
    row = _one("苏州工业园区星湖街328号", "320500")
    # the zone goes to its host polygon so it lands on the map, and says which zone it is
    assert (row["adcode"], row["method"], row["level"]) == ("320506", T.M_LANDMARK, "poi")
    assert row["district"] == "吴中区（苏州工业园区）"
    assert T.resolve_one("苏州工业园区星湖街328号", "320500").adcode == "320576"  # the text matcher keeps the zone
    assert row["lng"] == pytest.approx(120.7330)  # the landmark's point places it on a map
    assert _one("吴中区星湖街", "320500")["adcode"] == "320506"
    assert _one("姑苏区星湖街", "320500")["method"] == T.M_CONFLICT  # any other district still disagrees


def test_a_former_county_gives_way_to_the_place_it_names():
    # 武昌县 became 江夏区 (纸坊 is its seat); 武昌区 is another district.
    assert _one("原武昌县纸坊", "420100")["adcode"] == "420115"
    assert _one("武昌区纸坊", "420100")["method"] == T.M_CONFLICT  # today's 武昌区 has to agree
    assert _one("萧山市", "330100")["adcode"] == "330109"  # alone, the former name is still its district


def test_the_memo_tells_a_county_suffix_apart():
    """武昌县纸坊 and 武昌纸坊 match the same names; only the 县 makes 武昌 a former county."""
    gaz = G.index("420100")
    for order in (["武昌县纸坊", "武昌纸坊"], ["武昌纸坊", "武昌县纸坊"]):
        gaz.memo.clear()
        got = {text: T._scan(text, gaz, "420100").method for text in order}
        assert got == {"武昌县纸坊": T.M_LANDMARK, "武昌纸坊": T.M_CONFLICT}


def test_a_station_or_airport_by_its_kind(landmarks, tmp_path):
    """机场附近, 火车站: one of the city's own stations or airports, never a neighbour's."""
    def row(name, kind, adcode, ambiguous=""):
        return [name, "", kind, adcode, G.admin_names()[adcode], "", "104.00000", "30.60000", ambiguous, "test row", "high"]

    with open(tmp_path / "510100.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([LANDMARK_HEADER, row("双流机场", "机场", "510116"), row("天府机场", "机场", "510185"),
                                 row("成都东站", "火车站", "510108")])
    with open(tmp_path / "510600.csv", "w", encoding="utf-8", newline="") as f:  # 德阳, a neighbour
        csv.writer(f).writerows([LANDMARK_HEADER, row("德阳站", "火车站", "510603")])
    _clear_caches()
    airport = _one("机场附近", "510100")
    assert (airport["adcode"], airport["method"]) == ("", T.M_AMBIGUOUS)
    assert set(airport["candidates"].split("|")) == {"510116", "510185"}
    station = _one("高铁站", "510100")
    assert (station["adcode"], station["method"], station["level"]) == ("510108", T.M_LANDMARK, "poi")
    assert _one("火车站", "330100")["adcode"] == ""  # no file for 杭州 here: nothing to choose from
    assert [e.name for e in G.index("510100").by_type["火车站"]] == ["成都东站"]


def test_the_disk_cache_keeps_stations_and_neighbours(tmp_path, monkeypatch):
    monkeypatch.setattr(G, "CACHE_DIR", tmp_path)
    monkeypatch.delenv("TUOKE_GAZETTEER_CACHE", raising=False)
    built = G.build("310000")
    G._save_cached("310000", "key", built)
    loaded = G._load_cached("310000", "key")
    assert loaded.by_type == built.by_type and loaded.by_type["机场"]
    assert loaded.neighbours == built.neighbours == boundaries.neighbours("310000")


def test_a_landmark_named_after_its_city_without_the_city_name(landmarks):
    landmarks("320500", [("苏州高铁新城", "", "320507", 120.6358, 31.4171, ""),
                         ("苏州中心", "", "320506", 120.6700, 31.3150, "")])
    row = _one("高铁新城", "320500")
    assert (row["adcode"], row["method"]) == ("320507", T.M_LANDMARK)
    assert row["confidence"] < T.CONF_LANDMARK  # a shortened name, less sure than the full one
    assert _one("苏州高铁新城", "320500")["confidence"] == T.CONF_LANDMARK
    assert "中心" not in G.index("320500").names  # 苏州中心 without 苏州 is a common word
    assert _one("高铁新城", "310000")["adcode"] == ""  # only in the project's own city


@pytest.mark.parametrize("city", [c for c in accuracy.labelled_cities() if c != S.SHANGHAI])
def test_fast_scan_same_as_reference_in_other_cities(city):
    """The trie and the memo give what the plain scan gives, on another city's labelled strings."""
    texts = [normalise(t) for t in accuracy.load_city(city)["text"]]
    gaz = G.index(city)
    gaz.memo.clear()
    for text in [*texts, *texts]:  # the second round answers from the memo
        assert T._matches(text, gaz) == T._matches_reference(text, gaz), text
        assert T._scan(text, gaz, city) == T._scan_reference(text, gaz, city), text


def test_a_broken_landmark_file_is_skipped_with_a_warning(landmarks, tmp_path, caplog):
    landmarks("510100", [("远洋太古里", "太古里", "510104", 104.0830, 30.6540, "")])
    with open(tmp_path / "510100.csv", "a", encoding="utf-8", newline="") as f:
        csv.writer(f).writerow(["坏点", "", "商圈", "510104", "锦江区", "", "abc", "30.6", "", "test row", "low"])
    (tmp_path / "510600.csv").write_text("name,lng\n德阳站,104.4\n", encoding="utf-8")  # a neighbour's, wrong columns
    _clear_caches()
    with caplog.at_level("WARNING", logger="mapping.place.gazetteer"):
        assert _one("太古里", "510100")["adcode"] == "510104"  # the good rows still resolve
    assert "1 rows skipped" in caplog.text and "510600.csv skipped" in caplog.text
    assert "坏点" not in G.index("510100").names


def test_a_name_other_cities_have_too_is_not_a_neighbours_landmark(landmarks):
    # 印象城-like chains: a name in the files of two cities is no neighbour's landmark.
    landmarks("510100", [("测试印象城", "", "510108", 104.1030, 30.6580, "")])
    landmarks("320500", [("测试印象城", "", "320506", 120.6200, 31.2600, ""),
                         ("测试金鸡湖", "", "320506", 120.7000, 31.3100, "")])
    assert _one("测试印象城", "320500")["adcode"] == "320506"  # the project's own
    assert _one("测试印象城", "310000")["adcode"] == ""  # not Suzhou's, for a Shanghai project
    assert _one("测试金鸡湖", "310000")["adcode"] == "320506"  # a name only Suzhou has still is Suzhou's


def test_a_neighbours_town_name_before_a_common_word_is_asked():
    # 中山公园 in a Suzhou project: not Shanghai's 中山街道 (松江) and a park.
    row = _one("中山公园", "320500")
    assert row["adcode"] == "" and "310117" in row["candidates"]
    assert _one("花桥", "310000")["adcode"] == "320583"  # the town alone still is the town


def test_two_landmarks_in_two_districts_are_asked_unless_a_district_says(landmarks):
    landmarks("330100", [("中国美术学院", "中国美院", "330102", 120.1573, 30.2480, ""),
                         ("国美象山校区", "象山校区", "330106", 120.0765, 30.1490, "")])
    row = _one("中国美院象山校区", "330100")  # the academy (上城) and its campus (西湖)
    assert (row["adcode"], row["method"]) == ("", T.M_CONFLICT)
    assert set(row["candidates"].split("|")) == {"330102", "330106"}
    named = _one("西湖区中国美院象山校区", "330100")
    assert (named["adcode"], named["method"], named["lng"]) == ("330106", T.M_LANDMARK, pytest.approx(120.0765))
    assert _one("中国美院", "330100")["adcode"] == "330102"


def test_an_estate_named_after_two_landmarks_is_where_its_name_starts():
    """小区名 put the place first and the brand after: 碧云新天地家园 is an estate at 碧云 (浦东), not at
    新天地 (黄浦); the same two names outside an estate's name are still asked about."""
    estate = _one("碧云新天地家园", "310000")
    assert (estate["adcode"], estate["method"]) == ("310115", T.M_LANDMARK)
    assert _one("碧云新天地", "310000")["method"] == T.M_CONFLICT
    assert _one("碧云新天地家园", "310000")["adcode"] == "310115"  # answered again the same way (no stale memo)
