"""Writing tables as CSV and XLSX the way Dutch spreadsheet users expect them.

CSV: semicolon-separated, UTF-8 with a BOM (so Excel opens it right), dates as d-m-yyyy.
XLSX: openpyxl in write-only mode, row by row, a bold frozen header.
Both neutralise text that a spreadsheet would run as a formula (CSV injection).
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO

from crm.lib.clock import local

FORMULA_START = re.compile(r"^[=+\-@\t\r]")
PLAIN_NUMBER = re.compile(r"^[+\-]?[0-9][0-9 ()\-]*$")  # e.g. a phone number "+31 53 481 2000"
ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
FORMATS = ("csv", "xlsx")
MIMETYPES = {
    "csv": "text/csv",  # Flask adds "; charset=utf-8" to text types
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class ExportFile:
    file: IO[bytes]
    rows: int
    filename: str
    mimetype: str


def safe_cell(value):
    """Text a spreadsheet would run as a formula (=, +, -, @) gets a leading apostrophe;
    phone-like numbers are left alone."""
    if isinstance(value, str) and FORMULA_START.match(value) and not PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def _plain(value):
    if isinstance(value, datetime):
        return local(value).replace(tzinfo=None)
    return value


def write_csv(headers: Sequence[str], rows: Iterable[Sequence], target: IO[bytes]) -> int:
    text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, delimiter=";")
    writer.writerow([str(h) for h in headers])
    written = 0
    for row in rows:
        cells = []
        for value in map(_plain, row):
            if isinstance(value, datetime):
                cells.append(value.strftime("%d-%m-%Y %H:%M"))
            elif isinstance(value, date):
                cells.append(value.strftime("%d-%m-%Y"))
            else:
                cells.append("" if value is None else safe_cell(value))
        writer.writerow(cells)
        written += 1
    text.flush()
    text.detach()
    return written


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence], target: IO[bytes], sheet_name: str = "Blad1") -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title in headers:
        cell = WriteOnlyCell(sheet, value=str(title))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    written = 0
    for row in rows:
        cells = []
        for value in map(_plain, row):
            if isinstance(value, date):
                # types-openpyxl leaves out date, which openpyxl writes as a date cell.
                cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]
                cell.number_format = "DD-MM-YYYY HH:MM" if isinstance(value, datetime) else "DD-MM-YYYY"
                cells.append(cell)
            elif isinstance(value, str):
                cells.append(safe_cell(ILLEGAL_XLSX.sub("", value)))
            else:
                cells.append(value)
        sheet.append(cells)
        written += 1
    workbook.save(target)
    return written


def export_file(
    fmt: str, headers: Sequence[str], rows: Iterable[Sequence], basename: str, sheet_name: str = "Blad1"
) -> ExportFile:
    """The table in a temporary file (spooled to disk when large), ready to send."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (the response closes it)
    count = write_csv(headers, rows, target) if fmt == "csv" else write_xlsx(headers, rows, target, sheet_name)
    target.seek(0)
    return ExportFile(file=target, rows=count, filename=f"{basename}.{fmt}", mimetype=MIMETYPES[fmt])
