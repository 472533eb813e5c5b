"""A file imported batch by batch (``importer.import_batches`` over ``stream.open_batches``) gives what
validating it whole and importing it (``validate`` + ``import_records``) gives: the same visitors and
locations, versions, counts, report, statuses and unknown values, duplicates across batches included."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from mapping import importer
from mapping.ingest.stream import open_batches
from mapping.ingest.tables import auto_map, file_digest, read_table, validate
from tests.test_bulk_import import _content, _project, _versions, resolver_failing_at

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
HEADERS = ["客户编号", "姓名", "手机", "到访日期", "意向业态", "客户状态", "居住区域", "工作区域", "居住经度", "居住纬度",
           "坐标系", "是否成交", "成交金额"]
PLACES = ["浦东新区", "徐汇区", "金桥", "不详", "闵行", "张江", "", "虹桥"]


def _rows(n: int, change: frozenset = frozenset()) -> list[list[str]]:
    rows = []
    for i in range(n):
        point = i % 5 == 0
        rows.append([f"C{i:03d}" if i % 6 else "", f"客户{i}", f"139{i:08d}", f"2024-03-{1 + i % 28:02d}",
                     "洋房" if i in change else ["公寓", "洋房", "别墅", "城堡"][i % 4], ["来访", "意向金", ""][i % 3],
                     PLACES[i % len(PLACES)], PLACES[(i * 3) % len(PLACES)],
                     f"{121.5 + i / 1000:.6f}" if point else "", f"{31.2 + i / 1000:.6f}" if point else "",
                     "WGS84" if point else "", "是" if i % 4 == 0 else "否",
                     f"{1000000 + i * 1234.5:.2f}" if i % 4 == 0 else ""])
    return rows


def _with_duplicates(rows: list[list[str]]) -> list[list[str]]:
    """Visitors that come again later in the file, in the same batch and in later ones (batches of 7)."""
    out = [list(r) for r in rows]
    again = [list(rows[3]), list(rows[3]), list(rows[6]), list(rows[12]), list(rows[20])]
    again[0][4], again[1][4] = "别墅", "公寓"  # 客户编号 C003 three times, its last row wins
    again[2][6] = "闵行"  # a visitor keyed by phone (no 客户编号), changed
    again[3][3] = "不是日期"  # rejected: the earlier row stays
    out[9:9] = [again[0]]  # same batch as row 3? no: rows 0-6 are batch one, this is in batch two
    out[15:15] = [again[2]]
    out[22:22] = [again[3], again[1]]
    out.append(again[4])
    out.insert(4, list(rows[2]))  # the same batch: row 2 twice in a row
    return out


def _csv(rows, blank_line: bool = False) -> bytes:
    buf = io.StringIO()
    pd.DataFrame(rows, columns=HEADERS).to_csv(buf, index=False, lineterminator="\n")
    text_ = buf.getvalue()
    if blank_line:  # read_table keeps blank lines as empty rows: the batches are then slices of its table
        lines = text_.split("\n")
        text_ = "\n".join(lines[:5] + [""] + lines[5:])
    return text_.encode("utf-8-sig")


def _whole(store, pid, data, name="v.csv", **options):
    table = read_table(data, name)
    mapping = auto_map(table.frame.columns)
    result = validate(table, mapping, secret=store.pii_secret(), **options)
    return importer.import_records(store, pid, result, name, file_digest(data)), result


def _batched(store, pid, data, rows, name="v.csv", **options):
    batches = open_batches(data, name, rows=rows)
    done = importer.import_batches(store, pid, batches, auto_map(batches.columns), name, file_digest(data), **options)
    return done, batches


def _same(store, left_pid, right_pid, whole, batched, whole_result):
    for left, right in zip(_content(store, left_pid), _content(store, right_pid)):
        pd.testing.assert_frame_equal(left, right, check_exact=True)
    summary, result = batched.summary, batched.result
    assert (summary.inserted, summary.updated, summary.unchanged, summary.rejected) == (
        whole.inserted, whole.updated, whole.unchanged, whole.rejected)
    pd.testing.assert_frame_equal(result.report, whole_result.report)
    pd.testing.assert_series_equal(result.row_status.sort_index(), whole_result.row_status.sort_index(),
                                   check_names=False, check_index_type=False)
    assert result.counts == whole_result.counts
    assert result.empty_rows == whole_result.empty_rows
    pd.testing.assert_frame_equal(result.unknown, whole_result.unknown)
    assert _versions(store, whole.import_id) == _versions(store, summary.import_id)
    columns = ["rows_total", "accepted", "fixed", "rejected", "unchanged", "inserted", "updated"]
    imports = {row["id"]: row for row in pd.concat([store.imports(left_pid), store.imports(right_pid)])
               .to_dict("records")}
    assert [imports[whole.import_id][c] for c in columns] == [imports[summary.import_id][c] for c in columns]


@pytest.mark.parametrize("blank_line", [False, True], ids=["streamed", "sliced"])
def test_batches_of_7_import_what_the_whole_file_imports(store, blank_line):
    left, right = _project(store, "整个文件"), _project(store, "分批")
    data = _csv(_with_duplicates(_rows(40)), blank_line)
    whole, whole_result = _whole(store, left, data)
    batched, batches = _batched(store, right, data, rows=7)
    assert batches.streamed is not blank_line
    assert whole_result.counts["rejected"] >= 6  # the duplicates and the unreadable date
    assert "客户重复" in set(whole_result.report["问题"])
    _same(store, left, right, whole, batched, whole_result)
    # again, onto the stored visitors: some changed, some new, some the same
    data = _csv(_with_duplicates(_rows(46, change=frozenset({1, 3, 7, 8}))), blank_line)
    whole, whole_result = _whole(store, left, data)
    batched, _ = _batched(store, right, data, rows=7)
    assert whole.updated and whole.inserted and whole.unchanged
    _same(store, left, right, whole, batched, whole_result)


def test_batch_import_undoes_exactly(store):
    pid = _project(store, "撤销")
    _batched(store, pid, _csv(_rows(30)), rows=7)
    before = _content(store, pid)
    done, _ = _batched(store, pid, _csv(_with_duplicates(_rows(40, change=frozenset({3, 4})))), rows=7)
    assert done.summary.inserted == 10 and done.summary.updated
    plan = importer.undo_plan(store, done.summary.import_id)
    assert plan.can_undo and plan.removed == 10
    importer.undo_import(store, done.summary.import_id)
    for left, right in zip(before, _content(store, pid)):
        pd.testing.assert_frame_equal(left, right, check_exact=True)


def test_the_sample_file_in_batches(store):
    path = SAMPLES / "visitors_bad_rows.csv"
    data = path.read_bytes()
    left, right = _project(store, "整个"), _project(store, "分批")
    whole, whole_result = _whole(store, left, data, path.name, derive_hometown=True)
    batched, batches = _batched(store, right, data, 5, path.name, derive_hometown=True)
    assert batches.streamed and whole_result.counts["rejected"]
    _same(store, left, right, whole, batched, whole_result)


def test_a_failing_batch_leaves_nothing(store, monkeypatch):
    pid = _project(store, "失败")
    resolver_failing_at(monkeypatch, 3)
    with pytest.raises(RuntimeError, match="injected"):
        _batched(store, pid, _csv(_rows(40)), rows=7)
    assert store.visitor_count(pid) == 0 and store.imports(pid).empty
