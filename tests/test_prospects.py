"""跨项目潜客 (mapping.segments.prospects, mapping.db.prospects) on a small hand-built group of projects.

Target: a new site near 张江, WGS-84 (121.600, 31.200), in 浦东新区 (310115); distances by hand
(equirectangular, 1° lat = 111.2 km, 1° lng = 111.32 km × cos 31.2° = 95.2 km):
(121.61, 31.21) → 1.46 km, (121.65, 31.25) → 7.32 km, (121.55, 31.17) → 5.81 km,
张江 as the gazetteer places it (121.605, 31.201) → 0.49 km; 徐汇 (121.44, 31.19) 15.3 km.

老项目甲 (上海):
  A01 home 浦东 (121.61, 31.21), not bought, A 公寓           → 居住, 1.46 km
  A02 home 徐汇, work 浦东 (121.65, 31.25), not bought, B 洋房 → 工作 (by district), 7.32 km
  A03 home 浦东 (121.61, 31.21), BOUGHT                       → never listed
  A04 退房 (not a deal), home 闵行, 意向区域 「张江」            → 意向区域, 0.49 km
  A05 home 「浦东新区」 (district only, no point)               → 居住 (by district), no distance
  A06 home 徐汇 only                                           → never
  A07 home 浦东 (121.55, 31.17) 5.81 km, work 浦东 1.46 km     → 居住、工作, 1.46 km
老项目乙 (上海): B01 home 浦东 1.46 km, not bought
天府 (成都):     C01 home 成都, 意向区域 「张江」 (成都 cannot place it: resolved in the target's city) → 0.49 km
                 C02 home 成都, 意向区域 「锦江区」                                                      → never
"""

from __future__ import annotations

import datetime as dt
import io
import math

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import insert

from mapping import schema as S
from mapping.db.models import Location, Visitor
from mapping.db.prospects import Prospects
from mapping.db.store import Store
from mapping.segments import prospects as P

SITE = (121.600, 31.200)
PUDONG, XUHUI, MINHANG, JINJIANG = "310115", "310104", "310112", "510104"
NEAR, WORK_FAR, EDGE, XUHUI_PT, MINHANG_PT, CHENGDU_PT = ((121.61, 31.21), (121.65, 31.25), (121.55, 31.17),
                                                        (121.44, 31.19), (121.38, 31.11), (104.07, 30.66))


def _km(a, b=SITE) -> float:
    """Equirectangular distance (km): the hand check of the module's haversine at these few km."""
    dx = (a[0] - b[0]) * 111.32 * math.cos(math.radians(31.2))
    dy = (a[1] - b[1]) * 111.2
    return math.hypot(dx, dy)


def visitor(code, *, deal=False, stage="来访", home=None, work=None, intended="", intention="C", line="公寓",
            industry="", day=dt.date(2024, 3, 1)):
    """One visitor: ``home``/``work`` = (adcode, (lng, lat) or None)."""
    return dict(code=code, deal=deal, stage=stage, home=home, work=work, intended=intended, intention=intention,
                line=line, industry=industry, day=day)


GROUP = {
    ("老项目甲", "310000"): [
        visitor("A01", home=(PUDONG, NEAR), intention="A", line="公寓", industry="金融"),
        visitor("A02", home=(XUHUI, XUHUI_PT), work=(PUDONG, WORK_FAR), intention="B", line="洋房", industry="金融"),
        visitor("A03", deal=True, stage="认购", home=(PUDONG, NEAR)),
        visitor("A04", stage="退房", home=(MINHANG, MINHANG_PT), intended="张江", line="洋房", industry="互联网"),
        visitor("A05", home=(PUDONG, None), industry="金融"),
        visitor("A06", home=(XUHUI, XUHUI_PT)),
        visitor("A07", home=(PUDONG, EDGE), work=(PUDONG, NEAR), intention="A", industry="互联网",
                day=dt.date(2024, 4, 2)),
    ],
    ("老项目乙", "310000"): [visitor("B01", home=(PUDONG, NEAR))],
    ("天府", "510100"): [
        visitor("C01", home=(JINJIANG, CHENGDU_PT), intended="张江"),
        visitor("C02", home=(JINJIANG, CHENGDU_PT), intended="锦江区"),
    ],
}


