"""The employer import, confirmed in the browser, run on the ``bulk`` queue.

A national file (10,000 rows and more) takes longer than a web request may: the confirm step
claims the stored import (``StoredImport.claim``, so a double submit queues nothing), marks it
``queued`` and queues ``run_import`` with the token and the acting user's id. The task works
in the import's folder (``CRM_IMPORT_DIR``: storage that web and worker share) and never
trusts the request: it loads the user again and runs the import as that user, as the view
did before. The outcome goes to the folder; the result page polls it.

Safe to run twice: a second delivery of a finished import does nothing, and one that finds
the import ``running`` (its first worker died during the run, perhaps after the commit) does
not import again but tells the user to look before trying again.
"""

from __future__ import annotations

import logging

from celery import shared_task
from sqlalchemy.exc import IntegrityError

from crm import permissions
from crm.extensions import db
from crm.models import User
from crm.services import imports
from crm.services.errors import ServiceError

log = logging.getLogger(__name__)


@shared_task
def run_import(token: str, user_id: int) -> int | None:
    """Import the stored import ``token`` as user ``user_id``; the number of employers created,
    or None when nothing was imported (the reason is in the import's folder)."""
    stored = imports.configured_store().get_for_task(token)
    if stored is None:
        log.warning("Import %s is gone; nothing to do", token)
        return None
    if stored.done:
        return stored.meta["result"]["created"]
    if stored.meta.get("state") == imports.RUNNING:
        stored.failed("interrupted")
        return None
    if stored.meta.get("state") != imports.QUEUED:
        return None
    actor = db.session.get(User, user_id)
    if (
        actor is None
        or actor.id != stored.meta.get("owner_id")
        or not actor.active
        or not permissions.can_import_employers(actor)
    ):
        db.session.rollback()
        stored.failed("not_allowed")
        return None
    stored.running()
    try:
        table = stored.table()
        result = imports.import_employers(
            actor,
            table,
            stored.mapping,
            default_contactpersoon_id=stored.meta.get("contactpersoon_id"),
            file_name=stored.file_name,
            known=stored.known(),
            progress=stored.progress,
        )
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        stored.failed(str(error))
        return None
    except IntegrityError:
        db.session.rollback()
        stored.failed("kvk_race")
        return None
    except BaseException:
        db.session.rollback()
        stored.failed("server_error")
        raise
    stored.finish(result, imports.rejected_report(table, result.check))
    return result.created
