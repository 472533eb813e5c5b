"""Bounds on what ingest accepts, checked before a file is parsed and before a value is stored.

``FIELD_LIMITS`` mirrors the lengths of :class:`mapping.db.models.Visitor`'s text columns
(ingest must not import db: the stage order is ingest → place → db); a test asserts they agree.
The spreadsheet bounds keep a small hostile file (one cell at XFD1048576, a zip bomb)
from making the reader allocate gigabytes: they are checked from the zip directory and
each sheet's ``<dimension>`` before any cell is read.
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
