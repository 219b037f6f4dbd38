"""The leases of reminder deliveries: when a pending mail is queued again, and how a worker
that died is noticed within minutes (the sending protocol itself: ``crm.services.reminders``).

**Two leases** (``next_attempt_at`` of a pending row is its lease):

- *Queued* (``REMINDER_LEASE_SECONDS``, 10 minutes): once its send task is on the broker
  (``mark_queued``, after claiming or queuing again) a delivery's ``next_attempt_at`` is one
  queue lease ahead, so a delivery waiting in a long broker queue (nobody holds it yet) is
  queued again at most every 10 minutes, not every minute. Between the claim's commit and
  that moment it has the held lease: a worker killed in between (the scans run in workers
  too) leaves no row that no task carries for a whole queue lease.
- *Held* (``REMINDER_RUN_LEASE_SECONDS``, 60 s; ``renew_lease``): a live worker that holds a
  batch renews the lease of that batch's remaining rows every third of it, each time in a
  short transaction of its own: the send loop for the batch it runs (before the first
  message and then between messages), and a thread in the worker's main process for the
  batches it has fetched from the broker but not started yet (prefetched). A worker that
  dies (SIGKILL, power loss, out of memory) stops renewing: its rows fall due within one
  held lease, and the next resend scan (``claim_resendable``) queues them: a lost worker's
  mails go out again within about two minutes (held lease + scan interval), not after the
  queue lease. A live worker whose lease ran out anyway (one SMTP exchange longer than the
  held lease) causes no duplicate: a second send of the batch finds each row locked or sent
  and passes it by.

**The fetch journal: a hold that no database lock can delay.** Between the moment the
worker's main process takes a batch off the broker and the commit of that batch's first
renewal, its rows still carry the queue lease, and the broker does not give the message back
when the worker dies (kombu's SQLAlchemy transport marks a fetched message invisible for
good; Redis restores it only after an hour). On PostgreSQL that gap is one short UPDATE
(row locks; the renewal skips rows being sent). On SQLite the renewal needs the database
write lock, which a sending pool process holds during each SMTP exchange (its ``sent`` and
the server's reply are one transaction, see ``crm.services.reminders``), and the busy
handler's polling lets the senders take the lock back again and again: renewals waited
seconds, and a worker killed meanwhile left its freshly fetched batches to the 10-minute
queue lease (200 of 3,200 mails in 8 kills, ``bench/REMINDERS.md``).

Making that renewal win the lock sooner (the senders yielding to it, or doing it for the main
process) only shortens the gap to one SMTP exchange, which a slow or hung mail server makes
as long as its timeout. So the hold is not written to the database at fetch time at all:
the main process appends the batch's delivery ids to a file of its own, the *fetch journal*
(``FetchJournal``, in ``HOLDS_DIR``), straight from ``task_received`` in the consumer thread:
one ``write`` to a local file, which waits for no lock and no other process. The process
holds an exclusive ``flock`` on that file from the moment it exists until it dies; the
kernel drops the lock when the process is gone, however it ends (SIGKILL and out-of-memory
included). The resend scan (``orphaned_batches``) tries each journal's lock: a journal whose
lock it gets belongs to a dead worker, and the pending rows listed in it are queued again at
once, whatever their lease says; a live worker's journal is left alone. Once the lease
thread has committed a renewal for every batch in the journal, it empties the file: from then
on the held lease covers those rows, and a journal stays a few lines long (a row in it that
has meanwhile been tried and waits for its backoff is tried once early if the worker dies
before the journal is emptied: never lost, never doubled). A worker that stops normally leaves
its journal behind as well; the next scan removes it, queuing again whatever it still lists (a
send task twice at worst, which sends nothing twice). What remains between the broker's fetch
and the journal line is in-process work of the consumer thread (decoding the message, a log
line), with no waiting on anything; a kill in exactly that instant still leaves the batch to
the queue lease (never lost). Measured (``bench/REMINDERS.md``): no mail waited for the queue
lease in 32 kills on SQLite and 8 on PostgreSQL + Redis, against 50 and 150 in two runs of 8
kills on SQLite without the journal.

Why a file and not a table: every table of the embedded default is behind the one write lock
that causes the wait. Why ``flock`` and not a heartbeat: a heartbeat is again a write, and a
time limit; the kernel knows at once. Limits: the journal lives on the worker's own host
(``CRM_INSTANCE_DIR``): a scan on another host cannot see it, so on a multi-host PostgreSQL
installation a dead worker's journal is read by the next resend scan a worker on the same host
runs, and until then the held lease covers everything but the gap of one UPDATE, as before.
A power loss can lose the journal's last lines with the page cache (they are not synced):
those batches wait for the queue lease, as before; nothing is lost.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import socket
import threading
from collections.abc import Collection, Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

from flask import current_app
from sqlalchemy import Table, select, update

from config import INSTANCE_DIR
from crm.extensions import db
from crm.models import Delivery
from crm.models.base import utcnow

_DELIVERY = cast(Table, Delivery.__table__)  # a mapped class's __table__ is typed as any FromClause

# The workers' fetch journals: in the instance folder that the workers and scans of one host share.
HOLDS_DIR = INSTANCE_DIR / "reminder-holds"
JOURNAL_SUFFIX = ".held"


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def run_lease() -> timedelta:
    """How long a worker's hold on a batch lasts without renewal (``REMINDER_RUN_LEASE_SECONDS``)."""
    return timedelta(seconds=current_app.config["REMINDER_RUN_LEASE_SECONDS"])


