"""Who counts what: the measure behind each kind of number, the page filters and the scope of
the actor's review, as SQL conditions.

They live in one place because three users of them must agree to the record: the grouped counts
of the pipeline page (:mod:`.review`), the ambition table's Stand (:mod:`.ambitions`) and the
drill-down lists (:mod:`.drilldown`), which list exactly the records behind a number. Each measure
also has a Python twin (``_measure_holds``, ``_vacancy_measure_holds``) for summing grouped rows;
tests/test_pipeline.py checks that both forms agree on every combination.

The filter rules, as the pages state them:

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

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from flask_babel import LazyString
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, case, false, func, or_, select

from crm import permissions
from crm.extensions import db
from crm.i18n import lazy_gettext as _l
from crm.lib.clock import AMSTERDAM, today
from crm.models import (
    Employer,
    EmployerTally,
    FollowUp,
    Municipality,
    Participant,
    ProgrammePeriod,
    Trajectory,
    TrajectoryMonthTally,
    TrajectoryTally,
    User,
    Vacancy,
    VacancyTally,
    partnership_member,
)
from crm.models.base import utcnow
from crm.models.trajectories import TRAJECTORY_STATUSES
from crm.models.trajectories import involves as trajectory_involves
from crm.models.vacancies import VACANCY_STATUSES
from crm.models.vacancies import involves as vacancy_involves
from crm.services.errors import PermissionDenied
from crm.services.quiet_employers import quiet_before, quiet_days

STARTED_STATUSES = ("gestart", "afgerond", "uitgevallen")
OPEN_VACANCY_STATUSES = ("nieuw", "intake_gedaan", "kandidaten_voorgesteld")
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
    (``review._trajectory_counts``). tests/test_pipeline.py checks both agree on every combination."""
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


def _vacancy_measure_holds(measure: str, status: str) -> bool:
    """``VACANCY_MEASURES[measure]`` for one vacancy, in Python (tests check both agree)."""
    if measure == "totaal":
        return True
    if measure == "open":
        return status in OPEN_VACANCY_STATUSES
    return status == measure


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
    # the number of days is read when the label is shown (crm.services.quiet_employers)
    "geen_contact": LazyString(lambda: _("geen contact in %(days)s+ dagen", days=quiet_days())),
    "nooit_contact": _l("nooit contact"),
}


LIST_TITLES = {
    "trajecten": _l("Trajecten"),
    "vacatures": _l("Vacatures"),
    "opvolgacties": _l("Opvolgacties"),
    "werkgevers": _l("Werkgevers"),
}


def count_where(condition: ColumnElement[bool] | None):
    """A count of the rows of a group for which ``condition`` holds (None: all of them)."""
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
        return quiet_before(self.now)


def reviewable_partnership_ids(actor: User) -> list[int] | None:
    """The partnerships ``actor`` reviews: None means all (admins); coordinators: their
    organisation's partnerships."""
    permissions.require(
        permissions.can_review_pipeline(actor), _("Alleen coördinatoren en beheerders zien de pijplijn.")
    )
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
    allowed: list[int] | None | Literal[False] = False,
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
            raise PermissionDenied(_("U bekijkt alleen de samenwerkingsverbanden van uw eigen organisatie."))
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


def member_users(partnership_ids: list[int]):
    members = select(partnership_member.c.organisation_id).where(
        partnership_member.c.partnership_id.in_(partnership_ids)
    )
    return select(User.id).where(User.organisation_id.in_(members))


def _works_in_scope(user_id, partnership_ids: list[int]) -> ColumnElement[bool]:
    """The user in ``user_id`` works at a member of one of the partnerships (none: nobody)."""
    return user_id.in_(member_users(partnership_ids)) if partnership_ids else false()


def _organisation_users(organisation_id: int):
    return select(User.id).where(User.organisation_id == organisation_id)


def _region_employers(scope: Scope):
    return select(Employer.id).where(Employer.municipality_id.in_(scope.municipality_ids))


