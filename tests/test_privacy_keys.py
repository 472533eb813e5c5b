"""Personal data stays personal: a key outside the database, keyed hashes, short masks, re-keying (0006)."""

from __future__ import annotations

import base64
import io
import os
import stat

import pandas as pd
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from mapping import importer
from mapping.bootstrap import ensure_ready
from mapping.db import store as store_mod
from mapping.db.models import Setting, Visitor, VisitorVersion
from mapping.ingest import keys, privacy
from mapping.ingest import tables as tables_mod
from mapping.ingest.keys import PiiKeyError, PiiSecret
from mapping.ingest.tables import auto_map, read_table, validate

KEY_A, KEY_B = bytes(range(32)), bytes(range(1, 33))


# --------------------------------------------------------------------------- the key
def test_key_from_env_hex_and_base64(monkeypatch):
    monkeypatch.setenv("TUOKE_PII_KEY", KEY_A.hex())
    assert keys.pii_key() == KEY_A
    monkeypatch.setenv("TUOKE_PII_KEY", base64.b64encode(KEY_A).decode())
    assert keys.pii_key() == KEY_A
    monkeypatch.setenv("TUOKE_PII_KEY", base64.urlsafe_b64encode(KEY_A).decode().rstrip("="))
    assert keys.pii_key() == KEY_A
    monkeypatch.setenv("TUOKE_PII_KEY", " " + KEY_A.hex().upper() + "\n")
    assert keys.pii_key() == KEY_A


@pytest.mark.parametrize("value,message", [
    ("abcd", "太短"), ("00" * 31, "太短"), ("这不是密钥!", "既不是十六进制也不是 base64"),
    (base64.b64encode(b"x" * 20).decode(), "太短"),
])
def test_bad_env_key_is_refused_in_chinese(monkeypatch, value, message):
    monkeypatch.setenv("TUOKE_PII_KEY", value)
    with pytest.raises(PiiKeyError, match=message):
        keys.pii_key()


def test_key_file_is_created_once_with_mode_0600(tmp_path, monkeypatch):
    path = tmp_path / "sub" / "pii.key"
    monkeypatch.setenv("TUOKE_PII_KEY_FILE", str(path))
    key = keys.pii_key()
    assert len(key) == 32 and path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == key.hex()
    assert keys.pii_key() == key  # read, not made again
    assert not [p for p in path.parent.iterdir() if p.name != "pii.key"]  # no temporary file left


def test_readable_key_file_is_refused_with_how_to_fix(tmp_path, monkeypatch):
    path = tmp_path / "pii.key"
    monkeypatch.setenv("TUOKE_PII_KEY_FILE", str(path))
    keys.pii_key()
    os.chmod(path, 0o644)
    with pytest.raises(PiiKeyError, match=f"chmod 600 {path}"):
        keys.pii_key()
    os.chmod(path, 0o600)
    assert len(keys.pii_key()) == 32


def test_env_key_wins_over_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TUOKE_PII_KEY_FILE", str(tmp_path / "pii.key"))
    monkeypatch.setenv("TUOKE_PII_KEY", KEY_B.hex())
    assert keys.pii_key() == KEY_B
    assert not (tmp_path / "pii.key").exists()


def test_default_key_file_is_beside_the_sqlite_file(tmp_path, monkeypatch):
    monkeypatch.delenv("TUOKE_PII_KEY_FILE")
    assert keys.default_key_file(tmp_path / "x.sqlite3") == tmp_path / "pii.key"
    assert keys.default_key_file(None) == keys.VAR / "pii.key"
    assert keys.default_key_file(":memory:") == keys.VAR / "pii.key"
    assert store_mod.Store(f"sqlite:///{tmp_path / 'db' / 'y.sqlite3'}").pii_key_file() == tmp_path / "db" / "pii.key"


def test_secret_never_shows_its_key():
    secret = PiiSecret(KEY_A, "salt")
    assert KEY_A.hex() not in repr(secret) and secret.fingerprint in repr(secret)


