"""Contact log (contactmomenten) and follow-ups (opvolgacties)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, TimestampMixin, one_of

if TYPE_CHECKING:
    from crm.models.employers import Employer, EmployerPerson
    from crm.models.organisations import Organisation
    from crm.models.trajectories import Trajectory
    from crm.models.users import User
    from crm.models.vacancies import Vacancy

CHANNELS = (
    "telefoon",
    "bezoek",
    "email",
    "leerwerkloket",
    "mobiel_leerwerkloket",
    "bijeenkomst",
    "overig",
)
VISIBILITIES = ("gedeeld", "intern")
FOLLOWUP_STATUSES = ("open", "afgerond", "geannuleerd")  # Dutch, as every status (README)


class Contact(TimestampMixin, Base):
    __tablename__ = "contact"
    __table_args__ = (
        one_of("channel", CHANNELS),
        one_of("visibility", VISIBILITIES),
        Index("ix_contact_employer_occurred", "employer_id", "occurred_at"),
        Index("ix_contact_occurred_org", "occurred_at", "organisation_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    # The author's organisation when the contact was logged: "intern" notes stay with it.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    occurred_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(25))
    employer_contact_id: Mapped[int | None] = mapped_column(ForeignKey("employer_contact.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text, default="")
    vacancy_id: Mapped[int | None] = mapped_column(ForeignKey("vacancy.id"), index=True)
    visibility: Mapped[str] = mapped_column(String(10), default="gedeeld")

    employer: Mapped[Employer] = relationship()
    author: Mapped[User] = relationship()
    organisation: Mapped[Organisation] = relationship()
    employer_contact: Mapped[EmployerPerson | None] = relationship()
    vacancy: Mapped[Vacancy | None] = relationship()


OPEN_AUTOMATIC = text("automatic AND status = 'open'")


class FollowUp(TimestampMixin, Base):
    """Something a user must do by a date, about an employer, vacancy or trajectory."""

    __tablename__ = "follow_up"
    __table_args__ = (
        one_of("status", FOLLOWUP_STATUSES),
        CheckConstraint(
            "employer_id IS NOT NULL OR vacancy_id IS NOT NULL OR trajectory_id IS NOT NULL",
            name="has_subject",
        ),
        CheckConstraint("(status = 'open') = (done_at IS NULL)", name="done_at_iff_closed"),
        # The worklist: each due group's first items in order (due date, id) and the groups'
        # counts from the index alone (the trajectory is what the visibility rule reads).
        Index("ix_follow_up_owner_status_due", "owner_id", "status", "due_date", "id", "trajectory_id"),
        Index("ix_follow_up_status_due", "status", "due_date"),
        # At most one open automatic "no contact for 90 days" follow-up per employer, whatever
        # two scans do at once (crm.services.quiet_employers.create_quiet_employer_follow_ups).
        Index(
            "uq_follow_up_automatic_open",
            "employer_id",
            unique=True,
            sqlite_where=OPEN_AUTOMATIC,
            postgresql_where=OPEN_AUTOMATIC,
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    subject: Mapped[str] = mapped_column(String(300))
    due_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(20), default="open")
    done_at: Mapped[datetime | None]
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employer.id"), index=True)
    vacancy_id: Mapped[int | None] = mapped_column(ForeignKey("vacancy.id"), index=True)
    trajectory_id: Mapped[int | None] = mapped_column(ForeignKey("trajectory.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"), index=True)
    # Set when the reminder scan has claimed this follow-up for its "due" / "overdue" mail.
    due_reminded_at: Mapped[datetime | None]
    overdue_reminded_at: Mapped[datetime | None]
    # The automatic "no contact for 90 days" follow-up, so it is created once per quiet spell.
    automatic: Mapped[bool] = mapped_column(default=False)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    employer: Mapped[Employer | None] = relationship()
    vacancy: Mapped[Vacancy | None] = relationship()
    trajectory: Mapped[Trajectory | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
