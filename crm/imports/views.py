"""Importing employers from CSV and XLSX: upload, column mapping, preview, confirm, report.

The steps share one import in progress, kept on the server (``crm.services.imports.ImportStore``)
under a random token; only its owner can reach it. Nothing reaches the database before the
confirmation, which queues the import on the ``bulk`` queue (tasks/imports.py: all valid rows
in one transaction, in a worker, so a national file never runs against the web server's
timeout). Meanwhile the result page says "bezig", with the rows checked so far, polling a small
fragment (htmx) or refreshed by hand.
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass
from datetime import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm import permissions
from crm.extensions import db
from crm.imports.forms import ConfirmForm, UploadForm, mapping_form
from crm.lib.paging import PageNumbers
from crm.services import imports
from crm.view_helpers import go_to
from tasks import imports as import_tasks
from tasks.celery_app import queue_task

bp = Blueprint("imports", __name__)

PREVIEW_PAGE_SIZE = 50
SHOW = {"alle": None, "fouten": imports.ERROR, "dubbel": imports.DUPLICATE, "goed": imports.OK}


def _store() -> imports.ImportStore:
    return imports.configured_store()


def _require_import() -> None:
    permissions.require(
        permissions.can_import_employers(current_user),
        _("Alleen coördinatoren en beheerders kunnen werkgevers importeren."),
    )


def _load(token: str) -> imports.StoredImport:
    _require_import()
    stored = _store().get(token, current_user)
    if stored is None:
        abort(404)
    return stored


@bp.route("/werkgevers/import", methods=["GET", "POST"])
@login_required
def upload():
    _require_import()
    form = UploadForm()
    if form.validate_on_submit():
        file_name = imports.display_file_name(form.file.data.filename)
        with form.file.data.stream as upload:  # an upload over 500 kB is a temporary file: close it now
            data = upload.read()
        try:
            table = imports.read_table(
                file_name,
                data,
                max_rows=current_app.config.get("IMPORT_MAX_ROWS", imports.MAX_ROWS),
                max_columns=current_app.config.get("IMPORT_MAX_COLUMNS", imports.MAX_COLUMNS),
                max_cells=current_app.config.get("IMPORT_MAX_CELLS", imports.MAX_CELLS),
            )
        except imports.ImportFileError as error:
            form.file.errors.append(str(error))
        else:
            store = _store()
            store.sweep()
            stored = store.create(current_user, file_name, table, imports.guess_mapping(table.headers))
            return redirect(url_for("imports.mapping", token=stored.token))
    return render_template(
        "imports/upload.html",
        form=form,
        fields=imports.FIELDS,
        max_rows=current_app.config.get("IMPORT_MAX_ROWS", imports.MAX_ROWS),
        max_mb=round((current_app.config.get("MAX_CONTENT_LENGTH") or 0) / 1024 / 1024) or "—",
    )


@bp.route("/werkgevers/import/<token>/kolommen", methods=["GET", "POST"])
@login_required
def mapping(token: str):
    stored = _load(token)
    if stored.done or stored.busy:
        return redirect(url_for("imports.result", token=token))
    table = stored.table()
    users = imports.eligible_contactpersonen()
    default = stored.meta.get("contactpersoon_id")
    if default is None and any(u.id == current_user.id for u in users):
        default = current_user.id
    form = mapping_form(table.headers, users, stored.mapping, default)
    if form.validate_on_submit():
        stored.meta.update(
            mapping=form.mapping(), contactpersoon_id=form.contactpersoon_id.data or None, state="checked"
        )
        check = imports.check_rows(table, stored.mapping, stored.meta["contactpersoon_id"])
        db.session.rollback()  # only read; end the transaction now
        stored.save_preview(check)
        stored.save_known(check)
        stored.save_meta()
        return redirect(url_for("imports.preview", token=token))
    samples = [cells for _number, cells in table.rows[:3]]
    return render_template(
        "imports/mapping.html", form=form, stored=stored, table=table, samples=samples, fields=imports.FIELDS
    )


@dataclass
class ListPage(PageNumbers):
    """A page of an in-memory list, shaped like Flask-SQLAlchemy's pagination for the pager macro."""

    items: list
    page: int
    per_page: int
    total: int


