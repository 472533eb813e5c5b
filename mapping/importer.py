"""The import pipeline: validated records → diff against the stored rows → resolve what is new → store.

The flow, one function a step::

    records = prepare(result.records)                  # row hashes
    new, changed, unchanged = diff(records, store.stored_hashes(project_id))
    for each chunk of new + changed (CHUNK_ROWS):      # only rows not already stored
        locations = resolve(chunk, city, …)
    store.write_import_chunks(project_id, batch, chunks)   # one transaction, bulk writes

Re-importing the same file writes nothing but an import row; a changed row
updates its visitor (keyed by 客户编号, else by the phone hash).  Resolution
works on unique strings, cached in the database per gazetteer version, and uses
the online geocoder passed in (or none).

Every import keeps the version of each visitor it inserts or updates, so
:func:`undo_import` puts the project back exactly as it was before an import,
together with the later imports that built on it (:func:`undo_plan` says which,
before anything is done).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.exc import SQLAlchemyError

from mapping import schema as S
from mapping.db.store import TRAILING_FIELDS, VISITOR_FIELDS, Store
from mapping.ingest.tables import IngestResult, duplicate_reason
from mapping.place import geocode as GC
from mapping.place.gazetteer import version as gazetteer_version
from mapping.place.resolve import GEOCODER_ERROR, resolve_records

Progress = Callable[[float, str], None]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportSummary:
    """What one import did, for the page to say."""

    import_id: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    geocoder_error: str = ""

    def message(self) -> str:
        text = (f"导入完成：新增 {self.inserted} 位客户，更新 {self.updated} 位，"
                f"未变化 {self.unchanged} 位，拒绝 {self.rejected} 行。")
        if self.geocoder_error:
            text += f" 在线地理编码未完成（{self.geocoder_error}），相关地名留在「位置复核」。"
        return text


@dataclass(frozen=True)
class UndoPlan:
    """What undoing an import would do, for the page to say before doing it.

    Examples
    --------
    >>> plan = UndoPlan(1, (2, 1), ("「b.csv」", "「a.csv」"), removed=6, restored=0)
    >>> plan.dependents, plan.can_undo
    ((2,), True)
    >>> print(plan.message())
    将撤销「a.csv」这次导入。之后的 1 次导入改动过同一批客户，必须一起撤销（从新到旧）：「b.csv」。撤销后将删除 6 位客户，项目回到这次导入之前的样子。
    """

    import_id: int
    imports: tuple[int, ...]  # newest first, this one last
    labels: tuple[str, ...]  # 「file」（time） of each, same order
    removed: int
    restored: int
    refusal: str = ""

    @property
    def dependents(self) -> tuple[int, ...]:
        """The later imports that built on this one and are undone with it."""
        return self.imports[:-1]

    @property
    def can_undo(self) -> bool:
        return not self.refusal

    def message(self) -> str:
        if self.refusal:
            return self.refusal
        text = f"将撤销{self.labels[-1]}这次导入。"
        if self.dependents:
            text += (f"之后的 {len(self.dependents)} 次导入改动过同一批客户，必须一起撤销（从新到旧）："
                     f"{'、'.join(self.labels[:-1])}。")
        if not (self.removed or self.restored):
            return text + "它没有新增或更新客户，只删除导入记录。"
        return text + "撤销后" + _changes(self.removed, self.restored, "将") + "，项目回到这次导入之前的样子。"


@dataclass(frozen=True)
class UndoSummary:
    """What undoing an import did.

    Examples
    --------
    >>> UndoSummary(imports=(2, 1), removed=6, restored=0).message()
    '已撤销 2 次导入，删除 6 位客户。'
    >>> UndoSummary(imports=(2,), removed=2, restored=3).message()
    '已撤销 1 次导入，删除 2 位客户，把 3 位客户恢复到导入前的样子。'
    """

    imports: tuple[int, ...]
    removed: int
    restored: int

    def message(self) -> str:
        text = f"已撤销 {len(self.imports)} 次导入"
        if self.removed or self.restored:
            return f"{text}，{_changes(self.removed, self.restored)}。"
        return f"{text}（没有客户被改动）。"


def _changes(removed: int, restored: int, verb: str = "") -> str:
    parts = [f"删除 {removed} 位客户"] if removed else []
    parts += [f"把 {restored} 位客户恢复到导入前的样子"] if restored else []
    return verb + "，".join(parts)


class PlaceCache:
    """The resolver's cache of unique strings (:class:`mapping.place.resolve.ResultCache`), kept in the
    database and tied to the gazetteer version, so a new gazetteer resolves every string afresh.

    With ``defer``, results are kept in memory (and found there by later chunks) until :meth:`flush`:
    an import resolves inside its write transaction, and on SQLite a second connection could not
    write the cache until that transaction ends."""

    def __init__(self, store: Store, version: str | None = None, defer: bool = False):
        self.store, self.version = store, version or gazetteer_version()
        self.defer = defer
        self.pending: dict[str, dict[str, dict]] = {}

    def get_results(self, city: str, texts: list[str]) -> dict[str, dict]:
        pending = self.pending.get(city, {})
        found = {t: pending[t] for t in texts if t in pending}
        rest = [t for t in texts if t not in found]
        if rest:
            found.update(self.store.cached_places(city, self.version, rest))
        return found

    def put_results(self, city: str, results: dict[str, dict]) -> None:
        if self.defer:
            self.pending.setdefault(city, {}).update(results)
        else:
            self.store.put_places(city, self.version, results)

    def flush(self) -> None:
        """Write the deferred results (after the import's transaction)."""
        try:
            for city, results in self.pending.items():
                self.store.put_places_bulk(city, self.version, results)
        except SQLAlchemyError as exc:  # the import is committed; a cache is only a cache
            log.warning("could not save %d resolved strings to the cache: %s",
                        sum(map(len, self.pending.values())), exc)
        self.pending.clear()


CHUNK_ROWS = 50_000  # visitors resolved and written at a time: bounds the memory an import needs


class _Progress:
    """Progress in visitors: ``progress(fraction, message)`` with "n / total" and, once measurable,
    the time left (from the rate so far)."""

    def __init__(self, progress: Progress, total: int, start: float = 0.05, end: float = 0.98):
        self.progress, self.total, self.start, self.end = progress, total, start, end
        self.t0 = time.perf_counter()

    def __call__(self, done: int) -> None:
        share = done / self.total if self.total else 1.0
        text = f"解析并写入客户 {done:,} / {self.total:,}"
        elapsed = time.perf_counter() - self.t0
        if 0 < done < self.total and elapsed > 0:
            text += f"，约剩 {_duration(elapsed / done * (self.total - done))}"
        self.progress(self.start + (self.end - self.start) * share, text + "…")


def _duration(seconds: float) -> str:
    """
    >>> _duration(4.2), _duration(75), _duration(3600)
    ('5 秒', '1 分 15 秒', '60 分 0 秒')
    """
    seconds = max(1, int(seconds + 0.999))
    return f"{seconds} 秒" if seconds < 60 else f"{seconds // 60} 分 {seconds % 60} 秒"


def import_records(store: Store, project_id: int, result: IngestResult, filename: str, file_sha256: str,
                   geocoder: GC.Geocoder | None = None, progress: Progress | None = None,
                   chunk_rows: int | None = None, created_by: str = "") -> ImportSummary:
    """Import the accepted and fixed rows of ``result`` into a project, atomically.

    Only new and changed visitors are resolved; ``geocoder`` (e.g.
    :func:`mapping.place.geocode.geocoder_from_env`) is asked last for strings
    the offline chain could not place, and its failure is reported, not raised.

    The visitors to write are resolved and written ``chunk_rows`` (default
    :data:`CHUNK_ROWS`) at a time, all in one transaction
    (:meth:`Store.write_import_chunks`), so memory stays bounded and a failure
    leaves nothing behind.  ``progress(fraction, message)`` is called before and
    after each chunk; the message counts visitors and says the time left.
    ``created_by`` (the signed-in user's name) is kept with the import (操作人).
    """
    progress = progress or (lambda _f, _m: None)
    size = max(1, int(chunk_rows or CHUNK_ROWS))
    city = store.project(project_id).city_adcode
    records = prepare(result.records)
    is_new, changed = diff(records, store.stored_hashes(project_id))
    todo_mask = (is_new | changed).to_numpy()
    todo = records if todo_mask.all() else records[todo_mask].reset_index(drop=True)
    todo_new = is_new.to_numpy()[todo_mask]
    del records
    counts = result.counts
    inserted, updated = int(todo_new.sum()), len(todo) - int(todo_new.sum())
    unchanged = int(len(is_new) - len(todo))
    batch = dict(filename=filename, file_sha256=file_sha256, rows_total=int(len(result.row_status)),
                 accepted=counts["accepted"], fixed=counts["fixed"], rejected=counts["rejected"], unchanged=unchanged,
                 created_by=str(created_by or "")[:100])  # the signed-in user who imported
    aliases = store.aliases(city)
    cache = PlaceCache(store, defer=True)
    tick = _Progress(progress, len(todo))
    errors: list[str] = []

    def resolved():
        for start in range(0, len(todo), size):
            part = todo.iloc[start:start + size].reset_index(drop=True)
            fresh = todo_new[start:start + size]
            yield part[fresh], part[~fresh], _locations_of(part, city, aliases, cache, geocoder, errors)

    def chunks():
        tick(0)
        done = 0
        # PostgreSQL writes in its own process: the next chunk is resolved while it writes this one
        ahead = _one_ahead if store.dialect == "postgresql" else iter
        for new, changed, locations in ahead(resolved()):
            yield new, changed, locations
            done += len(new) + len(changed)
            tick(done)

    import_id = store.write_import_chunks(project_id, batch, chunks())
    cache.flush()
    progress(1.0, "完成")
    return ImportSummary(import_id, inserted, updated, unchanged, counts["rejected"], errors[0] if errors else "")


class _Seen:
    """The visitors of the earlier batches of one file (the duplicate check across batches): per visitor key,
    where its last row so far is (file position and row number), the text a duplicate line would quote for
    that row, and whether this import wrote the visitor (inserted, updated) or found it unchanged.  Arrow and
    numpy arrays, about 100 bytes a visitor, instead of dicts of Python strings."""

    def __init__(self) -> None:
        self.keys = pa.array([], pa.string())
        self.quoted = pa.array([], pa.string())
        self.quoted_now: dict[int, str] = {}  # a visitor seen again: its latest row's text
        self.position = np.zeros(0, np.int64)
        self.row = np.zeros(0, np.int64)
        self.written = np.zeros(0, bool)

    def find(self, keys: pa.Array) -> np.ndarray:
        """Index of each key among the earlier batches' keys, -1 if none."""
        if not len(self.keys) or not len(keys):
            return np.full(len(keys), -1, np.int64)
        found = pc.index_in(keys, value_set=self.keys)
        return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)

    def add(self, keys: pa.Array, quoted: pa.Array, position: np.ndarray, row: np.ndarray,
            written: np.ndarray) -> None:
        self.keys = pa.concat_arrays([self.keys, keys])
        self.quoted = pa.concat_arrays([self.quoted, quoted])
        self.position = np.concatenate([self.position, position])
        self.row = np.concatenate([self.row, row])
        self.written = np.concatenate([self.written, written])

    def quoted_at(self, k: int) -> str:
        return self.quoted_now.get(k) or self.quoted[k].as_py()


