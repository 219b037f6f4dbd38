"""Shared form pieces: the base form and validators with Dutch messages."""

from __future__ import annotations

import re
from datetime import date, datetime

from flask import request
from flask_wtf import FlaskForm
from wtforms import DateTimeField, ValidationError
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in types-WTForms 3.2 (WTForms 3.3)
from wtforms.validators import Length, Optional, StopValidation

from crm.i18n import lazy_gettext as _l

BSN_MESSAGE = _l(
    "Dit veld bevat een nummer dat een burgerservicenummer (BSN) kan zijn. "
    "Het CRM mag geen BSN bevatten: haal het nummer weg."
)
NOT_FREE_TEXT = {"PasswordField", "HiddenField", "CSRFTokenField", "SelectField", "RadioField"}
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _stop_when_unreadable(form, field) -> None:
    """Last of every field's own validators: a value that was given but could not be read (a
    date "x", a number "abc") already has its message from the field; stop there, so that no
    further check (a ``validate_<field>`` comparing with today) meets None for a value that was
    in fact given. An empty value is left to Optional/DataRequired, which run before this."""
    if field.process_errors and any(str(value).strip() for value in field.raw_data or ()):
        raise StopValidation()


# Dates a person can mean in this CRM (birth dates, programme periods, follow-ups). Outside
# this range a date is a typo or an attack, and date arithmetic (reminders: a date plus some
# working days) would overflow at year 9999.
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2099, 12, 31)


def _date_in_range(form, field) -> None:
    value = field.data
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date) and not FIRST_DATE <= value <= LAST_DATE:
        raise StopValidation(
            _l("Vul een datum tussen %(first)s en %(last)s in.", first=FIRST_DATE.year, last=LAST_DATE.year)
        )


class BaseForm(FlaskForm):
    """Strips surrounding whitespace and refuses control characters in every text field; a value
    that cannot be read (a garbled date or number) gets the field's message and no further checks;
    a date outside FIRST_DATE..LAST_DATE is refused."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = list(unbound_field.kwargs.get("filters", []))
            if unbound_field.field_class.__name__ in {"StringField", "TextAreaField", "EmailField", "SearchField"}:
                filters.append(_strip)
            field = unbound_field.bind(form=form, filters=filters, **options)
            field.validators = [*field.validators, _stop_when_unreadable]
            if isinstance(field, DateTimeField):  # DateField and DateTimeLocalField too
                field.validators.append(_date_in_range)
            return field

    def submitted_version(self) -> int:
        """The ``version`` (optimistic locking) the posted form was built from, exactly as posted;
        0 when the POST has none or a garbled one, which matches no record (versions start at 1),
        so the edit is refused as stale. Not ``self.version.data``: WTForms falls back to the
        form's initial value (the record's current version) when the field is missing, which
        would save blind."""
        raw = self.version.raw_data
        try:
            return int(raw[0]) if raw else 0
        except ValueError:
            return 0

    def submit_ok(self, name: str) -> bool:
        """True when this form (of several on one page, told apart by ``_form``) was posted and is valid."""
        return request.method == "POST" and request.form.get("_form") == name and self.validate()

    def validate(self, extra_validators=None) -> bool:
        """Besides each field's own checks: no control characters anywhere, and no possible
        BSN in any free-text field (the CRM never stores one)."""
        from crm.services.validation import contains_bsn

        ok = super().validate(extra_validators)
        for field in self:
            if not isinstance(field.data, str) or field.type in NOT_FREE_TEXT:
                continue
            if CONTROL_CHARS.search(field.data):
                field.errors = [*field.errors, _l("Dit veld bevat onzichtbare stuurtekens; verwijder ze.")]
                ok = False
            elif contains_bsn(field.data) and not any("burgerservicenummer" in str(e) for e in field.errors):
                field.errors = [*field.errors, BSN_MESSAGE]
                ok = False
        return ok


def int_or_none(value):
    """A select's coerce: empty is "not chosen" (None), anything else must be a whole number."""
    if value in (None, ""):
        return None
    return int(value)


def none_if_empty(value):
    """A select's coerce: empty is "not chosen" (None)."""
    return value or None


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def validate_phone(form, field) -> None:
    if field.data and not re.fullmatch(r"\+?[0-9 ()\-]{6,20}", field.data):
        raise ValidationError(_l("Vul een geldig telefoonnummer in, bijvoorbeeld 053 481 2000."))


PHONE_VALIDATORS = [Optional(), Length(max=30), validate_phone]


def _no_bidi_controls(value):
    from crm.services.validation import no_bidi_controls

    return no_bidi_controls(value)


def choices(pairs) -> list[SelectChoice]:
    """Select options from ``(value, label)`` pairs or a ``{value: label}`` dict."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [SelectChoice(value, label) for value, label in items]


def service_check(check):
    """A WTForms validator from a ``crm.services.validation`` function: refuses with its
    message, and stores the normalised value back into the field."""

    def validator(form, field) -> None:
        from crm.services.validation import Invalid

        try:
            normalised = check(field.data)
        except Invalid as error:
            raise ValidationError(str(error)) from None
        if isinstance(normalised, str | type(None)):
            field.data = normalised

    return validator


# Every name field (employers, people at employers, participants, users, organisations,
# partnerships, programme periods): no bidirectional control characters.
NAME = service_check(_no_bidi_controls)
