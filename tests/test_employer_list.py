"""The employer list (/werkgevers): search, filters, sorting, pages, contact pressure, export."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from html import unescape

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from crm.extensions import db
from crm.lib.clock import local
from crm.models import AuditEvent, Employer, Municipality, Region
from crm.models.base import utcnow
from crm.services.search import rebuild_search_text
from tests.conftest import counted_queries, csrf_token, login_as
from tests.factories import municipality

ROW_NAME = re.compile(r'<a class="fw-semibold" href="/werkgevers/(\d+)">([^<]+)</a>')


def names(html: str) -> list[str]:
    return [unescape(name) for _id, name in ROW_NAME.findall(html)]


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


@pytest.fixture
def uwv(factories):
    return factories.OrganisationFactory(name="UWV Werkbedrijf Twente", kind="uwv")


@pytest.fixture
def me(factories, uwv):
    return factories.UserFactory(name="Anna de Vries", role="accountmanager", organisation=uwv)


@pytest.fixture
def signed_in(client, me):
    def sign_in():
        rebuild_search_text()
        login_as(client, me)
        return client

    return sign_in


def ask_export(client, formaat: str = "csv", **params):
    """Ask for an export as the list's buttons do: a POST with the list's filters in the query
    string and the format from the button. Answers with a redirect to the export job's page."""
    token = csrf_token(client, "/werkgevers")
    return client.post("/werkgevers/export", query_string=params, data={"csrf_token": token, "formaat": formaat})


def get_export(client, formaat: str = "csv", **params):
    """The exported file as the user gets it: asked for, the job's page (in the tests Celery runs
    the job at once, eagerly) and its download link; read completely."""
    response = ask_export(client, formaat, **params)
    assert response.status_code == 302, response.status_code
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    link = re.search(r'href="(/exporten/[0-9a-f]{32}/bestand)"', page)
    assert link, page
    return client.get(link.group(1), buffered=True)


def get_list(client, **params) -> str:
    response = client.get("/werkgevers", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- access ----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get("/werkgevers")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("formaat", ["csv", "xlsx"])
def test_anonymous_asking_for_an_export_is_sent_to_login(client, formaat):
    response = client.post("/werkgevers/export", data={"csrf_token": csrf_token(client, "/login"), "formaat": formaat})
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_unknown_export_format_is_404(signed_in):
    assert ask_export(signed_in(), formaat="pdf").status_code == 404


# --- what a row shows ------------------------------------------------------------------------


def test_row_shows_columns_and_links_to_detail(signed_in, factories, me):
    employer = factories.EmployerFactory(
        name="Bouwbedrijf Ter Horst B.V.",
        kvk_number="12345678",
        sbi_section_code="F",
        status="prospect",
        contactpersoon=me,
        municipality=municipality("Hengelo"),
        last_contact_at=utcnow() - timedelta(days=3),
    )
    html = get_list(signed_in())
    assert f'href="/werkgevers/{employer.id}">Bouwbedrijf Ter Horst B.V.</a>' in html
    row = html[html.index("Bouwbedrijf Ter Horst") :]
    row = row[: row.index("</tr>")]
    for text in ("12345678", "Hengelo", ">F<", "Anna de Vries", "UWV Werkbedrijf Twente", "Prospect"):
        assert text in row
    assert "nooit" not in row and "⚠" not in row
    assert "1 werkgever" in html


def test_last_contact_long_ago_or_never_is_highlighted(signed_in, factories):
    factories.EmployerFactory(name="Recent BV", last_contact_at=utcnow() - timedelta(days=10))
    factories.EmployerFactory(name="Lang Geleden BV", last_contact_at=utcnow() - timedelta(days=120))
    factories.EmployerFactory(name="Nooit Gesproken BV", last_contact_at=None)
    html = get_list(signed_in())

    def row(name):
        part = html[html.index(name) :]
        return part[: part.index("</tr>")]

    assert "⚠" not in row("Recent BV") and "nooit" not in row("Recent BV")
    assert "⚠" in row("Lang Geleden BV") and "langer dan 90 dagen geleden" in row("Lang Geleden BV")
    assert ">nooit<" in row("Nooit Gesproken BV")


def test_contact_pressure_badges_per_organisation(signed_in, factories):
    employer = factories.EmployerFactory(name="Zorggroep Manna")
    gemeente = factories.OrganisationFactory(name="Gemeente Enschede")
    roc = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    colleague = factories.UserFactory(organisation=gemeente)
    teacher = factories.UserFactory(organisation=roc)
    for days in (2, 12):
        factories.ContactFactory(employer=employer, author=colleague, occurred_at=utcnow() - timedelta(days=days))
    factories.ContactFactory(employer=employer, author=teacher, occurred_at=utcnow() - timedelta(days=60))
    factories.ContactFactory(employer=employer, author=teacher, occurred_at=utcnow() - timedelta(days=200))
    html = get_list(signed_in())
    pressure = html[html.index('class="d-none d-md-table-cell contact-pressure"') :]
    pressure = " ".join(pressure[: pressure.index("</td>")].split())
    assert "Gemeente Enschede 2×/30d" in pressure
    assert "ROC van Twente 1×/90d" in pressure


# --- search ------------------------------------------------------------------------------------


@pytest.fixture
def three(factories):
    a = factories.EmployerFactory(name="Bakkerij Jansen", kvk_number="11112222", municipality=municipality("Enschede"))
    b = factories.EmployerFactory(name="Garage Oude Mors", kvk_number="33334444", municipality=municipality("Hengelo"))
    c = factories.EmployerFactory(name="Zorggroep Manna", kvk_number="55556666", municipality=municipality("Almelo"))
    factories.EmployerPersonFactory(employer=c, name="Fatima el Amrani")
    return a, b, c


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("bakker", ["Bakkerij Jansen"]),
        ("OUDE MORS", ["Garage Oude Mors"]),
        ("33334444", ["Garage Oude Mors"]),
        ("5555", ["Zorggroep Manna"]),
        ("hengelo", ["Garage Oude Mors"]),
        ("amrani", ["Zorggroep Manna"]),
    ],
    ids=["name", "name-case", "kvk", "kvk-part", "municipality", "employer-contact"],
)
def test_search(signed_in, three, term, expected):
    assert names(get_list(signed_in(), q=term)) == expected


