"""Accounts, passwords, sessions and the audit log, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from mapping.access import audit
from mapping.access.accounts import IDLE, Account, Accounts, SignInError
from mapping.access.passwords import check_strength, hash_password, needs_rehash, one_time_password, verify_password
from mapping.db.models import User, UserSession

STRONG = "Gold-Bay-2024!"
T0 = dt.datetime(2024, 6, 1, 9, 0, 0)
REAL_HASHES = {"test_hash_and_verify", "test_old_parameters_need_rehash", "test_sign_in_rehashes_old_hashes"}


@pytest.fixture(autouse=True)
def fast_hashes(request, monkeypatch):
    """Cheap argon2 parameters (the real ones cost ~0.1 s a hash), except for the tests about rehashing."""
    from argon2 import PasswordHasher

    from mapping.access import passwords

    if request.node.originalname not in REAL_HASHES:
        monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def accounts(store):
    return Accounts(store)


@pytest.fixture
def admin(accounts):
    uid, _ = accounts.create_user("boss", "admin", "Chief-Pass-2024!", display_name="老板")
    return uid


# ----------------------------------------------------------------- passwords
def test_hash_and_verify():
    stored = hash_password(STRONG)
    assert stored.startswith("$argon2id$") and STRONG not in stored
    assert verify_password(stored, STRONG)
    assert not verify_password(stored, STRONG + "x")
    assert not verify_password("garbage", STRONG) and not verify_password("", STRONG)
    assert hash_password(STRONG) != stored  # salted
    assert not needs_rehash(stored)
    assert needs_rehash("garbage")


def test_old_parameters_need_rehash():
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(STRONG)
    assert verify_password(weak, STRONG) and needs_rehash(weak)


@pytest.mark.parametrize(("password", "username", "message"), [
    ("abc", "", "至少需要 10 个字符"),
    ("1234567890123", "", "不能只有数字"),
    ("xx-wangwei-2024", "WangWei", "不能包含用户名"),
    ("Password123", "", "太常见"),
    ("qwertyuiop", "", "太常见"),
    ("aaaaaaaaaaaa", "", "太常见"),
])
def test_strength_messages(password, username, message):
    with pytest.raises(ValueError, match=message):
        check_strength(password, username)


def test_one_time_passwords_are_strong_and_distinct():
    made = {one_time_password() for _ in range(50)}
    assert len(made) == 50
    for pw in made:
        check_strength(pw)
        assert not set(pw) & set("0O1lI")


# -------------------------------------------------------------------- users
def test_create_user_validates(accounts, admin):
    uid, one_time = accounts.create_user("li.na", "planner", display_name="李娜", email="Li.Na@Example.com")
    assert one_time and accounts.account(uid).must_change_password
    assert accounts.authenticate("li.na", one_time).id == uid
    uid2, none = accounts.create_user("张伟", "channel", STRONG)
    assert none is None and not accounts.account(uid2).must_change_password
    for bad, message in [(("x", "viewer"), "2–64"), (("a b", "viewer"), "2–64"), (("LI.NA", "viewer"), "已被使用"),
                         (("zhao", "superuser"), "未知角色")]:
        with pytest.raises(ValueError, match=message):
            accounts.create_user(*bad, STRONG)
    with pytest.raises(ValueError, match="不能包含用户名"):
        accounts.create_user("gold", "viewer", "my-gold-pass-1")
    with pytest.raises(ValueError, match="已被用户「li.na」使用"):
        accounts.create_user("zhao", "viewer", STRONG, email="li.na@example.com")
    with pytest.raises(ValueError, match="项目不存在"):
        accounts.create_user("zhao", "viewer", STRONG, project_ids=[999])
    assert accounts.by_username("zhao") is None


def test_users_table_and_lookups(store, accounts, admin):
    p1 = store.create_project("甲项目", "310000", None, ["公寓"])
    p2 = store.create_project("乙项目", "310000", None, ["公寓"])
    uid, _ = accounts.create_user("wang", "channel", STRONG, email="wang@corp.cn", project_ids=[p2, p1])
    users = accounts.users()
    assert "password_hash" not in users.columns
    assert {"id", "username", "display_name", "role", "email", "active", "locked_until", "last_login",
            "created_at", "project_ids"} <= set(users.columns)
    assert users.set_index("username").loc["wang", "project_ids"] == [p1, p2]
    assert accounts.by_email("WANG@corp.cn").id == uid and accounts.by_email("") is None
    assert accounts.by_username("Wang").id == uid and accounts.by_username("nobody") is None
    account = accounts.account(uid)
    assert isinstance(account, Account) and account.role == "channel"
    assert accounts.project_ids(account) == {p1, p2}
    assert accounts.project_ids(accounts.account(admin)) is None  # 管理员: all projects
    accounts.set_projects(uid, [p2])
    assert accounts.project_ids(uid) == {p2}
    accounts.set_role(uid, "viewer")
    assert accounts.account(uid).role == "viewer"
    with pytest.raises(ValueError, match="用户不存在"):
        accounts.account(12345)


# ------------------------------------------------------------------ sign-in
def test_lockout_backoff(store, accounts, admin):
    uid, _ = accounts.create_user("wang", "channel", STRONG)
    now = T0
    for _ in range(4):
        with pytest.raises(SignInError, match="^用户名或密码不对$"):
            accounts.authenticate("wang", "wrong-password", now=now)
    with pytest.raises(SignInError, match="请 1 分钟后再试"):  # 5th failure: locked for 1 minute
        accounts.authenticate("wang", "wrong-password", now=now)
    # while locked even the right password is refused, without counting
    with pytest.raises(SignInError, match="请 1 分钟后再试"):
        accounts.authenticate("wang", STRONG, now=now + dt.timedelta(seconds=30))
    # after the lock another failure locks for 2 minutes, then 4
    with pytest.raises(SignInError, match="请 2 分钟后再试"):
        accounts.authenticate("wang", "wrong-password", now=now + dt.timedelta(minutes=1, seconds=1))
    now += dt.timedelta(minutes=3, seconds=2)
    with pytest.raises(SignInError, match="请 4 分钟后再试"):
        accounts.authenticate("wang", "wrong-password", now=now)
    with pytest.raises(SignInError, match="请 4 分钟后再试"):
        accounts.authenticate("wang", STRONG, now=now + dt.timedelta(seconds=5))
    # after expiry the right password signs in and resets the counter
    later = now + dt.timedelta(minutes=4, seconds=1)
    assert accounts.authenticate("wang", STRONG, now=later).id == uid
    with store.engine.connect() as conn:
        row = conn.execute(select(User.failed, User.locked_until, User.last_login).where(User.id == uid)).one()
    assert (row.failed, row.locked_until, row.last_login) == (0, None, later)
    with pytest.raises(SignInError, match="^用户名或密码不对$"):  # one failure is not a lock again
        accounts.authenticate("wang", "wrong-password", now=later)


def test_lock_is_capped_at_an_hour_and_admin_can_unlock(accounts, admin):
    uid, _ = accounts.create_user("wang", "channel", STRONG)
    now = T0
    for _ in range(12):  # the 11th failure reaches the cap
        try:
            accounts.authenticate("wang", "wrong-password", now=now)
        except SignInError as exc:
            message = str(exc)
        now += dt.timedelta(minutes=61)
    assert message == "尝试次数过多，请 60 分钟后再试"
    accounts.unlock(uid)
    assert accounts.authenticate("wang", STRONG, now=now - dt.timedelta(minutes=60)).id == uid


def test_unknown_user_gets_the_same_message(accounts, admin):
    with pytest.raises(SignInError) as unknown:
        accounts.authenticate("nobody", "whatever-123")
    with pytest.raises(SignInError) as wrong:
        accounts.authenticate("boss", "whatever-123")
    assert str(unknown.value) == str(wrong.value) == "用户名或密码不对"
    with pytest.raises(SignInError, match="用户名或密码不对"):
        accounts.authenticate("", "")


def test_inactive_user(accounts, admin):
    uid, _ = accounts.create_user("wang", "channel", STRONG)
    accounts.set_active(uid, False)
    with pytest.raises(SignInError, match="账号已停用，请联系管理员"):
        accounts.authenticate("wang", STRONG)
    with pytest.raises(SignInError, match="^用户名或密码不对$"):  # a wrong password says nothing about the account
        accounts.authenticate("wang", "wrong-password")
    accounts.set_active(uid, True)
    assert accounts.authenticate("wang", STRONG).id == uid


def test_sign_in_rehashes_old_hashes(store, accounts, admin):
    from argon2 import PasswordHasher

    uid, _ = accounts.create_user("wang", "channel", STRONG)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(STRONG)
    with store.engine.begin() as conn:
        conn.execute(User.__table__.update().where(User.id == uid).values(password_hash=weak))
    accounts.authenticate("wang", STRONG)
    with store.engine.connect() as conn:
        stored = conn.execute(select(User.password_hash).where(User.id == uid)).scalar_one()
    assert stored != weak and not needs_rehash(stored) and verify_password(stored, STRONG)


def test_sign_in_is_audited_without_the_password(store, accounts, admin):
    accounts.authenticate("boss", "Chief-Pass-2024!")
    for name, pw in [("boss", "Wrong-Secret-1"), ("ghost", "Ghost-Secret-2")]:
        with pytest.raises(SignInError):
            accounts.authenticate(name, pw)
    log = audit.entries(store)
    assert log["action"].tolist() == ["sign_in_failed", "sign_in_failed", "sign_in"]
    assert log["ok"].tolist() == [False, False, True]
    assert log["username"].tolist() == ["ghost", "boss", "boss"]
    assert log["操作"].tolist() == ["登录失败", "登录失败", "登录"]
    text_of_log = log.to_csv()
    for secret in ("Chief-Pass-2024!", "Wrong-Secret-1", "Ghost-Secret-2"):
        assert secret not in text_of_log


# ---------------------------------------------------------------- passwords
def test_set_and_reset_password(store, accounts, admin):
    uid, _ = accounts.create_user("wang", "channel", STRONG)
    with pytest.raises(ValueError, match="至少需要"):
        accounts.set_password(uid, "short")
    with pytest.raises(ValueError, match="不能与原密码相同"):
        accounts.set_password(uid, STRONG)
    accounts.set_password(uid, "New-Pass-2024!")
    assert accounts.authenticate("wang", "New-Pass-2024!").id == uid
    token = accounts.start_session(uid)
    one_time = accounts.reset_password(uid)
    assert accounts.session_user(token) is None  # reset ends the sessions
    assert accounts.account(uid).must_change_password
    with pytest.raises(SignInError):
        accounts.authenticate("wang", "New-Pass-2024!")
    assert accounts.authenticate("wang", one_time).must_change_password
    accounts.set_password(uid, "Newer-Pass-2024!")
    assert not accounts.account(uid).must_change_password


# ----------------------------------------------------------------- sessions
def test_sessions_store_only_the_hash(store, accounts, admin):
    token = accounts.start_session(admin)
    assert len(token) >= 40
    with store.engine.connect() as conn:
        rows = [tuple(map(str, r)) for r in conn.execute(select(UserSession.__table__))]
    assert rows and not any(token in value for row in rows for value in row)
    assert accounts.session_user(token).username == "boss"
    assert accounts.session_user(token + "x") is None and accounts.session_user(None) is None
    accounts.end_session(token)
    assert accounts.session_user(token) is None


def test_session_expiry_and_idle(store, accounts, admin):
    token = accounts.start_session(admin, ttl=dt.timedelta(hours=12), now=T0)
    # used regularly, it lives until expires_at
    for hours in range(1, 12):
        assert accounts.session_user(token, now=T0 + dt.timedelta(hours=hours)) is not None
    assert accounts.session_user(token, now=T0 + dt.timedelta(hours=12)) is None
    with store.engine.connect() as conn:
        assert conn.execute(select(UserSession.token_hash)).first() is None  # the row is gone

    idle = accounts.start_session(admin, now=T0)
    assert accounts.session_user(idle, now=T0 + IDLE - dt.timedelta(minutes=1)) is not None
    assert accounts.session_user(idle, now=T0 + 2 * IDLE) is None
    assert accounts.session_user(idle, now=T0 + dt.timedelta(minutes=1)) is None  # deleted, not revived


def test_last_seen_is_written_at_most_once_a_minute(store, accounts, admin):
    token = accounts.start_session(admin, now=T0)

    def last_seen():
        with store.engine.connect() as conn:
            return conn.execute(select(UserSession.last_seen)).scalar_one()

    accounts.session_user(token, now=T0 + dt.timedelta(seconds=30))
    assert last_seen() == T0
    accounts.session_user(token, now=T0 + dt.timedelta(seconds=90))
    assert last_seen() == T0 + dt.timedelta(seconds=90)


def test_deactivation_ends_sessions(accounts, admin):
    uid, _ = accounts.create_user("wang", "channel", STRONG)
    one, two = accounts.start_session(uid), accounts.start_session(uid)
    mine = accounts.start_session(admin)
    accounts.set_active(uid, False)
    assert accounts.session_user(one) is None and accounts.session_user(two) is None
    accounts.set_active(uid, True)
    assert accounts.session_user(one) is None  # they stay ended
    assert accounts.session_user(mine).id == admin
    again = accounts.start_session(uid)
    accounts.end_sessions(uid)
    assert accounts.session_user(again) is None


# -------------------------------------------------------------- last admin
def test_the_last_active_admin_stays(accounts, admin):
    for change in (lambda: accounts.set_role(admin, "director"), lambda: accounts.set_active(admin, False),
                   lambda: accounts.delete_user(admin)):
        with pytest.raises(ValueError, match="最后一个管理员"):
            change()
    assert accounts.account(admin).role == "admin" and accounts.account(admin).active
    other, _ = accounts.create_user("second", "admin", STRONG)
    accounts.set_active(other, False)  # an inactive admin does not count …
    with pytest.raises(ValueError, match="最后一个管理员"):
        accounts.set_role(admin, "viewer")
    accounts.set_active(other, True)  # … an active one does
    accounts.set_role(admin, "viewer")
    with pytest.raises(ValueError, match="最后一个管理员"):
        accounts.delete_user(other)
    accounts.set_role(admin, "admin")
    accounts.delete_user(other)
    assert accounts.by_username("second") is None


def test_delete_user_keeps_their_audit_entries(store, accounts, admin):
    uid, _ = accounts.create_user("wang", "channel", STRONG)
    accounts.authenticate("wang", STRONG)
    accounts.start_session(uid)
    accounts.delete_user(uid)
    assert accounts.by_username("wang") is None
    assert audit.entries(store, username="wang")["action"].tolist() == ["sign_in"]


# ------------------------------------------------------------- first start
def test_ensure_admin_with_a_one_time_password(accounts):
    one_time = accounts.ensure_admin(None)
    assert one_time
    assert accounts.first_start()  # the sign-in page then says where the one-time password is
    account = accounts.authenticate("admin", one_time)
    assert not accounts.first_start()
    assert (account.role, account.display_name, account.must_change_password) == ("admin", "管理员", True)
    assert accounts.ensure_admin(None) is None
    assert accounts.ensure_admin("Another-Strong-Pass-1") is None  # the env only seeds the first start
    assert accounts.authenticate("admin", one_time).id == account.id


def test_ensure_admin_with_the_env_password(accounts):
    with pytest.raises(ValueError, match="TUOKE_ADMIN_PASSWORD.*至少需要 10 个字符"):
        accounts.ensure_admin("weak")
    assert accounts.users().empty
    assert accounts.ensure_admin("Env-Seed-Pass-1") is None
    assert not accounts.authenticate("admin", "Env-Seed-Pass-1").must_change_password
    assert accounts.ensure_admin("Env-Seed-Pass-1") is None
    assert len(accounts.users()) == 1


def test_ensure_admin_does_nothing_when_users_exist(accounts, admin):
    assert accounts.ensure_admin(None) is None
    assert accounts.by_username("admin") is None


def test_bootstrap_prints_the_one_time_password_once(store, monkeypatch, capsys, caplog):
    from mapping import bootstrap

    monkeypatch.delenv("TUOKE_ADMIN_PASSWORD", raising=False)
    with caplog.at_level(logging.WARNING, logger="tuoke"):
        bootstrap.ensure_ready(store, seed_sample=False)
    err = capsys.readouterr().err
    assert "首次启动：已创建管理员账号 admin，一次性密码：" in err
    one_time = err.split("一次性密码：", 1)[1].split("（", 1)[0]
    assert Accounts(store).authenticate("admin", one_time).must_change_password
    assert any(one_time in r.getMessage() for r in caplog.records)
    bootstrap.ensure_ready(store, seed_sample=False)
    assert "一次性密码" not in capsys.readouterr().err


def test_bootstrap_takes_the_env_password(store, monkeypatch, capsys):
    from mapping import bootstrap

    monkeypatch.setenv("TUOKE_ADMIN_PASSWORD", "Env-Seed-Pass-1")
    bootstrap.ensure_ready(store, seed_sample=False)
    assert "一次性密码" not in capsys.readouterr().err
    assert Accounts(store).authenticate("admin", "Env-Seed-Pass-1").role == "admin"


# -------------------------------------------------------------------- audit
def test_audit_record_and_filters(store):
    audit.record(store, "boss", "import", project_id=3, detail="到访.xlsx", rows=120, at=T0)
    audit.record(store, "wang", "export", project_id=4, detail="x" * 5000, at=T0 + dt.timedelta(days=1))
    audit.record(store, "boss", "undo", project_id=3, ok=False, at=T0 + dt.timedelta(days=2))
    log = audit.entries(store)
    assert log["action"].tolist() == ["undo", "export", "import"]
    assert len(log.loc[1, "detail"]) == audit.MAX_DETAIL
    assert log.loc[2, "rows"] == 120 and log.loc[0, "rows"] is None
    assert audit.entries(store, username="boss")["action"].tolist() == ["undo", "import"]
    assert audit.entries(store, project_id=4)["action"].tolist() == ["export"]
    assert audit.entries(store, action="import")["操作"].tolist() == ["导入"]
    assert audit.entries(store, since=T0 + dt.timedelta(hours=1), until=(T0 + dt.timedelta(days=1)).date()
                         )["action"].tolist() == ["export"]
    assert len(audit.entries(store, limit=2)) == 2
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record(store, "boss", "drop_tables")


def test_audit_log_refuses_update_and_delete(store):
    audit.record(store, "boss", "export", detail="a.xlsx")
    for statement in ("UPDATE audit_log SET detail = 'changed'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(text(statement))
    assert audit.entries(store)["detail"].tolist() == ["a.xlsx"]


def test_bootstrap_leaves_the_sample_out_when_told(store, monkeypatch):
    """A company's own server: TUOKE_SAMPLE=0 starts with no project (the admin is still made)."""
    from mapping import bootstrap

    monkeypatch.setenv("TUOKE_SAMPLE", "0")
    monkeypatch.setenv("TUOKE_ADMIN_PASSWORD", "Env-Seed-Pass-1")
    bootstrap.ensure_ready(store)
    assert store.projects().empty
    assert Accounts(store).by_username("admin") is not None
