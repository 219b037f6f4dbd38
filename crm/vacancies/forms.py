"""Forms for vacancies: the intake (create/edit), a status move, the list filters and the
employer picker of a new vacancy.

Field checks use ``crm.services.validation`` and ``crm.services.vacancies`` through
``service_check``, so a value is refused with the same message as by the service.
"""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from crm.forms import BaseForm, choices, int_or_none, none_if_empty, service_check
from crm.i18n import lazy_gettext as _l
from crm.labels import EDUCATION_LEVEL_LABELS, LEARNING_PATH_LABELS, VACANCY_STATUS_LABELS
from crm.lib.clock import today
from crm.models import Vacancy
from crm.services import validation
from crm.services.vacancies import (
    MAX_HOURS,
    MAX_POSITIONS,
    SORTS,
    FilterChoices,
    VacancyData,
    VacancyFilters,
    crebo_code,
    path_matches_level,
)

NO_BSN = service_check(validation.no_bsn)

ERKEND_LABELS = {"ja": _l("Ja"), "nee": _l("Nee")}
CHECKLIST_LABELS = {
    "title": _l("Functietitel"),
    "positions": _l("Aantal plaatsen"),
    "hours_per_week": _l("Uren per week"),
    "education_level": _l("Opleidingsniveau"),
    "qualification": _l("Kwalificatie en crebocode"),
    "learning_path": _l("Leerweg"),
    "start_date": _l("Startdatum"),
    "closing_date": _l("Sluitingsdatum"),
    "location": _l("Locatie (gemeente)"),
    "requirements": _l("Eisen"),
    "erkend_for_qualification": _l("Erkend leerbedrijf voor deze kwalificatie"),
    "organisations": _l("Betrokken partners"),
}
CHECKLIST_NOT_APPLICABLE_LABELS = {
    "geen_opleiding": _l("geen opleidingseis"),
    "geen_leerweg": _l("geen leerweg"),
    "hbo": _l("hbo-vacature"),
}
SORT_LABELS = {
    "recent": _l("Nieuwste eerst"),
    "sluitingsdatum": _l("Sluitingsdatum, eerst sluitend"),
    "titel": _l("Functietitel"),
    "werkgever": _l("Werkgever"),
}
UNKNOWN = ("", _l("— nog niet bekend —"))
FILTER_FIELDS = ("status", "regio", "sbi", "niveau", "leerweg", "partner", "mijn", "te_laat")


