"""Partner organisations and partnerships: who takes part, and their results."""

from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("partners", __name__)


@bp.route("/partners")
@login_required
def index():
    abort(501)


@bp.route("/partners/<int:id>")
@login_required
def organisation(id: int):
    abort(501)


@bp.route("/samenwerkingsverbanden/<int:id>")
@login_required
def partnership(id: int):
    abort(501)
