"""Benchmark: SIGKILL the reminder worker at random moments while it sends; count lost and
duplicated mails per kill and the time from each kill to the resend of what it held.

Run on demand, never by pytest (this folder is outside ``testpaths``). See bench/REMINDERS.md.

    .venv/bin/python bench/kill_bench.py                          # SQLite + SQLite broker (embedded)
    .venv/bin/python bench/kill_bench.py --database postgresql+psycopg://postgres@127.0.0.1:5432/bench_lease \\
        --broker redis://127.0.0.1:6379/4                         # PostgreSQL + Redis (production shape)

Everything is real: a ``celery -A tasks.worker worker`` process (as README and tests/worker run
it) and a ``celery -A tasks.worker beat`` process, the real broker and database, and an SMTP
server on loopback (aiosmtpd, in this process) that counts accepted messages per Message-ID
and notes when each arrived. ``--count`` follow-ups fall due; the worker sends them; at a
random moment while it sends, the worker (main process and pool, one process group) gets
SIGKILL and is started again at once; ``--kills`` times (with ``--wave N``, N more follow-ups
fall due before each further kill: steady traffic instead of one burst) (the next kill does not wait for the
previous one's recovery). Then the script waits until every delivery row is settled and reports:

- lost: follow-ups without any mail (must be 0);
- duplicated: messages accepted more than once, per kill;
- recovery: from the kill to the first resend of a mail the killed worker held (its rows
  under the held lease at the moment of the kill, and those its fetch journal lists: fetched,
  not renewed yet; see crm.services.reminder_leases), and to the last of them sent.

The scan interval and the held lease are shortened by configuration so that a run takes
minutes (``--scan-seconds``, ``--run-lease``; production: 60 s and 60 s, i.e. a held mail is
due again at most 60 s after the kill and queued by the next scan, within 60 s more). The
queue lease stays at its production value (600 s) unless ``--lease`` says otherwise: a
recovery faster than that comes from the held lease.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, or_, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.reminders_bench import ensure_database  # noqa: E402
from crm.extensions import db  # noqa: E402
from crm.lib.clock import today  # noqa: E402
from crm.models import Delivery  # noqa: E402
from crm.services.reminder_leases import HOLDS_DIR, JOURNAL_SUFFIX  # noqa: E402
from crm.services.reminders import message_id_for  # noqa: E402
from tests.conftest import migrated_app  # noqa: E402
from tests.worker.harness import Cluster, CountingHandler, SmtpSink, make_follow_ups, wait_for  # noqa: E402


def local_part(message_id: str) -> str:
    """``<followup-42-due-20261206@domain>`` -> ``followup-42-due-20261206`` (the workers' mail
    domain is not this script's)."""
    return message_id.strip("<>").partition("@")[0]


class TimedHandler(CountingHandler):
    """Also notes when each Message-ID (its local part) was accepted (monotonic clock)."""

    def __init__(self):
        super().__init__()
        self.arrivals: list[tuple[float, str]] = []

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        if reply.startswith("250"):
            from email.parser import BytesHeaderParser

            headers = BytesHeaderParser().parsebytes(envelope.original_content or envelope.content)
            with self.lock:
                self.arrivals.append((time.monotonic(), local_part(headers["Message-ID"])))
        return reply

    def arrivals_since(self, moment: float) -> list[tuple[float, str]]:
        with self.lock:
            return [(at, mid) for at, mid in self.arrivals if at >= moment]


def journal_ids(workdir: Path) -> set[int]:
    """The delivery ids in the workers' fetch journals (read without taking their locks, so a
    resend scan is never kept from one): fetched, not renewed in the database yet."""
    ids: set[int] = set()
    for path in (workdir / HOLDS_DIR.name).glob(f"*{JOURNAL_SUFFIX}"):
        text = path.read_text(errors="replace")
        ids.update(int(token) for token in text[: text.rfind("\n") + 1].split() if token.isdigit())
    return ids


def held_at(kill_wall: datetime, run_lease: float, workdir: Path) -> tuple[dict[str, int], set[str]]:
    """Message-ID -> delivery id of the rows pending under a held lease at the kill, or listed in
    a fetch journal (the ones the killed worker was sending or had fetched), as opposed to rows
    waiting in the broker; and those of them that only a journal listed (their lease in the
    database was still the queue lease: fetched, not renewed yet)."""
    fetched = journal_ids(workdir)
    db.session.rollback()
    limit = kill_wall + timedelta(seconds=run_lease + 1)
    rows = db.session.scalars(
        select(Delivery).where(
            Delivery.status == "pending", or_(Delivery.next_attempt_at <= limit, Delivery.id.in_(fetched))
        )
    ).all()
    held = {local_part(message_id_for(row)): row.id for row in rows}
    journal_only = {local_part(message_id_for(row)) for row in rows if row.next_attempt_at > limit}
    db.session.rollback()
    return held, journal_only


def pending() -> int:
    db.session.rollback()
    count = db.session.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "pending"))
    db.session.rollback()
    return int(count or 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=6000)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument(
        "--wave", type=int, default=0, help="follow-ups that fall due before each further kill (default: none)"
    )
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2, help="pool processes of the worker")
    parser.add_argument("--database", default="", help="default: an SQLite file in a temporary folder")
    parser.add_argument("--broker", default="", help="default: an SQLite broker file (the embedded default)")
    parser.add_argument("--scan-seconds", type=int, default=5, help="CRM_REMINDER_SCAN_SECONDS (production 60)")
    parser.add_argument("--run-lease", type=int, default=15, help="CRM_REMINDER_RUN_LEASE_SECONDS (production 60)")
    parser.add_argument("--lease", type=int, default=600, help="CRM_REMINDER_LEASE_SECONDS, the queue lease")
    parser.add_argument("--delay", type=float, default=0.01, help="the SMTP sink's delay per message, seconds")
    parser.add_argument("--min-sending", type=float, default=1.0, help="kill after at least this many seconds")
    parser.add_argument("--max-sending", type=float, default=8.0, help="... and at most this many of sending")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)  # noqa: S311 - random moments, not secrets
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the workers on the way out

    workdir = Path(tempfile.mkdtemp(prefix="kill-bench-"))
    database = args.database or f"sqlite:///{workdir / 'crm.sqlite'}"
    broker = args.broker or f"sqla+sqlite:///{workdir / 'broker.sqlite'}"
    ensure_database(database)
    app = migrated_app(database)
    sink = SmtpSink()
    sink.handler = TimedHandler()
    sink.handler.delay = args.delay
    sink.start()
    print(f"load before   {os.getloadavg()[0]:.2f} (1-minute load average)   logs in {workdir}")
    with app.app_context():
        follow_ups = make_follow_ups(args.count, today(), users=200, prefix="Killbench")
        wave = 0
        cluster = Cluster(
            database,
            broker,
            sink.port,
            workdir,
            CRM_REMINDER_SCAN_SECONDS=str(args.scan_seconds),
            CRM_REMINDER_RUN_LEASE_SECONDS=str(args.run_lease),
            CRM_REMINDER_LEASE_SECONDS=str(args.lease),
        )
        kills: list[dict] = []
        started = time.monotonic()
        try:
            worker = cluster.worker("w0", concurrency=args.concurrency).wait_ready(120)
            cluster.beat("beat")  # scans (claims) and resends every --scan-seconds; never killed
            for number in range(1, args.kills + 1):
                if args.wave and number > 1:  # steady traffic: the next wave falls due now
                    wave += 1
                    follow_ups += make_follow_ups(args.wave, today(), users=20, prefix=f"Golf {wave}")
                # Kill at a random moment while mails flow (the worker has sent since it started).
                mark = time.monotonic()
                wait_for(lambda m=mark: bool(sink.handler.arrivals_since(m)), 300, "the worker to send", 0.01)
                time.sleep(rng.uniform(args.min_sending, args.max_sending))
                if pending() < 50:
                    print("              (too few mails left to kill again)")
                    break
                worker.kill()
                kill_at, kill_wall = time.monotonic(), datetime.now(UTC)
                held, journal_only = held_at(kill_wall, args.run_lease, workdir)
                for earlier in kills:  # still held from an earlier kill: that kill's to recover
                    for mid in earlier["held"]:
                        held.pop(mid, None)
                worker = cluster.worker(f"w{number}", concurrency=args.concurrency)
                kills.append({"at": kill_at, "held": held, "sent_before": sink.handler.unique()})
                only = sum(1 for mid in held if mid in journal_only)
                print(
                    f"kill {number:2}       {len(held)} held mails ({only} of them only in the fetch journal),"
                    f" {sink.handler.unique()} sent so far",
                    flush=True,
                )
            sink.handler.delay = 0  # the rest as fast as it goes
            wait_for(lambda: pending() == 0, args.timeout, "every delivery settled", 0.5)
            time.sleep(args.scan_seconds * 2 + 2)  # a late duplicate would arrive now
            elapsed = time.monotonic() - started
        finally:
            cluster.close()
            sink.stop()

        reminded = {mid.strip("<>").partition("@")[0] for mid in sink.handler.ids()}
        day = today().strftime("%Y%m%d")
        lost = [fid for fid in follow_ups if f"followup-{fid}-due-{day}" not in reminded]
        duplicates = sink.handler.duplicates()
        db.session.rollback()
        statuses = dict(db.session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
        db.session.remove()
        db.engine.dispose()

    first, last = [], []
    for kill in kills:
        arrivals = [(at, mid) for at, mid in sink.handler.arrivals_since(kill["at"]) if mid in kill["held"]]
        if arrivals:
            first.append(arrivals[0][0] - kill["at"])
            first_arrival: dict[str, float] = {}
            for at, mid in arrivals:
                first_arrival.setdefault(mid, at)
            last.append(max(first_arrival.values()) - kill["at"])

    for number, kill in enumerate(kills, 1):
        mine = [(at, mid) for at, mid in sink.handler.arrivals_since(kill["at"]) if mid in kill["held"]]
        if mine:
            print(f"  kill {number}: {len(kill['held'])} held; first resend after {mine[0][0] - kill['at']:.1f} s")

    def spread(values: list[float]) -> str:
        if not values:
            return "-"
        return f"median {statistics.median(values):.1f} s, min {min(values):.1f} s, max {max(values):.1f} s"

    print(f"database      {make_url(database).get_backend_name()}, broker {broker.split(':')[0]}")
    print(f"worker        --concurrency {args.concurrency}; scan {args.scan_seconds} s, held lease {args.run_lease} s,")
    print(f"              queue lease {args.lease} s, SMTP sink delay {args.delay * 1000:.0f} ms per message")
    print(f"follow-ups    {len(set(follow_ups))}; rows {statuses}")
    print(f"mails         {sink.handler.total()} accepted, {sink.handler.unique()} unique, in {elapsed:.0f} s")
    print(f"kills         {len(kills)}")
    print(f"lost          {len(lost)}")
    per_kill = (sink.handler.total() - sink.handler.unique()) / max(1, len(kills))
    print(f"duplicated    {len(duplicates)} Message-IDs, {per_kill:.2f} extra mails per kill")
    first_arrival: dict[str, float] = {}
    for at, mid in sink.handler.arrivals_since(0):
        first_arrival.setdefault(mid, at)
    late = sum(1 for at in first_arrival.values() if at - started >= args.lease)
    print(f"first resend  {spread(first)} after the kill")
    print(f"all held sent {spread(last)} after the kill")
    print(f"late          {late} mails came only after the queue lease ({args.lease} s; fetched, never held)")
    print(f"load after    {os.getloadavg()[0]:.2f}")
    return 0 if not lost else 1


if __name__ == "__main__":
    sys.exit(main())
