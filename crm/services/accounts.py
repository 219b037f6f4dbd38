"""Users and sign-in: authentication, passwords, creating and deactivating accounts.

A sign-in is audited as ``login`` only when it is complete: after the password for a user
without two-factor sign-in, after the code for a user with it (``record_login``, called by the
view that finishes the sign-in). The password step of a two-factor user is recorded as
``login_password_ok``: an abandoned code step then shows as exactly that in the Logboek.
"""

from __future__ import annotations

import secrets
from typing import Any, cast

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import attributes

from crm import permissions
from crm.extensions import db
from crm.i18n import force_locale
from crm.i18n import lazy_gettext as _l
from crm.lib import mail
from crm.lib.passwords import (
    burn_time,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from crm.models import Organisation, User
from crm.models.base import utcnow
from crm.services import two_factor
from crm.services.audit import audit, diff
from crm.services.errors import ServiceError, StaleRecord
from crm.services.validation import no_bidi_controls


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def authenticate(email: str, password: str, *, ip_address: str = "") -> User | None:
    """The active user with this e-mail and password, or None. Audits a failure; a success is
    not yet a sign-in (see ``record_login`` and ``record_password_step``)."""
    user = find_by_email(email)
    if user is None:
        burn_time(password)
        audit(None, "login_failed", object_type="user", summary=normalise_email(email)[:200], ip_address=ip_address)
        return None
    if not user.active or not verify_password(user.password_hash, password):
        audit(None, "login_failed", user, summary=user.email, ip_address=ip_address)
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def record_password_step(user: User, *, ip_address: str = "") -> None:
    """The password was right and the second factor is still to come."""
    audit(user, "login_password_ok", user, ip_address=ip_address)


def record_login(user: User, *, ip_address: str = "", via: str = "") -> None:
    """A complete sign-in (every factor given)."""
    user.last_login_at = utcnow()
    audit(user, "login", user, summary=via, ip_address=ip_address)


def end_sessions(user: User) -> None:
    """Make every existing session cookie of this user useless."""
    user.session_version += 1


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise ServiceError(_("Het huidige wachtwoord klopt niet."))
    problem = password_problem(new, email=user.email, name=user.name)
    if problem:
        raise ServiceError(problem)
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    end_sessions(user)
    audit(user, "password_changed", user)


def create_user(
    actor: User | None,
    *,
    email: str,
    name: str,
    role: str,
    organisation: Organisation,
    password: str,
    phone: str = "",
) -> User:
    if actor is not None:
        permissions.require(permissions.can_manage_users(actor))
    email = normalise_email(email)
    no_bidi_controls(name)
    if find_by_email(email) is not None:
        raise ServiceError(_("Er bestaat al een gebruiker met dit e-mailadres."))
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise ServiceError(problem)
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        organisation=organisation,
        password_hash=hash_password(password),
        phone=phone.strip(),
    )
    db.session.add(user)
    db.session.flush()
    audit(actor, "create", user, changes={"email": [None, email], "role": [None, role]})
    return user


USER_CHANGED = _l("Iemand anders heeft deze gebruiker intussen gewijzigd; er is niets opgeslagen.")


def _claim_edit(user: User, version: int) -> None:
    """Move ``user.edit_version`` on from ``version`` in one UPDATE, or refuse: someone saved an
    edit of this account (or the user their profile) since the form was opened. On PostgreSQL
    a concurrent save waits for this one's commit and then finds the version moved."""
    moved = cast(
        CursorResult[Any],
        db.session.execute(
            update(User)
            .where(User.id == user.id, User.edit_version == version)
            .values(edit_version=User.edit_version + 1)
            .execution_options(synchronize_session=False)
        ),
    )
    if moved.rowcount != 1:
        raise StaleRecord(USER_CHANGED)
    attributes.set_committed_value(user, "edit_version", version + 1)


