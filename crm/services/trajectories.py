"""Learn-work trajectories (leerwerktrajecten): create, edit, the status workflow, follow-ups, the list.

The workflow::

    aangemeld -> intake -> gestart -> afgerond      (outcome; actual end date)
        |           |          |
        +-----------+----------+---> uitgevallen    (reason from the list + text; date)

- "gestart" needs the actual start date (not in the future); "afgerond" needs an outcome that
  fits the kind (duaal: diploma or certificaat; EVC: ervaringscertificaat) and the end date.
- "uitgevallen" is allowed from every open status, aangemeld included: someone who withdraws
  before the intake (found other work, moved away) must be closable, or the trajectory would
  stay "aangemeld" forever and distort the pipeline. The history keeps from which status
  someone dropped out, so the pipeline can tell drop-out before and after the start apart.
- "afgerond" and "uitgevallen" are final; there is no way back (no reopening, no skipping).

Every change is a TrajectoryStatusChange (who, when, from, to, reason) and an AuditEvent.
The data keeps the same rules as CHECK constraints (see crm/models/trajectories.py).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload, selectinload

from crm import permissions
from crm.extensions import db
from crm.i18n import lazy_gettext as _l
from crm.lib.clock import today
from crm.models import (
    Employer,
    FollowUp,
    Organisation,
    Participant,
    Partnership,
    ProgrammePeriod,
    Trajectory,
    TrajectoryOrganisation,
    TrajectoryStatusChange,
    User,
    Vacancy,
    partnership_member,
)
from crm.models.base import utcnow
from crm.models.trajectories import DROPOUT_REASONS, INVOLVEMENT_ROLES, TRAJECTORY_KINDS, TRAJECTORY_STATUSES
from crm.services import contacts, versions
from crm.services.audit import audit, diff, hidden
from crm.services.contacts import FollowUpData
from crm.services.errors import ServiceError, StaleRecord
from crm.services.participants import Page, refuse_bsn
from crm.services.search import find_employers

ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "aangemeld": ("intake", "uitgevallen"),
    "intake": ("gestart", "uitgevallen"),
    "gestart": ("afgerond", "uitgevallen"),
    "afgerond": (),
    "uitgevallen": (),
}
FINAL_STATUSES = ("afgerond", "uitgevallen")
OUTCOMES_BY_KIND = {"duaal": ("diploma", "certificaat"), "evc": ("ervaringscertificaat",)}
# The role an organisation usually has in a trajectory, by its kind (the form's default).
ROLE_FOR_ORGANISATION_KIND = {
    "roc": "school",
    "evc_aanbieder": "evc_aanbieder",
    "kenniscentrum": "kenniscentrum",
    "uwv": "uwv",
    "gemeente": "gemeente",
}
MAX_GUIDANCE_HOURS = 2000
STALE_MESSAGE = _l(
    "Iemand anders heeft dit traject intussen gewijzigd. Bekijk de actuele gegevens en probeer het opnieuw."
)
EMPLOYER_OPTIONS_LIMIT = 20
VACANCY_OPTIONS_LIMIT = 50


@dataclass
class TrajectoryData:
    """The editable facts of a trajectory (not its status: that moves through ``transition``)."""

    kind: str
    partnership_id: int
    involvements: list[tuple[int, str]]  # (organisation id, role)
    employer_id: int | None = None
    vacancy_id: int | None = None
    period_id: int | None = None
    regeling: str = ""
    qualification_name: str = ""
    crebo: str | None = None
    planned_start: date | None = None
    planned_end: date | None = None
    actual_start: date | None = None
    actual_end: date | None = None
    guidance_hours: int | None = None

    @classmethod
    def from_trajectory(cls, trajectory: Trajectory) -> TrajectoryData:
        values = {f.name: getattr(trajectory, f.name) for f in fields(cls) if f.name != "involvements"}
        return cls(**values, involvements=sorted((i.organisation_id, i.role) for i in trajectory.involvements))

    def scalars(self) -> dict:
        return {key: value for key, value in asdict(self).items() if key != "involvements"}


@dataclass
class TransitionData:
    to_status: str
    note: str = ""
    actual_start: date | None = None
    actual_end: date | None = None
    outcome: str | None = None
    dropout_reason: str | None = None
    dropout_text: str = ""


@dataclass(frozen=True)
class TrajectoryFilters:
    """What the list is narrowed to; ``None`` means not filtered on this."""

    kind: str | None = None
    status: str | None = None
    partnership_id: int | None = None
    period_id: int | None = None
    organisation_id: int | None = None
    employer_id: int | None = None
    accountmanager_id: int | None = None
    started_from: date | None = None
    started_until: date | None = None

    @property
    def any(self) -> bool:
        return any(value is not None for value in asdict(self).values())


# --- reading ----------------------------------------------------------------------------


DETAIL_OPTIONS = (
    joinedload(Trajectory.participant),
    joinedload(Trajectory.employer),
    joinedload(Trajectory.vacancy),
    joinedload(Trajectory.partnership),
    joinedload(Trajectory.period),
    selectinload(Trajectory.involvements).joinedload(TrajectoryOrganisation.organisation),
)


def get(trajectory_id: int) -> Trajectory | None:
    """One trajectory with what its page shows (the caller checks visibility)."""
    return db.session.scalar(
        select(Trajectory)
        .where(Trajectory.id == trajectory_id)
        .options(*DETAIL_OPTIONS)
        .execution_options(populate_existing=True)
    )


def allowed_transitions(trajectory: Trajectory) -> tuple[str, ...]:
    return ALLOWED_TRANSITIONS[trajectory.status]


def history(trajectory: Trajectory) -> list[TrajectoryStatusChange]:
    """Every status change, newest first, with who made it."""
    return list(
        db.session.scalars(
            select(TrajectoryStatusChange)
            .where(TrajectoryStatusChange.trajectory_id == trajectory.id)
            .options(joinedload(TrajectoryStatusChange.changed_by))
            .order_by(TrajectoryStatusChange.changed_at.desc(), TrajectoryStatusChange.id.desc())
        )
    )


def follow_ups(trajectory: Trajectory) -> list[FollowUp]:
    """The trajectory's follow-ups: open ones first (soonest due first), then the closed ones."""
    return list(
        db.session.scalars(
            select(FollowUp)
            .where(FollowUp.trajectory_id == trajectory.id)
            .options(joinedload(FollowUp.owner))
            .order_by((FollowUp.status != "open"), FollowUp.due_date, FollowUp.id)
        )
    )


