"""Optimistic locking over HTTP: the ETag is the record's ``version``; a change needs If-Match.

Without If-Match: 428. With a stale one: 412, and the body lists what changed since (who,
when, which fields: the audit events ``crm.services.versions.changes_since`` finds, the same
the edit forms show through crm.edit_merge).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import request
from flask_babel import gettext as _

from crm.api.problems import ApiProblem
from crm.extensions import db
from crm.models import User
from crm.services import versions


def etag(record: Any) -> str:
    return f'"{record.version}"'


def _versions_named(header: str) -> list[int | None]:
    found: list[int | None] = []
    for part in header.split(","):
        part = part.strip()
        if part == "*":
            found.append(None)
            continue
        if part.startswith("W/"):
            part = part[2:]
        try:
            found.append(int(part.strip('"')))
        except ValueError:
            continue
    return found


def required_version(record: Any, actions: Iterable[str]) -> int:
    """The version the client edits (from If-Match), checked against ``record``'s: 428 without
    the header, 412 with what changed when it is not the current one."""
    header = request.headers.get("If-Match")
    if not header:
        raise ApiProblem(
            428,
            _("Stuur If-Match met de ETag die u het laatst las, zodat u niemands wijziging overschrijft."),
            code="if_match_required",
        )
    named = _versions_named(header)
    if None in named:
        return record.version
    if record.version in named:
        return record.version
    known = [v for v in named if v is not None and 0 < v < record.version]
    changes = versions.changes_since(record, max(known), actions) if known else []
    raise ApiProblem(
        412,
        _("Iemand anders heeft dit intussen gewijzigd. Lees het opnieuw en pas uw wijziging toe."),
        code="stale",
        current_etag=etag(record),
        changes=[describe(event) for event in changes],
        headers={"ETag": etag(record)},
    )


def describe(event: Any) -> dict[str, Any]:
    actor = db.session.get(User, event.actor_id) if event.actor_id else None
    return {
        "at": event.occurred_at.isoformat(),
        "by": actor.name if actor else None,
        "action": event.action,
        "fields": event.changes or {},
    }
