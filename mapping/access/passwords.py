"""Passwords: argon2id hashes, a strength check with Chinese messages, one-time passwords.

Only the hash is ever stored (:class:`argon2.PasswordHasher`: argon2id, a random salt per
hash, the parameters inside the hash string, so :func:`needs_rehash` can tell when they
have been raised since).  :func:`verify_password` never raises: a wrong password and a
damaged hash both give False.

Examples
--------
>>> stored = hash_password("金桥湾-2024-拓客")
>>> stored.startswith("$argon2id$")
True
>>> verify_password(stored, "金桥湾-2024-拓客"), verify_password(stored, "别的密码-123456")
(True, False)
>>> verify_password("not a hash", "whatever"), verify_password("", "")
(False, False)
>>> check_strength("12345678901")
Traceback (most recent call last):
...
ValueError: 密码不能只有数字，请加入字母或符号。
>>> check_strength("zhangsan-2024!", username="ZhangSan")
Traceback (most recent call last):
...
ValueError: 密码不能包含用户名。
>>> check_strength("短密码")
Traceback (most recent call last):
...
ValueError: 密码至少需要 10 个字符（现在 3 个）。
>>> pw = one_time_password()
>>> len(pw), check_strength(pw)
(19, None)
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["MIN_LENGTH", "check_strength", "hash_password", "needs_rehash", "one_time_password", "verify_password"]

MIN_LENGTH = 10
_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters

# Passwords every guessing list starts with (compared case-insensitively); the length
# rule already rules out the shorter classics.
COMMON = frozenset({
    "password", "password1", "password12", "password123", "password1234", "passw0rd123", "p@ssw0rd123",
    "qwertyuiop", "qwertyuiop123", "qwerty1234", "qwerty12345", "qwerty123456", "1qaz2wsx3edc", "1q2w3e4r5t",
    "1q2w3e4r5t6y", "zaq12wsxcde3", "asdfghjkl1", "asdfghjkl123", "zxcvbnm123", "abc1234567", "abcd123456",
    "abcdefghij", "abc123456789", "a123456789", "aa12345678", "admin12345", "admin123456", "administrator",
    "welcome123", "welcome1234", "iloveyou123", "letmein123", "changeme123", "woaini1314", "woaini521",
    "woaini123456", "5201314520", "1314520520", "11111111aa", "aaaaaaaaaa", "qweasdzxc123", "tuoke12345",
    "tuokemap123", "sunshine123", "football123", "baseball123", "monkey12345", "dragon12345",
})
# A one-time password reads aloud without confusion: no 0/O, 1/l/I.
_READABLE = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (a new random salt each time)."""
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``; False for a mismatch or an unreadable hash (never raises)."""
    if not stored_hash or password is None:
        return False
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError, ValueError, TypeError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether ``stored_hash`` was made with weaker parameters than today's (hash again at the next sign-in)."""
    try:
        return _HASHER.check_needs_rehash(stored_hash)
    except (InvalidHashError, ValueError, TypeError):
        return True


def check_strength(password: str, username: str = "") -> None:
    """Refuse a weak password with a Chinese message (ValueError); return None when it is acceptable.

    At least :data:`MIN_LENGTH` characters, not only digits, not containing the user
    name, not one of the commonest passwords.
    """
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"密码至少需要 {MIN_LENGTH} 个字符（现在 {len(password)} 个）。")
    if password.isdigit():
        raise ValueError("密码不能只有数字，请加入字母或符号。")
    name = (username or "").strip().casefold()
    if len(name) >= 2 and name in password.casefold():
        raise ValueError("密码不能包含用户名。")
    if password.casefold() in COMMON or len(set(password)) <= 2:
        raise ValueError("这个密码太常见，很容易被猜到，请换一个。")


def one_time_password() -> str:
    """A random readable password (16 characters in groups of 4, e.g. ``Hk7m-PqR2-...``) to hand over once."""
    while True:
        chars = "".join(secrets.choice(_READABLE) for _ in range(16))
        password = "-".join(chars[i:i + 4] for i in range(0, 16, 4))
        if not chars.isdigit():
            return password
