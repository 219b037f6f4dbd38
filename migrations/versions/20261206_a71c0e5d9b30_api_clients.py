"""API clients and their principals

Revision ID: a71c0e5d9b30
Revises: e8a1d5c7b902
Create Date: 2026-12-06

``api_client`` (a partner system's token: prefix and hash only) and ``user.is_service_account``
(the client's principal: the user row the API acts as, see crm.models.api_clients).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from crm.models.base import UTCDateTime

revision: str = "a71c0e5d9b30"
down_revision: str | Sequence[str] | None = "e8a1d5c7b902"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("is_service_account", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "api_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("scopes", sa.String(length=300), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_prefix", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("role IN ('partner', 'accountmanager')", name=op.f("ck_api_client_api_client_role_allowed")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"], name=op.f("fk_api_client_created_by_id_user")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"], name=op.f("fk_api_client_organisation_id_organisation")
        ),
        sa.ForeignKeyConstraint(["revoked_by_id"], ["user.id"], name=op.f("fk_api_client_revoked_by_id_user")),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_api_client_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_client")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_client_token_hash")),
        sa.UniqueConstraint("user_id", name=op.f("uq_api_client_user_id")),
    )
    op.create_index(op.f("ix_api_client_organisation_id"), "api_client", ["organisation_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_api_client_organisation_id"), table_name="api_client")
    op.drop_table("api_client")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("is_service_account")
