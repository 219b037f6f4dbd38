"""Reminder jobs: claim, send and resend reminder e-mails; the digest; the partner-contact batch;
the nightly automatic follow-ups for quiet employers.

Tasks take ids (or an ISO date), reload state and are safe to run twice; the rules and the
exactly-once protocol are in ``crm.services.reminders`` (read its docstring). Tasks only draw
the transaction lines: commit the rows first, queue the send tasks after (a send task carries
a batch of up to ``REMINDER_SEND_BATCH`` delivery ids and commits each row on its own).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import date, datetime

from celery import current_app as current_celery
from celery import shared_task
from celery.signals import task_received, worker_process_init, worker_ready
from flask import current_app

from crm.database import begin_read_only
from crm.extensions import db
from crm.lib import mail
from crm.lib.clock import today
from crm.services import quiet_employers, reminder_leases, reminders

log = logging.getLogger(__name__)

# After this many failures of the mail server in a row (not of one message), a send batch stops
# offering its messages: the server is down, and each further try would fail (or time out) too.
SERVER_FAILURES_TO_STOP = 2
MAX_BATCHES = 200  # per scan run (of REMINDER_CLAIM_BATCH each); the next run goes on where this stopped


def enqueue(delivery_ids: list[int], claimed_at: datetime | None = None) -> int:
    """Queue send tasks of up to ``REMINDER_SEND_BATCH`` delivery ids each, over one broker
    connection; then give the rows claimed at ``claimed_at`` the queue lease
    (``reminder_leases.mark_queued``). Returns the number of deliveries queued."""
    if not delivery_ids:
        return 0
    _publish(delivery_ids)
    if claimed_at is not None:
        reminder_leases.mark_queued(delivery_ids, claimed_at)
        db.session.commit()
    return len(delivery_ids)


def _publish(delivery_ids: list[int]) -> None:
    size = max(1, current_app.config["REMINDER_SEND_BATCH"])
    batches = [delivery_ids[start : start + size] for start in range(0, len(delivery_ids), size)]
    if current_celery.conf.task_always_eager:  # unit tests: run inline
        for batch in batches:
            send_deliveries.apply_async((batch,))
        return
    with current_celery.producer_or_acquire() as producer:
        for batch in batches:
            send_deliveries.apply_async((batch,), producer=producer)


@shared_task
def scan_reminders() -> int:
    """Every minute: claim follow-ups that fell due or overdue and queue their mails."""
    queued = 0
    for _ in range(MAX_BATCHES):
        now = reminders.utcnow()  # the services' clock (tests set it)
        claim = reminders.claim_follow_up_reminders(now)
        db.session.commit()
        queued += enqueue(claim.delivery_ids, now)
        if claim.claimed < current_app.config["REMINDER_CLAIM_BATCH"]:
            break
    return queued


@shared_task
def resend_pending() -> int:
    """Every minute: queue again what is pending and due (lost task messages, a dead worker's
    batches, retries after backoff), and what dead workers had fetched (their fetch journals)."""
    now = reminders.utcnow()  # the services' clock (tests set it)
    with reminder_leases.orphaned_batches() as orphans:
        delivery_ids = reminder_leases.claim_resendable(now, orphaned=orphans.delivery_ids)
        db.session.commit()
        orphans.done()
    return enqueue(delivery_ids, now)


class HeldLease:
    """The rows of the batch this process runs and has not tried yet; their held lease
    (``REMINDER_RUN_LEASE_SECONDS``) is renewed every third of it, each renewal in a short
    transaction of its own between two messages (see crm.services.reminder_leases)."""

    def __init__(self, delivery_ids: list[int]):
        self.remaining = set(delivery_ids)
        self.every = max(1.0, current_app.config["REMINDER_RUN_LEASE_SECONDS"] / 3)
        self.renewed_at = 0.0

    def renew(self) -> None:
        reminder_leases.renew_lease(self.remaining)
        db.session.commit()
        self.renewed_at = time.monotonic()

    def renew_if_due(self) -> None:
        if self.remaining and time.monotonic() - self.renewed_at >= self.every:
            self.renew()


@shared_task
def send_deliveries(delivery_ids: list[int]) -> list[str]:
    """Send a batch of deliveries over one SMTP connection, each at most once (see
    crm.services.reminders). Each row is locked, checked pending, sent and committed on its
    own: a worker killed mid-batch leaves the rows it sent ``sent`` and the others pending,
    and a second run of the batch sends only those. Returns the status per delivery id
    (``done``: nothing to do, it was no longer pending or another send held it).

    A refused address fails (permanently: ``failed``, reported) or waits for its retry
    (temporarily) on its own; the rest of the batch goes on over the same connection. When
    the mail server itself fails twice in a row (unreachable, hung up, 421), the batch's
    remaining messages are not offered to it but recorded as failed tries with that error:
    the resend scan queues them again after their backoff, and the ones sent stay sent."""
    lease = HeldLease(delivery_ids)
    lease.renew()  # held from now on: a held lease, renewed while the batch runs
    begin_read_only(db.session)  # SQLite: render the batch without holding the write lock
    prepared = reminders.prepare_batch(delivery_ids)
    db.session.rollback()  # nothing written: end the read before SMTP
    statuses = dict.fromkeys(delivery_ids, "done")
    if not prepared:
        return [statuses[delivery_id] for delivery_id in delivery_ids]
    server_failure, in_a_row = None, 0  # the mail server's last failure, and how many in a row
    for item in prepared:
        lease.renew_if_due()
        lease.remaining.discard(item.delivery_id)  # from here on its outcome sets its lease
        server_down = None
        if item.outgoing is not None:
            # Connect outside the row lock (a lock covers MAIL/RCPT/DATA only); after the
            # server failed twice in a row, stop offering it the batch's messages.
            server_down = server_failure if in_a_row >= SERVER_FAILURES_TO_STOP else mail.warm_up()
        delivery = reminders.lock_pending(item.delivery_id)
        if delivery is None:
            db.session.rollback()
            continue
        try:
            outcome = reminders.attempt(delivery, item, server_down=server_down)
            db.session.commit()  # at once: the server accepted, the row says sent
        except BaseException:
            db.session.rollback()
            raise
        statuses[item.delivery_id] = outcome.status
        if outcome.server_failure is not None:
            server_failure, in_a_row = outcome.server_failure, in_a_row + 1
        elif item.outgoing is not None:  # the server answered (accepted, or refused this message)
            server_failure, in_a_row = None, 0
    return [statuses[delivery_id] for delivery_id in delivery_ids]


@shared_task
def send_digests(day: str | None = None) -> int:
    """Working days at 07:30: the daily digest. ``day`` (ISO date) defaults to today in Amsterdam;
    on weekends and Dutch public holidays nothing is made."""
    now = reminders.utcnow()  # the services' clock (tests set it)
    delivery_ids = reminders.create_digest_deliveries(date.fromisoformat(day) if day else today(), now)
    db.session.commit()
    return enqueue(delivery_ids, now)


@shared_task
def send_partner_contacts() -> int:
    """Every 15 minutes: one mail per user for the partner contacts not mailed yet."""
    now = reminders.utcnow()  # the services' clock (tests set it)
    delivery_ids = reminders.create_partner_contact_deliveries(now)
    db.session.commit()
    return enqueue(delivery_ids, now)


@shared_task
def follow_up_quiet_employers() -> int:
    """Nightly: an automatic follow-up for quiet employers (no contact for CRM_QUIET_EMPLOYER_DAYS
    days, crm.services.quiet_employers), once per quiet spell."""
    created = quiet_employers.create_quiet_employer_follow_ups()
    db.session.commit()
    return len(created)


# --- the held lease of prefetched batches ---------------------------------------------------

# The worker's main process: its fetch journal (made on first use: the lease thread's first round
# at worker start) and the event that wakes the lease thread when a batch has been fetched.
_journal: reminder_leases.FetchJournal | None = None
_journal_made = threading.Lock()
_batch_received = threading.Event()


def _fetch_journal() -> reminder_leases.FetchJournal | None:
    """This process's fetch journal, made on first use; None (logged) when the instance folder
    cannot hold it: the held lease in the database still works, without the journal's cover."""
    global _journal
    with _journal_made:
        if _journal is None:
            try:
                _journal = reminder_leases.FetchJournal()
            except OSError:
                log.exception("Cannot keep a fetch journal in %s", reminder_leases.HOLDS_DIR)
        return _journal


