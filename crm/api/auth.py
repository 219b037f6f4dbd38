"""Who is asking: the API client behind ``Authorization: Bearer <token>``, acting as its
principal (a user of its organisation, see crm.models.api_clients), and what it may do.

``operation(scope=...)`` declares a route's scope and its documentation in one place; the
scope check is the only decision made here. Whether the principal may see or change a record
is crm/permissions.py's, through the services, exactly as for the same organisation's user in
the browser.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, request
from flask_babel import gettext as _

from crm.api.blueprint import bp
from crm.api.problems import ApiProblem
from crm.models import ApiClient, User
from crm.services import api_clients

SECURITY_SCHEME = "bearerAuth"
SECURITY_SCHEMES = {
    SECURITY_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "description": "Een token van een API-koppeling (begint met `wgcrm_`), te maken door de beheerder.",
    }
}
WWW_AUTHENTICATE = 'Bearer realm="werkgeverscrm"'


def authenticate() -> None:
    """Before every API request but the document and its page: 401 without a live token."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem(
            401,
            _("Stuur een token: Authorization: Bearer wgcrm_..."),
            code="no_token",
            headers={"WWW-Authenticate": WWW_AUTHENTICATE},
        )
    client = api_clients.authenticate(token.strip())
    if client is None:
        raise ApiProblem(
            401,
            _("Dit token is onbekend, ingetrokken of verlopen."),
            code="bad_token",
            headers={"WWW-Authenticate": WWW_AUTHENTICATE + ', error="invalid_token"'},
        )
    g.api_client = client
    g.api_user = client.user


def client() -> ApiClient:
    return g.api_client


def actor() -> User:
    """The acting principal: pass it to the services and the rules as the user."""
    return g.api_user


def require_scope(scope: str) -> None:
    if not client().has_scope(scope):
        raise ApiProblem(
            403,
            _("Deze koppeling heeft het recht %(scope)s niet.", scope=scope),
            code="missing_scope",
            scope=scope,
        )


def operation(
    *,
    scope: str | None,
    summary: str,
    tag: str,
    description: str | None = None,
    responses: dict[int | str, Any] | None = None,
) -> Callable:
    """Declare a route: its scope (checked before the view runs) and its documentation.

    Put it under ``@bp.get``/``@bp.post``... and above ``@bp.input``/``@bp.output``.
    ``scope=None`` is for routes every client may use (the reference lists)."""
    documented: dict[int | str, Any] = {403: "Het token mist het recht" if scope else "Geen toegang"}
    documented.update(responses or {})
    doc_description = description or ""
    if scope:
        doc_description = (doc_description + f"\n\nRecht: `{scope}`.").strip()

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def checked(*args, **kwargs):
            if scope:
                require_scope(scope)
            return view(*args, **kwargs)

        # read by tests/test_api_access.py
        checked.api_scope = scope  # type: ignore[attr-defined]
        return bp.doc(
            summary=summary,
            description=doc_description,
            tags=[tag],
            security=SECURITY_SCHEME,
            operation_id=view.__name__,
            responses=documented,
        )(checked)

    return decorator
