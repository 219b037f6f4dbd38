"""What one scrape of ``/metrics`` costs with a large delivery table (crm.observability.metrics).

The mail-queue gauges are read from the ``delivery`` table at every scrape; this fills the
table with ``--rows`` sent deliveries (plus a few pending and failed ones, as in a running
installation) and times the scrape's queries and the whole rendering, with EXPLAIN.

    createdb -h 127.0.0.1 -U postgres bench_obs
    export CRM_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_obs
    .venv/bin/python bench/metrics_bench.py --rows 1000000        # DROPS the schema, seeds, times

Results: bench/OBSERVABILITY.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import text

from config import DevelopmentConfig
from crm import ROOT, create_app
from crm.extensions import db
from crm.models import Organisation, User
from crm.observability.metrics import MailQueueCollector, render


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--no-seed", action="store_true", help="time the data seeded by an earlier run")
    args = parser.parse_args()
    url = os.environ.get("CRM_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_obs")

    class Config(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = url
        SECRET_KEY = "bench-only-key-not-a-secret-0123456789"  # noqa: S105
        SECRET_KEY_FILE = None

    app = create_app(Config)
    with app.app_context():
        if not args.no_seed:
            seed(args.rows)
        time_scrape(args.runs)


def seed(rows: int) -> None:
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        cfg = AlembicConfig(toml_file=str(ROOT / "pyproject.toml"))
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
    started = time.perf_counter()
    organisation = Organisation(name="Bench", kind="gemeente")
    db.session.add(organisation)
    db.session.flush()
    user = User(
        email="bench@example.invalid",
        name="Bench",
        role="accountmanager",
        organisation_id=organisation.id,
        password_hash="x",
    )
    db.session.add(user)
    db.session.commit()
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO delivery (key, kind, user_id, status, attempts, next_attempt_at, last_error, "
                "message_id, created_at, sent_at) "
                "SELECT 'b:' || n, 'due', :user, "
                "CASE WHEN n % 10000 = 0 THEN 'pending' WHEN n % 20000 = 1 THEN 'failed' ELSE 'sent' END, "
                "1, now() - (n || ' seconds')::interval, '', '', now() - (n || ' seconds')::interval, now() "
                "FROM generate_series(1, :rows) AS n"
            ),
            {"rows": rows, "user": user.id},
        )
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE delivery"))  # as autovacuum would, soon after
    print(f"seeded {rows} deliveries in {time.perf_counter() - started:.1f} s")


def time_scrape(runs: int) -> None:
    with db.engine.connect() as connection:
        for query in (
            "SELECT status, count(*) FROM delivery WHERE status IN ('pending', 'failed') GROUP BY status",
            "SELECT min(created_at) FROM delivery WHERE status = 'pending'",
        ):
            plan = connection.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + query)).scalars().all()
            print(query, *plan, sep="\n  ")
    collector = MailQueueCollector()
    gauges, whole = [], []
    for _ in range(runs):
        started = time.perf_counter()
        values = {m.name: m.samples[0].value for m in collector.collect()}
        gauges.append(time.perf_counter() - started)
        started = time.perf_counter()
        render()
        whole.append(time.perf_counter() - started)
    print("gauges:", values)
    for name, times in (("mail-queue gauges", gauges), ("whole /metrics body", whole)):
        times.sort()
        print(
            f"{name}: median {statistics.median(times) * 1000:.1f} ms, "
            f"p95 {times[int(len(times) * 0.95) - 1] * 1000:.1f} ms over {len(times)} runs"
        )


if __name__ == "__main__":
    main()
