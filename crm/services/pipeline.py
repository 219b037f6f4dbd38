"""The coordinator's pipeline review (/pijplijn) and the ambition table (/pijplijn/ambities).

Every number is one cell of a grouped query (``GROUP BY`` with conditional counts): no query per
row, and the number of queries per page is fixed. Each count is defined by a *measure* (a SQL
condition, the ``*_MEASURES`` dicts below) plus the page filters plus the cell's own criteria
(kind, involved organisation, account manager, period of start). The drill-down list
(:func:`drilldown`) applies exactly the same conditions as a ``WHERE``, so the list behind a
number always has that number of records.

Who sees what (``permissions.can_review_pipeline``): coordinators review the partnerships their
organisation is a member of, admins every partnership. Counts carry no personal data; the
drill-down lists only trajectories the user may see (``permissions.visible_trajectories_clause``)
and participant names only where ``visible_participants_clause`` allows.

The rules, as the pages state them:

- *Stand* (ambition table): trajectories of the partnership whose actual start date lies in the
  programme period (``starts_on`` .. ``ends_on``, both included) and whose status is gestart,
  afgerond or uitgevallen: a trajectory that dropped out after it started still counts; one
  that dropped out before its start (no actual start date) does not.
- *Procent*: Stand / Ambitie x 100, rounded to a whole number, half up (32.5 -> 33); no
  ambition (0 or none entered) -> "–". The total row adds up ambitions and stands first.
- *Period filter* on the pipeline: vacancies and trajectories registered (created) in the
  period; follow-ups and employers without contact are the current state and ignore it.
- *Partnership*: trajectories by the partnership they count toward; vacancies, employers and
  follow-ups by their account manager (the employer's contactpersoon, the follow-up's owner)
  working at a member organisation.
- *Region*: the employer's municipality (a vacancy's own location first; a trajectory without
  employer: the participant's municipality). *Organisation*: involved in the trajectory or
  vacancy; for employers and follow-ups the account manager's organisation. *Account
  manager*: the employer's contactpersoon; for follow-ups the owner.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, cast, exists, false, func, literal, or_, select, union_all
from sqlalchemy.exc import IntegrityError
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
from crm.models import (
    Ambition,
    AuditEvent,
    Employer,
    FollowUp,
    Municipality,
    Organisation,
    Participant,
    Partnership,
    ProgrammePeriod,
    Region,
    Trajectory,
    User,
    Vacancy,
    partnership_member,
)
from crm.models.base import utcnow
from crm.models.trajectories import INVOLVEMENT_ROLES, TRAJECTORY_KINDS, TRAJECTORY_STATUSES, parse_involvement_key
from crm.models.trajectories import involves as trajectory_involves
from crm.models.vacancies import VACANCY_STATUSES
from crm.models.vacancies import involves as vacancy_involves
from crm.models.vacancies import parse_involvement_key as parse_vacancy_involvement_key
from crm.services import spreadsheets
from crm.services.audit import audit
from crm.services.audit_log import actor_names
from crm.services.clock import AMSTERDAM, local, today
from crm.services.errors import PermissionDenied, ServiceError, StaleRecord
from crm.services.paging import PageNumbers
from crm.services.worklist import NEGLECTED_DAYS

STARTED_STATUSES = ("gestart", "afgerond", "uitgevallen")
OPEN_VACANCY_STATUSES = ("nieuw", "intake_gedaan", "kandidaten_voorgesteld")
EXPORT_FORMATS = spreadsheets.FORMATS
NO_AMBITION = "–"
NONE_ID = 0  # "am=0": trajectories without an employer (so without an account manager)

# --- measures: the condition behind each kind of number ---------------------------------------

STARTED = and_(Trajectory.actual_start.is_not(None), Trajectory.status.in_(STARTED_STATUSES))
TRAJECTORY_MEASURES: dict[str, ColumnElement[bool] | None] = {
    "totaal": None,
    **{status: Trajectory.status == status for status in TRAJECTORY_STATUSES},
    "gestart_ooit": STARTED,
    "uitgevallen_na_start": and_(Trajectory.status == "uitgevallen", Trajectory.actual_start.is_not(None)),
    "uitgevallen_voor_start": and_(Trajectory.status == "uitgevallen", Trajectory.actual_start.is_(None)),
}


def _measure_holds(measure: str, status: str, has_start: bool) -> bool:
    """``TRAJECTORY_MEASURES[measure]`` for one trajectory, in Python: for counting grouped rows
    (``_trajectory_counts``). tests/test_pipeline.py checks both agree on every combination."""
    if measure == "totaal":
        return True
    if measure in TRAJECTORY_STATUSES:
        return status == measure
    return {
        "gestart_ooit": has_start and status in STARTED_STATUSES,
        "uitgevallen_na_start": status == "uitgevallen" and has_start,
        "uitgevallen_voor_start": status == "uitgevallen" and not has_start,
    }[measure]


VACANCY_MEASURES: dict[str, ColumnElement[bool] | None] = {
    "totaal": None,
    **{status: Vacancy.status == status for status in VACANCY_STATUSES},
    "open": Vacancy.status.in_(OPEN_VACANCY_STATUSES),
}
FOLLOW_UP_MEASURES = ("open", "te_laat")
EMPLOYER_MEASURES = ("alle", "geen_contact", "nooit_contact")
MEASURE_LABELS = {
    "totaal": _l("alle"),
    "gestart_ooit": _l("gestart (ooit)"),
    "uitgevallen_na_start": _l("uitgevallen na de start"),
    "uitgevallen_voor_start": _l("uitgevallen vóór de start"),
    "stand": _l("gestart in de periode (stand)"),
    "open": _l("open"),
    "te_laat": _l("te laat"),
    "alle": _l("alle"),
    "geen_contact": _l("geen contact in %(days)s+ dagen", days=NEGLECTED_DAYS),
    "nooit_contact": _l("nooit contact"),
}
LISTS = ("trajecten", "vacatures", "opvolgacties", "werkgevers")
LIST_TITLES = {
    "trajecten": _l("Trajecten"),
    "vacatures": _l("Vacatures"),
    "opvolgacties": _l("Opvolgacties"),
    "werkgevers": _l("Werkgevers"),
}


def _count(condition: ColumnElement[bool] | None):
    return func.count() if condition is None else func.count(case((condition, 1)))


# --- filters and scope ------------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineFilters:
    """The page filters (``None``: not filtered on this). In the URL as ``samenwerkingsverband``,
    ``periode``, ``regio``, ``organisatie`` and ``accountmanager``."""

    partnership_id: int | None = None
    period_id: int | None = None
    region_id: int | None = None
    organisation_id: int | None = None
    account_manager_id: int | None = None

    def as_args(self) -> dict[str, int]:
        args = {
            "samenwerkingsverband": self.partnership_id,
            "periode": self.period_id,
            "regio": self.region_id,
            "organisatie": self.organisation_id,
            "accountmanager": self.account_manager_id,
        }
        return {key: value for key, value in args.items() if value is not None}


@dataclass
class Scope:
    """What the actor reviews: ``partnership_ids`` is None for "every partnership" (admins)."""

    actor: User
    filters: PipelineFilters
    partnership_ids: list[int] | None
    period: ProgrammePeriod | None = None
    # The region filter's municipalities, as ids: a literal list lets the planner use the
    # column statistics (in a partnership's own region that is nearly every employer).
    municipality_ids: list[int] = field(default_factory=list)
    today: date = field(default_factory=today)
    now: datetime = field(default_factory=utcnow)

    @property
    def neglected_before(self) -> datetime:
        return self.now - timedelta(days=NEGLECTED_DAYS)


def reviewable_partnership_ids(actor: User) -> list[int] | None:
    """The partnerships ``actor`` reviews: None means all (admins); coordinators: their
    organisation's partnerships."""
    permissions.require(permissions.can_review_pipeline(actor), "Alleen coördinatoren en beheerders zien de pijplijn.")
    if permissions.is_admin(actor):
        return None
    return list(
        db.session.scalars(
            select(partnership_member.c.partnership_id)
            .where(partnership_member.c.organisation_id == actor.organisation_id)
            .order_by(partnership_member.c.partnership_id)
        )
    )


