"""Personal data: phone numbers and names are masked for display and hashed for
deduplication at ingest; the clear values never leave this module.

Examples
--------
>>> mask_phone("13812345678")
'138****5678'
>>> mask_name("张三丰")
'张*丰'
"""

from __future__ import annotations

import hashlib
import re

import pandas as pd

_NON_DIGIT = re.compile(r"\D+")


def normalise_phone(value: object) -> str:
    """Digits only, without a leading +86/0086 country code; "" when empty."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    digits = _NON_DIGIT.sub("", str(value))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    elif len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    return digits


def mask_phone(value: object) -> str:
    """138****5678 for a mobile; other numbers keep at most their last 4 digits."""
    digits = normalise_phone(value)
    if not digits:
        return ""
    if len(digits) >= 7:
        return digits[:3] + "****" + digits[-4:]
    return "*" * (len(digits) - min(2, len(digits))) + digits[-2:]


def mask_name(value: object) -> str:
    """张* / 张*丰 / 欧阳**锋: keep the first and (for 3+ characters) the last character."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    name = re.sub(r"\s+", "", str(value))
    if not name:
        return ""
    if len(name) == 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def hash_value(value: str, salt: str) -> str:
    """Salted SHA-256 (hex, 32 characters) of a normalised value; "" for an empty value."""
    if not value:
        return ""
    return hashlib.sha256((salt + "\x1f" + value).encode("utf-8")).hexdigest()[:32]


def protect(frame: pd.DataFrame, salt: str, phone_col: str = "phone", name_col: str = "name") -> pd.DataFrame:
    """Replace clear phone/name columns with masked and hashed columns.

    Returns a new frame without ``phone_col`` and ``name_col`` and with
    ``phone_masked``, ``phone_hash``, ``name_masked``, ``name_hash``.
    """
    if not salt:
        raise ValueError("'salt' must be a non-empty per-installation secret, got an empty value")
    out = frame.drop(columns=[c for c in (phone_col, name_col) if c in frame.columns])
    phones = frame[phone_col] if phone_col in frame.columns else pd.Series("", index=frame.index)
    names = frame[name_col] if name_col in frame.columns else pd.Series("", index=frame.index)
    norm_phones = phones.map(normalise_phone)
    norm_names = names.map(lambda v: re.sub(r"\s+", "", "" if pd.isna(v) else str(v)))
    out["phone_masked"] = norm_phones.map(mask_phone)
    out["phone_hash"] = norm_phones.map(lambda v: hash_value(v, salt))
    out["name_masked"] = norm_names.map(mask_name)
    out["name_hash"] = norm_names.map(lambda v: hash_value(v, salt))
    return out
