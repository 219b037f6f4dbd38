"""Response headers and session lifetime, for every request.

- Content-Security-Policy without inline scripts (all JavaScript lives in static files),
  frame-ancestors 'none', nosniff, a strict referrer policy; HSTS in production.
- ``Cache-Control: no-store`` on every page for a signed-in user: pages hold shared employer
  data and, for some, personal data of participants; browsers must not keep them.
- Sessions end after ``SESSION_IDLE_MINUTES`` without a request and ``SESSION_ABSOLUTE_HOURS``
  after sign-in, whatever happens in between.
- The probes (``/livez``, ``/readyz``, ``/metrics``) get no session at all: a load balancer
  calling them every second must neither load a user nor keep a session alive.
"""

from __future__ import annotations

import time
from functools import wraps

from flask import Flask, Request, Response, current_app, flash, redirect, request, session, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from crm.services import two_factor

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # htmx and Bootstrap set style attributes
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


TWO_FACTOR_FREE = {"auth.two_factor_setup", "auth.logout", "static", "pages.privacy"}
# Probes and the metrics scraper (crm/health): no session is read or renewed, no user is
# loaded (that would be a database query on /livez), and no cookie is sent.
SESSIONLESS = {"health.livez", "health.readyz", "health.metrics"}
SESSIONLESS_PATHS = {"/livez", "/readyz", "/metrics"}


class SessionInterface(SecureCookieSessionInterface):
    """The signed-cookie session, except on the probes' addresses: there a null session
    (empty, never written), so a probe neither reads a user's cookie nor sends one back."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path in SESSIONLESS_PATHS:
            return self.make_null_session(app)
        return super().open_session(app, request)


def register(app: Flask) -> None:
    app.session_interface = SessionInterface()
    app.before_request(enforce_session_lifetime)
    app.before_request(enforce_two_factor)
    app.after_request(security_headers)


def security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config.get("HSTS"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    # The probes first: on them, current_user is never loaded.
    if request.endpoint in SESSIONLESS or (
        request.endpoint != "static" and current_user and current_user.is_authenticated
    ):
        response.headers["Cache-Control"] = "no-store"
    return response


def start_session() -> None:
    """Call right after login_user: the clocks for idle and absolute timeouts start here."""
    now = int(time.time())
    session["signed_in_at"] = now
    session["seen_at"] = now
    session["password_at"] = now


def enforce_session_lifetime():
    if (
        request.endpoint == "static"
        or request.endpoint in SESSIONLESS
        or not current_user
        or not current_user.is_authenticated
    ):
        return None
    now = int(time.time())
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    absolute = current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    signed_in_at = session.get("signed_in_at", 0)
    seen_at = session.get("seen_at", 0)
    if now - seen_at > idle or now - signed_in_at > absolute:
        logout_user()
        session.clear()
        flash(_("Uw sessie is verlopen. Meld u opnieuw aan."), "info")
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    session["seen_at"] = now
    return None


def enforce_two_factor():
    """Roles that must use two-factor sign-in get the set-up page until they have done it."""
    if (
        request.endpoint in TWO_FACTOR_FREE
        or request.endpoint in SESSIONLESS
        or not current_user
        or not current_user.is_authenticated
    ):
        return None
    required = current_app.config["REQUIRE_2FA_ROLES"]
    if two_factor.is_required(current_user, required) and not two_factor.is_enabled(current_user):
        return redirect(url_for("auth.two_factor_setup"))
    return None


def password_is_recent() -> bool:
    return int(time.time()) - session.get("password_at", 0) <= current_app.config["REAUTH_MINUTES"] * 60


def confirm_password_now() -> None:
    session["password_at"] = int(time.time())


def recent_password_required(view):
    """Sensitive actions (exports of personal data, erasure, role changes, bulk handover):
    ask for the password again when it was last given more than REAUTH_MINUTES ago."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user.is_authenticated and not password_is_recent():
            # After confirming, come back here (a form posted here is shown again, unsent).
            back = request.full_path.rstrip("?") if request.method == "GET" else (request.referrer or "/")
            return redirect(url_for("auth.reauthenticate", next=back))
        return view(*args, **kwargs)

    return wrapper
