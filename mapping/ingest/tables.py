"""Read visitor exports (CSV/XLSX/XLS), map their headers and validate every row.

The flow a page follows::

    table = read_table(data, filename)                 # raw cells, as text
    mapping = auto_map(table.columns)                  # {canonical: header}
    result = validate(table, mapping, secret=store.pii_secret())  # clean records + report

``validate`` never drops a row silently: every rejected or fixed row is in
``result.report`` with its spreadsheet row number, column, value and a reason in
Chinese.  Clear phone numbers and names are replaced by masked and hashed values
before the records leave this module.  ID numbers (身份证号) never leave it: the column is read
only when the caller asks for 籍贯 (``derive_hometown``), and then only the derived city code
is kept; one typed into other text is hidden.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import os
import re
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mapping import schema as S
from mapping.geo.coords import in_china, looks_swapped, normalise_crs
from mapping.ingest import limits as L
from mapping.ingest import values as V
from mapping.ingest.delimiters import choose_delimiter
from mapping.ingest.headers import (  # noqa: F401
    AUTO_THRESHOLD,
    auto_map,
    place_like_columns,
    suggest_mapping,
)
from mapping.ingest.keys import PiiSecret
from mapping.ingest.privacy import (ID_HIDDEN, ID_IN, MOBILE_IN, hash_value, mask_frame, mask_ids_in, mask_phone,
                                    mask_phones_in, pii_columns, protect, rekey_many)
from mapping.ingest.report import REPORT_COLUMNS, summarise
from mapping.segments import bands as SB
from mapping.segments import hometown as HT

MAX_FILE_MB = float(os.environ.get("TUOKE_MAX_UPLOAD_MB", "50"))
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
SUPPORTED_SUFFIXES = CSV_SUFFIXES + EXCEL_SUFFIXES

BIG_FILE_HINT = "整份大文件也可以请系统管理员在服务器上用命令行一次导入（scripts/import_visitors.py，见 README）。"
ACCEPTED, FIXED, REJECTED = "accepted", "fixed", "rejected"
STATUS_LABELS = {ACCEPTED: "通过", FIXED: "已修正", REJECTED: "已拒绝"}


class IngestError(ValueError):
    """A problem with the whole file; the message is in Chinese and says what to do."""


# --------------------------------------------------------------------------- reading
@dataclass
class Table:
    """Raw cells of one sheet, every cell as text ("" when empty)."""

    frame: pd.DataFrame
    header_row: int  # 1-based spreadsheet row of the header
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    file_rows: list[int] | None = None  # the file row of each data row when blank rows were left out between them
    first: int = 0  # a batch of a larger file (mapping.ingest.stream): the position of its first row in the file

    def row_number(self, position: int) -> int:
        """Spreadsheet row number (as Excel shows it) of the data row at ``position``."""
        if self.file_rows is not None:
            return self.file_rows[position]
        return self.header_row + 1 + self.first + position


def read_table(data: bytes, filename: str, sheet: str | None = None) -> Table:
    """Read a CSV or Excel file into text cells.

    Parameters
    ----------
    data : bytes
        The file content.
    filename : str
        Used for its suffix (.csv/.txt/.tsv/.xlsx/.xlsm/.xls).
    sheet : str, optional
        Excel sheet name; default is the first sheet holding data.

    Raises
    ------
    IngestError
        Empty file, too large, unknown encoding or format, missing sheet, no data rows.
    """
    _check_size(data, filename)
    suffix = Path(filename).suffix.lower()
    if suffix in CSV_SUFFIXES and data[:4] == b"PK\x03\x04":  # a workbook saved under a .csv name: read it as one
        suffix = ".xlsx"
    elif suffix in CSV_SUFFIXES and data[:8] == L.OLE_MAGIC:
        suffix = ".xls"
    if suffix in CSV_SUFFIXES:
        raw, encoding, delimiter = _read_csv(data)
        frame, header_row, file_rows = _promote_header(raw)
        table = Table(frame, header_row, encoding=encoding, delimiter=delimiter, file_rows=file_rows)
    elif suffix in EXCEL_SUFFIXES and _text_named_excel(data):  # a CRM's tab-separated "xls"
        raw, encoding, delimiter = _read_csv(data)
        frame, header_row, file_rows = _promote_header(raw)
        table = Table(frame, header_row, encoding=encoding, delimiter=delimiter, file_rows=file_rows)
    elif suffix in EXCEL_SUFFIXES:
        raw, used_sheet, sheets = _read_excel(data, suffix, sheet)
        frame, header_row, file_rows = _promote_header(raw)
        table = Table(frame, header_row, sheet=used_sheet, sheets=sheets, file_rows=file_rows)
    else:
        raise IngestError(
            f"不支持的文件类型「{suffix or filename}」。请上传 CSV（.csv）或 Excel（.xlsx / .xls）文件。"
        )
    if table.frame.empty:
        where = f"工作表「{table.sheet}」" if table.sheet else "文件"
        raise IngestError(f"{where}只有表头，没有数据行。请确认导出时包含了客户数据。")
    return table


def _check_size(data: bytes, filename: str) -> None:
    size_mb = len(data) / 1024 / 1024
    if not data or (size_mb < 1 and data.isspace()):
        raise IngestError(f"文件「{filename}」是空的。请重新导出到访客户数据后再上传。")
    if size_mb > MAX_FILE_MB:
        raise IngestError(
            f"文件「{filename}」有 {size_mb:.1f} MB，超过单次导入上限 {MAX_FILE_MB:.0f} MB。"
            "请按月份或案场拆分成几个文件分批导入（重复导入不会产生重复客户），"
            "或只保留需要的列后再导出。" + BIG_FILE_HINT
        )


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise IngestError("文件开头标明是 UTF-16 编码，但内容不完整或已损坏。请重新导出后再上传。") from exc
    utf16 = _utf16_without_bom(data)
    if utf16:
        try:
            return data.decode(utf16), utf16
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError:
        pass
    gb = big5 = None
    try:
        gb = data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    try:
        big5 = data.decode("big5")
    except UnicodeDecodeError:
        pass
    if big5 is not None and (gb is None or _rare_share(gb) > _rare_share(big5) + 0.05):
        return big5, "big5"
    if gb is not None and not _looks_binary(gb):
        return gb, "gb18030"
    raise IngestError(
        "无法识别文件编码（既不是 UTF-8 也不是 GB18030/GBK）。"
        "请在 Excel 中用「另存为 → CSV UTF-8（逗号分隔）」重新保存，或直接上传 .xlsx 文件。"
    )


def _utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le"/"utf-16-be" when every other byte of the start is NUL (UTF-16 text without BOM)."""
    sample = data[:4000]
    if len(sample) < 4 or len(sample) % 2:
        sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > len(odd) * 0.3 and even.count(0) < len(even) * 0.05:
        return "utf-16-le"
    if even.count(0) > len(even) * 0.3 and odd.count(0) < len(odd) * 0.05:
        return "utf-16-be"
    return None


_COMMON_HAN = set(
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经"
    "十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样"
    "与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常"
    "文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处府研质信市"
    "客户姓名电话手机号码日期来访到访意向等级业态公寓洋房别墅商铺居住工作区域经纬度坐标成交金额渠道年龄行收入家庭结构置业目的编号备注省县镇街"
)


def _rare_share(text: str) -> float:
    """Share of CJK characters outside a list of common simplified ones (mojibake scores high)."""
    han = [ch for ch in text[:4000] if "\u3400" <= ch <= "\u9fff" or "\ue000" <= ch <= "\uf8ff"]
    if not han:
        return 0.0
    return sum(1 for ch in han if ch not in _COMMON_HAN) / len(han)