def scope_for(
    actor: User,
    filters: PipelineFilters,
    *,
    allowed: list[int] | None | bool = False,
    on: date | None = None,
    now: datetime | None = None,
) -> Scope:
    """Check that ``actor`` may review the pipeline (and the chosen partnership), and resolve
    the filters. Raises PermissionDenied for anyone else or someone else's partnership.
    ``allowed``: the result of :func:`reviewable_partnership_ids`, when the caller has it."""
    if allowed is False:
        allowed = reviewable_partnership_ids(actor)
    else:
        permissions.require(permissions.can_review_pipeline(actor))
    partnership_ids = allowed
    if filters.partnership_id is not None:
        if allowed is not None and filters.partnership_id not in allowed:
            raise PermissionDenied("U bekijkt alleen de samenwerkingsverbanden van uw eigen organisatie.")
        partnership_ids = [filters.partnership_id]
    period = db.session.get(ProgrammePeriod, filters.period_id) if filters.period_id is not None else None
    if filters.period_id is not None and period is None:
        filters = PipelineFilters(**{**filters.__dict__, "period_id": None})
    municipality_ids = []
    if filters.region_id is not None:
        municipality_ids = list(
            db.session.scalars(select(Municipality.id).where(Municipality.region_id == filters.region_id))
        )
    return Scope(
        actor=actor,
        filters=filters,
        partnership_ids=partnership_ids,
        period=period,
        municipality_ids=municipality_ids,
        today=on or today(),
        now=now or utcnow(),
    )


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=AMSTERDAM)


def _member_users(partnership_ids: list[int]):
    members = select(partnership_member.c.organisation_id).where(
        partnership_member.c.partnership_id.in_(partnership_ids)
    )
    return select(User.id).where(User.organisation_id.in_(members))


def _organisation_users(organisation_id: int):
    return select(User.id).where(User.organisation_id == organisation_id)


def _region_employers(scope: Scope):
    return select(Employer.id).where(Employer.municipality_id.in_(scope.municipality_ids))


def _account_manager_employers(user_id: int):
    return select(Employer.id).where(Employer.contactpersoon_id == user_id)


def _in_period(column, period: ProgrammePeriod) -> ColumnElement[bool]:
    return and_(
        column >= _local_midnight(period.starts_on), column < _local_midnight(period.ends_on + timedelta(days=1))
    )


def trajectory_clauses(scope: Scope) -> list[ColumnElement[bool]]:
    f, clauses = scope.filters, []
    if scope.partnership_ids is not None:
        clauses.append(Trajectory.partnership_id.in_(scope.partnership_ids) if scope.partnership_ids else false())
    if scope.period is not None:
        clauses.append(_in_period(Trajectory.created_at, scope.period))
    if f.region_id is not None:
        participants = select(Participant.id).where(Participant.municipality_id.in_(scope.municipality_ids))
        clauses.append(
            or_(
                Trajectory.employer_id.in_(_region_employers(scope)),
                and_(Trajectory.employer_id.is_(None), Trajectory.participant_id.in_(participants)),
            )
        )
    if f.organisation_id is not None:
        clauses.append(trajectory_involves(f.organisation_id))
    if f.account_manager_id is not None:
        clauses.append(Trajectory.employer_id.in_(_account_manager_employers(f.account_manager_id)))
    return clauses


def with_employer(query):
    """A vacancy query joined to the vacancy's employer (every vacancy has one), which
    :func:`vacancy_clauses` filter on: conditions on the joined row, not sub-selects of employers."""
    return query.join(Employer, Employer.id == Vacancy.employer_id)


def vacancy_clauses(scope: Scope) -> list[ColumnElement[bool]]:
    """Conditions on vacancies and their employer: for queries made by :func:`with_employer`."""
    f, clauses = scope.filters, []
    if scope.partnership_ids is not None:
        clauses.append(
            Employer.contactpersoon_id.in_(_member_users(scope.partnership_ids)) if scope.partnership_ids else false()
        )
    if scope.period is not None:
        clauses.append(_in_period(Vacancy.created_at, scope.period))
    if f.region_id is not None:
        clauses.append(
            or_(
                Vacancy.municipality_id.in_(scope.municipality_ids),
                and_(Vacancy.municipality_id.is_(None), Employer.municipality_id.in_(scope.municipality_ids)),
            )
        )
    if f.organisation_id is not None:
        clauses.append(vacancy_involves(f.organisation_id))
    if f.account_manager_id is not None:
        clauses.append(Employer.contactpersoon_id == f.account_manager_id)
    return clauses


def follow_up_clauses(scope: Scope) -> list[ColumnElement[bool]]:
    f, clauses = scope.filters, [FollowUp.status == "open"]
    if scope.partnership_ids is not None:
        clauses.append(
            FollowUp.owner_id.in_(_member_users(scope.partnership_ids)) if scope.partnership_ids else false()
        )
    if f.region_id is not None:
        clauses.append(FollowUp.employer_id.in_(_region_employers(scope)))
    if f.organisation_id is not None:
        clauses.append(FollowUp.owner_id.in_(_organisation_users(f.organisation_id)))
    if f.account_manager_id is not None:
        clauses.append(FollowUp.owner_id == f.account_manager_id)
    return clauses


