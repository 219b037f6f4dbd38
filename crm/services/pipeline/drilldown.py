"""The drill-down behind every number (/pijplijn/lijst) and its export.

The list behind a number applies exactly the conditions of the count (:mod:`.scope`) as a
``WHERE``, so it always has that number of records. Counts carry no personal data; the list
shows only trajectories the user may see (``permissions.visible_trajectories_clause``), says how
many it hides, and shows participant names only where ``visible_participants_clause`` allows.
The export is the whole list (not one page) as a table, never with participant names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import false, func, select
from sqlalchemy.orm import joinedload

from crm import permissions
from crm.extensions import db
from crm.i18n import lazy_gettext as _l
from crm.labels import (
    INVOLVEMENT_ROLE_LABELS,
    TRAJECTORY_KIND_LABELS,
    TRAJECTORY_STATUS_LABELS,
    VACANCY_STATUS_LABELS,
)
from crm.lib.clock import local
from crm.lib.paging import PageNumbers
from crm.models import (
    Employer,
    FollowUp,
    Organisation,
    ProgrammePeriod,
    Trajectory,
    User,
    Vacancy,
)
from crm.models.trajectories import INVOLVEMENT_ROLES, TRAJECTORY_KINDS
from crm.models.trajectories import involves as trajectory_involves
from crm.models.vacancies import involves as vacancy_involves
from crm.services.pipeline.choices import Choices, describe
from crm.services.pipeline.exports import Cell, Table, code_label
from crm.services.pipeline.scope import (
    EMPLOYER_MEASURES,
    FOLLOW_UP_MEASURES,
    LIST_TITLES,
    MEASURE_LABELS,
    NONE_ID,
    STARTED,
    TRAJECTORY_MEASURES,
    VACANCY_MEASURES,
    Scope,
    account_manager_employers,
    employer_clauses,
    employer_measure,
    follow_up_clauses,
    follow_up_measure,
    trajectory_clauses,
    vacancy_clauses,
    with_employer,
)


@dataclass(frozen=True)
class Drill:
    """The criteria of one number: which list, which measure, and the cell's own dimensions."""

    list: str
    measure: str
    kind: str | None = None
    involved_organisation_id: int | None = None
    involved_role: str | None = None  # with involved_organisation_id: in this role
    account_manager_id: int | None = None  # NONE_ID: trajectories without an employer
    started_in_id: int | None = None

    def as_args(self) -> dict:
        args = {
            "lijst": self.list,
            "maat": self.measure,
            "soort": self.kind,
            "betrokken": self.involved_organisation_id,
            "rol": self.involved_role,
            "am": self.account_manager_id,
            "gestart_in": self.started_in_id,
        }
        return {key: value for key, value in args.items() if value is not None}


class UnknownDrill(ValueError):
    """The drill-down criteria name no list or measure this page knows."""


def _validate(drill: Drill) -> None:
    valid = {
        "trajecten": (*TRAJECTORY_MEASURES, "stand"),
        "vacatures": tuple(VACANCY_MEASURES),
        "opvolgacties": FOLLOW_UP_MEASURES,
        "werkgevers": EMPLOYER_MEASURES,
    }
    if drill.list not in valid or drill.measure not in valid[drill.list]:
        raise UnknownDrill(f"{drill.list}/{drill.measure}")
    if drill.kind is not None and (drill.list != "trajecten" or drill.kind not in TRAJECTORY_KINDS):
        raise UnknownDrill(f"kind {drill.kind}")
    if drill.involved_role is not None and (
        drill.list != "trajecten"
        or drill.involved_organisation_id is None
        or drill.involved_role not in INVOLVEMENT_ROLES
    ):
        raise UnknownDrill(f"role {drill.involved_role}")
    if (drill.measure == "stand") != (drill.started_in_id is not None):
        raise UnknownDrill("stand needs gestart_in")


