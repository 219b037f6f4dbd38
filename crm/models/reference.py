"""Reference lists shipped with the CRM: labour-market regions, municipalities, SBI sections."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base


class Region(Base):
    """An arbeidsmarktregio (Besluit werkgebieden UWV 2015)."""

    __tablename__ = "region"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    municipalities: Mapped[list[Municipality]] = relationship(back_populates="region", order_by="Municipality.name")


class Municipality(Base):
    __tablename__ = "municipality"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    region: Mapped[Region] = relationship(back_populates="municipalities")


class SbiSection(Base):
    """A section (A-U) of the Standaard Bedrijfsindeling 2008 and its two-digit divisions."""

    __tablename__ = "sbi_section"
    code: Mapped[str] = mapped_column(String(1), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    division_from: Mapped[int]
    division_to: Mapped[int]
