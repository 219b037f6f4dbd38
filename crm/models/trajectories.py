"""Learn-work trajectories (duaal, EVC), the organisations involved, ambitions and periods."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from itertools import chain
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    Connection,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    event,
    inspect,
    literal,
    select,
)
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Mapped, Session, attributes, mapped_column, relationship
from sqlalchemy.orm.util import identity_key

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
    version: Mapped[int] = mapped_column(default=1, server_default="1")  # optimistic locking

    __mapper_args__ = {"version_id_col": version}


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
        Index("ix_trajectory_created_at", "created_at"),  # the period filter's edges (crm.models.tallies)
        Index(
            "ix_trajectory_pipeline",
            *(
                "partnership_id",
                "kind",
                "status",
                "actual_start",
                "employer_id",
                "involvement_key",
                "participant_id",
                "created_at",
            ),
        ),
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
    # Derived from the involvements, kept by ``_keep_involvement_keys`` below: "3:school,7:uwv".
    # The pipeline counts per organisation by grouping on it instead of joining every
    # involvement row (crm.services.pipeline).
    involvement_key: Mapped[str] = mapped_column(Text, default="", server_default="")

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
    __table_args__ = (
        one_of("role", INVOLVEMENT_ROLES),
        # "the trajectories organisation X is involved in" (a coordinator's or partner's
        # visibility clause) reads only this index, never the rows
        Index("ix_trajectory_organisation_organisation", "organisation_id", "trajectory_id"),
    )
    trajectory_id: Mapped[int] = mapped_column(ForeignKey("trajectory.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    trajectory: Mapped[Trajectory] = relationship(back_populates="involvements")
    organisation: Mapped[Organisation] = relationship()


def organisation_roles_key(involvements: Iterable[tuple[int, str]]) -> str:
    """A trajectory's ``involvement_key``: the canonical text of a set of ``(organisation id, role)``
    pairs, "3:school,7:uwv"."""
    return ",".join(f"{organisation_id}:{role}" for organisation_id, role in sorted(set(involvements)))


def parse_involvement_key(key: str) -> list[tuple[int, str]]:
    pairs = []
    for part in filter(None, key.split(",")):
        organisation_id, role = part.split(":", 1)
        pairs.append((int(organisation_id), role))
    return pairs


def involves(organisation_id: int, role: str | None = None, *, key=None) -> ColumnElement[bool]:
    """SQL: the trajectory involves the organisation (in that role), read from the key:
    ",3:school,7:uwv," contains ",3:" (or ",3:school,"). No join of the involvement rows.
    ``key``: another column holding such a key (the tally's), by default the trajectory's."""
    pair = f",{organisation_id}:" if role is None else f",{organisation_id}:{role},"
    column = Trajectory.involvement_key if key is None else key
    return (literal(",") + column + literal(",")).contains(pair, autoescape=True)


def write_involvement_keys(connection: Connection, trajectory_ids: Iterable[int]) -> dict[int, str]:
    """Recompute ``trajectory.involvement_key`` of these trajectories from their involvements.
    On PostgreSQL the trajectory rows are locked first, so two transactions changing the same
    trajectory's organisations at once read each other's committed rows, not a stale set."""
    ids = sorted(set(trajectory_ids))
    involved: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        if connection.dialect.name == "postgresql":
            connection.execute(select(Trajectory.id).where(Trajectory.id.in_(chunk)).with_for_update())
        rows = connection.execute(
            select(
                TrajectoryOrganisation.trajectory_id,
                TrajectoryOrganisation.organisation_id,
                TrajectoryOrganisation.role,
            ).where(TrajectoryOrganisation.trajectory_id.in_(chunk))
        )
        for trajectory_id, organisation_id, role in rows:
            involved[trajectory_id].append((organisation_id, role))
    keys = {trajectory_id: organisation_roles_key(involved[trajectory_id]) for trajectory_id in ids}
    if keys:
        connection.execute(
            sql_update(Trajectory)
            .where(Trajectory.id == bindparam("trajectory_id"))
            .values(involvement_key=bindparam("key")),
            [{"trajectory_id": trajectory_id, "key": key} for trajectory_id, key in keys.items()],
        )
    return keys


@event.listens_for(Session, "after_flush")
def _keep_involvement_keys(session: Session, _flush_context) -> None:
    """Whatever path adds or removes an involvement (the trajectory service, a test factory, a
    delete-orphan cascade), the trajectory's ``involvement_key`` follows in the same transaction.
    A Core UPDATE: a derived column is not an edit, so the trajectory's version stays."""
    touched: set[int] = set()
    for obj in chain(session.new, session.deleted):
        if isinstance(obj, TrajectoryOrganisation) and obj.trajectory_id is not None:
            touched.add(obj.trajectory_id)
    for obj in chain(session.new, session.dirty):
        if (
            isinstance(obj, Trajectory)
            and obj.id is not None
            and obj not in session.deleted
            and (obj in session.new or inspect(obj).attrs.involvements.history.has_changes())  # loads nothing
        ):
            touched.add(obj.id)
    if not touched:
        return
    session.info.setdefault("involvement_keys", {}).update(write_involvement_keys(session.connection(), touched))


@event.listens_for(Session, "after_flush_postexec")
def _show_involvement_keys(session: Session, _flush_context) -> None:
    """The written keys on the objects in the session (after the flush has settled their state)."""
    for trajectory_id, key in session.info.pop("involvement_keys", {}).items():
        trajectory = session.identity_map.get(identity_key(Trajectory, trajectory_id))
        if trajectory is not None:
            attributes.set_committed_value(trajectory, "involvement_key", key)


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
