"""Vacancies over HTTP: list, read, create, update (If-Match), status moves, and the JobPosting.

Every rule is the service's (crm.services.vacancies: the intake checks, the status workflow with
its reasons, who may change a vacancy) or the rule book's (crm.permissions: vacancies are shared
with every user). Reading is under ``employers:read`` (a vacancy is the employer's demand);
changing under ``vacancies:write``. A status move is a change of the record like an edit, so it
needs If-Match as well.

``/vacancies/<id>/jobposting`` is the vacancy as schema.org JobPosting JSON-LD
(crm.services.job_posting), only when the employer agreed to publish and it is still open:
otherwise 404, as for a page that does not exist.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Literal

from flask import Response
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm import permissions
from crm.api.auth import actor, operation
from crm.api.blueprint import bp
from crm.api.etags import etag, required_version
from crm.api.paging import Key, keyset_page
from crm.api.problems import ApiProblem
from crm.api.schemas import Body, Day, Id, Line, PageQuery, Text
from crm.extensions import db
from crm.loading import load_employer_or_404, load_vacancy_or_404
from crm.models import Municipality, Vacancy
from crm.services import job_posting, vacancies
from crm.services.vacancies import VacancyData

TAG = "Vacatures"
MAX_ID = 2**31 - 1
Status = Literal["nieuw", "intake_gedaan", "kandidaten_voorgesteld", "vervuld", "ingetrokken", "verlopen"]
Level = Literal["mbo1", "mbo2", "mbo3", "mbo4", "hbo", "geen"]
Path = Literal["bbl", "bol", "geen"]
WRITE_ERRORS: dict[int | str, Any] = {
    400: "Geen geldige JSON",
    404: "Werkgever of vacature niet gevonden",
    409: "Geweigerd door een regel (de melding zegt welke)",
}
LOCKED_ERRORS: dict[int | str, Any] = {
    **WRITE_ERRORS,
    412: "Intussen gewijzigd (If-Match verouderd)",
    428: "If-Match ontbreekt",
}


def _unknown(field: str, message: str) -> ApiProblem:
    return ApiProblem(422, message, code="validation", errors=[{"field": field, "message": message, "code": "unknown"}])


class VacancyIn(Body):
    """The intake, as on the vacancy form."""

    title: Line = Field(min_length=1, max_length=200)
    positions: int = Field(1, ge=1, le=vacancies.MAX_POSITIONS)
    hours_per_week: int | None = Field(None, ge=1, le=vacancies.MAX_HOURS)
    education_level: Level | None = None
    qualification_name: Line = Field("", max_length=200)
    crebo: str | None = Field(None, pattern=r"^\d{5}$", description="Crebocode: 5 cijfers.")
    learning_path: Path | None = None
    start_date: Day | None = None
    closing_date: Day | None = None
    municipality_id: Id | None = None
    requirements: Text = Field("", max_length=5000)
    erkend_for_qualification: bool | None = None
    publish_agreed: bool = Field(False, description="De werkgever gaat akkoord met publicatie (JobPosting).")
    organisation_ids: list[Id] = Field(
        default_factory=list, max_length=50, description="Betrokken partnerorganisaties."
    )

    def data(self) -> VacancyData:
        if self.municipality_id is not None and db.session.get(Municipality, self.municipality_id) is None:
            raise _unknown("municipality_id", _("Deze gemeente bestaat niet."))
        return VacancyData(**self.model_dump(exclude={"employer_id"}))


class VacancyCreate(VacancyIn):
    employer_id: Id


class VacancyOut(BaseModel):
    id: int
    employer_id: int
    status: Status
    title: str
    positions: int
    hours_per_week: int | None
    education_level: Level | None
    qualification_name: str
    crebo: str | None
    learning_path: Path | None
    start_date: date | None
    closing_date: date | None
    municipality_id: int | None
    requirements: str
    erkend_for_qualification: bool | None
    publish_agreed: bool
    published: bool = Field(description="Op te halen als JobPosting (akkoord, open en met een plaats).")
    organisation_ids: list[int]
    allowed_next: list[Status] = Field(description="De statussen waarnaar de vacature nu kan.")
    version: int = Field(description="Ook de ETag.")
    created_at: datetime
    updated_at: datetime


class VacancyPage(BaseModel):
    items: list[VacancyOut]
    next_cursor: str | None = Field(description="Geef mee als `cursor` voor de volgende pagina; null op de laatste.")


class VacancyQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")
    employer_id: int | None = Field(None, ge=1, le=2**31 - 1, description="Alleen vacatures van deze werkgever.")
    status: Status | None = None


class StatusIn(Body):
    to: Status = Field(description="De nieuwe status (volgens de workflow: zie `allowed_next`).")
    reason: Text = Field(
        "",
        max_length=2000,
        description="Verplicht bij afsluiten (vervuld, ingetrokken, verlopen), terugzetten en heropenen.",
    )


class JobPostingOut(BaseModel):
    """schema.org JobPosting (JSON-LD); see the vacancy service for the properties."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    context: str = Field(alias="@context")
    type: Literal["JobPosting"] = Field(alias="@type")
    title: str
    description: str = Field(description="HTML.")
    datePosted: str  # noqa: N815  (schema.org's name)
    hiringOrganization: dict[str, Any]  # noqa: N815
    jobLocation: dict[str, Any]  # noqa: N815


def in_range(id: int) -> int:
    """A path id the database can hold, or 404 (a larger one would overflow the driver: a 500)."""
    if not 1 <= id <= MAX_ID:
        raise ApiProblem(404, _("Niet gevonden"), code="not_found")
    return id


