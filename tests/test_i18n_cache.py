"""Templates translate through ``crm.i18n``, which keeps a request's language in ``g``: it must
follow the signed-in user's language, ``force_locale`` (mail in the recipient's language) and
format dates exactly as Flask-Babel does."""

from __future__ import annotations

from datetime import UTC, date, datetime

import flask_babel
import pytest
from flask import render_template_string
from flask_login import login_user

from crm import i18n
from crm.i18n import force_locale

PAGE = "{{ _('Werkgevers') }} {{ moment|datetime }}"
MOMENT = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)  # 12:00 in Amsterdam (summer time)


def test_a_request_speaks_the_users_language_and_force_locale_switches_in_between(app, factories):
    english = factories.UserFactory(locale="en")
    with app.test_request_context("/"):
        login_user(english)
        assert render_template_string(PAGE, moment=MOMENT) == "Employers 1 Jul 2026 12:00"
        with force_locale("nl"):
            assert render_template_string(PAGE, moment=MOMENT) == "Werkgevers 1 jul 2026 12:00"
            with force_locale("en"):
                assert render_template_string(PAGE, moment=MOMENT) == "Employers 1 Jul 2026 12:00"
            assert render_template_string(PAGE, moment=MOMENT) == "Werkgevers 1 jul 2026 12:00"
        assert render_template_string(PAGE, moment=MOMENT) == "Employers 1 Jul 2026 12:00"


def test_anonymous_requests_are_dutch(app, session):
    with app.test_request_context("/"):
        assert render_template_string(PAGE, moment=MOMENT) == "Werkgevers 1 jul 2026 12:00"


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 3, 29, 0, 30),  # naive: UTC, just before the switch to summer time
        datetime(2026, 3, 29, 1, 30),  # naive, just after it
        datetime(2026, 10, 25, 0, 59, tzinfo=UTC),  # the last minute of summer time
        datetime(2026, 12, 31, 23, 30, tzinfo=UTC),  # already next year in Amsterdam
    ],
)
@pytest.mark.parametrize("locale", ["nl", "en"])
def test_dates_are_formatted_as_flask_babel_formats_them(app, session, value, locale):
    with app.test_request_context("/"), force_locale(locale):
        for fmt in ("d MMM yyyy HH:mm", "EEEE d MMMM yyyy HH:mm"):
            assert i18n.format_datetime(value, fmt) == flask_babel.format_datetime(value, fmt)
        assert i18n.format_date(value.date(), "d MMM yyyy") == flask_babel.format_date(value.date(), "d MMM yyyy")
        # a moment's date is the date in Amsterdam, not in UTC
        assert i18n.format_date(value, "d MMM yyyy") == flask_babel.format_date(value, "d MMM yyyy")
        assert i18n.format_date(date(2026, 2, 28), "EEEE d MMMM") == flask_babel.format_date(
            date(2026, 2, 28), "EEEE d MMMM"
        )


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_the_usual_formats_match_babel_in_every_month(app, session, locale):
    """The fast path for "d MMM yyyy" and "d MMM yyyy HH:mm": every month's name, one-digit days
    and hours, a year before 1000 (padded)."""
    with app.test_request_context("/"), force_locale(locale):
        for month in range(1, 13):
            moment = datetime(2026, month, 3, 7, 5, tzinfo=UTC)
            for value in (moment, moment.date(), date(987, month, 28)):
                assert i18n.format_date(value) == flask_babel.format_date(value, "d MMM yyyy")
            assert i18n.format_datetime(moment) == flask_babel.format_datetime(moment, "d MMM yyyy HH:mm")
        # a plain date given as a moment: midnight UTC, as Flask-Babel reads it
        assert i18n.format_datetime(date(2026, 3, 4)) == flask_babel.format_datetime(
            date(2026, 3, 4), "d MMM yyyy HH:mm"
        )


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_numbers_are_formatted_as_flask_babel_formats_them(app, session, locale):
    """The fast path for whole numbers (the pipeline's tables, the list's total) and the
    ``number`` filter give what Flask-Babel's ``format_decimal`` gives."""
    with app.test_request_context("/"), force_locale(locale):
        for value in (0, 7, 999, 1000, 45984, -1234567, 10**12):
            assert i18n.format_integer(value) == flask_babel.format_decimal(value)
            assert render_template_string("{{ n|number }}", n=value) == flask_babel.format_decimal(value)
        assert render_template_string("{{ n|number }}", n=1234.5) == flask_babel.format_decimal(1234.5)
    with app.test_request_context("/"), force_locale("nl"):
        assert i18n.format_integer(45984) == "45.984"