def follow_up_owner_candidates(trajectory: Trajectory) -> list[User]:
    """Who can own a follow-up on this trajectory: active users of an involved organisation."""
    involved = select(TrajectoryOrganisation.organisation_id).where(
        TrajectoryOrganisation.trajectory_id == trajectory.id
    )
    return list(
        db.session.scalars(
            select(User)
            .where(User.active, User.organisation_id.in_(involved))
            .options(joinedload(User.organisation))
            .order_by(User.name, User.id)
        )
    )


def period_containing(day: date) -> ProgrammePeriod | None:
    return db.session.scalar(
        select(ProgrammePeriod)
        .where(ProgrammePeriod.starts_on <= day, ProgrammePeriod.ends_on >= day)
        .order_by(ProgrammePeriod.starts_on.desc())
        .limit(1)
    )


def member_partnerships(user: User) -> list[Partnership]:
    """The active partnerships the user's organisation is a member of: a trajectory counts toward one."""
    return list(
        db.session.scalars(
            select(Partnership)
            .join(partnership_member, partnership_member.c.partnership_id == Partnership.id)
            .where(partnership_member.c.organisation_id == user.organisation_id, Partnership.active)
            .order_by(Partnership.name)
        )
    )


def _is_member(user: User, partnership_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    partnership_member.c.partnership_id == partnership_id,
                    partnership_member.c.organisation_id == user.organisation_id,
                )
            )
        )
    )


def employer_options(q: str, *, limit: int = EMPLOYER_OPTIONS_LIMIT) -> list[Employer]:
    """Employers matching a name, place, person or KvK number (the shared employer search), best first."""
    digits = re.sub(r"[\s.\-]", "", q or "")
    if digits.isdigit() and len(digits) == 8:
        return list(
            db.session.scalars(
                select(Employer).where(Employer.merged_into_id.is_(None), Employer.kvk_number == digits).limit(limit)
            )
        )
    return find_employers(q or "", limit=limit)


def vacancy_options(employer_id: int | None) -> list[Vacancy]:
    if not employer_id:
        return []
    return list(
        db.session.scalars(
            select(Vacancy)
            .where(Vacancy.employer_id == employer_id)
            .order_by(Vacancy.id.desc())
            .limit(VACANCY_OPTIONS_LIMIT)
        )
    )


# --- checks ---------------------------------------------------------------------------------


