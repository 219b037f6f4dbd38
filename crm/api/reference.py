"""Reference lists: labour-market regions, municipalities and SBI sections (crm/data).

Every client may read them (no scope): they hold no casework. Municipalities are paged by
keyset (there are ~340); regions (35) and SBI sections (21) come whole.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from crm.api.auth import operation
from crm.api.blueprint import bp
from crm.api.paging import Key, keyset_page
from crm.api.schemas import PageQuery
from crm.extensions import db
from crm.models import Municipality, Region, SbiSection

TAG = "Referentielijsten"


class RegionOut(BaseModel):
    id: int
    number: int = Field(description="Nummer van de arbeidsmarktregio.")
    name: str


class RegionList(BaseModel):
    items: list[RegionOut]


class MunicipalityOut(BaseModel):
    id: int
    name: str
    region_id: int
    active: bool


class MunicipalityPage(BaseModel):
    items: list[MunicipalityOut]
    next_cursor: str | None = Field(description="Geef mee als `cursor` voor de volgende pagina; null op de laatste.")


class MunicipalityQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")
    region_id: int | None = Field(None, ge=1, le=2**31 - 1, description="Alleen gemeenten van deze regio.")


class SbiSectionOut(BaseModel):
    code: str = Field(description="Sectieletter A-U.")
    name: str
    division_from: int
    division_to: int


class SbiSectionList(BaseModel):
    items: list[SbiSectionOut]


@bp.get("/regions")
@operation(scope=None, summary="Arbeidsmarktregio's", tag=TAG)
@bp.output(RegionList)
def regions():
    rows = db.session.scalars(select(Region).order_by(Region.number)).all()
    return RegionList(items=[RegionOut.model_validate(r, from_attributes=True) for r in rows])


@bp.get("/municipalities")
@operation(scope=None, summary="Gemeenten", tag=TAG, responses={400: "Ongeldige cursor"})
@bp.input(MunicipalityQuery, location="query", arg_name="query")
@bp.output(MunicipalityPage)
def municipalities(query: MunicipalityQuery):
    statement = select(Municipality)
    if query.region_id is not None:
        statement = statement.where(Municipality.region_id == query.region_id)
    page = keyset_page(
        statement,
        [Key(Municipality.name, str), Key(Municipality.id, int)],
        cursor=query.cursor,
        limit=query.limit,
    )
    return MunicipalityPage(
        items=[MunicipalityOut.model_validate(m, from_attributes=True) for m in page.items],
        next_cursor=page.next_cursor,
    )


@bp.get("/sbi-sections")
@operation(scope=None, summary="SBI-secties", tag=TAG)
@bp.output(SbiSectionList)
def sbi_sections():
    rows = db.session.scalars(select(SbiSection).order_by(SbiSection.code)).all()
    return SbiSectionList(items=[SbiSectionOut.model_validate(s, from_attributes=True) for s in rows])