def _looks_binary(text: str) -> bool:
    sample = text[:2000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t")
    return controls > max(len(sample) * 0.01, 8)


def _read_csv(data: bytes) -> tuple[pd.DataFrame, str, str]:
    _refuse_other_format(data, "CSV")
    text, encoding = _decode(data)
    nuls = text.count("\x00")
    stray = nuls < max(len(text) * 0.01, 8)  # a few stray NULs: validation strips and reports them
    probe = text.replace("\x00", "") if stray else text
    if "\x00" in probe[:2000] or _looks_binary(probe):
        raise IngestError("文件内容不是文本表格（可能是改了后缀的 Excel 或其他文件）。请上传真正的 CSV 或 Excel 文件。")
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # old Mac (CR only) and mixed line endings
    sample = "\n".join(text.splitlines()[:20])
    delimiter = choose_delimiter(sample)  # also 「，」「；」, and 「、」 when the header splits on it
    frame = _read_csv_arrow(text, delimiter)
    if frame is not None:
        return frame, encoding, delimiter
    try:
        rows = []
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            rows.append(row)
            if len(rows) > L.MAX_ROWS + 20:
                raise IngestError(_too_many_rows())
    except csv.Error as exc:
        raise IngestError(
            f"CSV 文件第 {len(rows) + 1} 行附近格式有误（{_csv_reason(exc)}）。"
            "请在 Excel 中打开后另存为「CSV UTF-8（逗号分隔）」或 .xlsx 再上传。"
        ) from exc
    if rows and max(len(r) for r in rows) > L.MAX_COLUMNS:
        raise IngestError(f"CSV 文件有超过 {L.MAX_COLUMNS:,} 列，不像到访客户表。请检查分隔符后重新导出。")
    width = max((len(r) for r in rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in rows]
    frame = pd.DataFrame(rows, dtype=object) if rows else pd.DataFrame()
    return frame, encoding, delimiter


def _read_csv_arrow(text: str, delimiter: str) -> pd.DataFrame | None:
    """The cells of a plain CSV as Arrow-backed text columns (pyarrow's parser: a fraction of the time
    and memory of Python lists), or None when the file needs the ``csv`` module's leniency: a
    delimiter of more than one byte, NUL characters, rows of different widths (a title row, an empty
    line) or quotes that are not whole quoted fields.  Where it answers, the cells are those
    ``csv.reader`` gives (same widths, no row padded)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv

    if len(delimiter.encode()) != 1 or "\x00" in text or not text.strip():
        return None
    quoted = '"' in text
    if quoted and '"' in _quoted_fields(delimiter).sub("", text):
        return None  # a stray or unbalanced quote: csv.reader's own reading of it
    first = next(csv.reader(io.StringIO(text[:1_000_000]), delimiter=delimiter), [])
    if not first or len(first) > L.MAX_COLUMNS:
        return None
    names = [f"c{i}" for i in range(len(first))]
    try:
        parse, convert = arrow_csv_options(names, delimiter, quoted)
        table = pa_csv.read_csv(io.BytesIO(text.encode("utf-8")),
                                read_options=pa_csv.ReadOptions(column_names=names, block_size=1 << 22),
                                parse_options=parse, convert_options=convert)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows > L.MAX_ROWS + 20:
        raise IngestError(_too_many_rows())
    longest = max((pc.max(pc.utf8_length(column)).as_py() or 0) for column in table.columns)
    if longest > csv.field_size_limit():
        return None  # csv.reader refuses such a cell, in its words
    return pd.DataFrame({i: pd.array(table.column(i), dtype="str") for i in range(table.num_columns)})


def arrow_csv_options(names: list[str], delimiter: str, quoted: bool = True):
    """pyarrow's (ParseOptions, ConvertOptions) under which its cells are ``csv.reader``'s: every column
    ``names`` text, nothing read as null, empty lines kept (they are rows of another width, which fail)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    return (pa_csv.ParseOptions(delimiter=delimiter, quote_char='"' if quoted else False, double_quote=True,
                                newlines_in_values=quoted, ignore_empty_lines=False),
            pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), null_values=[],
                                  strings_can_be_null=False, quoted_strings_can_be_null=False))


@functools.cache
def _quoted_fields(delimiter: str) -> re.Pattern:
    """Whole quoted fields (``"a, ""b"" c"``), from a line's start or a delimiter to the next one or the line's end."""
    d = re.escape(delimiter)
    return re.compile(rf'(?:^|(?<={d}))"(?:[^"]|"")*"(?={d}|$)', re.MULTILINE)


def _too_many_rows() -> str:
    return (f"文件超过 {L.MAX_ROWS:,} 行数据，超过单次导入上限。"
            "请按月份或案场拆分成几个文件分批导入（重复导入不会产生重复客户）。" + BIG_FILE_HINT)


def _csv_reason(exc: Exception) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return "某个单元格内容过长"
    if "NUL" in text:
        return "含有空字符"
    return "引号或分隔符不成对"


def _text_named_excel(data: bytes) -> bool:
    """True for plain delimited text saved with an Excel suffix (many systems export TSV as .xls)."""
    if data[:2] == b"PK" or data[:8] == L.OLE_MAGIC:
        return False
    _refuse_other_format(data, "Excel 文件")  # HTML, XML, PDF… are refused with their own advice
    try:
        text, _ = _decode(data[:8192])
    except IngestError:
        return False
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return not _looks_binary(text) and any(first.count(d) >= 2 for d in ("\t", ",", "，"))


_OTHER_FORMATS = (
    (b"%PDF", "PDF 文件"),
    (b"<!doctype html", "网页（HTML）文件"),
    (b"<html", "网页（HTML）文件"),
    (b"<table", "网页（HTML）表格"),
    (b"<?xml", "XML 文件"),
    (b"{\\rtf", "RTF 文档"),
    (b"\x89PNG", "图片"),
    (b"\xff\xd8\xff", "图片"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf", "7z 压缩包"),
)


_HTML_TAGS = (b"<html", b"<table", b"<head", b"<body", b"<meta", b"<style", b"<!doctype html")
_SAVE_AS_XLSX = "请用 Excel 打开后「另存为 → Excel 工作簿（.xlsx）」再上传。"


def _refuse_other_format(data: bytes, expected: str) -> None:
    head = data[:1024]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 HTML exports
        head = head.decode("utf-16", "ignore").encode("utf-8", "ignore")
    head = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"urn:schemas-microsoft-com:office:spreadsheet" in head or b"excel.sheet" in head:
        raise IngestError(f"文件内容其实是 Excel 2003 XML 表格，不是 {expected}。{_SAVE_AS_XLSX}")
    if head.startswith(b"<") and not head.startswith(b"<?xml") and any(tag in head for tag in _HTML_TAGS):
        raise IngestError(f"文件内容其实是网页（HTML）表格，不是 {expected}。"
                          f"这类「.xls」常是系统导出的网页表格：{_SAVE_AS_XLSX}")
    for magic, what in _OTHER_FORMATS:
        if head.startswith(magic.lower()):
            advice = ("这类「.xls」常是系统导出的网页表格：请用 Excel 打开后「另存为 → Excel 工作簿（.xlsx）」再上传。"
                      if "HTML" in what else "请上传真正的 CSV 或 Excel（.xlsx / .xls）文件。")
            raise IngestError(f"文件内容其实是{what}，不是 {expected}。{advice}")


def _excel_label(filename: str) -> str:
    return " Excel 文件" if filename.startswith("*") else f" Excel 文件「{filename}」"


def _check_excel(data: bytes, filename: str) -> None:
    """Refuse non-Excel content and spreadsheet bombs before calamine reads any cell."""
    _refuse_other_format(data, "Excel 文件")
    if data[:4] == b"PK\x03\x04" or data[:2] == b"PK":
        try:
            L.check_xlsx(data, MAX_FILE_MB)
        except L.LimitError as exc:
            raise IngestError(str(exc)) from exc
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, struct.error) as exc:
            raise IngestError(
                f"无法打开{_excel_label(filename)}：文件已损坏（压缩包不完整，可能没有下载或复制完）。"
                "请重新导出或在 Excel 中打开后另存为 .xlsx 再上传。"
            ) from exc
    elif data[:8] == L.OLE_MAGIC:  # .xls (BIFF): DIMENSIONS and every cell record's position, no values
        try:
            L.check_xls(data)
        except L.LimitError as exc:
            if str(exc) != L.XLS_ENCRYPTED:
                raise IngestError(str(exc)) from exc
            raise IngestError(
                f"{_excel_label(filename).strip()}设置了打开密码，无法读取。请在 Excel 中取消密码（文件 → 信息 → 保护工作簿），"
                "另存为 .xlsx 后再上传。"
            ) from exc
        except L.XlsCorrupt as exc:
            raise IngestError(
                f"无法打开{_excel_label(filename)}：文件已损坏（.xls 内部结构不完整，可能没有下载或复制完）。"
                "请重新导出，或在 Excel 中打开后另存为 .xlsx 再上传。"
            ) from exc
    else:
        raise IngestError(
            f"无法打开{_excel_label(filename)}：内容不是 Excel 格式（既不是 .xlsx 也不是 .xls）。"
            "如果它其实是 CSV，请把后缀改成 .csv；否则请在 Excel 中打开后另存为 .xlsx 再上传。"
        )


