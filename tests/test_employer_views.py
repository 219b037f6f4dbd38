"""The pages for one employer: create (with validation and the duplicate warning), detail,
edit (refused when stale), the employer's people, handover, bulk handover and merge."""

import html
import re

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import (
    AuditEvent,
    Contact,
    ContactpersoonAssignment,
    Employer,
    EmployerPerson,
    FollowUp,
    Notification,
    SearchWord,
    Trajectory,
    Vacancy,
)
from crm.services import employers
from crm.services.employers import EmployerData
from crm.services.search import search_ids
from tests.conftest import csrf_token, login_as
from tests.factories import municipality


@pytest.fixture
def am(factories):
    return factories.UserFactory(
        role="accountmanager",
        name="Marieke Visser",
        phone="053 481 2000",
        email="marieke@uwv.example",
        organisation=factories.OrganisationFactory(name="UWV Werkbedrijf Twente", kind="uwv"),
    )


@pytest.fixture
def coordinator(factories):
    return factories.UserFactory(role="coordinator", name="Coördinator Carla")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def employer_form(**values) -> dict:
    data = {
        "name": "Bouwbedrijf Ter Horst B.V.",
        "kvk_number": "",
        "vestigingsnummer": "",
        "street": "Industrieweg",
        "house_number": "12",
        "postcode": "7554 RR",
        "city": "Hengelo",
        "municipality": "Hengelo",
        "phone": "",
        "email": "",
        "website": "",
        "sbi_code": "",
        "size": "",
        "status": "prospect",
        "notes": "",
    }
    data.update(values)
    return data


def post_new(client, user, **values):
    token = csrf_token(client, "/werkgevers/nieuw")
    data = employer_form(**values)
    data.setdefault("contactpersoon_id", user.id)
    return client.post("/werkgevers/nieuw", data={**data, "csrf_token": token})


# --- create ----------------------------------------------------------------------------


def test_new_employer_defaults_contactpersoon_to_creator(client, am, factories):
    factories.UserFactory(role="accountmanager", name="Anders Accountmanager")
    login_as(client, am)
    page = client.get("/werkgevers/nieuw").get_data(as_text=True)
    assert re.search(rf'<option selected value="{am.id}">Marieke Visser \(UWV Werkbedrijf Twente\)</option>', page)
    assert '<option value="Hengelo" data-region="Twente">' in page
    assert "intussen gewijzigd" not in page and "Bestaat deze werkgever al?" not in page

    response = post_new(client, am, kvk_number="1234 5678", sbi_code="41.20", email="Info@TerHorst.nl")
    assert response.status_code == 302
    employer = db.session.scalar(select(Employer).where(Employer.name == "Bouwbedrijf Ter Horst B.V."))
    assert response.headers["Location"] == f"/werkgevers/{employer.id}"
    assert employer.contactpersoon_id == am.id
    assert employer.kvk_number == "12345678" and employer.sbi_code == "4120" and employer.sbi_section_code == "F"
    assert employer.municipality == municipality("Hengelo") and employer.email == "info@terhorst.nl"
    assert count(AuditEvent, AuditEvent.object_type == "employer", AuditEvent.object_id == employer.id) == 1

    detail = text(client.get(response.headers["Location"]))
    assert "Werkgever Bouwbedrijf Ter Horst B.V. is aangemaakt." in detail
    assert "Arbeidsmarktregio Twente" in detail and "Bouwnijverheid" in detail


def test_new_employer_with_another_contactpersoon(client, am, factories):
    colleague = factories.UserFactory(role="accountmanager", name="Sanne Jansen")
    login_as(client, am)
    assert post_new(client, am, contactpersoon_id=colleague.id).status_code == 302
    employer = db.session.scalar(select(Employer).where(Employer.name == "Bouwbedrijf Ter Horst B.V."))
    assert employer.contactpersoon_id == colleague.id
    history = db.session.scalars(
        select(ContactpersoonAssignment).where(ContactpersoonAssignment.employer_id == employer.id)
    ).all()
    assert [(a.user_id, a.assigned_by_id) for a in history] == [(colleague.id, am.id)]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Vul de naam van de werkgever in."),
        ("kvk_number", "1234567", "Een KvK-nummer heeft precies 8 cijfers, bijvoorbeeld 12345678."),
        ("kvk_number", "1234567A", "Een KvK-nummer heeft precies 8 cijfers, bijvoorbeeld 12345678."),
        ("vestigingsnummer", "12345", "Een vestigingsnummer heeft precies 12 cijfers."),
        ("postcode", "75111 JK", "Vul een Nederlandse postcode in, bijvoorbeeld 7511 JK."),
        ("sbi_code", "4", "Een SBI-code bestaat uit 2 tot 5 cijfers, bijvoorbeeld 4711 of 47.11."),
        ("sbi_code", "04", "SBI-afdeling 04 bestaat niet."),
        ("municipality", "Atlantis", "Gemeente 'Atlantis' staat niet in de lijst van gemeenten."),
        ("email", "info@", "Vul een geldig e-mailadres in, bijvoorbeeld info@bedrijf.nl."),
        ("phone", "12", "Vul een geldig telefoonnummer in, bijvoorbeeld 053 481 2000."),
        ("website", "niet een site", "Vul een geldig webadres in, bijvoorbeeld www.bedrijf.nl."),
        ("notes", "Kandidaat met BSN 111222333 komt langs", "burgerservicenummer (BSN)"),
    ],
)
def test_new_employer_validation_messages(client, am, field, value, message):
    login_as(client, am)
    response = post_new(client, am, **{field: value})
    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert "Controleer de gemarkeerde velden." in page
    assert count(Employer) == 0


