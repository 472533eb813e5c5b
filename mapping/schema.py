"""One place for the names the whole app agrees on.

Canonical visitor columns, their header aliases (Chinese and English), product
lines, dimensions, coordinate systems and the labels pages show.  Pages and
modules import these constants instead of repeating string literals.
"""

from __future__ import annotations

# --- coordinate reference systems -------------------------------------------------
WGS84 = "WGS84"
GCJ02 = "GCJ02"
BD09 = "BD09"
CRS_NAMES = (WGS84, GCJ02, BD09)
CRS_ALIASES: dict[str, str] = {
    "wgs84": WGS84, "wgs-84": WGS84, "wgs 84": WGS84, "gps": WGS84, "epsg:4326": WGS84,
    "4326": WGS84, "osm": WGS84, "地球坐标": WGS84, "原始坐标": WGS84,
    "gcj02": GCJ02, "gcj-02": GCJ02, "gcj": GCJ02, "火星坐标": GCJ02, "高德": GCJ02,
    "amap": GCJ02, "腾讯": GCJ02, "微信": GCJ02, "国测局": GCJ02,
    "bd09": BD09, "bd-09": BD09, "bd09ll": BD09, "百度": BD09, "baidu": BD09, "百度坐标": BD09,
}

# --- dimensions ---------------------------------------------------------------------
HOME, WORK, LEISURE = "home", "work", "leisure"
DIMENSIONS = (HOME, WORK, LEISURE)
DIMENSION_LABELS = {HOME: "居住", WORK: "工作", LEISURE: "生活娱乐"}

# --- product lines ------------------------------------------------------------------
PRODUCT_LINES = ("公寓", "洋房", "别墅", "商铺", "高层", "办公", "车位")
PRODUCT_LINE_ALIASES: dict[str, str] = {
    "公寓": "公寓", "酒店式公寓": "公寓", "loft": "公寓", "apartment": "公寓", "小户型": "公寓",
    "平层": "公寓", "大平层": "公寓", "平层公寓": "公寓", "精装公寓": "公寓", "服务式公寓": "公寓",
    "小平层": "公寓",
    "洋房": "洋房", "叠加": "洋房", "叠墅": "洋房", "花园洋房": "洋房", "低密洋房": "洋房",
    "叠拼": "洋房", "叠拼洋房": "洋房", "叠加别墅": "洋房", "叠院": "洋房", "多层洋房": "洋房", "多层": "洋房",
    "garden house": "洋房",
    "别墅": "别墅", "独栋": "别墅", "联排": "别墅", "双拼": "别墅", "合院": "别墅", "villa": "别墅",
    "独栋别墅": "别墅", "联排别墅": "别墅", "双拼别墅": "别墅", "类独栋": "别墅", "中式合院": "别墅",
    "商铺": "商铺", "商业": "商铺", "底商": "商铺", "铺面": "商铺", "沿街商铺": "商铺", "shop": "商铺",
    "街铺": "商铺", "临街商铺": "商铺", "商业街": "商铺", "社区商业": "商铺",
    "高层": "高层", "高层住宅": "高层", "小高层": "高层", "住宅": "高层", "high-rise": "高层",
    "超高层": "高层", "中高层": "高层",
    "办公": "办公", "写字楼": "办公", "office": "办公", "商务办公": "办公", "办公楼": "办公",
    "车位": "车位", "车库": "车位", "parking": "车位", "地下车位": "车位", "产权车位": "车位",
}

INTENTION_GRADES = ("A", "B", "C", "D")
HIGH_INTENTION = ("A", "B")

# --- sales stages and channels ---------------------------------------------------------
# A visitor's stage, in order; 退房 (a deal undone) stands apart and never counts as 成交.
STAGE_VISIT, STAGE_PLEDGE, STAGE_SUBSCRIBE, STAGE_SIGN, STAGE_REFUND = "来访", "认筹", "认购", "签约", "退房"
STAGES = (STAGE_VISIT, STAGE_PLEDGE, STAGE_SUBSCRIBE, STAGE_SIGN, STAGE_REFUND)
STAGE_RANK = {STAGE_VISIT: 0, STAGE_PLEDGE: 1, STAGE_SUBSCRIBE: 2, STAGE_SIGN: 3}
# the stages a project may choose as the first that counts as 成交
DEAL_STAGES = (STAGE_SUBSCRIBE, STAGE_SIGN)
DEFAULT_DEAL_STAGE = STAGE_SUBSCRIBE

# Canonical 到访渠道 (channels stay free text; these are what spellings are offered to unify to).
CHANNELS = ("自然到访", "拓客", "中介", "老带新", "线上", "广告", "电话邀约", "其他")

# --- operations (issue 14: teams, territories, costs; mapping.db.operations) ------------------
TEAM_KINDS = ("渠道团队", "拓客小组", "中介公司", "置业顾问", "小蜜蜂")
COST_MODELS = ("按人天", "按成交佣金", "固定费用")  # how a team is paid: day_rate, commission, monthly_fee
COST_CATEGORIES = ("媒体", "渠道佣金", "人工", "物料活动", "其他")

