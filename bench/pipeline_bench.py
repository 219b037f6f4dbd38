"""Benchmark of the pipeline pages (/pijplijn, /pijplijn/ambities, the drill-down, the partner
pages) on PostgreSQL with 100,000 trajectories. Target: < 150 ms per page.

    .venv/bin/python bench/pipeline_bench.py seed     # fresh schema, demo data, trajectories up to 100k
    .venv/bin/python bench/pipeline_bench.py run      # time the pages (median) against their bare SQL
    .venv/bin/python bench/pipeline_bench.py all      # both
    .venv/bin/python bench/pipeline_bench.py run --explain   # also print EXPLAIN ANALYZE of the slowest query
    .venv/bin/python bench/pipeline_bench.py check    # the tallies against a fresh GROUP BY, and their size
    .venv/bin/python bench/pipeline_bench.py writes   # what the tally triggers add to a write

At national size (1,000,000 trajectories, bench/PIPELINE.md), in a database of its own:

    CRM_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_pipe \
        .venv/bin/python bench/pipeline_bench.py seed --trajectories 1000000

The database comes from ``CRM_BENCH_DATABASE_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test_hh_bench``, created when missing). ``seed``
DROPS its schema. Seeding: the demo data (``crm.demo.seed``) with ``--employers`` employers (their
vacancies, contacts, follow-ups, participants and trajectories), then the trajectories are copied
with bulk ``INSERT ... SELECT`` (dates shifted back 0-364 days, ids offset, organisations
involved copied along) until there are ``--trajectories`` of them. Figures: bench/PIPELINE.md.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import bench_url, capture, log, make_app, seed_demo, time_page_once, time_sql_once, timer, upgrade  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from crm.extensions import db  # noqa: E402
from crm.models import (  # noqa: E402
    Employer,
    FollowUp,
    Organisation,
    Participant,
    Partnership,
    Trajectory,
    TrajectoryOrganisation,
    User,
    Vacancy,
)

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test_hh_bench"
EMPLOYERS = 20_000
TRAJECTORIES = 100_000


def ensure_database(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}):
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


# --- seeding ----------------------------------------------------------------------------------

TRAJECTORY_COLUMNS = (
    "kind, participant_id, employer_id, vacancy_id, partnership_id, period_id, regeling, qualification_name, "
    "crebo, planned_start, planned_end, actual_start, actual_end, guidance_hours, status, outcome, "
    "dropout_reason, dropout_text, created_by_id, version, created_at, updated_at, involvement_key"
)


def seed(app, employers: int, trajectories: int) -> dict:
    took: dict[str, float] = {}
    with app.app_context():
        seed_demo(app, employers, took)
        with timer(f"copy trajectories up to {trajectories}", took):
            copy_trajectories(trajectories)
        with timer("VACUUM ANALYZE", took), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        counts = {
            name: db.session.scalar(select(func.count()).select_from(model))
            for name, model in (
                ("employers", Employer),
                ("vacancies", Vacancy),
                ("follow_ups", FollowUp),
                ("participants", Participant),
                ("trajectories", Trajectory),
                ("trajectory_organisations", TrajectoryOrganisation),
            )
        }
        log(f"counts: {counts}")
    took["total"] = sum(took.values())
    log(f"seeding took {took['total']:.0f} s in all")
    return took


def copy_trajectories(target: int) -> None:
    """Copy the demo's trajectories (and their involved organisations) with bulk INSERT ... SELECT
    until there are ``target``: each round shifts all dates of the copies back by 0-364 days
    (per row), so starts spread over the programme periods, and sets the period by start year."""
    original_max = db.session.scalar(select(func.max(Trajectory.id))) or 0
    have = db.session.scalar(select(func.count()).select_from(Trajectory)) or 0
    if not have:
        raise SystemExit("the demo seed made no trajectories")
    round_ = 0
    while have < target:
        round_ += 1
        offset = original_max * round_
        take = min(target - have, have if round_ == 1 else original_max)
        db.session.execute(
            text(
                f"""
                INSERT INTO trajectory (id, {TRAJECTORY_COLUMNS})
                SELECT t.id + :offset, t.kind, t.participant_id, t.employer_id, t.vacancy_id, t.partnership_id,
                       NULL, t.regeling, t.qualification_name, t.crebo,
                       t.planned_start - s.days, t.planned_end - s.days,
                       t.actual_start - s.days, t.actual_end - s.days, t.guidance_hours, t.status, t.outcome,
                       t.dropout_reason, t.dropout_text, t.created_by_id, 1,
                       t.created_at - make_interval(days => s.days), t.updated_at - make_interval(days => s.days),
                       t.involvement_key
                FROM trajectory t
                CROSS JOIN LATERAL (SELECT ((t.id * 7919 + :round * 104729) % 365)::int AS days) s
                WHERE t.id <= :original_max
                ORDER BY t.id
                LIMIT :take
                """
            ),
            {"offset": offset, "round": round_, "original_max": original_max, "take": take},
        )
        db.session.execute(
            text(
                """
                INSERT INTO trajectory_organisation (trajectory_id, organisation_id, role)
                SELECT o.trajectory_id + :offset, o.organisation_id, o.role
                FROM trajectory_organisation o
                JOIN trajectory t ON t.id = o.trajectory_id + :offset
                WHERE o.trajectory_id <= :original_max
                """
            ),
            {"offset": offset, "original_max": original_max},
        )
        db.session.commit()
        have = db.session.scalar(select(func.count()).select_from(Trajectory))
        log(f"  round {round_}: {have} trajectories")
    db.session.execute(
        text(
            "UPDATE trajectory t SET period_id = p.id FROM programme_period p "
            "WHERE t.actual_start BETWEEN p.starts_on AND p.ends_on AND t.period_id IS DISTINCT FROM p.id"
        )
    )
    db.session.execute(
        text("SELECT setval(pg_get_serial_sequence('trajectory', 'id'), (SELECT max(id) FROM trajectory))")
    )
    db.session.commit()


# --- the indexes proposed for a migration ------------------------------------------------------

# Not in the migrations (the lead adds them): `run --indexes create` builds them, `--indexes drop`
# removes them, so both can be measured on the same data.
PROPOSED_INDEXES = {
    # covering for the per-account-manager / funnel query, the stand and the monthly chart:
    # index-only scans instead of reading the (wide) trajectory rows
    "ix_trajectory_pipeline": "ON trajectory (partnership_id, kind, status, actual_start, employer_id)",
}


def proposed_indexes(app, action: str) -> None:
    with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("DROP INDEX IF EXISTS ix_bench_trajectory_pipeline"))
        for name, definition in PROPOSED_INDEXES.items():
            if action == "create":
                conn.execute(text(f"CREATE INDEX IF NOT EXISTS {name} {definition}"))
            elif action == "drop":
                conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
        conn.execute(text("VACUUM ANALYZE trajectory"))
        present = conn.scalars(
            text("SELECT indexname FROM pg_indexes WHERE indexname = ANY(:names)"), {"names": list(PROPOSED_INDEXES)}
        ).all()
    log(f"proposed indexes present: {', '.join(sorted(present)) or 'none'}")


# --- timing -----------------------------------------------------------------------------------

# What every page of the layout runs: flask-login's user load, the navbar's organisation of
# that user, its unread-notification count.
FRAMEWORK = re.compile(
    r'FROM "?user"?\s+(?:LEFT OUTER JOIN organisation AS \w+ ON \S+ = "?user"?\.organisation_id\s+)?WHERE "?user"?\.id = |FROM organisation\s+WHERE organisation\.id = '
    r"|FROM notification\s+WHERE notification\.user_id = "
)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def signed_in_client(app, user: User):
    client = app.test_client()
    now = int(time.time())
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        sess["signed_in_at"] = sess["seen_at"] = sess["password_at"] = now
    return client


def run(app, runs: int = 15, explain: bool = False, only: str = "") -> list[dict]:
    with app.app_context():
        upgrade(db.engine)
        coordinator = db.session.scalar(select(User).where(User.email == "coordinator@demo.werkgeverscrm.nl"))
        admin = db.session.scalar(select(User).where(User.email == "admin@demo.werkgeverscrm.nl"))
        if coordinator is None or admin is None:
            raise SystemExit("No demo data: run `seed` first.")
        twente = db.session.scalar(select(Partnership.id).where(Partnership.name == "Leerwerkakkoord Twente"))
        techniek = db.session.scalar(select(Partnership.id).where(Partnership.name == "Sectorakkoord Techniek Oost"))
        roc = db.session.scalar(select(Organisation.id).where(Organisation.name == "ROC van Twente"))
        am = db.session.scalar(select(User.id).where(User.email == "accountmanager@demo.werkgeverscrm.nl"))
        region = db.session.scalar(text("SELECT id FROM region WHERE name = 'Twente'"))
        period = db.session.scalar(text("SELECT id FROM programme_period WHERE name = '2025'"))
        trajectories = db.session.scalar(select(func.count()).select_from(Trajectory))
        clients = {"coordinator": signed_in_client(app, coordinator), "admin": signed_in_client(app, admin)}
        db.session.remove()
    cases = [
        ("coordinator", "/pijplijn (own partnerships)", "/pijplijn"),
        ("admin", "/pijplijn (all partnerships)", "/pijplijn"),
        ("admin", "/pijplijn, partnership Techniek", f"/pijplijn?samenwerkingsverband={techniek}"),
        ("coordinator", "/pijplijn, period 2025", f"/pijplijn?periode={period}"),
        ("coordinator", "/pijplijn, region Twente", f"/pijplijn?regio={region}"),
        ("coordinator", "/pijplijn, organisation ROC", f"/pijplijn?organisatie={roc}"),
        ("coordinator", "/pijplijn, account manager", f"/pijplijn?accountmanager={am}"),
        ("coordinator", "/pijplijn/ambities (own)", "/pijplijn/ambities"),
        ("admin", "/pijplijn/ambities (all)", "/pijplijn/ambities"),
        ("coordinator", "drill-down: trajectories started", "/pijplijn/lijst?lijst=trajecten&maat=gestart_ooit"),
        (
            "coordinator",
            "drill-down: started, page 500",
            "/pijplijn/lijst?lijst=trajecten&maat=gestart_ooit&pagina=500",
        ),
        (
            "coordinator",
            "drill-down: stand duaal 2025",
            f"/pijplijn/lijst?lijst=trajecten&maat=stand&gestart_in={period}&soort=duaal",
        ),
        ("coordinator", "drill-down: employers 90+ days", "/pijplijn/lijst?lijst=werkgevers&maat=geen_contact"),
        ("coordinator", "drill-down: overdue follow-ups", "/pijplijn/lijst?lijst=opvolgacties&maat=te_laat"),
        ("coordinator", "/samenwerkingsverbanden/<Twente>", f"/samenwerkingsverbanden/{twente}"),
        ("coordinator", "/partners/<ROC>", f"/partners/{roc}"),
        ("coordinator", "/partners/<ROC>?toon=werkgevers", f"/partners/{roc}?toon=werkgevers"),
    ]
    cases = [case for case in cases if case[1].startswith(only)]
    results = []
    print(f"\n{trajectories} trajectories; {runs} rounds over all cases, page and bare SQL interleaved; medians in ms")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with app.app_context(), db.engine.connect() as conn:
        reference = []
        for _ in range(7):
            start = time.perf_counter()
            conn.execute(text("SELECT count(*), count(DISTINCT status) FROM trajectory")).all()
            reference.append(time.perf_counter() - start)
    # A yardstick for the machine's speed at this moment: one full scan of the trajectory table.
    print(f"reference: full scan of trajectory {ms(statistics.median(reference))} ms (median of 7)\n")
    header = f"| {'user':<11} | {'case':<40} | {'queries (own)':>13} | {'page':>7} | {'bare SQL':>8} | {'slowest query':>13} |"
    print(header)
    print("|" + "|".join("-" * len(part) for part in header.split("|")[1:-1]) + "|")
    with app.app_context():
        engine = db.engine
    # Round robin, as bench/employers_bench.py: every round times each case once (page, then its
    # bare SQL), so a slow spell of this shared VM hits all cases alike.
    timed = []
    for who, label, path in cases:
        statements, status = capture(app, clients[who], path)
        if status != 200:
            results.append({"user": who, "case": label, "path": path, "status": status})
            continue
        timed.append((who, label, path, statements, [], [], []))
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        for round_number in range(runs + 2):  # the first two warm up
            for who, _label, path, statements, pages, sqls, per_query in timed:
                page = time_page_once(clients[who], path)
                took, each = time_sql_once(raw, statements)
                if round_number >= 2:
                    pages.append(page)
                    sqls.append(took)
                    per_query.append(each)
        for who, label, path, statements, pages, sqls, per_query in timed:
            own = [s for s, _p in statements if not FRAMEWORK.search(s)]
            page, sql = statistics.median(pages), statistics.median(sqls)
            medians = [statistics.median(run[i] for run in per_query) for i in range(len(statements))]
            slowest = max(range(len(statements)), key=lambda i: medians[i])
            results.append(
                {
                    "user": who,
                    "case": label,
                    "path": path,
                    "queries": len(statements),
                    "own_queries": len(own),
                    "page_ms": page * 1000,
                    "sql_ms": sql * 1000,
                    "slowest_ms": medians[slowest] * 1000,
                }
            )
            queries = f"{len(statements)} ({len(own)})"
            print(
                f"| {who:<11} | {label:<40} | {queries:>13} | {ms(page):>7} | {ms(sql):>8} | {ms(medians[slowest]):>13} |"
            )
            if explain:
                statement, parameters = statements[slowest]
                with raw.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                    plan = "\n".join(r[0] for r in cursor.fetchall())
                raw.rollback()
                print(f"\n  slowest query of '{label}':\n  {statement[:300]}...\n{plan}\n")
    for row in results:
        if "status" in row:
            print(f"| {row['user']:<11} | {row['case']:<40} | HTTP {row['status']}: not timed |")
    worst = max((r for r in results if "page_ms" in r), key=lambda r: r["page_ms"])
    print(f"\nslowest page: {worst['case']} ({worst['user']}) {worst['page_ms']:.1f} ms (target < 150 ms)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return results


# --- the tallies --------------------------------------------------------------------------------


def check(app) -> None:
    """The stored tallies against a fresh GROUP BY over every trajectory (crm/models/tallies.py)."""
    from crm.models import tallies

    with app.app_context():
        upgrade(db.engine)
        connection = db.session.connection()
        start = time.perf_counter()
        fresh = tallies.fresh_counts(connection)
        took = time.perf_counter() - start
        stored = tallies.stored_counts(connection)
        for name in fresh:
            new, kept = fresh[name], stored[name]
            differing = len(set(new) ^ set(kept)) + sum(1 for key in set(new) & set(kept) if new[key] != kept[key])
            log(
                f"{name}: {len(kept)} rows (of {sum(kept.values())} trajectories), {differing} differ from a fresh count"
            )
        log(f"fresh GROUP BY of both took {took * 1000:.0f} ms")
        db.session.rollback()


def writes(app, rounds: int = 5, count: int = 200) -> None:
    """What the tally triggers add to writes: ``count`` single-row statements of each kind, with
    the triggers and with them disabled, alternately, each in a transaction rolled back."""
    import random

    with app.app_context():
        upgrade(db.engine)
        engine = db.engine
        ids = list(db.session.scalars(select(Trajectory.id).order_by(Trajectory.id)))
        employer_ids = list(
            db.session.scalars(select(Trajectory.employer_id).distinct().where(Trajectory.employer_id.is_not(None)))
        )
        users = list(db.session.scalars(select(Employer.contactpersoon_id).distinct()))
        db.session.remove()
    rng = random.Random(7)
    statements = {
        "trajectory: text field (no grouped column)": (
            "UPDATE trajectory SET regeling = regeling || 'x' WHERE id = :id",
            lambda: {"id": rng.choice(ids)},
        ),
        "trajectory: status change": (
            "UPDATE trajectory SET status = CASE status WHEN 'aangemeld' THEN 'intake' ELSE 'aangemeld' END "
            "WHERE id = :id AND status IN ('aangemeld', 'intake')",
            lambda: {"id": rng.choice(ids)},
        ),
        "employer: hand-over (all its trajectories)": (
            "UPDATE employer SET contactpersoon_id = :user WHERE id = :id",
            lambda: {"id": rng.choice(employer_ids), "user": rng.choice(users)},
        ),
    }
    results: dict[tuple[str, bool], list[float]] = {}
    for _ in range(rounds):
        for label, (sql, params) in statements.items():
            for triggers in (True, False):
                with engine.connect() as conn:
                    trans = conn.begin()
                    if not triggers:
                        conn.execute(text("ALTER TABLE trajectory DISABLE TRIGGER USER"))
                        conn.execute(text("ALTER TABLE employer DISABLE TRIGGER USER"))
                    statement = text(sql)
                    start = time.perf_counter()
                    for _i in range(count):
                        conn.execute(statement, params())
                    results.setdefault((label, triggers), []).append((time.perf_counter() - start) / count)
                    trans.rollback()
    print(f"\nms per statement, median of {rounds} rounds of {count}; load average {os.getloadavg()[0]:.2f}\n")
    print("| statement | with tally triggers | without | ratio |\n|---|---|---|---|")
    for label in statements:
        on, off = statistics.median(results[(label, True)]), statistics.median(results[(label, False)])
        print(f"| {label} | {on * 1000:.2f} | {off * 1000:.2f} | {on / off:.2f} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("seed", "run", "all", "check", "writes"))
    parser.add_argument("--runs", type=int, default=15, help="timed runs per case (median reported)")
    parser.add_argument("--employers", type=int, default=EMPLOYERS, help="employers for the demo seed")
    parser.add_argument("--trajectories", type=int, default=TRAJECTORIES, help="trajectories in all")
    parser.add_argument("--only", default="", help="time only the cases whose label starts with this")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest query of each page")
    parser.add_argument(
        "--indexes",
        choices=("create", "drop", "keep"),
        default="keep",
        help="create or drop the indexes proposed for a migration before timing (default: leave as is)",
    )
    args = parser.parse_args(argv)
    ensure_database(bench_url(DEFAULT_URL))
    app = make_app(bench_url(DEFAULT_URL))
    if args.what in ("seed", "all"):
        seed(app, args.employers, args.trajectories)
    if args.what in ("run", "all"):
        if args.indexes != "keep":
            proposed_indexes(app, args.indexes)
        run(app, runs=args.runs, explain=args.explain, only=args.only)
    if args.what == "check":
        check(app)
    if args.what == "writes":
        writes(app)


if __name__ == "__main__":
    main()
