"""Segment codes per Facts row (mapping.segments.axis): hand-checked on a small project."""

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from mapping.analysis import battle as B
from mapping.analysis import grading as G
from mapping.analysis.facts import Facts, Filters, area_stats, area_stats_by_segment
from mapping.segments import axis as AX
from mapping.segments import bands as SB

D = dt.date(2024, 3, 1)


def facts_of(visitors: list[tuple]) -> Facts:
    """One home row per visitor (id, intention, channel); visitor 3 has a work row too."""
    rows = []
    for vid, intention, channel in visitors:
        dims = ["home", "work"] if vid == 3 else ["home"]
        for d in dims:
            rows.append({"visitor_id": vid, "dimension": d, "adcode": "310115", "lng": None, "lat": None,
                         "method": "district_name", "town_code": "", "outside": False, "product_line": "公寓",
                         "intention": intention, "channel": channel, "visit_date": D, "deal": False})
    return Facts.build(pd.DataFrame(rows))


def columns_of(data: dict) -> pd.DataFrame:
    """Like Store.segment_columns: visitor_id int64, the rest categorical."""
    out = pd.DataFrame({"visitor_id": np.asarray(data.pop("visitor_id"), dtype=np.int64)})
    for name, values in data.items():
        out[name] = pd.Categorical(values)
    return out


@pytest.fixture
def small():
    # rows: v1, v2, v3 (home), v3 (work), v4; the segment columns list visitors in another order
    facts = facts_of([(1, "A", "拓客"), (2, "C", "自然到访"), (3, "", "拓客"), (4, "B", "")])
    columns = columns_of({
        "visitor_id": [4, 3, 2, 1],
        "age_band": ["35岁", "25-34岁", "", "61"],
        "industry": ["金融", "IT互联网", "金融", ""],
        "area_want": ["90㎡", "三房", "", "120-140"],
        "price_want": ["", "", "", ""],
        "hometown": ["320500", "310000", "", "320100"],
    })
    return facts, columns


def test_codes_follow_visitors_to_their_rows(small):
    facts, columns = small
    seg = AX.Segments.build(facts, columns, {"area": SB.AREA_BANDS, "price": SB.PRICE_BANDS})
    codes, vocab = seg.codes("industry")
    assert vocab == ["IT互联网", "金融"]
    # v1 "", v2 金融, v3 IT互联网 (two rows), v4 金融
    assert codes.tolist() == [-1, 1, 0, 0, 1]
    assert codes.dtype == np.int32

    codes, vocab = seg.codes("age_band")
    assert vocab == ["25-34岁", "35-44岁", "55岁及以上"]
    assert codes.tolist() == [2, -1, 0, 0, 1]


def test_bands_in_band_order_with_unread_last(small):
    facts, columns = small
    seg = AX.Segments.build(facts, columns, {"area": SB.AREA_BANDS, "price": SB.PRICE_BANDS})
    codes, vocab = seg.codes("area_band")
    # v1 120-140 → 130 → 120–144㎡; v2 empty and v3 三房 → 未填/无法识别; v4 90㎡ → 90㎡以下
    assert vocab == ["90㎡以下", "120–144㎡", SB.UNREAD]
    assert codes.tolist() == [1, 2, 2, 2, 0]
    # price: every value empty → all 未填/无法识别, and the segment is not offered
    codes, vocab = seg.codes("price_band")
    assert vocab == [SB.UNREAD] and codes.tolist() == [0] * 5


def test_project_bands_change_the_band(small):
    facts, columns = small
    bands = AX.project_bands(type("P", (), {"segment_bands": '{"area": "100, 130"}'})())
    seg = AX.Segments.build(facts, columns, bands)
    codes, vocab = seg.codes("area_band")
    # 120-140 is placed by its midpoint 130, in (100, 130]; 90㎡ in 100㎡以下; 130㎡以上 has nobody
    assert vocab == ["100㎡以下", "100–130㎡", SB.UNREAD]
    assert codes.tolist() == [1, 2, 2, 2, 0]


