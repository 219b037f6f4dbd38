"""Two-factor sign-in done right (ASVS 2.8), through the real sign-in form: each code works
once (also for two sessions racing), recovery codes shown once and each usable once, an admin
can reset a lost second factor (re-authenticated, audited, the user told by e-mail), and the
Logboek says ``login`` only when both steps were passed."""

from __future__ import annotations

import re
import threading
import time

import pyotp
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from crm.extensions import db
from crm.lib import mail
from crm.models import AuditEvent, Organisation, RecoveryCode, User
from crm.models.base import utcnow
from crm.services import two_factor
from tests.conftest import csrf_token, login_as, migrated_app, side_database_url
from tests.factories import PASSWORD, password_hash
from tests.test_mail import Sink, free_port

T0 = 1_800_000_010.0  # a fixed moment for the codes' clock (10 s into a 30-second step)


@pytest.fixture
def clock(monkeypatch):
    """The clock of the TOTP codes alone, set by the test (sessions keep the real time)."""
    now = [T0]
    monkeypatch.setattr(two_factor, "_now", lambda: now[0])
    return now


def code_at(secret: str, moment: float) -> str:
    return pyotp.TOTP(secret).at(moment)


def sign_in(client, email: str, password: str = PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def send_code(client, code: str):
    token = csrf_token(client, "/login/code")
    return client.post("/login/code", data={"code": code, "csrf_token": token})


def log_out(client) -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client, "/profiel")})


def enrol(client, user: User) -> tuple[str, list[str]]:
    """Switch two-factor on through the profile page (at T0); returns the secret and the recovery codes."""
    login_as(client, user)
    client.get("/profiel/tweestaps")
    secret = db.session.scalar(select(User.totp_secret).where(User.id == user.id))
    token = csrf_token(client, "/profiel/tweestaps")
    response = client.post("/profiel/tweestaps", data={"code": code_at(secret, T0), "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Uw herstelcodes" in html
    codes = re.findall(r"<li>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</li>", html)
    log_out(client)
    return secret, codes


def actions(user: User) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "user", AuditEvent.object_id == user.id)
            .order_by(AuditEvent.id)
        )
    )


@pytest.fixture
def anna(factories):
    return factories.UserFactory(email="anna@example.nl", name="Anna de Vries", role="coordinator")


# --- each code works once -------------------------------------------------------------------


def test_a_used_code_does_not_sign_in_a_second_session(app, client, anna, clock):
    secret, _codes = enrol(client, anna)
    clock[0] = T0 + 30  # the next step: the enrolment used the code of T0
    code = code_at(secret, clock[0])
    assert sign_in(client, "anna@example.nl").headers["Location"] == "/login/code"
    assert send_code(client, code).headers["Location"] == "/"
    assert client.get("/").status_code == 200

    clock[0] += 5  # seconds later, another browser with the same code
    other = app.test_client()
    assert sign_in(other, "anna@example.nl").headers["Location"] == "/login/code"
    response = send_code(other, code)
    assert response.status_code == 200
    assert "Deze code is al gebruikt. Elke code werkt één keer" in response.get_data(as_text=True)
    assert other.get("/").status_code == 302  # not signed in
    # An older code that is still within the clock window is refused too.
    assert "al gebruikt" in send_code(other, code_at(secret, T0)).get_data(as_text=True)
    assert other.get("/").status_code == 302
    # The next code works.
    clock[0] = T0 + 60
    assert send_code(other, code_at(secret, clock[0])).headers["Location"] == "/"


def test_the_enrolment_code_cannot_sign_in(client, anna, clock):
    secret, _codes = enrol(client, anna)
    sign_in(client, "anna@example.nl")
    assert "al gebruikt" in send_code(client, code_at(secret, T0)).get_data(as_text=True)
    assert client.get("/").status_code == 302


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    """Its own database with real commits (SQLite file or PostgreSQL side database)."""
    app = migrated_app(side_database_url(tmp_path_factory, "totprace"))
    yield app
    with app.app_context():
        db.engine.dispose()


