"""Vacancies (vacatures): intake, list, board per status, detail with the status workflow.

Vacancies are shared: every signed-in user sees the list, the board and the detail page.
Creating, editing and moving a vacancy follow ``permissions.can_edit_vacancy`` (partner staff
only for vacancies their organisation is involved in); anyone else gets 403.

A status move works twice: as a plain form POST that redirects with a flash message, and as
an htmx request from the board that answers with the re-rendered board (the card in its new
column, or in its old one with the Dutch reason why the move was refused).
"""

from __future__ import annotations

import re

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from crm import edit_merge, permissions
from crm.extensions import db
from crm.labels import EDUCATION_LEVEL_LABELS, LEARNING_PATH_LABELS, VACANCY_STATUS_LABELS
from crm.lib.clock import today
from crm.loading import load_employer_or_404, load_vacancy_or_404
from crm.models import Employer, Municipality, Organisation, Region, User, Vacancy
from crm.services import vacancies
from crm.services.errors import ServiceError
from crm.services.search import find_employers
from crm.vacancies.forms import (
    CHECKLIST_LABELS,
    CHECKLIST_NOT_APPLICABLE_LABELS,
    SORT_LABELS,
    EmployerSearchForm,
    TransitionForm,
    VacancyFilterForm,
    VacancyForm,
)
from crm.view_helpers import filter_links, first_error, is_htmx

bp = Blueprint("vacancies", __name__)

# The URL parameters of the list filters (the page number is ``pagina``); the board uses the
# same ones except the status (it has a column per status) and the sort.
FILTER_PARAMS = ("status", "regio", "sbi", "niveau", "leerweg", "partner", "werkgever", "mijn", "te_laat", "sorteer")
BOARD_PARAMS = tuple(p for p in FILTER_PARAMS if p not in ("status", "sorteer"))
EMPLOYER_SEARCH_LIMIT = 20

DETAIL_OPTIONS = (
    joinedload(Vacancy.employer).joinedload(Employer.contactpersoon).joinedload(User.organisation),
    joinedload(Vacancy.municipality).joinedload(Municipality.region),
    selectinload(Vacancy.organisations),
    joinedload(Vacancy.created_by),
)


def _require_editor(vacancy: Vacancy) -> None:
    permissions.require(permissions.can_edit_vacancy(current_user, vacancy), vacancies.NOT_ALLOWED)


def _label_context() -> dict:
    return {
        "status_labels": {code: str(label) for code, label in VACANCY_STATUS_LABELS.items()},
        "level_labels": {code: str(label) for code, label in EDUCATION_LEVEL_LABELS.items()},
        "path_labels": {code: str(label) for code, label in LEARNING_PATH_LABELS.items()},
        "transitions": vacancies.TRANSITIONS,
        "needs_reason": vacancies.needs_reason,
        "open_statuses": vacancies.OPEN_STATUSES,
        "today": today(),
    }


# --- filters (list and board) --------------------------------------------------------------


def _filter_form() -> VacancyFilterForm:
    form = VacancyFilterForm(formdata=request.args)
    form.set_choices(vacancies.filter_choices())
    return form


def _filtered_employer(form: VacancyFilterForm) -> Employer | None:
    employer_id = None if form.werkgever.errors else form.werkgever.data
    return db.session.get(Employer, employer_id) if employer_id else None


