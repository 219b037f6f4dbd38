"""Sign-in, sign-out, sessions and passwords."""

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import AuditEvent
from tests.conftest import csrf_token, login_as
from tests.factories import PASSWORD


def sign_in(client, email, password=PASSWORD, next_=None):
    token = csrf_token(client, "/login")
    url = "/login" + (f"?next={next_}" if next_ else "")
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


def test_login_page_is_dutch(client):
    html = client.get("/login").get_data(as_text=True)
    assert "Aanmelden" in html and "Wachtwoord" in html


def test_anonymous_user_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_sign_in_with_correct_password(client, factories):
    user = factories.UserFactory(email="anna@example.nl")
    response = sign_in(client, "Anna@Example.nl ")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Mijn werkvoorraad" in client.get("/").get_data(as_text=True)
    assert user.last_login_at is not None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "login", AuditEvent.actor_id == user.id))


def test_wrong_password_gives_dutch_message_and_audit(client, factories):
    factories.UserFactory(email="anna@example.nl")
    response = sign_in(client, "anna@example.nl", "verkeerd-wachtwoord")
    assert response.status_code == 200
    assert "Onbekend e-mailadres of onjuist wachtwoord." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "login_failed"))


def test_unknown_email_gives_the_same_message(client):
    response = sign_in(client, "niemand@example.nl")
    assert "Onbekend e-mailadres of onjuist wachtwoord." in response.get_data(as_text=True)


def test_inactive_user_cannot_sign_in(client, factories):
    factories.UserFactory(email="weg@example.nl", active=False)
    response = sign_in(client, "weg@example.nl")
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_login_without_csrf_token_is_refused(client, factories):
    factories.UserFactory(email="anna@example.nl")
    response = client.post("/login", data={"email": "anna@example.nl", "password": PASSWORD})
    assert response.status_code == 400
    assert "Formulier verlopen" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_next_accepts_local_paths_only(client, factories):
    factories.UserFactory(email="anna@example.nl")
    assert sign_in(client, "anna@example.nl", next_="/profiel").headers["Location"] == "/profiel"
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        client.post("/logout", data={"csrf_token": csrf_token(client, "/profiel")})
        assert sign_in(client, "anna@example.nl", next_=evil).headers["Location"] == "/", evil


def test_login_starts_a_fresh_session(client, factories):
    factories.UserFactory(email="anna@example.nl")
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    sign_in(client, "anna@example.nl")
    with client.session_transaction() as sess:
        assert "planted" not in sess


def test_logout_makes_the_old_cookie_useless(app, client, factories):
    user = factories.UserFactory(email="anna@example.nl")
    sign_in(client, "anna@example.nl")
    stolen = client.get_cookie("session").value
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/profiel")})
    assert response.status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/").status_code == 302  # back to the login page
    assert user.session_version == 2


def test_logout_needs_post(client, factories):
    login_as(client, factories.UserFactory())
    assert client.get("/logout").status_code == 405


def test_password_is_hashed_with_argon2id(factories):
    user = factories.UserFactory()
    assert user.password_hash.startswith("$argon2id$")


def test_change_password_ends_other_sessions(app, client, factories):
    user = factories.UserFactory(email="anna@example.nl")
    other = app.test_client()
    sign_in(other, "anna@example.nl")
    sign_in(client, "anna@example.nl")
    token = csrf_token(client, "/profiel")
    response = client.post(
        "/profiel",
        data={
            "_form": "pw",
            "pw-current": PASSWORD,
            "pw-new": "een nieuw lang wachtwoord",
            "pw-repeat": "een nieuw lang wachtwoord",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert "Uw wachtwoord is gewijzigd" in client.get("/profiel").get_data(as_text=True)
    assert other.get("/").status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/profiel")})
    assert sign_in(client, "anna@example.nl", "een nieuw lang wachtwoord").headers["Location"] == "/"
    assert user.password_changed_at is not None


def test_change_password_refuses_weak_or_wrong(client, factories):
    user = factories.UserFactory(email="anna@example.nl")
    login_as(client, user)
    token = csrf_token(client, "/profiel")
    html = client.post(
        "/profiel",
        data={"_form": "pw", "pw-current": PASSWORD, "pw-new": "kort", "pw-repeat": "kort", "csrf_token": token},
    ).get_data(as_text=True)
    assert "minstens 12 tekens" in html
    html = client.post(
        "/profiel",
        data={
            "_form": "pw",
            "pw-current": "fout-fout-fout",
            "pw-new": "een nieuw lang wachtwoord",
            "pw-repeat": "een nieuw lang wachtwoord",
            "csrf_token": token,
        },
    ).get_data(as_text=True)
    assert "Het huidige wachtwoord klopt niet." in html
    assert user.session_version == 1


def test_preferences_switch_language_to_english(client, factories):
    user = factories.UserFactory()
    login_as(client, user)
    token = csrf_token(client, "/profiel")
    response = client.post(
        "/profiel", data={"_form": "prefs", "prefs-locale": "en", "prefs-phone": "053 481 2000", "csrf_token": token}
    )
    assert response.status_code == 302
    assert user.locale == "en" and user.notify_digest is False
    assert "My worklist" in client.get("/").get_data(as_text=True)


def test_preferences_refuse_bad_phone(client, factories):
    user = factories.UserFactory()
    login_as(client, user)
    token = csrf_token(client, "/profiel")
    html = client.post(
        "/profiel", data={"_form": "prefs", "prefs-locale": "nl", "prefs-phone": "<script>", "csrf_token": token}
    ).get_data(as_text=True)
    assert "Vul een geldig telefoonnummer in" in html
    assert user.phone == ""


@pytest.mark.parametrize(("minutes", "said"), [(30, "meer dan 30 minuten geleden"), (1, "meer dan 1 minuut geleden")])
def test_password_confirmation_page_states_the_configured_time(app, client, factories, monkeypatch, minutes, said):
    monkeypatch.setitem(app.config, "REAUTH_MINUTES", minutes)
    login_as(client, factories.UserFactory())
    html = client.get("/herbevestigen").get_data(as_text=True)
    assert said in html
    assert "kwartier" not in html
