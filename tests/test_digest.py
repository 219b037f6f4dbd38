"""The daily digest: working days only, the five sections, escalation to coordinators after
more than five working days (public holidays do not count)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from crm.extensions import db
from crm.lib import mail
from crm.lib.clock import AMSTERDAM
from crm.lib.workdays import (
    is_working_day,
    next_working_day,
    overdue_cutoff,
    previous_working_day,
    working_days_between,
)
from crm.models import Delivery
from crm.services import digest as digests
from crm.services import reminders
from tasks import reminders as jobs
from tasks.celery_app import create_celery

THURSDAY = date(2026, 11, 26)


@pytest.fixture(autouse=True)
def eager(app, session):
    create_celery(app)
    mail.memory_outbox().clear()
    yield
    mail.memory_outbox().clear()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMSTERDAM)


# --- working days -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 12, 25), False),  # Eerste Kerstdag (Friday)
        (date(2026, 12, 26), False),  # Tweede Kerstdag (Saturday)
        (date(2027, 4, 27), False),  # Koningsdag (Tuesday)
        (date(2027, 1, 1), False),  # Nieuwjaarsdag (Friday)
        (date(2026, 12, 27), False),  # Sunday
        (date(2026, 12, 28), True),  # Monday
        (date(2027, 4, 28), True),
    ],
)
def test_working_days(day, working):
    assert is_working_day(day) is working


def test_next_and_previous_working_day():
    assert next_working_day(date(2026, 12, 24)) == date(2026, 12, 28)
    assert previous_working_day(date(2026, 12, 28)) == date(2026, 12, 24)
    assert previous_working_day(date(2027, 4, 28)) == date(2027, 4, 26)


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)), st.integers(min_value=0, max_value=10))
def test_cutoff_agrees_with_counting_working_days(day, n):
    cutoff = overdue_cutoff(day, n)
    assert working_days_between(cutoff - timedelta(days=1), day) > n
    assert working_days_between(cutoff, day) <= n


# --- content ----------------------------------------------------------------------------


@pytest.fixture
def am(factories):
    return factories.UserFactory(name="Anouk de Vries", role="accountmanager")


def test_digest_has_the_five_sections(factories, am):
    partner = factories.UserFactory(name="Piet Partner", role="partner")
    employer = factories.EmployerFactory(name="Installatiebedrijf Oost", contactpersoon=am)
    fu = factories.FollowUpFactory
    overdue = fu(owner=am, employer=employer, subject="Offerte nabellen", due_date=THURSDAY - timedelta(days=3))
    today = fu(owner=am, employer=employer, subject="Intake vacature", due_date=THURSDAY)
    week = fu(owner=am, employer=employer, subject="Bezoek plannen", due_date=date(2026, 11, 29))  # Sunday
    fu(owner=am, employer=employer, subject="Volgende week", due_date=date(2026, 11, 30))
    done = fu(owner=am, employer=employer, subject="Al gedaan", due_date=THURSDAY - timedelta(days=1))
    done.status, done.done_at = "afgerond", at(THURSDAY, 8)
    fu(subject="Van een ander", due_date=THURSDAY)
    contact = factories.ContactFactory(
        employer=employer, author=partner, occurred_at=at(THURSDAY - timedelta(days=1), 14), summary="Belde over BBL"
    )
    factories.ContactFactory(employer=employer, author=partner, occurred_at=at(THURSDAY, 8), summary="Vandaag")
    factories.ContactFactory(
        employer=employer, author=am, occurred_at=at(THURSDAY - timedelta(days=1), 10), summary="Zelf gebeld"
    )
    factories.ContactFactory(
        employer=employer,
        author=partner,
        occurred_at=at(THURSDAY - timedelta(days=1), 11),
        summary="Interne notitie",
        visibility="intern",
    )
    expired = factories.VacancyFactory(employer=employer, title="Monteur BBL", closing_date=date(2026, 11, 20))
    factories.VacancyFactory(employer=employer, title="Vervuld", closing_date=date(2026, 11, 20), status="vervuld")
    factories.VacancyFactory(employer=employer, title="Sluit vandaag", closing_date=THURSDAY)
    factories.VacancyFactory(title="Bij een ander", closing_date=date(2026, 11, 1))

    digest = digests.build_digest(am, THURSDAY)

    assert digest.overdue.items == [overdue]
    assert digest.due_today.items == [today]
    assert digest.this_week.items == [week]
    assert digest.partner_contacts.items == [contact]
    assert digest.expired_vacancies.items == [expired]
    assert not digest.escalations and not digest.is_empty

    outgoing = digests.render(digest, "<digest-x@werkgeverscrm.local>")
    text = outgoing.text
    assert outgoing.subject == "Uw overzicht voor 26-11-2026"
    for heading in (
        "Verlopen opvolgacties (1)",
        "Vandaag (1)",
        "Later deze week (1)",
        "Contact door partners met uw werkgevers (1)",
        "Vacatures over de sluitingsdatum (1)",
    ):
        assert heading in text and heading in outgoing.html
    assert "Offerte nabellen" in text and "Monteur BBL" in text and "Piet Partner" in text
    assert "Volgende week" not in text and "Van een ander" not in text and "Vervuld" not in text
    assert "Escalaties" not in text


def test_monday_digest_covers_the_partner_contacts_of_friday_and_the_weekend(factories, am):
    partner = factories.UserFactory(role="partner")
    employer = factories.EmployerFactory(contactpersoon=am)
    monday = date(2026, 11, 30)
    friday = factories.ContactFactory(employer=employer, author=partner, occurred_at=at(date(2026, 11, 27), 9))
    saturday = factories.ContactFactory(employer=employer, author=partner, occurred_at=at(date(2026, 11, 28), 9))
    factories.ContactFactory(employer=employer, author=partner, occurred_at=at(date(2026, 11, 26), 16))
    assert set(digests.build_digest(am, monday).partner_contacts.items) == {friday, saturday}


def test_long_sections_are_cut_and_counted(factories, am):
    for n in range(digests.SECTION_LIMIT + 3):
        factories.FollowUpFactory(owner=am, due_date=THURSDAY - timedelta(days=2), subject=f"Achterstand {n}")
    digest = digests.build_digest(am, THURSDAY)
    assert digest.overdue.total == digests.SECTION_LIMIT + 3 and digest.overdue.more == 3
    assert "en nog 3" in digests.render(digest, "<x@y.nl>").text


# --- escalation -------------------------------------------------------------------------


@pytest.fixture
def partnership(factories):
    uwv = factories.OrganisationFactory(name="UWV Twente", kind="uwv")
    gemeente = factories.OrganisationFactory(name="Gemeente Enschede")
    elsewhere = factories.OrganisationFactory(name="Gemeente Elders")
    factories.PartnershipFactory(name="Leerwerkakkoord Twente", members=[uwv, gemeente])
    factories.PartnershipFactory(name="Elders", members=[elsewhere])
    return {
        "coordinator": factories.UserFactory(role="coordinator", organisation=uwv, name="Carla Coördinator"),
        "am": factories.UserFactory(organisation=gemeente, name="Gert Gemeente"),
        "stranger": factories.UserFactory(organisation=elsewhere),
    }


def test_escalation_after_more_than_five_working_days_with_koningsdag_counted_out(factories, partnership):
    day = date(2027, 5, 4)  # Tuesday; Koningsdag (Tue 27 April) is not a working day
    coordinator, am = partnership["coordinator"], partnership["am"]
    late = factories.FollowUpFactory(owner=am, due_date=date(2027, 4, 23), subject="Zes werkdagen over")
    factories.FollowUpFactory(owner=am, due_date=date(2027, 4, 26), subject="Vijf werkdagen over")
    factories.FollowUpFactory(owner=partnership["stranger"], due_date=date(2027, 4, 1), subject="Ander verband")

    assert working_days_between(date(2027, 4, 26), day) == 5  # 28, 29, 30 April, 3 and 4 May
    digest = digests.build_digest(coordinator, day)
    assert digest.escalations.items == [late]
    assert digest.overdue.total == 0  # the coordinator's own list stays their own
    text = digests.render(digest, "<x@y.nl>").text
    assert "Escalaties: meer dan 5 werkdagen verlopen (1)" in text and "Gert Gemeente" in text
    assert not digests.build_digest(am, day).escalations  # an account manager gets no escalations


def test_escalation_days_are_configurable(factories, partnership, app, monkeypatch):
    monkeypatch.setitem(app.config, "ESCALATION_WORKING_DAYS", 1)
    day = date(2026, 11, 26)
    factories.FollowUpFactory(owner=partnership["am"], due_date=date(2026, 11, 24))  # 2 working days
    assert digests.build_digest(partnership["coordinator"], day).escalations.total == 1


# --- which users, which days -------------------------------------------------------------


@pytest.mark.parametrize("day", [date(2026, 12, 25), date(2027, 4, 27), date(2026, 12, 27)])
def test_no_digest_on_public_holidays_and_sundays(factories, am, day):
    factories.FollowUpFactory(owner=am, due_date=date(2026, 12, 1))
    db.session.commit()
    assert jobs.send_digests(day.isoformat()) == 0
    assert db.session.scalars(select(Delivery)).all() == []
    assert mail.memory_outbox() == []


def test_digest_on_the_next_working_day_once_per_user(factories, am):
    factories.FollowUpFactory(owner=am, due_date=date(2026, 12, 1))
    opted_out = factories.UserFactory(notify_digest=False)
    factories.FollowUpFactory(owner=opted_out, due_date=date(2026, 12, 1))
    factories.UserFactory()  # nothing to report
    db.session.commit()

    assert jobs.send_digests("2026-12-28") == 1
    assert jobs.send_digests("2026-12-28") == 0  # a second run (or a second beat) adds nothing
    (row,) = db.session.scalars(select(Delivery)).all()
    assert (row.key, row.status, row.user_id) == (f"digest:{am.id}:2026-12-28", "sent", am.id)
    (message,) = mail.memory_outbox()
    assert message["Message-ID"] == f"<digest-{am.id}-20261228@werkgeverscrm.local>"
    assert message["Subject"] == "Uw overzicht voor 28-12-2026"


def test_digest_that_turns_out_empty_is_skipped(factories, am):
    partner = factories.UserFactory(role="partner")
    employer = factories.EmployerFactory(contactpersoon=am)
    factories.ContactFactory(  # an intern note of another organisation: am may not see it
        employer=employer, author=partner, occurred_at=at(THURSDAY - timedelta(days=1), 9), visibility="intern"
    )
    db.session.commit()
    ids = reminders.create_digest_deliveries(THURSDAY)
    db.session.commit()
    assert jobs.send_deliveries.run(ids) == ["skipped"]
    assert mail.memory_outbox() == []
