"""Writing the audit trail. The only way the application touches AuditEvent: append.

The trail is append-only (a database trigger refuses UPDATE and DELETE), so it must never hold
what an erasure would have to remove: personal data of participants. For participants and the
free texts of casework (status notes, follow-up subjects, contact summaries) an event names the
record by id and the fields that changed, with ``HIDDEN`` instead of their values; summaries
name a participant as "deelnemer #12", never by name. The Logboek shows such a field as
"gewijzigd".
"""

from __future__ import annotations

from typing import Any

from crm.extensions import db
from crm.models import AuditEvent, User


def audit(
    actor: User | None,
    action: str,
    obj: Any = None,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    summary: str = "",
    changes: dict | None = None,
    ip_address: str = "",
) -> AuditEvent:
    from crm.services.validation import redact_bsn, redact_bsn_in

    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    # The last line of defence: the trail is append-only, so a possible BSN that got this far
    # (a file name, a value a service did not check) is redacted before it is written.
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=object_type or "",
        object_id=object_id,
        summary=redact_bsn(summary),
        changes=redact_bsn_in(changes) or None,
        ip_address=ip_address,
    )
    db.session.add(event)
    return event


# What the trail holds instead of a personal value (the field name stays).
HIDDEN = "…"


def hidden(*fields: str) -> dict[str, list]:
    """Changed fields whose values are not kept: ``{field: [HIDDEN, HIDDEN]}``."""
    return {field: [HIDDEN, HIDDEN] for field in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list]:
    """Changed fields as ``{field: [before, after]}`` with JSON-safe values."""
    return {
        key: [_plain(before.get(key)), _plain(after.get(key))] for key in after if before.get(key) != after.get(key)
    }


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
