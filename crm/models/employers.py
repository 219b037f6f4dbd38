"""Employers (werkgevers), their one contactpersoon and its history, and their own people."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, TimestampMixin, one_of, one_of_or_null, utcnow

if TYPE_CHECKING:
    from crm.models.reference import Municipality, SbiSection
    from crm.models.users import User

EMPLOYER_STATUSES = ("prospect", "actief", "inactief")
EMPLOYER_SIZES = ("micro", "klein", "middel", "groot")

OPEN_ASSIGNMENT = text("ended_at IS NULL")
PRIMARY_CONTACT = text("is_primary")


class Employer(TimestampMixin, Base):
    __tablename__ = "employer"
    __table_args__ = (
        one_of("status", EMPLOYER_STATUSES),
        one_of_or_null("size", EMPLOYER_SIZES),
        CheckConstraint("kvk_number IS NULL OR length(kvk_number) = 8", name="kvk_number_length"),
        CheckConstraint("vestigingsnummer IS NULL OR length(vestigingsnummer) = 12", name="vestigingsnummer_length"),
        Index("ix_employer_status_name", "status", "name"),
        # Covering, for the pipeline's joins from vacancies, trajectories and follow-ups to an
        # employer's contactpersoon and back (index-only scans, not the wide employer rows).
        Index("ix_employer_contactpersoon", "contactpersoon_id", "id"),
        Index("ix_employer_id_contactpersoon", "id", "contactpersoon_id"),
        Index("ix_employer_municipality", "municipality_id", "id"),  # the region filters, index-only
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    kvk_number: Mapped[str | None] = mapped_column(String(8), unique=True)
    vestigingsnummer: Mapped[str | None] = mapped_column(String(12))
    sbi_code: Mapped[str | None] = mapped_column(String(10))
    sbi_section_code: Mapped[str | None] = mapped_column(ForeignKey("sbi_section.code"), index=True)
    size: Mapped[str | None] = mapped_column(String(10))
    street: Mapped[str] = mapped_column(String(200), default="")
    house_number: Mapped[str] = mapped_column(String(20), default="")
    postcode: Mapped[str] = mapped_column(String(7), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    website: Mapped[str] = mapped_column(String(254), default="")
    erkend_leerbedrijf: Mapped[bool] = mapped_column(default=False, index=True)
    status: Mapped[str] = mapped_column(String(10), default="prospect")
    notes: Mapped[str] = mapped_column(Text, default="")
    # Handelsnamen: the other names the employer trades under, one per line (searched like the name).
    trade_names: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The one contactpersoon who speaks to this employer for all partners. The open
    # ContactpersoonAssignment row always names the same user (services keep both in step).
    contactpersoon_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    # Kept by the contact service so lists can sort and filter on it at scale.
    last_contact_at: Mapped[datetime | None] = mapped_column(index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("employer.id"))
    # Folded words of name, KvK, postcode, trade names, place, municipality, contactpersoon and people: what every
    # employer search box searches (crm.services.search).
    search_text: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)

    contactpersoon: Mapped[User] = relationship(foreign_keys=[contactpersoon_id])
    municipality: Mapped[Municipality | None] = relationship()
    sbi_section: Mapped[SbiSection | None] = relationship()
    people: Mapped[list[EmployerPerson]] = relationship(
        back_populates="employer", order_by="(EmployerPerson.is_primary.desc(), EmployerPerson.name)"
    )
    assignments: Mapped[list[ContactpersoonAssignment]] = relationship(
        back_populates="employer", order_by="ContactpersoonAssignment.started_at.desc()"
    )

    __mapper_args__ = {"version_id_col": version}


class ContactpersoonAssignment(Base):
    """One period in which a user was an employer's contactpersoon (overdracht history)."""

    __tablename__ = "contactpersoon_assignment"
    __table_args__ = (
        Index(
            "uq_contactpersoon_assignment_open",
            "employer_id",
            unique=True,
            sqlite_where=OPEN_ASSIGNMENT,
            postgresql_where=OPEN_ASSIGNMENT,
        ),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ended_after_start"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    employer: Mapped[Employer] = relationship(back_populates="assignments")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id])


class EmployerPerson(TimestampMixin, Base):
    """A person at the employer (not a CRM user): never receives reminders. The table keeps its
    first name, ``employer_contact`` (and so do ``Contact.employer_contact_id`` and audit events
    about people, object type ``employer_contact``)."""

    __tablename__ = "employer_contact"
    __table_args__ = (
        Index(
            "uq_employer_contact_primary",
            "employer_id",
            unique=True,
            sqlite_where=PRIMARY_CONTACT,
            postgresql_where=PRIMARY_CONTACT,
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    function: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    is_primary: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1, server_default="1")  # optimistic locking

    employer: Mapped[Employer] = relationship(back_populates="people")

    __mapper_args__ = {"version_id_col": version}


class SearchWord(Base):
    """Every folded word that occurs in an employer's search text (letters, not numbers): the
    vocabulary a query word is looked up in, so that its typos are found among a few thousand
    words instead of in 100,000 employer rows (crm.services.search). Only ever added to (a
    stale word matches no employer); trigram-indexed per database (the migration)."""

    __tablename__ = "search_word"
    word: Mapped[str] = mapped_column(String(200), primary_key=True)