def test_search_tolerates_a_typo(signed_in, three):
    assert names(get_list(signed_in(), q="bakkerei")) == ["Bakkerij Jansen"]


def test_search_without_match_shows_empty_state(signed_in, three):
    html = get_list(signed_in(), q="xyzzy-niets")
    assert "Geen werkgevers gevonden" in html
    assert "Wis filters" in html
    assert names(html) == []


def test_empty_database_shows_empty_state_without_clear_link(signed_in):
    html = get_list(signed_in())
    assert "Geen werkgevers gevonden" in html
    assert "Er zijn nog geen werkgevers" in html


# --- filters -----------------------------------------------------------------------------------


def other_region_municipality() -> Municipality:
    twente = municipality("Enschede").region_id
    return db.session.scalar(
        select(Municipality).where(Municipality.region_id != twente).order_by(Municipality.name).limit(1)
    )


def test_filter_region_and_municipality(signed_in, factories):
    factories.EmployerFactory(name="Enschede BV", municipality=municipality("Enschede"))
    factories.EmployerFactory(name="Hengelo BV", municipality=municipality("Hengelo"))
    elsewhere = other_region_municipality()
    factories.EmployerFactory(name="Elders BV", municipality=elsewhere)
    client = signed_in()
    twente = municipality("Enschede").region_id
    assert names(get_list(client, regio=twente)) == ["Enschede BV", "Hengelo BV"]
    assert names(get_list(client, regio=elsewhere.region_id)) == ["Elders BV"]
    assert names(get_list(client, gemeente=municipality("Hengelo").id)) == ["Hengelo BV"]
    assert names(get_list(client, regio=twente, gemeente=elsewhere.id)) == []


