"""Personal data: phone numbers and names are masked for display and hashed for
deduplication at ingest; the clear values never leave this module.

A hash is keyed (:func:`hash_value`): HMAC-SHA256 with the installation's key
(:mod:`mapping.ingest.keys`, kept outside the database) over the salted SHA-256 digest
the app used before.  Without the key, the salt and the stored hashes do not tell which
phone number a visitor has, even trying all 10^8 numbers behind a mask.  Because the key
wraps the old digest, stored hashes can be re-keyed without the clear values
(:func:`rekey`; migration 0006).

Masks leave little to guess: a phone number keeps its last 4 digits, a name its first
character (the surname).

Examples
--------
>>> mask_phone("13812345678")
'*******5678'
>>> mask_name("张三丰")
'张**'
"""

from __future__ import annotations

import hashlib
import hmac
import re

import numpy as np
import pandas as pd

from mapping.ingest.keys import PiiSecret

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
    """*******5678: a number of 7 digits or more shows its last 4 after 7 stars; a shorter one its last 2.

    A mobile's mask has its length (11); every number of 7+ digits is masked to that width, as
    the old 138****5678 masks were, so a stored old mask re-masks (:func:`remask_phone`) to
    exactly what masking the number gives now.

    >>> mask_phone("+86 138-1234-5678"), mask_phone("6234 5678"), mask_phone("12345")
    ('*******5678', '*******5678', '***45')
    """
    return _mask_digits(normalise_phone(value))


def _mask_digits(digits: str) -> str:
    """:func:`mask_phone` of a number already normalised (:func:`normalise_phone`)."""
    if not digits:
        return ""
    if len(digits) >= 7:
        return "*******" + digits[-4:]
    return "*" * (len(digits) - min(2, len(digits))) + digits[-2:]


