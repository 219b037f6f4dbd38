"""Reminder e-mails: claiming, unique delivery rows, sending once, retries, failures,
the partner-contact batch and the automatic follow-up for quiet employers.

Unit tests: services called with an explicit ``now`` and the send task run inline (eager).
The real worker, broker and SMTP server are in tests/worker/.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from crm.extensions import db
from crm.lib import mail
from crm.lib.clock import AMSTERDAM
from crm.models import AuditEvent, Delivery, FollowUp
from crm.models.base import utcnow
from crm.services import quiet_employers, reminder_leases, reminders
from tasks import reminders as jobs
from tasks.celery_app import create_celery
from tests.conftest import csrf_token, login_as
from tests.worker.harness import SmtpSink

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=AMSTERDAM)  # a Thursday, 09:00 in Amsterdam
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def eager(app, session):
    create_celery(app)
    mail.memory_outbox().clear()
    yield
    mail.memory_outbox().clear()


def sent_messages():
    return list(mail.memory_outbox())


def send_all(ids):
    db.session.commit()  # the send task ends its read with a rollback: keep the test's data
    return [jobs.send_deliveries.run([delivery_id])[0] for delivery_id in ids]


def deliveries():
    return db.session.scalars(select(Delivery).order_by(Delivery.id)).all()


# --- claiming ---------------------------------------------------------------------------


def test_scan_claims_each_due_follow_up_once(factories):
    owner = factories.UserFactory(name="Anouk de Vries")
    due = [factories.FollowUpFactory(owner=owner, due_date=TODAY) for _ in range(3)]
    factories.FollowUpFactory(owner=owner, due_date=TODAY + timedelta(days=1))  # not yet
    done = factories.FollowUpFactory(owner=owner, due_date=TODAY)
    done.status, done.done_at = "afgerond", NOW
    db.session.flush()

    first = reminders.claim_follow_up_reminders(NOW)
    second = reminders.claim_follow_up_reminders(NOW + timedelta(minutes=1))

    assert first.claimed == 3 and len(first.delivery_ids) == 3
    assert second.claimed == 0 and second.delivery_ids == []
    rows = deliveries()
    assert sorted(row.key for row in rows) == sorted(f"due:{f.id}:{TODAY.isoformat()}" for f in due)
    assert {row.status for row in rows} == {"pending"}
    assert {row.user_id for row in rows} == {owner.id}
    for follow_up in due:
        db.session.refresh(follow_up)
        assert follow_up.due_reminded_at is not None


def test_claims_just_after_midnight_move_on_to_the_next_follow_ups(app, factories):
    """Between midnight in Amsterdam and midnight UTC the dates differ: a claim made then is
    today's, so the next scan claims the next follow-ups, not the same ones again."""
    send_from, app.config["REMINDER_SEND_FROM_HOUR"] = app.config["REMINDER_SEND_FROM_HOUR"], 0
    try:
        due = [factories.FollowUpFactory(due_date=TODAY) for _ in range(3)]
        night = datetime(2026, 11, 26, 0, 30, tzinfo=AMSTERDAM)  # 23:30 UTC on the 25th
        first = reminders.claim_follow_up_reminders(night, limit=2)
        second = reminders.claim_follow_up_reminders(night + timedelta(minutes=1), limit=2)
        third = reminders.claim_follow_up_reminders(night + timedelta(minutes=2), limit=2)
    finally:
        app.config["REMINDER_SEND_FROM_HOUR"] = send_from
    assert (first.claimed, second.claimed, third.claimed) == (2, 1, 0)
    assert sorted(row.follow_up_id for row in deliveries()) == sorted(f.id for f in due)


def test_nothing_is_claimed_before_seven_in_the_morning(factories):
    factories.FollowUpFactory(due_date=TODAY)
    early = datetime(2026, 11, 26, 6, 59, tzinfo=AMSTERDAM)
    assert reminders.claim_follow_up_reminders(early).claimed == 0
    assert reminders.claim_follow_up_reminders(early + timedelta(minutes=1)).claimed == 1


def test_overdue_the_day_after_once_more_and_then_no_more(factories):
    follow_up = factories.FollowUpFactory(due_date=TODAY)
    reminders.claim_follow_up_reminders(NOW)
    next_day = reminders.claim_follow_up_reminders(NOW + timedelta(days=1))
    day_after = reminders.claim_follow_up_reminders(NOW + timedelta(days=2))

    assert next_day.claimed == 1 and day_after.claimed == 0
    assert [row.key for row in deliveries()] == [
        f"due:{follow_up.id}:2026-11-26",
        f"overdue:{follow_up.id}:2026-11-26",
    ]