class _Duplicates:
    """Rows another row of the same visitor supersedes (the later one wins, as :func:`validate` says), found
    batch by batch; their report lines and statuses are made at the end, when each visitor's last row is known."""

    def __init__(self) -> None:
        self.superseded: list[tuple[int, int, str, str]] = []  # (position, row, key, quoted text)

    def lines(self, header_of, last_row: dict[str, int]) -> list[tuple]:
        out = []
        for _position, row, key, value in self.superseded:
            canonical, reason = duplicate_reason(key, last_row[key])
            out.append((row, header_of(canonical), value, "客户重复", "拒绝", reason))
        return out


@dataclass
class BatchImport:
    """What :func:`import_batches` did: the summary, and the whole file's validation without its records
    (report, statuses, unknown values, empty and 合计 rows), as :func:`validate` would have given it."""

    summary: ImportSummary
    result: IngestResult


def import_batches(store: Store, project_id: int, batches, mapping: dict[str, str], filename: str,
                   file_sha256: str, *, geocoder: GC.Geocoder | None = None, progress: Progress | None = None,
                   created_by: str = "", **options) -> BatchImport:
    """Validate and import a file batch by batch (:func:`mapping.ingest.stream.open_batches`), in one transaction.

    The same import as :func:`validate` on the whole file followed by :func:`import_records`, for a file too
    large to hold validated in memory (a group's export of a million visitors): each batch is validated,
    compared with the stored visitors, resolved and written before the next is read, and on PostgreSQL the
    next batch is validated and resolved while the database writes this one.  A visitor whose row comes
    again in a later batch is overwritten by it (the last row wins, as in :func:`validate`); the earlier
    row is reported as 客户重复 and counted rejected.  ``options`` go to :func:`validate` (``default_crs``,
    ``product_lines``, ``value_maps``, ``deal_stage``, ``derive_hometown``).  Unknown category values keep
    their provisional values (the page asks; a command line cannot) and are listed in ``result.unknown``.
    """
    from mapping.ingest import tables as T
    from mapping.ingest import values as V
    from mapping.ingest.privacy import pii_columns

    progress = progress or (lambda _f, _m: None)
    city = store.project(project_id).city_adcode
    secret = store.pii_secret()
    stored_keys, stored_hashes = store.stored_hash_arrays(project_id)
    aliases = store.aliases(city)
    cache = PlaceCache(store, defer=True)
    unknowns = V.Unknowns()
    seen, dups = _Seen(), _Duplicates()
    statuses: list[pd.Series] = []
    reports: list[pd.DataFrame] = []
    empty_rows: list[int] = []
    total_rows: list[int] = []
    masked_headers: dict[str, object] = {}
    counts = {"unchanged": 0}
    errors: list[str] = []
    header_row = batches.header_row
    tick = _Progress(progress, batches.total)

    def header_of(canonical: str) -> str:
        return mapping.get(canonical) or S.COLUMN_LABELS.get(canonical, canonical)

    def quoted(records) -> np.ndarray:
        """What a duplicate line quotes for each row: its 客户编号, else its masked phone (as validate)."""
        by_id = records["visitor_key"].str.startswith("id:").to_numpy()
        return np.where(by_id, records[S.VISITOR_ID].fillna("").astype(str).to_numpy(dtype=object),
                        records["phone_masked"].fillna("").astype(str).to_numpy(dtype=object))

    def one(table):
        result = T.validate(table, mapping, secret=secret, duplicates=False, unknowns=unknowns, **options)
        status = result.row_status
        statuses.append(pd.Series(status.to_numpy(dtype=object), index=status.index.to_numpy() + table.first,
                                  dtype=object))
        reports.append(result.report)
        empty_rows.extend(result.empty_rows)
        total_rows.extend(result.total_rows)
        for canonical in (S.VISITOR_ID, S.PHONE):  # the columns a duplicate line quotes, masked as validate does
            header = mapping.get(canonical)
            if header and header in table.frame.columns and header not in masked_headers:
                masked_headers.update(pii_columns(table.frame[[header]], mapping))
        records = result.records
        positions = status.index.to_numpy()[(status != T.REJECTED).to_numpy()] + table.first
        rows = records["row_number"].to_numpy(np.int64)
        inner = records["visitor_key"].duplicated(keep="last").to_numpy()
        if inner.any():  # superseded inside this batch
            texts = quoted(records)
            for i in np.flatnonzero(inner):
                dups.superseded.append((int(positions[i]), int(rows[i]), records["visitor_key"].iat[i], texts[i]))
            records = records[~inner].reset_index(drop=True)
            positions, rows = positions[~inner], rows[~inner]
        prepared = prepare(records)
        keys = pa.array(prepared["visitor_key"].to_numpy(dtype=object), pa.string())
        texts = quoted(prepared)
        at = seen.find(keys)
        hit = at >= 0
        known = stored_hashes.take(pc.index_in(keys, value_set=stored_keys)) if len(stored_keys) else (
            pa.nulls(len(keys), pa.string()))
        is_new = known.is_null().to_numpy(zero_copy_only=False)
        same = pc.equal(known, pa.array(prepared["row_hash"].to_numpy(dtype=object), pa.string()))
        changed = ~is_new & ~pc.fill_null(same, False).to_numpy(zero_copy_only=False)
        rewrite = np.zeros(len(prepared), bool)
        back = np.zeros(len(prepared), bool)
        for j in np.flatnonzero(hit):  # a visitor of an earlier batch: its row there is superseded by this one
            k = int(at[j])
            dups.superseded.append((int(seen.position[k]), int(seen.row[k]), prepared["visitor_key"].iat[j],
                                    seen.quoted_at(k)))
            if seen.written[k]:
                rewrite[j] = True  # this import wrote it: overwrite, as one visitor
                back[j] = not is_new[j] and not changed[j]  # ...unless this row is the stored one: put it back
            else:
                counts["unchanged"] -= 1  # counted unchanged there; counted again below at this row
            seen.position[k], seen.row[k] = positions[j], rows[j]
            seen.quoted_now[k] = texts[j]
        new = is_new & ~rewrite
        update_ = changed & ~rewrite
        todo = new | update_ | rewrite
        counts["unchanged"] += int((~todo).sum()) + int(back.sum())
        seen.written[at[hit]] = (todo & ~back)[hit]
        fresh = ~hit
        seen.add(keys.filter(pa.array(fresh)), pa.array(texts[fresh].tolist(), pa.string()), positions[fresh],
                 rows[fresh], todo[fresh])
        part = prepared[todo].reset_index(drop=True)
        part["back"] = back[todo]
        kinds = np.select([new[todo], update_[todo]], [0, 1], 2)
        locations = _locations_of(part, city, aliases, cache, geocoder, errors)
        return len(table.frame), (part[kinds == 0], part[kinds == 1], locations, part[kinds == 2])

    def validated():
        for table in batches:
            yield one(table)

    def chunks():
        tick(0)
        done = 0
        ahead = _one_ahead if store.dialect == "postgresql" else iter
        for size, chunk in ahead(validated()):
            yield chunk
            done += size
            tick(min(done, batches.total))

    final: dict = {}

    def finish() -> dict:
        status = pd.concat(statuses).astype(object) if statuses else pd.Series([], dtype=object)
        if dups.superseded:
            status.loc[[p for p, *_ in dups.superseded]] = T.REJECTED
            repeated = list(dict.fromkeys(key for _p, _r, key, _t in dups.superseded))
            final["last_row"] = dict(zip(repeated, seen.row[seen.find(pa.array(repeated, pa.string()))].tolist()))
        final["status"] = status
        tally = status.value_counts()
        final["counts"] = {s: int(tally.get(s, 0)) for s in (T.ACCEPTED, T.FIXED, T.REJECTED)}
        return {"rows_total": int(len(status)), "unchanged": counts["unchanged"], **final["counts"]}

    batch = dict(filename=filename, file_sha256=file_sha256, rows_total=0, accepted=0, fixed=0, rejected=0,
                 unchanged=0, created_by=str(created_by or "")[:100])
    import_id = store.write_import_chunks(project_id, batch, chunks(), finish=finish)
    cache.flush()
    report = _merged_report(reports, dups.lines(header_of, final.get("last_row", {})), header_row, masked_headers)
    result = T.IngestResult(records=pd.DataFrame(), report=report, row_status=final["status"], empty_rows=empty_rows,
                            unknown=unknowns.frame(), total_rows=total_rows)
    row = store.imports(project_id).set_index("id").loc[import_id]
    progress(1.0, "完成")
    summary = ImportSummary(import_id, int(row["inserted"]), int(row["updated"]), counts["unchanged"],
                            final["counts"][T.REJECTED], errors[0] if errors else "")
    return BatchImport(summary, result)


