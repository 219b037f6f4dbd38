"""Confirming the password again before a sensitive action (see crm.security)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import PasswordField
from wtforms.validators import DataRequired

from crm.auth.views import bp
from crm.extensions import db
from crm.forms import BaseForm
from crm.i18n import lazy_gettext as _l
from crm.lib.passwords import verify_password
from crm.security import confirm_password_now
from crm.services.audit import audit
from crm.view_helpers import safe_next


class ReauthForm(BaseForm):
    password = PasswordField(_l("Wachtwoord"), validators=[DataRequired(_l("Vul uw wachtwoord in."))])


@bp.route("/herbevestigen", methods=["GET", "POST"])
@login_required
def reauthenticate():
    form = ReauthForm()
    if form.validate_on_submit():
        password = form.password.data
        assert password is not None  # DataRequired
        if verify_password(current_user.password_hash, password):
            confirm_password_now()
            return redirect(safe_next(request.args.get("next")))
        audit(
            current_user,
            "login_failed",
            current_user,
            summary="Herbevestiging mislukt",
            ip_address=request.remote_addr or "",
        )
        db.session.commit()
        flash(_("Het wachtwoord klopt niet."), "danger")
    # the page names the configured time, whatever it is (not a fixed "kwartier")
    return render_template("auth/reauth.html", form=form, reauth_minutes=current_app.config["REAUTH_MINUTES"])
