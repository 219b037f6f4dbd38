"""Learn-work trajectories (duaal, EVC), the organisations involved, ambitions and periods."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, TimestampMixin, one_of, one_of_or_null, utcnow

if TYPE_CHECKING:
    from crm.models.employers import Employer
    from crm.models.organisations import Organisation, Partnership
    from crm.models.participants import Participant
    from crm.models.users import User
    from crm.models.vacancies import Vacancy

TRAJECTORY_KINDS = ("duaal", "evc")
TRAJECTORY_STATUSES = ("aangemeld", "intake", "gestart", "afgerond", "uitgevallen")
OUTCOMES = ("diploma", "certificaat", "ervaringscertificaat")
DROPOUT_REASONS = (
    "ander_werk",
    "werk_beeindigd",
    "opleiding_past_niet",
    "gezondheid",
    "persoonlijke_omstandigheden",
    "verhuisd",
    "overig",
)
INVOLVEMENT_ROLES = ("school", "evc_aanbieder", "kenniscentrum", "uwv", "gemeente", "overig")


class ProgrammePeriod(Base):
    """A programme period (e.g. "2025-2026") that ambitions and results are reported on."""

    __tablename__ = "programme_period"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="ends_after_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]


class Ambition(TimestampMixin, Base):
    __tablename__ = "ambition"
    __table_args__ = (
        one_of("kind", TRAJECTORY_KINDS),
        CheckConstraint("target >= 0", name="target_not_negative"),
        UniqueConstraint("partnership_id", "period_id", "kind", name="uq_ambition_partnership_period_kind"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnership.id"))
    period_id: Mapped[int] = mapped_column(ForeignKey("programme_period.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    target: Mapped[int]

    partnership: Mapped[Partnership] = relationship()
    period: Mapped[ProgrammePeriod] = relationship()


class Trajectory(TimestampMixin, Base):
    __tablename__ = "trajectory"
    __table_args__ = (
        one_of("kind", TRAJECTORY_KINDS),
        one_of("status", TRAJECTORY_STATUSES),
        one_of_or_null("outcome", OUTCOMES),
        one_of_or_null("dropout_reason", DROPOUT_REASONS),
        CheckConstraint("kind = 'evc' OR employer_id IS NOT NULL", name="duaal_has_employer"),
        CheckConstraint("status <> 'afgerond' OR outcome IS NOT NULL", name="afgerond_has_outcome"),
        CheckConstraint("status <> 'uitgevallen' OR dropout_reason IS NOT NULL", name="uitgevallen_has_reason"),
        CheckConstraint(
            "status NOT IN ('gestart', 'afgerond') OR actual_start IS NOT NULL", name="started_has_start_date"
        ),
        CheckConstraint("guidance_hours IS NULL OR guidance_hours >= 0", name="guidance_hours_not_negative"),
        Index("ix_trajectory_partnership_kind_start", "partnership_id", "kind", "actual_start"),
        Index("ix_trajectory_partnership_status", "partnership_id", "status"),
        # Covers the pipeline's grouped counts and drill-downs (crm.services.pipeline).
        Index("ix_trajectory_partnership_participant", "partnership_id", "participant_id"),
        Index("ix_trajectory_kind_status", "kind", "status"),
        Index("ix_trajectory_actual_start", "actual_start"),
        Index("ix_trajectory_pipeline", "partnership_id", "kind", "status", "actual_start", "employer_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employer.id"), index=True)
    vacancy_id: Mapped[int | None] = mapped_column(ForeignKey("vacancy.id"), index=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnership.id"))
    period_id: Mapped[int | None] = mapped_column(ForeignKey("programme_period.id"), index=True)
    regeling: Mapped[str] = mapped_column(String(200), default="")
    qualification_name: Mapped[str] = mapped_column(String(200), default="")
    crebo: Mapped[str | None] = mapped_column(String(5))
    planned_start: Mapped[date | None]
    planned_end: Mapped[date | None]
    actual_start: Mapped[date | None]
    actual_end: Mapped[date | None]
    guidance_hours: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(15), default="aangemeld")
    outcome: Mapped[str | None] = mapped_column(String(25))
    dropout_reason: Mapped[str | None] = mapped_column(String(30))
    dropout_text: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    version: Mapped[int] = mapped_column(default=1)

    participant: Mapped[Participant] = relationship()
    employer: Mapped[Employer | None] = relationship()
    vacancy: Mapped[Vacancy | None] = relationship()
    partnership: Mapped[Partnership] = relationship()
    period: Mapped[ProgrammePeriod | None] = relationship()
    involvements: Mapped[list[TrajectoryOrganisation]] = relationship(
        back_populates="trajectory", cascade="all, delete-orphan"
    )
    status_changes: Mapped[list[TrajectoryStatusChange]] = relationship(
        back_populates="trajectory", order_by="TrajectoryStatusChange.changed_at.desc()"
    )

    __mapper_args__ = {"version_id_col": version}


class TrajectoryOrganisation(Base):
    """An organisation involved in a trajectory, in a role (school, EVC provider, ...)."""

    __tablename__ = "trajectory_organisation"
    __table_args__ = (one_of("role", INVOLVEMENT_ROLES),)
    trajectory_id: Mapped[int] = mapped_column(ForeignKey("trajectory.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    trajectory: Mapped[Trajectory] = relationship(back_populates="involvements")
    organisation: Mapped[Organisation] = relationship()


class TrajectoryStatusChange(Base):
    __tablename__ = "trajectory_status_change"
    __table_args__ = (
        one_of("to_status", TRAJECTORY_STATUSES),
        one_of_or_null("from_status", TRAJECTORY_STATUSES),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    trajectory_id: Mapped[int] = mapped_column(ForeignKey("trajectory.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(15))
    to_status: Mapped[str] = mapped_column(String(15))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")

    trajectory: Mapped[Trajectory] = relationship(back_populates="status_changes")
    changed_by: Mapped[User | None] = relationship()