def _merged_report(reports: list[pd.DataFrame], duplicate_lines: list[tuple], header_row: int,
                   masked_headers: dict) -> pd.DataFrame:
    """The batches' reports as one: a note about a whole column once (each batch makes it), the duplicate
    lines added, sorted as :func:`validate` sorts."""
    from mapping.ingest.report import REPORT_COLUMNS

    lines = []
    for number, header, value, kind, action, reason in duplicate_lines:
        masker = masked_headers.get(header)
        lines.append((number, header, masker(value) if masker else value, kind, action, reason))
    parts = [r for r in reports if len(r)] + ([pd.DataFrame(lines, columns=REPORT_COLUMNS)] if lines else [])
    if not parts:
        return pd.DataFrame(columns=REPORT_COLUMNS)
    report = pd.concat(parts, ignore_index=True)
    notes = report["行号"] == header_row
    if notes.any():
        report = pd.concat([report[notes].drop_duplicates(), report[~notes]], ignore_index=True)
    return report.sort_values(["行号", "列"], kind="stable").reset_index(drop=True)


def _locations_of(part: pd.DataFrame, city: str, aliases: dict, cache: PlaceCache, geocoder, errors: list[str]):
    """The resolved locations of the visitors ``part``, keyed by ``visitor_key``.  The online ``geocoder`` is
    asked until it first fails; its error is kept in ``errors`` (reported, not raised)."""
    if not len(part):
        return pd.DataFrame({"visitor_key": pd.Series([], dtype=object)})
    locations = resolve_records(part, city, aliases=aliases, cache=cache, geocoder=None if errors else geocoder)
    if locations.attrs.get(GEOCODER_ERROR) and not errors:
        errors.append(locations.attrs[GEOCODER_ERROR])
    locations["visitor_key"] = part["visitor_key"].to_numpy()[locations["row"].to_numpy()]
    return locations


