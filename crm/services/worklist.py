"""What a user has to do: open follow-ups and the employers they are contactpersoon for.

The worklist is opened on phones, over mobile networks, by account managers with tens of
thousands of employers and thousands of open follow-ups. So it is bounded: each group of
follow-ups shows its first few items and its count, from one windowed query; the rest of a
group is one tap away ("meer"), paged. Whatever the numbers, the page runs the same queries
and stays small.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Select, and_, case, func, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from crm import permissions
from crm.extensions import db
from crm.labels import CHANNEL_LABELS
from crm.lib.clock import today
from crm.lib.workdays import working_day_on_or_after
from crm.models import Employer, EmployerTally, FollowUp, User
from crm.services import search
from crm.services.quiet_employers import is_quiet, quiet_before, quiet_first_order

MAX_FOLLOW_UPS = 200
# The follow-up groups in the order the worklist shows them: what is due today first.
FOLLOW_UP_GROUPS = ("today", "overdue", "this_week", "later")
# Follow-ups shown per group on the worklist itself; the rest behind "meer".
SHOWN_PER_GROUP = 5
# Follow-ups per page of "meer" (each carries its done and reschedule forms: ~4 kB).
GROUP_PAGE_SIZE = 20
# Groups that start unfolded.
OPEN_GROUPS = ("today", "overdue")
# Employers found by the worklist's search box.
SEARCH_RESULTS = 8
# Quick choices (days from today) for planning a follow-up in one tap.
QUICK_FOLLOW_UP_DAYS = (7, 14, 30)
# Quick choices (days) for moving a follow-up.
QUICK_RESCHEDULE_DAYS = (1, 7)
EMPLOYER_SORTS = ("contact", "naam")


# Many-to-one, so joined into the follow-ups' own query (one round trip, not three).
_WITH_WHAT_IT_HANGS_ON = (joinedload(FollowUp.employer), joinedload(FollowUp.trajectory), joinedload(FollowUp.vacancy))


def _my_open_follow_ups(user: User) -> list[ColumnElement[bool]]:
    return [FollowUp.owner_id == user.id, FollowUp.status == "open", permissions.visible_follow_ups_clause(user)]


def open_follow_ups(user: User) -> list[FollowUp]:
    query = (
        select(FollowUp)
        .where(*_my_open_follow_ups(user))
        .options(*_WITH_WHAT_IT_HANGS_ON)
        .order_by(FollowUp.due_date, FollowUp.id)
        .limit(MAX_FOLLOW_UPS)
    )
    return list(db.session.scalars(query))


def group_by_due(follow_ups: list[FollowUp], on: date | None = None) -> OrderedDict[str, list[FollowUp]]:
    """Overdue, today, this week (until Sunday), later."""
    on = on or today()
    groups: OrderedDict[str, list[FollowUp]] = OrderedDict(
        (key, []) for key in ("overdue", "today", "this_week", "later")
    )
    for item in follow_ups:
        groups[group_of(item.due_date, on)].append(item)
    return groups


def _due_group(on: date) -> ColumnElement[str]:
    """The twin of ``group_by_due`` in SQL: the group key of a follow-up's due date."""
    end_of_week = on + timedelta(days=6 - on.weekday())
    return case(
        (FollowUp.due_date < on, "overdue"),
        (FollowUp.due_date == on, "today"),
        (FollowUp.due_date <= end_of_week, "this_week"),
        else_="later",
    )


def _due_range(key: str, on: date) -> ColumnElement[bool]:
    """The due dates of one group as a range on ``due_date`` (what an index can walk)."""
    end_of_week = on + timedelta(days=6 - on.weekday())
    return {
        "overdue": FollowUp.due_date < on,
        "today": FollowUp.due_date == on,
        "this_week": and_(FollowUp.due_date > on, FollowUp.due_date <= end_of_week),
        "later": FollowUp.due_date > end_of_week,
    }[key]


