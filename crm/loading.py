"""Loading a record for a view: 404 when it does not exist or this user may not see it.

Not being allowed to see a record looks the same as it not existing, so ids reveal nothing.
"""

from __future__ import annotations

from flask import abort

from crm import permissions
from crm.extensions import db
from crm.models import Employer, FollowUp, User


def load_employer_or_404(employer_id: int, user: User) -> Employer:
    employer = db.session.get(Employer, employer_id)
    if employer is None or not permissions.can_view_employer(user, employer):
        abort(404)
    return employer


def load_follow_up_or_404(follow_up_id: int, user: User) -> FollowUp:
    follow_up = db.session.get(FollowUp, follow_up_id)
    if follow_up is None or not permissions.can_view_follow_up(user, follow_up):
        abort(404)
    return follow_up
