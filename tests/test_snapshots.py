"""Snapshots of a project's compact columns on disk (mapping.snapshots): the same frame back, read by a
new process (a new Store), never read once the data, the database or the file changed."""

import logging

import pandas as pd
import pytest

from mapping import snapshots
from mapping.analysis.facts import Facts
from mapping.bootstrap import SAMPLE_PROJECT, load_sample
from mapping.db.store import Store


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TUOKE_SNAPSHOT_DIR", str(tmp_path / "snapshots"))
    return tmp_path / "snapshots"


class Builds:
    """A build function that counts its calls."""

    def __init__(self, make):
        self.make, self.calls = make, 0

    def __call__(self):
        self.calls += 1
        return self.make()


def _facts_columns(store, pid):
    return snapshots.frame(store, pid, store.data_version(pid), "fact_columns", Builds(lambda: store.fact_columns(pid)))


def test_a_new_store_reads_the_frame_back_and_an_undo_reads_the_database(store, folder):
    pid = load_sample(store)
    direct = store.fact_columns(pid)
    build = Builds(lambda: store.fact_columns(pid))
    first = snapshots.frame(store, pid, store.data_version(pid), "fact_columns", build)
    snapshots.wait()  # written in the background
    assert build.calls == 1 and len(list(folder.glob("*.arrow"))) == 1

    again = Store(str(store.engine.url.render_as_string(hide_password=False)))  # another process, same database
    build_again = Builds(lambda: again.fact_columns(pid))
    read = snapshots.frame(again, pid, again.data_version(pid), "fact_columns", build_again)
    assert build_again.calls == 0
    pd.testing.assert_frame_equal(read, direct)  # dtypes too: categoricals, int8, int32, bool
    pd.testing.assert_frame_equal(first, direct)
    old, new = Facts.from_columns(direct, SAMPLE_PROJECT["city_adcode"]), Facts.from_columns(read, "310000")
    assert (old.labels, old.lines_all) == (new.labels, new.lines_all) and (old.label == new.label).all()
    again.engine.dispose()

    # the import undone: a new data version, so the database is read and the old file goes
    store.undo_import(int(store.imports(pid)["id"].iloc[0]))
    build = Builds(lambda: store.fact_columns(pid))
    after = snapshots.frame(store, pid, store.data_version(pid), "fact_columns", build)
    snapshots.wait()
    assert build.calls == 1 and len(after) == 0
    assert len(list(folder.glob("*.arrow"))) == 1


def test_another_database_at_the_same_path_does_not_read_its_files(tmp_path, monkeypatch):
    monkeypatch.delenv("TUOKE_SNAPSHOT_DIR", raising=False)
    path = tmp_path / "app.sqlite3"
    store = Store(f"sqlite:///{path}")
    store.migrate()
    pid = load_sample(store)
    version = store.data_version(pid)
    snapshots.frame(store, pid, version, "location_groups", lambda: store.location_groups(pid))
    snapshots.wait()
    assert len(list((tmp_path / "app.sqlite3.snapshots").glob("*.arrow"))) == 1  # next to the database file
    store.engine.dispose()
    path.unlink()

    rebuilt = Store(f"sqlite:///{path}")  # the same path, the same project id: another database
    rebuilt.migrate()
    assert rebuilt.create_project(**{**SAMPLE_PROJECT, "name": "新项目"}) == pid
    build = Builds(lambda: pd.DataFrame({"n": [1]}))
    assert snapshots.frame(rebuilt, pid, version, "location_groups", build).equals(pd.DataFrame({"n": [1]}))
    assert build.calls == 1
    rebuilt.engine.dispose()


def test_an_unreadable_file_is_rebuilt_and_said(tmp_path, folder, caplog):
    store = Store(f"sqlite:///{tmp_path / 'app.sqlite3'}")
    store.migrate()
    pid = store.create_project(**SAMPLE_PROJECT)
    frame = pd.DataFrame({"a": [1, 2, 3]})
    snapshots.frame(store, pid, "v1", "x", lambda: frame)
    snapshots.wait()
    (file,) = folder.glob("*.arrow")
    file.write_bytes(file.read_bytes()[:20])  # cut short (a full disk, a crash while copying)
    build = Builds(lambda: frame)
    with caplog.at_level(logging.WARNING, logger="tuoke"):
        assert snapshots.frame(store, pid, "v1", "x", build).equals(frame)
    assert build.calls == 1 and "unreadable" in caplog.text
    snapshots.wait()
    assert snapshots.frame(store, pid, "v1", "x", lambda: 1 / 0).equals(frame)  # written again, whole
    store.engine.dispose()


def test_off_and_in_memory_databases_always_build(tmp_path, monkeypatch):
    memory = Store("sqlite://")
    memory.migrate()
    monkeypatch.delenv("TUOKE_SNAPSHOT_DIR", raising=False)
    assert snapshots.directory(memory) is None
    monkeypatch.setenv("TUOKE_SNAPSHOT_DIR", "off")
    file_store = Store(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    assert snapshots.directory(file_store) is None
    build = Builds(lambda: pd.DataFrame({"a": [1]}))
    snapshots.frame(file_store, 1, "v", "x", build)
    snapshots.frame(file_store, 1, "v", "x", build)
    assert build.calls == 2 and not list(tmp_path.rglob("*.arrow"))


def test_a_database_that_cannot_take_the_token_reads_the_database(tmp_path, monkeypatch, caplog):
    monkeypatch.delenv("TUOKE_SNAPSHOT_DIR", raising=False)
    path = tmp_path / "app.sqlite3"
    Store(f"sqlite:///{path}").migrate()
    read_only = Store(f"sqlite:///file:{path}?mode=ro&uri=true")
    build = Builds(lambda: pd.DataFrame({"a": [1]}))
    with caplog.at_level(logging.WARNING, logger="tuoke"):
        assert snapshots.frame(read_only, 1, "v", "x", build).equals(pd.DataFrame({"a": [1]}))
    assert build.calls == 1 and "no snapshot key" in caplog.text
    read_only.engine.dispose()
