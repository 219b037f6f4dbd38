"""API-koppelingen: an organisation's admin or coordinator makes and revokes the tokens of the
partner systems (crm.services.api_clients). The token is shown once, on the answer to the
form, and never again; revoking asks for confirmation first."""

from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from crm import permissions
from crm.api_clients.forms import ApiClientForm, RevokeForm
from crm.extensions import db
from crm.forms import choices
from crm.lib.clock import AMSTERDAM
from crm.models import ApiClient, Organisation
from crm.services import api_clients
from crm.services.api_clients import ClientData
from crm.services.errors import ServiceError

bp = Blueprint("api_clients", __name__)


def _organisations() -> list[Organisation]:
    rows = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    return [o for o in rows if permissions.can_manage_api_clients(current_user, o)]


@bp.route("/koppelingen", methods=["GET", "POST"])
@login_required
def index():
    organisations = _organisations()
    permissions.require(bool(organisations))
    form = ApiClientForm()
    form.organisation_id.choices = choices([(o.id, o.name) for o in organisations])
    if not form.is_submitted():
        form.organisation_id.data = current_user.organisation_id
    token = None
    if form.validate_on_submit():
        organisation = db.session.get(Organisation, form.organisation_id.data) or abort(404)
        assert form.expires_on.data is not None and form.name.data is not None
        expires = datetime.combine(form.expires_on.data, time(23, 59, 59), tzinfo=AMSTERDAM)
        try:
            client, token = api_clients.create_client(
                current_user,
                organisation,
                ClientData(
                    name=form.name.data, scopes=list(form.scopes.data or []), expires_at=expires, role=form.role.data
                ),
            )
        except ServiceError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(
                _("Koppeling %(name)s gemaakt. Kopieer het token nu: het wordt niet meer getoond.", name=client.name),
                "success",
            )
    return render_template(
        "api_clients/index.html", form=form, clients=api_clients.clients_for(current_user), token=token
    )


@bp.route("/koppelingen/<int:id>/intrekken", methods=["GET", "POST"])
@login_required
def revoke(id: int):
    client = db.session.get(ApiClient, id)
    if client is None or not permissions.can_view_api_client(current_user, client):
        abort(404)
    form = RevokeForm()
    if form.validate_on_submit():
        api_clients.revoke_client(current_user, client)
        db.session.commit()
        flash(_("Koppeling %(name)s is ingetrokken; het token werkt niet meer.", name=client.name), "success")
        return redirect(url_for("api_clients.index"))
    return render_template("api_clients/revoke.html", client=client, form=form)