def _key(code: str, i: int) -> str:
    """A stored visitor key: 老项目乙's by 客户编号 (``id:``), the others by a (made-up) keyed phone digest."""
    return f"id:{code}" if code.startswith("B") else f"ph:{code.lower()}{i:05d}c0ffee"


def build_group(store: Store, group: dict = GROUP) -> dict[str, int]:
    """The projects of ``group`` with their visitors and locations written straight to the tables; {name: id}."""
    ids = {}
    for (name, city), people in group.items():
        pid = store.create_project(name, city, None, ["公寓", "洋房"])
        ids[name] = pid
        with store.engine.begin() as conn:
            for i, v in enumerate(people):
                vid = conn.execute(insert(Visitor).values(
                    project_id=pid, visitor_key=_key(v["code"], i), row_hash="x",
                    visitor_code=v["code"], visit_date=v["day"], product_line=v["line"], intention=v["intention"],
                    channel="拓客", deal=v["deal"], stage=v["stage"], industry=v["industry"],
                    phone_masked="138****0000", name_masked="张*", intended_text=v["intended"],
                ).returning(Visitor.id)).scalar_one()
                for dim in ("home", "work"):
                    if v[dim] is None:
                        continue
                    adcode, point = v[dim]
                    conn.execute(insert(Location).values(
                        visitor_id=vid, dimension=dim, adcode=adcode, lng=point[0] if point else None,
                        lat=point[1] if point else None, level="poi" if point else "district",
                        method="point" if point else "district_name", confidence=1.0))
    return ids


def target() -> P.Target:
    return P.site_target(*SITE, "WGS84", min_count=2)


def find(store, criteria: P.Criteria, visible=None, tgt: P.Target | None = None) -> pd.DataFrame:
    tgt = tgt or target()
    sources = P.source_projects(store.projects(), visible, tgt)
    return P.find(Prospects(store), tgt, criteria, sources, P.place_resolver(store))


# ----------------------------------------------------------------------------- targets
def test_a_site_in_any_coordinate_system_lands_in_its_district():
    from mapping.geo.coords import wgs84_to_bd09, wgs84_to_gcj02

    wgs = P.site_target(*SITE, "WGS84")
    assert (wgs.adcode, wgs.city, wgs.district, wgs.project_id) == (PUDONG, "310000", "浦东新区", None)
    for convert, crs in ((wgs84_to_gcj02, "GCJ02"), (wgs84_to_bd09, "BD09")):
        x, y = convert(*SITE)
        t = P.site_target(float(x), float(y), crs)
        assert t.adcode == PUDONG
        assert abs(t.lng - SITE[0]) < 1e-6 and abs(t.lat - SITE[1]) < 1e-6


@pytest.mark.parametrize("lng, lat, crs, message", [
    ("东经121", 31.2, "WGS84", "经度「东经121」不是数字"),
    (31.2, 121.6, "WGS84", "看起来填反了"),
    (2.35, 48.85, "WGS84", "不在中国的区县范围内"),
    (121.6, 31.2, "高德", "坐标系应为"),
])
def test_a_bad_site_says_what_is_wrong(lng, lat, crs, message):
    with pytest.raises(ValueError, match=message):
        P.site_target(lng, lat, crs)


def test_criteria_refuse_what_could_match_nothing():
    no_site = P.Target("无位置项目", "310000", project_id=9)
    with pytest.raises(ValueError, match="请选择至少一个区县"):
        P.Criteria(districts=(), radius_km=5).checked(no_site)  # a distance needs a site
    with pytest.raises(ValueError, match="距离应在 0–100 公里"):
        P.Criteria(districts=(PUDONG,), radius_km=-1).checked(target())
    with pytest.raises(ValueError, match="至少选一种匹配依据"):
        P.Criteria(districts=(PUDONG,), dimensions=()).checked(target())
    assert P.Criteria(districts=(PUDONG,), radius_km=5).checked(no_site).radius_km == 0.0


def test_search_box_holds_the_circle():
    min_lng, min_lat, max_lng, max_lat = P.search_box(SITE, 5.0)
    assert _km((max_lng, SITE[1])) > 5.0 and _km((SITE[0], max_lat)) > 5.0
    assert _km((max_lng, SITE[1])) < 5.3 and _km((SITE[0], max_lat)) < 5.1


