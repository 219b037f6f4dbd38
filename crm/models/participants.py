"""Participants (deelnemers): minimal personal data. There is no BSN field, by design."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, TimestampMixin, one_of

if TYPE_CHECKING:
    from crm.models.organisations import Organisation
    from crm.models.users import User

DOELGROEPEN = (
    "jongere_zonder_startkwalificatie",
    "werkzoekende",
    "met_werkloosheid_bedreigd",
    "werkende",
)


class Participant(TimestampMixin, Base):
    __tablename__ = "participant"
    __table_args__ = (
        one_of("doelgroep", DOELGROEPEN),
        CheckConstraint("birth_year IS NULL OR birth_year BETWEEN 1900 AND 2100", name="birth_year_range"),
        Index("ix_participant_name", "last_name", "first_name", "id"),
        Index("ix_participant_municipality", "municipality_id", "id"),  # the region filters, index-only
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(150))
    birth_year: Mapped[int | None]
    birth_date: Mapped[date | None]
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    doelgroep: Mapped[str] = mapped_column(String(40))
    has_startkwalificatie: Mapped[bool] = mapped_column(default=False)
    referring_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    consent_at: Mapped[datetime | None]
    consent_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    consent_purpose: Mapped[str] = mapped_column(Text, default="")
    anonymised_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    # Optimistic locking, as Employer/Vacancy/Trajectory; the server default gave rows that
    # existed before the column version 1.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    referring_organisation: Mapped[Organisation | None] = relationship()
    consent_recorded_by: Mapped[User | None] = relationship(foreign_keys=[consent_recorded_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
