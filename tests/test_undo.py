"""Undo an import: the project goes back exactly to its state before it, atomically."""

import datetime as dt
import io

import pandas as pd
import pytest
from sqlalchemy import text

from mapping import importer
from mapping.db import store as store_mod
from mapping.ingest.tables import auto_map, read_table, validate

HEADERS = ["客户编号", "姓名", "手机", "到访日期", "意向业态", "居住区域", "居住经度", "居住纬度", "坐标系",
           "是否成交", "成交金额"]

FILE_A = [
    ["A1", "张三丰", "13812345678", "2024-03-05", "公寓", "", "121.49531234567891", "31.241812345678901", "WGS84",
     "是", "3012345.67"],
    ["A2", "李四", "13912345678", "2024-03-06", "洋房", "徐汇区", "", "", "", "否", ""],
    ["A3", "王五", "13700001111", "2024-03-07", "别墅", "不详", "", "", "", "否", ""],
    ["", "赵六", "13700002222", "2024-03-08", "公寓", "浦东", "", "", "", "否", ""],
]
# B: A1 moves (a point to a district), A2 buys, the visitor without an id changes line; two new visitors
FILE_B = [
    ["A1", "张三丰", "13812345678", "2024-03-05", "公寓", "浦东新区", "", "", "", "是", "3012345.67"],
    ["A2", "李四", "13912345678", "2024-03-06", "洋房", "徐汇区", "", "", "", "是", "0.1"],
    ["A3", "王五", "13700001111", "2024-03-07", "别墅", "不详", "", "", "", "否", ""],
    ["", "赵六", "13700002222", "2024-03-08", "洋房", "浦东", "", "", "", "否", ""],
    ["B1", "周九", "13700004444", "2024-03-10", "公寓", "金桥", "121.6012345678901", "31.2698765432109",
     "WGS84", "否", ""],
    ["B2", "吴十", "13700005555", "2024-03-11", "洋房", "闵行区", "", "", "", "否", ""],
]


def _result(rows, secret):
    buf = io.StringIO()
    pd.DataFrame(rows, columns=HEADERS).to_csv(buf, index=False)
    table = read_table(buf.getvalue().encode("utf-8-sig"), "v.csv")
    return validate(table, auto_map(table.frame.columns), secret=secret)


def _import(store, pid, rows, name):
    return importer.import_records(store, pid, _result(rows, store.pii_secret()), name, name)


def _project(store, name="测试项目"):
    return store.create_project(name, "310000", dt.date(2024, 5, 1), ["公寓", "洋房", "别墅"])


def _state(store, pid):
    """Everything the pages read of a project, in a stable order."""
    visitors = store.visitors(pid).sort_values("id").reset_index(drop=True)
    locations = store.locations(pid).sort_values(["visitor_id", "dimension"]).reset_index(drop=True)
    return visitors, locations


def _assert_same(left, right):
    for a, b in zip(left, right):
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def _counts(store):
    with store.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                for t in ("visitors", "locations", "imports", "visitor_versions")}


def test_import_keeps_a_version_of_every_visitor_it_touches(store):
    pid = _project(store)
    a = _import(store, pid, FILE_A, "a.csv")
    b = _import(store, pid, FILE_B, "b.csv")
    assert (b.inserted, b.updated, b.unchanged) == (2, 3, 1)
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT import_id, previous IS NULL FROM visitor_versions")).all()
    assert sorted((i, bool(n)) for i, n in rows) == sorted([(a.import_id, True)] * 4
                                                           + [(b.import_id, True)] * 2 + [(b.import_id, False)] * 3)
    assert store.imports(pid)["created_by"].tolist() == ["", ""]


def test_undo_restores_the_state_before_the_import_exactly(store):
    pid = _project(store)
    _import(store, pid, FILE_A, "a.csv")
    after_a = _state(store, pid)
    b = _import(store, pid, FILE_B, "b.csv")
    after_b = _state(store, pid)
    assert not after_b[0].equals(after_a[0])
    plan = store.undo_plan(b.import_id)
    assert (plan["imports"], plan["removed"], plan["restored"], plan["refusal"]) == ([b.import_id], 2, 3, "")
    _assert_same(_state(store, pid), after_b)  # the plan changes nothing
    done = store.undo_import(b.import_id)
    assert done == {"imports": [b.import_id], "removed": 2, "restored": 3}
    _assert_same(_state(store, pid), after_a)
    assert store.imports(pid)["filename"].tolist() == ["a.csv"]
    assert store.stored_hashes(pid) == {k: h for k, h in zip(after_a[0]["visitor_key"], after_a[0]["row_hash"])}