def test_totals_from_the_tally_equal_a_count_of_the_employers(signed_in, factories, me, uwv):
    """The list's total without a search or a filter on the employers' own fields is summed
    from ``employer_tally``: it must say what a count of the employers says, per filter and in
    the municipality sort, with merged employers and employers without a municipality."""
    gemeente = factories.OrganisationFactory(name="Gemeente Hengelo")
    other = factories.UserFactory(organisation=gemeente)
    elsewhere = other_region_municipality()
    for n, (place, owner) in enumerate(
        [("Enschede", me), ("Enschede", other), ("Hengelo", me), (None, other), (elsewhere, me), ("Hengelo", other)]
    ):
        at = municipality(place) if isinstance(place, str) else place
        factories.EmployerFactory(name=f"Werkgever {n}", municipality=at, contactpersoon=owner)
    duplicate = factories.EmployerFactory(name="Dubbel", municipality=municipality("Enschede"), contactpersoon=me)
    db.session.flush()
    duplicate.merged_into_id = db.session.scalar(select(Employer.id).where(Employer.name == "Werkgever 0"))
    db.session.flush()
    twente = municipality("Enschede").region_id
    client = signed_in()
    for params in (
        {},
        {"regio": twente},
        {"gemeente": municipality("Hengelo").id},
        {"contactpersoon": me.id},
        {"organisatie": gemeente.id},
        {"regio": twente, "contactpersoon": other.id},
        {"sorteer": "gemeente"},
        {"sorteer": "gemeente", "organisatie": uwv.id},
    ):
        html = get_list(client, **params)
        shown = re.search(r"(\d+) werkgever", html)
        listed = len(names(html))
        assert shown is not None and int(shown.group(1)) == listed, (params, listed)


def test_filter_sbi_status_and_erkend(signed_in, factories):
    factories.EmployerFactory(name="Bouw BV", sbi_section_code="F", status="actief", erkend_leerbedrijf=True)
    factories.EmployerFactory(name="Zorg BV", sbi_section_code="Q", status="prospect", erkend_leerbedrijf=False)
    factories.EmployerFactory(name="Winkel BV", sbi_section_code="G", status="inactief", erkend_leerbedrijf=True)
    client = signed_in()
    assert names(get_list(client, sbi="Q")) == ["Zorg BV"]
    assert names(get_list(client, status="inactief")) == ["Winkel BV"]
    assert names(get_list(client, erkend="ja")) == ["Bouw BV", "Winkel BV"]
    assert names(get_list(client, erkend="nee")) == ["Zorg BV"]
    assert names(get_list(client, erkend="ja", status="actief")) == ["Bouw BV"]


def test_filter_contactpersoon_and_their_organisation(signed_in, factories, me, uwv):
    gemeente = factories.OrganisationFactory(name="Gemeente Hengelo")
    colleague = factories.UserFactory(organisation=uwv, role="coordinator")
    other = factories.UserFactory(organisation=gemeente)
    factories.EmployerFactory(name="Mijn BV", contactpersoon=me)
    factories.EmployerFactory(name="Collega BV", contactpersoon=colleague)
    factories.EmployerFactory(name="Gemeente BV", contactpersoon=other)
    client = signed_in()
    assert names(get_list(client, contactpersoon=me.id)) == ["Mijn BV"]
    assert names(get_list(client, organisatie=uwv.id)) == ["Collega BV", "Mijn BV"]
    assert names(get_list(client, organisatie=gemeente.id)) == ["Gemeente BV"]


def test_filter_no_contact_in_n_days(signed_in, factories):
    now = utcnow()
    factories.EmployerFactory(name="Gisteren BV", last_contact_at=now - timedelta(days=1))
    factories.EmployerFactory(name="Vorig Kwartaal BV", last_contact_at=now - timedelta(days=100))
    factories.EmployerFactory(name="Nooit BV", last_contact_at=None)
    client = signed_in()
    assert names(get_list(client, geen_contact=90)) == ["Nooit BV", "Vorig Kwartaal BV"]
    assert names(get_list(client, geen_contact=365)) == ["Nooit BV"]
    assert names(get_list(client)) == ["Gisteren BV", "Nooit BV", "Vorig Kwartaal BV"]


def test_invalid_filter_values_are_ignored_not_an_error(signed_in, factories):
    factories.EmployerFactory(name="Enige BV")
    html = get_list(signed_in(), gemeente="abc", geen_contact="-5", status="onzin", sorteer="x")
    assert names(html) == ["Enige BV"]
    assert "Kies een aantal dagen van 1 tot 3650." in html


def test_merged_employers_are_hidden(signed_in, factories):
    keep = factories.EmployerFactory(name="Manna Zorg BV")
    factories.EmployerFactory(name="Manna Zorg (dubbel)", merged_into_id=keep.id)
    client = signed_in()
    assert names(get_list(client)) == ["Manna Zorg BV"]
    assert names(get_list(client, q="manna")) == ["Manna Zorg BV"]
    assert "1 werkgever" in get_list(client)


