"""Participants (deelnemers): minimal data, recorded consent, no BSN, need-to-know, audited views."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from stdnum.nl import bsn

from crm.extensions import db
from crm.models import AuditEvent, Participant
from crm.models.base import utcnow
from crm.services import participants
from crm.services.errors import ServiceError, StaleRecord
from crm.services.participants import ParticipantData
from tests.conftest import csrf_token, login_as
from tests.factories import municipality

BSN_EXPLANATION = "burgerservicenummer (BSN)"


def valid_bsns(count: int, seed: int = 11) -> list[str]:
    """Nine-digit numbers that pass the elfproef (9·d1 + 8·d2 + … + 2·d8 − d9 ≡ 0 mod 11)."""
    rng = random.Random(seed)
    found: list[str] = []
    while len(found) < count:
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        check = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if check > 9:
            continue
        number = "".join(map(str, digits)) + str(check)
        assert bsn.is_valid(number)
        found.append(number)
    return found


def form_data(token: str, **changes) -> dict:
    data = {
        "csrf_token": token,
        "first_name": "Sanne",
        "last_name": "de Vries",
        "birth_year": "2004",
        "birth_date": "",
        "email": "sanne.devries@example.com",
        "phone": "06 1234 5678",
        "municipality": "Enschede",
        "doelgroep": "jongere_zonder_startkwalificatie",
        "referring_organisation_id": "0",
        "consent_given": "y",
        "consent_purpose": "Begeleiding naar een BBL-traject in de zorg",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def participant_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Participant))


@pytest.fixture
def gemeente_user(factories):
    gemeente = factories.OrganisationFactory(name="Gemeente Enschede", kind="gemeente")
    return factories.UserFactory(role="partner", name="Wendy Werkcoach", organisation=gemeente)


# --- create, consent ---------------------------------------------------------------------------------


def test_partner_registers_participant_with_recorded_consent(client, gemeente_user):
    login_as(client, gemeente_user)
    token = csrf_token(client, "/deelnemers/nieuw")
    org = gemeente_user.organisation_id
    assert f'<option selected value="{org}">' in client.get("/deelnemers/nieuw").get_data(as_text=True)  # default
    before = utcnow()
    response = client.post("/deelnemers/nieuw", data=form_data(token, referring_organisation_id=str(org)))
    assert response.status_code == 302
    participant = db.session.scalar(select(Participant).where(Participant.last_name == "de Vries"))
    assert response.headers["Location"] == f"/deelnemers/{participant.id}"
    assert participant.consent_recorded_by_id == gemeente_user.id
    assert before - timedelta(seconds=1) <= participant.consent_at <= utcnow()
    assert participant.consent_purpose == "Begeleiding naar een BBL-traject in de zorg"
    assert participant.created_by_id == gemeente_user.id
    assert participant.referring_organisation_id == org
    assert participant.municipality_id == municipality("Enschede").id
    assert participant.birth_year == 2004
    html = client.get(f"/deelnemers/{participant.id}").get_data(as_text=True)
    assert "Sanne de Vries" in html and "Wendy Werkcoach" in html
    assert "Begeleiding naar een BBL-traject in de zorg" in html
    assert "Werkende jongere zonder startkwalificatie" in html


def test_consent_and_its_purpose_are_required(client, gemeente_user):
    login_as(client, gemeente_user)
    token = csrf_token(client, "/deelnemers/nieuw")
    html = client.post("/deelnemers/nieuw", data=form_data(token, consent_given=None)).get_data(as_text=True)
    assert "Leg alleen gegevens vast als de deelnemer daar toestemming voor heeft gegeven." in html
    html = client.post("/deelnemers/nieuw", data=form_data(token, consent_purpose="")).get_data(as_text=True)
    assert "Leg vast waarvoor de deelnemer toestemming heeft gegeven." in html
    assert participant_count() == 0


def test_birth_year_or_date_is_required_and_must_agree(client, gemeente_user):
    login_as(client, gemeente_user)
    token = csrf_token(client, "/deelnemers/nieuw")
    html = client.post("/deelnemers/nieuw", data=form_data(token, birth_year="")).get_data(as_text=True)
    assert "Vul het geboortejaar of de geboortedatum in." in html
    html = client.post("/deelnemers/nieuw", data=form_data(token, birth_year="2001", birth_date="2003-05-01")).get_data(
        as_text=True
    )
    assert "Het geboortejaar past niet bij de geboortedatum." in html
    assert participant_count() == 0
    assert (
        client.post("/deelnemers/nieuw", data=form_data(token, birth_year="", birth_date="2003-05-01")).status_code
        == 302
    )
    assert db.session.scalar(select(Participant.birth_year)) == 2003


def test_there_is_no_bsn_field(client, gemeente_user):
    login_as(client, gemeente_user)
    html = client.get("/deelnemers/nieuw").get_data(as_text=True).lower()
    assert 'name="bsn"' not in html and "burgerservicenummer" in html  # only the warning mentions it
    assert not any("bsn" in column.name for column in Participant.__table__.columns)


PARTICIPANT_TEXT_FIELDS = {
    "first_name": "Sanne {bsn}",
    "last_name": "{bsn}",
    "email": "s{bsn}@example.com",
    "phone": "{bsn}",
    "municipality": "{bsn}",
    "consent_purpose": "Toestemming, BSN {bsn}",
}


@pytest.mark.parametrize("name", PARTICIPANT_TEXT_FIELDS)
def test_every_text_field_refuses_a_bsn_on_create(client, gemeente_user, name):
    login_as(client, gemeente_user)
    token = csrf_token(client, "/deelnemers/nieuw")
    for number in valid_bsns(3, seed=len(name)):
        value = PARTICIPANT_TEXT_FIELDS[name].format(bsn=number)
        html = client.post("/deelnemers/nieuw", data=form_data(token, **{name: value})).get_data(as_text=True)
        assert BSN_EXPLANATION in html, (name, value)
    assert participant_count() == 0


def test_bsn_written_with_spaces_or_dots_is_refused_too(client, gemeente_user):
    number = valid_bsns(1, seed=3)[0]
    login_as(client, gemeente_user)
    token = csrf_token(client, "/deelnemers/nieuw")
    for value in (f"{number[:3]} {number[3:6]} {number[6:]}", f"{number[:4]}.{number[4:6]}.{number[6:]}"):
        html = client.post("/deelnemers/nieuw", data=form_data(token, consent_purpose=value)).get_data(as_text=True)
        assert BSN_EXPLANATION in html
        html = client.post("/deelnemers/nieuw", data=form_data(token, phone=value)).get_data(as_text=True)
        assert BSN_EXPLANATION in html
    assert participant_count() == 0


def test_ordinary_numbers_pass(client, gemeente_user):
    """A mobile number, an international number and a nine-digit number failing the elfproef are fine."""
    assert not bsn.is_valid("123456789")
    login_as(client, gemeente_user)
    token = csrf_token(client, "/deelnemers/nieuw")
    response = client.post(
        "/deelnemers/nieuw",
        data=form_data(token, phone="+31 6 12345678", consent_purpose="Dossier 123456789 bij het leerwerkloket"),
    )
    assert response.status_code == 302


@pytest.mark.parametrize("name", PARTICIPANT_TEXT_FIELDS)
def test_every_text_field_refuses_a_bsn_on_edit(client, factories, gemeente_user, name):
    participant = factories.ParticipantFactory(
        first_name="Mo", last_name="Bakker", created_by_id=gemeente_user.id, consent_purpose="Begeleiding"
    )
    login_as(client, gemeente_user)
    token = csrf_token(client, f"/deelnemers/{participant.id}/bewerken")
    value = PARTICIPANT_TEXT_FIELDS[name].format(bsn=valid_bsns(1, seed=7)[0])
    data = form_data(token, version=str(participant.version), **{name: value})
    html = client.post(f"/deelnemers/{participant.id}/bewerken", data=data).get_data(as_text=True)
    assert BSN_EXPLANATION in html
    db.session.refresh(participant)
    assert (participant.first_name, participant.last_name) == ("Mo", "Bakker")


def test_service_refuses_a_bsn_as_well(session, factories, gemeente_user):
    number = valid_bsns(1)[0]
    with pytest.raises(ServiceError, match="BSN"):
        participants.create_participant(
            gemeente_user,
            ParticipantData(first_name="Sanne", last_name=number, doelgroep="werkende", birth_year=1990),
            consent_purpose="Begeleiding",
        )
    with pytest.raises(ServiceError, match="BSN"):
        participants.create_participant(
            gemeente_user,
            ParticipantData(first_name="Sanne", last_name="Jansen", doelgroep="werkende", birth_year=1990),
            consent_purpose=f"Begeleiding {number}",
        )


# --- edit -----------------------------------------------------------------------------------------------


def test_edit_keeps_consent_unless_recorded_anew(client, factories, gemeente_user):
    colleague = factories.UserFactory(role="accountmanager", organisation=gemeente_user.organisation)
    recorded = utcnow() - timedelta(days=30)
    participant = factories.ParticipantFactory(
        first_name="Mo",
        last_name="Bakker",
        created_by_id=colleague.id,
        consent_at=recorded,
        consent_recorded_by_id=colleague.id,
        consent_purpose="Begeleiding",
    )
    login_as(client, gemeente_user)
    token = csrf_token(client, f"/deelnemers/{participant.id}/bewerken")
    response = client.post(
        f"/deelnemers/{participant.id}/bewerken",
        data=form_data(
            token, first_name="Mohammed", last_name="Bakker", consent_given=None, consent_purpose="x", version="1"
        ),
    )
    assert response.status_code == 302
    db.session.refresh(participant)
    assert participant.first_name == "Mohammed"
    assert participant.consent_recorded_by_id == colleague.id and participant.consent_purpose == "Begeleiding"
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.object_type == "participant", AuditEvent.action == "update")
    )
    assert event.actor_id == gemeente_user.id
    assert "first_name" in event.changes and "Mohammed" not in str(event.changes)  # no personal data in the log

    response = client.post(
        f"/deelnemers/{participant.id}/bewerken",
        data=form_data(token, first_name="Mohammed", last_name="Bakker", consent_purpose="Ook voor EVC", version="2"),
    )
    assert response.status_code == 302
    db.session.refresh(participant)
    assert participant.consent_recorded_by_id == gemeente_user.id
    assert participant.consent_purpose == "Ook voor EVC" and participant.consent_at > recorded


# --- two people editing the same participant ------------------------------------------------------------


def test_a_save_on_an_old_version_is_refused_and_overwrites_nothing(session, factories, gemeente_user):
    colleague = factories.UserFactory(role="accountmanager", organisation=gemeente_user.organisation)
    participant = factories.ParticipantFactory(
        first_name="Mo", last_name="Bakker", doelgroep="werkzoekende", created_by_id=gemeente_user.id
    )
    db.session.flush()
    assert participant.version == 1
    opened_by_both = ParticipantData.from_participant(participant)

    first = ParticipantData.from_participant(participant)
    first.first_name, first.doelgroep = "Mohammed", "werkende"
    participants.update_participant(colleague, participant, first, version=1)
    assert participant.version == 2

    second = opened_by_both
    second.last_name = "Bakker-Smit"
    with pytest.raises(StaleRecord, match="Iemand anders heeft deze deelnemer intussen gewijzigd"):
        participants.update_participant(gemeente_user, participant, second, version=1)
    db.session.refresh(participant)
    assert (participant.first_name, participant.last_name, participant.doelgroep) == ("Mohammed", "Bakker", "werkende")
    assert participant.version == 2
    (missed,) = participants.changes_since(participant, 1)
    assert missed.actor_id == colleague.id
    assert missed.changes == {"first_name": ["…", "…"], "doelgroep": ["werkzoekende", "werkende"]}
    assert participants.changes_since(participant, 2) == []


def test_a_concurrent_save_that_slips_past_the_check_is_refused_by_the_version_column(
    session, factories, gemeente_user
):
    participant = factories.ParticipantFactory(first_name="Mo", last_name="Bakker", created_by_id=gemeente_user.id)
    db.session.commit()
    data = ParticipantData.from_participant(participant)
    data.first_name = "Mohammed"
    # Another process saves between this session's version check and its write: the row is at
    # version 2 while this session still holds version 1.
    db.session.execute(
        update(Participant)
        .where(Participant.id == participant.id)
        .values(last_name="Bakker-Smit", version=Participant.version + 1)
        .execution_options(synchronize_session=False)
    )
    assert participant.version == 1
    with pytest.raises(StaleRecord):
        participants.update_participant(gemeente_user, participant, data, version=1)
    assert not [o for o in db.session.new if isinstance(o, AuditEvent)]  # refused before the audit
    db.session.rollback()  # the caller that commits rolls back (services never do)
    db.session.expire_all()
    assert db.session.get(Participant, participant.id).first_name == "Mo"
    assert not db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.object_type == "participant", AuditEvent.action == "update")
    )


def test_stale_edit_shows_what_changed_keeps_the_input_and_can_be_resaved(client, factories, gemeente_user):
    enschede = factories.OrganisationFactory(name="Gemeente Enschede-Noord", kind="gemeente")
    colleague = factories.UserFactory(
        role="accountmanager", name="Ahmed Accountmanager", organisation=gemeente_user.organisation
    )
    participant = factories.ParticipantFactory(
        first_name="Sanne",
        last_name="de Vries",
        birth_year=2004,
        email="sanne.devries@example.com",
        phone="06 1234 5678",
        municipality_id=municipality("Enschede").id,
        doelgroep="jongere_zonder_startkwalificatie",
        created_by_id=gemeente_user.id,
        consent_purpose="Begeleiding",
    )
    login_as(client, gemeente_user)
    # Wendy opens the form (version 1) ...
    page = client.get(f"/deelnemers/{participant.id}/bewerken").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in page
    # ... Ahmed saves in between: another phone number, another doelgroep and referrer.
    data = ParticipantData.from_participant(participant)
    data.phone, data.doelgroep, data.referring_organisation_id = "06 8765 4321", "werkzoekende", enschede.id
    participants.update_participant(colleague, participant, data, version=1)
    db.session.commit()

    token = csrf_token(client, f"/deelnemers/{participant.id}/bewerken")
    mine = form_data(token, last_name="de Vries-Jansen", consent_given=None, version="1")
    response = client.post(f"/deelnemers/{participant.id}/bewerken", data=mine)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Iemand anders heeft deze deelnemer intussen gewijzigd" in html
    assert "Uw wijzigingen zijn niet opgeslagen" in html
    assert "Ahmed Accountmanager" in html
    assert "Telefoon is gewijzigd" in html
    assert "Doelgroep: Werkende jongere zonder startkwalificatie &rarr; Werkzoekende" in html
    assert re.search(r"Verwijzende organisatie: <span[^>]*>\(leeg\)</span> &rarr; Gemeente Enschede-Noord", html)
    # The audit trail holds no personal values; the page shows what is stored now.
    current = re.search(r'<ul id="stale-current">(.*?)</ul>', html, re.S).group(1)
    assert "Telefoon: 06 8765 4321" in current
    assert 'value="de Vries-Jansen"' in html  # the user's own input is kept
    db.session.expire_all()
    participant = db.session.get(Participant, participant.id)
    assert (participant.last_name, participant.phone, participant.doelgroep) == (
        "de Vries",
        "06 8765 4321",
        "werkzoekende",
    )
    assert participant.version == 2
    assert 'name="version" type="hidden" value="2"' in html

    # Saving again, now on the current version, is a deliberate choice and works.
    response = client.post(f"/deelnemers/{participant.id}/bewerken", data={**mine, "version": "2"})
    assert response.status_code == 302
    db.session.expire_all()
    participant = db.session.get(Participant, participant.id)
    assert participant.last_name == "de Vries-Jansen" and participant.version == 3


def test_edit_with_a_garbled_version_is_refused_as_stale(client, factories, gemeente_user):
    participant = factories.ParticipantFactory(first_name="Mo", last_name="Bakker", created_by_id=gemeente_user.id)
    login_as(client, gemeente_user)
    token = csrf_token(client, f"/deelnemers/{participant.id}/bewerken")
    data = form_data(token, consent_given=None, version="1'; --")
    response = client.post(f"/deelnemers/{participant.id}/bewerken", data=data)
    assert "Iemand anders heeft deze deelnemer intussen gewijzigd" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Participant, participant.id).first_name == "Mo"


# --- visibility, audit, caching ------------------------------------------------------------------------------


def test_registering_and_referring_organisations_see_a_participant_without_trajectory(client, factories):
    uwv = factories.OrganisationFactory(name="UWV Twente", kind="uwv")
    roc = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    registrar = factories.UserFactory(role="partner", organisation=roc)
    referrer = factories.UserFactory(role="accountmanager", organisation=uwv)
    outsider = factories.UserFactory(role="accountmanager")
    coordinator = factories.UserFactory(role="coordinator")
    admin = factories.UserFactory(role="admin")
    participant = factories.ParticipantFactory(
        first_name="Lotte", last_name="Hendriks", created_by_id=registrar.id, referring_organisation=uwv
    )
    for user in (registrar, referrer):
        login_as(client, user)
        assert client.get(f"/deelnemers/{participant.id}").status_code == 200
        assert "Hendriks, Lotte" in client.get("/deelnemers").get_data(as_text=True)
    for user in (outsider, coordinator, admin):
        login_as(client, user)
        assert client.get(f"/deelnemers/{participant.id}").status_code == 404
        assert "Hendriks" not in client.get("/deelnemers").get_data(as_text=True)


def test_each_view_of_a_participant_page_is_audited(client, factories, gemeente_user):
    participant = factories.ParticipantFactory(created_by_id=gemeente_user.id)
    login_as(client, gemeente_user)
    for _ in range(3):
        assert client.get(f"/deelnemers/{participant.id}").status_code == 200
    events = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "view", AuditEvent.object_type == "participant", AuditEvent.object_id == participant.id
        )
    ).all()
    assert len(events) == 3
    assert {e.actor_id for e in events} == {gemeente_user.id}


def test_a_refused_view_is_not_audited_as_a_view(client, factories, gemeente_user):
    participant = factories.ParticipantFactory(created_by_id=gemeente_user.id)
    login_as(client, factories.UserFactory())
    assert client.get(f"/deelnemers/{participant.id}").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "view")) == 0


@pytest.mark.parametrize("path", ["/deelnemers", "/deelnemers/nieuw", "/deelnemers/{id}", "/deelnemers/{id}/bewerken"])
def test_participant_pages_are_not_cached(client, factories, gemeente_user, path):
    participant = factories.ParticipantFactory(created_by_id=gemeente_user.id)
    login_as(client, gemeente_user)
    response = client.get(path.format(id=participant.id))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_hidden_participant_404_is_not_cached_either(client, factories, gemeente_user):
    participant = factories.ParticipantFactory(created_by_id=gemeente_user.id)
    login_as(client, factories.UserFactory())
    response = client.get(f"/deelnemers/{participant.id}")
    assert response.status_code == 404 and response.headers["Cache-Control"] == "no-store"


def test_participant_list_searches_and_pages(client, factories, gemeente_user, app):
    for n in range(30):
        factories.ParticipantFactory(first_name=f"Kim{n:02d}", last_name="Jansen", created_by_id=gemeente_user.id)
    factories.ParticipantFactory(first_name="Noor", last_name="Smit", created_by_id=gemeente_user.id)
    login_as(client, gemeente_user)
    html = client.get("/deelnemers?q=smit").get_data(as_text=True)
    assert "Smit, Noor" in html and "Jansen" not in html
    first = client.get("/deelnemers").get_data(as_text=True)
    assert f"Pagina 1 van {-(-31 // app.config['PAGE_SIZE'])}" in first
    assert "Jansen, Kim00" in first
    html = client.get("/deelnemers?q=zzz").get_data(as_text=True)
    assert "Geen deelnemers gevonden" in html
