"""mapping.segments.origin: visitors and deals by province / prefecture of origin, worked out by hand.

Twelve visitors, k = 2 (stored hometown codes as the import derives them):

| visitors | hometown code        | place                         | deals          |
|----------|----------------------|-------------------------------|----------------|
| 1, 2, 3  | 320506               | 江苏省 苏州市                  | 1 buys 公寓     |
| 4, 5     | 320102               | 江苏省 南京市                  | 4 buys 洋房     |
| 6, 7     | 310101, 310100       | 上海市 (a municipality: one city) | —          |
| 8        | 429004               | 湖北省 仙桃市 (省直辖县)        | —              |
| 9, 10    | 512201               | 四川省 万县地区 (historic, 1992) | —             |
| 11, 12   | ""                   | not derived                   | —              |

All want 公寓 except 6 (洋房).
"""

from __future__ import annotations

import pandas as pd
import pytest
from maphtml import features, unescape

from mapping.maps.segmentmap import origin_map
from mapping.segments import origin as O

K = 2
CODES = ["320506"] * 3 + ["320102"] * 2 + ["310101", "310100", "429004", "512201", "512201", "", ""]
VISITORS = pd.DataFrame({
    "visitor_id": range(1, 13), "line": ["公寓"] * 5 + ["洋房"] + ["公寓"] * 6,
    "deal": [True, False, False, True] + [False] * 8, "bought": ["公寓", "", "", "洋房"] + [""] * 8,
})
HOMETOWN = pd.DataFrame({"visitor_id": range(12, 0, -1), "hometown": CODES[::-1]})  # any order


def test_normalise_matches_the_polygon_keys():
    assert O.normalise(["320506", "310100", "110105", "429004", "512201", "abc", ""], "city").tolist() == [
        "320500", "310000", "110000", "429004", "512200", "", ""]
    assert O.normalise(["320506", "429004"], "province").tolist() == ["320000", "420000"]
    with pytest.raises(ValueError, match="'level'"):
        O.normalise(["320506"], "county")


def test_by_province_by_hand():
    o = O.origin_table(VISITORS, HOMETOWN, "province", K)
    assert o.table[["代码", "籍贯", "到访", "成交"]].to_numpy().tolist() == [
        ["320000", "江苏省", 5, 2], ["310000", "上海市", 2, 0], ["510000", "四川省", 2, 0]]
    assert o.table["成交率"].tolist() == pytest.approx([0.4, 0.0, 0.0])
    assert o.table["占比"].tolist() == pytest.approx([0.5, 0.2, 0.2])  # of the 10 with a hometown
    assert o.table["在地图上"].tolist() == [True, True, True]
    assert (o.visitors, o.unknown, o.withheld_places, o.withheld_visitors, o.off_map) == (12, 2, 1, 1, 0)
    assert o.note(K) == "10 位客户有籍贯（共 12 位，2 位未推导或无法识别）；1 个地区到访少于 2 人，未列出、地图上不显示。"


def test_by_city_by_hand():
    o = O.origin_table(VISITORS, HOMETOWN, "city", K)
    assert o.table[["代码", "籍贯", "所属省份", "到访", "成交", "在地图上"]].to_numpy().tolist() == [
        ["320500", "苏州市", "江苏省", 3, 1, True], ["310000", "上海市", "上海市", 2, 0, True],
        ["320100", "南京市", "江苏省", 2, 1, True], ["512200", "万县地区", "四川省", 2, 0, False]]
    assert (o.withheld_places, o.withheld_visitors, o.off_map) == (1, 1, 2)  # 仙桃 withheld; 万县 has no polygon
    assert "2 位客户的籍贯是已撤销的历史地区" in o.note(K)


def test_product_line_keeps_who_intended_or_bought_it():
    o = O.origin_table(VISITORS, HOMETOWN, "province", K, product_line="洋房")
    assert o.visitors == 2 and o.table.empty  # 4 (bought 洋房, 江苏) and 6 (wanted it, 上海): 1 each < k
    assert (o.withheld_places, o.withheld_visitors) == (2, 2)
    o = O.origin_table(VISITORS, HOMETOWN, "province", 1, product_line="洋房")
    assert o.table[["籍贯", "到访", "成交"]].to_numpy().tolist() == [["上海市", 1, 0], ["江苏省", 1, 1]]


