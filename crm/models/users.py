"""Users of the CRM. Every user belongs to exactly one organisation."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, TimestampMixin, one_of, utcnow

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
    # The TOTP time step (30-second counter) of the last code accepted. A code of that step or
    # an earlier one is refused: each code works once (ASVS 2.8.4). Set by compare-and-set in
    # crm.services.two_factor, so two sessions racing with one code cannot both win.
    totp_last_step: Mapped[int | None]
    # The principal of an API client (crm.models.api_clients): no password, never signs in,
    # never a contactpersoon, gets no mail.
    is_service_account: Mapped[bool] = mapped_column(default=False, server_default=false())

    organisation: Mapped[Organisation] = relationship(back_populates="users")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return self.active


class RecoveryCode(Base):
    """One of a user's single-use recovery codes for two-factor sign-in (a lost phone).

    Only a keyed hash is stored (see crm.services.two_factor); the codes are shown once, when
    made. ``used_at`` is set by compare-and-set when a code signs someone in; a new set replaces
    the old rows."""

    __tablename__ = "recovery_code"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
