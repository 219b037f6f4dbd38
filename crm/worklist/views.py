"""Mijn werkvoorraad: the signed-in user's follow-ups and employers."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user, login_required

from crm.extensions import db
from crm.services import worklist

bp = Blueprint("worklist", __name__)


@bp.route("/")
@login_required
def index():
    follow_ups = worklist.open_follow_ups(current_user)
    employers = db.paginate(
        worklist.my_employers_query(current_user),
        page=request.args.get("pagina", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    return render_template(
        "worklist/index.html",
        groups=worklist.group_by_due(follow_ups),
        employers=employers,
    )
