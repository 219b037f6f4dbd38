"""Pages that explain the CRM itself: privacy statement."""

from flask import Blueprint, current_app, render_template

bp = Blueprint("pages", __name__)


@bp.route("/privacy")
def privacy():
    return render_template("pages/privacy.html", retention_months=current_app.config["RETENTION_MONTHS"])