# --------------------------------------------------------------------------- fingerprint
def test_a_different_key_is_refused_with_a_clear_message(store, monkeypatch):
    monkeypatch.setenv("TUOKE_PII_KEY", KEY_A.hex())
    first = store.pii_secret()
    assert first.key == KEY_A and store.pii_secret() == first
    with store.engine.connect() as conn:
        stored = dict(conn.execute(select(Setting.key, Setting.value)).all())
    assert stored[keys.FINGERPRINT_SETTING] == keys.fingerprint(KEY_A)
    assert KEY_A.hex() not in " ".join(stored.values())  # the key itself is never stored
    monkeypatch.setenv("TUOKE_PII_KEY", KEY_B.hex())
    with pytest.raises(PiiKeyError, match="个人信息密钥与数据库不匹配.*请找回原来的密钥文件"):
        store.pii_secret()
    with pytest.raises(PiiKeyError, match="个人信息密钥与数据库不匹配"):
        ensure_ready(store, seed_sample=False)  # the app refuses to start


# --------------------------------------------------------------------------- hashes and masks
def test_keyed_hash_chains_the_old_salted_digest():
    old = privacy.salted_digest("13812345678", "s")
    assert len(old) == 32
    keyed = privacy.hash_value("13812345678", KEY_A, "s")
    assert keyed == privacy.rekey(old, KEY_A) and keyed != old and len(keyed) == 32
    assert keyed != privacy.hash_value("13812345678", KEY_B, "s")
    assert privacy.hash_value("", KEY_A, "s") == ""


@pytest.mark.parametrize("value,masked", [
    ("13812345678", "*******5678"), ("+86 138 1234 5678", "*******5678"), ("008613812345678", "*******5678"),
    ("62345678", "*******5678"), ("1385678", "*******5678"), ("12345", "***45"), ("", ""), (None, ""),
])
def test_phone_mask_keeps_only_the_last_four_digits(value, masked):
    assert privacy.mask_phone(value) == masked


@pytest.mark.parametrize("value,masked", [
    ("张三丰", "张**"), ("李四", "李*"), ("欧阳锋", "欧**"), ("欧阳娜娜", "欧***"), ("王", "*"), (" 赵 六 ", "赵*"), ("", ""),
])
def test_name_mask_keeps_only_the_first_character(value, masked):
    assert privacy.mask_name(value) == masked


@pytest.mark.parametrize("old,new", [
    ("138****5678", "*******5678"), ("***45", "***45"), ("*******5678", "*******5678"),
])
def test_old_phone_masks_become_new_ones(old, new):
    assert privacy.remask_phone(old) == new


@pytest.mark.parametrize("old,new", [("张*丰", "张**"), ("李*", "李*"), ("欧**锋", "欧***"), ("*", "*")])
def test_old_name_masks_become_new_ones(old, new):
    assert privacy.remask_name(old) == new


def test_protect_needs_a_secret():
    with pytest.raises(TypeError, match="PiiSecret"):
        privacy.protect(pd.DataFrame({"phone": ["13812345678"]}), "a salt")


def test_database_errors_do_not_echo_values(store):
    with store.engine.begin() as conn:
        conn.execute(insert(Setting).values(key="probe", value="13812345678"))
    with pytest.raises(IntegrityError) as info, store.engine.begin() as conn:
        conn.execute(insert(Setting).values(key="probe", value="13987654321"))
    assert "13987654321" not in str(info.value)


# --------------------------------------------------------------------------- re-keying (migration 0006)
HEADERS = ["客户编号", "姓名", "手机", "到访日期", "意向业态", "居住区域", "居住经度", "居住纬度", "坐标系",
           "是否成交", "成交日期", "成交金额(万元)"]
