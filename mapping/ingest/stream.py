"""A large export read a batch of rows at a time, so an import never holds the whole file's cells.

:func:`read_table` gives one :class:`~mapping.ingest.tables.Table` of every cell: right for the page
(which shows the file before importing it), too much for a group's export of a million visitors (its
cells alone are about 0.7 GB).  :func:`open_batches` gives the same cells as :class:`Table` batches of
``rows`` rows (each numbering its rows as the file does, ``Table.first``), read from the file as they
are needed:

* a plain UTF-8 CSV (Excel's 「CSV UTF-8」, most CRM exports) is **streamed** by pyarrow's reader,
  after one pass that checks what :func:`read_table` would check (its encoding, every row as wide as
  the header, quotes only as whole quoted fields, no NUL, no cell over the csv module's limit) and
  counts the rows, without keeping them;
* anything else (Excel, GB18030, a title row wider than the header, stray quotes, ragged rows…) is read
  whole by :func:`read_table`, exactly as the page reads it, and handed out in slices.

Either way the cells of a batch are the cells :func:`read_table` gives for those rows (a test compares
both on the samples and on awkward files), so validating batch by batch finds what validating the
whole file finds (:func:`mapping.importer.import_batches` carries the duplicate check across batches).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mapping.ingest import limits as L
from mapping.ingest import tables as T
from mapping.ingest.delimiters import choose_delimiter

BATCH_ROWS = 50_000
_HEAD_BYTES = 1 << 20  # the header, and the rows the delimiter is chosen from, are in the first MB
_SCAN_BYTES = 16 << 20  # the checking pass reads this much at a time


@dataclass
class Batches:
    """The rows of one file as :class:`Table` batches; iterate to read them (once per iteration)."""

    header_row: int  # 1-based file row of the header
    columns: list[str]  # the header's names, made unique as read_table makes them
    total: int  # data rows in the file (blank and 合计 rows included; validate sets them apart)
    streamed: bool  # True: read from the file batch by batch; False: read whole, then sliced
    rows: int
    encoding: str | None = None
    delimiter: str | None = None
    _source: object = None
    _table: T.Table | None = None
    _keep: list[int] | None = None  # the file's columns kept (read_table leaves out empty unnamed ones)
    _width: int = 0  # the file's columns

    def __iter__(self) -> Iterator[T.Table]:
        if self._table is not None:
            yield from _slices(self._table, self.rows)
        else:
            yield from self._stream()

    def _stream(self) -> Iterator[T.Table]:
        import pyarrow as pa

        first = 0
        pending: list = []
        count = 0
        for batch in _checked(lambda: _reader(self._source, self.header_row, self._width, self.delimiter)):
            pending.append(batch)
            count += batch.num_rows
            while count >= self.rows:
                table = pa.Table.from_batches(pending)
                yield self._table_of(table.slice(0, self.rows), first)
                first += self.rows
                rest = table.slice(self.rows)
                pending, count = rest.to_batches(), rest.num_rows
        if count:
            yield self._table_of(pa.Table.from_batches(pending), first)

    def _table_of(self, table, first: int) -> T.Table:
        frame = pd.DataFrame({name: pd.array(table.column(i), dtype="str")
                              for i, name in zip(self._keep, self.columns)})
        return T.Table(frame, self.header_row, encoding=self.encoding, delimiter=self.delimiter, first=first)


def _checked(open_reader) -> Iterator:
    """The record batches of ``open_reader()``; a file that no longer reads as the checking pass read it
    (changed on disk in between) raises :class:`IngestError` in Chinese instead of pyarrow's error."""
    import pyarrow as pa

    try:
        yield from open_reader()
    except (pa.ArrowInvalid, OSError) as exc:
        raise T.IngestError("读取文件时出错：文件在导入过程中被改动或损坏了。请等文件保存完毕、不再改动后重新导入"
                            f"（{type(exc).__name__}）。") from exc