def test_sources_follow_membership_and_leave_out_the_target():
    table = pd.DataFrame({"id": [1, 2, 3], "name": ["甲", "乙", "丙"], "city_adcode": ["310000"] * 3})
    assert P.source_projects(table, None, target())["name"].tolist() == ["甲", "乙", "丙"]  # admin, a new site
    assert P.source_projects(table, {1, 3}, target())["name"].tolist() == ["甲", "丙"]
    assert P.source_projects(table, {1}, P.Target("甲", "310000", project_id=1)).empty


# ----------------------------------------------------------------------------- the store (SQLite and PostgreSQL)
def test_by_district(store):
    ids = build_group(store)
    found = find(store, P.Criteria(districts=(PUDONG,), radius_km=0))
    rows = {r.visitor_code: r for r in found.itertuples()}
    assert set(rows) == {"A01", "A02", "A04", "A05", "A07", "B01", "C01"}
    assert rows["A01"].matched_by == "居住" and rows["A02"].matched_by == "工作"
    assert rows["A04"].matched_by == "意向区域" and rows["C01"].matched_by == "意向区域"
    assert rows["A05"].matched_by == "居住" and math.isnan(rows["A05"].distance_km)
    assert rows["A07"].matched == "home|work" and rows["A07"].matched_by == "居住、工作"
    assert {rows[c].district for c in rows} == {"浦东新区"}
    assert rows["A01"].distance_km == pytest.approx(_km(NEAR), abs=0.02)
    assert rows["A02"].distance_km == pytest.approx(_km(WORK_FAR), abs=0.02)
    assert rows["A07"].distance_km == pytest.approx(_km(NEAR), abs=0.02)  # the nearer of home and work
    assert rows["A04"].distance_km == pytest.approx(0.49, abs=0.02)
    assert rows["C01"].project_id == ids["天府"]
    # nearest first, no distance last
    assert found["visitor_code"].tolist()[-1] == "A05"
    assert found["distance_km"].tolist()[:2] == pytest.approx([0.49, 0.49], abs=0.02)


def test_by_distance_only(store):
    build_group(store)
    found = find(store, P.Criteria(districts=(), radius_km=5))
    rows = {r.visitor_code: r for r in found.itertuples()}
    assert set(rows) == {"A01", "A04", "A07", "B01", "C01"}  # A02 at 7.3 km, A05 without a point: not within 5 km
    assert rows["A07"].matched_by == "工作"  # its home is 5.8 km away
    found = find(store, P.Criteria(districts=(), radius_km=8))
    assert set(found["visitor_code"]) == {"A01", "A02", "A04", "A07", "B01", "C01"}
    assert found.set_index("visitor_code").loc["A07", "matched_by"] == "居住、工作"


def test_only_some_dimensions(store):
    build_group(store)
    found = find(store, P.Criteria(districts=(PUDONG,), radius_km=0, dimensions=(P.INTENDED,)))
    assert sorted(found["visitor_code"]) == ["A04", "C01"]
    found = find(store, P.Criteria(districts=(PUDONG,), radius_km=0, dimensions=("work",)))
    assert sorted(found["visitor_code"]) == ["A02", "A07"]


def test_membership_and_an_existing_project_as_target(store):
    ids = build_group(store)
    member = {ids["老项目甲"], ids["天府"]}
    found = find(store, P.Criteria(districts=(PUDONG,), radius_km=0), visible=member)
    assert "B01" not in set(found["visitor_code"])  # 老项目乙 is not the user's
    store.set_sites(ids["老项目乙"], SITE, [])
    store.update_project(ids["老项目乙"], min_count=3)
    tgt = P.project_target(store.project(ids["老项目乙"]))
    assert (tgt.adcode, tgt.min_count, tgt.project_id) == (PUDONG, 3, ids["老项目乙"])
    found = find(store, P.Criteria(districts=(), radius_km=5), tgt=tgt)
    assert set(found["visitor_code"]) == {"A01", "A04", "A07", "C01"}  # its own B01 is not a prospect of itself


