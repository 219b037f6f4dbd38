"""The number of live employers per (contactpersoon, municipality, month of the last contact),
kept up to date in the database: the employer list's total and municipality sort and the
pipeline's employer counts read these rows instead of counting 100,000 employers on every view
(crm.services.employer_list, crm.services.pipeline.review).

``employer_tally`` holds one row per (contactpersoon, municipality; 0 for none, month of the
last contact in UTC as yyyymm; 0 for never) with the number of employers that are not merged
away. The list's unfiltered total is the sum of all rows, and a list narrowed only by region,
municipality, contactpersoon or their organisation sums the rows of those keys; any other
filter or a search counts the employers themselves. The pipeline's "no contact in N days" is
the rows of the months before the one its moment falls in, plus the employers of that one month
read from the employers themselves (``ix_employer_live_last_contact``), as the trajectory
tallies' period filter does. At the benchmark's 100,000 employers: 1,518 rows; the list's count
8 ms -> 0.3 ms, the pipeline's employer counts 14 -> 2 ms.

Triggers keep it, for the reasons and in the way of the trajectory tallies
(crm/models/tallies.py: every path that writes employers is seen, in the same transaction;
upserts that add, never a read-then-write; per statement with transition tables on
PostgreSQL, planned per call, per row on SQLite). An update changes the tally only when it
moves an employer to another key or merges it away: most updates change none of the four
columns, and a contact logged (it stamps ``last_contact_at``) at most moves the employer to
this month's row. A change counts only its own rows' old and new values, so two transactions
changing the same employer are serialised by the row lock of the employer itself, and the
tally follows the one that commits last.

Rows whose count drops to 0 stay (readers skip them). ``TALLY.rebuild`` recomputes the table
(``flask crm rebuild-tallies``), and its ``fresh_counts`` is the GROUP BY the tests compare with.
"""

# ruff: noqa: S608 -- every SQL text here is built from constants of this module, never from input

from __future__ import annotations

from sqlalchemy import Integer, PrimaryKeyConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm.models.base import Base
from crm.models.tallies import (
    SummaryTable,
    execute_per_call,
    month_sql,
    only_if_changed,
    pg_function,
    statement_triggers,
    upsert,
)

KEY = ("contactpersoon_id", "municipality_id", "contact_month")
TABLE = "employer_tally"


class EmployerTally(Base):
    """Live employers per (contactpersoon, municipality, month of the last contact); written
    only by triggers."""

    __tablename__ = TABLE
    __table_args__ = (PrimaryKeyConstraint(*KEY, name="pk_employer_tally"),)
    contactpersoon_id: Mapped[int] = mapped_column(Integer)
    municipality_id: Mapped[int] = mapped_column(Integer)  # 0: none
    contact_month: Mapped[int] = mapped_column(Integer)  # 202501: last contact in January 2025 (UTC); 0: never
    n: Mapped[int] = mapped_column(Integer)


_KEY_LIST = ", ".join(KEY)


def _contact_month(row: str, dialect: str) -> str:
    return f"coalesce({month_sql(f'{row}.last_contact_at', dialect)}, 0)"


def fresh_sql(dialect: str) -> str:
    return (
        f"SELECT e.contactpersoon_id, coalesce(e.municipality_id, 0), {_contact_month('e', dialect)}, count(*)"
        " FROM employer e WHERE e.merged_into_id IS NULL GROUP BY 1, 2, 3"
    )


_COLUMNS = "contactpersoon_id, municipality_id, merged_into_id, last_contact_at"
_INSERT = f"INSERT INTO {TABLE} AS t ({_KEY_LIST}, n)"

# PostgreSQL: one statement-level function for the three triggers.


def _pg_delta(sources: list[tuple[int, str]]) -> str:
    rows = " UNION ALL ".join(f"SELECT {sign} AS sign, {_COLUMNS} FROM {table}" for sign, table in sources)
    return execute_per_call(
        f"{_INSERT} SELECT r.contactpersoon_id, coalesce(r.municipality_id, 0), {_contact_month('r', 'postgresql')},"
        f" sum(r.sign) FROM ({rows}) r WHERE r.merged_into_id IS NULL GROUP BY 1, 2, 3 HAVING sum(r.sign) <> 0"
        " ORDER BY 1, 2, 3" + upsert("t", KEY)
    )


_PG_CHANGED = (
    "n.contactpersoon_id IS DISTINCT FROM o.contactpersoon_id"
    " OR n.municipality_id IS DISTINCT FROM o.municipality_id"
    " OR (n.merged_into_id IS NULL) <> (o.merged_into_id IS NULL)"
    f" OR {_contact_month('n', 'postgresql')} <> {_contact_month('o', 'postgresql')}"
)


def _pg_functions() -> list[str]:
    return [
        pg_function(
            "employer_tally_employer",
            {
                "INSERT": _pg_delta([(1, "new_rows")]) + ";",
                "DELETE": _pg_delta([(-1, "old_rows")]) + ";",
                "UPDATE": only_if_changed(_PG_CHANGED, _pg_delta([(1, "new_rows"), (-1, "old_rows")]) + ";"),
            },
        )
    ]


def _pg_up() -> list[str]:
    return _pg_functions() + statement_triggers("employer_tally", "employer", "employer_tally_employer")


PG_DOWN = [
    "DROP TRIGGER IF EXISTS employer_tally_insert ON employer",
    "DROP TRIGGER IF EXISTS employer_tally_update ON employer",
    "DROP TRIGGER IF EXISTS employer_tally_delete ON employer",
    "DROP FUNCTION IF EXISTS employer_tally_employer()",
]

# SQLite: row triggers (the WHERE after the SELECT of an upsert is the parser's rule).


def _sqlite_row(row: str, sign: str) -> str:
    return (
        f"INSERT INTO {TABLE} ({_KEY_LIST}, n) SELECT {row}.contactpersoon_id, coalesce({row}.municipality_id, 0),"
        f" {_contact_month(row, 'sqlite')}, {sign} WHERE {row}.merged_into_id IS NULL" + upsert(TABLE, KEY) + ";"
    )


def _sqlite_up() -> list[str]:
    changed = (
        "OLD.contactpersoon_id IS NOT NEW.contactpersoon_id OR OLD.municipality_id IS NOT NEW.municipality_id"
        " OR (OLD.merged_into_id IS NULL) <> (NEW.merged_into_id IS NULL)"
        f" OR {_contact_month('OLD', 'sqlite')} <> {_contact_month('NEW', 'sqlite')}"
    )
    return [
        f"CREATE TRIGGER employer_tally_insert AFTER INSERT ON employer BEGIN\n{_sqlite_row('NEW', '1')}\nEND",
        f"CREATE TRIGGER employer_tally_delete AFTER DELETE ON employer BEGIN\n{_sqlite_row('OLD', '-1')}\nEND",
        "CREATE TRIGGER employer_tally_update AFTER UPDATE OF contactpersoon_id, municipality_id, merged_into_id,"
        f" last_contact_at ON employer WHEN {changed} BEGIN\n{_sqlite_row('OLD', '-1')}\n{_sqlite_row('NEW', '1')}\nEND",
    ]


SQLITE_DOWN = [f"DROP TRIGGER IF EXISTS employer_tally_{op}" for op in ("insert", "update", "delete")]


TALLY = SummaryTable(TABLE, KEY, fresh_sql, "employer", _pg_up, _sqlite_up, PG_DOWN, SQLITE_DOWN)
