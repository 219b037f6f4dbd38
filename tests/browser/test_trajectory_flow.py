"""A partner registers a participant, creates a duaal trajectory through the forms and takes it
from aangemeld to afgerond (diploma) on the trajectory page, seeing the history grow."""

import re
import uuid

from playwright.sync_api import expect

from crm.services.search import refresh_search_text
from tests import factories
from tests.browser.conftest import sign_in


def step(page, status: str):
    """Open the step "Naar '<status>'" on the trajectory page and return its form."""
    details = page.locator(f"details[data-target={status.lower()}]")
    details.locator("summary").click()
    return details.locator("form")


def test_participant_and_duaal_trajectory_from_aangemeld_to_afgerond(page, live_db):
    tag = uuid.uuid4().hex[:6]
    roc = factories.OrganisationFactory(name=f"ROC van Twente {tag}", kind="roc")
    factories.PartnershipFactory(name=f"Leerwerkakkoord Twente {tag}", members=[roc])
    me = factories.UserFactory(
        email=f"petra-{tag}@roc.example", name=f"Petra Praktijk {tag}", role="partner", organisation=roc
    )
    employer = factories.EmployerFactory(name=f"Zorggroep Manna {tag}", kvk_number=None, city="Enschede")
    refresh_search_text(employer)
    email, employer_label, my_name = me.email, f"{employer.name} (Enschede)", me.name
    live_db.commit()  # and touch no record afterwards: the server needs the (SQLite) write lock

    sign_in(page, email)

    # the participant, with consent
    page.goto("/deelnemers/nieuw")
    page.get_by_label("Voornaam").fill("Sanne")
    page.get_by_label("Achternaam").fill(f"de Vries {tag}")
    page.get_by_label("Geboortejaar").fill("2004")
    page.get_by_label("Woongemeente").fill("Enschede")
    page.get_by_label("Doelgroep").select_option(label="Werkende jongere zonder startkwalificatie")
    page.get_by_label("De deelnemer geeft toestemming").check()
    page.get_by_label("Doel waarvoor toestemming is gegeven").fill("Begeleiding naar een BBL-traject in de zorg")
    page.get_by_role("button", name="Opslaan").click()
    expect(page).to_have_url(re.compile(r"/deelnemers/\d+$"))
    expect(page.get_by_role("heading", name=f"Sanne de Vries {tag}")).to_be_visible()
    expect(page.locator("#consent")).to_contain_text(my_name)

    # the duaal trajectory, employer picked through the search
    page.get_by_role("link", name="Nieuw traject").click()
    expect(page.get_by_role("heading", name="Nieuw traject")).to_be_visible()
    expect(page.get_by_label("Duaal")).to_be_checked()
    page.get_by_label("Kwalificatie of opleiding").fill("Verzorgende IG")
    page.get_by_label("Crebocode").fill("25491")
    page.get_by_label("Werkgever zoeken").fill(f"manna {tag}")
    expect(page.locator("#employer_id-help")).to_contain_text("1 werkgever gevonden")
    # htmx has swapped the select in; wait until it has settled (and wired up its own change trigger)
    expect(page.locator("#employer_id")).not_to_have_class(re.compile("htmx-added|htmx-settling"))
    page.wait_for_load_state("networkidle")
    page.locator("#employer_id").select_option(label=employer_label)
    expect(page.locator("#vacancy_id-help")).to_contain_text(f"Zorggroep Manna {tag}")
    expect(page.get_by_label("Telt voor samenwerkingsverband")).to_have_value(re.compile(r"^[1-9]\d*$"))
    expect(page.get_by_label("School (ROC)")).to_contain_text(f"ROC van Twente {tag}")
    page.get_by_role("button", name="Traject aanmelden").click()

    expect(page).to_have_url(re.compile(r"/trajecten/\d+$"))
    expect(page.locator("#current-status")).to_have_text("Aangemeld")
    expect(page.locator("#facts")).to_contain_text(f"Zorggroep Manna {tag}")
    expect(page.locator("tr.status-change")).to_have_count(1)

    # aangemeld -> intake -> gestart -> afgerond
    step(page, "intake").get_by_role("button", name="Zet op 'Intake'").click()
    expect(page.locator("#current-status")).to_have_text("Intake")

    form = step(page, "gestart")
    expect(form.get_by_label("Startdatum")).not_to_be_empty()  # today, by default
    form.get_by_role("button", name="Zet op 'Gestart'").click()
    expect(page.locator("#current-status")).to_have_text("Gestart")

    form = step(page, "afgerond")
    form.get_by_label("Resultaat").select_option(label="Diploma")
    page.once("dialog", lambda dialog: dialog.accept())  # the final step asks for confirmation
    form.get_by_role("button", name="Zet op 'Afgerond'").click()
    expect(page.locator("#current-status")).to_have_text("Afgerond")
    expect(page.get_by_text("Dit traject is afgesloten")).to_be_visible()

    history = page.locator("tr.status-change")
    expect(history).to_have_count(4)
    expect(history.first).to_contain_text("Gestart")
    expect(history.first).to_contain_text("Afgerond")
    expect(history.first).to_contain_text(my_name)
    expect(history.last).to_contain_text("Aangemeld")
