"""Engine settings per database.

SQLite (the embedded default, where web, worker and beat share one file) gets WAL, a busy
timeout, enforced foreign keys and real transactions: pysqlite's own transaction handling
breaks SAVEPOINT, so (SQLAlchemy's documented recipe) it is switched off and we emit BEGIN
ourselves. It is BEGIN IMMEDIATE: a transaction takes the write lock when it starts, so two
processes never both read and then fail to upgrade to writing ("database is locked"); they
queue on the busy timeout instead. Transactions are kept short. A transaction that only reads
can say so (``begin_read_only``): a plain (deferred) BEGIN, which in WAL mode neither waits
for the write lock nor keeps writers waiting.
"""

from __future__ import annotations

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, scoped_session

READ_ONLY = "crm_read_only"  # execution option: the transaction only reads


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection):  # pragma: no cover - trivial
        connection.exec_driver_sql("BEGIN" if connection.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def begin_read_only(session: Session | scoped_session) -> None:
    """Start the session's next transaction as one that only reads (SQLite: without the write
    lock; other databases: no difference). The caller ends it with a rollback and must not
    write in it. Inside a transaction already begun (a request, a test) nothing changes."""
    if isinstance(session, scoped_session):
        session = session()
    if not session.in_transaction():
        session.connection(execution_options={READ_ONLY: True})
