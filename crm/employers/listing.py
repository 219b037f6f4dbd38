"""The employer list: search, filters, sorting, pagination, export."""

from __future__ import annotations

from flask import abort
from flask_login import login_required

from crm.employers.blueprint import bp


@bp.route("/werkgevers")
@login_required
def index():
    abort(501)
