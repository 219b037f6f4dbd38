"""Prometheus metrics with the official client, in multi-process mode under gunicorn.

What is measured, with bounded labels only (never an id, a path or a user):

- ``crm_http_request_duration_seconds{endpoint, method, status}``: a histogram per Flask
  endpoint name (``employers.detail``, not the path), method and status class (``2xx``).
- ``crm_http_request_db_statements{endpoint}`` and ``crm_http_request_db_seconds{endpoint}``:
  how many SQL statements a request ran and how long the database took, per request
  (SQLAlchemy cursor events), so a page that grows an N+1 shows up.
- ``crm_task_runs_total{task, outcome}`` and ``crm_task_duration_seconds{task}``: every Celery
  task run, its outcome (``succeeded``, ``failed``, ``retried``) and time (Celery signals).
- ``crm_mail_pending``, ``crm_mail_failed``, ``crm_mail_oldest_pending_age_seconds``: the
  state of the mail queue, read from the delivery table at scrape time (the status index
  answers it: the pending rows are the few that are due).

Multi-process mode: gunicorn's workers and the Celery worker's pool processes are separate
processes; with ``PROMETHEUS_MULTIPROC_DIR`` set (an empty directory, wiped before start) each
writes its numbers to files there and the ``/metrics`` answer adds them up, whichever web
worker answers. gunicorn's ``child_exit`` hook (``crm/gunicorn_conf.py``) marks a dead
worker's files. Without the variable (tests, one process) the client's default registry is
used. The client reads the variable when it is first imported: set it before the process
starts, never from inside.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from typing import Any

from flask import Flask, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event, func, select

REQUEST_SECONDS = Histogram(
    "crm_http_request_duration_seconds",
    "Time to answer a request, per Flask endpoint, method and status class.",
    ["endpoint", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 5.0, 10.0),
)
REQUEST_STATEMENTS = Histogram(
    "crm_http_request_db_statements",
    "SQL statements run by one request, per Flask endpoint.",
    ["endpoint"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)
REQUEST_DB_SECONDS = Histogram(
    "crm_http_request_db_seconds",
    "Time one request spent waiting for the database, per Flask endpoint.",
    ["endpoint"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 5.0),
)
TASK_RUNS = Counter(
    "crm_task_runs",
    "Celery task runs, per task and outcome (succeeded, failed, retried).",
    ["task", "outcome"],
)
TASK_SECONDS = Histogram(
    "crm_task_duration_seconds",
    "Time a Celery task ran, per task.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0),
)

OUTCOMES = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried"}
_DB_CLOCK = "crm_db_clock"  # g: [statements, seconds] of the current request


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


# --- requests ---------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    app.before_request(_start_request)
    app.after_request(_observe_request)
    _listen_to_statements()


def _start_request() -> None:
    g.crm_request_started = time.perf_counter()
    setattr(g, _DB_CLOCK, [0, 0.0])


def _observe_request(response):
    # Read, not popped: the request's log line (crm.observability.logs) reports them after this.
    started = g.get("crm_request_started")
    clock = g.get(_DB_CLOCK)
    if started is None:
        return response
    endpoint = request.endpoint or "none"  # a path that matched no route: one label for all
    REQUEST_SECONDS.labels(endpoint, request.method, f"{response.status_code // 100}xx").observe(
        time.perf_counter() - started
    )
    if clock is not None:
        REQUEST_STATEMENTS.labels(endpoint).observe(clock[0])
        REQUEST_DB_SECONDS.labels(endpoint).observe(clock[1])
    return response


def request_timing() -> tuple[float, int, float] | None:
    """(seconds so far, statements, database seconds) of the current request, for its log line."""
    started = g.get("crm_request_started")
    clock = g.get(_DB_CLOCK)
    if started is None or clock is None:
        return None
    return time.perf_counter() - started, clock[0], clock[1]


_listening = False


def _listen_to_statements() -> None:
    """Count every statement of every engine (once per process): the time between the
    cursor's execute and its return, added to the current request's clock when there is one."""
    global _listening
    if _listening:
        return
    _listening = True

    @event.listens_for(Engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("crm_statement_started", []).append(time.perf_counter())

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        started = conn.info.get("crm_statement_started")
        if not started:
            return
        elapsed = time.perf_counter() - started.pop()
        clock = g.get(_DB_CLOCK) if _in_request() else None
        if clock is not None:
            clock[0] += 1
            clock[1] += elapsed


def _in_request() -> bool:
    from flask import has_request_context

    return has_request_context()


# --- Celery tasks -----------------------------------------------------------------------

_task_started: dict[str, float] = {}


def task_started(task_id: str) -> None:
    _task_started[task_id] = time.perf_counter()


def task_finished(task_id: str, task_name: str, state: str | None) -> float:
    """Count the run and observe its time; returns the seconds it took (0 when unknown)."""
    started = _task_started.pop(task_id, None)
    outcome = OUTCOMES.get(state or "", "failed" if state else "succeeded")
    TASK_RUNS.labels(task_name, outcome).inc()
    if started is None:
        return 0.0
    seconds = time.perf_counter() - started
    TASK_SECONDS.labels(task_name).observe(seconds)
    return seconds


# --- the mail queue, at scrape time -----------------------------------------------------


class MailQueueCollector(Collector):
    """Reads the delivery table when scraped (inside the app context of the request)."""

    def collect(self) -> Iterable[Metric]:
        from crm.extensions import db
        from crm.models import Delivery
        from crm.models.base import utcnow

        counts = dict(
            db.session.execute(
                select(Delivery.status, func.count())
                .where(Delivery.status.in_(("pending", "failed")))
                .group_by(Delivery.status)
            ).all()
        )
        oldest = db.session.scalar(select(func.min(Delivery.created_at)).where(Delivery.status == "pending"))
        db.session.rollback()
        age = 0.0
        if oldest is not None:
            now = utcnow()
            if oldest.tzinfo is None:  # SQLite returns naive UTC
                now = now.replace(tzinfo=None)
            age = max(0.0, (now - oldest).total_seconds())
        yield GaugeMetricFamily(
            "crm_mail_pending", "E-mails waiting to be sent (status pending).", counts.get("pending", 0)
        )
        yield GaugeMetricFamily(
            "crm_mail_failed", "E-mails given up for good (status failed).", counts.get("failed", 0)
        )
        yield GaugeMetricFamily(
            "crm_mail_oldest_pending_age_seconds", "Age of the oldest pending e-mail (0 when none is pending).", age
        )


def render() -> tuple[bytes, dict[str, Any]]:
    """The scrape: every process's numbers (multi-process mode) or this process's, plus the mail queue."""
    registry = CollectorRegistry()
    directory = multiprocess_dir()
    if directory:
        MultiProcessCollector(registry, path=directory)
        collectors: list[Collector] = [registry]
    else:
        collectors = [REGISTRY]
    queue = CollectorRegistry()
    queue.register(MailQueueCollector())
    collectors.append(queue)
    body = b"".join(generate_latest(c) for c in collectors)
    return body, {"Content-Type": CONTENT_TYPE_LATEST}
