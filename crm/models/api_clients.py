"""API clients: a partner organisation's own system, reaching the CRM through ``/api/v1``.

A client is made by an admin (or a coordinator, for their own organisation) with scopes and an
expiry. Its token is shown once; only a hash is stored, with a short recognisable prefix for
the page (``wgcrm_``, so secret scanners find a leaked token).

A request with the token acts as the client's **principal**: a user row of the client's
organisation (``user``, with ``is_service_account``), with the role chosen when the client was
made (partner or accountmanager). So crm/permissions.py judges an API request exactly as it
judges that organisation's user in the browser, and every write the services audit carries the
principal as the actor: the Logboek names it "API: <client name>". The principal cannot sign
in (it has no password) and is never a contactpersoon or a recipient of mail.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, one_of, utcnow

if TYPE_CHECKING:
    from crm.models.organisations import Organisation
    from crm.models.users import User

# The scopes a client can be given. trajectories:read (personal data) is off by default.
SCOPES = (
    "employers:read",
    "employers:write",
    "contacts:write",
    "followups:write",
    "vacancies:write",
    "trajectories:read",
)
DEFAULT_SCOPES = ("employers:read", "employers:write", "contacts:write", "followups:write", "vacancies:write")
# The role the client's principal acts with (never admin or coordinator: no steering by machine).
CLIENT_ROLES = ("partner", "accountmanager")
TOKEN_PREFIX = "wgcrm_"  # noqa: S105  (a prefix, not a secret)


class ApiClient(Base):
    __tablename__ = "api_client"
    __table_args__ = (one_of("role", CLIENT_ROLES, name="api_client_role_allowed"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20), default="partner")
    # Space-separated, from SCOPES (checked by the service that makes the client).
    scopes: Mapped[str] = mapped_column(String(300), default="")
    # The principal the client acts as (see the module docstring).
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), unique=True)
    # What the page shows of the token (``wgcrm_`` and the first characters), and its SHA-256.
    token_prefix: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    last_used_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def has_scope(self, scope: str) -> bool:
        return scope in self.scope_list
