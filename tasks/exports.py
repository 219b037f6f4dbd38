"""Export jobs on the ``bulk`` queue (crm.services.export_jobs: what a job is and where it lives).

The request recorded what was asked and who asked; ``build_export`` loads that user again,
checks that they may still have this export, and builds the file with the export's own
service, reading from the replica when the installation has one (as the export view did).
The audit event is committed before the job says "done", so no file is handed out without it.

Safe to run twice: a finished job is left alone; a job found ``running`` (its worker died) is
simply built again (an export changes nothing but the Logboek, which then says it twice).
"""

from __future__ import annotations

import logging

from celery import shared_task

from crm.database import replica_reads
from crm.extensions import db
from crm.models import User
from crm.services import export_jobs
from crm.services.errors import PermissionDenied, ServiceError

log = logging.getLogger(__name__)


@shared_task
def build_export(owner_id: int, token: str) -> int | None:
    """Build export job ``token`` of user ``owner_id``; the number of rows, or None when it
    could not be made (the reason is in the job)."""
    job = export_jobs.configured_store().get_for_task(owner_id, token)
    if job is None:
        log.warning("Export %s of user %s is gone; nothing to do", token, owner_id)
        return None
    if job.done:
        return job.meta["rows"]
    actor = db.session.get(User, owner_id)
    if actor is None or not actor.active or not export_jobs.may_ask(actor, job.meta["kind"]):
        db.session.rollback()
        job.failed("not_allowed")
        return None
    job.running()
    try:
        with replica_reads():
            result = export_jobs.build(actor, job)
        try:
            job.store_file(result.file)
        finally:
            result.file.close()
        db.session.commit()  # the export's audit event
    except (PermissionDenied, ServiceError) as error:
        db.session.rollback()
        job.failed(str(error) or "not_allowed")
        return None
    except BaseException:
        db.session.rollback()
        job.failed("server_error")
        raise
    job.finish(result)
    return result.rows
