"""The process-wide cache (mapping.cache): bounded by bytes, least recently used out first, one
computation per key; and the battle map computed once for two sessions opening it."""

import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from mapping import cache as C
from tests.conftest import sign_in

ROOT = Path(__file__).resolve().parent.parent


def test_the_cache_keeps_to_its_byte_budget_and_evicts_the_least_recently_used():
    cache = C.SharedCache(max_bytes=1000)
    for name in "abc":
        cache.put(("v1", name), name, 300)
    assert cache.bytes == 900 and cache.keys() == [("v1", "a"), ("v1", "b"), ("v1", "c")]
    assert cache.get(("v1", "a"), lambda: pytest.fail("cached")) == "a"  # a is now the most recent
    cache.put(("v1", "d"), "d", 300)  # over 1000: b (least recently used) goes
    assert cache.keys() == [("v1", "c"), ("v1", "a"), ("v1", "d")] and cache.bytes == 900
    assert cache.evictions == 1
    cache.put(("v1", "huge"), "x", 5000)  # larger than the budget: not kept, nothing evicted
    assert ("v1", "huge") not in cache and len(cache) == 3


def test_the_key_carries_the_data_version_so_a_new_version_recomputes_and_the_old_ages_out():
    cache, calls = C.SharedCache(max_bytes=10_000), []

    def compute(version):
        calls.append(version)
        return pd.DataFrame({"v": [version] * 10})

    first = cache.get(("project", 1, "1:7"), lambda: compute("1:7"))
    assert cache.get(("project", 1, "1:7"), lambda: compute("again")) is first and calls == ["1:7"]
    cache.get(("project", 1, "1:8"), lambda: compute("1:8"))  # an import: a new version, a new entry
    assert calls == ["1:7", "1:8"]
    for i in range(200):  # later work pushes the old version out
        cache.put(("other", i), "x" * 100)
    assert ("project", 1, "1:7") not in cache and cache.bytes <= 10_000


def test_sessions_asking_together_share_one_computation():
    cache, calls = C.SharedCache(max_bytes=10_000), []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return "graded"

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("k", slow))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["graded"] * 8 and len(calls) == 1


def test_sizes_and_budget_from_the_environment(monkeypatch):
    frame = pd.DataFrame({"a": range(1000)})
    assert C.size_of(frame) >= 8000 and C.size_of("abc") > 3 and C.size_of({"k": b"x" * 100}) > 100
    monkeypatch.setenv("TUOKE_CACHE_MB", "2")
    assert C.budget_from_env() == 2 * 1024 * 1024
    monkeypatch.setenv("TUOKE_CACHE_MB", "")
    assert C.budget_from_env() == 512 * 1024 * 1024


def test_two_sessions_opening_the_battle_map_grade_and_render_once(sample_app_database, monkeypatch):
    from mapping.analysis import battle as B
    from mapping.maps import battlemap as BM

    first_start = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    sign_in(first_start)
    first_start.run()  # the first start gives the samples their operations (a graded plan each): not counted
    C.shared().clear()
    counts = {"fit": 0, "map": 0}
    fit_runs, battle_map = B.fit_runs, BM.battle_map

    def counted_fit(*args, **kwargs):
        counts["fit"] += 1
        return fit_runs(*args, **kwargs)

    def counted_map(*args, **kwargs):
        counts["map"] += 1
        return battle_map(*args, **kwargs)

    monkeypatch.setattr(B, "fit_runs", counted_fit)
    monkeypatch.setattr(BM, "battle_map", counted_map)
    sessions = []
    for _ in range(2):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        sign_in(at)
        at.run()
        at.switch_page("views/battle_map.py").run()
        assert not at.exception and not at.error
        sessions.append(at)
    assert counts == {"fit": 1, "map": 1}  # the second session read what the first computed
    first, second = ([c.value for c in at.caption if c.value.startswith("分级区间拟合于")] for at in sessions)
    assert first == second and first


@pytest.mark.parametrize("page, module, builder", [
    ("views/customer_map.py", "mapping.maps.choropleth", "visitor_choropleth"),
    ("views/visits_deals.py", "mapping.maps.dealmap", "visits_deals_map"),
    ("views/launch_compare.py", "mapping.maps.launch_maps", "dual_map"),
])
def test_two_sessions_opening_another_map_page_render_its_map_once(sample_app_database, monkeypatch, page, module,
                                                                 builder):
    import importlib

    C.shared().clear()
    target = importlib.import_module(module)
    original, calls = getattr(target, builder), []

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(target, builder, counted)
    for _ in range(2):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        sign_in(at)
        at.run()
        at.switch_page(page).run()
        assert not at.exception and not at.error
    assert len(calls) == 1  # the second session sent what the first rendered


