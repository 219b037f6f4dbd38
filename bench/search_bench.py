"""Benchmark of the forgiving employer search (crm.services.search) on SQLite and PostgreSQL:
recall of the test set (tests/search_queries.py) and the list page's search timings at scale.

Run on demand, never by pytest. See bench/SEARCH.md for the results.

    .venv/bin/python bench/search_bench.py recall URL              # fresh schema, 300 demo employers, recall
    .venv/bin/python bench/search_bench.py seed URL --employers N  # fresh schema, N demo employers
    .venv/bin/python bench/search_bench.py run URL                 # time the search pages against their bare SQL

URL: ``sqlite:////tmp/search.sqlite`` or ``postgresql+psycopg://postgres@127.0.0.1:5432/search18_bench``
(a database of your own: ``recall`` and ``seed`` DROP its schema / delete the file).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from employers_bench import FRAMEWORK, sign_in  # noqa: E402
from harness import capture, log, make_app, upgrade  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from crm.extensions import db  # noqa: E402
from crm.models import Employer  # noqa: E402
from tests.search_queries import QUERIES, SEEDED_AT  # noqa: E402

CASES = [
    ("search 'bouw' (10% of employers match, ranked)", "bouw"),
    ("search 'rikkerink'", "rikkerink"),
    ("search with a typo 'hoveniersbedrjf'", "hoveniersbedrjf"),
    ("two words with typos 'dakdekersbedrijf kampuis'", "dakdekersbedrijf kampuis"),
    ("swapped words 'Kamphuis Dakdekkers'", "Kamphuis Dakdekkers"),
    ("contactpersoon 'Bas Kleinsman'", "Bas Kleinsman"),
    ("postcode '7527 VA'", "7527 VA"),
]


def fresh(url: str, employers: int) -> None:
    """A new schema at head with the reference lists and ``employers`` demo employers."""
    from crm.demo import seed
    from crm.services.reference import load_reference_data

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    app = make_app(url)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(db.engine)
        load_reference_data()
        db.session.commit()
        start = time.perf_counter()
        seed(employers=employers, echo=lambda line: log(line) if employers > 1000 else None, now=SEEDED_AT)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        log(f"seeded {employers} employers in {time.perf_counter() - start:.0f} s")


def recall(url: str) -> None:
    from crm.services.search import search_ids

    fresh(url, 300)
    app = make_app(url)
    with app.app_context():
        ranks, took = [], []
        for query, name, city in QUERIES:
            wanted = db.session.scalar(select(Employer.id).where(Employer.name == name, Employer.city == city))
            start = time.perf_counter()
            ids = search_ids(query, Employer.merged_into_id.is_(None))
            took.append(time.perf_counter() - start)
            rank = ids.index(wanted) + 1 if wanted in ids else None
            ranks.append(rank)
            if rank != 1:
                print(f"  {query!r}: rank {rank} of {len(ids)}")
        n = len(QUERIES)
        top1 = sum(rank == 1 for rank in ranks)
        top5 = sum(rank is not None and rank <= 5 for rank in ranks)
        print(
            f"{db.engine.dialect.name}: {n} queries, top 1: {top1}/{n} = {top1 / n:.1%}, "
            f"top 5: {top5}/{n} = {top5 / n:.1%}; median search {statistics.median(took) * 1000:.1f} ms"
        )


def replay(raw, statements) -> float:
    """The page's statements, with the same parameters, on a bare DBAPI connection."""
    start = time.perf_counter()
    cursor = raw.cursor()
    try:
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            if cursor.description is not None:
                cursor.fetchall()
    finally:
        cursor.close()
    took = time.perf_counter() - start
    raw.rollback()
    return took


def run(url: str, runs: int) -> None:
    app = make_app(url)
    with app.app_context():
        total = db.session.scalar(select(db.func.count()).select_from(Employer))
        engine = db.engine
        db.session.remove()
    client = sign_in(app, "accountmanager@demo.werkgeverscrm.nl")
    print(f"\n{engine.dialect.name}, {total} employers; {runs} rounds, page and bare SQL interleaved; medians in ms")
    print(f"load average before: {os.getloadavg()[0]:.2f}\n")
    print("| case | matches | queries (list) | page | bare SQL | page - SQL | ratio |")
    print("|---|---|---|---|---|---|---|")
    timed = []
    for label, q in CASES:
        path = f"/werkgevers?q={q}"
        statements, status = capture(app, client, path)
        assert status == 200, (path, status)
        timed.append((label, path, statements, [], []))
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        for number in range(runs + 2):  # two warm-up rounds
            for _label, path, statements, pages, sqls in timed:
                start = time.perf_counter()
                response = client.get(path)
                response.get_data()
                page = time.perf_counter() - start
                sql = replay(raw, statements)
                if number >= 2:
                    pages.append(page)
                    sqls.append(sql)
    for label, path, statements, pages, sqls in timed:
        with app.app_context():
            from crm.services.search import search_ids

            matches = len(search_ids(path.split("q=", 1)[1], Employer.merged_into_id.is_(None)))
            db.session.remove()
        own = [s for s, _p in statements if not FRAMEWORK.search(s)]
        page, sql = statistics.median(pages) * 1000, statistics.median(sqls) * 1000
        print(
            f"| {label} | {matches} | {len(statements)} ({len(own)}) | {page:.1f} | {sql:.1f} | {page - sql:.1f} "
            f"| {page / sql:.2f} |"
        )
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("recall", "seed", "run"))
    parser.add_argument("url")
    parser.add_argument("--employers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    if args.what == "recall":
        recall(args.url)
    elif args.what == "seed":
        fresh(args.url, args.employers)
    else:
        run(args.url, args.runs)


if __name__ == "__main__":
    main()
