"""Mijn werkvoorraad: the signed-in user's follow-ups, employers and partner contacts on them."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from crm import permissions
from crm.extensions import db
from crm.loading import load_employer_or_404
from crm.services import contacts, quiet_employers, vacancies, worklist
from crm.view_helpers import is_htmx

bp = Blueprint("worklist", __name__)
OVERDUE_VACANCIES_SHOWN = 10


@bp.route("/")
@login_required
def index():
    sort = request.args.get("sorteer", "contact")
    if sort not in worklist.EMPLOYER_SORTS:
        sort = "contact"
    employers = db.paginate(
        worklist.my_employers_query(current_user, sort),
        page=request.args.get("pagina", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    return render_template(
        "worklist/index.html",
        employers=employers,
        sort=sort,
        neglected_before=quiet_employers.quiet_before(),
        neglected_days=quiet_employers.quiet_days(),
        partner_contacts=contacts.recent_contacts_by_others(current_user),
        overdue_vacancies=vacancies.overdue_vacancies(current_user, limit=OVERDUE_VACANCIES_SHOWN),
        overdue_vacancies_shown=OVERDUE_VACANCIES_SHOWN,
        **worklist.follow_up_section_context(current_user),
    )


@bp.route("/werkvoorraad/werkgevers/<int:id>")
@login_required
def employer_row(id: int):
    """One employer row of the worklist (htmx: closing the quick-log form); otherwise the worklist."""
    employer = load_employer_or_404(id, current_user)
    permissions.require(permissions.can_view_employer(current_user, employer))
    if not is_htmx():
        return redirect(url_for("worklist.index"))
    return render_template("worklist/_employer.html", **worklist.employer_row_context(employer))