def _drill_clauses(scope: Scope, drill: Drill, started_in: ProgrammePeriod | None) -> tuple[Any, list]:
    """The model listed and the WHERE clauses that give exactly the records behind the number."""
    if drill.list == "trajecten":
        clauses = trajectory_clauses(scope)
        if drill.measure == "stand":
            if started_in is None:
                return Trajectory, [false()]
            clauses += [
                STARTED,
                Trajectory.actual_start >= started_in.starts_on,
                Trajectory.actual_start <= started_in.ends_on,
            ]
        elif (measure := TRAJECTORY_MEASURES[drill.measure]) is not None:
            clauses.append(measure)
        if drill.kind:
            clauses.append(Trajectory.kind == drill.kind)
        if drill.involved_organisation_id is not None:
            clauses.append(trajectory_involves(drill.involved_organisation_id, drill.involved_role))
        if drill.account_manager_id == NONE_ID:
            clauses.append(Trajectory.employer_id.is_(None))
        elif drill.account_manager_id is not None:
            clauses.append(Trajectory.employer_id.in_(account_manager_employers(drill.account_manager_id)))
        return Trajectory, clauses
    if drill.list == "vacatures":
        clauses = vacancy_clauses(scope)
        if (measure := VACANCY_MEASURES[drill.measure]) is not None:
            clauses.append(measure)
        if drill.involved_organisation_id is not None:
            clauses.append(vacancy_involves(drill.involved_organisation_id))
        if drill.account_manager_id is not None:
            clauses.append(Employer.contactpersoon_id == drill.account_manager_id)
        return Vacancy, clauses
    if drill.list == "opvolgacties":
        clauses = follow_up_clauses(scope)
        measure = follow_up_measure(scope, drill.measure)
        if measure is not None:
            clauses.append(measure)
        if drill.account_manager_id is not None:
            clauses.append(FollowUp.owner_id == drill.account_manager_id)
        return FollowUp, clauses
    clauses = employer_clauses(scope)
    measure = employer_measure(scope, drill.measure)
    if measure is not None:
        clauses.append(measure)
    if drill.account_manager_id is not None:
        clauses.append(Employer.contactpersoon_id == drill.account_manager_id)
    return Employer, clauses


ORDER = {
    # newest first: ids grow with registration, and the primary key index gives this order
    Trajectory: (Trajectory.id.desc(),),
    Vacancy: (Vacancy.id.desc(),),
    FollowUp: (FollowUp.due_date, FollowUp.id),
    Employer: (Employer.last_contact_at.asc().nulls_first(), Employer.name, Employer.id),
}
OPTIONS = {
    Trajectory: (
        joinedload(Trajectory.participant),
        joinedload(Trajectory.employer),
        joinedload(Trajectory.partnership),
    ),
    Vacancy: (joinedload(Vacancy.employer).joinedload(Employer.contactpersoon),),
    FollowUp: (joinedload(FollowUp.owner), joinedload(FollowUp.employer)),
    Employer: (joinedload(Employer.contactpersoon), joinedload(Employer.municipality)),
}


