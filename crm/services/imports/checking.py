"""Checking the rows of a Table before anything is written: every cell with the same functions the
employer form uses (``crm.services.validation``), plus duplicates by KvK number (already in the
CRM, or earlier in the same file). Database look-ups are made once per value."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from crm import permissions
from crm.extensions import db
from crm.forms import CONTROL_CHARS
from crm.labels import EMPLOYER_SIZE_LABELS, EMPLOYER_STATUS_LABELS
from crm.models import Employer, User
from crm.services import validation
from crm.services.imports.fields import FIELD_BY_KEY, FIELDS, header_key
from crm.services.imports.reading import Table

BATCH = 1000
OK, ERROR, DUPLICATE = "ok", "error", "duplicate"


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
        f.key: length
        for f in FIELDS
        if (column := Employer.__table__.c.get(f.key)) is not None and (length := getattr(column.type, "length", None))
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
            "trade_names": validation.trade_names,
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
        columns = list(self.mapping.items())
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


PROGRESS_EVERY = 500  # rows between two progress reports of a running import
Progress = Callable[[int, int], None]


def check_rows(
    table: Table,
    mapping: dict[str, int],
    default_contactpersoon_id: int | None,
    known: list[KnownRow] | None = None,
    progress: Progress | None = None,
) -> Check:
    """Every row of the file checked, with duplicates by KvK number. Writes nothing.

    ``known``: ``known_rows()`` of an earlier check of the same table with the same mapping.
    ``progress(done, total)`` is told every ``PROGRESS_EVERY`` rows (the import's progress bar)."""
    checker = RowChecker(mapping, default_contactpersoon_id)
    if known is not None and len(known) != len(table.rows):
        known = None
    total = len(table.rows)
    rows = []
    for i, (number, cells) in enumerate(table.rows):
        rows.append(checker.check(number, cells, known[i] if known is not None else None))
        if progress is not None and (i + 1) % PROGRESS_EVERY == 0:
            progress(i + 1, total)
    numbers = {r.values["kvk_number"] for r in rows if r.values.get("kvk_number")}
    existing: dict[str, tuple[int, str]] = {}
    ordered = sorted(numbers)
    for start in range(0, len(ordered), BATCH):
        for employer_id, name, kvk in db.session.execute(
            select(Employer.id, Employer.name, Employer.kvk_number).where(
                Employer.kvk_number.in_(ordered[start : start + BATCH])
            )
        ):
            if kvk is not None:  # always: the WHERE matched it (the column itself may be empty)
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
