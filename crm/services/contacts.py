"""The contact log (contactmomenten), follow-ups (opvolgacties) and contact pressure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.orm.util import identity_key

from crm import permissions
from crm.extensions import db
from crm.models import Contact, Employer, EmployerPerson, FollowUp, Organisation, Trajectory, User, Vacancy
from crm.models.base import utcnow
from crm.services.audit import audit, hidden
from crm.services.errors import ServiceError
from crm.services.notifications import notify


@dataclass
class ContactData:
    channel: str
    summary: str
    occurred_at: datetime | None = None
    outcome: str = ""
    employer_contact_id: int | None = None
    vacancy_id: int | None = None
    visibility: str = "gedeeld"


@dataclass
class FollowUpData:
    due_date: date
    subject: str
    owner_id: int | None = None  # default: the employer's contactpersoon


def log_contact(actor: User, employer: Employer, data: ContactData, follow_up: FollowUpData | None = None) -> Contact:
    permissions.require(permissions.can_log_contact(actor, employer))
    occurred_at = data.occurred_at or utcnow()
    if occurred_at > utcnow() + timedelta(minutes=5):
        raise ServiceError(_("Een contactmoment kan niet in de toekomst liggen. Plan daarvoor een opvolgactie."))
    if not data.summary.strip():
        raise ServiceError(_("Schrijf kort op waar het contact over ging."))
    if data.employer_contact_id is not None:
        person = db.session.get(EmployerPerson, data.employer_contact_id)
        if person is None or person.employer_id != employer.id:
            raise ServiceError(_("Deze persoon hoort niet bij deze werkgever."))
    if data.vacancy_id is not None:
        vacancy = db.session.get(Vacancy, data.vacancy_id)
        if vacancy is None or vacancy.employer_id != employer.id:
            raise ServiceError(_("Deze vacature hoort niet bij deze werkgever."))
    contact = Contact(
        employer_id=employer.id,
        author_id=actor.id,
        organisation_id=actor.organisation_id,
        occurred_at=occurred_at,
        channel=data.channel,
        summary=data.summary.strip(),
        outcome=data.outcome.strip(),
        employer_contact_id=data.employer_contact_id,
        vacancy_id=data.vacancy_id,
        visibility=data.visibility,
    )
    db.session.add(contact)
    db.session.flush()
    keep_last_contact([employer.id])
    audit(actor, "create", contact, summary=f"Contact met {employer.name} ({data.channel})")
    if follow_up is not None:
        create_follow_up(actor, follow_up, employer=employer, contact=contact)
    if actor.id != employer.contactpersoon_id:
        _tell_contactpersoon(actor, employer, contact)
    return contact


def keep_last_contact(employer_ids: Iterable[int]) -> None:
    """Keep ``Employer.last_contact_at`` (for lists, filters and the quiet-employer rule): the
    moment of the employer's latest contact. The one place that writes it, after contacts were
    logged (``log_contact``), moved (``employers.merge``) or bulk inserted (the demo); an
    imported employer has no contacts, so none.

    An UPDATE that leaves the version alone: logging a contact must not make someone's open edit
    of the employer stale. It only moves the moment forward, compared with the row as committed,
    so of two transactions logging contacts at once the later moment stays."""
    ids = sorted(set(employer_ids))
    latest = select(func.max(Contact.occurred_at)).where(Contact.employer_id == Employer.id).scalar_subquery()
    for start in range(0, len(ids), 1000):
        db.session.execute(
            update(Employer)
            .where(
                Employer.id.in_(ids[start : start + 1000]),
                or_(Employer.last_contact_at.is_(None), Employer.last_contact_at < latest),
            )
            .values(last_contact_at=latest)
            .execution_options(synchronize_session=False)
        )
    for employer_id in ids:
        employer = db.session.identity_map.get(identity_key(Employer, employer_id))
        if employer is not None:
            db.session.expire(employer, ["last_contact_at"])


def _tell_contactpersoon(actor: User, employer: Employer, contact: Contact) -> None:
    contactpersoon = db.session.get(User, employer.contactpersoon_id)
    organisation = db.session.get(Organisation, actor.organisation_id)
    assert contactpersoon is not None and organisation is not None, "both are non-null foreign keys"
    if not permissions.can_view_contact(contactpersoon, contact):  # an intern note of another organisation
        message = f"{actor.name} ({organisation.name}) had contact met {employer.name} (interne notitie)."
    else:
        message = f"{actor.name} ({organisation.name}) had contact met {employer.name}: {contact.summary[:200]}"
    notify(contactpersoon, "contact_logged_by_partner", message, link=f"/werkgevers/{employer.id}")


def create_follow_up(
    actor: User,
    data: FollowUpData,
    *,
    employer: Employer | None = None,
    contact: Contact | None = None,
    vacancy: Vacancy | None = None,
    trajectory: Trajectory | None = None,
) -> FollowUp:
    """A follow-up on an employer, vacancy or trajectory. A trajectory's follow-up is not tied
    to its employer (the employer's timeline is shared; a trajectory is need-to-know); its
    owner defaults to the acting user. The trajectory service checks who may own it."""
    if not data.subject.strip():
        raise ServiceError(_("Geef de opvolgactie een onderwerp."))
    if employer is None and vacancy is not None:
        employer = vacancy.employer
    owner_id = data.owner_id or (employer.contactpersoon_id if employer else actor.id)
    owner = db.session.get(User, owner_id)
    if owner is None or not owner.active:
        raise ServiceError(_("Kies een actieve gebruiker als eigenaar van de opvolgactie."))
    follow_up = FollowUp(
        owner_id=owner.id,
        created_by_id=actor.id,
        subject=data.subject.strip(),
        due_date=data.due_date,
        employer_id=employer.id if employer else None,
        vacancy_id=vacancy.id if vacancy else None,
        contact_id=contact.id if contact else None,
        trajectory_id=trajectory.id if trajectory else None,
    )
    db.session.add(follow_up)
    db.session.flush()
    # The subject is free text that may name a participant: like a contact's summary, it stays
    # out of the append-only trail (crm.services.audit); the event says where and when.
    where = f"traject {trajectory.id}" if trajectory else (employer.name if employer else "")
    audit(
        actor,
        "create",
        follow_up,
        summary=f"Opvolgactie bij {where} (uiterlijk {data.due_date.isoformat()})"
        if where
        else f"Opvolgactie (uiterlijk {data.due_date.isoformat()})",
        changes=hidden("subject"),
    )
    if owner.id != actor.id:
        notify(
            owner,
            "follow_up_assigned",
            f"{actor.name} heeft een opvolgactie voor u gepland: {follow_up.subject} ({data.due_date:%d-%m-%Y})",
            link=f"/trajecten/{trajectory.id}" if trajectory else (f"/werkgevers/{employer.id}" if employer else "/"),
        )
    return follow_up


def _require_open(actor: User, follow_up: FollowUp) -> None:
    permissions.require(
        permissions.can_change_follow_up(actor, follow_up),
        _("Alleen de eigenaar, de contactpersoon of een coördinator kan deze opvolgactie wijzigen."),
    )
    if follow_up.status != "open":
        raise ServiceError(_("Deze opvolgactie is al afgerond."))


def complete_follow_up(
    actor: User,
    follow_up: FollowUp,
    contact: ContactData | None = None,
    next_follow_up: FollowUpData | None = None,
) -> Contact | None:
    """Mark done; optionally log the contact that did it and plan the next follow-up, in the same step."""
    _require_open(actor, follow_up)
    if (contact is not None or next_follow_up is not None) and follow_up.employer is None:
        raise ServiceError(_("Deze opvolgactie hoort niet bij een werkgever; log het contact bij de werkgever."))
    logged = None
    if contact is not None:
        assert follow_up.employer is not None  # checked above
        logged = log_contact(actor, follow_up.employer, contact, next_follow_up)
    elif next_follow_up is not None:
        create_follow_up(actor, next_follow_up, employer=follow_up.employer, vacancy=follow_up.vacancy)
    follow_up.status = "afgerond"
    follow_up.done_at = utcnow()
    db.session.flush()
    audit(actor, "update", follow_up, changes={"status": ["open", "afgerond"]})
    return logged


def reschedule_follow_up(actor: User, follow_up: FollowUp, due_date: date) -> None:
    _require_open(actor, follow_up)
    if due_date == follow_up.due_date:
        return
    before = follow_up.due_date
    follow_up.due_date = due_date
    db.session.flush()
    audit(actor, "update", follow_up, changes={"due_date": [before.isoformat(), due_date.isoformat()]})


def contact_pressure(employer_ids: list[int], *, now: datetime | None = None) -> dict[int, list[dict]]:
    """Who from which organisation contacted these employers in the last 30 and 90 days.

    One grouped query for a whole page of employers: ``{employer_id: [{"organisation": name,
    "days_30": n, "days_90": n, "last": datetime}, ...]}``, busiest organisation first.
    """
    if not employer_ids:
        return {}
    now = now or utcnow()
    since_30, since_90 = now - timedelta(days=30), now - timedelta(days=90)
    rows = db.session.execute(
        select(
            Contact.employer_id,
            Organisation.name,
            func.sum(case((Contact.occurred_at >= since_30, 1), else_=0)),
            func.count(),
            func.max(Contact.occurred_at),
        )
        .join(Organisation, Organisation.id == Contact.organisation_id)
        .where(Contact.employer_id.in_(employer_ids), Contact.occurred_at >= since_90)
        .group_by(Contact.employer_id, Organisation.name)
    ).all()
    pressure: dict[int, list[dict]] = defaultdict(list)
    for employer_id, organisation, days_30, days_90, last in rows:
        pressure[employer_id].append(
            {"organisation": organisation, "days_30": int(days_30), "days_90": days_90, "last": last}
        )
    for items in pressure.values():
        items.sort(key=lambda item: (-item["days_90"], item["organisation"]))
    return dict(pressure)


def employer_pressure(user: User, employer_id: int, *, now: datetime | None = None) -> tuple[list[dict], dict]:
    """One employer's contact pressure for its page, in one grouped query: the rows of
    ``contact_pressure`` and, per organisation, who logged those contacts, busiest first:
    ``{organisation name: [(user name, count in 90 days), ...]}``. Every contact counts, but
    only the authors of contacts ``user`` may see are named (another organisation's *intern*
    note stays anonymous)."""
    now = now or utcnow()
    since_30, since_90 = now - timedelta(days=30), now - timedelta(days=90)
    author = case((permissions.visible_contacts_clause(user), User.name))
    rows = db.session.execute(
        select(
            Organisation.name,
            author,
            func.sum(case((Contact.occurred_at >= since_30, 1), else_=0)),
            func.count(),
            func.max(Contact.occurred_at),
        )
        .select_from(Contact)
        .join(Organisation, Organisation.id == Contact.organisation_id)
        .join(User, User.id == Contact.author_id)
        .where(Contact.employer_id == employer_id, Contact.occurred_at >= since_90)
        .group_by(Organisation.name, author)
    ).all()
    per_organisation: dict[str, dict] = {}
    people: dict[str, list] = defaultdict(list)
    for organisation, name, days_30, days_90, last in rows:
        row = per_organisation.setdefault(
            organisation, {"organisation": organisation, "days_30": 0, "days_90": 0, "last": last}
        )
        row["days_30"] += int(days_30)
        row["days_90"] += days_90
        row["last"] = max(row["last"], last)
        if name is not None:
            people[organisation].append((name, days_90))
    for named in people.values():
        named.sort(key=lambda person: (-person[1], person[0]))
    pressure = sorted(per_organisation.values(), key=lambda item: (-item["days_90"], item["organisation"]))
    return pressure, dict(people)


def recent_contacts_by_others(user: User, *, days: int = 14, limit: int = 20) -> list[Contact]:
    """Contacts that other people logged on the employers this user is contactpersoon for."""
    return list(
        db.session.scalars(
            select(Contact)
            .join(Employer, Employer.id == Contact.employer_id)
            .where(
                Employer.contactpersoon_id == user.id,
                Contact.author_id != user.id,
                Contact.occurred_at >= utcnow() - timedelta(days=days),
                permissions.visible_contacts_clause(user),
            )
            .options(joinedload(Contact.author), joinedload(Contact.organisation), contains_eager(Contact.employer))
            .order_by(Contact.occurred_at.desc())
            .limit(limit)
        )
    )