def test_taken_kvk_number_is_refused_and_links_the_existing_employer(client, am, factories):
    existing = factories.EmployerFactory(
        name="Zorggroep Manna", kvk_number="87654321", municipality=municipality("Almelo")
    )
    login_as(client, am)
    for confirmed in ("", "1"):  # "Toch opslaan" does not get past a taken KvK number
        response = post_new(client, am, name="Manna Zorg", kvk_number="8765 4321", confirm_duplicate=confirmed)
        page = text(response)
        assert response.status_code == 200
        assert "KvK-nummer 87654321 is al in gebruik bij Zorggroep Manna." in page
        assert f'<a href="/werkgevers/{existing.id}">Zorggroep Manna</a>' in page
    assert count(Employer) == 1


def test_duplicate_warning_then_save_anyway(client, am, factories):
    enschede = municipality("Enschede")
    existing = factories.EmployerFactory(
        name="Bakkerij De Korenbloem B.V.", kvk_number="11112222", municipality=enschede, contactpersoon=am
    )
    login_as(client, am)
    response = post_new(client, am, name="Bakkerij de Korenbloem", municipality="Enschede", city="Enschede")
    page = text(response)
    assert response.status_code == 200
    assert "Bestaat deze werkgever al?" in page
    assert "Bakkerij De Korenbloem B.V." in page and "11112222" in page and "Marieke Visser" in page
    assert f'href="/werkgevers/{existing.id}" target="_blank" rel="noopener">Open deze werkgever</a>' in page
    assert 'name="confirm_duplicate" type="hidden" value="1"' in page
    assert "Toch opslaan" in page
    assert count(Employer) == 1

    response = post_new(
        client, am, name="Bakkerij de Korenbloem", municipality="Enschede", city="Enschede", confirm_duplicate="1"
    )
    assert response.status_code == 302
    assert count(Employer) == 2


def test_similar_name_in_another_municipality_is_not_a_duplicate(client, am, factories):
    factories.EmployerFactory(name="Bakkerij De Korenbloem B.V.", municipality=municipality("Enschede"))
    login_as(client, am)
    assert post_new(client, am, name="Bakkerij de Korenbloem", municipality="Hengelo").status_code == 302


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        # stored with only Plaats, typed with only Plaats (other case)
        ({"city": "Enschede", "municipality": None}, {"city": "enschede", "municipality": ""}),
        # stored with a Gemeente, typed with only the Plaats of that name
        ({"city": "", "municipality": "Enschede"}, {"city": "Enschede", "municipality": ""}),
        # stored with only Plaats, typed with Gemeente and the same Plaats
        ({"city": "Glanerbrug", "municipality": None}, {"city": "Glanerbrug", "municipality": "Enschede"}),
    ],
)
def test_duplicate_warning_also_looks_at_the_place_typed(client, am, factories, stored, typed):
    where = {
        "city": stored["city"],
        "municipality": municipality(stored["municipality"]) if stored["municipality"] else None,
    }
    factories.EmployerFactory(name="Bakkerij De Korenbloem B.V.", **where)
    login_as(client, am)
    response = post_new(client, am, name="Bakkerij de Korenbloem", **typed)
    assert response.status_code == 200
    assert "Bestaat deze werkgever al?" in text(response)
    assert count(Employer) == 1


