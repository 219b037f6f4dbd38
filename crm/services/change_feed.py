"""The change feed: what changed since a cursor, in order, only what the reader may see.

A partner system keeps its copy in step by reading ``changes(actor, since=cursor)`` again and
again with the cursor of the previous page, instead of polling every list. Each change names
a record (kind and id), what happened (``created``, ``updated``, ``deleted``) and when; the
reader fetches the record itself through the API, where the same rules apply again.

Where it comes from: the audit trail. Every write of a record a partner syncs is audited by its
service (``crm.services.audit``), so the trail is already the ordered list of changes; the feed
is a view of it, not a second log to keep in step. Events that change nothing (views, exports,
sign-ins) are not changes; a merged-away employer and an erased (anonymised) participant are
``deleted``, with their id only.

Order without gaps or repeats: the cursor is the position ``(txid, id)`` of the last event read
(``crm.models.audit``). On PostgreSQL an event is served only when every transaction that could
still write one before it has finished (its ``txid`` is below the oldest running transaction),
so a page never passes over an event that commits late; a long transaction anywhere on the
server delays the feed, it never loses a change. The reader's own transaction counts as
finished for its own events (a request that both writes and reads the feed sees its own
changes). SQLite has one writer at a time: there ``id`` alone is commit order.

Who sees what: each kind's SQL twin in ``crm.permissions``, applied per page in one query per
kind (no query per event). Events the reader may not see are passed over, and the cursor moves
past them, so a page can hold fewer than ``limit`` changes while more follow. A deletion of a
shared record (employers and their people) is told to every reader; a need-to-know record
(participant) is checked as it is now, anonymised.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import BigInteger, ColumnElement, Text, cast, func, or_, select, tuple_

from crm import permissions
from crm.extensions import db
from crm.models import AuditEvent, User
from crm.services.errors import ServiceError

# The feed's kinds and the audit trail's ``object_type`` for each (the table name).
KIND_TYPES: dict[str, str] = {
    "employer": "employer",
    "person": "employer_contact",
    "contact": "contact",
    "follow_up": "follow_up",
    "vacancy": "vacancy",
    "participant": "participant",
    "trajectory": "trajectory",
}
TYPE_KINDS = {object_type: kind for kind, object_type in KIND_TYPES.items()}
# Casework: only for readers who asked for it (the API's ``trajectories:read`` scope).
CASEWORK_KINDS = ("participant", "trajectory")
SHARED_KINDS = ("employer", "person", "vacancy")

# The audit actions that change a record, and what the feed calls them.
ACTIONS: dict[str, str] = {
    "create": "created",
    "imported": "created",  # one per imported employer (the import's own "import" line has no id)
    "update": "updated",
    "status": "updated",
    "transition": "updated",
    "handover": "updated",
    "merge": "updated",  # the employer kept; the one merged away is "deleted" (below)
    "delete": "deleted",
    "anonymise": "deleted",
}

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
# Events read per round (twice the page, within these bounds), and rounds per page: a reader
# who may see little of the trail still gets an answer in bounded time, with a cursor further on.
MIN_BATCH, MAX_BATCH = 100, 500
MAX_ROUNDS = 10

CURSOR = re.compile(r"(\d{1,19})-(\d{1,19})")
START = (0, 0)


@dataclass(frozen=True)
class Change:
    kind: str
    id: int
    action: str
    at: datetime
    cursor: str


@dataclass(frozen=True)
class FeedPage:
    changes: list[Change]
    cursor: str  # where the next page starts (``since``); the same cursor when nothing is new
    has_more: bool  # more events already wait: read on at once rather than after a pause


def format_cursor(position: tuple[int, int]) -> str:
    return f"{position[0]}-{position[1]}"


def parse_cursor(value: str | None) -> tuple[int, int]:
    """A cursor from an earlier page, or the start for none. Anything else is refused."""
    if value is None or value == "":
        return START
    match = CURSOR.fullmatch(value.strip())
    if match is None:
        raise ServiceError(_("Ongeldige cursor: gebruik de cursor uit het vorige antwoord."))
    txid, event_id = int(match[1]), int(match[2])
    if txid >= 2**63 or event_id >= 2**63:
        raise ServiceError(_("Ongeldige cursor: gebruik de cursor uit het vorige antwoord."))
    return txid, event_id


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _settled() -> ColumnElement[bool]:
    """PostgreSQL: events of transactions that can no longer be overtaken (see the docstring)."""
    horizon = cast(cast(func.pg_snapshot_xmin(func.pg_current_snapshot()), Text), BigInteger)
    own = cast(cast(func.pg_current_xact_id_if_assigned(), Text), BigInteger)
    return or_(AuditEvent.txid < horizon, AuditEvent.txid == own)


def _action(event_action: str, changes: dict | None) -> str:
    if event_action == "merge" and changes and "merged_into_id" in changes:
        return "deleted"
    return ACTIONS[event_action]


def _visible_ids(actor: User, kind: str, ids: set[int]) -> set[int]:
    model = permissions.KINDS[KIND_TYPES[kind]].model
    found: set[int] = set()
    ordered = sorted(ids)
    for start in range(0, len(ordered), 1000):
        chunk = ordered[start : start + 1000]
        found.update(
            db.session.scalars(select(model.id).where(model.id.in_(chunk), permissions.visible_clause(actor, model)))
        )
    return found


def changes(
    actor: User,
    *,
    since: str | None = None,
    limit: int = DEFAULT_LIMIT,
    kinds: Iterable[str] | None = None,
) -> FeedPage:
    """The changes after ``since`` that ``actor`` may see, oldest first, at most ``limit``.

    ``kinds`` narrows the feed (default: every kind except casework, which a caller names
    explicitly). An inactive user sees nothing."""
    position = parse_cursor(since)
    limit = max(1, min(limit, MAX_LIMIT))
    wanted = tuple(kinds) if kinds is not None else tuple(k for k in KIND_TYPES if k not in CASEWORK_KINDS)
    unknown = [kind for kind in wanted if kind not in KIND_TYPES]
    if unknown:
        raise ServiceError(_("Onbekende soort: %(kinds)s", kinds=", ".join(unknown)))
    if not actor.active or not wanted:
        return FeedPage([], format_cursor(position), False)

    postgres = _postgres()
    order = (AuditEvent.txid, AuditEvent.id) if postgres else (AuditEvent.id,)
    base = select(
        AuditEvent.txid,
        AuditEvent.id,
        AuditEvent.object_type,
        AuditEvent.object_id,
        AuditEvent.action,
        AuditEvent.occurred_at,
        AuditEvent.changes,
    ).where(
        AuditEvent.object_type.in_([KIND_TYPES[kind] for kind in wanted]),
        AuditEvent.action.in_(ACTIONS),
        AuditEvent.object_id.is_not(None),
    )
    if postgres:
        base = base.where(_settled())

    batch = max(MIN_BATCH, min(MAX_BATCH, 2 * limit))
    found: list[Change] = []
    more = True
    for _round in range(MAX_ROUNDS):
        after = tuple_(AuditEvent.txid, AuditEvent.id) > tuple_(*position) if postgres else AuditEvent.id > position[1]
        rows = db.session.execute(base.where(after).order_by(*order).limit(batch)).all()
        kinds_ids: dict[str, set[int]] = defaultdict(set)
        for row in rows:
            kinds_ids[TYPE_KINDS[row.object_type]].add(row.object_id)
        visible = {kind: _visible_ids(actor, kind, ids) for kind, ids in kinds_ids.items()}
        full = False
        for row in rows:
            kind = TYPE_KINDS[row.object_type]
            action = _action(row.action, row.changes)
            here = (row.txid if postgres else 0, row.id)
            if row.object_id in visible[kind] or (action == "deleted" and kind in SHARED_KINDS):
                if len(found) == limit:
                    full = True
                    break
                found.append(Change(kind, row.object_id, action, row.occurred_at, format_cursor(here)))
            position = here
        more = full or len(rows) == batch
        if full or not more:
            break
    return FeedPage(found, format_cursor(position), more)


def head_cursor() -> str:
    """The cursor of the newest settled event: a new partner system that copies the lists
    first starts the feed here, so it does not replay the whole history."""
    postgres = _postgres()
    query = select(AuditEvent.txid, AuditEvent.id)
    if postgres:
        query = query.where(_settled()).order_by(AuditEvent.txid.desc(), AuditEvent.id.desc())
    else:
        query = query.order_by(AuditEvent.id.desc())
    row = db.session.execute(query.limit(1)).first()
    if row is None:
        return format_cursor(START)
    return format_cursor((row.txid if postgres else 0, row.id))


__all__ = ["ACTIONS", "CASEWORK_KINDS", "KIND_TYPES", "Change", "FeedPage", "changes", "head_cursor", "parse_cursor"]
