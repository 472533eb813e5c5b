"""A messy 来访明细 export, the way a sales office's CRM or a 案场 assistant hands it over.

Deterministic (``seed``); no real person is in it: names, phone tails and amounts are drawn
at random, places are public names of Shanghai compounds, office parks and malls.

What makes it messy, on purpose:

* a title row and an export-info row above the header, each merged across the sheet;
* headers the aliases do not list: 居住小区名称, 工作单位地址, 休闲娱乐区域, 客户状态, 意向产品;
* visit dates as Excel dates, Excel serial numbers, 2024/3/5, 2024.03.05, 2024年3月5日,
  20240305 and 2024-03-05 14:32; one visit date is 待定 (the only row to reject);
* phones masked by the CRM (138****5678), some empty;
* statuses 来访/复访/认筹/认购/定金/签约/网签/草签/退房 and empty;
* product names 平层/叠拼/小高层/别墅 beside 公寓/洋房; grades A, B级, C类, A级客户, 高意向;
* channels 朋友介绍, 路过, 抖音, 分销, 派单 … beside the canonical ones;
* amounts as 356.5 and 356.5万; a 合计 row at the bottom.

Run ``python tests/data/messy_export.py out.xlsx`` to write the file and try it on the import page.
Written for this project and under its licence; ``tests/test_messy_export.py`` uses it.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import sys

from openpyxl import Workbook

HEADERS = ["序号", "客户姓名", "联系电话", "来访日期", "来访次数", "意向产品", "客户等级", "来访渠道", "客户状态",
           "认购日期", "签约日期", "成交金额（万元）", "居住小区名称", "工作单位地址", "休闲娱乐区域", "置业顾问", "备注"]
PRODUCT_LINES = ("公寓", "洋房", "高层", "别墅")  # the project the file belongs to
DEAL_STATUSES = ("认购", "定金", "签约", "网签", "草签")
SIGNED_STATUSES = ("签约", "网签", "草签")
BAD_DATE_ROW = 137  # 序号 of the row whose visit date is 待定

STATUSES = (("来访", 42), ("复访", 6), ("认筹", 10), ("认购", 9), ("定金", 4), ("签约", 8), ("网签", 6),
            ("草签", 3), ("退房", 3), ("", 9))
PRODUCTS = (("平层", 24), ("叠拼", 18), ("小高层", 20), ("别墅", 10), ("公寓", 12), ("洋房", 12), ("", 4))
GRADES = (("A", 10), ("B级", 20), ("C类", 25), ("D", 15), ("A级客户", 5), ("B", 15), ("高意向", 3), ("", 7))
CHANNELS = (("自然到访", 18), ("朋友介绍", 10), ("路过", 8), ("抖音", 8), ("中介", 10), ("分销", 6), ("老带新", 8),
            ("派单", 8), ("户外广告", 4), ("电话邀约", 6), ("拓客", 10), ("售楼处看到", 2), ("", 2))
HOMES = ("仁恒河滨花园", "汤臣一品", "碧云国际社区", "金桥新村", "联洋年华", "世茂滨江花园", "中远两湾城", "古北国际花园",
         "万科城市花园", "御桥花园", "三林苑", "东方城市花园", "浦东金桥", "张江汤臣豪园", "陆家嘴中央公寓", "川沙新苑",
         "惠南镇", "徐汇区田林路", "闵行区莘庄", "")
WORKS = ("浦东新区张江高科技园区碧波路690号", "陆家嘴环路1000号恒生银行大厦", "金桥出口加工区", "漕河泾开发区",
         "外高桥保税区", "世纪大道100号环球金融中心", "张江药谷", "虹桥商务区", "徐汇区漕溪北路", "静安寺", "", "")
LEISURE = ("正大广场", "八佰伴", "陆家嘴", "世纪公园", "新天地", "五角场", "金桥国际商业广场", "前滩太古里", "徐家汇",
           "森兰商都", "")
ADVISERS = ("王晓丽", "陈思远", "刘婷", "张伟", "周敏")
NOTES = ("考虑学区", "价格偏高", "带父母来看", "再联系", "", "", "", "关注交房时间")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
PREFIXES = ("138", "139", "137", "136", "135", "150", "151", "158", "159", "186", "187", "188", "189", "177")


def _pick(rng: random.Random, weighted) -> str:
    values, weights = zip(*weighted)
    return rng.choices(values, weights=weights)[0]


def _date_cell(rng: random.Random, day: dt.date, with_time: bool = True):
    form = rng.randrange(7 if with_time else 6)
    if form == 0:
        return dt.datetime(day.year, day.month, day.day)  # an Excel date
    if form == 1:
        return (day - dt.date(1899, 12, 30)).days  # an Excel serial number without a date format
    if form == 2:
        return f"{day.year}/{day.month}/{day.day}"
    if form == 3:
        return f"{day.year}.{day.month:02d}.{day.day:02d}"
    if form == 4:
        return f"{day.year}年{day.month}月{day.day}日"
    if form == 5:
        return day.strftime("%Y%m%d")
    return f"{day.isoformat()} {rng.randrange(9, 19)}:{rng.randrange(60):02d}"


def rows(n: int = 300, seed: int = 7) -> list[list]:
    """The data rows (without title, header and total), as the cells will be written."""
    rng = random.Random(seed)
    start = dt.date(2024, 3, 1)
    out = []
    for i in range(1, n + 1):
        visit = start + dt.timedelta(days=rng.randrange(120))
        status = _pick(rng, STATUSES)
        subscribed = visit + dt.timedelta(days=rng.randrange(0, 20))
        signed = subscribed + dt.timedelta(days=rng.randrange(7, 30))
        deal = status in DEAL_STATUSES or status == "退房"
        amount = round(rng.uniform(280, 1500), 1)
        phone = "" if rng.random() < 0.08 else f"{rng.choice(PREFIXES)}****{rng.randrange(10000):04d}"
        out.append([
            i, rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))), phone,
            "待定" if i == BAD_DATE_ROW else _date_cell(rng, visit), rng.choice((1, 1, 1, 2, 3)),
            _pick(rng, PRODUCTS), _pick(rng, GRADES), _pick(rng, CHANNELS), status,
            _date_cell(rng, subscribed, with_time=False) if deal else "",
            _date_cell(rng, signed, with_time=False) if status in SIGNED_STATUSES else "",
            (f"{amount}万" if rng.random() < 0.3 else amount) if deal else "",
            rng.choice(HOMES), rng.choice(WORKS), rng.choice(LEISURE), rng.choice(ADVISERS), rng.choice(NOTES),
        ])
    return out


def workbook_bytes(n: int = 300, seed: int = 7) -> bytes:
    """The export as .xlsx bytes: title and info rows merged, header on row 3, 合计 at the bottom."""
    data = rows(n, seed)
    wb = Workbook()
    ws = wb.active
    ws.title = "来访明细"
    last = len(HEADERS)
    ws.append(["XX花园项目 来访客户明细表"] + [None] * (last - 1))
    ws.append(["导出时间：2024-06-30 10:12　导出人：案场经理　数据范围：2024-03-01 至 2024-06-30"] + [None] * (last - 1))
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=last)
    ws.append(HEADERS)
    for row in data:
        ws.append(row)
    visits = sum(r[4] for r in data)
    amount = round(sum(float(str(r[11]).rstrip("万")) for r in data if r[11] != ""), 1)
    ws.append(["合计", None, None, None, visits, None, None, None, None, None, None, amount])
    for cell in ws["D"][3:]:
        if isinstance(cell.value, dt.datetime):
            cell.number_format = "yyyy-mm-dd"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "messy_export.xlsx"
    with open(target, "wb") as fh:
        fh.write(workbook_bytes())
    print(f"wrote {target}")