def test_filters_stay_in_the_url_and_the_form(signed_in, factories):
    factories.EmployerFactory(name="Bouw BV", sbi_section_code="F", status="actief")
    html = get_list(signed_in(), sbi="F", status="actief", q="bouw")
    assert 'value="bouw"' in html
    assert re.search(r'<option selected value="F">|<option value="F" selected>', html)
    export_link = unescape(re.search(r'action="(/werkgevers/export\?[^"]+)"', html).group(1))
    assert "sbi=F" in export_link and "status=actief" in export_link and "q=bouw" in export_link
    assert 'href="/werkgevers">Wis filters</a>' in html


# --- sorting -----------------------------------------------------------------------------------


def test_sorting(signed_in, factories):
    now = utcnow()
    a = factories.EmployerFactory(
        name="Alfa BV", municipality=municipality("Hengelo"), last_contact_at=now - timedelta(days=5)
    )
    b = factories.EmployerFactory(
        name="Bravo BV", municipality=municipality("Almelo"), last_contact_at=now - timedelta(days=50)
    )
    c = factories.EmployerFactory(name="Charlie BV", municipality=municipality("Enschede"), last_contact_at=None)
    a.created_at, b.created_at, c.created_at = now - timedelta(days=3), now - timedelta(days=1), now - timedelta(days=9)
    db.session.flush()
    client = signed_in()
    assert names(get_list(client)) == ["Alfa BV", "Bravo BV", "Charlie BV"]
    assert names(get_list(client, sorteer="contact_oud")) == ["Charlie BV", "Bravo BV", "Alfa BV"]
    assert names(get_list(client, sorteer="contact_nieuw")) == ["Alfa BV", "Bravo BV", "Charlie BV"]
    assert names(get_list(client, sorteer="gemeente")) == ["Bravo BV", "Charlie BV", "Alfa BV"]
    assert names(get_list(client, sorteer="nieuw")) == ["Bravo BV", "Alfa BV", "Charlie BV"]


def test_municipality_sort_pages_across_municipalities(app, monkeypatch, signed_in, factories):
    """The gemeente sort reads only the municipalities a page falls in: pages that start and
    end inside a municipality, span two, and end with the employers without one, in order."""
    places = {"Almelo": ["Zeta BV", "Alfa BV", "Mu BV"], "Enschede": ["Beta BV", "Kappa BV"], "Hengelo": ["Gamma BV"]}
    for place, employer_names in places.items():
        for name in employer_names:
            factories.EmployerFactory(name=name, municipality=municipality(place))
    factories.EmployerFactory(name="Aaa zonder gemeente", municipality=None)
    merged_into = factories.EmployerFactory(name="Omega BV", municipality=municipality("Hengelo"))
    factories.EmployerFactory(
        name="Samengevoegd BV", municipality=municipality("Almelo"), merged_into_id=merged_into.id
    )
    db.session.flush()
    monkeypatch.setitem(app.config, "PAGE_SIZE", 3)
    client = signed_in()
    pages = [names(get_list(client, sorteer="gemeente", pagina=n)) for n in (1, 2, 3)]
    assert pages == [
        ["Alfa BV", "Mu BV", "Zeta BV"],
        ["Beta BV", "Kappa BV", "Gamma BV"],
        ["Omega BV", "Aaa zonder gemeente"],
    ]
    # past the end: the last page, and the total counts every live employer once
    html = get_list(client, sorteer="gemeente", pagina=9)
    assert names(html) == ["Omega BV", "Aaa zonder gemeente"]
    assert "8 werkgevers" in html


def test_search_ranks_best_match_first(signed_in, factories):
    factories.EmployerFactory(name="Aannemer Techniek Twente Installaties")
    factories.EmployerFactory(name="Techniek BV")
    client = signed_in()
    # by name "Aannemer ..." would come first; the better match wins
    assert names(get_list(client, q="techniek bv")) == ["Techniek BV", "Aannemer Techniek Twente Installaties"]
    # a sort the user chooses overrides the ranking
    assert names(get_list(client, q="techniek bv", sorteer="gemeente")) == [
        "Aannemer Techniek Twente Installaties",
        "Techniek BV",
    ]


# --- pages -------------------------------------------------------------------------------------


