"""Trajectory counts kept up to date in the database: the summary rows the coordinator's pages
read instead of grouping a million trajectories on every request (crm.services.pipeline).

Three tables:

- ``trajectory_tally``: the number of trajectories per (partnership, employer's contactpersoon,
  region key, kind, status, has a start date, ``involvement_key``). These are exactly the
  columns /pijplijn groups and filters on, so every number of that page is a sum of tally rows.
  The region key is the employer's municipality, or for a trajectory without employer the
  participant's, as the region filter reads it; 0 stands for "none" (a unique key needs no
  NULLs). At a million trajectories of the benchmark: ~5,500 rows.
- ``trajectory_month_tally``: the same per month registered (UTC), for the period filter: whole
  months from here, the hour or two at a period's ends from the trajectories themselves
  (``crm.services.pipeline.scope.period_split``). ~87,000 rows there: the month multiplies
  the groups, which is why the page without a period filter reads the table without it.
- ``trajectory_start_tally``: started trajectories (the Stand rule, ``STARTED``) per
  (partnership, kind, actual start date): the ambition table and its charts.

**Why triggers, not ORM flush hooks.** The counts must follow *every* change of a grouped
column in the same transaction: the trajectory service, a hand-over (the employer's
contactpersoon moves all its trajectories to another account manager), a participant moving
(the region of a trajectory without employer), the involvement keys written by a Core UPDATE in
a flush hook, a merge of employers (a bulk UPDATE), erasure, imports, the demo seeder and the
benchmark's ``INSERT ... SELECT``. A trigger sees all of those, whichever path wrote them; a
flush hook sees only the ORM's own statements. Each trigger keeps one invariant, statement by
statement: *the tally equals a fresh GROUP BY over the current rows*.

**Concurrency.** Every change is an ``INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n``:
two transactions counting into the same row both add (PostgreSQL locks the row for the second
until the first ends; SQLite's write lock serialises them). Never a read-then-write. On
PostgreSQL a trajectory change also share-locks the employer (or participant) it is counted
under, so it waits for a concurrent hand-over or move of that employer and counts under its
outcome, and a hand-over waits for trajectory changes of that employer in progress. On
PostgreSQL the triggers are per statement with transition tables (a bulk insert of 900,000
rows is one grouped upsert, its rows in key order); on SQLite per row.

**Plans.** PL/pgSQL caches one plan per statement and connection, and a transition table's
size is planned as it is at the first call: a connection whose first trigger call was a bulk
statement (a hand-over of 10,000 employers, an import) kept a plan that hashed the whole
trajectory table for every later one-row change of an employer, a seq scan of every trajectory
each time a contact was logged (the contact stamps ``employer.last_contact_at``). So each
trigger first asks whether anything it counts changed at all (the answer for nearly every
employer update), and runs its counting statements with ``EXECUTE``: planned at each call for
the rows at hand. Measured on the load benchmark's database (100,000 employers, 48,508
trajectories), in a connection whose first trigger call was an update of 20,000 employers: a
one-row employer update took 1.1-1.3 s before, 0.5 ms now; a one-row hand-over 1.1-1.5 s, now
1.6-2.2 ms; the bulk update itself 3.3-3.9 s, now 2.2-2.4 s. After an update of 10,000
trajectories: a one-row trajectory status change took 145-154 ms, now 3.6-3.7 ms (an update of a
column no count depends on: 163 ms, now 0.7-0.9 ms).

Rows whose count drops to 0 stay (readers skip them); :func:`rebuild` recomputes both tables
from scratch (``flask crm rebuild-tallies``), and :func:`fresh_counts` is the GROUP BY the tests
compare against.
"""

# ruff: noqa: S608 -- every SQL text here is built from constants of this module, never from input

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Boolean, Connection, Integer, PrimaryKeyConstraint, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from crm.models.base import Base

STARTED_STATUSES = ("gestart", "afgerond", "uitgevallen")  # the Stand rule (pipeline.scope.STARTED)

TALLY_KEY = (
    "partnership_id",
    "contactpersoon_id",
    "municipality_id",
    "kind",
    "status",
    "has_start",
    "involvement_key",
)
MONTH_KEY = (*TALLY_KEY, "created_month")
START_KEY = ("partnership_id", "kind", "actual_start")
GROUP_TALLIES = {"trajectory_tally": TALLY_KEY, "trajectory_month_tally": MONTH_KEY}


