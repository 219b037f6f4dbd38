"""Password hashing with argon2id (argon2-cffi)."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 12
# A valid hash to verify against when the account is unknown, so timing does not reveal it.
_DUMMY = {}


def _hasher() -> PasswordHasher:
    return PasswordHasher(
        time_cost=current_app.config["ARGON2_TIME_COST"],
        memory_cost=current_app.config["ARGON2_MEMORY_COST"],
        parallelism=1,
        type=Type.ID,
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def burn_time(password: str) -> None:
    """Spend the time of one verification (used when no account matches)."""
    key = (current_app.config["ARGON2_TIME_COST"], current_app.config["ARGON2_MEMORY_COST"])
    if key not in _DUMMY:
        _DUMMY[key] = hash_password("dummy password for timing")
    verify_password(_DUMMY[key], password)


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """A Dutch explanation of why a new password is too weak, or None."""
    if len(password) < MIN_LENGTH:
        return f"Kies een wachtwoord van minstens {MIN_LENGTH} tekens."
    if len(password) > 128:
        return "Kies een wachtwoord van hoogstens 128 tekens."
    lowered = password.lower()
    for part in (email.split("@")[0].lower(), *name.lower().split()):
        if len(part) >= 4 and part in lowered:
            return "Het wachtwoord mag uw naam of e-mailadres niet bevatten."
    if len(set(password)) < 5:
        return "Het wachtwoord is te eenvoudig: gebruik meer verschillende tekens."
    return None
