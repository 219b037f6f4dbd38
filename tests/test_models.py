"""Rules the database itself keeps, on SQLite and PostgreSQL alike."""

from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from crm.extensions import db
from crm.models import Base, ContactpersoonAssignment, Employer, Municipality, Region, SbiSection
from crm.models.base import utcnow
from crm.services.reference import sbi_section_for


def flush_fails(session):
    with pytest.raises(IntegrityError), session.begin_nested():
        session.flush()


def test_reference_lists_are_loaded(session):
    assert db.session.scalar(select(func.count()).select_from(Region)) == 35
    assert db.session.scalar(select(func.count()).select_from(Municipality)) == 397
    assert db.session.scalar(select(func.count()).select_from(SbiSection)) == 21
    twente = db.session.scalar(select(Region).where(Region.name == "Twente"))
    assert {"Enschede", "Hengelo", "Almelo"} <= {m.name for m in twente.municipalities}


@pytest.mark.parametrize(
    ("code", "section"), [("4711", "G"), ("47.11", "G"), ("0111", "A"), ("8559", "P"), ("9900", "U"), ("1", None)]
)
def test_sbi_code_maps_to_section(session, code, section):
    assert sbi_section_for(code) == section


def test_employer_needs_a_contactpersoon(session):
    session.add(Employer(name="Zonder contactpersoon"))
    flush_fails(session)


def test_at_most_one_open_assignment_per_employer(session, factories):
    employer = factories.EmployerFactory()
    other = factories.UserFactory()
    session.add(ContactpersoonAssignment(employer=employer, user=other))
    flush_fails(session)


def test_closed_assignments_may_be_many(session, factories):
    employer = factories.EmployerFactory()
    start = utcnow() - timedelta(days=30)
    for _ in range(3):
        session.add(
            ContactpersoonAssignment(
                employer=employer, user=factories.UserFactory(), started_at=start, ended_at=utcnow()
            )
        )
    session.flush()
    assert len(employer.assignments) == 4


def test_kvk_number_unique_when_present(session, factories):
    factories.EmployerFactory(kvk_number="12345678")
    factories.EmployerFactory(kvk_number=None)
    factories.EmployerFactory(kvk_number=None)
    with pytest.raises(IntegrityError), session.begin_nested():
        factories.EmployerFactory(kvk_number="12345678")


def test_kvk_number_must_have_eight_digits(session, factories):
    with pytest.raises(IntegrityError), session.begin_nested():
        factories.EmployerFactory(kvk_number="1234")


@pytest.mark.parametrize(
    ("factory", "column", "value"),
    [
        ("EmployerFactory", "status", "verwijderd"),
        ("VacancyFactory", "status", "geparkeerd"),
        ("TrajectoryFactory", "status", "zwevend"),
        ("TrajectoryFactory", "kind", "bol"),
        ("UserFactory", "role", "superuser"),
        ("OrganisationFactory", "kind", "bank"),
        ("ContactFactory", "channel", "postduif"),
        ("ContactFactory", "visibility", "geheim"),
        ("FollowUpFactory", "status", "misschien"),
        ("ParticipantFactory", "doelgroep", "iedereen"),
    ],
)
def test_status_columns_accept_only_allowed_values(session, factories, factory, column, value):
    with pytest.raises(IntegrityError), session.begin_nested():
        getattr(factories, factory)(**{column: value})


def test_trajectory_rules(session, factories):
    with pytest.raises(IntegrityError), session.begin_nested():
        factories.TrajectoryFactory(kind="duaal", employer=None)
    with pytest.raises(IntegrityError), session.begin_nested():
        factories.TrajectoryFactory(status="afgerond", actual_start=utcnow().date(), outcome=None)
    with pytest.raises(IntegrityError), session.begin_nested():
        factories.TrajectoryFactory(status="uitgevallen", dropout_reason=None)
    with pytest.raises(IntegrityError), session.begin_nested():
        factories.TrajectoryFactory(status="gestart", actual_start=None)
    evc = factories.TrajectoryFactory(kind="evc", employer=None)
    assert evc.id


def test_follow_up_needs_a_subject_and_consistent_done_at(session, factories):
    with pytest.raises(IntegrityError), session.begin_nested():
        factories.FollowUpFactory(employer=None)
    with pytest.raises(IntegrityError), session.begin_nested():
        factories.FollowUpFactory(status="afgerond", done_at=None)


def test_at_most_one_open_automatic_follow_up_per_employer(session, factories):
    employer = factories.EmployerFactory()
    factories.FollowUpFactory(employer=employer, automatic=True, status="afgerond", done_at=utcnow())
    factories.FollowUpFactory(employer=employer, automatic=True)  # a closed one does not count
    factories.FollowUpFactory(employer=employer)  # nor do follow-ups people made
    with pytest.raises(IntegrityError), session.begin_nested():
        factories.FollowUpFactory(employer=employer, automatic=True)


def test_only_one_primary_employer_contact(session, factories):
    employer = factories.EmployerFactory()
    factories.EmployerPersonFactory(employer=employer, is_primary=True)
    factories.EmployerPersonFactory(employer=employer, is_primary=False)
    with pytest.raises(IntegrityError), session.begin_nested():
        factories.EmployerPersonFactory(employer=employer, is_primary=True)


def test_version_column_refuses_stale_update(app, session, factories):
    employer = factories.EmployerFactory(name="Origineel")
    session.commit()
    assert employer.version == 1
    employer.name = "Gewijzigd"
    session.flush()
    assert employer.version == 2
    # Simulate another session having changed the row meanwhile.
    session.execute(Employer.__table__.update().where(Employer.id == employer.id).values(version=5))
    employer.name = "Overschreven?"
    with pytest.raises(StaleDataError):
        session.flush()


def test_timestamps_are_aware_and_not_frozen(session, factories):
    first = factories.OrganisationFactory()
    second = factories.OrganisationFactory()
    session.expire_all()
    assert first.created_at.tzinfo is not None
    assert first.created_at <= second.created_at
    assert second.created_at - utcnow() < timedelta(seconds=5)


def test_no_column_for_a_bsn():
    suspicious = ("bsn", "burgerservice", "sofi", "social_security")
    names = [f"{t.name}.{c.name}" for t in Base.metadata.tables.values() for c in t.columns]
    assert not [n for n in names if any(s in n.lower() for s in suspicious)]


def test_every_table_is_in_the_database(session):
    present = set(inspect(session.connection()).get_table_names())
    assert set(Base.metadata.tables) <= present
