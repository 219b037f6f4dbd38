"""Forms of the employer import: the upload, the column mapping and the confirmation."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.validators import DataRequired

from crm.forms import BaseForm, choices
from crm.i18n import lazy_gettext as _l
from crm.models import User
from crm.services.imports import FIELDS


class UploadForm(BaseForm):
    file = FileField(_l("Bestand"), validators=[FileRequired(_l("Kies een CSV- of Excel-bestand."))])


class ConfirmForm(BaseForm):
    """Only the CSRF token: confirming or cancelling carries no data."""


class MappingForm(BaseForm):
    """One select per CRM field (``col_<field>``, the column index or "" for none), built per file."""

    contactpersoon_id = SelectField(_l("Standaard contactpersoon"), coerce=int)

    def field_for(self, key: str):
        return self[f"col_{key}"]

    def mapping(self) -> dict[str, int]:
        return {f.key: int(self.field_for(f.key).data) for f in FIELDS if self.field_for(f.key).data not in ("", None)}

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and not self.contactpersoon_id.data and "contactpersoon" not in self.mapping():
            self.contactpersoon_id.errors = [
                *self.contactpersoon_id.errors,
                _("Kies een standaard contactpersoon, of koppel een kolom aan Contactpersoon."),
            ]
            ok = False
        return ok


def mapping_form(headers: list[str], users: list[User], mapping: dict[str, int], contactpersoon_id: int | None):
    """A MappingForm for a file with these ``headers``, pre-filled with ``mapping``."""

    class Form(MappingForm):
        pass

    columns = [("", _("— niet importeren —"))] + [(str(i), header) for i, header in enumerate(headers)]
    for import_field in FIELDS:
        validators = [DataRequired(_l("Koppel een kolom aan Naam: die is verplicht."))] if import_field.required else []
        setattr(
            Form,
            f"col_{import_field.key}",
            SelectField(
                import_field.label,
                choices=choices(columns),
                default=str(mapping[import_field.key]) if import_field.key in mapping else "",
                validators=validators,
            ),
        )
    form = Form(contactpersoon_id=contactpersoon_id or 0)
    form.contactpersoon_id.choices = choices(
        [(0, _("— geen: elke rij noemt een contactpersoon —"))] + [(u.id, f"{u.name} ({u.email})") for u in users]
    )
    return form
