"""The Celery app, bound to a Flask app: every task runs inside that app's context.

Queues (``queues``): mail, bulk work with files (imports, exports) and nightly housekeeping
each have their own, next to the default one, so a long import, export or nightly job never
sits in front of a reminder. A worker started without ``-Q`` consumes them all (the embedded
default); an installation under load runs one worker per queue (README, operator section).
Beat's tasks are routed the same way (routing is by task name, when the message is sent).

Signals (``_observe_tasks``): each task run is counted and timed for the metrics, and the
request id of whoever queued it (``crm_request_id`` message header) is put in the log
context of the task, so its lines and those of the tasks it queues in turn carry it.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from celery import Celery, Task
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    before_task_publish,
    task_postrun,
    task_prerun,
    worker_process_init,
)
from flask import Flask, current_app, has_app_context
from kombu import Queue

from crm.observability import logs, metrics
from tasks.schedule import beat_schedule

TASK_MODULES = ["tasks.exports", "tasks.housekeeping", "tasks.imports", "tasks.privacy", "tasks.reminders"]

# Queue suffixes, after CRM_CELERY_QUEUE (installations that share one Redis keep apart).
MAIL, BULK, HOUSEKEEPING = "mail", "bulk", "housekeeping"
ROUTES = {
    # Nightly, and long on a national installation: never in front of a reminder.
    "tasks.reminders.follow_up_quiet_employers": HOUSEKEEPING,
    "tasks.reminders.*": MAIL,
    "tasks.imports.*": BULK,
    "tasks.exports.*": BULK,
    "tasks.housekeeping.*": HOUSEKEEPING,
    "tasks.privacy.*": HOUSEKEEPING,
}


def queue_names(base: str) -> dict[str, str]:
    """The installation's queues: ``default`` and one per kind of work."""
    return {"default": base, **{kind: f"{base}.{kind}" for kind in (MAIL, BULK, HOUSEKEEPING)}}


def create_celery(flask_app: Flask) -> Celery[Any]:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            # Flask types ``current_app`` as the app itself, not as the proxy it is.
            if has_app_context() and current_app._get_current_object() is flask_app:  # type: ignore[attr-defined]
                return self.run(*args, **kwargs)  # eager, inside a request or test: keep its context
            with flask_app.app_context():
                return self.run(*args, **kwargs)

    config = flask_app.config
    broker_url = config["CELERY_BROKER_URL"]
    queues = queue_names(config.get("CELERY_QUEUE", "celery"))
    celery = Celery(flask_app.import_name, task_cls=FlaskTask, include=TASK_MODULES)
    celery.conf.update(
        broker_url=broker_url,
        broker_connection_retry_on_startup=True,
        broker_transport_options=_transport_options(broker_url),
        task_always_eager=config["CELERY_TASK_ALWAYS_EAGER"],
        task_ignore_result=True,
        task_default_queue=queues["default"],
        task_queues=[Queue(name, routing_key=name) for name in queues.values()],
        # Routes are tried in order: the first pattern that matches a task's name wins.
        task_routes=[
            {pattern: {"queue": queues[kind], "routing_key": queues[kind]} for pattern, kind in ROUTES.items()}
        ],
        # A task is acknowledged after it ran; a killed worker's task is delivered again.
        # Tasks are written to be safe to run twice.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=_prefetch_multiplier(broker_url),
        timezone="Europe/Amsterdam",
        enable_utc=True,
        beat_schedule=beat_schedule(config.get("REMINDER_SCAN_SECONDS", 60)),
    )
    celery.set_default()
    flask_app.extensions["celery"] = celery

    @worker_process_init.connect(weak=False)
    def _fresh_database_connections(**_kwargs) -> None:
        # Pool processes are forked from the worker: never reuse the parent's connections.
        from crm.extensions import db

        with flask_app.app_context():
            db.engine.dispose(close=False)

    _observe_tasks(config.get("LOG_FORMAT", "text"))
    return celery


def queue_task(flask_app: Flask, name: str, *args: Any) -> None:
    """Queue the task ``name`` from the web process (an import, an export), through the Flask
    app's Celery app, made on first use; routed by name (``ROUTES``). In the tests Celery is
    eager (``CELERY_TASK_ALWAYS_EAGER``): the task runs at once, inside the request."""
    celery = flask_app.extensions.get("celery") or create_celery(flask_app)
    celery.tasks[name].apply_async(args)


