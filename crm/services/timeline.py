"""One employer's timeline: contacts, follow-ups, vacancies and trajectories, newest first.

The page is chosen in SQL: a UNION ALL of ``(kind, id, at)`` over the four tables for this
employer, each part already narrowed to what the user may see, ordered and cut with
LIMIT/OFFSET, with the total as a window count in the same query. Then each kind's rows on the
page are loaded by id, one query per kind present, joined to what the page shows (authors,
organisations, vacancies: all many-to-one). A page of contacts only is two queries; a page
mixing all four kinds is five (the fifth: which participants this user may name).

The moment a row sorts on: a contact's ``occurred_at``; for follow-ups, vacancies and
trajectories the moment they were created.

The timeline can be narrowed to one kind (only the contacts, say) and to one organisation:
contacts logged by its people, follow-ups owned by its people, vacancies and trajectories it is
involved in. Filtering leaves parts out of the UNION or adds one condition to each part; the
statements stay built once per kind of viewer and filter.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from math import ceil
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Select, String, bindparam, func, literal_column, select, union_all
from sqlalchemy.orm import joinedload

from crm import permissions
from crm.extensions import db
from crm.lib.paging import PageNumbers
from crm.models import Contact, FollowUp, Participant, Trajectory, TrajectoryOrganisation, User, Vacancy
from crm.models.vacancies import vacancy_organisation

PER_PAGE = 20
KINDS = ("contact", "follow_up", "vacancy", "trajectory")


@dataclass
class TimelineItem:
    kind: str
    id: int
    at: datetime
    record: Any = None
    # Trajectories only: the participant, when this user may see who it is (else None).
    participant: Participant | None = None


@dataclass
class TimelinePage(PageNumbers):
    """One page of the timeline; quacks like Flask-SQLAlchemy's Pagination for the pager macro."""

    items: list[TimelineItem]
    page: int
    per_page: int
    total: int


def _kind(name: str):
    return literal_column(f"'{name}'", String).label("kind")


def _organisation_clauses(organisation_id) -> dict[str, Any]:
    """Per kind: the rows that belong to the organisation."""
    return {
        "contact": Contact.organisation_id == organisation_id,
        "follow_up": FollowUp.owner_id.in_(select(User.id).where(User.organisation_id == organisation_id)),
        "vacancy": Vacancy.id.in_(
            select(vacancy_organisation.c.vacancy_id).where(vacancy_organisation.c.organisation_id == organisation_id)
        ),
        "trajectory": Trajectory.id.in_(
            select(TrajectoryOrganisation.trajectory_id).where(
                TrajectoryOrganisation.organisation_id == organisation_id
            )
        ),
    }


def _parts(user: User, employer_id):
    """The four SELECTs of ``(kind, id, at)``, each limited to what ``user`` may see."""
    return (
        select(_kind("contact"), Contact.id.label("id"), Contact.occurred_at.label("at")).where(
            Contact.employer_id == employer_id, permissions.visible_contacts_clause(user)
        ),
        select(_kind("follow_up"), FollowUp.id.label("id"), FollowUp.created_at.label("at")).where(
            FollowUp.employer_id == employer_id, permissions.visible_follow_ups_clause(user)
        ),
        select(_kind("vacancy"), Vacancy.id.label("id"), Vacancy.created_at.label("at")).where(
            Vacancy.employer_id == employer_id
        ),
        select(_kind("trajectory"), Trajectory.id.label("id"), Trajectory.created_at.label("at")).where(
            Trajectory.employer_id == employer_id, permissions.visible_trajectories_clause(user)
        ),
    )


def _loader(model, *options):
    return select(model).where(model.id.in_(bindparam("ids", expanding=True))).options(*options)