class TrajectoryTally(Base):
    """Trajectories per pipeline group (see the module docstring). Written only by triggers."""

    __tablename__ = "trajectory_tally"
    __table_args__ = (PrimaryKeyConstraint(*TALLY_KEY, name="pk_trajectory_tally"),)
    partnership_id: Mapped[int] = mapped_column(Integer)
    contactpersoon_id: Mapped[int] = mapped_column(Integer)  # 0: no employer
    municipality_id: Mapped[int] = mapped_column(Integer)  # 0: none
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(15))
    has_start: Mapped[bool] = mapped_column(Boolean(create_constraint=False))
    involvement_key: Mapped[str] = mapped_column(Text)
    n: Mapped[int] = mapped_column(Integer)


class TrajectoryMonthTally(Base):
    """Trajectories per pipeline group and month registered. Written only by triggers."""

    __tablename__ = "trajectory_month_tally"
    __table_args__ = (PrimaryKeyConstraint(*MONTH_KEY, name="pk_trajectory_month_tally"),)
    partnership_id: Mapped[int] = mapped_column(Integer)
    contactpersoon_id: Mapped[int] = mapped_column(Integer)
    municipality_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(15))
    has_start: Mapped[bool] = mapped_column(Boolean(create_constraint=False))
    involvement_key: Mapped[str] = mapped_column(Text)
    created_month: Mapped[int] = mapped_column(Integer)  # 202501: registered in January 2025 (UTC)
    n: Mapped[int] = mapped_column(Integer)


class TrajectoryStartTally(Base):
    """Started trajectories per (partnership, kind, start date). Written only by triggers."""

    __tablename__ = "trajectory_start_tally"
    __table_args__ = (PrimaryKeyConstraint(*START_KEY, name="pk_trajectory_start_tally"),)
    partnership_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    actual_start: Mapped[date]
    n: Mapped[int] = mapped_column(Integer)


# --- the SQL, per dialect ---------------------------------------------------------------------

_STARTED_SQL = ", ".join(f"'{s}'" for s in STARTED_STATUSES)
_START_LIST = ", ".join(START_KEY)


def month_sql(column: str, dialect: str) -> str:
    if dialect == "postgresql":
        return (
            f"(extract(year FROM {column} AT TIME ZONE 'UTC') * 100"
            f" + extract(month FROM {column} AT TIME ZONE 'UTC'))::integer"
        )
    return f"CAST(strftime('%Y%m', {column}) AS INTEGER)"


def _positions(key: tuple) -> str:
    return ", ".join(str(i) for i in range(1, len(key) + 1))


def _group_columns(key: tuple, dialect: str, *, contactpersoon: str, municipality: str) -> str:
    """The key's columns for trajectory rows ``r``: the employer-derived two given as SQL."""
    columns = (
        f"r.partnership_id, {contactpersoon}, {municipality},"
        " r.kind, r.status, r.actual_start IS NOT NULL, r.involvement_key"
    )
    return columns + (f", {month_sql('r.created_at', dialect)}" if "created_month" in key else "")


_JOINED_CONTACTPERSOON = "coalesce(e.contactpersoon_id, 0)"
_JOINED_MUNICIPALITY = (
    "CASE WHEN r.employer_id IS NULL THEN coalesce(p.municipality_id, 0) ELSE coalesce(e.municipality_id, 0) END"
)
_JOINS = """
        LEFT JOIN employer e ON e.id = r.employer_id
        LEFT JOIN participant p ON p.id = r.participant_id AND r.employer_id IS NULL"""


def upsert(table: str, key: tuple) -> str:
    return f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET n = {table}.n + excluded.n"


def fresh_sql(table: str, dialect: str) -> str:
    """A group tally computed from scratch: a GROUP BY over every trajectory."""
    key = GROUP_TALLIES[table]
    columns = _group_columns(key, dialect, contactpersoon=_JOINED_CONTACTPERSOON, municipality=_JOINED_MUNICIPALITY)
    return f"SELECT {columns}, count(*) FROM trajectory r {_JOINS} GROUP BY {_positions(key)}"


