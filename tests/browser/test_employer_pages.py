"""An account manager creates an employer past the duplicate warning; a coordinator hands one over."""

import re
import uuid

from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import sign_in
from tests.factories import municipality


def test_create_employer_past_the_duplicate_warning(page, live_db):
    tag = uuid.uuid4().hex[:6]
    me = factories.UserFactory(email=f"marieke-{tag}@uwv.example", name="Marieke Visser", role="accountmanager")
    existing = factories.EmployerFactory(
        name=f"Kaasboerderij Zonnedauw{tag} B.V.", kvk_number=None, municipality=municipality("Enschede")
    )
    # Read what the test needs before committing: touching a record afterwards would open a
    # new transaction, and on SQLite that holds the write lock the server needs.
    my_email, my_id, existing_id, existing_name = me.email, me.id, existing.id, existing.name
    live_db.commit()

    sign_in(page, my_email)
    page.goto("/werkgevers/nieuw")
    expect(page.get_by_label("Contactpersoon")).to_have_value(str(my_id))  # the creator, by default
    page.get_by_label("Naam (handelsnaam)").fill(f"Kaasboerderij Zonnedauw{tag}")
    page.get_by_label("Gemeente").fill("Enschede")
    expect(page.locator("#municipality-help")).to_have_text("Arbeidsmarktregio: Twente")
    page.get_by_role("button", name="Opslaan").click()

    warning = page.locator("#duplicates")
    expect(warning).to_contain_text("Bestaat deze werkgever al?")
    expect(warning).to_contain_text(existing_name)
    expect(warning.get_by_role("link", name="Open deze werkgever")).to_have_attribute(
        "href", f"/werkgevers/{existing_id}"
    )
    warning.get_by_role("button", name="Toch opslaan").click()

    expect(page).to_have_url(re.compile(r"/werkgevers/\d+$"))
    assert not page.url.endswith(f"/werkgevers/{existing_id}")
    expect(page.get_by_role("heading", name=f"Kaasboerderij Zonnedauw{tag}", exact=True)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("is aangemaakt")
    expect(page.locator("#contactpersoon")).to_contain_text("Marieke Visser")


def test_coordinator_hands_over_an_employer(page, live_db):
    tag = uuid.uuid4().hex[:6]
    coordinator = factories.UserFactory(
        email=f"carla-{tag}@gemeente.example", name="Carla Coördinator", role="coordinator"
    )
    current = factories.UserFactory(name=f"Henk Huidig {tag}", role="accountmanager")
    successor = factories.UserFactory(
        name=f"Sanne Opvolger {tag}",
        role="accountmanager",
        organisation=factories.OrganisationFactory(name=f"Gemeente Hengelo {tag}"),
    )
    employer = factories.EmployerFactory(name=f"Metaalwerk Oost {tag}", contactpersoon=current)
    email, employer_id, current_name, successor_name = coordinator.email, employer.id, current.name, successor.name
    live_db.commit()  # and touch no record afterwards (see above)

    sign_in(page, email)
    page.goto(f"/werkgevers/{employer_id}")
    expect(page.locator("#contactpersoon")).to_contain_text(current_name)
    page.get_by_role("link", name="Overdragen", exact=True).click()

    page.get_by_label("Nieuwe contactpersoon", exact=True).select_option(
        label=f"{successor_name} (Gemeente Hengelo {tag})"
    )
    page.get_by_label("Toelichting voor de nieuwe contactpersoon").fill("Andere regio-indeling per 1 januari")
    page.get_by_role("button", name="Overdragen").click()

    expect(page).to_have_url(f"/werkgevers/{employer_id}")
    expect(page.get_by_role("alert")).to_contain_text(f"is overgedragen aan {successor_name}")
    expect(page.locator("#contactpersoon")).to_contain_text(successor_name)
    newest = page.locator("#historie tr.assignment").first
    expect(newest).to_contain_text(successor_name)
    expect(newest).to_contain_text("Andere regio-indeling per 1 januari")
    expect(newest).to_contain_text("Carla Coördinator")
    expect(page.locator("#historie tr.assignment")).to_have_count(2)


def test_timeline_filtered_by_kind_and_organisation(page, live_db):
    tag = uuid.uuid4().hex[:6]
    uwv = factories.OrganisationFactory(name=f"UWV {tag}", kind="uwv")
    gemeente = factories.OrganisationFactory(name=f"Gemeente Borne {tag}", kind="gemeente")
    me = factories.UserFactory(email=f"tineke-{tag}@uwv.example", name="Tineke Tijdlijn", organisation=uwv)
    jan = factories.UserFactory(name="Jan Borne", organisation=gemeente)
    employer = factories.EmployerFactory(name=f"Houtbewerking Borne {tag}", contactpersoon=me)
    factories.ContactFactory(employer=employer, author=me, summary="Gebeld over BBL-plekken")
    factories.ContactFactory(employer=employer, author=jan, summary="Bezoek van de gemeente")
    factories.FollowUpFactory(employer=employer, owner=me, subject="Offerte nabellen")
    email, employer_id, gemeente_name = me.email, employer.id, gemeente.name
    live_db.commit()

    sign_in(page, email)
    page.goto(f"/werkgevers/{employer_id}")
    timeline = page.locator("#tijdlijn")
    expect(timeline.locator(".timeline-item")).to_have_count(3)
    timeline.get_by_label("Soort").select_option(label="Contactmomenten")
    timeline.get_by_role("button", name="Filteren").click()
    expect(timeline.locator(".timeline-item")).to_have_count(2)
    expect(timeline).not_to_contain_text("Offerte nabellen")
    timeline.get_by_label("Organisatie").select_option(label=gemeente_name)
    timeline.get_by_role("button", name="Filteren").click()
    expect(timeline.locator(".timeline-item")).to_have_count(1)
    expect(timeline).to_contain_text("Bezoek van de gemeente")
    timeline.get_by_role("link", name="Wis filters").click()
    expect(timeline.locator(".timeline-item")).to_have_count(3)
