"""Meldingen: the signed-in user's notifications (a partner logged a contact with my employer, a
follow-up was planned for me...), a page at a time, marked read one by one, all at once, or by opening one through its link. A
notification is its recipient's alone (``permissions.can_view_notification``): another
user's id answers 404."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm.extensions import db
from crm.services import notifications
from crm.view_helpers import is_htmx, safe_next

bp = Blueprint("notifications", __name__)


@bp.route("/meldingen")
@login_required
def index():
    unread_only = request.args.get("ongelezen") == "1"
    page = db.paginate(
        notifications.notifications_query(current_user, unread_only=unread_only),
        page=request.args.get("pagina", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    return render_template(
        "notifications/index.html", page=page, unread_only=unread_only, link_for=notifications.safe_link
    )


@bp.route("/meldingen/<int:id>")
@login_required
def follow(id: int):
    """Follow a notification's link: reading what it points at is reading the notification,
    so it is marked read on the way (a link, so it works from the page and from an e-mail)."""
    notification = notifications.own_notification(current_user, id)
    if notification is None:
        abort(404)
    notifications.mark_read(current_user, notification)
    db.session.commit()
    return redirect(notifications.safe_link(notification.link) or url_for("notifications.index"))


@bp.route("/meldingen/<int:id>/gelezen", methods=["POST"])
@login_required
def read(id: int):
    notification = notifications.own_notification(current_user, id)
    if notification is None:
        abort(404)
    notifications.mark_read(current_user, notification)
    db.session.commit()
    if is_htmx():
        return render_template(
            "notifications/_notification.html",
            n=notification,
            link_for=notifications.safe_link,
            badge_oob=True,
            unread_count=notifications.unread_count(current_user),
        )
    flash(_("De melding is als gelezen gemarkeerd."), "success")
    return redirect(safe_next(request.form.get("next") or url_for("notifications.index")))


@bp.route("/meldingen/alles-gelezen", methods=["POST"])
@login_required
def read_all():
    count = notifications.mark_all_read(current_user)
    db.session.commit()
    flash(_("Alle meldingen zijn als gelezen gemarkeerd (%(count)s).", count=count), "success")
    return redirect(url_for("notifications.index"))
