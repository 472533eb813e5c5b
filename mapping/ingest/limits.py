"""Bounds on what ingest accepts, checked before a file is parsed and before a value is stored.

``FIELD_LIMITS`` mirrors the lengths of :class:`mapping.db.models.Visitor`'s text columns
(ingest must not import db: the stage order is ingest → place → db); a test asserts they agree.
The spreadsheet bounds keep a small hostile file (one cell at XFD1048576, a zip bomb)
from making the reader allocate gigabytes: they are checked from the zip directory and
each sheet's ``<dimension>`` before any cell is read.  A legacy .xls (BIFF in an OLE
container) is checked the same way from each sheet's DIMENSIONS record and the row and
column every cell record names (:func:`check_xls`): a 5 KB .xls with one cell at IV65536
would otherwise make the reader build a 65,536 × 256 grid (about 1 GB).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile

# canonical column → (Visitor column, max characters)
FIELD_LIMITS: dict[str, tuple[str, int]] = {
    "visitor_id": ("visitor_code", 100),
    "product_line": ("product_line", 32),
    "deal_product_line": ("deal_product_line", 32),
    "channel": ("channel", 64),
    "age_band": ("age_band", 32),
    "industry": ("industry", 64),
    "income_band": ("income_band", 32),
    "family": ("family", 32),
    "purpose": ("purpose", 32),
    "team": ("team", 64),
    "area_want": ("area_want", 32),  # 意向面积 as typed ("120-140㎡")
    "price_want": ("price_want", 32),  # 意向总价 as typed ("300万左右")
    "intended_text": ("intended_text", 100),  # 意向区域
    "name": ("name_masked", 64),  # the mask keeps the name's length
    "phone": ("phone_masked", 32),  # the mask keeps the number of digits
}
REJECT_TOO_LONG = ("visitor_id",)  # a cut 客户编号 would merge different customers: reject the row

MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
MAX_ROWS = 500_000  # data rows read from one sheet / file
MAX_COLUMNS = 16_384  # Excel's XFD
MAX_CELLS = 5_000_000  # rows × columns a sheet may declare
MAX_UNZIPPED_FACTOR = 20  # total decompressed size ≤ 20 × the upload limit
MAX_ZIP_RATIO = 200  # one entry may not expand more than this (a zip bomb expands ~1000×)
DIMENSION_PROBE = 4096  # bytes read from the start of a sheet's XML to find <dimension>


class LimitError(ValueError):
    """The file is bigger inside than it may be; the message is in Chinese and says what to do."""


_DIM_RE = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?"')


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def declared_size(ref_match) -> tuple[int, int]:
    """(rows, columns) a ``<dimension ref=...>`` declares."""
    c1, r1, c2, r2 = (g.decode() if g else None for g in ref_match.groups())
    if c2 is None:  # a single cell "A1"
        return int(r1 or 1), _col_number(c1) if c1 else 1
    rows = int(r2) - int(r1 or 1) + 1
    cols = _col_number(c2) - (_col_number(c1) if c1 else 1) + 1
    return max(rows, 1), max(cols, 1)


def _too_big(rows: int, cols: int) -> bool:
    return rows > MAX_ROWS + 100 or cols > MAX_COLUMNS or rows * cols > MAX_CELLS


def _col_letters(n: int) -> str:
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out or "A"


def _sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """{zip path of a worksheet: sheet name}, best effort from workbook.xml and its rels."""
    try:
        wb = zf.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, zipfile.LargeZipFile):
        return {}
    targets = {}
    for rel in re.finditer(r"<Relationship\b[^>]*>", rels):
        rid = re.search(r'\bId="([^"]+)"', rel.group(0))
        target = re.search(r'\bTarget="([^"]+)"', rel.group(0))
        if rid and target:
            t = target.group(1).lstrip("/")
            targets[rid.group(1)] = t if t.startswith("xl/") else "xl/" + t
    out = {}
    for sheet in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", wb):
        name = re.search(r'\bname="([^"]*)"', sheet.group(0))
        rid = re.search(r'\br:id="([^"]+)"|\bid="([^"]+)"', sheet.group(0))
        if name and rid:
            path = targets.get(rid.group(1) or rid.group(2))
            if path:
                out[path] = name.group(1)
    return out


def check_xlsx(data: bytes, max_file_mb: float) -> None:
    """Refuse an .xlsx whose zip or declared sheet size is beyond the bounds, reading no cells.

    Raises
    ------
    LimitError
        With a Chinese message naming the sheet and its declared size.
    zipfile.BadZipFile
        Not a zip (the caller words this).
    """
    zf = zipfile.ZipFile(io.BytesIO(data))
    infos = zf.infolist()
    total = sum(i.file_size for i in infos)
    cap = max_file_mb * MAX_UNZIPPED_FACTOR * 1024 * 1024
    if total > cap:
        raise LimitError(
            f"这个 Excel 文件解压后有 {total / 1024 / 1024:.0f} MB，超过上限 {cap / 1024 / 1024:.0f} MB，"
            "可能是损坏的或恶意构造的文件。请在 Excel 中打开后另存为 CSV（UTF-8）再上传。"
        )
    for info in infos:
        if info.compress_size and info.file_size > 1024 * 1024 and info.file_size / info.compress_size > MAX_ZIP_RATIO:
            raise LimitError(
                f"这个 Excel 文件里的「{info.filename}」压缩比异常（{info.file_size / info.compress_size:.0f} 倍），"
                "可能是恶意构造的压缩包，已拒绝读取。请在 Excel 中打开后另存为 CSV（UTF-8）再上传。"
            )
    names = _sheet_names(zf)
    for info in infos:
        if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
            continue
        try:
            with zf.open(info) as fh:
                head = fh.read(DIMENSION_PROBE)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, struct.error, NotImplementedError):
            continue  # the reader reports a broken entry in its own words
        m = _DIM_RE.search(head)
        if m:
            rows, cols = declared_size(m)
            ref = m.group(0).split(b'"')[1].decode()
        else:
            rows = cols = 0
        if not _too_big(rows, cols):
            try:
                with zf.open(info) as fh:
                    rows, cols = scan_extent(fh)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, struct.error, NotImplementedError):
                continue
            ref = f"A1:{_col_letters(cols)}{rows}"
        if _too_big(rows, cols):
            name = names.get(info.filename, info.filename.rsplit("/", 1)[-1])
            raise LimitError(
                f"工作表「{name}」声明的范围是 {ref}（{rows:,} 行 × {cols:,} 列），超过导入上限"
                f"（{MAX_ROWS:,} 行、{MAX_CELLS:,} 个单元格）。通常是远处有格式或空格的空行/空列："
                "请在 Excel 里删除数据区域右侧和下方的空行、空列后保存，或另存为 CSV（UTF-8）再上传；"
                "数据确实这么多时，请按月份拆分成几个文件分批导入。"
            )


_CELL_RE = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,4})(\d{1,8})"')
_ROW_RE = re.compile(rb'<(?:\w+:)?row\s[^>]*?\br="(\d{1,8})"')


def scan_extent(fh, chunk: int = 1 << 20) -> tuple[int, int]:
    """(last row, last column) the cells of a sheet's XML stream use, reading it in chunks
    (a sheet may declare A1:A1 and still hold a cell at XFD1048576)."""
    max_row, max_col_key, tail = 0, (0, b""), b""
    while True:
        block = fh.read(chunk)
        if not block:
            break
        buf = tail + block
        for letters, row in _CELL_RE.findall(buf):
            key = (len(letters), letters)
            if key > max_col_key:
                max_col_key = key
            r = int(row)
            if r > max_row:
                max_row = r
        for row in _ROW_RE.findall(buf):
            r = int(row)
            if r > max_row:
                max_row = r
        tail = buf[-256:]
    return max_row, _col_number(max_col_key[1].decode()) if max_col_key[1] else 0


# ------------------------------------------------------------------ .xls (BIFF)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
XLS_ENCRYPTED = "encrypted"

_BOF = (0x0809, 0x0409, 0x0209, 0x0009)
_EOF, _DIMENSIONS, _ROW, _BOUNDSHEET, _FILEPASS = 0x000A, 0x0200, 0x0208, 0x0085, 0x002F
# records that start with (row u16, column u16): FORMULA, LABELSST, NUMBER, RK, BLANK, BOOLERR, LABEL, RSTRING
_CELL_RECORDS = frozenset((0x0006, 0x0406, 0x00FD, 0x0203, 0x027E, 0x0201, 0x0205, 0x0204, 0x00D6))
_MULTI_RECORDS = frozenset((0x00BD, 0x00BE))  # MULRK, MULBLANK: row, first column, …, last column (u16 at the end)


class XlsCorrupt(ValueError):
    """The .xls container or its record stream is broken (the caller words this)."""


def _workbook_stream(data: bytes) -> bytes:
    from xlrd.compdoc import CompDoc  # xlrd is a runtime dependency; only its container reader is used

    try:
        doc = CompDoc(data, logfile=io.StringIO())
        for name in ("Workbook", "Book"):
            stream = doc.get_named_stream(name)
            if stream:
                return bytes(stream)
    except Exception as exc:  # xlrd's CompDocError, or IndexError/struct.error on a mangled sector table
        raise XlsCorrupt(str(exc)) from exc
    raise XlsCorrupt("no Workbook stream")


def _records(stream: bytes, pos: int):
    """(record type, body start, body length) from ``pos`` to the end of the stream."""
    unpack, end = struct.unpack_from, len(stream)
    while pos + 4 <= end:
        code, length = unpack("<HH", stream, pos)
        if pos + 4 + length > end:
            raise XlsCorrupt("record runs past the end of the stream")
        yield code, pos + 4, length
        pos += 4 + length


def xls_sheets(stream: bytes) -> list[tuple[str, int]]:
    """(name, stream offset of its BOF) of every worksheet named in the workbook globals.

    Raises XlsCorrupt, or LimitError(XLS_ENCRYPTED) for a password-protected workbook."""
    records = _records(stream, 0)
    first = next(records, None)
    if first is None or first[0] not in _BOF:
        raise XlsCorrupt("no BOF")
    biff8 = first[2] >= 4 and struct.unpack_from("<H", stream, first[1])[0] == 0x0600
    sheets = []
    for code, start, length in records:
        if code == _EOF:
            break
        if code == _FILEPASS:
            raise LimitError(XLS_ENCRYPTED)
        if code == _BOUNDSHEET and length >= 8:
            offset, kind = struct.unpack_from("<I", stream, start)[0], stream[start + 5]
            if kind != 0:  # chart, macro or VB module sheets hold no cells
                continue
            n = stream[start + 6]
            if biff8:
                wide = stream[start + 7] & 1
                raw = stream[start + 8 : start + 8 + n * (2 if wide else 1)]
                name = raw.decode("utf-16-le" if wide else "latin-1", "replace")
            else:
                name = stream[start + 7 : start + 7 + n].decode("gbk", "replace")
            sheets.append((name, offset))
    return sheets


def xls_sheet_extent(stream: bytes, offset: int) -> tuple[int, int, int, int]:
    """(declared rows, declared columns, last used row, last used column) of one worksheet,
    counted from A1, from its DIMENSIONS record and every cell and ROW record (one pass over
    the record headers; no cell value is decoded)."""
    if not 0 <= offset < len(stream) - 4 or struct.unpack_from("<H", stream, offset)[0] not in _BOF:
        raise XlsCorrupt("sheet offset does not point at a BOF record")
    unpack = struct.unpack_from
    declared_rows = declared_cols = max_row = max_col = 0
    depth = 0
    for code, start, length in _records(stream, offset):
        if code in _BOF:
            depth += 1
        elif code == _EOF:
            depth -= 1
            if depth == 0:
                break
        elif depth != 1:
            continue  # an embedded chart's own records
        elif code in _CELL_RECORDS and length >= 4:
            row, col = unpack("<HH", stream, start)
            max_row, max_col = max(max_row, row + 1), max(max_col, col + 1)
        elif code in _MULTI_RECORDS and length >= 6:
            row = unpack("<H", stream, start)[0]
            last = unpack("<H", stream, start + length - 2)[0]
            max_row, max_col = max(max_row, row + 1), max(max_col, last + 1)
        elif code == _ROW and length >= 2:
            max_row = max(max_row, unpack("<H", stream, start)[0] + 1)
        elif code == _DIMENSIONS:
            if length >= 14:  # BIFF8: first row u32, last row + 1 u32, first column u16, last column + 1 u16
                _, declared_rows, _, declared_cols = unpack("<IIHH", stream, start)
            elif length >= 8:  # BIFF5 and older: u16 each
                _, declared_rows, _, declared_cols = unpack("<HHHH", stream, start)
    return declared_rows, declared_cols, max_row, max_col


def check_xls(data: bytes) -> None:
    """Refuse a legacy .xls whose sheets declare or hold more than the bounds, reading no cell value.

    A tiny .xls with one cell at IV65536 makes the reader build a 65,536 × 256 grid (about 1 GB):
    the DIMENSIONS record and the row/column of every cell record are checked first.

    Raises
    ------
    LimitError
        With a Chinese message naming the sheet and its size; ``LimitError(XLS_ENCRYPTED)``
        for a password-protected workbook (the caller words it).
    XlsCorrupt
        Not a readable OLE container or BIFF record stream (the caller words it).
    """
    stream = _workbook_stream(data)
    for name, offset in xls_sheets(stream):
        declared_rows, declared_cols, used_rows, used_cols = xls_sheet_extent(stream, offset)
        for rows, cols, what in ((declared_rows, declared_cols, "声明的范围是"), (used_rows, used_cols, "实际用到了")):
            if _too_big(rows, cols):
                raise LimitError(
                    f"工作表「{name}」{what} A1:{_col_letters(cols)}{rows}（{rows:,} 行 × {cols:,} 列），超过导入上限"
                    f"（{MAX_ROWS:,} 行、{MAX_CELLS:,} 个单元格）。通常是远处有格式或空格的空行/空列："
                    "请在 Excel 里删除数据区域右侧和下方的空行、空列后另存为 .xlsx 或 CSV（UTF-8）再上传；"
                    "数据确实这么多时，请按月份拆分成几个文件分批导入。"
                )
