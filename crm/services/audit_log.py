"""Reading the audit trail: the searchable log and the history of one record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, String, cast, func, or_, select

from crm import labels, permissions
from crm.extensions import db
from crm.labels import AUDIT_ACTION_LABELS, FIELD_LABELS, RECORD_TYPE_LABELS
from crm.lib.clock import AMSTERDAM
from crm.models import (
    AuditEvent,
    Contact,
    Employer,
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
from crm.services.audit import HIDDEN


def _may_view_employer_history(actor: User, employer: Employer) -> bool:
    """A merged-away employer's history is read by who may see the employer it went into."""
    current: Employer | None = employer
    for _hop in range(20):  # a chain of merges (as the employer page follows it); never a cycle
        if current is None or current.merged_into_id is None:
            break
        current = db.session.get(Employer, current.merged_into_id)
    return current is not None and permissions.can_view_employer(actor, current)


RECORD_TYPES: dict[str, tuple[type[Any], Callable[[User, Any], bool]]] = {
    "employer": (Employer, _may_view_employer_history),
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
    in organisations of their own partnerships. Either way only events ``actor`` may see
    (``permissions.can_view_audit_event``): one about a participant, a trajectory, its
    follow-ups or an intern note is as private as that record, for admins too."""
    permissions.require(permissions.can_view_audit_log(actor))
    query = (
        select(AuditEvent)
        .where(permissions.visible_audit_events_clause(actor))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )
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


# Audited fields that hold an id, and the column that names what they refer to.
REFERENCES = {
    "municipality_id": Municipality.name,
    "referring_organisation_id": Organisation.name,
    "partnership_id": Partnership.name,
    "period_id": ProgrammePeriod.name,
    "employer_id": Employer.name,
    "merged_into_id": Employer.name,
    "vacancy_id": Vacancy.title,
    "owner_id": User.name,
    "region_id": Region.name,
}


def _referenced_names(events: list[AuditEvent]) -> dict[str, dict[int, str]]:
    """Per id field, the names of the ids in these events: one query per field that occurs."""
    found: dict[str, dict[int, str]] = {}
    for key, name in REFERENCES.items():
        ids = {v for e in events for v in _pair((e.changes or {}).get(key)) if isinstance(v, int)}
        if ids:
            model = name.class_
            found[key] = dict(db.session.execute(select(model.id, name).where(model.id.in_(ids))).all())
    return found


def _pair(change) -> tuple:
    """``[old, new]`` as recorded by ``audit.diff``; a lone value (an import's counts) as new."""
    if isinstance(change, list) and len(change) == 2:
        return tuple(change)
    return (None, change)


def field_label(key: str) -> str:
    return str(FIELD_LABELS.get(key) or key.replace("_", " ").capitalize())


def describe_changes(
    events: list[AuditEvent],
    label_for: Callable[[str], str] = field_label,
    value_labels: dict[str, dict] | None = None,
    skip: tuple[str, ...] = ("moved",),
) -> list[dict]:
    """Audited events as a user reads them (the Logboek, a refused stale edit): per event who,
    when, what was done to which record, and rows of field, old -> new. Ids of referenced
    records become their names (one query per kind for all events), stored codes their labels."""
    from flask_babel import gettext as _

    names = actor_names(events)
    referenced = _referenced_names(events)
    described = []
    for event in events:
        rows = []
        for key, change in (event.changes or {}).items():
            if key in skip:
                continue
            codes = {
                **referenced.get(key, {}),
                **(labels.value_labels(event.object_type, key) or {}),
                **((value_labels or {}).get(key) or {}),
            }
            old, new = (_shown(codes.get(v, v) if _hashable(v) else v) for v in _pair(change))
            kept = not (old == HIDDEN and new == HIDDEN)  # the values of personal fields are not kept
            rows.append({"field": label_for(key), "old": old, "new": new, "kept": kept})
        described.append(
            {
                "id": event.id,
                "who": _("systeem") if event.actor_id is None else names.get(event.actor_id, _("onbekend")),
                "when": event.occurred_at,
                "action": event.action,
                "action_label": str(AUDIT_ACTION_LABELS.get(event.action, event.action)),
                "object_type": event.object_type,
                "object_id": event.object_id,
                "record_label": str(RECORD_TYPE_LABELS.get(event.object_type, event.object_type)),
                "has_history": event.object_type in RECORD_TYPES and event.object_id is not None,
                "summary": event.summary,
                "ip_address": event.ip_address,
                "rows": rows,
            }
        )
    return described


def _hashable(value) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _shown(value):
    """A value as the page shows it: labels as text, lists joined."""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return value if value is None or isinstance(value, bool | int | float) else str(value)


def changes_text(row_list: list[dict]) -> str:
    """The rows of one described event as one line of text (for the exports)."""
    from flask_babel import gettext as _

    def text(v):
        if v is None or v == "":
            return "—"
        if isinstance(v, bool):
            return _("ja") if v else _("nee")
        return str(v)

    return "; ".join(
        f"{r['field']}: {text(r['old'])} → {text(r['new'])}"
        if r.get("kept", True)
        else f"{r['field']}: {_('gewijzigd')}"
        for r in row_list
    )
