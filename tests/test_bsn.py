"""No BSN in the CRM, however it is written (issue 16, finding 8).

The bypasses that were found, each through the check itself and through a form; what must
still pass (realistic contact notes full of phone numbers, dates, postcodes and KvK numbers);
the import's file name; and ``audit()`` redacting whatever reaches it anyway.
"""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from crm.extensions import db
from crm.models import AuditEvent, Contact
from crm.services import imports
from crm.services import validation as v
from crm.services.audit import audit
from tests.conftest import csrf_token, login_as

BSN = "111222333"  # passes the elfproef

BYPASSES = {
    "zero-width spaces": "BSN 111\u200b222\u200b333",
    "zero-width joiner and word joiner": "111\u200d222\u2060333",
    "soft hyphens": "111\u00ad222\u00ad333",
    "bidi controls": "\u202e111 222 333\u202c",
    "double spaces": "nummer 111  222  333",
    "slashes": "111/222/333",
    "spaced slashes": "111 / 222 / 333",
    "underscores": "111_222_333",
    "commas": "111,222,333",
    "no-break spaces": "111\u00a0222\u00a0333",
    "en dashes": "111\u2013222\u2013333",
    "4-2-3 with dots": "1112.22.333",
    "Arabic-Indic digits": "\u0661\u0661\u0661\u0662\u0662\u0662\u0663\u0663\u0663",
    "Extended Arabic-Indic digits": "\u06f1\u06f1\u06f1 \u06f2\u06f2\u06f2 \u06f3\u06f3\u06f3",
    "fullwidth digits": "\uff11\uff11\uff11\uff12\uff12\uff12\uff13\uff13\uff13",
    "Devanagari digits": "\u0967\u0967\u0967\u0968\u0968\u0968\u0969\u0969\u0969",
    "other digits in front": "dossier 12 111222333",
    "a digit after it": "111222333 4",
    "a date in front": "6-12-2026 111222333",
    "glued to longer digits": "dossier12111222333",
    "one digit glued after": "1112223334",
    "glued to letters": "ref111222333x",
    "fullwidth with zero-width": "\uff11\uff11\uff11\u200b\uff12\uff12\uff12\u200b\uff13\uff13\uff13",
}


@pytest.mark.parametrize("text", BYPASSES.values(), ids=BYPASSES.keys())
def test_every_way_of_writing_a_bsn_is_found(text):
    assert v.contains_bsn(text)
    with pytest.raises(v.Invalid, match="burgerservicenummer"):
        v.no_bsn(text)


@pytest.mark.parametrize("text", BYPASSES.values(), ids=BYPASSES.keys())
def test_every_way_of_writing_a_bsn_is_redacted(text):
    redacted = v.redact_bsn(f"Notitie: {text} (gebeld)")
    assert not v.contains_bsn(redacted)
    assert v.BSN_REDACTED in redacted
    assert redacted.startswith("Notitie: ") and redacted.endswith(" (gebeld)")


@pytest.mark.parametrize("name", ["zero-width spaces", "slashes", "a date in front", "Arabic-Indic digits"])
def test_a_form_refuses_each_bypass(client, factories, name):
    """Through the browser: the quick contact log on an employer (BaseForm checks every field)."""
    am = factories.UserFactory(role="accountmanager")
    employer = factories.EmployerFactory(contactpersoon=am)
    db.session.commit()
    login_as(client, am)
    token = csrf_token(client, f"/werkgevers/{employer.id}/contactmoment")
    html = client.post(
        f"/werkgevers/{employer.id}/contactmoment",
        data={
            "csrf_token": token,
            "channel": "telefoon",
            "summary": f"Gebeld. {BYPASSES[name]}",
            "visibility": "gedeeld",
        },
    ).get_data(as_text=True)
    assert "burgerservicenummer (BSN)" in html
    assert db.session.scalar(select(Contact).where(Contact.employer_id == employer.id)) is None


# --- ordinary text passes -------------------------------------------------------------------------