FRESH_START_SQL = f"""
    SELECT partnership_id, kind, actual_start, count(*) FROM trajectory
    WHERE actual_start IS NOT NULL AND status IN ({_STARTED_SQL})
    GROUP BY partnership_id, kind, actual_start"""


# A trajectory's columns its counts depend on (with its employer's and participant's).
_GROUPED_COLUMNS = (
    "partnership_id",
    "employer_id",
    "participant_id",
    "kind",
    "status",
    "actual_start",
    "involvement_key",
    "created_at",
)


# PostgreSQL: statement-level triggers with transition tables; each branch feeds signed rows
# (+1 new, -1 old) through one grouped upsert per tally, in key order (fewer deadlocks).

_TRAJECTORY_COLUMNS = (
    "partnership_id, employer_id, participant_id, kind, status, actual_start, involvement_key, created_at"
)


def execute_per_call(sql: str) -> str:
    """A statement of a trigger function, planned at each call (see *Plans* above)."""
    return f"EXECUTE $sql${sql}$sql$"


def _pg_trajectory_delta(sources: list[tuple[int, str]]) -> str:
    changed = " UNION ALL ".join(
        f"SELECT {sign} AS sign, {_TRAJECTORY_COLUMNS} FROM {table}" for sign, table in sources
    )
    # Share-lock the employers (and, without employer, participants) the rows are counted
    # under: a concurrent hand-over or move holds them, so this waits for it and the upserts
    # below (each with a fresh snapshot) count under its outcome. Without the lock, a
    # trajectory added during a hand-over would be counted under the old account manager while
    # the hand-over moved only the trajectories it saw: a count in the wrong group for good.
    statements = [
        f"SELECT 1 FROM employer WHERE id IN (SELECT employer_id FROM ({changed}) r) ORDER BY id FOR SHARE",
        f"SELECT 1 FROM participant WHERE id IN (SELECT participant_id FROM ({changed}) r"
        " WHERE employer_id IS NULL) ORDER BY id FOR SHARE",
    ]
    for table, key in GROUP_TALLIES.items():
        columns = _group_columns(
            key, "postgresql", contactpersoon=_JOINED_CONTACTPERSOON, municipality=_JOINED_MUNICIPALITY
        )
        statements.append(
            f"INSERT INTO {table} AS t ({', '.join(key)}, n) SELECT {columns}, sum(r.sign) FROM ({changed}) r {_JOINS}"
            f" GROUP BY {_positions(key)} HAVING sum(r.sign) <> 0 ORDER BY {_positions(key)}" + upsert("t", key)
        )
    statements.append(
        f"INSERT INTO trajectory_start_tally AS t ({_START_LIST}, n)"
        f" SELECT r.partnership_id, r.kind, r.actual_start, sum(r.sign) FROM ({changed}) r"
        f" WHERE r.actual_start IS NOT NULL AND r.status IN ({_STARTED_SQL})"
        " GROUP BY 1, 2, 3 HAVING sum(r.sign) <> 0 ORDER BY 1, 2, 3" + upsert("t", START_KEY)
    )
    return ";\n".join(execute_per_call(statement) for statement in statements) + ";"


def _pg_moved(owner: str, changed_when: str) -> str:
    """When an employer's contactpersoon or municipality, or a participant's municipality,
    changes: its trajectories' counts move from the old key to the new one."""
    changed = (
        f"SELECT -1 AS sign, o.* FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {changed_when}"
        f" UNION ALL SELECT 1, n.* FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {changed_when}"
    )
    if owner == "employer":
        contactpersoon, municipality = "coalesce(x.contactpersoon_id, 0)", "coalesce(x.municipality_id, 0)"
        join = "r.employer_id = x.id"
    else:  # trajectories without employer count in their participant's municipality
        contactpersoon, municipality = "0", "coalesce(x.municipality_id, 0)"
        join = "r.participant_id = x.id AND r.employer_id IS NULL"
    statements = []
    for table, key in GROUP_TALLIES.items():
        columns = _group_columns(key, "postgresql", contactpersoon=contactpersoon, municipality=municipality)
        statements.append(
            f"INSERT INTO {table} AS t ({', '.join(key)}, n) SELECT {columns}, sum(x.sign)"
            f" FROM ({changed}) x JOIN trajectory r ON {join}"
            f" GROUP BY {_positions(key)} HAVING sum(x.sign) <> 0 ORDER BY {_positions(key)}" + upsert("t", key)
        )
    return only_if_changed(changed_when, ";\n".join(execute_per_call(statement) for statement in statements) + ";")


