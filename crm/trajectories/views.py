"""Learn-work trajectories (leerwerktrajecten): duaal and EVC, with their status workflow."""

from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("trajectories", __name__)


@bp.route("/trajecten")
@login_required
def index():
    abort(501)


@bp.route("/trajecten/<int:id>")
@login_required
def detail(id: int):
    abort(501)
