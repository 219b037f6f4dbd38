"""On a phone: "called, follow up in two weeks" from the worklist in three taps, without a page reload."""

from datetime import timedelta

import pytest
from flask_babel import format_date
from playwright.sync_api import expect

from crm.lib.clock import today
from crm.lib.workdays import working_day_on_or_after
from tests import factories
from tests.browser.conftest import sign_in


class Taps:
    """Counts what the user does with a finger."""

    def __init__(self) -> None:
        self.count = 0

    def tap(self, locator) -> None:
        self.count += 1
        locator.tap()


def test_called_follow_up_in_two_weeks_in_three_taps(phone, live_db, live_app):
    me = factories.UserFactory(email="quicklog@uwv.example", name="Marieke Visser", role="accountmanager")
    employer_id = factories.EmployerFactory(name="Kaasmakerij Tubbergen", contactpersoon=me).id
    live_db.commit()  # and touch no row afterwards: on SQLite a read here would hold the write lock
    with live_app.test_request_context():
        due = format_date(working_day_on_or_after(today() + timedelta(days=14)), "d MMM yyyy")

    sign_in(phone, "quicklog@uwv.example")
    expect(phone.locator("#my-follow-ups")).to_contain_text("U heeft geen open opvolgacties.")
    phone.evaluate("window.__noReload = 'still here'")
    row = phone.locator(f"#employer-{employer_id}")
    taps = Taps()

    taps.tap(row.get_by_role("link", name="Gebeld"))
    expect(row.get_by_label("Samenvatting")).to_have_value("Gebeld")
    expect(row.get_by_role("radio", name="Niet")).to_be_focused()  # keyboard users land in the form
    expect(row.get_by_label("Kanaal")).to_have_value("telefoon")
    taps.tap(row.locator("label", has_text="Over 2 weken"))
    taps.tap(row.get_by_role("button", name="Opslaan"))

    expect(row.get_by_role("status")).to_contain_text("Contact met Kaasmakerij Tubbergen vastgelegd.")
    expect(row.get_by_role("status")).to_be_focused()
    follow_ups = phone.locator("#my-follow-ups")
    expect(follow_ups).to_contain_text("Opvolgen: Gebeld")
    expect(follow_ups).to_contain_text(due)
    expect(row.locator(".last-contact")).not_to_contain_text("nooit")
    assert taps.count <= 3
    assert phone.evaluate("window.__noReload") == "still here", "the page was reloaded"
    # the row fits on the phone: the "Gebeld" button is back and visible without scrolling sideways
    expect(row.get_by_role("link", name="Gebeld")).to_be_in_viewport()


@pytest.fixture
def phone_without_javascript(browser, live_server):
    context = browser.new_context(
        base_url=live_server,
        locale="nl-NL",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        java_script_enabled=False,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_quick_log_works_without_javascript(phone_without_javascript, live_db):
    page = phone_without_javascript
    me = factories.UserFactory(email="zonder-js@uwv.example", role="accountmanager")
    employer_id = factories.EmployerFactory(name="Fietsenmaker Oldenzaal", contactpersoon=me).id
    live_db.commit()

    sign_in(page, "zonder-js@uwv.example")
    page.locator(f"#employer-{employer_id}").get_by_role("link", name="Gebeld").tap()
    expect(page.get_by_role("heading", name="Contact vastleggen")).to_be_visible()
    page.locator("label", has_text="Over 2 weken").tap()
    page.get_by_role("button", name="Opslaan").tap()

    expect(page.get_by_role("heading", name="Mijn werkvoorraad")).to_be_visible()
    expect(page.get_by_role("alert").first).to_contain_text("Contact met Fietsenmaker Oldenzaal vastgelegd.")
    expect(page.locator("#my-follow-ups")).to_contain_text("Opvolgen: Gebeld")


def test_reschedule_and_complete_follow_ups_in_place(phone, live_db):
    me = factories.UserFactory(email="opvolgen@uwv.example", role="accountmanager")
    employer = factories.EmployerFactory(name="Metaalbedrijf Hengelo", contactpersoon=me)
    factories.FollowUpFactory(
        owner=me, employer=employer, subject="Offerte nabellen", due_date=today() - timedelta(days=3)
    )
    factories.FollowUpFactory(owner=me, employer=employer, subject="Intake plannen", due_date=today())
    live_db.commit()

    sign_in(phone, "opvolgen@uwv.example")
    phone.evaluate("window.__noReload = 'still here'")
    overdue = phone.locator("[data-group=overdue]")
    item = overdue.locator(".followup", has_text="Offerte nabellen")
    item.get_by_text("Verzetten").first.tap()
    item.get_by_role("button", name="+1 week").tap()
    section = phone.locator("#my-follow-ups")
    expect(section.get_by_role("status")).to_contain_text("Opvolgactie 'Offerte nabellen' verzet naar")
    expect(phone.locator("[data-group=overdue]")).to_have_count(0)
    expect(section.locator("[data-group=later], [data-group=this_week]")).to_contain_text("Offerte nabellen")

    today_item = phone.locator("[data-group=today] .followup", has_text="Intake plannen")
    today_item.locator("summary", has_text="Afronden").tap()
    today_item.get_by_label("Wat is er gedaan?").fill("Gebeld, intake op dinsdag")
    today_item.get_by_role("button", name="Afronden").tap()
    expect(section.get_by_role("status")).to_contain_text("afgerond. Het contactmoment is vastgelegd.")
    expect(section.locator(".followup", has_text="Intake plannen")).to_have_count(0)
    assert phone.evaluate("window.__noReload") == "still here", "the page was reloaded"