ROWS = [
    ["C1", "张三丰", "13812345678", "2024-03-05", "公寓", "浦东", "121.6", "31.26", "GCJ02", "是", "2024-05-02", "350"],
    ["", "李四", "13912345678", "2024-03-06", "洋房", "徐汇区", "", "", "", "否", "", ""],
    ["", "王五", "", "2024-03-07", "别墅", "金桥", "", "", "", "", "", ""],
    ["", "赵六", "138****5678", "2024-03-08", "公寓", "张江", "", "", "", "", "", ""],  # the CRM masked it
    ["", "欧阳锋", "+86 137 0000 1111", "2024-03-09", "公寓", "陆家嘴", "121.5", "31.24", "WGS84", "", "", ""],
    ["", "", "", "2024-03-10", "公寓", "川沙", "", "", "", "", "", ""],
]


def _csv(rows) -> bytes:
    buf = io.StringIO()
    pd.DataFrame(rows, columns=HEADERS).to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8-sig")


def _result(data: bytes, secret: PiiSecret):
    table = read_table(data, "v.csv")
    return validate(table, auto_map(table.frame.columns), secret=secret)


def _old_mask_phone(value):  # the masks before 0006: 138****5678, 张*丰
    digits = privacy.normalise_phone(value)
    if not digits:
        return ""
    if len(digits) >= 7:
        return digits[:3] + "****" + digits[-4:]
    return "*" * (len(digits) - min(2, len(digits))) + digits[-2:]


def _old_mask_name(value):
    name = "".join(str(value or "").split())
    if len(name) <= 1:
        return "*" if name else ""
    return name[0] + "*" * (len(name) - 2) + (name[-1] if len(name) > 2 else "*")


def _old_scheme(monkeypatch):
    """Validate as before 0006: unkeyed salted digests and keys, the old masks."""
    unkeyed = lambda digest, key, length=32: digest[:length]  # noqa: E731
    unkeyed_many = lambda digests, key, length=32: [d[:length] for d in digests]
    monkeypatch.setattr(privacy, "rekey", unkeyed)
    monkeypatch.setattr(privacy, "rekey_many", unkeyed_many)
    monkeypatch.setattr(tables_mod, "rekey_many", unkeyed_many)
    monkeypatch.setattr(privacy, "mask_phone", _old_mask_phone)
    monkeypatch.setattr(privacy, "mask_name", _old_mask_name)
    # the column path (privacy._protect_column) masks normalised digits and hashes in one pass
    monkeypatch.setattr(privacy, "_mask_digits", _old_mask_phone)
    with_key = privacy._digests_and_hashes
    monkeypatch.setattr(privacy, "_digests_and_hashes",
                        lambda norm, secret: (lambda d: (d, list(d)))(with_key(norm, secret)[0]))


def _stored(store, pid):
    cols = ["visitor_key", "phone_hash", "name_hash", "phone_masked", "name_masked", "row_hash"]
    with store.engine.connect() as conn:
        rows = conn.execute(select(*(getattr(Visitor, c) for c in cols)).where(Visitor.project_id == pid)).all()
    return sorted(tuple(r) for r in rows)