def test_long_overdue_follow_ups_are_left_to_the_digest(factories):
    factories.FollowUpFactory(due_date=TODAY - timedelta(days=30))
    assert reminders.claim_follow_up_reminders(NOW).claimed == 0


def test_a_moved_follow_up_is_reminded_again_on_its_new_date(factories):
    follow_up = factories.FollowUpFactory(due_date=TODAY)
    reminders.claim_follow_up_reminders(NOW)
    follow_up.due_date = TODAY + timedelta(days=3)
    db.session.flush()
    assert reminders.claim_follow_up_reminders(NOW + timedelta(days=1)).claimed == 0
    assert reminders.claim_follow_up_reminders(NOW + timedelta(days=3)).claimed == 1
    assert f"due:{follow_up.id}:2026-11-29" in {row.key for row in deliveries()}


def test_the_key_is_unique_a_second_row_is_refused(factories):
    follow_up = factories.FollowUpFactory(due_date=TODAY)
    row = {"key": f"due:{follow_up.id}:{TODAY}", "kind": "due", "user_id": follow_up.owner_id}
    assert len(reminders.insert_deliveries([row], NOW)) == 1
    assert reminders.insert_deliveries([row], NOW) == []  # passed over, not doubled
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Delivery(key=row["key"], kind="due", user_id=follow_up.owner_id))
        db.session.flush()
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 1


def test_a_claim_that_finds_its_key_taken_creates_nothing(factories):
    """Two scans that both selected the follow-up (no row locks on SQLite; a race on PostgreSQL
    that the lock did not catch): the second one's insert is passed over by the unique key."""
    follow_up = factories.FollowUpFactory(due_date=TODAY)
    reminders.claim_follow_up_reminders(NOW)
    follow_up.due_reminded_at = None  # pretend the second scan did not see the claim
    db.session.flush()
    again = reminders.claim_follow_up_reminders(NOW)
    assert again.claimed == 1 and again.delivery_ids == []
    assert len(deliveries()) == 1


def test_reminders_switched_off_are_recorded_as_skipped_and_not_sent(factories):
    quiet = factories.UserFactory(notify_reminders=False)
    factories.FollowUpFactory(owner=quiet, due_date=TODAY)
    claim = reminders.claim_follow_up_reminders(NOW)
    assert claim.claimed == 1 and claim.delivery_ids == []
    (row,) = deliveries()
    assert row.status == "skipped"
    assert "uitgezet" in row.last_error
    assert sent_messages() == []


def test_preference_switched_off_after_the_claim_is_respected_at_send(factories):
    owner = factories.UserFactory()
    factories.FollowUpFactory(owner=owner, due_date=TODAY)
    ids = reminders.claim_follow_up_reminders(NOW).delivery_ids
    owner.notify_reminders = False
    assert send_all(ids) == ["skipped"]
    assert sent_messages() == []


# --- sending ----------------------------------------------------------------------------


def test_due_mail_goes_to_the_owner_once_in_dutch_with_link_and_message_id(factories, app):
    owner = factories.UserFactory(name="Anouk de Vries", email="anouk@uwv.example")
    employer = factories.EmployerFactory(name="Metaalbewerking Hengelo B.V.")
    factories.EmployerPersonFactory(employer=employer, email="hr@metaal.example")  # never mailed
    follow_up = factories.FollowUpFactory(owner=owner, employer=employer, due_date=TODAY, subject="Intake BBL-plek")
    ids = reminders.claim_follow_up_reminders(NOW).delivery_ids

    assert send_all(ids) == ["sent"]
    assert send_all(ids) == ["done"]  # a second task for the same delivery sends nothing
    (message,) = sent_messages()
    assert message["To"] == "Anouk de Vries <anouk@uwv.example>"
    # MAIL_FROM is crm@localhost and BASE_URL an IP address: the fallback domain
    assert message["Message-ID"] == f"<followup-{follow_up.id}-due-20261126@werkgeverscrm.local>"
    assert message["Subject"] == "Opvolgactie vandaag: Intake BBL-plek"
    assert message["Auto-Submitted"] == "auto-generated"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = f"{app.config['BASE_URL']}/werkgevers/{employer.id}"
    assert "Beste Anouk de Vries," in text and link in text
    assert "Metaalbewerking Hengelo B.V." in text
    assert f'href="{link}"' in html
    (row,) = deliveries()
    assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None
    assert row.message_id == message["Message-ID"]


def test_html_part_is_escaped(factories):
    follow_up = factories.FollowUpFactory(due_date=TODAY, subject='Bel <script>alert("x")</script> & Co')
    send_all(reminders.claim_follow_up_reminders(NOW).delivery_ids)
    (message,) = sent_messages()
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html and "&amp; Co" in html
    assert follow_up.subject in message.get_body(("plain",)).get_content()