def make_employers(factories, count: int, contactpersoon=None) -> None:
    for n in range(count):
        factories.EmployerFactory(
            name=f"Werkgever {n:03d}", **({"contactpersoon": contactpersoon} if contactpersoon else {})
        )


def test_pagination(signed_in, factories, me):
    make_employers(factories, 30, me)
    client = signed_in()
    first = get_list(client)
    assert names(first) == [f"Werkgever {n:03d}" for n in range(25)]
    assert "30 werkgevers" in first
    assert 'aria-current="page"><span class="page-link">1</span>' in first
    second = get_list(client, pagina=2)
    assert names(second) == [f"Werkgever {n:03d}" for n in range(25, 30)]
    assert names(get_list(client, pagina=99)) == names(second)  # past the end: the last page
    assert names(get_list(client, pagina=0)) == names(first)


def test_page_links_keep_the_filters(signed_in, factories, me):
    make_employers(factories, 27, me)
    factories.EmployerFactory(name="Ander BV", status="prospect")
    html = get_list(signed_in(), status="actief")
    assert "27 werkgevers" in html
    link = re.search(r'href="(/werkgevers\?[^"]*pagina=2[^"]*)"', html).group(1)
    assert "status=actief" in unescape(link)
    assert names(get_list(signed_in(), status="actief", pagina=2)) == ["Werkgever 025", "Werkgever 026"]


def count_queries(client, path: str) -> tuple[list[str], list[str]]:
    """All SQL statements one request runs, and those of the list itself. Not counted for the
    list: the SAVEPOINT bookkeeping of the test session, and what every page of the layout
    pays: flask-login's load of the signed-in user, and base.html's navbar (that user's
    organisation, their unread notifications)."""
    db.session.commit()
    db.session.expire_all()  # nothing cached from the test's own setup: every load is a query
    with counted_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    real = [s for s in statements if not re.match(r"\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)", s)]
    framework = re.compile(
        r'FROM "?user"?\s+(?:LEFT OUTER JOIN organisation AS \w+ ON \S+ = "?user"?\.organisation_id\s+)?WHERE "?user"?\.id = |FROM organisation\s+WHERE organisation\.id = '
        r"|FROM notification\s+WHERE notification\.user_id = "
    )
    return real, [s for s in real if not framework.search(s)]


@pytest.mark.parametrize("path", ["/werkgevers", "/werkgevers?sorteer=gemeente&status=actief&q=werkgever"])
def test_queries_per_page_do_not_grow_with_the_data(client, factories, me, uwv, path):
    other = factories.UserFactory(organisation=factories.OrganisationFactory(name="ROC van Twente"))
    make_employers(factories, 5)
    for employer_id in db.session.scalars(select(Employer.id).order_by(Employer.id).limit(3)):
        factories.ContactFactory(employer_id=employer_id, author=other)
    rebuild_search_text()
    login_as(client, me)
    everything_small, small = count_queries(client, path)

    make_employers(factories, 55)
    for employer_id in db.session.scalars(select(Employer.id).order_by(Employer.id).limit(40)):
        factories.ContactFactory(employer_id=employer_id, author=other)
        factories.ContactFactory(employer_id=employer_id, author=me)
    rebuild_search_text()
    everything_large, large = count_queries(client, path)
    assert len(names(client.get(path).get_data(as_text=True))) == 25

    # choices, count, page ids, page rows (joined), contact pressure; a search counts its
    # matches in the page-ids query, so it runs no count, but looks its words up in the
    # search vocabulary first (one query, crm.services.search._vocabulary)
    assert len(small) == len(large) == 5, large
    assert len(everything_small) == len(everything_large)
    # the whole page, layout included: the signed-in user comes with their organisation and
    # unread count in one statement
    assert len(everything_large) <= 6, everything_large


def test_query_count_on_an_empty_result(client, factories, me):
    make_employers(factories, 3)
    login_as(client, me)
    _all, queries = count_queries(client, "/werkgevers?status=inactief")
    assert len(queries) == 2  # choices and count; no page to load
    _all, queries = count_queries(client, "/werkgevers?q=niets-te-vinden")
    assert len(queries) == 3  # choices, the search vocabulary and the (empty) search; nothing to load


def test_search_past_the_last_page_shows_the_last_page(signed_in, factories, me):
    make_employers(factories, 27, me)
    html = get_list(signed_in(), q="werkgever", pagina=7)
    assert "27 werkgevers" in html
    assert len(names(html)) == 2
    assert 'aria-current="page"><span class="page-link">2</span>' in html


