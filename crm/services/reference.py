"""Loading the shipped reference lists (regions, municipalities, SBI sections)."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from crm.extensions import db
from crm.models import Municipality, Region, SbiSection

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def load_reference_data() -> dict[str, int]:
    """Insert regions, municipalities and SBI sections that are missing. Idempotent:
    rows an admin corrected are left alone."""
    added = {"regions": 0, "municipalities": 0, "sbi_sections": 0}
    regions = {r.number: r for r in db.session.scalars(select(Region))}
    known = set(db.session.scalars(select(Municipality.name)))
    with open(DATA_DIR / "arbeidsmarktregios-2015.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            number = int(row["regio_nummer"])
            if number not in regions:
                regions[number] = Region(number=number, name=row["arbeidsmarktregio"])
                db.session.add(regions[number])
                added["regions"] += 1
            if row["gemeente"] not in known:
                db.session.add(Municipality(name=row["gemeente"], region=regions[number]))
                known.add(row["gemeente"])
                added["municipalities"] += 1
    sections = set(db.session.scalars(select(SbiSection.code)))
    with open(DATA_DIR / "sbi-secties.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["sectie"] in sections:
                continue
            low, _, high = row["afdelingen"].partition("-")
            db.session.add(
                SbiSection(
                    code=row["sectie"], name=row["omschrijving"], division_from=int(low), division_to=int(high or low)
                )
            )
            added["sbi_sections"] += 1
    db.session.flush()
    return added


def sbi_section_for(sbi_code: str) -> str | None:
    """The SBI section letter for an SBI code such as '4711' or '47.11'."""
    digits = "".join(ch for ch in sbi_code if ch.isdigit())
    if len(digits) < 2:
        return None
    division = int(digits[:2])
    return db.session.scalar(
        select(SbiSection.code).where(SbiSection.division_from <= division, SbiSection.division_to >= division)
    )
