"""Importing employers from CSV and XLSX files: read, map columns, check, import, report.

The steps, each usable without a request (views, CLI and tests call them alike):

- ``read_table(file_name, data)``: the file's header row and data rows as text. CSV as Dutch
  spreadsheet programs write it (semicolon or comma, sniffed; UTF-8 with or without BOM,
  Windows-1252, or Excel's UTF-16 "Unicode text"); XLSX through openpyxl in read-only mode.
  Anything else, or a damaged file, raises ``ImportFileError`` with a Dutch message.
- ``guess_mapping(headers)``: which column feeds which CRM field, by header name.
- ``check_rows(table, mapping, default_contactpersoon_id)``: every row checked with the same
  functions the employer form uses (``crm.services.validation``), plus duplicates by KvK
  number: already in the CRM, or earlier in the same file. Nothing is written.
- ``import_employers(actor, ...)``: checks again (the database may have changed since the
  preview) and inserts the valid rows in batches, with their open ContactpersoonAssignment,
  SBI section and search text, and ONE AuditEvent for the whole import. Flushes; the caller
  commits, so the import is one transaction.
- ``rejected_report(table, check)``: the refused rows as CSV (original columns plus "fouten").
- ``ImportStore``: the files kept between the steps, in a folder on the server.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import secrets
import shutil
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import IO, Any

from flask_babel import gettext as _
from sqlalchemy import func, insert, select, text

from crm import permissions
from crm.extensions import db
from crm.forms import CONTROL_CHARS
from crm.i18n import lazy_gettext as _l
from crm.labels import EMPLOYER_SIZE_LABELS, EMPLOYER_STATUS_LABELS
from crm.models import ContactpersoonAssignment, Employer, SbiSection, User
from crm.models.base import utcnow
from crm.services import validation
from crm.services.audit import audit
from crm.services.employers import EmployerData
from crm.services.errors import ServiceError
from crm.services.search import rebuild_search_text

MAX_ROWS = 50_000
MAX_COLUMNS = 100  # setting IMPORT_MAX_COLUMNS
MAX_CELLS = 1_000_000  # setting IMPORT_MAX_CELLS: cells read from one file, empty ones included
MAX_XLSX_UNPACKED = 200 * 1024 * 1024  # what the zip may unpack to (a "zip bomb" is refused)
BATCH = 1000
EXTENSIONS = (".csv", ".xlsx")

OK, ERROR, DUPLICATE = "ok", "error", "duplicate"


class ImportFileError(ServiceError):
    """The file cannot be read as a table; ``str(error)`` says why, in Dutch."""


# --- the CRM fields a column can feed ---------------------------------------------------------


@dataclass(frozen=True)
class ImportField:
    key: str
    label: Any  # a lazy string
    synonyms: tuple[str, ...] = ()
    required: bool = False


FIELDS: tuple[ImportField, ...] = (
    ImportField(
        "name",
        _l("Naam"),
        (
            "naam",
            "bedrijfsnaam",
            "handelsnaam",
            "statutairenaam",
            "werkgever",
            "naamwerkgever",
            "werkgevernaam",
            "organisatie",
            "organisatienaam",
            "bedrijf",
            "name",
            "companyname",
        ),
        required=True,
    ),
    ImportField(
        "kvk_number",
        _l("KvK-nummer"),
        ("kvk", "kvknummer", "kvknr", "kvkno", "kamervankoophandel", "kvkinschrijvingsnummer", "chamberofcommerce"),
    ),
    ImportField("vestigingsnummer", _l("Vestigingsnummer"), ("vestigingsnummer", "vestigingsnr", "vestnr")),
    ImportField("street", _l("Straat"), ("straat", "straatnaam", "adres", "bezoekadres", "street")),
    ImportField("house_number", _l("Huisnummer"), ("huisnummer", "huisnr", "nr", "nummer", "housenumber")),
    ImportField("postcode", _l("Postcode"), ("postcode", "pc", "postalcode", "zipcode", "zip")),
    ImportField("city", _l("Plaats"), ("plaats", "woonplaats", "vestigingsplaats", "plaatsnaam", "stad", "city")),
    ImportField("municipality", _l("Gemeente"), ("gemeente", "gemeentenaam", "municipality")),
    ImportField(
        "sbi_code", _l("SBI-code"), ("sbi", "sbicode", "sbihoofdactiviteit", "hoofdactiviteit", "sbiactiviteit")
    ),
    ImportField(
        "size",
        _l("Grootte"),
        ("grootte", "omvang", "bedrijfsgrootte", "grootteklasse", "aantalmedewerkers", "aantalwerknemers"),
    ),
    ImportField("phone", _l("Telefoon"), ("telefoon", "telefoonnummer", "telefoonnr", "tel", "telnr", "phone")),
    ImportField("email", _l("E-mail"), ("email", "emailadres", "mail", "mailadres")),
    ImportField("website", _l("Website"), ("website", "webadres", "internetadres", "url", "homepage", "site")),
    ImportField("erkend_leerbedrijf", _l("Erkend leerbedrijf (ja/nee)"), ("erkendleerbedrijf", "leerbedrijf")),
    ImportField("status", _l("Status"), ("status",)),
    ImportField(
        "contactpersoon",
        _l("Contactpersoon (e-mailadres van een CRM-gebruiker)"),
        ("contactpersoon", "accountmanager", "emailcontactpersoon", "contactpersoonemail", "emailaccountmanager"),
    ),
    ImportField("notes", _l("Notities"), ("notities", "notitie", "opmerkingen", "opmerking", "toelichting", "notes")),
)
FIELD_BY_KEY = {f.key: f for f in FIELDS}
REPORT_COLUMN = "fouten"


def header_key(text: str) -> str:
    """A header reduced for matching: no accents, case, spaces or punctuation ("E-mailadres" -> "emailadres")."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch)).lower()


