"""Outgoing e-mail, one row per message that must be sent exactly once.

The ``key`` names what the message is for (e.g. ``due:42`` for follow-up 42 falling due,
``digest:7:2026-11-27`` for user 7's digest of that day). It is unique: a second beat, a retry
or a redelivered task can never create a second message for the same thing. A row is marked
``sent`` in the transaction that holds its lock while the mail goes out.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, one_of, utcnow

if TYPE_CHECKING:
    from crm.models.users import User

DELIVERY_KINDS = ("due", "overdue", "digest", "partner_contacts")
DELIVERY_STATUSES = ("pending", "sent", "failed", "skipped")


class Delivery(Base):
    __tablename__ = "delivery"
    __table_args__ = (
        one_of("kind", DELIVERY_KINDS),
        one_of("status", DELIVERY_STATUSES),
        Index("ix_delivery_status_next_attempt", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    follow_up_id: Mapped[int | None] = mapped_column(ForeignKey("follow_up.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    recipient: Mapped[User] = relationship()
