"""The employer list: search, filters, sorting, pagination, export.

Employers are shared with every user (DESIGN.md), so any signed-in user sees the list and
may export it (``permissions.can_export_employers``). The filters live in the URL.
"""

from __future__ import annotations

from flask import abort, current_app, render_template, request, send_file
from flask_babel import format_decimal
from flask_login import current_user, login_required

from crm import permissions
from crm.database import reads_from_replica
from crm.employers.blueprint import bp
from crm.employers.list_forms import FILTER_PARAMS, SORT_LABELS, EmployerFilterForm
from crm.extensions import db
from crm.labels import EMPLOYER_STATUS_LABELS
from crm.models.base import utcnow
from crm.services import employer_list, quiet_employers
from crm.view_helpers import filter_links


def _filter_form() -> tuple[EmployerFilterForm, employer_list.FilterChoices]:
    options = employer_list.filter_choices()
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
        total_display=format_decimal(page.total),
        stale_before=quiet_employers.quiet_before(now),
        sort_labels=SORT_LABELS,
        status_labels={code: str(label) for code, label in EMPLOYER_STATUS_LABELS.items()},
        list_args=filter_links(FILTER_PARAMS),
    )


@bp.route("/werkgevers/export")
@login_required
@reads_from_replica
def export():
    permissions.require(permissions.can_export_employers(current_user))
    fmt = request.args.get("formaat", "csv")
    if fmt not in employer_list.EXPORT_FORMATS:
        abort(404)
    form, options = _filter_form()
    result = employer_list.export(
        current_user, form.filters(), fmt, choices=options, ip_address=request.remote_addr or ""
    )
    db.session.commit()
    return send_file(result.file, mimetype=result.mimetype, as_attachment=True, download_name=result.filename)
