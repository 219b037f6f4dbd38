"""An account manager signs in with a real browser and sees the worklist."""

from datetime import timedelta

from playwright.sync_api import expect

from crm.lib.clock import today
from tests import factories
from tests.factories import PASSWORD


def test_account_manager_signs_in_and_sees_worklist(page, live_db):
    me = factories.UserFactory(email="marieke@uwv.example", name="Marieke Visser", role="accountmanager")
    employer = factories.EmployerFactory(name="Kaasmakerij Tubbergen", contactpersoon=me)
    factories.FollowUpFactory(
        owner=me, employer=employer, subject="Bellen over BBL-plek", due_date=today() - timedelta(days=1)
    )
    live_db.commit()

    page.goto("/")
    expect(page).to_have_url("/login?next=%2F")
    page.get_by_label("E-mailadres").fill("marieke@uwv.example")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()

    expect(page.get_by_role("heading", name="Mijn werkvoorraad")).to_be_visible()
    expect(page.get_by_role("cell", name="Kaasmakerij Tubbergen")).to_be_visible()
    overdue = page.locator("[data-group=overdue]")
    expect(overdue).to_contain_text("Bellen over BBL-plek")
    expect(page.get_by_role("navigation", name="Hoofdmenu")).to_contain_text("Marieke Visser")


def test_wrong_password_shows_dutch_message(page, live_db):
    factories.UserFactory(email="piet@gemeente.example")
    live_db.commit()
    page.goto("/login")
    page.get_by_label("E-mailadres").fill("piet@gemeente.example")
    page.get_by_label("Wachtwoord").fill("niet-het-goede-wachtwoord")
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_role("alert")).to_have_text("Onbekend e-mailadres of onjuist wachtwoord.")
