"""Forms for trajectories: create/edit, a status step, a follow-up, and the list's filters.

Every free-text field refuses a possible BSN (``validation.no_bsn``).
"""

from __future__ import annotations

from datetime import timedelta

from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from crm.forms import BaseForm, choices, int_or_none, none_if_empty, service_check
from crm.i18n import lazy_gettext as _l
from crm.labels import (
    DROPOUT_REASON_LABELS,
    INVOLVEMENT_ROLE_LABELS,
    TRAJECTORY_KIND_LABELS,
    TRAJECTORY_OUTCOME_LABELS,
    TRAJECTORY_STATUS_LABELS,
)
from crm.lib.clock import today
from crm.models import Organisation, Trajectory
from crm.services import validation
from crm.services.trajectories import (
    MAX_GUIDANCE_HOURS,
    OUTCOMES_BY_KIND,
    ROLE_FOR_ORGANISATION_KIND,
    TrajectoryData,
    TrajectoryFilters,
)

NO_BSN = service_check(validation.no_bsn)
INVALID_DATE = _l("Vul een geldige datum in.")
# The roles with one organisation each, and which kinds of organisation the select offers.
SINGLE_ROLES = {
    "school": ("roc",),
    "evc_aanbieder": ("evc_aanbieder", "roc"),
    "kenniscentrum": ("kenniscentrum",),
    "uwv": ("uwv",),
    "gemeente": ("gemeente",),
}


def _date(label) -> DateField:
    return DateField(label, validators=[Optional()], invalid_value_message=INVALID_DATE)  # type: ignore[call-arg]  # invalid_value_message is WTForms 3.3; its stubs are 3.2


