"""Keyed personal-data hashes and shorter masks: re-key what is stored, without the clear values.

Before, a phone or name hash was the salted digest ``sha256(salt + "\\x1f" + value)[:32]``
with the salt in the same database, and a phone mask kept 7 of 11 digits: the phones
could be recovered from the database alone.  Now a hash is ``hmac(key, digest)[:32]``
with a key outside the database (:mod:`mapping.ingest.keys`), so every stored hash is
re-keyed from the digest it holds:

* ``visitors.phone_hash``, ``name_hash``: ``hmac(key, old)[:32]``;
* ``visitor_key``: ``ph:<old>`` → ``ph:<hmac(key, old)[:32]>`` (the phone hash),
  ``row:<old>`` → ``row:<hmac(key, old)[:40]>`` (the row hash made from digests);
  ``id:`` keys stay;
* the same in ``visitor_versions`` (its key and the stored row in ``previous``), so an
  undo puts back re-keyed rows;
* masks: 138****5678 → *******5678, 张*丰 → 张**;
* ``row_hash`` (what an import diffs against, over the stored fields, hashes and masks
  included): recomputed from the new values when the stored one is what this recipe gives
  for the old values (otherwise left: that row then counts as changed once);

then the key's fingerprint is stored in ``app_settings``.  This is exactly what a fresh
import with the key gives, so re-importing a file afterwards recognises its visitors.
A database without visitors needs no key here (the fingerprint is stored on first use).

Batches of 5,000 rows (keyset over ``id``) and one executemany per batch: fine at a
million visitors on SQLite and PostgreSQL.

Revision ID: 0006
Revises: 0005
"""
import hashlib
import hmac
import json

import sqlalchemy as sa
from alembic import context, op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

CHUNK = 5000
_FIELDS = ("visitor_key", "phone_hash", "name_hash", "phone_masked", "name_masked")
# mapping.db.store.VISITOR_FIELDS as of this revision: what mapping.importer.prepare hashes into row_hash
_ROW_HASH_FIELDS = (
    "visitor_code", "visit_date", "product_line", "intention", "channel", "coord_system",
    "home_text", "home_lng", "home_lat", "work_text", "work_lng", "work_lat", "leisure_text", "leisure_lng",
    "leisure_lat", "deal", "deal_date", "deal_product_line", "deal_amount", "age_band", "industry", "income_band",
    "family", "purpose", "phone_masked", "phone_hash", "name_masked", "name_hash", "stage", "stage_date",
)
_TYPES = {"visit_date": sa.Date, "deal_date": sa.Date, "stage_date": sa.Date, "deal": sa.Boolean,
          **{c: sa.Float for c in ("home_lng", "home_lat", "work_lng", "work_lat", "leisure_lng", "leisure_lat",
                                   "deal_amount")}}
_VISITORS = sa.table("visitors", sa.column("id", sa.Integer), sa.column("visitor_key", sa.String),
                     sa.column("row_hash", sa.String),
                     *(sa.column(c, _TYPES.get(c, sa.String)) for c in _ROW_HASH_FIELDS))
_VERSIONS = sa.table("visitor_versions", sa.column("id", sa.Integer), sa.column("visitor_key", sa.String),
                     sa.column("previous", sa.Text))
_SETTINGS = sa.table("app_settings", sa.column("key", sa.String), sa.column("value", sa.Text))


def _rekey(digest: str, key: bytes, length: int = 32) -> str:
    # the same as mapping.ingest.privacy.rekey, kept here so this migration never changes with it
    if not digest:
        return ""
    return hmac.new(key, digest.encode("ascii"), hashlib.sha256).hexdigest()[:length]


def _new_key(visitor_key: str, key: bytes) -> str:
    if visitor_key.startswith("ph:"):
        return "ph:" + _rekey(visitor_key[3:], key)
    if visitor_key.startswith("row:"):
        return "row:" + _rekey(visitor_key[4:], key, 40)
    return visitor_key


def _remask_phone(masked: str) -> str:
    return masked if len(masked) < 7 else "*******" + masked[-4:]


def _remask_name(masked: str) -> str:
    return masked if len(masked) < 2 else masked[0] + "*" * (len(masked) - 1)


