"""Partner organisations and partnerships (administration)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from crm import permissions
from crm.extensions import db
from crm.i18n import lazy_gettext as _l
from crm.models import Organisation, Partnership, User
from crm.models.base import utcnow
from crm.services import versions
from crm.services.audit import audit, diff
from crm.services.errors import ServiceError, StaleRecord
from crm.services.validation import no_bidi_controls


def _name_taken(model, name: str, exclude_id: int | None) -> bool:
    query = select(model.id).where(func.lower(model.name) == name.strip().lower())
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    return db.session.scalar(query) is not None


ORGANISATION_CHANGED = _l("Iemand anders heeft deze organisatie intussen gewijzigd.")
PARTNERSHIP_CHANGED = _l("Iemand anders heeft dit samenwerkingsverband intussen gewijzigd.")


def save_organisation(
    actor: User,
    organisation: Organisation | None,
    *,
    name: str,
    kind: str,
    active: bool,
    version: int | None = None,
) -> Organisation:
    """Create an organisation (``organisation`` None) or change one; a change needs the
    ``version`` the form was opened on (StaleRecord when someone saved in between)."""
    permissions.require(permissions.can_manage_organisations(actor))
    no_bidi_controls(name)
    if organisation is not None and version != organisation.version:
        raise StaleRecord(ORGANISATION_CHANGED)
    if _name_taken(Organisation, name, organisation.id if organisation else None):
        raise ServiceError(_("Er bestaat al een organisatie met deze naam."))
    creating = organisation is None
    before = (
        {}
        if organisation is None
        else {"name": organisation.name, "kind": organisation.kind, "active": organisation.active}
    )
    organisation = organisation or Organisation()
    organisation.name, organisation.kind, organisation.active = name.strip(), kind, active
    db.session.add(organisation)
    versions.flush_versioned(ORGANISATION_CHANGED)
    changes = diff(before, {"name": organisation.name, "kind": kind, "active": active})
    if changes:
        audit(actor, "create" if creating else "update", organisation, changes=changes)
    return organisation


def save_partnership(
    actor: User,
    partnership: Partnership | None,
    *,
    name: str,
    scope: str,
    region_id: int | None,
    description: str,
    members: list[Organisation],
    active: bool,
    version: int | None = None,
) -> Partnership:
    """Create a partnership or change one; a change needs the ``version`` the form was opened
    on (StaleRecord when someone saved in between), also when only the members change."""
    permissions.require(permissions.can_manage_organisations(actor))
    no_bidi_controls(name)
    if partnership is not None and version != partnership.version:
        raise StaleRecord(PARTNERSHIP_CHANGED)
    if _name_taken(Partnership, name, partnership.id if partnership else None):
        raise ServiceError(_("Er bestaat al een samenwerkingsverband met deze naam."))
    creating = partnership is None
    partnership = partnership or Partnership()
    before = {} if creating else _partnership_state(partnership)
    partnership.name, partnership.scope, partnership.region_id = name.strip(), scope, region_id
    partnership.description, partnership.members, partnership.active = description, members, active
    changes = diff(before, _partnership_state(partnership))
    if changes and not creating:
        partnership.updated_at = utcnow()  # touch the row, so the version moves also for members only
    db.session.add(partnership)
    versions.flush_versioned(PARTNERSHIP_CHANGED)
    if changes:
        audit(actor, "create" if creating else "update", partnership, changes=changes)
    return partnership


def _partnership_state(p: Partnership) -> dict:
    return {
        "name": p.name,
        "scope": p.scope,
        "region_id": p.region_id,
        "description": p.description,
        "members": ", ".join(sorted(o.name for o in p.members)),
        "active": p.active,
    }