def test_hometown_names_by_code(small):
    facts, columns = small
    seg = AX.Segments.build(facts, columns, {})
    codes, vocab = seg.codes("hometown_province")
    assert vocab == ["上海市", "江苏省"]  # national code order: 31 before 32
    assert codes.tolist() == [1, -1, 0, 0, 1]
    codes, vocab = seg.codes("hometown_city")
    assert vocab == ["上海市", "南京市", "苏州市"]
    assert codes.tolist() == [1, -1, 0, 0, 2]


def test_intention_and_channel_from_facts(small):
    facts, columns = small
    seg = AX.Segments.build(facts, columns, {})
    codes, vocab = seg.codes("intention")
    assert vocab == ["A", "B", "C"]
    assert codes.tolist() == [0, 2, -1, -1, 1]
    codes, vocab = seg.codes("channel")
    assert vocab == ["拓客", "自然到访"]
    assert codes.tolist() == [0, 1, 0, 0, -1]


def test_available_lists_filled_segments_in_menu_order(small):
    facts, columns = small
    seg = AX.Segments.build(facts, columns, {})
    assert seg.available() == ["area_band", "age_band", "industry", "intention", "channel",
                               "hometown_province", "hometown_city"]


def test_missing_columns_and_unlisted_visitors():
    facts = facts_of([(1, "A", "拓客"), (2, "A", "拓客")])
    seg = AX.Segments.build(facts, columns_of({"visitor_id": [2], "industry": ["金融"]}), {})
    assert seg.codes("industry")[0].tolist() == [-1, 0]  # visitor 1 not in the columns: no value
    assert seg.codes("family") == (seg.codes("family")[0], [])
    assert seg.codes("family")[0].tolist() == [-1, -1]
    assert "family" not in seg.available() and "area_band" not in seg.available()
    with pytest.raises(KeyError, match="未知的客群细分"):
        seg.codes("shoe_size")
    with pytest.raises(ValueError, match="visitor_id"):
        AX.Segments.build(facts, pd.DataFrame({"id": [1]}), {})


@pytest.mark.parametrize("value, band", [
    (24, "25岁以下"), ("25", "25-34岁"), ("34岁", "25-34岁"), ("35周岁", "35-44岁"), (44.0, "35-44岁"),
    ("45", "45-54岁"), ("54 岁", "45-54岁"), ("55", "55岁及以上"), ("８０", "55岁及以上"),
    ("55岁以上", "55岁及以上"), ("25岁以下", "25岁以下"), ("35~44岁", "35-44岁"),
    ("18-24岁", "18-24岁"), ("青年", "青年"), ("", ""), (None, ""), (0, "0"), (200, "200"),
])
def test_age_band(value, band):
    assert AX.age_band(value) == band


def test_project_bands_refuses_bad_text():
    with pytest.raises(SB.BandError, match="无法读取"):
        AX.project_bands(type("P", (), {"segment_bands": "{oops"})())
    with pytest.raises(SB.BandError, match="从小到大"):
        AX.project_bands(type("P", (), {"segment_bands": '{"price": "500, 300"}'})())


def test_row_index_with_sparse_ids():
    ids = np.array([10_000_000_000, 5, 70], dtype=np.int64)  # far apart: the binary search path
    rows = np.array([5, 70, 6, 10_000_000_000, 5], dtype=np.int64)
    assert AX._row_index(ids, rows).tolist() == [1, 2, 3, 0, 1]
    assert AX._row_index(ids[:0], rows).tolist() == [0] * 5


