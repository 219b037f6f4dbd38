"""The demo seeder: ``seed()`` runs the steps (partnership, employers, trajectories) in order and
ends with a few notifications for the demo account manager and a report of what was created."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from crm.demo.data import CHANNEL_NAMES, DEMO_LOGINS, DEMO_PASSWORD, TWENTE
from crm.demo.employers import EmployerSteps
from crm.demo.partnership import PartnershipSteps
from crm.demo.trajectories import TrajectorySteps
from crm.extensions import db
from crm.models import (
    Contact,
    ContactpersoonAssignment,
    Employer,
    FollowUp,
    Notification,
    Partnership,
    User,
)
from crm.services.audit import audit


def seed(
    employers: int = 300, if_empty: bool = False, echo: Callable[[str], Any] = print, now: datetime | None = None
) -> str:
    """Build the demo partnership with ``employers`` employers; flushes, never commits.

    Does nothing when the demo partnership already exists, or (``if_empty``) when there are users.
    The data are drawn relative to ``now`` (default: the current time), and which employers
    exist depends on the day too (the draws for dates come from the same sequence): a test
    that names demo employers passes a fixed ``now``.
    """
    if db.session.scalar(select(Partnership.id).where(Partnership.name == TWENTE)) is not None:
        return f"Demo data already present (partnership '{TWENTE}' exists); nothing created."
    if if_empty and db.session.scalar(select(User.id).limit(1)) is not None:
        return "The database already has users; demo data not created (--if-empty)."
    return Seeder(max(0, int(employers)), echo, now).run()


class Seeder(PartnershipSteps, EmployerSteps, TrajectorySteps):
    """The whole run; each step is a class of its own module, all sharing this one state."""

    # -- the run --------------------------------------------------------------------------------

    def run(self) -> str:
        self.build_organisations()
        self.build_users()
        self.build_periods_and_ambitions()
        self.prepare_generators()
        self.build_employers()
        self.build_participants_and_trajectories()
        self.build_notifications()
        report = self.report()
        audit(
            None,
            "demo_seeded",
            self.partnerships[TWENTE],
            summary=report.splitlines()[0].removeprefix("Demo data created: ")[:1000],
        )
        db.session.flush()
        return report

    # -- notifications --------------------------------------------------------------------------

    def build_notifications(self) -> None:
        me = self.demo_am
        partner_contacts = db.session.execute(
            select(Contact.occurred_at, Contact.channel, Employer.id, Employer.name, User.name.label("author"))
            .join(Employer, Contact.employer_id == Employer.id)
            .join(User, Contact.author_id == User.id)
            .where(Employer.contactpersoon_id == me.id, Contact.author_id != me.id, Contact.visibility == "gedeeld")
            .order_by(Contact.occurred_at.desc())
            .limit(4)
        ).all()
        for index, contact in enumerate(partner_contacts):
            self.notify(
                me,
                "contact_logged_by_partner",
                f"{contact.author} heeft contact gehad met {contact.name} ({CHANNEL_NAMES[contact.channel]}).",
                f"/werkgevers/{contact.id}",
                contact.occurred_at,
                read=index >= 2,
            )
        due = db.session.execute(
            select(FollowUp.subject, FollowUp.due_date, FollowUp.employer_id)
            .where(FollowUp.owner_id == me.id, FollowUp.status == "open", FollowUp.due_date <= self.today)
            .order_by(FollowUp.due_date.desc(), FollowUp.id)
            .limit(2)
        ).all()
        for follow_up in due:
            when = (
                "staat voor vandaag"
                if follow_up.due_date == self.today
                else f"is te laat (was {follow_up.due_date:%d-%m-%Y})"
            )
            self.notify(
                me,
                "follow_up_due",
                f"Opvolgactie '{follow_up.subject}' {when}.",
                f"/werkgevers/{follow_up.employer_id}" if follow_up.employer_id else "/",
                self.moment(follow_up.due_date),
                read=False,
            )
        handovers = db.session.execute(
            select(ContactpersoonAssignment.started_at, Employer.id, Employer.name)
            .join(Employer, ContactpersoonAssignment.employer_id == Employer.id)
            .where(
                ContactpersoonAssignment.user_id == me.id,
                ContactpersoonAssignment.ended_at.is_(None),
                ContactpersoonAssignment.note.like("Overgenomen van %"),
            )
            .order_by(ContactpersoonAssignment.started_at.desc())
            .limit(2)
        ).all()
        for handover in handovers:
            self.notify(
                me,
                "employer_assigned",
                f"U bent nu contactpersoon van {handover.name}".rstrip(".") + ".",
                f"/werkgevers/{handover.id}",
                handover.started_at,
                read=True,
            )

    def notify(self, user: User, kind: str, message: str, link: str, created_at: datetime, *, read: bool) -> None:
        read_at = None
        if read:
            read_at = self.moment(self.local_day(created_at) + timedelta(days=self.rng.randint(0, 2)), created_at)
        db.session.add(
            Notification(user_id=user.id, kind=kind, message=message, link=link, created_at=created_at, read_at=read_at)
        )
        self.counts["notifications"] += 1

    # -- report ---------------------------------------------------------------------------------

    def report(self) -> str:
        c = self.counts
        logins = ", ".join(f"{email} ({role})" for email, role in DEMO_LOGINS)
        return (
            f"Demo data created: {c['partnerships']} partnerships, {c['organisations']} organisations, {c['users']} users, "
            f"{self.employer_count} employers ({c['employer_contacts']} employer contacts, {c['assignments']} "
            f"contactpersoon assignments), {c['contacts']} contacts, {c['follow_ups']} follow-ups, "
            f"{c['vacancies']} vacancies ({c['vacancy_status_changes']} status changes), {c['participants']} "
            f"participants, {c['trajectories']} trajectories ({c['trajectory_status_changes']} status changes), "
            f"{c['ambitions']} ambitions, {c['notifications']} notifications.\n"
            f"Demo logins (password {DEMO_PASSWORD}): {logins}"
        )
