"""Template globals and filters: labels, dates in Dutch time, navigation by role."""

from __future__ import annotations

from flask import Flask, g
from flask_babel import get_locale
from flask_login import current_user

from crm import i18n, permissions
from crm.labels import ALL_LABELS
from crm.services import quiet_employers
from crm.services.notifications import unread_count


def register(app: Flask) -> None:
    # Jinja's {{ _() }} and {% trans %} through the per-request cache, "newstyle" (Flask-Babel
    # installed its own first).
    app.jinja_env.newstyle_gettext = True  # type: ignore[attr-defined]  # set by the i18n extension
    app.jinja_env.globals.update(
        _=i18n.template_gettext,
        gettext=i18n.template_gettext,
        ngettext=i18n.template_ngettext,
        pgettext=i18n.template_pgettext,
        npgettext=i18n.template_npgettext,
        quiet_days=quiet_employers.quiet_days,
        is_quiet=quiet_employers.is_quiet,
    )

    @app.template_filter("label")
    def label(code: str | None, kind: str) -> str:
        if code is None:
            return ""
        return str(ALL_LABELS[kind].get(code, code))

    @app.template_filter("date")
    def date_filter(value, fmt: str = i18n.DATE) -> str:
        return i18n.format_date(value, fmt) if value else ""

    @app.template_filter("number")
    def number_filter(value) -> str:
        """A count with the language's thousands separator: 45.984 (nl), 45,984 (en)."""
        return "" if value is None else i18n.format_number(value)

    @app.template_filter("datetime")
    def datetime_filter(value, fmt: str = i18n.DATETIME) -> str:
        return i18n.format_datetime(value, fmt) if value else ""

    @app.context_processor
    def helpers():
        # the user itself, not the proxy: templates ask it dozens of questions
        return {"can": permissions, "user": current_user._get_current_object(), "get_locale": get_locale}

    @app.context_processor
    def notification_badge():
        def unread_notifications() -> int:
            """The signed-in user's unread count: one indexed COUNT, only when a page shows it."""
            if not current_user.is_authenticated:
                return 0
            if "unread_notifications" not in g:
                g.unread_notifications = unread_count(current_user)
            return g.unread_notifications

        return {"unread_notifications": unread_notifications}