def only_if_changed(changed_when: str, sql: str) -> str:
    """``sql`` only when some updated row changed as ``changed_when`` says (comparing ``o``, the
    old row, with ``n``, the new one): one join of the two transition tables, as big as the
    statement (planned for their size), where the counting would join every trajectory.
    A count, not ``EXISTS``: that is planned to stop at the first match, as a nested loop that
    compares every old row with every new one when nothing matches (minutes for 20,000 rows)."""
    count = f"SELECT count(*) FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {changed_when}"
    return f"{execute_per_call(count)} INTO changed;\nIF changed > 0 THEN\n{sql}\nEND IF;"


def pg_function(name: str, branches: dict[str, str]) -> str:
    body = ""
    for index, (op, sql) in enumerate(branches.items()):
        body += f"{'IF' if index == 0 else 'ELSIF'} TG_OP = '{op}' THEN\n{sql}\n"
    body += "END IF;\nRETURN NULL;"
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"DECLARE changed bigint;\nBEGIN\n{body}\nEND;\n$$"
    )


def _pg_functions() -> list[str]:
    employer_changed = "n.contactpersoon_id IS DISTINCT FROM o.contactpersoon_id OR n.municipality_id IS DISTINCT FROM o.municipality_id"
    return [
        pg_function(
            "trajectory_tally_trajectory",
            {
                "INSERT": _pg_trajectory_delta([(1, "new_rows")]),
                "DELETE": _pg_trajectory_delta([(-1, "old_rows")]),
                "UPDATE": only_if_changed(
                    " OR ".join(f"n.{c} IS DISTINCT FROM o.{c}" for c in _GROUPED_COLUMNS),
                    _pg_trajectory_delta([(1, "new_rows"), (-1, "old_rows")]),
                ),
            },
        ),
        pg_function("trajectory_tally_employer", {"UPDATE": _pg_moved("employer", employer_changed)}),
        pg_function(
            "trajectory_tally_participant",
            {"UPDATE": _pg_moved("participant", "n.municipality_id IS DISTINCT FROM o.municipality_id")},
        ),
    ]


_TRANSITIONS = {
    "INSERT": "NEW TABLE AS new_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
}


def statement_triggers(prefix: str, table: str, function: str, ops=("INSERT", "UPDATE", "DELETE")) -> list[str]:
    """PostgreSQL: ``{prefix}_{op}`` triggers after each of ``ops`` on ``table``, per statement,
    with the transition tables ``new_rows`` / ``old_rows``, calling ``function``."""
    return [
        f"CREATE TRIGGER {prefix}_{op.lower()} AFTER {op} ON {table} REFERENCING {_TRANSITIONS[op]}"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        for op in ops
    ]


def _pg_up() -> list[str]:
    statements = _pg_functions() + statement_triggers("trajectory_tally", "trajectory", "trajectory_tally_trajectory")
    for table in ("employer", "participant"):
        statements.append(
            f"CREATE TRIGGER trajectory_tally_{table} AFTER UPDATE ON {table}"
            f" REFERENCING {_TRANSITIONS['UPDATE']} FOR EACH STATEMENT EXECUTE FUNCTION trajectory_tally_{table}()"
        )
    return statements


PG_DOWN = [
    "DROP TRIGGER IF EXISTS trajectory_tally_insert ON trajectory",
    "DROP TRIGGER IF EXISTS trajectory_tally_update ON trajectory",
    "DROP TRIGGER IF EXISTS trajectory_tally_delete ON trajectory",
    "DROP TRIGGER IF EXISTS trajectory_tally_employer ON employer",
    "DROP TRIGGER IF EXISTS trajectory_tally_participant ON participant",
    "DROP FUNCTION IF EXISTS trajectory_tally_trajectory()",
    "DROP FUNCTION IF EXISTS trajectory_tally_employer()",
    "DROP FUNCTION IF EXISTS trajectory_tally_participant()",
]


# SQLite: row triggers. The SELECT of an upsert needs a WHERE (the parser's rule).


