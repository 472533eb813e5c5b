"""Issue 15 ingest: 意向面积 / 意向总价 / 意向区域 imported as cleaned text with notes for what bands cannot
read, and 籍贯 derived from 身份证号 only when the user opts in, the ID number kept nowhere (database file,
report, records, rejected rows, preview, logs), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
import logging
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import MetaData, select

from mapping import importer
from mapping import schema as S
from mapping.db.models import Visitor
from mapping.ingest.headers import auto_map
from mapping.ingest.keys import PiiSecret
from mapping.ingest.privacy import mask_frame
from mapping.ingest.tables import read_table, rejected_rows, validate
from mapping.segments.hometown import check_digit

ROOT = Path(__file__).resolve().parent.parent

SECRET = PiiSecret(bytes(32), "salt")


def _id(prefix: str, birth: str, seq: str = "001") -> str:
    body = prefix + birth + seq
    return body + check_digit(body)


SUZHOU = _id("320505", "20010307")  # 苏州市虎丘区 → 320500
PUDONG = _id("310115", "19930615")  # 上海市浦东新区 → 310000 (a municipality is its province)
WANXIAN = _id("512201", "19900101")  # 万县市 in 1990, a code since abolished → 512200
XIANTAO = _id("429004", "19950520")  # 仙桃市, a county-level city under the province → 429004
JIANGSU = _id("320000", "19900101")  # only the province → 320000
BAD_CHECK = SUZHOU[:-1] + ("0" if SUZHOU[-1] != "0" else "1")
SHORT = SUZHOU[:17]
IDS = [SUZHOU, PUDONG, WANXIAN, XIANTAO, JIANGSU, BAD_CHECK, SHORT, ""]

HEADERS = ["客户编号", "到访日期", "居住区域", "意向面积", "预算", "意向区域", "身份证号"]
ROWS = [
    ["K1", "2024-03-01", "浦东新区", "120-140", "300万", "金桥", IDS[0]],
    ["K2", "2024-03-02", "徐汇区", "90㎡", "总价300万左右", "张江", IDS[1]],
    ["K3", "2024-03-03", "闵行区", "三房", "3000000", "", IDS[2]],
    ["K4", "2024-03-04", "杨浦区", "一百二十平", "45000", "外高桥", IDS[3]],
    ["K5", "2024-03-05", "静安区", "", "", "", IDS[4]],
    ["K6", "2024-03-06", "黄浦区", "100以上", "300-400万", "陆家嘴", IDS[5]],
    ["K7", "2024-03-07", "长宁区", "88", "", "", IDS[6]],
    ["K8", "2024-03-08", "普陀区", "", "", "", IDS[7]],
]
CITIES = {"K1": "320500", "K2": "310000", "K3": "512200", "K4": "429004", "K5": "320000", "K6": "", "K7": "",
          "K8": ""}


def _csv(rows=ROWS, headers=HEADERS) -> bytes:
    buf = io.StringIO()
    pd.DataFrame(rows, columns=headers).to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8-sig")


def _xlsx(rows=ROWS, headers=HEADERS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    for cell in sheet["G"][1:]:
        cell.number_format = "@"  # ID numbers stored as text, as an export should
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _validate(data=None, name="v.csv", secret=SECRET, **kw):
    table = read_table(data if data is not None else _csv(), name)
    mapping = auto_map(table.frame.columns)
    return table, mapping, validate(table, mapping, secret=secret, **kw)


def _by_code(records: pd.DataFrame, col: str) -> dict[str, str]:
    return dict(zip(records["visitor_id"], records[col].fillna("")))


# ------------------------------------------------------------------ 意向面积 / 意向总价 / 意向区域
def test_headers_are_recognised():
    assert auto_map(HEADERS) == {"visitor_id": "客户编号", "visit_date": "到访日期", "home_text": "居住区域",
                                 "area_want": "意向面积", "price_want": "预算", "intended_text": "意向区域",
                                 "id_number": "身份证号"}


def test_wants_are_kept_as_written_and_unreadable_values_are_notes():
    _, _, result = _validate()
    assert len(result.records) == 8 and result.counts["rejected"] == 0
    assert _by_code(result.records, "area_want") == {"K1": "120-140", "K2": "90㎡", "K3": "三房", "K4": "一百二十平",
                                                     "K5": "", "K6": "100以上", "K7": "88", "K8": ""}
    assert _by_code(result.records, "price_want")["K2"] == "总价300万左右"
    assert _by_code(result.records, "intended_text") == {"K1": "金桥", "K2": "张江", "K3": "", "K4": "外高桥",
                                                         "K5": "", "K6": "陆家嘴", "K7": "", "K8": ""}
    wants = result.report[result.report["列"].isin(["意向面积", "预算"])]
    assert wants[["行号", "列", "原值", "问题", "处理"]].values.tolist() == [
        [4, "意向面积", "三房", "意向面积无法识别", "保留原值"],
        [5, "意向面积", "一百二十平", "意向面积无法识别", "保留原值"],
        [5, "预算", "45000", "意向总价无法识别", "保留原值"],
    ]
    reasons = wants["原因"].tolist()
    assert reasons[0].startswith("「三房」是户型（几房），不是面积：请填面积，如 90㎡") and "未填/无法识别" in reasons[0]
    assert reasons[1].startswith("「一百二十平」用的是汉字数字：请改成阿拉伯数字")
    assert reasons[2].startswith("「45000」像是单价（元/㎡），不是总价：请填总价，如 300万")
    # a note keeps its row as it was: nothing in these rows was changed
    status = dict(zip(result.records["visitor_id"], result.records["status"]))
    assert status["K3"] == "accepted"
    summary = result.summary().set_index("原因")
    assert summary.loc["意向面积无法识别", "类别"] == "提示" and summary.loc["意向面积无法识别", "行数"] == 2


def test_hostile_wants_are_cleaned_like_other_free_text():
    rows = [["H1", "2024-03-01", "浦东", "13812345678", "预算" + "9" * 40, "<script>alert(1)</script>" + "区" * 120,
             ""],
            ["H2", "2024-03-02", "徐汇", "120\x00-140", "=cmd|' /C calc'!A0", "金桥 110101199003070011", ""]]
    _, _, result = _validate(_csv(rows))
    records = result.records.set_index("visitor_id")
    assert records.at["H1", "area_want"] == "*******5678"  # a phone number typed here is never stored
    assert len(records.at["H1", "price_want"]) == 32 and len(records.at["H1", "intended_text"]) == 100
    assert records.at["H1", "intended_text"].startswith("<script>")  # kept as text; pages escape it
    assert records.at["H2", "area_want"] == "120-140"
    assert records.at["H2", "price_want"] == "=cmd|' /C calc'!A0"  # kept; exports write it formula-safe
    assert records.at["H2", "intended_text"] == "金桥 （身份证号已隐去）"
    report = result.report.to_string()
    assert "13812345678" not in report and "110101199003070011" not in report
    kinds = set(result.report["问题"])
    assert {"意向面积含手机号", "意向总价过长", "意向区域过长", "含控制字符", "意向区域含身份证号"} <= kinds


# ------------------------------------------------------------------ 籍贯
def test_without_the_tick_the_id_column_is_not_read():
    table, mapping, result = _validate()
    assert set(result.records["hometown"]) == {""}
    ids = result.report[result.report["列"] == "身份证号"]
    assert ids[["行号", "原值", "问题", "处理"]].values.tolist() == [[1, "（不显示）", "身份证号未读取", "已忽略"]]
    assert "最小必要" in ids["原因"].iloc[0] and "勾选" in ids["原因"].iloc[0]
    assert "id_number" not in result.records.columns


def test_with_the_tick_hometown_is_the_city_code():
    _, _, result = _validate(derive_hometown=True)
    assert _by_code(result.records, "hometown") == CITIES
    assert result.counts["rejected"] == 0  # an unreadable number keeps its row
    ids = result.report[result.report["列"] == "身份证号"]
    assert ids[["行号", "原值", "问题", "处理"]].values.tolist() == [
        [7, "（不显示）", "身份证号无法识别", "籍贯留空"],
        [8, "（不显示）", "身份证号无法识别", "籍贯留空"],
    ]
    assert ids["原因"].str.startswith("身份证号").all()
    assert "校验位不对" in ids["原因"].iloc[0] and "位数不对：17 位" in ids["原因"].iloc[1]


def _dump_database(store) -> str:
    """Every cell of every table of the store, as text."""
    meta = MetaData()
    meta.reflect(store.engine)
    parts = []
    with store.engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)):
                parts.append("|".join(str(v) for v in row))
    return "\n".join(parts)


def _secrets_in(text: str) -> list[str]:
    """The ID numbers of the file (whole, and their 8 birth-date and 4 last characters) found in ``text``."""
    found = []
    for number in filter(None, IDS):
        for piece in (number, number[6:14] + number[14:]):
            if piece in text:
                found.append(piece)
    return found


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_import_with_id_numbers_keeps_only_hometown(store, tmp_path, fmt, caplog):
    caplog.set_level(logging.DEBUG)
    data, name = (_csv(), "v.csv") if fmt == "csv" else (_xlsx(), "v.xlsx")
    pid = store.create_project("籍贯项目", "310000", dt.date(2024, 5, 1), ["公寓"])
    table, mapping, result = _validate(data, name, secret=store.pii_secret(), derive_hometown=True)
    summary = importer.import_records(store, pid, result, name, "sha")
    assert (summary.inserted, summary.rejected) == (8, 0)
    with store.engine.connect() as conn:
        stored = dict(conn.execute(select(Visitor.visitor_code, Visitor.hometown)
                                   .where(Visitor.project_id == pid)).all())
    assert stored == CITIES
    columns = store.segment_columns(pid)
    assert sorted(columns["area_want"].astype(str)) == sorted(r[3] for r in ROWS)
    assert sorted(columns["hometown"].astype(str)) == sorted(CITIES.values())
    # the ID numbers are nowhere: not in the database, the report, the records, the log
    assert _secrets_in(_dump_database(store)) == []
    if store.dialect == "sqlite":
        store.engine.dispose()
        files = [p for p in tmp_path.iterdir() if p.name.startswith("test.sqlite3")]
        raw = b"".join(p.read_bytes() for p in files)
        assert files and not any(n.encode() in raw for n in IDS if n)
        assert b"320500" in raw  # what is kept: the hometown
    assert _secrets_in(result.report.to_string()) == [] and _secrets_in(result.summary().to_string()) == []
    assert _secrets_in(result.records.astype(str).to_string()) == []
    assert _secrets_in(mask_frame(table.frame, mapping).to_string()) == []  # the page's preview
    assert _secrets_in(caplog.text) == []
    # a re-import of the same file is unchanged; without the tick it clears the hometowns (as its report says)
    again = importer.import_records(store, pid, result, name, "sha")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 8)
    _, _, unticked = _validate(data, name, secret=store.pii_secret())
    assert "以前推导过的也会清空" in unticked.report["原因"].iloc[0]
    cleared = importer.import_records(store, pid, unticked, name, "sha")
    assert (cleared.inserted, cleared.updated, cleared.unchanged) == (0, 5, 3)
    assert store.segment_columns(pid)["hometown"].astype(str).eq("").all()


def test_rejected_rows_never_show_an_id_number():
    rows = [[*ROWS[0][:1], "下周二", *ROWS[0][2:]], ROWS[1]]
    table, mapping, result = _validate(_csv(rows), derive_hometown=True)
    assert result.counts["rejected"] == 1
    out = rejected_rows(table, result, mapping)
    assert out["身份证号"].tolist() == ["（不显示）"]
    assert _secrets_in(out.to_string()) == []


def test_an_unmapped_id_column_is_hidden_in_the_preview():
    headers = [*HEADERS[:-1], "证件号"]
    table = read_table(_csv(headers=headers), "v.csv")
    mapping = {k: v for k, v in auto_map(table.frame.columns).items() if k != S.ID_NUMBER}
    assert set(mask_frame(table.frame, mapping)["证件号"]) == {"（不显示）", ""}
    result = validate(table, mapping, secret=SECRET, derive_hometown=True)  # no ID column mapped: nothing read
    assert set(result.records["hometown"]) == {""} and not (result.report["列"] == "证件号").any()


def test_a_file_without_the_new_columns_imports_as_before(store):
    rows = [r[:3] for r in ROWS]
    _, _, result = _validate(_csv(rows, HEADERS[:3]), secret=store.pii_secret(), derive_hometown=True)
    assert result.report.empty
    assert (result.records[list(S.SEGMENT_FIELDS)] == "").all().all()


# ------------------------------------------------------------------ the import page
@pytest.fixture()
def page(sample_app_database):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from mapping.db.store import Store
    from tests.conftest import sign_in

    root = Path(__file__).resolve().parent.parent
    at = AppTest.from_file(str(root / "app.py"), default_timeout=180)
    sign_in(at)
    at.run()  # creates the database with the sample project
    store = Store()
    pid = store.create_project("籍贯页面项目", "310000", dt.date(2024, 6, 1), ["公寓", "洋房"])
    at.query_params["project"] = str(pid)
    at.session_state["project_id"] = pid
    at.switch_page("views/data_import.py")
    at.run()
    yield at, store, pid


def _hometowns(store, pid) -> dict[str, str]:
    with store.engine.connect() as conn:
        return dict(conn.execute(select(Visitor.visitor_code, Visitor.hometown).where(Visitor.project_id == pid)).all())


def _shown(at) -> str:
    """Everything the page shows as text and tables."""
    parts = [str(e.value) for kind in ("markdown", "caption", "success", "warning", "error", "info")
             for e in getattr(at, kind)]
    parts += [e.value.to_string() for e in at.dataframe]
    return "\n".join(parts)


def test_page_ticked_derives_hometown_and_shows_no_id(page):
    at, store, pid = page
    at.file_uploader(key="upload").set_value(("来访.csv", _csv(), "text/csv")).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="map_id_number").value == "身份证号"
    box = at.checkbox(key="derive_hometown")
    assert box.label == "从身份证号推导籍贯（只保存到城市，身份证号本身不保存）" and box.value is False
    assert any("最小必要" in c.value for c in at.caption)
    box.check().run()
    assert not at.exception, at.exception
    at.button(key="commit").click().run()
    assert not at.exception, at.exception
    assert any("导入完成" in s.value for s in at.success)
    assert _hometowns(store, pid) == CITIES
    assert _secrets_in(_shown(at)) == []
    kept = [v.to_string() if isinstance(v, pd.DataFrame) else v for v in at.session_state.values()
            if isinstance(v, (pd.DataFrame, str))]  # (the uploaded file itself is Streamlit's, not ours)
    assert _secrets_in("\n".join(kept)) == []


def test_page_unticked_leaves_hometown_empty(page):
    at, store, pid = page
    at.file_uploader(key="upload").set_value(("来访.csv", _csv(), "text/csv")).run()
    assert not at.exception, at.exception
    assert at.checkbox(key="derive_hometown").value is False
    at.button(key="commit").click().run()
    assert not at.exception, at.exception
    stored = _hometowns(store, pid)
    assert len(stored) == 8 and set(stored.values()) == {""}
    assert "身份证号未读取" in _shown(at) and _secrets_in(_shown(at)) == []


def test_page_keeps_the_projects_earlier_choice(page):
    """After an import that derived 籍贯, the next file with an ID column starts ticked and says why (an
    updated export re-imported does not quietly clear the hometowns); unticking still clears them."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import sign_in

    at, store, pid = page
    at.file_uploader(key="upload").set_value(("来访.csv", _csv(), "text/csv")).run()
    at.checkbox(key="derive_hometown").check().run()
    at.button(key="commit").click().run()
    assert _hometowns(store, pid) == CITIES
    assert store.hometown_count(pid) == sum(1 for v in CITIES.values() if v)
    again = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    sign_in(again)
    again.query_params["project"] = str(pid)
    again.session_state["project_id"] = pid
    again.run()
    again.switch_page("views/data_import.py").run()
    again.file_uploader(key="upload").set_value(("来访.csv", _csv(), "text/csv")).run()
    assert not again.exception, again.exception
    assert again.checkbox(key="derive_hometown").value is True
    assert any("以前的导入勾选过" in c.value for c in again.caption)


