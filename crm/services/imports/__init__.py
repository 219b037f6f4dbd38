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
- ``ImportStore``: the files kept between the steps, in a folder on the server; the confirmed
  import runs in a Celery task (tasks/imports.py) that finds it there.

One module per step: ``fields`` (the CRM fields a column can feed), ``reading`` (the file as a
Table), ``checking`` (the rows checked), ``importing`` (the insert and the report of refused rows)
and ``store`` (the upload store). Callers import from this package, as before the split.
"""

from crm.services.imports.checking import (
    BATCH,
    DUPLICATE,
    ERROR,
    OK,
    Check,
    KnownRow,
    RowCheck,
    RowChecker,
    check_rows,
    eligible_contactpersonen,
    known_rows,
)
from crm.services.imports.fields import FIELD_BY_KEY, FIELDS, REPORT_COLUMN, ImportField, guess_mapping, header_key
from crm.services.imports.importing import ImportResult, import_employers, rejected_report, sbi_sections
from crm.services.imports.reading import (
    EXTENSIONS,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_ROWS,
    ImportFileError,
    Limits,
    Table,
    _escape,
    _unescape,
    read_table,
)
from crm.services.imports.store import (
    FAILURES,
    MAX_AGE_SECONDS,
    QUEUED,
    RUNNING,
    ImportStore,
    StoredImport,
    configured_store,
    display_file_name,
    failure_text,
)

__all__ = [
    "BATCH",
    "DUPLICATE",
    "ERROR",
    "EXTENSIONS",
    "FAILURES",
    "FIELDS",
    "FIELD_BY_KEY",
    "MAX_AGE_SECONDS",
    "MAX_CELLS",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "OK",
    "QUEUED",
    "RUNNING",
    "REPORT_COLUMN",
    "Check",
    "ImportField",
    "ImportFileError",
    "ImportResult",
    "ImportStore",
    "KnownRow",
    "Limits",
    "RowCheck",
    "RowChecker",
    "StoredImport",
    "Table",
    "_escape",
    "_unescape",
    "check_rows",
    "configured_store",
    "display_file_name",
    "failure_text",
    "eligible_contactpersonen",
    "guess_mapping",
    "header_key",
    "import_employers",
    "known_rows",
    "read_table",
    "rejected_report",
    "sbi_sections",
]
