import io

import openpyxl
import pandas as pd
import pytest

from mapping.ingest import tables as ingest
from mapping.ingest.keys import PiiSecret
from mapping.ingest.tables import IngestError, auto_map, read_table, validate

SECRET = PiiSecret(bytes(32), "test-salt")
HEADERS = ["客户编号", "姓名", "手机", "到访日期", "意向业态", "意向等级", "居住区域", "居住经度", "居住纬度",
           "坐标系", "是否成交", "成交日期"]
ROWS = [
    ["C1", "张三丰", "13812345678", "2024-03-05", "公寓", "A", "浦东", "121.6", "31.26", "GCJ02", "是", "2024-05-02"],
    ["C2", "李四", "13912345678", "2024/3/6", "洋房", "B级", "徐汇区", "", "", "", "否", ""],
    ["C3", "王五", "13700001111", "2024年3月7日", "别墅", "c", "金桥", "", "", "", "N", ""],
]


def _csv_bytes(encoding="utf-8-sig", delimiter=",", headers=HEADERS, rows=ROWS) -> bytes:
    buf = io.StringIO()
    pd.DataFrame(rows, columns=headers).to_csv(buf, index=False, sep=delimiter)
    return buf.getvalue().encode(encoding)


def _xlsx_bytes(sheets: dict[str, list[list]]) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xls_bytes(rows: list[list]) -> bytes:
    xlwt = pytest.importorskip("xlwt")
    wb = xlwt.Workbook()
    ws = wb.add_sheet("客户")
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            ws.write(i, j, value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _run(data: bytes, filename: str, **kw):
    table = read_table(data, filename, **kw)
    return table, validate(table, auto_map(table.frame.columns), secret=SECRET)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_csv_encodings(encoding):
    table, result = _run(_csv_bytes(encoding), "visitors.csv")
    assert result.counts["rejected"] == 0
    assert result.records["home_text"].tolist() == ["浦东", "徐汇区", "金桥"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiters(delimiter):
    table, result = _run(_csv_bytes(delimiter=delimiter), "visitors.csv")
    assert table.delimiter == delimiter
    assert len(result.records) == 3


def test_xlsx_and_xls_read_the_same_records():
    _, from_xlsx = _run(_xlsx_bytes({"到访客户": [HEADERS, *ROWS]}), "v.xlsx")
    _, from_xls = _run(_xls_bytes([HEADERS, *ROWS]), "v.xls")
    cols = ["visitor_id", "visit_date", "product_line", "home_text", "deal"]
    pd.testing.assert_frame_equal(from_xlsx.records[cols], from_xls.records[cols])


def test_excel_dates_and_numbers():
    import datetime as dt
    rows = [HEADERS, ["C9", "赵六", 13812345670, dt.datetime(2024, 3, 5), "公寓", "A", "浦东", 121.6, 31.26,
                      "WGS84", "是", 45413]]
    _, result = _run(_xlsx_bytes({"S": rows}), "v.xlsx")
    rec = result.records.iloc[0]
    assert str(rec["visit_date"]) == "2024-03-05"
    assert str(rec["deal_date"]) == "2024-05-01"  # Excel serial 45413
    assert rec["phone_masked"] == "*******5670"


def test_title_row_above_header_is_skipped():
    data = ("XX项目到访登记表\n" + _csv_bytes("utf-8").decode()).encode()
    table, result = _run(data, "v.csv")
    assert table.header_row == 2
    assert result.records["row_number"].tolist() == [3, 4, 5]


def test_wrong_sheet_names_the_sheets():
    data = _xlsx_bytes({"说明": [["本表说明"]], "到访客户": [HEADERS, *ROWS]})
    with pytest.raises(IngestError, match="找不到工作表「客户」.*说明、到访客户"):
        read_table(data, "v.xlsx", sheet="客户")


def test_first_sheet_with_data_is_used():
    data = _xlsx_bytes({"空表": [], "到访客户": [HEADERS, *ROWS]})
    table = read_table(data, "v.xlsx")
    assert table.sheet == "到访客户"


@pytest.mark.parametrize("data,filename,message", [
    (b"", "v.csv", "是空的"),
    (b"   \n  ", "v.csv", "是空的"),
    (",".join(HEADERS).encode("utf-8"), "v.csv", "只有表头"),
    (b"\x81\x30\xff\xfe\xfd" * 50 + b"\x00\x01\x02", "v.csv", "编码|不是文本表格"),
    (b"PK\x03\x04 not really excel", "v.xlsx", "无法打开 Excel"),
    (b"a,b\n1,2", "v.pdf", "不支持的文件类型"),
])
def test_bad_files_get_chinese_messages(data, filename, message):
    with pytest.raises(IngestError, match=message):
        read_table(data, filename)


def test_file_too_large(monkeypatch):
    monkeypatch.setattr(ingest, "MAX_FILE_MB", 0.0001)
    with pytest.raises(IngestError, match="超过单次导入上限.*拆分.*scripts/import_visitors.py"):
        read_table(_csv_bytes(), "big.csv")  # and the way for a whole large export


def test_fifty_megabyte_file_is_refused_with_advice():
    data = _csv_bytes() + b"x" * (51 * 1024 * 1024)
    with pytest.raises(IngestError, match="MB，超过单次导入上限 50 MB"):
        read_table(data, "big.csv")


def test_missing_required_column():
    headers = [h for h in HEADERS if h != "到访日期"]
    rows = [[v for h, v in zip(HEADERS, r) if h != "到访日期"] for r in ROWS]
    table = read_table(_csv_bytes(headers=headers, rows=rows), "v.csv")
    with pytest.raises(IngestError, match="缺少必需的列：到访日期"):
        validate(table, auto_map(table.frame.columns), secret=SECRET)


def test_mapping_override():
    headers = ["编号X", "来访", "家"]
    rows = [["1", "2024-01-02", "浦东"]]
    table = read_table(_csv_bytes(headers=headers, rows=rows), "v.csv")
    result = validate(table, {"visitor_id": "编号X", "visit_date": "来访", "home_text": "家"}, secret=SECRET)
    assert result.records["home_text"].tolist() == ["浦东"]
    with pytest.raises(IngestError, match="不存在"):
        validate(table, {"visit_date": "没有这列"}, secret=SECRET)


@pytest.mark.parametrize("value,expected", [
    ("2024-03-05", "2024-03-05"), ("2024/3/5", "2024-03-05"), ("2024年3月5日", "2024-03-05"),
    ("2024.3.5", "2024-03-05"), ("20240305", "2024-03-05"), ("45356", "2024-03-05"),
    ("2024-03-05 14:30:00", "2024-03-05"), ("2024-13-45", "None"), ("下周二", "None"),
])
def test_parse_dates(value, expected):
    dates, _ = ingest.parse_dates(pd.Series([value]))
    assert str(dates.iloc[0]) == expected


@pytest.mark.parametrize("value,deal,stage", [
    ("是", True, "认购"), ("否", False, "来访"), ("Y", True, "认购"), ("n", False, "来访"), ("1", True, "认购"),
    ("0", False, "来访"), ("已成交", True, "认购"), ("未成交", False, "来访"), ("", False, "来访"),
    ("也许", False, ""),
])
def test_deal_booleans(value, deal, stage):
    """The old yes/no forms still work; an unknown status keeps its row (it used to reject it)."""
    rows = [["C1", "张三", "13812345678", "2024-03-05", "公寓", "A", "浦东", "", "", "", value, ""]]
    _, result = _run(_csv_bytes(rows=rows), "v.csv")
    assert result.counts["rejected"] == 0
    rec = result.records.iloc[0]
    assert (bool(rec["deal"]), rec["stage"]) == (deal, stage)
    assert (result.counts["fixed"] == 1) is (stage == "")
    assert result.unknown["raw"].tolist() == ([value] if stage == "" else [])


@pytest.mark.parametrize("value,expected", [("酒店式公寓", "公寓"), ("联排", "别墅"), ("底商", "商铺"),
                                            ("叠加", "洋房"), ("城堡", "其他")])
def test_product_line_synonyms(value, expected):
    rows = [["C1", "张三", "13812345678", "2024-03-05", value, "A", "浦东", "", "", "", "否", ""]]
    _, result = _run(_csv_bytes(rows=rows), "v.csv")
    assert result.records["product_line"].iloc[0] == expected
    assert result.counts["fixed"] == 1


def test_coordinates_swapped_and_out_of_range_are_reported():
    rows = [
        ["C1", "张三", "13812345678", "2024-03-05", "公寓", "A", "", "31.26", "121.6", "WGS84", "否", ""],
        ["C2", "李四", "13812345679", "2024-03-05", "公寓", "A", "浦东", "500", "31.2", "WGS84", "否", ""],
        ["C3", "王五", "13812345670", "2024-03-05", "公寓", "A", "浦东", "121.6", "31.2", "火星2", "否", ""],
    ]
    _, result = _run(_csv_bytes(rows=rows), "v.csv")
    rec = result.records.set_index("visitor_id")
    assert (rec.loc["C1", "home_lng"], rec.loc["C1", "home_lat"]) == (121.6, 31.26)
    assert pd.isna(rec.loc["C2", "home_lng"]) and rec.loc["C2", "home_text"] == "浦东"
    assert pd.isna(rec.loc["C3", "home_lng"])
    reasons = " ".join(result.report["原因"])
    assert "填反" in reasons and "超出范围" in reasons and "坐标系无法识别" in reasons
    assert result.report["行号"].tolist() == [2, 3, 4]


def test_rejected_row_is_reported_with_row_and_column_and_nothing_is_lost():
    rows = [*ROWS, ["C4", "钱七", "13811112222", "下周二", "公寓", "A", "浦东", "", "", "", "否", ""], [""] * 12]
    table, result = _run(_csv_bytes(rows=rows), "v.csv")
    line = result.report[result.report["处理"] == "拒绝"].iloc[0]
    assert (line["行号"], line["列"], line["原值"]) == (5, "到访日期", "下周二")
    assert result.empty_rows == [6]
    assert len(result.records) + result.counts["rejected"] + len(result.empty_rows) == len(rows)
    back = ingest.rejected_rows(table, result, auto_map(table.frame.columns))
    assert back["原行号"].tolist() == [5] and "到访日期无法识别" in back["拒绝原因"].iloc[0]


def test_duplicate_visitor_id_keeps_the_last_and_reports_the_first():
    rows = [ROWS[0], ROWS[1], [*ROWS[0][:6], "陆家嘴", "", "", "", "否", ""]]
    _, result = _run(_csv_bytes(rows=rows), "v.csv")
    assert result.records["visitor_id"].tolist() == ["C2", "C1"]
    assert result.records.set_index("visitor_id").loc["C1", "home_text"] == "陆家嘴"
    assert "以后出现的第 4 行为准" in result.report["原因"].iloc[0]


def test_no_clear_pii_leaves_validation():
    _, result = _run(_csv_bytes(), "v.csv")
    text = result.records.to_csv() + result.report.to_csv()
    for clear in ("13812345678", "张三丰", "13912345678", "李四"):
        assert clear not in text
    assert result.records["phone_masked"].iloc[0] == "*******5678"
    assert result.records["name_masked"].tolist() == ["张**", "李*", "王*"]
    assert result.records["phone_hash"].str.len().eq(32).all()


def test_hash_depends_on_salt_and_key():
    table = read_table(_csv_bytes(), "v.csv")
    a = validate(table, auto_map(table.frame.columns), secret=PiiSecret(bytes(32), "a")).records["phone_hash"]
    b = validate(table, auto_map(table.frame.columns), secret=PiiSecret(bytes(32), "b")).records["phone_hash"]
    c = validate(table, auto_map(table.frame.columns), secret=PiiSecret(b"\x01" * 32, "a")).records["phone_hash"]
    assert (a != b).all() and (a != c).all()


def test_auto_map_english_headers():
    mapping = auto_map(["Visitor ID", "Visit Date", "Home Area", "Home Lng", "Home Lat", "Phone", "Deal"])
    assert mapping == {"visitor_id": "Visitor ID", "visit_date": "Visit Date", "home_text": "Home Area",
                       "home_lng": "Home Lng", "home_lat": "Home Lat", "phone": "Phone", "deal": "Deal"}


def test_best_sheet_is_the_one_with_visitor_headers():
    data = _xlsx_bytes({"说明": [["本表说明"]], "汇总": [["月份", "到访"], ["3月", 10]],
                        "到访客户": [HEADERS, *ROWS]})
    assert ingest.best_sheet(data, "v.xlsx") == "到访客户"


# --- stages, unknown values, value maps -------------------------------------------------------
STAGE_HEADERS = ["客户编号", "到访日期", "居住区域", "客户状态", "认购日期", "签约日期", "意向业态", "意向等级", "到访渠道"]


def _stage_table(rows, headers=STAGE_HEADERS):
    return read_table(_csv_bytes(headers=headers, rows=rows), "v.csv")


def _validate(table, **kw):
    return validate(table, auto_map(table.frame.columns), secret=SECRET, **kw)


@pytest.mark.parametrize("status,stage,deal_at_subscribe,deal_at_sign", [
    ("来访", "来访", False, False), ("复访", "来访", False, False), ("排卡", "认筹", False, False),
    ("小订", "认购", True, False), ("定金", "认购", True, False), ("已认购", "认购", True, False),
    ("签约", "签约", True, True), ("网签", "签约", True, True), ("草签", "签约", True, True),
    ("退房", "退房", False, False), ("退订", "退房", False, False), ("", "来访", False, False),
])
def test_stages_and_deals(status, stage, deal_at_subscribe, deal_at_sign):
    table = _stage_table([["C1", "2024-03-05", "浦东", status, "", "", "公寓", "A", "拓客"]])
    for deal_stage, deal in (("认购", deal_at_subscribe), ("签约", deal_at_sign)):
        rec = _validate(table, deal_stage=deal_stage).records.iloc[0]
        assert (rec["stage"], bool(rec["deal"])) == (stage, deal)


def test_stage_dates_and_deal_dates():
    rows = [["C1", "2024-03-01", "浦东", "认购", "2024-03-10", "", "公寓", "A", ""],
            ["C2", "2024-03-02", "浦东", "签约", "2024-03-11", "2024-04-01", "公寓", "A", ""],
            ["C3", "2024-03-03", "浦东", "来访", "", "", "公寓", "A", ""],
            ["C4", "2024-03-04", "浦东", "", "2024-03-20", "", "公寓", "A", ""],  # a deal date implies 认购
            ["C5", "2024-03-05", "浦东", "", "", "2024-05-01", "公寓", "A", ""],  # a sign date implies 签约
            ["C6", "2024-03-06", "浦东", "认购", "", "", "公寓", "A", ""]]
    table = _stage_table(rows)
    rec = _validate(table).records.set_index("visitor_id")
    assert rec["stage"].tolist() == ["认购", "签约", "来访", "认购", "签约", "认购"]
    assert [str(d) for d in rec["stage_date"]] == ["2024-03-10", "2024-04-01", "2024-03-03", "2024-03-20",
                                                   "2024-05-01", "None"]
    assert [str(d) for d in rec["deal_date"]] == ["2024-03-10", "2024-03-11", "None", "2024-03-20", "2024-05-01",
                                                  "None"]
    signed = _validate(table, deal_stage="签约").records.set_index("visitor_id")
    assert signed["deal"].tolist() == [False, True, False, False, True, False]
    assert str(signed.loc["C2", "deal_date"]) == "2024-04-01"  # the date of the deal under the project's rule


def test_deal_column_and_status_column_together():
    headers = ["到访日期", "居住区域", "是否成交", "客户状态"]
    rows = [["2024-03-01", "浦东", "是", "签约"], ["2024-03-02", "浦东", "是", "退房"], ["2024-03-03", "浦东", "否", ""]]
    result = _validate(_stage_table(rows, headers))
    assert result.records["stage"].tolist() == ["签约", "退房", "来访"]
    assert result.records["deal"].tolist() == [True, False, False]


def test_unknown_values_keep_their_rows_and_are_listed_with_counts_and_suggestions():
    rows = [["C1", "2024-03-01", "浦东", "意向金", "", "", "叠拼", "高意向", "朋友介绍"],
            ["C2", "2024-03-02", "浦东", "意向金", "", "", "叠拼", "A", "朋友介绍"],
            ["C3", "2024-03-03", "浦东", "已网签备案", "", "2024-04-01", "城堡", "A", "售楼处"],
            ["C4", "2024-03-04", "浦东", "待定", "", "", "独栋", "B", "拓客"]]
    result = _validate(_stage_table(rows), product_lines=("公寓", "洋房"))
    assert result.counts == {"accepted": 0, "fixed": 4, "rejected": 0}
    unknown = result.unknown.set_index(["field", "raw"])
    assert list(result.unknown.columns) == ["field", "字段", "raw", "key", "rows", "example_rows", "suggestion",
                                            "choices"]
    assert unknown.loc[("stage", "已网签备案"), "suggestion"] == "签约"
    assert unknown.loc[("stage", "待定"), "suggestion"] == ""
    assert unknown.loc[("product_line", "独栋"), "suggestion"] == ""  # 别墅 is not the project's line
    assert unknown.loc[("product_line", "独栋"), "choices"] == ["公寓", "洋房", "其他"]
    assert unknown.loc[("intention", "高意向"), ["rows", "example_rows", "suggestion"]].tolist() == [1, "2", "A"]
    assert unknown.loc[("channel", "朋友介绍"), ["rows", "example_rows", "suggestion"]].tolist() == [2, "2、3", "老带新"]
    assert ("channel", "售楼处") not in unknown.index  # free text without a near channel is fine
    rec = result.records.set_index("visitor_id")
    assert rec["stage"].tolist() == ["认筹", "认筹", "签约", ""]  # 意向金 is a default alias; 待定 has no suggestion
    assert rec["product_line"].tolist() == ["洋房", "洋房", "其他", "其他"]
    assert rec["intention"].tolist() == ["", "A", "A", "B"]
    assert rec["channel"].tolist() == ["朋友介绍", "朋友介绍", "售楼处", "拓客"]


def test_value_maps_override_defaults_and_clear_the_unknown_list():
    rows = [["C1", "2024-03-01", "浦东", "待定", "", "", "叠拼", "高意向", "朋友介绍"],
            ["C2", "2024-03-02", "浦东", "网签", "", "", "独栋", "A", "拓客"]]
    table = _stage_table(rows)
    first = _validate(table, product_lines=("公寓", "洋房"))
    choices = {field: dict(zip(group["key"], group["suggestion"].replace("", None).fillna("其他")))
               for field, group in first.unknown.groupby("field")}
    choices["stage"] = {"待定": "认筹", "网签": "认购"}  # this office counts 网签 as 认购 (overrides the default)
    choices["intention"] = {"高意向": "B"}
    again = _validate(table, product_lines=("公寓", "洋房"), value_maps=choices)
    assert again.unknown.empty
    rec = again.records.set_index("visitor_id")
    assert rec["stage"].tolist() == ["认筹", "认购"]
    assert rec["intention"].tolist() == ["B", "A"]
    assert rec["product_line"].tolist() == ["洋房", "其他"]
    assert rec["channel"].tolist() == ["老带新", "拓客"]
    assert again.counts["fixed"] == 1  # 叠拼 → 洋房 is still reported as a synonym


def test_deal_product_line_uses_the_product_line_choices():
    headers = ["到访日期", "居住区域", "意向业态", "成交业态", "是否成交"]
    table = _stage_table([["2024-03-01", "浦东", "城堡", "城堡", "是"]], headers)
    assert _validate(table).unknown[["field", "rows"]].values.tolist() == [["product_line", 1]]
    rec = _validate(table, value_maps={"product_line": {"城堡": "别墅"}}).records.iloc[0]
    assert (rec["product_line"], rec["deal_product_line"]) == ("别墅", "别墅")


def test_deal_stage_must_be_a_deal_stage():
    with pytest.raises(ValueError, match="'deal_stage' should be one of 认购/签约, got '来访'"):
        _validate(_stage_table([["C1", "2024-03-05", "浦东", "", "", "", "", "", ""]]), deal_stage="来访")


def test_total_row_is_skipped_and_masked_phones_do_not_merge_visitors():
    headers = ["序号", "姓名", "手机", "到访日期", "居住区域"]
    rows = [["1", "张三", "138****5678", "2024-03-01", "浦东"], ["2", "李四", "138****5678", "2024-03-01", "徐汇"],
            ["合计", "", "", "", "2"]]
    result = _validate(_stage_table(rows, headers))
    assert len(result.records) == 2 and result.counts["rejected"] == 0
    assert result.total_rows == [4]
    assert result.records["phone_masked"].tolist() == ["*******5678", "*******5678"]
    assert result.records["visitor_key"].nunique() == 2
    assert "合计行" in set(result.report["问题"])


def test_summarise_groups_by_reason_rejections_first():
    rows = [[*ROWS[0][:3], "下周二", *ROWS[0][4:]], [*ROWS[1][:4], "城堡", *ROWS[1][5:]],
            [*ROWS[2][:4], "酒店式公寓", *ROWS[2][5:]], ["C4", "赵", "13700002222", "", "城堡", "A", "浦东", "", "", "",
                                                        "否", ""]]
    _, result = _run(_csv_bytes(rows=rows), "v.csv")
    summary = ingest.summarise(result.report)
    assert list(summary.columns) == ["原因", "处理", "类别", "行数", "示例行", "怎么办"]
    assert summary["类别"].tolist()[:2] == ["拒绝", "拒绝"]
    assert set(summary["原因"][:2]) == {"到访日期无法识别", "到访日期为空"}
    line = summary.set_index("原因").loc["业态未识别"]
    assert (line["类别"], line["行数"], line["示例行"]) == ("已修正", 2, "3、5")  # row 5 is also rejected
    assert summary.set_index("原因").loc["业态同义词", "类别"] == "提示"
    assert summary["怎么办"].str.len().gt(0).all()
    assert result.summary().equals(summary)


def test_summarise_of_a_clean_file_is_empty():
    _, result = _run(_csv_bytes(), "v.csv")
    assert ingest.summarise(result.report).empty


_HEAD = "客户编号,姓名,手机,到访日期,意向业态,居住区域,渠道,行业\n"


@pytest.mark.parametrize("body, fast", [
    ("C1,张三,13812345678,2024-03-05,公寓,浦东,自然到访,金融\nC2,李四,139,2024/3/6,洋房,徐汇,中介,\n", True),
    ('C1,张三,138,2024-03-05,公寓,"浦东, 张江",自然到访,"教\n育"\nC2,李四,139,2024/3/6,洋房,"徐汇""区""",中介,x\n', True),
    ("C1, 张三 ,138,2024-03-05,公寓,\u3000浦东\x1c,自然到访,金融\n\nC2,李四,139,2024/3/6,洋房,徐汇,中介,教育\n", True),
    ('C1,张三,138,2024-03-05,公寓,浦"东,自然到访,金融\nC2,李四,139,2024/3/6,洋房,"徐汇"区,中介,教育\n', False),
    ('C1,张三,138,2024-03-05,公寓, "浦东",自然到访,金融\n', False),
    ("C1,张三,138,2024-03-05,公寓,浦东,自然到访,金融,多一列\nC2,李四,139,2024/3/6,洋房,徐汇\n", False),
])
def test_fast_csv_reader_gives_the_csv_module_cells(body, fast, monkeypatch):
    data = (_HEAD + body).encode("utf-8-sig")
    used = []
    arrow = ingest._read_csv_arrow
    monkeypatch.setattr(ingest, "_read_csv_arrow", lambda *a: used.append(arrow(*a)) or used[-1])
    table = read_table(data, "v.csv")
    assert (used[0] is not None) is fast
    monkeypatch.setattr(ingest, "_read_csv_arrow", lambda *a: None)
    plain = read_table(data, "v.csv")
    assert list(table.frame.columns) == list(plain.frame.columns)
    assert table.frame.astype(object).values.tolist() == plain.frame.values.tolist()
    secret = PiiSecret(bytes(32), "s")
    mapping = auto_map(table.frame.columns)
    a, b = validate(table, mapping, secret=secret), validate(plain, mapping, secret=secret)
    pd.testing.assert_frame_equal(a.records, b.records)
    pd.testing.assert_frame_equal(a.report, b.report)


def test_fast_csv_reader_leaves_an_overlong_cell_to_the_csv_module():
    data = (_HEAD + "C1,张三,138,2024-03-05,公寓," + "浦" * 140_000 + ",自然到访,金融\n").encode()
    with pytest.raises(IngestError, match="某个单元格内容过长"):
        read_table(data, "v.csv")


def test_excel_row_numbers_count_the_blank_rows_the_reader_leaves_out():
    """A blank line above the header and one between data rows: the report and the rejected rows say
    the rows Excel shows (2 is the header, the bad date is on row 6), not their positions."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in ([], ["到访日期", "居住区域"], ["2024-03-01", "浦东"], [], ["2024-03-02", "浦东"],
                ["不是日期", "浦东"]):
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    table = read_table(buf.getvalue(), "v.xlsx")
    assert table.header_row == 2 and [table.row_number(p) for p in range(len(table.frame))] == [3, 5, 6]
    result = validate(table, auto_map(table.frame.columns), secret=SECRET)
    assert result.report["行号"].tolist() == [6]
    assert result.records["row_number"].tolist() == [3, 5]
    assert ingest.rejected_rows(table, result, auto_map(table.frame.columns))["原行号"].tolist() == [6]
