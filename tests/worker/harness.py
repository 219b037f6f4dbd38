"""Real components for the exactly-once tests and the benchmark: an SMTP server on loopback
that counts what it accepts by Message-ID, Celery worker and beat processes started with
``celery -A tasks.worker``, and a broker client that sends tasks by name.

Nothing here is faked: the worker talks to the database, the broker and the SMTP server
exactly as in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Callable
from datetime import date
from email.parser import BytesHeaderParser
from pathlib import Path

from aiosmtpd.controller import Controller
from celery import Celery
from sqlalchemy import insert

from config import TestingConfig
from crm import ROOT
from crm.extensions import db
from crm.models import Employer, FollowUp, Organisation, User
from tasks.celery_app import _transport_options, queue_names

CELERY = str(Path(sys.executable).parent / "celery")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


# --- the SMTP sink ----------------------------------------------------------------------


class CountingHandler:
    """Counts accepted messages by Message-ID. Modes: accept; ``temporary`` (421 to DATA);
    a one-time stall at the n-th message (holds the reply until released, then refuses it
    with 451, so that message is NOT delivered: the server never said 250); ``refuse``:
    recipient address -> the reply to its RCPT (e.g. '550 5.1.1 User unknown')."""

    def __init__(self):
        self.lock = threading.Lock()
        self.accepted: Counter[str] = Counter()
        self.refused = 0
        self.refuse: dict[str, str] = {}
        self.rcpt_refused: Counter[str] = Counter()
        self.sessions: set[int] = set()  # the connections that delivered a message
        self.temporary = False
        self.delay = 0.0
        self.stall_at: int | None = None
        self.stalled = threading.Event()
        self.release = threading.Event()
        self.first_at: float | None = None
        self.last_at: float | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refuse.get(address)
        if reply:
            with self.lock:
                self.rcpt_refused[address] += 1
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message_id = BytesHeaderParser().parsebytes(envelope.original_content or envelope.content)["Message-ID"]
        if self.temporary:
            with self.lock:
                self.refused += 1
            return "421 4.3.2 Service not available, closing transmission channel"
        if self.stall_at is not None and not self.stalled.is_set() and self.total() + 1 >= self.stall_at:
            self.stalled.set()
            await asyncio.to_thread(self.release.wait, 60)
            return "451 4.3.0 Not accepted: the client went away"
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.accepted[message_id] += 1
            self.sessions.add(id(session))
            now = time.monotonic()
            self.first_at = self.first_at or now
            self.last_at = now
        return "250 2.0.0 OK"

    def total(self) -> int:
        with self.lock:
            return sum(self.accepted.values())

    def unique(self) -> int:
        with self.lock:
            return len(self.accepted)

    def duplicates(self) -> dict[str, int]:
        with self.lock:
            return {mid: n for mid, n in self.accepted.items() if n > 1}

    def ids(self) -> set[str]:
        with self.lock:
            return set(self.accepted)


class SmtpSink:
    """aiosmtpd on 127.0.0.1; can be stopped (connections refused) and started again on its port."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.handler = CountingHandler()
        self.controller: Controller | None = None

    def start(self) -> SmtpSink:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=10)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.handler.release.set()
            self.controller.stop()
            self.controller = None


# --- processes --------------------------------------------------------------------------


class Process:
    """A celery process in its own process group (so SIGKILL takes its pool children too)."""

    def __init__(self, name: str, args: list[str], env: dict, log_dir: Path):
        self.name, self.args, self.env = name, args, env
        self.log = log_dir / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def start(self) -> Process:
        handle = self.log.open("ab")
        self.popen = subprocess.Popen(  # noqa: S603
            self.args, env=self.env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        handle.close()
        return self

    def wait_ready(self, timeout: float = 40) -> Process:
        wait_for(lambda: b" ready." in self.log.read_bytes() or self.popen.poll() is not None, timeout, self.name)
        if self.popen.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.popen.returncode}:\n{self.tail()}")
        return self

    def kill(self) -> None:
        """SIGKILL the whole group: no shutdown handlers, no acks, no commits."""
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        try:
            self.popen.send_signal(signal.SIGTERM)  # the main process: it stops its pool
            self.popen.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.kill()
        finally:
            with contextlib.suppress(ProcessLookupError):  # pool children of a worker that died first
                os.killpg(self.popen.pid, signal.SIGKILL)

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


