"""Loading the signed-in user from the session cookie.

The cookie holds ``"<user id>:<session version>"`` (see ``User.get_id``). Logging out or
changing the password bumps the version, so a replayed old cookie no longer loads anyone.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import User

# With the organisation (every page's navigation shows it); built once, as every request runs it.
USER = select(User).where(User.id == bindparam("id")).options(joinedload(User.organisation))


def load_user(token: str) -> User | None:
    user_id, _, version = token.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.scalars(USER, {"id": int(user_id)}).first()
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user