def test_no_personal_data_and_counts(store):
    ids = build_group(store)
    found = find(store, P.Criteria(districts=(PUDONG,), radius_km=0))
    assert not {"phone_masked", "name_masked", "phone_hash", "name_hash"} & set(found.columns)
    sources = store.projects()
    table = P.customer_table(found, sources)
    assert table.columns.tolist() == P.CUSTOMER_COLUMNS
    assert "138****0000" not in table.to_csv() and "张*" not in table.to_csv()
    a01 = table[table["客户编号"] == "A01"].iloc[0]
    assert (a01["来源项目"], a01["客户键"], a01["区县"], a01["意向等级"], a01["意向业态"], a01["最近到访日期"]) == (
        "老项目甲", "ph:a0100000", "浦东新区", "A", "公寓", "2024-03-01")
    assert table.loc[table["客户编号"] == "B01", "客户键"].tolist() == [""]  # keyed by its 客户编号, shown beside it
    searched = Prospects(store).counts(ids.values())
    assert searched.set_index("project_id")["not_bought"].to_dict() == {ids["老项目甲"]: 6, ids["老项目乙"]: 1,
                                                                         ids["天府"]: 2}
    per = P.by_project(found, sources, k=2, searched=searched).set_index("来源项目")
    assert per.loc["老项目甲", "未成交客户"] == 6 and per.loc["老项目甲", "潜客数"] == 5
    # 居住 A01 A05 A07, 工作 A02 A07, 意向区域 A04 alone: below k = 2, withheld
    assert (per.loc["老项目甲", "居住匹配"], per.loc["老项目甲", "工作匹配"]) == (3, 2)
    assert pd.isna(per.loc["老项目甲", "意向区域匹配"]) and per.loc["老项目甲", "备注"] == "少于 2 人的数不显示"
    assert pd.isna(per.loc["老项目乙", "潜客数"]) and per.loc["老项目乙", "备注"] == "少于 2 人的数不显示"


def test_summaries_by_match_distance_and_segment(store):
    build_group(store)
    found = find(store, P.Criteria(districts=(PUDONG,), radius_km=0))
    sources = store.projects()
    match = P.by_match(found, k=2).set_index("匹配依据")
    # 居住 A01 A05 B01, 工作 A02, 意向区域 A04 C01, 居住、工作 A07
    assert match["潜客数"].dropna().to_dict() == {"居住": 3.0, "意向区域": 2.0}  # only these reach k = 2
    assert match.index.tolist() == ["居住", "工作", "意向区域", "居住、工作"]  # combinations nobody matched by: no row
    assert match.loc["工作", "备注"] == "少于 2 人，不显示" and pd.isna(match.loc["居住、工作", "潜客数"])
    assert match.loc["居住", "占比"] == pytest.approx(3 / 7)
    distance = P.by_distance(found, k=1).set_index("距离")
    # 0.49 A04 C01; 1.46 A01 A07 B01; 7.32 A02; none A05
    assert distance["潜客数"].to_dict() == {"0–1 公里": 2, "1–3 公里": 3, "5–10 公里": 1, P.NO_DISTANCE: 1}
    segment = P.by_segment(found, "industry", sources, k=2).set_index("行业")
    # 老项目甲: 金融 A01 A02 A05, 互联网 A04 A07; 老项目乙 B01 and 天府 C01 未填
    assert segment.index.tolist() == ["金融", "互联网", "未填"]
    assert segment.loc["金融", "老项目甲"] == 3 and segment.loc["互联网", "合计"] == 2
    assert pd.isna(segment.loc["未填", "老项目乙"]) and segment.loc["未填", "合计"] == 2
    assert segment.loc["未填", "备注"] == "少于 2 人的数不显示"
    with pytest.raises(ValueError, match="细分维度应为"):
        P.by_segment(found, "phone_masked", sources, k=2)


