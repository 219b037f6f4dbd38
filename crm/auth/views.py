"""Sign-in, sign-out and the user's own profile."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from crm.auth.forms import ChangePasswordForm, LoginForm, PreferencesForm
from crm.extensions import db
from crm.security import start_session
from crm.services import accounts
from crm.services.errors import ServiceError

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str:
    """Only a local path is an acceptable redirect target after sign-in."""
    if not target:
        return url_for("worklist.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("worklist.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("worklist.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data, ip_address=request.remote_addr or "")
        db.session.commit()
        if user is None:
            flash(_("Onbekend e-mailadres of onjuist wachtwoord."), "danger")
            return render_template("auth/login.html", form=form), 200
        session.clear()  # a fresh session: nothing from before sign-in survives
        login_user(user)
        start_session()
        return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


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
        try:
            accounts.change_password(current_user, password_form.current.data, password_form.new.data)
        except ServiceError as error:
            password_form.new.errors.append(str(error))
        else:
            db.session.commit()
            # The password change ended every session, this one included: sign in again here.
            login_user(current_user._get_current_object())
            start_session()
            flash(_("Uw wachtwoord is gewijzigd. Andere sessies zijn afgemeld."), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", prefs=prefs, password_form=password_form)
