"""The change feed over HTTP: ``GET /api/v1/changes?since=<cursor>``.

A thin door to crm.services.change_feed, which holds the order, the cursor and who sees what.
Here only what the client's scopes add: participants and trajectories are in the feed only
for a client with ``trajectories:read`` (off by default), as they are behind that scope
everywhere else in the API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crm.api.auth import actor, client, operation
from crm.api.blueprint import bp
from crm.api.problems import ApiProblem
from crm.services import change_feed
from crm.services.errors import ServiceError

TAG = "Wijzigingen"
Kind = Literal["employer", "person", "contact", "follow_up", "vacancy", "participant", "trajectory"]


class ChangesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: str | None = Field(
        None,
        pattern=r"^(|now|\d{1,18}-\d{1,18})$",
        description="`next_cursor` van het vorige antwoord; leeg voor het begin, `now` voor alleen wat hierna komt.",
    )
    limit: int = Field(
        change_feed.DEFAULT_LIMIT, ge=1, le=change_feed.MAX_LIMIT, description="Hoogstens zoveel wijzigingen."
    )


class ChangeOut(BaseModel):
    kind: Kind = Field(description="Soort record.")
    id: int
    action: Literal["created", "updated", "deleted"] = Field(
        description="`deleted`: het record is weg (verwijderd, samengevoegd of geanonimiseerd); alleen het id."
    )
    at: datetime = Field(description="Wanneer (UTC).")
    cursor: str = Field(description="De plaats van deze wijziging in de feed.")


class ChangePage(BaseModel):
    items: list[ChangeOut]
    next_cursor: str = Field(description="Geef mee als `since` voor de volgende pagina (ook als er niets nieuws was).")
    has_more: bool = Field(description="Er wachten al meer wijzigingen: lees meteen verder.")


@bp.get("/changes")
@operation(
    scope="employers:read",
    summary="Wat er veranderd is sinds een cursor",
    tag=TAG,
    description=(
        "Wijzigingen in volgorde, alleen van records die deze koppeling mag zien: werkgevers, hun mensen, "
        "contactmomenten, opvolgacties en vacatures; met `trajectories:read` ook deelnemers en trajecten. "
        "Haal het record daarna zelf op. Een pagina kan minder dan `limit` wijzigingen hebben terwijl er meer "
        "volgen (`has_more`)."
    ),
    responses={400: "Ongeldige cursor"},
)
@bp.input(ChangesQuery, location="query", arg_name="query")
@bp.output(ChangePage)
def changes(query: ChangesQuery):
    kinds = [kind for kind in change_feed.KIND_TYPES if kind not in change_feed.CASEWORK_KINDS]
    if client().has_scope("trajectories:read"):
        kinds += list(change_feed.CASEWORK_KINDS)
    since = change_feed.head_cursor() if query.since == "now" else (query.since or None)
    try:
        page = change_feed.changes(actor(), since=since, limit=query.limit, kinds=kinds)
    except ServiceError as error:
        raise ApiProblem(400, str(error), code="bad_cursor") from error
    return ChangePage(
        items=[
            ChangeOut(kind=c.kind, id=c.id, action=c.action, at=c.at, cursor=c.cursor)  # type: ignore[arg-type]
            for c in page.changes
        ],
        next_cursor=page.cursor,
        has_more=page.has_more,
    )
