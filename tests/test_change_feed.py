"""The change feed (crm.services.change_feed): in order, resumable without gaps or repeats,
and never a change of a record its reader could not open in the browser.

The changes are made through the services (or, for the world of the access matrix, are its
audit events), so the feed is tested on the trail the application really writes.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from crm import permissions
from crm.extensions import db
from crm.models import Contact
from crm.services import change_feed, contacts, employers, privacy
from crm.services.audit import audit
from crm.services.contacts import ContactData
from crm.services.employers import EmployerData
from crm.services.errors import ServiceError
from tests.access_world import ACTORS, build_world
from tests.conftest import counted_queries


def read_all(actor, *, since=None, limit=100, kinds=None) -> tuple[list[change_feed.Change], str]:
    """Every page from ``since`` on; returns the changes and the last cursor."""
    found: list[change_feed.Change] = []
    cursor = since
    for _page in range(1000):
        page = change_feed.changes(actor, since=cursor, limit=limit, kinds=kinds)
        found += page.changes
        cursor = page.cursor
        if not page.has_more:
            return found, cursor
    raise AssertionError("the feed never ended")


def start(actor) -> str:
    """The cursor after everything the test's setup wrote."""
    return read_all(actor, kinds=list(change_feed.KIND_TYPES))[1]


def test_pages_resume_without_gaps_or_repeats(factories):
    org = factories.OrganisationFactory()
    am = factories.UserFactory(role="accountmanager", organisation=org)
    other_org_partner = factories.UserFactory(role="partner", organisation=factories.OrganisationFactory())
    employer = employers.create_employer(am, EmployerData(name="Bakkerij Het Volkoren"))
    since = start(am)
    made = []
    for n in range(23):
        contact = contacts.log_contact(
            am, employer, ContactData(channel="telefoon", summary=f"Gesprek {n}", visibility="gedeeld")
        )
        made.append(("contact", contact.id, "created"))
        # Interleaved: a change the reader may not see (an intern note of another organisation).
        contacts.log_contact(
            other_org_partner, employer, ContactData(channel="telefoon", summary="intern", visibility="intern")
        )
    db.session.flush()

    pages = []
    cursor = since
    while True:
        page = change_feed.changes(am, since=cursor, limit=5)
        pages.append(page)
        cursor = page.cursor
        if not page.has_more:
            break
    got = [(c.kind, c.id, c.action) for page in pages for c in page.changes]
    assert got == made
    assert [len(page.changes) for page in pages[:4]] == [5, 5, 5, 5]
    assert len(pages) >= 5

    # Nothing new: the same cursor comes back, with nothing in it.
    again = change_feed.changes(am, since=cursor)
    assert (again.changes, again.cursor, again.has_more) == ([], cursor, False)

    # Resume: only what came after the cursor, once.
    late = contacts.log_contact(am, employer, ContactData(channel="bezoek", summary="Later", visibility="gedeeld"))
    employers.update_employer(am, employer, EmployerData(name="Bakkerij Het Volkoren B.V."), version=employer.version)
    db.session.flush()
    resumed, _ = read_all(am, since=cursor)
    assert [(c.kind, c.id, c.action) for c in resumed] == [
        ("contact", late.id, "created"),
        ("employer", employer.id, "updated"),
    ]


def test_intern_contacts_stay_within_the_authors_organisation(factories):
    world = build_world()
    am, outsider = world.users["accountmanager"], world.users["outsider_partner"]
    colleague = world.users["partner"]  # the same organisation as the author
    employer = db.session.get(employers.Employer, world.ids["employer"])
    since = start(am)
    intern = contacts.log_contact(
        am, employer, ContactData(channel="bezoek", summary="Loonkosten", visibility="intern")
    )
    shared = contacts.log_contact(am, employer, ContactData(channel="bezoek", summary="Rondleiding"))
    db.session.flush()

    def contact_ids(actor):
        return [c.id for c in read_all(actor, since=since)[0] if c.kind == "contact"]

    assert contact_ids(am) == [intern.id, shared.id]
    assert contact_ids(colleague) == [intern.id, shared.id]
    assert contact_ids(outsider) == [shared.id]
    assert contact_ids(world.users["outsider_coordinator"]) == [shared.id]