def employer_clauses(scope: Scope) -> list[ColumnElement[bool]]:
    f, clauses = scope.filters, [Employer.merged_into_id.is_(None)]
    if scope.partnership_ids is not None:
        clauses.append(
            Employer.contactpersoon_id.in_(_member_users(scope.partnership_ids)) if scope.partnership_ids else false()
        )
    if f.region_id is not None:
        clauses.append(Employer.municipality_id.in_(scope.municipality_ids))
    if f.organisation_id is not None:
        clauses.append(Employer.contactpersoon_id.in_(_organisation_users(f.organisation_id)))
    if f.account_manager_id is not None:
        clauses.append(Employer.contactpersoon_id == f.account_manager_id)
    return clauses


def _follow_up_measure(scope: Scope, measure: str) -> ColumnElement[bool] | None:
    return FollowUp.due_date < scope.today if measure == "te_laat" else None


def _employer_measure(scope: Scope, measure: str) -> ColumnElement[bool] | None:
    if measure == "geen_contact":
        return or_(Employer.last_contact_at.is_(None), Employer.last_contact_at < scope.neglected_before)
    if measure == "nooit_contact":
        return Employer.last_contact_at.is_(None)
    return None


# --- tables -----------------------------------------------------------------------------------


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
        if self.percent:
            return NO_AMBITION if self.value is None else f"{self.value}%"
        return "" if self.value is None else str(self.value)

    @property
    def export_value(self) -> Any:
        if self.percent and self.value is None:
            return NO_AMBITION
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


def _label(labels: dict, code: str) -> str:
    return str(labels.get(code, code))


# --- the pipeline page ------------------------------------------------------------------------


@dataclass
class PipelineReview:
    scope: Scope
    tables: dict[str, Table]
    funnel_chart: dict


def review(scope: Scope) -> PipelineReview:
    """All tables of /pijplijn: five grouped queries, whatever the data."""
    traj_am, traj_org = _trajectory_counts(scope)
    vac_am, vac_org = _vacancy_counts(scope)
    _name_organisations(traj_org, vac_org)
    follow_ups = _follow_ups_per_account_manager(scope)
    employers = _employers_per_account_manager(scope)

    # The funnels are the sums of the per-account-manager groups (each trajectory and vacancy
    # is in exactly one group), so they need no query of their own.
    traj_totals: dict[str, dict[str, int]] = {kind: defaultdict(int) for kind in TRAJECTORY_KINDS}
    for row in traj_am:
        for measure in TRAJECTORY_MEASURES:
            traj_totals[row["kind"]][measure] += row[measure]
    vac_totals: dict[str, int] = defaultdict(int)
    for row in vac_am:
        for measure in VACANCY_MEASURES:
            vac_totals[measure] += row[measure]

    tables = {
        "trajecten": _trajectory_status_table(traj_totals),
        "conversie": _conversion_table(traj_totals, vac_totals),
        "vacatures": _vacancy_status_table(vac_totals),
        "per_organisatie": _per_organisation_table(traj_org),
        "vacatures_per_organisatie": _vacancies_per_organisation_table(vac_org),
        "per_accountmanager": _per_account_manager_table(traj_am, vac_am),
        "opvolging": _follow_up_table(follow_ups, employers),
    }
    chart = {
        "labels": [str(_l("Aangemeld (alle)")), str(_l("Ooit gestart")), str(_l("Afgerond"))],
        "datasets": [
            {
                "label": _label(TRAJECTORY_KIND_LABELS, kind),
                "data": [traj_totals[kind]["totaal"], traj_totals[kind]["gestart_ooit"], traj_totals[kind]["afgerond"]],
            }
            for kind in TRAJECTORY_KINDS
        ],
        "vacancies": {
            "labels": [_label(VACANCY_STATUS_LABELS, s) for s in VACANCY_STATUSES],
            "data": [vac_totals[s] for s in VACANCY_STATUSES],
        },
    }
    return PipelineReview(scope=scope, tables=tables, funnel_chart=chart)


def _trajectory_counts(scope: Scope) -> tuple[list[dict], list[dict]]:
    """Trajectory counts per (employer's contactpersoon, kind) and per (involved organisation,
    role), from ONE grouped query over the trajectories in scope.

    Every trajectory measure depends only on the status and whether there is a start date
    (``_measure_holds``), so the query groups by those, the contactpersoon, the kind and the
    ``involvement_key``; the few hundred groups are summed here. Per organisation, a trajectory
    counts once for each (organisation, role) in its key, exactly as the drill-down (``betrokken``
    + ``rol``) lists it, without joining every involvement row."""
    keys = (
        Employer.contactpersoon_id.label("user_id"),
        Trajectory.kind,
        Trajectory.involvement_key,
        Trajectory.status,
        Trajectory.actual_start.is_not(None).label("has_start"),
    )
    groups = (
        select(*keys, func.count().label("n"))
        .select_from(Trajectory)
        .outerjoin(Employer, Employer.id == Trajectory.employer_id)
        .where(*trajectory_clauses(scope))
        .group_by(*keys)
        .subquery()
    )
    # The account managers' names are joined to the few hundred groups, not to every trajectory.
    query = select(
        groups.c.user_id,
        User.name,
        groups.c.kind,
        groups.c.involvement_key,
        groups.c.status,
        groups.c.has_start,
        groups.c.n,
    ).outerjoin(User, User.id == groups.c.user_id)
    # First per group and "profile" (status, has a start date), then the measures per group.
    am_profiles: dict[tuple, Counter] = defaultdict(Counter)
    org_profiles: dict[tuple, Counter] = defaultdict(Counter)
    involved = functools.cache(parse_involvement_key)
    for user_id, name, kind, key, status, has_start, count in db.session.execute(query):
        profile = (status, bool(has_start))
        am_profiles[(user_id, name, kind)][profile] += count
        for organisation_id, role in involved(key):
            org_profiles[(organisation_id, role)][profile] += count

    def measures(profiles: Counter, names) -> dict[str, int]:
        return {
            m: sum(n for (status, has_start), n in profiles.items() if _measure_holds(m, status, has_start))
            for m in names
        }

    per_am = [
        {"user_id": user_id, "name": name, "kind": kind, **measures(profiles, TRAJECTORY_MEASURES)}
        for (user_id, name, kind), profiles in am_profiles.items()
    ]
    per_org = {
        (organisation_id, role): {
            "org_id": organisation_id,
            "role": role,
            **measures(profiles, ORG_TRAJECTORY_MEASURES),
        }
        for (organisation_id, role), profiles in org_profiles.items()
    }
    return per_am, list(per_org.values())


ORG_TRAJECTORY_MEASURES = ("totaal", "gestart_ooit", "afgerond", "uitgevallen")
ORG_VACANCY_MEASURES = ("totaal", "open", "vervuld")