def test_the_message_id_is_the_same_for_every_try(factories):
    follow_up = factories.FollowUpFactory(due_date=TODAY - timedelta(days=1))
    (delivery_id,) = reminders.claim_follow_up_reminders(NOW).delivery_ids
    delivery = db.session.get(Delivery, delivery_id)
    assert reminders.message_id_for(delivery) == reminders.message_id_for(delivery)
    assert reminders.message_id_for(delivery).startswith(f"<followup-{follow_up.id}-overdue-20261125@")


def test_no_reminder_about_a_trajectory_the_owner_may_no_longer_see(factories):
    """The mail says what the follow-up is about: it goes out only while its owner may see it
    (here the owner's organisation was taken off the trajectory after the claim)."""
    owner = factories.UserFactory()
    trajectory = factories.TrajectoryFactory()
    involved = factories.TrajectoryOrganisationFactory(trajectory=trajectory, organisation=owner.organisation)
    factories.FollowUpFactory(
        owner=owner, employer=None, trajectory=trajectory, subject="Intake bespreken", due_date=TODAY
    )
    ids = reminders.claim_follow_up_reminders(NOW).delivery_ids
    assert len(ids) == 1
    db.session.delete(involved)
    assert send_all(ids) == ["skipped"]
    assert sent_messages() == []
    assert deliveries()[0].last_error == "De ontvanger mag deze opvolgactie niet meer zien."


def test_a_follow_up_done_before_the_send_is_skipped(factories):
    follow_up = factories.FollowUpFactory(due_date=TODAY)
    ids = reminders.claim_follow_up_reminders(NOW).delivery_ids
    follow_up.status, follow_up.done_at = "afgerond", NOW
    assert send_all(ids) == ["skipped"]
    assert sent_messages() == []
    assert deliveries()[0].last_error == "De opvolgactie is afgerond."


def test_temporary_failure_is_retried_after_backoff(factories, monkeypatch, app):
    factories.FollowUpFactory(due_date=TODAY)
    ids = reminders.claim_follow_up_reminders(NOW).delivery_ids
    real_deliver = mail.deliver

    def down(message):
        raise mail.TemporaryFailure("ConnectionRefusedError: [Errno 111] Connection refused")

    monkeypatch.setattr(mail, "deliver", down)
    assert send_all(ids) == ["pending"]
    (row,) = deliveries()
    assert row.attempts == 1 and "Connection refused" in row.last_error
    wait = row.next_attempt_at - datetime.now(AMSTERDAM)
    assert timedelta(seconds=app.config["REMINDER_BACKOFF_SECONDS"] - 5) < wait
    assert wait <= timedelta(seconds=app.config["REMINDER_BACKOFF_SECONDS"])
    assert reminder_leases.claim_resendable(row.next_attempt_at - timedelta(seconds=1)) == []

    monkeypatch.setattr(mail, "deliver", real_deliver)
    again = reminder_leases.claim_resendable(row.next_attempt_at)
    assert again == ids
    assert send_all(again) == ["sent"]
    assert len(sent_messages()) == 1
    assert deliveries()[0].attempts == 2


def test_backoff_doubles_and_is_capped(app):
    base, cap = app.config["REMINDER_BACKOFF_SECONDS"], app.config["REMINDER_BACKOFF_MAX_SECONDS"]
    assert [reminders.backoff(n).total_seconds() for n in (1, 2, 3)] == [base, 2 * base, 4 * base]
    assert reminders.backoff(30).total_seconds() == cap


def test_permanent_failure_is_reported_and_not_retried(factories, monkeypatch, caplog):
    owner = factories.UserFactory(email="vertrokken@gemeente.example")
    factories.FollowUpFactory(owner=owner, due_date=TODAY)
    ids = reminders.claim_follow_up_reminders(NOW).delivery_ids

    def refused(message):
        raise mail.PermanentFailure("vertrokken@gemeente.example: 550 5.1.1 User unknown")

    monkeypatch.setattr(mail, "deliver", refused)
    with caplog.at_level(logging.ERROR, logger="crm.services.reminders"):
        assert send_all(ids) == ["failed"]
    (row,) = deliveries()
    assert row.status == "failed" and "550 5.1.1 User unknown" in row.last_error
    assert any("failed for good" in record.message and "550" in record.message for record in caplog.records)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "mail_failed"))
    assert event.object_type == "delivery" and event.object_id == row.id
    assert reminder_leases.claim_resendable(datetime.now(AMSTERDAM) + timedelta(days=1)) == []


