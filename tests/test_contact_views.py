"""Logging contacts (full form and quick log) and handling follow-ups through the web pages."""

from datetime import UTC, date, timedelta

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.lib.clock import now_local, today
from crm.lib.workdays import working_day_on_or_after
from crm.models import AuditEvent, Contact, FollowUp, Notification
from crm.models.base import utcnow
from tests.conftest import csrf_token, login_as

HTMX = {"HX-Request": "true"}
# 111222333 passes the elfproef: it could be a BSN.
BSN_LIKE = "111222333"


@pytest.fixture
def am(factories):
    uwv = factories.OrganisationFactory(name="UWV Werkbedrijf Twente", kind="uwv")
    return factories.UserFactory(name="Marieke Visser", role="accountmanager", organisation=uwv)


@pytest.fixture
def partner(factories):
    roc = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    return factories.UserFactory(name="Jeroen Bakker", role="partner", organisation=roc)


@pytest.fixture
def employer(factories, am):
    return factories.EmployerFactory(name="Kaasmakerij Tubbergen", contactpersoon=am)


def contacts_of(employer):
    return db.session.scalars(select(Contact).where(Contact.employer_id == employer.id).order_by(Contact.id)).all()


def follow_ups_of(employer):
    return db.session.scalars(select(FollowUp).where(FollowUp.employer_id == employer.id).order_by(FollowUp.id)).all()


