"""Engine settings per database.

PostgreSQL gets the planner's ``random_page_cost`` on every connection of the application
(``PG_RANDOM_PAGE_COST`` in config.py, unless it is "server").

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

from config import ConfigError

READ_ONLY = "crm_read_only"  # execution option: the transaction only reads


def configure_engine(engine: Engine, *, random_page_cost: str | None = None) -> None:
    if engine.dialect.name == "postgresql":
        _configure_postgresql(engine, random_page_cost)
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


def _configure_postgresql(engine: Engine, random_page_cost: str | None) -> None:
    if random_page_cost in (None, "server"):
        return
    try:
        cost = float(random_page_cost)
    except ValueError:
        cost = -1.0
    if not 0 < cost <= 100:
        raise ConfigError(
            f"CRM_PG_RANDOM_PAGE_COST must be a number between 0 and 100, or 'server', not {random_page_cost!r}."
        )

    @event.listens_for(engine, "connect")
    def _planner_settings(dbapi_connection, _record):
        # a session setting: outside a transaction, so no rollback undoes it (SQLAlchemy's recipe)
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT set_config('random_page_cost', %s, false)", (str(cost),))
        dbapi_connection.autocommit = autocommit


def begin_read_only(session: Session | scoped_session) -> None:
    """Start the session's next transaction as one that only reads (SQLite: without the write
    lock; other databases: no difference). The caller ends it with a rollback and must not
    write in it. Inside a transaction already begun (a request, a test) nothing changes."""
    plain: Session = session() if isinstance(session, scoped_session) else session
    if not plain.in_transaction():
        plain.connection(execution_options={READ_ONLY: True})