def guess_mapping(headers: list[str]) -> dict[str, int]:
    """``{field key: column index}`` for the headers that name a CRM field (each used once)."""
    keys = [header_key(h) for h in headers]
    mapping: dict[str, int] = {}
    used: set[int] = set()
    for import_field in FIELDS:
        for synonym in import_field.synonyms:
            column = next((i for i, key in enumerate(keys) if key == synonym and i not in used), None)
            if column is not None:
                mapping[import_field.key] = column
                used.add(column)
                break
    return mapping


# --- reading the file -------------------------------------------------------------------------


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


# --- checking the rows ----------------------------------------------------------------------


@dataclass
class RowCheck:
    number: int
    cells: list[str]
    values: dict[str, Any] = field(default_factory=dict)  # EmployerData fields + contactpersoon_id
    errors: list[tuple[str, str]] = field(default_factory=list)  # (field key, Dutch message)
    existing: tuple[int, str] | None = None  # (id, name) of the employer with this KvK number
    same_as_row: int | None = None  # an earlier row in the file with the same KvK number
    columns: dict[str, int] = field(default_factory=dict, repr=False)  # the mapping, for ``shown``

    @property
    def status(self) -> str:
        if self.errors:
            return ERROR
        if self.existing or self.same_as_row:
            return DUPLICATE
        return OK

    def problems(self) -> list[str]:
        """Every reason the row is refused, in Dutch, for the preview and the report."""
        found = [f"{FIELD_BY_KEY[key].label}: {message}" for key, message in self.errors]
        if self.existing:
            found.append(_("Bestaat al: %(name)s", name=self.existing[1]))
        if self.same_as_row:
            found.append(_("Zelfde KvK-nummer als rij %(row)s in dit bestand", row=self.same_as_row))
        return found

    def shown(self, key: str) -> str:
        """The cell as the file has it, for the preview."""
        return self.cells[self.columns[key]] if key in self.columns else ""


@dataclass
class Check:
    rows: list[RowCheck]
    mapping: dict[str, int]

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def totals(self) -> dict[str, int]:
        return {"total": len(self.rows), OK: self.count(OK), ERROR: self.count(ERROR), DUPLICATE: self.count(DUPLICATE)}

    @property
    def valid(self) -> list[RowCheck]:
        return [r for r in self.rows if r.status == OK]

    @property
    def rejected(self) -> list[RowCheck]:
        return [r for r in self.rows if r.status != OK]