def update_user(
    actor: User, user: User, *, name: str, role: str, organisation: Organisation, phone: str, version: int
) -> None:
    """An admin's edit of the account, made on ``version`` (StaleRecord when someone saved in between)."""
    permissions.require(permissions.can_manage_users(actor))
    if user.id == actor.id and role != actor.role:
        raise ServiceError(_("U kunt uw eigen rol niet wijzigen."))
    no_bidi_controls(name)
    before = {"name": user.name, "role": user.role, "organisation": user.organisation.name, "phone": user.phone}
    after = {"name": name.strip(), "role": role, "organisation": organisation.name, "phone": phone.strip()}
    changes = diff(before, after)
    if not changes:  # a save that changes nothing records nothing, and leaves the version be
        if user.edit_version != version:
            raise StaleRecord(USER_CHANGED)
        return
    _claim_edit(user, version)
    user.name, user.role, user.organisation, user.phone = name.strip(), role, organisation, phone.strip()
    if before["role"] != role or before["organisation"] != organisation.name:
        end_sessions(user)
    audit(actor, "update", user, changes=changes)


def set_active(actor: User, user: User, active: bool) -> None:
    permissions.require(permissions.can_manage_users(actor))
    if user.id == actor.id and not active:
        raise ServiceError(_("U kunt uw eigen account niet deactiveren."))
    if user.active == active:
        return
    user.active = active
    end_sessions(user)
    audit(actor, "activate" if active else "deactivate", user)


def generate_password() -> str:
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))


def reset_password(actor: User, user: User) -> str:
    """Give the user a new random password (shown once to the admin); ends their sessions."""
    permissions.require(permissions.can_manage_users(actor))
    password = generate_password()
    user.password_hash = hash_password(password)
    user.password_changed_at = None
    end_sessions(user)
    audit(actor, "password_reset", user)
    return password


def reset_two_factor(actor: User, user: User) -> None:
    """An admin switches a user's two-factor sign-in off (a lost phone, no recovery codes left):
    the user signs in with the password alone and, where the role requires it, enrols again.
    Ends the user's sessions. The view tells the user by e-mail (``two_factor_reset_mail``)."""
    permissions.require(permissions.can_manage_users(actor))
    if user.id == actor.id:
        raise ServiceError(
            _(
                "U kunt uw eigen tweestapsverificatie hier niet herstellen. Gebruik een herstelcode, "
                "of vraag een andere beheerder."
            )
        )
    if not two_factor.is_enabled(user) and not user.totp_secret:
        raise ServiceError(_("Tweestapsverificatie staat voor deze gebruiker niet aan; er is niets te herstellen."))
    two_factor.clear(user)
    end_sessions(user)
    audit(actor, "two_factor_reset", user, changes={"two_factor": [True, False]})


def two_factor_reset_mail(user: User, actor: User) -> mail.Outgoing:
    """The e-mail that tells a user their second factor was reset, in the user's language."""
    with force_locale(user.locale or "nl"):
        subject = _("Uw tweestapsverificatie is uitgezet")
        context = {
            "recipient": user,
            "actor": actor,
            "subject": subject,
            "login_url": mail.absolute_url("/login"),
            "profile_url": mail.absolute_url("/profiel"),
        }
        return mail.Outgoing(
            to_name=user.name,
            to_address=user.email,
            subject=subject,
            text=render_template("mail/two_factor_reset.txt", **context),
            html=render_template("mail/two_factor_reset.html", **context),
            message_id=mail.make_message_id(f"two-factor-reset-{user.id}-{secrets.token_hex(8)}"),
        )


def update_preferences(user: User, *, locale: str, notify_digest: bool, notify_reminders: bool, phone: str) -> None:
    before = {
        "locale": user.locale,
        "notify_digest": user.notify_digest,
        "notify_reminders": user.notify_reminders,
        "phone": user.phone,
    }
    user.locale, user.notify_digest, user.notify_reminders, user.phone = locale, notify_digest, notify_reminders, phone
    changes = diff(
        before, {"locale": locale, "notify_digest": notify_digest, "notify_reminders": notify_reminders, "phone": phone}
    )
    if changes:
        user.edit_version = User.edit_version + 1  # an admin's form opened before is now stale
        audit(user, "update", user, changes=changes)


def regenerate_ical_token(user: User) -> str:
    """A new secret address for the user's calendar feed; the old one stops working at once."""
    replaced = user.ical_token is not None
    user.ical_token = secrets.token_urlsafe(32)
    audit(user, "ical_token_regenerated" if replaced else "ical_token_created", user)
    return user.ical_token


def revoke_ical_token(user: User) -> None:
    """Switch the calendar feed off: its address gives 404 from now on."""
    if user.ical_token is None:
        return
    user.ical_token = None
    audit(user, "ical_token_revoked", user)