def _check(actor: User, data: TrajectoryData, trajectory: Trajectory | None = None) -> None:
    if data.kind not in TRAJECTORY_KINDS:
        raise ServiceError(_("Kies de soort traject: duaal of EVC."))
    employer = None
    if data.employer_id is not None:
        employer = db.session.get(Employer, data.employer_id)
        if employer is None or employer.merged_into_id is not None:
            raise ServiceError(_("Deze werkgever bestaat niet (meer). Kies een andere werkgever."))
    if data.kind == "duaal" and employer is None:
        raise ServiceError(_("Een duaal traject heeft een werkgever nodig: daar werkt en leert de deelnemer."))
    if data.vacancy_id is not None:
        vacancy = db.session.get(Vacancy, data.vacancy_id)
        if vacancy is None or employer is None or vacancy.employer_id != employer.id:
            raise ServiceError(_("Deze vacature hoort niet bij de gekozen werkgever."))
    partnership = db.session.get(Partnership, data.partnership_id) if data.partnership_id else None
    if partnership is None:
        raise ServiceError(_("Kies het samenwerkingsverband waar dit traject voor telt."))
    if (trajectory is None or trajectory.partnership_id != data.partnership_id) and not _is_member(
        actor, data.partnership_id
    ):
        raise ServiceError(_("Kies een samenwerkingsverband waar uw organisatie lid van is."))
    if data.period_id is not None and db.session.get(ProgrammePeriod, data.period_id) is None:
        raise ServiceError(_("Kies een bestaande programmaperiode."))
    if data.crebo and not re.fullmatch(r"\d{5}", data.crebo):
        raise ServiceError(_("Een crebocode heeft precies 5 cijfers, bijvoorbeeld 25309."))
    if data.guidance_hours is not None and not 0 <= data.guidance_hours <= MAX_GUIDANCE_HOURS:
        raise ServiceError(_("Vul een aantal begeleidingsuren van 0 tot %(max)s in.", max=MAX_GUIDANCE_HOURS))
    if trajectory is not None and trajectory.outcome and trajectory.outcome not in OUTCOMES_BY_KIND[data.kind]:
        raise ServiceError(
            _(
                "Dit traject is afgerond met resultaat '%(outcome)s'; dat past niet bij een %(kind)s-traject.",
                outcome=trajectory.outcome,
                kind=data.kind,
            )
        )
    _check_dates(data, trajectory.status if trajectory is not None else "aangemeld")
    _check_involvements(actor, data, editing=trajectory is not None)
    refuse_bsn(data.regeling, data.qualification_name)


def _check_dates(data: TrajectoryData, status: str) -> None:
    if data.planned_start and data.planned_end and data.planned_end < data.planned_start:
        raise ServiceError(_("De geplande einddatum ligt voor de geplande startdatum."))
    if data.actual_start and data.actual_end and data.actual_end < data.actual_start:
        raise ServiceError(_("De werkelijke einddatum ligt voor de werkelijke startdatum."))
    for day in (data.actual_start, data.actual_end):
        if day is not None and day > today():
            raise ServiceError(_("Een werkelijke start- of einddatum kan niet in de toekomst liggen."))
    if data.actual_start and status in ("aangemeld", "intake"):
        raise ServiceError(_("De werkelijke startdatum legt u vast met de stap 'Gestart'."))
    if not data.actual_start and status in ("gestart", "afgerond"):
        raise ServiceError(_("Een gestart of afgerond traject heeft een werkelijke startdatum."))
    if data.actual_end and status not in FINAL_STATUSES:
        raise ServiceError(_("Een werkelijke einddatum hoort bij een afgerond of uitgevallen traject."))
    if not data.actual_end and status in FINAL_STATUSES:
        raise ServiceError(_("Een afgerond of uitgevallen traject heeft een einddatum."))


def _check_involvements(actor: User, data: TrajectoryData, *, editing: bool) -> None:
    """The organisations must exist, and the actor must be able to see the result: on create
    their own organisation is involved; on an edit it stays involved, unless the actor is a
    coordinator of the partnership (who sees it through the partnership)."""
    seen = set()
    for organisation_id, role in data.involvements:
        if role not in INVOLVEMENT_ROLES:
            raise ServiceError(_("Onbekende rol van een betrokken organisatie."))
        seen.add((organisation_id, role))
    data.involvements = sorted(seen)
    ids = {organisation_id for organisation_id, _role in seen}
    found = set(db.session.scalars(select(Organisation.id).where(Organisation.id.in_(ids)))) if ids else set()
    if found != ids:
        raise ServiceError(_("Een van de gekozen organisaties bestaat niet."))
    if editing and permissions.coordinates(actor, data.partnership_id):
        if not ids:  # they see it through the partnership, but someone must be involved
            raise ServiceError(_("Kies minstens één betrokken organisatie (bijvoorbeeld de school)."))
        return
    if actor.organisation_id not in ids:
        raise ServiceError(
            _(
                "Uw eigen organisatie moet bij het traject betrokken zijn (in een rol), "
                "anders kunt u het traject daarna zelf niet meer zien."
            )
        )