_observing = False
task_log = logging.getLogger("tasks.run")
_tokens: dict[str, Any] = {}  # task id -> the log context to restore when it ends


def _observe_tasks(log_format: str) -> None:
    """Connect the signal handlers once per process (an app may be made more than once in tests)."""
    global _observing
    if _observing:
        return
    _observing = True

    @before_task_publish.connect(weak=False)
    def _carry_request_id(headers=None, **_kwargs) -> None:
        rid = logs.request_id.get()
        if rid and headers is not None and logs.TASK_HEADER not in headers:
            headers[logs.TASK_HEADER] = rid

    @task_prerun.connect(weak=False)
    def _start(task_id=None, task=None, **_kwargs) -> None:
        request = getattr(task, "request", None)
        carried = getattr(request, logs.TASK_HEADER, None) or (getattr(request, "headers", None) or {}).get(
            logs.TASK_HEADER
        )
        rid = carried or task_id
        if request is not None and getattr(request, "is_eager", False):
            rid = logs.request_id.get() or rid  # eager: inside the caller, keep its id
        token = logs.request_id.set(rid)
        if task_id:
            _tokens[task_id] = token
            metrics.task_started(task_id)
        task_log.debug(
            "Task %s[%s] started", getattr(task, "name", "?"), task_id, extra={"task": getattr(task, "name", "?")}
        )

    @task_postrun.connect(weak=False)
    def _finish(task_id=None, task=None, state=None, **_kwargs) -> None:
        if task_id and task is not None:
            seconds = metrics.task_finished(task_id, task.name, state)
            task_log.debug(
                "Task %s[%s] %s in %.3f s",
                task.name,
                task_id,
                state,
                seconds,
                extra={"task": task.name, "state": state or "", "duration_ms": round(seconds * 1000, 1)},
            )
        token = _tokens.pop(task_id, None) if task_id else None
        if token is not None:
            try:
                logs.request_id.reset(token)
            except ValueError:  # set in another context
                logs.request_id.set(None)

    @after_setup_logger.connect(weak=False)
    @after_setup_task_logger.connect(weak=False)
    def _our_format(logger=None, **_kwargs) -> None:
        if logger is not None:
            logs.format_handlers(logger, log_format)


def _transport_options(broker_url: str) -> dict:
    if not broker_url.startswith("sqla+"):
        return {}
    # The SQLite broker of the embedded default is polled: kombu sleeps ``polling_interval``
    # (1 s) whenever the queue is empty or the worker's prefetch is full, which would cap a
    # worker at a few tasks per second. Poll every 0.1 s instead. (kombu's SQLAlchemy
    # transport hands its transport options to create_engine, so this cannot go there.)
    from kombu.transport.sqlalchemy import Transport

    Transport.polling_interval = 0.1
    if not broker_url.startswith("sqla+sqlite:///"):
        return {}
    path = broker_url.removeprefix("sqla+sqlite:///")

    def connect() -> sqlite3.Connection:
        # Web, worker and beat share the broker file: wait for its lock instead of failing
        # (timeout), let readers and the writer work side by side (WAL), and do not wait for
        # the disk on every publish (synchronous=NORMAL: a power cut may lose the last queued
        # messages, never corrupt the file; the resend scan queues lost sends again).
        connection = sqlite3.connect(path, timeout=30, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    return {"creator": connect}


@worker_process_init.connect
def _forget_inherited_broker_connections(**_kwargs) -> None:
    """A forked pool process must not use the SQLite connections its parent opened (SQLite
    forbids carrying a connection across fork). kombu caches its engines on the class; drop
    the inherited pooled connections without closing them (SQLAlchemy's recipe for fork)."""
    from kombu.transport.sqlalchemy import Channel

    for engine, _session in list(Channel._engines.values()):
        engine.dispose(close=False)


def _prefetch_multiplier(broker_url: str) -> int:
    """How many messages a worker process reserves ahead. A few keep the pool busy while the
    main process talks to Redis; the polled SQLite broker fetches only between polls, so
    there a process takes up to 16 at once. Messages a killed worker held are queued again by
    the resend scan (crm.services.reminders), on either broker."""
    return 16 if broker_url.startswith("sqla+") else 4
