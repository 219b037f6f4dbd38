"""vacancy index on (employer, involved organisations, status)

Revision ID: d2e6a9c4b1f7
Revises: c8d1f4a7e2b3
Create Date: 2026-12-07

The pipeline counts vacancies per account manager (the employer's contactpersoon), involved
organisations and status. On the load benchmark's database (36,112 vacancies, 100,000
employers) that read every vacancy row: 39-41 ms. With the index holding the three columns it
is an index-only scan merged with the employers' ``ix_employer_id_contactpersoon``: 27 ms.
The index replaces ``ix_vacancy_employer_id`` (its first column serves the same lookups).
"""

from alembic import op

revision = "d2e6a9c4b1f7"
down_revision = "c8d1f4a7e2b3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_vacancy_employer_key_status", "vacancy", ["employer_id", "involvement_key", "status"])
    op.drop_index("ix_vacancy_employer_id", table_name="vacancy")


def downgrade() -> None:
    op.create_index("ix_vacancy_employer_id", "vacancy", ["employer_id"])
    op.drop_index("ix_vacancy_employer_key_status", table_name="vacancy")