def local_string(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M")


def contact_form(token, **overrides):
    data = {
        "csrf_token": token,
        "occurred_at": local_string(now_local() - timedelta(hours=1)),
        "channel": "telefoon",
        "employer_contact_id": "0",
        "summary": "Gebeld over twee BBL-plekken in de productie.",
        "outcome": "",
        "vacancy_id": "0",
        "visibility": "gedeeld",
        "follow_up_due": "",
        "follow_up_subject": "",
    }
    data.update(overrides)
    return data


# --- the full contact form ---------------------------------------------------------------


def test_form_offers_this_employers_people_and_defaults(client, factories, employer, am, partner):
    factories.EmployerPersonFactory(employer=employer, name="Sanne Kuipers", function="HR-adviseur")
    factories.EmployerPersonFactory(name="Iemand Anders")  # another employer's person
    factories.VacancyFactory(employer=employer, title="Kaasmaker in opleiding (BBL)")
    login_as(client, partner)
    html = client.get(f"/werkgevers/{employer.id}/contactmoment").get_data(as_text=True)
    assert "Contactmoment vastleggen" in html
    assert "Sanne Kuipers (HR-adviseur)" in html and "Iemand Anders" not in html
    assert "Kaasmaker in opleiding (BBL)" in html
    assert "Mobiel leerwerkloket" in html and "Bijeenkomst" in html
    # the follow-up owner defaults to the employer's contactpersoon, the contact is shared by default
    assert f'<option selected value="{am.id}">Marieke Visser (UWV Werkbedrijf Twente)</option>' in html
    assert 'id="visibility-gedeeld" value="gedeeld" checked' in html
    # date and time default to now, in Dutch time
    assert f'value="{now_local():%Y-%m-%dT%H:}' in html


def test_partner_logs_contact_with_follow_up_and_contactpersoon_is_told(client, factories, employer, am, partner):
    person = factories.EmployerPersonFactory(employer=employer, name="Sanne Kuipers")
    vacancy = factories.VacancyFactory(employer=employer)
    login_as(client, partner)
    token = csrf_token(client, f"/werkgevers/{employer.id}/contactmoment")
    occurred_local = (now_local() - timedelta(days=1)).replace(hour=10, minute=30, second=0, microsecond=0)
    due = today() + timedelta(days=14)
    response = client.post(
        f"/werkgevers/{employer.id}/contactmoment",
        data=contact_form(
            token,
            occurred_at=local_string(occurred_local),
            channel="mobiel_leerwerkloket",
            employer_contact_id=str(person.id),
            vacancy_id=str(vacancy.id),
            outcome="Sanne stuurt de functie-eisen.",
            follow_up_due=due.isoformat(),
            follow_up_owner_id=str(am.id),
            follow_up_subject="Functie-eisen nabellen",
        ),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/werkgevers/{employer.id}"

    [contact] = contacts_of(employer)
    assert contact.author_id == partner.id
    assert contact.organisation_id == partner.organisation_id
    assert contact.channel == "mobiel_leerwerkloket"
    assert contact.employer_contact_id == person.id and contact.vacancy_id == vacancy.id
    assert contact.outcome == "Sanne stuurt de functie-eisen."
    assert contact.visibility == "gedeeld"
    assert contact.occurred_at == occurred_local.astimezone(UTC)  # entered in Dutch time, stored in UTC
    db.session.refresh(employer)
    assert employer.last_contact_at == occurred_local.astimezone(UTC)

    [follow_up] = follow_ups_of(employer)
    assert (follow_up.owner_id, follow_up.due_date, follow_up.subject) == (am.id, due, "Functie-eisen nabellen")
    assert follow_up.contact_id == contact.id and follow_up.created_by_id == partner.id

    notification = db.session.scalar(
        select(Notification).where(Notification.user_id == am.id, Notification.kind == "contact_logged_by_partner")
    )
    assert notification is not None
    assert "Jeroen Bakker (ROC van Twente)" in notification.message
    assert notification.link == f"/werkgevers/{employer.id}"


def test_follow_up_owner_left_out_defaults_to_contactpersoon(client, factories, employer, am, partner):
    login_as(client, partner)
    token = csrf_token(client, f"/werkgevers/{employer.id}/contactmoment")
    due = today() + timedelta(days=7)
    data = contact_form(token, follow_up_due=due.isoformat(), follow_up_subject="Terugbellen")
    assert client.post(f"/werkgevers/{employer.id}/contactmoment", data=data).status_code == 302
    assert [f.owner_id for f in follow_ups_of(employer)] == [am.id]


def test_follow_up_owner_may_be_another_user_but_not_an_inactive_one(client, factories, employer, am, partner):
    colleague = factories.UserFactory(name="Ahmed Yilmaz")
    gone = factories.UserFactory(active=False)
    login_as(client, partner)
    token = csrf_token(client, f"/werkgevers/{employer.id}/contactmoment")
    due = (today() + timedelta(days=7)).isoformat()
    data = contact_form(token, follow_up_due=due, follow_up_subject="Intake plannen", follow_up_owner_id=str(gone.id))
    html = client.post(f"/werkgevers/{employer.id}/contactmoment", data=data).get_data(as_text=True)
    assert "Kies een actieve gebruiker als eigenaar van de opvolgactie." in html
    assert contacts_of(employer) == []
    data["follow_up_owner_id"] = str(colleague.id)
    assert client.post(f"/werkgevers/{employer.id}/contactmoment", data=data).status_code == 302
    assert [f.owner_id for f in follow_ups_of(employer)] == [colleague.id]


def test_contactpersoon_logging_own_contact_notifies_nobody(client, employer, am):
    login_as(client, am)
    token = csrf_token(client, f"/werkgevers/{employer.id}/contactmoment")
    response = client.post(f"/werkgevers/{employer.id}/contactmoment", data=contact_form(token))
    assert response.status_code == 302
    assert len(contacts_of(employer)) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"summary": ""}, "Schrijf kort op waar het contact over ging."),
        ({"summary": "   "}, "Schrijf kort op waar het contact over ging."),
        (
            {"occurred_at": local_string(now_local() + timedelta(hours=2))},
            "Een contactmoment kan niet in de toekomst liggen.",
        ),
        ({"occurred_at": "gisteren"}, "Vul een geldige datum en tijd in."),
        ({"summary": f"Kandidaat met BSN {BSN_LIKE} besproken."}, "burgerservicenummer (BSN)"),
        ({"outcome": f"bsn {BSN_LIKE[:3]} {BSN_LIKE[3:6]} {BSN_LIKE[6:]}"}, "burgerservicenummer (BSN)"),
        ({"channel": "postduif"}, "Ongeldige keuze"),
        ({"follow_up_due": (today() - timedelta(days=1)).isoformat(), "follow_up_subject": "X"}, "in het verleden"),
        ({"follow_up_due": (today() + timedelta(days=3)).isoformat()}, "Geef de opvolgactie een onderwerp."),
        ({"follow_up_subject": "Terugbellen"}, "Kies een datum voor de opvolgactie."),
    ],
)
def test_invalid_contact_is_refused_with_dutch_message(client, employer, am, overrides, message):
    login_as(client, am)
    token = csrf_token(client, f"/werkgevers/{employer.id}/contactmoment")
    data = contact_form(token, follow_up_owner_id=str(am.id), **overrides)
    response = client.post(f"/werkgevers/{employer.id}/contactmoment", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    assert "Controleer de gemarkeerde velden." in html
    assert contacts_of(employer) == []
    assert follow_ups_of(employer) == []


def test_person_or_vacancy_of_another_employer_is_refused(client, factories, employer, am):
    elsewhere = factories.EmployerPersonFactory(name="Piet van Elders")
    other_vacancy = factories.VacancyFactory()
    login_as(client, am)
    token = csrf_token(client, f"/werkgevers/{employer.id}/contactmoment")
    html = client.post(
        f"/werkgevers/{employer.id}/contactmoment",
        data=contact_form(token, employer_contact_id=str(elsewhere.id), vacancy_id=str(other_vacancy.id)),
    ).get_data(as_text=True)
    assert "Deze persoon hoort niet bij deze werkgever." in html
    assert "Deze vacature hoort niet bij deze werkgever." in html
    assert contacts_of(employer) == []


def test_intern_contact_stays_within_the_authors_organisation(client, factories, employer, am, partner):
    login_as(client, partner)
    token = csrf_token(client, f"/werkgevers/{employer.id}/contactmoment")
    summary = "Vertrouwelijk: reorganisatie op komst, nog niet delen."
    response = client.post(
        f"/werkgevers/{employer.id}/contactmoment", data=contact_form(token, summary=summary, visibility="intern")
    )
    assert response.status_code == 302
    [contact] = contacts_of(employer)
    assert contact.visibility == "intern" and contact.organisation_id == partner.organisation_id
    # the contactpersoon (another organisation) is told that there was contact, but not what was said
    notification = db.session.scalar(select(Notification).where(Notification.user_id == am.id))
    assert "interne notitie" in notification.message and "reorganisatie" not in notification.message
    login_as(client, am)
    worklist = client.get("/").get_data(as_text=True)
    assert "reorganisatie" not in worklist
    # a colleague of the author sees it on their own worklist (as contactpersoon of another employer)
    colleague = factories.UserFactory(organisation=partner.organisation)
    theirs = factories.EmployerFactory(contactpersoon=colleague)
    factories.ContactFactory(employer=theirs, author=partner, visibility="intern", summary="Intern ROC-verslag")
    login_as(client, colleague)
    assert "Intern ROC-verslag" in client.get("/").get_data(as_text=True)


def test_merged_employer_cannot_get_contacts(client, factories, am):
    survivor = factories.EmployerFactory(contactpersoon=am)
    merged = factories.EmployerFactory(contactpersoon=am, merged_into_id=survivor.id)
    login_as(client, am)
    assert client.get(f"/werkgevers/{merged.id}/contactmoment").status_code == 404
    assert client.get(f"/werkgevers/{merged.id}/snel-contact").status_code == 404
    assert client.get("/werkgevers/999999/contactmoment").status_code == 404


def test_signed_out_visitor_is_sent_to_login(client, employer):
    response = client.get(f"/werkgevers/{employer.id}/contactmoment")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_post_without_csrf_token_is_refused(client, employer, am):
    login_as(client, am)
    data = contact_form("")
    del data["csrf_token"]
    assert client.post(f"/werkgevers/{employer.id}/contactmoment", data=data).status_code == 400
    assert contacts_of(employer) == []


# --- quick log ---------------------------------------------------------------------------


def test_quick_log_form_via_htmx_is_a_partial_with_sensible_defaults(client, employer, am):
    login_as(client, am)
    response = client.get(f"/werkgevers/{employer.id}/snel-contact", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and "Hoofdmenu" not in html
    assert html.lstrip().startswith("<tbody") and f'id="employer-{employer.id}"' in html
    assert 'value="Gebeld"' in html
    assert '<option value="telefoon" selected>' in html
    assert "Over 2 weken" in html
    assert f'hx-post="/werkgevers/{employer.id}/snel-contact"' in html


def test_quick_log_without_htmx_is_a_full_page(client, employer, am):
    login_as(client, am)
    html = client.get(f"/werkgevers/{employer.id}/snel-contact").get_data(as_text=True)
    assert "<html" in html and "Contact vastleggen" in html
    assert "hx-post" not in html.split('class="quick-log"')[0].rsplit("<form", 1)[-1]


def test_quick_log_via_htmx_answers_with_row_and_new_follow_up(client, employer, am):
    login_as(client, am)
    token = csrf_token(client, "/")
    response = client.post(
        f"/werkgevers/{employer.id}/snel-contact",
        data={"summary": "Gebeld", "channel": "telefoon", "follow_up_days": "14"},
        headers={**HTMX, "X-CSRFToken": token},  # htmx sends the token as a header (hx-headers on <body>)
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert "Contact met Kaasmakerij Tubbergen vastgelegd. Opvolgactie gepland op" in html
    assert 'id="my-follow-ups" aria-labelledby="fu-title" hx-swap-oob="true"' in html
    assert "Opvolgen: Gebeld" in html

    [contact] = contacts_of(employer)
    assert (contact.channel, contact.summary, contact.author_id) == ("telefoon", "Gebeld", am.id)
    assert utcnow() - contact.occurred_at < timedelta(minutes=1)
    [follow_up] = follow_ups_of(employer)
    assert follow_up.due_date == working_day_on_or_after(today() + timedelta(days=14))
    assert follow_up.owner_id == am.id and follow_up.contact_id == contact.id
    db.session.refresh(employer)
    assert employer.last_contact_at == contact.occurred_at


def test_quick_log_without_follow_up(client, employer, am):
    login_as(client, am)
    token = csrf_token(client, "/")
    html = client.post(
        f"/werkgevers/{employer.id}/snel-contact",
        data={"csrf_token": token, "summary": "Gemaild met offerte", "channel": "email", "follow_up_days": "0"},
        headers=HTMX,
    ).get_data(as_text=True)
    assert "Contact met Kaasmakerij Tubbergen vastgelegd." in html
    assert "hx-swap-oob" not in html
    assert [c.channel for c in contacts_of(employer)] == ["email"]
    assert follow_ups_of(employer) == []


def test_quick_log_without_javascript_redirects_to_worklist(client, employer, am):
    login_as(client, am)
    token = csrf_token(client, f"/werkgevers/{employer.id}/snel-contact")
    response = client.post(
        f"/werkgevers/{employer.id}/snel-contact",
        data={"csrf_token": token, "summary": "Gebeld", "channel": "telefoon", "follow_up_days": "7"},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert follow_ups_of(employer)[0].due_date == working_day_on_or_after(today() + timedelta(days=7))
    html = client.get("/").get_data(as_text=True)
    assert "Contact met Kaasmakerij Tubbergen vastgelegd." in html
    assert "Opvolgen: Gebeld" in html


def test_quick_log_refuses_an_outside_next_target(client, employer, am):
    login_as(client, am)
    token = csrf_token(client, "/")
    response = client.post(
        f"/werkgevers/{employer.id}/snel-contact",
        data={"csrf_token": token, "summary": "Gebeld", "channel": "telefoon", "next": "https://evil.example/"},
    )
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("summary", "message"),
    [("", "Schrijf kort op waar het contact over ging."), (f"BSN {BSN_LIKE}", "burgerservicenummer")],
)
def test_quick_log_errors_come_back_in_the_partial(client, employer, am, summary, message):
    login_as(client, am)
    token = csrf_token(client, "/")
    response = client.post(
        f"/werkgevers/{employer.id}/snel-contact",
        data={"csrf_token": token, "summary": summary, "channel": "telefoon", "follow_up_days": "14"},
        headers=HTMX,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert message in html and "is-invalid" in html
    assert contacts_of(employer) == [] and follow_ups_of(employer) == []


def test_partner_quick_log_gives_follow_up_to_contactpersoon(client, employer, am, partner):
    login_as(client, partner)
    token = csrf_token(client, "/")
    client.post(
        f"/werkgevers/{employer.id}/snel-contact",
        data={
            "csrf_token": token,
            "summary": "Langs geweest bij de open dag",
            "channel": "bezoek",
            "follow_up_days": "30",
        },
        headers=HTMX,
    )
    [follow_up] = follow_ups_of(employer)
    assert follow_up.owner_id == am.id and follow_up.due_date == working_day_on_or_after(today() + timedelta(days=30))
    kinds = set(db.session.scalars(select(Notification.kind).where(Notification.user_id == am.id)))
    assert kinds == {"contact_logged_by_partner", "follow_up_assigned"}


# --- follow-ups: done and reschedule ---------------------------------------------------


@pytest.fixture
def follow_up(factories, employer, am):
    return factories.FollowUpFactory(
        owner=am, employer=employer, subject="Bellen over BBL-plek", due_date=today() - timedelta(days=2)
    )


def test_follow_up_done_without_javascript(client, follow_up, am):
    login_as(client, am)
    token = csrf_token(client, "/")
    response = client.post(f"/opvolgacties/{follow_up.id}/afronden", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    db.session.refresh(follow_up)
    assert follow_up.status == "afgerond" and follow_up.done_at is not None
    assert contacts_of(follow_up.employer) == []
    assert db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.object_type == "follow_up", AuditEvent.object_id == follow_up.id, AuditEvent.action == "update"
        )
    )
    html = client.get("/").get_data(as_text=True)
    assert "Opvolgactie &#39;Bellen over BBL-plek&#39; afgerond." in html
    assert "U heeft geen open opvolgacties." in html


def test_follow_up_done_with_contact_and_next_follow_up_via_htmx(client, follow_up, employer, am):
    login_as(client, am)
    token = csrf_token(client, "/")
    response = client.post(
        f"/opvolgacties/{follow_up.id}/afronden",
        data={
            "csrf_token": token,
            "summary": "Gebeld, plek komt in augustus vrij",
            "channel": "telefoon",
            "next_days": "14",
        },
        headers=HTMX,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<section id="my-follow-ups"')
    assert "afgerond. Het contactmoment is vastgelegd. Nieuwe opvolgactie op" in html
    db.session.refresh(follow_up)
    assert follow_up.status == "afgerond"
    [contact] = contacts_of(employer)
    assert contact.summary == "Gebeld, plek komt in augustus vrij" and contact.author_id == am.id
    new = [f for f in follow_ups_of(employer) if f.status == "open"]
    assert [(f.subject, f.due_date, f.owner_id) for f in new] == [
        ("Bellen over BBL-plek", working_day_on_or_after(today() + timedelta(days=14)), am.id)
    ]
    assert f'id="follow-up-{new[0].id}"' in html  # the new one is on the refreshed list


def test_follow_up_done_refuses_bsn_in_summary(client, follow_up, am):
    login_as(client, am)
    token = csrf_token(client, "/")
    html = client.post(
        f"/opvolgacties/{follow_up.id}/afronden", data={"csrf_token": token, "summary": f"BSN {BSN_LIKE}"}, headers=HTMX
    ).get_data(as_text=True)
    assert "burgerservicenummer" in html and "alert-danger" in html
    db.session.refresh(follow_up)
    assert follow_up.status == "open"


def test_follow_up_done_twice_says_it_is_already_done(client, follow_up, am):
    login_as(client, am)
    token = csrf_token(client, "/")
    client.post(f"/opvolgacties/{follow_up.id}/afronden", data={"csrf_token": token})
    html = client.post(f"/opvolgacties/{follow_up.id}/afronden", data={"csrf_token": token}, headers=HTMX).get_data(
        as_text=True
    )
    assert "Deze opvolgactie is al afgerond." in html


@pytest.mark.parametrize(("days", "expected_from_today"), [("1", 1), ("7", 7)])
def test_reschedule_quick_choices_start_from_today_when_overdue(client, follow_up, am, days, expected_from_today):
    login_as(client, am)
    token = csrf_token(client, "/")
    response = client.post(
        f"/opvolgacties/{follow_up.id}/verzetten", data={"csrf_token": token, "days": days, "due_date": ""}
    )
    assert response.status_code == 302
    db.session.refresh(follow_up)
    assert follow_up.due_date == working_day_on_or_after(today() + timedelta(days=expected_from_today))
    audit = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.object_type == "follow_up", AuditEvent.object_id == follow_up.id, AuditEvent.action == "update"
        )
    )
    assert audit.changes["due_date"][1] == follow_up.due_date.isoformat()


def test_reschedule_quick_choice_counts_from_due_date_when_in_future(client, factories, employer, am):
    later = factories.FollowUpFactory(owner=am, employer=employer, due_date=today() + timedelta(days=10))
    login_as(client, am)
    token = csrf_token(client, "/")
    client.post(f"/opvolgacties/{later.id}/verzetten", data={"csrf_token": token, "days": "7"}, headers=HTMX)
    db.session.refresh(later)
    assert later.due_date == working_day_on_or_after(today() + timedelta(days=17))


def test_reschedule_to_a_chosen_date_via_htmx(client, follow_up, am):
    login_as(client, am)
    token = csrf_token(client, "/")
    new_date = today() + timedelta(days=40)
    html = client.post(
        f"/opvolgacties/{follow_up.id}/verzetten",
        data={"csrf_token": token, "due_date": new_date.isoformat()},
        headers=HTMX,
    ).get_data(as_text=True)
    assert "verzet naar" in html and "<html" not in html
    db.session.refresh(follow_up)
    assert follow_up.due_date == new_date
    assert 'data-group="later"' in html and 'data-group="overdue"' not in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"due_date": ""}, "Kies een nieuwe datum."),
        ({"due_date": "2001-01-01"}, "De nieuwe datum ligt in het verleden."),
    ],
)
def test_reschedule_refuses_missing_or_past_date(client, follow_up, am, data, message):
    login_as(client, am)
    token = csrf_token(client, "/")
    before = follow_up.due_date
    html = client.post(
        f"/opvolgacties/{follow_up.id}/verzetten", data={"csrf_token": token, **data}, headers=HTMX
    ).get_data(as_text=True)
    assert message in html
    db.session.refresh(follow_up)
    assert follow_up.due_date == before


