"""One employer: create, detail with timeline, edit, people, handover, merge."""

from __future__ import annotations

from flask_login import login_required

from crm.employers.blueprint import bp
from crm.loading import load_employer_or_404  # noqa: F401  (used by the routes to come)


@bp.route("/werkgevers/<int:id>")
@login_required
def detail(id: int):
    raise NotImplementedError
