"""Alembic environment: the CRM's metadata, the database URL from the CRM's configuration."""

from __future__ import annotations

import warnings
from pathlib import Path

from alembic import context
from sqlalchemy import create_engine, pool

import crm.models  # noqa: F401  (registers every table)
from config import config_from_env
from crm.database import engine_options
from crm.models.base import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def database_url() -> str:
    """``alembic -x url=...``, else the URL the CRM itself would use (``CRM_DATABASE_URL``)."""
    return context.get_x_argument(as_dictionary=True).get("url") or config_from_env().SQLALCHEMY_DATABASE_URI


def render_item(type_, obj, autogen_context):
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


# Search structures that live outside the models (created per dialect in the migrations):
# the SQLite FTS5 table and its shadow tables, and the PostgreSQL trigram index.
UNMODELLED = (
    "employer_fts",
    "ix_employer_search_text_trgm",
    "ix_employer_live_",
    "ix_vacancy_open_",
    "search_word_fts",
    "ix_search_word_trgm",
)
# SQLite's reflection skips an expression index with a warning (ix_employer_live_quiet_first);
# like the rest of ix_employer_live_* it is not compared anyway.
warnings.filterwarnings(
    "ignore", message="Skipped unsupported reflection of expression-based index ix_employer_live_", category=Warning
)


def include_object(obj, name, type_, reflected, compare_to):
    return not (name or "").startswith(UNMODELLED)


def configure(**kwargs) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only ALTER through table copies
        render_item=render_item,
        include_object=include_object,
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    configure(url=database_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = database_url()
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    # Behind PgBouncer (CRM_DATABASE_PGBOUNCER): no server-side prepared statements (crm.database).
    options = engine_options(url, pgbouncer=config_from_env().DATABASE_PGBOUNCER)
    engine = create_engine(url, poolclass=pool.NullPool, **options)
    with engine.connect() as connection:
        configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