def list_sheets(data: bytes, filename: str) -> list[str]:
    """Sheet names of an Excel file, in workbook order."""
    from python_calamine import CalamineWorkbook

    _check_excel(data, filename)
    try:
        return list(CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names)
    except Exception as exc:  # calamine raises its own error types for broken files
        raise IngestError(
            f"无法打开 Excel 文件「{filename}」：文件可能已损坏、加了密码或不是 Excel 格式。"
            "请在 Excel 中打开并另存为 .xlsx 后再上传。"
        ) from exc


def best_sheet(data: bytes, filename: str) -> str | None:
    """The sheet that looks most like a visitor table (most recognised headers), or None."""
    scores = {}
    for name in list_sheets(data, filename):
        try:
            table = read_table(data, filename, sheet=name)
        except IngestError:
            continue
        scores[name] = len(auto_map(table.frame.columns))
    return max(scores, key=scores.get) if scores else None


def _read_excel(data: bytes, suffix: str, sheet: str | None) -> tuple[pd.DataFrame, str, list[str]]:
    from python_calamine import CalamineWorkbook

    sheets = list_sheets(data, f"*{suffix}")
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    if sheet is not None and sheet not in sheets:
        raise IngestError(f"找不到工作表「{sheet}」。这个文件里的工作表有：{'、'.join(sheets)}。请选择其中一个。")
    candidates = [sheet] if sheet is not None else sheets
    for name in candidates:
        try:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:  # calamine's own error types: malformed XML, broken records
            raise IngestError(
                f"工作表「{name}」内容已损坏，无法读取。请在 Excel 中打开这个文件，另存为 .xlsx 或 CSV（UTF-8）后再上传。"
            ) from exc
        if len(rows) > L.MAX_ROWS + 20:
            raise IngestError(_too_many_rows())
        kept = [i for i, r in enumerate(rows) if any(_cell_text(c) for c in r)]  # blank rows left out, their
        rows = [rows[i] for i in kept]  # numbers kept in the index (row numbers as Excel shows them)
        if rows:
            width = max(len(r) for r in rows)
            frame = pd.DataFrame([list(r) + [""] * (width - len(r)) for r in rows], dtype=object, index=kept)
            return frame, name, sheets
    if sheet is not None:
        raise IngestError(f"工作表「{sheet}」是空的。这个文件里的工作表有：{'、'.join(sheets)}。")
    raise IngestError("Excel 文件里所有工作表都是空的。请确认导出了到访客户数据。")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if np.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return value.isoformat()
    return str(value).strip()


HEADER_SEARCH_ROWS = 20  # exports put titles, filters and notes above the header


def _promote_header(raw: pd.DataFrame) -> tuple[pd.DataFrame, int, list[int] | None]:
    """Find the header row (exports often have a title row above it) and use it.

    ``raw``'s index is each row's 0-based position in the file (an Excel sheet's blank rows are left
    out); returns the data rows, the header's file row (1-based) and each data row's file row when
    they are not the rows right after the header (None when they are)."""
    if raw.empty:
        raise IngestError("文件里没有任何内容。请重新导出到访客户数据后再上传。")
    best_row, best_hits = 0, -1
    for i in range(min(HEADER_SEARCH_ROWS, len(raw))):
        hits = len(auto_map([_cell_text(v) for v in raw.iloc[i]]))
        if hits > best_hits:
            best_row, best_hits = i, hits
    headers = [_cell_text(v) for v in raw.iloc[best_row]]
    headers = _unique_headers(headers)
    header_row = int(raw.index[best_row]) + 1
    file_rows = raw.index[best_row + 1 :].to_numpy(dtype=np.int64) + 1
    contiguous = np.array_equal(file_rows, np.arange(header_row + 1, header_row + 1 + len(file_rows)))
    body = raw.iloc[best_row + 1 :].reset_index(drop=True)
    body.columns = headers
    body = body.drop(columns=[h for h in headers if h.startswith("列") and body[h].map(_cell_text).eq("").all()])
    return body, header_row, None if contiguous else file_rows.tolist()


def _unique_headers(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, h in enumerate(headers):
        h = h or f"列{i + 1}"
        if h in seen:
            seen[h] += 1
            h = f"{h}_{seen[h]}"
        else:
            seen[h] = 1
        out.append(h)
    return out


# --------------------------------------------------------------------------- mapping
# header matching lives in mapping.ingest.headers; auto_map is re-exported here for pages


def check_mapping(mapping: dict[str, str], headers) -> None:
    """Raise IngestError for a mapping the file cannot satisfy."""
    headers = list(headers)
    unknown = {c: h for c, h in mapping.items() if h and h not in headers}
    if unknown:
        bad = "、".join(f"{S.COLUMN_LABELS.get(c, c)}→「{h}」" for c, h in unknown.items())
        raise IngestError(f"对应关系里的列在文件中不存在：{bad}。请重新选择。")
    used = [h for h in mapping.values() if h]
    dupes = sorted({h for h in used if used.count(h) > 1})
    if dupes:
        raise IngestError(f"同一列「{'、'.join(dupes)}」被对应到了多个字段，请每列只选一个字段。")
    missing = [c for c in S.REQUIRED_COLUMNS if not mapping.get(c)]
    if missing:
        labels = "、".join(S.COLUMN_LABELS[c] for c in missing)
        raise IngestError(
            f"缺少必需的列：{labels}。文件的列有：{'、'.join(headers[:30])}。"
            "请在「列对应」里手动指定，或在文件中加上这一列。"
        )
    if not any(mapping.get(c) for c in S.LOCATION_COLUMNS):
        raise IngestError(
            "文件中没有任何位置列（居住/工作/生活区域或经纬度）。请在「列对应」里至少指定一列位置信息。"
        )


# --------------------------------------------------------------------------- validation
@dataclass
class IngestResult:
    """Clean canonical records plus a row-by-row report and the category values no rule knew."""

    records: pd.DataFrame  # accepted and fixed rows, canonical columns + stage, stage_date, row_number, status
    report: pd.DataFrame  # one line per problem: 行号, 列, 原值, 问题, 处理, 原因
    row_status: pd.Series  # status per input row (index = row position)
    empty_rows: list[int]
    unknown: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=V.UNKNOWN_COLUMNS))
    total_rows: list[int] = field(default_factory=list)  # 合计/小计 rows skipped

    @property
    def counts(self) -> dict[str, int]:
        counts = self.row_status.value_counts()
        return {s: int(counts.get(s, 0)) for s in (ACCEPTED, FIXED, REJECTED)}

    def summary(self) -> pd.DataFrame:
        """The report by reason (:func:`mapping.ingest.report.summarise`)."""
        return summarise(self.report)


class _Issues:
    def __init__(self, table: Table, mapping: dict[str, str]):
        self.table, self.mapping, self.rows = table, mapping, []

    def add(self, positions, canonical: str, values, kind: str, action: str, reason: str) -> None:
        header = self.mapping.get(canonical) or S.COLUMN_LABELS.get(canonical, canonical)
        for pos, value in zip(positions, values):
            self.rows.append((int(pos), header, str(value), kind, action, reason))

    def add_column_note(self, canonical: str, value: str, kind: str, action: str, reason: str) -> None:
        """A line about a whole column, numbered with the header's row."""
        self.add([_HEADER_POSITION], canonical, [value], kind, action, reason)


_HEADER_POSITION = -1  # an issue position meaning "the header row": a note about a whole column


@dataclass
class _Context:
    """What the column checks share: the rows, the report, the status and the project's choices."""

    table: Table
    frame: pd.DataFrame
    issues: _Issues
    status: pd.Series
    product_lines: tuple[str, ...]
    value_maps: dict[str, dict[str, str]]
    unknowns: V.Unknowns = field(default_factory=V.Unknowns)
    secret: PiiSecret | None = None  # to key a 客户编号 that is an ID number


