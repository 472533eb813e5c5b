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
