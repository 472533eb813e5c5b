"""Shared fixtures: a store on SQLite and, when a server is reachable, on PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from mapping.db.store import Store

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("TUOKE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _pg_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # any connection failure means: no server here
        return False


# What a test costs, roughly, by kind (seconds): the order below needs only which files are long.
_COST_SERVER, _COST_BROWSER, _COST_APP, _COST_STORE, _COST_OTHER = 20.0, 12.0, 2.0, 0.5, 0.2
_APP_FIXTURES = {"app_database", "sample_app_database", "app_env"}


def pytest_collection_modifyitems(config, items):
    """The longest test files first, each file's tests in their order.  On the workers (scripts/test: a file
    per worker, ``--no-loadscope-reorder`` so files go out in this order) a long file started last would
    run alone at the end, the other worker idle: a browser test file (one app server, a few tests of tens
    of seconds) costs more than a file of a hundred unit tests.  The costs are rough; only the order matters."""
    app_sources: dict[Path, bool] = {}
    cost: dict[Path, float] = {}
    for item in items:
        path = Path(str(item.fspath))
        if path not in app_sources:
            app_sources[path] = "AppTest" in path.read_text(encoding="utf-8")
        names = set(getattr(item, "fixturenames", ()))
        if item.get_closest_marker("browser"):
            c = _COST_BROWSER + (0.0 if path in cost else _COST_SERVER)  # a file's app server and chromium
        elif names & _APP_FIXTURES or app_sources[path]:
            c = _COST_APP
        elif "store" in names:
            c = _COST_STORE
        else:
            c = _COST_OTHER
        cost[path] = cost.get(path, 0.0) + c
    first = {}
    for i, item in enumerate(items):
        first.setdefault(Path(str(item.fspath)), i)
    items.sort(key=lambda item: (-cost[Path(str(item.fspath))], first[Path(str(item.fspath))]))


@pytest.fixture(scope="session", autouse=True)
def _pii_key_file(tmp_path_factory):
    """The session's personal-data key file in a temporary folder, never the repository's var/pii.key
    (session-wide, so module fixtures, app servers and tests share it; a test may monkeypatch its own)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TUOKE_PII_KEY_FILE", str(tmp_path_factory.mktemp("pii") / "pii.key"))
        mp.delenv("TUOKE_PII_KEY", raising=False)
        yield


@pytest.fixture(scope="session")
def pg_admin_url():
    if not _pg_available():
        if os.environ.get("TUOKE_REQUIRE_PG") == "1":
            pytest.fail(f"PostgreSQL is required (TUOKE_REQUIRE_PG=1) but {PG_ADMIN_URL} is not reachable")
        pytest.skip("no PostgreSQL server reachable; set TUOKE_TEST_PG_URL")
    return PG_ADMIN_URL


@contextlib.contextmanager
def _pg_database(admin_url: str, template: str | None = None):
    """A new PostgreSQL database (a copy of ``template`` when given): its url; dropped on leaving."""
    name = f"tuoke_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def pg_url(pg_admin_url):
    """An empty PostgreSQL database of its own."""
    with _pg_database(pg_admin_url) as url:
        yield url


@pytest.fixture(scope="session")
def pg_migrated_template(pg_admin_url):
    """The name of a PostgreSQL database with the schema :meth:`Store.migrate` makes on an empty one, made once
    per test process: the ``store`` fixture's databases are copies of it (CREATE DATABASE … TEMPLATE), not a
    migration each (an empty database's migration stays tested through ``pg_url``, test_privacy_keys.py)."""
    with _pg_database(pg_admin_url) as url:
        s = Store(url)
        s.migrate()
        s.engine.dispose()  # a template must have no connections
        yield url.rsplit("/", 1)[1]