REALISTIC_NOTES = [
    "Gebeld met Jan de Vries (074 305 6800), terugbellen op 6-12-2026 om 10:30.",
    "Mobiel 06-12345678, kantoor (053) 481 20 00; mail volgt.",
    "Tel. +31 6 1234 5678 of 0031 74 305 6800.",
    "Bezoek op 12/01/2027 14:00 aan Hengelosestraat 125, 7514 AE Enschede.",
    "Postbus 12345, 7500 AA Enschede. KvK 12345678, vestigingsnummer 000012345678.",
    "KvK-nummer 87654321; SBI 47.11; crebo 25180; 3 BBL-plekken vanaf 1-9-2027.",
    "Afspraak 2026-12-06 09:15 in Almelo, 7607 AB. Daarna 06 87654321 bellen.",
    "IBAN NL91 ABNA 0417 1643 00 voor de subsidie van € 12.500,00.",
    "Omzet circa 1.250.000 euro, 45 medewerkers, 3 vestigingen.",
    "Vacatures 2024-017 en 2024-018 staan open tot 31-01-2027.",
    "Contact via 0546-123456 of 0546 123 456 (receptie), toestel 204.",
    "Leerwerkloket bus: stop 3 op 14-3-2027 van 9:00 tot 12:30 uur.",
    "Loonkostensubsidie 2026: 12 kandidaten, 4 gestart, 2 uitgevallen.",
    "Gesprek 15 december, 10.00 uur; tel 085 - 401 23 45.",
    "Bel 0800-0227 of 088 898 2001 voor het UWV werkgeversservicepunt.",
    "Nieuwe collega start 1 februari; contract 32 uur; 4 dagen van 8 uur.",
    "Route: A35 afslag 27, daarna 2 km; parkeren op P3.",
    "Leeftijd 23, woont in 7531 (Enschede-Noord), start BBL niveau 2 op 1-8-2027.",
    "Telefoonnummers: 074-3056800, 074 - 305 68 00 en (074) 3056800.",
    "Offerte 2026/118 van 03.12.2026 ontvangen, bedrag 4.950 excl. btw.",
]


@pytest.mark.parametrize("note", REALISTIC_NOTES)
def test_realistic_contact_notes_pass(note):
    assert not v.contains_bsn(note), note
    assert v.redact_bsn(note) == note


@st.composite
def phone_numbers(draw) -> str:
    area = draw(st.sampled_from(["10", "20", "30", "40", "50", "53", "546", "548", "6", "74", "85", "88", "800"]))
    rest = draw(st.text("0123456789", min_size=9 - len(area), max_size=9 - len(area)))
    digits = "0" + area + rest
    style = draw(st.integers(0, 5))
    if style == 0:
        return digits
    if style == 1:
        return f"{digits[: len(area) + 1]}-{digits[len(area) + 1 :]}"
    if style == 2:
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    if style == 3:
        return f"({digits[: len(area) + 1]}) {digits[len(area) + 1 :]}"
    if style == 4:
        return f"+31 {digits[1:2]} {digits[2:6]} {digits[6:]}"
    return f"{digits[:2]} {digits[2:4]} {digits[4:6]} {digits[6:8]} {digits[8:]}"


@st.composite
def dates(draw) -> str:
    day, month, year = draw(st.integers(1, 28)), draw(st.integers(1, 12)), draw(st.integers(2020, 2030))
    sep = draw(st.sampled_from("-/."))
    return draw(
        st.sampled_from(
            [f"{day}{sep}{month}{sep}{year}", f"{day:02}{sep}{month:02}{sep}{year}", f"{year}-{month:02}-{day:02}"]
        )
    )


