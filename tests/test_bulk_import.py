"""The bulk import path: chunks, COPY on PostgreSQL, one transaction, only changed rows written."""

from __future__ import annotations

import datetime as dt
import inspect
import io

import pandas as pd
import pytest
from sqlalchemy import text

from mapping import importer
from mapping.db import store as store_mod
from mapping.ingest.tables import auto_map, read_table, validate

HEADERS = ["客户编号", "姓名", "手机", "到访日期", "意向业态", "居住区域", "工作区域", "居住经度", "居住纬度", "坐标系",
           "是否成交", "成交金额"]
PLACES = ["浦东新区", "徐汇区", "金桥", "不详", "闵行", "张江", "", "虹桥"]


def _rows(n: int, change: set[int] = frozenset()) -> list[list[str]]:
    rows = []
    for i in range(n):
        point = i % 5 == 0
        rows.append([f"C{i:03d}", f"客户{i}", f"138{i:08d}", f"2024-03-{1 + i % 28:02d}",
                     "洋房" if i in change else ["公寓", "洋房", "别墅"][i % 3],
                     PLACES[i % len(PLACES)], PLACES[(i * 3) % len(PLACES)],
                     f"{121.5 + i / 1000:.6f}" if point else "", f"{31.2 + i / 1000:.6f}" if point else "",
                     "WGS84" if point else "", "是" if i % 4 == 0 else "否",
                     f"{1000000 + i * 1234.5:.2f}" if i % 4 == 0 else ""])
    return rows


def _secret(store):
    """What ``validate`` takes to hash personal data, in whichever form the installed version wants."""
    name = list(inspect.signature(validate).parameters)[2]
    return name, (store.pii_secret() if name == "secret" else store.salt())


def _result(store, rows):
    buf = io.StringIO()
    pd.DataFrame(rows, columns=HEADERS).to_csv(buf, index=False)
    table = read_table(buf.getvalue().encode("utf-8-sig"), "v.csv")
    name, secret = _secret(store)
    return validate(table, auto_map(table.frame.columns), **{name: secret})


def _project(store, name="批量项目"):
    return store.create_project(name, "310000", dt.date(2024, 5, 1), ["公寓", "洋房", "别墅"])


def _counts(store):
    with store.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                for t in ("visitors", "locations", "imports", "visitor_versions", "place_cache")}


def _content(store, pid):
    """The project's visitors and locations without ids, by visitor key (comparable across projects)."""
    visitors = store.visitors(pid)
    keys = dict(zip(visitors["id"], visitors["visitor_key"]))
    visitors = (visitors.drop(columns=["id", "project_id", "import_id"])
                .sort_values("visitor_key").reset_index(drop=True))
    locations = store.locations(pid)
    locations["visitor_key"] = locations["visitor_id"].map(keys)
    locations = (locations.drop(columns=["visitor_id"]).sort_values(["visitor_key", "dimension"])
                 .reset_index(drop=True))
    return visitors, locations


def _versions(store, import_id):
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT visitor_key, previous IS NULL FROM visitor_versions "
                                 "WHERE import_id = :i ORDER BY visitor_key"), {"i": import_id}).all()


def test_chunks_of_7_give_the_same_database_as_one_chunk(store):
    one, chunked = _project(store, "一次"), _project(store, "分块")
    first, second = _rows(30), _rows(30, change={3, 4, 17})
    a1 = importer.import_records(store, one, _result(store, first), "a.csv", "a")
    a7 = importer.import_records(store, chunked, _result(store, first), "a.csv", "a", chunk_rows=7)
    assert (a1.inserted, a7.inserted) == (30, 30)
    for left, right in zip(_content(store, one), _content(store, chunked)):
        pd.testing.assert_frame_equal(left, right, check_exact=True)
    b1 = importer.import_records(store, one, _result(store, second + _rows(33)[30:]), "b.csv", "b")
    b7 = importer.import_records(store, chunked, _result(store, second + _rows(33)[30:]), "b.csv", "b", chunk_rows=7)
    assert (b1.inserted, b1.updated, b1.unchanged) == (b7.inserted, b7.updated, b7.unchanged) == (3, 2, 28)
    for left, right in zip(_content(store, one), _content(store, chunked)):
        pd.testing.assert_frame_equal(left, right, check_exact=True)
    assert _versions(store, b1.import_id) == _versions(store, b7.import_id)
    assert [n for _, n in _versions(store, b7.import_id)].count(True) == 3  # NULL only for the inserted
    imports = store.imports(chunked).set_index("filename")
    assert imports.loc["b.csv", ["inserted", "updated", "unchanged"]].tolist() == [3, 2, 28]


