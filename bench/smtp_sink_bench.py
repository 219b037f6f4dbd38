"""The SMTP sink of the reminder benchmark on its own: how fast can it take mail on this box?

Run on demand (see bench/REMINDERS.md). The sink is the one ``reminders_bench.py`` uses
(aiosmtpd on loopback, in this process, counting by Message-ID); the clients are plain
``smtplib`` in separate processes, each over one connection, sending ready-made messages of
the size of a reminder. What this measures is the part of the reminder benchmark that is not
the CRM: its time is a floor under the benchmark's on the same machine.

    .venv/bin/python bench/smtp_sink_bench.py                 # 10,000 messages, 2 clients
    .venv/bin/python bench/smtp_sink_bench.py --clients 1
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import smtplib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.worker.harness import SmtpSink, wait_for  # noqa: E402

TEXT = "Beste Accountmanager,\r\n\r\nVandaag staat deze opvolgactie voor u gepland.\r\n" * 12
HTML = "<p>Beste Accountmanager,</p><p>Vandaag staat deze opvolgactie voor u gepland.</p>\r\n" * 23


def message(n: int) -> bytes:
    """About the size of a reminder (3.2 kB): headers, a text and an HTML part."""
    return (
        "From: Werkgeverscrm <crm@werkgeverscrm.test>\r\n"
        f"To: Accountmanager {n} <am{n}@gemeente.example>\r\n"
        f"Subject: Opvolgactie vandaag: Benchmark {n}\r\n"
        f"Message-ID: <followup-{n}-due-20261126@werkgeverscrm.test>\r\n"
        'Content-Type: multipart/alternative; boundary="=====b=="\r\n'
        "MIME-Version: 1.0\r\n\r\n"
        '--=====b==\r\nContent-Type: text/plain; charset="utf-8"\r\n\r\n'
        f"{TEXT}\r\n"
        '--=====b==\r\nContent-Type: text/html; charset="utf-8"\r\n\r\n'
        f"{HTML}\r\n--=====b==--\r\n"
    ).encode()


def client(port: int, numbers: range) -> None:
    smtp = smtplib.SMTP("127.0.0.1", port, timeout=30)
    smtp.ehlo()
    for n in numbers:
        smtp.sendmail("crm@werkgeverscrm.test", [f"am{n}@gemeente.example"], message(n))
    smtp.quit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=2, help="client processes, one connection each")
    args = parser.parse_args()

    sink = SmtpSink().start()
    try:
        share = -(-args.count // args.clients)
        ranges = [range(start, min(start + share, args.count)) for start in range(0, args.count, share)]
        processes = [multiprocessing.Process(target=client, args=(sink.port, numbers)) for numbers in ranges]
        cpu_before = time.process_time()
        start = time.perf_counter()
        for process in processes:
            process.start()
        wait_for(lambda: sink.handler.unique() >= args.count, 600, f"{args.count} messages", interval=0.05)
        elapsed = time.perf_counter() - start
        sink_cpu = time.process_time() - cpu_before
        for process in processes:
            process.join(30)
        print(f"messages      {sink.handler.total()} accepted, {sink.handler.unique()} unique")
        print(f"clients       {args.clients} processes, one connection each; cpus {os.cpu_count()}")
        print(f"elapsed       {elapsed:.1f} s  ({args.count / elapsed:.0f} messages/s)")
        print(f"sink cpu      {sink_cpu:.1f} s  ({1000 * sink_cpu / args.count:.2f} ms per message)")
        return 0 if sink.handler.unique() == args.count else 1
    finally:
        sink.stop()


if __name__ == "__main__":
    sys.exit(main())