def test_similar_name_in_another_place_is_not_a_duplicate(client, am, factories):
    factories.EmployerFactory(name="Bakkerij De Korenbloem B.V.", city="Enschede", municipality=None)
    login_as(client, am)
    assert post_new(client, am, name="Bakkerij de Korenbloem", city="Hengelo", municipality="").status_code == 302


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/werkgevers/nieuw"),
        ("post", "/werkgevers/nieuw"),
        ("get", "/werkgevers/{id}/bewerken"),
        ("post", "/werkgevers/{id}/bewerken"),
        ("get", "/werkgevers/{id}/overdracht"),
        ("post", "/werkgevers/{id}/overdracht"),
        ("get", "/werkgevers/{id}/samenvoegen"),
        ("post", "/werkgevers/{id}/samenvoegen"),
        ("get", "/werkgevers/overdracht"),
        ("get", "/werkgevers/{id}/personen/nieuw"),
    ],
)
def test_partner_is_refused(client, factories, method, path):
    employer = factories.EmployerFactory(name="Metaalwerk Oost")
    partner = factories.UserFactory(role="partner")
    login_as(client, partner)
    token = csrf_token(client, "/")
    url = path.format(id=employer.id)
    if method == "get":
        response = client.get(url)
    else:
        response = client.post(url, data={**employer_form(name="Overgenomen"), "csrf_token": token, "note": "x"})
    assert response.status_code == 403
    assert "Geen toegang" in text(response)
    assert db.session.get(Employer, employer.id).name == "Metaalwerk Oost"


def test_partner_sees_the_employer_but_no_edit_buttons(client, factories):
    employer = factories.EmployerFactory(name="Metaalwerk Oost")
    login_as(client, factories.UserFactory(role="partner"))
    page = text(client.get(f"/werkgevers/{employer.id}"))
    assert "Metaalwerk Oost" in page and "Contact vastleggen" in page
    assert "Bewerken" not in page and "Overdragen" not in page and "Samenvoegen" not in page


def test_missing_employer_is_a_dutch_404(client, am):
    login_as(client, am)
    response = client.get("/werkgevers/999999")
    assert response.status_code == 404
    assert "Pagina niet gevonden" in text(response)


def test_requires_sign_in(client, factories):
    employer = factories.EmployerFactory()
    db.session.commit()
    response = client.get(f"/werkgevers/{employer.id}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# --- detail ----------------------------------------------------------------------------


def test_detail_shows_contactpersoon_and_key_facts(client, am, factories):
    employer = factories.EmployerFactory(
        name="Zorggroep Manna",
        kvk_number="87654321",
        vestigingsnummer="000012345678",
        street="Hoofdstraat",
        house_number="1a",
        postcode="7607 AA",
        city="Almelo",
        municipality=municipality("Almelo"),
        sbi_code="8710",
        sbi_section_code="Q",
        size="middel",
        erkend_leerbedrijf=True,
        website="https://www.manna.example",
        contactpersoon=am,
    )
    login_as(client, factories.UserFactory(role="partner"))
    page = text(client.get(f"/werkgevers/{employer.id}"))
    assert "Marieke Visser" in page and "UWV Werkbedrijf Twente" in page
    assert '<a href="tel:0534812000">053 481 2000</a>' in page
    assert '<a href="mailto:marieke@uwv.example">marieke@uwv.example</a>' in page
    for fact in ("87654321", "000012345678", "Hoofdstraat 1a", "7607 AA Almelo", "Arbeidsmarktregio Twente"):
        assert fact in page
    assert "8710" in page and "Q: Gezondheids- en welzijnszorg" in page
    assert "50-249 medewerkers" in page and "Erkend leerbedrijf" in page
    assert '<a href="https://www.manna.example" rel="noopener noreferrer" target="_blank">' in page
    assert f"/werkgevers/{employer.id}/contactmoment" in page


def test_detail_shows_contact_pressure_per_organisation_and_person(client, am, factories):
    employer = factories.EmployerFactory(contactpersoon=am)
    roc = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    teacher = factories.UserFactory(name="Docent Dirk", organisation=roc, role="partner")
    factories.ContactFactory(employer=employer, author=teacher)
    factories.ContactFactory(employer=employer, author=teacher)
    factories.ContactFactory(employer=employer, author=am)
    login_as(client, am)
    page = text(client.get(f"/werkgevers/{employer.id}"))
    pressure = page[page.index("Contactdruk") : page.index("Mensen bij de werkgever")]
    assert "ROC van Twente" in pressure and "Docent Dirk (2)" in pressure
    assert "UWV Werkbedrijf Twente" in pressure and "Marieke Visser (1)" in pressure


def test_merged_employer_redirects_to_the_one_it_was_merged_into(client, coordinator, factories):
    keep = factories.EmployerFactory(name="Installatiebedrijf Smit")
    duplicate = factories.EmployerFactory(name="Installatiebedrijf Smit BV")
    employers.merge(coordinator, keep, duplicate, "Dubbel")
    login_as(client, coordinator)
    response = client.get(f"/werkgevers/{duplicate.id}")
    assert response.status_code == 302 and response.headers["Location"] == f"/werkgevers/{keep.id}"
    page = text(client.get(response.headers["Location"]))
    assert "Installatiebedrijf Smit BV is samengevoegd met Installatiebedrijf Smit." in page


# --- edit ------------------------------------------------------------------------------


def edit_form(employer, **values) -> dict:
    data = employer_form(
        name=employer.name,
        kvk_number=employer.kvk_number or "",
        postcode=employer.postcode,
        city=employer.city,
        municipality=employer.municipality.name if employer.municipality else "",
        status=employer.status,
    )
    data["version"] = str(employer.version)
    data.update(values)
    return data


def test_edit_saves_and_audits(client, am, factories):
    employer = factories.EmployerFactory(name="Metaalwerk Oost", contactpersoon=am)
    login_as(client, am)
    page = client.get(f"/werkgevers/{employer.id}/bewerken").get_data(as_text=True)
    assert 'value="Metaalwerk Oost"' in page and f'name="version" type="hidden" value="{employer.version}"' in page
    assert 'name="contactpersoon_id"' not in page  # that changes by handing over
    token = csrf_token(client, f"/werkgevers/{employer.id}/bewerken")
    response = client.post(
        f"/werkgevers/{employer.id}/bewerken",
        data={**edit_form(employer, name="Metaalwerk Oost-Twente", phone="074 123 4567"), "csrf_token": token},
    )
    assert response.status_code == 302
    db.session.refresh(employer)
    assert employer.name == "Metaalwerk Oost-Twente" and employer.phone == "074 123 4567"
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "update", AuditEvent.object_id == employer.id)
    )
    assert event.actor_id == am.id and event.changes["name"] == ["Metaalwerk Oost", "Metaalwerk Oost-Twente"]


