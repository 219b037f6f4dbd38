"""Importing employers from CSV and XLSX: upload, column mapping, preview, confirm, report."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import time
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import AuditEvent, ContactpersoonAssignment, Employer
from crm.services import imports
from crm.services.errors import PermissionDenied
from crm.services.search import search_ids
from tasks import imports as import_tasks
from tests.conftest import csrf_token, login_as
from tests.factories import municipality

DATA = Path(__file__).parent / "data"
BOM_FILE = "werkgevers-utf8-bom.csv"
FILE_KVKS = ["12345678", "23456789", "1234567", "34567890", "45678901", "56789012", "67890123"]


@pytest.fixture(autouse=True)
def import_folder(app, tmp_path, monkeypatch):
    folder = tmp_path / "imports"
    monkeypatch.setitem(app.config, "IMPORT_FOLDER", str(folder))
    return folder


@pytest.fixture
def coordinator(factories):
    return factories.UserFactory(role="coordinator", name="Coby Coördinator", email="coby@twente.example")


@pytest.fixture
def existing(factories):
    return factories.EmployerFactory(name="Bakkerij Bestaand B.V.", kvk_number="87654321")


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def upload(client, name: str, content: bytes):
    token = csrf_token(client, "/werkgevers/import")
    return client.post(
        "/werkgevers/import",
        data={"file": (io.BytesIO(content), name), "csrf_token": token},
        content_type="multipart/form-data",
    )


def token_of(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/werkgevers/import/([0-9a-f]{32})/kolommen$", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def map_columns(client, token: str, headers: list[str], contactpersoon_id: int = 0, **overrides):
    """Post the mapping the page proposes (the guess from the headers), with ``overrides``."""
    mapping = {f"col_{key}": str(column) for key, column in imports.guess_mapping(headers).items()}
    mapping.update(overrides)
    csrf = csrf_token(client, f"/werkgevers/import/{token}/kolommen")
    return client.post(
        f"/werkgevers/import/{token}/kolommen",
        data={**mapping, "contactpersoon_id": str(contactpersoon_id), "csrf_token": csrf},
    )


def through_preview(client, name: str, user, **overrides) -> tuple[str, str]:
    """Upload ``name`` and map its columns; returns the token and the preview page."""
    content = read(name)
    token = token_of(upload(client, name, content))
    headers = imports.read_table(name, content).headers
    response = map_columns(client, token, headers, contactpersoon_id=user.id, **overrides)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"/werkgevers/import/{token}/controle")
    return token, client.get(f"/werkgevers/import/{token}/controle").get_data(as_text=True)


def confirm(client, token: str):
    csrf = csrf_token(client, f"/werkgevers/import/{token}/controle")
    return client.post(f"/werkgevers/import/{token}/bevestigen", data={"csrf_token": csrf})


def employer_count(kvks: list[str]) -> int:
    return db.session.scalar(select(func.count(Employer.id)).where(Employer.kvk_number.in_(kvks)))


def open_assignments(employer_id: int) -> list[ContactpersoonAssignment]:
    return db.session.scalars(
        select(ContactpersoonAssignment).where(
            ContactpersoonAssignment.employer_id == employer_id, ContactpersoonAssignment.ended_at.is_(None)
        )
    ).all()


def import_events() -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import")).all()


def row_html(page: str, number: int) -> str:
    match = re.search(rf'<tr data-row="{number}" data-status="(\w+)">(.*?)</tr>', page, re.S)
    assert match, f"row {number} not on the page"
    return match.group(1) + " " + match.group(2)


# --- who may import ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["partner", "accountmanager"])
def test_only_coordinators_and_admins_may_import(client, factories, coordinator, role):
    login_as(client, coordinator)
    token = token_of(upload(client, BOM_FILE, read(BOM_FILE)))
    client.post("/logout", data={"csrf_token": csrf_token(client, "/werkgevers/import")})

    login_as(client, factories.UserFactory(role=role))
    response = client.get("/werkgevers/import")
    assert response.status_code == 403
    assert "Geen toegang" in response.get_data(as_text=True)
    assert upload(client, BOM_FILE, read(BOM_FILE)).status_code == 403
    assert client.get(f"/werkgevers/import/{token}/controle").status_code == 403
    assert confirm_post(client, token).status_code == 403
    assert employer_count(FILE_KVKS) == 0


def confirm_post(client, token: str):
    return client.post(f"/werkgevers/import/{token}/bevestigen", data={"csrf_token": csrf_token(client, "/")})


def test_service_refuses_accountmanager(session, factories):
    table = imports.read_table(BOM_FILE, read(BOM_FILE))
    with pytest.raises(PermissionDenied):
        imports.import_employers(
            factories.UserFactory(role="accountmanager"),
            table,
            imports.guess_mapping(table.headers),
            default_contactpersoon_id=None,
            file_name=BOM_FILE,
        )


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/werkgevers/import")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_may_import_but_must_pick_a_contactpersoon(client, factories):
    admin = factories.UserFactory(role="admin")
    am = factories.UserFactory(role="accountmanager", name="Anna Accountmanager")
    login_as(client, admin)
    assert client.get("/werkgevers/import").status_code == 200
    content = read("werkgevers-komma.csv")
    token = token_of(upload(client, "werkgevers-komma.csv", content))
    headers = imports.read_table("werkgevers-komma.csv", content).headers
    html = map_columns(client, token, headers, contactpersoon_id=0).get_data(as_text=True)
    assert "Kies een standaard contactpersoon" in html
    assert map_columns(client, token, headers, contactpersoon_id=am.id).status_code == 302
    assert confirm(client, token).status_code == 302
    created = db.session.scalar(select(Employer).where(Employer.kvk_number == "21212121"))
    assert created.contactpersoon_id == am.id
    assert [a.assigned_by_id for a in open_assignments(created.id)] == [admin.id]


# --- reading files ----------------------------------------------------------------------------


def test_headers_are_mapped_automatically(client, coordinator):
    assert imports.guess_mapping(
        [
            "Bedrijfsnaam",
            " KVK ",
            "Postcode",
            "Woonplaats",
            "gemeente",
            "SBI",
            "E-mailadres",
            "Telefoonnummer",
            "Erkend leerbedrijf",
            "Notitiës",
            "Iets anders",
        ]
    ) == {
        "name": 0,
        "kvk_number": 1,
        "postcode": 2,
        "city": 3,
        "municipality": 4,
        "sbi_code": 5,
        "email": 6,
        "phone": 7,
        "erkend_leerbedrijf": 8,
        "notes": 9,
    }
    assert imports.guess_mapping(["Handelsnaam", "KvK-nummer", "Plaats"]) == {"name": 0, "kvk_number": 1, "city": 2}
    # Beside the name, "Handelsnaam" holds the names the employer also trades under.
    assert imports.guess_mapping(["Statutaire naam", "Handelsnaam"]) == {"name": 0, "trade_names": 1}

    login_as(client, coordinator)
    token = token_of(upload(client, BOM_FILE, read(BOM_FILE)))
    html = client.get(f"/werkgevers/import/{token}/kolommen").get_data(as_text=True)
    name_select = re.search(r'<select[^>]*name="col_name".*?</select>', html, re.S).group(0)
    assert re.search(r'<option selected value="0">Bedrijfsnaam</option>', name_select)
    municipality_select = re.search(r'<select[^>]*name="col_municipality".*?</select>', html, re.S).group(0)
    assert re.search(r'<option selected value="6">Gemeente</option>', municipality_select)
    assert "Bouwbedrijf Ter Horst B.V." in html  # the first rows as an example


def test_semicolon_csv_with_bom_preview_lists_every_row_with_errors_and_duplicates(client, coordinator, existing):
    login_as(client, coordinator)
    token, page = through_preview(client, BOM_FILE, coordinator)

    assert re.search(r'data-total="total">9<', page)
    assert re.search(r'data-total="ok">2<', page)
    assert re.search(r'data-total="error">5<', page)
    assert re.search(r'data-total="duplicate">2<', page)
    assert "Restaurant &#34;De Vork&#34;; eten &amp; drinken" in page  # quoted field with separator and quotes
    assert row_html(page, 2).startswith("ok")
    assert "precies 8 cijfers" in row_html(page, 4)
    assert "Nederlandse postcode" in row_html(page, 5)
    assert "Gemeente &#39;Atlantis&#39; staat niet in de lijst van gemeenten" in row_html(page, 6)
    assert "Vul de naam van de werkgever in." in row_html(page, 7)
    assert "burgerservicenummer" in row_html(page, 8) and row_html(page, 8).startswith("error")
    assert row_html(page, 9).startswith("duplicate")
    assert f'href="/werkgevers/{existing.id}">Bakkerij Bestaand B.V.</a>' in row_html(page, 9)
    assert "Bestaat al:" in row_html(page, 9)
    assert "Zelfde KvK-nummer als rij 2 in dit bestand" in row_html(page, 10)

    errors_only = client.get(f"/werkgevers/import/{token}/controle?toon=fouten").get_data(as_text=True)
    assert re.findall(r'data-row="(\d+)"', errors_only) == ["4", "5", "6", "7", "8"]

    # nothing is stored before the confirmation
    assert employer_count([*FILE_KVKS, "12345678"]) == 0
    assert import_events() == []


def test_preview_is_paginated_and_reaches_every_row(client, coordinator):
    lines = ["Naam;KvK"] + [f"Werkgever {n};{30000000 + n}" for n in range(120)]
    login_as(client, coordinator)
    token = token_of(upload(client, "veel.csv", "\n".join(lines).encode()))
    map_columns(client, token, ["Naam", "KvK"], contactpersoon_id=coordinator.id)
    seen = []
    for number in (1, 2, 3):
        page = client.get(f"/werkgevers/import/{token}/controle?pagina={number}").get_data(as_text=True)
        seen += re.findall(r'data-row="(\d+)"', page)
    assert seen == [str(n) for n in range(2, 122)]
    assert "Pagina 3 van 3" in page


def test_a_handelsnaam_column_beside_the_name_becomes_searchable_trade_names(client, coordinator):
    content = (
        b"Statutaire naam;Handelsnaam;Plaats\r\n"
        b'Ter Horst Beheer B.V.;"Bouwbedrijf Ter Horst; Klusdienst Hengelo";Hengelo\r\n'
    )
    login_as(client, coordinator)
    token = token_of(upload(client, "handelsnamen.csv", content))
    headers = imports.read_table("handelsnamen.csv", content).headers
    assert map_columns(client, token, headers, contactpersoon_id=coordinator.id).status_code == 302
    assert confirm(client, token).status_code == 302
    employer = db.session.scalar(select(Employer).where(Employer.name == "Ter Horst Beheer B.V."))
    assert employer.trade_names == "Bouwbedrijf Ter Horst\nKlusdienst Hengelo"
    assert search_ids("klusdienst hengelo") == [employer.id]
    page = client.get(f"/werkgevers/{employer.id}").get_data(as_text=True)
    assert "Bouwbedrijf Ter Horst<br>Klusdienst Hengelo" in page


def test_confirm_stores_exactly_the_valid_rows(client, coordinator, existing):
    login_as(client, coordinator)
    token, _page = through_preview(client, BOM_FILE, coordinator)
    response = confirm(client, token)
    assert response.headers["Location"].endswith(f"/werkgevers/import/{token}/resultaat")

    created = db.session.scalars(select(Employer).where(Employer.id != existing.id).order_by(Employer.id)).all()
    assert [e.name for e in created] == ["Bouwbedrijf Ter Horst B.V.", 'Restaurant "De Vork"; eten & drinken']
    horst, vork = created
    assert horst.kvk_number == "12345678" and horst.postcode == "7511 JK" and horst.city == "Enschede"
    assert horst.sbi_code == "4120" and horst.sbi_section_code == "F"
    assert horst.municipality_id == municipality("Enschede").id
    assert horst.erkend_leerbedrijf is True and horst.status == "actief"
    assert horst.website == "https://www.terhorst.example" and horst.phone == "053 481 2000"
    assert vork.sbi_section_code == "I" and vork.status == "prospect" and vork.erkend_leerbedrijf is False
    assert vork.notes == "Twee regels:\r\ntweede regel"
    for employer in created:
        assert employer.contactpersoon_id == coordinator.id
        assert [a.user_id for a in open_assignments(employer.id)] == [coordinator.id]
        assert employer.version == 1

    assert search_ids("ter horst") == [horst.id]
    assert search_ids("de vork") == [vork.id]

    (event,) = import_events()
    assert event.actor_id == coordinator.id and event.object_type == "employer"
    assert BOM_FILE in event.summary and "2 werkgevers aangemaakt" in event.summary
    assert event.changes["created"] == 2 and event.changes["skipped_errors"] == 5
    assert event.changes["employer_ids"] == [[horst.id, vork.id]]
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "create")) == 0

    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'data-total="created">2<', html)
    assert re.search(r'data-total="error">5<', html)
    assert re.search(r'data-total="duplicate">2<', html)
    assert f"/werkgevers/import/{token}/afgewezen.csv" in html


def test_confirming_twice_imports_once(client, coordinator):
    login_as(client, coordinator)
    token, _page = through_preview(client, "werkgevers-komma.csv", coordinator)
    confirm(client, token)
    again = confirm_post(client, token)
    assert again.headers["Location"].endswith("/resultaat")
    assert employer_count(["21212121", "31313131"]) == 2
    assert len(import_events()) == 1


def test_confirm_checks_again_and_skips_what_appeared_since_the_preview(client, coordinator, factories):
    login_as(client, coordinator)
    token, page = through_preview(client, "werkgevers-komma.csv", coordinator)
    assert re.search(r'data-total="ok">2<', page)
    factories.EmployerFactory(name="Metaalbewerking Oost (al ingevoerd)", kvk_number="21212121")
    confirm(client, token)
    assert employer_count(["21212121", "31313131"]) == 2
    assert db.session.scalar(select(Employer.name).where(Employer.kvk_number == "21212121")).endswith("ingevoerd)")
    assert import_events()[0].changes["skipped_duplicates"] == 1


def test_confirm_checks_the_contactpersoon_again(client, coordinator, factories):
    am = factories.UserFactory(role="accountmanager", email="anna@twente.example")
    lines = ["Naam;KvK;Contactpersoon", "Werkgever Anna;70000011;anna@twente.example", "Werkgever Coby;70000012;"]
    login_as(client, coordinator)
    token = token_of(upload(client, "cp.csv", "\r\n".join(lines).encode()))
    map_columns(client, token, ["Naam", "KvK", "Contactpersoon"], contactpersoon_id=coordinator.id)
    page = client.get(f"/werkgevers/import/{token}/controle").get_data(as_text=True)
    assert re.search(r'data-total="ok">2<', page)
    am.active = False  # Anna leaves between the preview and the confirmation
    confirm(client, token)
    assert employer_count(["70000011", "70000012"]) == 1
    report = client.get(f"/werkgevers/import/{token}/afgewezen.csv").get_data().decode("utf-8-sig")
    assert "kan geen contactpersoon zijn" in report and "Werkgever Anna" in report


def test_rechecking_with_the_preview_results_gives_the_same_answer(session, coordinator, existing):
    table = imports.read_table(BOM_FILE, read(BOM_FILE))
    mapping = imports.guess_mapping(table.headers)
    full = imports.check_rows(table, mapping, coordinator.id)
    again = imports.check_rows(table, mapping, coordinator.id, imports.known_rows(full))

    def answer(check):
        return [(r.number, r.values, r.errors, r.existing, r.same_as_row, r.status) for r in check.rows]

    assert answer(again) == answer(full)
    assert full.totals == {"total": 9, "ok": 2, "error": 5, "duplicate": 2}


def test_report_lists_rejected_rows_with_their_original_columns_and_errors(client, coordinator, existing):
    login_as(client, coordinator)
    token, _page = through_preview(client, BOM_FILE, coordinator)
    confirm(client, token)
    response = client.get(f"/werkgevers/import/{token}/afgewezen.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "werkgevers-utf8-bom-afgewezen.csv" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))
    original = imports.read_table(BOM_FILE, read(BOM_FILE)).headers
    assert rows[0] == [*original, "fouten"]
    by_kvk = {row[1]: row for row in rows[1:]}
    assert sorted(by_kvk) == sorted(["1234567", "34567890", "45678901", "56789012", "67890123", "87654321", "12345678"])
    assert by_kvk["1234567"][0] == "Kapsalon Knip"
    assert "KvK-nummer: Een KvK-nummer heeft precies 8 cijfers" in by_kvk["1234567"][-1]
    assert "Postcode:" in by_kvk["34567890"][-1]
    assert "Notities:" in by_kvk["67890123"][-1] and "burgerservicenummer" in by_kvk["67890123"][-1]
    assert by_kvk["87654321"][-1] == "Bestaat al: Bakkerij Bestaand B.V."
    assert by_kvk["12345678"][0] == "Ter Horst Bouw (dubbel)"

    # the report, corrected, can be imported again: its "fouten" column is not added twice
    again = imports.read_table("afgewezen.csv", body)
    assert again.headers == rows[0]
    assert "fouten" not in {str(f.key) for f in imports.FIELDS}


def test_report_protects_against_formulas_and_reads_them_back(session):
    assert imports._escape('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert imports._escape("+31 53 481 2000") == "+31 53 481 2000"
    assert imports._escape("-Bakkerij") == "'-Bakkerij"
    assert imports._unescape("'=SUM(A1)") == "=SUM(A1)"
    assert imports._unescape("'t Hoekje") == "'t Hoekje"


def test_windows_1252_csv_keeps_accented_names(client, coordinator):
    login_as(client, coordinator)
    token, page = through_preview(client, "werkgevers-cp1252.csv", coordinator)
    assert "Café De Zwaan" in page and "Zorggroep Ëlan" in page
    confirm(client, token)
    names = db.session.scalars(select(Employer.name).where(Employer.kvk_number.in_(["11112222", "11113333"])))
    assert sorted(names) == ["Café De Zwaan", "Zorggroep Ëlan"]
    elan = db.session.scalar(select(Employer).where(Employer.kvk_number == "11113333"))
    assert elan.notes == "Zorg en welzijn, €-vriendelijk"
    assert elan.municipality_id == municipality("Hengelo").id
    assert search_ids("zorggroep ëlan")[0] == search_ids("Zorggroep Elan")[0] == elan.id


def test_comma_separated_csv(session, coordinator):
    content = read("werkgevers-komma.csv")
    table = imports.read_table("werkgevers-komma.csv", content)
    assert table.delimiter == "," and table.headers[0] == "Naam"
    result = imports.import_employers(
        coordinator,
        table,
        imports.guess_mapping(table.headers),
        default_contactpersoon_id=coordinator.id,
        file_name="werkgevers-komma.csv",
    )
    assert result.created == 2
    transport = db.session.scalar(select(Employer).where(Employer.kvk_number == "31313131"))
    assert transport.name == "Transport Twente, Logistiek" and transport.size == "groot"
    assert db.session.scalar(select(Employer.size).where(Employer.kvk_number == "21212121")) == "klein"


def test_excel_unicode_text_is_read_too(session):
    content = "Naam\tKvK\tPlaats\r\nCafé 't Hoekje\t12121212\tOotmarsum\r\n".encode("utf-16")
    table = imports.read_table("unicode.csv", content)
    assert table.delimiter == "\t" and table.rows == [(2, ["Café 't Hoekje", "12121212", "Ootmarsum"])]


def test_xlsx(client, coordinator):
    login_as(client, coordinator)
    token, page = through_preview(client, "werkgevers.xlsx", coordinator)
    assert re.search(r'data-total="total">3<', page)  # the empty row is skipped
    assert re.findall(r'data-row="(\d+)"', page) == ["2", "3", "5"]
    confirm(client, token)
    pers = db.session.scalar(select(Employer).where(Employer.name == "Drukkerij De Pers"))
    assert pers.kvk_number == "41414141" and pers.sbi_code == "1812" and pers.sbi_section_code == "C"
    assert pers.erkend_leerbedrijf is True and pers.phone == "053 123 4567"
    noord = db.session.scalar(select(Employer).where(Employer.name == "Installatietechniek Noord"))
    assert noord.postcode == "7607 AB" and noord.sbi_code == "4322" and noord.sbi_section_code == "F"
    garage = db.session.scalar(select(Employer).where(Employer.name == "Garage Zonder KvK"))
    assert garage.kvk_number is None and garage.municipality_id == municipality("Hengelo").id
    assert len(open_assignments(garage.id)) == 1


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- files that cannot be read ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("leeg.csv", b"", "Het bestand is leeg."),
        ("spaties.csv", b"  \r\n\r\n", "Het bestand is leeg."),
        ("alleen-kop.csv", b"Naam;KvK\r\n;\r\n", "alleen een kopregel"),
        ("rommel.csv", bytes(range(256)) * 20, "geen tekstbestand"),
        ("kapot.xlsx", b"PK\x03\x04" + os.urandom(300), "Het Excel-bestand kan niet worden gelezen"),
        ("tekst.xlsx", b"Naam;KvK\r\nBakkerij;12345678\r\n", "geen Excel-bestand"),
        ("excel.csv", xlsx_bytes([["Naam"], ["Bakkerij"]]), "geen CSV"),
        ("oud.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Oude Excel-bestanden (.xls)"),
        ("brief.pdf", b"%PDF-1.4\n", "Kies een CSV-bestand (.csv) of een Excel-bestand (.xlsx)."),
        ("geen-extensie", b"Naam\nBakkerij\n", "Kies een CSV-bestand"),
        ("leeg.xlsx", xlsx_bytes([]), "Het bestand is leeg: er staat geen kopregel"),
        ("aanhalingsteken.csv", b'Naam;KvK\r\n"Bakkerij;12345678\r\n', "beschadigd rond regel 2"),
    ],
)
def test_unreadable_files_get_a_clear_dutch_message(client, coordinator, import_folder, name, content, message):
    login_as(client, coordinator)
    response = upload(client, name, content)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    assert 'class="invalid-feedback"' in html
    assert not import_folder.exists() or not any(import_folder.iterdir())


def test_no_file_chosen(client, coordinator):
    login_as(client, coordinator)
    token = csrf_token(client, "/werkgevers/import")
    html = client.post("/werkgevers/import", data={"csrf_token": token}).get_data(as_text=True)
    assert "Kies een CSV- of Excel-bestand." in html


def test_row_limit(client, app, coordinator, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 5)
    login_as(client, coordinator)
    lines = ["Naam"] + [f"Werkgever {n}" for n in range(6)]
    html = upload(client, "te-veel.csv", "\n".join(lines).encode()).get_data(as_text=True)
    assert "Het bestand heeft meer dan 5 rijen. Splits het in delen van hoogstens 5 rijen." in html
    assert token_of(upload(client, "precies.csv", "\n".join(lines[:6]).encode()))


def test_too_large_upload_gets_the_413_page(client, app, coordinator, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2000)
    login_as(client, coordinator)
    response = upload(client, "groot.csv", b"Naam\n" + b"Bakkerij\n" * 1000)
    assert response.status_code == 413
    assert "Bestand te groot" in response.get_data(as_text=True)


# --- the import in progress ----------------------------------------------------------------------


def test_only_the_owner_reaches_an_import(client, coordinator, factories):
    login_as(client, coordinator)
    token = token_of(upload(client, BOM_FILE, read(BOM_FILE)))
    assert client.get(f"/werkgevers/import/{token}/kolommen").status_code == 200
    assert client.get("/werkgevers/import/..%2F..%2Fconfig/kolommen").status_code == 404
    assert client.get(f"/werkgevers/import/{token[:-1]}0/kolommen").status_code in (404, 200)
    assert client.get("/werkgevers/import/nietbestaand/kolommen").status_code == 404

    login_as(client, factories.UserFactory(role="coordinator"))
    assert client.get(f"/werkgevers/import/{token}/kolommen").status_code == 404
    assert client.get(f"/werkgevers/import/{token}/controle").status_code == 404
    assert confirm_post(client, token).status_code == 404


def test_cancel_removes_the_uploaded_file_and_stores_nothing(client, coordinator, import_folder):
    login_as(client, coordinator)
    token, _page = through_preview(client, BOM_FILE, coordinator)
    assert (import_folder / token / "table.json").is_file()
    csrf = csrf_token(client, f"/werkgevers/import/{token}/controle")
    response = client.post(f"/werkgevers/import/{token}/annuleren", data={"csrf_token": csrf})
    assert response.headers["Location"].endswith("/werkgevers/import")
    assert not (import_folder / token).exists()
    assert client.get(f"/werkgevers/import/{token}/controle").status_code == 404
    assert employer_count(FILE_KVKS) == 0


def test_confirm_removes_the_uploaded_data_but_keeps_the_report(client, coordinator, import_folder):
    login_as(client, coordinator)
    token, _page = through_preview(client, BOM_FILE, coordinator)
    confirm(client, token)
    assert sorted(p.name for p in (import_folder / token).iterdir() if not p.name.startswith(".")) == [
        "importing.lock",
        "meta.json",
        "report.csv",
    ]


def test_old_imports_are_swept(session, coordinator, import_folder):
    store = imports.ImportStore(import_folder)
    table = imports.read_table("werkgevers-komma.csv", read("werkgevers-komma.csv"))
    old = store.create(coordinator, "oud.csv", table, {})
    fresh = store.create(coordinator, "nieuw.csv", table, {})
    long_ago = time.time() - 2 * imports.MAX_AGE_SECONDS
    os.utime(old.folder, (long_ago, long_ago))
    assert store.sweep() == 1
    assert not old.folder.exists() and fresh.folder.exists()


def test_contactpersoon_column(client, coordinator, factories):
    am = factories.UserFactory(role="accountmanager", email="anna@twente.example")
    factories.UserFactory(role="partner", email="piet@roc.example", name="Piet Partner")
    factories.UserFactory(role="accountmanager", email="oud@twente.example", active=False, name="Oud Collega")
    lines = [
        "Naam;KvK;Accountmanager",
        "Werkgever Anna;70000001;Anna@Twente.example",
        "Werkgever Standaard;70000002;",
        "Werkgever Partner;70000003;piet@roc.example",
        "Werkgever Onbekend;70000004;niemand@example.nl",
        "Werkgever Oud;70000005;oud@twente.example",
    ]
    login_as(client, coordinator)
    token = token_of(upload(client, "cp.csv", "\r\n".join(lines).encode()))
    map_columns(client, token, ["Naam", "KvK", "Accountmanager"], contactpersoon_id=coordinator.id)
    page = client.get(f"/werkgevers/import/{token}/controle").get_data(as_text=True)
    assert "Piet Partner kan geen contactpersoon zijn" in row_html(page, 4)
    assert "Er is geen gebruiker met e-mailadres niemand@example.nl." in row_html(page, 5)
    assert "Oud Collega kan geen contactpersoon zijn" in row_html(page, 6)
    confirm(client, token)
    by_name = {e.name: e for e in db.session.scalars(select(Employer).where(Employer.name.like("Werkgever %")))}
    assert sorted(by_name) == ["Werkgever Anna", "Werkgever Standaard"]
    assert by_name["Werkgever Anna"].contactpersoon_id == am.id
    assert [a.user_id for a in open_assignments(by_name["Werkgever Anna"].id)] == [am.id]
    assert by_name["Werkgever Standaard"].contactpersoon_id == coordinator.id


def test_mapping_requires_a_name_column(client, coordinator):
    login_as(client, coordinator)
    content = read("werkgevers-komma.csv")
    token = token_of(upload(client, "werkgevers-komma.csv", content))
    headers = imports.read_table("werkgevers-komma.csv", content).headers
    html = map_columns(client, token, headers, contactpersoon_id=coordinator.id, col_name="").get_data(as_text=True)
    assert "Koppel een kolom aan Naam: die is verplicht." in html


def test_values_are_checked_as_the_employer_form_checks_them(session, coordinator):
    lines = [
        "Naam;Grootte;Status;Erkend leerbedrijf;Website;E-mail;Telefoon;SBI;Vestigingsnummer",
        "Goed;12;Actief;JA;bedrijf.example;Info@Bedrijf.example;+31 53 481 2000;47.11;0000 1234 5678",
        "Fout;veel;gesloten;misschien;javascript:alert(1);geen-adres;bel me;0400;123",
        "X" * 201 + ";;;;;;;;",
    ]
    table = imports.read_table("waarden.csv", "\n".join(lines).encode())
    check = imports.check_rows(table, imports.guess_mapping(table.headers), coordinator.id)
    good, bad, long = check.rows
    assert good.errors == []
    assert good.values["size"] == "klein" and good.values["status"] == "actief"
    assert good.values["erkend_leerbedrijf"] is True and good.values["website"] == "https://bedrijf.example"
    assert good.values["sbi_code"] == "4711" and good.values["vestigingsnummer"] == "000012345678"
    assert [key for key, _message in bad.errors] == [
        "vestigingsnummer",
        "sbi_code",
        "size",
        "phone",
        "email",
        "website",
        "erkend_leerbedrijf",
        "status",
    ]
    assert long.errors == [("name", "Maximaal 200 tekens (nu 201).")]


# --- scale -----------------------------------------------------------------------------------------


def test_ten_thousand_rows(session, coordinator, capsys):
    header = "Bedrijfsnaam;KvK;Straat;Huisnummer;Postcode;Plaats;Gemeente;SBI;Telefoon;E-mailadres;Erkend leerbedrijf"
    places = ["Enschede", "Hengelo", "Almelo", "Borne", "Oldenzaal"]
    lines = [header] + [
        f"Werkgever {n} B.V.;{40000000 + n};Industrieweg;{n % 200 + 1};7511 JK;{places[n % 5]};{places[n % 5]};"
        f"{4711 + n % 40};053 481 {n % 10000:04d};info{n}@werkgever.example;{'ja' if n % 3 else 'nee'}"
        for n in range(10_000)
    ]
    content = ("\r\n".join(lines)).encode("utf-8-sig")
    started = time.perf_counter()
    table = imports.read_table("tienduizend.csv", content)
    read_at = time.perf_counter()
    check = imports.check_rows(table, imports.guess_mapping(table.headers), coordinator.id)
    checked_at = time.perf_counter()
    result = imports.import_employers(
        coordinator,
        table,
        imports.guess_mapping(table.headers),
        default_contactpersoon_id=coordinator.id,
        file_name="tienduizend.csv",
        known=imports.known_rows(check),  # as the confirmation has them from the preview
    )
    done = time.perf_counter()
    assert check.totals["ok"] == 10_000
    assert result.created == 10_000
    assert employer_count([f"{40000000 + n}" for n in (0, 5000, 9999)]) == 3
    assert (
        db.session.scalar(
            select(func.count(ContactpersoonAssignment.id)).where(
                ContactpersoonAssignment.employer_id.in_(result.employer_ids),
                ContactpersoonAssignment.ended_at.is_(None),
            )
        )
        == 10_000
    )
    assert db.session.scalar(select(Employer.search_text).where(Employer.kvk_number == "40009999")).startswith(
        " werkgever 9999 | 40009999"
    )
    assert len(import_events()) == 1
    with capsys.disabled():
        print(
            f"\n[import 10,000 rows on {db.session.get_bind().dialect.name}] read {read_at - started:.2f}s, "
            f"preview check {checked_at - read_at:.2f}s, import (check again + insert) {done - checked_at:.2f}s"
        )


# --- the import runs on the bulk queue (tasks/imports.py) -------------------------------------


@pytest.fixture
def held(monkeypatch):
    """Tasks the confirm step queues wait (as when no worker has taken them yet): recorded, not run."""
    sent: list[tuple[str, tuple]] = []
    monkeypatch.setattr("crm.imports.views.queue_task", lambda _app, name, *args: sent.append((name, args)))
    return sent


def busy_fragment(client, token: str):
    return client.get(f"/werkgevers/import/{token}/voortgang", headers={"HX-Request": "true"})


def test_confirm_queues_the_import_and_the_result_page_says_busy_until_the_worker_is_done(
    client, coordinator, existing, held
):
    login_as(client, coordinator)
    token, _page = through_preview(client, BOM_FILE, coordinator)
    response = confirm(client, token)
    assert response.headers["Location"].endswith(f"/werkgevers/import/{token}/resultaat")
    assert held == [("tasks.imports.run_import", (token, coordinator.id))]
    assert employer_count(FILE_KVKS) == 0

    page = client.get(f"/werkgevers/import/{token}/resultaat").get_data(as_text=True)
    assert "Bezig</strong> sinds" in page
    assert f'hx-get="/werkgevers/import/{token}/voortgang"' in page and 'hx-trigger="every 2s"' in page
    assert f'<a href="/werkgevers/import/{token}/resultaat">Vernieuwen</a>' in page  # without JavaScript
    # while it is queued: no second run, and the steps before lead to the busy page
    assert confirm_post(client, token).headers["Location"].endswith("/resultaat")
    assert len(held) == 1
    assert client.get(f"/werkgevers/import/{token}/controle").headers["Location"].endswith("/resultaat")
    fragment = busy_fragment(client, token)
    assert 'id="job-busy"' in fragment.get_data(as_text=True) and "HX-Redirect" not in fragment.headers

    assert import_tasks.run_import.run(token, coordinator.id) == 2  # the worker

    fragment = busy_fragment(client, token)
    assert fragment.headers["HX-Redirect"] == f"/werkgevers/import/{token}/resultaat"
    page = client.get(f"/werkgevers/import/{token}/resultaat").get_data(as_text=True)
    assert "De import is klaar: 2 werkgevers aangemaakt." in page
    assert re.search(r'data-total="created">2<', page)
    assert "De import is klaar" not in client.get(f"/werkgevers/import/{token}/resultaat").get_data(as_text=True)
    # a second delivery of the task imports nothing again
    assert import_tasks.run_import.run(token, coordinator.id) == 2
    assert employer_count(FILE_KVKS) == 2
    assert len(import_events()) == 1


def test_a_running_import_shows_how_many_rows_are_checked(client, coordinator, held):
    login_as(client, coordinator)
    token, _page = through_preview(client, BOM_FILE, coordinator)
    confirm(client, token)
    stored = imports.configured_store().get(token, coordinator)
    stored.running()
    stored.progress(500, 1200)
    page = client.get(f"/werkgevers/import/{token}/resultaat").get_data(as_text=True)
    assert "500 van 1.200 rijen gecontroleerd" in page
    assert 'aria-valuenow="500"' in page


def test_the_import_reports_its_progress_every_500_rows(session, coordinator):
    rows = "\r\n".join(f"Werkgever {n};{n:08d}" for n in range(1, 1201))
    table = imports.read_table("groot.csv", f"Naam;KvK-nummer\r\n{rows}\r\n".encode())
    seen: list[tuple[int, int]] = []
    result = imports.import_employers(
        coordinator,
        table,
        imports.guess_mapping(table.headers),
        default_contactpersoon_id=coordinator.id,
        file_name="groot.csv",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(500, 1200), (1000, 1200)]
    assert result.created == 1200


def test_a_user_who_may_no_longer_import_gets_a_clear_message_and_nothing_is_stored(
    client, coordinator, factories, held
):
    login_as(client, coordinator)
    token, _page = through_preview(client, BOM_FILE, coordinator)
    confirm(client, token)
    coordinator.role = "accountmanager"  # between the confirm and the worker
    db.session.commit()

    assert import_tasks.run_import.run(token, coordinator.id) is None
    assert employer_count(FILE_KVKS) == 0
    stored = imports.configured_store().get_for_task(token)
    assert stored.meta["state"] == "checked" and not stored.busy
    assert imports.failure_text(stored.meta["error"]) == (
        "U mag geen werkgevers (meer) importeren. Er is niets opgeslagen."
    )
    assert stored.claim(), "the claim was released"


def test_a_failed_run_sends_the_owner_back_to_the_mapping_with_the_reason(client, coordinator, factories, held):
    colleague = factories.UserFactory(role="accountmanager", name="Cas Collega")
    login_as(client, coordinator)
    token, _page = through_preview(client, BOM_FILE, colleague)
    confirm(client, token)
    colleague.active = False  # the default contactpersoon can no longer be one: a ServiceError
    db.session.commit()

    assert import_tasks.run_import.run(token, coordinator.id) is None
    fragment = busy_fragment(client, token)
    assert fragment.headers["HX-Redirect"] == f"/werkgevers/import/{token}/resultaat"
    response = client.get(f"/werkgevers/import/{token}/resultaat")
    assert response.headers["Location"].endswith(f"/werkgevers/import/{token}/kolommen")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "De gekozen standaard contactpersoon kan geen contactpersoon (meer) zijn." in page
    assert employer_count(FILE_KVKS) == 0
    # corrected, it can be confirmed again
    through = map_columns(client, token, imports.read_table(BOM_FILE, read(BOM_FILE)).headers, coordinator.id)
    assert through.status_code == 302
    confirm(client, token)
    assert held[-1] == ("tasks.imports.run_import", (token, coordinator.id))


def test_a_second_delivery_after_a_worker_died_mid_run_does_not_import_twice(client, coordinator, held):
    login_as(client, coordinator)
    token, _page = through_preview(client, BOM_FILE, coordinator)
    confirm(client, token)
    imports.configured_store().get(token, coordinator).running()  # the first worker started, then died

    assert import_tasks.run_import.run(token, coordinator.id) is None
    assert employer_count(FILE_KVKS) == 0
    assert "onderbroken" in imports.failure_text(imports.configured_store().get(token, coordinator).meta["error"])


def test_a_broker_that_cannot_be_reached_releases_the_import(client, coordinator, monkeypatch):
    def unreachable(*_args):
        raise ConnectionError("broker down")

    monkeypatch.setattr("crm.imports.views.queue_task", unreachable)
    login_as(client, coordinator)
    token, _page = through_preview(client, BOM_FILE, coordinator)
    response = client.get(confirm(client, token).headers["Location"])
    assert response.headers["Location"].endswith("/kolommen")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "De import kon niet worden gestart." in page
    assert imports.configured_store().get(token, coordinator).claim()
