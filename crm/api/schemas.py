"""Models every resource shares: the problem document (RFC 9457) and paging."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from flask_babel import gettext as _
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field


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


# --- field types every input model uses --------------------------------------------------------
#
# Control characters are refused as the pages' forms refuse them (crm.forms.BaseForm); a NUL
# would otherwise reach PostgreSQL and fail there (a 500). Ids are bounded to PostgreSQL's
# integer, so a huge id is a 422, not an overflow.

_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _line(value: str) -> str:
    if _CONTROL_LINE.search(value):
        raise ValueError(_("Bevat een stuurteken (zoals een regeleinde); dat kan hier niet."))
    return value.strip()


def _text(value: str) -> str:
    if _CONTROL_TEXT.search(value):
        raise ValueError(_("Bevat een stuurteken; dat kan hier niet."))
    return value.strip()


Line = Annotated[str, AfterValidator(_line)]
Text = Annotated[str, AfterValidator(_text)]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


def _in_range(value: date) -> date:
    """As the forms (crm.forms.FIRST_DATE..LAST_DATE): date arithmetic never overflows."""
    from crm.forms import FIRST_DATE, LAST_DATE

    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(_("Kies een datum tussen %(first)s en %(last)s.", first=FIRST_DATE.year, last=LAST_DATE.year))
    return value


def _moment_in_range(value: datetime) -> datetime:
    _in_range(value.date())
    if value.tzinfo is None:
        raise ValueError(_("Geef een tijdzone mee, bijvoorbeeld 2026-12-01T10:00:00+01:00."))
    return value


def _iso_text(value: object) -> object:
    """A JSON body carries dates as ISO 8601 text; a number is not a date (pydantic would
    read 0 as 1970-01-01)."""
    if not isinstance(value, str | date):
        raise ValueError(_("Verwacht een datum als tekst (ISO 8601, bijvoorbeeld 2026-12-01)."))
    return value


Day = Annotated[date, BeforeValidator(_iso_text), Field(strict=False), AfterValidator(_in_range)]
Moment = Annotated[datetime, BeforeValidator(_iso_text), Field(strict=False), AfterValidator(_moment_in_range)]


class Body(BaseModel):
    """The base of every request body: unknown fields refused, and JSON types taken as they
    are (strict: "5" is not a number, 0 is not false), as the document describes them."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Ref(BaseModel):
    """Another record, by id and name."""

    id: int
    name: str
