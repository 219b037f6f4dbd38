"""Export jobs: the page of one export (busy, then the download link), its polled fragment and
its file. A page that asks for an export (the employer list) records and queues the job with
``crm.view_helpers.start_export`` and sends the user here. Only the user who asked reaches a
job; anyone else gets a 404.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, abort, render_template, send_file, url_for
from flask_login import current_user, login_required

from crm.services import export_jobs
from crm.view_helpers import go_to

bp = Blueprint("exports", __name__)


def _load(token: str) -> export_jobs.ExportJob:
    job = export_jobs.configured_store().get(token, current_user)
    if job is None:
        abort(404)
    return job


def _moment(job: export_jobs.ExportJob, *keys: str) -> datetime | None:
    for key in keys:
        if job.meta.get(key):
            return datetime.fromisoformat(job.meta[key])
    return None


def _context(job: export_jobs.ExportJob) -> dict:
    finished = _moment(job, "finished_at")
    return {
        "job": job,
        "since": _moment(job, "started_at", "created_at"),
        "kept_until": finished + timedelta(seconds=export_jobs.keep_seconds()) if finished else None,
        "keep_hours": export_jobs.keep_seconds() // 3600,
        "failure": export_jobs.failure_text(job.meta.get("error")),
    }


@bp.route("/exporten/<token>")
@login_required
def job(token: str):
    return render_template("exports/job.html", **_context(_load(token)))


@bp.route("/exporten/<token>/voortgang")
@login_required
def progress(token: str):
    """The "bezig" fragment, polled by the job's page; once the job is no longer busy, htmx is
    sent to the page (which then offers the file or says what went wrong)."""
    job = _load(token)
    if job.busy:
        return render_template("exports/_progress.html", **_context(job))
    target = url_for("exports.job", token=token)
    return go_to(target)


@bp.route("/exporten/<token>/bestand")
@login_required
def download(token: str):
    job = _load(token)
    if not job.done or not job.file_path().is_file():
        abort(404)
    return send_file(
        job.file_path(),
        mimetype=job.meta["mimetype"],
        as_attachment=True,
        download_name=job.meta["download_name"],
        max_age=0,
    )
