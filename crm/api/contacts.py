"""Contacts (contactmomenten): log one at an employer, intern or gedeeld; read an employer's
timeline as the caller may see it (crm.services.timeline: intern notes of other organisations
and need-to-know casework are left out by the same SQL as on the page)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field

from crm.api.auth import actor, client, operation
from crm.api.blueprint import bp
from crm.api.employers import checked
from crm.api.problems import ApiProblem
from crm.api.schemas import Body, Day, Id, Line, Moment, Ref, Text
from crm.extensions import db
from crm.loading import load_employer_or_404
from crm.models import Contact
from crm.models.contacts import CHANNELS, VISIBILITIES
from crm.services import contacts, timeline, validation

TAG = "Contactmomenten"
Channel = Literal["telefoon", "bezoek", "email", "leerwerkloket", "mobiel_leerwerkloket", "bijeenkomst", "overig"]
Visibility = Literal["gedeeld", "intern"]
assert set(CHANNELS) == set(Channel.__args__)  # type: ignore[attr-defined]
assert set(VISIBILITIES) == set(Visibility.__args__)  # type: ignore[attr-defined]


class ContactOut(BaseModel):
    id: int
    employer_id: int
    occurred_at: datetime
    channel: Channel
    summary: str
    outcome: str
    visibility: Visibility
    author: Ref
    organisation: Ref
    employer_contact_id: int | None
    vacancy_id: int | None


class NewFollowUp(Body):
    due_date: Day
    subject: Line = Field(min_length=1, max_length=300)
    owner_id: Id | None = Field(None, description="Standaard: de contactpersoon van de werkgever.")


class ContactIn(Body):
    channel: Channel
    summary: Text = Field(min_length=1, max_length=5000)
    outcome: Text = Field("", max_length=5000)
    occurred_at: Moment | None = Field(None, description="Standaard: nu. Niet in de toekomst.")
    visibility: Visibility = Field("gedeeld", description="`intern`: alleen uw eigen organisatie ziet de notitie.")
    employer_contact_id: Id | None = Field(None, description="De persoon bij de werkgever met wie is gesproken.")
    vacancy_id: Id | None = None
    follow_up: NewFollowUp | None = Field(None, description="Meteen een opvolgactie plannen.")


def contact_out(contact: Contact) -> ContactOut:
    return ContactOut(
        id=contact.id,
        employer_id=contact.employer_id,
        occurred_at=contact.occurred_at,
        channel=contact.channel,  # type: ignore[arg-type]
        summary=contact.summary,
        outcome=contact.outcome,
        visibility=contact.visibility,  # type: ignore[arg-type]
        author=Ref(id=contact.author.id, name=contact.author.name),
        organisation=Ref(id=contact.organisation.id, name=contact.organisation.name),
        employer_contact_id=contact.employer_contact_id,
        vacancy_id=contact.vacancy_id,
    )


@bp.post("/employers/<int:id>/contacts")
@operation(
    scope="contacts:write",
    summary="Contactmoment vastleggen",
    tag=TAG,
    description="De contactpersoon van de werkgever krijgt er een melding van, zoals bij de pagina's.",
    responses={409: "Geweigerd (bijvoorbeeld een moment in de toekomst)"},
)
@bp.input(ContactIn, arg_name="body")
@bp.output(ContactOut, status_code=201)
def log_contact(id: int, body: ContactIn):
    employer = load_employer_or_404(id, actor())
    values = checked(
        {"summary": body.summary, "outcome": body.outcome}, {"summary": validation.no_bsn, "outcome": validation.no_bsn}
    )
    follow_up = None
    if body.follow_up is not None:
        checked({"subject": body.follow_up.subject}, {"subject": validation.no_bsn})
        follow_up = contacts.FollowUpData(
            due_date=body.follow_up.due_date, subject=body.follow_up.subject, owner_id=body.follow_up.owner_id
        )
    contact = contacts.log_contact(
        actor(),
        employer,
        contacts.ContactData(
            channel=body.channel,
            summary=values["summary"],
            outcome=values["outcome"],
            occurred_at=body.occurred_at,
            employer_contact_id=body.employer_contact_id,
            vacancy_id=body.vacancy_id,
            visibility=body.visibility,
        ),
        follow_up,
    )
    db.session.commit()
    return contact_out(contact), 201


# --- the timeline --------------------------------------------------------------------------

Kind = Literal["contact", "follow_up", "vacancy", "trajectory"]


class TimelineQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    page: int = Field(1, ge=1, le=100000)
    per_page: int = Field(20, ge=1, le=100)
    kind: Kind | None = Field(None, description="Alleen deze soort; `trajectory` vraagt het recht trajectories:read.")


class TimelineItemOut(BaseModel):
    kind: Kind
    id: int
    at: datetime
    contact: ContactOut | None = None
    summary: str | None = Field(None, description="Voor opvolgacties en vacatures: onderwerp of titel.")
    status: str | None = None


class TimelineOut(BaseModel):
    items: list[TimelineItemOut]
    page: int
    pages: int
    total: int


@bp.get("/employers/<int:id>/timeline")
@operation(
    scope="employers:read",
    summary="Tijdlijn van een werkgever",
    tag=TAG,
    description=(
        "Contactmomenten, opvolgacties, vacatures en (met trajectories:read) trajecten, nieuwste eerst, zoals u ze "
        "op de pagina van de werkgever ziet: interne notities van andere organisaties ziet u niet."
    ),
)
@bp.input(TimelineQuery, location="query", arg_name="query")
@bp.output(TimelineOut)
def employer_timeline(id: int, query: TimelineQuery):
    user = actor()
    employer = load_employer_or_404(id, user)
    trajectories = client().has_scope("trajectories:read")
    if query.kind == "trajectory" and not trajectories:
        raise ApiProblem(
            403, _("Deze koppeling heeft het recht %(scope)s niet.", scope="trajectories:read"), code="missing_scope"
        )
    page = timeline.employer_timeline(user, employer.id, query.page, query.per_page, kind=query.kind)
    items = []
    for item in page.items:
        if item.kind == "trajectory" and not trajectories:
            continue  # casework: only with trajectories:read (and then as need-to-know as ever)
        record = item.record
        out = TimelineItemOut(kind=item.kind, id=item.id, at=item.at, summary=None)  # type: ignore[arg-type]
        if item.kind == "contact":
            out.contact = contact_out(record)
        elif item.kind == "follow_up":
            out.summary, out.status = record.subject, record.status
        elif item.kind == "vacancy":
            out.summary, out.status = record.title, record.status
        else:
            out.status = record.status
        items.append(out)
    return TimelineOut(items=items, page=page.page, pages=page.pages, total=page.total)