def _prepared(result):
    prepared = importer.prepare(result.records)
    return sorted(tuple(r) for r in prepared[["visitor_key", "phone_hash", "name_hash", "phone_masked",
                                              "name_masked", "row_hash"]].itertuples(index=False))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_at_0005(request, tmp_path):
    """An empty database migrated to 0005, the revision before keyed hashes."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    store = store_mod.Store(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(store_mod.MIGRATIONS))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0005")
    yield store
    store.engine.dispose()


# columns of migrations after 0005 that today's code writes (it writes their defaults): added while the old
# rows are written at 0005 and dropped again before the upgrade, so the upgrade meets a 0005 schema
LATER_COLUMNS = (("projects", "ops_version", "INTEGER NOT NULL DEFAULT 0"),
                 ("visitors", "team", "VARCHAR(64) NOT NULL DEFAULT ''"),
                 # migration 0008 (issue 15)
                 ("projects", "segment_bands", "TEXT NOT NULL DEFAULT ''"),
                 ("visitors", "area_want", "VARCHAR(32) NOT NULL DEFAULT ''"),
                 ("visitors", "price_want", "VARCHAR(32) NOT NULL DEFAULT ''"),
                 ("visitors", "intended_text", "VARCHAR(100) NOT NULL DEFAULT ''"),
                 ("visitors", "hometown", "VARCHAR(6) NOT NULL DEFAULT ''"))


def _with_later_columns(store, add: bool) -> None:
    with store.engine.begin() as conn:
        for table, column, kind in LATER_COLUMNS:
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {kind}" if add
                                 else f"ALTER TABLE {table} DROP COLUMN {column}")


def test_migration_rekeys_old_hashes_to_what_a_fresh_import_gives(store_at_0005, monkeypatch):
    store = store_at_0005
    _with_later_columns(store, add=True)
    pid = store.create_project("旧库", "310000", None, ["公寓", "洋房", "别墅"])
    salt = store.salt()
    first, second = _csv(ROWS), _csv([ROWS[0], [*ROWS[1][:5], "静安", *ROWS[1][6:]], *ROWS[2:]])
    with monkeypatch.context() as old:
        _old_scheme(old)
        old_secret = PiiSecret(KEY_B, salt)  # the old scheme ignores the key
        importer.import_records(store, pid, _result(first, old_secret), "a.csv", "a")
        b = importer.import_records(store, pid, _result(second, old_secret), "b.csv", "b")
        before = _stored(store, pid)
    _with_later_columns(store, add=False)
    store.engine.dispose()  # SQLite: no cached statement of the dropped columns
    assert b.updated == 1 and ("", "", "", "", "", "") not in before
    assert "138****5678" in {r[3] for r in before} and "张*丰" in {r[4] for r in before}
    assert any(k.startswith("row:") for k, *_ in before) and any(k.startswith("ph:") for k, *_ in before)

    monkeypatch.setenv("TUOKE_PII_KEY", KEY_A.hex())
    store.migrate()  # 0006: re-key with KEY_A
    after = _stored(store, pid)
    secret = store.pii_secret()  # the fingerprint the migration stored matches
    assert secret == PiiSecret(KEY_A, salt)
    assert after == _prepared(_result(second, secret))  # keys, hashes, masks and row hashes: as a fresh import
    assert "*******5678" in {r[3] for r in after} and "张**" in {r[4] for r in after}
    assert not {r[1] for r in before if r[1]} & {r[1] for r in after}

    again = importer.import_records(store, pid, _result(second, secret), "b2.csv", "b2")
    assert (again.inserted, again.updated) == (0, 0)  # recognised, not duplicated, not even changed
    assert len(store.visitors(pid)) == len(ROWS)

    # the version kept by import b was re-keyed too: undoing b brings back a re-keyed row of a
    store.undo_import(b.import_id)
    assert _stored(store, pid) == _prepared(_result(first, secret))
    with store.engine.connect() as conn:
        versions = " ".join(str(v) for v in conn.execute(select(VisitorVersion.previous)).scalars() if v)
    assert "138****" not in versions

    monkeypatch.setenv("TUOKE_PII_KEY", KEY_B.hex())
    with pytest.raises(PiiKeyError, match="不匹配"):
        store.pii_secret()


def test_migration_of_an_empty_database_needs_no_key(tmp_path, monkeypatch):
    monkeypatch.setenv("TUOKE_PII_KEY_FILE", str(tmp_path / "keys" / "pii.key"))
    store = store_mod.Store(f"sqlite:///{tmp_path / 'e.sqlite3'}")
    store.migrate()
    assert not (tmp_path / "keys").exists()  # made on first use, not by the migration
    store.pii_secret()
    assert (tmp_path / "keys" / "pii.key").exists()
    store.engine.dispose()
