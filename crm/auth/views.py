"""Sign-in, sign-out and the user's own profile."""

from __future__ import annotations

import math
import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from crm.auth.forms import ChangePasswordForm, LoginForm, PreferencesForm
from crm.extensions import db, limiter
from crm.forms import BaseForm
from crm.lib import throttle
from crm.security import start_session
from crm.services import accounts, two_factor
from crm.services.errors import ServiceError
from crm.view_helpers import safe_next

bp = Blueprint("auth", __name__)


def _failed_attempt(response) -> bool:
    """Only failed sign-ins count toward the per-IP limit (a success redirects)."""
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_IP_LIMIT"], methods=["POST"], deduct_when=_failed_attempt)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("worklist.index"))
    form = LoginForm()
    if form.validate_on_submit():
        email, password = form.email.data, form.password.data
        assert email is not None and password is not None  # both DataRequired
        wait = throttle.take_attempt(email)
        if wait:
            flash(too_many_attempts(wait), "danger")
            return render_template("auth/login.html", form=form), 429
        ip_address = request.remote_addr or ""
        user = accounts.authenticate(email, password, ip_address=ip_address)
        if user is None:
            db.session.commit()
            flash(_("Onbekend e-mailadres of onjuist wachtwoord."), "danger")
            return render_template("auth/login.html", form=form), 200
        target = safe_next(request.args.get("next"))
        if two_factor.is_enabled(user):
            # The failure count is reset only by a complete sign-in (in login_code): otherwise
            # whoever knows the password could guess codes for ever, re-entering it every 4 tries.
            # Not signed in yet: the Logboek says "password right", and "login" only after the code.
            accounts.record_password_step(user, ip_address=ip_address)
            db.session.commit()
            session.clear()
            session["pending_user"], session["pending_next"] = user.get_id(), target
            session["pending_since"] = int(time.time())
            return redirect(url_for("auth.login_code"))
        throttle.reset(email)
        accounts.record_login(user, ip_address=ip_address)
        db.session.commit()
        return finish_login(user, target)
    return render_template("auth/login.html", form=form)


def too_many_attempts(seconds: int) -> str:
    return _(
        "Te veel mislukte pogingen voor dit account. Wacht %(minutes)s minuten en probeer het opnieuw.",
        minutes=max(1, math.ceil(seconds / 60)),
    )


def finish_login(user, target: str):
    session.clear()  # a fresh session: nothing from before sign-in survives
    login_user(user)
    start_session()
    return redirect(target)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    accounts.end_sessions(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("U bent afgemeld."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/profiel", methods=["GET", "POST"])
@login_required
def profile():
    prefs = PreferencesForm(obj=current_user, prefix="prefs")
    password_form = ChangePasswordForm(prefix="pw")
    if prefs.submit_ok("prefs"):
        accounts.update_preferences(
            current_user,
            locale=prefs.locale.data,
            notify_digest=prefs.notify_digest.data,
            notify_reminders=prefs.notify_reminders.data,
            phone=prefs.phone.data or "",
        )
        db.session.commit()
        flash(_("Uw voorkeuren zijn opgeslagen."), "success")
        return redirect(url_for("auth.profile"))
    if password_form.submit_ok("pw"):
        current, new = password_form.current.data, password_form.new.data
        assert current is not None and new is not None  # both DataRequired
        try:
            accounts.change_password(current_user, current, new)
        except ServiceError as error:
            password_form.new.errors = [*password_form.new.errors, str(error)]
        else:
            db.session.commit()
            # The password change ended every session, this one included: sign in again here.
            login_user(current_user._get_current_object())
            start_session()
            flash(_("Uw wachtwoord is gewijzigd. Andere sessies zijn afgemeld."), "success")
            return redirect(url_for("auth.profile"))
    return render_template(
        "auth/profile.html",
        prefs=prefs,
        password_form=password_form,
        calendar_url=_calendar_url(current_user.ical_token),
        recovery_codes_left=two_factor.remaining_recovery_codes(current_user)
        if two_factor.is_enabled(current_user)
        else None,
    )


def _calendar_url(token: str | None) -> str:
    if not token:
        return ""
    return current_app.config["BASE_URL"].rstrip("/") + url_for("calendar.feed", token=token)


@bp.route("/profiel/agenda/nieuw", methods=["POST"])
@login_required
def calendar_link_new():
    """A new secret calendar address for the signed-in user (the old one stops working)."""
    if BaseForm().validate_on_submit():  # no fields: checks the CSRF token
        accounts.regenerate_ical_token(current_user)
        db.session.commit()
        flash(_("Uw agenda-link is gemaakt. Een eerdere link werkt niet meer."), "success")
    return redirect(url_for("auth.profile") + "#agenda")


@bp.route("/profiel/agenda/intrekken", methods=["POST"])
@login_required
def calendar_link_revoke():
    if BaseForm().validate_on_submit():
        accounts.revoke_ical_token(current_user)
        db.session.commit()
        flash(_("Uw agenda-link is ingetrokken."), "success")
    return redirect(url_for("auth.profile") + "#agenda")
