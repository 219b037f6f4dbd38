"""Friendly error pages in Dutch; a refused service call becomes a 403 page. Under /api/v1
every error is a problem document instead (crm.api.problems), also where no route matched.

A refusal (403) is written to the audit trail: who tried what, where.
"""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from crm.api.problems import handle as api_problem
from crm.api.problems import is_api_request
from crm.extensions import db
from crm.services.audit import audit
from crm.services.errors import PermissionDenied


def register(app: Flask) -> None:
    def page(code: int, template: str | None = None):
        def handler(error):
            if is_api_request():
                return api_problem(error)
            db.session.rollback()
            return render_template(template or f"errors/{code}.html", error=error), code

        return handler

    def refused(error):
        if is_api_request():
            return api_problem(error)
        db.session.rollback()
        if current_user and current_user.is_authenticated:
            audit(
                current_user,
                "permission_denied",
                object_type=(request.endpoint or "")[:40],
                summary=f"{request.method} {request.path}"[:500],
                ip_address=request.remote_addr or "",
            )
            db.session.commit()
        # A refusal by a rule says why; a bare abort(403) gets the general text only.
        reason = str(error) if isinstance(error, PermissionDenied) else None
        return render_template("errors/403.html", reason=reason), 403

    app.register_error_handler(PermissionDenied, refused)
    app.register_error_handler(403, refused)
    app.register_error_handler(404, page(404))
    app.register_error_handler(405, page(405, "errors/404.html"))
    app.register_error_handler(CSRFError, page(400, "errors/csrf.html"))
    app.register_error_handler(413, page(413))
    app.register_error_handler(429, page(429))
    app.register_error_handler(500, page(500))
