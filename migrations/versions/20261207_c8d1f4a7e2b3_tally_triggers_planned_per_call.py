"""tally triggers: skip what they do not count, plan the counting per call

Revision ID: c8d1f4a7e2b3
Revises: b7e2c9d4a1f6
Create Date: 2026-12-07

The trigger functions of crm/models/tallies.py again, as that module now writes them (*Plans*
in its docstring): an employer or participant update that moves no trajectory count, and a
trajectory update that changes no counted column, return at once; the counting statements run
with ``EXECUTE``, planned for the rows at hand. Before, PL/pgSQL kept the plan of a
connection's first call, and after a bulk update that plan hashed every trajectory for each
later one-row update of an employer (each contact logged). The triggers themselves and what
they count are unchanged, so the downgrade leaves these functions in place. SQLite's row
triggers have no cached plans and stay as they are.
"""

from alembic import op

revision = "c8d1f4a7e2b3"
down_revision = "b7e2c9d4a1f6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from crm.models.tallies import replace_functions

    replace_functions(op.get_bind())


def downgrade() -> None:
    pass  # the same counts; the functions of the upgrade serve the older schema as well