def _vacancy_counts(scope: Scope) -> tuple[list[dict], list[dict]]:
    """Vacancy counts per account manager (the employer's contactpersoon) and per involved
    organisation, from ONE grouped query by (contactpersoon, involvement_key, status), as
    :func:`_trajectory_counts` does for trajectories."""
    keys = (Employer.contactpersoon_id.label("user_id"), Vacancy.involvement_key, Vacancy.status)
    groups = with_employer(select(*keys, func.count().label("n")).select_from(Vacancy))
    groups = groups.where(*vacancy_clauses(scope)).group_by(*keys).subquery()
    query = select(groups.c.user_id, User.name, groups.c.involvement_key, groups.c.status, groups.c.n).join(
        User, User.id == groups.c.user_id
    )
    am_statuses: dict[tuple, Counter] = defaultdict(Counter)
    org_statuses: dict[int, Counter] = defaultdict(Counter)
    involved = functools.cache(parse_vacancy_involvement_key)
    for user_id, name, key, status, count in db.session.execute(query):
        am_statuses[(user_id, name)][status] += count
        for organisation_id in involved(key):
            org_statuses[organisation_id][status] += count

    def measures(statuses: Counter, names) -> dict[str, int]:
        return {m: sum(n for status, n in statuses.items() if _vacancy_measure_holds(m, status)) for m in names}

    per_am = [
        {"user_id": user_id, "name": name, **measures(statuses, VACANCY_MEASURES)}
        for (user_id, name), statuses in am_statuses.items()
    ]
    per_org = [
        {"org_id": organisation_id, **measures(statuses, ORG_VACANCY_MEASURES)}
        for organisation_id, statuses in org_statuses.items()
    ]
    return per_am, per_org


def _vacancy_measure_holds(measure: str, status: str) -> bool:
    """``VACANCY_MEASURES[measure]`` for one vacancy, in Python (tests check both agree)."""
    if measure == "totaal":
        return True
    if measure == "open":
        return status in OPEN_VACANCY_STATUSES
    return status == measure


def _name_organisations(*rows: list[dict]) -> None:
    """Add the organisation's name to rows with an ``org_id``: one lookup by id."""
    ids = {row["org_id"] for part in rows for row in part}
    names: dict[int, str] = {}
    if ids:
        names = {
            id_: name
            for id_, name in db.session.execute(
                select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
            )
        }
    for part in rows:
        for row in part:
            row["name"] = names.get(row["org_id"], "")


def _follow_ups_per_account_manager(scope: Scope) -> list[dict]:
    query = (
        select(
            FollowUp.owner_id,
            User.name,
            func.count().label("open"),
            _count(_follow_up_measure(scope, "te_laat")).label("te_laat"),
            func.min(case((FollowUp.due_date < scope.today, FollowUp.due_date))).label("oldest"),
        )
        .select_from(FollowUp)
        .join(User, User.id == FollowUp.owner_id)
        .where(*follow_up_clauses(scope))
        .group_by(FollowUp.owner_id, User.name)
    )
    return [
        {"user_id": row[0], "name": row[1], "open": row[2], "te_laat": row[3], "oldest": row[4]}
        for row in db.session.execute(query)
    ]


def _employers_per_account_manager(scope: Scope) -> list[dict]:
    query = (
        select(
            Employer.contactpersoon_id,
            User.name,
            func.count().label("alle"),
            _count(_employer_measure(scope, "geen_contact")).label("geen_contact"),
            _count(_employer_measure(scope, "nooit_contact")).label("nooit_contact"),
        )
        .select_from(Employer)
        .join(User, User.id == Employer.contactpersoon_id)
        .where(*employer_clauses(scope))
        .group_by(Employer.contactpersoon_id, User.name)
    )
    return [
        {"user_id": row[0], "name": row[1], "alle": row[2], "geen_contact": row[3], "nooit_contact": row[4]}
        for row in db.session.execute(query)
    ]


def _t(measure: str, **criteria) -> dict:
    return {"lijst": "trajecten", "maat": measure, **criteria}


def _v(measure: str, **criteria) -> dict:
    return {"lijst": "vacatures", "maat": measure, **criteria}


def _trajectory_status_table(totals: dict[str, dict[str, int]]) -> Table:
    rows = []
    for status in (*TRAJECTORY_STATUSES, "totaal"):
        label = _l("Totaal") if status == "totaal" else _label(TRAJECTORY_STATUS_LABELS, status)
        row = [Cell(label)]
        for kind in TRAJECTORY_KINDS:
            row.append(Cell(totals[kind][status], _t(status, soort=kind)))
        row.append(Cell(sum(totals[kind][status] for kind in TRAJECTORY_KINDS), _t(status)))
        rows.append(row)
    return Table(
        key="trajecten",
        title=_l("Trajecten per status"),
        headers=[_l("Status"), _l("Duaal"), _l("EVC"), _l("Totaal")],
        rows=rows,
        total=True,
        note=_l("De huidige status van de trajecten binnen de filters."),
    )


def _conversion_table(traj: dict[str, dict[str, int]], vac: dict[str, int]) -> Table:
    def combined(measure: str) -> int:
        return sum(traj[kind][measure] for kind in TRAJECTORY_KINDS)

    steps = [
        ("Aangemeld → gestart", "gestart_ooit", "totaal"),
        ("Gestart → afgerond", "afgerond", "gestart_ooit"),
        ("Uitval vóór de start (van aangemeld)", "uitgevallen_voor_start", "totaal"),
        ("Uitval na de start (van gestart)", "uitgevallen_na_start", "gestart_ooit"),
    ]
    rows = []
    for label, part, whole in steps:
        row = [Cell(label)]
        for kind in (*TRAJECTORY_KINDS, None):
            criteria = {"soort": kind} if kind else {}
            p = traj[kind][part] if kind else combined(part)
            w = traj[kind][whole] if kind else combined(whole)
            row += [
                Cell(p, _t(part, **criteria)),
                Cell(w, _t(whole, **criteria)),
                Cell(percent(p, w), _t(part, **criteria), percent=True),
            ]
        rows.append(row)
    filled = [Cell("Vacatures → vervuld")]
    filled += [Cell(None), Cell(None), Cell(None), Cell(None), Cell(None), Cell(None)]
    filled += [Cell(vac["vervuld"], _v("vervuld")), Cell(vac["totaal"], _v("totaal"))]
    filled.append(Cell(percent(vac["vervuld"], vac["totaal"]), _v("vervuld"), percent=True))
    rows.append(filled)
    headers = [_l("Stap")]
    for name in (_l("Duaal"), _l("EVC"), _l("Totaal")):
        headers += [
            _l("%(name)s: aantal", name=name),
            _l("%(name)s: van", name=name),
            _l("%(name)s: procent", name=name),
        ]
    return Table(
        key="conversie",
        title=_l("Conversie en uitval"),
        headers=headers,
        rows=rows,
        note=_l(
            "Gestart = met een werkelijke startdatum en status gestart, afgerond of uitgevallen. "
            "Procent = aantal / van, afgerond op hele procenten."
        ),
    )


