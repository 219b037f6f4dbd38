"""Vacancies (vacatures): the intake with its checklist, the status workflow, the list, the
board per status, and the open vacancies past their closing date.

Vacancies are shared with every user (DESIGN.md); creating, editing and moving them is for
admins, coordinators and account managers, and for partner staff whose organisation is
involved in the vacancy (``permissions.can_edit_vacancy``). Every function takes the acting
user, writes the audit trail and flushes; the caller commits.

The status workflow (``TRANSITIONS``)::

    nieuw -> intake_gedaan -> kandidaten_voorgesteld -> vervuld
    nieuw | intake_gedaan | kandidaten_voorgesteld -> ingetrokken | verlopen

Going back and re-opening, as decided for the partnerships:

- kandidaten_voorgesteld -> intake_gedaan: the employer took none of the candidates; search again;
- vervuld -> kandidaten_voorgesteld: the candidate withdrew before starting;
- ingetrokken | verlopen -> nieuw: the employer revives the demand; the intake starts over.
  A vacancy that expired re-opens only with a closing date of today or later (edit it first),
  so it does not land straight back on the worklist as overdue.

Nothing else: a vacancy never skips the intake, and "vervuld" is only reached from
"kandidaten voorgesteld". A reason is required when a vacancy ends (vervuld, ingetrokken,
verlopen) and for every step back or re-opening. Each change is a ``VacancyStatusChange``
(who, when, from, to, reason); creating a vacancy records the first one (-> nieuw).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from math import ceil

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, String, and_, cast, func, literal, or_, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from crm import permissions
from crm.extensions import db
from crm.i18n import lazy_gettext as _l
from crm.labels import VACANCY_STATUS_LABELS
from crm.lib.clock import today
from crm.lib.paging import PageNumbers
from crm.models import (
    AuditEvent,
    Employer,
    Municipality,
    Organisation,
    Region,
    SbiSection,
    User,
    Vacancy,
    VacancyStatusChange,
    vacancy_organisation,
)
from crm.models.base import utcnow
from crm.models.vacancies import EDUCATION_LEVELS, LEARNING_PATHS, VACANCY_STATUSES
from crm.services import validation, versions
from crm.services.audit import audit, diff
from crm.services.errors import ServiceError, StaleRecord

# --- the workflow ---------------------------------------------------------------------------

OPEN_STATUSES = ("nieuw", "intake_gedaan", "kandidaten_voorgesteld")
END_STATUSES = ("vervuld", "ingetrokken", "verlopen")
# The allowed next statuses; the first one is the usual next step (the board's main button).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "nieuw": ("intake_gedaan", "ingetrokken", "verlopen"),
    "intake_gedaan": ("kandidaten_voorgesteld", "ingetrokken", "verlopen"),
    "kandidaten_voorgesteld": ("vervuld", "intake_gedaan", "ingetrokken", "verlopen"),
    "vervuld": ("kandidaten_voorgesteld",),
    "ingetrokken": ("nieuw",),
    "verlopen": ("nieuw",),
}
FORWARD = {(a, b) for a, b in zip(VACANCY_STATUSES[:3], VACANCY_STATUSES[1:4], strict=True)}

MBO_LEVELS = ("mbo1", "mbo2", "mbo3", "mbo4")
MBO_PATHS = ("bbl", "bol")
MAX_POSITIONS = 999
MAX_HOURS = 60
BOARD_LIMIT = 50  # cards per column; the rest is behind a "meer" link to the list

NOT_ALLOWED = _l("U mag deze vacature niet wijzigen: uw organisatie is er niet bij betrokken.")
PARTNER_OWN_ORGANISATION = _l(
    "Als partner legt u alleen vacatures vast waarbij uw eigen organisatie betrokken is: vink die aan."
)
STALE = _l("Iemand anders heeft deze vacature intussen gewijzigd.")


def status_label(status: str) -> str:
    return str(VACANCY_STATUS_LABELS.get(status, status))


def allowed_next(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def is_allowed(from_status: str, to_status: str) -> bool:
    return to_status in allowed_next(from_status)


def needs_reason(from_status: str, to_status: str) -> bool:
    """Ending a vacancy, stepping back and re-opening need a reason; the next step forward does not."""
    return to_status in END_STATUSES or (from_status, to_status) not in FORWARD


# --- checking the intake ------------------------------------------------------------------


def crebo_code(value: str | None) -> str | None:
    """A crebo code: the number of an mbo qualification in the SBB register, 5 digits."""
    value = re.sub(r"\s", "", value or "")
    if not value:
        return None
    if not re.fullmatch(r"\d{5}", value):
        raise validation.Invalid(_("Een crebocode heeft precies 5 cijfers, bijvoorbeeld 25309."))
    return value


def path_matches_level(learning_path: str | None, education_level: str | None) -> bool:
    """BBL and BOL are the learning paths of mbo: they go with an mbo level (or a level not known yet)."""
    return learning_path not in MBO_PATHS or education_level in (None, *MBO_LEVELS)


@dataclass
class VacancyData:
    """The intake of a vacancy, as a form delivers it (already validated there; checked again here)."""

    title: str
    positions: int = 1
    hours_per_week: int | None = None
    education_level: str | None = None
    qualification_name: str = ""
    crebo: str | None = None
    learning_path: str | None = None
    start_date: date | None = None
    closing_date: date | None = None
    municipality_id: int | None = None
    requirements: str = ""
    erkend_for_qualification: bool | None = None
    publish_agreed: bool = False
    organisation_ids: list[int] = field(default_factory=list)

    @classmethod
    def from_vacancy(cls, vacancy: Vacancy) -> VacancyData:
        data = {name: getattr(vacancy, name) for name in cls.__dataclass_fields__ if name != "organisation_ids"}
        return cls(**data, organisation_ids=sorted(o.id for o in vacancy.organisations))


def _check(data: VacancyData) -> None:
    if not (data.title or "").strip():
        raise ServiceError(_("Vul de functietitel in."))
    if data.positions is None or not 1 <= data.positions <= MAX_POSITIONS:
        raise ServiceError(_("Het aantal plaatsen is minimaal 1 en hoogstens %(max)s.", max=MAX_POSITIONS))
    if data.hours_per_week is not None and not 1 <= data.hours_per_week <= MAX_HOURS:
        raise ServiceError(_("Het aantal uren per week ligt tussen 1 en %(max)s.", max=MAX_HOURS))
    if data.education_level is not None and data.education_level not in EDUCATION_LEVELS:
        raise ServiceError(_("Kies een opleidingsniveau uit de lijst."))
    if data.learning_path is not None and data.learning_path not in LEARNING_PATHS:
        raise ServiceError(_("Kies een leerweg uit de lijst."))
    if not path_matches_level(data.learning_path, data.education_level):
        raise ServiceError(_("BBL en BOL zijn leerwegen in het mbo: kies een mbo-niveau of een andere leerweg."))
    data.crebo = crebo_code(data.crebo)
    for text in (data.title, data.qualification_name, data.requirements):
        validation.no_bsn(text)


def _organisations(ids: list[int]) -> list[Organisation]:
    if not ids:
        return []
    found = list(db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.name)))
    if len(found) != len(set(ids)):
        raise ServiceError(_("Een gekozen partnerorganisatie bestaat niet (meer)."))
    return found


def _audit_values(data: VacancyData, organisations: list[Organisation]) -> dict:
    values = asdict(data)
    del values["organisation_ids"]
    # a set: the same partners in another order is no change
    values["organisations"] = ", ".join(sorted(o.name for o in organisations))
    return values


def _apply(vacancy: Vacancy, data: VacancyData) -> None:
    for key, value in asdict(data).items():
        if key != "organisation_ids":
            setattr(vacancy, key, value.strip() if isinstance(value, str) else value)


# --- create and edit -------------------------------------------------------------------------


def create_vacancy(actor: User, employer: Employer, data: VacancyData) -> Vacancy:
    """A new vacancy (status nieuw) at ``employer``, with its first status change recorded."""
    permissions.require(permissions.can_view_employer(actor, employer))
    _check(data)
    organisations = _organisations(data.organisation_ids)
    vacancy = Vacancy(employer=employer, organisations=organisations, status="nieuw", created_by_id=actor.id)
    permissions.require(permissions.can_edit_vacancy(actor, vacancy), PARTNER_OWN_ORGANISATION)
    _apply(vacancy, data)
    db.session.add(vacancy)
    db.session.flush()
    db.session.add(
        VacancyStatusChange(vacancy_id=vacancy.id, from_status=None, to_status="nieuw", changed_by_id=actor.id)
    )
    audit(actor, "create", vacancy, summary=vacancy.title, changes=diff({}, _audit_values(data, organisations)))
    db.session.flush()
    return vacancy


def update_vacancy(actor: User, vacancy: Vacancy, data: VacancyData, *, version: int) -> Vacancy:
    """Save an intake edit made on ``version``; refused when someone saved (or moved it) in between."""
    permissions.require(permissions.can_edit_vacancy(actor, vacancy), NOT_ALLOWED)
    if version != vacancy.version:
        raise StaleRecord(STALE)
    _check(data)
    organisations = _organisations(data.organisation_ids)
    if not permissions.can_edit_vacancy(actor, Vacancy(organisations=organisations)):
        raise ServiceError(
            _("U kunt uw eigen organisatie niet weghalen: daarna zou u deze vacature niet meer kunnen bijwerken.")
        )
    before = _audit_values(VacancyData.from_vacancy(vacancy), list(vacancy.organisations))
    _apply(vacancy, data)
    changes = diff(before, _audit_values(data, organisations))
    if not changes:
        return vacancy
    if {o.id for o in vacancy.organisations} != {o.id for o in organisations}:
        vacancy.organisations = organisations
        vacancy.updated_at = utcnow()  # the row itself changes too, so the version moves on
    versions.flush_versioned(STALE)
    audit(actor, "update", vacancy, summary=vacancy.title, changes=changes)
    db.session.flush()
    return vacancy


def changes_since(vacancy: Vacancy, version: int) -> list[AuditEvent]:
    """The audited changes (edits and status moves) that brought the vacancy from ``version`` to now."""
    return versions.changes_since(vacancy, version, ("update", "status"))


# --- the status workflow ------------------------------------------------------------------------


def change_status(
    actor: User, vacancy: Vacancy, to_status: str, reason: str = "", *, expected_status: str | None = None
) -> VacancyStatusChange:
    """Move the vacancy to ``to_status`` along ``TRANSITIONS``; anything else is refused and changes nothing.

    ``expected_status`` is the status the user saw (the board's card): when someone moved the
    vacancy in the meantime, the move is refused instead of applied to a status nobody saw.
    """
    permissions.require(permissions.can_edit_vacancy(actor, vacancy), NOT_ALLOWED)
    current = vacancy.status
    if to_status not in VACANCY_STATUSES:
        raise ServiceError(_("Onbekende status."))
    if expected_status is not None and expected_status != current:
        raise StaleRecord(
            _(
                "Deze vacature is intussen verplaatst naar '%(status)s'. "
                "Bekijk de nieuwe stand en probeer het opnieuw.",
                status=status_label(current),
            )
        )
    if to_status == current:
        raise ServiceError(_("De vacature staat al op '%(status)s'.", status=status_label(current)))
    if not is_allowed(current, to_status):
        options = _(" of ").join(f"'{status_label(s)}'" for s in allowed_next(current))
        raise ServiceError(
            _(
                "Een vacature met status '%(current)s' kan niet naar '%(to)s'. Mogelijk is: %(options)s.",
                current=status_label(current),
                to=status_label(to_status),
                options=options,
            )
        )
    reason = (reason or "").strip()
    if needs_reason(current, to_status) and not reason:
        raise ServiceError(_("Geef een reden op voor '%(status)s'.", status=status_label(to_status)))
    validation.no_bsn(reason)
    if current == "verlopen" and vacancy.closing_date is not None and vacancy.closing_date < today():
        raise ServiceError(
            _(
                "De sluitingsdatum van deze vacature is verstreken. Zet eerst een nieuwe sluitingsdatum "
                "(Bewerken) en heropen de vacature daarna."
            )
        )
    vacancy.status = to_status
    change = VacancyStatusChange(
        vacancy_id=vacancy.id, from_status=current, to_status=to_status, changed_by_id=actor.id, reason=reason
    )
    db.session.add(change)
    versions.flush_versioned(
        _("Iemand anders heeft deze vacature intussen gewijzigd. Bekijk de nieuwe stand en probeer het opnieuw.")
    )
    audit(actor, "status", vacancy, summary=reason, changes={"status": [current, to_status]})
    db.session.flush()
    return change


def status_history(vacancy: Vacancy) -> list[VacancyStatusChange]:
    """Every status change, newest first, with who made it (one query)."""
    return list(
        db.session.scalars(
            select(VacancyStatusChange)
            .where(VacancyStatusChange.vacancy_id == vacancy.id)
            .options(joinedload(VacancyStatusChange.changed_by))
            .order_by(VacancyStatusChange.changed_at.desc(), VacancyStatusChange.id.desc())
        )
    )


# --- the intake checklist ---------------------------------------------------------------------

# The partnerships' vacancy-intake checklist: (key, answered?) in the order of the form.
CHECKLIST = (
    ("title", lambda v: bool(v.title)),
    ("positions", lambda v: bool(v.positions)),
    ("hours_per_week", lambda v: v.hours_per_week is not None),
    ("education_level", lambda v: v.education_level is not None),
    # A crebo code identifies an MBO qualification; an HBO vacancy names its programme only.
    ("qualification", lambda v: bool(v.qualification_name) and (v.crebo is not None or v.education_level == "hbo")),
    ("learning_path", lambda v: v.learning_path is not None),
    ("start_date", lambda v: v.start_date is not None),
    ("closing_date", lambda v: v.closing_date is not None),
    ("location", lambda v: v.municipality_id is not None),
    ("requirements", lambda v: bool(v.requirements)),
    ("erkend_for_qualification", lambda v: v.erkend_for_qualification is not None),
    ("organisations", lambda v: bool(v.organisations)),
)


def _not_applicable(key: str, v: Vacancy) -> str | None:
    """Why a checklist item does not apply to this vacancy, or None: without an education
    requirement there is no qualification; an erkend leerbedrijf (SBB) matters only for an MBO
    learning path."""
    if key == "qualification" and v.education_level == "geen":
        return "geen_opleiding"
    if key == "erkend_for_qualification":
        if v.education_level == "geen":
            return "geen_opleiding"
        if v.learning_path == "geen":
            return "geen_leerweg"
        if v.education_level == "hbo":
            return "hbo"
    return None


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    done: bool
    not_applicable: str | None = None  # why the item does not apply: a ``_not_applicable`` code


def intake_checklist(vacancy: Vacancy) -> list[ChecklistItem]:
    items = []
    for key, answered in CHECKLIST:
        reason = _not_applicable(key, vacancy)
        items.append(ChecklistItem(key, done=reason is None and bool(answered(vacancy)), not_applicable=reason))
    return items


# --- the list and the board ----------------------------------------------------------------------

SORTS = ("recent", "sluitingsdatum", "titel", "werkgever")


@dataclass(frozen=True)
class VacancyFilters:
    """What the list (and the board) is narrowed to; ``None`` / empty means: not filtered on this.

    ``status`` is a status code or "open" (every open status). ``region_id`` looks at the
    vacancy's location, or at the employer's municipality when the vacancy has none.
    """

    status: str | None = None
    region_id: int | None = None
    sbi_section: str | None = None
    education_level: str | None = None
    learning_path: str | None = None
    organisation_id: int | None = None
    employer_id: int | None = None
    contactpersoon_id: int | None = None
    overdue: bool = False
    sort: str = "recent"

    @property
    def any(self) -> bool:
        return any(
            value not in (None, "", False)
            for value in (
                self.status,
                self.region_id,
                self.sbi_section,
                self.education_level,
                self.learning_path,
                self.organisation_id,
                self.employer_id,
                self.contactpersoon_id,
                self.overdue,
            )
        )


def filter_clauses(filters: VacancyFilters, *, on: date | None = None) -> list[ColumnElement[bool]]:
    """WHERE clauses on ``vacancy`` (no joins: the employer's facts are ``IN (subquery)``)."""
    clauses: list[ColumnElement[bool]] = []
    if filters.status == "open":
        clauses.append(Vacancy.status.in_(OPEN_STATUSES))
    elif filters.status:
        clauses.append(Vacancy.status == filters.status)
    if filters.region_id is not None:
        municipalities = select(Municipality.id).where(Municipality.region_id == filters.region_id)
        clauses.append(
            or_(
                Vacancy.municipality_id.in_(municipalities),
                and_(
                    Vacancy.municipality_id.is_(None),
                    Vacancy.employer_id.in_(select(Employer.id).where(Employer.municipality_id.in_(municipalities))),
                ),
            )
        )
    employer_clauses = []
    if filters.sbi_section:
        employer_clauses.append(Employer.sbi_section_code == filters.sbi_section)
    if filters.contactpersoon_id is not None:
        employer_clauses.append(Employer.contactpersoon_id == filters.contactpersoon_id)
    if employer_clauses:
        clauses.append(Vacancy.employer_id.in_(select(Employer.id).where(*employer_clauses)))
    if filters.employer_id is not None:
        clauses.append(Vacancy.employer_id == filters.employer_id)
    if filters.education_level:
        clauses.append(Vacancy.education_level == filters.education_level)
    if filters.learning_path:
        clauses.append(Vacancy.learning_path == filters.learning_path)
    if filters.organisation_id is not None:
        clauses.append(
            Vacancy.id.in_(
                select(vacancy_organisation.c.vacancy_id).where(
                    vacancy_organisation.c.organisation_id == filters.organisation_id
                )
            )
        )
    if filters.overdue:
        clauses.append(Vacancy.status.in_(OPEN_STATUSES))
        clauses.append(Vacancy.closing_date < (on or today()))
    return clauses


def _ordered(query: Select, sort: str) -> Select:
    if sort == "sluitingsdatum":
        return query.order_by(Vacancy.closing_date.asc().nulls_last(), Vacancy.id)
    if sort == "titel":
        return query.order_by(Vacancy.title, Vacancy.id)
    if sort == "werkgever":
        return query.join(Employer, Employer.id == Vacancy.employer_id).order_by(Employer.name, Vacancy.id.desc())
    return query.order_by(Vacancy.id.desc())


# What a list row and a board card show, loaded in a fixed number of queries.
ROW_OPTIONS = (
    joinedload(Vacancy.employer),
    joinedload(Vacancy.municipality),
    selectinload(Vacancy.organisations),
)


@dataclass
class VacancyPage(PageNumbers):
    items: list[Vacancy]
    total: int
    page: int
    per_page: int


def list_page(actor: User, filters: VacancyFilters, *, page: int = 1, per_page: int = 25) -> VacancyPage:
    """One page of the vacancy list: a count, the page's ids, then those rows with employer,
    location and partner organisations (four queries, however long the page)."""
    permissions.require(actor.active)
    clauses = filter_clauses(filters)
    total = db.session.scalar(select(func.count()).select_from(Vacancy).where(*clauses)) or 0
    pages = max(1, ceil(total / per_page))
    page = min(max(1, page), pages)
    if total == 0:
        return VacancyPage(items=[], total=0, page=1, per_page=per_page)
    # the page's ids first (a deferred join: skipping rows walks an index, not loaded objects)
    ids = list(
        db.session.scalars(
            _ordered(select(Vacancy.id).where(*clauses), filters.sort).limit(per_page).offset((page - 1) * per_page)
        )
    )
    rows = {row.id: row for row in db.session.scalars(select(Vacancy).where(Vacancy.id.in_(ids)).options(*ROW_OPTIONS))}
    return VacancyPage(items=[rows[i] for i in ids if i in rows], total=total, page=page, per_page=per_page)


@dataclass
class BoardColumn:
    status: str
    items: list[Vacancy]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.items)


def board(actor: User, filters: VacancyFilters, *, limit: int | None = None) -> list[BoardColumn]:
    """One column per status with its total and its ``limit`` most recent vacancies.

    Two queries (counts per status; the cards of all columns as one UNION ALL of per-status
    ``LIMIT`` queries) plus one for the cards' partner organisations."""
    permissions.require(actor.active)
    limit = limit or BOARD_LIMIT
    clauses = filter_clauses(replace(filters, status=None))
    totals = dict(
        db.session.execute(select(Vacancy.status, func.count()).where(*clauses).group_by(Vacancy.status)).all()
    )
    wanted = [status for status in VACANCY_STATUSES if totals.get(status)]
    cards: dict[str, list[Vacancy]] = {status: [] for status in VACANCY_STATUSES}
    if wanted:
        parts = [
            select(Vacancy.id)
            .where(Vacancy.status == status, *clauses)
            .order_by(Vacancy.id.desc())
            .limit(limit)
            .subquery()
            for status in wanted
        ]
        ids = union_all(*(select(part.c.id) for part in parts))
        rows = db.session.scalars(
            select(Vacancy)
            .where(Vacancy.id.in_(ids))
            .options(joinedload(Vacancy.employer), selectinload(Vacancy.organisations))
            .order_by(Vacancy.id.desc())
        ).unique()
        for row in rows:
            cards[row.status].append(row)
    return [BoardColumn(status=s, items=cards[s], total=totals.get(s, 0)) for s in VACANCY_STATUSES]


@dataclass
class FilterChoices:
    regions: list[tuple[int, str]] = field(default_factory=list)
    sbi_sections: list[tuple[str, str]] = field(default_factory=list)
    organisations: list[tuple[int, str]] = field(default_factory=list)


def filter_choices() -> FilterChoices:
    """The regions, SBI sections and (active) partner organisations the filters offer: one query."""
    as_text = lambda column: cast(column, String)  # noqa: E731
    combined = union_all(
        select(literal("regions").label("kind"), as_text(Region.id).label("value"), Region.name.label("label")),
        select(literal("sbi_sections"), SbiSection.code, SbiSection.code + " - " + SbiSection.name),
        select(literal("organisations"), as_text(Organisation.id), Organisation.name).where(Organisation.active),
    ).subquery()
    choices = FilterChoices()
    for kind, value, label in db.session.execute(
        select(combined.c.kind, combined.c.value, combined.c.label).order_by(combined.c.kind, combined.c.label)
    ):
        getattr(choices, kind).append((value if kind == "sbi_sections" else int(value), label))
    return choices


# --- the worklist: open vacancies past their closing date -----------------------------------------


def overdue_vacancies(user: User, *, on: date | None = None, limit: int | None = None) -> list[Vacancy]:
    """Open vacancies (not vervuld, ingetrokken or verlopen) whose closing date has passed, at
    employers where ``user`` is the contactpersoon; longest overdue first, with the employer
    loaded. For the worklist: the contactpersoon extends the closing date or closes the vacancy.
    """
    query = (
        select(Vacancy)
        .join(Employer, Employer.id == Vacancy.employer_id)
        .where(
            Employer.contactpersoon_id == user.id,
            Employer.merged_into_id.is_(None),
            Vacancy.status.in_(OPEN_STATUSES),
            Vacancy.closing_date < (on or today()),
        )
        .options(joinedload(Vacancy.employer))
        .order_by(Vacancy.closing_date, Vacancy.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))