def _memo(check: Callable[[str], Any]) -> Callable[[str], Any]:
    """``check`` asked once per distinct value (municipality and SBI code query the database)."""
    known: dict[str, tuple[bool, Any]] = {}

    def cached(value: str) -> Any:
        key = " ".join(value.split()).lower()
        if key not in known:
            try:
                known[key] = (True, check(value))
            except validation.Invalid as error:
                known[key] = (False, str(error))
        ok, result = known[key]
        if not ok:
            raise validation.Invalid(result)
        return result

    return cached


SIZE_RANGES = {"19": "micro", "1049": "klein", "50249": "middel", "250": "groot", "250ofmeer": "groot"}
YES = {"ja", "j", "yes", "y", "true", "waar", "x", "1", "erkend"}
NO = {"nee", "n", "no", "false", "onwaar", "0", "nieterkend"}


def _size(value: str) -> str | None:
    if not value:
        return None
    if re.fullmatch(r"\d+", value):
        count = int(value)
        return "micro" if count < 10 else "klein" if count < 50 else "middel" if count < 250 else "groot"
    key = header_key(value)
    for code, label in EMPLOYER_SIZE_LABELS.items():
        if key in (code, header_key(str(label))):
            return code
    key = key.removesuffix("medewerkers").removesuffix("werknemers")
    if key in SIZE_RANGES:
        return SIZE_RANGES[key]
    raise validation.Invalid(
        _(
            "Vul een grootte in: micro (1-9), klein (10-49), middel (50-249) of groot (250 of meer), of het aantal medewerkers."
        )
    )


def _status(value: str) -> str:
    key = header_key(value)
    if not key:
        return "prospect"
    for code, label in EMPLOYER_STATUS_LABELS.items():
        if key in (code, header_key(str(label))):
            return code
    raise validation.Invalid(_("Vul prospect, actief of inactief in."))


def _yes_no(value: str) -> bool:
    key = header_key(value)
    if not key or key in NO:
        return False
    if key in YES:
        return True
    raise validation.Invalid(_("Vul ja of nee in."))


# The longest text each field may hold: the employer table's own column lengths (so a long
# value is refused on its row instead of failing the whole import), and the form's limit for notes.
LIMITS = {
    **{
        f.key: column.type.length
        for f in FIELDS
        if (column := Employer.__table__.c.get(f.key)) is not None and getattr(column.type, "length", None)
    },
    "notes": 10_000,
}


# The fields whose check asks the database (so the import checks them again after the preview),
# and the keys their values go into.
DATABASE_FIELDS = ("municipality", "sbi_code", "contactpersoon")
DATABASE_VALUES = ("municipality_id", "sbi_code", "contactpersoon_id")
KnownRow = tuple[dict[str, Any], list[tuple[str, str]]]


