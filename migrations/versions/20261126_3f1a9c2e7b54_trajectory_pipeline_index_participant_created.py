"""participant and registration date in the trajectory pipeline index

Revision ID: 3f1a9c2e7b54
Revises: 69f150ae1ceb
Create Date: 2026-11-26

The region filter of the pipeline counts a trajectory without an employer by its participant's
municipality, so it reads ``participant_id``; the period filter reads ``created_at``. With both
in the covering ``ix_trajectory_pipeline`` those counts stay index-only scans instead of reading
every (wide) trajectory row.
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "3f1a9c2e7b54"
down_revision: str | Sequence[str] | None = "69f150ae1ceb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


PIPELINE = ["partnership_id", "kind", "status", "actual_start", "employer_id", "involvement_key"]


def upgrade() -> None:
    with op.batch_alter_table("trajectory", schema=None) as batch_op:
        batch_op.drop_index("ix_trajectory_pipeline")
        batch_op.create_index("ix_trajectory_pipeline", [*PIPELINE, "participant_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("trajectory", schema=None) as batch_op:
        batch_op.drop_index("ix_trajectory_pipeline")
        batch_op.create_index("ix_trajectory_pipeline", PIPELINE, unique=False)