def test_the_admin_sees_failed_mail_and_sends_it_again(app, factories, smtp):
    """/beheer/mail lists what the mail server refused for good (who, what, why; not the
    message) and sends it again: pending at once, queued by the next scan, and this time
    delivered by the real SMTP server on loopback."""
    owner = factories.UserFactory(name="Ilse Vertrokken", email="vertrokken@gemeente.example")
    follow_up = factories.FollowUpFactory(owner=owner, due_date=TODAY, subject="Intake Fenna bespreken")
    ids = reminders.claim_follow_up_reminders(NOW).delivery_ids
    smtp.refuse["vertrokken@gemeente.example"] = "550 5.1.1 User unknown"
    assert send_all(ids) == ["failed"]
    admin = factories.UserFactory(role="admin")
    client = app.test_client()
    login_as(client, admin)
    html = client.get("/beheer/mail").get_data(as_text=True)
    assert "Ilse Vertrokken" in html and "550 5.1.1 User unknown" in html
    assert "Herinnering: opvolgactie vandaag" in html and "Intake Fenna" not in html
    token = csrf_token(client, "/beheer/mail")
    response = client.post(f"/beheer/mail/{ids[0]}/opnieuw", data={"csrf_token": token}, follow_redirects=True)
    assert "wordt binnen 60 seconden opnieuw verstuurd" in response.get_data(as_text=True)
    assert "Alle e-mail is bezorgd" in response.get_data(as_text=True)
    (row,) = deliveries()
    assert row.status == "pending" and row.attempts == 0
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "mail_retry")).object_id == row.id
    del smtp.refuse["vertrokken@gemeente.example"]  # the address was corrected at the other end
    assert reminder_leases.claim_resendable(utcnow()) == ids
    assert send_all(ids) == ["sent"]
    assert smtp.accepted == Counter({message_id(follow_up): 1})
    # only admins: everyone else is refused
    other = app.test_client()
    login_as(other, factories.UserFactory(role="coordinator"))
    assert other.get("/beheer/mail").status_code == 403


def test_gives_up_after_the_maximum_number_of_attempts(factories, monkeypatch, app):
    factories.FollowUpFactory(due_date=TODAY)
    ids = reminders.claim_follow_up_reminders(NOW).delivery_ids
    monkeypatch.setattr(mail, "deliver", lambda m: (_ for _ in ()).throw(mail.TemporaryFailure("421 busy")))
    statuses = []
    for _ in range(app.config["REMINDER_MAX_ATTEMPTS"]):
        statuses += send_all(ids)
    assert statuses[-1] == "failed" and set(statuses[:-1]) == {"pending"}
    row = deliveries()[0]
    assert row.attempts == app.config["REMINDER_MAX_ATTEMPTS"] and "421 busy" in row.last_error
    assert send_all(ids) == ["done"]


def test_scan_task_claims_commits_and_sends(factories, monkeypatch):
    """The beat's task end to end (eager): the rows exist before the mails are queued."""
    monkeypatch.setattr(reminders, "utcnow", lambda: NOW)
    factories.FollowUpFactory(due_date=TODAY)
    factories.FollowUpFactory(due_date=TODAY)
    db.session.commit()
    assert jobs.scan_reminders() == 2
    assert jobs.scan_reminders() == 0
    assert len(sent_messages()) == 2
    assert {row.status for row in deliveries()} == {"sent"}


def test_resend_queues_a_pending_delivery_whose_task_was_lost(factories, app):
    factories.FollowUpFactory(due_date=TODAY)
    (delivery_id,) = reminders.claim_follow_up_reminders(NOW).delivery_ids
    assert reminder_leases.mark_queued([delivery_id], NOW) == 1  # its send task is on the broker
    # The send task was never run (lost with a killed worker). Within the lease: left alone.
    assert reminder_leases.claim_resendable(NOW + timedelta(minutes=5)) == []
    later = NOW + timedelta(minutes=11)
    assert reminder_leases.claim_resendable(later) == [delivery_id]
    assert reminder_leases.mark_queued([delivery_id], later) == 1
    assert reminder_leases.claim_resendable(later + timedelta(minutes=5)) == []  # one lease ahead: not queued twice
    send_all([delivery_id])
    assert len(sent_messages()) == 1


