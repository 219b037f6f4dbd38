"""No personal data in the logs: a representative run of the app (the demo partnership; the
pages people use, with searches; a contact logged, and one refused because it holds a BSN;
reminders sent over the real send path to a real SMTP server on loopback, one refused with
a reply that quotes the address) with every CRM, task and Celery logger at DEBUG, written
in both formats. The output must not contain a single name, e-mail address, phone number,
note or contact text, or BSN of the demo data.
"""

from __future__ import annotations

import io
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.demo import seed
from crm.extensions import db
from crm.lib import mail
from crm.lib.clock import today
from crm.models import Contact, Employer, EmployerPerson, FollowUp, Participant, User
from crm.models.base import utcnow
from crm.observability import logs
from crm.services import reminders
from tasks import reminders as jobs
from tasks.celery_app import create_celery
from tests.conftest import csrf_token, login_as
from tests.worker.harness import SmtpSink

BSN = "111222333"  # passes the elfproef
LOGGERS = ("crm", "tasks", "config", "celery", "flask.app", "werkzeug", "kombu", "alembic")


@pytest.fixture
def captured(app):
    """Every log line of the CRM's own loggers and Celery's at DEBUG, in both formats."""
    logs._install_record_factory()
    stream = io.StringIO()
    handlers = []
    for formatter in (logs.JsonFormatter(), logs.TextFormatter()):
        handler = logging.StreamHandler(stream)
        handler.setLevel(logging.DEBUG)
        handler.setFormatter(formatter)
        handlers.append(handler)
    saved = {}
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved[name] = logger.level
        logger.setLevel(logging.DEBUG)
        for handler in handlers:
            logger.addHandler(handler)
    try:
        yield stream
    finally:
        for name in LOGGERS:
            logger = logging.getLogger(name)
            logger.setLevel(saved[name])
            for handler in handlers:
                logger.removeHandler(handler)


@pytest.fixture
def smtp(app):
    sink = SmtpSink().start()
    saved = {key: app.config[key] for key in ("SMTP_HOST", "SMTP_PORT", "MAIL_OUTBOX_DIR", "REMINDER_SEND_FROM_HOUR")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port, MAIL_OUTBOX_DIR=None, REMINDER_SEND_FROM_HOUR=0)
    try:
        yield sink.handler
    finally:
        mail.discard_connection()
        sink.stop()
        app.config.update(saved)


def personal_data() -> set[str]:
    """What the demo holds about people, and the free texts, as they could appear in a line."""
    values: set[str] = {BSN}
    for user in db.session.scalars(select(User)):
        values |= {user.name, user.email, user.phone}
    for person in db.session.scalars(select(EmployerPerson)):
        values |= {person.name, person.email, person.phone}
    for participant in db.session.scalars(select(Participant)):
        values |= {f"{participant.first_name} {participant.last_name}", participant.email, participant.phone}
    for employer in db.session.scalars(select(Employer)):
        values |= {employer.email, employer.phone, employer.notes}
    for contact in db.session.scalars(select(Contact)):
        values |= {contact.summary, contact.outcome}
    for follow_up in db.session.scalars(select(FollowUp)):
        values.add(follow_up.subject)
    return {value for value in values if value and len(value) >= 6}


def test_a_demo_run_logs_no_personal_data(app, session, captured, smtp):
    create_celery(app)
    seed(employers=30, echo=lambda _line: None)
    db.session.commit()
    manager = db.session.scalar(select(User).where(User.email.like("accountmanager@%")))
    admin = db.session.scalar(select(User).where(User.email.like("admin@%")))
    employer = db.session.scalar(select(Employer).where(Employer.contactpersoon_id == manager.id).limit(1))
    participant = db.session.scalar(select(Participant).limit(1))
    person = db.session.scalar(select(EmployerPerson).limit(1))

    client = app.test_client()
    login_as(client, manager)
    pages = [
        "/",
        "/werkgevers",
        f"/werkgevers?q={employer.name.split()[0]}",
        f"/werkgevers?q={person.name}",
        f"/werkgevers/{employer.id}",
        "/vacatures",
        "/trajecten",
        "/deelnemers",
        f"/deelnemers?q={participant.last_name}",
        "/pijplijn",
        "/meldingen",
        "/profiel",
        "/bestaat-niet",
    ]
    for page in pages:
        assert client.get(page).status_code < 500, page

    # A contact with a follow-up for today, and one refused for holding a BSN.
    token = csrf_token(client, f"/werkgevers/{employer.id}/contactmoment")
    form = {
        "csrf_token": token,
        "occurred_at": (utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "channel": "telefoon",
        "employer_contact_id": "0",
        "vacancy_id": "0",
        "visibility": "gedeeld",
        "summary": "Gesprek met Wilhelmina Oosterbroek-Tankink over twee leerwerkplekken",
        "outcome": "Wilhelmina belt terug op 06-12345678",
        "follow_up_due": today().isoformat(),
        "follow_up_subject": "Terugbellen Wilhelmina Oosterbroek-Tankink",
        "follow_up_owner_id": str(manager.id),
    }
    assert client.post(f"/werkgevers/{employer.id}/contactmoment", data=form).status_code == 302
    refused = {**form, "summary": f"Kandidaat met BSN {BSN} besproken", "follow_up_due": ""}
    assert client.post(f"/werkgevers/{employer.id}/contactmoment", data=refused).status_code == 200

    admin_client = app.test_client()
    login_as(admin_client, admin)
    for page in ("/beheer/gebruikers", "/beheer/mail", "/logboek"):
        assert admin_client.get(page).status_code < 500, page

    # Reminders over the real send path; the manager's address is refused, quoting it.
    smtp.refuse[manager.email] = f"550 5.1.1 <{manager.email}>: Recipient address rejected: User unknown"
    claimed = reminders.claim_follow_up_reminders().delivery_ids
    db.session.commit()
    assert claimed, "the demo has follow-ups due today"
    jobs.enqueue(claimed)
    assert smtp.rcpt_refused[manager.email] >= 1
    assert smtp.total() >= 1, "no reminder reached the mail server"

    output = captured.getvalue()
    assert "Task tasks.reminders.send_deliveries" in output or "send_deliveries" in output or "Mail " in output
    assert "failed for good" in output, "the refused reminder was not logged: the scan sees nothing"
    found = sorted(value for value in personal_data() | {manager.email, "Wilhelmina", "06-12345678"} if value in output)
    assert found == [], f"personal data in the log: {found[:10]}"
