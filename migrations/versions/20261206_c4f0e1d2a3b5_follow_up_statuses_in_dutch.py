"""follow_up.status in Dutch, as every other stored status: done -> afgerond, cancelled -> geannuleerd

Revision ID: c4f0e1d2a3b5
Revises: b7c1e4f29a03
Create Date: 2026-12-06

The README's rule for stored codes: the partnership's vocabulary (statuses, kinds, channels,
roles in a trajectory) is stored in Dutch; only the application's own machinery (delivery
states and kinds, audit actions, user roles, locales) is English. Follow-up statuses were the
one exception. ``open`` is the same word in both, so the partial index on open automatic
follow-ups and the done_at check stay as they are.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4f0e1d2a3b5"
down_revision: str | Sequence[str] | None = "b7c1e4f29a03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENAMES = (("done", "afgerond"), ("cancelled", "geannuleerd"))


def _recode(pairs, allowed: str, length: int) -> None:
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_follow_up_status_allowed"), type_="check")
        if length > 10:  # "geannuleerd" is 11 characters
            batch_op.alter_column("status", type_=sa.String(length), existing_nullable=False)
    follow_up = sa.table("follow_up", sa.column("status", sa.String))
    for old, new in pairs:
        op.execute(follow_up.update().where(follow_up.c.status == old).values(status=new))
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        if length <= 10:
            batch_op.alter_column("status", type_=sa.String(length), existing_nullable=False)
        batch_op.create_check_constraint("status_allowed", allowed)


def upgrade() -> None:
    _recode(RENAMES, "status IN ('open', 'afgerond', 'geannuleerd')", 20)


def downgrade() -> None:
    _recode([(new, old) for old, new in RENAMES], "status IN ('open', 'done', 'cancelled')", 10)
