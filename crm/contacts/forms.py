"""Forms for logging contacts (full and quick) and for handling follow-ups."""

from __future__ import annotations

from datetime import datetime, timedelta

from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from crm.forms import BaseForm, choices, service_check
from crm.i18n import lazy_gettext as _l
from crm.labels import CHANNEL_LABELS, VISIBILITY_LABELS
from crm.lib.clock import AMSTERDAM, now_local, today
from crm.services.validation import no_bsn
from crm.services.worklist import QUICK_FOLLOW_UP_DAYS

NO_BSN = service_check(no_bsn)
# A little slack for a clock that runs ahead; the service allows the same.
FUTURE_SLACK = timedelta(minutes=5)


def _now_to_the_minute() -> datetime:
    return now_local().replace(second=0, microsecond=0)


def follow_up_day_choices(none_label):
    """Radio choices "not / in a week / in two weeks / in a month" (days from today)."""
    labels = {7: _l("Over 1 week"), 14: _l("Over 2 weken"), 30: _l("Over 1 maand")}
    return choices([(0, none_label), *((days, labels[days]) for days in QUICK_FOLLOW_UP_DAYS)])


class ContactForm(BaseForm):
    """The full contact form on /werkgevers/<id>/contactmoment."""

    # types-WTForms 3.2 lacks WTForms 3.3's tz and invalid_value_message, and types this default as a time.
    occurred_at = DateTimeLocalField(  # type: ignore[call-arg]
        _l("Datum en tijd"),
        tz=AMSTERDAM,
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        default=_now_to_the_minute,  # type: ignore[arg-type]
        invalid_value_message=_l("Vul een geldige datum en tijd in."),
        validators=[InputRequired(_l("Vul de datum en tijd van het contact in."))],
    )
    channel = SelectField(_l("Kanaal"), choices=choices(CHANNEL_LABELS), default="telefoon")
    employer_contact_id = SelectField(_l("Gesproken met"), coerce=int, default=0, validate_choice=False)
    summary = TextAreaField(
        _l("Samenvatting"),
        validators=[DataRequired(_l("Schrijf kort op waar het contact over ging.")), Length(max=5000), NO_BSN],
    )
    outcome = TextAreaField(_l("Uitkomst / afspraken"), validators=[Optional(), Length(max=5000), NO_BSN])
    vacancy_id = SelectField(_l("Over vacature"), coerce=int, default=0, validate_choice=False)
    visibility = RadioField(_l("Zichtbaarheid"), choices=choices(VISIBILITY_LABELS), default="gedeeld")
    follow_up_due = DateField(  # type: ignore[call-arg]  # types-WTForms 3.2 lacks WTForms 3.3's invalid_value_message
        _l("Opvolgen op"), validators=[Optional()], invalid_value_message=_l("Vul een geldige datum in.")
    )
    # Left out: the employer's contactpersoon (the service's default).
    follow_up_owner_id = SelectField(_l("Eigenaar van de opvolgactie"), coerce=int, validate_choice=False)
    follow_up_subject = StringField(
        _l("Onderwerp van de opvolgactie"), validators=[Optional(), Length(max=300), NO_BSN]
    )

    def set_choices(self, people, vacancies, users) -> None:
        """The employer's own people and vacancies, and the users who may own a follow-up."""
        self.employer_contact_id.choices = choices(
            [(0, _l("— niemand in het bijzonder —"))]
            + [(p.id, f"{p.name} ({p.function})" if p.function else p.name) for p in people]
        )
        self._person_ids = {p.id for p in people}
        self.vacancy_id.choices = choices([(0, _l("— geen vacature —"))] + [(v.id, v.title) for v in vacancies])
        self._vacancy_ids = {v.id for v in vacancies}
        self.follow_up_owner_id.choices = choices((u.id, f"{u.name} ({u.organisation.name})") for u in users)
        self._owner_ids = {u.id for u in users}

    def validate_occurred_at(self, field) -> None:
        if field.data and field.data > now_local() + FUTURE_SLACK:
            raise ValidationError(
                _l("Een contactmoment kan niet in de toekomst liggen. Plan daarvoor een opvolgactie.")
            )

    def validate_employer_contact_id(self, field) -> None:
        if field.data and field.data not in self._person_ids:
            raise ValidationError(_l("Deze persoon hoort niet bij deze werkgever."))

    def validate_vacancy_id(self, field) -> None:
        if field.data and field.data not in self._vacancy_ids:
            raise ValidationError(_l("Deze vacature hoort niet bij deze werkgever."))

    def validate_follow_up_owner_id(self, field) -> None:
        if field.data and field.data not in self._owner_ids:
            raise ValidationError(_l("Kies een actieve gebruiker als eigenaar van de opvolgactie."))

    def validate_follow_up_due(self, field) -> None:
        if field.data and field.data < today():
            raise ValidationError(_l("Een opvolgactie kan niet in het verleden liggen."))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # Optional() ends a field's own checks when it is empty, so the pair is checked here.
        due, subject = self.follow_up_due, self.follow_up_subject
        if due.data and not subject.data and not subject.errors:
            subject.errors = [*subject.errors, _l("Geef de opvolgactie een onderwerp.")]
            ok = False
        if subject.data and not due.data and not due.errors:
            due.errors = [*due.errors, _l("Kies een datum voor de opvolgactie.")]
            ok = False
        return ok


class QuickLogForm(BaseForm):
    """Logging a call from the worklist in a few taps: channel and summary are prefilled."""

    channel = SelectField(_l("Kanaal"), choices=choices(CHANNEL_LABELS), default="telefoon")
    summary = StringField(
        _l("Samenvatting"),
        default=_l("Gebeld"),
        validators=[DataRequired(_l("Schrijf kort op waar het contact over ging.")), Length(max=500), NO_BSN],
    )
    follow_up_days = RadioField(
        _l("Opvolgen"), coerce=int, default=0, choices=follow_up_day_choices(_l("Niet")), validate_choice=True
    )
    next = HiddenField()


class FollowUpDoneForm(BaseForm):
    """Mark a follow-up done; with a summary it also logs the contact, and it may plan the next one."""

    summary = StringField(_l("Wat is er gedaan?"), validators=[Optional(), Length(max=500), NO_BSN])
    channel = SelectField(_l("Kanaal"), choices=choices(CHANNEL_LABELS), default="telefoon")
    next_days = RadioField(
        _l("Daarna opnieuw opvolgen"), coerce=int, default=0, choices=follow_up_day_choices(_l("Niet"))
    )
    next = HiddenField()


class RescheduleForm(BaseForm):
    """Move a follow-up: a quick choice (``days``, from a submit button) or a date."""

    days = IntegerField(validators=[Optional(), NumberRange(min=1, max=365)])
    due_date = DateField(  # type: ignore[call-arg]  # types-WTForms 3.2 lacks WTForms 3.3's invalid_value_message
        _l("Nieuwe datum"), validators=[Optional()], invalid_value_message=_l("Vul een geldige datum in.")
    )
    next = HiddenField()

    def validate_due_date(self, field) -> None:
        if not self.days.data and field.data is not None and field.data < today():
            raise ValidationError(_l("De nieuwe datum ligt in het verleden."))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and not self.days.data and self.due_date.data is None:
            self.due_date.errors = [*self.due_date.errors, _l("Kies een nieuwe datum.")]
            ok = False
        return ok
