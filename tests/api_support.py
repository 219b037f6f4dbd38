"""Helpers for the API tests: make a client and its token, send requests with it."""

from __future__ import annotations

from datetime import timedelta

from crm.extensions import db
from crm.models.api_clients import SCOPES
from crm.models.base import utcnow
from crm.services.api_clients import ClientData, create_client


def make_client(admin, organisation, *, scopes=SCOPES, role="accountmanager", name="Eigen systeem", days=30):
    """A client of ``organisation`` made by ``admin`` (committed); returns (client, token)."""
    client, token = create_client(
        admin,
        organisation,
        ClientData(name=name, scopes=list(scopes), expires_at=utcnow() + timedelta(days=days), role=role),
    )
    db.session.commit()
    return client, token


def bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}
