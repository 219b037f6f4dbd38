"""A coordinator imports employers from a CSV file with a real browser."""

import codecs

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from crm.models import Employer
from tests import factories
from tests.factories import PASSWORD

CSV_ROWS = [
    "Bedrijfsnaam;KvK;Postcode;Woonplaats;Gemeente;SBI",
    "Houtbewerking Van Dam;91000001;7511 JK;Enschede;Enschede;1623",
    "Schildersbedrijf Kleur;91000002;7551 AA;Hengelo;Hengelo;4334",
    "Kwekerij Groen;9100000;7607 AB;Almelo;Almelo;0113",
    "Bakkerij Nergens;91000004;7511 JK;Enschede;Atlantis;1071",
    "Houtbewerking Van Dam (nogmaals);91000001;7511 JK;Enschede;Enschede;1623",
]


@pytest.fixture
def import_folder(live_app, tmp_path, monkeypatch):
    monkeypatch.setitem(live_app.config, "IMPORT_FOLDER", str(tmp_path / "imports"))


def test_coordinator_uploads_checks_and_confirms(page, live_db, import_folder, tmp_path):
    factories.UserFactory(email="coby@twente.example", name="Coby Coördinator", role="coordinator")
    live_db.commit()
    csv_file = tmp_path / "werkgevers twente.csv"
    csv_file.write_bytes(codecs.BOM_UTF8 + "\r\n".join(CSV_ROWS).encode("utf-8"))

    page.goto("/login")
    page.get_by_label("E-mailadres").fill("coby@twente.example")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()

    page.goto("/werkgevers/import")
    expect(page.get_by_role("heading", name="Werkgevers importeren")).to_be_visible()
    page.get_by_label("Bestand", exact=True).set_input_files(str(csv_file))
    page.get_by_role("button", name="Bestand inlezen").click()

    # the columns are mapped from their names; the importing coordinator is the default contactpersoon
    expect(page.get_by_label("Naam", exact=True)).to_have_value("0")
    expect(page.get_by_label("Gemeente", exact=True)).to_have_value("4")
    expect(page.get_by_label("Standaard contactpersoon")).to_contain_text("Coby Coördinator")
    page.get_by_role("button", name="Controleren").click()

    expect(page.locator("[data-total=total]")).to_have_text("5")
    expect(page.locator("[data-total=ok]")).to_have_text("2")
    expect(page.locator("[data-total=error]")).to_have_text("2")
    expect(page.locator("[data-total=duplicate]")).to_have_text("1")
    expect(page.locator("tr[data-row='4']")).to_contain_text("Een KvK-nummer heeft precies 8 cijfers")
    expect(page.locator("tr[data-row='5']")).to_contain_text("Gemeente 'Atlantis' staat niet in de lijst")
    expect(page.locator("tr[data-row='6']")).to_contain_text("Zelfde KvK-nummer als rij 2 in dit bestand")
    nothing_yet = live_db.scalar(select(Employer).where(Employer.kvk_number == "91000001"))
    live_db.rollback()  # end the read: on SQLite every transaction holds the write lock
    assert nothing_yet is None

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="2 werkgevers importeren").click()

    expect(page.get_by_role("alert")).to_contain_text("De import is klaar: 2 werkgevers aangemaakt.")
    expect(page.locator("[data-total=created]")).to_have_text("2")
    expect(page.locator("[data-total=error]")).to_have_text("2")
    expect(page.locator("[data-total=duplicate]")).to_have_text("1")
    link = page.get_by_role("link", name="Overgeslagen rijen downloaden (CSV)")
    expect(link).to_be_visible()
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "werkgevers twente-afgewezen.csv"
    report = download.path().read_text(encoding="utf-8-sig")
    assert report.splitlines()[0] == CSV_ROWS[0] + ";fouten"
    assert "Kwekerij Groen" in report and "Houtbewerking Van Dam (nogmaals)" in report

    names = live_db.scalars(select(Employer.name).where(Employer.kvk_number.like("9100000%")).order_by(Employer.name))
    assert list(names) == ["Houtbewerking Van Dam", "Schildersbedrijf Kleur"]
    live_db.rollback()


def test_import_page_works_on_a_phone(phone, live_db, import_folder):
    factories.UserFactory(email="coby.telefoon@twente.example", role="coordinator")
    live_db.commit()
    phone.goto("/login")
    phone.get_by_label("E-mailadres").fill("coby.telefoon@twente.example")
    phone.get_by_label("Wachtwoord").fill(PASSWORD)
    phone.get_by_role("button", name="Aanmelden").click()
    phone.goto("/werkgevers/import")
    expect(phone.get_by_role("button", name="Bestand inlezen")).to_be_in_viewport()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
