"""trajectory tallies: counts per pipeline group, kept by triggers

Revision ID: 5d7c2e9a4b18
Revises: e8a1d5c7b902
Create Date: 2026-12-06

``trajectory_tally``, ``trajectory_month_tally`` and ``trajectory_start_tally`` (crm/models/tallies.py): the pipeline pages
read these summary rows instead of grouping every trajectory. Triggers keep them in the same
transaction as every change of a trajectory, of an employer's contactpersoon or municipality,
or of a participant's municipality; the upgrade fills them from the current trajectories.
``ix_trajectory_created_at`` serves the period filter's edges (the hours of a period outside
whole months), read from the trajectories themselves.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d7c2e9a4b18"
down_revision: str | Sequence[str] | None = "e8a1d5c7b902"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from crm.models.tallies import create_triggers, rebuild

    group_columns = [
        ("partnership_id", sa.Integer()),
        ("contactpersoon_id", sa.Integer()),
        ("municipality_id", sa.Integer()),
        ("kind", sa.String(length=10)),
        ("status", sa.String(length=15)),
        ("has_start", sa.Boolean(create_constraint=False)),
        ("involvement_key", sa.Text()),
    ]
    for table, extra in (("trajectory_tally", []), ("trajectory_month_tally", [("created_month", sa.Integer())])):
        columns = group_columns + extra
        op.create_table(
            table,
            *(sa.Column(name, type_, nullable=False) for name, type_ in columns),
            sa.Column("n", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint(*(name for name, _type in columns), name=f"pk_{table}"),
        )
    op.create_table(
        "trajectory_start_tally",
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("actual_start", sa.Date(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("partnership_id", "kind", "actual_start", name="pk_trajectory_start_tally"),
    )
    op.create_index("ix_trajectory_created_at", "trajectory", ["created_at"])
    bind = op.get_bind()
    create_triggers(bind)
    rebuild(bind)


def downgrade() -> None:
    from crm.models.tallies import drop_triggers

    drop_triggers(op.get_bind())
    op.drop_index("ix_trajectory_created_at", table_name="trajectory")
    op.drop_table("trajectory_start_tally")
    op.drop_table("trajectory_month_tally")
    op.drop_table("trajectory_tally")