def test_versions_are_written_and_restored_chunk_by_chunk(store, monkeypatch):
    monkeypatch.setattr(store_mod, "CHUNK", 2)
    pid = _project(store)
    _import(store, pid, FILE_A, "a.csv")
    after_a = _state(store, pid)
    b = _import(store, pid, FILE_B, "b.csv")
    assert store.undo_import(b.import_id) == {"imports": [b.import_id], "removed": 2, "restored": 3}
    _assert_same(_state(store, pid), after_a)


def test_undo_of_an_import_later_ones_built_on_undoes_them_too(store):
    pid = _project(store)
    a = _import(store, pid, FILE_A, "a.csv")
    b = _import(store, pid, FILE_B, "b.csv")
    assert store.dependent_imports(a.import_id) == [b.import_id]
    assert store.dependent_imports(b.import_id) == []
    plan = store.undo_plan(a.import_id)
    assert plan["imports"] == [b.import_id, a.import_id]
    assert [x["filename"] for x in plan["batches"]] == ["b.csv", "a.csv"]
    assert (plan["removed"], plan["restored"]) == (6, 0)  # net: A's 4 and B's 2 new visitors go
    assert store.undo_import(a.import_id) == {"imports": [b.import_id, a.import_id], "removed": 6, "restored": 0}
    assert store.visitors(pid).empty and store.locations(pid).empty and store.imports(pid).empty
    assert _counts(store) == {"visitors": 0, "locations": 0, "imports": 0, "visitor_versions": 0}


def test_dependents_are_found_transitively_and_other_imports_are_left_alone(store):
    pid = _project(store)
    a = _import(store, pid, FILE_A[:1], "a.csv")            # A1
    b = _import(store, pid, FILE_B[:1] + FILE_B[4:5], "b.csv")  # updates A1, inserts B1
    c = _import(store, pid, FILE_B[5:6], "c.csv")            # B2 only: independent
    moved = [FILE_B[4][:4] + ["洋房"] + FILE_B[4][5:]]
    d = _import(store, pid, moved, "d.csv")                  # updates B1: built on B, so on A
    assert store.dependent_imports(a.import_id) == [d.import_id, b.import_id]
    store.undo_import(a.import_id)
    assert store.imports(pid)["id"].tolist() == [c.import_id]
    assert store.visitors(pid)["visitor_code"].tolist() == ["B2"]


def test_data_version_changes_with_an_undo(store):
    pid = _project(store)
    _import(store, pid, FILE_A, "a.csv")
    moved = [FILE_A[0][:5] + ["浦东新区", "", ""] + FILE_A[0][8:]]
    x = _import(store, pid, moved, "x.csv")  # updates A1 only
    _import(store, pid, FILE_B[5:6], "c.csv")  # inserts B2: independent of x
    before = store.data_version(pid)
    assert store.undo_plan(x.import_id)["imports"] == [x.import_id]
    store.undo_import(x.import_id)  # same last import, same visitors inserted: only the undo tells them apart
    assert store.data_version(pid) != before


def test_other_projects_are_not_touched(store):
    pid, other = _project(store), _project(store, "另一个项目")
    _import(store, other, FILE_A, "a.csv")
    before = _state(store, other)
    a = _import(store, pid, FILE_A, "a.csv")
    assert store.dependent_imports(a.import_id) == []
    store.undo_import(a.import_id)
    _assert_same(_state(store, other), before)


def test_undo_is_atomic(store, monkeypatch):
    pid = _project(store)
    a = _import(store, pid, FILE_A, "a.csv")
    _import(store, pid, FILE_B, "b.csv")
    before, counts = _state(store, pid), _counts(store)
    original = store_mod.Store._revert_import
    calls = []

    def fail_on_second(self, conn, project_id, batch_id):
        calls.append(batch_id)
        if len(calls) == 2:  # B is undone, A half-way
            self._remove_visitors(conn, project_id, ["A1"])
            raise RuntimeError("disk full (injected)")
        return original(self, conn, project_id, batch_id)

    monkeypatch.setattr(store_mod.Store, "_revert_import", fail_on_second)
    with pytest.raises(RuntimeError, match="injected"):
        store.undo_import(a.import_id)
    assert len(calls) == 2
    assert _counts(store) == counts
    _assert_same(_state(store, pid), before)


