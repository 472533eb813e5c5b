"""Optional online geocoding (高德 / 百度), the last step of text resolution.

Only strings the offline chain could not place (``unresolved``) or placed by a
guess (``fuzzy``) are sent, once each (the results go through the DB cache of
resolved strings).  Nothing here runs unless a key is configured::

    TUOKE_AMAP_KEY=…            # 高德 Web 服务 Key → AmapGeocoder (preferred)
    TUOKE_BAIDU_AK=…            # 百度地图 AK (服务端) → BaiduGeocoder
    TUOKE_GEOCODER_QPS=3        # requests per second (optional)
    TUOKE_GEOCODER_BASE_URL=…   # another endpoint, e.g. a proxy or a test server

Parsing is kept apart from the network: :func:`parse_amap` and
:func:`parse_baidu` are pure functions.  Coordinates come back in GCJ-02 (Amap)
or BD-09 (Baidu) and are converted to WGS-84 here.

Errors are :class:`GeocoderError` (message in Chinese for the UI), with
:class:`QuotaExceeded` and :class:`InvalidKey` as subclasses.  When a call of
:meth:`Geocoder.geocode_many` fails part-way, the exception carries what was
already resolved (``exc.results``) and which texts got a final answer
(``exc.done``), so nothing paid for is lost.
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Callable, Iterable

from mapping import schema as S
from mapping.geo.coords import bd09_to_wgs84, gcj02_to_wgs84
from mapping.place import textmatch as T
from mapping.place.gazetteer import admin_names, city_prefix

log = logging.getLogger(__name__)

# Same floor as the offline chain; below it a result is only a suggestion for review.
CONFIDENCE_FLOOR = T.CONFIDENCE_MIN
CONFIDENCE_CAP = 0.9  # a geocoder's reading of free text never beats a full gazetteer name (T.CONF_FULL_NAME)

AMAP_URL = "https://restapi.amap.com"
BAIDU_URL = "https://api.map.baidu.com"
AMAP_BATCH = 10  # the v3 geocoder takes at most 10 addresses per request
DEFAULT_QPS = 3.0

ENV_AMAP_KEY = "TUOKE_AMAP_KEY"
ENV_BAIDU_AK = "TUOKE_BAIDU_AK"
ENV_BASE_URL = "TUOKE_GEOCODER_BASE_URL"
ENV_QPS = "TUOKE_GEOCODER_QPS"

# Amap `level` → how sure we are of the point (and which of our levels it is).
AMAP_LEVEL_CONFIDENCE = {
    "门牌号": 0.85, "单元号": 0.85, "兴趣点": 0.85, "道路交叉路口": 0.85, "公交站台、地铁站": 0.85,
    "公交站台": 0.85, "地铁站": 0.85, "热点商圈": 0.8, "村庄": 0.8, "乡镇": 0.8, "道路": 0.75,
    "开发区": 0.7, "区县": 0.7, "市": 0.3, "省": 0.2, "国家": 0.1, "未知": 0.4,
}
AMAP_UNKNOWN_LEVEL = 0.5  # a level missing from the table: under the floor, so a person looks at it
BAIDU_SCALE = 0.8  # Baidu's 0–100 rates the point's accuracy, not whether it is the place meant: 100 → 0.8
BAIDU_NO_SCORE = 0.4  # no usable confidence in the answer: under the floor, a suggestion only
BAIDU_PRECISE_BONUS = 0.1  # precise=1 (an exact address or POI): lifts confidence 70 (< 300 m) over the floor
BAIDU_COARSE_MAX = 0.3  # only a city, province or country: never placed (Amap's 市 is 0.3 too)
BAIDU_DISTRICT_MAX = 0.7  # only a district or development zone: as sure as Amap's 区县
# Provider levels that only give an area, not a point.
_DISTRICT_LEVELS = {"区县", "开发区"}
_TOWN_LEVELS = {"乡镇"}
_COARSE_LEVELS = {"市", "城市", "省", "国家"}


# --------------------------------------------------------------------------- errors


class GeocoderError(Exception):
    """A geocoding call failed; ``str(exc)`` is a message for the user (Chinese).

    ``results`` holds what was resolved before the failure and ``done`` the texts
    that got a final answer (found or not found); both are filled by
    :meth:`Geocoder.geocode_many`.
    """

    def __init__(self, message: str, code: str | int | None = None):
        super().__init__(message)
        self.code = code
        self.results: dict[str, GeocodeResult] = {}
        self.done: list[str] = []


class QuotaExceeded(GeocoderError):
    """The daily / total quota of the key is used up: stop calling."""


class InvalidKey(GeocoderError):
    """The key is wrong, disabled, or not allowed from this server."""


class TemporaryError(GeocoderError):
    """Worth retrying: "too frequent", server busy (retried by the geocoder, then a plain GeocoderError)."""


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class GeocodeResult:
    """One geocoded string.  ``lng``/``lat`` are WGS-84."""

    text: str
    lng: float
    lat: float
    adcode: str  # district adcode ("" when unknown)
    district: str
    provider: str  # "amap" / "baidu"
    level: str  # the provider's own level (兴趣点, 门牌号, 商务大厦…)
    confidence: float
    address: str = ""  # the provider's formatted address, when it gives one

    @property
    def needs_review(self) -> bool:
        """Below the confidence floor: a suggestion for review, not a placement."""
        return self.confidence < CONFIDENCE_FLOOR

    @property
    def our_level(self) -> str:
        """The :mod:`mapping.schema` level: poi, town or district."""
        if self.level in _DISTRICT_LEVELS:
            return S.LEVEL_DISTRICT
        if self.level in _TOWN_LEVELS:
            return S.LEVEL_TOWN
        if self.level in _COARSE_LEVELS:
            return S.LEVEL_CITY
        return S.LEVEL_POI


def _field(value) -> str:
    """Amap gives ``[]`` for an empty field."""
    if value is None or isinstance(value, (list, dict)):
        return ""
    return str(value).strip()


def amap_confidence(level: str) -> float:
    return min(AMAP_LEVEL_CONFIDENCE.get(level, AMAP_UNKNOWN_LEVEL), CONFIDENCE_CAP)


def baidu_confidence(confidence, precise, level: str = "") -> float:
    """Baidu's ``confidence`` (0–100, point accuracy) scaled to 0–0.8, +0.1 when ``precise``.

    confidence 70 ≈ error < 300 m.  Capped at 0.9; area-level answers are capped lower.
    """
    try:
        value = float(confidence) / 100 * BAIDU_SCALE
    except (TypeError, ValueError):
        value = BAIDU_NO_SCORE
    if str(precise) == "1":
        value += BAIDU_PRECISE_BONUS
    value = min(max(value, 0.0), CONFIDENCE_CAP)
    if level in _COARSE_LEVELS:
        value = min(value, BAIDU_COARSE_MAX)
    elif level in _DISTRICT_LEVELS:
        value = min(value, BAIDU_DISTRICT_MAX)
    return round(value, 3)


def _district_of_point(lng: float, lat: float) -> tuple[str, str]:
    """(adcode, name) of the county-level district of China holding a WGS-84 point; ("", "") outside China."""
    from mapping.geo import boundaries

    code = str(boundaries.locate([lng], [lat])[0])
    return code, _district_name(code, "") if code else ""


def _district_name(adcode: str, fallback: str) -> str:
    return admin_names().get(adcode, fallback)


def parse_amap(payload: dict, texts: list[str]) -> dict[str, GeocodeResult]:
    """Results of one Amap batch answer for ``texts`` (in request order); failed items are left out.

    Raises the matching :class:`GeocoderError` when ``status`` is not "1".

    Examples
    --------
    >>> p = {"status": "1", "infocode": "10000", "geocodes": [{"adcode": "310115", "district": "浦东新区",
    ...      "location": "121.544346,31.221461", "level": "门牌号"}, {"location": []}]}
    >>> sorted(parse_amap(p, ["芳甸路188号", "???"]))
    ['芳甸路188号']
    """
    _check_amap(payload)
    geocodes = payload.get("geocodes") or []
    if len(geocodes) != len(texts):
        if not (len(texts) == 1 and geocodes):
            raise GeocoderError(f"高德地理编码返回 {len(geocodes)} 条结果，但请求了 {len(texts)} 个地址", "count")
        geocodes = geocodes[:1]
    out = {}
    for text, item in zip(texts, geocodes):
        if not isinstance(item, dict):
            continue
        location = _field(item.get("location"))
        try:
            g_lng, g_lat = (float(v) for v in location.split(","))
        except ValueError:
            continue  # a failed item of the batch
        lng, lat = gcj02_to_wgs84(g_lng, g_lat)
        lng, lat = round(float(lng), 6), round(float(lat), 6)
        level = _field(item.get("level"))
        adcode = _field(item.get("adcode"))
        district = _field(item.get("district"))
        if level in _COARSE_LEVELS:
            adcode, district = "", ""  # a city/province code is not a district
        elif not adcode:
            adcode, district = _district_of_point(lng, lat)
        out[text] = GeocodeResult(
            text=text, lng=lng, lat=lat, adcode=adcode, district=_district_name(adcode, district),
            provider="amap", level=level, confidence=amap_confidence(level),
            address=_field(item.get("formatted_address")))
    return out


def parse_baidu(payload: dict, text: str) -> GeocodeResult | None:
    """The result of one Baidu answer, or None when Baidu found nothing.

    The district comes from our own polygons of China (Baidu's geocoder gives no
    adcode): a point outside China gets adcode "".  Raises :class:`GeocoderError` on errors.
    """
    status = _baidu_status(payload)
    if status != 0:
        if _baidu_no_result(payload):
            return None
        _raise_baidu(payload)
    result = payload.get("result") or {}
    location = result.get("location") or {}
    try:
        b_lng, b_lat = float(location["lng"]), float(location["lat"])
    except (KeyError, TypeError, ValueError):
        return None
    lng, lat = bd09_to_wgs84(b_lng, b_lat)
    lng, lat = round(float(lng), 6), round(float(lat), 6)
    level = _field(result.get("level"))
    adcode, district = _district_of_point(lng, lat)
    return GeocodeResult(text=text, lng=lng, lat=lat, adcode=adcode, district=district, provider="baidu",
                         level=level, confidence=baidu_confidence(result.get("confidence"), result.get("precise"),
                                                                  level))


# --------------------------------------------------------------------------- provider error codes

_AMAP_RETRY = {"10004", "10014", "10015", "10016", "10019", "10020", "10021", "20003"}
_AMAP_QUOTA = {"10003", "10010", "10029", "10044", "10045"}
_AMAP_KEY = {"10001", "10002", "10005", "10006", "10007", "10008", "10009", "10012", "10013", "10041"}


def _check_amap(payload: dict) -> None:
    if str(payload.get("status")) == "1":
        return
    code = str(payload.get("infocode", ""))
    info = str(payload.get("info", ""))
    detail = f"{code} {info}".strip()
    if code in _AMAP_QUOTA:
        raise QuotaExceeded(f"高德地图 Key 的调用量已用完（{detail}）；已解析的地址已保存，其余地址留待配额恢复后再试", code)
    if code in _AMAP_KEY:
        raise InvalidKey(f"高德地图 Key 无效或无权使用地理编码服务（{detail}），请检查 {ENV_AMAP_KEY}", code)
    if code in _AMAP_RETRY:
        raise TemporaryError(f"高德地图请求过于频繁或服务繁忙（{detail}）", code)
    raise GeocoderError(f"高德地理编码失败（{detail or '未知错误'}）", code)


_BAIDU_KEY = {101, 102, 200, 201, 202, 203, 210, 211, 220, 230, 231, 232, 233, 240, 250, 251, 260, 261}
_BAIDU_QUOTA = {301, 302}
_BAIDU_RETRY = {1, 401, 402}


def _baidu_status(payload: dict) -> int:
    try:
        return int(payload.get("status"))
    except (TypeError, ValueError):
        return -1


def _baidu_no_result(payload: dict) -> bool:
    """Baidu answers "no match" with status 1 "无相关结果", and a bad address with status 2."""
    status = _baidu_status(payload)
    message = str(payload.get("msg") or payload.get("message") or "")
    return (status == 1 and "无相关结果" in message) or status == 2


def _raise_baidu(payload: dict) -> None:
    status = _baidu_status(payload)
    message = str(payload.get("msg") or payload.get("message") or "")
    detail = f"{status} {message}".strip()
    if status in _BAIDU_QUOTA:
        kind = "天配额" if status == 302 else "永久配额"
        raise QuotaExceeded(f"百度地图 AK 的{kind}已用完（{detail}）；已解析的地址已保存，其余地址留待配额恢复后再试",
                            status)
    if status in _BAIDU_KEY:
        raise InvalidKey(f"百度地图 AK 无效、未开通地理编码服务或服务器 IP 不在白名单（{detail}），请检查 {ENV_BAIDU_AK}",
                         status)
    if status in _BAIDU_RETRY:
        raise TemporaryError(f"百度地图服务繁忙或并发超限（{detail}）", status)
    raise GeocoderError(f"百度地理编码失败（{detail or '未知错误'}）", status)


# --------------------------------------------------------------------------- network


class RateLimiter:
    """At most ``qps`` calls per second: each :meth:`wait` starts 1/qps after the previous one."""

    def __init__(self, qps: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.interval = 1.0 / qps if qps and qps > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self._next = float("-inf")
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = self.clock()
            if self._next > now:
                self.sleep(self._next - now)
                now = self._next
            self._next = now + self.interval


class Geocoder:
    """Base of the providers: batching, rate limit, retries; see :meth:`geocode_many`."""

    name = ""
    label = ""
    batch_size = 1

    def __init__(self, key: str, base_url: str, qps: float = DEFAULT_QPS, timeout: float = 5.0, retries: int = 2,
                 backoff: float = 0.5, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, jitter: Callable[[], float] | None = None):
        if not key:
            raise InvalidKey(f"未配置{self.label}地图 Key")
        self.key = key
        self.base_url = base_url.rstrip("/")
        self.timeout, self.retries, self.backoff = float(timeout), max(int(retries), 0), float(backoff)
        self.sleep = sleep
        self.jitter = jitter or (lambda: random.uniform(0, 0.1))
        self.limiter = RateLimiter(qps, clock=clock, sleep=sleep)
        self.requests = 0  # HTTP requests sent (for tests and logs)

    def __repr__(self) -> str:  # never show the key
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    # -- public

    def geocode_many(self, texts: Iterable[str], city: str) -> dict[str, GeocodeResult]:
        """Geocode unique non-empty ``texts`` in ``city`` (6-digit adcode).

        Returns {text: result} for the texts found (low-confidence ones included,
        see :attr:`GeocodeResult.needs_review`).  On a :class:`GeocoderError` it stops
        (the rest of the batch is not sent) and the exception carries ``results`` and
        ``done`` so far.
        """
        todo = list(dict.fromkeys(t for t in texts if t and t.strip()))
        results: dict[str, GeocodeResult] = {}
        done: list[str] = []
        try:
            for start in range(0, len(todo), self.batch_size):
                chunk = todo[start:start + self.batch_size]
                results.update(self._geocode_chunk(chunk, city))
                done.extend(chunk)
        except GeocoderError as exc:
            exc.results, exc.done = results, done
            log.warning("%s geocoding stopped after %d of %d strings: %s", self.name, len(done), len(todo), exc)
            raise
        return results

    # -- for the providers

    def _geocode_chunk(self, texts: list[str], city: str) -> dict[str, GeocodeResult]:  # pragma: no cover
        raise NotImplementedError

    def _check(self, payload: dict) -> None:
        """Raise TemporaryError to retry, another GeocoderError to give up; provider specific."""

    def _get(self, path: str, params: dict) -> dict:
        """GET ``base_url + path`` and return the JSON object, retrying transient failures."""
        url = f"{self.base_url}{path}?{urllib.parse.urlencode(params)}"
        request = urllib.request.Request(url, headers={"User-Agent": "tuoke-map/1.0", "Accept": "application/json"})
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1) + self.jitter())
            self.limiter.wait()
            self.requests += 1
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    body = response.read()
                payload = json.loads(body.decode("utf-8"))
                if not isinstance(payload, dict):
                    raise ValueError("not a JSON object")
                self._check(payload)
                return payload
            except TemporaryError as exc:
                problem = str(exc)
            except urllib.error.HTTPError as exc:
                if exc.code < 500 and exc.code != 429:
                    raise GeocoderError(f"{self.label}地图服务返回 HTTP {exc.code}", exc.code) from None
                problem = f"{self.label}地图服务返回 HTTP {exc.code}"
            except (TimeoutError, socket.timeout):
                problem = f"{self.label}地图服务超时（{self.timeout:g} 秒）"
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                    problem = f"{self.label}地图服务超时（{self.timeout:g} 秒）"
                else:
                    problem = f"无法连接{self.label}地图服务（{exc.reason}）"
            except (ConnectionError, OSError) as exc:  # reset while reading…
                problem = f"与{self.label}地图服务的连接中断（{type(exc).__name__}）"
            except ValueError:
                problem = f"{self.label}地图服务返回的不是有效的 JSON"
            log.info("%s request failed (attempt %d of %d): %s", self.name, attempt + 1, self.retries + 1, problem)
        raise GeocoderError(f"{problem}；已重试 {self.retries} 次，暂停在线解析")


class AmapGeocoder(Geocoder):
    """高德 Web 服务地理编码 v3 (batch of up to 10 addresses, GCJ-02)."""

    name, label, batch_size = "amap", "高德", AMAP_BATCH

    def __init__(self, key: str, base_url: str = AMAP_URL, **kwargs):
        super().__init__(key, base_url, **kwargs)

    def _check(self, payload: dict) -> None:
        _check_amap(payload)

    def _geocode_chunk(self, texts: list[str], city: str) -> dict[str, GeocodeResult]:
        params = {"key": self.key, "address": "|".join(t.replace("|", " ") for t in texts), "city": city,
                  "batch": "true", "output": "JSON"}
        return parse_amap(self._get("/v3/geocode/geo", params), texts)


class BaiduGeocoder(Geocoder):
    """百度地图地理编码 v3 (one address per request, BD-09)."""

    name, label, batch_size = "baidu", "百度", 1

    def __init__(self, ak: str, base_url: str = BAIDU_URL, **kwargs):
        super().__init__(ak, base_url, **kwargs)

    def _check(self, payload: dict) -> None:
        if _baidu_status(payload) != 0 and not _baidu_no_result(payload):
            _raise_baidu(payload)

    def _geocode_chunk(self, texts: list[str], city: str) -> dict[str, GeocodeResult]:
        out = {}
        for text in texts:
            params = {"address": text, "output": "json", "ak": self.key}
            name = city_name(city)
            if name:
                params["city"] = name
            found = parse_baidu(self._get("/geocoding/v3/", params), text)
            if found is not None:
                out[text] = found
        return out


def city_name(city: str) -> str:
    """上海市 for 310000 or 310100 (Baidu wants a name, Amap takes the adcode)."""
    from mapping.place import gazetteer as G

    names = G.index(city).city_names
    for code in (city, city[:4] + "00", city[:2] + "0100"):
        if code in names:
            return names[code]
    return ""


def geocoder_from_env(environ: dict | None = None) -> Geocoder | None:
    """The geocoder configured by environment variables, or None (the default: offline only)."""
    env = os.environ if environ is None else environ
    base = env.get(ENV_BASE_URL, "").strip()
    try:
        qps = float(env.get(ENV_QPS, "") or DEFAULT_QPS)
    except ValueError:
        log.warning("%s=%r is not a number; using %s", ENV_QPS, env.get(ENV_QPS), DEFAULT_QPS)
        qps = DEFAULT_QPS
    amap = env.get(ENV_AMAP_KEY, "").strip()
    if amap:
        return AmapGeocoder(amap, base_url=base or AMAP_URL, qps=qps)
    baidu = env.get(ENV_BAIDU_AK, "").strip()
    if baidu:
        return BaiduGeocoder(baidu, base_url=base or BAIDU_URL, qps=qps)
    return None


# --------------------------------------------------------------------------- rows for the resolver

GEOCODED = "geocoded"  # extra key of a cached row: this provider was already asked about the string
GEOCODE_METHODS = (T.M_UNRESOLVED, T.M_FUZZY)  # never junk, ambiguous, conflict, empty or alias
MIN_TEXT_LEN = 3  # "张", "东边": too short to be an address


def method_of(provider: str) -> str:
    return f"geocoder_{provider}"


def wants_geocoding(text: str, row: dict, geocoder: Geocoder) -> bool:
    """Should ``text`` (whose offline result is ``row``) be sent to ``geocoder``?"""
    return (row.get("method") in GEOCODE_METHODS and len(text) >= MIN_TEXT_LEN
            and row.get(GEOCODED) != geocoder.name)


def result_row(row: dict, result: GeocodeResult | None, city: str, provider: str) -> dict:
    """The resolver row for a string after asking ``provider``.

    A confident result replaces ``row``; a weak one only adds its district to the
    candidates (the string stays on the review page); none leaves ``row``.  Every
    returned row is marked as asked, so the DB cache keeps it from being sent again.
    """
    marked = {**row, GEOCODED: provider}
    if result is None:
        return marked
    # No adcode: the point lies outside China's polygons, so outside the city too.
    if result.confidence < CONFIDENCE_FLOOR or result.our_level == S.LEVEL_CITY:
        if result.adcode:
            old = [c for c in str(row.get("candidates") or "").split("|") if c]
            marked["candidates"] = "|".join(dict.fromkeys([result.adcode, *old]))
        return marked
    level = result.our_level
    point = level != S.LEVEL_DISTRICT  # a district centre is not where the customer is
    return {
        "adcode": result.adcode, "district": result.district, "town_code": "",
        "lng": result.lng if point else None, "lat": result.lat if point else None,
        "level": level, "method": method_of(provider), "confidence": float(result.confidence), "candidates": "",
        "outside": not result.adcode.startswith(city_prefix(city)) if result.adcode else True,
        GEOCODED: provider,
    }


def geocode_rows(geocoder: Geocoder, rows: dict[str, dict], city: str) -> tuple[dict[str, dict], str]:
    """Ask ``geocoder`` about the strings of ``rows`` ({text: offline row}).

    Returns the new rows of the strings that got an answer (see :func:`result_row`)
    and the error message ("" when all went well).  After an error the strings not
    yet asked are left out, so they are tried again next time.
    """
    try:
        results = geocoder.geocode_many(list(rows), city)
        done, error = list(rows), ""
    except GeocoderError as exc:
        results, done, error = exc.results, exc.done, str(exc)
    return {t: result_row(rows[t], results.get(t), city, geocoder.name) for t in done}, error
