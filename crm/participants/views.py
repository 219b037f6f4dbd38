"""Participants (deelnemers): need-to-know personal data."""

from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("participants", __name__)


@bp.route("/deelnemers/<int:id>")
@login_required
def detail(id: int):
    abort(501)
