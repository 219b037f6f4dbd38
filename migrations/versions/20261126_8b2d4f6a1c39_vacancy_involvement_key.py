"""vacancy involvement key

Revision ID: 8b2d4f6a1c39
Revises: 3f1a9c2e7b54
Create Date: 2026-11-26

``vacancy.involvement_key`` ("3,7"): the vacancy's involved organisations in one column, kept
by an ORM flush hook (crm.models.vacancies), so the pipeline counts vacancies per account
manager and per organisation in one grouped query. Existing rows are filled here.
"""

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "8b2d4f6a1c39"
down_revision: str | Sequence[str] | None = "3f1a9c2e7b54"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("vacancy", schema=None) as batch_op:
        batch_op.add_column(sa.Column("involvement_key", sa.Text(), server_default="", nullable=False))

    connection = op.get_bind()
    involved = defaultdict(set)
    for vacancy_id, organisation_id in connection.execute(
        sa.text("SELECT vacancy_id, organisation_id FROM vacancy_organisation")
    ):
        involved[vacancy_id].add(organisation_id)
    keys = [{"id": vacancy_id, "key": ",".join(map(str, sorted(ids)))} for vacancy_id, ids in involved.items()]
    for start in range(0, len(keys), 5000):
        connection.execute(
            sa.text("UPDATE vacancy SET involvement_key = :key WHERE id = :id"), keys[start : start + 5000]
        )


def downgrade() -> None:
    with op.batch_alter_table("vacancy", schema=None) as batch_op:
        batch_op.drop_column("involvement_key")
