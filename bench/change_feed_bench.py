"""Benchmark of the change feed (crm.services.change_feed): a page near the start of the trail
against a page near its end (keyset: they should cost the same), and against the bare SQL of
the next events with no visibility check at all.

Run on demand, never by pytest. PostgreSQL only.

    .venv/bin/python bench/change_feed_bench.py seed   # DROPS the schema: demo at 20k employers,
                                                       # one "create" event per record
    .venv/bin/python bench/change_feed_bench.py run    # time the pages

The database comes from ``CRM_BENCH_DATABASE_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/bench_feed``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import bench_url, log, make_app, seed_demo, upgrade  # noqa: E402
from sqlalchemy import select, text, true  # noqa: E402

from crm.extensions import db  # noqa: E402
from crm.models import AuditEvent, User  # noqa: E402
from crm.services import change_feed  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_feed"
EMPLOYERS = 20_000
# One "create" event per record of every kind the feed tells, in this order (so the trail
# interleaves nothing: the visibility check meets whole runs of one kind, the hardest case for a
# reader who may see little of a run is the intern contacts and the casework).
TABLES = ("employer", "employer_contact", "vacancy", "contact", "follow_up", "participant", "trajectory")


def seed(app) -> None:
    took: dict[str, float] = {}
    with app.app_context():
        seed_demo(app, EMPLOYERS, took)
        for table in TABLES:
            db.session.execute(
                text(
                    "INSERT INTO audit_event (occurred_at, action, object_type, object_id, summary, ip_address) "
                    f"SELECT now(), 'create', '{table}', id, '', '' FROM {table} ORDER BY id"  # noqa: S608
                )
            )
            db.session.commit()
        # and the same again as updates, interleaved by id, so the trail is ~2x the records
        db.session.execute(
            text(
                "INSERT INTO audit_event (occurred_at, action, object_type, object_id, summary, ip_address) "
                "SELECT now(), 'update', object_type, object_id, '', '' FROM audit_event ORDER BY random()"
            )
        )
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        log(f"audit events: {db.session.scalar(select(db.func.count(AuditEvent.id)))}")


def _median(function, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
        db.session.rollback()
    return statistics.median(times) * 1000


BARE = text(
    "SELECT txid, id, object_type, object_id, action, occurred_at FROM audit_event "
    "WHERE (txid, id) > (:t, :i) ORDER BY txid, id LIMIT :n"
)


def _bare(position: tuple[int, int], limit: int) -> list:
    return list(db.session.execute(BARE, {"t": position[0], "i": position[1], "n": limit}).all())


def run(app, runs: int) -> None:
    with app.app_context():
        upgrade(db.engine)
        total = db.session.scalar(select(db.func.count(AuditEvent.id)))
        first = db.session.execute(
            select(AuditEvent.txid, AuditEvent.id).order_by(AuditEvent.txid, AuditEvent.id).limit(1)
        ).one()
        late = db.session.execute(
            select(AuditEvent.txid, AuditEvent.id)
            .order_by(AuditEvent.txid, AuditEvent.id)
            .offset(int(total * 0.9))
            .limit(1)
        ).one()
        cursors = {"start": None, "90% in": change_feed.format_cursor((late.txid, late.id))}
        log(f"{total} audit events; first {first.txid}-{first.id}")
        readers = {
            role: db.session.scalar(
                select(User).where(User.role == role, User.active.is_(True)).order_by(User.id).limit(1)
            )
            for role in ("partner", "coordinator")
        }
        print(
            f"\n| reader | kinds | cursor | limit | feed page (ms, median of {runs}) | changes | bare SQL of the next events (ms) |"
        )
        print("|---|---|---|---|---|---|---|")
        for role, reader in readers.items():
            for kinds_label, kinds in (("shared", None), ("all", list(change_feed.KIND_TYPES))):
                for label, cursor in cursors.items():
                    for limit in (100, 500):
                        position = change_feed.parse_cursor(cursor)
                        page = change_feed.changes(reader, since=cursor, limit=limit, kinds=kinds)
                        feed_ms = _median(
                            partial(change_feed.changes, reader, since=cursor, limit=limit, kinds=kinds), runs
                        )
                        bare_ms = _median(partial(_bare, position, limit), runs)
                        print(
                            f"| {role} | {kinds_label} | {label} | {limit} | {feed_ms:.1f} | {len(page.changes)} | {bare_ms:.1f} |",
                            flush=True,
                        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=("seed", "run", "all"))
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument(
        "--ignore-horizon",
        action="store_true",
        help="serve events of transactions still overtakable too: on a server shared with long writing "
        "transactions (other databases' seeds) the feed is held back, so a page would be empty",
    )
    args = parser.parse_args()
    if args.ignore_horizon:
        change_feed._settled = true  # type: ignore[assignment]
    app = make_app(bench_url(DEFAULT_URL))
    if args.what in ("seed", "all"):
        seed(app)
    if args.what in ("run", "all"):
        run(app, args.runs)


if __name__ == "__main__":
    main()
