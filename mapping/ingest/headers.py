"""Which file header is which canonical column, with a confidence.

Exact aliases (:data:`mapping.schema.HEADER_ALIASES`) first; then token rules for the
location columns (居住/家/小区 → home, 工作/单位/公司 → work, 休闲/娱乐/常去/周末 →
leisure; 经度/纬度 → coordinates); then an alias contained in the header; then the
closest alias spelling.  A column no rule claims but whose values look like places is
pointed out by :func:`place_like_columns`, so no location column is left out unseen.

Examples
--------
>>> auto_map(["来访日期", "休闲娱乐区域", "工作单位地址", "居住小区名称"])
{'visit_date': '来访日期', 'leisure_text': '休闲娱乐区域', 'work_text': '工作单位地址', 'home_text': '居住小区名称'}
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from functools import lru_cache

import opencc
import pandas as pd
from rapidfuzz import fuzz, process

from mapping import schema as S

_T2S = opencc.OpenCC("t2s")  # traditional → simplified, as place names are
AUTO_THRESHOLD = 0.75  # confidence from which auto_map uses a match without asking
EXACT, TOKENS, CONTAINED = 1.0, 0.9, 0.8
PLACE_VALUES = 0.6  # an unnamed column whose values look like places: proposed, not used

_HEADER_NOISE = re.compile(r"[\s_\-（）()\[\]【】:：/\\.*#,，、]")
_HEADER_UNIT = re.compile(r"(?:单位)?(?:万元|元|平方米|平米|㎡)$")


def norm_header(header: object) -> str:
    """A header as matched: full-width folded, traditional → simplified, lower case, no spaces,
    brackets or trailing unit (a Big5 export from a Hong Kong or Taiwan system says 到訪日期).

    Examples
    --------
    >>> norm_header("成交金额（单位：万元）"), norm_header("工作单位 地址"), norm_header("到訪日期")
    ('成交金额', '工作单位地址', '到访日期')
    """
    text = _T2S.convert(unicodedata.normalize("NFKC", str(header))).lower()
    return _HEADER_UNIT.sub("", _HEADER_NOISE.sub("", text))


_ALIAS_INDEX = {norm_header(a): c for c, aliases in S.HEADER_ALIASES.items() for a in aliases}
_CONTAINABLE = sorted((a for a in _ALIAS_INDEX if len(a) >= 3), key=len, reverse=True)

# --- token rules for the location columns -----------------------------------------------
DIMENSION_TOKENS: dict[str, tuple[str, ...]] = {
    S.HOME: ("居住", "现居", "住址", "家庭地址", "家住", "小区", "社区", "家", "住", "home", "residence"),
    S.WORK: ("工作", "单位", "公司", "办公", "上班", "企业", "就职", "任职", "work", "office", "company"),
    S.LEISURE: ("休闲", "娱乐", "生活", "常去", "周末", "商圈", "逛街", "购物", "消费", "游玩", "leisure",
                "shopping", "weekend"),
}
# tokens that say "a place" (a bare 家/工作/生活 header part is not enough: 家庭结构, 工作年限)
PLACE_TOKENS = ("地址", "住址", "区域", "地点", "地区", "位置", "小区", "社区", "商圈", "去处", "圈", "所在",
                "片区", "板块", "街道", "区县", "哪里", "常去", "地", "区", "address", "area", "place", "district")
LNG_TOKENS = ("经度", "longitude", "lng", "lon")
LAT_TOKENS = ("纬度", "latitude", "lat")


def _location_candidate(key: str) -> tuple[str, float, str] | None:
    lng = next((t for t in LNG_TOKENS if t in key), "")
    lat = next((t for t in LAT_TOKENS if t in key), "")
    place = next((t for t in PLACE_TOKENS if t in key), "")
    if not (lng or lat or place):
        return None
    column = S.lng_col if lng else S.lat_col if lat else S.text_col
    named = _dimension(key)
    if named is None:
        if lng or lat:
            return column(S.HOME), 0.5, f"列名含「{lng or lat}」但没有说明是居住、工作还是生活，暂按居住"
        return None
    dim, token = named
    what = "经度" if lng else "纬度" if lat else "地点"
    return column(dim), TOKENS, f"列名含「{token}」→ {S.DIMENSION_LABELS[dim]}{what}"


def _dimension(key: str) -> tuple[str, str] | None:
    """The dimension a header names and the token saying so; of several, the one with the
    longest token (家庭住址: 住址 beats 家) when that is unique, else None."""
    named: list[tuple[str, str]] = []
    for dim, tokens in DIMENSION_TOKENS.items():
        token = next((t for t in tokens if t in key), "")
        if token:
            named.append((dim, token))
    if len(named) <= 1:
        return named[0] if named else None
    named.sort(key=lambda n: len(n[1]), reverse=True)
    return named[0] if len(named[0][1]) > len(named[1][1]) else None


@lru_cache(maxsize=4096)
def header_candidates(header: str) -> tuple[tuple[str, float, str], ...]:
    """Candidates (canonical, confidence, reason) for one header, best first.

    Examples
    --------
    >>> header_candidates("周末去处")[0]
    ('leisure_text', 0.9, '列名含「周末」→ 生活娱乐地点')
    >>> header_candidates("家庭结构")[0][:2]
    ('family', 1.0)
    """
    key = norm_header(header)
    if not key or re.fullmatch(r"列\d+", key):
        return ()
    out = []
    if key in _ALIAS_INDEX:
        out.append((_ALIAS_INDEX[key], EXACT, "与常用列名一致"))
    location = _location_candidate(key)
    if location:
        out.append(location)
    alias = next((a for a in _CONTAINABLE if a in key and a != key), None)
    if alias:
        out.append((_ALIAS_INDEX[alias], CONTAINED, f"列名包含「{alias}」"))
    if len(key) >= 2:
        for alias, score, _ in process.extract(key, list(_ALIAS_INDEX), scorer=fuzz.ratio, score_cutoff=75, limit=3):
            out.append((_ALIAS_INDEX[alias], round(score / 100 - 0.1, 2), f"列名与「{alias}」相近"))
    best: dict[str, tuple[str, float, str]] = {}
    for cand in out:
        if cand[0] not in best or cand[1] > best[cand[0]][1]:
            best[cand[0]] = cand
    return tuple(sorted(best.values(), key=lambda c: -c[1]))


# --- assignment ------------------------------------------------------------------------
MAPPING_COLUMNS = ["header", "canonical", "confidence", "reason"]


def suggest_mapping(headers: Iterable[object], frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each header's canonical column with a confidence (0–1) and a reason in Chinese.

    A canonical column goes to one header only, the most confident (ties: the first
    header).  :func:`auto_map` uses the rows with ``confidence >= AUTO_THRESHOLD``.
    With ``frame`` (the file's cells), coordinate matches whose values are not numbers
    are demoted, and unnamed columns whose values look like places are proposed as a
    location column (confidence 0.6: shown, not used without the user).

    Parameters
    ----------
    headers : iterable
        The file's headers.
    frame : pandas.DataFrame, optional
        The cells, columns named by ``headers``.

    Returns
    -------
    pandas.DataFrame
        One row per header: header, canonical ("" when none), confidence, reason.

    Examples
    --------
    >>> suggest_mapping(["到访日期", "常去地点", "序号"]).to_dict("list")["canonical"]
    ['visit_date', 'leisure_text', '']
    """
    headers = [h for h in headers]
    cands = {i: list(header_candidates(str(h))) if h else [] for i, h in enumerate(headers)}
    if frame is not None:
        _check_values(headers, cands, frame)
    rows = _assign(headers, cands)
    return pd.DataFrame(rows, columns=MAPPING_COLUMNS)