def test_casework_of_a_partnership_is_not_told_outside_it(factories):
    """Employers are shared with every user (DESIGN.md), so their changes are too; a trajectory
    of partnership P1 and its follow-ups are need-to-know: an outsider never hears of them."""
    world = build_world()
    casework = list(change_feed.KIND_TYPES)
    p1 = {("trajectory", world.ids["trajectory"]), ("follow_up", world.ids["trajectory_follow_up"])}
    p2 = {("trajectory", world.ids["p2_trajectory"]), ("follow_up", world.ids["p2_follow_up"])}

    def seen(name):
        return {(c.kind, c.id) for c in read_all(world.users[name], kinds=casework)[0]}

    assert p1 <= seen("accountmanager") and not p2 & seen("accountmanager")
    assert p1 <= seen("coordinator")
    for outsider in ("outsider_accountmanager", "outsider_partner", "outsider_coordinator"):
        assert not p1 & seen(outsider), outsider
        assert p2 <= seen(outsider), outsider
    assert not p2 & seen("admin")  # organisation A's admin: involved in P1's trajectory only

    # Without asking for casework, nobody gets it.
    default = {(c.kind, c.id) for c in read_all(world.users["accountmanager"])[0]}
    assert {kind for kind, _ in default} <= set(change_feed.KIND_TYPES) - set(change_feed.CASEWORK_KINDS)


def test_the_feed_agrees_with_the_record_rule_for_every_actor(factories):
    """Every change the feed lists is of a record its reader may open (or a deleted shared one)."""
    world = build_world()
    casework = list(change_feed.KIND_TYPES)
    for name in ACTORS[1:]:
        actor = world.users[name]
        for change in read_all(actor, kinds=casework)[0]:
            kind = permissions.KINDS[change_feed.KIND_TYPES[change.kind]]
            record = db.session.get(kind.model, change.id)
            if change.action == "deleted" and change.kind in change_feed.SHARED_KINDS:
                continue
            assert record is not None and kind.can_view(actor, record), (name, change)


def test_merged_employer_is_deleted_and_moved_records_are_updated(factories):
    org = factories.OrganisationFactory()
    coordinator = factories.UserFactory(role="coordinator", organisation=org)
    outsider = factories.UserFactory(role="partner", organisation=factories.OrganisationFactory())
    keep = employers.create_employer(coordinator, EmployerData(name="Garage Oost"))
    duplicate = employers.create_employer(coordinator, EmployerData(name="Garage Oost B.V."))
    contact = contacts.log_contact(coordinator, duplicate, ContactData(channel="telefoon", summary="Eerste gesprek"))
    db.session.flush()
    since = start(outsider)
    employers.merge(coordinator, keep, duplicate, "dubbel")
    db.session.flush()
    got = [(c.kind, c.id, c.action) for c in read_all(outsider, since=since)[0]]
    assert ("contact", contact.id, "updated") in got
    assert ("employer", keep.id, "updated") in got
    assert ("employer", duplicate.id, "deleted") in got
    assert [c for c in got if c[:2] == ("employer", duplicate.id)] == [("employer", duplicate.id, "deleted")]


def test_a_deleted_person_is_told_by_id(factories):
    org = factories.OrganisationFactory()
    am = factories.UserFactory(role="accountmanager", organisation=org)
    employer = employers.create_employer(am, EmployerData(name="Drukkerij De Pers"))
    person = employers.add_person(am, employer, employers.PersonData(name="Kees de Wit"))
    db.session.flush()
    person_id = person.id
    since = start(am)
    employers.delete_person(am, person)
    db.session.flush()
    got = [(c.kind, c.id, c.action) for c in read_all(am, since=since)[0]]
    assert got == [("person", person_id, "deleted")]


def test_quiet_events_are_not_changes_and_an_inactive_reader_sees_nothing(factories):
    org = factories.OrganisationFactory()
    am = factories.UserFactory(role="accountmanager", organisation=org)
    employer = employers.create_employer(am, EmployerData(name="Tuincentrum Groen"))
    since = start(am)
    audit(am, "view", employer)
    audit(am, "export", object_type="employer", summary="lijst")
    db.session.flush()
    assert read_all(am, since=since)[0] == []
    am.active = False
    assert change_feed.changes(am).changes == []


