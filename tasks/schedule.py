"""The beat schedule, in Europe/Amsterdam time (the Celery app's timezone).

Only one beat process may run per installation.
"""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "purge-read-notifications": {
        "task": "tasks.housekeeping.purge_read_notifications",
        "schedule": crontab(hour=3, minute=15),
    },
}
