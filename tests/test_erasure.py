"""Erasure that erases (issue 16, finding 10): after anonymising a participant, on request or by
the retention job, no page, export, access report or database table holds her name, e-mail
address, phone number or birth date. The audit trail stays append-only; it never held them."""

import re
from datetime import date, timedelta

from sqlalchemy import inspect, literal_column, select
from sqlalchemy import table as table_clause

from crm.extensions import db
from crm.lib.clock import today
from crm.services import contacts, participants, privacy, trajectories
from crm.services.contacts import ContactData, FollowUpData
from crm.services.participants import ParticipantData
from crm.services.trajectories import TrajectoryData, TransitionData
from tests.conftest import csrf_token, login_as

# What must be gone: the name (as a whole and its own part), both e-mail addresses she had,
# the phone number however written, the birth date.
NEEDLES = ("amrani", "fatima.elamrani@example.com", "f.elamrani@example.com", "2001-03-04", "04-03-2001")
PHONE_DIGITS = "0612345678"
# Someone else with the same first name: erasure leaves her alone.
OTHER_PERSON = "Fatima Yilmaz komt dinsdag op gesprek"


def world(factories):
    """Fatima's data written the way users write it: through the services."""
    school = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    partnership = factories.PartnershipFactory(members=[school])
    coordinator = factories.UserFactory(role="coordinator", organisation=school)
    staff = factories.UserFactory(role="partner", organisation=school)
    employer = factories.EmployerFactory(name="Bakkerij Bolletje")
    other_employer = factories.EmployerFactory(name="Garage Hofman")
    participant = participants.create_participant(
        staff,
        ParticipantData(
            first_name="Fatima",
            last_name="El Amrani",
            doelgroep="werkzoekende",
            birth_date=date(2001, 3, 4),
            email="f.elamrani@example.com",
            phone="06 1234 5678",
            referring_organisation_id=school.id,
        ),
        consent_purpose="Bemiddeling naar een BBL-plek",
    )
    data = ParticipantData.from_participant(participant)
    data.email = "fatima.elamrani@example.com"
    participants.update_participant(staff, participant, data, version=participant.version)
    trajectory = trajectories.create_trajectory(
        staff,
        participant,
        TrajectoryData(
            kind="duaal", partnership_id=partnership.id, involvements=[(school.id, "school")], employer_id=employer.id
        ),
    )
    trajectories.transition(
        staff,
        trajectory,
        TransitionData(to_status="intake", note="Intake met Fatima gehad; zij belt terug op 06-12345678"),
        version=trajectory.version,
    )
    trajectories.add_follow_up(
        staff,
        trajectory,
        FollowUpData(due_date=today() + timedelta(days=7), subject="Fatima El Amrani bellen over haar rooster"),
    )
    contacts.log_contact(  # by a partner: the contactpersoon is told, with the summary
        staff,
        employer,
        ContactData(channel="telefoon", summary="Fatima start hier in september; mail fatima.elamrani@example.com"),
    )
    contacts.create_follow_up(  # at an employer that has nothing to do with her trajectory
        staff,
        FollowUpData(due_date=today() + timedelta(days=3), subject="Cv van Fatima El Amrani doorsturen"),
        employer=other_employer,
    )
    contacts.log_contact(
        other_employer.contactpersoon, other_employer, ContactData(channel="bezoek", summary=OTHER_PERSON)
    )
    db.session.flush()
    return coordinator, participant, trajectory, employer, other_employer


def table_hits(needles, digits=None) -> list[tuple[str, str]]:
    """Every value of every column of every table (whatever its type), as text, that holds one of
    ``needles`` (case-insensitive), or ``digits`` once separators are dropped."""
    hits = []
    connection = db.session.connection()
    for table in inspect(connection).get_table_names():
        for row in connection.execute(select(literal_column("*")).select_from(table_clause(table))):
            for value in row:
                if value is None:
                    continue
                plain = str(value).lower()
                if any(n in plain for n in needles) or (digits and digits in re.sub(r"\D", "", plain)):
                    hits.append((table, str(value)))
    return hits


def get(client, path: str) -> str:
    response = client.get(path)
    try:
        return response.get_data(as_text=True)
    finally:
        response.close()  # an export is a file


def pages(client, participant, trajectory, employer, other_employer):
    """The pages, exports and reports that show her or her case."""
    return {
        path: get(client, path)
        for path in (
            f"/deelnemers/{participant.id}",
            f"/deelnemers/{participant.id}/inzage",
            f"/deelnemers/{participant.id}/inzage?formaat=json",
            f"/trajecten/{trajectory.id}",
            "/trajecten",
            f"/werkgevers/{employer.id}",
            f"/werkgevers/{other_employer.id}",
            "/logboek",
            "/logboek/export.csv",
            f"/logboek/participant/{participant.id}",
            f"/logboek/trajectory/{trajectory.id}",
            f"/logboek/employer/{employer.id}",
        )
    }


