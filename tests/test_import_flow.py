"""The import page on a sales office's own messy export: unknown values mapped before commit, saved per project."""

import datetime as dt
import importlib.util
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mapping.db.store import Store
from tests.conftest import sign_in

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("messy_export", ROOT / "tests" / "data" / "messy_export.py")
messy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(messy)


@pytest.fixture()
def app(sample_app_database):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    sign_in(at)
    at.run()  # creates the database with the sample project
    store = Store()
    pid = store.create_project("我的项目", "310000", dt.date(2024, 6, 1), list(messy.PRODUCT_LINES))
    at.query_params["project"] = str(pid)
    at.session_state["project_id"] = pid
    at.switch_page("views/data_import.py")
    at.run()
    yield at, store, pid


def test_messy_export_lists_unknown_values_keeps_rows_and_saves_choices(app):
    at, store, pid = app
    data = messy.workbook_bytes(300)
    at.file_uploader(key="upload").set_value(("来访明细.xlsx", data, "application/vnd.ms-excel")).run()
    assert not at.exception, at.exception
    # all three location columns are found without help
    assert at.selectbox(key="map_home_text").value == "居住小区名称"
    assert at.selectbox(key="map_work_text").value == "工作单位地址"
    assert at.selectbox(key="map_leisure_text").value == "休闲娱乐区域"
    mapped = [s for s in at.selectbox if s.key and s.key.startswith("vm_")]
    assert mapped, "the unknown values are listed for mapping"
    metrics = {m.label: int(m.value.replace(",", "")) for m in at.metric}
    kept = metrics["通过"] + metrics["已修正"]
    assert kept >= 0.99 * (kept + metrics["已拒绝"])
    # choose something else than the suggestion for one value, then commit into this project
    first = mapped[0]
    other = next(o for o in first.options if o != first.value)
    first.set_value(other).run()
    assert not at.exception, at.exception
    at.button(key="commit").click().run()
    assert not at.exception, at.exception
    assert any("导入完成" in s.value for s in at.success)
    assert len(store.visitors(pid)) >= 290
    assert len(store.visitors(1)) == 5000  # nothing went into the sample project
    saved = store.value_maps(pid)
    assert saved and any(other in targets.values() for targets in saved.values())


def test_wrong_import_is_a_two_click_fix_and_can_be_imported_again(app):
    at, store, pid = app
    data = messy.workbook_bytes(120, seed=3)
    at.file_uploader(key="upload").set_value(("来访明细.xlsx", data, "application/vnd.ms-excel")).run()
    at.button(key="commit").click().run()
    assert not at.exception, at.exception
    count = len(store.visitors(pid))
    assert count > 100
    import_id = int(store.imports(pid)["id"].iloc[0])
    at.button(key=f"undo_{import_id}").click().run()
    assert any("撤销" in w.value for w in at.warning)  # says what it will do first
    assert len(store.visitors(pid)) == count
    at.button(key=f"undo_confirm_{import_id}").click().run()
    assert not at.exception, at.exception
    assert len(store.visitors(pid)) == 0 and store.imports(pid).empty
    at.button(key="commit").click().run()  # the same file, again
    assert not at.exception, at.exception
    assert len(store.visitors(pid)) == count