def test_no_hometown_at_all():
    empty = HOMETOWN.assign(hometown="")
    assert not O.has_hometown(empty) and O.has_hometown(HOMETOWN)
    o = O.origin_table(VISITORS, empty, "city", K)
    assert o.table.empty and o.unknown == 12
    assert "勾选" in O.HOMETOWN_HOWTO and "身份证号" in O.HOMETOWN_HOWTO


def test_visitor_frame_one_row_per_visitor():
    import datetime as dt

    from mapping.analysis.facts import Facts

    rows = pd.DataFrame({"visitor_id": [7, 7, 7, 3], "dimension": ["home", "work", "leisure", "home"],
                         "adcode": ["310115"] * 4, "lng": [None] * 4, "lat": [None] * 4, "method": ["district_name"] * 4,
                         "town_code": [""] * 4, "outside": [False] * 4, "product_line": ["公寓", "公寓", "公寓", "洋房"],
                         "intention": ["A"] * 4, "channel": ["拓客"] * 4, "visit_date": [dt.date(2024, 3, 1)] * 4,
                         "deal": [True, True, True, False], "deal_date": [dt.date(2024, 4, 1)] * 3 + [None],
                         "deal_product_line": ["", "", "", ""]})
    frame = O.visitor_frame(Facts.build(rows))
    assert frame.to_dict("list") == {"visitor_id": [3, 7], "line": ["洋房", "公寓"], "deal": [False, True],
                                     "bought": ["", "公寓"]}  # no 成交业态: the intended line


def test_the_city_map_draws_listed_cities_over_province_outlines_and_escapes_names():
    o = O.origin_table(VISITORS, HOMETOWN, "city", K)
    table = o.table.copy()
    table.loc[0, "籍贯"] = "<img src=x onerror=alert(1)>"
    html = origin_map(table, O.polygons("city"), level="city", min_count=K, title="籍贯",
                      outlines=O.polygons("province")).get_root().render()
    shown = [f["properties"] for f in features(html) if "visits_text" in f["properties"]]
    assert sorted(p["visits_text"] for p in shown) == ["2", "2", "3"]  # 苏州, 上海, 南京; 万县 has no polygon
    assert "<img" not in unescape(html) and "&lt;img src=x" in unescape(html)
    outlines = [f for f in features(html) if set(f["properties"]) == {"name_html"}]
    assert len(outlines) == 34


def test_the_province_map_shades_only_places_of_k_or_more():
    o = O.origin_table(VISITORS, HOMETOWN, "province", K)
    html = unescape(origin_map(o.table, O.polygons("province"), level="province", min_count=K).get_root().render())
    shown = {p["name_html"]: p["visits_text"] for p in (f["properties"] for f in features(html))
             if "visits_text" in p}
    assert shown == {"江苏省": "5", "上海市": "2", "四川省": "2"}  # 湖北省 (1 < k): not shaded


def test_every_current_prefecture_of_the_id_code_table_has_a_polygon():
    codes = pd.read_csv(O.ROOT / "data" / "idcodes" / "address_codes.csv", dtype=str, keep_default_na=False)
    current = codes.loc[codes["current"] == "1", "code"].unique()
    for level in O.LEVELS:
        keys = set(O.normalise(current, level)) - {""}
        drawn = set(O.polygons(level)["adcode"])
        missing = {k for k in keys - drawn if not (level == "city" and k.endswith("0000"))}  # a bare province code
        assert not missing, (level, sorted(missing))
    assert len(O.polygons("province")) == 34 and O.polygons("province")["adcode"].is_unique
    assert len(O.polygons("city")) == 370 and O.polygons("city")["adcode"].is_unique
    assert O.polygons("province").is_valid.all() and O.polygons("city").is_valid.all()


def test_taiwan_residence_permits_are_on_the_map():
    o = O.origin_table(VISITORS.head(2), pd.DataFrame({"visitor_id": [1, 2], "hometown": ["830000", "830000"]}),
                       "province", K)
    assert o.table[["代码", "籍贯", "到访", "在地图上"]].values.tolist() == [["830000", "台湾省", 2, True]]
