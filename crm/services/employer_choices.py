"""What the employer list's filter form offers: regions, municipalities, SBI sections,
contactpersonen and organisations, read in one query on every view (so a new colleague or a
renamed municipality shows at once) and built into immutable choices only when those rows
change. Its own module because the list (crm.services.employer_list), its form
(crm.employers.list_forms) and the export's audit line all read it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import Select, String, cast, literal, select, union_all

from crm import permissions
from crm.extensions import db
from crm.models import Municipality, Organisation, Region, SbiSection, User


@dataclass(frozen=True, eq=False)
class FilterChoices:
    """The filter form's choices: tuples, shared by every view that read the same rows
    (:func:`filter_choices`), so nobody may change them. Hashed by identity: the form keeps
    its rendered options per instance (crm.employers.list_forms)."""

    regions: tuple[tuple[int, str], ...] = ()
    municipalities: tuple[tuple[int, str], ...] = ()
    sbi_sections: tuple[tuple[str, str], ...] = ()
    contactpersonen: tuple[tuple[int, str], ...] = ()
    organisations: tuple[tuple[int, str], ...] = ()

    def name(self, kind: str, value) -> str:
        return dict(getattr(self, kind)).get(value, str(value))


@functools.cache
def _filter_choices_query() -> Select:
    """The one query of :func:`filter_choices`, built once (it has no parameters of a view)."""
    as_text = lambda column: cast(column, String)  # noqa: E731
    parts = [
        select(literal("regions").label("kind"), as_text(Region.id).label("value"), Region.name.label("label")),
        select(literal("municipalities"), as_text(Municipality.id), Municipality.name),
        select(literal("sbi_sections"), SbiSection.code, SbiSection.code + " - " + SbiSection.name),
        select(literal("contactpersonen"), as_text(User.id), User.name + " (" + Organisation.name + ")")
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(permissions.contactpersoon_candidates_clause()),
        select(literal("organisations"), as_text(Organisation.id), Organisation.name).where(Organisation.active),
    ]
    combined = union_all(*parts).subquery()
    return select(combined.c.kind, combined.c.value, combined.c.label).order_by(combined.c.kind, combined.c.label)


def filter_choices() -> FilterChoices:
    """Everything the filter form offers, in one query (reference lists, contactpersonen,
    organisations), sorted by name. The query runs on every view, so a new colleague or a
    renamed municipality shows at once; what is built from its rows is kept by their content
    (``_choices_of``): the same rows give the same (immutable) choices without building them
    again."""
    return _choices_of(tuple(map(tuple, db.session.execute(_filter_choices_query()))))


@functools.lru_cache(maxsize=8)
def _choices_of(rows: tuple[tuple[str, str, str], ...]) -> FilterChoices:
    lists: dict[str, list] = {
        kind: [] for kind in ("regions", "municipalities", "sbi_sections", "contactpersonen", "organisations")
    }
    for kind, value, label in rows:
        lists[kind].append((value if kind == "sbi_sections" else int(value), label))
    return FilterChoices(**{kind: tuple(pairs) for kind, pairs in lists.items()})