def test_chunked_import_undoes_exactly(store):
    pid = _project(store)
    importer.import_records(store, pid, _result(store, _rows(30)), "a.csv", "a", chunk_rows=7)
    before = _content(store, pid)
    b = importer.import_records(store, pid, _result(store, _rows(40, change={1, 2, 29})), "b.csv", "b", chunk_rows=4)
    assert (b.inserted, b.updated) == (10, 2)  # row 1 was 洋房 already: rows 2 and 29 change
    importer.undo_import(store, b.import_id)
    for left, right in zip(_content(store, pid), before):
        pd.testing.assert_frame_equal(left, right, check_exact=True)


def test_reimport_writes_nothing_and_one_percent_changed_writes_only_those(store):
    pid = _project(store)
    a = importer.import_records(store, pid, _result(store, _rows(200)), "a.csv", "a", chunk_rows=64)
    same = importer.import_records(store, pid, _result(store, _rows(200)), "a.csv", "a", chunk_rows=64)
    assert (same.inserted, same.updated, same.unchanged) == (0, 0, 200)
    assert _versions(store, same.import_id) == []
    changed = {3, 105}  # 1 % of 200: 公寓 → 洋房
    c = importer.import_records(store, pid, _result(store, _rows(200, change=changed)), "c.csv", "c", chunk_rows=64)
    assert (c.inserted, c.updated, c.unchanged) == (0, 2, 198)
    assert [k for k, _ in _versions(store, c.import_id)] == ["id:C003", "id:C105"]
    visitors = store.visitors(pid).set_index("visitor_code")
    assert set(visitors.index[visitors["import_id"] == c.import_id]) == {"C003", "C105"}
    assert (visitors["import_id"] == a.import_id).sum() == 198


