"""Two-factor sign-in: the code step after the password (an app code or a recovery code),
enrolment in the profile, and new recovery codes (after the password again)."""

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
from crm.lib import throttle
from crm.security import recent_password_required
from crm.services import accounts, two_factor
from crm.services.audit import audit
from crm.services.errors import ServiceError

PENDING_SECONDS = 300


class CodeForm(BaseForm):
    code = StringField(
        _l("Code uit uw authenticator-app"),
        validators=[DataRequired(_l("Vul de code van zes cijfers in.")), Length(max=10)],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"},
    )


class SignInCodeForm(BaseForm):
    code = StringField(
        _l("Code uit uw authenticator-app of een herstelcode"),
        validators=[DataRequired(_l("Vul de code van zes cijfers in, of een herstelcode.")), Length(max=30)],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"},
    )


class DisableForm(CodeForm):
    password = PasswordField(_l("Wachtwoord"), validators=[DataRequired(_l("Vul uw wachtwoord in."))])


def _code_refused(outcome: two_factor.Outcome, recovery: bool) -> str:
    if outcome is two_factor.Outcome.USED and recovery:
        return _("Deze herstelcode is al gebruikt. Elke herstelcode werkt één keer.")
    if outcome is two_factor.Outcome.USED:
        return _(
            "Deze code is al gebruikt. Elke code werkt één keer: wacht op de volgende code in uw app "
            "(binnen 30 seconden)."
        )
    if recovery:
        return _("Deze herstelcode klopt niet. Let op: een herstelcode heeft drie groepen van vier tekens.")
    return _("De code klopt niet. Probeer de nieuwste code uit uw app.")


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    token = session.get("pending_user")
    user = load_user(token) if token else None
    if user is None or time.time() - session.get("pending_since", 0) > PENDING_SECONDS:
        session.clear()
        flash(_("Meld u opnieuw aan."), "info")
        return redirect(url_for("auth.login"))
    form = SignInCodeForm()
    if form.validate_on_submit():
        wait = throttle.take_attempt(user.email)
        if wait:
            flash(too_many_attempts(wait), "danger")
            return render_template("auth/login_code.html", form=form), 429
        code = form.code.data
        assert code is not None  # DataRequired
        recovery = two_factor.looks_like_recovery_code(code)
        outcome = two_factor.use_second_factor(user, code)
        ip_address = request.remote_addr or ""
        if outcome is two_factor.Outcome.OK:
            accounts.record_login(user, ip_address=ip_address, via="herstelcode" if recovery else "")
            left = two_factor.remaining_recovery_codes(user) if recovery else None
            db.session.commit()
            throttle.reset(user.email)
            response = finish_login(user, session.get("pending_next") or url_for("worklist.index"))
            if left is not None:
                flash(
                    _(
                        "U bent aangemeld met een herstelcode. U heeft nog %(count)s herstelcodes; maak nieuwe "
                        "aan onder Mijn profiel, Tweestapsverificatie.",
                        count=left,
                    ),
                    "warning",
                )
            return response
        audit(
            None,
            "login_failed",
            user,
            summary="Herstelcode onjuist" if recovery else "Tweestapscode onjuist",
            ip_address=ip_address,
        )
        db.session.commit()
        form.code.errors = [*form.code.errors, _code_refused(outcome, recovery)]
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
        codes = None
        code = form.code.data
        assert code is not None  # DataRequired
        try:
            if enabled:
                password = form.password.data
                assert password is not None  # DataRequired
                two_factor.disable(current_user, password, code, required)
            else:
                codes = two_factor.confirm_enrolment(current_user, code)
        except ServiceError as error:
            form.code.errors = [*form.code.errors, str(error)]
        else:
            db.session.commit()
            if codes is not None:  # shown once, on this page itself (never in the session cookie)
                flash(_("Tweestapsverificatie staat aan."), "success")
                return render_template("auth/recovery_codes.html", codes=codes, first=True)
            flash(_("Tweestapsverificatie staat uit."), "success")
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
        recovery_codes_left=two_factor.remaining_recovery_codes(current_user) if enabled else None,
    )


@bp.route("/profiel/tweestaps/herstelcodes", methods=["POST"])
@login_required
@recent_password_required
def recovery_codes_new():
    """A new set of recovery codes (the old ones stop working), after the password again."""
    if not BaseForm().validate_on_submit():  # no fields: checks the CSRF token
        return redirect(url_for("auth.two_factor_setup"))
    try:
        codes = two_factor.new_recovery_codes(current_user)
    except ServiceError as error:
        flash(str(error), "danger")
        return redirect(url_for("auth.two_factor_setup"))
    db.session.commit()
    return render_template("auth/recovery_codes.html", codes=codes, first=False)
