"""AVG: retention, right of access, right to erasure, no BSN anywhere, sensitive actions."""

import json
import time
from datetime import date, timedelta

from sqlalchemy import String, Text, func, select

from crm.extensions import db
from crm.models import AuditEvent, Base, Trajectory
from crm.services import privacy
from crm.services.validation import contains_bsn
from tests.conftest import csrf_token, login_as
from tests.factories import PASSWORD


def world(factories):
    school = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    partnership = factories.PartnershipFactory(members=[school])
    coordinator = factories.UserFactory(role="coordinator", organisation=school)
    participant = factories.ParticipantFactory(
        first_name="Fatima", last_name="El Amrani", email="fatima@example.com", phone="06 1234 5678"
    )
    trajectory = factories.TrajectoryFactory(
        participant=participant,
        partnership=partnership,
        status="afgerond",
        outcome="diploma",
        actual_start=date(2023, 9, 1),
        actual_end=date(2024, 6, 30),
        dropout_text="",
    )
    factories.TrajectoryOrganisationFactory(trajectory=trajectory, organisation=school, role="school")
    return coordinator, participant, trajectory


def test_retention_job_anonymises_after_24_months_and_keeps_counts(session, factories):
    _coordinator, participant, trajectory = world(factories)
    running = factories.ParticipantFactory(first_name="Loopt", last_name="Nog")
    factories.TrajectoryFactory(participant=running, status="gestart", actual_start=date(2020, 1, 1))
    assert privacy.anonymisation_date(participant, 24) == date(2026, 6, 30)
    assert privacy.anonymise_expired(24, on=date(2026, 6, 29)) == 0
    assert privacy.anonymise_expired(24, on=date(2026, 6, 30)) == 1
    assert participant.first_name == "Geanonimiseerd" and participant.email == "" and participant.phone == ""
    assert running.first_name == "Loopt"
    assert db.session.scalar(select(func.count()).select_from(Trajectory).where(Trajectory.id == trajectory.id)) == 1
    assert privacy.anonymise_expired(24, on=date(2027, 1, 1)) == 0  # once


def test_retention_job_at_a_month_end_and_for_many_participants(session, factories):
    people = []
    for n in range(3):
        participant = factories.ParticipantFactory(first_name=f"Deelnemer{n}")
        factories.TrajectoryFactory(
            participant=participant,
            status="uitgevallen",
            actual_start=date(2025, 3, 1),
            actual_end=date(2025, 8, 31),  # six months later is 28 February 2026
            dropout_reason="persoonlijke_omstandigheden",
            dropout_text=f"Persoonlijke reden {n}",
        )
        people.append(participant)
    assert privacy.anonymise_expired(6, on=date(2026, 2, 27)) == 0
    assert privacy.anonymise_expired(6, on=date(2026, 2, 28)) == 3
    assert [p.first_name for p in people] == ["Geanonimiseerd"] * 3
    texts = db.session.scalars(
        select(Trajectory.dropout_text).where(Trajectory.participant_id.in_([p.id for p in people]))
    )
    assert set(texts) == {""}
    events = db.session.scalars(select(AuditEvent.summary).where(AuditEvent.action == "anonymise")).all()
    assert events.count("Bewaartermijn van 6 maanden verstreken") == 3


def test_access_and_erasure_need_a_recent_password(client, factories):
    coordinator, participant, _trajectory = world(factories)
    login_as(client, coordinator)
    with client.session_transaction() as sess:
        sess["password_at"] = int(time.time()) - 16 * 60
    response = client.get(f"/deelnemers/{participant.id}/inzage")
    assert response.status_code == 302 and "/herbevestigen" in response.headers["Location"]
    token = csrf_token(client, "/herbevestigen")
    assert "klopt niet" in client.post("/herbevestigen", data={"password": "fout", "csrf_token": token}).get_data(
        as_text=True
    )
    response = client.post(
        f"/herbevestigen?next=/deelnemers/{participant.id}/inzage", data={"password": PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"] == f"/deelnemers/{participant.id}/inzage"
    html = client.get(f"/deelnemers/{participant.id}/inzage").get_data(as_text=True)
    assert "Fatima" in html and "El Amrani" in html and "ROC van Twente" in html


def test_access_report_as_json_is_complete_and_audited(client, factories):
    coordinator, participant, trajectory = world(factories)
    login_as(client, coordinator)
    response = client.get(f"/deelnemers/{participant.id}/inzage?formaat=json")
    report = json.loads(response.data)
    assert report["deelnemer"]["email"] == "fatima@example.com"
    assert report["trajecten"][0]["id"] == trajectory.id and report["trajecten"][0]["outcome"] == "diploma"
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "export", AuditEvent.object_type == "participant")
    )


def test_erasure_anonymises_now_with_reason(client, factories):
    coordinator, participant, trajectory = world(factories)
    login_as(client, coordinator)
    token = csrf_token(client, f"/deelnemers/{participant.id}/anonimiseren")
    html = client.post(f"/deelnemers/{participant.id}/anonimiseren", data={"reason": "", "csrf_token": token}).get_data(
        as_text=True
    )
    assert "Geef de reden" in html and participant.first_name == "Fatima"
    response = client.post(
        f"/deelnemers/{participant.id}/anonimiseren", data={"reason": "Verzoek per e-mail", "csrf_token": token}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert participant.first_name == "Geanonimiseerd" and participant.anonymised_at is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "anonymise"))
    assert "Verzoek per e-mail" in event.summary and event.actor_id == coordinator.id


