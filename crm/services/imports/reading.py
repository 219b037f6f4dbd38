"""Reading an uploaded file as a Table: CSV as Dutch spreadsheet programs write it (semicolon or
comma, sniffed; UTF-8 with or without BOM, Windows-1252, or Excel's UTF-16 "Unicode text") and XLSX
through openpyxl in read-only mode, within limits (rows, columns, cells, unpacked size) that are
checked while reading, so a small file that unpacks to a huge sheet cannot hold a worker.
Anything else, or a damaged file, raises ``ImportFileError`` with a Dutch message."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime
from datetime import time as dtime
from typing import IO, Any

from flask_babel import gettext as _

from crm.forms import CONTROL_CHARS
from crm.i18n import lazy_gettext as _l
from crm.services import validation
from crm.services.errors import ServiceError

MAX_ROWS = 50_000
MAX_COLUMNS = 100  # setting IMPORT_MAX_COLUMNS
MAX_CELLS = 1_000_000  # setting IMPORT_MAX_CELLS: cells read from one file, empty ones included
MAX_XLSX_UNPACKED = 200 * 1024 * 1024  # what the zip may unpack to (a "zip bomb" is refused)
EXTENSIONS = (".csv", ".xlsx")


class ImportFileError(ServiceError):
    """The file cannot be read as a table; ``str(error)`` says why, in Dutch."""


@dataclass
class Table:
    """A file's header row and its non-empty data rows, as text. ``rows`` holds
    ``(row number as a spreadsheet shows it, cells)``; the header is row 1 (or later, after blank rows)."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]
    kind: str = "csv"
    encoding: str = ""
    delimiter: str = ""

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Table:
        data = dict(data)
        data["rows"] = [(number, cells) for number, cells in data["rows"]]
        return cls(**data)


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")


XLS_REFUSED = _l(
    "Oude Excel-bestanden (.xls) kunnen niet worden ingelezen. Sla het bestand in Excel op als .xlsx of als CSV."
)


@dataclass(frozen=True)
class Limits:
    """How much of a file is read at most. A file over a limit is refused as soon as the reader
    meets the first row, column or cell too many, so a small file that unpacks to a huge sheet
    (one row of a million cells compresses to about 100 kB) cannot hold a worker."""

    rows: int = MAX_ROWS
    columns: int = MAX_COLUMNS
    cells: int = MAX_CELLS

    def too_wide(self) -> ImportFileError:
        return ImportFileError(_("Het bestand heeft meer dan %(n)s kolommen.", n=self.columns))

    def too_many_cells(self) -> ImportFileError:
        return ImportFileError(
            _(
                "Het bestand heeft meer dan %(n)s cellen. Splits het in kleinere delen of verwijder "
                "de kolommen die niet nodig zijn.",
                n=_thousands(self.cells),
            )
        )


def read_table(
    file_name: str,
    data: bytes,
    *,
    max_rows: int = MAX_ROWS,
    max_columns: int = MAX_COLUMNS,
    max_cells: int = MAX_CELLS,
) -> Table:
    """The file as a Table; ``ImportFileError`` for anything that is not a readable CSV or XLSX,
    or that has more rows, columns or cells than the limits."""
    limits = Limits(rows=max_rows, columns=max_columns, cells=max_cells)
    if validation.contains_bsn(file_name):  # the name goes to the pages and the audit trail
        raise ImportFileError(
            _(
                "De naam van het bestand bevat een nummer dat een burgerservicenummer (BSN) kan zijn. "
                "Het CRM mag geen BSN bevatten: geef het bestand een andere naam en kies het opnieuw."
            )
        )
    extension = os.path.splitext(file_name or "")[1].lower()
    if extension not in EXTENSIONS:
        if extension == ".xls":
            raise ImportFileError(str(XLS_REFUSED))
        raise ImportFileError(_("Kies een CSV-bestand (.csv) of een Excel-bestand (.xlsx)."))
    if not data or not data.strip():
        raise ImportFileError(_("Het bestand is leeg."))
    if extension == ".xlsx":
        if not data.startswith(b"PK\x03\x04"):
            raise ImportFileError(_("Dit bestand is geen Excel-bestand (.xlsx), al eindigt de naam op .xlsx."))
        raw_rows = _xlsx_rows(data, limits)
        kind, encoding, delimiter = "xlsx", "", ""
    else:
        if data.startswith(b"PK\x03\x04"):
            raise ImportFileError(
                _(
                    "Dit is een Excel-bestand of een ander zip-bestand, geen CSV. Geef het de naam .xlsx of sla het op als CSV."
                )
            )
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            raise ImportFileError(str(XLS_REFUSED))
        content, encoding = _decode(data)
        delimiter = _sniff_delimiter(content)
        raw_rows = _csv_rows(content, delimiter)
        kind = "csv"
    return _to_table(raw_rows, limits=limits, kind=kind, encoding=encoding, delimiter=delimiter)


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode text" export
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise ImportFileError(
                _("De tekens in dit bestand zijn niet te lezen. Sla het op als 'CSV UTF-8'.")
            ) from None
    if CONTROL_CHARS.search(data[:65536].decode("latin-1")):
        raise ImportFileError(
            _("Dit bestand is geen tekstbestand (CSV). Kies een CSV-bestand of een Excel-bestand (.xlsx).")
        )
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise ImportFileError(_("De tekens in dit bestand zijn niet te lezen. Sla het op als 'CSV UTF-8'.")) from None


def _sniff_delimiter(content: str) -> str:
    """The separator that splits the header line into the most columns (semicolon wins a tie)."""
    first = next((line for line in content.splitlines() if line.strip()), "")
    best, columns = ";", 1
    for candidate in (";", ",", "\t"):
        try:
            count = len(next(csv.reader([first], delimiter=candidate), []))
        except csv.Error:
            continue
        if count > columns:
            best, columns = candidate, count
    return best