def _one_ahead(items: Iterator) -> Iterator:
    """The items of ``items``, each produced in a worker thread while the caller works on the previous
    one (at most one ahead).  An error in the worker is raised here; closing this generator early
    waits for the item being produced and drops it."""
    end = object()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-resolve") as pool:
        pending = pool.submit(next, items, end)
        while True:
            item = pending.result()
            if item is end:
                return
            pending = pool.submit(next, items, end)
            yield item


def relocate(store: Store, project_id: int, progress: Progress | None = None,
             chunk_rows: int | None = None) -> int:
    """Resolve every location of the project again for its city, after the city changed.

    The resolver reads a place for a project's city (宝山 in a Shanghai project is Shanghai's;
    what counts as "outside the city" depends on it), so a project moved from one city to another
    must not keep the old answers.  The inputs as imported are read back ``chunk_rows`` visitors
    at a time and their locations replaced chunk by chunk; the inputs themselves are never
    touched, so an interrupted run is finished by running it again.  Returns the visitors done.
    """
    progress = progress or (lambda _f, _m: None)
    size = max(1, int(chunk_rows or CHUNK_ROWS))
    city = store.project(project_id).city_adcode
    aliases = store.aliases(city)
    cache = PlaceCache(store, defer=True)
    total = store.visitor_count(project_id)
    tick = _Progress(progress, total)
    done = 0
    tick(0)
    for part in store.location_inputs(project_id, size):
        found = resolve_records(part, city, aliases=aliases, cache=cache)
        found["visitor_id"] = part["visitor_id"].to_numpy()[found["row"].to_numpy()]
        store.relocate_visitors(project_id, part["visitor_id"].astype(int).tolist(), found)
        done += len(part)
        tick(min(done, total))
    cache.flush()
    progress(1.0, "完成")
    return done


