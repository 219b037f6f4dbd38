"""The worklist on a phone (390x844): what is done most is on the first screen, and a save
does not make the list jump.

"Find employer X, log a call, follow up in two weeks": the search box is at the top, so it takes
a tap on the box, typing the name, and three taps (Gebeld, Over 2 weken, Opslaan).
"""

from datetime import timedelta

from flask_babel import format_date
from playwright.sync_api import expect

from crm.lib.clock import today
from crm.models.base import utcnow
from crm.services.search import rebuild_search_text
from crm.services.worklist import follow_up_date
from tests import factories
from tests.browser.conftest import sign_in
from tests.browser.test_quick_log import Taps

SCREEN_HEIGHT = 844


def busy_account_manager(email: str):
    """An account manager with 40 employers, 12 overdue follow-ups, 2 for today, 3 later."""
    me = factories.UserFactory(email=email, name="Marieke Visser", role="accountmanager")
    employers = [
        factories.EmployerFactory(
            name=f"Installatiebedrijf Hengelo {i:02d}",
            contactpersoon=me,
            last_contact_at=utcnow() - timedelta(days=i),
        )
        for i in range(40)
    ]
    for i in range(12):
        factories.FollowUpFactory(
            owner=me, employer=employers[i], subject=f"Offerte nabellen {i}", due_date=today() - timedelta(days=i + 1)
        )
    for i in range(2):
        factories.FollowUpFactory(owner=me, employer=employers[i], subject=f"Vandaag bellen {i}", due_date=today())
    for i in range(3):
        factories.FollowUpFactory(
            owner=me, employer=employers[i], subject=f"Evaluatie {i}", due_date=today() + timedelta(days=60 + i)
        )
    return me


def bottom(locator) -> float:
    box = locator.bounding_box()
    assert box is not None, "not rendered"
    return box["y"] + box["height"]


def row_top(page, selector: str) -> float:
    return page.evaluate(f"document.querySelector('{selector}').getBoundingClientRect().top")


def test_find_employer_log_a_call_and_follow_up_in_two_weeks(phone, live_db, live_app):
    me = busy_account_manager("telefoon@uwv.example")
    target = factories.EmployerFactory(name="Dakdekkersbedrijf Kamphuis B.V.", city="Rijssen", contactpersoon=me)
    rebuild_search_text()
    target_id = target.id
    live_db.commit()
    with live_app.test_request_context():
        # "Over 2 weken" lands on a working day (crm.services.worklist.follow_up_date)
        due = format_date(follow_up_date(14), "d MMM yyyy")

    sign_in(phone, "telefoon@uwv.example")
    # the first screen: the search box, then today's follow-ups and the overdue ones
    search_box = phone.get_by_label("Zoek in mijn werkgevers")
    today_group = phone.locator("[data-group=today]")
    expect(today_group).to_contain_text("Vandaag bellen 1")
    assert bottom(search_box) <= SCREEN_HEIGHT
    assert bottom(today_group) <= SCREEN_HEIGHT, f"today's follow-ups end at {bottom(today_group)} px"
    overdue = phone.locator("[data-group-section=overdue] > summary")
    expect(overdue).to_contain_text("Te laat 12")
    assert bottom(overdue) <= SCREEN_HEIGHT
    # the folded groups have their count; the rest of a long group is one tap away
    expect(phone.locator("[data-group-section=later] > summary")).to_contain_text("Later 3")
    expect(phone.get_by_role("link", name="meer (nog 7)")).to_have_attribute("href", "/?groep=overdue")

    phone.evaluate("window.__noReload = 'still here'")
    taps = Taps()
    taps.tap(search_box)
    search_box.type("kamphuis")
    row = phone.locator(f"#find-results #employer-{target_id}")
    expect(row).to_contain_text("Dakdekkersbedrijf Kamphuis B.V.")
    taps.tap(row.get_by_role("link", name="Gebeld"))
    expect(row.get_by_label("Kanaal")).to_have_value("telefoon")
    taps.tap(row.locator("label", has_text="Over 2 weken"))
    before = row_top(phone, f"#employer-{target_id}"), phone.evaluate("window.scrollY")
    taps.tap(row.get_by_role("button", name="Opslaan"))

    expect(row.get_by_role("status")).to_contain_text("Contact met Dakdekkersbedrijf Kamphuis B.V. vastgelegd.")
    later = phone.locator("[data-group-section=later]")
    expect(later.locator("summary")).to_contain_text("Later 4")
    expect(later).to_contain_text("Opvolgen: Gebeld")
    expect(later).to_contain_text(due)
    after = row_top(phone, f"#employer-{target_id}"), phone.evaluate("window.scrollY")
    assert abs(after[0] - before[0]) <= 1, f"the row moved from {before} to {after} (top, scrollY)"
    assert taps.count == 4, "tap the box, type the name, Gebeld, Over 2 weken, Opslaan"
    assert phone.evaluate("window.__noReload") == "still here", "the page was reloaded"


def test_a_save_lower_down_does_not_make_the_list_jump(phone, live_db):
    me = factories.UserFactory(email="springen@uwv.example", role="accountmanager")
    employers = [
        factories.EmployerFactory(
            name=f"Bouwbedrijf Twente {i:02d}", contactpersoon=me, last_contact_at=utcnow() - timedelta(days=i)
        )
        for i in range(20)
    ]
    for i in range(3):
        factories.FollowUpFactory(owner=me, employer=employers[i], subject=f"Bellen {i}", due_date=today())
    row_id = f"employer-{employers[0].id}"  # the last row: most recently contacted
    live_db.commit()  # and read nothing afterwards: on SQLite that would hold up the server's writes

    sign_in(phone, "springen@uwv.example")
    row = phone.locator(f"#{row_id}")
    row.scroll_into_view_if_needed()
    row.get_by_role("link", name="Gebeld").tap()
    row.locator("label", has_text="Over 2 weken").tap()
    # the user scrolled on to the end of the page, under the open form
    phone.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    before = row_top(phone, f"#{row_id}")
    scroll_before = phone.evaluate("window.scrollY")
    row.get_by_role("button", name="Opslaan").tap()

    expect(row.get_by_role("status")).to_contain_text("vastgelegd")
    # the new follow-up appeared above the row; the row stays where the user was looking
    expect(phone.locator("#my-follow-ups")).to_contain_text("Opvolgen: Gebeld")
    phone.wait_for_timeout(300)  # past htmx's settle
    after = row_top(phone, f"#{row_id}")
    scroll_after = phone.evaluate("window.scrollY")
    assert abs(after - before) <= 1, (
        f"the row moved {after - before:.0f} px (scrollY {scroll_before} -> {scroll_after})"
    )
