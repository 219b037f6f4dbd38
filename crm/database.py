"""Engine settings per database.

PostgreSQL gets the planner's ``random_page_cost`` and ``max_parallel_workers_per_gather`` on
every connection of the application (``PG_RANDOM_PAGE_COST``, ``PG_PARALLEL_WORKERS`` in
config.py, unless "server").

SQLite (the embedded default, where web, worker and beat share one file) gets WAL, a busy
timeout, enforced foreign keys and real transactions: pysqlite's own transaction handling
breaks SAVEPOINT, so (SQLAlchemy's documented recipe) it is switched off and we emit BEGIN
ourselves. It is BEGIN IMMEDIATE: a transaction takes the write lock when it starts, so two
processes never both read and then fail to upgrade to writing ("database is locked"); they
queue on the busy timeout instead. Transactions are kept short. A transaction that only reads
can say so (``begin_read_only``): a plain (deferred) BEGIN, which in WAL mode neither waits
for the write lock nor keeps writers waiting.

**PgBouncer** (``DATABASE_PGBOUNCER``) in transaction pooling mode hands each transaction
whichever server connection is free, so nothing may outlive a transaction on the server:
psycopg's server-side prepared statements are switched off (``prepare_threshold=None``: a
statement prepared on one server connection does not exist on the next), and the planner
setting is made per transaction (``set_config(..., true)``, i.e. ``SET LOCAL``) instead of
once per connection. The CRM holds no other session state: no advisory locks, LISTEN,
temporary tables or WITH HOLD cursors (a streamed export's cursor lives inside its
transaction), which is what PgBouncer's transaction mode needs.

**Reads from a replica** (``DATABASE_REPLICA_URL``): a view marked ``@reads_from_replica``
(reports, exports, drill-downs) reads from a PostgreSQL streaming replica while it runs, so
the heavy read-only work of the coordinators leaves the primary alone. ``RoutingSession``
decides per statement, so services need no change: a read goes to the replica, a write (a
flush, an INSERT/UPDATE/DELETE) to the primary, and once the request has written, every later
read of that request goes to the primary too (the replica may not have the write yet: a user
never reads back a stale copy of their own change). The replica's transactions are READ ONLY,
so a write that would still reach it (raw SQL) fails loudly. Without the setting, or outside
such a view, everything uses the primary. The sign-in checks (the user row, the session
version) run before the view and therefore always read the primary: a deactivated account is
shut out at once, not after the replica catches up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_app_context
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, scoped_session

from config import ConfigError

READ_ONLY = "crm_read_only"  # execution option: the transaction only reads
REPLICA = "crm_replica_engine"  # app.extensions key: the replica's engine, when configured
_ON_REPLICA = "crm_reads_from_replica"  # flag on flask.g while a replica-reading view runs
_WROTE = "crm_wrote"  # Session.info: this session has written (later reads go to the primary)


def engine_options(url: str, *, pgbouncer: bool, base: dict | None = None) -> dict[str, Any]:
    """``create_engine`` options for ``url``: ``base`` plus, behind PgBouncer, psycopg's
    server-side prepared statements off (psycopg would prepare a statement run five times on
    a connection, and the next transaction may run on another server connection)."""
    options: dict[str, Any] = dict(base or {})
    if pgbouncer and url.startswith("postgresql+psycopg"):
        options["connect_args"] = {**options.get("connect_args", {}), "prepare_threshold": None}
    return options


def configure_engine(
    engine: Engine,
    *,
    random_page_cost: str | None = None,
    parallel_workers: str | None = None,
    pgbouncer: bool = False,
) -> None:
    if engine.dialect.name == "postgresql":
        _configure_postgresql(engine, _planner_settings(random_page_cost, parallel_workers), pgbouncer=pgbouncer)
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


def _planner_settings(random_page_cost: str | None, parallel_workers: str | None) -> dict[str, str]:
    """The planner settings for the application's connections ("server" or None: the server's own)."""
    settings = {}
    if random_page_cost not in (None, "server"):
        try:
            cost = float(random_page_cost)
        except ValueError:
            cost = -1.0
        if not 0 < cost <= 100:
            raise ConfigError(
                f"CRM_PG_RANDOM_PAGE_COST must be a number between 0 and 100, or 'server', not {random_page_cost!r}."
            )
        settings["random_page_cost"] = str(cost)
    if parallel_workers not in (None, "server"):
        if not (parallel_workers.isdigit() and int(parallel_workers) <= 64):
            raise ConfigError(
                f"CRM_PG_PARALLEL_WORKERS must be a whole number from 0 to 64, or 'server', not {parallel_workers!r}."
            )
        settings["max_parallel_workers_per_gather"] = str(int(parallel_workers))
    return settings


def _configure_postgresql(engine: Engine, settings: dict[str, str], *, pgbouncer: bool) -> None:
    if not settings:
        return
    names, values = list(settings), list(settings.values())
    # one statement for all of them: set_config(name, value, is_local)
    local = "SELECT " + ", ".join(f"set_config('{name}', %s, true)" for name in names)
    session = "SELECT " + ", ".join(f"set_config('{name}', %s, false)" for name in names)

    if pgbouncer:
        # The transaction is the unit PgBouncer hands out: set them for each one (SET LOCAL).
        @event.listens_for(engine, "begin")
        def _planner_settings_per_transaction(connection):
            connection.exec_driver_sql(local, tuple(values))

        return

    @event.listens_for(engine, "connect")
    def _planner_settings(dbapi_connection, _record):
        # session settings: outside a transaction, so no rollback undoes them (SQLAlchemy's recipe)
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        with dbapi_connection.cursor() as cursor:
            cursor.execute(session, values)
        dbapi_connection.autocommit = autocommit


def begin_read_only(session: Session | scoped_session) -> None:
    """Start the session's next transaction as one that only reads (SQLite: without the write
    lock; other databases: no difference). The caller ends it with a rollback and must not
    write in it. Inside a transaction already begun (a request, a test) nothing changes."""
    plain: Session = session() if isinstance(session, scoped_session) else session
    if not plain.in_transaction():
        plain.connection(execution_options={READ_ONLY: True})


# --- Reads from a replica ----------------------------------------------------------------------


def init_replica(app: Flask) -> None:
    """The replica's engine (``DATABASE_REPLICA_URL``), configured as the primary's, its
    transactions READ ONLY; nothing when the setting is empty."""
    url = app.config.get("DATABASE_REPLICA_URL")
    if not url:
        return
    if not url.startswith("postgresql"):
        raise ConfigError("CRM_DATABASE_REPLICA_URL must be a PostgreSQL URL (a streaming replica of the primary).")
    pgbouncer = bool(app.config.get("DATABASE_PGBOUNCER"))
    engine = create_engine(
        url, **engine_options(url, pgbouncer=pgbouncer, base=app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    )
    configure_engine(
        engine,
        random_page_cost=app.config.get("PG_RANDOM_PAGE_COST"),
        parallel_workers=app.config.get("PG_PARALLEL_WORKERS"),
        pgbouncer=pgbouncer,
    )
    app.extensions[REPLICA] = engine.execution_options(postgresql_readonly=True)


def replica_engine() -> Engine | None:
    """The replica's engine, or None when the installation has no replica."""
    return current_app.extensions.get(REPLICA) if has_app_context() else None