def queue_lease() -> timedelta:
    """How long a delivery waits in the broker before it is queued again (``REMINDER_LEASE_SECONDS``)."""
    return timedelta(seconds=current_app.config["REMINDER_LEASE_SECONDS"])


# --- the leases in the database ----------------------------------------------------------


def claim_resendable(now: datetime | None = None, *, limit: int = 1000, orphaned: Collection[int] = ()) -> list[int]:
    """Pending deliveries whose time has come (a lost task message, a dead worker's batch, or
    a retry after backoff), and the pending ones among ``orphaned`` (fetched by a worker that
    died, ``orphaned_batches``: their lease may still say the queue lease): push them one held
    lease ahead and return their ids to be queued again (lapsed ones first)."""
    now = now or utcnow()
    due = (
        select(Delivery.id)
        .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    if _postgresql():  # a second scan passes them by (on SQLite the transaction holds the write lock)
        due = due.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(due))
    if orphaned:
        also = select(Delivery.id).where(Delivery.id.in_(sorted(orphaned)), Delivery.status == "pending")
        if _postgresql():  # a row being sent right now is passed by: its send records the outcome
            also = also.with_for_update(skip_locked=True)
        known = set(ids)
        ids += [
            delivery_id for delivery_id in db.session.scalars(also.order_by(Delivery.id)) if delivery_id not in known
        ]
    if ids:
        db.session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids))
            .values(next_attempt_at=now + run_lease())  # until queued: see ``mark_queued``
            .execution_options(synchronize_session=False)
        )
        db.session.flush()
    return ids


