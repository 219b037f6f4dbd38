"""Participants (deelnemers): need-to-know personal data.

Only users of an organisation involved in one of the participant's trajectories, of the
referring or registering organisation, and coordinators of the trajectory's partnership
see a participant (``crm.permissions``); everyone else gets 404, as if the id did not exist.
Every view of a participant's page is written to the audit trail, and no page here may be
cached (``Cache-Control: no-store``, set for every signed-in page by crm.security).
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from crm import edit_merge, permissions
from crm.extensions import db
from crm.labels import DOELGROEP_LABELS
from crm.loading import load_participant_or_404
from crm.models import Municipality, Organisation, Participant, Region, User
from crm.participants.forms import ParticipantForm
from crm.services import participants, privacy
from crm.services.errors import ServiceError
from crm.view_helpers import search_term

bp = Blueprint("participants", __name__)


def _municipality_options() -> list[tuple[str, str]]:
    return [
        (name, region_name)
        for name, region_name in db.session.execute(
            select(Municipality.name, Region.name)
            .join(Region, Region.id == Municipality.region_id)
            .where(Municipality.active)
            .order_by(Municipality.name)
        )
    ]


def _organisations(including: int | None = None) -> list[Organisation]:
    """Active organisations (and the one already chosen, should it have become inactive)."""
    shown = Organisation.active | (Organisation.id == including) if including else Organisation.active
    return list(db.session.scalars(select(Organisation).where(shown).order_by(Organisation.name)))


def _render_form(
    form: ParticipantForm,
    participant: Participant | None,
    error: str | None = None,
    changes: list[dict] | None = None,
    current: list[tuple[str, object]] | None = None,
    conflicts: list[dict] | None = None,
):
    return render_template(
        "participants/form.html",
        form=form,
        participant=participant,
        municipalities=_municipality_options(),
        error=error,
        changes=changes,
        current=current or [],
        conflicts=conflicts,
    )


# --- list ----------------------------------------------------------------------------------


@bp.route("/deelnemers")
@login_required
def index():
    q = search_term()
    page = participants.list_page(
        current_user, q=q, page=request.args.get("pagina", 1, type=int), per_page=current_app.config["PAGE_SIZE"]
    )
    counts = participants.trajectory_counts([p.id for p, _name in page.items], current_user)
    return render_template(
        "participants/index.html",
        page=page,
        q=q,
        counts=counts,
        employer_id=request.args.get("werkgever", type=int),
        via_partnerships=permissions.sees_partnership_trajectories(current_user),
    )


# --- create ----------------------------------------------------------------------------------


@bp.route("/deelnemers/nieuw", methods=["GET", "POST"])
@login_required
def new():
    permissions.require(permissions.can_create_participant(current_user))
    form = ParticipantForm(new=True)
    del form.version
    form.set_organisations(_organisations())
    if request.method == "GET":
        form.referring_organisation_id.data = current_user.organisation_id
    error = None
    if form.validate_on_submit():
        try:
            participant = participants.create_participant(
                current_user, form.participant_data(), consent_purpose=form.consent_purpose.data
            )
        except ServiceError as refused:
            error = str(refused)
        else:
            db.session.commit()
            flash(_("Deelnemer %(name)s is geregistreerd.", name=participant.full_name), "success")
            return redirect(url_for("participants.detail", id=participant.id))
    return _render_form(form, None, error)


# --- detail ------------------------------------------------------------------------------------


@bp.route("/deelnemers/<int:id>")
@login_required
def detail(id: int):
    participant = load_participant_or_404(id, current_user)
    participants.record_view(current_user, participant, ip_address=request.remote_addr or "")
    db.session.commit()
    municipality = db.session.get(Municipality, participant.municipality_id) if participant.municipality_id else None
    creator = db.session.get(User, participant.created_by_id) if participant.created_by_id else None
    return render_template(
        "participants/detail.html",
        participant=participant,
        municipality=municipality,
        creator=creator,
        trajectories=participants.visible_trajectories_of(current_user, participant),
        anonymise_on=privacy.anonymisation_date(participant, current_app.config["RETENTION_MONTHS"]),
    )


# --- edit ------------------------------------------------------------------------------------------


@bp.route("/deelnemers/<int:id>/bewerken", methods=["GET", "POST"])
@login_required
def edit(id: int):
    participant = load_participant_or_404(id, current_user)
    permissions.require(
        permissions.can_edit_participant(current_user, participant),
        _("U mag de gegevens van deze deelnemer niet wijzigen."),
    )
    municipality = db.session.get(Municipality, participant.municipality_id) if participant.municipality_id else None
    form = ParticipantForm.for_participant(participant, municipality.name if municipality else "")
    form.set_organisations(_organisations(including=participant.referring_organisation_id))
    if request.method == "GET":
        edit_merge.open_form(form, participant.version)
    error = None
    outcome = None
    first_version = 0

    def reload():
        found = db.session.get(Municipality, participant.municipality_id) if participant.municipality_id else None
        fresh = ParticipantForm.for_participant(participant, found.name if found else "", formdata=None)
        fresh.set_organisations(_organisations(including=participant.referring_organisation_id))
        return participant, fresh

    if form.validate_on_submit():
        first_version = form.submitted_version()
        try:
            outcome = edit_merge.save(
                form,
                write=lambda version: participants.update_participant(
                    current_user,
                    participant,
                    form.participant_data(),
                    version=version,
                    consent_purpose=form.consent_purpose_given(),
                ),
                reload=reload,
                changes_since=participants.changes_since,
                label_for=_label_for(form),
                audit_keys={"municipality": "municipality_id", "consent_purpose": "consent"},
                value_labels=_VALUE_LABELS,
            )
        except ServiceError as refused:
            error = str(refused)
        else:
            if edit_merge.commit_saved(outcome):
                flash(_("De gegevens van %(name)s zijn opgeslagen.", name=participant.full_name), "success")
                return redirect(url_for("participants.detail", id=participant.id))
    current = _stored_personal(participant, first_version, form) if outcome and outcome.changes is not None else None
    return _render_form(
        form,
        participant,
        error,
        changes=outcome.changes if outcome else None,
        current=current,
        conflicts=outcome.conflicts if outcome else None,
    )


_VALUE_LABELS = {"doelgroep": {code: str(text) for code, text in DOELGROEP_LABELS.items()}}


def _label_for(form: ParticipantForm):
    labels = {"municipality_id": form.municipality.label.text, "consent": _("Toestemming")}

    def label_for(key: str) -> str:
        return str(labels.get(key) or (form[key].label.text if key in form else key))

    return label_for


def _stored_personal(participant: Participant, version: int, form: ParticipantForm) -> list[tuple[str, object]]:
    """For the personal fields others changed since ``version`` (whose values the audit trail
    leaves out): what is stored now."""
    label_for = _label_for(form)
    hidden = []
    for event in participants.changes_since(participant, version):
        for key, (old, _new) in (event.changes or {}).items():
            if old == participants.HIDDEN_VALUE and key != "consent" and key not in hidden:
                hidden.append(key)
    return [(label_for(key), _current_value(participant, key)) for key in hidden]


def _current_value(participant: Participant, key: str) -> object:
    if key == "municipality_id":
        municipality = (
            db.session.get(Municipality, participant.municipality_id) if participant.municipality_id else None
        )
        return municipality.name if municipality else None
    value = getattr(participant, key, None)
    if key == "birth_date" and value is not None:
        return format_date(value, "d MMM yyyy")
    return value