def _vacancy_status_table(totals: dict[str, int]) -> Table:
    rows = [[Cell(_label(VACANCY_STATUS_LABELS, s)), Cell(totals[s], _v(s))] for s in VACANCY_STATUSES]
    rows.append([Cell("Totaal"), Cell(totals["totaal"], _v("totaal"))])
    return Table(
        key="vacatures", title=_l("Vacatures per status"), headers=[_l("Status"), _l("Aantal")], rows=rows, total=True
    )


def _per_organisation_table(traj: list[dict]) -> Table:
    rows = []
    for item in sorted(traj, key=lambda r: (r["name"].lower(), r["role"])):
        org_id, role = item["org_id"], item["role"]
        row = [Cell(item["name"], link=f"/partners/{org_id}"), Cell(_label(INVOLVEMENT_ROLE_LABELS, role))]
        row += [Cell(item[m], _t(m, betrokken=org_id, rol=role)) for m in ORG_TRAJECTORY_MEASURES]
        rows.append(row)
    return Table(
        key="per_organisatie",
        title=_l("Trajecten per organisatie"),
        headers=[_l("Organisatie"), _l("Rol"), _l("Trajecten"), _l("Ooit gestart"), _l("Afgerond"), _l("Uitgevallen")],
        rows=rows,
        note=_l(
            "Een traject telt mee bij elke betrokken organisatie, in elke rol; de rijen tellen dus niet op tot het totaal."
        ),
    )


def _vacancies_per_organisation_table(vac: list[dict]) -> Table:
    rows = []
    for item in sorted(vac, key=lambda r: r["name"].lower()):
        org_id = item["org_id"]
        row = [Cell(item["name"], link=f"/partners/{org_id}")]
        row += [Cell(item[m], _v(m, betrokken=org_id)) for m in ORG_VACANCY_MEASURES]
        rows.append(row)
    return Table(
        key="vacatures_per_organisatie",
        title=_l("Vacatures per organisatie"),
        headers=[_l("Organisatie"), _l("Vacatures"), _l("Open vacatures"), _l("Vervuld")],
        rows=rows,
        note=_l("Een vacature telt mee bij elke betrokken organisatie; de rijen tellen dus niet op."),
    )


def _per_account_manager_table(traj: list[dict], vac: list[dict]) -> Table:
    people: dict[int, dict] = {}
    for row in traj:
        key = row["user_id"] or NONE_ID
        item = people.setdefault(
            key, {"name": row["name"] or str(_l("Zonder werkgever")), "t": defaultdict(int), "v": {}}
        )
        for measure in ("totaal", "gestart_ooit", "afgerond", "uitgevallen"):
            item["t"][measure] += row[measure]
    for row in vac:
        people.setdefault(row["user_id"], {"name": row["name"], "t": defaultdict(int), "v": {}})["v"] = row
    rows, sums = [], defaultdict(int)
    order = sorted(people.items(), key=lambda pair: (pair[0] == NONE_ID, pair[1]["name"].lower()))
    for user_id, item in order:
        row = [Cell(item["name"])]
        for measure in ("totaal", "open", "vervuld"):
            value = item["v"].get(measure, 0)
            sums["v" + measure] += value
            row.append(Cell(value, _v(measure, am=user_id)))
        for measure in ("totaal", "gestart_ooit", "afgerond", "uitgevallen"):
            value = item["t"][measure]
            sums["t" + measure] += value
            row.append(Cell(value, _t(measure, am=user_id)))
        rows.append(row)
    if rows:
        total = [Cell("Totaal")]
        total += [Cell(sums["v" + m], _v(m)) for m in ("totaal", "open", "vervuld")]
        total += [Cell(sums["t" + m], _t(m)) for m in ("totaal", "gestart_ooit", "afgerond", "uitgevallen")]
        rows.append(total)
    return Table(
        key="per_accountmanager",
        title=_l("Per accountmanager"),
        headers=[
            _l("Accountmanager"),
            _l("Vacatures"),
            _l("Open vacatures"),
            _l("Vervuld"),
            _l("Trajecten"),
            _l("Ooit gestart"),
            _l("Afgerond"),
            _l("Uitgevallen"),
        ],
        rows=rows,
        total=bool(rows),
        note=_l("De accountmanager is de contactpersoon van de werkgever."),
    )


def _follow_up_table(follow_ups: list[dict], employers: list[dict]) -> Table:
    people: dict[int, dict] = {}
    for row in follow_ups:
        people.setdefault(row["user_id"], {"name": row["name"]})["f"] = row
    for row in employers:
        people.setdefault(row["user_id"], {"name": row["name"]})["e"] = row
    rows, sums = [], defaultdict(int)
    for user_id, item in sorted(people.items(), key=lambda pair: pair[1]["name"].lower()):
        f, e = item.get("f", {}), item.get("e", {})
        row = [Cell(item["name"])]
        for measure in ("open", "te_laat"):
            sums[measure] += f.get(measure, 0)
            row.append(Cell(f.get(measure, 0), {"lijst": "opvolgacties", "maat": measure, "am": user_id}))
        row.append(Cell(f.get("oldest")))
        for measure in EMPLOYER_MEASURES:
            sums[measure] += e.get(measure, 0)
            row.append(Cell(e.get(measure, 0), {"lijst": "werkgevers", "maat": measure, "am": user_id}))
        rows.append(row)
    if rows:
        total = [Cell("Totaal")]
        total += [Cell(sums[m], {"lijst": "opvolgacties", "maat": m}) for m in ("open", "te_laat")]
        total.append(Cell(None))
        total += [Cell(sums[m], {"lijst": "werkgevers", "maat": m}) for m in EMPLOYER_MEASURES]
        rows.append(total)
    return Table(
        key="opvolging",
        title=_l("Opvolging per accountmanager"),
        headers=[
            _l("Accountmanager"),
            _l("Open opvolgacties"),
            _l("Te laat"),
            _l("Oudste te late"),
            _l("Werkgevers"),
            _l("Geen contact %(days)s+ dagen", days=NEGLECTED_DAYS),
            _l("Nooit contact"),
        ],
        rows=rows,
        total=bool(rows),
        note=_l(
            "Te laat: open met een vervaldatum vóór vandaag. Geen contact: laatste contact meer dan "
            "%(days)s dagen geleden of nooit. Dit is de stand van nu; de periode telt hier niet mee.",
            days=NEGLECTED_DAYS,
        ),
    )


# --- ambition vs realised ---------------------------------------------------------------------


@dataclass
class AmbitionLine:
    label: str
    kind: str | None  # None for the total row
    target: int
    realised: int

    @property
    def percent(self) -> int | None:
        return percent(self.realised, self.target)


@dataclass
class PeriodReport:
    period: ProgrammePeriod
    lines: list[AmbitionLine]  # duaal, EVC, total
    per_partnership: list[tuple[Partnership, list[AmbitionLine]]]
    chart: dict

    @property
    def has_ambition(self) -> bool:
        return any(line.target for line in self.lines)


