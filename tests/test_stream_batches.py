"""``stream.open_batches``: the cells of a file in batches are the cells ``read_table`` gives, numbered as the
file numbers them, streamed where pyarrow reads the file as ``read_table`` would, else read whole."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mapping.ingest.stream import open_batches
from mapping.ingest.tables import IngestError, read_table

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
H = "客户编号,到访日期,居住区域,手机\n"

FILES = {  # name: (bytes, streamed?)
    "plain.csv": ((H + "a1,2024-01-01,浦东,13800000000\na2,2024-01-02,徐汇,\n").encode(), True),
    "crlf.csv": ((H + "a1,2024-01-01,浦东,1\na2,2024-01-02,\"徐,汇\",\n").replace("\n", "\r\n").encode(), True),
    "cr_in_quotes.csv": ((H + 'a1,2024-01-01,"浦东\r\n张江",1\n').encode(), False),
    "quoted.csv": ((H + 'a1,2024-01-01,"浦东,张江",1\na2,2024-01-02,"徐""汇",\n').encode(), True),
    "newline_in_quotes.csv": ((H + 'a1,2024-01-01,"浦东\n张江",1\na2,2024-01-02,徐汇,\n').encode(), True),
    "title_row.csv": (("某某项目到访表\n" + H + "a1,2024-01-01,浦东,1\n").encode(), True),
    "stray_quote.csv": ((H + 'a1,2024-01-01,浦"东,1\n').encode(), False),
    "ragged.csv": ((H + "a1,2024-01-01,浦东\na2,2024-01-02,徐汇,1\n").encode(), False),
    "blank_line.csv": ((H + "a1,2024-01-01,浦东,1\n\na2,2024-01-02,徐汇,1\n").encode(), False),
    "bom.csv": (("\ufeff" + H + "a1,2024-01-01,浦东,1\n").encode(), True),
    "gb18030.csv": ((H + "a1,2024-01-01,浦东,1\n").encode("gb18030"), False),
    "tabs.tsv": ((H.replace(",", "\t") + "a1\t2024-01-01\t浦东\t1\n").encode(), True),
    "no_final_newline.csv": ((H + "a1,2024-01-01,浦东,1").encode(), True),
    "spaces.csv": ((H + " a1 ,2024-01-01, 浦东 ,1\n").encode(), True),
    "empty_unnamed_column.csv": ("客户编号,,到访日期,居住区域\na1,,2024-01-01,浦东\n".encode(), True),
    "unnamed_column_used.csv": ("客户编号,,到访日期,居住区域\na1,,2024-01-01,浦东\na2,x,2024-01-01,浦东\n".encode(), True),
    "empty_last_header.csv": ("客户编号,到访日期,居住区域,\na1,2024-01-01,浦东,\n".encode(), True),
    "nul.csv": ((H + "a1,2024-01-01,浦\x00东,1\n").encode(), False),
}


def _cells(data: bytes, name: str, rows: int):
    batches = open_batches(data, name, rows=rows)
    parts = list(batches)
    frame = pd.concat([p.frame for p in parts], ignore_index=True)
    numbers = [p.row_number(i) for p in parts for i in range(len(p.frame))]
    return batches, parts, frame, numbers


@pytest.mark.parametrize("name", sorted(FILES))
def test_batches_hold_the_cells_read_table_gives(name):
    data, streamed = FILES[name]
    table = read_table(data, name)
    batches, parts, frame, numbers = _cells(data, name, rows=1)
    assert batches.streamed is streamed
    assert batches.total == len(table.frame) and batches.header_row == table.header_row
    assert list(frame.columns) == list(table.frame.columns) == batches.columns
    pd.testing.assert_frame_equal(frame.astype(object), table.frame.astype(object))
    assert numbers == [table.row_number(i) for i in range(len(table.frame))]
    assert all(len(p.frame) == 1 for p in parts)


@pytest.mark.parametrize("name", ["visitors_sample_utf8bom.csv", "visitors_bad_rows.csv",
                                  "chengdu_visitors_sample_utf8bom.csv", "visitors_sample_gb18030.csv",
                                  "visitors_sample.xlsx"])
def test_the_samples_in_batches(name):
    data = (SAMPLES / name).read_bytes()
    table = read_table(data, name)
    batches, parts, frame, numbers = _cells(data, name, rows=997)
    assert batches.streamed is name.endswith("utf8bom.csv") or name == "visitors_bad_rows.csv"
    pd.testing.assert_frame_equal(frame.astype(object), table.frame.astype(object))
    assert numbers == [table.row_number(i) for i in range(len(table.frame))]
    assert [len(p.frame) for p in parts][:-1] == [997] * (len(parts) - 1)


def test_a_path_streams_like_its_bytes(tmp_path):
    path = tmp_path / "v.csv"
    path.write_bytes((SAMPLES / "visitors_sample_utf8bom.csv").read_bytes())
    by_path = pd.concat([p.frame for p in open_batches(path, rows=1000)], ignore_index=True)
    by_bytes = pd.concat([p.frame for p in open_batches(path.read_bytes(), "v.csv", rows=1000)], ignore_index=True)
    pd.testing.assert_frame_equal(by_path, by_bytes)
    assert open_batches(path).streamed


def test_refusals_are_read_tables():
    with pytest.raises(IngestError, match="只有表头"):
        open_batches(H.encode(), "v.csv")
    with pytest.raises(IngestError, match="不支持的文件类型"):
        open_batches(b"a,b\n1,2\n", "v.pdf")
    big = (H + "a1,2024-01-01,浦东,1\n" * 3).encode()
    import mapping.ingest.tables as T
    saved = T.MAX_FILE_MB
    T.MAX_FILE_MB = len(big) / 1024 / 1024 / 2
    try:
        with pytest.raises(IngestError, match="超过单次导入上限"):
            open_batches(big, "v.csv")
        assert open_batches(big, "v.csv", check_size=False).total == 3  # the command line lifts the page's limits
    finally:
        T.MAX_FILE_MB = saved


def test_a_file_changed_after_its_check_is_refused_in_chinese(tmp_path):
    path = tmp_path / "v.csv"
    path.write_bytes(FILES["plain.csv"][0])
    batches = open_batches(path, rows=1)
    assert batches.streamed
    path.write_bytes(FILES["plain.csv"][0] + "a3,2024-01-03\n".encode())  # a row of another width
    with pytest.raises(IngestError, match="文件在导入过程中被改动"):
        list(batches)
