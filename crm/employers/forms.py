"""Forms for one employer: create/edit, its people, handover, bulk handover and merge.

Field checks use ``crm.services.validation`` through ``service_check``, so a value is refused
with the same message here as in the importer.
"""

from __future__ import annotations

from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from crm.forms import NAME, BaseForm, choices, service_check
from crm.i18n import lazy_gettext as _l
from crm.labels import EMPLOYER_SIZE_LABELS, EMPLOYER_STATUS_LABELS
from crm.models import Employer
from crm.services import validation
from crm.services.employers import EmployerData, PersonData

NOTE_REQUIRED = _l("Schrijf bij een overdracht kort waarom, voor de nieuwe contactpersoon.")


def chosen(message):
    """A select with a "— kies —" option (value 0) must have something else chosen."""

    def validator(form, field) -> None:
        if not field.data:
            raise ValidationError(message)

    return validator


class EmployerForm(BaseForm):
    name = StringField(
        _l("Naam (handelsnaam)"),
        validators=[DataRequired(_l("Vul de naam van de werkgever in.")), Length(max=200), NAME],
    )
    trade_names = TextAreaField(
        _l("Handelsnamen"),
        validators=[Length(max=5000), service_check(validation.trade_names)],
        render_kw={"rows": 2},
    )
    kvk_number = StringField(_l("KvK-nummer"), validators=[service_check(validation.kvk_number)])
    vestigingsnummer = StringField(_l("Vestigingsnummer"), validators=[service_check(validation.vestigingsnummer)])
    street = StringField(_l("Straat"), validators=[Length(max=200)])
    house_number = StringField(_l("Huisnummer"), validators=[Length(max=20)])
    postcode = StringField(_l("Postcode"), validators=[service_check(validation.postcode)])
    city = StringField(_l("Plaats"), validators=[Length(max=100)])
    municipality = StringField(
        _l("Gemeente"),
        validators=[service_check(validation.municipality)],
        render_kw={"list": "gemeenten", "autocomplete": "off"},
    )
    phone = StringField(_l("Telefoon"), validators=[service_check(validation.phone)])
    email = StringField(_l("E-mailadres"), validators=[service_check(validation.email)])
    website = StringField(_l("Website"), validators=[service_check(validation.website)])
    sbi_code = StringField(_l("SBI-code"), validators=[service_check(validation.sbi_code)])
    size = SelectField(_l("Grootte"), choices=choices([("", _l("— onbekend —")), *EMPLOYER_SIZE_LABELS.items()]))
    status = SelectField(_l("Status"), choices=choices(EMPLOYER_STATUS_LABELS), default="prospect")
    erkend_leerbedrijf = BooleanField(_l("Erkend leerbedrijf (SBB)"))
    notes = TextAreaField(
        _l("Notities"), validators=[Length(max=10000), service_check(validation.no_bsn)], render_kw={"rows": 4}
    )
    # Only on the create form (afterwards the contactpersoon changes by handing over).
    contactpersoon_id = SelectField(
        _l("Contactpersoon"),
        coerce=int,
        validators=[InputRequired(_l("Kies een contactpersoon.")), chosen(_l("Kies een contactpersoon."))],
    )
    confirm_duplicate = HiddenField(default="")
    # Only on the edit form: the version the user started from and what it showed (crm.edit_merge).
    version = HiddenField()
    opened = HiddenField()

    def employer_data(self) -> EmployerData:
        found = validation.municipality(self.municipality.data)
        assert self.name.data is not None  # DataRequired; called after validation
        return EmployerData(
            name=self.name.data,
            kvk_number=self.kvk_number.data or None,
            vestigingsnummer=self.vestigingsnummer.data or None,
            sbi_code=self.sbi_code.data or None,
            size=self.size.data or None,
            street=self.street.data or "",
            house_number=self.house_number.data or "",
            postcode=self.postcode.data or "",
            city=self.city.data or "",
            municipality_id=found.id if found else None,
            phone=self.phone.data or "",
            email=self.email.data or "",
            website=self.website.data or "",
            erkend_leerbedrijf=bool(self.erkend_leerbedrijf.data),
            status=self.status.data,
            notes=self.notes.data or "",
            trade_names=self.trade_names.data or "",
        )

    @classmethod
    def for_employer(cls, employer: Employer, **kwargs) -> EmployerForm:
        """The edit form, filled from the record on GET (``formdata`` wins on POST; pass
        ``formdata=None`` for the stored values only)."""
        data = EmployerData.from_employer(employer)
        initial = {key: value for key, value in vars(data).items() if key != "municipality_id"}
        initial["size"] = data.size or ""
        initial["kvk_number"] = data.kvk_number or ""
        initial["vestigingsnummer"] = data.vestigingsnummer or ""
        initial["sbi_code"] = data.sbi_code or ""
        initial["municipality"] = employer.municipality.name if employer.municipality else ""
        initial["version"] = str(employer.version)
        form = cls(data=initial, **kwargs)
        del form.contactpersoon_id
        del form.confirm_duplicate
        return form


class PersonForm(BaseForm):
    name = StringField(
        _l("Naam"), validators=[DataRequired(_l("Vul de naam van de persoon in.")), Length(max=200), NAME]
    )
    function = StringField(_l("Functie"), validators=[Length(max=200)])
    phone = StringField(_l("Telefoon"), validators=[service_check(validation.phone)])
    email = StringField(_l("E-mailadres"), validators=[service_check(validation.email)])
    is_primary = BooleanField(_l("Eerste aanspreekpunt bij de werkgever"))
    version = HiddenField()
    opened = HiddenField()  # what the edit form showed (crm.edit_merge)

    def person_data(self) -> PersonData:
        assert self.name.data is not None  # DataRequired; called after validation
        return PersonData(
            name=self.name.data,
            function=self.function.data or "",
            phone=self.phone.data or "",
            email=self.email.data or "",
            is_primary=bool(self.is_primary.data),
        )


class HandoverForm(BaseForm):
    new_contactpersoon_id = SelectField(
        _l("Nieuwe contactpersoon"),
        coerce=int,
        validators=[InputRequired(_l("Kies de nieuwe contactpersoon.")), chosen(_l("Kies de nieuwe contactpersoon."))],
    )
    note = TextAreaField(
        _l("Toelichting voor de nieuwe contactpersoon"),
        validators=[DataRequired(NOTE_REQUIRED), Length(max=2000)],
        render_kw={"rows": 3},
    )
    # The contactpersoon the user saw: refused when someone handed over in the meantime.
    expected_id = HiddenField()


class BulkHandoverForm(BaseForm):
    source_id = SelectField(
        _l("Van"),
        coerce=int,
        validators=[
            InputRequired(_l("Kies van wie de werkgevers komen.")),
            chosen(_l("Kies van wie de werkgevers komen.")),
        ],
    )
    target_id = SelectField(
        _l("Naar"),
        coerce=int,
        validators=[InputRequired(_l("Kies de nieuwe contactpersoon.")), chosen(_l("Kies de nieuwe contactpersoon."))],
    )
    note = TextAreaField(
        _l("Toelichting voor de nieuwe contactpersoon"),
        validators=[DataRequired(NOTE_REQUIRED), Length(max=2000)],
        render_kw={"rows": 3},
    )
    confirmed = HiddenField(default="")


class MergeForm(BaseForm):
    duplicate_id = IntegerField(validators=[InputRequired()])
    note = TextAreaField(_l("Toelichting"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})
