"""The audit trail is append-only, enforced by the database."""

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError

from crm.models import AuditEvent


def test_audit_events_cannot_be_changed_or_deleted(session, factories):
    event = factories.AuditEventFactory(summary="Werkgever aangemaakt")
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(update(AuditEvent).where(AuditEvent.id == event.id).values(summary="weggepoetst"))
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(delete(AuditEvent).where(AuditEvent.id == event.id))
    session.expire_all()
    assert session.get(AuditEvent, event.id).summary == "Werkgever aangemaakt"


def test_no_update_or_delete_path_in_the_code():
    from pathlib import Path

    offenders = []
    for path in Path("crm").rglob("*.py"):
        text = path.read_text()
        if "AuditEvent" in text and any(
            needle in text
            for needle in (
                "update(AuditEvent",
                "delete(AuditEvent",
                "AuditEvent.__table__.update",
                "AuditEvent.__table__.delete",
            )
        ):
            offenders.append(str(path))
    assert offenders == []


def test_a_refusal_is_audited(client, factories):
    from sqlalchemy import select

    from crm.extensions import db
    from tests.conftest import login_as

    partner = factories.UserFactory(role="partner")
    login_as(client, partner)
    assert client.get("/beheer/gebruikers").status_code == 403
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "permission_denied"))
    assert event.actor_id == partner.id and event.summary == "GET /beheer/gebruikers"
