"""Two-factor sign-in with TOTP (RFC 6238; any authenticator app).

Optional for everyone; roles listed in ``REQUIRE_2FA_ROLES`` (e.g. admin, coordinator)
must enrol before they can use the CRM.
"""

from __future__ import annotations

import io

import pyotp
import segno

from crm.models import User
from crm.models.base import utcnow
from crm.services.audit import audit
from crm.services.errors import ServiceError
from crm.services.passwords import verify_password

ISSUER = "Werkgeverscrm"


def is_enabled(user: User) -> bool:
    return user.totp_enabled_at is not None and bool(user.totp_secret)


def is_required(user: User, required_roles: tuple[str, ...]) -> bool:
    return user.role in required_roles


def start_enrolment(user: User) -> str:
    """A new secret, not yet active until confirmed with a code."""
    if is_enabled(user):
        raise ServiceError("Tweestapsverificatie staat al aan.")
    user.totp_secret = pyotp.random_base32()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(user: User) -> str:
    buffer = io.BytesIO()
    segno.make(provisioning_uri(user), error="m").save(buffer, kind="svg", scale=4, xmldecl=False, svgns=True)
    return buffer.getvalue().decode()


def verify(user: User, code: str) -> bool:
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    return bool(user.totp_secret) and len(code) == 6 and pyotp.TOTP(user.totp_secret).verify(code, valid_window=1)


def confirm_enrolment(user: User, code: str) -> None:
    if not user.totp_secret or not verify(user, code):
        raise ServiceError("De code klopt niet. Controleer de tijd op uw telefoon en probeer de nieuwste code.")
    user.totp_enabled_at = utcnow()
    audit(user, "update", user, changes={"two_factor": [False, True]})


def disable(user: User, password: str, code: str, required_roles: tuple[str, ...]) -> None:
    if is_required(user, required_roles):
        raise ServiceError("Voor uw rol is tweestapsverificatie verplicht.")
    if not verify_password(user.password_hash, password) or not verify(user, code):
        raise ServiceError("Wachtwoord of code klopt niet.")
    user.totp_secret = None
    user.totp_enabled_at = None
    audit(user, "update", user, changes={"two_factor": [True, False]})
