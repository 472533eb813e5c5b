"""The fast text path (character trie, memo of match patterns, lazy towns, normalise shortcut)
gives exactly what the plain path gives: on the labelled set and on the 20,000 benchmark strings."""

from __future__ import annotations

import importlib.util
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from mapping.place import accuracy
from mapping.place import gazetteer as G
from mapping.place import placetext as P
from mapping.place import resolve as R
from mapping.place import textmatch as T

ROOT = Path(__file__).resolve().parent.parent
EXTRA = ["", None, float("nan"), "浦东", "pudong", "Pudong New Area", "中山公圆", "蒲东", "黄埔", "江苏昆山花桥", "虹桥",
         "徐汇区五角场", " 住在 徐家匯（港汇）附近 ", "北京东路", "南京西路1号", "昆山花桥镇", "浙江嘉善西塘",
         "黑龙江双鸭山宝山区", "滨江", "常宁", "闵航", "静按寺", "陆家咀", "徐家会", "现居住在浦东新区金桥镇附近的", "在在"]
ALIASES = {"虹桥": {"adcode": "310105", "lng": None, "lat": None, "label": "虹桥"},
           "浦东": {"adcode": "310104", "lng": 121.4, "lat": 31.2, "label": "别处"}}


def _normalise_reference(text: object) -> str:
    """normalise as it was before the shortcut: the filler-word loop always runs."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    value = unicodedata.normalize("NFKC", str(text)).lower()
    value = P._T2S.convert(value)
    value = P._DROP.sub("", value)
    changed = True
    while changed and value:
        changed = False
        for prefix in P._PREFIXES:
            if value.startswith(prefix) and len(value) > len(prefix) + 1:
                value, changed = value[len(prefix):], True
        for suffix in P._SUFFIXES:
            if value.endswith(suffix) and len(value) > len(suffix) + 1:
                value, changed = value[: -len(suffix)], True
    return value


@pytest.fixture(scope="module")
def bench_strings() -> list[str]:
    spec = importlib.util.spec_from_file_location("bench_resolve", ROOT / "bench" / "bench_resolve.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.unique_strings(20_000)


@pytest.fixture(scope="module")
def labelled() -> list:
    return accuracy.load_set()["text"].tolist() + EXTRA


def _slow(monkeypatch, texts, **kwargs) -> pd.DataFrame:
    with monkeypatch.context() as m:
        m.setattr(T, "_scan", T._scan_reference)  # plain scan of every key length, no memo
        m.setattr(R, "normalise", _normalise_reference)
        return R.resolve_texts(texts, **kwargs)


def _fast(texts, **kwargs) -> pd.DataFrame:
    for city in ("310000", kwargs.get("city", "310000")):
        G.index(city).memo.clear()
    first = R.resolve_texts(texts, **kwargs)  # memo filled as it goes
    again = R.resolve_texts(texts, **kwargs)  # every pattern remembered
    pd.testing.assert_frame_equal(first, again)
    return first


@pytest.mark.parametrize("kwargs", [{}, {"city": "320500"}, {"aliases": ALIASES}], ids=["shanghai", "suzhou", "aliases"])
def test_fast_path_same_as_slow_on_labelled_set(monkeypatch, labelled, kwargs):
    pd.testing.assert_frame_equal(_fast(labelled, **kwargs), _slow(monkeypatch, labelled, **kwargs))


def test_fast_path_same_as_slow_on_bench_strings(monkeypatch, bench_strings):
    assert len(set(bench_strings)) == 20_000
    fast = _fast(bench_strings)
    pd.testing.assert_frame_equal(fast, _slow(monkeypatch, bench_strings))
    assert fast["method"].nunique() >= 10  # every kind of answer is compared, not just one


def test_matches_same_as_reference(labelled, bench_strings):
    gaz = G.index("310000")
    for text in dict.fromkeys(P.normalise(t) for t in [*labelled, *bench_strings]):
        assert T._matches(text, gaz) == T._matches_reference(text, gaz), text


def test_normalise_shortcut(labelled, bench_strings):
    table = pd.read_csv(ROOT / "data" / "gazetteer" / "shanghai_landmarks.csv", dtype=str, keep_default_na=False)
    texts = [*labelled, *bench_strings, *table["name"], *table["aliases"].str.split("|").explode(),
             *[p + "浦东" + s for p in P._PREFIXES for s in ("", *P._SUFFIXES)], *P._PREFIXES, *P._SUFFIXES]
    assert [P.normalise(t) for t in texts] == [_normalise_reference(t) for t in texts]


def test_towns_built_on_demand_match_all_towns():
    """towns_of builds a district's towns when first asked: the same as building them all up front."""
    gaz = G.index("310000")
    towns = pd.read_csv(ROOT / "data" / "gazetteer" / "towns_cn.csv", dtype=str, keep_default_na=False)
    expected: dict[str, dict[str, G.Entry]] = {}
    for r in towns.itertuples(index=False):
        entry = G.Entry(G.TOWN, r.name, r.adcode, r.city_adcode, r.province_adcode, town_code=r.town_code)
        by_key = expected.setdefault(r.adcode, {})
        for key in {r.name, r.short_name, r.name.removesuffix("办事处")}:
            if key:
                by_key[P.normalise(key)] = entry
    for adcode in sorted(expected)[::7] + ["320583", "230506", "440112"]:
        assert gaz.towns_of(adcode) == expected[adcode], adcode
    assert gaz.towns_of("999999") == {}


