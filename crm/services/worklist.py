"""What a user has to do: open follow-ups and the employers they are contactpersoon for."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.models import Employer, FollowUp, User
from crm.services.clock import today

MAX_FOLLOW_UPS = 200


def open_follow_ups(user: User) -> list[FollowUp]:
    query = (
        select(FollowUp)
        .where(FollowUp.owner_id == user.id, FollowUp.status == "open")
        .options(selectinload(FollowUp.employer), selectinload(FollowUp.trajectory), selectinload(FollowUp.vacancy))
        .order_by(FollowUp.due_date, FollowUp.id)
        .limit(MAX_FOLLOW_UPS)
    )
    return list(db.session.scalars(query))


def group_by_due(follow_ups: list[FollowUp], on: date | None = None) -> OrderedDict[str, list[FollowUp]]:
    """Overdue, today, this week (until Sunday), later."""
    on = on or today()
    end_of_week = on + timedelta(days=6 - on.weekday())
    groups: OrderedDict[str, list[FollowUp]] = OrderedDict(
        (key, []) for key in ("overdue", "today", "this_week", "later")
    )
    for item in follow_ups:
        if item.due_date < on:
            groups["overdue"].append(item)
        elif item.due_date == on:
            groups["today"].append(item)
        elif item.due_date <= end_of_week:
            groups["this_week"].append(item)
        else:
            groups["later"].append(item)
    return groups


def my_employers_query(user: User) -> Select:
    return (
        select(Employer)
        .where(Employer.contactpersoon_id == user.id, Employer.merged_into_id.is_(None))
        .options(selectinload(Employer.municipality))
        .order_by(Employer.last_contact_at.asc().nulls_first(), Employer.name)
    )
