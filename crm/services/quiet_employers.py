"""The "no contact for a while" rule, in one place.

An employer nobody has spoken to for ``CRM_QUIET_EMPLOYER_DAYS`` days (default 90) is *quiet*:
the employer list and the worklist mark it, the pipeline counts it, and the nightly job plans
an automatic follow-up for its contactpersoon. All of them, and the texts on the pages (the
templates read ``quiet_days()`` as a global), ask here, so changing the setting changes
every one of them.

An inactive employer is never quiet: nobody is expected to call it, so it is neither flagged
nor sorted first as "langst geen contact" (the nightly job leaves it alone as well).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, and_, exists, func, literal_column, or_, select

from crm.extensions import db
from crm.lib.clock import AMSTERDAM
from crm.models import Employer, FollowUp, User
from crm.models.base import utcnow
from crm.services.audit import audit


def quiet_days() -> int:
    return int(current_app.config["QUIET_EMPLOYER_DAYS"])


def quiet_before(now: datetime | None = None) -> datetime:
    """A last contact before this moment (or none at all) makes an employer quiet."""
    return (now or utcnow()) - timedelta(days=quiet_days())


INACTIVE = "inactief"


def is_quiet(employer: Employer, before: datetime | None = None) -> bool:
    """One employer by the rule; ``before`` is ``quiet_before()``, passed in for a list."""
    if employer.status == INACTIVE:
        return False
    before = before or quiet_before()
    return employer.last_contact_at is None or employer.last_contact_at < before


def quiet_clause(now: datetime | None = None) -> ColumnElement[bool]:
    """The quiet employers, as SQL (the twin of ``is_quiet``)."""
    return and_(
        Employer.status != INACTIVE,
        or_(Employer.last_contact_at.is_(None), Employer.last_contact_at < quiet_before(now)),
    )


def quiet_first_order() -> list[ColumnElement]:
    """ORDER BY terms for "langst geen contact eerst": inactive employers last, then the
    longest without contact (never contacted first). The status is a literal, not a parameter,
    so the database can read this order from the index ``ix_employer_live_quiet_first``."""
    return [
        (Employer.status == literal_column(f"'{INACTIVE}'")).asc(),
        Employer.last_contact_at.asc().nulls_first(),
    ]


# --- the nightly job: an automatic follow-up for quiet employers ----------------------------


def create_quiet_employer_follow_ups(now: datetime | None = None, *, limit: int = 1000) -> list[FollowUp]:
    """An automatic follow-up for the contactpersoon of every employer without any contact for
    ``QUIET_EMPLOYER_DAYS`` days: once per quiet spell. None is made while an automatic one is
    open, or when one was made after the last contact (it was done, nobody called: no new one
    until someone logs a contact and the employer goes quiet again). Inactive and merged
    employers are left alone. Flushes; the caller commits."""
    now = now or utcnow()
    last_seen = func.coalesce(Employer.last_contact_at, Employer.created_at)
    already = exists().where(
        FollowUp.employer_id == Employer.id,
        FollowUp.automatic.is_(True),
        or_(FollowUp.status == "open", FollowUp.created_at >= last_seen),
    )
    query = (
        select(Employer)
        .join(User, User.id == Employer.contactpersoon_id)
        .where(
            Employer.merged_into_id.is_(None),
            Employer.status != INACTIVE,
            User.active,
            last_seen < quiet_before(now),
            ~already,
        )
        .order_by(Employer.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":  # two scans at once skip each other
        query = query.with_for_update(of=Employer, skip_locked=True)
    today = now.astimezone(AMSTERDAM).date()
    created = []
    for employer in db.session.scalars(query):
        follow_up = FollowUp(
            owner_id=employer.contactpersoon_id,
            created_by_id=None,
            subject=f"Al {quiet_days()} dagen geen contact met {employer.name}: neem contact op"[:300],
            due_date=today,
            employer_id=employer.id,
            automatic=True,
            created_at=now,
            updated_at=now,
        )
        db.session.add(follow_up)
        created.append(follow_up)
    db.session.flush()
    for follow_up in created:
        audit(None, "create", follow_up, summary=f"Automatisch: {follow_up.subject}")
    db.session.flush()
    return created
