"""No bidirectional control characters in names (issue 16): "\u202eknaB" shows as "Bank".

One rule (``validation.no_bidi_controls``), used by every name field of every form
(``crm.forms.NAME``), by the services behind them and by the import.
"""

from __future__ import annotations

import pytest

from crm.extensions import db
from crm.models import Organisation
from crm.services import accounts, employers, imports, organisations, participants, programme_periods
from crm.services import validation as v
from crm.services.validation import Invalid
from tests.test_fuzz_forms import is_csrf, open_page, post_isolated

BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
MESSAGE = "leesrichting omdraait"


@pytest.mark.parametrize("char", BIDI, ids=[f"U+{ord(c):04X}" for c in BIDI])
def test_every_bidi_control_is_refused(char):
    with pytest.raises(Invalid, match=MESSAGE):
        v.no_bidi_controls(f"Bakkerij {char}Bolder")


@pytest.mark.parametrize(
    "name", ["Bakkerij Bolder", "Zoë Çelik-Öztürk", "محمد العلي", "שרה כהן", "李 小龙", "Ab\u200fc", ""]
)
def test_ordinary_names_in_any_script_pass(name):
    assert v.no_bidi_controls(name) == name


NAME_FORMS = [
    ("employers.new /werkgevers/nieuw", "name"),
    ("employers.person_new /werkgevers/<int:id>/personen/nieuw", "name"),
    ("participants.new /deelnemers/nieuw", "first_name"),
    ("participants.new /deelnemers/nieuw", "last_name"),
    ("admin.organisation_edit /beheer/organisaties/nieuw", "name"),
    ("admin.organisation_edit /beheer/organisaties/<int:id>", "name"),
    ("admin.partnership_edit /beheer/samenwerkingsverbanden/nieuw", "name"),
    ("admin.user_new /beheer/gebruikers/nieuw", "name"),
    ("admin.user_edit /beheer/gebruikers/<int:id>", "name"),
    ("admin.programme_period_edit /beheer/programmaperiodes/nieuw", "name"),
]


@pytest.mark.parametrize(("page_key", "field"), NAME_FORMS)
def test_every_name_field_refuses_bidi_controls(app, session, page_key, field):
    setup = open_page(app, page_key)
    (form,) = [f for f in setup.forms if any(x["name"] == field for x in f.fields)]
    base = [(k, val) for k, val in form.defaults() if k != field and not is_csrf(k)] + setup.tokens(form)

    status, html, changed, _location = post_isolated(setup, form, [*base, (field, "\u202eknaB Bakkerij")])
    assert MESSAGE in html, (page_key, status)
    assert not changed

    status, html, changed, _location = post_isolated(setup, form, [*base, (field, "Bakkerij Bank")])
    assert MESSAGE not in html


def test_the_services_refuse_bidi_controls(session, factories):
    admin = factories.UserFactory(role="admin")
    am = factories.UserFactory(role="accountmanager")
    employer = factories.EmployerFactory(contactpersoon=am)
    organisation = factories.OrganisationFactory()
    bad = "\u2067Bank\u2069"
    refusals = [
        lambda: employers.create_employer(am, employers.EmployerData(name=bad)),
        lambda: employers.update_employer(am, employer, employers.EmployerData(name=bad), version=employer.version),
        lambda: employers.add_person(am, employer, employers.PersonData(name=bad)),
        lambda: participants.create_participant(
            am,
            participants.ParticipantData(first_name=bad, last_name="Jansen", doelgroep="ww", birth_year=1990),
            consent_purpose="begeleiding",
        ),
        lambda: organisations.save_organisation(admin, None, name=bad, kind="overig", active=True),
        lambda: organisations.save_partnership(
            admin, None, name=bad, scope="regionaal", region_id=None, description="", members=[], active=True
        ),
        lambda: accounts.create_user(
            admin, email="nieuw@example.org", name=bad, role="partner", organisation=organisation, password="x" * 20
        ),
        lambda: programme_periods.save_period(admin, None, name=bad, starts_on=None, ends_on=None),
    ]
    for refuse in refusals:
        with pytest.raises(Invalid if refuse is not refusals[-1] else programme_periods.PeriodRefused, match=MESSAGE):
            refuse()
    db.session.rollback()
    assert db.session.query(Organisation).filter(Organisation.name.contains("Bank")).count() == 0


def test_the_import_refuses_a_name_with_bidi_controls(session, factories):
    table = imports.read_table(
        "werkgevers.csv", "Naam;Plaats\r\n\u202eknaB;Hengelo\r\nBakkerij Bolder;Hengelo\r\n".encode()
    )
    check = imports.check_rows(table, {"name": 0, "city": 1}, factories.UserFactory(role="accountmanager").id)
    statuses = [row.status for row in check.rows]
    assert statuses == [imports.ERROR, imports.OK]
    assert MESSAGE in " ".join(check.rows[0].problems())
