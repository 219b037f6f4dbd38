from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Email, Length, Optional, StopValidation

from crm.forms import NAME, PHONE_VALIDATORS, BaseForm, choices
from crm.i18n import lazy_gettext as _l
from crm.labels import ORGANISATION_KIND_LABELS, PARTNERSHIP_SCOPE_LABELS, ROLE_LABELS
from crm.services.programme_periods import NAME_MAX


class OrganisationForm(BaseForm):
    version = HiddenField()
    opened = HiddenField()  # what the edit form showed (crm.edit_merge)
    name = StringField(_l("Naam"), validators=[DataRequired(_l("Vul een naam in.")), Length(max=200), NAME])
    kind = SelectField(_l("Soort"), choices=choices(ORGANISATION_KIND_LABELS))
    active = BooleanField(_l("Actief"), default=True)


class PartnershipForm(BaseForm):
    version = HiddenField()
    opened = HiddenField()  # what the edit form showed (crm.edit_merge)
    name = StringField(_l("Naam"), validators=[DataRequired(_l("Vul een naam in.")), Length(max=200), NAME])
    scope = SelectField(_l("Soort samenwerkingsverband"), choices=choices(PARTNERSHIP_SCOPE_LABELS))
    region_id = SelectField(_l("Arbeidsmarktregio"), coerce=int, validators=[Optional()])
    description = TextAreaField(_l("Omschrijving"), validators=[Optional(), Length(max=5000)])
    member_ids = SelectMultipleField(_l("Partnerorganisaties"), coerce=int)
    active = BooleanField(_l("Actief"), default=True)


class UserForm(BaseForm):
    name = StringField(_l("Naam"), validators=[DataRequired(_l("Vul een naam in.")), Length(max=200), NAME])
    email = EmailField(
        _l("E-mailadres"),
        validators=[
            DataRequired(_l("Vul een e-mailadres in.")),
            Email(_l("Vul een geldig e-mailadres in.")),
            Length(max=254),
        ],
    )
    phone = StringField(_l("Telefoon"), validators=PHONE_VALIDATORS)
    role = SelectField(_l("Rol"), choices=choices(ROLE_LABELS))
    organisation_id = SelectField(_l("Organisatie"), coerce=int)
    version = HiddenField()  # the user's edit_version the form was opened on
    opened = HiddenField()  # what the edit form showed (crm.edit_merge)


class RequiredDate:
    """An empty date field gets ``message`` alone (not also "not a valid date"). A class, like
    WTForms' own validators, so that it can carry ``field_flags`` (the input gets ``required``)."""

    def __init__(self, message) -> None:
        self.message = message
        self.field_flags = {"required": True}

    def __call__(self, _form, field) -> None:
        if not field.raw_data or not str(field.raw_data[0]).strip():
            field.errors[:] = []
            raise StopValidation(self.message)


class ProgrammePeriodForm(BaseForm):
    name = StringField(
        _l("Naam"),
        validators=[
            DataRequired(_l("Vul een naam in, bijvoorbeeld '2026' of '2025-2026'.")),
            Length(max=NAME_MAX),
            NAME,
        ],
    )
    starts_on = DateField(  # type: ignore[call-arg]  # types-WTForms 3.2 lacks WTForms 3.3's invalid_value_message
        _l("Begindatum"),
        validators=[RequiredDate(_l("Vul de begindatum in."))],
        invalid_value_message=_l("Vul een geldige datum in."),
    )
    ends_on = DateField(  # type: ignore[call-arg]  # types-WTForms 3.2 lacks WTForms 3.3's invalid_value_message
        _l("Einddatum"),
        validators=[RequiredDate(_l("Vul de einddatum in."))],
        invalid_value_message=_l("Vul een geldige datum in."),
    )
    version = HiddenField()
    opened = HiddenField()  # what the edit form showed (crm.edit_merge)

    def validate_ends_on(self, field) -> None:
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(
                _l("De einddatum ligt vóór de begindatum: een periode eindigt op of na de dag waarop ze begint.")
            )
