"""A vacancy intake taken through the form and moved across the board, without page reloads."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from crm.lib.clock import today
from crm.services.search import refresh_search_text
from tests import factories
from tests.browser.conftest import sign_in


def test_intake_moved_across_the_board_to_vervuld(page, live_db):
    me = factories.UserFactory(email="board@uwv.example", name="Marieke Visser", role="accountmanager")
    factories.OrganisationFactory(name="ROC Midden-Twente", kind="roc")
    employer = factories.EmployerFactory(name="Zuivelboerderij De Hooiberg", contactpersoon=me)
    refresh_search_text(employer)
    live_db.commit()  # and touch no row afterwards: on SQLite a read here would hold the write lock

    sign_in(page, "board@uwv.example")

    # the intake: find the employer, fill in the checklist
    page.goto("/vacatures/nieuw")
    page.get_by_role("searchbox", name="Werkgever").fill("hooiberg")
    page.get_by_role("button", name="Zoeken").click()
    page.get_by_role("link", name=re.compile("Zuivelboerderij De Hooiberg")).click()
    expect(page.get_by_role("heading", name="Nieuwe vacature")).to_be_visible()
    page.get_by_label("Functietitel").fill("Leerling kaasmaker (BBL)")
    page.get_by_label("Aantal plaatsen").fill("2")
    page.get_by_label("Opleidingsniveau").select_option("mbo2")
    page.get_by_label("Leerweg").select_option("bbl")
    page.get_by_label("Crebocode").fill("2530")  # one digit short
    page.get_by_label("Sluitingsdatum").fill((today() + timedelta(days=30)).isoformat())
    page.get_by_label("Locatie (gemeente)").fill("Tubbergen")
    page.get_by_label("ROC Midden-Twente").check()
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Een crebocode heeft precies 5 cijfers, bijvoorbeeld 25309.")).to_be_visible()
    page.get_by_label("Crebocode").fill("25309")
    page.get_by_role("button", name="Opslaan").click()

    expect(page.get_by_role("heading", name="Leerling kaasmaker (BBL)")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("is vastgelegd")
    expect(page.locator("#checklist-count")).to_have_text("7 van 12 ingevuld")
    vacancy_id = re.search(r"/vacatures/(\d+)$", page.url).group(1)

    # the board: every move swaps the board in place; the page itself stays
    page.get_by_role("link", name="Naar het bord").click()
    expect(page.get_by_role("heading", name="Vacaturebord")).to_be_visible()
    page.evaluate("window.__noReload = 'still here'")
    card = page.locator(f"#vacature-{vacancy_id}")
    expect(page.locator(f"#kolom-nieuw #vacature-{vacancy_id}")).to_be_visible()
    expect(card).to_contain_text("Zuivelboerderij De Hooiberg")
    expect(card).to_contain_text("2 plaatsen")

    card.get_by_role("button", name="Naar Intake gedaan").click()
    expect(page.locator(f"#kolom-intake_gedaan #vacature-{vacancy_id}")).to_be_visible()
    expect(page.locator("#kolom-nieuw")).not_to_contain_text("Leerling kaasmaker")
    expect(page.get_by_role("status")).to_contain_text("Leerling kaasmaker (BBL) staat nu op 'Intake gedaan'.")
    expect(card).to_be_focused()  # a keyboard user goes on from the card that moved

    card.get_by_role("button", name="Naar Kandidaten voorgesteld").click()
    expect(page.locator(f"#kolom-kandidaten_voorgesteld #vacature-{vacancy_id}")).to_be_visible()

    card.locator("summary", has_text="Naar Vervuld…").click()
    expect(card.get_by_label("Nieuwe status")).to_have_value("vervuld")
    card.get_by_label("Reden").fill("Kandidaat van het UWV aangenomen per 1 september")
    card.get_by_role("button", name="Status wijzigen").click()
    expect(page.locator(f"#kolom-vervuld #vacature-{vacancy_id}")).to_be_visible()
    expect(page.locator("#kolom-kandidaten_voorgesteld")).not_to_contain_text("Leerling kaasmaker")
    expect(page.get_by_role("status")).to_contain_text("staat nu op 'Vervuld'")
    assert page.evaluate("window.__noReload") == "still here", "the page was reloaded"

    # the history on the detail page, with who and why
    card.get_by_role("link", name="Leerling kaasmaker (BBL)").click()
    history = page.locator("#historie")
    expect(history.locator(".status-change")).to_have_count(4)
    expect(history.locator(".status-change").first).to_contain_text("Kandidaten voorgesteld → Vervuld")
    expect(history.locator(".status-change").first).to_contain_text("Kandidaat van het UWV aangenomen per 1 september")
    expect(history.locator(".status-change").first).to_contain_text("Marieke Visser")


def test_drag_and_drop_moves_the_card_or_explains_why_not(page, live_db):
    me = factories.UserFactory(email="drag@uwv.example", role="accountmanager")
    employer = factories.EmployerFactory(name="Metaalwerk Oost", contactpersoon=me)
    fresh = factories.VacancyFactory(employer=employer, title="Lasser", status="nieuw")
    filled = factories.VacancyFactory(employer=employer, title="Draaier", status="vervuld")
    fresh_id, filled_id, employer_id = fresh.id, filled.id, employer.id
    live_db.commit()  # and touch no row afterwards: on SQLite a read here would hold the write lock

    sign_in(page, "drag@uwv.example")
    page.goto(f"/vacatures/bord?werkgever={employer_id}")
    page.evaluate("window.__noReload = 'still here'")
    grip = {"x": 4, "y": 4}  # the card's edge: a drag does not start on its buttons

    # a move without a reason: dropped, sent, done
    page.locator(f"#vacature-{fresh_id}").drag_to(page.locator("#kolom-intake_gedaan"), source_position=grip)
    expect(page.locator(f"#kolom-intake_gedaan #vacature-{fresh_id}")).to_be_visible()

    # a move the workflow does not allow: the card stays and the board says why
    page.locator(f"#vacature-{filled_id}").drag_to(page.locator("#kolom-nieuw"), source_position=grip)
    expect(page.get_by_role("alert")).to_contain_text("Een vacature met status 'Vervuld' kan niet naar 'Nieuw'.")
    expect(page.locator(f"#kolom-vervuld #vacature-{filled_id}")).to_be_visible()

    # a move that needs a reason: dropping opens the card's reason form
    page.locator(f"#vacature-{fresh_id}").drag_to(page.locator("#kolom-ingetrokken"), source_position=grip)
    card = page.locator(f"#vacature-{fresh_id}")
    expect(card.get_by_label("Reden")).to_be_focused()
    expect(card.get_by_label("Nieuwe status")).to_have_value("ingetrokken")
    card.get_by_label("Reden").fill("Werkgever stopt met de BBL-plek")
    card.get_by_role("button", name="Status wijzigen").click()
    expect(page.locator(f"#kolom-ingetrokken #vacature-{fresh_id}")).to_be_visible()
    assert page.evaluate("window.__noReload") == "still here", "the page was reloaded"


def test_board_works_on_a_phone(phone, live_db):
    me = factories.UserFactory(email="phoneboard@uwv.example", role="accountmanager")
    employer = factories.EmployerFactory(name="Bakkerij Bolk", contactpersoon=me)
    vacancy_id = factories.VacancyFactory(employer=employer, title="Leerling bakker", status="nieuw").id
    employer_id = employer.id
    live_db.commit()  # and touch no row afterwards

    sign_in(phone, "phoneboard@uwv.example")
    phone.goto(f"/vacatures/bord?werkgever={employer_id}")
    card = phone.locator(f"#vacature-{vacancy_id}")
    button = card.get_by_role("button", name="Naar Intake gedaan")
    button.scroll_into_view_if_needed()
    button.tap()
    expect(phone.locator(f"#kolom-intake_gedaan #vacature-{vacancy_id}")).to_be_visible()
    # the page does not scroll sideways as a whole: only the row of columns does
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
