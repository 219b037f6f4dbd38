"""What a user has to do: open follow-ups and the employers they are contactpersoon for."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from crm import permissions
from crm.extensions import db
from crm.labels import CHANNEL_LABELS
from crm.lib.clock import today
from crm.lib.workdays import working_day_on_or_after
from crm.models import Employer, FollowUp, User
from crm.services.quiet_employers import quiet_before

MAX_FOLLOW_UPS = 200
# Quick choices (days from today) for planning a follow-up in one tap.
QUICK_FOLLOW_UP_DAYS = (7, 14, 30)
# Quick choices (days) for moving a follow-up.
QUICK_RESCHEDULE_DAYS = (1, 7)
EMPLOYER_SORTS = ("contact", "naam")


def open_follow_ups(user: User) -> list[FollowUp]:
    query = (
        select(FollowUp)
        .where(FollowUp.owner_id == user.id, FollowUp.status == "open", permissions.visible_follow_ups_clause(user))
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


def my_employers_query(user: User, sort: str = "contact") -> Select:
    """The user's employers; by default the longest without contact (or never contacted) first."""
    query = (
        select(Employer)
        .where(Employer.contactpersoon_id == user.id, Employer.merged_into_id.is_(None))
        .options(selectinload(Employer.municipality))
    )
    if sort == "naam":
        return query.order_by(Employer.name, Employer.id)
    return query.order_by(Employer.last_contact_at.asc().nulls_first(), Employer.name, Employer.id)


def follow_up_date(days: int, on: date | None = None) -> date:
    """The due date of a follow-up planned ``days`` from today, moved on to the first working
    day when it falls on a weekend or a Dutch public holiday (nobody calls then)."""
    return working_day_on_or_after((on or today()) + timedelta(days=days))


def rescheduled_date(follow_up: FollowUp, days: int, on: date | None = None) -> date:
    """Move a follow-up ``days`` on: from its due date, or from today when it is already overdue;
    like ``follow_up_date`` it lands on a working day."""
    return working_day_on_or_after(max(follow_up.due_date, on or today()) + timedelta(days=days))


# --- what the worklist's htmx fragments show (also after a quick log or a done follow-up) ---


def follow_up_section_context(user: User) -> dict:
    """What ``worklist/_follow_ups.html`` needs: the user's open follow-ups, grouped by due date."""
    follow_ups = open_follow_ups(user)
    on = today()
    return {
        "groups": group_by_due(follow_ups, on),
        "follow_ups_capped": len(follow_ups) >= MAX_FOLLOW_UPS,
        "max_follow_ups": MAX_FOLLOW_UPS,
        "channels": CHANNEL_LABELS,
        "today": on,
        "reschedule_days": QUICK_RESCHEDULE_DAYS,
        "rescheduled_date": rescheduled_date,
    }


def employer_row_context(employer: Employer) -> dict:
    """What ``worklist/_employer.html`` needs for one employer row."""
    return {"employer": employer, "neglected_before": quiet_before()}
