"""Language selection: the user's own choice, Dutch otherwise."""

from __future__ import annotations

from flask_login import current_user


def select_locale() -> str:
    if current_user and current_user.is_authenticated:
        return current_user.locale
    return "nl"