def mask_name(value: object) -> str:
    """张* / 张** / 欧*** : the first character (the surname, or its first half) and a * for each other one.

    >>> mask_name("张三"), mask_name("欧阳锋"), mask_name("李"), mask_name(" 王 小 明 ")
    ('张*', '欧**', '*', '王**')
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    name = re.sub(r"\s+", "", str(value))
    if not name:
        return ""
    if len(name) == 1:
        return "*"
    return name[0] + "*" * (len(name) - 1)


def remask_phone(masked: str) -> str:
    """An old stored mask (138****5678) as the new one (*******5678); a new one stays as it is."""
    if len(masked) < 7:
        return masked
    return "*******" + masked[-4:]


def remask_name(masked: str) -> str:
    """An old stored mask (张*丰) as the new one (张**); a new one stays as it is."""
    if len(masked) < 2:
        return masked
    return masked[0] + "*" * (len(masked) - 1)


def salted_digest(value: str, salt: str) -> str:
    """The unkeyed digest: salted SHA-256 (hex, 32 characters); what :func:`hash_value` keys."""
    return hashlib.sha256((salt + "\x1f" + value).encode("utf-8")).hexdigest()[:32]


def rekey(digest: str, key: bytes, length: int = 32) -> str:
    """HMAC-SHA256 with ``key`` over a hex ``digest`` (hex, ``length`` characters); "" for "".

    >>> rekey(salted_digest("13812345678", "s"), bytes(32)) == hash_value("13812345678", bytes(32), "s")
    True
    """
    if not digest:
        return ""
    return hmac.new(key, digest.encode("ascii"), hashlib.sha256).hexdigest()[:length]


def hash_value(value: str, key: bytes, salt: str) -> str:
    """Keyed hash (hex, 32 characters) of a normalised value; "" for an empty value.

    ``hmac(key, sha256(salt + "\\x1f" + value)[:32])[:32]``: the salted digest of the
    old scheme, keyed, so stored hashes can be re-keyed without the clear values.
    """
    if not value:
        return ""
    return rekey(salted_digest(value, salt), key)


def rekey_many(digests, key: bytes, length: int = 32) -> list[str]:
    """:func:`rekey` of each digest (same results), with the key's HMAC pads hashed once, not per value.

    >>> rekey_many(["ab", ""], bytes(32), 8) == [rekey("ab", bytes(32), 8), ""]
    True
    """
    block = hashlib.sha256().block_size
    padded = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
    inner0 = hashlib.sha256(padded.translate(_IPAD))
    outer0 = hashlib.sha256(padded.translate(_OPAD))
    out = []
    for digest in digests:
        if not digest:
            out.append("")
            continue
        inner, outer = inner0.copy(), outer0.copy()
        inner.update(digest.encode("ascii"))
        outer.update(inner.digest())
        out.append(outer.hexdigest()[:length])
    return out


_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


def protect(frame: pd.DataFrame, secret: PiiSecret, phone_col: str = "phone", name_col: str = "name",
            *, digests: bool = False) -> pd.DataFrame:
    """Replace clear phone/name columns with masked and hashed columns.

    Returns a new frame without ``phone_col`` and ``name_col`` and with
    ``phone_masked``, ``phone_hash``, ``name_masked``, ``name_hash`` (keyed hashes,
    :func:`hash_value`).  With ``digests``, also ``phone_digest`` and ``name_digest``:
    the unkeyed salted digests, for a row key that must be re-keyable too
    (:func:`mapping.ingest.tables.visitor_keys`); never store them.  Each distinct
    value is normalised, masked and hashed once.
    """
    if not isinstance(secret, PiiSecret):
        raise TypeError(f"'secret' must be a PiiSecret (key and salt), got {type(secret).__name__}")
    out = frame.drop(columns=[c for c in (phone_col, name_col) if c in frame.columns])
    for col, kind in ((phone_col, "phone"), (name_col, "name")):
        values = frame[col] if col in frame.columns else pd.Series("", index=frame.index)
        masked, hashed, digest = _protect_column(values, kind, secret)
        out[f"{kind}_masked"], out[f"{kind}_hash"] = masked, hashed
        if digests:
            out[f"{kind}_digest"] = digest
    return out[[c for c in out.columns if c not in _PROTECTED] + [c for c in _PROTECTED if c in out.columns]]


_PROTECTED = ("phone_masked", "phone_hash", "name_masked", "name_hash", "phone_digest", "name_digest")


def _protect_column(values: pd.Series, kind: str, secret: PiiSecret) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(masked, keyed hash, salted digest) of a phone or name column, each distinct value done once."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=False)
    if kind == "phone":
        norm = normalise_phones(uniques)
        masks = [_mask_digits(v) for v in norm]
    else:
        norm = [_WHITESPACE.sub("", "" if pd.isna(v) else str(v)) for v in uniques]
        masks = [mask_name(v) for v in norm]
    digests, hashes = _digests_and_hashes(norm, secret)
    columns = []
    for column in (masks, hashes, digests):
        arr = np.empty(len(column), dtype=object)
        arr[:] = column
        columns.append(pd.Series(arr[codes], index=values.index, dtype="str"))
    return tuple(columns)


def normalise_phones(values) -> list[str]:
    """:func:`normalise_phone` of each value (same results): the values that are ASCII text, nearly all,
    in one Arrow pass (there ``\\D`` is exactly ``[^0-9]``), the others one by one.

    >>> normalise_phones(["+86 138-1234-5678", "００８６１３８１２３４５６７８", None, float("nan"), "0086 13812345678", 12345])
    ['13812345678', '００８６１３８１２３４５６７８', '', '', '13812345678', '12345']
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    values = list(values)
    text = pa.array(["" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v) for v in values],
                    type=pa.string())
    digits = pc.replace_substring_regex(text, pattern="[^0-9]+", replacement="")
    length = pc.binary_length(digits)
    digits = pc.if_else(pc.and_(pc.equal(length, 13), pc.starts_with(digits, "86")),
                        pc.utf8_slice_codeunits(digits, 2), digits)
    digits = pc.if_else(pc.and_(pc.equal(length, 15), pc.starts_with(digits, "0086")),
                        pc.utf8_slice_codeunits(digits, 4), digits)
    out = digits.to_pylist()
    for i in np.flatnonzero(~pc.string_is_ascii(text).to_numpy(zero_copy_only=False)):
        out[i] = normalise_phone(values[i])
    return out


