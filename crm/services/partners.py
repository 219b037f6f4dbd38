"""Partner organisations and partnerships as every user sees them (/partners).

No personal data of participants appears here: trajectories are counted per kind and status,
and only the ones the viewing user may see (``permissions.visible_trajectories_clause``).
Every list is paginated and loads its rows in one query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, selectinload

from crm import permissions
from crm.extensions import db
from crm.lib.paging import PageNumbers
from crm.models import (
    Employer,
    Organisation,
    Partnership,
    Trajectory,
    User,
    Vacancy,
    partnership_member,
)
from crm.models.trajectories import TRAJECTORY_KINDS, TRAJECTORY_STATUSES
from crm.models.trajectories import involves as trajectory_involves
from crm.models.vacancies import involves as vacancy_involves

ORGANISATION_TABS = ("medewerkers", "werkgevers", "vacatures")


@dataclass
class Page(PageNumbers):
    """One page of a list: ``items`` with the total and page numbers (for the pager macro)."""

    items: list
    total: int
    page: int
    per_page: int


def _page(query: Select, count_query: Select, page: int, per_page: int, *, unique: bool = False) -> Page:
    total = db.session.scalar(count_query) or 0
    page = min(max(1, page), max(1, ceil(total / per_page)))
    items = []
    if total:
        result = db.session.execute(query.limit(per_page).offset((page - 1) * per_page))
        items = list(result.unique().all() if unique else result.all())
    return Page(items=items, total=total, page=page, per_page=per_page)


# --- /partners ------------------------------------------------------------------------------


def organisations_page(actor: User, *, page: int = 1, per_page: int = 25) -> Page:
    """Organisations by name, each with its number of active users and its partnerships.
    Items are ``(Organisation, active_users)``."""
    permissions.require(actor.active)
    users = (
        select(func.count(User.id))
        .where(User.organisation_id == Organisation.id, User.active)
        .correlate(Organisation)
        .scalar_subquery()
    )
    query = (
        select(Organisation, users.label("users"))
        .options(selectinload(Organisation.partnerships))
        .order_by(Organisation.active.desc(), Organisation.name, Organisation.id)
    )
    return _page(query, select(func.count()).select_from(Organisation), page, per_page)


def partnerships_page(actor: User, *, page: int = 1, per_page: int = 25) -> Page:
    """Partnerships by name with their region and number of member organisations.
    Items are ``(Partnership, members)``."""
    permissions.require(actor.active)
    members = (
        select(func.count())
        .select_from(partnership_member)
        .where(partnership_member.c.partnership_id == Partnership.id)
        .correlate(Partnership)
        .scalar_subquery()
    )
    query = (
        select(Partnership, members.label("members"))
        .options(joinedload(Partnership.region))
        .order_by(Partnership.active.desc(), Partnership.name, Partnership.id)
    )
    return _page(query, select(func.count()).select_from(Partnership), page, per_page)


# --- /partners/<id> ---------------------------------------------------------------------------


@dataclass
class OrganisationOverview:
    organisation: Organisation
    counts: dict[str, int]
    tab: str
    page: Page
    trajectories: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> status -> n

    @property
    def trajectory_total(self) -> int:
        return sum(sum(per.values()) for per in self.trajectories.values())


def _org_users(organisation: Organisation):
    return select(User.id).where(User.organisation_id == organisation.id)


def _employers_of(organisation: Organisation):
    return select(Employer).where(
        Employer.merged_into_id.is_(None), Employer.contactpersoon_id.in_(_org_users(organisation))
    )


def _vacancies_of(organisation: Organisation):
    return select(Vacancy).where(vacancy_involves(organisation.id))


def organisation_overview(
    actor: User, organisation: Organisation, *, tab: str = "medewerkers", page: int = 1, per_page: int = 25
) -> OrganisationOverview:
    """The organisation page: the counts of each tab (one query), one page of the chosen tab,
    and its trajectories per kind and status as far as ``actor`` may see them (one query)."""
    permissions.require(permissions.can_view_organisation(actor, organisation))
    if tab not in ORGANISATION_TABS:
        tab = ORGANISATION_TABS[0]
    employers = _employers_of(organisation)
    vacancies = _vacancies_of(organisation)
    counts_row = db.session.execute(
        select(
            select(func.count())
            .select_from(User)
            .where(User.organisation_id == organisation.id, User.active)
            .scalar_subquery(),
            select(func.count()).select_from(employers.subquery()).scalar_subquery(),
            select(func.count()).select_from(vacancies.subquery()).scalar_subquery(),
        )
    ).one()
    counts = dict(zip(ORGANISATION_TABS, counts_row, strict=True))

    if tab == "medewerkers":
        query = select(User).where(User.organisation_id == organisation.id, User.active).order_by(User.name, User.id)
    elif tab == "werkgevers":
        query = employers.options(joinedload(Employer.contactpersoon), joinedload(Employer.municipality)).order_by(
            Employer.name, Employer.id
        )
    else:
        query = vacancies.options(joinedload(Vacancy.employer)).order_by(Vacancy.created_at.desc(), Vacancy.id.desc())
    total = counts[tab]
    current = min(max(1, page), max(1, ceil(total / per_page)))
    items = []
    if total:
        items = list(db.session.scalars(query.limit(per_page).offset((current - 1) * per_page)).unique())
    listing = Page(items=items, total=total, page=current, per_page=per_page)

    trajectories: dict[str, dict[str, int]] = {kind: dict.fromkeys(TRAJECTORY_STATUSES, 0) for kind in TRAJECTORY_KINDS}
    for kind, status, count in db.session.execute(
        select(Trajectory.kind, Trajectory.status, func.count())
        .where(trajectory_involves(organisation.id), permissions.visible_trajectories_clause(actor))
        .group_by(Trajectory.kind, Trajectory.status)
    ):
        trajectories[kind][status] = count
    return OrganisationOverview(
        organisation=organisation, counts=counts, tab=tab, page=listing, trajectories=trajectories
    )


def partnership_members(actor: User, partnership: Partnership) -> list[tuple[Organisation, int]]:
    """The member organisations with their number of active users (one query)."""
    permissions.require(permissions.can_view_partnership(actor, partnership))
    users = (
        select(func.count(User.id))
        .where(User.organisation_id == Organisation.id, User.active)
        .correlate(Organisation)
        .scalar_subquery()
    )
    members = select(partnership_member.c.organisation_id).where(partnership_member.c.partnership_id == partnership.id)
    return [
        (org, count)
        for org, count in db.session.execute(
            select(Organisation, users).where(Organisation.id.in_(members)).order_by(Organisation.name)
        )
    ]