def test_two_sessions_racing_with_one_code_cannot_both_win(race_app, monkeypatch):
    """Two browsers send the same code at the same moment, each its own request and database
    transaction. On PostgreSQL the compare-and-set UPDATE decides (the second waits for the row
    lock, then finds the step taken); on SQLite the write lock serialises them. Either way one
    is signed in and the other refused."""
    monkeypatch.setattr(two_factor, "_now", lambda: T0)
    secret = pyotp.random_base32()
    with race_app.app_context():
        organisation = Organisation(name="Gemeente Hengelo", kind="gemeente")
        user = User(
            email="bas@example.nl",
            name="Bas Koster",
            role="coordinator",
            organisation=organisation,
            password_hash=password_hash(),
            totp_secret=secret,
            totp_enabled_at=utcnow(),
        )
        db.session.add(user)
        db.session.commit()
        user_id = user.id
        db.session.remove()
    clients = [race_app.test_client(), race_app.test_client()]
    with race_app.app_context():
        for client in clients:
            assert sign_in(client, "bas@example.nl").headers["Location"] == "/login/code"
        tokens = [csrf_token(client, "/login/code") for client in clients]
        db.session.remove()

    barrier = threading.Barrier(2)
    results: list[tuple[int, str]] = []

    def post(client, token) -> None:
        barrier.wait()
        response = client.post("/login/code", data={"code": code_at(secret, T0), "csrf_token": token})
        results.append((response.status_code, response.get_data(as_text=True)))

    threads = [threading.Thread(target=post, args=pair) for pair in zip(clients, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(status for status, _html in results) == [200, 302], results
    refused = next(html for status, html in results if status == 200)
    assert "Deze code is al gebruikt" in refused
    with race_app.app_context():
        logins = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id == user_id, AuditEvent.action == "login")
        ).all()
        assert len(logins) == 1
        assert db.session.get(User, user_id).totp_last_step == int(T0 // 30)
        db.session.remove()


# --- recovery codes -------------------------------------------------------------------------


def test_enrolment_shows_ten_recovery_codes_once_and_stores_them_hashed(client, anna, clock):
    _secret, codes = enrol(client, anna)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == anna.id)).all()
    assert len(stored) == 10
    assert not {c.replace("-", "") for c in codes} & set(stored) and not set(codes) & set(stored)
    login_as(client, anna)
    assert "Ongebruikte herstelcodes: 10." in client.get("/profiel").get_data(as_text=True)
    html = client.get("/profiel/tweestaps").get_data(as_text=True)
    assert "nog 10 ongebruikte herstelcodes" in html
    assert not any(code in html for code in codes)  # never shown again


def test_a_recovery_code_works_once(app, client, anna, clock):
    _secret, codes = enrol(client, anna)
    assert sign_in(client, "anna@example.nl").headers["Location"] == "/login/code"
    response = send_code(client, codes[3].upper().replace("-", " "))  # as typed from paper
    assert response.headers["Location"] == "/"
    assert "nog 9 herstelcodes" in client.get("/").get_data(as_text=True)
    assert "Ongebruikte herstelcodes: 9." in client.get("/profiel").get_data(as_text=True)
    assert actions(anna)[-2:] == ["recovery_code_used", "login"]

    other = app.test_client()
    sign_in(other, "anna@example.nl")
    response = send_code(other, codes[3])
    assert "Deze herstelcode is al gebruikt" in response.get_data(as_text=True)
    assert other.get("/").status_code == 302
    assert "Deze herstelcode klopt niet" in send_code(other, "abcd-efgh-jkmn").get_data(as_text=True)
    assert other.get("/").status_code == 302
    assert send_code(other, codes[4]).headers["Location"] == "/"


