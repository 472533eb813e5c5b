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


# Headers that name a phone number or a person (the mapped 手机/姓名 and any second one:
# 备用电话, 联系人姓名, 紧急联系人, 配偶姓名 …).  置业顾问/销售 are staff, but their names are
# personal data too.
_PHONE_HEADER = re.compile(r"电话|手机|联系方式|tel|phone|mobile|微信", re.IGNORECASE)
_NAME_HEADER = re.compile(r"姓名|名字|联系人|客户名称|称呼|配偶|顾问|销售员|经纪人|^name$|customername",
                          re.IGNORECASE)
_MOBILE_IN = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")  # a mobile number in text


def pii_columns(frame: pd.DataFrame, mapping: dict[str, str] | None = None) -> dict[str, object]:
    """{header: masker} of every column that holds phone numbers or people's names, mapped or not.

    A column counts when its header says so (备用电话, 联系人姓名 …) or when any of its
    values holds a mobile number (a 备注 「请回电 138…」): its numbers are masked.  The mapped 手机/姓名 columns
    always count.  Pages and downloads mask these before showing anything.

    Examples
    --------
    >>> frame = pd.DataFrame({"姓名": ["张三"], "备用电话": ["13812345678"], "备注": ["13900001111"],
    ...                       "小区": ["汤臣一品"]})
    >>> sorted(pii_columns(frame))
    ['备注', '备用电话', '姓名']
    """
    out: dict[str, object] = {}
    mapping = mapping or {}
    for canonical, masker in (("phone", mask_phone), ("name", mask_name)):
        if mapping.get(canonical):
            out[mapping[canonical]] = masker
    for header in frame.columns:
        if header in out:
            continue
        name = str(header)
        if _PHONE_HEADER.search(name):
            out[header] = mask_phone
        elif _NAME_HEADER.search(name):
            out[header] = mask_name
        else:
            values = frame[header].dropna().astype(str)
            if values.str.contains(_MOBILE_IN).any():  # one number in a 备注 column is one too many
                out[header] = _mask_phones_in
    return out


def _mask_phones_in(value: object) -> str:
    """A free-text cell with mobile numbers in it, each masked (备注: 「回电 13812345678」)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return _MOBILE_IN.sub(lambda m: mask_phone(m.group(0)), str(value))


def mask_frame(frame: pd.DataFrame, mapping: dict[str, str] | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with every personal-data column (:func:`pii_columns`) masked."""
    out = frame.copy()
    for header, masker in pii_columns(frame, mapping).items():
        out[header] = out[header].map(masker)
    return out

