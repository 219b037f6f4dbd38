"""vacancy.publish_agreed: the employer agreed to publish the vacancy (as a JobPosting)

Revision ID: a9d2c4e6f8b0
Revises: f3c5a7e9b1d2
Create Date: 2026-12-06

Existing vacancies are not agreed: nothing is published until someone records the employer's
agreement on the vacancy form (crm.services.job_posting).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a9d2c4e6f8b0"
down_revision: str | Sequence[str] | None = "f3c5a7e9b1d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("vacancy") as batch:
        batch.add_column(sa.Column("publish_agreed", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("vacancy") as batch:
        batch.drop_column("publish_agreed")
