"""What every blueprint's views share: htmx detection and redirects, the first error of a form, a safe
redirect target, links that keep a list's filters, a cleaned search term and starting an export
job (its page is the exports blueprint's). One home, so the blueprints need not import each other."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from flask import current_app, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from crm.extensions import db
from crm.services import export_jobs
from tasks import exports as export_tasks
from tasks.celery_app import queue_task


def is_htmx() -> bool:
    """The request comes from htmx (it wants a fragment, not a page)."""
    return request.headers.get("HX-Request") == "true"


def go_to(target: str) -> Response:
    """Send the browser to ``target``: a redirect, or for htmx (a polled fragment) an empty
    answer with ``HX-Redirect``, so that the whole page changes, not the fragment."""
    if not is_htmx():
        return redirect(target)
    response = make_response("")
    response.headers["HX-Redirect"] = target
    return response


def first_error(form) -> str:
    """The first message of a refused form, for a flash or an htmx answer."""
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return _("Controleer de gemarkeerde velden.")


def safe_next(target: str | None) -> str:
    """Only a local path is an acceptable redirect target (after sign-in, after an action)."""
    if not target:
        return url_for("worklist.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("worklist.index")
    return target


def filter_links(params: Iterable[str]) -> Callable[..., dict]:
    """``list_args(**changes)`` for templates: this request's filters (only the ones set, only
    ``params``) with ``changes`` applied, for links and forms that keep the filters (pages,
    sorting, export)."""
    current = {name: request.args[name] for name in params if request.args.get(name)}

    def list_args(**changes) -> dict:
        args = {**current, **changes}
        return {key: value for key, value in args.items() if value not in (None, "")}

    return list_args


def clean_term(value: str | None, limit: int = 100) -> str:
    """A search term as a search box may use it: NFKC, without control and format characters
    (PostgreSQL refuses a NUL in a text parameter; a zero-width space is invisible), single
    spaces, at most ``limit`` characters."""
    value = unicodedata.normalize("NFKC", value or "")
    value = "".join(c for c in value if c.isspace() or unicodedata.category(c) not in ("Cc", "Cf"))
    return " ".join(value.split())[:limit]


def search_term(name: str = "q", limit: int = 100) -> str:
    """This request's search box (``?q=``), cleaned (``clean_term``)."""
    return clean_term(request.args.get(name), limit)


def start_export(kind: str, fmt: str, params: dict) -> export_jobs.ExportJob:
    """Record an export of ``kind`` for the signed-in user and queue it on the bulk queue
    (the caller has checked that the user may have it). Old jobs are swept first."""
    store = export_jobs.configured_store()
    store.sweep(export_jobs.keep_seconds())
    job = store.create(current_user, kind, fmt, params, ip_address=request.remote_addr or "")
    db.session.rollback()  # only read: no transaction stays open while the job runs (eagerly in tests)
    try:
        queue_task(current_app._get_current_object(), export_tasks.build_export.name, current_user.id, job.token)  # type: ignore[attr-defined]
    except Exception:
        current_app.logger.exception("Queueing export %s failed", job.token)
        job.failed("not_queued")
    return job
