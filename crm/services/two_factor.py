"""Two-factor sign-in with TOTP (RFC 6238; any authenticator app), and recovery codes.

Optional for everyone; roles listed in ``REQUIRE_2FA_ROLES`` (e.g. admin, coordinator)
must enrol before they can use the CRM.

What makes it hold (ASVS 2.8):

- **A code works once.** ``User.totp_last_step`` is the time step of the last code accepted;
  a code of that step or an earlier one is refused. The step moves by compare-and-set in one
  UPDATE (``... WHERE totp_last_step IS NULL OR totp_last_step < :step``), so two sessions
  that send the same code at the same moment cannot both win: on SQLite the second waits for
  the write lock and then finds the step taken, on PostgreSQL it waits for the row lock and
  re-reads the row.
- **Recovery codes** for a lost phone: ``RECOVERY_CODES`` of them, made when two-factor
  sign-in is switched on (and on request, which replaces the old set), shown once. They have
  about 60 random bits each, so a fast keyed hash (HMAC-SHA256 with a key derived from
  ``SECRET_KEY``) is enough to store them: a copy of the database alone does not reveal them.
  Each works once, again by compare-and-set on ``used_at``.
- **An admin can reset** a user's second factor (``crm.services.accounts.reset_two_factor``);
  the user then signs in with the password and enrols again.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import io
import secrets
import time
from typing import Any, cast

import pyotp
import segno
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import CursorResult, delete, func, or_, select, update
from sqlalchemy.orm import attributes

from crm.extensions import db
from crm.lib.passwords import verify_password
from crm.models import RecoveryCode, User
from crm.models.base import utcnow
from crm.services.audit import audit
from crm.services.errors import ServiceError

ISSUER = "Werkgeverscrm"
RECOVERY_CODES = 10
# No 0/o, 1/l/i: read from paper without doubt. 31 symbols x 12 = about 59 bits.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_GROUPS, RECOVERY_GROUP_LENGTH = 3, 4


class Outcome(enum.Enum):
    OK = "ok"
    WRONG = "wrong"  # not a valid code now
    USED = "used"  # a valid code, but its time step (or the recovery code) was used already


def is_enabled(user: User) -> bool:
    return user.totp_enabled_at is not None and bool(user.totp_secret)


def is_required(user: User, required_roles: tuple[str, ...]) -> bool:
    return user.role in required_roles


def start_enrolment(user: User) -> str:
    """A new secret, not yet active until confirmed with a code."""
    if is_enabled(user):
        raise ServiceError(_("Tweestapsverificatie staat al aan."))
    user.totp_secret = pyotp.random_base32()
    user.totp_last_step = None
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    assert user.totp_secret, "enrolment starts (start_enrolment) before the QR code is shown"
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(user: User) -> str:
    buffer = io.BytesIO()
    segno.make(provisioning_uri(user), error="m").save(buffer, kind="svg", scale=4, xmldecl=False, svgns=True)
    return buffer.getvalue().decode()


# --- TOTP codes ----------------------------------------------------------------------------


def _digits(code: str | None) -> str:
    return "".join(ch for ch in (code or "") if ch.isdigit())


def _now() -> float:
    """Seconds since the epoch (one place, so tests can move the clock of the codes alone)."""
    return time.time()


def matching_step(user: User, code: str) -> int | None:
    """The time step whose code this is (this step, or one either side for a clock that is a
    little off), or None."""
    code = _digits(code)
    if not user.totp_secret or len(code) != 6:
        return None
    totp = pyotp.TOTP(user.totp_secret)
    now = int(_now() // totp.interval)
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def use_code(user: User, code: str) -> Outcome:
    """Check a TOTP code and use it up: OK once per time step, USED for a step at or before
    the last one accepted (a replay, or an older code after a newer one)."""
    step = matching_step(user, code)
    if step is None:
        return Outcome.WRONG
    claimed = cast(
        CursorResult[Any],
        db.session.execute(
            update(User)
            .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        ),
    )
    if claimed.rowcount != 1:
        return Outcome.USED
    attributes.set_committed_value(user, "totp_last_step", step)
    return Outcome.OK


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Switch two-factor sign-in on with the first code; returns the recovery codes (show once)."""
    if not user.totp_secret or use_code(user, code) is not Outcome.OK:
        raise ServiceError(_("De code klopt niet. Controleer de tijd op uw telefoon en probeer de nieuwste code."))
    user.totp_enabled_at = utcnow()
    audit(user, "update", user, changes={"two_factor": [False, True]})
    return new_recovery_codes(user)


def disable(user: User, password: str, code: str, required_roles: tuple[str, ...]) -> None:
    if is_required(user, required_roles):
        raise ServiceError(_("Voor uw rol is tweestapsverificatie verplicht."))
    if not verify_password(user.password_hash, password) or use_code(user, code) is not Outcome.OK:
        raise ServiceError(_("Wachtwoord of code klopt niet."))
    clear(user)
    audit(user, "update", user, changes={"two_factor": [True, False]})


def clear(user: User) -> None:
    """Forget the second factor: secret, last step and recovery codes (no audit: callers do)."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


# --- recovery codes ------------------------------------------------------------------------


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def looks_like_recovery_code(code: str) -> bool:
    """A recovery code has letters or more than six characters; a TOTP code is six digits."""
    plain = _normalise_recovery(code)
    return len(plain) > 6 or any(ch.isalpha() for ch in plain)


def _recovery_hash(code: str) -> str:
    key = hashlib.sha256(b"werkgeverscrm recovery codes\0" + current_app.config["SECRET_KEY"].encode()).digest()
    return hmac.new(key, _normalise_recovery(code).encode(), hashlib.sha256).hexdigest()


def _make_recovery_code() -> str:
    groups = (
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUP_LENGTH)) for _ in range(RECOVERY_GROUPS)
    )
    return "-".join(groups)


def new_recovery_codes(user: User) -> list[str]:
    """A new set of recovery codes; the old set stops working. Returns the codes (show once)."""
    if not is_enabled(user):
        raise ServiceError(_("Zet eerst tweestapsverificatie aan."))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes: list[str] = []
    while len(codes) < RECOVERY_CODES:
        code = _make_recovery_code()
        if code not in codes:
            codes.append(code)
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(code)) for code in codes)
    audit(user, "recovery_codes_created", user, summary=f"{RECOVERY_CODES} herstelcodes")
    db.session.flush()
    return codes


def remaining_recovery_codes(user: User) -> int:
    return db.session.execute(
        select(func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).scalar_one()


def use_recovery_code(user: User, code: str) -> Outcome:
    """Sign in with a recovery code instead of a TOTP code: OK once per code."""
    plain = _normalise_recovery(code)
    if len(plain) != RECOVERY_GROUPS * RECOVERY_GROUP_LENGTH or not is_enabled(user):
        return Outcome.WRONG
    code_hash = _recovery_hash(plain)
    claimed = cast(
        CursorResult[Any],
        db.session.execute(
            update(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == code_hash, RecoveryCode.used_at.is_(None))
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        ),
    )
    if claimed.rowcount == 1:
        audit(user, "recovery_code_used", user)
        return Outcome.OK
    known = db.session.scalar(
        select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == code_hash)
    )
    return Outcome.USED if known else Outcome.WRONG


def use_second_factor(user: User, code: str) -> Outcome:
    """The code step of sign-in: a TOTP code from the app, or one of the recovery codes."""
    if looks_like_recovery_code(code):
        return use_recovery_code(user, code)
    return use_code(user, code)
