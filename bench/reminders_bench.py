"""Benchmark: 10,000 due follow-ups through ONE Celery worker to an SMTP sink. Target < 60 s.

Run on demand, never by pytest (this folder is outside ``testpaths``). See bench/REMINDERS.md.

    .venv/bin/python bench/reminders_bench.py                       # SQLite + SQLite broker (embedded)
    .venv/bin/python bench/reminders_bench.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test_he_bench \\
        --broker redis://127.0.0.1:6379/14                          # PostgreSQL + Redis (production shape)

Everything is real and separate: the worker is a ``celery -A tasks.worker worker`` process
(one worker, ``--concurrency`` pool processes), the broker is the real one, the SMTP server is
aiosmtpd on loopback in this process, counting accepted messages by Message-ID. The clock
starts when the scan task is sent (the beat's every-minute job) and stops when the sink has
accepted every message; the time covers claiming, creating the delivery rows, queuing 10,000
send tasks, rendering, SMTP and marking each row sent. At the end every follow-up must have
exactly one message and every delivery row must say ``sent``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from crm.extensions import db  # noqa: E402
from crm.lib.clock import today  # noqa: E402
from crm.models import Delivery  # noqa: E402
from tests.conftest import migrated_app  # noqa: E402
from tests.worker.harness import Cluster, SmtpSink, make_follow_ups, wait_for  # noqa: E402


def cpu_seconds() -> dict[int, tuple[str, int, float]]:
    """Linux: every process's (command line, parent pid, CPU seconds used so far)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(entry)] = (command, int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    return found


def cpu_report(before: dict, after: dict, elapsed: float, database: str) -> None:
    """CPU seconds spent while the clock ran, per kind of process (all users of the machine)."""
    used: dict[str, float] = {}
    for pid, (command, parent, seconds) in after.items():
        spent = seconds - before.get(pid, (command, parent, 0.0))[2]
        if spent <= 0:
            continue
        if "celery" in command and " worker " in command:
            parent_command = after.get(parent, ("", 0, 0))[0]
            kind = "worker pool processes" if " worker " in parent_command else "worker main process"
        elif pid == os.getpid():
            kind = "this script (SMTP sink)"
        elif command.startswith("postgres"):
            kind = "PostgreSQL, this database" if make_url(database).database in command else "PostgreSQL, others"
        elif "redis" in command:
            kind = "Redis"
        else:
            kind = "other processes of the machine"
        used[kind] = used.get(kind, 0.0) + spent
    print(f"cpu           {sum(used.values()):.1f} s of {2 * elapsed:.1f} core-seconds (2 cores) while the clock ran:")
    for kind, seconds in sorted(used.items(), key=lambda item: -item[1]):
        print(f"              {seconds:7.1f} s  {kind}")


def ensure_database(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    from sqlalchemy import create_engine

    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}):
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2, help="pool processes of the one worker")
    parser.add_argument("--database", default="", help="default: an SQLite file in a temporary folder")
    parser.add_argument("--broker", default="", help="default: an SQLite broker file (the embedded default)")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--cpu", action="store_true", help="report CPU seconds per kind of process (Linux)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="reminders-bench-"))
    database = args.database or f"sqlite:///{workdir / 'crm.sqlite'}"
    broker = args.broker or f"sqla+sqlite:///{workdir / 'broker.sqlite'}"
    ensure_database(database)
    app = migrated_app(database)
    sink = SmtpSink().start()
    with app.app_context():
        follow_ups = make_follow_ups(args.count, today(), users=200, prefix="Benchmark")
        cluster = Cluster(database, broker, sink.port, workdir, CRM_REMINDER_LEASE_SECONDS="600")
        try:
            worker = cluster.worker("bench", concurrency=args.concurrency).wait_ready(60)
            before = cpu_seconds() if args.cpu else {}
            start = time.perf_counter()
            cluster.send("scan_reminders")
            wait_for(lambda: sink.handler.unique() >= args.count, args.timeout, f"{args.count} mails", interval=0.05)
            elapsed = time.perf_counter() - start
            after = cpu_seconds() if args.cpu else {}
            time.sleep(2)
            db.session.rollback()
            sent = db.session.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "sent"))
            db.session.rollback()
            duplicates = sink.handler.duplicates()
            print(f"database      {make_url(database).get_backend_name()}")
            print(f"broker        {broker.split(':')[0]}")
            print(f"worker        1 process, --concurrency {args.concurrency}, cpus {os.cpu_count()}")
            print(f"follow-ups    {len(follow_ups)}")
            print(f"mails         {sink.handler.total()} accepted, {sink.handler.unique()} unique")
            print(f"duplicates    {len(duplicates)}")
            print(f"rows sent     {sent}")
            print(f"elapsed       {elapsed:.1f} s  ({args.count / elapsed:.0f} mails/s)  target < 60 s")
            if args.cpu:
                cpu_report(before, after, elapsed, database)
            ok = not duplicates and sent == args.count and sink.handler.unique() == args.count
            print("result        " + ("OK" if ok and elapsed < 60 else "NOT OK"))
            assert worker.popen.poll() is None
            return 0 if ok else 1
        finally:
            cluster.close()
            sink.stop()
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
