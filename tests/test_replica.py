"""Reads from a replica (crm.database): the reports, exports and drill-downs read from a real
PostgreSQL streaming replica, writes and everything else from the primary.

.ci/run starts the replica (a second cluster made with ``pg_basebackup -R``) and names it in
``CRM_TEST_DATABASE_REPLICA_URL``; the tests use their own database on the primary, which the
replica copies, and pause the replica's replay (``pg_wal_replay_pause``) to hold a row back:
a page that shows it read the primary, a page that does not read the replica. Without a
configured replica they are skipped; the routing rules that need no replica run everywhere.
"""

from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager

import pytest
from flask import Flask
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from config import ConfigError, TestingConfig
from crm import create_app
from crm.database import reading_from_replica, reads_from_replica, replica_engine
from crm.extensions import db
from crm.models import AuditEvent, Employer
from tests.conftest import CSRF_RE, login_as, migrated_app, pgbouncer_options, side_database_url
from tests.factories import EmployerFactory, TrajectoryFactory, UserFactory

REPLICA_URL = os.environ.get("CRM_TEST_DATABASE_REPLICA_URL", "")
needs_replica = pytest.mark.skipif(
    not REPLICA_URL, reason="no replica configured (CRM_TEST_DATABASE_REPLICA_URL; .ci/run starts one)"
)


# --- without a replica: everything reads the primary -----------------------------------------


def test_without_a_replica_a_replica_reading_view_reads_the_primary():
    app = create_app(TestingConfig)
    seen = []

    @reads_from_replica
    def report():
        seen.append((reading_from_replica(), replica_engine()))

    with app.test_request_context("/pijplijn"):
        report()
    assert seen == [(False, None)]


# The pages that read from the replica when there is one: reports, exports, drill-downs and
# the partner overviews. Nothing else: a page that edits must read what it is about to change.
# (The employer list's export is a job: the worker builds it reading from the replica,
# tasks/exports.py; the test below that the replica's lag shows in the export covers it.)
REPLICA_READING = {
    "pipeline.index",
    "pipeline.ambitions",
    "pipeline.drilldown",
    "pipeline.export",
    "audit.export",
    "partners.index",
    "partners.organisation",
    "partners.partnership",
}


def test_exactly_the_reports_exports_and_overviews_read_from_the_replica():
    app = create_app(TestingConfig)
    declared = {name for name, view in app.view_functions.items() if getattr(view, "reads_from_replica", False)}
    assert declared == REPLICA_READING


def test_a_replica_that_is_not_postgresql_is_refused():
    class Config(TestingConfig):
        DATABASE_REPLICA_URL = "sqlite:///replica.sqlite"

    with pytest.raises(ConfigError, match="CRM_DATABASE_REPLICA_URL must be a PostgreSQL URL"):
        create_app(Config)


def test_behind_pgbouncer_psycopg_prepares_no_statements():
    from crm.database import engine_options

    url = "postgresql+psycopg://crm@db/crm"
    assert engine_options(url, pgbouncer=True)["connect_args"] == {"prepare_threshold": None}
    assert "connect_args" not in engine_options(url, pgbouncer=False)


# --- with a real replica ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def replica_app(tmp_path_factory):
    if not REPLICA_URL:
        pytest.skip("no replica configured (CRM_TEST_DATABASE_REPLICA_URL; .ci/run starts one)")
    primary = side_database_url(tmp_path_factory, "replica")
    if not primary.startswith("postgresql"):
        pytest.skip("a replica needs the tests on PostgreSQL (CRM_TEST_DATABASE_URL)")
    replica = make_url(REPLICA_URL).set(database=make_url(primary).database).render_as_string(hide_password=False)
    exports = tmp_path_factory.mktemp("replica-exports")
    app = migrated_app(primary, DATABASE_REPLICA_URL=replica, EXPORT_FOLDER=str(exports))
    replica_admin = create_engine(REPLICA_URL, isolation_level="AUTOCOMMIT", **pgbouncer_options(REPLICA_URL))
    app.extensions["test_replica_admin"] = replica_admin
    with app.app_context():
        admin = UserFactory(role="admin", name="Beheerder Replica")
        TrajectoryFactory(employer=EmployerFactory(name="Replica Eerste B.V."))
        db.session.commit()
        app.extensions["test_admin_id"] = admin.id
        db.session.remove()
    caught_up(app)
    yield app
    with app.app_context():
        replica_engine().dispose()  # type: ignore[union-attr]
        db.engine.dispose()
    replica_admin.dispose()


def caught_up(app: Flask, timeout: float = 30) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    with app.app_context(), db.engine.connect() as conn:
        lsn = conn.scalar(text("SELECT pg_current_wal_lsn()::text"))
    replica_admin = app.extensions["test_replica_admin"]
    deadline = time.monotonic() + timeout
    with replica_admin.connect() as conn:
        while not conn.scalar(text("SELECT pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn)"), {"lsn": lsn}):
            assert time.monotonic() < deadline, "the replica did not catch up"
            time.sleep(0.05)


@contextmanager
def replay_paused(app: Flask):
    """The replica stops applying the primary's changes until the block ends."""
    replica_admin = app.extensions["test_replica_admin"]
    with replica_admin.connect() as conn:
        conn.execute(text("SELECT pg_wal_replay_pause()"))
    try:
        yield
    finally:
        with replica_admin.connect() as conn:
            conn.execute(text("SELECT pg_wal_replay_resume()"))
        caught_up(app)


