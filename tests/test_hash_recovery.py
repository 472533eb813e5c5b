"""An attacker with only the database (salt, masks, hashes) recovers no phone number; with the key, all.

Before keyed hashes, ``sha256(salt + value)`` with the salt in the same database and a mask
showing 7 of 11 digits let anyone holding a copy try the 10^4 numbers behind each mask.  A
real attack tries all 10^7 numbers matching ``*******5678``; this test tries a candidate set
that surely *contains* the true phones (the sample file's own numbers and mask-consistent
neighbours), so a recovery that is possible is found, and one that fails fails for want of the key.
"""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
from sqlalchemy import select

from mapping.bootstrap import SAMPLE_FILE, load_sample
from mapping.db.models import Setting, Visitor
from mapping.db.store import Store
from mapping.ingest.privacy import normalise_phone


def _attack(rows, candidates_by_last4, hash_of) -> int:
    """How many stored rows an attacker matches: a candidate with the mask's last 4 digits and the row's hash."""
    found = 0
    for masked, stored in rows:
        if any(hash_of(c) == stored for c in candidates_by_last4.get(masked[-4:], ())):
            found += 1
    return found


def test_database_alone_recovers_no_phone_but_the_key_does(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'sample.sqlite3'}")
    store.migrate()
    load_sample(store)
    with store.engine.connect() as conn:  # everything the attacker holds: the database
        salt = conn.execute(select(Setting.value).where(Setting.key == "pii_salt")).scalar_one()
        stored = conn.execute(select(Visitor.phone_masked, Visitor.phone_hash).where(Visitor.phone_hash != "")
                              .order_by(Visitor.id)).all()
    assert len(stored) > 1000
    sample = stored[::10]  # a few hundred rows
    assert all(m.startswith("*******") for m, _ in sample)

    true_phones = [p for p in pd.read_csv(SAMPLE_FILE, dtype=str, encoding="utf-8-sig")["手机"].map(normalise_phone)
                   if p]
    # mask-consistent neighbours: the same last 4 digits, other prefixes
    neighbours = [f"{prefix}{p[3:]}" for p in true_phones[:2000] for prefix in ("130", "186")]
    candidates: dict[str, set[str]] = {}
    for phone in [*true_phones, *neighbours]:
        candidates.setdefault(phone[-4:], set()).add(phone)

    def salted(value):  # the old scheme; all an attacker can compute without the key
        return hashlib.sha256((salt + "\x1f" + value).encode()).hexdigest()[:32]

    def salted_then_hmac_with_salt(value):  # guessing the salt is the key
        return hmac.new(salt.encode(), salted(value).encode(), hashlib.sha256).hexdigest()[:32]

    assert _attack(sample, candidates, salted) == 0
    assert _attack(sample, candidates, salted_then_hmac_with_salt) == 0

    key = store.pii_key()  # the key file, outside the database

    def keyed(value):
        return hmac.new(key, salted(value).encode(), hashlib.sha256).hexdigest()[:32]

    assert _attack(sample, candidates, keyed) == len(sample)  # the same search with the key finds every one
    store.engine.dispose()
