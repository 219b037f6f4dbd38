"""Users of the CRM. Every user belongs to exactly one organisation."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, TimestampMixin, one_of

if TYPE_CHECKING:
    from crm.models.organisations import Organisation

ROLES = ("admin", "coordinator", "accountmanager", "partner")
LOCALES = ("nl", "en")


class User(UserMixin, TimestampMixin, Base):
    __tablename__ = "user"
    __table_args__ = (one_of("role", ROLES), one_of("locale", LOCALES))
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(30), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(2), default="nl")
    # Bumped on logout and password change: older session cookies stop loading the user.
    session_version: Mapped[int] = mapped_column(default=1)
    # Optimistic locking of edits of the account (admin) and of the profile, not of sign-ins
    # (which stamp ``last_login_at``): so not a version_id_col. See crm.services.accounts.
    edit_version: Mapped[int] = mapped_column(default=1, server_default="1")
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    notify_digest: Mapped[bool] = mapped_column(default=True)
    notify_reminders: Mapped[bool] = mapped_column(default=True)
    ical_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Two-factor sign-in (TOTP, RFC 6238): the shared secret, and when it was confirmed.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(back_populates="users")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return self.active
