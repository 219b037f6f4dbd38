"""Vacancy counts kept up to date in the database: the pipeline page (/pijplijn) sums these rows
for its vacancy tables instead of joining every vacancy to its employer on each view
(crm.services.pipeline.review).

``vacancy_tally`` holds the number of vacancies per (employer's contactpersoon, region key,
``involvement_key``, status): exactly what the page groups and filters on without a period
filter. The region key is the vacancy's own municipality, else its employer's (0: none), as the
region filter reads it. At the benchmark's 36,041 vacancies: 5,829 rows, and the pipeline's
vacancy counts 19 -> 3.5 ms. With a period filter ("registered in the period")
the page still counts the vacancies themselves.

Triggers keep it as the trajectory tallies are kept (crm/models/tallies.py: every path that
writes vacancies or moves an employer is seen, in the same transaction; adding upserts; per
statement with transition tables on PostgreSQL, planned per call, per row on SQLite). A vacancy
counts under its employer's contactpersoon and municipality, so an employer's hand-over or move
moves its vacancies' counts, and on PostgreSQL a vacancy change share-locks its employer: a
vacancy added while its employer is handed over waits, and counts under the new account manager.

``TALLY.rebuild`` recomputes the table (``flask crm rebuild-tallies``); its ``fresh_counts`` is
the GROUP BY the tests compare with.
"""

# ruff: noqa: S608 -- every SQL text here is built from constants of this module, never from input

from __future__ import annotations

from sqlalchemy import Integer, PrimaryKeyConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.models.base import Base
from crm.models.tallies import (
    SummaryTable,
    execute_per_call,
    only_if_changed,
    pg_function,
    statement_triggers,
    upsert,
)

KEY = ("contactpersoon_id", "municipality_id", "involvement_key", "status")
TABLE = "vacancy_tally"
_KEY_LIST = ", ".join(KEY)


class VacancyTally(Base):
    """Vacancies per pipeline group (see the module docstring). Written only by triggers."""

    __tablename__ = TABLE
    __table_args__ = (PrimaryKeyConstraint(*KEY, name="pk_vacancy_tally"),)
    contactpersoon_id: Mapped[int] = mapped_column(Integer)
    municipality_id: Mapped[int] = mapped_column(Integer)  # the vacancy's, else its employer's; 0: none
    involvement_key: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(25))
    n: Mapped[int] = mapped_column(Integer)


def fresh_sql(_dialect: str) -> str:
    return (
        "SELECT e.contactpersoon_id, coalesce(v.municipality_id, e.municipality_id, 0), v.involvement_key, v.status,"
        " count(*) FROM vacancy v JOIN employer e ON e.id = v.employer_id GROUP BY 1, 2, 3, 4"
    )


_COUNTED = ("employer_id", "municipality_id", "involvement_key", "status")
_INSERT = f"INSERT INTO {TABLE} AS t ({_KEY_LIST}, n)"

# PostgreSQL


def _pg_vacancy_delta(sources: list[tuple[int, str]]) -> str:
    rows = " UNION ALL ".join(f"SELECT {sign} AS sign, {', '.join(_COUNTED)} FROM {table}" for sign, table in sources)
    return (
        ";\n".join(
            execute_per_call(statement)
            for statement in (
                # the employers counted under, share-locked: see the module docstring
                f"SELECT 1 FROM employer WHERE id IN (SELECT employer_id FROM ({rows}) r) ORDER BY id FOR SHARE",
                f"{_INSERT} SELECT e.contactpersoon_id, coalesce(r.municipality_id, e.municipality_id, 0),"
                f" r.involvement_key, r.status, sum(r.sign) FROM ({rows}) r JOIN employer e ON e.id = r.employer_id"
                " GROUP BY 1, 2, 3, 4 HAVING sum(r.sign) <> 0 ORDER BY 1, 2, 3, 4" + upsert("t", KEY),
            )
        )
        + ";"
    )


_EMPLOYER_MOVED = (
    "n.contactpersoon_id IS DISTINCT FROM o.contactpersoon_id OR n.municipality_id IS DISTINCT FROM o.municipality_id"
)