# --- canonical visitor columns --------------------------------------------------------
VISITOR_ID = "visitor_id"
VISIT_DATE = "visit_date"
PRODUCT_LINE = "product_line"
INTENTION = "intention"
CHANNEL = "channel"
COORD_SYSTEM = "coord_system"
DEAL = "deal"
STAGE = "stage"
STAGE_DATE = "stage_date"
SIGN_DATE = "sign_date"
DEAL_DATE = "deal_date"
DEAL_PRODUCT_LINE = "deal_product_line"
DEAL_AMOUNT = "deal_amount"
AGE_BAND = "age_band"
INDUSTRY = "industry"
INCOME_BAND = "income_band"
FAMILY = "family"
PURPOSE = "purpose"
PHONE = "phone"
NAME = "name"
TEAM = "team"  # 拓客人员/渠道团队/经纪公司/置业顾问: who brought the visitor (free text; mapping.ops.teams attributes it)
# segments (issue 15): kept as the cleaned text the file gave; parsed into the project's bands at read time
AREA_WANT = "area_want"  # 意向面积 ("120-140", "90㎡"): mapping.segments.bands reads it
PRICE_WANT = "price_want"  # 意向总价 / 预算 ("300万")
INTENDED_AREA = "intended_text"  # 意向区域: where the visitor wants to buy (free text, like a location text)
ID_NUMBER = "id_number"  # 身份证号: NEVER stored; read only when the user opts in to derive HOMETOWN
HOMETOWN = "hometown"  # 籍贯: 6-digit city code derived from ID_NUMBER (mapping.segments.hometown), "" if not


def text_col(dim: str) -> str:
    return f"{dim}_text"


def lng_col(dim: str) -> str:
    return f"{dim}_lng"


def lat_col(dim: str) -> str:
    return f"{dim}_lat"


LOCATION_COLUMNS = tuple(c for d in DIMENSIONS for c in (text_col(d), lng_col(d), lat_col(d)))
PROFILE_COLUMNS = (AGE_BAND, INDUSTRY, INCOME_BAND, FAMILY, PURPOSE)
PII_COLUMNS = (PHONE, NAME)
WANT_COLUMNS = (AREA_WANT, PRICE_WANT, INTENDED_AREA)  # the segment columns a file may give
# optional visitor fields stored after TEAM, in this order (mapping.db.store.VISITOR_FIELDS)
SEGMENT_FIELDS = (*WANT_COLUMNS, HOMETOWN)

CANONICAL_COLUMNS = (
    VISITOR_ID, VISIT_DATE, PRODUCT_LINE, INTENTION, CHANNEL,
    *LOCATION_COLUMNS, COORD_SYSTEM,
    DEAL, STAGE, DEAL_DATE, SIGN_DATE, DEAL_PRODUCT_LINE, DEAL_AMOUNT,
    *PROFILE_COLUMNS, *PII_COLUMNS, TEAM, *WANT_COLUMNS, ID_NUMBER,
)

# A file must give a visit date and at least one location column.
REQUIRED_COLUMNS = (VISIT_DATE,)

# Chinese label shown for each canonical column (mapping table, reports).
COLUMN_LABELS: dict[str, str] = {
    VISITOR_ID: "客户编号", VISIT_DATE: "到访日期", PRODUCT_LINE: "意向业态",
    INTENTION: "意向等级", CHANNEL: "到访渠道",
    "home_text": "居住区域", "home_lng": "居住经度", "home_lat": "居住纬度",
    "work_text": "工作区域", "work_lng": "工作经度", "work_lat": "工作纬度",
    "leisure_text": "生活区域", "leisure_lng": "生活经度", "leisure_lat": "生活纬度",
    COORD_SYSTEM: "坐标系", DEAL: "是否成交", STAGE: "客户状态", STAGE_DATE: "状态日期", DEAL_DATE: "成交日期",
    SIGN_DATE: "签约日期",
    DEAL_PRODUCT_LINE: "成交业态", DEAL_AMOUNT: "成交金额",
    AGE_BAND: "年龄段", INDUSTRY: "行业", INCOME_BAND: "收入", FAMILY: "家庭结构",
    PURPOSE: "置业目的", PHONE: "手机", NAME: "姓名", TEAM: "拓客人员/团队",
    AREA_WANT: "意向面积", PRICE_WANT: "意向总价", INTENDED_AREA: "意向区域", ID_NUMBER: "身份证号", HOMETOWN: "籍贯",
}

