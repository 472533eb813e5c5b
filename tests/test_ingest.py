import io

import openpyxl
import pandas as pd
import pytest

from mapping.ingest import tables as ingest
from mapping.ingest.tables import IngestError, auto_map, read_table, validate

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
    return table, validate(table, auto_map(table.frame.columns), salt="test-salt")


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
    assert rec["phone_masked"] == "138****5670"


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
    with pytest.raises(IngestError, match="超过单次导入上限.*拆分"):
        read_table(_csv_bytes(), "big.csv")


def test_fifty_megabyte_file_is_refused_with_advice():
    data = _csv_bytes() + b"x" * (51 * 1024 * 1024)
    with pytest.raises(IngestError, match="MB，超过单次导入上限 50 MB"):
        read_table(data, "big.csv")


def test_missing_required_column():
    headers = [h for h in HEADERS if h != "到访日期"]
    rows = [[v for h, v in zip(HEADERS, r) if h != "到访日期"] for r in ROWS]
    table = read_table(_csv_bytes(headers=headers, rows=rows), "v.csv")
    with pytest.raises(IngestError, match="缺少必需的列：到访日期"):
        validate(table, auto_map(table.frame.columns), salt="s")


def test_mapping_override():
    headers = ["编号X", "来访", "家"]
    rows = [["1", "2024-01-02", "浦东"]]
    table = read_table(_csv_bytes(headers=headers, rows=rows), "v.csv")
    result = validate(table, {"visitor_id": "编号X", "visit_date": "来访", "home_text": "家"}, salt="s")
    assert result.records["home_text"].tolist() == ["浦东"]
    with pytest.raises(IngestError, match="不存在"):
        validate(table, {"visit_date": "没有这列"}, salt="s")


@pytest.mark.parametrize("value,expected", [
    ("2024-03-05", "2024-03-05"), ("2024/3/5", "2024-03-05"), ("2024年3月5日", "2024-03-05"),
    ("2024.3.5", "2024-03-05"), ("20240305", "2024-03-05"), ("45356", "2024-03-05"),
    ("2024-03-05 14:30:00", "2024-03-05"), ("2024-13-45", "None"), ("下周二", "None"),
])
def test_parse_dates(value, expected):
    dates, _ = ingest.parse_dates(pd.Series([value]))
    assert str(dates.iloc[0]) == expected


@pytest.mark.parametrize("value,deal,rejected", [
    ("是", True, False), ("否", False, False), ("Y", True, False), ("n", False, False), ("1", True, False),
    ("0", False, False), ("已成交", True, False), ("未成交", False, False), ("也许", None, True),
])
def test_deal_booleans(value, deal, rejected):
    rows = [["C1", "张三", "13812345678", "2024-03-05", "公寓", "A", "浦东", "", "", "", value, ""]]
    _, result = _run(_csv_bytes(rows=rows), "v.csv")
    assert (result.counts["rejected"] == 1) is rejected
    if not rejected:
        assert bool(result.records["deal"].iloc[0]) is deal


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
    assert result.records["phone_masked"].iloc[0] == "138****5678"
    assert result.records["name_masked"].tolist() == ["张*丰", "李*", "王*"]
    assert result.records["phone_hash"].str.len().eq(32).all()


def test_hash_depends_on_salt():
    table = read_table(_csv_bytes(), "v.csv")
    a = validate(table, auto_map(table.frame.columns), salt="a").records["phone_hash"]
    b = validate(table, auto_map(table.frame.columns), salt="b").records["phone_hash"]
    assert (a != b).all()


def test_auto_map_english_headers():
    mapping = auto_map(["Visitor ID", "Visit Date", "Home Area", "Home Lng", "Home Lat", "Phone", "Deal"])
    assert mapping == {"visitor_id": "Visitor ID", "visit_date": "Visit Date", "home_text": "Home Area",
                       "home_lng": "Home Lng", "home_lat": "Home Lat", "phone": "Phone", "deal": "Deal"}


def test_best_sheet_is_the_one_with_visitor_headers():
    data = _xlsx_bytes({"说明": [["本表说明"]], "汇总": [["月份", "到访"], ["3月", 10]],
                        "到访客户": [HEADERS, *ROWS]})
    assert ingest.best_sheet(data, "v.xlsx") == "到访客户"
