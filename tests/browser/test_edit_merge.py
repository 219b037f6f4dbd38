"""Two people edit the same employer in two browsers (crm.edit_merge): a change that does not
overlap is merged; one that does is shown marked, and the second save keeps the colleague's
other change."""

import re
import uuid

from playwright.sync_api import expect

from crm.extensions import db
from crm.models import Employer
from tests import factories
from tests.browser.conftest import sign_in


def test_two_browsers_edit_the_same_employer(browser, live_server, live_db):
    tag = uuid.uuid4().hex[:6]
    marieke = factories.UserFactory(email=f"marieke-{tag}@uwv.example", name="Marieke Visser", role="accountmanager")
    carla = factories.UserFactory(email=f"carla-{tag}@gemeente.example", name="Carla Coördinator", role="coordinator")
    employer = factories.EmployerFactory(
        name=f"Metaalwerk Oost {tag}", contactpersoon=marieke, phone="053 481 2000", city="Enschede"
    )
    marieke_email, carla_email, employer_id = marieke.email, carla.email, employer.id
    live_db.commit()  # and touch no record afterwards (SQLite's write lock)
    url = f"/werkgevers/{employer_id}/bewerken"

    contexts = [browser.new_context(base_url=live_server, locale="nl-NL") for _ in range(2)]
    try:
        mine, theirs = (context.new_page() for context in contexts)
        for page, email in ((mine, marieke_email), (theirs, carla_email)):
            page.set_default_timeout(10_000)
            sign_in(page, email)
            page.goto(url)

        # Carla changes the phone number and the place; Marieke, who opened the form before,
        # changes the phone number too and the name.
        theirs.get_by_label("Telefoon").fill("053 407 3349")
        theirs.get_by_label("Plaats").fill("Hengelo")
        theirs.get_by_role("button", name="Opslaan").click()
        expect(theirs).to_have_url(re.compile(rf"/werkgevers/{employer_id}$"))

        mine.get_by_label("Telefoon").fill("074 305 6800")
        mine.get_by_label("Naam (handelsnaam)").fill(f"Metaalwerk Oost-Twente {tag}")
        mine.get_by_role("button", name="Opslaan").click()

        # Refused: the field both changed is marked with Carla's value, who and when ...
        expect(mine.locator("#stale")).to_contain_text("Carla Coördinator")
        conflict = mine.locator("#phone-conflict")
        expect(conflict).to_contain_text("Ook gewijzigd door Carla Coördinator")
        expect(conflict).to_contain_text("053 407 3349")
        # ... Marieke's own changes are still in the form, Carla's other change is shown.
        expect(mine.get_by_label("Telefoon")).to_have_value("074 305 6800")
        expect(mine.get_by_label("Naam (handelsnaam)")).to_have_value(f"Metaalwerk Oost-Twente {tag}")
        expect(mine.get_by_label("Plaats")).to_have_value("Hengelo")

        # Saving now writes exactly Marieke's changes; Carla's place stays.
        mine.get_by_role("button", name="Opslaan").click()
        expect(mine).to_have_url(re.compile(rf"/werkgevers/{employer_id}$"))

        # A non-overlapping change: Carla edits the notes on the page she still has open
        # (an old version), Marieke's changes are kept and Carla is told they were merged.
        theirs.goto(url)
        theirs.get_by_label("Plaats").fill("Hengelo (Ov)")
        mine.goto(url)
        mine.get_by_label("Website").fill("https://metaalwerk-oost.example")
        mine.get_by_role("button", name="Opslaan").click()
        expect(mine).to_have_url(re.compile(rf"/werkgevers/{employer_id}$"))
        theirs.get_by_role("button", name="Opslaan").click()
        expect(theirs).to_have_url(re.compile(rf"/werkgevers/{employer_id}$"))
        expect(theirs.get_by_role("alert").first).to_contain_text("Uw wijzigingen zijn daaraan toegevoegd")
    finally:
        for context in contexts:
            context.close()

    live_db.expire_all()
    stored = db.session.get(Employer, employer_id)
    assert stored.phone == "074 305 6800"
    assert stored.name == f"Metaalwerk Oost-Twente {tag}"
    assert stored.city == "Hengelo (Ov)"
    assert stored.website == "https://metaalwerk-oost.example"
    live_db.rollback()
