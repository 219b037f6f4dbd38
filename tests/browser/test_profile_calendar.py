"""The calendar address on the profile page can be copied with one click."""

from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import sign_in


def test_calendar_address_has_a_copy_button(browser, live_server, live_db):
    user = factories.UserFactory(email="kees@uwv.example", name="Kees Kopieer", role="accountmanager")
    user.ical_token = "k" * 43
    live_db.commit()
    context = browser.new_context(
        base_url=live_server, locale="nl-NL", permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, "kees@uwv.example")
        page.goto("/profiel")
        address = page.get_by_label("Uw agenda-link").input_value()
        assert address.endswith(f"/agenda/{'k' * 43}.ics")
        page.get_by_role("button", name="Kopiëren").click()
        expect(page.get_by_role("status")).to_contain_text("De agenda-link is gekopieerd.")
        assert page.evaluate("() => navigator.clipboard.readText()") == address
    finally:
        context.close()
