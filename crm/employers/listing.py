"""The employer list: search, filters, sorting, pagination, export.

Employers are shared with every user (DESIGN.md), so any signed-in user sees the list and
may export it (``permissions.can_export_employers``). The filters live in the URL. An export is
a job on the bulk queue (crm.services.export_jobs): the buttons post the list's filters, and
the user waits on the job's page for the file.
"""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from crm import permissions
from crm.employers.blueprint import bp
from crm.employers.list_forms import FILTER_PARAMS, SORT_LABELS, EmployerFilterForm
from crm.i18n import format_integer
from crm.labels import EMPLOYER_STATUS_LABELS
from crm.models.base import utcnow
from crm.services import employer_choices, employer_list, export_jobs, quiet_employers
from crm.view_helpers import filter_links, start_export


def _filter_form() -> tuple[EmployerFilterForm, employer_choices.FilterChoices]:
    options = employer_choices.filter_choices()
    form = EmployerFilterForm(formdata=request.args)
    form.set_choices(options)
    return form, options


@bp.route("/werkgevers")
@login_required
def index():
    form, _options = _filter_form()
    filters = form.filters()
    now = utcnow()
    page = employer_list.list_page(
        current_user,
        filters,
        page=request.args.get("pagina", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
        now=now,
    )
    return render_template(
        "employers/list.html",
        form=form,
        filters=filters,
        page=page,
        total_display=format_integer(page.total),
        stale_before=quiet_employers.quiet_before(now),
        sort_labels=SORT_LABELS,
        status_labels={code: str(label) for code, label in EMPLOYER_STATUS_LABELS.items()},
        list_args=filter_links(FILTER_PARAMS),
    )


@bp.route("/werkgevers/export", methods=["POST"])
@login_required
def export():
    """Queue the whole filtered list as an export job (the filters in the query string, as on
    the list; the format from the button) and send the user to the job's page."""
    permissions.require(permissions.can_export_employers(current_user))
    fmt = request.form.get("formaat") or request.args.get("formaat", "csv")
    if fmt not in employer_list.EXPORT_FORMATS:
        abort(404)
    form, _options = _filter_form()
    job = start_export(export_jobs.EMPLOYERS, fmt, export_jobs.employer_params(form.filters()))
    return redirect(url_for("exports.job", token=job.token))