def signed_in_client(app: Flask):
    client = app.test_client()
    with app.app_context():
        from crm.models import User

        login_as(client, db.session.get(User, app.extensions["test_admin_id"]))
        db.session.remove()
    return client


def new_employer(app: Flask, name: str) -> int:
    with app.app_context():
        employer = EmployerFactory(name=name)
        db.session.commit()
        employer_id = employer.id
        db.session.remove()
    return employer_id


DRILL = "/pijplijn/lijst?lijst=trajecten&maat=totaal"


def download(client, path: str) -> str:
    """The text of a file the CRM sends (the response is closed: it holds a temporary file)."""
    response = client.get(path)
    try:
        assert response.status_code == 200, path
        return response.get_data(as_text=True)
    finally:
        response.close()


def exported_employers(client) -> str:
    """The employer list as CSV, as a user gets it: asked for (POST), the job built at once (eager
    Celery, inside the request: it reads from the replica as a worker does), then its file."""
    html = client.get("/werkgevers").get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, html[:2000]
    response = client.post(
        "/werkgevers/export", data={"csrf_token": match.group(1) or match.group(2), "formaat": "csv"}
    )
    assert response.status_code == 302, response.status_code
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    link = re.search(r'href="(/exporten/[0-9a-f]{32}/bestand)"', page)
    assert link, page
    return download(client, link.group(1))


def drill_total(client) -> int:
    html = client.get(DRILL).get_data(as_text=True)
    match = re.search(r"<span data-total>(\d+)</span>", html)
    assert match, html[:2000]
    return int(match.group(1))


@needs_replica
def test_a_row_the_replica_does_not_have_yet_is_missing_from_reports_but_on_its_own_page(replica_app):
    client = signed_in_client(replica_app)
    before = drill_total(client)
    with replay_paused(replica_app):
        employer_id = new_employer(replica_app, "Vertraagd Transport B.V.")
        with replica_app.app_context():
            TrajectoryFactory(employer=db.session.get(Employer, employer_id))
            db.session.commit()
            db.session.remove()
        # the record's own page reads the primary
        assert "Vertraagd Transport B.V." in client.get(f"/werkgevers/{employer_id}").get_data(as_text=True)
        # the export and the pipeline's drill-down read the replica, which has not got it yet
        export = exported_employers(client)
        assert "Replica Eerste B.V." in export
        assert "Vertraagd Transport B.V." not in export
        assert drill_total(client) == before
    # once the replica has caught up, the reports show it
    assert "Vertraagd Transport B.V." in exported_employers(client)
    assert drill_total(client) == before + 1


@contextmanager
def statements_per_engine(app: Flask):
    """Every statement run, per engine, with whether a replica-reading view was running."""
    seen: dict[str, list[tuple[bool, str]]] = {"primary": [], "replica": []}

    def recorder(name):
        def record(conn, cursor, statement, parameters, context, executemany):
            seen[name].append((reading_from_replica(), statement))

        return record

    with app.app_context():
        engines = {"primary": db.engine, "replica": replica_engine()}
    listeners = [(engine, recorder(name)) for name, engine in engines.items()]
    for engine, listener in listeners:
        event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        for engine, listener in listeners:
            event.remove(engine, "before_cursor_execute", listener)


@needs_replica
@pytest.mark.parametrize(
    "path", ["/pijplijn", "/pijplijn/ambities", DRILL, "/partners", "/pijplijn/export?tabel=trajecten"]
)
def test_a_report_reads_nothing_from_the_primary(replica_app, path):
    client = signed_in_client(replica_app)
    with statements_per_engine(replica_app) as seen:
        download(client, path)
    # The sign-in checks run before the view, on the primary (a deactivated account is shut out
    # at once); the view itself reads only the replica. An export's audit event is the one write.
    during_view = [sql for on_replica, sql in seen["primary"] if on_replica]
    reads = [sql for sql in during_view if not sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert reads == []
    assert seen["replica"], "the report read nothing from the replica"
    assert all(on_replica for on_replica, _sql in seen["replica"])


@needs_replica
def test_an_exports_audit_event_is_written_on_the_primary(replica_app):
    client = signed_in_client(replica_app)
    with replica_app.app_context():
        before = db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "export"))
        db.session.remove()
    exported_employers(client)
    with replica_app.app_context():
        after = db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "export"))
        db.session.remove()
    assert after == before + 1


@needs_replica
def test_after_a_write_the_request_reads_its_own_write_from_the_primary(replica_app):
    @reads_from_replica
    def view():
        assert reading_from_replica()
        # read from the replica: the name is not there
        assert db.session.scalar(select(func.count(Employer.id)).where(Employer.name == "Eigen Schrijver B.V.")) == 0
        EmployerFactory(name="Eigen Schrijver B.V.")  # flushed: written on the primary, not committed
        # the replica can never see an uncommitted row: this read went to the primary
        return db.session.scalar(select(func.count(Employer.id)).where(Employer.name == "Eigen Schrijver B.V."))

    with replica_app.test_request_context("/pijplijn"):
        try:
            assert view() == 1
        finally:
            db.session.rollback()
            db.session.remove()


@needs_replica
def test_a_write_that_reaches_the_replica_fails_loudly(replica_app):
    @reads_from_replica
    def view():
        db.session.execute(text("UPDATE employer SET name = name"))  # raw SQL: cannot be told from a read

    with replica_app.test_request_context("/pijplijn"):
        try:
            with pytest.raises(DBAPIError, match="read-only transaction"):
                view()
        finally:
            db.session.rollback()
            db.session.remove()
