"""Derived columns hold what their one mechanism computes, also on the records that the demo and
the import write in bulk (past the services and the ORM's flush events): a copy of the rule in
either would drift from it unseen.

- ``Employer.search_text``: ``search.search_texts`` (written by ``rebuild_search_text``);
- ``Employer.last_contact_at``: the latest contact, kept by ``contacts.keep_last_contact``;
- ``Vacancy.involvement_key``: ``organisation_ids_key`` of its organisations (the flush event);
- ``Trajectory.involvement_key``: ``write_involvement_keys`` from its involvements.

The import creates employers only; vacancies and trajectories come from the demo.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy import func, select

from crm.demo import seed
from crm.extensions import db
from crm.models import Contact, Employer, Trajectory, Vacancy, vacancy_organisation
from crm.models.trajectories import write_involvement_keys
from crm.models.vacancies import organisation_ids_key
from crm.services import imports
from crm.services.contacts import keep_last_contact
from crm.services.search import search_texts
from tests.factories import municipality

FILE = (
    "Naam;KvK-nummer;Plaats;Gemeente\r\n"
    "Bakkerij De Korenschoof;41414141;Enschede;Enschede\r\n"
    "Metaalwerken Twentekanaal B.V.;42424242;Hengelo;Hengelo\r\n"
).encode("utf-8-sig")


@pytest.fixture
def written(session, factories) -> tuple[list[int], list[int]]:
    """The ids of the demo's employers and of the imported ones."""
    seed(employers=30, echo=lambda _line: None)
    demo_ids = list(db.session.scalars(select(Employer.id)))
    coordinator = factories.UserFactory(role="coordinator", email="coco@twente.example")
    table = imports.read_table("werkgevers.csv", FILE)
    result = imports.import_employers(
        coordinator,
        table,
        imports.guess_mapping(table.headers),
        default_contactpersoon_id=coordinator.id,
        file_name="werkgevers.csv",
    )
    assert result.created == 2
    return demo_ids, result.employer_ids


def test_search_text_is_what_the_search_computes(session, written):
    demo_ids, imported_ids = written
    stored = dict(session.execute(select(Employer.id, Employer.search_text)).all())
    computed = search_texts(demo_ids + imported_ids)
    assert {i: stored[i] for i in demo_ids} == {i: computed[i] for i in demo_ids}
    assert {i: stored[i] for i in imported_ids} == {i: computed[i] for i in imported_ids}
    assert municipality("Hengelo").name.lower() in computed[imported_ids[1]]


def test_last_contact_at_is_the_latest_contact(session, written):
    demo_ids, imported_ids = written
    latest = dict(
        session.execute(select(Contact.employer_id, func.max(Contact.occurred_at)).group_by(Contact.employer_id)).all()
    )
    stored = dict(session.execute(select(Employer.id, Employer.last_contact_at)).all())
    assert any(latest.get(i) for i in demo_ids), "the demo made contacts"
    for employer_id in demo_ids + imported_ids:
        assert stored[employer_id] == latest.get(employer_id)
    keep_last_contact(demo_ids + imported_ids)  # the mechanism finds nothing to change
    assert dict(session.execute(select(Employer.id, Employer.last_contact_at)).all()) == stored


def test_vacancy_involvement_key_is_its_organisations(session, written):
    linked: dict[int, list[int]] = defaultdict(list)
    for vacancy_id, organisation_id in session.execute(
        select(vacancy_organisation.c.vacancy_id, vacancy_organisation.c.organisation_id)
    ):
        linked[vacancy_id].append(organisation_id)
    stored = dict(session.execute(select(Vacancy.id, Vacancy.involvement_key)).all())
    assert stored and all(stored.values()), "the demo made vacancies with organisations"
    assert stored == {vacancy_id: organisation_ids_key(linked[vacancy_id]) for vacancy_id in stored}


def test_trajectory_involvement_key_is_its_involvements(session, written):
    stored = dict(session.execute(select(Trajectory.id, Trajectory.involvement_key)).all())
    assert stored and any(stored.values()), "the demo made trajectories with involved organisations"
    assert write_involvement_keys(db.session.connection(), stored) == stored
