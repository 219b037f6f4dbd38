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
    "tasks.reminders.follow_up_quiet_employers": "housekeeping",
    "tasks.privacy.anonymise_expired_participants": "housekeeping",
    "tasks.housekeeping.purge_read_notifications": "housekeeping",
    "tasks.housekeeping.purge_consumed_broker_messages": "housekeeping",
    "tasks.imports.any_future_import": "bulk",
    "tasks.exports.any_future_export": "bulk",
}


@pytest.fixture
def celery(app):
    return create_celery(app)


def queue_of(celery, name: str) -> str:
    return celery.amqp.router.route({}, name)["queue"].name


def test_every_registered_task_has_a_queue_of_its_kind(celery):
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
