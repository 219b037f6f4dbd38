"""Learn-work trajectories (leerwerktrajecten): duaal and EVC, with their status workflow.

Need to know, as participants: only users of an involved organisation and coordinators of
the trajectory's partnership see one; everyone else gets 404 on every address here, GET and
POST alike. No page here may be cached (``Cache-Control: no-store``, set for every signed-in page
by crm.security): they name participants.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from crm import edit_merge, permissions
from crm.extensions import db
from crm.labels import TRAJECTORY_STATUS_LABELS
from crm.lib.clock import today
from crm.loading import load_participant_or_404, load_trajectory_or_404
from crm.models import Employer, Organisation, ProgrammePeriod, Trajectory
from crm.services import trajectories, versions
from crm.services.contacts import FollowUpData
from crm.services.errors import ServiceError
from crm.trajectories.forms import TrajectoryFilterForm, TrajectoryFollowUpForm, TrajectoryForm, TransitionForm
from crm.view_helpers import search_term

bp = Blueprint("trajectories", __name__)


# --- list ------------------------------------------------------------------------------------


@bp.route("/trajecten")
@login_required
def index():
    options = trajectories.filter_choices()
    form = TrajectoryFilterForm(formdata=request.args)
    form.set_choices(options)
    filters = form.filters()
    page = trajectories.list_page(
        current_user,
        filters,
        page=request.args.get("pagina", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
    )
    return render_template(
        "trajectories/index.html",
        form=form,
        filters=filters,
        page=page,
        via_partnerships=permissions.sees_partnership_trajectories(current_user),
    )


# --- the form's employer and vacancy pickers (htmx) ------------------------------------------


@bp.route("/trajecten/werkgevers")
@login_required
def employer_field():
    """The employer select filled with the employers matching ``q`` (employers are shared),
    and an emptied vacancy select (out of band): a new employer has other vacancies."""
    q = search_term()
    found = trajectories.employer_options(q) if q else []
    return render_template("trajectories/_employer_search_result.html", employers=found, q=q)


@bp.route("/trajecten/vacatures")
@login_required
def vacancy_field():
    employer_id = request.args.get("employer_id", type=int)
    employer = db.session.get(Employer, employer_id) if employer_id else None
    if employer is not None and not permissions.can_view_employer(current_user, employer):
        employer = None
    vacancies = trajectories.vacancy_options(employer.id if employer else None)
    return render_template(
        "trajectories/_vacancy_field.html", vacancies=vacancies, selected=0, employer=employer, errors=[]
    )


# --- create and edit ----------------------------------------------------------------------------


def _organisations(trajectory: Trajectory | None = None) -> list[Organisation]:
    involved = {i.organisation_id for i in trajectory.involvements} if trajectory else set()
    shown = Organisation.active | Organisation.id.in_(involved) if involved else Organisation.active
    return list(db.session.scalars(select(Organisation).where(shown).order_by(Organisation.name)))


def _prepare(form: TrajectoryForm, trajectory: Trajectory | None) -> None:
    partnerships = trajectories.member_partnerships(current_user)
    if trajectory is not None and all(p.id != trajectory.partnership_id for p in partnerships):
        partnerships = [trajectory.partnership, *partnerships]
    periods = db.session.scalars(select(ProgrammePeriod).order_by(ProgrammePeriod.starts_on.desc())).all()
    form.set_choices(_organisations(trajectory), partnerships, periods)
    if request.method == "GET" and trajectory is None:
        form.set_defaults(current_user.organisation)
        if len(partnerships) == 1:
            form.partnership_id.data = partnerships[0].id
        current = trajectories.period_containing(today())
        form.period_id.data = current.id if current else 0


def _render_form(form: TrajectoryForm, participant, trajectory: Trajectory | None, **context):
    employer_id = form.employer_id.data or 0
    employer = db.session.get(Employer, employer_id) if employer_id else None
    if employer is not None and employer.merged_into_id is not None:
        employer = None
    return render_template(
        "trajectories/form.html",
        form=form,
        participant=participant,
        trajectory=trajectory,
        employer=employer,
        vacancies=trajectories.vacancy_options(employer.id if employer else None),
        **context,
    )


@bp.route("/trajecten/nieuw", methods=["GET", "POST"])
@login_required
def new():
    participant_id = request.args.get("deelnemer", type=int)
    employer_id = request.args.get("werkgever", type=int)
    if participant_id is None:
        flash(_("Kies eerst de deelnemer voor wie u een traject aanmaakt."), "info")
        return redirect(url_for("participants.index", werkgever=employer_id))
    participant = load_participant_or_404(participant_id, current_user)
    permissions.require(
        permissions.can_create_trajectory(current_user, participant),
        _("U kunt geen traject aanmaken voor deze deelnemer."),
    )
    form = TrajectoryForm()
    del form.version, form.actual_start, form.actual_end
    _prepare(form, None)
    if request.method == "GET" and employer_id:
        employer = db.session.get(Employer, employer_id)
        if employer is not None and permissions.can_view_employer(current_user, employer):
            form.employer_id.data = employer.id
    error = None
    if form.validate_on_submit():
        try:
            trajectory = trajectories.create_trajectory(current_user, participant, form.trajectory_data())
        except ServiceError as refused:
            error = str(refused)
        else:
            db.session.commit()
            flash(_("Het traject is aangemeld."), "success")
            return redirect(url_for("trajectories.detail", id=trajectory.id))
    return _render_form(form, participant, None, error=error, stale=False)


@bp.route("/trajecten/<int:id>/bewerken", methods=["GET", "POST"])
@login_required
def edit(id: int):
    trajectory = load_trajectory_or_404(id, current_user)
    permissions.require(
        permissions.can_edit_trajectory(current_user, trajectory), _("U mag de gegevens van dit traject niet wijzigen.")
    )
    form = TrajectoryForm.for_trajectory(trajectory)
    _prepare(form, trajectory)
    if request.method == "GET":
        form.fill_involvements(trajectory)
        edit_merge.open_form(form, trajectory.version)
    error, outcome = None, None

    def reload():
        fresh = TrajectoryForm.for_trajectory(trajectory, formdata=None)
        _prepare(fresh, trajectory)
        fresh.fill_involvements(trajectory)
        return trajectory, fresh

    if form.validate_on_submit():
        try:
            outcome = edit_merge.save(
                form,
                write=lambda version: trajectories.update_trajectory(
                    current_user, trajectory, form.trajectory_data(), version=version
                ),
                reload=reload,
                changes_since=lambda record, version: versions.changes_since(record, version, ("update", "transition")),
                audit_keys={name: "involvements" for name in form.data if name.startswith("org_")},
            )
        except ServiceError as refused:
            error = str(refused)
        else:
            if edit_merge.commit_saved(outcome):
                flash(_("De gegevens van het traject zijn opgeslagen."), "success")
                return redirect(url_for("trajectories.detail", id=trajectory.id))
    return _render_form(
        form,
        trajectory.participant,
        trajectory,
        error=error,
        stale=False,
        changes=outcome.changes if outcome else None,
        conflicts=outcome.conflicts if outcome else None,
    )


# --- detail, status and follow-ups ----------------------------------------------------------------


def _transition_forms(trajectory: Trajectory, posted: TransitionForm | None = None) -> dict[str, TransitionForm]:
    forms = {}
    for target in trajectories.allowed_transitions(trajectory):
        if posted is not None and posted.target == target:
            forms[target] = posted
            continue
        form = TransitionForm(formdata=None, target=target, kind=trajectory.kind)
        form.version.data = str(trajectory.version)
        if target == "gestart":
            form.actual_start.data = trajectory.actual_start or today()
        if target in ("afgerond", "uitgevallen"):
            form.actual_end.data = today()
        forms[target] = form
    return forms


def _follow_up_form(trajectory: Trajectory, formdata=None) -> TrajectoryFollowUpForm:
    form = TrajectoryFollowUpForm(formdata=formdata)
    candidates = trajectories.follow_up_owner_candidates(trajectory)
    if all(u.id != current_user.id for u in candidates):
        candidates = [current_user, *candidates]
    form.owner_id.choices = [(u.id, f"{u.name} ({u.organisation.name})") for u in candidates]
    if formdata is None:
        form.owner_id.data = current_user.id
    return form


def _render_detail(trajectory: Trajectory, *, transition: TransitionForm | None = None, error=None, follow_up=None):
    return render_template(
        "trajectories/detail.html",
        trajectory=trajectory,
        history=trajectories.history(trajectory),
        follow_ups=trajectories.follow_ups(trajectory),
        transition_forms=_transition_forms(trajectory, transition),
        open_target=transition.target if transition is not None else None,
        transition_error=error,
        follow_up_form=follow_up or _follow_up_form(trajectory),
        today=today(),
    )


@bp.route("/trajecten/<int:id>")
@login_required
def detail(id: int):
    return _render_detail(load_trajectory_or_404(id, current_user))


@bp.route("/trajecten/<int:id>/status", methods=["POST"])
@login_required
def transition(id: int):
    trajectory = load_trajectory_or_404(id, current_user)
    permissions.require(
        permissions.can_edit_trajectory(current_user, trajectory), _("U mag de status van dit traject niet wijzigen.")
    )
    target = request.form.get("to_status", "")
    form = TransitionForm(target=target, kind=trajectory.kind)
    error = None
    if form.validate_on_submit():
        version = form.submitted_version()
        data = trajectories.TransitionData(
            to_status=target,
            note=form.note.data or "",
            actual_start=form.actual_start.data,
            actual_end=form.actual_end.data,
            outcome=form.outcome.data or None,
            dropout_reason=form.dropout_reason.data or None,
            dropout_text=form.dropout_text.data or "",
        )
        try:
            trajectories.transition(current_user, trajectory, data, version=version)
        except ServiceError as refused:  # StaleRecord included
            db.session.rollback()  # the refused save is undone here, not in the service
            error = str(refused)
            trajectory = load_trajectory_or_404(id, current_user)
        else:
            db.session.commit()
            flash(
                _("Het traject staat nu op '%(status)s'.", status=str(TRAJECTORY_STATUS_LABELS.get(target, target))),
                "success",
            )
            return redirect(url_for("trajectories.detail", id=trajectory.id) + "#status")
    else:
        error = _("Controleer de gemarkeerde velden.")
    if target not in trajectories.allowed_transitions(trajectory):
        # a refused step (not offered on the page): show the message above the offered ones
        return _render_detail(trajectory, error=error)
    form.version.data = str(trajectory.version)
    return _render_detail(trajectory, transition=form, error=error)


@bp.route("/trajecten/<int:id>/opvolgactie", methods=["POST"])
@login_required
def follow_up(id: int):
    trajectory = load_trajectory_or_404(id, current_user)
    permissions.require(
        permissions.can_edit_trajectory(current_user, trajectory),
        _("U kunt bij dit traject geen opvolgactie plannen."),
    )
    form = _follow_up_form(trajectory, formdata=request.form)
    if form.validate_on_submit():
        assert form.due_date.data is not None and form.subject.data is not None  # both DataRequired
        try:
            trajectories.add_follow_up(
                current_user,
                trajectory,
                FollowUpData(due_date=form.due_date.data, subject=form.subject.data, owner_id=form.owner_id.data),
            )
        except ServiceError as refused:
            form.subject.errors = [*form.subject.errors, str(refused)]
        else:
            db.session.commit()
            flash(_("De opvolgactie is gepland."), "success")
            return redirect(url_for("trajectories.detail", id=trajectory.id) + "#opvolgacties")
    return _render_detail(trajectory, follow_up=form)