def periods(period_id: int | None = None) -> list[ProgrammePeriod]:
    query = select(ProgrammePeriod).order_by(ProgrammePeriod.starts_on.desc(), ProgrammePeriod.id)
    if period_id is not None:
        query = query.where(ProgrammePeriod.id == period_id)
    return list(db.session.scalars(query))


def ambition_reports(
    partnership_ids: list[int] | None, period_id: int | None = None, *, on: date | None = None
) -> list[PeriodReport]:
    """For each programme period: Ambitie | Stand | Procent for duaal, EVC and the total, summed
    over the partnerships (``None``: all), and per partnership. Four queries in all.

    No permission check: the numbers carry no personal data (the partnership page shows them to
    every user); the pipeline page checks ``scope_for`` first."""
    on = on or today()
    shown = periods(period_id)
    if not shown:
        return []
    partnership_query = select(Partnership).order_by(Partnership.name)
    if partnership_ids is not None:
        partnership_query = partnership_query.where(Partnership.id.in_(partnership_ids or [-1]))
    partnerships = list(db.session.scalars(partnership_query))
    ids = [p.id for p in partnerships]
    period_ids = [p.id for p in shown]

    targets: dict[tuple[int, int, str], int] = {}
    for a_partnership, a_period, kind, target in db.session.execute(
        select(Ambition.partnership_id, Ambition.period_id, Ambition.kind, Ambition.target).where(
            Ambition.partnership_id.in_(ids or [-1]), Ambition.period_id.in_(period_ids)
        )
    ):
        targets[(a_partnership, a_period, kind)] = target

    realised: dict[tuple[int, int, str], int] = {}
    stand = (
        select(Trajectory.partnership_id, ProgrammePeriod.id, Trajectory.kind, func.count())
        .select_from(Trajectory)
        .join(
            ProgrammePeriod,
            and_(
                Trajectory.actual_start >= ProgrammePeriod.starts_on, Trajectory.actual_start <= ProgrammePeriod.ends_on
            ),
        )
        .where(STARTED, Trajectory.partnership_id.in_(ids or [-1]), ProgrammePeriod.id.in_(period_ids))
        .group_by(Trajectory.partnership_id, ProgrammePeriod.id, Trajectory.kind)
    )
    for r_partnership, r_period, kind, count in db.session.execute(stand):
        realised[(r_partnership, r_period, kind)] = count

    daily = _started_per_day(ids, min(p.starts_on for p in shown), max(p.ends_on for p in shown))

    reports = []
    for period in shown:
        per_partnership = []
        for partnership in partnerships:
            lines = _lines(
                {kind: targets.get((partnership.id, period.id, kind), 0) for kind in TRAJECTORY_KINDS},
                {kind: realised.get((partnership.id, period.id, kind), 0) for kind in TRAJECTORY_KINDS},
            )
            per_partnership.append((partnership, lines))
        lines = _lines(
            {
                kind: sum(t for (_p, pe, k), t in targets.items() if pe == period.id and k == kind)
                for kind in TRAJECTORY_KINDS
            },
            {
                kind: sum(n for (_p, pe, k), n in realised.items() if pe == period.id and k == kind)
                for kind in TRAJECTORY_KINDS
            },
        )
        reports.append(PeriodReport(period, lines, per_partnership, _cumulative_chart(period, lines, daily, on)))
    return reports


def _lines(targets: dict[str, int], realised: dict[str, int]) -> list[AmbitionLine]:
    lines = [
        AmbitionLine(_label(TRAJECTORY_KIND_LABELS, kind), kind, targets[kind], realised[kind])
        for kind in TRAJECTORY_KINDS
    ]
    lines.append(AmbitionLine("Totaal", None, sum(targets.values()), sum(realised.values())))
    return lines


def _started_per_day(partnership_ids: list[int], first: date, last: date) -> dict[str, dict[date, int]]:
    """Started trajectories (the Stand rule) per kind and start date: one grouped query."""
    result: dict[str, dict[date, int]] = {kind: {} for kind in TRAJECTORY_KINDS}
    query = (
        select(Trajectory.kind, Trajectory.actual_start, func.count())
        .where(
            STARTED,
            Trajectory.partnership_id.in_(partnership_ids or [-1]),
            Trajectory.actual_start >= first,
            Trajectory.actual_start <= last,
        )
        .group_by(Trajectory.kind, Trajectory.actual_start)
    )
    for kind, day, count in db.session.execute(query):
        if isinstance(day, str):  # SQLite may hand back text for a grouped date
            day = date.fromisoformat(day)
        result[kind][day] = count
    return result


MONTHS = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


