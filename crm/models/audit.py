"""The audit trail (logboek). Append-only: the application never updates or deletes rows.

``txid`` orders the change feed (crm.services.change_feed). On PostgreSQL the database fills it
with the writing transaction's id (a server default set by the migration), because ids from a
sequence are handed out at insert, not at commit: an event with a lower id can become visible
after one with a higher id, and a reader that only followed ``id`` would skip it for good.
SQLite has one writer at a time, so there ``id`` is already commit order and ``txid`` stays 0.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.models.base import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_object", "object_type", "object_id"),
        Index("ix_audit_event_txid_id", "txid", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[dict | None] = mapped_column(JSON)
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    # PostgreSQL: pg_current_xact_id() of the writing transaction (the migration's default).
    txid: Mapped[int] = mapped_column(BigInteger, server_default="0")
