"""Category values as sales offices type them, mapped to the app's values.

Four fields hold categories: the sales stage (客户状态 / 是否成交), the product line
(意向业态 and 成交业态), the intention grade and the channel.  A value is resolved in
this order:

1. the project's saved choice (``value_maps``: what the user picked last time);
2. the value itself when it is allowed (a project's product line, A/B/C/D, …);
3. the default aliases below, which every office uses (网签 → 签约, 叠拼 → 洋房, A级 → A);
4. otherwise it is *unknown*: the row is kept with a provisional value and the value
   is listed with a :func:`suggest`-ion for the user to confirm.

Channels are free text: they are never changed by default, and only spellings close to
a canonical channel (朋友介绍 → 老带新) are listed.

Examples
--------
>>> normalise_value(" Ａ级 ")
'a级'
>>> suggest("stage", "已网签")
'签约'
>>> is_deal(pd.Series(["来访", "认购", "签约", "退房", ""]), "认购").tolist()
[False, True, True, False, False]
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from mapping import schema as S

OTHER_LINE = "其他"
STAGE_FIELD, LINE_FIELD, INTENTION_FIELD, CHANNEL_FIELD = S.STAGE, S.PRODUCT_LINE, S.INTENTION, S.CHANNEL
TEAM_FIELD = S.TEAM  # 拓客人员/团队: free text like channels, never listed as unknown; a project may map spellings
VALUE_FIELDS = (STAGE_FIELD, LINE_FIELD, INTENTION_FIELD, CHANNEL_FIELD, TEAM_FIELD)
FREE_TEXT_FIELDS = (CHANNEL_FIELD, TEAM_FIELD)  # any target of the project's value map is taken
VALUE_FIELD_LABELS = {STAGE_FIELD: "客户状态（是否成交）", LINE_FIELD: "业态（意向/成交）",
                      INTENTION_FIELD: "意向等级", CHANNEL_FIELD: "到访渠道", TEAM_FIELD: "拓客人员/团队"}
FUZZY_CUTOFF = 70  # rapidfuzz ratio (0–100) a spelling needs to be suggested

# --- default value maps (applied without asking) ------------------------------------------
STAGE_ALIASES: dict[str, str] = {
    **dict.fromkeys(("来访", "到访", "首访", "复访", "来电", "未成交", "未认购", "未签约", "未购买", "未下定",
                     "意向", "跟进", "跟进中", "否", "无", "n", "no", "0", "false", "f", "×", "✗", "不是",
                     "没有", "未"), S.STAGE_VISIT),
    **dict.fromkeys(("认筹", "排卡", "诚意金", "vip卡", "vip", "意向金", "已认筹", "认筹中", "交筹", "验资", "办卡"),
                    S.STAGE_PLEDGE),
    **dict.fromkeys(("认购", "小订", "大定", "大订", "小定", "定金", "订金", "已认购", "下定", "已下定", "已定",
                     "成交", "已成交", "是", "y", "yes", "1", "true", "t", "已购", "已购买", "购买", "√", "✓",
                     "对"), S.STAGE_SUBSCRIBE),
    **dict.fromkeys(("签约", "网签", "草签", "已签约", "已网签", "已草签", "备案", "已备案", "合同", "已签",
                     "签合同", "回款", "已回款", "按揭", "全款"), S.STAGE_SIGN),
    **dict.fromkeys(("退房", "退订", "退定", "退筹", "撤销", "已退房", "已退订", "退款", "退认购", "退签", "作废"),
                    S.STAGE_REFUND),
}

# 平层 → 公寓, 叠拼 → 洋房, 小高层 → 高层, 联排 → 别墅, 底商 → 商铺 …: one table, in the schema
PRODUCT_LINE_ALIASES: dict[str, str] = S.PRODUCT_LINE_ALIASES

INTENTION_ALIASES: dict[str, str] = {
    form.format(g=g.lower()): g
    for g in S.INTENTION_GRADES
    for form in ("{g}", "{g}级", "{g}类", "{g}级客户", "{g}类客户", "{g}客户", "意向{g}", "{g}档", "{g}等")
}

CHANNEL_ALIASES: dict[str, str] = {
    **dict.fromkeys(("自然到访", "自然来访", "路过", "路过看到", "自然客", "自访", "上门", "路过进店"), "自然到访"),
    **dict.fromkeys(("拓客", "外拓", "派单", "巡展", "社区巡展", "企业拓客", "商圈快闪", "小蜜蜂", "渠道拓客",
                     "拓展"), "拓客"),
    **dict.fromkeys(("中介", "分销", "中介分销", "中介带看", "渠道分销", "经纪人", "链家", "贝壳", "我爱我家",
                     "房产中介"), "中介"),
    **dict.fromkeys(("老带新", "朋友", "朋友介绍", "老业主推荐", "老客户推荐", "亲友介绍", "业主推荐", "老业主", "老客户",
                     "转介绍", "朋友推荐", "熟人介绍"), "老带新"),
    **dict.fromkeys(("线上", "网络", "抖音", "微信", "朋友圈", "小红书", "网站", "安居客", "房天下", "直播",
                     "线上推广", "网络推广", "公众号", "视频号"), "线上"),
    **dict.fromkeys(("广告", "户外广告", "户外", "报纸", "电视", "电台", "广播", "围挡", "道旗", "公交广告",
                     "地铁广告", "短信"), "广告"),
    **dict.fromkeys(("电话邀约", "电话", "来电", "call客", "电call", "电话营销", "电销"), "电话邀约"),
    **dict.fromkeys(("其他", "其它"), "其他"),
}

# suggestions only, never applied without the user: these depend on an office's habits
INTENTION_HINTS: dict[str, str] = {
    "a+": "A", "高意向": "A", "强意向": "A", "意向强": "A", "意向高": "A", "中意向": "B", "意向中等": "B",
    "一般": "C", "意向一般": "C", "低意向": "D", "意向低": "D", "无意向": "D", "弱意向": "D",
}

DEFAULT_MAPS: dict[str, dict[str, str]] = {
    STAGE_FIELD: STAGE_ALIASES, LINE_FIELD: PRODUCT_LINE_ALIASES, INTENTION_FIELD: INTENTION_ALIASES,
    CHANNEL_FIELD: {}, TEAM_FIELD: {},
}
HINT_MAPS: dict[str, dict[str, str]] = {
    STAGE_FIELD: {}, LINE_FIELD: {}, INTENTION_FIELD: INTENTION_HINTS, CHANNEL_FIELD: CHANNEL_ALIASES, TEAM_FIELD: {},
}
_NEGATION = ("未", "没", "不", "无", "非")
_VALUE_NOISE = re.compile(r"[\s（）()\[\]【】「」『』\"'“”‘’:：,，.。、;；!！?？/\\\-_—~·]")


def normalise_value(raw: object) -> str:
    """The key a value is matched and saved by: full-width folded, lower case, no spaces or punctuation.

    Parameters
    ----------
    raw : object
        A cell as typed; None and NaN give "".

    Examples
    --------
    >>> normalise_value("已认购（定金）")
    '已认购定金'
    >>> normalise_value("VIP 卡")
    'vip卡'
    """
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return ""
    text = unicodedata.normalize("NFKC", str(raw)).strip().lower()
    return _VALUE_NOISE.sub("", text)[:200]


def choices(field: str, product_lines: Collection[str] = S.PRODUCT_LINES) -> list[str]:
    """The targets a user may pick for an unknown value of ``field``.

    Examples
    --------
    >>> choices("product_line", ("公寓", "洋房"))
    ['公寓', '洋房', '其他']
    >>> choices("intention")
    ['A', 'B', 'C', 'D', '']
    """
    if field == STAGE_FIELD:
        return list(S.STAGES)
    if field == LINE_FIELD:
        return [*product_lines, *([OTHER_LINE] if OTHER_LINE not in product_lines else [])]
    if field == INTENTION_FIELD:
        return [*S.INTENTION_GRADES, ""]
    if field == CHANNEL_FIELD:
        return list(S.CHANNELS)
    if field == TEAM_FIELD:
        return []  # free text: the project's teams are in mapping.db.operations, not here
    raise ValueError(f"'field' should be one of {', '.join(VALUE_FIELDS)}, got {field!r}")


def _key_index(table: Mapping[str, str]) -> dict[str, str]:
    return {normalise_value(k): v for k, v in table.items()}


_DEFAULT_INDEX = {f: _key_index(DEFAULT_MAPS[f]) for f in VALUE_FIELDS}  # applied without asking
_INDEX = {f: {**_key_index(HINT_MAPS[f]), **_DEFAULT_INDEX[f]} for f in VALUE_FIELDS}  # for suggestions


def suggest(field: str, raw: object, allowed: Collection[str] | None = None) -> str:
    """The best target for a value no rule knows, or "" when nothing is close enough.

    Tries the default and hint tables by the value as typed, then by its normalised key,
    then a table key contained in the value (the longest; not after 未/没/不), then the
    closest spelling (rapidfuzz ratio ≥ :data:`FUZZY_CUTOFF`).  Only targets in ``allowed``
    are proposed (default: :func:`choices` of ``field``); for product lines 其他 is never
    proposed, it is what an unknown line falls back to.

    Parameters
    ----------
    field : str
        One of :data:`VALUE_FIELDS`.
    raw : object
        The value as typed.
    allowed : collection of str, optional
        The targets the project accepts.

    Examples
    --------
    >>> suggest("product_line", "叠拼", allowed=("公寓", "洋房"))
    '洋房'
    >>> suggest("product_line", "独栋", allowed=("公寓", "洋房"))
    ''
    >>> suggest("channel", "亲戚介绍")
    '老带新'
    >>> suggest("stage", "未认购定金")
    '来访'
    """
    allowed = set(choices(field) if allowed is None else allowed) - {OTHER_LINE if field == LINE_FIELD else None}
    index = _INDEX[field]
    table = {**HINT_MAPS[field], **DEFAULT_MAPS[field]}
    key = normalise_value(raw)
    if not key:
        return ""
    lowered = {normalise_value(a): a for a in allowed}
    for target in (lowered.get(key), table.get(str(raw).strip()), index.get(key)):
        if target in allowed:
            return target
    for target in (*_contained(index, key, field), *_closest(index, lowered, key)):
        if target in allowed:
            return target
    return ""


def _contained(index: dict[str, str], key: str, field: str) -> list[str]:
    if key.startswith(_NEGATION):
        return []
    hits = [(len(k), S.STAGE_RANK.get(v, 0) if field == STAGE_FIELD else 0, v)
            for k, v in index.items() if len(k) >= 2 and k in key]
    return [v for *_, v in sorted(hits, reverse=True)]


def _closest(index: dict[str, str], allowed: dict[str, str], key: str) -> list[str]:
    if len(key) < 2:
        return []
    candidates = {**index, **allowed}
    found = process.extract(key, list(candidates), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=3)
    return [candidates[k] for k, _score, _i in found]


# --- resolving a column --------------------------------------------------------------------
EMPTY, PROJECT, CANONICAL, DEFAULT, UNKNOWN = "empty", "project", "canonical", "default", "unknown"


@dataclass(frozen=True)
class Resolved:
    """A column's values resolved: ``value`` (None where unknown), ``source`` per row (one of
    empty/project/canonical/default/unknown), ``key`` per row and a suggestion per unknown key."""

    value: pd.Series
    source: pd.Series
    key: pd.Series
    suggestions: dict[str, str]


def resolve(values: pd.Series, field: str, allowed: Collection[str], project_map: Mapping[str, str] | None = None,
            ) -> Resolved:
    """Resolve a column of raw category values, working on its unique values.

    Parameters
    ----------
    values : pandas.Series of str
        Cells as typed ("" for empty).
    field : str
        One of :data:`VALUE_FIELDS`.
    allowed : collection of str
        The values the project accepts (its product lines, the stages, A–D, the channels).
    project_map : mapping, optional
        The project's saved choices {normalised raw: target}; a target outside ``allowed``
        is ignored, except for channels, which are free text.

    Examples
    --------
    >>> r = resolve(pd.Series(["网签", "意向金", "", "签约"]), "stage", S.STAGES, {"意向金": "认筹"})
    >>> r.value.tolist(), r.source.tolist()
    (['签约', '认筹', None, '签约'], ['default', 'project', 'empty', 'canonical'])
    """
    allowed = list(allowed)
    lowered = {normalise_value(a): a for a in allowed}
    project_map = {normalise_value(k): v for k, v in (project_map or {}).items()}
    defaults = _DEFAULT_INDEX[field]
    codes, uniques = pd.factorize(values.fillna("").astype(str))
    keys = [normalise_value(raw) for raw in uniques]
    found, sources, suggestions = [], [], {}
    for raw, key in zip(uniques, keys):
        target, source = _resolve_one(key, field, allowed, lowered, project_map, defaults)
        found.append(target)
        sources.append(source)
        if source == UNKNOWN and key not in suggestions:
            suggestions[key] = suggest(field, raw, allowed)

    def spread(per_unique: list) -> pd.Series:
        return pd.Series(np.array(per_unique, dtype=object)[codes] if len(codes) else [], index=values.index,
                         dtype=object)

    return Resolved(value=spread(found), source=spread(sources), key=spread(keys), suggestions=suggestions)


def _resolve_one(key, field, allowed, lowered, project_map, defaults) -> tuple[str | None, str]:
    if not key:
        return None, EMPTY
    target = project_map.get(key)
    if target is not None and (target in allowed or target == "" or field in FREE_TEXT_FIELDS):
        return target, PROJECT
    if key in lowered:
        return lowered[key], CANONICAL
    target = defaults.get(key)
    if target is not None and target in allowed:
        return target, DEFAULT
    return None, UNKNOWN


# --- stages and deals ----------------------------------------------------------------------
def is_deal(stages: pd.Series, deal_stage: str = S.DEFAULT_DEAL_STAGE) -> pd.Series:
    """Whether each stage counts as 成交 when ``deal_stage`` is the first stage that does.

    The order is 来访 < 认筹 < 认购 < 签约; 退房 and "" never count.

    Parameters
    ----------
    stages : pandas.Series of str
        Stages as stored (one of :data:`mapping.schema.STAGES` or "").
    deal_stage : str
        认购 (most offices) or 签约.

    Raises
    ------
    ValueError
        ``deal_stage`` is not 认购 or 签约.

    Examples
    --------
    >>> is_deal(pd.Series(["认筹", "认购", "签约", "退房"]), "签约").tolist()
    [False, False, True, False]
    """
    if deal_stage not in S.DEAL_STAGES:
        raise ValueError(f"'deal_stage' should be one of {'/'.join(S.DEAL_STAGES)}, got {deal_stage!r}")
    rank = stages.map(S.STAGE_RANK).astype(float).fillna(-1)
    return pd.Series(rank.to_numpy() >= S.STAGE_RANK[deal_stage], index=stages.index)


def combine_stages(first: pd.Series, second: pd.Series) -> pd.Series:
    """One stage from two columns (客户状态 and 是否成交): 退房 if either says so, else the later one;
    None where neither is known.

    Examples
    --------
    >>> combine_stages(pd.Series(["签约", None, "退房", None]), pd.Series(["认购", "来访", "认购", None])).tolist()
    ['签约', '来访', '退房', None]
    """
    a, b = first.astype(object), second.astype(object)
    rank_a = a.map(S.STAGE_RANK).astype(float).fillna(-1)
    rank_b = b.map(S.STAGE_RANK).astype(float).fillna(-1)
    out = a.where(rank_a >= rank_b, b).where(a.notna(), b).where(b.notna(), a)
    refund = (a == S.STAGE_REFUND) | (b == S.STAGE_REFUND)
    return out.where(~refund, S.STAGE_REFUND).astype(object).where(out.notna(), None)


# --- the values no rule knows, for the user to choose ----------------------------------------
UNKNOWN_COLUMNS = ["field", "字段", "raw", "key", "rows", "example_rows", "suggestion", "choices"]


class Unknowns:
    """Collects unknown values over the columns of one file, grouped by (field, key).

    Examples
    --------
    >>> u = Unknowns()
    >>> u.add("stage", ["意向金", "意向金"], [4, 7], "认筹", ["来访", "认筹"])
    >>> u.frame()[["field", "raw", "rows", "example_rows", "suggestion"]].values.tolist()
    [['stage', '意向金', 2, '4、7', '认筹']]
    """

    def __init__(self) -> None:
        self._found: dict[tuple[str, str], dict] = {}

    def add(self, field: str, raws, row_numbers, suggestion: str, allowed: list[str]) -> None:
        """Record raw values (all with one key) seen at the given spreadsheet row numbers."""
        raws = list(raws)
        key = normalise_value(raws[0])
        entry = self._found.setdefault((field, key), {"raws": {}, "rows": set(), "suggestion": suggestion,
                                                      "choices": list(allowed)})
        for raw in raws:
            entry["raws"][raw] = entry["raws"].get(raw, 0) + 1
        entry["rows"].update(int(r) for r in row_numbers)

    def frame(self) -> pd.DataFrame:
        """One row per unknown value, fields in :data:`VALUE_FIELDS` order, most rows first."""
        rows = []
        for (field, key), e in self._found.items():
            numbers = sorted(e["rows"])
            rows.append({"field": field, "字段": VALUE_FIELD_LABELS.get(field, field),
                         "raw": max(e["raws"], key=e["raws"].get), "key": key, "rows": len(numbers),
                         "example_rows": "、".join(str(n) for n in numbers[:3]),
                         "suggestion": e["suggestion"], "choices": e["choices"]})
        out = pd.DataFrame(rows, columns=UNKNOWN_COLUMNS)
        if out.empty:
            return out
        order = out["field"].map({f: i for i, f in enumerate(VALUE_FIELDS)})
        out = out.assign(_o=order).sort_values(["_o", "rows", "key"], ascending=[True, False, True], kind="stable")
        return out.drop(columns="_o").reset_index(drop=True)
