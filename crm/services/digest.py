"""The daily digest (dagelijks overzicht): what a user should know at the start of a working day.

Per user, for a given working day:

1. overdue follow-ups (open, due before the day);
2. follow-ups due that day;
3. follow-ups due later this week (up to Sunday);
4. contacts that others logged on the employers the user is contactpersoon for, since the
   start of the previous working day (so Monday's digest covers Friday and the weekend);
5. vacancies on those employers past their closing date and still open (not vervuld,
   ingetrokken or verlopen);

and for coordinators a sixth section, the escalations: open follow-ups of people in the
partnerships their organisation belongs to, overdue for more than
``ESCALATION_WORKING_DAYS`` working days (public holidays do not count).

The day is always passed in (the job passes "today" in Europe/Amsterdam), so the digest of
any date can be built and tested without touching the clock. Sending is done by
``crm.services.reminders`` like every other delivery; this module only decides content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import Select, func, select, union
from sqlalchemy.orm import aliased, selectinload

from crm import permissions
from crm.extensions import db
from crm.i18n import force_locale
from crm.lib import mail
from crm.lib.clock import AMSTERDAM
from crm.lib.workdays import overdue_cutoff, previous_working_day
from crm.models import Contact, Employer, FollowUp, User, Vacancy, partnership_member

CLOSED_VACANCY_STATUSES = ("vervuld", "ingetrokken", "verlopen")
SECTION_LIMIT = 50  # items listed per section; the rest is counted ("en 12 meer")


@dataclass
class Section:
    items: list = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return self.total - len(self.items)

    def __bool__(self) -> bool:
        return self.total > 0


@dataclass
class Digest:
    user: User
    day: date
    overdue: Section
    due_today: Section
    this_week: Section
    partner_contacts: Section
    expired_vacancies: Section
    escalations: Section

    @property
    def is_empty(self) -> bool:
        return not any(
            (
                self.overdue,
                self.due_today,
                self.this_week,
                self.partner_contacts,
                self.expired_vacancies,
                self.escalations,
            )
        )


def start_of(day: date) -> datetime:
    """Midnight at the start of ``day`` in Amsterdam, as UTC."""
    return datetime.combine(day, time(0), tzinfo=AMSTERDAM).astimezone(UTC)


def end_of_week(day: date) -> date:
    return day + timedelta(days=6 - day.weekday())


def escalation_working_days() -> int:
    return int(current_app.config.get("ESCALATION_WORKING_DAYS", 5))


def partner_contact_window(day: date) -> tuple[datetime, datetime]:
    return start_of(previous_working_day(day)), start_of(day)


# --- the sections ------------------------------------------------------------------------


def _section(query: Select) -> Section:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    if not total:
        return Section()
    return Section(items=list(db.session.scalars(query.limit(SECTION_LIMIT))), total=total)


def _own_follow_ups(user: User) -> Select:
    return (
        select(FollowUp)
        .where(FollowUp.owner_id == user.id, FollowUp.status == "open", permissions.visible_follow_ups_clause(user))
        .options(selectinload(FollowUp.employer))
        .order_by(FollowUp.due_date, FollowUp.id)
    )


def escalations_query(coordinator: User, day: date) -> Select:
    """Open follow-ups of people in the coordinator's partnerships, overdue for more than the
    configured number of working days on ``day`` (the coordinator's own are in their overdue list)."""
    mine, theirs = aliased(partnership_member), aliased(partnership_member)
    organisations = (
        select(theirs.c.organisation_id)
        .join(mine, mine.c.partnership_id == theirs.c.partnership_id)
        .where(mine.c.organisation_id == coordinator.organisation_id)
    )
    return (
        select(FollowUp)
        .join(User, User.id == FollowUp.owner_id)
        .where(
            FollowUp.status == "open",
            FollowUp.due_date < overdue_cutoff(day, escalation_working_days()),
            FollowUp.owner_id != coordinator.id,
            User.organisation_id.in_(organisations),
            permissions.visible_follow_ups_clause(coordinator),
        )
        .options(selectinload(FollowUp.employer), selectinload(FollowUp.owner))
        .order_by(FollowUp.due_date, FollowUp.id)
    )


def build_digest(user: User, day: date) -> Digest:
    week_end = end_of_week(day)
    since, until = partner_contact_window(day)
    partner_contacts = (
        select(Contact)
        .join(Employer, Employer.id == Contact.employer_id)
        .where(
            Employer.contactpersoon_id == user.id,
            Employer.merged_into_id.is_(None),
            Contact.author_id != user.id,
            Contact.occurred_at >= since,
            Contact.occurred_at < until,
            permissions.visible_contacts_clause(user),
        )
        .options(selectinload(Contact.employer), selectinload(Contact.author), selectinload(Contact.organisation))
        .order_by(Contact.occurred_at.desc(), Contact.id.desc())
    )
    expired = (
        select(Vacancy)
        .join(Employer, Employer.id == Vacancy.employer_id)
        .where(
            Employer.contactpersoon_id == user.id,
            Employer.merged_into_id.is_(None),
            Vacancy.closing_date < day,
            Vacancy.status.not_in(CLOSED_VACANCY_STATUSES),
        )
        .options(selectinload(Vacancy.employer))
        .order_by(Vacancy.closing_date, Vacancy.id)
    )
    return Digest(
        user=user,
        day=day,
        overdue=_section(_own_follow_ups(user).where(FollowUp.due_date < day)),
        due_today=_section(_own_follow_ups(user).where(FollowUp.due_date == day)),
        this_week=_section(_own_follow_ups(user).where(FollowUp.due_date > day, FollowUp.due_date <= week_end)),
        partner_contacts=_section(partner_contacts),
        expired_vacancies=_section(expired),
        escalations=_section(escalations_query(user, day)) if permissions.is_coordinator(user) else Section(),
    )


def candidate_user_ids(day: date) -> list[int]:
    """Users who may have something in their digest of ``day``: a handful of grouped queries
    instead of a full digest per user. Users opted out or inactive are left out. The send
    builds the real digest and skips it when it turns out empty (e.g. only intern notes of
    another organisation)."""
    since, until = partner_contact_window(day)
    follow_up_owners = select(FollowUp.owner_id.label("user_id")).where(
        FollowUp.status == "open", FollowUp.due_date <= end_of_week(day)
    )
    contactpersonen_with_news = (
        select(Employer.contactpersoon_id.label("user_id"))
        .join(Contact, Contact.employer_id == Employer.id)
        .where(
            Contact.occurred_at >= since,
            Contact.occurred_at < until,
            Contact.author_id != Employer.contactpersoon_id,
        )
    )
    contactpersonen_with_expired = (
        select(Employer.contactpersoon_id.label("user_id"))
        .join(Vacancy, Vacancy.employer_id == Employer.id)
        .where(Vacancy.closing_date < day, Vacancy.status.not_in(CLOSED_VACANCY_STATUSES))
    )
    owner = aliased(User)
    mine, theirs = aliased(partnership_member), aliased(partnership_member)
    escalated_organisations = (
        select(owner.organisation_id)
        .join(FollowUp, FollowUp.owner_id == owner.id)
        .where(FollowUp.status == "open", FollowUp.due_date < overdue_cutoff(day, escalation_working_days()))
    )
    coordinators = (
        select(User.id.label("user_id"))
        .join(mine, mine.c.organisation_id == User.organisation_id)
        .join(theirs, theirs.c.partnership_id == mine.c.partnership_id)
        .where(permissions.coordinators_clause(), theirs.c.organisation_id.in_(escalated_organisations))
    )
    candidates = union(
        follow_up_owners, contactpersonen_with_news, contactpersonen_with_expired, coordinators
    ).subquery()
    return list(
        db.session.scalars(
            select(User.id)
            .where(User.id.in_(select(candidates.c.user_id)), User.active, User.notify_digest)
            .order_by(User.id)
        )
    )


# --- the message -------------------------------------------------------------------------


def render(digest: Digest, message_id: str) -> mail.Outgoing:
    user = digest.user
    with force_locale(user.locale or "nl"):
        context = {
            "digest": digest,
            "recipient": user,
            "base_url": current_app.config["BASE_URL"].rstrip("/"),
            "escalation_days": escalation_working_days(),
            "profile_url": mail.absolute_url("/profiel"),
        }
        subject = _("Uw overzicht voor %(day)s", day=digest.day.strftime("%d-%m-%Y"))
        return mail.Outgoing(
            to_name=user.name,
            to_address=user.email,
            subject=subject,
            text=render_template("mail/digest.txt", subject=subject, **context),
            html=render_template("mail/digest.html", subject=subject, **context),
            message_id=message_id,
        )
