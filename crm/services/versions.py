"""Optimistic locking, in one place: the record's ``version`` column and what changed meanwhile.

Every versioned record (employers, people at employers, vacancies, participants, trajectories,
organisations, partnerships, programme periods) has ``version_id_col``: an UPDATE of a row that
someone else saved in between matches no row and SQLAlchemy raises ``StaleDataError`` at the
flush. ``flush_versioned`` turns that into ``StaleRecord``, the service error a view shows. It
does not roll back: the view (or task, or CLI command) that commits is the one that rolls back,
before it reads the fresh record to show what changed (``changes_since``). The form side (what
the user changed, merging onto the stored record, marking fields both changed) is
``crm.edit_merge``, used by every versioned edit form.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from crm.extensions import db
from crm.models import AuditEvent
from crm.services.errors import StaleRecord


def flush_versioned(message: str) -> None:
    """Flush; a concurrent save that slipped past the version check becomes ``StaleRecord(message)``.

    After a refused flush the session must be rolled back by whoever commits.
    """
    try:
        db.session.flush()
    except StaleDataError:
        raise StaleRecord(message) from None


def changes_since(record, version: int, actions: Iterable[str], *, current: int | None = None) -> list[AuditEvent]:
    """The audited changes (``actions``) that brought ``record`` from ``version`` to its current
    version (``current``, else ``record.version``), oldest first: one event per version step it missed."""
    missed = (record.version if current is None else current) - version
    if missed <= 0:
        return []
    events = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.object_type == record.__tablename__,
            AuditEvent.object_id == record.id,
            AuditEvent.action.in_(tuple(actions)),
        )
        .order_by(AuditEvent.id.desc())
        .limit(missed)
    ).all()
    return list(reversed(events))
