"""Partner organisations and partnerships (/partners, /partners/<id>, /samenwerkingsverbanden/<id>)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import Trajectory
from tests.conftest import login_as


@pytest.fixture
def world(factories):
    class W:
        pass

    w = W()
    f = factories
    w.uwv = f.OrganisationFactory(name="UWV Werkbedrijf Noord", kind="uwv")
    w.roc = f.OrganisationFactory(name="ROC Noord", kind="roc")
    w.evc = f.OrganisationFactory(name="EVC Centrum Noord", kind="evc_aanbieder")
    w.p1 = f.PartnershipFactory(name="Leerwerkakkoord Noord", description="Samen aan de slag in Noord.")
    w.p1.members.extend([w.uwv, w.roc])
    w.anna = f.UserFactory(name="Anna Accountmanager", role="accountmanager", organisation=w.uwv)
    w.bert = f.UserFactory(name="Bert Buiten Dienst", role="accountmanager", organisation=w.uwv, active=False)
    w.cora = f.UserFactory(name="Cora Coördinator", role="coordinator", organisation=w.uwv)
    w.rita = f.UserFactory(name="Rita Roc", role="partner", organisation=w.roc)
    w.eva = f.UserFactory(name="Eva Evc", role="partner", organisation=w.evc)
    w.period = f.ProgrammePeriodFactory(name="2025", starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31))
    return w


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


@pytest.mark.parametrize("role", ["admin", "coordinator", "accountmanager", "partner"])
def test_every_signed_in_user_may_view_the_partner_pages(client, world, factories, role):
    login_as(client, factories.UserFactory(role=role))
    for path in ("/partners", f"/partners/{world.uwv.id}", f"/samenwerkingsverbanden/{world.p1.id}"):
        assert client.get(path).status_code == 200, path


def test_signed_out_users_go_to_the_login(client, world):
    assert client.get("/partners").status_code == 302


def test_unknown_ids_are_404(client, world):
    login_as(client, world.anna)
    assert client.get("/partners/999999").status_code == 404
    assert client.get("/samenwerkingsverbanden/999999").status_code == 404


def test_index_lists_organisations_and_partnerships(client, world):
    login_as(client, world.anna)
    page = text(client.get("/partners"))
    assert "UWV Werkbedrijf Noord" in page and "EVC Centrum Noord" in page
    assert "Leerwerkakkoord Noord" in page
    # UWV has two active users (Bert is deactivated)
    assert re.search(r"UWV Werkbedrijf Noord UWV 2 Leerwerkakkoord Noord", page)


def test_organisation_page_shows_active_users_only(client, world):
    login_as(client, world.rita)
    page = text(client.get(f"/partners/{world.uwv.id}"))
    assert "Anna Accountmanager" in page and "Cora Coördinator" in page
    assert "Bert Buiten Dienst" not in page
    assert "Medewerkers 2" in page


def test_organisation_page_lists_employers_its_people_are_contactpersoon_for_paginated(client, app, world, factories):
    for n in range(app.config["PAGE_SIZE"] + 2):
        factories.EmployerFactory(name=f"Werkgever {n:02d} BV", contactpersoon=world.anna)
    factories.EmployerFactory(name="Van Een Ander BV", contactpersoon=world.rita)
    login_as(client, world.rita)
    first = text(client.get(f"/partners/{world.uwv.id}?toon=werkgevers"))
    assert f"Werkgevers als contactpersoon {app.config['PAGE_SIZE'] + 2}" in first
    assert "Werkgever 00 BV" in first and "Van Een Ander BV" not in first
    assert "Pagina 1 van 2" in first
    second = text(client.get(f"/partners/{world.uwv.id}?toon=werkgevers&pagina=2"))
    assert "Werkgever 26 BV" in second and "Werkgever 00 BV" not in second


def test_organisation_page_lists_its_vacancies(client, world, factories):
    involved = factories.VacancyFactory(title="Leerling-monteur BBL", status="intake_gedaan")
    involved.organisations.append(world.roc)
    factories.VacancyFactory(title="Niet van ROC")
    login_as(client, world.anna)
    page = text(client.get(f"/partners/{world.roc.id}?toon=vacatures"))
    assert "Leerling-monteur BBL" in page and "Intake gedaan" in page
    assert "Niet van ROC" not in page
    assert "Vacatures 1" in page


def test_organisation_trajectories_are_counted_only_as_visible_to_the_viewer(client, world, factories):
    f, w = factories, world
    employer = f.EmployerFactory(contactpersoon=w.anna)
    for status, start in (("gestart", date(2025, 3, 1)), ("gestart", date(2025, 4, 1)), ("aangemeld", None)):
        t = f.TrajectoryFactory(partnership=w.p1, employer=employer, status=status, actual_start=start)
        f.TrajectoryOrganisationFactory(trajectory=t, organisation=w.roc, role="school")
    # Anna (UWV) is not involved: she sees no trajectories of the ROC
    login_as(client, w.anna)
    page = text(client.get(f"/partners/{w.roc.id}"))
    assert "Geen trajecten die u mag zien." in page
    # Rita works at the ROC: involved, so she sees the counts
    login_as(client, w.rita)
    page = text(client.get(f"/partners/{w.roc.id}"))
    assert "Gestart 2 0" in page and "Aangemeld 1 0" in page
    # no participant names anywhere on the page
    for t in db.session.scalars(select(Trajectory)):
        assert t.participant.last_name not in page
    # Cora coordinates the partnership the trajectories count toward: she sees them too
    login_as(client, w.cora)
    assert "Gestart 2 0" in text(client.get(f"/partners/{w.roc.id}"))


def test_partnership_page_shows_members_and_results(client, world, factories):
    f, w = factories, world
    f.AmbitionFactory(partnership=w.p1, period=w.period, kind="duaal", target=4)
    employer = f.EmployerFactory(contactpersoon=w.anna)
    f.TrajectoryFactory(partnership=w.p1, employer=employer, status="gestart", actual_start=date(2025, 5, 1))
    login_as(client, w.rita)
    response = client.get(f"/samenwerkingsverbanden/{w.p1.id}")
    page = text(response)
    assert "UWV Werkbedrijf Noord" in page and "ROC Noord" in page and "EVC Centrum Noord" not in page
    assert "Samen aan de slag in Noord." in page
    assert "Duaal 4 1 25%" in page and "EVC 0 0 –" in page and "Totaal 4 1 25%" in page
    # a partner may see the numbers but has no pipeline to drill into
    assert "/pijplijn/lijst" not in response.get_data(as_text=True)
    assert "Ambities invullen" not in page


def test_partnership_numbers_link_to_the_drill_down_for_its_coordinators(client, world, factories):
    f, w = factories, world
    employer = f.EmployerFactory(contactpersoon=w.anna)
    f.TrajectoryFactory(partnership=w.p1, employer=employer, status="gestart", actual_start=date(2025, 5, 1))
    login_as(client, w.cora)
    html = client.get(f"/samenwerkingsverbanden/{w.p1.id}").get_data(as_text=True)
    links = re.findall(r'href="(/pijplijn/lijst\?[^"]+)"', html)
    assert links and all(f"samenwerkingsverband={w.p1.id}" in link for link in links)
    assert "Ambities invullen" in html and "Pijplijn bekijken" in html
    drill = client.get(links[0].replace("&amp;", "&")).get_data(as_text=True)
    assert "<span data-total>1</span>" in drill