def _prefetched_delivery_ids() -> list[int]:
    """The delivery ids of the send batches this worker has fetched from the broker and not
    started yet (celery's worker state, kept in the main process)."""
    from celery.worker import state

    for _ in range(10):  # the consumer changes these sets while we copy them: try again
        try:
            reserved, active = list(state.reserved_requests), set(state.active_requests)
            break
        except RuntimeError:
            time.sleep(0.01)
    else:
        return []
    ids: list[int] = []
    for request in reserved:
        if request not in active and request.name == send_deliveries.name:
            ids.extend(_batch_ids(request.args))
    return ids


def _batch_ids(args) -> list[int]:
    if args and isinstance(args[0], list):
        return [int(delivery_id) for delivery_id in args[0]]
    return []


@shared_task
def renew_prefetched_leases() -> float:
    """Called (never queued) by the lease thread of a worker's main process: renew the held
    lease of the batches this worker has fetched but not started, so that they fall due soon
    after the worker dies and not a queue lease later; the ones the fetch journal lists as not
    renewed yet included. Once committed, the journal forgets them (the held lease covers
    them). Returns the seconds to the next renewal."""
    journal = _fetch_journal()
    fetched = journal.unconfirmed() if journal else set()
    reminder_leases.renew_lease(fetched.union(_prefetched_delivery_ids()))
    db.session.commit()
    if journal:
        journal.confirm(fetched)
    return max(1.0, current_app.config["REMINDER_RUN_LEASE_SECONDS"] / 3)


