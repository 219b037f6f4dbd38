"""The Koppelingen page: an organisation's admin or coordinator makes an API client (the
token is shown once), sees when each was last used, and revokes one after confirming."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import ApiClient, User
from tests.api_support import bearer
from tests.conftest import csrf_token, login_as

TOKEN = re.compile(r"wgcrm_[A-Za-z0-9_\-]{43}")


@pytest.fixture
def org(factories):
    return factories.OrganisationFactory(name="Gemeente Almelo (koppelingen)")


@pytest.fixture
def coordinator(factories, org):
    return factories.UserFactory(role="coordinator", organisation=org, name="Coördinator Carla")


def make_on_page(client, user, **fields) -> str:
    login_as(client, user)
    token = csrf_token(client, "/koppelingen")
    data = {
        "csrf_token": token,
        "name": "Zaaksysteem",
        "organisation_id": str(user.organisation_id),
        "role": "partner",
        "scopes": ["employers:read", "contacts:write"],
        "expires_on": "2099-01-01",
        **fields,
    }
    return html.unescape(client.post("/koppelingen", data=data).get_data(as_text=True))


def test_a_coordinator_makes_a_client_and_sees_the_token_once(client, coordinator):
    page = make_on_page(client, coordinator)
    tokens = TOKEN.findall(page)
    assert len(tokens) == 1
    assert "Kopieer het token nu" in page
    stored = db.session.scalar(select(ApiClient))
    assert stored.token_hash != tokens[0] and tokens[0] not in stored.token_hash
    assert stored.scopes == "employers:read contacts:write"
    again = html.unescape(client.get("/koppelingen").get_data(as_text=True))
    assert not TOKEN.search(again)
    assert stored.token_prefix in again and "nooit" in again
    assert client.get("/api/v1/employers", headers=bearer(tokens[0])).status_code == 200
    assert "nooit" not in html.unescape(client.get("/koppelingen").get_data(as_text=True))


def test_revoking_asks_first_then_the_token_stops_working(client, coordinator):
    token = TOKEN.search(make_on_page(client, coordinator)).group(0)
    stored = db.session.scalar(select(ApiClient))
    confirm = client.get(f"/koppelingen/{stored.id}/intrekken").get_data(as_text=True)
    assert "intrekken?" in confirm and stored.token_prefix in confirm
    assert db.session.get(ApiClient, stored.id).revoked_at is None  # not by looking
    response = client.post(
        f"/koppelingen/{stored.id}/intrekken", data={"csrf_token": csrf_token(client, "/koppelingen")}
    )
    assert response.status_code == 302
    assert client.get("/api/v1/employers", headers=bearer(token)).status_code == 401


def test_a_coordinator_of_another_organisation_does_not_see_it(client, coordinator, factories):
    make_on_page(client, coordinator)
    stored = db.session.scalar(select(ApiClient))
    other = factories.UserFactory(role="coordinator", name="Andere Coördinator")
    login_as(client, other)
    assert "Zaaksysteem" not in client.get("/koppelingen").get_data(as_text=True)
    assert client.get(f"/koppelingen/{stored.id}/intrekken").status_code == 404


def test_an_accountmanager_may_not_make_clients(client, factories, org):
    login_as(client, factories.UserFactory(role="accountmanager", organisation=org))
    assert client.get("/koppelingen").status_code == 403


def test_the_principal_cannot_sign_in_nor_be_a_contactpersoon(client, coordinator, factories):
    make_on_page(client, coordinator, role="accountmanager")
    principal = db.session.scalar(select(User).where(User.is_service_account.is_(True)))
    assert principal.name == "API: Zaaksysteem"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/profiel")})
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"csrf_token": token, "email": principal.email, "password": "!api-client"})
    assert "/login" in response.headers.get("Location", "/login")
    login_as(client, factories.UserFactory(role="accountmanager", organisation=coordinator.organisation))
    assert "API: Zaaksysteem" not in client.get("/werkgevers/nieuw").get_data(as_text=True)