@pytest.mark.parametrize("fail_at", [1, 2])
def test_a_failure_in_a_later_chunk_leaves_nothing_behind(store, monkeypatch, fail_at):
    pid = _project(store)
    importer.import_records(store, pid, _result(store, _rows(20)), "a.csv", "a")
    before, before_content = _counts(store), _content(store, pid)
    calls = []
    original = store_mod.Store._write_locations

    def fail(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == fail_at + 1:  # chunks before it are written (visitors, versions, locations)
            raise RuntimeError("disk full (injected)")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(store_mod.Store, "_write_locations", fail)
    with pytest.raises(RuntimeError, match="injected"):  # 7 updated + 10 new visitors, chunks of 6
        importer.import_records(store, pid, _result(store, _rows(30, change=set(range(0, 30, 2)))), "b.csv", "b",
                                chunk_rows=6)
    assert len(calls) == fail_at + 1
    assert _counts(store) == before  # the place cache too: it is written only after the import
    for left, right in zip(_content(store, pid), before_content):
        pd.testing.assert_frame_equal(left, right, check_exact=True)


def resolver_failing_at(monkeypatch, call: int) -> None:
    """Make the importer's resolver raise "resolver crashed (injected)" on its ``call``-th call."""
    calls = []
    original = importer.resolve_records

    def fail(*args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            raise RuntimeError("resolver crashed (injected)")
        return original(*args, **kwargs)

    monkeypatch.setattr(importer, "resolve_records", fail)


def test_a_failure_while_resolving_a_chunk_leaves_nothing_behind(store, monkeypatch):
    pid = _project(store)
    before = _counts(store)
    resolver_failing_at(monkeypatch, 3)
    with pytest.raises(RuntimeError, match="injected"):
        importer.import_records(store, pid, _result(store, _rows(30)), "a.csv", "a", chunk_rows=10)
    assert _counts(store) == before


def test_progress_counts_visitors_and_ends_at_one(store):
    pid = _project(store)
    seen = []
    importer.import_records(store, pid, _result(store, _rows(30)), "a.csv", "a", chunk_rows=7,
                            progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and all(0 <= f <= 1 for f in fractions)
    messages = [m for _, m in seen]
    assert "0 / 30" in messages[0] and any("7 / 30" in m for m in messages) and any("30 / 30" in m for m in messages)
    assert sum("/ 30" in m for m in messages) == 1 + 5  # before the first chunk, after each of 5


def test_bulk_rows_round_trip_awkward_values(store):
    """Text with tabs, newlines, backslashes, quotes, a literal \\N and commas; NaN and None; dates;
    booleans: stored as given, on SQLite (executemany) and PostgreSQL (COPY)."""
    pid = _project(store)
    records = importer.prepare(_result(store, _rows(6)).records)
    awkward = ["a\tb", "line\nbreak", "back\\slash", "\\N", 'quo"te,comma', "空"]
    records["channel"] = awkward
    records["home_text"] = awkward[::-1]
    records.loc[0, "deal_amount"] = float("nan")
    records.loc[1, "deal_date"] = None
    records.loc[2, "deal"] = True
    records.loc[3, "home_lng"] = None
    used = []
    original = store_mod._bulk_insert
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(store_mod, "_bulk_insert", lambda conn, table, cols: used.append(table.name)
                        or original(conn, table, cols))
    copies = []
    original_copy = store_mod._copy_table
    monkeypatch.setattr(store_mod, "_copy_table", lambda conn, name, table: copies.append(name)
                        or original_copy(conn, name, table))
    try:
        store.write_import(pid, dict(filename="x.csv", file_sha256="x", rows_total=6, accepted=6, fixed=0,
                                     rejected=0, unchanged=0), records, records.iloc[:0], _no_locations(records))
    finally:
        monkeypatch.undo()
    if store.dialect == "postgresql":  # new visitors: Arrow tables built ahead, sent by the writer thread
        assert copies == ["visitor_versions", "visitors"]
    else:
        assert "visitors" in used and "visitor_versions" in used and copies == []
    stored = store.visitors(pid).set_index("visitor_key").loc[records["visitor_key"]]
    assert stored["channel"].tolist() == awkward and stored["home_text"].tolist() == awkward[::-1]
    assert pd.isna(stored["deal_amount"].iloc[0]) and stored["deal_amount"].iloc[4] == records["deal_amount"].iloc[4]
    assert stored["deal_date"].iloc[1] is None or pd.isna(stored["deal_date"].iloc[1])
    assert bool(stored["deal"].iloc[2]) and pd.isna(stored["home_lng"].iloc[3])
    assert stored["visit_date"].tolist() == records["visit_date"].tolist()


def _no_locations(records):
    return pd.DataFrame({"visitor_key": pd.Series([], dtype=object)})


def test_changed_visitors_go_through_a_staging_table_on_postgresql(store, monkeypatch):
    pid = _project(store)
    importer.import_records(store, pid, _result(store, _rows(12)), "a.csv", "a")
    copies = []
    original_copy = store_mod._copy_table
    monkeypatch.setattr(store_mod, "_copy_table", lambda conn, name, table: copies.append(name)
                        or original_copy(conn, name, table))
    b = importer.import_records(store, pid, _result(store, _rows(14, change={2, 3})), "b.csv", "b")
    assert (b.inserted, b.updated) == (2, 2)
    if store.dialect == "postgresql":
        assert sorted(set(copies)) == ["import_stage_visitors", "locations", "visitor_versions", "visitors"]
    else:
        assert copies == []
    visitors = store.visitors(pid).set_index("visitor_code")
    assert visitors.loc[["C002", "C003"], "product_line"].tolist() == ["洋房", "洋房"]
    assert (visitors["import_id"] == b.import_id).sum() == 4


def test_place_cache_is_written_in_bulk_after_the_import_and_replaces_old_entries(store):
    from mapping.place.gazetteer import version

    store.put_places("310000", "old", {"测试地名": {"adcode": "000000"}, "别处": {"adcode": "1"}})
    store.put_places_bulk("310000", version(), {"测试地名": {"adcode": "310115", "lng": float("nan")},
                                                "x" * 301: {"adcode": "2"}, "it's \\N\t": {"adcode": "3"}})
    assert store.cached_places("310000", version(), ["测试地名", "it's \\N\t", "x" * 301]) == {
        "测试地名": {"adcode": "310115", "lng": None}, "it's \\N\t": {"adcode": "3"}}
    assert store.cached_places("310000", "old", ["别处"]) == {"别处": {"adcode": "1"}}
    pid = _project(store)
    importer.import_records(store, pid, _result(store, _rows(30)), "a.csv", "a", chunk_rows=7)
    assert set(store.cached_places("310000", version(), ["徐汇区", "金桥", "张江"])) == {"徐汇区", "金桥", "张江"}


def test_one_ahead_keeps_order_runs_in_a_worker_and_raises_its_error():
    import threading

    seen = []

    def items():
        for i in range(3):
            seen.append(threading.current_thread() is threading.main_thread())
            yield i
        raise ValueError("boom in the worker")

    got = []
    with pytest.raises(ValueError, match="boom in the worker"):
        for item in importer._one_ahead(items()):
            got.append(item)
    assert got == [0, 1, 2] and seen == [False, False, False]


def test_behind_sends_in_order_in_a_worker_and_waits_for_it_before_raising():
    import threading
    import time

    sent, busy = [], []

    def send(item):
        busy.append(item)
        time.sleep(0.05)  # the producer's error below comes while this is still running
        sent.append((item, threading.current_thread() is threading.main_thread()))
        busy.remove(item)

    def items():
        yield from range(3)
        raise ValueError("resolver crashed")

    with pytest.raises(ValueError, match="resolver crashed"):
        store_mod._behind(items(), send)
    assert sent == [(0, False), (1, False), (2, False)] and busy == []  # the last send finished first

    def failing(item):
        if item == 1:
            raise RuntimeError("COPY failed")
        sent.append(item)

    sent.clear()
    with pytest.raises(RuntimeError, match="COPY failed"):
        store_mod._behind(iter(range(5)), failing)
    assert sent == [0]


@pytest.mark.parametrize("values, kind", [
    (pd.Series(["a\tb", None, "", "\\N", "空"], dtype="str"), str),
    (pd.Series(["a", None, float("nan"), 2, 1.5], dtype=object), str),
    (pd.Series([1.5, float("nan"), None, "x", "2"], dtype=object), float),
    (pd.Series([121.25, float("nan"), -0.0]), float),
    (pd.Series([True, None, False, 1], dtype=object), bool),
    (pd.Series([dt.date(2024, 3, 1), None, dt.datetime(2024, 3, 2, 13, 5), "2024-03-03", pd.NaT], dtype=object),
     dt.date),
])
def test_arrow_of_a_column_equals_the_arrow_of_its_value_list(values, kind):
    """The PostgreSQL builder's column-wise Arrow arrays hold what the per-value lists held."""
    lists = {str: store_mod._texts, float: store_mod._floats, dt.date: lambda v: store_mod._dates(None, v),
             bool: lambda v: v.fillna(False).astype(bool).tolist()}
    expected = store_mod._arrow(lists[kind](values), kind)
    assert store_mod._arrow_of(values, kind).to_pylist() == expected.to_pylist()
