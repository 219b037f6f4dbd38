"""trade names (handelsnamen) and the search vocabulary

Revision ID: f3b8a2c6d1e4
Revises: a9d2c4e6f8b0
Create Date: 2026-12-06

``employer.trade_names``: the names an employer also trades under, one per line, searched like
the rest of the search text. ``search_word``: every folded word of the search texts, trigram
indexed (FTS5 on SQLite through triggers, as ``employer_fts``; pg_trgm on PostgreSQL), so a
query word's typos are looked up among the words instead of among the employers
(crm.services.search). The search text is rewritten (it now starts and ends with a space, and
holds the trade names) and the vocabulary filled by ``rebuild_search_text``. The downgrade drops
both; the search text keeps its new form until the next rebuild, which the old search reads.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision: str = "f3b8a2c6d1e4"
down_revision: str | Sequence[str] | None = "a9d2c4e6f8b0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = (
    "CREATE VIRTUAL TABLE search_word_fts USING fts5(word, content='search_word', tokenize='trigram')",
    "CREATE TRIGGER search_word_fts_ai AFTER INSERT ON search_word BEGIN "
    "INSERT INTO search_word_fts(rowid, word) VALUES (new.rowid, new.word); END",
    "CREATE TRIGGER search_word_fts_ad AFTER DELETE ON search_word BEGIN "
    "INSERT INTO search_word_fts(search_word_fts, rowid, word) VALUES ('delete', old.rowid, old.word); END",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS search_word_fts_ad",
    "DROP TRIGGER IF EXISTS search_word_fts_ai",
    "DROP TABLE IF EXISTS search_word_fts",
)


def upgrade() -> None:
    from crm.services.search import rebuild_search_text

    with op.batch_alter_table("employer") as batch_op:
        batch_op.add_column(sa.Column("trade_names", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "search_word", sa.Column("word", sa.String(length=200), nullable=False), sa.PrimaryKeyConstraint("word")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_search_word_trgm ON search_word USING gin (word gin_trgm_ops)")
    else:
        for statement in SQLITE_UP:
            op.execute(statement)
    rebuild_search_text(session=Session(bind=op.get_bind()), batch=5000)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_word_trgm")
    else:
        for statement in SQLITE_DOWN:
            op.execute(statement)
    op.drop_table("search_word")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite's own DROP COLUMN (3.35+): a batch copy of the table would drop employer_fts's triggers
        op.execute("ALTER TABLE employer DROP COLUMN trade_names")
    else:
        op.drop_column("employer", "trade_names")
