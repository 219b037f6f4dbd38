"""worklist quiet-first index

Revision ID: e8a1c3d5f7b9
Revises: c4f0e1d2a3b5
Create Date: 2026-12-06 18:30:00

The worklist sorts an account manager's employers "langst geen contact eerst" with the inactive
ones last (``quiet_employers.quiet_first_order``). Without an index on that order, an account
manager with 25,000 employers sorts them all for each page (SQLite: 80-120 ms against 10 ms
with it, bench/WORKLIST.md). Partial, like the other ix_employer_live_* indexes, and like them
it lives here, not in the models.
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "e8a1c3d5f7b9"
down_revision: str | Sequence[str] | None = "c4f0e1d2a3b5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    # SQLite refuses NULLS FIRST in an index and sorts NULLs first anyway
    nulls_first = " NULLS FIRST" if op.get_bind().dialect.name == "postgresql" else ""
    op.execute(
        "CREATE INDEX ix_employer_live_quiet_first ON employer "
        f"(contactpersoon_id, (status = 'inactief'), last_contact_at{nulls_first}) "
        "WHERE merged_into_id IS NULL"
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("DROP INDEX IF EXISTS ix_employer_live_quiet_first")