def _month_ends(period: ProgrammePeriod) -> list[date]:
    ends, year, month = [], period.starts_on.year, period.starts_on.month
    while True:
        following = date(year + month // 12, month % 12 + 1, 1)
        end = min(following - timedelta(days=1), period.ends_on)
        ends.append(end)
        if end >= period.ends_on:
            return ends
        year, month = following.year, following.month


def _cumulative_chart(
    period: ProgrammePeriod, lines: list[AmbitionLine], daily: dict[str, dict[date, int]], on: date
) -> dict:
    """Cumulative started trajectories at each month's end (none after today), per kind, and the
    ambition as a straight line from 0 at the start to the target at the end of the period."""
    ends = _month_ends(period)
    length = (period.ends_on - period.starts_on).days + 1
    datasets = []
    targets = {line.kind: line.target for line in lines if line.kind}
    for kind in TRAJECTORY_KINDS:
        days = sorted((d, n) for d, n in daily[kind].items() if period.starts_on <= d <= period.ends_on)
        values, running, index = [], 0, 0
        for end in ends:
            while index < len(days) and days[index][0] <= end:
                running += days[index][1]
                index += 1
            month_start = date(end.year, end.month, 1)
            values.append(running if max(month_start, period.starts_on) <= on else None)
        ambition = [round(targets[kind] * ((end - period.starts_on).days + 1) / length, 1) for end in ends]
        name = _label(TRAJECTORY_KIND_LABELS, kind)
        realised_label = str(_l("%(kind)s: gestart (cumulatief)", kind=name))
        datasets.append({"label": realised_label, "kind": kind, "role": "realised", "data": values})
        datasets.append(
            {"label": str(_l("%(kind)s: ambitie", kind=name)), "kind": kind, "role": "ambition", "data": ambition}
        )
    return {"labels": [f"{MONTHS[end.month - 1]} {end.year}" for end in ends], "datasets": datasets}


def ambition_table(report: PeriodReport, drill_base: dict | None = None) -> Table:
    """The period's Ambitie | Stand | Procent table (rows duaal, EVC, total), with drill-downs."""
    rows = []
    for line in report.lines:
        criteria = {"lijst": "trajecten", "maat": "stand", "gestart_in": report.period.id}
        if line.kind:
            criteria["soort"] = line.kind
        drill = {**(drill_base or {}), **criteria} if drill_base is not None else None
        rows.append(
            [
                Cell(line.label),
                Cell(line.target),
                Cell(line.realised, drill),
                Cell(line.percent, drill, percent=True),
            ]
        )
    return Table(
        key=f"ambities-{report.period.id}",
        title=_l("Ambitie en stand %(period)s", period=report.period.name),
        headers=[_l("Soort"), _l("Ambitie"), _l("Stand"), _l("Procent")],
        rows=rows,
        total=True,
    )


def partnership_table(report: PeriodReport, drill_base: dict | None = None) -> Table:
    """Per partnership: for duaal, EVC and the total, Ambitie | Stand | Procent."""
    rows = []
    for partnership, lines in report.per_partnership:
        row = [Cell(partnership.name, link=f"/samenwerkingsverbanden/{partnership.id}")]
        for line in lines:
            criteria = {"lijst": "trajecten", "maat": "stand", "gestart_in": report.period.id}
            criteria["samenwerkingsverband"] = partnership.id
            if line.kind:
                criteria["soort"] = line.kind
            drill = {**(drill_base or {}), **criteria} if drill_base is not None else None
            row += [Cell(line.target), Cell(line.realised, drill), Cell(line.percent, drill, percent=True)]
        rows.append(row)
    headers = [_l("Samenwerkingsverband")]
    for name in (_l("Duaal"), _l("EVC"), _l("Totaal")):
        headers += [
            _l("%(name)s: ambitie", name=name),
            _l("%(name)s: stand", name=name),
            _l("%(name)s: procent", name=name),
        ]
    return Table(
        key=f"per_samenwerkingsverband-{report.period.id}",
        title=_l("Per samenwerkingsverband %(period)s", period=report.period.name),
        headers=headers,
        rows=rows,
    )


# --- entering ambitions -----------------------------------------------------------------------


@dataclass
class AmbitionChange:
    """One kind whose ambition differs from what the form showed: who set it, and when."""

    kind: str
    seen: int | None
    now: int | None
    by: str = ""
    at: datetime | None = None


class AmbitionsChanged(StaleRecord):
    """The ambitions changed since the form was opened (or were never shown): nothing saved."""

    def __init__(self, current: dict[str, int | None], changes: list[AmbitionChange]):
        super().__init__("De ambities zijn intussen gewijzigd; er is niets opgeslagen.")
        self.current, self.changes = current, changes


def set_ambitions(
    actor: User,
    partnership: Partnership,
    period: ProgrammePeriod,
    targets: dict[str, int],
    *,
    seen: dict[str, int | None],
) -> list[Ambition]:
    """Enter (or change) the ambitions of a partnership for a period, per kind. One row per
    (partnership, period, kind): an existing one is updated. ``seen``: the ambitions the form
    showed (None: none yet). When they are no longer what is stored, nothing is saved and
    AmbitionsChanged says what changed, by whom: an ambition is never overwritten unseen.
    Flushes, never commits."""
    permissions.require(
        permissions.can_edit_ambitions(actor, partnership),
        "Alleen coördinatoren van dit samenwerkingsverband en beheerders stellen de ambities vast.",
    )
    for kind, target in targets.items():
        if kind not in TRAJECTORY_KINDS:
            raise ServiceError(f"Onbekende soort traject: {kind}.")
        if target is None or target < 0:
            raise ServiceError("Een ambitie is een aantal trajecten van 0 of meer; een negatief getal kan niet.")
    existing = {
        a.kind: a
        for a in db.session.scalars(
            select(Ambition)
            .where(Ambition.partnership_id == partnership.id, Ambition.period_id == period.id)
            .with_for_update()  # PostgreSQL: a concurrent save waits here, then sees this one's values
        )
    }
    _check_seen(existing, seen, targets)
    saved = []
    for kind, target in targets.items():
        ambition = existing.get(kind)
        if ambition is None:
            ambition = Ambition(partnership=partnership, period=period, kind=kind, target=target)
            db.session.add(ambition)
            try:
                db.session.flush()
            except IntegrityError:  # created by a concurrent save in the meantime
                db.session.rollback()
                current = current_targets(partnership.id, period.id)
                raise AmbitionsChanged(
                    {k: current.get(k) for k in TRAJECTORY_KINDS},
                    [AmbitionChange(k, seen.get(k), current.get(k)) for k in targets if current.get(k) != seen.get(k)],
                ) from None
            audit(
                actor,
                "create",
                ambition,
                summary=f"Ambitie {kind} {period.name} voor {partnership.name}: {target}",
                changes={"target": [None, target]},
            )
        elif ambition.target != target:
            before = ambition.target
            ambition.target = target
            audit(
                actor,
                "update",
                ambition,
                summary=f"Ambitie {kind} {period.name} voor {partnership.name}: {before} -> {target}",
                changes={"target": [before, target]},
            )
        saved.append(ambition)
    db.session.flush()
    return saved


def _check_seen(existing: dict[str, Ambition], seen: dict[str, int | None], targets: dict[str, int]) -> None:
    current = {kind: existing[kind].target if kind in existing else None for kind in TRAJECTORY_KINDS}
    differs = [kind for kind in targets if current[kind] != seen.get(kind)]
    if not differs:
        return
    ids = [existing[kind].id for kind in differs if kind in existing]
    last: dict[int, AuditEvent] = {}
    if ids:
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "ambition", AuditEvent.object_id.in_(ids))
            .order_by(AuditEvent.id)
        )
        last = {event.object_id: event for event in events}  # the latest per ambition
    names = actor_names(list(last.values()))
    changes = []
    for kind in differs:
        event = last.get(existing[kind].id) if kind in existing else None
        by = names.get(event.actor_id, "") if event is not None else ""
        changes.append(AmbitionChange(kind, seen.get(kind), current[kind], by, event.occurred_at if event else None))
    raise AmbitionsChanged(current, changes)


def editable_partnerships(actor: User) -> list[Partnership]:
    """The partnerships whose ambitions ``actor`` may enter."""
    if permissions.is_admin(actor):
        return list(db.session.scalars(select(Partnership).order_by(Partnership.name)))
    if not permissions.is_coordinator(actor):
        return []
    members = permissions.coordinated_partnerships(actor)
    return list(db.session.scalars(select(Partnership).where(Partnership.id.in_(members)).order_by(Partnership.name)))


def current_targets(partnership_id: int, period_id: int) -> dict[str, int]:
    return dict(
        db.session.execute(
            select(Ambition.kind, Ambition.target).where(
                Ambition.partnership_id == partnership_id, Ambition.period_id == period_id
            )
        ).all()
    )


# --- filter choices ---------------------------------------------------------------------------