# One statement per kind, built once: "these ids, with what the page shows of them".
LOADERS = {
    "contact": _loader(
        Contact,
        joinedload(Contact.author),
        joinedload(Contact.organisation),
        joinedload(Contact.employer_contact),
        joinedload(Contact.vacancy),
    ),
    "follow_up": _loader(FollowUp, joinedload(FollowUp.owner), joinedload(FollowUp.vacancy)),
    "vacancy": _loader(Vacancy),
    "trajectory": _loader(Trajectory, joinedload(Trajectory.partnership)),
}


@functools.lru_cache(maxsize=256)
def _statements(
    active: bool, role: str, organisation_id: int, kinds: tuple[str, ...] = KINDS, by_organisation: bool = False
) -> tuple[Select, Select]:
    """The page statement and the count statement for viewers with these attributes, the
    employer and the page left as parameters. Built once per kind of viewer, so SQLAlchemy keeps
    their cache keys. The visibility clauses (``crm.permissions``) read only these attributes;
    the stand-in has no others, so a clause that starts reading more fails here, loudly."""
    # A stand-in for a User on purpose (see above): typed as one for the clauses it is passed to.
    viewer = cast(User, SimpleNamespace(active=active, role=role, organisation_id=organisation_id))
    parts = dict(zip(KINDS, _parts(viewer, bindparam("employer_id")), strict=True))
    if by_organisation:
        clauses = _organisation_clauses(bindparam("organisation_id"))
        parts = {kind: part.where(clauses[kind]) for kind, part in parts.items()}
    timeline = union_all(*(parts[kind] for kind in kinds)).subquery("timeline")
    page = (
        select(timeline.c.kind, timeline.c.id, timeline.c.at, func.count().over().label("total"))
        .order_by(timeline.c.at.desc(), timeline.c.kind, timeline.c.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return page, select(func.count()).select_from(timeline)


def employer_timeline(
    user: User,
    employer_id: int,
    page: int = 1,
    per_page: int = PER_PAGE,
    *,
    kind: str | None = None,
    organisation_id: int | None = None,
) -> TimelinePage:
    """Page ``page`` (1-based) of the employer's timeline as ``user`` may see it, of one
    ``kind`` and one organisation when given (an unknown kind is no filter); a page past the
    end (an old link after a merge, say) shows the last page."""
    page = max(1, page)
    kinds = (kind,) if kind in KINDS else KINDS
    page_statement, count_statement = _statements(
        user.active, user.role, user.organisation_id, kinds, organisation_id is not None
    )
    filters = {"employer_id": employer_id}
    if organisation_id is not None:
        filters["organisation_id"] = organisation_id

    def page_rows(page: int):
        parameters = {**filters, "limit": per_page, "offset": (page - 1) * per_page}
        return db.session.execute(page_statement, parameters).all()

    rows = page_rows(page)
    if not rows and page > 1:
        total = db.session.scalar(count_statement, filters) or 0
        page = max(1, ceil(total / per_page))
        rows = page_rows(page)
    total = rows[0].total if rows else 0
    items = [TimelineItem(kind=kind, id=id_, at=at) for kind, id_, at, _total in rows]

    ids: dict[str, list[int]] = defaultdict(list)
    for item in items:
        ids[item.kind].append(item.id)
    loaded: dict[tuple[str, int], Any] = {}
    for kind, wanted in ids.items():
        for record in db.session.scalars(LOADERS[kind], {"ids": wanted}):
            loaded[(kind, record.id)] = record

    # Participants' names are need-to-know: one query answers it for the whole page.
    participant_ids = {loaded[("trajectory", i)].participant_id for i in ids.get("trajectory", [])}
    visible = (
        {
            p.id: p
            for p in db.session.scalars(
                select(Participant).where(
                    Participant.id.in_(participant_ids), permissions.visible_participants_clause(user)
                )
            )
        }
        if participant_ids
        else {}
    )
    for item in items:
        item.record = loaded[(item.kind, item.id)]
        if item.kind == "trajectory":
            item.participant = visible.get(item.record.participant_id)
    return TimelinePage(items=items, page=page, per_page=per_page, total=total)
