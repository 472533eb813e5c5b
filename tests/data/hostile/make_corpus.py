"""Hostile visitor files, generated at test time (no binaries in the repository).

``corpus()`` returns {filename: bytes}; ``BOMBS`` names those that must be refused from
the file's metadata, before any cell is read.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile

import openpyxl
import xlwt
from xlwt.CompoundDoc import XlsDoc

HEADERS = ["客户编号", "姓名", "手机", "到访日期", "意向业态", "居住区域", "渠道", "行业"]
ROWS = [
    ["C1", "张三丰", "13812345678", "2024-03-05", "公寓", "浦东", "自然到访", "金融"],
    ["C2", "李四", "13912345678", "2024/3/6", "洋房", "徐汇区", "中介", "教育"],
]


def _csv(rows, sep=",", nl="\n", encoding="utf-8") -> bytes:
    return nl.join(sep.join(str(c) for c in r) for r in rows).encode(encoding) + nl.encode(encoding)


def _xlsx(rows, title="客户", extra=None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    if extra:
        extra(ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rewrite_sheet(data: bytes, edit) -> bytes:
    """The same workbook with sheet1.xml replaced by ``edit(old_xml)``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = edit(body)
            dst.writestr(info.filename, body)
    return out.getvalue()


def _dim(xml: bytes, new: bytes) -> bytes:
    out, n = re.subn(rb'<dimension ref="[^"]*"\s*/>', new, xml)
    assert n == 1
    return out


def _sparse_bomb() -> bytes:
    def edit(xml):
        xml = _dim(xml, b'<dimension ref="A1:XFD1048576"/>')
        return xml.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')
    return _rewrite_sheet(_xlsx([HEADERS, *ROWS]), edit)


def _hidden_far_cell() -> bytes:  # declares A1:H3 but holds a cell at XFD1048576
    def edit(xml):
        return xml.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')
    return _rewrite_sheet(_xlsx([HEADERS, *ROWS]), edit)


def _declared_dense() -> bytes:  # 900,000 × 8: beyond the row cap, declared only
    return _rewrite_sheet(_xlsx([HEADERS, *ROWS]),
                          lambda xml: _dim(xml, b'<dimension ref="A1:H900000"/>'))


def _wide_columns() -> bytes:
    return _rewrite_sheet(_xlsx([HEADERS, *ROWS]),
                          lambda xml: _dim(xml, b'<dimension ref="A1:ZZZ9000"/>'))


def _zip_bomb() -> bytes:
    data = _xlsx([HEADERS, *ROWS])
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        dst.writestr("xl/media/padding.bin", b"\0" * (60 * 1024 * 1024))  # ~60 KB compressed
    return out.getvalue()


def _merged_only() -> bytes:
    def extra(ws):
        ws.merge_cells("A1:H10")
    return _xlsx([], extra=extra)


def _formulas() -> bytes:
    rows = [HEADERS, ["C1", "=1+1", "13812345678", "2024-03-05", '=HYPERLINK("http://x","公寓")', "浦东", "=A1&B1", "金融"]]
    return _xlsx(rows)


def _xls_stream(rows, far=False) -> bytes:
    """The BIFF8 Workbook stream xlwt writes for ``rows`` (and a cell at IV65536 when ``far``)."""
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("客户")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            ws.write(r, c, value)
    if far:
        ws.write(65535, 255, 1)
    return wb.get_biff_data()


def _ole(stream: bytes) -> bytes:
    buf = io.BytesIO()
    XlsDoc().save(buf, stream)
    return buf.getvalue()


def _set_dimensions(stream: bytes, rows: int, cols: int) -> bytes:
    i = stream.find(b"\x00\x02\x0e\x00")  # DIMENSIONS, 14 bytes
    assert i > 0
    return stream[: i + 4] + struct.pack("<IIHHH", 0, rows, 0, cols, 0) + stream[i + 18 :]


def _xls(rows, far=False, dims=None) -> bytes:
    stream = _xls_stream(rows, far)
    return _ole(_set_dimensions(stream, *dims) if dims else stream)


def _xls_dense_blanks(rows=20_000, cols=256) -> bytes:
    """Formatted-but-empty cells, as Excel writes them (MULBLANK), over 20,000 × 256: 5.1 M cells, ~10 MB."""
    stream = _xls_stream([HEADERS, *ROWS])
    blanks = b"".join(
        struct.pack("<HHHH", 0x00BE, 6 + 2 * cols, r, 0) + b"\x0f\x00" * cols + struct.pack("<H", cols - 1)
        for r in range(3, rows)
    )
    end = stream.rindex(b"\x0a\x00\x00\x00")  # the sheet's EOF
    return _ole(stream[:end] + blanks + stream[end:])