def _captured(monkeypatch, send) -> dict:
    """The arguments streamlit-folium's component receives when ``send()`` runs, random ids made equal."""
    import re

    import streamlit_folium as SF

    seen = {}
    monkeypatch.setattr(SF, "_component_func", lambda **kwargs: seen.update(kwargs) or {})
    send()
    ids = re.compile(r"_[0-9a-f]{32}")
    return {k: ids.sub("_ID", v) if isinstance(v, str) else v for k, v in seen.items()
            if k not in ("on_change", "key", "default")}


def test_show_map_sends_what_st_folium_sends_for_a_dual_map_and_a_feature_group(monkeypatch):
    """folium_payload + show_map mirror st_folium, for a DualMap (开盘前后对比) and for a map with a layer
    added per session (到访成交对比's chosen area)."""
    import folium
    import folium.plugins
    import streamlit_folium as SF

    from ui.shared import folium_payload, show_map

    def dual():
        m = folium.plugins.DualMap(location=(31.2, 121.5), zoom_start=10, tiles=None)
        folium.GeoJson({"type": "Feature", "properties": {},
                        "geometry": {"type": "Point", "coordinates": [121.5, 31.2]}}).add_to(m.m1)
        return m

    def single():
        m = folium.Map(location=(31.2, 121.5), zoom_start=10, tiles=None)
        folium.CircleMarker((31.2, 121.5), radius=4).add_to(m)
        return m

    def outline():
        group = folium.FeatureGroup(name="选中区域", control=False)
        folium.CircleMarker((31.3, 121.4), radius=9).add_to(group)
        return group

    def without_unused_scripts(args: dict) -> dict:  # jQuery, Bootstrap's JS, awesome-markers, icon fonts: unused here
        kept = [src for src in args["js_links"] if not any(n in src for n in ("jquery", "bootstrap", "awesome"))]
        styles = [href for href in args["css_links"] if not any(n in href for n in ("fontawesome", "glyphicons",
                                                                                     "awesome"))]
        return {**args, "js_links": kept, "css_links": styles}

    expected = _captured(monkeypatch, lambda: SF.st_folium(dual(), key="d", height=600, use_container_width=True,
                                                           returned_objects=[]))
    got = _captured(monkeypatch, lambda: show_map(folium_payload(dual()), key="d", height=600, returned_objects=[]))
    assert got == without_unused_scripts(expected) and "map_div2" in got["script"]
    assert got["js_links"] and len(got["js_links"]) == len(expected["js_links"]) - 3
    expected = _captured(monkeypatch, lambda: SF.st_folium(
        single(), key="s", height=600, use_container_width=True, returned_objects=["last_active_drawing"],
        feature_group_to_add=outline()))
    got = _captured(monkeypatch, lambda: show_map(folium_payload(single()), key="s", height=600,
                                                  returned_objects=["last_active_drawing"], feature_group=outline()))
    assert got == without_unused_scripts(expected)
    assert "map_div.addLayer(feature_group_feature_group_0)" in got["feature_group"]


def test_a_map_keeps_the_optional_scripts_its_code_uses():
    from ui.shared import used_scripts

    links = ["/v/leaflet/leaflet.js", "/v/jquery/jquery.min.js", "/v/bootstrap/js/bootstrap.bundle.min.js",
             "/v/leaflet-awesome-markers/leaflet.awesome-markers.js", "/v/leaflet-sync/L.Map.Sync.js"]
    assert used_scripts(links, "L.geoJson(data).addTo(map_div);") == [links[0], links[4]]
    assert used_scripts(links, "$(document).ready(f); L.AwesomeMarkers.icon({})") == [links[0], links[1], links[3],
                                                                                       links[4]]


def test_a_map_keeps_the_icon_stylesheets_its_code_uses():
    from ui.shared import used_styles

    links = ["/v/leaflet/leaflet.css", "/v/bootstrap/css/bootstrap.min.css",
             "/v/bootstrap-glyphicons/css/bootstrap-glyphicons.css", "/v/fontawesome-free/css/all.min.css",
             "/v/leaflet-awesome-markers/leaflet.awesome-markers.css", "/v/folium/leaflet.awesome.rotate.css"]
    assert used_styles(links, "L.geoJson(data).addTo(map_div); L.divIcon({html: '<b>x</b>'})") == links[:2]
    assert used_styles(links, "L.AwesomeMarkers.icon({prefix: 'fa', icon: 'fa-star'})") == links
    assert used_styles(links, '<i class="fa fa-star"></i>') == [*links[:2], links[3]]