@pytest.fixture(scope="session")
def sqlite_migrated_template(tmp_path_factory) -> Path:
    """A SQLite file with the schema :meth:`Store.migrate` makes on an empty one, made once per test process
    (the ``store`` fixture copies it, as its PostgreSQL side copies :func:`pg_migrated_template`)."""
    path = tmp_path_factory.mktemp("migrated") / "test.sqlite3"
    s = Store(f"sqlite:///{path}")
    s.migrate()
    s.engine.dispose()
    assert not list(path.parent.glob("test.sqlite3-*")), "the template must be one closed file (no -wal/-journal)"
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
        shutil.copyfile(request.getfixturevalue("sqlite_migrated_template"), tmp_path / "test.sqlite3")
        s = Store(url)
        s.migrate()
        yield s
        s.engine.dispose()
        return
    with _pg_database(request.getfixturevalue("pg_admin_url"),
                      request.getfixturevalue("pg_migrated_template")) as url:
        s = Store(url)
        s.migrate()  # nothing to do on the copy: a schema check, as on every start
        yield s
        s.engine.dispose()


@pytest.fixture
def app_database(tmp_path, monkeypatch):
    """The app (AppTest) on its own SQLite file, run from the project root, with empty Streamlit caches."""
    import streamlit as st

    monkeypatch.setenv("TUOKE_DB_PATH", str(tmp_path / "app.sqlite3"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(ROOT)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield tmp_path / "app.sqlite3"
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory, _pii_key_file) -> Path:
    """A SQLite file as the app's first start leaves it (:func:`mapping.bootstrap.ensure_ready`: the schema,
    the personal-data key's fingerprint, both sample projects and their operations) but without the first
    admin, so a test's :func:`sign_in` makes the first user as on a new database.  Made once per test
    process (≈ 3 s: importing the two samples); :func:`sample_app_database` copies it (milliseconds)."""
    from mapping import bootstrap

    path = tmp_path_factory.mktemp("sample_template") / "app.sqlite3"
    store = Store(f"sqlite:///{path}")
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(bootstrap, "ensure_admin", lambda store, password: None)
            bootstrap.ensure_ready(store, seed_sample=True)
    finally:
        store.engine.dispose()
    assert not list(path.parent.glob("app.sqlite3-*")), "the template must be one closed file (no -wal/-journal)"
    return path


@pytest.fixture
def sample_app_database(app_database, sample_template):
    """:func:`app_database` already holding what the app's first start loads (the two sample projects and
    their operations): the app then starts as on its second start, without importing the samples again.
    The first-start path itself is tested in test_sample_ops.py, test_sample_chengdu.py and the browser tests."""
    shutil.copyfile(sample_template, app_database)
    return app_database


@pytest.fixture
def app_env(app_database, monkeypatch):
    """The app on its own database without the sample projects (a quick start)."""
    monkeypatch.setenv("TUOKE_SAMPLE", "0")
    return app_database


TEST_PASSWORD = "Jinqiao-Bay-2024!"  # every test user's password (strong enough for the strength check)


def sign_in(at, role: str = "admin", *, username: str | None = None, display_name: str = "",
            project_ids=None) -> str:
    """Sign the AppTest ``at`` in before its first run: a user of ``role`` in the app's database
    (``TUOKE_DB_PATH``; created with :data:`TEST_PASSWORD` when new), a session for it, its token in
    ``at.session_state["auth_token"]`` (what the sign-in form leaves there).  ``project_ids`` sets
    the user's projects (they must exist).  Returns the token."""
    from mapping.access.accounts import Accounts

    store = Store()
    try:
        store.migrate()
        accounts = Accounts(store)
        name = username or f"test_{role}"
        account = accounts.by_username(name)
        user_id = account.id if account else accounts.create_user(name, role, TEST_PASSWORD,
                                                                  display_name=display_name)[0]
        if project_ids is not None:
            accounts.set_projects(user_id, project_ids)
        token = accounts.start_session(user_id)
    finally:
        store.engine.dispose()
    at.session_state["auth_token"] = token
    return token
