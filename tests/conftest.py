"""Test fixtures: one app per session on a migrated database, one rolled-back transaction per test.

The database comes from ``CRM_TEST_DATABASE_URL`` (default: an SQLite file in a temporary
folder), so the same suite runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import scoped_session, sessionmaker

from config import TestingConfig
from crm import ROOT, create_app
from crm.extensions import db
from crm.services.reference import load_reference_data


class Client(FlaskClient):
    """Tests keep one app context open for their transaction, and Flask reuses it for
    requests; so clear ``g`` (signed-in user, locale) before each request, as a fresh
    context would."""

    def open(self, *args, **kwargs):
        if has_app_context():
            for key in list(g):
                g.pop(key)
        return super().open(*args, **kwargs)


def database_url(tmp_path_factory) -> str:
    url = os.environ.get("CRM_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


def pgbouncer_options(url: str) -> dict:
    """``create_engine`` options for an engine a test makes itself: behind PgBouncer
    (``CRM_TEST_DATABASE_PGBOUNCER``, as .ci/run runs the suite) as the application makes its own."""
    from crm.database import engine_options

    return engine_options(url, pgbouncer=TestingConfig.DATABASE_PGBOUNCER)


def side_database_url(tmp_path_factory, suffix: str) -> str:
    """A database of its own next to the test database, for tests that must commit: a fresh
    SQLite file, or on PostgreSQL the database ``<test database>_<suffix>`` (created once)."""
    url = os.environ.get("CRM_TEST_DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        return f"sqlite:///{tmp_path_factory.mktemp(suffix) / (suffix + '.sqlite')}"
    parsed = make_url(url)
    name = f"{parsed.database}_{suffix}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", **pgbouncer_options(url))
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def migrated_app(url: str, **settings):
    """An app on ``url`` with a fresh schema at head and the reference lists loaded; ``settings``
    override the testing configuration's."""

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url

    for name, value in settings.items():
        setattr(Config, name, value)

    app = create_app(Config)
    app.test_client_class = Client
    with app.app_context():
        reset_schema(db.engine)
        with db.engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
        load_reference_data()
        db.session.commit()
        db.session.remove()
    return app


def racing_app(tmp_path_factory, suffix: str):
    """For a module-scoped fixture: an app on a PostgreSQL side database, for races between
    two sessions (skipped on SQLite, where a transaction takes the write lock at BEGIN)."""
    url = side_database_url(tmp_path_factory, suffix)
    if not url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite transactions take the write lock at BEGIN, so they cannot race")
    app = migrated_app(url)
    yield app
    with app.app_context():
        db.engine.dispose()


def alembic_config(connection=None) -> AlembicConfig:
    cfg = AlembicConfig(toml_file=str(ROOT / "pyproject.toml"))
    cfg.attributes["connection"] = connection
    return cfg


def reset_schema(engine) -> None:
    """Start from an empty database (PostgreSQL keeps tables between runs)."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))


@pytest.fixture(scope="session", autouse=True)
def _reproducible_factories():
    """The same fake names on every run, so a run can be repeated exactly."""
    import factory.random

    factory.random.reseed_random(2026)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    # export jobs (crm.services.export_jobs) write their files in a folder of the test run's own
    app = migrated_app(database_url(tmp_path_factory), EXPORT_FOLDER=str(tmp_path_factory.mktemp("exports")))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def session(app):
    """A database session whose work is rolled back after the test (services may commit)."""
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        # A plain SQLAlchemy session: Flask-SQLAlchemy's own would pick the engine, not this connection.
        db.session = scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            if transaction.is_active:
                transaction.rollback()
            connection.close()


@pytest.fixture
def client(app, session):
    from crm.extensions import limiter

    limiter.reset()  # sign-in throttling counts in memory: start every test from zero
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    db.session.commit()  # keep the test's data when a request rolls back (releases the SAVEPOINT)
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def login_as(client, user) -> None:
    """Sign in without the form (the sign-in form itself has its own tests).

    Commits the test's data so far: a request that fails rolls back only its own work."""
    db.session.commit()
    now = int(time.time())
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        sess["signed_in_at"] = sess["seen_at"] = sess["password_at"] = now


@pytest.fixture
def factories(session):
    from tests import factories

    return factories


@contextmanager
def counted_queries():
    """Every SQL statement run inside the block, in order (for tests that a page's query count
    does not grow with the data)."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
