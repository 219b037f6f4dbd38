"""Trajectories and participants over HTTP: read only, behind ``trajectories:read``.

The scope is off by default (crm.models.api_clients.DEFAULT_SCOPES): casework leaves the CRM
only when an organisation's admin chose so for one client. Who sees what is exactly the pages'
need-to-know (crm.permissions: organisations involved in the trajectory, the referring or
registering organisation for a participant, coordinators of the partnership); a hidden record
is 404 like a missing one. Reading a participant is logged as on the participant's page
(crm.services.participants.record_view), with the client as the reader.

A participant is given with the least a partner system needs to link a trajectory: name, year
of birth, doelgroep, startkwalificatie, referring organisation. Contact details and the date of
birth stay on the page, where a person reads them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from flask import request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm import permissions
from crm.api.auth import actor, operation
from crm.api.blueprint import bp
from crm.api.etags import etag
from crm.api.paging import Key, keyset_page
from crm.api.schemas import PageQuery
from crm.api.vacancies import in_range
from crm.extensions import db
from crm.loading import load_participant_or_404, load_trajectory_or_404
from crm.models import Participant, Trajectory
from crm.services import participants

TAG = "Trajecten (alleen lezen)"
SCOPE = "trajectories:read"


class InvolvementOut(BaseModel):
    organisation_id: int
    role: str


class TrajectoryOut(BaseModel):
    id: int
    kind: Literal["duaal", "evc"]
    status: str
    participant_id: int
    employer_id: int | None
    vacancy_id: int | None
    partnership_id: int
    period_id: int | None
    qualification_name: str
    crebo: str | None
    planned_start: date | None
    planned_end: date | None
    actual_start: date | None
    actual_end: date | None
    outcome: str | None
    dropout_reason: str | None
    organisations: list[InvolvementOut]
    version: int
    updated_at: datetime


class TrajectoryPage(BaseModel):
    items: list[TrajectoryOut]
    next_cursor: str | None = Field(description="Geef mee als `cursor` voor de volgende pagina; null op de laatste.")


class TrajectoryQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")
    employer_id: int | None = Field(None, ge=1, le=2**31 - 1, description="Alleen trajecten bij deze werkgever.")
    participant_id: int | None = Field(None, ge=1, le=2**31 - 1, description="Alleen trajecten van deze deelnemer.")


class ParticipantOut(BaseModel):
    id: int
    first_name: str
    last_name: str
    birth_year: int | None
    doelgroep: str
    has_startkwalificatie: bool
    referring_organisation_id: int | None
    anonymised: bool = Field(description="Geanonimiseerd (verwijderverzoek of bewaartermijn voorbij).")
    version: int


def _trajectory(trajectory: Trajectory) -> TrajectoryOut:
    return TrajectoryOut(
        id=trajectory.id,
        kind=trajectory.kind,  # type: ignore[arg-type]
        status=trajectory.status,
        participant_id=trajectory.participant_id,
        employer_id=trajectory.employer_id,
        vacancy_id=trajectory.vacancy_id,
        partnership_id=trajectory.partnership_id,
        period_id=trajectory.period_id,
        qualification_name=trajectory.qualification_name,
        crebo=trajectory.crebo,
        planned_start=trajectory.planned_start,
        planned_end=trajectory.planned_end,
        actual_start=trajectory.actual_start,
        actual_end=trajectory.actual_end,
        outcome=trajectory.outcome,
        dropout_reason=trajectory.dropout_reason,
        organisations=[
            InvolvementOut(organisation_id=i.organisation_id, role=i.role)
            for i in sorted(trajectory.involvements, key=lambda i: (i.organisation_id, i.role))
        ],
        version=trajectory.version,
        updated_at=trajectory.updated_at,
    )


@bp.get("/trajectories")
@operation(scope=SCOPE, summary="Trajecten", tag=TAG, responses={400: "Ongeldige cursor"})
@bp.input(TrajectoryQuery, location="query", arg_name="query")
@bp.output(TrajectoryPage)
def list_trajectories(query: TrajectoryQuery):
    statement = (
        select(Trajectory)
        .where(permissions.visible_trajectories_clause(actor()))
        .options(selectinload(Trajectory.involvements))
    )
    if query.employer_id is not None:
        statement = statement.where(Trajectory.employer_id == query.employer_id)
    if query.participant_id is not None:
        statement = statement.where(Trajectory.participant_id == query.participant_id)
    page = keyset_page(
        statement,
        [Key(Trajectory.id, int)],
        cursor=query.cursor,
        limit=query.limit,
    )
    return TrajectoryPage(items=[_trajectory(t) for t in page.items], next_cursor=page.next_cursor)


@bp.get("/trajectories/<int:id>")
@operation(scope=SCOPE, summary="Een traject", tag=TAG, responses={404: "Niet gevonden"})
@bp.output(TrajectoryOut)
def get_trajectory(id: int):
    trajectory = load_trajectory_or_404(in_range(id), actor())
    return _trajectory(trajectory), 200, {"ETag": etag(trajectory)}


@bp.get("/participants/<int:id>")
@operation(scope=SCOPE, summary="Een deelnemer", tag=TAG, responses={404: "Niet gevonden"})
@bp.output(ParticipantOut)
def get_participant(id: int):
    participant: Participant = load_participant_or_404(in_range(id), actor())
    participants.record_view(actor(), participant, ip_address=request.remote_addr or "")
    db.session.commit()
    out = ParticipantOut(
        id=participant.id,
        first_name=participant.first_name,
        last_name=participant.last_name,
        birth_year=participant.birth_year,
        doelgroep=participant.doelgroep,
        has_startkwalificatie=participant.has_startkwalificatie,
        referring_organisation_id=participant.referring_organisation_id,
        anonymised=participant.anonymised_at is not None,
        version=participant.version,
    )
    return out, 200, {"ETag": etag(participant)}
