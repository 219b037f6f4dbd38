from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from crm.forms import PHONE_VALIDATORS, BaseForm, choices
from crm.i18n import lazy_gettext as _l


class LoginForm(BaseForm):
    email = EmailField(_l("E-mailadres"), validators=[DataRequired(_l("Vul uw e-mailadres in.")), Length(max=254)])
    password = PasswordField(_l("Wachtwoord"), validators=[DataRequired(_l("Vul uw wachtwoord in.")), Length(max=128)])


class ChangePasswordForm(BaseForm):
    current = PasswordField(_l("Huidig wachtwoord"), validators=[DataRequired(_l("Vul uw huidige wachtwoord in."))])
    new = PasswordField(
        _l("Nieuw wachtwoord"), validators=[DataRequired(_l("Kies een nieuw wachtwoord.")), Length(max=128)]
    )
    repeat = PasswordField(
        _l("Herhaal nieuw wachtwoord"),
        validators=[
            DataRequired(_l("Herhaal het nieuwe wachtwoord.")),
            EqualTo("new", _l("De wachtwoorden zijn niet gelijk.")),
        ],
    )


class PreferencesForm(BaseForm):
    phone = StringField(_l("Telefoon"), validators=PHONE_VALIDATORS)
    locale = SelectField(_l("Taal"), choices=choices([("nl", "Nederlands"), ("en", "English")]))
    notify_reminders = BooleanField(_l("E-mail bij opvolgacties die vervallen"))
    notify_digest = BooleanField(_l("Dagelijks overzicht per e-mail (werkdagen 07:30)"))