def test_summaries_by_area_band_price_band_and_province_of_origin():
    """面积段/总价段 in the default bands, listed in band order (unread and empty last); 籍贯 by province."""
    found = pd.DataFrame({
        "project_id": [1, 1, 1, 2, 2, 2],
        S.AREA_WANT: ["130", "120-140平", "三房", "80", "85㎡", ""],
        S.PRICE_WANT: ["300-400万", "350万", "", "180万", "1.2亿", "3000000元"],
        S.HOMETOWN: ["320500", "320100", "310000", "", "320500", "310000"]})
    sources = pd.DataFrame({"id": [1, 2], "name": ["甲", "乙"]})
    area = P.by_segment(found, "area_band", sources, k=1).set_index("面积段")
    assert area.index.tolist() == ["90㎡以下", "120–144㎡", "未填/无法识别"]  # band order, not count order
    assert area["合计"].tolist() == [2, 2, 2] and area.loc["90㎡以下", "乙"] == 2
    price = P.by_segment(found, "price_band", sources, k=1).set_index("总价段")
    # 300-400万 → 350 and 350万: 300–500万; 180万: 200万以下; 1.2亿: 1000万以上; 3000000元 = 300万: 200–300万
    assert price["合计"].to_dict() == {"200万以下": 1, "200–300万": 1, "300–500万": 2, "1000万以上": 1,
                                     "未填/无法识别": 1}
    origin = P.by_segment(found, "hometown_province", sources, k=2).set_index("籍贯（省）")
    assert origin.index.tolist() == ["江苏省", "上海市", "未填"]
    assert origin.loc["上海市", "合计"] == 2 and pd.isna(origin.loc["未填", "合计"])  # one without: 1 < k
    assert origin.loc["江苏省", "合计"] == 3 and pd.isna(origin.loc["江苏省", "乙"])  # 1 < k = 2: withheld


def test_exports_are_formula_safe_and_keys_only(store):
    ids = build_group(store)
    store.update_project(ids["老项目甲"], name="=HYPERLINK(\"http://x\",\"点我\")")
    found = find(store, P.Criteria(districts=(PUDONG,), radius_km=0))
    sources = store.projects()
    text = P.export_csv(found, sources).decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(P.CUSTOMER_COLUMNS)
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text
    crit = P.Criteria(districts=(PUDONG,), radius_km=0).checked(target())
    book = openpyxl.load_workbook(io.BytesIO(P.export_workbook(found, target(), crit, sources, k=2,
                                                               segment="industry")))
    assert book.sheetnames == ["说明", "潜客名单", "按来源项目", "按匹配依据", "按距离", "按行业"]
    sheet = book["潜客名单"]
    header = [c.value for c in sheet[1]]
    assert header == P.CUSTOMER_COLUMNS and sheet.max_row == 1 + len(found)
    cells = [c.value for row in book.worksheets for r in row.iter_rows() for c in r if c.value is not None]
    assert not any(isinstance(v, str) and v.startswith("=") for v in cells)
    assert not any("138****" in str(v) or "张*" in str(v) for v in cells)


def test_unreadable_intended_areas_are_counted_not_dropped(store):
    build_group(store, {("甲", "310000"): [visitor("X1", intended="不详"), visitor("X2", intended="看房中"),
                                           visitor("X3", deal=True, intended="不详"), visitor("X4", intended="张江")]})
    found = find(store, P.Criteria(districts=(PUDONG,), radius_km=0))
    assert found["visitor_code"].tolist() == ["X4"]
    assert found.attrs[P.UNREAD_INTENDED] == 2  # X1, X2; X3 bought
    found = find(store, P.Criteria(districts=(PUDONG,), radius_km=0, dimensions=("home",)))
    assert found.empty and found.attrs[P.UNREAD_INTENDED] == 0  # not searched by 意向区域


def test_an_intended_area_spanning_districts_matches_a_chosen_one(store):
    """「天府新区」 spans 双流区 (510116), 武侯区 (510107) … : the resolver names them as candidates."""
    build_group(store, {("天府", "510100"): [visitor("T1", intended="天府新区"), visitor("T2", intended="华阳")]})
    chengdu = P.Target("成都所选区县", "510100", min_count=2)
    found = find(store, P.Criteria(districts=("510107",), radius_km=0), tgt=chengdu)
    assert found[["visitor_code", "matched_by", "district"]].values.tolist() == [["T1", "意向区域", "武侯区"]]
    assert math.isnan(found["distance_km"].iloc[0])
    found = find(store, P.Criteria(districts=("510116",), radius_km=0), tgt=chengdu)  # 华阳 is in 双流 too
    assert sorted(found["visitor_code"]) == ["T1", "T2"] and found.attrs[P.UNREAD_INTENDED] == 0
