"""worklist and employer list indexes measured at national size

Revision ID: b7e2c9d4a1f6
Revises: f3b8a2c6d1e4
Create Date: 2026-12-06

Measured on the load benchmark's database (100,000 employers, one account manager with 8,835
open follow-ups; bench/LOAD.md):

- ``ix_follow_up_owner_status_due`` gains ``id`` and ``trajectory_id``: each due group's first
  follow-ups come out of the index in order (no sort of a whole group), and the groups' counts
  are an index-only scan (the visibility rule reads the trajectory);
- ``ix_vacancy_open_closing``: the worklist's overdue vacancies walked every vacancy with a
  past closing date (22,135, almost all closed) to find none: 92 ms; the partial index holds the
  open ones only;
- ``ix_employer_live_municipality_name``: the list sorted by municipality reads one
  municipality's employers in name order instead of sorting all 100,000 (180 ms);
- ``ix_employer_live_contactpersoon_name``: the worklist's employers by name (its last page
  sorted all 24,722 of the account manager's employers: 145 ms).

The partial indexes are raw SQL like the other ``ix_employer_live_*`` (migrations/env.py leaves
them out of the drift check). No ORM model is read here, so this may follow the search
migration.
"""

from alembic import op

revision = "b7e2c9d4a1f6"
down_revision = "f3b8a2c6d1e4"
branch_labels = None
depends_on = None

OPEN = "WHERE status IN ('nieuw', 'intake_gedaan', 'kandidaten_voorgesteld')"


def upgrade():
    with op.batch_alter_table("follow_up") as batch_op:
        batch_op.drop_index("ix_follow_up_owner_status_due")
        batch_op.create_index(
            "ix_follow_up_owner_status_due", ["owner_id", "status", "due_date", "id", "trajectory_id"], unique=False
        )
    op.execute(f"CREATE INDEX ix_vacancy_open_closing ON vacancy (closing_date, id) {OPEN}")
    op.execute(
        "CREATE INDEX ix_employer_live_municipality_name ON employer (municipality_id, name, id)"
        " WHERE merged_into_id IS NULL"
    )
    op.execute(
        "CREATE INDEX ix_employer_live_contactpersoon_name ON employer (contactpersoon_id, name, id)"
        " WHERE merged_into_id IS NULL"
    )


def downgrade():
    op.execute("DROP INDEX IF EXISTS ix_employer_live_contactpersoon_name")
    op.execute("DROP INDEX IF EXISTS ix_employer_live_municipality_name")
    op.execute("DROP INDEX IF EXISTS ix_vacancy_open_closing")
    with op.batch_alter_table("follow_up") as batch_op:
        batch_op.drop_index("ix_follow_up_owner_status_due")
        batch_op.create_index("ix_follow_up_owner_status_due", ["owner_id", "status", "due_date"], unique=False)
