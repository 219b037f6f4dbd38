"""Friendly error pages in Dutch; a refused service call becomes a 403 page."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

from crm.extensions import db
from crm.services.errors import PermissionDenied


def register(app: Flask) -> None:
    def page(code: int, template: str | None = None):
        def handler(error):
            db.session.rollback()
            return render_template(template or f"errors/{code}.html", error=error), code

        return handler

    app.register_error_handler(PermissionDenied, page(403))
    app.register_error_handler(403, page(403))
    app.register_error_handler(404, page(404))
    app.register_error_handler(405, page(405, "errors/404.html"))
    app.register_error_handler(CSRFError, page(400, "errors/csrf.html"))
    app.register_error_handler(413, page(413))
    app.register_error_handler(429, page(429))
    app.register_error_handler(500, page(500))
