"""A storage for the ``limits`` library in an SQLite file: sign-in counters shared by every
process of one machine, without a server (``sqlite:///path/limits.sqlite``).

Sign-in limits (crm.lib.throttle, and Flask-Limiter on the sign-in route) only hold
when every process counts together: with ``memory://`` each gunicorn worker keeps its own
counts, and an account locked on one worker is open on the other. The embedded default has
no Redis, so its processes share this file; production uses Redis (ProductionConfig refuses
``memory://``). Each count is one row; an increment is a single UPSERT statement, which
SQLite runs atomically under its write lock, so concurrent hits never get lost. The fixed
window strategy (Flask-Limiter's default) needs no more than this.

Defining the class registers the ``sqlite`` scheme with ``limits`` (its storages register
themselves by ``STORAGE_SCHEME``); crm.extensions imports this module for that reason.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

from limits.errors import ConfigurationError
from limits.storage import Storage

PREFIX = "sqlite:///"
BUSY_TIMEOUT_SECONDS = 10.0
PURGE_EVERY_SECONDS = 300

SCHEMA = """
CREATE TABLE IF NOT EXISTS counter (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID
"""

# One statement: a new or expired window starts at ``amount``, a live one adds ``amount``.
INCREMENT = """
INSERT INTO counter (key, count, expires_at) VALUES (:key, :amount, :expires_at)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN counter.expires_at <= :now THEN excluded.count ELSE counter.count + excluded.count END,
    expires_at = CASE WHEN counter.expires_at <= :now THEN excluded.expires_at ELSE counter.expires_at END
RETURNING count
"""


class SQLiteStorage(Storage):
    """Fixed-window counters in one SQLite file (WAL mode, busy timeout)."""

    STORAGE_SCHEME = ["sqlite"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: float | str | bool):
        if not uri or not uri.startswith(PREFIX) or len(uri) == len(PREFIX):
            raise ConfigurationError(
                f"An SQLite rate-limit storage needs a file, e.g. sqlite:////var/lib/crm/limits.sqlite, not {uri!r}"
            )
        self.path = Path(uri[len(PREFIX) :])
        self._local = threading.local()
        self._purged_at = 0.0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        """One connection per thread and process (a connection must not cross a fork)."""
        connection = getattr(self._local, "connection", None)
        if connection is None or self._local.pid != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(SCHEMA)
            self._local.connection, self._local.pid = connection, os.getpid()
        return connection

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        connection = self._connection()
        # fetchall: the statement must run to its end, or its transaction stays open.
        (row,) = connection.execute(
            INCREMENT, {"key": key, "amount": amount, "expires_at": now + expiry, "now": now}
        ).fetchall()
        if now - self._purged_at > PURGE_EVERY_SECONDS:
            self._purged_at = now
            connection.execute("DELETE FROM counter WHERE expires_at <= ?", (now,))
        return int(row[0])

    def get(self, key: str) -> int:
        rows = (
            self._connection()
            .execute("SELECT count FROM counter WHERE key = ? AND expires_at > ?", (key, time.time()))
            .fetchall()
        )
        return int(rows[0][0]) if rows else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        rows = (
            self._connection()
            .execute("SELECT expires_at FROM counter WHERE key = ? AND expires_at > ?", (key, now))
            .fetchall()
        )
        return float(rows[0][0]) if rows else now

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchall()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return self._connection().execute("DELETE FROM counter").rowcount

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM counter WHERE key = ?", (key,))
