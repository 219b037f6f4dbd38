"""Benchmark of the employer list (/werkgevers) and the employer detail page at scale.

Run on demand, never by pytest (this folder is outside ``testpaths``). See bench/README.md.

    .venv/bin/python bench/employers_bench.py seed     # migrate, 100k employers, 1M contacts
    .venv/bin/python bench/employers_bench.py run      # time the pages against their bare SQL
    .venv/bin/python bench/employers_bench.py all      # both

The database comes from ``CRM_BENCH_DATABASE_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test_ha_bench``). ``seed`` DROPS its schema.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import bench_url, capture, log, make_app, seed_demo, time_page_once, time_sql_once, timer, upgrade  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402

from crm.extensions import db  # noqa: E402
from crm.models import Contact, Employer, User  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test_ha_bench"
EMPLOYERS = 100_000
CONTACTS = 1_000_000
DETAIL_CONTACTS = 500
BATCH = 10_000
SEED = 2026
CHANNELS = ("telefoon", "bezoek", "email", "leerwerkloket", "mobiel_leerwerkloket", "bijeenkomst", "overig")
SUMMARIES = (
    "Gebeld over BBL-plekken voor volgend schooljaar.",
    "Bezoek op locatie: rondleiding en gesprek over een leerwerktraject.",
    "Mail gestuurd met informatie over de subsidieregeling praktijkleren.",
    "Gesprek op het leerwerkloket over een EVC-traject voor twee medewerkers.",
    "Teruggebeld over de vacature; intake gepland.",
)


# --- seeding ----------------------------------------------------------------------------------


def seed(app) -> dict:
    """Fresh schema at head, reference data, 100k demo employers, 1M contacts, search text, ANALYZE."""
    took: dict[str, float] = {}
    with app.app_context():
        seed_demo(app, EMPLOYERS, took)
        with timer("contacts top-up to 1M", took):
            added = top_up_contacts()
        log(f"{added} contacts added")
        with timer("last_contact_at", took):
            db.session.execute(
                text(
                    "UPDATE employer e SET last_contact_at = c.last FROM "
                    "(SELECT employer_id, max(occurred_at) AS last FROM contact GROUP BY employer_id) c "
                    "WHERE c.employer_id = e.id AND e.last_contact_at IS DISTINCT FROM c.last"
                )
            )
            db.session.commit()
        from crm.services.search import rebuild_search_text

        with timer("rebuild_search_text", took):
            rebuild_search_text(batch=5000)
            db.session.commit()
        with timer("VACUUM ANALYZE", took), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
            # docs/SCALING.md step 0 (the CRM sets it on its own connections): older code compared
            # by bench/load.py compare then runs without parallel query too
            conn.execute(text(f'ALTER DATABASE "{db.engine.url.database}" SET max_parallel_workers_per_gather = 0'))
        counts = {
            "employers": db.session.scalar(select(func.count()).select_from(Employer)),
            "contacts": db.session.scalar(select(func.count()).select_from(Contact)),
        }
        log(f"counts: {counts}")
    took["total"] = sum(took.values())
    log(f"seeding took {took['total']:.0f} s in all")
    return took


def top_up_contacts() -> int:
    """Bulk-insert contacts (batches of BATCH rows) until there are CONTACTS, and make the first
    employer (by id) one with DETAIL_CONTACTS contacts, for the detail page."""
    rng = random.Random(SEED)
    now = datetime.now(UTC).replace(microsecond=0)
    employer_ids = list(db.session.scalars(select(Employer.id).order_by(Employer.id)))
    authors = db.session.execute(select(User.id, User.organisation_id).where(User.active)).all()
    if not authors:
        raise SystemExit("no users to author contacts")
    detail_id = employer_ids[0]
    have = db.session.scalar(select(func.count()).select_from(Contact))
    have_detail = db.session.scalar(select(func.count()).where(Contact.employer_id == detail_id))
    needed_detail = max(0, DETAIL_CONTACTS - have_detail)
    needed = max(0, CONTACTS - have)
    added = 0

    def row(employer_id: int) -> dict:
        author_id, organisation_id = rng.choice(authors)
        # a third in the last 90 days, the rest over three years
        days = rng.random() * 90 if rng.random() < 0.33 else 90 + rng.random() * 1000
        return {
            "employer_id": employer_id,
            "author_id": author_id,
            "organisation_id": organisation_id,
            "occurred_at": now - timedelta(days=days, minutes=rng.randint(0, 600)),
            "channel": rng.choice(CHANNELS),
            "summary": rng.choice(SUMMARIES),
            "outcome": "",
            "visibility": "gedeeld" if rng.random() < 0.9 else "intern",
            "created_at": now,
            "updated_at": now,
        }

    table = Contact.__table__
    pending = [row(detail_id) for _ in range(needed_detail)]
    remaining = needed - len(pending)
    while remaining > 0 or pending:
        take = min(BATCH - len(pending), remaining)
        pending.extend(row(rng.choice(employer_ids)) for _ in range(max(0, take)))
        remaining -= max(0, take)
        db.session.execute(insert(table), pending)
        db.session.commit()
        added += len(pending)
        pending = []
        if added % 100_000 < BATCH:
            log(f"  {added} contacts added")
    return added


# --- the list's indexes -----------------------------------------------------------------------

# Migrated (c3d4e5f6a7b8). `run --indexes drop` removes them and `--indexes create` builds them
# again, so the list can be measured with and without them on the same data.
PROPOSED_INDEXES = {
    "ix_employer_live_name": "ON employer (name, id) WHERE merged_into_id IS NULL",
    "ix_employer_live_last_contact": "ON employer (last_contact_at NULLS FIRST, id) WHERE merged_into_id IS NULL",
    "ix_employer_live_created": "ON employer (created_at, id) WHERE merged_into_id IS NULL",
}


def proposed_indexes(app, action: str) -> None:
    with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name, definition in PROPOSED_INDEXES.items():
            if action == "create":
                conn.execute(text(f"CREATE INDEX IF NOT EXISTS {name} {definition}"))
            elif action == "drop":
                conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
        conn.execute(text("VACUUM ANALYZE employer"))
        present = conn.scalars(
            text("SELECT indexname FROM pg_indexes WHERE tablename = 'employer' AND indexname = ANY(:names)"),
            {"names": list(PROPOSED_INDEXES)},
        ).all()
    log(f"proposed indexes present: {', '.join(sorted(present)) or 'none'}")


# --- timing -----------------------------------------------------------------------------------

# What every page of the layout runs, not the list: flask-login's user load, the navbar's
# organisation of that user and its unread-notification count.
FRAMEWORK = re.compile(
    r'FROM "?user"?\s+(?:LEFT OUTER JOIN organisation AS \w+ ON \S+ = "?user"?\.organisation_id\s+)?WHERE "?user"?\.id = |FROM organisation\s+WHERE organisation\.id = '
    r"|FROM notification\s+WHERE notification\.user_id = "
)


def sign_in(app, email: str):
    """A test client signed in through the real sign-in form (demo password)."""
    from crm.demo import DEMO_PASSWORD

    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token})
    if response.status_code != 302:
        raise SystemExit(f"sign-in as {email} failed (HTTP {response.status_code})")
    return client


def run(app, runs: int = 15, export: bool = False) -> list[dict]:
    with app.app_context():
        upgrade(db.engine)  # data seeded earlier, schema kept at head
        user = db.session.scalar(select(User).where(User.email == "accountmanager@demo.werkgeverscrm.nl"))
        if user is None:
            raise SystemExit("No demo data: run `seed` first.")
        detail_id = db.session.scalar(
            select(Contact.employer_id).group_by(Contact.employer_id).order_by(func.count().desc()).limit(1)
        )
        detail_contacts = db.session.scalar(select(func.count()).where(Contact.employer_id == detail_id))
        total = db.session.scalar(select(func.count()).select_from(Employer).where(Employer.merged_into_id.is_(None)))
        region_id = db.session.scalar(text("SELECT id FROM region WHERE name = 'Twente'"))
        db.session.remove()
    client = sign_in(app, "accountmanager@demo.werkgeverscrm.nl")
    last_page = -(-total // app.config["PAGE_SIZE"])
    cases = [
        ("list, page 1", "/werkgevers"),
        ("list, page 2,000", "/werkgevers?pagina=2000"),
        (f"list, last page ({last_page})", f"/werkgevers?pagina={last_page}"),
        ("search 'bouw' (10% of employers match, ranked)", "/werkgevers?q=bouw"),
        ("search 'rikkerink'", "/werkgevers?q=rikkerink"),
        ("search with a typo 'hoveniersbedrjf'", "/werkgevers?q=hoveniersbedrjf"),
        ("filter: region + erkend + no contact in 90 days", f"/werkgevers?regio={region_id}&erkend=ja&geen_contact=90"),
        ("filter: status actief, sort oldest contact first", "/werkgevers?status=actief&sorteer=contact_oud"),
        ("sort by municipality, page 100", "/werkgevers?sorteer=gemeente&pagina=100"),
        (f"employer detail ({detail_contacts} contacts)", f"/werkgevers/{detail_id}"),
    ]
    results = []
    print(f"\n{total} employers; {runs} rounds over all cases, page and bare SQL interleaved; medians in ms")
    print(f"load average before: {os.getloadavg()[0]:.2f}\n")
    header = f"| {'case':<50} | {'queries (list)':>14} | {'page':>7} | {'bare SQL':>8} | {'ratio':>5} |"
    print(header)
    print("|" + "|".join("-" * (len(part)) for part in header.split("|")[1:-1]) + "|")
    with app.app_context():
        engine = db.engine
    # Round robin: every run times each case once (page, then its bare SQL), so a change in
    # the machine's load hits all cases alike (the machine is shared; see README).
    timed = []
    for label, path in cases:
        statements, status = capture(app, client, path)
        if status != 200:
            results.append({"case": label, "path": path, "status": status})
            continue
        timed.append((label, path, statements, [], []))
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        for run_number in range(runs + 2):  # the first two warm up
            for _label, path, statements, pages, sqls in timed:
                page, (sql, _each) = time_page_once(client, path), time_sql_once(raw, statements)
                if run_number >= 2:
                    pages.append(page)
                    sqls.append(sql)
    for label, path, statements, pages, sqls in timed:
        own = [s for s, _p in statements if not FRAMEWORK.search(s)]
        page, sql = statistics.median(pages), statistics.median(sqls)
        results.append(
            {
                "case": label,
                "path": path,
                "queries": len(statements),
                "own_queries": len(own),
                "page_ms": page * 1000,
                "sql_ms": sql * 1000,
                "ratio": page / sql,
            }
        )
    by_case = {row["case"]: row for row in results}
    for label, _path in cases:
        row = by_case[label]
        if "page_ms" not in row:
            print(f"| {label:<50} | HTTP {row['status']}: not timed |")
            continue
        queries = f"{row['queries']} ({row['own_queries']})"
        print(
            f"| {label:<50} | {queries:>14} | {row['page_ms']:>7.1f} | {row['sql_ms']:>8.1f} | {row['ratio']:>5.2f} |"
        )
    if export:
        print()
        for fmt in ("csv", "xlsx"):
            start = time.perf_counter()
            response = client.get(f"/werkgevers/export?formaat={fmt}", buffered=True)
            size = len(response.get_data())
            took = time.perf_counter() - start
            assert response.status_code == 200, response.status_code
            print(f"export {fmt.upper()} of all {total} employers: {took:.1f} s, {size / 1e6:.1f} MB")
            results.append({"case": f"export {fmt}", "seconds": took, "bytes": size})
    first, deep = by_case["list, page 1"], by_case["list, page 2,000"]
    print(f"\npage 2,000 / page 1: {deep['page_ms'] / first['page_ms']:.2f} (target <= 1.2)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("seed", "run", "all"))
    parser.add_argument("--runs", type=int, default=15, help="timed runs per case (median reported)")
    parser.add_argument(
        "--indexes",
        choices=("create", "drop", "keep"),
        default="keep",
        help="create or drop the indexes proposed for a migration before timing (default: leave as is)",
    )
    parser.add_argument("--export", action="store_true", help="also time the CSV and XLSX export of all employers")
    args = parser.parse_args(argv)
    app = make_app(bench_url(DEFAULT_URL))
    if args.what in ("seed", "all"):
        seed(app)
    if args.what in ("run", "all"):
        if args.indexes != "keep":
            proposed_indexes(app, args.indexes)
        run(app, runs=args.runs, export=args.export)


if __name__ == "__main__":
    main()