def test_new_recovery_codes_need_the_password_again_and_replace_the_old(client, anna, clock):
    _secret, old_codes = enrol(client, anna)
    login_as(client, anna)
    with client.session_transaction() as sess:
        sess["password_at"] = int(time.time()) - 3600  # signed in an hour ago
    token = csrf_token(client, "/profiel/tweestaps")
    response = client.post("/profiel/tweestaps/herstelcodes", data={"csrf_token": token})
    assert response.headers["Location"].startswith("/herbevestigen")
    assert db.session.scalar(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == anna.id)) is not None
    client.post("/herbevestigen", data={"password": PASSWORD, "csrf_token": csrf_token(client, "/herbevestigen")})
    response = client.post("/profiel/tweestaps/herstelcodes", data={"csrf_token": token})
    html = response.get_data(as_text=True)
    assert "Uw vorige herstelcodes werken niet meer" in html
    new_codes = re.findall(r"<li>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</li>", html)
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert "recovery_codes_created" in actions(anna)
    log_out(client)

    sign_in(client, "anna@example.nl")
    assert "Deze herstelcode klopt niet" in send_code(client, old_codes[0]).get_data(as_text=True)
    assert send_code(client, new_codes[0]).headers["Location"] == "/"


# --- the admin resets a lost second factor --------------------------------------------------


@pytest.fixture
def smtp(app):
    """A real SMTP server on loopback (aiosmtpd) receiving the account e-mails."""
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    saved = {key: app.config[key] for key in ("SMTP_HOST", "SMTP_PORT", "MAIL_OUTBOX_DIR")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, MAIL_OUTBOX_DIR=None)
    try:
        yield handler
    finally:
        mail.discard_connection()
        controller.stop()
        app.config.update(saved)


def text_of(message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode("utf-8")


@pytest.fixture
def admin(factories):
    return factories.UserFactory(email="beheer@example.nl", name="Bea Beheer", role="admin")


def test_admin_reset_lets_the_user_in_without_a_code_and_tells_her(app, client, anna, admin, clock, smtp):
    enrol(client, anna)
    phone_lost = app.test_client()  # a session of Anna's from before the reset
    login_as(phone_lost, anna)
    login_as(client, admin)
    assert 'id="two-factor-status">Aan.' in client.get(f"/beheer/gebruikers/{anna.id}").get_data(as_text=True)
    token = csrf_token(client, f"/beheer/gebruikers/{anna.id}")
    response = client.post(f"/beheer/gebruikers/{anna.id}/tweestaps", data={"csrf_token": token})
    assert response.headers["Location"] == f"/beheer/gebruikers/{anna.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "De tweestapsverificatie van Anna de Vries staat uit" in page
    assert 'id="two-factor-status">Uit.' in page

    [message] = smtp.messages
    assert message["To"] == "Anna de Vries <anna@example.nl>"
    assert "tweestapsverificatie is uitgezet" in str(message["Subject"])
    body = text_of(message)
    assert "Bea Beheer, beheerder van Werkgeverscrm, heeft de tweestapsverificatie van uw account uitgezet" in body
    assert "Heeft u hier niet om gevraagd?" in body

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "two_factor_reset"))
    assert (event.actor_id, event.object_id) == (admin.id, anna.id)
    assert db.session.scalar(select(RecoveryCode.id).where(RecoveryCode.user_id == anna.id)) is None
    assert phone_lost.get("/").status_code == 302  # her sessions ended

    log_out(client)
    assert sign_in(client, "anna@example.nl").headers["Location"] == "/"  # the password alone
    assert client.get("/").status_code == 200


def test_after_a_reset_a_role_that_requires_two_factor_enrols_again(app, client, anna, admin, clock, monkeypatch):
    enrol(client, anna)
    login_as(client, admin)
    token = csrf_token(client, f"/beheer/gebruikers/{anna.id}")
    client.post(f"/beheer/gebruikers/{anna.id}/tweestaps", data={"csrf_token": token})
    log_out(client)
    monkeypatch.setitem(app.config, "REQUIRE_2FA_ROLES", ("admin", "coordinator"))
    assert sign_in(client, "anna@example.nl").headers["Location"] == "/"
    response = client.get("/")
    assert response.headers["Location"] == "/profiel/tweestaps"
    assert "verplicht" in client.get("/profiel/tweestaps").get_data(as_text=True)