class VacancyForm(BaseForm):
    """The intake checklist. Only the title and the number of positions are required: an intake
    is often filled in over several conversations, and the detail page shows what is missing."""

    title = StringField(
        _l("Functietitel"),
        validators=[DataRequired(_l("Vul de functietitel in.")), Length(max=200), NO_BSN],
    )
    positions = IntegerField(
        _l("Aantal plaatsen"),
        default=1,
        validators=[
            InputRequired(_l("Vul het aantal plaatsen in (minimaal 1).")),
            NumberRange(min=1, max=MAX_POSITIONS, message=_l("Het aantal plaatsen is minimaal 1 en hoogstens 999.")),
        ],
        render_kw={"min": 1, "max": MAX_POSITIONS, "inputmode": "numeric"},
    )
    hours_per_week = IntegerField(
        _l("Uren per week"),
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_HOURS, message=_l("Het aantal uren per week ligt tussen 1 en 60.")),
        ],
        render_kw={"min": 1, "max": MAX_HOURS, "inputmode": "numeric"},
    )
    education_level = SelectField(
        _l("Opleidingsniveau"), choices=choices([UNKNOWN, *EDUCATION_LEVEL_LABELS.items()]), coerce=none_if_empty
    )
    qualification_name = StringField(_l("Kwalificatie"), validators=[Length(max=200), NO_BSN])
    crebo = StringField(
        _l("Crebocode"), validators=[service_check(crebo_code)], render_kw={"inputmode": "numeric", "maxlength": 5}
    )
    learning_path = SelectField(
        _l("Leerweg"), choices=choices([UNKNOWN, *LEARNING_PATH_LABELS.items()]), coerce=none_if_empty
    )
    start_date = DateField(  # type: ignore[call-arg]  # invalid_value_message is WTForms 3.3; its stubs are 3.2
        _l("Startdatum"), validators=[Optional()], invalid_value_message=_l("Vul een geldige datum in.")
    )
    closing_date = DateField(  # type: ignore[call-arg]  # invalid_value_message is WTForms 3.3; its stubs are 3.2
        _l("Sluitingsdatum"), validators=[Optional()], invalid_value_message=_l("Vul een geldige datum in.")
    )
    municipality = StringField(
        _l("Locatie (gemeente)"),
        validators=[service_check(validation.municipality)],
        render_kw={"list": "gemeenten", "autocomplete": "off"},
    )
    requirements = TextAreaField(_l("Eisen"), validators=[Optional(), Length(max=5000), NO_BSN], render_kw={"rows": 3})
    erkend_for_qualification = SelectField(
        _l("Is de werkgever erkend leerbedrijf voor deze kwalificatie?"),
        choices=choices([UNKNOWN, *ERKEND_LABELS.items()]),
        coerce=none_if_empty,
    )
    publish_agreed = BooleanField(_l("De werkgever gaat akkoord met publicatie van deze vacature"))
    organisation_ids = SelectMultipleField(_l("Betrokken partnerorganisaties"), coerce=int, validate_choice=False)
    # Only on the edit form: the version the user started from.
    version = HiddenField()
    opened = HiddenField()  # what the edit form showed (crm.edit_merge)

    def __init__(self, *args, original_closing_date=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._original_closing_date = original_closing_date

    def set_organisations(self, organisations) -> None:
        self.organisation_ids.choices = choices((o.id, o.name) for o in organisations)
        self._organisation_ids = {o.id for o in organisations}

    def validate_organisation_ids(self, field) -> None:
        if any(value not in self._organisation_ids for value in field.data or []):
            raise ValidationError(_l("Kies partnerorganisaties uit de lijst."))

    def validate_learning_path(self, field) -> None:
        if not path_matches_level(field.data, self.education_level.data):
            raise ValidationError(
                _l("BBL en BOL zijn leerwegen in het mbo: kies een mbo-niveau of een andere leerweg.")
            )

    def validate_closing_date(self, field) -> None:
        if field.data and field.data != self._original_closing_date and field.data < today():
            raise ValidationError(_l("De sluitingsdatum ligt in het verleden: kies vandaag of later."))

    def vacancy_data(self) -> VacancyData:
        found = validation.municipality(self.municipality.data)
        erkend = self.erkend_for_qualification.data
        assert self.title.data is not None and self.positions.data is not None  # required; called after validation
        return VacancyData(
            title=self.title.data,
            positions=self.positions.data,
            hours_per_week=self.hours_per_week.data,
            education_level=self.education_level.data,
            qualification_name=self.qualification_name.data or "",
            crebo=self.crebo.data or None,
            learning_path=self.learning_path.data,
            start_date=self.start_date.data,
            closing_date=self.closing_date.data,
            municipality_id=found.id if found else None,
            requirements=self.requirements.data or "",
            erkend_for_qualification=None if erkend is None else erkend == "ja",
            publish_agreed=bool(self.publish_agreed.data),
            organisation_ids=sorted(set(self.organisation_ids.data or [])),
        )

    @classmethod
    def for_vacancy(cls, vacancy: Vacancy, **kwargs) -> VacancyForm:
        """The edit form, filled from the record on GET (``formdata`` wins on POST)."""
        data = VacancyData.from_vacancy(vacancy)
        initial = {key: value for key, value in vars(data).items() if key not in ("municipality_id",)}
        initial["education_level"] = data.education_level or ""
        initial["learning_path"] = data.learning_path or ""
        initial["crebo"] = data.crebo or ""
        initial["erkend_for_qualification"] = (
            "" if data.erkend_for_qualification is None else ("ja" if data.erkend_for_qualification else "nee")
        )
        initial["municipality"] = vacancy.municipality.name if vacancy.municipality else ""
        initial["version"] = str(vacancy.version)
        return cls(data=initial, original_closing_date=vacancy.closing_date, **kwargs)


class TransitionForm(BaseForm):
    """A status move (board card or detail page). The allowed moves are the service's to check."""

    naar = StringField(validators=[DataRequired(_l("Kies de nieuwe status."))])
    van = HiddenField()
    reden = TextAreaField(_l("Reden"), validators=[Optional(), Length(max=2000), NO_BSN])
    bron = HiddenField()


class VacancyFilterForm(BaseForm):
    """The list filters: a GET form, so the filters live in the URL (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), coerce=none_if_empty)
    regio = SelectField(_l("Arbeidsmarktregio"), coerce=int_or_none)
    sbi = SelectField(_l("Sector werkgever (SBI)"), coerce=none_if_empty)
    niveau = SelectField(_l("Opleidingsniveau"), coerce=none_if_empty)
    leerweg = SelectField(_l("Leerweg"), coerce=none_if_empty)
    partner = SelectField(_l("Betrokken partner"), coerce=int_or_none)
    werkgever = IntegerField(validators=[Optional()])
    mijn = BooleanField(_l("Alleen mijn werkgevers"))
    te_laat = BooleanField(_l("Sluitingsdatum verstreken"))
    sorteer = SelectField(_l("Sorteren op"), coerce=none_if_empty, choices=choices(SORT_LABELS), default="recent")

    def set_choices(self, options: FilterChoices) -> None:
        everything = ("", _l("Alle"))
        self.status.choices = choices([everything, ("open", _l("Alle open vacatures")), *VACANCY_STATUS_LABELS.items()])
        self.regio.choices = choices([everything, *options.regions])
        self.sbi.choices = choices([everything, *options.sbi_sections])
        self.niveau.choices = choices([everything, *EDUCATION_LEVEL_LABELS.items()])
        self.leerweg.choices = choices([everything, *LEARNING_PATH_LABELS.items()])
        self.partner.choices = choices([everything, *options.organisations])

    def active_count(self) -> int:
        """How many filters are set (not the sort): shown on the toggle that opens them."""
        return sum(1 for name in FILTER_FIELDS if self[name].data not in (None, "", False) and not self[name].errors)

    def filters(self, user_id: int) -> VacancyFilters:
        """The filters from the URL; a value that does not validate is left out (and shows why)."""
        self.validate()

        def value(name):
            field = self[name]
            return None if field.errors else field.data

        sort = value("sorteer")
        return VacancyFilters(
            status=value("status"),
            region_id=value("regio"),
            sbi_section=value("sbi"),
            education_level=value("niveau"),
            learning_path=value("leerweg"),
            organisation_id=value("partner"),
            employer_id=value("werkgever"),
            contactpersoon_id=user_id if value("mijn") else None,
            overdue=bool(value("te_laat")),
            sort=sort if sort in SORTS else "recent",
        )


class EmployerSearchForm(BaseForm):
    """Finding the employer of a new vacancy (GET)."""

    class Meta:
        csrf = False

    q = SearchField(
        _l("Werkgever"),
        validators=[Optional(), Length(max=100)],
        render_kw={"placeholder": _l("Naam, KvK-nummer of plaats"), "autocomplete": "off"},
    )