@pytest.mark.parametrize("sorteer", ["", "contact_oud"])
def test_paging_through_a_search_shows_every_match_once_in_order(signed_in, factories, me, monkeypatch, sorteer):
    """A page of a search is read as a window of the ranked matches (the database keeps only
    the first rows of its sort); pages must still join up into the full ranked list, also
    across the end of the rows reranked in Python (10 here, 250 in use)."""
    from crm.services import employer_list, search

    monkeypatch.setattr(search, "RERANKED", 10)
    for n in range(31):
        name = f"Bakkerij Jansen {n:03d}" if n % 3 else f"Jansens Bakkerij {n:03d}"  # two tiers of score
        factories.EmployerFactory(name=name, contactpersoon=me)
    client = signed_in()
    shown = [names(get_list(client, q="bakkerij jansen", pagina=page, sorteer=sorteer)) for page in (1, 2, 3)]
    with client.application.app_context():
        filters = employer_list.EmployerFilters(q="bakkerij jansen", sort=sorteer or "naam")
        ids, _ranked = employer_list.search_matches(filters)
        expected = [db.session.get(Employer, employer_id).name for employer_id in ids]
    assert len(expected) == 31
    assert shown[0] + shown[1] == expected
    assert shown[2] == shown[1]  # past the end: the last page
    assert "31 werkgevers" in get_list(client, q="bakkerij jansen", pagina=2, sorteer=sorteer)


# --- export ------------------------------------------------------------------------------------


@pytest.fixture
def export_data(factories, me):
    factories.EmployerFactory(
        name="Bouw & Zonen BV",
        kvk_number="12345678",
        sbi_code="4120",
        sbi_section_code="F",
        municipality=municipality("Hengelo"),
        erkend_leerbedrijf=True,
        contactpersoon=me,
        phone="+31 74 123 4567",
        last_contact_at=utcnow() - timedelta(days=2),
    )
    factories.EmployerFactory(name='=HYPERLINK("http://x")', sbi_section_code="F", status="prospect")
    factories.EmployerFactory(name="Zorg BV", sbi_section_code="Q")
    keep = factories.EmployerFactory(name="Bouw Samen BV", sbi_section_code="F")
    factories.EmployerFactory(name="Bouw Samen (dubbel)", sbi_section_code="F", merged_into_id=keep.id)
    make_employers(factories, 30)  # more than a page: the export has all rows, not one page


def test_export_csv_has_bom_semicolons_and_the_filtered_rows(signed_in, export_data, me):
    response = get_export(signed_in(), formaat="csv", sbi="F")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"] and ".csv" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    header, data = rows[0], rows[1:]
    assert header[:5] == ["Naam", "KvK-nummer", "Vestigingsnummer", "Status", "Erkend leerbedrijf"]
    assert "Laatste contact" in header and "Organisatie contactpersoon" in header
    assert [row[0] for row in data] == ['\'=HYPERLINK("http://x")', "Bouw & Zonen BV", "Bouw Samen BV"]
    bouw = dict(zip(header, data[1], strict=True))
    assert bouw["KvK-nummer"] == "12345678"
    assert bouw["Gemeente"] == "Hengelo" and bouw["Arbeidsmarktregio"]
    assert bouw["Erkend leerbedrijf"] == "ja"
    assert bouw["SBI-sectie"].startswith("F - ")
    assert bouw["Contactpersoon"] == "Anna de Vries"
    assert bouw["Organisatie contactpersoon"] == "UWV Werkbedrijf Twente"
    assert bouw["Telefoon"] == "+31 74 123 4567"
    assert re.fullmatch(r"\d{2}-\d{2}-\d{4}", bouw["Laatste contact"])

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
    assert event.object_type == "employer" and event.actor_id == me.id
    assert "CSV" in event.summary and "3 rijen" in event.summary and "SBI-sectie F" in event.summary


def test_export_everything_is_all_rows_not_one_page(signed_in, export_data):
    body = get_export(signed_in(), formaat="csv").get_data()
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) - 1 == 34  # 4 + 30, the merged one left out
    summary = db.session.scalar(select(AuditEvent.summary).where(AuditEvent.action == "export"))
    assert "34 rijen" in summary and "geen filters" in summary