def undo_plan(store: Store, import_id: int) -> UndoPlan:
    """What undoing ``import_id`` would do (:meth:`Store.undo_plan`), without doing it."""
    plan = store.undo_plan(import_id)
    labels = tuple(f"「{b['filename']}」（{b['imported_at']:%Y-%m-%d %H:%M}）" for b in plan["batches"])
    return UndoPlan(import_id, tuple(plan["imports"]), labels, plan["removed"], plan["restored"], plan["refusal"])


def undo_import(store: Store, import_id: int) -> UndoSummary:
    """Undo ``import_id`` and the imports that built on it, atomically (:meth:`Store.undo_import`).

    Raises ValueError (in Chinese) for an import made before versions were kept.
    """
    done = store.undo_import(import_id)
    return UndoSummary(tuple(done["imports"]), done["removed"], done["restored"])


def prepare(records: pd.DataFrame) -> pd.DataFrame:
    """Records as stored: one per visitor key (the last wins; ingest reported the duplicates), with
    ``visitor_code`` and a ``row_hash`` over the stored fields, so an unchanged row is recognised."""
    out = records.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    out["visitor_code"] = out[S.VISITOR_ID].fillna("").astype(str).str.slice(0, 100)
    for name in TRAILING_FIELDS:  # records made without the 拓客人员 or segment columns
        if name not in out:
            out[name] = ""
    if out["visitor_key"].duplicated().any():
        out = out.drop_duplicates("visitor_key", keep="last")
    out = out.reset_index(drop=True)
    md5, hashes = hashlib.md5, []
    for start in range(0, len(out), HASH_ROWS):  # the fields' text a slice at a time: bounded memory
        part = out.iloc[start:start + HASH_ROWS]
        hashes += [md5(value).hexdigest() for value in _joined_fields(part).cast(pa.large_binary()).to_pylist()]
    out["row_hash"] = hashes
    return out