@pytest.mark.parametrize("cursor", ["abc", "1", "-1-2", "1-2-3", "99999999999999999999-1", " 1 - 2"])
def test_a_bad_cursor_is_refused(factories, cursor):
    am = factories.UserFactory(role="accountmanager")
    with pytest.raises(ServiceError):
        change_feed.changes(am, since=cursor)


def test_unknown_kind_is_refused(factories):
    am = factories.UserFactory(role="accountmanager")
    with pytest.raises(ServiceError):
        change_feed.changes(am, kinds=["salaris"])


def test_a_page_costs_the_same_queries_however_many_changes(factories):
    """One query for the events and one per kind for visibility: never one per change."""
    org = factories.OrganisationFactory()
    am = factories.UserFactory(role="accountmanager", organisation=org)
    employer = employers.create_employer(am, EmployerData(name="Houthandel Noord"))
    since = start(am)

    def cost(n):
        for i in range(n):
            contacts.log_contact(am, employer, ContactData(channel="telefoon", summary=f"Gesprek {i}"))
            contacts.create_follow_up(
                am, contacts.FollowUpData(due_date=date(2027, 1, 4), subject="Bellen"), employer=employer
            )
        db.session.flush()
        with counted_queries() as statements:
            page = change_feed.changes(am, since=since, limit=500)
        return len(statements), len(page.changes)

    few = cost(2)
    many = cost(40)
    assert many[1] > few[1]
    assert many[0] == few[0]


def test_head_cursor_starts_after_the_history(factories):
    org = factories.OrganisationFactory()
    am = factories.UserFactory(role="accountmanager", organisation=org)
    employers.create_employer(am, EmployerData(name="Vishandel Zee"))
    db.session.flush()
    head = change_feed.head_cursor()
    assert change_feed.changes(am, since=head).changes == []
    later = employers.create_employer(am, EmployerData(name="Vishandel Zee 2"))
    db.session.flush()
    assert [(c.kind, c.id) for c in change_feed.changes(am, since=head).changes] == [("employer", later.id)]


def test_import_tells_each_employer(factories):
    """The import writes one Logboek line for the file (no record id) and one "create" event
    per employer, so the feed says "created" for each."""
    from crm.services import imports

    coordinator = factories.UserFactory(role="coordinator")
    since = start(coordinator)
    content = b"Naam;Plaats\nBouwbedrijf Vos;Almelo\nSchilder Klaassen;Borne\n"
    table = imports.read_table("werkgevers.csv", content)
    result = imports.import_employers(
        coordinator,
        table,
        imports.guess_mapping(table.headers),
        default_contactpersoon_id=coordinator.id,
        file_name="werkgevers.csv",
    )
    db.session.flush()
    got = [(c.kind, c.id, c.action) for c in read_all(coordinator, since=since)[0]]
    assert got == [("employer", i, "created") for i in result.employer_ids]
    assert len(got) == 2


def test_an_erasure_is_told_to_who_copied_the_texts(factories):
    """Erasing a participant: the participant is "deleted", and every record whose text named
    them (the trajectory's notes, the contact at the employer, the follow-ups) is "updated", so a
    partner system that copied those texts fetches the redacted ones."""
    from tests.test_erasure import world as erasure_world

    coordinator, participant, trajectory, employer, _other = erasure_world(factories)
    contact = db.session.scalar(select(Contact).where(Contact.employer_id == employer.id))
    since = start(coordinator)
    privacy.erase(coordinator, participant, "Verzoek van de deelnemer")
    db.session.flush()
    got = {(c.kind, c.id, c.action) for c in read_all(coordinator, since=since, kinds=list(change_feed.KIND_TYPES))[0]}
    assert ("participant", participant.id, "deleted") in got
    assert ("trajectory", trajectory.id, "updated") in got
    assert ("contact", contact.id, "updated") in got
    assert {kind for kind, _id, _action in got if kind == "follow_up"} == {"follow_up"}
