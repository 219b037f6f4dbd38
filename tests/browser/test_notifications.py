"""A notification opened through its link counts as read: the badge in the menu goes down."""

import uuid

from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import sign_in


def test_opening_a_notification_marks_it_read(page, live_db):
    tag = uuid.uuid4().hex[:6]
    me = factories.UserFactory(email=f"nina-{tag}@uwv.example", name="Nina Notificatie")
    employer = factories.EmployerFactory(name=f"Bakkerij Melding {tag}", contactpersoon=me)
    factories.NotificationFactory(
        user_id=me.id, message=f"Jan had contact met Bakkerij Melding {tag}", link=f"/werkgevers/{employer.id}"
    )
    factories.NotificationFactory(user_id=me.id, message="Nog een melding", link="/")
    email, employer_id = me.email, employer.id
    live_db.commit()

    sign_in(page, email)
    badge = page.locator("#nav-unread")
    expect(badge).to_contain_text("2")
    page.goto("/meldingen")
    page.get_by_role("link", name=f"Jan had contact met Bakkerij Melding {tag}").click()
    expect(page).to_have_url(f"/werkgevers/{employer_id}")
    expect(badge).to_contain_text("1")
    page.goto("/meldingen")
    expect(page.locator(".notification.unread")).to_have_count(1)
    expect(page.get_by_role("button", name="Markeer als gelezen")).to_have_count(1)
