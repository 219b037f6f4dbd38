"""audit trail is append-only: triggers refuse UPDATE and DELETE on audit_event

Revision ID: b7c8d9e0f1a2
Revises: 418a24d9b428
Create Date: 2026-11-26
"""

from alembic import op

revision = "b7c8d9e0f1a2"
down_revision = "418a24d9b428"
branch_labels = None
depends_on = None

PG_UP = [
    """
    CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP;
    END;
    $$ LANGUAGE plpgsql
    """,
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
]
PG_DOWN = [
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
    "DROP TRIGGER IF EXISTS audit_event_no_update ON audit_event",
    "DROP FUNCTION IF EXISTS audit_event_append_only()",
]
SQLITE_UP = [
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END",
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: DELETE refused'); END",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS audit_event_no_update", "DROP TRIGGER IF EXISTS audit_event_no_delete"]


def upgrade():
    for statement in PG_UP if op.get_bind().dialect.name == "postgresql" else SQLITE_UP:
        op.execute(statement)


def downgrade():
    for statement in PG_DOWN if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