def _pg_employer_moved() -> str:
    moved = (
        f"SELECT -1 AS sign, o.id, o.contactpersoon_id, o.municipality_id FROM old_rows o"
        f" JOIN new_rows n ON n.id = o.id WHERE {_EMPLOYER_MOVED}"
        f" UNION ALL SELECT 1, n.id, n.contactpersoon_id, n.municipality_id FROM old_rows o"
        f" JOIN new_rows n ON n.id = o.id WHERE {_EMPLOYER_MOVED}"
    )
    statement = (
        f"{_INSERT} SELECT x.contactpersoon_id, coalesce(v.municipality_id, x.municipality_id, 0),"
        f" v.involvement_key, v.status, sum(x.sign) FROM ({moved}) x JOIN vacancy v ON v.employer_id = x.id"
        " GROUP BY 1, 2, 3, 4 HAVING sum(x.sign) <> 0 ORDER BY 1, 2, 3, 4" + upsert("t", KEY)
    )
    return only_if_changed(_EMPLOYER_MOVED, execute_per_call(statement) + ";")


def _pg_functions() -> list[str]:
    return [
        pg_function(
            "vacancy_tally_vacancy",
            {
                "INSERT": _pg_vacancy_delta([(1, "new_rows")]),
                "DELETE": _pg_vacancy_delta([(-1, "old_rows")]),
                "UPDATE": only_if_changed(
                    " OR ".join(f"n.{c} IS DISTINCT FROM o.{c}" for c in _COUNTED),
                    _pg_vacancy_delta([(1, "new_rows"), (-1, "old_rows")]),
                ),
            },
        ),
        pg_function("vacancy_tally_employer", {"UPDATE": _pg_employer_moved()}),
    ]


def _pg_up() -> list[str]:
    return [
        *_pg_functions(),
        *statement_triggers("vacancy_tally", "vacancy", "vacancy_tally_vacancy"),
        "CREATE TRIGGER vacancy_tally_employer AFTER UPDATE ON employer"
        " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION vacancy_tally_employer()",
    ]


PG_DOWN = [
    "DROP TRIGGER IF EXISTS vacancy_tally_insert ON vacancy",
    "DROP TRIGGER IF EXISTS vacancy_tally_update ON vacancy",
    "DROP TRIGGER IF EXISTS vacancy_tally_delete ON vacancy",
    "DROP TRIGGER IF EXISTS vacancy_tally_employer ON employer",
    "DROP FUNCTION IF EXISTS vacancy_tally_vacancy()",
    "DROP FUNCTION IF EXISTS vacancy_tally_employer()",
]

# SQLite: row triggers (the WHERE after the SELECT of an upsert is the parser's rule).


def _sqlite_vacancy(row: str, sign: str) -> str:
    employer = f"(SELECT {{}} FROM employer WHERE id = {row}.employer_id)"
    return (
        f"INSERT INTO {TABLE} ({_KEY_LIST}, n) SELECT {employer.format('contactpersoon_id')},"
        f" coalesce({row}.municipality_id, {employer.format('municipality_id')}, 0),"
        f" {row}.involvement_key, {row}.status, {sign} WHERE true" + upsert(TABLE, KEY) + ";"
    )


def _sqlite_employer(row: str, sign: str) -> str:
    return (
        f"INSERT INTO {TABLE} ({_KEY_LIST}, n) SELECT {row}.contactpersoon_id,"
        f" coalesce(v.municipality_id, {row}.municipality_id, 0), v.involvement_key, v.status, {sign} * count(*)"
        f" FROM vacancy v WHERE v.employer_id = {row}.id GROUP BY 1, 2, 3, 4" + upsert(TABLE, KEY) + ";"
    )


def _sqlite_up() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _COUNTED)
    moved = "OLD.contactpersoon_id IS NOT NEW.contactpersoon_id OR OLD.municipality_id IS NOT NEW.municipality_id"
    return [
        f"CREATE TRIGGER vacancy_tally_insert AFTER INSERT ON vacancy BEGIN\n{_sqlite_vacancy('NEW', '1')}\nEND",
        f"CREATE TRIGGER vacancy_tally_delete AFTER DELETE ON vacancy BEGIN\n{_sqlite_vacancy('OLD', '-1')}\nEND",
        f"CREATE TRIGGER vacancy_tally_update AFTER UPDATE ON vacancy WHEN {changed} BEGIN\n"
        f"{_sqlite_vacancy('OLD', '-1')}\n{_sqlite_vacancy('NEW', '1')}\nEND",
        f"CREATE TRIGGER vacancy_tally_employer AFTER UPDATE OF contactpersoon_id, municipality_id ON employer"
        f" WHEN {moved} BEGIN\n{_sqlite_employer('OLD', '-1')}\n{_sqlite_employer('NEW', '1')}\nEND",
    ]


SQLITE_DOWN = [f"DROP TRIGGER IF EXISTS vacancy_tally_{name}" for name in ("insert", "update", "delete", "employer")]


TALLY = SummaryTable(TABLE, KEY, fresh_sql, "vacancy, employer", _pg_up, _sqlite_up, PG_DOWN, SQLITE_DOWN)