def _xls_encrypted() -> bytes:
    stream = _xls_stream([HEADERS, *ROWS])
    end = stream.index(b"\x09\x08", 0) + 4 + struct.unpack_from("<H", stream, 2)[0]  # after the globals' BOF
    filepass = struct.pack("<HHH", 0x002F, 2, 0)
    # the sheet moves by len(filepass): fix its BOUNDSHEET offset
    out = bytearray(stream[:end] + filepass + stream[end:])
    i = out.index(b"\x85\x00")
    offset = struct.unpack_from("<I", out, i + 4)[0]
    struct.pack_into("<I", out, i + 4, offset + len(filepass))
    return _ole(bytes(out))


def _broken_sheet_offset(stream: bytes) -> bytes:
    out = bytearray(stream)
    struct.pack_into("<I", out, out.index(b"\x85\x00") + 4, 0x7FFFFFF0)  # BOUNDSHEET points past the end
    return bytes(out)


def corpus() -> dict[str, bytes]:
    good = _xlsx([HEADERS, *ROWS])
    long_row = ["C9" + "9" * 150, "赵六", "13600000000", "2024-03-09", "公寓", "浦东", "渠" * 200, "行" * 100]
    files = {
        "sparse_bomb_XFD1048576.xlsx": _sparse_bomb(),
        "hidden_far_cell.xlsx": _hidden_far_cell(),
        "declared_900k_rows.xlsx": _declared_dense(),
        "declared_ZZZ_columns.xlsx": _wide_columns(),
        "zip_bomb_entry.xlsx": _zip_bomb(),
        "corrupt_zip.xlsx": b"PK\x03\x04" + bytes(range(256)) * 4,
        "truncated.xlsx": good[: len(good) // 2],
        "malformed_sheet_xml.xlsx": _rewrite_sheet(good, lambda x: x.replace(b"</sheetData>", b"<row><c r=")),
        "html_renamed.xlsx": "<html><body><table><tr><td>客户</td></tr></table></body></html>".encode(),
        "html_export.xls": "<!DOCTYPE html><html><table><tr><td>到访日期</td></tr></table></html>".encode(),
        "pdf_renamed.xlsx": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n",
        "empty.csv": b"",
        "empty.xlsx": b"",
        "empty_sheet.xlsx": _xlsx([]),
        "only_headers.csv": _csv([HEADERS]),
        "only_headers.xlsx": _xlsx([HEADERS]),
        "cr_only.csv": _csv([HEADERS, *ROWS], nl="\r"),
        "mixed_line_endings.csv": (_csv([HEADERS]) + _csv([ROWS[0]], nl="\r\n") + _csv([ROWS[1]], nl="\r")),
        "nul_bytes.csv": _csv([HEADERS, ["C1", "张\x00三", "13812345678", "2024-03-05", "公寓", "浦东", "自然\x00到访", "金融"]]),
        "control_chars.csv": _csv([HEADERS, ["C1", "张三", "13812345678", "2024-03-05", "公寓", "浦东\x07", "自然\x1b到访", "金\x0b融"]]),
        "big5.csv": _csv([["客戶編號", "姓名", "手機", "到訪日期", "居住區域"], ["C1", "張三豐", "13812345678", "2024-03-05", "臺北市信義區"]],
                         encoding="big5"),
        "utf16le_bom.csv": b"\xff\xfe" + _csv([HEADERS, *ROWS], encoding="utf-16-le"),
        "utf16be_bom.csv": b"\xfe\xff" + _csv([HEADERS, *ROWS], encoding="utf-16-be"),
        "utf16le_nobom.csv": _csv([HEADERS, *ROWS], encoding="utf-16-le"),
        "utf16be_nobom.csv": _csv([HEADERS, *ROWS], encoding="utf-16-be"),
        "utf16_truncated_odd.csv": (b"\xff\xfe" + _csv([HEADERS, *ROWS], encoding="utf-16-le"))[:-1],
        "gb18030.csv": _csv([HEADERS, *ROWS], encoding="gb18030"),
        "cell_100kb.csv": _csv([HEADERS, ["C1", "张三", "13812345678", "2024-03-05", "公寓", "浦东" * 50_000, "", ""]]),
        "cell_200kb.csv": _csv([HEADERS, ["C1", "张三", "13812345678", "2024-03-05", "公寓", '"' + "x" * 200_000 + '"', "", ""]]),
        "cell_100kb.xlsx": _xlsx([HEADERS, ["C1", "张三", "13812345678", "2024-03-05", "公寓", "浦东" * 16_000, "", ""]]),
        "formulas.xlsx": _formulas(),
        "header_row_15.csv": _csv([["导出报表"]] + [[f"说明{i}"] for i in range(13)] + [HEADERS, *ROWS]),
        "header_row_15.xlsx": _xlsx([["导出报表"]] + [[f"说明{i}"] for i in range(13)] + [HEADERS, *ROWS]),
        "duplicated_headers.csv": _csv([HEADERS + ["手机", "到访日期"], *(r + ["13800000000", "2024-01-01"] for r in ROWS)]),
        "second_phone_column.csv": _csv([HEADERS + ["备用电话"], *(r + ["13700000000"] for r in ROWS)]),
        "very_long_values.csv": _csv([HEADERS, ROWS[0], long_row]),
        "very_long_values.xlsx": _xlsx([HEADERS, ROWS[0], long_row]),
        "emoji.csv": _csv([HEADERS, ["C1", "张三😀", "13812345678", "2024-03-05", "公寓🏠", "浦东👍", "抖音🎵", "金融"]]),
        "semicolon.csv": _csv([HEADERS, *ROWS], sep=";"),
        "tab.tsv": _csv([HEADERS, *ROWS], sep="\t"),
        "pipe.txt": _csv([HEADERS, *ROWS], sep="|"),
        "fullwidth_comma.csv": _csv([HEADERS, *ROWS], sep="，"),
        "total_row.csv": _csv([HEADERS, *ROWS, ["合计", "", "", "", "", "", "", "2"]]),
        "merged_only.xlsx": _merged_only(),
        "good.xls": _xls([HEADERS, *ROWS]),
        "xls_sparse_bomb_IV65536.xls": _xls([HEADERS, *ROWS], far=True),
        "xls_hidden_far_cell.xls": _xls([HEADERS, *ROWS], far=True, dims=(3, 8)),
        "xls_declared_65536x256.xls": _xls([HEADERS, *ROWS], dims=(65536, 256)),
        "xls_dense_blanks_20000x256.xls": _xls_dense_blanks(),
        "xls_truncated.xls": _xls([HEADERS, *ROWS])[:3000],
        "xls_encrypted.xls": _xls_encrypted(),
        "xls_broken_sheet_offset.xls": _ole(_broken_sheet_offset(_xls_stream([HEADERS, *ROWS]))),
        "fullwidth_semicolon.csv": _csv([HEADERS, *ROWS], sep="；"),
        "enumeration_comma.txt": _csv([HEADERS, *ROWS], sep="、"),
        "comma_with_fullwidth_in_values.csv": _csv([HEADERS + ["备注"], *(r + ["公寓、洋房，周末再来"] for r in ROWS)]),
        "tsv_gbk_named.xls": _csv([HEADERS, *ROWS], sep="\t", encoding="gb18030"),
        "csv_named.xlsx": _csv([HEADERS, *ROWS]),
        "crm_html_export.xls": ("\ufeff\r\n<html xmlns:o=\"urn:schemas-microsoft-com:office:office\" "
                                "xmlns:x=\"urn:schemas-microsoft-com:office:excel\"><head><meta charset=\"utf-8\"></head>"
                                "<body><table><tr><td>客户编号</td><td>手机</td></tr><tr><td>C1</td>"
                                "<td>13812345678</td></tr></table></body></html>").encode(),
        "html_meta_first_gbk.xls": ("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">"
                                    "<table><tr><td>到访日期</td><td>姓名</td></tr></table>").encode("gb18030"),
        "html_utf16.xls": "<html><table><tr><td>到访日期</td></tr></table></html>".encode("utf-16"),
        "spreadsheetml_2003.xls": ('<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
                                   '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
                                   '<Worksheet ss:Name="客户"><Table><Row><Cell><Data ss:Type="String">到访日期'
                                   '</Data></Cell></Row></Table></Worksheet></Workbook>').encode(),
        "nonsense.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00nonsense" * 100,
        "random_bytes.xls": bytes((i * 37 + 11) % 256 for i in range(4096)),
        "binary.csv": bytes((i * 73 + 5) % 256 for i in range(4096)),
        "xlsx_bytes_named.csv": good,
        "unbalanced_quotes.csv": _csv([HEADERS, ['"C1', "张三", "13812345678", "2024-03-05", "公寓", "浦东", "", ""]]),
        "no_date_column.csv": _csv([["姓名", "手机"], ["张三", "13812345678"]]),
        "whitespace_only.csv": b" \r\n\t \n",
        "bom_only.csv": b"\xef\xbb\xbf",
        "unsupported.pdf": b"%PDF-1.4",
    }
    return files


BOMBS = ("sparse_bomb_XFD1048576.xlsx", "hidden_far_cell.xlsx", "declared_900k_rows.xlsx",
         "declared_ZZZ_columns.xlsx", "zip_bomb_entry.xlsx",
         "xls_sparse_bomb_IV65536.xls", "xls_hidden_far_cell.xls", "xls_declared_65536x256.xls",
         "xls_dense_blanks_20000x256.xls")
