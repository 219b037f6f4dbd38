"""The filter form of the employer list: a GET form, so the filters live in the URL
(bookmarkable, shareable) and need no CSRF token (it changes nothing)."""

from __future__ import annotations

import functools

from markupsafe import Markup, escape
from wtforms import IntegerField, SearchField, SelectField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from crm.forms import BaseForm, choices, int_or_none, none_if_empty
from crm.i18n import lazy_gettext as _l
from crm.i18n import locale_name
from crm.labels import EMPLOYER_STATUS_LABELS
from crm.services.employer_choices import FilterChoices
from crm.services.employer_list import SORTS, EmployerFilters

SORT_LABELS = {
    "": _l("Naam"),
    "contact_oud": _l("Laatste contact, oudste eerst"),
    "contact_nieuw": _l("Laatste contact, nieuwste eerst"),
    "gemeente": _l("Gemeente"),
    "nieuw": _l("Recent toegevoegd"),
}
# The URL parameters, in the order the form shows them (the page number is ``pagina``).
FILTER_PARAMS = (
    "q",
    "regio",
    "gemeente",
    "sbi",
    "status",
    "erkend",
    "contactpersoon",
    "organisatie",
    "geen_contact",
    "sorteer",
)


def _option_value(value):
    """An option's value as the field's ``coerce`` gives it: the "Alle" option ("") is None;
    the others are already typed (ids as ints, codes as strings)."""
    return None if value == "" else value


class Options(tuple):
    """A filter's options, rendered to HTML once: the filters offer some 400 options (342
    municipalities), and rendering and escaping each on every view was the largest part of the
    list page. ``options(pairs)`` keys them by their content, so a renamed municipality or a new
    colleague is a new entry, never a stale one; the query that reads them still runs per view."""

    values: frozenset
    html: str


@functools.lru_cache(maxsize=64)
def _options(pairs: tuple[tuple[object, str], ...]) -> Options:
    built = Options(choices(pairs))
    built.values = frozenset(_option_value(choice.value) for choice in built)
    built.html = "".join(f'<option value="{escape(choice.value)}">{escape(choice.label)}</option>' for choice in built)
    return built


def options(pairs) -> Options:
    """The options of ``(value, label)`` pairs (labels may be lazy: taken in the request's language)."""
    return _options(tuple((value, str(label)) for value, label in pairs))


class QuickSelect:
    """A ``<select>`` like WTForms' own, from :class:`Options`: the one chosen option is marked
    in the rendered options (values are unique), instead of rendering each option again."""

    def __call__(self, field, **kwargs) -> Markup:
        kwargs.setdefault("id", field.id)
        offered: Options = field.choices
        value = "" if field.data is None else escape(field.data)
        unmarked = f'<option value="{value}">'
        html = offered.html.replace(unmarked, f'<option value="{value}" selected>', 1)
        # plain attributes (class_, id, aria-describedby: no booleans), without html_params'
        # Markup.format per attribute; every value is escaped here or in Options
        attributes = " ".join(
            f'{key.rstrip("_").replace("_", "-")}="{escape(given)}"'
            for key, given in sorted({"name": field.name, **kwargs}.items())
        )
        return Markup(f"<select {attributes}>{html}</select>")  # noqa: S704


# WTForms' own message, translated by WTForms' catalogues as the ``SelectField`` it replaces did
# (held in a name so that our extraction, which covers our own strings, leaves it to WTForms).
WTFORMS_NOT_A_CHOICE = "Not a valid choice."


class QuickSelectField(SelectField):
    """A filter's select: its choices are :class:`Options` with typed values (ids as ints,
    codes as strings), checked against their set instead of WTForms' ``iter_choices``."""

    widget = QuickSelect()

    def pre_validate(self, form) -> None:
        offered: Options = self.choices  # type: ignore[assignment]  # always Options
        if self.data not in offered.values:
            raise ValidationError(self.gettext(WTFORMS_NOT_A_CHOICE))


@functools.lru_cache(maxsize=16)
def _form_options(offered: FilterChoices, language: str) -> dict[str, Options]:
    """The options of each select for these choices (the same instance while their rows are
    the same: crm.services.employer_choices.filter_choices) in ``language``: built once, not on
    every view."""
    everything = ("", _l("Alle"))
    return {
        "regio": options([everything, *offered.regions]),
        "gemeente": options([everything, *offered.municipalities]),
        "sbi": options([everything, *offered.sbi_sections]),
        "status": options([everything, *EMPLOYER_STATUS_LABELS.items()]),
        "erkend": options([everything, ("ja", _l("Ja")), ("nee", _l("Nee"))]),
        "contactpersoon": options([("", _l("Iedereen")), *offered.contactpersonen]),
        "organisatie": options([everything, *offered.organisations]),
        "sorteer": options(SORT_LABELS.items()),
    }


class EmployerFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = SearchField(
        _l("Zoeken"),
        validators=[Optional(), Length(max=100)],
        render_kw={"placeholder": _l("Naam, KvK-nummer, plaats of contactpersoon"), "autocomplete": "off"},
    )
    regio = QuickSelectField(_l("Arbeidsmarktregio"), coerce=int_or_none)
    gemeente = QuickSelectField(_l("Gemeente"), coerce=int_or_none)
    sbi = QuickSelectField(_l("Sector (SBI)"), coerce=none_if_empty)
    status = QuickSelectField(_l("Status"), coerce=none_if_empty)
    erkend = QuickSelectField(_l("Erkend leerbedrijf"), coerce=none_if_empty)
    contactpersoon = QuickSelectField(_l("Contactpersoon"), coerce=int_or_none)
    organisatie = QuickSelectField(_l("Organisatie contactpersoon"), coerce=int_or_none)
    geen_contact = IntegerField(
        _l("Geen contact in (dagen)"),
        validators=[Optional(), NumberRange(min=1, max=3650, message=_l("Kies een aantal dagen van 1 tot 3650."))],
        render_kw={"min": 1, "max": 3650, "step": 1, "inputmode": "numeric", "placeholder": _l("bijv. 90")},
    )
    sorteer = QuickSelectField(_l("Sorteren op"), coerce=none_if_empty)

    def set_choices(self, offered: FilterChoices) -> None:
        for name, offered_options in _form_options(offered, locale_name()).items():
            self[name].choices = offered_options

    def filters(self) -> EmployerFilters:
        """The filters from the URL; a value that does not validate is left out (and the
        field shows why)."""
        self.validate()

        def value(name):
            field = self[name]
            return None if field.errors else field.data

        erkend = value("erkend")
        sort = value("sorteer")
        return EmployerFilters(
            q=(value("q") or "").strip(),
            region_id=value("regio"),
            municipality_id=value("gemeente"),
            sbi_section=value("sbi"),
            contactpersoon_id=value("contactpersoon"),
            organisation_id=value("organisatie"),
            status=value("status"),
            erkend=None if erkend is None else erkend == "ja",
            no_contact_days=value("geen_contact"),
            sort=sort if sort in SORTS else "naam",
        )

    def active_count(self) -> int:
        """How many filters (not the search or the sort) are set: shown on the phone's toggle."""
        return sum(1 for name in FILTER_PARAMS if name not in ("q", "sorteer") and self[name].data not in (None, ""))