def _load(id: int) -> Vacancy:
    return load_vacancy_or_404(in_range(id), actor(), selectinload(Vacancy.organisations))


def _out(vacancy: Vacancy) -> VacancyOut:
    return VacancyOut(
        id=vacancy.id,
        employer_id=vacancy.employer_id,
        status=vacancy.status,  # type: ignore[arg-type]
        title=vacancy.title,
        positions=vacancy.positions,
        hours_per_week=vacancy.hours_per_week,
        education_level=vacancy.education_level,  # type: ignore[arg-type]
        qualification_name=vacancy.qualification_name,
        crebo=vacancy.crebo,
        learning_path=vacancy.learning_path,  # type: ignore[arg-type]
        start_date=vacancy.start_date,
        closing_date=vacancy.closing_date,
        municipality_id=vacancy.municipality_id,
        requirements=vacancy.requirements,
        erkend_for_qualification=vacancy.erkend_for_qualification,
        publish_agreed=vacancy.publish_agreed,
        published=job_posting.is_published(vacancy),
        organisation_ids=sorted(o.id for o in vacancy.organisations),
        allowed_next=list(vacancies.allowed_next(vacancy.status)),  # type: ignore[arg-type]
        version=vacancy.version,
        created_at=vacancy.created_at,
        updated_at=vacancy.updated_at,
    )


@bp.get("/vacancies")
@operation(scope="employers:read", summary="Vacatures", tag=TAG, responses={400: "Ongeldige cursor"})
@bp.input(VacancyQuery, location="query", arg_name="query")
@bp.output(VacancyPage)
def list_vacancies(query: VacancyQuery):
    statement = (
        select(Vacancy)
        .where(permissions.visible_vacancies_clause(actor()))
        .options(
            selectinload(Vacancy.organisations), selectinload(Vacancy.municipality), selectinload(Vacancy.employer)
        )
    )
    if query.employer_id is not None:
        statement = statement.where(Vacancy.employer_id == query.employer_id)
    if query.status is not None:
        statement = statement.where(Vacancy.status == query.status)
    page = keyset_page(
        statement,
        [Key(Vacancy.id, int)],
        cursor=query.cursor,
        limit=query.limit,
    )
    return VacancyPage(items=[_out(v) for v in page.items], next_cursor=page.next_cursor)


@bp.get("/vacancies/<int:id>")
@operation(scope="employers:read", summary="Een vacature", tag=TAG, responses={404: "Niet gevonden"})
@bp.output(VacancyOut)
def get_vacancy(id: int):
    vacancy = _load(id)
    return _out(vacancy), 200, {"ETag": etag(vacancy)}


@bp.post("/vacancies")
@operation(scope="vacancies:write", summary="Een vacature vastleggen", tag=TAG, responses=WRITE_ERRORS)
@bp.input(VacancyCreate, arg_name="body")
@bp.output(VacancyOut, status_code=201)
def create_vacancy(body: VacancyCreate):
    employer = load_employer_or_404(body.employer_id, actor())
    vacancy = vacancies.create_vacancy(actor(), employer, body.data())
    db.session.commit()
    return _out(vacancy), 201, {"ETag": etag(vacancy), "Location": f"/api/v1/vacancies/{vacancy.id}"}


@bp.put("/vacancies/<int:id>")
@operation(
    scope="vacancies:write",
    summary="Een vacature bijwerken",
    tag=TAG,
    description="Het hele intakeformulier; stuur If-Match met de ETag die u las.",
    responses=LOCKED_ERRORS,
)
@bp.input(VacancyIn, arg_name="body")
@bp.output(VacancyOut)
def update_vacancy(id: int, body: VacancyIn):
    vacancy = _load(id)
    version = required_version(vacancy, ("update", "status"))
    vacancies.update_vacancy(actor(), vacancy, body.data(), version=version)
    db.session.commit()
    return _out(vacancy), 200, {"ETag": etag(vacancy)}


@bp.post("/vacancies/<int:id>/status")
@operation(
    scope="vacancies:write",
    summary="De status van een vacature wijzigen",
    tag=TAG,
    description="Volgens de workflow van de vacatures, met een reden waar die nodig is; stuur If-Match.",
    responses=LOCKED_ERRORS,
)
@bp.input(StatusIn, arg_name="body")
@bp.output(VacancyOut)
def change_vacancy_status(id: int, body: StatusIn):
    vacancy = _load(id)
    required_version(vacancy, ("update", "status"))
    vacancies.change_status(actor(), vacancy, body.to, body.reason)
    db.session.commit()
    return _out(vacancy), 200, {"ETag": etag(vacancy)}


@bp.get("/vacancies/<int:id>/jobposting")
@operation(
    scope="employers:read",
    summary="Een vacature als schema.org JobPosting",
    tag=TAG,
    description=(
        "JSON-LD (`application/ld+json`) voor vacaturesites en zoekmachines: alleen als de werkgever akkoord "
        "gaf met publicatie en de vacature openstaat; anders 404."
    ),
    responses={404: "Niet gevonden of niet gepubliceerd"},
)
@bp.output(JobPostingOut, content_type="application/ld+json")
def vacancy_job_posting(id: int):
    vacancy = _load(id)
    try:
        posting = job_posting.job_posting(actor(), vacancy)
    except job_posting.NotPublished as error:
        raise ApiProblem(404, str(error), code="not_published") from error
    return Response(json.dumps(posting, ensure_ascii=False), mimetype="application/ld+json")