View = TypeVar("View", bound=Callable[..., Any])


def reads_from_replica(view: View) -> View:
    """Declare a view (a report, an export, a drill-down) whose reads may come from the replica,
    a few seconds behind the primary. Its writes still go to the primary (``RoutingSession``)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        with replica_reads():
            return view(*args, **kwargs)

    # a mark the outer decorators' functools.wraps copy along (tests list the marked views)
    wrapper.reads_from_replica = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


@contextmanager
def replica_reads() -> Iterator[None]:
    """The reads inside the block may come from the replica (as in a ``@reads_from_replica``
    view): for the jobs of a worker that build an export (tasks/exports.py)."""
    if replica_engine() is None or g.get(_ON_REPLICA):
        yield
        return
    setattr(g, _ON_REPLICA, True)
    try:
        yield
    finally:
        g.pop(_ON_REPLICA, None)


def reading_from_replica() -> bool:
    """True while a ``@reads_from_replica`` view runs on an installation with a replica."""
    return has_app_context() and bool(g.get(_ON_REPLICA)) and replica_engine() is not None


class RoutingSession(FlaskSession):
    """Flask-SQLAlchemy's session, sending the reads of a replica-reading view to the replica
    (see the module docstring): writes, and every read after the first write, to the primary."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None:
            if self._flushing or getattr(clause, "is_dml", False):
                self.info[_WROTE] = True  # remembered for the rest of the request (the session's life)
            elif not self.info.get(_WROTE) and reading_from_replica():
                replica = replica_engine()
                assert replica is not None  # reading_from_replica() said so
                return replica
        return super().get_bind(mapper, clause=clause, bind=bind, **kwargs)