def _renew_prefetched_while_alive() -> None:
    while True:
        _batch_received.clear()  # before reading what is reserved: a later batch wakes us again
        try:
            every = renew_prefetched_leases()
        except Exception:  # e.g. SQLite busy past its timeout: try again in a second (the journal holds them)
            log.exception("Renewing the lease of prefetched reminder batches failed")
            every = 1.0
        _batch_received.wait(every)


@worker_ready.connect
def _start_lease_thread(**_kwargs) -> None:
    """In the worker's main process (the one that fetches from the broker): renew the held
    lease of prefetched batches for as long as the process lives; it dies with it. A batch just
    fetched is renewed at once (``task_received``), not at the next round."""
    threading.Thread(target=_renew_prefetched_while_alive, name="reminder-lease", daemon=True).start()


@task_received.connect
def _record_fetched_batch(request=None, **_kwargs) -> None:
    """The consumer has fetched a send batch: write it to the fetch journal before anything
    else (a local file: no database lock to wait for; see crm.services.reminder_leases), then
    wake the lease thread to renew it in the database."""
    if request is not None and request.name == send_deliveries.name:
        journal = _fetch_journal()
        if journal is not None:
            journal.record(_batch_ids(request.args))
        _batch_received.set()


@worker_process_init.connect
def _close_inherited_journal(**_kwargs) -> None:
    """A pool process forked after the first fetch inherits the journal's descriptor: close it,
    so that the journal's lock is the main process's alone (and lapses when that one dies)."""
    global _journal
    if _journal is not None:
        _journal.close()
        _journal = None
