"""Logging contacts and handling follow-ups (also from the worklist, with htmx).

Every action works twice: as a normal form POST that redirects with a flash message, and as an
htmx request (``HX-Request`` header) that answers with the server-rendered part of the page to
swap in, so a phone never reloads the whole worklist.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import case, select
from sqlalchemy.orm import selectinload

from crm import permissions
from crm.contacts.forms import ContactForm, FollowUpDoneForm, QuickLogForm, RescheduleForm
from crm.extensions import db
from crm.loading import load_employer_or_404, load_follow_up_or_404
from crm.models import Employer, FollowUp, User, Vacancy
from crm.services import contacts, worklist
from crm.services.contacts import ContactData, FollowUpData
from crm.services.errors import ServiceError
from crm.view_helpers import first_error, is_htmx, safe_next

bp = Blueprint("contacts", __name__)

MAX_VACANCY_CHOICES = 200
CLOSED_VACANCY_STATUSES = ("vervuld", "ingetrokken", "verlopen")


# --- the full contact form ------------------------------------------------------------


def _vacancy_choices(employer: Employer) -> list[Vacancy]:
    closed = case((Vacancy.status.in_(CLOSED_VACANCY_STATUSES), 1), else_=0)
    return list(
        db.session.scalars(
            select(Vacancy)
            .where(Vacancy.employer_id == employer.id)
            .order_by(closed, Vacancy.created_at.desc(), Vacancy.id.desc())
            .limit(MAX_VACANCY_CHOICES)
        )
    )


def _owner_choices() -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.active).options(selectinload(User.organisation)).order_by(User.name, User.id)
        )
    )


@bp.route("/werkgevers/<int:employer_id>/contactmoment", methods=["GET", "POST"])
@login_required
def log_contact(employer_id: int):
    employer = load_employer_or_404(employer_id, current_user)
    permissions.require(permissions.can_log_contact(current_user, employer))
    form = ContactForm()
    form.set_choices(employer.people, _vacancy_choices(employer), _owner_choices())
    if request.method == "GET":
        form.follow_up_owner_id.data = employer.contactpersoon_id
    service_error = None
    if form.validate_on_submit():
        assert form.summary.data is not None  # DataRequired
        data = ContactData(
            channel=form.channel.data,
            summary=form.summary.data,
            occurred_at=form.occurred_at.data,
            outcome=form.outcome.data or "",
            employer_contact_id=form.employer_contact_id.data or None,
            vacancy_id=form.vacancy_id.data or None,
            visibility=form.visibility.data,
        )
        follow_up = None
        if form.follow_up_due.data:
            assert form.follow_up_subject.data is not None  # ContactForm.validate: a due date needs a subject
            follow_up = FollowUpData(
                due_date=form.follow_up_due.data,
                subject=form.follow_up_subject.data,
                owner_id=form.follow_up_owner_id.data or None,
            )
        try:
            contacts.log_contact(current_user, employer, data, follow_up)
        except ServiceError as error:
            db.session.rollback()
            service_error = str(error)
        else:
            db.session.commit()
            flash(_("Het contactmoment met %(name)s is vastgelegd.", name=employer.name), "success")
            return redirect(url_for("employers.detail", id=employer.id))
    return render_template("contacts/log_contact.html", form=form, employer=employer, service_error=service_error)


# --- quick log from the worklist --------------------------------------------------------


@bp.route("/werkgevers/<int:employer_id>/snel-contact", methods=["GET", "POST"])
@login_required
def quick_log(employer_id: int):
    employer = load_employer_or_404(employer_id, current_user)
    permissions.require(permissions.can_log_contact(current_user, employer))
    form = QuickLogForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        days = form.follow_up_days.data
        summary = str(form.summary.data)
        follow_up = None
        if days:
            follow_up = FollowUpData(due_date=worklist.follow_up_date(days), subject=f"Opvolgen: {summary}"[:300])
        try:
            contacts.log_contact(
                current_user, employer, ContactData(channel=form.channel.data, summary=summary), follow_up
            )
        except ServiceError as error:
            db.session.rollback()
            form.summary.errors = [*form.summary.errors, str(error)]
        else:
            db.session.commit()
            if follow_up:
                message = _(
                    "Contact met %(name)s vastgelegd. Opvolgactie gepland op %(date)s.",
                    name=employer.name,
                    date=format_date(follow_up.due_date, "EEEE d MMMM"),
                )
            else:
                message = _("Contact met %(name)s vastgelegd.", name=employer.name)
            if is_htmx():
                return render_template(
                    "worklist/_quick_log_result.html",
                    message=message,
                    follow_ups_changed=follow_up is not None,
                    **worklist.employer_row_context(employer),
                    **(worklist.follow_up_section_context(current_user) if follow_up else {}),
                )
            flash(message, "success")
            return redirect(safe_next(form.next.data))
    if is_htmx():
        return render_template("worklist/_employer.html", quick_form=form, **worklist.employer_row_context(employer))
    return render_template("contacts/quick_log.html", form=form, employer=employer)


# --- follow-ups: done, reschedule --------------------------------------------------------


def _load_changeable_follow_up(id: int) -> FollowUp:
    follow_up = load_follow_up_or_404(id, current_user)
    permissions.require(
        permissions.can_change_follow_up(current_user, follow_up),
        _("Alleen de eigenaar, de contactpersoon of een coördinator kan deze opvolgactie wijzigen."),
    )
    return follow_up


def _follow_up_answer(message: str, ok: bool, next_url: str | None):
    """htmx: the refreshed follow-up section with the message; otherwise flash and redirect."""
    if is_htmx():
        return render_template(
            "worklist/_follow_ups.html",
            message=message,
            message_ok=ok,
            **worklist.follow_up_section_context(current_user),
        )
    flash(message, "success" if ok else "danger")
    return redirect(safe_next(next_url))


@bp.route("/opvolgacties/<int:id>/afronden", methods=["POST"])
@login_required
def follow_up_done(id: int):
    follow_up = _load_changeable_follow_up(id)
    form = FollowUpDoneForm()
    if not form.validate():
        return _follow_up_answer(first_error(form), False, form.next.data)
    contact = ContactData(channel=form.channel.data, summary=form.summary.data) if form.summary.data else None
    next_follow_up = None
    if form.next_days.data:
        next_follow_up = FollowUpData(
            due_date=worklist.follow_up_date(form.next_days.data),
            subject=follow_up.subject,
            owner_id=follow_up.owner_id,
        )
    subject = follow_up.subject
    try:
        contacts.complete_follow_up(current_user, follow_up, contact, next_follow_up)
    except ServiceError as error:
        db.session.rollback()
        return _follow_up_answer(str(error), False, form.next.data)
    db.session.commit()
    parts = [_("Opvolgactie '%(subject)s' afgerond.", subject=subject)]
    if contact:
        parts.append(_("Het contactmoment is vastgelegd."))
    if next_follow_up:
        parts.append(_("Nieuwe opvolgactie op %(date)s.", date=format_date(next_follow_up.due_date, "EEEE d MMMM")))
    return _follow_up_answer(" ".join(parts), True, form.next.data)


@bp.route("/opvolgacties/<int:id>/verzetten", methods=["POST"])
@login_required
def follow_up_reschedule(id: int):
    follow_up = _load_changeable_follow_up(id)
    form = RescheduleForm()
    if not form.validate():
        return _follow_up_answer(first_error(form), False, form.next.data)
    due_date = worklist.rescheduled_date(follow_up, form.days.data) if form.days.data else form.due_date.data
    assert due_date is not None  # RescheduleForm.validate: without days, a date is required
    subject = follow_up.subject
    try:
        contacts.reschedule_follow_up(current_user, follow_up, due_date)
    except ServiceError as error:
        db.session.rollback()
        return _follow_up_answer(str(error), False, form.next.data)
    db.session.commit()
    message = _(
        "Opvolgactie '%(subject)s' verzet naar %(date)s.", subject=subject, date=format_date(due_date, "EEEE d MMMM")
    )
    return _follow_up_answer(message, True, form.next.data)
