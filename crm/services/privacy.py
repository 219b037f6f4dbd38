"""Privacy (AVG) for participants: retention, right of access, right to erasure.

- Retention: ``RETENTION_MONTHS`` (default 24) after a participant's last trajectory ended,
  a nightly job anonymises them. Trajectories, their statuses and dates stay, so the
  ambition table keeps counting; nothing in them points to a person any more.
- Right of access: what is stored about one participant, as data (JSON) and as a page, as far
  as the requester may see it (need-to-know holds here too). Trajectories the requester may
  not see are left out; the organisations involved in them are named, not their records, so
  the request can be passed on.
- Right to erasure: anonymise now, with a reason, audited.

Anonymising replaces the name and removes contact details, birth date and free texts that may
describe the person (consent purpose, drop-out explanation, status notes) and redacts the
person wherever a text names them: follow-up subjects, contact summaries and outcomes,
notifications. Texts tied to the person (their trajectories, follow-ups on them, contacts and
follow-ups at their trajectories' employers, notifications pointing there) lose every name
part, the e-mail address, phone number and birth date; any other text in the database loses
the full name, e-mail address and phone number (a lone first name elsewhere may be someone
else). The audit trail is append-only and holds none of this (``crm.services.audit``), so
nothing there needs removing.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import String, case, func, insert, not_, or_, select, update

from crm import permissions
from crm.extensions import db
from crm.lib.clock import today
from crm.models import (
    AuditEvent,
    Contact,
    FollowUp,
    Notification,
    Organisation,
    Participant,
    Partnership,
    Trajectory,
    TrajectoryOrganisation,
    TrajectoryStatusChange,
    User,
)
from crm.models.base import utcnow
from crm.services.audit import audit, hidden
from crm.services.errors import ServiceError
from crm.services.participants import visible_trajectories_of

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


REDACTED = "[verwijderd]"
# Name particles that are no name of their own ("El" in "El Amrani", "van" in "van Dijk").
PARTICLES = frozenset(
    [
        "van",
        "de",
        "der",
        "den",
        "het",
        "ter",
        "ten",
        "te",
        "'t",
        "in",
        "op",
        "aan",
        "el",
        "al",
        "la",
        "le",
        "da",
        "di",
        "du",
        "del",
        "della",
        "dos",
        "das",
        "bin",
        "ben",
        "von",
        "zu",
    ]
)


def _words(text: str) -> str:
    """A phrase as a pattern: its words in order, any whitespace between, whole words only."""
    return r"(?<!\w)" + r"\s+".join(re.escape(word) for word in text.split()) + r"(?!\w)"


def _phone_pattern(phone: str) -> str | None:
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 6:
        return None
    sep = r"[\s\-.()]*"
    local = sep.join(digits)
    if digits.startswith("0"):  # also written internationally: +31 6 ..., 0031 (0)6 ...
        international = r"(?:\+|00)" + sep + "31" + sep + r"(?:\(0\))?" + sep + sep.join(digits[1:])
        local = f"(?:{local}|{international})"
    return r"(?<!\d)" + local + r"(?!\d)"


def _date_pattern(day: date) -> str:
    sep = r"[\-/. ]"
    return (
        rf"(?<!\d)(?:0?{day.day}{sep}0?{day.month}{sep}{day.year}"
        rf"|{day.year}{sep}0?{day.month}{sep}0?{day.day})(?!\d)"
    )


def identifying_patterns(participant: Participant) -> tuple[re.Pattern | None, re.Pattern | None]:
    """Two patterns over a text: ``strong`` finds the full name, e-mail address and phone
    number (safe to redact anywhere); ``tied`` finds those and every name part and the birth
    date (for texts tied to the person)."""
    strong: list[str] = []
    full = " ".join(f"{participant.first_name} {participant.last_name}".split())
    if full:
        strong.append(_words(full))
        strong.append(_words(f"{participant.last_name}, {participant.first_name}"))
    if participant.email:
        strong.append(re.escape(participant.email.strip()))
    if participant.phone and (phone := _phone_pattern(participant.phone)):
        strong.append(phone)
    parts = [participant.first_name, participant.last_name, *participant.last_name.split()]
    parts += participant.first_name.split()
    tied = list(strong)
    for part in sorted({p.strip() for p in parts if p and p.strip()}, key=len, reverse=True):
        if part.lower() not in PARTICLES and len(part) >= 2:
            tied.append(_words(part))
    if participant.birth_date:
        tied.append(_date_pattern(participant.birth_date))

    def compiled(found):
        return re.compile("|".join(f"(?:{p})" for p in found), re.IGNORECASE) if found else None

    return compiled(strong), compiled(tied)


def redact(text: str, pattern: re.Pattern | None) -> str:
    if not text or pattern is None:
        return text
    return pattern.sub(REDACTED, text)


def _like_terms(participant: Participant) -> list[str]:
    """Literal strings that any text naming the person strongly must contain (narrows in SQL)."""
    terms = [" ".join(f"{participant.first_name} {participant.last_name}".split()), participant.last_name]
    terms += [participant.email.strip()]
    digits = re.sub(r"\D", "", participant.phone or "")
    if len(digits) >= 6:
        terms.append(digits[-4:])  # however the number is written, its last four digits stand together
    return [t.lower() for t in terms if t and len(t) >= 3]


FEED_TYPES: dict[type, str] = {FollowUp: "follow_up", Contact: "contact"}


def _redact_mentions(participant: Participant, actor_id: int | None = None) -> int:
    """Redact the person from every free text that names them; returns how many texts changed.
    A follow-up, contact or trajectory whose text changed gets an "update" event (fields named,
    values not kept): partner systems that copied the text learn from the change feed
    (crm.services.change_feed) that it changed."""
    strong, tied = identifying_patterns(participant)
    trajectory_ids = select(Trajectory.id).where(Trajectory.participant_id == participant.id)
    employer_ids = select(Trajectory.employer_id).where(
        Trajectory.participant_id == participant.id, Trajectory.employer_id.is_not(None)
    )
    links = [f"/deelnemers/{participant.id}"]
    links += [f"/trajecten/{i}" for i in db.session.scalars(trajectory_ids)]
    links += [f"/werkgevers/{i}" for i in db.session.scalars(employer_ids)]
    texts = (
        (
            FollowUp,
            ("subject",),
            or_(FollowUp.trajectory_id.in_(trajectory_ids), FollowUp.employer_id.in_(employer_ids)),
        ),
        (Contact, ("summary", "outcome"), Contact.employer_id.in_(employer_ids)),
        (Notification, ("message",), Notification.link.in_(links)),
        (TrajectoryStatusChange, ("reason",), TrajectoryStatusChange.trajectory_id.in_(trajectory_ids)),
    )
    terms = _like_terms(participant)
    changed = 0
    touched: dict[tuple[str, int], set[str]] = {}
    for model, columns, tied_clause in texts:
        mentions = [func.lower(getattr(model, c)).contains(t, autoescape=True) for c in columns for t in terms]
        for row, is_tied in db.session.execute(
            select(model, tied_clause).where(or_(tied_clause, *mentions) if mentions else tied_clause)
        ):
            pattern = tied if is_tied else strong
            for column in columns:
                before = getattr(row, column) or ""
                after = redact(before, pattern)
                if after != before:
                    column_type = model.__table__.c[column].type  # String or Text (a Text has no length)
                    limit = column_type.length if isinstance(column_type, String) else None
                    setattr(row, column, after[: limit or None])
                    changed += 1
                    if isinstance(row, TrajectoryStatusChange):
                        touched.setdefault(("trajectory", row.trajectory_id), set()).add("status_reasons")
                    elif isinstance(row, FollowUp | Contact):
                        touched.setdefault((FEED_TYPES[type(row)], row.id), set()).add(column)
    _audit_redacted(touched, actor_id)
    return changed


def _audit_redacted(touched: dict[tuple[str, int], set[str]], actor_id: int | None) -> None:
    if not touched:
        return
    at = utcnow()
    db.session.execute(
        insert(AuditEvent),
        [
            {
                "actor_id": actor_id,
                "action": "update",
                "object_type": object_type,
                "object_id": object_id,
                "summary": "Deelnemer uit de tekst verwijderd (anonimisering)",
                "changes": hidden(*sorted(fields)),
                "ip_address": "",
                "occurred_at": at,
            }
            for (object_type, object_id), fields in sorted(touched.items())
        ],
    )


def _anonymise(participant: Participant, *, trajectories: bool = True, actor_id: int | None = None) -> int:
    redacted = _redact_mentions(participant, actor_id)
    participant.first_name = "Geanonimiseerd"
    participant.last_name = f"#{participant.id}"
    participant.birth_date = None
    participant.email = ""
    participant.phone = ""
    participant.consent_purpose = ""
    participant.anonymised_at = utcnow()
    if trajectories:
        _clear_trajectory_texts([participant.id], actor_id)
    return redacted


def _clear_trajectory_texts(participant_ids: list[int], actor_id: int | None = None) -> None:
    """The drop-out explanation and the status notes may describe the person: emptied (the
    notes marked as removed) in one UPDATE each. Each trajectory that changed gets an "update"
    event (fields named, values not kept), so its history and the change feed say so."""
    changed = list(
        db.session.scalars(
            select(Trajectory.id)
            .where(
                Trajectory.participant_id.in_(participant_ids),
                or_(
                    Trajectory.dropout_text != "",
                    Trajectory.id.in_(
                        select(TrajectoryStatusChange.trajectory_id).where(
                            TrajectoryStatusChange.reason.not_in(("", REDACTED))
                        )
                    ),
                ),
            )
            .order_by(Trajectory.id)
        )
    )
    if changed:
        at = utcnow()
        db.session.execute(
            insert(AuditEvent),
            [
                {
                    "actor_id": actor_id,
                    "action": "update",
                    "object_type": "trajectory",
                    "object_id": trajectory_id,
                    "summary": "Teksten over de deelnemer verwijderd (anonimisering)",
                    "changes": hidden("dropout_text", "status_reasons"),
                    "ip_address": "",
                    "occurred_at": at,
                }
                for trajectory_id in changed
            ],
        )
    db.session.execute(
        update(Trajectory)
        .where(Trajectory.participant_id.in_(participant_ids), Trajectory.dropout_text != "")
        .values(dropout_text=""),
        execution_options={"synchronize_session": "fetch"},
    )
    db.session.execute(
        update(TrajectoryStatusChange)
        .where(
            TrajectoryStatusChange.trajectory_id.in_(
                select(Trajectory.id).where(Trajectory.participant_id.in_(participant_ids))
            ),
            TrajectoryStatusChange.reason != "",
        )
        .values(reason=REDACTED),
        execution_options={"synchronize_session": "fetch"},
    )


def holders_elsewhere(actor: User, participant: Participant) -> list[str]:
    """The organisations that hold trajectories of this participant which ``actor`` may not
    see: named (not their records) so a request for access or erasure can be passed on. A
    hidden trajectory without involved organisations is named by its partnership."""
    hidden = select(Trajectory.id).where(
        Trajectory.participant_id == participant.id, not_(permissions.visible_trajectories_clause(actor))
    )
    names = set(
        db.session.scalars(
            select(Organisation.name)
            .join(TrajectoryOrganisation, TrajectoryOrganisation.organisation_id == Organisation.id)
            .where(TrajectoryOrganisation.trajectory_id.in_(hidden), Organisation.id != actor.organisation_id)
        )
    )
    orphans = select(Trajectory.partnership_id).where(
        Trajectory.id.in_(hidden),
        ~select(TrajectoryOrganisation.trajectory_id)
        .where(TrajectoryOrganisation.trajectory_id == Trajectory.id)
        .exists(),
    )
    names |= set(db.session.scalars(select(Partnership.name).where(Partnership.id.in_(orphans))))
    return sorted(names, key=str.lower)


def erase(actor: User, participant: Participant, reason: str) -> None:
    """The right to erasure: anonymise now. Trajectory counts stay.

    The reason goes into the (append-only) audit trail, so the person is redacted from it
    first: "verzoek van Fatima El Amrani" is kept as "verzoek van [verwijderd]"."""
    permissions.require(permissions.can_erase_participant(actor, participant))
    reason = reason.strip()
    if not reason:
        raise ServiceError(_("Geef de reden van het verwijderverzoek op."))
    if participant.anonymised_at is not None:
        raise ServiceError(_("Deze deelnemer is al geanonimiseerd."))
    _strong, tied = identifying_patterns(participant)
    reason = redact(reason, tied)
    _anonymise(participant, actor_id=actor.id)
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
    """What is stored about this participant (right of access), as plain data: the person and
    the trajectories ``actor`` may see, with their organisations, status changes and
    follow-ups. Trajectories ``actor`` may not see are left out; ``andere_organisaties`` names
    who holds them."""
    permissions.require(permissions.can_export_participant(actor, participant))
    trajectories = sorted(visible_trajectories_of(actor, participant), key=lambda t: t.id)
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
        "andere_organisaties": holders_elsewhere(actor, participant),
    }
    audit(actor, "export", participant, summary="Inzageverzoek: alle gegevens van deze deelnemer")
    return report
