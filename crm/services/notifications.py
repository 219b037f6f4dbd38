"""In-app notifications (meldingen)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from crm.extensions import db
from crm.models import Notification, User
from crm.models.base import utcnow

KEEP_READ_DAYS = 90


def notify(user: User, kind: str, message: str, link: str = "") -> Notification:
    notification = Notification(user_id=user.id, kind=kind, message=message, link=link)
    db.session.add(notification)
    return notification


def purge_read(older_than_days: int = KEEP_READ_DAYS) -> int:
    """Delete notifications read more than ``older_than_days`` ago; returns how many."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    result = db.session.execute(delete(Notification).where(Notification.read_at < cutoff))
    return result.rowcount
