"""A process-wide cache of derived results, bounded by bytes: one computation per data version.

Many people open the same page of the same project at once (a Monday meeting): grading runs,
graded tables and rendered maps are the same for all of them as long as the project's data
version (:meth:`mapping.db.store.Store.data_version`) and the choices are the same.  A
:class:`SharedCache` keeps them once per process, shared by every session:

- **keys** carry the data version, so an import, an undo, a settings or alias change makes
  new keys; entries of old versions are never read again and age out (least recently used
  first) — there is no invalidation step to forget;
- **bounded by bytes**: each entry's size is estimated when it is stored (:func:`size_of`)
  and the least recently used entries are evicted while the total is over the budget
  (env ``TUOKE_CACHE_MB``, default 512); an entry larger than the whole budget is returned
  but not kept;
- **one computation per key**: sessions asking for a key that is being computed wait for
  that computation instead of starting their own (a lock per key), so N sessions opening
  the page together cost one computation and N reads.

Values are shared: callers must not modify them (return copies of small frames from the
helpers that hand them out, or treat them as read-only).  Nothing here imports Streamlit.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_MB = 512


def budget_from_env() -> int:
    """Bytes allowed by ``TUOKE_CACHE_MB`` (default 512; 0 turns the cache off)."""
    raw = os.environ.get("TUOKE_CACHE_MB", "").strip()
    try:
        mb = float(raw) if raw else DEFAULT_MB
    except ValueError:
        mb = DEFAULT_MB
    return max(0, int(mb * 1024 * 1024))


def size_of(value: Any) -> int:
    """Estimated bytes held by ``value`` (frames by their memory usage, strings by length,
    containers by their items; anything else by its pickled size)."""
    if value is None or isinstance(value, (bool, int, float)):
        return 16
    if isinstance(value, (str, bytes, bytearray)):
        return len(value) + 49
    if isinstance(value, pd.DataFrame | pd.Series):
        return int(value.memory_usage(deep=True).sum() if isinstance(value, pd.DataFrame)
                   else value.memory_usage(deep=True))
    if isinstance(value, np.ndarray):
        return int(value.nbytes) + 112
    if isinstance(value, dict):
        return 64 + sum(size_of(k) + size_of(v) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return 56 + sum(size_of(v) for v in value)
    try:
        return len(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # noqa: BLE001 - an unpicklable value still needs a size
        return sys.getsizeof(value)


class SharedCache:
    """A thread-safe LRU of computed values bounded by ``max_bytes`` (see the module docstring)."""

    def __init__(self, max_bytes: int | None = None):
        self.max_bytes = budget_from_env() if max_bytes is None else int(max_bytes)
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}
        self.hits = self.misses = self.evictions = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    @property
    def bytes(self) -> int:
        return self._bytes

    def keys(self) -> list[Hashable]:
        """Keys from least to most recently used."""
        with self._lock:
            return list(self._entries)

    def get(self, key: Hashable, compute: Callable[[], Any], size: Callable[[Any], int] = size_of) -> Any:
        """The value of ``key``, computed by ``compute()`` (once, however many threads ask) when absent."""
        found, value = self._lookup(key)
        if found:
            return value
        with self._lock:
            gate = self._computing.setdefault(key, threading.Lock())
        with gate:  # one computation per key; the others wait here, then read it
            found, value = self._lookup(key)
            if found:
                return value
            try:
                value = compute()
                self.put(key, value, size(value))
            finally:
                with self._lock:
                    self._computing.pop(key, None)
            return value

    def _lookup(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return False, None
            self._entries.move_to_end(key)
            self.hits += 1
            return True, entry[0]

    def put(self, key: Hashable, value: Any, nbytes: int | None = None) -> None:
        """Store ``value`` (``nbytes`` estimated when not given), evicting the least recently used."""
        nbytes = size_of(value) if nbytes is None else int(nbytes)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            if nbytes > self.max_bytes:  # larger than the whole budget: used once, not kept
                return
            self._entries[key] = (value, nbytes)
            self._bytes += nbytes
            while self._bytes > self.max_bytes and self._entries:
                _key, (_value, freed) = self._entries.popitem(last=False)
                self._bytes -= freed
                self.evictions += 1

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            self.hits = self.misses = self.evictions = 0


_SHARED: SharedCache | None = None
_SHARED_LOCK = threading.Lock()


def shared() -> SharedCache:
    """The process's cache (made on first use with the budget of ``TUOKE_CACHE_MB``)."""
    global _SHARED
    if _SHARED is None:
        with _SHARED_LOCK:
            if _SHARED is None:
                _SHARED = SharedCache()
    return _SHARED