class RowChecker:
    """Checks rows one by one with the form's validation functions; database look-ups once per value."""

    def __init__(self, mapping: dict[str, int], default_contactpersoon_id: int | None):
        self.mapping = mapping
        self.default_contactpersoon_id = default_contactpersoon_id
        self.unmapped: tuple[dict[str, Any], list[tuple[str, str]]] | None = None
        self.municipality = _memo(validation.municipality)
        self.sbi_code = _memo(validation.sbi_code)
        self.users = {
            email.lower(): (user_id, name, role, active)
            for user_id, email, name, role, active in db.session.execute(
                select(User.id, User.email, User.name, User.role, User.active)
            )
        }
        self.checks: dict[str, Callable[[str], Any]] = {
            "kvk_number": validation.kvk_number,
            "vestigingsnummer": validation.vestigingsnummer,
            "postcode": validation.postcode,
            "phone": validation.phone,
            "email": validation.email,
            "website": validation.website,
            "sbi_code": self.sbi_code,
            "size": _size,
            "status": _status,
            "erkend_leerbedrijf": _yes_no,
        }

    def contactpersoon(self, email: str) -> int:
        if not email:
            if self.default_contactpersoon_id is None:
                raise validation.Invalid(
                    _("Geen contactpersoon: vul een e-mailadres in of kies een standaard contactpersoon.")
                )
            return self.default_contactpersoon_id
        found = self.users.get(email.lower())
        if found is None:
            raise validation.Invalid(_("Er is geen gebruiker met e-mailadres %(email)s.", email=email))
        user_id, name, role, active = found
        if not active or role not in permissions.CONTACTPERSOON_ROLES:
            raise validation.Invalid(
                _("%(name)s kan geen contactpersoon zijn (alleen actieve accountmanagers en coördinatoren).", name=name)
            )
        return user_id

    def check_value(self, key: str, value: str, values: dict[str, Any]) -> None:
        """Check one field's cell and put its normalised value into ``values``; raises Invalid."""
        if CONTROL_CHARS.search(value):
            raise validation.Invalid(_("Dit veld bevat onzichtbare stuurtekens; verwijder ze."))
        if key == "municipality":
            found = self.municipality(value)
            values["municipality_id"] = found.id if found else None
        elif key == "contactpersoon":
            values["contactpersoon_id"] = self.contactpersoon(value)
        elif key in self.checks:
            values[key] = self.checks[key](value)
        else:
            if key == "name" and not value:
                raise validation.Invalid(_("Vul de naam van de werkgever in."))
            if key == "name":
                validation.no_bidi_controls(value)
            values[key] = value
        validation.no_bsn(value)  # every cell, as the employer form checks every field
        stored = values.get(key)
        limit = LIMITS.get(key)
        if limit and isinstance(stored, str) and len(stored) > limit:
            raise validation.Invalid(_("Maximaal %(n)s tekens (nu %(m)s).", n=limit, m=len(stored)))

    def _unmapped(self) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """The values (and errors) of the fields no column feeds: the same for every row, found once."""
        values: dict[str, Any] = {}
        errors: list[tuple[str, str]] = []
        for import_field in FIELDS:
            if import_field.key not in self.mapping:
                try:
                    self.check_value(import_field.key, "", values)
                except validation.Invalid as error:
                    errors.append((import_field.key, str(error)))
        return values, errors

    def check(self, number: int, cells: list[str], known: KnownRow | None = None) -> RowCheck:
        """Check a row; with ``known`` (the same row, checked for the preview) only the fields
        whose check depends on the database are checked again."""
        if self.unmapped is None:
            self.unmapped = self._unmapped()
        values = dict(self.unmapped[0])
        errors = list(self.unmapped[1])
        columns = self.mapping.items()
        if known is not None:
            values.update(known[0])
            errors = [e for e in errors if e[0] in DATABASE_FIELDS] + [(key, message) for key, message in known[1]]
            columns = [(key, column) for key, column in columns if key in DATABASE_FIELDS]
        for key, column in columns:
            try:
                self.check_value(key, cells[column] if column < len(cells) else "", values)
            except validation.Invalid as error:
                errors.append((key, str(error)))
        if len(errors) > 1:
            order = {f.key: i for i, f in enumerate(FIELDS)}
            errors.sort(key=lambda e: order[e[0]])
        return RowCheck(number=number, cells=cells, values=values, errors=errors, columns=self.mapping)


def known_rows(check: Check) -> list[KnownRow]:
    """What the preview found that does not depend on the database: per row the normalised
    values and the errors of the other fields (the e-mail check alone is half the work)."""
    return [
        (
            {key: value for key, value in row.values.items() if key not in DATABASE_VALUES},
            [(key, message) for key, message in row.errors if key not in DATABASE_FIELDS],
        )
        for row in check.rows
    ]


