"""audit_event.txid: the writing transaction, so the change feed reads in commit order

Revision ID: f3c5a7e9b1d2
Revises: a71c0e5d9b30
Create Date: 2026-12-06

PostgreSQL hands out ``audit_event.id`` at insert, not at commit, so a feed that follows ``id``
alone can pass over an event whose transaction commits late. ``txid`` holds the writing
transaction's id (``pg_current_xact_id()``, by a server default); crm.services.change_feed reads
``(txid, id)`` only below the oldest transaction still running. Adding the column fills the
existing rows with the migration's own transaction id (a table rewrite, which fires no row
trigger, so the append-only triggers stay untouched); they keep their ``id`` order among
themselves. SQLite writes one transaction at a time: ``id`` is commit order and ``txid`` is 0.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f3c5a7e9b1d2"
down_revision: str | Sequence[str] | None = "a71c0e5d9b30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRES_DEFAULT = sa.text("(pg_current_xact_id()::text::bigint)")


def upgrade() -> None:
    # Plain ALTER TABLE, not a batch: a batch's table copy on SQLite would drop the append-only
    # triggers (migration b7c8d9e0f1a2).
    postgres = op.get_bind().dialect.name == "postgresql"
    default = POSTGRES_DEFAULT if postgres else sa.text("0")
    op.add_column("audit_event", sa.Column("txid", sa.BigInteger(), nullable=False, server_default=default))
    op.create_index("ix_audit_event_txid_id", "audit_event", ["txid", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_txid_id", table_name="audit_event")
    op.execute("ALTER TABLE audit_event DROP COLUMN txid")  # SQLite 3.35+ and PostgreSQL alike
