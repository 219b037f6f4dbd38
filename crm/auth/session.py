"""Loading the signed-in user from the session cookie.

The cookie holds ``"<user id>:<session version>"`` (see ``User.get_id``). Logging out or
changing the password bumps the version, so a replayed old cookie no longer loads anyone.
"""

from __future__ import annotations

from flask import g
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import User
from crm.services.notifications import UNREAD_OF_USER

# With what every page's navigation shows: the organisation and the unread-notification count.
# Built once, as every request runs it.
USER = select(User, UNREAD_OF_USER).where(User.id == bindparam("id")).options(joinedload(User.organisation))


def load_user(token: str) -> User | None:
    user_id, _, version = token.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    row = db.session.execute(USER, {"id": int(user_id)}).first()
    if row is None:
        return None
    user, unread = row
    if not user.active or user.session_version != int(version):
        return None
    g.unread_notifications = unread  # the badge (crm.templating); a view that changes it passes its own
    return user