def mark_queued(delivery_ids: list[int], now: datetime) -> int:
    """The send tasks for these deliveries are on the broker: give them the queue lease.

    Claiming and resending commit their rows with the held lease (from ``now``), and the
    task queues them after the commit; a worker killed between the commit and the queuing
    would otherwise leave rows that no task carries waiting a whole queue lease. Only rows
    still as the claim left them are pushed on: a row a worker has fetched (and renewed)
    meanwhile keeps its held lease. Flushes; the caller commits."""
    if not delivery_ids:
        return 0
    columns = _DELIVERY.c
    result = db.session.execute(
        _DELIVERY.update()
        .where(columns.id.in_(delivery_ids), columns.status == "pending", columns.next_attempt_at == now + run_lease())
        .values(next_attempt_at=now + queue_lease())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def renew_lease(delivery_ids: Iterable[int], now: datetime | None = None) -> int:
    """A live worker holds these deliveries: push their ``next_attempt_at`` one held lease
    ahead (shorter than the queue lease: a dead worker's rows fall due soon). Only pending
    rows; on PostgreSQL a row another transaction has locked (being sent right now) is passed
    by rather than waited for. Flushes; the caller commits at once (a short transaction of
    its own). Returns the number of rows renewed."""
    delivery_ids = sorted(delivery_ids)
    if not delivery_ids:
        return 0
    now = now or utcnow()
    columns = _DELIVERY.c
    target = select(columns.id).where(columns.id.in_(delivery_ids), columns.status == "pending")
    if _postgresql():
        target = target.with_for_update(skip_locked=True)
    result = db.session.execute(
        _DELIVERY.update().where(columns.id.in_(target.scalar_subquery())).values(next_attempt_at=now + run_lease())
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- the fetch journal -------------------------------------------------------------------


class FetchJournal:
    """One worker main process's record of the send batches it fetched and has not yet seen
    renewed in the database (see the module docstring). Made in that process; a forked pool
    process closes its copy (``close``), so only the main process keeps the lock."""

    def __init__(self, directory: Path = HOLDS_DIR):
        directory.mkdir(parents=True, exist_ok=True)
        name = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
        temporary = directory / f".{name}.tmp"
        self.fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)  # until this process ends: the kernel then drops it
        self.path = directory / f"{name}{JOURNAL_SUFFIX}"
        os.rename(temporary, self.path)  # a scan only ever sees it locked
        self._lock = threading.Lock()  # the consumer thread records, the lease thread confirms
        self._unconfirmed: set[int] = set()

    def record(self, delivery_ids: Iterable[int]) -> None:
        """The consumer has just fetched a batch: one line, one ``write`` (no lock of another process)."""
        delivery_ids = list(delivery_ids)
        if not delivery_ids:
            return
        line = (" ".join(str(delivery_id) for delivery_id in delivery_ids) + "\n").encode()
        with self._lock:
            os.write(self.fd, line)
            self._unconfirmed.update(delivery_ids)

    def unconfirmed(self) -> set[int]:
        """The fetched deliveries not yet renewed by a committed transaction."""
        with self._lock:
            return set(self._unconfirmed)

    def confirm(self, delivery_ids: Iterable[int]) -> None:
        """A renewal of these deliveries has been committed: the held lease covers them now.
        When nothing fetched is left unconfirmed, the file is emptied."""
        with self._lock:
            self._unconfirmed.difference_update(delivery_ids)
            if not self._unconfirmed:
                os.ftruncate(self.fd, 0)

    def close(self) -> None:
        os.close(self.fd)


class OrphanedBatches:
    """The journals of dead workers, locked by this process while it queues their rows again."""

    def __init__(self) -> None:
        self.delivery_ids: set[int] = set()
        self._journals: list[tuple[Path, int]] = []

    def done(self) -> None:
        """Their rows are queued again (committed): the journals go."""
        for path, _fd in self._journals:
            path.unlink(missing_ok=True)

    def close(self) -> None:
        for _path, fd in self._journals:
            os.close(fd)
        self._journals.clear()


@contextlib.contextmanager
def orphaned_batches(directory: Path = HOLDS_DIR) -> Iterator[OrphanedBatches]:
    """The deliveries in the fetch journals of workers that died: a journal whose ``flock``
    this process gets has no living owner. The journals stay locked until the block ends and
    are removed only after ``done()`` (call it after the commit that queued their rows; a scan
    that fails leaves them to the next)."""
    orphans = OrphanedBatches()
    try:
        for path in sorted(directory.glob(f"*{JOURNAL_SUFFIX}")) if directory.is_dir() else []:
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:  # another scan has just removed it
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if os.fstat(fd).st_ino != os.stat(path).st_ino:
                    raise FileNotFoundError(path)  # removed and locked by another scan meanwhile
            except (BlockingIOError, FileNotFoundError):  # its worker lives (or it is gone)
                os.close(fd)
                continue
            orphans._journals.append((path, fd))
            orphans.delivery_ids.update(_journal_ids(fd))
        yield orphans
    finally:
        orphans.close()


def _journal_ids(fd: int) -> set[int]:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    text = b"".join(chunks).decode("ascii", errors="replace")
    complete = text[: text.rfind("\n") + 1]  # lines are written whole; a torn tail is ignored
    return {int(token) for token in complete.split() if token.isdigit()}
