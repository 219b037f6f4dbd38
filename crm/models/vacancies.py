"""Vacancies (vacatures) with their intake checklist and status history."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from itertools import chain
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    Column,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    event,
    false,
    inspect,
    literal,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from crm.models.base import Base, TimestampMixin, one_of, one_of_or_null, utcnow

if TYPE_CHECKING:
    from crm.models.employers import Employer
    from crm.models.organisations import Organisation
    from crm.models.reference import Municipality
    from crm.models.users import User

VACANCY_STATUSES = ("nieuw", "intake_gedaan", "kandidaten_voorgesteld", "vervuld", "ingetrokken", "verlopen")
EDUCATION_LEVELS = ("mbo1", "mbo2", "mbo3", "mbo4", "hbo", "geen")
LEARNING_PATHS = ("bbl", "bol", "geen")

vacancy_organisation = Table(
    "vacancy_organisation",
    Base.metadata,
    Column("vacancy_id", ForeignKey("vacancy.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisation.id"), primary_key=True, index=True),
)


class Vacancy(TimestampMixin, Base):
    __tablename__ = "vacancy"
    __table_args__ = (
        one_of("status", VACANCY_STATUSES),
        one_of_or_null("education_level", EDUCATION_LEVELS),
        one_of_or_null("learning_path", LEARNING_PATHS),
        CheckConstraint("positions >= 1", name="positions_positive"),
        CheckConstraint("crebo IS NULL OR length(crebo) = 5", name="crebo_length"),
        Index("ix_vacancy_status_closing", "status", "closing_date"),
        Index("ix_vacancy_status_id", "status", "id"),
        Index("ix_vacancy_closing_date", "closing_date"),
        # an employer's vacancies, and the pipeline's counts per (contactpersoon, involved
        # organisations, status) as an index-only scan joined to the employers
        Index("ix_vacancy_employer_key_status", "employer_id", "involvement_key", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"))  # ix_vacancy_employer_key_status
    title: Mapped[str] = mapped_column(String(200))
    positions: Mapped[int] = mapped_column(default=1)
    hours_per_week: Mapped[int | None]
    education_level: Mapped[str | None] = mapped_column(String(10), index=True)
    qualification_name: Mapped[str] = mapped_column(String(200), default="")
    crebo: Mapped[str | None] = mapped_column(String(5))
    learning_path: Mapped[str | None] = mapped_column(String(10), index=True)
    start_date: Mapped[date | None]
    closing_date: Mapped[date | None]
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"), index=True)
    requirements: Mapped[str] = mapped_column(Text, default="")
    erkend_for_qualification: Mapped[bool | None]
    # The employer agreed that the vacancy may be published outside the CRM (as a schema.org
    # JobPosting: crm.services.job_posting). Off until someone records the agreement.
    publish_agreed: Mapped[bool] = mapped_column(default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(25), default="nieuw")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    version: Mapped[int] = mapped_column(default=1)
    # The involved organisations' ids, "3,7", kept by ``_keep_involvement_keys`` below: the
    # pipeline counts per organisation by grouping on it (crm.services.pipeline).
    involvement_key: Mapped[str] = mapped_column(Text, default="", server_default="")

    employer: Mapped[Employer] = relationship()
    municipality: Mapped[Municipality | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    organisations: Mapped[list[Organisation]] = relationship(secondary=vacancy_organisation)
    status_changes: Mapped[list[VacancyStatusChange]] = relationship(
        back_populates="vacancy", order_by="VacancyStatusChange.changed_at.desc()"
    )

    __mapper_args__ = {"version_id_col": version}


def organisation_ids_key(organisation_ids: Iterable[int]) -> str:
    """A vacancy's ``involvement_key``: the canonical text of a set of organisation ids, "3,7"."""
    return ",".join(str(organisation_id) for organisation_id in sorted(set(organisation_ids)))


def parse_involvement_key(key: str) -> list[int]:
    return [int(part) for part in key.split(",") if part]


def involves(organisation_id: int, *, key=None) -> ColumnElement[bool]:
    """SQL: the vacancy involves the organisation, read from the key: ",3,7," contains ",3,".
    ``key``: another column holding such a key (the tally's), by default the vacancy's."""
    column = Vacancy.involvement_key if key is None else key
    return (literal(",") + column + literal(",")).contains(f",{organisation_id},", autoescape=True)


@event.listens_for(Session, "before_flush")
def _keep_involvement_keys(session: Session, _flush_context, _instances) -> None:
    """Whenever a vacancy's organisations change, by whatever path, its ``involvement_key``
    follows in the same flush. The key is part of the row, so the change moves the version:
    of two concurrent edits of the organisations the second is refused, as any edit is."""
    for obj in chain(session.new, session.dirty):
        if not isinstance(obj, Vacancy) or obj in session.deleted:
            continue
        if obj not in session.new and not inspect(obj).attrs.organisations.history.has_changes():
            continue
        ids = [organisation.id for organisation in obj.organisations]
        if None in ids:
            raise ValueError("Save an organisation before involving it in a vacancy.")
        key = organisation_ids_key(ids)
        if obj.involvement_key != key:
            obj.involvement_key = key


class VacancyStatusChange(Base):
    __tablename__ = "vacancy_status_change"
    __table_args__ = (
        one_of("to_status", VACANCY_STATUSES),
        one_of_or_null("from_status", VACANCY_STATUSES),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    vacancy_id: Mapped[int] = mapped_column(ForeignKey("vacancy.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(25))
    to_status: Mapped[str] = mapped_column(String(25))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")

    vacancy: Mapped[Vacancy] = relationship(back_populates="status_changes")
    changed_by: Mapped[User | None] = relationship()
