"""Resolve one normalised place string with the gazetteer (the text chain).

Order: saved user alias → junk → dictionary scan (province/city/district,
historic names, towns and landmarks of the project's city and of the cities
bordering it; longest match wins, road names such as 北京东路 or 天目山路 are not
taken for the place) → a bare 火车站/机场 as one of the city's own → the same
scan after correcting common typos → pinyin homophones → fuzzy match above a
threshold.  Below :data:`CONFIDENCE_MIN` a string is sent to review with its
candidates instead of being put on the map: a wrong district is worse than none.

Works for a project in any city: nothing here is specific to Shanghai; the
gazetteer (:mod:`mapping.place.gazetteer`) decides which names are known.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter

from pypinyin import Style, pinyin
from rapidfuzz import fuzz, process

from mapping import schema as S
from mapping.place import gazetteer as G
from mapping.place.placetext import is_junk, latin_key, typo_variant

CONFIDENCE_MIN = 0.6  # below it a match is a suggestion for review: a wrong district is worse than none

# How sure a match is, by how it was found.  Exact names rank above corrections
# (typo, homophone, fuzzy), and every correction stays above CONFIDENCE_MIN only
# when it started from a good match.
CONF_ALIAS = 1.0  # a person chose this place for this exact string on the review page
CONF_FULL_NAME = 0.95  # a full official name (浦东新区, 金桥镇): one place, wrong only if the visitor typed it wrong
CONF_LANDMARK = 0.9  # a landmark is one point, but namesakes (万达广场) stand in other districts and cities
CONF_SHORT_NAME = 0.85  # a short name (浦东, 金桥) is how people write, but several places may share it
CONF_OTHER_CITY = 0.9  # only another city or province is named (苏州): sure which, but it says no more than that
CONF_LATIN = 0.85  # a local name typed in pinyin (pudong): one place sounds like it, tones and spaces lost
CONF_HOMOPHONE = 0.8  # characters that sound like one local place (中山公圆): typed by ear, likely but a guess
TYPO_FACTOR = 0.9  # a known typo corrected (蒲东 → 浦东): the correction itself may be wrong
CONF_FAR_SHORT_MAX = 0.55  # a bare short name of a far-away district (滨江 → Hangzhou?): under CONFIDENCE_MIN, ask
FUZZY_MIN_SCORE = 90  # below this a fuzzy match only suggests candidates for review
FUZZY_CLOSE_FACTOR = 0.9  # fuzzy score ≥ FUZZY_MIN_SCORE: a close spelling stays on the map, a little less sure
FUZZY_FAR_FACTOR = 0.5  # below it: at most 0.95 × 0.89 × 0.5 ≈ 0.42, always under CONFIDENCE_MIN
FUZZY_CANDIDATE_SCORE = 60  # weaker fuzzy matches are not even listed as candidates
FUZZY_CANDIDATES = 3  # candidates shown on the review page for a fuzzy match
FUZZY_MIN_LEN = 3  # one or two characters are close to too many names to fuzzy-match
HOMOPHONE_MAX_LEN = 8  # homophone typos are a place name typed by ear, not an address

M_ALIAS, M_JUNK, M_DISTRICT, M_HISTORIC, M_TOWN, M_LANDMARK = (
    "alias", "junk", "district_name", "historic", "town", "landmark")
M_CITY, M_PROVINCE, M_AMBIGUOUS, M_CONFLICT = "city_only", "province_only", "ambiguous", "conflict"
M_TYPO, M_PINYIN, M_FUZZY, M_UNRESOLVED = "typo", "fuzzy_pinyin", "fuzzy", "unresolved"

_ROAD_AFTER = set("路街弄巷道桥里")
_ROAD_WORDS = ("大道", "大街", "公路", "环路")  # 天府大道, 中关村大街, 沪太公路, 二环路
_NUMBERED_ROAD = set("路街巷")  # 天府三街, 长江二路, 中山北路: a name, a numeral or direction, the road
_DIRECTION = set("东西南北中内外")  # 北京东路, 建国门外大街
_NUMERALS = set("一二三四五六七八九十")
_ROAD_START = _ROAD_AFTER | _DIRECTION | _NUMERALS | {w[0] for w in _ROAD_WORDS}


def _is_road(text: str, j: int) -> bool:
    """北京东路, 南京路, 四川北路, 天府大道, 天府三街: a place name used as a road name, not the place."""
    n = len(text)
    if j >= n or text[j] not in _ROAD_START:
        return False
    if text[j] in _ROAD_AFTER or text[j:j + 2] in _ROAD_WORDS:
        return True
    k = j + 1 if text[j] in _DIRECTION else j
    if k > j and k < n and (text[k] in _NUMBERED_ROAD or text[k:k + 2] in _ROAD_WORDS):
        return True  # 北京东路, 建国门外大街; not 奉贤南桥 (南桥 is a town of 奉贤)
    # One numeral: 天府三街, 二环路; two make the road's own name (八一路, 五四路), after a place name
    # that is the place: 崇明八一路.
    return (k + 1 < n and text[k] in _NUMERALS and text[k + 1] not in _NUMERALS
            and (text[k + 1] in _NUMBERED_ROAD or text[k + 1:k + 3] in _ROAD_WORDS))


def _survives_road(entry: G.Entry) -> bool:
    """A full official name stays itself before a road (金牛区一环路, 金桥镇路); a short name or a
    landmark is the road's name: 北京东路, 天目山路 (西湖区, not 临安's 天目山), 沿江大道 (not 江大)."""
    return entry.kind != G.LANDMARK and not entry.short


_KIND_METHOD = {G.DISTRICT: M_DISTRICT, G.HISTORIC: M_HISTORIC, G.TOWN: M_TOWN, G.LANDMARK: M_LANDMARK,
                G.CITY: M_CITY, G.PROVINCE: M_PROVINCE}


@dataclass
class Match:
    """What one string resolved to."""

    adcode: str = ""
    district: str = ""
    town_code: str = ""
    lng: float | None = None
    lat: float | None = None
    level: str = S.LEVEL_NONE
    method: str = M_UNRESOLVED
    confidence: float = 0.0
    candidates: str = ""
    outside: bool = False
    label: str = ""  # the gazetteer name that matched (shown on the review page)
    named_city: bool = False  # the string itself names a province or city
    short: bool = False  # matched by a short name (浦东, 昆山) rather than a full one
    neighbour: bool = False  # outside the city but in a neighbouring one (昆山, 嘉善…)
    coverage: float = 0.0  # share of the string the dictionary matches cover


def resolve_one(text: str, city: str, aliases: dict[str, dict] | None = None) -> Match:
    """Resolve a normalised string for a project in ``city`` (6-digit adcode)."""
    if not text:
        return Match(method="empty")
    if aliases and text in aliases:
        return _from_alias(aliases[text], city)
    gaz = G.index(city)
    latin = latin_key(text)
    if latin:
        found = _by_pinyin([latin], gaz, city, confidence=CONF_LATIN)
        return found if found.adcode else Match(method=M_JUNK if is_junk(text) else M_UNRESOLVED)
    found = _scan(text, gaz, city)
    if found.method == M_UNRESOLVED and is_junk(text):
        return Match(method=M_JUNK)
    if found.method == M_UNRESOLVED and text in gaz.by_type:
        return _one_of_a_kind(text, gaz)
    if len(text) <= HOMOPHONE_MAX_LEN and (found.coverage < 1 or (found.outside and found.short
                                                                  and not found.named_city)):
        # 中山公圆 sounds exactly like 中山公园; 常宁 (Hunan) like 长宁 — a local homophone wins.
        same_sound = _by_pinyin(_readings(text), gaz, city, confidence=CONF_HOMOPHONE)
        if same_sound.adcode and not same_sound.outside:
            if not (found.neighbour and found.coverage == 1):
                return _apply_threshold(same_sound)
            # A neighbouring district by its short name (青浦 for a Suzhou project) is well known and
            # stays.  A neighbour's town by its exact name or a local one typed by ear: 辛庄 (常熟) or
            # 莘庄 (闵行) in a Shanghai project, 大朗 (东莞) or 大浪 (龙华) in a Shenzhen one: ask a person.
            if found.method != M_DISTRICT and same_sound.adcode != found.adcode:
                return Match(method=M_AMBIGUOUS, candidates=f"{same_sound.adcode}|{found.adcode}", label=text)
    if found.method == M_UNRESOLVED or (found.outside and not found.named_city):
        # "蒲东", or "黄埔" alone in a Shanghai project: a typo is likelier than Guangzhou.
        fixed = typo_variant(text, city)
        retry = _scan(fixed, gaz, city) if fixed != text else Match()
        if retry.method != M_UNRESOLVED and (found.method == M_UNRESOLVED or not retry.outside):
            found = retry
            found.method, found.confidence = M_TYPO, round(found.confidence * TYPO_FACTOR, 3)
    if found.method == M_UNRESOLVED:
        found = _fuzzy(text, gaz, city)
    if found.outside and found.short and not found.named_city and not found.neighbour:
        # A bare short name of a far-away district (滨江 → Hangzhou?) in a Shanghai project: ask a person.
        found.confidence = min(found.confidence, CONF_FAR_SHORT_MAX)
    return _apply_threshold(found)


def _one_of_a_kind(text: str, gaz: G.Gazetteer) -> Match:
    """火车站, 机场: one of the city's stations or airports.  One of them, or several in one district,
    says where; several districts are for a person to choose from."""
    landmarks = gaz.by_type[text]
    districts = list(dict.fromkeys(a for e in landmarks for a in (e.adcode, *e.ambiguous)))
    if len(districts) > 1:
        return Match(method=M_AMBIGUOUS, candidates="|".join(districts), label=text)
    only = landmarks[0] if len(landmarks) == 1 else None
    return Match(adcode=districts[0], district=gaz.district_names.get(districts[0], ""),
                 lng=only.lng if only else None, lat=only.lat if only else None,
                 level=S.LEVEL_POI if only else S.LEVEL_DISTRICT, method=M_LANDMARK, confidence=CONF_SHORT_NAME,
                 label=only.name if only else text)


def _apply_threshold(found: Match) -> Match:
    if found.adcode and found.confidence < CONFIDENCE_MIN:
        found.candidates = found.candidates or found.adcode
        found.adcode, found.district, found.town_code = "", "", ""
        found.lng = found.lat = None
        found.level = S.LEVEL_NONE
    return found


def _from_alias(alias: dict, city: str) -> Match:
    adcode = alias.get("adcode", "")
    gaz = G.index(city)
    return Match(adcode=adcode, district=gaz.district_names.get(adcode, ""), lng=alias.get("lng"),
                 lat=alias.get("lat"), level=S.LEVEL_POI if alias.get("lng") is not None else S.LEVEL_DISTRICT,
                 method=M_ALIAS, confidence=CONF_ALIAS, outside=bool(adcode) and not _in_city(adcode, city),
                 label=alias.get("label", ""))


def _in_city(adcode: str, city: str) -> bool:
    return adcode.startswith(G.city_prefix(city))


# --------------------------------------------------------------------------- scanning
def _matches(text: str, gaz: G.Gazetteer) -> list[tuple[int, int, list[G.Entry]]]:
    """Non-overlapping dictionary matches, longest first.

    Walks the gazetteer's character trie from each position and stops at the first
    character no key continues with: a lookup or two per character instead of one
    per possible key length (keys run to 38 characters).  Finds exactly the matches
    of :func:`_matches_reference`.
    """
    found = []
    n = len(text)
    trie = gaz.trie()
    for i, char in enumerate(text):
        node = trie.get(char)
        j = i + 1
        while node is not None:
            children, entries = node
            if entries is not None:  # text[i:j] is a key
                if j < n and text[j] in _ROAD_START and _is_road(text, j):
                    entries = [e for e in entries if _survives_road(e)]  # may leave none: see below
                found.append((i, j, entries))
            if j == n:
                break
            node = children.get(text[j])
            j += 1
    if len(found) < 2:
        return [m for m in found if m[2]]
    # Longest first, then leftmost; (length, start) identifies a match.  A position once
    # covered is taken: the same as _non_overlapping, without comparing every pair.  A name
    # the road rule emptied still covers its characters (see _parts_of).
    found.sort(key=_longest_first)
    taken = []
    used = bytearray(n)
    for match in found:
        i, j, entries = match
        if 1 not in used[i:j]:
            used[i:j] = b"\x01" * (j - i)
            if entries:
                taken.append(match)
            else:
                taken.extend(_parts_of(found, i, j))
    taken.sort(key=_start)
    return taken


def _parts_of(found: list[tuple[int, int, list[G.Entry]]], i: int, j: int) -> list[tuple[int, int, list[G.Entry]]]:
    """The names a road name (``text[i:j]``, emptied by the road rule) is made of, when they make it up
    entirely: 浦东金桥 before 路 is 浦东 and 金桥 (a road name itself), so 浦东 counts; 陆家嘴 before 环路 is
    not 陆家 (a town of 昆山) and 嘴, so nothing inside it counts.  ``found`` is longest first."""
    covered = bytearray(j - i)
    parts = []
    for a, b, entries in found:
        if i <= a and b <= j and b - a < j - i and 1 not in covered[a - i:b - i]:
            covered[a - i:b - i] = b"\x01" * (b - a)
            parts.append((a, b, entries))
    return [] if 0 in covered else [m for m in parts if m[2]]


def _longest_first(match: tuple[int, int, list[G.Entry]]) -> tuple[int, int]:
    return match[0] - match[1], match[0]


_start = itemgetter(0)


def _matches_reference(text: str, gaz: G.Gazetteer) -> list[tuple[int, int, list[G.Entry]]]:
    """The plain scan :func:`_matches` must agree with: every length at every position."""
    found = []
    n = len(text)
    for i in range(n):
        for j in range(min(n, i + gaz.max_key), i + 1, -1):
            entries = gaz.names.get(text[i:j])
            if not entries:
                continue
            if _is_road(text, j):
                entries = [e for e in entries if _survives_road(e)]
            found.append((i, j, entries))
    return _non_overlapping(found)


def _non_overlapping(found: list[tuple[int, int, list[G.Entry]]]) -> list[tuple[int, int, list[G.Entry]]]:
    # (length, start) identifies a match, so the order the matches were found in does not matter.
    found.sort(key=lambda m: (-(m[1] - m[0]), m[0]))
    taken: list[tuple[int, int, list[G.Entry]]] = []
    for i, j, entries in found:
        if all(j <= a or i >= b for a, b, _ in taken):
            taken.append((i, j, entries))
    out = []
    for i, j, entries in taken:
        if entries:
            out.append((i, j, entries))
            continue
        inner: list[tuple[int, int, list[G.Entry]]] = []  # a road name: the names it is made of, if any
        for a, b, parts in found:
            if i <= a and b <= j and (a, b) != (i, j) and all(b <= c or a >= d for c, d, _ in inner):
                inner.append((a, b, parts))
        if sum(b - a for a, b, _ in inner) == j - i:
            out.extend(m for m in inner if m[2])
    return sorted(out, key=lambda m: m[0])


def _scan(text: str, gaz: G.Gazetteer, city: str) -> Match:
    """What the dictionary matches in ``text`` say, remembered by which names matched.

    Everything after the scan depends on the matched names (and, when a name is cut
    down by the road rule, on that; and on a county suffix right after a name, 武昌县
    against 武昌区, see :func:`_former_name`), not on the rest of the text, except the
    share of the text covered, recomputed every time, and two cases that read the
    text itself (an ambiguous name labelled with the text; the town after a district
    outside the city), which are never remembered.  So 上海市浦东新区金桥路12号 and
    …金桥路13号 share one answer.  Gives exactly what :func:`_scan_reference` gives.
    """
    matches = _matches(text, gaz)
    if not matches:
        return Match()
    # A cut-down list is shorter; what follows a name counts only when it is a county suffix or a
    # common word (see _interpret_matches).
    key = (city, *[(text[i:j], len(entries), text[j:j + 1] in _COUNTY_SUFFIXES, _generic_after(text, j))
                   for i, j, entries in matches])
    memo = gaz.memo
    known = memo.get(key)
    if known is None:
        found, reuse = _interpret_matches(text, gaz, city, matches)
        if reuse == _REUSE_NEVER:
            return found
        if len(memo) >= _MEMO_MAX:
            memo.clear()
        memo[key] = (_copy(found), reuse)
        return found
    template, reuse = known
    found = _copy(template)
    if reuse == _REUSE_COVERAGE:
        found.coverage = sum(j - i for i, j, _ in matches) / len(text)
    return found


# Endings of a residential estate's name (小区名): what comes before them is where it is, then its brand.
_ESTATE_SUFFIXES = ("家园", "花园", "小区", "新村", "公寓", "公馆", "山庄", "苑")
_MEMO_MAX = 50_000  # patterns remembered per city before the memo starts over (~0.5 KB each; 20,000 strings: ~1,000)
_REUSE_NEVER, _REUSE_AS_IS, _REUSE_COVERAGE = 0, 1, 2


def _copy(found: Match) -> Match:
    copy = Match.__new__(Match)
    copy.__dict__.update(found.__dict__)
    return copy


def _scan_reference(text: str, gaz: G.Gazetteer, city: str) -> Match:
    """The scan without the memo or the trie: what :func:`_scan` must give."""
    matches = _matches_reference(text, gaz)
    if not matches:
        return Match()
    return _interpret_matches(text, gaz, city, matches)[0]


def _interpret_matches(text: str, gaz: G.Gazetteer, city: str, matches) -> tuple[Match, int]:
    """The match for ``matches`` in ``text``, and whether it may be reused for other texts (``_REUSE_*``)."""
    matches = _confirmed_prefixes(matches)
    provinces, cities = _explicit_context(matches)
    picks = [_choose(entries, provinces, cities, city, gaz) for _, _, entries in matches]
    chosen = [c for c in picks if c is not None]
    if any(c.kind in (G.DISTRICT, G.HISTORIC) and _in_city(c.adcode, city) for c in chosen):
        # "普陀区金沙江路": a local district is named, so 金沙 is not the town near Nantong.
        chosen = [c for c in chosen if _in_city(c.adcode or c.city_adcode, city) or not c.short]
    if not chosen:
        # 虹桥: a 虹桥街道 in 长宁 and a 虹桥镇 in 闵行, and nothing says which; 许村 near Hangzhou: one in
        # 海宁 (嘉兴) and one in 歙县 (黄山), both neighbours.
        named = {e.adcode for _, _, entries in matches for e in entries if e.adcode}
        shared = sorted(a for a in named if _in_city(a, city))
        if len(shared) < 2:
            shared = sorted(a for a in named if _in_city(a, city) or gaz.is_neighbour(a))
        if len(shared) > 1:
            return Match(method=M_AMBIGUOUS, candidates="|".join(shared), label=text), _REUSE_NEVER
        return Match(), _REUSE_AS_IS
    specific = max(chosen, key=lambda e: (G.KIND_RANK[e.kind], not e.short))
    # A district named now must agree with the place; a former one only says roughly where, so the
    # place decides: 江干 (merged and split in 2021) with 下沙, 武昌县 (now 江夏区, not 武昌区) with 纸坊.
    former = {id(pick) for (_, j, _), pick in zip(matches, picks) if pick is not None and _former_name(pick, text, j)}
    districts = {e.adcode for e in chosen if e.kind == G.DISTRICT and id(e) not in former}
    if specific.kind in (G.DISTRICT, G.HISTORIC):
        districts |= {e.adcode for e in chosen if e.kind in (G.DISTRICT, G.HISTORIC)}
    rivals = [e for e in chosen if e.kind == G.LANDMARK and not e.ambiguous]
    by_ending = False
    if specific in rivals and len({e.adcode for e in rivals}) > 1:
        # 中国美院象山校区: the academy (上城) and its campus (西湖); 碧云新天地家园: 碧云 (浦东) and 新天地
        # (黄浦) in an estate's name.  A named district may say which; else ask a person.
        agreeing = {e.adcode: e for e in rivals if e.adcode in districts}
        estate = not districts and text.endswith(_ESTATE_SUFFIXES)
        if len(agreeing) != 1 and not estate:
            return Match(method=M_CONFLICT, candidates="|".join(sorted({e.adcode for e in rivals} | districts)),
                         label=text), _REUSE_NEVER
        if len(agreeing) == 1:
            specific = next(iter(agreeing.values()))
        else:
            # an estate's name says where it is first and brands it after: 碧云新天地家园 is at 碧云, not at
            # 新天地 (the memo keys on the matches, not on the ending: never reuse this answer)
            start = {id(pick): i for (i, _, _), pick in zip(matches, picks) if pick is not None}
            specific, by_ending = min(rivals, key=lambda e: start.get(id(e), len(text))), True
    reuse = _REUSE_NEVER if by_ending else _REUSE_COVERAGE
    if specific.kind in (G.CITY, G.PROVINCE):
        found = _coarse(specific, gaz, city)
    else:
        found = _interpret(specific, districts, _hints(specific, chosen, matches), gaz, city, text, matches)
        if specific.kind in (G.DISTRICT, G.HISTORIC) and not _in_city(specific.adcode, city):
            reuse = _REUSE_NEVER  # _interpret looked for a town in the text after the district
    if found.outside and specific.kind == G.TOWN and specific.short and any(
            specific in entries and _generic_after(text, j) for _, j, entries in matches):
        # 中山公园 in a Suzhou project: a park named 中山, not a town of Shanghai called 中山 and a park.
        found.confidence = min(found.confidence, CONF_FAR_SHORT_MAX)
    found.named_city = bool(provinces or cities)
    found.short = specific.short
    found.neighbour = gaz.is_neighbour(specific.adcode or specific.city_adcode)
    found.coverage = sum(j - i for i, j, _ in matches) / len(text)
    return found, reuse


_GENERIC_BY_FIRST = {c: tuple(w for w in G.GENERIC_SHORT if w[0] == c) for c in {w[0] for w in G.GENERIC_SHORT}}


def _generic_after(text: str, j: int) -> bool:
    """A common place word (公园, 广场, 新城…) follows ``text[:j]``: what came before names that place."""
    words = _GENERIC_BY_FIRST.get(text[j:j + 1])
    return words is not None and any(text.startswith(w, j) for w in words)


def _confirmed_prefixes(matches):
    """A name that is a province or city and also something else, followed by a place inside that
    province or city, is the province or city: 河北燕郊 is 燕郊 in Hebei, not 河北镇 (房山) and 燕郊."""
    out = list(matches)
    for k, (i, j, entries) in enumerate(matches):
        admin = [e for e in entries if e.kind in (G.PROVINCE, G.CITY)]
        if not admin or len(admin) == len(entries):
            continue
        later = [e for _, _, others in matches[k + 1:] for e in others if e.kind not in (G.PROVINCE, G.CITY)]
        confirmed = [a for a in admin if any(_inside(e, a) for e in later)]
        if confirmed:
            out[k] = (i, j, confirmed)
    return out


def _inside(entry: G.Entry, admin: G.Entry) -> bool:
    if admin.kind == G.PROVINCE:
        return entry.province_adcode == admin.province_adcode
    return _in_any(entry.adcode or entry.city_adcode, {admin.city_adcode})


def _in_any(code: str, cities: set[str]) -> bool:
    """``code`` lies in one of ``cities`` (city codes; a municipality's is its province code, 310000)."""
    return any(code.startswith(G.city_prefix(c)) for c in cities)


def _explicit_context(matches) -> tuple[set[str], set[str]]:
    provinces, cities = set(), set()
    for _, _, entries in matches:
        if all(e.kind in (G.PROVINCE, G.CITY) for e in entries):  # 北京市 is both
            provinces.update(e.province_adcode for e in entries)
            cities.update(e.city_adcode for e in entries if e.kind == G.CITY)
    return provinces, cities


def _choose(entries: list[G.Entry], provinces: set[str], cities: set[str], city: str,
            gaz: G.Gazetteer) -> G.Entry | None:
    """The entry a match most plausibly means, given the context the string gives.

    A city or province named in the string restricts the choice; without one the
    project's city wins (宝山 in a Shanghai project is Shanghai's).  Returns None
    when several places share the name and nothing says which.
    """
    pool = entries
    if cities or provinces:
        named = ([e for e in pool if _in_any(e.adcode or e.city_adcode, cities) or e.kind == G.PROVINCE] if cities
                 else [e for e in pool if e.province_adcode in provinces])
        # 苏州北站: the string names 苏州, so 北站 is not Shanghai's 北站街道 by its short name.  A full
        # name (北京市浦东新区) is kept: the visitor wrote it out.
        pool = named or [e for e in pool if not e.short]
        if not pool:
            return None
    else:
        # The project's city first, then its neighbours: 中山 near Guangzhou is 中山市, not 大连's 中山区.
        pool = ([e for e in pool if _in_city(e.adcode or e.city_adcode or e.province_adcode, city)]
                or [e for e in pool if gaz.is_neighbour(e.adcode or e.city_adcode)] or pool)
    if all(e.short for e in pool) and any(e.kind == G.DISTRICT for e in pool):
        # 白云 alone is 白云区, not 越秀's 白云街道: a bare short name means the district.
        pool = [e for e in pool if e.kind != G.TOWN]
    best = max(G.KIND_RANK[e.kind] for e in pool)
    pool = [e for e in pool if G.KIND_RANK[e.kind] == best]
    if len({e.adcode or e.city_adcode or e.province_adcode for e in pool}) > 1:
        return None
    return max(pool, key=lambda e: not e.short)


def _former_name(entry: G.Entry, text: str, end: int) -> bool:
    """A former unit: a historic name, or a district's short name written with another suffix (武昌县
    for the county that became 江夏区, beside today's 武昌区; 萧山市 for 萧山区)."""
    if entry.kind == G.HISTORIC:
        return True
    suffix = text[end:end + 1]
    return entry.kind == G.DISTRICT and entry.short and suffix in _COUNTY_SUFFIXES and not entry.name.endswith(suffix)


_COUNTY_SUFFIXES = set("区县市旗")


def _hints(specific: G.Entry, chosen: list[G.Entry], matches) -> set[str]:
    """Districts the rest of the string points to, to pick among the districts of an ambiguous landmark:
    every other place it names (华南理工大学五山校区: 五山 is in 天河), and a full official name the
    landmark's own key also is (新塘镇, the town in 增城, for the landmark 新塘 of 增城 and 天河)."""
    hints = {e.adcode for e in chosen if e.adcode and e is not specific and not e.ambiguous}
    for _, _, entries in matches:
        if specific in entries:
            hints |= {e.adcode for e in entries if e.kind in (G.TOWN, G.DISTRICT) and not e.short}
    return hints


def _interpret(specific: G.Entry, districts: set[str], hints: set[str], gaz: G.Gazetteer, city: str, text: str,
               matches) -> Match:
    adcode = specific.adcode
    confidence = CONF_SHORT_NAME if specific.short else CONF_FULL_NAME
    if specific.kind == G.LANDMARK and not specific.short:
        confidence = CONF_LANDMARK
    lng, lat = specific.lng, specific.lat
    if specific.ambiguous:
        named = (districts | hints) & ({specific.adcode} | set(specific.ambiguous))
        if len(named) == 1:
            adcode = named.pop()
            if adcode != specific.adcode:
                lng = lat = None
        else:
            return Match(method=M_AMBIGUOUS, candidates="|".join([specific.adcode, *specific.ambiguous]),
                         label=specific.name)
    elif districts and adcode not in districts and (zone := _hosting_zone(adcode, districts)):
        adcode = zone  # 苏州工业园区星湖街: the zone is named, the place lies in its host county (吴中区)
    elif districts and adcode not in districts:
        if specific.kind != G.TOWN or specific.short or any(d[:4] != adcode[:4] for d in districts):
            # "徐汇区五角场": the named district and the place disagree; ask a person.
            return Match(method=M_CONFLICT, candidates="|".join(sorted(districts | {adcode})), label=specific.name)
        # 余杭区临平街道: a town's full official name is one place, and a city redraws its districts
        # (临平街道 went to the new 临平区 in 2021), so the town decides, a little less sure.
        confidence = CONF_SHORT_NAME
    town_code = specific.town_code or _same_place_town(specific, matches)
    if specific.kind == G.TOWN and lng is None:
        lng, lat = _town_point(specific, gaz)
    level = {G.LANDMARK: S.LEVEL_POI, G.TOWN: S.LEVEL_TOWN}.get(specific.kind, S.LEVEL_DISTRICT)
    if lng is None and level == S.LEVEL_POI:
        level = S.LEVEL_DISTRICT
    outside = not _in_city(adcode, city)
    if outside and specific.kind in (G.DISTRICT, G.HISTORIC):
        town = _outside_town(text, matches, gaz, adcode)
        if town is not None:
            town_code, level, specific = town.town_code, S.LEVEL_TOWN, town
    return Match(adcode=adcode, district=gaz.district_names.get(adcode, gaz.city_names.get(adcode, "")),
                 town_code=town_code, lng=lng, lat=lat, level=level, method=_KIND_METHOD[specific.kind],
                 confidence=confidence, outside=outside, label=specific.name)


def _hosting_zone(adcode: str, districts: set[str]) -> str:
    """The functional zone among ``districts`` (苏州工业园区: no polygon of its own) whose host county is
    ``adcode``, or ""."""
    from mapping.geo import boundaries

    zones = []
    for code in districts - {adcode}:
        try:
            if boundaries.host_district(code) == adcode:  # a county is its own host
                zones.append(code)
        except ValueError:  # a code the national layer does not know: no host, so no zone
            continue
    return zones[0] if len(zones) == 1 else ""


def _same_place_town(specific: G.Entry, matches) -> str:
    """金桥镇 is both a town and a landmark: keep the landmark's point and the town's code."""
    for _, _, entries in matches:
        if specific in entries:
            for e in entries:
                if e.kind == G.TOWN and e.adcode == specific.adcode:
                    return e.town_code
    return ""


def _town_point(town: G.Entry, gaz: G.Gazetteer) -> tuple[float | None, float | None]:
    """A town has no polygon here; borrow the point of a landmark with its name in its district."""
    for key in (town.name.removesuffix("街道").removesuffix("镇").removesuffix("乡"), town.name):
        for e in gaz.names.get(key, []):
            if e.kind == G.LANDMARK and e.adcode == town.adcode:
                return e.lng, e.lat
    return None, None


def _outside_town(text: str, matches, gaz: G.Gazetteer, adcode: str) -> G.Entry | None:
    towns = gaz.towns_of(adcode)
    end = max(j for _, j, _ in matches)
    rest = text[end:]
    for size in range(len(rest), 1, -1):
        for start in range(0, len(rest) - size + 1):
            town = towns.get(rest[start:start + size])
            if town is not None:
                return town
    return None


def _coarse(specific: G.Entry, gaz: G.Gazetteer, city: str) -> Match:
    """Only a city or province was named (上海, 苏州, 江苏…)."""
    code = specific.city_adcode or specific.province_adcode
    if _in_city(code, city):
        return Match(level=S.LEVEL_CITY, method=_KIND_METHOD[specific.kind], label=specific.name)
    if specific.kind == G.CITY and code == specific.province_adcode:
        code = code[:2] + "0100"  # a municipality by its (first) city row, as 苏州 is 320500: 上海 → 310100
    name = gaz.city_names.get(code, specific.name)
    return Match(adcode=code, district=name, level=S.LEVEL_CITY, method=_KIND_METHOD[specific.kind],
                 confidence=CONF_OTHER_CITY, outside=True, label=specific.name)


# --------------------------------------------------------------------------- fuzzy
@lru_cache(maxsize=20_000)
def _char_readings(char: str) -> tuple[str, ...]:
    return tuple(pinyin(char, style=Style.NORMAL, heteronym=True)[0])


def _readings(text: str, limit: int = 16) -> list[str]:
    """Every pinyin reading of ``text`` (行 is xing or hang, 长 chang or zhang), at most ``limit``."""
    readings = [""]
    for char in text:
        readings = [r + o for r in readings for o in _char_readings(char)][:limit]
    return readings


@lru_cache(maxsize=4)
def _local_keys(city: str) -> tuple[list[str], dict[str, set[str]]]:
    gaz = G.index(city)
    keys = [k for k, entries in gaz.names.items()
            if any(e.kind in (G.DISTRICT, G.HISTORIC, G.TOWN, G.LANDMARK) and _in_city(e.adcode, city)
                   for e in entries)]
    by_pinyin: dict[str, set[str]] = {}
    for key in keys:
        for reading in _readings(key) if not latin_key(key) else [latin_key(key)]:
            by_pinyin.setdefault(reading, set()).add(key)
    return keys, by_pinyin


def _by_pinyin(readings: list[str], gaz: G.Gazetteer, city: str, confidence: float) -> Match:
    """The local place whose name sounds like one of ``readings``, if exactly one does."""
    _, by_pinyin = _local_keys(city)
    keys = set().union(*(by_pinyin.get(r, set()) for r in readings)) if readings else set()
    results = {k: _scan(k, gaz, city) for k in sorted(keys)}  # sorted: ties below go the same way every run
    adcodes = {r.adcode for r in results.values() if r.adcode}
    if len(adcodes) != 1:
        return Match(candidates="|".join(sorted(adcodes)))
    found = max(results.values(), key=lambda r: r.confidence)
    found.method, found.confidence = M_PINYIN, round(min(found.confidence, confidence), 3)
    return found


def _fuzzy(text: str, gaz: G.Gazetteer, city: str) -> Match:
    keys, _ = _local_keys(city)
    if len(text) > HOMOPHONE_MAX_LEN:  # shorter strings had their homophone check in resolve_one
        same_sound = _by_pinyin(_readings(text), gaz, city, confidence=CONF_HOMOPHONE)
        if same_sound.adcode:
            return same_sound
    if len(text) < FUZZY_MIN_LEN:
        return Match()
    best = process.extract(text, keys, scorer=fuzz.ratio, limit=FUZZY_CANDIDATES, score_cutoff=FUZZY_CANDIDATE_SCORE)
    if not best:
        return Match()
    key, score, _ = best[0]
    found = _scan(key, gaz, city)
    if not found.adcode:
        return Match()
    found.method = M_FUZZY
    factor = FUZZY_CLOSE_FACTOR if score >= FUZZY_MIN_SCORE else FUZZY_FAR_FACTOR
    found.confidence = round(found.confidence * score / 100 * factor, 3)
    others = [_scan(k, gaz, city).adcode for k, _, _ in best[1:]]
    found.candidates = "|".join(dict.fromkeys([found.adcode, *[o for o in others if o]]))
    return found
