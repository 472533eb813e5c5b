"""The committed administrative-division tables under data/gazetteer/ (no network)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

GAZ = Path(__file__).resolve().parent.parent / "data" / "gazetteer"


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(GAZ / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def districts() -> pd.DataFrame:
    return _read("districts_cn.csv")


@pytest.fixture(scope="module")
def towns() -> pd.DataFrame:
    return _read("towns_cn.csv")


@pytest.fixture(scope="module")
def historic() -> pd.DataFrame:
    return _read("historic_names.csv")


SHANGHAI = {
    "310101": "黄浦区", "310104": "徐汇区", "310105": "长宁区", "310106": "静安区",
    "310107": "普陀区", "310109": "虹口区", "310110": "杨浦区", "310112": "闵行区",
    "310113": "宝山区", "310114": "嘉定区", "310115": "浦东新区", "310116": "金山区",
    "310117": "松江区", "310118": "青浦区", "310120": "奉贤区", "310151": "崇明区",
}

PUDONG_TOWNS = [
    "金桥镇", "张江镇", "川沙新镇", "高桥镇", "高行镇", "曹路镇", "唐镇", "北蔡镇", "三林镇",
    "周浦镇", "康桥镇", "惠南镇", "祝桥镇", "花木街道", "陆家嘴街道", "洋泾街道",
]


def test_files_load_with_expected_columns(districts, towns, historic):
    assert list(districts.columns) == [
        "adcode", "name", "short_name", "city_adcode", "city_name",
        "province_adcode", "province_name", "level", "nbs_only",
    ]
    assert list(towns.columns) == [
        "town_code", "name", "short_name", "adcode", "city_adcode", "province_adcode",
    ]
    assert list(historic.columns) == [
        "old_name", "old_code", "new_adcode", "new_name", "year", "note", "source",
    ]
    assert 3000 < len(districts) < 4000
    assert len(towns) > 38000
    assert set(districts.level) == {"province", "city", "district"}
    assert (districts.name != "").all() and (districts.short_name != "").all()
    assert (towns.name != "").all() and (towns.short_name != "").all()


def test_committed_data_stays_small():
    total = sum(p.stat().st_size for p in GAZ.iterdir() if p.suffix in {".csv", ".gz"})
    assert total < 3_200_000


def test_codes_unique_and_well_formed(districts, towns):
    assert districts.adcode.is_unique
    assert towns.town_code.is_unique
    assert districts.adcode.str.fullmatch(r"\d{6}").all()
    assert towns.town_code.str.fullmatch(r"\d{9}").all()
    assert (towns.town_code.str[:6] == towns.adcode).all()


def test_shanghai_has_its_16_districts(districts):
    sh = districts[(districts.province_adcode == "310000") & (districts.level == "district")]
    assert dict(zip(sh.adcode, sh.name)) == SHANGHAI
    assert set(sh.city_adcode) == {"310100"}
    assert set(sh.city_name) == {"上海市"}
    short = dict(zip(sh.adcode, sh.short_name))
    assert short["310115"] == "浦东" and short["310151"] == "崇明" and short["310104"] == "徐汇"
    city = districts.set_index("adcode").loc["310100"]
    assert city.level == "city" and city["name"] == "上海市"


def test_pudong_towns(towns):
    pd_towns = towns[towns.adcode == "310115"]
    by_name = dict(zip(pd_towns.name, pd_towns.town_code))
    missing = [n for n in PUDONG_TOWNS if n not in by_name]
    assert not missing
    for name in PUDONG_TOWNS:
        assert by_name[name].startswith("310115") and len(by_name[name]) == 9
    assert by_name["金桥镇"] == "310115120"
    short = dict(zip(pd_towns.name, pd_towns.short_name))
    assert short["金桥镇"] == "金桥"
    assert short["花木街道"] == "花木"
    assert short["川沙新镇"] == "川沙"
    assert short["唐镇"] == "唐镇"  # one character left: keep the full name
    assert set(pd_towns.city_adcode) == {"310100"} and set(pd_towns.province_adcode) == {"310000"}


def test_kunshan(districts):
    ks = districts.set_index("adcode").loc["320583"]
    assert ks["name"] == "昆山市" and ks.short_name == "昆山"
    assert ks.city_adcode == "320500" and ks.city_name == "苏州市"
    assert ks.province_adcode == "320000" and ks.province_name == "江苏省"
    assert ks.level == "district"


def test_hierarchy_is_consistent(districts, towns):
    known = set(districts.adcode)
    assert set(towns.adcode) <= known
    assert set(towns.city_adcode) <= known
    assert set(towns.province_adcode) <= known
    sub = districts[districts.level != "province"]
    assert set(sub.city_adcode) <= known
    assert set(sub.province_adcode) <= known
    assert (sub.city_adcode.str[:4] + "00" == sub.city_adcode).all()
    assert (sub.adcode.str[:4] + "00" == sub.city_adcode).all()
    assert (sub.adcode.str[:2] + "0000" == sub.province_adcode).all()
    city_names = districts[districts.level == "city"].set_index("adcode").name
    assert (sub.city_name == sub.city_adcode.map(city_names)).all()


def test_short_names(districts):
    by_name = districts.drop_duplicates("name", keep=False).set_index("name").short_name
    assert by_name["延边朝鲜族自治州"] == "延边"
    assert by_name["内蒙古自治区"] == "内蒙古"
    assert by_name["神农架林区"] == "神农架"
    assert by_name["万柏林区"] == "万柏林"
    assert by_name["长沙县"] == "长沙县"  # would shadow 长沙市
    assert by_name["忠县"] == "忠县"  # one character left
    assert (districts.short_name.str.len() >= 2).all()


def test_historic_names_point_at_current_units(districts, historic):
    names = districts.set_index("adcode").name
    assert historic.new_adcode.isin(names.index).all()
    assert (historic.new_adcode.map(names) == historic.new_name).all()
    assert historic.year.str.fullmatch(r"\d{4}").all()
    assert (historic.source != "").all()
    assert historic.old_code.str.fullmatch(r"(\d{6})?").all()
    assert not set(historic.old_code[historic.old_code != ""]) & set(names.index)
    old = historic.set_index("old_name")
    expected = {
        "闸北区": ("310106", "2015"), "卢湾区": ("310101", "2011"), "南汇区": ("310115", "2009"),
        "南市区": ("310101", "2000"), "崇明县": ("310151", "2016"), "川沙县": ("310115", None),
        "上海县": ("310112", "1992"), "吴淞区": ("310113", "1988"), "宝山县": ("310113", None),
        "嘉定县": ("310114", None), "松江县": ("310117", None), "青浦县": ("310118", None),
        "金山县": ("310116", None), "奉贤县": ("310120", None),
    }
    for name, (code, year) in expected.items():
        assert old.loc[name, "new_adcode"] == code, name
        if year:
            assert old.loc[name, "year"] == year, name
