"""Language selection, and the translations of a request looked up once.

Flask-Babel looks up the locale, the timezone and the catalogue again on every ``gettext`` and
every date it formats (several context lookups each); a page with a long timeline calls them a
hundred times. Templates use the functions below, which take them from ``g`` once per request
(or task). ``force_locale`` (for mail in the recipient's language) must come from here: it also
sets that cache aside while it lasts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

import flask_babel
from babel import Locale, dates
from babel.support import NullTranslations
from flask import g
from flask_login import current_user

CACHE = "crm_i18n"


def select_locale() -> str:
    if current_user and current_user.is_authenticated:
        return current_user.locale
    return "nl"


class _Language(NamedTuple):
    locale: Locale
    timezone: object
    translations: NullTranslations


def _language() -> _Language:
    language = g.get(CACHE)
    if language is None:
        language = _Language(flask_babel.get_locale(), flask_babel.get_timezone(), flask_babel.get_translations())
        setattr(g, CACHE, language)
    return language


@contextmanager
def force_locale(locale: str) -> Iterator[None]:
    """``flask_babel.force_locale`` that also sets this request's cached language aside."""
    saved = g.pop(CACHE, None)
    try:
        with flask_babel.force_locale(locale):  # noqa: TID251 - the one wrapper
            yield
    finally:
        g.pop(CACHE, None)
        if saved is not None:
            setattr(g, CACHE, saved)


def gettext(string: str) -> str:
    return _language().translations.ugettext(string)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _language().translations.ungettext(singular, plural, n)


def pgettext(context: str, string: str) -> str:
    return _language().translations.upgettext(context, string)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return _language().translations.unpgettext(context, singular, plural, n)


def format_date(value, fmt: str) -> str:
    return dates.format_date(value, fmt, locale=_language().locale)


def format_datetime(value, fmt: str) -> str:
    """In the user's timezone; a naive value is UTC (as Flask-Babel's ``format_datetime``)."""
    language = _language()
    return dates.format_datetime(value, fmt, tzinfo=language.timezone, locale=language.locale)
