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
from sqlalchemy import ColumnElement, and_, literal_column, or_

from crm.models import Employer
from crm.models.base import utcnow


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
