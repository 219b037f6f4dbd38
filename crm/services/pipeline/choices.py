"""The options of the pipeline's filters, and the filters in words (for the drill-down's
criteria and the export's audit event). Coordinators get only their partnerships and the
account managers of their partnerships' member organisations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import String, cast, exists, literal, or_, select, union_all

from crm import permissions
from crm.extensions import db
from crm.models import (
    Employer,
    FollowUp,
    Organisation,
    Partnership,
    ProgrammePeriod,
    Region,
    User,
)
from crm.services.pipeline.scope import Scope, member_users


@dataclass
class Choices:
    partnerships: list[tuple[int, str]] = field(default_factory=list)
    periods: list[tuple[int, str]] = field(default_factory=list)
    regions: list[tuple[int, str]] = field(default_factory=list)
    organisations: list[tuple[int, str]] = field(default_factory=list)
    account_managers: list[tuple[int, str]] = field(default_factory=list)

    def name(self, kind: str, value) -> str:
        return dict(getattr(self, kind)).get(value, str(value))


def filter_choices(actor: User, allowed: list[int] | None) -> Choices:
    """The filter options in one UNION ALL query. Coordinators get their partnerships and the
    account managers of their partnerships' member organisations."""
    as_text = lambda column: cast(column, String)  # noqa: E731
    partnerships = select(
        literal("partnerships").label("kind"),
        as_text(Partnership.id).label("value"),
        Partnership.name.label("label"),
        literal("").label("sort"),
    )
    # Everyone the per-account-manager tables can show a row for: active account managers and
    # coordinators, and anyone (any role, even deactivated) who is an employer's contactpersoon
    # or owns an open follow-up.
    has_work = or_(
        exists().where(Employer.contactpersoon_id == User.id),
        exists().where(FollowUp.owner_id == User.id, FollowUp.status == "open"),
    )
    managers = (
        select(literal("account_managers"), as_text(User.id), User.name + " (" + Organisation.name + ")", literal(""))
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(or_(permissions.contactpersoon_candidates_clause(), has_work))
    )
    if allowed is not None:
        partnerships = partnerships.where(Partnership.id.in_(allowed or [-1]))
        managers = managers.where(User.id.in_(member_users(allowed or [-1])))
    parts = [
        partnerships,
        select(
            literal("periods"), as_text(ProgrammePeriod.id), ProgrammePeriod.name, as_text(ProgrammePeriod.starts_on)
        ),
        select(literal("regions"), as_text(Region.id), Region.name, literal("")),
        select(literal("organisations"), as_text(Organisation.id), Organisation.name, literal("")).where(
            Organisation.active
        ),
        managers,
    ]
    combined = union_all(*parts).subquery()
    choices = Choices()
    query = select(combined.c.kind, combined.c.value, combined.c.label).order_by(
        combined.c.kind, combined.c.sort.desc(), combined.c.label
    )
    for kind, value, label in db.session.execute(query):
        getattr(choices, kind).append((int(value), label))
    return choices


def describe(scope: Scope, choices: Choices) -> str:
    f = scope.filters
    parts = []
    if f.partnership_id is not None:
        parts.append(f"samenwerkingsverband {choices.name('partnerships', f.partnership_id)}")
    if scope.period is not None:
        parts.append(f"periode {scope.period.name}")
    if f.region_id is not None:
        parts.append(f"regio {choices.name('regions', f.region_id)}")
    if f.organisation_id is not None:
        parts.append(f"organisatie {choices.name('organisations', f.organisation_id)}")
    if f.account_manager_id is not None:
        parts.append(f"accountmanager {choices.name('account_managers', f.account_manager_id)}")
    return ", ".join(parts) if parts else "geen filters"