class TrajectoryForm(BaseForm):
    kind = RadioField(_l("Soort traject"), choices=choices(TRAJECTORY_KIND_LABELS), default="duaal")
    # Filled from the employer search (htmx); the service checks the employer exists.
    employer_id = SelectField(_l("Werkgever"), coerce=int, default=0, validate_choice=False)
    vacancy_id = SelectField(_l("Vacature"), coerce=int, default=0, validate_choice=False)
    partnership_id = SelectField(_l("Telt voor samenwerkingsverband"), coerce=int)
    period_id = SelectField(_l("Programmaperiode"), coerce=int, default=0)
    regeling = StringField(_l("Regeling (financiering)"), validators=[Length(max=200), NO_BSN])
    qualification_name = StringField(_l("Kwalificatie of opleiding"), validators=[Length(max=200), NO_BSN])
    crebo = StringField(
        _l("Crebocode"),
        validators=[Optional(), Regexp(r"^\d{5}$", message=_l("Een crebocode heeft precies 5 cijfers."))],
        render_kw={"inputmode": "numeric", "maxlength": 5},
    )
    planned_start = _date(_l("Geplande start"))
    planned_end = _date(_l("Gepland einde"))
    actual_start = _date(_l("Werkelijke start"))
    actual_end = _date(_l("Werkelijk einde"))
    guidance_hours = IntegerField(  # type: ignore[call-arg]  # invalid_value_message is WTForms 3.3; its stubs are 3.2
        _l("Extra begeleiding (uren)"),
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_GUIDANCE_HOURS, message=_l("Vul een aantal uren van 0 tot 2000 in.")),
        ],
        render_kw={"inputmode": "numeric", "min": 0},
        invalid_value_message=_l("Vul een aantal uren in."),
    )
    org_school = SelectField(INVOLVEMENT_ROLE_LABELS["school"], coerce=int, default=0)
    org_evc_aanbieder = SelectField(INVOLVEMENT_ROLE_LABELS["evc_aanbieder"], coerce=int, default=0)
    org_kenniscentrum = SelectField(INVOLVEMENT_ROLE_LABELS["kenniscentrum"], coerce=int, default=0)
    org_uwv = SelectField(INVOLVEMENT_ROLE_LABELS["uwv"], coerce=int, default=0)
    org_gemeente = SelectField(INVOLVEMENT_ROLE_LABELS["gemeente"], coerce=int, default=0)
    org_overig = SelectMultipleField(_l("Andere betrokken organisaties"), coerce=int, default=[])
    # Only on the edit form: the version the user started from.
    version = HiddenField()
    opened = HiddenField()  # what the edit form showed (crm.edit_merge)

    def set_choices(self, organisations: list[Organisation], partnerships, periods) -> None:
        none = (0, _l("— geen —"))
        for role, kinds in SINGLE_ROLES.items():
            self[f"org_{role}"].choices = choices([none, *((o.id, o.name) for o in organisations if o.kind in kinds)])
        self.org_overig.choices = choices((o.id, o.name) for o in organisations)
        self.partnership_id.choices = choices([(0, _l("— kies —")), *((p.id, p.name) for p in partnerships)])
        self.period_id.choices = choices([none, *((p.id, p.name) for p in periods)])

    def set_defaults(self, organisation: Organisation) -> None:
        """A new trajectory: the user's own organisation involved, in the role its kind suggests."""
        role = ROLE_FOR_ORGANISATION_KIND.get(organisation.kind, "overig")
        if role in SINGLE_ROLES and organisation.kind in SINGLE_ROLES[role]:
            self[f"org_{role}"].data = organisation.id
        else:
            self.org_overig.data = [organisation.id]

    def fill_involvements(self, trajectory: Trajectory) -> None:
        overig = []
        for involvement in sorted(trajectory.involvements, key=lambda i: i.organisation_id):
            if involvement.role in SINGLE_ROLES and not self[f"org_{involvement.role}"].data:
                self[f"org_{involvement.role}"].data = involvement.organisation_id
            else:
                overig.append(involvement.organisation_id)
        self.org_overig.data = overig

    def validate_partnership_id(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Kies het samenwerkingsverband waar dit traject voor telt."))

    def validate_employer_id(self, field) -> None:
        if self.kind.data == "duaal" and not field.data:
            raise ValidationError(_l("Een duaal traject heeft een werkgever nodig: zoek en kies de werkgever."))

    def involvements(self) -> list[tuple[int, str]]:
        pairs = [(self[f"org_{role}"].data, role) for role in SINGLE_ROLES if self[f"org_{role}"].data]
        pairs += [(organisation_id, "overig") for organisation_id in self.org_overig.data or []]
        return sorted(set(pairs))

    def trajectory_data(self) -> TrajectoryData:
        return TrajectoryData(
            kind=self.kind.data,
            partnership_id=self.partnership_id.data,
            involvements=self.involvements(),
            employer_id=self.employer_id.data or None,
            vacancy_id=self.vacancy_id.data or None,
            period_id=self.period_id.data or None,
            regeling=self.regeling.data or "",
            qualification_name=self.qualification_name.data or "",
            crebo=self.crebo.data or None,
            planned_start=self.planned_start.data,
            planned_end=self.planned_end.data,
            actual_start=self.actual_start.data if "actual_start" in self else None,
            actual_end=self.actual_end.data if "actual_end" in self else None,
            guidance_hours=self.guidance_hours.data,
        )

    @classmethod
    def for_trajectory(cls, trajectory: Trajectory, **kwargs) -> TrajectoryForm:
        data = TrajectoryData.from_trajectory(trajectory)
        initial = data.scalars()
        for key in ("employer_id", "vacancy_id", "period_id"):
            initial[key] = initial[key] or 0
        initial["crebo"] = data.crebo or ""
        initial["version"] = str(trajectory.version)
        return cls(data=initial, **kwargs)


class TransitionForm(BaseForm):
    """One step of the workflow; the detail page shows one per allowed step (prefixed by it)."""

    note = TextAreaField(_l("Toelichting (optioneel)"), validators=[Length(max=2000), NO_BSN], render_kw={"rows": 2})
    actual_start = _date(_l("Startdatum"))
    actual_end = _date(_l("Einddatum"))
    outcome = SelectField(_l("Resultaat"), default="")
    dropout_reason = SelectField(
        _l("Reden van uitval"), choices=choices([("", _l("— kies —")), *DROPOUT_REASON_LABELS.items()]), default=""
    )
    dropout_text = TextAreaField(
        _l("Toelichting op de uitval"), validators=[Length(max=2000), NO_BSN], render_kw={"rows": 2}
    )
    version = HiddenField()

    def __init__(self, *args, target: str, kind: str, **kwargs):
        super().__init__(*args, prefix=f"{target}-", **kwargs)
        self.target = target
        self.outcome.choices = choices(
            [("", _l("— kies —")), *((code, TRAJECTORY_OUTCOME_LABELS[code]) for code in OUTCOMES_BY_KIND[kind])]
        )
        if target == "uitgevallen":
            self.actual_end.label.text = _l("Datum van uitval")


class TrajectoryFollowUpForm(BaseForm):
    subject = StringField(
        _l("Onderwerp"),
        validators=[DataRequired(_l("Geef de opvolgactie een onderwerp.")), Length(max=300), NO_BSN],
    )
    due_date = DateField(  # type: ignore[call-arg]  # invalid_value_message is WTForms 3.3; its stubs are 3.2
        _l("Uiterlijk op"),
        default=lambda: today() + timedelta(days=7),
        validators=[DataRequired(_l("Kies een datum voor de opvolgactie."))],
        invalid_value_message=INVALID_DATE,
    )
    owner_id = SelectField(_l("Eigenaar"), coerce=int)

    def validate_due_date(self, field) -> None:
        if field.data and field.data < today():
            raise ValidationError(_l("Een opvolgactie kan niet in het verleden liggen."))


class TrajectoryFilterForm(BaseForm):
    """The list's filters, a GET form: they live in the URL (bookmarkable, linkable from the pipeline)."""

    class Meta:
        csrf = False

    soort = SelectField(_l("Soort"), coerce=none_if_empty)
    status = SelectField(_l("Status"), coerce=none_if_empty)
    samenwerkingsverband = SelectField(_l("Samenwerkingsverband"), coerce=int_or_none)
    periode = SelectField(_l("Programmaperiode"), coerce=int_or_none)
    organisatie = SelectField(_l("Betrokken organisatie"), coerce=int_or_none)
    werkgever = IntegerField(validators=[Optional()])
    accountmanager = IntegerField(validators=[Optional()])
    gestart_vanaf = DateField(_l("Gestart vanaf"), validators=[Optional()], invalid_value_message=INVALID_DATE)  # type: ignore[call-arg]  # invalid_value_message is WTForms 3.3; its stubs are 3.2
    gestart_tot = DateField(_l("Gestart tot en met"), validators=[Optional()], invalid_value_message=INVALID_DATE)  # type: ignore[call-arg]  # invalid_value_message is WTForms 3.3; its stubs are 3.2

    def set_choices(self, options) -> None:
        everything = ("", _l("Alle"))
        self.soort.choices = choices([everything, *TRAJECTORY_KIND_LABELS.items()])
        self.status.choices = choices([everything, *TRAJECTORY_STATUS_LABELS.items()])
        self.samenwerkingsverband.choices = choices([everything, *options.partnerships])
        self.periode.choices = choices([everything, *options.periods])
        self.organisatie.choices = choices([everything, *options.organisations])

    def filters(self) -> TrajectoryFilters:
        """The filters from the URL; a value that does not validate is left out (the field says why)."""
        self.validate()

        def value(name):
            field = self[name]
            return None if field.errors else field.data

        return TrajectoryFilters(
            kind=value("soort"),
            status=value("status"),
            partnership_id=value("samenwerkingsverband"),
            period_id=value("periode"),
            organisation_id=value("organisatie"),
            employer_id=value("werkgever"),
            accountmanager_id=value("accountmanager"),
            started_from=value("gestart_vanaf"),
            started_until=value("gestart_tot"),
        )
