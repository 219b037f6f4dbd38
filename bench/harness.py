"""What the page benchmarks share: the app on the bench database, logging, the schema upgrade,
capturing a request's SQL, and timing a page against the same SQL run bare."""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alembic import command  # noqa: E402
from alembic.config import Config as AlembicConfig  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from config import TestingConfig  # noqa: E402
from crm import ROOT, create_app  # noqa: E402
from crm.extensions import db  # noqa: E402


def bench_url(default: str) -> str:
    return os.environ.get("CRM_BENCH_DATABASE_URL", default)


def make_app(url: str):
    class BenchConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        CELERY_BROKER_URL = "memory://"

    return create_app(BenchConfig)


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


@contextmanager
def timer(label: str, results: dict):
    start = time.perf_counter()
    yield
    results[label] = time.perf_counter() - start
    log(f"{label}: {results[label]:.1f} s")


def upgrade(engine) -> None:
    """``alembic upgrade head`` through the API (as tests/conftest.py does)."""
    with engine.begin() as conn:
        cfg = AlembicConfig(toml_file=str(ROOT / "pyproject.toml"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def capture(app, client, path: str) -> tuple[list[tuple[str, object]], int]:
    """The SQL statements (with parameters) one request runs, and its status code."""
    statements: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        status = client.get(path).status_code
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statements, status


def time_page_once(client, path: str) -> float:
    start = time.perf_counter()
    response = client.get(path)
    response.get_data()
    took = time.perf_counter() - start
    assert response.status_code == 200, (path, response.status_code)
    return took


def time_sql_once(raw, statements: list[tuple[str, object]]) -> tuple[float, list[float]]:
    """The page's statements with the same parameters, run and fetched on a bare DBAPI
    connection: the total, and each statement's time."""
    each = []
    start = time.perf_counter()
    with raw.cursor() as cursor:
        for statement, parameters in statements:
            one = time.perf_counter()
            cursor.execute(statement, parameters)
            if cursor.description is not None:
                cursor.fetchall()
            each.append(time.perf_counter() - one)
    took = time.perf_counter() - start
    raw.rollback()
    return took, each


def seed_demo(app, employers: int, took: dict) -> None:
    """A fresh schema at head (DROPS the public schema), the reference lists and the demo
    partnership with ``employers`` employers; the steps' times go into ``took``."""
    from crm.demo import seed as demo_seed
    from crm.services.reference import load_reference_data

    engine = db.engine
    if engine.dialect.name != "postgresql":
        raise SystemExit("The benchmark runs on PostgreSQL only.")
    with timer("migrate", took):
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(engine)
    with timer("reference data", took):
        load_reference_data()
        db.session.commit()
    with timer(f"demo seed ({employers} employers)", took):
        report = demo_seed(employers=employers, echo=log)
        db.session.commit()
    log(report.splitlines()[0])
