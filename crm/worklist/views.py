"""Mijn werkvoorraad: the signed-in user's follow-ups, employers and partner contacts on them.

Made for the phone first: the search box over my employers (to log a call) and today's and
overdue follow-ups come first; every section folds and shows its count; long lists show their
head and a "meer" link to the rest, so the page is small whatever the numbers.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from crm import permissions
from crm.extensions import db
from crm.labels import CHANNEL_LABELS
from crm.lib.clock import today
from crm.loading import load_employer_or_404
from crm.services import contacts, quiet_employers, search, vacancies, worklist
from crm.view_helpers import is_htmx

bp = Blueprint("worklist", __name__)
OVERDUE_VACANCIES_SHOWN = 10


@bp.route("/")
@login_required
def index():
    group = request.args.get("groep", "")
    if group in worklist.FOLLOW_UP_GROUPS:
        return _follow_up_group(group)
    sort = request.args.get("sorteer", "contact")
    if sort not in worklist.EMPLOYER_SORTS:
        sort = "contact"
    term = search.normalise(request.args.get("zoek", ""))
    employers = db.paginate(
        worklist.my_employers_query(current_user, sort),
        page=request.args.get("pagina", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
        count=False,
    )
    employers.total = worklist.count_my_employers(current_user)  # from the tally, not a count
    return render_template(
        "worklist/index.html",
        employers=employers,
        sort=sort,
        term=term,
        found=worklist.find_my_employers(current_user, term) if term else [],
        neglected_before=quiet_employers.quiet_before(),
        neglected_days=quiet_employers.quiet_days(),
        is_quiet=quiet_employers.is_quiet,
        partner_contacts=contacts.recent_contacts_by_others(current_user),
        overdue_vacancies=vacancies.overdue_vacancies(current_user, limit=OVERDUE_VACANCIES_SHOWN),
        overdue_vacancies_shown=OVERDUE_VACANCIES_SHOWN,
        **worklist.follow_up_section_context(current_user),
    )


def _follow_up_group(group: str):
    """ "Meer": all open follow-ups of one due group, paged."""
    on = today()
    page = db.paginate(
        worklist.follow_ups_in_group_query(current_user, group, on),
        page=request.args.get("pagina", 1, type=int),
        per_page=worklist.GROUP_PAGE_SIZE,
        error_out=False,
    )
    return render_template(
        "worklist/group.html",
        group=group,
        page=page,
        channels=CHANNEL_LABELS,
        today=on,
        reschedule_days=worklist.QUICK_RESCHEDULE_DAYS,
        rescheduled_date=worklist.rescheduled_date,
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
