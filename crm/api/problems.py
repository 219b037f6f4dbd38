"""Errors as application/problem+json (RFC 9457), in Dutch or English (Accept-Language).

Every answer of ``/api/v1`` that is not a success is a problem document: ``title`` (the
status in words), ``detail`` (what went wrong), ``code`` (stable, for programs) and, for
refused input, ``errors``: one entry per field. Bad input is never a 500: validation refuses
it (422), a malformed body or cursor is a 400, a rule of the services says 409 or 403.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, g, json, request
from flask_babel import gettext as _
from pydantic import ValidationError as PydanticValidationError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from crm.extensions import db
from crm.services.errors import PermissionDenied, ServiceError, StaleRecord

log = logging.getLogger(__name__)
MIMETYPE = "application/problem+json"
API_PREFIX = "/api/"


class ApiProblem(Exception):
    """Raised anywhere under /api/v1 to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        code: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(detail or "")
        self.status, self.detail, self.code = status, detail, code
        self.errors, self.headers, self.extra = errors, headers or {}, extra


def titles() -> dict[int, str]:
    return {
        400: _("Ongeldig verzoek"),
        401: _("Niet aangemeld"),
        403: _("Geen toegang"),
        404: _("Niet gevonden"),
        405: _("Methode niet toegestaan"),
        409: _("Conflict"),
        412: _("Verouderde versie"),
        413: _("Verzoek te groot"),
        415: _("Mediatype niet ondersteund"),
        422: _("Ongeldige invoer"),
        428: _("Versie ontbreekt"),
        429: _("Te veel verzoeken"),
        500: _("Interne fout"),
    }


def response(problem: ApiProblem) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": titles().get(problem.status) or HTTP_STATUS_CODES.get(problem.status, "Error"),
        "status": problem.status,
    }
    if problem.detail:
        body["detail"] = problem.detail
    if problem.code:
        body["code"] = problem.code
    if problem.errors:
        body["errors"] = problem.errors
    body.update(problem.extra)
    body["instance"] = request.path
    rv = Response(json.dumps(body), status=problem.status, mimetype=MIMETYPE)
    for key, value in problem.headers.items():
        rv.headers[key] = value
    return rv


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


# --- field errors: pydantic's error types in the user's language --------------------------


def _field_message(error: dict[str, Any]) -> str:
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    messages = {
        "missing": _("Dit veld is verplicht."),
        "extra_forbidden": _("Dit veld bestaat niet."),
        "string_too_short": _("Te kort: minimaal %(n)s tekens.", n=ctx.get("min_length", "")),
        "string_too_long": _("Te lang: maximaal %(n)s tekens.", n=ctx.get("max_length", "")),
        "string_type": _("Verwacht tekst."),
        "string_pattern_mismatch": _("Heeft niet de juiste vorm."),
        "int_type": _("Verwacht een geheel getal."),
        "int_parsing": _("Verwacht een geheel getal."),
        "int_from_float": _("Verwacht een geheel getal."),
        "bool_type": _("Verwacht true of false."),
        "bool_parsing": _("Verwacht true of false."),
        "greater_than_equal": _("Moet minstens %(n)s zijn.", n=ctx.get("ge", "")),
        "less_than_equal": _("Mag hoogstens %(n)s zijn.", n=ctx.get("le", "")),
        "greater_than": _("Moet groter zijn dan %(n)s.", n=ctx.get("gt", "")),
        "less_than": _("Moet kleiner zijn dan %(n)s.", n=ctx.get("lt", "")),
        "literal_error": _("Kies uit: %(values)s.", values=ctx.get("expected", "")),
        "enum": _("Kies uit: %(values)s.", values=ctx.get("expected", "")),
        "date_from_datetime_parsing": _("Verwacht een datum (JJJJ-MM-DD)."),
        "date_parsing": _("Verwacht een datum (JJJJ-MM-DD)."),
        "date_type": _("Verwacht een datum (JJJJ-MM-DD)."),
        "datetime_parsing": _("Verwacht een tijdstip (ISO 8601)."),
        "datetime_type": _("Verwacht een tijdstip (ISO 8601)."),
        "model_type": _("Verwacht een object."),
        "model_attributes_type": _("Verwacht een object."),
        "dict_type": _("Verwacht een object."),
        "list_type": _("Verwacht een lijst."),
        "json_invalid": _("Geen geldige JSON."),
    }
    if kind in messages:
        return messages[kind]
    if kind == "value_error":
        # A validator of ours: its message is already translated (ValueError(_("..."))).
        return str(ctx.get("error") or error.get("msg", ""))
    return str(error.get("msg", ""))


