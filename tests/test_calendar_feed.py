"""The personal iCal feed: made and revoked from the profile page, fetched without signing in,
valid RFC 5545 that the ``icalendar`` package parses."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from crm.extensions import db
from crm.models import AuditEvent
from crm.services import accounts
from crm.services.calendar_feed import fold
from tests.conftest import csrf_token, login_as


@pytest.fixture
def owner(factories):
    return factories.UserFactory(name="Anouk de Vries")


def feed_path(user) -> str:
    return f"/agenda/{user.ical_token}.ics"


def test_profile_makes_a_link_and_shows_it(client, owner):
    login_as(client, owner)
    html = client.get("/profiel").get_data(as_text=True)
    assert "Agenda-link maken" in html and ".ics" not in html

    token = csrf_token(client, "/profiel")
    response = client.post("/profiel/agenda/nieuw", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.refresh(owner)
    assert owner.ical_token and len(owner.ical_token) >= 43
    html = client.get("/profiel").get_data(as_text=True)
    assert f"http://127.0.0.1:5000/agenda/{owner.ical_token}.ics" in html
    assert "Nieuwe link maken" in html and "Link intrekken" in html
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "ical_token_created", AuditEvent.object_id == owner.id)
    )


def test_making_or_revoking_needs_the_csrf_token(client, owner):
    login_as(client, owner)
    assert client.post("/profiel/agenda/nieuw").status_code == 400
    db.session.refresh(owner)
    assert owner.ical_token is None


def test_making_a_link_needs_sign_in(client):
    """With a valid CSRF token (so the refusal is the sign-in's, not the token's)."""
    token = csrf_token(client, "/login")
    response = client.post("/profiel/agenda/nieuw", data={"csrf_token": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_feed_has_the_open_follow_ups_as_all_day_events(client, owner, factories):
    employer = factories.EmployerFactory(name="Zorggroep Twente, locatie Hengelo; west")
    open_ = factories.FollowUpFactory(
        owner=owner, employer=employer, due_date=date(2026, 12, 3), subject="Intake BBL-plekken verzorgende IG"
    )
    later = factories.FollowUpFactory(owner=owner, employer=employer, due_date=date(2027, 1, 12), subject="Evaluatie")
    done = factories.FollowUpFactory(owner=owner, due_date=date(2026, 12, 1), subject="Al gedaan")
    done.status, done.done_at = "afgerond", done.created_at
    factories.FollowUpFactory(due_date=date(2026, 12, 1), subject="Van een ander")
    accounts.regenerate_ical_token(owner)
    db.session.commit()

    response = client.get(feed_path(owner))  # no sign-in: calendar apps fetch it

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response.headers["Cache-Control"] and "private" in response.headers["Cache-Control"]
    raw = response.get_data()
    assert raw.endswith(b"\r\n")
    lines = raw.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)  # CRLF only
    assert all(len(line) <= 75 for line in lines)  # folded at 75 octets

    calendar = Calendar.from_ical(raw)
    events = sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("DTSTART"))
    assert [str(e["UID"]) for e in events] == [
        f"followup-{open_.id}@werkgeverscrm.local",
        f"followup-{later.id}@werkgeverscrm.local",
    ]
    first = events[0]
    assert first.decoded("DTSTART") == date(2026, 12, 3)  # all-day: a DATE, not a DATE-TIME
    assert first["DTSTART"].params.get("VALUE") == "DATE"
    assert first.decoded("DTEND") == date(2026, 12, 4)
    assert first.decoded("DTSTAMP").tzinfo is not None
    assert str(first["SUMMARY"]) == "Intake BBL-plekken verzorgende IG – Zorggroep Twente, locatie Hengelo; west"
    link = f"http://127.0.0.1:5000/werkgevers/{employer.id}"
    assert str(first["URL"]) == link
    assert link in str(first["DESCRIPTION"])
    assert "Al gedaan" not in raw.decode() and "Van een ander" not in raw.decode()


def test_revoked_or_replaced_token_gives_404(client, owner, factories):
    factories.FollowUpFactory(owner=owner)
    first = accounts.regenerate_ical_token(owner)
    db.session.commit()
    assert client.get(f"/agenda/{first}.ics").status_code == 200

    login_as(client, owner)
    token = csrf_token(client, "/profiel")
    client.post("/profiel/agenda/nieuw", data={"csrf_token": token})
    db.session.refresh(owner)
    assert owner.ical_token != first
    assert client.get(f"/agenda/{first}.ics").status_code == 404
    second = owner.ical_token
    assert client.get(f"/agenda/{second}.ics").status_code == 200

    client.post("/profiel/agenda/intrekken", data={"csrf_token": token})
    db.session.refresh(owner)
    assert owner.ical_token is None
    assert client.get(f"/agenda/{second}.ics").status_code == 404
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "ical_token_revoked"))


def test_unknown_token_and_inactive_user_give_404(client, owner):
    db.session.commit()  # the 404 page rolls back the request's work
    assert client.get("/agenda/niet-bestaand.ics").status_code == 404
    accounts.regenerate_ical_token(owner)
    owner.active = False
    db.session.commit()
    assert client.get(feed_path(owner)).status_code == 404


def test_folding_never_splits_a_character():
    line = "SUMMARY:" + "Coördinatie leerwerkloket ë" * 10
    folded = fold(line)
    pieces = folded.split("\r\n ")
    assert all(len(piece.encode()) <= 75 for piece in pieces[:1])
    assert all(len(piece.encode()) <= 74 for piece in pieces[1:])
    assert "".join(pieces) == line


def test_feed_lists_follow_ups_due_in_the_past_too(client, owner, factories):
    factories.FollowUpFactory(owner=owner, due_date=date.today() - timedelta(days=10), subject="Achterstallig")
    accounts.regenerate_ical_token(owner)
    db.session.commit()
    assert "Achterstallig" in client.get(feed_path(owner)).get_data(as_text=True)