def test_only_coordinators_who_see_the_participant_may_export_or_erase(client, factories):
    _coordinator, participant, _trajectory = world(factories)
    outsider = factories.UserFactory(role="coordinator")
    login_as(client, outsider)
    assert client.get(f"/deelnemers/{participant.id}/inzage").status_code == 404
    assert client.get(f"/deelnemers/{participant.id}/anonimiseren").status_code == 404
    involved_partner = factories.UserFactory(role="partner", organisation=_coordinator.organisation)
    login_as(client, involved_partner)
    assert client.get(f"/deelnemers/{participant.id}/inzage").status_code == 403


def test_no_column_name_or_content_looks_like_a_bsn(session, factories):
    from crm.demo import seed

    seed(employers=30, echo=lambda *_: None)
    names = [f"{t.name}.{c.name}" for t in Base.metadata.tables.values() for c in t.columns]
    assert not [n for n in names if "bsn" in n.lower() or "burgerservice" in n.lower()]
    found = []
    for table in Base.metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, String | Text):
                for value in db.session.scalars(select(column).where(column.is_not(None))):
                    if isinstance(value, str) and contains_bsn(value):
                        found.append((table.name, column.name, value))
    assert found == []


def test_bulk_handover_asks_for_a_recent_password(client, factories):
    login_as(client, factories.UserFactory(role="coordinator"))
    with client.session_transaction() as sess:
        sess["password_at"] = int(time.time()) - timedelta(minutes=20).seconds
    response = client.get("/werkgevers/overdracht")
    assert response.status_code == 302 and "/herbevestigen" in response.headers["Location"]


def test_role_changes_ask_for_a_recent_password(client, factories):
    target = factories.UserFactory()
    login_as(client, factories.UserFactory(role="admin"))
    with client.session_transaction() as sess:
        sess["password_at"] = int(time.time()) - 16 * 60
    response = client.get(f"/beheer/gebruikers/{target.id}")
    assert response.status_code == 302 and "/herbevestigen" in response.headers["Location"]


def test_participant_page_shows_when_it_will_be_anonymised(client, factories):
    coordinator, participant, _trajectory = world(factories)
    login_as(client, coordinator)
    html = client.get(f"/deelnemers/{participant.id}").get_data(as_text=True)
    assert "Wordt geanonimiseerd op 30 jun 2026" in html
    assert f"/deelnemers/{participant.id}/inzage" in html


# --- need-to-know in the access report and the erasure (issue 16, finding 4) ------------------


def referred_world(factories):
    """A coordinator who sees the participant through the referring organisation: one trajectory
    of theirs, one of another partnership they get 404 on."""
    gemeente = factories.OrganisationFactory(name="Gemeente Enschede", kind="gemeente")
    school = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    own = factories.PartnershipFactory(members=[gemeente])
    other = factories.PartnershipFactory(members=[school])
    coordinator = factories.UserFactory(role="coordinator", organisation=gemeente)
    participant = factories.ParticipantFactory(
        first_name="Fatima", last_name="El Amrani", referring_organisation=gemeente
    )
    hidden = factories.TrajectoryFactory(
        participant=participant, partnership=other, status="intake", qualification_name="Verzorgende IG"
    )
    factories.TrajectoryOrganisationFactory(trajectory=hidden, organisation=school, role="school")
    factories.TrajectoryStatusChangeFactory(
        trajectory=hidden, from_status="aangemeld", to_status="intake", reason="Verzuim door ziekte besproken"
    )
    factories.FollowUpFactory(trajectory=hidden, employer=None, subject="Gesprek met de schoolarts plannen")
    seen = factories.TrajectoryFactory(participant=participant, partnership=own, qualification_name="Kok")
    factories.TrajectoryOrganisationFactory(trajectory=seen, organisation=gemeente, role="gemeente")
    return coordinator, participant, hidden, seen


HIDDEN_TEXTS = ("Verzuim door ziekte", "schoolarts", "Verzorgende IG")


def test_access_report_leaves_out_what_the_requester_may_not_see_and_names_who_holds_it(client, factories):
    coordinator, participant, hidden, seen = referred_world(factories)
    login_as(client, coordinator)
    assert client.get(f"/trajecten/{hidden.id}").status_code == 404
    response = client.get(f"/deelnemers/{participant.id}/inzage?formaat=json")
    report = json.loads(response.data)
    assert [t["id"] for t in report["trajecten"]] == [seen.id]
    assert [text for text in HIDDEN_TEXTS if text in response.get_data(as_text=True)] == []
    assert report["andere_organisaties"] == ["ROC van Twente"]
    html = client.get(f"/deelnemers/{participant.id}/inzage").get_data(as_text=True)
    assert [text for text in HIDDEN_TEXTS if text in html] == []
    assert "Geef het verzoek door aan: ROC van Twente." in html
    assert "Kok" in html


def test_erasure_shows_only_what_the_requester_may_see_and_names_who_holds_more(client, factories):
    coordinator, participant, hidden, seen = referred_world(factories)
    login_as(client, coordinator)
    html = client.get(f"/deelnemers/{participant.id}/anonimiseren").get_data(as_text=True)
    assert f"Traject #{seen.id}" in html and f"Traject #{hidden.id}" not in html
    assert [text for text in HIDDEN_TEXTS if text in html] == []
    assert "niet kunt zien: ROC van Twente." in html
    token = csrf_token(client, f"/deelnemers/{participant.id}/anonimiseren")
    response = client.post(
        f"/deelnemers/{participant.id}/anonimiseren",
        data={"reason": "Verzoek per brief", "csrf_token": token},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Ook deze organisaties hebben trajecten van deze deelnemer: ROC van Twente." in html
    assert [text for text in HIDDEN_TEXTS if text in html] == []