@pytest.mark.parametrize("action", ["afronden", "verzetten"])
@pytest.mark.parametrize("headers", [{}, HTMX])
def test_someone_elses_follow_up_is_forbidden(client, factories, follow_up, action, headers):
    outsider = factories.UserFactory(role="accountmanager")
    login_as(client, outsider)
    token = csrf_token(client, "/")
    response = client.post(
        f"/opvolgacties/{follow_up.id}/{action}",
        data={"csrf_token": token, "days": "7", "summary": "Gebeld"},
        headers=headers,
    )
    assert response.status_code == 403
    db.session.refresh(follow_up)
    assert follow_up.status == "open" and follow_up.due_date == today() - timedelta(days=2)
    assert contacts_of(follow_up.employer) == []


def test_contactpersoon_and_coordinator_may_change_anothers_follow_up(client, factories, employer, am):
    colleague = factories.UserFactory()
    theirs = factories.FollowUpFactory(owner=colleague, employer=employer)
    login_as(client, am)  # contactpersoon of the employer
    token = csrf_token(client, "/")
    assert (
        client.post(f"/opvolgacties/{theirs.id}/verzetten", data={"csrf_token": token, "days": "1"}).status_code == 302
    )
    coordinator = factories.UserFactory(role="coordinator")
    login_as(client, coordinator)
    token = csrf_token(client, "/")
    assert client.post(f"/opvolgacties/{theirs.id}/afronden", data={"csrf_token": token}).status_code == 302
    db.session.refresh(theirs)
    assert theirs.status == "afgerond"