def test_import_without_versions_is_refused(store):
    pid = _project(store)
    a = _import(store, pid, FILE_A, "old.csv")
    with store.engine.begin() as conn:  # as if imported before versions were kept
        conn.execute(text("DELETE FROM visitor_versions"))
    plan = store.undo_plan(a.import_id)
    assert "这次导入早于撤销功能，无法撤销" in plan["refusal"] and "old.csv" in plan["refusal"]
    before = _state(store, pid)
    with pytest.raises(ValueError, match="这次导入早于撤销功能，无法撤销"):
        store.undo_import(a.import_id)
    _assert_same(_state(store, pid), before)
    assert "早于撤销功能" in importer.undo_plan(store, a.import_id).message()


def test_an_import_that_changed_nothing_can_be_undone(store):
    pid = _project(store)
    _import(store, pid, FILE_A, "a.csv")
    before = _state(store, pid)
    again = _import(store, pid, FILE_A, "a.csv")
    assert store.undo_import(again.import_id) == {"imports": [again.import_id], "removed": 0, "restored": 0}
    _assert_same(_state(store, pid), before)


def test_reimport_after_undo_counts_as_new(store):
    pid = _project(store)
    a = _import(store, pid, FILE_A, "a.csv")
    store.undo_import(a.import_id)
    again = _import(store, pid, FILE_A, "a.csv")
    assert (again.inserted, again.updated, again.unchanged) == (4, 0, 0)
    assert len(store.visitors(pid)) == 4 and len(store.locations(pid)) == 12


def test_unknown_import_is_refused_in_chinese(store):
    with pytest.raises(ValueError, match="没有编号为 999 的导入"):
        store.undo_plan(999)


def test_importer_summary_and_plan_speak_chinese(store):
    pid = _project(store)
    a = _import(store, pid, FILE_A, "a.csv")
    b = _import(store, pid, FILE_B, "b.csv")
    plan = importer.undo_plan(store, a.import_id)
    assert plan.dependents == (b.import_id,) and plan.can_undo
    assert "b.csv" in plan.message() and "一起撤销" in plan.message()
    summary = importer.undo_import(store, a.import_id)
    assert summary == importer.UndoSummary(imports=(b.import_id, a.import_id), removed=6, restored=0)
    assert summary.message() == "已撤销 2 次导入，删除 6 位客户。"


def _panel_app():
    import os

    import streamlit as st

    from mapping.access.accounts import Account
    from mapping.db.store import Store
    from ui import auth
    from ui.imports import imports_panel

    # signed in as 管理员 (app.py's gate would put the account here)
    st.session_state[auth.ACCOUNT] = Account(1, "admin", "管理员", "admin", "", True, False)
    store = Store(os.environ["TUOKE_PANEL_URL"])
    imports_panel(store, store.project(int(os.environ["TUOKE_PANEL_PROJECT"])))


@pytest.fixture
def panel(tmp_path, monkeypatch):
    """An AppTest of the imports panel over a SQLite project with imports A and B."""
    from streamlit.testing.v1 import AppTest

    url = f"sqlite:///{tmp_path / 'panel.sqlite3'}"
    store = store_mod.Store(url)
    store.migrate()
    pid = _project(store)
    ids = [_import(store, pid, FILE_A, "a.csv").import_id, _import(store, pid, FILE_B, "b.csv").import_id]
    monkeypatch.setenv("TUOKE_PANEL_URL", url)
    monkeypatch.setenv("TUOKE_PANEL_PROJECT", str(pid))
    yield AppTest.from_function(_panel_app, default_timeout=60).run(), store, pid, ids
    store.engine.dispose()


def test_panel_lists_imports_and_says_what_undo_will_do_before_doing_it(panel):
    at, store, pid, (a, b) = panel
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table.columns) == ["时间", "文件", "操作人", "行数", "新增", "更新", "未变", "拒绝"]
    assert table["文件"].tolist() == ["b.csv", "a.csv"] and table["操作人"].tolist() == ["—", "—"]
    at.button(key=f"undo_{a}").click().run()
    assert "b.csv" in at.warning[0].value and "一起撤销" in at.warning[0].value
    assert len(store.imports(pid)) == 2  # nothing done yet
    at.button(key=f"undo_confirm_{a}").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "已撤销 2 次导入，删除 6 位客户。"
    assert store.imports(pid).empty and store.visitors(pid).empty
    assert not at.dataframe  # the panel shows no imports any more


def test_panel_refuses_an_import_without_versions(panel):
    at, store, pid, (a, b) = panel
    with store.engine.begin() as conn:
        conn.execute(text(f"DELETE FROM visitor_versions WHERE import_id = {a}"))
    at.button(key=f"undo_{a}").click().run()
    assert "这次导入早于撤销功能，无法撤销" in at.error[0].value
    assert not [bt for bt in at.button if bt.key == f"undo_confirm_{a}"]
    assert len(store.imports(pid)) == 2