def test_trade_names_are_edited_shown_and_searched(client, am, factories):
    """Handelsnamen: typed one per line (repeats and empty lines dropped), shown on the employer
    page, audited, and found by the search, also with a typo."""
    employer = factories.EmployerFactory(name="Metaalwerk Oost", contactpersoon=am)
    login_as(client, am)
    assert "Handelsnamen" in client.get(f"/werkgevers/{employer.id}/bewerken").get_data(as_text=True)
    assert search_ids("lasbedrijf de vonk") == []
    token = csrf_token(client, f"/werkgevers/{employer.id}/bewerken")
    response = client.post(
        f"/werkgevers/{employer.id}/bewerken",
        data={
            **edit_form(employer, trade_names="Lasbedrijf De Vonk\r\n\r\n  Oost Constructie \nlasbedrijf de vonk"),
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    db.session.refresh(employer)
    assert employer.trade_names == "Lasbedrijf De Vonk\nOost Constructie"
    page = client.get(f"/werkgevers/{employer.id}").get_data(as_text=True)
    assert re.search(r'id="trade-names">Lasbedrijf De Vonk<br>Oost Constructie</dd>', page)
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "update", AuditEvent.object_id == employer.id)
    )
    assert event.changes["trade_names"] == ["", "Lasbedrijf De Vonk\nOost Constructie"]
    assert search_ids("lasbedrijf de vonk") == [employer.id]
    assert search_ids("vonk lasbedryf") == [employer.id]
    listed = client.get("/werkgevers", query_string={"q": "oost konstructie"}).get_data(as_text=True)
    assert f'href="/werkgevers/{employer.id}"' in listed


def test_edit_refuses_a_taken_kvk_number(client, am, factories):
    factories.EmployerFactory(name="Zorggroep Manna", kvk_number="87654321")
    employer = factories.EmployerFactory(name="Manna Thuiszorg", kvk_number=None, contactpersoon=am)
    login_as(client, am)
    token = csrf_token(client, f"/werkgevers/{employer.id}/bewerken")
    response = client.post(
        f"/werkgevers/{employer.id}/bewerken", data={**edit_form(employer, kvk_number="87654321"), "csrf_token": token}
    )
    assert "KvK-nummer 87654321 is al in gebruik bij Zorggroep Manna." in text(response)
    db.session.refresh(employer)
    assert employer.kvk_number is None


