"""Nightly housekeeping."""

from celery import shared_task

from crm.extensions import db
from crm.services.notifications import purge_read


@shared_task
def purge_read_notifications() -> int:
    removed = purge_read()
    db.session.commit()
    return removed