def test_the_reset_asks_the_admin_for_the_password_again(client, anna, admin, clock):
    enrol(client, anna)
    login_as(client, admin)
    with client.session_transaction() as sess:
        sess["password_at"] = int(time.time()) - 3600
    token = csrf_token(client, "/profiel")
    response = client.post(f"/beheer/gebruikers/{anna.id}/tweestaps", data={"csrf_token": token})
    assert response.headers["Location"].startswith("/herbevestigen")
    db.session.expire_all()
    assert two_factor.is_enabled(db.session.get(User, anna.id))
    assert "two_factor_reset" not in actions(anna)


def test_an_admin_cannot_reset_their_own_second_factor_here(client, admin, clock):
    enrol(client, admin)
    login_as(client, admin)
    token = csrf_token(client, f"/beheer/gebruikers/{admin.id}")
    response = client.post(f"/beheer/gebruikers/{admin.id}/tweestaps", data={"csrf_token": token})
    assert "U kunt uw eigen tweestapsverificatie hier niet herstellen" in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    db.session.expire_all()
    assert two_factor.is_enabled(db.session.get(User, admin.id))


def test_when_the_mail_cannot_be_sent_the_admin_is_told(app, client, anna, admin, clock, monkeypatch):
    enrol(client, anna)
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())  # nobody listens there
    login_as(client, admin)
    token = csrf_token(client, f"/beheer/gebruikers/{anna.id}")
    response = client.post(f"/beheer/gebruikers/{anna.id}/tweestaps", data={"csrf_token": token})
    mail.discard_connection()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "maar de e-mail aan Anna de Vries kon niet worden verstuurd" in page
    assert actions(anna)[-2:] == ["two_factor_reset", "mail_failed"]
    db.session.expire_all()
    assert not two_factor.is_enabled(db.session.get(User, anna.id))


# --- the Logboek: login only after the second factor ----------------------------------------


def test_no_login_event_when_the_code_step_is_abandoned(client, anna, clock):
    secret, _codes = enrol(client, anna)
    before = actions(anna)
    assert sign_in(client, "anna@example.nl").headers["Location"] == "/login/code"
    assert actions(anna)[len(before) :] == ["login_password_ok"]
    assert db.session.get(User, anna.id).last_login_at is None
    send_code(client, "000000")  # a wrong code, then the user walks away
    assert actions(anna)[len(before) :] == ["login_password_ok", "login_failed"]
    assert "login" not in actions(anna)

    clock[0] = T0 + 30
    send_code(client, code_at(secret, clock[0]))
    assert actions(anna)[-1] == "login"
    db.session.expire_all()
    assert db.session.get(User, anna.id).last_login_at is not None


def test_without_two_factor_the_password_is_the_whole_sign_in(client, anna):
    assert sign_in(client, "anna@example.nl").headers["Location"] == "/"
    assert actions(anna) == ["login"]


def test_re_entering_the_password_does_not_reset_the_count_of_wrong_codes(client, anna, clock):
    """Otherwise whoever has the password could guess codes for ever, four at a time. Every
    step without a complete sign-in counts, the right password too (counted before checking)."""
    enrol(client, anna)
    assert sign_in(client, "anna@example.nl").headers["Location"] == "/login/code"  # 1
    assert send_code(client, "000000").status_code == 200  # 2
    assert send_code(client, "111111").status_code == 200  # 3
    assert sign_in(client, "anna@example.nl").headers["Location"] == "/login/code"  # 4
    assert send_code(client, "222222").status_code == 200  # 5
    response = sign_in(client, "anna@example.nl")
    assert response.status_code == 429
    assert "Te veel mislukte pogingen voor dit account" in response.get_data(as_text=True)
