"""Logging contacts and handling follow-ups (also from the worklist, with htmx)."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("contacts", __name__)


@bp.route("/werkgevers/<int:employer_id>/contactmoment", methods=["GET", "POST"])
@login_required
def log_contact(employer_id: int):
    abort(501)


@bp.route("/opvolgacties/<int:id>/afronden", methods=["POST"])
@login_required
def follow_up_done(id: int):
    abort(501)


@bp.route("/opvolgacties/<int:id>/verzetten", methods=["POST"])
@login_required
def follow_up_reschedule(id: int):
    abort(501)