def test_an_edit_posted_without_a_version_is_refused_not_saved_blind(client, am, factories):
    employer = factories.EmployerFactory(name="Metaalwerk Oost", contactpersoon=am)
    form = edit_form(employer, name="Metaalwerk Oost-Twente")
    del form["version"]
    login_as(client, am)
    token = csrf_token(client, f"/werkgevers/{employer.id}/bewerken")
    response = client.post(f"/werkgevers/{employer.id}/bewerken", data={**form, "csrf_token": token})
    assert response.status_code == 200
    assert "Iemand anders heeft deze werkgever intussen gewijzigd" in text(response)
    db.session.refresh(employer)
    assert employer.name == "Metaalwerk Oost"


def test_stale_edit_is_refused_with_what_changed_and_can_be_resaved(client, am, coordinator, factories):
    employer = factories.EmployerFactory(name="Metaalwerk Oost", contactpersoon=am)
    seen = edit_form(employer)
    # Someone else saves in between.
    data = EmployerData.from_employer(employer)
    data.phone = "074 123 4567"
    employers.update_employer(coordinator, employer, data, version=employer.version)
    login_as(client, am)
    token = csrf_token(client, f"/werkgevers/{employer.id}/bewerken")
    response = client.post(
        f"/werkgevers/{employer.id}/bewerken",
        data={**seen, "name": "Metaalwerk Oost-Twente", "csrf_token": token},
    )
    page = text(response)
    assert response.status_code == 200
    assert "Iemand anders heeft deze werkgever intussen gewijzigd" in page
    assert "Coördinator Carla" in page
    assert re.search(r"Telefoon: <span[^>]*>\(leeg\)</span> &rarr; 074 123 4567", response.get_data(as_text=True))
    assert 'value="Metaalwerk Oost-Twente"' in page  # the user's own input is kept
    db.session.refresh(employer)
    assert employer.name == "Metaalwerk Oost" and employer.phone == "074 123 4567"
    current = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    assert int(current) == employer.version

    # Re-saving deliberately, on the current version, works.
    response = client.post(
        f"/werkgevers/{employer.id}/bewerken",
        data={**seen, "name": "Metaalwerk Oost-Twente", "version": current, "csrf_token": token},
    )
    assert response.status_code == 302
    db.session.refresh(employer)
    assert employer.name == "Metaalwerk Oost-Twente"


# --- the employer's people --------------------------------------------------------------