def leaks(html: str) -> list[str]:
    lowered = html.lower()
    found = [n for n in NEEDLES if n in lowered]
    if PHONE_DIGITS in re.sub(r"[\s\-.]", "", lowered):
        found.append(PHONE_DIGITS)
    return found


def test_after_erasure_no_page_report_export_or_table_holds_her(client, factories):
    coordinator, participant, trajectory, employer, other_employer = world(factories)
    login_as(client, coordinator)
    before = pages(client, participant, trajectory, employer, other_employer)
    # Before: she is there, so this test can see her go.
    assert "El Amrani" in before[f"/deelnemers/{participant.id}"]
    assert "Fatima El Amrani bellen" in before[f"/trajecten/{trajectory.id}"]
    assert "Intake met Fatima" in before[f"/trajecten/{trajectory.id}"]
    assert "mail fatima.elamrani@example.com" in before[f"/werkgevers/{employer.id}"]
    assert {table for table, _value in table_hits(NEEDLES, PHONE_DIGITS)} >= {
        "participant",
        "follow_up",
        "contact",
        "notification",
        "trajectory_status_change",
    }

    token = csrf_token(client, f"/deelnemers/{participant.id}/anonimiseren")
    response = client.post(
        f"/deelnemers/{participant.id}/anonimiseren",
        data={"reason": "Verzoek van Fatima El Amrani per e-mail van 3 maart", "csrf_token": token},
    )
    assert response.status_code == 302
    db.session.expire_all()

    assert table_hits(NEEDLES, PHONE_DIGITS) == []
    # Her first name is gone wherever it was tied to her; someone else called Fatima stays.
    assert [value for _table, value in table_hits(("fatima",))] == [OTHER_PERSON]
    after = pages(client, participant, trajectory, employer, other_employer)
    login_as(client, factories.UserFactory(role="admin"))  # the admin's Logboek: every event
    after |= {f"admin {p}": get(client, p) for p in ("/logboek", "/logboek/export.csv")}
    for q in ("amrani", "fatima.elamrani", "1234"):
        assert "Geen gebeurtenissen gevonden" in get(client, f"/logboek?q={q}")
    login_as(client, employer.contactpersoon)
    after["/meldingen"] = get(client, "/meldingen")
    assert {path: leaks(html) for path, html in after.items() if leaks(html)} == {}
    assert "[verwijderd] bellen over haar rooster" in after[f"/trajecten/{trajectory.id}"]
    assert "[verwijderd] start hier in september" in after[f"/werkgevers/{employer.id}"]
    assert OTHER_PERSON in after[f"/werkgevers/{other_employer.id}"]
    # The reason stays in the trail, without her.
    assert "Verzoek van [verwijderd] per e-mail van 3 maart" in after[f"/logboek/participant/{participant.id}"]


def test_the_retention_job_erases_her_texts_too(session, factories):
    _coordinator, participant, trajectory, _employer, _other = world(factories)
    trajectory.status = "uitgevallen"
    trajectory.dropout_reason = "persoonlijke_omstandigheden"
    trajectory.actual_end = date(2023, 1, 31)
    db.session.flush()
    assert table_hits(NEEDLES, PHONE_DIGITS)
    assert privacy.anonymise_expired(24, on=date(2026, 1, 1)) == 1
    db.session.expire_all()
    assert table_hits(NEEDLES, PHONE_DIGITS) == []
    assert [value for _table, value in table_hits(("fatima",))] == [OTHER_PERSON]


def test_the_logboek_names_changed_personal_fields_without_values(client, factories):
    coordinator, participant, trajectory, _employer, _other = world(factories)
    login_as(client, coordinator)
    html = client.get(f"/logboek/participant/{participant.id}").get_data(as_text=True)
    assert re.search(r"E-mail:</span>\s*gewijzigd", html)
    assert "…" not in html
    html = client.get(f"/logboek/trajectory/{trajectory.id}").get_data(as_text=True)
    assert re.search(r"Toelichting:</span>\s*gewijzigd", html)


def test_redaction_finds_the_forms_a_name_and_number_are_written_in(session, factories):
    person = factories.ParticipantFactory(
        first_name="Jan Willem", last_name="van der Berg", email="jw@example.com", phone="06-11223344"
    )
    person.birth_date = date(1999, 12, 1)
    strong, tied = privacy.identifying_patterns(person)
    assert privacy.redact("Gesprek met jan willem VAN DER BERG", strong) == "Gesprek met [verwijderd]"
    assert privacy.redact("Van der Berg, Jan Willem belde", strong) == "[verwijderd] belde"
    assert privacy.redact("bel +31 6 1122 3344 of 0611223344", strong) == "bel [verwijderd] of [verwijderd]"
    assert privacy.redact("Willem komt; Jan ook", strong) == "Willem komt; Jan ook"  # elsewhere: whole name only
    assert privacy.redact("Willem komt; geboren 1-12-1999", tied) == "[verwijderd] komt; geboren [verwijderd]"
    assert privacy.redact("Bergen op Zoom, de Vandertaal", tied) == "Bergen op Zoom, de Vandertaal"
