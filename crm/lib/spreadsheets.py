"""Writing tables as CSV and XLSX the way Dutch spreadsheet users expect them.

CSV: semicolon-separated, UTF-8 with a BOM (so Excel opens it right), dates as d-m-yyyy.
XLSX: openpyxl in write-only mode, row by row, a bold frozen header with an autofilter, and
columns as wide as their header and first rows (so nobody has to widen them before reading).
A :class:`Percent` is a percentage cell in Excel (33 -> 0.33 shown as "33%"), "33%" in CSV.
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
from itertools import chain, islice
from typing import IO, Any

from crm.lib.clock import local

FORMULA_START = re.compile(r"^[=+\-@\t\r]")
PLAIN_NUMBER = re.compile(r"^[+\-]?[0-9][0-9 ()\-]*$")  # e.g. a phone number "+31 53 481 2000"
ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
FORMATS = ("csv", "xlsx")
MIMETYPES = {
    "csv": "text/csv",  # Flask adds "; charset=utf-8" to text types
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


# Column widths are measured on the header and this many first rows (the rows are a stream).
WIDTH_SAMPLE_ROWS = 200
MIN_WIDTH, MAX_WIDTH = 6, 60


@dataclass(frozen=True)
class Percent:
    """A whole percentage (33 for 33%); None when there is nothing to divide by ("–")."""

    value: int | float | None

    def __str__(self) -> str:
        return "–" if self.value is None else f"{self.value}%"


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
            elif isinstance(value, Percent):
                cells.append(str(value))
            else:
                cells.append("" if value is None else safe_cell(value))
        writer.writerow(cells)
        written += 1
    text.flush()
    text.detach()
    return written


def _shown_width(value) -> int:
    """About how many characters a cell shows."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, Percent):
        return len(str(value))
    return max((len(line) for line in str(value).splitlines()), default=0)


def column_widths(headers: Sequence[str], sample: Sequence[Sequence]) -> list[float]:
    """A width per column: its widest header or sampled value, plus room for the filter button."""
    widths = []
    for index, title in enumerate(headers):
        widest = max([len(str(title)) + 3, *(_shown_width(row[index]) for row in sample if index < len(row))])
        widths.append(float(min(max(widest + 2, MIN_WIDTH), MAX_WIDTH)))
    return widths


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence], target: IO[bytes], sheet_name: str = "Blad1") -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name[:31])
    sheet.freeze_panes = "A2"
    # write-only: the columns are written before the first row, so they are measured on a sample
    rows = iter(rows)
    sample = [list(map(_plain, row)) for row in islice(rows, WIDTH_SAMPLE_ROWS)]
    for index, width in enumerate(column_widths(headers, sample), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header = []
    for title in headers:
        cell = WriteOnlyCell(sheet, value=str(title))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    written = 0
    for row in chain(sample, rows):
        cells: list[Any] = []
        for value in map(_plain, row):
            if isinstance(value, date):
                # types-openpyxl leaves out date, which openpyxl writes as a date cell.
                cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]
                cell.number_format = "DD-MM-YYYY HH:MM" if isinstance(value, datetime) else "DD-MM-YYYY"
                cells.append(cell)
            elif isinstance(value, Percent):
                if value.value is None:
                    cells.append(str(value))
                else:
                    cell = WriteOnlyCell(sheet, value=value.value / 100)
                    cell.number_format = "0%"
                    cells.append(cell)
            elif isinstance(value, str):
                cells.append(safe_cell(ILLEGAL_XLSX.sub("", value)))
            else:
                cells.append(value)
        sheet.append(cells)
        written += 1
    if headers:
        # the table's tail is written when the sheet closes, so the filter can cover every row
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{written + 1}"
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