@dataclass
class DrillPage(PageNumbers):
    drill: Drill
    title: str
    criteria: list[str]
    items: list
    total: int  # the records behind the number
    shown: int  # of those, the ones this user may see listed (trajectories: need to know)
    page: int
    per_page: int
    visible_participants: set[int] = field(default_factory=set)

    @property
    def hidden(self) -> int:
        return self.total - self.shown

    @property
    def pages(self) -> int:
        return max(1, -(-self.shown // self.per_page))


def _from(query, model):
    """The FROM of a drill-down list: vacancies come with their employer (``vacancy_clauses``)."""
    return with_employer(query) if model is Vacancy else query


def _drill_query(scope: Scope, drill: Drill):
    _validate(drill)
    started_in = db.session.get(ProgrammePeriod, drill.started_in_id) if drill.started_in_id is not None else None
    model, clauses = _drill_clauses(scope, drill, started_in)
    visible = [*clauses, permissions.visible_clause(scope.actor, model)]
    return model, clauses, visible, started_in


# The lists in which the user's rule can hide records that the numbers count (need-to-know);
# in the others every record counted is a record the user may see.
NEED_TO_KNOW = (Trajectory, FollowUp)


def drilldown(
    scope: Scope, drill: Drill, *, page: int = 1, per_page: int = 25, choices: Choices | None = None
) -> DrillPage:
    """The records behind one number, a page at a time: a count of all of them, a count of the
    ones this user may see (differs only for trajectories and their follow-ups), the page, and for trajectories which
    participants' names may be shown. At most five queries."""
    model, clauses, visible, started_in = _drill_query(scope, drill)
    total = db.session.scalar(_from(select(func.count()).select_from(model), model).where(*clauses)) or 0
    shown = total
    if model in NEED_TO_KNOW:
        shown = db.session.scalar(select(func.count()).select_from(model).where(*visible)) or 0
    pages = max(1, -(-shown // per_page))
    page = min(max(1, page), pages)
    items = []
    if shown:
        # The page's ids first (narrow rows, so a deep page skips cheaply), then only those
        # records with what the list shows of them: one statement.
        page_ids = (
            _from(select(model.id), model)
            .where(*visible)
            .order_by(*ORDER[model])
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        items = list(
            db.session.scalars(
                select(model).where(model.id.in_(page_ids)).options(*OPTIONS[model]).order_by(*ORDER[model])
            ).unique()
        )
    # Participant names: ``permissions.visible_participants_clause`` lets a user see every
    # participant of a trajectory they may see, and only visible trajectories are listed. (Asking
    # the clause again for the page's participants costs a scan of all trajectories.)
    names = {t.participant_id for t in items} if model is Trajectory and scope.actor.active else set()
    return DrillPage(
        drill=drill,
        title=LIST_TITLES[drill.list],
        criteria=_criteria(scope, drill, started_in, choices),
        items=items,
        total=total,
        shown=shown,
        page=page,
        per_page=per_page,
        visible_participants=names,
    )


def _criteria(scope: Scope, drill: Drill, started_in: ProgrammePeriod | None, choices: Choices | None) -> list[str]:
    labels = {**TRAJECTORY_STATUS_LABELS, **VACANCY_STATUS_LABELS}
    parts = [str(MEASURE_LABELS.get(drill.measure) or labels.get(drill.measure, drill.measure))]
    if drill.measure == "stand" and started_in is not None:
        parts[0] = str(
            _l(
                "gestart in %(period)s (%(start)s t/m %(end)s)",
                period=started_in.name,
                start=f"{started_in.starts_on:%d-%m-%Y}",
                end=f"{started_in.ends_on:%d-%m-%Y}",
            )
        )
    if drill.kind:
        parts.append(code_label(TRAJECTORY_KIND_LABELS, drill.kind))
    if drill.involved_organisation_id is not None:
        org = db.session.get(Organisation, drill.involved_organisation_id)
        name = org.name if org else drill.involved_organisation_id
        if drill.involved_role:
            name = f"{name} ({code_label(INVOLVEMENT_ROLE_LABELS, drill.involved_role)})"
        parts.append(str(_l("betrokken: %(name)s", name=name)))
    if drill.account_manager_id == NONE_ID:
        parts.append(str(_l("zonder werkgever")))
    elif drill.account_manager_id is not None:
        user = db.session.get(User, drill.account_manager_id)
        parts.append(str(_l("accountmanager: %(name)s", name=user.name if user else drill.account_manager_id)))
    if choices is not None:
        described = describe(scope, choices)
        if described != "geen filters":
            parts.append(described)
    return parts


def drill_export_table(scope: Scope, drill: Drill) -> Table:
    """The whole drill-down list (not one page) as a table; never participant names."""
    model, _clauses, visible, _started = _drill_query(scope, drill)
    query = _from(select(model), model).where(*visible).options(*OPTIONS[model]).order_by(*ORDER[model])
    rows: list[list[Cell]] = []
    if model is Trajectory:
        headers = [
            _l("Traject-id"),
            _l("Soort"),
            _l("Status"),
            _l("Werkgever"),
            _l("Samenwerkingsverband"),
            _l("Aangemeld"),
            _l("Gestart"),
            _l("Einde"),
        ]
        for t in db.session.scalars(query).unique():
            rows.append(
                [
                    Cell(t.id),
                    Cell(code_label(TRAJECTORY_KIND_LABELS, t.kind)),
                    Cell(code_label(TRAJECTORY_STATUS_LABELS, t.status)),
                    Cell(t.employer.name if t.employer else ""),
                    Cell(t.partnership.name),
                    Cell(local(t.created_at).date()),
                    Cell(t.actual_start),
                    Cell(t.actual_end),
                ]
            )
    elif model is Vacancy:
        headers = [
            _l("Vacature-id"),
            _l("Functie"),
            _l("Werkgever"),
            _l("Status"),
            _l("Plaatsen"),
            _l("Aangemaakt"),
            _l("Sluitingsdatum"),
        ]
        for v in db.session.scalars(query).unique():
            rows.append(
                [
                    Cell(v.id),
                    Cell(v.title),
                    Cell(v.employer.name),
                    Cell(code_label(VACANCY_STATUS_LABELS, v.status)),
                    Cell(v.positions),
                    Cell(local(v.created_at).date()),
                    Cell(v.closing_date),
                ]
            )
    elif model is FollowUp:
        headers = [_l("Opvolgactie-id"), _l("Onderwerp"), _l("Eigenaar"), _l("Vervaldatum"), _l("Werkgever")]
        for f in db.session.scalars(query).unique():
            rows.append(
                [
                    Cell(f.id),
                    Cell(f.subject),
                    Cell(f.owner.name),
                    Cell(f.due_date),
                    Cell(f.employer.name if f.employer else ""),
                ]
            )
    else:
        headers = [_l("Werkgever-id"), _l("Naam"), _l("Plaats"), _l("Contactpersoon"), _l("Laatste contact")]
        for e in db.session.scalars(query).unique():
            rows.append(
                [
                    Cell(e.id),
                    Cell(e.name),
                    Cell(e.city),
                    Cell(e.contactpersoon.name),
                    Cell(local(e.last_contact_at).date() if e.last_contact_at else None),
                ]
            )
    return Table(key="lijst", title=LIST_TITLES[drill.list], headers=headers, rows=rows)