def account_manager_employers(user_id: int):
    return select(Employer.id).where(Employer.contactpersoon_id == user_id)


def _in_period(column, period: ProgrammePeriod) -> ColumnElement[bool]:
    return and_(
        column >= _local_midnight(period.starts_on), column < _local_midnight(period.ends_on + timedelta(days=1))
    )


def trajectory_clauses(scope: Scope) -> list[ColumnElement[bool]]:
    f = scope.filters
    clauses: list[ColumnElement[bool]] = []
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
        clauses.append(Trajectory.employer_id.in_(account_manager_employers(f.account_manager_id)))
    return clauses


def with_employer(query):
    """A vacancy query joined to the vacancy's employer (every vacancy has one), which
    :func:`vacancy_clauses` filter on: conditions on the joined row, not sub-selects of employers."""
    return query.join(Employer, Employer.id == Vacancy.employer_id)


def vacancy_clauses(scope: Scope) -> list[ColumnElement[bool]]:
    """Conditions on vacancies and their employer: for queries made by :func:`with_employer`."""
    f = scope.filters
    clauses: list[ColumnElement[bool]] = []
    if scope.partnership_ids is not None:
        clauses.append(_works_in_scope(Employer.contactpersoon_id, scope.partnership_ids))
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
    f = scope.filters
    clauses: list[ColumnElement[bool]] = [FollowUp.status == "open"]
    if scope.partnership_ids is not None:
        clauses.append(_works_in_scope(FollowUp.owner_id, scope.partnership_ids))
    if f.region_id is not None:
        clauses.append(FollowUp.employer_id.in_(_region_employers(scope)))
    if f.organisation_id is not None:
        clauses.append(FollowUp.owner_id.in_(_organisation_users(f.organisation_id)))
    if f.account_manager_id is not None:
        clauses.append(FollowUp.owner_id == f.account_manager_id)
    return clauses


def employer_clauses(scope: Scope) -> list[ColumnElement[bool]]:
    f = scope.filters
    clauses: list[ColumnElement[bool]] = [Employer.merged_into_id.is_(None)]
    if scope.partnership_ids is not None:
        clauses.append(_works_in_scope(Employer.contactpersoon_id, scope.partnership_ids))
    if f.region_id is not None:
        clauses.append(Employer.municipality_id.in_(scope.municipality_ids))
    if f.organisation_id is not None:
        clauses.append(Employer.contactpersoon_id.in_(_organisation_users(f.organisation_id)))
    if f.account_manager_id is not None:
        clauses.append(Employer.contactpersoon_id == f.account_manager_id)
    return clauses


def follow_up_measure(scope: Scope, measure: str) -> ColumnElement[bool] | None:
    return FollowUp.due_date < scope.today if measure == "te_laat" else None


def employer_measure(scope: Scope, measure: str) -> ColumnElement[bool] | None:
    if measure == "geen_contact":
        return or_(Employer.last_contact_at.is_(None), Employer.last_contact_at < scope.neglected_before)
    if measure == "nooit_contact":
        return Employer.last_contact_at.is_(None)
    return None


# --- the same filters on the tally (crm.models.tallies) ----------------------------------------


def tally_clauses(scope: Scope, tally: type[TrajectoryTally | TrajectoryMonthTally]) -> list[ColumnElement[bool]]:
    """:func:`trajectory_clauses` on the rows of ``tally`` (``trajectory_tally`` or, for the
    months of a period filter, ``trajectory_month_tally``), but the period (see :func:`period_split`). The tally keeps the employer's contactpersoon and the region key (the
    employer's municipality, or the participant's for a trajectory without employer) on each
    row, so every filter is a condition on the row, as on the trajectories."""
    f = scope.filters
    clauses: list[ColumnElement[bool]] = []
    if scope.partnership_ids is not None:
        clauses.append(tally.partnership_id.in_(scope.partnership_ids) if scope.partnership_ids else false())
    if f.region_id is not None:
        clauses.append(tally.municipality_id.in_(scope.municipality_ids))
    if f.organisation_id is not None:
        clauses.append(trajectory_involves(f.organisation_id, key=tally.involvement_key))
    if f.account_manager_id is not None:
        # 0 is the tally's "no employer"; on the trajectories "am=0" names no employer at all
        am = f.account_manager_id
        clauses.append(tally.contactpersoon_id == am if am != NONE_ID else false())
    return clauses