def follow_up_heads(user: User, on: date, shown: int = SHOWN_PER_GROUP) -> tuple[dict, dict[str, int]]:
    """The first ``shown`` open follow-ups of each due group and each group's count.

    Two queries, whatever the number of follow-ups: the heads as one ``UNION ALL`` of a
    ``LIMIT`` per group, each a range on the (owner, status, due date) index, and the counts
    grouped from that index alone (it carries the trajectory the visibility rule needs); then
    the loads of what the heads hang on. A window over all of a user's follow-ups instead read
    and sorted every one of them (8,835 for the benchmark's account manager: 110 ms)."""
    mine = _my_open_follow_ups(user)
    heads = union_all(
        *(
            select(FollowUp.id)
            .where(*mine, _due_range(key, on))
            .order_by(FollowUp.due_date, FollowUp.id)
            .limit(shown)
            .subquery()
            .select()
            for key in FOLLOW_UP_GROUPS
        )
    ).subquery()
    query = (
        select(FollowUp)
        .where(FollowUp.id.in_(select(heads.c.id)))
        .options(*_WITH_WHAT_IT_HANGS_ON)
        .order_by(FollowUp.due_date, FollowUp.id)
    )
    groups: dict[str, list[FollowUp]] = {key: [] for key in FOLLOW_UP_GROUPS}
    for follow_up in db.session.scalars(query):
        groups[group_of(follow_up.due_date, on)].append(follow_up)
    group = _due_group(on)
    counts: dict[str, int] = dict.fromkeys(FOLLOW_UP_GROUPS, 0)
    for key, n in db.session.execute(select(group, func.count()).where(*mine).group_by(group)):
        counts[key] = n
    return groups, counts


def group_of(due_date: date, on: date) -> str:
    """The due group of one date (``group_by_due`` for one follow-up)."""
    end_of_week = on + timedelta(days=6 - on.weekday())
    if due_date < on:
        return "overdue"
    if due_date == on:
        return "today"
    return "this_week" if due_date <= end_of_week else "later"


def follow_ups_in_group_query(user: User, key: str, on: date | None = None) -> Select:
    """All open follow-ups of one due group (the "meer" page), for paging."""
    return (
        select(FollowUp)
        .where(*_my_open_follow_ups(user), _due_range(key, on or today()))
        .options(*_WITH_WHAT_IT_HANGS_ON)
        .order_by(FollowUp.due_date, FollowUp.id)
    )


def my_employers_query(user: User, sort: str = "contact") -> Select:
    """The user's employers; by default the longest without contact (or never contacted) first,
    inactive employers last (nobody is expected to call them)."""
    query = (
        select(Employer)
        .where(Employer.contactpersoon_id == user.id, Employer.merged_into_id.is_(None))
        .options(selectinload(Employer.municipality))
    )
    if sort == "naam":
        return query.order_by(Employer.name, Employer.id)
    return query.order_by(*quiet_first_order(), Employer.name, Employer.id)


def count_my_employers(user: User) -> int:
    """How many employers :func:`my_employers_query` lists: summed from ``employer_tally`` (live
    employers per contactpersoon, kept by triggers), not counted (2.4 ms for 25,000 employers)."""
    total = select(func.coalesce(func.sum(EmployerTally.n), 0)).where(EmployerTally.contactpersoon_id == user.id)
    return db.session.scalar(total) or 0


def find_my_employers(user: User, term: str, limit: int = SEARCH_RESULTS) -> list[Employer]:
    """The worklist's search box: the user's own employers matching ``term`` (the search every
    search box uses), best match first. The user's own employers are part of the search's
    query, so only their matches are ranked and only the first ``limit`` are loaded (searching
    all employers first and narrowing afterwards read 10,000 matches for "bouw": 1 s)."""
    return search.find_employers(
        term, Employer.contactpersoon_id == user.id, limit=limit, options=(joinedload(Employer.municipality),)
    )


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
    """What ``worklist/_follow_ups.html`` needs: the first open follow-ups of each due group,
    with each group's count."""
    on = today()
    groups, counts = follow_up_heads(user, on)
    return {
        "groups": groups,
        "group_counts": counts,
        "open_groups": OPEN_GROUPS,
        "channels": CHANNEL_LABELS,
        "today": on,
        "reschedule_days": QUICK_RESCHEDULE_DAYS,
        "rescheduled_date": rescheduled_date,
    }


def employer_row_context(employer: Employer) -> dict:
    """What ``worklist/_employer.html`` needs for one employer row."""
    return {"employer": employer, "neglected_before": quiet_before(), "is_quiet": is_quiet}
