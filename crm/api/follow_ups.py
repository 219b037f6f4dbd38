"""Follow-ups (opvolgacties): mine, plan one at an employer, complete, reschedule.

"Mine" are those owned by the client's principal (plan one with ``owner_id`` left out at an
employer and it goes to the employer's contactpersoon, as on the pages). Completing and
rescheduling follow crm.permissions.can_change_follow_up: the owner, the employer's
contactpersoon and steering.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from crm import permissions
from crm.api.auth import actor, operation
from crm.api.blueprint import bp
from crm.api.contacts import ContactIn, ContactOut, NewFollowUp, contact_out
from crm.api.employers import checked
from crm.api.paging import Key, keyset_page
from crm.api.schemas import Body, Day, Id, PageQuery
from crm.extensions import db
from crm.loading import load_employer_or_404, load_follow_up_or_404
from crm.models import FollowUp
from crm.services import contacts, validation

TAG = "Opvolgacties"
Status = Literal["open", "afgerond", "geannuleerd"]


class FollowUpOut(BaseModel):
    id: int
    subject: str
    due_date: date
    status: Status
    done_at: datetime | None
    owner_id: int
    employer_id: int | None
    vacancy_id: int | None
    contact_id: int | None


class FollowUpPage(BaseModel):
    items: list[FollowUpOut]
    next_cursor: str | None


class FollowUpQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")
    status: Status = "open"


class FollowUpIn(NewFollowUp):
    employer_id: Id


class CompleteIn(Body):
    contact: ContactIn | None = Field(None, description="Het contact waarmee het gedaan is (zonder `follow_up`).")
    next_follow_up: NewFollowUp | None = Field(None, description="De volgende opvolgactie.")


class CompleteOut(BaseModel):
    follow_up: FollowUpOut
    contact: ContactOut | None


class RescheduleIn(Body):
    due_date: Day


def follow_up_out(follow_up: FollowUp) -> FollowUpOut:
    return FollowUpOut.model_validate(follow_up, from_attributes=True)


def _subject(value: str) -> str:
    return checked({"subject": value}, {"subject": validation.no_bsn})["subject"]


@bp.get("/follow-ups")
@operation(scope="followups:write", summary="Mijn opvolgacties", tag=TAG, responses={400: "Ongeldige cursor"})
@bp.input(FollowUpQuery, location="query", arg_name="query")
@bp.output(FollowUpPage)
def my_follow_ups(query: FollowUpQuery):
    user = actor()
    statement = select(FollowUp).where(
        FollowUp.owner_id == user.id, FollowUp.status == query.status, permissions.visible_follow_ups_clause(user)
    )
    page = keyset_page(
        statement,
        [Key(FollowUp.due_date, date), Key(FollowUp.id, int)],
        cursor=query.cursor,
        limit=query.limit,
    )
    return FollowUpPage(items=[follow_up_out(f) for f in page.items], next_cursor=page.next_cursor)


@bp.post("/follow-ups")
@operation(
    scope="followups:write",
    summary="Opvolgactie plannen",
    tag=TAG,
    responses={404: "Werkgever niet gevonden", 409: "Geweigerd"},
)
@bp.input(FollowUpIn, arg_name="body")
@bp.output(FollowUpOut, status_code=201)
def plan_follow_up(body: FollowUpIn):
    user = actor()
    employer = load_employer_or_404(body.employer_id, user)
    permissions.require(permissions.can_log_contact(user, employer))
    follow_up = contacts.create_follow_up(
        user,
        contacts.FollowUpData(due_date=body.due_date, subject=_subject(body.subject), owner_id=body.owner_id),
        employer=employer,
    )
    db.session.commit()
    return follow_up_out(follow_up), 201


@bp.post("/follow-ups/<int:id>/complete")
@operation(
    scope="followups:write",
    summary="Opvolgactie afronden",
    tag=TAG,
    description="Eventueel met het contactmoment waarmee het gedaan is en de volgende opvolgactie, in één stap.",
    responses={409: "Al afgerond, of geweigerd"},
)
@bp.input(CompleteIn, arg_name="body")
@bp.output(CompleteOut)
def complete(id: int, body: CompleteIn):
    user = actor()
    follow_up = load_follow_up_or_404(id, user)
    contact_data = None
    if body.contact is not None:
        values = checked(
            {"summary": body.contact.summary, "outcome": body.contact.outcome},
            {"summary": validation.no_bsn, "outcome": validation.no_bsn},
        )
        contact_data = contacts.ContactData(
            channel=body.contact.channel,
            summary=values["summary"],
            outcome=values["outcome"],
            occurred_at=body.contact.occurred_at,
            employer_contact_id=body.contact.employer_contact_id,
            vacancy_id=body.contact.vacancy_id,
            visibility=body.contact.visibility,
        )
    next_data = None
    if body.next_follow_up is not None:
        next_data = contacts.FollowUpData(
            due_date=body.next_follow_up.due_date,
            subject=_subject(body.next_follow_up.subject),
            owner_id=body.next_follow_up.owner_id,
        )
    logged = contacts.complete_follow_up(user, follow_up, contact_data, next_data)
    db.session.commit()
    return CompleteOut(follow_up=follow_up_out(follow_up), contact=contact_out(logged) if logged else None)


@bp.post("/follow-ups/<int:id>/reschedule")
@operation(scope="followups:write", summary="Opvolgactie verzetten", tag=TAG, responses={409: "Al afgerond"})
@bp.input(RescheduleIn, arg_name="body")
@bp.output(FollowUpOut)
def reschedule(id: int, body: RescheduleIn):
    user = actor()
    follow_up = load_follow_up_or_404(id, user)
    contacts.reschedule_follow_up(user, follow_up, body.due_date)
    db.session.commit()
    return follow_up_out(follow_up)
