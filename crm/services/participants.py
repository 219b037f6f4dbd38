"""Participants (deelnemers): minimal personal data, consent, need-to-know access.

There is no BSN, ever: the model has no field for it and every text refuses a nine-digit
number that passes the elfproef (``validation.contains_bsn``), here as in the forms.

Personal data stays out of the audit trail: an audit event names the participant by id and
the fields that changed, never their values (an erasure then only has to touch one row).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from crm import permissions
from crm.extensions import db
from crm.i18n import lazy_gettext as _l
from crm.lib.clock import today
from crm.lib.paging import PageNumbers
from crm.models import AuditEvent, Municipality, Organisation, Participant, Trajectory, User
from crm.models.base import utcnow
from crm.models.participants import DOELGROEPEN
from crm.services import versions
from crm.services.audit import HIDDEN, audit
from crm.services.errors import ServiceError, StaleRecord
from crm.services.validation import contains_bsn, no_bidi_controls, no_bsn

# Shown in the audit trail with their values; the other fields only by name.
NOT_PERSONAL = ("doelgroep", "has_startkwalificatie", "referring_organisation_id")
# What the audit trail holds instead of a personal value.
HIDDEN_VALUE = HIDDEN
STALE = _l("Iemand anders heeft deze deelnemer intussen gewijzigd.")


@dataclass
class ParticipantData:
    """The editable facts of a participant, as a form delivers them (already validated)."""

    first_name: str
    last_name: str
    doelgroep: str
    birth_year: int | None = None
    birth_date: date | None = None
    email: str = ""
    phone: str = ""
    municipality_id: int | None = None
    has_startkwalificatie: bool = False
    referring_organisation_id: int | None = None

    @classmethod
    def from_participant(cls, participant: Participant) -> ParticipantData:
        return cls(**{f.name: getattr(participant, f.name) for f in fields(cls)})


@dataclass
class Page(PageNumbers):
    """One page of a list (participants here, trajectories in ``crm.services.trajectories``)."""

    items: list
    page: int
    per_page: int
    total: int


# --- checks -------------------------------------------------------------------------------


def refuse_bsn(*texts: str | None) -> None:
    """Defence in depth behind the forms: the service refuses a possible BSN as well."""
    for text in texts:
        if contains_bsn(text):
            no_bsn(text)  # raises Invalid (a ServiceError) with the explanation


def _check(data: ParticipantData) -> None:
    if not data.first_name.strip() or not data.last_name.strip():
        raise ServiceError(_("Vul de voornaam en de achternaam van de deelnemer in."))
    no_bidi_controls(data.first_name)
    no_bidi_controls(data.last_name)
    if data.doelgroep not in DOELGROEPEN:
        raise ServiceError(_("Kies de doelgroep van de deelnemer."))
    if data.birth_year is None and data.birth_date is None:
        raise ServiceError(_("Vul het geboortejaar of de geboortedatum in."))
    if data.birth_date is not None:
        if data.birth_date > today():
            raise ServiceError(_("Een geboortedatum kan niet in de toekomst liggen."))
        if data.birth_year is not None and data.birth_year != data.birth_date.year:
            raise ServiceError(_("Het geboortejaar past niet bij de geboortedatum."))
    if data.birth_year is not None and not 1900 <= data.birth_year <= today().year:
        raise ServiceError(_("Vul een geboortejaar tussen 1900 en %(year)s in.", year=today().year))
    if (
        data.referring_organisation_id is not None
        and db.session.get(Organisation, data.referring_organisation_id) is None
    ):
        raise ServiceError(_("Kies een bestaande verwijzende organisatie."))
    refuse_bsn(data.first_name, data.last_name, data.email, data.phone.replace(" ", "").replace("-", ""))


def _check_consent(purpose: str | None) -> str:
    purpose = (purpose or "").strip()
    if not purpose:
        raise ServiceError(_("Leg vast waarvoor de deelnemer toestemming heeft gegeven."))
    refuse_bsn(purpose)
    return purpose


def _changed_fields(before: dict, after: dict) -> dict[str, list]:
    """``{field: [before, after]}``, with the values of personal fields left out."""
    changes = {}
    for key, value in after.items():
        if before.get(key) != value:
            changes[key] = [before.get(key), value] if key in NOT_PERSONAL else [HIDDEN_VALUE, HIDDEN_VALUE]
    return changes


def _apply(participant: Participant, data: ParticipantData) -> None:
    values = asdict(data)
    values["first_name"] = data.first_name.strip()
    values["last_name"] = data.last_name.strip()
    if data.birth_date is not None:
        values["birth_year"] = data.birth_date.year
    for key, value in values.items():
        setattr(participant, key, value)


# --- create and edit ------------------------------------------------------------------------


def create_participant(actor: User, data: ParticipantData, *, consent_purpose: str | None) -> Participant:
    """Register a participant with the consent the actor recorded (who: the actor, when: now)."""
    permissions.require(permissions.can_create_participant(actor))
    _check(data)
    purpose = _check_consent(consent_purpose)
    participant = Participant(created_by_id=actor.id)
    _apply(participant, data)
    participant.consent_purpose = purpose
    participant.consent_at = utcnow()
    participant.consent_recorded_by_id = actor.id
    db.session.add(participant)
    db.session.flush()
    audit(
        actor,
        "create",
        participant,
        summary=f"Deelnemer {participant.id} geregistreerd, toestemming vastgelegd",
        changes=_changed_fields({}, {**asdict(data), "consent_purpose": purpose}),
    )
    return participant


def update_participant(
    actor: User,
    participant: Participant,
    data: ParticipantData,
    *,
    version: int,
    consent_purpose: str | None = None,
) -> Participant:
    """Save an edit made on ``version`` of the participant; refused (StaleRecord) when someone
    saved in between. With ``consent_purpose`` the consent is recorded anew (who: the actor,
    when: now)."""
    permissions.require(
        permissions.can_edit_participant(actor, participant), _("U mag de gegevens van deze deelnemer niet wijzigen.")
    )
    if version != participant.version:
        raise StaleRecord(STALE)
    _check(data)
    before = asdict(ParticipantData.from_participant(participant))
    _apply(participant, data)
    changes = _changed_fields(before, asdict(ParticipantData.from_participant(participant)))
    if consent_purpose is not None:
        purpose = _check_consent(consent_purpose)
        participant.consent_purpose = purpose
        participant.consent_at = utcnow()
        participant.consent_recorded_by_id = actor.id
        changes["consent"] = [HIDDEN_VALUE, "opnieuw vastgelegd"]
    if not changes:
        return participant
    versions.flush_versioned(STALE)
    audit(actor, "update", participant, summary=f"Deelnemer {participant.id} gewijzigd", changes=changes)
    return participant


def changes_since(participant: Participant, version: int) -> list[AuditEvent]:
    """The audited changes (edits, an anonymisation) that brought the participant from
    ``version`` to its current version. Personal values are not in the trail: only which
    fields changed (``HIDDEN_VALUE``), who and when."""
    return versions.changes_since(participant, version, ("update", "anonymise"))


def record_view(actor: User, participant: Participant, *, ip_address: str = "") -> None:
    """Each view of a participant's page is logged: who looked at whose data, when."""
    audit(actor, "view", participant, object_type="participant", ip_address=ip_address)
    db.session.flush()


