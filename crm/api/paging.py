"""Keyset (cursor) paging: every page is one index range scan from where the last one ended,
so the 2,000th page costs what the first does (bench/API.md).

A list orders by one or more columns and ends with the primary key, so the order is total.
The cursor is the last row's values of those columns, base64url-encoded JSON: opaque to the
client, checked here (a cursor that does not fit the order is a 400, never a 500).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, and_, or_
from sqlalchemy.sql.elements import ColumnElement

from crm.api.problems import ApiProblem
from crm.extensions import db


@dataclass(frozen=True)
class Key:
    """One column of the order: the column, its Python type and the direction."""

    column: Any
    kind: type = int
    descending: bool = False


def encode(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, date | datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def _bad_cursor() -> ApiProblem:
    return ApiProblem(
        400,
        _("Deze cursor hoort niet bij deze lijst; begin zonder cursor."),
        code="bad_cursor",
        errors=[{"field": "cursor", "message": _("Ongeldige cursor."), "code": "bad_cursor"}],
    )


def decode(cursor: str, keys: Sequence[Key]) -> list[Any]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _bad_cursor() from None
    if not isinstance(raw, list) or len(raw) != len(keys):
        raise _bad_cursor()
    values: list[Any] = []
    for key, value in zip(keys, raw, strict=True):
        if value is None:  # no key is ever NULL (``keyset_order`` coalesces)
            raise _bad_cursor()
        try:
            if key.kind is datetime:
                moment = datetime.fromisoformat(value)
                if moment.tzinfo is None:  # we write UTC moments only: a naive one was tampered with
                    raise _bad_cursor()
                values.append(moment)
            elif key.kind is date:
                values.append(date.fromisoformat(value))
            elif (
                key.kind is int
                and isinstance(value, int)
                and not isinstance(value, bool)
                or key.kind is str
                and isinstance(value, str)
            ):
                values.append(value)
            else:
                raise _bad_cursor()
        except (TypeError, ValueError):
            raise _bad_cursor() from None
    return values


def _after(keys: Sequence[Key], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows after ``values`` in the order of ``keys`` (no key is NULL): ``a > x OR (a = x AND
    b > y) ...``, plus the redundant ``a >= x`` that lets the planner start an index range scan
    on the first key where the last page ended (the OR alone makes PostgreSQL read from the start)."""
    clauses = []
    for i, key in enumerate(keys):
        equal = [keys[j].column == values[j] for j in range(i)]
        beyond = key.column < values[i] if key.descending else key.column > values[i]
        clauses.append(and_(*equal, beyond))
    first = keys[0]
    start = first.column <= values[0] if first.descending else first.column >= values[0]
    return and_(start, or_(*clauses))


@dataclass
class KeysetPage:
    items: list[Any]
    next_cursor: str | None


def keyset_page(
    query: Select,
    keys: Sequence[Key],
    *,
    cursor: str | None,
    limit: int,
    values_of: Callable[[Any], Sequence[Any]] | None = None,
    fetch: Callable[[Select], Sequence[Any]] | None = None,
) -> KeysetPage:
    """One page of ``query`` ordered by ``keys`` (the last must be unique, e.g. the id).

    By default the rows are entities (``db.session.scalars``) whose key values are their
    attributes of the keys' names. Otherwise ``values_of(row)`` gives a row's key values (for
    the next cursor) and ``fetch(statement)`` runs the statement."""
    if cursor:
        query = query.where(_after(keys, decode(cursor, keys)))
    order = [k.column.desc() if k.descending else k.column.asc() for k in keys]
    statement = query.order_by(*order).limit(limit + 1)
    rows = list(fetch(statement) if fetch else db.session.scalars(statement).all())
    more = len(rows) > limit
    rows = rows[:limit]
    if not (more and rows):
        return KeysetPage(rows, None)
    last = rows[-1]
    return KeysetPage(rows, encode(values_of(last) if values_of else [getattr(last, k.column.key) for k in keys]))
