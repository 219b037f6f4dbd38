"""Reminder e-mails that arrive exactly once, driven by rows in the database.

The protocol (what ``tasks/reminders.py`` runs; each step here flushes, the task commits):

1. **Claim** (beat, every minute: ``claim_follow_up_reminders``). In ONE transaction: select
   the open follow-ups that need a "due" or "overdue" mail, locked (PostgreSQL:
   ``FOR UPDATE SKIP LOCKED``, so a second scan passes them by; SQLite: the transaction holds
   the database write lock from ``BEGIN IMMEDIATE``), insert one ``Delivery`` per reminder with
   a unique key ``<kind>:<follow-up>:<due date>`` (``INSERT ... ON CONFLICT (key) DO NOTHING``:
   a key that exists already is passed over, never doubled) and mark the follow-ups claimed
   (``due_reminded_at`` / ``overdue_reminded_at``). The task commits, then queues the new
   delivery ids in send tasks of up to ``REMINDER_SEND_BATCH`` ids each. The digest and the
   partner-contact batch make their rows the same way (keys ``digest:<user>:<day>``,
   ``partner_contacts:<user>:<last notification>``).
2. **Send** (worker: ``prepare_batch``, then per delivery ``lock_pending`` + ``attempt``).
   The task reloads its batch of deliveries and renders their messages (one read
   transaction), then sends them one by one over one SMTP connection: for each, a
   transaction of its own locks the delivery row (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, a
   row another send holds is passed by; SQLite: the write lock), passes it by if it is no
   longer pending, writes ``sent`` on the row (not committed), hands the message to the SMTP
   server and, the moment the server has replied 250, commits; a refused message overwrites
   the ``sent`` in the same transaction before the commit. A refused address (``failed``) or
   a temporary refusal of one message (retried after its backoff) does not hold up the rest
   of the batch; a mail server that fails twice in a row does, and the batch's remaining rows
   are recorded as failed tries, to be retried after their backoff.
3. **Resend** (beat, every minute: ``reminder_leases.claim_resendable``). Deliveries still
   pending whose ``next_attempt_at`` has passed are queued again: a task message lost with a
   killed worker or a broker restart never loses a mail, and a temporary SMTP failure is
   retried after its backoff (``next_attempt_at``).

**Leases** (``next_attempt_at`` of a pending row): a delivery waiting in the broker has the
*queue lease* (10 minutes), one a live worker holds the *held lease* (60 s, renewed while it
holds it), and a dead worker's batches are queued again within about two minutes. How, and
how a batch fetched just before the worker died is not left to the queue lease:
``crm.services.reminder_leases``.

A worker killed mid-batch leaves the rows it sent ``sent`` (each was committed on its own)
and the rest pending: the resend sends only those. The one remaining window: the SMTP server
has accepted the message (replied 250) and the worker is killed before its COMMIT has
reached the database. The row is still pending and is sent again, with the same
deterministic Message-ID (``<followup-42-due-20261127@domain>``), so mail clients can drop
the copy: a duplicate, never a loss. The window is as small as SMTP allows: the ``sent`` is
written before DATA, so after the server's reply only the COMMIT remains (no round trip
before it is sent). Shrinking it further would need the SMTP server to take part in the
transaction. Marking the row "sending" in a committed write before DATA would only label the
ambiguous row (at the cost of a second commit per mail); a restarted worker would still have
to resend it, since dropping it loses the mail whenever the server did not accept it.
Measured duplicates per kill: ``bench/REMINDERS.md`` (kill benchmark). Exactly-once over
SMTP cannot be had for free: the alternative (commit first, then send) loses the mail in
the same window instead.

Mail goes to CRM users only (the follow-up's owner, the digest's user, the contactpersoon),
never to employer-side contacts or participants. ``User.notify_reminders`` off: the due,
overdue and partner-contact deliveries are recorded as ``skipped``; ``notify_digest`` off: no
digest row at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import cast

from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import Table, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from crm import permissions
from crm.extensions import db
from crm.i18n import force_locale
from crm.lib import mail
from crm.lib.clock import AMSTERDAM
from crm.lib.workdays import is_working_day
from crm.models import Delivery, FollowUp, Notification, User
from crm.models.base import utcnow
from crm.services import digest as digests
from crm.services.audit import audit
from crm.services.errors import ServiceError
from crm.services.notifications import safe_link
from crm.services.reminder_leases import run_lease

log = logging.getLogger(__name__)

PARTNER_CONTACT_KIND = "contact_logged_by_partner"
# Inserting rows in bulk and sending (one row at a time) use the table: plain SQL, no ORM objects.
_DELIVERY = cast(Table, Delivery.__table__)  # a mapped class's __table__ is typed as any FromClause


def _config(name: str):
    return current_app.config[name]


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def backoff(attempts: int) -> timedelta:
    """Wait before try ``attempts + 1``: base, 2x base, 4x base ... capped."""
    base, cap = _config("REMINDER_BACKOFF_SECONDS"), _config("REMINDER_BACKOFF_MAX_SECONDS")
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


# --- delivery rows -----------------------------------------------------------------------


def follow_up_key(kind: str, follow_up_id: int, due_date: date) -> str:
    return f"{kind}:{follow_up_id}:{due_date.isoformat()}"


def digest_key(user_id: int, day: date) -> str:
    return f"digest:{user_id}:{day.isoformat()}"


def partner_contacts_key(user_id: int, last_notification_id: int) -> str:
    return f"partner_contacts:{user_id}:{last_notification_id}"


def message_id_for(delivery: Delivery) -> str:
    """Deterministic per reminder: ``<followup-42-due-20261127@domain>``."""
    kind, _, rest = delivery.key.partition(":")
    first, _, second = rest.partition(":")
    if kind in ("due", "overdue"):
        local = f"followup-{first}-{kind}-{second.replace('-', '')}"
    elif kind == "digest":
        local = f"digest-{first}-{second.replace('-', '')}"
    else:
        local = f"partner-contacts-{first}-{second}"
    return mail.make_message_id(local)


def insert_deliveries(rows: list[dict], now: datetime) -> list[int]:
    """Insert delivery rows; a row whose key exists already is passed over (ON CONFLICT DO
    NOTHING: the unique key decides, also against a concurrent scan in another process).
    Returns the ids of the new rows that are pending (to be queued)."""
    if not rows:
        return []
    values = [
        {
            "status": "pending",
            "attempts": 0,
            "last_error": "",
            "message_id": "",
            "created_at": now,
            "next_attempt_at": now + run_lease(),  # until queued: see ``reminder_leases.mark_queued``
            "follow_up_id": None,
            **row,
        }
        for row in rows
    ]
    # One statement executed with a list of rows: SQLAlchemy sends it as multi-row INSERTs
    # ("insertmanyvalues", pages of up to 1000 rows, below the bound-parameter limits) from
    # ONE cached compilation; a VALUES list built in Python was compiled anew for every claim.
    insert = postgresql.insert if _dialect() == "postgresql" else sqlite.insert
    statement = (
        insert(_DELIVERY).on_conflict_do_nothing(index_elements=["key"]).returning(_DELIVERY.c.id, _DELIVERY.c.status)
    )
    new_ids = [row.id for row in db.session.execute(statement, values) if row.status == "pending"]
    return sorted(new_ids)


def _locked(query):
    """``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite the transaction already holds the lock."""
    return query.with_for_update(skip_locked=True) if _dialect() == "postgresql" else query


# --- 1. claiming due and overdue follow-ups ----------------------------------------------


@dataclass(frozen=True)
class Claim:
    claimed: int  # follow-ups claimed in this batch (a full batch: there may be more)
    delivery_ids: list[int]  # the new pending deliveries, to be queued after the commit


def claim_follow_up_reminders(now: datetime | None = None, *, limit: int | None = None) -> Claim:
    """Claim up to ``limit`` follow-ups that need a reminder now and create their deliveries.

    "due": open, due today (Amsterdam), from ``REMINDER_SEND_FROM_HOUR`` local time.
    "overdue": open, due before today but within ``REMINDER_CATCH_UP_DAYS`` (one mail when it
    becomes overdue, not one every day; an installation that was off for weeks does not send
    stale reminders: those follow-ups are in the digest). A follow-up moved to a new due date
    is a new occurrence: its claim is older than the new date, so it is claimed again.
    Flushes; the caller commits and then queues ``Claim.delivery_ids``.
    """
    now = now or utcnow()
    limit = limit or _config("REMINDER_CLAIM_BATCH")
    local = now.astimezone(AMSTERDAM)
    if local.hour < _config("REMINDER_SEND_FROM_HOUR"):
        return Claim(0, [])
    today = local.date()
    oldest = today - timedelta(days=_config("REMINDER_CATCH_UP_DAYS"))
    # A claim stamped before the due date belongs to an earlier occurrence (the follow-up was
    # moved). "Due" is today: a claim made since midnight in Amsterdam is this occurrence's (the
    # UTC date lags an hour or two behind; compared with it, a claim made just after midnight
    # would count as older, and the same rows would be claimed again and again). "Overdue" is
    # claimed on a later day than the due date: there SQLite compares the stored text
    # ('2026-11-26 06:00:00' < '2026-11-27'), PostgreSQL the timestamp with the date's midnight.
    start_of_today = datetime.combine(today, time(0), tzinfo=AMSTERDAM)
    needs_due = and_(
        FollowUp.due_date == today,
        or_(FollowUp.due_reminded_at.is_(None), FollowUp.due_reminded_at < start_of_today),
    )
    needs_overdue = and_(
        FollowUp.due_date < today,
        or_(FollowUp.overdue_reminded_at.is_(None), FollowUp.overdue_reminded_at < FollowUp.due_date),
    )
    query = (
        select(FollowUp.id, FollowUp.owner_id, FollowUp.due_date)
        .where(
            FollowUp.status == "open",
            FollowUp.due_date <= today,
            FollowUp.due_date >= oldest,
            or_(needs_due, needs_overdue),
        )
        .order_by(FollowUp.due_date, FollowUp.id)
        .limit(limit)
    )
    claimed = db.session.execute(_locked(query)).all()
    if not claimed:
        return Claim(0, [])
    owners = {
        user.id: user for user in db.session.scalars(select(User).where(User.id.in_({row.owner_id for row in claimed})))
    }
    rows: list[dict] = []
    due_ids: list[int] = []
    overdue_ids: list[int] = []
    for follow_up_id, owner_id, due_date in claimed:
        kind = "due" if due_date == today else "overdue"
        (due_ids if kind == "due" else overdue_ids).append(follow_up_id)
        owner = owners[owner_id]
        row = {
            "key": follow_up_key(kind, follow_up_id, due_date),
            "kind": kind,
            "user_id": owner_id,
            "follow_up_id": follow_up_id,
        }
        if not (owner.active and owner.notify_reminders):
            row |= {"status": "skipped", "last_error": _skip_reason(owner)}
        rows.append(row)
    new_ids = insert_deliveries(rows, now)
    if due_ids:
        db.session.execute(
            update(FollowUp)
            .where(FollowUp.id.in_(due_ids))
            .values(due_reminded_at=now)
            .execution_options(synchronize_session=False)
        )
    if overdue_ids:
        db.session.execute(
            update(FollowUp)
            .where(FollowUp.id.in_(overdue_ids))
            .values(overdue_reminded_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.flush()
    return Claim(len(claimed), new_ids)


def _skip_reason(user: User) -> str:
    if not user.active:
        return "Gebruiker is niet actief."
    return "Gebruiker heeft e-mailherinneringen uitgezet."


# --- the digest and the partner-contact batch --------------------------------------------


def create_digest_deliveries(day: date, now: datetime | None = None) -> list[int]:
    """One digest row per user with something to report, on working days only.
    Returns the new pending delivery ids (none on weekends and Dutch public holidays)."""
    if not is_working_day(day):
        return []
    rows = [
        {"key": digest_key(user_id, day), "kind": "digest", "user_id": user_id}
        for user_id in digests.candidate_user_ids(day)
    ]
    ids = insert_deliveries(rows, now or utcnow())
    db.session.flush()
    return ids


def create_partner_contact_deliveries(now: datetime | None = None) -> list[int]:
    """One mail per user listing the partner-contact notifications not mailed yet.

    The key ``partner_contacts:<user>:<last notification id>`` records how far the user has
    been mailed; the next batch starts after it. Ten contacts within a quarter of an hour
    make one mail. Users with reminders off get a skipped row (so switching mail on later does
    not send a backlog)."""
    now = now or utcnow()
    latest_delivery = (
        select(Delivery.user_id, func.max(Delivery.id).label("delivery_id"))
        .where(Delivery.kind == "partner_contacts")
        .group_by(Delivery.user_id)
        .subquery()
    )
    mailed_up_to = {
        user_id: int(key.rpartition(":")[2])
        for user_id, key in db.session.execute(
            select(Delivery.user_id, Delivery.key).join(latest_delivery, latest_delivery.c.delivery_id == Delivery.id)
        )
    }
    pending = db.session.execute(
        select(Notification.user_id, func.min(Notification.id), func.max(Notification.id))
        .where(Notification.kind == PARTNER_CONTACT_KIND, Notification.read_at.is_(None))
        .group_by(Notification.user_id)
    ).all()
    users_with_new = [row for row in pending if row[2] > mailed_up_to.get(row[0], 0)]
    if not users_with_new:
        return []
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_([r[0] for r in users_with_new])))}
    rows = []
    for user_id, _first, last in users_with_new:
        user = users[user_id]
        row = {"key": partner_contacts_key(user_id, last), "kind": "partner_contacts", "user_id": user_id}
        if not (user.active and user.notify_reminders):
            row |= {"status": "skipped", "last_error": _skip_reason(user)}
        rows.append(row)
    ids = insert_deliveries(rows, now)
    db.session.flush()
    return ids


# --- 2. sending --------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """What a send will do: a message to send, or a reason to skip."""

    delivery_id: int
    outgoing: mail.Outgoing | None = None
    skip_reason: str = ""
    user_id: int | None = None
    wire: mail.Wire | None = None  # the built message, made before the row is locked


def prepare_batch(delivery_ids: list[int]) -> list[Prepared]:
    """Reload a batch of deliveries and render their messages, in id order (no lock yet,
    nothing written: the caller may read in a read-only transaction). The deliveries, their
    follow-ups, owners and employers take three queries; deliveries gone or no longer pending
    are left out (nothing to do)."""
    deliveries = db.session.scalars(
        select(Delivery).where(Delivery.id.in_(delivery_ids), Delivery.status == "pending").order_by(Delivery.id)
    ).all()
    follow_up_ids = {d.follow_up_id for d in deliveries if d.kind in ("due", "overdue") and d.follow_up_id}
    follow_ups = {}
    if follow_up_ids:
        follow_ups = {
            follow_up.id: follow_up
            for follow_up in db.session.scalars(
                select(FollowUp)
                .where(FollowUp.id.in_(follow_up_ids))
                .options(joinedload(FollowUp.owner), joinedload(FollowUp.employer))
            ).unique()
        }
    prepared = []
    for delivery in deliveries:
        if delivery.kind in ("due", "overdue"):
            follow_up = follow_ups.get(delivery.follow_up_id) if delivery.follow_up_id is not None else None
            item = _prepare_follow_up(delivery, follow_up)
        else:
            user = db.session.get(User, delivery.user_id)
            assert user is not None, "user_id is a non-null foreign key (deleting the user deletes the delivery)"
            if delivery.kind == "digest":
                item = _prepare_digest(delivery, user)
            else:
                item = _prepare_partner_contacts(delivery, user)
        if item.outgoing is not None:
            item = replace(item, wire=mail.wire(mail.build(item.outgoing)))
        prepared.append(item)
    return prepared


def _opted_out(delivery: Delivery, user: User | None, *, digest: bool = False) -> str:
    if user is None or not user.active:
        return "Gebruiker is niet actief."
    if digest and not user.notify_digest:
        return "Gebruiker heeft het dagelijks overzicht uitgezet."
    if not digest and not user.notify_reminders:
        return "Gebruiker heeft e-mailherinneringen uitgezet."
    return ""


def _prepare_follow_up(delivery: Delivery, follow_up: FollowUp | None) -> Prepared:
    occurrence = delivery.key.rpartition(":")[2]
    if follow_up is None or follow_up.status != "open":
        return Prepared(delivery.id, skip_reason="De opvolgactie is afgerond.")
    if follow_up.due_date.isoformat() != occurrence:
        return Prepared(delivery.id, skip_reason="De opvolgactie is verzet naar een andere datum.")
    user = follow_up.owner  # the owner now: handed over since the claim, the new owner is told
    reason = _opted_out(delivery, user)
    if not reason and not permissions.can_view_follow_up(user, follow_up):
        # e.g. the owner's organisation is no longer involved in the trajectory
        reason = "De ontvanger mag deze opvolgactie niet meer zien."
    if reason:
        return Prepared(delivery.id, skip_reason=reason, user_id=user.id if user else None)
    with force_locale(user.locale or "nl"):
        if delivery.kind == "due":
            subject = _("Opvolgactie vandaag: %(subject)s", subject=follow_up.subject)
        else:
            subject = _("Opvolgactie verlopen: %(subject)s", subject=follow_up.subject)
        context = {
            "follow_up": follow_up,
            "kind": delivery.kind,
            "recipient": user,
            "link": mail.absolute_url(follow_up_path(follow_up)),
            "worklist_url": mail.absolute_url("/"),
            "profile_url": mail.absolute_url("/profiel"),
            "subject": subject,
        }
        outgoing = mail.Outgoing(
            to_name=user.name,
            to_address=user.email,
            subject=subject,
            text=render_template("mail/reminder.txt", **context),
            html=render_template("mail/reminder.html", **context),
            message_id=message_id_for(delivery),
        )
    return Prepared(delivery.id, outgoing=outgoing, user_id=user.id)


def follow_up_path(follow_up: FollowUp) -> str:
    if follow_up.employer_id:
        return f"/werkgevers/{follow_up.employer_id}"
    if follow_up.vacancy_id:
        return f"/vacatures/{follow_up.vacancy_id}"
    if follow_up.trajectory_id:
        return f"/trajecten/{follow_up.trajectory_id}"
    return "/"


def _prepare_digest(delivery: Delivery, user: User) -> Prepared:
    reason = _opted_out(delivery, user, digest=True)
    if reason:
        return Prepared(delivery.id, skip_reason=reason)
    day = date.fromisoformat(delivery.key.rpartition(":")[2])
    digest = digests.build_digest(user, day)
    if digest.is_empty:
        return Prepared(delivery.id, skip_reason="Niets te melden.")
    return Prepared(delivery.id, outgoing=digests.render(digest, message_id_for(delivery)), user_id=user.id)


def _prepare_partner_contacts(delivery: Delivery, user: User) -> Prepared:
    reason = _opted_out(delivery, user)
    if reason:
        return Prepared(delivery.id, skip_reason=reason)
    up_to = int(delivery.key.rpartition(":")[2])
    previous_key = db.session.scalar(
        select(Delivery.key)
        .where(Delivery.user_id == user.id, Delivery.kind == "partner_contacts", Delivery.id < delivery.id)
        .order_by(Delivery.id.desc())
        .limit(1)
    )
    after = int(previous_key.rpartition(":")[2]) if previous_key else 0
    notifications = list(
        db.session.scalars(
            select(Notification)
            .where(
                Notification.user_id == user.id,
                Notification.kind == PARTNER_CONTACT_KIND,
                Notification.read_at.is_(None),
                Notification.id > after,
                Notification.id <= up_to,
            )
            .order_by(Notification.id)
        )
    )
    if not notifications:
        return Prepared(delivery.id, skip_reason="De meldingen zijn al gelezen.")
    with force_locale(user.locale or "nl"):
        subject = (
            _("Een partner had contact met uw werkgever")
            if len(notifications) == 1
            else _("%(count)s contacten van partners met uw werkgevers", count=len(notifications))
        )
        items = [
            {"message": n.message, "link": mail.absolute_url(f"/meldingen/{n.id}") if safe_link(n.link) else ""}
            for n in notifications
        ]
        context = {
            "items": items,
            "recipient": user,
            "subject": subject,
            "notifications_url": mail.absolute_url("/meldingen"),
            "profile_url": mail.absolute_url("/profiel"),
        }
        outgoing = mail.Outgoing(
            to_name=user.name,
            to_address=user.email,
            subject=subject,
            text=render_template("mail/partner_contacts.txt", **context),
            html=render_template("mail/partner_contacts.html", **context),
            message_id=message_id_for(delivery),
        )
    return Prepared(delivery.id, outgoing=outgoing, user_id=user.id)


@dataclass(frozen=True)
class Locked:
    """A pending delivery row locked by this transaction: what ``attempt`` needs of it."""

    id: int
    key: str
    user_id: int
    attempts: int


def lock_pending(delivery_id: int) -> Locked | None:
    """Lock the delivery row for this transaction; None when it is no longer pending, or (on
    PostgreSQL) when another transaction holds its lock: a concurrent send of the same
    delivery is under way, and it records the outcome (``FOR UPDATE SKIP LOCKED``, so a batch
    never waits behind another). On SQLite the transaction holds the database write lock
    from its ``BEGIN IMMEDIATE``: a concurrent send waits, then finds the row sent."""
    columns = _DELIVERY.c
    query = select(columns.id, columns.key, columns.user_id, columns.attempts, columns.status).where(
        columns.id == delivery_id
    )
    if _dialect() == "postgresql":
        query = query.with_for_update(skip_locked=True)
    row = db.session.execute(query).one_or_none()
    if row is None or row.status != "pending":
        return None
    return Locked(row.id, row.key, row.user_id, row.attempts)


@dataclass(frozen=True)
class Outcome:
    """The new status of a delivery after ``attempt``; ``server_failure`` when the try failed
    because of the mail server or the connection (``TemporaryFailure.server``), not this message."""

    status: str
    server_failure: mail.TemporaryFailure | None = None


def attempt(
    delivery: Locked,
    prepared: Prepared,
    now: datetime | None = None,
    *,
    server_down: mail.TemporaryFailure | None = None,
) -> Outcome:
    """Send (or skip) the locked delivery and record the outcome on its row. The caller
    commits straight away: the row says ``sent`` in the transaction that held its lock while
    the server accepted the message (written before the message is offered; a refusal
    overwrites it before the commit).

    ``server_down``: the server failed the batch's previous tries; this message is not handed
    to it but recorded as a failed try with that error (backoff, counted towards the maximum),
    as a try of its own would have been."""
    now = now or utcnow()
    values: dict = {}
    if prepared.user_id is not None and prepared.user_id != delivery.user_id:
        values["user_id"] = prepared.user_id  # handed over since the claim: the new owner was told
    if prepared.outgoing is None:
        _record(delivery, values | {"status": "skipped", "last_error": prepared.skip_reason})
        return Outcome("skipped")
    attempts = delivery.attempts + 1
    message_id = prepared.outgoing.message_id
    values |= {"attempts": attempts, "message_id": message_id}
    server_failure = None
    if server_down is not None:
        server_failure = server_down
        values |= _temporary(delivery, attempts, message_id, server_down, now, tried=False)
    else:
        # "sent" is written before the server sees the message, so that once it has replied
        # 250 only the caller's COMMIT remains: the duplicate window (see the module docstring).
        _record(delivery, values | {"status": "sent", "sent_at": now, "last_error": ""})
        try:
            mail.deliver(prepared.wire or mail.wire(mail.build(prepared.outgoing)))
        except mail.PermanentFailure as error:
            values |= {"sent_at": None} | _fail(delivery, message_id, f"Geweigerd door de mailserver: {error}")
        except mail.TemporaryFailure as error:
            server_failure = error if error.server else None
            values |= {"status": "pending", "sent_at": None}
            values |= _temporary(delivery, attempts, message_id, error, now, tried=True)
        else:
            return Outcome("sent")  # the caller commits now
    _record(delivery, values)
    return Outcome(values.get("status", "pending"), server_failure)


def _record(delivery: Locked, values: dict) -> None:
    db.session.execute(_DELIVERY.update().where(_DELIVERY.c.id == delivery.id).values(**values))


def _temporary(
    delivery: Locked, attempts: int, message_id: str, error: mail.TemporaryFailure, now: datetime, *, tried: bool
) -> dict:
    """A failed try: give up after the maximum number of tries, else try again after the backoff."""
    if attempts >= _config("REMINDER_MAX_ATTEMPTS"):
        return _fail(delivery, message_id, f"Na {attempts} pogingen niet verzonden: {error}")
    retry_at = now + backoff(attempts)
    reason = (str(error) if tried else f"Niet aangeboden, de mailserver faalde: {error}")[:2000]
    log.warning(
        "Mail %s (delivery %s) not sent, attempt %s, retry at %s: %s",
        message_id,
        delivery.id,
        attempts,
        retry_at.isoformat(),
        reason,
    )
    return {"next_attempt_at": retry_at, "last_error": reason}


def _fail(delivery: Locked, message_id: str, reason: str) -> dict:
    """Given up for good: logged as an error and written to the audit log (``mail_failed``)."""
    log.error("Mail %s (delivery %s, %s) failed for good: %s", message_id, delivery.id, delivery.key, reason)
    audit(
        None, "mail_failed", object_type="delivery", object_id=delivery.id, summary=f"{delivery.key}: {reason}"[:1000]
    )
    return {"status": "failed", "last_error": reason[:2000]}


def failed_deliveries(actor: User, limit: int = 100) -> list[Delivery]:
    """Deliveries that failed for good, newest first, with their recipients (the admin's
    overview at /beheer/mail)."""
    permissions.require(permissions.can_manage_mail(actor))
    return list(
        db.session.scalars(
            select(Delivery)
            .where(Delivery.status == "failed")
            .options(joinedload(Delivery.recipient))
            .order_by(Delivery.id.desc())
            .limit(limit)
        )
    )


def retry_delivery(actor: User, delivery: Delivery) -> None:
    """Send a failed mail again: pending from now, with a fresh count of tries; the next scan
    (``REMINDER_SCAN_SECONDS``) queues it. A reminder about a follow-up that was done or
    moved in the meantime is skipped then, as always."""
    permissions.require(permissions.can_manage_mail(actor))
    if delivery.status != "failed":
        raise ServiceError(_("Deze e-mail is niet mislukt: er is niets opnieuw te versturen."))
    delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, utcnow()
    audit(actor, "mail_retry", object_type="delivery", object_id=delivery.id, summary=delivery.key)
    db.session.flush()