@dataclass
class Choices:
    partnerships: list[tuple[int, str]] = field(default_factory=list)
    periods: list[tuple[int, str]] = field(default_factory=list)
    regions: list[tuple[int, str]] = field(default_factory=list)
    organisations: list[tuple[int, str]] = field(default_factory=list)
    account_managers: list[tuple[int, str]] = field(default_factory=list)

    def name(self, kind: str, value) -> str:
        return dict(getattr(self, kind)).get(value, str(value))


def filter_choices(actor: User, allowed: list[int] | None) -> Choices:
    """The filter options in one UNION ALL query. Coordinators get their partnerships and the
    account managers of their partnerships' member organisations."""
    as_text = lambda column: cast(column, String)  # noqa: E731
    partnerships = select(
        literal("partnerships").label("kind"),
        as_text(Partnership.id).label("value"),
        Partnership.name.label("label"),
        literal("").label("sort"),
    )
    # Everyone the per-account-manager tables can show a row for: active account managers and
    # coordinators, and anyone (any role, even deactivated) who is an employer's contactpersoon
    # or owns an open follow-up.
    has_work = or_(
        exists().where(Employer.contactpersoon_id == User.id),
        exists().where(FollowUp.owner_id == User.id, FollowUp.status == "open"),
    )
    managers = (
        select(literal("account_managers"), as_text(User.id), User.name + " (" + Organisation.name + ")", literal(""))
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(or_(permissions.contactpersoon_candidates_clause(), has_work))
    )
    if allowed is not None:
        partnerships = partnerships.where(Partnership.id.in_(allowed or [-1]))
        managers = managers.where(User.id.in_(_member_users(allowed or [-1])))
    parts = [
        partnerships,
        select(
            literal("periods"), as_text(ProgrammePeriod.id), ProgrammePeriod.name, as_text(ProgrammePeriod.starts_on)
        ),
        select(literal("regions"), as_text(Region.id), Region.name, literal("")),
        select(literal("organisations"), as_text(Organisation.id), Organisation.name, literal("")).where(
            Organisation.active
        ),
        managers,
    ]
    combined = union_all(*parts).subquery()
    choices = Choices()
    query = select(combined.c.kind, combined.c.value, combined.c.label).order_by(
        combined.c.kind, combined.c.sort.desc(), combined.c.label
    )
    for kind, value, label in db.session.execute(query):
        getattr(choices, kind).append((int(value), label))
    return choices


def describe(scope: Scope, choices: Choices) -> str:
    f = scope.filters
    parts = []
    if f.partnership_id is not None:
        parts.append(f"samenwerkingsverband {choices.name('partnerships', f.partnership_id)}")
    if scope.period is not None:
        parts.append(f"periode {scope.period.name}")
    if f.region_id is not None:
        parts.append(f"regio {choices.name('regions', f.region_id)}")
    if f.organisation_id is not None:
        parts.append(f"organisatie {choices.name('organisations', f.organisation_id)}")
    if f.account_manager_id is not None:
        parts.append(f"accountmanager {choices.name('account_managers', f.account_manager_id)}")
    return ", ".join(parts) if parts else "geen filters"


# --- drill-down -------------------------------------------------------------------------------


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
        elif TRAJECTORY_MEASURES[drill.measure] is not None:
            clauses.append(TRAJECTORY_MEASURES[drill.measure])
        if drill.kind:
            clauses.append(Trajectory.kind == drill.kind)
        if drill.involved_organisation_id is not None:
            clauses.append(trajectory_involves(drill.involved_organisation_id, drill.involved_role))
        if drill.account_manager_id == NONE_ID:
            clauses.append(Trajectory.employer_id.is_(None))
        elif drill.account_manager_id is not None:
            clauses.append(Trajectory.employer_id.in_(_account_manager_employers(drill.account_manager_id)))
        return Trajectory, clauses
    if drill.list == "vacatures":
        clauses = vacancy_clauses(scope)
        if VACANCY_MEASURES[drill.measure] is not None:
            clauses.append(VACANCY_MEASURES[drill.measure])
        if drill.involved_organisation_id is not None:
            clauses.append(vacancy_involves(drill.involved_organisation_id))
        if drill.account_manager_id is not None:
            clauses.append(Employer.contactpersoon_id == drill.account_manager_id)
        return Vacancy, clauses
    if drill.list == "opvolgacties":
        clauses = follow_up_clauses(scope)
        measure = _follow_up_measure(scope, drill.measure)
        if measure is not None:
            clauses.append(measure)
        if drill.account_manager_id is not None:
            clauses.append(FollowUp.owner_id == drill.account_manager_id)
        return FollowUp, clauses
    clauses = employer_clauses(scope)
    measure = _employer_measure(scope, drill.measure)
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
        parts.append(_label(TRAJECTORY_KIND_LABELS, drill.kind))
    if drill.involved_organisation_id is not None:
        org = db.session.get(Organisation, drill.involved_organisation_id)
        name = org.name if org else drill.involved_organisation_id
        if drill.involved_role:
            name = f"{name} ({_label(INVOLVEMENT_ROLE_LABELS, drill.involved_role)})"
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


# --- exports ----------------------------------------------------------------------------------


def drill_export_table(scope: Scope, drill: Drill) -> Table:
    """The whole drill-down list (not one page) as a table; never participant names."""
    model, _clauses, visible, _started = _drill_query(scope, drill)
    query = _from(select(model), model).where(*visible).options(*OPTIONS[model]).order_by(*ORDER[model])
    rows: list[list[Cell]] = []
    if model is Trajectory:
        headers = ["Traject", "Soort", "Status", "Werkgever", "Samenwerkingsverband", "Aangemeld", "Gestart", "Einde"]
        for t in db.session.scalars(query).unique():
            rows.append(
                [
                    Cell(t.id),
                    Cell(_label(TRAJECTORY_KIND_LABELS, t.kind)),
                    Cell(_label(TRAJECTORY_STATUS_LABELS, t.status)),
                    Cell(t.employer.name if t.employer else ""),
                    Cell(t.partnership.name),
                    Cell(local(t.created_at).date()),
                    Cell(t.actual_start),
                    Cell(t.actual_end),
                ]
            )
    elif model is Vacancy:
        headers = ["Vacature", "Functie", "Werkgever", "Status", "Plaatsen", "Aangemaakt", "Sluitingsdatum"]
        for v in db.session.scalars(query).unique():
            rows.append(
                [
                    Cell(v.id),
                    Cell(v.title),
                    Cell(v.employer.name),
                    Cell(_label(VACANCY_STATUS_LABELS, v.status)),
                    Cell(v.positions),
                    Cell(local(v.created_at).date()),
                    Cell(v.closing_date),
                ]
            )
    elif model is FollowUp:
        headers = ["Opvolgactie", "Onderwerp", "Eigenaar", "Vervaldatum", "Werkgever"]
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
        headers = ["Werkgever", "Naam", "Plaats", "Contactpersoon", "Laatste contact"]
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