_SEPARATOR = pa.scalar("\x1f", pa.large_string())
_BASE_FIELDS = VISITOR_FIELDS[:len(VISITOR_FIELDS) - len(TRAILING_FIELDS)]


def _joined_fields(part: pd.DataFrame) -> pa.Array:
    """The texts of a row's stored fields joined by the unit separator, by Arrow, without the trailing
    EMPTY optional fields (:data:`TRAILING_FIELDS`: team, then the segment columns): a row with none of
    them joins as before those columns existed, so re-importing a file of then is "unchanged"."""
    joined = pc.binary_join_element_wise(*(_arrow_texts(part[c]) for c in _BASE_FIELDS), _SEPARATOR)
    optional = [_arrow_texts(part[c]) for c in TRAILING_FIELDS]
    kept = np.zeros(len(part), dtype=np.int8)  # how many optional fields each row keeps: up to its last non-empty
    for i, column in enumerate(optional):
        given = pc.not_equal(column, "").to_numpy(zero_copy_only=False)
        kept[given] = i + 1
    for i, column in enumerate(optional):
        keep = kept > i
        if keep.any():
            joined = pc.if_else(pa.array(keep), pc.binary_join_element_wise(joined, column, _SEPARATOR), joined)
    return joined


def _row_hashes_reference(records: pd.DataFrame) -> list[str]:
    """The row hashes of prepared ``records`` one row at a time in Python: what :func:`prepare` must give."""
    columns = [_texts(records[c]) for c in VISITOR_FIELDS]
    base = len(_BASE_FIELDS)

    def kept(values):
        end = len(values)
        while end > base and not values[end - 1]:
            end -= 1
        return values[:end]

    return [hashlib.md5("\x1f".join(kept(values)).encode()).hexdigest() for values in zip(*columns)]


