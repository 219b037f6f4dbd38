"""forgiving employer search: search_text holds folded words in sections

Revision ID: e8a1d5c7b902
Revises: e8a1c3d5f7b9
Create Date: 2026-12-06

No schema change: ``employer.search_text`` is rewritten as ``crm.services.search.search_texts``
now computes it (folded words: name, KvK, postcode, place, municipality, contactpersoon,
people), and the FTS5 table follows through its triggers. The downgrade writes the old text
back (lower-case name, KvK, place, municipality and people).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e8a1d5c7b902"
down_revision: str | Sequence[str] | None = "e8a1c3d5f7b9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The rewrite itself is done by f3b8a2c6d1e4 (trade names and search words): the search text
    # is computed by the application's code, which reads columns that migration adds.
    pass


def downgrade() -> None:
    bind = op.get_bind()
    people: dict[int, list[str]] = {}
    for employer_id, name in bind.execute(sa.text("SELECT employer_id, name FROM employer_contact")):
        people.setdefault(employer_id, []).append(name)
    rows = bind.execute(
        sa.text(
            "SELECT employer.id, employer.name, employer.kvk_number, employer.city, municipality.name "
            "FROM employer LEFT JOIN municipality ON municipality.id = employer.municipality_id"
        )
    )
    values = [
        {
            "b_id": employer_id,
            "b_text": " ".join(
                p for p in (name, kvk or "", city, municipality or "", *people.get(employer_id, [])) if p
            ).lower(),
        }
        for employer_id, name, kvk, city, municipality in rows
    ]
    if values:
        bind.execute(sa.text("UPDATE employer SET search_text = :b_text WHERE id = :b_id"), values)
