"""Privacy (AVG) for participants: retention, right of access, right to erasure.

- Retention: ``RETENTION_MONTHS`` (default 24) after a participant's last trajectory ended,
  a nightly job anonymises them. Trajectories, their statuses and dates stay, so the
  ambition table keeps counting; nothing in them points to a person any more.
- Right of access: everything stored about one participant, as data (JSON) and as a page.
- Right to erasure: anonymise now, with a reason, audited.

Anonymising replaces the name and removes contact details, birth date, free texts that may
describe the person (consent purpose, drop-out explanation) and marks the row.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select, update

from crm import permissions
from crm.extensions import db
from crm.models import (
    AuditEvent,
    FollowUp,
    Participant,
    Trajectory,
    TrajectoryOrganisation,
    TrajectoryStatusChange,
    User,
)
from crm.models.base import utcnow
from crm.services.audit import audit
from crm.services.clock import today
from crm.services.errors import ServiceError

ENDED = ("afgerond", "uitgevallen")
BATCH = 500  # participants loaded per query by the nightly job


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for candidate in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _ended_on():
    return func.coalesce(Trajectory.actual_end, func.date(Trajectory.updated_at))


def _last_end_dates(participant_ids=None):
    """Per participant: the end of their last trajectory, only when every trajectory has ended."""
    query = (
        select(Trajectory.participant_id, func.max(_ended_on()))
        .group_by(Trajectory.participant_id)
        .having(func.sum(case((Trajectory.status.in_(ENDED), 0), else_=1)) == 0)
    )
    if participant_ids is not None:
        query = query.where(Trajectory.participant_id.in_(participant_ids))
    return query


def anonymisation_date(participant: Participant, retention_months: int) -> date | None:
    """When the participant will be anonymised; None while a trajectory is still running."""
    if participant.anonymised_at is not None:
        return None
    row = db.session.execute(_last_end_dates([participant.id])).first()
    if row is None or row[1] is None:
        return None
    ended = row[1] if isinstance(row[1], date) else date.fromisoformat(str(row[1])[:10])
    return add_months(ended, retention_months)


def _anonymise(participant: Participant, *, trajectories: bool = True) -> None:
    participant.first_name = "Geanonimiseerd"
    participant.last_name = f"#{participant.id}"
    participant.birth_date = None
    participant.email = ""
    participant.phone = ""
    participant.consent_purpose = ""
    participant.anonymised_at = utcnow()
    if trajectories:
        _clear_trajectory_texts([participant.id])


def _clear_trajectory_texts(participant_ids: list[int]) -> None:
    """The drop-out explanation may describe the person: emptied in one UPDATE."""
    db.session.execute(
        update(Trajectory)
        .where(Trajectory.participant_id.in_(participant_ids), Trajectory.dropout_text != "")
        .values(dropout_text=""),
        execution_options={"synchronize_session": "fetch"},
    )


def erase(actor: User, participant: Participant, reason: str) -> None:
    """The right to erasure: anonymise now. Trajectory counts stay."""
    permissions.require(permissions.can_erase_participant(actor, participant))
    reason = reason.strip()
    if not reason:
        raise ServiceError("Geef de reden van het verwijderverzoek op.")
    if participant.anonymised_at is not None:
        raise ServiceError("Deze deelnemer is al geanonimiseerd.")
    _anonymise(participant)
    db.session.flush()
    audit(actor, "anonymise", participant, summary=f"Verzoek tot verwijdering: {reason}")


def anonymise_expired(retention_months: int, on: date | None = None) -> int:
    """The nightly job: anonymise every participant whose last trajectory ended more than
    ``retention_months`` ago. Returns how many.

    SQL narrows the candidates to participants not yet anonymised whose last end lies (give or
    take the days a month-end adds) before the cut-off, so the work does not grow with the
    years of participants anonymised before; the exact date rule is ``add_months`` below."""
    on = on or today()
    roughly = add_months(on, -retention_months) + timedelta(days=3)
    candidates = (
        _last_end_dates()
        .join(Participant, Participant.id == Trajectory.participant_id)
        .where(Participant.anonymised_at.is_(None))
        .having(func.max(_ended_on()) <= roughly)
    )
    due = []
    for participant_id, ended in db.session.execute(candidates).all():
        ended = ended if isinstance(ended, date) else date.fromisoformat(str(ended)[:10])
        if add_months(ended, retention_months) <= on:
            due.append(participant_id)
    for start in range(0, len(due), BATCH):
        chunk = due[start : start + BATCH]
        for participant in db.session.scalars(select(Participant).where(Participant.id.in_(chunk))):
            _anonymise(participant, trajectories=False)
            audit(None, "anonymise", participant, summary=f"Bewaartermijn van {retention_months} maanden verstreken")
        _clear_trajectory_texts(chunk)
    db.session.flush()
    return len(due)


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _row(obj, columns) -> dict:
    return {column: _plain(getattr(obj, column)) for column in columns}


def access_report(actor: User, participant: Participant) -> dict:
    """Everything stored about this participant (right of access), as plain data."""
    permissions.require(permissions.can_export_participant(actor, participant))
    trajectories = db.session.scalars(
        select(Trajectory).where(Trajectory.participant_id == participant.id).order_by(Trajectory.id)
    ).all()
    ids = [t.id for t in trajectories]
    involvements = db.session.scalars(
        select(TrajectoryOrganisation).where(TrajectoryOrganisation.trajectory_id.in_(ids))
    ).all()
    changes = db.session.scalars(
        select(TrajectoryStatusChange)
        .where(TrajectoryStatusChange.trajectory_id.in_(ids))
        .order_by(TrajectoryStatusChange.changed_at)
    ).all()
    follow_ups = db.session.scalars(select(FollowUp).where(FollowUp.trajectory_id.in_(ids))).all()
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "participant", AuditEvent.object_id == participant.id)
        .order_by(AuditEvent.occurred_at)
    ).all()
    report = {
        "deelnemer": _row(
            participant,
            (
                "id",
                "first_name",
                "last_name",
                "birth_year",
                "birth_date",
                "email",
                "phone",
                "doelgroep",
                "has_startkwalificatie",
                "consent_at",
                "consent_purpose",
                "anonymised_at",
                "created_at",
            ),
        )
        | {
            "gemeente": participant.municipality_id,
            "verwijzende_organisatie": participant.referring_organisation.name
            if participant.referring_organisation
            else None,
        },
        "trajecten": [
            _row(
                t,
                (
                    "id",
                    "kind",
                    "status",
                    "regeling",
                    "qualification_name",
                    "crebo",
                    "planned_start",
                    "planned_end",
                    "actual_start",
                    "actual_end",
                    "guidance_hours",
                    "outcome",
                    "dropout_reason",
                    "dropout_text",
                ),
            )
            | {
                "werkgever": t.employer.name if t.employer else None,
                "samenwerkingsverband": t.partnership.name,
                "betrokken_organisaties": [
                    {"organisatie": i.organisation.name, "rol": i.role} for i in involvements if i.trajectory_id == t.id
                ],
                "statuswijzigingen": [
                    _row(c, ("from_status", "to_status", "changed_at", "reason"))
                    for c in changes
                    if c.trajectory_id == t.id
                ],
                "opvolgacties": [
                    _row(f, ("subject", "due_date", "status")) for f in follow_ups if f.trajectory_id == t.id
                ],
            }
            for t in trajectories
        ],
        "logboek": [_row(e, ("occurred_at", "action", "summary")) for e in events],
    }
    audit(actor, "export", participant, summary="Inzageverzoek: alle gegevens van deze deelnemer")
    return report
