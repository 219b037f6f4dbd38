"""Language selection, and the translations of a request looked up once.

Flask-Babel looks up the locale, the timezone and the catalogue again on every ``gettext`` and
every date it formats (several context lookups each); a page with a long timeline calls them a
hundred times. Templates and the lazy labels (``lazy_gettext``) use the functions below, which
take them from ``g`` once per request (or task). ``force_locale`` (for mail in the recipient's
language) must come from here: it also sets that cache aside while it lasts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, tzinfo
from typing import NamedTuple

import flask_babel
from babel import Locale, dates, numbers
from babel.support import NullTranslations
from flask import g, has_app_context
from flask_babel.speaklater import LazyString
from flask_login import current_user
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

CACHE = "crm_i18n"


def select_locale() -> str:
    api_locale = g.get("api_locale")  # the partner API: Accept-Language (crm/api/views.py)
    if api_locale:
        return api_locale
    if current_user and current_user.is_authenticated:
        return current_user.locale
    return "nl"


class _Language(NamedTuple):
    locale: Locale
    timezone: tzinfo
    translations: NullTranslations
    months: dict[int, str]  # abbreviated month names ("MMM"), for the usual formats below
    group: str  # the thousands separator: "." (nl), "," (en)


def _language() -> _Language:
    language = g.get(CACHE)
    if language is None:
        locale = flask_babel.get_locale()
        language = _Language(
            locale,
            flask_babel.get_timezone(),
            flask_babel.get_translations(),
            dict(locale.months["format"]["abbreviated"]),
            numbers.get_group_symbol(locale),
        )
        setattr(g, CACHE, language)
    return language


def locale_name() -> str:
    """The request's language ("nl", "en"): a key for what is built once per language."""
    return str(_language().locale)


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


_UNTRANSLATED = NullTranslations()


def _translations() -> NullTranslations:
    """The request's catalogue; outside an application the strings as written (as Flask-Babel)."""
    return _language().translations if has_app_context() else _UNTRANSLATED


def gettext(string: str, **variables) -> str:
    text = _translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations().ungettext(singular, plural, n)


def pgettext(context: str, string: str) -> str:
    return _translations().upgettext(context, string)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return _translations().unpgettext(context, singular, plural, n)


def lazy_gettext(string: str, **variables) -> LazyString:
    """Flask-Babel's ``lazy_gettext`` (the same lazy string), translated through this cache."""
    return LazyString(gettext, string, **variables)


# Jinja's "newstyle" gettext for templates, as ``jinja2.ext`` builds it (the text is markup when
# autoescaping, always formatted with the keyword arguments), but taking only the evaluation
# context: Jinja's own takes the whole context and so copies it for every call inside a loop.


def _template_text(eval_ctx: EvalContext, text: str, variables: dict) -> str:
    if eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - the catalogue's text is template source; the variables get escaped
    if not variables and "%" not in text:
        return text  # what ``%`` would give, without its cost (most texts of a page)
    return text % variables


@pass_eval_context
def template_gettext(eval_ctx: EvalContext, string: str, /, **variables) -> str:
    return _template_text(eval_ctx, _translations().ugettext(string), variables)


@pass_eval_context
def template_ngettext(eval_ctx: EvalContext, singular: str, plural: str, num: int, /, **variables) -> str:
    variables.setdefault("num", num)
    return _template_text(eval_ctx, ngettext(singular, plural, num), variables)


@pass_eval_context
def template_pgettext(eval_ctx: EvalContext, context: str, string: str, /, **variables) -> str:
    variables.setdefault("context", context)
    return _template_text(eval_ctx, pgettext(context, string), variables)


@pass_eval_context
def template_npgettext(
    eval_ctx: EvalContext, context: str, singular: str, plural: str, num: int, /, **variables
) -> str:
    variables.setdefault("context", context)
    variables.setdefault("num", num)
    return _template_text(eval_ctx, npgettext(context, singular, plural, num), variables)


# The patterns the templates use, formatted without Babel's pattern machinery (a page has dozens
# of dates); any other pattern goes through Babel. tests/test_i18n_cache.py checks both agree.
DATE = "d MMM yyyy"
DATETIME = "d MMM yyyy HH:mm"


def _local(value: datetime, timezone) -> datetime:
    """A moment in the user's timezone; a naive value is UTC (as Flask-Babel treats it)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(timezone)


def format_date(value: date | datetime, fmt: str = DATE) -> str:
    """The date, of a moment: in the user's timezone (as Flask-Babel's ``format_date``)."""
    language = _language()
    if isinstance(value, datetime):
        value = _local(value, language.timezone).date()
    if fmt == DATE:
        return f"{value.day} {language.months[value.month]} {value.year:04d}"
    return dates.format_date(value, fmt, locale=language.locale)


def format_datetime(value: datetime, fmt: str = DATETIME) -> str:
    """In the user's timezone; a naive value is UTC (as Flask-Babel's ``format_datetime``)."""
    language = _language()
    if fmt == DATETIME and isinstance(value, datetime):  # a plain date goes to Babel (midnight UTC)
        local = _local(value, language.timezone)
        return f"{local.day} {language.months[local.month]} {local.year:04d} {local.hour:02d}:{local.minute:02d}"
    return dates.format_datetime(value, fmt, tzinfo=language.timezone, locale=language.locale)


def format_integer(value: int) -> str:
    """A whole number as Flask-Babel's ``format_decimal`` gives it (45.984 in Dutch, 45,984 in
    English), without Babel's pattern machinery: the pipeline's tables show some 300 of them."""
    return f"{value:,}".replace(",", _language().group)


def format_number(value) -> str:
    """A count or amount with the language's separators: whole numbers on the fast path."""
    if isinstance(value, int) and not isinstance(value, bool):
        return format_integer(value)
    return flask_babel.format_decimal(value)
