"""One employer: create, detail with timeline, edit, people, handover, merge."""

from __future__ import annotations

from flask import abort
from flask_login import login_required

from crm.employers.blueprint import bp


@bp.route("/werkgevers/nieuw", methods=["GET", "POST"])
@login_required
def new():
    abort(501)


@bp.route("/werkgevers/<int:id>")
@login_required
def detail(id: int):
    abort(501)
