"""Vacancies (vacatures): intake, list, board per status, detail with status workflow."""

from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("vacancies", __name__)


@bp.route("/vacatures")
@login_required
def index():
    abort(501)


@bp.route("/vacatures/<int:id>")
@login_required
def detail(id: int):
    abort(501)