def employer_tally_clauses(scope: Scope) -> list[ColumnElement[bool]]:
    """:func:`employer_clauses` on the rows of ``employer_tally`` (which counts live employers
    only, per contactpersoon and municipality)."""
    f = scope.filters
    clauses: list[ColumnElement[bool]] = []
    if scope.partnership_ids is not None:
        clauses.append(_works_in_scope(EmployerTally.contactpersoon_id, scope.partnership_ids))
    if f.region_id is not None:
        clauses.append(EmployerTally.municipality_id.in_(scope.municipality_ids))
    if f.organisation_id is not None:
        clauses.append(EmployerTally.contactpersoon_id.in_(_organisation_users(f.organisation_id)))
    if f.account_manager_id is not None:
        clauses.append(EmployerTally.contactpersoon_id == f.account_manager_id)
    return clauses


def vacancy_tally_clauses(scope: Scope) -> list[ColumnElement[bool]]:
    """:func:`vacancy_clauses` on the rows of ``vacancy_tally`` (no period filter: the tally
    has no dates). Its region key is the vacancy's municipality, else its employer's, which is
    the region filter's rule."""
    f = scope.filters
    clauses: list[ColumnElement[bool]] = []
    if scope.partnership_ids is not None:
        clauses.append(_works_in_scope(VacancyTally.contactpersoon_id, scope.partnership_ids))
    if f.region_id is not None:
        clauses.append(VacancyTally.municipality_id.in_(scope.municipality_ids))
    if f.organisation_id is not None:
        clauses.append(vacancy_involves(f.organisation_id, key=VacancyTally.involvement_key))
    if f.account_manager_id is not None:
        clauses.append(VacancyTally.contactpersoon_id == f.account_manager_id)
    return clauses


@dataclass(frozen=True)
class PeriodSplit:
    """ "Registered in the period" as whole months of the tally plus thin slices of the
    trajectories: count = tally months ``months`` (first, last as yyyymm; None: none) + each
    ``(start, end, sign)`` slice of ``created_at`` from the trajectories, added (+1) or
    subtracted (-1). A period runs from local midnight to local midnight, the tally's months
    from UTC midnight: the slices are the hour or two in between (or a whole slice of the
    period when it is shorter than a month)."""

    months: tuple[int, int] | None
    slices: list[tuple[datetime, datetime, int]]


def _month_start(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def _next_month(moment: datetime) -> datetime:
    return datetime(moment.year + moment.month // 12, moment.month % 12 + 1, 1, tzinfo=UTC)


def _nearest_month_boundary(moment: datetime) -> datetime:
    start, following = _month_start(moment), _next_month(moment)
    return start if moment - start <= following - moment else following


def period_split(period: ProgrammePeriod) -> PeriodSplit:
    """Split a period's [local midnight of the first day, local midnight after the last) into
    whole UTC months [A, B) and the slices [lo, A) and [B, hi), each signed (negative when A
    lies before lo, or B after hi): [lo, hi) = [A, B) + [lo, A) + [B, hi) as signed intervals."""
    lo = _local_midnight(period.starts_on).astimezone(UTC)
    hi = _local_midnight(period.ends_on + timedelta(days=1)).astimezone(UTC)
    a, b = _nearest_month_boundary(lo), _nearest_month_boundary(hi)
    if a >= b:
        return PeriodSplit(None, [(lo, hi, 1)])
    slices = []
    if lo != a:
        slices.append((lo, a, 1) if lo < a else (a, lo, -1))
    if hi != b:
        slices.append((b, hi, 1) if b < hi else (hi, b, -1))
    last = b - timedelta(days=1)
    return PeriodSplit((a.year * 100 + a.month, last.year * 100 + last.month), slices)