def validate(
    table: Table,
    mapping: dict[str, str],
    secret: PiiSecret,
    default_crs: str = S.GCJ02,
    product_lines: tuple[str, ...] = S.PRODUCT_LINES,
    *,
    value_maps: dict[str, dict[str, str]] | None = None,
    deal_stage: str = S.DEFAULT_DEAL_STAGE,
    derive_hometown: bool = False,
    duplicates: bool = True,
    unknowns: V.Unknowns | None = None,
) -> IngestResult:
    """Validate and normalise every row of ``table``.

    No row is rejected for a category value: an unknown 客户状态, 业态, 意向等级 or 渠道
    keeps its row with a provisional value and is listed in ``result.unknown``; the
    page lets the user choose, saves the choices, and calls ``validate`` again with
    ``value_maps``.  Rows are rejected only for a missing or unreadable 到访日期 and
    for duplicates.

    Parameters
    ----------
    table : Table
        From :func:`read_table`.
    mapping : dict
        {canonical column: file header}, from :func:`auto_map` or the user.
    secret : PiiSecret
        The installation's key and salt for hashing phone numbers and names
        (:meth:`mapping.db.store.Store.pii_secret`).
    default_crs : str
        CRS for rows with coordinates but no 坐标系 value.
    product_lines : tuple of str
        Product lines the project sells; other lines are listed in ``unknown``.
    value_maps : dict, optional
        The project's saved choices, {canonical field: {normalised raw value: target}}
        for ``stage``, ``product_line`` (also used for 成交业态; ``deal_product_line``
        overrides it there), ``intention`` and ``channel``.  Applied before the defaults
        of :mod:`mapping.ingest.values`.
    deal_stage : str
        The first stage that counts as 成交: 认购 (default) or 签约.
    derive_hometown : bool
        Read the 身份证号 column (``mapping["id_number"]``) to derive each row's 籍贯 (``hometown``,
        a 6-digit city code; :func:`mapping.segments.hometown.derive`), which the user must ask for
        (个人信息保护法：最小必要).  Without it the column is not read at all and the report says so in
        one line.  Either way the ID numbers never leave this function: not in ``records``, not in the
        report (an unreadable number is quoted as 「（不显示）」).
    duplicates : bool
        Reject all but the last row of each visitor (default).  A caller validating a file batch by
        batch (:func:`mapping.importer.import_batches`) turns it off and checks across the batches.
    unknowns : Unknowns, optional
        Collect the unknown category values into this (shared by the batches of one file).

    Returns
    -------
    IngestResult
        ``records`` carry ``stage``, ``stage_date`` and ``deal``; ``unknown`` lists the
        values no rule knew (see :data:`mapping.ingest.values.UNKNOWN_COLUMNS`).

    Examples
    --------
    >>> data = "到访日期,居住区域,客户状态,意向业态\\n2024-03-01,浦东,网签,叠拼\\n2024-03-02,徐汇,意向金,城堡\\n"
    >>> table = read_table(data.encode(), "v.csv")
    >>> result = validate(table, auto_map(table.frame.columns), secret=PiiSecret(bytes(32), "s"),
    ...                   product_lines=("公寓", "洋房"))
    >>> result.records[["stage", "deal", "product_line"]].values.tolist()
    [['签约', True, '洋房'], ['认筹', False, '其他']]
    >>> result.unknown[["field", "raw", "suggestion"]].values.tolist()
    [['product_line', '城堡', '']]

    意向面积 / 意向总价 are kept as written; a value :func:`mapping.segments.bands.read` cannot read is a
    note in the report, not a rejection:

    >>> data = "到访日期,居住区域,意向面积,预算\\n2024-03-01,浦东,120-140,300万\\n2024-03-02,徐汇,三房,\\n"
    >>> table = read_table(data.encode(), "v.csv")
    >>> result = validate(table, auto_map(table.frame.columns), secret=PiiSecret(bytes(32), "s"))
    >>> result.records[["area_want", "price_want"]].values.tolist()
    [['120-140', '300万'], ['三房', '']]
    >>> result.report[["行号", "列", "原值", "问题"]].values.tolist()
    [[3, '意向面积', '三房', '意向面积无法识别']]
    """
    check_mapping(mapping, table.frame.columns)
    if deal_stage not in S.DEAL_STAGES:
        raise ValueError(f"'deal_stage' should be one of {'/'.join(S.DEAL_STAGES)}, got {deal_stage!r}")
    frame = _canonical_frame(table, mapping)
    frame, empty_rows, total_rows = _drop_blank_rows(table, frame)
    issues = _Issues(table, mapping)
    for pos in total_rows:
        issues.add([pos], S.VISIT_DATE, [""], "合计行", "跳过", "表尾的合计/小计行，不是客户，已跳过")
    ctx = _Context(table, frame, issues, pd.Series(ACCEPTED, index=frame.index, dtype=object),
                   tuple(product_lines), {k: dict(v) for k, v in (value_maps or {}).items()},
                   unknowns=V.Unknowns() if unknowns is None else unknowns, secret=secret)
    hometown = _hometown(ctx, mapping.get(S.ID_NUMBER), derive_hometown)
    _clean_text(ctx)
    _hide_phones_in_text(ctx)
    out = _columns(ctx, default_crs, deal_stage)
    out[S.HOMETOWN] = hometown
    masked_phone = frame[S.PHONE].str.contains(r"[*＊]", regex=True)
    out = protect(out, secret, digests=True)
    out["visitor_key"] = visitor_keys(out, secret.key, weak_phone=masked_phone)
    out = out.drop(columns=["phone_digest", "name_digest"])
    if duplicates:
        _duplicates(table, out, issues, ctx.status)
    out["row_number"] = [table.row_number(p) for p in out.index]
    out["status"] = ctx.status
    kept = (ctx.status != REJECTED).to_numpy()
    records = (out if kept.all() else out[kept]).reset_index(drop=True)  # a filter copies every column
    report = _report(issues, table, mapping)
    return IngestResult(records=records, report=report, row_status=ctx.status, empty_rows=empty_rows,
                        unknown=ctx.unknowns.frame(), total_rows=[table.row_number(p) for p in total_rows])


def _columns(ctx: _Context, default_crs: str, deal_stage: str) -> pd.DataFrame:
    frame, issues, status = ctx.frame, ctx.issues, ctx.status
    out = pd.DataFrame(index=frame.index)
    out[S.VISITOR_ID] = frame[S.VISITOR_ID]
    out[S.VISIT_DATE] = _dates(frame, S.VISIT_DATE, issues, status, required=True)
    deal_dates = _dates(frame, S.DEAL_DATE, issues, status, required=False)
    sign_dates = _dates(frame, S.SIGN_DATE, issues, status, required=False)
    out[S.PRODUCT_LINE] = _product_lines(ctx, S.PRODUCT_LINE)
    out[S.DEAL_PRODUCT_LINE] = _product_lines(ctx, S.DEAL_PRODUCT_LINE)
    out[S.INTENTION] = _intentions(ctx)
    out[S.CHANNEL] = _channels(ctx)
    stage = _stages(ctx, deal_dates, sign_dates)
    out[S.STAGE] = stage
    out[S.STAGE_DATE] = _stage_dates(stage, out[S.VISIT_DATE], deal_dates, sign_dates)
    out[S.DEAL] = V.is_deal(stage, deal_stage)
    first, second = (sign_dates, deal_dates) if deal_stage == S.STAGE_SIGN else (deal_dates, sign_dates)
    out[S.DEAL_DATE] = first.where(first.notna(), second)
    out[S.SIGN_DATE] = sign_dates
    out[S.DEAL_AMOUNT] = _amounts(frame, issues, status)
    for col in S.PROFILE_COLUMNS:
        out[col] = frame[col]
    out[S.TEAM] = _teams(ctx)
    for col in S.WANT_COLUMNS:
        out[col] = frame[col]
    _note_unread_wants(ctx)
    _locations(frame, out, issues, status, default_crs)
    out[S.PHONE] = frame[S.PHONE]
    out[S.NAME] = frame[S.NAME]
    _check_deal_consistency(out, issues, status)
    return out


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# columns parsed into numbers, dates or codes (a phone number there fails validation and is never stored)
_NOT_FREE_TEXT = frozenset({S.VISIT_DATE, S.DEAL_DATE, S.SIGN_DATE, S.DEAL_AMOUNT, S.COORD_SYSTEM, S.INTENTION, S.STAGE,
                            S.DEAL, *(S.lng_col(d) for d in S.DIMENSIONS), *(S.lat_col(d) for d in S.DIMENSIONS)})


