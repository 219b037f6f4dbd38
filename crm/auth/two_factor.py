"""Two-factor sign-in: the code step after the password, and enrolment in the profile."""

from __future__ import annotations

import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from crm.auth.session import load_user
from crm.auth.views import bp, finish_login, too_many_attempts
from crm.extensions import db
from crm.forms import BaseForm
from crm.i18n import lazy_gettext as _l
from crm.services import throttle, two_factor
from crm.services.errors import ServiceError

PENDING_SECONDS = 300


class CodeForm(BaseForm):
    code = StringField(
        _l("Code uit uw authenticator-app"),
        validators=[DataRequired(_l("Vul de code van zes cijfers in.")), Length(max=10)],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"},
    )


class DisableForm(CodeForm):
    password = PasswordField(_l("Wachtwoord"), validators=[DataRequired(_l("Vul uw wachtwoord in."))])


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    token = session.get("pending_user")
    user = load_user(token) if token else None
    if user is None or time.time() - session.get("pending_since", 0) > PENDING_SECONDS:
        session.clear()
        flash(_("Meld u opnieuw aan."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        wait = throttle.seconds_blocked(user.email)
        if wait:
            flash(too_many_attempts(wait), "danger")
            return render_template("auth/login_code.html", form=form), 429
        if two_factor.verify(user, form.code.data):
            throttle.reset(user.email)
            return finish_login(user, session.get("pending_next") or url_for("worklist.index"))
        throttle.record_failure(user.email)
        form.code.errors.append(_("De code klopt niet. Probeer de nieuwste code uit uw app."))
    return render_template("auth/login_code.html", form=form)


@bp.route("/profiel/tweestaps", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    required = current_app.config["REQUIRE_2FA_ROLES"]
    enabled = two_factor.is_enabled(current_user)
    form = DisableForm() if enabled else CodeForm()
    if not enabled and not current_user.totp_secret:
        two_factor.start_enrolment(current_user)
        db.session.commit()
    if form.validate_on_submit():
        try:
            if enabled:
                two_factor.disable(current_user, form.password.data, form.code.data, required)
            else:
                two_factor.confirm_enrolment(current_user, form.code.data)
        except ServiceError as error:
            form.code.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Tweestapsverificatie staat uit.") if enabled else _("Tweestapsverificatie staat aan."), "success")
            return redirect(url_for("auth.profile"))
    qr = Markup(two_factor.qr_svg(current_user)) if not enabled else None  # noqa: S704 (segno's own SVG)
    return render_template(
        "auth/two_factor.html",
        form=form,
        enabled=enabled,
        required=two_factor.is_required(current_user, required),
        secret=current_user.totp_secret if not enabled else None,
        qr=qr,
        next_url=request.args.get("next"),
    )
