from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from crm.forms import PHONE_VALIDATORS, BaseForm, choices
from crm.labels import ORGANISATION_KIND_LABELS, PARTNERSHIP_SCOPE_LABELS, ROLE_LABELS


class OrganisationForm(BaseForm):
    name = StringField(_l("Naam"), validators=[DataRequired(_l("Vul een naam in.")), Length(max=200)])
    kind = SelectField(_l("Soort"), choices=choices(ORGANISATION_KIND_LABELS))
    active = BooleanField(_l("Actief"), default=True)


class PartnershipForm(BaseForm):
    name = StringField(_l("Naam"), validators=[DataRequired(_l("Vul een naam in.")), Length(max=200)])
    scope = SelectField(_l("Soort samenwerkingsverband"), choices=choices(PARTNERSHIP_SCOPE_LABELS))
    region_id = SelectField(_l("Arbeidsmarktregio"), coerce=int, validators=[Optional()])
    description = TextAreaField(_l("Omschrijving"), validators=[Optional(), Length(max=5000)])
    member_ids = SelectMultipleField(_l("Partnerorganisaties"), coerce=int)
    active = BooleanField(_l("Actief"), default=True)


class UserForm(BaseForm):
    name = StringField(_l("Naam"), validators=[DataRequired(_l("Vul een naam in.")), Length(max=200)])
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
