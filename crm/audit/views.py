"""Logboek: the searchable audit log (admins, coordinators) and each record's history."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_login import current_user, login_required
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional

from crm import permissions
from crm.database import reads_from_replica
from crm.extensions import db
from crm.forms import BaseForm, choices
from crm.i18n import lazy_gettext as _l
from crm.labels import AUDIT_ACTION_LABELS, RECORD_TYPE_LABELS
from crm.lib.spreadsheets import FORMATS, export_file
from crm.services import audit_log
from crm.services.audit import audit
from crm.view_helpers import clean_term

bp = Blueprint("audit", __name__)

ACTIONS = [
    "create",
    "update",
    "delete",
    "handover",
    "merge",
    "import",
    "export",
    "view",
    "login",
    "login_failed",
    "login_password_ok",
    "recovery_code_used",
    "recovery_codes_created",
    "two_factor_reset",
    "password_changed",
    "password_reset",
    "activate",
    "deactivate",
    "transition",
    "status",
    "anonymise",
    "permission_denied",
    "mail_failed",
]
OBJECT_TYPES = list(audit_log.RECORD_TYPES)


class LogFilterForm(BaseForm):
    class Meta:
        csrf = False  # a GET search form

    q = StringField(_l("Zoeken in omschrijving en wijzigingen"), validators=[Optional(), Length(max=100)])
    action = SelectField(_l("Actie"), validators=[Optional()])
    object_type = SelectField(_l("Soort record"), validators=[Optional()])
    date_from = DateField(_l("Vanaf"), validators=[Optional()])
    date_to = DateField(_l("Tot en met"), validators=[Optional()])


def _filter_form() -> tuple[LogFilterForm, audit_log.LogFilter]:
    form = LogFilterForm(request.args)
    form.action.choices = choices([("", _l("Alle acties"))] + [(a, AUDIT_ACTION_LABELS[a]) for a in ACTIONS])
    form.object_type.choices = choices([("", _l("Alle soorten"))] + [(t, RECORD_TYPE_LABELS[t]) for t in OBJECT_TYPES])
    valid = form.validate()
    data = form.data if valid else {}
    return form, audit_log.LogFilter(
        q=clean_term(data.get("q"), 200),
        action=data.get("action") or "",
        object_type=data.get("object_type") or "",
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )


@bp.route("/logboek")
@login_required
def log():
    permissions.require(permissions.can_view_audit_log(current_user))
    form, log_filter = _filter_form()
    page = db.paginate(
        audit_log.log_query(current_user, log_filter),
        page=request.args.get("pagina", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"] * 2,
        error_out=False,
    )
    return render_template("audit/log.html", form=form, page=page, events=audit_log.describe_changes(page.items))


@bp.route("/logboek/export.<fmt>")
@login_required
@reads_from_replica
def export(fmt: str):
    permissions.require(permissions.can_view_audit_log(current_user))
    if fmt not in FORMATS:
        abort(404)
    _form, log_filter = _filter_form()
    events = db.session.scalars(audit_log.log_query(current_user, log_filter).limit(100_000)).all()
    rows = (
        (
            e["when"],
            e["who"],
            e["action_label"],
            e["record_label"],
            e["object_id"],
            e["summary"],
            audit_log.changes_text(e["rows"]),
            e["ip_address"],
        )
        for e in audit_log.describe_changes(list(events))
    )
    headers = ["Tijdstip", "Door", "Actie", "Soort", "Id", "Omschrijving", "Wijzigingen", "IP-adres"]
    result = export_file(fmt, headers, rows, "logboek", "Logboek")
    audit(
        current_user,
        "export",
        object_type="audit_event",
        summary=f"Logboek ({result.rows} regels)",
        ip_address=request.remote_addr or "",
    )
    db.session.commit()
    return send_file(result.file, mimetype=result.mimetype, as_attachment=True, download_name=result.filename)


@bp.route("/logboek/<object_type>/<int:id>")
@login_required
def history(object_type: str, id: int):
    record = audit_log.record_or_none(current_user, object_type, id)
    if record is None:
        abort(404)
    page = db.paginate(
        audit_log.history_query(object_type, id),
        page=request.args.get("pagina", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"] * 2,
        error_out=False,
    )
    return render_template(
        "audit/history.html",
        record=record,
        object_type=object_type,
        record_label=RECORD_TYPE_LABELS.get(object_type, object_type),
        page=page,
        events=audit_log.describe_changes(page.items),
    )
