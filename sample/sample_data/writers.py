"""Write planned rows as file bytes: CSV, XLSX or JSON, deterministically.

Nothing here decides what a row says; it only spells and encodes (variants.py) and lays out bytes. XLSX
workbooks are made with openpyxl and then re-packed: fixed document properties, zip entries in openpyxl's
order with a fixed timestamp and fixed attributes, so the same rows give the same bytes on every run.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile

import openpyxl
from openpyxl.writer.excel import ExcelWriter

from .variants import COLUMNS, FileStyle, JsonNumber, header_names, spell_row

FIXED_TIME = dt.datetime(2024, 4, 23, 9, 0, 0)  # the programme's report date; no clock is read
ZIP_TIME = (2024, 4, 23, 9, 0, 0)


def file_columns(style: FileStyle) -> tuple[str, ...]:
    return tuple(c for c in COLUMNS if c not in style.omit)


def render(style: FileStyle, rows: list, blank_after: int | None) -> bytes:
    """rows: objects with `values` (canonical text by column) and `verbatim` (columns written as given).
    blank_after: put an empty row after this many data rows (csv/xlsx), or None."""
    columns = file_columns(style)
    headers = header_names(style, columns)
    cells = [
        [spell_row({c: row.values[c] for c in columns}, style, row.verbatim, i)[c] for c in columns]
        for i, row in enumerate(rows)
    ]
    if style.kind == "csv":
        return _csv(style, headers, cells, blank_after)
    if style.kind == "xlsx":
        return _xlsx(style, headers, cells, blank_after)
    return _json(style, headers, cells)


def _csv(style: FileStyle, headers: list[str], cells: list[list], blank_after: int | None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=style.delimiter, lineterminator=style.newline)
    writer.writerow(headers)
    for i, row in enumerate(cells):
        writer.writerow(row)
        if blank_after is not None and i + 1 == blank_after:
            writer.writerow([""] * len(headers))  # what Excel writes for an empty row: only delimiters
    return buffer.getvalue().encode(style.encoding)  # cp874 fails loudly on a character it cannot hold


def _xlsx(style: FileStyle, headers: list[str], cells: list[list], blank_after: int | None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "รายงานความก้าวหน้า" if style.headers == "th" else "progress"
    sheet.append(headers)
    for i, row in enumerate(cells):
        sheet.append([None if value == "" else value for value in row])
        if style.typed:
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, dt.datetime):
                    has_time = cell.value.time() != dt.time(0)
                    cell.number_format = "yyyy-mm-dd hh:mm:ss" if has_time else "mmm-yy"
        if blank_after is not None and i + 1 == blank_after:
            sheet.append([None] * len(headers))
    if style.extra_sheet:
        notes = workbook.create_sheet("หมายเหตุ")
        notes.append(["คำอธิบาย / notes"])
        notes.append(["ความก้าวหน้าสะสมเป็นร้อยละ (0-100); เบิกจ่ายสะสมเป็นบาท"])
    return workbook_bytes(workbook)


def workbook_bytes(workbook: openpyxl.Workbook) -> bytes:
    """The workbook as XLSX bytes that do not depend on the clock."""
    props = workbook.properties
    props.creator = "sample_data.generate"
    props.lastModifiedBy = "sample_data.generate"
    props.created = props.modified = FIXED_TIME
    first = io.BytesIO()
    with zipfile.ZipFile(first, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()  # save_workbook() would stamp `modified` with now
    out = io.BytesIO()
    with zipfile.ZipFile(first) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            info.create_system = 3
            target.writestr(info, source.read(entry.filename), compresslevel=6)
    return out.getvalue()


def _json(style: FileStyle, headers: list[str], cells: list[list]) -> bytes:
    """An array of row objects, one per line; numbers of typed styles as JSON number literals."""
    lines = []
    for row in cells:
        members = []
        for key, value in zip(headers, row, strict=True):
            if isinstance(value, JsonNumber):
                text = str(value)
            elif value == "":
                text = "null"
            else:
                text = json.dumps(value, ensure_ascii=False)
            members.append(f"{json.dumps(key, ensure_ascii=False)}: {text}")
        lines.append("  {" + ", ".join(members) + "}")
    text = "[\n" + ",\n".join(lines) + "\n]\n"
    return text.encode(style.encoding)


def corrupt_workbook(complete: bytes) -> bytes:
    """An upload cut off half-way: the start of a real workbook, without the zip's central directory."""
    return complete[: len(complete) // 2]


def scanned_pdf(title: str) -> bytes:
    """A tiny but well-formed PDF: what a city sends when it scans the signed paper report instead."""
    stream = f"BT /F1 12 Tf 72 720 Td ({title}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
