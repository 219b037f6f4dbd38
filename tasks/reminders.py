"""Reminder jobs: claim, send and resend reminder e-mails; the digest; the partner-contact batch;
the nightly automatic follow-ups for quiet employers.

Tasks take ids (or an ISO date), reload state and are safe to run twice; the rules and the
exactly-once protocol are in ``crm.services.reminders`` (read its docstring). Tasks only draw
the transaction lines: commit the rows first, queue the send tasks after.
"""

from __future__ import annotations

from datetime import date

from celery import current_app as current_celery
from celery import shared_task
from flask import current_app

from crm.extensions import db
from crm.services import mail, reminders
from crm.services.clock import today

MAX_BATCHES = 200  # per scan run (of REMINDER_CLAIM_BATCH each); the next run goes on where this stopped


def enqueue(delivery_ids: list[int]) -> int:
    """Queue one send task per delivery id, over one broker connection."""
    if not delivery_ids:
        return 0
    if current_celery.conf.task_always_eager:  # unit tests: run inline
        for delivery_id in delivery_ids:
            send_delivery.apply_async((delivery_id,))
        return len(delivery_ids)
    with current_celery.producer_or_acquire() as producer:
        for delivery_id in delivery_ids:
            send_delivery.apply_async((delivery_id,), producer=producer)
    return len(delivery_ids)


@shared_task
def scan_reminders() -> int:
    """Every minute: claim follow-ups that fell due or overdue and queue their mails."""
    queued = 0
    for _ in range(MAX_BATCHES):
        claim = reminders.claim_follow_up_reminders()
        db.session.commit()
        queued += enqueue(claim.delivery_ids)
        if claim.claimed < current_app.config["REMINDER_CLAIM_BATCH"]:
            break
    return queued


@shared_task
def resend_pending() -> int:
    """Every minute: queue again what is pending and due (lost task messages, retries after backoff)."""
    delivery_ids = reminders.claim_resendable()
    db.session.commit()
    return enqueue(delivery_ids)


@shared_task
def send_delivery(delivery_id: int) -> str:
    """Send one delivery, at most once per row (see crm.services.reminders)."""
    prepared = reminders.prepare(delivery_id)
    db.session.rollback()  # nothing written: end the read (SQLite: free the write lock) before SMTP
    if prepared is None:
        return "done"
    mail.warm_up()  # connect outside the lock; the lock covers MAIL/RCPT/DATA only
    delivery = reminders.lock_pending(delivery_id)
    if delivery is None:
        db.session.rollback()
        return "done"
    try:
        status = reminders.attempt(delivery, prepared)
        db.session.commit()  # at once: the server accepted, the row says sent
    except BaseException:
        db.session.rollback()
        raise
    return status


@shared_task
def send_digests(day: str | None = None) -> int:
    """Working days at 07:30: the daily digest. ``day`` (ISO date) defaults to today in Amsterdam;
    on weekends and Dutch public holidays nothing is made."""
    delivery_ids = reminders.create_digest_deliveries(date.fromisoformat(day) if day else today())
    db.session.commit()
    return enqueue(delivery_ids)


@shared_task
def send_partner_contacts() -> int:
    """Every 15 minutes: one mail per user for the partner contacts not mailed yet."""
    delivery_ids = reminders.create_partner_contact_deliveries()
    db.session.commit()
    return enqueue(delivery_ids)


@shared_task
def follow_up_quiet_employers() -> int:
    """Nightly: an automatic follow-up for employers without contact for 90 days (once per spell)."""
    created = reminders.create_quiet_employer_follow_ups()
    db.session.commit()
    return len(created)
