"""employer tally: live employers per (contactpersoon, municipality), kept by triggers

Revision ID: e4b7c1d9a2f3
Revises: d2e6a9c4b1f7
Create Date: 2026-12-07

``employer_tally`` (crm/models/employer_tally.py): the employer list's total and its
municipality sort sum these rows instead of counting every employer on each view (8 ms at
100,000 employers on PostgreSQL, for each view of the unfiltered list). Triggers keep it in the
same transaction as every insert, delete, hand-over, move and merge of an employer; the upgrade
fills it from the current employers.
"""

import sqlalchemy as sa
from alembic import op

revision = "e4b7c1d9a2f3"
down_revision = "d2e6a9c4b1f7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from crm.models.employer_tally import create_triggers, rebuild

    op.create_table(
        "employer_tally",
        sa.Column("contactpersoon_id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("contactpersoon_id", "municipality_id", name="pk_employer_tally"),
    )
    bind = op.get_bind()
    create_triggers(bind)
    rebuild(bind)


def downgrade() -> None:
    from crm.models.employer_tally import drop_triggers

    drop_triggers(op.get_bind())
    op.drop_table("employer_tally")
