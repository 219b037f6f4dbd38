"""The forgiving employer search over the demo data: recall of the test set in
``tests/search_queries.py`` (typos, swapped words, spelling variants, legal forms, place,
postcode, KvK, contactpersoon, people), the examples of issue 18 on the list page, and every
employer search box (trajectory form, vacancy form, merging) using the same search.

The demo data is seeded once per module in a database of its own (committed), so the module
costs one seed. Measured figures for both databases: ``bench/SEARCH.md``."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from crm.demo import seed
from crm.extensions import db
from crm.models import Employer, User
from crm.services import employers as employer_service
from crm.services.search import candidate_clause, patterns, query_words, search_ids
from tests.conftest import login_as, migrated_app, side_database_url
from tests.search_queries import QUERIES, SEEDED_AT
from tests.test_employer_list import names


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    app = migrated_app(side_database_url(tmp_path_factory, "search"))
    with app.app_context():
        seed(employers=300, echo=lambda _line: None, now=SEEDED_AT)
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def ctx(demo_app):
    with demo_app.app_context():
        yield demo_app
        db.session.rollback()
        db.session.remove()


def employer_id(name: str, city: str) -> int:
    found = db.session.scalar(select(Employer.id).where(Employer.name == name, Employer.city == city))
    assert found is not None, (name, city)
    return found


def ranks() -> list[int | None]:
    result = []
    for query, name, city in QUERIES:
        ids = search_ids(query, Employer.merged_into_id.is_(None))
        wanted = employer_id(name, city)
        result.append(ids.index(wanted) + 1 if wanted in ids else None)
    return result


def test_the_test_set_is_large_and_names_real_employers(ctx):
    assert len(QUERIES) >= 60
    assert len({query for query, _name, _city in QUERIES}) == len(QUERIES)
    for _query, name, city in QUERIES:
        employer_id(name, city)


def test_recall_in_the_top_5_is_at_least_95_percent(ctx):
    found = ranks()
    top5 = sum(1 for rank in found if rank is not None and rank <= 5) / len(found)
    top1 = sum(1 for rank in found if rank == 1) / len(found)
    missed = [(q, rank) for (q, _n, _c), rank in zip(QUERIES, found, strict=True) if rank is None or rank > 5]
    assert top5 >= 0.95, (top5, top1, missed)


def test_matching_on_the_widest_patterns_finds_what_every_pattern_finds(ctx):
    """The match keeps per word only the patterns that hold no other ("klynsman" covers
    " klynsman "): the rows must be those of every pattern tested, for each query of the set
    and for the words alone."""
    queries = [query for query, _name, _city in QUERIES]
    queries += sorted({word for query in queries for word in query.split()})
    for query in queries:
        found = patterns(query_words(query))
        if not found:
            continue
        every = " AND ".join(
            "(" + " OR ".join(f"employer.search_text LIKE '%{p}%'" for p in word) + ")" for word in found
        )
        expected = set(db.session.scalars(select(Employer.id).where(text(every))))
        assert set(db.session.scalars(select(Employer.id).where(candidate_clause(found)))) == expected, query


def demo_user(login: str) -> User:
    user = db.session.scalar(select(User).where(User.email.startswith(login + "@")))
    assert user is not None
    return user


def list_names(client, q: str) -> list[str]:
    response = client.get("/werkgevers", query_string={"q": q})
    assert response.status_code == 200
    return names(response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("dakdekersbedrijf kampuis", "Dakdekkersbedrijf Kamphuis B.V."),
        ("Kamphuys", "Bouwmarkt Kamphuis & Zn. B.V."),
        ("Bouwmark Oosterhoff", "Bouwmarkt Oosterhof"),
        ("Reggestrom", "Thuiszorg Reggestroom B.V."),
        ("woonzorg regestroom", "Woonzorgcentrum Reggestroom"),
        ("Kamphuis Dakdekkers", "Dakdekkersbedrijf Kamphuis B.V."),
        ("Kamphuis BV dakdekker", "Dakdekkersbedrijf Kamphuis B.V."),
    ],
)
def test_the_examples_of_the_issue_on_the_list_page(ctx, q, first):
    client = ctx.test_client()
    login_as(client, demo_user("accountmanager"))
    assert list_names(client, q)[0] == first


def test_the_contactpersoon_as_the_placeholder_promises(ctx):
    client = ctx.test_client()
    login_as(client, demo_user("accountmanager"))
    bas = db.session.scalar(select(User).where(User.name == "Bas Kleinsman"))
    theirs = set(db.session.scalars(select(Employer.name).where(Employer.contactpersoon_id == bas.id)))
    shown = list_names(client, "Bas Kleinsman")
    assert shown and set(shown) <= theirs


def test_a_handover_makes_the_new_contactpersoon_findable(ctx):
    coordinator = demo_user("coordinator")
    employer = db.session.get(Employer, employer_id("Bouwmarkt Oosterhof", "Almelo"))
    new = db.session.scalar(select(User).where(User.name == "Henk Scholten"))
    assert employer.id not in search_ids("henk scholten bouwmarkt")
    employer_service.hand_over(coordinator, employer, new, "Test")
    assert search_ids("henk scholten bouwmarkt")[0] == employer.id


def test_the_trajectory_forms_employer_lookup(ctx):
    client = ctx.test_client()
    login_as(client, demo_user("accountmanager"))
    html = client.get("/trajecten/werkgevers", query_string={"q": "kamphuis dakdekers"}).get_data(as_text=True)
    wanted = employer_id("Dakdekkersbedrijf Kamphuis B.V.", "Enschede")
    options = [value for value in re.findall(r'<option value="(\d+)"', html) if value != "0"]
    assert options and options[0] == str(wanted)


def test_the_vacancy_forms_employer_lookup(ctx):
    client = ctx.test_client()
    login_as(client, demo_user("accountmanager"))
    html = client.get("/vacatures/nieuw", query_string={"q": "Reggestrom woonzorg"}).get_data(as_text=True)
    wanted = employer_id("Woonzorgcentrum Reggestroom", "Tubbergen")
    links = re.findall(r"werkgever=(\d+)", html)
    assert links and links[0] == str(wanted)


def test_the_merge_candidates(ctx):
    client = ctx.test_client()
    login_as(client, demo_user("coordinator"))
    keep = employer_id("Bouwmarkt Kamphuis & Zn. B.V.", "Oldenzaal")
    html = client.get(f"/werkgevers/{keep}/samenvoegen", query_string={"q": "Bouwmark Oosterhoff"}).get_data(
        as_text=True
    )
    wanted = employer_id("Bouwmarkt Oosterhof", "Almelo")
    found = re.findall(r"duplicaat=(\d+)", html)
    assert found and found[0] == str(wanted)
