"""Exports as jobs: asked for in the browser, built by a worker on the ``bulk`` queue
(tasks/exports.py), fetched from a page that says "bezig" and then offers the file.

At national size (100,000 employers) a whole export takes longer than a web request may. So
the request only records what is asked (the kind of export, its filters, the format, who asks
and from which address) and queues the job; the worker loads that user again and builds the
file with exactly the service the request used to call (``employer_list.export``: the same
rules, the same audit event), in the job's folder.

A job is a folder, not a row (crm.lib.job_folders, as the imports in progress): under
``EXPORT_FOLDER`` (``CRM_EXPORT_DIR``, default ``instance/exports``; storage that web and
worker share when they run on different machines), one folder per user, one per job, named by
a random token: ``meta.json`` and the file. Only the user who asked reaches it
(``permissions.can_view_export``; anyone else gets a 404). Jobs are removed
``EXPORT_KEEP_HOURS`` after they were last touched (``ExportStore.sweep``: on every new export,
and hourly by ``tasks.housekeeping.purge_expired_files``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _

from crm import permissions
from crm.i18n import lazy_gettext as _l
from crm.lib.job_folders import DONE, QUEUED, RUNNING, TOKEN, JobFolder, new_folder, read_meta, remove_old
from crm.lib.spreadsheets import ExportFile
from crm.models import User
from crm.models.base import utcnow
from crm.services import employer_list
from crm.services.errors import ServiceError

FAILED = "failed"
PROGRESS_EVERY = employer_list.EXPORT_BATCH  # rows between two progress reports
EMPLOYERS = "werkgevers"  # the kinds of export that run as jobs

# Why a job made no file, by code (``ExportJob.failed``): kept as the code, so the user reads it
# in their own language (a ServiceError's message is kept as its text).
FAILURES = {
    "not_allowed": _l("U mag deze export niet (meer) maken."),
    "server_error": _l("De export is mislukt door een fout op de server. Probeer het opnieuw."),
    "not_queued": _l("De export kon niet worden gestart. Probeer het over een paar minuten opnieuw."),
}


def failure_text(error: str | None) -> str:
    """The message for a failed job's ``error``: a code of ``FAILURES``, or a message as such."""
    return str(FAILURES.get(error or "", error or ""))


class ExportJob(JobFolder):
    """One export: ``meta.json`` (owner, kind, format, parameters, state, rows so far) and,
    when done, ``export.<format>``."""

    @property
    def state(self) -> str:
        return self.meta["state"]

    def file_path(self) -> Path:
        return self.folder / f"export.{self.meta['format']}"

    def running(self) -> None:
        self.meta.update(state=RUNNING, started_at=utcnow().isoformat(), rows=0, error=None)
        self.save_meta()

    def progress(self, rows: int) -> None:
        self.meta["rows"] = rows
        self.save_meta()

    def store_file(self, source: IO[bytes]) -> None:
        """The built file into the job's folder (complete or not at all)."""
        temporary = self.folder / ".export.tmp"
        with temporary.open("wb") as target:
            shutil.copyfileobj(source, target)
        os.replace(temporary, self.file_path())

    def finish(self, result: ExportFile) -> None:
        self.meta.update(
            state=DONE,
            finished_at=utcnow().isoformat(),
            rows=result.rows,
            download_name=result.filename,
            mimetype=result.mimetype,
        )
        self.save_meta()

    def failed(self, message: str) -> None:
        self.file_path().unlink(missing_ok=True)
        self.meta.update(state=FAILED, finished_at=utcnow().isoformat(), error=message)
        self.save_meta()


class ExportStore:
    """The folder of export jobs, one sub-folder per user."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def create(self, owner: User, kind: str, fmt: str, params: dict[str, Any], ip_address: str = "") -> ExportJob:
        job = ExportJob(
            new_folder(self.root / str(owner.id)),
            {
                "owner_id": owner.id,
                "kind": kind,
                "format": fmt,
                "params": params,
                "ip_address": ip_address,
                "state": QUEUED,
                "created_at": utcnow().isoformat(),
                "rows": None,
            },
        )
        job.save_meta()
        return job

    def get_for_task(self, owner_id: int, token: str) -> ExportJob | None:
        """The job, for the worker (which checks the user itself); None when malformed or gone."""
        if not TOKEN.fullmatch(token or ""):
            return None
        folder = self.root / str(int(owner_id)) / token
        meta = read_meta(folder)
        if meta is None or meta.get("owner_id") != owner_id:
            return None
        return ExportJob(folder, meta)

    def get(self, token: str, user: User) -> ExportJob | None:
        """The job with this token if ``user`` may see it (``permissions.can_view_export``: the
        one who asked for it); None for someone else's, a malformed token or a gone job."""
        job = self.get_for_task(user.id, token)
        if job is None or not permissions.can_view_export(user, job.meta.get("owner_id")):
            return None
        return job

    def sweep(self, max_age: int) -> int:
        """Remove jobs left alone longer than ``max_age`` seconds; returns how many."""
        if not self.root.is_dir():
            return 0
        jobs = (
            folder
            for user_folder in self.root.iterdir()
            if user_folder.is_dir() and user_folder.name.isdigit()
            for folder in user_folder.iterdir()
            if folder.is_dir() and TOKEN.fullmatch(folder.name)
        )
        return remove_old(jobs, max_age)


def configured_store() -> ExportStore:
    """The installation's store (``EXPORT_FOLDER``, else ``instance/exports``): web and worker alike."""
    folder = current_app.config.get("EXPORT_FOLDER") or Path(current_app.instance_path) / "exports"
    return ExportStore(Path(folder))


def keep_seconds() -> int:
    """How long a finished export stays (``EXPORT_KEEP_HOURS``)."""
    return int(current_app.config.get("EXPORT_KEEP_HOURS", 24)) * 3600


# --- what a job builds ------------------------------------------------------------------------


def employer_params(filters: employer_list.EmployerFilters) -> dict[str, Any]:
    """The employer list's filters as the job keeps them (plain JSON values)."""
    return asdict(filters)


def _employers(actor: User, job: ExportJob, progress: Callable[[int], None]) -> ExportFile:
    filters = employer_list.EmployerFilters(**job.meta["params"])
    return employer_list.export(
        actor, filters, job.meta["format"], ip_address=job.meta.get("ip_address", ""), progress=progress
    )


BUILDERS: dict[str, Callable[[User, ExportJob, Callable[[int], None]], ExportFile]] = {EMPLOYERS: _employers}


def may_ask(actor: User, kind: str) -> bool:
    """May ``actor`` (still) have an export of this kind? (The rules of the exports themselves.)"""
    if kind == EMPLOYERS:
        return permissions.can_export_employers(actor)
    return False


def build(actor: User, job: ExportJob) -> ExportFile:
    """Build the job's file as ``actor``, with the export's own service (which checks, audits
    and flushes); the rows written so far go to the job as it goes. The caller commits."""
    builder = BUILDERS.get(job.meta["kind"])
    if builder is None:
        raise ServiceError(_("Deze export bestaat niet."))
    return builder(actor, job, job.progress)