# --- reading ------------------------------------------------------------------------------------


def visible_trajectories_of(actor: User, participant: Participant) -> list[Trajectory]:
    """The participant's trajectories this user may see (not necessarily all of them)."""
    return list(
        db.session.scalars(
            select(Trajectory)
            .where(Trajectory.participant_id == participant.id, permissions.visible_trajectories_clause(actor))
            .options(
                selectinload(Trajectory.employer),
                selectinload(Trajectory.partnership),
                selectinload(Trajectory.period),
            )
            .order_by(Trajectory.id.desc())
        )
    )


def list_page(actor: User, *, q: str = "", page: int = 1, per_page: int = 25) -> Page:
    """The participants this user may see, by name, as ``(participant, municipality name)``
    rows; filtered in SQL, a fixed number of queries whatever the page holds."""
    page = max(1, page)
    where = [permissions.visible_participants_clause(actor)]
    term = " ".join((q or "").lower().split())[:100]
    for word in term.split()[:4]:
        where.append(
            func.lower(Participant.first_name).contains(word, autoescape=True)
            | func.lower(Participant.last_name).contains(word, autoescape=True)
        )
    total = db.session.scalar(select(func.count()).select_from(Participant).where(*where))
    order = (Participant.last_name, Participant.first_name, Participant.id)
    # A deferred join: the page's ids first (a deep page sorts ids, not whole rows), then those rows.
    ids = list(
        db.session.scalars(
            select(Participant.id).where(*where).order_by(*order).limit(per_page).offset((page - 1) * per_page)
        )
    )
    rows = (
        db.session.execute(
            select(Participant, Municipality.name)
            .outerjoin(Municipality, Municipality.id == Participant.municipality_id)
            .where(Participant.id.in_(ids))
            .options(selectinload(Participant.referring_organisation))
            .order_by(*order)
        ).all()
        if ids
        else []
    )
    return Page(items=[tuple(row) for row in rows], page=page, per_page=per_page, total=total or 0)


def trajectory_counts(participant_ids: list[int], actor: User) -> dict[int, int]:
    """How many trajectories (that this user may see) each participant has: one grouped query."""
    if not participant_ids:
        return {}
    rows = db.session.execute(
        select(Trajectory.participant_id, func.count())
        .where(Trajectory.participant_id.in_(participant_ids), permissions.visible_trajectories_clause(actor))
        .group_by(Trajectory.participant_id)
    ).all()
    return {participant_id: count for participant_id, count in rows}