def test_export_xlsx(signed_in, export_data, me):
    response = get_export(signed_in(), formaat="xlsx", sbi="F", contactpersoon=me.id)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[0] == "Naam" and "Contactpersoon" in header
    assert [row[0] for row in rows[1:]] == ["Bouw & Zonen BV"]
    bouw = dict(zip(header, rows[1], strict=True))
    assert bouw["Gemeente"] == "Hengelo"
    assert bouw["Laatste contact"].date() == local(utcnow() - timedelta(days=2)).date()
    summary = db.session.scalar(select(AuditEvent.summary).where(AuditEvent.action == "export"))
    assert "XLSX" in summary and "1 rijen" in summary and "contactpersoon Anna de Vries" in summary


def test_export_formula_is_not_a_formula_in_xlsx(signed_in, export_data):
    response = get_export(signed_in(), formaat="xlsx", status="prospect")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert sheet["A2"].data_type == "s"
    assert sheet["A2"].value == '\'=HYPERLINK("http://x")'


def test_partner_may_export_too(client, factories, export_data):
    partner = factories.UserFactory(role="partner")
    rebuild_search_text()
    login_as(client, partner)
    assert get_export(client, formaat="csv").status_code == 200
    assert "Exporteer CSV" in get_list(client)


def test_region_list_is_offered(signed_in):
    html = get_list(signed_in())
    twente = db.session.scalar(select(Region).where(Region.name == "Twente"))
    assert f'<option value="{twente.id}">Twente</option>' in html


def test_filter_selects_look_like_selects_with_one_choice_marked(signed_in, factories):
    factories.EmployerFactory(name="Bouw BV", sbi_section_code="F")
    html = get_list(signed_in(), sbi="F", sorteer="gemeente")
    selects = re.findall(r"<select ([^>]*)>(.*?)</select>", html, re.S)
    assert len(selects) == 8
    for attributes, options in selects:
        assert 'class="form-select' in attributes, attributes  # Bootstrap's select, with its arrow
        assert options.count(" selected") == 1, attributes
    assert '<option value="F" selected>' in html and '<option value="gemeente" selected>' in html


def test_filter_options_follow_changes_without_a_restart(signed_in, factories, uwv):
    client = signed_in()
    assert "Nieuwe Collega" not in get_list(client)
    colleague = factories.UserFactory(name="Nieuwe Collega", organisation=uwv)
    db.session.commit()
    assert f'<option value="{colleague.id}">Nieuwe Collega (' in get_list(client)
    colleague.name = "Hernoemde Collega"
    db.session.commit()
    html = get_list(client)
    assert "Nieuwe Collega" not in html and "Hernoemde Collega (" in html
    colleague.active = False
    db.session.commit()
    assert "Hernoemde Collega" not in get_list(client)


def test_filter_options_are_in_each_users_language(app, factories, uwv):
    """The options are built once per set of choices and language (crm.employers.list_forms):
    a Dutch and an English user, one after the other, each see their own "Alle"/"All"."""
    dutch = factories.UserFactory(organisation=uwv)
    english = factories.UserFactory(organisation=uwv, locale="en")
    db.session.commit()
    for user, everyone, status in (
        (dutch, "Iedereen", "Alle"),
        (english, "Everyone", "All"),
        (dutch, "Iedereen", "Alle"),
    ):
        client = app.test_client()
        login_as(client, user)
        html = get_list(client)
        assert f'<option value="" selected>{everyone}</option>' in html, user.locale
        assert f'id="status" name="status"><option value="" selected>{status}</option>' in html, user.locale


def test_an_inactive_employer_is_not_marked_quiet(client, factories):
    """The quiet rule (crm.services.quiet_employers) leaves inactive employers out, here too."""
    from crm.models.base import utcnow

    long_ago = utcnow() - timedelta(days=400)
    factories.EmployerFactory(name="Actief Stil B.V.", last_contact_at=long_ago)
    factories.EmployerFactory(name="Inactief Stil B.V.", status="inactief", last_contact_at=long_ago)
    user = factories.UserFactory()
    login_as(client, user)
    html = client.get("/werkgevers").get_data(as_text=True)
    assert html.count("(langer dan 90 dagen geleden)") == 1
    row = html[html.index("Inactief Stil B.V.") :]
    assert "text-danger" not in row[: row.index("</tr>")]
