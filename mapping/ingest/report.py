"""The validation report: one line per problem, and its summary by reason.

Every line of a report names a *kind* of problem (column 问题, e.g. 到访日期无法识别),
which says whether the row was rejected, a value changed, or nothing but a note, and
what the user should do about it.  :func:`summarise` groups the lines by kind.
"""

from __future__ import annotations

import pandas as pd

REPORT_COLUMNS = ["行号", "列", "原值", "问题", "处理", "原因"]
SUMMARY_COLUMNS = ["原因", "处理", "类别", "行数", "示例行", "怎么办"]
REJECTED_KIND, FIXED_KIND, NOTE_KIND = "拒绝", "已修正", "提示"
EXAMPLE_ROWS = 5

# kind → (category, what to do).  拒绝: the row is not imported; 已修正: a value was changed or
# cleared and is worth a look; 提示: nothing was lost.
KINDS: dict[str, tuple[str, str]] = {
    "到访日期无法识别": (REJECTED_KIND, "把这些行的到访日期改成 2024-03-05 这样的日期，再导入一次（可下载被拒绝的行）"),
    "到访日期为空": (REJECTED_KIND, "补上到访日期后再导入；没有到访日期的行进不了地图"),
    "客户重复": (REJECTED_KIND, "同一客户只保留最后一行；若其实是不同客户，请给他们不同的客户编号"),
    "成交日期无法识别": (FIXED_KIND, "日期已留空；如要统计成交时间，请改成 2024-03-05 这样的日期"),
    "签约日期无法识别": (FIXED_KIND, "日期已留空；如要统计签约时间，请改成 2024-03-05 这样的日期"),
    "客户状态未识别": (FIXED_KIND, "在「未识别的取值」里选它对应的阶段（来访/认筹/认购/签约/退房），项目会记住"),
    "业态未识别": (FIXED_KIND, "在「未识别的取值」里选它属于本项目的哪个业态，项目会记住"),
    "意向等级未识别": (FIXED_KIND, "在「未识别的取值」里选对应的 A/B/C/D，或保持留空"),
    "成交金额无效": (FIXED_KIND, "金额已留空；请只填数字（单位万元），不要写文字"),
    "经纬度不完整": (FIXED_KIND, "补齐经度和纬度，或删掉坐标只保留文字地址"),
    "坐标超出范围": (FIXED_KIND, "检查这些坐标（经度 73~136、纬度 3~54）；文字地址仍会用来定位"),
    "坐标系无法识别": (FIXED_KIND, "在坐标系列写 WGS84/GCJ02/BD09（或 GPS/高德/百度）后再导入"),
    "Excel 日期序号": (NOTE_KIND, "无需处理，已转换为日期"),
    "业态同义词": (NOTE_KIND, "无需处理；如归类不对，可在项目的取值对应里修改"),
    "经纬度填反": (NOTE_KIND, "无需处理，已自动交换；下次导出时检查经纬度列的顺序"),
    "坐标系为空": (NOTE_KIND, "确认导入时选择的默认坐标系是对的（高德/腾讯为 GCJ02，百度为 BD09）"),
    "成交日期早于到访日期": (NOTE_KIND, "核对这些行的到访日期和成交日期（已按原样导入）"),
    "合计行": (NOTE_KIND, "无需处理，表尾的合计/小计行已跳过"),
    "意向面积无法识别": (NOTE_KIND, "原值已保留，计入「未填/无法识别」；改成 90㎡ 或 120-140 这样的写法后再导入即可分段"),
    "意向总价无法识别": (NOTE_KIND, "原值已保留，计入「未填/无法识别」；改成 300万 或 300-400万 这样的写法后再导入即可分段"),
    "身份证号无法识别": (NOTE_KIND, "这些行的籍贯留空（号码本身不显示、不保存）；如需籍贯，请核对号码后再导入"),
    "身份证号未读取": (NOTE_KIND, "无需处理；需要籍贯分析时，勾选「从身份证号推导籍贯」后再导入一次"),
}


def category(kind: str, action: str) -> str:
    """拒绝 / 已修正 / 提示 of a report line (a rejection is a rejection whatever its kind).

    Examples
    --------
    >>> category("客户重复", "拒绝"), category("业态同义词", "已统一"), category("新问题", "已清空")
    ('拒绝', '提示', '已修正')
    """
    if action == "拒绝":
        return REJECTED_KIND
    return KINDS.get(kind, (FIXED_KIND, ""))[0]


def summarise(report: pd.DataFrame) -> pd.DataFrame:
    """The report summarised by reason: rejections first, then by number of rows.

    Parameters
    ----------
    report : pandas.DataFrame
        ``IngestResult.report`` (columns :data:`REPORT_COLUMNS`).

    Returns
    -------
    pandas.DataFrame
        原因 (the kind of problem), 处理, 类别 (拒绝 / 已修正 / 提示), 行数 (distinct rows),
        示例行 (up to five row numbers), 怎么办 (one line of what to do).

    Examples
    --------
    >>> report = pd.DataFrame({"行号": [3, 4, 9], "列": ["来访日期", "来访日期", "意向产品"],
    ...                        "原值": ["下周二", "", "平层"], "问题": ["到访日期无法识别", "到访日期为空", "业态同义词"],
    ...                        "处理": ["拒绝", "拒绝", "已统一"], "原因": ["…", "…", "…"]})
    >>> summarise(report)[["原因", "类别", "行数", "示例行"]].values.tolist()
    [['到访日期为空', '拒绝', 1, '4'], ['到访日期无法识别', '拒绝', 1, '3'], ['业态同义词', '提示', 1, '9']]
    """
    if report.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    rows = []
    for (kind, action), group in report.groupby(["问题", "处理"], sort=False):
        numbers = sorted(set(group["行号"].astype(int)))
        rows.append({"原因": kind, "处理": action, "类别": category(kind, action), "行数": len(numbers),
                     "示例行": "、".join(str(n) for n in numbers[:EXAMPLE_ROWS]) + ("…" if len(numbers) > EXAMPLE_ROWS else ""),
                     "怎么办": KINDS.get(kind, ("", "按「原因」列逐行核对"))[1]})
    out = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    order = out["类别"].map({REJECTED_KIND: 0, FIXED_KIND: 1, NOTE_KIND: 2})
    out = out.assign(_o=order).sort_values(["_o", "行数", "原因"], ascending=[True, False, True], kind="stable")
    return out.drop(columns="_o").reset_index(drop=True)