def test_people_add_edit_delete_with_one_primary(client, am, factories):
    employer = factories.EmployerFactory(name="Zorggroep Manna", contactpersoon=am)
    login_as(client, am)
    base = f"/werkgevers/{employer.id}/personen"
    token = csrf_token(client, f"{base}/nieuw")
    response = client.post(
        f"{base}/nieuw",
        data={
            "name": "Petra de Vries",
            "function": "HR-manager",
            "phone": "0546 123 456",
            "email": "petra@manna.example",
            "is_primary": "y",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    petra = db.session.scalar(select(EmployerPerson).where(EmployerPerson.name == "Petra de Vries"))
    assert petra.is_primary and petra.employer_id == employer.id

    response = client.post(
        f"{base}/nieuw", data={"name": "Joost Bakker", "function": "Teamleider", "is_primary": "y", "csrf_token": token}
    )
    assert response.status_code == 302
    joost = db.session.scalar(select(EmployerPerson).where(EmployerPerson.name == "Joost Bakker"))
    db.session.refresh(petra)
    assert joost.is_primary and not petra.is_primary

    page = text(client.get(f"/werkgevers/{employer.id}"))
    people = page[page.index("Mensen bij de werkgever") : page.index("Eerdere contactpersonen")]
    assert "Joost Bakker" in people and "Petra de Vries" in people and "HR-manager" in people
    assert '<a href="tel:0546123456">0546 123 456</a>' in people
    assert people.index("Joost Bakker") < people.index("eerste aanspreekpunt") < people.index("Petra de Vries")
    assert 'data-confirm="Petra de Vries verwijderen bij Zorggroep Manna?"' in people

    response = client.post(
        f"{base}/{petra.id}/bewerken",
        data={
            "name": "Petra de Vries-Smit",
            "function": "HR-manager",
            "is_primary": "y",
            "version": str(petra.version),
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    db.session.refresh(petra)
    db.session.refresh(joost)
    assert petra.name == "Petra de Vries-Smit" and petra.is_primary and not joost.is_primary
    assert search_ids("Petra de Vries-Smit") == [employer.id]  # the search knows the new name

    assert db.session.get(SearchWord, "jost") is not None  # in the search vocabulary, folded
    assert client.post(f"{base}/{joost.id}/verwijderen", data={"csrf_token": token}).status_code == 302
    assert db.session.get(EmployerPerson, joost.id) is None
    # gone from the vocabulary with him: no other employer's text holds it
    assert db.session.get(SearchWord, "jost") is None and db.session.get(SearchWord, "petra") is not None
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "employer_contact").order_by(AuditEvent.id)
    ).all()
    assert actions.count("create") == 2 and "delete" in actions and "update" in actions


def test_a_stale_person_edit_is_refused_and_overwrites_nothing(client, am, coordinator, factories):
    employer = factories.EmployerFactory(name="Zorggroep Manna", contactpersoon=am)
    petra = factories.EmployerPersonFactory(employer=employer, name="Petra de Vries", function="HR-adviseur")
    login_as(client, am)
    url = f"/werkgevers/{employer.id}/personen/{petra.id}/bewerken"
    token = csrf_token(client, url)
    opened = petra.version
    # A colleague of another partner changes her function in between.
    data = employers.PersonData(name="Petra de Vries", function="HR-manager", phone=petra.phone)
    employers.update_person(coordinator, petra, data, version=petra.version)
    db.session.commit()
    for version in (str(opened), None):  # the version the form was opened on, or none at all
        posted = {"name": "Petra de Vries", "function": "Recruiter", "csrf_token": token}
        page = text(client.post(url, data={**posted, "version": version} if version else posted))
        # The refusal names who changed what and when (not just what is stored now).
        assert "Iemand anders heeft de gegevens van deze persoon intussen gewijzigd" in page
        assert "Coördinator Carla" in page and "Functie: HR-adviseur → HR-manager" in " ".join(page.split())
        assert 'value="Recruiter"' in page  # the user's own input is kept
        assert 'data-conflict="function"' in page  # and marked: both changed it
        db.session.refresh(petra)
        assert petra.function == "HR-manager"


def test_people_validation_and_foreign_person(client, am, factories):
    employer = factories.EmployerFactory(contactpersoon=am)
    stranger = factories.EmployerPersonFactory(name="Ander Bedrijf Persoon")
    login_as(client, am)
    token = csrf_token(client, f"/werkgevers/{employer.id}/personen/nieuw")
    page = text(
        client.post(
            f"/werkgevers/{employer.id}/personen/nieuw", data={"name": "", "email": "geen-adres", "csrf_token": token}
        )
    )
    assert "Vul de naam van de persoon in." in page
    assert "Vul een geldig e-mailadres in, bijvoorbeeld info@bedrijf.nl." in page
    # A person of another employer is not reachable through this employer.
    assert client.get(f"/werkgevers/{employer.id}/personen/{stranger.id}/bewerken").status_code == 404
    assert (
        client.post(
            f"/werkgevers/{employer.id}/personen/{stranger.id}/verwijderen", data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert db.session.get(EmployerPerson, stranger.id) is not None


def test_deleting_a_person_keeps_the_contacts_that_named_them(client, am, factories):
    employer = factories.EmployerFactory(contactpersoon=am)
    person = factories.EmployerPersonFactory(employer=employer, name="Petra de Vries")
    contact = factories.ContactFactory(employer=employer, employer_contact=person, author=am)
    login_as(client, am)
    token = csrf_token(client, f"/werkgevers/{employer.id}")
    assert (
        client.post(
            f"/werkgevers/{employer.id}/personen/{person.id}/verwijderen", data={"csrf_token": token}
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).employer_contact_id is None


# --- handover --------------------------------------------------------------------------


def post_handover(client, employer, new, note):
    token = csrf_token(client, f"/werkgevers/{employer.id}/overdracht")
    return client.post(
        f"/werkgevers/{employer.id}/overdracht",
        data={"new_contactpersoon_id": new.id, "note": note, "csrf_token": token},
    )


def test_contactpersoon_hands_over_and_history_is_shown(client, am, factories):
    successor = factories.UserFactory(role="accountmanager", name="Sanne Jansen")
    employer = factories.EmployerFactory(name="Metaalwerk Oost", contactpersoon=am)
    login_as(client, am)
    page = text(client.get(f"/werkgevers/{employer.id}/overdracht"))
    assert "Sanne Jansen" in page and f'<option value="{am.id}">' not in page  # not to yourself
    response = post_handover(client, employer, successor, "Ik ga met verlof")
    assert response.status_code == 302
    db.session.refresh(employer)
    assert employer.contactpersoon_id == successor.id
    assert count(Notification, Notification.user_id == successor.id, Notification.kind == "handover") == 1
    page = text(client.get(f"/werkgevers/{employer.id}"))
    assert "Metaalwerk Oost is overgedragen aan Sanne Jansen." in page
    header = page[page.index('id="contactpersoon"') : page.index('id="facts-title"')]
    assert "Sanne Jansen" in header
    history = page[page.index("Eerdere contactpersonen") : page.index('id="tijdlijn"')]
    rows = re.findall(r'<tr class="assignment">(.*?)</tr>', history, re.S)
    assert len(rows) == 2
    assert (
        "Sanne Jansen" in rows[0] and "Ik ga met verlof" in rows[0] and "Marieke Visser" in rows[0] and "nu" in rows[0]
    )
    assert "Marieke Visser" in rows[1] and "Eerste contactpersoon" in rows[1]


def test_coordinator_hands_over(client, am, coordinator, factories):
    successor = factories.UserFactory(role="accountmanager", name="Sanne Jansen")
    employer = factories.EmployerFactory(contactpersoon=am)
    login_as(client, coordinator)
    assert post_handover(client, employer, successor, "Andere regio-indeling").status_code == 302
    db.session.refresh(employer)
    assert employer.contactpersoon_id == successor.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "handover"))
    assert event.actor_id == coordinator.id and event.summary == "Andere regio-indeling"


def test_another_account_manager_may_not_hand_over(client, am, factories):
    other = factories.UserFactory(role="accountmanager")
    employer = factories.EmployerFactory(contactpersoon=am)
    login_as(client, other)
    refused = client.get(f"/werkgevers/{employer.id}/overdracht")
    assert refused.status_code == 403
    # The refusal page says why, not only that access is denied.
    assert "Alleen de huidige contactpersoon, een coördinator of een beheerder kan deze werkgever overdragen." in text(
        refused
    )
    assert post_handover(client, employer, other, "Ik neem het over").status_code == 403
    db.session.refresh(employer)
    assert employer.contactpersoon_id == am.id
    assert "Overdragen" not in text(client.get(f"/werkgevers/{employer.id}"))


def test_handover_needs_a_note(client, am, factories):
    successor = factories.UserFactory(role="accountmanager")
    employer = factories.EmployerFactory(contactpersoon=am)
    login_as(client, am)
    page = text(post_handover(client, employer, successor, "   "))
    assert "Schrijf bij een overdracht kort waarom, voor de nieuwe contactpersoon." in page
    db.session.refresh(employer)
    assert employer.contactpersoon_id == am.id


def test_handover_after_someone_else_handed_over_is_refused(client, am, coordinator, factories):
    first, second = factories.UserFactory(name="Eerste Opvolger"), factories.UserFactory(name="Tweede Opvolger")
    employer = factories.EmployerFactory(contactpersoon=am)
    login_as(client, coordinator)
    token = csrf_token(client, f"/werkgevers/{employer.id}/overdracht")
    employers.hand_over(coordinator, employer, first, "Snel geregeld")  # while the form was open
    response = client.post(
        f"/werkgevers/{employer.id}/overdracht",
        data={"new_contactpersoon_id": second.id, "note": "Graag", "expected_id": str(am.id), "csrf_token": token},
    )
    assert "is intussen al overgedragen aan Eerste Opvolger" in text(response)
    db.session.refresh(employer)
    assert employer.contactpersoon_id == first.id


def test_bulk_handover_confirms_the_count_first(client, am, coordinator, factories):
    successor = factories.UserFactory(role="accountmanager", name="Sanne Jansen")
    mine = [factories.EmployerFactory(contactpersoon=am) for _ in range(3)]
    other = factories.EmployerFactory()
    login_as(client, coordinator)
    assert f"/werkgevers/overdracht?van={am.id}" in text(client.get(f"/werkgevers/{mine[0].id}"))
    page = text(client.get(f"/werkgevers/overdracht?van={am.id}"))
    assert f'<option selected value="{am.id}">Marieke Visser (3 werkgevers)</option>' in page
    token = csrf_token(client, "/werkgevers/overdracht")
    form = {"source_id": am.id, "target_id": successor.id, "note": "Vertrekt per 1 december", "csrf_token": token}
    page = text(client.post("/werkgevers/overdracht", data=form))
    assert "Marieke Visser is contactpersoon van 3 werkgevers." in page
    assert "Ja, draag 3 werkgevers over" in page
    assert count(Employer, Employer.contactpersoon_id == successor.id) == 0

    response = client.post("/werkgevers/overdracht", data={**form, "confirmed": "1"})
    assert response.status_code == 302
    assert "3 werkgevers van Marieke Visser zijn overgedragen aan Sanne Jansen." in text(
        client.get("/werkgevers/overdracht")
    )
    db.session.expire_all()
    assert {e.contactpersoon_id for e in (db.session.get(Employer, e.id) for e in mine)} == {successor.id}
    assert db.session.get(Employer, other.id).contactpersoon_id != successor.id
    assert count(Notification, Notification.user_id == successor.id) == 1


def test_bulk_handover_needs_a_note_and_two_people_and_a_coordinator(client, am, coordinator, factories):
    factories.EmployerFactory(contactpersoon=am)
    login_as(client, coordinator)
    token = csrf_token(client, "/werkgevers/overdracht")
    page = text(
        client.post(
            "/werkgevers/overdracht", data={"source_id": am.id, "target_id": am.id, "note": "", "csrf_token": token}
        )
    )
    assert "Schrijf bij een overdracht kort waarom" in page
    page = text(
        client.post(
            "/werkgevers/overdracht", data={"source_id": am.id, "target_id": am.id, "note": "x", "csrf_token": token}
        )
    )
    assert "Kies twee verschillende personen." in page
    login_as(client, am)
    assert client.get("/werkgevers/overdracht").status_code == 403


# --- merge -----------------------------------------------------------------------------


def test_merge_shows_both_moves_everything_and_redirects_the_old_address(client, coordinator, factories):
    keep = factories.EmployerFactory(name="Installatiebedrijf Smit", kvk_number=None)
    duplicate = factories.EmployerFactory(name="Installatiebedrijf Smit BV", kvk_number="11223344")
    for _ in range(2):
        factories.ContactFactory(employer=duplicate)
    factories.FollowUpFactory(employer=duplicate)
    factories.VacancyFactory(employer=duplicate)
    factories.TrajectoryFactory(employer=duplicate)
    login_as(client, coordinator)

    page = text(client.get(f"/werkgevers/{keep.id}/samenvoegen"))
    assert "Mogelijk dubbel" in page and "Installatiebedrijf Smit BV" in page  # same municipality, similar name
    page = text(client.get(f"/werkgevers/{keep.id}/samenvoegen", query_string={"q": "11223344"}))
    assert f"/werkgevers/{keep.id}/samenvoegen?duplicaat={duplicate.id}" in page
    page = text(client.get(f"/werkgevers/{keep.id}/samenvoegen", query_string={"q": str(duplicate.id)}))
    assert f"duplicaat={duplicate.id}" in page

    page = client.get(f"/werkgevers/{keep.id}/samenvoegen", query_string={"duplicaat": duplicate.id}).get_data(
        as_text=True
    )
    counts = dict(
        re.findall(r'<tr class="count" data-kind="(\w+)"><th scope="row">[^<]+</th><td>\d+</td><td>(\d+)</td>', page)
    )
    assert counts == {"contact": "2", "follow_up": "1", "vacancy": "1", "trajectory": "1", "employer_contact": "0"}
    assert "Het KvK-nummer 11223344 gaat mee." in page

    token = csrf_token(client, f"/werkgevers/{keep.id}/samenvoegen")
    response = client.post(
        f"/werkgevers/{keep.id}/samenvoegen", data={"duplicate_id": duplicate.id, "note": "Dubbel", "csrf_token": token}
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/werkgevers/{keep.id}"
    db.session.expire_all()
    for model in (Contact, FollowUp, Vacancy, Trajectory):
        assert count(model, model.employer_id == duplicate.id) == 0
    assert count(Contact, Contact.employer_id == keep.id) == 2
    assert db.session.get(Employer, keep.id).kvk_number == "11223344"
    assert count(AuditEvent, AuditEvent.action == "merge") == 2

    response = client.get(f"/werkgevers/{duplicate.id}")
    assert response.status_code == 302 and response.headers["Location"] == f"/werkgevers/{keep.id}"
    # The merged record cannot be merged, edited or handed over any more.
    assert client.get(f"/werkgevers/{keep.id}/samenvoegen", query_string={"duplicaat": duplicate.id}).status_code == 404
    assert client.get(f"/werkgevers/{duplicate.id}/bewerken").status_code == 404


def test_merge_with_itself_and_by_an_account_manager_is_refused(client, am, coordinator, factories):
    keep = factories.EmployerFactory(contactpersoon=am)
    login_as(client, coordinator)
    page = text(client.get(f"/werkgevers/{keep.id}/samenvoegen", query_string={"duplicaat": keep.id}))
    assert "Kies twee verschillende werkgevers." in page
    other = factories.EmployerFactory()
    login_as(client, am)
    assert client.get(f"/werkgevers/{keep.id}/samenvoegen").status_code == 403
    token = csrf_token(client, "/")
    assert (
        client.post(
            f"/werkgevers/{keep.id}/samenvoegen", data={"duplicate_id": other.id, "csrf_token": token}
        ).status_code
        == 403
    )
    assert db.session.get(Employer, other.id).merged_into_id is None
