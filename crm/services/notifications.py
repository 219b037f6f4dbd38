"""In-app notifications (meldingen)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, Select, delete, func, select, update

from crm.extensions import db
from crm.models import Notification, User
from crm.models.base import utcnow
from crm.services.errors import PermissionDenied

KEEP_READ_DAYS = 90


def notify(user: User, kind: str, message: str, link: str = "") -> Notification:
    notification = Notification(user_id=user.id, kind=kind, message=message, link=link)
    db.session.add(notification)
    return notification


def purge_read(older_than_days: int = KEEP_READ_DAYS) -> int:
    """Delete notifications read more than ``older_than_days`` ago; returns how many."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    result = cast(CursorResult[Any], db.session.execute(delete(Notification).where(Notification.read_at < cutoff)))
    return result.rowcount


def notifications_query(user: User, *, unread_only: bool = False) -> Select:
    """The user's own notifications, newest first (for a paginated list)."""
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query.order_by(Notification.created_at.desc(), Notification.id.desc())


# The signed-in user is loaded with this (crm.auth.session, a statement built once), so the
# navigation's badge costs no query of its own.
UNREAD_OF_USER = (
    select(func.count())
    .select_from(Notification)
    .where(Notification.user_id == User.id, Notification.read_at.is_(None))
    .scalar_subquery()
)


def unread_count(user: User) -> int:
    """One COUNT on the (user_id, read_at) index: the badge after marking one read (htmx)."""
    return db.session.execute(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ).scalar_one()


def own_notification(user: User, notification_id: int) -> Notification | None:
    """The notification with this id if it is the user's own; None otherwise (ids reveal nothing)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        return None
    return notification


def mark_read(user: User, notification: Notification) -> None:
    if notification.user_id != user.id:
        raise PermissionDenied(_("U kunt alleen uw eigen meldingen als gelezen markeren."))
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user as read; returns how many."""
    result = cast(
        CursorResult[Any],
        db.session.execute(
            update(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        ),
    )
    return result.rowcount


def safe_link(link: str | None) -> str:
    """A notification's link if it is a path inside this application; empty otherwise."""
    link = (link or "").strip()
    if not link.startswith("/") or link.startswith("//") or "\\" in link:
        return ""
    return link