def _hide_phones_in_text(ctx: _Context) -> None:
    """A mobile number typed where it does not belong never reaches the database in clear: a 客户编号
    that is a mobile number is used as the phone (hashed; the 客户编号 stays empty), and one inside
    any other text (an address 「汤臣一品 13812345678」, a channel) is masked to its last 4 digits."""
    frame, issues, status = ctx.frame, ctx.issues, ctx.status
    for col in frame.columns:
        if col in S.PII_COLUMNS or col in _NOT_FREE_TEXT:
            continue
        values = frame[col]
        if not _may_hold_mobile(values):  # one pass over the column: the usual case
            continue
        found = values.str.contains(MOBILE_IN, regex=True)
        if not found.any():
            continue
        label = S.COLUMN_LABELS.get(col, col)
        if col == S.VISITOR_ID:
            whole = found & values.str.fullmatch(MOBILE_IN)
            take = whole & (frame[S.PHONE] == "")
            frame.loc[take, S.PHONE] = values[take]
            frame.loc[whole, col] = ""
            found = found & ~whole
            if whole.any():
                issues.add(whole[whole].index, col, values[whole].map(mask_phone), f"{label}是手机号", "已隐去",
                           f"{label}是手机号：按手机号去重（只存脱敏和加密摘要），不作为编号保存")
                _fix(status, whole)
        if found.any():
            masked = values[found].map(mask_phones_in)
            issues.add(found[found].index, col, masked, f"{label}含手机号", "已隐去",
                       f"{label}里夹带的手机号已隐去（个人信息不入库），只保留后 4 位")
            frame.loc[found, col] = masked
            _fix(status, found)
    _hide_ids_in_text(ctx)


_ID_RE2 = r"[1-9][0-9]{16}[0-9Xx]"  # every match of privacy.ID_IN holds one
ID_CODE_PREFIX = "证件#"  # a 客户编号 that was an ID number: this and 20 hex of its keyed hash


def _key_id_codes(ctx: _Context, found: pd.Series) -> None:
    """客户编号 holding an ID number (``found``) become 「证件#」 + a keyed hash of the number: the same number
    gives the same code on every import (the customer is recognised), and the number is not kept."""
    values = ctx.frame[S.VISITOR_ID]
    secret = ctx.secret
    keyed = {v: ID_CODE_PREFIX + hash_value(v.upper(), secret.key, secret.salt)[:20]
             for v in pd.unique(values[found])} if secret is not None else {}
    ctx.frame.loc[found, S.VISITOR_ID] = values[found].map(lambda v: keyed.get(v, ""))
    ctx.issues.add(found[found].index, S.VISITOR_ID, [ID_HIDDEN] * int(found.sum()), "客户编号含身份证号", "已隐去",
                   "客户编号是（或含有）身份证号：改用号码的加密摘要作为编号去重，号码本身不保存、不显示")
    _fix(ctx.status, found)


def _hide_ids_in_text(ctx: _Context) -> None:
    """An 18-digit ID number typed into a free-text column (「汤臣一品 110101199003070011」) never reaches the
    database: it is replaced by 「（身份证号已隐去）」 and the row noted (the number itself is not quoted).
    A 客户编号 that is an ID number (CRMs key customers by it) is replaced by a keyed digest of it, so the
    customer is still recognised on the next import and the number is not kept."""
    frame, issues, status = ctx.frame, ctx.issues, ctx.status
    for col in frame.columns:
        if col in S.PII_COLUMNS or col in _NOT_FREE_TEXT:
            continue
        values = frame[col]
        if not _may_hold(values, _ID_RE2, ID_IN):  # one pass over the column: the usual case
            continue
        found = values.str.contains(ID_IN, regex=True)
        if not found.any():
            continue
        label = S.COLUMN_LABELS.get(col, col)
        if col == S.VISITOR_ID:
            _key_id_codes(ctx, found)
            continue
        masked = values[found].map(mask_ids_in)
        issues.add(found[found].index, col, masked, f"{label}含身份证号", "已隐去",
                   f"{label}里夹带的身份证号已隐去（个人信息不入库，也不显示）")
        frame.loc[found, col] = masked
        _fix(status, found)


# Every match of MOBILE_IN holds a match of this RE2 pattern: its core (1[3-9]\d(?:[\s-]?\d{4}){2}) with \d as
# \p{Nd} and \s as every character Python's str.isspace names.
_MOBILE_CORE_RE2 = r"1[3-9]\p{Nd}(?:[\t\n\x{0b}\f\r\x{1c}-\x{1f} \x{85}\p{Z}-]?\p{Nd}{4}){2}"


def _may_hold_mobile(values: pd.Series) -> bool:
    """False when no cell of a text column can hold a mobile number (:data:`MOBILE_IN`)."""
    return _may_hold(values, _MOBILE_CORE_RE2, MOBILE_IN)


def _may_hold(values: pd.Series, re2: str, pattern: re.Pattern) -> bool:
    """False when no cell of a text column can hold a match of ``pattern``: Arrow text is searched by the RE2
    pattern ``re2`` (every match of ``pattern`` holds one), without a Python string per cell; other columns
    are joined and searched by ``pattern``.  True means: look cell by cell."""
    if isinstance(values.array, pd.arrays.ArrowStringArray):
        import pyarrow as pa
        import pyarrow.compute as pc

        return pc.any(pc.match_substring_regex(pa.array(values.array), re2)).as_py() is True
    return bool(pattern.search("\n".join(values.tolist())))


def _clean_text(ctx: _Context) -> None:
    """Strip control characters (NUL breaks PostgreSQL) and fit values to the database columns
    (:data:`mapping.ingest.limits.FIELD_LIMITS`): longer text is cut, a longer 客户编号 rejects its row."""
    frame, issues, status = ctx.frame, ctx.issues, ctx.status
    for col in frame.columns:
        values = frame[col]
        bad = values.str.contains(_CONTROL_RE, regex=True)
        if bad.any():
            cleaned = values[bad].str.replace(_CONTROL_RE, "", regex=True)
            issues.add(bad[bad].index, col, values[bad].map(lambda v: _CONTROL_RE.sub("?", v)[:200]), "含控制字符",
                       "已删除", f"{S.COLUMN_LABELS.get(col, col)}含有不可见的控制字符（如空字符），已删除")
            frame.loc[bad, col] = cleaned
            _fix(status, bad)
    for col, (_, limit) in L.FIELD_LIMITS.items():
        if col not in frame.columns:
            continue
        values = frame[col]
        long = values.str.len() > limit
        if not long.any():
            continue
        label = S.COLUMN_LABELS.get(col, col)
        shown = values[long].str.slice(0, 60) + "…"
        if col in L.REJECT_TOO_LONG:
            issues.add(long[long].index, col, shown, f"{label}过长", "拒绝",
                       f"{label}超过 {limit} 个字符，截断后可能和别的客户混淆，这一行未导入；请核对这一列是否选对")
            _reject(status, long)
        else:
            issues.add(long[long].index, col, shown, f"{label}过长", "已截断",
                       f"{label}超过 {limit} 个字符，已截断为前 {limit} 个字符")
            frame.loc[long, col] = values[long].str.slice(0, limit)
            _fix(status, long)


def _canonical_frame(table: Table, mapping: dict[str, str]) -> pd.DataFrame:
    src = table.frame
    data = {}
    for col in S.CANONICAL_COLUMNS:
        if col == S.ID_NUMBER:  # read only to derive 籍贯, when the user asked for it
            continue
        header = mapping.get(col)
        data[col] = _cells_text(src[header]) if header else pd.Series("", index=src.index, dtype=object)
    return pd.DataFrame(data, index=src.index)