def test_a_claim_whose_task_never_reached_the_broker_is_queued_after_the_held_lease(factories, app):
    """The scan commits its rows, then queues them: a worker killed in between leaves rows no
    task carries. Until queued they have the held lease, not the queue lease."""
    factories.FollowUpFactory(due_date=TODAY)
    (delivery_id,) = reminders.claim_follow_up_reminders(NOW).delivery_ids
    db.session.commit()  # ...and the worker dies before queuing
    held = timedelta(seconds=app.config["REMINDER_RUN_LEASE_SECONDS"])
    assert reminder_leases.claim_resendable(NOW + held - timedelta(seconds=1)) == []
    assert reminder_leases.claim_resendable(NOW + held) == [delivery_id]
    send_all([delivery_id])
    assert len(sent_messages()) == 1


def test_a_dead_workers_batch_is_queued_again_after_the_held_lease_not_the_queue_lease(factories, app):
    """Rows as a worker killed mid-batch leaves them: the first two sent (each committed on its
    own), the rest pending under the held lease its last renewal gave them. The next resend scan
    after that lease queues the rest (about two minutes: held lease + scan interval), while a
    batch still waiting in the broker keeps its queue lease and is not queued every minute."""
    for _ in range(5):
        factories.FollowUpFactory(due_date=TODAY)
    ids = reminders.claim_follow_up_reminders(NOW).delivery_ids
    reminder_leases.mark_queued(ids, NOW)  # queued as two send tasks
    held, waiting = ids[:3], ids[3:]  # two batches: one a worker runs, one still in the broker
    started = NOW + timedelta(minutes=3)
    assert reminder_leases.renew_lease(held, started) == 3  # the worker takes its batch
    db.session.commit()
    assert send_all(held[:2]) == ["sent", "sent"]  # ...sends two, and dies
    run_lease = timedelta(seconds=app.config["REMINDER_RUN_LEASE_SECONDS"])
    assert run_lease <= timedelta(minutes=1)

    assert reminder_leases.claim_resendable(started + run_lease - timedelta(seconds=1)) == []  # still held
    assert reminder_leases.claim_resendable(started + run_lease) == [held[2]]  # the dead worker's mail
    reminder_leases.mark_queued([held[2]], started + run_lease)
    assert reminder_leases.claim_resendable(started + run_lease + timedelta(minutes=1)) == []  # queued once
    assert reminder_leases.claim_resendable(NOW + timedelta(minutes=10)) == waiting  # the queue lease
    assert send_all([held[2], *waiting]) == ["sent"] * 3
    assert len(sent_messages()) == 5  # every mail once: none lost, none twice
    assert {row.status for row in deliveries()} == {"sent"}


def test_renewing_the_lease_leaves_rows_that_are_no_longer_pending_alone(factories):
    for _ in range(3):
        factories.FollowUpFactory(due_date=TODAY)
    ids = reminders.claim_follow_up_reminders(NOW).delivery_ids
    db.session.commit()
    send_all(ids[:1])
    later = NOW + timedelta(minutes=30)
    assert reminder_leases.renew_lease(ids, later) == 2
    db.session.commit()
    rows = {row.id: row for row in deliveries()}
    assert rows[ids[0]].status == "sent"
    assert rows[ids[1]].next_attempt_at == rows[ids[2]].next_attempt_at > later


def test_a_kill_between_the_servers_250_and_the_commit_resends_the_same_message_id(factories, monkeypatch, app):
    """The one window left: the mail server accepted the message, the worker dies before its
    COMMIT (simulated: the commit fails). The row stays pending, and is sent again once its
    lease has passed: a duplicate with the same Message-ID, never a loss."""
    factories.FollowUpFactory(due_date=TODAY)
    (delivery_id,) = reminders.claim_follow_up_reminders(NOW).delivery_ids
    db.session.commit()
    real_commit = db.session.commit
    calls = {"n": 0}

    def dies_at_the_commit_after_data():
        calls["n"] += 1
        if calls["n"] == 2 and mail.memory_outbox():  # the first commit renews the lease
            raise SystemExit("killed")
        real_commit()

    monkeypatch.setattr(db.session, "commit", dies_at_the_commit_after_data)
    with pytest.raises(SystemExit):
        jobs.send_deliveries.run([delivery_id])
    monkeypatch.setattr(db.session, "commit", real_commit)
    db.session.rollback()
    row = db.session.get(Delivery, delivery_id)
    assert row.status == "pending" and row.sent_at is None  # the "sent" written before DATA is gone
    assert len(sent_messages()) == 1

    assert reminder_leases.claim_resendable(utcnow() + timedelta(seconds=app.config["REMINDER_RUN_LEASE_SECONDS"])) == [
        delivery_id
    ]
    assert send_all([delivery_id]) == ["sent"]
    first, second = sent_messages()
    assert first["Message-ID"] == second["Message-ID"]  # a mail client shows one


# --- send batches over a real SMTP server ------------------------------------------------


