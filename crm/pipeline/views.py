"""The coordinator's pipeline review, the ambition table, the drill-down behind every number,
the exports of every table and the entry of ambitions. Coordinators and admins only."""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from crm import permissions
from crm.database import reads_from_replica
from crm.extensions import db
from crm.forms import choices
from crm.models import Partnership, ProgrammePeriod
from crm.pipeline.forms import AmbitionForm, PipelineFilterForm
from crm.review_tables import ambition_table, drill_urls, funnel_chart, partnership_table, review_tables
from crm.services import pipeline
from crm.services.errors import ServiceError

bp = Blueprint("pipeline", __name__)


@bp.before_request
@login_required
def only_reviewers():
    permissions.require(
        permissions.can_review_pipeline(current_user), _("Alleen coördinatoren en beheerders zien de pijplijn.")
    )


def _scope() -> tuple[PipelineFilterForm, pipeline.Choices, pipeline.Scope]:
    allowed = pipeline.reviewable_partnership_ids(current_user)
    options = pipeline.filter_choices(current_user, allowed)
    form = PipelineFilterForm(formdata=request.args)
    label = _("Alle samenwerkingsverbanden") if allowed is None else _("Al mijn samenwerkingsverbanden")
    form.set_choices(options, all_partnerships_label=label)
    scope = pipeline.scope_for(current_user, form.filters(), allowed=allowed)
    return form, options, scope


def _nav_args(scope: pipeline.Scope) -> dict:
    """The partnership and period filters, kept when switching between the two pages."""
    return {k: v for k, v in scope.filters.as_args().items() if k in ("samenwerkingsverband", "periode")}


def _json(data) -> Markup:
    """Data for charts.js in a <script type="application/json"> block (not run by the browser);
    ``<`` is escaped so the data can never close the block."""
    text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - escaped above


@bp.route("/pijplijn")
@reads_from_replica
def index():
    form, options, scope = _scope()
    result = pipeline.review(scope)
    filter_args = scope.filters.as_args()

    drill_url = drill_urls(filter_args)

    return render_template(
        "pipeline/index.html",
        form=form,
        scope=scope,
        review=result,
        tables=review_tables(result),
        drill_url=drill_url,
        filter_args=filter_args,
        nav_args=_nav_args(scope),
        funnel_json=_json(funnel_chart(result)),
        no_partnerships=scope.partnership_ids == [],
    )


@bp.route("/pijplijn/ambities")
@reads_from_replica
def ambitions():
    form, options, scope = _scope()
    reports = pipeline.ambition_reports(scope.partnership_ids, scope.filters.period_id, on=scope.today)
    # The ambition table counts by partnership and period only; its numbers drill down with the
    # partnership (if chosen) and the period of start, never the registration-period filter.
    base = {"samenwerkingsverband": scope.filters.partnership_id} if scope.filters.partnership_id else {}
    several = scope.partnership_ids is None or len(scope.partnership_ids) > 1
    periods = [
        (
            report,
            ambition_table(report, base),
            partnership_table(report, base) if several else None,
            _json(report.chart),
        )
        for report in reports
    ]
    return render_template(
        "pipeline/ambitions.html",
        form=form,
        scope=scope,
        periods=periods,
        drill_url=drill_urls({}),
        filter_args={k: v for k, v in scope.filters.as_args().items() if k in ("samenwerkingsverband", "periode")},
        can_edit=bool(pipeline.editable_partnerships(current_user)),
        nav_args=_nav_args(scope),
        no_partnerships=scope.partnership_ids == [],
    )


def _drill() -> pipeline.Drill:
    """The criteria of the number clicked, from the URL (``lijst``, ``maat``, ``soort``,
    ``betrokken``, ``rol``, ``am``, ``gestart_in``)."""
    return pipeline.Drill(
        list=request.args.get("lijst", ""),
        measure=request.args.get("maat", ""),
        kind=request.args.get("soort") or None,
        involved_organisation_id=request.args.get("betrokken", type=int),
        involved_role=request.args.get("rol") or None,
        account_manager_id=request.args.get("am", type=int),
        started_in_id=request.args.get("gestart_in", type=int),
    )


