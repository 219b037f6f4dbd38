"""The CRM behind PgBouncer in transaction pooling mode (crm.database).

.ci/run runs the PostgreSQL part of the suite through its own PgBouncer
(``CRM_TEST_DATABASE_PGBOUNCER=1``); these tests check that the pooling there really is per
transaction (one client connection's transactions land on different server connections), and
that the application's connections survive it: psycopg would otherwise prepare a statement
on one server connection and execute it by name on another ("prepared statement does not
exist"), and a session setting would stay behind on whichever server connection ran it.
Skipped when the tests do not run through PgBouncer.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from config import TestingConfig
from crm.extensions import db

pytestmark = pytest.mark.skipif(
    not TestingConfig.DATABASE_PGBOUNCER, reason="the tests do not run through PgBouncer (CRM_TEST_DATABASE_PGBOUNCER)"
)

QUERY = text(
    "SELECT pg_backend_pid(), current_setting('random_page_cost') || ' ' || current_setting('max_parallel_workers_per_gather')"
)


def test_statements_repeated_across_server_connections_run_through_pgbouncer(app):
    """One client connection runs the same statement more often than psycopg's prepare threshold
    (5); then another client holds that server connection in a transaction, so PgBouncer gives
    the first client's next transaction a different server connection. The statement still runs
    (it was never prepared) and the planner setting is there in every transaction."""
    with app.app_context():
        engine = db.engine
        first, second = engine.connect(), engine.connect()
        try:
            for _ in range(8):
                pid, cost = first.execute(QUERY).one()
                first.commit()
                assert cost == "1.1 0"
            second.execute(QUERY)  # second's transaction stays open: it holds a server connection
            held = second.execute(text("SELECT pg_backend_pid()")).scalar()
            pids = set()
            for _ in range(8):
                pid, cost = first.execute(QUERY).one()
                first.commit()
                assert cost == "1.1 0"
                pids.add(pid)
            assert held not in pids
            second.rollback()
        finally:
            first.close()
            second.close()


def test_one_client_connection_is_served_by_several_server_connections(app):
    """Transaction pooling, not session pooling: the same client connection's transactions
    run on whichever server connection is free."""
    with app.app_context():
        engine = db.engine
        client, other = engine.connect(), engine.connect()
        try:
            before = client.execute(text("SELECT pg_backend_pid()")).scalar()
            client.commit()
            other.execute(text("SELECT pg_backend_pid()"))  # takes the free server connection
            after = client.execute(text("SELECT pg_backend_pid()")).scalar()
            client.commit()
            other.rollback()
            assert before != after
        finally:
            client.close()
            other.close()