def _sqlite_row(row: str, sign: str) -> str:
    contactpersoon = f"coalesce((SELECT contactpersoon_id FROM employer WHERE id = {row}.employer_id), 0)"
    municipality = (
        f"CASE WHEN {row}.employer_id IS NULL"
        f" THEN coalesce((SELECT municipality_id FROM participant WHERE id = {row}.participant_id), 0)"
        f" ELSE coalesce((SELECT municipality_id FROM employer WHERE id = {row}.employer_id), 0) END"
    )
    statements = []
    for table, key in GROUP_TALLIES.items():
        columns = _group_columns(key, "sqlite", contactpersoon=contactpersoon, municipality=municipality)
        statements.append(
            f"INSERT INTO {table} ({', '.join(key)}, n) SELECT {columns.replace('r.', row + '.')}, {sign} WHERE true"
            + upsert(table, key)
            + ";"
        )
    statements.append(
        f"INSERT INTO trajectory_start_tally ({_START_LIST}, n)"
        f" SELECT {row}.partnership_id, {row}.kind, {row}.actual_start, {sign}"
        f" WHERE {row}.actual_start IS NOT NULL AND {row}.status IN ({_STARTED_SQL})"
        + upsert("trajectory_start_tally", START_KEY)
        + ";"
    )
    return "\n".join(statements)


def _sqlite_moved(owner: str, row: str, sign: str) -> str:
    if owner == "employer":
        contactpersoon, municipality = f"coalesce({row}.contactpersoon_id, 0)", f"coalesce({row}.municipality_id, 0)"
        where = f"r.employer_id = {row}.id"
    else:
        contactpersoon, municipality = "0", f"coalesce({row}.municipality_id, 0)"
        where = f"r.participant_id = {row}.id AND r.employer_id IS NULL"
    statements = []
    for table, key in GROUP_TALLIES.items():
        columns = _group_columns(key, "sqlite", contactpersoon=contactpersoon, municipality=municipality)
        statements.append(
            f"INSERT INTO {table} ({', '.join(key)}, n) SELECT {columns}, {sign} * count(*)"
            f" FROM trajectory r WHERE {where} GROUP BY {_positions(key)}" + upsert(table, key) + ";"
        )
    return "\n".join(statements)


def _sqlite_up() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _GROUPED_COLUMNS)
    employer_changed = (
        "OLD.contactpersoon_id IS NOT NEW.contactpersoon_id OR OLD.municipality_id IS NOT NEW.municipality_id"
    )
    return [
        f"CREATE TRIGGER trajectory_tally_insert AFTER INSERT ON trajectory BEGIN\n{_sqlite_row('NEW', '1')}\nEND",
        f"CREATE TRIGGER trajectory_tally_delete AFTER DELETE ON trajectory BEGIN\n{_sqlite_row('OLD', '-1')}\nEND",
        f"CREATE TRIGGER trajectory_tally_update AFTER UPDATE ON trajectory WHEN {changed} BEGIN\n"
        f"{_sqlite_row('OLD', '-1')}\n{_sqlite_row('NEW', '1')}\nEND",
        f"CREATE TRIGGER trajectory_tally_employer AFTER UPDATE OF contactpersoon_id, municipality_id ON employer"
        f" WHEN {employer_changed} BEGIN\n"
        f"{_sqlite_moved('employer', 'OLD', '-1')}\n{_sqlite_moved('employer', 'NEW', '1')}\nEND",
        "CREATE TRIGGER trajectory_tally_participant AFTER UPDATE OF municipality_id ON participant"
        " WHEN OLD.municipality_id IS NOT NEW.municipality_id BEGIN\n"
        f"{_sqlite_moved('participant', 'OLD', '-1')}\n{_sqlite_moved('participant', 'NEW', '1')}\nEND",
    ]


SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS trajectory_tally_{name}"
    for name in ("insert", "update", "delete", "employer", "participant")
]


def create_triggers(connection: Connection) -> None:
    for statement in _pg_up() if connection.dialect.name == "postgresql" else _sqlite_up():
        connection.execute(text(statement))


def replace_functions(connection: Connection) -> None:
    """The trigger functions as this module writes them (PostgreSQL; SQLite's row triggers have
    no plans to keep): for a migration that changes how they count, not what."""
    if connection.dialect.name == "postgresql":
        for statement in _pg_functions():
            connection.execute(text(statement))


