"""employer list indexes: partial (live employers) indexes for the list's sort orders

Revision ID: c3d4e5f6a7b8
Revises: 0a09a9b5028c
Create Date: 2026-11-26

Measured in bench/README.md: without them PostgreSQL sorts all employers for page 2,000.
They are per dialect (NULLS FIRST exists on PostgreSQL only), so they live here and not in
the models; migrations/env.py leaves them out of the drift check.
"""

from alembic import op

revision = "c3d4e5f6a7b8"
down_revision = "0a09a9b5028c"
branch_labels = None
depends_on = None

LIVE = "WHERE merged_into_id IS NULL"


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    last_contact = "last_contact_at NULLS FIRST, id" if postgresql else "last_contact_at, id"
    op.execute(f"CREATE INDEX ix_employer_live_name ON employer (name, id) {LIVE}")
    op.execute(f"CREATE INDEX ix_employer_live_last_contact ON employer ({last_contact}) {LIVE}")
    op.execute(f"CREATE INDEX ix_employer_live_created ON employer (created_at, id) {LIVE}")


def downgrade():
    for name in ("ix_employer_live_created", "ix_employer_live_last_contact", "ix_employer_live_name"):
        op.execute(f"DROP INDEX IF EXISTS {name}")
