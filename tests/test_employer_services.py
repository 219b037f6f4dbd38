"""The employer rules in crm.services: create, edit, duplicates, handover, merge, contacts."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.lib.clock import today
from crm.models import AuditEvent, Contact, ContactpersoonAssignment, Employer, FollowUp, Notification
from crm.models.base import utcnow
from crm.services import contacts, employers
from crm.services.contacts import ContactData, FollowUpData
from crm.services.employers import DuplicateKvk, EmployerData
from crm.services.errors import PermissionDenied, ServiceError, StaleRecord
from tests.factories import municipality


def open_assignments(employer):
    return db.session.scalars(
        select(ContactpersoonAssignment).where(
            ContactpersoonAssignment.employer_id == employer.id, ContactpersoonAssignment.ended_at.is_(None)
        )
    ).all()


def test_create_employer_defaults_contactpersoon_to_creator(session, factories):
    me = factories.UserFactory(role="accountmanager")
    data = EmployerData(
        name="Bouwbedrijf Ter Horst B.V.",
        kvk_number="12345678",
        sbi_code="4120",
        municipality_id=municipality("Hengelo").id,
    )
    employer = employers.create_employer(me, data)
    assert employer.contactpersoon_id == me.id
    assert employer.sbi_section_code == "F"
    assert [a.user_id for a in open_assignments(employer)] == [me.id]
    assert (
        db.session.scalar(
            select(AuditEvent).where(AuditEvent.object_type == "employer", AuditEvent.object_id == employer.id)
        ).action
        == "create"
    )
    session.refresh(employer)
    assert "ter horst" in employer.search_text and "hengelo" in employer.search_text


def test_partner_may_not_create_employers(session, factories):
    with pytest.raises(PermissionDenied):
        employers.create_employer(factories.UserFactory(role="partner"), EmployerData(name="X"))


def test_taken_kvk_number_names_the_existing_employer(session, factories):
    existing = factories.EmployerFactory(name="Zorggroep Manna", kvk_number="87654321")
    with pytest.raises(DuplicateKvk) as refused:
        employers.create_employer(factories.UserFactory(), EmployerData(name="Manna", kvk_number="87654321"))
    assert refused.value.existing == existing
    assert "Zorggroep Manna" in str(refused.value)


def test_find_duplicates_by_similar_name_in_same_municipality(session, factories):
    enschede, hengelo = municipality("Enschede"), municipality("Hengelo")
    same = factories.EmployerFactory(name="Bakkerij De Korenbloem B.V.", municipality=enschede)
    factories.EmployerFactory(name="Bakkerij De Korenbloem B.V.", municipality=hengelo)
    factories.EmployerFactory(name="Garage Oude Molen", municipality=enschede)
    found = employers.find_duplicates(name="Bakkerij de Korenbloem", municipality_id=enschede.id, kvk_number=None)
    assert found == [same]


def test_stale_edit_is_refused_and_changes_are_shown(session, factories):
    alice, bob = factories.UserFactory(), factories.UserFactory()
    employer = factories.EmployerFactory(name="Metaalwerk Oost", contactpersoon=alice)
    seen_version = employer.version
    data = EmployerData.from_employer(employer)
    data.phone = "074 123 4567"
    employers.update_employer(bob, employer, data, version=seen_version)
    mine = EmployerData.from_employer(employer)
    mine.name = "Metaalwerk Oost-Twente"
    with pytest.raises(StaleRecord):
        employers.update_employer(alice, employer, mine, version=seen_version)
    missed = employers.changes_since(employer, seen_version)
    assert [e.changes for e in missed] == [{"phone": ["", "074 123 4567"]}]
    assert db.session.get(Employer, employer.id).name == "Metaalwerk Oost"


def test_hand_over_moves_the_one_contactpersoon(session, factories):
    old, new, coordinator = factories.UserFactory(), factories.UserFactory(), factories.UserFactory(role="coordinator")
    employer = factories.EmployerFactory(contactpersoon=old)
    employers.hand_over(coordinator, employer, new, "Andere regio-indeling")
    assert employer.contactpersoon_id == new.id
    assert [a.user_id for a in open_assignments(employer)] == [new.id]
    assert db.session.scalar(select(Notification).where(Notification.user_id == new.id)).kind == "handover"
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "handover")).summary == "Andere regio-indeling"
    )


def test_hand_over_rules(session, factories):
    owner, stranger, new = factories.UserFactory(), factories.UserFactory(), factories.UserFactory()
    employer = factories.EmployerFactory(contactpersoon=owner)
    with pytest.raises(PermissionDenied):
        employers.hand_over(stranger, employer, new, "Graag")
    with pytest.raises(ServiceError, match="waarom"):
        employers.hand_over(owner, employer, new, "  ")
    with pytest.raises(ServiceError, match="kan geen contactpersoon zijn"):
        employers.hand_over(owner, employer, factories.UserFactory(role="partner"), "Graag")
    employers.hand_over(owner, employer, new, "Ik ga met verlof")
    assert employer.contactpersoon_id == new.id


def test_bulk_hand_over(session, factories):
    leaving, successor, coordinator = (
        factories.UserFactory(),
        factories.UserFactory(),
        factories.UserFactory(role="coordinator"),
    )
    mine = [factories.EmployerFactory(contactpersoon=leaving) for _ in range(3)]
    other = factories.EmployerFactory()
    assert employers.bulk_hand_over(coordinator, leaving, successor, "Vertrekt per 1 december") == 3
    for employer in mine:
        session.refresh(employer)
        assert employer.contactpersoon_id == successor.id
        assert [a.user_id for a in open_assignments(employer)] == [successor.id]
    assert other.contactpersoon_id != successor.id
    with pytest.raises(PermissionDenied):
        employers.bulk_hand_over(leaving, successor, leaving, "terug")


def test_merge_moves_everything_and_keeps_history(session, factories):
    coordinator = factories.UserFactory(role="coordinator")
    keep = factories.EmployerFactory(name="Installatiebedrijf Smit", kvk_number=None)
    duplicate = factories.EmployerFactory(name="Installatiebedrijf Smit BV", kvk_number="11223344")
    factories.ContactFactory(employer=duplicate)
    factories.FollowUpFactory(employer=duplicate)
    factories.VacancyFactory(employer=duplicate)
    factories.TrajectoryFactory(employer=duplicate)
    factories.EmployerPersonFactory(employer=keep, is_primary=True)
    factories.EmployerPersonFactory(employer=duplicate, is_primary=True)
    employers.merge(coordinator, keep, duplicate, "Dubbel ingevoerd")
    assert db.session.scalar(select(func.count()).select_from(Contact).where(Contact.employer_id == keep.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(FollowUp).where(FollowUp.employer_id == keep.id)) == 1
    assert keep.kvk_number == "11223344" and len(keep.people) == 2 and sum(p.is_primary for p in keep.people) == 1
    assert duplicate.merged_into_id == keep.id and open_assignments(duplicate) == []
    assert keep.last_contact_at is not None
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "merge")) == 2


def test_log_contact_by_partner_notifies_contactpersoon(session, factories):
    contactpersoon, partner = factories.UserFactory(), factories.UserFactory(role="partner")
    employer = factories.EmployerFactory(contactpersoon=contactpersoon, last_contact_at=None)
    contact = contacts.log_contact(
        partner,
        employer,
        ContactData(channel="leerwerkloket", summary="Interesse in EVC voor drie medewerkers"),
        FollowUpData(due_date=today() + timedelta(days=14), subject="Terugbellen over EVC"),
    )
    assert employer.last_contact_at == contact.occurred_at
    note = db.session.scalar(
        select(Notification).where(
            Notification.user_id == contactpersoon.id, Notification.kind == "contact_logged_by_partner"
        )
    )
    assert "Interesse in EVC" in note.message and note.link == f"/werkgevers/{employer.id}"
    follow_up = db.session.scalar(select(FollowUp).where(FollowUp.contact_id == contact.id))
    assert follow_up.owner_id == contactpersoon.id and follow_up.employer_id == employer.id


def test_own_contact_does_not_notify_and_does_not_bump_version(session, factories):
    me = factories.UserFactory()
    employer = factories.EmployerFactory(contactpersoon=me)
    version = employer.version
    contacts.log_contact(me, employer, ContactData(channel="telefoon", summary="Gebeld"))
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
    session.refresh(employer)
    assert employer.version == version


def test_internal_note_is_not_leaked_in_notification(session, factories):
    contactpersoon = factories.UserFactory()
    other_org_user = factories.UserFactory(role="partner")
    employer = factories.EmployerFactory(contactpersoon=contactpersoon)
    contacts.log_contact(
        other_org_user,
        employer,
        ContactData(channel="bezoek", summary="Vertrouwelijk: reorganisatie", visibility="intern"),
    )
    note = db.session.scalar(select(Notification).where(Notification.user_id == contactpersoon.id))
    assert "reorganisatie" not in note.message and "interne notitie" in note.message


def test_contact_in_the_future_is_refused(session, factories):
    employer = factories.EmployerFactory()
    with pytest.raises(ServiceError, match="toekomst"):
        contacts.log_contact(
            employer.contactpersoon,
            employer,
            ContactData(channel="telefoon", summary="x", occurred_at=utcnow() + timedelta(days=1)),
        )


def test_complete_follow_up_with_contact_and_reschedule(session, factories):
    me = factories.UserFactory()
    employer = factories.EmployerFactory(contactpersoon=me)
    first = factories.FollowUpFactory(owner=me, employer=employer)
    second = factories.FollowUpFactory(owner=me, employer=employer)
    logged = contacts.complete_follow_up(me, first, ContactData(channel="telefoon", summary="Teruggebeld, akkoord"))
    assert first.status == "afgerond" and first.done_at and logged.employer_id == employer.id
    with pytest.raises(ServiceError, match="al afgerond"):
        contacts.complete_follow_up(me, first)
    contacts.reschedule_follow_up(me, second, today() + timedelta(days=7))
    assert second.due_date == today() + timedelta(days=7)
    with pytest.raises(PermissionDenied):
        contacts.reschedule_follow_up(factories.UserFactory(), second, today())


def test_contact_pressure_counts_per_organisation(session, factories):
    employer = factories.EmployerFactory()
    uwv_user = factories.UserFactory(organisation=factories.OrganisationFactory(name="UWV Twente", kind="uwv"))
    roc_user = factories.UserFactory(organisation=factories.OrganisationFactory(name="ROC van Twente", kind="roc"))
    for days in (1, 5, 40):
        factories.ContactFactory(employer=employer, author=uwv_user, occurred_at=utcnow() - timedelta(days=days))
    factories.ContactFactory(employer=employer, author=roc_user, occurred_at=utcnow() - timedelta(days=2))
    factories.ContactFactory(employer=employer, author=roc_user, occurred_at=utcnow() - timedelta(days=200))
    pressure = contacts.contact_pressure([employer.id])[employer.id]
    assert [(p["organisation"], p["days_30"], p["days_90"]) for p in pressure] == [
        ("UWV Twente", 2, 3),
        ("ROC van Twente", 1, 1),
    ]


def test_employer_pressure_counts_every_contact_but_names_only_visible_authors(session, factories):
    employer = factories.EmployerFactory()
    uwv = factories.OrganisationFactory(name="UWV Twente", kind="uwv")
    roc = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    me = factories.UserFactory(name="Anna Jansen", organisation=uwv)
    colleague = factories.UserFactory(name="Bram Bos", organisation=uwv)
    teacher = factories.UserFactory(name="Docent Dirk", organisation=roc)

    def contact(author, days, visibility="gedeeld"):
        factories.ContactFactory(
            employer=employer, author=author, visibility=visibility, occurred_at=utcnow() - timedelta(days=days)
        )

    contact(me, 1)
    contact(colleague, 3, "intern")  # my own organisation's intern note: named
    contact(colleague, 50)
    contact(teacher, 2)
    contact(teacher, 10, "intern")  # the ROC's intern note: counted, not named
    contact(teacher, 20, "intern")
    contact(teacher, 120)  # outside 90 days
    pressure, people = contacts.employer_pressure(me, employer.id)
    assert [(p["organisation"], p["days_30"], p["days_90"]) for p in pressure] == [
        ("ROC van Twente", 3, 3),
        ("UWV Twente", 2, 3),
    ]
    assert people == {"UWV Twente": [("Bram Bos", 2), ("Anna Jansen", 1)], "ROC van Twente": [("Docent Dirk", 1)]}
    assert pressure == contacts.contact_pressure([employer.id])[employer.id]