# Header aliases; matching is done on a normalised header (lower case, no spaces,
# no brackets or units), so list the bare words.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    VISITOR_ID: ("客户编号", "客户id", "客户代码", "编号", "来访编号", "visitorid", "customerid", "id"),
    VISIT_DATE: ("到访日期", "来访日期", "到访时间", "来访时间", "首访日期", "首次到访", "日期",
                 "visitdate", "date"),
    PRODUCT_LINE: ("意向业态", "意向产品", "意向户型", "意向产品类型", "业态", "productline", "product"),
    INTENTION: ("意向等级", "客户等级", "意向级别", "意向度", "intention", "grade"),
    CHANNEL: ("到访渠道", "认知途径", "来访渠道", "渠道", "获知途径", "channel", "source"),
    "home_text": ("居住区域", "居住地址", "居住小区", "居住地", "家庭住址", "住址", "现居住区域",
                  "home", "homearea", "homeaddress"),
    "home_lng": ("居住经度", "居住地经度", "住址经度", "homelng", "homelon", "homelongitude"),
    "home_lat": ("居住纬度", "居住地纬度", "住址纬度", "homelat", "homelatitude"),
    "work_text": ("工作区域", "工作地址", "工作单位", "工作地", "单位地址", "办公地点", "work",
                  "workarea", "workaddress"),
    "work_lng": ("工作经度", "工作地经度", "单位经度", "worklng", "worklon", "worklongitude"),
    "work_lat": ("工作纬度", "工作地纬度", "单位纬度", "worklat", "worklatitude"),
    "leisure_text": ("生活区域", "娱乐区域", "常去商圈", "生活娱乐区域", "休闲区域", "常去区域",
                     "leisure", "leisurearea"),
    "leisure_lng": ("生活经度", "娱乐经度", "商圈经度", "leisurelng", "leisurelon"),
    "leisure_lat": ("生活纬度", "娱乐纬度", "商圈纬度", "leisurelat"),
    COORD_SYSTEM: ("坐标系", "坐标类型", "坐标系统", "crs", "coordsystem", "coordinatesystem"),
    DEAL: ("是否成交", "成交状态", "成交", "已成交", "是否认购", "是否签约", "是否购买", "deal", "closed",
           "isdeal"),
    STAGE: ("客户状态", "销售状态", "成交阶段", "状态", "认购状态", "签约状态", "客户阶段", "销售阶段",
            "当前状态", "交易状态", "购买状态", "stage", "status"),
    DEAL_DATE: ("成交日期", "认购日期", "成交时间", "认购时间", "下定日期", "定金日期", "dealdate"),
    SIGN_DATE: ("签约日期", "签约时间", "网签日期", "合同日期", "签约日", "signdate"),
    DEAL_PRODUCT_LINE: ("成交业态", "成交产品", "成交户型", "dealproductline", "dealproduct"),
    DEAL_AMOUNT: ("成交金额", "成交总价", "合同金额", "总价", "dealamount", "amount"),
    AGE_BAND: ("年龄段", "年龄", "年龄层", "age", "ageband"),
    INDUSTRY: ("行业", "从事行业", "职业", "industry", "occupation"),
    INCOME_BAND: ("收入", "家庭年收入", "年收入", "收入水平", "income", "incomeband"),
    FAMILY: ("家庭结构", "家庭", "家庭成员", "family"),
    PURPOSE: ("置业目的", "购房目的", "购买目的", "purpose"),
    PHONE: ("手机", "手机号", "手机号码", "电话", "联系电话", "电话号码", "phone", "mobile", "tel"),
    NAME: ("姓名", "客户姓名", "客户名称", "名字", "name", "customername"),
    # not a bare 渠道: that is 到访渠道
    TEAM: ("拓客人员", "拓客专员", "渠道团队", "拓客团队", "拓客小组", "经纪公司", "中介公司", "分销公司", "置业顾问",
           "销售顾问", "归属团队", "所属团队", "team", "agent", "consultant"),
    AREA_WANT: ("意向面积", "需求面积", "面积需求", "意向面积段", "面积段", "意向户型面积", "购房面积", "areawant"),
    # not a bare 总价: that is 成交金额
    PRICE_WANT: ("意向总价", "预算", "购房预算", "总价预算", "总价段", "意向总价段", "心理价位", "意向价格", "budget"),
    INTENDED_AREA: ("意向区域", "意向板块", "意向购房区域", "购房意向区域", "意向片区", "intendedarea"),
    ID_NUMBER: ("身份证号", "身份证", "身份证号码", "证件号码", "证件号", "idcard", "idnumber"),
}

# --- grades and levels ----------------------------------------------------------------
LEVEL_DISTRICT, LEVEL_TOWN, LEVEL_POI, LEVEL_CITY, LEVEL_NONE = "district", "town", "poi", "city", "none"

SHANGHAI = "310000"
PUDONG = "310115"

# --- layer identifiers ----------------------------------------------------------------
LAYER_DISTRICTS = "districts"
LAYER_BANKUAI = "pudong_bankuai"
LAYER_DISTRICTS_BANKUAI = "districts_bankuai"
LAYER_LABELS = {
    LAYER_DISTRICTS: "区县",
    LAYER_BANKUAI: "浦东板块",
    LAYER_DISTRICTS_BANKUAI: "区县 + 浦东板块",
}
