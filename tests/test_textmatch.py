"""The text chain, step by step and by category of messy input."""

import pytest

from mapping.place import textmatch as T
from mapping.place.placetext import is_junk, normalise, typo_variant
from mapping.place.resolve import resolve_texts


@pytest.mark.parametrize("raw,expected", [
    ("浦东　新区", "浦东新区"), ("徐家匯", "徐家汇"), ("住在五角场附近", "五角场"), ("（浦东）金桥", "浦东金桥"),
    ("ＡＢＣ１２３", "abc123"), ("Pudong New Area", "pudongnewarea"), ("", ""), (None, ""),
])
def test_normalise(raw, expected):
    assert normalise(raw) == expected


@pytest.mark.parametrize("text", ["不详", "无", "外地", "123", "abc", "-", "N/A", "不知道"])
def test_junk(text):
    key = normalise(text)
    assert key == "" or is_junk(key)  # "-" normalises to nothing at all
    row = resolve_texts([text]).iloc[0]
    assert row["method"] in ("junk", "empty") and row["adcode"] == ""


@pytest.mark.parametrize("text,adcode,method", [
    ("浦东新区", "310115", "district_name"),
    ("徐汇", "310104", "district_name"),
    ("上海市静安区", "310106", "district_name"),
    ("闸北区", "310106", "historic"), ("卢湾", "310101", "historic"), ("南汇区", "310115", "historic"),
    ("崇明县", "310151", "historic"), ("南市区", "310101", "historic"),

    ("宝山", "310113", "district_name"),  # Shanghai's, not Heilongjiang's, in a Shanghai project
    ("蒲东", "310115", "fuzzy_pinyin"), ("黄埔", "310101", "fuzzy_pinyin"), ("静按寺", "310106", "fuzzy_pinyin"), ("虹囗", "310109", "typo"),
])
def test_inside_city(text, adcode, method):
    row = resolve_texts([text]).iloc[0]
    assert (row["adcode"], row["method"]) == (adcode, method)
    assert not row["outside"]


@pytest.mark.parametrize("text,adcode", [
    ("江苏昆山花桥", "320583"), ("昆山", "320583"), ("黑龙江双鸭山宝山区", "230506"), ("广州黄埔", "440112"),
    ("苏州", "320500"),
])
def test_outside_city_gets_its_own_code(text, adcode):
    row = resolve_texts([text]).iloc[0]
    assert row["adcode"] == adcode and row["outside"]


@pytest.mark.parametrize("text,town_code", [
    ("金桥镇", "310115120"), ("浦东新区张江镇", "310115125"), ("上海市闵行区莘庄镇", "310112101"),
    ("潍坊新村街道", "310115004"), ("嘉定区马陆镇", "310114106"),
])
def test_towns_keep_their_code(text, town_code):
    row = resolve_texts([text]).iloc[0]
    assert row["town_code"] == town_code and row["adcode"] == town_code[:6]
    assert row["level"] in ("town", "poi")


def test_outside_town():
    row = resolve_texts(["江苏昆山花桥"]).iloc[0]
    # "poi" when 花桥 is also a landmark of 苏州 (a neighbour's landmarks are read): its point, the town's code
    assert row["town_code"].startswith("320583") and row["level"] in ("town", "poi")


@pytest.mark.parametrize("text", ["北京东路", "四川北路", "南京西路"])
def test_road_names_are_not_other_cities(text):
    row = resolve_texts([text]).iloc[0]
    assert not row["outside"]


def test_ambiguous_names_come_back_with_candidates():
    row = resolve_texts(["虹桥"]).iloc[0]
    assert row["adcode"] == "" and row["method"] == "ambiguous"
    assert set(row["candidates"].split("|")) >= {"310105", "310112"}


def test_named_district_disambiguates():
    assert resolve_texts(["闵行区虹桥镇"])["adcode"].iloc[0] == "310112"


def test_city_only_is_not_a_district():
    row = resolve_texts(["上海"]).iloc[0]
    assert row["adcode"] == "" and row["level"] == "city"


def test_low_confidence_goes_to_review_not_the_map():
    row = resolve_texts(["北京东路口那边的大楼"]).iloc[0]
    assert row["adcode"] == "" or row["confidence"] >= T.CONFIDENCE_MIN


def test_confidence_constants_keep_their_order():
    """What the comments on the constants promise: exact names above corrections, and
    which corrections can reach the map at all."""
    assert T.CONF_ALIAS > T.CONF_FULL_NAME > T.CONF_LANDMARK > T.CONF_SHORT_NAME > T.CONF_HOMOPHONE
    assert T.CONF_SHORT_NAME * T.TYPO_FACTOR >= T.CONFIDENCE_MIN  # a corrected typo is placed
    assert T.CONF_SHORT_NAME * T.FUZZY_MIN_SCORE / 100 * T.FUZZY_CLOSE_FACTOR >= T.CONFIDENCE_MIN
    assert T.CONF_FULL_NAME * (T.FUZZY_MIN_SCORE - 1) / 100 * T.FUZZY_FAR_FACTOR < T.CONFIDENCE_MIN
    assert T.CONF_FAR_SHORT_MAX < T.CONFIDENCE_MIN <= T.CONF_HOMOPHONE


def test_alias_wins():
    aliases = {"金桥湾": {"adcode": "310115", "lng": 121.6, "lat": 31.26, "label": "金桥"}}
    row = resolve_texts(["金桥湾"], aliases=aliases).iloc[0]
    assert (row["adcode"], row["method"], row["level"]) == ("310115", "alias", "poi")


def test_typo_table_is_city_scoped():
    assert typo_variant("黄埔", "310000") == "黄浦"
    assert typo_variant("黄埔", "440100") == "黄埔"


def test_unique_strings_resolved_once(monkeypatch):
    from mapping.place import resolve, textmatch
    calls = []
    original = textmatch.resolve_one

    def counting(text, city, aliases=None):
        calls.append(text)
        return original(text, city, aliases)

    monkeypatch.setattr(resolve, "resolve_one", counting)
    out = resolve_texts(["浦东", "浦东 ", "浦东", "徐汇"] * 50)
    assert len(out) == 200 and sorted(calls) == ["徐汇", "浦东"]


@pytest.mark.parametrize("text,adcode", [("Pudong", "310115"), ("Minhang", "310112"), ("ＰＵＤＯＮＧ", "310115"),
                                         ("Pudong New Area", "310115"), ("Lujiazui", "310115")])
def test_latin_names(text, adcode):
    assert resolve_texts([text])["adcode"].iloc[0] == adcode


@pytest.mark.parametrize("text,adcode", [("闵航", "310112"), ("常宁", "310105"), ("中山公圆", "310105")])
def test_homophones_prefer_local_places(text, adcode):
    row = resolve_texts([text]).iloc[0]
    assert row["adcode"] == adcode and row["method"] == "fuzzy_pinyin"


def test_far_away_short_name_goes_to_review():
    row = resolve_texts(["滨江"]).iloc[0]  # Hangzhou's 滨江区? or a Shanghai riverside? ask a person
    assert row["adcode"] == "" and "330108" in row["candidates"]


def test_neighbouring_towns_by_short_name():
    row = resolve_texts(["花桥"]).iloc[0]
    assert row["adcode"] == "320583" and row["outside"]


def test_city_context_picks_the_right_district():
    assert resolve_texts(["北京市朝阳区"])["adcode"].iloc[0] == "110105"
    assert resolve_texts(["嘉兴平湖"])["adcode"].iloc[0] == "330482"