def drop_triggers(connection: Connection) -> None:
    for statement in PG_DOWN if connection.dialect.name == "postgresql" else SQLITE_DOWN:
        connection.execute(text(statement))


ALL_TALLIES = (*GROUP_TALLIES, "trajectory_start_tally")


def _fresh(table: str, dialect: str) -> str:
    return FRESH_START_SQL if table == "trajectory_start_tally" else fresh_sql(table, dialect)


def _key_of(table: str) -> tuple:
    return START_KEY if table == "trajectory_start_tally" else GROUP_TALLIES[table]


def rebuild(connection: Connection) -> dict[str, int]:
    """Recompute every tally from the trajectories (after a restore, or to check them).
    On PostgreSQL the tables they count are locked against writes meanwhile, so no change slips
    between the delete and the fresh count. Returns the number of rows written per tally."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text("LOCK TABLE trajectory, employer, participant IN SHARE MODE"))
    written = {}
    for table in ALL_TALLIES:
        connection.execute(text(f"DELETE FROM {table}"))
        key = ", ".join(_key_of(table))
        written[table] = connection.execute(text(f"INSERT INTO {table} ({key}, n) {_fresh(table, dialect)}")).rowcount
    return written


def fresh_counts(connection: Connection) -> dict[str, dict[tuple, int]]:
    """Every tally as a fresh GROUP BY over the trajectories has it (table -> key -> count)."""
    dialect = connection.dialect.name
    return {
        table: {tuple(row[:-1]): row[-1] for row in connection.execute(text(_fresh(table, dialect)))}
        for table in ALL_TALLIES
    }


def stored_counts(connection: Connection) -> dict[str, dict[tuple, int]]:
    """Every tally as stored, rows of 0 left out (table -> key -> count)."""
    return {
        table: {
            tuple(row[:-1]): row[-1]
            for row in connection.execute(text(f"SELECT {', '.join(_key_of(table))}, n FROM {table} WHERE n <> 0"))
        }
        for table in ALL_TALLIES
    }


@dataclass(frozen=True)
class SummaryTable:
    """A summary table of one key kept by triggers (``employer_tally``, ``vacancy_tally``): its
    triggers per dialect, and the rebuild and the comparison with a fresh ``GROUP BY`` that
    :func:`rebuild` and :func:`fresh_counts` give the trajectory tallies."""

    table: str
    key: tuple[str, ...]
    fresh_sql: Callable[[str], str]  # the GROUP BY over the counted rows, for a dialect
    locked: str  # the tables a rebuild locks against writes (PostgreSQL)
    pg_up: Callable[[], list[str]]
    sqlite_up: Callable[[], list[str]]
    pg_down: list[str]
    sqlite_down: list[str]

    def create_triggers(self, connection: Connection) -> None:
        for statement in self.pg_up() if connection.dialect.name == "postgresql" else self.sqlite_up():
            connection.execute(text(statement))

    def drop_triggers(self, connection: Connection) -> None:
        for statement in self.pg_down if connection.dialect.name == "postgresql" else self.sqlite_down:
            connection.execute(text(statement))

    def rebuild(self, connection: Connection) -> int:
        """Recompute the table from the rows it counts; returns the number of rows written."""
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"LOCK TABLE {self.locked} IN SHARE MODE"))
        connection.execute(text(f"DELETE FROM {self.table}"))
        fresh = self.fresh_sql(connection.dialect.name)
        return connection.execute(text(f"INSERT INTO {self.table} ({', '.join(self.key)}, n) {fresh}")).rowcount

    def fresh_counts(self, connection: Connection) -> dict[tuple, int]:
        """The table as a fresh GROUP BY has it (key -> count)."""
        return {tuple(row[:-1]): row[-1] for row in connection.execute(text(self.fresh_sql(connection.dialect.name)))}

    def stored_counts(self, connection: Connection) -> dict[tuple, int]:
        """The table as stored, rows of 0 left out (key -> count)."""
        stored = text(f"SELECT {', '.join(self.key)}, n FROM {self.table} WHERE n <> 0")
        return {tuple(row[:-1]): row[-1] for row in connection.execute(stored)}
