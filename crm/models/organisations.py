"""Partner organisations and the partnerships (samenwerkingsverbanden) they form."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, TimestampMixin, one_of

if TYPE_CHECKING:
    from crm.models.reference import Region
    from crm.models.users import User

ORGANISATION_KINDS = (
    "uwv",
    "gemeente",
    "roc",
    "kenniscentrum",
    "uitzendbureau",
    "reintegratie",
    "evc_aanbieder",
    "branche",
    "overig",
)
PARTNERSHIP_SCOPES = ("regionaal", "sectoraal", "landelijk")

partnership_member = Table(
    "partnership_member",
    Base.metadata,
    Column("partnership_id", ForeignKey("partnership.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Organisation(TimestampMixin, Base):
    __tablename__ = "organisation"
    __table_args__ = (one_of("kind", ORGANISATION_KINDS),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")  # optimistic locking
    users: Mapped[list[User]] = relationship(back_populates="organisation", order_by="User.name")
    partnerships: Mapped[list[Partnership]] = relationship(
        secondary=partnership_member, back_populates="members", order_by="Partnership.name"
    )

    __mapper_args__ = {"version_id_col": version}


class Partnership(TimestampMixin, Base):
    __tablename__ = "partnership"
    __table_args__ = (one_of("scope", PARTNERSHIP_SCOPES),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    scope: Mapped[str] = mapped_column(String(20))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")  # optimistic locking
    region: Mapped[Region | None] = relationship()
    members: Mapped[list[Organisation]] = relationship(
        secondary=partnership_member, back_populates="partnerships", order_by="Organisation.name"
    )

    __mapper_args__ = {"version_id_col": version}