def _involvement_text(pairs: list[tuple[int, str]]) -> list[str]:
    ids = {organisation_id for organisation_id, _role in pairs}
    names = (
        dict(db.session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))).all())
        if ids
        else {}
    )
    return sorted(f"{role}: {names.get(organisation_id, organisation_id)}" for organisation_id, role in pairs)


def _changes(before: TrajectoryData | None, after: TrajectoryData) -> dict[str, list]:
    changes = diff(before.scalars() if before else {}, after.scalars())
    old = sorted(before.involvements) if before else []
    if old != sorted(after.involvements):
        changes["involvements"] = [_involvement_text(old), _involvement_text(after.involvements)]
    return changes


# --- create and edit ------------------------------------------------------------------------------


def create_trajectory(actor: User, participant: Participant, data: TrajectoryData) -> Trajectory:
    """A new trajectory, status "aangemeld". The actor's organisation must be involved in it."""
    permissions.require(
        permissions.can_create_trajectory(actor, participant),
        _("U kunt geen traject aanmaken voor deze deelnemer."),
    )
    _check(actor, data)
    trajectory = Trajectory(participant_id=participant.id, status="aangemeld", created_by_id=actor.id, **data.scalars())
    trajectory.involvements = [
        TrajectoryOrganisation(organisation_id=organisation_id, role=role)
        for organisation_id, role in data.involvements
    ]
    db.session.add(trajectory)
    db.session.flush()
    db.session.add(
        TrajectoryStatusChange(
            trajectory_id=trajectory.id, from_status=None, to_status="aangemeld", changed_by_id=actor.id
        )
    )
    audit(
        actor,
        "create",
        trajectory,
        summary=f"Traject {trajectory.id} ({data.kind}) aangemeld voor deelnemer {participant.id}",
        changes=_changes(None, data),
    )
    db.session.flush()
    return trajectory


def update_trajectory(actor: User, trajectory: Trajectory, data: TrajectoryData, *, version: int) -> Trajectory:
    """Save an edit made on ``version``; refused when someone saved (or moved the status) in between."""
    permissions.require(
        permissions.can_edit_trajectory(actor, trajectory), _("U mag de gegevens van dit traject niet wijzigen.")
    )
    if version != trajectory.version:
        raise StaleRecord(STALE_MESSAGE)
    _check(actor, data, trajectory)
    before = TrajectoryData.from_trajectory(trajectory)
    changes = _changes(before, data)
    if not changes:
        return trajectory
    for key, value in data.scalars().items():
        setattr(trajectory, key, value)
    wanted = set(data.involvements)
    for involvement in list(trajectory.involvements):
        if (involvement.organisation_id, involvement.role) not in wanted:
            trajectory.involvements.remove(involvement)
    current = {(i.organisation_id, i.role) for i in trajectory.involvements}
    for organisation_id, role in sorted(wanted - current):
        trajectory.involvements.append(TrajectoryOrganisation(organisation_id=organisation_id, role=role))
    # Touch the row itself, so its version moves also when only the organisations changed.
    trajectory.updated_at = utcnow()
    versions.flush_versioned(STALE_MESSAGE)
    audit(actor, "update", trajectory, changes=changes)
    return trajectory


# --- the status workflow ------------------------------------------------------------------------------


