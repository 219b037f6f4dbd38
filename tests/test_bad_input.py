"""Bad input gives a page with a message, never a server error (issue 16, finding 12).

The two reported 500s, and a sweep over every search that reaches SQLite's FTS5 table or
PostgreSQL's pg_trgm (``crm.services.search``): NUL and other control characters, quotes,
FTS5 operators, very long input, only punctuation. The sweep over every date field of every
form is ``test_garbage_dates`` in ``tests/test_fuzz_forms.py``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from crm.extensions import db
from crm.lib.clock import today
from crm.services.search import normalise, search_ids
from tests.conftest import csrf_token, login_as

HTMX = {"HX-Request": "true"}

HOSTILE_TERMS = [
    "a\x00b",
    "\x00",
    "bakkerij\x00",
    "\x01\x1f\x7f",
    '"',
    '"""',
    'bak"ker',
    "'",
    "*",
    "bak*",
    "NEAR",
    "NEAR(bakker bolder)",
    "bakker NEAR bolder",
    "bakker AND",
    "OR",
    "NOT bakker",
    "-",
    "- -",
    "-bakker",
    "^bakker",
    "bakker:",
    "name:bakker",
    "(",
    ")",
    "{bak}",
    "...",
    "!!!",
    "?&%$#@",
    "\u200b\u200b\u200b",
    "\u202ebakker",
    "x" * 5000,
    "bakker " * 500,
    "é" * 300,
    "😀😀😀",
    "%",
    "_",
    "\\",
]


@pytest.fixture
def am(factories):
    return factories.UserFactory(role="accountmanager")


@pytest.fixture
def world(factories, am):
    employer = factories.EmployerFactory(name="Bakkerij Bolder", contactpersoon=am)
    from crm.services.search import refresh_search_text

    refresh_search_text(employer)
    db.session.commit()
    return employer


# --- finding 12 as reported ---------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_reschedule_with_a_date_that_is_no_date(client, factories, am, headers):
    follow_up = factories.FollowUpFactory(owner=am, due_date=today() + timedelta(days=3))
    db.session.commit()
    login_as(client, am)
    token = csrf_token(client, "/")
    response = client.post(
        f"/opvolgacties/{follow_up.id}/verzetten",
        data={"csrf_token": token, "due_date": "x"},
        headers=headers,
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Vul een geldige datum in." in response.get_data(as_text=True)
    db.session.refresh(follow_up)
    assert follow_up.due_date == today() + timedelta(days=3)


def test_trajectory_employer_search_with_nul(client, world, am):
    login_as(client, am)
    response = client.get("/trajecten/werkgevers?q=a%00b")
    assert response.status_code == 200
    response = client.get("/trajecten/werkgevers?q=Bakk%00erij")
    assert response.status_code == 200
    assert "Bakkerij Bolder" in response.get_data(as_text=True)


# --- every search that reaches FTS5 / pg_trgm ---------------------------------------------------

SEARCH_PAGES = [
    ("/werkgevers?q={}", "accountmanager"),
    ("/trajecten/werkgevers?q={}", "accountmanager"),
    ("/vacatures/nieuw?q={}", "accountmanager"),
    ("/werkgevers/{employer}/samenvoegen?q={}", "coordinator"),
]


@pytest.mark.parametrize(("template", "role"), SEARCH_PAGES)
def test_every_search_takes_hostile_terms(client, factories, world, template, role):
    user = factories.UserFactory(role=role)
    db.session.commit()
    login_as(client, user)
    for term in HOSTILE_TERMS:
        path = template.replace("{employer}", str(world.id))
        response = client.get(path.split("?")[0], query_string={"q": term})
        assert response.status_code == 200, (path, term, response.status_code)


@pytest.mark.parametrize("term", HOSTILE_TERMS)
def test_search_service_takes_hostile_terms(session, world, term):
    search_ids(term)  # no error from the database


@pytest.mark.parametrize(
    ("term", "found"),
    [("bakk\x00erij", True), ("Bak\u200bkerij", True), ("BAKKERIJ   BOLDER", True), ("NEAR", False), ("*", False)],
)
def test_hostile_terms_still_find_what_they_name(session, world, term, found):
    assert (world.id in search_ids(term)) is found


def test_normalise_removes_control_and_format_characters():
    assert normalise("Bak\x00ker\u200bij\u202e  Bolder\t") == "bakkerij bolder"
    assert len(normalise("x" * 5000)) == 100


# --- plain-text searches (LIKE, no search engine) ------------------------------------------------

PLAIN_SEARCH_PAGES = [
    ("/deelnemers", "coordinator"),
    ("/trajecten", "coordinator"),
    ("/logboek", "coordinator"),
    ("/logboek/export.csv", "coordinator"),
    ("/beheer/gebruikers", "admin"),
]


@pytest.mark.parametrize(("path", "role"), PLAIN_SEARCH_PAGES)
def test_every_plain_search_takes_hostile_terms(client, factories, path, role):
    """PostgreSQL refuses a NUL in a string parameter: a search box must never pass one on."""
    user = factories.UserFactory(role=role)
    db.session.commit()
    login_as(client, user)
    for term in HOSTILE_TERMS:
        response = client.get(path, query_string={"q": term})
        assert response.status_code == 200, (path, term, response.status_code)
        response.close()
