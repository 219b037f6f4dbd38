"""Every task lands on its queue (tasks/celery_app.py): mail, bulk (imports, exports),
housekeeping; beat's schedule included. A real worker on one queue: tests/worker/test_queue_isolation.py."""

from __future__ import annotations

import pytest

from tasks.celery_app import create_celery, queue_names
from tasks.schedule import beat_schedule

EXPECTED = {
    "tasks.reminders.scan_reminders": "mail",
    "tasks.reminders.resend_pending": "mail",
    "tasks.reminders.send_deliveries": "mail",
    "tasks.reminders.send_digests": "mail",
    "tasks.reminders.send_partner_contacts": "mail",
    "tasks.reminders.renew_prefetched_leases": "mail",  # called in the worker, never queued
    "tasks.reminders.follow_up_quiet_employers": "housekeeping",
    "tasks.privacy.anonymise_expired_participants": "housekeeping",
    "tasks.housekeeping.purge_read_notifications": "housekeeping",
    "tasks.housekeeping.purge_consumed_broker_messages": "housekeeping",
    "tasks.housekeeping.purge_expired_files": "housekeeping",
    "tasks.imports.run_import": "bulk",
    "tasks.imports.any_future_import": "bulk",
    "tasks.exports.build_export": "bulk",
    "tasks.exports.any_future_export": "bulk",
}


@pytest.fixture
def celery(app):
    return create_celery(app)


def queue_of(celery, name: str) -> str:
    return celery.amqp.router.route({}, name)["queue"].name


def test_every_registered_task_has_a_queue_of_its_kind(celery):
    celery.loader.import_default_modules()  # every module of TASK_MODULES, as a worker imports them
    base = celery.conf.task_default_queue
    registered = {name for name in celery.tasks if name.startswith("tasks.")}
    assert registered <= set(EXPECTED), f"a new task needs its queue in ROUTES and here: {registered - set(EXPECTED)}"
    for name, kind in EXPECTED.items():
        assert queue_of(celery, name) == f"{base}.{kind}", name


def test_beat_sends_each_scheduled_job_to_its_queue(celery):
    for entry in beat_schedule().values():
        assert queue_of(celery, entry["task"]) == f"{celery.conf.task_default_queue}.{EXPECTED[entry['task']]}"


def test_a_worker_without_q_consumes_every_queue(celery):
    base = celery.conf.task_default_queue
    assert {queue.name for queue in celery.conf.task_queues} == set(queue_names(base).values())
    assert set(queue_names(base).values()) == {base, f"{base}.mail", f"{base}.bulk", f"{base}.housekeeping"}


def test_installations_sharing_a_broker_keep_their_queues_apart(app):
    saved = app.config["CELERY_QUEUE"]
    app.config["CELERY_QUEUE"] = "regio-twente"
    try:
        celery = create_celery(app)
        assert queue_of(celery, "tasks.reminders.send_deliveries") == "regio-twente.mail"
    finally:
        app.config["CELERY_QUEUE"] = saved
        create_celery(app)


def test_a_task_queued_during_a_request_carries_its_request_id(app):
    """The publishing side of the request id (before_task_publish): the message a request
    queues has the id in its headers; the worker side is in tests/worker/test_queue_isolation.py."""
    from crm.observability import logs

    saved = app.config["CELERY_TASK_ALWAYS_EAGER"], app.config["CELERY_BROKER_URL"]
    app.config.update(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL="memory://")
    try:
        celery = create_celery(app)
        token = logs.request_id.set("req-publish")
        try:
            celery.send_task("tasks.housekeeping.purge_read_notifications")
        finally:
            logs.request_id.reset(token)
        celery.send_task("tasks.housekeeping.purge_read_notifications")  # outside a request: no id
        queue = f"{celery.conf.task_default_queue}.housekeeping"
        with celery.connection_for_read() as connection:
            simple = connection.SimpleQueue(queue)
            first, second = simple.get(timeout=2), simple.get(timeout=2)
            simple.close()
    finally:
        app.config.update(CELERY_TASK_ALWAYS_EAGER=saved[0], CELERY_BROKER_URL=saved[1])
        create_celery(app)
    assert first.headers["crm_request_id"] == "req-publish"
    assert "crm_request_id" not in second.headers


@pytest.mark.parametrize(
    ("name", "args"),
    [("tasks.imports.run_import", ("0" * 32, 7)), ("tasks.exports.build_export", (7, "0" * 32))],
)
def test_the_web_queues_imports_and_exports_on_the_bulk_queue(app, name, args):
    """What the confirm step and the export buttons send (``queue_task``) lands on the bulk
    queue, with the token and the acting user's id; a real worker: tests/worker/test_queue_isolation.py."""
    from tasks.celery_app import queue_task

    saved = app.config["CELERY_TASK_ALWAYS_EAGER"], app.config["CELERY_BROKER_URL"]
    app.config.update(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL="memory://")
    try:
        celery = create_celery(app)
        queue_task(app, name, *args)
        with celery.connection_for_read() as connection:
            simple = connection.SimpleQueue(f"{celery.conf.task_default_queue}.bulk")
            message = simple.get(timeout=2)
            simple.close()
    finally:
        app.config.update(CELERY_TASK_ALWAYS_EAGER=saved[0], CELERY_BROKER_URL=saved[1])
        create_celery(app)
    assert message.headers["task"] == name
    assert tuple(message.payload[0]) == args