class Cluster:
    """Workers and beats for one test, all pointed at one database, broker queue and sink."""

    def __init__(self, database_url: str, broker_url: str, smtp_port: int, workdir: Path, **settings: str):
        self.workdir = workdir
        self.queue = f"crm-test-{uuid.uuid4().hex[:12]}"
        self.broker_url = broker_url
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CRM_")},
            "CRM_CONFIG": "development",
            "CRM_DATABASE_URL": database_url,
            "CRM_DATABASE_PGBOUNCER": "1" if TestingConfig.DATABASE_PGBOUNCER else "0",
            "CRM_BROKER_URL": broker_url,
            "CRM_CELERY_QUEUE": self.queue,
            "CRM_SMTP_HOST": "127.0.0.1",
            "CRM_SMTP_PORT": str(smtp_port),
            "CRM_SMTP_TIMEOUT": "30",
            "CRM_MAIL_FROM": "Werkgeverscrm <crm@werkgeverscrm.test>",
            "CRM_INSTANCE_DIR": str(workdir),
            "CRM_REMINDER_SEND_FROM_HOUR": "0",  # the tests run at any hour
            "CRM_REMINDER_SCAN_SECONDS": "1",
            "CRM_REMINDER_LEASE_SECONDS": "10",
            "CRM_REMINDER_RUN_LEASE_SECONDS": "3",  # renewed each second while a worker holds a batch
            "CRM_REMINDER_BACKOFF_SECONDS": "1",
            "CRM_REMINDER_BACKOFF_MAX_SECONDS": "2",
            "PYTHONUNBUFFERED": "1",
            **settings,
        }
        self.processes: list[Process] = []
        self.client = Celery("crm-test-client", broker=broker_url)
        self.client.conf.update(
            task_default_queue=self.queue,
            broker_connection_retry_on_startup=True,
            broker_transport_options=_transport_options(broker_url),
        )
        # Declare the queue (and create the SQLite broker's tables) before any process starts.
        # kombu's SQLAlchemy transport maps its tables with lazy="noload", which SQLAlchemy 2.1
        # deprecates; the tests turn warnings into errors, so that one is let through here.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*noload.*", category=DeprecationWarning)
            with self.client.connection_for_write() as connection:
                for queue in self.queues():
                    connection.default_channel.queue_declare(queue)

    def queues(self) -> list[str]:
        """The default queue and the mail, bulk and housekeeping ones (tasks/celery_app.py)."""
        return list(queue_names(self.queue).values())

    def worker(self, name: str = "w1", concurrency: int = 2, queues: list[str] | None = None) -> Process:
        args = [CELERY, "-A", "tasks.worker", "worker", "--loglevel", "INFO", "--pool", "prefork"]
        args += ["--concurrency", str(concurrency), "-n", f"{name}@%h", "-Q", ",".join(queues or self.queues())]
        args += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        process = Process(name, args, self.env, self.workdir).start()
        self.processes.append(process)
        return process

    def beat(self, name: str = "beat") -> Process:
        schedule = self.workdir / f"{name}-schedule"
        args = [CELERY, "-A", "tasks.worker", "beat", "--loglevel", "INFO", "--schedule", str(schedule)]
        process = Process(name, args, self.env, self.workdir).start()
        self.processes.append(process)
        return process

    def send(self, task: str, *args, queue: str | None = None, headers: dict | None = None) -> None:
        """Send ``tasks.reminders.<task>`` (or a full task name) to the default queue, or to ``queue``."""
        name = task if "." in task else f"tasks.reminders.{task}"
        self.client.send_task(name, args=args, queue=queue or self.queue, headers=headers)

    def logs(self) -> str:
        return "\n\n".join(f"--- {p.name} ---\n{p.tail()}" for p in self.processes)

    def close(self) -> None:
        running = [p for p in self.processes if p.popen is not None and p.popen.poll() is None]
        for process in running:  # all at once: each may take a moment to stop its pool
            process.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 3
        for process in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
        for process in self.processes:
            process.kill()
            if process.popen is not None:
                with contextlib.suppress(ProcessLookupError):  # pool children of a worker that died first
                    os.killpg(process.popen.pid, signal.SIGKILL)
        try:
            with self.client.connection_for_write() as connection:
                for queue in self.queues():
                    connection.default_channel.queue_delete(queue)
        except Exception:  # noqa: BLE001, S110 - best effort: the queue name is unique anyway
            pass
        self.client.close()


def broker_url_for_tests(workdir: Path) -> str:
    """Redis when the run has one (CI's second run: CRM_TEST_BROKER_URL=redis://...), else an
    SQLite broker file: the embedded default."""
    url = os.environ.get("CRM_TEST_BROKER_URL", "")
    if url.startswith("redis://"):
        return url
    return f"sqla+sqlite:///{workdir / 'broker.sqlite'}"


# --- data -------------------------------------------------------------------------------


def make_follow_ups(count: int, due: date, *, users: int = 50, prefix: str = "Opvolgen") -> list[int]:
    """``count`` open follow-ups due on ``due``, spread over ``users`` account managers.
    Bulk inserts: 10,000 rows in a second or two."""
    organisation = Organisation(name=f"Gemeente Teststad {uuid.uuid4().hex[:6]}", kind="gemeente")
    db.session.add(organisation)
    db.session.flush()
    owners = [
        User(
            email=f"am{n}-{uuid.uuid4().hex[:6]}@gemeente.example",
            name=f"Accountmanager {n}",
            role="accountmanager",
            organisation_id=organisation.id,
            password_hash="x",
        )
        for n in range(users)
    ]
    db.session.add_all(owners)
    db.session.flush()
    employer = Employer(name="Bakkerij De Korenschoof B.V.", contactpersoon_id=owners[0].id, status="actief")
    db.session.add(employer)
    db.session.flush()
    rows = [
        {
            "owner_id": owners[n % users].id,
            "subject": f"{prefix} {n}",
            "due_date": due,
            "status": "open",
            "employer_id": employer.id,
            "automatic": False,
        }
        for n in range(count)
    ]
    db.session.execute(insert(FollowUp), rows)
    db.session.commit()
    ids = list(db.session.scalars(db.select(FollowUp.id).order_by(FollowUp.id)))
    db.session.rollback()  # never sit in a transaction: on SQLite it holds the write lock
    return ids
