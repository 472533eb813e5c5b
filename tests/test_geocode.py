"""Online geocoding (mapping.place.geocode) against a local fake Amap/Baidu server: no outside network."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pandas as pd
import pytest

from mapping import schema as S
from mapping.db.store import Store
from mapping.geo.coords import bd09_to_wgs84, gcj02_to_wgs84, wgs84_to_bd09, wgs84_to_gcj02
from mapping.importer import PlaceCache
from mapping.place import geocode as G
from mapping.place.resolve import GEOCODER_ERROR, resolve_records, resolve_texts

KEY = "test-key-0123456789"

# text -> (WGS-84 lng, lat, Amap adcode, Amap district, Amap level, Baidu confidence, Baidu precise, Baidu level)
PLACES = {
    "芳甸路188号": (121.5440, 31.2235, "310115", "浦东新区", "门牌号", 80, 1, "门址"),
    "漕溪北路88号": (121.4370, 31.1930, "310104", "徐汇区", "兴趣点", 75, 1, "商务大厦"),
    "文三路90号": (120.1300, 30.2770, "330106", "西湖区", "门牌号", 80, 1, "门址"),
    "某某大概位置": (121.4700, 31.2300, "310000", "", "市", 20, 0, "城市"),
    "模糊的地址啊": (121.5000, 31.2400, "310115", "浦东新区", "兴趣点", 30, 0, "道路"),
}
EXTRA = [f"测试地址{i:02d}号" for i in range(30)]  # found by the fake server at a point in Pudong
for _t in EXTRA:
    PLACES[_t] = (121.55, 31.22, "310115", "浦东新区", "兴趣点", 80, 1, "门址")


class FakeMaps:
    """State of the fake server: scripted answers (FIFO, then "ok") and a log of requests."""

    def __init__(self):
        self.script: list[str] = []
        self.requests: list[tuple[str, dict]] = []
        self.lock = threading.Lock()

    def next_action(self) -> str:
        with self.lock:
            return self.script.pop(0) if self.script else "ok"

    def addresses(self) -> list[str]:
        out = []
        for path, params in self.requests:
            out.extend(params["address"].split("|") if path.startswith("/v3") else [params["address"]])
        return out


def _amap_item(address: str) -> dict:
    if address not in PLACES:
        return {"formatted_address": [], "country": [], "province": [], "city": [], "district": [],
                "adcode": [], "location": [], "level": []}
    lng, lat, adcode, district, level, *_ = PLACES[address]
    g_lng, g_lat = wgs84_to_gcj02(lng, lat)
    return {"formatted_address": "上海市" + address, "country": "中国", "province": "上海市", "city": "上海市",
            "district": district or [], "adcode": adcode, "location": f"{float(g_lng):.6f},{float(g_lat):.6f}",
            "level": level}


def _answer(fake: FakeMaps, path: str, params: dict) -> tuple[int, dict]:
    amap = path.startswith("/v3/geocode/geo")
    action = fake.next_action()
    if action == "slow":
        time.sleep(0.6)
        action = "ok"
    if action == "500":
        return 500, {"error": "internal"}
    errors = {  # action -> (Amap infocode, info), Baidu status
        "invalid_key": (("10001", "INVALID_USER_KEY"), 200),
        "quota": (("10003", "DAILY_QUERY_OVER_LIMIT"), 302),
        "too_frequent": (("10004", "ACCESS_TOO_FREQUENT"), 401),
    }
    if action in errors:
        (code, info), status = errors[action]
        if amap:
            return 200, {"status": "0", "info": info, "infocode": code}
        return 200, {"status": status, "message": "错误"}
    if amap:
        if params.get("key") != KEY:
            return 200, {"status": "0", "info": "INVALID_USER_KEY", "infocode": "10001"}
        items = [_amap_item(a) for a in params["address"].split("|")]
        return 200, {"status": "1", "info": "OK", "infocode": "10000", "count": str(len(items)), "geocodes": items}
    address = params["address"]
    if address not in PLACES:
        return 200, {"status": 1, "msg": "Internal Service Error:无相关结果", "results": []}
    lng, lat, *_, confidence, precise, level = PLACES[address]
    b_lng, b_lat = wgs84_to_bd09(lng, lat)
    return 200, {"status": 0, "result": {"location": {"lng": float(b_lng), "lat": float(b_lat)},
                                         "precise": precise, "confidence": confidence, "comprehension": 100,
                                         "level": level}}


@pytest.fixture(scope="module")
def server():
    holder = {"state": FakeMaps()}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            state = holder["state"]
            url = urllib.parse.urlsplit(self.path)
            params = dict(urllib.parse.parse_qsl(url.query))
            with state.lock:
                state.requests.append((url.path, params))
            status, body = _answer(state, url.path, params)
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up (timeout test)
                pass

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    holder["url"] = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield holder
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def fake(server):
    """A fresh script and request log on the shared local server."""
    state = FakeMaps()
    state.url = server["url"]
    server["state"] = state
    return state


class FakeTime:
    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def amap(fake, **kw):
    kw.setdefault("qps", 0)
    kw.setdefault("sleep", lambda s: None)
    kw.setdefault("jitter", lambda: 0.0)
    return G.AmapGeocoder(kw.pop("key", KEY), base_url=fake.url, **kw)


def baidu(fake, **kw):
    kw.setdefault("qps", 0)
    kw.setdefault("sleep", lambda s: None)
    kw.setdefault("jitter", lambda: 0.0)
    return G.BaiduGeocoder(KEY, base_url=fake.url, **kw)


# --------------------------------------------------------------------------- parsing


def test_parse_amap_batch_with_failed_item_converts_gcj02():
    g_lng, g_lat = 121.544346, 31.221461
    payload = {"status": "1", "info": "OK", "infocode": "10000", "count": "2", "geocodes": [
        {"formatted_address": "上海市浦东新区芳甸路188号", "province": "上海市", "city": "上海市", "district": "浦东新区",
         "adcode": "310115", "location": f"{g_lng},{g_lat}", "level": "门牌号"},
        {"formatted_address": [], "district": [], "adcode": [], "location": [], "level": []},
    ]}
    out = G.parse_amap(payload, ["芳甸路188号", "查无此处"])
    assert list(out) == ["芳甸路188号"]
    r = out["芳甸路188号"]
    w_lng, w_lat = gcj02_to_wgs84(g_lng, g_lat)
    assert r.lng == pytest.approx(float(w_lng), abs=1e-6) and r.lat == pytest.approx(float(w_lat), abs=1e-6)
    assert (r.adcode, r.district, r.provider, r.level, r.confidence) == ("310115", "浦东新区", "amap", "门牌号", 0.85)
    assert r.address == "上海市浦东新区芳甸路188号" and not r.needs_review
    # "" instead of [] for a failed item is also a failure
    payload["geocodes"][1]["location"] = ""
    assert list(G.parse_amap(payload, ["芳甸路188号", "查无此处"])) == ["芳甸路188号"]


def test_parse_amap_levels_and_errors():
    def one(level, adcode="310115"):
        return G.parse_amap({"status": "1", "geocodes": [{"adcode": adcode, "location": "121.5,31.2",
                                                          "level": level}]}, ["x"])["x"]

    assert one("道路").confidence == 0.75 and one("区县").confidence == 0.7
    assert one("区县").our_level == S.LEVEL_DISTRICT and one("乡镇").our_level == S.LEVEL_TOWN
    coarse = one("市", adcode="310000")
    assert coarse.confidence == 0.3 and coarse.needs_review and coarse.adcode == ""
    cases = {"10001": G.InvalidKey, "10003": G.QuotaExceeded, "10044": G.QuotaExceeded,
             "10004": G.TemporaryError, "20003": G.TemporaryError, "20000": G.GeocoderError}
    for code, exc in cases.items():
        with pytest.raises(exc) as info:
            G.parse_amap({"status": "0", "info": "X", "infocode": code}, ["x"])
        assert code in str(info.value) and info.value.code == code
    with pytest.raises(G.GeocoderError, match="结果"):
        G.parse_amap({"status": "1", "geocodes": [{"location": "121.5,31.2"}]}, ["a", "b"])


def test_parse_baidu_converts_bd09_and_finds_district():
    b_lng, b_lat = 121.5516, 31.2274
    r = G.parse_baidu({"status": 0, "result": {"location": {"lng": b_lng, "lat": b_lat}, "precise": 1,
                                               "confidence": 80, "comprehension": 100, "level": "门址"}}, "芳甸路188号")
    w_lng, w_lat = bd09_to_wgs84(b_lng, b_lat)
    assert r.lng == pytest.approx(float(w_lng), abs=1e-6) and r.lat == pytest.approx(float(w_lat), abs=1e-6)
    assert (r.adcode, r.district, r.provider) == ("310115", "浦东新区", "baidu")
    assert r.confidence == pytest.approx(0.74)
    hangzhou = G.parse_baidu({"status": 0, "result": {"location": {"lng": 120.14, "lat": 30.28}, "precise": 1,
                                                      "confidence": 100, "level": "门址"}}, "x")
    assert (hangzhou.adcode, hangzhou.district) == ("330106", "西湖区")  # any district of China, not only Shanghai's
    assert hangzhou.confidence == 0.9  # capped
    at_sea = G.parse_baidu({"status": 0, "result": {"location": {"lng": 140.0, "lat": 30.28}, "precise": 1,
                                                    "confidence": 100, "level": "门址"}}, "x")
    assert at_sea.adcode == "" and at_sea.district == ""  # outside China
    assert G.parse_baidu({"status": 1, "msg": "Internal Service Error:无相关结果", "results": []}, "x") is None
    assert G.baidu_confidence(70, 0) < G.CONFIDENCE_FLOOR <= G.baidu_confidence(70, 1)
    cases = {101: G.InvalidKey, 200: G.InvalidKey, 210: G.InvalidKey, 240: G.InvalidKey, 301: G.QuotaExceeded,
             302: G.QuotaExceeded, 401: G.TemporaryError, 1: G.TemporaryError}
    for status, exc in cases.items():
        with pytest.raises(exc):
            G.parse_baidu({"status": status, "message": "错误"}, "x")


# --------------------------------------------------------------------------- HTTP


def test_amap_batches_23_texts_in_3_requests(fake):
    texts = EXTRA[:22] + ["查无此处"]
    geo = amap(fake)
    out = geo.geocode_many(texts + texts[:5], "310000")  # duplicates are asked once
    assert len(fake.requests) == 3 == geo.requests
    assert [len(p["address"].split("|")) for _, p in fake.requests] == [10, 10, 3]
    assert all(p["city"] == "310000" and p["batch"] == "true" and p["key"] == KEY for _, p in fake.requests)
    assert set(out) == set(EXTRA[:22])
    lng, lat = PLACES["芳甸路188号"][:2]
    r = geo.geocode_many(["芳甸路188号"], "310000")["芳甸路188号"]
    assert r.lng == pytest.approx(lng, abs=2e-6) and r.lat == pytest.approx(lat, abs=2e-6)


def test_baidu_one_request_per_address(fake):
    geo = baidu(fake)
    out = geo.geocode_many(["芳甸路188号", "文三路90号", "查无此处"], "310000")
    assert [p["address"] for _, p in fake.requests] == ["芳甸路188号", "文三路90号", "查无此处"]
    assert all(path == "/geocoding/v3/" and p["city"] == "上海市" and p["output"] == "json" and "ret_coordtype" not in p
               for path, p in fake.requests)
    assert set(out) == {"芳甸路188号", "文三路90号"}
    lng, lat = PLACES["芳甸路188号"][:2]
    assert out["芳甸路188号"].lng == pytest.approx(lng, abs=2e-6) and out["芳甸路188号"].adcode == "310115"
    assert out["文三路90号"].adcode == "330106"  # located in the national polygons (Baidu gives no adcode)


def test_rate_limiter_requests_sleeps():
    t = FakeTime()
    limiter = G.RateLimiter(4, clock=t.clock, sleep=t.sleep)
    for _ in range(3):
        limiter.wait()
    assert t.sleeps == [0.25, 0.25]
    t.now += 1.0  # idle long enough: no wait
    limiter.wait()
    assert t.sleeps == [0.25, 0.25]
    G.RateLimiter(0, clock=t.clock, sleep=t.sleep).wait()  # 0 = unlimited


def test_geocoder_respects_qps(fake):
    t = FakeTime()
    geo = amap(fake, qps=2, clock=t.clock, sleep=t.sleep)
    geo.geocode_many(EXTRA[:23], "310000")
    assert t.sleeps == [0.5, 0.5]


@pytest.mark.parametrize("make", [amap, baidu])
@pytest.mark.parametrize("trouble", ["too_frequent", "500"])
def test_retry_then_success(fake, make, trouble):
    t = FakeTime()
    fake.script = [trouble]
    geo = make(fake, sleep=t.sleep, clock=t.clock, backoff=0.5)
    out = geo.geocode_many(["芳甸路188号"], "310000")
    assert "芳甸路188号" in out and len(fake.requests) == 2
    assert t.sleeps == [0.5]  # one back-off (jitter 0 here)


def test_backoff_is_exponential_and_gives_up(fake):
    t = FakeTime()
    fake.script = ["500"] * 4
    geo = amap(fake, sleep=t.sleep, clock=t.clock, retries=3, backoff=0.5, jitter=lambda: 0.01)
    with pytest.raises(G.GeocoderError, match="HTTP 500") as info:
        geo.geocode_many(["芳甸路188号"], "310000")
    assert t.sleeps == [0.51, 1.01, 2.01] and len(fake.requests) == 4
    assert not isinstance(info.value, (G.QuotaExceeded, G.InvalidKey))


def test_slow_server_times_out_then_fails(fake):
    fake.script = ["slow", "slow"]
    geo = amap(fake, timeout=0.2, retries=1)
    started = time.monotonic()
    with pytest.raises(G.GeocoderError, match="超时"):
        geo.geocode_many(["芳甸路188号"], "310000")
    assert time.monotonic() - started < 2
    assert geo.requests == 2


def test_slow_once_then_ok(fake):
    fake.script = ["slow"]
    assert "芳甸路188号" in amap(fake, timeout=0.2, retries=1).geocode_many(["芳甸路188号"], "310000")


def test_invalid_key_is_not_retried_and_hides_key(fake):
    geo = amap(fake, key="wrong-key-xyz")
    with pytest.raises(G.InvalidKey) as info:
        geo.geocode_many(["芳甸路188号"], "310000")
    assert len(fake.requests) == 1 and "wrong-key-xyz" not in str(info.value) + repr(geo)
    assert "Key" in str(info.value)
    fake.script = ["invalid_key"]
    with pytest.raises(G.InvalidKey):
        baidu(fake).geocode_many(["芳甸路188号"], "310000")


def test_amap_quota_keeps_earlier_results_and_stops(fake):
    fake.script = ["ok", "quota"]
    geo = amap(fake)
    with pytest.raises(G.QuotaExceeded) as info:
        geo.geocode_many(EXTRA[:23], "310000")
    assert len(fake.requests) == 2  # the third batch was not sent
    assert info.value.done == EXTRA[:10] and set(info.value.results) == set(EXTRA[:10])
    assert "用完" in str(info.value)


def test_baidu_quota_keeps_earlier_results_and_stops(fake):
    fake.script = ["ok", "ok", "quota"]
    with pytest.raises(G.QuotaExceeded) as info:
        baidu(fake).geocode_many(EXTRA[:5], "310000")
    assert len(fake.requests) == 3
    assert info.value.done == EXTRA[:2] and set(info.value.results) == set(EXTRA[:2])


# --------------------------------------------------------------------------- resolver hook


def test_resolve_texts_uses_geocoder_last(fake):
    texts = ["芳甸路188号", "不详", "浦东", "芳甸路188号", "", None, "文三路90号", "某某大概位置", "查无此处的地方"]
    offline = resolve_texts(texts)
    assert offline.loc[0, "method"] == "unresolved"
    out = resolve_texts(texts, geocoder=amap(fake))
    assert fake.addresses() == ["芳甸路188号", "文三路90号", "某某大概位置", "查无此处的地方"]
    row = out.loc[0]
    lng, lat = PLACES["芳甸路188号"][:2]
    assert (row["adcode"], row["district"], row["level"], row["method"], row["outside"]) == (
        "310115", "浦东新区", "poi", "geocoder_amap", False)
    assert row["lng"] == pytest.approx(lng, abs=2e-6) and row["lat"] == pytest.approx(lat, abs=2e-6)
    assert row["confidence"] == 0.85 and out.loc[3].equals(row.rename(3))
    # junk, district names and empty strings are left alone
    pd.testing.assert_frame_equal(out.loc[[1, 2, 4, 5]], offline.loc[[1, 2, 4, 5]])
    hangzhou = out.loc[6]
    assert (hangzhou["adcode"], hangzhou["outside"], hangzhou["method"]) == ("330106", True, "geocoder_amap")
    # a city-level answer (too weak) and no answer: still unresolved, on the review page
    assert out.loc[7, "method"] == "unresolved" and out.loc[7, "adcode"] == ""
    assert out.loc[8, "method"] == "unresolved"
    assert GEOCODER_ERROR not in out.attrs
    assert list(out.columns) == list(offline.columns) and out.dtypes.equals(offline.dtypes)


def test_resolve_texts_baidu_weak_result_is_only_a_candidate(fake):
    out = resolve_texts(["模糊的地址啊", "漕溪北路88号"], geocoder=baidu(fake))
    assert out.loc[0, "method"] == "unresolved" and out.loc[0, "adcode"] == ""
    assert out.loc[0, "candidates"].split("|")[0] == "310115"
    assert (out.loc[1, "method"], out.loc[1, "adcode"], out.loc[1, "district"]) == ("geocoder_baidu", "310104", "徐汇区")


def test_results_are_cached_in_the_store(fake, tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'cache.sqlite3'}")
    store.migrate()
    texts = ["芳甸路188号", "查无此处的地方", "不详"]
    first = resolve_texts(texts, cache=PlaceCache(store), geocoder=amap(fake))
    assert len(fake.requests) == 1
    second = resolve_texts(texts, cache=PlaceCache(store), geocoder=amap(fake))
    assert len(fake.requests) == 1  # found and not-found strings both come from the cache
    pd.testing.assert_frame_equal(first, second)
    assert second.loc[0, "method"] == "geocoder_amap"
    # without a geocoder the cached answer is still used
    pd.testing.assert_frame_equal(resolve_texts(texts, cache=PlaceCache(store)), first)
    # another provider may still try what Amap did not find
    resolve_texts(texts, cache=PlaceCache(store), geocoder=baidu(fake))
    assert fake.addresses()[2:] == ["查无此处的地方"]
    store.engine.dispose()


def test_geocoder_error_does_not_break_resolution(fake, tmp_path, caplog):
    store = Store(f"sqlite:///{tmp_path / 'cache.sqlite3'}")
    store.migrate()
    texts = EXTRA[:12] + ["浦东"]
    fake.script = ["ok", "quota"]
    with caplog.at_level(logging.WARNING, logger="mapping.place.resolve"):
        out = resolve_texts(texts, cache=PlaceCache(store), geocoder=amap(fake))
    assert "用完" in out.attrs[GEOCODER_ERROR]
    assert any("用完" in r.getMessage() for r in caplog.records if r.name == "mapping.place.resolve")
    assert (out["method"].iloc[:10] == "geocoder_amap").all()
    assert (out["method"].iloc[10:12] == "unresolved").all() and out.loc[12, "method"] == "district_name"
    # the strings not asked are not marked in the cache: next time they are sent
    again = resolve_texts(texts, cache=PlaceCache(store), geocoder=amap(fake))
    assert fake.addresses()[12:] == EXTRA[10:12]  # 10 ok + 2 in the refused batch
    assert (again["method"].iloc[:12] == "geocoder_amap").all() and GEOCODER_ERROR not in again.attrs
    store.engine.dispose()


def test_invalid_key_leaves_everything_offline(fake):
    out = resolve_texts(["芳甸路188号", "浦东"], geocoder=amap(fake, key="bad"))
    pd.testing.assert_frame_equal(out, resolve_texts(["芳甸路188号", "浦东"]))
    assert "Key" in out.attrs[GEOCODER_ERROR]


def _records(homes, works):
    n = len(homes)
    data = {S.COORD_SYSTEM: [""] * n}
    for dim in S.DIMENSIONS:
        data[S.text_col(dim)] = {S.DIMENSIONS[0]: homes, S.DIMENSIONS[1]: works}.get(dim, [""] * n)
        data[S.lng_col(dim)] = [np.nan] * n
        data[S.lat_col(dim)] = [np.nan] * n
    return pd.DataFrame(data)


def test_resolve_records_does_not_geocode_rows_with_coordinates(fake):
    records = _records(["芳甸路188号", "文三路90号"], ["", ""])
    records.loc[1, [S.lng_col(S.DIMENSIONS[0]), S.lat_col(S.DIMENSIONS[0])]] = [121.4953, 31.2418]
    out = resolve_records(records, geocoder=amap(fake))
    assert fake.addresses() == ["芳甸路188号"]
    home = out[out["dimension"] == S.DIMENSIONS[0]].set_index("row")
    assert home.loc[0, "method"] == "geocoder_amap" and home.loc[1, "method"] == "point"


def test_resolve_records_passes_geocoder_and_stops_after_error(fake):
    records = _records(["芳甸路188号", "浦东"], ["漕溪北路88号", ""])
    out = resolve_records(records, geocoder=amap(fake))
    methods = dict(zip(zip(out["row"], out["dimension"]), out["method"]))
    assert methods[(0, S.DIMENSIONS[0])] == "geocoder_amap" and methods[(0, S.DIMENSIONS[1])] == "geocoder_amap"
    assert GEOCODER_ERROR not in out.attrs
    fake.requests.clear()
    fake.script = ["quota"]
    failed = resolve_records(records, geocoder=amap(fake))
    assert len(fake.requests) == 1 and "用完" in failed.attrs[GEOCODER_ERROR]
    pd.testing.assert_frame_equal(failed, resolve_records(records))


# --------------------------------------------------------------------------- configuration


def test_geocoder_from_env(monkeypatch):
    for name in (G.ENV_AMAP_KEY, G.ENV_BAIDU_AK, G.ENV_BASE_URL, G.ENV_QPS):
        monkeypatch.delenv(name, raising=False)
    assert G.geocoder_from_env() is None
    monkeypatch.setenv(G.ENV_BAIDU_AK, "ak")
    geo = G.geocoder_from_env()
    assert isinstance(geo, G.BaiduGeocoder) and geo.base_url == G.BAIDU_URL
    assert geo.limiter.interval == pytest.approx(1 / 3)
    monkeypatch.setenv(G.ENV_AMAP_KEY, "k")
    monkeypatch.setenv(G.ENV_BASE_URL, "http://127.0.0.1:9/")
    monkeypatch.setenv(G.ENV_QPS, "10")
    geo = G.geocoder_from_env()
    assert isinstance(geo, G.AmapGeocoder) and geo.base_url == "http://127.0.0.1:9"
    assert geo.limiter.interval == pytest.approx(0.1)
    monkeypatch.setenv(G.ENV_QPS, "fast")
    assert G.geocoder_from_env().limiter.interval == pytest.approx(1 / 3)
    assert G.geocoder_from_env({}) is None
    assert isinstance(G.geocoder_from_env({G.ENV_AMAP_KEY: " "} | {G.ENV_BAIDU_AK: "x"}), G.BaiduGeocoder)


def test_geocoder_from_env_works_against_the_fake_server(fake, monkeypatch):
    monkeypatch.setenv(G.ENV_AMAP_KEY, KEY)
    monkeypatch.setenv(G.ENV_BASE_URL, fake.url)
    monkeypatch.delenv(G.ENV_BAIDU_AK, raising=False)
    out = resolve_texts(["芳甸路188号"], geocoder=G.geocoder_from_env())
    assert out.loc[0, "method"] == "geocoder_amap" and len(fake.requests) == 1
