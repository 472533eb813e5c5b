"""Accounts: users, their projects, sign-in with lockout, browser sessions, the first admin.

:class:`Accounts` reads and writes the ``users``, ``project_members`` and ``user_sessions``
tables (SQLAlchemy core on the store's engine, one transaction per change).

* **Sign-in** (:meth:`Accounts.authenticate`) answers 「用户名或密码不对」 whether the
  user exists or not (an unknown name is checked against a dummy hash, so it takes
  about as long).  After :data:`LOCK_AFTER` failures in a row the account is locked for
  1 minute, doubling with each further failure up to 60; while locked the password is
  not even checked.  Every attempt is written to the audit log, never the password.
* **Sessions**: :meth:`Accounts.start_session` returns a random token for the browser's
  cookie; only its SHA-256 is stored, so a copy of the database signs nobody in.  A
  session ends at ``expires_at``, after :data:`IDLE` without a request, when its user is
  deactivated or their password is reset.
* The installation always keeps an **active 管理员**: demoting, deactivating or deleting
  the last one is refused.

Examples
--------
>>> from mapping.db.store import Store
>>> store = Store("sqlite://"); store.migrate()
>>> accounts = Accounts(store)
>>> one_time = accounts.ensure_admin(None)          # first start: admin with a one-time password
>>> accounts.authenticate("admin", one_time).must_change_password
True
>>> uid, _ = accounts.create_user("li.na", "planner", "Gold-Bay-2024!", display_name="李娜")
>>> token = accounts.start_session(uid)
>>> accounts.session_user(token).display_name
'李娜'
>>> accounts.authenticate("li.na", "wrong password")
Traceback (most recent call last):
...
mapping.access.accounts.SignInError: 用户名或密码不对
>>> accounts.set_role(accounts.by_username("admin").id, "viewer")
Traceback (most recent call last):
...
ValueError: 不能取消最后一个管理员：请先把另一位用户设为管理员。
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from mapping.access import audit
from mapping.access.passwords import (
    check_strength,
    hash_password,
    needs_rehash,
    one_time_password,
    verify_password,
)
from mapping.access.roles import ROLES, can
from mapping.db.models import Project as ProjectRow
from mapping.db.models import ProjectMember, User, UserSession

__all__ = ["IDLE", "LOCK_AFTER", "SESSION_TTL", "Account", "Accounts", "SignInError"]

LOCK_AFTER = 5  # failures in a row before the first lock
LOCK_FIRST = dt.timedelta(minutes=1)  # doubles with each further failure …
LOCK_MAX = dt.timedelta(minutes=60)  # … up to this
SESSION_TTL = dt.timedelta(hours=12)
IDLE = dt.timedelta(hours=2)  # a session unused this long ends
TOUCH_EVERY = dt.timedelta(minutes=1)  # last_seen is written at most this often
ADMIN = "admin"
WRONG = "用户名或密码不对"
INACTIVE = "账号已停用，请联系管理员"
_USERNAME = re.compile(r"[A-Za-z0-9._@\-\u4e00-\u9fff]{2,64}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_DUMMY_HASH: list[str] = []  # made on first use: an unknown user costs one verify, like a known one


@dataclass(frozen=True)
class Account:
    """A user as the pages see it: no password hash, no counters."""

    id: int
    username: str
    display_name: str
    role: str
    email: str
    active: bool
    must_change_password: bool

    @property
    def label(self) -> str:
        """The name to show: 「李娜（li.na）」, or the user name alone."""
        return f"{self.display_name}（{self.username}）" if self.display_name else self.username


class SignInError(Exception):
    """Sign-in refused; ``str()`` is the Chinese message for the page."""


def _token_hash(token: str) -> str:
    return hashlib.sha256(str(token).encode("utf-8")).hexdigest()


def _lock_for(failed: int) -> dt.timedelta:
    """How long the account is locked after ``failed`` failures in a row (zero before :data:`LOCK_AFTER`).

    >>> [int(_lock_for(n).total_seconds() // 60) for n in (4, 5, 6, 7, 8, 11, 12, 30)]
    [0, 1, 2, 4, 8, 60, 60, 60]
    """
    if failed < LOCK_AFTER:
        return dt.timedelta(0)
    return min(LOCK_FIRST * 2 ** min(failed - LOCK_AFTER, 12), LOCK_MAX)


def _minutes(left: dt.timedelta) -> int:
    return max(1, math.ceil(left.total_seconds() / 60))


_ACCOUNT_COLUMNS = (User.id, User.username, User.display_name, User.role, User.email, User.active,
                    User.must_change_password)


def _account(row) -> Account:
    return Account(id=int(row.id), username=row.username, display_name=row.display_name or "", role=row.role,
                   email=row.email or "", active=bool(row.active), must_change_password=bool(row.must_change_password))


class Accounts:
    """Users, sign-in and sessions in one database (``Accounts(store)``)."""

    def __init__(self, store):
        self.store = store
        self.engine = store.engine

    # ------------------------------------------------------------------ users
    def create_user(self, username: str, role: str, password: str | None = None, *, display_name: str = "",
                    email: str = "", project_ids: Iterable[int] = (), must_change: bool | None = None
                    ) -> tuple[int, str | None]:
        """A new user: (its id, the one-time password when none was given, else None).

        Without ``password`` a one-time password is made and the user must change it at
        the first sign-in.  ValueError (Chinese) for a bad or taken user name, an unknown
        role, a weak password, a bad or taken e-mail, an unknown project.
        """
        username = self._clean_username(username)
        self._check_role(role)
        display_name = self._clean_display_name(display_name)
        email = self._clean_email(email)
        one_time = None
        if password is None:
            password = one_time = one_time_password()
            must_change = True if must_change is None else must_change
        else:
            check_strength(password, username)
        with self.engine.begin() as conn:
            if conn.execute(select(User.id).where(func.lower(User.username) == username.lower())).first():
                raise ValueError(f"用户名「{username}」已被使用，请换一个。")
            self._check_email_free(conn, email)
            projects = self._check_projects(conn, project_ids)
            try:
                user_id = conn.execute(insert(User).values(
                    username=username, display_name=display_name, role=role, password_hash=hash_password(password),
                    email=email, active=True, must_change_password=bool(must_change), failed=0,
                    created_at=dt.datetime.now())).inserted_primary_key[0]
            except IntegrityError as exc:  # created by someone else a moment ago
                raise ValueError(f"用户名「{username}」已被使用，请换一个。") from exc
            if projects:
                conn.execute(insert(ProjectMember), [{"user_id": user_id, "project_id": p} for p in projects])
        return int(user_id), one_time

    def users(self) -> pd.DataFrame:
        """Every user (no password hashes), with the ids of the projects each is a member of."""
        columns = ["id", "username", "display_name", "role", "email", "active", "must_change_password",
                   "locked_until", "last_login", "created_at"]
        with self.engine.connect() as conn:
            rows = conn.execute(select(*(getattr(User, c) for c in columns)).order_by(User.id)).mappings().all()
            members = conn.execute(select(ProjectMember.user_id, ProjectMember.project_id)
                                   .order_by(ProjectMember.project_id)).all()
        projects: dict[int, list[int]] = {}
        for user_id, project_id in members:
            projects.setdefault(int(user_id), []).append(int(project_id))
        frame = pd.DataFrame([dict(r) for r in rows], columns=columns)
        frame["active"] = frame["active"].astype(bool)
        frame["must_change_password"] = frame["must_change_password"].astype(bool)
        frame["project_ids"] = pd.Series([projects.get(int(i), []) for i in frame["id"]], index=frame.index,
                                         dtype=object)
        return frame

    def first_start(self) -> bool:
        """Nobody has signed in yet (the sign-in page then says where the first password is)."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(User).where(User.last_login.is_not(None))).scalar() == 0

    def account(self, user_id: int) -> Account:
        """The user with this id (ValueError in Chinese when there is none)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(*_ACCOUNT_COLUMNS).where(User.id == int(user_id))).first()
        if row is None:
            raise ValueError(f"用户不存在（编号 {user_id}），可能已被删除。")
        return _account(row)

    def by_username(self, name: str) -> Account | None:
        """The user with this name (case does not matter), or None."""
        name = (name or "").strip()
        if not name:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(*_ACCOUNT_COLUMNS).where(func.lower(User.username) == name.lower())).first()
        return _account(row) if row else None

    def by_email(self, email: str) -> Account | None:
        """The user with this e-mail (case does not matter; for SSO), or None."""
        email = (email or "").strip()
        if not email:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(*_ACCOUNT_COLUMNS).where(func.lower(User.email) == email.lower())
                               .order_by(User.id)).first()
        return _account(row) if row else None

    def update_profile(self, user_id: int, *, display_name: str | None = None, email: str | None = None) -> None:
        """Change a user's display name and/or e-mail."""
        values = {}
        if display_name is not None:
            values["display_name"] = self._clean_display_name(display_name)
        if email is not None:
            values["email"] = self._clean_email(email)
        if not values:
            return
        with self.engine.begin() as conn:
            self._row(conn, user_id)
            if "email" in values:
                self._check_email_free(conn, values["email"], other_than=user_id)
            conn.execute(update(User).where(User.id == int(user_id)).values(**values))

    # --------------------------------------------------------------- sign-in
    def authenticate(self, username: str, password: str, now: dt.datetime | None = None) -> Account:
        """The account for this user name and password, or :class:`SignInError` with a Chinese message."""
        now = now or dt.datetime.now()
        typed = (username or "").strip()[:64]
        with self.engine.begin() as conn:
            row = conn.execute(select(User).where(func.lower(User.username) == typed.lower())
                               .with_for_update()).first() if typed else None
            if row is None:
                verify_password(_dummy_hash(), password or "")  # the same work as for a real user
                audit.write(conn, typed, "sign_in_failed", detail="用户不存在", ok=False, at=now)
                error = SignInError(WRONG)
            else:
                error = self._check(conn, row, password or "", now)
        if error is not None:
            raise error
        return self.account(row.id)

    def _check(self, conn: Connection, row, password: str, now: dt.datetime) -> SignInError | None:
        """Check a known user's password, update counters and the audit log; the error to raise, or None."""
        if row.locked_until is not None and row.locked_until > now:
            audit.write(conn, row.username, "sign_in_failed", detail="账号锁定中，未检查密码", ok=False, at=now)
            return SignInError(f"尝试次数过多，请 {_minutes(row.locked_until - now)} 分钟后再试")
        if not verify_password(row.password_hash, password):
            failed = int(row.failed or 0) + 1
            lock = _lock_for(failed)
            locked_until = now + lock if lock else None
            conn.execute(update(User).where(User.id == row.id).values(failed=failed, locked_until=locked_until))
            detail = f"密码不对（连续第 {failed} 次）" + (f"，锁定 {_minutes(lock)} 分钟" if lock else "")
            audit.write(conn, row.username, "sign_in_failed", detail=detail, ok=False, at=now)
            if lock:
                return SignInError(f"尝试次数过多，请 {_minutes(lock)} 分钟后再试")
            return SignInError(WRONG)
        if not row.active:
            audit.write(conn, row.username, "sign_in_failed", detail="账号已停用", ok=False, at=now)
            return SignInError(INACTIVE)
        values = {"failed": 0, "locked_until": None, "last_login": now}
        if needs_rehash(row.password_hash):
            values["password_hash"] = hash_password(password)
        conn.execute(update(User).where(User.id == row.id).values(**values))
        audit.write(conn, row.username, "sign_in", detail="密码登录", ok=True, at=now)
        return None

    # -------------------------------------------------------------- passwords
    def set_password(self, user_id: int, password: str, *, must_change: bool = False) -> None:
        """A new password for the user (strength checked; it may not be the current one when changing it)."""
        with self.engine.begin() as conn:
            row = self._row(conn, user_id)
            check_strength(password, row.username)
            if verify_password(row.password_hash, password):
                raise ValueError("新密码不能与原密码相同。")
            conn.execute(update(User).where(User.id == row.id).values(
                password_hash=hash_password(password), must_change_password=bool(must_change),
                failed=0, locked_until=None))

    def reset_password(self, user_id: int) -> str:
        """A new one-time password (returned once; must be changed at sign-in); the user's sessions end."""
        password = one_time_password()
        with self.engine.begin() as conn:
            row = self._row(conn, user_id)
            conn.execute(update(User).where(User.id == row.id).values(
                password_hash=hash_password(password), must_change_password=True, failed=0, locked_until=None))
            conn.execute(delete(UserSession).where(UserSession.user_id == row.id))
        return password

    # ---------------------------------------------------------- admin changes
    def set_role(self, user_id: int, role: str) -> None:
        self._check_role(role)
        with self.engine.begin() as conn:
            row = self._row(conn, user_id)
            if role != ADMIN:
                self._keep_an_admin(conn, row, "不能取消最后一个管理员：请先把另一位用户设为管理员。")
            conn.execute(update(User).where(User.id == row.id).values(role=role))

    def set_active(self, user_id: int, active: bool) -> None:
        """Activate or deactivate a user; deactivating ends their sessions."""
        with self.engine.begin() as conn:
            row = self._row(conn, user_id)
            if not active:
                self._keep_an_admin(conn, row, "不能停用最后一个管理员：请先把另一位用户设为管理员。")
                conn.execute(delete(UserSession).where(UserSession.user_id == row.id))
            conn.execute(update(User).where(User.id == row.id).values(active=bool(active)))

    def unlock(self, user_id: int) -> None:
        """Lift a lockout and forget the failures."""
        with self.engine.begin() as conn:
            row = self._row(conn, user_id)
            conn.execute(update(User).where(User.id == row.id).values(failed=0, locked_until=None))

    def set_projects(self, user_id: int, project_ids: Iterable[int]) -> None:
        """The projects the user is a member of (replaces the previous list)."""
        with self.engine.begin() as conn:
            row = self._row(conn, user_id)
            projects = self._check_projects(conn, project_ids)
            conn.execute(delete(ProjectMember).where(ProjectMember.user_id == row.id))
            if projects:
                conn.execute(insert(ProjectMember), [{"user_id": row.id, "project_id": p} for p in projects])

    def project_ids(self, account: Account | int) -> set[int] | None:
        """The projects this user may see: None means all of them (管理员)."""
        if not isinstance(account, Account):
            account = self.account(account)
        if can(account.role, "all_projects"):
            return None
        with self.engine.connect() as conn:
            ids = conn.execute(select(ProjectMember.project_id).where(ProjectMember.user_id == account.id)).scalars()
            return {int(i) for i in ids}

    def delete_user(self, user_id: int) -> None:
        """Delete a user, their memberships and sessions (the audit log keeps their name)."""
        with self.engine.begin() as conn:
            row = self._row(conn, user_id)
            self._keep_an_admin(conn, row, "不能删除最后一个管理员：请先把另一位用户设为管理员。")
            conn.execute(delete(UserSession).where(UserSession.user_id == row.id))
            conn.execute(delete(ProjectMember).where(ProjectMember.user_id == row.id))
            conn.execute(delete(User).where(User.id == row.id))

    # --------------------------------------------------------------- sessions
    def start_session(self, user_id: int, ttl: dt.timedelta = SESSION_TTL, now: dt.datetime | None = None) -> str:
        """A new session for the user: the random token for the browser (only its hash is stored)."""
        now = now or dt.datetime.now()
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            self._row(conn, user_id)
            conn.execute(delete(UserSession).where(UserSession.expires_at <= now))  # tidy up on the way
            conn.execute(insert(UserSession).values(token_hash=_token_hash(token), user_id=int(user_id),
                                                    created_at=now, last_seen=now, expires_at=now + ttl))
        return token

    def session_user(self, token: str | None, now: dt.datetime | None = None) -> Account | None:
        """The signed-in account for a browser's token, or None (unknown, expired, idle, user inactive)."""
        if not token:
            return None
        now = now or dt.datetime.now()
        key = _token_hash(token)
        with self.engine.connect() as conn:
            row = conn.execute(select(UserSession.last_seen, UserSession.expires_at, *_ACCOUNT_COLUMNS)
                               .join(User, User.id == UserSession.user_id)
                               .where(UserSession.token_hash == key)).first()
        if row is None:
            return None
        if row.expires_at <= now or now - row.last_seen > IDLE:
            with self.engine.begin() as conn:
                conn.execute(delete(UserSession).where(UserSession.token_hash == key))
            return None
        if not row.active:
            return None
        if now - row.last_seen >= TOUCH_EVERY:
            with self.engine.begin() as conn:
                conn.execute(update(UserSession).where(UserSession.token_hash == key).values(last_seen=now))
        return _account(row)

    def end_session(self, token: str | None) -> None:
        """Sign a browser out (nothing happens for an unknown token)."""
        if token:
            with self.engine.begin() as conn:
                conn.execute(delete(UserSession).where(UserSession.token_hash == _token_hash(token)))

    def end_sessions(self, user_id: int) -> None:
        """Sign the user out everywhere."""
        with self.engine.begin() as conn:
            conn.execute(delete(UserSession).where(UserSession.user_id == int(user_id)))

    # ------------------------------------------------------------ first start
    def ensure_admin(self, password: str | None) -> str | None:
        """On an installation without users, create 管理员 ``admin``; the one-time password, or None.

        With ``password`` (``TUOKE_ADMIN_PASSWORD``) that becomes admin's password (a weak
        one is refused with ValueError) and None is returned; without one a one-time
        password is made, returned (to be printed once) and must be changed at sign-in.
        Once any user exists this does nothing and returns None: the environment variable
        only seeds the first start, it never resets a changed password.
        """
        with self.engine.connect() as conn:
            if conn.execute(select(User.id).limit(1)).first() is not None:
                return None
        if password:
            try:
                check_strength(password, ADMIN)
            except ValueError as exc:
                raise ValueError(f"环境变量 TUOKE_ADMIN_PASSWORD 设置的管理员密码太弱：{exc}"
                                 "请换一个更强的密码，或不设置它（首次启动会生成一次性密码）。") from exc
        try:
            _, one_time = self.create_user(ADMIN, ADMIN, password or None, display_name="管理员",
                                           must_change=not password)
        except ValueError:  # another process created it a moment ago
            if self.by_username(ADMIN) is not None:
                return None
            raise
        return one_time

    # ---------------------------------------------------------------- helpers
    @staticmethod
    def _row(conn: Connection, user_id: int):
        row = conn.execute(select(User).where(User.id == int(user_id)).with_for_update()).first()
        if row is None:
            raise ValueError(f"用户不存在（编号 {user_id}），可能已被删除。")
        return row

    @staticmethod
    def _keep_an_admin(conn: Connection, row, message: str) -> None:
        """Refuse (ValueError ``message``) when ``row`` is the last active 管理员."""
        if row.role != ADMIN or not row.active:
            return
        admins = conn.execute(select(User.id).where(User.role == ADMIN, User.active)
                              .with_for_update()).scalars().all()
        if not set(admins) - {row.id}:
            raise ValueError(message)

    @staticmethod
    def _clean_username(username: str) -> str:
        username = (username or "").strip()
        if not _USERNAME.fullmatch(username):
            raise ValueError("用户名需 2–64 个字符，只能包含字母、数字、汉字和 . _ - @。")
        return username

    @staticmethod
    def _clean_display_name(name: str) -> str:
        name = (name or "").strip()
        if len(name) > 100:
            raise ValueError("显示名最多 100 个字符。")
        return name

    @staticmethod
    def _clean_email(email: str) -> str:
        email = (email or "").strip()
        if email and (len(email) > 200 or not _EMAIL.fullmatch(email)):
            raise ValueError(f"邮箱「{email[:60]}」格式不对。")
        return email

    @staticmethod
    def _check_role(role: str) -> None:
        if role not in ROLES:
            raise ValueError(f"未知角色「{role}」；可选：{'、'.join(ROLES.values())}。")

    @staticmethod
    def _check_email_free(conn: Connection, email: str, other_than: int | None = None) -> None:
        if not email:
            return
        query = select(User.username).where(func.lower(User.email) == email.lower())
        if other_than is not None:
            query = query.where(User.id != int(other_than))
        taken = conn.execute(query).scalar()
        if taken is not None:
            raise ValueError(f"邮箱「{email}」已被用户「{taken}」使用。")

    @staticmethod
    def _check_projects(conn: Connection, project_ids: Iterable[int]) -> list[int]:
        wanted = sorted({int(p) for p in project_ids or ()})
        if not wanted:
            return []
        found = set(conn.execute(select(ProjectRow.id).where(ProjectRow.id.in_(wanted))).scalars())
        missing = [p for p in wanted if p not in found]
        if missing:
            raise ValueError(f"项目不存在（编号 {'、'.join(map(str, missing))}），可能已被删除。")
        return wanted


def _dummy_hash() -> str:
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password(secrets.token_hex(16)))
    return _DUMMY_HASH[0]