def test_memo_is_per_match_pattern_and_never_leaks_text():
    """Two addresses with the same names share an answer; what depends on the text stays per text."""
    short, long = R.resolve_texts(["浦东新区金桥路1号", "浦东新区金桥路1234号"]).to_dict("records")
    assert short["adcode"] == long["adcode"] == "310115"
    one = T.resolve_one("浦东新区金桥路1号", "310000")
    other = T.resolve_one("浦东新区金桥路1234号", "310000")
    assert one.coverage != other.coverage
    # Same names matched (黑龙江, 双鸭山, 宝山区), but the town after the district is read from each text.
    towns = R.resolve_texts(["黑龙江双鸭山宝山区跃进", "黑龙江双鸭山宝山区东保卫"])["town_code"].tolist()
    assert towns == ["230506002", "230506003"]


def test_index_cache_on_disk_gives_the_built_index(tmp_path, monkeypatch):
    monkeypatch.setattr(G, "CACHE_DIR", tmp_path)
    monkeypatch.delenv("TUOKE_GAZETTEER_CACHE", raising=False)
    for city in ("310000", "320500"):
        built = G.build(city)
        key = G._cache_key(city)
        assert G._load_cached(city, key) is None  # nothing stored yet
        G._save_cached(city, key, built)
        loaded = G._load_cached(city, key)
        assert list(loaded.names) == list(built.names)  # same keys in the same order (fuzzy ties)
        assert loaded.names == built.names
        assert (loaded.district_names, loaded.city_names, loaded.max_key) == (
            built.district_names, built.city_names, built.max_key)
        assert loaded.towns_of("320583") == built.towns_of("320583")
    assert len(list(tmp_path.glob("gazetteer-310000-*.marshal"))) == 1
    G._save_cached("310000", "another-key", G.build("310000"))  # tables changed: the old file goes
    assert [p.name for p in tmp_path.glob("gazetteer-310000-*")] == ["gazetteer-310000-another-key.marshal"]
    G._cache_path("310000", "another-key").write_bytes(b"not marshal data")
    assert G._load_cached("310000", "another-key") is None  # unreadable: built instead
    monkeypatch.setenv("TUOKE_GAZETTEER_CACHE", "0")
    G._save_cached("320500", "off", G.build("320500"))
    assert not G._cache_path("320500", "off").exists()
