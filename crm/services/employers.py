"""Employers: create, edit, duplicates, the one contactpersoon (overdracht) and merging.

Every function takes the acting user, checks permissions through ``crm.permissions``,
writes the audit trail and flushes; the caller commits.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import joinedload

from crm import permissions
from crm.extensions import db
from crm.i18n import lazy_gettext as _l
from crm.models import (
    AuditEvent,
    Contact,
    ContactpersoonAssignment,
    Employer,
    EmployerPerson,
    FollowUp,
    Municipality,
    Trajectory,
    User,
    Vacancy,
)
from crm.models.base import utcnow
from crm.services import versions
from crm.services.audit import audit, diff
from crm.services.contacts import keep_last_contact
from crm.services.errors import ServiceError, StaleRecord
from crm.services.notifications import notify
from crm.services.reference import sbi_section_for
from crm.services.search import rebuild_search_text, refresh_search_text
from crm.services.validation import no_bidi_controls

LEGAL_FORMS = re.compile(r"\b(b\.?v\.?|n\.?v\.?|v\.?o\.?f\.?|c\.?v\.?|holding|groep|vof|bv|nv)\b", re.IGNORECASE)


@dataclass
class EmployerData:
    """The editable facts of an employer, as a form delivers them (already validated)."""

    name: str
    kvk_number: str | None = None
    vestigingsnummer: str | None = None
    sbi_code: str | None = None
    size: str | None = None
    street: str = ""
    house_number: str = ""
    postcode: str = ""
    city: str = ""
    municipality_id: int | None = None
    phone: str = ""
    email: str = ""
    website: str = ""
    erkend_leerbedrijf: bool = False
    status: str = "prospect"
    notes: str = ""
    trade_names: str = ""  # handelsnamen, one per line (validation.trade_names)

    @classmethod
    def from_employer(cls, employer: Employer) -> EmployerData:
        return cls(**{f.name: getattr(employer, f.name) for f in fields(cls)})


class DuplicateKvk(ServiceError):
    def __init__(self, existing: Employer):
        super().__init__(
            _("KvK-nummer %(kvk)s is al in gebruik bij %(name)s.", kvk=existing.kvk_number, name=existing.name)
        )
        self.existing = existing


# --- reading ---------------------------------------------------------------------------


def by_kvk(kvk_number: str, exclude_id: int | None = None) -> Employer | None:
    query = select(Employer).where(Employer.kvk_number == kvk_number)
    if exclude_id is not None:
        query = query.where(Employer.id != exclude_id)
    return db.session.scalar(query)


def core_name(name: str) -> str:
    """The distinctive part of a trade name: lower case, without legal forms and punctuation."""
    name = LEGAL_FORMS.sub(" ", name.lower())
    return " ".join(re.sub(r"[^\w\s]", " ", name).split())


def find_duplicates(
    *,
    name: str,
    municipality_id: int | None,
    kvk_number: str | None,
    city: str | None = None,
    exclude_id: int | None = None,
    limit: int = 5,
) -> list[Employer]:
    """Employers that may be the same: the same KvK number, or a similar name in the same place.

    The same place is the same municipality (Gemeente) or the same Plaats, and a Plaats typed
    without a Gemeente also matches the municipality of that name: people often fill in only
    one of the two."""
    found: list[Employer] = []
    if kvk_number:
        same_kvk = by_kvk(kvk_number, exclude_id)
        if same_kvk is not None:
            found.append(same_kvk)
    core = core_name(name)
    words = sorted(core.split(), key=len, reverse=True)
    place = (city or "").strip().lower()
    same_place = []
    if municipality_id:
        same_place.append(Employer.municipality_id == municipality_id)
    if place:
        same_place.append(func.lower(Employer.city) == place)
        same_place.append(
            Employer.municipality_id.in_(select(Municipality.id).where(func.lower(Municipality.name) == place))
        )
    if same_place and words:
        query = (
            select(Employer)
            .where(
                or_(*same_place),
                Employer.merged_into_id.is_(None),
                or_(*(func.lower(Employer.name).contains(word, autoescape=True) for word in words[:2])),
            )
            .limit(200)
        )
        if exclude_id is not None:
            query = query.where(Employer.id != exclude_id)
        scored = [
            (difflib.SequenceMatcher(None, core, core_name(candidate.name)).ratio(), candidate)
            for candidate in db.session.scalars(query)
        ]
        found += [c for ratio, c in sorted(scored, key=lambda s: -s[0]) if ratio >= 0.75 and c not in found]
    return found[:limit]


# --- create and edit -------------------------------------------------------------------


def _apply(employer: Employer, data: EmployerData) -> None:
    for key, value in asdict(data).items():
        setattr(employer, key, value)
    employer.sbi_section_code = sbi_section_for(data.sbi_code) if data.sbi_code else None


def _check_contactpersoon(user: User) -> None:
    if not permissions.can_be_contactpersoon(user):
        raise ServiceError(
            _(
                "%(name)s kan geen contactpersoon zijn (alleen actieve accountmanagers en coördinatoren).",
                name=user.name,
            )
        )


def create_employer(actor: User, data: EmployerData, contactpersoon: User | None = None) -> Employer:
    permissions.require(permissions.can_create_employer(actor))
    no_bidi_controls(data.name)
    contactpersoon = contactpersoon or actor
    _check_contactpersoon(contactpersoon)
    if data.kvk_number and (existing := by_kvk(data.kvk_number)) is not None:
        raise DuplicateKvk(existing)
    employer = Employer(contactpersoon_id=contactpersoon.id)
    _apply(employer, data)
    db.session.add(employer)
    db.session.flush()
    db.session.add(
        ContactpersoonAssignment(
            employer_id=employer.id, user_id=contactpersoon.id, assigned_by_id=actor.id, note="Aangemaakt"
        )
    )
    audit(actor, "create", employer, changes=diff({}, {**asdict(data), "contactpersoon": contactpersoon.name}))
    refresh_search_text(employer)
    return employer


def changes_since(employer: Employer, version: int) -> list[AuditEvent]:
    """The audited changes that brought the employer from ``version`` to its current version."""
    return versions.changes_since(employer, version, ("update", "handover", "merge"))


def update_employer(actor: User, employer: Employer, data: EmployerData, *, version: int) -> Employer:
    """Save an edit made on ``version`` of the employer; refused when someone saved in between."""
    permissions.require(permissions.can_edit_employer(actor, employer))
    no_bidi_controls(data.name)
    if version != employer.version:
        raise StaleRecord(_("Iemand anders heeft deze werkgever intussen gewijzigd."))
    if data.kvk_number and (existing := by_kvk(data.kvk_number, exclude_id=employer.id)) is not None:
        raise DuplicateKvk(existing)
    before = asdict(EmployerData.from_employer(employer))
    _apply(employer, data)
    changes = diff(before, asdict(data))
    if not changes:
        return employer
    versions.flush_versioned(_("Iemand anders heeft deze werkgever intussen gewijzigd."))
    audit(actor, "update", employer, changes=changes)
    refresh_search_text(employer)
    return employer


# --- the one contactpersoon ---------------------------------------------------------------


def hand_over(actor: User, employer: Employer, new: User, note: str, *, at: datetime | None = None) -> None:
    """Make ``new`` the contactpersoon: closes the open assignment and opens a new one, in one go.

    Two handovers racing for the same employer: the second finds no open assignment for the
    contactpersoon it saw and is refused (the row lock on PostgreSQL makes it wait for the first).
    """
    permissions.require(
        permissions.can_hand_over(actor, employer),
        _("Alleen de huidige contactpersoon, een coördinator of een beheerder kan deze werkgever overdragen."),
    )
    note = note.strip()
    if not note:
        raise ServiceError(_("Schrijf bij een overdracht kort waarom, voor de nieuwe contactpersoon."))
    _check_contactpersoon(new)
    previous_id = employer.contactpersoon_id
    if new.id == previous_id:
        raise ServiceError(_("%(name)s is al de contactpersoon.", name=new.name))
    at = at or utcnow()
    closed = cast(
        CursorResult[Any],
        db.session.execute(
            update(ContactpersoonAssignment)
            .where(
                ContactpersoonAssignment.employer_id == employer.id,
                ContactpersoonAssignment.user_id == previous_id,
                ContactpersoonAssignment.ended_at.is_(None),
            )
            .values(ended_at=at)
            .execution_options(synchronize_session=False)
        ),
    )
    if closed.rowcount != 1:
        raise StaleRecord(_("Deze werkgever is intussen al overgedragen. Vernieuw de pagina."))
    db.session.add(
        ContactpersoonAssignment(
            employer_id=employer.id, user_id=new.id, assigned_by_id=actor.id, note=note, started_at=at
        )
    )
    employer.contactpersoon_id = new.id
    versions.flush_versioned(_("Deze werkgever is intussen gewijzigd of overgedragen. Vernieuw de pagina."))
    refresh_search_text(employer)  # the contactpersoon's name is searched
    previous = db.session.get(User, previous_id)
    audit(
        actor,
        "handover",
        employer,
        summary=note,
        changes={"contactpersoon": [previous.name if previous else previous_id, new.name]},
    )
    notify(
        new,
        "handover",
        f"{actor.name} heeft {employer.name} aan u overgedragen: {note}",
        link=f"/werkgevers/{employer.id}",
    )


def bulk_hand_over(actor: User, source: User, target: User, note: str) -> int:
    """All employers of ``source`` to ``target`` in one step (e.g. when an account manager leaves)."""
    permissions.require(permissions.can_bulk_hand_over(actor))
    note = note.strip()
    if not note:
        raise ServiceError(_("Schrijf bij een overdracht kort waarom, voor de nieuwe contactpersoon."))
    if source.id == target.id:
        raise ServiceError(_("Kies twee verschillende personen."))
    _check_contactpersoon(target)
    at = utcnow()
    ids = list(
        db.session.scalars(
            select(Employer.id).where(Employer.contactpersoon_id == source.id).with_for_update().order_by(Employer.id)
        )
    )
    if not ids:
        return 0
    db.session.execute(
        update(ContactpersoonAssignment)
        .where(ContactpersoonAssignment.employer_id.in_(ids), ContactpersoonAssignment.ended_at.is_(None))
        .values(ended_at=at)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        insert(ContactpersoonAssignment),
        [
            {"employer_id": i, "user_id": target.id, "assigned_by_id": actor.id, "note": note, "started_at": at}
            for i in ids
        ],
    )
    db.session.execute(
        update(Employer)
        .where(Employer.id.in_(ids))
        .values(contactpersoon_id=target.id, version=Employer.version + 1, updated_at=at)
        .execution_options(synchronize_session=False)
    )
    rebuild_search_text(ids)  # the contactpersoon's name is searched
    db.session.execute(
        insert(AuditEvent),
        [
            {
                "actor_id": actor.id,
                "action": "handover",
                "object_type": "employer",
                "object_id": i,
                "summary": note,
                "changes": {"contactpersoon": [source.name, target.name]},
                "occurred_at": at,
            }
            for i in ids
        ],
    )
    notify(
        target,
        "handover",
        f"{actor.name} heeft {len(ids)} werkgevers van {source.name} aan u overgedragen: {note}",
        link="/",
    )
    db.session.flush()
    db.session.expire_all()
    return len(ids)


# --- merging ---------------------------------------------------------------------------


def merge(actor: User, keep: Employer, duplicate: Employer, note: str) -> Employer:
    """Fold ``duplicate`` into ``keep``: its contacts, follow-ups, vacancies, trajectories and
    people move; the duplicate stays as an inactive record pointing to ``keep``."""
    permissions.require(permissions.can_merge_employers(actor))
    if keep.id == duplicate.id:
        raise ServiceError(_("Kies twee verschillende werkgevers."))
    if keep.merged_into_id or duplicate.merged_into_id:
        raise ServiceError(_("Een van deze werkgevers is al samengevoegd."))
    # Only one primary person per employer: the kept employer's primary wins.
    keep_has_primary = db.session.scalar(
        select(EmployerPerson.id).where(EmployerPerson.employer_id == keep.id, EmployerPerson.is_primary)
    )
    if keep_has_primary:
        db.session.execute(
            update(EmployerPerson)
            .where(EmployerPerson.employer_id == duplicate.id)
            .values(is_primary=False)
            .execution_options(synchronize_session=False)
        )
    moved = {}
    moved_events = []
    at = utcnow()
    for model in (Contact, FollowUp, Vacancy, Trajectory, EmployerPerson):
        # Each moved record changed (its employer): an event of its own, so its history and
        # the change feed (crm.services.change_feed) say so.
        moved_ids = list(db.session.scalars(select(model.id).where(model.employer_id == duplicate.id)))
        result = cast(
            CursorResult[Any],
            db.session.execute(
                update(model)
                .where(model.employer_id == duplicate.id)
                .values(employer_id=keep.id)
                .execution_options(synchronize_session=False)
            ),
        )
        moved[model.__tablename__] = result.rowcount
        moved_events += [
            {
                "actor_id": actor.id,
                "action": "update",
                "object_type": model.__tablename__,
                "object_id": record_id,
                "summary": f"Verplaatst bij het samenvoegen van werkgever #{duplicate.id} met #{keep.id}",
                "changes": {"employer_id": [duplicate.id, keep.id]},
                "ip_address": "",
                "occurred_at": at,
            }
            for record_id in moved_ids
        ]
    if moved_events:
        db.session.execute(insert(AuditEvent), moved_events)
    db.session.execute(
        update(ContactpersoonAssignment)
        .where(ContactpersoonAssignment.employer_id == duplicate.id, ContactpersoonAssignment.ended_at.is_(None))
        .values(ended_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    kvk = duplicate.kvk_number
    duplicate.kvk_number = None
    duplicate.merged_into_id = keep.id
    duplicate.status = "inactief"
    db.session.flush()
    if kvk and not keep.kvk_number:
        keep.kvk_number = kvk
    db.session.flush()
    keep_last_contact([keep.id])
    summary = f"{duplicate.name} (#{duplicate.id}) samengevoegd met {keep.name} (#{keep.id}). {note}".strip()
    audit(actor, "merge", keep, summary=summary, changes={"moved": [None, moved]})
    audit(actor, "merge", duplicate, summary=summary, changes={"merged_into_id": [None, keep.id]})
    refresh_search_text(keep)
    db.session.expire_all()
    return keep


def contactpersoon_candidates() -> list[User]:
    return list(
        db.session.scalars(select(User).where(permissions.contactpersoon_candidates_clause()).order_by(User.name))
    )


# --- the employer's own people (EmployerPerson) ------------------------------------------

PERSON_FIELDS = ("name", "function", "phone", "email", "is_primary")


@dataclass
class PersonData:
    """A person at the employer, as a form delivers it (already validated)."""

    name: str
    function: str = ""
    phone: str = ""
    email: str = ""
    is_primary: bool = False


def _person_values(person: EmployerPerson) -> dict:
    return {key: getattr(person, key) for key in PERSON_FIELDS}


def _demote_other_primary(actor: User, employer: Employer, person: EmployerPerson | None) -> None:
    """Only one primary person per employer (a partial unique index): the new one wins."""
    for other in employer.people:
        if other.is_primary and other is not person:
            other.is_primary = False
            audit(actor, "update", other, changes={"is_primary": [True, False]})
    db.session.flush()  # before the new primary is written, or the unique index refuses it


def add_person(actor: User, employer: Employer, data: PersonData) -> EmployerPerson:
    permissions.require(permissions.can_edit_employer(actor, employer))
    if not data.name.strip():
        raise ServiceError(_("Vul de naam van de persoon in."))
    no_bidi_controls(data.name)
    if data.is_primary:
        _demote_other_primary(actor, employer, None)
    person = EmployerPerson(employer_id=employer.id, **asdict(data))
    db.session.add(person)
    db.session.flush()
    db.session.expire(employer, ["people"])
    audit(actor, "create", person, summary=f"{person.name} bij {employer.name}", changes=diff({}, asdict(data)))
    refresh_search_text(employer)
    return person


PERSON_CHANGED = _l("Iemand anders heeft de gegevens van deze persoon intussen gewijzigd.")


def update_person(actor: User, person: EmployerPerson, data: PersonData, *, version: int) -> EmployerPerson:
    """Change a person; ``version`` is the one the form was opened on (optimistic locking):
    StaleRecord when someone saved in between, and nothing is written."""
    employer = person.employer
    permissions.require(permissions.can_edit_employer(actor, employer))
    if not data.name.strip():
        raise ServiceError(_("Vul de naam van de persoon in."))
    no_bidi_controls(data.name)
    if version != person.version:
        raise StaleRecord(PERSON_CHANGED)
    before = _person_values(person)
    if data.is_primary and not person.is_primary:
        _demote_other_primary(actor, employer, person)
    for key, value in asdict(data).items():
        setattr(person, key, value)
    changes = diff(before, asdict(data))
    if not changes:
        return person
    versions.flush_versioned(PERSON_CHANGED)
    audit(actor, "update", person, summary=f"{person.name} bij {employer.name}", changes=changes)
    if "name" in changes:
        refresh_search_text(employer)
    return person


def delete_person(actor: User, person: EmployerPerson) -> None:
    """Remove a person; contacts that named them keep their text (the link becomes empty)."""
    employer = person.employer
    permissions.require(permissions.can_edit_employer(actor, employer))
    audit(
        actor,
        "delete",
        person,
        summary=f"{person.name} bij {employer.name}",
        changes={key: [value, None] for key, value in _person_values(person).items()},
    )
    db.session.delete(person)
    db.session.flush()
    db.session.expire(employer, ["people"])
    refresh_search_text(employer)


# Built once (the employer page runs it on every view): SQLAlchemy keeps its cache key.
HISTORY = (
    select(ContactpersoonAssignment)
    .where(ContactpersoonAssignment.employer_id == bindparam("employer_id"))
    .options(joinedload(ContactpersoonAssignment.user), joinedload(ContactpersoonAssignment.assigned_by))
    .order_by(ContactpersoonAssignment.started_at.desc(), ContactpersoonAssignment.id.desc())
)


def contactpersoon_history(employer: Employer) -> list[ContactpersoonAssignment]:
    """The overdracht history of an employer, newest first, with who and by whom loaded."""
    return list(db.session.scalars(HISTORY, {"employer_id": employer.id}))


def employer_counts(employer_ids: list[int]) -> dict[int, dict[str, int]]:
    """How many contacts, follow-ups, vacancies, trajectories and people each employer has
    (what a merge would move): one grouped query per table."""
    counts: dict[int, dict[str, int]] = {
        i: {"contact": 0, "follow_up": 0, "vacancy": 0, "trajectory": 0, "employer_contact": 0} for i in employer_ids
    }
    for model in (Contact, FollowUp, Vacancy, Trajectory, EmployerPerson):
        rows = db.session.execute(
            select(model.employer_id, func.count())
            .where(model.employer_id.in_(employer_ids))
            .group_by(model.employer_id)
        )
        for employer_id, count in rows:
            assert employer_id is not None  # the in_() leaves out rows without an employer
            counts[employer_id][model.__tablename__] = count
    return counts


def employers_per_contactpersoon() -> list[tuple[User, int]]:
    """Every user who is contactpersoon of at least one employer, with how many (for bulk handover)."""
    rows = db.session.execute(
        select(User, func.count(Employer.id))
        .join(Employer, Employer.contactpersoon_id == User.id)
        .group_by(User.id)
        .order_by(User.name)
    ).all()
    return [(user, count) for user, count in rows]


def count_employers_of(user: User) -> int:
    """How many employers ``bulk_hand_over`` would move away from ``user``."""
    return db.session.execute(
        select(func.count()).select_from(Employer).where(Employer.contactpersoon_id == user.id)
    ).scalar_one()
