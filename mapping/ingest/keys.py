"""The key for hashing personal data: kept **outside** the database.

Phone numbers and names are stored as keyed hashes (:func:`mapping.ingest.privacy.hash_value`):
HMAC-SHA256 with this key over the old salted digest.  The salt lives in the database
(``app_settings``); the key does not, so a copy of the database alone (a dump, a
backup, a stolen SQLite file) cannot be searched for phone numbers.

Where the key comes from, first match wins:

1. ``TUOKE_PII_KEY``: the key itself, as hex (64+ hex digits) or base64, at least
   32 bytes.  Use this when several servers share one PostgreSQL database: every
   server must have the same key.
2. ``TUOKE_PII_KEY_FILE``: a key file at that path.
3. ``pii.key`` beside the SQLite database file (``var/pii.key`` by default, or beside
   ``TUOKE_DB_PATH``); ``var/pii.key`` when the database is PostgreSQL or in memory.

A key file missing there is created on first use: 32 random bytes written as hex,
mode 0600.  A key file that others can read (group or world) is refused, with how to
fix it (``chmod 600``).  The database keeps only the key's fingerprint
(:func:`fingerprint`), so starting with a different key is refused instead of silently
making every re-imported visitor look new.

Examples
--------
>>> key = parse_key("00" * 32)
>>> len(key)
32
>>> fingerprint(key)
'b12b820550eb3018'
>>> parse_key("c2hvcnQ=")
Traceback (most recent call last):
...
mapping.ingest.keys.PiiKeyError: TUOKE_PII_KEY 太短：...
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from mapping.paths import VAR

ENV_KEY = "TUOKE_PII_KEY"
ENV_KEY_FILE = "TUOKE_PII_KEY_FILE"
KEY_FILE_NAME = "pii.key"
KEY_BYTES = 32
FINGERPRINT_SETTING = "pii_key_fingerprint"  # app_settings key: the fingerprint, never the key
_CHECK = b"tuoke-key-check"
_HEX = re.compile(r"[0-9a-fA-F]+")


class PiiKeyError(RuntimeError):
    """The key is missing, malformed, readable by others, or not the database's key (message in Chinese)."""


@dataclass(frozen=True)
class PiiSecret:
    """What hashing personal data needs: the key (outside the database) and the salt (inside it).

    Examples
    --------
    >>> PiiSecret(bytes(32), "s").fingerprint
    'b12b820550eb3018'
    >>> PiiSecret(b"short", "s")
    Traceback (most recent call last):
    ...
    ValueError: 'key' must be at least 32 bytes, got 5
    """

    key: bytes
    salt: str

    def __post_init__(self) -> None:
        if not isinstance(self.key, bytes) or len(self.key) < KEY_BYTES:
            raise ValueError(f"'key' must be at least {KEY_BYTES} bytes, got {len(self.key)}")
        if not self.salt:
            raise ValueError("'salt' must be a non-empty per-installation secret, got an empty value")

    def __repr__(self) -> str:  # never print the key
        return f"PiiSecret(fingerprint={self.fingerprint!r})"

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.key)


def fingerprint(key: bytes) -> str:
    """HMAC(key, "tuoke-key-check"), 16 hex digits: tells keys apart without revealing them."""
    return hmac.new(key, _CHECK, hashlib.sha256).hexdigest()[:16]


def parse_key(text: str, source: str = ENV_KEY) -> bytes:
    """The key from its text: hex (an even number of hex digits) or base64; at least 32 bytes."""
    text = "".join(text.split())
    if not text:
        raise PiiKeyError(f"{source} 是空的：请填写至少 {KEY_BYTES} 字节的密钥（十六进制或 base64）。")
    if _HEX.fullmatch(text) and len(text) % 2 == 0:
        key = bytes.fromhex(text)
    else:
        try:
            padded = text + "=" * (-len(text) % 4)
            key = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            raise PiiKeyError(f"{source} 既不是十六进制也不是 base64：请填写至少 {KEY_BYTES} 字节的密钥，"
                              "例如 python -c \"import secrets; print(secrets.token_hex(32))\" 的输出。") from None
    if len(key) < KEY_BYTES:
        raise PiiKeyError(f"{source} 太短：只有 {len(key)} 字节，至少要 {KEY_BYTES} 字节"
                          f"（{KEY_BYTES * 2} 位十六进制）。")
    return key


def default_key_file(database_file: str | Path | None = None) -> Path:
    """``TUOKE_PII_KEY_FILE``, else ``pii.key`` beside the SQLite ``database_file``, else ``var/pii.key``."""
    configured = os.environ.get(ENV_KEY_FILE, "").strip()
    if configured:
        return Path(configured).expanduser()
    if database_file and str(database_file) != ":memory:":
        return Path(database_file).expanduser().resolve().parent / KEY_FILE_NAME
    return VAR / KEY_FILE_NAME


def pii_key(database_file: str | Path | None = None) -> bytes:
    """The key: ``TUOKE_PII_KEY``, else the key file (:func:`default_key_file`; created on first use, mode 0600)."""
    env = os.environ.get(ENV_KEY)
    if env is not None and env.strip():
        return parse_key(env, ENV_KEY)
    return _read_or_create(default_key_file(database_file))


def _read_or_create(path: Path) -> bytes:
    if not path.exists():
        _create(path)
    return _read(path)


def _read(path: Path) -> bytes:
    mode = path.stat().st_mode
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PiiKeyError(f"个人信息密钥文件 {path} 其他用户也能读取（权限 {stat.filemode(mode)}），拒绝使用。"
                          f"请运行 chmod 600 {path}，只让运行本应用的用户读取它。")
    return parse_key(path.read_text(encoding="ascii", errors="replace"), f"密钥文件 {path}")


def _create(path: Path) -> None:
    """32 random bytes as hex, mode 0600 from the start; two processes at once end up with one key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (secrets.token_hex(KEY_BYTES) + "\n").encode("ascii")
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # atomic and never overwrites: whoever links first wins
        except FileExistsError:
            pass
        except OSError:  # no hard links on this file system
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return
            with os.fdopen(fd, "wb") as f:
                f.write(data)
    finally:
        tmp.unlink(missing_ok=True)


def check_fingerprint(stored: str | None, key: bytes) -> None:
    """Refuse a key that is not the one the database's hashes were made with."""
    if stored and not hmac.compare_digest(stored, fingerprint(key)):
        raise PiiKeyError(
            f"个人信息密钥与数据库不匹配：数据库里的手机号和姓名是用另一把密钥处理的（数据库记录的密钥指纹 {stored}，"
            f"当前密钥指纹 {fingerprint(key)}）。请找回原来的密钥文件（默认在数据库文件旁的 {KEY_FILE_NAME}，"
            f"或 {ENV_KEY_FILE} 指向的文件），或设置原来的 {ENV_KEY}，然后重新启动。"
            "不要换用新密钥：换了之后重新导入时认不出老客户，会重复导入。")
