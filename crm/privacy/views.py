"""Right of access and right to erasure for one participant (coordinators, recent password)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from crm import permissions
from crm.extensions import db
from crm.forms import BaseForm
from crm.i18n import lazy_gettext as _l
from crm.loading import load_participant_or_404
from crm.security import recent_password_required
from crm.services import participants, privacy
from crm.services.errors import ServiceError

bp = Blueprint("privacy", __name__)


class EraseForm(BaseForm):
    reason = TextAreaField(
        _l("Reden (bijvoorbeeld: verzoek van de deelnemer per e-mail van 3 maart)"),
        validators=[DataRequired(_l("Geef de reden van het verwijderverzoek op.")), Length(max=1000)],
    )


@bp.route("/deelnemers/<int:id>/inzage")
@login_required
@recent_password_required
def access(id: int):
    participant = load_participant_or_404(id, current_user)
    report = privacy.access_report(current_user, participant)
    db.session.commit()
    if request.args.get("formaat") == "json":
        return Response(
            json.dumps(report, ensure_ascii=False, indent=2),
            mimetype="application/json",
            headers={"Content-Disposition": f"attachment; filename=deelnemer-{participant.id}.json"},
        )
    return render_template("privacy/access.html", participant=participant, report=report)


@bp.route("/deelnemers/<int:id>/anonimiseren", methods=["GET", "POST"])
@login_required
@recent_password_required
def erase(id: int):
    participant = load_participant_or_404(id, current_user)
    permissions.require(permissions.can_erase_participant(current_user, participant))
    form = EraseForm()
    # Only what the requester may see; who holds more is named so the request can be passed on.
    elsewhere = privacy.holders_elsewhere(current_user, participant)
    if form.validate_on_submit():
        assert form.reason.data is not None  # DataRequired
        try:
            privacy.erase(current_user, participant, form.reason.data)
        except ServiceError as error:
            form.reason.errors = [*form.reason.errors, str(error)]
        else:
            db.session.commit()
            flash(_("De deelnemer is geanonimiseerd. De trajecten blijven meetellen."), "success")
            if elsewhere:
                flash(
                    _(
                        "Ook deze organisaties hebben trajecten van deze deelnemer: %(organisations)s. Wat daarvan "
                        "in dit systeem staat, is mee geanonimiseerd; geef het verzoek aan hen door voor hun eigen "
                        "administratie.",
                        organisations=", ".join(elsewhere),
                    ),
                    "info",
                )
            return redirect(url_for("participants.detail", id=participant.id))
    retention = privacy.anonymisation_date(participant, current_app.config["RETENTION_MONTHS"])
    return render_template(
        "privacy/erase.html",
        participant=participant,
        form=form,
        retention=retention,
        trajectories=reversed(participants.visible_trajectories_of(current_user, participant)),
        elsewhere=elsewhere,
    )
