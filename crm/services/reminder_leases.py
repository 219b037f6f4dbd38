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
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import cast

from flask import current_app
from sqlalchemy import Table, select, update

from crm.extensions import db
from crm.models import Delivery
from crm.models.base import utcnow

_DELIVERY = cast(Table, Delivery.__table__)  # a mapped class's __table__ is typed as any FromClause


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def run_lease() -> timedelta:
    """How long a worker's hold on a batch lasts without renewal (``REMINDER_RUN_LEASE_SECONDS``)."""
    return timedelta(seconds=current_app.config["REMINDER_RUN_LEASE_SECONDS"])


def queue_lease() -> timedelta:
    """How long a delivery waits in the broker before it is queued again (``REMINDER_LEASE_SECONDS``)."""
    return timedelta(seconds=current_app.config["REMINDER_LEASE_SECONDS"])


# --- the leases in the database ----------------------------------------------------------


def claim_resendable(now: datetime | None = None, *, limit: int = 1000) -> list[int]:
    """Pending deliveries whose time has come (a lost task message, or a retry after backoff):
    push them one lease ahead and return their ids to be queued again."""
    now = now or utcnow()
    query = (
        select(Delivery.id)
        .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    if _postgresql():  # a second scan passes them by (on SQLite the transaction holds the write lock)
        query = query.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(query))
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
