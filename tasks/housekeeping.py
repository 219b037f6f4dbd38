"""Nightly housekeeping."""

from datetime import datetime, timedelta

from celery import current_app as current_celery
from celery import shared_task
from sqlalchemy import create_engine, text

from crm.extensions import db
from crm.services import export_jobs, imports
from crm.services.notifications import purge_read


@shared_task
def purge_read_notifications() -> int:
    removed = purge_read()
    db.session.commit()
    return removed


@shared_task
def purge_consumed_broker_messages(older_than_hours: int = 24) -> int:
    """The SQLite broker of the embedded default (kombu's SQLAlchemy transport) keeps every
    message it handed out, marked invisible; without this its file grows forever. Messages
    handed out more than a day ago are done (or lost with a killed worker, and then queued
    again by the resend scan). Nothing to do on Redis."""
    url = current_celery.conf.broker_url or ""
    if not url.startswith("sqla+"):
        return 0
    cutoff = datetime.now() - timedelta(hours=older_than_hours)  # noqa: DTZ005 - kombu stores local naive time
    engine = create_engine(url.removeprefix("sqla+"), connect_args={"timeout": 30} if "sqlite" in url else {})
    try:
        with engine.begin() as connection:
            result = connection.execute(
                text("DELETE FROM kombu_message WHERE visible = :no AND timestamp < :cutoff"),
                {"no": False, "cutoff": cutoff},
            )
            return result.rowcount
    finally:
        engine.dispose()


@shared_task
def purge_expired_files() -> int:
    """Hourly: remove export jobs older than ``EXPORT_KEEP_HOURS`` and imports left alone for a
    day (both are also swept when someone starts a new one). Returns how many folders went."""
    removed = export_jobs.configured_store().sweep(export_jobs.keep_seconds())
    return removed + imports.configured_store().sweep()
