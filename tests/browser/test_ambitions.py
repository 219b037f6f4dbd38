"""A coordinator opens the ambition table and drills into a number."""

from datetime import date

from playwright.sync_api import expect

from tests import factories
from tests.factories import PASSWORD


def test_coordinator_opens_the_ambition_table_and_drills_into_a_number(page, live_db):
    gemeente = factories.OrganisationFactory(name="Gemeente Drilldorp")
    partnership = factories.PartnershipFactory(name="Leerwerkakkoord Drilldorp")
    partnership.members.append(gemeente)
    factories.UserFactory(
        email="coordinator@drilldorp.example", name="Coby Drill", role="coordinator", organisation=gemeente
    )
    am = factories.UserFactory(name="Arie Drill", organisation=gemeente)
    period = factories.ProgrammePeriodFactory(name="Drill 2025", starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31))
    factories.AmbitionFactory(partnership=partnership, period=period, kind="duaal", target=8)
    employer = factories.EmployerFactory(name="Drillbouw BV", contactpersoon=am)
    for month in (2, 3, 5):
        factories.TrajectoryFactory(
            partnership=partnership, employer=employer, status="gestart", actual_start=date(2025, month, 1)
        )
    factories.TrajectoryFactory(partnership=partnership, employer=employer, status="aangemeld")  # not started
    period_id = period.id
    live_db.commit()  # and touch no ORM object afterwards: on SQLite a transaction holds the write lock

    page.goto("/login?next=/pijplijn/ambities")
    page.get_by_label("E-mailadres").fill("coordinator@drilldorp.example")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()

    expect(page.get_by_role("heading", name="Ambitie en stand", level=1)).to_be_visible()
    table = page.locator(f'[data-table="ambities-{period_id}"]')
    duaal = table.get_by_role("row").filter(has_text="Duaal")
    expect(duaal).to_contain_text("8")
    expect(duaal).to_contain_text("38%")  # 3 / 8 = 37.5% -> 38%
    # the chart is drawn from its JSON block by charts.js
    expect(page.locator(f'canvas[data-chart-source="chart-{period_id}"]')).to_have_attribute("data-drawn", "1")

    stand = duaal.get_by_role("link", name="3", exact=True)
    stand.click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Trajecten: 3")
    rows = page.locator("[data-drilldown=trajecten] tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Drillbouw BV")
    expect(page.get_by_text("gestart in Drill 2025")).to_be_visible()