def test_unknown_follow_up_is_404_and_get_is_not_allowed(client, follow_up, am):
    login_as(client, am)
    token = csrf_token(client, "/")
    assert client.post("/opvolgacties/999999/afronden", data={"csrf_token": token}).status_code == 404
    assert client.get(f"/opvolgacties/{follow_up.id}/afronden").status_code == 405


# --- quick due dates land on a working day ---------------------------------------------------


@pytest.mark.parametrize(
    ("on", "days", "expected"),
    [
        # Friday 18 December 2026 "over 2 weken": Friday 1 January 2027 is nieuwjaarsdag -> Monday 4
        (date(2026, 12, 18), "14", date(2027, 1, 4)),
        # Saturday 6 June 2026 + 7 days is a Saturday -> Monday 15 June
        (date(2026, 6, 6), "7", date(2026, 6, 15)),
        # Monday 20 April 2026 "over 1 week" is Koningsdag's Monday 27 April -> Tuesday 28 April
        (date(2026, 4, 20), "7", date(2026, 4, 28)),
    ],
)
def test_quick_log_follow_up_lands_on_a_working_day(client, employer, am, monkeypatch, on, days, expected):
    monkeypatch.setattr("crm.services.worklist.today", lambda: on)
    login_as(client, am)
    token = csrf_token(client, "/")
    client.post(
        f"/werkgevers/{employer.id}/snel-contact",
        data={"csrf_token": token, "summary": "Gebeld", "channel": "telefoon", "follow_up_days": days},
    )
    [follow_up] = follow_ups_of(employer)
    assert follow_up.due_date == expected


def test_quick_reschedule_lands_on_a_working_day(client, factories, employer, am, monkeypatch):
    # due Friday 24 April 2026: "+1 dag" is a Saturday
    follow_up = factories.FollowUpFactory(owner=am, employer=employer, due_date=date(2026, 4, 24))
    monkeypatch.setattr("crm.services.worklist.today", lambda: date(2026, 4, 22))
    login_as(client, am)
    token = csrf_token(client, "/")
    client.post(f"/opvolgacties/{follow_up.id}/verzetten", data={"csrf_token": token, "days": "1", "due_date": ""})
    db.session.refresh(follow_up)
    assert follow_up.due_date == date(2026, 4, 28)  # Saturday 25, Sunday 26, Koningsdag Monday 27