def _arrow_texts(values: pd.Series) -> pa.Array:
    """:func:`_texts` of a column as an Arrow string array, computed per distinct value (categories, dates)
    or per number where a column is made of them; the same texts, built without a Python string per row.

    >>> _arrow_texts(pd.Series([121.0, float("nan"), 1e-05])).to_pylist()
    ['121.0', '', '1e-05']
    >>> _arrow_texts(pd.Series([True, False])).to_pylist()
    ['True', 'False']
    """
    n = len(values)
    if isinstance(values.array, pd.arrays.ArrowStringArray):
        return pc.fill_null(pa.array(values.array), "").cast(pa.large_string())
    if values.dtype == bool:
        return pa.array(np.where(values.to_numpy(), "True", "False"), type=pa.large_string())
    if values.dtype == float:
        arr = values.to_numpy()
        text = np.full(n, "", dtype=object)
        real = ~np.isnan(arr)
        text[real] = [str(v) for v in arr[real].tolist()]
        return pa.array(text, type=pa.large_string())
    if values.dtype == object:
        codes, uniques = pd.factorize(values.to_numpy(), use_na_sentinel=True)
        if all(type(u) is str or type(u) is dt.date for u in uniques):  # equal means same text for these
            texts = np.array([str(u) for u in uniques] + [""], dtype=object)
            return pa.array(texts[codes], type=pa.large_string())  # code -1 (missing) takes the last: ""
    return pa.array(_texts(values), type=pa.large_string())


HASH_ROWS = 100_000


def _texts(values: pd.Series) -> list[str]:
    """The text of each value as :func:`mapping.ingest.tables.as_text` gives it ("" for a missing one,
    else ``str(value)``), as a list, without its round trip through a pandas string array.

    >>> _texts(pd.Series([1.5, float("nan")])), _texts(pd.Series(["a", None], dtype="str"))
    (['1.5', ''], ['a', ''])
    """
    missing = values.isna().to_numpy()
    items = values.tolist()
    if not missing.any():
        return [v if type(v) is str else str(v) for v in items]
    return ["" if m else (v if type(v) is str else str(v)) for v, m in zip(items, missing)]


def diff(records: pd.DataFrame, stored: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """(is_new, changed) masks of prepared ``records`` against the stored {visitor_key: row_hash}.

    Examples
    --------
    >>> records = pd.DataFrame({"visitor_key": ["a", "b", "c"], "row_hash": ["1", "2", "3"]})
    >>> [m.tolist() for m in diff(records, {"a": "1", "b": "9"})]
    [[False, False, True], [False, True, False]]
    """
    known = records["visitor_key"].map(stored)
    is_new = known.isna()
    return is_new, ~is_new & (records["row_hash"] != known)
