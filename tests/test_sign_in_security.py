"""Sign-in throttling (per account and per IP) and optional two-factor sign-in (TOTP)."""

import time

import pyotp
import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import User
from tests.conftest import csrf_token, login_as
from tests.factories import PASSWORD


def attempt(client, email, password, path="/login"):
    return client.post(path, data={"email": email, "password": password, "csrf_token": csrf_token(client, "/login")})


def test_five_failures_block_the_account_for_a_while(client, factories):
    factories.UserFactory(email="anna@example.nl")
    for _ in range(5):
        assert attempt(client, "anna@example.nl", "fout-wachtwoord").status_code == 200
    response = attempt(client, "anna@example.nl", PASSWORD)  # even the right password waits now
    assert response.status_code == 429
    assert "Te veel mislukte pogingen voor dit account" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_success_resets_the_count(client, factories):
    factories.UserFactory(email="anna@example.nl")
    for _ in range(4):
        attempt(client, "anna@example.nl", "fout-wachtwoord")
    assert attempt(client, "anna@example.nl", PASSWORD).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/profiel")})
    for _ in range(4):
        assert attempt(client, "anna@example.nl", "fout-wachtwoord").status_code == 200
    assert attempt(client, "anna@example.nl", PASSWORD).status_code == 302


def test_per_ip_limit(app, client, factories, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_IP_LIMIT", "3 per 15 minutes")
    for n in range(3):
        attempt(client, f"onbekend{n}@example.nl", "fout-wachtwoord")
    response = attempt(client, "nog-iemand@example.nl", "fout-wachtwoord")
    assert response.status_code == 429 and "Te veel pogingen" in response.get_data(as_text=True)


@pytest.fixture
def enrolled(client, factories):
    user = factories.UserFactory(email="coord@example.nl", role="coordinator")
    login_as(client, user)
    html = client.get("/profiel/tweestaps").get_data(as_text=True)
    assert "<svg" in html
    secret = db.session.scalar(select(User.totp_secret).where(User.id == user.id))
    token = csrf_token(client, "/profiel/tweestaps")
    assert "klopt niet" in client.post("/profiel/tweestaps", data={"code": "000000", "csrf_token": token}).get_data(
        as_text=True
    )
    response = client.post("/profiel/tweestaps", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
    assert response.status_code == 200 and "Uw herstelcodes" in response.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/profiel")})
    return user, secret


def test_two_factor_sign_in(client, enrolled):
    _user, secret = enrolled
    response = attempt(client, "coord@example.nl", PASSWORD)
    assert response.headers["Location"] == "/login/code"
    assert client.get("/").status_code == 302  # not signed in yet
    token = csrf_token(client, "/login/code")
    assert "klopt niet" in client.post("/login/code", data={"code": "123456", "csrf_token": token}).get_data(
        as_text=True
    )
    # The code of the next time step: the current one was used up by the enrolment (each code works once).
    response = client.post("/login/code", data={"code": pyotp.TOTP(secret).at(time.time() + 30), "csrf_token": token})
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_required_roles_must_enrol(app, client, factories, monkeypatch):
    monkeypatch.setitem(app.config, "REQUIRE_2FA_ROLES", ("admin", "coordinator"))
    login_as(client, factories.UserFactory(role="coordinator"))
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/profiel/tweestaps"
    assert "verplicht" in client.get("/profiel/tweestaps").get_data(as_text=True)
    login_as(client, factories.UserFactory(role="accountmanager"))
    assert client.get("/").status_code == 200