def test_page_without_an_id_column_has_no_checkbox(page):
    at, _, _ = page
    at.file_uploader(key="upload").set_value(("来访.csv", _csv([r[:6] for r in ROWS], HEADERS[:6]), "text/csv")).run()
    assert not at.exception, at.exception
    assert not [c for c in at.checkbox if c.key == "derive_hometown"]


def test_a_customer_code_that_is_an_id_number_is_keyed_not_kept(store):
    """CRMs often key customers by their ID number: the 客户编号 becomes a keyed digest, stable across imports."""
    rows = [[IDS[0], "2024-03-01", "浦东新区", "", "", "", ""], [IDS[1], "2024-03-02", "徐汇区", "", "", "", ""],
            ["C3", "2024-03-03", "闵行区", "", "", "", ""]]
    pid = store.create_project("证件编号项目", "310000", None, ["公寓"])
    table, mapping, result = _validate(_csv(rows), secret=store.pii_secret())
    codes = result.records["visitor_id"].tolist()
    assert [c.startswith("证件#") and len(c) == 23 for c in codes] == [True, True, False] and codes[0] != codes[1]
    notes = result.report[result.report["问题"] == "客户编号含身份证号"]
    assert notes[["行号", "原值"]].values.tolist() == [[2, "（不显示）"], [3, "（不显示）"]]
    assert importer.import_records(store, pid, result, "a.csv", "a").inserted == 3
    again = importer.import_records(store, pid, _validate(_csv(rows), secret=store.pii_secret())[2], "a.csv", "a")
    assert (again.inserted, again.unchanged) == (0, 3)  # recognised by the digest
    assert _secrets_in(_dump_database(store)) == [] and _secrets_in(result.report.to_string()) == []
    assert _secrets_in(mask_frame(table.frame, mapping).to_string()) == []


def test_id_numbers_stored_by_excel_as_numbers_are_explained():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["到访日期", "居住区域", "身份证号"])
    sheet.append(["2024-03-01", "浦东", int(SUZHOU[:15] + "000")])  # what Excel keeps of a number typed as such
    sheet.append(["2024-03-02", "徐汇", PUDONG])
    buf = io.BytesIO()
    book.save(buf)
    _, _, result = _validate(buf.getvalue(), "v.xlsx", derive_hometown=True)
    assert result.records["hometown"].tolist() == ["", "310000"]
    note = result.report[result.report["问题"] == "身份证号无法识别"]
    assert note["行号"].tolist() == [2] and "被存成了数字" in note["原因"].iloc[0]