def transition(actor: User, trajectory: Trajectory, data: TransitionData, *, version: int) -> TrajectoryStatusChange:
    """Move the trajectory one allowed step, with what that step needs; refused otherwise."""
    permissions.require(
        permissions.can_edit_trajectory(actor, trajectory), _("U mag de status van dit traject niet wijzigen.")
    )
    if version != trajectory.version:
        raise StaleRecord(STALE_MESSAGE)
    current, target = trajectory.status, data.to_status
    if target not in TRAJECTORY_STATUSES:
        raise ServiceError(_("Kies een bestaande status."))
    if target == current:
        raise ServiceError(_("Het traject heeft de status '%(status)s' al.", status=current))
    allowed = ALLOWED_TRANSITIONS[current]
    if not allowed:
        raise ServiceError(_("Dit traject is %(status)s: de status kan niet meer veranderen.", status=current))
    if target not in allowed:
        raise ServiceError(
            _(
                "Van '%(current)s' naar '%(target)s' is geen toegestane stap. "
                "Vanuit '%(current)s' kan het traject alleen naar: %(allowed)s.",
                current=current,
                target=target,
                allowed=", ".join(allowed),
            )
        )
    note = (data.note or "").strip()
    dropout_text = (data.dropout_text or "").strip()
    refuse_bsn(note, dropout_text)
    changes: dict[str, list] = {"status": [current, target]}
    if target == "gestart":
        _start(trajectory, data, changes)
    elif target == "afgerond":
        _complete(trajectory, data, changes)
    elif target == "uitgevallen":
        _drop_out(trajectory, data, dropout_text, changes)
    trajectory.status = target
    versions.flush_versioned(STALE_MESSAGE)
    change = TrajectoryStatusChange(
        trajectory_id=trajectory.id,
        from_status=current,
        to_status=target,
        changed_by_id=actor.id,
        reason=" — ".join(part for part in (dropout_text, note) if part),
    )
    db.session.add(change)
    # The note and the drop-out explanation may describe the person: named, not kept, in the trail.
    changes |= hidden(*(name for name, text in (("dropout_text", dropout_text), ("reason", note)) if text))
    audit(actor, "transition", trajectory, changes=changes)
    db.session.flush()
    return change


def _start(trajectory: Trajectory, data: TransitionData, changes: dict) -> None:
    start = data.actual_start or trajectory.actual_start
    if start is None:
        raise ServiceError(_("Vul de startdatum in: een gestart traject heeft een werkelijke startdatum."))
    if start > today():
        raise ServiceError(_("De startdatum ligt in de toekomst. Zet het traject op 'gestart' zodra het begonnen is."))
    if trajectory.kind == "duaal" and trajectory.employer_id is None:
        raise ServiceError(_("Een duaal traject heeft een werkgever nodig: daar werkt en leert de deelnemer."))
    changes["actual_start"] = [_iso(trajectory.actual_start), start.isoformat()]
    trajectory.actual_start = start
    if trajectory.period_id is None and (period := period_containing(start)) is not None:
        trajectory.period_id = period.id
        changes["period_id"] = [None, period.id]


def _complete(trajectory: Trajectory, data: TransitionData, changes: dict) -> None:
    fitting = OUTCOMES_BY_KIND[trajectory.kind]
    if not data.outcome:
        raise ServiceError(_("Kies het resultaat van het traject: diploma, certificaat of ervaringscertificaat."))
    if data.outcome not in fitting:
        raise ServiceError(
            _("Een EVC-traject eindigt met een ervaringscertificaat; een duaal traject met een diploma of certificaat.")
        )
    end = _end_date(trajectory, data.actual_end, _("Vul de einddatum van het traject in."))
    trajectory.outcome = data.outcome
    trajectory.actual_end = end
    changes["outcome"] = [None, data.outcome]
    changes["actual_end"] = [_iso(None), end.isoformat()]


def _drop_out(trajectory: Trajectory, data: TransitionData, text: str, changes: dict) -> None:
    if data.dropout_reason not in DROPOUT_REASONS:
        raise ServiceError(_("Kies de reden van uitval uit de lijst."))
    if data.dropout_reason == "overig" and not text:
        raise ServiceError(_("Licht de reden 'overig' kort toe."))
    end = _end_date(trajectory, data.actual_end, _("Vul de datum van uitval in."))
    trajectory.dropout_reason = data.dropout_reason
    trajectory.dropout_text = text
    trajectory.actual_end = end
    changes["dropout_reason"] = [None, data.dropout_reason]
    changes["actual_end"] = [None, end.isoformat()]


def _end_date(trajectory: Trajectory, end: date | None, missing: str) -> date:
    if end is None:
        raise ServiceError(missing)
    if end > today():
        raise ServiceError(_("De einddatum kan niet in de toekomst liggen."))
    if trajectory.actual_start is not None and end < trajectory.actual_start:
        raise ServiceError(
            _("De einddatum ligt voor de startdatum (%(start)s).", start=trajectory.actual_start.strftime("%d-%m-%Y"))
        )
    return end


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