def auto_map(headers: Iterable[object]) -> dict[str, str]:
    """Guess {canonical column: file header} from header names.

    Exact alias matches first, then token rules and close spellings above
    :data:`AUTO_THRESHOLD`; a header is used for one canonical column only.

    Examples
    --------
    >>> auto_map(["Visit Date", "家庭住址（小区）", "工作单位地址", "生活圈", "备注"])
    {'visit_date': 'Visit Date', 'home_text': '家庭住址（小区）', 'work_text': '工作单位地址', 'leisure_text': '生活圈'}
    """
    headers = [h for h in headers]
    cands = {i: list(header_candidates(str(h))) if h else [] for i, h in enumerate(headers)}
    rows = _assign(headers, cands)
    return {c: h for h, c, conf, _ in rows if c and conf >= AUTO_THRESHOLD}


def _assign(headers: list, cands: dict[int, list]) -> list[tuple]:
    pairs = sorted(((-conf, i, rank, canon, conf, reason) for i, cs in cands.items()
                    for rank, (canon, conf, reason) in enumerate(cs)), key=lambda p: p[:3])
    taken: dict[str, int] = {}
    chosen: dict[int, tuple] = {}
    for _neg, i, _rank, canon, conf, reason in pairs:
        if i in chosen or canon in taken:
            continue
        taken[canon] = i
        chosen[i] = (canon, conf, reason)
    rows = []
    for i, header in enumerate(headers):
        if i in chosen:
            canon, conf, reason = chosen[i]
        elif cands[i]:
            canon0 = cands[i][0][0]
            canon, conf = "", 0.0
            reason = f"像「{S.COLUMN_LABELS.get(canon0, canon0)}」，但这一项已对应到「{headers[taken[canon0]]}」"
        else:
            canon, conf, reason = "", 0.0, "未识别"
        rows.append((header, canon, conf, reason))
    return rows