def _csv_rows(content: str, delimiter: str) -> Iterator[list[str]]:
    reader = csv.reader(
        io.StringIO(content, newline=""), delimiter=delimiter, quotechar='"', doublequote=True, strict=True
    )
    try:
        yield from reader
    except csv.Error:
        raise ImportFileError(
            _(
                "Het CSV-bestand is beschadigd rond regel %(line)s (bijvoorbeeld een aanhalingsteken dat niet wordt gesloten).",
                line=reader.line_num,
            )
        ) from None


SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
CELL_REF = re.compile(r"([A-Z]{1,3})\d*")


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def _worksheet_parts(archive: zipfile.ZipFile) -> list[str]:
    """The XML parts of every worksheet, as ``[Content_Types].xml`` lists them."""
    from defusedxml.ElementTree import fromstring

    try:
        types = fromstring(archive.read("[Content_Types].xml"))
    except (KeyError, SyntaxError):  # a missing part or bad XML (ParseError is a SyntaxError)
        return []
    return [
        element.get("PartName", "").lstrip("/")
        for element in types
        if element.tag.endswith("Override") and element.get("ContentType") == WORKSHEET_TYPE
    ]


def _scan_workbook(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse a workbook with a value beyond the last allowed column or with more cells than
    allowed, reading each sheet's XML one cell at a time, before openpyxl opens it: even in
    read-only mode openpyxl reads a sheet without a stated size to the end to find it, and
    builds a whole row before handing it over. Every sheet counts (openpyxl opens all of them)."""
    cells = 0
    for part in _worksheet_parts(archive):
        if part in archive.namelist():
            with archive.open(part) as source:
                cells = _scan_sheet(source, limits, cells)


def _scan_sheet(source: IO[bytes], limits: Limits, cells: int) -> int:
    from defusedxml.ElementTree import iterparse

    column = 0
    for event, element in iterparse(source, events=("start", "end")):
        tag = element.tag
        if event == "start":
            if tag == SHEET_NS + "row":
                column = 0
            continue
        if tag == SHEET_NS + "c":
            cells += 1
            if cells > limits.cells:
                raise limits.too_many_cells()
            ref = CELL_REF.match(element.get("r") or "")
            column = _column_number(ref.group(1)) if ref else column + 1
            if column > limits.columns and len(element):  # a cell with a value (empty styled cells pass)
                raise limits.too_wide()
            element.clear()
        elif tag == SHEET_NS + "row":
            element.clear()
    return cells


def _xlsx_rows(data: bytes, limits: Limits) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    damaged = _(
        "Het Excel-bestand kan niet worden gelezen; het is misschien beschadigd. Open het in Excel en sla het opnieuw op als .xlsx of als CSV."
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNPACKED:
                raise ImportFileError(
                    _("Het Excel-bestand is uitgepakt te groot. Splits het bestand of sla het op als CSV.")
                )
            _scan_workbook(archive, limits)
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ImportFileError:
        raise
    except Exception:  # a broken zip, missing parts, bad XML: openpyxl raises many kinds
        raise ImportFileError(damaged) from None

    def rows() -> Iterator[list[str]]:
        try:
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()  # the size a file states may be wrong: read the rows it has
            for values in sheet.iter_rows(values_only=True):
                yield [_cell_text(value) for value in values[: limits.columns + 1]]
        except ImportFileError:
            raise
        except Exception:
            raise ImportFileError(damaged) from None
        finally:
            workbook.close()

    return rows()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d-%m-%Y") if value.time() == dtime() else value.strftime("%d-%m-%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    return str(value)


def _to_table(raw_rows: Iterable[list[str]], *, limits: Limits, **info: str) -> Table:
    headers: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    read = 0
    for number, cells in enumerate(raw_rows, start=1):
        if len(cells) > limits.columns and any(cells[limits.columns :]):
            raise limits.too_wide()
        read += len(cells)
        if read > limits.cells:
            raise limits.too_many_cells()
        cells = [(c or "").strip() for c in cells]
        if not any(cells):
            continue
        if headers is None:
            while cells and not cells[-1]:
                cells.pop()
            headers = [c or _("Kolom %(n)s", n=i + 1) for i, c in enumerate(cells)]
            continue
        if len(rows) >= limits.rows:
            raise ImportFileError(
                _(
                    "Het bestand heeft meer dan %(n)s rijen. Splits het in delen van hoogstens %(n)s rijen.",
                    n=_thousands(limits.rows),
                )
            )
        cells = (cells + [""] * len(headers))[: len(headers)]
        rows.append((number, [_unescape(c) for c in cells]))
    if headers is None:
        raise ImportFileError(_("Het bestand is leeg: er staat geen kopregel met kolomnamen in."))
    if not rows:
        raise ImportFileError(_("Het bestand heeft alleen een kopregel en geen rijen met werkgevers."))
    return Table(headers=headers, rows=rows, **info)


# A cell the report protected against formulas ("'=...") is read back without the quote.
FORMULA_START = ("=", "+", "-", "@")
PLAIN_NUMBER = re.compile(r"[+\-][\d\s().\-]*")


def _unescape(cell: str) -> str:
    return cell[1:] if cell[:1] == "'" and cell[1:2] in FORMULA_START else cell


def _escape(cell: str) -> str:
    """Keep a spreadsheet from running a cell as a formula (phone numbers such as +31 stay)."""
    if cell[:1] in ("=", "@", "\t", "\r") or (cell[:1] in ("+", "-") and not PLAIN_NUMBER.fullmatch(cell)):
        return "'" + cell
    return cell
