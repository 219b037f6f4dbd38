"""Fixtures for the real-worker tests: a database of their own (SQLite file, or on PostgreSQL
``<test database>_worker``), a working folder for logs and the SQLite broker."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from crm.extensions import db
from tests.conftest import migrated_app, side_database_url


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "worker: starts real Celery worker/beat processes and an SMTP server (tens of seconds)"
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so a fixture can print the worker logs on failure."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def side(tmp_path_factory, tmp_path):
    url = side_database_url(tmp_path_factory, "worker")
    app = migrated_app(url)
    context = app.app_context()
    context.push()
    try:
        yield SimpleNamespace(app=app, url=url, workdir=tmp_path)
    finally:
        db.session.remove()
        db.engine.dispose()
        context.pop()