def check_rows(
    table: Table,
    mapping: dict[str, int],
    default_contactpersoon_id: int | None,
    known: list[KnownRow] | None = None,
) -> Check:
    """Every row of the file checked, with duplicates by KvK number. Writes nothing.

    ``known``: ``known_rows()`` of an earlier check of the same table with the same mapping."""
    checker = RowChecker(mapping, default_contactpersoon_id)
    if known is not None and len(known) != len(table.rows):
        known = None
    rows = [
        checker.check(number, cells, known[i] if known is not None else None)
        for i, (number, cells) in enumerate(table.rows)
    ]
    numbers = {r.values["kvk_number"] for r in rows if r.values.get("kvk_number")}
    existing: dict[str, tuple[int, str]] = {}
    ordered = sorted(numbers)
    for start in range(0, len(ordered), BATCH):
        for employer_id, name, kvk in db.session.execute(
            select(Employer.id, Employer.name, Employer.kvk_number).where(
                Employer.kvk_number.in_(ordered[start : start + BATCH])
            )
        ):
            existing[kvk] = (employer_id, name)
    first_row: dict[str, int] = {}
    for row in rows:
        kvk = row.values.get("kvk_number")
        if not kvk:
            continue
        if kvk in existing:
            row.existing = existing[kvk]
        elif kvk in first_row:
            row.same_as_row = first_row[kvk]
        else:
            first_row[kvk] = row.number
    return Check(rows=rows, mapping=mapping)


def eligible_contactpersonen() -> list[User]:
    """The users who may be an employer's contactpersoon (the choices for the default)."""
    return list(
        db.session.scalars(select(User).where(permissions.contactpersoon_candidates_clause()).order_by(User.name))
    )


# --- importing ------------------------------------------------------------------------------


@dataclass
class ImportResult:
    check: Check
    employer_ids: list[int]

    @property
    def created(self) -> int:
        return len(self.employer_ids)


