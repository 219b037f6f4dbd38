"""Beheer: organisations, partnerships, programme periods and users. Admins only."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from crm import edit_merge, permissions
from crm.admin.forms import OrganisationForm, PartnershipForm, ProgrammePeriodForm, UserForm
from crm.extensions import db
from crm.forms import choices
from crm.lib import mail
from crm.models import Delivery, Organisation, Partnership, ProgrammePeriod, Region, User
from crm.security import recent_password_required
from crm.services import accounts, organisations, programme_periods, reminders, two_factor, versions
from crm.services.audit import audit
from crm.services.errors import ServiceError
from crm.view_helpers import search_term

bp = Blueprint("admin", __name__)
log = logging.getLogger(__name__)


@bp.before_request
@login_required
def only_admins():
    permissions.require(permissions.can_manage_organisations(current_user))


def _get(model, id_):
    record = db.session.get(model, id_)
    if record is None or getattr(record, "is_service_account", False):
        abort(404)  # an API client's principal is changed on the Koppelingen page only
    return record


@bp.route("/")
def index():
    return redirect(url_for("admin.users"))


# --- organisations -----------------------------------------------------------------


@bp.route("/organisaties")
def organisations_list():
    rows = db.session.execute(
        select(Organisation, func.count(User.id))
        .outerjoin(User, (User.organisation_id == Organisation.id) & User.active)
        .group_by(Organisation.id)
        .order_by(Organisation.name)
    ).all()
    return render_template("admin/organisations.html", rows=rows)


def _save_versioned(form, record, write: Callable[[int | None], object], reload, **merge) -> edit_merge.Outcome:
    """Create (``record`` None) or save an edit through ``crm.edit_merge`` (a stale save is
    merged or shown rebased, with what changed) and commit when saved; a rule's refusal is
    shown at the name field."""
    try:
        if record is None:
            write(None)
            outcome = edit_merge.Outcome(saved=True)
        else:
            outcome = edit_merge.save(
                form,
                write=write,
                reload=reload,
                changes_since=merge.pop(
                    "changes_since", lambda r, version: versions.changes_since(r, version, ("update",))
                ),
                **merge,
            )
    except programme_periods.PeriodRefused:
        raise  # the caller puts it at its field
    except ServiceError as error:
        form.name.errors.append(str(error))
        return edit_merge.Outcome()
    edit_merge.commit_saved(outcome)
    return outcome


def _refused(outcome: edit_merge.Outcome) -> dict:
    return {"changes": outcome.changes, "conflicts": outcome.conflicts}


@bp.route("/organisaties/nieuw", methods=["GET", "POST"])
@bp.route("/organisaties/<int:id>", methods=["GET", "POST"])
def organisation_edit(id: int | None = None):
    organisation = _get(Organisation, id) if id else None
    form = OrganisationForm(obj=organisation)
    if request.method == "GET" and organisation is not None:
        edit_merge.open_form(form, organisation.version)
    outcome = edit_merge.Outcome()
    if form.validate_on_submit():
        name = form.name.data
        assert name is not None  # DataRequired
        outcome = _save_versioned(
            form,
            organisation,
            lambda version: organisations.save_organisation(
                current_user,
                organisation,
                name=form.name.data or name,
                kind=form.kind.data,
                active=form.active.data,
                version=version,
            ),
            lambda: (organisation, OrganisationForm(formdata=None, obj=organisation)),
        )
        if outcome.saved:
            flash(_("De organisatie is opgeslagen."), "success")
            return redirect(url_for("admin.organisations_list"))
    return render_template("admin/organisation_form.html", form=form, organisation=organisation, **_refused(outcome))


# --- partnerships ------------------------------------------------------------------


@bp.route("/samenwerkingsverbanden")
def partnerships_list():
    partnerships = db.session.scalars(
        select(Partnership)
        .options(selectinload(Partnership.members), selectinload(Partnership.region))
        .order_by(Partnership.name)
    ).all()
    return render_template("admin/partnerships.html", partnerships=partnerships)


@bp.route("/samenwerkingsverbanden/nieuw", methods=["GET", "POST"])
@bp.route("/samenwerkingsverbanden/<int:id>", methods=["GET", "POST"])
def partnership_edit(id: int | None = None):
    partnership = _get(Partnership, id) if id else None
    all_orgs = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()

    def partnership_form(**kwargs) -> PartnershipForm:
        form = PartnershipForm(obj=partnership, **kwargs)
        form.region_id.choices = choices(
            [(0, _("— geen —"))]
            + [(r.id, f"{r.number}. {r.name}") for r in db.session.scalars(select(Region).order_by(Region.number))]
        )
        form.member_ids.choices = choices((o.id, o.name) for o in all_orgs)
        if partnership and (request.method == "GET" or "formdata" in kwargs):
            form.member_ids.data = [o.id for o in partnership.members]
            form.region_id.data = partnership.region_id or 0
        return form

    form = partnership_form()
    if request.method == "GET" and partnership is not None:
        edit_merge.open_form(form, partnership.version)
    outcome = edit_merge.Outcome()
    if form.validate_on_submit():
        name = form.name.data
        assert name is not None  # DataRequired
        outcome = _save_versioned(
            form,
            partnership,
            lambda version: organisations.save_partnership(
                current_user,
                partnership,
                name=form.name.data or name,
                scope=form.scope.data,
                region_id=form.region_id.data or None,
                description=form.description.data or "",
                members=[o for o in all_orgs if o.id in set(form.member_ids.data or [])],
                active=form.active.data,
                version=version,
            ),
            lambda: (partnership, partnership_form(formdata=None)),
            audit_keys={"member_ids": "members"},
        )
        if outcome.saved:
            flash(_("Het samenwerkingsverband is opgeslagen."), "success")
            return redirect(url_for("admin.partnerships_list"))
    return render_template("admin/partnership_form.html", form=form, partnership=partnership, **_refused(outcome))


# --- programme periods -----------------------------------------------------------------


@bp.route("/programmaperiodes")
def programme_periods_list():
    rows = programme_periods.list_periods(current_user)
    return render_template("admin/programme_periods.html", rows=rows)


@bp.route("/programmaperiodes/nieuw", methods=["GET", "POST"])
@bp.route("/programmaperiodes/<int:id>", methods=["GET", "POST"])
def programme_period_edit(id: int | None = None):
    period = _get(ProgrammePeriod, id) if id else None
    form = ProgrammePeriodForm(obj=period)
    if request.method == "GET" and period is not None:
        edit_merge.open_form(form, period.version)
    outcome = edit_merge.Outcome()
    if form.validate_on_submit():
        name = form.name.data
        assert name is not None  # DataRequired

        def write(version: int | None):
            return programme_periods.save_period(
                current_user,
                period,
                name=form.name.data or name,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                version=version,
            )

        try:
            outcome = _save_versioned(
                form, period, write, lambda: (period, ProgrammePeriodForm(formdata=None, obj=period))
            )
        except programme_periods.PeriodRefused as refused:
            form[refused.field].errors = [*form[refused.field].errors, str(refused)]
        if outcome.saved:
            flash(_("Programmaperiode %(name)s is opgeslagen.", name=form.name.data), "success")
            return redirect(url_for("admin.programme_periods_list"))
    usage = programme_periods.usage_of(period) if period is not None else None
    return render_template(
        "admin/programme_period_form.html", form=form, period=period, usage=usage, **_refused(outcome)
    )


@bp.route("/programmaperiodes/<int:id>/verwijderen", methods=["GET", "POST"])
def programme_period_delete(id: int):
    """GET: the confirmation step (or why the period cannot be deleted); POST: delete."""
    period = _get(ProgrammePeriod, id)
    if request.method == "POST":
        name = period.name
        try:
            programme_periods.delete_period(current_user, period)
        except programme_periods.PeriodRefused as refused:
            flash(str(refused), "danger")
            return redirect(url_for("admin.programme_period_edit", id=id))
        db.session.commit()
        flash(_("Programmaperiode %(name)s is verwijderd.", name=name), "success")
        return redirect(url_for("admin.programme_periods_list"))
    usage = programme_periods.usage_of(period)
    refusal = programme_periods.refusal(period, usage) if usage.in_use else None
    return render_template("admin/programme_period_delete.html", period=period, usage=usage, refusal=refusal)


# --- users ---------------------------------------------------------------------------


@bp.route("/gebruikers")
def users():
    q = search_term()
    # API clients' principals are managed on the Koppelingen page, not as users
    query = (
        select(User)
        .where(User.is_service_account.is_(False))
        .options(selectinload(User.organisation))
        .order_by(User.active.desc(), User.name)
    )
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(func.lower(User.name).like(like), func.lower(User.email).like(like)))
    page = db.paginate(
        query, page=request.args.get("pagina", 1, type=int), per_page=current_app.config["PAGE_SIZE"], error_out=False
    )
    return render_template("admin/users.html", page=page, q=q)


def _user_form(user: User | None, **kwargs) -> UserForm:
    form = UserForm(obj=user, **kwargs)
    form.organisation_id.choices = choices(
        (o.id, o.name)
        for o in db.session.scalars(select(Organisation).where(Organisation.active).order_by(Organisation.name))
    )
    return form


@bp.route("/gebruikers/nieuw", methods=["GET", "POST"])
@recent_password_required
def user_new():
    form = _user_form(None)
    if form.validate_on_submit():
        password = accounts.generate_password()
        assert form.email.data is not None and form.name.data is not None  # both DataRequired
        try:
            user = accounts.create_user(
                current_user,
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                organisation=_get(Organisation, form.organisation_id.data),
                password=password,
                phone=form.phone.data or "",
            )
        except ServiceError as error:
            form.email.errors = [*form.email.errors, str(error)]
        else:
            db.session.commit()
            # Shown once on the page itself, never put in the (client-side) session cookie.
            return render_template("admin/user_password.html", user=user, password=password, created=True)
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/gebruikers/<int:id>", methods=["GET", "POST"])
@recent_password_required
def user_edit(id: int):
    user = _get(User, id)
    form = _user_form(user)
    form.email.render_kw = {"readonly": True}
    if request.method == "GET":
        edit_merge.open_form(form, user.edit_version)
    outcome = edit_merge.Outcome()
    if form.validate_on_submit():
        try:
            outcome = edit_merge.save(
                form,
                write=lambda version: accounts.update_user(
                    current_user,
                    user,
                    name=form.name.data or "",
                    role=form.role.data,
                    organisation=_get(Organisation, form.organisation_id.data),
                    phone=form.phone.data or "",
                    version=version,
                ),
                reload=lambda: (user, _user_form(user, formdata=None)),
                changes_since=lambda record, version: versions.changes_since(
                    record, version, ("update",), current=record.edit_version
                ),
                audit_keys={"organisation_id": "organisation"},
                version_attr="edit_version",
            )
        except ServiceError as error:
            form.role.errors = [*form.role.errors, str(error)]
        else:
            if edit_merge.commit_saved(outcome):
                flash(_("De gebruiker is opgeslagen."), "success")
                return redirect(url_for("admin.user_edit", id=user.id))
    return render_template(
        "admin/user_form.html",
        form=form,
        user=user,
        two_factor_on=two_factor.is_enabled(user),
        **_refused(outcome),
    )


@bp.route("/gebruikers/<int:id>/actief", methods=["POST"])
@recent_password_required
def user_set_active(id: int):
    user = _get(User, id)
    active = request.form.get("active") == "1"
    try:
        accounts.set_active(current_user, user, active)
    except ServiceError as error:
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(
            _("%(name)s is geactiveerd.", name=user.name)
            if active
            else _("%(name)s is gedeactiveerd.", name=user.name),
            "success",
        )
    return redirect(url_for("admin.user_edit", id=user.id))


@bp.route("/gebruikers/<int:id>/wachtwoord", methods=["POST"])
@recent_password_required
def user_reset_password(id: int):
    user = _get(User, id)
    password = accounts.reset_password(current_user, user)
    db.session.commit()
    return render_template("admin/user_password.html", user=user, password=password, created=False)


@bp.route("/gebruikers/<int:id>/tweestaps", methods=["POST"])
@recent_password_required
def user_reset_two_factor(id: int):
    """Switch off a user's second factor (a lost phone): audited, and the user is told by e-mail."""
    user = _get(User, id)
    try:
        accounts.reset_two_factor(current_user, user)
    except ServiceError as error:
        flash(str(error), "danger")
        return redirect(url_for("admin.user_edit", id=user.id))
    db.session.commit()
    # After the commit: the e-mail never announces a reset that did not happen.
    try:
        mail.deliver(mail.build(accounts.two_factor_reset_mail(user, current_user)))
    except mail.MailFailure as error:
        log.warning("Two-factor reset mail to user %s not delivered: %s", user.id, error)
        audit(None, "mail_failed", user, summary=f"two_factor_reset: {error}"[:1000])
        db.session.commit()
        flash(
            _(
                "De tweestapsverificatie van %(name)s staat uit, maar de e-mail aan %(name)s kon niet worden "
                "verstuurd. Laat het %(name)s zelf weten.",
                name=user.name,
            ),
            "warning",
        )
    else:
        flash(
            _(
                "De tweestapsverificatie van %(name)s staat uit. %(name)s heeft hierover een e-mail gekregen.",
                name=user.name,
            ),
            "success",
        )
    return redirect(url_for("admin.user_edit", id=user.id))


# --- mail that could not be delivered ------------------------------------------------


@bp.route("/mail")
def failed_mail():
    """What the mail server refused for good, newest first: who, what kind, when and why
    (never the message), with a button to send it again."""
    deliveries = reminders.failed_deliveries(current_user)
    return render_template("admin/failed_mail.html", deliveries=deliveries)


@bp.route("/mail/<int:id>/opnieuw", methods=["POST"])
def failed_mail_retry(id: int):
    delivery = _get(Delivery, id)
    try:
        reminders.retry_delivery(current_user, delivery)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error), "warning")
        return redirect(url_for("admin.failed_mail"))
    db.session.commit()
    flash(
        _(
            "De e-mail aan %(name)s wordt binnen %(seconds)s seconden opnieuw verstuurd.",
            name=delivery.recipient.name,
            seconds=current_app.config["REMINDER_SCAN_SECONDS"],
        ),
        "success",
    )
    return redirect(url_for("admin.failed_mail"))
