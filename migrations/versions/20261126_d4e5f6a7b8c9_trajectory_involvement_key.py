"""trajectory involvement key

Revision ID: d4e5f6a7b8c9
Revises: c1d3689812e7
Create Date: 2026-11-26

``trajectory.involvement_key`` ("3:school,7:uwv"): the trajectory's involved organisations in
one column, kept by an ORM flush hook (crm.models.trajectories), so the pipeline counts per
organisation without joining every involvement row. Existing rows are filled here. The key
joins the covering ``ix_trajectory_pipeline`` so that count is an index-only scan.
"""

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "d4e5f6a7b8c9"
down_revision: str | Sequence[str] | None = "c1d3689812e7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


PIPELINE = ["partnership_id", "kind", "status", "actual_start", "employer_id"]


def upgrade() -> None:
    with op.batch_alter_table("trajectory", schema=None) as batch_op:
        batch_op.add_column(sa.Column("involvement_key", sa.Text(), server_default="", nullable=False))
        batch_op.drop_index("ix_trajectory_pipeline")
        batch_op.create_index("ix_trajectory_pipeline", [*PIPELINE, "involvement_key"], unique=False)

    connection = op.get_bind()
    involved = defaultdict(set)
    rows = connection.execute(sa.text("SELECT trajectory_id, organisation_id, role FROM trajectory_organisation"))
    for trajectory_id, organisation_id, role in rows:
        involved[trajectory_id].add((organisation_id, role))
    keys = [
        {"id": trajectory_id, "key": ",".join(f"{org}:{role}" for org, role in sorted(pairs))}
        for trajectory_id, pairs in involved.items()
    ]
    for start in range(0, len(keys), 5000):
        connection.execute(
            sa.text("UPDATE trajectory SET involvement_key = :key WHERE id = :id"), keys[start : start + 5000]
        )


def downgrade() -> None:
    with op.batch_alter_table("trajectory", schema=None) as batch_op:
        batch_op.drop_index("ix_trajectory_pipeline")
        batch_op.create_index("ix_trajectory_pipeline", PIPELINE, unique=False)
        batch_op.drop_column("involvement_key")
