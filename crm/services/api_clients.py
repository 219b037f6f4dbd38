"""API clients: make one (the token is returned once), revoke it, and recognise a token.

The token is ``wgcrm_`` followed by 43 random URL-safe characters (256 bits). Only its
SHA-256 is stored (a token is random, not a password: no slow hash is needed, and a lookup by
hash is one index probe); the page shows the prefix (``wgcrm_`` and the first six characters)
so people can tell their tokens apart. The client acts as its principal, a service-account
user of its organisation (see crm.models.api_clients), so every rule and audit of the services
applies to it unchanged.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from crm import permissions
from crm.extensions import db
from crm.models import ApiClient, Organisation, User
from crm.models.api_clients import CLIENT_ROLES, SCOPES, TOKEN_PREFIX
from crm.models.base import utcnow
from crm.services.audit import audit
from crm.services.errors import ServiceError
from crm.services.validation import no_bidi_controls

# A client's last use is written at most this often (not on every request).
LAST_USED_EVERY = timedelta(minutes=1)
# Unusable as an argon2 hash: the principal can never sign in with a password.
NO_PASSWORD = "!api-client"  # noqa: S105  (deliberately no valid hash)


@dataclass
class ClientData:
    name: str
    scopes: list[str]
    expires_at: datetime
    role: str = "partner"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_client(actor: User, organisation: Organisation, data: ClientData) -> tuple[ApiClient, str]:
    """Make a client and its principal; returns the client and the token (shown once)."""
    permissions.require(permissions.can_manage_api_clients(actor, organisation))
    name = data.name.strip()
    no_bidi_controls(name)
    if not name:
        raise ServiceError(_("Geef de koppeling een naam."))
    unknown = sorted(set(data.scopes) - set(SCOPES))
    if unknown or not data.scopes:
        raise ServiceError(_("Kies een of meer geldige rechten."))
    if data.role not in CLIENT_ROLES:
        raise ServiceError(_("Kies een geldige rol."))
    if data.expires_at <= utcnow():
        raise ServiceError(_("De vervaldatum moet in de toekomst liggen."))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    principal = User(
        email=f"api-{secrets.token_hex(8)}@api.invalid",
        name=f"API: {name}"[:200],
        password_hash=NO_PASSWORD,
        role=data.role,
        organisation_id=organisation.id,
        notify_digest=False,
        notify_reminders=False,
        is_service_account=True,
    )
    db.session.add(principal)
    db.session.flush()
    client = ApiClient(
        organisation_id=organisation.id,
        name=name,
        role=data.role,
        scopes=" ".join(s for s in SCOPES if s in data.scopes),
        user_id=principal.id,
        token_prefix=token[: len(TOKEN_PREFIX) + 6],
        token_hash=hash_token(token),
        created_by_id=actor.id,
        expires_at=data.expires_at,
    )
    db.session.add(client)
    db.session.flush()
    audit(
        actor,
        "create",
        client,
        summary=f"API-koppeling {name} ({organisation.name})",
        changes={"scopes": [None, client.scopes], "role": [None, client.role]},
    )
    return client, token


def revoke_client(actor: User, client: ApiClient) -> None:
    """Revoke at once: the token stops working and the principal is deactivated."""
    permissions.require(permissions.can_manage_api_clients(actor, client.organisation))
    if client.revoked_at is not None:
        return
    client.revoked_at = utcnow()
    client.revoked_by_id = actor.id
    client.user.active = False
    audit(actor, "revoke", client, summary=f"API-koppeling {client.name} ingetrokken")
    db.session.flush()


def clients_for(actor: User) -> list[ApiClient]:
    return list(
        db.session.scalars(
            select(ApiClient)
            .where(permissions.visible_api_clients_clause(actor))
            .order_by(ApiClient.revoked_at.is_not(None), ApiClient.name, ApiClient.id)
        )
    )


def authenticate(token: str, *, now: datetime | None = None) -> ApiClient | None:
    """The live client this token belongs to, or None (unknown, revoked, expired). Stamps
    ``last_used_at`` at most once a minute (the caller commits)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    now = now or utcnow()
    client = db.session.scalar(select(ApiClient).where(ApiClient.token_hash == hash_token(token)))
    if client is None or client.revoked_at is not None or client.expires_at <= now:
        return None
    if not client.user.active:
        return None
    if client.last_used_at is None or now - client.last_used_at >= LAST_USED_EVERY:
        db.session.execute(update(ApiClient).where(ApiClient.id == client.id).values(last_used_at=now))
        client.last_used_at = now
    return client