def field_errors(errors: list[dict[str, Any]], *, prefix: str = "") -> list[dict[str, str]]:
    found = []
    for error in errors:
        path = ".".join(str(part) for part in error.get("loc", ()))
        found.append(
            {
                "field": (prefix + path) if path else "_body",
                "message": _field_message(error),
                "code": str(error.get("type", "invalid")),
            }
        )
    return found


def validation_problem(error: PydanticValidationError, *, location: str = "") -> ApiProblem:
    return ApiProblem(
        422,
        _("De invoer is niet in orde; zie de velden."),
        code="validation",
        errors=field_errors(error.errors(include_url=False), prefix=f"{location}." if location else ""),  # type: ignore[arg-type]
    )


# --- handlers ---------------------------------------------------------------------------


def from_exception(error: BaseException) -> ApiProblem:
    """Any error raised while answering an API request, as a problem."""
    if isinstance(error, ApiProblem):
        return error
    if isinstance(error, StaleRecord):
        return ApiProblem(412, str(error), code="stale")
    if isinstance(error, PermissionDenied):
        return ApiProblem(403, str(error) or None, code="forbidden")
    if isinstance(error, ServiceError):
        return ApiProblem(409, str(error), code="refused")
    if isinstance(error, PydanticValidationError):
        return validation_problem(error)
    status = getattr(error, "status_code", None)  # apiflask's HTTPError (its input validation)
    if isinstance(status, int):
        cause = error.__cause__
        if isinstance(cause, PydanticValidationError):
            location = next(iter(getattr(error, "detail", {}) or {}), "")
            return validation_problem(cause, location="" if location == "json" else location)
        if status == 400 and getattr(error, "detail", None):
            return ApiProblem(400, _("De inhoud is geen geldige JSON."), code="bad_json")
        return ApiProblem(
            status, getattr(error, "message", None), code=None, headers=dict(getattr(error, "headers", {}) or {})
        )
    if isinstance(error, HTTPException):
        headers = {k: v for k, v in error.get_headers() if k.lower() in ("retry-after", "allow")}
        detail = {
            400: _("Het verzoek is niet in orde (is de inhoud geldige JSON?)."),
            404: _("Dit adres bestaat niet, of u mag het niet zien."),
            405: _("Deze methode kan hier niet."),
            413: _("Het verzoek is te groot."),
            415: _("Stuur JSON (Content-Type: application/json)."),
            429: _("Te veel verzoeken; probeer het later opnieuw."),
        }.get(error.code or 500)
        return ApiProblem(error.code or 500, detail, headers=headers)
    log.exception("API request failed", exc_info=error)
    return ApiProblem(500, _("Er ging iets mis aan onze kant; het is gemeld."), code="internal")


def handle(error: BaseException) -> Response:
    db.session.rollback()
    problem = from_exception(error)
    principal = g.get("api_user")
    if problem.status == 403 and principal is not None:
        # a refusal is audited as on the pages (crm/errors.py), with the client's principal
        from crm.services.audit import audit

        audit(
            principal,
            "permission_denied",
            object_type=(request.endpoint or "")[:40],
            summary=f"{request.method} {request.path}"[:500],
            ip_address=request.remote_addr or "",
        )
        db.session.commit()
    rv = response(problem)
    headers = g.get("api_ratelimit_headers")
    if headers:
        for key, value in headers.items():
            rv.headers.setdefault(key, value)
    return rv
