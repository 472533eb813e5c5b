"""Every column that holds phone numbers or names is masked where the import page shows or hands out rows."""

import io

import pandas as pd

from mapping.ingest.keys import PiiSecret
from mapping.ingest.privacy import mask_frame, pii_columns
from mapping.ingest.tables import auto_map, read_table, rejected_rows, validate

SECRET = PiiSecret(bytes(32), "s")  # a fixed test key and salt

PHONE, BACKUP, CONTACT = "13812345678", "13987654321", "王小明"


def _table():
    frame = pd.DataFrame({
        "客户编号": ["A1", "A2"], "姓名": ["张三丰", "李四"], "手机": [PHONE, "13700001111"],
        "备用电话": [BACKUP, ""], "联系人姓名": [CONTACT, "赵六"], "备注": [f"请回电 {BACKUP}", "无"],
        "到访日期": ["2024-03-05", "不是日期"], "居住区域": ["浦东", "徐汇"],
    })
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return read_table(buf.getvalue().encode("utf-8-sig"), "v.csv")


def _no_clear_pii(frame: pd.DataFrame) -> None:
    text = frame.astype(str).to_string()
    for clear in (PHONE, BACKUP, CONTACT, "张三丰", "13700001111"):
        assert clear not in text, clear


def test_second_phone_and_name_columns_are_found():
    table = _table()
    found = pii_columns(table.frame, auto_map(table.frame.columns))
    assert {"姓名", "手机", "备用电话", "联系人姓名"} <= set(found)


def test_preview_masks_every_personal_column():
    table = _table()
    _no_clear_pii(mask_frame(table.frame, auto_map(table.frame.columns)))


def test_rejected_rows_download_masks_every_personal_column():
    table = _table()
    mapping = auto_map(table.frame.columns)
    result = validate(table, mapping, secret=SECRET)
    bad = rejected_rows(table, result, mapping)
    assert len(bad) == 1
    _no_clear_pii(bad)
    _no_clear_pii(result.report)


def test_phone_numbers_inside_free_text_are_masked():
    masked = mask_frame(pd.DataFrame({"备注": [f"请回电 {BACKUP}", "再联系 13900001111"]}))
    assert masked["备注"].tolist() == ["请回电 *******4321", "再联系 *******1111"]


def test_a_phone_typed_into_other_text_never_reaches_the_records_in_clear():
    """An address 「汤臣一品 13912345678」, a channel with a number, a 客户编号 that is a mobile number:
    masked (the 编号 used as the phone, hashed), each with a report line; nothing else changes."""
    from mapping.ingest.keys import PiiSecret
    from mapping.ingest.tables import auto_map, read_table, validate

    text = ("客户编号,到访日期,居住区域,手机,渠道\n"
            "13812345678,2024-05-01,汤臣一品 13912345678,,自然到访\n"
            "C2,2024-05-02,金桥,13700001111,朋友 136-0000-2222 介绍\n"
            "C3,2024-05-03,张江 88号,,自然到访\n")
    table = read_table(text.encode(), "x.csv")
    result = validate(table, auto_map(table.frame.columns), secret=PiiSecret(b"k" * 32, "salt"))
    records = result.records
    stored = records.astype(str).to_csv()
    for clear in ("13812345678", "13912345678", "13600002222", "136-0000-2222", "13700001111"):
        assert clear not in stored
    assert records.loc[0, "home_text"] == "汤臣一品 *******5678"
    assert records.loc[0, "visitor_id"] == "" and records.loc[0, "phone_masked"] == "*******5678"
    assert records.loc[0, "visitor_key"].startswith("ph:")
    assert records.loc[1, "channel"].endswith("2222 介绍") and records.loc[2, "home_text"] == "张江 88号"
    report = result.report.astype(str).to_csv()
    assert "居住区域含手机号" in report and "客户编号是手机号" in report and "13912345678" not in report
