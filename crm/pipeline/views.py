"""The coordinator's pipeline review and the ambition table."""

from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("pipeline", __name__)


@bp.route("/pijplijn")
@login_required
def index():
    abort(501)


@bp.route("/pijplijn/ambities")
@login_required
def ambitions():
    abort(501)
