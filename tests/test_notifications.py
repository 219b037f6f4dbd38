"""Meldingen: my own notifications, newest first; mark read; the unread badge in the navigation."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import Notification
from crm.models.base import utcnow
from crm.services import notifications
from tests.conftest import csrf_token, login_as

HTMX = {"HX-Request": "true"}


@pytest.fixture
def me(factories):
    return factories.UserFactory(name="Marieke Visser")


def notify(factories, user, message, *, minutes_ago=0, read=False, link="/werkgevers/1"):
    return factories.NotificationFactory(
        user_id=user.id,
        message=message,
        link=link,
        created_at=utcnow() - timedelta(minutes=minutes_ago),
        read_at=utcnow() if read else None,
    )


def badge(html: str) -> str:
    match = re.search(r'<span id="nav-unread" class="([^"]*)"[^>]*>(\d+)', html)
    assert match, "no unread badge in the navigation"
    return match.group(2) if "d-none" not in match.group(1) else "hidden"


def test_my_notifications_newest_first_unread_highlighted(client, factories, me):
    notify(factories, me, "Oudste melding", minutes_ago=60, read=True)
    notify(factories, me, "Nieuwste melding", minutes_ago=1, link="/werkgevers/42")
    notify(factories, me, "Middelste melding", minutes_ago=30)
    notify(factories, factories.UserFactory(), "Melding voor iemand anders")
    login_as(client, me)
    html = client.get("/meldingen").get_data(as_text=True)
    assert html.index("Nieuwste melding") < html.index("Middelste melding") < html.index("Oudste melding")
    assert "Melding voor iemand anders" not in html
    newest = db.session.scalar(select(Notification).filter_by(message="Nieuwste melding"))
    assert f'<a href="/meldingen/{newest.id}">Nieuwste melding</a>' in html
    items = re.findall(r'<li id="notification-\d+" class="([^"]*)"', html)
    assert ["unread" in classes for classes in items] == [True, True, False]
    assert html.count("Markeer als gelezen") == 2


def test_link_outside_the_application_is_not_followed(client, factories, me):
    notify(factories, me, "Verdachte melding", link="https://evil.example/")
    notify(factories, me, "Ook verdacht", link="//evil.example/")
    login_as(client, me)
    html = client.get("/meldingen").get_data(as_text=True)
    assert "evil.example" not in html
    assert "Verdachte melding" in html


def test_notifications_are_paginated_and_filterable(client, factories, me, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    for i in range(3):
        notify(factories, me, f"Melding nummer {i}", minutes_ago=10 - i, read=i == 0)
    login_as(client, me)
    first = client.get("/meldingen").get_data(as_text=True)
    assert "Melding nummer 2" in first and "Melding nummer 1" in first and "Melding nummer 0" not in first
    assert "Pagina 1 van 2" in first
    assert "Melding nummer 0" in client.get("/meldingen?pagina=2").get_data(as_text=True)
    unread = client.get("/meldingen?ongelezen=1").get_data(as_text=True)
    assert "Melding nummer 0" not in unread and "Pagina" not in unread


def test_empty_state(client, me):
    login_as(client, me)
    assert "U heeft nog geen meldingen." in client.get("/meldingen").get_data(as_text=True)
    assert "Geen ongelezen meldingen." in client.get("/meldingen?ongelezen=1").get_data(as_text=True)


def test_mark_one_as_read_without_javascript(client, factories, me):
    mine = notify(factories, me, "Jeroen had contact met Kaasmakerij Tubbergen")
    other = notify(factories, me, "Nog een melding")
    login_as(client, me)
    token = csrf_token(client, "/meldingen")
    response = client.post(f"/meldingen/{mine.id}/gelezen", data={"csrf_token": token, "next": "/meldingen?pagina=1"})
    assert response.status_code == 302 and response.headers["Location"] == "/meldingen?pagina=1"
    db.session.refresh(mine)
    db.session.refresh(other)
    assert mine.read_at is not None and other.read_at is None
    assert badge(client.get("/meldingen").get_data(as_text=True)) == "1"


def test_mark_read_via_htmx_updates_item_and_badge(client, factories, me):
    mine = notify(factories, me, "Jeroen had contact met Kaasmakerij Tubbergen")
    notify(factories, me, "Nog een melding")
    login_as(client, me)
    token = csrf_token(client, "/meldingen")
    html = client.post(f"/meldingen/{mine.id}/gelezen", headers={**HTMX, "X-CSRFToken": token}).get_data(as_text=True)
    assert "<html" not in html
    assert html.lstrip().startswith(f'<li id="notification-{mine.id}" class="list-group-item notification">')
    assert "Markeer als gelezen" not in html
    assert 'id="nav-unread"' in html and 'hx-swap-oob="true"' in html and badge(html) == "1"


def test_opening_a_notification_through_its_link_marks_it_read(client, factories, me):
    mine = notify(factories, me, "Jeroen had contact met Kaasmakerij Tubbergen", link="/werkgevers/42")
    notify(factories, me, "Nog een melding")
    login_as(client, me)
    html = client.get("/meldingen").get_data(as_text=True)
    assert badge(html) == "2"
    href = re.search(r'<a href="([^"]+)">Jeroen had contact', html).group(1)
    response = client.get(href)
    assert response.status_code == 302 and response.headers["Location"] == "/werkgevers/42"
    html = client.get("/meldingen").get_data(as_text=True)
    assert badge(html) == "1"
    assert html.count("Markeer als gelezen") == 1
    db.session.refresh(mine)
    assert mine.read_at is not None


def test_opening_another_users_notification_is_404(client, factories, me):
    theirs = notify(factories, factories.UserFactory(), "Niet voor u")
    login_as(client, me)
    assert client.get(f"/meldingen/{theirs.id}").status_code == 404
    db.session.refresh(theirs)
    assert theirs.read_at is None


def test_other_users_notification_is_404(client, factories, me):
    theirs = notify(factories, factories.UserFactory(), "Niet voor u")
    login_as(client, me)
    token = csrf_token(client, "/meldingen")
    assert client.post(f"/meldingen/{theirs.id}/gelezen", data={"csrf_token": token}).status_code == 404
    assert client.post("/meldingen/999999/gelezen", data={"csrf_token": token}).status_code == 404
    db.session.refresh(theirs)
    assert theirs.read_at is None


def test_mark_all_read_touches_only_mine(client, factories, me):
    for i in range(3):
        notify(factories, me, f"Melding {i}")
    theirs = notify(factories, factories.UserFactory(), "Niet voor u")
    login_as(client, me)
    token = csrf_token(client, "/meldingen")
    response = client.post("/meldingen/alles-gelezen", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/meldingen"
    unread = db.session.scalars(select(Notification).where(Notification.read_at.is_(None))).all()
    assert [n.id for n in unread] == [theirs.id]
    html = client.get("/meldingen").get_data(as_text=True)
    assert "Alle meldingen zijn als gelezen gemarkeerd (3)." in html
    assert badge(html) == "hidden" and "Alles gelezen" not in html


def test_unread_badge_in_navigation(client, factories, me):
    notify(factories, me, "Een", read=False)
    notify(factories, me, "Twee", read=False)
    notify(factories, me, "Gelezen", read=True)
    notify(factories, factories.UserFactory(), "Van een ander")
    login_as(client, me)
    html = client.get("/").get_data(as_text=True)
    assert '<a class="nav-link ' in html and 'href="/meldingen">Meldingen' in html
    assert badge(html) == "2"
    assert notifications.unread_count(me) == 2


def test_partner_contact_appears_as_notification(client, factories, me):
    employer = factories.EmployerFactory(name="Kaasmakerij Tubbergen", contactpersoon=me)
    partner = factories.UserFactory(name="Jeroen Bakker")
    login_as(client, partner)
    token = csrf_token(client, "/")
    client.post(
        f"/werkgevers/{employer.id}/snel-contact",
        data={"csrf_token": token, "summary": "Gebeld over stageplekken", "channel": "telefoon"},
    )
    login_as(client, me)
    html = client.get("/meldingen").get_data(as_text=True)
    assert "Jeroen Bakker" in html and "Gebeld over stageplekken" in html
    assert badge(html) == "1"
    href = re.search(r'<a href="([^"]+)">Jeroen Bakker', html).group(1)
    assert client.get(href).headers["Location"] == f"/werkgevers/{employer.id}"


def test_notifications_need_sign_in(client):
    assert client.get("/meldingen").status_code == 302
