"""Reading the audit trail: the searchable log and the history of one record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, String, cast, func, or_, select

from crm import permissions
from crm.extensions import db
from crm.models import (
    AuditEvent,
    Contact,
    Employer,
    Municipality,
    Organisation,
    Participant,
    Partnership,
    ProgrammePeriod,
    Trajectory,
    User,
    Vacancy,
    partnership_member,
)
from crm.services.clock import AMSTERDAM

RECORD_TYPES = {
    "employer": (Employer, permissions.can_view_employer),
    "vacancy": (Vacancy, permissions.can_view_vacancy),
    "participant": (Participant, permissions.can_view_participant),
    "trajectory": (Trajectory, permissions.can_view_trajectory),
    "contact": (Contact, permissions.can_view_contact),
    "user": (User, lambda actor, user: permissions.is_admin(actor) or actor.id == user.id),
    "organisation": (Organisation, lambda actor, _org: permissions.is_admin(actor)),
    "partnership": (Partnership, lambda actor, _p: permissions.is_admin(actor)),
    "programme_period": (ProgrammePeriod, lambda actor, _p: permissions.can_manage_programme_periods(actor)),
}


@dataclass
class LogFilter:
    q: str = ""
    action: str = ""
    object_type: str = ""
    actor_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def log_query(actor: User, f: LogFilter) -> Select:
    """Events ``actor`` may read, newest first: admins all; coordinators the events of users
    in organisations of their own partnerships."""
    permissions.require(permissions.can_view_audit_log(actor))
    query = select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    if not permissions.is_admin(actor):
        partnerships = select(partnership_member.c.partnership_id).where(
            partnership_member.c.organisation_id == actor.organisation_id
        )
        organisations = select(partnership_member.c.organisation_id).where(
            partnership_member.c.partnership_id.in_(partnerships)
        )
        query = query.where(AuditEvent.actor_id.in_(select(User.id).where(User.organisation_id.in_(organisations))))
    if f.action:
        query = query.where(AuditEvent.action == f.action)
    if f.object_type:
        query = query.where(AuditEvent.object_type == f.object_type)
    if f.actor_id:
        query = query.where(AuditEvent.actor_id == f.actor_id)
    if f.date_from:
        query = query.where(AuditEvent.occurred_at >= datetime.combine(f.date_from, time(), AMSTERDAM))
    if f.date_to:
        query = query.where(AuditEvent.occurred_at < datetime.combine(f.date_to + timedelta(days=1), time(), AMSTERDAM))
    if f.q:
        like = f"%{f.q.lower()}%"
        query = query.where(
            or_(func.lower(AuditEvent.summary).like(like), func.lower(cast(AuditEvent.changes, String)).like(like))
        )
    return query


def record_or_none(actor: User, object_type: str, object_id: int):
    """The record if it exists and ``actor`` may see it (the history page is as private as the record)."""
    if object_type not in RECORD_TYPES:
        return None
    model, may_view = RECORD_TYPES[object_type]
    record = db.session.get(model, object_id)
    if record is None or not may_view(actor, record):
        return None
    return record


def history_query(object_type: str, object_id: int) -> Select:
    return (
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )


def actor_names(events) -> dict[int, str]:
    ids = {e.actor_id for e in events if e.actor_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


# Audited fields that hold an id, and what they name.
REFERENCES = {"municipality_id": Municipality, "referring_organisation_id": Organisation}


def _referenced_names(events: list[AuditEvent]) -> dict[str, dict[int, str]]:
    found: dict[str, dict[int, str]] = {}
    for key, model in REFERENCES.items():
        ids = {v for e in events for v in (e.changes or {}).get(key, []) if isinstance(v, int)}
        if ids:
            found[key] = {
                id_: name for id_, name in db.session.execute(select(model.id, model.name).where(model.id.in_(ids)))
            }
    return found


def describe_changes(
    events: list[AuditEvent],
    label_for: Callable[[str], str],
    value_labels: dict[str, dict] | None = None,
    skip: tuple[str, ...] = ("moved",),
) -> list[dict]:
    """Audited changes as a user reads them (e.g. after a refused stale edit): per event who,
    when and rows of field, old -> new. Ids of municipalities and organisations become names
    (one query per kind for all events)."""
    from flask_babel import gettext as _

    names = actor_names(events)
    value_labels = {**_referenced_names(events), **(value_labels or {})}
    described = []
    for event in events:
        rows = []
        for key, (old, new) in (event.changes or {}).items():
            if key in skip:
                continue
            if key in value_labels:
                old, new = (value_labels[key].get(v, v) for v in (old, new))
            rows.append({"field": label_for(key), "old": old, "new": new})
        described.append(
            {
                "who": names.get(event.actor_id, _("onbekend")),
                "when": event.occurred_at,
                "action": event.action,
                "summary": event.summary,
                "rows": rows,
            }
        )
    return described
