"""``/agenda/<token>.ics``: a user's open follow-ups for their calendar app.

No sign-in: calendar apps cannot log in, the secret token in the address is the key (see
crm.services.calendar_feed). Unknown or revoked token: 404, the same page as for anything
else that does not exist. Never cached by proxies; not for search engines.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort

from crm.services import calendar_feed

bp = Blueprint("calendar", __name__)


@bp.route("/agenda/<token>.ics")
def feed(token: str):
    user = calendar_feed.user_for_token(token)
    if user is None:
        abort(404)
    response = Response(calendar_feed.render_feed(user), mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="opvolgacties.ics"'
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