def _new_ids(table: str, count: int) -> list[int]:
    """Primary keys chosen up front, so the assignments can point at the new employers.

    PostgreSQL hands them out from the table's own sequence. On SQLite the transaction holds
    the write lock from its start (BEGIN IMMEDIATE), so nobody else takes max(id) + 1 meanwhile.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return list(
            db.session.scalars(
                text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
                {"table": table, "n": count},
            )
        )
    start = (db.session.scalar(select(func.max(Employer.id))) or 0) + 1
    return list(range(start, start + count))


def _bulk_insert(table, rows: list[dict]) -> None:
    """A Core executemany per batch. (Measured on 10,000 employers: psycopg's pipelined
    executemany takes 1.6 s; with RETURNING, SQLAlchemy's multi-row INSERTs take 6 s, most of it
    psycopg parsing the long statements. On SQLite both take well under a second.)"""
    statement = insert(table)
    for start in range(0, len(rows), BATCH):
        db.session.execute(statement, rows[start : start + BATCH])


def sbi_sections() -> dict[int, str]:
    """``{two-digit division: section letter}``, built once from the SBI section ranges."""
    sections: dict[int, str] = {}
    for code, low, high in db.session.execute(
        select(SbiSection.code, SbiSection.division_from, SbiSection.division_to)
    ):
        for division in range(low, high + 1):
            sections[division] = code
    return sections


def _ranges(ids: list[int]) -> list[list[int]]:
    """Sorted ids as ``[first, last]`` ranges (a bulk insert hands out consecutive ids)."""
    ranges: list[list[int]] = []
    for value in sorted(ids):
        if ranges and value == ranges[-1][1] + 1:
            ranges[-1][1] = value
        else:
            ranges.append([value, value])
    return ranges


def import_employers(
    actor: User,
    table: Table,
    mapping: dict[str, int],
    *,
    default_contactpersoon_id: int | None,
    file_name: str,
    known: list[KnownRow] | None = None,
) -> ImportResult:
    """Create an employer for every valid row (rows with errors or duplicates are skipped).

    The rows are checked again first: the database may have changed since the preview
    (``known``, the preview's ``known_rows``, saves checking what cannot have changed).
    Every new employer gets its contactpersoon and one open ContactpersoonAssignment, its SBI
    section and its search text; one AuditEvent records the import. Flushes; the caller commits.
    """
    permissions.require(
        permissions.can_import_employers(actor), "Alleen coördinatoren en beheerders kunnen werkgevers importeren."
    )
    if "name" not in mapping:
        raise ServiceError(_("Koppel een kolom aan Naam: die is verplicht."))
    if default_contactpersoon_id is not None:
        default = db.session.get(User, default_contactpersoon_id)
        if default is None or not permissions.can_be_contactpersoon(default):
            raise ServiceError(_("De gekozen standaard contactpersoon kan geen contactpersoon (meer) zijn."))
    check = check_rows(table, mapping, default_contactpersoon_id, known)
    valid = check.valid
    ids = _new_ids(Employer.__tablename__, len(valid)) if valid else []
    sections = sbi_sections()
    now = utcnow()
    employer_rows, assignment_rows = [], []
    note = f"Geïmporteerd uit {file_name}"  # stored records stay in Dutch, as the other services write them
    for employer_id, row in zip(ids, valid, strict=True):
        values = dict(row.values)
        contactpersoon_id = values.pop("contactpersoon_id")
        data = EmployerData(**values)  # refuses a missing or unknown field
        employer_rows.append(
            {
                **values,
                "id": employer_id,
                "sbi_section_code": sections.get(int(data.sbi_code[:2])) if data.sbi_code else None,
                "contactpersoon_id": contactpersoon_id,
                "last_contact_at": None,
                "merged_into_id": None,
                "search_text": "",
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        assignment_rows.append(
            {
                "employer_id": employer_id,
                "user_id": contactpersoon_id,
                "started_at": now,
                "ended_at": None,
                "note": note,
                "assigned_by_id": actor.id,
            }
        )
    _bulk_insert(Employer.__table__, employer_rows)
    _bulk_insert(ContactpersoonAssignment.__table__, assignment_rows)
    if ids:
        rebuild_search_text(ids)
    totals = check.totals
    audit(
        actor,
        "import",
        object_type="employer",
        summary=(
            f"Import uit {file_name}: {len(ids)} werkgevers aangemaakt, "
            f"{totals[ERROR] + totals[DUPLICATE]} rijen overgeslagen "
            f"({totals[ERROR]} met fouten, {totals[DUPLICATE]} dubbel)."
        ),
        changes={
            "file": file_name,
            "rows": totals["total"],
            "created": len(ids),
            "skipped_errors": totals[ERROR],
            "skipped_duplicates": totals[DUPLICATE],
            "employer_ids": _ranges(ids),
        },
    )
    db.session.flush()
    return ImportResult(check=check, employer_ids=ids)


def rejected_report(table: Table, check: Check) -> bytes:
    """The refused rows with their original columns plus "fouten": CSV for Dutch spreadsheet
    programs (semicolon, UTF-8 with BOM), so they can be corrected and imported again."""
    headers = list(table.headers)
    lowered = [h.strip().lower() for h in headers]
    if REPORT_COLUMN in lowered:  # a corrected report imported again: reuse its column
        errors_at = lowered.index(REPORT_COLUMN)
    else:
        errors_at = len(headers)
        headers.append(REPORT_COLUMN)
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([_escape(h) for h in headers])
    for row in check.rejected:
        cells = (list(row.cells) + [""] * len(headers))[: len(headers)]
        cells[errors_at] = "; ".join(row.problems())
        writer.writerow([_escape(c) for c in cells])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


# --- keeping the file between the steps --------------------------------------------------------

TOKEN = re.compile(r"[0-9a-f]{32}")
MAX_AGE_SECONDS = 24 * 3600


class StoredImport:
    """One import in progress: a folder named by a random token, readable only by its owner.

    ``meta.json`` (owner, file name, mapping, state), ``table.json`` (the parsed file),
    ``check.json`` (the preview), ``report.csv`` (refused rows, after the import).
    """

    def __init__(self, folder: Path, meta: dict):
        self.folder = folder
        self.meta = meta

    @property
    def token(self) -> str:
        return self.folder.name

    @property
    def file_name(self) -> str:
        return self.meta["file_name"]

    @property
    def done(self) -> bool:
        return self.meta.get("state") == "done"

    def _write(self, name: str, content: bytes) -> None:
        temporary = self.folder / f".{name}.tmp"
        temporary.write_bytes(content)
        os.replace(temporary, self.folder / name)

    def _write_json(self, name: str, data: Any) -> None:
        self._write(name, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))

    def _read_json(self, name: str) -> Any:
        return json.loads((self.folder / name).read_text(encoding="utf-8"))

    def save_meta(self) -> None:
        self._write_json("meta.json", self.meta)

    def table(self) -> Table:
        return Table.from_json(self._read_json("table.json"))

    @property
    def mapping(self) -> dict[str, int]:
        return {key: int(column) for key, column in (self.meta.get("mapping") or {}).items()}

    def save_preview(self, check: Check) -> None:
        self._write_json(
            "check.json",
            {
                "totals": check.totals,
                "rows": [
                    {
                        "number": r.number,
                        "status": r.status,
                        "name": r.shown("name"),
                        "kvk": r.shown("kvk_number"),
                        "place": " ".join(p for p in (r.shown("postcode"), r.shown("city")) if p),
                        "municipality": r.shown("municipality"),
                        "errors": [[str(FIELD_BY_KEY[key].label), message] for key, message in r.errors],
                        "existing": list(r.existing) if r.existing else None,
                        "same_as_row": r.same_as_row,
                    }
                    for r in check.rows
                ],
            },
        )

    def save_known(self, check: Check) -> None:
        self._write_json("known.json", {"mapping": check.mapping, "rows": known_rows(check)})

    def known(self) -> list[KnownRow] | None:
        """The preview's ``known_rows``, when they were made with the current mapping."""
        try:
            saved = self._read_json("known.json")
        except (FileNotFoundError, ValueError):
            return None
        if saved.get("mapping") != self.mapping:
            return None
        return [(values, [(key, message) for key, message in errors]) for values, errors in saved["rows"]]

    def preview(self) -> dict | None:
        try:
            return self._read_json("check.json")
        except FileNotFoundError:
            return None

    def claim(self) -> bool:
        """True for exactly one caller: the one that may run the import (a double submit gets False)."""
        try:
            descriptor = os.open(self.folder / "importing.lock", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            return False
        os.close(descriptor)
        return True

    def release(self) -> None:
        (self.folder / "importing.lock").unlink(missing_ok=True)

    def finish(self, result: ImportResult, report: bytes) -> None:
        """Record the outcome and the report; the uploaded data itself is removed."""
        self._write("report.csv", report)
        totals = result.check.totals
        self.meta.update(state="done", result={**totals, "created": result.created})
        self.save_meta()
        for name in ("table.json", "check.json", "known.json"):
            (self.folder / name).unlink(missing_ok=True)

    def report_path(self) -> Path:
        return self.folder / "report.csv"

    def delete(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class ImportStore:
    """The folder holding imports in progress (``instance/imports`` unless configured)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def create(self, owner: User, file_name: str, table: Table, mapping: dict[str, int]) -> StoredImport:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder = self.root / secrets.token_hex(16)
        folder.mkdir(mode=0o700)
        stored = StoredImport(
            folder,
            {
                "owner_id": owner.id,
                "file_name": file_name,
                "created_at": utcnow().isoformat(),
                "kind": table.kind,
                "encoding": table.encoding,
                "delimiter": table.delimiter,
                "rows": len(table.rows),
                "mapping": mapping,
                "contactpersoon_id": None,
                "state": "uploaded",
            },
        )
        stored._write_json("table.json", table.as_json())
        stored.save_meta()
        return stored

    def get(self, token: str, user: User) -> StoredImport | None:
        """The import with this token if ``user`` may see it (``permissions.can_view_import``:
        its owner, while allowed to import); None for a malformed token, someone else's or a
        gone one."""
        if not TOKEN.fullmatch(token or ""):
            return None
        folder = self.root / token
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not permissions.can_view_import(user, meta.get("owner_id")):
            return None
        return StoredImport(folder, meta)

    def sweep(self, max_age: int = MAX_AGE_SECONDS) -> int:
        """Remove imports left alone longer than ``max_age`` seconds (abandoned or long done)."""
        if not self.root.is_dir():
            return 0
        removed = 0
        limit = time.time() - max_age
        for folder in self.root.iterdir():
            if folder.is_dir() and TOKEN.fullmatch(folder.name) and folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed


def display_file_name(name: str | None) -> str:
    """The uploaded file's own name, for the pages and the audit trail (never used as a path)."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = CONTROL_CHARS.sub("", base).strip()
    return base[:200] or "bestand"