@bp.route("/vacatures")
@login_required
def index():
    permissions.require(current_user.active)
    form = _filter_form()
    filters = form.filters(current_user.id)
    page = vacancies.list_page(
        current_user,
        filters,
        page=request.args.get("pagina", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
    )
    return render_template(
        "vacancies/list.html",
        form=form,
        filters=filters,
        page=page,
        employer=_filtered_employer(form),
        sort_labels=SORT_LABELS,
        list_args=filter_links(FILTER_PARAMS),
        board_args=filter_links(BOARD_PARAMS),
        **_label_context(),
    )


def _board_context(**extra) -> dict:
    form = _filter_form()
    filters = form.filters(current_user.id)
    return {
        "form": form,
        "filters": filters,
        "columns": vacancies.board(current_user, filters),
        "employer": _filtered_employer(form),
        "board_args": filter_links(BOARD_PARAMS),
        "limit": vacancies.BOARD_LIMIT,
        **_label_context(),
        **extra,
    }


@bp.route("/vacatures/bord")
@login_required
def board():
    permissions.require(current_user.active)
    return render_template("vacancies/board.html", **_board_context())


# --- intake: create and edit ---------------------------------------------------------------


def _organisation_options(vacancy: Vacancy | None = None) -> list[Organisation]:
    """Active organisations, plus the ones already involved (even if no longer active)."""
    involved = [o.id for o in vacancy.organisations] if vacancy is not None else []
    return list(
        db.session.scalars(
            select(Organisation)
            .where(or_(Organisation.active, Organisation.id.in_(involved)))
            .order_by(Organisation.name)
        )
    )


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


def _render_form(form: VacancyForm, vacancy: Vacancy | None, employer: Employer, **context):
    return render_template(
        "vacancies/form.html",
        form=form,
        vacancy=vacancy,
        employer=employer,
        municipalities=_municipality_options(),
        checklist_labels=CHECKLIST_LABELS,
        **context,
    )


def _employer_matches(q: str) -> list[Employer]:
    """Employers matching a name, KvK number, place or person, best first, for picking the
    employer of a new vacancy (the shared employer search)."""
    options = (joinedload(Employer.municipality), joinedload(Employer.contactpersoon))
    digits = re.sub(r"[\s.\-]", "", q)
    if digits.isdigit() and len(digits) == 8:
        return list(
            db.session.scalars(
                select(Employer)
                .where(Employer.merged_into_id.is_(None), Employer.kvk_number == digits)
                .options(*options)
                .limit(EMPLOYER_SEARCH_LIMIT)
            )
        )
    return find_employers(q, limit=EMPLOYER_SEARCH_LIMIT, options=options)


@bp.route("/vacatures/nieuw", methods=["GET", "POST"])
@login_required
def new():
    employer_id = request.args.get("werkgever", type=int)
    if not employer_id:
        permissions.require(current_user.active)
        search = EmployerSearchForm(formdata=request.args)
        q = (search.q.data or "").strip() if search.validate() else ""
        return render_template(
            "vacancies/pick_employer.html", search=search, q=q, matches=_employer_matches(q) if q else []
        )
    employer = load_employer_or_404(employer_id, current_user)
    form = VacancyForm()
    del form.version
    organisations = _organisation_options()
    form.set_organisations(organisations)
    if request.method == "GET" and any(o.id == current_user.organisation_id for o in organisations):
        form.organisation_ids.data = [current_user.organisation_id]
    error = None
    if form.validate_on_submit():
        data = form.vacancy_data()
        draft = Vacancy(organisations=[o for o in organisations if o.id in data.organisation_ids])
        if not permissions.can_edit_vacancy(current_user, draft):
            form.organisation_ids.errors = [*form.organisation_ids.errors, vacancies.PARTNER_OWN_ORGANISATION]
        else:
            try:
                vacancy = vacancies.create_vacancy(current_user, employer, data)
            except ServiceError as refused:
                error = str(refused)
            else:
                db.session.commit()
                flash(
                    _(
                        "Vacature %(title)s bij %(employer)s is vastgelegd.",
                        title=vacancy.title,
                        employer=employer.name,
                    ),
                    "success",
                )
                return redirect(url_for("vacancies.detail", id=vacancy.id))
    return _render_form(form, None, employer, error=error, changes=None)


@bp.route("/vacatures/<int:id>")
@login_required
def detail(id: int):
    vacancy = load_vacancy_or_404(id, current_user, *DETAIL_OPTIONS)
    checklist = [
        {
            "label": CHECKLIST_LABELS[item.key],
            "done": item.done,
            "why_not_applicable": item.not_applicable and CHECKLIST_NOT_APPLICABLE_LABELS[item.not_applicable],
        }
        for item in vacancies.intake_checklist(vacancy)
    ]
    return render_template(
        "vacancies/detail.html",
        vacancy=vacancy,
        checklist=checklist,
        checklist_done=sum(1 for item in checklist if item["done"]),
        checklist_total=sum(1 for item in checklist if not item["why_not_applicable"]),
        history=vacancies.status_history(vacancy),
        may_edit=permissions.can_edit_vacancy(current_user, vacancy),
        **_label_context(),
    )


def _label_for(form: VacancyForm):
    labels = {
        "municipality_id": _("Locatie (gemeente)"),
        "organisations": _("Betrokken partners"),
        "status": _("Status"),
    }
    return lambda key: labels.get(key) or (str(form[key].label.text) if key in form else key)


@bp.route("/vacatures/<int:id>/bewerken", methods=["GET", "POST"])
@login_required
def edit(id: int):
    vacancy = load_vacancy_or_404(id, current_user, *DETAIL_OPTIONS)
    _require_editor(vacancy)
    form = VacancyForm.for_vacancy(vacancy)
    form.set_organisations(_organisation_options(vacancy))
    if request.method == "GET":
        edit_merge.open_form(form, vacancy.version)
    outcome = None
    error = None

    def reload():
        fresh = VacancyForm.for_vacancy(vacancy, formdata=None)
        fresh.set_organisations(_organisation_options(vacancy))
        return vacancy, fresh

    if form.validate_on_submit():
        try:
            outcome = edit_merge.save(
                form,
                write=lambda version: vacancies.update_vacancy(
                    current_user, vacancy, form.vacancy_data(), version=version
                ),
                reload=reload,
                changes_since=vacancies.changes_since,
                label_for=_label_for(form),
                audit_keys={"municipality": "municipality_id", "organisation_ids": "organisations"},
                value_labels={"status": VACANCY_STATUS_LABELS},
            )
        except ServiceError as refused:
            error = str(refused)
        else:
            if edit_merge.commit_saved(outcome):
                flash(_("De vacature %(title)s is opgeslagen.", title=vacancy.title), "success")
                return redirect(url_for("vacancies.detail", id=vacancy.id))
    return _render_form(
        form,
        vacancy,
        vacancy.employer,
        error=error,
        changes=outcome.changes if outcome else None,
        conflicts=outcome.conflicts if outcome else None,
    )


# --- the status workflow -------------------------------------------------------------------


@bp.route("/vacatures/<int:id>/status", methods=["POST"])
@login_required
def transition(id: int):
    vacancy = load_vacancy_or_404(id, current_user, selectinload(Vacancy.organisations))
    _require_editor(vacancy)
    form = TransitionForm()
    ok = False
    if not form.validate():
        message = first_error(form)
    else:
        target = form.naar.data
        assert target is not None  # DataRequired
        try:
            vacancies.change_status(
                current_user, vacancy, target, form.reden.data or "", expected_status=form.van.data or None
            )
        except ServiceError as refused:
            db.session.rollback()  # the refused save is undone here, not in the service
            message = str(refused)
        else:
            db.session.commit()
            ok = True
            message = _(
                "%(title)s staat nu op '%(status)s'.",
                title=vacancy.title,
                status=VACANCY_STATUS_LABELS[vacancy.status],
            )
    if is_htmx():
        return render_template(
            "vacancies/_board.html", **_board_context(message=message, message_ok=ok, moved_id=vacancy.id)
        )
    flash(message, "success" if ok else "danger")
    if form.bron.data == "detail":
        return redirect(url_for("vacancies.detail", id=vacancy.id))
    return redirect(url_for("vacancies.board", **filter_links(BOARD_PARAMS)()) + f"#vacature-{vacancy.id}")
