"""protect's column-wise phone normalising and one-pass hashing give what the per-value functions give."""

from __future__ import annotations

import random

import pandas as pd

from mapping.ingest import privacy as P
from mapping.ingest.keys import PiiSecret

AWKWARD = ["+86 138-1234-5678", "8613812345678", "008613812345678", "0086 13812345678", "(021) 6234 5678",
           "１３８１２３４５６７８", "138 1234 5678 转 12", "12345", "5", "", "  ", "无", "tel:13912345678", "86",
           "861381234567", "0086138123456789", None, float("nan"), pd.NA, 13812345678, 1.3812345678e10, "十三八"]


def _numbers(n: int = 3000) -> list:
    rng = random.Random(7)
    return ["".join(rng.choice("0123456789 +-()８６") for _ in range(rng.randint(0, 17))) for _ in range(n)]


def test_normalise_phones_equals_normalise_phone_per_value():
    values = AWKWARD + _numbers()
    assert P.normalise_phones(values) == [P.normalise_phone(v) for v in values]


def test_protect_column_gives_the_per_value_masks_digests_and_hashes():
    secret = PiiSecret(bytes(range(32)), "盐")
    texts = [v for v in AWKWARD if not isinstance(v, (int, float))]  # cells are text (factorize: 1 == 1.0)
    for kind, values in (("phone", texts + _numbers()), ("name", ["张三", " 欧阳 锋 ", "李", "", None, "Ann Lee"])):
        masked, hashed, digest = P._protect_column(pd.Series(values, dtype=object), kind, secret)
        if kind == "phone":
            norm = [P.normalise_phone(v) for v in values]
            assert masked.tolist() == [P.mask_phone(v) for v in values]
        else:
            norm = [P._WHITESPACE.sub("", "" if pd.isna(v) else str(v)) for v in values]
            assert masked.tolist() == [P.mask_name(v) for v in norm]
        assert digest.tolist() == [P.salted_digest(v, secret.salt) if v else "" for v in norm]
        assert hashed.tolist() == [P.hash_value(v, secret.key, secret.salt) for v in norm]


def test_the_column_prefilter_never_misses_a_mobile_number_mobile_in_finds():
    from mapping.ingest.tables import _may_hold_mobile

    rng = random.Random(11)
    alphabet = "0123456789" * 4 + "13813-+ \t\u3000\u00a0\x0b\x1c\u2028１３８٣浦东路号"
    cells = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20))) for _ in range(20000)]
    cells += ["13812345678", "138 1234 5678", "138\u30001234\u30005678", "+86 139-1234-5678", "回电13912345678"]
    hits = [c for c in cells if P.MOBILE_IN.search(c)]
    assert len(hits) > 20  # the random cells hold some numbers too
    for cell in hits:
        assert _may_hold_mobile(pd.Series([cell], dtype="str")), repr(cell)
    assert not _may_hold_mobile(pd.Series(["浦东13号楼", "金桥路13弄5号楼2单元", "1381234567"], dtype="str"))