def _digests_and_hashes(norm: list[str], secret: PiiSecret) -> tuple[list[str], list[str]]:
    """(:func:`salted_digest`, :func:`hash_value`) of each normalised value ("" for ""), in one pass: the
    salt's and the key's hash states computed once and copied per value (same results)."""
    salted = hashlib.sha256((secret.salt + "\x1f").encode("utf-8"))
    block = hashlib.sha256().block_size
    key = secret.key
    padded = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
    inner0, outer0 = hashlib.sha256(padded.translate(_IPAD)), hashlib.sha256(padded.translate(_OPAD))
    digests, hashes = [], []
    for value in norm:
        if not value:
            digests.append("")
            hashes.append("")
            continue
        h = salted.copy()
        h.update(value.encode("utf-8"))
        digest = h.hexdigest()[:32]
        inner, outer = inner0.copy(), outer0.copy()
        inner.update(digest.encode("ascii"))
        outer.update(inner.digest())
        digests.append(digest)
        hashes.append(outer.hexdigest()[:32])
    return digests, hashes


_WHITESPACE = re.compile(r"\s+")


# Headers that name a phone number or a person (the mapped 手机/姓名 and any second one:
# 备用电话, 联系人姓名, 紧急联系人, 配偶姓名 …).  置业顾问/销售 are staff, but their names are
# personal data too.
_PHONE_HEADER = re.compile(r"电话|手机|联系方式|tel|phone|mobile|微信", re.IGNORECASE)
_NAME_HEADER = re.compile(r"姓名|名字|联系人|客户名称|称呼|配偶|顾问|销售员|经纪人|^name$|customername",
                          re.IGNORECASE)
MOBILE_IN = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")  # a mobile number in text
# an 18-digit resident ID number in text (address code, birth date 18xx–20xx, sequence, check digit)
ID_IN = re.compile(r"(?<![0-9])[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
                   r"[0-9]{3}[0-9Xx](?![0-9])")
ID_HIDDEN = "（不显示）"  # what is shown for an ID number, anywhere
ID_IN_TEXT = "（身份证号已隐去）"  # what replaces an ID number found inside other text
_ID_HEADER = re.compile(r"身份证|證件|证件|idcard|idnumber|id_number|identity", re.IGNORECASE)


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
    for canonical, masker in (("id_number", hide_id), ("phone", mask_phone), ("name", mask_name)):
        if mapping.get(canonical) and mapping[canonical] not in out:
            out[mapping[canonical]] = masker
    for header in frame.columns:
        if header in out:
            continue
        name = str(header)
        if _ID_HEADER.search(name):
            out[header] = hide_id
        elif _PHONE_HEADER.search(name):
            out[header] = mask_phone
        elif _NAME_HEADER.search(name):
            out[header] = mask_name
        else:
            values = frame[header].dropna().astype(str)
            if values.str.contains(MOBILE_IN).any() or values.str.contains(ID_IN).any():  # one number in a
                out[header] = mask_numbers_in  # 备注 column is one too many
    return out


def hide_id(value: object) -> str:
    """An ID number (身份证号) is never shown, not even in part: 「（不显示）」, "" for an empty cell.

    >>> hide_id("110101199003070011"), hide_id("")
    ('（不显示）', '')
    """
    if value is None or (isinstance(value, float) and pd.isna(value)) or not str(value).strip():
        return ""
    return ID_HIDDEN


def mask_ids_in(value: object) -> str:
    """A free-text cell with ID numbers in it, each replaced by 「（身份证号已隐去）」.

    >>> mask_ids_in("张江 110101199003070011")
    '张江 （身份证号已隐去）'
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return ID_IN.sub(ID_IN_TEXT, str(value))


def mask_numbers_in(value: object) -> str:
    """:func:`mask_ids_in`, then :func:`mask_phones_in`: every ID and mobile number in a cell hidden."""
    return mask_phones_in(mask_ids_in(value))


def mask_phones_in(value: object) -> str:
    """A free-text cell with mobile numbers in it, each masked (备注: 「回电 13812345678」)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return MOBILE_IN.sub(lambda m: mask_phone(m.group(0)), str(value))


def mask_frame(frame: pd.DataFrame, mapping: dict[str, str] | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with every personal-data column (:func:`pii_columns`) masked."""
    out = frame.copy()
    for header, masker in pii_columns(frame, mapping).items():
        out[header] = out[header].map(masker)
    return out