def _cells_text(column: pd.Series) -> pd.Series:
    """``column.map(_cell_text)``; a column of text only (every CSV) is stripped in one vectorised step."""
    if isinstance(column.array, pd.arrays.ArrowStringArray) and not column.hasnans:
        import pyarrow.compute as pc  # Python's str.strip: trims exactly the characters str.isspace() names

        cells = column.array.__arrow_array__()
        trimmed = pc.utf8_trim(cells, characters=_PY_WHITESPACE)
        if pc.sum(pc.binary_length(trimmed)) == pc.sum(pc.binary_length(cells)):  # nothing to trim (the usual
            return pd.Series(column.array, index=column.index)  # case): the file's cells, not a second copy
        return pd.Series(pd.array(trimmed, dtype="str"), index=column.index)
    if len(column) and pd.api.types.infer_dtype(column, skipna=False) == "string":
        # Python's str.strip on each value (as _cell_text), not Arrow's default trim: their whitespace differs
        stripped = pd.Series(column.to_numpy(dtype=object), index=column.index, dtype=object).str.strip()
        return stripped.astype("str")  # the dtype map() infers for all-text results
    return column.map(_cell_text)


_PY_WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())  # none above U+3000
_TOTAL_RE = re.compile(r"^(合计|总计|小计|汇总|共计|total)\s*[:：]?", re.IGNORECASE)


def _drop_blank_rows(table: Table, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[int], list[int]]:
    """Drop empty rows and 合计/小计 rows (no 到访日期, a cell starting 合计); return them apart."""
    empty = frame.eq("").all(axis=1)
    candidates = frame.index[~empty & (frame[S.VISIT_DATE] == "")]
    raw = table.frame.loc[candidates].map(_cell_text) if len(candidates) else pd.DataFrame()
    total = [p for p in candidates if raw.loc[p].str.match(_TOTAL_RE).any()]
    empty_rows = [table.row_number(int(p)) for p in np.flatnonzero(empty.to_numpy())]
    keep = ~empty & ~frame.index.isin(total)
    return frame[keep.to_numpy()], empty_rows, total


def _reject(status: pd.Series, mask: pd.Series) -> None:
    status[mask[mask].index] = REJECTED


def _fix(status: pd.Series, mask: pd.Series) -> None:
    idx = mask[mask].index
    status[idx] = status[idx].where(status[idx] == REJECTED, FIXED)