# --- follow-ups -------------------------------------------------------------------------------------


def add_follow_up(actor: User, trajectory: Trajectory, data: FollowUpData) -> FollowUp:
    """A follow-up on the trajectory; its owner (default: the actor) must be able to see it."""
    permissions.require(
        permissions.can_edit_trajectory(actor, trajectory), _("U kunt bij dit traject geen opvolgactie plannen.")
    )
    owner = db.session.get(User, data.owner_id or actor.id)
    if owner is None or not owner.active:
        raise ServiceError(_("Kies een actieve gebruiker als eigenaar van de opvolgactie."))
    if not permissions.can_view_trajectory(owner, trajectory):
        raise ServiceError(
            _("%(name)s kan dit traject niet zien. Kies iemand van een betrokken organisatie.", name=owner.name)
        )
    if data.due_date < today():
        raise ServiceError(_("Kies een datum vanaf vandaag."))
    refuse_bsn(data.subject)
    return contacts.create_follow_up(
        actor, FollowUpData(due_date=data.due_date, subject=data.subject, owner_id=owner.id), trajectory=trajectory
    )


# --- the list -------------------------------------------------------------------------------------------


def _where(actor: User, filters: TrajectoryFilters) -> list:
    where = [permissions.visible_trajectories_clause(actor)]
    if filters.kind is not None:
        where.append(Trajectory.kind == filters.kind)
    if filters.status is not None:
        where.append(Trajectory.status == filters.status)
    if filters.partnership_id is not None:
        where.append(Trajectory.partnership_id == filters.partnership_id)
    if filters.period_id is not None:
        where.append(Trajectory.period_id == filters.period_id)
    if filters.organisation_id is not None:
        where.append(
            Trajectory.id.in_(
                select(TrajectoryOrganisation.trajectory_id).where(
                    TrajectoryOrganisation.organisation_id == filters.organisation_id
                )
            )
        )
    if filters.employer_id is not None:
        where.append(Trajectory.employer_id == filters.employer_id)
    if filters.accountmanager_id is not None:
        where.append(
            Trajectory.employer_id.in_(
                select(Employer.id).where(Employer.contactpersoon_id == filters.accountmanager_id)
            )
        )
    if filters.started_from is not None:
        where.append(Trajectory.actual_start >= filters.started_from)
    if filters.started_until is not None:
        where.append(Trajectory.actual_start <= filters.started_until)
    return where


def list_page(actor: User, filters: TrajectoryFilters, *, page: int = 1, per_page: int = 25) -> Page:
    """A page of the trajectories this user may see, newest first. Four queries whatever the
    page holds: the count; the page's ids only (a deferred join: a deep page walks the primary
    key, not thousands of joined rows); those rows with their many-to-ones joined; their
    organisations."""
    page = max(1, page)
    where = _where(actor, filters)
    total = db.session.scalar(select(func.count()).select_from(Trajectory).where(*where)) or 0
    ids = list(
        db.session.scalars(
            select(Trajectory.id)
            .where(*where)
            .order_by(Trajectory.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    items = (
        list(
            db.session.scalars(
                select(Trajectory)
                .where(Trajectory.id.in_(ids))
                .options(
                    joinedload(Trajectory.participant),
                    joinedload(Trajectory.employer),
                    joinedload(Trajectory.partnership),
                    joinedload(Trajectory.period),
                    selectinload(Trajectory.involvements).joinedload(TrajectoryOrganisation.organisation),
                )
                .order_by(Trajectory.id.desc())
            ).unique()
        )
        if ids
        else []
    )
    return Page(items=items, page=page, per_page=per_page, total=total)


@dataclass
class FilterChoices:
    partnerships: list[tuple[int, str]]
    periods: list[tuple[int, str]]
    organisations: list[tuple[int, str]]


def filter_choices() -> FilterChoices:
    return FilterChoices(
        partnerships=[
            (id_, name)
            for id_, name in db.session.execute(select(Partnership.id, Partnership.name).order_by(Partnership.name))
        ],
        periods=[
            (id_, name)
            for id_, name in db.session.execute(
                select(ProgrammePeriod.id, ProgrammePeriod.name).order_by(ProgrammePeriod.starts_on.desc())
            )
        ],
        organisations=[
            (id_, name)
            for id_, name in db.session.execute(
                select(Organisation.id, Organisation.name).where(Organisation.active).order_by(Organisation.name)
            )
        ],
    )