def open_batches(source: str | Path | bytes, filename: str | None = None, rows: int = BATCH_ROWS,
                 check_size: bool = True) -> Batches:
    """The rows of a file (a path, or its bytes) as :class:`Batches` of ``rows`` rows.

    ``check_size`` applies the upload limits of :func:`read_table` (file size, rows); a command-line
    import of a group's export turns them off.  Raises :class:`IngestError` as :func:`read_table` does.
    """
    name = filename or (Path(source).name if not isinstance(source, bytes) else "upload.csv")
    rows = max(1, int(rows))
    plan = _stream_plan(source, name, rows, check_size)
    if plan is not None:
        return plan if plan.total else _whole(source, name, rows, check_size)  # read_table words "no data rows"
    return _whole(source, name, rows, check_size)


def _whole(source, name: str, rows: int, check_size: bool) -> Batches:
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    saved = T.MAX_FILE_MB, L.MAX_ROWS, L.MAX_CELLS
    try:
        if not check_size:  # only this read (the limits are module settings the page relies on); a spreadsheet
            T.MAX_FILE_MB = float("inf")  # bomb is still refused, at ten times the page's row limits
            L.MAX_ROWS, L.MAX_CELLS = 10 * L.MAX_ROWS, 10 * L.MAX_CELLS
        table = T.read_table(data, name)
    finally:
        T.MAX_FILE_MB, L.MAX_ROWS, L.MAX_CELLS = saved
    del data
    return Batches(table.header_row, list(table.frame.columns), len(table.frame), False, rows,
                   table.encoding, table.delimiter, _table=table)


def _slices(table: T.Table, rows: int) -> Iterator[T.Table]:
    for start in range(0, len(table.frame), rows):
        frame = table.frame.iloc[start:start + rows].reset_index(drop=True)
        file_rows = None if table.file_rows is None else table.file_rows[start:start + rows]
        yield T.Table(frame, table.header_row, table.sheet, table.sheets, table.encoding, table.delimiter,
                      file_rows, first=start)


def _stream_plan(source, name: str, rows: int, check_size: bool) -> Batches | None:
    """Batches streamed from the file when it is a plain UTF-8 CSV that pyarrow reads as read_table
    would; None when it needs read_table."""
    if Path(name).suffix.lower() not in T.CSV_SUFFIXES:
        return None
    size = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
    if check_size and size / 1024 / 1024 > T.MAX_FILE_MB:
        return None  # read_table refuses it, in its words
    head = _head(source)
    if head[:4] == b"PK\x03\x04" or head[:8] == L.OLE_MAGIC or head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return None
    cut = head if size <= len(head) else head[:head.rfind(b"\n") + 1]
    try:
        text = cut.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if not text.strip() or T._utf16_without_bom(head) or T._looks_binary(text):
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # as read_table reads it
    sample = "\n".join(text.splitlines()[:20])
    delimiter = choose_delimiter(sample)
    if len(delimiter.encode()) != 1:
        return None
    try:
        raw = list(_first_rows(text, delimiter))
        widest = max((len(r) for r in raw), default=0)
        frame = pd.DataFrame([r + [""] * (widest - len(r)) for r in raw], dtype=object) if raw else pd.DataFrame()
        if frame.empty or frame.shape[1] > L.MAX_COLUMNS:
            return None
        _body, header_row, file_rows = T._promote_header(frame)
    except (csv.Error, T.IngestError):
        return None
    if file_rows is not None or header_row > len(raw):
        return None
    width = len(raw[header_row - 1])
    if any(len(r) != width for r in raw[header_row - 1:]):
        return None  # ragged rows: read_table pads them
    columns = T._unique_headers([T._cell_text(v) for v in raw[header_row - 1]])
    if not _plain_bytes(source, delimiter):
        return None
    unnamed = [i for i, c in enumerate(columns) if c.startswith("列")]  # read_table drops them when empty
    counted = _count_rows(source, header_row, width, delimiter, unnamed)
    if counted is None:
        return None
    total, used = counted
    if check_size and total > L.MAX_ROWS + 20:
        return None
    keep = [i for i in range(width) if i not in unnamed or i in used]
    return Batches(header_row, [columns[i] for i in keep], total, True, rows, "utf-8-sig", delimiter,
                   _source=source, _keep=keep, _width=width)