_DATE_RE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")
_COMPACT_DATE_RE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
_SERIAL_RE = re.compile(r"^\s*\d{5}(?:\.\d+)?\s*$")


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse dates as people type them.  Returns (dates, was_excel_serial).

    Accepts 2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日, 20240305, ISO date-times
    and Excel serial numbers (45356).  Unparseable values become NaT.  Each distinct
    value is parsed once (a column holds a few hundred distinct days at most).
    """
    codes, uniques = pd.factorize(values.fillna("").astype(str), use_na_sentinel=False)
    if len(uniques) == len(values):
        return _parse_dates(values)
    dates, serial = _parse_dates(pd.Series(uniques, dtype=object))
    return (pd.Series(dates.to_numpy(dtype=object)[codes], index=values.index, dtype=object),
            pd.Series(serial.to_numpy(dtype=bool)[codes], index=values.index, dtype=bool))


def _parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    text = values.fillna("").astype(str).str.strip()
    parts = text.str.extract(_DATE_RE)
    compact = text.str.extract(_COMPACT_DATE_RE)
    parts = parts.fillna(compact)
    dates = pd.to_datetime(
        pd.DataFrame({"year": pd.to_numeric(parts[0]), "month": pd.to_numeric(parts[1]),
                      "day": pd.to_numeric(parts[2])}),
        errors="coerce",
    )
    serial = text.str.match(_SERIAL_RE) & dates.isna()
    if serial.any():
        numbers = pd.to_numeric(text[serial], errors="coerce")
        ok = numbers.between(20000, 80000)
        converted = pd.to_datetime(numbers[ok], unit="D", origin="1899-12-30").dt.normalize()
        dates.loc[converted.index] = converted
        serial = serial & dates.notna()
    out = pd.Series(dates.dt.date.astype(object), index=values.index)
    out[dates.isna().to_numpy()] = None
    return out, serial


def _dates(frame, col, issues, status, required: bool) -> pd.Series:
    dates, serial = parse_dates(frame[col])
    given = frame[col] != ""
    bad = given & dates.isna()
    label = S.COLUMN_LABELS[col]
    if bad.any():
        issues.add(bad[bad].index, col, frame[col][bad], f"{label}无法识别", "拒绝" if required else "已清空",
                   f"{label}无法识别，请写成 2024-03-05 或 2024/3/5 这样的日期")
        (_reject if required else _fix)(status, bad)
    if required:
        missing = ~given
        if missing.any():
            issues.add(missing[missing].index, col, frame[col][missing], f"{label}为空", "拒绝",
                       f"{label}为空，这是必填项")
            _reject(status, missing)
    if serial.any():
        issues.add(serial[serial].index, col, frame[col][serial], "Excel 日期序号", "已转换",
                   f"{label}是 Excel 日期序号，已转换为日期")
        _fix(status, serial)
    return dates


def _resolve(ctx: _Context, field: str, col: str, allowed: list[str], project_map: dict[str, str],
             listed=None) -> tuple[V.Resolved, pd.Series]:
    """Resolve one category column; list its unknown values (those ``listed`` selects, by default all)."""
    resolved = V.resolve(ctx.frame[col], field, allowed, project_map)
    unknown = resolved.source == V.UNKNOWN
    keys = resolved.key[unknown]
    for key, rows in keys.groupby(keys).groups.items():
        suggestion = resolved.suggestions.get(key, "")
        if listed is None or listed(suggestion):
            ctx.unknowns.add(field, ctx.frame[col][rows], [ctx.table.row_number(p) for p in rows], suggestion,
                             V.choices(field, ctx.product_lines))
    return resolved, unknown


def _provisional(resolved: V.Resolved, unknown: pd.Series, fallback: str | None) -> pd.Series:
    """The suggestion for unknown rows, or ``fallback`` when there is none."""
    keys = resolved.key
    # one lookup per distinct unknown key, not a Python call per row (rows that are not unknown keep their value)
    suggested = keys.map({k: resolved.suggestions.get(k) or fallback for k in pd.unique(keys[unknown])})
    return resolved.value.where(~unknown, suggested)


def _product_lines(ctx: _Context, col: str) -> pd.Series:
    maps = ctx.value_maps
    project_map = {**maps.get(S.PRODUCT_LINE, {}), **(maps.get(col, {}) if col != S.PRODUCT_LINE else {})}
    allowed = V.choices(V.LINE_FIELD, ctx.product_lines)
    resolved, unknown = _resolve(ctx, V.LINE_FIELD, col, allowed, project_map)
    values, label = ctx.frame[col], S.COLUMN_LABELS[col]
    mapped = _provisional(resolved, unknown, V.OTHER_LINE)
    if unknown.any():
        lines = "/".join(ctx.product_lines)
        for target, rows in mapped[unknown].groupby(mapped[unknown]).groups.items():
            ctx.issues.add(rows, col, values[rows], "业态未识别", f"暂记为「{target}」",
                           f"{label}不是本项目的业态（{lines}），暂记为「{target}」；请在「未识别的取值」里确认")
        _fix(ctx.status, unknown)
    synonym = (resolved.source == V.DEFAULT) & (mapped != values)
    if synonym.any():
        ctx.issues.add(synonym[synonym].index, col, values[synonym] + " → " + mapped[synonym], "业态同义词", "已统一",
                       f"{label}同义词已统一")
        _fix(ctx.status, synonym)
    return mapped.fillna("")


def _intentions(ctx: _Context) -> pd.Series:
    allowed = list(S.INTENTION_GRADES)
    resolved, unknown = _resolve(ctx, V.INTENTION_FIELD, S.INTENTION, allowed, ctx.value_maps.get(S.INTENTION, {}))
    if unknown.any():
        ctx.issues.add(unknown[unknown].index, S.INTENTION, ctx.frame[S.INTENTION][unknown], "意向等级未识别",
                       "暂留空", "意向等级应为 A/B/C/D，暂留空；请在「未识别的取值」里确认")
        _fix(ctx.status, unknown)
    return resolved.value.where(~unknown, "").fillna("")


def _channels(ctx: _Context) -> pd.Series:
    """Channels are free text: kept as typed unless the project mapped them; only spellings
    close to a canonical channel are listed."""
    resolved, unknown = _resolve(ctx, V.CHANNEL_FIELD, S.CHANNEL, list(S.CHANNELS), ctx.value_maps.get(S.CHANNEL, {}),
                                 listed=bool)
    return resolved.value.where(~unknown, ctx.frame[S.CHANNEL]).fillna("")


def _teams(ctx: _Context) -> pd.Series:
    """拓客人员/团队 as typed (phones in it already masked), or what the project's value map for
    ``team`` makes of a spelling (「链家金桥」→「链家金桥店」); never listed as unknown."""
    values, project_map = ctx.frame[S.TEAM], ctx.value_maps.get(S.TEAM, {})
    if not project_map or not (values != "").any():
        return values
    resolved = V.resolve(values, V.TEAM_FIELD, [], project_map)
    return resolved.value.where(resolved.source == V.PROJECT, values).fillna("")


def _note_unread_wants(ctx: _Context) -> None:
    """意向面积 / 意向总价 values :func:`mapping.segments.bands.read` cannot read: kept as written (they count as
    「未填/无法识别」 in every band table), each listed in the report with the reason and what to do."""
    for col, kind in ((S.AREA_WANT, "area"), (S.PRICE_WANT, "price")):
        values = ctx.frame[col]
        given = (values != "").to_numpy()
        if not given.any():
            continue
        read = SB.read(values[given], kind)
        bad = (read["原因"] != "").to_numpy()
        if not bad.any():
            continue
        label = S.COLUMN_LABELS[col]
        given_index = values.index[given]  # read's rows are the given values, numbered from 0
        for (reason, action), at in read[bad].groupby(["原因", "怎么办"], sort=False).groups.items():
            positions = given_index[np.asarray(at)]
            ctx.issues.add(positions, col, values[positions], f"{label}无法识别", "保留原值",
                           f"{reason}：{action}；原值已保留，分段时计入「{SB.UNREAD}」")


def _hometown(ctx: _Context, header: str | None, derive: bool) -> pd.Series:
    """The 籍贯 code of each row ("" where none): a 6-digit city code, the province code for 北京/天津/上海/重庆
    and for a number that names only its province.  The ID numbers are read here and nowhere else, only
    when ``derive``; without it, one report line says the column was ignored and why."""
    empty = pd.Series("", index=ctx.frame.index, dtype=object)
    if not header:
        return empty
    if not derive:
        ctx.issues.add_column_note(S.ID_NUMBER, ID_HIDDEN, "身份证号未读取", "已忽略",
                                   "没有勾选「从身份证号推导籍贯」：按个人信息保护法「最小必要」，身份证号整列不读取、不保存，"
                                   "本次导入的客户籍贯为空（以前推导过的也会清空）；需要籍贯分析时勾选后再导入一次")
        return empty
    cells = ctx.table.frame[header].loc[ctx.frame.index]
    derived = HT.derive(_cells_text(cells))  # codes only, no number
    codes = _hometown_codes(derived["province_code"], derived["city_code"])
    status, reason = derived["status"].astype(str).to_numpy(), derived["reason"].astype(str).to_numpy()
    bad = (status == HT.UNREAD) & (reason != "未填")
    if bad.any() and cells.dtype == object:  # Excel keeps 15 digits of a number: the rest of the ID is lost
        numeric = np.fromiter((isinstance(v, (int, float)) and not isinstance(v, bool) for v in cells),
                              dtype=bool, count=len(cells))
        reason = np.where(bad & numeric, _EXCEL_NUMBER, reason)
    for why in pd.unique(reason[bad]):
        at = ctx.frame.index[bad & (reason == why)]
        ctx.issues.add(at, S.ID_NUMBER, [ID_HIDDEN] * len(at), "身份证号无法识别", "籍贯留空",
                       f"身份证号{why}；这一行的籍贯留空（号码不显示、不保存），其余照常导入")
    return pd.Series(codes, index=ctx.frame.index, dtype=object)


def _hometown_codes(province: pd.Series, city: pd.Series) -> np.ndarray:
    """Per row the stored 籍贯 code from :func:`~mapping.segments.hometown.derive`'s categorical columns: the city
    code, else (a municipality, or a number naming only its province) the province code; worked out once per
    distinct (province, city) pair."""
    pairs = pd.DataFrame({"p": province.astype(object), "c": city.astype(object)}).fillna("")
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(pairs))
    chosen = np.array([p if (p[:2] in _MUNICIPALITIES or not c) else c for p, c in uniques] + [""], dtype=object)
    return chosen[codes]


_MUNICIPALITIES = ("11", "12", "31", "50")  # 北京 天津 上海 重庆: 籍贯 is the municipality (310000)
_EXCEL_NUMBER = ("在 Excel 里被存成了数字（Excel 只保留 15 位有效数字，后几位已丢失）；请把这一列设成「文本」"
                 "后重新导出")


def _stages(ctx: _Context, deal_dates: pd.Series, sign_dates: pd.Series) -> pd.Series:
    """The stage of each row from 客户状态 and 是否成交 (the later one; 退房 wins); without
    either, 签约 when a 签约日期 is given, 认购 when a 成交日期 is, else 来访; "" when a
    status is unknown and nothing suggests a stage."""
    parts, unresolved = [], pd.Series(False, index=ctx.frame.index)
    for col in (S.STAGE, S.DEAL):
        resolved, unknown = _resolve(ctx, V.STAGE_FIELD, col, list(S.STAGES), ctx.value_maps.get(S.STAGE, {}))
        value = _provisional(resolved, unknown, None)
        if unknown.any():
            for target, rows in value[unknown].fillna("").groupby(value[unknown].fillna("")).groups.items():
                what = f"暂记为「{target}」" if target else "暂不计成交"
                ctx.issues.add(rows, col, ctx.frame[col][rows], "客户状态未识别", what,
                               f"{S.COLUMN_LABELS[col]}不是已知的状态，{what}；请在「未识别的取值」里选它对应的阶段")
            _fix(ctx.status, unknown)
        parts.append(value)
        unresolved |= unknown & value.isna()
    stage = V.combine_stages(*parts)
    implied = np.select([sign_dates.notna(), deal_dates.notna()], [S.STAGE_SIGN, S.STAGE_SUBSCRIBE], S.STAGE_VISIT)
    missing = stage.isna()
    stage = stage.where(~missing, pd.Series(implied, index=stage.index, dtype=object))
    return stage.where(~(missing & unresolved), "")


def _stage_dates(stage: pd.Series, visit: pd.Series, deal: pd.Series, sign: pd.Series) -> pd.Series:
    """The date a row reached its stage: 签约日期 (else 成交日期) for 签约, 成交日期 (else 签约日期)
    for 认筹/认购/退房, the visit date for 来访."""
    deal_first = deal.where(deal.notna(), sign)
    sign_first = sign.where(sign.notna(), deal)
    conditions = [stage.eq(S.STAGE_SIGN).to_numpy(), stage.isin((S.STAGE_PLEDGE, S.STAGE_SUBSCRIBE, S.STAGE_REFUND)).to_numpy(),
                  stage.eq(S.STAGE_VISIT).to_numpy()]
    choices = [sign_first.to_numpy(object), deal_first.to_numpy(object), visit.to_numpy(object)]
    out = pd.Series(np.select(conditions, choices, default=None), index=stage.index, dtype=object)
    return out.where(out.notna(), None)


def _amounts(frame, issues, status) -> pd.Series:
    values = frame[S.DEAL_AMOUNT].str.replace(r"[,，\s万元¥￥]", "", regex=True)
    numbers = pd.to_numeric(values, errors="coerce")
    bad = (frame[S.DEAL_AMOUNT] != "") & (numbers.isna() | (numbers < 0))
    if bad.any():
        issues.add(bad[bad].index, S.DEAL_AMOUNT, frame[S.DEAL_AMOUNT][bad], "成交金额无效", "已清空",
                   "成交金额不是有效数字，已留空")
        _fix(status, bad)
    return numbers.where(~bad)


def _locations(frame, out, issues, status, default_crs) -> None:
    crs_raw = frame[S.COORD_SYSTEM]
    crs = crs_raw.map(functools.lru_cache(maxsize=None)(normalise_crs))  # a few labels, repeated on every row
    unknown_crs = (crs_raw != "") & crs.isna()
    has_any_coord = pd.Series(False, index=frame.index)
    for dim in S.DIMENSIONS:
        lng_c, lat_c, txt_c = S.lng_col(dim), S.lat_col(dim), S.text_col(dim)
        out[txt_c] = frame[txt_c]
        lng = pd.to_numeric(frame[lng_c], errors="coerce")
        lat = pd.to_numeric(frame[lat_c], errors="coerce")
        given = (frame[lng_c] != "") | (frame[lat_c] != "")
        not_number = given & (lng.isna() | lat.isna())
        if not_number.any():
            issues.add(not_number[not_number].index, lng_c,
                       frame[lng_c][not_number] + "," + frame[lat_c][not_number], "经纬度不完整", "忽略坐标",
                       f"{S.DIMENSION_LABELS[dim]}经纬度不完整或不是数字，已忽略坐标（文字地址保留）")
            _fix(status, not_number)
        numeric = given & ~not_number
        swapped = numeric & pd.Series(looks_swapped(lng, lat), index=frame.index)
        if swapped.any():
            issues.add(swapped[swapped].index, lng_c, frame[lng_c][swapped] + "," + frame[lat_c][swapped],
                       "经纬度填反", "已交换", f"{S.DIMENSION_LABELS[dim]}经纬度填反了，已自动交换")
            _fix(status, swapped)
            lng, lat = lng.where(~swapped, lat), lat.where(~swapped, lng)
        outside = numeric & ~pd.Series(in_china(lng, lat), index=frame.index)
        if outside.any():
            issues.add(outside[outside].index, lng_c, frame[lng_c][outside] + "," + frame[lat_c][outside],
                       "坐标超出范围", "忽略坐标", f"{S.DIMENSION_LABELS[dim]}坐标超出范围（经度应在 73~136、纬度在 3~54 之间），已忽略坐标")
            _fix(status, outside)
        keep = numeric & ~outside & ~unknown_crs
        out[lng_c] = lng.where(keep)
        out[lat_c] = lat.where(keep)
        has_any_coord |= keep | (numeric & ~outside & unknown_crs)
    if (unknown_crs & has_any_coord).any():
        m = unknown_crs & has_any_coord
        issues.add(m[m].index, S.COORD_SYSTEM, crs_raw[m], "坐标系无法识别", "忽略坐标",
                   "坐标系无法识别（应为 WGS84/GCJ02/BD09 或 高德/百度/GPS），这一行的坐标已忽略，文字地址保留")
        _fix(status, m)
    defaulted = has_any_coord & (crs_raw == "")
    if defaulted.any():
        issues.add(defaulted[defaulted].index, S.COORD_SYSTEM, crs_raw[defaulted], "坐标系为空", f"按 {default_crs}",
                   f"坐标系为空，按导入时选择的默认坐标系 {default_crs} 处理")
        _fix(status, defaulted)
    out[S.COORD_SYSTEM] = crs.where(~defaulted, default_crs).where(has_any_coord & ~unknown_crs, "").fillna("")


def _check_deal_consistency(out, issues, status) -> None:
    early = out[S.DEAL] & out[S.DEAL_DATE].notna() & out[S.VISIT_DATE].notna()
    early = early & (out[S.DEAL_DATE].where(early) < out[S.VISIT_DATE].where(early)).fillna(False).astype(bool)
    if early.any():
        issues.add(early[early].index, S.DEAL_DATE, out[S.DEAL_DATE][early], "成交日期早于到访日期", "保留",
                   "成交日期早于到访日期，请核对（已按原样导入）")
        _fix(status, early)


def as_text(values: pd.Series) -> pd.Series:
    """Text of each value, "" for missing ones (pandas 3 ``astype(str)`` keeps NaN)."""
    return values.astype(object).where(values.notna(), "").astype(str)


def visitor_keys(out: pd.DataFrame, key: bytes, weak_phone: pd.Series | None = None) -> pd.Series:
    """Stable key of a visitor: 客户编号, else the phone hash, else a keyed hash of the row.

    A phone the file already masked (138****5678, ``weak_phone``) is shared by many people,
    so it does not key a visitor on its own: it joins the row hash instead.  The row hash is
    made from the unkeyed digests (``name_digest``, ``phone_digest`` of :func:`protect`) and
    then keyed, like the phone hash, so stored keys can be re-keyed (migration 0006):
    ``ph:`` + keyed phone digest, ``row:`` + keyed row digest (40 hex).
    """
    code = out[S.VISITOR_ID].fillna("").astype(str)
    weak = pd.Series(False, index=out.index) if weak_phone is None else weak_phone.reindex(out.index, fill_value=False)
    by_phone = (out["phone_hash"] != "") & ~weak
    keys = ("id:" + code.str.slice(0, 100)).where(code != "", "ph:" + out["phone_hash"])
    need = ((code == "") & ~by_phone).to_numpy()
    if need.any():  # the row hash, only for the rows keyed by it
        rows = out[need]
        parts = [as_text(rows[c]) for c in ("name_digest", S.VISIT_DATE, "home_text", "work_text")]
        text = parts[0] + "|" + parts[1] + "|" + parts[2] + "|" + parts[3]
        text = text.where(~weak[need], text + "|" + rows["phone_digest"])
        digests = [hashlib.sha256(v.encode()).hexdigest()[:40] for v in text.tolist()]
        keys[need] = ["row:" + h for h in rekey_many(digests, key, 40)]
    return keys


def _duplicates(table, out, issues, status) -> None:
    keys = out["visitor_key"].where(status != REJECTED, "")
    dup = (keys != "") & keys.duplicated(keep="last")
    if dup.any():
        last_row = {v: table.row_number(i) for i, v in keys[keys != ""].items()}
        for pos in dup[dup].index:
            canonical, reason = duplicate_reason(keys[pos], last_row[keys[pos]])
            value = out.at[pos, S.VISITOR_ID] if canonical == S.VISITOR_ID else out.at[pos, "phone_masked"]
            issues.add([pos], canonical, [value], "客户重复", "拒绝", reason)
        _reject(status, dup)


def duplicate_reason(key: str, last_row: int) -> tuple[str, str]:
    """The column a duplicate's report line names (its 客户编号, else its phone: what its ``visitor_key`` was
    made from) and the reason, for a row that row ``last_row`` of the same visitor supersedes.

    >>> duplicate_reason("id:A1", 9)
    ('visitor_id', '客户编号重复，以后出现的第 9 行为准')
    """
    what = "客户编号" if key.startswith("id:") else "手机号" if key.startswith("ph:") else "整行内容"
    return (S.VISITOR_ID if what == "客户编号" else S.PHONE), f"{what}重复，以后出现的第 {last_row} 行为准"


def _report(issues: _Issues, table: Table, mapping: dict[str, str]) -> pd.DataFrame:
    reported = [h for h in dict.fromkeys(row[1] for row in issues.rows) if h in table.frame.columns]
    pii_headers = pii_columns(table.frame[reported], mapping)  # only the columns the report quotes
    rows = []
    for pos, header, value, kind, action, reason in issues.rows:
        masker = pii_headers.get(header)
        number = table.header_row if pos == _HEADER_POSITION else table.row_number(pos)
        rows.append((number, header, masker(value) if masker else value, kind, action, reason))
    report = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    return report.sort_values(["行号", "列"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- helpers
def file_digest(data: bytes) -> str:
    """SHA-256 of a file's bytes, to record which file an import came from."""
    return hashlib.sha256(data).hexdigest()


def rejected_rows(table: Table, result: IngestResult, mapping: dict[str, str]) -> pd.DataFrame:
    """The rejected rows as they were in the file (PII masked), with row number and reasons,
    so the user can fix them and import again."""
    rejected = result.row_status[result.row_status == REJECTED].index
    frame = mask_frame(table.frame.loc[rejected], mapping)  # every phone or name column, mapped or not
    numbers = [table.row_number(p) for p in rejected]
    reasons = result.report.groupby("行号")["原因"].agg("；".join)
    frame.insert(0, "原行号", numbers)
    frame.insert(1, "拒绝原因", [reasons.get(n, "") for n in numbers])
    return frame.reset_index(drop=True)
