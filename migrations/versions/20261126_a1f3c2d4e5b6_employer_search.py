"""employer search: search_text column, pg_trgm index (PostgreSQL) or FTS5 trigram table (SQLite)

Revision ID: a1f3c2d4e5b6
Revises: 5c9e7b1f2b38
Create Date: 2026-11-26

Note for later migrations: on SQLite, a batch (copy-and-move) migration of the employer table
drops the FTS triggers below; recreate them in that migration.
"""

import sqlalchemy as sa
from alembic import op

revision = "a1f3c2d4e5b6"
down_revision = "5c9e7b1f2b38"
branch_labels = None
depends_on = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE employer_fts USING fts5("
    "search_text, content='employer', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER employer_fts_ai AFTER INSERT ON employer BEGIN "
    "INSERT INTO employer_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER employer_fts_ad AFTER DELETE ON employer BEGIN "
    "INSERT INTO employer_fts(employer_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER employer_fts_au AFTER UPDATE OF search_text ON employer BEGIN "
    "INSERT INTO employer_fts(employer_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO employer_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO employer_fts(employer_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS employer_fts_au",
    "DROP TRIGGER IF EXISTS employer_fts_ad",
    "DROP TRIGGER IF EXISTS employer_fts_ai",
    "DROP TABLE IF EXISTS employer_fts",
]


def upgrade():
    with op.batch_alter_table("employer") as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    op.execute("UPDATE employer SET search_text = lower(name || ' ' || coalesce(kvk_number, '') || ' ' || city)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_employer_search_text_trgm ON employer USING gin (search_text gin_trgm_ops)")
    else:
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_employer_search_text_trgm")
    else:
        for statement in SQLITE_DOWN:
            op.execute(statement)
    with op.batch_alter_table("employer") as batch_op:
        batch_op.drop_column("search_text")
