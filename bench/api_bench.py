"""Benchmark of the partner API (/api/v1) at 100,000 employers: list and get against the bare
SQL of the same statements, and keyset page 2,000 against page 1.

Run on demand, never by pytest. Uses the database that employers_bench.py seeds:

    CRM_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_api \\
        .venv/bin/python bench/employers_bench.py seed      # once, 10-20 minutes
    CRM_BENCH_DATABASE_URL=... .venv/bin/python bench/api_bench.py [--runs 15]

Or, faster, ``api_bench.py quick-seed`` (100,000 employers by one INSERT ... SELECT, see
``quick_seed``). Makes an API client "bench" for the demo accountmanager's organisation. Results go in
bench/API.md with the date and the machine's load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import bench_url, capture, log, make_app, time_page_once, time_sql_once, upgrade  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from crm.api.paging import encode  # noqa: E402
from crm.extensions import db  # noqa: E402
from crm.models import ApiClient, Contact, Employer, User  # noqa: E402
from crm.models.api_clients import SCOPES  # noqa: E402
from crm.models.base import utcnow  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_api"
PER_PAGE = 25
DEEP_PAGE = 2000


def token_for(app) -> str:
    """A fresh client (the token is shown once, so each run makes one and revokes the last)."""
    from crm.services.api_clients import ClientData, create_client, revoke_client

    with app.app_context():
        upgrade(db.engine)
        am = db.session.scalar(select(User).where(User.email == "accountmanager@demo.werkgeverscrm.nl"))
        admin = db.session.scalar(select(User).where(User.role == "admin", User.active.is_(True)))
        if am is None or admin is None:
            raise SystemExit("No demo data: run employers_bench.py seed first.")
        for old in db.session.scalars(
            select(ApiClient).where(ApiClient.name == "bench", ApiClient.revoked_at.is_(None))
        ):
            revoke_client(admin, old)
        _client, token = create_client(
            admin,
            am.organisation,
            ClientData("bench", list(SCOPES), utcnow() + timedelta(days=1), role="accountmanager"),
        )
        db.session.commit()
        db.session.remove()
    return token


def cursor_after(app, order, row: int) -> str:
    """The cursor of page ``row // PER_PAGE + 1``: the key of the row before it (computed, not
    walked: walking 2,000 pages would time the walk)."""
    with app.app_context():
        values = db.session.execute(select(*order).order_by(*order).offset(row - 1).limit(1)).one()
        db.session.remove()
    return encode(list(values))


def run(app, runs: int) -> None:
    app.config["API_RATE_LIMIT"] = "1000000/minute"
    token = token_for(app)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    deep_row = (DEEP_PAGE - 1) * PER_PAGE
    by_name = cursor_after(app, (Employer.name, Employer.id), deep_row)
    with app.app_context():
        detail_id = db.session.scalar(
            select(Contact.employer_id).group_by(Contact.employer_id).order_by(func.count().desc()).limit(1)
        )
        total = db.session.scalar(select(func.count()).select_from(Employer).where(Employer.merged_into_id.is_(None)))
        newest = db.session.execute(
            select(Employer.created_at, Employer.id)
            .where(Employer.merged_into_id.is_(None))
            .order_by(Employer.created_at.desc(), Employer.id.desc())
            .offset(deep_row - 1)
            .limit(1)
        ).one()
        db.session.remove()
    by_newest = encode(list(newest))
    cases = [
        ("list, page 1", f"/api/v1/employers?limit={PER_PAGE}"),
        (f"list, page {DEEP_PAGE:,} (keyset)", f"/api/v1/employers?limit={PER_PAGE}&cursor={by_name}"),
        ("list sort=nieuw, page 1", f"/api/v1/employers?limit={PER_PAGE}&sort=nieuw"),
        (
            f"list sort=nieuw, page {DEEP_PAGE:,} (keyset)",
            f"/api/v1/employers?limit={PER_PAGE}&sort=nieuw&cursor={by_newest}",
        ),
        ("list, 200 per page", "/api/v1/employers?limit=200"),
        ("search 'bouw', page 1", f"/api/v1/employers?limit={PER_PAGE}&q=bouw"),
        ("get one employer", f"/api/v1/employers/{detail_id}"),
        ("timeline of that employer, page 1", f"/api/v1/employers/{detail_id}/timeline"),
    ]
    print(f"\n{total} employers; {runs} rounds, API and bare SQL interleaved; medians in ms")
    print(f"load average before: {os.getloadavg()[0]:.2f}\n")
    header = f"| {'case':<40} | {'queries':>7} | {'API':>7} | {'bare SQL':>8} | {'ratio':>5} |"
    print(header)
    print("|" + "|".join("-" * len(part) for part in header.split("|")[1:-1]) + "|")
    with app.app_context():
        engine = db.engine
    rows = []
    for label, path in cases:
        statements, status = capture(app, client, path)
        assert status == 200, (label, status)
        rows.append((label, path, statements, [], []))
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        for round_number in range(runs + 2):  # two rounds to warm up
            for _label, path, statements, apis, sqls in rows:
                api, (sql, _each) = time_page_once(client, path), time_sql_once(raw, statements)
                if round_number >= 2:
                    apis.append(api)
                    sqls.append(sql)
    medians = {}
    for label, _path, statements, apis, sqls in rows:
        api, sql = statistics.median(apis) * 1000, statistics.median(sqls) * 1000
        medians[label] = api
        print(f"| {label:<40} | {len(statements):>7} | {api:>7.1f} | {sql:>8.1f} | {api / sql:>5.2f} |")
    print(f"\npage {DEEP_PAGE:,} / page 1 (by name): {medians[cases[1][0]] / medians[cases[0][0]]:.2f}")
    print(f"page {DEEP_PAGE:,} / page 1 (newest first): {medians[cases[3][0]] / medians[cases[2][0]]:.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def quick_seed(app, employers: int = 100_000, contacts: int = 300) -> None:
    """A faster seed than employers_bench.py's demo (which takes 20+ minutes on a busy machine):
    a fresh schema (DROPS public), the reference lists, one organisation with the demo's
    accountmanager and an admin, ``employers`` employers in one INSERT ... SELECT (varied names,
    municipalities, statuses, creation moments), their search text, and ``contacts`` contacts
    on the first one (for the timeline). PostgreSQL only."""
    from sqlalchemy import text

    from crm.models import Organisation
    from crm.services.reference import load_reference_data
    from crm.services.search import rebuild_search_text

    with app.app_context():
        engine = db.engine
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(engine)
        load_reference_data()
        org = Organisation(name="Gemeente Bench", kind="gemeente")
        db.session.add(org)
        db.session.flush()
        for role, email in (
            ("accountmanager", "accountmanager@demo.werkgeverscrm.nl"),
            ("admin", "admin@bench.example"),
        ):
            db.session.add(
                User(email=email, name=f"Bench {role}", password_hash="!", role=role, organisation_id=org.id)
            )
        db.session.commit()
        am_id = db.session.scalar(select(User.id).where(User.role == "accountmanager"))
        log(f"inserting {employers} employers")
        db.session.execute(
            text(
                """
                INSERT INTO employer (name, kvk_number, street, house_number, postcode, city, municipality_id,
                    phone, email, website, erkend_leerbedrijf, status, notes, contactpersoon_id, search_text,
                    version, created_at, updated_at)
                SELECT (ARRAY['Bouwbedrijf','Zorggroep','Bakkerij','Metaalbedrijf','Hoveniersbedrijf','Transport',
                               'Installatiebedrijf','Kapsalon','Autobedrijf','Drukkerij'])[1 + i % 10]
                       || ' ' || substr(md5(i::text), 1, 8) || ' B.V.',
                       lpad(i::text, 8, '0'), 'Hoofdstraat', (1 + i % 200)::text, '7511 JK', 'Enschede',
                       (SELECT id FROM municipality ORDER BY id OFFSET (i % 300) LIMIT 1),
                       '', '', '', i % 3 = 0, (ARRAY['prospect','actief','inactief'])[1 + i % 3], '', :am, '',
                       1, now() - (i || ' minutes')::interval, now()
                FROM generate_series(1, :n) AS i
                """
            ),
            {"am": am_id, "n": employers},
        )
        first = db.session.scalar(select(func.min(Employer.id)))
        db.session.execute(
            text(
                """
                INSERT INTO contact (employer_id, author_id, organisation_id, occurred_at, channel, summary, outcome,
                    visibility, created_at, updated_at)
                SELECT :e, :am, :org, now() - (i || ' hours')::interval, 'telefoon', 'Gebeld over BBL-plekken', '',
                       'gedeeld', now(), now()
                FROM generate_series(1, :n) AS i
                """
            ),
            {"e": first, "am": am_id, "org": org.id, "n": contacts},
        )
        db.session.commit()
        log("search text")
        rebuild_search_text(batch=5000)
        db.session.commit()
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        log("seeded")
        db.session.remove()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="?", choices=("run", "quick-seed"), default="run")
    parser.add_argument("--runs", type=int, default=15, help="timed rounds (median reported)")
    args = parser.parse_args(argv)
    app = make_app(bench_url(DEFAULT_URL))
    if args.what == "quick-seed":
        quick_seed(app)
        return
    log("API benchmark")
    run(app, args.runs)


if __name__ == "__main__":
    main()
