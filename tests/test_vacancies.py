"""Vacancies: the intake and its checklist, the status workflow, the board (htmx), the list
with its filters, permissions, optimistic locking and the overdue worklist query."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.lib.clock import today
from crm.models import AuditEvent, Vacancy, VacancyStatusChange
from crm.models.vacancies import VACANCY_STATUSES
from crm.models.vacancies import organisation_ids_key as involvement_key
from crm.services import vacancies
from crm.services.errors import PermissionDenied, ServiceError, StaleRecord
from crm.services.search import refresh_search_text
from crm.services.vacancies import VacancyData, VacancyFilters
from tests.conftest import counted_queries as counting
from tests.conftest import csrf_token, login_as
from tests.factories import municipality

BSN = "111222333"  # passes the elfproef

# The documented workflow (crm/services/vacancies.py), written out once more on purpose.
EXPECTED_TRANSITIONS = {
    ("nieuw", "intake_gedaan"),
    ("nieuw", "ingetrokken"),
    ("nieuw", "verlopen"),
    ("intake_gedaan", "kandidaten_voorgesteld"),
    ("intake_gedaan", "ingetrokken"),
    ("intake_gedaan", "verlopen"),
    ("kandidaten_voorgesteld", "vervuld"),
    ("kandidaten_voorgesteld", "intake_gedaan"),
    ("kandidaten_voorgesteld", "ingetrokken"),
    ("kandidaten_voorgesteld", "verlopen"),
    ("vervuld", "kandidaten_voorgesteld"),
    ("ingetrokken", "nieuw"),
    ("verlopen", "nieuw"),
}
WITHOUT_REASON = {("nieuw", "intake_gedaan"), ("intake_gedaan", "kandidaten_voorgesteld")}
ALL_PAIRS = list(itertools.product(VACANCY_STATUSES, VACANCY_STATUSES))


@pytest.fixture
def am(factories):
    return factories.UserFactory(role="accountmanager", name="Marieke Visser")


@pytest.fixture
def employer(factories, am):
    return factories.EmployerFactory(name="Kaasmakerij Tubbergen", contactpersoon=am, sbi_code="1051")


def make_vacancy(factories, status="nieuw", **kwargs):
    vacancy = factories.VacancyFactory(status=status, **kwargs)
    factories.VacancyStatusChangeFactory(vacancy=vacancy, to_status="nieuw")
    return vacancy


def status_changes(vacancy):
    return db.session.scalars(
        select(VacancyStatusChange).where(VacancyStatusChange.vacancy_id == vacancy.id).order_by(VacancyStatusChange.id)
    ).all()


def audit_actions(vacancy):
    return db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_type == "vacancy", AuditEvent.object_id == vacancy.id)
        .order_by(AuditEvent.id)
    ).all()


def column(html: str, status: str) -> str:
    """The HTML of one board column."""
    match = re.search(rf'id="kolom-{status}".*?</section>', html, re.S)
    assert match, f"no column {status}"
    return match.group()


# --- the workflow -------------------------------------------------------------------------------


def test_transition_table_is_the_documented_one():
    table = {(a, b) for a, targets in vacancies.TRANSITIONS.items() for b in targets}
    assert table == EXPECTED_TRANSITIONS
    assert set(vacancies.TRANSITIONS) == set(VACANCY_STATUSES)
    assert {pair for pair in EXPECTED_TRANSITIONS if not vacancies.needs_reason(*pair)} == WITHOUT_REASON


@pytest.mark.parametrize(("from_status", "to_status"), ALL_PAIRS, ids=[f"{a}->{b}" for a, b in ALL_PAIRS])
def test_every_status_pair_follows_the_table(session, factories, am, from_status, to_status):
    vacancy = make_vacancy(factories, status=from_status, closing_date=today() + timedelta(days=30))
    version = vacancy.version
    before = len(status_changes(vacancy))
    if (from_status, to_status) in EXPECTED_TRANSITIONS:
        change = vacancies.change_status(am, vacancy, to_status, "Afgesproken met de werkgever")
        assert vacancy.status == to_status
        assert (change.from_status, change.to_status, change.changed_by_id) == (from_status, to_status, am.id)
        assert len(status_changes(vacancy)) == before + 1
        assert audit_actions(vacancy) == ["status"]
    else:
        with pytest.raises(ServiceError) as refused:
            vacancies.change_status(am, vacancy, to_status, "Afgesproken met de werkgever")
        message = str(refused.value)
        assert "kan niet naar" in message or "staat al op" in message
        session.refresh(vacancy)
        assert vacancy.status == from_status
        assert vacancy.version == version
        assert len(status_changes(vacancy)) == before
        assert audit_actions(vacancy) == []


@pytest.mark.parametrize(("from_status", "to_status"), sorted(EXPECTED_TRANSITIONS - WITHOUT_REASON), ids=lambda s: s)
def test_reason_is_required_to_end_step_back_or_reopen(session, factories, am, from_status, to_status):
    vacancy = make_vacancy(factories, status=from_status, closing_date=today() + timedelta(days=30))
    for reason in ("", "   "):
        with pytest.raises(ServiceError, match="Geef een reden op"):
            vacancies.change_status(am, vacancy, to_status, reason)
    assert vacancy.status == from_status
    vacancies.change_status(am, vacancy, to_status, "  Kandidaat aangenomen\n")
    assert status_changes(vacancy)[-1].reason == "Kandidaat aangenomen"


def test_unknown_status_and_bsn_in_reason_are_refused(session, factories, am):
    vacancy = make_vacancy(factories, status="kandidaten_voorgesteld")
    with pytest.raises(ServiceError, match="Onbekende status"):
        vacancies.change_status(am, vacancy, "gearchiveerd")
    with pytest.raises(ServiceError, match="burgerservicenummer"):
        vacancies.change_status(am, vacancy, "vervuld", f"Aangenomen: kandidaat {BSN}")
    assert vacancy.status == "kandidaten_voorgesteld"


def test_expired_vacancy_reopens_only_with_a_new_closing_date(session, factories, am):
    vacancy = make_vacancy(factories, status="verlopen", closing_date=today() - timedelta(days=3))
    with pytest.raises(ServiceError, match="nieuwe sluitingsdatum"):
        vacancies.change_status(am, vacancy, "nieuw", "Werkgever zoekt toch nog iemand")
    data = VacancyData.from_vacancy(vacancy)
    data.closing_date = today() + timedelta(days=14)
    vacancies.update_vacancy(am, vacancy, data, version=vacancy.version)
    vacancies.change_status(am, vacancy, "nieuw", "Werkgever zoekt toch nog iemand")
    assert vacancy.status == "nieuw"


def test_move_on_a_status_nobody_saw_is_refused(session, factories, am):
    vacancy = make_vacancy(factories, status="nieuw")
    other = factories.UserFactory(role="coordinator")
    vacancies.change_status(other, vacancy, "ingetrokken", "Werkgever trekt de vacature in")
    with pytest.raises(StaleRecord, match="intussen verplaatst naar 'Ingetrokken'"):
        vacancies.change_status(am, vacancy, "intake_gedaan", expected_status="nieuw")
    assert vacancy.status == "ingetrokken"


def test_create_records_nieuw_and_history_follows_every_move(session, factories, am, employer):
    data = VacancyData(title="Leerling kaasmaker (BBL)", positions=2, education_level="mbo2", learning_path="bbl")
    vacancy = vacancies.create_vacancy(am, employer, data)
    coordinator = factories.UserFactory(role="coordinator", name="Cor Coördinator")
    vacancies.change_status(am, vacancy, "intake_gedaan")
    vacancies.change_status(am, vacancy, "kandidaten_voorgesteld")
    vacancies.change_status(coordinator, vacancy, "vervuld", "Kandidaat start 1 september")
    history = vacancies.status_history(vacancy)
    assert [(c.from_status, c.to_status) for c in history] == [
        ("kandidaten_voorgesteld", "vervuld"),
        ("intake_gedaan", "kandidaten_voorgesteld"),
        ("nieuw", "intake_gedaan"),
        (None, "nieuw"),
    ]
    assert [c.changed_by.name for c in history] == ["Cor Coördinator", am.name, am.name, am.name]
    assert history[0].reason == "Kandidaat start 1 september"
    assert all(c.changed_at is not None for c in history)
    assert audit_actions(vacancy) == ["create", "status", "status", "status"]


def test_history_and_checklist_on_the_detail_page(client, factories, am, employer):
    vacancy = make_vacancy(
        factories,
        employer=employer,
        title="Leerling kaasmaker",
        hours_per_week=32,
        qualification_name="Medewerker voedingsindustrie",
        crebo="25245",
        start_date=today() + timedelta(days=40),
    )
    vacancies.change_status(am, vacancy, "intake_gedaan")
    vacancies.change_status(am, vacancy, "ingetrokken", "Werkgever heeft intern iemand gevonden")
    login_as(client, factories.UserFactory(role="partner"))
    html = client.get(f"/vacatures/{vacancy.id}").get_data(as_text=True)
    # title, positions, hours, level, qualification+crebo, learning path, start date: 7 of 12
    assert "7 van 12 ingevuld" in html
    items = [" ".join(unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in html.split("status-change")[1:]]
    assert len(items) == 3
    assert items[0].startswith('"> Intake gedaan → Ingetrokken')
    assert "Werkgever heeft intern iemand gevonden" in items[0] and am.name in items[0]
    assert items[1].startswith('"> Nieuw → Intake gedaan')
    assert items[2].startswith('"> Nieuw ')
    assert "Status wijzigen" not in html  # a partner not involved sees no moves


def checklist_items(html: str) -> dict[str, str]:
    """Checklist label -> "ja", "nee" or "nvt", as the detail page shows it (icons left out)."""
    items = {}
    for done, body in re.findall(r'<li class="col checklist-item" data-done="(\w+)">(.*?)</li>', html, re.S):
        shown = re.sub(r'<span[^>]*aria-hidden="true">[^<]*</span>', "", body)
        items[" ".join(unescape(re.sub(r"<[^>]+>", " ", shown)).split())] = done
    return items


def test_checklist_items_that_do_not_apply_are_not_counted_as_missing(client, factories, am, employer):
    """A job without an education requirement or learning path has no crebo code and needs no
    erkend leerbedrijf: the checklist says so instead of marking them missing."""
    login_as(client, am)

    def detail_page(**fields) -> str:
        vacancy = make_vacancy(factories, employer=employer, **fields)
        return client.get(f"/vacatures/{vacancy.id}").get_data(as_text=True)

    html = detail_page(title="Orderpicker", education_level="geen", learning_path="geen")
    items = checklist_items(html)
    assert items["Kwalificatie en crebocode (n.v.t.: geen opleidingseis)"] == "nvt"
    assert items["Erkend leerbedrijf voor deze kwalificatie (n.v.t.: geen opleidingseis)"] == "nvt"
    # title, positions, level, learning path of the 10 that apply
    assert "4 van 10 ingevuld" in html
    # An HBO vacancy needs a programme name but no crebo code; a BBL one at MBO needs both.
    items = checklist_items(
        detail_page(title="Duaal hbo", education_level="hbo", qualification_name="Verpleegkunde", crebo=None)
    )
    assert items["Kwalificatie en crebocode"] == "ja"
    assert items["Erkend leerbedrijf voor deze kwalificatie (n.v.t.: hbo-vacature)"] == "nvt"
    items = checklist_items(
        detail_page(
            title="Monteur", education_level="mbo3", learning_path="bbl", qualification_name="Monteur", crebo=None
        )
    )
    assert items["Kwalificatie en crebocode (ontbreekt)"] == "nee"
    assert items["Erkend leerbedrijf voor deze kwalificatie (ontbreekt)"] == "nee"


# --- the intake form ---------------------------------------------------------------------------


def intake(token: str, **overrides) -> dict:
    data = {
        "csrf_token": token,
        "title": "Leerling-monteur werktuigbouw",
        "positions": "3",
        "hours_per_week": "36",
        "education_level": "mbo3",
        "qualification_name": "Monteur mechatronica",
        "crebo": "25309",
        "learning_path": "bbl",
        "start_date": (today() + timedelta(days=60)).isoformat(),
        "closing_date": (today() + timedelta(days=30)).isoformat(),
        "municipality": "Hengelo",
        "requirements": "Rijbewijs B gewenst.",
        "erkend_for_qualification": "ja",
    }
    data.update(overrides)
    return data


def test_intake_creates_the_vacancy_with_its_checklist(client, factories, am, employer):
    roc = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    login_as(client, am)
    path = f"/vacatures/nieuw?werkgever={employer.id}"
    form_html = client.get(path).get_data(as_text=True)
    assert "Kaasmakerij Tubbergen" in form_html and "ROC van Twente" in form_html
    token = csrf_token(client, path)
    response = client.post(path, data=intake(token, organisation_ids=[str(roc.id), str(am.organisation_id)]))
    assert response.status_code == 302
    vacancy = db.session.scalar(select(Vacancy).where(Vacancy.employer_id == employer.id))
    assert response.headers["Location"].endswith(f"/vacatures/{vacancy.id}")
    assert (vacancy.title, vacancy.positions, vacancy.crebo, vacancy.learning_path) == (
        "Leerling-monteur werktuigbouw",
        3,
        "25309",
        "bbl",
    )
    assert vacancy.municipality.name == "Hengelo"
    assert vacancy.erkend_for_qualification is True
    assert {o.name for o in vacancy.organisations} == {"ROC van Twente", am.organisation.name}
    assert vacancy.status == "nieuw"
    assert [(c.from_status, c.to_status, c.changed_by_id) for c in status_changes(vacancy)] == [(None, "nieuw", am.id)]
    assert audit_actions(vacancy) == ["create"]
    html = client.get(f"/vacatures/{vacancy.id}").get_data(as_text=True)
    assert "12 van 12 ingevuld" in html
    assert "Vacature Leerling-monteur werktuigbouw bij Kaasmakerij Tubbergen is vastgelegd." in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("crebo", "2530", "Een crebocode heeft precies 5 cijfers"),
        ("crebo", "25309a", "Een crebocode heeft precies 5 cijfers"),
        ("positions", "0", "Het aantal plaatsen is minimaal 1"),
        ("positions", "", "Vul het aantal plaatsen in"),
        ("title", "", "Vul de functietitel in."),
        ("hours_per_week", "80", "tussen 1 en 60"),
        ("requirements", f"Kandidaat met BSN {BSN} is al bekend", "burgerservicenummer (BSN)"),
        ("title", f"Monteur {BSN}", "burgerservicenummer (BSN)"),
        ("qualification_name", f"Monteur {BSN}", "burgerservicenummer (BSN)"),
        ("education_level", "hbo", "BBL en BOL zijn leerwegen in het mbo"),
        ("municipality", "Atlantis", "staat niet in de lijst van gemeenten"),
        ("closing_date", (today() - timedelta(days=1)).isoformat(), "De sluitingsdatum ligt in het verleden"),
    ],
)
def test_intake_refuses_invalid_values_in_dutch(client, am, employer, field, value, message):
    login_as(client, am)
    path = f"/vacatures/nieuw?werkgever={employer.id}"
    response = client.post(path, data=intake(csrf_token(client, path), **{field: value}))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Vacancy)) == 0


def test_service_refuses_what_the_form_refuses(session, am, employer):
    for data, message in [
        (VacancyData(title="Monteur", crebo="123"), "5 cijfers"),
        (VacancyData(title="Monteur", positions=0), "minimaal 1"),
        (VacancyData(title=" "), "functietitel"),
        (VacancyData(title="Monteur", requirements=f"BSN {BSN}"), "burgerservicenummer"),
        (VacancyData(title="Monteur", education_level="hbo", learning_path="bol"), "mbo"),
    ]:
        with pytest.raises(ServiceError, match=message):
            vacancies.create_vacancy(am, employer, data)
    assert db.session.scalar(select(func.count()).select_from(Vacancy)) == 0


def test_new_vacancy_without_employer_lets_you_find_it(client, am, employer, factories):
    other = factories.EmployerFactory(name="Garage Oude Molen")
    for found in (employer, other):
        refresh_search_text(found)
    login_as(client, am)
    html = client.get("/vacatures/nieuw?q=kaasmakerij").get_data(as_text=True)
    assert f"/vacatures/nieuw?werkgever={employer.id}" in html
    assert "Garage Oude Molen" not in html
    assert "Geen werkgever gevonden" in client.get("/vacatures/nieuw?q=onbekendbedrijf").get_data(as_text=True)
    assert client.get("/vacatures/nieuw?werkgever=999999").status_code == 404


# --- editing: optimistic locking --------------------------------------------------------------------


def test_stale_edit_is_refused_with_what_changed(client, factories, am, employer):
    vacancy = make_vacancy(factories, employer=employer, title="Kaasmaker", positions=1)
    colleague = factories.UserFactory(role="coordinator", name="Cor Coördinator")
    login_as(client, am)
    path = f"/vacatures/{vacancy.id}/bewerken"
    token = csrf_token(client, path)
    seen = vacancy.version
    # the colleague saves first
    data = VacancyData.from_vacancy(vacancy)
    data.positions = 4
    vacancies.update_vacancy(colleague, vacancy, data, version=seen)
    db.session.commit()
    response = client.post(path, data=intake(token, title="Kaasmaker (BBL)", positions="2", version=str(seen)))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Iemand anders heeft deze vacature intussen gewijzigd" in html
    assert "Cor Coördinator" in html and "Aantal plaatsen: 1 &rarr; 4" in html
    session_vacancy = db.session.get(Vacancy, vacancy.id)
    db.session.refresh(session_vacancy)
    assert (session_vacancy.title, session_vacancy.positions) == ("Kaasmaker", 4)
    # saving again from the refreshed form is a deliberate choice, and works
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    response = client.post(path, data=intake(token, title="Kaasmaker (BBL)", positions="2", version=version))
    assert response.status_code == 302
    db.session.refresh(session_vacancy)
    assert (session_vacancy.title, session_vacancy.positions) == ("Kaasmaker (BBL)", 2)
    assert audit_actions(vacancy) == ["update", "update"]


def test_a_status_move_makes_an_open_edit_stale(session, factories, am):
    vacancy = make_vacancy(factories)
    seen = vacancy.version
    vacancies.change_status(am, vacancy, "intake_gedaan")
    data = VacancyData.from_vacancy(vacancy)
    data.title = "Iets anders"
    with pytest.raises(StaleRecord):
        vacancies.update_vacancy(am, vacancy, data, version=seen)
    assert [e.changes for e in vacancies.changes_since(vacancy, seen)] == [{"status": ["nieuw", "intake_gedaan"]}]


def test_changing_only_the_partners_is_audited_and_bumps_the_version(session, factories, am):
    vacancy = make_vacancy(factories)
    uwv = factories.OrganisationFactory(name="UWV Twente", kind="uwv")
    seen = vacancy.version
    data = VacancyData.from_vacancy(vacancy)
    data.organisation_ids = [uwv.id]
    vacancies.update_vacancy(am, vacancy, data, version=seen)
    assert vacancy.version == seen + 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "update"))
    assert event.changes == {"organisations": ["", "UWV Twente"]}


def stored_key(vacancy) -> str:
    return db.session.scalar(select(Vacancy.involvement_key).where(Vacancy.id == vacancy.id))


def test_the_involvement_key_follows_every_change_of_the_organisations(session, factories, am, employer):
    roc = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    uwv = factories.OrganisationFactory(name="UWV Twente", kind="uwv")
    ids = sorted([roc.id, am.organisation_id])
    vacancy = vacancies.create_vacancy(am, employer, VacancyData(title="Kaasmaker", organisation_ids=ids))
    assert stored_key(vacancy) == vacancy.involvement_key == f"{ids[0]},{ids[1]}"
    # through the service: one removed, one added; numbers sort as numbers ("9" before "10")
    data = VacancyData.from_vacancy(vacancy)
    data.organisation_ids = [uwv.id, am.organisation_id]
    vacancies.update_vacancy(am, vacancy, data, version=vacancy.version)
    assert stored_key(vacancy) == ",".join(str(i) for i in sorted([uwv.id, am.organisation_id]))
    # any other path: the collection changed directly, or a vacancy made by a factory
    vacancy.organisations.remove(uwv)
    db.session.flush()
    assert stored_key(vacancy) == str(am.organisation_id)
    other = factories.VacancyFactory(organisations=[uwv, roc])
    assert stored_key(other) == ",".join(str(i) for i in sorted([uwv.id, roc.id]))
    assert involvement_key([10, 9, 10]) == "9,10"


# --- permissions -------------------------------------------------------------------------------------


@pytest.fixture
def partner_case(factories):
    involved_org = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    other_org = factories.OrganisationFactory(name="Gemeente Almelo", kind="gemeente")
    vacancy = make_vacancy(factories, title="Verzorgende IG", organisations=[involved_org])
    involved = factories.UserFactory(role="partner", organisation=involved_org)
    outsider = factories.UserFactory(role="partner", organisation=other_org)
    return vacancy, involved, outsider


def test_everyone_signed_in_sees_vacancies(client, partner_case):
    vacancy, _involved, outsider = partner_case
    login_as(client, outsider)
    assert "Verzorgende IG" in client.get("/vacatures").get_data(as_text=True)
    assert "Verzorgende IG" in client.get("/vacatures/bord").get_data(as_text=True)
    assert client.get(f"/vacatures/{vacancy.id}").status_code == 200
    assert client.get("/vacatures/999999").status_code == 404


def test_signed_out_users_are_sent_to_sign_in(client, partner_case):
    vacancy, _involved, _outsider = partner_case
    for path in ("/vacatures", "/vacatures/bord", f"/vacatures/{vacancy.id}", "/vacatures/nieuw"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_partner_not_involved_gets_403_and_changes_nothing(client, partner_case):
    vacancy, _involved, outsider = partner_case
    login_as(client, outsider)
    token = csrf_token(client, "/vacatures")
    assert client.get(f"/vacatures/{vacancy.id}/bewerken").status_code == 403
    response = client.post(
        f"/vacatures/{vacancy.id}/bewerken", data=intake(token, title="Gekaapt", version=str(vacancy.version))
    )
    assert response.status_code == 403
    for headers in ({}, {"HX-Request": "true"}):
        response = client.post(
            f"/vacatures/{vacancy.id}/status",
            data={"csrf_token": token, "naar": "intake_gedaan", "van": "nieuw"},
            headers=headers,
        )
        assert response.status_code == 403
    db.session.refresh(vacancy)
    assert (vacancy.title, vacancy.status) == ("Verzorgende IG", "nieuw")
    with pytest.raises(PermissionDenied):
        vacancies.change_status(outsider, vacancy, "intake_gedaan")


def test_involved_partner_may_edit_and_move(client, partner_case):
    vacancy, involved, _outsider = partner_case
    login_as(client, involved)
    token = csrf_token(client, f"/vacatures/{vacancy.id}")
    response = client.post(
        f"/vacatures/{vacancy.id}/status", data={"csrf_token": token, "naar": "intake_gedaan", "van": "nieuw"}
    )
    assert response.status_code == 302
    db.session.refresh(vacancy)
    assert vacancy.status == "intake_gedaan"


def test_partner_creates_only_with_own_organisation_involved(client, factories, employer):
    roc = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    uwv = factories.OrganisationFactory(name="UWV Twente", kind="uwv")
    partner = factories.UserFactory(role="partner", organisation=roc)
    login_as(client, partner)
    path = f"/vacatures/nieuw?werkgever={employer.id}"
    assert re.search(rf'value="{roc.id}" id="org-{roc.id}" checked', client.get(path).get_data(as_text=True))
    token = csrf_token(client, path)
    html = client.post(path, data=intake(token, organisation_ids=[str(uwv.id)])).get_data(as_text=True)
    assert "Als partner legt u alleen vacatures vast waarbij uw eigen organisatie betrokken is" in html
    assert db.session.scalar(select(func.count()).select_from(Vacancy)) == 0
    assert client.post(path, data=intake(token, organisation_ids=[str(roc.id)])).status_code == 302
    with pytest.raises(PermissionDenied):
        vacancies.create_vacancy(partner, employer, VacancyData(title="X", organisation_ids=[uwv.id]))


def test_partner_cannot_take_own_organisation_off(session, partner_case):
    vacancy, involved, _outsider = partner_case
    data = VacancyData.from_vacancy(vacancy)
    data.organisation_ids = []
    with pytest.raises(ServiceError, match="eigen organisatie niet weghalen"):
        vacancies.update_vacancy(involved, vacancy, data, version=vacancy.version)


# --- the board -------------------------------------------------------------------------------------


def test_board_move_with_htmx_returns_the_board_with_the_card_moved(client, factories, am, employer):
    vacancy = make_vacancy(factories, employer=employer, title="Kaasmaker")
    login_as(client, am)
    token = csrf_token(client, "/vacatures/bord")
    response = client.post(
        f"/vacatures/{vacancy.id}/status",
        data={"csrf_token": token, "naar": "intake_gedaan", "van": "nieuw", "bron": "bord"},
        headers={"HX-Request": "true"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="vacancy-board"') and "<html" not in html
    assert "Kaasmaker staat nu op &#39;Intake gedaan&#39;." in html
    assert f'id="vacature-{vacancy.id}"' in column(html, "intake_gedaan")
    assert f'id="vacature-{vacancy.id}"' not in column(html, "nieuw")
    assert re.search(rf'id="vacature-{vacancy.id}"[^>]*autofocus', html)  # keyboard focus follows the card
    db.session.refresh(vacancy)
    assert vacancy.status == "intake_gedaan"


def test_refused_board_move_keeps_the_card_and_says_why(client, factories, am, employer):
    vacancy = make_vacancy(factories, employer=employer, title="Kaasmaker")
    login_as(client, am)
    token = csrf_token(client, "/vacatures/bord")
    response = client.post(
        f"/vacatures/{vacancy.id}/status",
        data={"csrf_token": token, "naar": "vervuld", "van": "nieuw", "bron": "bord"},
        headers={"HX-Request": "true"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Een vacature met status &#39;Nieuw&#39; kan niet naar &#39;Vervuld&#39;" in html
    assert 'role="alert"' in html
    assert f'id="vacature-{vacancy.id}"' in column(html, "nieuw")
    db.session.refresh(vacancy)
    assert vacancy.status == "nieuw"
    assert len(status_changes(vacancy)) == 1


def test_board_end_state_needs_a_reason_over_http(client, factories, am, employer):
    vacancy = make_vacancy(factories, employer=employer, status="kandidaten_voorgesteld")
    login_as(client, am)
    token = csrf_token(client, "/vacatures/bord")
    post = {"csrf_token": token, "naar": "vervuld", "van": "kandidaten_voorgesteld", "bron": "bord"}
    html = client.post(f"/vacatures/{vacancy.id}/status", data=post, headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "Geef een reden op voor &#39;Vervuld&#39;." in html
    db.session.refresh(vacancy)
    assert vacancy.status == "kandidaten_voorgesteld"
    html = client.post(
        f"/vacatures/{vacancy.id}/status", data={**post, "reden": "Aangenomen"}, headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert f'id="vacature-{vacancy.id}"' in column(html, "vervuld")


def test_plain_post_moves_redirect_with_a_message(client, factories, am, employer):
    vacancy = make_vacancy(factories, employer=employer, title="Kaasmaker")
    login_as(client, am)
    token = csrf_token(client, f"/vacatures/{vacancy.id}")
    response = client.post(
        f"/vacatures/{vacancy.id}/status?regio=5",
        data={"csrf_token": token, "naar": "intake_gedaan", "van": "nieuw", "bron": "bord"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/vacatures/bord?regio=5#vacature-{vacancy.id}")
    response = client.post(
        f"/vacatures/{vacancy.id}/status",
        data={"csrf_token": token, "naar": "vervuld", "van": "intake_gedaan", "bron": "detail"},
    )
    assert response.headers["Location"].endswith(f"/vacatures/{vacancy.id}")
    assert "kan niet naar" in client.get(f"/vacatures/{vacancy.id}").get_data(as_text=True)


def test_move_without_csrf_token_is_refused(client, factories, am):
    vacancy = make_vacancy(factories)
    login_as(client, am)
    response = client.post(f"/vacatures/{vacancy.id}/status", data={"naar": "intake_gedaan"})
    assert response.status_code == 400
    db.session.refresh(vacancy)
    assert vacancy.status == "nieuw"


def test_board_shows_columns_with_cards_and_a_more_link(client, factories, am, employer, monkeypatch):
    monkeypatch.setattr(vacancies, "BOARD_LIMIT", 2)
    for n in range(3):
        make_vacancy(factories, employer=employer, title=f"Kaasmaker {n}", closing_date=today() + timedelta(days=9))
    make_vacancy(factories, employer=employer, title="Inpakker", status="vervuld")
    login_as(client, am)
    html = client.get("/vacatures/bord").get_data(as_text=True)
    nieuw = column(html, "nieuw")
    assert "Kaasmaker 2" in nieuw and "Kaasmaker 1" in nieuw and "Kaasmaker 0" not in nieuw
    assert "Meer: alle 3 in de lijst" in nieuw and "/vacatures?status=nieuw" in nieuw
    assert "Kaasmakerij Tubbergen" in nieuw and "2 plaatsen" in nieuw
    assert "Inpakker" in column(html, "vervuld")
    assert "Geen vacatures" in column(html, "verlopen")
    assert "board.js" in html


def test_board_respects_the_filters(client, factories, am, employer):
    roc = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    make_vacancy(factories, employer=employer, title="Met ROC", organisations=[roc])
    make_vacancy(factories, employer=employer, title="Zonder ROC")
    login_as(client, am)
    html = client.get(f"/vacatures/bord?partner={roc.id}").get_data(as_text=True)
    assert "Met ROC" in html and "Zonder ROC" not in html
    assert f"partner={roc.id}" in html  # moves and links keep the filter


# --- the list ---------------------------------------------------------------------------------------


@pytest.fixture
def varied(factories, am):
    """Vacancies spread over regions, sectors, levels, paths, statuses and partners."""
    roc = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    uwv = factories.OrganisationFactory(name="UWV Groningen", kind="uwv")
    twente_food = factories.EmployerFactory(
        name="Kaasmakerij Tubbergen", contactpersoon=am, sbi_code="1051", sbi_section_code="C"
    )
    groningen_care = factories.EmployerFactory(
        name="Zorggroep Noord",
        municipality=municipality("Groningen"),
        sbi_code="8710",
        sbi_section_code="Q",
    )
    made = {
        "kaasmaker": make_vacancy(
            factories,
            employer=twente_food,
            title="Kaasmaker",
            education_level="mbo2",
            learning_path="bbl",
            organisations=[roc],
            closing_date=today() - timedelta(days=2),
        ),
        "verzorgende": make_vacancy(
            factories,
            employer=groningen_care,
            title="Verzorgende IG",
            education_level="mbo3",
            learning_path="bol",
            status="kandidaten_voorgesteld",
            organisations=[uwv],
            closing_date=today() + timedelta(days=20),
        ),
        # located in Groningen although the employer is in Twente
        "chauffeur": make_vacancy(
            factories,
            employer=twente_food,
            title="Chauffeur",
            education_level="geen",
            learning_path="geen",
            status="vervuld",
            municipality=municipality("Groningen"),
        ),
    }
    return made, roc, uwv


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"Kaasmaker", "Verzorgende IG", "Chauffeur"}),
        ("status=kandidaten_voorgesteld", {"Verzorgende IG"}),
        ("status=open", {"Kaasmaker", "Verzorgende IG"}),
        ("sbi=Q", {"Verzorgende IG"}),
        ("sbi=C", {"Kaasmaker", "Chauffeur"}),
        ("niveau=mbo2", {"Kaasmaker"}),
        ("leerweg=bol", {"Verzorgende IG"}),
        ("partner={roc}", {"Kaasmaker"}),
        ("partner={uwv}&status=vervuld", set()),
        ("regio={groningen}", {"Verzorgende IG", "Chauffeur"}),
        ("regio={twente}", {"Kaasmaker"}),
        ("mijn=y", {"Kaasmaker", "Chauffeur"}),
        ("te_laat=y", {"Kaasmaker"}),
        ("werkgever={kaas}", {"Kaasmaker", "Chauffeur"}),
    ],
)
def test_list_filters(client, am, varied, query, expected):
    made, roc, uwv = varied
    groningen = municipality("Groningen").region_id
    twente = made["kaasmaker"].employer.municipality.region_id
    query = query.format(roc=roc.id, uwv=uwv.id, groningen=groningen, twente=twente, kaas=made["kaasmaker"].employer_id)
    login_as(client, am)
    html = client.get(f"/vacatures?{query}").get_data(as_text=True)
    shown = {title for title in ("Kaasmaker", "Verzorgende IG", "Chauffeur") if f">{title}</a>" in html}
    assert shown == expected
    assert "Ongeldige keuze" not in html and "is-invalid" not in html
    if not expected:
        assert "Geen vacatures gevonden" in html and "Wis filters" in html


def test_list_sorting_and_pagination(client, app, am, varied, monkeypatch):
    login_as(client, am)
    html = client.get("/vacatures?sorteer=sluitingsdatum").get_data(as_text=True)
    assert html.index(">Kaasmaker</a>") < html.index(">Verzorgende IG</a>") < html.index(">Chauffeur</a>")
    html = client.get("/vacatures?sorteer=titel").get_data(as_text=True)
    assert html.index(">Chauffeur</a>") < html.index(">Kaasmaker</a>") < html.index(">Verzorgende IG</a>")
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    first = client.get("/vacatures?sorteer=titel").get_data(as_text=True)
    second = client.get("/vacatures?sorteer=titel&pagina=2").get_data(as_text=True)
    assert "Pagina 1 van 2" in first and ">Verzorgende IG</a>" not in first
    assert ">Verzorgende IG</a>" in second and ">Chauffeur</a>" not in second
    assert "3 vacatures" in second


def test_empty_list_invites_to_record_a_vacancy(client, am):
    login_as(client, am)
    html = client.get("/vacatures").get_data(as_text=True)
    assert "Geen vacatures gevonden" in html and "Er zijn nog geen vacatures" in html


@pytest.mark.parametrize("path", ["/vacatures", "/vacatures/bord"])
def test_query_count_does_not_grow_with_the_rows(client, factories, am, path):
    orgs = [factories.OrganisationFactory() for _ in range(3)]
    partner = factories.UserFactory(role="partner", organisation=orgs[0])  # edit rights need the partners

    def add(n):
        for i in range(n):
            make_vacancy(
                factories,
                status=VACANCY_STATUSES[i % 6],
                organisations=orgs[: i % 3 + 1],
                municipality=municipality("Hengelo"),
            )

    login_as(client, partner)
    add(2)
    db.session.commit()
    with counting() as few:
        assert client.get(path).status_code == 200
    add(14)
    db.session.commit()
    with counting() as many:
        assert client.get(path).status_code == 200
    assert len(many) == len(few), many


# --- the worklist: overdue vacancies ----------------------------------------------------------------


def test_overdue_vacancies_of_my_employers(session, factories, am, employer):
    yesterday, long_ago = today() - timedelta(days=1), today() - timedelta(days=30)
    first = make_vacancy(factories, employer=employer, title="Lang verlopen", closing_date=long_ago)
    second = make_vacancy(
        factories, employer=employer, title="Gisteren", status="kandidaten_voorgesteld", closing_date=yesterday
    )
    make_vacancy(factories, employer=employer, title="Sluit vandaag", closing_date=today())
    make_vacancy(factories, employer=employer, title="Geen datum")
    for closed in ("vervuld", "ingetrokken", "verlopen"):
        make_vacancy(factories, employer=employer, status=closed, closing_date=long_ago)
    make_vacancy(factories, title="Van een ander", closing_date=long_ago)  # someone else's employer
    assert vacancies.overdue_vacancies(am) == [first, second]
    assert vacancies.overdue_vacancies(am, limit=1) == [first]
    assert vacancies.overdue_vacancies(am, on=long_ago) == []
    assert vacancies.overdue_vacancies(factories.UserFactory()) == []
    # the list can show the same worklist
    page = vacancies.list_page(am, VacancyFilters(contactpersoon_id=am.id, overdue=True))
    assert page.items == [second, first]
