"""Models every resource shares: the problem document (RFC 9457) and paging."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FieldError(BaseModel):
    field: str = Field(description="Het veld (met punten voor geneste velden), of `_body` voor het geheel.")
    message: str
    code: str = Field(description="Een vaste code voor programma's, bijvoorbeeld `missing` of `too_long`.")


class Problem(BaseModel):
    """An error as application/problem+json (RFC 9457); the texts follow Accept-Language."""

    model_config = ConfigDict(extra="allow")
    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    code: str | None = None
    errors: list[FieldError] | None = None


class PageQuery(BaseModel):
    """Keyset paging: ``cursor`` is ``next_cursor`` of the previous page, opaque to the client."""

    model_config = ConfigDict(extra="forbid")
    limit: int = Field(50, ge=1, le=200, description="Aantal per pagina (1-200).")
    cursor: str | None = Field(None, max_length=500, description="`next_cursor` van de vorige pagina.")