def _check_values(headers: list, cands: dict[int, list], frame: pd.DataFrame) -> None:
    for i, header in enumerate(headers):
        if header not in frame.columns:
            continue
        values = _sample(frame[header])
        kept = []
        for canon, conf, reason in cands[i]:
            if canon.endswith(("_lng", "_lat")) and len(values) and _numeric_share(values) < 0.8:
                conf, reason = round(conf * 0.5, 2), reason + "；但取值大多不是数字"
            kept.append((canon, conf, reason))
        if not any(c[1] >= AUTO_THRESHOLD for c in kept):
            share = place_share(values)
            if share >= 0.5:
                kept.append((S.text_col(S.HOME), PLACE_VALUES, f"取值像地名（{share:.0%} 像小区、路、区、商圈等）"))
        cands[i] = sorted(kept, key=lambda c: -c[1])


# --- place-like values -----------------------------------------------------------------
_PLACE_END = re.compile(
    r"(区|县|市|路|街|道|镇|乡|村|弄|号|里|坊|苑|园|庭|府|邸|湾|城|墅|岛|港|站|场|楼|厦|馆|院|校|湖|山|寺|桥|"
    r"小区|广场|大厦|中心|商圈|公寓|花园|新村|大楼|大道|公园|商场|天地|附近|一带|周边|mall)$",
    re.IGNORECASE)
_NOT_PLACE = re.compile(r"^[\d\s.,:/\-+*年月日时分秒]+$|^1\d{2}\*{0,4}\d{4,8}$")


def _sample(values: pd.Series, n: int = 300) -> pd.Series:
    text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
    text = text[text != ""]
    return text.drop_duplicates().head(n)


def _numeric_share(values: pd.Series) -> float:
    return float(pd.to_numeric(values, errors="coerce").notna().mean()) if len(values) else 0.0


def place_share(values: pd.Series, known_places: Collection[str] = ()) -> float:
    """Share of the (distinct, non-empty) values that look like place names.

    A value looks like a place when it ends like one (区, 路, 镇, 小区, 广场, 大厦, 商圈…)
    or is in ``known_places`` (e.g. the gazetteer's names), and is not a number or date.

    Examples
    --------
    >>> place_share(pd.Series(["张江镇", "世纪公园", "仁恒河滨花园", "再联系", ""]))
    0.75
    >>> place_share(pd.Series(["金桥", "陆家嘴"]), known_places={"金桥", "陆家嘴"})
    1.0
    """
    sample = _sample(values)
    if sample.empty:
        return 0.0
    known = set(known_places)
    ok = sample.map(lambda v: not _NOT_PLACE.match(v) and (bool(_PLACE_END.search(v)) or v in known
                                                          or v.rstrip("附近周边") in known))
    return round(float(ok.mean()), 4)


def place_like_columns(table, mapping: dict[str, str], known_places: Collection[str] = ()) -> list[dict]:
    """Unmapped columns that look like a location, each with a proposed location column.

    A column qualifies when its header names a place (token rules, e.g. 常去地点) or at
    least half of its distinct values look like places (:func:`place_share`).  The
    proposal follows the header's dimension; without one, the first text location column
    (居住, 工作, 生活) the mapping leaves free.

    Parameters
    ----------
    table : Table or pandas.DataFrame
        From :func:`mapping.ingest.tables.read_table` (its ``frame`` is used) or the cells.
    mapping : dict
        {canonical: header} as the user has it now.
    known_places : collection of str, optional
        Place names to recognise besides the endings, e.g. the gazetteer's keys.

    Returns
    -------
    list of dict
        header, canonical, label, confidence, reason, examples (up to 3 values); the
        most confident first.

    Examples
    --------
    >>> frame = pd.DataFrame({"到访日期": ["2024-03-01"] * 3, "小区": ["汤臣一品", "仁恒滨江园", "金桥新村"],
    ...                       "常去地点": ["正大广场", "", "陆家嘴"], "备注": ["再联系", "价格高", "考虑中"]})
    >>> [(c["header"], c["canonical"]) for c in place_like_columns(frame, {"visit_date": "到访日期"})]
    [('小区', 'home_text'), ('常去地点', 'leisure_text')]
    """
    frame = getattr(table, "frame", table)
    used = {h for h in mapping.values() if h}
    free = [S.text_col(d) for d in S.DIMENSIONS if not mapping.get(S.text_col(d))]
    found = []
    for header in frame.columns:
        if header in used:
            continue
        by_name = next((c for c in header_candidates(str(header))
                        if c[0] in S.LOCATION_COLUMNS and c[1] >= 0.5), None)
        share = place_share(frame[header], known_places)
        if by_name is None and share < 0.5:
            continue
        if by_name:
            canonical, confidence, reason = by_name
            if share >= 0.5:
                reason += f"；{share:.0%} 的取值像地名"
        else:
            canonical = free[0] if free else ""
            confidence, reason = PLACE_VALUES, f"{share:.0%} 的取值像地名（小区、路、区、商圈等）"
        found.append({"header": header, "canonical": canonical, "label": S.COLUMN_LABELS.get(canonical, ""),
                      "confidence": confidence, "reason": reason,
                      "examples": _sample(frame[header], 3).tolist()})
    return sorted(found, key=lambda c: -c["confidence"])
