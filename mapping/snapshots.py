"""Snapshots on disk of a project's compact columns, one per data version: a restart reads a file.

The first page of a project after a server start reads every location of it from the database
(:meth:`mapping.db.store.Store.fact_columns`, :meth:`~mapping.db.store.Store.location_groups`):
≈ 6–8 s at a million visitors on SQLite, most of it the database turning 3M rows into text.  The
same columns, once read, are written here as an Arrow file (lz4) and read back by the next
process that needs them — after a restart, by another app instance on the same disk — in a
fraction of a second.  The first reader after an import still pays the read (the file is written
in a background thread beside the page's own work: :func:`wait` waits for it).

A snapshot is found by a **key** that changes with the data, so a stale one is never read:

- the database's own token (written once into ``app_settings``: another database, or one
  rebuilt at the same path, never reads this one's files),
- the project and its data version (:meth:`~mapping.db.store.Store.data_version`: imports,
  undo, settings, the city, aliases),
- the times of the project's imports (visitors only come by imports: a project or an import id
  used again after a deletion gives another key),
- a hash of the code that reads the frames (``mapping/db/store.py`` and ``models.py``): another
  release of the app never reads files written by this one.

Files live next to a SQLite database (``<file>.snapshots/``) or under ``var/snapshots`` (set
``TUOKE_SNAPSHOT_DIR`` to choose, ``off`` to turn snapshots off); writing one removes the
project's older ones of that name, and the directory is kept under ``TUOKE_SNAPSHOT_MB``
(default 4096) by removing the least recently written files.  A file that cannot be read or
written is skipped with a log line: the columns then come from the database, as without snapshots.

>>> import pandas as pd
>>> frame = pd.DataFrame({"a": [1, 2], "b": pd.Categorical(["x", "y"])})
>>> _decode(_encode(frame)).equals(frame)
True
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc
from sqlalchemy.exc import SQLAlchemyError

from mapping import paths

log = logging.getLogger("tuoke")

TOKEN_SETTING = "snapshot_token"  # app_settings key: this database's identity for snapshot files
DEFAULT_MB = 4096
SUFFIX = ".arrow"
_PENDING: list[threading.Thread] = []  # snapshots being written
_PENDING_LOCK = threading.Lock()


def frame(store, project_id: int, version: str, name: str, build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """``build()`` (a frame of the project's data at ``version``), read from its snapshot when there is
    one for the current data, else built and written for the next process.

    ``name`` says which frame (``"fact_columns"``, ``"location_groups"``).  The frame comes back with
    the same columns and dtypes (categoricals included)."""
    folder = directory(store)
    if folder is None:
        return build()
    try:
        path = folder / f"{_prefix(store, project_id, name)}{_digest(store, project_id, version)}{SUFFIX}"
    except SQLAlchemyError as exc:  # e.g. a read-only database that cannot take the token
        log.warning("no snapshot key for project %s (%s): reading the database", project_id, exc)
        return build()
    if path.exists():
        try:
            return _decode(path.read_bytes())
        except (OSError, pa.ArrowException, ValueError) as exc:
            log.warning("snapshot %s unreadable (%s): reading the database instead", path.name, exc)
    out = build()
    # written beside the page's own work (Arrow encodes and compresses without the GIL): the first
    # reader after an import does not wait for the file
    writer = threading.Thread(target=_write, args=(folder, path, _prefix(store, project_id, name), out),
                              name=f"snapshot-{name}")  # not a daemon: an exiting process finishes the file
    with _PENDING_LOCK:
        _PENDING.append(writer)
    writer.start()
    return out


PREPARED = ("fact_columns", "location_groups", "segment_columns")  # what the map pages read first


def prepare(store, project_id: int) -> None:
    """Write the snapshots a project's first map page reads (:data:`PREPARED`, read from the database now),
    and wait until they are on disk: after an import made without the page (``scripts/import_visitors.py``),
    so the first view, on any instance sharing the directory, reads files instead of every location."""
    version = store.data_version(project_id)
    for name in PREPARED:
        frame(store, project_id, version, name, lambda name=name: getattr(store, name)(project_id))
    wait()


def wait() -> None:
    """Until the snapshots being written now are on disk (tests; a script about to exit)."""
    with _PENDING_LOCK:
        pending = list(_PENDING)
    for writer in pending:
        writer.join()
    with _PENDING_LOCK:
        _PENDING[:] = [w for w in _PENDING if w.is_alive()]


def directory(store) -> Path | None:
    """Where ``store``'s snapshots live (None: off, or an in-memory database)."""
    chosen = os.environ.get("TUOKE_SNAPSHOT_DIR", "").strip()
    if chosen.lower() == "off":
        return None
    if chosen:
        return Path(chosen)
    url = store.engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:" or url.database.startswith("file::memory:"):
            return None
        db = Path(url.database)
        return db.with_name(db.name + ".snapshots")
    return paths.VAR / "snapshots"


def _prefix(store, project_id: int, name: str) -> str:
    return f"{_token(store)}-p{int(project_id)}-{name}-"


def _token(store) -> str:
    token = store.__dict__.get("_tuoke_snapshot_token")
    if token is None:
        token = store.setting(TOKEN_SETTING)
        if token is None:
            store.claim_setting(TOKEN_SETTING, uuid.uuid4().hex[:16])  # two processes at once: one wins
            token = store.setting(TOKEN_SETTING)
        store.__dict__["_tuoke_snapshot_token"] = token
    return token


def _digest(store, project_id: int, version: str) -> str:
    """A short hash of everything the key holds besides the token (see the module doc)."""
    imports = store.imports(project_id)
    times = "|".join(f"{i}@{t}" for i, t in zip(imports["id"], imports["imported_at"].astype(str)))
    return hashlib.sha1(f"{version}|{times}|{_code_version()}".encode()).hexdigest()[:20]


@functools.cache
def _code_version() -> str:
    """A hash of the code that makes the frames (the store and its tables): a new release that reads
    other columns never reads an older release's files."""
    from mapping.db import models, store

    return hashlib.sha1(b"".join(Path(m.__file__).read_bytes() for m in (store, models))).hexdigest()[:12]


def _encode(data: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(data, preserve_index=False)
    sink = pa.BufferOutputStream()
    with ipc.new_file(sink, table.schema, options=ipc.IpcWriteOptions(compression="lz4")) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _decode(data: bytes) -> pd.DataFrame:
    return ipc.open_file(pa.py_buffer(data)).read_all().to_pandas()


def _write(folder: Path, path: Path, prefix: str, data: pd.DataFrame) -> None:
    """Write atomically (a reader sees the whole file or none), then drop the project's older files
    of this name and keep the folder under its budget."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".writing-")
        with os.fdopen(fd, "wb") as out:
            out.write(_encode(data))
        os.replace(tmp, path)
        for old in folder.glob(f"{prefix}*{SUFFIX}"):
            if old != path:
                old.unlink(missing_ok=True)
        _prune(folder, keep=path)
    except (OSError, pa.ArrowException, ValueError, TypeError) as exc:
        log.warning("snapshot %s not written (%s)", path.name, exc)
        if "tmp" in locals():
            Path(tmp).unlink(missing_ok=True)


def _prune(folder: Path, keep: Path) -> None:
    raw = os.environ.get("TUOKE_SNAPSHOT_MB", "").strip()
    try:
        budget = float(raw) * 1024 * 1024 if raw else DEFAULT_MB * 1024 * 1024
    except ValueError:
        budget = DEFAULT_MB * 1024 * 1024
    for left in folder.glob(".writing-*"):  # a writer stopped by the process's end
        if left.stat().st_mtime < time.time() - 3600:
            left.unlink(missing_ok=True)
    files = sorted(folder.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
    total = 0
    for file in files:
        total += file.stat().st_size
        if total > budget and file != keep:
            file.unlink(missing_ok=True)
