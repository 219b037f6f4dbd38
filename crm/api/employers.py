"""Employers and the people at them: list (the /werkgevers filters, search and sorts, keyset
paged), one employer, create (with the duplicate check), change (If-Match).

All through crm.services.employers / employer_list / search and crm.permissions, with the
client's principal as the acting user: what the same organisation's user may see or do in the
browser, no more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from crm import permissions
from crm.api.auth import actor, operation
from crm.api.blueprint import bp
from crm.api.etags import etag, required_version
from crm.api.paging import Key, decode, encode, keyset_page
from crm.api.problems import ApiProblem
from crm.api.schemas import Body, Id, Line, PageQuery, Ref, Text
from crm.extensions import db
from crm.loading import load_employer_or_404
from crm.models import Employer, EmployerPerson, Municipality, User
from crm.models.employers import EMPLOYER_SIZES, EMPLOYER_STATUSES
from crm.services import employer_list, employers, validation
from crm.services.employer_list import SORTS, EmployerFilters
from crm.services.search import normalise

TAG = "Werkgevers"
EmployerStatus = Literal["prospect", "actief", "inactief"]
EmployerSize = Literal["micro", "klein", "middel", "groot"]
Sort = Literal["naam", "contact_oud", "contact_nieuw", "gemeente", "nieuw"]
assert set(EMPLOYER_STATUSES) == set(EmployerStatus.__args__)  # type: ignore[attr-defined]
assert set(EMPLOYER_SIZES) == set(EmployerSize.__args__)  # type: ignore[attr-defined]
assert set(SORTS) == set(Sort.__args__)  # type: ignore[attr-defined]


# --- models ---------------------------------------------------------------------------------


class SbiSectionRef(BaseModel):
    code: str
    name: str


class ContactpersoonOut(BaseModel):
    id: int
    name: str
    email: str
    organisation: Ref


class PersonOut(BaseModel):
    id: int
    name: str
    function: str
    phone: str
    email: str
    is_primary: bool
    version: int


class EmployerSummary(BaseModel):
    id: int
    name: str
    kvk_number: str | None
    vestigingsnummer: str | None
    sbi_code: str | None
    sbi_section: SbiSectionRef | None
    size: EmployerSize | None
    street: str
    house_number: str
    postcode: str
    city: str
    municipality: Ref | None
    region: Ref | None
    status: EmployerStatus
    erkend_leerbedrijf: bool
    contactpersoon: ContactpersoonOut
    last_contact_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="De versie; ook de ETag.")


class EmployerOut(EmployerSummary):
    phone: str
    email: str
    website: str
    notes: str
    people: list[PersonOut]


class EmployerPage(BaseModel):
    items: list[EmployerSummary]
    next_cursor: str | None = Field(description="Geef mee als `cursor` voor de volgende pagina; null op de laatste.")


class EmployerQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")
    q: str | None = Field(None, max_length=200, description="Zoeken op naam, KvK, plaats, postcode, personen.")
    region_id: Id | None = None
    municipality_id: Id | None = None
    sbi_section: str | None = Field(None, pattern="^[A-U]$", description="SBI-sectieletter.")
    contactpersoon_id: Id | None = None
    organisation_id: Id | None = Field(None, description="Organisatie van de contactpersoon.")
    status: EmployerStatus | None = None
    erkend: bool | None = Field(None, description="Erkend leerbedrijf (SBB).")
    no_contact_days: int | None = Field(None, ge=1, le=3650, description="Geen contact in zoveel dagen.")
    sort: Sort = "naam"


class EmployerFields(Body):
    """What a client may set on an employer (all optional here: a PATCH)."""

    name: Line | None = Field(None, min_length=1, max_length=200)
    kvk_number: Line | None = Field(None, max_length=20, description="8 cijfers.")
    vestigingsnummer: Line | None = Field(None, max_length=20, description="12 cijfers.")
    sbi_code: Line | None = Field(None, max_length=10)
    size: EmployerSize | None = None
    street: Line | None = Field(None, max_length=200)
    house_number: Line | None = Field(None, max_length=20)
    postcode: Line | None = Field(None, max_length=10)
    city: Line | None = Field(None, max_length=100)
    municipality_id: Id | None = None
    phone: Line | None = Field(None, max_length=30)
    email: Line | None = Field(None, max_length=254)
    website: Line | None = Field(None, max_length=254)
    erkend_leerbedrijf: bool | None = None
    status: EmployerStatus | None = None
    notes: Text | None = Field(None, max_length=10000)


class EmployerCreate(EmployerFields):
    name: Line = Field(min_length=1, max_length=200)
    contactpersoon_id: Id | None = Field(None, description="De contactpersoon (een gebruiker); of:")
    contactpersoon_email: Line | None = Field(None, max_length=254, description="... zijn of haar e-mailadres.")
    confirm_duplicate: bool = Field(
        False, description="Toch aanmaken als er een werkgever met een gelijkende naam in dezelfde plaats is."
    )


class PersonList(BaseModel):
    items: list[PersonOut]


class PersonIn(Body):
    name: Line = Field(min_length=1, max_length=200)
    function: Line = Field("", max_length=200)
    phone: Line = Field("", max_length=30)
    email: Line = Field("", max_length=254)
    is_primary: bool = False


# --- output ------------------------------------------------------------------------------


def _ref(record: Any) -> Ref | None:
    return Ref(id=record.id, name=record.name) if record is not None else None


def summary(employer: Employer) -> dict[str, Any]:
    municipality = employer.municipality
    return {
        **{
            name: getattr(employer, name)
            for name in (
                "id",
                "name",
                "kvk_number",
                "vestigingsnummer",
                "sbi_code",
                "size",
                "street",
                "house_number",
                "postcode",
                "city",
                "status",
                "erkend_leerbedrijf",
                "last_contact_at",
                "created_at",
                "updated_at",
                "version",
            )
        },
        "sbi_section": SbiSectionRef(code=employer.sbi_section.code, name=employer.sbi_section.name)
        if employer.sbi_section
        else None,
        "municipality": _ref(municipality),
        "region": _ref(municipality.region) if municipality else None,
        "contactpersoon": ContactpersoonOut(
            id=employer.contactpersoon.id,
            name=employer.contactpersoon.name,
            email=employer.contactpersoon.email,
            organisation=Ref(
                id=employer.contactpersoon.organisation.id, name=employer.contactpersoon.organisation.name
            ),
        ),
    }


def person_out(person: EmployerPerson) -> PersonOut:
    return PersonOut.model_validate(person, from_attributes=True)


def detail(employer: Employer) -> EmployerOut:
    return EmployerOut(
        **summary(employer),
        phone=employer.phone,
        email=employer.email,
        website=employer.website,
        notes=employer.notes,
        people=[person_out(p) for p in employer.people],
    )


# --- input: the services' own checks, as field errors ----------------------------------------

CHECKS: dict[str, Callable[[Any], Any]] = {
    "name": validation.no_bidi_controls,
    "kvk_number": validation.kvk_number,
    "vestigingsnummer": validation.vestigingsnummer,
    "postcode": validation.postcode,
    "phone": validation.phone,
    "email": validation.email,
    "website": validation.website,
    "sbi_code": validation.sbi_code,
    "notes": validation.no_bsn,
}


def checked(values: dict[str, Any], checks: dict[str, Callable[[Any], Any]] = CHECKS) -> dict[str, Any]:
    """``values`` normalised by crm.services.validation (as the forms do); 422 listing every
    field that is refused."""
    errors, result = [], dict(values)
    for name, check in checks.items():
        if name not in values:
            continue
        try:
            result[name] = check(values[name])
        except validation.Invalid as error:
            errors.append({"field": name, "message": str(error), "code": "invalid"})
    municipality_id = values.get("municipality_id")
    if municipality_id is not None and db.session.get(Municipality, municipality_id) is None:
        errors.append({"field": "municipality_id", "message": _("Deze gemeente bestaat niet."), "code": "unknown"})
    if errors:
        raise ApiProblem(422, _("De invoer is niet in orde; zie de velden."), code="validation", errors=errors)
    return result


def _duplicate_problem(existing: list[Employer], detail: str) -> ApiProblem:
    return ApiProblem(
        409,
        detail,
        code="duplicate",
        existing=[{"id": e.id, "name": e.name, "kvk_number": e.kvk_number, "city": e.city} for e in existing],
    )


# --- routes ---------------------------------------------------------------------------------


@bp.get("/employers")
@operation(
    scope="employers:read",
    summary="Werkgevers zoeken en bladeren",
    tag=TAG,
    description="Dezelfde filters, zoekfunctie en sorteringen als de lijst /werkgevers. Blader met `next_cursor`.",
    responses={400: "Ongeldige cursor"},
)
@bp.input(EmployerQuery, location="query", arg_name="query")
@bp.output(EmployerPage)
def list_employers(query: EmployerQuery):
    user = actor()
    filters = EmployerFilters(
        q=query.q or "",
        region_id=query.region_id,
        municipality_id=query.municipality_id,
        sbi_section=query.sbi_section,
        contactpersoon_id=query.contactpersoon_id,
        organisation_id=query.organisation_id,
        status=query.status,
        erkend=query.erkend,
        no_contact_days=query.no_contact_days,
        sort=query.sort,
    )
    visible = permissions.visible_employers_clause(user)
    next_cursor: str | None
    if normalise(filters.q):
        # A search is ranked in Python over all its matches (crm.services.search), so its
        # cursor is the position in that ranking.
        matches, _ranked = employer_list.search_matches(filters)
        start = decode(query.cursor, [Key(None, int)])[0] if query.cursor else 0
        if start < 0:
            start = 0
        ids = matches[start : start + query.limit]
        next_cursor = encode([start + query.limit]) if start + query.limit < len(matches) else None
    else:
        keys = [Key(expr, kind, desc) for expr, kind, desc in employer_list.keyset_order(filters.sort)]
        statement = employer_list.with_municipality(select(*(k.column for k in keys)), filters).where(
            visible, *employer_list.filter_clauses(filters)
        )
        page = keyset_page(
            statement,
            keys,
            cursor=query.cursor,
            limit=query.limit,
            values_of=tuple,
            fetch=lambda s: db.session.execute(s).all(),
        )
        ids = [row[-1] for row in page.items]
        next_cursor = page.next_cursor
    rows = load_summaries(ids)
    return EmployerPage(items=[EmployerSummary(**summary(e)) for e in rows], next_cursor=next_cursor)


def load_summaries(ids: list[int]) -> list[Employer]:
    rows = employer_list.load_rows(ids)
    # the region of each municipality: one more query for the page
    municipality_ids = {e.municipality_id for e in rows if e.municipality_id}
    if municipality_ids:
        db.session.scalars(
            select(Municipality).where(Municipality.id.in_(municipality_ids)).options(joinedload(Municipality.region))
        ).all()
    return rows


def _load(id: int) -> Employer:
    employer = load_employer_or_404(id, actor())
    return employer


@bp.get("/employers/<int:id>")
@operation(scope="employers:read", summary="Eén werkgever", tag=TAG)
@bp.output(EmployerOut)
def get_employer(id: int):
    employer = _load(id)
    return detail(employer), 200, {"ETag": etag(employer)}


def _contactpersoon(body: EmployerCreate) -> User:
    user = None
    if body.contactpersoon_id is not None:
        user = db.session.get(User, body.contactpersoon_id)
    elif body.contactpersoon_email:
        user = db.session.scalar(select(User).where(User.email == body.contactpersoon_email.lower()))
    if user is None or not permissions.can_be_contactpersoon(user):
        raise ApiProblem(
            422,
            _("De invoer is niet in orde; zie de velden."),
            code="validation",
            errors=[
                {
                    "field": "contactpersoon_id" if body.contactpersoon_email is None else "contactpersoon_email",
                    "message": _("Kies een actieve accountmanager of coördinator als contactpersoon."),
                    "code": "invalid",
                }
            ],
        )
    return user


@bp.post("/employers")
@operation(
    scope="employers:write",
    summary="Werkgever aanmaken",
    tag=TAG,
    description=(
        "Met een KvK-nummer dat al bestaat, of een gelijkende naam in dezelfde plaats, volgt 409 met de bestaande "
        "werkgever(s) in `existing`. Een gelijkende naam kan met `confirm_duplicate: true` toch worden aangemaakt."
    ),
    responses={409: "Bestaat al (zie `existing`)"},
)
@bp.input(EmployerCreate, arg_name="body")
@bp.output(EmployerOut, status_code=201)
def create_employer(body: EmployerCreate):
    user = actor()
    permissions.require(permissions.can_create_employer(user))
    fields = body.model_dump(exclude={"contactpersoon_id", "contactpersoon_email", "confirm_duplicate"})
    values = checked({k: v for k, v in fields.items() if v is not None})
    contactpersoon = _contactpersoon(body)
    data = employers.EmployerData(
        **{k: v for k, v in values.items() if k in employers.EmployerData.__dataclass_fields__}
    )
    if data.kvk_number and (same := employers.by_kvk(data.kvk_number)) is not None:
        raise _duplicate_problem([same], str(employers.DuplicateKvk(same)))
    if not body.confirm_duplicate:
        similar = employers.find_duplicates(
            name=data.name, municipality_id=data.municipality_id, kvk_number=None, city=data.city
        )
        if similar:
            raise _duplicate_problem(
                similar,
                _("Er is al een werkgever met een gelijkende naam in dezelfde plaats: %(name)s.", name=similar[0].name),
            )
    try:
        employer = employers.create_employer(user, data, contactpersoon)
    except employers.DuplicateKvk as error:
        raise _duplicate_problem([error.existing], str(error)) from None
    db.session.commit()
    employer = _load(employer.id)
    return detail(employer), 201, {"ETag": etag(employer), "Location": f"/api/v1/employers/{employer.id}"}


@bp.patch("/employers/<int:id>")
@operation(
    scope="employers:write",
    summary="Werkgever wijzigen",
    tag=TAG,
    description="Alleen de meegestuurde velden veranderen. Stuur `If-Match` met de ETag die u las.",
    responses={
        409: "Geweigerd (bijvoorbeeld een KvK-nummer dat al bestaat)",
        412: "Intussen gewijzigd",
        428: "If-Match ontbreekt",
    },
)
@bp.input(EmployerFields, arg_name="body")
@bp.output(EmployerOut)
def update_employer(id: int, body: EmployerFields):
    user = actor()
    employer = _load(id)
    permissions.require(permissions.can_edit_employer(user, employer))
    version = required_version(employer, ("update", "handover", "merge"))
    sent = body.model_dump(exclude_unset=True)
    required = {"name", "status", "erkend_leerbedrijf"}
    nulls = [name for name in required if name in sent and sent[name] is None]
    if nulls:
        raise ApiProblem(
            422,
            _("De invoer is niet in orde; zie de velden."),
            code="validation",
            errors=[{"field": n, "message": _("Dit veld kan niet leeg zijn."), "code": "null"} for n in nulls],
        )
    for name in ("street", "house_number", "city", "notes"):
        if name in sent and sent[name] is None:
            sent[name] = ""
    values = checked(sent)
    data = employers.EmployerData.from_employer(employer)
    merged = {**asdict(data), **values}
    try:
        employers.update_employer(user, employer, employers.EmployerData(**merged), version=version)
    except employers.DuplicateKvk as error:
        raise _duplicate_problem([error.existing], str(error)) from None
    db.session.commit()
    employer = _load(id)
    return detail(employer), 200, {"ETag": etag(employer)}


# --- people at an employer -------------------------------------------------------------------


@bp.get("/employers/<int:id>/people")
@operation(scope="employers:read", summary="Mensen bij een werkgever", tag=TAG)
@bp.output(PersonList)
def list_people(id: int):
    employer = _load(id)
    people = db.session.scalars(
        select(EmployerPerson)
        .where(EmployerPerson.employer_id == employer.id, permissions.visible_employer_people_clause(actor()))
        .order_by(EmployerPerson.is_primary.desc(), EmployerPerson.name, EmployerPerson.id)
    ).all()
    return PersonList(items=[person_out(p) for p in people])


@bp.post("/employers/<int:id>/people")
@operation(scope="employers:write", summary="Persoon toevoegen", tag=TAG, responses={409: "Geweigerd"})
@bp.input(PersonIn, arg_name="body")
@bp.output(PersonOut, status_code=201)
def add_person(id: int, body: PersonIn):
    employer = _load(id)
    values = checked(
        body.model_dump(), {"name": validation.no_bidi_controls, "phone": validation.phone, "email": validation.email}
    )
    person = employers.add_person(actor(), employer, employers.PersonData(**values))
    db.session.commit()
    return person_out(person), 201