@st.composite
def notes(draw) -> str:
    phone, date = draw(phone_numbers()), draw(dates())
    time = f"{draw(st.integers(7, 18))}:{draw(st.sampled_from(['00', '15', '30', '45']))}"
    postcode = f"{draw(st.integers(1000, 9999))} {draw(st.sampled_from(['AB', 'JK', 'ae', 'XZ']))}"
    kvk = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=8, max_size=8)))
    template = draw(
        st.sampled_from(
            [
                "Gebeld met {phone} op {date} om {time}; bezoek {postcode}.",
                "{date} {time}: afspraak, tel {phone}, KvK {kvk}.",
                "KvK {kvk}, vestiging {postcode}, contact {phone}, volgende keer {date}.",
                "Terugbellen {phone}, {date}, {time}.",
                "{postcode} Enschede, {phone}, {date} {time}",
            ]
        )
    )
    return template.format(phone=phone, date=date, time=time, postcode=postcode, kvk=kvk)


@settings(max_examples=1000, derandomize=True, database=None, deadline=None)
@given(notes())
def test_generated_contact_notes_pass(note):
    assert not v.contains_bsn(note), note


# --- the audit trail ---------------------------------------------------------------------------


def test_audit_redacts_a_bsn_in_summary_and_changes(session, factories):
    actor = factories.UserFactory()
    event = audit(
        actor,
        "update",
        object_type="contact",
        object_id=1,
        summary="Notitie gewijzigd: BSN 111\u200b222\u200b333 genoemd",
        changes={"summary": ["oud", "nummer 111/222/333"], "nested": {"list": ["dossier 12 111222333", 7]}},
    )
    db.session.flush()
    stored = db.session.get(AuditEvent, event.id)
    assert "111" not in stored.summary and v.BSN_REDACTED in stored.summary
    assert stored.changes["summary"] == ["oud", f"nummer {v.BSN_REDACTED}"]
    assert stored.changes["nested"] == {"list": [f"dossier 12 {v.BSN_REDACTED}", 7]}


def test_audit_leaves_ordinary_values_alone(session, factories):
    actor = factories.UserFactory()
    changes = {
        "phone": ["074 305 6800", "06-12345678"],
        "kvk_number": [None, "12345678"],
        "due_date": ["2026-12-06", "2027-01-31"],
    }
    event = audit(actor, "update", object_type="employer", object_id=1, summary="Werkgever gewijzigd", changes=changes)
    assert event.changes == changes and event.summary == "Werkgever gewijzigd"


# --- the import's file name ----------------------------------------------------------------------


@pytest.fixture
def import_folder(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_FOLDER", str(tmp_path / "imports"))
    return tmp_path / "imports"


def test_an_import_file_named_with_a_bsn_is_refused(client, factories, import_folder):
    coordinator = factories.UserFactory(role="coordinator")
    db.session.commit()
    login_as(client, coordinator)
    token = csrf_token(client, "/werkgevers/import")
    response = client.post(
        "/werkgevers/import",
        data={
            "file": (io.BytesIO(b"Naam;Plaats\r\nBakkerij Bolder;Hengelo\r\n"), "deelnemer-111222333-x.csv"),
            "csrf_token": token,
        },
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "De naam van het bestand bevat een nummer dat een burgerservicenummer (BSN) kan zijn" in html
    assert "111222333" not in html
    assert not import_folder.exists() or not any(import_folder.iterdir())
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.summary.contains("111222333"))) is None


def test_the_import_checks_every_cell_for_a_bsn(session, factories):
    """Not only the notes: the employer form checks every field, so the import does too."""
    content = "Naam;Straat;Notities\r\nBakkerij 111 222 333;Markt 1;\r\nBakkerij Bolder;Markt 111/222/333;\r\nSlagerij Smit;Markt 2;ok\r\n"
    table = imports.read_table("werkgevers.csv", content.encode())
    check = imports.check_rows(
        table, {"name": 0, "street": 1, "notes": 2}, factories.UserFactory(role="accountmanager").id
    )
    assert [row.status for row in check.rows] == [imports.ERROR, imports.ERROR, imports.OK]
    assert all("burgerservicenummer" in " ".join(row.problems()) for row in check.rows[:2])
