"""Forms of the pipeline review: the filters (a GET form, in the URL) and the ambition entry."""

from __future__ import annotations

from collections.abc import Mapping

from wtforms import HiddenField, IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange

from crm.forms import BaseForm, choices
from crm.i18n import lazy_gettext as _l
from crm.services.pipeline import Choices, PipelineFilters

# URL parameters of the filters, in the order the form shows them.
FILTER_PARAMS = ("samenwerkingsverband", "periode", "regio", "organisatie", "accountmanager")


def _int_or_none(value):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class PipelineFilterForm(BaseForm):
    """Filters in the URL (bookmarkable); no CSRF token, it changes nothing."""

    class Meta:
        csrf = False

    samenwerkingsverband = SelectField(_l("Samenwerkingsverband"), coerce=_int_or_none, validate_choice=False)
    periode = SelectField(_l("Programmaperiode"), coerce=_int_or_none, validate_choice=False)
    regio = SelectField(_l("Arbeidsmarktregio"), coerce=_int_or_none, validate_choice=False)
    organisatie = SelectField(_l("Organisatie"), coerce=_int_or_none, validate_choice=False)
    accountmanager = SelectField(_l("Accountmanager"), coerce=_int_or_none, validate_choice=False)

    def set_choices(self, options: Choices, *, all_partnerships_label) -> None:
        self.samenwerkingsverband.choices = choices([("", all_partnerships_label), *options.partnerships])
        self.periode.choices = choices([("", _l("Alle periodes")), *options.periods])
        self.regio.choices = choices([("", _l("Alle regio's")), *options.regions])
        self.organisatie.choices = choices([("", _l("Alle organisaties")), *options.organisations])
        self.accountmanager.choices = choices([("", _l("Alle accountmanagers")), *options.account_managers])

    def filters(self) -> PipelineFilters:
        return PipelineFilters(
            partnership_id=self.samenwerkingsverband.data,
            period_id=self.periode.data,
            region_id=self.regio.data,
            organisation_id=self.organisatie.data,
            account_manager_id=self.accountmanager.data,
        )


TARGET_VALIDATORS = [
    InputRequired(_l("Vul een aantal in (0 als er geen ambitie is).")),
    NumberRange(min=0, max=100000, message=_l("Vul een aantal van 0 of meer in.")),
]


class AmbitionForm(BaseForm):
    partnership_id = SelectField(_l("Samenwerkingsverband"), coerce=int)
    period_id = SelectField(_l("Programmaperiode"), coerce=int)
    duaal = IntegerField(
        _l("Ambitie duaal (aantal trajecten)"),
        validators=TARGET_VALIDATORS,
        render_kw={"min": 0, "inputmode": "numeric"},
    )
    evc = IntegerField(
        _l("Ambitie EVC (aantal trajecten)"), validators=TARGET_VALIDATORS, render_kw={"min": 0, "inputmode": "numeric"}
    )
    # What the form showed: "<partnership>:<period>:<duaal>:<evc>" (empty: no ambition yet).
    gezien = HiddenField()

    def show(self, partnership_id: int, period_id: int, targets: Mapping[str, int | None]) -> None:
        """Record the stored ambitions of this partnership and period as the ones shown."""
        values = [str(targets.get(kind)) if targets.get(kind) is not None else "" for kind in ("duaal", "evc")]
        self.gezien.data = ":".join([str(partnership_id), str(period_id), *values])

    def seen(self, partnership_id: int, period_id: int) -> dict[str, int | None]:
        """The ambitions the form showed for this partnership and period; {} when it showed
        another one (or nothing readable): then nothing stored was seen."""
        parts = (self.gezien.data or "").split(":")
        if len(parts) != 4 or parts[:2] != [str(partnership_id), str(period_id)]:
            return {}
        try:
            return {
                kind: int(value) if value else None for kind, value in zip(("duaal", "evc"), parts[2:], strict=True)
            }
        except ValueError:
            return {}
