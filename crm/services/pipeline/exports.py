"""The shape of a pipeline table, and its export as CSV or XLSX.

Every table a coordinator can download (the tables of /pijplijn, the ambition tables, a whole
drill-down list) is a :class:`Table` of :class:`Cell` values, whoever built it: the pipeline
blueprint builds the page tables (``crm/review_tables.py``), :mod:`.drilldown` the drill-down
lists. :func:`export` writes any of them the same way and leaves an audit event, so what a
download holds is what the page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from crm import permissions
from crm.extensions import db
from crm.i18n import format_integer
from crm.i18n import lazy_gettext as _l
from crm.lib import spreadsheets
from crm.lib.clock import local
from crm.models.base import utcnow
from crm.services.audit import audit
from crm.services.pipeline.scope import Scope

EXPORT_FORMATS = spreadsheets.FORMATS
NO_AMBITION = "–"


@dataclass
class Cell:
    """One value of a table. ``drill`` holds the criteria of the list behind a number (added to
    the page filters); ``percent`` cells show "33%" or "–"."""

    value: Any
    drill: dict[str, Any] | None = None
    percent: bool = False
    link: str | None = None  # a plain link (e.g. to a record), for text cells

    @property
    def is_date(self) -> bool:
        return isinstance(self.value, date)

    @property
    def display(self) -> str:
        """As the page shows it: counts with the language's thousands separator (45.984 in Dutch)."""
        if self.percent:
            return NO_AMBITION if self.value is None else f"{self.value}%"
        if isinstance(self.value, int) and not isinstance(self.value, bool):
            return format_integer(self.value)
        return "" if self.value is None else str(self.value)

    @property
    def export_value(self) -> Any:
        if self.percent:
            return spreadsheets.Percent(self.value)  # an Excel percentage; "–" without an ambition
        return str(self.value) if self.value is not None and not isinstance(self.value, int | date) else self.value


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    note: str = ""
    total: bool = False  # the last row is a total row
    empty: str = _l("Geen gegevens voor deze filters.")


def percent(part: int, whole: int | None) -> int | None:
    """``part`` of ``whole`` in whole percents, rounded half up; None when there is no whole."""
    if not whole:
        return None
    return (200 * part + whole) // (2 * whole)


def code_label(labels: dict, code: str) -> str:
    """The label of a stored code (a status, a kind) as text; the code itself when unknown."""
    return str(labels.get(code, code))


def export(
    scope: Scope, table: Table, fmt: str, *, description: str = "", ip_address: str = ""
) -> spreadsheets.ExportFile:
    """``table`` as CSV or XLSX in a temporary file, and an audit event ("export") naming the
    table, the filters and the row count. Flushes, never commits."""
    permissions.require(permissions.can_review_pipeline(scope.actor))
    rows = [[cell.export_value for cell in row] for row in table.rows]
    stamp = local(utcnow()).strftime("%Y%m%d-%H%M")
    result = spreadsheets.export_file(
        fmt, [str(h) for h in table.headers], rows, f"pijplijn-{table.key}-{stamp}", sheet_name=str(table.title)[:31]
    )
    audit(
        scope.actor,
        "export",
        object_type="pipeline",
        summary=(
            f"Pijplijn-tabel '{table.title}' geëxporteerd als {fmt.upper()}: {result.rows} rijen; "
            f"{description or 'geen filters'}"
        ),
        changes={"table": [None, table.key], "format": [None, fmt], "rows": [None, result.rows]},
        ip_address=ip_address,
    )
    db.session.flush()
    return result
