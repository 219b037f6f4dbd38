"""The demo data (``flask crm seed-demo``): realistic, consistent with the rules, idempotent."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import pytest
from sqlalchemy import String, Text, func, select

from crm.demo import DEMO_LOGINS, DEMO_PASSWORD, seed
from crm.lib.clock import today
from crm.lib.passwords import verify_password
from crm.models import (
    Ambition,
    Contact,
    ContactpersoonAssignment,
    Employer,
    EmployerPerson,
    FollowUp,
    Municipality,
    Notification,
    Organisation,
    Participant,
    Partnership,
    ProgrammePeriod,
    Region,
    Trajectory,
    TrajectoryStatusChange,
    User,
    Vacancy,
    VacancyStatusChange,
)

EMPLOYERS = 40
COUNTED = (
    Organisation,
    Partnership,
    User,
    Employer,
    EmployerPerson,
    ContactpersoonAssignment,
    Contact,
    FollowUp,
    Vacancy,
    VacancyStatusChange,
    Participant,
    Trajectory,
    TrajectoryStatusChange,
    ProgrammePeriod,
    Ambition,
    Notification,
)


def counts(session) -> dict[str, int]:
    return {model.__name__: session.scalar(select(func.count()).select_from(model)) for model in COUNTED}


@pytest.fixture
def seeded(session):
    progress: list[str] = []
    report = seed(employers=EMPLOYERS, echo=progress.append)
    return report, progress


def test_partnerships_organisations_and_report(session, seeded):
    report, progress = seeded
    twente = session.scalar(select(Partnership).where(Partnership.name == "Leerwerkakkoord Twente"))
    techniek = session.scalar(select(Partnership).where(Partnership.name == "Sectorakkoord Techniek Oost"))
    assert (twente.scope, twente.region.name) == ("regionaal", "Twente")
    assert techniek.scope == "sectoraal"
    kinds = dict(session.execute(select(Organisation.name, Organisation.kind)).all())
    assert kinds == {
        "UWV Werkbedrijf Twente": "uwv",
        "Gemeente Enschede": "gemeente",
        "Gemeente Hengelo": "gemeente",
        "ROC van Twente": "roc",
        "SBB regio Oost": "kenniscentrum",
        "EVC Centrum Oost": "evc_aanbieder",
        "Techniek Nederland Oost": "branche",
    }
    assert "Techniek Nederland Oost" not in {org.name for org in twente.members}
    assert len(twente.members) == 6
    assert {org.kind for org in techniek.members} == {"uwv", "roc", "kenniscentrum", "evc_aanbieder", "branche"}
    assert f"{EMPLOYERS} employers" in report
    assert progress[0] == f"  {EMPLOYERS}/{EMPLOYERS} werkgevers"
    assert session.scalar(select(func.count()).select_from(Ambition)) == 8


def test_demo_logins_use_the_demo_password(session, seeded):
    for email, role in DEMO_LOGINS:
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None, email
        assert user.role == role
        assert verify_password(user.password_hash, DEMO_PASSWORD)
    roles = Counter(session.scalars(select(User.role)))
    assert roles["admin"] >= 1 and roles["coordinator"] == 2 and roles["partner"] == 3
    assert 5 <= roles["accountmanager"] <= 6
    # hashed once: every demo user shares the same hash
    assert session.scalar(select(func.count(func.distinct(User.password_hash)))) == 1


def test_every_employer_has_one_open_assignment_for_its_contactpersoon(session, seeded):
    employers = session.scalars(select(Employer)).all()
    assert len(employers) == EMPLOYERS
    assignments = defaultdict(list)
    for assignment in session.scalars(select(ContactpersoonAssignment)):
        assignments[assignment.employer_id].append(assignment)
    for employer in employers:
        history = sorted(assignments[employer.id], key=lambda a: a.started_at)
        open_rows = [a for a in history if a.ended_at is None]
        assert len(open_rows) == 1
        assert open_rows[0].user_id == employer.contactpersoon_id
        assert history[0].started_at == employer.created_at
        for earlier, later in zip(history, history[1:], strict=False):
            assert earlier.ended_at == later.started_at
        assert employer.contactpersoon.role in ("accountmanager", "coordinator")


def test_employers_are_in_twente_with_unique_kvk_numbers(session, seeded):
    rows = session.execute(
        select(Employer.kvk_number, Employer.postcode, Employer.sbi_code, Employer.sbi_section_code, Region.name)
        .join(Municipality, Employer.municipality_id == Municipality.id)
        .join(Region, Municipality.region_id == Region.id)
    ).all()
    assert len(rows) == EMPLOYERS
    assert {row.name for row in rows} == {"Twente"}
    kvk = [row.kvk_number for row in rows]
    assert all(re.fullmatch(r"[1-9]\d{7}", number) for number in kvk)
    assert len(set(kvk)) == len(kvk)
    assert all(re.fullmatch(r"\d{4} [A-Z]{2}", row.postcode) for row in rows)
    assert all(re.fullmatch(r"\d{4}", row.sbi_code) and row.sbi_section_code for row in rows)
    primaries = Counter(session.scalars(select(EmployerPerson.employer_id).where(EmployerPerson.is_primary)))
    assert len(primaries) == EMPLOYERS and set(primaries.values()) == {1}


def test_last_contact_at_is_the_latest_contact(session, seeded):
    latest = dict(
        session.execute(select(Contact.employer_id, func.max(Contact.occurred_at)).group_by(Contact.employer_id)).all()
    )
    employers = session.scalars(select(Employer)).all()
    assert latest, "some contacts were made"
    for employer in employers:
        assert employer.last_contact_at == latest.get(employer.id)
    for contact in session.scalars(select(Contact)):
        assert contact.organisation_id == contact.author.organisation_id
        assert contact.author.role != "admin"
        assert contact.occurred_at.tzinfo is not None


def test_follow_ups_cover_overdue_today_and_later(session, seeded):
    open_due = session.scalars(select(FollowUp.due_date).where(FollowUp.status == "open")).all()
    assert any(due < today() for due in open_due)
    assert any(due > today() for due in open_due)
    done = session.scalars(select(FollowUp).where(FollowUp.status == "afgerond")).all()
    assert done and all(item.done_at is not None for item in done)


def test_trajectories_and_vacancies_follow_their_workflows(session, seeded):
    trajectories = session.scalars(select(Trajectory)).all()
    assert trajectories
    periods = {p.id: int(p.name) for p in session.scalars(select(ProgrammePeriod))}
    for trajectory in trajectories:
        walked = [c.to_status for c in sorted(trajectory.status_changes, key=lambda c: (c.changed_at, c.id))]
        assert walked[0] == "aangemeld" and walked[-1] == trajectory.status
        if trajectory.period_id is not None:
            assert periods[trajectory.period_id] == trajectory.actual_start.year
        assert trajectory.involvements
    for vacancy in session.scalars(select(Vacancy)):
        walked = [c.to_status for c in sorted(vacancy.status_changes, key=lambda c: (c.changed_at, c.id))]
        assert walked[0] == "nieuw" and walked[-1] == vacancy.status


def test_no_nine_digit_numbers_in_participants(session, seeded):
    participants = session.scalars(select(Participant)).all()
    assert participants
    text_columns = [c.key for c in Participant.__table__.columns if isinstance(c.type, String | Text)]
    for participant in participants:
        for column in text_columns:
            value = getattr(participant, column) or ""
            assert not re.search(r"\d{9}", value), (column, value)
        assert participant.consent_at is not None and participant.consent_recorded_by_id is not None


def test_seeding_twice_changes_nothing(session, seeded):
    before = counts(session)
    message = seed(employers=EMPLOYERS, echo=lambda _: None)
    assert "already" in message
    assert counts(session) == before


def test_if_empty_leaves_a_database_with_users_alone(session, factories):
    factories.UserFactory()
    message = seed(employers=5, if_empty=True, echo=lambda _: None)
    assert "already has users" in message
    assert session.scalar(select(func.count()).select_from(Partnership)) == 0
