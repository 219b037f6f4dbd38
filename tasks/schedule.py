"""The beat schedule, in Europe/Amsterdam time (the Celery app's timezone).

Only one beat process may run per installation (a second one does no harm to the reminders,
whose rows are unique, but would run every other job twice).
"""

from __future__ import annotations

from datetime import timedelta

from celery.schedules import crontab


def beat_schedule(scan_seconds: int = 60) -> dict:
    """``scan_seconds``: how often the reminder scan and the resend run (``CRM_REMINDER_SCAN_SECONDS``)."""
    return {
        "scan-reminders": {
            "task": "tasks.reminders.scan_reminders",
            "schedule": timedelta(seconds=scan_seconds),
        },
        "resend-pending": {
            "task": "tasks.reminders.resend_pending",
            "schedule": timedelta(seconds=scan_seconds),
        },
        "partner-contacts": {
            "task": "tasks.reminders.send_partner_contacts",
            "schedule": crontab(minute="*/15"),
        },
        # Mon-Fri at 07:30; the task itself skips Dutch public holidays.
        "daily-digest": {
            "task": "tasks.reminders.send_digests",
            "schedule": crontab(hour=7, minute=30, day_of_week="mon-fri"),
        },
        "quiet-employers": {
            "task": "tasks.reminders.follow_up_quiet_employers",
            "schedule": crontab(hour=2, minute=30),
        },
        "anonymise-expired-participants": {
            "task": "tasks.privacy.anonymise_expired_participants",
            "schedule": crontab(hour=2, minute=45),
        },
        "purge-read-notifications": {
            "task": "tasks.housekeeping.purge_read_notifications",
            "schedule": crontab(hour=3, minute=15),
        },
        "purge-expired-files": {
            "task": "tasks.housekeeping.purge_expired_files",
            "schedule": crontab(minute=20),
        },
        "purge-consumed-broker-messages": {
            "task": "tasks.housekeeping.purge_consumed_broker_messages",
            "schedule": crontab(hour=3, minute=45),
        },
    }
