"""Checks of the curated Shanghai landmark gazetteer and the labelled place-text set.

* ``data/gazetteer/shanghai_landmarks.csv``: business areas, landmarks, stations…
  Every point must fall inside its stated district polygon and, in Pudong, inside
  its stated 板块 cell (``mapping.geo.boundaries.assign_points``).
* ``tests/data/place_accuracy.csv``: messy place strings with their true district,
  the yardstick for any text resolver.

Both files are read as plain strings (``keep_default_na=False``): texts such as
``N/A``, ``null`` or ``0`` are data here, not missing values.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from mapping.geo.boundaries import assign_points, district_names, load_layer

ROOT = Path(__file__).resolve().parent.parent
GAZETTEER = ROOT / "data" / "gazetteer" / "shanghai_landmarks.csv"
ACCURACY = ROOT / "tests" / "data" / "place_accuracy.csv"
PUDONG = "310115"

GAZETTEER_COLUMNS = [
    "name", "aliases", "type", "adcode", "district", "bankuai", "lng", "lat",
    "ambiguous_adcodes", "source", "confidence",
]
TYPES = {
    "板块", "商圈", "CBD", "商场", "地铁站", "火车站", "机场", "大学", "医院", "产业园",
    "景点", "社区", "镇街", "保税区",
}
CONFIDENCE = {"high", "medium", "low"}

ACCURACY_COLUMNS = ["text", "category", "true_adcode", "true_candidates", "outside", "source"]
CATEGORIES = {
    "district_full", "district_short", "historic", "town_street", "business_area", "landmark",
    "address", "traditional_fullwidth", "outside_city", "ambiguous", "junk", "typo",
}
# Every category can reach this; none is exempt.
MIN_PER_CATEGORY = 15
ADCODE = re.compile(r"^\d{6}$")
COORD = re.compile(r"^\d{2,3}\.\d{5}$")


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def _split(value: str) -> list[str]:
    return [part for part in value.split("|") if part]


@pytest.fixture(scope="module")
def gazetteer() -> pd.DataFrame:
    return _read(GAZETTEER)


@pytest.fixture(scope="module")
def accuracy() -> pd.DataFrame:
    return _read(ACCURACY)


# --------------------------------------------------------------------------- checker
def misplaced_points(frame: pd.DataFrame) -> pd.DataFrame:
    """Gazetteer rows whose point is not inside their stated district or 板块.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with ``name``, ``adcode``, ``bankuai``, ``lng``, ``lat`` (strings or
        numbers, WGS-84).

    Returns
    -------
    pandas.DataFrame
        The offending rows with two extra columns, ``found_adcode`` and
        ``found_bankuai`` (what the polygons say); empty when every point fits.
        ``found_bankuai`` is only compared for Pudong rows.
    """
    lng = frame["lng"].astype(float).to_numpy()
    lat = frame["lat"].astype(float).to_numpy()
    found = frame.assign(
        found_adcode=assign_points(lng, lat, load_layer("districts")),
        found_bankuai=_bankuai_names(lng, lat),
    )
    wrong_district = found["found_adcode"] != found["adcode"]
    in_pudong = found["adcode"] == PUDONG
    wrong_bankuai = in_pudong & (found["found_bankuai"] != found["bankuai"])
    stray_bankuai = ~in_pudong & (found["bankuai"] != "")
    return found[wrong_district | wrong_bankuai | stray_bankuai]


def _bankuai_names(lng, lat):
    layer = load_layer("pudong_bankuai")
    names = dict(zip(layer["area_id"], layer["area_name"]))
    return [names.get(area_id, "") for area_id in assign_points(lng, lat, layer)]


def test_checker_flags_a_wrong_district_and_a_wrong_bankuai():
    rows = pd.DataFrame({
        "name": ["东方明珠", "东方明珠(错区)", "东方明珠(错板块)", "人民广场(多写板块)"],
        "adcode": [PUDONG, "310101", PUDONG, "310101"],
        "bankuai": ["陆家嘴", "", "张江", "陆家嘴"],
        "lng": ["121.49530", "121.49530", "121.49530", "121.47370"],
        "lat": ["31.24180", "31.24180", "31.24180", "31.23230"],
    })
    bad = misplaced_points(rows)
    assert bad["name"].tolist() == ["东方明珠(错区)", "东方明珠(错板块)", "人民广场(多写板块)"]
    assert bad["found_adcode"].tolist() == [PUDONG, PUDONG, "310101"]


# --------------------------------------------------------------------------- gazetteer
def test_gazetteer_shape(gazetteer):
    assert list(gazetteer.columns) == GAZETTEER_COLUMNS
    assert len(gazetteer) >= 300
    assert gazetteer["name"].is_unique, gazetteer["name"][gazetteer["name"].duplicated()].tolist()
    assert (gazetteer["name"].str.strip() == gazetteer["name"]).all()


def test_gazetteer_values_are_well_formed(gazetteer):
    names = district_names()
    assert set(gazetteer["type"]) <= TYPES, set(gazetteer["type"]) - TYPES
    assert set(gazetteer["confidence"]) <= CONFIDENCE
    assert gazetteer["adcode"].isin(list(names)).all()
    assert (gazetteer["district"] == gazetteer["adcode"].map(names)).all()
    assert gazetteer["lng"].str.match(COORD).all() and gazetteer["lat"].str.match(COORD).all()
    assert (gazetteer["source"].str.len() > 10).all()


def test_no_alias_points_to_two_entries(gazetteer):
    owner: dict[str, str] = {}
    clashes = []
    for name, aliases in zip(gazetteer["name"], gazetteer["aliases"]):
        for key in [name, *_split(aliases)]:
            if key in owner and owner[key] != name:
                clashes.append((key, owner[key], name))
            owner.setdefault(key, name)
    assert not clashes


def test_every_point_lies_in_its_district_and_bankuai(gazetteer):
    bad = misplaced_points(gazetteer)
    assert bad.empty, bad[["name", "adcode", "found_adcode", "bankuai", "found_bankuai"]].to_string()


def test_every_pudong_row_names_a_bankuai(gazetteer):
    pudong = gazetteer[gazetteer["adcode"] == PUDONG]
    assert (pudong["bankuai"] != "").all()


def test_all_bankuai_of_the_layer_are_entries(gazetteer):
    layer_names = set(load_layer("pudong_bankuai")["area_name"])
    entries = gazetteer.set_index("name")
    assert layer_names <= set(entries.index)
    assert (entries.loc[sorted(layer_names), "type"] == "板块").all()
    assert (entries.loc[sorted(layer_names), "bankuai"] == sorted(layer_names)).all()


@pytest.mark.parametrize("name", [
    "金桥", "碧云国际社区", "张江", "唐镇", "外高桥", "前滩", "世博", "花木", "联洋", "三林", "周浦", "康桥",
    "川沙", "惠南", "临港", "滴水湖", "周康", "航头", "新场古镇", "祝桥", "曹路", "高行", "高桥", "洋泾",
    "塘桥", "北蔡", "南京西路", "静安寺", "徐家汇", "五角场", "中山公园", "虹桥", "淮海中路", "新天地",
    "人民广场", "外滩", "北外滩", "七宝", "莘庄", "大宁", "真如", "长风", "江桥", "南翔", "嘉定新城",
    "松江新城", "青浦新城", "奉贤新城", "金山新城", "上海火车站", "上海南站", "虹桥火车站", "浦东国际机场",
    "虹桥机场", "复旦大学", "上海交通大学徐汇校区", "上海交通大学闵行校区", "同济大学", "华东师范大学",
    "张江高科技园区", "金桥出口加工区", "外高桥保税区", "漕河泾开发区", "紫竹高新区", "仁恒滨江园", "汤臣一品",
])
def test_required_entry_present(gazetteer, name):
    assert name in set(gazetteer["name"])


def test_ambiguous_entries_list_two_or_more_districts(gazetteer):
    names = district_names()
    ambiguous = gazetteer[gazetteer["ambiguous_adcodes"] != ""]
    assert len(ambiguous) >= 10
    for _, row in ambiguous.iterrows():
        others = _split(row["ambiguous_adcodes"])
        assert set(others) <= set(names), row["name"]
        assert row["adcode"] not in others, f"{row['name']}: own adcode repeated in ambiguous_adcodes"
        assert len({row["adcode"], *others}) >= 2, row["name"]


@pytest.mark.parametrize("name, districts", [
    ("虹桥", {"310105", "310112"}),
    ("漕河泾", {"310104", "310112"}),
    ("江湾", {"310109", "310110", "310113"}),
])
def test_known_ambiguous_names(gazetteer, name, districts):
    row = gazetteer.set_index("name").loc[name]
    assert {row["adcode"], *_split(row["ambiguous_adcodes"])} == districts


@pytest.mark.parametrize("name, adcode", [("新虹", "310112"), ("中山公园", "310105"), ("陆家嘴", PUDONG)])
def test_single_district_names_are_not_ambiguous(gazetteer, name, adcode):
    row = gazetteer.set_index("name").loc[name]
    assert (row["adcode"], row["ambiguous_adcodes"]) == (adcode, "")


# --------------------------------------------------------------------------- accuracy set
def test_accuracy_shape(accuracy):
    assert list(accuracy.columns) == ACCURACY_COLUMNS
    assert len(accuracy) >= 300
    assert accuracy["text"].is_unique, accuracy["text"][accuracy["text"].duplicated()].tolist()
    assert set(accuracy["category"]) == CATEGORIES
    assert set(accuracy["outside"]) <= {"0", "1"}
    assert (accuracy["source"] != "").all()


def test_every_category_has_enough_rows(accuracy):
    counts = accuracy["category"].value_counts()
    assert (counts >= MIN_PER_CATEGORY).all(), counts.to_dict()


def test_accuracy_adcodes(accuracy):
    shanghai = set(district_names())
    codes = accuracy["true_adcode"]
    assert codes[codes != ""].str.match(ADCODE).all()
    inside = accuracy[(accuracy["outside"] == "0") & (codes != "")]
    assert inside["true_adcode"].isin(shanghai).all()
    for candidates in accuracy["true_candidates"]:
        assert all(ADCODE.match(c) for c in _split(candidates)), candidates


def test_accuracy_labels_fit_their_category(accuracy):
    by = accuracy.groupby("category")
    outside = by.get_group("outside_city")
    assert (outside["outside"] == "1").all()
    assert not outside["true_adcode"].str.startswith("31").any()
    assert (accuracy.loc[accuracy["category"] != "outside_city", "outside"] == "0").all()

    ambiguous = by.get_group("ambiguous")
    assert (ambiguous["true_adcode"] == "").all()
    assert ambiguous["true_candidates"].map(lambda c: len(set(_split(c))) >= 2).all()

    junk = by.get_group("junk")
    assert (junk["true_adcode"] == "").all() and (junk["true_candidates"] == "").all()

    resolvable = accuracy[~accuracy["category"].isin(["ambiguous", "junk", "outside_city"])]
    assert (resolvable["true_adcode"] != "").all()
    assert (resolvable["true_candidates"] == "").all()


@pytest.mark.parametrize("text, adcode, candidates", [
    ("浦东新区金桥镇", PUDONG, ""),
    ("上海市浦东新区金桥路1399弄", PUDONG, ""),
    ("闸北", "310106", ""),
    ("卢湾区打浦桥", "310101", ""),
    ("南汇惠南镇", PUDONG, ""),
    ("徐家匯", "310104", ""),
    ("浦东\u3000新区", PUDONG, ""),
    ("昆山花桥", "320583", ""),
    ("不详", "", ""),
    ("N/A", "", ""),
    ("虹桥", "", "310105|310112"),
    ("江湾", "", "310109|310110|310113"),
    ("蒲东", PUDONG, ""),
])
def test_accuracy_examples(accuracy, text, adcode, candidates):
    row = accuracy.set_index("text").loc[text]
    assert (row["true_adcode"], row["true_candidates"]) == (adcode, candidates)


def test_accuracy_set_agrees_with_gazetteer(gazetteer, accuracy):
    """A text that is a gazetteer name or alias carries the same district(s) in both files."""
    districts: dict[str, set[str]] = {}
    for _, row in gazetteer.iterrows():
        allowed = {row["adcode"], *_split(row["ambiguous_adcodes"])}
        for key in [row["name"], *_split(row["aliases"])]:
            districts[key] = allowed
    disagreements = []
    for _, row in accuracy[accuracy["text"].isin(districts)].iterrows():
        in_gazetteer = districts[row["text"]]
        if row["category"] == "ambiguous":
            labelled = {c for c in _split(row["true_candidates"]) if c.startswith("31")}
        else:
            labelled = {row["true_adcode"]}
        if labelled != in_gazetteer:
            disagreements.append((row["text"], sorted(labelled), sorted(in_gazetteer)))
    assert not disagreements