@bp.route("/werkgevers/import/<token>/controle")
@login_required
def preview(token: str):
    stored = _load(token)
    if stored.done or stored.busy:
        return redirect(url_for("imports.result", token=token))
    checked = stored.preview()
    if checked is None:
        return redirect(url_for("imports.mapping", token=token))
    show = request.args.get("toon", "alle")
    if show not in SHOW:
        show = "alle"
    rows = checked["rows"] if SHOW[show] is None else [r for r in checked["rows"] if r["status"] == SHOW[show]]
    number = max(1, request.args.get("pagina", 1, type=int))
    pages = max(1, math.ceil(len(rows) / PREVIEW_PAGE_SIZE))
    number = min(number, pages)
    start = (number - 1) * PREVIEW_PAGE_SIZE
    page = ListPage(rows[start : start + PREVIEW_PAGE_SIZE], number, PREVIEW_PAGE_SIZE, len(rows))
    return render_template(
        "imports/preview.html",
        stored=stored,
        totals=checked["totals"],
        page=page,
        show=show,
        form=ConfirmForm(),
    )


@bp.route("/werkgevers/import/<token>/bevestigen", methods=["POST"])
@login_required
def confirm(token: str):
    stored = _load(token)
    if stored.done or stored.busy:
        return redirect(url_for("imports.result", token=token))
    if stored.preview() is None:
        return redirect(url_for("imports.mapping", token=token))
    if not stored.claim():
        flash(_("Deze import wordt al uitgevoerd."), "warning")
        return redirect(url_for("imports.preview", token=token))
    stored.queued(current_user)
    db.session.rollback()  # only read: no transaction stays open while the task runs
    try:
        queue_task(current_app._get_current_object(), import_tasks.run_import.name, token, current_user.id)  # type: ignore[attr-defined]
    except Exception:
        current_app.logger.exception("Queueing import %s failed", token)
        stored.failed("not_queued")
    return redirect(url_for("imports.result", token=token))


def _outcome(stored: imports.StoredImport) -> str | None:
    """Where a page about an import that is no longer busy goes: its result, or (a failed run)
    back to the column mapping with the reason, shown once."""
    if stored.done:
        return None
    error = stored.meta.get("error")
    if error:
        stored.meta["error"] = None
        stored.save_meta()
        flash(imports.failure_text(error), "danger")
        return url_for("imports.mapping", token=stored.token)
    return url_for("imports.preview", token=stored.token)


def _running_since(stored: imports.StoredImport) -> datetime | None:
    moment = stored.meta.get("started_at") or stored.meta.get("queued_at")
    return datetime.fromisoformat(moment) if moment else None


@bp.route("/werkgevers/import/<token>/resultaat")
@login_required
def result(token: str):
    stored = _load(token)
    if stored.busy:
        return render_template("imports/running.html", stored=stored, since=_running_since(stored))
    elsewhere = _outcome(stored)
    if elsewhere:
        return redirect(elsewhere)
    if stored.meta.get("announce"):  # the first view of the result after the run: say it is done
        stored.meta["announce"] = False
        stored.save_meta()
        flash(_("De import is klaar: %(n)s werkgevers aangemaakt.", n=stored.meta["result"]["created"]), "success")
    return render_template("imports/result.html", stored=stored, result=stored.meta["result"])


@bp.route("/werkgevers/import/<token>/voortgang")
@login_required
def progress(token: str):
    """The "bezig" fragment, polled by the result page; when the import is no longer busy, htmx
    is sent to the result (or back to the mapping with the reason)."""
    stored = _load(token)
    if stored.busy:
        return render_template("imports/_progress.html", stored=stored, since=_running_since(stored))
    target = url_for("imports.result", token=token)
    return go_to(target)


@bp.route("/werkgevers/import/<token>/afgewezen.csv")
@login_required
def report(token: str):
    stored = _load(token)
    if not stored.done or not stored.report_path().is_file():
        abort(404)
    stem = os.path.splitext(stored.file_name)[0] or "import"
    return send_file(
        io.BytesIO(stored.report_path().read_bytes()),
        mimetype="text/csv",
        as_attachment=True,
        download_name=f"{stem}-afgewezen.csv",
        max_age=0,
    )


@bp.route("/werkgevers/import/<token>/annuleren", methods=["POST"])
@login_required
def cancel(token: str):
    stored = _load(token)
    if not stored.done and not stored.claim():
        flash(_("Deze import wordt al uitgevoerd en kan niet meer worden geannuleerd."), "warning")
        return redirect(url_for("imports.preview", token=token))
    was_done = stored.done
    stored.delete()
    if was_done:
        flash(_("Het importverslag is verwijderd."), "info")
    else:
        flash(_("De import is geannuleerd; er is niets opgeslagen."), "info")
    return redirect(url_for("imports.upload"))
