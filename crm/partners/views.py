"""Partner organisations and partnerships: who takes part, and their results.

Every signed-in user may look (no personal data of participants here); the numbers of the
ambition table link to the pipeline's drill-down for those who may review that partnership.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user, login_required

from crm import permissions
from crm.database import reads_from_replica
from crm.extensions import db
from crm.models import Organisation, Partnership
from crm.review_tables import ambition_table, drill_urls
from crm.services import partners, pipeline

bp = Blueprint("partners", __name__)


@bp.route("/partners")
@login_required
@reads_from_replica
def index():
    per_page = current_app.config["PAGE_SIZE"]
    organisations = partners.organisations_page(
        current_user, page=request.args.get("pagina", 1, type=int), per_page=per_page
    )
    partnerships = partners.partnerships_page(
        current_user, page=request.args.get("pagina_sv", 1, type=int), per_page=per_page
    )
    return render_template("partners/index.html", organisations=organisations, partnerships=partnerships)


@bp.route("/partners/<int:id>")
@login_required
@reads_from_replica
def organisation(id: int):
    organisation = db.session.get(Organisation, id)
    if organisation is None or not permissions.can_view_organisation(current_user, organisation):
        abort(404)
    overview = partners.organisation_overview(
        current_user,
        organisation,
        tab=request.args.get("toon", "medewerkers"),
        page=request.args.get("pagina", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
    )
    return render_template("partners/organisation.html", organisation=organisation, overview=overview)


@bp.route("/samenwerkingsverbanden/<int:id>")
@login_required
@reads_from_replica
def partnership(id: int):
    partnership = db.session.get(Partnership, id)
    if partnership is None or not permissions.can_view_partnership(current_user, partnership):
        abort(404)
    members = partners.partnership_members(current_user, partnership)
    reviewer = permissions.can_review_partnership(current_user, partnership)
    reports = pipeline.ambition_reports([partnership.id])
    # The numbers link to the drill-down only for those who may review this partnership.
    drill_base = {"samenwerkingsverband": partnership.id} if reviewer else None
    tables = [(report, ambition_table(report, drill_base)) for report in reports]
    return render_template(
        "partners/partnership.html",
        partnership=partnership,
        members=members,
        tables=tables,
        reviewer=reviewer,
        can_edit=permissions.can_edit_ambitions(current_user, partnership),
        url_for_drill=drill_urls({}),
    )