# ------------------------------------------------------------------ filters, counts and runs per segment
JIA, YI = "310115", "310104"  # two districts: the areas of a tiny layer
LAYER_KEY = "test:two"
TWO = gpd.GeoDataFrame({"area_id": [JIA, YI], "adcode": [JIA, YI], "area_name": ["甲区", "乙区"]},
                       geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:4326")

# (area, 意向面积, product line, intention, deal, how many visitors)
PEOPLE = [
    (JIA, "80㎡", "公寓", "A", True, 1), (JIA, "80㎡", "公寓", "C", True, 1), (JIA, "80㎡", "公寓", "C", False, 2),
    (JIA, "80㎡", "洋房", "C", False, 2),  # 甲 × 90㎡以下: 6 visitors, 1 A, 2 deals
    (JIA, "130", "公寓", "C", False, 2),  # 甲 × 120–144㎡: 2
    (YI, "85平", "公寓", "C", False, 1),  # 乙 × 90㎡以下: 1
    (YI, "120-140", "洋房", "C", True, 3), (YI, "125㎡", "洋房", "D", False, 4),  # 乙 × 120–144㎡: 7, 3 deals
    (YI, "", "洋房", "C", False, 3),  # 乙 × 未填: 3
]


@pytest.fixture
def two_areas():
    rows, areas = [], []
    vid = 0
    for area, want, line, intention, deal, count in PEOPLE:
        for _ in range(count):
            vid += 1
            rows.append({"visitor_id": vid, "dimension": "home", "adcode": area, "lng": None, "lat": None,
                         "method": "district_name", "town_code": "", "outside": False, "product_line": line,
                         "intention": intention, "channel": "拓客", "visit_date": D, "deal": deal,
                         "deal_date": D if deal else None, "deal_product_line": line if deal else ""})
            areas.append(want)
    facts = Facts.build(pd.DataFrame(rows))
    columns = columns_of({"visitor_id": list(range(1, vid + 1)), "area_want": areas})
    seg = AX.Segments.build(facts, columns, {"area": SB.AREA_BANDS})
    facts.areas(LAYER_KEY, TWO)
    return facts, facts.with_segments(seg)


def test_with_segments_shares_the_areas_and_filters_by_segment(two_areas):
    plain, facts = two_areas
    assert facts.areas(LAYER_KEY) is plain.areas(LAYER_KEY)  # placed once, shared
    small = Filters(segments=(("area_band", ("90㎡以下",)),))
    stats = area_stats(facts, LAYER_KEY, small).set_index("area_id")
    assert stats.loc[[JIA, YI], "visits_home"].tolist() == [6, 1]
    assert stats.loc[[JIA, YI], "deals_home"].tolist() == [2, 0]
    both = Filters(product_line="公寓", segments=(("area_band", ("90㎡以下", "120–144㎡")),))
    assert area_stats(facts, LAYER_KEY, both).set_index("area_id").loc[[JIA, YI], "visits_home"].tolist() == [6, 1]
    assert area_stats(facts, LAYER_KEY, Filters(segments=(("area_band", ("没有这段",)),)))["visits_home"].sum() == 0
    with pytest.raises(ValueError, match="with_segments"):
        area_stats(plain, LAYER_KEY, small)
    with pytest.raises(ValueError, match="同一数据版本"):
        plain.with_segments(AX.Segments.build(facts_of([(1, "A", "拓客")]), columns_of({"visitor_id": [1]}), {}))


def test_describe_names_the_segments():
    f = Filters(product_line="公寓", segments=(("area_band", ("90㎡以下", "90–120㎡")), ("industry", ("金融",))))
    assert f.describe() == "公寓 · 面积段：90㎡以下、90–120㎡ · 行业：金融"
    assert f.with_segment("area_band").describe() == "公寓 · 行业：金融"
    assert f.segment("industry") == ("金融",) and f.segment("family") == ()


def test_area_stats_per_segment_value_in_one_pass(two_areas):
    _, facts = two_areas
    tables = area_stats_by_segment(facts, LAYER_KEY, "area_band")
    assert list(tables) == ["90㎡以下", "120–144㎡", SB.UNREAD]
    visits = {v: t.set_index("area_id").loc[[JIA, YI], "visits_home"].tolist() for v, t in tables.items()}
    assert visits == {"90㎡以下": [6, 1], "120–144㎡": [2, 7], SB.UNREAD: [0, 3]}
    assert tables["90㎡以下"].set_index("area_id").loc[JIA, "high_intention_home"] == 1
    assert tables["120–144㎡"].set_index("area_id").loc[YI, "deals_home"] == 3
    # the product line in force narrows every cell; a filter on the axis itself is ignored
    flat = Filters(product_line="公寓", segments=(("area_band", ("120–144㎡",)),))
    tables = area_stats_by_segment(facts, LAYER_KEY, "area_band", flat)
    visits = {v: t.set_index("area_id").loc[[JIA, YI], "visits_home"].tolist() for v, t in tables.items()}
    assert visits == {"90㎡以下": [4, 1], "120–144㎡": [2, 0], SB.UNREAD: [0, 0]}
    # each value's table equals area_stats filtered to that value
    for value, table in area_stats_by_segment(facts, LAYER_KEY, "area_band").items():
        one = area_stats(facts, LAYER_KEY, Filters(segments=(("area_band", (value,)),)))
        pd.testing.assert_frame_equal(table, one)


def test_axis_run_bins_are_shared_across_the_series(two_areas):
    _, facts = two_areas
    settings = B.Settings("home", scheme="fisher_jenks", min_count=5)
    run = B.fit_axis_runs(facts, LAYER_KEY, [settings], Filters(), "area_band")[0]
    assert run.axis == "area_band" and list(run.bins) == [""]
    # graded cells (≥ 5 visitors): 甲 × 90㎡以下 score 6 + 2×1 + 5×2 = 18; 乙 × 120–144㎡ 7 + 5×3 = 22
    assert run.bins_for("").cuts == (18.0,)
    names = TWO[["area_id", "area_name"]]
    small = B.graded(facts, run, names, B.axis_filters(Filters(), run, "90㎡以下")).set_index("area_name")
    large = B.graded(facts, run, names, B.axis_filters(Filters(), run, "120–144㎡")).set_index("area_name")
    unread = B.graded(facts, run, names, B.axis_filters(Filters(), run, SB.UNREAD)).set_index("area_name")
    # on the shared scale 甲's 18 is B although it is the best 90㎡以下 area; 乙's 22 is A
    assert small.loc["甲区", ["grade", "score"]].tolist() == ["B", 18.0]
    assert large.loc["乙区", ["grade", "score"]].tolist() == ["A", 22.0]
    # every cell under k is withheld: 乙 × 90㎡以下 (1), 甲 × 120–144㎡ (2), 乙 × 未填 (3)
    assert small.loc["乙区", "grade"] == G.INSUFFICIENT
    assert large.loc["甲区", "grade"] == G.INSUFFICIENT
    assert unread.loc["乙区", "grade"] == G.INSUFFICIENT and unread.loc["甲区", "grade"] == G.NO_VISITS
    shown = B.public_table(small.reset_index(), 5).set_index("area_name")
    assert pd.isna(shown.loc["乙区", "visits"]) and shown.loc["乙区", "note"] == "少于 5 人，不显示人数"


def test_axis_run_for_a_product_line(two_areas):
    _, facts = two_areas
    settings = B.Settings("home", scheme="fisher_jenks", min_count=2)
    run = B.fit_axis_runs(facts, LAYER_KEY, [settings], Filters(product_line="公寓"), "area_band")[0]
    # 公寓 cells ≥ 2: 甲 × 90㎡以下 4 visitors, 1 A, 2 deals → 16; 甲 × 120–144㎡ 2 → 2
    assert list(run.bins) == ["公寓"] and run.bins_for("公寓").cuts == (2.0,)
    with pytest.raises(KeyError, match="请重新分级"):
        run.bins_for("洋房")


def test_a_saved_plan_records_the_segment_filter_without_reapplying_it(two_areas):
    _, facts = two_areas
    filters = Filters(segments=(("area_band", ("90㎡以下",)),))
    run = B.fit_run(facts, LAYER_KEY, B.Settings("home", min_count=1), filters, [], TWO)
    payload = B.snapshot_payload(run, {}, G.DEFAULT_TARGETS)
    assert payload["filters"]["segments"] == [["area_band", ["90㎡以下"]]]
    assert B.run_from_payload(payload).filters.segments == ()  # pages reading plans may have no segments
