"""The Celery app, bound to a Flask app: every task runs inside that app's context."""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask

from tasks.schedule import BEAT_SCHEDULE

TASK_MODULES = ["tasks.housekeeping"]


def create_celery(flask_app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with flask_app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(flask_app.import_name, task_cls=FlaskTask, include=TASK_MODULES)
    celery.conf.update(
        broker_url=flask_app.config["CELERY_BROKER_URL"],
        broker_connection_retry_on_startup=True,
        task_always_eager=flask_app.config["CELERY_TASK_ALWAYS_EAGER"],
        task_ignore_result=True,
        # A task is acknowledged after it ran; a killed worker's task is delivered again.
        # Tasks are written to be safe to run twice.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        timezone="Europe/Amsterdam",
        enable_utc=True,
        beat_schedule=BEAT_SCHEDULE,
    )
    celery.set_default()
    flask_app.extensions["celery"] = celery
    return celery
