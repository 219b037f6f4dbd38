"""The form that makes an API client (the token itself is made by the service)."""

from __future__ import annotations

from datetime import timedelta

from wtforms import DateField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from crm.forms import NAME, BaseForm, choices
from crm.i18n import lazy_gettext as _l
from crm.lib.clock import today
from crm.models.api_clients import DEFAULT_SCOPES


class ApiClientForm(BaseForm):
    name = StringField(
        _l("Naam van de koppeling"), validators=[DataRequired(_l("Vul een naam in.")), Length(max=100), NAME]
    )
    organisation_id = SelectField(_l("Organisatie"), coerce=int)
    role = SelectField(
        _l("Werkt met de rechten van"),
        choices=choices([("partner", _l("een partnermedewerker")), ("accountmanager", _l("een accountmanager"))]),
    )
    scopes = SelectMultipleField(
        _l("Rechten"),
        choices=choices(
            [
                ("employers:read", _l("werkgevers lezen (employers:read)")),
                ("employers:write", _l("werkgevers aanmaken en wijzigen (employers:write)")),
                ("contacts:write", _l("contactmomenten vastleggen (contacts:write)")),
                ("followups:write", _l("opvolgacties (followups:write)")),
                ("vacancies:write", _l("vacatures (vacancies:write)")),
                ("trajectories:read", _l("trajecten en deelnemers lezen: persoonsgegevens (trajectories:read)")),
            ]
        ),
        default=list(DEFAULT_SCOPES),
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    expires_on = DateField(
        _l("Geldig tot en met"),
        validators=[DataRequired(_l("Vul een datum in."))],
        default=lambda: today() + timedelta(days=365),
    )


class RevokeForm(BaseForm):
    """Only the CSRF token: the confirmation of a revoke."""