@bp.route("/pijplijn/lijst")
@reads_from_replica
def drilldown():
    form, options, scope = _scope()
    try:
        result = pipeline.drilldown(
            scope,
            _drill(),
            page=request.args.get("pagina", 1, type=int),
            per_page=current_app.config["PAGE_SIZE"],
            choices=options,
        )
    except pipeline.UnknownDrill:
        abort(404)
    args = {**scope.filters.as_args(), **result.drill.as_args()}
    return render_template("pipeline/drilldown.html", result=result, scope=scope, args=args)


@bp.route("/pijplijn/export")
@reads_from_replica
def export():
    fmt = request.args.get("formaat", "csv")
    if fmt not in pipeline.EXPORT_FORMATS:
        abort(404)
    _form, options, scope = _scope()
    key = request.args.get("tabel", "")
    try:
        table = _table(scope, key)
    except pipeline.UnknownDrill:
        abort(404)
    if table is None:
        abort(404)
    result = pipeline.export(
        scope, table, fmt, description=pipeline.describe(scope, options), ip_address=request.remote_addr or ""
    )
    db.session.commit()
    return send_file(result.file, mimetype=result.mimetype, as_attachment=True, download_name=result.filename)


def _table(scope: pipeline.Scope, key: str) -> pipeline.Table | None:
    if key == "lijst":
        return pipeline.drill_export_table(scope, _drill())
    if key.startswith(("ambities-", "per_samenwerkingsverband-")):
        name, _sep, period = key.partition("-")
        if not period.isdigit():
            return None
        reports = pipeline.ambition_reports(scope.partnership_ids, int(period), on=scope.today)
        if not reports:
            return None
        if name == "ambities":
            return ambition_table(reports[0])
        return partnership_table(reports[0])
    return review_tables(pipeline.review(scope)).get(key)


@bp.route("/pijplijn/ambities/invullen", methods=["GET", "POST"])
def ambition_edit():
    partnerships = pipeline.editable_partnerships(current_user)
    periods = pipeline.periods()
    if not partnerships:
        abort(403)
    form = AmbitionForm()
    form.partnership_id.choices = choices((p.id, p.name) for p in partnerships)
    form.period_id.choices = choices((p.id, p.name) for p in periods)
    changed = None
    if request.method == "GET":
        form.partnership_id.data = request.args.get("samenwerkingsverband", type=int) or partnerships[0].id
        default_period = periods[0].id if periods else None
        form.period_id.data = request.args.get("periode", type=int) or default_period
        if form.partnership_id.data and form.period_id.data:
            targets = pipeline.current_targets(form.partnership_id.data, form.period_id.data)
            form.duaal.data = targets.get("duaal")
            form.evc.data = targets.get("evc")
            form.show(form.partnership_id.data, form.period_id.data, targets)
    if form.validate_on_submit():
        partnership = db.session.get(Partnership, form.partnership_id.data)
        period = db.session.get(ProgrammePeriod, form.period_id.data)
        if partnership is None or period is None:
            abort(404)
        try:
            pipeline.set_ambitions(
                current_user,
                partnership,
                period,
                {"duaal": form.duaal.data, "evc": form.evc.data},
                seen=form.seen(partnership.id, period.id),
            )
        except pipeline.AmbitionsChanged as refused:
            db.session.rollback()  # nothing of this save stays
            # Keep what the user typed; what is stored now counts as seen for the next save.
            changed = refused.changes
            form.show(partnership.id, period.id, refused.current)
        except ServiceError as error:
            db.session.rollback()
            form.duaal.errors = [*form.duaal.errors, str(error)]
        else:
            db.session.commit()
            flash(
                _(
                    "De ambities van %(name)s voor %(period)s zijn opgeslagen.",
                    name=partnership.name,
                    period=period.name,
                ),
                "success",
            )
            return redirect(url_for("pipeline.ambitions", samenwerkingsverband=partnership.id, periode=period.id))
    return render_template("pipeline/ambition_form.html", form=form, has_periods=bool(periods), changed=changed)