@pytest.fixture
def smtp(app):
    """aiosmtpd on loopback, counting accepted messages by Message-ID (tests/worker/harness.py)."""
    sink = SmtpSink().start()
    saved = {key: app.config[key] for key in ("SMTP_HOST", "SMTP_PORT", "MAIL_OUTBOX_DIR")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port, MAIL_OUTBOX_DIR=None)
    try:
        yield sink.handler
    finally:
        mail.discard_connection()
        sink.stop()
        app.config.update(saved)


def claimed_batch(factories, emails: list[str]) -> tuple[list[FollowUp], list[int]]:
    """One follow-up due today per address, claimed and committed; the delivery ids in order."""
    follow_ups = [factories.FollowUpFactory(owner=factories.UserFactory(email=e), due_date=TODAY) for e in emails]
    ids = reminders.claim_follow_up_reminders(NOW).delivery_ids
    db.session.commit()
    assert len(ids) == len(emails)
    return follow_ups, ids


def message_id(follow_up: FollowUp) -> str:
    return f"<followup-{follow_up.id}-due-20261126@werkgeverscrm.local>"


def test_a_batch_goes_over_one_connection_and_a_refused_address_does_not_hold_it_up(factories, smtp, caplog):
    emails = [f"am{n}@gemeente.example" for n in range(6)]
    emails[2] = "vertrokken@gemeente.example"
    smtp.refuse["vertrokken@gemeente.example"] = "550 5.1.1 User unknown"
    follow_ups, ids = claimed_batch(factories, emails)

    with caplog.at_level(logging.ERROR, logger="crm.services.reminders"):
        assert jobs.send_deliveries(ids) == ["sent", "sent", "failed", "sent", "sent", "sent"]

    delivered = [f for f in follow_ups if f.owner.email != "vertrokken@gemeente.example"]
    assert smtp.accepted == Counter({message_id(f): 1 for f in delivered})
    assert len(smtp.sessions) == 1  # one connection for the batch, also after the refusal
    assert smtp.rcpt_refused == Counter({"vertrokken@gemeente.example": 1})
    refused = db.session.get(Delivery, ids[2])
    assert refused.status == "failed" and "550 5.1.1 User unknown" in refused.last_error
    # logged by delivery id: the address is personal data and stays out of the log
    (logged,) = [r.getMessage() for r in caplog.records if "failed for good" in r.getMessage()]
    assert f"(delivery {ids[2]}," in logged and "vertrokken" not in logged
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "mail_failed"))
    assert (event.object_type, event.object_id) == ("delivery", ids[2])
    # reported, not retried: nothing to queue again, and the batch run again sends nothing
    assert reminder_leases.claim_resendable(NOW + timedelta(days=1)) == []
    assert jobs.send_deliveries(ids) == ["done"] * 6
    assert smtp.total() == 5 and smtp.rcpt_refused["vertrokken@gemeente.example"] == 1


def test_a_temporary_refusal_in_a_batch_is_retried_alone(factories, smtp):
    emails = [f"am{n}@gemeente.example" for n in range(4)]
    emails[1] = "vol@gemeente.example"
    smtp.refuse["vol@gemeente.example"] = "452 4.2.2 Mailbox full"
    follow_ups, ids = claimed_batch(factories, emails)

    assert jobs.send_deliveries(ids) == ["sent", "pending", "sent", "sent"]
    waiting = db.session.get(Delivery, ids[1])
    assert waiting.attempts == 1 and "452 4.2.2 Mailbox full" in waiting.last_error
    assert waiting.next_attempt_at > datetime.now(AMSTERDAM)
    assert len(smtp.sessions) == 1

    smtp.refuse.clear()
    again = reminder_leases.claim_resendable(waiting.next_attempt_at)
    assert again == [ids[1]]  # only the one not sent
    db.session.commit()
    assert jobs.send_deliveries(again) == ["sent"]
    assert smtp.accepted == Counter({message_id(f): 1 for f in follow_ups})
    assert {row.status for row in deliveries()} == {"sent"}