def _row_hash(row: dict) -> str:
    """mapping.importer.prepare's row_hash, from stored values (dates and numbers as str(), NULL as "")."""
    return hashlib.md5("\x1f".join("" if row.get(c) is None else str(row.get(c))
                                   for c in _ROW_HASH_FIELDS).encode()).hexdigest()


def _new_row(row: dict, key: bytes) -> dict:
    """The re-keyed and re-masked values of one visitor row (``_FIELDS`` and ``row_hash``)."""
    new = {"visitor_key": _new_key(row["visitor_key"] or "", key),
           "phone_hash": _rekey(row["phone_hash"] or "", key), "name_hash": _rekey(row["name_hash"] or "", key),
           "phone_masked": _remask_phone(row["phone_masked"] or ""),
           "name_masked": _remask_name(row["name_masked"] or "")}
    old_hash = row.get("row_hash")
    new["row_hash"] = _row_hash({**row, **new}) if old_hash and old_hash == _row_hash(row) else old_hash
    return new


def _key() -> bytes:
    get_key = context.config.attributes.get("pii_key")
    if get_key is None:  # not run through Store.migrate(): the environment's key
        from mapping.ingest.keys import pii_key
        return pii_key()
    return get_key()


def _batches(conn, table, columns):
    """The rows of ``table``, ``CHUNK`` at a time, in id order (keyset: safe while they are updated)."""
    last = 0
    while True:
        rows = conn.execute(sa.select(*columns).where(table.c.id > last).order_by(table.c.id).limit(CHUNK)
                            ).mappings().all()
        if not rows:
            return
        yield rows
        last = rows[-1]["id"]


def _rekey_visitors(conn, key: bytes) -> None:
    changing = (*_FIELDS, "row_hash")
    statement = sa.update(_VISITORS).where(_VISITORS.c.id == sa.bindparam("b_id")).values(
        {name: sa.bindparam(f"b_{name}") for name in changing})
    for rows in _batches(conn, _VISITORS, list(_VISITORS.c)):
        params = []
        for row in rows:
            new = _new_row(row, key)
            if any(new[f] != row[f] for f in changing):
                params.append({"b_id": row["id"], **{f"b_{f}": new[f] for f in changing}})
        if params:
            conn.execute(statement, params)


def _rekey_versions(conn, key: bytes) -> None:
    statement = sa.update(_VERSIONS).where(_VERSIONS.c.id == sa.bindparam("b_id")).values(
        visitor_key=sa.bindparam("b_key"), previous=sa.bindparam("b_previous"))
    for rows in _batches(conn, _VERSIONS, [_VERSIONS.c.id, _VERSIONS.c.visitor_key, _VERSIONS.c.previous]):
        params = []
        for row in rows:
            previous = row["previous"]
            if previous is not None:
                state = json.loads(previous)
                visitor = state.get("visitor") or {}
                visitor.update(_new_row({f: visitor.get(f) for f in ("visitor_key", "row_hash", *_ROW_HASH_FIELDS)},
                                        key))
                previous = json.dumps(state, ensure_ascii=False, separators=(",", ":"))
            new_key = _new_key(row["visitor_key"] or "", key)
            if new_key != row["visitor_key"] or previous != row["previous"]:
                params.append({"b_id": row["id"], "b_key": new_key, "b_previous": previous})
        if params:
            conn.execute(statement, params)


def upgrade() -> None:
    conn = op.get_bind()
    has_rows = any(conn.execute(sa.select(table.c.id).limit(1)).first() is not None
                   for table in (_VISITORS, _VERSIONS))
    if not has_rows:
        return
    from mapping.ingest.keys import FINGERPRINT_SETTING, check_fingerprint, fingerprint

    key = _key()
    stored = conn.execute(sa.select(_SETTINGS.c.value).where(_SETTINGS.c.key == FINGERPRINT_SETTING)).scalar()
    check_fingerprint(stored, key)
    _rekey_visitors(conn, key)
    _rekey_versions(conn, key)
    if stored is None:
        conn.execute(sa.insert(_SETTINGS).values(key=FINGERPRINT_SETTING, value=fingerprint(key)))


def downgrade() -> None:
    raise NotImplementedError("0006 re-keyed the personal-data hashes with a one-way HMAC: it cannot be undone; "
                              "restore a backup taken before the upgrade instead")
