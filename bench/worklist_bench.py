"""Benchmark: the worklist (``/``) of an account manager with 25,000 employers and thousands of
open follow-ups: HTML size, query count and time. Results in bench/WORKLIST.md.

Run on demand, never by pytest (this folder is outside ``testpaths``):

    .venv/bin/python bench/worklist_bench.py seed             # a fresh SQLite file (default /tmp/worklist_bench.sqlite)
    .venv/bin/python bench/worklist_bench.py run              # measures the pages
    .venv/bin/python bench/worklist_bench.py run --code DIR   # ... with the application code from DIR
                                                             #     (e.g. an export of main, to compare)

``--database URL`` picks another database (``CRM_BENCH_DATABASE_URL`` too). ``seed`` builds the
demo partnership with ``--employers`` employers (default 25,000), then makes the demo account
manager the contactpersoon of every one of them (the benchmark's "25,000 employers per account
manager") and tops his open follow-ups up to ``--follow-ups`` (default 5,000: a third overdue,
a tenth today, the rest over the next six months), with bulk inserts.

``run`` signs in as that account manager through the sign-in form and requests each page
``--runs`` times (after two warm-up requests) through the Flask test client: the median time,
the HTML size (and gzipped, as a server would send it), and the number of SQL statements.
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "sqlite:////tmp/worklist_bench.sqlite"
AM_EMAIL = "accountmanager@demo.werkgeverscrm.nl"
PAGES = ("/", "/?sorteer=naam&pagina=400", "/?zoek=bouw", "/?groep=overdue", "/?groep=overdue&pagina=40")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("seed", "run"))
    parser.add_argument("--database", default=os.environ.get("CRM_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--employers", type=int, default=25_000)
    parser.add_argument("--follow-ups", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--code", type=Path, default=ROOT, help="the application code to measure")
    return parser.parse_args()


def seed(args: argparse.Namespace) -> None:
    from sqlalchemy import func, insert, select, update

    from crm.demo import seed as demo_seed
    from crm.extensions import db
    from crm.lib.clock import today
    from crm.models import Employer, FollowUp, User
    from crm.services.search import rebuild_search_text
    from tests.conftest import migrated_app

    if args.database.startswith("sqlite:///"):
        Path(args.database.removeprefix("sqlite:///")).unlink(missing_ok=True)
    start = time.perf_counter()
    app = migrated_app(args.database)
    with app.app_context():
        print(demo_seed(employers=args.employers, echo=lambda m: print(m, flush=True)).splitlines()[0])
        db.session.commit()
        seeded = time.perf_counter()
        am = db.session.scalar(select(User).where(User.email == AM_EMAIL))
        assert am is not None
        db.session.execute(update(Employer).values(contactpersoon_id=am.id))
        ids = list(db.session.scalars(select(Employer.id).order_by(Employer.id)))
        have = db.session.scalar(select(func.count()).where(FollowUp.owner_id == am.id, FollowUp.status == "open"))
        on = today()
        rows = []
        for i in range(max(0, args.follow_ups - (have or 0))):
            due = (
                on - timedelta(days=1 + i % 120)
                if i % 3 == 0
                else on
                if i % 10 == 1
                else on + timedelta(days=1 + i % 180)
            )
            rows.append(
                {
                    "owner_id": am.id,
                    "employer_id": ids[(i * 7) % len(ids)],
                    "subject": f"Terugbellen over de BBL-plek en de intake ({i})",
                    "due_date": due,
                }
            )
        for chunk in range(0, len(rows), 5000):
            db.session.execute(insert(FollowUp), rows[chunk : chunk + 5000])
        rebuild_search_text()
        db.session.commit()
        employers = db.session.scalar(select(func.count()).where(Employer.contactpersoon_id == am.id))
        open_ = db.session.scalar(select(func.count()).where(FollowUp.owner_id == am.id, FollowUp.status == "open"))
        print(
            f"demo seed {seeded - start:.0f} s, in all {time.perf_counter() - start:.0f} s: "
            f"{employers} employers and {open_} open follow-ups for {AM_EMAIL}"
        )


def run(args: argparse.Namespace) -> None:
    from sqlalchemy import event

    from config import TestingConfig
    from crm import create_app
    from crm.demo.data import DEMO_PASSWORD as PASSWORD
    from crm.extensions import db

    class BenchConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = args.database
        CELERY_BROKER_URL = "memory://"
        WTF_CSRF_ENABLED = False

    app = create_app(BenchConfig)
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    answer = client.post("/login", data={"email": AM_EMAIL, "password": PASSWORD})
    assert answer.status_code == 302, answer.status_code
    print(f"code: {args.code}  database: {args.database}")
    print("| page | HTML | gzipped | queries | median | min |")
    print("|---|---:|---:|---:|---:|---:|")
    for path in PAGES:
        statements: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany, statements=statements):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        response = client.get(path)
        event.remove(engine, "before_cursor_execute", record)
        if response.status_code != 200:
            print(f"| `{path}` | status {response.status_code} | | | | |")
            continue
        body = response.get_data()
        for _ in range(2):
            client.get(path).get_data()
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            client.get(path).get_data()
            times.append(time.perf_counter() - start)
        print(
            f"| `{path}` | {len(body) / 1000:.0f} kB | {len(gzip.compress(body)) / 1000:.0f} kB | "
            f"{len(statements)} | {statistics.median(times) * 1000:.0f} ms | {min(times) * 1000:.0f} ms |",
            flush=True,
        )


def main() -> None:
    args = parse()
    sys.path.insert(0, str(args.code.resolve()))
    if args.code.resolve() != ROOT:
        os.chdir(args.code)
    sys.path.insert(1, str(ROOT))  # tests/ (the sign-in password, the migrated app)
    if args.action == "seed":
        seed(args)
    else:
        run(args)


if __name__ == "__main__":
    main()