def _head(source) -> bytes:
    if isinstance(source, bytes):
        return source[:_HEAD_BYTES]
    with open(source, "rb") as fh:
        return fh.read(_HEAD_BYTES)


def _first_rows(text: str, delimiter: str) -> Iterator[list[str]]:
    for i, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter)):
        if i > T.HEADER_SEARCH_ROWS + 1:
            return
        yield row


def _chunks(source) -> Iterator[bytes]:
    """The file's bytes a piece at a time, each ending at a line end outside quotes."""
    if isinstance(source, bytes):
        reader = io.BytesIO(source)
    else:
        reader = open(source, "rb")
    with reader:
        carry = b""
        quotes = 0
        while True:
            block = reader.read(_SCAN_BYTES)
            if not block:
                if carry:
                    yield carry
                return
            data = carry + block
            end = len(data)
            while True:  # the last line end with an even number of quotes before it
                end = data.rfind(b"\n", 0, end)
                if end < 0 or (quotes + data.count(b'"', 0, end)) % 2 == 0:
                    break
            if end < 0:
                carry = data
                continue
            quotes += data.count(b'"', 0, end + 1)
            yield data[:end + 1]
            carry = data[end + 1:]


def _plain_bytes(source, delimiter: str) -> bool:
    """No NUL, no bare CR inside a quoted cell, every quote part of a whole quoted field, valid UTF-8."""
    quoted = re.compile(rb'(?:^|(?<=' + re.escape(delimiter.encode()) + rb'))"(?:[^"]|"")*"(?='
                        + re.escape(delimiter.encode()) + rb'|\r?$)', re.MULTILINE)
    decoder = codecs.getincrementaldecoder("utf-8")()
    for chunk in _chunks(source):
        if b"\x00" in chunk:
            return False
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError:
            return False
        if b'"' in chunk:  # read_table turns a CR inside a quoted cell into a line end; pyarrow keeps it
            if b'"' in quoted.sub(b"", chunk) or any(b"\r" in m.group() for m in quoted.finditer(chunk)):
                return False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _reader(source, header_row: int, width: int, delimiter: str, block: int = 1 << 22):
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    names = [f"c{i}" for i in range(width)]
    parse, convert = T.arrow_csv_options(names, delimiter)
    stream = pa.BufferReader(source) if isinstance(source, bytes) else str(source)
    return pa_csv.open_csv(stream, read_options=pa_csv.ReadOptions(column_names=names, skip_rows=header_row,
                                                                   block_size=block),
                           parse_options=parse, convert_options=convert)


def _count_rows(source, header_row: int, width: int, delimiter: str,
                unnamed: list[int]) -> tuple[int, set[int]] | None:
    """The data rows, read and dropped batch by batch, and which of the ``unnamed`` columns hold something;
    None where pyarrow and read_table would differ (a row of another width, a cell the csv module refuses)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    total = 0
    used: set[int] = set()
    limit = csv.field_size_limit()
    try:
        for batch in _reader(source, header_row, width, delimiter):
            total += batch.num_rows
            for i, column in enumerate(batch.columns):
                if len(column) and (pc.max(pc.utf8_length(column)).as_py() or 0) > limit:
                    return None
                if i in unnamed and i not in used and len(column):
                    trimmed = pc.utf8_trim(column, characters=T._PY_WHITESPACE)
                    used.update([i] if (pc.max(pc.utf8_length(trimmed)).as_py() or 0) else [])
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, StopIteration):
        return None
    return total, used
