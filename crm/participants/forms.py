"""The participant form: minimal personal data and the recorded consent. No BSN field, and
every free-text field refuses a nine-digit number that passes the elfproef (a possible BSN)."""

from __future__ import annotations

import re

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from crm.forms import NAME, BaseForm, choices, service_check
from crm.i18n import lazy_gettext as _l
from crm.labels import DOELGROEP_LABELS
from crm.lib.clock import today
from crm.models import Participant
from crm.services import validation
from crm.services.participants import ParticipantData

NO_BSN = service_check(validation.no_bsn)


def _no_bsn_in_phone(value: str | None) -> str | None:
    """A phone number is checked without its spaces and dashes: "123 456 782" is one number."""
    validation.no_bsn(re.sub(r"[\s().\-]", "", value or ""))
    return value


PHONE_NO_BSN = service_check(_no_bsn_in_phone)


class ParticipantForm(BaseForm):
    first_name = StringField(
        _l("Voornaam"), validators=[DataRequired(_l("Vul de voornaam in.")), Length(max=100), NO_BSN, NAME]
    )
    last_name = StringField(
        _l("Achternaam"), validators=[DataRequired(_l("Vul de achternaam in.")), Length(max=150), NO_BSN, NAME]
    )
    birth_year = IntegerField(  # type: ignore[call-arg]  # invalid_value_message is WTForms 3.3; its stubs are 3.2
        _l("Geboortejaar"),
        validators=[Optional(), NumberRange(min=1900, max=2100, message=_l("Vul een geboortejaar in, bijv. 1998."))],
        render_kw={"inputmode": "numeric", "min": 1900, "max": 2100},
        invalid_value_message=_l("Vul een geboortejaar in, bijv. 1998."),
    )
    birth_date = DateField(  # type: ignore[call-arg]  # invalid_value_message is WTForms 3.3; its stubs are 3.2
        _l("Geboortedatum"), validators=[Optional()], invalid_value_message=_l("Vul een geldige datum in.")
    )
    email = StringField(_l("E-mailadres"), validators=[Length(max=254), NO_BSN, service_check(validation.email)])
    phone = StringField(_l("Telefoon"), validators=[Length(max=30), PHONE_NO_BSN, service_check(validation.phone)])
    municipality = StringField(
        _l("Woongemeente"),
        validators=[NO_BSN, service_check(validation.municipality)],
        render_kw={"list": "gemeenten", "autocomplete": "off"},
    )
    doelgroep = SelectField(
        _l("Doelgroep"),
        choices=choices([("", _l("— kies —")), *DOELGROEP_LABELS.items()]),
        validators=[DataRequired(_l("Kies de doelgroep."))],
    )
    has_startkwalificatie = BooleanField(_l("Heeft een startkwalificatie (mbo 2, havo of vwo)"))
    referring_organisation_id = SelectField(_l("Verwijzende organisatie"), coerce=int)
    # On a new participant: required. On an edit: checked means "record the consent anew".
    consent_given = BooleanField(
        _l("De deelnemer geeft toestemming om deze gegevens vast te leggen en te delen met de betrokken partners")
    )
    consent_purpose = TextAreaField(
        _l("Doel waarvoor toestemming is gegeven"),
        validators=[Optional(), Length(max=2000), NO_BSN],
        render_kw={"rows": 2, "placeholder": _l("bijv. Begeleiding naar een leerwerktraject in de regio")},
    )
    # Only on the edit form: the version the user started from.
    version = HiddenField()
    opened = HiddenField()  # what the edit form showed (crm.edit_merge)

    def __init__(self, *args, new: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.new = new
        if not new:
            self.consent_given.label.text = _l("Toestemming opnieuw vastleggen (bijvoorbeeld voor een ander doel)")

    def set_organisations(self, organisations) -> None:
        self.referring_organisation_id.choices = choices(
            [(0, _l("— geen —"))] + [(o.id, o.name) for o in organisations]
        )

    def validate_birth_year(self, field) -> None:
        if field.data is not None and field.data > today().year:
            raise ValidationError(_l("Een geboortejaar kan niet in de toekomst liggen."))

    def validate_birth_date(self, field) -> None:
        if field.data is not None and field.data > today():
            raise ValidationError(_l("Een geboortedatum kan niet in de toekomst liggen."))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        year, born = self.birth_year, self.birth_date
        if year.data is None and born.data is None and not year.errors and not born.errors:
            year.errors = [*year.errors, _l("Vul het geboortejaar of de geboortedatum in.")]
            ok = False
        if year.data is not None and born.data is not None and year.data != born.data.year:
            year.errors = [*year.errors, _l("Het geboortejaar past niet bij de geboortedatum.")]
            ok = False
        if self.new and not self.consent_given.data:
            self.consent_given.errors = [
                *self.consent_given.errors,
                _l("Leg alleen gegevens vast als de deelnemer daar toestemming voor heeft gegeven."),
            ]
            ok = False
        if self.consent_given.data and not self.consent_purpose.data and not self.consent_purpose.errors:
            self.consent_purpose.errors = [
                *self.consent_purpose.errors,
                _l("Leg vast waarvoor de deelnemer toestemming heeft gegeven."),
            ]
            ok = False
        return ok

    def participant_data(self) -> ParticipantData:
        found = validation.municipality(self.municipality.data)
        assert self.first_name.data is not None and self.last_name.data is not None  # DataRequired; after validation
        return ParticipantData(
            first_name=self.first_name.data,
            last_name=self.last_name.data,
            doelgroep=self.doelgroep.data,
            birth_year=self.birth_date.data.year if self.birth_date.data else self.birth_year.data,
            birth_date=self.birth_date.data,
            email=self.email.data or "",
            phone=self.phone.data or "",
            municipality_id=found.id if found else None,
            has_startkwalificatie=bool(self.has_startkwalificatie.data),
            referring_organisation_id=self.referring_organisation_id.data or None,
        )

    def consent_purpose_given(self) -> str | None:
        """The purpose to record, or None when the consent is not (re)recorded."""
        return self.consent_purpose.data if self.consent_given.data else None

    @classmethod
    def for_participant(cls, participant: Participant, municipality_name: str, **kwargs) -> ParticipantForm:
        data = ParticipantData.from_participant(participant)
        initial = {key: value for key, value in vars(data).items() if key != "municipality_id"}
        initial["municipality"] = municipality_name
        initial["referring_organisation_id"] = data.referring_organisation_id or 0
        initial["consent_purpose"] = participant.consent_purpose
        initial["version"] = str(participant.version)
        return cls(data=initial, new=False, **kwargs)