def test_a_server_failing_twice_in_a_row_is_not_offered_the_rest_of_the_batch(factories, smtp):
    emails = [f"am{n}@gemeente.example" for n in range(5)]
    for address in emails[2:4]:  # the server hangs up ("closing channel") on these two
        smtp.refuse[address] = "421 4.3.2 Service shutting down"
    follow_ups, ids = claimed_batch(factories, emails)

    assert jobs.send_deliveries(ids) == ["sent", "sent", "pending", "pending", "pending"]
    assert smtp.accepted == Counter({message_id(f): 1 for f in follow_ups[:2]})
    assert sum(smtp.rcpt_refused.values()) == 2  # the fifth was not offered
    rows = {row.id: row for row in deliveries()}
    assert [rows[i].attempts for i in ids] == [1, 1, 1, 1, 1]
    assert "421" in rows[ids[2]].last_error and "421" in rows[ids[3]].last_error
    assert rows[ids[4]].last_error.startswith("Niet aangeboden") and "421" in rows[ids[4]].last_error

    smtp.refuse.clear()  # the server is back: the resend queues the three not sent, and only those
    again = reminder_leases.claim_resendable(max(rows[i].next_attempt_at for i in ids[2:]))
    assert again == ids[2:]
    db.session.commit()
    assert jobs.send_deliveries(again) == ["sent", "sent", "sent"]
    assert smtp.accepted == Counter({message_id(f): 1 for f in follow_ups})
    assert {row.status for row in deliveries()} == {"sent"}


def test_a_temporary_refusal_keeps_its_backoff_while_the_batch_renews_its_lease(factories, smtp, app, monkeypatch):
    """The send loop renews the held lease of the rows it has not tried yet, never of a row that
    waits for its backoff (renewing every message here: a held lease of 3 s, renewed each 1 s,
    and a clock that moves a second per renewal)."""
    monkeypatch.setitem(app.config, "REMINDER_RUN_LEASE_SECONDS", 3)
    ticks = iter(range(0, 1000, 2))
    monkeypatch.setattr(jobs.time, "monotonic", lambda: float(next(ticks)))
    emails = [f"am{n}@gemeente.example" for n in range(4)]
    emails[0] = "vol@gemeente.example"
    smtp.refuse["vol@gemeente.example"] = "452 4.2.2 Mailbox full"
    follow_ups, ids = claimed_batch(factories, emails)

    before = utcnow()
    assert jobs.send_deliveries(ids) == ["pending", "sent", "sent", "sent"]
    waiting = db.session.get(Delivery, ids[0])
    assert waiting.next_attempt_at >= before + reminders.backoff(1)  # not cut short by a renewal
    assert smtp.accepted == Counter({message_id(f): 1 for f in follow_ups[1:]})


def test_the_scan_queues_send_tasks_of_the_configured_batch_size(factories, monkeypatch, app, tmp_path):
    """Through a real (SQLite) broker: what lands in the queue is one task per batch."""
    import base64
    import json
    import sqlite3
    import warnings

    from celery import Celery

    from tasks.celery_app import _transport_options

    monkeypatch.setitem(app.config, "REMINDER_SEND_BATCH", 2)
    monkeypatch.setattr(reminders, "utcnow", lambda: NOW)
    for _ in range(5):
        factories.FollowUpFactory(due_date=TODAY)
    db.session.commit()
    url = f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    broker = Celery("batch-test", broker=url, set_as_current=False)
    broker.conf.update(broker_transport_options=_transport_options(url), task_default_queue="q")
    broker.set_current()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*noload.*", category=DeprecationWarning)
            assert jobs.scan_reminders() == 5
    finally:
        create_celery(app)  # the test app's (eager) Celery is the default again
        broker.close()
    connection = sqlite3.connect(tmp_path / "broker.sqlite")
    payloads = [json.loads(row[0]) for row in connection.execute("SELECT payload FROM kombu_message ORDER BY id")]
    connection.close()
    assert {p["headers"]["task"] for p in payloads} == {"tasks.reminders.send_deliveries"}
    batches = [json.loads(base64.b64decode(p["body"]))[0][0] for p in payloads]
    ids = sorted(row.id for row in deliveries())
    assert batches == [ids[0:2], ids[2:4], ids[4:]]
    assert sent_messages() == []  # queued, not run


# --- partner contacts, batched ----------------------------------------------------------


def test_ten_partner_contacts_make_one_mail(factories):
    contactpersoon = factories.UserFactory(name="Sanne Jansen")
    for n in range(10):
        factories.NotificationFactory(
            user_id=contactpersoon.id, message=f"Partner {n} had contact met Bakkerij", link="/werkgevers/1"
        )
    read = factories.NotificationFactory(user_id=contactpersoon.id, message="Al gelezen")
    read.read_at = NOW
    factories.NotificationFactory(user_id=contactpersoon.id, kind="follow_up_assigned", message="Andere soort")

    ids = reminders.create_partner_contact_deliveries(NOW)
    assert len(ids) == 1
    assert reminders.create_partner_contact_deliveries(NOW) == []  # nothing new: no second mail
    send_all(ids)
    (message,) = sent_messages()
    text = message.get_body(("plain",)).get_content()
    assert message["Subject"] == "10 contacten van partners met uw werkgevers"
    assert all(f"Partner {n} had contact met Bakkerij" in text for n in range(10))
    assert "Al gelezen" not in text and "Andere soort" not in text

    newer = factories.NotificationFactory(user_id=contactpersoon.id, message="Partner 11 belde")
    ids = reminders.create_partner_contact_deliveries(NOW + timedelta(minutes=15))
    assert [row.key for row in deliveries()][-1] == f"partner_contacts:{contactpersoon.id}:{newer.id}"
    send_all(ids)
    assert len(sent_messages()) == 2
    second = sent_messages()[1].get_body(("plain",)).get_content()
    assert "Partner 11 belde" in second and "Partner 3 " not in second


