"""The employer list (/werkgevers): filters, search, sorting, numbered pages and the export.

Built to stay fast at 100k employers, with a fixed number of queries per page:

1. the filter choices (regions, municipalities, SBI sections, contactpersonen, organisations)
   in ONE ``UNION ALL`` query (crm.services.employer_choices);
2. the total: ``count(*)`` over the filtered employers (no joins: region and organisation
   filters are ``IN (subquery)``);
3. the page's ids only (a deferred join): ``SELECT id ... ORDER BY <sort>, id LIMIT/OFFSET``,
   so skipping 50,000 rows walks an index, not 50,000 loaded objects. When searching, the
   search's query (``crm.services.search.search_ids``: the database selects the matches and
   ranks them, Python reranks the first rows; or the chosen sort) gives the total and the
   page's ids, and query 2 is left out (the search looks its words up in the vocabulary first);
4. those rows as plain values (``ListRow``), with municipality, SBI section, contactpersoon and
   the contactpersoon's organisation joined in (all many-to-one, so one joined query);
5. the contact pressure of the page: one grouped query (crm.services.contacts).

Merged employers (``merged_into_id`` set) never show, as ``permissions.can_view_employer``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from math import ceil
from typing import Any, NamedTuple

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, case, func, literal, or_, select
from sqlalchemy.orm import defer, joinedload

from crm import permissions
from crm.extensions import db
from crm.lib.clock import local
from crm.lib.paging import PageNumbers
from crm.lib.spreadsheets import FORMATS, ExportFile, export_file
from crm.models import Employer, EmployerTally, Municipality, Organisation, Region, SbiSection, User
from crm.models.base import utcnow
from crm.services.audit import audit
from crm.services.contacts import contact_pressure
from crm.services.employer_choices import FilterChoices, filter_choices
from crm.services.search import normalise, search_ids, search_window

SORTS = ("naam", "contact_oud", "contact_nieuw", "gemeente", "nieuw")
EXPORT_FORMATS = FORMATS  # csv, xlsx: written by crm.lib.spreadsheets


@dataclass(frozen=True)
class EmployerFilters:
    """What the list is narrowed to. ``None`` / empty means: not filtered on this."""

    q: str = ""
    region_id: int | None = None
    municipality_id: int | None = None
    sbi_section: str | None = None
    contactpersoon_id: int | None = None
    organisation_id: int | None = None
    status: str | None = None
    erkend: bool | None = None
    no_contact_days: int | None = None
    sort: str = "naam"

    @property
    def any(self) -> bool:
        """True when anything narrows the list (the sort order does not)."""
        return any(
            value not in (None, "")
            for value in (
                normalise(self.q),
                self.region_id,
                self.municipality_id,
                self.sbi_section,
                self.contactpersoon_id,
                self.organisation_id,
                self.status,
                self.erkend,
                self.no_contact_days,
            )
        )


# --- the query --------------------------------------------------------------------------------


def filter_clauses(filters: EmployerFilters, *, now: datetime | None = None) -> list[ColumnElement[bool]]:
    """The WHERE clauses on ``employer`` for these filters (search not included)."""
    clauses: list[ColumnElement[bool]] = [Employer.merged_into_id.is_(None)]
    if filters.region_id is not None:
        clauses.append(Employer.municipality_id.in_(_region_municipalities(filters.region_id)))
    if filters.municipality_id is not None:
        clauses.append(Employer.municipality_id == filters.municipality_id)
    if filters.sbi_section:
        clauses.append(Employer.sbi_section_code == filters.sbi_section)
    if filters.contactpersoon_id is not None:
        clauses.append(Employer.contactpersoon_id == filters.contactpersoon_id)
    if filters.organisation_id is not None:
        clauses.append(Employer.contactpersoon_id.in_(_organisation_users(filters.organisation_id)))
    if filters.status:
        clauses.append(Employer.status == filters.status)
    if filters.erkend is not None:
        clauses.append(Employer.erkend_leerbedrijf == filters.erkend)
    if filters.no_contact_days is not None:
        since = (now or utcnow()) - timedelta(days=filters.no_contact_days)
        clauses.append(or_(Employer.last_contact_at.is_(None), Employer.last_contact_at < since))
    return clauses


def _region_municipalities(region_id: int) -> Select:
    return select(Municipality.id).where(Municipality.region_id == region_id)


def _organisation_users(organisation_id: int) -> Select:
    return select(User.id).where(User.organisation_id == organisation_id)


def _filtered(query: Select, filters: EmployerFilters, *, now: datetime | None = None) -> tuple[Select, bool]:
    """``query`` narrowed by the filters and the search term; True when searched (the order
    of relevance is ``search_ids``'s, see ``list_page``)."""
    clauses = filter_clauses(filters, now=now)
    query = query.where(*clauses)
    if not normalise(filters.q):
        return query, False
    return query.where(Employer.id.in_(search_ids(filters.q, *clauses))), True


def _ordered(query: Select, filters: EmployerFilters, ranked: bool) -> Select:
    """The chosen sort, always ending on the id so pages never overlap or skip rows.

    Searching on PostgreSQL ranks by relevance first, unless another sort was chosen."""
    if filters.sort != "naam" or not ranked:
        query = query.order_by(None)
    if filters.sort == "contact_oud":
        # never contacted first: those are the ones that need attention
        return query.order_by(Employer.last_contact_at.asc().nulls_first(), Employer.id)
    if filters.sort == "contact_nieuw":
        return query.order_by(Employer.last_contact_at.desc().nulls_last(), Employer.id.desc())
    if filters.sort == "gemeente":
        return query.order_by(Municipality.name.asc().nulls_last(), Employer.name, Employer.id)
    if filters.sort == "nieuw":
        return query.order_by(Employer.created_at.desc(), Employer.id.desc())
    return query.order_by(Employer.name, Employer.id)


# The same sorts for keyset paging (the partner API, crm/api/employers.py): each as the columns
# to compare, ending on the id, without NULLs (a NULL cannot be compared with a cursor), in the
# order ``_ordered`` gives: a missing last contact first (contact_oud) or last (contact_nieuw),
# a missing municipality last.
NEVER = datetime(1900, 1, 1, tzinfo=UTC)


def keyset_order(sort: str) -> list[tuple[Any, type, bool]]:
    """``(expression, python type, descending)`` per sort key for ``sort`` (see ``_ordered``)."""
    last_contact = func.coalesce(Employer.last_contact_at, literal(NEVER, Employer.last_contact_at.type))
    if sort == "contact_oud":
        return [(last_contact, datetime, False), (Employer.id, int, False)]
    if sort == "contact_nieuw":
        return [(last_contact, datetime, True), (Employer.id, int, True)]
    if sort == "gemeente":
        no_municipality = case((Municipality.name.is_(None), 1), else_=0)
        return [
            (no_municipality, int, False),
            (func.coalesce(Municipality.name, ""), str, False),
            (Employer.name, str, False),
            (Employer.id, int, False),
        ]
    if sort == "nieuw":
        return [(Employer.created_at, datetime, True), (Employer.id, int, True)]
    return [(Employer.name, str, False), (Employer.id, int, False)]


def with_municipality(query: Select, filters: EmployerFilters) -> Select:
    """The join the ``gemeente`` sort needs (public for keyset paging)."""
    return _with_municipality(query, filters)


def search_matches(filters: EmployerFilters, *, now: datetime | None = None) -> tuple[list[int], bool]:
    """All ids matching the search and filters, in list order (best first in the default
    sort), and whether that order is by relevance: one query (crm.services.search)."""
    ranked = filters.sort == "naam"
    return search_ids(filters.q, *filter_clauses(filters, now=now), ordered=_search_order(filters)), ranked


def search_page(
    filters: EmployerFilters, *, page: int, per_page: int, now: datetime | None = None
) -> tuple[list[int], int, int, bool]:
    """One page of a search in list order, the number of matches, the page number (at most the
    last) and whether the order is by relevance: one query (``search_window``), a second only
    for a page past the end (an old link)."""
    where = filter_clauses(filters, now=now)
    ordered = _search_order(filters)
    ids, total = search_window(filters.q, *where, first=(page - 1) * per_page, count=per_page, ordered=ordered)
    last = max(1, ceil(total / per_page))
    if page > last:
        page = last
        ids, total = search_window(filters.q, *where, first=(page - 1) * per_page, count=per_page, ordered=ordered)
    return ids, total, page, ordered is None


def _search_order(filters: EmployerFilters) -> Select | None:
    """The list's order for a search: None for relevance (the default sort)."""
    if filters.sort == "naam":
        return None
    return _ordered(_with_municipality(select(Employer.id), filters), filters, False)


def _with_municipality(query: Select, filters: EmployerFilters) -> Select:
    if filters.sort == "gemeente":
        return query.outerjoin(Municipality, Municipality.id == Employer.municipality_id)
    return query


def count(filters: EmployerFilters, *, now: datetime | None = None) -> int:
    tally = _tally_clauses(filters)
    if tally is not None:
        return db.session.scalar(select(func.coalesce(func.sum(EmployerTally.n), 0)).where(*tally)) or 0
    query, _ranked = _filtered(select(func.count()).select_from(Employer), filters, now=now)
    return db.session.scalar(query.order_by(None)) or 0


def _tally_clauses(filters: EmployerFilters) -> list[ColumnElement[bool]] | None:
    """The filters as conditions on ``employer_tally`` (live employers per contactpersoon,
    municipality and month of the last contact, kept by triggers: crm/models/employer_tally.py),
    or None when a filter or a search needs the employers themselves. The unfiltered list's
    total was a count of every live employer on each view (8 ms at 100,000); it is a sum of
    their 1,518 tally rows (0.3 ms)."""
    if normalise(filters.q) or filters.sbi_section or filters.status or filters.erkend is not None:
        return None
    if filters.no_contact_days is not None:
        return None
    clauses: list[ColumnElement[bool]] = []
    if filters.region_id is not None:
        clauses.append(EmployerTally.municipality_id.in_(_region_municipalities(filters.region_id)))
    if filters.municipality_id is not None:
        clauses.append(EmployerTally.municipality_id == filters.municipality_id)
    if filters.contactpersoon_id is not None:
        clauses.append(EmployerTally.contactpersoon_id == filters.contactpersoon_id)
    if filters.organisation_id is not None:
        clauses.append(EmployerTally.contactpersoon_id.in_(_organisation_users(filters.organisation_id)))
    return clauses


def page_ids(
    filters: EmployerFilters, *, page: int, per_page: int, now: datetime | None = None, with_total: bool = False
) -> tuple[list[int], int | None, bool]:
    """The ids of one page in list order, whether they are ranked by relevance, and (with
    ``with_total``) the number of matching employers from the same query (``None`` when the
    page is past the end, so no row carries it)."""
    columns = (Employer.id, func.count().over()) if with_total else (Employer.id,)
    query, ranked = _filtered(_with_municipality(select(*columns), filters), filters, now=now)
    query = _ordered(query, filters, ranked).limit(per_page).offset((page - 1) * per_page)
    rows = db.session.execute(query).all()
    total = (rows[0][1] if rows else None) if with_total else None
    return [row[0] for row in rows], total, ranked


def _by_municipality(
    filters: EmployerFilters, *, page: int, per_page: int, now: datetime | None = None
) -> tuple[list[int], int, int]:
    """One page in the ``gemeente`` sort, its total and the page number (at most the last).

    Sorting every employer by its municipality's name took 180 ms at 100,000 employers (a join
    and a sort of all of them for each page). Instead: the number of matching employers per
    municipality (from the tally where the filters allow, else one index-only pass; either gives
    the total), the municipalities in name order (those without last), and then only the one or
    two municipalities the page falls in, each read in name order from
    ``ix_employer_live_municipality_name``."""
    clauses = filter_clauses(filters, now=now)
    tally = _tally_clauses(filters)
    if tally is None:
        counted = (
            select(Employer.municipality_id, func.count().label("n"))
            .where(*clauses)
            .group_by(Employer.municipality_id)
            .subquery()
        )
    else:  # the same counts from the tally's rows (municipality 0: none)
        municipality_id = func.nullif(EmployerTally.municipality_id, 0)
        counted = (
            select(municipality_id.label("municipality_id"), func.sum(EmployerTally.n).label("n"))
            .where(*tally)
            .group_by(municipality_id)
            .having(func.sum(EmployerTally.n) > 0)
            .subquery()
        )
    # In the database's order of names (its collation, as the other sorts and the API's keyset)
    groups = db.session.execute(
        select(counted.c.municipality_id, Municipality.name, counted.c.n)
        .outerjoin(Municipality, Municipality.id == counted.c.municipality_id)
        .order_by(Municipality.name.asc().nulls_last())
    ).all()
    total = sum(n for _id, _name, n in groups)
    page = min(page, max(1, ceil(total / per_page)))
    skip, wanted = (page - 1) * per_page, per_page
    ids: list[int] = []
    for municipality_id, _name, n in groups:
        if skip >= n:
            skip -= n
            continue
        in_municipality = (
            Employer.municipality_id.is_(None)
            if municipality_id is None
            else Employer.municipality_id == municipality_id
        )
        ids += db.session.scalars(
            select(Employer.id)
            .where(*clauses, in_municipality)
            .order_by(Employer.name, Employer.id)
            .limit(wanted)
            .offset(skip)
        ).all()
        skip, wanted = 0, per_page - len(ids)
        if wanted <= 0:
            break
    return ids, total, page


# --- one page -----------------------------------------------------------------------------------


@dataclass
class EmployerPage(PageNumbers):
    items: list[ListRow]
    total: int
    page: int
    per_page: int
    pressure: dict[int, list[dict]] = field(default_factory=dict)
    ranked: bool = False

    def window(self, around: int = 2) -> list[int | None]:
        """Page numbers to offer: the first, the last and a few around the current one;
        ``None`` marks a gap ("…")."""
        wanted = {1, self.pages, *range(self.page - around, self.page + around + 1)}
        numbers = sorted(n for n in wanted if 1 <= n <= self.pages)
        result: list[int | None] = []
        for number in numbers:
            if result and number - result[-1] > 1:
                result.append(None if number - result[-1] > 2 else number - 1)
            result.append(number)
        return result


def list_page(
    actor: User, filters: EmployerFilters, *, page: int = 1, per_page: int = 25, now: datetime | None = None
) -> EmployerPage:
    """One page of the employer list, with the total and the contact pressure of its rows.

    Employers are shared with every user (DESIGN.md), so ``actor`` sees every employer that
    is not merged away; it is taken for the rule's sake and for future restrictions."""
    permissions.require(actor.active)
    now = now or utcnow()
    page = max(1, page)
    if normalise(filters.q):
        # A search runs once (crm.services.search: matches selected and ranked by the database),
        # in one query: its matches give the total and the page, best first in the default sort,
        # else in the chosen sort (ordered by the same query).
        ids, total, page, ranked = search_page(filters, page=page, per_page=per_page, now=now)
    elif filters.sort == "gemeente":
        ids, total, page = _by_municipality(filters, page=page, per_page=per_page, now=now)
        ranked = False
    else:
        total = count(filters, now=now)
        page = min(page, max(1, ceil(total / per_page)))
        ids, _total, ranked = page_ids(filters, page=page, per_page=per_page, now=now) if total else ([], None, False)
    if not ids:
        return EmployerPage(items=[], total=total, page=1, per_page=per_page)
    return EmployerPage(
        items=list_rows(ids),
        total=total,
        page=page,
        per_page=per_page,
        pressure=contact_pressure(ids, now=now),
        ranked=ranked,
    )


class ListRow(NamedTuple):
    """What one row of the list shows: plain values, not an ``Employer`` with its municipality,
    SBI section, contactpersoon and organisation loaded as five mapped objects (the identity
    map, the attribute instrumentation and the template's attribute lookups on 125 objects were
    the list page's largest Python cost after its template). ``status`` and
    ``last_contact_at`` are named as on ``Employer``, so ``quiet_employers.is_quiet`` judges
    a row as it judges an employer."""

    id: int
    name: str
    erkend_leerbedrijf: bool
    kvk_number: str | None
    city: str | None
    status: str
    last_contact_at: datetime | None
    municipality: str | None
    sbi_code: str | None
    sbi_name: str | None
    contactpersoon: str
    organisation: str


def list_rows(ids: list[int]) -> list[ListRow]:
    """The list rows of the employers with these ids, in this order: one joined query."""
    if not ids:
        return []
    rows = db.session.execute(
        select(
            Employer.id,
            Employer.name,
            Employer.erkend_leerbedrijf,
            Employer.kvk_number,
            Employer.city,
            Employer.status,
            Employer.last_contact_at,
            Municipality.name,
            SbiSection.code,
            SbiSection.name,
            User.name,
            Organisation.name,
        )
        .join(User, User.id == Employer.contactpersoon_id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .outerjoin(Municipality, Municipality.id == Employer.municipality_id)
        .outerjoin(SbiSection, SbiSection.code == Employer.sbi_section_code)
        .where(Employer.id.in_(ids))
    ).all()
    by_id = {row[0]: ListRow._make(row) for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def load_rows(ids: list[int]) -> list[Employer]:
    """The employers with these ids, in this order, with everything a list row shows."""
    if not ids:
        return []
    rows = db.session.scalars(
        select(Employer)
        .where(Employer.id.in_(ids))
        .options(
            defer(Employer.notes),
            defer(Employer.search_text),
            joinedload(Employer.municipality),
            joinedload(Employer.sbi_section),
            joinedload(Employer.contactpersoon).joinedload(User.organisation),
        )
    ).unique()
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


# --- the filters in words -------------------------------------------------------------------------


def describe(filters: EmployerFilters, choices: FilterChoices) -> str:
    """The filters in plain Dutch, for the audit trail of an export."""
    parts = []
    if normalise(filters.q):
        parts.append(f'zoekterm "{normalise(filters.q)}"')
    if filters.region_id is not None:
        parts.append(f"regio {choices.name('regions', filters.region_id)}")
    if filters.municipality_id is not None:
        parts.append(f"gemeente {choices.name('municipalities', filters.municipality_id)}")
    if filters.sbi_section:
        parts.append(f"SBI-sectie {filters.sbi_section}")
    if filters.contactpersoon_id is not None:
        parts.append(f"contactpersoon {choices.name('contactpersonen', filters.contactpersoon_id)}")
    if filters.organisation_id is not None:
        parts.append(f"organisatie {choices.name('organisations', filters.organisation_id)}")
    if filters.status:
        parts.append(f"status {filters.status}")
    if filters.erkend is not None:
        parts.append("erkend leerbedrijf" if filters.erkend else "geen erkend leerbedrijf")
    if filters.no_contact_days is not None:
        parts.append(f"geen contact in {filters.no_contact_days} dagen")
    return ", ".join(parts) if parts else "geen filters (alle werkgevers)"


# --- export -------------------------------------------------------------------------------------

EXPORT_HEADERS = (
    "Naam",
    "KvK-nummer",
    "Vestigingsnummer",
    "Status",
    "Erkend leerbedrijf",
    "SBI-code",
    "SBI-sectie",
    "Grootte",
    "Straat",
    "Huisnummer",
    "Postcode",
    "Plaats",
    "Gemeente",
    "Arbeidsmarktregio",
    "Telefoon",
    "E-mail",
    "Website",
    "Contactpersoon",
    "Organisatie contactpersoon",
    "Laatste contact",
    "Aangemaakt op",
)
DATE_COLUMNS = (19, 20)  # indexes into EXPORT_HEADERS of the dates
STATUS_NAMES = {"prospect": "Prospect", "actief": "Actief", "inactief": "Inactief"}
SIZE_NAMES = {"micro": "1-9", "klein": "10-49", "middel": "50-249", "groot": "250+"}
EXPORT_BATCH = 2000  # rows fetched per round trip


def export_rows(filters: EmployerFilters, *, now: datetime | None = None) -> Iterator[list]:
    """Every employer matching the filters (not just one page), in list order, as plain values
    for a spreadsheet; fetched in batches so memory stays flat."""
    query = (
        select(
            Employer.name,
            Employer.kvk_number,
            Employer.vestigingsnummer,
            Employer.status,
            Employer.erkend_leerbedrijf,
            Employer.sbi_code,
            SbiSection.name,
            Employer.size,
            Employer.street,
            Employer.house_number,
            Employer.postcode,
            Employer.city,
            Municipality.name,
            Region.name,
            Employer.phone,
            Employer.email,
            Employer.website,
            User.name,
            Organisation.name,
            Employer.last_contact_at,
            Employer.created_at,
            Employer.sbi_section_code,
        )
        .select_from(Employer)
        .outerjoin(Municipality, Municipality.id == Employer.municipality_id)
        .outerjoin(Region, Region.id == Municipality.region_id)
        .outerjoin(SbiSection, SbiSection.code == Employer.sbi_section_code)
        .join(User, User.id == Employer.contactpersoon_id)
        .join(Organisation, Organisation.id == User.organisation_id)
    )
    query, ranked = _filtered(query, filters, now=now)
    query = _ordered(query, filters, ranked).execution_options(yield_per=EXPORT_BATCH)
    for row in db.session.execute(query):
        values: list[Any] = list(row[:21])
        values[3] = STATUS_NAMES.get(values[3], values[3])
        values[4] = "ja" if values[4] else "nee"
        values[6] = f"{row[21]} - {values[6]}" if row[21] else ""
        values[7] = SIZE_NAMES.get(values[7], values[7] or "")
        for index in DATE_COLUMNS:  # a day in Dutch time, not a UTC moment
            values[index] = local(values[index]).date() if values[index] else None
        yield values


def _counted(rows: Iterator[list], progress: Callable[[int], None]) -> Iterator[list]:
    """``rows`` passed on, telling ``progress`` the count every ``EXPORT_BATCH`` rows."""
    for count, row in enumerate(rows, start=1):
        yield row
        if count % EXPORT_BATCH == 0:
            progress(count)


def export(
    actor: User,
    filters: EmployerFilters,
    fmt: str,
    *,
    choices: FilterChoices | None = None,
    ip_address: str = "",
    progress: Callable[[int], None] | None = None,
) -> ExportFile:
    """The whole filtered list as CSV or XLSX in a temporary file (spooled to disk when large,
    so the database transaction ends before the download starts), and an audit event with the
    filters and the row count. Flushes, never commits. ``progress(rows)`` is told the rows
    written so far every ``EXPORT_BATCH`` rows (an export job's page shows it)."""
    permissions.require(permissions.can_export_employers(actor), _("U mag de werkgeverslijst niet exporteren."))
    stamp = local(utcnow()).strftime("%Y%m%d-%H%M")
    rows = export_rows(filters)
    if progress is not None:
        rows = _counted(rows, progress)
    result = export_file(fmt, EXPORT_HEADERS, rows, f"werkgevers-{stamp}", sheet_name="Werkgevers")
    description = describe(filters, choices or filter_choices())
    audit(
        actor,
        "export",
        object_type="employer",
        summary=f"Werkgeverslijst geëxporteerd als {fmt.upper()}: {result.rows} rijen; {description}",
        changes={"format": [None, fmt], "rows": [None, result.rows]},
        ip_address=ip_address,
    )
    db.session.flush()
    return result