def test_partner_contact_mail_respects_the_preference(factories):
    quiet = factories.UserFactory(notify_reminders=False)
    factories.NotificationFactory(user_id=quiet.id)
    assert reminders.create_partner_contact_deliveries(NOW) == []
    (row,) = deliveries()
    assert row.status == "skipped" and row.kind == "partner_contacts"
    assert reminders.create_partner_contact_deliveries(NOW) == []  # the skipped row counts as mailed


# --- quiet employers ----------------------------------------------------------------------


def test_quiet_employer_gets_one_automatic_follow_up_per_quiet_spell(factories):
    now = NOW
    quiet = factories.EmployerFactory(name="Textiel Nijverdal", last_contact_at=now - timedelta(days=91))
    recent = factories.EmployerFactory(last_contact_at=now - timedelta(days=30))  # spoken to recently
    factories.EmployerFactory(status="inactief", last_contact_at=now - timedelta(days=400))

    (created,) = quiet_employers.create_quiet_employer_follow_ups(now)
    assert created.employer_id == quiet.id and created.automatic and created.owner_id == quiet.contactpersoon_id
    assert created.due_date == TODAY and "90 dagen" in created.subject
    assert quiet_employers.create_quiet_employer_follow_ups(now + timedelta(days=1)) == []  # open: not again

    created.status, created.done_at = "afgerond", now + timedelta(days=2)
    db.session.flush()
    assert quiet_employers.create_quiet_employer_follow_ups(now + timedelta(days=3)) == []  # still the same spell

    quiet.last_contact_at = now + timedelta(days=4)  # someone called; then it goes quiet again
    db.session.flush()
    assert quiet_employers.create_quiet_employer_follow_ups(now + timedelta(days=50)) == []
    again = quiet_employers.create_quiet_employer_follow_ups(now + timedelta(days=95))
    assert sorted(f.employer_id for f in again) == [quiet.id, recent.id]  # recent: 125 days quiet by then
    automatic = select(func.count()).select_from(FollowUp).where(FollowUp.automatic, FollowUp.employer_id == quiet.id)
    assert db.session.scalar(automatic) == 2


# --- wiring -------------------------------------------------------------------------------


def test_beat_schedule_runs_registered_tasks_in_amsterdam_time(app):
    celery = create_celery(app)
    celery.loader.import_default_modules()
    schedule = celery.conf.beat_schedule
    assert celery.conf.timezone == "Europe/Amsterdam"
    assert {entry["task"] for entry in schedule.values()} <= set(celery.tasks)
    digest = schedule["daily-digest"]["schedule"]
    assert digest.hour == {7} and digest.minute == {30} and digest.day_of_week == {1, 2, 3, 4, 5}
    assert schedule["scan-reminders"]["schedule"].total_seconds() == app.config["REMINDER_SCAN_SECONDS"]
    assert schedule["partner-contacts"]["schedule"].minute == {0, 15, 30, 45}


def test_consumed_messages_of_the_sqlite_broker_are_purged(app, tmp_path):
    import sqlite3
    import warnings

    from celery import Celery

    from tasks.celery_app import _transport_options
    from tasks.housekeeping import purge_consumed_broker_messages

    url = f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    broker = Celery("broker-test", broker=url, set_as_current=False)
    broker.conf.broker_transport_options = _transport_options(url)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*noload.*", category=DeprecationWarning)
        for n in range(3):
            broker.send_task("tasks.housekeeping.purge_read_notifications", args=(), queue="q", task_id=str(n))
    connection = sqlite3.connect(tmp_path / "broker.sqlite")
    connection.execute("UPDATE kombu_message SET visible = 0, timestamp = '2026-01-01 00:00:00' WHERE id = 1")
    connection.commit()
    broker.set_current()
    try:
        assert purge_consumed_broker_messages.run() == 1
    finally:
        create_celery(app)  # the test app's (eager) Celery is the default again
    assert connection.execute("SELECT count(*) FROM kombu_message").fetchone() == (2,)
    connection.close()
    broker.close()
